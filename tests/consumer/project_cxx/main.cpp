/* SPDX-License-Identifier: MIT */
/*
 * C++ consumer check: every flavour (classic, SRCU, srcu-fast, tasks-trace)
 * through its read side, synchronize, call_*, barrier and polled cookies;
 * pointer publication; the flavour table; tracepoints declared and defined
 * in this file, with typed probes (a function, a function template and a
 * captureless lambda); a tracer's use of names, signatures, attach by name
 * and the notifier.
 */
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include <tpsync/flavor.h>
#include <tpsync/rcu.h>
#include <tpsync/rcu_trace.h>
#include <tpsync/srcu.h>
#include <tpsync/tracepoint.h>

TPS_TRACEPOINT_DECLARE(cxx_request, TPS_PROTO(int id, long us), TPS_ARGS(id, us));
TPS_TRACEPOINT_DECLARE_FAULTABLE(cxx_open, TPS_PROTO(const char *path), TPS_ARGS(path));
TPS_TRACEPOINT_DECLARE(cxx_tick, TPS_PROTO(), TPS_ARGS());
#define TPS_TRACEPOINT_PROVIDER cxxapp
TPS_TRACEPOINT_DECLARE(cxx_named, TPS_PROTO(int id, long us), TPS_ARGS(id, us));
TPS_TRACEPOINT_DEFINE(cxx_request);
TPS_TRACEPOINT_DEFINE(cxx_open);
TPS_TRACEPOINT_DEFINE(cxx_tick);
TPS_TRACEPOINT_DEFINE(cxx_named);

/* Tracepoints may live in a namespace. */
namespace cxxns
{
TPS_TRACEPOINT_DECLARE(cxx_in_ns, TPS_PROTO(int id, long us), TPS_ARGS(id, us));
TPS_TRACEPOINT_DEFINE(cxx_in_ns);
} // namespace cxxns

TPS_DEFINE_SRCU(cxx_srcu_static);
TPS_DEFINE_STATIC_SRCU_FAST(cxx_srcu_fast_static);

namespace
{

int failures;

void check(bool ok, const char *what)
{
	if (!ok) {
		std::fprintf(stderr, "consumer_cxx: FAILED: %s\n", what);
		failures++;
	}
}

struct config {
	int value;
	tps_rcu_head rcu;
};

config *current;
int freed;

config *make_config(int value)
{
	config *c = new config;

	c->value = value;
	c->rcu.next = nullptr;
	c->rcu.func = nullptr;
	return c;
}

void free_config(tps_rcu_head *head)
{
	delete tps_container_of(head, config, rcu);
	freed++;
}

/* Replace current and reclaim the old object with call, then barrier. */
void replace_with_callback(int value, int (*call)(tps_rcu_head *, tps_rcu_callback_t),
                           void (*barrier)(void))
{
	config *old = tps_rcu_xchg_pointer(&current, make_config(value));
	int before = freed;

	check(call(&old->rcu, free_config) == 0, "call_*");
	barrier();
	check(freed == before + 1, "callback ran before barrier returned");
}

void classic(void)
{
	tps_rcu_assign_pointer(current, make_config(1));
	tps_rcu_read_lock();
	tps_rcu_read_lock();
	check(tps_rcu_read_ongoing(), "tps_rcu_read_ongoing");
	check(tps_rcu_dereference(current)->value == 1, "tps_rcu_dereference");
	tps_rcu_read_unlock();
	tps_rcu_read_unlock();
	check(!tps_rcu_read_ongoing(), "classic reader left");

	/* A reader thread while the updater waits for grace periods. */
	std::thread reader([] {
		for (int i = 0; i < 1000; i++) {
			tps_rcu_read_lock();
			check(tps_rcu_dereference(current)->value > 0, "reader sees an object");
			tps_rcu_read_unlock();
		}
	});
	for (int i = 2; i < 6; i++) {
		config *old = tps_rcu_xchg_pointer(&current, make_config(i));
		tps_synchronize_rcu();
		delete old;
	}
	reader.join();

	replace_with_callback(10, tps_call_rcu, tps_rcu_barrier);

	unsigned long cookie = tps_get_state_synchronize_rcu();
	tps_cond_synchronize_rcu(cookie);
	check(tps_poll_state_synchronize_rcu(cookie), "classic cookie after cond_synchronize");
}

void srcu_domain(tps_srcu *s)
{
	int before = freed;
	int idx = tps_srcu_read_lock(s);

	check(tps_srcu_dereference(current, s)->value > 0, "tps_srcu_dereference");
	tps_srcu_read_unlock(s, idx);
	check(tps_synchronize_srcu(s) == 0, "tps_synchronize_srcu");

	config *old = tps_rcu_xchg_pointer(&current, make_config(20));
	check(tps_call_srcu(s, &old->rcu, free_config) == 0, "tps_call_srcu");
	check(tps_srcu_barrier(s) == 0, "tps_srcu_barrier");
	check(freed == before + 1, "SRCU callback ran");

	unsigned long cookie = tps_get_state_synchronize_srcu(s);
	check(tps_cond_synchronize_srcu(s, cookie) == 0, "tps_cond_synchronize_srcu");
	check(tps_poll_state_synchronize_srcu(s, cookie), "SRCU cookie after cond_synchronize");
	cookie = tps_start_poll_synchronize_srcu(s);
	check(tps_synchronize_srcu(s) == 0, "second tps_synchronize_srcu");
	check(tps_poll_state_synchronize_srcu(s, cookie), "SRCU start_poll cookie");
}

void srcu_fast_domain(tps_srcu *s)
{
	int idx = tps_srcu_read_lock_fast(s);

	check(tps_srcu_dereference(current, s)->value > 0, "fast tps_srcu_dereference");
	tps_srcu_read_unlock_fast(s, idx);
	check(tps_synchronize_srcu(s) == 0, "fast tps_synchronize_srcu");
	unsigned long cookie = tps_get_state_synchronize_srcu(s);
	check(tps_cond_synchronize_srcu(s, cookie) == 0, "fast tps_cond_synchronize_srcu");
	check(tps_poll_state_synchronize_srcu(s, cookie), "fast cookie");
}

/* Cleanup is -EBUSY while polled grace periods are still pending: wait for them. */
void cleanup(tps_srcu *s)
{
	int err;

	while ((err = tps_srcu_cleanup(s)) == -EBUSY)
		check(tps_srcu_barrier(s) == 0, "tps_srcu_barrier before cleanup");
	check(err == 0, "tps_srcu_cleanup");
}

void srcu(void)
{
	tps_srcu dynamic{};
	tps_srcu dynamic_fast{};

	srcu_domain(&cxx_srcu_static);
	check(tps_srcu_init(&dynamic) == 0, "tps_srcu_init");
	srcu_domain(&dynamic);
	cleanup(&dynamic);

	srcu_fast_domain(&cxx_srcu_fast_static);
	check(tps_srcu_init_fast(&dynamic_fast) == 0, "tps_srcu_init_fast");
	srcu_fast_domain(&dynamic_fast);
	cleanup(&dynamic_fast);
}

void tasks_trace(void)
{
	tps_rcu_read_lock_trace();
	check(tps_rcu_read_lock_trace_held(), "tps_rcu_read_lock_trace_held");
	check(tps_rcu_dereference(current)->value > 0, "dereference in a trace reader");
	tps_rcu_read_unlock_trace();
	check(!tps_rcu_read_lock_trace_held(), "trace reader left");
	tps_synchronize_rcu_tasks_trace();

	replace_with_callback(30, tps_call_rcu_tasks_trace, tps_rcu_barrier_tasks_trace);

	unsigned long cookie = tps_get_state_synchronize_rcu_tasks_trace();
	tps_cond_synchronize_rcu_tasks_trace(cookie);
	check(tps_poll_state_synchronize_rcu_tasks_trace(cookie), "trace cookie");
}

void flavors(void)
{
	static const char *const names[] = {"rcu", "srcu", "srcu-fast", "trace"};
	tps_srcu s{};
	tps_srcu sf{};

	check(tps_srcu_init(&s) == 0 && tps_srcu_init_fast(&sf) == 0, "flavour domains");
	for (const char *name : names) {
		const tps_flavor *f = tps_flavor_find(name);
		void *domain = nullptr;

		check(f != nullptr, name);
		if (!f)
			continue;
		if (f->flags & TPS_FLAVOR_HAS_DOMAINS)
			domain = f == &tps_flavor_srcu_fast ? &sf : &s;
		int idx = f->read_lock(domain);
		f->read_unlock(domain, idx);
		f->synchronize(domain);
		unsigned long cookie = f->get_state(domain);
		f->cond_synchronize(domain, cookie);
		check(f->poll_state(domain, cookie), "flavour table cookie");
	}
	check(tps_flavor_find("no-such-flavour") == nullptr, "unknown flavour");
	cleanup(&s);
	cleanup(&sf);
}

struct hits {
	int count;
	long sum;
};

void on_request(void *data, int id, long us)
{
	hits *h = static_cast<hits *>(data);

	h->count++;
	h->sum += id + us;
}

template <typename T> void on_open(void *data, const char *path)
{
	static_cast<T *>(data)->count += path[0] == '/';
}

void tracepoints(void)
{
	hits req = {0, 0};
	hits open = {0, 0};
	hits tick = {0, 0};
	void (*on_tick)(void *) = [](void *data) { static_cast<hits *>(data)->count++; };

	tps_trace_cxx_request(1, 2); /* nobody listens */
	check(tps_register_trace_cxx_request(on_request, &req) == 0, "register");
	check(tps_register_trace_cxx_request(on_request, &req) == -EEXIST, "duplicate register");
	check(tps_register_trace_prio_flags_cxx_open(on_open<hits>, &open, TPS_PROBE_PRIO_DEFAULT,
	                                             TPS_PROBE_MAY_FAULT) == 0,
	      "register faultable");
	check(tps_register_trace_cxx_tick(on_tick, &tick) == 0, "register a lambda");

	tps_trace_cxx_request(3, 4);
	tps_trace_cxx_request(5, 6);
	tps_trace_cxx_open("/etc/hosts");
	tps_trace_cxx_tick();
	check(req.count == 2 && req.sum == 18, "typed probe saw its arguments");
	check(open.count == 1 && tick.count == 1, "faultable and no-argument probes ran");

	hits ns = {0, 0};
	check(cxxns::tps_register_trace_cxx_in_ns(on_request, &ns) == 0, "register in a namespace");
	cxxns::tps_trace_cxx_in_ns(1, 1);
	check(ns.count == 1 &&
	              tps_tracepoint_lookup("cxxapp:cxx_in_ns") == &cxxns::tps__tp_cxx_in_ns,
	      "tracepoint in a namespace");
	check(cxxns::tps_unregister_trace_cxx_in_ns(on_request, &ns) == 0,
	      "unregister in a namespace");

	tps_tracepoint *tp = tps_tracepoint_lookup("cxx_request");
	check(tp != nullptr && tp == &tps__tp_cxx_request, "lookup by name");
	check(tps_tracepoint_is_faultable(tps_tracepoint_lookup("cxx_open")), "faultable flag");

	check(tps_unregister_trace_cxx_request(on_request, &req) == 0, "unregister");
	check(tps_unregister_trace_cxx_request(on_request, &req) == -ENOENT, "unregister twice");
	check(tps_unregister_trace_cxx_open(on_open<hits>, &open) == 0, "unregister faultable");
	check(tps_unregister_trace_cxx_tick(on_tick, &tick) == 0, "unregister the lambda");
	tps_tracepoint_synchronize_unregister();
	tps_trace_cxx_request(7, 8);
	tps_trace_cxx_open("/tmp");
	tps_trace_cxx_tick();
	check(req.count == 2 && open.count == 1 && tick.count == 1,
	      "no probe runs after unregister");
}

/* A tracer's view: a notifier, then a probe attached by name and signature. */
struct tracer {
	int added;
	int named_added;
	hits seen;
};

void on_tracepoint(void *data, tps_tracepoint *tp, int event)
{
	tracer *t = static_cast<tracer *>(data);

	if (event == TPS_TRACEPOINT_ADDED) {
		t->added++;
		t->named_added += std::strcmp(tps_tracepoint_name(tp), "cxxapp:cxx_named") == 0;
	}
}

void tracer_by_name(void)
{
	tracer t = {0, 0, {0, 0}};
	auto probe = reinterpret_cast<void (*)(void)>(on_request);
	unsigned int attached = 0, mismatched = 0;

	check(tps_tracepoint_notifier_register(on_tracepoint, &t) == 0, "notifier register");
	check(t.added >= 4 && t.named_added == 1, "notifier replays every tracepoint");
	check(tps_tracepoint_lookup("cxxapp:cxx_named") == &tps__tp_cxx_named, "provider:name");
	check(std::strcmp(tps_tracepoint_signature(&tps__tp_cxx_named), "int id, long us") == 0,
	      "signature");

	check(!tps_trace_cxx_named_enabled(), "disabled before any probe");
	check(tps_tracepoint_probe_register_by_name("cxxapp:cxx_named", "int id, long us", probe,
	                                            &t.seen, TPS_PROBE_PRIO_DEFAULT, 0) == 0,
	      "register by name");
	check(tps_tracepoint_probe_register_by_name("cxxapp:cxx_named", "const char *path", probe,
	                                            &t, TPS_PROBE_PRIO_DEFAULT, 0) == -EINVAL,
	      "a conflicting signature is refused");
	check(tps_trace_cxx_named_enabled(), "enabled once a probe is attached");
	tps_trace_cxx_named(40, 2);
	check(t.seen.count == 1 && t.seen.sum == 42, "probe attached by name ran");
	check(tps_tracepoint_probe_count_by_name("cxxapp:cxx_named", probe, &t.seen, &attached,
	                                         &mismatched) == 0 &&
	              attached == 1 && mismatched == 0,
	      "count by name");
	check(tps_tracepoint_probe_unregister_by_name("cxxapp:cxx_named", probe, &t.seen) == 0,
	      "unregister by name");
	check(tps_tracepoint_notifier_unregister(on_tracepoint, &t) == 0, "notifier unregister");
	tps_tracepoint_synchronize_unregister();
	tps_trace_cxx_named(1, 1);
	check(t.seen.count == 1 && !tps_trace_cxx_named_enabled(), "detached by name");
}

} /* namespace */

int main()
{
	classic();
	srcu();
	tasks_trace();
	flavors();
	tracepoints();
	tracer_by_name();

	config *last = tps_rcu_xchg_pointer(&current, static_cast<config *>(nullptr));
	tps_synchronize_rcu();
	delete last;
	if (failures) {
		std::fprintf(stderr, "consumer_cxx: %d failures\n", failures);
		return 1;
	}
	std::printf("consumer_cxx: ok (C++ %ld)\n", static_cast<long>(__cplusplus));
	return 0;
}
