/* SPDX-License-Identifier: MIT */
/*
 * The tps-rcu loop compiled as position-independent code into a module that
 * links libtpsync.so and is loaded with dlopen (tps_rcu_shared.c): the read
 * side as a shared library or plugin of a user's program runs it, with the
 * library's globals reached through the GOT.
 */
#include <tpsync/rcu.h>

#include "../readside.h"

READSIDE_NOINLINE void tpsbench_module_tps_rcu_loop(unsigned long iterations)
{
	READSIDE_LOOP(iterations, tps_rcu_read_lock(), tps_rcu_read_unlock());
}
