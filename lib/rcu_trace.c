/* SPDX-License-Identifier: MIT */
/*
 * lib/rcu_trace.c - the tasks-trace flavour's grace periods and slow paths.
 *
 * A grace period (trace_gp()):
 *  1. (TG0) full fence; with no registered thread, nothing to wait for;
 *  2. one membarrier (TG1): the caller's unpublish is visible to any reader
 *     whose lock the sweep does not see;
 *  3. under the registry lock, sweeps the registry once: a thread outside
 *     a reader is quiescent and is never looked at again (no store, no
 *     read-modify-write); a thread inside one is a holdout;
 *  4. only if there are holdouts: sets the count to a bias, sets each
 *     holdout's need_qs flag, a second membarrier (TG5), and rescans the
 *     holdouts: one that has left its reader is quiescent; then takes off
 *     the count, in one decrement, the bias less the holdouts and the
 *     holdouts the rescan reported, and waits until the count drops to
 *     zero: a thread still inside a reader reports at its outermost
 *     unlock, which sees its flag.
 * Whoever clears a holdout's need_qs from 1 to 0 first (the rescan, the
 * thread itself, or the thread's exit) counts it, so each holdout counts
 * once; the last decrement wakes the updater. The bias keeps the count from
 * reaching zero before the rescan is done. An idle thread costs a grace
 * period one load: no store, no read-modify-write.
 *
 * Threads that register after step 3 are not waited for: they took the
 * registry lock after the updater did, so their readers see the unpublish.
 * Threads that exit during a grace period report as they leave the registry.
 */
#include <errno.h>
#include <limits.h>

#include <tpsync/rcu_trace.h>

#include "internal.h"

/* Mutation build (-DTPSYNC_BROKEN_GP=trace): grace periods do not wait. */
#ifdef TPSYNC_BROKEN_GP_TRACE
#define TRACE_GP_BROKEN 1
#else
#define TRACE_GP_BROKEN 0
#endif

/* Polls of the holdout count before the updater sleeps on it. */
#define TRACE_SPIN_POLLS 200

static struct tps__gpseq trace_gpseq = TPS__GPSEQ_INIT;

/* Threads the running grace period still waits for (+TRACE_BIAS until its rescan is done). */
static _Atomic int trace_holdouts;
/* More than there can ever be threads; see trace_flag_and_rescan(). */
#define TRACE_BIAS (INT_MAX / 2)

/*
 * The holdouts of the running grace period (trace_gpseq's mutex and the
 * registry lock held from the sweep to the rescan, so the records stay).
 * More than this: the rescan sweeps the whole registry for flagged threads.
 */
#define TRACE_WATCH_MAX 256
static struct tps_thread *watch[TRACE_WATCH_MAX];
static unsigned int nwatch;
static bool watch_all;

static void trace_wait_gp_for_worker(void *arg);
static struct tps__cb_worker trace_worker = TPS__CB_WORKER_INIT_HELPING(
        trace_worker, "rcu-tasks-trace", trace_wait_gp_for_worker, NULL, true, false);
static struct tps__poller trace_poller = TPS__POLLER_INIT(&trace_gpseq, &trace_worker);

static void drop_holdout(void)
{
	/*
	 * (TQ2) release: everything the thread did in its readers is ordered
	 * before the decrement; the decrements form a release sequence that
	 * (TG3) in wait_for_holdouts() acquires.
	 */
	if (atomic_fetch_sub_explicit(&trace_holdouts, 1, memory_order_acq_rel) == 1)
		tps__futex_wake(&trace_holdouts, 1);
}

/* Clears t's flag if nobody has yet: true for the one caller that does. */
static bool win_qs(struct tps_thread *t)
{
	int one = 1;

	/* (TQ1) acquire: pairs with (TG4a), the release store of the flag. */
	return atomic_compare_exchange_strong_explicit(&t->trace_need_qs, &one, 0,
	                                               memory_order_acq_rel, memory_order_relaxed);
}

/* Reports t quiescent if nobody has yet: exactly one caller counts it. */
static void report_qs(struct tps_thread *t)
{
	if (win_qs(t))
		drop_holdout();
}

void tps__trace_report_qs(void)
{
	report_qs(&tps__self);
}

/* Registry lock held: the thread leaves the registry (exit or unregister). */
void tps__trace_thread_gone(struct tps_thread *t)
{
	report_qs(t);
}

/* (TG2) acquire: pairs with (TR2), the release store of the idle word. */
static bool in_reader(struct tps_thread *t)
{
	return atomic_load_explicit(&t->trace_nesting, TPS__MO_RS_ACQUIRE) & TPS__TRACE_NEST_MASK;
}

static void watch_add(struct tps_thread *t)
{
	if (nwatch == TRACE_WATCH_MAX)
		watch_all = true;
	else
		watch[nwatch++] = t;
}

/* Step 3, registry lock held: the holdouts, into the watch; their number. */
static int trace_sweep(void)
{
	struct tps_thread *t;
	int n = 0;

	nwatch = 0;
	watch_all = false;
	for (unsigned int i = 0; i < tps__registry_end; i++) {
		t = tps__registry_table[i];
		if (t && in_reader(t)) {
			watch_add(t);
			n++;
		}
	}
	for (t = tps__registry_own; t; t = t->next) {
		if (in_reader(t)) {
			watch_add(t);
			n++;
		}
	}
	return n;
}

/* Registry lock held: flags t if the sweep found it inside a reader. */
static void flag_holdout(struct tps_thread *t)
{
	/*
	 * (TG4a) release: the count, set before, is seen by whoever clears
	 * the flag; pairs with (TQ1) in win_qs().
	 */
	atomic_store_explicit(&t->trace_need_qs, 1, memory_order_release);
}

/* Registry lock held: has t, flagged, left its reader? Then report it; true if we did. */
static bool rescan_holdout(struct tps_thread *t)
{
	return !in_reader(t) && win_qs(t);
}

/*
 * Step 4, registry lock held: sets the count, flags the holdouts, (TG5),
 * and reports those that have left. Returns what the updater must take
 * off the count once the registry lock is free.
 *
 * The count starts at TRACE_BIAS, so that no report can take it to zero
 * before we are done; once we know how many threads we flagged (f) and how
 * many the rescan reported (won), one decrement of TRACE_BIAS - f + won
 * leaves exactly the holdouts that have not reported yet.
 */
static int trace_flag_and_rescan(void)
{
	struct tps_thread *t;
	int flagged = 0, won = 0;

	/* The count before any flag: a holdout may report as soon as it sees one. */
	atomic_store_explicit(&trace_holdouts, TRACE_BIAS, memory_order_relaxed);
	if (!watch_all) {
		for (unsigned int k = 0; k < nwatch; k++)
			flag_holdout(watch[k]);
		flagged = (int)nwatch;
	} else {
		/* Sweep again: flag (and count) exactly those still inside a reader. */
		for (unsigned int i = 0; i < tps__registry_end; i++) {
			t = tps__registry_table[i];
			if (t && in_reader(t)) {
				flag_holdout(t);
				flagged++;
			}
		}
		for (t = tps__registry_own; t; t = t->next) {
			if (in_reader(t)) {
				flag_holdout(t);
				flagged++;
			}
		}
	}
	/*
	 * (TG5) membarrier: pairs with (TR3) in tps_rcu_read_unlock_trace()
	 * (fallback: (TR3f)), store-buffer pattern: either the rescan below
	 * sees a holdout's idle word, or that holdout's unlock, after its
	 * idle store, sees its flag and reports.
	 */
	tps__fence_heavy();
	if (!watch_all) {
		for (unsigned int k = 0; k < nwatch; k++)
			won += rescan_holdout(watch[k]);
	} else {
		for (unsigned int i = 0; i < tps__registry_end; i++) {
			t = tps__registry_table[i];
			if (t && atomic_load_explicit(&t->trace_need_qs, memory_order_relaxed))
				won += rescan_holdout(t);
		}
		for (t = tps__registry_own; t; t = t->next)
			if (atomic_load_explicit(&t->trace_need_qs, memory_order_relaxed))
				won += rescan_holdout(t);
	}
	return TRACE_BIAS - flagged + won;
}

/* Step 4: spin, then sleep until the last holdout reports. */
static void wait_for_holdouts(void)
{
	unsigned int polls = 0;
	int h;

	/* (TG3) acquire: pairs with (TQ2) in every report. */
	while ((h = atomic_load_explicit(&trace_holdouts, memory_order_acquire)) != 0) {
		if (polls++ < TRACE_SPIN_POLLS)
			tps_cpu_relax();
		else
			tps__futex_wait(&trace_holdouts, h);
	}
}

/* One grace period, run by tps__gpseq_wait() with trace_gpseq's mutex held. */
static void trace_gp(void *arg)
{
	bool holdouts;
	int drop;

	(void)arg;
	/*
	 * (TG0) full fence, pairs with (RG3) in the registry and with (S0) in
	 * tps__gpseq_snap() of every caller this grace period serves: with no
	 * thread counted, a thread that registers later sees the callers'
	 * unpublish in all its readers. Nothing to wait for.
	 */
	tps_smp_mb();
	if (!TRACE_GP_BROKEN && tps__registry_count() == 0)
		return;
	/*
	 * (TG1) membarrier: pairs with (TR1) in tps_rcu_read_lock_trace()
	 * (fallback: (TR1f)) and with (S0) in tps__gpseq_snap(): either the
	 * sweep sees a reader's lock, or that reader sees the caller's
	 * unpublish.
	 */
	tps__fence_heavy();
	if (!TRACE_GP_BROKEN) {
		tps__registry_lock();
		holdouts = trace_sweep() != 0;
		drop = holdouts ? trace_flag_and_rescan() : 0;
		tps__registry_unlock();
		if (holdouts) {
			/*
			 * The bias, the threads not flagged and the rescan's
			 * reports, in one decrement: (TQ2) as in
			 * drop_holdout(); no need to wake ourselves.
			 */
			atomic_fetch_sub_explicit(&trace_holdouts, drop, memory_order_acq_rel);
			wait_for_holdouts();
		}
	}
	/*
	 * (TG4) full fence: the caller's reclaim (the free after we return)
	 * after every load of the sweeps and of the holdout count. Pairs with
	 * (TR2)/(TG2) and (TQ2)/(TG3): those order each holdout's critical
	 * section before what we saw, and this orders what we saw before the
	 * free, so no reader that began before the grace period sees the
	 * free's effects.
	 */
	tps_smp_mb();
}

static void check_not_in_reader(const char *rule, const char *what)
{
	if (tps_unlikely(tps_rcu_read_lock_trace_held()))
		tps__rule_broken(rule, what);
}

void tps_synchronize_rcu_tasks_trace(void)
{
	check_not_in_reader("synchronize-in-reader",
	                    "tps_synchronize_rcu_tasks_trace called inside a tasks-trace "
	                    "read-side critical section (it would wait for itself)");
	tps__gpseq_wait(&trace_gpseq, tps__gpseq_snap(&trace_gpseq), trace_gp, NULL);
}

unsigned long tps_get_state_synchronize_rcu_tasks_trace(void)
{
	return tps__gpseq_snap(&trace_gpseq);
}

unsigned long tps_start_poll_synchronize_rcu_tasks_trace(void)
{
	return tps__poller_start(&trace_poller);
}

bool tps_poll_state_synchronize_rcu_tasks_trace(unsigned long cookie)
{
	return tps__gpseq_done(&trace_gpseq, cookie);
}

void tps_cond_synchronize_rcu_tasks_trace(unsigned long cookie)
{
	if (tps__gpseq_done(&trace_gpseq, cookie))
		return;
	check_not_in_reader("synchronize-in-reader",
	                    "tps_cond_synchronize_rcu_tasks_trace called inside a tasks-trace "
	                    "read-side critical section (it would wait for itself)");
	tps__gpseq_wait(&trace_gpseq, cookie, trace_gp, NULL);
}

static void trace_wait_gp_for_worker(void *arg)
{
	(void)arg;
	tps_synchronize_rcu_tasks_trace();
}

int tps_call_rcu_tasks_trace(struct tps_rcu_head *head, tps_rcu_callback_t func)
{
	return tps__cb_enqueue(&trace_worker, head, func);
}

void tps_rcu_barrier_tasks_trace(void)
{
	check_not_in_reader("barrier-in-reader", "tps_rcu_barrier_tasks_trace called inside a "
	                                         "tasks-trace read-side critical section");
	if (tps_unlikely(tps__cb_in_worker(&trace_worker)))
		tps__rule_broken("barrier-in-callback",
		                 "tps_rcu_barrier_tasks_trace called from a tasks-trace callback "
		                 "(it would wait for itself)");
	tps__cb_barrier(&trace_worker);
}

/* ---- Read-side slow paths. ---- */

/* Enters the outermost section of a fallback-mode (or section-only) record. */
static void lock_fallback(struct tps_thread *t)
{
	atomic_store_explicit(&t->trace_nesting, TPS__TRACE_REGISTERED | TPS__TRACE_FALLBACK | 1,
	                      TPS__MO_RS_RELAXED);
	/* (TR1f) full fence: pairs with (TG1), a plain fence in fallback mode. */
	tps_smp_mb();
}

void tps__trace_read_lock_slow(void)
{
	struct tps_thread *t = &tps__self;
	unsigned long n = atomic_load_explicit(&t->trace_nesting, memory_order_relaxed);
	sigset_t old;

	/* As in tps__rcu_read_lock_slow(). */
	while (!(n & TPS__TRACE_REGISTERED)) {
		if (tps_unlikely(t->registered))
			tps__rule_broken("reader-registration",
			                 "a tasks-trace reader found its thread half-way out of "
			                 "the registry and could not register it");
		if (tps__registry_reader_register(&old)) {
			lock_fallback(t);
			tps__registry_unblock_signals(&old);
			return;
		}
		/* Through the variable, as in tps__rcu_read_lock_slow(). */
		n = atomic_load_explicit(&tps__self.trace_nesting, memory_order_relaxed);
	}
	if (!(n & TPS__TRACE_FALLBACK) || (n & TPS__TRACE_NEST_MASK)) {
		tps_rcu_read_lock_trace();
		return;
	}
	lock_fallback(t);
}

void tps__trace_read_unlock_slow(void)
{
	struct tps_thread *t = &tps__self;
	unsigned long n = atomic_load_explicit(&t->trace_nesting, memory_order_relaxed);
	sigset_t old;
	bool section;

	if (!(n & TPS__TRACE_NEST_MASK)) {
		TPS_DEBUG_RULE(
		        true, "trace-unbalanced",
		        "tps_rcu_read_unlock_trace without a matching tps_rcu_read_lock_trace");
		return;
	}
	if ((n & TPS__TRACE_NEST_MASK) > 1 || !(n & TPS__TRACE_FALLBACK)) {
		tps_rcu_read_unlock_trace();
		return;
	}
	/* As in tps__rcu_read_unlock_slow(). */
	section = t->registered == TPS__REG_SECTION;
	if (tps_unlikely(section))
		tps__registry_block_signals(&old);
	/* (TR2f) release, as (TR2): pairs with (TG2) in the sweep and rescan. */
	atomic_store_explicit(&t->trace_nesting, TPS__TRACE_REGISTERED | TPS__TRACE_FALLBACK,
	                      TPS__MO_RS_RELEASE);
	/* (TR3f) full fence: pairs with (TG5), a plain fence in fallback mode. */
	tps_smp_mb();
	if (atomic_load_explicit(&t->trace_need_qs, TPS__MO_RS_RELAXED))
		tps__trace_report_qs();
	if (tps_unlikely(section))
		tps__registry_section_end(&old);
}

/* In the child only the forking thread exists: no grace period runs there. */
void tps__trace_fork_child(void)
{
	tps__gpseq_fork_child(&trace_gpseq);
	atomic_store_explicit(&trace_holdouts, 0, memory_order_relaxed);
	atomic_store_explicit(&tps__self.trace_need_qs, 0, memory_order_relaxed);
}

void tps__trace_fork_child_poll(void)
{
	tps__poller_fork_child(&trace_poller);
}
