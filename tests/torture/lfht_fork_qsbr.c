/* SPDX-License-Identifier: MIT */
/*
 * tests/torture/lfht_fork_qsbr.c - fork() under tps_urcu_flavor_qsbr while
 * the hash table's resize worker waits for a QSBR grace period.
 *
 * The adapter's fork handler pauses the resize worker, which finishes its
 * resize first; that resize waits for a grace period, which waits for every
 * online thread. A thread that forks while online therefore hangs in fork()
 * (as a liburcu-qsbr program calling call_rcu_before_fork() online would);
 * it cannot go offline behind the caller's back, since an online QSBR thread
 * may hold references anywhere between its quiescent states. So the rule is
 * the one of cds_lfht_destroy(): fork offline. This program forks offline
 * and must pass; built with LFHT_FORK_ONLINE it forks online and the
 * watchdog kills it.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <urcu/rculfhash.h>

#include <tpsync/rcu_qsbr.h>
#include <tpsync/urcu_flavor.h>

#include "torture.h"

/* Enough nodes that removing them all makes the table shrink. */
#define NODES 16384
/* Time given to the resize worker to start its shrink and wait in it. */
#define SETTLE_US 200000
/* A fork that takes longer than this is hung. */
#define WATCHDOG_S 20

static const struct rcu_flavor_struct *flavor = &tps_urcu_flavor_qsbr;

struct tnode {
	struct cds_lfht_node lf;
	unsigned long key;
};

static int match(struct cds_lfht_node *node, const void *key)
{
	return caa_container_of(node, struct tnode, lf)->key == *(const unsigned long *)key;
}

int main(void)
{
	static struct tnode nodes[NODES];
	struct cds_lfht *ht;
	int status;
	pid_t pid;

	flavor->register_thread();
	ht = cds_lfht_new_flavor(1, 1, 0, CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING, flavor, NULL);
	if (!ht)
		return TORTURE_EXIT_SETUP;
	for (unsigned long i = 0; i < NODES; i++) {
		nodes[i].key = i;
		cds_lfht_node_init(&nodes[i].lf);
		flavor->read_lock();
		cds_lfht_add_unique(ht, i * 0x9e3779b97f4a7c15UL, match, &nodes[i].key,
		                    &nodes[i].lf);
		flavor->read_unlock();
	}
	/* Let the table grow, offline. */
	flavor->thread_offline();
	usleep(SETTLE_US);
	flavor->thread_online();
	for (unsigned long i = 0; i < NODES; i++) {
		flavor->read_lock();
		cds_lfht_del(ht, &nodes[i].lf);
		flavor->read_unlock();
	}
	/* Online, no quiescent state: the worker's shrink now waits for us. */
	usleep(SETTLE_US);
	alarm(WATCHDOG_S);
#ifndef LFHT_FORK_ONLINE
	flavor->thread_offline();
#endif
	pid = fork();
	if (pid < 0)
		return TORTURE_EXIT_SETUP;
	if (pid == 0) {
		flavor->thread_offline();
		flavor->barrier();
		_exit(0);
	}
#ifndef LFHT_FORK_ONLINE
	flavor->thread_online();
#endif
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "lfht_fork_qsbr: the child failed (status %#x)\n", status);
		return TORTURE_EXIT_FAIL;
	}
	flavor->thread_offline();
	flavor->barrier();
	if (cds_lfht_destroy(ht, NULL) != 0)
		return TORTURE_EXIT_FAIL;
	alarm(0);
	flavor->thread_online();
	flavor->unregister_thread();
	printf("lfht_fork_qsbr: fork during a shrink: ok\n");
	return TORTURE_EXIT_PASS;
}
