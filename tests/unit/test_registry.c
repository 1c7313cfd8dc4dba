/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/test_registry.c - the thread registry: registration on the
 * first reader, explicit registration and unregistration (-EBUSY inside a
 * reader), unregistration at thread exit, and all of it while grace periods
 * run.
 */
#include "unit.h"

#include <errno.h>

#include <tpsync/rcu.h>

static void rcu_lock_step(void)
{
	tps_rcu_read_lock();
}

static void rcu_unlock_step(void)
{
	tps_rcu_read_unlock();
}

static void synchronize_step(void)
{
	tps_synchronize_rcu();
}

/* What a fresh thread sees around its first reader. */
struct first_reader_facts {
	bool registered_before;
	bool registered_inside;
	bool registered_after;
	bool ongoing_inside;
};

static void *first_reader(void *arg)
{
	struct first_reader_facts *f = arg;

	f->registered_before = tps_thread_registered();
	tps_rcu_read_lock();
	f->registered_inside = tps_thread_registered();
	f->ongoing_inside = tps_rcu_read_ongoing();
	tps_rcu_read_unlock();
	f->registered_after = tps_thread_registered();
	return NULL;
}

static void test_first_reader_registers(void **state)
{
	struct first_reader_facts f;

	(void)state;
	unit_thread_join(unit_thread_start(first_reader, &f));
	assert_false(f.registered_before);
	assert_true(f.registered_inside);
	assert_true(f.ongoing_inside);
	assert_true(f.registered_after);
}

struct explicit_facts {
	int reg1, reg2, unreg1, unreg2, unreg_unregistered;
	bool after_reg1, after_reg2, after_unreg, after_reader;
	bool ongoing_after_unreg;
};

static void *explicit_registration(void *arg)
{
	struct explicit_facts *f = arg;

	f->unreg_unregistered = tps_unregister_thread();
	f->reg1 = tps_register_thread();
	f->after_reg1 = tps_thread_registered();
	f->reg2 = tps_register_thread();
	f->after_reg2 = tps_thread_registered();
	tps_rcu_read_lock();
	tps_rcu_read_unlock();
	f->unreg1 = tps_unregister_thread();
	f->after_unreg = tps_thread_registered();
	f->ongoing_after_unreg = tps_rcu_read_ongoing();
	f->unreg2 = tps_unregister_thread();
	/* A later reader registers the thread again. */
	tps_rcu_read_lock();
	f->after_reader = tps_thread_registered();
	tps_rcu_read_unlock();
	return NULL;
}

static void test_explicit_registration(void **state)
{
	struct explicit_facts f;

	(void)state;
	unit_thread_join(unit_thread_start(explicit_registration, &f));
	assert_int_equal(f.unreg_unregistered, 0);
	assert_int_equal(f.reg1, 0);
	assert_true(f.after_reg1);
	assert_int_equal(f.reg2, 0);
	assert_true(f.after_reg2);
	assert_int_equal(f.unreg1, 0);
	assert_false(f.after_unreg);
	assert_false(f.ongoing_after_unreg);
	assert_int_equal(f.unreg2, 0);
	assert_true(f.after_reader);
}

/* The main thread too: registration survives grace periods. */
static void test_main_thread_registration(void **state)
{
	(void)state;
	assert_int_equal(tps_register_thread(), 0);
	assert_true(tps_thread_registered());
	tps_synchronize_rcu();
	assert_true(tps_thread_registered());
	assert_int_equal(tps_unregister_thread(), 0);
	assert_false(tps_thread_registered());
	tps_synchronize_rcu();
	assert_int_equal(tps_register_thread(), 0);
	assert_true(tps_thread_registered());
}

static int unregister_result;
static bool registered_after_ebusy;
static bool ongoing_after_ebusy;

static void try_unregister_step(void)
{
	unregister_result = tps_unregister_thread();
	registered_after_ebusy = tps_thread_registered();
	ongoing_after_ebusy = tps_rcu_read_ongoing();
}

/*
 * Inside a reader, unregistration fails with -EBUSY and changes nothing: the
 * thread stays registered, stays inside its reader, and a grace period
 * still waits for it.
 */
static void test_unregister_inside_reader(void **state)
{
	struct unit_puppet reader, updater;

	(void)state;
	unit_puppet_start(&reader);
	unit_puppet_start(&updater);
	unit_puppet_run(&reader, rcu_lock_step);
	unit_puppet_run(&reader, try_unregister_step);
	assert_int_equal(unregister_result, -EBUSY);
	assert_true(registered_after_ebusy);
	assert_true(ongoing_after_ebusy);
	/* Nested: still -EBUSY. */
	unit_puppet_run(&reader, rcu_lock_step);
	unit_puppet_run(&reader, try_unregister_step);
	assert_int_equal(unregister_result, -EBUSY);
	unit_puppet_run(&reader, rcu_unlock_step);
	unit_puppet_run(&reader, try_unregister_step);
	assert_int_equal(unregister_result, -EBUSY);
	assert_true(registered_after_ebusy);

	unit_puppet_post(&updater, synchronize_step);
	unit_puppet_settle(&updater);
	unit_sleep_ms(UNIT_GRACE_MS);
	assert_false(unit_puppet_done(&updater));
	unit_puppet_run(&reader, rcu_unlock_step);
	unit_puppet_wait(&updater);

	unit_puppet_run(&reader, try_unregister_step);
	assert_int_equal(unregister_result, 0);
	assert_false(registered_after_ebusy);
	assert_false(ongoing_after_ebusy);
	unit_puppet_stop(&updater);
	unit_puppet_stop(&reader);
}

/* ---- Threads that come and go while grace periods run. ---- */

static atomic_bool gp_loop_stop;
static atomic_long gp_loop_count;

static void *gp_loop(void *arg)
{
	(void)arg;
	while (!atomic_load(&gp_loop_stop)) {
		tps_synchronize_rcu();
		atomic_fetch_add(&gp_loop_count, 1);
	}
	return NULL;
}

static void start_gp_loop(pthread_t *t)
{
	atomic_store(&gp_loop_stop, false);
	atomic_store(&gp_loop_count, 0);
	*t = unit_thread_start(gp_loop, NULL);
}

/* Stops the loop after it has completed at least one more grace period. */
static void stop_gp_loop(pthread_t t)
{
	long seen = atomic_load(&gp_loop_count);

	while (atomic_load(&gp_loop_count) < seen + 2)
		unit_sleep_ms(1);
	atomic_store(&gp_loop_stop, true);
	unit_thread_join(t);
}

/* How a churning thread leaves: exit registered, unregister first, or never register. */
enum churn_kind { CHURN_EXIT_REGISTERED, CHURN_UNREGISTER, CHURN_EXPLICIT, CHURN_NO_READER };
#define CHURN_KINDS 4
#define CHURN_THREADS 200
#define CHURN_BATCH 4

static void *churn_thread(void *arg)
{
	enum churn_kind kind = (enum churn_kind)(long)arg;
	int i;

	if (kind == CHURN_NO_READER)
		return NULL;
	if (kind == CHURN_EXPLICIT)
		tps_register_thread();
	for (i = 0; i < 10; i++) {
		tps_rcu_read_lock();
		if (i & 1) {
			tps_rcu_read_lock();
			tps_rcu_read_unlock();
		}
		tps_rcu_read_unlock();
	}
	if (kind == CHURN_UNREGISTER && tps_unregister_thread() != 0)
		return (void *)1;
	return NULL;
}

/*
 * Threads that registered and exited are gone from the registry: a grace
 * period neither waits for them nor touches their freed records, while
 * threads are created and destroyed under a thread that loops on
 * synchronize.
 */
static void test_thread_churn_during_grace_periods(void **state)
{
	pthread_t loop;
	int i, j;

	(void)state;
	start_gp_loop(&loop);
	for (i = 0; i < CHURN_THREADS; i += CHURN_BATCH) {
		pthread_t t[CHURN_BATCH];

		for (j = 0; j < CHURN_BATCH; j++)
			t[j] = unit_thread_start(churn_thread,
			                         (void *)(long)((i + j) % CHURN_KINDS));
		for (j = 0; j < CHURN_BATCH; j++) {
			void *ret;

			assert_int_equal(pthread_join(t[j], &ret), 0);
			assert_null(ret);
		}
	}
	stop_gp_loop(loop);
	/* Every one of them is gone: these do not wait for anything. */
	tps_synchronize_rcu();
	tps_synchronize_rcu();
}

/* Register, read, unregister in a loop, against a looping updater. */
#define REREGISTER_ROUNDS 2000

static void *reregister_loop(void *arg)
{
	long failures = 0;
	int i;

	(void)arg;
	for (i = 0; i < REREGISTER_ROUNDS; i++) {
		if (i % 3 == 0 && tps_register_thread() != 0)
			failures++;
		tps_rcu_read_lock();
		if (!tps_thread_registered())
			failures++;
		tps_rcu_read_unlock();
		if (tps_unregister_thread() != 0 || tps_thread_registered())
			failures++;
	}
	return (void *)failures;
}

static void test_reregistration_during_grace_periods(void **state)
{
	pthread_t loop, t[2];
	int i;

	(void)state;
	start_gp_loop(&loop);
	for (i = 0; i < 2; i++)
		t[i] = unit_thread_start(reregister_loop, NULL);
	for (i = 0; i < 2; i++) {
		void *failures;

		assert_int_equal(pthread_join(t[i], &failures), 0);
		assert_null(failures);
	}
	stop_gp_loop(loop);
}

/*
 * A grace period that waits for a reader keeps waiting while other threads
 * register, unregister and exit around it.
 */
static atomic_bool churn_forever_stop;

static void *churn_until_stopped(void *arg)
{
	(void)arg;
	while (!atomic_load(&churn_forever_stop))
		unit_thread_join(unit_thread_start(churn_thread, (void *)(long)CHURN_UNREGISTER));
	return NULL;
}

static void test_wait_for_reader_during_churn(void **state)
{
	struct unit_puppet reader, updater;
	pthread_t churner;

	(void)state;
	unit_puppet_start(&reader);
	unit_puppet_start(&updater);
	atomic_store(&churn_forever_stop, false);
	churner = unit_thread_start(churn_until_stopped, NULL);
	unit_puppet_run(&reader, rcu_lock_step);
	unit_puppet_post(&updater, synchronize_step);
	unit_puppet_settle(&updater);
	unit_sleep_ms(UNIT_GRACE_MS);
	assert_false(unit_puppet_done(&updater));
	unit_puppet_run(&reader, rcu_unlock_step);
	unit_puppet_wait(&updater);
	atomic_store(&churn_forever_stop, true);
	unit_thread_join(churner);
	unit_puppet_stop(&updater);
	unit_puppet_stop(&reader);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_first_reader_registers),
	        cmocka_unit_test(test_explicit_registration),
	        cmocka_unit_test(test_main_thread_registration),
	        cmocka_unit_test(test_unregister_inside_reader),
	        cmocka_unit_test(test_thread_churn_during_grace_periods),
	        cmocka_unit_test(test_reregistration_during_grace_periods),
	        cmocka_unit_test(test_wait_for_reader_during_churn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
