/* SPDX-License-Identifier: MIT */
/*
 * tps-rcu - tpsync's classic read side, inlined from <tpsync/rcu.h> into the
 * executable (which links libtpsync.so, as a user's program does), and its
 * grace period and callbacks. Classic readers must not block: the held
 * reader of `gp` spins.
 */
#include <tpsync/rcu.h>

#include "../bench.h"
#include "../readside.h"

_Static_assert(sizeof(struct tps_rcu_head) <= READSIDE_CB_HEAD_SIZE, "callback head too big");

static void tps_rcu_setup(void)
{
	/* Registration would happen at the first lock anyway; do it untimed. */
	tps_register_thread();
}

static void tps_rcu_teardown(void)
{
	tps_unregister_thread();
}

static READSIDE_NOINLINE void tps_rcu_loop(unsigned long iterations)
{
	READSIDE_LOOP(iterations, tps_rcu_read_lock(), tps_rcu_read_unlock());
}

static READSIDE_NOINLINE void tps_rcu_loop_nested(unsigned long iterations)
{
	READSIDE_LOOP_NESTED(iterations, tps_rcu_read_lock(), tps_rcu_read_lock(),
	                     tps_rcu_read_unlock(), tps_rcu_read_unlock());
}

static void tps_rcu_hold(uint64_t ns)
{
	tps_rcu_read_lock();
	bench_spin_ns(ns);
	tps_rcu_read_unlock();
}

static void tps_rcu_cb(struct tps_rcu_head *head)
{
	readside_cb_done(READSIDE_CB_OF(head));
}

static void tps_rcu_call(struct readside_cb *cb)
{
	tps_call_rcu((struct tps_rcu_head *)(void *)cb->head, tps_rcu_cb);
}

const struct readside_impl readside_tps_rcu = {
        .name = "tps-rcu",
        .setup = tps_rcu_setup,
        .teardown = tps_rcu_teardown,
        .loop = tps_rcu_loop,
        .loop_nested = tps_rcu_loop_nested,
        .synchronize = tps_synchronize_rcu,
        .has_fallback = true,
        .hold = tps_rcu_hold,
        .get_state = tps_get_state_synchronize_rcu,
        .cookie_step = 2,
        .call = tps_rcu_call,
        .barrier = tps_rcu_barrier,
};
