/* SPDX-License-Identifier: MIT */
/*
 * A position-dependent executable (-fno-pic -no-pie) that fires, and
 * attaches a typed probe to, the tracepoint of a shared library it links
 * (tp_linked): it must link, and its probe must see the library's call
 * sites and its own (test tracepoint_nopic_executable_uses_library_tracepoint).
 */
#include <stdio.h>

#include "tp_linked.h"

static int sum;

static void probe(void *data, int value)
{
	(void)data;
	sum += value;
}

int main(void)
{
	if (tps_register_trace_linked_ev(probe, NULL) != 0)
		return 1;
	tp_linked_fire(1);
	tps_trace_linked_ev(2);
	tps_unregister_trace_linked_ev(probe, NULL);
	tps_tracepoint_synchronize_unregister();
	printf("probe saw %d (expected 3)\n", sum);
	return sum == 3 ? 0 : 1;
}
