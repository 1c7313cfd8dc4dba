/* SPDX-License-Identifier: MIT */
/** @file
 * tpsync/rcu.h - the classic flavour: kernel RCU with non-preemptible
 * readers, implemented as a membarrier-based userspace RCU.
 *
 * Readers: tps_rcu_read_lock() / tps_rcu_read_unlock(), inline, nestable,
 * no fence when membarrier works. A reader must not block: no sleeping, no
 * waiting for I/O, no page faults it could avoid (tps_might_sleep() and
 * tps_might_fault() check it in debug builds). The first reader of a thread
 * registers it; exit unregisters it.
 *
 * Updaters: tps_synchronize_rcu() waits for every reader that started before
 * it; tps_call_rcu() runs a callback after such a grace period, from a worker
 * thread; tps_rcu_barrier() waits for every queued callback; polled cookies
 * let a caller wait only when a grace period has not already elapsed.
 */
#ifndef TPSYNC_RCU_H
#define TPSYNC_RCU_H

#include <tpsync/core.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Internal state used by the inline read side. ---- */

struct tps__rcu_gp {
	/* The word an outermost reader copies: registered bit, phase, nest 1. */
	TPS__ALIGNAS(64) TPS__ATOMIC(unsigned long) ctr;
	/* -1 while an updater sleeps waiting for readers, 0 otherwise. */
	TPS__ATOMIC(int) futex;
	/* (Readers find out that they must wake it in their own rcu_wake.) */
};

extern TPS_EXPORT struct tps__rcu_gp tps__rcu_gp;
TPS_EXPORT void tps__rcu_read_lock_slow(void);
TPS_EXPORT void tps__rcu_read_unlock_slow(void);
TPS_EXPORT void tps__rcu_wake_updater(void);

/* ---- Readers. ---- */

/**
 * tps_rcu_read_lock() - enter a classic read-side critical section.
 *
 * Nestable, async-signal-safe once the thread is registered, never blocks
 * (the first call of a thread registers it, which takes a lock once).
 * Nesting deeper than 65535 levels aborts, in every build ("rcu-nesting").
 */
static inline void tps_rcu_read_lock(void)
{
	struct tps_thread *t = &tps__self;
	TPS__ATOMIC(unsigned long) *gp_ctr = &tps__rcu_gp.ctr;
	unsigned long c;

	/*
	 * Take the global's address on the unconditional path, opaque to the
	 * optimizer: position-independent code (a dlopen'd module) then loads
	 * it from the GOT once per loop instead of once per lock (gcc 12).
	 */
	__asm__("" : "+r"(gp_ctr));
	c = tps__atomic_load(&t->rcu_ctr, TPS__MO_RELAXED);
	if (tps_likely(c == TPS__RCU_REGISTERED)) {
		/* Outermost, membarrier mode: take the current phase, nesting 1. */
		tps__atomic_store(&t->rcu_ctr, tps__atomic_load(gp_ctr, TPS__MO_RELAXED),
		                  TPS__MO_RS_RELAXED);
		/*
		 * (R1) Compiler barrier; membarrier (G1) in rcu.c makes it a
		 * full fence when it pairs: either the updater's scan sees the
		 * word stored above, or this critical section sees every store
		 * the updater made before its membarrier (the unpublish).
		 */
		tps_barrier();
	} else if (c & TPS__RCU_NEST_MASK) {
		/*
		 * Every build: one level more would carry into the phase bit
		 * (a grace period would then miss this reader). Nested path
		 * only; the outermost lock above pays nothing for it.
		 */
		if (tps_unlikely((c & TPS__RCU_NEST_MASK) == TPS__RCU_NEST_MASK))
			tps__rule_broken("rcu-nesting", "tps_rcu_read_lock nested 65535 deep, the "
			                                "most the reader word counts");
		tps__atomic_store(&t->rcu_ctr, c + 1, TPS__MO_RELAXED);
	} else {
		/* Unregistered, or fallback mode: out of line. */
		tps__rcu_read_lock_slow();
	}
}

/**
 * tps_rcu_read_unlock() - leave a classic read-side critical section.
 *
 * The outermost unlock wakes an updater that sleeps waiting for this reader.
 * An unlock without a lock aborts in debug builds and is ignored otherwise.
 */
static inline void tps_rcu_read_unlock(void)
{
	struct tps_thread *t = &tps__self;
	unsigned long c = tps__atomic_load(&t->rcu_ctr, TPS__MO_RELAXED);

	if (tps_likely((c & (TPS__RCU_NEST_MASK | TPS__RCU_FALLBACK)) == 1)) {
		/*
		 * (R2) Release store of the idle word: the critical section's
		 * accesses are ordered before it; the updater's acquire load in
		 * its scan, then membarrier (G4), order them before its frees.
		 */
		tps__atomic_store(&t->rcu_ctr, TPS__RCU_REGISTERED, TPS__MO_RS_RELEASE);
		/*
		 * (R3) Compiler barrier, made a full fence by membarrier (G3) in
		 * wait_for_old_readers(): either the updater's rescan sees the
		 * idle word, or the load below sees the rcu_wake flag it set
		 * before (G3), and this thread wakes it. Only a reader the
		 * updater waits for has the flag, and no global is touched.
		 */
		tps_barrier();
		if (tps_unlikely(tps__atomic_load(&t->rcu_wake, TPS__MO_RS_RELAXED)))
			tps__rcu_wake_updater();
	} else if ((c & TPS__RCU_NEST_MASK) > 1) {
		tps__atomic_store(&t->rcu_ctr, c - 1, TPS__MO_RELAXED);
	} else {
		/* Outermost in fallback mode, or unbalanced: out of line. */
		tps__rcu_read_unlock_slow();
	}
}

/** tps_rcu_read_ongoing() - is the calling thread inside a classic reader? Never blocks. */
static inline bool tps_rcu_read_ongoing(void)
{
	return (tps__atomic_load(&tps__self.rcu_ctr, TPS__MO_RELAXED) & TPS__RCU_NEST_MASK) != 0;
}

/* ---- Debug annotations. ---- */

TPS_EXPORT void tps__might_sleep_check(const char *what);

/**
 * tps_might_sleep() / tps_might_fault() - annotate code that may block or
 * take a page fault. In debug builds (TPSYNC_DEBUG) they abort with a
 * message naming the rule when called inside a classic reader; otherwise
 * they compile to nothing.
 */
#if TPSYNC_DEBUG
#define tps_might_sleep() tps__might_sleep_check("might_sleep")
/** See tps_might_sleep(). */
#define tps_might_fault() tps__might_sleep_check("might_fault")
#else
#define tps_might_sleep() ((void)0)
/** See tps_might_sleep(). */
#define tps_might_fault() ((void)0)
#endif

/* ---- Updaters. ---- */

/**
 * tps_synchronize_rcu() - wait for a classic grace period.
 *
 * Returns after every classic reader that started before the call has
 * ended. Concurrent callers share grace periods. Blocks. Calling it inside a
 * classic reader would deadlock: it aborts with a message in every build.
 * Not async-signal-safe.
 */
TPS_EXPORT void tps_synchronize_rcu(void);

/**
 * tps_call_rcu() - run func(head) after a classic grace period.
 *
 * The callback runs on a worker thread, not inside a reader, after every
 * reader that started before the call has ended. Callbacks run in the order
 * of their calls.
 *
 * May block, but only under a flood: when more than 16,384 callbacks of the
 * flavour are queued and not yet run, a caller outside every classic and
 * tasks-trace reader and outside every callback first waits for a classic
 * grace period, then for the worker while the backlog stays that long (at
 * most 64 ms), which bounds the backlog and the memory it holds. So do not call it holding a
 * lock that a grace period may wait for (one that a thread forking inside a
 * reader takes in a fork handler). Inside a classic or tasks-trace reader
 * and from a callback it never blocks. Not async-signal-safe.
 *
 * Return: 0, or -EINVAL when head or func is NULL (nothing queued).
 */
TPS_EXPORT int tps_call_rcu(struct tps_rcu_head *head, tps_rcu_callback_t func);

/**
 * tps_defer_rcu() - run fn(arg) after a classic grace period, for objects
 * that embed no struct tps_rcu_head (liburcu's defer_rcu()).
 *
 * The call is carried by a small allocation through the classic callback
 * worker. A thread may have at most 4,096 deferred calls in flight (all
 * flavours together); past that, or when the allocation fails, the caller
 * waits for a grace period and runs fn(arg) itself before returning, so a
 * producer can never pin unbounded memory. May therefore block: not inside
 * a classic reader (aborts there, as tps_synchronize_rcu() does), and not
 * from a signal handler. tps_rcu_barrier() waits for deferred calls too.
 *
 * Return: 0, or -EINVAL when fn is NULL.
 */
TPS_EXPORT int tps_defer_rcu(void (*fn)(void *arg), void *arg);

/* Test hook: deferred calls of the calling thread still in flight. */
TPS_EXPORT long tps__defer_in_flight(void);
/* Test hook: hook runs when a start_poll poller callback starts (NULL: none). */
TPS_EXPORT void tps__poll_set_hook(void (*hook)(void));
/*
 * Test hook: hook runs inside each classic grace period, after the sweep
 * that sorts the readers it finds, before the waits (NULL: none).
 */
TPS_EXPORT void tps__rcu_set_sweep_hook(void (*hook)(void));

/**
 * tps_rcu_barrier() - wait until every callback queued by tps_call_rcu()
 * before this call has run. Blocks. Aborts (every build) inside a classic
 * reader or inside a classic callback, where it would deadlock.
 */
TPS_EXPORT void tps_rcu_barrier(void);
/**
 * Test hook (tests/unit): how many times the calling thread, queueing a
 * callback of any flavour past the backlog threshold, waited first (for a
 * grace period or for the worker). Not for programs.
 */
TPS_EXPORT unsigned long tps__cb_thread_helps(void);
/*
 * Test hook (tests/unit): hook runs on a callback worker while it takes a
 * callback off its list, in the middle of that bookkeeping (NULL: none).
 * Not for programs.
 */
TPS_EXPORT void tps__cb_set_book_hook(void (*hook)(void));

/**
 * tps_get_state_synchronize_rcu() - a cookie for tps_poll_state_synchronize_rcu()
 * and tps_cond_synchronize_rcu(). Includes a full barrier, so a grace period
 * the cookie reports also covers the caller's accesses before this call.
 * Never blocks; callable inside a reader.
 */
TPS_EXPORT unsigned long tps_get_state_synchronize_rcu(void);

/**
 * tps_start_poll_synchronize_rcu() - as tps_get_state_synchronize_rcu(),
 * and make sure the cookie's grace period will end without anyone waiting
 * for it: the classic callback worker keeps running grace periods until it
 * has. Poll it with tps_poll_state_synchronize_rcu(). Never blocks; callable
 * inside a reader and from a callback.
 *
 * Return: the cookie.
 */
TPS_EXPORT unsigned long tps_start_poll_synchronize_rcu(void);

/**
 * tps_poll_state_synchronize_rcu() - has a full grace period elapsed since
 * cookie was taken? Never blocks; acquire semantics when it returns true.
 */
TPS_EXPORT bool tps_poll_state_synchronize_rcu(unsigned long cookie);

/**
 * tps_cond_synchronize_rcu() - wait for a grace period only when none has
 * elapsed since cookie was taken. Same context rules as tps_synchronize_rcu().
 */
TPS_EXPORT void tps_cond_synchronize_rcu(unsigned long cookie);

#ifdef __cplusplus
}
#endif

#endif /* TPSYNC_RCU_H */
