/* SPDX-License-Identifier: MIT */
/** @file
 * tpsync/rcu_tasks.h - the Tasks flavour (the kernel's RCU Tasks) and a
 * core-serializing fence for code patching.
 *
 * No read-side marking at all: a "reader" is any stretch of user code a
 * thread runs without blocking in the kernel. A grace period ends when every
 * thread of the process (registered with the library or not, found through
 * /proc/self/task) has been seen quiescent since it began:
 *  - blocked in the kernel when the grace period looked (state other than
 *    running in /proc/self/task/TID/status),
 *  - its voluntary context-switch count changed (it blocked meanwhile),
 *  - it called tps_rcu_tasks_qs(), or
 *  - it exited.
 * The calling thread counts as quiescent. A thread that runs user code
 * without ever blocking holds the grace period, as a task that never
 * schedules does in the kernel; after a while (tps_rcu_tasks_set_stall_timeout())
 * the grace period reports its holdouts once.
 *
 * What it is for: code that threads run without any read-side marking —
 * trampolines a tracer installs, instructions patched into running functions
 * — can be freed or changed once no thread can still be executing it:
 * a thread that blocked since the change was made has left any such code,
 * provided that code itself never blocks.
 *
 * Limits (the price of needing no read-side marking; the kernel has the
 * same ones, in the form "trampolines must not sleep"):
 *  - Code the grace period protects must not block. A trampoline that calls
 *    a blocking function (a mutex, I/O, a page fault that waits for the disk)
 *    is seen quiescent while the thread is still inside it. Lock (mlock) the
 *    pages of such code and of the data it touches.
 *  - A signal handler that blocks while it interrupted protected code makes
 *    the interrupted thread look quiescent; so does a thread stopped by a
 *    signal or a debugger (SIGSTOP, ptrace) in the middle of such code.
 *  - Involuntary preemption does not count: a thread that the scheduler
 *    preempts is still running user code. A busy thread therefore delays
 *    grace periods until it blocks or calls tps_rcu_tasks_qs().
 *  - /proc must be mounted: without /proc/self/task the library cannot know
 *    the process's threads, and a grace period aborts with a message.
 *  - Grace periods are slow (milliseconds: they read a /proc file per
 *    thread and poll): use tps_call_rcu_tasks() or the polled cookies where
 *    latency matters.
 */
#ifndef TPSYNC_RCU_TASKS_H
#define TPSYNC_RCU_TASKS_H

#include <tpsync/core.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Default stall timeout of a Tasks grace period, in milliseconds (10 s, as the kernel's). */
#define TPS_RCU_TASKS_STALL_MS_DEFAULT 10000u

/**
 * tps_synchronize_rcu_tasks() - wait for a Tasks grace period: every thread
 * of the process other than the caller has blocked in the kernel, called
 * tps_rcu_tasks_qs() or exited since the call began.
 *
 * Blocks, for as long as a thread keeps running user code without blocking.
 * Concurrent callers share grace periods. Must not be called from a signal
 * handler nor from code the grace period protects (a trampoline). Aborts
 * with a message when /proc/self/task cannot be read.
 */
TPS_EXPORT void tps_synchronize_rcu_tasks(void);

/**
 * tps_call_rcu_tasks() - run func(head) on a worker thread after a Tasks
 * grace period.
 *
 * Never blocks (takes a mutex briefly); not async-signal-safe.
 *
 * Return: 0, or -EINVAL when head or func is NULL (nothing is queued).
 */
TPS_EXPORT int tps_call_rcu_tasks(struct tps_rcu_head *head, tps_rcu_callback_t func);

/**
 * tps_rcu_barrier_tasks() - wait until every callback queued by
 * tps_call_rcu_tasks() before the call has run.
 *
 * Blocks. Aborts with a message when called from a Tasks callback, where it
 * would wait for itself.
 */
TPS_EXPORT void tps_rcu_barrier_tasks(void);

/**
 * tps_rcu_tasks_qs() - report a quiescent state of the calling thread: it
 * is not running any code a Tasks grace period protects.
 *
 * For threads that run user code for long stretches without blocking (a
 * polling loop): calling this now and then lets grace periods end without
 * waiting for the thread to block. The first call registers the thread
 * (takes a mutex); later calls cost a store (and, in fallback mode, two full
 * fences). Never blocks after the first call. Must not be called from a
 * signal handler (the interrupted code may be protected code) nor from
 * protected code.
 */
TPS_EXPORT void tps_rcu_tasks_qs(void);

/**
 * tps_get_state_synchronize_rcu_tasks() - a cookie for the polled functions
 * below (full barrier first). Never blocks.
 */
TPS_EXPORT unsigned long tps_get_state_synchronize_rcu_tasks(void);

/**
 * tps_poll_state_synchronize_rcu_tasks() - has a full Tasks grace period
 * elapsed since cookie was taken? Never blocks; acquire ordering when true.
 */
TPS_EXPORT bool tps_poll_state_synchronize_rcu_tasks(unsigned long cookie);

/**
 * tps_cond_synchronize_rcu_tasks() - wait for a Tasks grace period only when
 * none has elapsed since cookie was taken. Blocks as
 * tps_synchronize_rcu_tasks() does.
 */
TPS_EXPORT void tps_cond_synchronize_rcu_tasks(unsigned long cookie);

/**
 * typedef tps_rcu_tasks_stall_hook_t - receives the thread ids a Tasks grace
 * period still waits for, once per grace period, after the stall timeout.
 * Runs on the thread that runs the grace period; it must not start a Tasks
 * grace period itself. tids is valid during the call only.
 */
typedef void (*tps_rcu_tasks_stall_hook_t)(const int *tids, unsigned int ntids,
                                           unsigned long waited_ms, void *arg);

/**
 * tps_rcu_tasks_set_stall_hook() - report stalled grace periods to hook(arg)
 * instead of stderr; NULL restores the message on stderr. Takes effect at
 * the next report. Never blocks (takes a mutex briefly).
 */
TPS_EXPORT void tps_rcu_tasks_set_stall_hook(tps_rcu_tasks_stall_hook_t hook, void *arg);

/**
 * tps_rcu_tasks_set_stall_timeout() - how long a Tasks grace period waits
 * before it reports its holdouts (default TPS_RCU_TASKS_STALL_MS_DEFAULT, or
 * the environment variable TPSYNC_TASKS_STALL_MS read at start-up). The
 * grace period goes on waiting after the report.
 *
 * Return: 0, or -EINVAL when ms is 0 (nothing is changed).
 */
TPS_EXPORT int tps_rcu_tasks_set_stall_timeout(unsigned int ms);

/**
 * tps_sync_core() - make every thread of the process execute a
 * core-serializing instruction before this returns: after it, no thread can
 * still run instructions it fetched before the call (the step between the
 * writes of a cross-modifying code update).
 *
 * Uses membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE), registered in
 * the library's constructor; the calling thread also serializes itself.
 * Blocks briefly (inter-processor interrupts). Not async-signal-safe.
 *
 * Return: 0; -ENOSYS when the kernel lacks the command or the fallbacks are
 * forced (TPSYNC_FORCE_FALLBACK): there is no cheaper way to serialize every
 * thread, so the caller must not patch code that other threads may run;
 * another negative errno if membarrier fails.
 */
TPS_EXPORT int tps_sync_core(void);

#ifdef __cplusplus
}
#endif

#endif /* TPSYNC_RCU_TASKS_H */
