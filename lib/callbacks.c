/* SPDX-License-Identifier: MIT */
/*
 * lib/callbacks.c - callback workers behind tps_call_rcu() and friends.
 *
 * Queueing. A producer counts its callback in (queued), then pushes it onto
 * the worker's inbox, a lock-free stack (compare-and-swap on its top), and
 * wakes the worker only if it sleeps. No mutex on that path. A push is one
 * atomic instruction: a stack is never half-linked, whatever thread stops
 * where (which is what fork() does to every thread but one).
 *
 * Running. The worker takes the whole inbox at once (exchange with NULL),
 * reverses it and appends it to its FIFO list: since the stack holds the
 * pushes in the order of its modifications, the list is in queueing order.
 * A grace period that starts after a callback was taken from the inbox
 * covers it (its producer's call returned before the take), so before it
 * waits, the worker notes how many callbacks the list holds; when the wait
 * returns, that many at the front are ready. It runs the ready ones at most
 * TPS__CB_BATCH_MAX at a time, taking callbacks newly pushed into the list
 * between batches, and waits for another grace period only when none is
 * ready. One grace period still serves every callback queued before it;
 * a large backlog is run in bounded slices rather than swallowed whole.
 *
 * Barriers. A barrier reads queued and waits until invoked (the callbacks
 * of the batches run so far) reaches it. Callbacks run in push order, and every callback pushed
 * before one that was queued before the barrier was counted in before that one's push (its producer
 * counts first, and the pushes synchronize through the stack's top): so queued, read after a call
 * has returned, counts every callback up to that call's, and invoked >= queued means they all ran.
 *
 * Floods. A backlog (queued - invoked) beyond TPS__CB_BACKLOG_HIGH means
 * producers outrun the worker. A producer that may block (outside every
 * classic and tasks-trace reader, not running callbacks itself, not inside
 * tps__cb_no_help_begin()) then waits for one grace period of the flavour
 * (classic only: see help_waits_gp) before it queues, and for the worker's
 * batches while the backlog stays past the threshold (see help()):
 * producers past the threshold sleep rather than queue, which leaves the
 * CPU to the worker. A producer inside a reader never waits (its grace
 * period would wait for it), nor does one on a worker without may_help
 * (SRCU: its readers are not tracked per thread, so a producer cannot tell
 * whether it is one).
 *
 * fork(). Nothing waits for a running callback before a fork: a callback
 * may need anything, a grace period the forking thread (inside a reader)
 * holds up included. The prepare handler takes the list lock, then each
 * worker's lock; those are held only for a few list operations, never
 * across a callback, a grace period or a sleep, so every holder lets go.
 * A batch takes its callbacks off the list without the lock, one at a time
 * (book_begin()/book_end(): a flag and the asymmetric fence, so that a
 * callback costs a compiler barrier where membarrier works, a full fence,
 * about what the lock cost, where it does not); the prepare handler raises
 * fork_pending, fences, and waits for the bookkeeping under way to end (a
 * few stores, no callback), and the next one waits on the lock. So the
 * state seen at the fork is exact: the worker is sleeping or about to
 * (IDLE), waiting for a grace period (WAITING_GP: the ready count does not
 * change until it returns), or between taking one callback of the batch
 * and taking the next (INVOKING: the callbacks taken have run, but for the
 * last one, which runs or has just returned).
 *
 * In the child only the forking thread exists. Another thread's worker is
 * gone: the callback it was running belongs to the parent and counts as run
 * (it is not run twice: it may have freed memory before the fork); the rest
 * of its batch is still at the front of the list, still ready; a grace
 * period it was waiting for never ends, so nothing new becomes ready until
 * the new worker's first grace period. If the forking thread is itself a
 * worker (a callback forked), it stays that worker in the child and goes on
 * with its batch: one thread per queue, in order. queued is recounted from
 * what is really there, since a producer that had counted its callback in
 * but not pushed it does not exist in the child. Barrier waiters do not
 * exist either; the condition variable is made anew. A worker with work is
 * restarted at once, others at their next call.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>

#include <tpsync/rcu.h>
#include <tpsync/rcu_trace.h>

#include "internal.h"

/*
 * Most callbacks run between two looks at the inbox and at barrier waiters.
 * A callback typically frees memory (tens of nanoseconds), so 4096 take
 * about 0.1-0.5 ms: the worker comes back to newly queued callbacks and
 * starts their grace period soon even when a large backlog is ready,
 * instead of running it all first, and memory is returned progressively.
 */
#define TPS__CB_BATCH_MAX 4096UL

/*
 * A helping producer waits for the worker's batches at most this many
 * times, each at most this long: 64 ms in all when the worker is stuck in a
 * callback, while a worker that runs wakes it at its first batch.
 */
#define TPS__CB_HELP_MAX_WAITS 64
#define TPS__CB_HELP_WAIT_NS 1000000L

/*
 * A producer compares the backlog with the threshold once every this many
 * calls (the first of them sets flooded, which every producer reads): the
 * worker's count lives on another cache line. A power of two.
 */
#define TPS__CB_BACKLOG_CHECK 64UL

/* The worker whose callbacks the calling thread is running, if any. */
static __thread const struct tps__cb_worker *current_worker
        __attribute__((tls_model("initial-exec")));
/* Nesting of tps__cb_no_help_begin(). */
static __thread unsigned int no_help __attribute__((tls_model("initial-exec")));
/* Waits of this thread as a helping producer (test hook). */
static __thread unsigned long helps __attribute__((tls_model("initial-exec")));

/* Test hook: runs in the middle of taking a callback off a list (tps__cb_set_book_hook()). */
static void (*_Atomic book_hook)(void);

void tps__cb_set_book_hook(void (*hook)(void))
{
	atomic_store_explicit(&book_hook, hook, memory_order_relaxed);
}

/* Every worker ever started, for fork(). */
static pthread_mutex_t workers_mutex = PTHREAD_MUTEX_INITIALIZER;
static struct tps__cb_worker *workers;

static unsigned long list_length(const struct tps_rcu_head *h)
{
	unsigned long n = 0;

	for (; h; h = h->next)
		n++;
	return n;
}

/* Called with w->lock held: moves the inbox to the end of the list. */
static void take_inbox(struct tps__cb_worker *w)
{
	struct tps_rcu_head *h, *fifo = NULL, *last;
	unsigned long n = 0;

	if (!atomic_load_explicit(&w->inbox, memory_order_relaxed))
		return;
	/* (Q3) acquire: pairs with (Q1) in push(); the links are visible. */
	h = atomic_exchange_explicit(&w->inbox, NULL, memory_order_acquire);
	last = h;
	while (h) {
		struct tps_rcu_head *next = h->next;

		h->next = fifo;
		fifo = h;
		h = next;
		n++;
	}
	if (!fifo)
		return;
	*w->tail = fifo;
	w->tail = &last->next;
	w->pending += n;
}

/* Sleeps until a producer pushes, unless one did meanwhile. */
static void wait_for_work(struct tps__cb_worker *w)
{
	/*
	 * (Q4) seq_cst store, then seq_cst loads: pairs with (Q1)/(Q2) in
	 * tps__cb_enqueue(), store buffering on sleeping and the inbox. In
	 * the single order of seq_cst operations either the push comes
	 * before our inbox load (we see it and do not sleep) or our store
	 * comes before the producer's load of sleeping (it wakes us). The
	 * same holds for stopping against tps__cb_worker_destroy().
	 */
	atomic_store_explicit(&w->sleeping, 1, memory_order_seq_cst);
	if (!atomic_load_explicit(&w->inbox, memory_order_seq_cst) &&
	    !atomic_load_explicit(&w->stopping, memory_order_seq_cst))
		tps__futex_wait(&w->sleeping, 1);
	atomic_store_explicit(&w->sleeping, 0, memory_order_relaxed);
}

static void wake_worker(struct tps__cb_worker *w)
{
	if (atomic_exchange_explicit(&w->sleeping, 0, memory_order_relaxed))
		tps__futex_wake(&w->sleeping, 1);
}

/*
 * The bookkeeping of a batch (taking a callback off the list) runs without
 * w->lock, between book_begin() and book_end(); a fork's preparation, which
 * holds the lock, waits for it to end and stops the next one.
 */
static void book_begin(struct tps__cb_worker *w, bool light)
{
	for (;;) {
		atomic_store_explicit(&w->book_busy, 1, memory_order_relaxed);
		/*
		 * (B1) Full fence, a compiler barrier where fork preparation's
		 * (B3) is membarrier: book_busy is stored before fork_pending
		 * is loaded. Pairs with (B3): either we see fork_pending, or
		 * the preparation sees book_busy and waits for (B2).
		 */
		if (light)
			atomic_signal_fence(memory_order_seq_cst);
		else
			tps_smp_mb();
		if (tps_likely(!atomic_load_explicit(&w->fork_pending, memory_order_relaxed)))
			return;
		atomic_store_explicit(&w->book_busy, 0, memory_order_release);
		/* A fork is being prepared, holding the lock: wait for it there. */
		pthread_mutex_lock(&w->lock);
		pthread_mutex_unlock(&w->lock);
	}
}

static void book_end(struct tps__cb_worker *w)
{
	/* (B2) release: the bookkeeping before it; pairs with (B4) in tps__cb_fork_prepare(). */
	atomic_store_explicit(&w->book_busy, 0, memory_order_release);
}

/*
 * Called with w->lock held; runs a batch of ready callbacks from the front of
 * the list, lock held again after. Each is taken off the list between
 * book_begin() and book_end(), without the lock: a fork sees every callback
 * either still in the list or counted in batch_started.
 */
static void run_batch(struct tps__cb_worker *w)
{
	unsigned long n = w->ready < TPS__CB_BATCH_MAX ? w->ready : TPS__CB_BATCH_MAX, i;
	bool light = tps__fence_worker_light();
	void (*hook)(void) = atomic_load_explicit(&book_hook, memory_order_relaxed);

	w->batch_started = 0;
	w->state = TPS__CB_INVOKING;
	current_worker = w;
	pthread_mutex_unlock(&w->lock);
	for (i = 0; i < n; i++) {
		struct tps_rcu_head *cb;

		book_begin(w, light);
		cb = w->head;
		w->head = cb->next;
		if (!w->head)
			w->tail = &w->head;
		if (tps_unlikely(hook))
			hook();
		w->pending--;
		w->ready--;
		w->batch_started++;
		book_end(w);
		cb->func(cb);
	}
	pthread_mutex_lock(&w->lock);
	current_worker = NULL;
	w->state = TPS__CB_IDLE;
	/* Once per batch: producers read it (backlog()) from another cache line. */
	atomic_store_explicit(&w->invoked,
	                      atomic_load_explicit(&w->invoked, memory_order_relaxed) + n,
	                      memory_order_relaxed);
	if (w->barrier_waiters)
		pthread_cond_broadcast(&w->done);
}

static void *worker_main(void *arg)
{
	struct tps__cb_worker *w = arg;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		take_inbox(w);
		if (w->ready) {
			run_batch(w);
			continue;
		}
		if (w->pending) {
			/* Everything in the list now is covered by the next grace period. */
			unsigned long covered = w->pending;

			w->state = TPS__CB_WAITING_GP;
			pthread_mutex_unlock(&w->lock);
			w->wait_gp(w->arg);
			pthread_mutex_lock(&w->lock);
			w->state = TPS__CB_IDLE;
			w->ready = covered;
			continue;
		}
		if (atomic_load_explicit(&w->stopping, memory_order_relaxed))
			break;
		pthread_mutex_unlock(&w->lock);
		wait_for_work(w);
		pthread_mutex_lock(&w->lock);
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
	/* (C3) release: pairs with (C4); the worker exists for whoever sees started. */
	atomic_store_explicit(&w->started, true, memory_order_release);
	return 0;
}

/* Past the threshold: may the calling thread wait for a grace period? */
static bool caller_may_help(const struct tps__cb_worker *w)
{
	return w->may_help && !no_help && !current_worker && !tps_rcu_read_ongoing() &&
	       !tps_rcu_read_lock_trace_held();
}

/* Callbacks queued and not yet run (a hint: both counts move). */
static unsigned long backlog(struct tps__cb_worker *w)
{
	return atomic_load_explicit(&w->queued, memory_order_relaxed) -
	       atomic_load_explicit(&w->invoked, memory_order_relaxed);
}

/*
 * A producer past the threshold: waits for one grace period (callbacks
 * queued before it become ready for the worker) where help_waits_gp, then, while the backlog
 * stays past the threshold, for the worker to finish batches, at most
 * TPS__CB_HELP_MAX_WAITS times TPS__CB_HELP_WAIT_NS. Waiting for the worker
 * rather than for more grace periods: a grace period without readers about
 * takes microseconds (a producer would queue again much sooner than the
 * worker catches up), and each one interrupts the worker's CPU. The cap:
 * the worker may be stuck in a callback that needs something the caller
 * holds, and the caller must not wait for it for good.
 */
static void help(struct tps__cb_worker *w)
{
	unsigned int n;

	if (w->help_waits_gp && backlog(w) > TPS__CB_BACKLOG_HIGH) {
		helps++;
		w->wait_gp(w->arg);
	}
	if (backlog(w) > TPS__CB_BACKLOG_HIGH) {
		pthread_mutex_lock(&w->lock);
		w->barrier_waiters++;
		for (n = 0; n < TPS__CB_HELP_MAX_WAITS && backlog(w) > TPS__CB_BACKLOG_HIGH; n++) {
			struct timespec deadline;

			/* Monotonic: a step of the wall clock must not stretch the wait. */
			clock_gettime(CLOCK_MONOTONIC, &deadline);
			deadline.tv_nsec += TPS__CB_HELP_WAIT_NS;
			if (deadline.tv_nsec >= 1000000000L) {
				deadline.tv_sec++;
				deadline.tv_nsec -= 1000000000L;
			}
			helps++;
			pthread_cond_clockwait(&w->done, &w->lock, CLOCK_MONOTONIC, &deadline);
		}
		w->barrier_waiters--;
		pthread_mutex_unlock(&w->lock);
	}
	if (backlog(w) <= TPS__CB_BACKLOG_HIGH)
		atomic_store_explicit(&w->flooded, false, memory_order_relaxed);
}

/*
 * Pushes head on w's inbox and wakes the worker if it sleeps. lock_held: the
 * caller holds w->lock (a worker not started yet is started without taking
 * it again).
 */
static void push(struct tps__cb_worker *w, struct tps_rcu_head *head, tps_rcu_callback_t func,
                 bool lock_held)
{
	struct tps_rcu_head *top;
	unsigned long queued;

	head->func = func;
	/* Counted in before the push: see "Barriers" above. */
	queued = atomic_fetch_add_explicit(&w->queued, 1, memory_order_relaxed);
	/* A look at the worker's side now and then, not at every call. */
	if (tps_unlikely(queued % TPS__CB_BACKLOG_CHECK == 0) &&
	    queued + 1 - atomic_load_explicit(&w->invoked, memory_order_relaxed) >
	            TPS__CB_BACKLOG_HIGH)
		atomic_store_explicit(&w->flooded, true, memory_order_relaxed);
	top = atomic_load_explicit(&w->inbox, memory_order_relaxed);
	do {
		head->next = top;
		/*
		 * (Q1) seq_cst compare-and-swap: release for the link and the
		 * count (pairs with (Q3) in take_inbox() and with the next
		 * producer's (Q1)); seq_cst for (Q2).
		 */
	} while (!atomic_compare_exchange_weak_explicit(&w->inbox, &top, head, memory_order_seq_cst,
	                                                memory_order_relaxed));
	/* (C4) acquire: pairs with (C3). */
	if (tps_unlikely(!atomic_load_explicit(&w->started, memory_order_acquire))) {
		if (!lock_held)
			pthread_mutex_lock(&w->lock);
		/* Without a worker the callback stays queued; the next call or barrier retries. */
		if (!atomic_load_explicit(&w->started, memory_order_relaxed))
			start_worker(w);
		if (!lock_held)
			pthread_mutex_unlock(&w->lock);
	}
	/*
	 * (Q2) seq_cst load after the seq_cst (Q1): pairs with (Q4) in
	 * wait_for_work(). A seq_cst load, not a relaxed one: an RMW does not
	 * order a later relaxed load in C11 (nor on AArch64 without LSE);
	 * on x86-64 it is a plain load.
	 */
	if (atomic_load_explicit(&w->sleeping, memory_order_seq_cst))
		wake_worker(w);
}

int tps__cb_enqueue(struct tps__cb_worker *w, struct tps_rcu_head *head, tps_rcu_callback_t func)
{
	if (!head || !func)
		return -EINVAL;
	ensure_listed(w);
	if (tps_unlikely(atomic_load_explicit(&w->flooded, memory_order_relaxed)) &&
	    caller_may_help(w))
		help(w);
	push(w, head, func, false);
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
		push(w, head, func, true); /* never helps: its callers must not block */
	pthread_mutex_unlock(&w->lock);
}

/*
 * Fork preparation waiting for a worker's bookkeeping to end: it yields the
 * CPU this many times, then sleeps this long between looks.
 */
#define BOOK_YIELDS 64
#define BOOK_WAIT_NS 10000L

/* Time between attempts to create a worker thread when creation fails. */
#define START_RETRY_NS 1000000L

void tps__cb_barrier(struct tps__cb_worker *w)
{
	unsigned long target;
	int cancel_state;

	/*
	 * Not a cancellation point: pthread_cond_wait() is one, and a thread
	 * cancelled there would exit holding w->lock, stopping the worker for
	 * good. A cancel request waits for the caller's next cancellation point.
	 */
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel_state);
	ensure_listed(w);
	pthread_mutex_lock(&w->lock);
	target = atomic_load_explicit(&w->queued, memory_order_relaxed);
	/* Thread creation failed at enqueue time: insist, since we must wait. */
	while (!atomic_load_explicit(&w->started, memory_order_relaxed) &&
	       !TPS_SEQ_GE(atomic_load_explicit(&w->invoked, memory_order_relaxed), target) &&
	       start_worker(w) != 0) {
		struct timespec ts = {0, START_RETRY_NS};

		pthread_mutex_unlock(&w->lock);
		nanosleep(&ts, NULL);
		pthread_mutex_lock(&w->lock);
	}
	w->barrier_waiters++;
	while (!TPS_SEQ_GE(atomic_load_explicit(&w->invoked, memory_order_relaxed), target))
		pthread_cond_wait(&w->done, &w->lock);
	w->barrier_waiters--;
	pthread_mutex_unlock(&w->lock);
	pthread_setcancelstate(cancel_state, NULL);
}

bool tps__cb_in_worker(const struct tps__cb_worker *w)
{
	return current_worker == w;
}

bool tps__cb_in_any_worker(void)
{
	return current_worker != NULL;
}

void tps__cb_no_help_begin(void)
{
	no_help++;
}

void tps__cb_no_help_end(void)
{
	no_help--;
}

unsigned long tps__cb_thread_helps(void)
{
	return helps;
}

unsigned long tps__cb_pending(struct tps__cb_worker *w)
{
	return atomic_load_explicit(&w->queued, memory_order_acquire) -
	       atomic_load_explicit(&w->invoked, memory_order_acquire);
}

void tps__cb_worker_init(struct tps__cb_worker *w, const char *name, void (*wait_gp)(void *),
                         void *arg)
{
	*w = (struct tps__cb_worker){.name = name, .wait_gp = wait_gp, .arg = arg};
	pthread_mutex_init(&w->lock, NULL);
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
	/* seq_cst: pairs with (Q4) in wait_for_work(), as a push does. */
	atomic_store_explicit(&w->stopping, true, memory_order_seq_cst);
	atomic_store_explicit(&w->sleeping, 0, memory_order_seq_cst);
	tps__futex_wake(&w->sleeping, 1);
	if (atomic_load_explicit(&w->started, memory_order_acquire))
		pthread_join(w->thread, NULL);
	if (atomic_load_explicit(&w->listed, memory_order_relaxed))
		unlist_worker(w);
	pthread_cond_destroy(&w->done);
	pthread_mutex_destroy(&w->lock);
}

/*
 * Takes the list lock and every worker's lock, and stops the workers'
 * bookkeeping; waits for no callback.
 */
void tps__cb_fork_prepare(void)
{
	struct tps__cb_worker *w;

	/* No cancellation point here: mutexes only, held for a few stores. */
	pthread_mutex_lock(&workers_mutex);
	for (w = workers; w; w = w->next_worker) {
		pthread_mutex_lock(&w->lock);
		atomic_store_explicit(&w->fork_pending, 1, memory_order_relaxed);
	}
	/* (B3) pairs with (B1) in book_begin(): fork_pending stored, then book_busy loaded. */
	tps__fence_worker_heavy();
	for (w = workers; w; w = w->next_worker) {
		/*
		 * (B4) acquire: pairs with (B2); a worker between book_begin()
		 * and book_end() takes a few stores to leave (it runs no
		 * callback there); the next book_begin() sees fork_pending and
		 * waits on the lock. The forking thread itself is not inside
		 * its bookkeeping (a callback may fork, bookkeeping calls nothing).
		 */
		for (unsigned int n = 0; atomic_load_explicit(&w->book_busy, memory_order_acquire);
		     n++) {
			/* Sleeping lets a worker of lower real-time priority run. */
			struct timespec ts = {0, BOOK_WAIT_NS};

			if (n < BOOK_YIELDS)
				sched_yield();
			else
				nanosleep(&ts, NULL);
		}
	}
}

/* Called with the locks of tps__cb_fork_prepare() held: the bookkeeping may go on. */
static void fork_done(struct tps__cb_worker *w)
{
	atomic_store_explicit(&w->fork_pending, 0, memory_order_relaxed);
	pthread_mutex_unlock(&w->lock);
}

void tps__cb_fork_parent(void)
{
	struct tps__cb_worker *w;

	for (w = workers; w; w = w->next_worker)
		fork_done(w);
	pthread_mutex_unlock(&workers_mutex);
}

/* Callbacks of the batch being run that have started (the last may run still). */
static unsigned long batch_started(const struct tps__cb_worker *w)
{
	return w->state == TPS__CB_INVOKING ? w->batch_started : 0;
}

/* In the child: the worker's thread was another thread, which is gone. */
static void adopt_orphan(struct tps__cb_worker *w)
{
	unsigned long invoked = atomic_load_explicit(&w->invoked, memory_order_relaxed);

	if (w->state == TPS__CB_INVOKING) {
		/*
		 * Those that ran, and the one it was running, which belongs to the
		 * parent; the rest of the batch is still at the front of the list,
		 * counted in ready.
		 */
		atomic_store_explicit(&w->invoked, invoked + batch_started(w),
		                      memory_order_relaxed);
		w->batch_started = 0;
	}
	/* WAITING_GP: that grace period never ends here; ready stays as it was. */
	w->state = TPS__CB_IDLE;
	atomic_store_explicit(&w->sleeping, 0, memory_order_relaxed);
	atomic_store_explicit(&w->started, false, memory_order_relaxed);
}

/*
 * The forking thread holds workers_mutex and every worker's lock (prepare):
 * it releases them. See "fork()" at the top of this file.
 */
void tps__cb_fork_child(void)
{
	struct tps__cb_worker *w;

	for (w = workers; w; w = w->next_worker) {
		unsigned long in_hand;

		pthread_cond_init(&w->done, NULL);
		w->barrier_waiters = 0;
		/*
		 * The parent's worker may have raised book_busy after the
		 * preparation looked, seen fork_pending and been copied before it
		 * lowered it again: nobody is in a bookkeeping section here (the
		 * forking thread, if it is this worker, was running a callback),
		 * and a stale flag would hold the child's next fork for good.
		 */
		atomic_store_explicit(&w->book_busy, 0, memory_order_relaxed);
		if (current_worker != w)
			adopt_orphan(w);
		/* Recount: the callbacks held somewhere, plus those run. */
		in_hand = w->pending +
		          list_length(atomic_load_explicit(&w->inbox, memory_order_acquire)) +
		          batch_started(w);
		atomic_store_explicit(&w->queued,
		                      atomic_load_explicit(&w->invoked, memory_order_relaxed) +
		                              in_hand,
		                      memory_order_relaxed);
		if (current_worker != w && in_hand &&
		    !atomic_load_explicit(&w->stopping, memory_order_relaxed) &&
		    start_worker(w) != 0)
			fprintf(stderr,
			        "tpsync: %s: cannot restart the callback worker after "
			        "fork; callbacks wait for the next call\n",
			        w->name);
		fork_done(w);
	}
	pthread_mutex_unlock(&workers_mutex);
}

static bool chain_holds(const struct tps_rcu_head *c, const struct tps_rcu_head *h)
{
	for (; c; c = c->next)
		if (c == h)
			return true;
	return false;
}

/* Only the calling thread exists: the lock is for form, nothing else runs. */
bool tps__cb_fork_child_holds(struct tps__cb_worker *w, const struct tps_rcu_head *h)
{
	bool held;

	pthread_mutex_lock(&w->lock);
	held = chain_holds(w->head, h) ||
	       chain_holds(atomic_load_explicit(&w->inbox, memory_order_acquire), h);
	pthread_mutex_unlock(&w->lock);
	return held;
}
