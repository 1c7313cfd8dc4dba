/* SPDX-License-Identifier: MIT */
/*
 * lib/fence.c - the asymmetric fence.
 *
 * Barrier-free readers issue only compiler barriers; the updater turns them
 * into full fences with membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED), which
 * makes every running thread of the process execute a full barrier before it
 * returns. Registration for the private expedited command happens in a
 * library constructor, before the program starts threads: registering a
 * process that already runs many threads can take milliseconds.
 *
 * Without membarrier (old kernel, seccomp), or when TPSYNC_FORCE_FALLBACK is
 * set, or after tps_force_fallback(), readers issue tps_smp_mb() themselves
 * and the updater's side is a plain full fence. The mode is frozen by the
 * first thread registration, since a registered thread's read side already
 * encodes it.
 */
#include <errno.h>
#include <linux/membarrier.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

/* fence_state bits */
#define FENCE_FALLBACK 0x1 /* readers fence themselves */
#define FENCE_FROZEN 0x2   /* a thread registered: the mode can no longer change */

static _Atomic int fence_state;
/* The registration succeeded (set once, in fence_init_once()): see tps__fence_worker_heavy(). */
static bool registered;
static pthread_once_t fence_once = PTHREAD_ONCE_INIT;

static int sys_membarrier(int cmd)
{
	return (int)syscall(SYS_membarrier, cmd, 0, 0);
}

static bool env_forces_fallback(void)
{
	const char *v = getenv("TPSYNC_FORCE_FALLBACK");

	return v && v[0] && strcmp(v, "0") != 0;
}

static void fence_init_once(void)
{
	int state = FENCE_FALLBACK;

	if (!env_forces_fallback()) {
		int cmds = sys_membarrier(MEMBARRIER_CMD_QUERY);

		if (cmds > 0 && (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
		    sys_membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0) {
			state = 0;
			registered = true;
		}
	}
	atomic_store_explicit(&fence_state, state, memory_order_relaxed);
	tps__fork_init();
}

void tps__fence_init(void)
{
	pthread_once(&fence_once, fence_init_once);
}

/* Runs before main() for executables and at dlopen() for modules. */
__attribute__((constructor)) static void tps_constructor(void)
{
	tps__fence_init();
}

bool tps__membarrier_mode(void)
{
	tps__fence_init();
	return !(atomic_load_explicit(&fence_state, memory_order_relaxed) & FENCE_FALLBACK);
}

bool tps__fence_freeze(void)
{
	tps__fence_init();
	return !(atomic_fetch_or_explicit(&fence_state, FENCE_FROZEN, memory_order_relaxed) &
	         FENCE_FALLBACK);
}

/* The registered process's membarrier; failing after registration breaks a rule. */
static void membarrier_registered(void)
{
	if (tps_unlikely(sys_membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0))
		tps__rule_broken("membarrier", "MEMBARRIER_CMD_PRIVATE_EXPEDITED failed after "
		                               "a successful registration");
}

void tps__fence_heavy(void)
{
	if (tps__membarrier_mode())
		membarrier_registered();
	else
		tps_smp_mb();
}

bool tps__fence_worker_light(void)
{
	tps__fence_init();
	return registered && !TPSYNC_SEQ_CST_READSIDE;
}

void tps__fence_worker_heavy(void)
{
	if (tps__fence_worker_light())
		membarrier_registered();
	else
		tps_smp_mb();
}

bool tps_membarrier_enabled(void)
{
	return tps__membarrier_mode();
}

int tps_force_fallback(void)
{
	int old;

	tps__fence_init();
	old = atomic_load_explicit(&fence_state, memory_order_relaxed);
	do {
		if (old & FENCE_FROZEN)
			return -EBUSY;
	} while (!atomic_compare_exchange_weak_explicit(&fence_state, &old, old | FENCE_FALLBACK,
	                                                memory_order_relaxed,
	                                                memory_order_relaxed));
	return 0;
}
