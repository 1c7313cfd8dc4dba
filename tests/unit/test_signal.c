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
 */
#include "unit.h"

#include <errno.h>
#include <signal.h>
#include <unistd.h>

#include <tpsync/rcu.h>

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

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_first_reader_in_handler),
	        cmocka_unit_test(test_read_ongoing_in_handler),
	        cmocka_unit_test(test_readers_in_signal_handlers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
