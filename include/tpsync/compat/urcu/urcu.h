/* SPDX-License-Identifier: MIT */
/* tpsync compat: liburcu's <urcu/urcu.h>, mapped onto tpsync (see urcu/tps-map.h). */
#ifndef TPSYNC_COMPAT_URCU_URCU_H
#define TPSYNC_COMPAT_URCU_URCU_H
#include <urcu/tps-map.h>
#endif
