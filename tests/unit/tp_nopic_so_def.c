/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/tp_nopic_so_def.c - with tp_nopic_so_fire.c, a shared object
 * built from position-dependent code (-fno-pic, which i386 links with text
 * relocations) that defines nopic_so_ev here and fires it from the other
 * file (test tracepoint_nopic_shared_objects_keep_own_instances).
 */
#include "tp_nopic_so.h"

TPS_TRACEPOINT_DEFINE(nopic_so_ev);
