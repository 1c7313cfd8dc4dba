/* SPDX-License-Identifier: MIT */
/*
 * tps-srcu, tps-srcu-static, tps-srcu-fast, srcu-fast-atomic - tpsync's SRCU
 * read sides, inlined from <tpsync/srcu.h>, each on a domain of its own:
 *   tps-srcu          classic SRCU readers: per-CPU increments and a full
 *                     fence at lock and at unlock, on a dynamic domain
 *                     (tps_srcu_init: one counter block per possible CPU);
 *   tps-srcu-static   the same on a static domain (TPS_DEFINE_SRCU: a block
 *                     for each of CPUs 0..63 whatever the machine), whose
 *                     grace periods sum over all of them;
 *   tps-srcu-fast     fast readers on a dynamic domain: the same
 *                     increments, no fence (the updater issues membarrier
 *                     instead);
 *   srcu-fast-atomic  fast readers on a dynamic domain initialized with
 *                     TPS_SRCU_ATOMIC: atomic increments instead of rseq,
 *                     the increment fallback alone, in this process.
 * SRCU readers may block: the held reader of `gp` sleeps. No thread
 * registration is needed. Domains live until exit: rows are never torn down.
 */
#include <tpsync/srcu.h>

#include "../bench.h"
#include "../readside.h"

_Static_assert(sizeof(struct tps_rcu_head) <= READSIDE_CB_HEAD_SIZE, "callback head too big");

static struct tps_srcu srcu_domain;
TPS_DEFINE_STATIC_SRCU(srcu_static_domain);
static struct tps_srcu srcu_fast_domain;
static struct tps_srcu srcu_atomic_domain;

static void srcu_cb(struct tps_rcu_head *head)
{
	readside_cb_done(READSIDE_CB_OF(head));
}

/*
 * The hooks of a row on the domain `dom`; `lock` and `unlock` are the
 * reader functions (classic or fast).
 */
#define SRCU_ROW_HOOKS(row, dom, lock, unlock)                                                     \
	static READSIDE_NOINLINE void row##_loop(unsigned long iterations)                         \
	{                                                                                          \
		int idx;                                                                           \
                                                                                                   \
		READSIDE_LOOP(iterations, idx = lock(&dom), unlock(&dom, idx));                    \
	}                                                                                          \
	static READSIDE_NOINLINE void row##_loop_nested(unsigned long iterations)                  \
	{                                                                                          \
		int outer, inner;                                                                  \
                                                                                                   \
		READSIDE_LOOP_NESTED(iterations, outer = lock(&dom), inner = lock(&dom),           \
		                     unlock(&dom, inner), unlock(&dom, outer));                    \
	}                                                                                          \
	static void row##_synchronize(void)                                                        \
	{                                                                                          \
		tps_synchronize_srcu(&dom);                                                        \
	}                                                                                          \
	static void row##_hold(uint64_t ns)                                                        \
	{                                                                                          \
		int idx = lock(&dom);                                                              \
                                                                                                   \
		bench_sleep_ns(ns);                                                                \
		unlock(&dom, idx);                                                                 \
	}                                                                                          \
	static unsigned long row##_get_state(void)                                                 \
	{                                                                                          \
		return tps_get_state_synchronize_srcu(&dom);                                       \
	}                                                                                          \
	static void row##_call(struct readside_cb *cb)                                             \
	{                                                                                          \
		tps_call_srcu(&dom, (struct tps_rcu_head *)(void *)cb->head, srcu_cb);             \
	}                                                                                          \
	static void row##_barrier(void)                                                            \
	{                                                                                          \
		tps_srcu_barrier(&dom);                                                            \
	}

/* The row made of SRCU_ROW_HOOKS(row, ...), with init. */
#define SRCU_ROW(row, row_name, init_fn)                                                           \
	{                                                                                          \
		.name = row_name, .init = init_fn, .loop = row##_loop,                             \
		.loop_nested = row##_loop_nested, .synchronize = row##_synchronize,                \
		.has_fallback = true, .hold = row##_hold, .reader_may_block = true,                \
		.get_state = row##_get_state, .cookie_step = 1, .call = row##_call,                \
		.barrier = row##_barrier,                                                          \
	}

static int srcu_init(void)
{
	return tps_srcu_init(&srcu_domain);
}

static int srcu_fast_init(void)
{
	return tps_srcu_init_fast(&srcu_fast_domain);
}

SRCU_ROW_HOOKS(row_srcu, srcu_domain, tps_srcu_read_lock, tps_srcu_read_unlock)
SRCU_ROW_HOOKS(row_srcu_static, srcu_static_domain, tps_srcu_read_lock, tps_srcu_read_unlock)
SRCU_ROW_HOOKS(row_srcu_fast, srcu_fast_domain, tps_srcu_read_lock_fast, tps_srcu_read_unlock_fast)

const struct readside_impl readside_tps_srcu = SRCU_ROW(row_srcu, "tps-srcu", srcu_init);
const struct readside_impl readside_tps_srcu_static =
        SRCU_ROW(row_srcu_static, "tps-srcu-static", NULL);
const struct readside_impl readside_tps_srcu_fast =
        SRCU_ROW(row_srcu_fast, "tps-srcu-fast", srcu_fast_init);

/* ---- srcu-fast-atomic ---- */

static int srcu_fast_atomic_init(void)
{
	return tps_srcu_init_flags(&srcu_atomic_domain, TPS_SRCU_FAST | TPS_SRCU_ATOMIC);
}

static READSIDE_NOINLINE void srcu_fast_atomic_loop(unsigned long iterations)
{
	int idx;

	READSIDE_LOOP(iterations, idx = tps_srcu_read_lock_fast(&srcu_atomic_domain),
	              tps_srcu_read_unlock_fast(&srcu_atomic_domain, idx));
}

static void srcu_fast_atomic_synchronize(void)
{
	tps_synchronize_srcu(&srcu_atomic_domain);
}

const struct readside_impl readside_srcu_fast_atomic = {
        .name = "srcu-fast-atomic",
        .init = srcu_fast_atomic_init,
        .loop = srcu_fast_atomic_loop,
        .synchronize = srcu_fast_atomic_synchronize,
        .has_fallback = true,
};
