/* SPDX-License-Identifier: MIT */
/*
 * loops.c - the timing engine of readside, barrier and tracepoint: rows
 * measured in ns per iteration, interleaved, on a pool of worker threads.
 *
 * For one loops_spec, a pool of as many worker threads as the largest thread
 * count (pinned one per CPU when there are enough CPUs) runs each job: a
 * row with a thread count, the first that many workers running the row's
 * loop at once, each timing its own batch. A batch's iteration count is
 * calibrated per job so that it lasts about batch_ns. After calibration and
 * a warm-up round, each repetition runs every job once, in an order that
 * rotates from one repetition to the next: thread counts are interleaved
 * like rows, so that scaling ratios hold as well as row ratios. Which
 * workers run a job with fewer threads than the pool rotates too, so that
 * every thread count's figure is spread over the same CPUs (the CPUs of a
 * shared machine differ in speed). A repetition's figure is the mean over
 * threads of each thread's ns per iteration. With more threads than CPUs
 * the threads do not all run at once (a thread may run its whole batch
 * before another starts), so each thread's own timing would show no cost
 * of oversubscription: the figure of such a job is instead the wall-clock
 * time of the whole batch over one thread's iterations, and threads over
 * it is the aggregate throughput the machine actually delivered.
 *
 * With an updater, one more thread (not pinned) calls the synchronize of the
 * row being measured, in a loop, for as long as the pool lives; the updates
 * it completes during a timed batch count for that batch's row.
 */
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "readside.h"

/* Calibration doubles a batch until it lasts this long, then extrapolates. */
#define CALIBRATE_MIN_NS 500000.0
#define CALIBRATE_FIRST_ITERATIONS 1000UL

struct pool {
	const struct loops_spec *spec;
	unsigned int nworkers;
	bool pin;
	pthread_t *tids;
	pthread_t updater;
	pthread_barrier_t start;
	pthread_barrier_t done;
	/* The job: written by the main thread before `start`, read after it. */
	const struct readside_impl *job;
	unsigned long iterations;
	/* Workers first, first + 1, ... (modulo nworkers), active of them, run it. */
	unsigned int first;
	unsigned int active;
	bool quit;
	/* Each worker's ns per iteration of the last batch, written before `done`. */
	double *ns_per_iter;
	/* The row the updater serves (NULL: none) and its count of updates. */
	const struct readside_impl *_Atomic update_job;
	_Atomic unsigned long updates;
	_Atomic bool updater_quit;
};

struct worker_arg {
	struct pool *pool;
	unsigned int index;
};

/* Is impls[i] a row that appears earlier too (the same row measured twice)? */
static bool repeated(const struct loops_spec *s, size_t i)
{
	for (size_t k = 0; k < i; k++)
		if (s->impls[k] == s->impls[i])
			return true;
	return false;
}

/* Each distinct row's setup, in order. */
static void worker_setup(const struct loops_spec *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->impls[i]->setup && !repeated(s, i))
			s->impls[i]->setup();
}

/* Each distinct row's teardown, in reverse order. */
static void worker_teardown(const struct loops_spec *s)
{
	for (size_t i = s->n; i-- > 0;)
		if (s->impls[i]->teardown && !repeated(s, i))
			s->impls[i]->teardown();
}

/* Does worker me take part in the current job? */
static bool takes_part(const struct pool *p, unsigned int me)
{
	return (me + p->nworkers - p->first) % p->nworkers < p->active;
}

/* The current job's loop, timed, on worker me. */
static void run_job(struct pool *p, unsigned int me)
{
	uint64_t t0 = bench_now_ns(), t1;

	if (p->spec->nested)
		p->job->loop_nested(p->iterations);
	else
		p->job->loop(p->iterations);
	t1 = bench_now_ns();
	p->ns_per_iter[me] = (double)(t1 - t0) / (double)p->iterations;
}

static void *worker(void *arg)
{
	struct worker_arg *wa = arg;
	struct pool *p = wa->pool;
	unsigned int me = wa->index;

	if (p->pin && bench_pin_thread(me) != 0)
		fprintf(stderr, "tpsync-bench: cannot pin thread %u\n", me);
	worker_setup(p->spec);
	for (;;) {
		pthread_barrier_wait(&p->start);
		if (p->quit)
			break;
		if (takes_part(p, me))
			run_job(p, me);
		pthread_barrier_wait(&p->done);
	}
	worker_teardown(p->spec);
	return NULL;
}

/* The updater: the synchronize of the row being measured, in a loop. */
static void *updater(void *arg)
{
	struct pool *p = arg;

	while (!atomic_load(&p->updater_quit)) {
		const struct readside_impl *impl = atomic_load(&p->update_job);

		if (impl && impl->synchronize) {
			impl->synchronize();
			atomic_fetch_add(&p->updates, 1);
		} else {
			sched_yield();
		}
	}
	return NULL;
}

static void start_thread(pthread_t *tid, void *(*fn)(void *), void *arg)
{
	int err = pthread_create(tid, NULL, fn, arg);

	if (err) {
		/* Not recoverable: the barriers count the missing threads. */
		fprintf(stderr, "tpsync-bench: pthread_create: %s\n", strerror(err));
		exit(1);
	}
}

static void pool_start(struct pool *p, struct worker_arg *args)
{
	unsigned int n = p->nworkers;

	p->tids = bench_calloc(n, sizeof(*p->tids));
	p->ns_per_iter = bench_calloc(n, sizeof(*p->ns_per_iter));
	pthread_barrier_init(&p->start, NULL, n + 1);
	pthread_barrier_init(&p->done, NULL, n + 1);
	for (unsigned int i = 0; i < n; i++) {
		args[i].pool = p;
		args[i].index = i;
		start_thread(&p->tids[i], worker, &args[i]);
	}
	if (p->spec->updater)
		start_thread(&p->updater, updater, p);
}

static void pool_stop(struct pool *p)
{
	if (p->spec->updater) {
		atomic_store(&p->updater_quit, true);
		pthread_join(p->updater, NULL);
	}
	p->quit = true;
	pthread_barrier_wait(&p->start);
	for (unsigned int i = 0; i < p->nworkers; i++)
		pthread_join(p->tids[i], NULL);
	pthread_barrier_destroy(&p->start);
	pthread_barrier_destroy(&p->done);
	free(p->tids);
	free(p->ns_per_iter);
}

/* A row with a thread count. */
struct job {
	const struct readside_impl *impl;
	unsigned int threads;
	/* Its results' index: k * n + i for thread count k and row i. */
	size_t index;
};

static struct job job_of(const struct loops_spec *s, size_t j)
{
	return (struct job){
	        .impl = s->impls[j % s->n], .threads = s->threads[j / s->n], .index = j};
}

/*
 * One batch of job on its workers, starting with worker first; the mean over
 * them of ns per iteration, or with more threads than CPUs and wall set,
 * the batch's wall-clock time over iterations.
 */
static double run_batch(struct pool *p, const struct job *job, unsigned long iterations,
                        unsigned int first, bool wall)
{
	double sum = 0;
	uint64_t t0;

	p->job = job->impl;
	p->iterations = iterations;
	p->first = first % p->nworkers;
	p->active = job->threads;
	t0 = bench_now_ns();
	pthread_barrier_wait(&p->start);
	pthread_barrier_wait(&p->done);
	if (wall && job->threads > bench_cpu_count())
		return (double)(bench_now_ns() - t0) / (double)iterations;
	for (unsigned int i = 0; i < job->threads; i++)
		sum += p->ns_per_iter[(p->first + i) % p->nworkers];
	return sum / job->threads;
}

/*
 * The iteration count that makes one batch of job last about batch_ns. It
 * is calibrated on the threads' own timings, which waits for a CPU do not
 * inflate; with more threads than CPUs, the whole batch, about threads /
 * CPUs times one thread's, is made to last batch_ns.
 */
static unsigned long calibrate(struct pool *p, const struct job *job, double batch_ns)
{
	unsigned long n = CALIBRATE_FIRST_ITERATIONS;
	unsigned int ncpu = bench_cpu_count();
	double ns;

	if (job->threads > ncpu)
		batch_ns = batch_ns * ncpu / job->threads;
	for (;;) {
		ns = run_batch(p, job, n, 0, false);
		if (ns * (double)n >= CALIBRATE_MIN_NS || (double)n > 0x1p40 || n > ULONG_MAX / 2)
			break;
		n *= 2;
	}
	if (ns <= 0)
		return n;
	n = (unsigned long)(batch_ns / ns);
	return n ? n : 1;
}

/* A timed batch of job in repetition rep, with the updates it saw counted. */
static void timed_batch(struct pool *p, struct loops_result *r, const struct job *job,
                        unsigned int rep, double *elapsed_ns, unsigned long *updates)
{
	unsigned long u0;
	uint64_t t0;

	atomic_store(&p->update_job, job->impl);
	u0 = atomic_load(&p->updates);
	t0 = bench_now_ns();
	r->v[job->index * p->spec->runs + rep] =
	        run_batch(p, job, r->iterations[job->index], rep, true);
	elapsed_ns[job->index] += (double)(bench_now_ns() - t0);
	updates[job->index] += atomic_load(&p->updates) - u0;
}

static unsigned int max_threads(const struct loops_spec *s)
{
	unsigned int m = 1;

	for (size_t k = 0; k < s->nthreads; k++)
		if (s->threads[k] > m)
			m = s->threads[k];
	return m;
}

/* Calibrate every job, then run it once untimed (the warm-up). */
static void prepare(struct pool *p, struct loops_result *r, size_t njobs)
{
	const struct loops_spec *s = p->spec;

	for (size_t j = 0; j < njobs; j++) {
		struct job job = job_of(s, j);

		bench_progress("%s: calibrating %s, %u thread%s", s->label, job.impl->name,
		               job.threads, job.threads > 1 ? "s" : "");
		atomic_store(&p->update_job, job.impl);
		r->iterations[j] = calibrate(p, &job, s->batch_ns);
	}
	for (size_t j = 0; j < njobs; j++) {
		struct job job = job_of(s, j);

		atomic_store(&p->update_job, job.impl);
		run_batch(p, &job, r->iterations[j], 0, true);
	}
}

void loops_measure(const struct loops_spec *s, struct loops_result *r)
{
	size_t njobs = s->n * s->nthreads;
	struct pool p = {.spec = s, .nworkers = max_threads(s)};
	struct worker_arg *args = bench_calloc(p.nworkers, sizeof(*args));
	double *elapsed = bench_calloc(njobs, sizeof(*elapsed));
	unsigned long *updates = bench_calloc(njobs, sizeof(*updates));

	p.pin = p.nworkers <= bench_cpu_count();
	r->v = bench_calloc(njobs * s->runs, sizeof(*r->v));
	r->iterations = bench_calloc(njobs, sizeof(*r->iterations));
	r->updates_per_s = bench_calloc(njobs, sizeof(*r->updates_per_s));
	pool_start(&p, args);
	prepare(&p, r, njobs);
	for (unsigned int rep = 0; rep < s->runs; rep++) {
		bench_progress("%s: run %u/%u", s->label, rep + 1, s->runs);
		for (size_t k = 0; k < njobs; k++) {
			struct job job = job_of(s, (rep + k) % njobs);

			timed_batch(&p, r, &job, rep, elapsed, updates);
		}
	}
	atomic_store(&p.update_job, NULL);
	pool_stop(&p);
	bench_progress_done();
	for (size_t j = 0; j < njobs; j++)
		r->updates_per_s[j] = elapsed[j] > 0 ? (double)updates[j] * 1e9 / elapsed[j] : 0;
	free(args);
	free(elapsed);
	free(updates);
}

void loops_result_free(struct loops_result *r)
{
	free(r->v);
	free(r->iterations);
	free(r->updates_per_s);
}
