/* SPDX-License-Identifier: MIT */
/*
 * report.h - `tpsync-bench report`: the results file as records, queries
 * over them, and the plots.
 *
 * The results are the JSON lines tpsync-bench writes: one flat object per
 * line whose values are strings, numbers, booleans or null. report_json.c
 * reads exactly that (nothing nested), report_plot.c writes a gnuplot
 * script and runs it, report.c writes report.md.
 */
#ifndef TPSYNC_BENCH_REPORT_H
#define TPSYNC_BENCH_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum report_type {
	REPORT_STR,
	REPORT_NUM,
	REPORT_BOOL,
	REPORT_NULL,
};

struct report_field {
	char *key;
	enum report_type type;
	char *str;
	double num;
};

struct report_record {
	struct report_field *fields;
	size_t n;
};

struct report_file {
	struct report_record *records;
	size_t n;
	/* Lines that were not a flat JSON object, skipped with a message. */
	size_t bad_lines;
};

/* Read path; 0, or -1 (with a message) when it cannot be read. */
int report_load(const char *path, struct report_file *out);
void report_free(struct report_file *f);

/* The string value of key in r, or NULL when absent or not a string. */
const char *report_str(const struct report_record *r, const char *key);
/* The number value of key in r (1 or 0 for a boolean), or NaN when absent or neither. */
double report_num(const struct report_record *r, const char *key);

/*
 * What to look for: every non-NULL string must match the record's field of
 * that name, and threads, when not zero, its "threads". A readside query
 * with variant NULL means "base".
 */
struct report_query {
	const char *bench;
	const char *impl;
	const char *variant;
	const char *scenario;
	const char *metric;
	unsigned int threads;
	/* The gp rows' idle registered threads (scenario "registered"); 0: any. */
	unsigned int registered;
};

/* The first record that matches q, or NULL. */
const struct report_record *report_find(const struct report_file *f, const struct report_query *q);
/* The number value of key in the first record matching q, or NaN. */
double report_get(const struct report_file *f, const struct report_query *q, const char *key);

/*
 * The distinct values of the string field key among the records matching
 * q, in order of first appearance, into out (room for max); the count.
 */
size_t report_distinct(const struct report_file *f, const struct report_query *q, const char *key,
                       const char **out, size_t max);
/* The same for the "threads" field, ascending. */
size_t report_threads(const struct report_file *f, const struct report_query *q, unsigned int *out,
                      size_t max);

/*
 * The largest thread count of the records matching q that is at most the
 * CPU count of the run's context record (every CPU busy, none
 * oversubscribed): the largest count when the CPU count is unknown, 1 when
 * there is none.
 */
unsigned int report_all_cpus_threads(const struct report_file *f, const struct report_query *q);

/* ---- report_plot.c ---- */

/* Most plots a report makes; report_plots() returns their file names. */
#define REPORT_MAX_PLOTS 16

struct report_plots {
	const char *files[REPORT_MAX_PLOTS];
	const char *titles[REPORT_MAX_PLOTS];
	size_t n;
	/* Why there are none, when n == 0 and the data had some. */
	const char *missing;
};

/* Write DIR/plots.gp and run gnuplot in DIR; the PNG files it made. */
void report_plots(const struct report_file *f, const char *dir, struct report_plots *out);

#endif /* TPSYNC_BENCH_REPORT_H */
