/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/test_signal.c - readers inside signal handlers.
 *
 * A SIGUSR1 handler runs a (nested) reader on registered threads that are
 * themselves in and out of readers, so that the handler's reader nests in
 * the interrupted one or stands alone, and interrupts lock and unlock half
 * way; one of the interrupted threads loops on synchronize. As in a small
 * torture test, the updater marks each object it unpublished once a grace
 * period has passed: a reader that sees a marked object saw a grace period
 * end too early. The handler also checks tps_rcu_read_ongoing() against what
 * the interrupted thread was doing, and that it leaves the nesting as it
 * found it.
 *
 * Thread exit: handlers that take classic and tasks-trace readers must work
 * (or not run) at every instant of an exiting thread's life, its
 * unregistration included, while grace periods of both flavours run.
 */
#include "unit.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <tpsync/rcu.h>
#include <tpsync/rcu_trace.h>

/* Objects recycled by the updater: one live, the others retired. */
#define POOL 4
#define READERS 2
/* Threads the signals go to: the readers and the updater. */
#define TARGETS (READERS + 1)
/* The run ends when every target ran this many handlers and this many grace periods passed. */
#define MIN_HANDLED_PER_TARGET 300
#define MIN_UPDATES 100
/* ... or when this many signals were sent, which is a failure. */
#define MAX_SIGNALS 1000000
/* Pause between two signals to one target, to let it do something else. */
#define SIGNAL_PAUSE_US 100

struct sig_obj {
	_Atomic int retired; /* set once a grace period passed after the unpublish */
};

static struct sig_obj pool[POOL];
static struct sig_obj *sig_current;

static atomic_bool stop;
static atomic_int ready;
static atomic_long errors_retired; /* saw a retired object */
static atomic_long errors_ongoing; /* tps_rcu_read_ongoing() wrong */
static atomic_long errors_nesting; /* the handler changed the interrupted nesting */
static atomic_long handled[TARGETS];
static atomic_long updates;

/* Set by the owning thread around its readers; read by its signal handler. */
static __thread volatile sig_atomic_t depth;
static __thread int target_index;

static void check_obj(struct sig_obj *o)
{
	if (atomic_load_explicit(&o->retired, memory_order_relaxed))
		atomic_fetch_add(&errors_retired, 1);
}

static void on_sigusr1(int sig)
{
	int saved_errno = errno;
	/* depth is set after the lock and cleared before the unlock: depth > 0 => inside. */
	int outer = depth;
	bool before = tps_rcu_read_ongoing();
	struct sig_obj *o;

	(void)sig;
	if (outer > 0 && !before)
		atomic_fetch_add(&errors_ongoing, 1);
	tps_rcu_read_lock();
	if (!tps_rcu_read_ongoing())
		atomic_fetch_add(&errors_ongoing, 1);
	o = tps_rcu_dereference(sig_current);
	check_obj(o);
	tps_rcu_read_lock();
	check_obj(tps_rcu_dereference(sig_current));
	tps_rcu_read_unlock();
	if (!tps_rcu_read_ongoing())
		atomic_fetch_add(&errors_ongoing, 1);
	check_obj(o);
	tps_rcu_read_unlock();
	if (tps_rcu_read_ongoing() != before)
		atomic_fetch_add(&errors_nesting, 1);
	atomic_fetch_add(&handled[target_index], 1);
	errno = saved_errno;
}

static void block_sigusr1(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static void *reader_main(void *arg)
{
	unsigned long iter;

	target_index = (int)(long)arg;
	tps_register_thread();
	atomic_fetch_add(&ready, 1);
	for (iter = 0; !atomic_load(&stop); iter++) {
		struct sig_obj *o;
		int spin;

		tps_rcu_read_lock();
		depth = 1;
		tps_barrier();
		o = tps_rcu_dereference(sig_current);
		check_obj(o);
		if (iter & 1) {
			tps_rcu_read_lock();
			depth = 2;
			tps_barrier();
			check_obj(tps_rcu_dereference(sig_current));
			for (spin = 0; spin < 50; spin++)
				tps_cpu_relax();
			check_obj(o);
			depth = 1;
			tps_barrier();
			tps_rcu_read_unlock();
		}
		check_obj(o);
		tps_barrier();
		depth = 0;
		tps_barrier();
		tps_rcu_read_unlock();
	}
	/* Signals pending now are discarded at exit, not run after the registry let go. */
	block_sigusr1();
	return NULL;
}

static void *updater_main(void *arg)
{
	unsigned long i;

	target_index = (int)(long)arg;
	tps_register_thread();
	atomic_fetch_add(&ready, 1);
	for (i = 1; !atomic_load(&stop); i++) {
		struct sig_obj *next = &pool[i % POOL], *old;

		atomic_store_explicit(&next->retired, 0, memory_order_relaxed);
		old = tps_rcu_xchg_pointer(&sig_current, next);
		tps_synchronize_rcu();
		atomic_store_explicit(&old->retired, 1, memory_order_relaxed);
		atomic_fetch_add(&updates, 1);
	}
	block_sigusr1();
	return NULL;
}

static bool enough(void)
{
	int i;

	for (i = 0; i < TARGETS; i++)
		if (atomic_load(&handled[i]) < MIN_HANDLED_PER_TARGET)
			return false;
	return atomic_load(&updates) >= MIN_UPDATES;
}

static void test_readers_in_signal_handlers(void **state)
{
	struct sigaction sa = {.sa_handler = on_sigusr1}, old_sa;
	pthread_t threads[TARGETS];
	long sent = 0;
	int i;

	(void)state;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGUSR1, &sa, &old_sa), 0);
	tps_rcu_assign_pointer(sig_current, &pool[0]);
	for (i = 0; i < READERS; i++)
		threads[i] = unit_thread_start(reader_main, (void *)(long)i);
	threads[READERS] = unit_thread_start(updater_main, (void *)(long)READERS);
	while (atomic_load(&ready) != TARGETS)
		unit_sleep_ms(1);

	while (!enough() && sent < MAX_SIGNALS) {
		for (i = 0; i < TARGETS; i++)
			assert_int_equal(pthread_kill(threads[i], SIGUSR1), 0);
		sent += TARGETS;
		usleep(SIGNAL_PAUSE_US);
	}
	atomic_store(&stop, true);
	for (i = 0; i < TARGETS; i++)
		unit_thread_join(threads[i]);
	assert_int_equal(sigaction(SIGUSR1, &old_sa, NULL), 0);

	assert_int_equal(atomic_load(&errors_retired), 0);
	assert_int_equal(atomic_load(&errors_ongoing), 0);
	assert_int_equal(atomic_load(&errors_nesting), 0);
	assert_true(enough());
}

/* ---- The same on the calling thread, deterministically. ---- */

static atomic_int handler_ongoing = -1;
static atomic_int handler_ongoing_inside = -1;

static void record_handler(int sig)
{
	(void)sig;
	atomic_store(&handler_ongoing, tps_rcu_read_ongoing());
	tps_rcu_read_lock();
	atomic_store(&handler_ongoing_inside, tps_rcu_read_ongoing());
	tps_rcu_read_unlock();
}

static void test_read_ongoing_in_handler(void **state)
{
	struct sigaction sa = {.sa_handler = record_handler}, old_sa;

	(void)state;
	/* Readers in handlers are async-signal-safe once the thread is registered. */
	assert_int_equal(tps_register_thread(), 0);
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGUSR1, &sa, &old_sa), 0);

	/* Outside a reader. */
	assert_int_equal(raise(SIGUSR1), 0);
	assert_int_equal(atomic_load(&handler_ongoing), 0);
	assert_int_equal(atomic_load(&handler_ongoing_inside), 1);
	assert_false(tps_rcu_read_ongoing());

	/* Inside a reader: the handler's reader nests; ours goes on after it. */
	tps_rcu_read_lock();
	assert_int_equal(raise(SIGUSR1), 0);
	assert_int_equal(atomic_load(&handler_ongoing), 1);
	assert_int_equal(atomic_load(&handler_ongoing_inside), 1);
	assert_true(tps_rcu_read_ongoing());
	tps_rcu_read_lock();
	assert_int_equal(raise(SIGUSR1), 0);
	tps_rcu_read_unlock();
	assert_true(tps_rcu_read_ongoing());
	tps_rcu_read_unlock();
	assert_false(tps_rcu_read_ongoing());
	/* Nothing left inside: a grace period does not wait. */
	tps_synchronize_rcu();

	assert_int_equal(sigaction(SIGUSR1, &old_sa, NULL), 0);
}

/*
 * tps_register_thread() is documented async-signal-safe, and the first
 * reader of a thread registers it: a first reader inside a handler must work
 * whatever the interrupted thread was doing, here an unregistered thread
 * looping on synchronize (which walks the registry) and unregistering. In a
 * child, so that a deadlock ends as a watchdog failure.
 */
/* Signals handled before the run ends; rounds after which it fails regardless. */
#define FIRST_READER_SIGNALS 10000
#define FIRST_READER_MAX_ROUNDS 100000000

static pthread_t first_reader_target;
static atomic_bool first_reader_stop;
static atomic_long first_reader_handled;

static void first_reader_handler(int sig)
{
	int saved_errno = errno;

	(void)sig;
	tps_rcu_read_lock();
	if (!tps_rcu_read_ongoing() || !tps_thread_registered())
		atomic_fetch_add(&errors_ongoing, 1);
	tps_rcu_read_unlock();
	atomic_fetch_add(&first_reader_handled, 1);
	errno = saved_errno;
}

static void *first_reader_signaller(void *arg)
{
	(void)arg;
	while (!atomic_load(&first_reader_stop)) {
		pthread_kill(first_reader_target, SIGUSR1);
		usleep(SIGNAL_PAUSE_US / 2);
	}
	return NULL;
}

static void first_reader_child(void *arg)
{
	struct sigaction sa = {.sa_handler = first_reader_handler};
	pthread_t signaller;
	long round;

	(void)arg;
	sigemptyset(&sa.sa_mask);
	child_check(sigaction(SIGUSR1, &sa, NULL) == 0);
	first_reader_target = pthread_self();
	child_check(pthread_create(&signaller, NULL, first_reader_signaller, NULL) == 0);
	for (round = 0; round < FIRST_READER_MAX_ROUNDS; round++) {
		if (atomic_load(&first_reader_handled) >= FIRST_READER_SIGNALS)
			break;
		tps_synchronize_rcu();
		child_check(tps_unregister_thread() == 0);
	}
	atomic_store(&first_reader_stop, true);
	child_check(pthread_join(signaller, NULL) == 0);
	child_check(atomic_load(&first_reader_handled) >= FIRST_READER_SIGNALS);
	child_check(atomic_load(&errors_ongoing) == 0);
}

static void test_first_reader_in_handler(void **state)
{
	struct unit_child child;

	(void)state;
	unit_run_child(first_reader_child, NULL, &child);
	unit_expect_success(&child);
}

/* ---- Signals while a thread exits. ---- */

static atomic_long exit_handled;

/* Classic and tasks-trace readers, nested, as a sampling profiler's handler might. */
static void exit_handler(int sig)
{
	int saved_errno = errno;

	(void)sig;
	tps_rcu_read_lock();
	tps_rcu_read_lock_trace();
	tps_rcu_read_lock();
	if (!tps_rcu_read_ongoing() || !tps_rcu_read_lock_trace_held())
		atomic_fetch_add(&errors_ongoing, 1);
	tps_rcu_read_unlock();
	tps_rcu_read_unlock_trace();
	tps_rcu_read_unlock();
	atomic_fetch_add(&exit_handled, 1);
	errno = saved_errno;
}

static void install_exit_handler(void)
{
	struct sigaction sa = {.sa_handler = exit_handler};

	sigemptyset(&sa.sa_mask);
	child_check(sigaction(SIGUSR1, &sa, NULL) == 0);
}

static atomic_long unregistering;

/* A thread that registers through both flavours' readers, then exits. */
static void *short_lived_reader(void *arg)
{
	_Atomic pid_t *tid = arg;

	tps_rcu_read_lock();
	tps_rcu_read_unlock();
	tps_rcu_read_lock_trace();
	tps_rcu_read_unlock_trace();
	if (tid) {
		long seen = atomic_load(&exit_handled);
		int spins;

		atomic_store(tid, unit_gettid());
		/* Take a signal or two while alive, then exit under fire. */
		for (spins = 0; spins < 2000 && atomic_load(&exit_handled) == seen; spins++)
			sched_yield();
		/*
		 * Every other thread leaves the registry itself first: handlers
		 * then register it again, during its exit too.
		 */
		if (atomic_fetch_add(&unregistering, 1) & 1)
			tps_unregister_thread();
	}
	return NULL;
}

/* Grace periods of both flavours, all the time. */
static atomic_bool exit_gp_stop;
static atomic_long exit_gps;

static void *exit_gp_thread(void *arg)
{
	(void)arg;
	while (!atomic_load(&exit_gp_stop)) {
		tps_synchronize_rcu();
		tps_synchronize_rcu_tasks_trace();
		atomic_fetch_add(&exit_gps, 1);
		sched_yield();
	}
	return NULL;
}

#if TPSYNC_DEBUG
/* The library's test hook: runs between the words' clearing and `registered`'s. */
void tps__registry_set_unregister_hook(void (*hook)(void));

static atomic_int hook_runs;

static void signal_self_hook(void)
{
	atomic_fetch_add(&hook_runs, 1);
	pthread_kill(pthread_self(), SIGUSR1);
}

/* Threads that exit; exit threads that unregister first; all hit in the window. */
#define WINDOW_THREADS 8

static void *unregister_then_exit(void *arg)
{
	(void)arg;
	short_lived_reader(NULL);
	child_check(tps_unregister_thread() == 0);
	/* The signal the hook sent ran after unregistration: it registered us again. */
	child_check(tps_thread_registered());
	return NULL;
}

static void unregistration_window_child(void *arg)
{
	pthread_t t, gp;
	int i;

	(void)arg;
	install_exit_handler();
	child_check(pthread_create(&gp, NULL, exit_gp_thread, NULL) == 0);
	tps__registry_set_unregister_hook(signal_self_hook);
	for (i = 0; i < WINDOW_THREADS; i++) {
		child_check(pthread_create(&t, NULL, short_lived_reader, NULL) == 0);
		child_check(pthread_join(t, NULL) == 0);
	}
	for (i = 0; i < WINDOW_THREADS; i++) {
		child_check(pthread_create(&t, NULL, unregister_then_exit, NULL) == 0);
		child_check(pthread_join(t, NULL) == 0);
	}
	tps__registry_set_unregister_hook(NULL);
	atomic_store(&exit_gp_stop, true);
	child_check(pthread_join(gp, NULL) == 0);
	/* Each exit and each explicit unregistration ran the hook at least once. */
	child_check(atomic_load(&hook_runs) >= 3 * WINDOW_THREADS);
	child_check(atomic_load(&errors_ongoing) == 0);
	tps_synchronize_rcu();
	tps_synchronize_rcu_tasks_trace();
}

/*
 * A handler that unregisters the thread runs as the thread's first reader
 * finishes registering it (a signal the registration hook sends, delivered
 * when the registration unblocks signals): the reader registers the thread
 * again and goes on, in both flavours.
 */
void tps__registry_set_register_hook(void (*hook)(void));

static atomic_long unregistered_in_handler;

static void unregister_handler(int sig)
{
	(void)sig;
	if (tps_unregister_thread() == 0)
		atomic_fetch_add(&unregistered_in_handler, 1);
}

static void signal_self_once_hook(void)
{
	tps__registry_set_register_hook(NULL);
	pthread_kill(pthread_self(), SIGUSR1);
}

static void unregistered_under_first_reader_child(void *arg)
{
	struct sigaction sa = {.sa_handler = unregister_handler};

	(void)arg;
	sigemptyset(&sa.sa_mask);
	child_check(sigaction(SIGUSR1, &sa, NULL) == 0);
	child_check(tps_unregister_thread() == 0);

	tps__registry_set_register_hook(signal_self_once_hook);
	tps_rcu_read_lock();
	child_check(atomic_load(&unregistered_in_handler) == 1);
	child_check(tps_rcu_read_ongoing() && tps_thread_registered());
	tps_rcu_read_unlock();
	child_check(tps_unregister_thread() == 0);

	tps__registry_set_register_hook(signal_self_once_hook);
	tps_rcu_read_lock_trace();
	child_check(atomic_load(&unregistered_in_handler) == 2);
	child_check(tps_rcu_read_lock_trace_held() && tps_thread_registered());
	tps_rcu_read_unlock_trace();

	tps_synchronize_rcu();
	tps_synchronize_rcu_tasks_trace();
}

/* A reader inside the unregistration itself (no handler can run there). */
static void reader_hook(void)
{
	tps_rcu_read_lock();
}

static void reader_in_unregistration_child(void *arg)
{
	(void)arg;
	tps_register_thread();
	tps__registry_set_unregister_hook(reader_hook);
	tps_unregister_thread();
}
#endif

static void test_unregistered_under_first_reader(void **state)
{
	(void)state;
#if TPSYNC_DEBUG
	struct unit_child child;

	unit_run_child(unregistered_under_first_reader_child, NULL, &child);
	unit_expect_success(&child);
	/* What a reader would find at the instant handlers must not see: a clean stop. */
	unit_expect_rule(reader_in_unregistration_child, NULL, "reader-registration", true);
#else
	skip();
#endif
}

/*
 * Deterministically: a signal raised inside the unregistration of an exiting
 * thread, between its words being cleared and its record being marked
 * unregistered (a debug-build hook). The handler must not run there: it
 * would find an unregistered word on a registered thread and loop through
 * registration until the stack overflowed. In a child, so that a crash or
 * a hang is a failed check.
 */
static void test_signal_in_unregistration(void **state)
{
	(void)state;
#if TPSYNC_DEBUG
	struct unit_child child;

	unit_run_child(unregistration_window_child, NULL, &child);
	unit_expect_success(&child);
#else
	skip();
#endif
}

/* Threads to run through exit under fire, and the time the run may take at most. */
#define STORM_THREADS 3000
#define STORM_MAX_MS 4000

static _Atomic pid_t storm_target;
static atomic_bool storm_stop;
static atomic_long storm_sent;

/* Fires at the thread that is exiting now, as fast as it can. */
static void *storm_signaller(void *arg)
{
	pid_t pid = getpid();

	(void)arg;
	while (!atomic_load(&storm_stop)) {
		pid_t tid = atomic_load(&storm_target);

		/* A thread already gone (ESRCH), or one that reused its id, is fine. */
		if (tid && syscall(SYS_tgkill, pid, tid, SIGUSR1) == 0)
			atomic_fetch_add(&storm_sent, 1);
		sched_yield();
	}
	return NULL;
}

static long elapsed_ms(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static void exit_storm_child(void *arg)
{
	pthread_t t, gp, signaller;
	struct timespec t0;
	_Atomic pid_t tid;
	int i;

	(void)arg;
	install_exit_handler();
	tps_register_thread();
	child_check(pthread_create(&gp, NULL, exit_gp_thread, NULL) == 0);
	child_check(pthread_create(&signaller, NULL, storm_signaller, NULL) == 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < STORM_THREADS && elapsed_ms(&t0) < STORM_MAX_MS; i++) {
		atomic_store(&tid, 0);
		child_check(pthread_create(&t, NULL, short_lived_reader, &tid) == 0);
		/* The thread is registered once it has published its id: fire from then on. */
		while (!atomic_load(&tid))
			sched_yield();
		atomic_store(&storm_target, atomic_load(&tid));
		child_check(pthread_join(t, NULL) == 0);
		atomic_store(&storm_target, 0);
	}
	atomic_store(&storm_stop, true);
	child_check(pthread_join(signaller, NULL) == 0);
	atomic_store(&exit_gp_stop, true);
	child_check(pthread_join(gp, NULL) == 0);
	printf("exit storm: %d threads, %ld signals sent, %ld handled, %ld grace periods\n", i,
	       atomic_load(&storm_sent), atomic_load(&exit_handled), atomic_load(&exit_gps));
	fflush(stdout);
	child_check(atomic_load(&errors_ongoing) == 0);
	child_check(atomic_load(&exit_gps) > 0);
	tps_synchronize_rcu();
	tps_synchronize_rcu_tasks_trace();
}

/*
 * Many threads exit while another thread fires signals at each one as it
 * goes, and grace periods of both flavours run: every instant of the exit
 * path gets its chance to be interrupted.
 */
static void test_signals_at_thread_exit(void **state)
{
	struct unit_child child;

	(void)state;
	unit_run_child(exit_storm_child, NULL, &child);
	unit_expect_success(&child);
}

/*
 * Synchronous signals keep working after the exit destructor: a program's
 * fault handler (a garbage collector's write barrier on a protected page,
 * say) serves a fault taken by a later destructor of the same thread.
 */
static void *protected_page;
static atomic_int faults_served;

static void unprotect_handler(int sig, siginfo_t *info, void *ctx)
{
	(void)sig;
	(void)ctx;
	if ((char *)info->si_addr < (char *)protected_page ||
	    (char *)info->si_addr >= (char *)protected_page + getpagesize())
		abort();
	mprotect(protected_page, (size_t)getpagesize(), PROT_READ | PROT_WRITE);
	atomic_fetch_add(&faults_served, 1);
}

static pthread_key_t late_key;

/* Runs after the registry's exit destructor (its key was created later). */
static void late_destructor(void *arg)
{
	*(volatile int *)arg = 1;
}

static void *reader_with_late_destructor(void *arg)
{
	(void)arg;
	tps_rcu_read_lock();
	tps_rcu_read_unlock();
	pthread_setspecific(late_key, protected_page);
	return NULL;
}

static void fault_after_exit_destructor_child(void *arg)
{
	struct sigaction sa = {.sa_sigaction = unprotect_handler, .sa_flags = SA_SIGINFO};
	pthread_t t;

	(void)arg;
	sigemptyset(&sa.sa_mask);
	child_check(sigaction(SIGSEGV, &sa, NULL) == 0);
	/* The registry's key exists before ours: its destructor runs first. */
	tps_register_thread();
	child_check(pthread_key_create(&late_key, late_destructor) == 0);
	protected_page =
	        mmap(NULL, (size_t)getpagesize(), PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	child_check(protected_page != MAP_FAILED);
	child_check(pthread_create(&t, NULL, reader_with_late_destructor, NULL) == 0);
	child_check(pthread_join(t, NULL) == 0);
	child_check(atomic_load(&faults_served) == 1);
	child_check(*(volatile int *)protected_page == 1);
}

static void test_fault_after_exit_destructor(void **state)
{
	struct unit_child child;

	(void)state;
	unit_run_child(fault_after_exit_destructor_child, NULL, &child);
	unit_expect_success(&child);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_signal_in_unregistration),
	        cmocka_unit_test(test_unregistered_under_first_reader),
	        cmocka_unit_test(test_signals_at_thread_exit),
	        cmocka_unit_test(test_fault_after_exit_destructor),
	        cmocka_unit_test(test_first_reader_in_handler),
	        cmocka_unit_test(test_read_ongoing_in_handler),
	        cmocka_unit_test(test_readers_in_signal_handlers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
