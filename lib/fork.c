/* SPDX-License-Identifier: MIT */
/*
 * lib/fork.c - keeping the library usable on both sides of fork().
 *
 * Before fork: the tracepoint mutexes are taken, then the callback
 * workers' list and queue locks (held only for a few list operations: no
 * running callback is waited for, see lib/callbacks.c), then the registry
 * lock, then the SRCU domain list's lock. Parent: released in the reverse
 * order. Child: only the forking thread exists, so the registry forgets
 * every other thread, grace-period state and per-domain counts left
 * half-way by another thread are reset, and callback workers are restarted
 * with every callback that had not run (a callback another thread was
 * running belongs to the parent).
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
	tps__tasks_fork_child();
	tps__cb_fork_child();
	tps__srcu_fork_child_poll();
	tps__rcu_fork_child_poll();
	tps__trace_fork_child_poll();
	tps__tracepoint_fork_child();
}

void tps__fork_init(void)
{
	if (pthread_atfork(fork_prepare, fork_parent, fork_child) != 0)
		tps__rule_broken("fork", "pthread_atfork failed");
}
