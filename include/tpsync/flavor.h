/* SPDX-License-Identifier: MIT */
/*
 * tpsync/flavor.h - one ops table over every flavour, for generic code: the
 * torture harness, the benchmarks, tools that let a user pick a flavour by
 * name. Fast paths never go through it: an indirect call per lock costs more
 * than the lock.
 *
 * Flavours without domains (classic, tasks-trace) ignore the domain
 * argument; SRCU flavours take a struct tps_srcu *.
 */
#ifndef TPSYNC_FLAVOR_H
#define TPSYNC_FLAVOR_H

#include <tpsync/core.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Readers of the flavour may sleep, block on I/O and take page faults. */
#define TPS_FLAVOR_READERS_MAY_BLOCK 0x1u
/* The flavour works on domains: pass a struct tps_srcu * as domain. */
#define TPS_FLAVOR_HAS_DOMAINS 0x2u
/* Readers need a registered thread (registration is automatic). */
#define TPS_FLAVOR_REGISTERED_READERS 0x4u
/*
 * QSBR: readers run only in threads that registered with the flavour's own
 * call and announce quiescent states (tpsync/rcu_qsbr.h); the ops table
 * alone does not make a thread a reader.
 */
#define TPS_FLAVOR_QUIESCENT_STATES 0x8u

struct tps_flavor {
	const char *name;
	unsigned int flags;
	/* read_lock returns the index read_unlock needs (0 where unused). */
	int (*read_lock)(void *domain);
	void (*read_unlock)(void *domain, int idx);
	bool (*read_ongoing)(void *domain);
	void (*synchronize)(void *domain);
	int (*call)(void *domain, struct tps_rcu_head *head, tps_rcu_callback_t func);
	void (*barrier)(void *domain);
	unsigned long (*get_state)(void *domain);
	bool (*poll_state)(void *domain, unsigned long cookie);
	void (*cond_synchronize)(void *domain, unsigned long cookie);
};

TPS_EXPORT extern const struct tps_flavor tps_flavor_rcu;
TPS_EXPORT extern const struct tps_flavor tps_flavor_trace;
/*
 * QSBR ("qsbr"): read_lock and read_unlock only check the rules (debug
 * builds); read_ongoing is set in debug builds only.
 */
TPS_EXPORT extern const struct tps_flavor tps_flavor_qsbr;
/*
 * SRCU (classic readers) and srcu-fast (fast readers): pass the struct
 * tps_srcu * of a domain initialized for that kind of reader. read_ongoing
 * is set in debug builds only (release builds keep no per-thread record).
 */
TPS_EXPORT extern const struct tps_flavor tps_flavor_srcu;
TPS_EXPORT extern const struct tps_flavor tps_flavor_srcu_fast;

/**
 * tps_flavor_find() - the ops table of the flavour called name ("rcu",
 * "srcu", "srcu-fast", "trace", "qsbr"), or NULL when there is none.
 */
TPS_EXPORT const struct tps_flavor *tps_flavor_find(const char *name);

#ifdef __cplusplus
}
#endif

#endif /* TPSYNC_FLAVOR_H */
