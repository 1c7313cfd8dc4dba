/* SPDX-License-Identifier: MIT */
/** @file
 * tpsync/core.h - what every flavour shares: callback heads, pointer
 * publication, thread registration, the fence mode and the per-thread
 * record the inline read sides use.
 *
 * Every flavour header includes this one; users include the flavour headers.
 */
#ifndef TPSYNC_CORE_H
#define TPSYNC_CORE_H

#include <stdbool.h>

#include <tpsync/compiler.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * struct tps_rcu_head - embedded in an object to be reclaimed by a callback:
 * tps_call_rcu(&obj->head, fn), tps_call_srcu(&domain, &obj->head, fn),
 * tps_call_rcu_tasks_trace(&obj->head, fn). The callback receives the head;
 * tps_container_of() recovers the object.
 */
struct tps_rcu_head {
	/** Queue link, owned by the library while the callback is pending. */
	struct tps_rcu_head *next;
	/** The callback, set by the call_* function. */
	void (*func)(struct tps_rcu_head *head);
};

/** A callback of tps_call_rcu() and the other call_* functions. */
typedef void (*tps_rcu_callback_t)(struct tps_rcu_head *head);

/*
 * Pointer publication, for plain pointer variables, serving every flavour.
 *
 * tps_rcu_dereference(p): load p for use inside a read-side critical
 * section. A consume load: it pairs with the release store of
 * tps_rcu_assign_pointer(), so the fields of the object are seen
 * initialized. (gcc and clang implement consume as acquire: free on x86.)
 *
 * tps_rcu_assign_pointer(p, v): publish v in p (a statement). A release
 * store: the initialization of *v is ordered before the publication.
 *
 * tps_rcu_xchg_pointer(&p, v): publish v and return the old value, with a
 * full barrier (as the kernel's xchg()).
 */
#if TPSYNC_SEQ_CST_READSIDE
#define TPS__MO_DEREF __ATOMIC_SEQ_CST
#else
#define TPS__MO_DEREF __ATOMIC_CONSUME
#endif
/** Load p inside a read-side critical section (consume; pairs with tps_rcu_assign_pointer()). */
#define tps_rcu_dereference(p) __atomic_load_n(&(p), TPS__MO_DEREF)
/** Publish v in p with a release store (a statement). */
#define tps_rcu_assign_pointer(p, v)                                                               \
	do {                                                                                       \
		__atomic_store_n(&(p), (v), __ATOMIC_RELEASE);                                     \
	} while (0)
/**
 * Publish v in *pp and return the old value, with a full barrier.
 *
 * (XP) The fence after the exchange makes it the full barrier promised: a
 * seq_cst RMW alone orders no later relaxed access in C11, nor on AArch64
 * without LSE. A compiler barrier on x86, where the xchg is the fence.
 */
#define tps_rcu_xchg_pointer(pp, v)                                                                \
	__extension__({                                                                            \
		__typeof__(*(pp)) tps__xchg_old =                                                  \
		        __atomic_exchange_n((pp), (v), __ATOMIC_SEQ_CST);                          \
		tps_smp_mb__after_atomic();                                                        \
		tps__xchg_old;                                                                     \
	})
/**
 * tps_rcu_cmpxchg_pointer(&p, old, v): if p holds old, publish v in it;
 * return the value p held before, old on success. A full barrier whether or
 * not it succeeds (as the kernel's cmpxchg() and liburcu's
 * rcu_cmpxchg_pointer()): (XP) as in tps_rcu_xchg_pointer(). A GNU C
 * statement expression.
 */
#define tps_rcu_cmpxchg_pointer(pp, old, v)                                                        \
	__extension__({                                                                            \
		__typeof__(*(pp)) tps__cmpxchg_old = (old);                                        \
		__atomic_compare_exchange_n((pp), &tps__cmpxchg_old, (v), 0, __ATOMIC_SEQ_CST,     \
		                            __ATOMIC_SEQ_CST);                                     \
		tps_smp_mb__after_atomic();                                                        \
		tps__cmpxchg_old;                                                                  \
	})
/** Load p for an updater holding the update-side lock: no ordering needed. */
#define tps_rcu_dereference_protected(p) __atomic_load_n(&(p), __ATOMIC_RELAXED)

/**
 * tps_register_thread() - register the calling thread with every flavour
 * that needs registered readers (classic, tasks-trace).
 *
 * Optional: the first read-side critical section registers the thread
 * anyway. Registering up front moves that cost out of the first reader.
 * Idempotent. May block briefly (takes the registry lock); async-signal-safe
 * on glibc (signals are blocked while the registry is changed).
 *
 * Signal handlers may run readers at any instant of a registered thread's
 * life: from the thread's exit destructor on, its signals stay blocked,
 * faults excepted (a signal sent to it then is discarded with it), and a
 * reader from then on (in a later key destructor, in a fault handler)
 * registers the thread for its critical section only. So does a reader
 * whose thread cannot arm its exit destructor (pthread_setspecific() fails
 * with ENOMEM); the next reader tries again. A thread whose very first
 * reader may run in a handler while the thread exits should register up
 * front: a handler that registers it after its last key destructor round
 * cannot know it, and leaves its record in the registry after the thread
 * is gone, where grace periods can wait for it forever (or another thread
 * reusing the memory corrupts the list).
 *
 * Return: 0 (also when already registered); -ENOMEM when the exit
 * destructor cannot be armed; -ESRCH when the thread's exit destructor has
 * run; -EBUSY inside a reader that registered the thread for that reader
 * only. Nothing is changed on failure.
 */
TPS_EXPORT int tps_register_thread(void);

/**
 * tps_unregister_thread() - remove the calling thread from the registry.
 *
 * Optional: a registered thread is unregistered at exit. A later read-side
 * critical section registers it again.
 *
 * Return: 0, or -EBUSY (nothing is changed then) when called inside a
 * read-side critical section of a flavour that registers threads, or from a
 * signal handler that interrupted this thread while it held the registry
 * (a grace period's scan, say): call it again outside the handler.
 */
TPS_EXPORT int tps_unregister_thread(void);

/** tps_thread_registered() - is the calling thread in the registry? Never blocks. */
TPS_EXPORT bool tps_thread_registered(void);

/**
 * tps_membarrier_enabled() - do the barrier-free read sides rely on
 * membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)?
 *
 * False when the kernel lacks it or when the fallback was forced by
 * TPSYNC_FORCE_FALLBACK=1 or tps_force_fallback(); read sides then issue
 * a full fence where they would otherwise issue a compiler barrier.
 */
TPS_EXPORT bool tps_membarrier_enabled(void);

/**
 * tps_force_fallback() - select the fallbacks at run time, as
 * TPSYNC_FORCE_FALLBACK=1 does: seq_cst fences instead of membarrier,
 * atomic increments instead of rseq.
 *
 * Return: 0, or -EBUSY once a thread has registered (the read sides of
 * registered threads already run in the other mode).
 */
TPS_EXPORT int tps_force_fallback(void);

/* ---- Internal: the per-thread record behind the inline read sides. ---- */

/*
 * Classic reader word (tps_thread.rcu_ctr): bits 0-15 nesting count, bit 16
 * the grace-period phase the outermost reader started in, bit 17 set when the
 * thread fences instead of relying on membarrier, bit 18 set while the thread
 * is registered. An idle registered thread holds exactly TPS__RCU_REGISTERED
 * (with TPS__RCU_FALLBACK in fallback mode), so the outermost lock and unlock
 * test one word and store a value they did not compute from it.
 */
#define TPS__RCU_NEST_MASK 0xffffUL
#define TPS__RCU_PHASE (1UL << 16)
#define TPS__RCU_FALLBACK (1UL << 17)
#define TPS__RCU_REGISTERED (1UL << 18)

/*
 * Tasks-trace reader word (tps_thread.trace_nesting): bits 0-15 nesting,
 * bit 17 fallback, bit 18 registered, as above.
 */
#define TPS__TRACE_NEST_MASK TPS__RCU_NEST_MASK
#define TPS__TRACE_FALLBACK TPS__RCU_FALLBACK
#define TPS__TRACE_REGISTERED TPS__RCU_REGISTERED

/** @cond INTERNAL */
/*
 * A thread's record, in its TLS (so no two threads' records share a cache
 * line). Not aligned further: a library loaded with dlopen() takes its
 * initial-exec TLS from a small reserve, which alignment padding could
 * exhaust.
 */
struct tps_thread {
	/* Read-side words, written by the owning thread only. */
	TPS__ATOMIC(unsigned long) rcu_ctr;
	TPS__ATOMIC(unsigned long) trace_nesting;
	/* Set by a classic updater about to sleep until this reader leaves. */
	TPS__ATOMIC(int) rcu_wake;
	/* Set by a tasks-trace grace period, cleared by whoever reports first. */
	TPS__ATOMIC(int) trace_need_qs;
	/*
	 * Tracepoint recursion guard (owning thread and its signal handlers):
	 * atomic, as C11 asks of objects a signal handler shares; relaxed.
	 */
	TPS__ATOMIC(unsigned int) tp_recursion;
	/*
	 * Registry (lib/registry.c), under its lock: the record's index in
	 * the registry's table, or -1 while it is on the list (linked by next
	 * and prev) of records that found no room in the table.
	 */
	struct tps_thread *next;
	struct tps_thread *prev;
	int index;
	/*
	 * Owning thread only (signals blocked while it changes): 0, or in the
	 * registry for good (1) or for its open critical sections only (2).
	 */
	int registered;
};
/** @endcond */

/*
 * tps__rule_broken() - report a broken rule of the model ("rule" names it)
 * and abort. Used by debug checks and by the checks every build keeps.
 */
TPS_EXPORT TPS__NORETURN TPS__COLD void tps__rule_broken(const char *rule, const char *detail);

/** @cond INTERNAL */
extern TPS_EXPORT __thread struct tps_thread tps__self __attribute__((tls_model("initial-exec")));
/** @endcond */

#ifdef __cplusplus
}
#endif

#endif /* TPSYNC_CORE_H */
