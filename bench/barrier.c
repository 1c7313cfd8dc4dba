/* SPDX-License-Identifier: MIT */
/*
 * barrier.c - `tpsync-bench barrier`: the price of each fence.
 *
 * Rows (ns per operation, timed by loops.c; the fences interleaved):
 *   compiler-barrier  the loop with its compiler barrier alone (the floor);
 *   fence-seq-cst     atomic_thread_fence(memory_order_seq_cst), as this
 *                     compiler emits it (gcc: a locked or; clang: mfence);
 *   locked-add        `lock addl $0` on the stack: tps_smp_mb() on x86-64;
 *   mfence, xchg      the other full fences of x86-64;
 *   membarrier        one membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) with
 *                     0..N busy threads ("threads": spinning threads, each
 *                     pinned to another CPU than the caller when there are
 *                     enough CPUs) or with 16 and 256 sleeping threads
 *                     ("sleeping");
 *   srcu-smp-mb       the read-side smp_mb cost: tps-srcu minus
 *                     tps-srcu-fast per lock/unlock pair, the difference
 *                     taken within each repetition of the two measured
 *                     interleaved (with readside's thread counts).
 * The x86-64 instructions exist only there.
 */
#include <errno.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <tpsync/compiler.h>

#include "bench.h"
#include "readside.h"

#define QUICK_RUNS 31
#define FULL_RUNS 61
#define QUICK_BATCH_NS 2000000.0
#define FULL_BATCH_NS 5000000.0
/* The sleeping-thread counts measured, besides none. */
static const unsigned int sleeping_counts[] = {16, 256};
/* Sleeping threads need little stack. */
#define SLEEPER_STACK (64 * 1024)
#define SMP_MB_ROW "srcu-smp-mb"

/* ---- The fences ---- */

static READSIDE_NOINLINE void compiler_barrier_loop(unsigned long iterations)
{
	READSIDE_LOOP(iterations, (void)0, (void)0);
}

static READSIDE_NOINLINE void fence_loop(unsigned long iterations)
{
	READSIDE_LOOP(iterations, atomic_thread_fence(memory_order_seq_cst), (void)0);
}

static const struct readside_impl row_compiler_barrier = {.name = "compiler-barrier",
                                                          .loop = compiler_barrier_loop};
static const struct readside_impl row_fence = {.name = "fence-seq-cst", .loop = fence_loop};

#if defined(__x86_64__)
static READSIDE_NOINLINE void locked_add_loop(unsigned long iterations)
{
	READSIDE_LOOP(iterations,
	              __asm__ __volatile__("lock; addl $0,-4(%%rsp)" ::
	                                           : "memory", "cc"),
	              (void)0);
}

static READSIDE_NOINLINE void mfence_loop(unsigned long iterations)
{
	READSIDE_LOOP(iterations, __asm__ __volatile__("mfence" ::: "memory"), (void)0);
}

static READSIDE_NOINLINE void xchg_loop(unsigned long iterations)
{
	unsigned int word = 0, v = 0;

	READSIDE_LOOP(iterations,
	              __asm__ __volatile__("xchgl %0, %1"
	                                   : "+r"(v), "+m"(word)::"memory"),
	              (void)0);
}

static const struct readside_impl row_locked_add = {.name = "locked-add", .loop = locked_add_loop};
static const struct readside_impl row_mfence = {.name = "mfence", .loop = mfence_loop};
static const struct readside_impl row_xchg = {.name = "xchg", .loop = xchg_loop};
#endif

static const struct readside_impl *const fence_rows[] = {
        &row_compiler_barrier, &row_fence,
#if defined(__x86_64__)
        &row_locked_add,       &row_mfence, &row_xchg,
#endif
};

#define NFENCE_ROWS (sizeof(fence_rows) / sizeof(fence_rows[0]))

/* ---- membarrier ---- */

static int sys_membarrier(int cmd)
{
	return (int)syscall(SYS_membarrier, cmd, 0, 0);
}

static READSIDE_NOINLINE void membarrier_loop(unsigned long iterations)
{
	READSIDE_LOOP(iterations, sys_membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED), (void)0);
}

static const struct readside_impl row_membarrier = {.name = "membarrier", .loop = membarrier_loop};

/* Threads that spin or sleep around the membarrier measurement. */
struct background {
	pthread_t *tids;
	unsigned int n;
	bool busy;
	_Atomic bool stop;
	pthread_mutex_t lock;
	pthread_cond_t wake;
};

struct spinner_arg {
	struct background *bg;
	unsigned int cpu;
};

static void *spinner(void *arg)
{
	struct spinner_arg *sa = arg;
	unsigned int ncpu = bench_cpu_count();

	/* CPU 0 is the measuring thread's: the others first. */
	if (sa->bg->n < ncpu && bench_pin_thread(sa->cpu % ncpu) != 0)
		fprintf(stderr, "tpsync-bench: barrier: cannot pin a busy thread\n");
	while (!atomic_load_explicit(&sa->bg->stop, memory_order_relaxed))
		tps_cpu_relax();
	return NULL;
}

static void *sleeper(void *arg)
{
	struct background *bg = arg;

	pthread_mutex_lock(&bg->lock);
	while (!atomic_load(&bg->stop))
		pthread_cond_wait(&bg->wake, &bg->lock);
	pthread_mutex_unlock(&bg->lock);
	return NULL;
}

static void background_start(struct background *bg, struct spinner_arg *args)
{
	pthread_attr_t attr;

	pthread_mutex_init(&bg->lock, NULL);
	pthread_cond_init(&bg->wake, NULL);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, SLEEPER_STACK);
	bg->tids = bench_calloc(bg->n, sizeof(*bg->tids));
	for (unsigned int i = 0; i < bg->n; i++) {
		int err;

		args[i] = (struct spinner_arg){.bg = bg, .cpu = i + 1};
		err = bg->busy ? pthread_create(&bg->tids[i], NULL, spinner, &args[i])
		               : pthread_create(&bg->tids[i], &attr, sleeper, bg);
		if (err) {
			fprintf(stderr, "tpsync-bench: barrier: pthread_create: %s\n",
			        strerror(err));
			exit(1);
		}
	}
	pthread_attr_destroy(&attr);
}

static void background_stop(struct background *bg)
{
	pthread_mutex_lock(&bg->lock);
	atomic_store(&bg->stop, true);
	pthread_cond_broadcast(&bg->wake);
	pthread_mutex_unlock(&bg->lock);
	for (unsigned int i = 0; i < bg->n; i++)
		pthread_join(bg->tids[i], NULL);
	free(bg->tids);
	pthread_cond_destroy(&bg->wake);
	pthread_mutex_destroy(&bg->lock);
}

/* ---- Measuring and reporting ---- */

struct barrier_run {
	const struct bench_opts *o;
	unsigned int runs;
	double batch_ns;
};

static void report(const struct barrier_run *b, const char *name, unsigned int threads,
                   unsigned int sleeping, double *v)
{
	struct bench_stats st;
	struct bench_json j;

	bench_stats_compute(v, b->runs, &st);
	printf("%-18s %7u %8u  %9.3f %9.3f %9.3f\n", name, threads, sleeping, st.median, st.min,
	       st.max);
	bench_json_row(&j, b->o->json, "barrier", name, threads, "ns", &st, b->runs);
	bench_json_uint(&j, "sleeping", sleeping);
	bench_json_end(&j);
	fflush(stdout);
}

/* The measuring thread of the fence and membarrier rows: one. */
static const unsigned int one_thread = 1;

static void measure_fences(const struct barrier_run *b)
{
	const struct readside_impl *rows[NFENCE_ROWS];
	struct loops_spec s = {.impls = rows,
	                       .threads = &one_thread,
	                       .nthreads = 1,
	                       .runs = b->runs,
	                       .batch_ns = b->batch_ns,
	                       .label = "barrier"};
	struct loops_result r;

	for (size_t i = 0; i < NFENCE_ROWS; i++)
		if (bench_impl_selected(b->o, fence_rows[i]->name))
			rows[s.n++] = fence_rows[i];
	if (!s.n)
		return;
	loops_measure(&s, &r);
	for (size_t i = 0; i < s.n; i++)
		report(b, rows[i]->name, 1, 0, &r.v[i * s.runs]);
	loops_result_free(&r);
}

/* One membarrier row with n busy (spinning) or sleeping threads around. */
static void measure_membarrier(const struct barrier_run *b, unsigned int n, bool busy)
{
	const struct readside_impl *rows[] = {&row_membarrier};
	struct loops_spec s = {.impls = rows,
	                       .n = 1,
	                       .threads = &one_thread,
	                       .nthreads = 1,
	                       .runs = b->runs,
	                       .batch_ns = b->batch_ns,
	                       .label = "barrier membarrier"};
	struct background bg = {.n = n, .busy = busy};
	struct spinner_arg *args = bench_calloc(n, sizeof(*args));
	struct loops_result r;

	background_start(&bg, args);
	loops_measure(&s, &r);
	background_stop(&bg);
	report(b, row_membarrier.name, busy ? n : 0, busy ? 0 : n, r.v);
	loops_result_free(&r);
	free(args);
}

static int measure_membarriers(const struct barrier_run *b)
{
	unsigned int ncpu = bench_cpu_count();

	if (!bench_impl_selected(b->o, row_membarrier.name))
		return 0;
	if (sys_membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) != 0) {
		fprintf(stderr, "tpsync-bench: barrier: membarrier unavailable (%s), skipped\n",
		        strerror(errno));
		return 0;
	}
	if (b->o->nthreads)
		for (unsigned int i = 0; i < b->o->nthreads; i++)
			measure_membarrier(b, b->o->threads[i], true);
	else
		for (unsigned int busy = 0; busy <= ncpu; busy++)
			measure_membarrier(b, busy, true);
	for (size_t i = 0; i < sizeof(sleeping_counts) / sizeof(sleeping_counts[0]); i++)
		measure_membarrier(b, sleeping_counts[i], false);
	return 0;
}

/*
 * tps-srcu minus tps-srcu-fast, per repetition, with 1 thread and with one
 * per CPU (all four measured interleaved).
 */
static int measure_smp_mb(const struct barrier_run *b)
{
	const struct readside_impl *rows[] = {readside_find("tps-srcu"),
	                                      readside_find("tps-srcu-fast")};
	unsigned int threads[] = {1, bench_cpu_count()};
	struct loops_spec s = {.impls = rows,
	                       .n = 2,
	                       .threads = threads,
	                       .nthreads = threads[1] > 1 ? 2 : 1,
	                       .runs = b->runs,
	                       .batch_ns = b->batch_ns,
	                       .label = "barrier " SMP_MB_ROW};
	struct loops_result r;
	double *diff;

	if (!bench_impl_selected(b->o, SMP_MB_ROW))
		return 0;
	if (readside_init(rows[0]) != 0 || readside_init(rows[1]) != 0) {
		fprintf(stderr, "tpsync-bench: barrier: " SMP_MB_ROW " needs both SRCU rows\n");
		return 1;
	}
	diff = bench_calloc(b->runs, sizeof(*diff));
	loops_measure(&s, &r);
	for (size_t k = 0; k < s.nthreads; k++) {
		const double *srcu = &r.v[LOOPS_JOB(&s, k, 0) * s.runs];
		const double *fast = &r.v[LOOPS_JOB(&s, k, 1) * s.runs];

		for (unsigned int rep = 0; rep < s.runs; rep++)
			diff[rep] = srcu[rep] - fast[rep];
		report(b, SMP_MB_ROW, threads[k], 0, diff);
	}
	loops_result_free(&r);
	free(diff);
	return 0;
}

bool bench_barrier_knows_impl(const char *name)
{
	for (size_t i = 0; i < NFENCE_ROWS; i++)
		if (strcmp(name, fence_rows[i]->name) == 0)
			return true;
	return strcmp(name, row_membarrier.name) == 0 || strcmp(name, SMP_MB_ROW) == 0;
}

void bench_barrier_print_impls(FILE *f)
{
	for (size_t i = 0; i < NFENCE_ROWS; i++)
		fprintf(f, " %s", fence_rows[i]->name);
	fprintf(f, " %s %s", row_membarrier.name, SMP_MB_ROW);
}

int bench_barrier(const struct bench_opts *o)
{
	struct barrier_run b = {.o = o,
	                        .runs = bench_runs(o, QUICK_RUNS, FULL_RUNS),
	                        .batch_ns = o->mode == BENCH_FULL ? FULL_BATCH_NS : QUICK_BATCH_NS};
	int status = 0;

	printf("barrier: ns per operation; median, min and max of %u runs\n", b.runs);
	printf("%-18s %7s %8s  %9s %9s %9s\n", "impl", "threads", "sleeping", "median", "min",
	       "max");
	measure_fences(&b);
	status |= measure_membarriers(&b);
	status |= measure_smp_mb(&b);
	putchar('\n');
	fflush(stdout);
	return status;
}
