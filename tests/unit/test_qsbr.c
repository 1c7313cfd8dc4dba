/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/test_qsbr.c - the QSBR flavour: registration, online and
 * offline, tps_rcu_is_watching(), grace periods that wait for online
 * threads until their quiescent state (spinning and asleep), not for
 * offline, unregistered or exited threads, nor for an online caller; polled
 * cookies, callbacks and barrier, the ops table, fork, and the rules (in
 * forked children: debug builds abort, release builds carry on).
 */
#include "unit.h"

#include <errno.h>
#include <stdio.h>

#include <tpsync/flavor.h>
#include <tpsync/rcu_qsbr.h>

static const bool debug_build = TPSYNC_DEBUG;

static atomic_int cb_runs;
static atomic_int step_result;

static void count_cb(struct tps_rcu_head *head)
{
	(void)head;
	atomic_fetch_add(&cb_runs, 1);
}

/* ---- Puppet steps. ---- */

static void register_step(void)
{
	atomic_store(&step_result, tps_qsbr_register_thread());
}

static void unregister_step(void)
{
	atomic_store(&step_result, tps_qsbr_unregister_thread());
}

static void qs_step(void)
{
	tps_qsbr_quiescent_state();
}

static void offline_step(void)
{
	tps_qsbr_thread_offline();
}

static void online_step(void)
{
	tps_qsbr_thread_online();
}

static void synchronize_step(void)
{
	tps_synchronize_qsbr();
}

static void barrier_step(void)
{
	tps_qsbr_barrier();
}

static unsigned long polled_cookie;

static void cond_step(void)
{
	tps_cond_synchronize_qsbr(polled_cookie);
}

/* A registered, online puppet. */
static void start_online(struct unit_puppet *p)
{
	unit_puppet_start(p);
	unit_puppet_run(p, register_step);
	assert_int_equal(atomic_load(&step_result), 0);
}

/*
 * Posts step on updater and checks that it stays blocked: it is given time
 * to go to sleep in the kernel, then some more.
 */
static void expect_blocked(struct unit_puppet *updater, void (*step)(void))
{
	unit_puppet_post(updater, step);
	unit_puppet_settle(updater);
	unit_sleep_ms(UNIT_GRACE_MS);
	assert_false(unit_puppet_done(updater));
}

/* ---- The ops table. ---- */

static void test_flavor_table(void **state)
{
	const struct tps_flavor *f = tps_flavor_find("qsbr");

	(void)state;
	assert_ptr_equal(f, &tps_flavor_qsbr);
	assert_string_equal(f->name, "qsbr");
	assert_true(f->flags & TPS_FLAVOR_QUIESCENT_STATES);
	assert_false(f->flags & TPS_FLAVOR_READERS_MAY_BLOCK);
	assert_false(f->flags & TPS_FLAVOR_HAS_DOMAINS);
	assert_non_null(f->read_lock);
	assert_non_null(f->read_unlock);
	assert_true((f->read_ongoing != NULL) == debug_build);
	assert_non_null(f->synchronize);
	assert_non_null(f->call);
	assert_non_null(f->barrier);
	assert_non_null(f->get_state);
	assert_non_null(f->poll_state);
	assert_non_null(f->cond_synchronize);
	/* Through the table, on a registered thread. */
	assert_int_equal(tps_qsbr_register_thread(), 0);
	assert_int_equal(f->read_lock(NULL), 0);
	if (f->read_ongoing)
		assert_true(f->read_ongoing(NULL));
	f->read_unlock(NULL, 0);
	if (f->read_ongoing)
		assert_false(f->read_ongoing(NULL));
	f->synchronize(NULL);
	assert_true(f->poll_state(NULL, f->get_state(NULL)) == false);
	f->cond_synchronize(NULL, f->get_state(NULL));
	assert_int_equal(tps_qsbr_unregister_thread(), 0);
}

/* ---- Registration, online, offline. ---- */

static void test_register_online_offline(void **state)
{
	(void)state;
	assert_false(tps_rcu_is_watching());
	/* Unregistered: online, offline and quiescent states change nothing. */
	tps_qsbr_thread_online();
	assert_false(tps_rcu_is_watching());
	tps_qsbr_quiescent_state();
	tps_qsbr_thread_offline();
	assert_false(tps_rcu_is_watching());
	assert_int_equal(tps_qsbr_unregister_thread(), -ENOENT);

	assert_int_equal(tps_qsbr_register_thread(), 0);
	assert_true(tps_rcu_is_watching());
	assert_int_equal(tps_qsbr_register_thread(), -EEXIST);
	assert_true(tps_rcu_is_watching());
	tps_qsbr_quiescent_state();
	assert_true(tps_rcu_is_watching());
	tps_qsbr_thread_offline();
	assert_false(tps_rcu_is_watching());
	/* A quiescent state while offline does not bring the thread online. */
	tps_qsbr_quiescent_state();
	assert_false(tps_rcu_is_watching());
	tps_qsbr_thread_offline();
	assert_false(tps_rcu_is_watching());
	/* -EEXIST leaves an offline thread offline. */
	assert_int_equal(tps_qsbr_register_thread(), -EEXIST);
	assert_false(tps_rcu_is_watching());
	tps_qsbr_thread_online();
	assert_true(tps_rcu_is_watching());
	tps_qsbr_thread_online();
	assert_true(tps_rcu_is_watching());
	assert_int_equal(tps_qsbr_unregister_thread(), 0);
	assert_false(tps_rcu_is_watching());
	assert_int_equal(tps_qsbr_unregister_thread(), -ENOENT);
	/* Again, from offline. */
	assert_int_equal(tps_qsbr_register_thread(), 0);
	tps_qsbr_thread_offline();
	assert_int_equal(tps_qsbr_unregister_thread(), 0);
	assert_false(tps_rcu_is_watching());
}

static void test_read_lock_nesting(void **state)
{
	(void)state;
	assert_int_equal(tps_qsbr_register_thread(), 0);
	assert_false(tps_qsbr_read_ongoing());
	tps_qsbr_read_lock();
	tps_qsbr_read_lock();
	assert_true(tps_qsbr_read_ongoing() == debug_build);
	tps_qsbr_read_unlock();
	assert_true(tps_qsbr_read_ongoing() == debug_build);
	tps_qsbr_read_unlock();
	assert_false(tps_qsbr_read_ongoing());
	/* Inside a reader (debug builds know it), unregistering is refused. */
	tps_qsbr_read_lock();
	assert_int_equal(tps_qsbr_unregister_thread(), debug_build ? -EBUSY : 0);
	tps_qsbr_read_unlock();
	if (debug_build)
		assert_int_equal(tps_qsbr_unregister_thread(), 0);
	assert_false(tps_rcu_is_watching());
}

/* ---- Grace periods. ---- */

static void test_synchronize_without_threads(void **state)
{
	unsigned long cookie;
	int i;

	(void)state;
	cookie = tps_get_state_synchronize_qsbr();
	for (i = 0; i < 100; i++)
		tps_synchronize_qsbr();
	assert_true(tps_poll_state_synchronize_qsbr(cookie));
}

/* An online thread holds the grace period until its quiescent state. */
static void test_waits_for_quiescent_state(void **state)
{
	struct unit_puppet reader, updater;
	int round;

	(void)state;
	start_online(&reader);
	unit_puppet_start(&updater);
	for (round = 0; round < 3; round++) {
		/* The updater is asleep in the kernel: the quiescent state wakes it. */
		expect_blocked(&updater, synchronize_step);
		unit_puppet_run(&reader, qs_step);
		unit_puppet_wait(&updater);
	}
	/* A quiescent state already announced for this counter does not count again. */
	unit_puppet_run(&reader, qs_step);
	expect_blocked(&updater, synchronize_step);
	unit_puppet_run(&reader, qs_step);
	unit_puppet_wait(&updater);
	unit_puppet_run(&reader, unregister_step);
	assert_int_equal(atomic_load(&step_result), 0);
	unit_puppet_stop(&updater);
	unit_puppet_stop(&reader);
}

/* Offline and unregistered threads are not waited for; going offline ends a wait. */
static void test_offline_threads(void **state)
{
	struct unit_puppet reader, updater;

	(void)state;
	start_online(&reader);
	unit_puppet_start(&updater);

	unit_puppet_run(&reader, offline_step);
	tps_synchronize_qsbr();
	unit_puppet_run(&reader, online_step);
	expect_blocked(&updater, synchronize_step);
	unit_puppet_run(&reader, offline_step);
	unit_puppet_wait(&updater);

	/* Online again: unregistering ends the wait. */
	unit_puppet_run(&reader, online_step);
	expect_blocked(&updater, synchronize_step);
	unit_puppet_run(&reader, unregister_step);
	assert_int_equal(atomic_load(&step_result), 0);
	unit_puppet_wait(&updater);
	tps_synchronize_qsbr();

	/* Registered again, online: exiting ends the wait. */
	unit_puppet_run(&reader, register_step);
	assert_int_equal(atomic_load(&step_result), 0);
	expect_blocked(&updater, synchronize_step);
	unit_puppet_stop(&reader);
	unit_puppet_wait(&updater);
	tps_synchronize_qsbr();
	unit_puppet_stop(&updater);
}

/* The caller: online (quiescent for its own grace period), offline, unregistered. */
static void test_caller_states(void **state)
{
	struct unit_puppet reader;

	(void)state;
	assert_int_equal(tps_qsbr_register_thread(), 0);
	tps_synchronize_qsbr();
	assert_true(tps_rcu_is_watching());
	tps_qsbr_barrier();
	assert_true(tps_rcu_is_watching());
	tps_cond_synchronize_qsbr(tps_get_state_synchronize_qsbr());
	assert_true(tps_rcu_is_watching());
	tps_qsbr_thread_offline();
	tps_synchronize_qsbr();
	assert_false(tps_rcu_is_watching());
	tps_qsbr_barrier();
	assert_false(tps_rcu_is_watching());
	tps_qsbr_thread_online();
	assert_int_equal(tps_qsbr_unregister_thread(), 0);

	/* An online caller (the updater) still waits for the other online threads. */
	start_online(&reader);
	{
		struct unit_puppet updater;

		unit_puppet_start(&updater);
		unit_puppet_run(&updater, register_step);
		expect_blocked(&updater, synchronize_step);
		unit_puppet_run(&reader, qs_step);
		unit_puppet_wait(&updater);
		unit_puppet_run(&updater, unregister_step);
		unit_puppet_stop(&updater);
	}
	unit_puppet_stop(&reader);
	tps_synchronize_qsbr();
}

static void test_polled(void **state)
{
	struct unit_puppet reader, updater;
	unsigned long c1, c2;

	(void)state;
	c1 = tps_get_state_synchronize_qsbr();
	assert_false(tps_poll_state_synchronize_qsbr(c1));
	tps_synchronize_qsbr();
	assert_true(tps_poll_state_synchronize_qsbr(c1));

	start_online(&reader);
	unit_puppet_start(&updater);
	c2 = tps_get_state_synchronize_qsbr();
	assert_false(tps_poll_state_synchronize_qsbr(c2));
	/* An elapsed cookie: cond returns at once though the reader holds grace periods. */
	tps_cond_synchronize_qsbr(c1);
	polled_cookie = c2;
	expect_blocked(&updater, cond_step);
	assert_false(tps_poll_state_synchronize_qsbr(c2));
	unit_puppet_run(&reader, qs_step);
	unit_puppet_wait(&updater);
	assert_true(tps_poll_state_synchronize_qsbr(c2));
	assert_true(tps_poll_state_synchronize_qsbr(c1));
	unit_puppet_run(&reader, unregister_step);
	unit_puppet_stop(&updater);
	unit_puppet_stop(&reader);
}

static void test_call_and_barrier(void **state)
{
	static struct tps_rcu_head heads[3];
	struct unit_puppet reader, updater;
	int i;

	(void)state;
	assert_int_equal(tps_call_qsbr(NULL, count_cb), -EINVAL);
	assert_int_equal(tps_call_qsbr(&heads[0], NULL), -EINVAL);
	atomic_store(&cb_runs, 0);
	tps_qsbr_barrier();

	start_online(&reader);
	unit_puppet_start(&updater);
	for (i = 0; i < 3; i++)
		assert_int_equal(tps_call_qsbr(&heads[i], count_cb), 0);
	/* The reader holds the callbacks' grace period, and the barrier. */
	expect_blocked(&updater, barrier_step);
	assert_int_equal(atomic_load(&cb_runs), 0);
	/*
	 * The worker may need more than one grace period (the callbacks may be
	 * in two batches): offline, the reader holds none of them.
	 */
	unit_puppet_run(&reader, offline_step);
	unit_puppet_wait(&updater);
	assert_int_equal(atomic_load(&cb_runs), 3);

	/* Queued from an online thread (the reader) while online: */
	unit_puppet_run(&reader, unregister_step);
	assert_int_equal(tps_qsbr_register_thread(), 0);
	assert_int_equal(tps_call_qsbr(&heads[0], count_cb), 0);
	tps_qsbr_barrier();
	assert_int_equal(atomic_load(&cb_runs), 4);
	assert_true(tps_rcu_is_watching());
	assert_int_equal(tps_qsbr_unregister_thread(), 0);
	unit_puppet_stop(&updater);
	unit_puppet_stop(&reader);
}

/* Many threads announcing quiescent states while grace periods run. */
static atomic_bool stress_stop;

static void *stress_reader(void *arg)
{
	unsigned long n = 0;

	(void)arg;
	tps_qsbr_register_thread();
	while (!atomic_load(&stress_stop)) {
		tps_qsbr_read_lock();
		tps_qsbr_read_unlock();
		tps_qsbr_quiescent_state();
		if (++n % 1024 == 0) {
			tps_qsbr_thread_offline();
			tps_qsbr_thread_online();
		}
	}
	return NULL;
}

static void test_many_grace_periods(void **state)
{
	pthread_t t[3];
	int i;

	(void)state;
	atomic_store(&stress_stop, false);
	for (i = 0; i < 3; i++)
		t[i] = unit_thread_start(stress_reader, NULL);
	for (i = 0; i < 300; i++)
		tps_synchronize_qsbr();
	atomic_store(&stress_stop, true);
	/* They exit registered: the exit handler unregisters them. */
	for (i = 0; i < 3; i++)
		unit_thread_join(t[i]);
	tps_synchronize_qsbr();
}

/* ---- Fork. ---- */

/*
 * ThreadSanitizer does not support threads in the child of a multi-threaded
 * fork (its die_after_fork kills it): the tests that fork with threads
 * running (the callback worker, puppets) are skipped there.
 */
static void skip_under_tsan(void)
{
	if (UNIT_TSAN)
		skip();
}

static int forking_thread_online;

static bool everything_works(void)
{
	static struct tps_rcu_head head;
	unsigned long cookie = tps_get_state_synchronize_qsbr();
	int before = atomic_load(&cb_runs);

	tps_synchronize_qsbr();
	if (!tps_poll_state_synchronize_qsbr(cookie))
		return false;
	if (tps_call_qsbr(&head, count_cb) != 0)
		return false;
	tps_qsbr_barrier();
	return atomic_load(&cb_runs) == before + 1;
}

static void child_works(void *arg)
{
	bool online = *(int *)arg;

	child_check(tps_rcu_is_watching() == online);
	child_check(everything_works());
	child_check(tps_rcu_is_watching() == online);
	if (!online)
		child_check(tps_qsbr_register_thread() == 0);
	child_check(everything_works());
	child_check(tps_qsbr_unregister_thread() == 0);
}

/* Another thread is online and silent; a grace period waits for it in the parent. */
static void test_fork(void **state)
{
	struct unit_puppet reader, updater;
	struct unit_child child;

	(void)state;
	skip_under_tsan();
	start_online(&reader);
	unit_puppet_start(&updater);
	forking_thread_online = 0;
	unit_run_child(child_works, &forking_thread_online, &child);
	unit_expect_success(&child);

	/* Forked while a grace period sleeps waiting for the reader. */
	expect_blocked(&updater, synchronize_step);
	unit_run_child(child_works, &forking_thread_online, &child);
	unit_expect_success(&child);
	/* The forking thread is itself online. */
	assert_int_equal(tps_qsbr_register_thread(), 0);
	forking_thread_online = 1;
	unit_run_child(child_works, &forking_thread_online, &child);
	unit_expect_success(&child);
	assert_int_equal(tps_qsbr_unregister_thread(), 0);

	assert_false(unit_puppet_done(&updater));
	unit_puppet_run(&reader, qs_step);
	unit_puppet_wait(&updater);
	unit_puppet_run(&reader, unregister_step);
	assert_true(everything_works());
	unit_puppet_stop(&updater);
	unit_puppet_stop(&reader);
}

/* ---- Rules: debug builds abort, release builds carry on. ---- */

static void check_still_usable(void)
{
	child_check(!tps_qsbr_read_ongoing());
	child_check(everything_works());
}

static void qs_in_reader(void *arg)
{
	(void)arg;
	child_check(tps_qsbr_register_thread() == 0);
	tps_qsbr_read_lock();
	tps_qsbr_quiescent_state();
	tps_qsbr_read_unlock();
	check_still_usable();
}

static void offline_in_reader(void *arg)
{
	(void)arg;
	child_check(tps_qsbr_register_thread() == 0);
	tps_qsbr_read_lock();
	tps_qsbr_read_lock();
	tps_qsbr_read_unlock();
	tps_qsbr_thread_offline();
	tps_qsbr_read_unlock();
	check_still_usable();
}

static void reader_offline(void *arg)
{
	(void)arg;
	child_check(tps_qsbr_register_thread() == 0);
	tps_qsbr_thread_offline();
	tps_qsbr_read_lock();
	tps_qsbr_read_unlock();
	check_still_usable();
}

static void reader_unregistered(void *arg)
{
	(void)arg;
	tps_qsbr_read_lock();
	tps_qsbr_read_unlock();
	check_still_usable();
}

static void synchronize_in_reader(void *arg)
{
	(void)arg;
	child_check(tps_qsbr_register_thread() == 0);
	tps_qsbr_read_lock();
	tps_synchronize_qsbr();
	tps_qsbr_read_unlock();
	check_still_usable();
}

static void cond_synchronize_in_reader(void *arg)
{
	unsigned long cookie = tps_get_state_synchronize_qsbr();

	(void)arg;
	child_check(tps_qsbr_register_thread() == 0);
	tps_qsbr_read_lock();
	tps_cond_synchronize_qsbr(cookie);
	tps_qsbr_read_unlock();
	check_still_usable();
}

static void barrier_in_reader(void *arg)
{
	(void)arg;
	child_check(tps_qsbr_register_thread() == 0);
	tps_qsbr_read_lock();
	tps_qsbr_barrier();
	tps_qsbr_read_unlock();
	check_still_usable();
}

static void unbalanced_unlock(void *arg)
{
	(void)arg;
	child_check(tps_qsbr_register_thread() == 0);
	tps_qsbr_read_unlock();
	check_still_usable();
}

static void *exit_in_reader_thread(void *arg)
{
	(void)arg;
	tps_qsbr_register_thread();
	tps_qsbr_read_lock();
	return NULL;
}

static void exit_in_reader(void *arg)
{
	(void)arg;
	unit_thread_join(unit_thread_start(exit_in_reader_thread, NULL));
	check_still_usable();
}

static void test_rules(void **state)
{
	(void)state;
	skip_under_tsan();
	unit_expect_rule(qs_in_reader, NULL, "qsbr-qs-in-reader", debug_build);
	unit_expect_rule(offline_in_reader, NULL, "qsbr-offline-in-reader", debug_build);
	unit_expect_rule(reader_offline, NULL, "qsbr-reader-offline", debug_build);
	unit_expect_rule(reader_unregistered, NULL, "qsbr-reader-offline", debug_build);
	unit_expect_rule(synchronize_in_reader, NULL, "synchronize-in-reader", debug_build);
	unit_expect_rule(cond_synchronize_in_reader, NULL, "synchronize-in-reader", debug_build);
	unit_expect_rule(barrier_in_reader, NULL, "barrier-in-reader", debug_build);
	unit_expect_rule(unbalanced_unlock, NULL, "qsbr-unbalanced", debug_build);
	unit_expect_rule(exit_in_reader, NULL, "exit-in-reader", debug_build);
}

static void barrier_cb(struct tps_rcu_head *head)
{
	(void)head;
	tps_qsbr_barrier();
}

static void barrier_in_callback(void *arg)
{
	static struct tps_rcu_head head;

	(void)arg;
	child_check(tps_call_qsbr(&head, barrier_cb) == 0);
	/* The worker aborts the process while this waits. */
	tps_qsbr_barrier();
	child_check(!"the callback's barrier returned");
}

static void legal_calls(void *arg)
{
	(void)arg;
	child_check(tps_qsbr_register_thread() == 0);
	tps_qsbr_read_lock();
	tps_qsbr_read_unlock();
	tps_qsbr_quiescent_state();
	tps_synchronize_qsbr();
	tps_qsbr_barrier();
	tps_cond_synchronize_qsbr(tps_get_state_synchronize_qsbr());
	tps_qsbr_thread_offline();
	tps_synchronize_qsbr();
	check_still_usable();
}

static void test_rules_every_build(void **state)
{
	(void)state;
	skip_under_tsan();
	unit_expect_rule(barrier_in_callback, NULL, "barrier-in-callback", true);
	unit_expect_rule(legal_calls, NULL, NULL, false);
}

/*
 * Starts the callback worker before any test forks (a fork while a thread is
 * being created can catch the sanitizers' allocators locked).
 */
static int start_worker(void **state)
{
	static struct tps_rcu_head head;

	(void)state;
	atomic_store(&cb_runs, 0);
	if (tps_call_qsbr(&head, count_cb) != 0)
		return -1;
	tps_qsbr_barrier();
	return atomic_load(&cb_runs) == 1 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_flavor_table),
	        cmocka_unit_test(test_register_online_offline),
	        cmocka_unit_test(test_read_lock_nesting),
	        cmocka_unit_test(test_synchronize_without_threads),
	        cmocka_unit_test(test_waits_for_quiescent_state),
	        cmocka_unit_test(test_offline_threads),
	        cmocka_unit_test(test_caller_states),
	        cmocka_unit_test(test_polled),
	        cmocka_unit_test(test_call_and_barrier),
	        cmocka_unit_test(test_many_grace_periods),
	        cmocka_unit_test(test_fork),
	        cmocka_unit_test(test_rules),
	        cmocka_unit_test(test_rules_every_build),
	};

	return cmocka_run_group_tests(tests, start_worker, NULL);
}
