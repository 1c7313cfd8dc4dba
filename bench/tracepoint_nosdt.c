/* SPDX-License-Identifier: MIT */
/*
 * tracepoint_nosdt.c - the call sites of the `disabled-nosdt` and
 * `normal-1-nosdt` rows of `tpsync-bench tracepoint`: the same tracepoints
 * as tracepoint.c's `disabled` and `normal-1`, compiled without their SDT
 * probes (as a build with TPSYNC_SDT=OFF makes them), so that one run
 * measures what the SDT probe adds to a call site.
 */
#define TPS_TRACEPOINT_SDT 0
#include <tpsync/tracepoint.h>

#include "bench.h"
#include "readside.h"

TPS_TRACEPOINT_DECLARE(tpsbench_nosdt_disabled, TPS_PROTO(unsigned long v), TPS_ARGS(v));
TPS_TRACEPOINT_DECLARE(tpsbench_nosdt_normal_1, TPS_PROTO(unsigned long v), TPS_ARGS(v));
TPS_TRACEPOINT_DEFINE(tpsbench_nosdt_disabled);
TPS_TRACEPOINT_DEFINE(tpsbench_nosdt_normal_1);

READSIDE_NOINLINE void bench_tp_nosdt_disabled_loop(unsigned long iterations)
{
	READSIDE_LOOP(iterations, tps_trace_tpsbench_nosdt_disabled(0), (void)0);
}

READSIDE_NOINLINE void bench_tp_nosdt_normal_1_loop(unsigned long iterations)
{
	READSIDE_LOOP(iterations, tps_trace_tpsbench_nosdt_normal_1(0), (void)0);
}

static void empty_probe(void *data, unsigned long v)
{
	(void)data;
	(void)v;
	READSIDE_BARRIER();
}

int bench_tp_nosdt_attach(void *data)
{
	return tps_register_trace_tpsbench_nosdt_normal_1(empty_probe, data);
}

void bench_tp_nosdt_detach(void *data)
{
	tps_unregister_trace_tpsbench_nosdt_normal_1(empty_probe, data);
}
