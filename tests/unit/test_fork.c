/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/test_fork.c - the library on both sides of fork(): callbacks
 * pending at the fork run in the parent and in the child (the child takes
 * over the queue, see lib/callbacks.c); readers, grace periods, callbacks and
 * barriers work on both sides; threads that do not exist in the child are
 * not waited for, whether they were inside a reader or inside a grace
 * period; a fork from inside a reader, during a callback (which fork does
 * not wait for, whatever the callback needs), from inside a callback, while
 * the worker takes a callback off its list, and many forks while it runs a
 * stream of callbacks.
 *
 * The child side runs in unit_run_child(): no cmocka there, child_check().
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <tpsync/rcu.h>
#include <tpsync/rcu_trace.h>
#include <tpsync/srcu.h>
#include <tpsync/tracepoint.h>

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

/* ---- Checks usable in the parent and in the child (no cmocka). ---- */

static void *hold_reader(void *arg)
{
	atomic_int *stage = arg;

	tps_rcu_read_lock();
	atomic_store(stage, 1);
	while (atomic_load(stage) != 2)
		unit_sleep_ms(1);
	tps_rcu_read_unlock();
	return NULL;
}

static void *synchronize_thread(void *arg)
{
	atomic_bool *done = arg;

	tps_synchronize_rcu();
	atomic_store(done, true);
	return NULL;
}

/* A new thread's reader holds back a grace period until it leaves. */
static bool gp_waits_for_new_reader(void)
{
	atomic_int stage = 0;
	atomic_bool done = false;
	pthread_t reader, updater;
	bool early;

	if (pthread_create(&reader, NULL, hold_reader, &stage) != 0)
		return false;
	while (atomic_load(&stage) != 1)
		unit_sleep_ms(1);
	if (pthread_create(&updater, NULL, synchronize_thread, &done) != 0)
		return false;
	unit_sleep_ms(UNIT_GRACE_MS);
	early = atomic_load(&done);
	atomic_store(&stage, 2);
	pthread_join(reader, NULL);
	pthread_join(updater, NULL);
	return !early && atomic_load(&done);
}

static atomic_int cb_runs;

static void count_cb(struct tps_rcu_head *head)
{
	(void)head;
	atomic_fetch_add(&cb_runs, 1);
}

/* Readers, polled and plain grace periods, callbacks and barriers all work. */
static bool everything_works(void)
{
	static struct tps_rcu_head heads[4];
	unsigned long cookie;
	int i, before;

	tps_rcu_read_lock();
	tps_rcu_read_lock();
	if (!tps_rcu_read_ongoing())
		return false;
	tps_rcu_read_unlock();
	tps_rcu_read_unlock();
	if (tps_rcu_read_ongoing())
		return false;
	cookie = tps_get_state_synchronize_rcu();
	tps_synchronize_rcu();
	if (!tps_poll_state_synchronize_rcu(cookie))
		return false;
	tps_cond_synchronize_rcu(tps_get_state_synchronize_rcu());
	before = atomic_load(&cb_runs);
	for (i = 0; i < 4; i++)
		if (tps_call_rcu(&heads[i], count_cb) != 0)
			return false;
	tps_rcu_barrier();
	if (atomic_load(&cb_runs) != before + 4)
		return false;
	return gp_waits_for_new_reader();
}

/* ---- Callbacks pending at the fork. ---- */

#define PENDING 16

static struct tps_rcu_head pending_heads[PENDING];
static int pending_order[PENDING];
static atomic_int pending_runs;

static void pending_cb(struct tps_rcu_head *head)
{
	int i = atomic_fetch_add(&pending_runs, 1);

	if (i < PENDING)
		pending_order[i] = (int)(head - pending_heads);
}

static void pending_child(void *arg)
{
	int i;

	(void)arg;
	/* The reader holding them back in the parent does not exist here. */
	tps_rcu_barrier();
	child_check(atomic_load(&pending_runs) == PENDING);
	for (i = 0; i < PENDING; i++)
		child_check(pending_order[i] == i);
	child_check(everything_works());
	/* None ran twice. */
	child_check(atomic_load(&pending_runs) == PENDING);
}

static void test_pending_callbacks_across_fork(void **state)
{
	struct unit_puppet reader;
	struct unit_child child;
	int i;

	(void)state;
	unit_puppet_start(&reader);
	atomic_store(&pending_runs, 0);
	unit_puppet_run(&reader, rcu_lock_step);
	for (i = 0; i < PENDING; i++)
		assert_int_equal(tps_call_rcu(&pending_heads[i], pending_cb), 0);

	unit_run_child(pending_child, NULL, &child);
	unit_expect_success(&child);

	/* Still held back here. */
	assert_int_equal(atomic_load(&pending_runs), 0);
	unit_puppet_run(&reader, rcu_unlock_step);
	tps_rcu_barrier();
	assert_int_equal(atomic_load(&pending_runs), PENDING);
	for (i = 0; i < PENDING; i++)
		assert_int_equal(pending_order[i], i);
	assert_true(everything_works());
	unit_puppet_stop(&reader);
}

/* ---- Threads caught inside a reader or a grace period. ---- */

static void child_works(void *arg)
{
	(void)arg;
	child_check(!tps_rcu_read_ongoing());
	child_check(everything_works());
}

/* Another thread is inside a long reader: the child does not wait for it. */
static void test_fork_while_other_thread_reads(void **state)
{
	struct unit_puppet reader, updater;
	struct unit_child child;

	(void)state;
	unit_puppet_start(&reader);
	unit_puppet_start(&updater);
	unit_puppet_run(&reader, rcu_lock_step);

	unit_run_child(child_works, NULL, &child);
	unit_expect_success(&child);

	/* The parent still waits for it. */
	unit_puppet_post(&updater, synchronize_step);
	unit_puppet_settle(&updater);
	unit_sleep_ms(UNIT_GRACE_MS);
	assert_false(unit_puppet_done(&updater));
	unit_puppet_run(&reader, rcu_unlock_step);
	unit_puppet_wait(&updater);
	assert_true(everything_works());
	unit_puppet_stop(&updater);
	unit_puppet_stop(&reader);
}

/* Another thread is inside a grace period, asleep waiting for a reader. */
static void test_fork_during_grace_period(void **state)
{
	struct unit_puppet reader, updater;
	struct unit_child child;

	(void)state;
	unit_puppet_start(&reader);
	unit_puppet_start(&updater);
	unit_puppet_run(&reader, rcu_lock_step);
	unit_puppet_post(&updater, synchronize_step);
	unit_puppet_settle(&updater);
	assert_false(unit_puppet_done(&updater));

	unit_run_child(child_works, NULL, &child);
	unit_expect_success(&child);

	assert_false(unit_puppet_done(&updater));
	unit_puppet_run(&reader, rcu_unlock_step);
	unit_puppet_wait(&updater);
	assert_true(everything_works());
	unit_puppet_stop(&updater);
	unit_puppet_stop(&reader);
}

/* The forking thread is itself inside a reader, with a callback pending. */
static void child_in_reader(void *arg)
{
	(void)arg;
	child_check(tps_rcu_read_ongoing());
	child_check(atomic_load(&cb_runs) == 0);
	tps_rcu_read_unlock();
	child_check(!tps_rcu_read_ongoing());
	tps_rcu_barrier();
	child_check(atomic_load(&cb_runs) == 1);
	child_check(everything_works());
}

static void test_fork_inside_reader(void **state)
{
	static struct tps_rcu_head head;
	struct unit_child child;

	(void)state;
	atomic_store(&cb_runs, 0);
	tps_rcu_read_lock();
	assert_int_equal(tps_call_rcu(&head, count_cb), 0);
	unit_run_child(child_in_reader, NULL, &child);
	assert_true(tps_rcu_read_ongoing());
	assert_int_equal(atomic_load(&cb_runs), 0);
	tps_rcu_read_unlock();
	unit_expect_success(&child);
	tps_rcu_barrier();
	assert_int_equal(atomic_load(&cb_runs), 1);
	assert_true(everything_works());
}

/*
 * Fork while a callback runs: fork does not wait for it (a callback may wait
 * for anything, a grace period the forking thread holds up included). In
 * the child that callback belongs to the parent's worker thread, which the
 * child does not have: it is not run again there, and the callbacks queued
 * after it run, in order.
 */
static atomic_int slow_started, slow_finished;
static atomic_int after_slow_runs;

static void slow_cb(struct tps_rcu_head *head)
{
	(void)head;
	atomic_fetch_add(&slow_started, 1);
	unit_sleep_ms(UNIT_GRACE_MS);
	atomic_fetch_add(&slow_finished, 1);
}

static void after_slow_cb(struct tps_rcu_head *head)
{
	(void)head;
	atomic_fetch_add(&after_slow_runs, 1);
}

static void child_after_slow(void *arg)
{
	(void)arg;
	tps_rcu_barrier();
	child_check(atomic_load(&slow_started) == 1);
	child_check(atomic_load(&after_slow_runs) == 1);
	child_check(everything_works());
	child_check(atomic_load(&slow_started) == 1);
}

static void test_fork_during_callback(void **state)
{
	static struct tps_rcu_head head, after;
	struct unit_child child;

	(void)state;
	atomic_store(&slow_started, 0);
	atomic_store(&slow_finished, 0);
	atomic_store(&after_slow_runs, 0);
	assert_int_equal(tps_call_rcu(&head, slow_cb), 0);
	while (atomic_load(&slow_started) == 0)
		unit_sleep_ms(1);
	assert_int_equal(tps_call_rcu(&after, after_slow_cb), 0);
	unit_run_child(child_after_slow, NULL, &child);
	unit_expect_success(&child);
	tps_rcu_barrier();
	assert_int_equal(atomic_load(&slow_started), 1);
	assert_int_equal(atomic_load(&slow_finished), 1);
	assert_int_equal(atomic_load(&after_slow_runs), 1);
	assert_true(everything_works());
}

/*
 * The same with the slow callback and the next one in one batch (both became
 * ready in one grace period): in the child the slow one still counts as run,
 * and the rest of the batch runs once, from the front of the queue.
 */
static void test_fork_during_callback_rest_of_batch(void **state)
{
	static struct tps_rcu_head head, after;
	struct unit_puppet reader;
	struct unit_child child;

	(void)state;
	atomic_store(&slow_started, 0);
	atomic_store(&slow_finished, 0);
	atomic_store(&after_slow_runs, 0);
	unit_puppet_start(&reader);
	unit_puppet_run(&reader, rcu_lock_step);
	assert_int_equal(tps_call_rcu(&head, slow_cb), 0);
	assert_int_equal(tps_call_rcu(&after, after_slow_cb), 0);
	/* The worker takes both and waits for the reader's grace period. */
	unit_sleep_ms(UNIT_GRACE_MS);
	unit_puppet_run(&reader, rcu_unlock_step);
	while (atomic_load(&slow_started) == 0)
		unit_sleep_ms(1);
	assert_int_equal(atomic_load(&after_slow_runs), 0);
	unit_run_child(child_after_slow, NULL, &child);
	unit_expect_success(&child);
	tps_rcu_barrier();
	unit_puppet_stop(&reader);
	assert_int_equal(atomic_load(&slow_started), 1);
	assert_int_equal(atomic_load(&slow_finished), 1);
	assert_int_equal(atomic_load(&after_slow_runs), 1);
	assert_true(everything_works());
}

/*
 * ---- A callback that needs what fork() takes, while another thread forks. ----
 *
 * The callback waits until a fork has begun (a prepare handler of the test,
 * registered after the library's, runs just before them), gives the
 * library's handlers time to run, then does its step: queue a tasks-trace
 * callback, register and unregister a probe, look up a tracepoint, queue onto
 * an SRCU domain whose worker never ran, or wait for a classic grace period
 * that the forking thread, inside a reader, holds up. fork() must return in
 * the parent and in the child (an alarm ends a hang), and every callback
 * must run.
 */
#define FORK_LIMIT_S 20
/* Time the library's prepare handlers get before the callback goes on. */
#define PREPARE_MS 50

TPS_TRACEPOINT_DECLARE(t_fork, TPS_PROTO(int a), TPS_ARGS(a));
TPS_TRACEPOINT_DEFINE(t_fork);

static atomic_bool fork_armed, fork_began;
static atomic_int step_started, step_done, chained_runs;
static void (*fork_step)(void);

/* test_fork_during_bookkeeping(): 1: armed; 2: the worker is in its hook. */
static atomic_int book_holding;
/* Set by test_prepare() when book_holding is 2. */
static atomic_bool book_fork_began;

static void test_prepare(void)
{
	if (atomic_load(&fork_armed))
		atomic_store(&fork_began, true);
	if (atomic_load(&book_holding) == 2)
		atomic_store(&book_fork_began, true);
}

static void chained_cb(struct tps_rcu_head *head)
{
	(void)head;
	atomic_fetch_add(&chained_runs, 1);
}

static void step_chain_trace(void)
{
	static struct tps_rcu_head head;

	tps_call_rcu_tasks_trace(&head, chained_cb);
}

static void t_fork_probe(void *data, int a)
{
	(void)data;
	(void)a;
}

static void step_probe(void)
{
	struct tps_tracepoint *tp = tps_tracepoint_lookup("t_fork");

	if (tp)
		atomic_fetch_add(&chained_runs, 1);
	if (tps_register_trace_t_fork(t_fork_probe, NULL) == 0 &&
	    tps_unregister_trace_t_fork(t_fork_probe, NULL) == 0)
		atomic_fetch_add(&chained_runs, 1);
}

static struct tps_srcu fresh_domain;

static void step_fresh_worker(void)
{
	static struct tps_rcu_head head;

	tps_call_srcu(&fresh_domain, &head, chained_cb);
}

static void step_synchronize_rcu(void)
{
	tps_synchronize_rcu();
	atomic_fetch_add(&chained_runs, 1);
}

static void stepping_cb(struct tps_rcu_head *head)
{
	int waited;

	(void)head;
	atomic_store(&step_started, 1);
	for (waited = 0; !atomic_load(&fork_began) && waited < 1000 * FORK_LIMIT_S; waited++)
		unit_sleep_ms(1);
	unit_sleep_ms(PREPARE_MS);
	fork_step();
	atomic_store(&step_done, 1);
}

static void child_after_step(void *arg)
{
	(void)arg;
	/* The forking thread may be inside a reader (see below). */
	while (tps_rcu_read_ongoing())
		tps_rcu_read_unlock();
	tps_rcu_barrier();
	tps_rcu_barrier_tasks_trace();
	child_check(everything_works());
}

/* Forks (inside a classic reader when in_reader) while a callback does step. */
static void fork_during_step(void (*step)(void), bool trace_cb, bool in_reader, int runs)
{
	static struct tps_rcu_head head;
	struct unit_child child;

	fork_step = step;
	atomic_store(&step_started, 0);
	atomic_store(&step_done, 0);
	atomic_store(&chained_runs, 0);
	atomic_store(&fork_began, false);
	if (trace_cb)
		assert_int_equal(tps_call_rcu_tasks_trace(&head, stepping_cb), 0);
	else
		assert_int_equal(tps_call_rcu(&head, stepping_cb), 0);
	while (!atomic_load(&step_started))
		unit_sleep_ms(1);
	if (in_reader)
		tps_rcu_read_lock();
	atomic_store(&fork_armed, true);
	fprintf(stderr, "forking while a callback needs what fork takes\n");
	fflush(stderr);
	alarm(FORK_LIMIT_S);
	unit_run_child(child_after_step, NULL, &child);
	alarm(0);
	atomic_store(&fork_armed, false);
	if (in_reader)
		tps_rcu_read_unlock();
	unit_expect_success(&child);
	tps_rcu_barrier();
	tps_rcu_barrier_tasks_trace();
	assert_int_equal(atomic_load(&step_done), 1);
	if (step == step_fresh_worker)
		assert_int_equal(tps_srcu_barrier(&fresh_domain), 0);
	assert_int_equal(atomic_load(&chained_runs), runs);
	assert_true(everything_works());
}

static void test_fork_while_callback_chains_to_trace(void **state)
{
	(void)state;
	fork_during_step(step_chain_trace, false, false, 1);
}

static void test_fork_while_callback_registers_probe(void **state)
{
	(void)state;
	fork_during_step(step_probe, false, false, 2);
}

static void test_fork_while_callback_starts_worker(void **state)
{
	(void)state;
	assert_int_equal(tps_srcu_init(&fresh_domain), 0);
	fork_during_step(step_fresh_worker, false, false, 1);
	assert_int_equal(tps_srcu_cleanup(&fresh_domain), 0);
}

static void test_fork_in_reader_while_trace_callback_synchronizes(void **state)
{
	(void)state;
	fork_during_step(step_synchronize_rcu, true, true, 1);
}

/*
 * ---- fork() from inside a callback. ----
 *
 * A and B run in one batch, C is queued after them; A forks. In the child
 * the forking thread is still the worker: it finishes A, then runs B, then C,
 * and no other thread takes the queue. A thread of the child's checks that
 * tps_rcu_barrier() waits for B and C and that the order is A, B, C.
 */
static atomic_int order_len;
static int order[3];
static atomic_int forked_pid;

static void record(int id)
{
	int i = atomic_fetch_add(&order_len, 1);

	if (i < 3)
		order[i] = id;
}

static void *child_barrier_thread(void *arg)
{
	(void)arg;
	tps_rcu_barrier();
	if (atomic_load(&order_len) != 3 || order[0] != 'A' || order[1] != 'B' || order[2] != 'C') {
		fprintf(stderr, "child: order after the barrier: %d callbacks: %c %c %c\n",
		        atomic_load(&order_len), order[0], order[1], order[2]);
		_exit(UNIT_CHILD_CHECK_FAILED);
	}
	_exit(0);
}

static void a_cb(struct tps_rcu_head *head)
{
	pid_t pid;

	(void)head;
	record('A');
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		pthread_t t;

		alarm(FORK_LIMIT_S);
		if (pthread_create(&t, NULL, child_barrier_thread, NULL) != 0)
			_exit(UNIT_CHILD_CHECK_FAILED);
		/* Time for a second consumer of the queue, if there were one, to run C. */
		unit_sleep_ms(PREPARE_MS);
		return;
	}
	atomic_store(&forked_pid, pid);
}

static void b_cb(struct tps_rcu_head *head)
{
	(void)head;
	record('B');
}

static void c_cb(struct tps_rcu_head *head)
{
	(void)head;
	record('C');
}

static void lock_reader_step(void)
{
	tps_rcu_read_lock();
}

static void test_fork_inside_callback(void **state)
{
	static struct tps_rcu_head a, b, c;
	struct unit_puppet reader;
	int status;

	(void)state;
	atomic_store(&order_len, 0);
	atomic_store(&forked_pid, 0);
	unit_puppet_start(&reader);
	unit_puppet_run(&reader, lock_reader_step);
	assert_int_equal(tps_call_rcu(&a, a_cb), 0);
	assert_int_equal(tps_call_rcu(&b, b_cb), 0);
	/* The worker takes A and B and waits for the reader. */
	unit_sleep_ms(UNIT_GRACE_MS);
	assert_int_equal(tps_call_rcu(&c, c_cb), 0);
	unit_puppet_run(&reader, rcu_unlock_step);
	fprintf(stderr, "a callback forks\n");
	fflush(stderr);
	alarm(FORK_LIMIT_S);
	tps_rcu_barrier();
	alarm(0);
	assert_int_equal(atomic_load(&order_len), 3);
	assert_true(atomic_load(&forked_pid) > 0);
	assert_int_equal(waitpid(atomic_load(&forked_pid), &status, 0), atomic_load(&forked_pid));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	unit_puppet_stop(&reader);
	assert_true(everything_works());
}

/* Several generations: a child's child works too. */
static void grandchild(void *arg)
{
	(void)arg;
	child_check(everything_works());
}

static void child_forks_again(void *arg)
{
	struct unit_child inner;

	(void)arg;
	child_check(everything_works());
	/* unit_run_child asserts only on pipe/fork failures, which end the child too. */
	unit_run_child(grandchild, NULL, &inner);
	child_check(WIFEXITED(inner.status) && WEXITSTATUS(inner.status) == 0);
}

static void test_fork_twice(void **state)
{
	struct unit_child child;

	(void)state;
	unit_run_child(child_forks_again, NULL, &child);
	unit_expect_success(&child);
}

/*
 * ---- A fork while the worker takes a callback off its list. ----
 *
 * A test hook holds the worker in the middle of that bookkeeping (callback A
 * off the list, not yet counted) until this thread's fork has begun (the
 * test's prepare handler, which runs before the library's), then
 * BOOK_HOLD_MS more, time for the library's preparation to start. The fork
 * must wait for the bookkeeping to end: in the child, A is the parent's
 * (taken, counted as started) and does not run again, and B, queued after
 * it, runs exactly once, before the fork or in the child. A child that saw
 * the bookkeeping half done would lose B or take a callback from an empty
 * list.
 */
#define BOOK_HOLD_MS 100

static struct tps_rcu_head book_heads[2];
static atomic_int book_runs[2];

static void book_cb(struct tps_rcu_head *head)
{
	atomic_fetch_add(&book_runs[head - book_heads], 1);
}

static void hold_bookkeeping(void)
{
	int armed = 1;

	if (!atomic_compare_exchange_strong(&book_holding, &armed, 2))
		return;
	while (!atomic_load(&book_fork_began))
		unit_sleep_ms(1);
	unit_sleep_ms(BOOK_HOLD_MS);
}

static void book_child(void *arg)
{
	int a_before = atomic_load(&book_runs[0]);

	(void)arg;
	tps_rcu_barrier();
	child_check(atomic_load(&book_runs[0]) == a_before && a_before <= 1);
	child_check(atomic_load(&book_runs[1]) == 1);
	child_check(everything_works());
}

static void test_fork_during_bookkeeping(void **state)
{
	struct unit_child child;

	(void)state;
	atomic_store(&book_runs[0], 0);
	atomic_store(&book_runs[1], 0);
	atomic_store(&book_fork_began, false);
	atomic_store(&book_holding, 1);
	tps__cb_set_book_hook(hold_bookkeeping);
	assert_int_equal(tps_call_rcu(&book_heads[0], book_cb), 0);
	assert_int_equal(tps_call_rcu(&book_heads[1], book_cb), 0);
	while (atomic_load(&book_holding) != 2)
		unit_sleep_ms(1);
	unit_run_child(book_child, NULL, &child);
	tps__cb_set_book_hook(NULL);
	unit_expect_success(&child);
	tps_rcu_barrier();
	assert_int_equal(atomic_load(&book_runs[0]), 1);
	assert_int_equal(atomic_load(&book_runs[1]), 1);
}

/*
 * ---- Many forks while the worker runs a stream of short callbacks. ----
 *
 * This thread queues STREAM_CHUNK callbacks (each marks its own byte), then
 * forks at once, while the worker works through them, STREAM_FORKS times:
 * a fork lands anywhere in the worker's loop, also while it takes a callback
 * off the list. In each child: no callback ran twice, none queued after the
 * fork ran, and every one queued before it ran, in the parent or in the
 * child, but for at most one: the callback the parent's worker had taken at
 * the fork belongs to the parent, which may not have started it yet.
 * It finds a callback run while still on the list (run again in a child)
 * and counts that go wrong across many forks; a fork inside the few stores
 * of the bookkeeping itself is rare here: test_fork_during_bookkeeping
 * holds that window open.
 */
#define STREAM_CHUNK 20000
#define STREAM_FORKS 24
#define STREAM_CBS (STREAM_CHUNK * STREAM_FORKS)

static struct tps_rcu_head *stream_heads;
static atomic_uchar *stream_ran;
static atomic_int stream_twice;

static void stream_cb(struct tps_rcu_head *head)
{
	if (atomic_exchange(&stream_ran[head - stream_heads], 1))
		atomic_fetch_add(&stream_twice, 1);
}

/* Callbacks in [from, to) that have not run. */
static long stream_missing(long from, long to)
{
	long missing = 0;

	for (long i = from; i < to; i++)
		missing += !atomic_load(&stream_ran[i]);
	return missing;
}

static void stream_child(void *arg)
{
	long queued = *(const long *)arg;

	tps_rcu_barrier();
	child_check(atomic_load(&stream_twice) == 0);
	child_check(stream_missing(0, queued) <= 1);
	child_check(stream_missing(queued, STREAM_CBS) == STREAM_CBS - queued);
}

static void test_forks_during_callback_stream(void **state)
{
	struct unit_child child;
	long queued = 0;

	(void)state;
	stream_heads = calloc(STREAM_CBS, sizeof(*stream_heads));
	stream_ran = calloc(STREAM_CBS, sizeof(*stream_ran));
	assert_non_null(stream_heads);
	assert_non_null(stream_ran);
	atomic_store(&stream_twice, 0);
	for (int f = 0; f < STREAM_FORKS; f++) {
		for (int i = 0; i < STREAM_CHUNK; i++, queued++)
			assert_int_equal(tps_call_rcu(&stream_heads[queued], stream_cb), 0);
		unit_run_child(stream_child, &queued, &child);
		unit_expect_success(&child);
	}
	tps_rcu_barrier();
	assert_int_equal(stream_missing(0, STREAM_CBS), 0);
	assert_int_equal(atomic_load(&stream_twice), 0);
	free(stream_heads);
	free(stream_ran);
	assert_true(everything_works());
}

/*
 * Starts the callback worker before any test forks. A fork while a thread
 * is being created can catch the sanitizers' allocators locked (gcc 12's
 * ASan has no fork handlers), and the child then hangs in its first malloc:
 * a limit of the tool, not of the library, which the tests keep out of the
 * way.
 */
static int start_worker(void **state)
{
	static struct tps_rcu_head head;

	(void)state;
	if (tps_call_rcu(&head, count_cb) != 0)
		return -1;
	tps_rcu_barrier();
	return atomic_load(&cb_runs) == 1 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_pending_callbacks_across_fork),
	        cmocka_unit_test(test_fork_while_other_thread_reads),
	        cmocka_unit_test(test_fork_during_grace_period),
	        cmocka_unit_test(test_fork_inside_reader),
	        cmocka_unit_test(test_fork_during_callback),
	        cmocka_unit_test(test_fork_during_callback_rest_of_batch),
	        cmocka_unit_test(test_fork_twice),
	        cmocka_unit_test(test_fork_while_callback_chains_to_trace),
	        cmocka_unit_test(test_fork_while_callback_registers_probe),
	        cmocka_unit_test(test_fork_while_callback_starts_worker),
	        cmocka_unit_test(test_fork_in_reader_while_trace_callback_synchronizes),
	        cmocka_unit_test(test_fork_inside_callback),
	        cmocka_unit_test(test_fork_during_bookkeeping),
	        cmocka_unit_test(test_forks_during_callback_stream),
	};

	/*
	 * ThreadSanitizer does not support threads in the child of a
	 * multi-threaded fork: its default die_after_fork=1 kills such a child,
	 * and without it the child's new threads reuse the stacks of the
	 * parent's threads, which it still believes alive ("dup thread with
	 * used id"). Every test here forks with threads running, by design.
	 */
	if (UNIT_TSAN) {
		fprintf(stderr, "test_fork: skipped under ThreadSanitizer, which does not support "
		                "threads after a multi-threaded fork\n");
		return UNIT_SKIP_STATUS;
	}
	/* Runs before the library's prepare handlers (registered earlier). */
	if (pthread_atfork(test_prepare, NULL, NULL) != 0)
		return 1;
	return cmocka_run_group_tests(tests, start_worker, NULL);
}
