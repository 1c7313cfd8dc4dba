/* SPDX-License-Identifier: MIT */
/*
 * lib/wait.c - futex sleep and wake-up. Updaters spin first (in their own
 * code), then sleep here until a reader they wait for wakes them.
 */
#include <errno.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

void tps__futex_wait(_Atomic int *word, int val)
{
	/*
	 * The kernel re-checks *word == val under its own lock, so a wake-up
	 * that happens between the caller's last check and this call is not
	 * lost: the call returns at once (EAGAIN). EINTR and spurious returns
	 * are fine: every caller re-checks its condition in a loop.
	 */
	long r = syscall(SYS_futex, (int *)word, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);

	if (r < 0 && errno != EAGAIN && errno != EINTR)
		tps__rule_broken("futex", "FUTEX_WAIT failed unexpectedly");
}

void tps__futex_wake(_Atomic int *word, int n)
{
	int saved = errno; /* async-signal-safe: leave errno as it was */

	syscall(SYS_futex, (int *)word, FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0);
	errno = saved;
}
