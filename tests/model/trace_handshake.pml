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
 * immediately visible: on x86 they reach memory in program order, and each
 * load of the updater that must see them comes after a membarrier or a
 * locked instruction of its own. membarrier() drains every reader's store
 * buffer at one instant (the IPI runs a full barrier on every CPU). Readers
 * issue only compiler barriers, which cost nothing here.
 *
 * The grace period: (TG1) membarrier; sweep: a reader outside a critical
 * section is quiescent, untouched; the others are holdouts: the count is
 * set to a bias, each holdout flagged, (TG5) membarrier, the holdouts
 * rescanned (one that has left is reported by the updater, by
 * compare-and-swap, against its own report), and the bias less the flagged
 * holdouts and the rescan's reports taken off the count in one step.
 *
 * Checked: (1) safety: a reader that dereferenced the old object never sees
 * it freed while still inside (assertion); (2) every grace period ends, no
 * lost wake-up: the updater never sleeps forever (an invalid end state).
 *
 * -DNO_MEMBARRIER removes (TG1): spin must find a reader missed by the
 * sweep that sees the old object freed.
 * -DNO_SECOND_MEMBARRIER removes (TG5): a holdout's unlock and the rescan
 * each miss the other's store (its idle word, the flag), and the updater
 * sleeps forever.
 * -DCOUNT_AFTER_FLAGS sets the count after the flags: a holdout that reports
 * in between has its decrement overwritten, and the updater sleeps forever.
 */

#define NR 2      /* readers */
#define LOOPS 2   /* critical sections per reader */
#define OLD 1
#define NEW 2
#define BIAS 100  /* more than NR */

byte ptr = OLD;           /* the RCU-protected pointer */
bool freed;               /* the old object was reclaimed */
byte nesting[NR];         /* memory copy of each reader's nesting word */
bool need_qs[NR];
byte holdouts;            /* BIAS while the updater flags and rescans */
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
	byte i, h, flagged, won;
	bool hold[NR];

	ptr = NEW;              /* unpublish the old object */

#ifndef NO_MEMBARRIER
	/* (TG1) membarrier: every reader executes a full barrier */
	atomic {
		for (i : 0 .. NR - 1) {
			sb_drain_all(i)
		}
	}
#endif

	/* trace_sweep(): the holdouts; idle readers are left alone */
	flagged = 0;
	for (i : 0 .. NR - 1) {
		hold[i] = nesting[i] != 0;
		if
		:: hold[i] -> flagged++
		:: else -> skip
		fi
	}

	if
	:: flagged > 0 ->
		/* trace_flag_and_rescan() */
#ifndef COUNT_AFTER_FLAGS
		holdouts = BIAS;
#endif
		for (i : 0 .. NR - 1) {
			if
			:: hold[i] -> need_qs[i] = 1
			:: else -> skip
			fi
		}
#ifdef COUNT_AFTER_FLAGS
		holdouts = BIAS;
#endif
#ifndef NO_SECOND_MEMBARRIER
		/* (TG5) membarrier */
		atomic {
			for (i : 0 .. NR - 1) {
				sb_drain_all(i)
			}
		}
#endif
		won = 0;
		for (i : 0 .. NR - 1) {
			if
			:: hold[i] && nesting[i] == 0 ->
				atomic {
					if
					:: need_qs[i] -> need_qs[i] = 0; won++
					:: else -> skip
					fi
				}
			:: else -> skip
			fi
		}
		/* one fetch_sub: the bias, less the flagged, plus the rescan's reports */
		atomic { holdouts = holdouts - (BIAS - flagged + won) }

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
	:: else -> skip
	fi

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
