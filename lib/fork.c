/* SPDX-License-Identifier: MIT */
/*
 * lib/fork.c - keeping the library usable on both sides of fork().
 *
 * Before fork: the tracepoint mutexes are taken, callback workers are
 * paused (never in the middle of running callbacks), then the registry lock
 * is taken, then the SRCU domain list's lock. Parent: released in the
 * reverse order. Child: only the forking thread exists, so the registry
 * forgets every other thread, grace-period state left half-way by another
 * thread is reset, and callback workers are restarted with the callbacks
 * whose grace period had not ended.
 */
#include "internal.h"

static void fork_prepare(void)
{
	tps__tracepoint_fork_prepare();
	tps__cb_fork_prepare();
	tps__registry_fork_prepare();
	tps__srcu_fork_prepare();
}

static void fork_parent(void)
{
	tps__srcu_fork_parent();
	tps__registry_fork_parent();
	tps__cb_fork_parent();
	tps__tracepoint_fork_parent();
}

static void fork_child(void)
{
	tps__srcu_fork_child();
	tps__registry_fork_child();
	tps__rcu_fork_child();
	tps__trace_fork_child();
	tps__qsbr_fork_child();
	tps__cb_fork_child();
	tps__tracepoint_fork_child();
}

void tps__fork_init(void)
{
	if (pthread_atfork(fork_prepare, fork_parent, fork_child) != 0)
		tps__rule_broken("fork", "pthread_atfork failed");
}
