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
 *
 * The registry lists each object's section of tracepoints; it also keeps
 * the probes registered by name (attached to matching instances as their
 * objects load) and the notifiers. Lock order: sections_mutex (the
 * registry, recursive per thread) before probes_mutex (the arrays).
 */
#include <ctype.h>
#include <errno.h>
#include <link.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

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

/*
 * Set when the process exits: destructors from then on are not dlclose(),
 * and no object is unmapped. Two things set it, whichever comes first:
 * - an atexit handler, registered when the first probe is attached. exit()
 *   runs it before the destructors of the executable and its objects only
 *   if it was registered after the dynamic loader's own handler, which
 *   runs them: that is, from main() on, not from a constructor of a linked
 *   library;
 * - the teardown of the executable's own tracepoints (section_in_main()):
 *   the executable is never unloaded, so its destructors run only at exit,
 *   and before those of every library it links and object it loaded. This
 *   covers a first probe attached before main() whenever the executable
 *   defines a tracepoint.
 */
static atomic_bool exiting;
static pthread_once_t exiting_once = PTHREAD_ONCE_INIT;

static void mark_exiting(void)
{
	atomic_store_explicit(&exiting, true, memory_order_relaxed);
}

static void register_mark_exiting(void)
{
	atexit(mark_exiting);
}

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
 * Sets the probes half of the enabled word. The other half is the SDT
 * semaphore, which the kernel increments and decrements with plain 16-bit
 * read-modify-writes while tools attach: an atomic RMW of the whole word
 * changes only this half and cannot lose the kernel's update. Relaxed: see
 * publish() for why no ordering is needed.
 */
static void set_enabled(struct tps_tracepoint *tp, bool on)
{
	if (on)
		atomic_fetch_or_explicit(&tp->enabled, 1, memory_order_relaxed);
	else
		atomic_fetch_and_explicit(&tp->enabled, TPS__TP_SDT_MASK, memory_order_relaxed);
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
		set_enabled(tp, true);
	} else if (before == 1 && after == 0) {
		/* 1->0: close the call sites, then publish the empty array.
		 * Call sites already past the check iterate over the old array,
		 * which stays valid until the grace period. */
		set_enabled(tp, false);
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

/* Attaches (func, data) to tp, a registered tracepoint; the registry is held. */
static int probe_register(struct tps_tracepoint *tp, void (*func)(void), void *data, int prio,
                          unsigned int flags)
{
	struct tps_tracepoint_func *old;
	struct probe_array *a;
	size_t live;
	int err = 0;

	(void)flags; /* checked by the callers */
	pthread_once(&exiting_once, register_mark_exiting);
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

/* Detaches (func, data) from tp, a registered tracepoint; the registry is held. */
static int probe_unregister(struct tps_tracepoint *tp, void (*func)(void), void *data)
{
	struct tps_tracepoint_func *old, *new = tps__tracepoint_empty;
	struct probe_array *a;
	size_t live;
	long idx;
	int err = 0;

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

const char *tps_tracepoint_signature(const struct tps_tracepoint *tp)
{
	return tp ? tp->signature : NULL;
}

bool tps_tracepoint_is_faultable(const struct tps_tracepoint *tp)
{
	return tp && is_faultable(tp);
}

/* ---- Signatures. ---- */

static bool is_word(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/*
 * The normalized form of a parameter list, malloc'd (NULL without memory):
 * an optional TPS_PROTO( ... ) or ( ... ) around it is dropped, tokens are
 * separated by one space between two words, after a comma and before a '*'
 * or '(' that follows a word, and by nothing elsewhere ("const char *path",
 * "int id, long us"); an empty list is "void".
 */
static char *normalize_signature(const char *s)
{
	const char *end;
	char *out, *o, prev = 0;

	while (isspace((unsigned char)*s))
		s++;
	if (strncmp(s, "TPS_PROTO", 9) == 0 && !is_word(s[9]))
		s += 9;
	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	if (*s == '(') {
		const char *close = strrchr(s, ')');

		if (close) {
			s++;
			end = close;
		}
	}
	out = malloc(2 * (size_t)(end - s) + 5);
	if (!out)
		return NULL;
	o = out;
	while (s < end) {
		bool word;

		if (isspace((unsigned char)*s)) {
			s++;
			continue;
		}
		word = is_word(*s);
		if (prev && ((is_word(prev) && (word || *s == '*' || *s == '(')) || prev == ','))
			*o++ = ' ';
		if (word) {
			while (s < end && is_word(*s))
				*o++ = *s++;
		} else {
			*o++ = *s++;
		}
		prev = o[-1];
	}
	if (o == out)
		memcpy(o, "void", 4), o += 4;
	*o = '\0';
	return out;
}

/* ---- The registry of sections. ---- */

/* One object's (executable's or shared object's) section of tracepoints. */
struct section {
	struct tps_tracepoint *const *start;
	struct tps_tracepoint *const *stop;
	unsigned int refs; /* one per constructor that ran in the object */
	bool in_main;      /* the executable's: removed only at exit */
	struct section *next;
};

/* A probe registered by name: attached to every matching instance, now and later. */
struct named_probe {
	char *name;
	char *signature; /* normalized */
	void (*func)(void);
	void *data;
	int prio;
	unsigned int flags;
	struct named_probe *next;
};

struct notifier {
	void (*fn)(void *data, struct tps_tracepoint *tp, int event);
	void *data;
	struct notifier *next;
};

/* The registry: sections, named probes and notifiers. */
static pthread_mutex_t sections_mutex = PTHREAD_MUTEX_INITIALIZER;
static struct section *sections;
static struct named_probe *named_probes;
static struct notifier *notifiers;
/* Depth of this thread's hold: callbacks may call back into the registry. */
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

/* Whether tp is a tracepoint of a registered section; the registry is held. */
static bool registered(const struct tps_tracepoint *tp)
{
	struct tps_tracepoint *const *p;
	struct section *s;

	for (s = sections; s; s = s->next) {
		for (p = s->start; p < s->stop; p++) {
			if (*p == tp)
				return true;
		}
	}
	return false;
}

int tps_tracepoint_probe_register(struct tps_tracepoint *tp, void (*func)(void), void *data,
                                  int prio, unsigned int flags)
{
	int err;

	if (!tp || !func || (flags & ~TPS_PROBE_MAY_FAULT))
		return -EINVAL;
	sections_lock();
	/* Checked before tp is dereferenced: a stale pointer is never read. */
	if (!registered(tp))
		err = -ENOENT;
	else if ((err = check_register(tp, func, flags)) == 0)
		err = probe_register(tp, func, data, prio, flags);
	sections_unlock();
	return err;
}

int tps_tracepoint_probe_unregister(struct tps_tracepoint *tp, void (*func)(void), void *data)
{
	int err;

	if (!tp || !func)
		return -EINVAL;
	sections_lock();
	err = registered(tp) ? probe_unregister(tp, func, data) : -ENOENT;
	sections_unlock();
	return err;
}

/* Calls every notifier; the registry is held. */
static void notify(struct tps_tracepoint *tp, int event)
{
	struct notifier *n;

	for (n = notifiers; n; n = n->next)
		n->fn(n->data, tp, event);
}

/* Whether a probe registered by name with this signature and flags fits tp. */
static bool matches(const struct tps_tracepoint *tp, const char *signature, unsigned int flags)
{
	return tp->signature && strcmp(tp->signature, signature) == 0 &&
	       !(flags & TPS_PROBE_MAY_FAULT) == !is_faultable(tp);
}

/* The instance tp was added: attach the probes registered by its name. */
static void attach_named(struct tps_tracepoint *tp)
{
	struct named_probe *np;

	for (np = named_probes; np; np = np->next) {
		if (strcmp(np->name, tp->name) == 0 && matches(tp, np->signature, np->flags))
			(void)probe_register(tp, np->func, np->data, np->prio, np->flags);
	}
}

/*
 * Whether addr lies in a loaded segment of the executable, found from its
 * program headers (the auxiliary vector): no lock of the dynamic loader is
 * taken, since a constructor calls this while the loader runs it.
 */
static bool section_in_main(const void *addr)
{
	const ElfW(Phdr) *ph = (const ElfW(Phdr) *)getauxval(AT_PHDR);
	unsigned long n = getauxval(AT_PHNUM), i;
	uintptr_t bias = 0, a = (uintptr_t)addr;

	if (!ph)
		return false;
	for (i = 0; i < n; i++) {
		if (ph[i].p_type == PT_PHDR)
			bias = (uintptr_t)ph - ph[i].p_vaddr;
	}
	for (i = 0; i < n; i++) {
		if (ph[i].p_type == PT_LOAD && a >= bias + ph[i].p_vaddr &&
		    a - (bias + ph[i].p_vaddr) < ph[i].p_memsz)
			return true;
	}
	return false;
}

void tps__tracepoint_section_register(struct tps_tracepoint *const *start,
                                      struct tps_tracepoint *const *stop)
{
	struct tps_tracepoint *const *p;
	struct section *s;
	bool in_main;

	if (!start || start == stop)
		return;
	in_main = section_in_main(start);
	sections_lock();
	for (s = sections; s && s->start != start; s = s->next)
		;
	if (s) {
		s->refs++;
	} else if ((s = malloc(sizeof(*s))) != NULL) {
		*s = (struct section){.start = start,
		                      .stop = stop,
		                      .refs = 1,
		                      .in_main = in_main,
		                      .next = sections};
		for (p = start; p < stop; p++) {
			if (*p && (*p)->proto && !(*p)->signature)
				(*p)->signature = normalize_signature((*p)->proto);
		}
		sections = s;
		for (p = start; p < stop; p++) {
			if (*p)
				attach_named(*p);
		}
		for (p = start; p < stop; p++) {
			if (*p)
				notify(*p, TPS_TRACEPOINT_ADDED);
		}
	}
	sections_unlock();
}

/* Grace periods a section's teardown must wait for (TPS_TRACEPOINT_FAULTABLE + 1 bits). */
#define NEED_RCU 0x1u
#define NEED_TRACE 0x2u

/*
 * The object is going away (dlclose or exit): detach every probe of its
 * tracepoints. The arrays are freed after grace periods, by callbacks that
 * do not touch the object's memory. Returns the flavours of the readers
 * that may still be running the detached probes.
 */
static unsigned int detach_section(const struct section *s)
{
	struct tps_tracepoint *const *p;
	unsigned int need = 0;

	pthread_mutex_lock(&probes_mutex);
	for (p = s->start; p < s->stop; p++) {
		struct tps_tracepoint_func *old;

		if (!*p)
			continue;
		old = atomic_load_explicit(&(*p)->funcs, memory_order_relaxed);
		if (old == tps__tracepoint_empty)
			continue;
		publish(*p, tps__tracepoint_empty, 1, 0);
		release_array(*p, old);
		need |= is_faultable(*p) ? NEED_TRACE : NEED_RCU;
	}
	pthread_mutex_unlock(&probes_mutex);
	return need;
}

void tps__tracepoint_section_unregister(struct tps_tracepoint *const *start)
{
	struct tps_tracepoint *const *p;
	struct section **pp, *s;
	unsigned int need = 0;

	if (!start)
		return;
	sections_lock();
	for (pp = &sections; *pp && (*pp)->start != start; pp = &(*pp)->next)
		;
	s = *pp;
	if (s && s->in_main)
		mark_exiting();
	if (s && --s->refs == 0) {
		/* Still registered while the notifiers run: they may unregister probes. */
		for (p = s->start; p < s->stop; p++) {
			if (*p)
				notify(*p, TPS_TRACEPOINT_REMOVED);
		}
		*pp = s->next;
		need = detach_section(s);
		for (p = s->start; p < s->stop; p++) {
			if (*p && (*p)->signature) {
				free((void *)(*p)->signature);
				(*p)->signature = NULL;
			}
		}
		free(s);
	}
	sections_unlock();
	/*
	 * The object's memory (its tracepoints, the probes' view of them) goes
	 * away when this destructor returns: wait until no reader of either
	 * flavour can still be running a probe detached above, so that after
	 * dlclose() returns no probe runs in the object's tracepoints and a
	 * tracer may free what its probes use. Nothing to wait for when no
	 * probe was attached, nor at exit, where no object is unmapped (and a
	 * reader blocked for good in a faultable probe must not hang exit()).
	 */
	if (atomic_load_explicit(&exiting, memory_order_relaxed))
		need = 0;
	if (need & NEED_RCU)
		tps_synchronize_rcu();
	if (need & NEED_TRACE)
		tps_synchronize_rcu_tasks_trace();
}

/* ---- Attach by name. ---- */

static struct named_probe **find_named(const char *name, void (*func)(void), void *data)
{
	struct named_probe **pp;

	for (pp = &named_probes; *pp; pp = &(*pp)->next) {
		if ((*pp)->func == func && (*pp)->data == data && strcmp((*pp)->name, name) == 0)
			return pp;
	}
	return NULL;
}

/* Detaches np from every loaded instance it fits, up to (not including) stop. */
static void detach_named(const struct named_probe *np, const struct tps_tracepoint *stop)
{
	struct tps_tracepoint *const *p;
	struct section *s;

	for (s = sections; s; s = s->next) {
		for (p = s->start; p < s->stop; p++) {
			if (*p == stop && stop)
				return;
			if (*p && strcmp((*p)->name, np->name) == 0 &&
			    matches(*p, np->signature, np->flags))
				(void)probe_unregister(*p, np->func, np->data);
		}
	}
}

static void free_named(struct named_probe *np)
{
	if (np) {
		free(np->name);
		free(np->signature);
		free(np);
	}
}

int tps_tracepoint_probe_register_by_name(const char *name, const char *signature,
                                          void (*func)(void), void *data, int prio,
                                          unsigned int flags)
{
	struct tps_tracepoint *const *p;
	struct named_probe *np;
	struct section *s;
	unsigned int fit = 0, misfit = 0;
	int err = 0;

	if (!name || !signature || !func || (flags & ~TPS_PROBE_MAY_FAULT))
		return -EINVAL;
	np = calloc(1, sizeof(*np));
	if (!np || !(np->name = strdup(name)) ||
	    !(np->signature = normalize_signature(signature))) {
		free_named(np);
		return -ENOMEM;
	}
	np->func = func;
	np->data = data;
	np->prio = prio;
	np->flags = flags;
	sections_lock();
	if (find_named(name, func, data)) {
		err = -EEXIST;
		goto out;
	}
	for (s = sections; s; s = s->next) {
		for (p = s->start; p < s->stop; p++) {
			if (*p && strcmp((*p)->name, name) == 0) {
				if (matches(*p, np->signature, flags))
					fit++;
				else
					misfit++;
			}
		}
	}
	/* Instances exist and none fits: this registration conflicts with them. */
	if (misfit && !fit) {
		err = -EINVAL;
		goto out;
	}
	for (s = sections; s && !err; s = s->next) {
		for (p = s->start; p < s->stop && !err; p++) {
			if (*p && strcmp((*p)->name, name) == 0 &&
			    matches(*p, np->signature, flags)) {
				err = probe_register(*p, func, data, prio, flags);
				if (err)
					detach_named(np, *p); /* undo those attached before it */
			}
		}
	}
	if (!err) {
		np->next = named_probes;
		named_probes = np;
		np = NULL;
	}
out:
	sections_unlock();
	free_named(np);
	return err;
}

int tps_tracepoint_probe_unregister_by_name(const char *name, void (*func)(void), void *data)
{
	struct named_probe **pp, *np;

	if (!name || !func)
		return -EINVAL;
	sections_lock();
	pp = find_named(name, func, data);
	if (!pp) {
		sections_unlock();
		return -ENOENT;
	}
	np = *pp;
	*pp = np->next;
	/* Only instances of loaded objects are walked: nothing freed is touched. */
	detach_named(np, NULL);
	sections_unlock();
	free_named(np);
	return 0;
}

int tps_tracepoint_probe_count_by_name(const char *name, void (*func)(void), void *data,
                                       unsigned int *attached, unsigned int *mismatched)
{
	struct tps_tracepoint *const *p;
	struct named_probe **pp;
	struct section *s;
	unsigned int fit = 0, misfit = 0;

	if (!name || !func)
		return -EINVAL;
	sections_lock();
	pp = find_named(name, func, data);
	if (!pp) {
		sections_unlock();
		return -ENOENT;
	}
	pthread_mutex_lock(&probes_mutex);
	for (s = sections; s; s = s->next) {
		for (p = s->start; p < s->stop; p++) {
			if (!*p || strcmp((*p)->name, name) != 0)
				continue;
			if (!matches(*p, (*pp)->signature, (*pp)->flags))
				misfit++;
			else if (find_probe(
			                 atomic_load_explicit(&(*p)->funcs, memory_order_relaxed),
			                 func, data) >= 0)
				fit++;
		}
	}
	pthread_mutex_unlock(&probes_mutex);
	sections_unlock();
	if (attached)
		*attached = fit;
	if (mismatched)
		*mismatched = misfit;
	return 0;
}

/* ---- Notifiers. ---- */

int tps_tracepoint_notifier_register(void (*fn)(void *data, struct tps_tracepoint *tp, int event),
                                     void *data)
{
	struct tps_tracepoint *const *p;
	struct notifier **pp, *n;
	struct section *s;

	if (!fn)
		return -EINVAL;
	sections_lock();
	for (pp = &notifiers; *pp; pp = &(*pp)->next) {
		if ((*pp)->fn == fn && (*pp)->data == data) {
			sections_unlock();
			return -EEXIST;
		}
	}
	n = malloc(sizeof(*n));
	if (!n) {
		sections_unlock();
		return -ENOMEM;
	}
	*n = (struct notifier){.fn = fn, .data = data, .next = NULL};
	*pp = n; /* last: notifiers run in registration order */
	for (s = sections; s; s = s->next) {
		for (p = s->start; p < s->stop; p++) {
			if (*p)
				fn(data, *p, TPS_TRACEPOINT_ADDED);
		}
	}
	sections_unlock();
	return 0;
}

int tps_tracepoint_notifier_unregister(void (*fn)(void *data, struct tps_tracepoint *tp, int event),
                                       void *data)
{
	struct notifier **pp, *n;

	if (!fn)
		return -EINVAL;
	sections_lock();
	for (pp = &notifiers; *pp; pp = &(*pp)->next) {
		if ((*pp)->fn == fn && (*pp)->data == data)
			break;
	}
	n = *pp;
	if (n)
		*pp = n->next;
	sections_unlock();
	free(n);
	return n ? 0 : -ENOENT;
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
