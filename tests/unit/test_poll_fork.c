/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/test_poll_fork.c - a grace period started with
 * tps_start_poll_synchronize_rcu() in a child of fork() completes whatever
 * another thread of the parent was doing with the poller at the fork.
 *
 * Its own executable: the order in which the callback workers were first
 * used decides the order in which fork preparation pauses them, and the
 * test needs the classic worker paused first (see the test).
 */
#include "unit.h"

#include <stdatomic.h>
#include <stdio.h>

#include <tpsync/rcu.h>
#include <tpsync/rcu_trace.h>

/* How long a child polls a started cookie before it gives up. */
#define CHILD_POLL_MS 5000

static atomic_int trace_cb_entered, trace_cb_release;

/* Keeps the tasks-trace worker busy running callbacks until released. */
static void blocking_trace_cb(struct tps_rcu_head *head)
{
	(void)head;
	atomic_store(&trace_cb_entered, 1);
	while (!atomic_load(&trace_cb_release))
		unit_sleep_ms(1);
}

static atomic_int request_go, fork_done, threads_ready;

/*
 * Waits for the go, then requests a polled grace period (racing the fork),
 * and exits only once the fork is over: a thread that exits frees memory,
 * and a child forked while a thread is inside ASan's allocator inherits its
 * lock held (ASan's allocator is not fork-safe).
 */
static void *start_poll_thread(void *arg)
{
	(void)arg;
	atomic_fetch_add(&threads_ready, 1);
	while (!atomic_load(&request_go))
		;
	(void)tps_start_poll_synchronize_rcu();
	while (!atomic_load(&fork_done))
		unit_sleep_ms(1);
	return NULL;
}

/*
 * Runs while the test thread forks, with the tasks-trace worker inside a
 * callback: a request for a polled grace period races the fork (the
 * requesting thread exists before the fork, so that no thread is in the
 * allocator then: ASan's allocator is not fork-safe), then the callback is
 * released.
 */
static void *during_fork(void *arg)
{
	pthread_t requester = *(pthread_t *)arg;

	atomic_fetch_add(&threads_ready, 1);
	/* Both threads started (no thread in the allocator): the fork may go. */
	while (atomic_load(&threads_ready) < 3)
		;
	atomic_store(&request_go, 1);
	unit_sleep_ms(2 * UNIT_GRACE_MS);
	atomic_store(&trace_cb_release, 1);
	unit_thread_join(requester);
	return NULL;
}

static bool poll_until_done(unsigned long cookie, int ms)
{
	for (int i = 0; i < ms; i++) {
		if (tps_poll_state_synchronize_rcu(cookie))
			return true;
		unit_sleep_ms(1);
	}
	return false;
}

/* In the child nobody synchronizes: only the poller can end the grace period. */
static void child_start_poll(void *arg)
{
	(void)arg;
	child_check(poll_until_done(tps_start_poll_synchronize_rcu(), CHILD_POLL_MS));
}

static void test_start_poll_requested_during_fork(void **state)
{
	static struct tps_rcu_head head;
	struct unit_child child;
	pthread_t helper, requester;

	(void)state;
	/*
	 * The tasks-trace worker is used first, the classic one second:
	 * fork preparation pauses the most recently used worker first, so it
	 * holds the classic worker while it waits for the tasks-trace callback.
	 */
	tps_rcu_barrier_tasks_trace();
	tps_rcu_barrier();
	/* The poller idle: its last cookie done and its last run over. */
	assert_true(poll_until_done(tps_start_poll_synchronize_rcu(), 10000));
	tps_rcu_barrier();

	assert_int_equal(tps_call_rcu_tasks_trace(&head, blocking_trace_cb), 0);
	while (!atomic_load(&trace_cb_entered))
		unit_sleep_ms(1);
	requester = unit_thread_start(start_poll_thread, NULL);
	helper = unit_thread_start(during_fork, &requester);
	while (atomic_load(&threads_ready) < 2)
		unit_sleep_ms(1);
	atomic_fetch_add(&threads_ready, 1);
	unit_run_child(child_start_poll, NULL, &child);
	atomic_store(&fork_done, 1);
	unit_thread_join(helper);
	unit_expect_success(&child);
	tps_rcu_barrier_tasks_trace();
	/* The parent's request completes too. */
	assert_true(poll_until_done(tps_start_poll_synchronize_rcu(), 10000));
}

static atomic_int poller_parked, poller_release;

static void park_poller(void)
{
	atomic_store(&poller_parked, 1);
	while (!atomic_load(&poller_release))
		unit_sleep_ms(1);
}

/*
 * The worker is inside the poller's callback, before it cleared its flag,
 * when another thread forks: in the child that callback counts as run (it
 * ran in the parent), so the child must queue the poller again itself or
 * its started cookies would never complete.
 */
static void test_fork_while_poller_runs(void **state)
{
	struct unit_child child;

	(void)state;
	tps_rcu_barrier();
	assert_true(poll_until_done(tps_start_poll_synchronize_rcu(), 10000));
	tps_rcu_barrier();
	atomic_store(&poller_parked, 0);
	atomic_store(&poller_release, 0);
	tps__poll_set_hook(park_poller);
	(void)tps_start_poll_synchronize_rcu();
	while (!atomic_load(&poller_parked))
		unit_sleep_ms(1);
	tps__poll_set_hook(NULL);
	unit_run_child(child_start_poll, NULL, &child);
	atomic_store(&poller_release, 1);
	unit_expect_success(&child);
	assert_true(poll_until_done(tps_start_poll_synchronize_rcu(), 10000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_start_poll_requested_during_fork),
	        cmocka_unit_test(test_fork_while_poller_runs),
	};

	/* As test_fork: a child of a multi-threaded fork cannot start threads under TSan. */
	if (UNIT_TSAN) {
		fprintf(stderr, "test_poll_fork: skipped under ThreadSanitizer, which does not "
		                "support threads after a multi-threaded fork\n");
		return UNIT_SKIP_STATUS;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
