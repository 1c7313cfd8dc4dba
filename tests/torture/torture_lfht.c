/* SPDX-License-Identifier: MIT */
/*
 * tests/torture/torture_lfht.c - liburcu's lock-free hash table (cds_lfht)
 * run over a tpsync flavour through the tpsync-urcu adapter, tortured with
 * pipe counts as the harness of torture.c does.
 *
 * Built three times: torture_lfht_rcu over tps_urcu_flavor_rcu,
 * torture_lfht_trace over tps_urcu_flavor_rcu_tasks_trace, whose readers
 * also sleep while they hold nodes (which no liburcu flavour allows), and
 * torture_lfht_qsbr over tps_urcu_flavor_qsbr, whose threads announce
 * quiescent states between critical sections and sleep offline.
 *
 * Updaters replace, remove and add nodes; a removed node gets pipe count 1,
 * a callback after the next grace period raises it to 2 and queues a second
 * callback that poisons (3) and frees it. A reader checks, at the end of its
 * critical section, every node it found in it: a pipe count of 2 or more
 * means a grace period ended while the reader still held the node, and the
 * run fails. With auto-resize and explicit resizes the table's own grace
 * periods (bucket tables freed after a grace period) are exercised too.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <urcu/rculfhash.h>

#include <tpsync/urcu_flavor.h>

#include "torture.h"

#if defined(LFHT_TASKS_TRACE)
#define FLAVOR (&tps_urcu_flavor_rcu_tasks_trace)
#define NAME "torture_lfht_trace"
#define READERS_SLEEP 1
#define TABLE_FLAGS (CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING)
#elif defined(LFHT_QSBR)
/* QSBR: threads announce quiescent states and sleep offline, outside readers. */
#define FLAVOR (&tps_urcu_flavor_qsbr)
#define NAME "torture_lfht_qsbr"
#define READERS_SLEEP 0
/*
 * No auto-resize under QSBR: liburcu's resize worker registers (goes
 * online) and then blocks on the table's resize lock, so when an explicit
 * cds_lfht_resize() holds that lock and waits for a grace period, the
 * grace period waits for the blocked worker and neither ever returns
 * (liburcu's own QSBR flavour deadlocks the same way). The explicit resizes
 * below, from one thread only, still free bucket tables after grace periods.
 */
#define TABLE_FLAGS CDS_LFHT_ACCOUNTING
#else
#define FLAVOR (&tps_urcu_flavor_rcu)
#define NAME "torture_lfht_rcu"
#define READERS_SLEEP 0
#define TABLE_FLAGS (CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING)
#endif

#define NREADERS 3
#define NUPDATERS 2
/* Keys live in [0, KEYS): about half are in the table at any time. */
#define KEYS 512
/* Nodes one reader checks per critical section. */
#define LOOKUPS_PER_READ 4
#define DEFAULT_SECONDS 5
/* Updates between two explicit resizes (a power of two; -D for stress runs). */
#ifndef RESIZE_PERIOD
#define RESIZE_PERIOD 4096
#endif

struct tnode {
	struct cds_lfht_node lf;
	unsigned long key;
	/* 0 live, 1 removed, 2 a grace period has passed, 3 poisoned. */
	_Atomic int pipe;
	struct rcu_head head;
};

static struct cds_lfht *ht;
static _Atomic int stop;
static _Atomic long reads, found, bad, updates, resizes, freed, removed;

static unsigned long hash_key(unsigned long key)
{
	return key * 0x9e3779b97f4a7c15UL;
}

static int match_key(struct cds_lfht_node *node, const void *key)
{
	return caa_container_of(node, struct tnode, lf)->key == *(const unsigned long *)key;
}

static unsigned long next_rand(unsigned long *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void free_cb(struct rcu_head *head)
{
	struct tnode *n = caa_container_of(head, struct tnode, head);

	atomic_store(&n->pipe, 3);
	free(n);
	atomic_fetch_add(&freed, 1);
}

static void after_gp_cb(struct rcu_head *head)
{
	struct tnode *n = caa_container_of(head, struct tnode, head);

	atomic_store_explicit(&n->pipe, 2, memory_order_release);
	FLAVOR->update_call_rcu(&n->head, free_cb);
}

/* n was unlinked by the caller: pipe 1, then 2 after a grace period, then freed. */
static void retire(struct tnode *n)
{
	atomic_store_explicit(&n->pipe, 1, memory_order_release);
	atomic_fetch_add(&removed, 1);
	FLAVOR->update_call_rcu(&n->head, after_gp_cb);
}

static struct tnode *node_new(unsigned long key)
{
	struct tnode *n = calloc(1, sizeof(*n));

	if (!n) {
		fprintf(stderr, "%s: out of memory\n", NAME);
		exit(TORTURE_EXIT_SETUP);
	}
	cds_lfht_node_init(&n->lf);
	n->key = key;
	return n;
}

static void *reader(void *arg)
{
	unsigned long seed = (unsigned long)(uintptr_t)arg * 7919 + 1;
	struct tnode *held[LOOKUPS_PER_READ];
	long n = 0;

	FLAVOR->register_thread();
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		struct cds_lfht_iter iter;
		int nheld = 0, i;

		FLAVOR->read_lock();
		for (i = 0; i < LOOKUPS_PER_READ; i++) {
			unsigned long key = next_rand(&seed) % KEYS;
			struct cds_lfht_node *node;

			cds_lfht_lookup(ht, hash_key(key), match_key, &key, &iter);
			node = cds_lfht_iter_get_node(&iter);
			if (node)
				held[nheld++] = caa_container_of(node, struct tnode, lf);
		}
		if ((n & 1023) == 0) {
			/* A full walk now and then, checking each node at once. */
			struct tnode *t;

			cds_lfht_for_each_entry(
			        ht, &iter, t,
			        lf) if (atomic_load_explicit(&t->pipe, memory_order_acquire) >= 2)
			        atomic_fetch_add(&bad, 1);
		}
		if (READERS_SLEEP && (n & 63) == 0)
			usleep(200);
		else
			for (i = 0; i < 200; i++)
				__asm__ __volatile__("" ::: "memory");
		for (i = 0; i < nheld; i++) {
			if (atomic_load_explicit(&held[i]->pipe, memory_order_acquire) >= 2) {
				atomic_fetch_add(&bad, 1);
				fprintf(stderr,
				        "%s: a reader still holds a node whose grace period "
				        "ended\n",
				        NAME);
				fflush(stderr);
			}
		}
		if (!FLAVOR->read_ongoing())
			atomic_fetch_add(&bad, 1);
		FLAVOR->read_unlock();
		FLAVOR->read_quiescent_state();
		if (!READERS_SLEEP && (n & 255) == 0) {
			FLAVOR->thread_offline();
			usleep(100);
			FLAVOR->thread_online();
		}
		atomic_fetch_add_explicit(&found, nheld, memory_order_relaxed);
		n++;
	}
	atomic_fetch_add(&reads, n);
	FLAVOR->unregister_thread();
	return NULL;
}

static void *updater(void *arg)
{
	unsigned long seed = (unsigned long)(uintptr_t)arg * 104729 + 3;
	long n = 0;

	FLAVOR->register_thread();
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		unsigned long key = next_rand(&seed) % KEYS;
		unsigned long op = next_rand(&seed) % 64;
		struct cds_lfht_iter iter;
		struct cds_lfht_node *node;
		struct tnode *fresh = node_new(key);

		FLAVOR->read_lock();
		cds_lfht_lookup(ht, hash_key(key), match_key, &key, &iter);
		node = cds_lfht_iter_get_node(&iter);
		if (!node) {
			node = cds_lfht_add_unique(ht, hash_key(key), match_key, &key, &fresh->lf);
			FLAVOR->read_unlock();
			if (node != &fresh->lf)
				free(fresh);
		} else if (op < 32) {
			int ret = cds_lfht_replace(ht, &iter, hash_key(key), match_key, &key,
			                           &fresh->lf);
			FLAVOR->read_unlock();
			if (ret == 0)
				retire(caa_container_of(node, struct tnode, lf));
			else
				free(fresh);
		} else {
			int ret = cds_lfht_del(ht, node);
			FLAVOR->read_unlock();
			free(fresh);
			if (ret == 0) {
				struct tnode *t = caa_container_of(node, struct tnode, lf);

				if (op == 63) {
					/* Now and then, wait for the grace period right here. */
					atomic_store_explicit(&t->pipe, 1, memory_order_release);
					atomic_fetch_add(&removed, 1);
					FLAVOR->update_synchronize_rcu();
					after_gp_cb(&t->head);
				} else {
					retire(t);
				}
			}
		}
		FLAVOR->read_quiescent_state();
		/*
		 * Explicit resizes from one updater only: cds_lfht_resize()
		 * runs online and waits for grace periods while it holds the
		 * table's resize lock, so under QSBR a second online thread
		 * blocked on that lock would hold those grace periods up (the
		 * auto-resize worker is such a thread: see TABLE_FLAGS).
		 */
		if (arg == (void *)1 && (n & (RESIZE_PERIOD - 1)) == RESIZE_PERIOD - 1) {
			cds_lfht_resize(ht, (n & (2 * RESIZE_PERIOD)) ? 4 : 256);
			atomic_fetch_add(&resizes, 1);
		}
		n++;
	}
	atomic_fetch_add(&updates, n);
	FLAVOR->unregister_thread();
	return NULL;
}

static unsigned int run_seconds(void)
{
	const char *s = getenv("TPSYNC_TORTURE_SECONDS");
	char *end;
	long v;

	if (!s || !*s)
		return DEFAULT_SECONDS;
	v = strtol(s, &end, 10);
	if (*end || v <= 0) {
		fprintf(stderr, "%s: TPSYNC_TORTURE_SECONDS=%s: expected a positive number\n", NAME,
		        s);
		exit(TORTURE_EXIT_SETUP);
	}
	return (unsigned int)v;
}

int main(void)
{
	pthread_t readers[NREADERS], updaters[NUPDATERS];
	unsigned int seconds = run_seconds();
	struct cds_lfht_iter iter;
	struct tnode *t;
	long left = 0;
	int i;

	setvbuf(stdout, NULL, _IONBF, 0);
	ht = cds_lfht_new_flavor(4, 4, 0, TABLE_FLAGS, FLAVOR, NULL);
	if (!ht) {
		fprintf(stderr, "%s: cds_lfht_new_flavor failed\n", NAME);
		return TORTURE_EXIT_SETUP;
	}
	for (i = 0; i < NREADERS; i++)
		pthread_create(&readers[i], NULL, reader, (void *)(uintptr_t)(i + 1));
	for (i = 0; i < NUPDATERS; i++)
		pthread_create(&updaters[i], NULL, updater, (void *)(uintptr_t)(i + 1));
	for (unsigned int s = 0; s < seconds && !atomic_load(&bad); s++)
		sleep(1);
	atomic_store(&stop, 1);
	for (i = 0; i < NREADERS; i++)
		pthread_join(readers[i], NULL);
	for (i = 0; i < NUPDATERS; i++)
		pthread_join(updaters[i], NULL);

	/* Empty the table, wait for every callback (they chain: twice), destroy it. */
	FLAVOR->register_thread();
	FLAVOR->read_lock();
	cds_lfht_for_each_entry(ht, &iter, t, lf) if (cds_lfht_del(ht, &t->lf) == 0) retire(t);
	FLAVOR->read_unlock();
	FLAVOR->thread_offline();
	FLAVOR->barrier();
	FLAVOR->barrier();
	if (cds_lfht_destroy(ht, NULL) != 0) {
		fprintf(stderr, "%s: cds_lfht_destroy failed\n", NAME);
		return TORTURE_EXIT_FAIL;
	}
	FLAVOR->thread_online();
	FLAVOR->unregister_thread();
	left = atomic_load(&removed) - atomic_load(&freed);
	printf("%s: %u s, %ld reads (%ld nodes held), %ld updates, %ld resizes, %ld retired, "
	       "%ld not freed, %ld too-short grace periods seen\n",
	       NAME, seconds, atomic_load(&reads), atomic_load(&found), atomic_load(&updates),
	       atomic_load(&resizes), atomic_load(&removed), left, atomic_load(&bad));
	if (atomic_load(&bad) || left)
		return TORTURE_EXIT_FAIL;
	if (!atomic_load(&reads) || !atomic_load(&found) || !atomic_load(&removed)) {
		fprintf(stderr, "%s: the run exercised nothing\n", NAME);
		return TORTURE_EXIT_FAIL;
	}
	return TORTURE_EXIT_PASS;
}
