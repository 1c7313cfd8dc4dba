/* SPDX-License-Identifier: MIT */
/* The layout table as C++ sees it (see layout.h). */
#include "layout.h"

const struct tps_layout_entry tps_layout_cxx[] = {
        TPS_LAYOUT(TPS_LAYOUT_S, TPS_LAYOUT_F){NULL, NULL, 0, 0, 0}};

TPS_LAYOUT_OPS(tps_layout_ops_cxx)
