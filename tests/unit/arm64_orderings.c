/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/arm64_orderings.c - compiled, not run: check_arm64_orderings.sh
 * builds it for AArch64 without LSE (ARMv8.0) and reads the assembly, to see
 * that the orderings that a locked instruction gives for free on x86 are
 * there on a weaker CPU: (U) a load-acquire (ldar) of the waiters word after
 * the unlock's increment, (XP) a dmb after the exchange of
 * tps_rcu_xchg_pointer(), and tps_smp_mb() a real fence.
 */
#include <tpsync/rcu.h>
#include <tpsync/srcu.h>

void unlock_classic(struct tps_srcu *s, int idx);
void unlock_fast(struct tps_srcu *s, int idx);
int *xchg_then_load(int **pp, int *v, _Atomic int *flag, int *seen);
void full_fence(void);

void unlock_classic(struct tps_srcu *s, int idx)
{
	tps_srcu_read_unlock(s, idx);
}

void unlock_fast(struct tps_srcu *s, int idx)
{
	tps_srcu_read_unlock_fast(s, idx);
}

int *xchg_then_load(int **pp, int *v, _Atomic int *flag, int *seen)
{
	int *old = tps_rcu_xchg_pointer(pp, v);

	*seen = atomic_load_explicit(flag, memory_order_relaxed);
	return old;
}

void full_fence(void)
{
	tps_smp_mb();
}
