/* SPDX-License-Identifier: MIT */
/*
 * urcu-qsbr - liburcu's qsbr flavour: readers announce quiescent states
 * instead of marking critical sections, so read_lock/read_unlock are empty
 * (they only check, in liburcu's debug builds, that the thread is online).
 * _LGPL_SOURCE inlines the read side from liburcu's headers.
 *
 * A measuring thread is online only inside its loop and offline between
 * loops: a grace period waits for every online thread to pass a quiescent
 * state, so an updater (the --updater variant, `gp`) completes one whenever
 * a loop ends, as it would in a program that goes quiescent between bursts
 * of work. Going online and offline costs two stores and a fence per batch
 * of millions of pairs. The held reader of `gp` stays online, spinning.
 */
#define _LGPL_SOURCE
#include <urcu/urcu-qsbr.h>

#include "../bench.h"
#include "../readside.h"

static void urcu_qsbr_setup(void)
{
	urcu_qsbr_register_thread();
	urcu_qsbr_thread_offline();
}

static void urcu_qsbr_teardown(void)
{
	urcu_qsbr_thread_online();
	urcu_qsbr_unregister_thread();
}

static READSIDE_NOINLINE void urcu_qsbr_loop(unsigned long iterations)
{
	urcu_qsbr_thread_online();
	READSIDE_LOOP(iterations, urcu_qsbr_read_lock(), urcu_qsbr_read_unlock());
	urcu_qsbr_thread_offline();
}

static READSIDE_NOINLINE void urcu_qsbr_loop_nested(unsigned long iterations)
{
	urcu_qsbr_thread_online();
	READSIDE_LOOP_NESTED(iterations, urcu_qsbr_read_lock(), urcu_qsbr_read_lock(),
	                     urcu_qsbr_read_unlock(), urcu_qsbr_read_unlock());
	urcu_qsbr_thread_offline();
}

static void urcu_qsbr_hold(uint64_t ns)
{
	urcu_qsbr_thread_online();
	urcu_qsbr_read_lock();
	bench_spin_ns(ns);
	urcu_qsbr_read_unlock();
	urcu_qsbr_thread_offline();
}

const struct readside_impl readside_urcu_qsbr = {
        .name = "urcu-qsbr",
        .setup = urcu_qsbr_setup,
        .teardown = urcu_qsbr_teardown,
        .loop = urcu_qsbr_loop,
        .loop_nested = urcu_qsbr_loop_nested,
        .synchronize = urcu_qsbr_synchronize_rcu,
        .hold = urcu_qsbr_hold,
};
