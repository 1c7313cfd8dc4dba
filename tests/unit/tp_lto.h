/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/tp_lto.h - lto:ev (int v), defined by tp_lto_def.c in a shared
 * object that tp_lto_use.c, a file of its own, fires too; the executable
 * tp_lto_main.c defines it as well, in the global scope.
 */
#define TPS_TRACEPOINT_PROVIDER lto
#include <tpsync/tracepoint.h>

TPS_TRACEPOINT_DECLARE(ev, TPS_PROTO(int v), TPS_ARGS(v));

struct tps_tracepoint *tp_lto_own(void);
void tp_lto_fire_def(int v);
void tp_lto_fire_use(int v);
