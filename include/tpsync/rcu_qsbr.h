/* SPDX-License-Identifier: MIT */
/** @file
 * tpsync/rcu_qsbr.h - the QSBR flavour (quiescent-state-based reclamation):
 * the RCU of non-preemptible kernels, where readers cost nothing and
 * threads announce when they hold no reference.
 *
 * A QSBR thread announces itself with tps_qsbr_register_thread() and is
 * then "online": between two calls of tps_qsbr_quiescent_state() it may
 * read RCU-protected data, with or without tps_qsbr_read_lock() /
 * tps_qsbr_read_unlock() around the accesses (they compile to nothing
 * outside debug builds, where they check the rules below). Each call of
 * tps_qsbr_quiescent_state() says "I hold no reference now". A thread about
 * to block for long (I/O, sleeping, waiting for work) goes offline with
 * tps_qsbr_thread_offline(): grace periods ignore it until it comes back
 * with tps_qsbr_thread_online(). Offline is the userspace form of the
 * kernel's RCU-idle: no reader may run there (tps_rcu_is_watching() says
 * whether one may).
 *
 * A grace period (tps_synchronize_qsbr()) advances a global counter and
 * waits until every online registered thread has copied it at a quiescent
 * state or gone offline. Threads that never registered are not waited for
 * and must not read.
 *
 * Rules, checked in debug builds (TPSYNC_DEBUG: abort with a message naming
 * the rule): no quiescent state, offline or exit inside a reader; no reader
 * in an offline or unregistered thread; no synchronize, barrier or
 * cond_synchronize inside a reader. Release builds keep no reader record.
 */
#ifndef TPSYNC_RCU_QSBR_H
#define TPSYNC_RCU_QSBR_H

#include <tpsync/core.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Internal state used by the inline fast paths. ---- */

/* The grace-period counter and the futex an updater sleeps on. */
struct tps__qsbr_gp {
	/*
	 * Advances by one at each grace period, never 0 (0 means offline).
	 * 64 bits on every ABI: it never wraps, so a thread's stale copy can
	 * never equal it again (no two-phase wait, even on 32-bit targets).
	 */
	TPS__ALIGNAS(64) TPS__ATOMIC(unsigned long long) ctr;
	/* -1 while an updater sleeps waiting for threads, 0 otherwise. */
	TPS__ATOMIC(int) futex;
};

/* A QSBR thread's record, in its initial-exec TLS. */
struct tps__qsbr_thread {
	/*
	 * 0 offline or unregistered; otherwise the counter it last copied.
	 * Aligned explicitly: i386 compilers disagree on the default.
	 */
	TPS__ALIGNAS(8) TPS__ATOMIC(unsigned long long) ctr;
	/* Set by an updater about to sleep until this thread reports. */
	TPS__ATOMIC(int) wake;
	/* Reader nesting: kept by debug builds only (same layout in both). */
	TPS__ATOMIC(unsigned int) nesting;
	/*
	 * Written by the owning thread only; read by its signal handlers too
	 * (tps_rcu_is_watching()), hence atomic (relaxed).
	 */
	TPS__ATOMIC(int) registered;
	/* QSBR registry links: protected by its mutex (lib/rcu_qsbr.c). */
	struct tps__qsbr_thread *next;
	struct tps__qsbr_thread *prev;
};

/*
 * The counters are read by signal handlers and by other threads without a
 * lock: 64-bit atomics must be lock-free (not libatomic's lock table, which
 * the library's inline accesses would bypass). i586 and later, and every
 * 64-bit target, qualify.
 */
#ifdef __cplusplus
static_assert(__atomic_always_lock_free(sizeof(unsigned long long), 0),
              "tpsync QSBR needs lock-free 64-bit atomics (on x86-32, -march=i586 or later)");
#else
_Static_assert(__atomic_always_lock_free(sizeof(unsigned long long), 0),
               "tpsync QSBR needs lock-free 64-bit atomics (on x86-32, -march=i586 or later)");
#endif

extern TPS_EXPORT struct tps__qsbr_gp tps__qsbr_gp;
extern TPS_EXPORT __thread struct tps__qsbr_thread tps__qsbr_self
        __attribute__((tls_model("initial-exec")));
TPS_EXPORT void tps__qsbr_report(unsigned long long ctr);
TPS_EXPORT void tps__qsbr_wake_updater(void);

/* Deepest reader nesting debug builds count. */
#define TPS__QSBR_NEST_MAX 0xffffu

/* ---- Readers. ---- */

/**
 * tps_qsbr_read_lock() - mark the start of a QSBR read-side critical section.
 *
 * Compiles to nothing outside debug builds: in QSBR, the whole time between
 * two quiescent states of an online thread is a read-side critical section.
 * The marks document the code and let debug builds check the rules: a
 * reader in an offline or unregistered thread aborts ("qsbr-reader-offline").
 * Nestable; never blocks; async-signal-safe (a handler may read when it
 * interrupted an online thread).
 */
static inline void tps_qsbr_read_lock(void)
{
#if TPSYNC_DEBUG
	struct tps__qsbr_thread *t = &tps__qsbr_self;
	unsigned int n = tps__atomic_load(&t->nesting, TPS__MO_RELAXED);

	if (tps_unlikely(!tps__atomic_load(&t->registered, TPS__MO_RELAXED) ||
	                 !tps__atomic_load(&t->ctr, TPS__MO_RELAXED)))
		tps__rule_broken("qsbr-reader-offline",
		                 "tps_qsbr_read_lock in a thread that is offline or not registered "
		                 "with tps_qsbr_register_thread()");
	if (tps_unlikely(n == TPS__QSBR_NEST_MAX))
		tps__rule_broken("qsbr-nesting", "tps_qsbr_read_lock nested too deep");
	tps__atomic_store(&t->nesting, n + 1, TPS__MO_RELAXED);
	tps_barrier();
#endif
}

/**
 * tps_qsbr_read_unlock() - mark the end of a QSBR read-side critical section.
 *
 * Compiles to nothing outside debug builds; there, an unlock without a lock
 * aborts ("qsbr-unbalanced"). Never blocks; async-signal-safe.
 */
static inline void tps_qsbr_read_unlock(void)
{
#if TPSYNC_DEBUG
	struct tps__qsbr_thread *t = &tps__qsbr_self;
	unsigned int n = tps__atomic_load(&t->nesting, TPS__MO_RELAXED);

	tps_barrier();
	if (tps_unlikely(n == 0))
		tps__rule_broken("qsbr-unbalanced",
		                 "tps_qsbr_read_unlock without a matching tps_qsbr_read_lock");
	tps__atomic_store(&t->nesting, n - 1, TPS__MO_RELAXED);
#endif
}

/**
 * tps_qsbr_read_ongoing() - is the calling thread inside a QSBR reader?
 *
 * Debug builds only know: release builds keep no record and return false.
 */
static inline bool tps_qsbr_read_ongoing(void)
{
#if TPSYNC_DEBUG
	return tps__atomic_load(&tps__qsbr_self.nesting, TPS__MO_RELAXED) != 0;
#else
	return false;
#endif
}

/**
 * tps_rcu_is_watching() - may the calling thread run a QSBR reader?
 *
 * True only in a thread registered with tps_qsbr_register_thread() and
 * online: the kernel's rcu_is_watching() for QSBR. Never blocks;
 * async-signal-safe. A signal handler that reads when it returns true must
 * issue tps_smp_mb() first: it may have interrupted
 * tps_qsbr_thread_online() between its store and its fence.
 */
static inline bool tps_rcu_is_watching(void)
{
	return tps__atomic_load(&tps__qsbr_self.registered, TPS__MO_RELAXED) &&
	       tps__atomic_load(&tps__qsbr_self.ctr, TPS__MO_RELAXED) != 0;
}

/**
 * tps_qsbr_quiescent_state() - announce that the calling thread holds no
 * reference to QSBR-protected data.
 *
 * The fast path is inline: one load of the global counter, one of the
 * thread's copy and a compare; only when a grace period has started since
 * the last call does it store the new value (out of line, with a full
 * fence, and a wake-up when the updater sleeps). A no-op in an offline or
 * unregistered thread. Never blocks. Inside a reader (debug builds) it
 * aborts: "qsbr-qs-in-reader".
 */
static inline void tps_qsbr_quiescent_state(void)
{
	struct tps__qsbr_thread *t = &tps__qsbr_self;
	unsigned long long c;

#if TPSYNC_DEBUG
	if (tps_unlikely(tps__atomic_load(&t->nesting, TPS__MO_RELAXED)))
		tps__rule_broken("qsbr-qs-in-reader",
		                 "tps_qsbr_quiescent_state called inside a QSBR read-side critical "
		                 "section");
#endif
	/*
	 * (Q1) relaxed: when the value is the one already copied, nothing is
	 * reported and nothing needs ordering. tps__qsbr_report() issues the
	 * acquire fence (Q2) that makes this load pair with (QG1).
	 */
	c = tps__atomic_load(&tps__qsbr_gp.ctr, TPS__MO_RS_RELAXED);
	if (tps_likely(c == tps__atomic_load(&t->ctr, TPS__MO_RELAXED)))
		return;
	tps__qsbr_report(c);
}

/**
 * tps_qsbr_thread_offline() - the calling thread stops reading: grace
 * periods no longer wait for it (the userspace form of RCU-idle).
 *
 * Call it before blocking for long. A release store, a full fence and, when
 * an updater sleeps waiting for this thread, a wake-up. A no-op when the
 * thread is already offline or not registered. Never blocks. Inside a
 * reader (debug builds) it aborts: "qsbr-offline-in-reader".
 */
static inline void tps_qsbr_thread_offline(void)
{
	struct tps__qsbr_thread *t = &tps__qsbr_self;

#if TPSYNC_DEBUG
	if (tps_unlikely(tps__atomic_load(&t->nesting, TPS__MO_RELAXED)))
		tps__rule_broken("qsbr-offline-in-reader",
		                 "tps_qsbr_thread_offline called inside a QSBR read-side critical "
		                 "section");
#endif
	if (tps_unlikely(!tps__atomic_load(&t->ctr, TPS__MO_RELAXED)))
		return;
	/*
	 * (F1) release: the accesses of the thread's readers are complete
	 * before an updater's acquire scan (QG3) sees it offline.
	 */
	tps__atomic_store(&t->ctr, 0, TPS__MO_RS_RELEASE);
	/*
	 * (F2) full fence, pairs with (QG4) in wait_for_threads(): either the
	 * updater's rescan sees 0, or the load below sees the wake flag it set
	 * before (QG4), and this thread wakes it.
	 */
	tps_smp_mb();
	if (tps_unlikely(tps__atomic_load(&t->wake, TPS__MO_RS_RELAXED)))
		tps__qsbr_wake_updater();
}

/**
 * tps_qsbr_thread_online() - the calling thread may read again: grace
 * periods that start from now on wait for its quiescent states.
 *
 * One load, one store and a full fence. A no-op when the thread is already
 * online or not registered. Never blocks.
 */
static inline void tps_qsbr_thread_online(void)
{
	struct tps__qsbr_thread *t = &tps__qsbr_self;

	if (tps_unlikely(!tps__atomic_load(&t->registered, TPS__MO_RELAXED) ||
	                 tps__atomic_load(&t->ctr, TPS__MO_RELAXED)))
		return;
	tps__atomic_store(&t->ctr, tps__atomic_load(&tps__qsbr_gp.ctr, TPS__MO_RS_RELAXED),
	                      TPS__MO_RS_RELAXED);
	/*
	 * (O1) full fence, pairs with (QG2) in qsbr_gp(): store-buffer
	 * pattern. Either the updater's scan sees the counter stored above,
	 * or the readers that follow see every store the updater made before
	 * (QG2), its unpublish included. It also makes the load above an
	 * acquire: a thread that copied the new counter sees the unpublish.
	 */
	tps_smp_mb();
}

/* ---- Threads. ---- */

/**
 * tps_qsbr_register_thread() - announce the calling thread as a QSBR thread
 * and put it online.
 *
 * A QSBR thread must register before its first reader: QSBR threads are
 * never registered implicitly, since a grace period then waits for their
 * quiescent states. Unrelated to tps_register_thread() (the classic and
 * tasks-trace registry). May block briefly (takes the QSBR registry lock);
 * not async-signal-safe. A thread that exits registered is unregistered
 * (debug builds abort when it exits inside a reader: "exit-in-reader").
 *
 * Return: 0, -EEXIST when the thread is already registered, or -ENOMEM when
 * its exit handler cannot be installed (nothing is changed in either case).
 */
TPS_EXPORT int tps_qsbr_register_thread(void);

/**
 * tps_qsbr_unregister_thread() - the calling thread stops being a QSBR
 * thread: it goes offline and leaves the registry.
 *
 * May block briefly; not async-signal-safe.
 *
 * Return: 0, -ENOENT when the thread is not registered, or -EBUSY inside a
 * reader (debug builds, which know; nothing is changed in either case).
 */
TPS_EXPORT int tps_qsbr_unregister_thread(void);

/* ---- Updaters. ---- */

/**
 * tps_synchronize_qsbr() - wait for a QSBR grace period.
 *
 * Returns after every online registered thread has passed a quiescent state
 * (or gone offline, or unregistered) since the call began. The caller does
 * not wait for itself: an online caller goes offline for the wait (it is
 * quiescent for its own grace period) and comes back online; an offline or
 * unregistered caller just waits. Concurrent callers share grace periods.
 * Blocks; not async-signal-safe. Inside a reader (debug builds) it aborts:
 * "synchronize-in-reader".
 */
TPS_EXPORT void tps_synchronize_qsbr(void);

/**
 * tps_call_qsbr() - run func(head) after a QSBR grace period.
 *
 * Never waits for a grace period itself; may be called online, offline or
 * inside a reader. The callback runs on a worker thread that is not a QSBR
 * thread.
 *
 * Return: 0, or -EINVAL when head or func is NULL (nothing queued).
 */
TPS_EXPORT int tps_call_qsbr(struct tps_rcu_head *head, tps_rcu_callback_t func);

/**
 * tps_qsbr_barrier() - wait until every callback queued by tps_call_qsbr()
 * before this call has run.
 *
 * Callable online (the caller is offline while it waits) or offline. Blocks;
 * not a cancellation point (a cancel request waits for the next one).
 * Aborts (every build) inside a QSBR callback, where it would wait for
 * itself ("barrier-in-callback"), and inside a reader in debug builds
 * ("barrier-in-reader").
 */
TPS_EXPORT void tps_qsbr_barrier(void);

/**
 * tps_defer_qsbr() - run fn(arg) after a QSBR grace period; tps_defer_rcu()
 * for the QSBR flavour, with the same bound (4,096 calls in flight per
 * thread, all flavours together). Past the bound the caller waits with
 * tps_synchronize_qsbr() (an online caller is offline while it waits) and
 * runs fn(arg) itself. Not inside a reader.
 *
 * Return: 0, or -EINVAL when fn is NULL.
 */
TPS_EXPORT int tps_defer_qsbr(void (*fn)(void *arg), void *arg);

/**
 * tps_get_state_synchronize_qsbr() - a cookie for
 * tps_poll_state_synchronize_qsbr() and tps_cond_synchronize_qsbr().
 * Includes a full barrier. Never blocks; callable anywhere a thread may run.
 */
TPS_EXPORT unsigned long tps_get_state_synchronize_qsbr(void);

/**
 * tps_poll_state_synchronize_qsbr() - has a full QSBR grace period elapsed
 * since cookie was taken? Never blocks; acquire semantics when true.
 */
TPS_EXPORT bool tps_poll_state_synchronize_qsbr(unsigned long cookie);

/**
 * tps_cond_synchronize_qsbr() - wait for a QSBR grace period only when none
 * has elapsed since cookie was taken. Same context rules as
 * tps_synchronize_qsbr().
 */
TPS_EXPORT void tps_cond_synchronize_qsbr(unsigned long cookie);

#ifdef __cplusplus
}
#endif

#endif /* TPSYNC_RCU_QSBR_H */
