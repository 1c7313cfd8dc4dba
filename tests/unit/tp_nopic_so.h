/* SPDX-License-Identifier: MIT */
/* tests/unit/tp_nopic_so.h - the tracepoint of the tp_nopic_so_*.c object. */
#ifndef TP_NOPIC_SO_H
#define TP_NOPIC_SO_H

#include <tpsync/tracepoint.h>

TPS_TRACEPOINT_DECLARE(nopic_so_ev, TPS_PROTO(int value), TPS_ARGS(value));

/* Fires the tracepoint from the object's other file. */
void nopic_so_fire(int value);

#endif
