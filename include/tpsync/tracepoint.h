/* SPDX-License-Identifier: MIT */
/*
 * tpsync/tracepoint.h - tracepoints: probe arrays over the flavours.
 *
 *   // in a header: the tracepoint and its inline call site
 *   TPS_TRACEPOINT_DECLARE(sched_switch, TPS_PROTO(int prev, int next), TPS_ARGS(prev, next));
 *   TPS_TRACEPOINT_DECLARE_FAULTABLE(sys_enter_openat, TPS_PROTO(const char *path),
 *                                    TPS_ARGS(path));
 *   // in exactly one .c file of the executable or shared object
 *   TPS_TRACEPOINT_DEFINE(sched_switch);
 *
 *   tps_trace_sched_switch(1, 2);                  // call site
 *   void probe(void *data, int prev, int next);    // a probe: data first
 *   tps_register_trace_sched_switch(probe, data);  // typed: wrong prototype = compile error
 *   tps_unregister_trace_sched_switch(probe, data);
 *   tps_tracepoint_synchronize_unregister();       // now data may be freed
 *
 * A disabled call site costs one relaxed load and a not-taken branch. When
 * enabled, an out-of-line iterator takes the read lock of the tracepoint's
 * flavour (classic; tasks-trace for faultable tracepoints, whose probes may
 * sleep and fault), calls each probe with its data first, and unlocks.
 * Tracepoints with no arguments use TPS_PROTO() and TPS_ARGS(). The macros
 * use GNU C (the default of gcc and clang).
 */
#ifndef TPSYNC_TRACEPOINT_H
#define TPSYNC_TRACEPOINT_H

#include <tpsync/rcu.h>
#include <tpsync/rcu_trace.h>

/*
 * A probe of the wrong prototype passed to a typed registration function is
 * an incompatible-pointer-types diagnostic, a constraint violation in C that
 * gcc 14 and clang 16 reject by default but older compilers only warn about.
 * Make it an error for them too, from here to the end of the including file:
 * the diagnostic is reported at the user's call, after this header, so it
 * cannot be scoped to the header with push/pop.
 */
#if defined(__cplusplus)
/* C++ rejects such a conversion in every mode: nothing to do. */
#elif defined(__clang__)
#pragma clang diagnostic error "-Wincompatible-pointer-types"
#elif defined(__GNUC__)
#pragma GCC diagnostic error "-Wincompatible-pointer-types"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Probe flag: the probe may sleep and fault (faultable tracepoints only). */
#define TPS_PROBE_MAY_FAULT 0x1u
/* Default probe priority; probes with a higher priority run first. */
#define TPS_PROBE_PRIO_DEFAULT 10

/* Tracepoint flag: probes run under tasks-trace and may fault. */
#define TPS_TRACEPOINT_FAULTABLE 0x1u

/* One entry of a probe array; the array ends with func == NULL. */
struct tps_tracepoint_func {
	TPS__ATOMIC(void (*)(void)) func;
	void *data;
	int prio;
};

struct tps_tracepoint {
	const char *name;
	/* Non-zero while probes are registered: read by every call site. */
	TPS__ATOMIC(int) enabled;
	unsigned int flags;
	/* RCU-protected (flavour per flags); a static empty array when none. */
	TPS__ATOMIC(struct tps_tracepoint_func *) funcs;
	/* Optional hooks, run under the registration mutex on 0->1 and 1->0. */
	int (*regfunc)(void);
	void (*unregfunc)(void);
};

/**
 * tps_tracepoint_probe_register() - attach func(data, ...) to tp.
 *
 * prio: higher runs first; equal priorities run in registration order.
 * flags: TPS_PROBE_MAY_FAULT, required on faultable tracepoints and refused
 * on others. May block (takes the registration mutex, allocates); not
 * async-signal-safe.
 *
 * Return: 0; -EINVAL for a NULL tp or func, unknown flags, or a faultable
 * mismatch; -EEXIST when (func, data) is already attached; -ENOMEM (nothing
 * changed); or the error of the tracepoint's register hook.
 */
TPS_EXPORT int tps_tracepoint_probe_register(struct tps_tracepoint *tp, void (*func)(void),
                                             void *data, int prio, unsigned int flags);

/**
 * tps_tracepoint_probe_unregister() - detach (func, data) from tp.
 *
 * Never fails for lack of memory: without memory for a smaller array, the
 * probe's slot is switched atomically to a stub that does nothing. Probes
 * may still be running when it returns: call
 * tps_tracepoint_synchronize_unregister() before freeing their data.
 *
 * Return: 0; -EINVAL for a NULL tp or func; -ENOENT when not attached.
 */
TPS_EXPORT int tps_tracepoint_probe_unregister(struct tps_tracepoint *tp, void (*func)(void),
                                               void *data);

/**
 * tps_tracepoint_synchronize_unregister() - wait until no probe unregistered
 * before the call is still running, under either flavour. Blocks; not inside
 * a reader of either flavour (nor inside a probe).
 */
TPS_EXPORT void tps_tracepoint_synchronize_unregister(void);

/**
 * tps_tracepoint_call_rcu() - run func(head) after a grace period of the
 * flavour tp's probes run under: the deferred way to free probe data.
 * Return: 0, or -EINVAL for a NULL argument.
 */
TPS_EXPORT int tps_tracepoint_call_rcu(const struct tps_tracepoint *tp, struct tps_rcu_head *head,
                                       tps_rcu_callback_t func);

/* Tracepoint hits dropped because they came from inside a probe of the same thread. */
TPS_EXPORT unsigned long tps_tracepoint_recursion_drops(void);

/* The registry: every tracepoint of the executable and loaded shared objects. */
TPS_EXPORT struct tps_tracepoint *tps_tracepoint_lookup(const char *name);
/*
 * Calls cb for each tracepoint until it returns non-zero, which is returned.
 * cb may register and unregister probes; it must not dlopen/dlclose.
 */
TPS_EXPORT int tps_tracepoint_for_each(int (*cb)(struct tps_tracepoint *tp, void *arg), void *arg);
TPS_EXPORT const char *tps_tracepoint_name(const struct tps_tracepoint *tp);
TPS_EXPORT bool tps_tracepoint_is_faultable(const struct tps_tracepoint *tp);

/* ---- Internal: used by the macros below. ---- */

TPS_EXPORT extern struct tps_tracepoint_func tps__tracepoint_empty[1];
/* Registers the tracepoints of one object's section (idempotent). */
TPS_EXPORT void tps__tracepoint_section_add(struct tps_tracepoint *const *start,
                                            struct tps_tracepoint *const *stop);
TPS_EXPORT void tps__tracepoint_section_remove(struct tps_tracepoint *const *start);
TPS_EXPORT TPS__COLD void tps__tracepoint_recursion_drop(void);
/* For tests: the next n probe-array allocations fail. */
TPS_EXPORT void tps__tracepoint_fail_allocs(unsigned int n);

/* Recursion guard: false (and the hit counted) when already inside a probe. */
static inline bool tps__tracepoint_enter(void)
{
	if (tps_unlikely(tps__atomic_load(&tps__self.tp_recursion, TPS__MO_RELAXED))) {
		tps__tracepoint_recursion_drop();
		return false;
	}
	tps__atomic_store(&tps__self.tp_recursion, 1, TPS__MO_RELAXED);
	/*
	 * (TP1) Compiler barrier: the guard is set before any probe runs, as
	 * seen by a signal handler on this thread (the only other observer);
	 * pairs with (TP2).
	 */
	tps_barrier();
	return true;
}

static inline void tps__tracepoint_exit(void)
{
	/* (TP2) the probes are done before the guard drops; pairs with (TP1). */
	tps_barrier();
	tps__atomic_store(&tps__self.tp_recursion, 0, TPS__MO_RELAXED);
}

static inline struct tps_tracepoint_func *tps__tracepoint_funcs(struct tps_tracepoint *tp)
{
	/*
	 * (P1c) consume: the entries are read after the array's address;
	 * pairs with (P1), the release store that published it (set_funcs()
	 * in lib/tracepoint.c).
	 */
	return tps__atomic_load(&tp->funcs, TPS__MO_CONSUME);
}

static inline void (*tps__tracepoint_func_of(struct tps_tracepoint_func *it))(void)
{
	return tps__atomic_load(&it->func, TPS__MO_RELAXED);
}

/*
 * Argument-list plumbing. TPS_PROTO(...) and TPS_ARGS(...) keep their
 * commas inside parentheses through the macro layers; TPS__UNPAREN removes
 * them where the list is used. Either may be empty.
 */
#define TPS_PROTO(...) (__VA_ARGS__)
#define TPS_ARGS(...) (__VA_ARGS__)
#define TPS__UNPAREN(...) __VA_ARGS__
#define TPS__CAT_(a, b) a##b
#define TPS__CAT(a, b) TPS__CAT_(a, b)
#define TPS__ARG16(_0, _1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16, ...) \
	_16
/* 1 when the (expanded) list is not empty, 0 when it is (up to 15 items). */
#define TPS__HAS_ARGS(...) TPS__HAS_ARGS_(__VA_ARGS__)
#ifdef __cplusplus
/*
 * C++: ISO modes (-std=c++17) keep the comma of ", ##__VA_ARGS__"; g++ and
 * clang++ have __VA_OPT__ in every mode (any number of items).
 */
#define TPS__HAS_ARGS_(...) TPS__SECOND(__VA_OPT__(, ) 1, 0, )
#define TPS__SECOND(a, b, ...) b
#else
#define TPS__HAS_ARGS_(...)                                                                        \
	TPS__ARG16(_, ##__VA_ARGS__, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0)
#endif
#define TPS__OR_VOID_0(...) void
#define TPS__OR_VOID_1(...) __VA_ARGS__
/* The call site's parameter list: the prototype, or void. */
#define TPS__PARAMS(proto) TPS__PARAMS_(TPS__UNPAREN proto)
#define TPS__PARAMS_(...) TPS__CAT(TPS__OR_VOID_, TPS__HAS_ARGS(__VA_ARGS__))(__VA_ARGS__)
/* A probe's parameter list: data first. */
#define TPS__DATA_PARAMS(proto) TPS__DATA_PARAMS_(TPS__UNPAREN proto)
#define TPS__DATA_PARAMS_(...) TPS__CAT(TPS__DATA_PARAMS_, TPS__HAS_ARGS(__VA_ARGS__))(__VA_ARGS__)
#define TPS__DATA_PARAMS_0(...) void *__data
#define TPS__DATA_PARAMS_1(...) void *__data, __VA_ARGS__
/* A probe call's arguments: data first. */
#define TPS__DATA_ARGS(data, args) TPS__DATA_ARGS_(data, TPS__UNPAREN args)
#define TPS__DATA_ARGS_(data, ...)                                                                 \
	TPS__CAT(TPS__DATA_ARGS_, TPS__HAS_ARGS(__VA_ARGS__))(data, __VA_ARGS__)
#define TPS__DATA_ARGS_0(data, ...) data
#define TPS__DATA_ARGS_1(data, ...) data, __VA_ARGS__

#define TPS__TRACE_LOCK_0() tps_rcu_read_lock()
#define TPS__TRACE_UNLOCK_0() tps_rcu_read_unlock()
#define TPS__TRACE_LOCK_1() tps_rcu_read_lock_trace()
#define TPS__TRACE_UNLOCK_1() tps_rcu_read_unlock_trace()

/*
 * The functions are static and marked unused: a file that declares a
 * tracepoint and uses only some of them (the usual case in a .c or .cpp file
 * that defines it) gets no -Wunused-function.
 */
#define TPS__TRACEPOINT_DECLARE(tp, proto, args, faultable)                                        \
	extern struct tps_tracepoint tps__tp_##tp;                                                 \
	enum { tps__tp_faultable_##tp = (faultable) };                                             \
	typedef void (*tps__probe_##tp##_t)(TPS__DATA_PARAMS(proto));                              \
	/* The iterator: out of line, so the call site stays one load and a branch. */             \
	static __attribute__((noinline, unused)) void tps__do_trace_##tp(TPS__PARAMS(proto))       \
	{                                                                                          \
		struct tps_tracepoint_func *it;                                                    \
		void (*fn)(void);                                                                  \
                                                                                                   \
		if (!tps__tracepoint_enter())                                                      \
			return;                                                                    \
		TPS__TRACE_LOCK_##faultable();                                                     \
		for (it = tps__tracepoint_funcs(&tps__tp_##tp);                                    \
		     (fn = tps__tracepoint_func_of(it)) != NULL; it++)                             \
			((tps__probe_##tp##_t)(void *)fn)(TPS__DATA_ARGS(it->data, args));         \
		TPS__TRACE_UNLOCK_##faultable();                                                   \
		tps__tracepoint_exit();                                                            \
	}                                                                                          \
	static inline __attribute__((unused)) void tps_trace_##tp(TPS__PARAMS(proto))              \
	{                                                                                          \
		if (tps_unlikely(tps__atomic_load(&tps__tp_##tp.enabled, TPS__MO_RELAXED)))        \
			tps__do_trace_##tp args;                                                   \
	}                                                                                          \
	static inline __attribute__((unused)) int tps_register_trace_prio_flags_##tp(              \
	        tps__probe_##tp##_t tps__probe, void *data, int prio, unsigned int flags)          \
	{                                                                                          \
		return tps_tracepoint_probe_register(&tps__tp_##tp, (void (*)(void))tps__probe,    \
		                                     data, prio, flags);                           \
	}                                                                                          \
	/* Default priority; on a faultable tracepoint the probe may fault. */                     \
	static inline __attribute__((unused)) int tps_register_trace_##tp(                         \
	        tps__probe_##tp##_t tps__probe, void *data)                                        \
	{                                                                                          \
		return tps_tracepoint_probe_register(&tps__tp_##tp, (void (*)(void))tps__probe,    \
		                                     data, TPS_PROBE_PRIO_DEFAULT,                 \
		                                     (faultable) ? TPS_PROBE_MAY_FAULT : 0u);      \
	}                                                                                          \
	static inline __attribute__((unused)) int tps_unregister_trace_##tp(                       \
	        tps__probe_##tp##_t tps__probe, void *data)                                        \
	{                                                                                          \
		return tps_tracepoint_probe_unregister(&tps__tp_##tp, (void (*)(void))tps__probe,  \
		                                       data);                                      \
	}                                                                                          \
	struct tps__tp_semicolon_##tp

/* In a header: a tracepoint whose probes must not block (classic readers). */
#define TPS_TRACEPOINT_DECLARE(tp, proto, args) TPS__TRACEPOINT_DECLARE(tp, proto, args, 0)
/* In a header: a tracepoint whose probes may sleep and fault (tasks-trace). */
#define TPS_TRACEPOINT_DECLARE_FAULTABLE(tp, proto, args)                                          \
	TPS__TRACEPOINT_DECLARE(tp, proto, args, 1)

/*
 * Each executable or shared object registers its own section of tracepoint
 * pointers from a constructor and removes it from a destructor. The
 * section bounds are hidden, so each object finds its own.
 */
extern struct tps_tracepoint *const __start_tps_tracepoints[]
        __attribute__((weak, visibility("hidden")));
extern struct tps_tracepoint *const __stop_tps_tracepoints[]
        __attribute__((weak, visibility("hidden")));

#define TPS__TRACEPOINT_DEFINE(tp, reg, unreg)                                                     \
	struct tps_tracepoint tps__tp_##tp = {                                                     \
	        .name = #tp,                                                                       \
	        .enabled = 0,                                                                      \
	        .flags = tps__tp_faultable_##tp ? TPS_TRACEPOINT_FAULTABLE : 0u,                   \
	        .funcs = tps__tracepoint_empty,                                                    \
	        .regfunc = (reg),                                                                  \
	        .unregfunc = (unreg),                                                              \
	};                                                                                         \
	static struct tps_tracepoint *const tps__tp_ptr_##tp                                       \
	        __attribute__((used, section("tps_tracepoints"), aligned(sizeof(void *)))) =       \
	                &tps__tp_##tp;                                                             \
	__attribute__((constructor)) static void tps__tp_ctor_##tp(void)                           \
	{                                                                                          \
		tps__tracepoint_section_add(__start_tps_tracepoints, __stop_tps_tracepoints);      \
	}                                                                                          \
	__attribute__((destructor)) static void tps__tp_dtor_##tp(void)                            \
	{                                                                                          \
		tps__tracepoint_section_remove(__start_tps_tracepoints);                           \
	}                                                                                          \
	struct tps__tp_semicolon_def_##tp

/* In one .c file of the object: defines a declared tracepoint (normal or faultable). */
#define TPS_TRACEPOINT_DEFINE(tp) TPS__TRACEPOINT_DEFINE(tp, NULL, NULL)
/* Same, with hooks run when the first probe attaches and the last one leaves. */
#define TPS_TRACEPOINT_DEFINE_FN(tp, regfunc, unregfunc)                                           \
	TPS__TRACEPOINT_DEFINE(tp, regfunc, unregfunc)

#ifdef __cplusplus
}
#endif

#endif /* TPSYNC_TRACEPOINT_H */
