/* SPDX-License-Identifier: MIT */
/*
 * readside_impls.c - the table of read-side implementations, in the order
 * the output lists them. A liburcu row exists only when pkg-config found
 * that flavour at configure time; srcu-floor only where <tpsync/srcu.h> has
 * rseq code.
 */
#include <tpsync/srcu.h>

#include "readside.h"

const struct readside_impl *const readside_impls[] = {
        &readside_empty,
        &readside_tps_rcu,
        &readside_tps_rcu_shared,
        &readside_tps_srcu,
        &readside_tps_srcu_static,
        &readside_tps_srcu_fast,
        &readside_srcu_fast_atomic,
#if TPS__HAVE_RSEQ
        &readside_srcu_floor,
#endif
        &readside_tps_trace,
        &readside_tps_qsbr,
        &readside_tps_qsbr_dance,
#if TPSBENCH_HAVE_URCU_MEMB
        &readside_urcu_memb,
#endif
#if TPSBENCH_HAVE_URCU_MB
        &readside_urcu_mb,
#endif
#if TPSBENCH_HAVE_URCU_QSBR
        &readside_urcu_qsbr,
#endif
#if TPSBENCH_HAVE_URCU_BP
        &readside_urcu_bp,
#endif
#if TPSBENCH_HAVE_URCU_SIGNAL
        &readside_urcu_signal,
#endif
        &readside_rwlock,
        &readside_mutex,
        &readside_refcount,
};

#define NIMPLS (sizeof(readside_impls) / sizeof(readside_impls[0]))

const size_t readside_nimpls = NIMPLS;

/* What each row's init returned, once it ran (main thread only). */
static int init_result[NIMPLS];
static bool init_done[NIMPLS];

int readside_init(const struct readside_impl *impl)
{
	for (size_t i = 0; i < NIMPLS; i++) {
		if (readside_impls[i] != impl)
			continue;
		if (!init_done[i]) {
			init_result[i] = impl->init ? impl->init() : 0;
			init_done[i] = true;
		}
		return init_result[i];
	}
	return impl->init ? impl->init() : 0;
}
