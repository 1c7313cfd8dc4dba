/* SPDX-License-Identifier: MIT */
/*
 * report.c - `tpsync-bench report FILE.jsonl [--out DIR]`: report.md. First
 * the machine and its load, then a summary that answers "which flavour
 * should I use" from the run's own figures, then a section and tables per
 * question (read side, barriers, grace periods, tracepoints), the ratios
 * folklore argues about, the library's performance targets with PASS or
 * MISS, and the plots (report_plot.c). DIR defaults to the directory of
 * FILE.jsonl.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench.h"
#include "report.h"

#define MAX_ROWS 64
/* The flavours of the grace-period and seed tables, in this order. */
static const char *const gp_flavours[] = {
        "tps-rcu",   "tps-srcu",  "tps-srcu-static", "tps-srcu-fast", "tps-trace",
        "tps-tasks", "urcu-memb", "urcu-qsbr",       "urcu-bp",       "tps-qsbr"};
static const char *const scenarios[] = {"none", "busy", "holder"};
/* The registered axis of `gp`: its flavours, in this order, and its counts. */
static const char *const reg_flavours[] = {"tps-rcu", "tps-trace", "tps-srcu", "urcu-memb"};
static const unsigned int reg_counts[] = {1, 16, 64, 256, 1024};
#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

struct report {
	const struct report_file *f;
	FILE *md;
	/* The largest readside thread count that is at most the CPU count. */
	unsigned int max_threads;
};

/* ---- Formatting ---- */

/* A duration for a table: "0.82 ns", "13.4 ns", "210.3 µs"; "–" when unknown. */
static const char *fmt_ns(double ns, char *buf, size_t size)
{
	if (isnan(ns))
		snprintf(buf, size, "–");
	else if (fabs(ns) < 10)
		snprintf(buf, size, "%.2f ns", ns);
	else if (fabs(ns) < 1e3)
		snprintf(buf, size, "%.1f ns", ns);
	else if (fabs(ns) < 1e6)
		snprintf(buf, size, "%.1f µs", ns / 1e3);
	else
		snprintf(buf, size, "%.2f ms", ns / 1e6);
	return buf;
}

static const char *fmt_ratio(double x, char *buf, size_t size)
{
	if (isnan(x) || isinf(x))
		snprintf(buf, size, "–");
	else
		snprintf(buf, size, "%.2f", x);
	return buf;
}

/* "median (min–max)" of a record's fields, in ns. */
static const char *fmt_range(const struct report_record *r, char *buf, size_t size)
{
	char a[32], b[32], c[32];

	if (!r) {
		snprintf(buf, size, "–");
		return buf;
	}
	snprintf(buf, size, "%s (%s–%s)", fmt_ns(report_num(r, "median"), a, sizeof(a)),
	         fmt_ns(report_num(r, "min"), b, sizeof(b)),
	         fmt_ns(report_num(r, "max"), c, sizeof(c)));
	return buf;
}

static void md(struct report *rp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void md(struct report *rp, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(rp->md, fmt, ap);
	va_end(ap);
}

static double median_of(const struct report *rp, const char *bench, const char *impl,
                        unsigned int threads)
{
	struct report_query q = {.bench = bench, .impl = impl, .threads = threads};

	return report_get(rp->f, &q, "median");
}

static double gp_p50(const struct report *rp, const char *impl, const char *scenario)
{
	struct report_query q = {.bench = "gp", .impl = impl, .scenario = scenario};

	return report_get(rp->f, &q, "p50");
}

/* p50 of a gp row of the registered axis: registered idle threads. */
static double gp_registered_p50(const struct report *rp, const char *impl, unsigned int registered)
{
	struct report_query q = {
	        .bench = "gp", .impl = impl, .scenario = "registered", .registered = registered};

	return report_get(rp->f, &q, "p50");
}

/* Aggregate throughput with 2 threads over 1 thread: 2 x ns(1) / ns(2). */
static double scaling(const struct report *rp, const char *impl)
{
	return 2 * median_of(rp, "readside", impl, 1) / median_of(rp, "readside", impl, 2);
}

/* ---- Header ---- */

/*
 * The load averages of the context record, and a warning when the machine
 * was busy: other work then shared the CPUs and slowed some repetitions.
 */
static void load_row(struct report *rp, const struct report_record *c)
{
	double l1 = report_num(c, "load1"), nproc = report_num(c, "nproc");

	if (isnan(l1)) {
		md(rp, "| load average | not recorded |\n\n");
		return;
	}
	md(rp, "| load average (1, 5, 15 min) at the start | %.2f, %.2f, %.2f |\n\n", l1,
	   report_num(c, "load5"), report_num(c, "load15"));
	if (!isnan(nproc) && nproc > 0 && l1 >= 0.5 * nproc)
		md(rp,
		   "**The machine was busy** when the run started (load %.2f on %g CPUs): other "
		   "work shared the CPUs, so absolute figures are indicative and may be up to "
		   "several times too slow; the ratios of rows measured interleaved in one table "
		   "hold better. Measure on a quiet machine before quoting figures.\n\n",
		   l1, nproc);
}

static void header(struct report *rp, const char *path)
{
	struct report_query q = {.bench = "context"};
	const struct report_record *c = report_find(rp->f, &q);
	const char *none = "unknown";

	md(rp, "# tpsync benchmark report\n\n");
	md(rp, "From `%s` (%zu records", path, rp->f->n);
	if (rp->f->bad_lines)
		md(rp, ", %zu unreadable lines skipped", rp->f->bad_lines);
	md(rp, ").\n\n");
	if (!c) {
		md(rp, "No context record: the machine is unknown.\n\n");
		return;
	}
	md(rp, "| machine | |\n|---|---|\n");
	md(rp, "| CPU | %s, %g CPUs |\n", report_str(c, "cpu") ?: none,
	   isnan(report_num(c, "nproc")) ? 0 : report_num(c, "nproc"));
	md(rp, "| kernel | Linux %s |\n", report_str(c, "kernel") ?: none);
	md(rp, "| membarrier, rseq | %s, %s |\n", report_num(c, "membarrier") == 1 ? "yes" : "no",
	   report_num(c, "rseq") == 1 ? "yes" : "no");
	md(rp, "| compiler | %s |\n", report_str(c, "compiler") ?: none);
	md(rp, "| build, revision | %s, %s |\n", report_str(c, "build_type") ?: none,
	   report_str(c, "git_revision") ?: none);
	md(rp, "| date | %s |\n", report_str(c, "date") ?: none);
	load_row(rp, c);
	md(rp, "Method: each figure is the median over repetitions (min and max beside it) of "
	       "batches of 1–10 ms, after calibration and a warm-up; the implementations and "
	       "thread counts of a table were measured interleaved in one process, in an order "
	       "rotating between repetitions, so that their ratios hold on a noisy machine. "
	       "Latencies are percentiles over every sample. Read-side figures are ns per "
	       "lock/unlock pair per thread (the mean over threads). Every measured loop is "
	       "built with its branches kept off 32-byte boundaries, where they would cost a "
	       "layout-dependent penalty on recent x86-64 cores. tps-srcu and tps-srcu-fast use "
	       "dynamic domains (`tps_srcu_init`, one counter block per possible CPU); "
	       "tps-srcu-static is tps-srcu on a `TPS_DEFINE_SRCU` domain.\n\n");
}

/* ---- Read side ---- */

static void readside_main_table(struct report *rp, const char **impls, size_t n)
{
	char a[64], b[64], c[32], d[32];
	unsigned int t = rp->max_threads;

	md(rp,
	   "| implementation | 1 thread | every CPU (%u threads) | / urcu-memb | 2-thread "
	   "speed-up |\n",
	   t);
	md(rp, "|---|---|---|---|---|\n");
	for (size_t i = 0; i < n; i++) {
		struct report_query q1 = {.bench = "readside", .impl = impls[i], .threads = 1};
		struct report_query qn = {.bench = "readside", .impl = impls[i], .threads = t};

		md(rp, "| %s | %s | %s | %s | %s |\n", impls[i],
		   fmt_range(report_find(rp->f, &q1), a, sizeof(a)),
		   fmt_range(report_find(rp->f, &qn), b, sizeof(b)),
		   fmt_ratio(median_of(rp, "readside", impls[i], 1) /
		                     median_of(rp, "readside", "urcu-memb", 1),
		             c, sizeof(c)),
		   fmt_ratio(scaling(rp, impls[i]), d, sizeof(d)));
	}
	md(rp, "\n");
}

static double variant_median(const struct report *rp, const char *impl, const char *variant,
                             unsigned int threads)
{
	struct report_query q = {
	        .bench = "readside", .impl = impl, .variant = variant, .threads = threads};

	return report_get(rp->f, &q, "median");
}

static void readside_variant_table(struct report *rp, const char **impls, size_t n)
{
	unsigned int t = rp->max_threads;
	char v[6][32];

	md(rp, "Variants (median ns per outer pair): nested = a second critical section inside "
	       "the first; updater = while another thread calls the flavour's synchronize (or "
	       "takes the write lock) in a loop; fallback = `TPSYNC_FORCE_FALLBACK=1`, measured "
	       "in a child process (the fence mode is fixed per process).\n\n");
	md(rp,
	   "| implementation | base, 1 | nested, 1 | updater, 1 | updater, %u | fallback, 1 | "
	   "fallback, %u |\n|---|---|---|---|---|---|---|\n",
	   t, t);
	for (size_t i = 0; i < n; i++)
		md(rp, "| %s | %s | %s | %s | %s | %s | %s |\n", impls[i],
		   fmt_ns(variant_median(rp, impls[i], "base", 1), v[0], 32),
		   fmt_ns(variant_median(rp, impls[i], "nested", 1), v[1], 32),
		   fmt_ns(variant_median(rp, impls[i], "updater", 1), v[2], 32),
		   fmt_ns(variant_median(rp, impls[i], "updater", t), v[3], 32),
		   fmt_ns(variant_median(rp, impls[i], "fallback", 1), v[4], 32),
		   fmt_ns(variant_median(rp, impls[i], "fallback", t), v[5], 32));
	md(rp, "\n");
}

/* Median ns per pair per thread at every thread count, oversubscribed ones marked. */
static void readside_threads_table(struct report *rp, const char **impls, size_t n,
                                   const unsigned int *threads, size_t nt)
{
	struct report_query c = {.bench = "context"};
	double nproc = report_get(rp->f, &c, "nproc");
	char v[32];

	if (nt < 2)
		return;
	md(rp, "Against the thread count (ns per pair per thread, median). * = more threads than "
	       "CPUs: the threads take turns, and the figure is the wall-clock time of the whole "
	       "batch over one thread's pairs, so that threads / figure is the aggregate "
	       "throughput the machine delivered. It can be no better than with one thread per "
	       "CPU; in batches of a few milliseconds the scheduler may not spread the threads "
	       "over every CPU, so read it as a lower bound. A reader preempted inside its "
	       "critical section holds up grace periods.\n\n"
	       "| implementation |");
	for (size_t k = 0; k < nt; k++)
		md(rp, " %u%s |", threads[k], !isnan(nproc) && threads[k] > nproc ? "*" : "");
	md(rp, "\n|---|");
	for (size_t k = 0; k < nt; k++)
		md(rp, "---|");
	md(rp, "\n");
	for (size_t i = 0; i < n; i++) {
		md(rp, "| %s |", impls[i]);
		for (size_t k = 0; k < nt; k++)
			md(rp, " %s |",
			   fmt_ns(median_of(rp, "readside", impls[i], threads[k]), v, sizeof(v)));
		md(rp, "\n");
	}
	md(rp, "\n");
}

static void section_readside(struct report *rp)
{
	struct report_query q = {.bench = "readside"};
	const char *impls[MAX_ROWS];
	unsigned int threads[MAX_ROWS];
	size_t n = report_distinct(rp->f, &q, "impl", impls, MAX_ROWS);
	size_t nt = report_threads(rp->f, &q, threads, MAX_ROWS);

	md(rp, "## Read side: what a reader costs (`readside`)\n\n");
	if (!n) {
		md(rp, "No read-side measurements.\n\n");
		return;
	}
	md(rp, "ns per lock/unlock pair per thread, median (min–max). The 2-thread speed-up is "
	       "the aggregate throughput with 2 threads over 1 thread (2 is perfect scaling).\n\n");
	readside_main_table(rp, impls, n);
	readside_threads_table(rp, impls, n, threads, nt);
	readside_variant_table(rp, impls, n);
}

/* ---- Barriers ---- */

static void membarrier_table(struct report *rp)
{
	char a[64];

	md(rp, "One `membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)`, with other threads of the "
	       "process spinning (busy) or blocked (sleeping):\n\n");
	md(rp, "| busy threads | sleeping threads | cost |\n|---|---|---|\n");
	for (size_t i = 0; i < rp->f->n; i++) {
		const struct report_record *r = &rp->f->records[i];
		const char *bench = report_str(r, "bench"), *impl = report_str(r, "impl");

		if (bench && impl && !strcmp(bench, "barrier") && !strcmp(impl, "membarrier"))
			md(rp, "| %g | %g | %s |\n", report_num(r, "threads"),
			   report_num(r, "sleeping"), fmt_range(r, a, sizeof(a)));
	}
	md(rp, "\n");
}

static void section_barrier(struct report *rp)
{
	static const char *const fences[] = {"compiler-barrier", "fence-seq-cst", "locked-add",
	                                     "mfence", "xchg"};
	struct report_query smp_mb = {.bench = "barrier", .impl = "srcu-smp-mb"};
	unsigned int threads[MAX_ROWS];
	size_t nt;
	char a[64];

	md(rp, "## Barriers: what a fence costs (`barrier`)\n\n");
	md(rp, "| fence | cost, 1 thread |\n|---|---|\n");
	for (size_t i = 0; i < NELEMS(fences); i++) {
		struct report_query q = {.bench = "barrier", .impl = fences[i], .threads = 1};

		md(rp, "| %s | %s |\n", fences[i], fmt_range(report_find(rp->f, &q), a, sizeof(a)));
	}
	md(rp, "\n`fence-seq-cst` is `atomic_thread_fence(memory_order_seq_cst)` as this compiler "
	       "emits it; `locked-add` is the library's `tps_smp_mb()` on x86-64.\n\n");
	membarrier_table(rp);
	md(rp, "The read-side `smp_mb()` cost, tps-srcu minus tps-srcu-fast per pair, taken "
	       "within each repetition:\n\n| threads | cost |\n|---|---|\n");
	nt = report_threads(rp->f, &smp_mb, threads, MAX_ROWS);
	for (size_t k = 0; k < nt; k++) {
		struct report_query q = {
		        .bench = "barrier", .impl = "srcu-smp-mb", .threads = threads[k]};

		md(rp, "| %u | %s |\n", threads[k],
		   fmt_range(report_find(rp->f, &q), a, sizeof(a)));
	}
	md(rp, "\n");
}

/* ---- Grace periods ---- */

static void gp_scenario_table(struct report *rp, const char *scenario)
{
	char v[4][32];

	md(rp, "| flavour | p50 | p90 | p99 | max | samples | holder |\n"
	       "|---|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < NELEMS(gp_flavours); i++) {
		struct report_query q = {
		        .bench = "gp", .impl = gp_flavours[i], .scenario = scenario};
		const struct report_record *r = report_find(rp->f, &q);

		if (!r)
			continue;
		md(rp, "| %s | %s | %s | %s | %s | %g | %s |\n", gp_flavours[i],
		   fmt_ns(report_num(r, "p50"), v[0], 32), fmt_ns(report_num(r, "p90"), v[1], 32),
		   fmt_ns(report_num(r, "p99"), v[2], 32), fmt_ns(report_num(r, "max"), v[3], 32),
		   report_num(r, "samples"), report_str(r, "holder") ?: "–");
	}
	md(rp, "\n");
}

static void gp_call_table(struct report *rp)
{
	char v[4][32];

	md(rp, "Callbacks: a burst of calls, then the flavour's barrier. Throughput in callbacks "
	       "per second (median of the repetitions); latency from the call to the callback "
	       "running.\n\n");
	md(rp, "| flavour | callbacks/s | latency p50 | p99 | max |\n|---|---|---|---|---|\n");
	for (size_t i = 0; i < NELEMS(gp_flavours); i++) {
		struct report_query t = {
		        .bench = "call", .impl = gp_flavours[i], .metric = "throughput"};
		struct report_query l = {
		        .bench = "call", .impl = gp_flavours[i], .metric = "latency"};
		const struct report_record *rt = report_find(rp->f, &t),
		                           *rl = report_find(rp->f, &l);

		if (!rt || !rl)
			continue;
		snprintf(v[0], 32, "%.3g", report_num(rt, "median"));
		md(rp, "| %s | %s | %s | %s | %s |\n", gp_flavours[i], v[0],
		   fmt_ns(report_num(rl, "p50"), v[1], 32), fmt_ns(report_num(rl, "p99"), v[2], 32),
		   fmt_ns(report_num(rl, "max"), v[3], 32));
	}
	md(rp, "\n");
}

/* "median (min–max)" of a gp-sharing record, or "–". */
static const char *fmt_sharing(const struct report_record *r, char *buf, size_t size)
{
	if (!r)
		snprintf(buf, size, "–");
	else
		snprintf(buf, size, "%.3f (%.3f–%.3f)", report_num(r, "median"),
		         report_num(r, "min"), report_num(r, "max"));
	return buf;
}

static void gp_sharing_table(struct report *rp)
{
	char a[64], b[64];

	md(rp, "Grace-period sharing: 4 threads call synchronize in a loop; the figure is "
	       "grace periods per call, counted with the polled cookies: 1 when every call ran "
	       "a grace period of its own, 0.25 when every grace period served all four "
	       "callers.\n\n");
	md(rp, "| flavour | no readers | one reader holding 1 ms |\n|---|---|---|\n");
	for (size_t i = 0; i < NELEMS(gp_flavours); i++) {
		struct report_query n = {
		        .bench = "gp-sharing", .impl = gp_flavours[i], .scenario = "none"};
		struct report_query h = {
		        .bench = "gp-sharing", .impl = gp_flavours[i], .scenario = "holder"};
		const struct report_record *rn = report_find(rp->f, &n),
		                           *rh = report_find(rp->f, &h);

		if (rn || rh)
			md(rp, "| %s | %s | %s |\n", gp_flavours[i], fmt_sharing(rn, a, sizeof(a)),
			   fmt_sharing(rh, b, sizeof(b)));
	}
	md(rp, "\nWhy: with no readers a grace period takes nanoseconds to microseconds, less "
	       "than the time between two calls of one thread, so the callers seldom overlap "
	       "and each call runs its own (about 1). With a reader holding 1 ms sections, "
	       "each grace period waits about a millisecond, and the callers pile up behind "
	       "it. A call that arrives while a grace period is already running cannot use "
	       "it (that grace period may have started before a reader the caller must wait "
	       "for), so it waits for the next one, and that one serves every caller that "
	       "arrived in the meantime: the figure falls well below 1, and the latency of "
	       "synchronize stays about one or two grace periods however many threads call "
	       "it.\n\n");
}

static void gp_registered_table(struct report *rp)
{
	struct report_query any = {.bench = "gp", .scenario = "registered"};
	char v[32];

	if (!report_find(rp->f, &any))
		return;
	md(rp, "### Registered idle threads (`registered`)\n\n");
	md(rp, "p50 of one synchronize call with N threads registered with every flavour and "
	       "asleep outside any reader: the cost of walking the registry. tps-srcu keeps no "
	       "registry (for comparison).\n\n| registered |");
	for (size_t i = 0; i < NELEMS(reg_flavours); i++)
		md(rp, " %s |", reg_flavours[i]);
	md(rp, "\n|---|");
	for (size_t i = 0; i < NELEMS(reg_flavours); i++)
		md(rp, "---|");
	md(rp, "\n");
	for (size_t c = 0; c < NELEMS(reg_counts); c++) {
		md(rp, "| %u |", reg_counts[c]);
		for (size_t i = 0; i < NELEMS(reg_flavours); i++)
			md(rp, " %s |",
			   fmt_ns(gp_registered_p50(rp, reg_flavours[i], reg_counts[c]), v, 32));
		md(rp, "\n");
	}
	md(rp, "\n");
}

static void section_gp(struct report *rp)
{
	static const char *const titles[] = {
	        "No readers", "Busy readers: short critical sections back to back on every CPU",
	        "Holder: one reader holding 1 ms critical sections (sleeping where the flavour "
	        "allows it, spinning otherwise)"};

	md(rp, "## Grace periods: what an update costs (`gp`)\n\n");
	md(rp, "Latency of one synchronize call, percentiles over every call.\n\n");
	for (size_t k = 0; k < NELEMS(scenarios); k++) {
		md(rp, "### %s (`%s`)\n\n", titles[k], scenarios[k]);
		gp_scenario_table(rp, scenarios[k]);
	}
	gp_registered_table(rp);
	md(rp, "### Callbacks and sharing\n\n");
	gp_call_table(rp);
	gp_sharing_table(rp);
}

/* ---- Tracepoints ---- */

/* The rows of `tracepoint-sdt`, in the order shown. */
static const char *const sdt_impls[] = {"disabled", "disabled-nosdt", "normal-1", "normal-1-nosdt"};

static void section_tracepoint(struct report *rp)
{
	struct report_query q = {.bench = "tracepoint"};
	const char *impls[MAX_ROWS];
	size_t n = report_distinct(rp->f, &q, "impl", impls, MAX_ROWS);
	double empty = median_of(rp, "tracepoint", "empty", 1);
	char a[64], b[32];

	md(rp, "## Tracepoints: what a tracepoint costs (`tracepoint`)\n\n");
	md(rp, "| call site | cost, 1 thread | minus empty |\n|---|---|---|\n");
	for (size_t i = 0; i < n; i++) {
		struct report_query r = {.bench = "tracepoint", .impl = impls[i], .threads = 1};
		const struct report_record *rec = report_find(rp->f, &r);

		if (!rec || !isnan(report_num(rec, "p50")))
			continue;
		md(rp, "| %s | %s | %s |\n", impls[i], fmt_range(rec, a, sizeof(a)),
		   fmt_ns(report_num(rec, "median") - empty, b, sizeof(b)));
	}
	if (!isnan(median_of(rp, "tracepoint-sdt", "normal-1", 1))) {
		double e2 = median_of(rp, "tracepoint-sdt", "empty", 1);

		md(rp, "\nWhat the SDT probe costs (`tracepoint-sdt`: these rows alone, in several "
		       "processes of their own, each figure the median of the processes' medians; "
		       "the `-nosdt` rows are the same call sites built without it):\n\n");
		md(rp, "| call site | cost, 1 thread | minus empty |\n|---|---|---|\n");
		for (size_t i = 0; i < NELEMS(sdt_impls); i++) {
			struct report_query r = {
			        .bench = "tracepoint-sdt", .impl = sdt_impls[i], .threads = 1};
			const struct report_record *rec = report_find(rp->f, &r);

			if (!rec)
				continue;
			md(rp, "| %s | %s | %s |\n", sdt_impls[i], fmt_range(rec, a, sizeof(a)),
			   fmt_ns(report_num(rec, "median") - e2, b, sizeof(b)));
		}
	}
	md(rp, "\n`recursion-guard` is the per-thread guard an enabled call site takes and drops, "
	       "alone. Attaching and safely detaching a probe (register, unregister, "
	       "`tps_tracepoint_synchronize_unregister()`):\n\n");
	md(rp, "| tracepoint | p50 | p90 | p99 | max |\n|---|---|---|---|---|\n");
	for (size_t i = 0; i < n; i++) {
		struct report_query r = {.bench = "tracepoint", .impl = impls[i]};
		const struct report_record *rec = report_find(rp->f, &r);
		char v[4][32];

		if (!rec || isnan(report_num(rec, "p50")))
			continue;
		md(rp, "| %s | %s | %s | %s | %s |\n", impls[i],
		   fmt_ns(report_num(rec, "p50"), v[0], 32),
		   fmt_ns(report_num(rec, "p90"), v[1], 32),
		   fmt_ns(report_num(rec, "p99"), v[2], 32),
		   fmt_ns(report_num(rec, "max"), v[3], 32));
	}
	md(rp, "\n");
}

/* ---- Ratios folklore argues about ---- */

static void seed_ratio(struct report *rp, const char *what, const char *num, const char *den)
{
	unsigned int t = rp->max_threads;
	char a[32], b[32];

	md(rp, "| %s | %s | %s |\n", what,
	   fmt_ratio(median_of(rp, "readside", num, 1) / median_of(rp, "readside", den, 1), a,
	             sizeof(a)),
	   fmt_ratio(median_of(rp, "readside", num, t) / median_of(rp, "readside", den, t), b,
	             sizeof(b)));
}

static void seed_gp_table(struct report *rp)
{
	char v[3][32];

	md(rp, "\nGrace-period p50 per flavour:\n\n| flavour | no readers | busy readers | "
	       "holder |\n|---|---|---|---|\n");
	for (size_t i = 0; i < NELEMS(gp_flavours); i++)
		md(rp, "| %s | %s | %s | %s |\n", gp_flavours[i],
		   fmt_ns(gp_p50(rp, gp_flavours[i], "none"), v[0], 32),
		   fmt_ns(gp_p50(rp, gp_flavours[i], "busy"), v[1], 32),
		   fmt_ns(gp_p50(rp, gp_flavours[i], "holder"), v[2], 32));
}

/* The spread of the resolution copies' medians, relative to their mean. */
static void seed_resolution(struct report *rp)
{
	double lo = INFINITY, hi = -INFINITY, sum = 0, spread;
	const char *impl = NULL;
	size_t n = 0;

	for (size_t i = 0; i < rp->f->n; i++) {
		const struct report_record *r = &rp->f->records[i];
		const char *variant = report_str(r, "variant");
		double m = report_num(r, "median");

		if (!variant || strcmp(variant, "resolution") || isnan(m))
			continue;
		impl = report_str(r, "impl");
		lo = fmin(lo, m);
		hi = fmax(hi, m);
		sum += m;
		n++;
	}
	md(rp, "\nThe benchmark's own resolution: ");
	if (n < 2) {
		md(rp, "not measured (the readside `resolution` variant).\n\n");
		return;
	}
	spread = (hi - lo) / (sum / (double)n);
	md(rp,
	   "%zu copies of `%s` (the row nearest 50 ns), measured interleaved as if they were "
	   "different implementations, have medians from %.2f to %.2f ns: a spread of %.1f%%. "
	   "A 2%% change at this cost %s.\n\n",
	   n, impl ? impl : "?", lo, hi, 100 * spread,
	   spread < 0.02 ? "stands out of that spread, so it can be seen"
	                 : "is within that spread, so it cannot be told from noise in one run");
}

static void section_seeds(struct report *rp)
{
	md(rp, "## Ratios folklore argues about\n\n");
	md(rp, "Read-side ratios of medians, measured interleaved:\n\n");
	md(rp, "| ratio | 1 thread | %u threads |\n|---|---|---|\n", rp->max_threads);
	seed_ratio(rp, "srcu / classic (tps-srcu / tps-rcu)", "tps-srcu", "tps-rcu");
	seed_ratio(rp, "srcu / srcu-fast", "tps-srcu", "tps-srcu-fast");
	seed_ratio(rp, "trace / srcu (tps-trace / tps-srcu)", "tps-trace", "tps-srcu");
	seed_ratio(rp, "trace / srcu-fast", "tps-trace", "tps-srcu-fast");
	seed_ratio(rp, "srcu / srcu-floor (SRCU's bookkeeping)", "tps-srcu", "srcu-floor");
	seed_ratio(rp, "srcu-fast-atomic / srcu-fast (rseq's gain)", "srcu-fast-atomic",
	           "tps-srcu-fast");
	/* The RCU-idle dance: online, read, offline around one access. */
	seed_ratio(rp, "qsbr dance / classic (tps-qsbr-dance / tps-rcu)", "tps-qsbr-dance",
	           "tps-rcu");
	seed_ratio(rp, "qsbr dance / srcu (tps-qsbr-dance / tps-srcu)", "tps-qsbr-dance",
	           "tps-srcu");
	seed_ratio(rp, "qsbr dance / trace (tps-qsbr-dance / tps-trace)", "tps-qsbr-dance",
	           "tps-trace");
	seed_gp_table(rp);
	seed_resolution(rp);
}

/* ---- The library's performance targets ---- */

/* One target: measured value against a limit; pass when value <= limit (or >= when at_least). */
static void goal(struct report *rp, const char *what, double value, double limit, bool at_least)
{
	const char *verdict = isnan(value)     ? "n/a"
	                      : at_least       ? (value >= limit ? "PASS" : "MISS")
	                      : value <= limit ? "PASS"
	                                       : "MISS";
	char v[32];

	snprintf(v, sizeof(v), isnan(value) ? "–" : "%.3f", value);
	md(rp, "| %s | %s | %s %.3g | **%s** |\n", what, v, at_least ? "≥" : "≤", limit, verdict);
}

static void section_goals(struct report *rp)
{
	double memb = median_of(rp, "readside", "urcu-memb", 1);
	double empty = median_of(rp, "tracepoint", "empty", 1);

	md(rp, "## Performance targets\n\n");
	md(rp, "What the library is built to achieve, against this run (ratios of medians; read "
	       "side: 1 thread, base variant).\n\n");
	md(rp, "| target | measured | limit | verdict |\n|---|---|---|---|\n");
	goal(rp, "tps-rcu / urcu-memb", median_of(rp, "readside", "tps-rcu", 1) / memb, 1.1, false);
	goal(rp, "tps-trace / urcu-memb", median_of(rp, "readside", "tps-trace", 1) / memb, 1.1,
	     false);
	goal(rp, "tps-srcu-fast / tps-srcu",
	     median_of(rp, "readside", "tps-srcu-fast", 1) /
	             median_of(rp, "readside", "tps-srcu", 1),
	     0.5, false);
	goal(rp, "classic grace period with busy readers, p50: tps-rcu / urcu-memb",
	     gp_p50(rp, "tps-rcu", "busy") / gp_p50(rp, "urcu-memb", "busy"), 1.2, false);
	goal(rp, "grace period, 1,024 registered idle threads, p50: tps-rcu / urcu-memb",
	     gp_registered_p50(rp, "tps-rcu", 1024) / gp_registered_p50(rp, "urcu-memb", 1024), 0.5,
	     false);
	goal(rp, "grace period, 1,024 registered idle threads, p50: tps-trace / urcu-memb",
	     gp_registered_p50(rp, "tps-trace", 1024) / gp_registered_p50(rp, "urcu-memb", 1024),
	     1.0, false);
	goal(rp, "grace period, 1 registered idle thread, p50: tps-rcu / urcu-memb",
	     gp_registered_p50(rp, "tps-rcu", 1) / gp_registered_p50(rp, "urcu-memb", 1), 1.0,
	     false);
	goal(rp, "grace period, 1 registered idle thread, p50: tps-trace / urcu-memb",
	     gp_registered_p50(rp, "tps-trace", 1) / gp_registered_p50(rp, "urcu-memb", 1), 1.0,
	     false);
	goal(rp, "tps-qsbr / urcu-qsbr",
	     median_of(rp, "readside", "tps-qsbr", 1) / median_of(rp, "readside", "urcu-qsbr", 1),
	     1.05, false);
	goal(rp, "QSBR grace period with busy readers, p50: tps-qsbr / urcu-qsbr",
	     gp_p50(rp, "tps-qsbr", "busy") / gp_p50(rp, "urcu-qsbr", "busy"), 1.0, false);
	goal(rp, "tps-srcu grace period with no readers, p50 (µs)",
	     gp_p50(rp, "tps-srcu", "none") / 1e3, 0.5, false);
	goal(rp, "disabled tracepoint minus empty loop (ns)",
	     median_of(rp, "tracepoint", "disabled", 1) - empty, 0.3, false);
	goal(rp, "tracepoint with one probe and its SDT probe / without (`tracepoint-sdt`)",
	     median_of(rp, "tracepoint-sdt", "normal-1", 1) /
	             median_of(rp, "tracepoint-sdt", "normal-1-nosdt", 1),
	     1.1, false);
	goal(rp, "tps-rcu: 2-thread aggregate throughput / 1 thread", scaling(rp, "tps-rcu"), 1.8,
	     true);
	goal(rp, "tps-trace: 2-thread aggregate throughput / 1 thread", scaling(rp, "tps-trace"),
	     1.8, true);
	goal(rp, "tps-srcu-fast: 2-thread aggregate throughput / 1 thread",
	     scaling(rp, "tps-srcu-fast"), 1.8, true);
	md(rp,
	   "\nThe scaling ceiling of this machine in this run: the empty loop, which shares "
	   "nothing between threads, scales %.2f from 1 to 2 threads (time taken by other "
	   "processes and the hypervisor lowers it).\n\n",
	   scaling(rp, "empty"));
}

/* ---- Summary: which flavour should I use ---- */

/*
 * One row of the summary table: read side at 1 thread and grace-period p50 in
 * the three scenarios. read_side, when not NULL, replaces the read-side
 * figure (RCU Tasks has no read side to time).
 */
static void summary_row(struct report *rp, const char *need, const char *flavour, const char *impl,
                        const char *read_side)
{
	char v[4][32];

	md(rp, "| %s | %s | %s | %s | %s | %s |\n", need, flavour,
	   read_side ?: fmt_ns(median_of(rp, "readside", impl, 1), v[0], 32),
	   fmt_ns(gp_p50(rp, impl, "none"), v[1], 32), fmt_ns(gp_p50(rp, impl, "busy"), v[2], 32),
	   fmt_ns(gp_p50(rp, impl, "holder"), v[3], 32));
}

/* srcu-fast against srcu: the reads per update above which srcu-fast costs less. */
static void summary_srcu_choice(struct report *rp)
{
	double rs = median_of(rp, "readside", "tps-srcu", 1);
	double rf = median_of(rp, "readside", "tps-srcu-fast", 1);
	double gs = gp_p50(rp, "tps-srcu", "none"), gf = gp_p50(rp, "tps-srcu-fast", "none");
	char a[32], b[32];

	if (isnan(rs) || isnan(rf) || isnan(gs) || isnan(gf))
		return;
	if (rs <= rf) {
		md(rp, "- SRCU: in this run tps-srcu-fast readers were not cheaper than tps-srcu "
		       "ones; prefer tps-srcu, whose grace periods need no membarrier.\n");
		return;
	}
	md(rp, "- SRCU: a tps-srcu-fast reader saves %s per lock/unlock pair",
	   fmt_ns(rs - rf, a, 32));
	if (gf > gs)
		md(rp,
		   "; its grace period costs %s more with no readers (a membarrier). It pays "
		   "off once a domain sees more than %.0f reads per update, as almost every "
		   "read-mostly domain does; below that, use tps-srcu.\n",
		   fmt_ns(gf - gs, b, 32), (gf - gs) / (rs - rf));
	else
		md(rp, ", and its grace periods were no slower here: use tps-srcu-fast.\n");
}

/* QSBR against liburcu's QSBR flavour: the read side and the busy grace period. */
static void summary_qsbr(struct report *rp)
{
	double rt = median_of(rp, "readside", "tps-qsbr", 1);
	double ru = median_of(rp, "readside", "urcu-qsbr", 1);
	double gt = gp_p50(rp, "tps-qsbr", "busy"), gu = gp_p50(rp, "urcu-qsbr", "busy");
	char a[32], b[32], c[32], d[32], e[32], f[32];

	if (isnan(rt) || isnan(ru) || isnan(gt) || isnan(gu))
		return;
	md(rp,
	   "- QSBR: a tps-qsbr reader costs %s per pair, liburcu's urcu-qsbr %s (ratio %s; both "
	   "are empty, the figure is the loop's own cost); with busy readers a grace period "
	   "takes %s at p50 against urcu-qsbr's %s (ratio %s). Its readers are free because "
	   "every thread announces quiescent states (`tps_qsbr_quiescent_state()`) and goes "
	   "offline before it blocks.\n",
	   fmt_ns(rt, a, 32), fmt_ns(ru, b, 32), fmt_ratio(rt / ru, c, 32), fmt_ns(gt, d, 32),
	   fmt_ns(gu, e, 32), fmt_ratio(gt / gu, f, 32));
}

/*
 * The RCU-idle dance (online, read, offline around one access) against the
 * plain readers of the flavours a thread that is mostly idle could use.
 */
static void summary_qsbr_dance(struct report *rp)
{
	double dance = median_of(rp, "readside", "tps-qsbr-dance", 1);
	double rcu = median_of(rp, "readside", "tps-rcu", 1);
	double srcu = median_of(rp, "readside", "tps-srcu", 1);
	double fast = median_of(rp, "readside", "tps-srcu-fast", 1);
	double trace = median_of(rp, "readside", "tps-trace", 1);
	double best = fmin(fmin(rcu, trace), fmin(srcu, fast));
	char a[32], b[32], c[32], d[32], e[32];

	if (isnan(dance) || isnan(best))
		return;
	md(rp,
	   "- A QSBR thread that stays offline and goes online, reads and goes offline around "
	   "each access pays %s per access: %s times a classic reader, %s times a tasks-trace "
	   "one, %s times an SRCU one, %s times an srcu-fast one. ",
	   fmt_ns(dance, a, 32), fmt_ratio(dance / rcu, b, 32), fmt_ratio(dance / trace, c, 32),
	   fmt_ratio(dance / srcu, d, 32), fmt_ratio(dance / fast, e, 32));
	if (dance > best)
		md(rp, "For threads that are mostly idle, a marked reader of the cheapest of "
		       "those flavours costs less than QSBR's online/offline.\n");
	else
		md(rp, "In this run it was no dearer than the cheapest of them.\n");
}

/* RCU Tasks: no read side; its grace period against the classic one. */
static void summary_tasks(struct report *rp)
{
	double tn = gp_p50(rp, "tps-tasks", "none"), tb = gp_p50(rp, "tps-tasks", "busy");
	double cn = gp_p50(rp, "tps-rcu", "none"), cb = gp_p50(rp, "tps-rcu", "busy");
	char a[32], b[32], c[32], d[32];

	if (isnan(tn) || isnan(tb) || isnan(cn) || isnan(cb))
		return;
	md(rp,
	   "- RCU Tasks: nothing on the read side; a grace period waits until every thread has "
	   "passed a quiescent state (a blocking point or `tps_rcu_tasks_qs()`): %s at p50 with "
	   "no readers and %s with busy readers, against %s and %s for the classic flavour. "
	   "Use it for what cannot be marked (trampolines, patched code), not for data.\n",
	   fmt_ns(tn, a, 32), fmt_ns(tb, b, 32), fmt_ns(cn, c, 32), fmt_ns(cb, d, 32));
}

static void summary_tracepoints(struct report *rp)
{
	double empty = median_of(rp, "tracepoint", "empty", 1);
	double off = median_of(rp, "tracepoint", "disabled", 1);
	double n1 = median_of(rp, "tracepoint", "normal-1", 1);
	double f1 = median_of(rp, "tracepoint", "faultable-1", 1);
	char a[32], b[32], c[32], d[32];

	if (isnan(off) || isnan(n1) || isnan(f1))
		return;
	md(rp,
	   "- Tracepoints: a disabled call site costs %s (the empty loop %s); with one probe, "
	   "%s on a normal tracepoint (classic readers) and %s on a faultable one (tasks-trace): "
	   "declare a tracepoint faultable only when its probes must sleep or fault.\n",
	   fmt_ns(off, a, 32), fmt_ns(empty, b, 32), fmt_ns(n1, c, 32), fmt_ns(f1, d, 32));
}

static void summary_sharing(struct report *rp)
{
	struct report_query q = {.bench = "gp-sharing", .impl = "tps-rcu", .scenario = "holder"};
	double v = report_get(rp->f, &q, "median");

	if (isnan(v))
		return;
	md(rp,
	   "- Many updaters: concurrent synchronize calls share grace periods. With a reader "
	   "holding 1 ms, four threads calling `tps_synchronize_rcu()` needed %.2f grace "
	   "periods per call (1 would be none shared): see *Callbacks and sharing*.\n",
	   v);
}

/* Grace periods against the number of registered threads, and their targets. */
static void summary_registered(struct report *rp)
{
	double memb1 = gp_registered_p50(rp, "urcu-memb", 1);
	double membk = gp_registered_p50(rp, "urcu-memb", 1024);
	double rcu1 = gp_registered_p50(rp, "tps-rcu", 1),
	       rcuk = gp_registered_p50(rp, "tps-rcu", 1024);
	double tr1 = gp_registered_p50(rp, "tps-trace", 1),
	       trk = gp_registered_p50(rp, "tps-trace", 1024);
	char a[32], b[32], c[32];

	if (isnan(membk) || isnan(rcuk) || isnan(trk))
		return;
	md(rp,
	   "- Many registered threads: with 1,024 idle registered threads a grace period took "
	   "%s (tps-rcu), %s (tps-trace) and %s (urcu-memb): %.2f and %.2f × urcu-memb "
	   "(targets ≤ 0.5 and ≤ 1.0: %s, %s); with one, %.2f and %.2f × (targets ≤ 1.0: %s, "
	   "%s). See *Registered idle threads*.\n",
	   fmt_ns(rcuk, a, 32), fmt_ns(trk, b, 32), fmt_ns(membk, c, 32), rcuk / membk, trk / membk,
	   rcuk <= 0.5 * membk ? "PASS" : "MISS", trk <= membk ? "PASS" : "MISS", rcu1 / memb1,
	   tr1 / memb1, rcu1 <= memb1 ? "PASS" : "MISS", tr1 <= memb1 ? "PASS" : "MISS");
}

static void section_summary(struct report *rp)
{
	md(rp, "## Which flavour should I use\n\n");
	md(rp, "From this run's medians: read side at 1 thread (ns per lock/unlock pair), grace "
	       "period p50 (one synchronize call) with no readers, with busy readers on every "
	       "CPU, and with one reader holding a 1 ms critical section.\n\n");
	md(rp, "| your readers | use | read side | grace period, no readers | busy readers | "
	       "1 ms holder |\n|---|---|---|---|---|---|\n");
	summary_row(rp, "never block or fault; the cheapest reads", "classic (`tps_rcu_*`)",
	            "tps-rcu", NULL);
	summary_row(rp, "may sleep, block or fault; one global domain",
	            "tasks-trace (`tps_rcu_*_trace`)", "tps-trace", NULL);
	summary_row(rp,
	            "may block; independent domains, or threads that never register (signal "
	            "handlers of any thread)",
	            "srcu-fast (`tps_srcu_*_fast`)", "tps-srcu-fast", NULL);
	summary_row(rp, "the same, with updates about as frequent as reads", "SRCU (`tps_srcu_*`)",
	            "tps-srcu", NULL);
	summary_row(rp, "never block, in threads that announce quiescent states (event loops)",
	            "QSBR (`tps_qsbr_*`)", "tps-qsbr", NULL);
	summary_row(rp,
	            "none at all: code (trampolines, patched functions) run between blocking "
	            "points",
	            "RCU Tasks (`tps_*_rcu_tasks`)", "tps-tasks", "no marking");
	summary_row(rp, "for comparison: liburcu's memb flavour", "`urcu-memb`", "urcu-memb", NULL);
	summary_row(rp, "for comparison: liburcu's QSBR flavour", "`urcu-qsbr`", "urcu-qsbr", NULL);
	md(rp, "\n");
	md(rp, "- A reader that blocks holds every grace period of its flavour for as long as it "
	       "blocks (the 1 ms column); it delays only its own flavour, and with SRCU only its "
	       "own domain.\n");
	summary_srcu_choice(rp);
	summary_qsbr(rp);
	summary_qsbr_dance(rp);
	summary_tasks(rp);
	summary_tracepoints(rp);
	summary_sharing(rp);
	summary_registered(rp);
	md(rp, "\n");
}

/* ---- Callbacks ---- */

static const char *const cb_impls[] = {"tps-rcu", "urcu-memb", "tps-trace", "tps-srcu"};
static const char *const cb_loads[] = {"flat", "bursty", "flood", "flat-malloc"};

static const struct report_record *cb_row(const struct report *rp, const char *impl,
                                          const char *load, unsigned int producers)
{
	struct report_query q = {
	        .bench = "callbacks", .impl = impl, .scenario = load, .threads = producers};

	return report_find(rp->f, &q);
}

static void section_callbacks(struct report *rp)
{
	struct report_query any = {.bench = "callbacks"};
	const struct report_record *t, *u;
	char v[5][32];

	if (!report_find(rp->f, &any))
		return;
	md(rp, "## Callbacks under load (`callbacks`)\n\n");
	md(rp, "Producers queue callbacks that give back a small object: flat out, in bursts "
	       "of 5,000 every 5 ms, or as a flood (more producers than CPUs). Throughput: "
	       "callbacks run per second, median of the runs; latency from the call to the "
	       "callback, median over the runs of each run's percentile, and the worst run's "
	       "p99; peak callbacks in flight and resident-set growth: the highest of the "
	       "runs.");
	t = cb_row(rp, "tps-rcu", "flat", 2);
	if (t && report_str(t, "objects") && strcmp(report_str(t, "objects"), "pool") == 0)
		md(rp, " The objects come from a pool per producer, to which the callbacks "
		       "return them; in the flat-malloc rows the producers allocate them and the "
		       "callbacks free them, and the worker's frees contend with the producers' "
		       "allocations for glibc's arena locks: those rows measure the allocator as "
		       "much as the flavour.");
	else
		md(rp, " The producers allocate the objects with malloc() and the callbacks free "
		       "them.");
	md(rp, "\n\n");
	md(rp, "| load | flavour | producers | callbacks/s | p50 | p99 | worst p99 | peak in "
	       "flight | RSS growth |\n|---|---|---|---|---|---|---|---|---|\n");
	for (size_t l = 0; l < NELEMS(cb_loads); l++) {
		for (size_t i = 0; i < NELEMS(cb_impls); i++) {
			unsigned int th[8];
			struct report_query q = {
			        .bench = "callbacks", .impl = cb_impls[i], .scenario = cb_loads[l]};
			size_t n = report_threads(rp->f, &q, th, NELEMS(th));

			for (size_t k = 0; k < n; k++) {
				const struct report_record *r =
				        cb_row(rp, cb_impls[i], cb_loads[l], th[k]);

				if (!r)
					continue;
				snprintf(v[0], 32, "%.3g", report_num(r, "median"));
				md(rp, "| %s | %s | %u | %s | %s | %s | %s | %.0f | %.0f KiB%s |\n",
				   cb_loads[l], cb_impls[i], th[k], v[0],
				   fmt_ns(report_num(r, "p50"), v[1], 32),
				   fmt_ns(report_num(r, "p99"), v[2], 32),
				   fmt_ns(report_num(r, "p99_worst"), v[3], 32),
				   report_num(r, "peak_in_flight"), report_num(r, "rss_growth_kb"),
				   report_num(r, "capped") > 0 ? " (capped)" : "");
			}
		}
	}
	md(rp, "\n| goal | measured | limit | verdict |\n|---|---|---|---|\n");
	t = cb_row(rp, "tps-rcu", "flat", 2);
	u = cb_row(rp, "urcu-memb", "flat", 2);
	goal(rp, "2 producers flat out: throughput tps-rcu / urcu-memb",
	     t && u ? report_num(t, "median") / report_num(u, "median") : NAN, 1.3, true);
	t = cb_row(rp, "tps-rcu", "bursty", 2);
	u = cb_row(rp, "urcu-memb", "bursty", 2);
	goal(rp, "2 producers bursty: p99 tps-rcu / urcu-memb",
	     t && u ? report_num(t, "p99") / report_num(u, "p99") : NAN, 0.25, false);
	goal(rp, "2 producers bursty, tps-rcu, worst run: p99 / max(p50, 1 ms)",
	     t ? report_num(t, "p99_worst") / fmax(report_num(t, "p50_worst"), 1e6) : NAN, 4,
	     false);
	md(rp, "\n");
}

/* ---- Plots ---- */

static void section_plots(struct report *rp, const struct report_plots *p)
{
	md(rp, "## Plots\n\n");
	if (p->missing)
		md(rp, "Plots: %s. The data is in `plots.gp`.\n\n", p->missing);
	for (size_t i = 0; i < p->n; i++)
		md(rp, "### %s\n\n![%s](%s)\n\n", p->titles[i], p->titles[i], p->files[i]);
}

/* ---- The subcommand ---- */

static int usage(void)
{
	fputs("usage: tpsync-bench report FILE.jsonl [--out DIR]\n"
	      "  writes DIR/report.md, DIR/plots.gp and the PNG plots (DIR: FILE's directory)\n",
	      stderr);
	return 2;
}

/* The directory part of path ("." when there is none), in buf. */
static const char *dir_of(const char *path, char *buf, size_t size)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(buf, size, ".");
	else
		snprintf(buf, size, "%.*s", (int)(slash - path) ?: 1, path);
	return buf;
}

static int write_report(const struct report_file *f, const char *in, const char *dir)
{
	struct report_query readside = {.bench = "readside"};
	struct report rp = {.f = f, .max_threads = report_all_cpus_threads(f, &readside)};
	struct report_plots plots;
	char path[4096];

	if (snprintf(path, sizeof(path), "%s/report.md", dir) >= (int)sizeof(path)) {
		fprintf(stderr, "tpsync-bench: report: %s: path too long\n", dir);
		return 1;
	}
	report_plots(f, dir, &plots);
	rp.md = fopen(path, "w");
	if (!rp.md) {
		fprintf(stderr, "tpsync-bench: report: cannot write %s: %s\n", path,
		        strerror(errno));
		return 1;
	}
	header(&rp, in);
	section_summary(&rp);
	section_readside(&rp);
	section_barrier(&rp);
	section_gp(&rp);
	section_tracepoint(&rp);
	section_callbacks(&rp);
	section_seeds(&rp);
	section_goals(&rp);
	section_plots(&rp, &plots);
	if (fclose(rp.md) != 0) {
		fprintf(stderr, "tpsync-bench: report: writing %s: %s\n", path, strerror(errno));
		return 1;
	}
	printf("report: %s (%zu plots)\n", path, plots.n);
	return 0;
}

int bench_report_main(int argc, char **argv)
{
	const char *in = NULL, *dir = NULL;
	char dirbuf[4096];
	struct report_file f;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strncmp(argv[i], "--out=", 6) == 0)
			dir = argv[i] + 6;
		else if (argv[i][0] != '-' && !in)
			in = argv[i];
		else
			return usage();
	}
	if (!in)
		return usage();
	if (!dir)
		dir = dir_of(in, dirbuf, sizeof(dirbuf));
	if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
		fprintf(stderr, "tpsync-bench: report: cannot create %s: %s\n", dir,
		        strerror(errno));
		return 1;
	}
	if (report_load(in, &f) != 0)
		return 1;
	rc = write_report(&f, in, dir);
	report_free(&f);
	return rc;
}
