/* SPDX-License-Identifier: MIT */
/*
 * A position-dependent executable (-fno-pic -no-pie, its symbols in the
 * global scope with -rdynamic) that defines myapp:req_end (int id, long us)
 * as the shared object tp_req_a does, then loads that object with
 * RTLD_GLOBAL (its path is the first argument). The two instances must stay
 * apart: the executable's probe sees only the executable's call sites, the
 * probe attached to the object's instance only the object's (test
 * tracepoint_nopic_executable_keeps_own_instance).
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#define TPS_TRACEPOINT_PROVIDER myapp
#include <tpsync/tracepoint.h>

TPS_TRACEPOINT_DECLARE(req_end, TPS_PROTO(int id, long us), TPS_ARGS(id, us));
TPS_TRACEPOINT_DEFINE(req_end);

static int own_sum, lib_sum;

static void own_probe(void *data, int id, long us)
{
	(void)data;
	(void)us;
	own_sum += id;
}

static void lib_probe(void *data, int id, long us)
{
	(void)data;
	(void)us;
	lib_sum += id;
}

struct instances {
	struct tps_tracepoint *tp[4];
	int n;
};

static int collect(struct tps_tracepoint *tp, void *arg)
{
	struct instances *in = arg;

	if (strcmp(tps_tracepoint_name(tp), "myapp:req_end") == 0 && in->n < 4)
		in->tp[in->n++] = tp;
	return 0;
}

int main(int argc, char **argv)
{
	struct instances in = {0};
	struct tps_tracepoint *lib_tp;
	void (*fire)(int);
	void *h;

	if (argc != 2)
		return 2;
	h = dlopen(argv[1], RTLD_NOW | RTLD_GLOBAL);
	if (!h) {
		printf("dlopen: %s\n", dlerror());
		return 1;
	}
	*(void **)&fire = dlsym(h, "req_a_fire");
	tps_tracepoint_for_each(collect, &in);
	if (!fire || in.n != 2 || in.tp[0] == in.tp[1] ||
	    (in.tp[0] != &tps__tp_req_end && in.tp[1] != &tps__tp_req_end)) {
		printf("%d instances of myapp:req_end, expected 2 (one the executable's)\n", in.n);
		return 1;
	}
	lib_tp = in.tp[0] == &tps__tp_req_end ? in.tp[1] : in.tp[0];
	if (tps_register_trace_req_end(own_probe, NULL) != 0 ||
	    tps_tracepoint_probe_register(lib_tp, (void (*)(void))lib_probe, NULL,
	                                  TPS_PROBE_PRIO_DEFAULT, 0) != 0) {
		printf("registration failed\n");
		return 1;
	}
	tps_trace_req_end(1, 0);
	fire(100);
	tps_unregister_trace_req_end(own_probe, NULL);
	tps_tracepoint_probe_unregister(lib_tp, (void (*)(void))lib_probe, NULL);
	tps_tracepoint_synchronize_unregister();
	dlclose(h);
	printf("executable's probe saw %d (expected 1), object's probe saw %d (expected 100)\n",
	       own_sum, lib_sum);
	return own_sum == 1 && lib_sum == 100 ? 0 : 1;
}
