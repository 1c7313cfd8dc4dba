/* SPDX-License-Identifier: MIT */
/*
 * tracepoint.c - `tpsync-bench tracepoint`: what a tracepoint costs.
 *
 * Call-site rows (ns per call, timed by loops.c, interleaved):
 *   empty            the loop alone (readside's floor row);
 *   disabled         a call site of a tracepoint with no probe: one relaxed
 *                    load and a branch not taken;
 *   normal-N         a call site with N probes attached (N = 1, 2, 4, 16),
 *                    run under the classic read lock;
 *   faultable-N      the same on a faultable tracepoint (tasks-trace read
 *                    lock, probes registered with TPS_PROBE_MAY_FAULT);
 *   disabled-nosdt, normal-1-nosdt
 *                    disabled and normal-1 compiled without the SDT probe
 *                    (tracepoint_nosdt.c), as a TPSYNC_SDT=OFF build has
 *                    them: the same run shows what the SDT probe costs;
 *   recursion-guard  the per-thread guard every enabled call takes and
 *                    drops (tps__tracepoint_enter/exit), alone.
 * Then tracepoint-sdt: the SDT rows and their twins alone, in processes of
 * their own (see measure_sdt()).
 * Each row has a tracepoint of its own, so that all stay attached while
 * they are measured together. A probe is an empty function.
 *
 * Latency rows: register-normal and register-faultable, one sample being
 * register a probe + unregister it + tps_tracepoint_synchronize_unregister(),
 * the whole cost of attaching and safely detaching a probe.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <tpsync/tracepoint.h>

#include "bench.h"
#include "readside.h"

#define QUICK_RUNS 31
#define FULL_RUNS 61
#define QUICK_BATCH_NS 2000000.0
#define FULL_BATCH_NS 5000000.0
/* The most probes a row attaches. */
#define MAX_PROBES 16
/* A batch of register/unregister samples lasts this long (a sample: 0.1-100 µs). */
#define REG_BATCH_NS 2000000ULL

/* A tracepoint of each row, its call-site loop and the row. */
#define BENCH_TRACEPOINT(tp, declare, kind_name, probes)                                           \
	declare(tp, TPS_PROTO(unsigned long v), TPS_ARGS(v));                                      \
	TPS_TRACEPOINT_DEFINE(tp);                                                                 \
	static READSIDE_NOINLINE void tp##_loop(unsigned long iterations)                          \
	{                                                                                          \
		READSIDE_LOOP(iterations, tps_trace_##tp(0), (void)0);                             \
	}                                                                                          \
	static const struct readside_impl row_##tp = {                                             \
	        .name = #tp,                                                                       \
	        .setup = register_thread,                                                          \
	        .teardown = unregister_thread,                                                     \
	        .loop = tp##_loop,                                                                 \
	};                                                                                         \
	static int attach_##tp(void *data)                                                         \
	{                                                                                          \
		return tps_register_trace_##tp(empty_probe, data);                                 \
	}                                                                                          \
	static void detach_##tp(void *data)                                                        \
	{                                                                                          \
		tps_unregister_trace_##tp(empty_probe, data);                                      \
	}                                                                                          \
	static const struct tp_row tp_row_##tp = {                                                 \
	        .kind = kind_name,                                                                 \
	        .row = &row_##tp,                                                                  \
	        .nprobes = probes,                                                                 \
	        .attach = attach_##tp,                                                             \
	        .detach = detach_##tp,                                                             \
	}

struct tp_row {
	/* "normal" or "faultable". */
	const char *kind;
	/* The row's name when it is not made of kind and nprobes. */
	const char *name;
	const struct readside_impl *row;
	unsigned int nprobes;
	int (*attach)(void *data);
	void (*detach)(void *data);
};

/* Distinct data pointers, so that one probe function attaches many times. */
static char probe_data[MAX_PROBES];

static void empty_probe(void *data, unsigned long v)
{
	(void)data;
	(void)v;
	READSIDE_BARRIER();
}

static void register_thread(void)
{
	tps_register_thread();
}

static void unregister_thread(void)
{
	tps_unregister_thread();
}

BENCH_TRACEPOINT(tpsbench_disabled, TPS_TRACEPOINT_DECLARE, "normal", 0);
BENCH_TRACEPOINT(tpsbench_normal_1, TPS_TRACEPOINT_DECLARE, "normal", 1);
BENCH_TRACEPOINT(tpsbench_normal_2, TPS_TRACEPOINT_DECLARE, "normal", 2);
BENCH_TRACEPOINT(tpsbench_normal_4, TPS_TRACEPOINT_DECLARE, "normal", 4);
BENCH_TRACEPOINT(tpsbench_normal_16, TPS_TRACEPOINT_DECLARE, "normal", 16);
BENCH_TRACEPOINT(tpsbench_faultable_1, TPS_TRACEPOINT_DECLARE_FAULTABLE, "faultable", 1);
BENCH_TRACEPOINT(tpsbench_faultable_2, TPS_TRACEPOINT_DECLARE_FAULTABLE, "faultable", 2);
BENCH_TRACEPOINT(tpsbench_faultable_4, TPS_TRACEPOINT_DECLARE_FAULTABLE, "faultable", 4);
BENCH_TRACEPOINT(tpsbench_faultable_16, TPS_TRACEPOINT_DECLARE_FAULTABLE, "faultable", 16);
/* Attached and detached by the latency rows only. */
BENCH_TRACEPOINT(tpsbench_reg_normal, TPS_TRACEPOINT_DECLARE, "normal", 1);
BENCH_TRACEPOINT(tpsbench_reg_faultable, TPS_TRACEPOINT_DECLARE_FAULTABLE, "faultable", 1);

static const struct readside_impl row_nosdt_disabled = {
        .name = "disabled-nosdt",
        .setup = register_thread,
        .teardown = unregister_thread,
        .loop = bench_tp_nosdt_disabled_loop,
};
static const struct readside_impl row_nosdt_normal_1 = {
        .name = "normal-1-nosdt",
        .setup = register_thread,
        .teardown = unregister_thread,
        .loop = bench_tp_nosdt_normal_1_loop,
};
static const struct tp_row tp_row_nosdt_disabled = {
        .kind = "normal",
        .name = "disabled-nosdt",
        .row = &row_nosdt_disabled,
        .nprobes = 0,
};
static const struct tp_row tp_row_nosdt_normal_1 = {
        .kind = "normal",
        .name = "normal-1-nosdt",
        .row = &row_nosdt_normal_1,
        .nprobes = 1,
        .attach = bench_tp_nosdt_attach,
        .detach = bench_tp_nosdt_detach,
};

static const struct tp_row *const call_rows[] = {
        &tp_row_tpsbench_disabled,    &tp_row_tpsbench_normal_1,    &tp_row_tpsbench_normal_2,
        &tp_row_tpsbench_normal_4,    &tp_row_tpsbench_normal_16,   &tp_row_tpsbench_faultable_1,
        &tp_row_tpsbench_faultable_2, &tp_row_tpsbench_faultable_4, &tp_row_tpsbench_faultable_16,
        &tp_row_nosdt_disabled,       &tp_row_nosdt_normal_1,
};

#define NCALL_ROWS (sizeof(call_rows) / sizeof(call_rows[0]))

static READSIDE_NOINLINE void guard_loop(unsigned long iterations)
{
	READSIDE_LOOP(iterations, tps__tracepoint_enter(), tps__tracepoint_exit());
}

static const struct readside_impl row_guard = {
        .name = "recursion-guard",
        .loop = guard_loop,
};

/* "disabled", "normal-4", "faultable-16"... */
static const char *row_name(const struct tp_row *r, char *buf, size_t size)
{
	if (r->name)
		return r->name;
	if (!r->nprobes)
		return "disabled";
	snprintf(buf, size, "%s-%u", r->kind, r->nprobes);
	return buf;
}

static const char *const latency_names[] = {"register-normal", "register-faultable"};

static const struct tp_row *const latency_rows[] = {
        &tp_row_tpsbench_reg_normal,
        &tp_row_tpsbench_reg_faultable,
};

#define NLATENCY_ROWS (sizeof(latency_rows) / sizeof(latency_rows[0]))

bool bench_tracepoint_knows_impl(const char *name)
{
	char buf[32];

	if (strcmp(name, "empty") == 0 || strcmp(name, row_guard.name) == 0)
		return true;
	for (size_t i = 0; i < NCALL_ROWS; i++)
		if (strcmp(name, row_name(call_rows[i], buf, sizeof(buf))) == 0)
			return true;
	for (size_t i = 0; i < NLATENCY_ROWS; i++)
		if (strcmp(name, latency_names[i]) == 0)
			return true;
	return false;
}

void bench_tracepoint_print_impls(FILE *f)
{
	char buf[32];

	fputs(" empty", f);
	for (size_t i = 0; i < NCALL_ROWS; i++)
		fprintf(f, " %s", row_name(call_rows[i], buf, sizeof(buf)));
	fprintf(f, " %s", row_guard.name);
	for (size_t i = 0; i < NLATENCY_ROWS; i++)
		fprintf(f, " %s", latency_names[i]);
}

static int attach(const struct tp_row *r)
{
	for (unsigned int k = 0; k < r->nprobes; k++) {
		int err = r->attach(&probe_data[k]);

		if (err)
			return err;
	}
	return 0;
}

static void detach(const struct tp_row *r)
{
	for (unsigned int k = 0; k < r->nprobes; k++)
		r->detach(&probe_data[k]);
}

/* ---- Call sites ---- */

struct call_table {
	const struct readside_impl *rows[NCALL_ROWS + 2];
	const char *names[NCALL_ROWS + 2];
	char bufs[NCALL_ROWS][32];
	size_t n;
};

static void add_row(const struct bench_opts *o, struct call_table *t,
                    const struct readside_impl *row, const char *name)
{
	if (bench_impl_selected(o, name)) {
		t->rows[t->n] = row;
		t->names[t->n++] = name;
	}
}

static int call_table(const struct bench_opts *o, struct call_table *t)
{
	add_row(o, t, &readside_empty, "empty");
	for (size_t i = 0; i < NCALL_ROWS; i++) {
		const char *name = row_name(call_rows[i], t->bufs[i], sizeof(t->bufs[i]));
		int err;

		if (!bench_impl_selected(o, name))
			continue;
		err = attach(call_rows[i]);
		if (err) {
			fprintf(stderr, "tpsync-bench: tracepoint: attaching %s: %s\n", name,
			        strerror(-err));
			return 1;
		}
		add_row(o, t, call_rows[i]->row, name);
	}
	add_row(o, t, &row_guard, row_guard.name);
	return 0;
}

static void call_report(const struct bench_opts *o, const char *bench, const struct call_table *t,
                        const struct loops_spec *s, const struct loops_result *r)
{
	for (size_t k = 0; k < s->nthreads; k++) {
		for (size_t i = 0; i < t->n; i++) {
			size_t job = LOOPS_JOB(s, k, i);
			struct bench_stats st;
			struct bench_json j;

			bench_stats_compute(&r->v[job * s->runs], s->runs, &st);
			printf("%-20s %7u  %9.3f %9.3f %9.3f\n", t->names[i], s->threads[k],
			       st.median, st.min, st.max);
			bench_json_row(&j, o->json, bench, t->names[i], s->threads[k], "ns", &st,
			               s->runs);
			bench_json_uint(&j, "iterations", r->iterations[job]);
			bench_json_end(&j);
		}
	}
	fflush(stdout);
}

/* The call-site rows, with --threads (1 by default), interleaved. */
static int measure_calls(const struct bench_opts *o, unsigned int runs)
{
	static const unsigned int one = 1;
	struct call_table t = {0};
	struct loops_spec s = {.impls = t.rows,
	                       .threads = o->nthreads ? o->threads : &one,
	                       .nthreads = o->nthreads ? o->nthreads : 1,
	                       .runs = runs,
	                       .batch_ns = o->mode == BENCH_FULL ? FULL_BATCH_NS : QUICK_BATCH_NS,
	                       .label = "tracepoint"};
	struct loops_result r;
	int status = call_table(o, &t);

	printf("tracepoint: ns per call site, median, min and max of %u runs\n", runs);
	printf("%-20s %7s  %9s %9s %9s\n", "impl", "threads", "median", "min", "max");
	s.n = t.n;
	if (!status && t.n) {
		loops_measure(&s, &r);
		call_report(o, "tracepoint", &t, &s, &r);
		loops_result_free(&r);
	}
	for (size_t i = 0; i < NCALL_ROWS; i++)
		detach(call_rows[i]);
	tps_tracepoint_synchronize_unregister();
	return status;
}

/*
 * ---- What the SDT probe costs: its rows alone, in several processes ----
 *
 * The call sites with their SDT probe against the same call sites built
 * without it, interleaved with the empty loop only. A row sometimes runs
 * about 1.2 ns slower in every repetition of one measurement (seen on an
 * AMD EPYC VM with one probe: 4.17 against 5.36 ns, in any enabled row, with
 * the SDT probe or without it, in the call-site table as with these rows
 * alone, in about one measurement of 12), while the next process measures
 * the same row at 4.17 ns: it follows the process, not the code (measuring
 * again in the same process, with the probes attached anew and new threads,
 * keeps the mode: the allocator and the thread cache hand back the same
 * places). So each phase of this table runs in a process of its own
 * (SDT_PHASE_ENV set: it measures the rows once and writes one JSON line per
 * row), and a row's figure is the median of the SDT_PHASES processes'
 * medians: one process's mode does not decide the ratio.
 */
static const struct tp_row *const sdt_rows[] = {
        &tp_row_tpsbench_disabled,
        &tp_row_nosdt_disabled,
        &tp_row_tpsbench_normal_1,
        &tp_row_nosdt_normal_1,
};

#define NSDT_ROWS (sizeof(sdt_rows) / sizeof(sdt_rows[0]))
#define SDT_PHASES 5
#define SDT_PHASE_ENV "TPSYNC_BENCH_SDT_PHASE=1"
/* The rows of a phase: the empty loop, then sdt_rows. */
#define NSDT_TABLE (NSDT_ROWS + 1)

static const char *sdt_name(size_t i, char *buf, size_t size)
{
	return i == 0 ? "empty" : row_name(sdt_rows[i - 1], buf, size);
}

/* In a phase's process: the rows once, a JSON line each (median, min, max of its runs). */
static int sdt_phase(const struct bench_opts *o, unsigned int runs)
{
	static const unsigned int one = 1;
	struct call_table t = {0};
	struct loops_spec s = {.impls = t.rows,
	                       .threads = &one,
	                       .nthreads = 1,
	                       .runs = runs,
	                       .batch_ns = o->mode == BENCH_FULL ? FULL_BATCH_NS : QUICK_BATCH_NS,
	                       .label = "tracepoint-sdt"};
	struct loops_result r;
	int status = 0;

	for (size_t i = 0; i < NSDT_TABLE; i++) {
		t.rows[t.n] = i == 0 ? &readside_empty : sdt_rows[i - 1]->row;
		t.names[t.n++] = sdt_name(i, t.bufs[i], sizeof(t.bufs[i]));
		if (i > 0 && attach(sdt_rows[i - 1]) != 0) {
			fprintf(stderr, "tpsync-bench: tracepoint-sdt: cannot attach %s\n",
			        t.names[i]);
			status = 1;
		}
	}
	s.n = t.n;
	if (!status) {
		loops_measure(&s, &r);
		for (size_t i = 0; i < t.n; i++) {
			struct bench_stats st;
			struct bench_json j;

			bench_stats_compute(&r.v[LOOPS_JOB(&s, 0, i) * runs], runs, &st);
			bench_json_row(&j, o->json, "tracepoint-sdt-phase", t.names[i], 1, "ns",
			               &st, runs);
			bench_json_end(&j);
		}
		loops_result_free(&r);
	}
	for (size_t i = 0; i < NSDT_ROWS; i++)
		detach(sdt_rows[i]);
	tps_tracepoint_synchronize_unregister();
	return status;
}

/* The number after "key": in a JSON line, or NAN. */
static double json_field(const char *line, const char *key)
{
	char pat[32];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(line, pat);
	return p ? strtod(p + strlen(pat), NULL) : NAN;
}

/* Runs without --impl, or when a row built without SDT is selected. */
static int measure_sdt(const struct bench_opts *o, unsigned int runs)
{
	unsigned int per_phase = (runs + SDT_PHASES - 1) / SDT_PHASES, done = 0;
	double median[NSDT_TABLE][SDT_PHASES], lo[NSDT_TABLE], hi[NSDT_TABLE];
	char runs_arg[16], bufs[NSDT_TABLE][32];
	const char *names[NSDT_TABLE];
	const char *args[] = {"tracepoint", o->mode == BENCH_FULL ? "--full" : "--quick", "--runs",
	                      runs_arg, NULL};
	int status = 0;

	if (o->nimpls && !bench_impl_selected(o, tp_row_nosdt_disabled.name) &&
	    !bench_impl_selected(o, tp_row_nosdt_normal_1.name))
		return 0;
	snprintf(runs_arg, sizeof(runs_arg), "%u", per_phase);
	for (size_t i = 0; i < NSDT_TABLE; i++) {
		names[i] = sdt_name(i, bufs[i], sizeof(bufs[i]));
		lo[i] = INFINITY;
		hi[i] = -INFINITY;
	}
	for (unsigned int ph = 0; ph < SDT_PHASES; ph++) {
		FILE *f = tmpfile();
		unsigned int found = 0, seen[NSDT_TABLE] = {0};
		char *line = NULL;
		size_t cap = 0;

		bench_progress("tracepoint-sdt: process %u/%u", ph + 1, SDT_PHASES);
		if (!f || bench_run_child(args, SDT_PHASE_ENV, f) != 0) {
			fprintf(stderr, "tpsync-bench: tracepoint-sdt: process %u/%u failed\n",
			        ph + 1, SDT_PHASES);
			if (f)
				fclose(f);
			status = 1;
			break;
		}
		rewind(f);
		while (getline(&line, &cap, f) > 0) {
			for (size_t i = 0; i < NSDT_TABLE; i++) {
				char want[64];

				snprintf(want, sizeof(want), "\"impl\":\"%s\",", names[i]);
				if (!strstr(line, "\"bench\":\"tracepoint-sdt-phase\"") ||
				    !strstr(line, want))
					continue;
				median[i][ph] = json_field(line, "median");
				lo[i] = fmin(lo[i], json_field(line, "min"));
				hi[i] = fmax(hi[i], json_field(line, "max"));
				seen[i]++;
			}
		}
		free(line);
		fclose(f);
		/* Each row exactly once, with a median: anything else is not a measurement. */
		for (size_t i = 0; i < NSDT_TABLE; i++)
			if (seen[i] == 1 && !isnan(median[i][ph]))
				found++;
		if (found != NSDT_TABLE) {
			fprintf(stderr,
			        "tpsync-bench: tracepoint-sdt: a process measured %u rows of %zu\n",
			        found, NSDT_TABLE);
			status = 1;
			break;
		}
		done++;
	}
	bench_progress_done();
	if (status)
		return status;
	printf("\ntracepoint-sdt: the SDT rows and their twins without SDT alone, ns per call "
	       "site; "
	       "median of %u processes' medians (%u runs each), min and max of all runs\n",
	       done, per_phase);
	printf("%-20s %7s  %9s %9s %9s\n", "impl", "threads", "median", "min", "max");
	for (size_t i = 0; i < NSDT_TABLE; i++) {
		struct bench_stats st, phases;
		struct bench_json j;

		bench_stats_compute(median[i], done, &phases);
		st.median = phases.median;
		st.min = lo[i];
		st.max = hi[i];
		printf("%-20s %7u  %9.3f %9.3f %9.3f\n", names[i], 1u, st.median, st.min, st.max);
		bench_json_row(&j, o->json, "tracepoint-sdt", names[i], 1, "ns", &st,
		               done * per_phase);
		bench_json_num(&j, "process_median_min", phases.min);
		bench_json_num(&j, "process_median_max", phases.max);
		bench_json_uint(&j, "processes", done);
		bench_json_end(&j);
	}
	fflush(stdout);
	return 0;
}

/* ---- Register + unregister + synchronize_unregister ---- */

static void latency_batch(const struct tp_row *r, struct bench_samples *out)
{
	uint64_t start = bench_now_ns();

	while (bench_now_ns() - start < REG_BATCH_NS) {
		uint64_t t0 = bench_now_ns();

		if (r->attach(&probe_data[0]) != 0) {
			fprintf(stderr, "tpsync-bench: tracepoint: cannot attach a probe\n");
			exit(1);
		}
		r->detach(&probe_data[0]);
		tps_tracepoint_synchronize_unregister();
		bench_samples_add(out, (double)(bench_now_ns() - t0));
	}
}

static void measure_latency(const struct bench_opts *o, unsigned int runs)
{
	struct bench_samples samples[NLATENCY_ROWS] = {0};

	printf("\nregister + unregister + synchronize_unregister, ns\n");
	printf("%-20s %10s %10s %10s %10s %7s\n", "impl", "p50", "p90", "p99", "max", "samples");
	for (unsigned int rep = 0; rep < runs; rep++) {
		bench_progress("tracepoint register: run %u/%u", rep + 1, runs);
		for (size_t k = 0; k < NLATENCY_ROWS; k++) {
			size_t i = (rep + k) % NLATENCY_ROWS;

			if (bench_impl_selected(o, latency_names[i]))
				latency_batch(latency_rows[i], &samples[i]);
		}
	}
	bench_progress_done();
	for (size_t i = 0; i < NLATENCY_ROWS; i++) {
		struct bench_latency l;
		struct bench_json j;

		if (!samples[i].n)
			continue;
		bench_latency_compute(samples[i].v, samples[i].n, &l);
		printf("%-20s %10.0f %10.0f %10.0f %10.0f %7zu\n", latency_names[i], l.p50, l.p90,
		       l.p99, l.max, l.samples);
		bench_json_latency(&j, o->json, "tracepoint", latency_names[i], 1, &l, runs);
		bench_json_end(&j);
		bench_samples_free(&samples[i]);
	}
	fflush(stdout);
}

int bench_tracepoint(const struct bench_opts *o)
{
	unsigned int runs = bench_runs(o, QUICK_RUNS, FULL_RUNS);
	int status;

	if (getenv("TPSYNC_BENCH_SDT_PHASE"))
		return sdt_phase(o, runs);
	status = measure_calls(o, runs);

	if (measure_sdt(o, runs))
		status = 1;
	measure_latency(o, runs);
	putchar('\n');
	fflush(stdout);
	return status;
}
