/* SPDX-License-Identifier: MIT */
/*
 * rwlock - a pthread rwlock's read lock and unlock, the lock every reader
 * shares (glibc's default kind: readers first, so a nested read lock never
 * waits for a queued writer). An update takes the write lock.
 */
#include <pthread.h>

#include "../readside.h"

static pthread_rwlock_t rwlock = PTHREAD_RWLOCK_INITIALIZER;

static READSIDE_NOINLINE void rwlock_loop(unsigned long iterations)
{
	READSIDE_LOOP(iterations, pthread_rwlock_rdlock(&rwlock), pthread_rwlock_unlock(&rwlock));
}

static READSIDE_NOINLINE void rwlock_loop_nested(unsigned long iterations)
{
	READSIDE_LOOP_NESTED(iterations, pthread_rwlock_rdlock(&rwlock),
	                     pthread_rwlock_rdlock(&rwlock), pthread_rwlock_unlock(&rwlock),
	                     pthread_rwlock_unlock(&rwlock));
}

static void rwlock_update(void)
{
	pthread_rwlock_wrlock(&rwlock);
	pthread_rwlock_unlock(&rwlock);
}

const struct readside_impl readside_rwlock = {
        .name = "rwlock",
        .loop = rwlock_loop,
        .loop_nested = rwlock_loop_nested,
        .synchronize = rwlock_update,
};
