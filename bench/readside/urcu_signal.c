/* SPDX-License-Identifier: MIT */
/*
 * urcu-signal - liburcu's signal flavour: a per-thread counter and compiler
 * barriers on the read side; the updater turns them into fences by sending
 * every reader a signal. _LGPL_SOURCE inlines the read side from liburcu's
 * headers.
 */
#define _LGPL_SOURCE
#include <urcu/urcu-signal.h>

#include "../readside.h"

static void urcu_signal_setup(void)
{
	urcu_signal_register_thread();
}

static void urcu_signal_teardown(void)
{
	urcu_signal_unregister_thread();
}

static READSIDE_NOINLINE void urcu_signal_loop(unsigned long iterations)
{
	READSIDE_LOOP(iterations, urcu_signal_read_lock(), urcu_signal_read_unlock());
}

static READSIDE_NOINLINE void urcu_signal_loop_nested(unsigned long iterations)
{
	READSIDE_LOOP_NESTED(iterations, urcu_signal_read_lock(), urcu_signal_read_lock(),
	                     urcu_signal_read_unlock(), urcu_signal_read_unlock());
}

const struct readside_impl readside_urcu_signal = {
        .name = "urcu-signal",
        .setup = urcu_signal_setup,
        .teardown = urcu_signal_teardown,
        .loop = urcu_signal_loop,
        .loop_nested = urcu_signal_loop_nested,
        .synchronize = urcu_signal_synchronize_rcu,
};
