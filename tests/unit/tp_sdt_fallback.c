/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/tp_sdt_fallback.c - compiled with a <sys/sdt.h> that lacks the
 * macros tracepoint.h builds its SDT probes from: it must still compile
 * (without SDT probes).
 */
#include <tpsync/tracepoint.h>

TPS_TRACEPOINT_DECLARE(fallback_ev, TPS_PROTO(int id, long us), TPS_ARGS(id, us));
TPS_TRACEPOINT_DEFINE(fallback_ev);

void fallback_fire(int id);

void fallback_fire(int id)
{
	tps_trace_fallback_ev(id, 2L * id);
}
