/* SPDX-License-Identifier: MIT */
/*
 * tests/compat/urcu_style.c - a program written against liburcu's memb API
 * only. It is built three times: against liburcu itself, against tpsync's
 * compat headers (classic flavour), and against them with
 * TPS_URCU_FLAVOR_TASKS_TRACE (tasks-trace; readers then also sleep inside).
 * All three must pass. With URCU_STYLE_QSBR the same program is written for
 * liburcu's QSBR flavour (readers announce quiescent states and go offline
 * to sleep) and built against liburcu-qsbr and against the compat headers.
 *
 * Readers follow a published pointer and check the object is alive; an
 * updater replaces it and reclaims the old one by each of liburcu's means
 * in turn (synchronize_rcu, call_rcu, defer_rcu), poisoning it first. A
 * reader that ever sees a poisoned object saw a grace period end too soon.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef URCU_STYLE_QSBR
#include <urcu-qsbr.h>
#else
#include <urcu.h>
#endif

#define READERS 3
#define UPDATES 3000
#define ALIVE 0x5a5a5a5aL
#define POISON 0x0badf00dL

struct obj {
	long magic;
	long seq;
	struct rcu_head head;
};

static struct obj *current;
static int stop, ready;
static long bad_reads, reads, freed_by_callback, freed_by_defer;
static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
			fflush(stderr);                                                            \
			exit(1);                                                                   \
		}                                                                                  \
	} while (0)

static struct obj *obj_new(long seq)
{
	struct obj *o = malloc(sizeof(*o));

	CHECK(o != NULL);
	o->magic = ALIVE;
	o->seq = seq;
	return o;
}

static void obj_free(struct obj *o)
{
	o->magic = POISON;
	free(o);
}

static void free_cb(struct rcu_head *head)
{
	obj_free(caa_container_of(head, struct obj, head));
	pthread_mutex_lock(&count_lock);
	freed_by_callback++;
	pthread_mutex_unlock(&count_lock);
}

static void free_deferred(void *p)
{
	obj_free(p);
	pthread_mutex_lock(&count_lock);
	freed_by_defer++;
	pthread_mutex_unlock(&count_lock);
}

static void *reader(void *arg)
{
	long n = 0, bad = 0;

	(void)arg;
	rcu_register_thread();
	while (!CMM_LOAD_SHARED(stop)) {
		struct obj *o;

		rcu_read_lock();
		CHECK(rcu_read_ongoing());
		o = rcu_dereference(current);
		if (o && o->magic != ALIVE)
			bad++;
#ifdef TPS_URCU_FLAVOR_TASKS_TRACE
		/* Only the tasks-trace mapping lets a reader sleep inside. */
		if ((n & 255) == 0)
			usleep(100);
		if (o && o->magic != ALIVE)
			bad++;
#endif
		rcu_read_unlock();
#ifdef URCU_STYLE_QSBR
		rcu_quiescent_state();
		if ((n & 1023) == 0) {
			rcu_thread_offline();
			usleep(100);
			rcu_thread_online();
		}
#endif
		if (n++ == 0) {
			pthread_mutex_lock(&count_lock);
			ready++;
			pthread_mutex_unlock(&count_lock);
		}
	}
#ifdef URCU_STYLE_QSBR
	/* QSBR: "ongoing" means online; offline after the thread goes offline. */
	CHECK(rcu_read_ongoing());
	rcu_thread_offline();
	CHECK(!rcu_read_ongoing());
	rcu_thread_online();
#else
	CHECK(!rcu_read_ongoing());
#endif
	rcu_unregister_thread();
	pthread_mutex_lock(&count_lock);
	reads += n;
	bad_reads += bad;
	pthread_mutex_unlock(&count_lock);
	return NULL;
}

int main(void)
{
	pthread_t readers[READERS];
	struct call_rcu_data *crdp;
	long queued_callbacks = 0, queued_defers = 0, i;
	int err;

#ifndef URCU_STYLE_QSBR
	rcu_init(); /* memb only: liburcu's QSBR has none */
#endif
	rcu_register_thread();
	CHECK(rcu_defer_register_thread() == 0);
	rcu_assign_pointer(current, obj_new(0));
	for (i = 0; i < READERS; i++)
		CHECK(pthread_create(&readers[i], NULL, reader, NULL) == 0);

	/* Updates start once every reader is reading. */
	for (;;) {
		int all;

		pthread_mutex_lock(&count_lock);
		all = ready == READERS;
		pthread_mutex_unlock(&count_lock);
		if (all)
			break;
		rcu_thread_offline();
		usleep(1000);
		rcu_thread_online();
	}

	/* A call_rcu_data of our own for a while, then the default again. */
	crdp = create_call_rcu_data(0, -1);
	CHECK(crdp != NULL);
	CHECK(get_default_call_rcu_data() != NULL);
	set_thread_call_rcu_data(crdp);

	for (i = 1; i <= UPDATES; i++) {
		struct obj *o = obj_new(i), *old;

		if (i % 4 == 3) {
			/* Publish with compare-and-exchange. */
			old = rcu_dereference(current);
			CHECK(rcu_cmpxchg_pointer(&current, old, o) == old);
			CHECK(rcu_cmpxchg_pointer(&current, old, o) == o);
		} else {
			old = rcu_xchg_pointer(&current, o);
		}
		switch (i % 3) {
		case 0:
			synchronize_rcu();
			obj_free(old);
			break;
		case 1:
			call_rcu(&old->head, free_cb);
			queued_callbacks++;
			break;
		default:
			defer_rcu(free_deferred, old);
			queued_defers++;
			break;
		}
		if (i == UPDATES / 2) {
			set_thread_call_rcu_data(NULL);
			rcu_thread_offline();
			call_rcu_data_free(crdp);
			rcu_thread_online();
		}
		/* Quiescent between updates (QSBR; nothing for memb). */
		rcu_quiescent_state();
	}

	/*
	 * Waits that depend on grace periods are made offline: a QSBR thread
	 * online in them would hold up the grace periods they wait for (memb's
	 * offline and online do nothing).
	 */
	rcu_thread_offline();
	CMM_STORE_SHARED(stop, 1);
	for (i = 0; i < READERS; i++)
		CHECK(pthread_join(readers[i], NULL) == 0);
	rcu_barrier();
	rcu_defer_barrier();
	rcu_thread_online();
	CHECK(freed_by_callback == queued_callbacks);
	CHECK(freed_by_defer == queued_defers);
	CHECK(reads > 0);
	CHECK(bad_reads == 0);
	/* Per-CPU call_rcu data: either supported, or refused with -EINVAL. */
	err = create_all_cpu_call_rcu_data(0);
	CHECK(err == 0 || err == -EINVAL);
	if (err == 0)
		free_all_cpu_call_rcu_data();
	obj_free(rcu_xchg_pointer(&current, NULL));
	rcu_defer_unregister_thread();
	rcu_unregister_thread();
	printf("urcu_style: %ld reads, %ld updates, %ld callbacks, %ld deferred: ok\n", reads,
	       (long)UPDATES, queued_callbacks, queued_defers);
	return 0;
}
