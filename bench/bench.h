/* SPDX-License-Identifier: MIT */
/*
 * bench.h - what the subcommands of tpsync-bench share: the parsed options,
 * the subcommand table, timing, statistics, CPU placement, JSON lines and
 * the progress line.
 *
 * A subcommand measures, prints a table on stdout and, when --json was given,
 * appends one JSON line per measurement (bench/README.md). main.c writes the
 * context record first.
 */
#ifndef TPSYNC_BENCH_H
#define TPSYNC_BENCH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum bench_mode {
	BENCH_QUICK,
	BENCH_FULL,
};

/* Upper bound of a --threads entry: a typo guard, far above any machine we run on. */
#define BENCH_MAX_THREADS 1024

struct bench_opts {
	enum bench_mode mode;
	/* --runs N; 0 when not given (each subcommand has its own default). */
	unsigned int runs;
	/* --impl a,b,...; nimpls == 0 when not given (every implementation). */
	char **impls;
	unsigned int nimpls;
	/* --threads 1,2,...; nthreads == 0 when not given (subcommand default). */
	unsigned int *threads;
	unsigned int nthreads;
	/* --json FILE, opened; NULL when not given. */
	FILE *json;
	/* --variant a,b,... (readside); nvariants == 0 when not given (all). */
	char **variants;
	unsigned int nvariants;
};

/* Does --impl select this implementation (true when --impl was not given)? */
bool bench_impl_selected(const struct bench_opts *o, const char *name);

/* Does --variant select this variant (true when --variant was not given)? */
bool bench_variant_selected(const struct bench_opts *o, const char *name);

/* --runs, or the subcommand's default for --quick or --full. */
unsigned int bench_runs(const struct bench_opts *o, unsigned int quick, unsigned int full);

/*
 * One subcommand. knows_impl() tells whether a --impl name means something to
 * it, so that `all --impl x` can reject names no subcommand knows.
 */
struct bench_subcommand {
	const char *name;
	const char *summary;
	int (*run)(const struct bench_opts *o);
	bool (*knows_impl)(const char *name);
	/* Print the implementation names, each preceded by a space. */
	void (*print_impls)(FILE *f);
};

/* readside.c */
int bench_readside(const struct bench_opts *o);
bool bench_readside_knows_impl(const char *name);
void bench_readside_print_impls(FILE *f);

/* barrier.c */
int bench_barrier(const struct bench_opts *o);
bool bench_barrier_knows_impl(const char *name);
void bench_barrier_print_impls(FILE *f);

/* gp.c */
int bench_gp(const struct bench_opts *o);
bool bench_gp_knows_impl(const char *name);
void bench_gp_print_impls(FILE *f);

/* callbacks.c */
int bench_callbacks(const struct bench_opts *o);
bool bench_callbacks_knows_impl(const char *name);
void bench_callbacks_print_impls(FILE *f);

/* tracepoint.c */
int bench_tracepoint(const struct bench_opts *o);
bool bench_tracepoint_knows_impl(const char *name);
void bench_tracepoint_print_impls(FILE *f);
/* tracepoint_nosdt.c: call sites compiled without SDT probes. */
void bench_tp_nosdt_disabled_loop(unsigned long iterations);
void bench_tp_nosdt_normal_1_loop(unsigned long iterations);
int bench_tp_nosdt_attach(void *data);
void bench_tp_nosdt_detach(void *data);

/* report.c: `tpsync-bench report FILE.jsonl [--out DIR]`; argv[0] is "report". */
int bench_report_main(int argc, char **argv);

/* ---- util.c ---- */

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t bench_now_ns(void);

struct bench_stats {
	double median;
	double min;
	double max;
};

/* Median, min and max of v[0..n-1] (n > 0). Sorts v. */
void bench_stats_compute(double *v, unsigned int n, struct bench_stats *out);

/* Latency percentiles (nearest rank) of v[0..n-1] (n > 0). Sorts v. */
struct bench_latency {
	double min;
	double p50;
	double p90;
	double p99;
	double max;
	size_t samples;
};

void bench_latency_compute(double *v, size_t n, struct bench_latency *out);

/* A growing array of samples. */
struct bench_samples {
	double *v;
	size_t n;
	size_t cap;
};

void bench_samples_add(struct bench_samples *s, double x);
void bench_samples_free(struct bench_samples *s);

/* calloc that exits with a message when memory runs out (n > 0). */
void *bench_calloc(size_t n, size_t size);
/* The same, aligned to align (a power of two); free() releases it. */
void *bench_aligned_calloc(size_t align, size_t n, size_t size);

/* Number of CPUs this process may run on (its affinity mask at the first call). */
unsigned int bench_cpu_count(void);

/* Pin the calling thread to the index-th CPU of the process's affinity mask. */
int bench_pin_thread(unsigned int index);

/* Let the calling thread run on every CPU of the process's mask again. */
int bench_unpin_thread(void);

/*
 * JSON lines, written by hand. A record is bench_json_begin(), any number of
 * fields, bench_json_end(); all functions do nothing when f is NULL.
 */
struct bench_json {
	FILE *f;
	bool first;
};

void bench_json_begin(struct bench_json *j, FILE *f, const char *bench);
void bench_json_str(struct bench_json *j, const char *key, const char *val);
void bench_json_uint(struct bench_json *j, const char *key, unsigned long val);
void bench_json_num(struct bench_json *j, const char *key, double val);
void bench_json_bool(struct bench_json *j, const char *key, bool val);
void bench_json_end(struct bench_json *j);

/*
 * Begin a measurement record with the fields every one has (bench/README.md):
 * bench, impl, threads, unit, median, min, max, runs.
 */
void bench_json_row(struct bench_json *j, FILE *f, const char *bench, const char *impl,
                    unsigned int threads, const char *unit, const struct bench_stats *st,
                    unsigned int runs);

/* A latency record: bench_json_row() with the median p50, then p50, p90, p99, samples. */
void bench_json_latency(struct bench_json *j, FILE *f, const char *bench, const char *impl,
                        unsigned int threads, const struct bench_latency *l, unsigned int runs);

/* The first line of every results file: the machine and the build. */
void bench_json_context(FILE *f);

/*
 * Run this executable again with args (a NULL-terminated list after the
 * program name) and env ("NAME=value") added to its environment; its
 * stdout and stderr are ours. When json is not NULL, the child writes JSON
 * lines to a temporary file, whose measurements (not its context record)
 * are appended to json. 0, or -1 when the child could not run or failed.
 */
int bench_run_child(const char *const *args, const char *env, FILE *json);

/* Spin for ns, or sleep for ns (nanosleep). */
void bench_spin_ns(uint64_t ns);
void bench_sleep_ns(uint64_t ns);

/*
 * The progress line on stderr: rewritten in place on a terminal, a line every
 * few seconds otherwise. bench_progress_done() ends it.
 */
void bench_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void bench_progress_done(void);

#endif /* TPSYNC_BENCH_H */
