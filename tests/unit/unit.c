/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/unit.c - helpers shared by the unit tests (see unit.h).
 */
#include "unit.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Longest unit_puppet_settle() waits for a step to finish or block. */
#define SETTLE_MAX_MS 5000
/* Interval between two looks at the puppet while it settles. */
#define SETTLE_POLL_MS 5

void unit_sleep_ms(unsigned int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

bool unit_env_forces_fallback(void)
{
	const char *v = getenv("TPSYNC_FORCE_FALLBACK");

	return v && v[0] && strcmp(v, "0") != 0;
}

/* ---- Threads. ---- */

pid_t unit_gettid(void)
{
	return gettid();
}

bool unit_thread_sleeping(pid_t tid)
{
	char path[64], buf[512];
	const char *close_paren;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	f = fopen(path, "r");
	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* "tid (comm) S ...": comm may hold spaces and parentheses. */
	close_paren = strrchr(buf, ')');
	if (!close_paren || close_paren[1] != ' ')
		return false;
	return close_paren[2] == 'S' || close_paren[2] == 'D';
}

pthread_t unit_thread_start(void *(*fn)(void *), void *arg)
{
	pthread_t t;

	assert_int_equal(pthread_create(&t, NULL, fn, arg), 0);
	return t;
}

void unit_thread_join(pthread_t t)
{
	assert_int_equal(pthread_join(t, NULL), 0);
}

/* ---- Puppets. ---- */

static void *puppet_main(void *arg)
{
	struct unit_puppet *p = arg;

	pthread_mutex_lock(&p->lock);
	p->tid = unit_gettid();
	pthread_cond_broadcast(&p->cond);
	for (;;) {
		void (*step)(void);

		while (p->posted == p->finished && !p->quit)
			pthread_cond_wait(&p->cond, &p->lock);
		if (p->posted == p->finished)
			break;
		step = p->step;
		p->running = true;
		pthread_mutex_unlock(&p->lock);
		step();
		pthread_mutex_lock(&p->lock);
		p->running = false;
		p->finished++;
		pthread_cond_broadcast(&p->cond);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

void unit_puppet_start(struct unit_puppet *p)
{
	memset(p, 0, sizeof(*p));
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	p->thread = unit_thread_start(puppet_main, p);
	pthread_mutex_lock(&p->lock);
	while (!p->tid)
		pthread_cond_wait(&p->cond, &p->lock);
	pthread_mutex_unlock(&p->lock);
}

void unit_puppet_post(struct unit_puppet *p, void (*step)(void))
{
	pthread_mutex_lock(&p->lock);
	assert_true(p->posted == p->finished);
	p->step = step;
	p->posted++;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

bool unit_puppet_done(struct unit_puppet *p)
{
	bool done;

	pthread_mutex_lock(&p->lock);
	done = p->posted == p->finished;
	pthread_mutex_unlock(&p->lock);
	return done;
}

void unit_puppet_wait(struct unit_puppet *p)
{
	pthread_mutex_lock(&p->lock);
	while (p->posted != p->finished)
		pthread_cond_wait(&p->cond, &p->lock);
	pthread_mutex_unlock(&p->lock);
}

void unit_puppet_run(struct unit_puppet *p, void (*step)(void))
{
	unit_puppet_post(p, step);
	unit_puppet_wait(p);
}

static bool puppet_blocked(struct unit_puppet *p)
{
	bool running;

	pthread_mutex_lock(&p->lock);
	running = p->running;
	pthread_mutex_unlock(&p->lock);
	return running && unit_thread_sleeping(p->tid);
}

void unit_puppet_settle(struct unit_puppet *p)
{
	unsigned int waited, asleep = 0;

	for (waited = 0; waited < SETTLE_MAX_MS; waited += SETTLE_POLL_MS) {
		if (unit_puppet_done(p))
			return;
		/* Twice in a row: not a passing moment on some internal lock. */
		asleep = puppet_blocked(p) ? asleep + 1 : 0;
		if (asleep >= 2)
			return;
		unit_sleep_ms(SETTLE_POLL_MS);
	}
}

void unit_puppet_stop(struct unit_puppet *p)
{
	unit_puppet_wait(p);
	pthread_mutex_lock(&p->lock);
	p->quit = true;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	unit_thread_join(p->thread);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
}

/* ---- Children. ---- */

void unit_child_fail(const char *file, int line, const char *what)
{
	char buf[512];
	int n = snprintf(buf, sizeof(buf), "%s:%d: child check failed: %s\n", file, line, what);

	if (n > 0) {
		ssize_t r = write(STDERR_FILENO, buf,
		                  (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
		(void)r;
	}
	_exit(UNIT_CHILD_CHECK_FAILED);
}

/* The signals cmocka turns into a test failure by jumping back into its runner. */
static const int runner_signals[] = {SIGFPE, SIGILL, SIGSEGV, SIGBUS, SIGSYS};

/*
 * qemu-user (the cross builds' emulator) reports a guest killed by a signal
 * on the stderr it shares with the guest: "qemu: uncaught target signal 6
 * (Aborted) - core dumped". That last line is the emulator's, not the
 * child's: drop it, so that the child's own output compares exactly.
 */
static void drop_emulator_report(struct unit_child *c)
{
	static const char prefix[] = "qemu: uncaught target signal ";
	size_t len = strlen(c->err);
	char *last;

	if (!WIFSIGNALED(c->status) || len == 0 || c->err[len - 1] != '\n')
		return;
	c->err[len - 1] = '\0';
	last = strrchr(c->err, '\n');
	last = last ? last + 1 : c->err;
	c->err[len - 1] = '\n';
	if (strncmp(last, prefix, sizeof(prefix) - 1) == 0)
		*last = '\0';
}

void unit_run_child(void (*fn)(void *), void *arg, struct unit_child *out)
{
	size_t len = 0;
	int fds[2];
	pid_t pid;

	memset(out, 0, sizeof(*out));
	assert_int_equal(pipe(fds), 0);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		size_t i;

		for (i = 0; i < sizeof(runner_signals) / sizeof(runner_signals[0]); i++)
			signal(runner_signals[i], SIG_DFL);
		close(fds[0]);
		if (dup2(fds[1], STDERR_FILENO) < 0)
			_exit(UNIT_CHILD_CHECK_FAILED);
		close(fds[1]);
		alarm(UNIT_CHILD_WATCHDOG_S);
		fn(arg);
		_exit(0);
	}
	close(fds[1]);
	for (;;) {
		char discard[256];
		ssize_t n;

		if (len < sizeof(out->err) - 1)
			n = read(fds[0], out->err + len, sizeof(out->err) - 1 - len);
		else
			n = read(fds[0], discard, sizeof(discard));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (len < sizeof(out->err) - 1)
			len += (size_t)n;
	}
	out->err[len] = '\0';
	close(fds[0]);
	while (waitpid(pid, &out->status, 0) < 0)
		assert_int_equal(errno, EINTR);
	drop_emulator_report(out);
}

static void describe_child(const struct unit_child *c)
{
	if (WIFEXITED(c->status))
		print_error("child exited with status %d\n", WEXITSTATUS(c->status));
	else if (WIFSIGNALED(c->status))
		print_error("child killed by signal %d (%s)%s\n", WTERMSIG(c->status),
		            strsignal(WTERMSIG(c->status)),
		            WTERMSIG(c->status) == SIGALRM ? ": it hung" : "");
	print_error("child stderr:\n%s\n", c->err);
}

void unit_expect_abort(const struct unit_child *c, const char *rule)
{
	char needle[128];

	snprintf(needle, sizeof(needle), "tpsync: broken rule \"%s\": ", rule);
	if (!WIFSIGNALED(c->status) || WTERMSIG(c->status) != SIGABRT || !strstr(c->err, needle)) {
		print_error("expected the child to abort with '%s'\n", needle);
		describe_child(c);
		fail();
	}
}

void unit_expect_success(const struct unit_child *c)
{
	if (!WIFEXITED(c->status) || WEXITSTATUS(c->status) != 0 ||
	    strstr(c->err, "tpsync: broken rule")) {
		print_error("expected the child to succeed\n");
		describe_child(c);
		fail();
	}
}

void unit_expect_rule(void (*fn)(void *), void *arg, const char *rule, bool broken)
{
	struct unit_child c;

	unit_run_child(fn, arg, &c);
	if (broken)
		unit_expect_abort(&c, rule);
	else
		unit_expect_success(&c);
}

long unit_thread_faults(void)
{
	struct rusage ru;

	getrusage(RUSAGE_THREAD, &ru);
	return ru.ru_minflt + ru.ru_majflt;
}

unsigned char *unit_map_fresh_file(size_t len)
{
	char path[] = "/tmp/tpsync-fault-XXXXXX";
	unsigned char *map;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(ftruncate(fd, (off_t)len), 0);
	map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	assert_true(map != MAP_FAILED);
	close(fd); /* the mapping keeps the file */
	return map;
}
