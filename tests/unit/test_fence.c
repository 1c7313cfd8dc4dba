/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/test_fence.c - the fence mode: tps_membarrier_enabled() follows
 * the kernel's support and TPSYNC_FORCE_FALLBACK; tps_force_fallback()
 * switches a fresh process to the fallback and fails with -EBUSY once a
 * thread has registered; registered threads' reader words carry the mode.
 *
 * A fresh process is this executable started again with a mode argument
 * (the library reads its environment and decides its mode before main()).
 */
#include "unit.h"

#include <errno.h>
#include <limits.h>
#include <linux/membarrier.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <tpsync/rcu.h>

/* Does the kernel offer what the membarrier mode needs? */
static bool kernel_has_membarrier(void)
{
	long cmds = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);

	return cmds > 0 && (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED);
}

static atomic_int cb_runs;

static void count_cb(struct tps_rcu_head *head)
{
	(void)head;
	atomic_fetch_add(&cb_runs, 1);
}

/* The idle reader word of a registered thread in the current mode. */
static unsigned long idle_word(void)
{
	return TPS__RCU_REGISTERED | (tps_membarrier_enabled() ? 0 : TPS__RCU_FALLBACK);
}

/* Readers, a grace period waiting for a reader, callbacks: all work. */
static void *hold_reader(void *arg)
{
	atomic_int *stage = arg;

	tps_rcu_read_lock();
	atomic_store(stage, 1);
	while (atomic_load(stage) != 2)
		unit_sleep_ms(1);
	tps_rcu_read_unlock();
	return NULL;
}

static int exercise(void)
{
	static struct tps_rcu_head head;
	atomic_int stage = 0;
	pthread_t t;
	unsigned long cookie;

	tps_rcu_read_lock();
	if (!tps_rcu_read_ongoing())
		return 1;
	tps_rcu_read_unlock();
	if (atomic_load(&tps__self.rcu_ctr) != idle_word())
		return 2;
	if (pthread_create(&t, NULL, hold_reader, &stage) != 0)
		return 3;
	while (atomic_load(&stage) != 1)
		unit_sleep_ms(1);
	cookie = tps_get_state_synchronize_rcu();
	atomic_store(&stage, 2);
	tps_synchronize_rcu();
	pthread_join(t, NULL);
	if (!tps_poll_state_synchronize_rcu(cookie))
		return 4;
	if (tps_call_rcu(&head, count_cb) != 0)
		return 5;
	tps_rcu_barrier();
	return atomic_load(&cb_runs) == 1 ? 0 : 6;
}

/* ---- Modes of the re-executed process; each prints or exits with 0 on success. ---- */

/* Prints the mode the environment selected. */
static int mode_print(void)
{
	printf("membarrier=%d\n", tps_membarrier_enabled() ? 1 : 0);
	return 0;
}

/* A fresh process switches to the fallback, then cannot switch after a registration. */
static int mode_force_fresh(void)
{
	if (tps_membarrier_enabled() != (kernel_has_membarrier() && !unit_env_forces_fallback()))
		return 10;
	if (tps_force_fallback() != 0)
		return 11;
	if (tps_membarrier_enabled())
		return 12;
	/* Idempotent before any registration. */
	if (tps_force_fallback() != 0)
		return 13;
	if (tps_register_thread() != 0)
		return 14;
	if (tps_force_fallback() != -EBUSY)
		return 15;
	if (tps_membarrier_enabled())
		return 16;
	return exercise();
}

/* A registration by a first reader, even undone, freezes the mode too. */
static int mode_force_after_reader(void)
{
	bool before = tps_membarrier_enabled();

	tps_rcu_read_lock();
	tps_rcu_read_unlock();
	if (tps_unregister_thread() != 0)
		return 20;
	if (tps_force_fallback() != -EBUSY)
		return 21;
	if (tps_membarrier_enabled() != before)
		return 22;
	return exercise();
}

/* A registration in another thread, which has exited since, freezes it as well. */
static void *register_and_exit(void *arg)
{
	(void)arg;
	tps_register_thread();
	return NULL;
}

static int mode_force_after_other_thread(void)
{
	bool before = tps_membarrier_enabled();
	pthread_t t;

	if (pthread_create(&t, NULL, register_and_exit, NULL) != 0)
		return 30;
	pthread_join(t, NULL);
	if (tps_force_fallback() != -EBUSY)
		return 31;
	if (tps_membarrier_enabled() != before)
		return 32;
	return exercise();
}

static const struct {
	const char *name;
	int (*fn)(void);
} modes[] = {
        {"--print", mode_print},
        {"--force-fresh", mode_force_fresh},
        {"--force-after-reader", mode_force_after_reader},
        {"--force-after-other-thread", mode_force_after_other_thread},
};

/*
 * Executes this program again with argv. Under an emulator (qemu-user, the
 * cross builds: TPSYNC_TEST_EMULATOR holds its command line) the program is
 * not a host executable: the emulator runs it, by the path the emulated
 * /proc/self/exe link gives.
 */
static void exec_self(char **argv)
{
	const char *emu = getenv("TPSYNC_TEST_EMULATOR");
	char line[256], self[PATH_MAX], *words[16], *save = NULL, *w;
	size_t n = 0;
	ssize_t len;

	if (!emu || !*emu) {
		execv("/proc/self/exe", argv);
		return;
	}
	len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len <= 0 || strlen(emu) >= sizeof(line))
		return;
	self[len] = '\0';
	strcpy(line, emu);
	for (w = strtok_r(line, " ", &save); w && n < 12; w = strtok_r(NULL, " ", &save))
		words[n++] = w;
	words[n++] = self;
	words[n++] = argv[1];
	words[n] = NULL;
	execvp(words[0], words);
}

/*
 * Runs this executable in mode, with TPSYNC_FORCE_FALLBACK set to env (unset
 * when NULL); returns its wait status and its stdout and stderr in out.
 */
static int run_self(const char *mode, const char *env, char *out, size_t outlen)
{
	size_t len = 0;
	int fds[2], status;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char *argv[3];

		argv[0] = (char *)"test_fence";
		argv[1] = (char *)mode;
		argv[2] = NULL;
		dup2(fds[1], STDOUT_FILENO);
		dup2(fds[1], STDERR_FILENO);
		close(fds[0]);
		close(fds[1]);
		if (env)
			setenv("TPSYNC_FORCE_FALLBACK", env, 1);
		else
			unsetenv("TPSYNC_FORCE_FALLBACK");
		exec_self(argv);
		_exit(127);
	}
	close(fds[1]);
	for (;;) {
		ssize_t n = read(fds[0], out + len, outlen - 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len == outlen - 1)
			break;
	}
	out[len] = '\0';
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0)
		assert_int_equal(errno, EINTR);
	return status;
}

static void expect_mode_ok(const char *mode, const char *env)
{
	char out[4096];
	int status = run_self(mode, env, out, sizeof(out));

	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		print_error("%s with TPSYNC_FORCE_FALLBACK=%s: status %#x, output:\n%s\n", mode,
		            env ? env : "(unset)", status, out);
		fail();
	}
}

static void expect_env_mode(const char *env, bool membarrier)
{
	char out[4096], want[32];
	int status = run_self("--print", env, out, sizeof(out));

	snprintf(want, sizeof(want), "membarrier=%d\n", membarrier ? 1 : 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || strcmp(out, want) != 0) {
		print_error("TPSYNC_FORCE_FALLBACK=%s: expected %sgot status %#x, output:\n%s\n",
		            env ? env : "(unset)", want, status, out);
		fail();
	}
}

/* ---- Tests. ---- */

static void test_mode_of_this_process(void **state)
{
	(void)state;
	assert_int_equal(tps_membarrier_enabled(),
	                 kernel_has_membarrier() && !unit_env_forces_fallback());
	/* Stable. */
	assert_int_equal(tps_membarrier_enabled(), tps_membarrier_enabled());
}

static void test_reader_word_carries_mode(void **state)
{
	(void)state;
	assert_int_equal(tps_register_thread(), 0);
	assert_int_equal(atomic_load(&tps__self.rcu_ctr), idle_word());
	tps_rcu_read_lock();
	assert_true(atomic_load(&tps__self.rcu_ctr) & TPS__RCU_NEST_MASK);
	tps_rcu_read_unlock();
	assert_int_equal(atomic_load(&tps__self.rcu_ctr), idle_word());
	assert_int_equal(exercise(), 0);
}

static void test_environment_variable(void **state)
{
	bool kernel = kernel_has_membarrier();

	(void)state;
	expect_env_mode(NULL, kernel);
	expect_env_mode("", kernel);
	expect_env_mode("0", kernel);
	expect_env_mode("1", false);
	expect_env_mode("yes", false);
}

static void test_force_fallback_fresh_process(void **state)
{
	(void)state;
	expect_mode_ok("--force-fresh", NULL);
	/* Already in fallback mode by the environment: forcing it again is fine. */
	expect_mode_ok("--force-fresh", "1");
}

static void test_force_fallback_after_registration(void **state)
{
	bool before = tps_membarrier_enabled();

	(void)state;
	assert_int_equal(tps_register_thread(), 0);
	assert_int_equal(tps_force_fallback(), -EBUSY);
	assert_int_equal(tps_membarrier_enabled(), before);
	assert_int_equal(tps_unregister_thread(), 0);
	assert_int_equal(tps_force_fallback(), -EBUSY);
	assert_int_equal(tps_membarrier_enabled(), before);
	expect_mode_ok("--force-after-reader", NULL);
	expect_mode_ok("--force-after-reader", "1");
	expect_mode_ok("--force-after-other-thread", NULL);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_mode_of_this_process),
	        cmocka_unit_test(test_reader_word_carries_mode),
	        cmocka_unit_test(test_environment_variable),
	        cmocka_unit_test(test_force_fallback_fresh_process),
	        cmocka_unit_test(test_force_fallback_after_registration),
	};
	size_t i;

	if (argc > 1) {
		for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
			if (strcmp(argv[1], modes[i].name) == 0)
				return modes[i].fn();
		fprintf(stderr, "unknown mode %s\n", argv[1]);
		return 2;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
