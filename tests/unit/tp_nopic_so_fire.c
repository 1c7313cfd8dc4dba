/* SPDX-License-Identifier: MIT */
/* tests/unit/tp_nopic_so_fire.c - the call site of tp_nopic_so_def.c's object. */
#include "tp_nopic_so.h"

void nopic_so_fire(int value)
{
	tps_trace_nopic_so_ev(value);
}
