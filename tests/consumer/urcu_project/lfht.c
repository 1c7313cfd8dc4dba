/* SPDX-License-Identifier: MIT */
/* A hash table of liburcu's over tpsync's tasks-trace flavour: readers may sleep. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <urcu/rculfhash.h>

#include <tpsync/urcu_flavor.h>

struct item {
	struct cds_lfht_node node;
	int key;
	struct rcu_head head;
};

static int match(struct cds_lfht_node *node, const void *key)
{
	return caa_container_of(node, struct item, node)->key == *(const int *)key;
}

static void free_item(struct rcu_head *head)
{
	free(caa_container_of(head, struct item, head));
}

int main(void)
{
	const struct rcu_flavor_struct *fl = &tps_urcu_flavor_rcu_tasks_trace;
	struct cds_lfht *ht = cds_lfht_new_flavor(4, 4, 0, CDS_LFHT_AUTO_RESIZE, fl, NULL);
	struct cds_lfht_iter iter;
	struct item *it;
	int key, found = 0;

	if (!ht)
		return 1;
	for (key = 0; key < 100; key++) {
		it = calloc(1, sizeof(*it));
		if (!it)
			return 1;
		it->key = key;
		fl->read_lock();
		cds_lfht_add(ht, (unsigned long)key, &it->node);
		fl->read_unlock();
	}
	fl->read_lock();
	usleep(1000); /* a tasks-trace reader may sleep while it holds nodes */
	cds_lfht_for_each_entry(ht, &iter, it, node)
	{
		found++;
		if (cds_lfht_del(ht, &it->node) == 0)
			fl->update_call_rcu(&it->head, free_item);
	}
	key = 7;
	cds_lfht_lookup(ht, 7, match, &key, &iter);
	fl->read_unlock();
	fl->barrier();
	if (found != 100 || cds_lfht_destroy(ht, NULL) != 0)
		return 1;
	printf("consumer_lfht: %d items over tasks-trace: ok\n", found);
	return 0;
}
