/* SPDX-License-Identifier: MIT */
/*
 * Consumer check of the debug variant: breaks the rule named on the command
 * line, which libtpsync-debug must report (abort, naming the rule) where
 * the release library would hang.
 *
 *   debug_rules synchronize-in-reader   tps_synchronize_srcu() inside a reader
 *                                       of the same domain
 *   debug_rules srcu-wrong-index        unlock with the other index, then a
 *                                       grace period
 *   debug_rules exit-in-reader          a thread exits inside a classic reader
 *   debug_rules srcu-mixed-readers      a fast reader on a classic SRCU domain
 *   debug_rules rcu-unbalanced          a classic unlock without a lock
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <tpsync/config.h>
#include <tpsync/rcu.h>
#include <tpsync/srcu.h>

#if !TPSYNC_DEBUG
#error "compile with the debug variant's flags (-DTPSYNC_DEBUG=1)"
#endif

TPS_DEFINE_SRCU(domain);

static void *exit_inside(void *arg)
{
	(void)arg;
	tps_rcu_read_lock();
	return NULL;
}

int main(int argc, char **argv)
{
	int idx;

	if (argc != 2)
		return 2;
	/* Unbuffered: what was reached must show if the rule is missed (a hang). */
	setvbuf(stdout, NULL, _IONBF, 0);
	/* A missed rule hangs: the harness's timeout ends it, this bounds it too. */
	alarm(20);
	if (strcmp(argv[1], "synchronize-in-reader") == 0) {
		idx = tps_srcu_read_lock(&domain);
		printf("debug_rules: synchronizing inside a reader of the domain\n");
		tps_synchronize_srcu(&domain);
		tps_srcu_read_unlock(&domain, idx);
	} else if (strcmp(argv[1], "srcu-wrong-index") == 0) {
		idx = tps_srcu_read_lock(&domain);
		printf("debug_rules: unlocking with index %d instead of %d\n", !idx, idx);
		tps_srcu_read_unlock(&domain, !idx);
		tps_synchronize_srcu(&domain);
	} else if (strcmp(argv[1], "exit-in-reader") == 0) {
		pthread_t t;

		printf("debug_rules: a thread exits inside a classic reader\n");
		if (pthread_create(&t, NULL, exit_inside, NULL) != 0)
			return 2;
		pthread_join(t, NULL);
		tps_synchronize_rcu();
	} else if (strcmp(argv[1], "srcu-mixed-readers") == 0) {
		printf("debug_rules: a fast reader on a classic SRCU domain\n");
		idx = tps_srcu_read_lock_fast(&domain);
		tps_srcu_read_unlock_fast(&domain, idx);
	} else if (strcmp(argv[1], "rcu-unbalanced") == 0) {
		printf("debug_rules: a classic unlock without a lock\n");
		tps_rcu_read_unlock();
	} else {
		return 2;
	}
	printf("debug_rules: %s was not reported\n", argv[1]);
	return 1;
}
