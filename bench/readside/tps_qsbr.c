/* SPDX-License-Identifier: MIT */
/*
 * tps-qsbr and tps-qsbr-dance - tpsync's QSBR flavour, inlined from
 * <tpsync/rcu_qsbr.h> into the executable.
 *
 * tps-qsbr is measured as urcu-qsbr is: read_lock/read_unlock are empty
 * outside debug builds, a measuring thread is online only inside its loop
 * and offline between loops, so that an updater (the --updater variant,
 * `gp`) completes a grace period whenever a loop ends. The held reader of
 * `gp` stays online, spinning (QSBR readers must not block).
 *
 * tps-qsbr-dance goes online, reads, and goes offline around every access:
 * what a reader costs in code that runs while the thread is otherwise idle
 * (the kernel's RCU-idle "dance" around a tracepoint in idle code), to be
 * compared with a plain reader, SRCU and tasks-trace.
 */
#include <tpsync/rcu_qsbr.h>

#include "../bench.h"
#include "../readside.h"

_Static_assert(sizeof(struct tps_rcu_head) <= READSIDE_CB_HEAD_SIZE, "callback head too big");

static void tps_qsbr_setup(void)
{
	tps_qsbr_register_thread();
	tps_qsbr_thread_offline();
}

static void tps_qsbr_teardown(void)
{
	tps_qsbr_unregister_thread();
}

static READSIDE_NOINLINE void tps_qsbr_loop(unsigned long iterations)
{
	tps_qsbr_thread_online();
	READSIDE_LOOP(iterations, tps_qsbr_read_lock(), tps_qsbr_read_unlock());
	tps_qsbr_thread_offline();
}

static READSIDE_NOINLINE void tps_qsbr_loop_nested(unsigned long iterations)
{
	tps_qsbr_thread_online();
	READSIDE_LOOP_NESTED(iterations, tps_qsbr_read_lock(), tps_qsbr_read_lock(),
	                     tps_qsbr_read_unlock(), tps_qsbr_read_unlock());
	tps_qsbr_thread_offline();
}

static void tps_qsbr_hold(uint64_t ns)
{
	tps_qsbr_thread_online();
	tps_qsbr_read_lock();
	bench_spin_ns(ns);
	tps_qsbr_read_unlock();
	tps_qsbr_thread_offline();
}

static void tps_qsbr_cb(struct tps_rcu_head *head)
{
	readside_cb_done(READSIDE_CB_OF(head));
}

static void tps_qsbr_call(struct readside_cb *cb)
{
	tps_call_qsbr((struct tps_rcu_head *)(void *)cb->head, tps_qsbr_cb);
}

const struct readside_impl readside_tps_qsbr = {
        .name = "tps-qsbr",
        .setup = tps_qsbr_setup,
        .teardown = tps_qsbr_teardown,
        .loop = tps_qsbr_loop,
        .loop_nested = tps_qsbr_loop_nested,
        .synchronize = tps_synchronize_qsbr,
        .hold = tps_qsbr_hold,
        .get_state = tps_get_state_synchronize_qsbr,
        .cookie_step = 2,
        .call = tps_qsbr_call,
        .barrier = tps_qsbr_barrier,
};

static READSIDE_NOINLINE void tps_qsbr_dance_loop(unsigned long iterations)
{
	READSIDE_LOOP(iterations, (tps_qsbr_thread_online(), tps_qsbr_read_lock()),
	              (tps_qsbr_read_unlock(), tps_qsbr_thread_offline()));
}

static READSIDE_NOINLINE void tps_qsbr_dance_loop_nested(unsigned long iterations)
{
	READSIDE_LOOP_NESTED(iterations, (tps_qsbr_thread_online(), tps_qsbr_read_lock()),
	                     tps_qsbr_read_lock(), tps_qsbr_read_unlock(),
	                     (tps_qsbr_read_unlock(), tps_qsbr_thread_offline()));
}

const struct readside_impl readside_tps_qsbr_dance = {
        .name = "tps-qsbr-dance",
        .setup = tps_qsbr_setup,
        .teardown = tps_qsbr_teardown,
        .loop = tps_qsbr_dance_loop,
        .loop_nested = tps_qsbr_dance_loop_nested,
        .synchronize = tps_synchronize_qsbr,
};
