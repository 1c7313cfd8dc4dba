/* SPDX-License-Identifier: MIT */
/** @file
 * tpsync/urcu_flavor.h - liburcu's struct rcu_flavor_struct over tpsync's
 * flavours, so that liburcu's data structures (the lock-free hash table
 * cds_lfht, queues, lists) run on them:
 *
 *     #include <urcu/rculfhash.h>
 *     #include <tpsync/urcu_flavor.h>
 *     ht = cds_lfht_new_flavor(1, 1, 0, CDS_LFHT_AUTO_RESIZE, &tps_urcu_flavor_rcu_tasks_trace,
 * NULL);
 *
 * Provided by the optional library tpsync-urcu (pkg-config tpsync-urcu,
 * CMake tpsync::tpsync_urcu), built when liburcu's headers are present;
 * link it with liburcu-cds and tpsync. No liburcu flavour library is
 * needed.
 *
 * Under tps_urcu_flavor_rcu_tasks_trace, readers of the data structure may
 * sleep, block and take page faults while they hold nodes, which no
 * liburcu flavour allows.
 */
#ifndef TPSYNC_URCU_FLAVOR_H
#define TPSYNC_URCU_FLAVOR_H

#include <urcu-flavor.h>
#include <urcu/call-rcu.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * tps_urcu_flavor_rcu - tpsync's classic flavour as a liburcu flavour:
 * read_lock is tps_rcu_read_lock(), synchronize is tps_synchronize_rcu(),
 * call_rcu is tps_call_rcu(), defer is tps_defer_rcu(), barrier is
 * tps_rcu_barrier(); quiescent states, offline and online do nothing.
 */
extern const struct rcu_flavor_struct tps_urcu_flavor_rcu;

/**
 * tps_urcu_flavor_rcu_tasks_trace - tpsync's tasks-trace flavour as a
 * liburcu flavour (tps_rcu_read_lock_trace(),
 * tps_synchronize_rcu_tasks_trace(), tps_call_rcu_tasks_trace(), ...):
 * readers may block.
 */
extern const struct rcu_flavor_struct tps_urcu_flavor_rcu_tasks_trace;

/**
 * tps_urcu_flavor_qsbr - tpsync's QSBR flavour as a liburcu flavour
 * (tps_qsbr_read_lock(), tps_qsbr_quiescent_state(),
 * tps_qsbr_thread_offline()/online(), tps_synchronize_qsbr(),
 * tps_call_qsbr(), ...), with liburcu QSBR's rules: threads register and
 * announce quiescent states; read_ongoing tells whether the thread is online.
 * A registered thread calls fork() and cds_lfht_destroy() offline: both wait
 * for the table's resize worker, whose grace period waits for every online
 * thread.
 */
extern const struct rcu_flavor_struct tps_urcu_flavor_qsbr;

#ifdef __cplusplus
}
#endif

#endif /* TPSYNC_URCU_FLAVOR_H */
