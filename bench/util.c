/* SPDX-License-Identifier: MIT */
/*
 * util.c - timing, statistics, CPU placement, JSON lines and the progress
 * line for tpsync-bench.
 */
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<sys/rseq.h>)
#include <sys/rseq.h>
#define BENCH_HAVE_RSEQ_H 1
#endif
#endif
#ifndef BENCH_HAVE_RSEQ_H
#define BENCH_HAVE_RSEQ_H 0
#endif

#include <tpsync/core.h>

#include "bench.h"

/* Seconds between progress lines when stderr is not a terminal. */
#define PROGRESS_LOG_INTERVAL_NS (5ULL * 1000 * 1000 * 1000)

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

void bench_stats_compute(double *v, unsigned int n, struct bench_stats *out)
{
	qsort(v, n, sizeof(*v), cmp_double);
	out->min = v[0];
	out->max = v[n - 1];
	out->median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Nearest rank: the smallest sample with at least p of the samples at or below it. */
static double percentile(const double *sorted, size_t n, double p)
{
	size_t rank = (size_t)ceil(p * (double)n);

	return sorted[rank ? rank - 1 : 0];
}

void bench_latency_compute(double *v, size_t n, struct bench_latency *out)
{
	qsort(v, n, sizeof(*v), cmp_double);
	out->min = v[0];
	out->p50 = percentile(v, n, 0.50);
	out->p90 = percentile(v, n, 0.90);
	out->p99 = percentile(v, n, 0.99);
	out->max = v[n - 1];
	out->samples = n;
}

void *bench_calloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p) {
		fprintf(stderr, "tpsync-bench: out of memory\n");
		exit(1);
	}
	return p;
}

void *bench_aligned_calloc(size_t align, size_t n, size_t size)
{
	size_t bytes = (n ? n : 1) * size;
	void *p;

	/* aligned_alloc() wants a multiple of the alignment. */
	bytes = (bytes + align - 1) / align * align;
	p = aligned_alloc(align, bytes);
	if (!p) {
		fprintf(stderr, "tpsync-bench: out of memory\n");
		exit(1);
	}
	return memset(p, 0, bytes);
}

void bench_samples_add(struct bench_samples *s, double x)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 1024;
		double *v = realloc(s->v, cap * sizeof(*v));

		if (!v) {
			fprintf(stderr, "tpsync-bench: out of memory\n");
			exit(1);
		}
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = x;
}

void bench_samples_free(struct bench_samples *s)
{
	free(s->v);
	*s = (struct bench_samples){0};
}

void bench_spin_ns(uint64_t ns)
{
	uint64_t end = bench_now_ns() + ns;

	while (bench_now_ns() < end)
		;
}

void bench_sleep_ns(uint64_t ns)
{
	struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000ULL),
	                      .tv_nsec = (long)(ns % 1000000000ULL)};

	while (nanosleep(&ts, &ts) != 0)
		;
}

/*
 * The CPUs the process may run on, as its first caller (the main thread,
 * before it pins anything) found them: threads pinned later must not shrink
 * the set the others are placed in.
 */
static cpu_set_t process_cpus;
static unsigned int process_ncpus;
static pthread_once_t process_cpus_once = PTHREAD_ONCE_INIT;

static void process_cpus_init(void)
{
	long n;

	if (sched_getaffinity(0, sizeof(process_cpus), &process_cpus) == 0 &&
	    CPU_COUNT(&process_cpus) > 0) {
		process_ncpus = (unsigned int)CPU_COUNT(&process_cpus);
		return;
	}
	n = sysconf(_SC_NPROCESSORS_ONLN);
	process_ncpus = n > 0 ? (unsigned int)n : 1;
	CPU_ZERO(&process_cpus);
	for (unsigned int cpu = 0; cpu < process_ncpus && cpu < CPU_SETSIZE; cpu++)
		CPU_SET(cpu, &process_cpus);
}

unsigned int bench_cpu_count(void)
{
	pthread_once(&process_cpus_once, process_cpus_init);
	return process_ncpus;
}

int bench_pin_thread(unsigned int index)
{
	cpu_set_t one;
	unsigned int seen = 0;

	pthread_once(&process_cpus_once, process_cpus_init);
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &process_cpus) || seen++ != index)
			continue;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		return pthread_setaffinity_np(pthread_self(), sizeof(one), &one) ? -1 : 0;
	}
	return -1;
}

int bench_unpin_thread(void)
{
	pthread_once(&process_cpus_once, process_cpus_init);
	return pthread_setaffinity_np(pthread_self(), sizeof(process_cpus), &process_cpus) ? -1 : 0;
}

/* ---- JSON lines ---- */

static void json_write_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (*p < 0x20)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

static void json_key(struct bench_json *j, const char *key)
{
	if (!j->first)
		fputc(',', j->f);
	j->first = false;
	json_write_string(j->f, key);
	fputc(':', j->f);
}

void bench_json_begin(struct bench_json *j, FILE *f, const char *bench)
{
	j->f = f;
	j->first = true;
	if (!f)
		return;
	fputc('{', f);
	bench_json_str(j, "bench", bench);
}

void bench_json_str(struct bench_json *j, const char *key, const char *val)
{
	if (!j->f)
		return;
	json_key(j, key);
	json_write_string(j->f, val);
}

void bench_json_uint(struct bench_json *j, const char *key, unsigned long val)
{
	if (!j->f)
		return;
	json_key(j, key);
	fprintf(j->f, "%lu", val);
}

void bench_json_num(struct bench_json *j, const char *key, double val)
{
	if (!j->f)
		return;
	json_key(j, key);
	/* JSON has no NaN or infinity. */
	if (isfinite(val))
		fprintf(j->f, "%.4f", val);
	else
		fputs("null", j->f);
}

void bench_json_bool(struct bench_json *j, const char *key, bool val)
{
	if (!j->f)
		return;
	json_key(j, key);
	fputs(val ? "true" : "false", j->f);
}

void bench_json_end(struct bench_json *j)
{
	if (!j->f)
		return;
	fputs("}\n", j->f);
	fflush(j->f);
}

void bench_json_row(struct bench_json *j, FILE *f, const char *bench, const char *impl,
                    unsigned int threads, const char *unit, const struct bench_stats *st,
                    unsigned int runs)
{
	bench_json_begin(j, f, bench);
	bench_json_str(j, "impl", impl);
	bench_json_uint(j, "threads", threads);
	bench_json_str(j, "unit", unit);
	bench_json_num(j, "median", st->median);
	bench_json_num(j, "min", st->min);
	bench_json_num(j, "max", st->max);
	bench_json_uint(j, "runs", runs);
}

void bench_json_latency(struct bench_json *j, FILE *f, const char *bench, const char *impl,
                        unsigned int threads, const struct bench_latency *l, unsigned int runs)
{
	struct bench_stats st = {.median = l->p50, .min = l->min, .max = l->max};

	bench_json_row(j, f, bench, impl, threads, "ns", &st, runs);
	bench_json_num(j, "p50", l->p50);
	bench_json_num(j, "p90", l->p90);
	bench_json_num(j, "p99", l->p99);
	bench_json_uint(j, "samples", l->samples);
}

/* The "model name" of the first CPU in /proc/cpuinfo, or "unknown". */
static void cpu_model(char *buf, size_t size)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512];

	snprintf(buf, size, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon;

		if (strncmp(line, "model name", 10) != 0 || !(colon = strchr(line, ':')))
			continue;
		colon++;
		while (*colon == ' ' || *colon == '\t')
			colon++;
		colon[strcspn(colon, "\n")] = '\0';
		snprintf(buf, size, "%s", colon);
		break;
	}
	fclose(f);
}

/*
 * The load averages over 1, 5 and 15 minutes from /proc/loadavg (NAN when
 * unreadable): with the CPU count, whether other work shared the machine.
 */
static void load_averages(double load[3])
{
	FILE *f = fopen("/proc/loadavg", "r");

	load[0] = load[1] = load[2] = NAN;
	if (!f)
		return;
	if (fscanf(f, "%lf %lf %lf", &load[0], &load[1], &load[2]) != 3)
		load[0] = load[1] = load[2] = NAN;
	fclose(f);
}

/* Did glibc register an rseq area for this thread (glibc 2.35 and later)? */
static bool rseq_registered(void)
{
#if BENCH_HAVE_RSEQ_H
	return __rseq_size > 0;
#else
	return false;
#endif
}

#if defined(__clang__)
#define BENCH_COMPILER "clang " __clang_version__
#elif defined(__GNUC__)
#define BENCH_COMPILER "gcc " __VERSION__
#else
#define BENCH_COMPILER "unknown"
#endif

void bench_json_context(FILE *f)
{
	struct bench_json j;
	struct utsname u;
	char cpu[256], date[32];
	double load[3];
	const char *rev = getenv("TPSYNC_GIT_REVISION");
	time_t now = time(NULL);
	struct tm tm;

	if (!f)
		return;
	if (!rev || !*rev)
		rev = TPSBENCH_GIT_REVISION;
	cpu_model(cpu, sizeof(cpu));
	if (uname(&u) != 0)
		snprintf(u.release, sizeof(u.release), "unknown");
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm);

	bench_json_begin(&j, f, "context");
	bench_json_str(&j, "cpu", cpu);
	bench_json_uint(&j, "nproc", bench_cpu_count());
	bench_json_str(&j, "kernel", u.release);
	bench_json_bool(&j, "membarrier", tps_membarrier_enabled());
	bench_json_bool(&j, "rseq", rseq_registered());
	bench_json_str(&j, "compiler", BENCH_COMPILER);
	bench_json_str(&j, "build_type", *TPSBENCH_BUILD_TYPE ? TPSBENCH_BUILD_TYPE : "none");
	bench_json_str(&j, "git_revision", rev);
	bench_json_str(&j, "date", date);
	load_averages(load);
	if (!isnan(load[0])) {
		bench_json_num(&j, "load1", load[0]);
		bench_json_num(&j, "load5", load[1]);
		bench_json_num(&j, "load15", load[2]);
	}
	bench_json_end(&j);
}

/* ---- Progress line ---- */

static int progress_tty = -1;
static bool progress_shown;
static uint64_t progress_last_ns;

void bench_progress(const char *fmt, ...)
{
	uint64_t now = bench_now_ns();
	va_list ap;

	if (progress_tty < 0)
		progress_tty = isatty(STDERR_FILENO);
	if (!progress_tty && progress_shown && now - progress_last_ns < PROGRESS_LOG_INTERVAL_NS)
		return;
	progress_last_ns = now;
	progress_shown = true;
	if (progress_tty)
		fputs("\r\033[K", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (!progress_tty)
		fputc('\n', stderr);
	fflush(stderr);
}

void bench_progress_done(void)
{
	if (progress_tty > 0 && progress_shown)
		fputs("\r\033[K", stderr);
	fflush(stderr);
	progress_shown = false;
}
