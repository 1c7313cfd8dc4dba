/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/test_registry_exit.c - readers that run after a thread's exit
 * destructor.
 *
 * A registered thread exits; a key destructor of the program, whose key
 * comes after the registry's (so it runs after the registry's destructor in
 * each round), sets its key again in every round until the last one the C
 * library gives (PTHREAD_DESTRUCTOR_ITERATIONS), and runs classic and
 * tasks-trace readers in each round, and in a fault handler in the last
 * one. No destructor round is left after the last: a reader that registered
 * the thread for good there would leave its record, which lives in the
 * thread's TLS, in the registry after the thread is gone. The next thread
 * that gets the same memory would then corrupt the list, and the grace
 * periods that walk it would loop or wait forever.
 *
 * The readers must work (be seen by grace periods) and leave the registry
 * as they found it; an explicit registration there fails with -ESRCH.
 */
#include "unit.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <tpsync/rcu.h>
#include <tpsync/rcu_trace.h>

/* The library's test hook: records in the registry. */
unsigned long tps__registry_count(void);

/* Threads that exit through the destructor rounds, one after the other. */
#define EXITING_THREADS 4
/* Seconds a child may take: its grace periods loop forever on a corrupt list. */
#define STUCK_S 10

static pthread_key_t late_key;
static void *protected_page;
static __thread int rounds;

static atomic_int last_rounds;      /* rounds the last exiting thread saw */
static atomic_int faults_served;    /* fault handlers run (one per exiting thread) */
static atomic_long errors_inside;   /* a reader did not see itself inside */
static atomic_long errors_register; /* tps_register_thread() in the last round did not fail */
static atomic_long errors_left;     /* the thread was still registered after its readers */

/* Classic and tasks-trace readers, nested and alone. */
static void readers(void)
{
	tps_rcu_read_lock();
	tps_rcu_read_lock_trace();
	tps_rcu_read_lock();
	if (!tps_rcu_read_ongoing() || !tps_rcu_read_lock_trace_held() || !tps_thread_registered())
		atomic_fetch_add(&errors_inside, 1);
	tps_rcu_read_unlock();
	tps_rcu_read_unlock_trace();
	tps_rcu_read_unlock();
	tps_rcu_read_lock_trace();
	if (!tps_rcu_read_lock_trace_held())
		atomic_fetch_add(&errors_inside, 1);
	tps_rcu_read_unlock_trace();
}

static void fault_handler(int sig, siginfo_t *info, void *ctx)
{
	(void)sig;
	(void)ctx;
	if ((char *)info->si_addr < (char *)protected_page ||
	    (char *)info->si_addr >= (char *)protected_page + getpagesize())
		abort();
	mprotect(protected_page, (size_t)getpagesize(), PROT_READ | PROT_WRITE);
	readers();
	atomic_fetch_add(&faults_served, 1);
}

static void late_destructor(void *arg)
{
	rounds++;
	readers();
	if (rounds < PTHREAD_DESTRUCTOR_ITERATIONS) {
		pthread_setspecific(late_key, arg); /* once more in the next round */
	} else {
		/* The last round: no destructor runs after this one. */
		*(volatile int *)protected_page = 1;
		if (tps_register_thread() != -ESRCH)
			atomic_fetch_add(&errors_register, 1);
		atomic_store(&last_rounds, rounds);
	}
	if (tps_thread_registered())
		atomic_fetch_add(&errors_left, 1);
}

static void *exiting_thread(void *arg)
{
	(void)arg;
	readers(); /* registers for good */
	pthread_setspecific(late_key, protected_page);
	return NULL;
}

/* Grace periods of both flavours walk the registry while the threads exit. */
static atomic_bool gp_stop;
static atomic_long gps;

static void *gp_thread(void *arg)
{
	(void)arg;
	while (!atomic_load(&gp_stop)) {
		tps_synchronize_rcu();
		tps_synchronize_rcu_tasks_trace();
		atomic_fetch_add(&gps, 1);
	}
	return NULL;
}

/* A thread that may get an exited thread's memory, and with it its record. */
static void *next_thread(void *arg)
{
	(void)arg;
	readers();
	tps_synchronize_rcu();
	tps_synchronize_rcu_tasks_trace();
	return NULL;
}

static void last_round_child(void *arg)
{
	struct sigaction sa = {.sa_sigaction = fault_handler, .sa_flags = SA_SIGINFO};
	pthread_t t, gp;
	int i;

	(void)arg;
	alarm(STUCK_S);
	sigemptyset(&sa.sa_mask);
	child_check(sigaction(SIGSEGV, &sa, NULL) == 0);
	/* The registry's key first: its destructor runs before ours in each round. */
	child_check(tps_register_thread() == 0);
	child_check(pthread_key_create(&late_key, late_destructor) == 0);
	protected_page =
	        mmap(NULL, (size_t)getpagesize(), PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	child_check(protected_page != MAP_FAILED);
	child_check(pthread_create(&gp, NULL, gp_thread, NULL) == 0);
	for (i = 0; i < EXITING_THREADS; i++) {
		child_check(mprotect(protected_page, (size_t)getpagesize(), PROT_READ) == 0);
		child_check(pthread_create(&t, NULL, exiting_thread, NULL) == 0);
		child_check(pthread_join(t, NULL) == 0);
		child_check(atomic_load(&last_rounds) == PTHREAD_DESTRUCTOR_ITERATIONS);
		atomic_store(&last_rounds, 0);
	}
	atomic_store(&gp_stop, true);
	child_check(pthread_join(gp, NULL) == 0);
	child_check(atomic_load(&faults_served) == EXITING_THREADS);
	child_check(atomic_load(&errors_inside) == 0);
	child_check(atomic_load(&errors_register) == 0);
	child_check(atomic_load(&errors_left) == 0);
	/* Only this thread is left in the registry. */
	child_check(tps__registry_count() == 1);
	for (i = 0; i < EXITING_THREADS; i++) {
		child_check(pthread_create(&t, NULL, next_thread, NULL) == 0);
		child_check(pthread_join(t, NULL) == 0);
	}
	tps_synchronize_rcu();
	tps_synchronize_rcu_tasks_trace();
	child_check(tps__registry_count() == 1);
}

static void test_readers_in_last_destructor_round(void **state)
{
	struct unit_child child;

	(void)state;
	/*
	 * ThreadSanitizer finishes a thread in a destructor of the last round
	 * (it sets its key again until then): a mutex taken after that crashes
	 * its runtime.
	 */
	if (UNIT_TSAN)
		skip();
	unit_run_child(last_round_child, NULL, &child);
	unit_expect_success(&child);
}

/*
 * Readers registered for one section are seen by grace periods: a thread
 * whose exit began stays inside a classic and a tasks-trace reader (in its
 * last destructor round) while grace periods of both flavours are asked for;
 * neither ends before the reader does.
 */
static pthread_key_t holding_key;
static atomic_int holding;     /* 1: inside the classic reader; 2: inside the trace reader */
static atomic_int holder_step; /* the step the main thread allows */

static void wait_step(atomic_int *v, int step)
{
	while (atomic_load(v) < step)
		unit_sleep_ms(1);
}

static void holding_destructor(void *arg)
{
	(void)arg;
	tps_rcu_read_lock();
	atomic_store(&holding, 1);
	wait_step(&holder_step, 1);
	tps_rcu_read_unlock();
	tps_rcu_read_lock_trace();
	atomic_store(&holding, 2);
	wait_step(&holder_step, 2);
	tps_rcu_read_unlock_trace();
}

static void *holding_thread(void *arg)
{
	(void)arg;
	child_check(tps_register_thread() == 0);
	pthread_setspecific(holding_key, &holding);
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

static void waits_for(void *(*gp_fn)(void *), int step)
{
	pthread_t gp;

	atomic_store(&gp_done, false);
	child_check(pthread_create(&gp, NULL, gp_fn, NULL) == 0);
	unit_sleep_ms(UNIT_GRACE_MS);
	child_check(!atomic_load(&gp_done));
	atomic_store(&holder_step, step);
	child_check(pthread_join(gp, NULL) == 0);
	child_check(atomic_load(&gp_done));
}

static void holder_child(void *arg)
{
	pthread_t t;

	(void)arg;
	alarm(STUCK_S);
	child_check(tps_register_thread() == 0);
	child_check(pthread_key_create(&holding_key, holding_destructor) == 0);
	child_check(pthread_create(&t, NULL, holding_thread, NULL) == 0);
	wait_step(&holding, 1);
	waits_for(rcu_gp_once, 1);
	wait_step(&holding, 2);
	waits_for(trace_gp_once, 2);
	child_check(pthread_join(t, NULL) == 0);
	child_check(tps__registry_count() == 1);
}

static void test_section_readers_hold_grace_periods(void **state)
{
	struct unit_child child;

	(void)state;
	unit_run_child(holder_child, NULL, &child);
	unit_expect_success(&child);
}

/*
 * A known limit (run as `test_registry_exit unregistered`, a ctest listed as
 * disabled): a thread that never registered takes its first reader in a
 * signal handler during its last destructor round. Its exit destructor was
 * never armed, so nothing tells the registry that the thread's exit began:
 * the reader registers it for good, and its record outlives it.
 */
static pthread_key_t raise_key;
static atomic_int handled;

static void reader_handler(int sig)
{
	(void)sig;
	readers();
	atomic_fetch_add(&handled, 1);
}

static void raising_destructor(void *arg)
{
	rounds++;
	if (rounds < PTHREAD_DESTRUCTOR_ITERATIONS) {
		pthread_setspecific(raise_key, arg);
		return;
	}
	raise(SIGUSR1);
	atomic_store(&last_rounds, rounds);
}

static void *unregistered_thread(void *arg)
{
	(void)arg;
	pthread_setspecific(raise_key, &raise_key);
	return NULL;
}

static void unregistered_child(void *arg)
{
	struct sigaction sa = {.sa_handler = reader_handler};
	pthread_t t;

	(void)arg;
	alarm(STUCK_S);
	sigemptyset(&sa.sa_mask);
	child_check(sigaction(SIGUSR1, &sa, NULL) == 0);
	child_check(tps_register_thread() == 0);
	child_check(pthread_key_create(&raise_key, raising_destructor) == 0);
	child_check(pthread_create(&t, NULL, unregistered_thread, NULL) == 0);
	child_check(pthread_join(t, NULL) == 0);
	child_check(atomic_load(&last_rounds) == PTHREAD_DESTRUCTOR_ITERATIONS);
	child_check(atomic_load(&handled) == 1);
	child_check(atomic_load(&errors_inside) == 0);
	child_check(tps__registry_count() == 1);
	child_check(pthread_create(&t, NULL, next_thread, NULL) == 0);
	child_check(pthread_join(t, NULL) == 0);
	tps_synchronize_rcu_tasks_trace();
}

static void test_first_reader_in_handler_after_last_round(void **state)
{
	struct unit_child child;

	(void)state;
	unit_run_child(unregistered_child, NULL, &child);
	unit_expect_success(&child);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_readers_in_last_destructor_round),
	        cmocka_unit_test(test_section_readers_hold_grace_periods),
	};
	const struct CMUnitTest limit[] = {
	        cmocka_unit_test(test_first_reader_in_handler_after_last_round),
	};

	if (argc > 1 && strcmp(argv[1], "unregistered") == 0)
		return cmocka_run_group_tests(limit, NULL, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
