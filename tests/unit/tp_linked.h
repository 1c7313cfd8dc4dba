/* SPDX-License-Identifier: MIT */
/* tests/unit/tp_linked.h - the tracepoint of tp_linked.c and its helpers. */
#ifndef TP_LINKED_H
#define TP_LINKED_H

#include <tpsync/tracepoint.h>

TPS_TRACEPOINT_DECLARE(linked_ev, TPS_PROTO(int value), TPS_ARGS(value));

void tp_linked_fire(int value);
/* The address of the SDT semaphore in the library's note; NULL without SDT. */
const void *tp_linked_semaphore(void);

#endif
