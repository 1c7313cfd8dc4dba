/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/test_unload.c - a plugin that uses tpsync is unloaded while
 * threads that used it still run: one that unregistered itself first, one
 * that did not. Both must exit cleanly afterwards (the exit destructor of
 * each registered or once-registered thread must still be there to run).
 *
 * Not a cmocka test: this program must not link tpsync, so that dlclose()
 * of the plugin is the last reference to the shared library.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

static void (*module_read)(void);
static int (*module_unregister)(void);
static pthread_barrier_t barrier;

static void *user_thread(void *arg)
{
	int unregister = (int)(long)arg;

	module_read();
	if (unregister && module_unregister() != 0) {
		fprintf(stderr, "tps_unregister_thread failed\n");
		return (void *)1;
	}
	pthread_barrier_wait(&barrier); /* the plugin is unloaded now */
	pthread_barrier_wait(&barrier);
	return NULL; /* exit: the thread's key destructors run */
}

int main(int argc, char **argv)
{
	pthread_t threads[2];
	void *ret, *handle;
	long i;
	int failed = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: test_unload PLUGIN\n");
		return 2;
	}
	handle = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if (!handle) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		return 1;
	}
	*(void **)&module_read = dlsym(handle, "unload_module_read");
	*(void **)&module_unregister = dlsym(handle, "unload_module_unregister");
	if (!module_read || !module_unregister) {
		fprintf(stderr, "dlsym: %s\n", dlerror());
		return 1;
	}
	pthread_barrier_init(&barrier, NULL, 3);
	for (i = 0; i < 2; i++)
		pthread_create(&threads[i], NULL, user_thread, (void *)i);
	pthread_barrier_wait(&barrier);
	if (dlclose(handle) != 0) {
		fprintf(stderr, "dlclose: %s\n", dlerror());
		return 1;
	}
	pthread_barrier_wait(&barrier);
	for (i = 0; i < 2; i++) {
		pthread_join(threads[i], &ret);
		failed |= ret != NULL;
	}
	if (!failed)
		printf("plugin unloaded, its threads exited cleanly\n");
	return failed;
}
