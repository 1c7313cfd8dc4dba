/* SPDX-License-Identifier: MIT */
/*
 * lib/urcu/urcu_flavor.c - the tpsync-urcu adapter library: liburcu flavour
 * tables (struct rcu_flavor_struct) over tpsync's classic, tasks-trace and
 * QSBR flavours, and fork handlers for the data structures that register
 * them through a flavour (cds_lfht's resize worker).
 */
#include <stddef.h>
#include <stdlib.h>

#include <urcu/call-rcu.h>

#include <tpsync/rcu.h>
#include <tpsync/rcu_qsbr.h>
#include <tpsync/rcu_trace.h>
#include <tpsync/urcu_flavor.h>

/*
 * liburcu's callback head is two pointers, the link then the function, as
 * tpsync's is: a head queued by a liburcu data structure is queued as is.
 */
_Static_assert(sizeof(struct rcu_head) == sizeof(struct tps_rcu_head), "rcu_head layout");
_Static_assert(offsetof(struct rcu_head, func) == offsetof(struct tps_rcu_head, func),
               "rcu_head layout");

typedef void (*urcu_callback_t)(struct rcu_head *head);

/* ---- Fork: handlers of data structures, around tpsync's own. ---- */

/*
 * Registered data structures, newest first. pthread_atfork() runs prepare
 * handlers in reverse order of registration and child/parent handlers in
 * order; ours are registered after tpsync's (its constructor ran first), so
 * a data structure's worker is paused before tpsync prepares and resumed
 * after tpsync has rebuilt its state in the child.
 */
static struct atfork_entry {
	struct urcu_atfork *atfork;
	struct atfork_entry *next;
} * atfork_list;
static pthread_mutex_t atfork_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void on_prepare(void)
{
	struct atfork_entry *e;

	pthread_mutex_lock(&atfork_lock);
	for (e = atfork_list; e; e = e->next)
		e->atfork->before_fork(e->atfork->priv);
}

static void on_parent(void)
{
	struct atfork_entry *e;

	for (e = atfork_list; e; e = e->next)
		e->atfork->after_fork_parent(e->atfork->priv);
	pthread_mutex_unlock(&atfork_lock);
}

static void on_child(void)
{
	struct atfork_entry *e;

	for (e = atfork_list; e; e = e->next)
		e->atfork->after_fork_child(e->atfork->priv);
	pthread_mutex_unlock(&atfork_lock);
}

static void atfork_init(void)
{
	if (pthread_atfork(on_prepare, on_parent, on_child) != 0)
		abort();
}

static void register_atfork(struct urcu_atfork *atfork)
{
	struct atfork_entry *e = malloc(sizeof(*e));

	/* liburcu's own registration cannot fail either: it aborts. */
	if (!e)
		abort();
	pthread_once(&atfork_once, atfork_init);
	e->atfork = atfork;
	pthread_mutex_lock(&atfork_lock);
	e->next = atfork_list;
	atfork_list = e;
	pthread_mutex_unlock(&atfork_lock);
}

static void unregister_atfork(struct urcu_atfork *atfork)
{
	struct atfork_entry **pp, *e = NULL;

	pthread_mutex_lock(&atfork_lock);
	for (pp = &atfork_list; *pp; pp = &(*pp)->next) {
		if ((*pp)->atfork == atfork) {
			e = *pp;
			*pp = e->next;
			break;
		}
	}
	pthread_mutex_unlock(&atfork_lock);
	free(e);
}

/* ---- Shared entries. ---- */

static void nothing(void)
{
}

static void register_thread(void)
{
	(void)tps_register_thread();
}

static void unregister_thread(void)
{
	(void)tps_unregister_thread();
}

/* ---- Classic. ---- */

static void rcu_lock(void)
{
	tps_rcu_read_lock();
}

static void rcu_unlock(void)
{
	tps_rcu_read_unlock();
}

static int rcu_ongoing(void)
{
	return tps_rcu_read_ongoing();
}

static void rcu_call(struct rcu_head *head, urcu_callback_t func)
{
	(void)tps_call_rcu((struct tps_rcu_head *)(void *)head,
	                   (tps_rcu_callback_t)(void (*)(void))func);
}

static void rcu_defer(void (*fn)(void *), void *p)
{
	(void)tps_defer_rcu(fn, p);
}

const struct rcu_flavor_struct tps_urcu_flavor_rcu = {
        .read_lock = rcu_lock,
        .read_unlock = rcu_unlock,
        .read_ongoing = rcu_ongoing,
        .read_quiescent_state = nothing,
        .update_call_rcu = rcu_call,
        .update_synchronize_rcu = tps_synchronize_rcu,
        .update_defer_rcu = rcu_defer,
        .thread_offline = nothing,
        .thread_online = nothing,
        .register_thread = register_thread,
        .unregister_thread = unregister_thread,
        .barrier = tps_rcu_barrier,
        .register_rculfhash_atfork = register_atfork,
        .unregister_rculfhash_atfork = unregister_atfork,
};

/* ---- Tasks-trace. ---- */

static void trace_lock(void)
{
	tps_rcu_read_lock_trace();
}

static void trace_unlock(void)
{
	tps_rcu_read_unlock_trace();
}

static int trace_ongoing(void)
{
	return tps_rcu_read_lock_trace_held();
}

static void trace_call(struct rcu_head *head, urcu_callback_t func)
{
	(void)tps_call_rcu_tasks_trace((struct tps_rcu_head *)(void *)head,
	                               (tps_rcu_callback_t)(void (*)(void))func);
}

static void trace_defer(void (*fn)(void *), void *p)
{
	(void)tps_defer_rcu_tasks_trace(fn, p);
}

const struct rcu_flavor_struct tps_urcu_flavor_rcu_tasks_trace = {
        .read_lock = trace_lock,
        .read_unlock = trace_unlock,
        .read_ongoing = trace_ongoing,
        .read_quiescent_state = nothing,
        .update_call_rcu = trace_call,
        .update_synchronize_rcu = tps_synchronize_rcu_tasks_trace,
        .update_defer_rcu = trace_defer,
        .thread_offline = nothing,
        .thread_online = nothing,
        .register_thread = register_thread,
        .unregister_thread = unregister_thread,
        .barrier = tps_rcu_barrier_tasks_trace,
        .register_rculfhash_atfork = register_atfork,
        .unregister_rculfhash_atfork = unregister_atfork,
};

/* ---- QSBR. ---- */

static void qsbr_lock(void)
{
	tps_qsbr_read_lock();
}

static void qsbr_unlock(void)
{
	tps_qsbr_read_unlock();
}

/* As liburcu's QSBR: "ongoing" means online, where readers are allowed. */
static int qsbr_ongoing(void)
{
	return tps_rcu_is_watching();
}

static void qsbr_quiescent_state(void)
{
	tps_qsbr_quiescent_state();
}

static void qsbr_call(struct rcu_head *head, urcu_callback_t func)
{
	(void)tps_call_qsbr((struct tps_rcu_head *)(void *)head,
	                    (tps_rcu_callback_t)(void (*)(void))func);
}

static void qsbr_defer(void (*fn)(void *), void *p)
{
	(void)tps_defer_qsbr(fn, p);
}

static void qsbr_offline(void)
{
	tps_qsbr_thread_offline();
}

static void qsbr_online(void)
{
	tps_qsbr_thread_online();
}

/* liburcu's register and unregister return nothing: a second call is a no-op. */
static void qsbr_register(void)
{
	(void)tps_qsbr_register_thread();
}

static void qsbr_unregister(void)
{
	(void)tps_qsbr_unregister_thread();
}

const struct rcu_flavor_struct tps_urcu_flavor_qsbr = {
        .read_lock = qsbr_lock,
        .read_unlock = qsbr_unlock,
        .read_ongoing = qsbr_ongoing,
        .read_quiescent_state = qsbr_quiescent_state,
        .update_call_rcu = qsbr_call,
        .update_synchronize_rcu = tps_synchronize_qsbr,
        .update_defer_rcu = qsbr_defer,
        .thread_offline = qsbr_offline,
        .thread_online = qsbr_online,
        .register_thread = qsbr_register,
        .unregister_thread = qsbr_unregister,
        .barrier = tps_qsbr_barrier,
        .register_rculfhash_atfork = register_atfork,
        .unregister_rculfhash_atfork = unregister_atfork,
};
