/* SPDX-License-Identifier: MIT */
/*
 * gp.c - `tpsync-bench gp`: what an update costs.
 *
 * Grace-period latency ("bench":"gp"): the time one synchronize call takes,
 * per flavour (the rows of readside_impls[] that have a hold hook), in three
 * scenarios:
 *   none    no reader threads;
 *   busy    one reader thread per CPU (pinned), running short critical
 *           sections back to back;
 *   holder  one reader thread that holds a 1 ms critical section, again and
 *           again: sleeping where the flavour's readers may block (SRCU,
 *           tasks-trace), spinning otherwise. A call starts just after the
 *           holder entered its next section (the previous call returned
 *           when it left one), so it waits for a whole section: its latency
 *           is the section's length (a sleeping holder oversleeps by the
 *           timer slack) plus the flavour's wake-up.
 * The readers run the flavour being measured. Flavours are interleaved:
 * each repetition runs a batch of synchronize calls (about batch_ns long,
 * once every reader has moved to the flavour) of every flavour, in a
 * rotating order. Every call
 * is a sample; the rows give p50, p90, p99 and max over all samples.
 *
 * Registered idle threads ("bench":"gp", "scenario":"registered"): the
 * same latency with N threads (field `registered`: 1, 16, 64, 256, 1,024)
 * registered with every measured flavour and asleep outside any reader, for
 * the flavours whose grace periods walk a registry of threads (tps-rcu,
 * tps-trace, urcu-memb; tps-srcu, which keeps no registry, for comparison).
 * The cost is the walk over the registered threads, which grows with N.
 *
 * Callbacks ("bench":"call"): a repetition queues callbacks as fast as it
 * can for CALL_QUEUE_NS (at most CALL_MAX of them), then waits with the
 * flavour's barrier. Throughput is
 * callbacks per second from the first call to the barrier's return; the
 * latency of a callback is from its call to the moment it runs.
 *
 * Sharing ("bench":"gp-sharing"): SHARING_THREADS threads call synchronize
 * in a loop for one batch; the flavour's polled cookies, which advance by
 * cookie_step per grace period, count the grace periods that ran. The figure is grace
 * periods per call: 1 means no sharing, 1/SHARING_THREADS full sharing.
 * Two scenarios (`scenario`): none, no readers, where a grace period is
 * shorter than the time between two calls and callers seldom overlap; and
 * holder, the holder reader above, where every grace period lasts about a
 * millisecond and the callers that arrive during one can all be served by
 * the next: sharing shows where it matters.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "readside.h"

#define QUICK_RUNS 15
#define FULL_RUNS 31
/*
 * Batch lengths, within 1-10 ms: a grace period with no readers takes
 * nanoseconds to microseconds (2 ms, 5 ms with --full, hold thousands of
 * them); with a 1 ms holder, a batch of 10 ms holds about nine.
 */
#define NONE_BATCH_NS 2000000ULL
#define NONE_FULL_BATCH_NS 5000000ULL
#define READERS_BATCH_NS 10000000ULL
/*
 * A holder batch also ends after this many samples, the number of 1 ms
 * sections in a batch: a holder preempted between two sections (or still
 * moving to the flavour) lets grace periods through in nanoseconds, and in
 * a batch bounded by time alone those would be thousands of samples.
 */
#define HOLDER_BATCH_SAMPLES 10
/* The held critical section of the holder scenario. */
#define HOLD_NS 1000000ULL
/* Critical sections a busy reader runs between two looks at what to run. */
#define BUSY_BURST 64
/*
 * A repetition of the call rows queues callbacks for 1 ms, then waits for
 * them: 1-2 ms in all where the flavour's callbacks run within a grace
 * period or two (liburcu's worker adds its own delay). At most CALL_MAX
 * callbacks (6 ms of queueing at 10 million a second).
 */
#define CALL_QUEUE_NS 1000000ULL
#define CALL_MAX 65536
#define SHARING_THREADS 4
/*
 * The registered axis: the numbers of idle registered threads, and their
 * stacks (they only wait: 64 KiB keeps 1,024 of them small).
 */
static const unsigned int registered_counts[] = {1, 16, 64, 256, 1024};
static const char *const registered_impls[] = {"tps-rcu", "tps-trace", "tps-srcu", "urcu-memb"};
#define IDLE_STACK_BYTES (64 * 1024)
#define SHARING_BATCH_NS 10000000ULL

enum scenario {
	SCENARIO_NONE,
	SCENARIO_BUSY,
	SCENARIO_HOLDER,
	NSCENARIOS,
};

static const char *const scenario_names[NSCENARIOS] = {"none", "busy", "holder"};

/* The flavours measured, for the threads that must set every one of them up. */
struct flavours {
	const struct readside_impl **v;
	size_t n;
	unsigned int runs;
	const struct bench_opts *o;
};

static void setup_all(const struct flavours *f)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->v[i]->setup)
			f->v[i]->setup();
}

static void teardown_all(const struct flavours *f)
{
	for (size_t i = f->n; i-- > 0;)
		if (f->v[i]->teardown)
			f->v[i]->teardown();
}

/* The RCU flavours: the rows with a hold hook. */
static bool is_flavour(const struct readside_impl *impl)
{
	return impl->hold != NULL;
}

bool bench_gp_knows_impl(const char *name)
{
	const struct readside_impl *impl = readside_find(name);

	return impl && is_flavour(impl);
}

void bench_gp_print_impls(FILE *f)
{
	for (size_t i = 0; i < readside_nimpls; i++)
		if (is_flavour(readside_impls[i]))
			fprintf(f, " %s", readside_impls[i]->name);
}

/* ---- Reader threads of the busy and holder scenarios ---- */

struct readers {
	const struct flavours *f;
	enum scenario kind;
	unsigned int n;
	pthread_t *tids;
	struct reader_arg *args;
	/* The flavour the readers run; the main thread switches it between batches. */
	const struct readside_impl *_Atomic current;
	_Atomic bool stop;
};

struct reader_arg {
	struct readers *r;
	unsigned int index;
	/* The flavour this reader runs now (it moves to `current` between sections). */
	const struct readside_impl *_Atomic running;
};

/*
 * Busy readers take one CPU each. The holder takes the last CPU and the
 * updater (the main thread, gp_scenario()) the first: otherwise the updater,
 * woken by the holder's unlock, may be placed on the holder's CPU and
 * preempt it between two critical sections, and grace periods then find no
 * reader to wait for.
 */
static void place_reader(const struct readers *r, unsigned int index)
{
	unsigned int ncpu = bench_cpu_count();
	unsigned int cpu = r->kind == SCENARIO_HOLDER ? ncpu - 1 : index;

	if (r->n <= ncpu && bench_pin_thread(cpu) != 0)
		fprintf(stderr, "tpsync-bench: gp: cannot pin reader %u\n", index);
}

static void *reader(void *arg)
{
	struct reader_arg *ra = arg;
	struct readers *r = ra->r;

	place_reader(r, ra->index);
	setup_all(r->f);
	while (!atomic_load_explicit(&r->stop, memory_order_relaxed)) {
		const struct readside_impl *impl = atomic_load(&r->current);

		atomic_store(&ra->running, impl);
		if (r->kind == SCENARIO_BUSY)
			impl->loop(BUSY_BURST);
		else
			impl->hold(HOLD_NS);
	}
	teardown_all(r->f);
	return NULL;
}

static void readers_start(struct readers *r)
{
	r->n = r->kind == SCENARIO_BUSY ? bench_cpu_count() : r->kind == SCENARIO_HOLDER ? 1 : 0;
	r->tids = bench_calloc(r->n, sizeof(*r->tids));
	r->args = bench_calloc(r->n, sizeof(*r->args));
	atomic_store(&r->current, r->f->v[0]);
	for (unsigned int i = 0; i < r->n; i++) {
		r->args[i] = (struct reader_arg){.r = r, .index = i};
		if (pthread_create(&r->tids[i], NULL, reader, &r->args[i]) != 0) {
			fprintf(stderr, "tpsync-bench: gp: cannot start a reader\n");
			exit(1);
		}
	}
}

static void readers_stop(struct readers *r)
{
	atomic_store(&r->stop, true);
	for (unsigned int i = 0; i < r->n; i++)
		pthread_join(r->tids[i], NULL);
	free(r->tids);
	free(r->args);
}

/* ---- Grace-period latency ---- */

/*
 * Make impl the flavour the readers run, and wait until each of them has
 * moved to it (a holder finishes its current section first: up to HOLD_NS).
 */
static void readers_switch(struct readers *r, const struct readside_impl *impl)
{
	atomic_store(&r->current, impl);
	for (unsigned int i = 0; i < r->n; i++)
		while (atomic_load(&r->args[i].running) != impl)
			sched_yield();
}

/* One batch of synchronize calls of impl, each a sample. */
static void gp_batch(struct readers *r, const struct readside_impl *impl, uint64_t batch_ns,
                     struct bench_samples *out)
{
	uint64_t start, t0, t1;
	unsigned int samples = 0;

	readers_switch(r, impl);
	start = bench_now_ns();
	do {
		t0 = bench_now_ns();
		impl->synchronize();
		t1 = bench_now_ns();
		if (out)
			bench_samples_add(out, (double)(t1 - t0));
		samples++;
	} while (t1 - start < batch_ns &&
	         (r->kind != SCENARIO_HOLDER || samples < HOLDER_BATCH_SAMPLES));
}

static void gp_report(const struct flavours *f, enum scenario kind, unsigned int nreaders,
                      struct bench_samples *samples)
{
	for (size_t i = 0; i < f->n; i++) {
		struct bench_latency l;
		struct bench_json j;

		bench_latency_compute(samples[i].v, samples[i].n, &l);
		printf("%-16s %-7s %7u  %10.0f %10.0f %10.0f %10.0f %7zu\n", f->v[i]->name,
		       scenario_names[kind], nreaders, l.p50, l.p90, l.p99, l.max, l.samples);
		bench_json_latency(&j, f->o->json, "gp", f->v[i]->name, nreaders, &l, f->runs);
		bench_json_str(&j, "scenario", scenario_names[kind]);
		if (kind == SCENARIO_HOLDER)
			bench_json_str(&j, "holder",
			               f->v[i]->reader_may_block ? "sleeping" : "spinning");
		bench_json_end(&j);
	}
	fflush(stdout);
}

static void gp_scenario(const struct flavours *f, enum scenario kind)
{
	struct readers r = {.f = f, .kind = kind};
	struct bench_samples *samples = bench_calloc(f->n, sizeof(*samples));
	uint64_t batch_ns = kind == SCENARIO_NONE ? NONE_BATCH_NS : READERS_BATCH_NS;
	bool pin_updater = kind == SCENARIO_HOLDER && bench_cpu_count() > 1;

	if (f->o->mode == BENCH_FULL && kind == SCENARIO_NONE)
		batch_ns = NONE_FULL_BATCH_NS;
	if (pin_updater && bench_pin_thread(0) != 0)
		fprintf(stderr, "tpsync-bench: gp: cannot pin the updater\n");
	readers_start(&r);
	for (size_t i = 0; i < f->n; i++) {
		bench_progress("gp %s: warming up %s", scenario_names[kind], f->v[i]->name);
		gp_batch(&r, f->v[i], batch_ns, NULL);
	}
	for (unsigned int rep = 0; rep < f->runs; rep++) {
		bench_progress("gp %s: run %u/%u", scenario_names[kind], rep + 1, f->runs);
		for (size_t k = 0; k < f->n; k++) {
			size_t i = (rep + k) % f->n;

			gp_batch(&r, f->v[i], batch_ns, &samples[i]);
		}
	}
	readers_stop(&r);
	if (pin_updater)
		bench_unpin_thread();
	bench_progress_done();
	gp_report(f, kind, r.n, samples);
	for (size_t i = 0; i < f->n; i++)
		bench_samples_free(&samples[i]);
	free(samples);
}

/* ---- Registered idle threads ---- */

struct idle_threads {
	const struct flavours *f;
	pthread_barrier_t ready;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;
};

/* Registers with every flavour measured, then sleeps outside any reader until told. */
static void *idle_thread(void *arg)
{
	struct idle_threads *it = arg;

	setup_all(it->f);
	pthread_barrier_wait(&it->ready);
	pthread_mutex_lock(&it->lock);
	while (!it->stop)
		pthread_cond_wait(&it->wake, &it->lock);
	pthread_mutex_unlock(&it->lock);
	teardown_all(it->f);
	return NULL;
}

/* Starts n idle threads and waits until each has registered. */
static void idle_start(struct idle_threads *it, pthread_t *tids, unsigned int n)
{
	pthread_attr_t attr;

	pthread_barrier_init(&it->ready, NULL, n + 1);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, IDLE_STACK_BYTES);
	for (unsigned int i = 0; i < n; i++)
		if (pthread_create(&tids[i], &attr, idle_thread, it) != 0) {
			fprintf(stderr, "tpsync-bench: gp: cannot start idle thread %u of %u\n",
			        i + 1, n);
			exit(1);
		}
	pthread_attr_destroy(&attr);
	pthread_barrier_wait(&it->ready);
	pthread_barrier_destroy(&it->ready);
}

static void idle_stop(struct idle_threads *it, pthread_t *tids, unsigned int n)
{
	pthread_mutex_lock(&it->lock);
	it->stop = true;
	pthread_cond_broadcast(&it->wake);
	pthread_mutex_unlock(&it->lock);
	for (unsigned int i = 0; i < n; i++)
		pthread_join(tids[i], NULL);
}

static bool is_registered_impl(const struct readside_impl *impl)
{
	for (size_t i = 0; i < sizeof(registered_impls) / sizeof(registered_impls[0]); i++)
		if (strcmp(impl->name, registered_impls[i]) == 0)
			return true;
	return false;
}

/* Batches of synchronize calls, interleaved, for each count of idle threads. */
static void gp_registered(const struct flavours *all)
{
	const struct readside_impl *v[sizeof(registered_impls) / sizeof(registered_impls[0])];
	struct flavours f = {.v = v, .runs = all->runs, .o = all->o};
	uint64_t batch_ns = all->o->mode == BENCH_FULL ? NONE_FULL_BATCH_NS : NONE_BATCH_NS;
	struct readers none = {.f = &f, .kind = SCENARIO_NONE};

	for (size_t i = 0; i < all->n; i++)
		if (is_registered_impl(all->v[i]))
			v[f.n++] = all->v[i];
	if (!f.n)
		return;
	for (size_t c = 0; c < sizeof(registered_counts) / sizeof(registered_counts[0]); c++) {
		unsigned int n = registered_counts[c];
		struct idle_threads it = {.f = &f,
		                          .lock = PTHREAD_MUTEX_INITIALIZER,
		                          .wake = PTHREAD_COND_INITIALIZER};
		pthread_t *tids = bench_calloc(n, sizeof(*tids));
		struct bench_samples *samples = bench_calloc(f.n, sizeof(*samples));

		bench_progress("gp registered: starting %u idle threads", n);
		idle_start(&it, tids, n);
		for (size_t i = 0; i < f.n; i++)
			gp_batch(&none, f.v[i], batch_ns, NULL);
		for (unsigned int rep = 0; rep < f.runs; rep++) {
			bench_progress("gp registered %u: run %u/%u", n, rep + 1, f.runs);
			for (size_t k = 0; k < f.n; k++) {
				size_t i = (rep + k) % f.n;

				gp_batch(&none, f.v[i], batch_ns, &samples[i]);
			}
		}
		idle_stop(&it, tids, n);
		bench_progress_done();
		for (size_t i = 0; i < f.n; i++) {
			struct bench_latency l;
			struct bench_json j;

			bench_latency_compute(samples[i].v, samples[i].n, &l);
			printf("%-16s %-7s %7u  %10.0f %10.0f %10.0f %10.0f %7zu  (%u "
			       "registered)\n",
			       f.v[i]->name, "idle", 0, l.p50, l.p90, l.p99, l.max, l.samples, n);
			bench_json_latency(&j, f.o->json, "gp", f.v[i]->name, 0, &l, f.runs);
			bench_json_str(&j, "scenario", "registered");
			bench_json_uint(&j, "registered", n);
			bench_json_end(&j);
			bench_samples_free(&samples[i]);
		}
		fflush(stdout);
		free(samples);
		free(tids);
	}
}

/* ---- Callbacks ---- */

void readside_cb_done(struct readside_cb *cb)
{
	if (cb->done) {
		cb->done(cb);
		return;
	}
	*cb->latency_ns = (double)(bench_now_ns() - cb->queued_ns);
}

/* One repetition: callbacks for CALL_QUEUE_NS, then the barrier; callbacks per second. */
static double call_batch(const struct readside_impl *impl, struct readside_cb *cbs,
                         struct bench_samples *latency)
{
	double *lat = bench_calloc(CALL_MAX, sizeof(*lat));
	uint64_t t0 = bench_now_ns(), t1;
	unsigned int n = 0;

	do {
		cbs[n].latency_ns = &lat[n];
		cbs[n].queued_ns = bench_now_ns();
		impl->call(&cbs[n]);
		n++;
	} while (n < CALL_MAX && cbs[n - 1].queued_ns - t0 < CALL_QUEUE_NS);
	impl->barrier();
	t1 = bench_now_ns();
	for (unsigned int k = 0; k < n; k++)
		bench_samples_add(latency, lat[k]);
	free(lat);
	return n * 1e9 / (double)(t1 - t0);
}

static void call_report(const struct flavours *f, const struct readside_impl *impl,
                        double *throughput, struct bench_samples *latency)
{
	struct bench_stats st;
	struct bench_latency l;
	struct bench_json j;

	bench_stats_compute(throughput, f->runs, &st);
	bench_latency_compute(latency->v, latency->n, &l);
	printf("%-16s %12.0f %12.0f %12.0f  %10.0f %10.0f %10.0f\n", impl->name, st.median, st.min,
	       st.max, l.p50, l.p99, l.max);
	bench_json_row(&j, f->o->json, "call", impl->name, 1, "callbacks/s", &st, f->runs);
	bench_json_str(&j, "metric", "throughput");
	bench_json_uint(&j, "queue_ns", CALL_QUEUE_NS);
	bench_json_end(&j);
	bench_json_latency(&j, f->o->json, "call", impl->name, 1, &l, f->runs);
	bench_json_str(&j, "metric", "latency");
	bench_json_end(&j);
}

static void gp_calls(const struct flavours *f)
{
	struct readside_cb *cbs = bench_calloc(CALL_MAX, sizeof(*cbs));
	double *tput = bench_calloc(f->n * f->runs, sizeof(*tput));
	struct bench_samples *latency = bench_calloc(f->n, sizeof(*latency));

	printf("\ncall_*: callbacks queued for %.0f ms per run, then the barrier\n",
	       CALL_QUEUE_NS / 1e6);
	printf("%-16s %12s %12s %12s  %10s %10s %10s\n", "impl", "cb/s median", "min", "max",
	       "lat p50", "p99", "max");
	setup_all(f);
	for (unsigned int rep = 0; rep < f->runs; rep++) {
		bench_progress("gp call_*: run %u/%u", rep + 1, f->runs);
		for (size_t k = 0; k < f->n; k++) {
			size_t i = (rep + k) % f->n;

			if (f->v[i]->call)
				tput[i * f->runs + rep] = call_batch(f->v[i], cbs, &latency[i]);
		}
	}
	teardown_all(f);
	bench_progress_done();
	for (size_t i = 0; i < f->n; i++) {
		if (f->v[i]->call)
			call_report(f, f->v[i], &tput[i * f->runs], &latency[i]);
		bench_samples_free(&latency[i]);
	}
	fflush(stdout);
	free(cbs);
	free(tput);
	free(latency);
}

/* ---- Grace-period sharing ---- */

struct sharing {
	const struct flavours *f;
	const struct readside_impl *impl;
	pthread_barrier_t go;
	_Atomic bool stop;
	_Atomic unsigned long calls;
};

static void *synchronizer(void *arg)
{
	struct sharing *s = arg;
	unsigned long calls = 0;

	setup_all(s->f);
	pthread_barrier_wait(&s->go);
	while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
		s->impl->synchronize();
		calls++;
	}
	atomic_fetch_add(&s->calls, calls);
	teardown_all(s->f);
	return NULL;
}

/*
 * One batch of impl with SHARING_THREADS synchronizers: grace periods per
 * call. r: the holder's readers, or NULL for none.
 */
static double sharing_batch(const struct flavours *f, struct readers *r,
                            const struct readside_impl *impl)
{
	struct sharing s = {.f = f, .impl = impl};
	pthread_t tids[SHARING_THREADS];
	unsigned long c0, c1;

	if (r)
		readers_switch(r, impl);
	pthread_barrier_init(&s.go, NULL, SHARING_THREADS + 1);
	for (unsigned int i = 0; i < SHARING_THREADS; i++)
		if (pthread_create(&tids[i], NULL, synchronizer, &s) != 0) {
			fprintf(stderr, "tpsync-bench: gp: cannot start a synchronizer\n");
			exit(1);
		}
	/*
	 * The cookie of the first grace period to start from now on, taken
	 * before the synchronizers are let go: every call they count is
	 * covered.
	 */
	c0 = impl->get_state();
	pthread_barrier_wait(&s.go);
	bench_sleep_ns(SHARING_BATCH_NS);
	atomic_store(&s.stop, true);
	for (unsigned int i = 0; i < SHARING_THREADS; i++)
		pthread_join(tids[i], NULL);
	/* Nothing runs any more: the cookie of the next one. */
	c1 = impl->get_state();
	pthread_barrier_destroy(&s.go);
	return s.calls ? (double)(c1 - c0) / impl->cookie_step / (double)s.calls : 0;
}

static void gp_sharing(const struct flavours *f, enum scenario kind)
{
	double *v = bench_calloc(f->n * f->runs, sizeof(*v));
	struct readers r = {.f = f, .kind = kind};

	printf("\ngrace-period sharing, %s: %u threads calling synchronize; grace periods per "
	       "call\n",
	       kind == SCENARIO_HOLDER ? "one reader holding 1 ms sections" : "no readers",
	       SHARING_THREADS);
	printf("%-16s %9s %9s %9s\n", "impl", "median", "min", "max");
	if (kind == SCENARIO_HOLDER)
		readers_start(&r);
	for (unsigned int rep = 0; rep < f->runs; rep++) {
		bench_progress("gp sharing %s: run %u/%u", scenario_names[kind], rep + 1, f->runs);
		for (size_t k = 0; k < f->n; k++) {
			size_t i = (rep + k) % f->n;

			if (f->v[i]->get_state && f->v[i]->cookie_step)
				v[i * f->runs + rep] = sharing_batch(
				        f, kind == SCENARIO_HOLDER ? &r : NULL, f->v[i]);
		}
	}
	if (kind == SCENARIO_HOLDER)
		readers_stop(&r);
	bench_progress_done();
	for (size_t i = 0; i < f->n; i++) {
		struct bench_stats st;
		struct bench_json j;

		if (!f->v[i]->get_state || !f->v[i]->cookie_step)
			continue;
		bench_stats_compute(&v[i * f->runs], f->runs, &st);
		printf("%-16s %9.3f %9.3f %9.3f\n", f->v[i]->name, st.median, st.min, st.max);
		bench_json_row(&j, f->o->json, "gp-sharing", f->v[i]->name, SHARING_THREADS,
		               "gp/call", &st, f->runs);
		bench_json_str(&j, "scenario", scenario_names[kind]);
		bench_json_end(&j);
	}
	fflush(stdout);
	free(v);
}

int bench_gp(const struct bench_opts *o)
{
	struct flavours f = {.v = bench_calloc(readside_nimpls, sizeof(*f.v)),
	                     .runs = bench_runs(o, QUICK_RUNS, FULL_RUNS),
	                     .o = o};
	int status = 0;

	f.n = readside_select(o, "gp", is_flavour, f.v, &status);
	if (f.n) {
		printf("gp: grace-period latency in ns, over every synchronize call of %u runs\n",
		       f.runs);
		printf("%-16s %-7s %7s  %10s %10s %10s %10s %7s\n", "impl", "readers", "threads",
		       "p50", "p90", "p99", "max", "samples");
		for (int k = 0; k < NSCENARIOS; k++)
			gp_scenario(&f, k);
		gp_registered(&f);
		gp_calls(&f);
		gp_sharing(&f, SCENARIO_NONE);
		gp_sharing(&f, SCENARIO_HOLDER);
		putchar('\n');
		fflush(stdout);
	}
	free(f.v);
	return status;
}
