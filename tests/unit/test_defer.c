/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/test_defer.c - tps_defer_rcu() and tps_defer_rcu_tasks_trace():
 * deferred calls run after a grace period and no sooner, a thread's calls in
 * flight are bounded (past the bound the producer waits for a grace period
 * and runs the call itself), calls outlive the thread that deferred them,
 * and bad input is refused.
 */
#include "unit.h"

#include <errno.h>
#include <stdint.h>

#include <tpsync/rcu.h>
#include <tpsync/rcu_trace.h>

/* The bound documented at tps_defer_rcu(). */
#define DEFER_BOUND 4096

static _Atomic long ran;

static void count_call(void *arg)
{
	atomic_fetch_add(&ran, (long)(intptr_t)arg);
}

static void rcu_lock_step(void)
{
	tps_rcu_read_lock();
}

static void rcu_unlock_step(void)
{
	tps_rcu_read_unlock();
}

static void trace_lock_step(void)
{
	tps_rcu_read_lock_trace();
}

static void trace_unlock_step(void)
{
	tps_rcu_read_unlock_trace();
}

static void test_rejects_null(void **state)
{
	(void)state;
	assert_int_equal(tps_defer_rcu(NULL, NULL), -EINVAL);
	assert_int_equal(tps_defer_rcu_tasks_trace(NULL, NULL), -EINVAL);
	assert_int_equal(tps__defer_in_flight(), 0);
}

/* A deferred call waits for a reader that was inside; the barrier runs it. */
static void test_runs_after_grace_period(void **state)
{
	struct unit_puppet reader;

	(void)state;
	atomic_store(&ran, 0);
	unit_puppet_start(&reader);
	unit_puppet_run(&reader, rcu_lock_step);
	assert_int_equal(tps_defer_rcu(count_call, (void *)1), 0);
	unit_sleep_ms(UNIT_GRACE_MS);
	assert_int_equal(atomic_load(&ran), 0);
	unit_puppet_run(&reader, rcu_unlock_step);
	tps_rcu_barrier();
	assert_int_equal(atomic_load(&ran), 1);
	assert_int_equal(tps__defer_in_flight(), 0);

	/* The same for tasks-trace, with a reader that sleeps inside. */
	unit_puppet_run(&reader, trace_lock_step);
	assert_int_equal(tps_defer_rcu_tasks_trace(count_call, (void *)1), 0);
	unit_sleep_ms(UNIT_GRACE_MS);
	assert_int_equal(atomic_load(&ran), 1);
	unit_puppet_run(&reader, trace_unlock_step);
	tps_rcu_barrier_tasks_trace();
	assert_int_equal(atomic_load(&ran), 2);
	unit_puppet_stop(&reader);
}

static long seen_in_flight;

static void defer_up_to_bound_step(void)
{
	for (long i = 0; i < DEFER_BOUND; i++)
		tps_defer_rcu(count_call, (void *)1);
	seen_in_flight = tps__defer_in_flight();
}

static void defer_one_step(void)
{
	tps_defer_rcu(count_call, (void *)1);
}

/*
 * With a reader holding every grace period up, a producer queues exactly the
 * bound; its next call waits (for that reader) instead of queueing, then
 * runs the function itself. Another thread has a bound of its own.
 */
static void test_bounded_per_thread(void **state)
{
	struct unit_puppet reader, producer;

	(void)state;
	atomic_store(&ran, 0);
	unit_puppet_start(&reader);
	unit_puppet_start(&producer);
	unit_puppet_run(&reader, rcu_lock_step);
	unit_puppet_run(&producer, defer_up_to_bound_step);
	assert_int_equal(seen_in_flight, DEFER_BOUND);
	assert_int_equal(atomic_load(&ran), 0);
	assert_int_equal(tps_defer_rcu(count_call, (void *)1), 0);
	assert_int_equal(tps__defer_in_flight(), 1);
	unit_puppet_post(&producer, defer_one_step);
	unit_puppet_settle(&producer);
	unit_sleep_ms(UNIT_GRACE_MS);
	assert_false(unit_puppet_done(&producer));
	assert_int_equal(atomic_load(&ran), 0);
	unit_puppet_run(&reader, rcu_unlock_step);
	unit_puppet_wait(&producer);
	unit_puppet_stop(&producer);
	unit_puppet_stop(&reader);
	tps_rcu_barrier();
	assert_int_equal(atomic_load(&ran), DEFER_BOUND + 2);
	assert_int_equal(tps__defer_in_flight(), 0);
}

static void *exiting_producer(void *arg)
{
	(void)arg;
	for (int i = 0; i < 10; i++)
		tps_defer_rcu(count_call, (void *)1);
	return NULL;
}

/* Calls deferred by a thread that has exited still run (and free nothing twice). */
static void test_outlives_thread(void **state)
{
	struct unit_puppet reader;

	(void)state;
	atomic_store(&ran, 0);
	unit_puppet_start(&reader);
	unit_puppet_run(&reader, rcu_lock_step);
	unit_thread_join(unit_thread_start(exiting_producer, NULL));
	assert_int_equal(atomic_load(&ran), 0);
	unit_puppet_run(&reader, rcu_unlock_step);
	unit_puppet_stop(&reader);
	tps_rcu_barrier();
	assert_int_equal(atomic_load(&ran), 10);
}

static pthread_key_t late_key;

/* A destructor that runs after the library's own at thread exit. */
static void late_destructor(void *arg)
{
	(void)arg;
	tps_defer_rcu(count_call, (void *)1);
}

static void *exiting_with_late_destructor(void *arg)
{
	(void)arg;
	tps_defer_rcu(count_call, (void *)1);
	/* Nothing in flight at exit: the thread holds the only reference. */
	tps_rcu_barrier();
	pthread_setspecific(late_key, (void *)1);
	return NULL;
}

/*
 * A thread-specific destructor that defers a call after the library's
 * destructor has dropped the thread's block: the call runs, and nothing
 * freed is touched (ASan).
 */
static void test_defer_from_late_destructor(void **state)
{
	(void)state;
	atomic_store(&ran, 0);
	/* The library's key exists before ours: its destructor runs first. */
	assert_int_equal(tps_defer_rcu(count_call, (void *)1), 0);
	assert_int_equal(pthread_key_create(&late_key, late_destructor), 0);
	unit_thread_join(unit_thread_start(exiting_with_late_destructor, NULL));
	tps_rcu_barrier();
	assert_int_equal(atomic_load(&ran), 3);
	pthread_key_delete(late_key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_rejects_null),
	        cmocka_unit_test(test_runs_after_grace_period),
	        cmocka_unit_test(test_bounded_per_thread),
	        cmocka_unit_test(test_outlives_thread),
	        cmocka_unit_test(test_defer_from_late_destructor),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
