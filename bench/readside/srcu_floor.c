/* SPDX-License-Identifier: MIT */
/*
 * srcu-floor - the floor of the SRCU design: the two per-CPU increments of
 * an SRCU reader (the rseq this_cpu_inc() of <tpsync/srcu.h>) and its two
 * full fences, with nothing else: no domain, no index load, no mode test,
 * no waiter check. tps-srcu minus this row is what the rest of SRCU's read
 * side costs. Built only where <tpsync/srcu.h> has rseq code (not in the
 * tsan build).
 */
#include <errno.h>

#include <tpsync/srcu.h>

#include "../readside.h"

#if TPS__HAVE_RSEQ

/* Counter blocks for CPUs 0..TPS__SRCU_STATIC_CPUS-1, plus the shared one. */
static struct tps__srcu_block floor_blocks[TPS__SRCU_STATIC_CPUS + 1];

static int srcu_floor_init(void)
{
	/* tps__percpu_inc() needs the thread's rseq area registered by glibc. */
	return __rseq_size ? 0 : -ENOTSUP;
}

static inline void floor_lock(void)
{
	tps__percpu_inc(&floor_blocks[0].lock[0], TPS__SRCU_STATIC_CPUS);
	tps_smp_mb();
}

static inline void floor_unlock(void)
{
	tps_smp_mb();
	tps__percpu_inc(&floor_blocks[0].unlock[0], TPS__SRCU_STATIC_CPUS);
}

static READSIDE_NOINLINE void srcu_floor_loop(unsigned long iterations)
{
	READSIDE_LOOP(iterations, floor_lock(), floor_unlock());
}

const struct readside_impl readside_srcu_floor = {
        .name = "srcu-floor",
        .init = srcu_floor_init,
        .loop = srcu_floor_loop,
};

#endif
