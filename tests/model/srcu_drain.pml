/*
 * SPDX-License-Identifier: MIT
 *
 * srcu_drain.pml - the SRCU grace period (lib/srcu.c, include/tpsync/srcu.h)
 * as a Promela model: per-CPU lock/unlock counters, the drain check (sum the
 * unlocks, then the locks, over the CPUs one at a time), the index flip, the
 * lockless first check, and the wake-up of a sleeping updater.
 *
 * Memory model: sequential consistency. The fences (B), (C) and (A) of the
 * code (or the membarrier that stands for them with fast readers) are what
 * make each reader's lock, dereference and unlock, and the updater's sums,
 * ordered as written here, and (U)/(W) and (X) are full orderings too (the
 * unlock's seq_cst load after its seq_cst increment against the updater's
 * fence; an explicit fence after the wakers increment), which is what lets
 * an atomic step here stand for each; the point checked is the counting
 * argument, which fails even under sequential consistency when the sums are
 * in the wrong order. Each per-CPU increment is one atomic step: the rseq section adds on
 * the CPU that runs it and restarts if the thread migrates first. A reader
 * may migrate between its lock and its unlock, so the two may count on
 * different CPUs, and may be delayed between loading the index and adding
 * to lock[idx] (a reader that loaded the index before a flip). Which CPU a
 * reader locks on is fixed (they alternate) to keep the state space small;
 * where it unlocks is free.
 *
 * Checked: (1) a reader that dereferenced the old object never finds it
 * freed while still inside (assertion); (2) when the grace period ends, no
 * reader that holds the old object is still inside (assertion); (3) every
 * grace period ends: the updater never sleeps forever, no lost wake-up
 * (an invalid end state).
 *
 * -DNO_LOCKLESS leaves the lockless check out: every run takes the flip and
 * both drains.
 *
 * -DWRONG_ORDER sums the locks before the unlocks: spin must find a
 * violation (the unlock of a reader that entered after the lock sum is taken
 * for the unlock of a reader still inside); with -DNO_LOCKLESS too, in the
 * drain of the full grace period. -DNO_RECHECK arms the waiters word and
 * sleeps without checking the counters again: a reader that left just before
 * saw no waiter, and the updater sleeps forever (an invalid end state).
 * -DCHECK_BEFORE_UNLOCK has a leaving reader look at the sums before its own
 * unlock is counted: the last reader sees itself inside, wakes nobody, and
 * the updater sleeps forever.
 */

#define NCPU 2
#define NR 2          /* readers */
#define LOOPS 2       /* critical sections per reader */
#define OLD 1
#define NEW 2

byte idx;                    /* the domain's index */
byte lock_ctr[NCPU * 2];     /* [cpu * 2 + i] */
byte unlock_ctr[NCPU * 2];
byte ptr = OLD;              /* the protected pointer */
bool freed;                  /* the old object was reclaimed */
bool holds_old[NR];          /* reader r is inside with the old object */
byte waiters;                /* idx + 1 while the updater sleeps on idx */
bool sleeping;

/* Sums of the counters of index j, one CPU at a time (each load a step). */
inline sum_unlocks(j) {
	u = 0;
	for (c : 0 .. NCPU - 1) {
		u = u + unlock_ctr[c * 2 + j]
	}
}

inline sum_locks(j) {
	l = 0;
	for (c : 0 .. NCPU - 1) {
		l = l + lock_ctr[c * 2 + j]
	}
}

/*
 * (U): the updater sleeps on our index? Then (X) and tps__srcu_wake(): wake
 * it only if the sums say the index is drained (the last reader to leave).
 */
inline reader_wake() {
	if
	:: waiters == i + 1 ->
		sum_unlocks(i);
		sum_locks(i);
		if
		:: u == l ->
			atomic {
				if
				:: waiters == i + 1 ->
					waiters = 0;
					sleeping = 0
				:: else -> skip
				fi
			}
		:: else -> skip
		fi
	:: else -> skip
	fi
}

proctype reader(byte r)
{
	byte k, i, cpu, p, c, u, l;

	for (k : 1 .. LOOPS) {
		/* tps_srcu_read_lock(): load the index, then (maybe later) add */
		i = idx;
		cpu = (r + k) % NCPU;
		lock_ctr[cpu * 2 + i]++;
		/* (B), then the critical section */
		atomic {
			p = ptr;
			holds_old[r] = (p == OLD)
		}
		assert(!(p == OLD && freed));
		/* the thread may migrate before its unlock */
		if
		:: cpu = 0
		:: cpu = 1
		fi;
		/* (C); the critical section is over */
		holds_old[r] = 0;
#ifdef CHECK_BEFORE_UNLOCK
		reader_wake();
		unlock_ctr[cpu * 2 + i]++;
#else
		unlock_ctr[cpu * 2 + i]++;
		reader_wake();
#endif

	}
}

/* readers_gone(): sum unlocks, (A), sum locks; equal means drained. */
inline readers_gone() {
#ifdef WRONG_ORDER
	sum_locks(dj);
	sum_unlocks(dj);
#else
	sum_unlocks(dj);
	sum_locks(dj);
#endif
	gone = (u == l)
}

/* drain() of index dj: check; or arm the waiters word, (W), check, sleep. */
inline drain() {
	do
	:: readers_gone();
		if
		:: gone -> break
		:: else ->
			waiters = dj + 1;
#ifndef NO_RECHECK
			readers_gone();
#endif
			if
			:: gone -> break
			:: else ->
				/* futex_wait(&waiters, dj + 1) */
				atomic {
					if
					:: waiters == dj + 1 -> sleeping = 1
					:: else -> skip
					fi
				}
				sleeping == 0
			fi
		fi
	od;
	waiters = 0
}

proctype updater()
{
	byte c, u, l, u0, l0, dj, j;
	bool gone, idle;

	ptr = NEW;               /* unpublish the old object; (S) */

	/* lockless_gp(): both indexes, one (A) between unlocks and locks */
#ifdef NO_LOCKLESS
	idle = 0;
#else
#ifdef WRONG_ORDER
	sum_locks(0);
	l0 = l;
	sum_locks(1);
	sum_unlocks(0);
	u0 = u;
	sum_unlocks(1);
#else
	sum_unlocks(0);
	u0 = u;
	sum_unlocks(1);
	sum_locks(0);
	l0 = l;
	sum_locks(1);
#endif
	idle = (u0 == l0 && u == l);
#endif
	if
	:: idle -> skip
	:: else ->
		/* srcu_gp(): drain the other index, flip, drain this one */
		j = idx;
		dj = 1 - j;
		drain();
		idx = 1 - j;
		dj = j;
		drain()
	fi;

	/* the grace period is over: no reader may still hold OLD */
	assert(!holds_old[0] && !holds_old[1]);
	freed = 1
}

init {
	byte r;

	atomic {
		for (r : 0 .. NR - 1) {
			run reader(r)
		}
		run updater()
	}
}
