/* SPDX-License-Identifier: MIT */
/** @file
 * tpsync/compiler.h - barriers, once-accessors and branch hints over C11
 * atomics.
 *
 * Shared variables in tpsync are C11 atomics. TPS_READ_ONCE/TPS_WRITE_ONCE
 * are relaxed accesses (what the kernel's READ_ONCE/WRITE_ONCE give);
 * tps_barrier() orders only the compiler; tps_smp_mb() is a full hardware
 * fence, written as a locked add on x86-64 so that its cost does not depend
 * on which compiler built it (gcc emits a locked or, clang an mfence that
 * costs four times as much on the machines we measure);
 * tps_smp_mb__after_atomic() makes an atomic RMW a full fence, for free
 * where it already is one.
 */
#ifndef TPSYNC_COMPILER_H
#define TPSYNC_COMPILER_H

#include <stdatomic.h>
#include <stddef.h>

#include <tpsync/config.h>

/** Branch hint: x is usually true. */
#define tps_likely(x) __builtin_expect(!!(x), 1)
/** Branch hint: x is usually false. */
#define tps_unlikely(x) __builtin_expect(!!(x), 0)

/** Compiler barrier: no instruction, forbids the compiler to move accesses. */
#define tps_barrier() atomic_signal_fence(memory_order_seq_cst)

/**
 * tps_smp_mb() - a full memory barrier (the kernel's smp_mb()). On x86-64
 * a locked add of zero to the stack, which orders as much as mfence for a
 * quarter of the cost; elsewhere a seq_cst fence.
 */
#if defined(__x86_64__)
/* A locked add of zero to the stack: a full fence, 5 ns where mfence is 21. */
#define tps_smp_mb() __asm__ __volatile__("lock; addl $0,-4(%%rsp)" ::: "memory", "cc")
#elif defined(__SANITIZE_THREAD__)
/*
 * gcc refuses atomic_thread_fence() under ThreadSanitizer (-Wtsan: it does
 * not model fences). The fence is still needed by the hardware: an RMW on a
 * private word is not one (C11 orders nothing through an object no other
 * thread touches, and AArch64's ldaxr/stlxr loop lets later loads pass it).
 * __sync_synchronize() is the same full fence and is accepted; what
 * ThreadSanitizer does not model, the tsan build's sequentially consistent
 * read sides give it.
 */
#define tps_smp_mb() __sync_synchronize()
#else
#define tps_smp_mb() atomic_thread_fence(memory_order_seq_cst)
#endif

/**
 * tps_smp_mb__after_atomic() - a full fence after an atomic read-modify-write
 * (the kernel's smp_mb__after_atomic()): the RMW and everything before it
 * are ordered before every later access, loads included.
 *
 * C11 does not make even a sequentially consistent RMW a fence for the
 * relaxed accesses after it, and neither does AArch64 without LSE (ARMv8.0:
 * the ldaxr/stlxr loop lets a later plain load complete first). On x86 the
 * locked instruction already is a full fence, so there this is a compiler
 * barrier and costs nothing.
 */
#if defined(__x86_64__) || defined(__i386__)
#define tps_smp_mb__after_atomic() tps_barrier()
#else
#define tps_smp_mb__after_atomic() tps_smp_mb()
#endif

/** Relaxed load of a C11 atomic lvalue (the kernel's READ_ONCE()). */
#define TPS_READ_ONCE(x) atomic_load_explicit(&(x), memory_order_relaxed)
/** Relaxed store to a C11 atomic lvalue (the kernel's WRITE_ONCE()). */
#define TPS_WRITE_ONCE(x, v) atomic_store_explicit(&(x), (v), memory_order_relaxed)

/*
 * Memory orders of read-side accesses. The `tsan` preset makes them
 * sequentially consistent (TPSYNC_SEQ_CST_READSIDE): ThreadSanitizer knows
 * nothing of membarrier and ignores fences, so without this it reports false
 * races and, worse, hides real ones.
 */
#if TPSYNC_SEQ_CST_READSIDE
#define TPS__MO_RS_RELAXED memory_order_seq_cst
#define TPS__MO_RS_RELEASE memory_order_seq_cst
#define TPS__MO_RS_ACQUIRE memory_order_seq_cst
#else
#define TPS__MO_RS_RELAXED memory_order_relaxed
#define TPS__MO_RS_RELEASE memory_order_release
#define TPS__MO_RS_ACQUIRE memory_order_acquire
#endif

/** Spin-wait hint (pause, yield): call it in busy-wait loops. */
#if defined(__x86_64__) || defined(__i386__)
#define tps_cpu_relax() __builtin_ia32_pause()
#elif defined(__aarch64__)
#define tps_cpu_relax() __asm__ __volatile__("yield" ::: "memory")
#else
#define tps_cpu_relax() tps_barrier()
#endif

/** The object of type `type` whose member `member` is at ptr (e.g. a tps_rcu_head). */
#define tps_container_of(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

/** Marks the library's exported functions and variables (default visibility). */
#if defined(__GNUC__)
#define TPS_EXPORT __attribute__((visibility("default")))
#define TPS__COLD __attribute__((cold, noinline))
#define TPS__NORETURN __attribute__((noreturn))
#else
#define TPS_EXPORT
#define TPS__COLD
#define TPS__NORETURN
#endif

#endif /* TPSYNC_COMPILER_H */
