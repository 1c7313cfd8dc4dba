/* SPDX-License-Identifier: MIT */
/* tpsync compat: liburcu's <urcu-call-rcu.h>, mapped onto tpsync (see urcu/tps-map.h). */
#ifndef TPSYNC_COMPAT_URCU_CALL_RCU_H
#define TPSYNC_COMPAT_URCU_CALL_RCU_H
#include <urcu/tps-map.h>
#endif
