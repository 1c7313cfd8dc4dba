/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/tp_req_a.c - a shared object with the tracepoint
 * myapp:req_end (int id, long us), a normal one, and myapp:req_load, a
 * faultable one; loaded with dlopen by test_tracepoint_name.c and
 * torture_tracepoint_dlopen.c.
 */
#define TPS_TRACEPOINT_PROVIDER myapp
#include <tpsync/tracepoint.h>

TPS_TRACEPOINT_DECLARE(req_end, TPS_PROTO(int id, long us), TPS_ARGS(id, us));
TPS_TRACEPOINT_DECLARE_FAULTABLE(req_load, TPS_PROTO(int id), TPS_ARGS(id));
TPS_TRACEPOINT_DEFINE(req_end);
TPS_TRACEPOINT_DEFINE(req_load);

void req_a_fire(int id);

/* Fires req_end(id, 2 * id) and req_load(id). */
void req_a_fire(int id)
{
	tps_trace_req_end(id, 2L * id);
	tps_trace_req_load(id);
}
