/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/test_flavor.c - the generic ops table: tps_flavor_rcu's name,
 * flags and operations, and tps_flavor_find() for known, unknown and NULL
 * names.
 */
#include "unit.h"

#include <errno.h>
#include <string.h>

#include <tpsync/flavor.h>
#include <tpsync/rcu.h>

static const struct tps_flavor *ops;

static void test_rcu_table(void **state)
{
	const struct tps_flavor *f = &tps_flavor_rcu;

	(void)state;
	assert_string_equal(f->name, "rcu");
	/* Classic readers must not block, there is one global domain, threads register. */
	assert_int_equal(f->flags, TPS_FLAVOR_REGISTERED_READERS);
	assert_non_null(f->read_lock);
	assert_non_null(f->read_unlock);
	assert_non_null(f->read_ongoing);
	assert_non_null(f->synchronize);
	assert_non_null(f->call);
	assert_non_null(f->barrier);
	assert_non_null(f->get_state);
	assert_non_null(f->poll_state);
	assert_non_null(f->cond_synchronize);
}

static void test_find(void **state)
{
	static const char *const documented[] = {"rcu", "srcu", "srcu-fast", "trace"};
	size_t i;

	(void)state;
	assert_ptr_equal(tps_flavor_find("rcu"), &tps_flavor_rcu);
	assert_null(tps_flavor_find(NULL));
	assert_null(tps_flavor_find(""));
	assert_null(tps_flavor_find("nope"));
	assert_null(tps_flavor_find("RCU"));
	assert_null(tps_flavor_find("rcu "));
	assert_null(tps_flavor_find("rc"));
	/* Flavours present in this build are found under their own name. */
	for (i = 0; i < sizeof(documented) / sizeof(documented[0]); i++) {
		const struct tps_flavor *f = tps_flavor_find(documented[i]);

		if (f)
			assert_string_equal(f->name, documented[i]);
	}
}

static void ops_lock_step(void)
{
	ops->read_lock(NULL);
}

static void ops_unlock_step(void)
{
	ops->read_unlock(NULL, 0);
}

static void ops_synchronize_step(void)
{
	ops->synchronize(NULL);
}

static atomic_int ops_cb_runs;

static void ops_cb(struct tps_rcu_head *head)
{
	(void)head;
	atomic_fetch_add(&ops_cb_runs, 1);
}

/* The operations behave as the functions they stand for. */
static void test_rcu_ops(void **state)
{
	struct unit_puppet reader, updater;
	struct tps_rcu_head head;
	unsigned long cookie;
	int idx;

	(void)state;
	ops = tps_flavor_find("rcu");
	assert_non_null(ops);

	assert_false(ops->read_ongoing(NULL));
	idx = ops->read_lock(NULL);
	assert_int_equal(idx, 0);
	assert_true(ops->read_ongoing(NULL));
	assert_true(tps_rcu_read_ongoing());
	ops->read_unlock(NULL, idx);
	assert_false(ops->read_ongoing(NULL));

	cookie = ops->get_state(NULL);
	assert_false(ops->poll_state(NULL, cookie));
	ops->synchronize(NULL);
	assert_true(ops->poll_state(NULL, cookie));
	ops->cond_synchronize(NULL, cookie);
	cookie = ops->get_state(NULL);
	ops->cond_synchronize(NULL, cookie);
	assert_true(ops->poll_state(NULL, cookie));

	assert_int_equal(ops->call(NULL, NULL, ops_cb), -EINVAL);
	assert_int_equal(ops->call(NULL, &head, NULL), -EINVAL);
	atomic_store(&ops_cb_runs, 0);
	assert_int_equal(ops->call(NULL, &head, ops_cb), 0);
	ops->barrier(NULL);
	assert_int_equal(atomic_load(&ops_cb_runs), 1);

	/* A reader entered through the table holds back a grace period. */
	unit_puppet_start(&reader);
	unit_puppet_start(&updater);
	unit_puppet_run(&reader, ops_lock_step);
	unit_puppet_post(&updater, ops_synchronize_step);
	unit_puppet_settle(&updater);
	unit_sleep_ms(UNIT_GRACE_MS);
	assert_false(unit_puppet_done(&updater));
	unit_puppet_run(&reader, ops_unlock_step);
	unit_puppet_wait(&updater);
	unit_puppet_stop(&updater);
	unit_puppet_stop(&reader);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_rcu_table),
	        cmocka_unit_test(test_find),
	        cmocka_unit_test(test_rcu_ops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
