/* SPDX-License-Identifier: MIT */
/*
 * readside.c - `tpsync-bench readside`: ns per read-side lock/unlock pair
 * per thread, for each implementation of readside_impls[], each thread
 * count and each variant.
 *
 * Variants (the "variant" field of a JSON row; --variant selects):
 *   base      the loop of READSIDE_LOOP, in this process's fence mode;
 *   nested    a second critical section nested in the first (depth 2);
 *             the figure is still per outer pair;
 *   updater   while another thread calls the row's synchronize in a loop
 *             (rows without one are left out);
 *   fallback  the tpsync flavours with TPSYNC_FORCE_FALLBACK=1: seq_cst
 *             fences instead of membarrier, atomic increments instead of
 *             rseq. The library fixes its mode once per process, so this
 *             variant runs in a child process (this executable again, with
 *             the variable set and --variant fallback), whose rows are
 *             merged into our JSON lines;
 *   resolution  the benchmark's own resolution: RESOLUTION_COPIES copies of
 *             the one row whose base 1-thread median is nearest
 *             RESOLUTION_TARGET_NS, measured interleaved as if they were
 *             different rows ("copy": 0, 1, ...). The spread of their
 *             medians is the smallest difference a comparison can show.
 *
 * Method: loops.c. A repetition's figure is the mean over threads of each
 * thread's ns per pair; the output is the median, min and max of these
 * figures over the repetitions.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <tpsync/core.h>

#include "bench.h"
#include "readside.h"

/*
 * Timed repetitions per measurement: a repetition is cheap here, and more
 * of them steady the median on a shared machine.
 */
#define QUICK_RUNS 31
#define FULL_RUNS 61
/* Target length of a timed batch: long against the clock, short against the scheduler tick. */
#define QUICK_BATCH_NS 2000000.0
#define FULL_BATCH_NS 5000000.0
/* Room for the default thread counts: 1, the powers of two, the CPU count. */
#define MAX_DEFAULT_COUNTS 40
/* The implementations the ratio columns divide by. */
#define REF_URCU "urcu-memb"
#define REF_TPS "tps-rcu"
/* What the fallback child gets in its environment. */
#define FALLBACK_ENV "TPSYNC_FORCE_FALLBACK=1"
/* The resolution variant: how many copies of which row (the seeds ask about ~50 ns). */
#define RESOLUTION_COPIES 5
#define RESOLUTION_TARGET_NS 50.0

enum variant {
	VARIANT_BASE,
	VARIANT_NESTED,
	VARIANT_UPDATER,
	VARIANT_FALLBACK,
	VARIANT_RESOLUTION,
	NVARIANTS,
};

static const char *const variant_names[NVARIANTS] = {"base", "nested", "updater", "fallback",
                                                     "resolution"};

struct readside_run {
	const struct bench_opts *o;
	/* The selected rows whose init succeeded. */
	const struct readside_impl **impls;
	size_t n;
	const unsigned int *threads;
	unsigned int nthreads;
	unsigned int runs;
	double batch_ns;
	/* The row the resolution variant copies, chosen by the base variant. */
	const struct readside_impl *resolution_row;
	/*
	 * The default counts up to the CPU count, for the variants other than
	 * base (NULL when --threads chose the counts: all of them then).
	 */
	const unsigned int *fitting;
	unsigned int nfitting;
};

bool bench_readside_knows_impl(const char *name)
{
	return readside_find(name) != NULL;
}

void bench_readside_print_impls(FILE *f)
{
	for (size_t i = 0; i < readside_nimpls; i++)
		fprintf(f, " %s", readside_impls[i]->name);
}

const struct readside_impl *readside_find(const char *name)
{
	for (size_t i = 0; i < readside_nimpls; i++)
		if (strcmp(readside_impls[i]->name, name) == 0)
			return readside_impls[i];
	return NULL;
}

/*
 * Default thread counts, ascending: 1, 2, 4 and 8 whatever the CPU count
 * (more threads than CPUs shows what preempted readers cost), and every
 * CPU; --full adds the powers of two up to the CPU count. *nfitting is set
 * to how many of them are at most the CPU count (they come first).
 */
static unsigned int default_threads(enum bench_mode mode, unsigned int out[MAX_DEFAULT_COUNTS],
                                    unsigned int *nfitting)
{
	unsigned int ncpu = bench_cpu_count(), n = 0, top = 8;

	if (mode == BENCH_FULL && ncpu > top)
		top = ncpu;
	for (unsigned int t = 1; t <= top && n < MAX_DEFAULT_COUNTS - 1; t *= 2) {
		if (t > ncpu && (n == 0 || out[n - 1] < ncpu))
			out[n++] = ncpu;
		out[n++] = t;
	}
	if (out[n - 1] < ncpu)
		out[n++] = ncpu;
	*nfitting = 0;
	while (*nfitting < n && out[*nfitting] <= ncpu)
		(*nfitting)++;
	return n;
}

static int find_impl(const struct readside_impl *const *impls, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(impls[i]->name, name) == 0)
			return (int)i;
	return -1;
}

static void print_ratio(double num, int ref, const struct bench_stats *st)
{
	if (ref < 0 || st[ref].median <= 0)
		printf("  %10s", "-");
	else
		printf("  %10.2f", num / st[ref].median);
}

/*
 * One row of the table: the job of row i with thread count k; st holds
 * the stats of the rows with that thread count, the ratio columns' too.
 */
static void print_row(const struct loops_spec *s, const struct bench_stats *st, size_t k, size_t i,
                      enum variant v)
{
	int ref_urcu = find_impl(s->impls, s->n, REF_URCU);
	int ref_tps = find_impl(s->impls, s->n, REF_TPS);

	printf("%-16s %-8s %7u  %9.3f %9.3f %9.3f", s->impls[i]->name, variant_names[v],
	       s->threads[k], st[i].median, st[i].min, st[i].max);
	print_ratio(st[i].median, ref_urcu, st);
	print_ratio(st[i].median, ref_tps, st);
	putchar('\n');
}

static void json_row(const struct bench_opts *o, const struct loops_spec *s,
                     const struct loops_result *r, const struct bench_stats *st, size_t k, size_t i,
                     enum variant v)
{
	size_t job = LOOPS_JOB(s, k, i);
	struct bench_json j;

	bench_json_row(&j, o->json, "readside", s->impls[i]->name, s->threads[k], "ns", &st[i],
	               s->runs);
	bench_json_str(&j, "variant", variant_names[v]);
	bench_json_uint(&j, "iterations", r->iterations[job]);
	if (s->updater)
		bench_json_num(&j, "updates_per_s", r->updates_per_s[job]);
	if (v == VARIANT_RESOLUTION)
		bench_json_uint(&j, "copy", i);
	bench_json_end(&j);
}

/* The row (not the empty floor) whose median is nearest the resolution target. */
static const struct readside_impl *nearest_target(const struct loops_spec *s,
                                                  const struct bench_stats *st)
{
	const struct readside_impl *best = NULL;
	double best_dist = 0;

	for (size_t i = 0; i < s->n; i++) {
		double dist = fabs(log(st[i].median / RESOLUTION_TARGET_NS));

		if (strcmp(s->impls[i]->name, "empty") == 0 || !(st[i].median > 0))
			continue;
		if (!best || dist < best_dist) {
			best = s->impls[i];
			best_dist = dist;
		}
	}
	return best;
}

/*
 * Measure rows with every thread count in variant v (all interleaved);
 * print and record the results.
 */
static void measure(struct readside_run *run, const struct readside_impl **rows, size_t n,
                    const unsigned int *threads, size_t nthreads, enum variant v)
{
	char label[32];
	struct loops_spec s = {.impls = rows,
	                       .n = n,
	                       .threads = threads,
	                       .nthreads = nthreads,
	                       .runs = run->runs,
	                       .batch_ns = run->batch_ns,
	                       .nested = v == VARIANT_NESTED,
	                       .updater = v == VARIANT_UPDATER,
	                       .label = label};
	struct loops_result r;
	struct bench_stats *st = bench_calloc(n * nthreads, sizeof(*st));

	snprintf(label, sizeof(label), "readside %s", variant_names[v]);
	loops_measure(&s, &r);
	for (size_t j = 0; j < n * nthreads; j++)
		bench_stats_compute(&r.v[j * s.runs], s.runs, &st[j]);
	for (size_t k = 0; k < nthreads; k++) {
		const struct bench_stats *stk = &st[LOOPS_JOB(&s, k, 0)];

		if (v == VARIANT_BASE && threads[k] == 1)
			run->resolution_row = nearest_target(&s, stk);
		for (size_t i = 0; i < n; i++) {
			print_row(&s, stk, k, i, v);
			json_row(run->o, &s, &r, stk, k, i, v);
		}
	}
	fflush(stdout);
	loops_result_free(&r);
	free(st);
}

/* Does variant v apply to impl? */
static bool applies(const struct readside_impl *impl, enum variant v)
{
	switch (v) {
	case VARIANT_NESTED:
		return impl->loop_nested != NULL;
	case VARIANT_UPDATER:
		return impl->synchronize != NULL;
	case VARIANT_FALLBACK:
		return impl->has_fallback;
	default:
		return true;
	}
}

/* "a,b,c": the names of rows[0..n-1], in buf. */
static void join_names(const struct readside_impl **rows, size_t n, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? "," : "", rows[i]->name);
}

/* "1,2": the thread counts v[0..n-1], in buf. */
static void join_counts(const unsigned int *v, unsigned int n, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < n && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%u", i ? "," : "", v[i]);
}

/* The fallback variant of rows, measured by a child process in fallback mode. */
static int fallback_child(const struct readside_run *run, const struct readside_impl **rows,
                          size_t n)
{
	char impls[1024], threads[256], runs[16];
	const char *args[] = {"readside",  run->o->mode == BENCH_FULL ? "--full" : "--quick",
	                      "--variant", "fallback",
	                      "--impl",    impls,
	                      "--threads", threads,
	                      "--runs",    runs,
	                      NULL};

	join_names(rows, n, impls, sizeof(impls));
	join_counts(run->threads, run->nthreads, threads, sizeof(threads));
	snprintf(runs, sizeof(runs), "%u", run->runs);
	printf("(fallback variant: a child process with " FALLBACK_ENV ")\n");
	if (bench_run_child(args, FALLBACK_ENV, run->o->json) != 0) {
		fprintf(stderr, "tpsync-bench: readside: the fallback child failed\n");
		return 1;
	}
	return 0;
}

static void resolution(struct readside_run *run)
{
	static const unsigned int one = 1;
	const struct readside_impl *rows[RESOLUTION_COPIES];

	if (!run->resolution_row) {
		fprintf(stderr, "tpsync-bench: readside: the resolution variant needs the base "
		                "variant at 1 thread, skipped\n");
		return;
	}
	for (size_t i = 0; i < RESOLUTION_COPIES; i++)
		rows[i] = run->resolution_row;
	measure(run, rows, RESOLUTION_COPIES, &one, 1, VARIANT_RESOLUTION);
}

static int run_variant(struct readside_run *run, enum variant v)
{
	const struct readside_impl **rows;
	struct readside_run sub = *run;
	size_t n = 0;
	int status = 0;

	if (v == VARIANT_RESOLUTION) {
		resolution(run);
		return 0;
	}
	rows = bench_calloc(run->n, sizeof(*rows));
	for (size_t i = 0; i < run->n; i++)
		if (applies(run->impls[i], v))
			rows[n++] = run->impls[i];
	/*
	 * With the default counts, only the base variant runs more threads
	 * than CPUs: the other variants are compared at 1 thread and every
	 * CPU, and the run stays short.
	 */
	if (v != VARIANT_BASE && run->fitting && run->nfitting) {
		sub.threads = run->fitting;
		sub.nthreads = run->nfitting;
	}
	/* In membarrier mode the fallback needs a process of its own. */
	if (n && v == VARIANT_FALLBACK && tps_membarrier_enabled()) {
		status = fallback_child(&sub, rows, n);
	} else if (n && v == VARIANT_BASE && run->fitting && run->nfitting < run->nthreads) {
		/*
		 * The counts above the CPU count in a pool of their own: a
		 * pool with more workers than CPUs pins none of them.
		 */
		measure(&sub, rows, n, run->fitting, run->nfitting, v);
		measure(&sub, rows, n, run->threads + run->nfitting, run->nthreads - run->nfitting,
		        v);
	} else if (n) {
		measure(&sub, rows, n, sub.threads, sub.nthreads, v);
	}
	run->resolution_row = sub.resolution_row;
	free(rows);
	return status;
}

size_t readside_select(const struct bench_opts *o, const char *who,
                       bool (*want)(const struct readside_impl *impl),
                       const struct readside_impl **out, int *status)
{
	size_t n = 0;

	for (size_t i = 0; i < readside_nimpls; i++) {
		const struct readside_impl *impl = readside_impls[i];
		int err;

		if ((want && !want(impl)) || !bench_impl_selected(o, impl->name))
			continue;
		err = readside_init(impl);
		if (err) {
			fprintf(stderr, "tpsync-bench: %s: %s unavailable (%s), skipped\n", who,
			        impl->name, strerror(-err));
			if (err != -ENOTSUP)
				*status = 1;
			continue;
		}
		out[n++] = impl;
	}
	return n;
}

/* The rows with a read side to time (not the gp-only flavours). */
static bool has_read_side(const struct readside_impl *impl)
{
	return !impl->gp_only;
}

int bench_readside(const struct bench_opts *o)
{
	unsigned int defaults[MAX_DEFAULT_COUNTS];
	struct readside_run run = {
	        .o = o,
	        .impls = bench_calloc(readside_nimpls, sizeof(*run.impls)),
	        .threads = o->threads,
	        .nthreads = o->nthreads,
	        .runs = bench_runs(o, QUICK_RUNS, FULL_RUNS),
	        .batch_ns = o->mode == BENCH_FULL ? FULL_BATCH_NS : QUICK_BATCH_NS,
	};
	int status = 0;

	run.n = readside_select(o, "readside", has_read_side, run.impls, &status);
	if (!run.nthreads) {
		run.nthreads = default_threads(o->mode, defaults, &run.nfitting);
		run.threads = defaults;
		run.fitting = defaults;
	}
	printf("readside: ns per lock/unlock pair per thread; median, min and max of %u runs "
	       "of %.0f ms batches\n",
	       run.runs, run.batch_ns / 1e6);
	printf("%-16s %-8s %7s  %9s %9s %9s  %10s  %10s\n", "impl", "variant", "threads", "median",
	       "min", "max", "/" REF_URCU, "/" REF_TPS);
	for (int v = 0; v < NVARIANTS && run.n; v++)
		if (bench_variant_selected(o, variant_names[v]) && run_variant(&run, v) != 0)
			status = 1;
	putchar('\n');
	fflush(stdout);
	free(run.impls);
	return status;
}
