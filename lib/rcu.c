/* SPDX-License-Identifier: MIT */
/*
 * lib/rcu.c - the classic flavour's grace periods and slow paths.
 *
 * Reader state: each registered thread's rcu_ctr word holds a nesting count
 * and the phase of tps__rcu_gp.ctr it copied at its outermost lock (see
 * include/tpsync/rcu.h). A grace period waits until no reader is in the
 * phase before the current one, flips the phase, and waits again: a reader
 * that copied the phase just before a flip but stored it just after is
 * caught by the second wait. Two membarriers turn the readers' compiler
 * barriers into full fences where they pair (labels (G1) and (G4) below).
 *
 * Grace periods are serialized, counted and shared by rcu_gpseq (gpseq.c),
 * which also gives the polled cookies.
 */
#include "internal.h"

#include <tpsync/rcu.h>

/* Mutation build (-DTPSYNC_BROKEN_GP=rcu): grace periods do not wait. */
#ifdef TPSYNC_BROKEN_GP_RCU
#define RCU_GP_BROKEN 1
#else
#define RCU_GP_BROKEN 0
#endif

/* Scans of the reader words before an updater sleeps (each scan ~0.1 µs/thread). */
#define RCU_SPIN_SCANS 100

struct tps__rcu_gp tps__rcu_gp = {
        .ctr = TPS__RCU_REGISTERED | 1,
        .futex = 0,
};

/* Serializes grace periods (its mutex protects the phase flip), shares them. */
static struct tps__gpseq rcu_gpseq = TPS__GPSEQ_INIT;

static void wait_gp_for_worker(void *arg);
static struct tps__cb_worker rcu_worker =
        TPS__CB_WORKER_INIT_HELPING(rcu_worker, "rcu", wait_gp_for_worker, NULL, true, true);
static struct tps__poller rcu_poller = TPS__POLLER_INIT(&rcu_gpseq, &rcu_worker);

/*
 * The readers a wait looks at (rcu_gpseq's mutex held): indices in the
 * registry's table, or, with all set, every registered thread. The first sweep of a grace period
 * sorts the readers it finds into two watches: those in the old phase,
 * which the first wait waits for, and those in the current phase, which
 * become old at the flip and which the second wait waits for. A reader the
 * first sweep did not find inside a critical section started after (G1)
 * (else the sweep, after (G1), would have seen its lock), so it sees the
 * caller's unpublish: neither wait needs it. A reader that leaves a watched
 * critical section is dropped from the watch: whatever it runs next started
 * after the sweep saw its older word, so, by the same argument, after (G1).
 * An index whose thread left and which another thread took meanwhile is at
 * worst waited for needlessly (its reader is short). Threads on the
 * registry's list have no stable index: finding one inside a critical
 * section sets all.
 */
#define RCU_WATCH_MAX 256
struct rcu_watch {
	bool all;
	unsigned int n;
	unsigned int index[RCU_WATCH_MAX];
};
static struct rcu_watch watch_old, watch_current;

static void watch_add(struct rcu_watch *w, unsigned int index)
{
	if (w->n == RCU_WATCH_MAX)
		w->all = true;
	else
		w->index[w->n++] = index;
}

/* A reader word inside a critical section of the phase before gp's. */
static bool in_old_reader(unsigned long c, unsigned long gp)
{
	return (c & TPS__RCU_NEST_MASK) && ((c ^ gp) & TPS__RCU_PHASE);
}

/* (G2) acquire: pairs with (R2), the release store of the idle word. 0 for no thread. */
static unsigned long read_word(struct tps_thread *t)
{
	return t ? atomic_load_explicit(&t->rcu_ctr, TPS__MO_RS_ACQUIRE) : 0;
}

/* The first sweep, after (G1), before the first wait: fills both watches. */
static void first_sweep(void)
{
	unsigned long gp = atomic_load_explicit(&tps__rcu_gp.ctr, memory_order_relaxed);
	struct tps_thread *t;

	watch_old.all = watch_current.all = false;
	watch_old.n = watch_current.n = 0;
	tps__registry_lock();
	for (unsigned int i = 0; i < tps__registry_end; i++) {
		unsigned long c = read_word(tps__registry_table[i]);

		if (c & TPS__RCU_NEST_MASK)
			watch_add(in_old_reader(c, gp) ? &watch_old : &watch_current, i);
	}
	for (t = tps__registry_own; t; t = t->next) {
		unsigned long c = read_word(t);

		if (c & TPS__RCU_NEST_MASK)
			(in_old_reader(c, gp) ? &watch_old : &watch_current)->all = true;
	}
	tps__registry_unlock();
}

/*
 * Registry lock held. Does a reader of w still run in the phase before the
 * current one? Drops from w the readers that have left. With flag, also
 * asks each such reader to wake us when it leaves: (G3a) release, so that
 * a reader that sees its flag also sees futex == -1.
 */
static bool old_readers_remain(struct rcu_watch *w, bool flag)
{
	unsigned long gp = atomic_load_explicit(&tps__rcu_gp.ctr, memory_order_relaxed);
	struct tps_thread *t;
	bool found = false;
	unsigned int kept = 0;

	if (w->all) {
		for (unsigned int i = 0; i < tps__registry_end && (flag || !found); i++) {
			t = tps__registry_table[i];
			if (!in_old_reader(read_word(t), gp))
				continue;
			found = true;
			if (flag)
				atomic_store_explicit(&t->rcu_wake, 1, memory_order_release);
		}
		for (t = tps__registry_own; t && (flag || !found); t = t->next) {
			if (!in_old_reader(read_word(t), gp))
				continue;
			found = true;
			if (flag)
				atomic_store_explicit(&t->rcu_wake, 1, memory_order_release);
		}
		return found;
	}
	for (unsigned int k = 0; k < w->n; k++) {
		/* The table may have shrunk below the index: then no thread holds it. */
		t = w->index[k] < tps__registry_end ? tps__registry_table[w->index[k]] : NULL;
		if (!in_old_reader(read_word(t), gp))
			continue;
		found = true;
		w->index[kept++] = w->index[k];
		if (flag)
			atomic_store_explicit(&t->rcu_wake, 1, memory_order_release);
	}
	w->n = kept;
	return found;
}

static bool old_readers_remain_locked(struct rcu_watch *w)
{
	bool found;

	tps__registry_lock();
	found = old_readers_remain(w, false);
	tps__registry_unlock();
	return found;
}

/* Spins, then sleeps until no reader of w remains in the old phase. */
static void wait_for_old_readers(struct rcu_watch *w)
{
	unsigned int scans;

	if (!w->all && !w->n)
		return;
	for (scans = 0; old_readers_remain_locked(w); scans++) {
		bool found;

		if (scans < RCU_SPIN_SCANS) {
			tps_cpu_relax();
			continue;
		}
		atomic_store_explicit(&tps__rcu_gp.futex, -1, TPS__MO_RS_RELAXED);
		/*
		 * Flag, fence and rescan under one hold of the registry lock:
		 * no index changes thread, and no thread registers, in between.
		 */
		tps__registry_lock();
		found = old_readers_remain(w, true);
		if (found) {
			/*
			 * (G3) pairs with (R3) in tps_rcu_read_unlock() (and
			 * its fallback (R3f)): store-buffer pattern. Either the
			 * rescan below sees a flagged reader's idle word, or
			 * that reader's load after its idle store sees its
			 * rcu_wake flag and wakes us.
			 */
			tps__fence_heavy();
			found = old_readers_remain(w, false);
		}
		tps__registry_unlock();
		if (!found)
			break;
		tps__futex_wait(&tps__rcu_gp.futex, -1);
	}
	atomic_store_explicit(&tps__rcu_gp.futex, 0, memory_order_relaxed);
}

/* Test hook: runs in a grace period between the first sweep and the first wait. */
static void (*_Atomic sweep_hook)(void);

void tps__rcu_set_sweep_hook(void (*hook)(void))
{
	atomic_store_explicit(&sweep_hook, hook, memory_order_relaxed);
}

/* One grace period, run by tps__gpseq_wait() with rcu_gpseq's mutex held. */
static void rcu_gp(void *arg)
{
	(void)arg;
	/*
	 * (G0) full fence, pairs with (RG3) in the registry and with (S0) in
	 * tps__gpseq_snap() of every caller this grace period serves: with no
	 * thread counted, a thread that registers later sees the callers'
	 * unpublish in all its readers. Nothing to wait for.
	 */
	tps_smp_mb();
	if (tps__registry_count() == 0)
		return;
	/*
	 * (G1) pairs with (R1) in tps_rcu_read_lock() (fallback: (R1f)) and
	 * with (S0) in tps__gpseq_snap(): the callers' unpublish stores are
	 * visible to every reader whose outermost lock the sweep below does
	 * not see; every lock it does see is waited for.
	 */
	tps__fence_heavy();
	if (!RCU_GP_BROKEN) {
		void (*hook)(void) = atomic_load_explicit(&sweep_hook, memory_order_relaxed);

		first_sweep();
		if (hook)
			hook();
		wait_for_old_readers(&watch_old);
		/*
		 * (G5) full fence, for progress, not safety (safety is (G1),
		 * (G4) and the two waits): the first wait's scans are done
		 * before the flip is stored. No read-side barrier pairs with it.
		 */
		tps_smp_mb();
		atomic_store_explicit(&tps__rcu_gp.ctr,
		                      atomic_load_explicit(&tps__rcu_gp.ctr, memory_order_relaxed) ^
		                              TPS__RCU_PHASE,
		                      TPS__MO_RS_RELAXED);
		/*
		 * (G6) full fence, for progress: the flip is stored before the
		 * second wait's scans, so that readers starting from now on
		 * take the new phase and the second wait does not chase them.
		 * No read-side barrier pairs with it.
		 */
		tps_smp_mb();
		wait_for_old_readers(&watch_current);
	}
	/*
	 * (G4) pairs with (R2)/(R3): the critical sections of the readers the
	 * scans saw leave are complete before the caller reclaims anything.
	 */
	tps__fence_heavy();
}

static void check_not_in_reader(const char *rule, const char *what)
{
	if (tps_unlikely(tps_rcu_read_ongoing()))
		tps__rule_broken(rule, what);
}

void tps_synchronize_rcu(void)
{
	check_not_in_reader("synchronize-in-reader",
	                    "tps_synchronize_rcu called inside a classic read-side critical "
	                    "section (it would wait for itself)");
	tps__gpseq_wait(&rcu_gpseq, tps__gpseq_snap(&rcu_gpseq), rcu_gp, NULL);
}

unsigned long tps_get_state_synchronize_rcu(void)
{
	return tps__gpseq_snap(&rcu_gpseq);
}

unsigned long tps_start_poll_synchronize_rcu(void)
{
	return tps__poller_start(&rcu_poller);
}

bool tps_poll_state_synchronize_rcu(unsigned long cookie)
{
	return tps__gpseq_done(&rcu_gpseq, cookie);
}

void tps_cond_synchronize_rcu(unsigned long cookie)
{
	if (tps_poll_state_synchronize_rcu(cookie))
		return;
	check_not_in_reader("synchronize-in-reader",
	                    "tps_cond_synchronize_rcu called inside a classic read-side critical "
	                    "section (it would wait for itself)");
	tps__gpseq_wait(&rcu_gpseq, cookie, rcu_gp, NULL);
}

static void wait_gp_for_worker(void *arg)
{
	(void)arg;
	tps_synchronize_rcu();
}

int tps_call_rcu(struct tps_rcu_head *head, tps_rcu_callback_t func)
{
	return tps__cb_enqueue(&rcu_worker, head, func);
}

void tps_rcu_barrier(void)
{
	check_not_in_reader("barrier-in-reader",
	                    "tps_rcu_barrier called inside a classic read-side critical section");
	if (tps_unlikely(tps__cb_in_worker(&rcu_worker)))
		tps__rule_broken("barrier-in-callback",
		                 "tps_rcu_barrier called from a classic callback (it would wait "
		                 "for itself)");
	tps__cb_barrier(&rcu_worker);
}

/* ---- Read-side slow paths. ---- */

/* Enters the outermost section of a fallback-mode (or section-only) record. */
static void lock_fallback(struct tps_thread *t)
{
	atomic_store_explicit(&t->rcu_ctr,
	                      atomic_load_explicit(&tps__rcu_gp.ctr, memory_order_relaxed) |
	                              TPS__RCU_FALLBACK,
	                      TPS__MO_RS_RELAXED);
	/* (R1f) pairs with (G1), a plain fence in fallback mode. */
	tps_smp_mb();
}

void tps__rcu_read_lock_slow(void)
{
	struct tps_thread *t = &tps__self;
	unsigned long c = atomic_load_explicit(&t->rcu_ctr, memory_order_relaxed);
	sigset_t old;

	while (!(c & TPS__RCU_REGISTERED)) {
		/*
		 * A record marked registered with cleared words exists only
		 * inside an unregistration, which runs with signals blocked:
		 * no reader sees it. Were one to, registering would change
		 * nothing and this loop would never end; stop instead.
		 */
		if (tps_unlikely(t->registered))
			tps__rule_broken("reader-registration",
			                 "a classic reader found its thread half-way out of the "
			                 "registry and could not register it");
		if (tps__registry_reader_register(&old)) {
			/* For this section only, signals blocked until it is entered. */
			lock_fallback(t);
			tps__registry_unblock_signals(&old);
			return;
		}
		/*
		 * A signal handler may have unregistered the thread again
		 * between the registration and this load: then register again.
		 * (Through the variable, not t: gcc 12 with UBSan tests t for
		 * NULL with the flags of a TLS address addition that the linker
		 * turns into an lea in a static executable.)
		 */
		c = atomic_load_explicit(&tps__self.rcu_ctr, memory_order_relaxed);
	}
	if (!(c & TPS__RCU_FALLBACK) || (c & TPS__RCU_NEST_MASK)) {
		/* Membarrier mode after registering, or nested: the inline path. */
		tps_rcu_read_lock();
		return;
	}
	lock_fallback(t);
}

void tps__rcu_read_unlock_slow(void)
{
	struct tps_thread *t = &tps__self;
	unsigned long c = atomic_load_explicit(&t->rcu_ctr, memory_order_relaxed);
	sigset_t old;
	bool section;

	if (!(c & TPS__RCU_NEST_MASK)) {
		TPS_DEBUG_RULE(true, "rcu-unbalanced",
		               "tps_rcu_read_unlock without a matching tps_rcu_read_lock");
		return;
	}
	if ((c & TPS__RCU_NEST_MASK) > 1 || !(c & TPS__RCU_FALLBACK)) {
		tps_rcu_read_unlock();
		return;
	}
	/* A section-only record leaves the registry: no handler may come between. */
	section = t->registered == TPS__REG_SECTION;
	if (tps_unlikely(section))
		tps__registry_block_signals(&old);
	/* (R2f) release, as (R2). */
	atomic_store_explicit(&t->rcu_ctr, TPS__RCU_REGISTERED | TPS__RCU_FALLBACK,
	                      TPS__MO_RS_RELEASE);
	/* (R3f) pairs with (G3), a plain fence in fallback mode. */
	tps_smp_mb();
	if (atomic_load_explicit(&t->rcu_wake, TPS__MO_RS_RELAXED))
		tps__rcu_wake_updater();
	if (tps_unlikely(section))
		tps__registry_section_end(&old);
}

void tps__rcu_wake_updater(void)
{
	/*
	 * (W1) acquire: pairs with (G3a), so futex == -1 is seen when the
	 * updater still waits. A flag left from a wait that ended without
	 * sleeping finds futex == 0 and wakes nobody.
	 */
	if (atomic_exchange_explicit(&tps__self.rcu_wake, 0, memory_order_acquire))
		tps__rcu_futex_wake();
}

void tps__rcu_futex_wake(void)
{
	int expected = -1;

	if (atomic_compare_exchange_strong_explicit(&tps__rcu_gp.futex, &expected, 0,
	                                            memory_order_relaxed, memory_order_relaxed))
		tps__futex_wake(&tps__rcu_gp.futex, 1);
}

void tps__might_sleep_check(const char *what)
{
	if (tps_rcu_read_ongoing())
		tps__rule_broken(what, "may block or fault inside a classic read-side critical "
		                       "section, where readers must not block");
}

/* In the child, clear the state of an updater that does not exist there. */
void tps__rcu_fork_child(void)
{
	tps__gpseq_fork_child(&rcu_gpseq);
	atomic_store_explicit(&tps__rcu_gp.futex, 0, memory_order_relaxed);
}

void tps__rcu_fork_child_poll(void)
{
	tps__poller_fork_child(&rcu_poller);
}
