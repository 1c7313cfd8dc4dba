/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/test_srcu.c - SRCU domains and srcu-fast: every function and
 * error code of <tpsync/srcu.h>, the ops tables, the rules debug builds check.
 *
 * Each test runs for a classic domain and a fast one where it applies, and
 * for static domains (TPS_DEFINE_SRCU) as well as dynamic ones. Waits that a
 * reader must hold back are given UNIT_GRACE_MS to end too early; a correct
 * library passes whatever the value.
 */
#include "unit.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <tpsync/flavor.h>
#include <tpsync/rcu.h>
#include <tpsync/srcu.h>

/* Longest a polled grace period may take to complete on its own (a hang). */
#define POLL_LIMIT_MS 20000

TPS_DEFINE_SRCU(global_static);
TPS_DEFINE_SRCU_FAST(global_static_fast);
TPS_DEFINE_STATIC_SRCU(file_static);
TPS_DEFINE_STATIC_SRCU_FAST(file_static_fast);

/* ---- One kind of domain, so that a test body serves them all. ---- */

struct kind {
	const char *name;
	unsigned int flags; /* for tps_srcu_init_flags(); ~0u: a static domain */
	struct tps_srcu *static_domain;
};

static const struct kind kinds[] = {
        {"classic", 0, NULL},
        {"fast", TPS_SRCU_FAST, NULL},
        {"classic-atomic", TPS_SRCU_ATOMIC, NULL},
        {"fast-atomic", TPS_SRCU_FAST | TPS_SRCU_ATOMIC, NULL},
        {"fast-fence", TPS_SRCU_FAST | TPS_SRCU_FENCE, NULL},
        {"static", ~0u, &global_static},
        {"static-fast", ~0u, &global_static_fast},
        {"file-static", ~0u, &file_static},
        {"file-static-fast", ~0u, &file_static_fast},
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

static struct tps_srcu dyn_domain;
TPS_DEFINE_STATIC_SRCU(overlap_domain);

/* The domain the puppet steps use, and whether it takes fast readers. */
static struct tps_srcu *dom;
static bool dom_fast;

static bool is_fast(struct tps_srcu *s)
{
	return atomic_load(&s->state) & TPS__SRCU_FAST;
}

static struct tps_srcu *kind_domain(const struct kind *k)
{
	if (k->static_domain)
		dom = k->static_domain;
	else {
		assert_int_equal(tps_srcu_init_flags(&dyn_domain, k->flags), 0);
		dom = &dyn_domain;
	}
	dom_fast = is_fast(dom);
	return dom;
}

static void kind_done(const struct kind *k)
{
	if (!k->static_domain)
		assert_int_equal(tps_srcu_cleanup(&dyn_domain), 0);
}

static int lock(struct tps_srcu *s)
{
	return is_fast(s) ? tps_srcu_read_lock_fast(s) : tps_srcu_read_lock(s);
}

static void unlock(struct tps_srcu *s, int idx)
{
	if (is_fast(s))
		tps_srcu_read_unlock_fast(s, idx);
	else
		tps_srcu_read_unlock(s, idx);
}

/* ---- Puppet steps (on dom). ---- */

static int step_idx;
static atomic_int step_rc;

static void step_lock(void)
{
	step_idx = lock(dom);
}

static void step_unlock(void)
{
	unlock(dom, step_idx);
}

static void step_synchronize(void)
{
	step_rc = tps_synchronize_srcu(dom);
}

static void step_barrier(void)
{
	step_rc = tps_srcu_barrier(dom);
}

static unsigned long step_cookie;

static void step_cond_synchronize(void)
{
	step_rc = tps_cond_synchronize_srcu(dom, step_cookie);
}

/*
 * A reader puppet enters dom with lock_step; step runs on another puppet and
 * must wait for it.
 */
static void expect_held_back_by(void (*lock_step)(void), void (*step)(void))
{
	struct unit_puppet reader, updater;

	unit_puppet_start(&reader);
	unit_puppet_start(&updater);
	unit_puppet_run(&reader, lock_step);
	unit_puppet_post(&updater, step);
	unit_puppet_settle(&updater);
	unit_sleep_ms(UNIT_GRACE_MS);
	assert_false(unit_puppet_done(&updater));
	unit_puppet_run(&reader, step_unlock);
	unit_puppet_wait(&updater);
	assert_int_equal(step_rc, 0);
	unit_puppet_stop(&updater);
	unit_puppet_stop(&reader);
}

/* A reader puppet holds dom; step runs on another puppet and must wait for it. */
static void expect_held_back(void (*step)(void))
{
	expect_held_back_by(step_lock, step);
}

static atomic_int cb_runs;

static void count_cb(struct tps_rcu_head *head)
{
	(void)head;
	atomic_fetch_add(&cb_runs, 1);
}

/* ---- Domains: init, cleanup, errors. ---- */

static void test_init_errors(void **state)
{
	struct tps_srcu s;

	(void)state;
	assert_int_equal(tps_srcu_init(NULL), -EINVAL);
	assert_int_equal(tps_srcu_init_fast(NULL), -EINVAL);
	assert_int_equal(tps_srcu_init_flags(NULL, 0), -EINVAL);
	memset(&s, 0x5a, sizeof(s));
	assert_int_equal(tps_srcu_init_flags(&s, 0x100), -EINVAL);
	assert_int_equal(tps_srcu_init_flags(&s, ~0u), -EINVAL);
	/* Nothing was initialized: s is as it was. */
	assert_int_equal(tps_srcu_cleanup(&s), -EINVAL);
}

static void test_init_enomem(void **state)
{
	struct tps_srcu s, copy;

	(void)state;
	memset(&s, 0x5a, sizeof(s));
	copy = s;
	tps__srcu_fail_next_alloc();
	assert_int_equal(tps_srcu_init(&s), -ENOMEM);
	assert_memory_equal(&s, &copy, sizeof(s));
	assert_int_equal(tps_srcu_cleanup(&s), -EINVAL);
	tps__srcu_fail_next_alloc();
	assert_int_equal(tps_srcu_init_fast(&s), -ENOMEM);
	assert_memory_equal(&s, &copy, sizeof(s));
	/* The hook fails one allocation only. */
	assert_int_equal(tps_srcu_init_fast(&s), 0);
	assert_int_equal(tps_srcu_cleanup(&s), 0);
}

static void test_cleanup_errors(void **state)
{
	struct tps_srcu s;
	struct tps_rcu_head head;

	(void)state;
	assert_int_equal(tps_srcu_cleanup(NULL), -EINVAL);
	memset(&s, 0, sizeof(s));
	assert_int_equal(tps_srcu_cleanup(&s), -EINVAL);
	memset(&s, 0xff, sizeof(s));
	assert_int_equal(tps_srcu_cleanup(&s), -EINVAL);

	assert_int_equal(tps_srcu_init(&s), 0);
	/* A live domain is not initialized again (it would leak and corrupt). */
	assert_int_equal(tps_srcu_init(&s), -EBUSY);
	assert_int_equal(tps_srcu_init_fast(&s), -EBUSY);
	assert_int_equal(tps_synchronize_srcu(&s), 0);
	assert_int_equal(tps_srcu_cleanup(&s), 0);
	assert_int_equal(tps_srcu_cleanup(&s), -EINVAL);
	/* A cleaned-up domain is refused by every function that can say so. */
	assert_int_equal(tps_synchronize_srcu(&s), -EINVAL);
	assert_int_equal(tps_srcu_barrier(&s), -EINVAL);
	assert_int_equal(tps_call_srcu(&s, &head, count_cb), -EINVAL);
	assert_int_equal(tps_cond_synchronize_srcu(&s, 0), -EINVAL);
	assert_int_equal(tps_synchronize_srcu(NULL), -EINVAL);
	assert_int_equal(tps_srcu_barrier(NULL), -EINVAL);
	assert_int_equal(tps_call_srcu(NULL, &head, count_cb), -EINVAL);
	assert_int_equal(tps_cond_synchronize_srcu(NULL, 0), -EINVAL);
	assert_false(tps_srcu_read_lock_held(NULL));
	assert_false(tps_srcu_read_lock_held(&s));
	/* It can be initialized again. */
	assert_int_equal(tps_srcu_init_fast(&s), 0);
	assert_int_equal(tps_synchronize_srcu(&s), 0);
	assert_int_equal(tps_srcu_cleanup(&s), 0);
}

/* Release builds: the cookie functions have no error return. */
static void test_cookie_functions_invalid_domain(void **state)
{
	struct tps_srcu s;

	(void)state;
	if (TPSYNC_DEBUG)
		skip(); /* they abort there: test_rules_invalid_domain */
	memset(&s, 0, sizeof(s));
	assert_false(tps_poll_state_synchronize_srcu(&s, tps_get_state_synchronize_srcu(&s)));
	assert_false(tps_poll_state_synchronize_srcu(NULL, 0));
	assert_false(tps_poll_state_synchronize_srcu(&s, tps_start_poll_synchronize_srcu(&s)));
}

/* -EBUSY while a reader is inside; the domain keeps working. */
static void test_cleanup_busy_reader(void **state)
{
	struct unit_puppet reader;
	size_t k;

	(void)state;
	unit_puppet_start(&reader);
	for (k = 0; k < NKINDS; k++) {
		struct tps_srcu *s = kind_domain(&kinds[k]);
		int idx;

		/* On this thread. */
		idx = lock(s);
		assert_int_equal(tps_srcu_cleanup(s), -EBUSY);
		unlock(s, idx);
		/* On another thread, nested. */
		unit_puppet_run(&reader, step_lock);
		idx = step_idx;
		unit_puppet_run(&reader, step_lock);
		assert_int_equal(tps_srcu_cleanup(s), -EBUSY);
		unit_puppet_run(&reader, step_unlock);
		assert_int_equal(tps_srcu_cleanup(s), -EBUSY);
		step_idx = idx;
		unit_puppet_run(&reader, step_unlock);
		/* Still working: a grace period waits for a reader. */
		expect_held_back(step_synchronize);
		assert_int_equal(tps_synchronize_srcu(s), 0);
		kind_done(&kinds[k]);
	}
	unit_puppet_stop(&reader);
}

/* A static domain can be cleaned up (once), then initialized dynamically. */
TPS_DEFINE_STATIC_SRCU(cleanup_static);
TPS_DEFINE_STATIC_SRCU_FAST(cleanup_static_fast);
TPS_DEFINE_STATIC_SRCU(readers_only_static);

static void test_cleanup_static(void **state)
{
	struct tps_srcu *statics[2] = {&cleanup_static, &cleanup_static_fast};
	struct tps_rcu_head head;
	int i;

	(void)state;
	/* A static domain in use is live: no second initialization. */
	tps_srcu_read_unlock_fast(&cleanup_static_fast,
	                          tps_srcu_read_lock_fast(&cleanup_static_fast));
	assert_int_equal(tps_synchronize_srcu(&cleanup_static_fast), 0);
	assert_int_equal(tps_srcu_init_fast(&cleanup_static_fast), -EBUSY);
	/* Used by readers only, one of them still inside: live too. */
	i = tps_srcu_read_lock(&readers_only_static);
	assert_int_equal(tps_srcu_init(&readers_only_static), -EBUSY);
	tps_srcu_read_unlock(&readers_only_static, i);
	assert_int_equal(tps_synchronize_srcu(&readers_only_static), 0);
	/* Never used at all. */
	assert_int_equal(tps_srcu_cleanup(&cleanup_static), 0);
	assert_int_equal(tps_srcu_cleanup(&cleanup_static), -EINVAL);
	assert_int_equal(tps_srcu_init(&cleanup_static), 0);
	for (i = 0; i < 2; i++) {
		struct tps_srcu *s = statics[i];

		unlock(s, lock(s));
		atomic_store(&cb_runs, 0);
		assert_int_equal(tps_call_srcu(s, &head, count_cb), 0);
		assert_int_equal(tps_srcu_barrier(s), 0);
		assert_int_equal(tps_srcu_cleanup(s), 0);
		assert_int_equal(atomic_load(&cb_runs), 1);
		assert_int_equal(tps_srcu_cleanup(s), -EINVAL);
		assert_int_equal(tps_synchronize_srcu(s), -EINVAL);
		assert_int_equal(tps_srcu_init_flags(s, i ? TPS_SRCU_FAST : 0), 0);
		unlock(s, lock(s));
		assert_int_equal(tps_synchronize_srcu(s), 0);
		assert_int_equal(tps_srcu_cleanup(s), 0);
	}
}

/* -EBUSY while callbacks are pending. */
static void test_cleanup_busy_callbacks(void **state)
{
	struct unit_puppet reader;
	struct tps_rcu_head head;
	struct tps_srcu s;

	(void)state;
	assert_int_equal(tps_srcu_init(&s), 0);
	dom = &s;
	unit_puppet_start(&reader);
	unit_puppet_run(&reader, step_lock);
	atomic_store(&cb_runs, 0);
	assert_int_equal(tps_call_srcu(&s, &head, count_cb), 0);
	unit_puppet_run(&reader, step_unlock);
	/* The reader is gone; the callback may or may not have run yet. */
	while (tps_srcu_cleanup(&s) == -EBUSY) {
		assert_int_equal(tps_srcu_barrier(&s), 0);
		assert_int_equal(atomic_load(&cb_runs), 1);
	}
	assert_int_equal(atomic_load(&cb_runs), 1);
	unit_puppet_stop(&reader);

	/* Pending for sure: the reader holds the callback back. */
	assert_int_equal(tps_srcu_init(&s), 0);
	unit_puppet_start(&reader);
	unit_puppet_run(&reader, step_lock);
	atomic_store(&cb_runs, 0);
	assert_int_equal(tps_call_srcu(&s, &head, count_cb), 0);
	assert_int_equal(tps_srcu_cleanup(&s), -EBUSY);
	unit_puppet_run(&reader, step_unlock);
	assert_int_equal(tps_srcu_barrier(&s), 0);
	assert_int_equal(atomic_load(&cb_runs), 1);
	assert_int_equal(tps_srcu_cleanup(&s), 0);
	unit_puppet_stop(&reader);
}

/* -EBUSY, not a wait, while a grace period waits for the caller's own reader. */
static void test_cleanup_busy_grace_period(void **state)
{
	struct unit_puppet updater;
	struct tps_srcu s;
	int idx;

	(void)state;
	assert_int_equal(tps_srcu_init_fast(&s), 0);
	dom = &s;
	idx = tps_srcu_read_lock_fast(&s);
	unit_puppet_start(&updater);
	unit_puppet_post(&updater, step_synchronize);
	unit_puppet_settle(&updater);
	assert_false(unit_puppet_done(&updater));
	assert_int_equal(tps_srcu_cleanup(&s), -EBUSY);
	tps_srcu_read_unlock_fast(&s, idx);
	unit_puppet_wait(&updater);
	assert_int_equal(tps_srcu_cleanup(&s), 0);
	unit_puppet_stop(&updater);
}

/* ---- Readers. ---- */

static void test_lock_index(void **state)
{
	size_t k;

	(void)state;
	for (k = 0; k < NKINDS; k++) {
		struct tps_srcu *s = kind_domain(&kinds[k]);
		int first, idx;

		first = lock(s);
		assert_true(first == 0 || first == 1);
		unlock(s, first);
		/* With no reader, the grace period needs no flip. */
		assert_int_equal(tps_synchronize_srcu(s), 0);
		idx = lock(s);
		assert_int_equal(idx, first);
		unlock(s, idx);
		/* With a reader inside, it flips the index once. */
		expect_held_back(step_synchronize);
		idx = lock(s);
		assert_int_equal(idx, !first);
		unlock(s, idx);
		kind_done(&kinds[k]);
	}
}

static void test_nesting(void **state)
{
	struct tps_srcu a, b;
	int i1, i2, i3, j;

	(void)state;
	assert_int_equal(tps_srcu_init(&a), 0);
	assert_int_equal(tps_srcu_init_fast(&b), 0);
	i1 = tps_srcu_read_lock(&a);
	j = tps_srcu_read_lock_fast(&b);
	i2 = tps_srcu_read_lock(&a);
	i3 = tps_srcu_read_lock(&a);
	if (TPSYNC_DEBUG) {
		assert_true(tps_srcu_read_lock_held(&a));
		assert_true(tps_srcu_read_lock_held(&b));
	}
	/* Unlocks need not mirror the locks across domains. */
	tps_srcu_read_unlock(&a, i3);
	tps_srcu_read_unlock_fast(&b, j);
	tps_srcu_read_unlock(&a, i2);
	assert_int_equal(tps_srcu_cleanup(&a), -EBUSY);
	assert_int_equal(tps_synchronize_srcu(&b), 0);
	tps_srcu_read_unlock(&a, i1);
	if (TPSYNC_DEBUG) {
		assert_false(tps_srcu_read_lock_held(&a));
		assert_false(tps_srcu_read_lock_held(&b));
	} else {
		/* Release builds keep no record: "held" is the safe answer. */
		assert_true(tps_srcu_read_lock_held(&a));
	}
	assert_int_equal(tps_srcu_cleanup(&a), 0);
	assert_int_equal(tps_srcu_cleanup(&b), 0);
}

struct deref_obj {
	int value;
};

static struct deref_obj *deref_ptr;

static void test_dereference(void **state)
{
	static struct deref_obj obj = {42};
	size_t k;

	(void)state;
	tps_rcu_assign_pointer(deref_ptr, &obj);
	for (k = 0; k < NKINDS; k++) {
		struct tps_srcu *s = kind_domain(&kinds[k]);
		int idx = lock(s);
		struct deref_obj *p = tps_srcu_dereference(deref_ptr, s);

		assert_ptr_equal(p, &obj);
		assert_int_equal(p->value, 42);
		unlock(s, idx);
		kind_done(&kinds[k]);
	}
}

static void *unregistered_reader(void *arg)
{
	struct tps_srcu *s = arg;
	int idx;

	idx = lock(s);
	unlock(s, idx);
	return (void *)(long)tps_thread_registered();
}

/* SRCU readers need no registered thread and do not register one. */
static void test_unregistered_readers(void **state)
{
	size_t k;

	(void)state;
	for (k = 0; k < NKINDS; k++) {
		struct tps_srcu *s = kind_domain(&kinds[k]);
		pthread_t t = unit_thread_start(unregistered_reader, s);
		void *registered;

		assert_int_equal(pthread_join(t, &registered), 0);
		assert_null(registered);
		kind_done(&kinds[k]);
	}
}

static atomic_int blocking_state; /* 1: inside, 2: about to unlock */

/* A grace period waits for a reader that sleeps and makes syscalls. */
static void step_blocking_section(void)
{
	int idx = lock(dom);
	char buf[64];
	int fds[2];

	atomic_store(&blocking_state, 1);
	unit_sleep_ms(UNIT_GRACE_MS);
	if (pipe(fds) == 0) {
		ssize_t r = write(fds[1], "x", 1);

		r = read(fds[0], buf, 1);
		(void)r;
		close(fds[0]);
		close(fds[1]);
	}
	unit_sleep_ms(UNIT_GRACE_MS);
	atomic_store(&blocking_state, 2);
	unlock(dom, idx);
}

static void test_synchronize_waits(void **state)
{
	size_t k;

	(void)state;
	for (k = 0; k < NKINDS; k++) {
		struct unit_puppet reader;

		kind_domain(&kinds[k]);
		expect_held_back(step_synchronize);
		/* A reader that blocks: synchronize returns only after it left. */
		unit_puppet_start(&reader);
		atomic_store(&blocking_state, 0);
		unit_puppet_post(&reader, step_blocking_section);
		while (atomic_load(&blocking_state) == 0)
			unit_sleep_ms(1);
		assert_int_equal(tps_synchronize_srcu(dom), 0);
		assert_int_equal(atomic_load(&blocking_state), 2);
		unit_puppet_wait(&reader);
		unit_puppet_stop(&reader);
		kind_done(&kinds[k]);
	}
}

/* An updater waiting for a long reader sleeps, and the reader's unlock wakes it. */
static void test_updater_sleeps_and_wakes(void **state)
{
	size_t k;

	(void)state;
	for (k = 0; k < NKINDS; k++) {
		struct unit_puppet reader, updater;

		kind_domain(&kinds[k]);
		unit_puppet_start(&reader);
		unit_puppet_start(&updater);
		unit_puppet_run(&reader, step_lock);
		unit_puppet_post(&updater, step_synchronize);
		unit_puppet_settle(&updater);
		assert_false(unit_puppet_done(&updater));
		/* Not spinning: asleep in the kernel. */
		assert_true(unit_thread_sleeping(updater.tid));
		unit_puppet_run(&reader, step_unlock);
		/* A lost wake-up would hang here (the ctest timeout). */
		unit_puppet_wait(&updater);
		assert_int_equal(step_rc, 0);
		unit_puppet_stop(&updater);
		unit_puppet_stop(&reader);
		kind_done(&kinds[k]);
	}
}

/*
 * Of several readers the updater waits for, only the last to leave wakes it:
 * one wake-up, not one per reader.
 */
static void test_last_reader_wakes(void **state)
{
	size_t k;
	int i;

	(void)state;
	for (k = 0; k < NKINDS; k++) {
		struct unit_puppet readers[3], updater;
		unsigned long wakeups;

		kind_domain(&kinds[k]);
		for (i = 0; i < 3; i++) {
			unit_puppet_start(&readers[i]);
			unit_puppet_run(&readers[i], step_lock);
		}
		unit_puppet_start(&updater);
		unit_puppet_post(&updater, step_synchronize);
		unit_puppet_settle(&updater);
		assert_true(unit_thread_sleeping(updater.tid));
		wakeups = tps__srcu_reader_wakeups();
		unit_puppet_run(&readers[0], step_unlock);
		unit_puppet_run(&readers[1], step_unlock);
		unit_sleep_ms(UNIT_GRACE_MS);
		assert_false(unit_puppet_done(&updater));
		assert_int_equal(tps__srcu_reader_wakeups(), wakeups);
		unit_puppet_run(&readers[2], step_unlock);
		unit_puppet_wait(&updater);
		assert_int_equal(step_rc, 0);
		assert_int_equal(tps__srcu_reader_wakeups(), wakeups + 1);
		unit_puppet_stop(&updater);
		for (i = 0; i < 3; i++)
			unit_puppet_stop(&readers[i]);
		kind_done(&kinds[k]);
	}
}

/* Readers that come and go do not keep a grace period from ending. */
static atomic_int churn_stop;

static void *churn_reader(void *arg)
{
	struct tps_srcu *s = arg;

	while (!atomic_load(&churn_stop)) {
		int idx = lock(s);

		unlock(s, idx);
	}
	return NULL;
}

static void test_progress_with_busy_readers(void **state)
{
	size_t k;

	(void)state;
	for (k = 0; k < NKINDS; k++) {
		struct tps_srcu *s = kind_domain(&kinds[k]);
		pthread_t t[2];
		int i;

		atomic_store(&churn_stop, 0);
		t[0] = unit_thread_start(churn_reader, s);
		t[1] = unit_thread_start(churn_reader, s);
		for (i = 0; i < 20; i++)
			assert_int_equal(tps_synchronize_srcu(s), 0);
		atomic_store(&churn_stop, 1);
		unit_thread_join(t[0]);
		unit_thread_join(t[1]);
		kind_done(&kinds[k]);
	}
}

/* Several updaters at once: all return, and a reader still holds them all. */
static void test_concurrent_updaters(void **state)
{
	struct unit_puppet reader, u[3];
	unsigned long before, after;
	size_t k;
	int i;

	(void)state;
	for (k = 0; k < NKINDS; k++) {
		kind_domain(&kinds[k]);
		before = tps_get_state_synchronize_srcu(dom);
		unit_puppet_start(&reader);
		unit_puppet_run(&reader, step_lock);
		for (i = 0; i < 3; i++) {
			unit_puppet_start(&u[i]);
			unit_puppet_post(&u[i], step_synchronize);
		}
		for (i = 0; i < 3; i++)
			unit_puppet_settle(&u[i]);
		unit_sleep_ms(UNIT_GRACE_MS);
		for (i = 0; i < 3; i++)
			assert_false(unit_puppet_done(&u[i]));
		unit_puppet_run(&reader, step_unlock);
		for (i = 0; i < 3; i++)
			unit_puppet_wait(&u[i]);
		/*
		 * SRCU cookies advance by one per grace period. The first
		 * caller's grace period began before the others called: they
		 * share the next one, two in all, not three.
		 */
		after = tps_get_state_synchronize_srcu(dom);
		assert_in_range(after - before, 1, 2);
		for (i = 0; i < 3; i++)
			unit_puppet_stop(&u[i]);
		unit_puppet_stop(&reader);
		kind_done(&kinds[k]);
	}
}

#define FAULT_PAGES 64
static long fault_page;
static unsigned char *fault_map;
static long fault_minflt;
static unsigned long fault_sum;

/* Inside a reader of dom: tps_might_fault() (legal here), then real faults. */
static void step_lock_and_fault(void)
{
	long before = unit_thread_faults();
	int i;

	step_idx = lock(dom);
	tps_might_fault();
	for (i = 0; i < FAULT_PAGES; i++)
		fault_sum += fault_map[(long)i * fault_page];
	fault_minflt = unit_thread_faults() - before;
}

/* SRCU readers may take page faults: the grace period simply waits. */
static void test_reader_takes_page_faults(void **state)
{
	size_t k;
	long len;

	(void)state;
	fault_page = sysconf(_SC_PAGESIZE);
	len = fault_page * FAULT_PAGES;
	for (k = 0; k < NKINDS; k++) {
		fault_map = unit_map_fresh_file((size_t)len);
		kind_domain(&kinds[k]);
		expect_held_back_by(step_lock_and_fault, step_synchronize);
		assert_true(fault_minflt > 0); /* the pages were not there: real faults */
		munmap(fault_map, (size_t)len);
		kind_done(&kinds[k]);
	}
}

/* Domains are independent: a reader of B does not hold back A, on any thread. */
static void test_domains_independent(void **state)
{
	struct unit_puppet reader;
	struct tps_srcu a, b;
	int ia, ib;

	(void)state;
	assert_int_equal(tps_srcu_init(&a), 0);
	assert_int_equal(tps_srcu_init_fast(&b), 0);
	/* Another thread holds B for the whole test. */
	unit_puppet_start(&reader);
	dom = &b;
	unit_puppet_run(&reader, step_lock);
	assert_int_equal(tps_synchronize_srcu(&a), 0);
	/* Inside a reader of B (and of A's static cousin), A's grace period runs. */
	ib = tps_srcu_read_lock_fast(&b);
	ia = tps_srcu_read_lock(&global_static);
	assert_int_equal(tps_synchronize_srcu(&a), 0);
	assert_int_equal(tps_cond_synchronize_srcu(&a, tps_get_state_synchronize_srcu(&a)), 0);
	atomic_store(&cb_runs, 0);
	{
		struct tps_rcu_head head;

		assert_int_equal(tps_call_srcu(&a, &head, count_cb), 0);
		assert_int_equal(tps_srcu_barrier(&a), 0);
	}
	assert_int_equal(atomic_load(&cb_runs), 1);
	tps_srcu_read_unlock(&global_static, ia);
	tps_srcu_read_unlock_fast(&b, ib);
	unit_puppet_run(&reader, step_unlock);
	unit_puppet_stop(&reader);
	assert_int_equal(tps_srcu_cleanup(&a), 0);
	assert_int_equal(tps_srcu_cleanup(&b), 0);
}

/* ---- Signal handlers. ---- */

TPS_DEFINE_STATIC_SRCU(handler_domain);
static atomic_int handler_state; /* 1 inside, 2 left */
static atomic_int host_ready;
static atomic_int handler_release;
static struct deref_obj *handler_ptr;
static int handler_value;

static void on_sigusr1(int sig)
{
	int idx;

	(void)sig;
	/* The domain's very first reader runs here: no allocation, no init. */
	idx = tps_srcu_read_lock(&handler_domain);
	handler_value = tps_srcu_dereference(handler_ptr, &handler_domain)->value;
	atomic_store(&handler_state, 1);
	while (!atomic_load(&handler_release)) {
		struct timespec ts = {0, 1000000};

		nanosleep(&ts, NULL);
	}
	tps_srcu_read_unlock(&handler_domain, idx);
	atomic_store(&handler_state, 2);
}

static void *handler_host(void *arg)
{
	(void)arg;
	atomic_store(&host_ready, 1);
	while (atomic_load(&handler_state) != 2)
		unit_sleep_ms(1);
	return NULL;
}

static void test_signal_handler_reader(void **state)
{
	static struct deref_obj obj = {7};
	struct unit_puppet updater;
	struct sigaction sa;
	pthread_t host;
	int i;

	(void)state;
	tps_rcu_assign_pointer(handler_ptr, &obj);
	atomic_store(&handler_state, 0);
	atomic_store(&handler_release, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigusr1;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGUSR1, &sa, NULL), 0);
	atomic_store(&host_ready, 0);
	host = unit_thread_start(handler_host, NULL);
	while (!atomic_load(&host_ready))
		unit_sleep_ms(1);
	/* ThreadSanitizer delays signals to its own safe points: it may need another. */
	for (i = 0; atomic_load(&handler_state) != 1; i++) {
		if (i % 100 == 0 && atomic_load(&handler_state) == 0)
			assert_int_equal(pthread_kill(host, SIGUSR1), 0);
		unit_sleep_ms(1);
	}
	assert_int_equal(handler_value, 7);
	/* The grace period waits for the reader in the handler. */
	dom = &handler_domain;
	unit_puppet_start(&updater);
	unit_puppet_post(&updater, step_synchronize);
	unit_puppet_settle(&updater);
	unit_sleep_ms(UNIT_GRACE_MS);
	assert_false(unit_puppet_done(&updater));
	atomic_store(&handler_release, 1);
	unit_puppet_wait(&updater);
	assert_int_equal(step_rc, 0);
	unit_puppet_stop(&updater);
	unit_thread_join(host);
	signal(SIGUSR1, SIG_DFL);
}

/* ---- Callbacks and barrier. ---- */

static void test_call_errors(void **state)
{
	struct tps_rcu_head head;
	struct tps_srcu s;

	(void)state;
	assert_int_equal(tps_srcu_init(&s), 0);
	assert_int_equal(tps_call_srcu(&s, NULL, count_cb), -EINVAL);
	assert_int_equal(tps_call_srcu(&s, &head, NULL), -EINVAL);
	assert_int_equal(tps_srcu_barrier(&s), 0);
	assert_int_equal(tps_srcu_cleanup(&s), 0);
}

#define ORDER_CBS 8

struct order_cb {
	struct tps_rcu_head head;
	int n;
	pthread_t ran_on;
};

static int order_seen[ORDER_CBS];
static int order_count;

static void order_fn(struct tps_rcu_head *head)
{
	struct order_cb *c = tps_container_of(head, struct order_cb, head);

	c->ran_on = pthread_self();
	/* Callbacks run outside any reader of their domain. */
	if (TPSYNC_DEBUG && tps_srcu_read_lock_held(dom))
		c->n = -1;
	order_seen[order_count++] = c->n;
}

/* A callback waits for earlier readers; callbacks run in order, on a worker. */
static void test_call_srcu(void **state)
{
	struct order_cb cbs[ORDER_CBS];
	struct unit_puppet reader;
	size_t k;
	int i;

	(void)state;
	for (k = 0; k < NKINDS; k++) {
		kind_domain(&kinds[k]);
		unit_puppet_start(&reader);
		unit_puppet_run(&reader, step_lock);
		order_count = 0;
		for (i = 0; i < ORDER_CBS; i++) {
			cbs[i].n = i;
			assert_int_equal(tps_call_srcu(dom, &cbs[i].head, order_fn), 0);
		}
		unit_sleep_ms(UNIT_GRACE_MS);
		/* Held back by the reader (order_count is read racily: 0 is all we check). */
		assert_int_equal(__atomic_load_n(&order_count, __ATOMIC_ACQUIRE), 0);
		unit_puppet_run(&reader, step_unlock);
		assert_int_equal(tps_srcu_barrier(dom), 0);
		assert_int_equal(order_count, ORDER_CBS);
		for (i = 0; i < ORDER_CBS; i++) {
			assert_int_equal(order_seen[i], i);
			assert_false(pthread_equal(cbs[i].ran_on, pthread_self()));
		}
		/* A barrier with nothing queued returns at once. */
		assert_int_equal(tps_srcu_barrier(dom), 0);
		unit_puppet_stop(&reader);
		kind_done(&kinds[k]);
	}
}

/* The barrier waits for callbacks that wait for a reader. */
static void test_barrier_waits(void **state)
{
	struct tps_rcu_head head;

	(void)state;
	assert_int_equal(tps_srcu_init_fast(&dyn_domain), 0);
	dom = &dyn_domain;
	{
		struct unit_puppet reader, waiter;

		unit_puppet_start(&reader);
		unit_puppet_start(&waiter);
		unit_puppet_run(&reader, step_lock);
		atomic_store(&cb_runs, 0);
		assert_int_equal(tps_call_srcu(dom, &head, count_cb), 0);
		unit_puppet_post(&waiter, step_barrier);
		unit_puppet_settle(&waiter);
		unit_sleep_ms(UNIT_GRACE_MS);
		assert_false(unit_puppet_done(&waiter));
		unit_puppet_run(&reader, step_unlock);
		unit_puppet_wait(&waiter);
		assert_int_equal(step_rc, 0);
		assert_int_equal(atomic_load(&cb_runs), 1);
		unit_puppet_stop(&waiter);
		unit_puppet_stop(&reader);
	}
	assert_int_equal(tps_srcu_cleanup(&dyn_domain), 0);
}

/* A callback may synchronize its own domain and queue more callbacks. */
static struct tps_rcu_head chained_head;

static void chained_fn(struct tps_rcu_head *head)
{
	(void)head;
	if (tps_synchronize_srcu(dom) == 0)
		atomic_fetch_add(&cb_runs, 1);
}

static void chain_fn(struct tps_rcu_head *head)
{
	(void)head;
	atomic_fetch_add(&cb_runs, 1);
	tps_call_srcu(dom, &chained_head, chained_fn);
}

static void test_callback_reentry(void **state)
{
	struct tps_rcu_head head;

	(void)state;
	assert_int_equal(tps_srcu_init(&dyn_domain), 0);
	dom = &dyn_domain;
	atomic_store(&cb_runs, 0);
	assert_int_equal(tps_call_srcu(dom, &head, chain_fn), 0);
	/* The first barrier waits for chain_fn; chained_fn was queued after it. */
	assert_int_equal(tps_srcu_barrier(dom), 0);
	assert_int_equal(tps_srcu_barrier(dom), 0);
	assert_int_equal(atomic_load(&cb_runs), 2);
	assert_int_equal(tps_srcu_cleanup(&dyn_domain), 0);
}

/* ---- Polled grace periods. ---- */

static void test_cookies(void **state)
{
	size_t k;

	(void)state;
	for (k = 0; k < NKINDS; k++) {
		struct tps_srcu *s = kind_domain(&kinds[k]);
		unsigned long c1, c2;

		c1 = tps_get_state_synchronize_srcu(s);
		assert_false(tps_poll_state_synchronize_srcu(s, c1));
		c2 = tps_get_state_synchronize_srcu(s);
		assert_false(tps_poll_state_synchronize_srcu(s, c2));
		assert_int_equal(tps_synchronize_srcu(s), 0);
		assert_true(tps_poll_state_synchronize_srcu(s, c1));
		assert_true(tps_poll_state_synchronize_srcu(s, c2));
		/* cond_synchronize of an elapsed cookie returns at once, even in a reader. */
		{
			int idx = lock(s);

			assert_int_equal(tps_cond_synchronize_srcu(s, c1), 0);
			unlock(s, idx);
		}
		/* ...and of a fresh one waits for a grace period. */
		step_cookie = tps_get_state_synchronize_srcu(s);
		assert_false(tps_poll_state_synchronize_srcu(s, step_cookie));
		expect_held_back(step_cond_synchronize);
		assert_true(tps_poll_state_synchronize_srcu(s, step_cookie));
		kind_done(&kinds[k]);
	}
}

/* Waits (bounded: a hang is a failure) until cookie completes on its own. */
static bool poll_until_done(struct tps_srcu *s, unsigned long cookie)
{
	unsigned int waited;

	for (waited = 0; waited < POLL_LIMIT_MS; waited++) {
		if (tps_poll_state_synchronize_srcu(s, cookie))
			return true;
		unit_sleep_ms(1);
	}
	return false;
}

static void test_start_poll(void **state)
{
	size_t k;

	(void)state;
	for (k = 0; k < NKINDS; k++) {
		struct tps_srcu *s = kind_domain(&kinds[k]);
		struct unit_puppet reader;
		unsigned long c, c2;

		/* Nobody calls synchronize: the worker runs the grace period. */
		c = tps_start_poll_synchronize_srcu(s);
		assert_true(poll_until_done(s, c));
		/* With a reader inside: not before it leaves. */
		unit_puppet_start(&reader);
		unit_puppet_run(&reader, step_lock);
		c = tps_start_poll_synchronize_srcu(s);
		c2 = tps_start_poll_synchronize_srcu(s);
		unit_sleep_ms(UNIT_GRACE_MS);
		assert_false(tps_poll_state_synchronize_srcu(s, c));
		assert_false(tps_poll_state_synchronize_srcu(s, c2));
		unit_puppet_run(&reader, step_unlock);
		assert_true(poll_until_done(s, c2));
		assert_true(tps_poll_state_synchronize_srcu(s, c));
		unit_puppet_stop(&reader);
		/* Poll work still pending makes cleanup wait, then it succeeds. */
		if (!kinds[k].static_domain) {
			while (tps_srcu_cleanup(s) == -EBUSY)
				assert_int_equal(tps_srcu_barrier(s), 0);
		}
	}
}

/* ---- Modes. ---- */

TPS_DEFINE_STATIC_SRCU_FAST(mode_static);

static void test_modes(void **state)
{
	struct tps_srcu s;
	unsigned long w;

	(void)state;
	assert_int_equal(tps_srcu_init_flags(&s, TPS_SRCU_ATOMIC), 0);
	w = atomic_load(&s.state);
	assert_true(w & TPS__SRCU_ATOMIC);
	assert_false(w & TPS__SRCU_FAST);
	assert_int_equal(tps_srcu_cleanup(&s), 0);
	assert_int_equal(tps_srcu_init_flags(&s, TPS_SRCU_FAST | TPS_SRCU_FENCE), 0);
	w = atomic_load(&s.state);
	assert_true(w & TPS__SRCU_FENCE);
	assert_true(w & TPS__SRCU_FAST);
	assert_int_equal(tps_srcu_cleanup(&s), 0);
	assert_int_equal(tps_srcu_init(&s), 0);
	w = atomic_load(&s.state);
	/* The process's fallback (environment) gives every domain both fallbacks. */
	if (unit_env_forces_fallback())
		assert_int_equal(w & (TPS__SRCU_ATOMIC | TPS__SRCU_FENCE),
		                 TPS__SRCU_ATOMIC | TPS__SRCU_FENCE);
	assert_int_equal(!(w & TPS__SRCU_ATOMIC), tps_rseq_enabled());
	/* A domain freezes the fence mode, as a registered thread does. */
	assert_int_equal(tps_force_fallback(), -EBUSY);
	assert_int_equal(tps_srcu_cleanup(&s), 0);
	/* A static domain chooses its mode at its first use, as a dynamic one would. */
	assert_true(atomic_load(&mode_static.state) & TPS__SRCU_UNSET);
	tps_srcu_read_unlock_fast(&mode_static, tps_srcu_read_lock_fast(&mode_static));
	assert_false(atomic_load(&mode_static.state) & TPS__SRCU_UNSET);
	assert_int_equal(atomic_load(&mode_static.state) & ~TPS__SRCU_IDX,
	                 (w & ~TPS__SRCU_IDX) | TPS__SRCU_FAST);
}

/* ---- The ops tables. ---- */

static void test_flavor_tables(void **state)
{
	const struct tps_flavor *f[2] = {tps_flavor_find("srcu"), tps_flavor_find("srcu-fast")};
	struct tps_rcu_head head;
	struct tps_srcu s;
	int i, idx;

	(void)state;
	assert_ptr_equal(f[0], &tps_flavor_srcu);
	assert_ptr_equal(f[1], &tps_flavor_srcu_fast);
	for (i = 0; i < 2; i++) {
		unsigned long cookie;

		assert_string_equal(f[i]->name, i ? "srcu-fast" : "srcu");
		assert_int_equal(f[i]->flags,
		                 TPS_FLAVOR_HAS_DOMAINS | TPS_FLAVOR_READERS_MAY_BLOCK);
		assert_non_null(f[i]->read_lock);
		assert_non_null(f[i]->read_unlock);
		assert_true((f[i]->read_ongoing != NULL) == TPSYNC_DEBUG);
		assert_int_equal(tps_srcu_init_flags(&s, i ? TPS_SRCU_FAST : 0), 0);
		idx = f[i]->read_lock(&s);
		assert_true(idx == 0 || idx == 1);
		if (f[i]->read_ongoing)
			assert_true(f[i]->read_ongoing(&s));
		assert_int_equal(tps_srcu_cleanup(&s), -EBUSY);
		f[i]->read_unlock(&s, idx);
		if (f[i]->read_ongoing)
			assert_false(f[i]->read_ongoing(&s));
		cookie = f[i]->get_state(&s);
		assert_false(f[i]->poll_state(&s, cookie));
		f[i]->synchronize(&s);
		assert_true(f[i]->poll_state(&s, cookie));
		cookie = f[i]->get_state(&s);
		f[i]->cond_synchronize(&s, cookie);
		assert_true(f[i]->poll_state(&s, cookie));
		atomic_store(&cb_runs, 0);
		assert_int_equal(f[i]->call(&s, &head, NULL), -EINVAL);
		assert_int_equal(f[i]->call(&s, &head, count_cb), 0);
		f[i]->barrier(&s);
		assert_int_equal(atomic_load(&cb_runs), 1);
		assert_int_equal(tps_srcu_cleanup(&s), 0);
	}
}

/* ---- fork(). ---- */

static atomic_int child_runs;

static void child_cb(struct tps_rcu_head *head)
{
	(void)head;
	atomic_fetch_add(&child_runs, 1);
}

static void fork_child_body(void *arg)
{
	struct tps_rcu_head head;
	struct tps_srcu *s = arg;
	unsigned long cookie;
	unsigned int waited;
	int idx;

	idx = lock(s);
	unlock(s, idx);
	child_check(tps_synchronize_srcu(s) == 0);
	child_check(tps_call_srcu(s, &head, child_cb) == 0);
	child_check(tps_srcu_barrier(s) == 0);
	child_check(atomic_load(&child_runs) == 1);
	cookie = tps_start_poll_synchronize_srcu(s);
	for (waited = 0; !tps_poll_state_synchronize_srcu(s, cookie); waited++) {
		child_check(waited < POLL_LIMIT_MS);
		unit_sleep_ms(1);
	}
}

static atomic_int sync_loops;

static void *sync_loop(void *arg)
{
	while (!atomic_load(&churn_stop)) {
		tps_synchronize_srcu(arg);
		atomic_fetch_add(&sync_loops, 1);
	}
	return NULL;
}

/*
 * The child of a process whose domain has a worker thread and grace periods
 * going on in another thread (which may hold the domain's mutex at the fork).
 * No other thread is inside a reader at the fork: such a reader would never
 * leave in the child (srcu.h). Nor does any thread start at the fork:
 * AddressSanitizer's allocator, which a starting thread uses, may be left
 * locked in the child (gcc 12's libsanitizer has no fork handlers for it).
 */
static void test_fork(void **state)
{
	struct unit_child c;
	struct tps_rcu_head head;
	pthread_t t;
	size_t k;

	(void)state;
	/* ThreadSanitizer cannot run threads in the child of a multi-threaded fork. */
	if (UNIT_TSAN)
		skip();
	for (k = 0; k < NKINDS; k++) {
		struct tps_srcu *s = kind_domain(&kinds[k]);

		/* The worker runs, then gets a callback that may be pending at the fork. */
		atomic_store(&cb_runs, 0);
		assert_int_equal(tps_call_srcu(s, &head, count_cb), 0);
		assert_int_equal(tps_srcu_barrier(s), 0);
		assert_int_equal(tps_call_srcu(s, &head, count_cb), 0);
		atomic_store(&churn_stop, 0);
		atomic_store(&sync_loops, 0);
		t = unit_thread_start(sync_loop, s);
		while (atomic_load(&sync_loops) == 0)
			unit_sleep_ms(1);
		unit_run_child(fork_child_body, s, &c);
		atomic_store(&churn_stop, 1);
		unit_thread_join(t);
		unit_expect_success(&c);
		assert_int_equal(tps_srcu_barrier(s), 0);
		assert_int_equal(atomic_load(&cb_runs), 2);
		kind_done(&kinds[k]);
	}
}

/*
 * A thread inside tps__srcu_wake() at the fork (parked there by the test
 * hook) does not exist in the child: the child's cleanup must not wait for
 * it. The watchdog of unit_run_child() ends a child that hangs.
 */
static atomic_int parked_stage;

static void park_in_wake(struct tps_srcu *s)
{
	(void)s;
	atomic_store(&parked_stage, 1);
	while (atomic_load(&parked_stage) != 2)
		unit_sleep_ms(1);
}

static void *wake_thread(void *arg)
{
	tps__srcu_wake(arg, 0);
	return NULL;
}

static void cleanup_in_child(void *arg)
{
	/* Flushed now: a hang below ends in the watchdog's SIGALRM. */
	fprintf(stderr, "child: cleaning up with a parent thread inside the wake path\n");
	fflush(stderr);
	/* Cleanup takes microseconds; a hang ends in SIGALRM, a failure. */
	alarm(10);
	child_check(tps_srcu_cleanup(arg) == 0);
	alarm(0);
}

static void test_fork_with_thread_in_wake(void **state)
{
	struct unit_child c;
	struct tps_srcu s;
	pthread_t t;

	(void)state;
	if (UNIT_TSAN)
		skip();
	assert_int_equal(tps_srcu_init(&s), 0);
	atomic_store(&parked_stage, 0);
	tps__srcu_set_wake_hook(park_in_wake);
	t = unit_thread_start(wake_thread, &s);
	while (atomic_load(&parked_stage) != 1)
		unit_sleep_ms(1);
	unit_run_child(cleanup_in_child, &s, &c);
	atomic_store(&parked_stage, 2);
	unit_thread_join(t);
	tps__srcu_set_wake_hook(NULL);
	unit_expect_success(&c);
	assert_int_equal(tps_srcu_cleanup(&s), 0);
}

/*
 * The worker runs the poll callback (parked there by the test hook) at the
 * fork: in the child that callback counts as run, so a polled grace period
 * started there must still be driven to its end.
 */
static void park_in_poll(struct tps_srcu *s)
{
	(void)s;
	atomic_store(&parked_stage, 1);
	while (atomic_load(&parked_stage) != 2)
		unit_sleep_ms(1);
}

static void poll_in_child(void *arg)
{
	struct tps_srcu *s = arg;
	unsigned long c;
	unsigned int waited;

	tps__srcu_set_poll_hook(NULL);
	c = tps_start_poll_synchronize_srcu(s);
	for (waited = 0; waited < 5000 && !tps_poll_state_synchronize_srcu(s, c); waited++)
		unit_sleep_ms(1);
	child_check(tps_poll_state_synchronize_srcu(s, c));
}

static void test_fork_while_poll_callback_runs(void **state)
{
	struct unit_child c;
	struct tps_srcu s;

	(void)state;
	if (UNIT_TSAN)
		skip();
	assert_int_equal(tps_srcu_init(&s), 0);
	atomic_store(&parked_stage, 0);
	tps__srcu_set_poll_hook(park_in_poll);
	(void)tps_start_poll_synchronize_srcu(&s);
	while (atomic_load(&parked_stage) != 1)
		unit_sleep_ms(1);
	unit_run_child(poll_in_child, &s, &c);
	tps__srcu_set_poll_hook(NULL);
	atomic_store(&parked_stage, 2);
	assert_int_equal(tps_srcu_barrier(&s), 0);
	unit_expect_success(&c);
	assert_int_equal(tps_srcu_cleanup(&s), 0);
}

/* ---- The rules (forked children). ---- */

static void synchronize_in_own_reader(void *arg)
{
	struct tps_srcu *s = arg;

	lock(s);
	tps_synchronize_srcu(s);
}

static void cond_synchronize_in_own_reader(void *arg)
{
	struct tps_srcu *s = arg;
	unsigned long cookie = tps_get_state_synchronize_srcu(s);

	lock(s);
	tps_cond_synchronize_srcu(s, cookie);
}

static void barrier_in_own_reader(void *arg)
{
	struct tps_srcu *s = arg;

	lock(s);
	tps_srcu_barrier(s);
}

static void test_rules_same_domain(void **state)
{
	size_t k;

	(void)state;
	/* Release builds would wait for themselves forever: debug builds only. */
	if (!TPSYNC_DEBUG)
		skip();
	for (k = 0; k < NKINDS; k++) {
		struct tps_srcu *s = kind_domain(&kinds[k]);

		unit_expect_rule(synchronize_in_own_reader, s, "synchronize-in-reader", true);
		unit_expect_rule(cond_synchronize_in_own_reader, s, "synchronize-in-reader", true);
		unit_expect_rule(barrier_in_own_reader, s, "barrier-in-reader", true);
		kind_done(&kinds[k]);
	}
}

static struct tps_rcu_head barrier_cb_head;
static struct tps_srcu *barrier_cb_domain;

static void barrier_cb(struct tps_rcu_head *head)
{
	(void)head;
	tps_srcu_barrier(barrier_cb_domain);
}

static void barrier_in_callback(void *arg)
{
	barrier_cb_domain = arg;
	child_check(tps_call_srcu(arg, &barrier_cb_head, barrier_cb) == 0);
	tps_srcu_barrier(arg);
}

static struct tps_srcu other_domain;

static void barrier_other_domain_cb(struct tps_rcu_head *head)
{
	(void)head;
	child_check(tps_srcu_barrier(&other_domain) == 0);
	atomic_fetch_add(&cb_runs, 1);
}

static void barrier_of_other_domain_in_callback(void *arg)
{
	child_check(tps_srcu_init(&other_domain) == 0);
	child_check(tps_call_srcu(arg, &barrier_cb_head, barrier_other_domain_cb) == 0);
	child_check(tps_srcu_barrier(arg) == 0);
	child_check(atomic_load(&cb_runs) == 1);
}

static void test_rules_barrier_in_callback(void **state)
{
	(void)state;
	/* The children start worker threads, which ThreadSanitizer cannot run. */
	if (UNIT_TSAN)
		skip();
	assert_int_equal(tps_srcu_init(&dyn_domain), 0);
	/* Every build: it would wait for itself. */
	unit_expect_rule(barrier_in_callback, &dyn_domain, "barrier-in-callback", true);
	/* Another domain's barrier is fine in a callback. */
	atomic_store(&cb_runs, 0);
	unit_expect_rule(barrier_of_other_domain_in_callback, &dyn_domain, "", false);
	assert_int_equal(tps_srcu_cleanup(&dyn_domain), 0);
}

static void classic_lock_on_fast(void *arg)
{
	tps_srcu_read_lock(arg);
}

static void fast_lock_on_classic(void *arg)
{
	tps_srcu_read_lock_fast(arg);
}

static void fast_unlock_on_classic(void *arg)
{
	tps_srcu_read_unlock_fast(arg, tps_srcu_read_lock(arg));
}

static void test_rules_mixed_readers(void **state)
{
	struct unit_child c;

	(void)state;
	if (!TPSYNC_DEBUG)
		skip();
	assert_int_equal(tps_srcu_init(&dyn_domain), 0);
	assert_int_equal(tps_srcu_init_fast(&other_domain), 0);
	unit_run_child(classic_lock_on_fast, &other_domain, &c);
	unit_expect_abort(&c, "srcu-mixed-readers");
	assert_non_null(strstr(c.err, "mixed reader flavours"));
	unit_run_child(classic_lock_on_fast, &global_static_fast, &c);
	unit_expect_abort(&c, "srcu-mixed-readers");
	unit_run_child(fast_lock_on_classic, &dyn_domain, &c);
	unit_expect_abort(&c, "srcu-mixed-readers");
	assert_non_null(strstr(c.err, "mixed reader flavours"));
	unit_run_child(fast_lock_on_classic, &file_static, &c);
	unit_expect_abort(&c, "srcu-mixed-readers");
	unit_run_child(fast_unlock_on_classic, &dyn_domain, &c);
	unit_expect_abort(&c, "srcu-mixed-readers");
	assert_int_equal(tps_srcu_cleanup(&dyn_domain), 0);
	assert_int_equal(tps_srcu_cleanup(&other_domain), 0);
}

static void reader_on_uninitialized(void *arg)
{
	struct tps_srcu s;

	(void)arg;
	memset(&s, 0, sizeof(s));
	tps_srcu_read_lock(&s);
}

static void reader_on_cleaned(void *arg)
{
	struct tps_srcu s;

	(void)arg;
	child_check(tps_srcu_init_fast(&s) == 0);
	child_check(tps_srcu_cleanup(&s) == 0);
	tps_srcu_read_lock_fast(&s);
}

static void reader_on_null(void *arg)
{
	(void)arg;
	tps_srcu_read_lock(NULL);
}

static void get_state_on_uninitialized(void *arg)
{
	struct tps_srcu s;

	(void)arg;
	memset(&s, 0, sizeof(s));
	tps_get_state_synchronize_srcu(&s);
}

static void poll_on_null(void *arg)
{
	(void)arg;
	tps_poll_state_synchronize_srcu(NULL, 1);
}

static void start_poll_on_uninitialized(void *arg)
{
	struct tps_srcu s;

	(void)arg;
	memset(&s, 0, sizeof(s));
	tps_start_poll_synchronize_srcu(&s);
}

static void test_rules_invalid_domain(void **state)
{
	(void)state;
	if (!TPSYNC_DEBUG)
		skip(); /* release readers do not check; the others: test_cleanup_errors */
	unit_expect_rule(reader_on_uninitialized, NULL, "srcu-uninitialized", true);
	unit_expect_rule(reader_on_cleaned, NULL, "srcu-uninitialized", true);
	unit_expect_rule(reader_on_null, NULL, "srcu-uninitialized", true);
	unit_expect_rule(get_state_on_uninitialized, NULL, "srcu-uninitialized", true);
	unit_expect_rule(poll_on_null, NULL, "srcu-uninitialized", true);
	unit_expect_rule(start_poll_on_uninitialized, NULL, "srcu-uninitialized", true);
}

static void unlock_without_lock(void *arg)
{
	tps_srcu_read_unlock(arg, 0);
}

static void unlock_bad_index(void *arg)
{
	tps_srcu_read_lock(arg);
	tps_srcu_read_unlock(arg, 2);
}

static void unlock_other_domain(void *arg)
{
	tps_srcu_read_lock(&global_static);
	tps_srcu_read_unlock(arg, 0);
}

/*
 * The unlock passes the other index: the count of the lock's index stays
 * unbalanced, and the domain's next grace period would never end.
 */
static void unlock_wrong_index(void *arg)
{
	int idx = tps_srcu_read_lock(arg);

	tps_srcu_read_unlock(arg, !idx);
	/* Release builds get here: the grace period below never ends. */
	alarm(5);
	tps_synchronize_srcu(arg);
}

static void *lock_and_exit(void *arg)
{
	tps_srcu_read_lock(arg);
	return NULL;
}

static void unlock_on_other_thread(void *arg)
{
	pthread_t t = unit_thread_start(lock_and_exit, arg);

	unit_thread_join(t);
	tps_srcu_read_unlock(arg, 0);
}

static void dereference_outside_reader(void *arg)
{
	struct deref_obj *p = tps_srcu_dereference(deref_ptr, (struct tps_srcu *)arg);

	(void)p;
}

static void dereference_in_other_domain_reader(void *arg)
{
	int idx = tps_srcu_read_lock(&global_static);
	struct deref_obj *p = tps_srcu_dereference(deref_ptr, (struct tps_srcu *)arg);

	(void)p;
	tps_srcu_read_unlock(&global_static, idx);
}

static void test_rules_unbalanced(void **state)
{
	(void)state;
	if (!TPSYNC_DEBUG)
		skip();
	assert_int_equal(tps_srcu_init(&dyn_domain), 0);
	unit_expect_rule(unlock_without_lock, &dyn_domain, "srcu-unbalanced", true);
	unit_expect_rule(unlock_bad_index, &dyn_domain, "srcu-unbalanced", true);
	unit_expect_rule(unlock_other_domain, &dyn_domain, "srcu-unbalanced", true);
	unit_expect_rule(unlock_wrong_index, &dyn_domain, "srcu-wrong-index", true);
	if (!UNIT_TSAN) /* a thread in a forked child */
		unit_expect_rule(unlock_on_other_thread, &dyn_domain, "srcu-unbalanced", true);
	unit_expect_rule(dereference_outside_reader, &dyn_domain, "srcu-dereference", true);
	unit_expect_rule(dereference_in_other_domain_reader, &dyn_domain, "srcu-dereference", true);
	assert_int_equal(tps_srcu_cleanup(&dyn_domain), 0);
}

static void *synchronize_thread(void *arg)
{
	assert_int_equal(tps_synchronize_srcu(arg), 0);
	return NULL;
}

/*
 * Two overlapping readers of one domain on one thread that hold different
 * indexes (a grace period flipped the index between the locks) may unlock in
 * either order: legal in every build, the debug checks included.
 */
static void test_overlapped_indexes(void **state)
{
	int first, second, i;
	pthread_t t;

	(void)state;
	for (i = 0; i < 2; i++) {
		first = tps_srcu_read_lock(&overlap_domain);
		t = unit_thread_start(synchronize_thread, &overlap_domain);
		/* The grace period flips the index, then waits for us. */
		while ((int)(atomic_load(&overlap_domain.state) & TPS__SRCU_IDX) == first)
			unit_sleep_ms(1);
		second = tps_srcu_read_lock(&overlap_domain);
		assert_int_not_equal(first, second);
		if (i == 0) {
			tps_srcu_read_unlock(&overlap_domain, first);
			tps_srcu_read_unlock(&overlap_domain, second);
		} else {
			tps_srcu_read_unlock(&overlap_domain, second);
			tps_srcu_read_unlock(&overlap_domain, first);
		}
		unit_thread_join(t);
	}
	assert_int_equal(tps_synchronize_srcu(&overlap_domain), 0);
}

/* Readers nested across more domains than the debug table tracks stay legal. */
static void test_many_domains_nested(void **state)
{
	enum { N = 12 };
	struct tps_srcu s[N];
	int idx[N], i;

	(void)state;
	for (i = 0; i < N; i++)
		assert_int_equal(tps_srcu_init(&s[i]), 0);
	for (i = 0; i < N; i++)
		idx[i] = tps_srcu_read_lock(&s[i]);
	for (i = 0; i < N; i++) {
		struct deref_obj *p = tps_srcu_dereference(deref_ptr, &s[i]);

		(void)p;
		assert_true(tps_srcu_read_lock_held(&s[i]));
	}
	for (i = N - 1; i >= 0; i--)
		tps_srcu_read_unlock(&s[i], idx[i]);
	for (i = 0; i < N; i++) {
		if (TPSYNC_DEBUG)
			assert_false(tps_srcu_read_lock_held(&s[i]));
		assert_int_equal(tps_synchronize_srcu(&s[i]), 0);
		assert_int_equal(tps_srcu_cleanup(&s[i]), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_init_errors),
	        cmocka_unit_test(test_init_enomem),
	        cmocka_unit_test(test_cleanup_errors),
	        cmocka_unit_test(test_cookie_functions_invalid_domain),
	        cmocka_unit_test(test_cleanup_busy_reader),
	        cmocka_unit_test(test_cleanup_busy_callbacks),
	        cmocka_unit_test(test_cleanup_busy_grace_period),
	        cmocka_unit_test(test_cleanup_static),
	        cmocka_unit_test(test_lock_index),
	        cmocka_unit_test(test_nesting),
	        cmocka_unit_test(test_dereference),
	        cmocka_unit_test(test_unregistered_readers),
	        cmocka_unit_test(test_synchronize_waits),
	        cmocka_unit_test(test_updater_sleeps_and_wakes),
	        cmocka_unit_test(test_last_reader_wakes),
	        cmocka_unit_test(test_progress_with_busy_readers),
	        cmocka_unit_test(test_concurrent_updaters),
	        cmocka_unit_test(test_reader_takes_page_faults),
	        cmocka_unit_test(test_domains_independent),
	        cmocka_unit_test(test_signal_handler_reader),
	        cmocka_unit_test(test_call_errors),
	        cmocka_unit_test(test_call_srcu),
	        cmocka_unit_test(test_barrier_waits),
	        cmocka_unit_test(test_callback_reentry),
	        cmocka_unit_test(test_cookies),
	        cmocka_unit_test(test_start_poll),
	        cmocka_unit_test(test_modes),
	        cmocka_unit_test(test_flavor_tables),
	        cmocka_unit_test(test_fork),
	        cmocka_unit_test(test_fork_with_thread_in_wake),
	        cmocka_unit_test(test_fork_while_poll_callback_runs),
	        cmocka_unit_test(test_rules_same_domain),
	        cmocka_unit_test(test_rules_barrier_in_callback),
	        cmocka_unit_test(test_rules_mixed_readers),
	        cmocka_unit_test(test_rules_invalid_domain),
	        cmocka_unit_test(test_rules_unbalanced),
	        cmocka_unit_test(test_overlapped_indexes),
	        cmocka_unit_test(test_many_domains_nested),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
