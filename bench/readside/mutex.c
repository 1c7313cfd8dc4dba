/* SPDX-License-Identifier: MIT */
/*
 * mutex - a pthread mutex (the default, non-recursive kind) every reader
 * shares: lock and unlock. It does not nest; an update takes it too.
 */
#include <pthread.h>

#include "../readside.h"

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;

static READSIDE_NOINLINE void mutex_loop(unsigned long iterations)
{
	READSIDE_LOOP(iterations, pthread_mutex_lock(&mutex), pthread_mutex_unlock(&mutex));
}

static void mutex_update(void)
{
	pthread_mutex_lock(&mutex);
	pthread_mutex_unlock(&mutex);
}

const struct readside_impl readside_mutex = {
        .name = "mutex",
        .loop = mutex_loop,
        .synchronize = mutex_update,
};
