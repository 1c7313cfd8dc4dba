/* SPDX-License-Identifier: MIT */
/*
 * lib/gpseq.c - grace-period sequence numbers: sharing and polled cookies.
 *
 * seq is even while no grace period runs and odd while one does; each grace
 * period adds 2. A cookie is the value seq will have once a grace period
 * that starts after the cookie was taken has ended: from an even seq s that
 * is s + 2, from an odd s (one already running, which may have scanned too
 * early for the caller) s + 3, rounded down to even. Callers that wait for
 * the same or an older cookie while a grace period runs find it done when
 * they get the mutex: concurrent callers share grace periods.
 */
#include <limits.h>

#include "internal.h"

unsigned long tps__gpseq_snap(struct tps__gpseq *g)
{
	/*
	 * (S0) full fence: the caller's earlier accesses (its unpublish) are
	 * ordered before the seq load; pairs with the full fence each flavour's
	 * grace period issues first ((G0) in rcu.c, (TG0) in rcu_trace.c, (G1) in srcu.c), which
	 * follows the seq store of any grace period this load does not see started.
	 */
	tps_smp_mb();
	return (atomic_load_explicit(&g->seq, memory_order_relaxed) + 3) & ~1UL;
}

bool tps__gpseq_done(struct tps__gpseq *g, unsigned long cookie)
{
	/* (S2) acquire: pairs with (S1) in tps__gpseq_wait(). */
	return TPS_SEQ_GE(atomic_load_explicit(&g->seq, memory_order_acquire), cookie);
}

/* Mutex held. Releases it, and wakes the callers that wait for a change. */
static void unlock_and_wake(struct tps__gpseq *g)
{
	pthread_mutex_unlock(&g->lock);
	/*
	 * (S3) sequentially consistent, pairs with (S4): either the waiter's
	 * futex_wait() sees the new word, or this load sees its count.
	 */
	atomic_fetch_add_explicit(&g->changes, 1, memory_order_seq_cst);
	if (atomic_load_explicit(&g->sleepers, memory_order_seq_cst))
		tps__futex_wake(&g->changes, INT_MAX);
}

/* One grace period; g's mutex held. */
static void run_gp(struct tps__gpseq *g, void (*gp)(void *), void *arg)
{
	unsigned long seq = atomic_load_explicit(&g->seq, memory_order_relaxed);

	atomic_store_explicit(&g->seq, seq + 1, memory_order_relaxed);
	gp(arg);
	/* (S1) release: the grace period's end before the new value. */
	atomic_store_explicit(&g->seq, seq + 2, memory_order_release);
}

/*
 * Callers whose cookie a running grace period (or the next one) satisfies
 * sleep on g->changes instead of queueing on the mutex: when it ends they
 * return without touching the mutex, while at most one of them starts the
 * next grace period.
 */
void tps__gpseq_wait(struct tps__gpseq *g, unsigned long cookie, void (*gp)(void *), void *arg)
{
	int seen;

	while (!tps__gpseq_done(g, cookie)) {
		seen = atomic_load_explicit(&g->changes, memory_order_seq_cst);
		if (pthread_mutex_trylock(&g->lock) == 0) {
			/* A grace period that ended meanwhile may do. */
			if (!tps__gpseq_done(g, cookie))
				run_gp(g, gp, arg);
			unlock_and_wake(g);
			continue;
		}
		/* (S4) pairs with (S3). */
		atomic_fetch_add_explicit(&g->sleepers, 1, memory_order_seq_cst);
		if (!tps__gpseq_done(g, cookie))
			tps__futex_wait(&g->changes, seen);
		atomic_fetch_sub_explicit(&g->sleepers, 1, memory_order_relaxed);
	}
}

/*
 * In a child of fork(), a grace period another thread had started never
 * ends: roll seq back to the last completed one (cookies stay conservative).
 */
void tps__gpseq_fork_child(struct tps__gpseq *g)
{
	unsigned long seq = atomic_load_explicit(&g->seq, memory_order_relaxed);

	pthread_mutex_init(&g->lock, NULL);
	atomic_store_explicit(&g->seq, seq & ~1UL, memory_order_relaxed);
	atomic_store_explicit(&g->sleepers, 0, memory_order_relaxed);
}
