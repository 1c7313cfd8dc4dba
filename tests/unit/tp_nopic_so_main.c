/* SPDX-License-Identifier: MIT */
/*
 * Loads two shared objects built from tp_nopic_so_def.c and
 * tp_nopic_so_fire.c with -fno-pic (paths: the two arguments) into the
 * global scope. Both define nopic_so_ev; the registry must hold one
 * instance in each object, and each object's call site must fire the one
 * in that object, as with position-independent objects (test
 * tracepoint_nopic_shared_objects_keep_own_instances).
 */
#define _GNU_SOURCE /* dladdr() */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include <tpsync/tracepoint.h>

static void probe(void *data, int value)
{
	*(int *)data += value;
}

struct object {
	void *handle;
	void *base; /* where the object is loaded */
	struct tps_tracepoint *tp;
	void (*fire)(int);
	int hits;
};

static void *base_of(const void *addr)
{
	Dl_info info;

	return dladdr(addr, &info) ? info.dli_fbase : NULL;
}

/* Gives each object the instance of nopic_so_ev that lies in it. */
static int assign(struct tps_tracepoint *tp, void *arg)
{
	struct object *obj = arg;
	int i;

	if (strcmp(tps_tracepoint_name(tp), "nopic_so_ev") != 0)
		return 0;
	for (i = 0; i < 2; i++)
		if (base_of(tp) == obj[i].base) {
			if (obj[i].tp)
				return -1; /* two instances in one object */
			obj[i].tp = tp;
		}
	return 0;
}

int main(int argc, char **argv)
{
	struct object obj[2] = {{0}};
	int i, status = 0;

	if (argc != 3)
		return 2;
	for (i = 0; i < 2; i++) {
		obj[i].handle = dlopen(argv[1 + i], RTLD_NOW | RTLD_GLOBAL);
		if (!obj[i].handle) {
			printf("dlopen %s: %s\n", argv[1 + i], dlerror());
			return 1;
		}
		*(void **)&obj[i].fire = dlsym(obj[i].handle, "nopic_so_fire");
		obj[i].base = obj[i].fire ? base_of(*(void **)&obj[i].fire) : NULL;
		if (!obj[i].base) {
			printf("dlsym in %s failed\n", argv[1 + i]);
			return 1;
		}
	}
	if (tps_tracepoint_for_each(assign, obj) != 0 || !obj[0].tp || !obj[1].tp) {
		printf("the registry does not hold one instance of each object\n");
		return 1;
	}
	for (i = 0; i < 2; i++)
		if (tps_tracepoint_probe_register(obj[i].tp, (void (*)(void))probe, &obj[i].hits,
		                                  TPS_PROBE_PRIO_DEFAULT, 0) != 0) {
			printf("registration on %s failed\n", argv[1 + i]);
			return 1;
		}
	obj[0].fire(1);
	obj[1].fire(100);
	for (i = 0; i < 2; i++) {
		printf("object %d's probe saw %d (expected %d)\n", i, obj[i].hits, i ? 100 : 1);
		if (obj[i].hits != (i ? 100 : 1))
			status = 1;
		tps_tracepoint_probe_unregister(obj[i].tp, (void (*)(void))probe, &obj[i].hits);
	}
	tps_tracepoint_synchronize_unregister();
	for (i = 1; i >= 0; i--)
		dlclose(obj[i].handle);
	return status;
}
