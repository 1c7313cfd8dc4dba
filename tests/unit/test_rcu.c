/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/test_rcu.c - the classic flavour's readers and grace periods:
 * nesting, tps_rcu_read_ongoing(), tps_synchronize_rcu() waiting for a
 * reader (until its outermost unlock) and not starved by readers that keep
 * coming, the next grace period waiting for a reader that started after a
 * grace period's sweep, grace-period sharing among concurrent callers, polled cookies,
 * tps_cond_synchronize_rcu(), the pointer publication macros,
 * tps_container_of() and the might_sleep / might_fault annotations outside
 * readers.
 */
#include "unit.h"

#include <stdatomic.h>
#include <stdlib.h>

#include <tpsync/rcu.h>

/* Deepest nesting the reader word can count (bits 0-15). */
#define MAX_NESTING 0xffff

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

/* Grace periods completed between two cookies (see get_state's definition). */
static unsigned long gps_between(unsigned long before, unsigned long after)
{
	return (after - before) / 2;
}

static void test_read_ongoing_and_nesting(void **state)
{
	(void)state;
	assert_false(tps_rcu_read_ongoing());
	tps_rcu_read_lock();
	assert_true(tps_rcu_read_ongoing());
	assert_true(tps_thread_registered());
	tps_rcu_read_lock();
	assert_true(tps_rcu_read_ongoing());
	tps_rcu_read_unlock();
	assert_true(tps_rcu_read_ongoing());
	tps_rcu_read_unlock();
	assert_false(tps_rcu_read_ongoing());
}

static void test_deepest_nesting(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < MAX_NESTING; i++)
		tps_rcu_read_lock();
	assert_true(tps_rcu_read_ongoing());
	for (i = 0; i < MAX_NESTING - 1; i++)
		tps_rcu_read_unlock();
	assert_true(tps_rcu_read_ongoing());
	tps_rcu_read_unlock();
	assert_false(tps_rcu_read_ongoing());
	/* The word is idle again: a grace period does not wait for us. */
	tps_synchronize_rcu();
}

static void test_synchronize_without_readers(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < 100; i++)
		tps_synchronize_rcu();
}

/* A synchronize started while a reader is inside waits until it leaves. */
static void test_synchronize_waits_for_reader(void **state)
{
	struct unit_puppet reader, updater;

	(void)state;
	unit_puppet_start(&reader);
	unit_puppet_start(&updater);
	unit_puppet_run(&reader, rcu_lock_step);
	unit_puppet_post(&updater, synchronize_step);
	unit_puppet_settle(&updater);
	unit_sleep_ms(UNIT_GRACE_MS);
	assert_false(unit_puppet_done(&updater));
	/* Spin, then sleep: the waiting updater is asleep in the kernel by now. */
	assert_true(unit_thread_sleeping(updater.tid));
	unit_puppet_run(&reader, rcu_unlock_step);
	/* A lost wake-up would hang here (the ctest timeout). */
	unit_puppet_wait(&updater);
	unit_puppet_stop(&updater);
	unit_puppet_stop(&reader);
}

/*
 * A reader that starts inside a grace period, after its sweep, copies the
 * phase before the flip. That grace period rightly ends without it (the
 * reader started after the callers' unpublish), but the next one finds it
 * in the old phase and must wait for it before it flips: after the flip
 * the reader's phase is the current one again, and the second wait would
 * not tell it from a new reader. The hook starts the reader at that instant.
 */
static struct unit_puppet sweep_reader;
static _Atomic int sweep_hook_armed;

static void lock_reader_after_sweep(void)
{
	if (atomic_exchange(&sweep_hook_armed, 0))
		unit_puppet_run(&sweep_reader, rcu_lock_step);
}

static void test_next_grace_period_waits_for_reader_started_after_sweep(void **state)
{
	struct unit_puppet first, second;

	(void)state;
	unit_puppet_start(&sweep_reader);
	unit_puppet_start(&first);
	unit_puppet_start(&second);
	/* Registered before the hook runs: its lock then takes the fast path. */
	unit_puppet_run(&sweep_reader, rcu_lock_step);
	unit_puppet_run(&sweep_reader, rcu_unlock_step);
	atomic_store(&sweep_hook_armed, 1);
	tps__rcu_set_sweep_hook(lock_reader_after_sweep);
	unit_puppet_run(&first, synchronize_step);
	tps__rcu_set_sweep_hook(NULL);
	assert_int_equal(atomic_load(&sweep_hook_armed), 0);
	unit_puppet_post(&second, synchronize_step);
	unit_sleep_ms(UNIT_GRACE_MS);
	assert_false(unit_puppet_done(&second));
	unit_puppet_run(&sweep_reader, rcu_unlock_step);
	unit_puppet_wait(&second);
	unit_puppet_stop(&second);
	unit_puppet_stop(&first);
	unit_puppet_stop(&sweep_reader);
}

/* Nested readers: only the outermost unlock ends the critical section. */
static void test_synchronize_waits_for_outermost_unlock(void **state)
{
	struct unit_puppet reader, updater;

	(void)state;
	unit_puppet_start(&reader);
	unit_puppet_start(&updater);
	unit_puppet_run(&reader, rcu_lock_step);
	unit_puppet_run(&reader, rcu_lock_step);
	unit_puppet_post(&updater, synchronize_step);
	unit_puppet_settle(&updater);
	assert_false(unit_puppet_done(&updater));
	unit_puppet_run(&reader, rcu_unlock_step);
	unit_sleep_ms(UNIT_GRACE_MS);
	assert_false(unit_puppet_done(&updater));
	unit_puppet_run(&reader, rcu_unlock_step);
	unit_puppet_wait(&updater);
	unit_puppet_stop(&updater);
	unit_puppet_stop(&reader);
}

/* Readers entering and leaving nonstop never starve a grace period. */
static atomic_bool busy_stop;

static void *busy_reader(void *arg)
{
	(void)arg;
	while (!atomic_load(&busy_stop)) {
		tps_rcu_read_lock();
		tps_rcu_read_lock();
		tps_rcu_read_unlock();
		tps_rcu_read_unlock();
	}
	return NULL;
}

static void test_synchronize_with_busy_readers(void **state)
{
	pthread_t t[2];
	int i;

	(void)state;
	atomic_store(&busy_stop, false);
	for (i = 0; i < 2; i++)
		t[i] = unit_thread_start(busy_reader, NULL);
	for (i = 0; i < 50; i++)
		tps_synchronize_rcu();
	atomic_store(&busy_stop, true);
	for (i = 0; i < 2; i++)
		unit_thread_join(t[i]);
}

/*
 * Concurrent callers share grace periods: with a reader holding the first
 * one, every caller that is already waiting when the reader leaves is served
 * by at most two grace periods (the one in progress when it arrived, and the
 * next), however many callers there are.
 */
#define SHARING_UPDATERS 4

static void test_grace_period_sharing(void **state)
{
	struct unit_puppet reader, updaters[SHARING_UPDATERS];
	unsigned long before, after;
	int i;

	(void)state;
	unit_puppet_start(&reader);
	for (i = 0; i < SHARING_UPDATERS; i++)
		unit_puppet_start(&updaters[i]);
	before = tps_get_state_synchronize_rcu();
	unit_puppet_run(&reader, rcu_lock_step);
	for (i = 0; i < SHARING_UPDATERS; i++)
		unit_puppet_post(&updaters[i], synchronize_step);
	/* Each one blocked inside synchronize: it has taken its cookie. */
	for (i = 0; i < SHARING_UPDATERS; i++)
		unit_puppet_settle(&updaters[i]);
	for (i = 0; i < SHARING_UPDATERS; i++)
		assert_false(unit_puppet_done(&updaters[i]));
	unit_puppet_run(&reader, rcu_unlock_step);
	for (i = 0; i < SHARING_UPDATERS; i++)
		unit_puppet_wait(&updaters[i]);
	after = tps_get_state_synchronize_rcu();
	assert_in_range(gps_between(before, after), 1, 2);
	for (i = 0; i < SHARING_UPDATERS; i++)
		unit_puppet_stop(&updaters[i]);
	unit_puppet_stop(&reader);
}

/* ---- Polled grace periods. ---- */

static void test_poll_after_synchronize(void **state)
{
	unsigned long cookie;

	(void)state;
	cookie = tps_get_state_synchronize_rcu();
	tps_synchronize_rcu();
	assert_true(tps_poll_state_synchronize_rcu(cookie));
	/* Stays true. */
	tps_synchronize_rcu();
	assert_true(tps_poll_state_synchronize_rcu(cookie));
}

static void test_poll_fresh_cookie(void **state)
{
	unsigned long cookie;

	(void)state;
	/* Nothing else in this process runs grace periods now. */
	cookie = tps_get_state_synchronize_rcu();
	assert_false(tps_poll_state_synchronize_rcu(cookie));
	assert_false(tps_poll_state_synchronize_rcu(cookie));
	/* Taking cookies does not start grace periods. */
	assert_int_equal(tps_get_state_synchronize_rcu(), cookie);
	tps_synchronize_rcu();
	assert_true(tps_poll_state_synchronize_rcu(cookie));
	assert_false(tps_poll_state_synchronize_rcu(tps_get_state_synchronize_rcu()));
}

static void test_cookie_inside_reader(void **state)
{
	unsigned long cookie;

	(void)state;
	tps_rcu_read_lock();
	cookie = tps_get_state_synchronize_rcu();
	assert_false(tps_poll_state_synchronize_rcu(cookie));
	tps_rcu_read_unlock();
	tps_synchronize_rcu();
	assert_true(tps_poll_state_synchronize_rcu(cookie));
}

/* A cookie taken while a reader is inside polls false until that reader left. */
static void test_poll_waits_for_reader(void **state)
{
	struct unit_puppet reader, updater;
	unsigned long cookie;

	(void)state;
	unit_puppet_start(&reader);
	unit_puppet_start(&updater);
	unit_puppet_run(&reader, rcu_lock_step);
	cookie = tps_get_state_synchronize_rcu();
	unit_puppet_post(&updater, synchronize_step);
	unit_puppet_settle(&updater);
	unit_sleep_ms(UNIT_GRACE_MS);
	assert_false(tps_poll_state_synchronize_rcu(cookie));
	unit_puppet_run(&reader, rcu_unlock_step);
	unit_puppet_wait(&updater);
	assert_true(tps_poll_state_synchronize_rcu(cookie));
	unit_puppet_stop(&updater);
	unit_puppet_stop(&reader);
}

static unsigned long cond_cookie;

static void cond_synchronize_step(void)
{
	tps_cond_synchronize_rcu(cond_cookie);
}

/*
 * An elapsed cookie: tps_cond_synchronize_rcu() returns without a grace
 * period, even while a reader in another thread is inside (it would wait for
 * that reader otherwise).
 */
static void test_cond_synchronize_elapsed(void **state)
{
	struct unit_puppet reader, updater;
	unsigned long before;

	(void)state;
	unit_puppet_start(&reader);
	unit_puppet_start(&updater);
	cond_cookie = tps_get_state_synchronize_rcu();
	tps_synchronize_rcu();
	unit_puppet_run(&reader, rcu_lock_step);
	before = tps_get_state_synchronize_rcu();
	unit_puppet_post(&updater, cond_synchronize_step);
	unit_puppet_settle(&updater);
	assert_true(unit_puppet_done(&updater));
	assert_int_equal(tps_get_state_synchronize_rcu(), before);
	unit_puppet_run(&reader, rcu_unlock_step);
	unit_puppet_stop(&updater);
	unit_puppet_stop(&reader);
}

/* A cookie not elapsed: tps_cond_synchronize_rcu() waits for the reader. */
static void test_cond_synchronize_waits(void **state)
{
	struct unit_puppet reader, updater;

	(void)state;
	unit_puppet_start(&reader);
	unit_puppet_start(&updater);
	unit_puppet_run(&reader, rcu_lock_step);
	cond_cookie = tps_get_state_synchronize_rcu();
	unit_puppet_post(&updater, cond_synchronize_step);
	unit_puppet_settle(&updater);
	unit_sleep_ms(UNIT_GRACE_MS);
	assert_false(unit_puppet_done(&updater));
	unit_puppet_run(&reader, rcu_unlock_step);
	unit_puppet_wait(&updater);
	assert_true(tps_poll_state_synchronize_rcu(cond_cookie));
	unit_puppet_stop(&updater);
	unit_puppet_stop(&reader);
}

/* Polls cookie until it is done or 10 s have passed; true when done. */
static bool poll_until_done(unsigned long cookie)
{
	for (int ms = 0; ms < 10000; ms++) {
		if (tps_poll_state_synchronize_rcu(cookie))
			return true;
		unit_sleep_ms(1);
	}
	return false;
}

/* A started cookie completes with nobody calling synchronize. */
static void test_start_poll_completes(void **state)
{
	unsigned long cookie, again;

	(void)state;
	tps_rcu_barrier();
	cookie = tps_start_poll_synchronize_rcu();
	again = tps_start_poll_synchronize_rcu();
	assert_true(poll_until_done(cookie));
	assert_true(poll_until_done(again));
	/* Started from inside a reader: done only after the reader left. */
	tps_rcu_read_lock();
	cookie = tps_start_poll_synchronize_rcu();
	unit_sleep_ms(UNIT_GRACE_MS);
	assert_false(tps_poll_state_synchronize_rcu(cookie));
	tps_rcu_read_unlock();
	assert_true(poll_until_done(cookie));
}

/* A started cookie waits for a reader of another thread, then completes alone. */
static void test_start_poll_waits_for_reader(void **state)
{
	struct unit_puppet reader;
	unsigned long cookie;

	(void)state;
	unit_puppet_start(&reader);
	unit_puppet_run(&reader, rcu_lock_step);
	cookie = tps_start_poll_synchronize_rcu();
	unit_sleep_ms(UNIT_GRACE_MS);
	assert_false(tps_poll_state_synchronize_rcu(cookie));
	unit_puppet_run(&reader, rcu_unlock_step);
	assert_true(poll_until_done(cookie));
	unit_puppet_stop(&reader);
}

/* ---- Pointer publication. ---- */

struct item {
	int value;
	struct tps_rcu_head head;
	long tail;
};

static struct item *published;

static void test_pointer_macros(void **state)
{
	struct item a = {.value = 1}, b = {.value = 2}, *old, *seen;

	(void)state;
	tps_rcu_assign_pointer(published, &a);
	tps_rcu_read_lock();
	seen = tps_rcu_dereference(published);
	assert_ptr_equal(seen, &a);
	assert_int_equal(seen->value, 1);
	tps_rcu_read_unlock();
	old = tps_rcu_xchg_pointer(&published, &b);
	assert_ptr_equal(old, &a);
	assert_ptr_equal(tps_rcu_dereference_protected(published), &b);
	tps_rcu_assign_pointer(published, NULL);
	assert_null(tps_rcu_dereference(published));
	/* cmpxchg: returns what the pointer held; publishes only on a match. */
	assert_null(tps_rcu_cmpxchg_pointer(&published, &a, &b));
	assert_null(tps_rcu_dereference_protected(published));
	assert_null(tps_rcu_cmpxchg_pointer(&published, NULL, &a));
	assert_ptr_equal(tps_rcu_dereference_protected(published), &a);
	assert_ptr_equal(tps_rcu_cmpxchg_pointer(&published, &a, &b), &a);
	assert_ptr_equal(tps_rcu_dereference_protected(published), &b);
	tps_rcu_assign_pointer(published, NULL);
}

static void test_container_of(void **state)
{
	struct item it;

	(void)state;
	assert_ptr_equal(tps_container_of(&it.head, struct item, head), &it);
	assert_ptr_equal(tps_container_of(&it.tail, struct item, tail), &it);
	assert_ptr_equal(tps_container_of(&it.value, struct item, value), &it);
}

/*
 * Publish, unpublish, wait, poison, free: readers that ever see a poisoned
 * (or, under ASan, freed) object saw a grace period end too early. The
 * initialization published with a release store must be visible to readers.
 */
#define PUBLISH_READERS 2
/* At least this many updates and reads; at most MAX updates (a failure). */
#define PUBLISH_UPDATES 300
#define PUBLISH_READS 10000
#define PUBLISH_MAX_UPDATES 1000000
#define POISON 0x5a5a5a5a

struct pub_obj {
	_Atomic int poison;
	int a, b; /* plain fields: initialized before publication */
};

static struct pub_obj *pub_current;
static atomic_bool pub_stop;
static atomic_long pub_errors;
static atomic_long pub_reads;

static void *pub_reader(void *arg)
{
	(void)arg;
	while (!atomic_load(&pub_stop)) {
		struct pub_obj *o;

		tps_rcu_read_lock();
		o = tps_rcu_dereference(pub_current);
		if (o) {
			if (atomic_load_explicit(&o->poison, memory_order_relaxed) == POISON ||
			    o->b != o->a + 1)
				atomic_fetch_add(&pub_errors, 1);
			atomic_fetch_add_explicit(&pub_reads, 1, memory_order_relaxed);
		}
		tps_rcu_read_unlock();
	}
	return NULL;
}

static void test_publish_and_reclaim(void **state)
{
	pthread_t t[PUBLISH_READERS];
	int i;

	(void)state;
	atomic_store(&pub_stop, false);
	for (i = 0; i < PUBLISH_READERS; i++)
		t[i] = unit_thread_start(pub_reader, NULL);
	for (i = 0; i < PUBLISH_MAX_UPDATES; i++) {
		struct pub_obj *n, *old;

		if (i >= PUBLISH_UPDATES && atomic_load(&pub_reads) >= PUBLISH_READS)
			break;
		n = malloc(sizeof(*n));

		assert_non_null(n);
		atomic_init(&n->poison, 0);
		n->a = i;
		n->b = i + 1;
		old = tps_rcu_xchg_pointer(&pub_current, n);
		tps_synchronize_rcu();
		if (old) {
			atomic_store_explicit(&old->poison, POISON, memory_order_relaxed);
			/* A second grace period, so that readers may see the poison. */
			tps_synchronize_rcu();
			free(old);
		}
	}
	atomic_store(&pub_stop, true);
	for (i = 0; i < PUBLISH_READERS; i++)
		unit_thread_join(t[i]);
	free(tps_rcu_xchg_pointer(&pub_current, NULL));
	assert_int_equal(atomic_load(&pub_errors), 0);
	assert_true(atomic_load(&pub_reads) >= PUBLISH_READS);
}

/* Outside readers the annotations are harmless in every build. */
static void test_might_sleep_outside_reader(void **state)
{
	(void)state;
	tps_might_sleep();
	tps_might_fault();
	tps_rcu_read_lock();
	tps_rcu_read_unlock();
	tps_might_sleep();
	tps_might_fault();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_read_ongoing_and_nesting),
	        cmocka_unit_test(test_deepest_nesting),
	        cmocka_unit_test(test_synchronize_without_readers),
	        cmocka_unit_test(test_synchronize_waits_for_reader),
	        cmocka_unit_test(test_synchronize_waits_for_outermost_unlock),
	        cmocka_unit_test(test_next_grace_period_waits_for_reader_started_after_sweep),
	        cmocka_unit_test(test_synchronize_with_busy_readers),
	        cmocka_unit_test(test_grace_period_sharing),
	        cmocka_unit_test(test_poll_after_synchronize),
	        cmocka_unit_test(test_poll_fresh_cookie),
	        cmocka_unit_test(test_cookie_inside_reader),
	        cmocka_unit_test(test_poll_waits_for_reader),
	        cmocka_unit_test(test_cond_synchronize_elapsed),
	        cmocka_unit_test(test_cond_synchronize_waits),
	        cmocka_unit_test(test_start_poll_completes),
	        cmocka_unit_test(test_start_poll_waits_for_reader),
	        cmocka_unit_test(test_pointer_macros),
	        cmocka_unit_test(test_container_of),
	        cmocka_unit_test(test_publish_and_reclaim),
	        cmocka_unit_test(test_might_sleep_outside_reader),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
