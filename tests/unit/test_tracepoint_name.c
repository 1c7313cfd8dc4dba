/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/test_tracepoint_name.c - what a tracer relies on: full names
 * with a provider, signatures, tps_trace_<name>_enabled(), the SDT half of
 * the enabled word, attach by name across dlopen/dlclose of two shared
 * objects whose req_end clash (int id, long us) / (const char *path), the
 * notifier, stale pointers after dlclose, and dlclose waiting for readers.
 */
#include "unit.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define TPS_TRACEPOINT_PROVIDER tpstest
#include <tpsync/tracepoint.h>

/* Odd spacing on purpose: the signature is normalized. */
TPS_TRACEPOINT_DECLARE(local_ev, TPS_PROTO(int id, long us), TPS_ARGS(id, us));
#undef TPS_TRACEPOINT_PROVIDER
TPS_TRACEPOINT_DECLARE(plain_ev, TPS_PROTO(const char *path), TPS_ARGS(path));
TPS_TRACEPOINT_DECLARE(empty_ev, TPS_PROTO(), TPS_ARGS());
TPS_TRACEPOINT_DEFINE(local_ev);
TPS_TRACEPOINT_DEFINE(plain_ev);
TPS_TRACEPOINT_DEFINE(empty_ev);

#define REQ_END "myapp:req_end"
#define SIG_A "int id, long us"
#define SIG_B "const char *path"

static int local_hits;

static void local_probe(void *data, int id, long us)
{
	(void)data;
	local_hits += id + (int)us;
}

static void test_identity(void **state)
{
	(void)state;
	assert_string_equal(tps_tracepoint_name(&tps__tp_local_ev), "tpstest:local_ev");
	assert_string_equal(tps_tracepoint_signature(&tps__tp_local_ev), "int id, long us");
	/* The provider is read where the tracepoint is declared. */
	assert_string_equal(tps_tracepoint_name(&tps__tp_plain_ev), "plain_ev");
	assert_string_equal(tps_tracepoint_signature(&tps__tp_plain_ev), "const char *path");
	assert_string_equal(tps_tracepoint_signature(&tps__tp_empty_ev), "void");
	assert_null(tps_tracepoint_signature(NULL));
	assert_ptr_equal(tps_tracepoint_lookup("tpstest:local_ev"), &tps__tp_local_ev);
	assert_null(tps_tracepoint_lookup("local_ev"));
	assert_ptr_equal(tps_tracepoint_lookup("plain_ev"), &tps__tp_plain_ev);
}

static void test_enabled(void **state)
{
	(void)state;
	assert_false(tps_trace_local_ev_enabled());
	assert_int_equal(tps_register_trace_local_ev(local_probe, NULL), 0);
	assert_true(tps_trace_local_ev_enabled());
	tps_trace_local_ev(1, 2);
	assert_int_equal(local_hits, 3);
	assert_int_equal(tps_unregister_trace_local_ev(local_probe, NULL), 0);
	assert_false(tps_trace_local_ev_enabled());
	tps_tracepoint_synchronize_unregister();
}

/*
 * The high half of the enabled word is the SDT semaphore the kernel
 * increments: a call site then runs (its SDT probe) without in-process
 * probes, and probe updates never change that half.
 */
static void test_sdt_half_kept(void **state)
{
	const int sem = 1 << 16;

	(void)state;
	local_hits = 0;
	atomic_fetch_add(&tps__tp_local_ev.enabled, sem); /* as the kernel would */
	assert_true(tps_trace_local_ev_enabled());
	tps_trace_local_ev(1, 2); /* the SDT probe only */
	assert_int_equal(local_hits, 0);
	assert_int_equal(tps_register_trace_local_ev(local_probe, NULL), 0);
	assert_int_equal(atomic_load(&tps__tp_local_ev.enabled), sem | 1);
	tps_trace_local_ev(1, 2);
	assert_int_equal(local_hits, 3);
	assert_int_equal(tps_unregister_trace_local_ev(local_probe, NULL), 0);
	assert_int_equal(atomic_load(&tps__tp_local_ev.enabled), sem);
	atomic_fetch_sub(&tps__tp_local_ev.enabled, sem);
	assert_false(tps_trace_local_ev_enabled());
	tps_tracepoint_synchronize_unregister();
}

/* ---- The notifier's log. ---- */

#define MAX_EVENTS 64
static struct {
	char name[64];
	char sig[64];
	int event;
} events[MAX_EVENTS];
static int nevents;

static void log_event(void *data, struct tps_tracepoint *tp, int event)
{
	const char *sig = tps_tracepoint_signature(tp);

	(void)data;
	if (strncmp(tps_tracepoint_name(tp), "myapp:", 6) != 0 || nevents == MAX_EVENTS)
		return;
	snprintf(events[nevents].name, sizeof(events[0].name), "%s", tps_tracepoint_name(tp));
	snprintf(events[nevents].sig, sizeof(events[0].sig), "%s", sig ? sig : "(null)");
	events[nevents].event = event;
	nevents++;
}

static void expect_event(int i, const char *name, const char *sig, int event)
{
	assert_true(i < nevents);
	assert_string_equal(events[i].name, name);
	assert_string_equal(events[i].sig, sig);
	assert_int_equal(events[i].event, event);
}

/* Events i and i + 1: A's two tracepoints, in the order of A's section. */
static void expect_a_events(int i, int event)
{
	int end = strcmp(events[i].name, REQ_END) == 0 ? i : i + 1;

	expect_event(end, REQ_END, SIG_A, event);
	expect_event(end == i ? i + 1 : i, "myapp:req_load", "int id", event);
}

static int count_all(struct tps_tracepoint *tp, void *arg)
{
	(void)tp;
	(*(int *)arg)++;
	return 0;
}

static int replayed;

static void count_replay(void *data, struct tps_tracepoint *tp, int event)
{
	(void)data;
	(void)tp;
	if (event == TPS_TRACEPOINT_ADDED)
		replayed++;
}

static void test_notifier_replay_and_errors(void **state)
{
	int present = 0;

	(void)state;
	tps_tracepoint_for_each(count_all, &present);
	assert_true(present >= 3);
	assert_int_equal(tps_tracepoint_notifier_register(count_replay, NULL), 0);
	assert_int_equal(replayed, present);
	assert_int_equal(tps_tracepoint_notifier_register(count_replay, NULL), -EEXIST);
	assert_int_equal(tps_tracepoint_notifier_register(NULL, NULL), -EINVAL);
	assert_int_equal(tps_tracepoint_notifier_unregister(count_replay, NULL), 0);
	assert_int_equal(tps_tracepoint_notifier_unregister(count_replay, NULL), -ENOENT);
	assert_int_equal(tps_tracepoint_notifier_unregister(NULL, NULL), -EINVAL);
}

/* ---- Attach by name. ---- */

struct catch
{
	int hits;
	int last_id;
	long last_us;
};

static void probe_a(void *data, int id, long us)
{
	struct catch *c = data;

	c->hits++;
	c->last_id = id;
	c->last_us = us;
}

static void probe_b(void *data, const char *path)
{
	struct catch *c = data;

	c->hits++;
	c->last_id = (int)strlen(path);
}

#define FN(f) ((void (*)(void))(f))

static void *load(const char *path)
{
	void *lib = dlopen(path, RTLD_NOW);

	if (!lib)
		fail_msg("dlopen %s: %s", path, dlerror());
	return lib;
}

static void expect_counts(void (*func)(void), void *data, unsigned int attached,
                          unsigned int mismatched)
{
	unsigned int a = 99, m = 99;

	assert_int_equal(tps_tracepoint_probe_count_by_name(REQ_END, func, data, &a, &m), 0);
	assert_int_equal(a, attached);
	assert_int_equal(m, mismatched);
}

static void test_errors_by_name(void **state)
{
	struct catch c = {0};

	(void)state;
	assert_int_equal(tps_tracepoint_probe_register_by_name(NULL, SIG_A, FN(probe_a), &c, 10, 0),
	                 -EINVAL);
	assert_int_equal(
	        tps_tracepoint_probe_register_by_name(REQ_END, NULL, FN(probe_a), &c, 10, 0),
	        -EINVAL);
	assert_int_equal(tps_tracepoint_probe_register_by_name(REQ_END, SIG_A, NULL, &c, 10, 0),
	                 -EINVAL);
	assert_int_equal(
	        tps_tracepoint_probe_register_by_name(REQ_END, SIG_A, FN(probe_a), &c, 10, 8),
	        -EINVAL);
	assert_int_equal(tps_tracepoint_probe_unregister_by_name(REQ_END, FN(probe_a), &c),
	                 -ENOENT);
	assert_int_equal(tps_tracepoint_probe_unregister_by_name(NULL, FN(probe_a), &c), -EINVAL);
	assert_int_equal(tps_tracepoint_probe_count_by_name(REQ_END, FN(probe_a), &c, NULL, NULL),
	                 -ENOENT);
	/* A local instance with another signature: a conflict, nothing kept. */
	assert_int_equal(tps_tracepoint_probe_register_by_name("tpstest:local_ev", SIG_B,
	                                                       FN(probe_b), &c, 10, 0),
	                 -EINVAL);
	assert_int_equal(
	        tps_tracepoint_probe_unregister_by_name("tpstest:local_ev", FN(probe_b), &c),
	        -ENOENT);
	/* Faultability is part of the match. */
	assert_int_equal(tps_tracepoint_probe_register_by_name("tpstest:local_ev", SIG_A,
	                                                       FN(probe_a), &c, 10,
	                                                       TPS_PROBE_MAY_FAULT),
	                 -EINVAL);
	/* The local instance matches: attached at once. */
	assert_int_equal(tps_tracepoint_probe_register_by_name("tpstest:local_ev", "int id,long us",
	                                                       FN(probe_a), &c, 10, 0),
	                 0);
	assert_int_equal(tps_tracepoint_probe_register_by_name("tpstest:local_ev", SIG_A,
	                                                       FN(probe_a), &c, 10, 0),
	                 -EEXIST);
	tps_trace_local_ev(4, 8);
	assert_int_equal(c.hits, 1);
	assert_int_equal(c.last_us, 8);
	assert_int_equal(
	        tps_tracepoint_probe_unregister_by_name("tpstest:local_ev", FN(probe_a), &c), 0);
	assert_false(tps_trace_local_ev_enabled());
	tps_tracepoint_synchronize_unregister();
}

/*
 * A tracer registers by name before the objects are loaded; A (int id,
 * long us) and B (const char *path) are loaded, fired, unloaded, and the
 * tracer unregisters last. Only A's instance is attached; the notifier sees
 * each tracepoint come and go, in order.
 */
static void test_by_name_across_dlopen(void **state)
{
	struct catch ca = {0}, cb = {0};
	void (*fire_a)(int);
	void (*fire_b)(const char *);
	void *a, *b;

	(void)state;
	nevents = 0;
	assert_int_equal(tps_tracepoint_notifier_register(log_event, NULL), 0);
	assert_int_equal(nevents, 0);
	assert_int_equal(
	        tps_tracepoint_probe_register_by_name(REQ_END, SIG_A, FN(probe_a), &ca, 10, 0),
	        0); /* pending: no instance yet */
	expect_counts(FN(probe_a), &ca, 0, 0);

	a = load(TP_REQ_A_PATH);
	assert_int_equal(nevents, 2);
	expect_a_events(0, TPS_TRACEPOINT_ADDED);
	expect_counts(FN(probe_a), &ca, 1, 0);
	*(void **)&fire_a = dlsym(a, "req_a_fire");
	assert_non_null(fire_a);
	fire_a(21);
	assert_int_equal(ca.hits, 1);
	assert_int_equal(ca.last_id, 21);
	assert_int_equal(ca.last_us, 42);

	b = load(TP_REQ_B_PATH);
	expect_event(2, REQ_END, SIG_B, TPS_TRACEPOINT_ADDED);
	expect_counts(FN(probe_a), &ca, 1, 1);
	/* B's tracer attaches to B only; the conflict with A is not an error now. */
	assert_int_equal(tps_tracepoint_probe_register_by_name(
	                         REQ_END, "TPS_PROTO(const char*path)", FN(probe_b), &cb, 10, 0),
	                 0);
	expect_counts(FN(probe_b), &cb, 1, 1);
	*(void **)&fire_b = dlsym(b, "req_b_fire");
	assert_non_null(fire_b);
	fire_b("four");
	fire_a(1);
	assert_int_equal(ca.hits, 2);
	assert_int_equal(ca.last_us, 2);
	assert_int_equal(cb.hits, 1);
	assert_int_equal(cb.last_id, 4);

	assert_int_equal(dlclose(a), 0);
	assert_int_equal(nevents, 5);
	expect_a_events(3, TPS_TRACEPOINT_REMOVED);
	expect_counts(FN(probe_a), &ca, 0, 1);
	fire_b("xy");
	assert_int_equal(ca.hits, 2);
	assert_int_equal(cb.hits, 2);
	/* Unregistered after its instance's object is gone. */
	assert_int_equal(tps_tracepoint_probe_unregister_by_name(REQ_END, FN(probe_a), &ca), 0);
	assert_int_equal(tps_tracepoint_probe_unregister_by_name(REQ_END, FN(probe_a), &ca),
	                 -ENOENT);

	/* Loaded again: probe_a stays detached, probe_b's registration is still kept. */
	a = load(TP_REQ_A_PATH);
	expect_a_events(5, TPS_TRACEPOINT_ADDED);
	*(void **)&fire_a = dlsym(a, "req_a_fire");
	fire_a(3);
	assert_int_equal(ca.hits, 2);
	assert_int_equal(dlclose(a), 0);
	assert_int_equal(dlclose(b), 0);
	assert_int_equal(tps_tracepoint_probe_unregister_by_name(REQ_END, FN(probe_b), &cb), 0);
	assert_int_equal(nevents, 10);
	expect_a_events(7, TPS_TRACEPOINT_REMOVED);
	expect_event(9, REQ_END, SIG_B, TPS_TRACEPOINT_REMOVED);
	assert_int_equal(tps_tracepoint_notifier_unregister(log_event, NULL), 0);
	tps_tracepoint_synchronize_unregister();
}

/* A signature that conflicts with every loaded instance is refused. */
static void test_conflict_refused(void **state)
{
	struct catch c = {0};
	void *b;

	(void)state;
	b = load(TP_REQ_B_PATH);
	assert_int_equal(
	        tps_tracepoint_probe_register_by_name(REQ_END, SIG_A, FN(probe_a), &c, 10, 0),
	        -EINVAL);
	assert_int_equal(tps_tracepoint_probe_unregister_by_name(REQ_END, FN(probe_a), &c),
	                 -ENOENT);
	assert_false(atomic_load(&tps_tracepoint_lookup(REQ_END)->enabled));
	assert_int_equal(dlclose(b), 0);
}

static void stale_probe(void *data, int id, long us)
{
	(void)data;
	(void)id;
	(void)us;
}

/* A pointer kept after dlclose is refused, never dereferenced. */
static void test_stale_pointer(void **state)
{
	struct tps_tracepoint *tp;
	void *a;

	(void)state;
	a = load(TP_REQ_A_PATH);
	tp = tps_tracepoint_lookup(REQ_END);
	assert_non_null(tp);
	assert_int_equal(tps_tracepoint_probe_register(tp, FN(stale_probe), NULL, 10, 0), 0);
	assert_int_equal(dlclose(a), 0);
	assert_null(tps_tracepoint_lookup(REQ_END));
	assert_int_equal(tps_tracepoint_probe_unregister(tp, FN(stale_probe), NULL), -ENOENT);
	assert_int_equal(tps_tracepoint_probe_register(tp, FN(stale_probe), NULL, 10, 0), -ENOENT);
}

/* ---- dlclose() waits for readers that may run the object's probes. ---- */

static atomic_bool reader_inside, reader_release;
static bool reader_faultable;

static void hold_reader_step(void)
{
	if (reader_faultable)
		tps_rcu_read_lock_trace();
	else
		tps_rcu_read_lock();
	atomic_store(&reader_inside, true);
	while (!atomic_load(&reader_release))
		; /* spin: a classic reader must not block */
	if (reader_faultable)
		tps_rcu_read_unlock_trace();
	else
		tps_rcu_read_unlock();
}

static void *closing_lib;

static void dlclose_step(void)
{
	dlclose(closing_lib);
}

static void load_probe(void *data, int id)
{
	(void)data;
	(void)id;
}

static void dlclose_waits(bool faultable, bool attached)
{
	struct unit_puppet reader, closer;

	reader_faultable = faultable;
	atomic_store(&reader_inside, false);
	atomic_store(&reader_release, false);
	closing_lib = load(TP_REQ_A_PATH);
	if (attached && faultable)
		assert_int_equal(tps_tracepoint_probe_register_by_name("myapp:req_load", "int id",
		                                                       FN(load_probe), NULL, 10,
		                                                       TPS_PROBE_MAY_FAULT),
		                 0);
	else if (attached)
		assert_int_equal(tps_tracepoint_probe_register_by_name(
		                         REQ_END, SIG_A, FN(stale_probe), NULL, 10, 0),
		                 0);
	unit_puppet_start(&reader);
	unit_puppet_start(&closer);
	unit_puppet_post(&reader, hold_reader_step);
	while (!atomic_load(&reader_inside))
		unit_sleep_ms(1);
	unit_puppet_post(&closer, dlclose_step);
	if (attached) {
		unit_sleep_ms(UNIT_GRACE_MS);
		assert_false(unit_puppet_done(&closer)); /* waits for the reader */
	} else {
		unit_puppet_wait(&closer); /* nothing attached: nothing to wait for */
	}
	atomic_store(&reader_release, true);
	unit_puppet_wait(&reader);
	unit_puppet_wait(&closer);
	unit_puppet_stop(&closer);
	unit_puppet_stop(&reader);
	if (attached && faultable)
		assert_int_equal(tps_tracepoint_probe_unregister_by_name("myapp:req_load",
		                                                         FN(load_probe), NULL),
		                 0);
	else if (attached)
		assert_int_equal(
		        tps_tracepoint_probe_unregister_by_name(REQ_END, FN(stale_probe), NULL), 0);
}

static void test_dlclose_waits_for_readers(void **state)
{
	(void)state;
	dlclose_waits(false, true);
	dlclose_waits(true, true);
	dlclose_waits(false, false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_identity),
	        cmocka_unit_test(test_enabled),
	        cmocka_unit_test(test_sdt_half_kept),
	        cmocka_unit_test(test_notifier_replay_and_errors),
	        cmocka_unit_test(test_errors_by_name),
	        cmocka_unit_test(test_by_name_across_dlopen),
	        cmocka_unit_test(test_conflict_refused),
	        cmocka_unit_test(test_stale_pointer),
	        cmocka_unit_test(test_dlclose_waits_for_readers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
