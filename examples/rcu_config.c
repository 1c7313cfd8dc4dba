/* SPDX-License-Identifier: MIT */
/*
 * rcu_config.c - the classic flavour in one page.
 *
 * Readers look at the current configuration without locks; a writer
 * replaces it and frees the old one once no reader can still see it, either
 * by waiting (tps_synchronize_rcu) or by deferring the free (tps_call_rcu).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <tpsync/rcu.h>

struct config {
	int version;
	int timeout_ms;
	struct tps_rcu_head rcu; /* for tps_call_rcu() */
};

static struct config *current_config; /* published with tps_rcu_assign_pointer() */
static _Atomic int stop;

static void *reader(void *arg)
{
	long reads = 0, bad = 0;

	(void)arg;
	while (!atomic_load(&stop)) {
		tps_rcu_read_lock(); /* the first call registers this thread */
		struct config *c = tps_rcu_dereference(current_config);
		if (c->timeout_ms != c->version * 10) /* never torn, never freed */
			bad++;
		tps_rcu_read_unlock();
		reads++;
	}
	printf("reader: %ld reads, %ld inconsistent\n", reads, bad);
	return (void *)bad;
}

static void free_config(struct tps_rcu_head *head)
{
	free(tps_container_of(head, struct config, rcu));
}

static struct config *new_config(int version)
{
	struct config *c = malloc(sizeof(*c));

	if (!c) {
		perror("malloc");
		exit(1);
	}
	c->version = version;
	c->timeout_ms = version * 10;
	return c;
}

int main(void)
{
	pthread_t readers[2];
	void *bad;
	long total_bad = 0;
	int v;

	tps_rcu_assign_pointer(current_config, new_config(0));
	for (v = 0; v < 2; v++)
		pthread_create(&readers[v], NULL, reader, NULL);

	for (v = 1; v <= 2000; v++) {
		struct config *old = tps_rcu_xchg_pointer(&current_config, new_config(v));

		if (v % 2) {
			tps_synchronize_rcu(); /* wait for readers that may see old */
			free(old);
		} else {
			tps_call_rcu(&old->rcu, free_config); /* or let a worker free it */
		}
	}

	atomic_store(&stop, 1);
	for (v = 0; v < 2; v++) {
		pthread_join(readers[v], &bad);
		total_bad += (long)bad;
	}
	tps_rcu_barrier(); /* every queued free_config has run */
	free(current_config);
	printf("rcu_config: %s\n", total_bad ? "FAILED" : "ok");
	return total_bad != 0;
}
