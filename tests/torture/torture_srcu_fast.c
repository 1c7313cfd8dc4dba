/* SPDX-License-Identifier: MIT */
/*
 * tests/torture/torture_srcu_fast.c - torture test of srcu-fast: the program
 * of torture_srcu.c, with domains initialized for fast readers and read with
 * tps_srcu_read_lock_fast() / tps_srcu_read_unlock_fast().
 */
#define TORTURE_SRCU_FAST 1
#include "torture_srcu.c"
