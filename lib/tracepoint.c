/* SPDX-License-Identifier: MIT */
/*
 * lib/tracepoint.c - probe arrays, their updates, and the registry of
 * tracepoints.
 *
 * A tracepoint's probes form a NULL-terminated array sorted by descending
 * priority, FIFO within a priority. Updates copy the array under
 * probes_mutex, publish the copy with a release store, and free the old
 * array after a grace period of the flavour the tracepoint's call sites read
 * it under: classic, or tasks-trace for faultable tracepoints. With no probe
 * the array is tps__tracepoint_empty, never NULL.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <tpsync/tracepoint.h>

#include "internal.h"

struct tps_tracepoint_func tps__tracepoint_empty[1];

/* A heap probe array: the rcu head frees it after a grace period. */
struct probe_array {
	struct tps_rcu_head rcu;
	struct tps_tracepoint_func probes[];
};

/* Serializes every probe-array update. */
static pthread_mutex_t probes_mutex = PTHREAD_MUTEX_INITIALIZER;
static _Atomic unsigned long recursion_drops;
/* Test hook: the next n array allocations fail. */
static unsigned int fail_allocs;

void tps__tracepoint_fail_allocs(unsigned int n)
{
	pthread_mutex_lock(&probes_mutex);
	fail_allocs = n;
	pthread_mutex_unlock(&probes_mutex);
}

/* Takes the slot of a probe unregistered without memory for a new array. */
static void stub_probe(void)
{
}

static bool is_faultable(const struct tps_tracepoint *tp)
{
	return tp->flags & TPS_TRACEPOINT_FAULTABLE;
}

static struct probe_array *alloc_array(size_t entries)
{
	if (fail_allocs) {
		fail_allocs--;
		return NULL;
	}
	return malloc(sizeof(struct probe_array) + entries * sizeof(struct tps_tracepoint_func));
}

static void free_array_cb(struct tps_rcu_head *head)
{
	free(tps_container_of(head, struct probe_array, rcu));
}

/* Frees an unpublished array once no call site can still iterate over it. */
static void release_array(struct tps_tracepoint *tp, struct tps_tracepoint_func *old)
{
	struct probe_array *a;

	if (old == tps__tracepoint_empty)
		return;
	a = tps_container_of(old, struct probe_array, probes);
	/*
	 * Called with probes_mutex held, which fork() takes: never wait for a
	 * grace period here (a thread forking inside a reader would hold it
	 * up while it waits for the mutex).
	 */
	tps__cb_no_help_begin();
	if (is_faultable(tp))
		tps_call_rcu_tasks_trace(&a->rcu, free_array_cb);
	else
		tps_call_rcu(&a->rcu, free_array_cb);
	tps__cb_no_help_end();
}

static void (*func_of(const struct tps_tracepoint_func *f))(void)
{
	return atomic_load_explicit(&f->func, memory_order_relaxed);
}

/* Index of the live entry (func, data), or -1. Stubs are not live. */
static long find_probe(const struct tps_tracepoint_func *f, void (*func)(void), void *data)
{
	long i;

	for (i = 0; func_of(&f[i]); i++) {
		if (func_of(&f[i]) == func && f[i].data == data)
			return i;
	}
	return -1;
}

static size_t count_live(const struct tps_tracepoint_func *f)
{
	size_t n = 0;

	for (; func_of(f); f++)
		n += func_of(f) != stub_probe;
	return n;
}

/* Copies the live entries of old except index skip (-1: none), dropping stubs. */
static size_t copy_live(struct tps_tracepoint_func *dst, const struct tps_tracepoint_func *old,
                        long skip)
{
	size_t n = 0;
	long i;

	for (i = 0; func_of(&old[i]); i++) {
		if (i == skip || func_of(&old[i]) == stub_probe)
			continue;
		atomic_init(&dst[n].func, func_of(&old[i]));
		dst[n].data = old[i].data;
		dst[n].prio = old[i].prio;
		n++;
	}
	atomic_init(&dst[n].func, NULL);
	return n;
}

/* Inserts after every entry of priority >= prio: descending, FIFO within one. */
static void insert_sorted(struct tps_tracepoint_func *f, size_t n, void (*func)(void), void *data,
                          int prio)
{
	size_t pos = 0, i;

	while (pos < n && f[pos].prio >= prio)
		pos++;
	for (i = n + 1; i > pos; i--) {
		atomic_init(&f[i].func, func_of(&f[i - 1]));
		f[i].data = f[i - 1].data;
		f[i].prio = f[i - 1].prio;
	}
	atomic_init(&f[pos].func, func);
	f[pos].data = data;
	f[pos].prio = prio;
}

static void set_funcs(struct tps_tracepoint *tp, struct tps_tracepoint_func *f)
{
	/*
	 * (P1) release: the array's entries are written before its address
	 * is seen; pairs with (P1c), the consume load in the call site's
	 * iterator (tps__tracepoint_funcs()).
	 */
	atomic_store_explicit(&tp->funcs, f, memory_order_release);
}

/*
 * Publishes new in place of the current array; probes_mutex held. before
 * and after count live probes. The transitions differ in what happens to the
 * enabled word and the hooks; the old array is released by the caller.
 */
static void publish(struct tps_tracepoint *tp, struct tps_tracepoint_func *new, size_t before,
                    size_t after)
{
	if (before == 0 && after == 1) {
		/* 0->1: publish the array first, then let call sites in. A call
		 * site that sees enabled before the array iterates over the
		 * empty one: a missed hit, never a bad one. */
		set_funcs(tp, new);
		/* No ordering is needed here: the call site loads enabled
		 * relaxed, and whichever array its iterator then loads (the
		 * empty one or new, each published by (P1)) is valid. */
		atomic_store_explicit(&tp->enabled, 1, memory_order_relaxed);
	} else if (before == 1 && after == 0) {
		/* 1->0: close the call sites, then publish the empty array.
		 * Call sites already past the check iterate over the old array,
		 * which stays valid until the grace period. */
		atomic_store_explicit(&tp->enabled, 0, memory_order_relaxed);
		set_funcs(tp, tps__tracepoint_empty);
		if (tp->unregfunc)
			tp->unregfunc();
	} else if (before == 1 && after == 2) {
		/* 1->2: call sites always iterate (there is no direct call to
		 * a single probe to retarget), so this is a plain swap. */
		set_funcs(tp, new);
	} else {
		/* N->N+1 and N->N-1 (N-1 >= 1): a plain swap; enabled stays. */
		set_funcs(tp, new);
	}
}

static int check_register(const struct tps_tracepoint *tp, void (*func)(void), unsigned int flags)
{
	if (!tp || !func || (flags & ~TPS_PROBE_MAY_FAULT))
		return -EINVAL;
	/* Faultable probes only on faultable tracepoints, and only they there. */
	if (!(flags & TPS_PROBE_MAY_FAULT) != !is_faultable(tp))
		return -EINVAL;
	return 0;
}

int tps_tracepoint_probe_register(struct tps_tracepoint *tp, void (*func)(void), void *data,
                                  int prio, unsigned int flags)
{
	struct tps_tracepoint_func *old;
	struct probe_array *a;
	size_t live;
	int err = check_register(tp, func, flags);

	if (err)
		return err;
	pthread_mutex_lock(&probes_mutex);
	old = atomic_load_explicit(&tp->funcs, memory_order_relaxed);
	if (find_probe(old, func, data) >= 0) {
		err = -EEXIST;
		goto out;
	}
	live = count_live(old);
	a = alloc_array(live + 2);
	if (!a) {
		err = -ENOMEM;
		goto out;
	}
	copy_live(a->probes, old, -1);
	insert_sorted(a->probes, live, func, data, prio);
	if (live == 0 && tp->regfunc && (err = tp->regfunc()) != 0) {
		free(a);
		goto out;
	}
	publish(tp, a->probes, live, live + 1);
	release_array(tp, old);
out:
	pthread_mutex_unlock(&probes_mutex);
	return err;
}

int tps_tracepoint_probe_unregister(struct tps_tracepoint *tp, void (*func)(void), void *data)
{
	struct tps_tracepoint_func *old, *new = tps__tracepoint_empty;
	struct probe_array *a;
	size_t live;
	long idx;
	int err = 0;

	if (!tp || !func)
		return -EINVAL;
	pthread_mutex_lock(&probes_mutex);
	old = atomic_load_explicit(&tp->funcs, memory_order_relaxed);
	idx = find_probe(old, func, data);
	if (idx < 0) {
		err = -ENOENT;
		goto out;
	}
	live = count_live(old);
	if (live > 1) {
		a = alloc_array(live);
		if (!a) {
			/* No memory: the slot runs a stub until the next update drops it. */
			atomic_store_explicit(&old[idx].func, stub_probe, memory_order_relaxed);
			goto out;
		}
		copy_live(a->probes, old, idx);
		new = a->probes;
	}
	publish(tp, new, live, live - 1);
	release_array(tp, old);
out:
	pthread_mutex_unlock(&probes_mutex);
	return err;
}

void tps_tracepoint_synchronize_unregister(void)
{
	tps_synchronize_rcu();
	tps_synchronize_rcu_tasks_trace();
}

int tps_tracepoint_call_rcu(const struct tps_tracepoint *tp, struct tps_rcu_head *head,
                            tps_rcu_callback_t func)
{
	if (!tp)
		return -EINVAL;
	if (is_faultable(tp))
		return tps_call_rcu_tasks_trace(head, func);
	return tps_call_rcu(head, func);
}

void tps__tracepoint_recursion_drop(void)
{
	atomic_fetch_add_explicit(&recursion_drops, 1, memory_order_relaxed);
}

unsigned long tps_tracepoint_recursion_drops(void)
{
	return atomic_load_explicit(&recursion_drops, memory_order_relaxed);
}

const char *tps_tracepoint_name(const struct tps_tracepoint *tp)
{
	return tp ? tp->name : NULL;
}

bool tps_tracepoint_is_faultable(const struct tps_tracepoint *tp)
{
	return tp && is_faultable(tp);
}

/* ---- The registry of sections. ---- */

/* One object's (executable's or shared object's) section of tracepoints. */
struct section {
	struct tps_tracepoint *const *start;
	struct tps_tracepoint *const *stop;
	unsigned int refs; /* one per constructor that ran in the object */
	struct section *next;
};

static pthread_mutex_t sections_mutex = PTHREAD_MUTEX_INITIALIZER;
static struct section *sections;
/* Depth of this thread's hold: a for_each callback may look tracepoints up. */
static __thread unsigned int sections_held __attribute__((tls_model("initial-exec")));

static void sections_lock(void)
{
	if (sections_held++ == 0)
		pthread_mutex_lock(&sections_mutex);
}

static void sections_unlock(void)
{
	if (--sections_held == 0)
		pthread_mutex_unlock(&sections_mutex);
}

void tps__tracepoint_section_add(struct tps_tracepoint *const *start,
                                 struct tps_tracepoint *const *stop)
{
	struct section *s;

	if (!start || start == stop)
		return;
	sections_lock();
	for (s = sections; s && s->start != start; s = s->next)
		;
	if (s) {
		s->refs++;
	} else if ((s = malloc(sizeof(*s))) != NULL) {
		*s = (struct section){.start = start, .stop = stop, .refs = 1, .next = sections};
		sections = s;
	}
	sections_unlock();
}

/*
 * The object is going away (dlclose or exit): detach every probe of its
 * tracepoints. The arrays are freed after grace periods, by callbacks that
 * do not touch the object's memory.
 */
static void detach_section(const struct section *s)
{
	struct tps_tracepoint *const *p;

	pthread_mutex_lock(&probes_mutex);
	for (p = s->start; p < s->stop; p++) {
		struct tps_tracepoint_func *old =
		        atomic_load_explicit(&(*p)->funcs, memory_order_relaxed);

		if (old == tps__tracepoint_empty)
			continue;
		publish(*p, tps__tracepoint_empty, 1, 0);
		release_array(*p, old);
	}
	pthread_mutex_unlock(&probes_mutex);
}

void tps__tracepoint_section_remove(struct tps_tracepoint *const *start)
{
	struct section **pp, *s;

	if (!start)
		return;
	sections_lock();
	for (pp = &sections; *pp && (*pp)->start != start; pp = &(*pp)->next)
		;
	s = *pp;
	if (s && --s->refs == 0) {
		*pp = s->next;
		detach_section(s);
		free(s);
	}
	sections_unlock();
}

int tps_tracepoint_for_each(int (*cb)(struct tps_tracepoint *tp, void *arg), void *arg)
{
	struct tps_tracepoint *const *p;
	struct section *s;
	int ret = 0;

	if (!cb)
		return -EINVAL;
	sections_lock();
	for (s = sections; s && !ret; s = s->next) {
		for (p = s->start; p < s->stop && !ret; p++) {
			if (*p)
				ret = cb(*p, arg);
		}
	}
	sections_unlock();
	return ret;
}

struct lookup {
	const char *name;
	struct tps_tracepoint *found;
};

static int match_name(struct tps_tracepoint *tp, void *arg)
{
	struct lookup *l = arg;

	if (strcmp(tp->name, l->name) != 0)
		return 0;
	l->found = tp;
	return 1;
}

struct tps_tracepoint *tps_tracepoint_lookup(const char *name)
{
	struct lookup l = {.name = name, .found = NULL};

	if (name)
		tps_tracepoint_for_each(match_name, &l);
	return l.found;
}

void tps__tracepoint_fork_prepare(void)
{
	sections_lock();
	pthread_mutex_lock(&probes_mutex);
}

void tps__tracepoint_fork_parent(void)
{
	pthread_mutex_unlock(&probes_mutex);
	sections_unlock();
}

/* The forking thread took both in prepare and still holds them in the child. */
void tps__tracepoint_fork_child(void)
{
	pthread_mutex_unlock(&probes_mutex);
	sections_unlock();
}
