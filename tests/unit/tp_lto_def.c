/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/tp_lto_def.c - defines lto:ev in the shared object tp_lto,
 * which is built with link-time optimization split in several partitions
 * (gcc's -flto-partition=1to1, as its default partitioning does for a large
 * object): the definition's instance and its top-level assembler may be
 * compiled in different partitions.
 */
#include "tp_lto.h"

TPS_TRACEPOINT_DEFINE(ev);

/* The object's own instance, as its section of tracepoints gives it. */
struct tps_tracepoint *tp_lto_own(void)
{
	return &tps__tpl_ev;
}

void tp_lto_fire_def(int v)
{
	tps_trace_ev(v);
}
