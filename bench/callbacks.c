/* SPDX-License-Identifier: MIT */
/*
 * callbacks.c - `tpsync-bench callbacks`: what queueing callbacks costs, and
 * whether a flood of them stays bounded.
 *
 * Each row is a flavour with a call hook (readside_impls[]: tps-rcu,
 * urcu-memb's call_rcu, ...), a number of producer threads and a load
 * ("scenario"):
 *   flat    every producer queues callbacks as fast as it can;
 *   bursty  every producer queues BURST_CALLS callbacks every BURST_PERIOD_NS
 *           (the queueing included), then sleeps until the next period;
 *   flood   flat, with FLOOD_PRODUCERS_PER_CPU x CPUs + 2 producers: more
 *           than the CPUs, so the worker gets no CPU of its own;
 *   flat-malloc  flat, with objects from malloc() (below).
 * A callback owns a small object, which it gives back, and records its
 * latency from the call to the moment it runs. The object comes from its
 * producer's pool: a lock-free stack per producer onto which callbacks push
 * the objects they are done with, and which the producer takes whole when
 * its own list runs out (it allocates only when both are empty). In
 * flat-malloc, the callback frees the object and the producer allocates
 * each one: the worker then frees into the producers' malloc arenas, whose
 * locks the producers hold while they allocate, and glibc's arenas, not
 * the flavour, set the figures (measured: the worker blocked on an arena
 * lock about 2,000 times a second, and the throughput of one build varied
 * from 4.8 to 9.2 million callbacks/s between runs).
 * A run lasts run_ns, then the
 * flavour's barrier; a sampler thread reads the callbacks in flight (queued,
 * not yet run) and the resident set every millisecond. Rows are interleaved:
 * each repetition runs every flavour in a rotating order.
 *
 * JSON ("bench":"callbacks"): scenario, threads (producers), unit
 * callbacks/s with median/min/max of the runs' throughput (callbacks from
 * the first call to the barrier's return, per second); p50 and p99 of the
 * latency (medians over the runs), p99_worst and p50_worst (the run with the
 * highest p99), peak_in_flight and rss_growth_kb (the highest of the runs;
 * the resident set above its level at the start of the run), capped (a run
 * stopped queueing at MAX_IN_FLIGHT: a flavour that lets a flood grow
 * without bound would otherwise exhaust memory).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "readside.h"

#define BURST_CALLS 5000
#define BURST_PERIOD_NS 5000000ULL
#define FLOOD_PRODUCERS_PER_CPU 2
/* Safety cap on callbacks in flight (about 150 bytes each with malloc's header). */
#define MAX_IN_FLIGHT 3000000L
/* Latency samples kept per run; callbacks beyond are run but not sampled. */
#define MAX_SAMPLES (4u << 20)
#define SAMPLE_PERIOD_NS 1000000ULL

static const char *const scenarios[] = {"flat", "bursty", "flood", "flat-malloc"};
#define NSCENARIOS (sizeof(scenarios) / sizeof(scenarios[0]))

struct producer;

/* A callback in flight: the bench's record, then bytes it holds until it runs. */
struct flood_cb {
	struct readside_cb rc;  /* first: the callback gets &rc */
	struct producer *owner; /* whose pool it returns to; NULL: from malloc() */
	struct flood_cb *link;  /* in a pool */
	char payload[64];
};

/*
 * The harness's own shared state, laid out so that it adds no cache-line
 * traffic of its own between the threads it measures: the producers' stop
 * flag, which they read at every call, is on its own line; what the
 * callbacks write (they run on the flavour's worker) on another; each
 * producer counts its calls on its own line (struct producer), and reads
 * the callbacks' count only once every CAP_CHECK calls. A counter shared
 * by every producer would cost each call an atomic read-modify-write on a
 * line the other producers write too, as much as the queueing being
 * measured, and would hide the flavours' differences.
 */
static struct {
	_Alignas(64) atomic_bool stop;
} run;
/* Written by the callbacks only. */
static struct {
	_Alignas(64) atomic_long completed;
	atomic_uint nsamples;
	float *samples;
} cbs;

/* A producer compares the callbacks in flight with MAX_IN_FLIGHT once every this many calls. */
#define CAP_CHECK 64

struct producer {
	/* Its calls so far; written by its thread only, read by everyone. */
	_Alignas(64) atomic_long queued;
	const struct readside_impl *impl;
	bool bursty;
	bool pool;              /* objects from the pool (else from malloc()) */
	struct flood_cb *spare; /* its own part of the pool */
	pthread_t thread;
	/* The rest of the pool: objects whose callbacks ran, pushed by them. */
	_Alignas(64) _Atomic(struct flood_cb *) returned;
};

static void cb_done(struct readside_cb *rc)
{
	struct flood_cb *c = (struct flood_cb *)(void *)rc;
	struct producer *owner = c->owner;
	unsigned int i;

	i = atomic_fetch_add_explicit(&cbs.nsamples, 1, memory_order_relaxed);
	if (i < MAX_SAMPLES)
		cbs.samples[i] = (float)(bench_now_ns() - rc->queued_ns);
	atomic_fetch_add_explicit(&cbs.completed, 1, memory_order_relaxed);
	if (!owner) {
		free(c);
		return;
	}
	c->link = atomic_load_explicit(&owner->returned, memory_order_relaxed);
	/*
	 * Release: our reads of c, and the link, before the producer reuses it
	 * (its acquire exchange in new_object()). Nothing touches c after.
	 */
	while (!atomic_compare_exchange_weak_explicit(&owner->returned, &c->link, c,
	                                              memory_order_release, memory_order_relaxed))
		;
}

/* An object for p's next call: from its pool, or allocated. NULL when memory runs out. */
static struct flood_cb *new_object(struct producer *p)
{
	struct flood_cb *c;

	if (!p->pool) {
		c = malloc(sizeof(*c));
		if (c)
			c->owner = NULL;
		return c;
	}
	if (!p->spare)
		p->spare = atomic_exchange_explicit(&p->returned, NULL, memory_order_acquire);
	c = p->spare;
	if (c)
		p->spare = c->link;
	else if (!(c = malloc(sizeof(*c))))
		return NULL;
	c->owner = p;
	return c;
}

/* After the run: every object is back in a pool (the barrier has returned). */
static void free_pool(struct producer *p)
{
	struct flood_cb *c = p->spare, *next;

	for (int k = 0; k < 2; k++) {
		for (; c; c = next) {
			next = c->link;
			free(c);
		}
		c = atomic_exchange_explicit(&p->returned, NULL, memory_order_acquire);
	}
	p->spare = NULL;
}

/* The producers of the current run. */
static struct producer *producers_now;
static unsigned int nproducers_now;

/* Callbacks queued and not yet run (a sample: the counts move). */
static long in_flight(void)
{
	/* The callbacks' count first: the calls read after it then include those it counts. */
	long n = -atomic_load_explicit(&cbs.completed, memory_order_relaxed);

	for (unsigned int i = 0; i < nproducers_now; i++)
		n += atomic_load_explicit(&producers_now[i].queued, memory_order_relaxed);
	return n;
}

static bool queue_one(struct producer *p)
{
	long mine = atomic_load_explicit(&p->queued, memory_order_relaxed);
	struct flood_cb *c;

	if (mine % CAP_CHECK == 0 && in_flight() >= MAX_IN_FLIGHT)
		return false;
	c = new_object(p);
	if (!c)
		return false;
	memset(c->payload, 1, sizeof(c->payload));
	c->rc.done = cb_done;
	/* Counted before the call, so that in_flight() does not miss it. */
	atomic_store_explicit(&p->queued, mine + 1, memory_order_relaxed);
	c->rc.queued_ns = bench_now_ns();
	p->impl->call(&c->rc);
	return true;
}

static atomic_bool capped;

static void *produce(void *arg)
{
	struct producer *p = arg;
	uint64_t next = bench_now_ns();

	if (p->impl->setup)
		p->impl->setup();
	while (!atomic_load_explicit(&run.stop, memory_order_relaxed)) {
		if (!p->bursty) {
			if (!queue_one(p)) {
				atomic_store(&capped, true);
				bench_sleep_ns(100000);
			}
			continue;
		}
		for (int i = 0; i < BURST_CALLS; i++)
			if (!queue_one(p))
				atomic_store(&capped, true);
		next += BURST_PERIOD_NS;
		{
			uint64_t now = bench_now_ns();

			if (now < next)
				bench_sleep_ns(next - now);
		}
	}
	if (p->impl->teardown)
		p->impl->teardown();
	return NULL;
}

static long rss_kb(void)
{
	long pages = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f)
		return 0;
	if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
		resident = 0;
	fclose(f);
	return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

struct run_result {
	double throughput;
	double p50, p99;
	long peak_in_flight;
	long rss_growth_kb;
	bool capped;
};

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return (x > y) - (x < y);
}

static double percentile(const float *v, size_t n, double q)
{
	size_t k = (size_t)(q * (double)n);

	if (n == 0)
		return 0;
	if (k >= n)
		k = n - 1;
	return v[k];
}

static void one_run(const struct readside_impl *impl, unsigned int producers, bool bursty,
                    bool pool, uint64_t run_ns, struct run_result *out)
{
	struct producer *p = bench_aligned_calloc(64, producers, sizeof(*p));
	long base_rss, peak_rss = 0, peak_flight = 0;
	uint64_t t0, t1;
	size_t n;

	producers_now = p;
	nproducers_now = producers;
	atomic_store(&cbs.completed, 0);
	atomic_store(&cbs.nsamples, 0);
	atomic_store(&run.stop, false);
	atomic_store(&capped, false);
	base_rss = rss_kb();
	t0 = bench_now_ns();
	for (unsigned int i = 0; i < producers; i++) {
		p[i].impl = impl;
		p[i].bursty = bursty;
		p[i].pool = pool;
		if (pthread_create(&p[i].thread, NULL, produce, &p[i]) != 0) {
			fprintf(stderr, "tpsync-bench: callbacks: cannot start a producer\n");
			exit(1);
		}
	}
	while (bench_now_ns() - t0 < run_ns) {
		long flight = in_flight();
		long rss = rss_kb() - base_rss;

		if (flight > peak_flight)
			peak_flight = flight;
		if (rss > peak_rss)
			peak_rss = rss;
		bench_sleep_ns(SAMPLE_PERIOD_NS);
	}
	atomic_store(&run.stop, true);
	for (unsigned int i = 0; i < producers; i++)
		pthread_join(p[i].thread, NULL);
	impl->barrier();
	t1 = bench_now_ns();
	for (unsigned int i = 0; i < producers; i++)
		free_pool(&p[i]);
	n = atomic_load(&cbs.nsamples);
	if (n > MAX_SAMPLES)
		n = MAX_SAMPLES;
	qsort(cbs.samples, n, sizeof(*cbs.samples), cmp_float);
	out->throughput = (double)atomic_load(&cbs.completed) * 1e9 / (double)(t1 - t0);
	out->p50 = percentile(cbs.samples, n, 0.50);
	out->p99 = percentile(cbs.samples, n, 0.99);
	out->peak_in_flight = peak_flight;
	out->rss_growth_kb = peak_rss;
	out->capped = atomic_load(&capped);
	free(p);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median_d(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

/* The rows this subcommand can measure: flavours with a call hook. */
static bool has_call(const struct readside_impl *impl)
{
	return impl->call && impl->barrier;
}

bool bench_callbacks_knows_impl(const char *name)
{
	for (size_t i = 0; i < readside_nimpls; i++)
		if (has_call(readside_impls[i]) && strcmp(readside_impls[i]->name, name) == 0)
			return true;
	return false;
}

void bench_callbacks_print_impls(FILE *f)
{
	for (size_t i = 0; i < readside_nimpls; i++)
		if (has_call(readside_impls[i]))
			fprintf(f, " %s", readside_impls[i]->name);
}

/* Without --impl: tpsync's classic flavour against liburcu's call_rcu. */
static bool default_impl(const char *name)
{
	return strcmp(name, "tps-rcu") == 0 || strcmp(name, "urcu-memb") == 0;
}

int bench_callbacks(const struct bench_opts *o)
{
	const struct readside_impl *impls[64];
	unsigned int runs = bench_runs(o, 3, 5), nimpl = 0;
	uint64_t run_ns = o->mode == BENCH_FULL ? 1000000000ULL : 300000000ULL;
	unsigned int cpus = bench_cpu_count();
	unsigned int counts[] = {1, 2};

	for (size_t i = 0; i < readside_nimpls && nimpl < 64; i++) {
		const struct readside_impl *impl = readside_impls[i];

		if (!has_call(impl))
			continue;
		if (o->nimpls ? !bench_impl_selected(o, impl->name) : !default_impl(impl->name))
			continue;
		if (impl->init && impl->init() != 0) {
			fprintf(stderr, "tpsync-bench: callbacks: %s unavailable, skipped\n",
			        impl->name);
			continue;
		}
		impls[nimpl++] = impl;
	}
	cbs.samples = bench_calloc(MAX_SAMPLES, sizeof(*cbs.samples));
	printf("\ncallbacks: %.0f ms per run, %u runs; bursty: %d callbacks every %.0f ms per "
	       "producer; flood: %u producers\n",
	       run_ns / 1e6, runs, BURST_CALLS, BURST_PERIOD_NS / 1e6,
	       FLOOD_PRODUCERS_PER_CPU * cpus + 2);
	printf("%-11s %-12s %4s %12s %10s %10s %10s %12s %10s\n", "load", "impl", "prod", "cb/s",
	       "p50 us", "p99 us", "p99 worst", "peak flight", "RSS+ KiB");
	for (size_t s = 0; s < NSCENARIOS; s++) {
		bool flood = strcmp(scenarios[s], "flood") == 0;
		bool bursty = strcmp(scenarios[s], "bursty") == 0;
		bool pool = strcmp(scenarios[s], "flat-malloc") != 0;

		for (size_t c = 0; c < (flood ? 1 : sizeof(counts) / sizeof(counts[0])); c++) {
			unsigned int producers =
			        flood ? FLOOD_PRODUCERS_PER_CPU * cpus + 2 : counts[c];
			struct run_result *res = bench_calloc((size_t)nimpl * runs, sizeof(*res));

			for (unsigned int rep = 0; rep < runs; rep++) {
				for (unsigned int k = 0; k < nimpl; k++) {
					unsigned int i = (rep + k) % nimpl;

					bench_progress("callbacks %s %u: %s run %u/%u",
					               scenarios[s], producers, impls[i]->name,
					               rep + 1, runs);
					one_run(impls[i], producers, bursty, pool, run_ns,
					        &res[i * runs + rep]);
				}
			}
			bench_progress_done();
			for (unsigned int i = 0; i < nimpl; i++) {
				struct run_result *r = &res[i * runs];
				double *tp = bench_calloc(runs, sizeof(double));
				double *p50 = bench_calloc(runs, sizeof(double));
				double *p99 = bench_calloc(runs, sizeof(double));
				unsigned int worst = 0;
				long peak = 0, rss = 0;
				bool cap = false;
				struct bench_stats st;
				struct bench_json j;

				for (unsigned int k = 0; k < runs; k++) {
					tp[k] = r[k].throughput;
					p50[k] = r[k].p50;
					p99[k] = r[k].p99;
					if (r[k].p99 > r[worst].p99)
						worst = k;
					if (r[k].peak_in_flight > peak)
						peak = r[k].peak_in_flight;
					if (r[k].rss_growth_kb > rss)
						rss = r[k].rss_growth_kb;
					cap |= r[k].capped;
				}
				bench_stats_compute(tp, runs, &st);
				printf("%-11s %-12s %4u %12.0f %10.1f %10.1f %10.1f %12ld "
				       "%10ld%s\n",
				       scenarios[s], impls[i]->name, producers, st.median,
				       median_d(p50, runs) / 1e3, median_d(p99, runs) / 1e3,
				       r[worst].p99 / 1e3, peak, rss, cap ? " (capped)" : "");
				bench_json_row(&j, o->json, "callbacks", impls[i]->name, producers,
				               "callbacks/s", &st, runs);
				bench_json_str(&j, "scenario", scenarios[s]);
				bench_json_str(&j, "objects", pool ? "pool" : "malloc");
				bench_json_num(&j, "p50", median_d(p50, runs));
				bench_json_num(&j, "p99", median_d(p99, runs));
				bench_json_num(&j, "p99_worst", r[worst].p99);
				bench_json_num(&j, "p50_worst", r[worst].p50);
				bench_json_uint(&j, "peak_in_flight", (unsigned long)peak);
				bench_json_uint(&j, "rss_growth_kb", (unsigned long)rss);
				bench_json_bool(&j, "capped", cap);
				bench_json_uint(&j, "run_ns", run_ns);
				bench_json_end(&j);
				free(tp);
				free(p50);
				free(p99);
			}
			free(res);
		}
	}
	free(cbs.samples);
	return 0;
}
