/* SPDX-License-Identifier: MIT */
/*
 * tests/torture/torture_srcu.c - torture test of SRCU domains (and, built as
 * torture_srcu_fast.c, of srcu-fast).
 *
 * Several domains at once, each with its own protected pointer and
 * updaters: a static one (TPS_DEFINE_STATIC_SRCU, never initialized, first
 * used by whichever thread or signal handler gets there first), a dynamic
 * one in the process's mode (rseq increments where available), and dynamic
 * ones that force a fallback for themselves (atomic increments; for fast
 * readers also self-fencing readers). Readers nest across domains, sleep and
 * make syscalls inside critical sections, run in signal handlers and in
 * short-lived threads. Updaters go through the library's ops table; half of
 * the readers call the inline read side compiled into this executable.
 *
 * Environment: TPSYNC_TORTURE_SECONDS=N (default 8), TPSYNC_FORCE_FALLBACK=1.
 */
#include <stdio.h>

#include <tpsync/flavor.h>
#include <tpsync/srcu.h>

#include "torture.h"

#ifdef TORTURE_SRCU_FAST
#define NAME "torture_srcu_fast"
#define FLAVOUR "srcu-fast"
#define DOMAIN_FLAGS TPS_SRCU_FAST
TPS_DEFINE_STATIC_SRCU_FAST(static_domain);
#else
#define NAME "torture_srcu"
#define FLAVOUR "srcu"
#define DOMAIN_FLAGS 0u
TPS_DEFINE_STATIC_SRCU(static_domain);
#endif

/* The dynamic domains: the process's mode, then forced fallbacks. */
static const unsigned int dynamic_flags[] = {
        DOMAIN_FLAGS,
        DOMAIN_FLAGS | TPS_SRCU_ATOMIC,
#ifdef TORTURE_SRCU_FAST
        DOMAIN_FLAGS | TPS_SRCU_FENCE,
#endif
};
#define NDYNAMIC (sizeof(dynamic_flags) / sizeof(dynamic_flags[0]))

static struct tps_srcu dynamic[NDYNAMIC];

static int inline_lock(void *domain)
{
#ifdef TORTURE_SRCU_FAST
	return tps_srcu_read_lock_fast(domain);
#else
	return tps_srcu_read_lock(domain);
#endif
}

static void inline_unlock(void *domain, int idx)
{
#ifdef TORTURE_SRCU_FAST
	tps_srcu_read_unlock_fast(domain, idx);
#else
	tps_srcu_read_unlock(domain, idx);
#endif
}

#if TPSYNC_DEBUG
static bool inline_ongoing(void *domain)
{
	return tps_srcu_read_lock_held(domain);
}
#define INLINE_ONGOING inline_ongoing
#else
#define INLINE_ONGOING NULL
#endif

static const struct tps_flavor inline_readers = {
        .name = FLAVOUR "-inline",
        .read_lock = inline_lock,
        .read_unlock = inline_unlock,
        .read_ongoing = INLINE_ONGOING,
};

int main(void)
{
	const struct tps_flavor *flavor = tps_flavor_find(FLAVOUR);
	struct torture_config cfg;
	unsigned int i;
	int rc, err;

	if (!flavor || !(flavor->flags & TPS_FLAVOR_HAS_DOMAINS) ||
	    !(flavor->flags & TPS_FLAVOR_READERS_MAY_BLOCK)) {
		fprintf(stderr, NAME ": no flavour \"" FLAVOUR "\" with domains and blocking "
		                     "readers\n");
		return TORTURE_EXIT_FAIL;
	}
	torture_config_init(&cfg, NAME, flavor);
	cfg.inline_readers = &inline_readers;
	cfg.domains[cfg.ndomains++] = &static_domain;
	for (i = 0; i < NDYNAMIC; i++) {
		err = tps_srcu_init_flags(&dynamic[i], dynamic_flags[i]);
		if (err) {
			fprintf(stderr, NAME ": tps_srcu_init_flags: %d\n", err);
			return TORTURE_EXIT_SETUP;
		}
		cfg.domains[cfg.ndomains++] = &dynamic[i];
	}
	rc = torture_run(&cfg);

	/* Every reader has left and every callback has run: cleanup succeeds. */
	for (i = 0; i < cfg.ndomains; i++) {
		err = tps_srcu_cleanup(cfg.domains[i]);
		if (err) {
			fprintf(stderr, NAME ": ERROR: tps_srcu_cleanup of domain %u: %d\n", i,
			        err);
			rc = TORTURE_EXIT_FAIL;
		}
	}
	return rc;
}
