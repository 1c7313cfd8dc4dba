/* SPDX-License-Identifier: MIT */
/*
 * readside.h - the read-side implementations `tpsync-bench readside`
 * compares, the loop every one of them is measured with, and the timing
 * engine (loops.c) that readside, barrier and tracepoint share.
 *
 * An implementation is a row of readside_impls[] (readside_impls.c). Its loop
 * lives in a translation unit of its own (readside/<name>.c), noinline, so
 * that what is timed is READSIDE_LOOP over that implementation's read side
 * and nothing of the harness, and so that headers that cannot share a
 * translation unit (liburcu's flavours) never meet. Adding an implementation
 * is one such file, its declaration below, a line in readside_impls.c and
 * one in CMakeLists.txt. The RCU flavours also carry the hooks `tpsync-bench
 * gp` needs (holding a reader, cookies, callbacks), next to their read side.
 *
 * Other subcommands time their own loops (a fence, a tracepoint call site)
 * as rows of the same type: a row is anything measured in ns per iteration.
 */
#ifndef TPSYNC_BENCH_READSIDE_H
#define TPSYNC_BENCH_READSIDE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A callback in flight for `tpsync-bench gp`'s call_* rows: the time it was
 * queued, where its latency goes, and room for the flavour's callback head
 * (struct tps_rcu_head or liburcu's struct rcu_head; a row checks that its
 * head fits).
 */
#define READSIDE_CB_HEAD_SIZE 32
struct readside_cb {
	uint64_t queued_ns;
	double *latency_ns;
	_Alignas(16) unsigned char head[READSIDE_CB_HEAD_SIZE];
};

/* A row's callback calls this with the readside_cb its head is in (gp.c). */
void readside_cb_done(struct readside_cb *cb);

/* The readside_cb whose head member is at head. */
#define READSIDE_CB_OF(head_ptr)                                                                   \
	((struct readside_cb *)(void *)((char *)(head_ptr)-offsetof(struct readside_cb, head)))

struct readside_impl {
	/* The name of DESIGN §9, used by --impl and in the output. */
	const char *name;
	/*
	 * Once per process, before any measuring thread starts; NULL when
	 * nothing is needed. 0 or a negative errno: the row is then skipped
	 * with a message (-ENOTSUP: not applicable on this machine, not an
	 * error).
	 */
	int (*init)(void);
	/* In each measuring thread before its first loop and after its last. */
	void (*setup)(void);
	void (*teardown)(void);
	/* iterations times: lock; compiler barrier; unlock. */
	void (*loop)(unsigned long iterations);
	/* The same with a second critical section nested in the first; NULL: does not nest. */
	void (*loop_nested)(unsigned long iterations);
	/*
	 * One update that waits for the readers present: a grace period, a
	 * write lock. The --updater variant calls it in a loop; NULL: no such
	 * variant.
	 */
	void (*synchronize)(void);
	/* A tpsync flavour: TPSYNC_FORCE_FALLBACK=1 changes its read side. */
	bool has_fallback;

	/* ---- The RCU flavours `tpsync-bench gp` measures; NULL elsewhere. ---- */

	/*
	 * One critical section held for ns: sleeping when readers of the
	 * flavour may block (reader_may_block), spinning otherwise.
	 */
	void (*hold)(uint64_t ns);
	bool reader_may_block;
	/* A polled grace-period cookie; NULL: none. */
	unsigned long (*get_state)(void);
	/*
	 * How far the cookie advances per grace period: 2 for the classic and
	 * tasks-trace flavours (a sequence whose low bit says "running"), 1
	 * for SRCU (a ticket per grace period). Required with get_state.
	 */
	unsigned int cookie_step;
	/* Queue cb behind a grace period; its callback calls readside_cb_done(). NULL: no call_*
	 * row. */
	void (*call)(struct readside_cb *cb);
	/* Wait until every queued callback has run. */
	void (*barrier)(void);
};

/*
 * READSIDE_LOOP() - the measured loop: iterations times lock, a compiler
 * barrier, unlock.
 *
 * The barrier stands for the critical section: the compiler may neither
 * merge two critical sections nor move the lock past the unlock. Unrolling
 * is disabled so that every implementation runs the same loop shape (one
 * counter increment, compare and branch per pair) and the empty row is a
 * true floor.
 */
#define READSIDE_BARRIER() __asm__ __volatile__("" ::: "memory")
#define READSIDE_LOOP(iterations, lock, unlock)                                                    \
	do {                                                                                       \
		unsigned long n_ = (iterations);                                                   \
		_Pragma("GCC unroll 1") for (unsigned long i_ = 0; i_ < n_; i_++)                  \
		{                                                                                  \
			lock;                                                                      \
			READSIDE_BARRIER();                                                        \
			unlock;                                                                    \
		}                                                                                  \
	} while (0)

/* READSIDE_LOOP() with a second critical section inside the first. */
#define READSIDE_LOOP_NESTED(iterations, lock1, lock2, unlock2, unlock1)                           \
	do {                                                                                       \
		unsigned long n_ = (iterations);                                                   \
		_Pragma("GCC unroll 1") for (unsigned long i_ = 0; i_ < n_; i_++)                  \
		{                                                                                  \
			lock1;                                                                     \
			lock2;                                                                     \
			READSIDE_BARRIER();                                                        \
			unlock2;                                                                   \
			unlock1;                                                                   \
		}                                                                                  \
	} while (0)

/*
 * A measured loop's function: never inlined, and starting on a 64-byte line.
 * A small loop that straddles two lines takes two fetches (two op-cache
 * lines) per iteration: measured here as 2x for the disabled tracepoint's
 * 23-byte loop against the same loop within one line. Starting each
 * function on a line keeps the small loops (which sit near the start) within
 * one line whatever the layout, so that rows compare read sides, not their
 * addresses. Loops longer than a line straddle lines whatever we do.
 */
#define READSIDE_NOINLINE __attribute__((noinline, aligned(64)))

/* The rows, each defined in readside/<name>.c. */
extern const struct readside_impl readside_empty;
extern const struct readside_impl readside_tps_rcu;
extern const struct readside_impl readside_tps_rcu_shared;
extern const struct readside_impl readside_tps_trace;
extern const struct readside_impl readside_tps_qsbr;
extern const struct readside_impl readside_tps_qsbr_dance;
extern const struct readside_impl readside_urcu_memb;
extern const struct readside_impl readside_urcu_mb;
extern const struct readside_impl readside_urcu_qsbr;
extern const struct readside_impl readside_urcu_bp;
extern const struct readside_impl readside_urcu_signal;

extern const struct readside_impl readside_tps_srcu;
extern const struct readside_impl readside_tps_srcu_static;
extern const struct readside_impl readside_tps_srcu_fast;
extern const struct readside_impl readside_srcu_fast_atomic;
extern const struct readside_impl readside_srcu_floor;
extern const struct readside_impl readside_rwlock;
extern const struct readside_impl readside_mutex;
extern const struct readside_impl readside_refcount;

/* Every row built into this executable, in table order; readside_impls.c. */
extern const struct readside_impl *const readside_impls[];
extern const size_t readside_nimpls;

/*
 * The symbol the tps-rcu-shared module exports: the tps-rcu loop, compiled
 * into a module that links libtpsync.so (readside/tps_rcu_module.c).
 */
#define READSIDE_MODULE_LOOP_SYMBOL "tpsbench_module_tps_rcu_loop"
void tpsbench_module_tps_rcu_loop(unsigned long iterations);

/*
 * Run impl's init once per process (main thread only): later calls return
 * what the first one did, so that subcommands of `all` share its state.
 */
int readside_init(const struct readside_impl *impl);

/*
 * The rows --impl selects, that want() accepts (NULL: all) and whose init
 * succeeds, into out (room for readside_nimpls); the count. A failed init
 * skips its row with a message naming who, and sets *status to 1 unless it
 * was -ENOTSUP (not applicable here).
 */
struct bench_opts;
size_t readside_select(const struct bench_opts *o, const char *who,
                       bool (*want)(const struct readside_impl *impl),
                       const struct readside_impl **out, int *status);

/* The row of readside_impls[] called name, or NULL. */
const struct readside_impl *readside_find(const char *name);

/* ---- The timing engine (loops.c). ---- */

/*
 * What to time: every row of impls with every thread count of threads
 * (threads pinned one per CPU when there are enough CPUs), runs timed
 * repetitions of batches that last about batch_ns each, after calibration
 * and a warm-up round. Each repetition runs every (row, thread count) once,
 * in an order that rotates from one repetition to the next, so that a slow
 * phase of a noisy machine falls on every row and thread count alike and
 * ratios hold.
 */
struct loops_spec {
	const struct readside_impl *const *impls;
	size_t n;
	const unsigned int *threads;
	size_t nthreads;
	unsigned int runs;
	double batch_ns;
	/* Time each row's loop_nested instead of its loop. */
	bool nested;
	/* A thread calls the measured row's synchronize in a loop meanwhile. */
	bool updater;
	/* What the progress line says is being measured. */
	const char *label;
};

/*
 * Results are per job, the row i with the thread count threads[k], at
 * index k * n + i (LOOPS_JOB()).
 */
#define LOOPS_JOB(s, k, i) ((k) * (s)->n + (i))

struct loops_result {
	/*
	 * ns per iteration of job j in repetition r, at v[j * runs + r]: the
	 * mean over threads of each thread's figure.
	 */
	double *v;
	/* Per job: the calibrated iterations of one batch. */
	unsigned long *iterations;
	/* Per job, with an updater: its completed updates per second. */
	double *updates_per_s;
};

/* Measure; exits on allocation failure. */
void loops_measure(const struct loops_spec *s, struct loops_result *r);
void loops_result_free(struct loops_result *r);

#endif /* TPSYNC_BENCH_READSIDE_H */
