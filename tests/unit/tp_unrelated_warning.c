/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/tp_unrelated_warning.c - compiled by check_warning_only.sh with
 * the compiler's default diagnostics: an incompatible-pointer assignment in
 * the user's own code, after tracepoint.h, stays what the compiler makes of
 * it without the header (a warning with gcc 12 and clang 14), and the
 * header's typed registration still compiles.
 */
#include <tpsync/tracepoint.h>

TPS_TRACEPOINT_DECLARE(diag_event, TPS_PROTO(int a), TPS_ARGS(a));

static void probe(void *data, int a)
{
	(void)data;
	(void)a;
}

long *use_it(int *p);

long *use_it(int *p)
{
	long *q = p; /* incompatible pointer types: the user's own diagnostic */

	(void)tps_register_trace_diag_event(probe, NULL);
	return q;
}
