/* SPDX-License-Identifier: MIT */
/*
 * tests/torture/torture.h - the torture harness, written once over the ops
 * table struct tps_flavor, modeled on the kernel's rcutorture.
 *
 * Readers loop over an RCU-protected pointer to a heap object; updaters
 * replace the object, wait for a grace period through one of the flavour's
 * entry points (rotating through all of them), then mark the object
 * "pipe count 2", poison it and keep it in a quarantine before freeing it.
 * A reader that sees pipe count 2 or more, or poison, saw an object that
 * survived a full grace period: the grace period was too short and the run
 * fails.
 *
 * Each flavour gets a small main() (torture_rcu.c, ...) that fills a
 * struct torture_config and calls torture_run().
 */
#ifndef TPSYNC_TESTS_TORTURE_H
#define TPSYNC_TESTS_TORTURE_H

#include <stdbool.h>
#include <stdint.h>

#include <tpsync/flavor.h>

/* Exit statuses of a torture executable (tests/torture/mutation.sh relies on them). */
#define TORTURE_EXIT_PASS 0
/* The run saw a broken rule: a too-short grace period, a lost callback... */
#define TORTURE_EXIT_FAIL 1
/* The harness could not run (bad configuration, resources): no verdict. */
#define TORTURE_EXIT_SETUP 2

/* Most domains one run may exercise at once. */
#define TORTURE_MAX_DOMAINS 8

struct torture_config {
	/* Name printed in messages ("torture_rcu"). */
	const char *name;
	/*
	 * The flavour under test; every op must be set except read_ongoing,
	 * which, when set, must tell whether the calling thread is inside a
	 * reader of that domain (checked inside and right after each reader).
	 */
	const struct tps_flavor *flavor;
	/*
	 * Optional second set of read-side ops (read_lock, read_unlock,
	 * read_ongoing) used by half of the readers, e.g. the flavour's inline
	 * read side compiled into the test, as a user's program calls it. Only
	 * the read-side members are used; NULL to use flavor's for everyone.
	 */
	const struct tps_flavor *inline_readers;
	/*
	 * Domains: with TPS_FLAVOR_HAS_DOMAINS, ndomains (1..TORTURE_MAX_DOMAINS)
	 * initialized domains run at once, each with its own protected pointer
	 * and updaters; readers pick one at random and nest across domains.
	 * Without it, leave ndomains 0: one domain, passed as NULL.
	 */
	void *domains[TORTURE_MAX_DOMAINS];
	unsigned int ndomains;
	/* Long-lived reader threads (the signal handler interrupts these). */
	unsigned int nreaders;
	/* Updater threads per domain (several: concurrent grace periods share). */
	unsigned int nupdaters;
	/* Readers sleep and make syscalls inside critical sections. */
	bool readers_block;
	/* A thread interrupts readers with SIGUSR1; the handler reads too. */
	bool signal_readers;
	/* A thread keeps creating short-lived reader threads. */
	bool churn;
	/* Run length when TPSYNC_TORTURE_SECONDS is not set. */
	unsigned int default_seconds;
	/*
	 * Optional hooks for flavours whose threads announce themselves and
	 * their quiescent states (QSBR). thread_start() runs first in every
	 * reader thread (long-lived and churn) and in every other updater,
	 * thread_end() last. between() runs after each critical section of
	 * such a thread (and after each update of such an updater) with a
	 * random number: a quiescent state, or offline around a sleep or a
	 * syscall. A signal handler reads only when handler_may_read() (if
	 * set) says the thread it interrupted may.
	 */
	void (*thread_start)(void);
	void (*thread_end)(void);
	void (*between)(uint64_t rnd);
	bool (*handler_may_read)(void);
};

/*
 * torture_config_init() - defaults for flavor: 4 readers, 2 updaters per
 * domain, blocking readers when the flavour allows them, signal-handler
 * readers and churn on, 8 seconds.
 */
void torture_config_init(struct torture_config *cfg, const char *name,
                         const struct tps_flavor *flavor);

/*
 * torture_run() - run the torture test, print a summary on stdout (errors
 * on stderr as they happen) and return TORTURE_EXIT_PASS, TORTURE_EXIT_FAIL
 * or TORTURE_EXIT_SETUP. Call it once per process, from main(), before any
 * other thread exists.
 */
int torture_run(const struct torture_config *cfg);

#endif /* TPSYNC_TESTS_TORTURE_H */
