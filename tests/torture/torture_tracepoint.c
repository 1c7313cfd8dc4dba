/* SPDX-License-Identifier: MIT */
/*
 * tests/torture/torture_tracepoint.c - torture test of tracepoint teardown.
 *
 * Firing threads hit a normal and a faultable tracepoint nonstop. A control
 * thread registers and unregisters probes whose data it allocates, and
 * after unregistering frees the data either after
 * tps_tracepoint_synchronize_unregister() or through the deferred free
 * tps_tracepoint_call_rcu(). Freed data is poisoned first and kept in a
 * quarantine for a while, so that a probe still running on it sees the
 * poison: that probe outlived its teardown, and the run fails. Normal probes
 * spin inside; faultable probes sleep and read a file, so a broken classic
 * grace period (-DTPSYNC_BROKEN_GP=rcu) or tasks-trace grace period
 * (-DTPSYNC_BROKEN_GP=trace) is caught.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <tpsync/tracepoint.h>

#include "torture.h"

TPS_TRACEPOINT_DECLARE(tt_normal, TPS_PROTO(unsigned int seed), TPS_ARGS(seed));
TPS_TRACEPOINT_DECLARE_FAULTABLE(tt_fault, TPS_PROTO(unsigned int seed), TPS_ARGS(seed));
TPS_TRACEPOINT_DEFINE(tt_normal);
TPS_TRACEPOINT_DEFINE(tt_fault);

#define LIVE 0x11fe11feu
#define POISON 0xdeadbeefu
#define FIRERS 3
/* Probes attached at once per tracepoint, at most. */
#define MAX_ATTACHED 6
/* Poisoned data stays readable this many frees before it is really freed. */
#define QUARANTINE 512
#define DEFAULT_SECONDS 8

struct pdata {
	_Atomic unsigned int magic;
	_Atomic long hits;
	struct tps_rcu_head head;
	bool faultable;
};

static atomic_bool stop;
static _Atomic long errors, poison_seen, fires, probe_runs;
static _Atomic long freed_sync, freed_deferred, registrations;

static pthread_mutex_t quarantine_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pdata *quarantine[QUARANTINE];
static unsigned int quarantine_next;

/* Poisons d and quarantines it, freeing the oldest quarantined data. */
static void retire(struct pdata *d)
{
	struct pdata *old;

	atomic_store(&d->magic, POISON);
	atomic_store(&d->hits, -1);
	pthread_mutex_lock(&quarantine_lock);
	old = quarantine[quarantine_next];
	quarantine[quarantine_next] = d;
	quarantine_next = (quarantine_next + 1) % QUARANTINE;
	pthread_mutex_unlock(&quarantine_lock);
	free(old);
}

static void check(struct pdata *d, const char *where)
{
	if (atomic_load(&d->magic) != LIVE) {
		if (atomic_fetch_add(&poison_seen, 1) < 5)
			fprintf(stderr, "torture_tracepoint: %s probe ran on freed data\n", where);
		atomic_fetch_add(&errors, 1);
	}
}

static void spin(unsigned int n)
{
	volatile unsigned int i;

	for (i = 0; i < n; i++)
		;
}

static void normal_probe(void *data, unsigned int seed)
{
	struct pdata *d = data;

	check(d, "normal");
	atomic_fetch_add(&d->hits, 1);
	/* Stay inside a while (classic probes must not block). */
	spin(seed % 16 == 0 ? 20000 : 200);
	check(d, "normal");
	atomic_fetch_add(&probe_runs, 1);
}

static void fault_probe(void *data, unsigned int seed)
{
	struct pdata *d = data;
	char buf[256];
	int fd;

	check(d, "faultable");
	if (seed % 4 == 0) {
		struct timespec ts = {0, 200000 + (long)(seed % 8) * 100000};

		nanosleep(&ts, NULL);
	}
	fd = open("/proc/self/stat", O_RDONLY);
	if (fd >= 0) {
		ssize_t n = read(fd, buf, sizeof(buf)); /* blocks, faults buf in */

		(void)n;
		close(fd);
	}
	check(d, "faultable");
	atomic_fetch_add(&probe_runs, 1);
}

static void *firer(void *arg)
{
	unsigned int seed = (unsigned int)(long)arg * 7919u + 1;

	tps_register_thread();
	while (!atomic_load(&stop)) {
		seed = seed * 1103515245u + 12345u;
		tps_trace_tt_normal(seed >> 8);
		if (seed % 2)
			tps_trace_tt_fault(seed >> 8);
		atomic_fetch_add(&fires, 1);
	}
	return NULL;
}

static void deferred_retire(struct tps_rcu_head *head)
{
	retire(tps_container_of(head, struct pdata, head));
	atomic_fetch_add(&freed_deferred, 1);
}

struct attached {
	struct pdata *d[MAX_ATTACHED];
	unsigned int n;
};

static int attach(struct tps_tracepoint *tp, struct attached *a, unsigned int seed)
{
	struct pdata *d = calloc(1, sizeof(*d));
	bool faultable = tps_tracepoint_is_faultable(tp);
	void (*fn)(void) = faultable ? (void (*)(void))fault_probe : (void (*)(void))normal_probe;
	int err;

	if (!d)
		return -1;
	atomic_init(&d->magic, LIVE);
	d->faultable = faultable;
	err = tps_tracepoint_probe_register(tp, fn, d, (int)(seed % 3) * 10,
	                                    faultable ? TPS_PROBE_MAY_FAULT : 0);
	if (err) {
		fprintf(stderr, "torture_tracepoint: register failed: %d\n", err);
		free(d);
		return -1;
	}
	a->d[a->n++] = d;
	atomic_fetch_add(&registrations, 1);
	return 0;
}

/* Detaches a random probe; frees its data now (after synchronize) or deferred. */
static int detach(struct tps_tracepoint *tp, struct attached *a, unsigned int seed)
{
	unsigned int i = seed % a->n;
	struct pdata *d = a->d[i];
	void (*fn)(void) =
	        d->faultable ? (void (*)(void))fault_probe : (void (*)(void))normal_probe;

	a->d[i] = a->d[--a->n];
	if (tps_tracepoint_probe_unregister(tp, fn, d) != 0) {
		fprintf(stderr, "torture_tracepoint: unregister failed\n");
		return -1;
	}
	if (seed % 2) {
		tps_tracepoint_synchronize_unregister();
		retire(d);
		atomic_fetch_add(&freed_sync, 1);
	} else {
		tps_tracepoint_call_rcu(tp, &d->head, deferred_retire);
	}
	return 0;
}

static int control_step(struct tps_tracepoint *tp, struct attached *a, unsigned int seed)
{
	if (a->n == 0 || (a->n < MAX_ATTACHED && seed % 3 != 0))
		return attach(tp, a, seed);
	return detach(tp, a, seed);
}

static int detach_all(struct tps_tracepoint *tp, struct attached *a)
{
	while (a->n) {
		if (detach(tp, a, 1) != 0)
			return -1;
	}
	return 0;
}

static unsigned int run_seconds(void)
{
	const char *s = getenv("TPSYNC_TORTURE_SECONDS");
	int v = s ? atoi(s) : 0;

	return v > 0 ? (unsigned int)v : DEFAULT_SECONDS;
}

static void drain_quarantine(void)
{
	unsigned int i;

	for (i = 0; i < QUARANTINE; i++) {
		free(quarantine[i]);
		quarantine[i] = NULL;
	}
}

int main(void)
{
	struct attached normal = {.n = 0}, fault = {.n = 0};
	pthread_t t[FIRERS];
	time_t end = time(NULL) + run_seconds();
	unsigned int seed = 12345, i;
	int failed = 0;

	for (i = 0; i < FIRERS; i++) {
		if (pthread_create(&t[i], NULL, firer, (void *)(long)i) != 0)
			return TORTURE_EXIT_SETUP;
	}
	while (time(NULL) < end && !failed) {
		seed = seed * 1103515245u + 12345u;
		failed |= control_step(&tps__tp_tt_normal, &normal, seed >> 4) != 0;
		failed |= control_step(&tps__tp_tt_fault, &fault, seed >> 7) != 0;
	}
	failed |= detach_all(&tps__tp_tt_normal, &normal) != 0;
	failed |= detach_all(&tps__tp_tt_fault, &fault) != 0;
	atomic_store(&stop, true);
	for (i = 0; i < FIRERS; i++)
		pthread_join(t[i], NULL);
	tps_rcu_barrier();
	tps_rcu_barrier_tasks_trace();
	drain_quarantine();

	printf("torture_tracepoint: %ld fires, %ld probe runs, %ld registrations, "
	       "%ld freed after synchronize_unregister, %ld deferred; %ld probes on freed data\n",
	       atomic_load(&fires), atomic_load(&probe_runs), atomic_load(&registrations),
	       atomic_load(&freed_sync), atomic_load(&freed_deferred), atomic_load(&poison_seen));
	/* A run that exercised nothing proves nothing: it fails too. */
	if (!atomic_load(&probe_runs) || !atomic_load(&freed_sync) ||
	    !atomic_load(&freed_deferred)) {
		printf("torture_tracepoint: no probe ran, or no data was freed both ways\n");
		failed = 1;
	}
	if (failed || atomic_load(&errors)) {
		printf("torture_tracepoint: FAIL\n");
		return TORTURE_EXIT_FAIL;
	}
	printf("torture_tracepoint: PASS\n");
	return TORTURE_EXIT_PASS;
}
