/* SPDX-License-Identifier: MIT */
/*
 * tests/sdt/sdt_target.c - fires sdttest:req_end(id, us) for id = 1..5 with
 * us = id * 1000 + 7, and no in-process probe attached: the events that
 * sdt_uprobe.sh finds in the trace buffer come from the SDT probe alone,
 * run because the kernel incremented its semaphore. Prints how many call
 * sites saw the tracepoint enabled (the semaphore set).
 */
#include <stdio.h>

#define TPS_TRACEPOINT_PROVIDER sdttest
#include <tpsync/tracepoint.h>

TPS_TRACEPOINT_DECLARE(req_end, TPS_PROTO(int id, long us), TPS_ARGS(id, us));
TPS_TRACEPOINT_DEFINE(req_end);

int main(void)
{
	int enabled = 0;

	for (int id = 1; id <= 5; id++) {
		enabled += tps_trace_req_end_enabled();
		tps_trace_req_end(id, id * 1000L + 7);
	}
	printf("enabled at %d of 5 call sites\n", enabled);
	return 0;
}
