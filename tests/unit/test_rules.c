/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/test_rules.c - broken rules of the model. Each violation runs in
 * a forked child; the test expects SIGABRT and the broken-rule line on the
 * child's stderr, or, for the checks only debug builds make, a child that
 * carries on unharmed in release builds.
 *
 * Every build: synchronize (or cond_synchronize with a cookie not elapsed)
 * inside a classic reader, barrier inside a reader, barrier inside a
 * callback, classic or tasks-trace nesting deeper than the reader word
 * counts. Debug builds only (TPSYNC_DEBUG): might_sleep / might_fault
 * inside a reader, unbalanced unlock, thread exit inside a reader.
 */
#include "unit.h"

#include <signal.h>

#include <tpsync/rcu.h>
#include <tpsync/rcu_trace.h>

/* Deepest nesting the reader word can count (bits 0-15). */
#define MAX_NESTING 0xffff

static const bool debug_build = TPSYNC_DEBUG;

static atomic_int cb_runs;

static void count_cb(struct tps_rcu_head *head)
{
	(void)head;
	atomic_fetch_add(&cb_runs, 1);
}

/*
 * After a violation a release build tolerates, the thread is outside any
 * reader and everything works: readers, grace periods, callbacks.
 */
static void check_still_usable(void)
{
	static struct tps_rcu_head head;

	child_check(!tps_rcu_read_ongoing());
	tps_rcu_read_lock();
	child_check(tps_rcu_read_ongoing());
	tps_rcu_read_unlock();
	child_check(!tps_rcu_read_ongoing());
	tps_synchronize_rcu();
	atomic_store(&cb_runs, 0);
	child_check(tps_call_rcu(&head, count_cb) == 0);
	tps_rcu_barrier();
	child_check(atomic_load(&cb_runs) == 1);
}

/* ---- Every build. ---- */

/* The report names the rule and gives the detail, on one line. */
static void report_format(void *arg)
{
	(void)arg;
	tps__rule_broken("some-rule", "some detail");
}

static void test_report_format(void **state)
{
	struct unit_child c;

	(void)state;
	unit_run_child(report_format, NULL, &c);
	unit_expect_abort(&c, "some-rule");
	assert_string_equal(c.err, "tpsync: broken rule \"some-rule\": some detail\n");
}

static void synchronize_in_reader(void *arg)
{
	(void)arg;
	tps_rcu_read_lock();
	tps_synchronize_rcu();
}

static void synchronize_in_nested_reader(void *arg)
{
	(void)arg;
	tps_rcu_read_lock();
	tps_rcu_read_lock();
	tps_rcu_read_unlock();
	tps_synchronize_rcu();
}

static void cond_synchronize_in_reader(void *arg)
{
	unsigned long cookie = tps_get_state_synchronize_rcu();

	(void)arg;
	tps_rcu_read_lock();
	tps_cond_synchronize_rcu(cookie);
}

static void test_synchronize_in_reader(void **state)
{
	(void)state;
	unit_expect_rule(synchronize_in_reader, NULL, "synchronize-in-reader", true);
	unit_expect_rule(synchronize_in_nested_reader, NULL, "synchronize-in-reader", true);
	unit_expect_rule(cond_synchronize_in_reader, NULL, "synchronize-in-reader", true);
}

static void barrier_in_reader(void *arg)
{
	(void)arg;
	tps_rcu_read_lock();
	tps_rcu_barrier();
}

static void barrier_in_nested_reader(void *arg)
{
	(void)arg;
	tps_rcu_read_lock();
	tps_rcu_read_lock();
	tps_rcu_read_unlock();
	tps_rcu_barrier();
}

static void test_barrier_in_reader(void **state)
{
	(void)state;
	unit_expect_rule(barrier_in_reader, NULL, "barrier-in-reader", true);
	unit_expect_rule(barrier_in_nested_reader, NULL, "barrier-in-reader", true);
}

static void barrier_cb(struct tps_rcu_head *head)
{
	(void)head;
	tps_rcu_barrier();
}

static void barrier_in_callback(void *arg)
{
	static struct tps_rcu_head head;

	(void)arg;
	child_check(tps_call_rcu(&head, barrier_cb) == 0);
	/* The worker aborts the process while this waits. */
	tps_rcu_barrier();
	child_check(!"the callback's barrier returned");
}

static void test_barrier_in_callback(void **state)
{
	(void)state;
	unit_expect_rule(barrier_in_callback, NULL, "barrier-in-callback", true);
}

/* The same calls outside readers and callbacks are legal. */
static void legal_calls(void *arg)
{
	unsigned long cookie;

	(void)arg;
	cookie = tps_get_state_synchronize_rcu();
	tps_synchronize_rcu();
	tps_cond_synchronize_rcu(cookie);
	tps_cond_synchronize_rcu(tps_get_state_synchronize_rcu());
	tps_might_sleep();
	tps_might_fault();
	check_still_usable();
}

static void test_legal_calls(void **state)
{
	(void)state;
	unit_expect_rule(legal_calls, NULL, NULL, false);
}

/* ---- Debug builds abort; release builds carry on. ---- */

static void might_sleep_in_reader(void *arg)
{
	(void)arg;
	tps_rcu_read_lock();
	tps_might_sleep();
	tps_rcu_read_unlock();
	check_still_usable();
}

static void might_fault_in_nested_reader(void *arg)
{
	(void)arg;
	tps_rcu_read_lock();
	tps_rcu_read_lock();
	tps_might_fault();
	tps_rcu_read_unlock();
	tps_rcu_read_unlock();
	check_still_usable();
}

static void test_might_sleep_in_reader(void **state)
{
	(void)state;
	unit_expect_rule(might_sleep_in_reader, NULL, "might_sleep", debug_build);
	unit_expect_rule(might_fault_in_nested_reader, NULL, "might_fault", debug_build);
}

/* An unlock without a lock: on a registered thread, then on a fresh one. */
static void unbalanced_unlock(void *arg)
{
	(void)arg;
	tps_rcu_read_lock();
	tps_rcu_read_unlock();
	tps_rcu_read_unlock();
	check_still_usable();
}

static void *unbalanced_unlock_unregistered_thread(void *arg)
{
	bool *ok = arg;

	tps_rcu_read_unlock();
	*ok = !tps_rcu_read_ongoing();
	tps_rcu_read_lock();
	*ok = *ok && tps_rcu_read_ongoing();
	tps_rcu_read_unlock();
	*ok = *ok && !tps_rcu_read_ongoing();
	return NULL;
}

static void unbalanced_unlock_unregistered(void *arg)
{
	bool ok = false;
	pthread_t t;

	(void)arg;
	child_check(pthread_create(&t, NULL, unbalanced_unlock_unregistered_thread, &ok) == 0);
	child_check(pthread_join(t, NULL) == 0);
	child_check(ok);
	check_still_usable();
}

/* The extra unlock must not end the outer reader a level too early either. */
static void unbalanced_after_nesting(void *arg)
{
	(void)arg;
	tps_rcu_read_lock();
	tps_rcu_read_lock();
	tps_rcu_read_unlock();
	tps_rcu_read_unlock();
	tps_rcu_read_unlock();
	tps_rcu_read_lock();
	tps_rcu_read_lock();
	tps_rcu_read_unlock();
	child_check(tps_rcu_read_ongoing());
	tps_rcu_read_unlock();
	check_still_usable();
}

static void test_unbalanced_unlock(void **state)
{
	(void)state;
	unit_expect_rule(unbalanced_unlock, NULL, "rcu-unbalanced", debug_build);
	unit_expect_rule(unbalanced_unlock_unregistered, NULL, "rcu-unbalanced", debug_build);
	unit_expect_rule(unbalanced_after_nesting, NULL, "rcu-unbalanced", debug_build);
}

static void *exit_inside_reader_thread(void *arg)
{
	(void)arg;
	tps_rcu_read_lock();
	return NULL;
}

static atomic_int exit_stage; /* 1: the reader is inside; 2: it may exit */

static void *exit_inside_reader_later(void *arg)
{
	(void)arg;
	tps_rcu_read_lock();
	atomic_store(&exit_stage, 1);
	while (atomic_load(&exit_stage) != 2)
		unit_sleep_ms(1);
	return NULL;
}

static atomic_int sync_tid;

static void *synchronize_thread(void *arg)
{
	(void)arg;
	atomic_store(&sync_tid, unit_gettid());
	tps_synchronize_rcu();
	return NULL;
}

/*
 * Release builds: the thread leaves the registry all the same, and an
 * updater asleep waiting for it is woken (a hang otherwise: the ctest
 * timeout).
 */
static void exit_in_reader(void *arg)
{
	pthread_t t, u;
	int i;

	(void)arg;
	child_check(pthread_create(&t, NULL, exit_inside_reader_thread, NULL) == 0);
	child_check(pthread_join(t, NULL) == 0);
	check_still_usable();

	atomic_store(&exit_stage, 0);
	child_check(pthread_create(&t, NULL, exit_inside_reader_later, NULL) == 0);
	while (atomic_load(&exit_stage) != 1)
		unit_sleep_ms(1);
	child_check(pthread_create(&u, NULL, synchronize_thread, NULL) == 0);
	while (!atomic_load(&sync_tid))
		unit_sleep_ms(1);
	/* Let the updater give up spinning and go to sleep on the futex. */
	for (i = 0; i < 1000 && !unit_thread_sleeping(atomic_load(&sync_tid)); i++)
		unit_sleep_ms(1);
	unit_sleep_ms(20);
	atomic_store(&exit_stage, 2);
	child_check(pthread_join(t, NULL) == 0);
	child_check(pthread_join(u, NULL) == 0);
	check_still_usable();
}

static void test_exit_in_reader(void **state)
{
	(void)state;
	unit_expect_rule(exit_in_reader, NULL, "exit-in-reader", debug_build);
}

/* The deepest nesting works in every build; one more aborts in debug builds. */
static void deepest_nesting(void *arg)
{
	unsigned int i;

	(void)arg;
	for (i = 0; i < MAX_NESTING; i++)
		tps_rcu_read_lock();
	for (i = 0; i < MAX_NESTING; i++)
		tps_rcu_read_unlock();
	check_still_usable();
}

static void nesting_overflow(void *arg)
{
	unsigned int i;

	(void)arg;
	for (i = 0; i < MAX_NESTING + 1; i++)
		tps_rcu_read_lock();
	child_check(!"nesting overflow went unnoticed");
}

/* The deepest nesting inside another flavour's reader, and in a nested one. */
static void trace_deepest_nesting(void *arg)
{
	unsigned int i;

	(void)arg;
	tps_rcu_read_lock();
	for (i = 0; i < MAX_NESTING; i++)
		tps_rcu_read_lock_trace();
	child_check(tps_rcu_read_lock_trace_held());
	for (i = 0; i < MAX_NESTING; i++)
		tps_rcu_read_unlock_trace();
	child_check(!tps_rcu_read_lock_trace_held());
	tps_rcu_read_unlock();
	tps_synchronize_rcu_tasks_trace();
	check_still_usable();
}

static void trace_nesting_overflow(void *arg)
{
	unsigned int i;

	(void)arg;
	for (i = 0; i < MAX_NESTING + 1; i++)
		tps_rcu_read_lock_trace();
	child_check(!"tasks-trace nesting overflow went unnoticed");
}

/* The overflowing lock comes from a signal handler on a thread at the limit. */
static void overflow_handler(int sig)
{
	(void)sig;
	tps_rcu_read_lock();
}

static void nesting_overflow_in_handler(void *arg)
{
	struct sigaction sa = {.sa_handler = overflow_handler};
	unsigned int i;

	(void)arg;
	sigemptyset(&sa.sa_mask);
	child_check(sigaction(SIGUSR1, &sa, NULL) == 0);
	for (i = 0; i < MAX_NESTING; i++)
		tps_rcu_read_lock();
	raise(SIGUSR1);
	child_check(!"nesting overflow in a handler went unnoticed");
}

/* Every build: the deepest nesting works, one level more aborts naming the rule. */
static void test_nesting_limit(void **state)
{
	(void)state;
	unit_expect_rule(deepest_nesting, NULL, NULL, false);
	unit_expect_rule(nesting_overflow, NULL, "rcu-nesting", true);
	unit_expect_rule(nesting_overflow_in_handler, NULL, "rcu-nesting", true);
	unit_expect_rule(trace_deepest_nesting, NULL, NULL, false);
	unit_expect_rule(trace_nesting_overflow, NULL, "trace-nesting", true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_report_format),
	        cmocka_unit_test(test_synchronize_in_reader),
	        cmocka_unit_test(test_barrier_in_reader),
	        cmocka_unit_test(test_barrier_in_callback),
	        cmocka_unit_test(test_legal_calls),
	        cmocka_unit_test(test_might_sleep_in_reader),
	        cmocka_unit_test(test_unbalanced_unlock),
	        cmocka_unit_test(test_exit_in_reader),
	        cmocka_unit_test(test_nesting_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
