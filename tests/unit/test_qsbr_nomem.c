/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/test_qsbr_nomem.c - QSBR registration when the thread's exit
 * handler cannot be installed.
 *
 * A thread registers its exit handler with pthread_setspecific(), which
 * allocates (calloc) the thread's second-level key block when the key's
 * index is 32 or more, as it is in a program that already uses many keys.
 * This executable makes that allocation fail. A registration that reported
 * success without its exit handler would leave the thread's record in the
 * registry after the thread exits: later grace periods would read a dead
 * thread's storage and wait for it forever. Registration must fail with
 * -ENOMEM and change nothing instead.
 */
#include "nomem.h"
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <tpsync/rcu_qsbr.h>

/* Keys the program takes first, so that the library's keys come after 32. */
#define PROGRAM_KEYS 40
/* How long a grace period with no online thread may take before it counts as stuck. */
#define STUCK_MS 3000

/* calloc() fails on request: nomem.c. */

/* ---- The test. ---- */

static atomic_int register_result;
static atomic_bool watching_after;

static void *register_failing(void *arg)
{
	(void)arg;
	fail_callocs = 1;
	atomic_store(&register_result, tps_qsbr_register_thread());
	fail_callocs = 0;
	atomic_store(&watching_after, tps_rcu_is_watching());
	/* Exits: registered only if registration claimed success. */
	return NULL;
}

static atomic_bool sync_done;

/*
 * A QSBR thread started after the failed registration (glibc may give it the
 * exited thread's stack, and so its record): registers, waits for a grace
 * period, unregisters.
 */
static void *later_thread(void *arg)
{
	(void)arg;
	if (tps_qsbr_register_thread() == 0) {
		tps_synchronize_qsbr();
		tps_qsbr_unregister_thread();
	}
	atomic_store(&sync_done, true);
	return NULL;
}

static void test_register_without_exit_handler(void **state)
{
	pthread_t t;
	int i;

	(void)state;
	/* The library's exit key exists (made at the first registration). */
	assert_int_equal(tps_qsbr_register_thread(), 0);
	assert_int_equal(tps_qsbr_unregister_thread(), 0);

	atomic_store(&failed_callocs, 0);
	unit_thread_join(unit_thread_start(register_failing, NULL));
	if (atomic_load(&failed_callocs) == 0) {
		fprintf(stderr, "the exit key is below 32: pthread_setspecific never allocated\n");
		fail();
	}
	/* Either it failed and changed nothing, or it succeeded (and then exited registered). */
	if (atomic_load(&register_result) != 0) {
		assert_int_equal(atomic_load(&register_result), -ENOMEM);
		assert_false(atomic_load(&watching_after));
	}
	/* The exited thread must not hold or corrupt later grace periods. */
	t = unit_thread_start(later_thread, NULL);
	for (i = 0; i < STUCK_MS && !atomic_load(&sync_done); i++)
		unit_sleep_ms(1);
	if (!atomic_load(&sync_done)) {
		fprintf(stderr,
		        "a grace period is stuck on the thread that exited (registration "
		        "returned %d)\n",
		        atomic_load(&register_result));
		fail();
	}
	unit_thread_join(t);
	tps_synchronize_qsbr();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_register_without_exit_handler),
	};
	pthread_key_t keys[PROGRAM_KEYS];
	int i;

	if (UNIT_TSAN) {
		fprintf(stderr, "test_qsbr_nomem: skipped under ThreadSanitizer (no calloc "
		                "interposition)\n");
		return UNIT_SKIP_STATUS;
	}
	for (i = 0; i < PROGRAM_KEYS; i++)
		if (pthread_key_create(&keys[i], NULL) != 0)
			return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
