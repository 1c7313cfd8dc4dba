/* SPDX-License-Identifier: MIT */
/*
 * lib/poll.c - start_poll for the flavours whose grace periods run only when
 * someone waits: a self-requeueing callback keeps the flavour's worker
 * running grace periods until the newest requested cookie is done.
 *
 * A request raises `want` to its cookie, then queues the poller unless it
 * is queued already. The worker runs the poller after a grace period that
 * began after the poller was queued; the poller clears `queued`, then looks
 * at `want` and queues itself again if that cookie is not done. (Q1)/(Q2)
 * make sure a request racing with the poller's last look is never lost:
 * either the poller sees the raised `want`, or the request sees `queued`
 * clear and queues the poller itself.
 */
#include <tpsync/rcu.h>

#include "internal.h"

static void poller_queue(struct tps__poller *p);

/* Test hook: called when a poller starts to run (tps__poll_set_hook()). */
static void (*_Atomic poll_hook)(void);

void tps__poll_set_hook(void (*hook)(void))
{
	atomic_store_explicit(&poll_hook, hook, memory_order_relaxed);
}

static void poller_cb(struct tps_rcu_head *head)
{
	struct tps__poller *p = tps_container_of(head, struct tps__poller, head);
	void (*hook)(void) = atomic_load_explicit(&poll_hook, memory_order_relaxed);
	unsigned long want;

	if (tps_unlikely(hook != NULL))
		hook();

	/*
	 * Release: the worker is done with the head (it read the link before
	 * calling us) before poller_queue() may queue it again; pairs with the
	 * acquiring compare-and-swap in tps__cb_enqueue_once().
	 */
	atomic_store_explicit(&p->queued, 0, memory_order_release);
	/*
	 * (Q2) full fence, pairs with (Q1) in tps__poller_start(): the store of
	 * `queued` above and the load of `want` below against the request's
	 * store of `want` and load of `queued` (store buffering).
	 */
	tps_smp_mb();
	want = atomic_load_explicit(&p->want, memory_order_relaxed);
	if (!tps__gpseq_done(p->g, want))
		poller_queue(p);
}

static void poller_queue(struct tps__poller *p)
{
	/*
	 * Most requests find the poller queued: no lock for them. Relaxed:
	 * (Q1)/(Q2) order this load. The flag is set only together with the
	 * queueing, under the worker's lock, so that a fork between the two
	 * cannot leave a child with the flag set and no poller queued.
	 */
	if (atomic_load_explicit(&p->queued, memory_order_relaxed))
		return;
	tps__cb_enqueue_once(p->w, &p->head, poller_cb, &p->queued);
}

unsigned long tps__poller_start(struct tps__poller *p)
{
	unsigned long cookie = tps__gpseq_snap(p->g);
	unsigned long want = atomic_load_explicit(&p->want, memory_order_relaxed);

	while (!TPS_SEQ_GE(want, cookie) &&
	       !atomic_compare_exchange_weak_explicit(&p->want, &want, cookie, memory_order_relaxed,
	                                              memory_order_relaxed))
		;
	/* (Q1) full fence, pairs with (Q2) in poller_cb(). */
	tps_smp_mb();
	if (!tps__gpseq_done(p->g, cookie))
		poller_queue(p);
	return cookie;
}

/*
 * In a fork child, after the callback workers are back: `queued` may say
 * queued for a poller that is not. Another thread was running poller_cb()
 * at the fork (a callback running then counts as run, in the parent), so
 * nothing would queue it again and polled grace periods would never end
 * there: the flag is cleared, and the poller queued if a request is open.
 */
void tps__poller_fork_child(struct tps__poller *p)
{
	unsigned long want;

	if (!atomic_load_explicit(&p->queued, memory_order_relaxed) ||
	    tps__cb_fork_child_holds(p->w, &p->head))
		return;
	atomic_store_explicit(&p->queued, 0, memory_order_relaxed);
	want = atomic_load_explicit(&p->want, memory_order_relaxed);
	if (!tps__gpseq_done(p->g, want))
		poller_queue(p);
}
