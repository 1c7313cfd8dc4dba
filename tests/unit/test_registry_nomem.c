/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/test_registry_nomem.c - classic and tasks-trace registration
 * when the thread's exit destructor cannot be armed.
 *
 * The registry arms its exit destructor with pthread_setspecific(), which
 * allocates (calloc) the thread's second-level key block when the key's
 * index is 32 or more, as it is in a program that already uses many keys.
 * This executable makes that allocation fail. A thread registered for good
 * without its exit destructor would leave its record in the registry after
 * it exits: the next thread to get the same memory would corrupt the list,
 * and grace periods would loop or wait forever.
 *
 * Instead, tps_register_thread() fails with -ENOMEM and changes nothing, and
 * a reader registers the thread for its critical section only: grace periods
 * wait for it while it runs, and the thread is out of the registry when it
 * ends.
 */
#include "nomem.h"
#include "unit.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <tpsync/rcu.h>
#include <tpsync/rcu_trace.h>

/* The library's test hook: records in the registry. */
unsigned long tps__registry_count(void);

/* Keys the program takes first, so that the library's key comes after 32. */
#define PROGRAM_KEYS 40
/* How long the grace periods of a later thread may take before they count as stuck. */
#define STUCK_MS 3000

/* calloc() fails on request: nomem.c. */

/* ---- A thread that cannot arm its exit destructor. ---- */

struct facts {
	int failed_before;   /* callocs failed before the first reader */
	int failed_classic;  /* callocs failed once the classic reader began */
	int inside_classic;  /* registered and inside, in the classic reader */
	int after_classic;   /* registered after it */
	int inside_trace;    /* likewise for the tasks-trace reader */
	int after_trace;     /* registered after it */
	int register_result; /* tps_register_thread() */
	int after_register;  /* registered after it */
	int failed_after;    /* callocs failed in all */
};

static struct facts facts;
static atomic_int holding;     /* 1: inside the classic reader; 2: inside the trace reader */
static atomic_int holder_step; /* the step the main thread allows */

static void wait_step(atomic_int *v, int step)
{
	while (atomic_load(v) < step)
		unit_sleep_ms(1);
}

static void *failing_thread(void *arg)
{
	(void)arg;
	facts.failed_before = atomic_load(&failed_callocs);

	fail_callocs = 1;
	tps_rcu_read_lock();
	facts.failed_classic = atomic_load(&failed_callocs);
	facts.inside_classic = tps_thread_registered() && tps_rcu_read_ongoing();
	atomic_store(&holding, 1);
	wait_step(&holder_step, 1);
	tps_rcu_read_unlock();
	facts.after_classic = tps_thread_registered();

	fail_callocs = 1;
	tps_rcu_read_lock_trace();
	facts.inside_trace = tps_thread_registered() && tps_rcu_read_lock_trace_held();
	atomic_store(&holding, 2);
	wait_step(&holder_step, 2);
	tps_rcu_read_unlock_trace();
	facts.after_trace = tps_thread_registered();

	fail_callocs = 1;
	facts.register_result = tps_register_thread();
	facts.after_register = tps_thread_registered();
	fail_callocs = 0;
	facts.failed_after = atomic_load(&failed_callocs);
	return NULL;
}

static atomic_bool gp_done;

static void *rcu_gp_once(void *arg)
{
	(void)arg;
	tps_synchronize_rcu();
	atomic_store(&gp_done, true);
	return NULL;
}

static void *trace_gp_once(void *arg)
{
	(void)arg;
	tps_synchronize_rcu_tasks_trace();
	atomic_store(&gp_done, true);
	return NULL;
}

/* A grace period asked for while the thread is inside ends only after step. */
static void waits_for(void *(*gp_fn)(void *), int step)
{
	pthread_t gp;

	atomic_store(&gp_done, false);
	gp = unit_thread_start(gp_fn, NULL);
	unit_sleep_ms(UNIT_GRACE_MS);
	assert_false(atomic_load(&gp_done));
	atomic_store(&holder_step, step);
	unit_thread_join(gp);
	assert_true(atomic_load(&gp_done));
}

static atomic_bool later_done;

/*
 * A thread started after the failing one exited (glibc may give it the
 * exited thread's stack, and so its record): reads, waits for grace periods.
 */
static void *later_thread(void *arg)
{
	(void)arg;
	tps_rcu_read_lock();
	tps_rcu_read_unlock();
	tps_rcu_read_lock_trace();
	tps_rcu_read_unlock_trace();
	tps_synchronize_rcu();
	tps_synchronize_rcu_tasks_trace();
	atomic_store(&later_done, true);
	return NULL;
}

static void test_registration_without_exit_destructor(void **state)
{
	pthread_t t;
	int i;

	(void)state;
	/* The library's exit key exists (made at the first registration). */
	assert_int_equal(tps_register_thread(), 0);
	assert_int_equal(tps__registry_count(), 1);

	atomic_store(&failed_callocs, 0);
	t = unit_thread_start(failing_thread, NULL);
	wait_step(&holding, 1);
	waits_for(rcu_gp_once, 1);
	wait_step(&holding, 2);
	waits_for(trace_gp_once, 2);
	unit_thread_join(t);

	if (facts.failed_classic - facts.failed_before != 1) {
		fprintf(stderr, "the first registration met no failing calloc: the exit key is "
		                "below 32?\n");
		fail();
	}
	assert_true(facts.inside_classic);
	assert_false(facts.after_classic);
	assert_true(facts.inside_trace);
	assert_false(facts.after_trace);
	assert_int_equal(facts.register_result, -ENOMEM);
	assert_false(facts.after_register);
	/* Each of the three registrations tried to arm the exit destructor. */
	assert_int_equal(facts.failed_after - facts.failed_before, 3);
	/* The exited thread left nothing in the registry... */
	assert_int_equal(tps__registry_count(), 1);
	/* ...that could hold or corrupt later grace periods. */
	t = unit_thread_start(later_thread, NULL);
	for (i = 0; i < STUCK_MS && !atomic_load(&later_done); i++)
		unit_sleep_ms(1);
	if (!atomic_load(&later_done)) {
		fprintf(stderr, "a grace period is stuck on the thread that exited\n");
		fail();
	}
	unit_thread_join(t);
	tps_synchronize_rcu();
	tps_synchronize_rcu_tasks_trace();
	assert_int_equal(tps__registry_count(), 1);
}

/*
 * Handlers that register the thread for their section only while the thread
 * itself holds the registry (a grace period's scan): the record goes through
 * the handlers' pending list, and its removal waits until the thread lets
 * the registry go. Signals at a thread that loops on grace periods, until
 * enough handlers ran; then the thread is out of the registry.
 */
#define BUSY_HANDLED 2000
#define BUSY_MAX_MS 3000

static atomic_long busy_handled;
static atomic_long busy_errors;
static atomic_bool busy_stop;
static atomic_bool busy_ready; /* its callocs fail from now on: signals may come */

static void busy_handler(int sig)
{
	(void)sig;
	tps_rcu_read_lock_trace();
	tps_rcu_read_lock();
	if (!tps_rcu_read_ongoing() || !tps_rcu_read_lock_trace_held() || !tps_thread_registered())
		atomic_fetch_add(&busy_errors, 1);
	tps_rcu_read_unlock();
	tps_rcu_read_unlock_trace();
	atomic_fetch_add(&busy_handled, 1);
}

static void *busy_thread(void *arg)
{
	(void)arg;
	fail_callocs = 1 << 30;
	atomic_store(&busy_ready, true);
	while (!atomic_load(&busy_stop)) {
		tps_synchronize_rcu();
		tps_synchronize_rcu_tasks_trace();
	}
	fail_callocs = 0;
	if (tps_thread_registered())
		atomic_fetch_add(&busy_errors, 1);
	return NULL;
}

static void test_section_registration_in_busy_registry(void **state)
{
	struct sigaction sa = {.sa_handler = busy_handler};
	pthread_t t;
	int i;

	(void)state;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGUSR1, &sa, NULL), 0);
	assert_int_equal(tps_register_thread(), 0);
	t = unit_thread_start(busy_thread, NULL);
	while (!atomic_load(&busy_ready))
		unit_sleep_ms(1);
	for (i = 0; i < BUSY_MAX_MS * 10 && atomic_load(&busy_handled) < BUSY_HANDLED; i++) {
		pthread_kill(t, SIGUSR1);
		usleep(100);
	}
	atomic_store(&busy_stop, true);
	unit_thread_join(t);
	assert_true(atomic_load(&busy_handled) >= BUSY_HANDLED);
	assert_int_equal(atomic_load(&busy_errors), 0);
	assert_int_equal(tps__registry_count(), 1);
	tps_synchronize_rcu();
	tps_synchronize_rcu_tasks_trace();
}

/*
 * Sections of both flavours that overlap without nesting, in a thread that
 * can only register for one section at a time: the record stays in the
 * registry, and grace periods wait, until the section that ends last ends,
 * whichever flavour it is.
 */
static atomic_int overlap_step; /* 1: outer ended, inner still open; 2: let it end */
static atomic_int overlap_errors;

static void *overlap_thread(void *arg)
{
	int classic_last = *(int *)arg;

	fail_callocs = 1 << 30;
	if (classic_last) {
		tps_rcu_read_lock_trace();
		tps_rcu_read_lock();
		tps_rcu_read_unlock_trace();
	} else {
		tps_rcu_read_lock();
		tps_rcu_read_lock_trace();
		tps_rcu_read_unlock();
	}
	if (!tps_thread_registered() || tps_rcu_read_ongoing() != classic_last ||
	    tps_rcu_read_lock_trace_held() == classic_last)
		atomic_fetch_add(&overlap_errors, 1);
	atomic_store(&overlap_step, 1);
	wait_step(&overlap_step, 2);
	if (classic_last)
		tps_rcu_read_unlock();
	else
		tps_rcu_read_unlock_trace();
	if (tps_thread_registered())
		atomic_fetch_add(&overlap_errors, 1);
	fail_callocs = 0;
	return NULL;
}

static void overlapping(int classic_last)
{
	pthread_t t, gp;
	unsigned long before;

	before = tps__registry_count();
	atomic_store(&overlap_step, 0);
	atomic_store(&gp_done, false);
	t = unit_thread_start(overlap_thread, &classic_last);
	wait_step(&overlap_step, 1);
	assert_int_equal(tps__registry_count(), before + 1);
	gp = unit_thread_start(classic_last ? rcu_gp_once : trace_gp_once, NULL);
	unit_sleep_ms(UNIT_GRACE_MS);
	assert_false(atomic_load(&gp_done));
	atomic_store(&overlap_step, 2);
	unit_thread_join(gp);
	unit_thread_join(t);
	assert_true(atomic_load(&gp_done));
	assert_int_equal(atomic_load(&overlap_errors), 0);
	assert_int_equal(tps__registry_count(), before);
}

static void test_overlapping_sections_of_both_flavours(void **state)
{
	(void)state;
	overlapping(1);
	overlapping(0);
}

/*
 * Readers registered for one section at a time, interrupted by handlers
 * that run readers too, against updaters of both flavours that retire
 * objects after their grace periods: no reader sees a retired object.
 */
#define POOL 64
#define STRESS_MS 600

struct obj {
	atomic_int alive;
};

static struct obj rcu_pool[POOL], trace_pool[POOL];
static _Atomic(struct obj *) rcu_cur, trace_cur;
static atomic_bool stress_stop;
static atomic_long stress_errors, stress_sections, stress_handled;
static atomic_long stress_left; /* readers still registered when they stopped */
static atomic_int stress_ready; /* readers whose callocs fail: signals may come */

static void check_obj(_Atomic(struct obj *) *cur)
{
	struct obj *p = atomic_load_explicit(cur, memory_order_acquire);
	int i;

	for (i = 0; i < 20; i++)
		if (!atomic_load_explicit(&p->alive, memory_order_relaxed))
			atomic_fetch_add(&stress_errors, 1);
}

/* One outermost section of each shape the read sides have. */
static void stress_readers(unsigned long i)
{
	switch (i % 4) {
	case 0:
		tps_rcu_read_lock();
		check_obj(&rcu_cur);
		tps_rcu_read_unlock();
		break;
	case 1:
		tps_rcu_read_lock_trace();
		check_obj(&trace_cur);
		tps_rcu_read_unlock_trace();
		break;
	case 2:
		tps_rcu_read_lock_trace();
		tps_rcu_read_lock();
		check_obj(&rcu_cur);
		tps_rcu_read_unlock_trace();
		check_obj(&rcu_cur);
		tps_rcu_read_unlock();
		break;
	default:
		tps_rcu_read_lock();
		tps_rcu_read_lock_trace();
		check_obj(&trace_cur);
		tps_rcu_read_unlock();
		check_obj(&trace_cur);
		tps_rcu_read_unlock_trace();
		break;
	}
}

static void stress_handler(int sig)
{
	static __thread unsigned long n;

	(void)sig;
	stress_readers(n++);
	atomic_fetch_add(&stress_handled, 1);
}

static void *stress_reader(void *arg)
{
	unsigned long i;

	(void)arg;
	fail_callocs = 1 << 30;
	atomic_fetch_add(&stress_ready, 1);
	for (i = 0; !atomic_load(&stress_stop); i++) {
		stress_readers(i);
		atomic_fetch_add(&stress_sections, 1);
	}
	fail_callocs = 0;
	if (tps_thread_registered())
		atomic_fetch_add(&stress_left, 1);
	return NULL;
}

static void *stress_updater(void *arg)
{
	int trace = *(int *)arg;
	struct obj *pool = trace ? trace_pool : rcu_pool;
	_Atomic(struct obj *) *cur = trace ? &trace_cur : &rcu_cur;
	unsigned long i;

	for (i = 1; !atomic_load(&stress_stop); i++) {
		struct obj *next = &pool[i % POOL], *old;

		atomic_store_explicit(&next->alive, 1, memory_order_relaxed);
		old = atomic_exchange_explicit(cur, next, memory_order_acq_rel);
		if (trace)
			tps_synchronize_rcu_tasks_trace();
		else
			tps_synchronize_rcu();
		atomic_store_explicit(&old->alive, 0, memory_order_relaxed);
	}
	return NULL;
}

static void test_section_readers_against_updaters(void **state)
{
	struct sigaction sa = {.sa_handler = stress_handler};
	static int rcu = 0, trace = 1;
	pthread_t readers[2], up_rcu, up_trace;
	unsigned long before = tps__registry_count();
	int i;

	(void)state;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGUSR2, &sa, NULL), 0);
	atomic_store(&rcu_pool[0].alive, 1);
	atomic_store(&trace_pool[0].alive, 1);
	atomic_store(&rcu_cur, &rcu_pool[0]);
	atomic_store(&trace_cur, &trace_pool[0]);
	for (i = 0; i < 2; i++)
		readers[i] = unit_thread_start(stress_reader, NULL);
	while (atomic_load(&stress_ready) < 2)
		unit_sleep_ms(1);
	up_rcu = unit_thread_start(stress_updater, &rcu);
	up_trace = unit_thread_start(stress_updater, &trace);
	for (i = 0; i < STRESS_MS * 5; i++) {
		pthread_kill(readers[i % 2], SIGUSR2);
		usleep(200);
	}
	atomic_store(&stress_stop, true);
	for (i = 0; i < 2; i++)
		unit_thread_join(readers[i]);
	unit_thread_join(up_rcu);
	unit_thread_join(up_trace);
	fprintf(stderr, "sections %ld, in handlers %ld\n", atomic_load(&stress_sections),
	        atomic_load(&stress_handled));
	assert_int_equal(atomic_load(&stress_errors), 0);
	assert_int_equal(atomic_load(&stress_left), 0);
	assert_true(atomic_load(&stress_handled) > 0);
	assert_int_equal(tps__registry_count(), before);
}

/*
 * fork() inside a section-only section: the child goes on inside it, its
 * grace periods see it, and it leaves the child's registry when it ends.
 */
static void *fork_gp_rcu(void *arg)
{
	(void)arg;
	tps_synchronize_rcu();
	atomic_store(&gp_done, true);
	return NULL;
}

static void *fork_section_thread(void *arg)
{
	pid_t pid;
	int status = -1;

	(void)arg;
	fail_callocs = 1 << 30;
	tps_rcu_read_lock_trace();
	tps_rcu_read_lock();
	pid = fork();
	if (pid == 0) {
		pthread_t gp;
		int failed = 0;

		alarm(10);
		fail_callocs = 0;
		/* This thread's record is the child's whole registry, and it is inside. */
		if (tps__registry_count() != 1)
			failed = 10;
		atomic_store(&gp_done, false);
		if (pthread_create(&gp, NULL, fork_gp_rcu, NULL) != 0)
			_exit(11);
		unit_sleep_ms(UNIT_GRACE_MS);
		if (!failed && atomic_load(&gp_done))
			failed = 12;
		fail_callocs = 1 << 30;
		tps_rcu_read_unlock();
		if (pthread_join(gp, NULL) != 0 || !atomic_load(&gp_done))
			_exit(13);
		tps_rcu_read_unlock_trace();
		fail_callocs = 0;
		if (!failed && tps_thread_registered())
			failed = 14;
		if (!failed && tps__registry_count() != 0)
			failed = 15;
		tps_synchronize_rcu();
		tps_synchronize_rcu_tasks_trace();
		_exit(failed);
	}
	tps_rcu_read_unlock();
	tps_rcu_read_unlock_trace();
	fail_callocs = 0;
	if (pid > 0)
		waitpid(pid, &status, 0);
	return (void *)(long)status;
}

static void test_fork_in_section(void **state)
{
	pthread_t t;
	void *res;
	unsigned long before = tps__registry_count();

	(void)state;
	t = unit_thread_start(fork_section_thread, NULL);
	assert_int_equal(pthread_join(t, &res), 0);
	/* The child's exit status: 0, or which of its checks failed. */
	assert_int_equal(WIFEXITED((int)(long)res) ? WEXITSTATUS((int)(long)res) : -1, 0);
	assert_int_equal(tps__registry_count(), before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_registration_without_exit_destructor),
	        cmocka_unit_test(test_section_registration_in_busy_registry),
	        cmocka_unit_test(test_overlapping_sections_of_both_flavours),
	        cmocka_unit_test(test_section_readers_against_updaters),
	        cmocka_unit_test(test_fork_in_section),
	};
	pthread_key_t keys[PROGRAM_KEYS];
	int i;

	if (UNIT_TSAN) {
		fprintf(stderr, "test_registry_nomem: skipped under ThreadSanitizer (no calloc "
		                "interposition)\n");
		return UNIT_SKIP_STATUS;
	}
	for (i = 0; i < PROGRAM_KEYS; i++)
		if (pthread_key_create(&keys[i], NULL) != 0)
			return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
