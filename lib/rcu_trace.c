/* SPDX-License-Identifier: MIT */
/*
 * lib/rcu_trace.c - the tasks-trace flavour's grace periods and slow paths.
 *
 * A grace period (trace_gp()):
 *  1. under the registry lock, counts every registered thread as a holdout
 *     and sets its need_qs flag (the snapshot);
 *  2. one membarrier (TG1): the caller's unpublish and the flags are
 *     visible to any reader whose lock or unlock the scan does not see;
 *  3. scans the snapshot: a thread outside a reader is quiescent;
 *  4. waits until the holdout count drops to zero: a thread that was inside
 *     a reader reports at its outermost unlock, which sees its flag.
 * Whoever clears a thread's need_qs from 1 to 0 first (the scan, the thread
 * itself, or the thread's exit) decrements the count, so each thread counts
 * once; the last decrement wakes the updater. The count starts with one
 * extra unit that the updater drops after its scan, so it cannot reach zero
 * while the scan runs.
 *
 * Threads that register after step 1 are not waited for: they took the
 * registry lock after the updater did, so their readers see the unpublish.
 * Threads that exit during a grace period report as they leave the registry.
 */
#include <errno.h>

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

/* Threads the running grace period still waits for (+1 during its scan). */
static _Atomic int trace_holdouts;

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

/* Reports t quiescent if nobody has yet: exactly one caller wins the flag. */
static void report_qs(struct tps_thread *t)
{
	int one = 1;

	/* (TQ1) acquire: pairs with (TG0), the release store of the flag. */
	if (atomic_compare_exchange_strong_explicit(&t->trace_need_qs, &one, 0,
	                                            memory_order_acq_rel, memory_order_relaxed))
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

/* Registry lock held: flags s (NULL: no thread); true if it did. */
static bool snapshot_thread(struct tps_thread *s)
{
	if (!s)
		return false;
	atomic_fetch_add_explicit(&trace_holdouts, 1, memory_order_relaxed);
	/*
	 * (TG0) release: the count above before the flag that lets the
	 * thread drop it; pairs with (TQ1) in report_qs().
	 */
	atomic_store_explicit(&s->trace_need_qs, 1, memory_order_release);
	return true;
}

/* Step 1: flag every registered thread and count it; returns the count. */
static int trace_snapshot(void)
{
	struct tps_thread *t;
	int n = 0;

	atomic_store_explicit(&trace_holdouts, 1, memory_order_relaxed);
	tps__registry_lock();
	for (unsigned int i = 0; i < tps__registry_end; i++)
		n += snapshot_thread(tps__registry_table[i]);
	for (t = tps__registry_own; t; t = t->next)
		n += snapshot_thread(t);
	tps__registry_unlock();
	return n;
}

/* Registry lock held: reports s quiescent if it is flagged and outside a reader. */
static void scan_thread(struct tps_thread *s)
{
	unsigned long n;

	if (!s || !atomic_load_explicit(&s->trace_need_qs, memory_order_relaxed))
		return;
	/* (TG2) acquire: pairs with (TR2), the release store of the idle word. */
	n = atomic_load_explicit(&s->trace_nesting, TPS__MO_RS_ACQUIRE);
	if (!(n & TPS__TRACE_NEST_MASK))
		report_qs(s);
}

/* Step 3: every flagged thread outside a reader is quiescent now. */
static void trace_scan(void)
{
	struct tps_thread *t;

	tps__registry_lock();
	for (unsigned int i = 0; i < tps__registry_end; i++)
		scan_thread(tps__registry_table[i]);
	for (t = tps__registry_own; t; t = t->next)
		scan_thread(t);
	tps__registry_unlock();
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
	(void)arg;
	/*
	 * No thread registered: a thread that registers later takes the
	 * registry lock after the snapshot did, so its readers see the
	 * caller's unpublish. Nothing to wait for.
	 */
	if (!TRACE_GP_BROKEN && trace_snapshot() == 0)
		return;
	/*
	 * (TG1) membarrier: pairs with (TR1) in tps_rcu_read_lock_trace() and
	 * (TR3) in tps_rcu_read_unlock_trace() (fallback: (TR1f), (TR3f)), and
	 * with (S0) in tps__gpseq_snap(). Either the scan sees a reader's
	 * lock, or that reader sees the caller's unpublish; either the scan
	 * sees a reader's idle word, or that reader's unlock sees its flag.
	 */
	tps__fence_heavy();
	if (!TRACE_GP_BROKEN) {
		trace_scan();
		drop_holdout();
		wait_for_holdouts();
	}
	/*
	 * (TG4) full fence: the caller's reclaim (the free after we return)
	 * after every load of the scan and of the holdout count. Pairs with
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

void tps__trace_read_lock_slow(void)
{
	struct tps_thread *t = &tps__self;
	unsigned long n = atomic_load_explicit(&t->trace_nesting, memory_order_relaxed);

	/* As in tps__rcu_read_lock_slow(). */
	while (!(n & TPS__TRACE_REGISTERED)) {
		if (tps_unlikely(t->registered))
			tps__rule_broken("reader-registration",
			                 "a tasks-trace reader found its thread half-way out of "
			                 "the registry and could not register it");
		tps_register_thread();
		n = atomic_load_explicit(&t->trace_nesting, memory_order_relaxed);
	}
	if (!(n & TPS__TRACE_FALLBACK) || (n & TPS__TRACE_NEST_MASK)) {
		tps_rcu_read_lock_trace();
		return;
	}
	atomic_store_explicit(&t->trace_nesting, TPS__TRACE_REGISTERED | TPS__TRACE_FALLBACK | 1,
	                      TPS__MO_RS_RELAXED);
	/* (TR1f) full fence: pairs with (TG1), a plain fence in fallback mode. */
	tps_smp_mb();
}

void tps__trace_read_unlock_slow(void)
{
	struct tps_thread *t = &tps__self;
	unsigned long n = atomic_load_explicit(&t->trace_nesting, memory_order_relaxed);

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
	/* (TR2f) release, as (TR2): pairs with (TG2) in the scan. */
	atomic_store_explicit(&t->trace_nesting, TPS__TRACE_REGISTERED | TPS__TRACE_FALLBACK,
	                      TPS__MO_RS_RELEASE);
	/* (TR3f) full fence: pairs with (TG1), a plain fence in fallback mode. */
	tps_smp_mb();
	if (atomic_load_explicit(&t->trace_need_qs, TPS__MO_RS_RELAXED))
		tps__trace_report_qs();
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
