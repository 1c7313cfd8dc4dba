/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/unit.h - helpers shared by the unit tests: puppet threads that
 * run one step at a time on command, forked children whose stderr and exit
 * status are checked, and a way to tell that a thread sleeps in the kernel.
 *
 * cmocka assertions work only on the thread (and in the process) that runs
 * the test: puppet steps record what they see in variables the test then
 * asserts on, and forked children check with child_check(), which reports
 * and _exit()s.
 */
#ifndef TPS_TESTS_UNIT_H
#define TPS_TESTS_UNIT_H

/* cmocka.h needs these first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>

/* Built with ThreadSanitizer? */
#if defined(__SANITIZE_THREAD__)
#define UNIT_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define UNIT_TSAN 1
#endif
#endif
#ifndef UNIT_TSAN
#define UNIT_TSAN 0
#endif

/* Exit status ctest reports as a skipped test (SKIP_RETURN_CODE). */
#define UNIT_SKIP_STATUS 77

/* ---- Time (only ever to let something happen, never as an assertion). ---- */

/*
 * How long a test gives a thread that must NOT make progress the chance to
 * make it anyway. A correct library passes whatever the value; a broken one
 * is caught more often the longer it is.
 */
#define UNIT_GRACE_MS 50

void unit_sleep_ms(unsigned int ms);

/* Does TPSYNC_FORCE_FALLBACK select the fallback (set, not empty, not "0")? */
bool unit_env_forces_fallback(void);

/* ---- Puppet threads. ---- */

/*
 * A thread that runs the steps it is given, one at a time: lock in one step,
 * unlock in a later one, with the test deciding what happens in between.
 */
struct unit_puppet {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	void (*step)(void);
	unsigned long posted;
	unsigned long finished;
	bool running;
	bool quit;
	pid_t tid;
};

void unit_puppet_start(struct unit_puppet *p);
/* Runs step on the puppet and waits until it returns. */
void unit_puppet_run(struct unit_puppet *p, void (*step)(void));
/* Starts step on the puppet without waiting (the puppet must be idle). */
void unit_puppet_post(struct unit_puppet *p, void (*step)(void));
/* Has the posted step returned? */
bool unit_puppet_done(struct unit_puppet *p);
/* Waits until the posted step returns. */
void unit_puppet_wait(struct unit_puppet *p);
/*
 * Gives a posted step the chance to finish: returns once it has, or once the
 * puppet has been seen asleep in the kernel inside the step (blocked), or
 * after a few seconds. Never an assertion by itself.
 */
void unit_puppet_settle(struct unit_puppet *p);
/* Finishes the current step, then stops and joins the puppet. */
void unit_puppet_stop(struct unit_puppet *p);

/* ---- Threads. ---- */

pid_t unit_gettid(void);
/* Is thread tid of this process asleep in the kernel (state S or D)? */
bool unit_thread_sleeping(pid_t tid);
pthread_t unit_thread_start(void *(*fn)(void *), void *arg);
void unit_thread_join(pthread_t t);

/* ---- Page faults. ---- */

/* Page faults (minor and major) the calling thread has taken so far. */
long unit_thread_faults(void);
/*
 * A read-only private mapping of a fresh sparse file of len bytes (already
 * unlinked), none of whose pages is present yet: reading a page faults.
 * Aborts the test on failure; munmap() it when done.
 */
unsigned char *unit_map_fresh_file(size_t len);

/* ---- Forked children. ---- */

/* Seconds after which a child counts as hung: it is killed by SIGALRM. */
#define UNIT_CHILD_WATCHDOG_S 30

/* Exit status of a child whose child_check() failed. */
#define UNIT_CHILD_CHECK_FAILED 3

__attribute__((noreturn)) void unit_child_fail(const char *file, int line, const char *what);
#define child_check(cond)                                                                          \
	do {                                                                                       \
		if (!(cond))                                                                       \
			unit_child_fail(__FILE__, __LINE__, #cond);                                \
	} while (0)

struct unit_child {
	int status;     /* from waitpid() */
	char err[8192]; /* the child's stderr, truncated, NUL-terminated */
};

/*
 * Runs fn(arg) in a forked child whose stderr goes to out->err; the child
 * _exit(0)s when fn returns, and a watchdog turns a hang into SIGALRM. The
 * child restores the default action of the signals cmocka catches, so that
 * a crash in it cannot resume the test runner there.
 */
void unit_run_child(void (*fn)(void *), void *arg, struct unit_child *out);
/* The child died of SIGABRT after printing the broken-rule line for rule. */
void unit_expect_abort(const struct unit_child *c, const char *rule);
/* The child exited with status 0 (and printed no broken rule). */
void unit_expect_success(const struct unit_child *c);

/* A child that runs fn(arg): abort with rule when broken is true, else succeed. */
void unit_expect_rule(void (*fn)(void *), void *arg, const char *rule, bool broken);

#endif /* TPS_TESTS_UNIT_H */
