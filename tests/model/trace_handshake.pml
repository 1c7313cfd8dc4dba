/*
 * SPDX-License-Identifier: MIT
 *
 * trace_handshake.pml - the tasks-trace grace-period handshake
 * (lib/rcu_trace.c, include/tpsync/rcu_trace.h) as a Promela model.
 *
 * Memory model: the readers run on x86-TSO: each has a FIFO store buffer
 * (two entries are enough: a lock store and an unlock store), its loads of
 * its own nesting word forward from the buffer, other loads read memory,
 * and a locked instruction (the compare-and-swap that reports a quiescent
 * state) drains the buffer first. The updater's stores are treated as
 * immediately visible: on x86 each of its steps is separated by locked
 * instructions (mutex, fetch_add) and the membarrier. membarrier() drains
 * every reader's store buffer at one instant (the IPI runs a full barrier on
 * every CPU). Readers issue only compiler barriers, which cost nothing here.
 *
 * Checked: (1) safety: a reader that dereferenced the old object never sees
 * it freed while still inside (assertion); (2) every grace period ends, no
 * lost wake-up: the updater never sleeps forever (an invalid end state).
 *
 * -DNO_MEMBARRIER replaces the membarrier with nothing: spin must find a
 * violation (a reader missed by the scan, or a reader and an updater that
 * each miss the other's store, so the updater sleeps forever).
 */

#define NR 2      /* readers */
#define LOOPS 2   /* critical sections per reader */
#define OLD 1
#define NEW 2

byte ptr = OLD;           /* the RCU-protected pointer */
bool freed;               /* the old object was reclaimed */
byte nesting[NR];         /* memory copy of each reader's nesting word */
bool need_qs[NR];
byte holdouts;
bool sleeping;            /* the updater sleeps in futex_wait */

/* Reader store buffers: sb_n[i] pending values, oldest in sb_v[2*i]. */
byte sb_n[NR];
byte sb_v[2 * NR];

inline sb_store(i, v) {
	atomic {
		sb_n[i] < 2 ->
		sb_v[2 * i + sb_n[i]] = v;
		sb_n[i]++
	}
}

/* Oldest pending store of reader i reaches memory. */
inline sb_drain_one(i) {
	atomic {
		sb_n[i] > 0 ->
		nesting[i] = sb_v[2 * i];
		sb_v[2 * i] = sb_v[2 * i + 1];
		sb_n[i]--
	}
}

inline sb_drain_all(i) {
	do
	:: sb_n[i] > 0 -> sb_drain_one(i)
	:: else -> break
	od
}

/* The store buffer hardware of reader i: drains at any time. */
proctype drainer(byte i)
{
end:	do
	:: sb_drain_one(i)
	od
}

/* Last holdout: futex_wake. */
inline drop_holdout() {
	bool last;
	atomic { holdouts--; last = (holdouts == 0) }
	if
	:: last -> sleeping = 0
	:: else -> skip
	fi
}

/* Compare-and-swap need_qs 1 -> 0; the winner drops a holdout. */
inline report_qs(i) {
	bool won;
	atomic { won = need_qs[i]; need_qs[i] = 0 }
	if
	:: won -> drop_holdout()
	:: else -> skip
	fi
}

proctype reader(byte i)
{
	byte k, p;

	for (k : 1 .. LOOPS) {
		/* tps_rcu_read_lock_trace(): nesting = 1; (TR1) barrier() */
		sb_store(i, 1);
		p = ptr;                        /* tps_rcu_dereference() */
		assert(!(p == OLD && freed));   /* use the object */
		/* tps_rcu_read_unlock_trace(): (TR2) nesting = 0; (TR3) barrier() */
		sb_store(i, 0);
		if
		:: need_qs[i] ->
			/* locked cmpxchg: drains the store buffer first */
			atomic { sb_drain_all(i); }
			report_qs(i)
		:: else -> skip
		fi
	}
}

proctype updater()
{
	byte i, h, n;

	ptr = NEW;              /* unpublish the old object */

	/* trace_snapshot() */
	holdouts = 1;
	for (i : 0 .. NR - 1) {
		holdouts++;
		need_qs[i] = 1
	}

#ifndef NO_MEMBARRIER
	/* (TG1) membarrier: every reader executes a full barrier */
	atomic {
		for (i : 0 .. NR - 1) {
			sb_drain_all(i)
		}
	}
#endif

	/* trace_scan() */
	for (i : 0 .. NR - 1) {
		if
		:: need_qs[i] ->
			n = nesting[i];
			if
			:: n == 0 -> report_qs(i)
			:: else -> skip
			fi
		:: else -> skip
		fi
	}
	drop_holdout();           /* the scan's own unit */

	/* wait_for_holdouts(): spin, then futex_wait(&holdouts, h) */
	do
	:: h = holdouts;
		if
		:: h == 0 -> break
		:: else ->
			atomic {
				if
				:: holdouts == h -> sleeping = 1
				:: else -> skip
				fi
			}
			sleeping == 0
		fi
	od

	freed = 1                 /* reclaim: no reader may still use OLD */
}

init {
	byte i;

	atomic {
		for (i : 0 .. NR - 1) {
			run drainer(i);
			run reader(i)
		}
		run updater()
	}
}
