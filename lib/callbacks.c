/* SPDX-License-Identifier: MIT */
/*
 * lib/callbacks.c - callback workers behind tps_call_rcu() and friends.
 *
 * A worker owns a FIFO queue. Its thread takes the whole queue as a batch,
 * waits for one grace period of its flavour, runs the batch, and repeats;
 * callbacks queued meanwhile wait for the next batch, so one grace period
 * serves every callback queued while the previous one ran. The counters
 * queued/invoked let a barrier wait for exactly the callbacks queued before
 * it: batches run in queue order, so invoked >= queued-at-call means done.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>

#include "internal.h"

/* The worker whose callbacks the calling thread is running, if any. */
static __thread const struct tps__cb_worker *current_worker
        __attribute__((tls_model("initial-exec")));

/* Every worker ever started, for fork(). */
static pthread_mutex_t workers_mutex = PTHREAD_MUTEX_INITIALIZER;
static struct tps__cb_worker *workers;

static unsigned long invoke_batch(struct tps__cb_worker *w, struct tps_rcu_head *batch)
{
	unsigned long n = 0;

	current_worker = w;
	while (batch) {
		struct tps_rcu_head *next = batch->next;

		batch->func(batch);
		batch = next;
		n++;
	}
	current_worker = NULL;
	return n;
}

/* Called with w->lock held; returns with it held. */
static void process_one_batch(struct tps__cb_worker *w)
{
	struct tps_rcu_head *batch = w->head;
	unsigned long n;

	w->head = NULL;
	w->tail = &w->head;
	w->batch = batch;
	w->state = TPS__CB_WAITING_GP;
	pthread_mutex_unlock(&w->lock);

	w->wait_gp(w->arg);

	pthread_mutex_lock(&w->lock);
	w->state = TPS__CB_INVOKING;
	pthread_mutex_unlock(&w->lock);

	n = invoke_batch(w, batch);

	pthread_mutex_lock(&w->lock);
	w->batch = NULL;
	w->state = TPS__CB_IDLE;
	w->invoked += n;
	pthread_cond_broadcast(&w->done);
}

static void *worker_main(void *arg)
{
	struct tps__cb_worker *w = arg;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!w->head && !w->stopping)
			pthread_cond_wait(&w->wake, &w->lock);
		if (!w->head)
			break;
		process_one_batch(w);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/*
 * Puts w on the list fork() walks. Called without w->lock: fork preparation
 * takes workers_mutex before the workers' locks.
 */
static void ensure_listed(struct tps__cb_worker *w)
{
	/* (C2) acquire: pairs with (C1); w->next_worker is set when listed reads true. */
	if (atomic_load_explicit(&w->listed, memory_order_acquire))
		return;
	pthread_mutex_lock(&workers_mutex);
	if (!atomic_load_explicit(&w->listed, memory_order_relaxed)) {
		w->next_worker = workers;
		workers = w;
		/* (C1) release: the list link before the flag; pairs with (C2). */
		atomic_store_explicit(&w->listed, true, memory_order_release);
	}
	pthread_mutex_unlock(&workers_mutex);
}

/* Called with w->lock held, w listed. Returns 0 or -errno (w->started unchanged). */
static int start_worker(struct tps__cb_worker *w)
{
	sigset_t all, old;
	int err;

	/* The worker inherits a mask blocking every signal: handlers run elsewhere. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	err = pthread_create(&w->thread, NULL, worker_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		return -err;
	w->started = true;
	return 0;
}

/* Called with w->lock held, w listed. */
static void enqueue_locked(struct tps__cb_worker *w, struct tps_rcu_head *head,
                           tps_rcu_callback_t func)
{
	head->func = func;
	head->next = NULL;
	*w->tail = head;
	w->tail = &head->next;
	w->queued++;
	/* Without a worker the callback stays queued; the next call or barrier retries. */
	if (!w->started)
		start_worker(w);
	else if (w->state == TPS__CB_IDLE)
		pthread_cond_signal(&w->wake);
}

int tps__cb_enqueue(struct tps__cb_worker *w, struct tps_rcu_head *head, tps_rcu_callback_t func)
{
	if (!head || !func)
		return -EINVAL;
	ensure_listed(w);
	pthread_mutex_lock(&w->lock);
	enqueue_locked(w, head, func);
	pthread_mutex_unlock(&w->lock);
	return 0;
}

void tps__cb_enqueue_once(struct tps__cb_worker *w, struct tps_rcu_head *head,
                          tps_rcu_callback_t func, _Atomic int *queued)
{
	int zero = 0;

	ensure_listed(w);
	pthread_mutex_lock(&w->lock);
	/*
	 * Acquire: pairs with the release store that clears *queued once its
	 * callback no longer uses head. Under w->lock, which fork preparation
	 * holds: a child never finds *queued set for a head not on the queue.
	 */
	if (atomic_compare_exchange_strong_explicit(queued, &zero, 1, memory_order_acquire,
	                                            memory_order_relaxed))
		enqueue_locked(w, head, func);
	pthread_mutex_unlock(&w->lock);
}

/* Time between attempts to create a worker thread when creation fails. */
#define START_RETRY_NS 1000000L

void tps__cb_barrier(struct tps__cb_worker *w)
{
	unsigned long target;

	ensure_listed(w);
	pthread_mutex_lock(&w->lock);
	target = w->queued;
	/* Thread creation failed at enqueue time: insist, since we must wait. */
	while (!w->started && w->head && start_worker(w) != 0) {
		struct timespec ts = {0, START_RETRY_NS};

		pthread_mutex_unlock(&w->lock);
		nanosleep(&ts, NULL);
		pthread_mutex_lock(&w->lock);
	}
	while (!TPS_SEQ_GE(w->invoked, target))
		pthread_cond_wait(&w->done, &w->lock);
	pthread_mutex_unlock(&w->lock);
}

bool tps__cb_in_worker(const struct tps__cb_worker *w)
{
	return current_worker == w;
}

unsigned long tps__cb_pending(struct tps__cb_worker *w)
{
	unsigned long n;

	pthread_mutex_lock(&w->lock);
	n = w->queued - w->invoked;
	pthread_mutex_unlock(&w->lock);
	return n;
}

void tps__cb_worker_init(struct tps__cb_worker *w, const char *name, void (*wait_gp)(void *),
                         void *arg)
{
	*w = (struct tps__cb_worker){.name = name, .wait_gp = wait_gp, .arg = arg};
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	pthread_cond_init(&w->done, NULL);
	w->tail = &w->head;
}

static void unlist_worker(struct tps__cb_worker *w)
{
	struct tps__cb_worker **pp;

	pthread_mutex_lock(&workers_mutex);
	for (pp = &workers; *pp; pp = &(*pp)->next_worker) {
		if (*pp == w) {
			*pp = w->next_worker;
			break;
		}
	}
	atomic_store_explicit(&w->listed, false, memory_order_relaxed);
	pthread_mutex_unlock(&workers_mutex);
}

/* The queue must be empty (callers check tps__cb_pending() first). */
void tps__cb_worker_destroy(struct tps__cb_worker *w)
{
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	if (w->started)
		pthread_join(w->thread, NULL);
	if (atomic_load_explicit(&w->listed, memory_order_relaxed))
		unlist_worker(w);
	pthread_cond_destroy(&w->done);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
}

/*
 * Pause every worker: hold its lock, and never while it runs callbacks (a
 * child could not tell which of them had run). A worker waiting for a grace
 * period is not waited for: the forking thread may itself be a reader that
 * grace period waits for.
 */
void tps__cb_fork_prepare(void)
{
	struct tps__cb_worker *w;

	pthread_mutex_lock(&workers_mutex);
	for (w = workers; w; w = w->next_worker) {
		pthread_mutex_lock(&w->lock);
		while (w->state == TPS__CB_INVOKING && !tps__cb_in_worker(w))
			pthread_cond_wait(&w->done, &w->lock);
	}
}

void tps__cb_fork_parent(void)
{
	struct tps__cb_worker *w;

	for (w = workers; w; w = w->next_worker)
		pthread_mutex_unlock(&w->lock);
	pthread_mutex_unlock(&workers_mutex);
}

/* Puts a batch whose grace period had not ended back in front of the queue. */
static void requeue_batch(struct tps__cb_worker *w)
{
	struct tps_rcu_head *last = w->batch;

	while (last->next)
		last = last->next;
	last->next = w->head;
	if (!w->head)
		w->tail = &last->next;
	w->head = w->batch;
	w->batch = NULL;
}

/*
 * The forking thread holds workers_mutex and every worker's lock (prepare):
 * it releases them. Condition variables may count waiters that do not
 * exist in the child: they are made anew.
 */
void tps__cb_fork_child(void)
{
	struct tps__cb_worker *w;

	for (w = workers; w; w = w->next_worker) {
		pthread_cond_init(&w->wake, NULL);
		pthread_cond_init(&w->done, NULL);
		if (w->state == TPS__CB_WAITING_GP && w->batch)
			requeue_batch(w);
		w->state = TPS__CB_IDLE;
		w->started = false;
		if (w->head && start_worker(w) != 0)
			fprintf(stderr,
			        "tpsync: %s: cannot restart the callback worker after "
			        "fork; callbacks wait for the next call\n",
			        w->name);
		pthread_mutex_unlock(&w->lock);
	}
	pthread_mutex_unlock(&workers_mutex);
}
