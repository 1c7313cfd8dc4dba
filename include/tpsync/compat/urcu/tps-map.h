/* SPDX-License-Identifier: MIT */
/*
 * tpsync compat: liburcu's flavour API (memb) mapped onto tpsync.
 *
 * Every header of this directory includes this one. A program written for
 * liburcu's memb flavour builds unchanged with
 *     cc -I<prefix>/include/tpsync/compat ... $(pkg-config --cflags --libs tpsync)
 * and runs on tpsync's classic flavour. Define TPS_URCU_FLAVOR_TASKS_TRACE
 * before the first include (or with -D) to map the same program onto the
 * tasks-trace flavour instead: its readers may then sleep, block and fault.
 * A program written for liburcu's QSBR flavour (<urcu-qsbr.h>,
 * <urcu/urcu-qsbr.h>) runs on tpsync's QSBR flavour the same way.
 *
 * What differs from liburcu:
 *  - Registration is optional (tpsync registers a thread at its first
 *    reader); rcu_register_thread() just does it up front.
 *  - call_rcu() callbacks of a flavour all run on that flavour's single
 *    worker thread: call_rcu_data handles exist, but per-CPU call_rcu data
 *    is refused as liburcu refuses it where it is not supported
 *    (create_all_cpu_call_rcu_data() and set_cpu_call_rcu_data() fail with
 *    -EINVAL and errno EINVAL; get_cpu_call_rcu_data() returns NULL).
 *  - defer_rcu() keeps at most 4,096 calls in flight per thread; past that
 *    the caller waits for a grace period and runs the call itself, as
 *    liburcu's does when its per-thread queue is full.
 *  - Fork needs nothing: tpsync handles it in pthread_atfork handlers, so
 *    call_rcu_before_fork() and its companions do nothing.
 *  - rcu_flavor (struct rcu_flavor_struct) comes from the tpsync-urcu
 *    adapter library, as tps_urcu_flavor_rcu and friends.
 */
#ifndef TPSYNC_COMPAT_URCU_TPS_MAP_H
#define TPSYNC_COMPAT_URCU_TPS_MAP_H

#include <errno.h>
#include <pthread.h>

#include <tpsync/rcu.h>
#include <tpsync/rcu_qsbr.h>
#include <tpsync/rcu_trace.h>

#ifdef __cplusplus
extern "C" {
#endif

/* liburcu's callback head is tpsync's: the same two words. */
#define rcu_head tps_rcu_head

/* ---- Pointer publication (urcu/pointer.h). ---- */

#define rcu_dereference(p) tps_rcu_dereference(p)
#define rcu_assign_pointer(p, v) tps_rcu_assign_pointer(p, v)
#define rcu_set_pointer(pp, v) __atomic_store_n((pp), (v), __ATOMIC_RELEASE)
#define rcu_xchg_pointer(pp, v) tps_rcu_xchg_pointer(pp, v)
#define rcu_cmpxchg_pointer(pp, old, v) tps_rcu_cmpxchg_pointer(pp, old, v)

/* ---- A few of urcu/compiler.h's helpers that such programs use. ---- */

#ifndef caa_container_of
#define caa_container_of(ptr, type, member) tps_container_of(ptr, type, member)
#endif
#ifndef caa_likely
#define caa_likely(x) tps_likely(x)
#define caa_unlikely(x) tps_unlikely(x)
#endif
#ifndef cmm_barrier
#define cmm_barrier() tps_barrier()
#endif
#ifndef cmm_smp_mb
#define cmm_smp_mb() tps_smp_mb()
#endif
#ifndef CMM_LOAD_SHARED
#define CMM_LOAD_SHARED(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define CMM_STORE_SHARED(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#endif

/* ---- The flavour. ---- */

#if defined(TPS__URCU_QSBR)
#define TPS__URCU_READ_LOCK tps_qsbr_read_lock
#define TPS__URCU_READ_UNLOCK tps_qsbr_read_unlock
/* liburcu QSBR: "ongoing" means online, where readers are allowed. */
#define TPS__URCU_READ_ONGOING tps_rcu_is_watching
#define TPS__URCU_SYNCHRONIZE tps_synchronize_qsbr
#define TPS__URCU_CALL tps_call_qsbr
#define TPS__URCU_BARRIER tps_qsbr_barrier
#define TPS__URCU_DEFER tps_defer_qsbr
#elif defined(TPS_URCU_FLAVOR_TASKS_TRACE)
#define TPS__URCU_READ_LOCK tps_rcu_read_lock_trace
#define TPS__URCU_READ_UNLOCK tps_rcu_read_unlock_trace
#define TPS__URCU_READ_ONGOING tps_rcu_read_lock_trace_held
#define TPS__URCU_SYNCHRONIZE tps_synchronize_rcu_tasks_trace
#define TPS__URCU_CALL tps_call_rcu_tasks_trace
#define TPS__URCU_BARRIER tps_rcu_barrier_tasks_trace
#define TPS__URCU_DEFER tps_defer_rcu_tasks_trace
#else
#define TPS__URCU_READ_LOCK tps_rcu_read_lock
#define TPS__URCU_READ_UNLOCK tps_rcu_read_unlock
#define TPS__URCU_READ_ONGOING tps_rcu_read_ongoing
#define TPS__URCU_SYNCHRONIZE tps_synchronize_rcu
#define TPS__URCU_CALL tps_call_rcu
#define TPS__URCU_BARRIER tps_rcu_barrier
#define TPS__URCU_DEFER tps_defer_rcu
#endif

static inline void rcu_init(void)
{
}

static inline void rcu_read_lock(void)
{
	TPS__URCU_READ_LOCK();
}

static inline void rcu_read_unlock(void)
{
	TPS__URCU_READ_UNLOCK();
}

static inline int rcu_read_ongoing(void)
{
	return TPS__URCU_READ_ONGOING();
}

static inline void synchronize_rcu(void)
{
	TPS__URCU_SYNCHRONIZE();
}

#if defined(TPS__URCU_QSBR)
/* QSBR threads register explicitly and are online from then on, as in liburcu. */
static inline void rcu_register_thread(void)
{
	(void)tps_qsbr_register_thread();
}

static inline void rcu_unregister_thread(void)
{
	(void)tps_qsbr_unregister_thread();
}

static inline void rcu_quiescent_state(void)
{
	tps_qsbr_quiescent_state();
}

static inline void rcu_thread_offline(void)
{
	tps_qsbr_thread_offline();
}

static inline void rcu_thread_online(void)
{
	tps_qsbr_thread_online();
}
#else
static inline void rcu_register_thread(void)
{
	(void)tps_register_thread();
}

/* Inside a reader tpsync refuses (-EBUSY) and the thread stays registered. */
static inline void rcu_unregister_thread(void)
{
	(void)tps_unregister_thread();
}

/* The memb flavour has no quiescent states: these do nothing, as in liburcu. */
static inline void rcu_quiescent_state(void)
{
}

static inline void rcu_thread_offline(void)
{
}

static inline void rcu_thread_online(void)
{
}
#endif

/* ---- call_rcu (urcu/call-rcu.h). ---- */

static inline void call_rcu(struct tps_rcu_head *head, void (*func)(struct tps_rcu_head *head))
{
	(void)TPS__URCU_CALL(head, func);
}

static inline void rcu_barrier(void)
{
	TPS__URCU_BARRIER();
}

/*
 * One handle stands for the flavour's worker: every call_rcu_data a program
 * creates or looks up is that one, and freeing it does nothing.
 */
struct call_rcu_data {
	int tps_unused;
};

static inline struct call_rcu_data *tps__urcu_worker_handle(void)
{
	static struct call_rcu_data handle;
	return &handle;
}

static inline struct call_rcu_data *create_call_rcu_data(unsigned long flags, int cpu_affinity)
{
	(void)flags;
	(void)cpu_affinity;
	return tps__urcu_worker_handle();
}

static inline void call_rcu_data_free(struct call_rcu_data *crdp)
{
	(void)crdp;
}

static inline struct call_rcu_data *get_default_call_rcu_data(void)
{
	return tps__urcu_worker_handle();
}

static inline struct call_rcu_data *get_call_rcu_data(void)
{
	return tps__urcu_worker_handle();
}

static inline struct call_rcu_data *get_thread_call_rcu_data(void)
{
	return NULL;
}

static inline void set_thread_call_rcu_data(struct call_rcu_data *crdp)
{
	(void)crdp;
}

/* No per-CPU call_rcu data: NULL, as liburcu answers where it has none. */
static inline struct call_rcu_data *get_cpu_call_rcu_data(int cpu)
{
	(void)cpu;
	return NULL;
}

static inline int set_cpu_call_rcu_data(int cpu, struct call_rcu_data *crdp)
{
	(void)cpu;
	(void)crdp;
	errno = EINVAL;
	return -EINVAL;
}

static inline int create_all_cpu_call_rcu_data(unsigned long flags)
{
	(void)flags;
	errno = EINVAL;
	return -EINVAL;
}

static inline void free_all_cpu_call_rcu_data(void)
{
}

static inline void call_rcu_before_fork(void)
{
}

static inline void call_rcu_after_fork_parent(void)
{
}

static inline void call_rcu_after_fork_child(void)
{
}

/* ---- defer_rcu (urcu/defer.h). ---- */

static inline void defer_rcu(void (*fct)(void *p), void *p)
{
	(void)TPS__URCU_DEFER(fct, p);
}

static inline int rcu_defer_register_thread(void)
{
	return 0;
}

/* liburcu runs the thread's deferred calls before it returns: wait for them. */
static inline void rcu_defer_unregister_thread(void)
{
	TPS__URCU_BARRIER();
}

static inline void rcu_defer_barrier(void)
{
	TPS__URCU_BARRIER();
}

static inline void rcu_defer_barrier_thread(void)
{
	TPS__URCU_BARRIER();
}

/*
 * ---- liburcu's flavour-prefixed names. ----
 * A program that includes <urcu/urcu-memb.h> (or <urcu/urcu-qsbr.h>) calls
 * urcu_memb_read_lock() (urcu_qsbr_read_lock()) and so on: the same
 * functions under the flavour's prefix.
 */
#if defined(TPS__URCU_QSBR)
#define urcu_qsbr_read_lock rcu_read_lock
#define urcu_qsbr_read_unlock rcu_read_unlock
#define urcu_qsbr_read_ongoing rcu_read_ongoing
#define urcu_qsbr_quiescent_state rcu_quiescent_state
#define urcu_qsbr_thread_offline rcu_thread_offline
#define urcu_qsbr_thread_online rcu_thread_online
#define urcu_qsbr_register_thread rcu_register_thread
#define urcu_qsbr_unregister_thread rcu_unregister_thread
#define urcu_qsbr_init rcu_init
#define urcu_qsbr_synchronize_rcu synchronize_rcu
#define urcu_qsbr_call_rcu call_rcu
#define urcu_qsbr_barrier rcu_barrier
#define urcu_qsbr_create_call_rcu_data create_call_rcu_data
#define urcu_qsbr_call_rcu_data_free call_rcu_data_free
#define urcu_qsbr_get_default_call_rcu_data get_default_call_rcu_data
#define urcu_qsbr_get_call_rcu_data get_call_rcu_data
#define urcu_qsbr_get_thread_call_rcu_data get_thread_call_rcu_data
#define urcu_qsbr_set_thread_call_rcu_data set_thread_call_rcu_data
#define urcu_qsbr_get_cpu_call_rcu_data get_cpu_call_rcu_data
#define urcu_qsbr_set_cpu_call_rcu_data set_cpu_call_rcu_data
#define urcu_qsbr_create_all_cpu_call_rcu_data create_all_cpu_call_rcu_data
#define urcu_qsbr_free_all_cpu_call_rcu_data free_all_cpu_call_rcu_data
#define urcu_qsbr_call_rcu_before_fork call_rcu_before_fork
#define urcu_qsbr_call_rcu_after_fork_parent call_rcu_after_fork_parent
#define urcu_qsbr_call_rcu_after_fork_child call_rcu_after_fork_child
#define urcu_qsbr_defer_rcu defer_rcu
#define urcu_qsbr_defer_register_thread rcu_defer_register_thread
#define urcu_qsbr_defer_unregister_thread rcu_defer_unregister_thread
#define urcu_qsbr_defer_barrier rcu_defer_barrier
#define urcu_qsbr_defer_barrier_thread rcu_defer_barrier_thread
#else
#define urcu_memb_read_lock rcu_read_lock
#define urcu_memb_read_unlock rcu_read_unlock
#define urcu_memb_read_ongoing rcu_read_ongoing
#define urcu_memb_quiescent_state rcu_quiescent_state
#define urcu_memb_thread_offline rcu_thread_offline
#define urcu_memb_thread_online rcu_thread_online
#define urcu_memb_register_thread rcu_register_thread
#define urcu_memb_unregister_thread rcu_unregister_thread
#define urcu_memb_init rcu_init
#define urcu_memb_synchronize_rcu synchronize_rcu
#define urcu_memb_call_rcu call_rcu
#define urcu_memb_barrier rcu_barrier
#define urcu_memb_create_call_rcu_data create_call_rcu_data
#define urcu_memb_call_rcu_data_free call_rcu_data_free
#define urcu_memb_get_default_call_rcu_data get_default_call_rcu_data
#define urcu_memb_get_call_rcu_data get_call_rcu_data
#define urcu_memb_get_thread_call_rcu_data get_thread_call_rcu_data
#define urcu_memb_set_thread_call_rcu_data set_thread_call_rcu_data
#define urcu_memb_get_cpu_call_rcu_data get_cpu_call_rcu_data
#define urcu_memb_set_cpu_call_rcu_data set_cpu_call_rcu_data
#define urcu_memb_create_all_cpu_call_rcu_data create_all_cpu_call_rcu_data
#define urcu_memb_free_all_cpu_call_rcu_data free_all_cpu_call_rcu_data
#define urcu_memb_call_rcu_before_fork call_rcu_before_fork
#define urcu_memb_call_rcu_after_fork_parent call_rcu_after_fork_parent
#define urcu_memb_call_rcu_after_fork_child call_rcu_after_fork_child
#define urcu_memb_defer_rcu defer_rcu
#define urcu_memb_defer_register_thread rcu_defer_register_thread
#define urcu_memb_defer_unregister_thread rcu_defer_unregister_thread
#define urcu_memb_defer_barrier rcu_defer_barrier
#define urcu_memb_defer_barrier_thread rcu_defer_barrier_thread
#endif

#ifdef __cplusplus
}
#endif

#endif /* TPSYNC_COMPAT_URCU_TPS_MAP_H */
