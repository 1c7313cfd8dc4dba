/* SPDX-License-Identifier: MIT */
/*
 * tps-tasks - tpsync's Tasks flavour (<tpsync/rcu_tasks.h>), for `gp` only:
 * it has no read side to time. A Tasks reader is user code a thread runs
 * between two quiescent states: the busy readers run bursts of the empty
 * loop, each followed by tps_rcu_tasks_qs(); the holder runs user code
 * without blocking for the held time (it spins), then reports.
 */
#include <tpsync/rcu_tasks.h>

#include "../bench.h"
#include "../readside.h"

_Static_assert(sizeof(struct tps_rcu_head) <= READSIDE_CB_HEAD_SIZE, "callback head too big");

static READSIDE_NOINLINE void tps_tasks_loop(unsigned long iterations)
{
	READSIDE_LOOP(iterations, (void)0, (void)0);
	tps_rcu_tasks_qs();
}

static void tps_tasks_hold(uint64_t ns)
{
	bench_spin_ns(ns);
	tps_rcu_tasks_qs();
}

static void tps_tasks_cb(struct tps_rcu_head *head)
{
	readside_cb_done(READSIDE_CB_OF(head));
}

static void tps_tasks_call(struct readside_cb *cb)
{
	tps_call_rcu_tasks((struct tps_rcu_head *)(void *)cb->head, tps_tasks_cb);
}

const struct readside_impl readside_tps_tasks = {
        .name = "tps-tasks",
        .gp_only = true,
        .loop = tps_tasks_loop,
        .synchronize = tps_synchronize_rcu_tasks,
        .has_fallback = true,
        .hold = tps_tasks_hold,
        .reader_may_block = false,
        .get_state = tps_get_state_synchronize_rcu_tasks,
        .cookie_step = 2,
        .call = tps_tasks_call,
        .barrier = tps_rcu_barrier_tasks,
};
