/* SPDX-License-Identifier: MIT */
/* tpsync compat: liburcu's <urcu/pointer.h>, mapped onto tpsync (see urcu/tps-map.h). */
#ifndef TPSYNC_COMPAT_URCU_POINTER_H
#define TPSYNC_COMPAT_URCU_POINTER_H
#include <urcu/tps-map.h>
#endif
