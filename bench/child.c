/* SPDX-License-Identifier: MIT */
/*
 * child.c - run tpsync-bench again in a child process with one more
 * environment variable, and merge its JSON lines into ours.
 *
 * The library fixes its fence mode once per process (at the first thread
 * registration), so a measurement in the other mode (TPSYNC_FORCE_FALLBACK=1)
 * needs a process of its own.
 */
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

extern char **environ;

/* Our environment with env ("NAME=value") added, replacing any NAME=... */
static const char **child_env(const char *env)
{
	size_t n = 0, k = 0, name_len = strcspn(env, "=") + 1;
	const char **e;

	while (environ[n])
		n++;
	e = bench_calloc(n + 2, sizeof(*e));
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], env, name_len) != 0)
			e[k++] = environ[i];
	e[k] = env;
	return e;
}

/* "tpsync-bench", args..., then "--json path" when path is not NULL. */
static const char **child_argv(const char *const *args, const char *path)
{
	size_t n = 0, k = 0;
	const char **argv;

	while (args[n])
		n++;
	argv = bench_calloc(n + 4, sizeof(*argv));
	argv[k++] = "tpsync-bench";
	for (size_t i = 0; i < n; i++)
		argv[k++] = args[i];
	if (path) {
		argv[k++] = "--json";
		argv[k++] = path;
	}
	return argv;
}

/* Copy the measurements the child wrote to fd (not its context record) to json. */
static void merge_json(int fd, FILE *json)
{
	static const char context[] = "{\"bench\":\"context\"";
	FILE *f = fdopen(fd, "r");
	char *line = NULL;
	size_t cap = 0;

	if (!f) {
		close(fd);
		return;
	}
	while (getline(&line, &cap, f) > 0)
		if (strncmp(line, context, sizeof(context) - 1) != 0)
			fputs(line, json);
	fflush(json);
	free(line);
	fclose(f);
}

int bench_run_child(const char *const *args, const char *env, FILE *json)
{
	char path[] = "/tmp/tpsync-bench-XXXXXX";
	int fd = -1, status, err, rc = -1;
	const char **argv, **envp;
	pid_t pid;

	if (json && (fd = mkstemp(path)) < 0) {
		perror("tpsync-bench: mkstemp");
		return -1;
	}
	argv = child_argv(args, json ? path : NULL);
	envp = child_env(env);
	fflush(stdout);
	fflush(stderr);
	err = posix_spawn(&pid, "/proc/self/exe", NULL, NULL, (char *const *)argv,
	                  (char *const *)envp);
	if (err)
		fprintf(stderr, "tpsync-bench: cannot run a child: %s\n", strerror(err));
	else if (waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		rc = 0;
	if (fd >= 0) {
		merge_json(fd, json);
		unlink(path);
	}
	free(argv);
	free(envp);
	return rc;
}
