/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/test_tracepoint_edges.c - tracepoints at the edges of the
 * dynamic loader: objects loaded into the global scope (as the libraries an
 * executable links are), a library tracepoint the executable refers to as
 * data, and callbacks or probes that call into the dynamic loader while
 * another thread loads or unloads an object. Each test is also a ctest of
 * its own (the test's name as the first argument).
 */
#include "unit.h"

#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <stdint.h>
#include <string.h>

#include <tpsync/tracepoint.h>

#include "tp_linked.h"

#define REQ_END "myapp:req_end"
#define SIG_A "int id, long us"
#define SIG_B "const char *path"
#define FN(f) ((void (*)(void))(f))
/* A thread of a test that has not finished by then is deadlocked. */
#define DEADLOCK_MS 3000

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

static void *load(const char *path, int mode)
{
	void *lib = dlopen(path, RTLD_NOW | mode);

	if (!lib)
		fail_msg("dlopen %s: %s", path, dlerror());
	return lib;
}

struct instances {
	struct tps_tracepoint *tp[4];
	int n;
};

static int collect_req_end(struct tps_tracepoint *tp, void *arg)
{
	struct instances *in = arg;

	if (strcmp(tps_tracepoint_name(tp), REQ_END) == 0 && in->n < 4)
		in->tp[in->n++] = tp;
	return 0;
}

/*
 * A loaded into the global scope (RTLD_GLOBAL, or linked by the
 * executable), then B: both define myapp:req_end, with other signatures.
 * Each object's call sites and section keep their own instance, and attach
 * by name reaches each with its own signature only.
 */
static void test_global_load_keeps_instances_apart(void **state)
{
	struct catch ca = {0}, cb = {0};
	struct instances in = {0};
	void (*fire_a)(int);
	void (*fire_b)(const char *);
	void *a, *b;

	(void)state;
	a = load(TP_REQ_A_PATH, RTLD_GLOBAL);
	b = load(TP_REQ_B_PATH, RTLD_LOCAL);
	tps_tracepoint_for_each(collect_req_end, &in);
	assert_int_equal(in.n, 2);
	assert_ptr_not_equal(in.tp[0], in.tp[1]);
	assert_string_not_equal(tps_tracepoint_signature(in.tp[0]),
	                        tps_tracepoint_signature(in.tp[1]));
	assert_int_equal(
	        tps_tracepoint_probe_register_by_name(REQ_END, SIG_A, FN(probe_a), &ca, 10, 0), 0);
	assert_int_equal(
	        tps_tracepoint_probe_register_by_name(REQ_END, SIG_B, FN(probe_b), &cb, 10, 0), 0);
	*(void **)&fire_a = dlsym(a, "req_a_fire");
	*(void **)&fire_b = dlsym(b, "req_b_fire");
	fire_b("four");
	assert_int_equal(ca.hits, 0);
	assert_int_equal(cb.hits, 1);
	assert_int_equal(cb.last_id, 4);
	fire_a(5);
	assert_int_equal(ca.hits, 1);
	assert_int_equal(ca.last_us, 10);
	assert_int_equal(cb.hits, 1);
	assert_int_equal(tps_tracepoint_probe_unregister_by_name(REQ_END, FN(probe_a), &ca), 0);
	assert_int_equal(tps_tracepoint_probe_unregister_by_name(REQ_END, FN(probe_b), &cb), 0);
	assert_int_equal(dlclose(b), 0);
	assert_int_equal(dlclose(a), 0);
	tps_tracepoint_synchronize_unregister();
}

/*
 * A, then B, loaded into the global scope: both define myapp:req_end, each
 * owning its instance. Closing A unloads it (B holds nothing of A's): A's
 * instance leaves the registry while B's stays, and A is no longer loaded.
 */
static void test_global_unload_of_first_definer(void **state)
{
	struct instances in = {0};
	void *a, *b;

	(void)state;
	a = load(TP_REQ_A_PATH, RTLD_GLOBAL);
	b = load(TP_REQ_B_PATH, RTLD_GLOBAL);
	tps_tracepoint_for_each(collect_req_end, &in);
	assert_int_equal(in.n, 2);
	assert_int_equal(dlclose(a), 0);
	a = dlopen(TP_REQ_A_PATH, RTLD_NOW | RTLD_NOLOAD);
	if (a) {
		/* Drop the reference just taken before failing. */
		dlclose(a);
		fail_msg("%s is still loaded after its dlclose() (B refers to it)", TP_REQ_A_PATH);
	}
	in.n = 0;
	tps_tracepoint_for_each(collect_req_end, &in);
	assert_int_equal(in.n, 1);
	assert_string_equal(tps_tracepoint_signature(in.tp[0]), SIG_B);
	assert_int_equal(dlclose(b), 0);
}

/* Counts its hits; never reads its argument (it may be called with others). */
static void count_probe_b(void *data, const char *path)
{
	struct catch *c = data;

	(void)path;
	c->hits++;
}

/*
 * A (tp_req_b: myapp:req_end (const char *path)) in the global scope, then
 * B (tp_req_early: myapp:req_end (int id, long us)) loaded: B's call site
 * runs from the constructor of B's dependency, before B's own constructors.
 * It is B's call site: it must not run A's probes, which take a string and
 * would be called with B's (int, long) arguments.
 */
static void test_second_definer_fired_before_its_constructors(void **state)
{
	struct catch cb = {0};
	int (*early_state)(int *);
	int registered;
	void *a, *b;

	(void)state;
	a = load(TP_REQ_B_PATH, RTLD_GLOBAL);
	assert_int_equal(tps_tracepoint_probe_register_by_name(REQ_END, SIG_B, FN(count_probe_b),
	                                                       &cb, 10, 0),
	                 0);
	b = load(TP_REQ_EARLY_PATH, RTLD_LOCAL);
	*(void **)&early_state = dlsym(b, "req_early_state");
	assert_non_null(early_state);
	/* The dependency's constructor did fire B's call site. */
	assert_true(early_state(&registered) >= 0);
	if (cb.hits != 0)
		fail_msg("B's call site, run before B's constructors, called %d probe(s) of A's "
		         "myapp:req_end (" SIG_B ") with B's (" SIG_A ") arguments",
		         cb.hits);
	assert_int_equal(tps_tracepoint_probe_unregister_by_name(REQ_END, FN(count_probe_b), &cb),
	                 0);
	tps_tracepoint_synchronize_unregister();
	assert_int_equal(dlclose(b), 0);
	assert_int_equal(dlclose(a), 0);
}

/*
 * The same objects: B's constructor of priority 101 (the tracepoint's own)
 * attaches a typed probe to B's myapp:req_end before B's tracepoint
 * constructor ran. Either the registration is refused (B's instance is not
 * registered yet), or the probe is attached where B's call sites fire it,
 * not to A's instance (whose call sites would pass it a string).
 */
static void test_second_definer_early_typed_registration(void **state)
{
	int (*early_state)(int *);
	void (*fire_early)(int);
	void (*fire_a)(const char *);
	int registered, before, after;
	void *a, *b;

	(void)state;
	a = load(TP_REQ_B_PATH, RTLD_GLOBAL);
	b = load(TP_REQ_EARLY_PATH, RTLD_LOCAL);
	*(void **)&early_state = dlsym(b, "req_early_state");
	*(void **)&fire_early = dlsym(b, "req_early_fire");
	*(void **)&fire_a = dlsym(a, "req_b_fire");
	assert_non_null(early_state);
	assert_non_null(fire_early);
	assert_non_null(fire_a);
	before = early_state(&registered);
	assert_true(before >= 0);
	if (registered == 0) {
		fire_a("a");
		after = early_state(&registered);
		if (after != before)
			fail_msg("A's call site ran B's probe (attached by B's constructor) %d "
			         "time(s)",
			         after - before);
		fire_early(3);
		after = early_state(&registered);
		if (after != before + 1)
			fail_msg("B's constructor attached its probe (returned 0), but B's call "
			         "site ran it %d time(s), not once",
			         after - before);
	}
	assert_int_equal(dlclose(b), 0);
	assert_int_equal(dlclose(a), 0);
}

static int linked_hits;

static void linked_probe(void *data, int value)
{
	(void)data;
	linked_hits += value;
}

/*
 * The executable attaches to a tracepoint of a library it links (so it
 * refers to the library's tracepoint as data). The SDT semaphore that the
 * library's note gives to the kernel must be the high half of the enabled
 * word that the call sites load.
 */
static void test_sdt_semaphore_of_linked_library(void **state)
{
	char *sem = (char *)tp_linked_semaphore();

	(void)state;
	if (!sem)
		skip();
	assert_int_equal(tps_register_trace_linked_ev(linked_probe, NULL), 0);
	tp_linked_fire(2);
	assert_int_equal(linked_hits, 2);
	assert_int_equal(tps_unregister_trace_linked_ev(linked_probe, NULL), 0);
	tps_tracepoint_synchronize_unregister();
	assert_ptr_equal(sem, (char *)&tps__tp_linked_ev.enabled + TPS__TP_SDT_BYTE);
	/* As the kernel does when a tool attaches with the semaphore. */
	(*(unsigned short *)sem)++;
	assert_true(tps_trace_linked_ev_enabled());
	(*(unsigned short *)sem)--;
	assert_false(tps_trace_linked_ev_enabled());
}

/*
 * An object built when struct tps_tracepoint was shorter (no proto, no
 * signature) fails to load, instead of the library reading and writing
 * past its tracepoint.
 */
static void test_short_layout_refused(void **state)
{
	void *h;

	(void)state;
	h = dlopen(TP_OLD_LAYOUT_PATH, RTLD_NOW);
	if (h) {
		const char **after = dlsym(h, "short_after");

		assert_non_null(after);
		assert_string_equal(after[1], "left alone");
		dlclose(h);
		fail_msg("an object with the short layout was loaded");
	}
	assert_non_null(strstr(dlerror(), "undefined symbol"));
}

/* ---- Calls into the dynamic loader against a concurrent dlopen/dlclose. ---- */

static atomic_bool loader_started;
static void *lib;

static void wait_deadlock_free(struct unit_puppet *p, struct unit_puppet *q, const char *what)
{
	unsigned int ms;

	for (ms = 0; ms < DEADLOCK_MS; ms++) {
		if (unit_puppet_done(p) && unit_puppet_done(q))
			return;
		unit_sleep_ms(1);
	}
	fail_msg("deadlock: %s", what);
}

static void open_step(void)
{
	atomic_store(&loader_started, true);
	lib = load(TP_REQ_A_PATH, RTLD_LOCAL);
}

static void close_step(void)
{
	atomic_store(&loader_started, true);
	dlclose(lib);
}

/* Gives the loading thread the time to block in the tracepoint registry. */
static void wait_loader(void)
{
	while (!atomic_load(&loader_started))
		unit_sleep_ms(1);
	unit_sleep_ms(200);
}

static int dladdr_cb(struct tps_tracepoint *tp, void *arg)
{
	Dl_info info;

	(void)arg;
	wait_loader();
	/* Which object is this tracepoint from? (what a tracer asks) */
	(void)dladdr(tp, &info);
	return 1;
}

static int find_object(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	return info->dlpi_addr != 0 && (uintptr_t)arg >= info->dlpi_addr;
}

static int phdr_cb(struct tps_tracepoint *tp, void *arg)
{
	(void)arg;
	wait_loader();
	/* The same question through dl_iterate_phdr(), which takes another lock. */
	(void)dl_iterate_phdr(find_object, tp);
	return 1;
}

static int (*walk_cb)(struct tps_tracepoint *tp, void *arg);

static void walk_step(void)
{
	tps_tracepoint_for_each(walk_cb, NULL);
}

static void walk_during_dlopen(int (*cb)(struct tps_tracepoint *tp, void *arg), const char *what)
{
	struct unit_puppet walker, opener;

	walk_cb = cb;
	atomic_store(&loader_started, false);
	unit_puppet_start(&walker);
	unit_puppet_start(&opener);
	unit_puppet_post(&walker, walk_step);
	unit_sleep_ms(20);
	unit_puppet_post(&opener, open_step);
	wait_deadlock_free(&walker, &opener, what);
	unit_puppet_stop(&walker);
	unit_puppet_stop(&opener);
	assert_int_equal(dlclose(lib), 0);
}

/* A walk callback finds a tracepoint's object while an object loads: fine. */
static void test_callback_dl_iterate_phdr_during_dlopen(void **state)
{
	(void)state;
	walk_during_dlopen(phdr_cb, "dl_iterate_phdr() in a walk callback against dlopen()");
}

/* The same with dladdr(): a deadlock (a documented limitation; run by hand). */
static void test_callback_dladdr_during_dlopen(void **state)
{
	(void)state;
	walk_during_dlopen(dladdr_cb, "dladdr() in a walk callback against dlopen()");
}

static void load_probe(void *data, int id)
{
	(void)data;
	(void)id;
}

/* A faultable probe (a tasks-trace reader) symbolizes an address. */
static void faultable_probe_step(void)
{
	Dl_info info;

	tps_rcu_read_lock_trace();
	wait_loader();
	(void)dladdr((void *)faultable_probe_step, &info);
	tps_rcu_read_unlock_trace();
}

/*
 * A faultable probe asks the loader about an address while an object with
 * probes unloads: a deadlock (a documented limitation; run by hand).
 */
static void test_faultable_probe_dladdr_during_dlclose(void **state)
{
	struct unit_puppet reader, closer;

	(void)state;
	atomic_store(&loader_started, false);
	lib = load(TP_REQ_A_PATH, RTLD_LOCAL);
	assert_int_equal(tps_tracepoint_probe_register_by_name("myapp:req_load", "int id",
	                                                       FN(load_probe), NULL, 10,
	                                                       TPS_PROBE_MAY_FAULT),
	                 0);
	unit_puppet_start(&reader);
	unit_puppet_start(&closer);
	unit_puppet_post(&reader, faultable_probe_step);
	unit_sleep_ms(20);
	unit_puppet_post(&closer, close_step);
	wait_deadlock_free(&reader, &closer, "dladdr() in a faultable probe against dlclose()");
	unit_puppet_stop(&reader);
	unit_puppet_stop(&closer);
	assert_int_equal(
	        tps_tracepoint_probe_unregister_by_name("myapp:req_load", FN(load_probe), NULL), 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_global_load_keeps_instances_apart),
	        cmocka_unit_test(test_global_unload_of_first_definer),
	        cmocka_unit_test(test_second_definer_fired_before_its_constructors),
	        cmocka_unit_test(test_second_definer_early_typed_registration),
	        cmocka_unit_test(test_sdt_semaphore_of_linked_library),
	        cmocka_unit_test(test_short_layout_refused),
	        cmocka_unit_test(test_callback_dl_iterate_phdr_during_dlopen),
	        cmocka_unit_test(test_callback_dladdr_during_dlopen),
	        cmocka_unit_test(test_faultable_probe_dladdr_during_dlclose),
	};

	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
