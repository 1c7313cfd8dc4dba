/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/tp_req_b.c - a shared object whose myapp:req_end clashes with
 * tp_req_a.c's: same full name, another signature (const char *path).
 */
#define TPS_TRACEPOINT_PROVIDER myapp
#include <tpsync/tracepoint.h>

TPS_TRACEPOINT_DECLARE(req_end, TPS_PROTO(const char *path), TPS_ARGS(path));
TPS_TRACEPOINT_DEFINE(req_end);

void req_b_fire(const char *path);

void req_b_fire(const char *path)
{
	tps_trace_req_end(path);
}
