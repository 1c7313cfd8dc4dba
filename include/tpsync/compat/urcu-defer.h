/* SPDX-License-Identifier: MIT */
/* tpsync compat: liburcu's <urcu-defer.h>, mapped onto tpsync (see urcu/tps-map.h). */
#ifndef TPSYNC_COMPAT_URCU_DEFER_H
#define TPSYNC_COMPAT_URCU_DEFER_H
#include <urcu/tps-map.h>
#endif
