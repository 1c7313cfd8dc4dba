/* SPDX-License-Identifier: MIT */
/*
 * lib/percpu.c - per-CPU counters: the atomic fallback of the rseq
 * increment, the rseq availability check and the possible-CPU count.
 *
 * The rseq increment itself is inline (tps__percpu_inc() in
 * include/tpsync/srcu.h). Its correctness rests on one rule: a block owned by
 * a CPU is written only by rseq critical sections running on that CPU, which
 * the kernel aborts and restarts if they are preempted or migrated before
 * their add commits. A non-locked add from two CPUs to one word could lose an
 * increment, so CPUs that own no block, and threads without rseq, add to the
 * shared block, atomically. A domain whose increments are atomic (the
 * fallback) may add to any block, since no rseq add ever touches its blocks.
 */
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"
#include "percpu.h"

/*
 * glibc's rseq area (2.35+), on every architecture: the kernel keeps the
 * thread's CPU number in it. The inline rseq increment exists for x86-64
 * only (TPS__HAVE_RSEQ), but the CPU number serves the atomic fallback
 * everywhere.
 */
#if defined(__GNUC__) && defined(__has_include)
#if __has_include(<sys/rseq.h>)
#include <sys/rseq.h>
#ifdef RSEQ_SIG
#define PERCPU_RSEQ_AREA 1
#endif
#endif
#endif

/*
 * The CPU the calling thread last ran on, as cheaply as it can be had: a
 * load from the rseq area when glibc registered it; otherwise
 * sched_getcpu(), a vDSO call on x86 and a system call where the kernel has
 * no getcpu in its vDSO (arm64) and rseq is not registered (qemu-user).
 */
static unsigned int cpu_hint(void)
{
#ifdef PERCPU_RSEQ_AREA
	/*
	 * cpu_id_start: always a possible CPU while rseq is registered. The
	 * area is at the same offset from the thread pointer in every thread.
	 */
	if (__rseq_size) {
		const struct rseq *area =
		        (const struct rseq *)(const void *)((const char *)
		                                                    __builtin_thread_pointer() +
		                                            __rseq_offset);

		return __atomic_load_n(&area->cpu_id_start, __ATOMIC_RELAXED);
	}
#endif
	/* -1 (unsupported) becomes a CPU with no block. */
	return (unsigned int)sched_getcpu();
}

void tps__percpu_inc_atomic(_Atomic unsigned long *ctr0, unsigned int nblocks)
{
	unsigned int cpu = cpu_hint();

	/*
	 * seq_cst RMW: the unlock's (U) follows it with a seq_cst load of the
	 * waiters word, which C11's single order then puts after it.
	 */
	atomic_fetch_add_explicit(tps__percpu_slot(ctr0, cpu < nblocks ? cpu : nblocks), 1,
	                          memory_order_seq_cst);
}

void tps__percpu_inc_rseq(_Atomic unsigned long *ctr0, unsigned int nblocks)
{
#if TPS__HAVE_RSEQ
	if (tps_likely(__rseq_size)) {
		tps__percpu_inc(ctr0, nblocks);
		return;
	}
#endif
	/* Not reached in an rseq-mode domain; keeps the block rule anyway. */
	atomic_fetch_add_explicit(tps__percpu_slot(ctr0, nblocks), 1, memory_order_seq_cst);
}

bool tps__percpu_rseq_usable(void)
{
#if TPS__HAVE_RSEQ
	return __rseq_size != 0;
#else
	return false;
#endif
}

bool tps_rseq_enabled(void)
{
	return tps__percpu_rseq_usable() && tps__membarrier_mode();
}

/* Upper bound on the CPUs parse_possible() believes (a sanity limit). */
#define PERCPU_MAX_CPUS 65536

/* "0-3,8-11\n" -> 12. 0 when the file cannot be read or parsed. */
static unsigned int parse_possible(void)
{
	char buf[256];
	unsigned long max = 0, v;
	ssize_t n;
	char *p, *end;
	int fd = open("/sys/devices/system/cpu/possible", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	for (p = buf; *p && *p != '\n'; p = end) {
		if (*p == ',' || *p == '-')
			p++;
		v = strtoul(p, &end, 10);
		if (end == p)
			return 0;
		if (v > max)
			max = v;
	}
	return max < PERCPU_MAX_CPUS ? (unsigned int)max + 1 : 0;
}

static unsigned int possible_cpus;
static pthread_once_t possible_once = PTHREAD_ONCE_INIT;

static void possible_init(void)
{
	unsigned int n = parse_possible();
	long conf = sysconf(_SC_NPROCESSORS_CONF);

	/*
	 * Take the larger. Only the memory and the speed of the sums depend on
	 * it: a CPU beyond the count adds to the shared block.
	 */
	if (conf > 0 && conf < PERCPU_MAX_CPUS && (unsigned int)conf > n)
		n = (unsigned int)conf;
	possible_cpus = n ? n : 1;
}

unsigned int tps__percpu_possible(void)
{
	pthread_once(&possible_once, possible_init);
	return possible_cpus;
}
