/* SPDX-License-Identifier: MIT */
/*
 * tpsync compat: liburcu's <urcu-qsbr.h>, mapped onto tpsync's QSBR flavour
 * (see urcu/tps-map.h).
 */
#ifndef TPSYNC_COMPAT_URCU_QSBR_H
#define TPSYNC_COMPAT_URCU_QSBR_H
#if defined(TPSYNC_COMPAT_URCU_TPS_MAP_H) && !defined(TPS__URCU_QSBR)
#error "include <urcu-qsbr.h> before any other urcu header: the memb mapping is already in place"
#endif
#define TPS__URCU_QSBR 1
#include <urcu/tps-map.h>
#endif
