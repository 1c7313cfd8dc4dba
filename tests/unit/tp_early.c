/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/tp_early.c - a library the executable links whose constructor
 * attaches a probe to its own tracepoint: the process's first probe
 * registration happens before main() and before exit()'s handlers of the
 * dynamic loader are registered.
 */
#include <tpsync/tracepoint.h>

TPS_TRACEPOINT_DECLARE(early_ev, TPS_PROTO(int a), TPS_ARGS(a));
TPS_TRACEPOINT_DEFINE(early_ev);

void tp_early_fire(int a);

static void early_probe(void *data, int a)
{
	(void)data;
	(void)a;
}

__attribute__((constructor)) static void attach_early(void)
{
	tps_register_trace_early_ev(early_probe, NULL);
}

void tp_early_fire(int a)
{
	tps_trace_early_ev(a);
}
