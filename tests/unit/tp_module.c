/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/tp_module.c - a shared library with tracepoints of its own,
 * loaded with dlopen by test_tracepoint.c.
 */
#include <tpsync/tracepoint.h>

TPS_TRACEPOINT_DECLARE(tp_module_event, TPS_PROTO(int value), TPS_ARGS(value));
TPS_TRACEPOINT_DECLARE_FAULTABLE(tp_module_faultable, TPS_PROTO(int value), TPS_ARGS(value));
TPS_TRACEPOINT_DEFINE(tp_module_event);
TPS_TRACEPOINT_DEFINE(tp_module_faultable);

void tp_module_fire(int value);

void tp_module_fire(int value)
{
	tps_trace_tp_module_event(value);
	tps_trace_tp_module_faultable(value);
}
