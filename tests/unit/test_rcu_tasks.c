/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/test_rcu_tasks.c - the Tasks flavour: a thread that runs user
 * code without blocking holds a grace period; blocking, a voluntary context
 * switch, tps_rcu_tasks_qs() or exit releases it; unregistered threads count;
 * stall reports (hook and timeout); callbacks and barrier; polled cookies;
 * fork; the ops table; tps_sync_core() in both fence modes.
 */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/membarrier.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <tpsync/flavor.h>
#include <tpsync/rcu_tasks.h>

/* A spinner may be preempted for a while on a loaded machine: be patient. */
#define SETTLE_MS 5000

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* ---- A thread that runs user code without blocking. ---- */

enum spin_mode {
	SPIN_PURE,    /* never blocks */
	SPIN_QS,      /* calls tps_rcu_tasks_qs() in its loop */
	SPIN_SLEEPY,  /* spins 200 µs, then sleeps 10 µs, and again */
	SPIN_QS_ONCE, /* calls tps_rcu_tasks_qs() once, then never blocks */
	SPIN_LATE_QS  /* spins; calls tps_rcu_tasks_qs() in its loop once told to */
};

struct spinner {
	enum spin_mode mode;
	atomic_bool started;
	atomic_bool stop;
	atomic_bool go_qs;
	atomic_int tid;
	atomic_ulong loops;
};

static void spin_us(unsigned int us)
{
	double end = now_ms() + us / 1000.0;

	while (now_ms() < end)
		;
}

static void *spinner_main(void *arg)
{
	struct spinner *s = arg;
	struct timespec ts = {0, 10000};

	atomic_store(&s->tid, (int)unit_gettid());
	if (s->mode == SPIN_QS_ONCE)
		tps_rcu_tasks_qs();
	atomic_store(&s->started, true);
	while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
		atomic_fetch_add_explicit(&s->loops, 1, memory_order_relaxed);
		switch (s->mode) {
		case SPIN_QS:
			tps_rcu_tasks_qs();
			break;
		case SPIN_LATE_QS:
			if (atomic_load_explicit(&s->go_qs, memory_order_relaxed))
				tps_rcu_tasks_qs();
			break;
		case SPIN_SLEEPY:
			spin_us(200);
			nanosleep(&ts, NULL);
			break;
		default:
			break;
		}
	}
	return NULL;
}

static pthread_t spinner_start(struct spinner *s, enum spin_mode mode)
{
	pthread_t t;

	memset(s, 0, sizeof(*s));
	s->mode = mode;
	t = unit_thread_start(spinner_main, s);
	while (!atomic_load(&s->started))
		unit_sleep_ms(1);
	return t;
}

static void spinner_stop(struct spinner *s, pthread_t t)
{
	atomic_store(&s->stop, true);
	unit_thread_join(t);
}

static void sync_step(void)
{
	tps_synchronize_rcu_tasks();
}

/* Waits until the posted synchronize returns, for at most SETTLE_MS. */
static bool settled(struct unit_puppet *p)
{
	double end = now_ms() + SETTLE_MS;

	while (!unit_puppet_done(p) && now_ms() < end)
		unit_sleep_ms(1);
	return unit_puppet_done(p);
}

static void test_alone(void **state)
{
	(void)state;
	tps_synchronize_rcu_tasks();
	tps_synchronize_rcu_tasks();
}

/* A sleeping (blocked) thread does not hold a grace period. */
static void test_blocked_thread(void **state)
{
	struct unit_puppet idle = {0};

	(void)state;
	unit_puppet_start(&idle); /* waits on its condition variable */
	tps_synchronize_rcu_tasks();
	unit_puppet_stop(&idle);
}

/*
 * The heart of the flavour: a thread that never blocks holds the grace
 * period, and releases it when it blocks or exits. A grace period that
 * does not wait returns while the spinner spins.
 */
static void test_spinner_holds_until_exit(void **state)
{
	struct unit_puppet up = {0};
	struct spinner s;
	pthread_t t;

	(void)state;
	unit_puppet_start(&up);
	t = spinner_start(&s, SPIN_PURE);
	unit_puppet_post(&up, sync_step);
	unit_sleep_ms(4 * UNIT_GRACE_MS);
	assert_false(unit_puppet_done(&up));
	spinner_stop(&s, t);
	assert_true(settled(&up));
	unit_puppet_stop(&up);
}

/*
 * Threads that exit while a grace period lists /proc/self/task must not
 * hide running threads from it. With more threads than one 32 KiB
 * getdents64() buffer holds (readdir()'s), the kernel resumes the listing
 * from the first thread it did not return; when that thread and some before
 * it have exited, it counts its way back from the first thread and skips as
 * many threads as have exited. Here the threads just after that place spin,
 * a few before it exit as the grace period reads the statuses of the first
 * buffer's threads, and every other thread sleeps: a grace period that
 * skipped the spinners returns while they spin.
 */
#define LIST_THREADS 1600 /* more than a 32 KiB buffer lists (1,363 at most) */
#define LIST_EXITERS 12
#define LIST_ROUNDS 3

enum list_role { LIST_SLEEP, LIST_EXIT, LIST_SPIN };

struct list_thread {
	pthread_t t;
	sem_t wake;
	atomic_int tid;
	atomic_int role;
	atomic_bool started;
	atomic_bool spinning;
	unsigned int spin_ms;
};

static struct list_thread *list_threads;

static void *list_thread_main(void *arg)
{
	struct list_thread *lt = arg;
	double end;

	atomic_store(&lt->tid, (int)unit_gettid());
	while (sem_wait(&lt->wake) != 0)
		;
	if (atomic_load(&lt->role) != LIST_SPIN)
		return NULL;
	end = now_ms() + lt->spin_ms;
	atomic_store(&lt->spinning, true);
	atomic_store(&lt->started, true);
	while (now_ms() < end)
		;
	atomic_store(&lt->spinning, false);
	return NULL;
}

/* The first thread id that a 32 KiB getdents64() buffer (readdir()'s) misses. */
static int list_first_unlisted(void)
{
	static char buf[32768];
	int fd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	long n;
	int tid = 0;

	assert_true(fd >= 0);
	assert_true(syscall(SYS_getdents64, fd, buf, sizeof(buf)) > 0);
	n = syscall(SYS_getdents64, fd, buf, sizeof(buf));
	if (n > 0)
		tid = atoi(buf + 19); /* d_name of the first record */
	close(fd);
	return tid;
}

static void *list_release_exiters(void *arg)
{
	int *at = arg;
	int i;

	unit_sleep_ms(5); /* the grace period is reading the first buffer's threads */
	for (i = *at - LIST_EXITERS; i <= *at; i++)
		sem_post(&list_threads[i].wake);
	return NULL;
}

static void test_exits_while_listing(void **state)
{
	pthread_attr_t attr;
	int round, i, at, still = 0;

	(void)state;
	list_threads = calloc(LIST_THREADS, sizeof(*list_threads));
	assert_non_null(list_threads);
	assert_int_equal(pthread_attr_init(&attr), 0);
	assert_int_equal(pthread_attr_setstacksize(&attr, 256 << 10), 0);
	for (round = 0; round < LIST_ROUNDS && !still; round++) {
		int first;
		pthread_t releaser;

		for (i = 0; i < LIST_THREADS; i++) {
			struct list_thread *lt = &list_threads[i];

			memset(lt, 0, sizeof(*lt));
			sem_init(&lt->wake, 0, 0);
			assert_int_equal(pthread_create(&lt->t, &attr, list_thread_main, lt), 0);
			while (!atomic_load(&lt->tid))
				sched_yield();
		}
		unit_sleep_ms(20); /* every thread is asleep in sem_wait() */
		first = list_first_unlisted();
		for (at = -1, i = 0; i < LIST_THREADS; i++)
			if (atomic_load(&list_threads[i].tid) == first)
				at = i;
		assert_true(at > LIST_EXITERS && at + LIST_EXITERS < LIST_THREADS);
		for (i = at - LIST_EXITERS; i <= at; i++)
			atomic_store(&list_threads[i].role, LIST_EXIT);
		/* Those skipped first spin longest: a short grace period sees them. */
		for (i = at + 1; i <= at + LIST_EXITERS; i++) {
			list_threads[i].spin_ms = 400 + 40 * (unsigned int)(at + LIST_EXITERS - i);
			atomic_store(&list_threads[i].role, LIST_SPIN);
			sem_post(&list_threads[i].wake);
		}
		for (i = at + 1; i <= at + LIST_EXITERS; i++)
			while (!atomic_load(&list_threads[i].started))
				sched_yield();
		releaser = unit_thread_start(list_release_exiters, &at);
		tps_synchronize_rcu_tasks();
		for (i = at + 1; i <= at + LIST_EXITERS; i++)
			if (atomic_load(&list_threads[i].spinning)) {
				print_message("thread %d (index %d) still spins after the grace "
				              "period\n",
				              atomic_load(&list_threads[i].tid), i);
				still++;
			}
		unit_thread_join(releaser);
		for (i = 0; i < LIST_THREADS; i++) {
			if (atomic_load(&list_threads[i].role) == LIST_SLEEP)
				sem_post(&list_threads[i].wake);
			pthread_join(list_threads[i].t, NULL);
			sem_destroy(&list_threads[i].wake);
		}
	}
	pthread_attr_destroy(&attr);
	free(list_threads);
	assert_int_equal(still, 0);
}

/* tps_rcu_tasks_qs() in a busy loop lets grace periods end. */
static void test_qs_releases(void **state)
{
	struct spinner s;
	unsigned long before;
	pthread_t t;
	int i;

	(void)state;
	t = spinner_start(&s, SPIN_QS);
	for (i = 0; i < 20; i++)
		tps_synchronize_rcu_tasks();
	before = atomic_load(&s.loops);
	assert_true(before > 0);
	spinner_stop(&s, t);
}

/*
 * A thread whose first tps_rcu_tasks_qs() comes while a grace period waits
 * for it (it was not known to report quiescent states when the grace period
 * began) releases it too.
 */
static void test_first_qs_during_gp(void **state)
{
	struct unit_puppet up = {0};
	struct spinner s;
	pthread_t t;

	(void)state;
	unit_puppet_start(&up);
	t = spinner_start(&s, SPIN_LATE_QS);
	unit_puppet_post(&up, sync_step);
	unit_sleep_ms(4 * UNIT_GRACE_MS);
	assert_false(unit_puppet_done(&up));
	atomic_store(&s.go_qs, true);
	assert_true(settled(&up));
	spinner_stop(&s, t);
	unit_puppet_stop(&up);
}

/* A thread that blocks briefly now and then (voluntary switches) releases it. */
static void test_voluntary_switch_releases(void **state)
{
	struct spinner s;
	pthread_t t;
	int i;

	(void)state;
	t = spinner_start(&s, SPIN_SLEEPY);
	for (i = 0; i < 20; i++)
		tps_synchronize_rcu_tasks();
	spinner_stop(&s, t);
}

/* A spinner that registered for tps_rcu_tasks_qs() but stopped calling it holds it. */
static void test_qs_thread_that_spins_holds(void **state)
{
	struct unit_puppet up = {0};
	struct spinner s;
	pthread_t t;

	(void)state;
	unit_puppet_start(&up);
	t = spinner_start(&s, SPIN_QS_ONCE);
	unit_puppet_post(&up, sync_step);
	unit_sleep_ms(4 * UNIT_GRACE_MS);
	assert_false(unit_puppet_done(&up));
	/* The spinner now blocks in its exit: the grace period ends. */
	spinner_stop(&s, t);
	assert_true(settled(&up));
	unit_puppet_stop(&up);
}

/* ---- Stall reports. ---- */

static atomic_int hook_calls;
static atomic_int hook_tid;
static atomic_uint hook_ntids;
static atomic_bool hook_bad_arg;

static void stall_hook(const int *tids, unsigned int n, unsigned long waited_ms, void *arg)
{
	unsigned int i;

	/* Runs on the grace period's thread: record, the test asserts. */
	if (arg != &hook_calls || waited_ms < 100)
		atomic_store(&hook_bad_arg, true);
	atomic_store(&hook_ntids, n);
	for (i = 0; i < n; i++) {
		if (tids[i] == atomic_load(&hook_tid))
			atomic_fetch_add(&hook_calls, 1);
	}
}

static void test_stall_hook(void **state)
{
	struct unit_puppet up = {0};
	struct spinner s;
	pthread_t t;
	double end;

	(void)state;
	assert_int_equal(tps_rcu_tasks_set_stall_timeout(0), -EINVAL);
	assert_int_equal(tps_rcu_tasks_set_stall_timeout(100), 0);
	tps_rcu_tasks_set_stall_hook(stall_hook, &hook_calls);
	unit_puppet_start(&up);
	t = spinner_start(&s, SPIN_PURE);
	atomic_store(&hook_tid, atomic_load(&s.tid));
	unit_puppet_post(&up, sync_step);
	end = now_ms() + SETTLE_MS;
	while (atomic_load(&hook_calls) == 0 && now_ms() < end)
		unit_sleep_ms(5);
	assert_int_equal(atomic_load(&hook_calls), 1);
	assert_true(atomic_load(&hook_ntids) >= 1);
	assert_false(atomic_load(&hook_bad_arg));
	/* Reported once per grace period, however long it goes on. */
	unit_sleep_ms(500);
	assert_int_equal(atomic_load(&hook_calls), 1);
	assert_false(unit_puppet_done(&up));
	spinner_stop(&s, t);
	assert_true(settled(&up));
	unit_puppet_stop(&up);
	tps_rcu_tasks_set_stall_hook(NULL, NULL);
	assert_int_equal(tps_rcu_tasks_set_stall_timeout(TPS_RCU_TASKS_STALL_MS_DEFAULT), 0);
}

/* Without a hook, the report goes to stderr (checked in a child). */
static void stall_stderr_fn(void *arg)
{
	struct unit_puppet up = {0};
	struct spinner s;
	pthread_t t;

	(void)arg;
	child_check(tps_rcu_tasks_set_stall_timeout(100) == 0);
	unit_puppet_start(&up);
	t = spinner_start(&s, SPIN_PURE);
	unit_puppet_post(&up, sync_step);
	unit_sleep_ms(600);
	child_check(!unit_puppet_done(&up));
	spinner_stop(&s, t);
	unit_puppet_wait(&up);
	unit_puppet_stop(&up);
}

static void test_stall_stderr(void **state)
{
	struct unit_child c;
	const char *msg;

	(void)state;
	if (UNIT_TSAN)
		skip();
	unit_run_child(stall_stderr_fn, NULL, &c);
	unit_expect_success(&c);
	msg = strstr(c.err, "tpsync: rcu-tasks grace period waited");
	assert_non_null(msg);
	/* Once per grace period. */
	assert_null(strstr(msg + 1, "tpsync: rcu-tasks grace period waited"));
}

/* ---- Callbacks and polled cookies. ---- */

static atomic_int cb_runs;

static void cb(struct tps_rcu_head *head)
{
	(void)head;
	atomic_fetch_add(&cb_runs, 1);
}

static void test_callbacks(void **state)
{
	struct tps_rcu_head heads[16];
	struct spinner s;
	pthread_t t;
	int i;

	(void)state;
	assert_int_equal(tps_call_rcu_tasks(NULL, cb), -EINVAL);
	assert_int_equal(tps_call_rcu_tasks(&heads[0], NULL), -EINVAL);
	/* Held back while a thread spins without blocking. */
	atomic_store(&cb_runs, 0);
	t = spinner_start(&s, SPIN_PURE);
	for (i = 0; i < 16; i++)
		assert_int_equal(tps_call_rcu_tasks(&heads[i], cb), 0);
	unit_sleep_ms(4 * UNIT_GRACE_MS);
	assert_int_equal(atomic_load(&cb_runs), 0);
	spinner_stop(&s, t);
	tps_rcu_barrier_tasks();
	assert_int_equal(atomic_load(&cb_runs), 16);
}

static void test_polled(void **state)
{
	unsigned long c;

	(void)state;
	c = tps_get_state_synchronize_rcu_tasks();
	assert_false(tps_poll_state_synchronize_rcu_tasks(c));
	tps_synchronize_rcu_tasks();
	assert_true(tps_poll_state_synchronize_rcu_tasks(c));
	tps_cond_synchronize_rcu_tasks(c);
	c = tps_get_state_synchronize_rcu_tasks();
	tps_cond_synchronize_rcu_tasks(c);
	assert_true(tps_poll_state_synchronize_rcu_tasks(c));
}

/* ---- Fork, rules, ops table. ---- */

static void fork_child_fn(void *arg)
{
	struct tps_rcu_head h;

	(void)arg;
	tps_rcu_tasks_qs();
	tps_synchronize_rcu_tasks();
	atomic_store(&cb_runs, 0);
	child_check(tps_call_rcu_tasks(&h, cb) == 0);
	tps_rcu_barrier_tasks();
	child_check(atomic_load(&cb_runs) == 1);
}

static void test_fork(void **state)
{
	struct unit_child c;
	struct spinner s;
	pthread_t t;

	(void)state;
	/* ThreadSanitizer kills a child of a multi-threaded fork that starts threads. */
	if (UNIT_TSAN)
		skip();
	tps_rcu_tasks_qs(); /* the forking thread has a record */
	/* The parent's spinner does not exist in the child: it holds nothing there. */
	t = spinner_start(&s, SPIN_PURE);
	unit_run_child(fork_child_fn, NULL, &c);
	unit_expect_success(&c);
	spinner_stop(&s, t);
}

static void barrier_cb(struct tps_rcu_head *head)
{
	(void)head;
	tps_rcu_barrier_tasks();
}

static void barrier_in_cb_fn(void *arg)
{
	static struct tps_rcu_head h;

	(void)arg;
	tps_call_rcu_tasks(&h, barrier_cb);
	unit_sleep_ms(SETTLE_MS);
}

static void test_barrier_in_callback(void **state)
{
	struct unit_child c;

	(void)state;
	if (UNIT_TSAN)
		skip();
	unit_run_child(barrier_in_cb_fn, NULL, &c);
	unit_expect_abort(&c, "barrier-in-callback");
}

static void test_flavor(void **state)
{
	const struct tps_flavor *f = tps_flavor_find("tasks");
	struct tps_rcu_head h;
	unsigned long c;

	(void)state;
	assert_ptr_equal(f, &tps_flavor_tasks);
	assert_string_equal(f->name, "tasks");
	assert_true(f->flags & TPS_FLAVOR_UNMARKED_READERS);
	assert_false(f->flags & TPS_FLAVOR_READERS_MAY_BLOCK);
	assert_null(f->read_ongoing);
	assert_int_equal(f->read_lock(NULL), 0);
	f->read_unlock(NULL, 0);
	c = f->get_state(NULL);
	f->synchronize(NULL);
	assert_true(f->poll_state(NULL, c));
	f->cond_synchronize(NULL, c);
	atomic_store(&cb_runs, 0);
	assert_int_equal(f->call(NULL, &h, cb), 0);
	f->barrier(NULL);
	assert_int_equal(atomic_load(&cb_runs), 1);
}

/* ---- tps_sync_core() ---- */

/* Does the kernel offer the command tps_sync_core() relies on? */
static bool kernel_has_sync_core(void)
{
	long cmds = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);

	return cmds > 0 && (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE);
}

static void test_sync_core(void **state)
{
	struct spinner s;
	pthread_t t;

	(void)state;
	t = spinner_start(&s, SPIN_PURE);
	if (unit_env_forces_fallback() || !kernel_has_sync_core()) {
		/* Forced fallbacks or an old kernel: no way to serialize the other threads. */
		assert_int_equal(tps_sync_core(), -ENOSYS);
		assert_int_equal(tps_sync_core(), -ENOSYS);
	} else {
		assert_int_equal(tps_sync_core(), 0);
		assert_int_equal(tps_sync_core(), 0);
	}
	spinner_stop(&s, t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_alone),
	        cmocka_unit_test(test_blocked_thread),
	        cmocka_unit_test(test_spinner_holds_until_exit),
	        cmocka_unit_test(test_exits_while_listing),
	        cmocka_unit_test(test_qs_releases),
	        cmocka_unit_test(test_first_qs_during_gp),
	        cmocka_unit_test(test_voluntary_switch_releases),
	        cmocka_unit_test(test_qs_thread_that_spins_holds),
	        cmocka_unit_test(test_stall_hook),
	        cmocka_unit_test(test_stall_stderr),
	        cmocka_unit_test(test_callbacks),
	        cmocka_unit_test(test_polled),
	        cmocka_unit_test(test_fork),
	        cmocka_unit_test(test_barrier_in_callback),
	        cmocka_unit_test(test_flavor),
	        cmocka_unit_test(test_sync_core),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
