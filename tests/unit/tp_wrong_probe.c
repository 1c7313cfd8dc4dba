/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/tp_wrong_probe.c - compiled twice by check_compile_error.sh:
 * as is it must compile; with -DWRONG_PROBE the typed registration of a probe
 * whose prototype does not match the tracepoint's must not.
 */
#include <tpsync/tracepoint.h>

TPS_TRACEPOINT_DECLARE(typed_event, TPS_PROTO(int a, const char *b), TPS_ARGS(a, b));

#ifdef WRONG_PROBE
static void probe(void *data, int a, int b) /* b has the wrong type */
#else
static void probe(void *data, int a, const char *b)
#endif
{
	(void)data;
	(void)a;
	(void)b;
}

int register_it(void);

int register_it(void)
{
	return tps_register_trace_typed_event(probe, NULL);
}
