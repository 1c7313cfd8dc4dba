/* SPDX-License-Identifier: MIT */
/*
 * A program that uses a tracepoint no object defines: it must fail to link
 * (test tracepoint_undefined_fails_to_link), not fault at its first call.
 */
#include <tpsync/tracepoint.h>

TPS_TRACEPOINT_DECLARE(tp_defined_nowhere, TPS_PROTO(int x), TPS_ARGS(x));

int main(void)
{
	tps_trace_tp_defined_nowhere(1);
	return 0;
}
