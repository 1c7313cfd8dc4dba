/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/tp_req_early.c - a shared object that defines myapp:req_end
 * (int id, long us), as tp_req_a does, and whose code runs before its
 * tracepoint constructor: its dependency tp_req_early_dep fires its call
 * site from that dependency's constructor, and a constructor of its own, of
 * the first priority open to programs (as the tracepoint's), attaches a
 * typed probe. Loaded by test_tracepoint_edges.c after tp_req_b, which
 * defines myapp:req_end (const char *path) in the global scope.
 */
#define TPS_TRACEPOINT_PROVIDER myapp
#include <tpsync/tracepoint.h>

TPS_TRACEPOINT_DECLARE(req_end, TPS_PROTO(int id, long us), TPS_ARGS(id, us));

void req_early_fire(int id);
int req_early_state(int *registered);
int req_early_dep_ran(void);

static int hits, early_register = 1;

static void early_probe(void *data, int id, long us)
{
	(void)data;
	(void)id;
	(void)us;
	hits++;
}

/* Placed before the definition: its constructor runs first (gcc, clang). */
__attribute__((constructor(101))) static void early_init(void)
{
	early_register = tps_register_trace_req_end(early_probe, NULL);
}

TPS_TRACEPOINT_DEFINE(req_end);

/* Fires req_end(id, 2 * id). */
void req_early_fire(int id)
{
	tps_trace_req_end(id, 2L * id);
}

/* The probe's hits; *registered: what early_init's registration returned. */
int req_early_state(int *registered)
{
	*registered = early_register;
	return req_early_dep_ran() ? hits : -1;
}
