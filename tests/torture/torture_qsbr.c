/* SPDX-License-Identifier: MIT */
/*
 * tests/torture/torture_qsbr.c - torture test of the QSBR flavour.
 *
 * Every reader thread (and every other updater) registers as a QSBR thread.
 * Between critical sections it announces a quiescent state, or skips one
 * (the next section then extends this one), or goes offline around a sleep
 * or a syscall: QSBR readers must not block, offline threads may. Churn
 * threads come and go, half of them unregistering explicitly, half exiting
 * registered. Signal handlers read only when the interrupted thread is
 * online. Updaters go through the library's ops table (tps_flavor_qsbr);
 * half of the readers use it, the other half the inline read side compiled
 * into this executable.
 *
 * Environment: TPSYNC_TORTURE_SECONDS=N (default 8), TPSYNC_FORCE_FALLBACK=1.
 */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include <tpsync/flavor.h>
#include <tpsync/rcu_qsbr.h>

#include "torture.h"

/* What the threads did between sections (checked: a run must do each). */
static _Atomic unsigned long n_qs, n_skipped, n_offline_sleeps, n_offline_syscalls;
static _Atomic unsigned long n_exit_registered, n_unregistered, n_errors;

static int inline_lock(void *domain)
{
	(void)domain;
	tps_qsbr_read_lock();
	return 0;
}

static void inline_unlock(void *domain, int idx)
{
	(void)domain;
	(void)idx;
	tps_qsbr_read_unlock();
}

static bool inline_ongoing(void *domain)
{
	(void)domain;
	return tps_qsbr_read_ongoing();
}

static const struct tps_flavor inline_readers = {
        .name = "qsbr-inline",
        .read_lock = inline_lock,
        .read_unlock = inline_unlock,
        .read_ongoing = TPSYNC_DEBUG ? inline_ongoing : NULL,
};

static void qsbr_error(const char *what)
{
	atomic_fetch_add(&n_errors, 1);
	fprintf(stderr, "torture_qsbr: ERROR: %s\n", what);
}

static void thread_start(void)
{
	if (tps_qsbr_register_thread() != 0)
		qsbr_error("tps_qsbr_register_thread() failed");
	if (!tps_rcu_is_watching())
		qsbr_error("a registered thread is not watching");
}

static void thread_end(void)
{
	static _Atomic unsigned long ends;

	/* Every other thread exits registered: the exit handler unregisters it. */
	if (atomic_fetch_add(&ends, 1) & 1) {
		atomic_fetch_add(&n_exit_registered, 1);
		return;
	}
	if (tps_qsbr_unregister_thread() != 0)
		qsbr_error("tps_qsbr_unregister_thread() failed");
	if (tps_rcu_is_watching())
		qsbr_error("an unregistered thread is watching");
	atomic_fetch_add(&n_unregistered, 1);
}

static void offline_block(uint64_t r)
{
	struct timespec ts = {0, (long)(1000 + (r >> 8) % 200000)};

	tps_qsbr_thread_offline();
	if (tps_rcu_is_watching())
		qsbr_error("an offline thread is watching");
	if (r & 0x80) {
		nanosleep(&ts, NULL);
		atomic_fetch_add_explicit(&n_offline_sleeps, 1, memory_order_relaxed);
	} else {
		if (getppid() <= 0)
			qsbr_error("getppid failed");
		atomic_fetch_add_explicit(&n_offline_syscalls, 1, memory_order_relaxed);
	}
	tps_qsbr_thread_online();
}

static void between(uint64_t r)
{
	switch (r % 32) {
	case 0:
		offline_block(r >> 5);
		break;
	case 1:
		/* No quiescent state: the next section continues this one. */
		atomic_fetch_add_explicit(&n_skipped, 1, memory_order_relaxed);
		break;
	default:
		tps_qsbr_quiescent_state();
		atomic_fetch_add_explicit(&n_qs, 1, memory_order_relaxed);
		break;
	}
}

static bool handler_may_read(void)
{
	if (!tps_rcu_is_watching())
		return false;
	/* The interrupted thread may sit between the store and the fence of going online. */
	tps_smp_mb();
	return true;
}

int main(void)
{
	const struct tps_flavor *flavor = tps_flavor_find("qsbr");
	struct torture_config cfg;
	int rc;

	if (flavor != &tps_flavor_qsbr) {
		fprintf(stderr,
		        "torture_qsbr: tps_flavor_find(\"qsbr\") is not &tps_flavor_qsbr\n");
		return TORTURE_EXIT_FAIL;
	}
	torture_config_init(&cfg, "torture_qsbr", flavor);
	cfg.inline_readers = &inline_readers;
	cfg.thread_start = thread_start;
	cfg.thread_end = thread_end;
	cfg.between = between;
	cfg.handler_may_read = handler_may_read;
	rc = torture_run(&cfg);
	printf("  qsbr             %10lu quiescent states, %lu skipped, %lu offline sleeps, %lu "
	       "offline syscalls, %lu threads unregistered, %lu exited registered\n",
	       atomic_load(&n_qs), atomic_load(&n_skipped), atomic_load(&n_offline_sleeps),
	       atomic_load(&n_offline_syscalls), atomic_load(&n_unregistered),
	       atomic_load(&n_exit_registered));
	fflush(stdout);
	if (rc == TORTURE_EXIT_PASS &&
	    (atomic_load(&n_errors) || !atomic_load(&n_qs) || !atomic_load(&n_skipped) ||
	     !atomic_load(&n_offline_sleeps) || !atomic_load(&n_offline_syscalls) ||
	     !atomic_load(&n_unregistered) || !atomic_load(&n_exit_registered))) {
		fprintf(stderr, "torture_qsbr: FAIL: an error, or a QSBR transition never ran\n");
		return TORTURE_EXIT_FAIL;
	}
	return rc;
}
