/* SPDX-License-Identifier: MIT */
/* Consumer check: publish, read, synchronize, call_rcu, barrier. */
#include <stdio.h>
#include <stdlib.h>

#include <tpsync/rcu.h>

struct config {
	int value;
	struct tps_rcu_head rcu;
};

static struct config *current;
static int freed;

static void free_config(struct tps_rcu_head *head)
{
	free(tps_container_of(head, struct config, rcu));
	freed++;
}

static struct config *make_config(int value)
{
	struct config *c = malloc(sizeof(*c));

	if (!c)
		exit(2);
	c->value = value;
	return c;
}

int main(void)
{
	struct config *old;
	int seen;

	tps_rcu_assign_pointer(current, make_config(1));
	tps_rcu_read_lock();
	seen = tps_rcu_dereference(current)->value;
	tps_rcu_read_unlock();

	old = tps_rcu_xchg_pointer(&current, make_config(2));
	tps_synchronize_rcu();
	free(old);

	old = tps_rcu_xchg_pointer(&current, make_config(3));
	if (tps_call_rcu(&old->rcu, free_config) != 0)
		return 1;
	tps_rcu_barrier();
	free(current);

	if (seen != 1 || freed != 1) {
		fprintf(stderr, "consumer: seen %d freed %d\n", seen, freed);
		return 1;
	}
	printf("consumer: ok\n");
	return 0;
}
