/* SPDX-License-Identifier: MIT */
/*
 * lib/flavor.c - the ops tables of the flavours, for generic code.
 */
#include <string.h>

#include <tpsync/flavor.h>
#include <tpsync/rcu.h>
#include <tpsync/rcu_qsbr.h>
#include <tpsync/rcu_trace.h>
#include <tpsync/srcu.h>

#include "internal.h"

static int rcu_lock(void *domain)
{
	(void)domain;
	tps_rcu_read_lock();
	return 0;
}

static void rcu_unlock(void *domain, int idx)
{
	(void)domain;
	(void)idx;
	tps_rcu_read_unlock();
}

static bool rcu_ongoing(void *domain)
{
	(void)domain;
	return tps_rcu_read_ongoing();
}

static void rcu_sync(void *domain)
{
	(void)domain;
	tps_synchronize_rcu();
}

static int rcu_call(void *domain, struct tps_rcu_head *head, tps_rcu_callback_t func)
{
	(void)domain;
	return tps_call_rcu(head, func);
}

static void rcu_barrier(void *domain)
{
	(void)domain;
	tps_rcu_barrier();
}

static unsigned long rcu_get_state(void *domain)
{
	(void)domain;
	return tps_get_state_synchronize_rcu();
}

static bool rcu_poll_state(void *domain, unsigned long cookie)
{
	(void)domain;
	return tps_poll_state_synchronize_rcu(cookie);
}

static void rcu_cond_sync(void *domain, unsigned long cookie)
{
	(void)domain;
	tps_cond_synchronize_rcu(cookie);
}

const struct tps_flavor tps_flavor_rcu = {
        .name = "rcu",
        .flags = TPS_FLAVOR_REGISTERED_READERS,
        .read_lock = rcu_lock,
        .read_unlock = rcu_unlock,
        .read_ongoing = rcu_ongoing,
        .synchronize = rcu_sync,
        .call = rcu_call,
        .barrier = rcu_barrier,
        .get_state = rcu_get_state,
        .poll_state = rcu_poll_state,
        .cond_synchronize = rcu_cond_sync,
};

static int trace_lock(void *domain)
{
	(void)domain;
	tps_rcu_read_lock_trace();
	return 0;
}

static void trace_unlock(void *domain, int idx)
{
	(void)domain;
	(void)idx;
	tps_rcu_read_unlock_trace();
}

static bool trace_ongoing(void *domain)
{
	(void)domain;
	return tps_rcu_read_lock_trace_held();
}

static void trace_sync(void *domain)
{
	(void)domain;
	tps_synchronize_rcu_tasks_trace();
}

static int trace_call(void *domain, struct tps_rcu_head *head, tps_rcu_callback_t func)
{
	(void)domain;
	return tps_call_rcu_tasks_trace(head, func);
}

static void trace_barrier(void *domain)
{
	(void)domain;
	tps_rcu_barrier_tasks_trace();
}

static unsigned long trace_get_state(void *domain)
{
	(void)domain;
	return tps_get_state_synchronize_rcu_tasks_trace();
}

static bool trace_poll_state(void *domain, unsigned long cookie)
{
	(void)domain;
	return tps_poll_state_synchronize_rcu_tasks_trace(cookie);
}

static void trace_cond_sync(void *domain, unsigned long cookie)
{
	(void)domain;
	tps_cond_synchronize_rcu_tasks_trace(cookie);
}

const struct tps_flavor tps_flavor_trace = {
        .name = "trace",
        .flags = TPS_FLAVOR_READERS_MAY_BLOCK | TPS_FLAVOR_REGISTERED_READERS,
        .read_lock = trace_lock,
        .read_unlock = trace_unlock,
        .read_ongoing = trace_ongoing,
        .synchronize = trace_sync,
        .call = trace_call,
        .barrier = trace_barrier,
        .get_state = trace_get_state,
        .poll_state = trace_poll_state,
        .cond_synchronize = trace_cond_sync,
};

static int qsbr_lock(void *domain)
{
	(void)domain;
	tps_qsbr_read_lock();
	return 0;
}

static void qsbr_unlock(void *domain, int idx)
{
	(void)domain;
	(void)idx;
	tps_qsbr_read_unlock();
}

#if TPSYNC_DEBUG
static bool qsbr_ongoing(void *domain)
{
	(void)domain;
	return tps_qsbr_read_ongoing();
}
#define QSBR_ONGOING qsbr_ongoing
#else
/* Release builds keep no record of QSBR readers: no answer. */
#define QSBR_ONGOING NULL
#endif

static void qsbr_sync(void *domain)
{
	(void)domain;
	tps_synchronize_qsbr();
}

static int qsbr_call(void *domain, struct tps_rcu_head *head, tps_rcu_callback_t func)
{
	(void)domain;
	return tps_call_qsbr(head, func);
}

static void qsbr_barrier(void *domain)
{
	(void)domain;
	tps_qsbr_barrier();
}

static unsigned long qsbr_get_state(void *domain)
{
	(void)domain;
	return tps_get_state_synchronize_qsbr();
}

static bool qsbr_poll_state(void *domain, unsigned long cookie)
{
	(void)domain;
	return tps_poll_state_synchronize_qsbr(cookie);
}

static void qsbr_cond_sync(void *domain, unsigned long cookie)
{
	(void)domain;
	tps_cond_synchronize_qsbr(cookie);
}

const struct tps_flavor tps_flavor_qsbr = {
        .name = "qsbr",
        .flags = TPS_FLAVOR_QUIESCENT_STATES,
        .read_lock = qsbr_lock,
        .read_unlock = qsbr_unlock,
        .read_ongoing = QSBR_ONGOING,
        .synchronize = qsbr_sync,
        .call = qsbr_call,
        .barrier = qsbr_barrier,
        .get_state = qsbr_get_state,
        .poll_state = qsbr_poll_state,
        .cond_synchronize = qsbr_cond_sync,
};

/* SRCU and srcu-fast: the domain is a struct tps_srcu *. */

static int srcu_lock(void *domain)
{
	return tps_srcu_read_lock(domain);
}

static void srcu_unlock(void *domain, int idx)
{
	tps_srcu_read_unlock(domain, idx);
}

static int srcu_fast_lock(void *domain)
{
	return tps_srcu_read_lock_fast(domain);
}

static void srcu_fast_unlock(void *domain, int idx)
{
	tps_srcu_read_unlock_fast(domain, idx);
}

#if TPSYNC_DEBUG
static bool srcu_ongoing(void *domain)
{
	return tps_srcu_read_lock_held(domain);
}
#define SRCU_ONGOING srcu_ongoing
#else
/* Release builds keep no per-thread record of SRCU readers: no answer. */
#define SRCU_ONGOING NULL
#endif

static void srcu_sync(void *domain)
{
	tps_synchronize_srcu(domain);
}

static int srcu_call(void *domain, struct tps_rcu_head *head, tps_rcu_callback_t func)
{
	return tps_call_srcu(domain, head, func);
}

static void srcu_barrier(void *domain)
{
	tps_srcu_barrier(domain);
}

static unsigned long srcu_get_state(void *domain)
{
	return tps_get_state_synchronize_srcu(domain);
}

static bool srcu_poll_state(void *domain, unsigned long cookie)
{
	return tps_poll_state_synchronize_srcu(domain, cookie);
}

static void srcu_cond_sync(void *domain, unsigned long cookie)
{
	tps_cond_synchronize_srcu(domain, cookie);
}

const struct tps_flavor tps_flavor_srcu = {
        .name = "srcu",
        .flags = TPS_FLAVOR_HAS_DOMAINS | TPS_FLAVOR_READERS_MAY_BLOCK,
        .read_lock = srcu_lock,
        .read_unlock = srcu_unlock,
        .read_ongoing = SRCU_ONGOING,
        .synchronize = srcu_sync,
        .call = srcu_call,
        .barrier = srcu_barrier,
        .get_state = srcu_get_state,
        .poll_state = srcu_poll_state,
        .cond_synchronize = srcu_cond_sync,
};

const struct tps_flavor tps_flavor_srcu_fast = {
        .name = "srcu-fast",
        .flags = TPS_FLAVOR_HAS_DOMAINS | TPS_FLAVOR_READERS_MAY_BLOCK,
        .read_lock = srcu_fast_lock,
        .read_unlock = srcu_fast_unlock,
        .read_ongoing = SRCU_ONGOING,
        .synchronize = srcu_sync,
        .call = srcu_call,
        .barrier = srcu_barrier,
        .get_state = srcu_get_state,
        .poll_state = srcu_poll_state,
        .cond_synchronize = srcu_cond_sync,
};

static const struct tps_flavor *const flavors[] = {
        &tps_flavor_rcu,   &tps_flavor_srcu, &tps_flavor_srcu_fast,
        &tps_flavor_trace, &tps_flavor_qsbr,
};

const struct tps_flavor *tps_flavor_find(const char *name)
{
	size_t i;

	if (!name)
		return NULL;
	for (i = 0; i < sizeof(flavors) / sizeof(flavors[0]); i++) {
		if (strcmp(flavors[i]->name, name) == 0)
			return flavors[i];
	}
	return NULL;
}
