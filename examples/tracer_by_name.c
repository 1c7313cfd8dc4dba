/* SPDX-License-Identifier: MIT */
/*
 * tracer_by_name.c - a small tracer: it attaches to a tracepoint by name and
 * signature before the library that defines it is loaded, watches
 * tracepoints come and go with a notifier, loads the library, lets it work,
 * unloads it, and tears down safely.
 *
 * Usage: tracer_by_name [LIBRARY [TRACEPOINT [SIGNATURE]]]
 * (defaults: the example library built next to this program, lib_work_end,
 * "int job, int result")
 */
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <tpsync/tracepoint.h>

static int added, removed;

/* Called for every tracepoint present, then for each one that comes or goes. */
static void on_tracepoint(void *data, struct tps_tracepoint *tp, int event)
{
	(void)data;
	if (event == TPS_TRACEPOINT_ADDED)
		added++;
	else
		removed++;
	printf("  %c %s(%s)%s\n", event == TPS_TRACEPOINT_ADDED ? '+' : '-',
	       tps_tracepoint_name(tp), tps_tracepoint_signature(tp),
	       tps_tracepoint_is_faultable(tp) ? " faultable" : "");
}

/* Attached by name with the signature "int job, int result": never to another one. */
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
	const char *signature = argc > 3 ? argv[3] : "int job, int result";
	void (*probe)(void) = (void (*)(void))on_work_end;
	unsigned int attached = 0;
	int (*work)(int);
	long hits = 0;
	int err;
	void *lib;

	if (argc > 1)
		snprintf(path, sizeof(path), "%s", argv[1]);
	else
		default_library(path, sizeof(path));

	printf("tracepoints:\n");
	tps_tracepoint_notifier_register(on_tracepoint, NULL);
	/* Before the library is loaded: kept, and attached when it loads. */
	err = tps_tracepoint_probe_register_by_name(tp_name, signature, probe, &hits,
	                                            TPS_PROBE_PRIO_DEFAULT, 0);
	if (err) {
		fprintf(stderr, "register %s(%s): %d\n", tp_name, signature, err);
		return 1;
	}
	lib = dlopen(path, RTLD_NOW);
	if (!lib) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		return 1;
	}
	tps_tracepoint_probe_count_by_name(tp_name, probe, &hits, &attached, NULL);
	printf("%s(%s): attached to %u instance(s)\n", tp_name, signature, attached);
	*(void **)&work = dlsym(lib, "example_lib_work");
	work(5);
	dlclose(lib); /* its tracepoints leave; no probe of ours runs in them now */

	/* Safe teardown: unregister (works after the unload too), wait, free. */
	tps_tracepoint_probe_unregister_by_name(tp_name, probe, &hits);
	tps_tracepoint_synchronize_unregister();
	tps_tracepoint_notifier_unregister(on_tracepoint, NULL);
	printf("%s: %ld hits; after dlclose: %s\n", tp_name, hits,
	       tps_tracepoint_lookup(tp_name) ? "still there" : "gone");
	return attached == 1 && hits == 5 && removed >= 3 && added >= removed &&
	                       !tps_tracepoint_lookup(tp_name)
	               ? 0
	               : 1;
}
