/* SPDX-License-Identifier: MIT */
/*
 * lib/rcu_qsbr.c - the QSBR flavour's registry, grace periods and slow
 * paths.
 *
 * State: a global counter (tps__qsbr_gp.ctr, never 0) and, per registered
 * thread, the value it copied at its last quiescent state (0 while it is
 * offline). A grace period advances the counter to c and waits until each
 * registered thread holds 0 or c. A thread can only hold c by having loaded
 * it after the advance, and the load pairs with the advance ((Q2)/(O1) with
 * (QG1)): everything the thread reads after it sees the caller's unpublish.
 * Every earlier reader of the thread ended before its release store of c or
 * of 0 ((Q3)/(F1)), which the scan's acquire load (QG3) reads.
 *
 * Going online is the one step where a thread's new value may be stale: it
 * loads the counter, then stores it, while the scan may already have seen
 * it offline. (O1) and (QG2) are the two full fences of that store-buffer
 * pattern. The counter has 64 bits on every ABI and never wraps: a stale
 * value a thread stores while going online (it may sit between its load
 * and its store, offline, for any number of grace periods) never equals
 * the counter of a later grace period, which keeps waiting for it. (With
 * a 32-bit counter, 2^32 grace periods in that window would make it look
 * quiescent: liburcu's 32-bit builds wait in two phases for that reason.)
 *
 * QSBR threads register explicitly, in a registry of their own (classic and
 * tasks-trace threads register implicitly in lib/registry.c). Grace periods
 * are serialized, shared and counted by qsbr_gpseq (gpseq.c), which gives
 * the polled cookies; callbacks run on a worker of callbacks.c.
 */
#include <errno.h>

#include "internal.h"

#include <tpsync/rcu_qsbr.h>

/* Mutation build (-DTPSYNC_BROKEN_GP=qsbr): grace periods do not wait. */
#ifdef TPSYNC_BROKEN_GP_QSBR
#define QSBR_GP_BROKEN 1
#else
#define QSBR_GP_BROKEN 0
#endif

/*
 * Scans before an updater sleeps: readers announce quiescent states often,
 * so a short spin catches most grace periods without a futex round trip.
 */
#define QSBR_SPIN_SCANS 100

struct tps__qsbr_gp tps__qsbr_gp = {
        .ctr = 1,
        .futex = 0,
};

__thread struct tps__qsbr_thread tps__qsbr_self __attribute__((tls_model("initial-exec")));

/* The registered QSBR threads, linked through their TLS records. */
static pthread_mutex_t qsbr_registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tps__qsbr_thread *qsbr_registry;
static pthread_key_t qsbr_exit_key;
static pthread_once_t qsbr_exit_key_once = PTHREAD_ONCE_INIT;

static struct tps__gpseq qsbr_gpseq = TPS__GPSEQ_INIT;

static void wait_gp_for_worker(void *arg);
static struct tps__cb_worker qsbr_worker =
        TPS__CB_WORKER_INIT(qsbr_worker, "qsbr", wait_gp_for_worker, NULL);

/* ---- Slow paths of the inline functions. ---- */

void tps__qsbr_report(unsigned long long c)
{
	struct tps__qsbr_thread *t = &tps__qsbr_self;

	/* Offline or unregistered: a quiescent state changes nothing. */
	if (!atomic_load_explicit(&t->ctr, memory_order_relaxed))
		return;
	/*
	 * (Q2) acquire fence: with the load of c in tps_qsbr_quiescent_state()
	 * it pairs with (QG1), so the readers that follow see the unpublish of
	 * the grace period that stored c.
	 */
	atomic_thread_fence(memory_order_acquire);
	/*
	 * (Q3) release: the readers before this quiescent state are complete
	 * before an updater's acquire scan (QG3) sees c.
	 */
	atomic_store_explicit(&t->ctr, c, TPS__MO_RS_RELEASE);
	/*
	 * (Q4) full fence, pairs with (QG4), as (F2) in
	 * tps_qsbr_thread_offline(): the rescan sees c or we see the flag.
	 */
	tps_smp_mb();
	if (atomic_load_explicit(&t->wake, TPS__MO_RS_RELAXED))
		tps__qsbr_wake_updater();
}

void tps__qsbr_wake_updater(void)
{
	int expected = -1;

	/*
	 * (W1) acquire: pairs with (QG5), so futex == -1 is seen while the
	 * updater still waits. A flag left from a wait that ended without
	 * sleeping finds 0 and wakes nobody (or wakes a later updater early:
	 * it rescans).
	 */
	if (!atomic_exchange_explicit(&tps__qsbr_self.wake, 0, memory_order_acquire))
		return;
	if (atomic_compare_exchange_strong_explicit(&tps__qsbr_gp.futex, &expected, 0,
	                                            memory_order_relaxed, memory_order_relaxed))
		tps__futex_wake(&tps__qsbr_gp.futex, 1);
}

/* ---- Grace periods. ---- */

/*
 * Does a registered thread still hold neither 0 nor c? With flag, ask each
 * such thread to wake us when it reports.
 */
static bool threads_remain(unsigned long long c, bool flag)
{
	struct tps__qsbr_thread *t;
	bool found = false;

	pthread_mutex_lock(&qsbr_registry_lock);
	for (t = qsbr_registry; t; t = t->next) {
		/* (QG3) acquire: pairs with (Q3) and (F1). */
		unsigned long long v = atomic_load_explicit(&t->ctr, TPS__MO_RS_ACQUIRE);

		if (!v || v == c)
			continue;
		found = true;
		if (!flag)
			break;
		/* (QG5) release: a thread that sees its flag sees futex == -1. */
		atomic_store_explicit(&t->wake, 1, memory_order_release);
	}
	pthread_mutex_unlock(&qsbr_registry_lock);
	return found;
}

/*
 * Spins, then sleeps until every registered thread holds 0 or c. The
 * registry lock is dropped between scans, so threads register, unregister
 * and exit while we wait (those that register take the lock after c was
 * stored, and copy c or a later value).
 */
static void wait_for_threads(unsigned long long c)
{
	unsigned int scans;

	for (scans = 0; threads_remain(c, false); scans++) {
		if (scans < QSBR_SPIN_SCANS) {
			tps_cpu_relax();
			continue;
		}
		atomic_store_explicit(&tps__qsbr_gp.futex, -1, TPS__MO_RS_RELAXED);
		if (!threads_remain(c, true))
			break;
		/*
		 * (QG4) pairs with (Q4) and (F2): store-buffer pattern. Either
		 * the rescan below sees a flagged thread's new value, or that
		 * thread's load after its store sees its flag and wakes us.
		 */
		tps_smp_mb();
		if (!threads_remain(c, false))
			break;
		tps__futex_wait(&tps__qsbr_gp.futex, -1);
	}
	atomic_store_explicit(&tps__qsbr_gp.futex, 0, memory_order_relaxed);
}

/* One grace period, run by tps__gpseq_wait() with qsbr_gpseq's mutex held. */
static void qsbr_gp(void *arg)
{
	unsigned long long c;
	bool empty;

	(void)arg;
	/*
	 * (QG1) full fence: begins the grace period as gpseq requires (pairs
	 * with (S0)), and orders the callers' unpublish before the counter
	 * store below, so that a thread whose (Q2) or (O1) follows a load of
	 * the new value sees the unpublish.
	 */
	tps_smp_mb();
	pthread_mutex_lock(&qsbr_registry_lock);
	empty = qsbr_registry == NULL;
	pthread_mutex_unlock(&qsbr_registry_lock);
	/*
	 * No QSBR thread: none can read. One that registers later takes the
	 * registry lock after we released it, and sees the unpublish.
	 */
	if (empty)
		return;
	/* Starts at 1 and never wraps: never 0, which means offline. */
	c = atomic_load_explicit(&tps__qsbr_gp.ctr, memory_order_relaxed) + 1;
	atomic_store_explicit(&tps__qsbr_gp.ctr, c, TPS__MO_RS_RELAXED);
	/*
	 * (QG2) full fence, pairs with (O1) in tps_qsbr_thread_online():
	 * either the scans below see a thread that comes online, or its
	 * readers see the unpublish.
	 */
	tps_smp_mb();
	if (!QSBR_GP_BROKEN)
		wait_for_threads(c);
	/*
	 * The scans' acquire loads (QG3) order the readers they saw end before
	 * whatever the caller does next; (S1) in gpseq.c publishes the end.
	 */
}

/*
 * Runs wait(arg) as an offline thread: an online caller goes offline first
 * and comes back online after, so that it does not wait for itself.
 */
static void wait_offline(void (*wait)(unsigned long), unsigned long arg)
{
	bool online = atomic_load_explicit(&tps__qsbr_self.ctr, memory_order_relaxed) != 0;

	if (online)
		tps_qsbr_thread_offline();
	wait(arg);
	if (online)
		tps_qsbr_thread_online();
}

static void check_not_in_reader(const char *rule, const char *what)
{
	TPS_DEBUG_RULE(tps_qsbr_read_ongoing(), rule, what);
	(void)rule;
	(void)what;
}

static void gp_wait_cookie(unsigned long cookie)
{
	tps__gpseq_wait(&qsbr_gpseq, cookie, qsbr_gp, NULL);
}

static void gp_wait_new(unsigned long unused)
{
	(void)unused;
	gp_wait_cookie(tps__gpseq_snap(&qsbr_gpseq));
}

void tps_synchronize_qsbr(void)
{
	check_not_in_reader("synchronize-in-reader",
	                    "tps_synchronize_qsbr called inside a QSBR read-side critical section "
	                    "(it would wait for itself)");
	wait_offline(gp_wait_new, 0);
}

unsigned long tps_get_state_synchronize_qsbr(void)
{
	return tps__gpseq_snap(&qsbr_gpseq);
}

bool tps_poll_state_synchronize_qsbr(unsigned long cookie)
{
	return tps__gpseq_done(&qsbr_gpseq, cookie);
}

void tps_cond_synchronize_qsbr(unsigned long cookie)
{
	if (tps_poll_state_synchronize_qsbr(cookie))
		return;
	check_not_in_reader("synchronize-in-reader",
	                    "tps_cond_synchronize_qsbr called inside a QSBR read-side critical "
	                    "section (it would wait for itself)");
	wait_offline(gp_wait_cookie, cookie);
}

static void wait_gp_for_worker(void *arg)
{
	(void)arg;
	tps_synchronize_qsbr();
}

int tps_call_qsbr(struct tps_rcu_head *head, tps_rcu_callback_t func)
{
	return tps__cb_enqueue(&qsbr_worker, head, func);
}

static void barrier_wait(unsigned long unused)
{
	(void)unused;
	tps__cb_barrier(&qsbr_worker);
}

void tps_qsbr_barrier(void)
{
	check_not_in_reader("barrier-in-reader",
	                    "tps_qsbr_barrier called inside a QSBR read-side critical section");
	if (tps_unlikely(tps__cb_in_worker(&qsbr_worker)))
		tps__rule_broken("barrier-in-callback",
		                 "tps_qsbr_barrier called from a QSBR callback (it would wait for "
		                 "itself)");
	wait_offline(barrier_wait, 0);
}

/* ---- Registration. ---- */

static void link_record(struct tps__qsbr_thread *t)
{
	t->prev = NULL;
	t->next = qsbr_registry;
	if (t->next)
		t->next->prev = t;
	qsbr_registry = t;
}

static void unlink_record(struct tps__qsbr_thread *t)
{
	if (t->prev)
		t->prev->next = t->next;
	else
		qsbr_registry = t->next;
	if (t->next)
		t->next->prev = t->prev;
	t->next = t->prev = NULL;
}

/* Offline, out of the registry. */
static void unregister_record(struct tps__qsbr_thread *t)
{
	/*
	 * Offline first, outside the lock: a grace period that waits for us
	 * scans under it, and must find us quiescent (and be woken) before we
	 * can take it.
	 */
	tps_qsbr_thread_offline();
	pthread_mutex_lock(&qsbr_registry_lock);
	unlink_record(t);
	t->registered = 0;
	pthread_mutex_unlock(&qsbr_registry_lock);
}

/* pthread key destructor: the thread exits registered. */
static void qsbr_thread_exit(void *arg)
{
	struct tps__qsbr_thread *t = arg;

	TPS_DEBUG_RULE(atomic_load_explicit(&t->nesting, memory_order_relaxed), "exit-in-reader",
	               "thread exits inside a QSBR read-side critical section");
	atomic_store_explicit(&t->nesting, 0, memory_order_relaxed);
	if (t->registered)
		unregister_record(t);
}

static void make_exit_key(void)
{
	if (pthread_key_create(&qsbr_exit_key, qsbr_thread_exit) != 0)
		tps__rule_broken("registry", "pthread_key_create failed: out of keys");
}

int tps_qsbr_register_thread(void)
{
	struct tps__qsbr_thread *t = &tps__qsbr_self;

	if (t->registered)
		return -EEXIST;
	pthread_once(&qsbr_exit_key_once, make_exit_key);
	atomic_store_explicit(&t->ctr, 0, memory_order_relaxed);
	atomic_store_explicit(&t->wake, 0, memory_order_relaxed);
	pthread_mutex_lock(&qsbr_registry_lock);
	link_record(t);
	t->registered = 1;
	pthread_mutex_unlock(&qsbr_registry_lock);
	pthread_setspecific(qsbr_exit_key, t);
	tps_qsbr_thread_online();
	return 0;
}

int tps_qsbr_unregister_thread(void)
{
	struct tps__qsbr_thread *t = &tps__qsbr_self;

	if (!t->registered)
		return -ENOENT;
	if (tps_qsbr_read_ongoing())
		return -EBUSY;
	unregister_record(t);
	pthread_setspecific(qsbr_exit_key, NULL);
	return 0;
}

/*
 * In the child of fork() only the forking thread exists: the registry holds
 * it alone (when registered), and a grace period another thread ran is
 * forgotten (its mutexes may have been held).
 */
void tps__qsbr_fork_child(void)
{
	struct tps__qsbr_thread *self = &tps__qsbr_self;

	pthread_mutex_init(&qsbr_registry_lock, NULL);
	qsbr_registry = NULL;
	if (self->registered)
		link_record(self);
	atomic_store_explicit(&self->wake, 0, memory_order_relaxed);
	tps__gpseq_fork_child(&qsbr_gpseq);
	atomic_store_explicit(&tps__qsbr_gp.futex, 0, memory_order_relaxed);
}
