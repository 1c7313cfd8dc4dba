/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/tp_lto_main.c - an executable, its symbols in the global
 * scope, that defines lto:ev and links tp_lto, which defines it too (built
 * with partitioned link-time optimization). Each object's call sites must
 * fire its own instance: the executable's probe sees the executable's call
 * site only, the probe attached to tp_lto's instance (the one its section
 * registered) sees tp_lto's two call sites.
 */
#include <stdio.h>

#include "tp_lto.h"

TPS_TRACEPOINT_DEFINE(ev);

static int hits_exe, hits_lib;

static void probe_exe(void *data, int v)
{
	(void)data;
	hits_exe += v;
}

static void probe_lib(void *data, int v)
{
	(void)data;
	hits_lib += v;
}

int main(void)
{
	struct tps_tracepoint *own = tp_lto_own();

	setvbuf(stdout, NULL, _IONBF, 0);
	printf("tp_lto's instance %p, the executable's %p\n", (void *)own, (void *)&tps__tpl_ev);
	if (own == NULL || own == &tps__tpl_ev) {
		printf("tp_lto has no instance of its own\n");
		return 1;
	}
	if (tps_register_trace_ev(probe_exe, NULL) != 0 ||
	    tps_tracepoint_probe_register(own, (void (*)(void))probe_lib, NULL,
	                                  TPS_PROBE_PRIO_DEFAULT, 0) != 0) {
		printf("registration failed\n");
		return 1;
	}
	tp_lto_fire_def(1);
	tp_lto_fire_use(10);
	tps_trace_ev(100);
	tps_unregister_trace_ev(probe_exe, NULL);
	tps_tracepoint_probe_unregister(own, (void (*)(void))probe_lib, NULL);
	tps_tracepoint_synchronize_unregister();
	printf("executable's probe %d (expected 100), tp_lto's probe %d (expected 11)\n", hits_exe,
	       hits_lib);
	return hits_exe == 100 && hits_lib == 11 ? 0 : 1;
}
