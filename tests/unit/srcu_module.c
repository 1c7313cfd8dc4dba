/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/srcu_module.c - a shared object with inline fast SRCU readers,
 * loaded and unloaded by test_srcu_percpu: its rseq critical sections'
 * descriptors live in this object, so none may stay armed once it is gone.
 */
#include <tpsync/srcu.h>

int srcu_module_read(struct tps_srcu *s);

int srcu_module_read(struct tps_srcu *s)
{
	int idx = tps_srcu_read_lock_fast(s);

	tps_srcu_read_unlock_fast(s, idx);
	return idx;
}
