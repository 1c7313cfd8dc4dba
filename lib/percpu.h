/* SPDX-License-Identifier: MIT */
/*
 * lib/percpu.h - per-CPU counters outside the inline rseq path (see
 * tps__percpu_inc() in include/tpsync/srcu.h): the atomic fallback, whether
 * rseq can be used at all, and the number of possible CPUs.
 */
#ifndef TPSYNC_LIB_PERCPU_H
#define TPSYNC_LIB_PERCPU_H

#include <stdbool.h>

#include <tpsync/srcu.h>

/*
 * Adds one to the counter of the CPU the thread (probably) runs on, with a
 * sequentially consistent RMW, or to the shared block nblocks when that CPU
 * owns no block. Correct on any CPU: used only in domains whose every
 * increment is atomic.
 */
void tps__percpu_inc_atomic(_Atomic unsigned long *ctr0, unsigned int nblocks);

/*
 * Adds one to the counter of the current CPU with rseq when the library has
 * rseq code and glibc registered rseq, atomically otherwise. For domains in
 * rseq mode, from the library's slow paths.
 */
void tps__percpu_inc_rseq(_Atomic unsigned long *ctr0, unsigned int nblocks);

/* Can this process use the rseq increment (code built in, rseq registered)? */
bool tps__percpu_rseq_usable(void);

/*
 * Number of possible CPUs: one more than the highest CPU number the kernel
 * can ever report (from /sys/devices/system/cpu/possible), at least 1. A
 * dynamic domain allocates that many blocks (plus the shared one).
 */
unsigned int tps__percpu_possible(void);

#endif /* TPSYNC_LIB_PERCPU_H */
