/* SPDX-License-Identifier: MIT */
/*
 * tps-trace - tpsync's tasks-trace read side, inlined from
 * <tpsync/rcu_trace.h> into the executable, and its grace period and
 * callbacks. Trace readers may block: the held reader of `gp` sleeps.
 */
#include <tpsync/rcu_trace.h>

#include "../bench.h"
#include "../readside.h"

_Static_assert(sizeof(struct tps_rcu_head) <= READSIDE_CB_HEAD_SIZE, "callback head too big");

static void tps_trace_setup(void)
{
	/* Registration would happen at the first lock anyway; do it untimed. */
	tps_register_thread();
}

static void tps_trace_teardown(void)
{
	tps_unregister_thread();
}

static READSIDE_NOINLINE void tps_trace_loop(unsigned long iterations)
{
	READSIDE_LOOP(iterations, tps_rcu_read_lock_trace(), tps_rcu_read_unlock_trace());
}

static READSIDE_NOINLINE void tps_trace_loop_nested(unsigned long iterations)
{
	READSIDE_LOOP_NESTED(iterations, tps_rcu_read_lock_trace(), tps_rcu_read_lock_trace(),
	                     tps_rcu_read_unlock_trace(), tps_rcu_read_unlock_trace());
}

static void tps_trace_hold(uint64_t ns)
{
	tps_rcu_read_lock_trace();
	bench_sleep_ns(ns);
	tps_rcu_read_unlock_trace();
}

static void tps_trace_cb(struct tps_rcu_head *head)
{
	readside_cb_done(READSIDE_CB_OF(head));
}

static void tps_trace_call(struct readside_cb *cb)
{
	tps_call_rcu_tasks_trace((struct tps_rcu_head *)(void *)cb->head, tps_trace_cb);
}

const struct readside_impl readside_tps_trace = {
        .name = "tps-trace",
        .setup = tps_trace_setup,
        .teardown = tps_trace_teardown,
        .loop = tps_trace_loop,
        .loop_nested = tps_trace_loop_nested,
        .synchronize = tps_synchronize_rcu_tasks_trace,
        .has_fallback = true,
        .hold = tps_trace_hold,
        .reader_may_block = true,
        .get_state = tps_get_state_synchronize_rcu_tasks_trace,
        .cookie_step = 2,
        .call = tps_trace_call,
        .barrier = tps_rcu_barrier_tasks_trace,
};
