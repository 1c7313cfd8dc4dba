/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/unload_module.c - a plugin that uses tpsync, loaded and unloaded
 * by test_unload, a program that does not link tpsync itself: unloading the
 * plugin drops the last reference to the shared library.
 */
#include <tpsync/rcu.h>

void unload_module_read(void);
int unload_module_unregister(void);

void unload_module_read(void)
{
	tps_rcu_read_lock();
	tps_rcu_read_unlock();
}

int unload_module_unregister(void)
{
	return tps_unregister_thread();
}
