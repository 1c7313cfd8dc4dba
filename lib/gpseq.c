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
#include "internal.h"

unsigned long tps__gpseq_snap(struct tps__gpseq *g)
{
	/*
	 * (S0) full fence: the caller's earlier accesses (its unpublish) are
	 * ordered before the seq load; pairs with the full fence each flavour's
	 * grace period issues first ((G1), (T1)...), which follows the seq store
	 * of any grace period this load does not see started.
	 */
	tps_smp_mb();
	return (atomic_load_explicit(&g->seq, memory_order_relaxed) + 3) & ~1UL;
}

bool tps__gpseq_done(struct tps__gpseq *g, unsigned long cookie)
{
	/* (S2) acquire: pairs with (S1) in tps__gpseq_wait(). */
	return TPS_SEQ_GE(atomic_load_explicit(&g->seq, memory_order_acquire), cookie);
}

void tps__gpseq_wait(struct tps__gpseq *g, unsigned long cookie, void (*gp)(void *), void *arg)
{
	unsigned long seq;

	pthread_mutex_lock(&g->lock);
	/* A grace period that ran while we waited for the mutex may do. */
	if (!tps__gpseq_done(g, cookie)) {
		seq = atomic_load_explicit(&g->seq, memory_order_relaxed);
		atomic_store_explicit(&g->seq, seq + 1, memory_order_relaxed);
		gp(arg);
		/* (S1) release: the grace period's end before the new value. */
		atomic_store_explicit(&g->seq, seq + 2, memory_order_release);
	}
	pthread_mutex_unlock(&g->lock);
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
}
