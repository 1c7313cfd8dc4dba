/* SPDX-License-Identifier: MIT */
/** @file
 * tpsync/rcu_trace.h - the tasks-trace flavour: kernel RCU Tasks Trace.
 *
 * Readers: tps_rcu_read_lock_trace() / tps_rcu_read_unlock_trace(), inline,
 * nestable, no fence and no global variable touched on the fast path (with
 * membarrier; in fallback mode they fence). Unlike classic readers they may
 * sleep, block on I/O and take page faults for as long as they like; the
 * grace period simply waits. They work in signal handlers.
 *
 * Grace period: one membarrier, then every registered thread outside a
 * reader is quiescent; the others (holdouts) get a need_qs flag, a second
 * membarrier, and report at their outermost unlock. Whoever clears a
 * holdout's need_qs first (the updater's rescan or the thread itself)
 * counts it.
 */
#ifndef TPSYNC_RCU_TRACE_H
#define TPSYNC_RCU_TRACE_H

#include <tpsync/core.h>

#ifdef __cplusplus
extern "C" {
#endif

TPS_EXPORT void tps__trace_read_lock_slow(void);
TPS_EXPORT void tps__trace_read_unlock_slow(void);
TPS_EXPORT void tps__trace_report_qs(void);

/**
 * tps_rcu_read_lock_trace() - enter a tasks-trace read-side critical section.
 *
 * Nestable, async-signal-safe once the thread is registered (the first call
 * of a thread registers it). The section may block and fault. Nesting
 * deeper than 65535 levels aborts, in every build ("trace-nesting").
 */
static inline void tps_rcu_read_lock_trace(void)
{
	struct tps_thread *t = &tps__self;
	unsigned long n = tps__atomic_load(&t->trace_nesting, TPS__MO_RELAXED);

	if (tps_likely(n == TPS__TRACE_REGISTERED)) {
		/* Outermost, membarrier mode: store a constant (no forwarding chain). */
		tps__atomic_store(&t->trace_nesting, TPS__TRACE_REGISTERED | 1, TPS__MO_RS_RELAXED);
		/*
		 * (TR1) Compiler barrier, a full fence where it pairs with the
		 * membarrier (TG1) in trace_gp(): either the grace period's sweep
		 * sees this reader inside, or this critical section sees every
		 * store the updater made before that membarrier.
		 */
		tps_barrier();
	} else if (n & TPS__TRACE_NEST_MASK) {
		/* Every build, nested path only: one level more would carry out of the count. */
		if (tps_unlikely((n & TPS__TRACE_NEST_MASK) == TPS__TRACE_NEST_MASK))
			tps__rule_broken("trace-nesting", "tps_rcu_read_lock_trace nested 65535 "
			                                  "deep, the most the reader word counts");
		tps__atomic_store(&t->trace_nesting, n + 1, TPS__MO_RELAXED);
	} else {
		/* Unregistered, or fallback mode: out of line. */
		tps__trace_read_lock_slow();
	}
}

/**
 * tps_rcu_read_unlock_trace() - leave a tasks-trace read-side critical
 * section. The outermost unlock reports a quiescent state when a grace
 * period asked this thread for one (its need_qs flag), and then wakes the
 * updater if it was the last holdout.
 */
static inline void tps_rcu_read_unlock_trace(void)
{
	struct tps_thread *t = &tps__self;
	unsigned long n = tps__atomic_load(&t->trace_nesting, TPS__MO_RELAXED);

	if (tps_likely(n == (TPS__TRACE_REGISTERED | 1))) {
		/*
		 * (TR2) release: the critical section is complete before the
		 * idle word is seen; pairs with (TG2), the acquire load in the
		 * sweep and rescan of lib/rcu_trace.c.
		 */
		tps__atomic_store(&t->trace_nesting, TPS__TRACE_REGISTERED, TPS__MO_RS_RELEASE);
		/*
		 * (TR3) Compiler barrier, a full fence where it pairs with the
		 * membarrier (TG5) in lib/rcu_trace.c: either the rescan sees
		 * the idle word, or the load below sees the need_qs flag the
		 * updater set before (TG5).
		 */
		tps_barrier();
		if (tps_unlikely(tps__atomic_load(&t->trace_need_qs, TPS__MO_RS_RELAXED)))
			tps__trace_report_qs();
	} else if ((n & TPS__TRACE_NEST_MASK) > 1) {
		tps__atomic_store(&t->trace_nesting, n - 1, TPS__MO_RELAXED);
	} else {
		/* Outermost in fallback mode, or unbalanced: out of line. */
		tps__trace_read_unlock_slow();
	}
}

/** tps_rcu_read_lock_trace_held() - is the calling thread inside a trace reader? */
static inline bool tps_rcu_read_lock_trace_held(void)
{
	return (tps__atomic_load(&tps__self.trace_nesting, TPS__MO_RELAXED) &
	        TPS__TRACE_NEST_MASK) != 0;
}

/**
 * tps_synchronize_rcu_tasks_trace() - wait for a tasks-trace grace period:
 * every trace reader that started before the call has ended. Blocks (for as
 * long as such a reader blocks). Concurrent callers share grace periods.
 * Inside a trace reader it would wait for itself: aborts with a message, in
 * every build.
 */
TPS_EXPORT void tps_synchronize_rcu_tasks_trace(void);

/**
 * tps_call_rcu_tasks_trace() - run func(head) on a worker thread after a
 * tasks-trace grace period, in the order of the calls.
 *
 * May block, but only under a flood and for at most 64 ms: when more than
 * 16,384 of its callbacks are queued and not yet run, a caller outside every
 * classic and tasks-trace reader and outside every callback waits for the
 * worker while the backlog stays that long. It never waits for a grace
 * period (a trace reader may wait for an SRCU grace period that the caller,
 * inside that SRCU reader, holds up), so it may be called inside any reader.
 * Inside a classic or tasks-trace reader and from a callback it never blocks.
 * Not async-signal-safe.
 *
 * Return: 0, or -EINVAL when head or func is NULL (nothing queued).
 */
TPS_EXPORT int tps_call_rcu_tasks_trace(struct tps_rcu_head *head, tps_rcu_callback_t func);

/**
 * tps_rcu_barrier_tasks_trace() - wait until every callback queued by
 * tps_call_rcu_tasks_trace() before the call has run. Blocks. Aborts inside
 * a trace reader or a trace callback, where it would wait for itself.
 */
TPS_EXPORT void tps_rcu_barrier_tasks_trace(void);

/**
 * tps_defer_rcu_tasks_trace() - run fn(arg) after a tasks-trace grace
 * period; tps_defer_rcu() for the tasks-trace flavour, with the same bound
 * (4,096 calls in flight per thread, all flavours together) and the same
 * waiting when it is reached. May block: not inside a tasks-trace reader.
 * tps_rcu_barrier_tasks_trace() waits for deferred calls too.
 *
 * Return: 0, or -EINVAL when fn is NULL.
 */
TPS_EXPORT int tps_defer_rcu_tasks_trace(void (*fn)(void *arg), void *arg);

/**
 * tps_get_state_synchronize_rcu_tasks_trace() - a cookie for the polled
 * functions below (full barrier first). Never blocks.
 */
TPS_EXPORT unsigned long tps_get_state_synchronize_rcu_tasks_trace(void);

/**
 * tps_start_poll_synchronize_rcu_tasks_trace() - as
 * tps_get_state_synchronize_rcu_tasks_trace(), and make sure the cookie's
 * grace period will end without anyone waiting for it (the tasks-trace
 * callback worker runs grace periods until it has). Never blocks; callable
 * inside a reader and from a callback.
 *
 * Return: the cookie, for tps_poll_state_synchronize_rcu_tasks_trace().
 */
TPS_EXPORT unsigned long tps_start_poll_synchronize_rcu_tasks_trace(void);

/** Has a full tasks-trace grace period elapsed since cookie? Never blocks. */
TPS_EXPORT bool tps_poll_state_synchronize_rcu_tasks_trace(unsigned long cookie);

/** Waits for a tasks-trace grace period only when none elapsed since cookie. */
TPS_EXPORT void tps_cond_synchronize_rcu_tasks_trace(unsigned long cookie);

#ifdef __cplusplus
}
#endif

#endif /* TPSYNC_RCU_TRACE_H */
