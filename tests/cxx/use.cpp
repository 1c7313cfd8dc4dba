/* SPDX-License-Identifier: MIT */
/*
 * Every macro and inline function of the public headers, expanded in a C++
 * file: headers.sh compiles and assembles it (SDT and rseq asm included) in
 * each configuration. Nothing runs: tests/consumer runs a C++ program.
 */
#include <tpsync/flavor.h>
#include <tpsync/rcu.h>
#include <tpsync/rcu_trace.h>
#include <tpsync/srcu.h>
#include <tpsync/tracepoint.h>

TPS_TRACEPOINT_DECLARE(use_none, TPS_PROTO(), TPS_ARGS());
TPS_TRACEPOINT_DECLARE(use_one, TPS_PROTO(int a), TPS_ARGS(a));
TPS_TRACEPOINT_DECLARE(use_three, TPS_PROTO(const char *s, long long n, double d),
                       TPS_ARGS(s, n, d));
TPS_TRACEPOINT_DECLARE_FAULTABLE(use_fault, TPS_PROTO(void *p, unsigned u), TPS_ARGS(p, u));
#define TPS_TRACEPOINT_PROVIDER use_provider
TPS_TRACEPOINT_DECLARE(use_named, TPS_PROTO(int a, int b), TPS_ARGS(a, b));
TPS_TRACEPOINT_DECLARE(use_named_none, TPS_PROTO(), TPS_ARGS());

TPS_TRACEPOINT_DEFINE(use_none);
TPS_TRACEPOINT_DEFINE(use_one);
TPS_TRACEPOINT_DEFINE(use_three);
TPS_TRACEPOINT_DEFINE(use_fault);
TPS_TRACEPOINT_DEFINE(use_named);
TPS_TRACEPOINT_DEFINE_FN(use_named_none, nullptr, nullptr);

namespace use_ns
{
TPS_TRACEPOINT_DECLARE(use_in_ns, TPS_PROTO(int a), TPS_ARGS(a));
TPS_TRACEPOINT_DEFINE(use_in_ns);
} // namespace use_ns

TPS_DEFINE_SRCU(use_srcu);
TPS_DEFINE_SRCU_FAST(use_srcu_fast);
TPS_DEFINE_STATIC_SRCU(use_srcu_static);
TPS_DEFINE_STATIC_SRCU_FAST(use_srcu_fast_static);

struct use_obj {
	int value;
	tps_rcu_head head;
};

use_obj *use_ptr;
TPS__ATOMIC(int) use_word;

void use_probe_none(void *data);
void use_probe_one(void *data, int a);
void use_probe_three(void *data, const char *s, long long n, double d);
void use_probe_fault(void *data, void *p, unsigned u);
void use_probe_named(void *data, int a, int b);
int use_all(void);

int use_all(void)
{
	int sum = 0;

	tps_rcu_read_lock();
	sum += tps_rcu_dereference(use_ptr)->value + tps_rcu_read_ongoing();
	tps_rcu_read_unlock();
	tps_rcu_read_lock_trace();
	sum += tps_rcu_dereference(use_ptr)->value + tps_rcu_read_lock_trace_held();
	tps_rcu_read_unlock_trace();

	tps_srcu *domains[] = {&use_srcu, &use_srcu_static};
	for (tps_srcu *s : domains) {
		int idx = tps_srcu_read_lock(s);
		sum += tps_srcu_dereference(use_ptr, s)->value;
		tps_srcu_read_unlock(s, idx);
	}
	tps_srcu *fast[] = {&use_srcu_fast, &use_srcu_fast_static};
	for (tps_srcu *s : fast) {
		int idx = tps_srcu_read_lock_fast(s);
		sum += tps_srcu_dereference(use_ptr, s)->value;
		tps_srcu_read_unlock_fast(s, idx);
	}

	use_obj *o = tps_rcu_dereference_protected(use_ptr);
	tps_rcu_assign_pointer(use_ptr, o);
	tps_rcu_assign_pointer(use_ptr, nullptr);
	o = tps_rcu_xchg_pointer(&use_ptr, o);
	sum += tps_container_of(&o->head, use_obj, head) == o;
	tps_might_sleep();
	tps_might_fault();
	TPS_WRITE_ONCE(use_word, sum);
	sum += TPS_READ_ONCE(use_word);
	tps_smp_mb();
	tps_barrier();
	tps_cpu_relax();
	sum += tps_likely(sum > 0) + tps_unlikely(sum < 0);

	tps_trace_use_none();
	tps_trace_use_one(1);
	tps_trace_use_three("three", 3, 3.0);
	tps_trace_use_fault(nullptr, 4u);
	tps_trace_use_named(5, 6);
	tps_trace_use_named_none();
	use_ns::tps_trace_use_in_ns(7);
	sum += tps_trace_use_one_enabled() + tps_trace_use_named_none_enabled();

	sum += tps_register_trace_use_none(use_probe_none, nullptr);
	sum += tps_register_trace_prio_flags_use_one(use_probe_one, &sum, 3, 0);
	sum += tps_register_trace_use_three(use_probe_three, nullptr);
	sum += tps_register_trace_use_fault(use_probe_fault, nullptr);
	sum += tps_register_trace_use_named(use_probe_named, nullptr);
	sum += tps_unregister_trace_use_none(use_probe_none, nullptr);
	sum += tps_unregister_trace_use_one(use_probe_one, &sum);
	sum += tps_unregister_trace_use_three(use_probe_three, nullptr);
	sum += tps_unregister_trace_use_fault(use_probe_fault, nullptr);
	sum += tps_unregister_trace_use_named(use_probe_named, nullptr);
	sum += tps_flavor_find("rcu") == &tps_flavor_rcu;
	return sum;
}
