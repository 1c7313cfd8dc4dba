/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/test_tracepoint.c - tracepoints: call sites with 0 to 8
 * arguments, probe arrays of several probes (priorities, FIFO, removal from
 * the front, middle and end), every error code and flag, allocation
 * failures, the register hooks, teardown under both flavours, the deferred
 * free, recursion (signal handlers too), the registry, and a tracepoint in a
 * shared library loaded with dlopen.
 */
#include "unit.h"

#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <tpsync/config.h>
#include <tpsync/tracepoint.h>

TPS_TRACEPOINT_DECLARE(t_none, TPS_PROTO(), TPS_ARGS());
TPS_TRACEPOINT_DECLARE(t_two, TPS_PROTO(int a, int b), TPS_ARGS(a, b));
TPS_TRACEPOINT_DECLARE(t_eight, TPS_PROTO(int a, int b, int c, int d, int e, int f, int g, long h),
                       TPS_ARGS(a, b, c, d, e, f, g, h));
TPS_TRACEPOINT_DECLARE_FAULTABLE(t_fault, TPS_PROTO(int a), TPS_ARGS(a));
TPS_TRACEPOINT_DECLARE(t_hooked, TPS_PROTO(int a), TPS_ARGS(a));

TPS_TRACEPOINT_DEFINE(t_none);
TPS_TRACEPOINT_DEFINE(t_two);
TPS_TRACEPOINT_DEFINE(t_eight);
TPS_TRACEPOINT_DEFINE(t_fault);

static int hook_regs, hook_unregs, hook_error;

static int hook_reg(void)
{
	if (hook_error)
		return hook_error;
	hook_regs++;
	return 0;
}

static void hook_unreg(void)
{
	hook_unregs++;
}

TPS_TRACEPOINT_DEFINE_FN(t_hooked, hook_reg, hook_unreg);

/* ---- Probes that record the order they ran in. ---- */

#define MAX_RUNS 64
static int runs[MAX_RUNS];
static int nruns;
static long last_sum;

static void record(int id)
{
	if (nruns < MAX_RUNS)
		runs[nruns++] = id;
}

static void probe_two(void *data, int a, int b)
{
	record((int)(long)data);
	last_sum = a + b;
}

static void probe_two_other(void *data, int a, int b)
{
	(void)a;
	(void)b;
	record(100 + (int)(long)data);
}

/* Fires t_two once and checks the probes ran in exactly the given order. */
static void expect_runs(const int *ids, int n)
{
	int i;

	nruns = 0;
	tps_trace_t_two(1, 2);
	assert_int_equal(nruns, n);
	for (i = 0; i < n; i++)
		assert_int_equal(runs[i], ids[i]);
}

static int count_entries(struct tps_tracepoint *tp)
{
	struct tps_tracepoint_func *f = atomic_load(&tp->funcs);
	int n = 0;

	while (atomic_load(&f[n].func))
		n++;
	return n;
}

#define DATA(i) ((void *)(long)(i))

static void reg_two(int id, int prio)
{
	assert_int_equal(tps_register_trace_prio_flags_t_two(probe_two, DATA(id), prio, 0), 0);
}

static void unreg_two(int id)
{
	assert_int_equal(tps_unregister_trace_t_two(probe_two, DATA(id)), 0);
}

static void test_disabled_and_empty(void **state)
{
	(void)state;
	assert_int_equal(atomic_load(&tps__tp_t_two.enabled), 0);
	assert_ptr_equal(atomic_load(&tps__tp_t_two.funcs), tps__tracepoint_empty);
	expect_runs(NULL, 0);
}

static void test_order_priority_fifo(void **state)
{
	(void)state;
	reg_two(1, 10);
	assert_int_equal(atomic_load(&tps__tp_t_two.enabled), 1);
	reg_two(2, 10);
	reg_two(3, 20);
	reg_two(4, 5);
	reg_two(5, 20);
	reg_two(6, 10);
	{
		const int want[] = {3, 5, 1, 2, 6, 4};
		expect_runs(want, 6);
	}
	assert_int_equal(last_sum, 3);
	unreg_two(3); /* front */
	{
		const int want[] = {5, 1, 2, 6, 4};
		expect_runs(want, 5);
	}
	unreg_two(2); /* middle */
	{
		const int want[] = {5, 1, 6, 4};
		expect_runs(want, 4);
	}
	unreg_two(4); /* end */
	{
		const int want[] = {5, 1, 6};
		expect_runs(want, 3);
	}
	unreg_two(5);
	unreg_two(6);
	unreg_two(1);
	assert_int_equal(atomic_load(&tps__tp_t_two.enabled), 0);
	assert_ptr_equal(atomic_load(&tps__tp_t_two.funcs), tps__tracepoint_empty);
	expect_runs(NULL, 0);
	tps_tracepoint_synchronize_unregister();
}

/* Same function with other data, or other function with same data: distinct probes. */
static void test_identity_is_func_and_data(void **state)
{
	(void)state;
	reg_two(1, 10);
	assert_int_equal(tps_register_trace_t_two(probe_two_other, DATA(1)), 0);
	assert_int_equal(tps_register_trace_t_two(probe_two, DATA(1)), -EEXIST);
	assert_int_equal(tps_register_trace_prio_flags_t_two(probe_two, DATA(1), 99, 0), -EEXIST);
	{
		const int want[] = {1, 101};
		expect_runs(want, 2);
	}
	assert_int_equal(tps_unregister_trace_t_two(probe_two_other, DATA(2)), -ENOENT);
	assert_int_equal(tps_unregister_trace_t_two(probe_two_other, DATA(1)), 0);
	assert_int_equal(tps_unregister_trace_t_two(probe_two_other, DATA(1)), -ENOENT);
	unreg_two(1);
	tps_tracepoint_synchronize_unregister();
}

static void fault_probe(void *data, int a)
{
	(void)a;
	record((int)(long)data);
}

static void test_errors(void **state)
{
	struct tps_tracepoint *two = &tps__tp_t_two, *fault = &tps__tp_t_fault;
	void (*f)(void) = (void (*)(void))probe_two;
	void (*ff)(void) = (void (*)(void))fault_probe;

	(void)state;
	assert_int_equal(tps_tracepoint_probe_register(NULL, f, NULL, 10, 0), -EINVAL);
	assert_int_equal(tps_tracepoint_probe_register(two, NULL, NULL, 10, 0), -EINVAL);
	assert_int_equal(tps_tracepoint_probe_register(two, f, NULL, 10, 0x80), -EINVAL);
	/* Faultable probes only on faultable tracepoints, and only they there. */
	assert_int_equal(tps_tracepoint_probe_register(two, f, NULL, 10, TPS_PROBE_MAY_FAULT),
	                 -EINVAL);
	assert_int_equal(tps_tracepoint_probe_register(fault, ff, NULL, 10, 0), -EINVAL);
	assert_int_equal(tps_tracepoint_probe_unregister(NULL, f, NULL), -EINVAL);
	assert_int_equal(tps_tracepoint_probe_unregister(two, NULL, NULL), -EINVAL);
	assert_int_equal(tps_tracepoint_probe_unregister(two, f, NULL), -ENOENT);
	assert_int_equal(tps_tracepoint_call_rcu(NULL, NULL, NULL), -EINVAL);
	/* Nothing changed. */
	assert_int_equal(atomic_load(&two->enabled), 0);
	assert_int_equal(atomic_load(&fault->enabled), 0);
}

static int none_hits;

static void probe_none(void *data)
{
	(void)data;
	none_hits++;
}

static void hooked_probe(void *data, int a)
{
	(void)data;
	(void)a;
}

static void test_enomem_changes_nothing(void **state)
{
	struct tps_tracepoint_func *before;

	(void)state;
	reg_two(1, 10);
	reg_two(2, 10);
	before = atomic_load(&tps__tp_t_two.funcs);
	tps__tracepoint_fail_allocs(1);
	assert_int_equal(tps_register_trace_t_two(probe_two, DATA(3)), -ENOMEM);
	assert_ptr_equal(atomic_load(&tps__tp_t_two.funcs), before);
	{
		const int want[] = {1, 2};
		expect_runs(want, 2);
	}
	/* 0->1 without memory: stays disabled, and the register hook does not run. */
	tps__tracepoint_fail_allocs(1);
	assert_int_equal(tps_register_trace_t_none(probe_none, NULL), -ENOMEM);
	assert_int_equal(atomic_load(&tps__tp_t_none.enabled), 0);
	assert_ptr_equal(atomic_load(&tps__tp_t_none.funcs), tps__tracepoint_empty);
	hook_regs = 0;
	tps__tracepoint_fail_allocs(1);
	assert_int_equal(tps_register_trace_t_hooked(hooked_probe, NULL), -ENOMEM);
	assert_int_equal(hook_regs, 0);
	unreg_two(1);
	unreg_two(2);
	tps__tracepoint_fail_allocs(0);
	tps_tracepoint_synchronize_unregister();
}

/* Unregistration never fails: without memory the slot gets a stub, dropped later. */
static void test_unregister_without_memory(void **state)
{
	(void)state;
	reg_two(1, 10);
	reg_two(2, 10);
	reg_two(3, 10);
	tps__tracepoint_fail_allocs(1);
	assert_int_equal(tps_unregister_trace_t_two(probe_two, DATA(2)), 0);
	{
		const int want[] = {1, 3};
		expect_runs(want, 2);
	}
	assert_int_equal(count_entries(&tps__tp_t_two), 3); /* the stub is still there */
	assert_int_equal(tps_unregister_trace_t_two(probe_two, DATA(2)), -ENOENT);
	/* (func, data) may be registered again; the next update drops the stub. */
	reg_two(2, 10);
	assert_int_equal(count_entries(&tps__tp_t_two), 3);
	{
		const int want[] = {1, 3, 2};
		expect_runs(want, 3);
	}
	/* Unregistering the last probe needs no memory at all. */
	unreg_two(1);
	unreg_two(3);
	tps__tracepoint_fail_allocs(5);
	unreg_two(2);
	tps__tracepoint_fail_allocs(0);
	assert_int_equal(atomic_load(&tps__tp_t_two.enabled), 0);
	tps_tracepoint_synchronize_unregister();
}

static void test_hooks_on_first_and_last(void **state)
{
	(void)state;
	hook_regs = hook_unregs = 0;
	hook_error = -EPERM;
	assert_int_equal(tps_register_trace_t_hooked(hooked_probe, DATA(1)), -EPERM);
	assert_int_equal(atomic_load(&tps__tp_t_hooked.enabled), 0);
	hook_error = 0;
	assert_int_equal(tps_register_trace_t_hooked(hooked_probe, DATA(1)), 0);
	assert_int_equal(tps_register_trace_t_hooked(hooked_probe, DATA(2)), 0);
	assert_int_equal(hook_regs, 1);
	assert_int_equal(tps_unregister_trace_t_hooked(hooked_probe, DATA(1)), 0);
	assert_int_equal(hook_unregs, 0);
	assert_int_equal(tps_unregister_trace_t_hooked(hooked_probe, DATA(2)), 0);
	assert_int_equal(hook_unregs, 1);
	tps_tracepoint_synchronize_unregister();
}

static long eight_sum;

static void probe_eight(void *data, int a, int b, int c, int d, int e, int f, int g, long h)
{
	eight_sum = (long)data + a + b + c + d + e + f + g + h;
}

static void test_argument_counts(void **state)
{
	(void)state;
	assert_int_equal(tps_register_trace_t_none(probe_none, NULL), 0);
	assert_int_equal(tps_register_trace_t_eight(probe_eight, DATA(1000)), 0);
	tps_trace_t_none();
	tps_trace_t_eight(1, 2, 3, 4, 5, 6, 7, 80000000000L);
	assert_int_equal(none_hits, 1);
	assert_true(eight_sum == 1000 + 28 + 80000000000L);
	assert_int_equal(tps_unregister_trace_t_none(probe_none, NULL), 0);
	assert_int_equal(tps_unregister_trace_t_eight(probe_eight, DATA(1000)), 0);
	tps_tracepoint_synchronize_unregister();
}

/* ---- Teardown: a probe still running holds synchronize_unregister. ---- */

static atomic_bool probe_inside, probe_release;

static void holding_probe(void *data, int a, int b)
{
	(void)data;
	(void)a;
	(void)b;
	atomic_store(&probe_inside, true);
	while (!atomic_load(&probe_release))
		; /* a classic probe must not block: spin */
}

static int hold_pipe[2];

static void blocking_fault_probe(void *data, int a)
{
	char c;

	(void)data;
	(void)a;
	tps_might_fault(); /* legal here: this probe runs under tasks-trace */
	atomic_store(&probe_inside, true);
	if (read(hold_pipe[0], &c, 1) != 1)
		atomic_store(&probe_inside, false);
}

static void fire_two_step(void)
{
	tps_trace_t_two(1, 1);
}

static void fire_fault_step(void)
{
	tps_trace_t_fault(1);
}

static void sync_unregister_step(void)
{
	tps_tracepoint_synchronize_unregister();
}

static void test_synchronize_unregister_waits_normal(void **state)
{
	struct unit_puppet firer, updater;

	(void)state;
	atomic_store(&probe_inside, false);
	atomic_store(&probe_release, false);
	assert_int_equal(tps_register_trace_t_two(holding_probe, NULL), 0);
	unit_puppet_start(&firer);
	unit_puppet_start(&updater);
	unit_puppet_post(&firer, fire_two_step);
	while (!atomic_load(&probe_inside))
		unit_sleep_ms(1);
	assert_int_equal(tps_unregister_trace_t_two(holding_probe, NULL), 0);
	unit_puppet_post(&updater, sync_unregister_step);
	unit_sleep_ms(UNIT_GRACE_MS);
	assert_false(unit_puppet_done(&updater));
	atomic_store(&probe_release, true);
	unit_puppet_wait(&firer);
	unit_puppet_wait(&updater);
	unit_puppet_stop(&updater);
	unit_puppet_stop(&firer);
}

static void test_synchronize_unregister_waits_faultable(void **state)
{
	struct unit_puppet firer, updater;

	(void)state;
	atomic_store(&probe_inside, false);
	assert_int_equal(pipe(hold_pipe), 0);
	assert_int_equal(tps_register_trace_t_fault(blocking_fault_probe, NULL), 0);
	unit_puppet_start(&firer);
	unit_puppet_start(&updater);
	unit_puppet_post(&firer, fire_fault_step);
	while (!atomic_load(&probe_inside))
		unit_sleep_ms(1);
	assert_int_equal(tps_unregister_trace_t_fault(blocking_fault_probe, NULL), 0);
	unit_puppet_post(&updater, sync_unregister_step);
	unit_puppet_settle(&updater);
	unit_sleep_ms(UNIT_GRACE_MS);
	assert_false(unit_puppet_done(&updater));
	assert_int_equal(write(hold_pipe[1], "x", 1), 1);
	unit_puppet_wait(&firer);
	unit_puppet_wait(&updater);
	unit_puppet_stop(&updater);
	unit_puppet_stop(&firer);
	close(hold_pipe[0]);
	close(hold_pipe[1]);
}

struct deferred {
	struct tps_rcu_head head;
	atomic_bool freed;
};

static void deferred_free(struct tps_rcu_head *head)
{
	atomic_store(&tps_container_of(head, struct deferred, head)->freed, true);
}

/* The deferred free of a faultable tracepoint waits for tasks-trace readers. */
static void test_deferred_free_matches_flavour(void **state)
{
	struct unit_puppet firer;
	struct deferred d = {.freed = false};

	(void)state;
	atomic_store(&probe_inside, false);
	assert_int_equal(pipe(hold_pipe), 0);
	assert_int_equal(tps_register_trace_t_fault(blocking_fault_probe, NULL), 0);
	unit_puppet_start(&firer);
	unit_puppet_post(&firer, fire_fault_step);
	while (!atomic_load(&probe_inside))
		unit_sleep_ms(1);
	assert_int_equal(tps_unregister_trace_t_fault(blocking_fault_probe, NULL), 0);
	assert_int_equal(tps_tracepoint_call_rcu(&tps__tp_t_fault, &d.head, deferred_free), 0);
	unit_sleep_ms(UNIT_GRACE_MS);
	assert_false(atomic_load(&d.freed));
	assert_int_equal(write(hold_pipe[1], "x", 1), 1);
	unit_puppet_wait(&firer);
	tps_rcu_barrier_tasks_trace();
	assert_true(atomic_load(&d.freed));
	unit_puppet_stop(&firer);
	close(hold_pipe[0]);
	close(hold_pipe[1]);
	/* A normal tracepoint's deferred free goes through the classic flavour. */
	atomic_store(&d.freed, false);
	assert_int_equal(tps_tracepoint_call_rcu(&tps__tp_t_two, &d.head, deferred_free), 0);
	tps_rcu_barrier();
	assert_true(atomic_load(&d.freed));
}

/* ---- Recursion. ---- */

static void recursive_probe(void *data, int a, int b)
{
	(void)data;
	(void)b;
	record(a);
	if (a < 3)
		tps_trace_t_two(a + 1, 0); /* dropped: same thread, inside a probe */
}

static void test_recursion_dropped_and_counted(void **state)
{
	unsigned long before = tps_tracepoint_recursion_drops();

	(void)state;
	assert_int_equal(tps_register_trace_t_two(recursive_probe, NULL), 0);
	nruns = 0;
	tps_trace_t_two(1, 0);
	assert_int_equal(nruns, 1);
	assert_int_equal(tps_tracepoint_recursion_drops() - before, 1);
	assert_int_equal(tps_unregister_trace_t_two(recursive_probe, NULL), 0);
	tps_tracepoint_synchronize_unregister();
}

static _Atomic int handler_fired, handler_ran_probe;

static void sig_handler(int sig)
{
	(void)sig;
	atomic_fetch_add(&handler_fired, 1);
	tps_trace_t_none(); /* from inside a probe of this thread: dropped */
}

static void none_probe_in_handler(void *data)
{
	(void)data;
	atomic_fetch_add(&handler_ran_probe, 1);
}

static void raising_probe(void *data, int a, int b)
{
	(void)data;
	(void)a;
	(void)b;
	raise(SIGUSR2);
}

static void test_recursion_from_signal_handler(void **state)
{
	struct sigaction sa, old;
	unsigned long before = tps_tracepoint_recursion_drops();

	(void)state;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sig_handler;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGUSR2, &sa, &old), 0);
	assert_int_equal(tps_register_trace_t_none(none_probe_in_handler, NULL), 0);
	assert_int_equal(tps_register_trace_t_two(raising_probe, NULL), 0);
	tps_trace_t_two(0, 0);
	assert_int_equal(atomic_load(&handler_fired), 1);
	assert_int_equal(atomic_load(&handler_ran_probe), 0);
	assert_int_equal(tps_tracepoint_recursion_drops() - before, 1);
	/* Outside a probe, the handler's hit is not dropped. */
	raise(SIGUSR2);
	assert_int_equal(atomic_load(&handler_ran_probe), 1);
	assert_int_equal(tps_unregister_trace_t_two(raising_probe, NULL), 0);
	assert_int_equal(tps_unregister_trace_t_none(none_probe_in_handler, NULL), 0);
	sigaction(SIGUSR2, &old, NULL);
	tps_tracepoint_synchronize_unregister();
}

/* ---- Rules. ---- */

static void faulting_normal_probe(void *data, int a, int b)
{
	(void)data;
	(void)a;
	(void)b;
	tps_might_fault();
}

static void might_fault_in_normal_probe(void *arg)
{
	(void)arg;
	child_check(tps_register_trace_t_two(faulting_normal_probe, NULL) == 0);
	tps_trace_t_two(0, 0);
	child_check(tps_unregister_trace_t_two(faulting_normal_probe, NULL) == 0);
}

static void test_might_fault_in_normal_probe(void **state)
{
	(void)state;
	unit_expect_rule(might_fault_in_normal_probe, NULL, "might_fault", TPSYNC_DEBUG);
}

/* ---- The registry. ---- */

struct walk {
	int seen;
	int stop_after;
	bool found_fault;
};

static int walk_cb(struct tps_tracepoint *tp, void *arg)
{
	struct walk *w = arg;

	w->seen++;
	if (strcmp(tps_tracepoint_name(tp), "t_fault") == 0)
		w->found_fault = tps_tracepoint_is_faultable(tp);
	else if (strncmp(tps_tracepoint_name(tp), "t_", 2) == 0 && tps_tracepoint_is_faultable(tp))
		return -1;
	/* The lock is recursive: looking up from the callback is allowed. */
	if (!tps_tracepoint_lookup(tps_tracepoint_name(tp)))
		return -2;
	return w->seen == w->stop_after ? 42 : 0;
}

static void test_registry(void **state)
{
	struct walk w = {.seen = 0, .stop_after = 0};

	(void)state;
	assert_ptr_equal(tps_tracepoint_lookup("t_two"), &tps__tp_t_two);
	assert_ptr_equal(tps_tracepoint_lookup("t_fault"), &tps__tp_t_fault);
	assert_null(tps_tracepoint_lookup("no_such_tracepoint"));
	assert_null(tps_tracepoint_lookup(NULL));
	assert_string_equal(tps_tracepoint_name(&tps__tp_t_eight), "t_eight");
	assert_null(tps_tracepoint_name(NULL));
	assert_false(tps_tracepoint_is_faultable(NULL));
	assert_false(tps_tracepoint_is_faultable(&tps__tp_t_two));
	assert_true(tps_tracepoint_is_faultable(&tps__tp_t_fault));
	assert_int_equal(tps_tracepoint_for_each(walk_cb, &w), 0);
	assert_int_equal(w.seen, 5);
	assert_true(w.found_fault);
	w.seen = 0;
	w.stop_after = 2;
	assert_int_equal(tps_tracepoint_for_each(walk_cb, &w), 42);
	assert_int_equal(w.seen, 2);
	assert_int_equal(tps_tracepoint_for_each(NULL, NULL), -EINVAL);
}

static int module_hits;

static void module_probe(void *data, int value)
{
	(void)data;
	module_hits += value;
}

static void test_dlopen_dlclose(void **state)
{
	void (*fire)(int);
	int (*self_hits)(void);
	struct tps_tracepoint *tp, *ftp;
	void *lib;

	(void)state;
	assert_null(tps_tracepoint_lookup("tp_module_event"));
	lib = dlopen(TP_MODULE_PATH, RTLD_NOW);
	assert_non_null(lib);
	tp = tps_tracepoint_lookup("tp_module_event");
	ftp = tps_tracepoint_lookup("tp_module_faultable");
	assert_non_null(tp);
	assert_non_null(ftp);
	assert_true(tps_tracepoint_is_faultable(ftp));
	assert_null(tps_tracepoint_lookup("t_two") == tp ? tp : NULL);
	assert_int_equal(tps_tracepoint_probe_register(tp, (void (*)(void))module_probe, NULL,
	                                               TPS_PROBE_PRIO_DEFAULT, 0),
	                 0);
	assert_int_equal(tps_tracepoint_probe_register(ftp, (void (*)(void))module_probe, NULL,
	                                               TPS_PROBE_PRIO_DEFAULT, TPS_PROBE_MAY_FAULT),
	                 0);
	*(void **)&fire = dlsym(lib, "tp_module_fire");
	*(void **)&self_hits = dlsym(lib, "tp_module_self_hits");
	assert_non_null(fire);
	assert_non_null(self_hits);
	fire(7);
	assert_int_equal(module_hits, 14);
	/* The library's own constructor attached to its tracepoint. */
	assert_int_equal(self_hits(), 7);
	/* Unloaded with probes attached: they are detached and their arrays freed. */
	assert_int_equal(dlclose(lib), 0);
	assert_null(tps_tracepoint_lookup("tp_module_event"));
	assert_null(tps_tracepoint_lookup("tp_module_faultable"));
	tps_rcu_barrier();
	tps_rcu_barrier_tasks_trace();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        /* First, while no thread exists: forked children may start threads (TSan). */
	        cmocka_unit_test(test_might_fault_in_normal_probe),
	        cmocka_unit_test(test_disabled_and_empty),
	        cmocka_unit_test(test_order_priority_fifo),
	        cmocka_unit_test(test_identity_is_func_and_data),
	        cmocka_unit_test(test_errors),
	        cmocka_unit_test(test_enomem_changes_nothing),
	        cmocka_unit_test(test_unregister_without_memory),
	        cmocka_unit_test(test_hooks_on_first_and_last),
	        cmocka_unit_test(test_argument_counts),
	        cmocka_unit_test(test_synchronize_unregister_waits_normal),
	        cmocka_unit_test(test_synchronize_unregister_waits_faultable),
	        cmocka_unit_test(test_deferred_free_matches_flavour),
	        cmocka_unit_test(test_recursion_dropped_and_counted),
	        cmocka_unit_test(test_recursion_from_signal_handler),
	        cmocka_unit_test(test_registry),
	        cmocka_unit_test(test_dlopen_dlclose),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
