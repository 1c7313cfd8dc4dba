/* SPDX-License-Identifier: MIT */
/** @file
 * tpsync/tracepoint.h - tracepoints: probe arrays over the flavours.
 *
 *   // in a header: the tracepoint and its inline call site
 *   TPS_TRACEPOINT_DECLARE(sched_switch, TPS_PROTO(int prev, int next), TPS_ARGS(prev, next));
 *   TPS_TRACEPOINT_DECLARE_FAULTABLE(sys_enter_openat, TPS_PROTO(const char *path),
 *                                    TPS_ARGS(path));
 *   // in exactly one .c (or .cpp) file of the executable or shared object
 *   TPS_TRACEPOINT_DEFINE(sched_switch);
 *
 *   tps_trace_sched_switch(1, 2);                  // call site
 *   void probe(void *data, int prev, int next);    // a probe: data first
 *   tps_register_trace_sched_switch(probe, data);  // typed: wrong prototype = compile error
 *   tps_unregister_trace_sched_switch(probe, data);
 *   tps_tracepoint_synchronize_unregister();       // now data may be freed
 *
 * A disabled call site costs one relaxed load and a not-taken branch, after
 * the load of the object's pointer to the instance (its own where it defines
 * the tracepoint). When enabled, an out-of-line iterator takes the read lock of
 * the tracepoint's flavour (classic; tasks-trace for faultable tracepoints,
 * whose probes may sleep and fault), calls each probe with its data first,
 * and unlocks.
 * Tracepoints with no arguments use TPS_PROTO() and TPS_ARGS(). The macros
 * use GNU C (the default of gcc and clang) and work in C++ too (g++,
 * clang++, C++17 and later), also inside a namespace.
 *
 * For tracers: `#define TPS_TRACEPOINT_PROVIDER myapp` before declarations
 * names them "myapp:event"; each records its signature ("int id, long us").
 * tps_tracepoint_probe_register_by_name() attaches to every instance of a
 * name with a matching signature, in objects loaded now and later; a
 * notifier reports tracepoints added and removed. Every call site is also
 * an SDT probe (provider:event, or tpsync:event) for perf, bpftrace and
 * uprobe_events, whose semaphore is the high half of the enabled word.
 */
#ifndef TPSYNC_TRACEPOINT_H
#define TPSYNC_TRACEPOINT_H

/*
 * The declaration macros use GNU C's comma elision (`, ##__VA_ARGS__`) for
 * tracepoints with no arguments; a strict ISO C mode (-std=c11, -std=c17)
 * would turn TPS_PROTO() into a syntax error deep inside them.
 */
#if defined(__STRICT_ANSI__) && !defined(__cplusplus)
#error "tpsync's tracepoint macros need GNU C (-std=gnu11 or -std=gnu17, the default of gcc and clang), not a strict ISO C mode such as -std=c11"
#endif

#include <tpsync/rcu.h>
#include <tpsync/rcu_trace.h>

#include <tpsync/config.h>

/**
 * TPS_TRACEPOINT_SDT - 1 when the call sites of this file are also
 * SystemTap SDT (USDT) probes, visible to perf, bpftrace, SystemTap and
 * uprobe_events: by default when the library was built with TPSYNC_SDT and
 * <sys/sdt.h> is found. A file may opt out by defining it to 0 before
 * including this header.
 */
#ifndef TPS_TRACEPOINT_SDT
#define TPS_TRACEPOINT_SDT TPSYNC_SDT
#endif
#if TPS_TRACEPOINT_SDT && defined(__has_include)
#if __has_include(<sys/sdt.h>)
#include <sys/sdt.h>
/*
 * The probes are written with <sys/sdt.h>'s own macros for the note and the
 * argument descriptions, not part of its documented interface: a version
 * of the header without them gives call sites without SDT probes.
 */
#if defined(_SDT_ASM_TEMPLATE_1) && defined(_SDT_ASM_OPERANDS_1) && defined(_SDT_ASM_SUBSTR) &&    \
        defined(_SDT_DEF_MACROS) && defined(_SDT_UNDEF_MACROS) && defined(_SDT_NARG) &&            \
        defined(_SDT_ASM_BASE) && defined(_SDT_ASM_ADDR) && defined(_SDT_NOP) &&                   \
        defined(_SDT_NOTE_NAME) && defined(_SDT_NOTE_TYPE) && defined(_SDT_ASM_AUTOGROUP)
#define TPS__SDT 1
#endif
#endif
#endif
#ifndef TPS__SDT
#define TPS__SDT 0
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** Probe flag: the probe may sleep and fault (faultable tracepoints only). */
#define TPS_PROBE_MAY_FAULT 0x1u
/** Default probe priority; probes with a higher priority run first. */
#define TPS_PROBE_PRIO_DEFAULT 10

/** Tracepoint flag: probes run under tasks-trace and may fault. */
#define TPS_TRACEPOINT_FAULTABLE 0x1u

/** One entry of a probe array; the array ends with func == NULL. */
struct tps_tracepoint_func {
	TPS__ATOMIC(void (*)(void)) func; /**< the probe, called as func(data, args...) */
	void *data;                       /**< its first argument */
	int prio;                         /**< higher runs first */
};

/*
 * The enabled word: the low 16 bits count nothing but say whether
 * in-process probes are attached (0 or 1); the high 16 bits are the SDT
 * semaphore, a plain unsigned short that the kernel increments while a tool
 * (perf, bpftrace, uprobe_events) listens. A call site loads the whole word:
 * non-zero means someone listens, one way or the other.
 */
#define TPS__TP_PROBES_MASK 0xffff
#define TPS__TP_SDT_MASK (~0xffff)
/* Byte offset of the SDT semaphore inside the enabled word. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define TPS__TP_SDT_BYTE 0
#else
#define TPS__TP_SDT_BYTE 2
#endif

/** A tracepoint: defined by TPS_TRACEPOINT_DEFINE(), read through the functions below. */
struct tps_tracepoint {
	/** The full name: "provider:name", or "name" without a provider. */
	const char *name;
	/** Non-zero while someone listens: read by every call site (see above). */
	TPS__ATOMIC(int) enabled;
	/** TPS_TRACEPOINT_FAULTABLE or 0. */
	unsigned int flags;
	/** RCU-protected (flavour per flags); a static empty array when none. */
	TPS__ATOMIC(struct tps_tracepoint_func *) funcs;
	/** Optional hooks, run under the registration mutex on 0->1 and 1->0. */
	int (*regfunc)(void);
	/** See regfunc. */
	void (*unregfunc)(void);
	/** The TPS_PROTO text as written in the declaration. */
	const char *proto;
	/** proto normalized, set by the library when the object's section is added. */
	const char *signature;
};

/** @cond INTERNAL */
/* The SDT semaphore's address is computed from this (TPS__SDT_DEFINE_SEM). */
#ifdef __cplusplus
static_assert(__builtin_offsetof(struct tps_tracepoint, enabled) == __SIZEOF_POINTER__,
              "enabled follows the name pointer");
#else
_Static_assert(__builtin_offsetof(struct tps_tracepoint, enabled) == __SIZEOF_POINTER__,
               "enabled follows the name pointer");
#endif
/** @endcond */

/** Event of a tracepoint notifier: the tracepoint was added to the registry. */
#define TPS_TRACEPOINT_ADDED 1
/** Event of a tracepoint notifier: the tracepoint is about to go away. */
#define TPS_TRACEPOINT_REMOVED 2

/**
 * tps_tracepoint_probe_register() - attach func(data, ...) to tp.
 *
 * prio: higher runs first; equal priorities run in registration order.
 * flags: TPS_PROBE_MAY_FAULT, required on faultable tracepoints and refused
 * on others. May block (takes the registry and registration mutexes,
 * allocates); not async-signal-safe; not inside a probe.
 *
 * tp is checked against the registry before it is used: a pointer to a
 * tracepoint whose object was unloaded (dlclose) is refused with -ENOENT
 * without being dereferenced. (If another object has since been loaded at
 * the same address with a tracepoint there, the pointer designates that
 * one: a tracer that follows loads and unloads should use the notifier or
 * attach by name instead.)
 *
 * Return: 0; -EINVAL for a NULL tp or func, unknown flags, or a faultable
 * mismatch; -ENOENT when tp is not a registered tracepoint; -EEXIST when
 * (func, data) is already attached; -ENOMEM (nothing changed); or the error
 * of the tracepoint's register hook.
 */
TPS_EXPORT int tps_tracepoint_probe_register(struct tps_tracepoint *tp, void (*func)(void),
                                             void *data, int prio, unsigned int flags);

/**
 * tps_tracepoint_probe_unregister() - detach (func, data) from tp.
 *
 * Never fails for lack of memory: without memory for a smaller array, the
 * probe's slot is switched atomically to a stub that does nothing. Probes
 * may still be running when it returns: call
 * tps_tracepoint_synchronize_unregister() before freeing their data. May
 * block; not inside a probe. A stale tp (its object unloaded) is refused
 * without being dereferenced, as for tps_tracepoint_probe_register().
 *
 * Return: 0; -EINVAL for a NULL tp or func; -ENOENT when tp is not a
 * registered tracepoint or (func, data) is not attached.
 */
TPS_EXPORT int tps_tracepoint_probe_unregister(struct tps_tracepoint *tp, void (*func)(void),
                                               void *data);

/**
 * tps_tracepoint_probe_register_by_name() - attach func(data, ...) to every
 * tracepoint called name whose signature is signature, now and later.
 *
 * name is the full name ("provider:event", or "event" without a provider).
 * signature is the parameter list of the tracepoint's TPS_PROTO, compared
 * with whitespace normalized ("int id, long us" matches "int id,long us"
 * and "TPS_PROTO(int id, long us)"). The probe is attached to every
 * instance of that name in the executable and in every loaded shared
 * object whose signature and faultability (TPS_PROBE_MAY_FAULT) match, and
 * the registration is kept: instances in objects loaded later are attached
 * when their object is loaded. Instances of that name that do not match are
 * never attached; tps_tracepoint_probe_count_by_name() counts them. An
 * instance loaded later that cannot be attached (no memory, its register
 * hook refuses) is skipped, which the attached count shows.
 *
 * May block (mutexes, allocation); not async-signal-safe; not inside a
 * probe or a notifier callback.
 *
 * Return: 0; -EINVAL for a NULL name, signature or func, unknown flags, or
 * when instances of that name exist and none of them matches (a signature
 * or faultability conflict: nothing is kept); -EEXIST when (func, data) is
 * already registered by name for that name, or already attached by pointer
 * to a matching instance; -ENOMEM; or the error of a register hook (nothing
 * kept, no instance attached).
 */
TPS_EXPORT int tps_tracepoint_probe_register_by_name(const char *name, const char *signature,
                                                     void (*func)(void), void *data, int prio,
                                                     unsigned int flags);

/**
 * tps_tracepoint_probe_unregister_by_name() - undo
 * tps_tracepoint_probe_register_by_name(): detach (func, data) from every
 * loaded instance it was attached to and forget the registration.
 *
 * Works at any time, before or after the objects of the instances were
 * unloaded; it only touches tracepoints of objects still loaded. Probes may
 * still be running when it returns: call
 * tps_tracepoint_synchronize_unregister() before freeing data. May block;
 * not inside a probe or a notifier callback.
 *
 * Return: 0; -EINVAL for a NULL name or func; -ENOENT when (func, data) is
 * not registered by name for name.
 */
TPS_EXPORT int tps_tracepoint_probe_unregister_by_name(const char *name, void (*func)(void),
                                                       void *data);

/**
 * tps_tracepoint_probe_count_by_name() - how a registration by name stands.
 *
 * attached (if not NULL) receives the number of loaded instances of name the
 * probe is attached to; mismatched (if not NULL) the number of loaded
 * instances of name it is not attached to because their signature or
 * faultability differs. May block; not inside a probe.
 *
 * Return: 0; -EINVAL for a NULL name or func; -ENOENT when (func, data) is
 * not registered by name for name.
 */
TPS_EXPORT int tps_tracepoint_probe_count_by_name(const char *name, void (*func)(void), void *data,
                                                  unsigned int *attached, unsigned int *mismatched);

/**
 * tps_tracepoint_notifier_register() - call fn(data, tp, event) for every
 * tracepoint added to or removed from the registry.
 *
 * Registering replays TPS_TRACEPOINT_ADDED for every tracepoint present.
 * Afterwards fn receives TPS_TRACEPOINT_ADDED when an object's tracepoints
 * are added (its constructors, at load or dlopen), after probes registered
 * by name were attached to them, and TPS_TRACEPOINT_REMOVED when they are
 * about to be removed (exit or dlclose), before their memory goes away: tp
 * must not be used after fn returns from that event. fn runs with the
 * registry locked: it may look tracepoints up, walk them, and register and
 * unregister probes (by pointer or by name), but must not dlopen or dlclose,
 * nor register or unregister notifiers, nor call anything that takes the
 * dynamic loader's lock (dlsym(), dladdr()): a thread in dlopen() or
 * dlclose() holds that lock while it waits for the registry, so both would
 * wait for each other. May block; not inside a probe.
 *
 * Return: 0; -EINVAL for a NULL fn; -EEXIST when (fn, data) is registered;
 * -ENOMEM.
 */
TPS_EXPORT int tps_tracepoint_notifier_register(void (*fn)(void *data, struct tps_tracepoint *tp,
                                                           int event),
                                                void *data);

/**
 * tps_tracepoint_notifier_unregister() - stop calling (fn, data). Once it
 * returns, fn is not running and will not be called. May block; not inside
 * a notifier callback.
 *
 * Return: 0; -EINVAL for a NULL fn; -ENOENT when (fn, data) is not
 * registered.
 */
TPS_EXPORT int tps_tracepoint_notifier_unregister(void (*fn)(void *data, struct tps_tracepoint *tp,
                                                             int event),
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
 * Does not block. Return: 0, or -EINVAL for a NULL argument.
 */
TPS_EXPORT int tps_tracepoint_call_rcu(const struct tps_tracepoint *tp, struct tps_rcu_head *head,
                                       tps_rcu_callback_t func);

/**
 * tps_tracepoint_recursion_drops() - tracepoint hits dropped because they
 * came from inside a probe of the same thread. Any context.
 */
TPS_EXPORT unsigned long tps_tracepoint_recursion_drops(void);

/**
 * tps_tracepoint_lookup() - a tracepoint of the executable or a loaded
 * shared object with this full name, or NULL. When several objects define
 * it, one of them (use tps_tracepoint_for_each() or attach by name to reach
 * all). May block (registry mutex); not inside a probe.
 */
TPS_EXPORT struct tps_tracepoint *tps_tracepoint_lookup(const char *name);
/**
 * tps_tracepoint_for_each() - call cb for each registered tracepoint until
 * it returns non-zero, which is returned (0 when the walk completes;
 * -EINVAL for a NULL cb). cb runs with the registry locked: it may look up,
 * register and unregister probes; it must not dlopen/dlclose, nor call
 * dlsym() or dladdr() (see tps_tracepoint_notifier_register()). May block.
 */
TPS_EXPORT int tps_tracepoint_for_each(int (*cb)(struct tps_tracepoint *tp, void *arg), void *arg);
/**
 * tps_tracepoint_name() - tp's full name ("provider:event", or "event"
 * without a provider); NULL for a NULL tp. Any context; tp must be alive.
 */
TPS_EXPORT const char *tps_tracepoint_name(const struct tps_tracepoint *tp);
/**
 * tps_tracepoint_signature() - tp's parameter list, the text of its
 * TPS_PROTO with whitespace normalized ("int id, long us"; "void" when
 * empty); NULL for a NULL tp or one not in the registry. Any context; tp
 * must be alive.
 */
TPS_EXPORT const char *tps_tracepoint_signature(const struct tps_tracepoint *tp);
/**
 * tps_tracepoint_is_faultable() - whether tp's probes run under tasks-trace
 * and may fault; false for NULL. Any context; tp must be alive.
 */
TPS_EXPORT bool tps_tracepoint_is_faultable(const struct tps_tracepoint *tp);

/* ---- Internal: used by the macros below. ---- */

TPS_EXPORT extern struct tps_tracepoint_func tps__tracepoint_empty[1];
/*
 * Registers the tracepoints of one object's section (idempotent), and
 * removes them. Named apart from the entry points of the shorter struct
 * tps_tracepoint (without proto and signature): an object built with that
 * layout fails to load (an undefined symbol) rather than have the library
 * read and write past its tracepoints.
 */
TPS_EXPORT void tps__tracepoint_section_register(struct tps_tracepoint *const *start,
                                                 struct tps_tracepoint *const *stop);
TPS_EXPORT void tps__tracepoint_section_unregister(struct tps_tracepoint *const *start);
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
/** TPS_PROTO(int id, long us): a tracepoint's parameter list (may be empty). */
#define TPS_PROTO(...) (__VA_ARGS__)
/** TPS_ARGS(id, us): the names of its parameters, in order (may be empty). */
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

#define TPS__STR_(...) #__VA_ARGS__
#define TPS__STR(...) TPS__STR_(__VA_ARGS__)

/*
 * The provider, read where a tracepoint is declared. TPS__HAS_PROVIDER is
 * 1 when TPS_TRACEPOINT_PROVIDER is defined (to an identifier), else 0:
 * undefined, the name pastes into TPS__NO_PROVIDER_TPS_TRACEPOINT_PROVIDER,
 * whose expansion moves 0 into second position.
 */
#define TPS__SECOND_(a, b, ...) b
#define TPS__SECOND(...) TPS__SECOND_(__VA_ARGS__)
#define TPS__NO_PROVIDER_TPS_TRACEPOINT_PROVIDER ~, 0
#define TPS__HAS_PROVIDER TPS__SECOND(TPS__CAT(TPS__NO_PROVIDER_, TPS_TRACEPOINT_PROVIDER), 1, ~)
#define TPS__PROVIDER_ID_0 tpsync
#define TPS__PROVIDER_ID_1 TPS_TRACEPOINT_PROVIDER
/* The SDT provider: TPS_TRACEPOINT_PROVIDER, or tpsync. */
#define TPS__PROVIDER_ID TPS__CAT(TPS__PROVIDER_ID_, TPS__HAS_PROVIDER)
#define TPS__FULL_NAME_0(tp) #tp
#define TPS__FULL_NAME_1(tp) TPS__STR(TPS_TRACEPOINT_PROVIDER) ":" #tp
/* "provider:tp", or "tp" without a provider. */
#define TPS__FULL_NAME(tp) TPS__CAT(TPS__FULL_NAME_, TPS__HAS_PROVIDER)(tp)

#if TPS__SDT
/*
 * The SDT probe of a call site: a nop and a .note.stapsdt entry (the
 * format of <sys/sdt.h>, whose argument-description macros are used),
 * whose semaphore address is the high half of the tracepoint's enabled
 * word, through the object-local symbol tps__sdt_sem_<tp> defined next to
 * the tracepoint. Where the tracepoint is defined in another object, the
 * weak symbol is 0: the probe is listed without a semaphore and fires only
 * while in-process probes are attached.
 */
#define TPS__SDT_SEM(tp) tps__sdt_sem_##tp
#define TPS__SDT_PROBE(provider, tp, args) TPS__SDT_PROBE_X(provider, tp, TPS__UNPAREN args)
#define TPS__SDT_PROBE_X(provider, tp, ...)                                                        \
	TPS__SDT_PROBE_N(provider, tp, TPS__SDT_NARGS(__VA_ARGS__), (__VA_ARGS__))
/* The number of arguments; with no named parameter, an empty list counts as omitted. */
#define TPS__SDT_NARGS(...) TPS__SDT_NARGS_(__VA_ARGS__)
#ifdef __cplusplus
/* C++ ISO modes keep the comma of ", ##__VA_ARGS__": __VA_OPT__ (see TPS__HAS_ARGS_). */
#define TPS__SDT_NARGS_(...) _SDT_NARG(0 __VA_OPT__(, ) __VA_ARGS__)
#else
#define TPS__SDT_NARGS_(...) _SDT_NARG(0, ##__VA_ARGS__)
#endif
/* clang-format off */
#define TPS__SDT_PROBE_N(provider, tp, n, arglist)                                                 \
	__asm__ __volatile__(                                                                      \
		".weak " TPS__STR(TPS__SDT_SEM(tp)) "\n"                                           \
		".hidden " TPS__STR(TPS__SDT_SEM(tp)) "\n"                                         \
		_SDT_DEF_MACROS                                                                    \
		"990:\t" TPS__STR(_SDT_NOP) "\n"                                                   \
		"\t.pushsection .note.stapsdt," TPS__STR(_SDT_ASM_AUTOGROUP) ",\"note\"\n"          \
		"\t.balign 4\n"                                                                    \
		"\t.4byte 992f-991f, 994f-993f, " TPS__STR(_SDT_NOTE_TYPE) "\n"                     \
		"991:\t.asciz " TPS__STR(_SDT_NOTE_NAME) "\n"                                      \
		"992:\t.balign 4\n"                                                                \
		"993:\t" TPS__STR(_SDT_ASM_ADDR) " 990b\n"                                         \
		"\t" TPS__STR(_SDT_ASM_ADDR) " _.stapsdt.base\n"                                   \
		"\t" TPS__STR(_SDT_ASM_ADDR) " " TPS__STR(TPS__SDT_SEM(tp)) "\n"                   \
		"\t.asciz \"" TPS__STR(provider) "\"\n"                                            \
		"\t.asciz \"" #tp "\"\n"                                                           \
		TPS__CAT(_SDT_ASM_TEMPLATE_, n)                                                    \
		_SDT_ASM_SUBSTR(\x00)                                                              \
		_SDT_UNDEF_MACROS                                                                  \
		"994:\t.balign 4\n"                                                                \
		"\t.popsection\n"                                                                  \
		:: TPS__CAT(_SDT_ASM_OPERANDS_, n) arglist);                                       \
	__asm__ __volatile__(_SDT_ASM_BASE)
/* clang-format on */
/* Fires the SDT probe when the kernel's semaphore (high half of w) is set. */
#define TPS__SDT_FIRE(tp, args, w)                                                                 \
	do {                                                                                       \
		if (tps_unlikely((w)&TPS__TP_SDT_MASK)) {                                          \
			TPS__SDT_PROBE(TPS__PROVIDER_ID, tp, args);                                \
		}                                                                                  \
	} while (0)
/* SDT tools find the semaphore in .probes (perf converts its address there). */
#define TPS__SDT_SECTION __attribute__((section(".probes")))
/* tps__sdt_sem_<tp>: the high half of tps__tp_<tp>.enabled, local to the object. */
/* clang-format off */
#define TPS__SDT_DEFINE_SEM(tp)                                                                    \
	__asm__(".weak " TPS__STR(TPS__SDT_SEM(tp)) "\n"                                           \
		".hidden " TPS__STR(TPS__SDT_SEM(tp)) "\n"                                         \
		".set " TPS__STR(TPS__SDT_SEM(tp)) ", tps__tpl_" #tp " + "                         \
		TPS__STR(__SIZEOF_POINTER__) " + " TPS__STR(TPS__TP_SDT_BYTE) "\n")
/* clang-format on */
#else
#define TPS__SDT_FIRE(tp, args, w) ((void)(w))
#define TPS__SDT_SECTION
#define TPS__SDT_DEFINE_SEM(tp) struct tps__tp_no_sdt_##tp
#endif

/* A typed probe argument: a probe of any other prototype is a compile error. */
#ifdef __cplusplus
#define TPS__PROBE_ARG_TYPEDEF(tp) typedef tps__probe_##tp##_t tps__probe_arg_##tp##_t
#define TPS__PROBE_FN(arg) (arg)
#else
/*
 * A one-member transparent union: the argument must have the member's
 * type exactly (an error, not a warning, with every gcc and clang), and it
 * is passed as that member. No diagnostic setting of the user's file
 * changes.
 */
#define TPS__PROBE_ARG_TYPEDEF(tp)                                                                 \
	typedef union {                                                                            \
		tps__probe_##tp##_t tps__fn;                                                       \
	} __attribute__((transparent_union)) tps__probe_arg_##tp##_t
#define TPS__PROBE_FN(arg) ((arg).tps__fn)
#endif

/*
 * The tracepoint's variable has C linkage, also in C++ and inside a
 * namespace: the SDT note and the registry refer to it by its C name, and C
 * and C++ files share it.
 *
 * The declaration is weak, and nothing of the object refers to the instance
 * by name but its data word (below, TPS__TP_WORD()) and, from data,
 * TPS__TP_NEED(): a direct access to a library's instance from an
 * executable would make the linker move the instance into the executable (a
 * copy relocation), leaving the library's SDT note, its section and its own
 * call sites to a word the executable does not read. The definition has no
 * visibility attribute: under -fvisibility=hidden the object keeps its
 * instance to itself.
 *
 * A reference by that name goes through the dynamic linker to the first
 * definition in the global scope, which need not be the object's own. So
 * the generated functions reach the instance through the object's word
 * (tps__tp_of_<tp>(), TPS__TP_WORD: one load, where a reference by name is
 * one load from the GOT), which the object's TPS_TRACEPOINT_DEFINE(), if
 * any, defines to hold the object's own instance, reached by tps__tpl_<tp>,
 * a hidden alias of the definition. The object's section of tracepoints and
 * its SDT semaphore use the alias too. A call site in the file that defines
 * the tracepoint in an executable costs one load more than a direct access
 * (the word, then the enabled word).
 *
 * A known limit remains: a defining object still refers by name to
 * tps__tp_<tp> (the weak words of its other files) and to tps__tpdef_<tp>
 * (TPS__TP_NEED), and the dynamic linker binds these to the first
 * definition in the global scope. glibc then keeps that first object loaded
 * as long as the later one is: dlclose() of the first of two objects in the
 * global scope that define a tracepoint neither unloads it nor removes its
 * instance from the registry until the other one is closed too. Each
 * object's call sites still fire its own instance meanwhile.
 */
#ifdef __cplusplus
#define TPS__EXTERN_C extern "C"
#else
#define TPS__EXTERN_C extern
#endif
#define TPS__TP_DECL_ATTRS __attribute__((weak))
/*
 * The object's word for tracepoint tp, tps__tpp_<tp>: hidden, one per
 * object, the instance the object's generated functions use. Defined in
 * assembler, only where it is used, by the first generated function of a
 * file that reaches it (TPS__TP_WORD_USE(), guarded by .ifndef: several
 * uses, or declarations in several C++ namespaces, define it once): weak,
 * holding the first definition in the global scope, by a data relocation by
 * name (also in position-dependent code: an address of the instance in the
 * code would make the linker copy a library's instance into the
 * executable, where the library's own call sites would not see it). The
 * file that defines the tracepoint defines the word first (compilers emit
 * top-level assembler before functions), strong and holding the object's own
 * instance (TPS__TP_DEFINE_WORD()), which the linker prefers to the weak
 * ones of the object's other files: the object's call sites fire its own
 * instance from the start, before any constructor. The generated functions
 * are always_inline, so that the use lands in the calling function. A known
 * limit: where gcc emits a use of the defining file before the definition's
 * assembler (gcc keeps source order at -O0 and with -fno-toplevel-reorder:
 * a function of that file using the tracepoint above
 * TPS_TRACEPOINT_DEFINE(), or the address of a generated function taken),
 * that file's word is the weak one, which the definition's constructor then
 * points at the object's instance before the object's tracepoints are
 * registered: in a second definer of the global scope, a call site run
 * before that, or a typed probe attached before it, uses the first
 * definer's instance. Put TPS_TRACEPOINT_DEFINE() above the file's uses.
 * Atomic: a thread may run a call site of an object whose constructors
 * still run.
 */
#define TPS__TP_WORD(tp) tps__tpp_##tp
#define TPS__TP_WORD_DECL(tp)                                                                      \
	TPS__EXTERN_C TPS__ATOMIC(struct tps_tracepoint *) TPS__TP_WORD(tp)                        \
	        __attribute__((visibility("hidden")))
/* clang-format off */
#define TPS__TP_WORD_ASM(tp, bind, value)                                                          \
	".ifndef tps__tpp_" #tp "\n"                                                                \
	"\t.pushsection .data.tps__tpp_" #tp ",\"aw\"\n"                                            \
	"\t.balign " TPS__STR(__SIZEOF_POINTER__) "\n"                                             \
	"\t" bind " tps__tpp_" #tp "\n"                                                            \
	"\t.hidden tps__tpp_" #tp "\n"                                                             \
	"\t.type tps__tpp_" #tp ", %object\n"                                                      \
	"\t.size tps__tpp_" #tp ", " TPS__STR(__SIZEOF_POINTER__) "\n"                             \
	"tps__tpp_" #tp ":\n"                                                                      \
	"\t.dc.a " value "\n"                                                                      \
	"\t.popsection\n"                                                                          \
	".endif\n"
#define TPS__TP_WORD_USE(tp)                                                                       \
	__asm__ __volatile__(".weak tps__tp_" #tp "\n"                                            \
		TPS__TP_WORD_ASM(tp, ".weak", "tps__tp_" #tp))
#define TPS__TP_DEFINE_WORD(tp)                                                                    \
	__asm__(TPS__TP_WORD_ASM(tp, ".globl", "tps__tpl_" #tp))
/* clang-format on */
/*
 * The object's own name for the instance, tps__tpl_<tp>: a hidden alias,
 * declared only here (an alias cannot follow a plain declaration). An alias
 * the compiler knows, not an assembler equate: link-time optimization keeps
 * it with the instance whatever partition the instance lands in.
 */
#define TPS__TP_DEFINE_LOCAL(tp)                                                                   \
	TPS__EXTERN_C struct tps_tracepoint tps__tpl_##tp                                          \
	        __attribute__((alias("tps__tp_" #tp), visibility("hidden"), used))

/*
 * The weak declaration alone would turn a tracepoint that no object defines
 * into a call site that faults. Every generated function that reaches the
 * variable also refers, from a data word, to tps__tpdef_<tp>, a strong
 * symbol that only TPS_TRACEPOINT_DEFINE() defines: an executable that uses
 * a tracepoint no linked object defines fails to link, and a shared object
 * fails to load, as with a plain extern variable; two definitions in one
 * link are a duplicate symbol. The code that holds the reference refers to
 * the data word in turn, by a relocation that changes no byte
 * (BFD_RELOC_NONE): the word stays as long as that code does, also when the
 * linker drops unreferenced sections (--gc-sections). Section directives
 * and a relocation only: no instruction.
 */
#define TPS__TP_NEED(tp)                                                                           \
	__asm__(".pushsection .data.tps_tpdef_refs,\"aw\"\n\t.balign " TPS__STR(                   \
	        __SIZEOF_POINTER__) "\n9971:\t.dc.a tps__tpdef_" #tp                               \
	                            "\n\t.popsection\n\t.reloc ., BFD_RELOC_NONE, 9971b")

/*
 * The generated functions: a file need not use them all (clang warns
 * otherwise). Folded into their callers also at -O0, so that the assembler
 * that defines the object's word (TPS__TP_WORD_USE()) lands in the caller,
 * which usually comes after TPS_TRACEPOINT_DEFINE() in its file.
 */
#define TPS__TP_INLINE static inline __attribute__((always_inline, unused))

#define TPS__TRACEPOINT_DECLARE(tp, proto, args, faultable, proto_text)                            \
	TPS__EXTERN_C struct tps_tracepoint tps__tp_##tp TPS__TP_DECL_ATTRS;                       \
	TPS__TP_WORD_DECL(tp);                                                                     \
	enum { tps__tp_faultable_##tp = (faultable) };                                             \
	/* The object's own instance where it defines tp, else the global scope's. */              \
	TPS__TP_INLINE struct tps_tracepoint *tps__tp_of_##tp(void)                                \
	{                                                                                          \
		TPS__TP_WORD_USE(tp);                                                              \
		return tps__atomic_load(&TPS__TP_WORD(tp), TPS__MO_RELAXED);                       \
	}                                                                                          \
	/* Read where the tracepoint is defined; the provider is taken from here. */               \
	static const char tps__tp_name_##tp[] __attribute__((unused)) = TPS__FULL_NAME(tp);        \
	static const char tps__tp_proto_##tp[] __attribute__((unused)) = proto_text;               \
	typedef void (*tps__probe_##tp##_t)(TPS__DATA_PARAMS(proto));                              \
	TPS__PROBE_ARG_TYPEDEF(tp);                                                                \
	/* The iterator: out of line, so the call site stays one load and a branch. */             \
	static __attribute__((noinline, unused)) void tps__do_trace_##tp(TPS__PARAMS(proto))       \
	{                                                                                          \
		/* Its caller, a call site, defined the word (TPS__TP_WORD_USE()). */              \
		struct tps_tracepoint *tps__tp =                                                   \
		        tps__atomic_load(&TPS__TP_WORD(tp), TPS__MO_RELAXED);                      \
		struct tps_tracepoint_func *it;                                                    \
		void (*fn)(void);                                                                  \
		int tps__w;                                                                        \
                                                                                                   \
		TPS__TP_NEED(tp);                                                                  \
		tps__w = tps__atomic_load(&tps__tp->enabled, TPS__MO_RELAXED);                     \
		TPS__SDT_FIRE(tp, args, tps__w);                                                   \
		if (!(tps__w & TPS__TP_PROBES_MASK) || !tps__tracepoint_enter())                   \
			return;                                                                    \
		TPS__TRACE_LOCK_##faultable();                                                     \
		for (it = tps__tracepoint_funcs(tps__tp);                                          \
		     (fn = tps__tracepoint_func_of(it)) != NULL; it++)                             \
			((tps__probe_##tp##_t)(void *)fn)(TPS__DATA_ARGS(it->data, args));         \
		TPS__TRACE_UNLOCK_##faultable();                                                   \
		tps__tracepoint_exit();                                                            \
	}                                                                                          \
	TPS__TP_INLINE void tps_trace_##tp(TPS__PARAMS(proto))                                     \
	{                                                                                          \
		if (tps_unlikely(tps__atomic_load(&tps__tp_of_##tp()->enabled, TPS__MO_RELAXED)))  \
			tps__do_trace_##tp args;                                                   \
	}                                                                                          \
	TPS__TP_INLINE bool tps_trace_##tp##_enabled(void)                                         \
	{                                                                                          \
		TPS__TP_NEED(tp);                                                                  \
		return tps_unlikely(                                                               \
		        tps__atomic_load(&tps__tp_of_##tp()->enabled, TPS__MO_RELAXED) != 0);      \
	}                                                                                          \
	TPS__TP_INLINE int tps_register_trace_prio_flags_##tp(                                     \
	        tps__probe_arg_##tp##_t tps__probe, void *data, int prio, unsigned int flags)      \
	{                                                                                          \
		TPS__TP_NEED(tp);                                                                  \
		return tps_tracepoint_probe_register(tps__tp_of_##tp(),                            \
		                                     (void (*)(void))TPS__PROBE_FN(tps__probe),    \
		                                     data, prio, flags);                           \
	}                                                                                          \
	/* Default priority; on a faultable tracepoint the probe may fault. */                     \
	TPS__TP_INLINE int tps_register_trace_##tp(tps__probe_arg_##tp##_t tps__probe, void *data) \
	{                                                                                          \
		TPS__TP_NEED(tp);                                                                  \
		return tps_tracepoint_probe_register(                                              \
		        tps__tp_of_##tp(), (void (*)(void))TPS__PROBE_FN(tps__probe), data,        \
		        TPS_PROBE_PRIO_DEFAULT, (faultable) ? TPS_PROBE_MAY_FAULT : 0u);           \
	}                                                                                          \
	TPS__TP_INLINE int tps_unregister_trace_##tp(tps__probe_arg_##tp##_t tps__probe,           \
	                                             void *data)                                   \
	{                                                                                          \
		TPS__TP_NEED(tp);                                                                  \
		return tps_tracepoint_probe_unregister(                                            \
		        tps__tp_of_##tp(), (void (*)(void))TPS__PROBE_FN(tps__probe), data);       \
	}                                                                                          \
	struct tps__tp_semicolon_##tp

/**
 * TPS_TRACEPOINT_DECLARE() - in a header: a tracepoint whose probes must
 * not block (they run inside classic readers).
 *
 * Declares, for tracepoint tp with parameters proto (TPS_PROTO(...)) and
 * arguments args (TPS_ARGS(...), the parameter names):
 * - tps_trace_tp(...): the call site; costs one load and a not-taken
 *   branch while nobody listens; any context where the probes may run.
 * - tps_trace_tp_enabled(): true while in-process probes are attached or
 *   an SDT tool listens; to prepare expensive arguments only then.
 * - tps_register_trace_tp(probe, data),
 *   tps_register_trace_prio_flags_tp(probe, data, prio, flags) and
 *   tps_unregister_trace_tp(probe, data): typed wrappers of
 *   tps_tracepoint_probe_register() / _unregister() (same errors); a probe
 *   whose prototype is not void (void *data, proto...) is a compile error.
 * When TPS_TRACEPOINT_PROVIDER is defined (to an identifier) before the
 * declaration, the tracepoint's full name is "provider:tp" and its SDT
 * probe is provider:tp; otherwise its name is "tp" and its SDT probe
 * tpsync:tp.
 */
#define TPS_TRACEPOINT_DECLARE(tp, proto, args) TPS__TRACEPOINT_DECLARE(tp, proto, args, 0, #proto)
/**
 * TPS_TRACEPOINT_DECLARE_FAULTABLE() - in a header: a tracepoint whose
 * probes may sleep and fault (they run inside tasks-trace readers); as
 * TPS_TRACEPOINT_DECLARE() otherwise.
 */
#define TPS_TRACEPOINT_DECLARE_FAULTABLE(tp, proto, args)                                          \
	TPS__TRACEPOINT_DECLARE(tp, proto, args, 1, #proto)

/*
 * Each executable or shared object registers its own section of tracepoint
 * pointers from a constructor and removes it from a destructor. The
 * section bounds are hidden, so each object finds its own.
 */
extern struct tps_tracepoint *const __start_tps_tracepoints[]
        __attribute__((weak, visibility("hidden")));
extern struct tps_tracepoint *const __stop_tps_tracepoints[]
        __attribute__((weak, visibility("hidden")));

/*
 * The first priority open to programs: an object's tracepoints are
 * registered before its own constructors of default priority run (which may
 * attach probes to them) and removed after its destructors of default
 * priority ran.
 */
#define TPS__TP_CTOR_PRIO 101

#define TPS__TRACEPOINT_DEFINE(tp, reg, unreg)                                                     \
	TPS__SDT_SECTION struct tps_tracepoint tps__tp_##tp = {                                    \
	        .name = tps__tp_name_##tp,                                                         \
	        .enabled = 0,                                                                      \
	        .flags = tps__tp_faultable_##tp ? TPS_TRACEPOINT_FAULTABLE : 0u,                   \
	        .funcs = tps__tracepoint_empty,                                                    \
	        .regfunc = (reg),                                                                  \
	        .unregfunc = (unreg),                                                              \
	        .proto = tps__tp_proto_##tp,                                                       \
	        .signature = NULL,                                                                 \
	};                                                                                         \
	/* The object's own name for it, and its word pointing there. */                           \
	TPS__TP_DEFINE_LOCAL(tp);                                                                  \
	TPS__TP_DEFINE_WORD(tp);                                                                   \
	/* What TPS__TP_NEED() refers to: defined here only (in a section of its */                \
	/* own, which AddressSanitizer leaves alone: objects may each define it). */               \
	TPS__EXTERN_C char tps__tpdef_##tp;                                                        \
	char tps__tpdef_##tp __attribute__((used, section("tps_tpdefs"))) = 0;                     \
	TPS__SDT_DEFINE_SEM(tp);                                                                   \
	static struct tps_tracepoint *const tps__tp_ptr_##tp                                       \
	        __attribute__((used, section("tps_tracepoints"), aligned(sizeof(void *)))) =       \
	                &tps__tpl_##tp;                                                            \
	__attribute__((constructor(TPS__TP_CTOR_PRIO))) static void tps__tp_ctor_##tp(void)        \
	{                                                                                          \
		/* Its word holds it already, unless functions came first (see TPS__TP_WORD). */   \
		tps__atomic_store(&TPS__TP_WORD(tp), &tps__tpl_##tp, TPS__MO_RELAXED);             \
		tps__tracepoint_section_register(__start_tps_tracepoints, __stop_tps_tracepoints); \
	}                                                                                          \
	__attribute__((destructor(TPS__TP_CTOR_PRIO))) static void tps__tp_dtor_##tp(void)         \
	{                                                                                          \
		tps__tracepoint_section_unregister(__start_tps_tracepoints);                       \
	}                                                                                          \
	struct tps__tp_semicolon_def_##tp

/**
 * TPS_TRACEPOINT_DEFINE() - in exactly one .c file of the executable or
 * shared object: defines a declared tracepoint (normal or faultable) and
 * registers it, from a constructor, in the registry (and removes it, from a
 * destructor, at exit or dlclose). The object owns this instance: its call
 * sites fire it even when another object in the global scope defines the
 * same tracepoint. Objects that declare the tracepoint without defining it
 * (an executable using a library's tracepoint through its header) reach the
 * first definition in the global scope; where no linked object defines it,
 * the executable fails to link (a shared object, to load). Where this object
 * is in the global scope, an object loaded after it that defines or uses the
 * same tracepoint refers to this one's by name: while that object stays
 * loaded, dlclose() of this one does not unload it. When probes were
 * attached to the object's tracepoints, dlclose() waits for a grace period
 * of each flavour they ran under before it returns: afterwards no probe runs
 * in the object's tracepoints. So such a dlclose() must not be called from
 * inside a reader or a probe; and since it waits holding the dynamic
 * loader's lock, no reader or probe (a faultable one may block) that may be
 * running meanwhile may wait for that lock: no dlopen(), dlclose(), dlsym()
 * or dladdr() in a probe (nor glibc's first backtrace(), which loads
 * libgcc_s). At exit nothing is waited for.
 */
#define TPS_TRACEPOINT_DEFINE(tp) TPS__TRACEPOINT_DEFINE(tp, NULL, NULL)
/**
 * TPS_TRACEPOINT_DEFINE_FN() - TPS_TRACEPOINT_DEFINE() with hooks:
 * int regfunc(void) runs when the first probe attaches (a non-zero return
 * refuses the probe), void unregfunc(void) when the last one leaves; both
 * under the registration mutex. Either may be NULL.
 */
#define TPS_TRACEPOINT_DEFINE_FN(tp, regfunc, unregfunc)                                           \
	TPS__TRACEPOINT_DEFINE(tp, regfunc, unregfunc)

#ifdef __cplusplus
}
#endif

#endif /* TPSYNC_TRACEPOINT_H */
