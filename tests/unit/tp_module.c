/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/tp_module.c - a shared library with tracepoints of its own,
 * loaded with dlopen by test_tracepoint.c. One of them is attached to by a
 * constructor of the library itself (of default priority, whose order
 * against the tracepoints' own constructor is otherwise unspecified).
 */
#include <tpsync/tracepoint.h>

TPS_TRACEPOINT_DECLARE(tp_module_event, TPS_PROTO(int value), TPS_ARGS(value));
TPS_TRACEPOINT_DECLARE_FAULTABLE(tp_module_faultable, TPS_PROTO(int value), TPS_ARGS(value));
TPS_TRACEPOINT_DECLARE(tp_module_self, TPS_PROTO(int value), TPS_ARGS(value));

void tp_module_fire(int value);
int tp_module_self_hits(void);

static int self_hits;

static void self_probe(void *data, int value)
{
	(void)data;
	self_hits += value;
}

__attribute__((constructor)) static void attach_self(void)
{
	if (tps_register_trace_tp_module_self(self_probe, NULL) != 0)
		self_hits = -1000;
}

__attribute__((destructor)) static void detach_self(void)
{
	tps_unregister_trace_tp_module_self(self_probe, NULL);
}

/* Defined after the constructor above, whose entry then comes first. */
TPS_TRACEPOINT_DEFINE(tp_module_event);
TPS_TRACEPOINT_DEFINE(tp_module_faultable);
TPS_TRACEPOINT_DEFINE(tp_module_self);

int tp_module_self_hits(void)
{
	return self_hits;
}

void tp_module_fire(int value)
{
	tps_trace_tp_module_event(value);
	tps_trace_tp_module_faultable(value);
	tps_trace_tp_module_self(value);
}
