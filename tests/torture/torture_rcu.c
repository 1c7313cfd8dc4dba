/* SPDX-License-Identifier: MIT */
/*
 * tests/torture/torture_rcu.c - torture test of the classic flavour.
 *
 * Updaters go through the library's ops table (tps_flavor_rcu). Half of the
 * readers use it too; the other half call the inline read side compiled into
 * this executable, as a user's program does.
 *
 * Environment: TPSYNC_TORTURE_SECONDS=N (default 8), TPSYNC_FORCE_FALLBACK=1.
 */
#include <stdio.h>

#include <tpsync/flavor.h>
#include <tpsync/rcu.h>

#include "torture.h"

static int inline_lock(void *domain)
{
	(void)domain;
	tps_rcu_read_lock();
	return 0;
}

static void inline_unlock(void *domain, int idx)
{
	(void)domain;
	(void)idx;
	tps_rcu_read_unlock();
}

static bool inline_ongoing(void *domain)
{
	(void)domain;
	return tps_rcu_read_ongoing();
}

static const struct tps_flavor inline_readers = {
        .name = "rcu-inline",
        .read_lock = inline_lock,
        .read_unlock = inline_unlock,
        .read_ongoing = inline_ongoing,
};

int main(void)
{
	const struct tps_flavor *flavor = tps_flavor_find("rcu");
	struct torture_config cfg;

	if (flavor != &tps_flavor_rcu) {
		fprintf(stderr, "torture_rcu: tps_flavor_find(\"rcu\") is not &tps_flavor_rcu\n");
		return TORTURE_EXIT_FAIL;
	}
	torture_config_init(&cfg, "torture_rcu", flavor);
	cfg.inline_readers = &inline_readers;
	return torture_run(&cfg);
}
