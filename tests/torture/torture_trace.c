/* SPDX-License-Identifier: MIT */
/*
 * tests/torture/torture_trace.c - torture test of the tasks-trace flavour.
 *
 * Readers sleep and make syscalls inside their critical sections. Updaters
 * go through the library's ops table (tps_flavor_trace). Half of the
 * readers use it too; the other half call the inline read side compiled into
 * this executable, as a user's program does.
 *
 * Environment: TPSYNC_TORTURE_SECONDS=N (default 8), TPSYNC_FORCE_FALLBACK=1.
 */
#include <stdio.h>

#include <tpsync/flavor.h>
#include <tpsync/rcu_trace.h>

#include "torture.h"

static int inline_lock(void *domain)
{
	(void)domain;
	tps_rcu_read_lock_trace();
	return 0;
}

static void inline_unlock(void *domain, int idx)
{
	(void)domain;
	(void)idx;
	tps_rcu_read_unlock_trace();
}

static bool inline_ongoing(void *domain)
{
	(void)domain;
	return tps_rcu_read_lock_trace_held();
}

static const struct tps_flavor inline_readers = {
        .name = "trace-inline",
        .read_lock = inline_lock,
        .read_unlock = inline_unlock,
        .read_ongoing = inline_ongoing,
};

int main(void)
{
	const struct tps_flavor *flavor = tps_flavor_find("trace");
	struct torture_config cfg;

	if (flavor != &tps_flavor_trace) {
		fprintf(stderr,
		        "torture_trace: tps_flavor_find(\"trace\") is not &tps_flavor_trace\n");
		return TORTURE_EXIT_FAIL;
	}
	torture_config_init(&cfg, "torture_trace", flavor);
	cfg.inline_readers = &inline_readers;
	return torture_run(&cfg);
}
