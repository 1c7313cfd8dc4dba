/* SPDX-License-Identifier: MIT */
/*
 * urcu-mb - liburcu's mb flavour: a per-thread counter and a full fence on
 * the read side at lock and at unlock. _LGPL_SOURCE inlines the read side
 * from liburcu's headers.
 */
#define _LGPL_SOURCE
#include <urcu/urcu-mb.h>

#include "../readside.h"

static void urcu_mb_setup(void)
{
	urcu_mb_register_thread();
}

static void urcu_mb_teardown(void)
{
	urcu_mb_unregister_thread();
}

static READSIDE_NOINLINE void urcu_mb_loop(unsigned long iterations)
{
	READSIDE_LOOP(iterations, urcu_mb_read_lock(), urcu_mb_read_unlock());
}

static READSIDE_NOINLINE void urcu_mb_loop_nested(unsigned long iterations)
{
	READSIDE_LOOP_NESTED(iterations, urcu_mb_read_lock(), urcu_mb_read_lock(),
	                     urcu_mb_read_unlock(), urcu_mb_read_unlock());
}

const struct readside_impl readside_urcu_mb = {
        .name = "urcu-mb",
        .setup = urcu_mb_setup,
        .teardown = urcu_mb_teardown,
        .loop = urcu_mb_loop,
        .loop_nested = urcu_mb_loop_nested,
        .synchronize = urcu_mb_synchronize_rcu,
};
