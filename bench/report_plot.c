/* SPDX-License-Identifier: MIT */
/*
 * report_plot.c - the report's plots: one gnuplot script (DIR/plots.gp)
 * with its data inline, run by gnuplot in DIR, one PNG per plot.
 *
 * The terminal is pngcairo where gnuplot has it (gnuplot-nox does, and it
 * needs no display), png otherwise. Without gnuplot the script is still
 * written, and the report says there are no plots.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "report.h"

#define SCRIPT "plots.gp"
/* Most implementations, thread counts or flavours a plot shows. */
#define MAX_SERIES 64

/* What plots.gp starts with: the terminal, and no enhanced-text markup in names. */
static const char preamble[] =
        "# Written by tpsync-bench report; run `gnuplot plots.gp` in this directory.\n"
        "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
        "  set terminal pngcairo size 960,540 noenhanced font 'sans,10'\n"
        "} else {\n"
        "  set terminal png size 960,540 noenhanced\n"
        "}\n"
        "set grid ytics\n"
        "set key above\n"
        "set style fill solid 0.7 border -1\n";

struct plot_ctx {
	const struct report_file *f;
	FILE *gp;
	struct report_plots *out;
};

static void add_plot(struct plot_ctx *c, const char *file, const char *title)
{
	if (c->out->n == REPORT_MAX_PLOTS)
		return;
	c->out->files[c->out->n] = file;
	c->out->titles[c->out->n++] = title;
	fprintf(c->gp, "\nset output '%s'\nset title '%s'\n", file, title);
}

static void reset(struct plot_ctx *c)
{
	fputs("unset logscale\nunset xlabel\nunset ylabel\nset xtics norotate\nset auto\n", c->gp);
}

/* ---- Read side ---- */

/* Bars: each implementation's 1-thread and all-CPU medians, with min-max error bars. */
static void plot_readside(struct plot_ctx *c)
{
	struct report_query q = {.bench = "readside"};
	const char *impls[MAX_SERIES];
	size_t n = report_distinct(c->f, &q, "impl", impls, MAX_SERIES);
	unsigned int last = report_all_cpus_threads(c->f, &q);
	/* The series: 1 thread, and one thread per CPU when that is more. */
	unsigned int series[2] = {1, last};
	size_t nseries = last > 1 ? 2 : 1;

	if (!n)
		return;
	fputs("$readside << EOD\n", c->gp);
	for (size_t i = 0; i < n; i++) {
		fprintf(c->gp, "\"%s\"", impls[i]);
		for (size_t k = 0; k < nseries; k++) {
			struct report_query r = {
			        .bench = "readside", .impl = impls[i], .threads = series[k]};

			fprintf(c->gp, " %g %g %g", report_get(c->f, &r, "median"),
			        report_get(c->f, &r, "min"), report_get(c->f, &r, "max"));
		}
		fputc('\n', c->gp);
	}
	fputs("EOD\n", c->gp);
	add_plot(c, "readside.png", "Read-side cost per lock/unlock pair (median, min-max)");
	fprintf(c->gp,
	        "set logscale y\nset ylabel 'ns per pair per thread'\nset xtics rotate by -40\n"
	        "set style data histogram\nset style histogram errorbars gap 1 lw 1\n"
	        "plot $readside using 2:3:4:xtic(1) title '1 thread'");
	if (nseries > 1)
		fprintf(c->gp, ", '' using 5:6:7 title '%u threads'", last);
	fputs("\n", c->gp);
	reset(c);
}

/* Lines: aggregate million pairs per second against threads, per implementation. */
static void plot_readside_threads(struct plot_ctx *c)
{
	struct report_query q = {.bench = "readside"};
	const char *impls[MAX_SERIES];
	unsigned int threads[MAX_SERIES];
	size_t n = report_distinct(c->f, &q, "impl", impls, MAX_SERIES);
	size_t nt = report_threads(c->f, &q, threads, MAX_SERIES);
	struct report_query ctx = {.bench = "context"};
	double nproc = report_get(c->f, &ctx, "nproc");

	if (!n || nt < 2)
		return;
	fputs("$threads << EOD\nthreads", c->gp);
	for (size_t i = 0; i < n; i++)
		fprintf(c->gp, " \"%s\"", impls[i]);
	for (size_t k = 0; k < nt; k++) {
		fprintf(c->gp, "\n%u", threads[k]);
		for (size_t i = 0; i < n; i++) {
			struct report_query r = {
			        .bench = "readside", .impl = impls[i], .threads = threads[k]};
			double ns = report_get(c->f, &r, "median");

			/* threads / (ns per pair per thread) pairs per ns = 1e3 M pairs/s */
			fprintf(c->gp, " %g", ns > 0 ? threads[k] * 1e3 / ns : NAN);
		}
	}
	fputs("\nEOD\n", c->gp);
	add_plot(c, "readside-threads.png",
	         "Aggregate read-side throughput against threads (right of the dashed line: "
	         "more threads than CPUs)");
	/* Both axes logarithmic: thread counts double, throughputs span decades. */
	fputs("set logscale xy 2\nset logscale y 10\nset xlabel 'threads'\n"
	      "set ylabel 'million pairs per second, all threads'\nset xtics (",
	      c->gp);
	for (size_t k = 0; k < nt; k++)
		fprintf(c->gp, "%s%u", k ? ", " : "", threads[k]);
	fprintf(c->gp, ")\nset xrange [%g:%g]\nset key outside right\n", threads[0] / 1.2,
	        threads[nt - 1] * 1.2);
	if (!isnan(nproc) && nproc >= 1)
		fprintf(c->gp,
		        "set arrow 1 from %g, graph 0 to %g, graph 1 nohead dashtype 2\n"
		        "set label 1 '%g CPUs' at %g, graph 0.97 left offset 0.5,0\n",
		        nproc, nproc, nproc, nproc);
	fprintf(c->gp,
	        "plot for [i=2:%zu] $threads using 1:i with linespoints title columnhead(i)\n"
	        "set key above\nunset arrow 1\nunset label 1\nunset xrange\nunset xtics\nset "
	        "xtics\n",
	        n + 1);
	reset(c);
}

/* ---- Grace periods ---- */

static void plot_gp(struct plot_ctx *c, const char *scenario, const char *file, const char *title)
{
	struct report_query q = {.bench = "gp", .scenario = scenario};
	const char *impls[MAX_SERIES];
	size_t n = report_distinct(c->f, &q, "impl", impls, MAX_SERIES);

	double lowest = INFINITY;

	if (!n)
		return;
	fprintf(c->gp, "$gp_%s << EOD\n", scenario);
	for (size_t i = 0; i < n; i++) {
		struct report_query r = {.bench = "gp", .impl = impls[i], .scenario = scenario};
		double p50 = report_get(c->f, &r, "p50") / 1e3;

		/* In microseconds. */
		fprintf(c->gp, "\"%s\" %g %g %g %g\n", impls[i], p50,
		        report_get(c->f, &r, "p90") / 1e3, report_get(c->f, &r, "p99") / 1e3,
		        report_get(c->f, &r, "max") / 1e3);
		lowest = fmin(lowest, p50);
	}
	fputs("EOD\n", c->gp);
	add_plot(c, file, title);
	/* Bars of a log scale start at its bottom: put it well below the shortest. */
	fprintf(c->gp,
	        "set logscale y\nset yrange [%g:*]\nset ylabel 'microseconds'\n"
	        "set style data histogram\nset style histogram clustered gap 1\n"
	        "plot for [i=2:5] $gp_%s using i:xtic(1) title word('p50 p90 p99 max', i - 1)\n",
	        lowest > 0 && isfinite(lowest) ? lowest / 4 : 1e-3, scenario);
	reset(c);
}

/* Lines: p50 of each flavour against the number of registered idle threads. */
static void plot_gp_registered(struct plot_ctx *c)
{
	static const unsigned int counts[] = {1, 16, 64, 256, 1024};
	struct report_query q = {.bench = "gp", .scenario = "registered"};
	const char *impls[MAX_SERIES];
	size_t n = report_distinct(c->f, &q, "impl", impls, MAX_SERIES);

	if (!n)
		return;
	fputs("$gp_registered << EOD\nregistered", c->gp);
	for (size_t i = 0; i < n; i++)
		fprintf(c->gp, " \"%s\"", impls[i]);
	for (size_t k = 0; k < sizeof(counts) / sizeof(counts[0]); k++) {
		fprintf(c->gp, "\n%u", counts[k]);
		for (size_t i = 0; i < n; i++) {
			struct report_query r = {.bench = "gp",
			                         .impl = impls[i],
			                         .scenario = "registered",
			                         .registered = counts[k]};

			/* In microseconds; NaN (a gap) where the run has no such row. */
			fprintf(c->gp, " %g", report_get(c->f, &r, "p50") / 1e3);
		}
	}
	fputs("\nEOD\n", c->gp);
	add_plot(c, "gp-registered.png",
	         "Grace-period latency (p50) against registered idle threads");
	fputs("set logscale xy\nset xlabel 'registered idle threads'\nset ylabel "
	      "'microseconds'\nset xtics (1, 16, 64, 256, 1024)\nset key outside right\n",
	      c->gp);
	fprintf(c->gp,
	        "plot for [i=2:%zu] $gp_registered using 1:i with linespoints title "
	        "columnhead(i)\nset key above\nunset xtics\nset xtics\n",
	        n + 1);
	reset(c);
}

/* ---- Tracepoints ---- */

static void plot_tracepoint(struct plot_ctx *c)
{
	static const unsigned int probes[] = {1, 2, 4, 16};
	struct report_query q = {.bench = "tracepoint", .impl = "disabled", .threads = 1};
	double disabled = report_get(c->f, &q, "median");

	if (isnan(disabled))
		return;
	fprintf(c->gp, "$tracepoint << EOD\n0 %g %g\n", disabled, disabled);
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		char normal[32], faultable[32];
		struct report_query n = {.bench = "tracepoint", .impl = normal, .threads = 1};
		struct report_query f = {.bench = "tracepoint", .impl = faultable, .threads = 1};

		snprintf(normal, sizeof(normal), "normal-%u", probes[i]);
		snprintf(faultable, sizeof(faultable), "faultable-%u", probes[i]);
		fprintf(c->gp, "%u %g %g\n", probes[i], report_get(c->f, &n, "median"),
		        report_get(c->f, &f, "median"));
	}
	fputs("EOD\n", c->gp);
	q.impl = "empty";
	add_plot(c, "tracepoint.png", "Tracepoint call-site cost against attached probes");
	fprintf(c->gp,
	        "set xlabel 'probes attached (0: disabled)'\nset ylabel 'ns per call'\n"
	        "set xtics (0, 1, 2, 4, 8, 16)\n"
	        "plot $tracepoint using 1:2 with linespoints title 'normal (classic RCU)', "
	        "'' using 1:3 with linespoints title 'faultable (tasks-trace)', "
	        "%g with lines dashtype 2 title 'empty loop'\n",
	        report_get(c->f, &q, "median"));
	reset(c);
}

/* ---- Barriers ---- */

static void plot_fences(struct plot_ctx *c)
{
	static const char *const fences[] = {"compiler-barrier", "fence-seq-cst", "locked-add",
	                                     "mfence", "xchg"};
	size_t rows = 0;

	fputs("$fences << EOD\n", c->gp);
	for (size_t i = 0; i < sizeof(fences) / sizeof(fences[0]); i++) {
		struct report_query q = {.bench = "barrier", .impl = fences[i], .threads = 1};
		const struct report_record *r = report_find(c->f, &q);

		if (!r)
			continue;
		fprintf(c->gp, "\"%s\" %g %g %g\n", fences[i], report_num(r, "median"),
		        report_num(r, "min"), report_num(r, "max"));
		rows++;
	}
	fputs("EOD\n", c->gp);
	if (!rows)
		return;
	add_plot(c, "fences.png", "Fence cost (median, min-max)");
	/* A compiler barrier costs nothing, mfence tens of ns: decades apart. */
	fputs("set logscale y\nset ylabel 'ns per fence'\nset style data histogram\n"
	      "set style histogram errorbars gap 1 lw 1\n"
	      "plot $fences using 2:3:4:xtic(1) notitle\n",
	      c->gp);
	reset(c);
}

static void plot_membarrier(struct plot_ctx *c)
{
	size_t rows = 0;

	fputs("$membarrier << EOD\n", c->gp);
	for (size_t i = 0; i < c->f->n; i++) {
		const struct report_record *r = &c->f->records[i];
		const char *bench = report_str(r, "bench"), *impl = report_str(r, "impl");
		double sleeping = report_num(r, "sleeping");

		if (!bench || !impl || strcmp(bench, "barrier") || strcmp(impl, "membarrier"))
			continue;
		fprintf(c->gp, "\"%s %g\" %g %g %g\n", sleeping > 0 ? "sleeping" : "busy",
		        sleeping > 0 ? sleeping : report_num(r, "threads"),
		        report_num(r, "median") / 1e3, report_num(r, "min") / 1e3,
		        report_num(r, "max") / 1e3);
		rows++;
	}
	fputs("EOD\n", c->gp);
	if (!rows)
		return;
	add_plot(c, "membarrier.png",
	         "membarrier(PRIVATE_EXPEDITED) cost against busy and sleeping threads");
	fputs("set ylabel 'microseconds per call'\nset xlabel 'other threads of the process'\n"
	      "set style data histogram\nset style histogram errorbars gap 1 lw 1\n"
	      "plot $membarrier using 2:3:4:xtic(1) notitle\n",
	      c->gp);
	reset(c);
}

/* ---- Running gnuplot ---- */

/* Run gnuplot SCRIPT in dir; its exit status, or 127 when it could not run. */
static int run_gnuplot(const char *dir)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return 127;
	if (pid == 0) {
		if (chdir(dir) == 0)
			execlp("gnuplot", "gnuplot", SCRIPT, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return 127;
	return WEXITSTATUS(status);
}

/* Does dir/file exist and start with the PNG signature? */
static bool is_png(const char *dir, const char *file)
{
	static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
	unsigned char head[8];
	char path[4096];
	FILE *f;
	bool ok;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "rb");
	if (!f)
		return false;
	ok = fread(head, 1, sizeof(head), f) == sizeof(head) && memcmp(head, sig, 8) == 0;
	fclose(f);
	return ok;
}

/* Keep only the plots gnuplot really made. */
static void keep_made(const char *dir, struct report_plots *out)
{
	size_t k = 0;

	for (size_t i = 0; i < out->n; i++) {
		if (!is_png(dir, out->files[i]))
			continue;
		out->files[k] = out->files[i];
		out->titles[k++] = out->titles[i];
	}
	out->n = k;
}

static void write_script(const struct report_file *f, FILE *gp, struct report_plots *out)
{
	struct plot_ctx c = {.f = f, .gp = gp, .out = out};

	fputs(preamble, gp);
	plot_readside(&c);
	plot_readside_threads(&c);
	plot_gp(&c, "none", "gp-none.png", "Grace-period latency, no readers");
	plot_gp(&c, "busy", "gp-busy.png", "Grace-period latency, short readers on every CPU");
	plot_gp(&c, "holder", "gp-holder.png",
	        "Grace-period latency, one reader holding 1 ms critical sections");
	plot_gp_registered(&c);
	plot_tracepoint(&c);
	plot_fences(&c);
	plot_membarrier(&c);
}

void report_plots(const struct report_file *f, const char *dir, struct report_plots *out)
{
	char path[4096];
	FILE *gp;
	int rc;

	*out = (struct report_plots){0};
	snprintf(path, sizeof(path), "%s/" SCRIPT, dir);
	gp = fopen(path, "w");
	if (!gp) {
		out->missing = "the gnuplot script could not be written";
		return;
	}
	write_script(f, gp, out);
	if (fclose(gp) != 0) {
		out->n = 0;
		out->missing = "the gnuplot script could not be written";
		return;
	}
	if (!out->n)
		return;
	rc = run_gnuplot(dir);
	if (rc == 127)
		out->missing = "gnuplot was not found (Debian: apt-get install gnuplot-nox)";
	else if (rc != 0)
		out->missing = "gnuplot failed (see its messages on stderr)";
	keep_made(dir, out);
}
