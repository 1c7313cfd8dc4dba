/* SPDX-License-Identifier: MIT */
/*
 * urcu-bp - liburcu's "bulletproof" flavour: a thread registers itself at its
 * first lock, so the fast path also tests a per-thread pointer and reaches
 * the reader's counter through it; like memb, compiler barriers on the read
 * side where the kernel has membarrier. The explicit registration below
 * moves the first-lock cost out of the timing. _LGPL_SOURCE inlines the read
 * side from liburcu's headers. Its readers must not block: the held reader
 * of `gp` spins.
 */
#define _LGPL_SOURCE
#include <urcu/urcu-bp.h>

#include "../bench.h"
#include "../readside.h"

static void urcu_bp_setup(void)
{
	urcu_bp_register_thread();
}

static READSIDE_NOINLINE void urcu_bp_loop(unsigned long iterations)
{
	READSIDE_LOOP(iterations, urcu_bp_read_lock(), urcu_bp_read_unlock());
}

static READSIDE_NOINLINE void urcu_bp_loop_nested(unsigned long iterations)
{
	READSIDE_LOOP_NESTED(iterations, urcu_bp_read_lock(), urcu_bp_read_lock(),
	                     urcu_bp_read_unlock(), urcu_bp_read_unlock());
}

static void urcu_bp_hold(uint64_t ns)
{
	urcu_bp_read_lock();
	bench_spin_ns(ns);
	urcu_bp_read_unlock();
}

/* No teardown: a urcu-bp thread is unregistered when it exits. */
const struct readside_impl readside_urcu_bp = {
        .name = "urcu-bp",
        .setup = urcu_bp_setup,
        .loop = urcu_bp_loop,
        .loop_nested = urcu_bp_loop_nested,
        .synchronize = urcu_bp_synchronize_rcu,
        .hold = urcu_bp_hold,
};
