/* SPDX-License-Identifier: MIT */
/*
 * lib/internal.h - the machinery the flavours share inside the library:
 * registry, fences, futex waiting, callback workers, fork handling.
 */
#ifndef TPSYNC_LIB_INTERNAL_H
#define TPSYNC_LIB_INTERNAL_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>

#include <tpsync/core.h>

/* Debug-only checks: compiled in only when TPSYNC_DEBUG. */
#if TPSYNC_DEBUG
#define TPS_DEBUG_RULE(cond, rule, detail)                                                         \
	do {                                                                                       \
		if (tps_unlikely(cond))                                                            \
			tps__rule_broken(rule, detail);                                            \
	} while (0)
#else
#define TPS_DEBUG_RULE(cond, rule, detail) ((void)0)
#endif

/* Wrap-safe comparison of grace-period sequence numbers. */
#define TPS_SEQ_GE(a, b) ((long)((a) - (b)) >= 0)

/* ---- registry.c ---- */

/*
 * The registry is a table of pointers to the registered threads' records
 * (which live in their TLS), swept in order of index from 0 to
 * tps__registry_end (exclusive; an empty entry below it is NULL): the
 * pointers are read in sequence and the records' loads do not depend on
 * one another. A thread that finds no room in the table (it cannot grow)
 * is on a list, tps__registry_own, that sweeps walk after the table.
 * Everything here is protected by the registry lock, which grace periods
 * hold while they read records, and never keep a record's pointer after
 * dropping it (a thread that exits frees its TLS). An index stays valid
 * across unlocks, but its entry may have changed or emptied.
 */
void tps__registry_lock(void);
void tps__registry_unlock(void);
extern struct tps_thread **tps__registry_table;
extern unsigned int tps__registry_end;
extern struct tps_thread *tps__registry_own;
/*
 * Registered threads, read without the lock: a grace period may return at
 * once when it is zero. Call it after a full fence, which pairs with (RG3)
 * in tps_register_thread(): a thread that registers and is not counted
 * then sees everything the caller did before that fence.
 */
unsigned long tps__registry_count(void);
/* Registry lock held: t leaves the registry; reports its tasks-trace quiescence. */
void tps__trace_thread_gone(struct tps_thread *t);
/* Registers the calling thread if it is not registered yet. */
void tps__thread_ensure_registered(void);
/*
 * Values of struct tps_thread's `registered`, besides 0: in the registry
 * until the thread unregisters or exits (its exit destructor is armed), or
 * only until its open critical sections end.
 */
#define TPS__REG_FOR_GOOD 1
#define TPS__REG_SECTION 2
/*
 * Reader slow paths of an unregistered thread: registers it. False when it
 * is registered for good (or a handler registered it meanwhile): the caller
 * reloads its word. True when it could only be registered for one critical
 * section (its exit began, or its exit destructor could not be armed): then
 * signals are blocked, *old holds the mask to restore, and the caller enters
 * its section as in fallback mode, fences, and calls
 * tps__registry_unblock_signals(old).
 */
bool tps__registry_reader_register(sigset_t *old);
void tps__registry_block_signals(sigset_t *old);
void tps__registry_unblock_signals(const sigset_t *old);
/*
 * Outermost unlock of a section-only record, signals blocked since before
 * its idle store (tps__registry_block_signals()): takes the record out of
 * the registry when no section of either flavour is open, then restores
 * the mask.
 */
void tps__registry_section_end(const sigset_t *old);
/* Wakes a classic updater that sleeps waiting for readers (async-signal-safe). */
void tps__rcu_futex_wake(void);

/* ---- fence.c ---- */

/* Called from every entry that may run before the library constructor. */
void tps__fence_init(void);
/* True when read sides rely on membarrier (decided once, at init). */
bool tps__membarrier_mode(void);
/*
 * tps__fence_heavy() - the updater's side of the asymmetric fence: every
 * running thread of the process executes a full barrier before it returns
 * (membarrier), or, in fallback mode where readers fence themselves, a full
 * barrier on the caller only.
 */
void tps__fence_heavy(void);
/*
 * The asymmetric fence between a callback worker's bookkeeping and fork
 * preparation (lib/callbacks.c). tps__fence_worker_light(): true when the
 * worker's side may be a compiler barrier, because
 * tps__fence_worker_heavy() issues membarrier: the process registered for
 * it at init, whatever tps_force_fallback() did later (a registration stays).
 * Both answers are fixed at init, so the two sides always agree.
 */
bool tps__fence_worker_light(void);
void tps__fence_worker_heavy(void);
/*
 * Freezes the fence mode (at each registration; tps_force_fallback() fails
 * after the first) and returns it: true for membarrier mode.
 */
bool tps__fence_freeze(void);

/* ---- gpseq.c ---- */

/* Grace-period sequence: serializes a flavour's grace periods, shares them. */
struct tps__gpseq {
	pthread_mutex_t lock;      /* held while a grace period runs */
	_Atomic unsigned long seq; /* even: idle; odd: a grace period runs */
	_Atomic int changes;       /* futex word: bumped at each mutex release */
	_Atomic int sleepers;      /* callers asleep on changes */
};
#define TPS__GPSEQ_INIT                                                                            \
	{                                                                                          \
		.lock = PTHREAD_MUTEX_INITIALIZER, .seq = 0                                        \
	}

/* A cookie (with a full fence first); never blocks. */
unsigned long tps__gpseq_snap(struct tps__gpseq *g);
/* Has the cookie's grace period ended? Acquire when true. */
bool tps__gpseq_done(struct tps__gpseq *g, unsigned long cookie);
/*
 * Runs gp(arg), one grace period that must begin with a full fence, under
 * g's mutex, unless the cookie's grace period ended meanwhile.
 */
void tps__gpseq_wait(struct tps__gpseq *g, unsigned long cookie, void (*gp)(void *), void *arg);
void tps__gpseq_fork_child(struct tps__gpseq *g);

/* ---- poll.c ---- */

struct tps__cb_worker;

/*
 * A poller makes sure that grace periods of one flavour keep running until
 * a requested cookie is done, without anyone waiting: it is a callback that
 * the flavour's worker runs after a grace period and that queues itself
 * again while the latest requested cookie is not done yet. At most one is
 * queued at a time, whatever the number of requests.
 */
struct tps__poller {
	struct tps__gpseq *g;
	struct tps__cb_worker *w;
	struct tps_rcu_head head;
	_Atomic int queued;         /* head is on w's queue */
	_Atomic unsigned long want; /* the newest cookie requested */
};
#define TPS__POLLER_INIT(gp, worker)                                                               \
	{                                                                                          \
		.g = (gp), .w = (worker)                                                           \
	}

/*
 * A cookie of p's flavour (tps__gpseq_snap()), whose grace period will end
 * without a waiter. Never blocks.
 */
unsigned long tps__poller_start(struct tps__poller *p);
/* Fork child, after tps__cb_fork_child(): a poller running at the fork is requeued. */
void tps__poller_fork_child(struct tps__poller *p);

/* ---- wait.c ---- */

/* Sleeps while *word == val (spurious wake-ups possible: callers re-check). */
void tps__futex_wait(_Atomic int *word, int val);
/* Wakes up to n waiters of word. Async-signal-safe. */
void tps__futex_wake(_Atomic int *word, int n);

/* ---- callbacks.c ---- */

/*
 * A callback worker: one per flavour (or SRCU domain). Producers push
 * callbacks onto a lock-free stack (the inbox) and wake the worker only when
 * it sleeps; the worker moves the inbox into its FIFO list, waits for a grace
 * period that covers everything in the list, and runs at most
 * TPS__CB_BATCH_MAX callbacks at a time. Started on the first call. Around
 * fork() nothing waits for a running callback: see lib/callbacks.c.
 */
enum tps__cb_state { TPS__CB_IDLE, TPS__CB_WAITING_GP, TPS__CB_INVOKING };

struct tps__cb_worker {
	/* Set at initialization, read by everyone. */
	const char *name;
	/* Waits for one grace period of the worker's flavour. */
	void (*wait_gp)(void *arg);
	void *arg;
	/*
	 * Past the backlog threshold, a producer outside every classic and
	 * tasks-trace reader waits for the worker (bounded) before it queues.
	 * False where a producer may be a reader the worker's grace period
	 * waits for without the library knowing (SRCU).
	 */
	bool may_help;
	/*
	 * It first waits for a whole grace period (wait_gp), which is not
	 * bounded. Only where no reader the library cannot see may hold that
	 * grace period up while waiting for the producer: classic, whose
	 * readers never block. Not tasks-trace: a trace reader may wait for an
	 * SRCU grace period that the producer, inside that SRCU reader, holds up.
	 */
	bool help_waits_gp;

	/* Producers' side: written without the lock by every producer. */
	_Atomic(struct tps_rcu_head *) inbox; /* newest first */
	_Atomic unsigned long queued;         /* callbacks ever counted in */
	_Atomic int sleeping;                 /* futex word: 1 while the worker sleeps */
	_Atomic bool flooded;                 /* the backlog passed the threshold */
	_Atomic bool started;
	_Atomic bool stopping;
	_Atomic bool listed; /* on the list fork() walks */
	/* Keeps the two sides on different cache lines (no alignment: SRCU embeds us). */
	char pad[64];

	/* The worker's side: under lock, which nobody holds across a wait. */
	pthread_mutex_t lock;
	pthread_cond_t done;       /* barrier callers sleep on it */
	struct tps_rcu_head *head; /* taken from the inbox, oldest first */
	struct tps_rcu_head **tail;
	unsigned long pending; /* callbacks in head */
	unsigned long ready;   /* the first ready of them had their grace period */
	/* Callbacks of the batch being run taken off the list (run or running). */
	unsigned long batch_started;
	/*
	 * A batch takes each callback off the list without the lock: the
	 * worker sets book_busy around that bookkeeping and a fork's
	 * preparation sets fork_pending (lib/callbacks.c, "fork()").
	 */
	_Atomic int book_busy;
	_Atomic int fork_pending;
	_Atomic unsigned long invoked; /* callbacks run before this batch (written under lock) */
	unsigned int barrier_waiters;
	enum tps__cb_state state;
	pthread_t thread;
	struct tps__cb_worker *next_worker; /* global list, for fork() */
};

#define TPS__CB_WORKER_INIT_HELPING(w, nm, fn, a, help, help_gp)                                   \
	{                                                                                          \
		.name = (nm), .wait_gp = (fn), .arg = (a), .may_help = (help),                     \
		.help_waits_gp = (help_gp), .lock = PTHREAD_MUTEX_INITIALIZER,                     \
		.done = PTHREAD_COND_INITIALIZER, .tail = &(w).head,                               \
	}
/* A worker whose producers never wait. */
#define TPS__CB_WORKER_INIT(w, nm, fn, a) TPS__CB_WORKER_INIT_HELPING(w, nm, fn, a, false, false)

/*
 * Backlog (queued, not yet run) past which a producer that may help waits
 * before it queues: see lib/callbacks.c. 16,384 is four batches, about
 * 1.5 MiB of 100-byte objects waiting to be freed: far above what ordinary
 * updates queue behind one grace period, so only a flood meets it, and low
 * enough that the memory a flood holds stays small.
 */
#define TPS__CB_BACKLOG_HIGH 16384UL

int tps__cb_enqueue(struct tps__cb_worker *w, struct tps_rcu_head *head, tps_rcu_callback_t func);
/*
 * Queues head (func not NULL) unless *queued is set, and sets *queued, both
 * under w's lock: a fork never separates the flag from the queue. Whoever
 * clears *queued (the callback, once done with head) does so with a release
 * store.
 */
void tps__cb_enqueue_once(struct tps__cb_worker *w, struct tps_rcu_head *head,
                          tps_rcu_callback_t func, _Atomic int *queued);
/* Waits until every callback queued before the call has run. */
void tps__cb_barrier(struct tps__cb_worker *w);
/* Is the calling thread running callbacks of w? */
bool tps__cb_in_worker(const struct tps__cb_worker *w);
/* Is the calling thread running callbacks of any worker? */
bool tps__cb_in_any_worker(void);
/*
 * Between begin and end, the calling thread's tps__cb_enqueue() never
 * helps (never waits): for callers that hold a lock fork() takes.
 */
void tps__cb_no_help_begin(void);
void tps__cb_no_help_end(void);
/* Dynamic workers (SRCU domains): init, then stop (queue must be empty). */
void tps__cb_worker_init(struct tps__cb_worker *w, const char *name, void (*wait_gp)(void *),
                         void *arg);
void tps__cb_worker_destroy(struct tps__cb_worker *w);
/* Pending callbacks (queued, not yet run). */
unsigned long tps__cb_pending(struct tps__cb_worker *w);

/* ---- fork handling: fork.c calls these in a fixed order ---- */

/* prepare: tracepoints, callbacks, registry; parent and child: the reverse order. */
void tps__tracepoint_fork_prepare(void);
void tps__tracepoint_fork_parent(void);
void tps__tracepoint_fork_child(void);
void tps__cb_fork_prepare(void);
void tps__cb_fork_parent(void);
void tps__cb_fork_child(void);
/*
 * In a fork child, after tps__cb_fork_child(): is h queued on w (not run, not
 * running)? A callback another thread ran or was queueing at the fork is not.
 */
bool tps__cb_fork_child_holds(struct tps__cb_worker *w, const struct tps_rcu_head *h);
void tps__registry_fork_prepare(void);
void tps__registry_fork_parent(void);
void tps__registry_fork_child(void);
void tps__rcu_fork_child(void);
void tps__trace_fork_child(void);
void tps__qsbr_fork_child(void);
void tps__tasks_fork_child(void);
/* SRCU: prepare after the registry, parent and child before it. */
void tps__srcu_fork_prepare(void);
void tps__srcu_fork_parent(void);
void tps__srcu_fork_child(void);
/* After tps__cb_fork_child(): requeues a poll callback the child lost. */
void tps__srcu_fork_child_poll(void);
/* The classic and tasks-trace pollers, likewise. */
void tps__rcu_fork_child_poll(void);
void tps__trace_fork_child_poll(void);
/* Installs the handlers once (called from the fence initialization). */
void tps__fork_init(void);

#endif /* TPSYNC_LIB_INTERNAL_H */
