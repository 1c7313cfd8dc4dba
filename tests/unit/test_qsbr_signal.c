/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/test_qsbr_signal.c - QSBR readers in signal handlers that
 * interrupt a thread at every step of its QSBR life: registration, quiescent
 * states, going offline and online, reading, waiting for a grace period
 * itself, unregistration and exit while registered.
 *
 * The SIGUSR1 handler reads directly when tps_rcu_is_watching() (after the
 * full fence its documentation asks for), and otherwise does the RCU-idle
 * dance: online, read if that made the thread watch, offline. As in a small
 * torture test, the updater marks each object it unpublished once a grace
 * period has passed: a handler that sees a marked object saw a grace period
 * end while it still read.
 */
#include "unit.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <tpsync/rcu_qsbr.h>

/* Objects recycled by the updater: one live, the others retired. */
#define POOL 4
/* Threads whose lives the signals interrupt, one after the other per slot. */
#define SLOTS 2
/* Steps in one life of a slot thread. */
#define LIFE_STEPS 1024
/* The run ends when this many handlers of each kind ran and this many grace periods passed... */
#define MIN_HANDLED 2000
#define MIN_UPDATES 300
/* ... or after this long, which is a failure only when nothing was checked. */
#define MAX_RUN_MS 4000
/* Times a handler reads the object it holds, to span an updater's grace period. */
#define HANDLER_READS 64

struct sig_obj {
	_Atomic int retired; /* set once a grace period passed after the unpublish */
};

static struct sig_obj pool[POOL];
static struct sig_obj *sig_current;

static atomic_bool stop;
static _Atomic pid_t slot_tid[SLOTS];
static atomic_long errors_retired;  /* saw a retired object */
static atomic_long errors_watching; /* the handler left the thread in another state */
static atomic_long handled_direct, handled_dance, handled_skipped;
static atomic_long updates, lives;

static void check_obj(struct sig_obj *o)
{
	if (atomic_load_explicit(&o->retired, memory_order_relaxed))
		atomic_fetch_add(&errors_retired, 1);
}

static void read_for_a_while(void)
{
	struct sig_obj *o = tps_rcu_dereference(sig_current);
	int i;

	for (i = 0; i < HANDLER_READS; i++) {
		check_obj(o);
		tps_cpu_relax();
	}
	check_obj(o);
}

static void on_sigusr1(int sig)
{
	int saved_errno = errno;

	(void)sig;
	if (tps_rcu_is_watching()) {
		/* It may have interrupted going online between the store and the fence. */
		tps_smp_mb();
		tps_qsbr_read_lock();
		read_for_a_while();
		tps_qsbr_read_unlock();
		if (!tps_rcu_is_watching())
			atomic_fetch_add(&errors_watching, 1);
		atomic_fetch_add(&handled_direct, 1);
	} else {
		tps_qsbr_thread_online();
		if (tps_rcu_is_watching()) {
			tps_qsbr_read_lock();
			read_for_a_while();
			tps_qsbr_read_unlock();
			tps_qsbr_thread_offline();
			if (tps_rcu_is_watching())
				atomic_fetch_add(&errors_watching, 1);
			atomic_fetch_add(&handled_dance, 1);
		} else {
			atomic_fetch_add(&handled_skipped, 1);
		}
	}
	errno = saved_errno;
}

static uint64_t next_rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* One life: register, a random walk of QSBR steps, then unregister or exit registered. */
static void *life_main(void *arg)
{
	uint64_t rng = (uint64_t)(uintptr_t)arg * 0x9e3779b97f4a7c15ull + 1;
	int slot = (int)((uintptr_t)arg % SLOTS);
	int i;

	atomic_store(&slot_tid[slot], unit_gettid());
	if (tps_qsbr_register_thread() != 0)
		atomic_fetch_add(&errors_watching, 1);
	for (i = 0; i < LIFE_STEPS; i++) {
		uint64_t r = next_rnd(&rng);

		switch (r % 8) {
		case 0:
			tps_qsbr_thread_offline();
			tps_qsbr_thread_online();
			break;
		case 1:
			tps_qsbr_thread_offline();
			break;
		case 2:
			tps_qsbr_thread_online();
			break;
		case 3:
			if (r & 0x100)
				tps_synchronize_qsbr();
			break;
		case 4:
			if (tps_rcu_is_watching()) {
				tps_qsbr_read_lock();
				read_for_a_while();
				tps_qsbr_read_unlock();
			}
			break;
		default:
			tps_qsbr_quiescent_state();
			break;
		}
	}
	/* Every other life unregisters and lingers a little; the others exit registered. */
	if (next_rnd(&rng) & 1) {
		tps_qsbr_thread_online();
		tps_qsbr_unregister_thread();
		for (i = 0; i < 1000; i++)
			tps_cpu_relax();
	}
	return NULL;
}

static void *slot_main(void *arg)
{
	uintptr_t slot = (uintptr_t)arg;
	uintptr_t n;

	for (n = 0; !atomic_load(&stop); n++) {
		pthread_t t = unit_thread_start(life_main, (void *)(slot + SLOTS * (n + 1)));

		unit_thread_join(t);
		atomic_fetch_add(&lives, 1);
	}
	return NULL;
}

static void *signaller_main(void *arg)
{
	struct timespec pause = {0, 5000};
	pid_t pid = getpid();
	int i;

	(void)arg;
	while (!atomic_load(&stop)) {
		for (i = 0; i < SLOTS; i++) {
			pid_t tid = atomic_load(&slot_tid[i]);

			/* An exited thread: ESRCH; a reused id is one of ours, and handles it too.
			 */
			if (tid)
				syscall(SYS_tgkill, pid, tid, SIGUSR1);
		}
		nanosleep(&pause, NULL);
	}
	return NULL;
}

static void *updater_main(void *arg)
{
	unsigned int k = 1;

	(void)arg;
	while (!atomic_load(&stop)) {
		struct sig_obj *next = &pool[k++ % POOL];
		struct sig_obj *old;

		atomic_store_explicit(&next->retired, 0, memory_order_relaxed);
		old = tps_rcu_xchg_pointer(&sig_current, next);
		tps_synchronize_qsbr();
		atomic_store_explicit(&old->retired, 1, memory_order_relaxed);
		atomic_fetch_add(&updates, 1);
	}
	return NULL;
}

static void test_handlers_at_every_step(void **state)
{
	struct sigaction sa = {.sa_handler = on_sigusr1, .sa_flags = SA_RESTART}, old;
	pthread_t slots[SLOTS], signaller, updater;
	int i, ms;

	(void)state;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);
	tps_rcu_assign_pointer(sig_current, &pool[0]);
	atomic_store(&stop, false);
	updater = unit_thread_start(updater_main, NULL);
	for (i = 0; i < SLOTS; i++)
		slots[i] = unit_thread_start(slot_main, (void *)(uintptr_t)i);
	signaller = unit_thread_start(signaller_main, NULL);
	for (ms = 0; ms < MAX_RUN_MS; ms += 10) {
		if (atomic_load(&handled_direct) >= MIN_HANDLED &&
		    atomic_load(&handled_dance) >= MIN_HANDLED &&
		    atomic_load(&updates) >= MIN_UPDATES)
			break;
		unit_sleep_ms(10);
	}
	atomic_store(&stop, true);
	unit_thread_join(signaller);
	for (i = 0; i < SLOTS; i++)
		unit_thread_join(slots[i]);
	unit_thread_join(updater);
	assert_int_equal(sigaction(SIGUSR1, &old, NULL), 0);
	fprintf(stderr,
	        "handlers: %ld direct, %ld dance, %ld skipped; %ld grace periods, %ld lives\n",
	        atomic_load(&handled_direct), atomic_load(&handled_dance),
	        atomic_load(&handled_skipped), atomic_load(&updates), atomic_load(&lives));
	assert_int_equal(atomic_load(&errors_retired), 0);
	assert_int_equal(atomic_load(&errors_watching), 0);
	assert_true(atomic_load(&handled_direct) > 0);
	assert_true(atomic_load(&handled_dance) > 0);
	assert_true(atomic_load(&updates) > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_handlers_at_every_step),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
