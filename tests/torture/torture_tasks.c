/* SPDX-License-Identifier: MIT */
/*
 * tests/torture/torture_tasks.c - torture test of the Tasks flavour.
 *
 * Tasks readers are unmarked: a critical section is the code a reader thread
 * runs between two points where it blocks or reports a quiescent state. The
 * harness's read_lock/read_unlock do nothing here; between sections each
 * reader thread does one of: tps_rcu_tasks_qs(), a short sleep (a voluntary
 * context switch), sched_yield() (an involuntary one, which must not count:
 * the thread is still running user code), or nothing (the next section
 * simply extends this one). Signal-handler readers run inside whatever the
 * thread was doing; churn threads exit, which also ends their readers.
 *
 * Environment: TPSYNC_TORTURE_SECONDS=N (default 8), TPSYNC_FORCE_FALLBACK=1.
 */
#include <sched.h>
#include <stdio.h>
#include <time.h>

#include <tpsync/flavor.h>
#include <tpsync/rcu_tasks.h>

#include "torture.h"

static void between_sections(uint64_t r)
{
	struct timespec ts = {0, 0};

	switch (r % 8) {
	case 0:
	case 1:
	case 2:
		tps_rcu_tasks_qs();
		break;
	case 3:
	case 4:
		ts.tv_nsec = 1000 + (long)((r >> 8) % 20000);
		nanosleep(&ts, NULL);
		break;
	case 5:
		sched_yield();
		break;
	default:
		break;
	}
}

int main(void)
{
	const struct tps_flavor *flavor = tps_flavor_find("tasks");
	struct torture_config cfg;

	if (flavor != &tps_flavor_tasks) {
		fprintf(stderr,
		        "torture_tasks: tps_flavor_find(\"tasks\") is not &tps_flavor_tasks\n");
		return TORTURE_EXIT_FAIL;
	}
#if defined(__SANITIZE_THREAD__)
	/*
	 * A Tasks grace period learns from the kernel that a thread blocked:
	 * ThreadSanitizer sees no ordering there and reports every reclaim.
	 * Worse, its runtime may block inside a reader's critical section
	 * (its own locks), which a Tasks reader must never do.
	 */
	printf("torture_tasks: SKIP: ThreadSanitizer cannot see the ordering a Tasks grace "
	       "period relies on (the kernel's scheduler)\n");
	return TORTURE_EXIT_SKIP;
#endif
	torture_config_init(&cfg, "torture_tasks", flavor);
	cfg.between_sections = between_sections;
	return torture_run(&cfg);
}
