/* SPDX-License-Identifier: MIT */
/*
 * lib/srcu.c - SRCU domains: grace periods, callbacks, polled cookies, the
 * read side's slow paths and the debug builds' checks.
 *
 * Counting argument. A reader adds one to lock[idx] (of some CPU), later one
 * to unlock[idx] (of some CPU, maybe another), with the same idx. The
 * updater sums unlock[idx] over the blocks, fences (A), then sums lock[idx].
 * An unlock the first sum counts has its lock counted by the second: the
 * reader's fence (C) orders its lock increment before its unlock increment,
 * and (A) orders the two sums. So the counted unlocks belong to a subset of
 * the readers whose locks are counted, and equal sums mean every reader
 * whose lock was counted has left. A reader whose lock increment the sum
 * missed entered after the updater's fence: its fence (B) and (A) (or the
 * membarrier that stands for (B) with fast readers) form a store-buffering
 * pair with the caller's unpublish, so it cannot see the old pointer. The
 * order of the sums matters: summing locks first could count the unlock of
 * a reader that entered after the lock sum, and take it for the unlock of a
 * reader still inside (tests/model/srcu_drain.pml shows both).
 *
 * Index flip. New readers would keep one index busy forever, so a grace
 * period drains the index readers no longer enter (only readers that loaded
 * the index before the last flip still add to it), flips the index, and
 * drains the other one, which now gets no new readers either.
 *
 * Fast path. When neither index has a reader, the sums say so at once, with
 * no flip and no mutex: see lockless_gp().
 *
 * Waiting. The updater spins on relaxed looks at the sums, then arms the
 * domain's waiters word with the index it drains and sleeps on it; a reader
 * whose unlock finds the word armed for its index looks at the sums itself
 * and, when they say the index is drained, disarms the word and wakes the
 * updater: the last reader of that index to leave (tps__srcu_wake()). The
 * unlock pays one load of a word on the line it reads anyway.
 *
 * Cookies. Each grace period, the lockless ones included, takes a ticket
 * (gp_start) after its first fence and, when it completes, raises gp_done to
 * ticket + 1. A cookie is gp_start + 1 read after a full fence: it is
 * complete when a grace period whose ticket is at least the value read has
 * completed, which began its scans after the cookie was taken. The slow
 * grace periods are serialized and shared by a struct tps__gpseq; its own
 * sequence cannot serve as cookie, because a lockless grace period cannot
 * take its mutex.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include <tpsync/flavor.h>
#include <tpsync/srcu.h>

#include "internal.h"
#include "percpu.h"

/* Relaxed looks at the sums (one pass over the blocks each) before sleeping. */
#define SRCU_SPIN_POLLS 200

/* tps_srcu.magic of a cleaned-up domain ("RSU-DEAD", or "DEAD"). */
#if ULONG_MAX > 0xffffffffUL
#define SRCU_MAGIC_DEAD 0x444145442d555352UL
#else
#define SRCU_MAGIC_DEAD 0x44414544UL
#endif

/* The updater side, in tps_srcu.priv; all zeros in a static domain. */
struct srcu_private {
	/* Serializes and shares the slow grace periods. */
	struct tps__gpseq gp;
	struct tps__cb_worker worker;
	/* Grace-period tickets taken, and 1 + the highest completed one. */
	_Atomic unsigned long gp_start;
	_Atomic unsigned long gp_done;
	/* tps_start_poll_synchronize_srcu(): a callback that keeps the worker going. */
	struct tps_rcu_head poll_head;
	_Atomic int poll_queued;
	_Atomic unsigned long poll_want;
	/* gp, worker and the list links are initialized. */
	_Atomic int ready;
	/*
	 * Readers inside tps__srcu_wake() that may still read the counter
	 * blocks: cleanup waits for none before it frees them.
	 */
	_Atomic int wakers;
	bool owns_blocks;
	struct tps_srcu *domain;
	/* Every ready domain, for fork(); under domains_lock. */
	struct srcu_private *next;
	struct srcu_private *prev;
};

_Static_assert(sizeof(struct srcu_private) <= TPS__SRCU_PRIVATE_SIZE,
               "TPS__SRCU_PRIVATE_SIZE is too small for struct srcu_private");
_Static_assert(_Alignof(struct srcu_private) <= 16, "tps_srcu.priv is aligned on 16 bytes");
_Static_assert(sizeof(struct tps__srcu_block) == TPS__SRCU_BLOCK_SIZE,
               "the rseq code strides blocks of TPS__SRCU_BLOCK_SIZE bytes");

/* Protects the domain list and the lazy setup of static domains. */
static pthread_mutex_t domains_lock = PTHREAD_MUTEX_INITIALIZER;
static struct srcu_private *domains;

/* Test hook: the next domain allocation fails. */
static _Atomic int fail_next_alloc;

static struct srcu_private *priv(struct tps_srcu *s)
{
	return (struct srcu_private *)(void *)s->priv;
}

static bool domain_valid(struct tps_srcu *s)
{
	return s && atomic_load_explicit(&s->magic, memory_order_relaxed) == TPS__SRCU_MAGIC;
}

/* ---- Read-side mode. ---- */

/*
 * The mode bits for a domain that asks for requested (TPS__SRCU_FAST,
 * _ATOMIC, _FENCE). Freezes the fence mode: the updater's fences depend on
 * it. Without membarrier, fast readers must fence, and rseq increments are
 * not used either: the (U) ordering of an rseq increment relies on the
 * updater's membarrier (W).
 */
static unsigned long mode_bits(unsigned long requested)
{
	unsigned long m = requested;

	if (!tps__fence_freeze())
		m |= TPS__SRCU_ATOMIC | TPS__SRCU_FENCE;
	if (!tps__percpu_rseq_usable())
		m |= TPS__SRCU_ATOMIC;
	return m;
}

/*
 * Opens the inline path of fast readers once the mode is final and is rseq
 * increments without fences; any other mode keeps fast_cpus at 0, so that
 * those readers take the slow path. No ordering: a reader that misses the
 * store takes the slow path, which reads the (final) mode.
 */
static void set_fast_cpus(struct tps_srcu *s, unsigned long mode)
{
	bool inline_path =
	        (mode & (TPS__SRCU_FAST | TPS__SRCU_ATOMIC | TPS__SRCU_FENCE | TPS__SRCU_UNSET)) ==
	        TPS__SRCU_FAST;

	atomic_store_explicit(&s->fast_cpus, inline_path ? s->nblocks : 0, memory_order_relaxed);
}

/* Chooses the mode of a static domain at its first use; returns the state. */
static unsigned long ensure_mode(struct tps_srcu *s)
{
	unsigned long old = atomic_load_explicit(&s->state, memory_order_relaxed);
	unsigned long mode;

	while (old & TPS__SRCU_UNSET) {
		mode = mode_bits(old & (TPS__SRCU_FAST | TPS__SRCU_ATOMIC | TPS__SRCU_FENCE));
		/* The index bit is the grace periods': keep whatever it is now. */
		if (atomic_compare_exchange_weak_explicit(
		            &s->state, &old, (old & TPS__SRCU_IDX) | mode, memory_order_relaxed,
		            memory_order_relaxed)) {
			set_fast_cpus(s, mode);
			return (old & TPS__SRCU_IDX) | mode;
		}
	}
	return old;
}

/* ---- Read-side slow paths (async-signal-safe). ---- */

static void inc_by_mode(struct tps_srcu *s, unsigned long w, _Atomic unsigned long *ctr0)
{
	if (w & TPS__SRCU_ATOMIC)
		tps__percpu_inc_atomic(ctr0, s->nblocks);
	else
		tps__percpu_inc_rseq(ctr0, s->nblocks);
}

void tps__srcu_inc_slow(struct tps_srcu *s, _Atomic unsigned long *ctr0)
{
	inc_by_mode(s, ensure_mode(s), ctr0);
}

void tps__srcu_fast_slow(struct tps_srcu *s, _Atomic unsigned long *ctr0, bool lock)
{
	unsigned long w = ensure_mode(s);

	/* (FCf) fallback: a full fence where (FC) relies on membarrier. */
	if (!lock && (w & TPS__SRCU_FENCE))
		tps_smp_mb();
	inc_by_mode(s, w, ctr0);
	/* (FBf) fallback: a full fence where (FB) relies on membarrier. */
	if (lock && (w & TPS__SRCU_FENCE))
		tps_smp_mb();
}

/* Wake-ups readers gave sleeping updaters (test hook, see srcu.h). */
static _Atomic unsigned long reader_wakeups;
/* Test hook: called inside tps__srcu_wake() while counted in wakers. */
static void (*_Atomic wake_hook)(struct tps_srcu *s);
/* Test hook: called when the poll callback starts. */
static void (*_Atomic poll_hook)(struct tps_srcu *s);

static bool looks_gone(struct tps_srcu *s, int idx);

/*
 * An unlock found the waiters word set: is this the last reader of the index
 * the updater sleeps on? Only a reader of that index looks, and only the one
 * that sees it drained wakes the updater.
 */
void tps__srcu_wake(struct tps_srcu *s, int idx)
{
	struct srcu_private *p = priv(s);
	void (*hook)(struct tps_srcu * s);
	int armed = idx + 1;

	/*
	 * (X) full fence (the wakers increment, then an explicit fence where
	 * the RMW is not one): this reader's unlock increment before the sums,
	 * and our wakers count before the second look at the word. The fences of the readers leaving idx are ordered one after
	 * another, and each follows its own increment: the reader whose (X)
	 * comes last sees every other leaver's lock and unlock, so when it is
	 * the last one inside, the index looks drained to it and it wakes the
	 * updater. A reader that wrongly sees it drained (a lock still on its
	 * way) only costs the updater a recheck; one that sees readers inside
	 * leaves the wake-up to them. If the updater armed the word after our
	 * load of it (a reader that saw it clear), its own check after (W)
	 * counts us.
	 *
	 * Pairs with (Y) in tps_srcu_cleanup() too: either cleanup sees our
	 * count and waits before it frees the blocks, or we see the word
	 * disarmed (the grace period that cleanup follows is over) and leave
	 * the blocks alone.
	 *
	 * The fence is explicit: the RMW alone orders nothing after it in C11,
	 * nor on AArch64 without LSE; on x86 the locked add is the fence and
	 * tps_smp_mb__after_atomic() only stops the compiler.
	 */
	atomic_fetch_add_explicit(&p->wakers, 1, memory_order_seq_cst);
	tps_smp_mb__after_atomic();
	hook = atomic_load_explicit(&wake_hook, memory_order_relaxed);
	if (tps_unlikely(hook != NULL))
		hook(s);
	if (atomic_load_explicit(&s->waiters, memory_order_relaxed) == armed &&
	    looks_gone(s, idx) &&
	    atomic_compare_exchange_strong_explicit(&s->waiters, &armed, 0, memory_order_relaxed,
	                                            memory_order_relaxed)) {
		atomic_fetch_add_explicit(&reader_wakeups, 1, memory_order_relaxed);
		tps__futex_wake(&s->waiters, 1);
	}
	atomic_fetch_sub_explicit(&p->wakers, 1, memory_order_release);
}

unsigned long tps__srcu_reader_wakeups(void)
{
	return atomic_load_explicit(&reader_wakeups, memory_order_relaxed);
}

void tps__srcu_set_wake_hook(void (*hook)(struct tps_srcu *s))
{
	atomic_store_explicit(&wake_hook, hook, memory_order_relaxed);
}

void tps__srcu_set_poll_hook(void (*hook)(struct tps_srcu *s))
{
	atomic_store_explicit(&poll_hook, hook, memory_order_relaxed);
}

/* ---- Debug builds: which domains is this thread inside? ---- */

#if TPSYNC_DEBUG
/*
 * Per-thread table of (domain, nesting) slots, each nesting count split by
 * the index the locks returned, so that an unlock with the other index (which
 * would leave the lock's index unbalanced forever: the next grace period
 * never ends) is reported. Every step is one atomic operation on the thread's
 * own slots, so a signal handler that runs whole lock/unlock pairs on the
 * same thread, between any two steps, leaves every count as it found it. A
 * slot is claimed by moving its total from 0 to 1; its domain pointer is
 * written after. Readers beyond the table are counted in "untracked", which
 * makes the checks lenient.
 */
#define SRCU_TRACK_SLOTS 8

struct srcu_track {
	_Atomic(struct tps_srcu *) domain;
	_Atomic unsigned long count;
	/* Of count, the readers that hold index 0 and index 1. */
	_Atomic unsigned long per_idx[2];
};

static __thread struct srcu_track track[SRCU_TRACK_SLOTS]
        __attribute__((tls_model("initial-exec")));
static __thread _Atomic unsigned long track_untracked __attribute__((tls_model("initial-exec")));

static struct srcu_track *track_find(struct tps_srcu *s)
{
	unsigned int i;

	for (i = 0; i < SRCU_TRACK_SLOTS; i++) {
		if (atomic_load_explicit(&track[i].domain, memory_order_relaxed) == s &&
		    atomic_load_explicit(&track[i].count, memory_order_relaxed))
			return &track[i];
	}
	return NULL;
}

static void track_lock(struct tps_srcu *s, int idx)
{
	struct srcu_track *t = track_find(s);
	unsigned int i;

	if (t) {
		atomic_fetch_add_explicit(&t->per_idx[idx], 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&t->count, 1, memory_order_relaxed);
		return;
	}
	for (i = 0; i < SRCU_TRACK_SLOTS; i++) {
		unsigned long zero = 0;

		if (atomic_compare_exchange_strong_explicit(&track[i].count, &zero, 1,
		                                            memory_order_relaxed,
		                                            memory_order_relaxed)) {
			atomic_fetch_add_explicit(&track[i].per_idx[idx], 1, memory_order_relaxed);
			atomic_store_explicit(&track[i].domain, s, memory_order_relaxed);
			return;
		}
	}
	atomic_fetch_add_explicit(&track_untracked, 1, memory_order_relaxed);
}

/* What an unlock finds in the table. */
enum track_verdict {
	TRACK_OK,
	TRACK_NO_LOCK,   /* no reader of s on this thread */
	TRACK_WRONG_IDX, /* readers of s, none of them holding idx */
};

static enum track_verdict track_unlock(struct tps_srcu *s, int idx)
{
	struct srcu_track *t = track_find(s);
	unsigned long n;

	if (t) {
		if (!atomic_load_explicit(&t->per_idx[idx], memory_order_relaxed))
			return TRACK_WRONG_IDX;
		atomic_fetch_sub_explicit(&t->per_idx[idx], 1, memory_order_relaxed);
		atomic_fetch_sub_explicit(&t->count, 1, memory_order_relaxed);
		return TRACK_OK;
	}
	n = atomic_load_explicit(&track_untracked, memory_order_relaxed);
	if (!n)
		return TRACK_NO_LOCK;
	atomic_fetch_sub_explicit(&track_untracked, 1, memory_order_relaxed);
	return TRACK_OK;
}

/* Inside a reader of s for sure. */
static bool track_held(struct tps_srcu *s)
{
	return track_find(s) != NULL;
}

/* Maybe inside a reader of s (some readers went untracked). */
static bool track_maybe_held(struct tps_srcu *s)
{
	return track_held(s) || atomic_load_explicit(&track_untracked, memory_order_relaxed);
}
#else
static void track_lock(struct tps_srcu *s, int idx)
{
	(void)s;
	(void)idx;
}

enum track_verdict { TRACK_OK, TRACK_NO_LOCK, TRACK_WRONG_IDX };

static enum track_verdict track_unlock(struct tps_srcu *s, int idx)
{
	(void)s;
	(void)idx;
	return TRACK_OK;
}

static bool track_maybe_held(struct tps_srcu *s)
{
	(void)s;
	return true;
}
#endif

static void check_reader(struct tps_srcu *s, bool fast)
{
	unsigned long w;

	if (!domain_valid(s))
		tps__rule_broken(
		        "srcu-uninitialized",
		        "SRCU reader on a domain that is not initialized or was cleaned up");
	w = atomic_load_explicit(&s->state, memory_order_relaxed);
	if (!(w & TPS__SRCU_FAST) != !fast)
		tps__rule_broken(
		        "srcu-mixed-readers",
		        fast ? "mixed reader flavours: tps_srcu_read_lock_fast/unlock_fast "
		               "on a domain initialized for classic SRCU readers"
		             : "mixed reader flavours: tps_srcu_read_lock/unlock on a domain "
		               "initialized for fast readers (tps_srcu_init_fast, "
		               "TPS_DEFINE_SRCU_FAST)");
}

void tps__srcu_debug_lock(struct tps_srcu *s, bool fast)
{
	check_reader(s, fast);
}

void tps__srcu_debug_locked(struct tps_srcu *s, int idx)
{
	track_lock(s, idx);
}

void tps__srcu_debug_unlock(struct tps_srcu *s, int idx, bool fast)
{
	check_reader(s, fast);
	if (idx & ~1)
		tps__rule_broken("srcu-unbalanced", "SRCU unlock with an index that no SRCU lock "
		                                    "returned");
	switch (track_unlock(s, idx)) {
	case TRACK_OK:
		break;
	case TRACK_NO_LOCK:
		tps__rule_broken("srcu-unbalanced", "SRCU unlock without a matching lock of the "
		                                    "same domain on this thread");
		break;
	case TRACK_WRONG_IDX:
		tps__rule_broken(
		        "srcu-wrong-index",
		        idx ? "SRCU unlock with index 1 where this thread's readers of the "
		              "domain hold index 0: pass what tps_srcu_read_lock returned"
		            : "SRCU unlock with index 0 where this thread's readers of the "
		              "domain hold index 1: pass what tps_srcu_read_lock returned");
		break;
	}
}

void tps__srcu_debug_deref(struct tps_srcu *s)
{
	if (!domain_valid(s))
		tps__rule_broken("srcu-uninitialized", "tps_srcu_dereference on a domain that is "
		                                       "not initialized or was cleaned up");
	if (!track_maybe_held(s))
		tps__rule_broken("srcu-dereference", "tps_srcu_dereference outside a read-side "
		                                     "critical section of its domain");
}

bool tps_srcu_read_lock_held(struct tps_srcu *s)
{
	return domain_valid(s) && track_maybe_held(s);
}

/* Debug builds: abort when the caller is inside a reader of s. */
static void check_not_in_reader(struct tps_srcu *s, const char *rule, const char *what)
{
#if TPSYNC_DEBUG
	if (tps_unlikely(track_held(s)))
		tps__rule_broken(rule, what);
#else
	(void)s;
	(void)rule;
	(void)what;
#endif
}

/* Functions with no error return: debug builds abort on an invalid domain. */
static bool check_domain(struct tps_srcu *s, const char *what)
{
	if (tps_likely(domain_valid(s)))
		return true;
	TPS_DEBUG_RULE(true, "srcu-uninitialized", what);
	(void)what;
	return false;
}

/* ---- Updater-side state. ---- */

static void srcu_wait_gp_for_worker(void *arg);

/* domains_lock held. */
static void setup_private(struct tps_srcu *s, struct srcu_private *p, bool owns_blocks)
{
	pthread_mutex_init(&p->gp.lock, NULL);
	tps__cb_worker_init(&p->worker, "srcu", srcu_wait_gp_for_worker, s);
	p->owns_blocks = owns_blocks;
	p->domain = s;
	p->prev = NULL;
	p->next = domains;
	if (domains)
		domains->prev = p;
	domains = p;
	atomic_store_explicit(&p->ready, 1, memory_order_release);
}

/* The updater side of s, set up at the first use of a static domain. */
static struct srcu_private *updater(struct tps_srcu *s)
{
	struct srcu_private *p = priv(s);

	if (tps_likely(atomic_load_explicit(&p->ready, memory_order_acquire)))
		return p;
	pthread_mutex_lock(&domains_lock);
	if (!atomic_load_explicit(&p->ready, memory_order_relaxed))
		setup_private(s, p, false);
	pthread_mutex_unlock(&domains_lock);
	return p;
}

/* ---- Grace periods. ---- */

/* Sum of one counter (ctr0 in block 0) over every block, the shared one included. */
static unsigned long sum(struct tps_srcu *s, _Atomic unsigned long *ctr0, memory_order mo)
{
	unsigned long total = 0;
	unsigned int i;

	for (i = 0; i <= s->nblocks; i++)
		total += atomic_load_explicit(tps__percpu_slot(ctr0, i), mo);
	return total;
}

/*
 * The updater's side of (B)/(C): membarrier for fast readers that rely on it,
 * a full fence for readers that fence themselves.
 */
static void pair_fence(unsigned long w)
{
	if ((w & (TPS__SRCU_FAST | TPS__SRCU_FENCE)) == TPS__SRCU_FAST)
		tps__fence_heavy();
	else
		tps_smp_mb();
}

/*
 * (A) between the sums. Pairs with (C) (fast readers: membarrier, for
 * (FC)): an unlock the first sum counts has its lock counted by the second,
 * and the critical section it ends is complete before anything the caller
 * does after. Pairs with (B) (fast: for (FB)): a reader whose lock the
 * second sum misses sees the caller's unpublish.
 */
static bool readers_gone(struct tps_srcu *s, int idx, unsigned long w)
{
	unsigned long unlocks = sum(s, &s->blocks->unlock[idx], TPS__MO_RS_ACQUIRE);

	pair_fence(w);
	return sum(s, &s->blocks->lock[idx], TPS__MO_RS_RELAXED) == unlocks;
}

/* A hint only, no fence: does idx look drained right now? */
static bool looks_gone(struct tps_srcu *s, int idx)
{
	unsigned long unlocks = sum(s, &s->blocks->unlock[idx], memory_order_relaxed);

	return sum(s, &s->blocks->lock[idx], memory_order_relaxed) == unlocks;
}

/* Both indexes at once, with one fence (A) between the two pairs of sums. */
static bool no_readers(struct tps_srcu *s, unsigned long w)
{
	unsigned long u0 = sum(s, &s->blocks->unlock[0], TPS__MO_RS_ACQUIRE);
	unsigned long u1 = sum(s, &s->blocks->unlock[1], TPS__MO_RS_ACQUIRE);

	pair_fence(w);
	return sum(s, &s->blocks->lock[0], TPS__MO_RS_RELAXED) == u0 &&
	       sum(s, &s->blocks->lock[1], TPS__MO_RS_RELAXED) == u1;
}

/* Spins, then sleeps until every reader counted in idx has left. */
static void drain(struct tps_srcu *s, int idx, unsigned long w)
{
	unsigned int polls;

#ifdef TPSYNC_BROKEN_GP_SRCU
	/* Mutation build (TPSYNC_BROKEN_GP=srcu): grace periods do not wait. */
	return;
#endif
	for (polls = 0;; polls++) {
		if (looks_gone(s, idx) && readers_gone(s, idx, w))
			break;
		if (polls < SRCU_SPIN_POLLS) {
			tps_cpu_relax();
			continue;
		}
		atomic_store_explicit(&s->waiters, idx + 1, memory_order_relaxed);
		/*
		 * (W) pairs with (U) in the unlocks: store buffering between
		 * our waiters store and counter loads, and a reader's unlock
		 * increment and waiters load. Either the check below counts
		 * the reader's unlock, or the reader sees the word armed and
		 * wakes us. An rseq increment is a plain store, so this is a
		 * membarrier then; an atomic increment is a seq_cst RMW that
		 * the reader follows with a seq_cst load of the word, and a
		 * fence here suffices: in C11's single order either this fence
		 * precedes the RMW (the sums below see it) or the reader's
		 * load follows this fence (it sees the word armed).
		 */
		if (w & TPS__SRCU_ATOMIC)
			tps_smp_mb();
		else
			tps__fence_heavy();
		if (readers_gone(s, idx, w))
			break;
		tps__futex_wait(&s->waiters, idx + 1);
	}
	atomic_store_explicit(&s->waiters, 0, memory_order_relaxed);
}

/* Ticket t's grace period is complete: gp_done = max(gp_done, t + 1). */
static void gp_complete(struct srcu_private *p, unsigned long t)
{
	unsigned long done = atomic_load_explicit(&p->gp_done, memory_order_relaxed);

	/*
	 * (G4) release: the grace period (its last (A), the critical sections
	 * it saw end) before the completion; pairs with (P) in
	 * tps_poll_state_synchronize_srcu().
	 */
	while (!TPS_SEQ_GE(done, t + 1) &&
	       !atomic_compare_exchange_weak_explicit(&p->gp_done, &done, t + 1,
	                                              memory_order_release, memory_order_relaxed))
		;
}

/* One slow grace period, run by tps__gpseq_wait() with p->gp's mutex held. */
static void srcu_gp(void *arg)
{
	struct tps_srcu *s = arg;
	struct srcu_private *p = priv(s);
	unsigned long t, w;
	int idx;

	/*
	 * (G1) full fence, which tps__gpseq_wait() requires (pairs with (S0)
	 * in tps__gpseq_snap()): the odd sequence number is visible before
	 * the ticket, so a caller whose sequence snapshot this grace period
	 * covers holds a cookie its ticket covers too.
	 */
	tps_smp_mb();
	t = atomic_fetch_add_explicit(&p->gp_start, 1, memory_order_relaxed);
	w = atomic_load_explicit(&s->state, memory_order_relaxed);
	idx = (int)(w & TPS__SRCU_IDX);
	/* Readers that loaded the index before the last flip may still be here. */
	drain(s, idx ^ 1, w);
	/* The flip (an RMW: the mode bits may be set concurrently). */
	atomic_fetch_xor_explicit(&s->state, TPS__SRCU_IDX, memory_order_relaxed);
	/*
	 * (G2) full fence, for progress only: new readers see the flip
	 * before we spin on the old index. Safety needs no order between
	 * the flip and the sums: (A) and the counting argument cover any
	 * reader, whichever index it loaded.
	 */
	tps_smp_mb();
	drain(s, idx, w);
	gp_complete(p, t);
}

/*
 * lockless_gp() - a grace period without the mutex and without a flip, when
 * neither index has a reader.
 *
 * Why it is a grace period: the caller's unpublish comes before (S) in
 * srcu_synchronize(); (A) in no_readers() comes between the unlock sums
 * and the lock sums of both indexes. A reader that can still see what the
 * caller unpublished did its lock increment before its (B) (or (FB) made a
 * fence by the membarrier (A)) and its dereference after: store buffering
 * against unpublish, (S)/(A), lock sums, so the lock sums count it. Its unlock
 * is counted only if it has left (the counting argument above). Equal sums
 * for both indexes therefore mean that every such reader has left, and (A)
 * orders its critical section before the caller's frees. No flip is needed:
 * the flip only gets a busy index drained.
 *
 * Why the cookie is right: the ticket is taken after (S) and before (A): a
 * cookie read before the ticket (t >= cookie - 1) was taken before the sums,
 * and the sums, after (A), count every reader that could see what that
 * cookie's taker unpublished before taking it.
 */
static bool lockless_gp(struct tps_srcu *s, struct srcu_private *p, unsigned long w)
{
	unsigned long t;

	/* A relaxed look first: with readers about, do not waste a ticket and (A). */
	if (!looks_gone(s, 0) || !looks_gone(s, 1))
		return false;
	t = atomic_fetch_add_explicit(&p->gp_start, 1, memory_order_relaxed);
	if (!no_readers(s, w))
		return false;
	gp_complete(p, t);
	return true;
}

/* A full grace period of a valid domain. */
static void srcu_synchronize(struct tps_srcu *s)
{
	struct srcu_private *p = updater(s);
	unsigned long w = ensure_mode(s);

	/*
	 * (S) full fence: the caller's accesses before the call (its
	 * unpublish) before the ticket and the sums of lockless_gp(). Pairs
	 * with (B) in tps_srcu_read_lock() ((FB) with membarrier (A) for fast
	 * readers): a reader whose lock the sums miss sees the unpublish.
	 */
	tps_smp_mb();
	if (lockless_gp(s, p, w))
		return;
	tps__gpseq_wait(&p->gp, tps__gpseq_snap(&p->gp), srcu_gp, s);
}

int tps_synchronize_srcu(struct tps_srcu *s)
{
	if (!domain_valid(s))
		return -EINVAL;
	check_not_in_reader(
	        s, "synchronize-in-reader",
	        "tps_synchronize_srcu called inside a read-side critical section of the "
	        "same domain (it would wait for itself)");
	srcu_synchronize(s);
	return 0;
}

unsigned long tps_get_state_synchronize_srcu(struct tps_srcu *s)
{
	if (!check_domain(s, "tps_get_state_synchronize_srcu on a domain that is not "
	                     "initialized or was cleaned up"))
		return 0;
	/*
	 * (K) full fence: the caller's accesses before the cookie (as (S0) in
	 * tps__gpseq_snap()); pairs with (A) of the grace periods whose
	 * tickets cover it: their sums count every reader that could see what
	 * the caller unpublished before taking the cookie.
	 */
	tps_smp_mb();
	return atomic_load_explicit(&priv(s)->gp_start, memory_order_relaxed) + 1;
}

bool tps_poll_state_synchronize_srcu(struct tps_srcu *s, unsigned long cookie)
{
	if (!check_domain(s, "tps_poll_state_synchronize_srcu on a domain that is not "
	                     "initialized or was cleaned up"))
		return false;
	/* (P) acquire: pairs with (G4). */
	return TPS_SEQ_GE(atomic_load_explicit(&priv(s)->gp_done, memory_order_acquire), cookie);
}

int tps_cond_synchronize_srcu(struct tps_srcu *s, unsigned long cookie)
{
	if (!domain_valid(s))
		return -EINVAL;
	if (tps_poll_state_synchronize_srcu(s, cookie))
		return 0;
	check_not_in_reader(
	        s, "synchronize-in-reader",
	        "tps_cond_synchronize_srcu called inside a read-side critical section of "
	        "the same domain (it would wait for itself)");
	srcu_synchronize(s);
	return 0;
}

/* Queues the poll callback unless it is queued already. */
static void poll_queue(struct srcu_private *p);

static void poll_cb(struct tps_rcu_head *head)
{
	struct srcu_private *p = tps_container_of(head, struct srcu_private, poll_head);
	void (*hook)(struct tps_srcu * s) = atomic_load_explicit(&poll_hook, memory_order_relaxed);
	unsigned long want;

	if (tps_unlikely(hook != NULL))
		hook(p->domain);
	/*
	 * Release: the worker is done with the head (it read the link before
	 * calling us) before poll_queue() may queue it again; pairs with the
	 * acquiring compare-and-swap there.
	 */
	atomic_store_explicit(&p->poll_queued, 0, memory_order_release);
	/*
	 * (P2) full fence, pairs with (P1): either we see a request made while
	 * we were queued, or its maker sees the flag clear and queues us.
	 */
	tps_smp_mb();
	want = atomic_load_explicit(&p->poll_want, memory_order_relaxed);
	if (!TPS_SEQ_GE(atomic_load_explicit(&p->gp_done, memory_order_relaxed), want))
		poll_queue(p);
}

static void poll_queue(struct srcu_private *p)
{
	int zero = 0;

	if (atomic_compare_exchange_strong_explicit(&p->poll_queued, &zero, 1, memory_order_acquire,
	                                            memory_order_relaxed))
		tps__cb_enqueue(&p->worker, &p->poll_head, poll_cb);
}

unsigned long tps_start_poll_synchronize_srcu(struct tps_srcu *s)
{
	struct srcu_private *p;
	unsigned long cookie, want;

	cookie = tps_get_state_synchronize_srcu(s);
	if (!domain_valid(s))
		return cookie;
	p = updater(s);
	want = atomic_load_explicit(&p->poll_want, memory_order_relaxed);
	while (!TPS_SEQ_GE(want, cookie) &&
	       !atomic_compare_exchange_weak_explicit(&p->poll_want, &want, cookie,
	                                              memory_order_relaxed, memory_order_relaxed))
		;
	/* (P1) full fence, pairs with (P2) in poll_cb(). */
	tps_smp_mb();
	if (!tps_poll_state_synchronize_srcu(s, cookie))
		poll_queue(p);
	return cookie;
}

/* ---- Callbacks. ---- */

static void srcu_wait_gp_for_worker(void *arg)
{
	srcu_synchronize(arg);
}

int tps_call_srcu(struct tps_srcu *s, struct tps_rcu_head *head, tps_rcu_callback_t func)
{
	if (!domain_valid(s) || !head || !func)
		return -EINVAL;
	return tps__cb_enqueue(&updater(s)->worker, head, func);
}

int tps_srcu_barrier(struct tps_srcu *s)
{
	struct srcu_private *p;

	if (!domain_valid(s))
		return -EINVAL;
	p = updater(s);
	check_not_in_reader(
	        s, "barrier-in-reader",
	        "tps_srcu_barrier called inside a read-side critical section of the same "
	        "domain (its callbacks wait for this reader)");
	if (tps_unlikely(tps__cb_in_worker(&p->worker)))
		tps__rule_broken("barrier-in-callback", "tps_srcu_barrier called from a callback "
		                                        "of the same domain (it would wait for "
		                                        "itself)");
	tps__cb_barrier(&p->worker);
	return 0;
}

/* ---- Domains. ---- */

static struct tps__srcu_block *alloc_blocks(unsigned int n)
{
	struct tps__srcu_block *b;
	size_t size = (size_t)n * sizeof(*b);

	if (atomic_exchange_explicit(&fail_next_alloc, 0, memory_order_relaxed))
		return NULL;
	b = aligned_alloc(TPS__SRCU_BLOCK_SIZE, size);
	if (b)
		memset(b, 0, size);
	return b;
}

void tps__srcu_fail_next_alloc(void)
{
	atomic_store_explicit(&fail_next_alloc, 1, memory_order_relaxed);
}

/* domains_lock held: is s a live domain (initialized or set up, not cleaned up)? */
static bool listed(struct tps_srcu *s)
{
	struct srcu_private *p;

	for (p = domains; p; p = p->next) {
		if (p == priv(s))
			return true;
	}
	return false;
}

int tps_srcu_init_flags(struct tps_srcu *s, unsigned int flags)
{
	struct tps__srcu_block *blocks;
	unsigned long requested = 0, mode;
	unsigned int n;

	if (!s || (flags & ~(TPS_SRCU_FAST | TPS_SRCU_ATOMIC | TPS_SRCU_FENCE)))
		return -EINVAL;
	if (flags & TPS_SRCU_FAST)
		requested |= TPS__SRCU_FAST;
	if (flags & TPS_SRCU_ATOMIC)
		requested |= TPS__SRCU_ATOMIC;
	if (flags & TPS_SRCU_FENCE)
		requested |= TPS__SRCU_FENCE;
	n = tps__percpu_possible();
	blocks = alloc_blocks(n + 1);
	if (!blocks)
		return -ENOMEM;
	pthread_mutex_lock(&domains_lock);
	/*
	 * Live: on the list (initialized, or a static domain an updater used),
	 * or a static domain that readers alone used (its magic is set and its
	 * first reader chose its mode). Other memory that merely looks like a
	 * domain is not looked at further.
	 */
	if (listed(s) ||
	    (atomic_load_explicit(&s->magic, memory_order_relaxed) == TPS__SRCU_MAGIC &&
	     !(atomic_load_explicit(&s->state, memory_order_relaxed) & TPS__SRCU_UNSET))) {
		pthread_mutex_unlock(&domains_lock);
		free(blocks);
		return -EBUSY;
	}
	memset(s, 0, sizeof(*s));
	s->blocks = blocks;
	s->nblocks = n;
	mode = mode_bits(requested);
	atomic_store_explicit(&s->state, mode, memory_order_relaxed);
	set_fast_cpus(s, mode);
	setup_private(s, priv(s), true);
	atomic_store_explicit(&s->magic, TPS__SRCU_MAGIC, memory_order_release);
	pthread_mutex_unlock(&domains_lock);
	return 0;
}

int tps_srcu_init(struct tps_srcu *s)
{
	return tps_srcu_init_flags(s, 0);
}

int tps_srcu_init_fast(struct tps_srcu *s)
{
	return tps_srcu_init_flags(s, TPS_SRCU_FAST);
}

int tps_srcu_cleanup(struct tps_srcu *s)
{
	struct srcu_private *p;
	unsigned long w;
	bool busy;

	if (!domain_valid(s))
		return -EINVAL;
	p = updater(s);
	w = ensure_mode(s);
	/*
	 * Busy: a grace period in progress (odd sequence) or callers waiting
	 * for one, which cleanup must not wait for (the reader they wait for
	 * may be our caller's own); pending callbacks (a callback of s that
	 * cleans s up counts: it is running); readers inside. Calls on s that
	 * race with its cleanup are the caller's bug, as in the kernel.
	 */
	busy = (atomic_load_explicit(&p->gp.seq, memory_order_acquire) & 1) ||
	       atomic_load_explicit(&p->gp.sleepers, memory_order_relaxed) ||
	       tps__cb_pending(&p->worker) != 0;
	if (!busy) {
		/*
		 * (S) as in srcu_synchronize(), pairing with (B): our accesses
		 * before the sums.
		 */
		tps_smp_mb();
		busy = !no_readers(s, w);
	}
	if (busy)
		return -EBUSY;
	atomic_store_explicit(&s->magic, SRCU_MAGIC_DEAD, memory_order_relaxed);

	tps__cb_worker_destroy(&p->worker);
	pthread_mutex_lock(&domains_lock);
	if (p->prev)
		p->prev->next = p->next;
	else
		domains = p->next;
	if (p->next)
		p->next->prev = p->prev;
	atomic_store_explicit(&p->ready, 0, memory_order_relaxed);
	pthread_mutex_unlock(&domains_lock);
	pthread_mutex_destroy(&p->gp.lock);
	atomic_store_explicit(&s->fast_cpus, 0, memory_order_relaxed);
	/*
	 * (Y) full fence, pairs with (X) in tps__srcu_wake(): the end of the
	 * grace periods we follow (waiters disarmed) before our look at the
	 * wakers count. A reader still summing the blocks, woken updater or
	 * not, is counted there; it is a few loads away from leaving, and
	 * never blocks.
	 */
	tps_smp_mb();
	while (atomic_load_explicit(&p->wakers, memory_order_acquire))
		sched_yield();
	if (p->owns_blocks) {
		free(s->blocks);
		s->blocks = NULL;
		s->nblocks = 0;
	}
	return 0;
}

/* ---- fork(). ---- */

void tps__srcu_fork_prepare(void)
{
	pthread_mutex_lock(&domains_lock);
}

void tps__srcu_fork_parent(void)
{
	pthread_mutex_unlock(&domains_lock);
}

/*
 * In the child, no grace period runs, no updater sleeps and no reader is
 * inside tps__srcu_wake(): only the forking thread exists, and it is in none
 * of them. Every per-domain count that another thread may have left raised
 * goes back to rest: the grace-period sequence and its sleepers
 * (tps__gpseq_fork_child()), the waiters word, and the wakers count, which
 * tps_srcu_cleanup() would otherwise wait on forever. The tickets
 * gp_start/gp_done need nothing: a ticket taken by a grace period that never
 * ends here is covered by the next one's completion (gp_complete() keeps the
 * maximum). poll_queued is set right in tps__srcu_fork_child_poll(), once
 * the callback workers are back. The forking thread took domains_lock in the
 * prepare handler and still owns it here.
 */
void tps__srcu_fork_child(void)
{
	struct srcu_private *p;

	for (p = domains; p; p = p->next) {
		tps__gpseq_fork_child(&p->gp);
		atomic_store_explicit(&p->domain->waiters, 0, memory_order_relaxed);
		atomic_store_explicit(&p->wakers, 0, memory_order_relaxed);
	}
	pthread_mutex_unlock(&domains_lock);
}

/*
 * In the child, after the callback workers are back: poll_queued may say
 * queued for a poll callback that is not. Another thread was running it at
 * the fork (it counts as run there, before or after it cleared the flag) or
 * had set the flag and not yet pushed it. Then nothing would ever queue it
 * again and a polled grace period would never end: the flag is cleared and
 * the callback queued if a request is still open, as poll_cb() would have.
 */
void tps__srcu_fork_child_poll(void)
{
	struct srcu_private *p;

	pthread_mutex_lock(&domains_lock);
	for (p = domains; p; p = p->next) {
		unsigned long want;

		/* A domain cleaned up (its worker gone) but not yet unlinked is left alone. */
		if (atomic_load_explicit(&p->domain->magic, memory_order_relaxed) ==
		            SRCU_MAGIC_DEAD ||
		    !atomic_load_explicit(&p->poll_queued, memory_order_relaxed) ||
		    tps__cb_fork_child_holds(&p->worker, &p->poll_head))
			continue;
		atomic_store_explicit(&p->poll_queued, 0, memory_order_relaxed);
		want = atomic_load_explicit(&p->poll_want, memory_order_relaxed);
		if (!TPS_SEQ_GE(atomic_load_explicit(&p->gp_done, memory_order_relaxed), want))
			poll_queue(p);
	}
	pthread_mutex_unlock(&domains_lock);
}
