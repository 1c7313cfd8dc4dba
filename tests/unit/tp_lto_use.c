/* SPDX-License-Identifier: MIT */
/* tests/unit/tp_lto_use.c - a call site of lto:ev in tp_lto, outside the definition's file. */
#include "tp_lto.h"

void tp_lto_fire_use(int v)
{
	tps_trace_ev(v);
}
