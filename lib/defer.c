/* SPDX-License-Identifier: MIT */
/*
 * lib/defer.c - tps_defer_rcu(), tps_defer_rcu_tasks_trace() and
 * tps_defer_qsbr(): run
 * fn(arg) after a grace period, for callers whose objects embed no
 * struct tps_rcu_head (liburcu's defer_rcu()).
 *
 * Each call allocates a small node that carries fn and arg through the
 * flavour's callback worker. A thread may have at most DEFER_MAX_PER_THREAD
 * of them in flight: past that, or when the allocation fails, the caller
 * waits for a grace period itself and runs fn(arg) at once, so the memory a
 * producer pins stays bounded however fast it defers.
 *
 * The count lives in a small heap block per thread (struct defer_owner),
 * referenced by the thread and by each of its nodes in flight, so that a
 * node whose thread has exited still finds it; the last reference frees it.
 */
#include <errno.h>
#include <stdlib.h>

#include <tpsync/rcu.h>
#include <tpsync/rcu_qsbr.h>
#include <tpsync/rcu_trace.h>

#include "internal.h"

/* Deferred calls one thread may have in flight: liburcu's per-thread queue size. */
#define DEFER_MAX_PER_THREAD 4096

struct defer_owner {
	/* One for the owning thread while it lives, one per node in flight. */
	_Atomic long refs;
};

struct defer_node {
	struct tps_rcu_head head;
	void (*fn)(void *arg);
	void *arg;
	struct defer_owner *owner;
};

static __thread struct defer_owner *defer_self;
static pthread_key_t defer_key;
static pthread_once_t defer_once = PTHREAD_ONCE_INIT;

static void owner_put(struct defer_owner *o)
{
	/*
	 * Acquire-release: every use of the block by the other holders happens
	 * before the last one frees it.
	 */
	if (atomic_fetch_sub_explicit(&o->refs, 1, memory_order_acq_rel) == 1)
		free(o);
}

static void defer_thread_exit(void *p)
{
	/*
	 * Forget the block before dropping the thread's reference: a
	 * destructor that runs after this one and defers a call makes a new
	 * block (its key value makes this destructor run again) instead of
	 * using one the last put may already have freed.
	 */
	defer_self = NULL;
	owner_put(p);
}

static void defer_key_init(void)
{
	if (pthread_key_create(&defer_key, defer_thread_exit) != 0)
		tps__rule_broken("defer", "pthread_key_create failed: out of keys");
}

/* The calling thread's block, created on first use; NULL when out of memory. */
static struct defer_owner *owner_self(void)
{
	struct defer_owner *o = defer_self;

	if (tps_likely(o != NULL))
		return o;
	pthread_once(&defer_once, defer_key_init);
	o = malloc(sizeof(*o));
	if (!o)
		return NULL;
	atomic_init(&o->refs, 1);
	if (pthread_setspecific(defer_key, o) != 0) {
		free(o);
		return NULL;
	}
	defer_self = o;
	return o;
}

static void defer_cb(struct tps_rcu_head *head)
{
	struct defer_node *n = tps_container_of(head, struct defer_node, head);
	struct defer_owner *o = n->owner;

	n->fn(n->arg);
	free(n);
	owner_put(o);
}

static int defer(int (*call)(struct tps_rcu_head *, tps_rcu_callback_t), void (*sync)(void),
                 void (*fn)(void *), void *arg)
{
	struct defer_owner *o;
	struct defer_node *n = NULL;

	if (!fn)
		return -EINVAL;
	o = owner_self();
	/* Only this thread adds references: the count it reads can only be high. */
	if (o && atomic_load_explicit(&o->refs, memory_order_relaxed) - 1 < DEFER_MAX_PER_THREAD)
		n = malloc(sizeof(*n));
	if (!n) {
		/* Full, or out of memory: the producer waits instead of queueing. */
		sync();
		fn(arg);
		return 0;
	}
	atomic_fetch_add_explicit(&o->refs, 1, memory_order_relaxed);
	n->fn = fn;
	n->arg = arg;
	n->owner = o;
	call(&n->head, defer_cb);
	return 0;
}

int tps_defer_rcu(void (*fn)(void *arg), void *arg)
{
	return defer(tps_call_rcu, tps_synchronize_rcu, fn, arg);
}

int tps_defer_rcu_tasks_trace(void (*fn)(void *arg), void *arg)
{
	return defer(tps_call_rcu_tasks_trace, tps_synchronize_rcu_tasks_trace, fn, arg);
}

int tps_defer_qsbr(void (*fn)(void *arg), void *arg)
{
	return defer(tps_call_qsbr, tps_synchronize_qsbr, fn, arg);
}

long tps__defer_in_flight(void)
{
	struct defer_owner *o = defer_self;

	return o ? atomic_load_explicit(&o->refs, memory_order_relaxed) - 1 : 0;
}
