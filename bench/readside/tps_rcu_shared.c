/* SPDX-License-Identifier: MIT */
/*
 * tps-rcu-shared - the tps-rcu loop in a module loaded with dlopen
 * (tps_rcu_module.c). The module and this executable both link
 * libtpsync.so, so they share one copy of the library and one registration.
 *
 * The module is looked for next to the executable first (/proc/self/exe),
 * then at the path it was built at (TPSBENCH_MODULE_PATH).
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <tpsync/rcu.h>

#include "../readside.h"

static void (*module_loop)(unsigned long iterations);

static void *open_module(void)
{
	char path[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", path, sizeof(path) - 1);
	void *h;

	if (len > 0) {
		char *slash;

		path[len] = '\0';
		slash = strrchr(path, '/');
		if (slash &&
		    (size_t)(slash + 1 - path) + strlen(TPSBENCH_MODULE_NAME) < sizeof(path)) {
			strcpy(slash + 1, TPSBENCH_MODULE_NAME);
			h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
			if (h)
				return h;
		}
	}
	h = dlopen(TPSBENCH_MODULE_PATH, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		fprintf(stderr, "tpsync-bench: tps-rcu-shared: %s\n", dlerror());
	return h;
}

static int tps_rcu_shared_init(void)
{
	void *h = open_module();

	if (!h)
		return -ENOENT;
	module_loop = (void (*)(unsigned long))dlsym(h, READSIDE_MODULE_LOOP_SYMBOL);
	if (!module_loop) {
		fprintf(stderr, "tpsync-bench: tps-rcu-shared: %s\n", dlerror());
		dlclose(h);
		return -ENOENT;
	}
	/* The module stays loaded until exit. */
	return 0;
}

static void tps_rcu_shared_setup(void)
{
	tps_register_thread();
}

static void tps_rcu_shared_teardown(void)
{
	tps_unregister_thread();
}

static void tps_rcu_shared_loop(unsigned long iterations)
{
	module_loop(iterations);
}

const struct readside_impl readside_tps_rcu_shared = {
        .name = "tps-rcu-shared",
        .init = tps_rcu_shared_init,
        .setup = tps_rcu_shared_setup,
        .teardown = tps_rcu_shared_teardown,
        .loop = tps_rcu_shared_loop,
        .synchronize = tps_synchronize_rcu,
        .has_fallback = true,
};
