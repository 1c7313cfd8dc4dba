/* SPDX-License-Identifier: MIT */
/*
 * urcu-memb - liburcu's memb flavour: a per-thread counter and compiler
 * barriers on the read side, membarrier on the updater side (the design
 * tps-rcu follows). _LGPL_SOURCE inlines the read side from liburcu's
 * headers, as a program that cares about speed uses it. Its readers must not
 * block: the held reader of `gp` spins.
 */
#define _LGPL_SOURCE
#include <urcu/urcu-memb.h>

#include "../bench.h"
#include "../readside.h"

_Static_assert(sizeof(struct rcu_head) <= READSIDE_CB_HEAD_SIZE, "callback head too big");

static void urcu_memb_setup(void)
{
	urcu_memb_register_thread();
}

static void urcu_memb_teardown(void)
{
	urcu_memb_unregister_thread();
}

static READSIDE_NOINLINE void urcu_memb_loop(unsigned long iterations)
{
	READSIDE_LOOP(iterations, urcu_memb_read_lock(), urcu_memb_read_unlock());
}

static READSIDE_NOINLINE void urcu_memb_loop_nested(unsigned long iterations)
{
	READSIDE_LOOP_NESTED(iterations, urcu_memb_read_lock(), urcu_memb_read_lock(),
	                     urcu_memb_read_unlock(), urcu_memb_read_unlock());
}

static void urcu_memb_hold(uint64_t ns)
{
	urcu_memb_read_lock();
	bench_spin_ns(ns);
	urcu_memb_read_unlock();
}

static void urcu_memb_cb(struct rcu_head *head)
{
	readside_cb_done(READSIDE_CB_OF(head));
}

static void urcu_memb_call(struct readside_cb *cb)
{
	urcu_memb_call_rcu((struct rcu_head *)(void *)cb->head, urcu_memb_cb);
}

const struct readside_impl readside_urcu_memb = {
        .name = "urcu-memb",
        .setup = urcu_memb_setup,
        .teardown = urcu_memb_teardown,
        .loop = urcu_memb_loop,
        .loop_nested = urcu_memb_loop_nested,
        .synchronize = urcu_memb_synchronize_rcu,
        .hold = urcu_memb_hold,
        .call = urcu_memb_call,
        .barrier = urcu_memb_barrier,
};
