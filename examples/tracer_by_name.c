/* SPDX-License-Identifier: MIT */
/*
 * tracer_by_name.c - a small tracer: load a library, list its tracepoints,
 * attach to one by name, detach, unload.
 *
 * Usage: tracer_by_name [LIBRARY [TRACEPOINT]]
 * (defaults: the example library built next to this program, lib_work_end)
 */
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <tpsync/tracepoint.h>

static int list_one(struct tps_tracepoint *tp, void *arg)
{
	int *n = arg;

	printf("  %s%s\n", tps_tracepoint_name(tp),
	       tps_tracepoint_is_faultable(tp) ? " (faultable)" : "");
	(*n)++;
	return 0;
}

/* Attached untyped: the tracer trusts the tracepoint's (job, result) prototype. */
static void on_work_end(void *data, int job, int result)
{
	long *hits = data;

	(void)job;
	(void)result;
	(*hits)++;
}

static void default_library(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);
	char *slash;

	buf[n > 0 ? n : 0] = '\0';
	slash = strrchr(buf, '/');
	snprintf(slash ? slash + 1 : buf, len - (size_t)(slash ? slash + 1 - buf : 0),
	         "libexample_lib.so");
}

int main(int argc, char **argv)
{
	char path[PATH_MAX];
	const char *tp_name = argc > 2 ? argv[2] : "lib_work_end";
	int (*work)(int);
	struct tps_tracepoint *tp;
	long hits = 0;
	int n = 0, err;
	void *lib;

	if (argc > 1)
		snprintf(path, sizeof(path), "%s", argv[1]);
	else
		default_library(path, sizeof(path));
	lib = dlopen(path, RTLD_NOW);
	if (!lib) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		return 1;
	}
	printf("tracepoints:\n");
	tps_tracepoint_for_each(list_one, &n);

	tp = tps_tracepoint_lookup(tp_name);
	if (!tp) {
		fprintf(stderr, "no tracepoint %s\n", tp_name);
		return 1;
	}
	err = tps_tracepoint_probe_register(tp, (void (*)(void))on_work_end, &hits,
	                                    TPS_PROBE_PRIO_DEFAULT, 0);
	if (err) {
		fprintf(stderr, "register: %d\n", err);
		return 1;
	}
	*(void **)&work = dlsym(lib, "example_lib_work");
	work(5);
	tps_tracepoint_probe_unregister(tp, (void (*)(void))on_work_end, &hits);
	tps_tracepoint_synchronize_unregister();
	printf("%s: %ld hits\n", tp_name, hits);

	dlclose(lib); /* its tracepoints leave the registry */
	tp = tps_tracepoint_lookup(tp_name);
	printf("after dlclose: %s\n", tp ? "still there" : "gone");
	return n >= 3 && hits == 5 && !tp ? 0 : 1;
}
