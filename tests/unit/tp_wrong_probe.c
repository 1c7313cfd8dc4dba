/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/tp_wrong_probe.c - compiled by check_compile_error.sh with the
 * compiler's default diagnostics (no -Werror): as is it must compile; with
 * -DWRONG_PROBE=N, a typed function of the tracepoint is passed a probe whose
 * prototype does not match, and it must not: N=1 register, N=2
 * register_prio_flags, N=3 unregister.
 */
#include <tpsync/tracepoint.h>

TPS_TRACEPOINT_DECLARE(typed_event, TPS_PROTO(int a, const char *b), TPS_ARGS(a, b));

static void probe(void *data, int a, const char *b)
{
	(void)data;
	(void)a;
	(void)b;
}

#ifdef WRONG_PROBE
static void wrong_probe(void *data, int a, int b) /* b has the wrong type */
{
	(void)data;
	(void)a;
	(void)b;
}
#endif

int use_it(void);

int use_it(void)
{
#if WRONG_PROBE == 1
	return tps_register_trace_typed_event(wrong_probe, NULL);
#elif WRONG_PROBE == 2
	return tps_register_trace_prio_flags_typed_event(wrong_probe, NULL, 5, 0);
#elif WRONG_PROBE == 3
	return tps_unregister_trace_typed_event(wrong_probe, NULL);
#else
	return tps_register_trace_typed_event(probe, NULL) +
	       tps_register_trace_prio_flags_typed_event(probe, NULL, 5, 0) +
	       tps_unregister_trace_typed_event(probe, NULL);
#endif
}
