/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/test_registry.c - the thread registry: registration on the
 * first reader, explicit registration and unregistration (-EBUSY inside a
 * reader), unregistration at thread exit, and all of it while grace periods
 * run; the registry's table: grown, its entries reused, out of memory
 * while a grace period waits.
 */
#include "unit.h"

#include <errno.h>
#include <string.h>

#include <tpsync/rcu.h>
#include <tpsync/rcu_trace.h>

/* Test hooks of lib/registry.c: the table cannot grow; the caller's index in it. */
TPS_EXPORT void tps__registry_set_alloc_fail(bool fail);
TPS_EXPORT int tps__registry_self_index(void);
TPS_EXPORT unsigned long tps__registry_count(void);

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

/* ---- The table: grown, entries reused, out of memory ---- */

/* Registered threads that wait, some inside readers, until released. */
struct crowd {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int ready;
	bool go;
};

struct crowd_member {
	struct crowd *c;
	pthread_t tid;
	/* Hold readers while waiting (listed_reader: only when not in the table). */
	bool reader;
	bool listed_reader;
	/* What registration gave: an index in the table, or none (-1: on the list). */
	int index;
	bool listed;
	bool held;
};

#define CROWD_INIT                                                                                 \
	{                                                                                          \
		.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER                \
	}

static void *crowd_thread(void *arg)
{
	struct crowd_member *m = arg;
	struct crowd *c = m->c;

	if (tps_register_thread() != 0)
		return (void *)1;
	m->index = tps__registry_self_index();
	m->listed = m->index < 0;
	m->held = m->reader || (m->listed_reader && m->listed);
	if (m->held) {
		tps_rcu_read_lock();
		tps_rcu_read_lock_trace();
	}
	pthread_mutex_lock(&c->lock);
	c->ready++;
	pthread_cond_broadcast(&c->cond);
	while (!c->go)
		pthread_cond_wait(&c->cond, &c->lock);
	pthread_mutex_unlock(&c->lock);
	if (m->held) {
		tps_rcu_read_unlock_trace();
		tps_rcu_read_unlock();
	}
	return NULL;
}

/*
 * Crowd threads only wait: small stacks, so that hundreds of them fit in a
 * 32-bit address space.
 */
#define CROWD_STACK_BYTES (256 * 1024)

/* Starts m (its fields set) and waits until it has registered. */
static void crowd_add(struct crowd *c, struct crowd_member *m)
{
	pthread_attr_t attr;
	int before;

	pthread_mutex_lock(&c->lock);
	before = c->ready;
	pthread_mutex_unlock(&c->lock);
	m->c = c;
	assert_int_equal(pthread_attr_init(&attr), 0);
	assert_int_equal(pthread_attr_setstacksize(&attr, CROWD_STACK_BYTES), 0);
	assert_int_equal(pthread_create(&m->tid, &attr, crowd_thread, m), 0);
	pthread_attr_destroy(&attr);
	pthread_mutex_lock(&c->lock);
	while (c->ready == before)
		pthread_cond_wait(&c->cond, &c->lock);
	pthread_mutex_unlock(&c->lock);
}

static void crowd_release(struct crowd *c, struct crowd_member *m, int n)
{
	pthread_mutex_lock(&c->lock);
	c->go = true;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
	for (int i = 0; i < n; i++) {
		void *ret;

		assert_int_equal(pthread_join(m[i].tid, &ret), 0);
		assert_null(ret);
	}
}

static void trace_synchronize_step(void)
{
	tps_synchronize_rcu_tasks_trace();
}

/* The updater has been waiting for a while and is still waiting. */
static void assert_still_waiting(struct unit_puppet *updater)
{
	unit_puppet_settle(updater);
	unit_sleep_ms(UNIT_GRACE_MS);
	assert_false(unit_puppet_done(updater));
}

/*
 * A reader at index 99 or above holds a grace period; while it waits, 200
 * more threads register, which grows (and moves) the table twice. The
 * grace period still waits for that reader, and ends
 * when it leaves.
 */
#define GROW_FIRST 100
#define GROW_MORE 200

static void test_table_grows_while_gp_waits(void **state)
{
	static struct crowd_member first[GROW_FIRST], more[GROW_MORE];
	struct crowd c1 = CROWD_INIT, c2 = CROWD_INIT;
	struct unit_puppet updater;

	(void)state;
	memset(first, 0, sizeof(first));
	memset(more, 0, sizeof(more));
	for (int i = 0; i < GROW_FIRST; i++) {
		first[i].reader = i == GROW_FIRST - 1;
		crowd_add(&c1, &first[i]);
	}
	assert_false(first[GROW_FIRST - 1].listed);
	unit_puppet_start(&updater);
	unit_puppet_post(&updater, synchronize_step);
	assert_still_waiting(&updater);
	for (int i = 0; i < GROW_MORE; i++)
		crowd_add(&c2, &more[i]);
	assert_still_waiting(&updater);
	crowd_release(&c1, first, GROW_FIRST);
	unit_puppet_wait(&updater);
	crowd_release(&c2, more, GROW_MORE);
	unit_puppet_stop(&updater);
}

/* Records the index registration gave, then exits. */
static void *index_of_thread(void *arg)
{
	int *out = arg;

	tps_register_thread();
	*out = tps__registry_self_index();
	for (int i = 0; i < 1000; i++) {
		tps_rcu_read_lock();
		tps_rcu_read_unlock();
	}
	return NULL;
}

/*
 * While a grace period waits for a reader, a thread exits below another
 * one, and a new thread takes its index (the lowest free one, not the end
 * of the table) and runs readers there: the grace period keeps waiting for
 * the first reader, and ends when it leaves.
 */
static void test_index_reuse_while_gp_waits(void **state)
{
	struct crowd cx = CROWD_INIT, cz = CROWD_INIT;
	struct crowd_member x = {0}, z = {0};
	struct unit_puppet reader, updater;
	int reused = -2;

	(void)state;
	unit_puppet_start(&reader);
	unit_puppet_start(&updater);
	unit_puppet_run(&reader, rcu_lock_step);
	unit_puppet_post(&updater, synchronize_step);
	assert_still_waiting(&updater);
	/* x, then z above it; x exits, and the next thread takes x's index. */
	crowd_add(&cx, &x);
	crowd_add(&cz, &z);
	assert_true(x.index >= 0);
	assert_true(z.index > x.index);
	crowd_release(&cx, &x, 1);
	unit_thread_join(unit_thread_start(index_of_thread, &reused));
	assert_int_equal(reused, x.index);
	assert_still_waiting(&updater);
	unit_puppet_run(&reader, rcu_unlock_step);
	unit_puppet_wait(&updater);
	crowd_release(&cz, &z, 1);
	unit_puppet_stop(&updater);
	unit_puppet_stop(&reader);
}

/*
 * When the table cannot grow, registration still succeeds: the thread
 * goes on the registry's list. Threads register until one does; it holds a
 * classic and a tasks-trace reader, and grace periods of both flavours
 * wait for it. Afterwards the table grows again. (Run before the tests
 * that grow the table: fewer threads fill it.)
 */
#define NOMEM_MAX 2048

static void test_table_allocation_failure(void **state)
{
	static struct crowd_member m[NOMEM_MAX];
	struct crowd c = CROWD_INIT;
	struct unit_puppet rcu_updater, trace_updater;
	int after = -2;
	int n = 0;

	(void)state;
	memset(m, 0, sizeof(m));
	tps__registry_set_alloc_fail(true);
	do {
		m[n].listed_reader = true;
		crowd_add(&c, &m[n]);
	} while (!m[n++].listed && n < NOMEM_MAX);
	tps__registry_set_alloc_fail(false);
	assert_true(m[n - 1].listed);
	assert_true(m[n - 1].held);
	unit_puppet_start(&rcu_updater);
	unit_puppet_start(&trace_updater);
	unit_puppet_post(&rcu_updater, synchronize_step);
	unit_puppet_post(&trace_updater, trace_synchronize_step);
	assert_still_waiting(&rcu_updater);
	assert_false(unit_puppet_done(&trace_updater));
	/* The table grows again: a new thread gets an index. */
	unit_thread_join(unit_thread_start(index_of_thread, &after));
	assert_true(after >= 0);
	assert_false(unit_puppet_done(&rcu_updater));
	assert_false(unit_puppet_done(&trace_updater));
	crowd_release(&c, m, n);
	unit_puppet_wait(&rcu_updater);
	unit_puppet_wait(&trace_updater);
	unit_puppet_stop(&rcu_updater);
	unit_puppet_stop(&trace_updater);
}

/*
 * More threads inside readers than a grace period of either flavour keeps
 * track of one by one (256): it waits for every one of them all the same. The first 260
 * (the lowest indices, which a grace period finds first) leave first; the
 * grace period still waits for the last 40.
 */
#define MANY_FIRST 260
#define MANY_LAST 40

static void test_many_readers_hold_gp(void **state)
{
	static struct crowd_member first[MANY_FIRST], last[MANY_LAST];
	struct crowd c1 = CROWD_INIT, c2 = CROWD_INIT;
	struct unit_puppet updater, trace_updater;

	(void)state;
	memset(first, 0, sizeof(first));
	memset(last, 0, sizeof(last));
	for (int i = 0; i < MANY_FIRST; i++) {
		first[i].reader = true;
		crowd_add(&c1, &first[i]);
	}
	for (int i = 0; i < MANY_LAST; i++) {
		last[i].reader = true;
		crowd_add(&c2, &last[i]);
	}
	unit_puppet_start(&updater);
	unit_puppet_start(&trace_updater);
	unit_puppet_post(&updater, synchronize_step);
	unit_puppet_post(&trace_updater, trace_synchronize_step);
	assert_still_waiting(&updater);
	assert_still_waiting(&trace_updater);
	crowd_release(&c1, first, MANY_FIRST);
	assert_still_waiting(&updater);
	assert_still_waiting(&trace_updater);
	crowd_release(&c2, last, MANY_LAST);
	unit_puppet_wait(&updater);
	unit_puppet_wait(&trace_updater);
	unit_puppet_stop(&updater);
	unit_puppet_stop(&trace_updater);
}

/*
 * fork() with a grown table, some of its threads inside readers of both
 * flavours: the child's registry holds only the forking thread (counted
 * once, at index 0), its grace periods wait for none of the parent's
 * readers, and threads the child starts register from index 1 and are
 * waited for.
 */
#define FORK_CROWD 100

static atomic_bool fork_reader_inside, fork_reader_left;

static void *fork_child_reader(void *arg)
{
	(void)arg;
	tps_rcu_read_lock();
	tps_rcu_read_lock_trace();
	atomic_store(&fork_reader_inside, true);
	unit_sleep_ms(50);
	atomic_store(&fork_reader_left, true);
	tps_rcu_read_unlock_trace();
	tps_rcu_read_unlock();
	return NULL;
}

static void fork_child_checks(void *arg)
{
	int index = -2;

	(void)arg;
	child_check(tps__registry_count() == 1);
	child_check(tps__registry_self_index() == 0);
	/* The parent's readers are not in this process: nothing to wait for. */
	tps_synchronize_rcu();
	tps_synchronize_rcu_tasks_trace();
	unit_thread_join(unit_thread_start(index_of_thread, &index));
	child_check(index == 1);
	child_check(tps__registry_count() == 1);
	for (int flavour = 0; flavour < 2; flavour++) {
		pthread_t t;

		atomic_store(&fork_reader_inside, false);
		atomic_store(&fork_reader_left, false);
		t = unit_thread_start(fork_child_reader, NULL);
		while (!atomic_load(&fork_reader_inside))
			unit_sleep_ms(1);
		if (flavour)
			tps_synchronize_rcu_tasks_trace();
		else
			tps_synchronize_rcu();
		child_check(atomic_load(&fork_reader_left));
		unit_thread_join(t);
	}
	child_check(tps__registry_count() == 1);
}

static void test_fork_with_grown_table(void **state)
{
	static struct crowd_member m[FORK_CROWD];
	struct crowd c = CROWD_INIT;
	struct unit_child child;

	(void)state;
	/* ThreadSanitizer kills a child of a multi-threaded fork that starts threads. */
	if (UNIT_TSAN)
		skip();
	memset(m, 0, sizeof(m));
	assert_int_equal(tps_register_thread(), 0);
	for (int i = 0; i < FORK_CROWD; i++) {
		m[i].reader = i % 10 == 9;
		crowd_add(&c, &m[i]);
	}
	assert_true(tps__registry_count() >= FORK_CROWD + 1);
	unit_run_child(fork_child_checks, NULL, &child);
	unit_expect_success(&child);
	crowd_release(&c, m, FORK_CROWD);
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
	        cmocka_unit_test(test_table_allocation_failure),
	        cmocka_unit_test(test_table_grows_while_gp_waits),
	        cmocka_unit_test(test_index_reuse_while_gp_waits),
	        cmocka_unit_test(test_many_readers_hold_gp),
	        cmocka_unit_test(test_fork_with_grown_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
