/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/test_rcu_trace.c - the tasks-trace flavour: readers, nesting,
 * grace periods that wait for readers which sleep, block in read() and take
 * page faults, grace-period sharing, callbacks and barrier, polled cookies,
 * threads that come and go during grace periods, signal-handler readers,
 * independence from the classic flavour, and the rules.
 */
#include "unit.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <tpsync/config.h>
#include <tpsync/flavor.h>
#include <tpsync/rcu.h>
#include <tpsync/rcu_trace.h>

/* The reader that sleeps inside its critical section, and the bound. */
#define SLEEPING_READER_MS 200
#define WAKE_UP_BOUND_MS 50

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void trace_lock_step(void)
{
	tps_rcu_read_lock_trace();
}

static void trace_unlock_step(void)
{
	tps_rcu_read_unlock_trace();
}

static void trace_sync_step(void)
{
	tps_synchronize_rcu_tasks_trace();
}

static void test_held_and_nesting(void **state)
{
	(void)state;
	assert_false(tps_rcu_read_lock_trace_held());
	tps_rcu_read_lock_trace();
	assert_true(tps_rcu_read_lock_trace_held());
	assert_true(tps_thread_registered());
	tps_rcu_read_lock_trace();
	tps_rcu_read_unlock_trace();
	assert_true(tps_rcu_read_lock_trace_held());
	/* Independent of the classic flavour. */
	assert_false(tps_rcu_read_ongoing());
	tps_rcu_read_unlock_trace();
	assert_false(tps_rcu_read_lock_trace_held());
}

static void test_synchronize_without_readers(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < 100; i++)
		tps_synchronize_rcu_tasks_trace();
}

/* Only the outermost unlock ends the critical section. */
static void test_synchronize_waits_for_outermost_unlock(void **state)
{
	struct unit_puppet reader, updater;

	(void)state;
	unit_puppet_start(&reader);
	unit_puppet_start(&updater);
	unit_puppet_run(&reader, trace_lock_step);
	unit_puppet_run(&reader, trace_lock_step);
	unit_puppet_post(&updater, trace_sync_step);
	unit_puppet_settle(&updater);
	assert_false(unit_puppet_done(&updater));
	/* Spin, then sleep: the waiting updater is asleep in the kernel. */
	assert_true(unit_thread_sleeping(updater.tid));
	unit_puppet_run(&reader, trace_unlock_step);
	unit_sleep_ms(UNIT_GRACE_MS);
	assert_false(unit_puppet_done(&updater));
	unit_puppet_run(&reader, trace_unlock_step);
	unit_puppet_wait(&updater);
	unit_puppet_stop(&updater);
	unit_puppet_stop(&reader);
}

/* ---- Readers that block. ---- */

static _Atomic double sleeper_locked_ms, sleeper_unlocked_ms;

static void sleeping_reader_step(void)
{
	tps_rcu_read_lock_trace();
	atomic_store(&sleeper_locked_ms, now_ms());
	unit_sleep_ms(SLEEPING_READER_MS);
	atomic_store(&sleeper_unlocked_ms, now_ms());
	tps_rcu_read_unlock_trace();
}

/*
 * A reader that sleeps 200 ms holds the grace period that long, and the
 * grace period ends within 50 ms of the reader leaving: the reader wakes the
 * updater, nobody polls.
 */
static void test_sleeping_reader(void **state)
{
	struct unit_puppet reader;
	double end;

	(void)state;
	atomic_store(&sleeper_locked_ms, 0.0);
	unit_puppet_start(&reader);
	unit_puppet_post(&reader, sleeping_reader_step);
	while (atomic_load(&sleeper_locked_ms) == 0.0)
		unit_sleep_ms(1);
	tps_synchronize_rcu_tasks_trace();
	end = now_ms();
	unit_puppet_wait(&reader);
	assert_true(end - atomic_load(&sleeper_locked_ms) >= SLEEPING_READER_MS);
	assert_true(end >= atomic_load(&sleeper_unlocked_ms));
	assert_true(end - atomic_load(&sleeper_unlocked_ms) <= WAKE_UP_BOUND_MS);
	unit_puppet_stop(&reader);
}

static int block_pipe[2];
static char block_byte;

static void pipe_reader_step(void)
{
	tps_rcu_read_lock_trace();
	if (read(block_pipe[0], &block_byte, 1) != 1)
		block_byte = 0;
	tps_rcu_read_unlock_trace();
}

/* A reader blocked in read() on a pipe holds the grace period until it returns. */
static void test_reader_blocked_in_read(void **state)
{
	struct unit_puppet reader, updater;

	(void)state;
	assert_int_equal(pipe(block_pipe), 0);
	unit_puppet_start(&reader);
	unit_puppet_start(&updater);
	unit_puppet_post(&reader, pipe_reader_step);
	unit_puppet_settle(&reader); /* asleep in read(), inside the reader */
	assert_false(unit_puppet_done(&reader));
	unit_puppet_post(&updater, trace_sync_step);
	unit_puppet_settle(&updater);
	unit_sleep_ms(UNIT_GRACE_MS);
	assert_false(unit_puppet_done(&updater));
	assert_int_equal(write(block_pipe[1], "x", 1), 1);
	unit_puppet_wait(&reader);
	unit_puppet_wait(&updater);
	assert_int_equal(block_byte, 'x');
	unit_puppet_stop(&updater);
	unit_puppet_stop(&reader);
	close(block_pipe[0]);
	close(block_pipe[1]);
}

#define FAULT_PAGES 64
static long fault_page;
static unsigned char *fault_map;
static long fault_minflt;
static unsigned long fault_sum;

static void faulting_reader_lock_step(void)
{
	long before = unit_thread_faults();
	int i;

	tps_rcu_read_lock_trace();
	for (i = 0; i < FAULT_PAGES; i++)
		fault_sum += fault_map[(long)i * fault_page];
	fault_minflt = unit_thread_faults() - before;
}

/* A reader that takes real page faults on a freshly mapped file. */
static void test_reader_takes_page_faults(void **state)
{
	struct unit_puppet reader, updater;
	long len;

	(void)state;
	fault_page = sysconf(_SC_PAGESIZE);
	len = fault_page * FAULT_PAGES;
	fault_map = unit_map_fresh_file((size_t)len);
	unit_puppet_start(&reader);
	unit_puppet_start(&updater);
	unit_puppet_run(&reader, faulting_reader_lock_step);
	assert_true(fault_minflt > 0); /* the pages were not there: real faults */
	unit_puppet_post(&updater, trace_sync_step);
	unit_puppet_settle(&updater);
	assert_false(unit_puppet_done(&updater));
	unit_puppet_run(&reader, trace_unlock_step);
	unit_puppet_wait(&updater);
	unit_puppet_stop(&updater);
	unit_puppet_stop(&reader);
	munmap(fault_map, (size_t)len);
}

/* Polls cookie until it is done or 10 s have passed; true when done. */
static bool trace_poll_until_done(unsigned long cookie)
{
	for (int ms = 0; ms < 10000; ms++) {
		if (tps_poll_state_synchronize_rcu_tasks_trace(cookie))
			return true;
		unit_sleep_ms(1);
	}
	return false;
}

/*
 * A started cookie waits for a (sleeping) reader of another thread, then
 * completes with nobody calling synchronize; one started inside the
 * caller's own reader completes after that reader.
 */
static void test_start_poll(void **state)
{
	struct unit_puppet reader;
	unsigned long cookie;

	(void)state;
	cookie = tps_start_poll_synchronize_rcu_tasks_trace();
	assert_true(trace_poll_until_done(cookie));
	unit_puppet_start(&reader);
	unit_puppet_run(&reader, trace_lock_step);
	cookie = tps_start_poll_synchronize_rcu_tasks_trace();
	unit_sleep_ms(UNIT_GRACE_MS);
	assert_false(tps_poll_state_synchronize_rcu_tasks_trace(cookie));
	unit_puppet_run(&reader, trace_unlock_step);
	assert_true(trace_poll_until_done(cookie));
	unit_puppet_stop(&reader);
	tps_rcu_read_lock_trace();
	cookie = tps_start_poll_synchronize_rcu_tasks_trace();
	unit_sleep_ms(UNIT_GRACE_MS);
	assert_false(tps_poll_state_synchronize_rcu_tasks_trace(cookie));
	tps_rcu_read_unlock_trace();
	assert_true(trace_poll_until_done(cookie));
}

/* ---- Sharing, polling, callbacks. ---- */

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
	before = tps_get_state_synchronize_rcu_tasks_trace();
	unit_puppet_run(&reader, trace_lock_step);
	for (i = 0; i < SHARING_UPDATERS; i++)
		unit_puppet_post(&updaters[i], trace_sync_step);
	for (i = 0; i < SHARING_UPDATERS; i++)
		unit_puppet_settle(&updaters[i]);
	for (i = 0; i < SHARING_UPDATERS; i++)
		assert_false(unit_puppet_done(&updaters[i]));
	unit_puppet_run(&reader, trace_unlock_step);
	for (i = 0; i < SHARING_UPDATERS; i++)
		unit_puppet_wait(&updaters[i]);
	after = tps_get_state_synchronize_rcu_tasks_trace();
	/* Cookies advance by 2 per grace period: at most two for all callers. */
	assert_in_range((after - before) / 2, 1, 2);
	for (i = 0; i < SHARING_UPDATERS; i++)
		unit_puppet_stop(&updaters[i]);
	unit_puppet_stop(&reader);
}

static void test_polled(void **state)
{
	unsigned long cookie;

	(void)state;
	cookie = tps_get_state_synchronize_rcu_tasks_trace();
	assert_false(tps_poll_state_synchronize_rcu_tasks_trace(cookie));
	tps_synchronize_rcu_tasks_trace();
	assert_true(tps_poll_state_synchronize_rcu_tasks_trace(cookie));
	tps_cond_synchronize_rcu_tasks_trace(cookie); /* returns at once */
	cookie = tps_get_state_synchronize_rcu_tasks_trace();
	tps_cond_synchronize_rcu_tasks_trace(cookie); /* waits for one */
	assert_true(tps_poll_state_synchronize_rcu_tasks_trace(cookie));
}

static void test_cond_synchronize_waits_for_reader(void **state)
{
	struct unit_puppet reader;
	unsigned long cookie;

	(void)state;
	unit_puppet_start(&reader);
	unit_puppet_run(&reader, trace_lock_step);
	cookie = tps_get_state_synchronize_rcu_tasks_trace();
	unit_sleep_ms(UNIT_GRACE_MS);
	assert_false(tps_poll_state_synchronize_rcu_tasks_trace(cookie));
	unit_puppet_run(&reader, trace_unlock_step);
	tps_cond_synchronize_rcu_tasks_trace(cookie);
	assert_true(tps_poll_state_synchronize_rcu_tasks_trace(cookie));
	unit_puppet_stop(&reader);
}

struct cb_obj {
	struct tps_rcu_head head;
	_Atomic int *ran;
	pthread_t caller;
	_Atomic bool other_thread;
};

static void cb_fn(struct tps_rcu_head *head)
{
	struct cb_obj *o = tps_container_of(head, struct cb_obj, head);

	atomic_store(&o->other_thread, !pthread_equal(pthread_self(), o->caller));
	atomic_fetch_add(o->ran, 1);
}

/* A callback waits for the readers that started before it was queued. */
static void test_call_waits_for_reader(void **state)
{
	struct unit_puppet reader;
	_Atomic int ran = 0;
	struct cb_obj o = {.ran = &ran, .caller = pthread_self()};

	(void)state;
	unit_puppet_start(&reader);
	unit_puppet_run(&reader, trace_lock_step);
	assert_int_equal(tps_call_rcu_tasks_trace(&o.head, cb_fn), 0);
	unit_sleep_ms(UNIT_GRACE_MS);
	assert_int_equal(atomic_load(&ran), 0);
	unit_puppet_run(&reader, trace_unlock_step);
	tps_rcu_barrier_tasks_trace();
	assert_int_equal(atomic_load(&ran), 1);
	assert_true(atomic_load(&o.other_thread));
	unit_puppet_stop(&reader);
}

#define MANY_CALLBACKS 1000

static void test_barrier_runs_everything(void **state)
{
	struct cb_obj *objs = calloc(MANY_CALLBACKS, sizeof(*objs));
	_Atomic int ran = 0;
	int i;

	(void)state;
	assert_non_null(objs);
	for (i = 0; i < MANY_CALLBACKS; i++) {
		objs[i].ran = &ran;
		objs[i].caller = pthread_self();
		/* Callable inside a reader of either flavour. */
		tps_rcu_read_lock_trace();
		assert_int_equal(tps_call_rcu_tasks_trace(&objs[i].head, cb_fn), 0);
		tps_rcu_read_unlock_trace();
	}
	tps_rcu_barrier_tasks_trace();
	assert_int_equal(atomic_load(&ran), MANY_CALLBACKS);
	free(objs);
}

static void test_call_rejects_null(void **state)
{
	struct tps_rcu_head head;

	(void)state;
	assert_int_equal(tps_call_rcu_tasks_trace(NULL, cb_fn), -EINVAL);
	assert_int_equal(tps_call_rcu_tasks_trace(&head, NULL), -EINVAL);
	tps_rcu_barrier_tasks_trace();
}

/* ---- Threads that come and go; signal handlers; the other flavour. ---- */

static atomic_bool churn_stop;

static void *short_lived_reader(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < 10; i++) {
		tps_rcu_read_lock_trace();
		tps_rcu_read_unlock_trace();
	}
	return NULL;
}

static void *churner(void *arg)
{
	(void)arg;
	while (!atomic_load(&churn_stop))
		unit_thread_join(unit_thread_start(short_lived_reader, NULL));
	return NULL;
}

/* Threads registering and exiting during grace periods neither hang nor break them. */
static void test_thread_churn(void **state)
{
	pthread_t c[2];
	int i;

	(void)state;
	atomic_store(&churn_stop, false);
	for (i = 0; i < 2; i++)
		c[i] = unit_thread_start(churner, NULL);
	for (i = 0; i < 300; i++)
		tps_synchronize_rcu_tasks_trace();
	atomic_store(&churn_stop, true);
	for (i = 0; i < 2; i++)
		unit_thread_join(c[i]);
}

static int unregister_result;

static void unregister_step(void)
{
	unregister_result = tps_unregister_thread();
}

/* A reader cannot unregister (-EBUSY) and stays a holdout; after unlocking it can. */
static void test_unregister_inside_reader(void **state)
{
	struct unit_puppet reader, updater;

	(void)state;
	unit_puppet_start(&reader);
	unit_puppet_start(&updater);
	unit_puppet_run(&reader, trace_lock_step);
	unit_puppet_run(&reader, unregister_step);
	assert_int_equal(unregister_result, -EBUSY);
	unit_puppet_post(&updater, trace_sync_step);
	unit_puppet_settle(&updater);
	unit_sleep_ms(UNIT_GRACE_MS);
	assert_false(unit_puppet_done(&updater));
	unit_puppet_run(&reader, trace_unlock_step);
	unit_puppet_run(&reader, unregister_step);
	assert_int_equal(unregister_result, 0);
	unit_puppet_wait(&updater);
	unit_puppet_stop(&updater);
	unit_puppet_stop(&reader);
}

static _Atomic long handler_runs, handler_bad;

static void handler(int sig)
{
	(void)sig;
	tps_rcu_read_lock_trace();
	if (!tps_rcu_read_lock_trace_held())
		atomic_fetch_add(&handler_bad, 1);
	tps_rcu_read_unlock_trace();
	atomic_fetch_add(&handler_runs, 1);
}

static atomic_bool sig_stop;

static void *signalled_reader(void *arg)
{
	long i = 0;

	(void)arg;
	tps_register_thread();
	while (!atomic_load(&sig_stop)) {
		tps_rcu_read_lock_trace();
		if (i++ % 2)
			tps_rcu_read_lock_trace();
		if (i % 2 == 0)
			tps_rcu_read_unlock_trace();
		tps_rcu_read_unlock_trace();
	}
	return NULL;
}

/* Readers in a signal handler, nested on the interrupted thread's readers. */
static void test_signal_handler_readers(void **state)
{
	struct sigaction sa, old;
	pthread_t t;
	int i;

	(void)state;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);
	atomic_store(&sig_stop, false);
	t = unit_thread_start(signalled_reader, NULL);
	for (i = 0; i < 200; i++) {
		pthread_kill(t, SIGUSR1);
		if (i % 4 == 0)
			tps_synchronize_rcu_tasks_trace();
	}
	while (atomic_load(&handler_runs) == 0)
		unit_sleep_ms(1);
	tps_synchronize_rcu_tasks_trace();
	atomic_store(&sig_stop, true);
	unit_thread_join(t);
	assert_int_equal(atomic_load(&handler_bad), 0);
	sigaction(SIGUSR1, &old, NULL);
}

/* A classic grace period does not wait for trace readers, nor the reverse. */
static void test_flavours_independent(void **state)
{
	(void)state;
	tps_rcu_read_lock_trace();
	tps_synchronize_rcu(); /* legal: only classic readers are waited for */
	tps_rcu_read_unlock_trace();
	tps_rcu_read_lock();
	tps_rcu_read_unlock();
}

static void test_flavor_table(void **state)
{
	const struct tps_flavor *f = tps_flavor_find("trace");
	unsigned long cookie;

	(void)state;
	assert_ptr_equal(f, &tps_flavor_trace);
	assert_true(f->flags & TPS_FLAVOR_READERS_MAY_BLOCK);
	assert_false(f->flags & TPS_FLAVOR_HAS_DOMAINS);
	assert_int_equal(f->read_lock(NULL), 0);
	assert_true(f->read_ongoing(NULL));
	f->read_unlock(NULL, 0);
	assert_false(f->read_ongoing(NULL));
	cookie = f->get_state(NULL);
	f->synchronize(NULL);
	assert_true(f->poll_state(NULL, cookie));
	f->cond_synchronize(NULL, cookie);
	f->barrier(NULL);
}

/* ---- Rules. ---- */

static void sync_in_reader(void *arg)
{
	(void)arg;
	tps_rcu_read_lock_trace();
	tps_synchronize_rcu_tasks_trace();
}

static void cond_sync_in_reader(void *arg)
{
	unsigned long cookie = tps_get_state_synchronize_rcu_tasks_trace();

	(void)arg;
	tps_rcu_read_lock_trace();
	tps_cond_synchronize_rcu_tasks_trace(cookie);
}

static void barrier_in_reader(void *arg)
{
	(void)arg;
	tps_rcu_read_lock_trace();
	tps_rcu_barrier_tasks_trace();
}

static void barrier_cb(struct tps_rcu_head *head)
{
	(void)head;
	tps_rcu_barrier_tasks_trace();
}

static void barrier_in_callback(void *arg)
{
	static struct tps_rcu_head head;

	(void)arg;
	tps_call_rcu_tasks_trace(&head, barrier_cb);
	tps_rcu_barrier_tasks_trace();
}

static void unbalanced_unlock(void *arg)
{
	(void)arg;
	tps_rcu_read_unlock_trace();
	child_check(!tps_rcu_read_lock_trace_held());
}

static void *exit_inside(void *arg)
{
	(void)arg;
	tps_rcu_read_lock_trace();
	return NULL;
}

static void exit_in_reader(void *arg)
{
	(void)arg;
	unit_thread_join(unit_thread_start(exit_inside, NULL));
}

static void test_rules(void **state)
{
	(void)state;
	unit_expect_rule(sync_in_reader, NULL, "synchronize-in-reader", true);
	unit_expect_rule(cond_sync_in_reader, NULL, "synchronize-in-reader", true);
	unit_expect_rule(barrier_in_reader, NULL, "barrier-in-reader", true);
	unit_expect_rule(barrier_in_callback, NULL, "barrier-in-callback", true);
	unit_expect_rule(unbalanced_unlock, NULL, "trace-unbalanced", TPSYNC_DEBUG);
	unit_expect_rule(exit_in_reader, NULL, "exit-in-reader", TPSYNC_DEBUG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        /* First, while no thread exists: forked children may start threads (TSan). */
	        cmocka_unit_test(test_rules),
	        cmocka_unit_test(test_held_and_nesting),
	        cmocka_unit_test(test_synchronize_without_readers),
	        cmocka_unit_test(test_synchronize_waits_for_outermost_unlock),
	        cmocka_unit_test(test_sleeping_reader),
	        cmocka_unit_test(test_reader_blocked_in_read),
	        cmocka_unit_test(test_reader_takes_page_faults),
	        cmocka_unit_test(test_grace_period_sharing),
	        cmocka_unit_test(test_polled),
	        cmocka_unit_test(test_start_poll),
	        cmocka_unit_test(test_cond_synchronize_waits_for_reader),
	        cmocka_unit_test(test_call_waits_for_reader),
	        cmocka_unit_test(test_barrier_runs_everything),
	        cmocka_unit_test(test_call_rejects_null),
	        cmocka_unit_test(test_thread_churn),
	        cmocka_unit_test(test_unregister_inside_reader),
	        cmocka_unit_test(test_signal_handler_readers),
	        cmocka_unit_test(test_flavours_independent),
	        cmocka_unit_test(test_flavor_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
