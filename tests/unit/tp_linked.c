/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/tp_linked.c - a shared library with a tracepoint, linked by
 * test_tracepoint_edges (not loaded with dlopen), whose executable attaches
 * to it through the typed API: the executable refers to the library's
 * tracepoint as data.
 */
#include <tpsync/tracepoint.h>

#include "tp_linked.h"

TPS_TRACEPOINT_DEFINE(linked_ev);

void tp_linked_fire(int value)
{
	tps_trace_linked_ev(value);
}

#if TPS__SDT
/* The SDT semaphore as the ELF note gives it to perf and uprobe_events. */
extern char tps__sdt_sem_linked_ev __attribute__((visibility("hidden")));

const void *tp_linked_semaphore(void)
{
	return &tps__sdt_sem_linked_ev;
}
#else
const void *tp_linked_semaphore(void)
{
	return NULL;
}
#endif
