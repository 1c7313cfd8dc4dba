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

#ifndef __cplusplus
#include <stdatomic.h>
#endif
#include <stddef.h>

#include <tpsync/config.h>

/*
 * Atomic types and operations, for C and C++ alike.
 *
 * In C, TPS__ATOMIC(T) is _Atomic(T) and the operations are those of
 * <stdatomic.h>: the library and its C users see exactly C11 atomics. In C++
 * (where _Atomic does not exist before C++23), TPS__ATOMIC(T) is a plain T
 * with the alignment C gives _Atomic(T) (8 for a long long on i386, where a
 * plain long long in a struct is 4-aligned), accessed only through the
 * __atomic builtins, which are what <stdatomic.h> expands to: every struct
 * has the same layout in both languages, every inline function the same
 * semantics. No <atomic> is needed, so the headers need no C++ library.
 *
 * TPS__ATOMIC(T) is a type: it serves in members, pointers and parameters.
 * The operations take a pointer to such an object and a TPS__MO_* order.
 *
 * A public header stays valid C++ (tests/cxx checks every header) when it:
 * declares shared members TPS__ATOMIC(T) and aligns with TPS__ALIGNAS(), never
 * _Atomic or _Alignas; accesses them only through tps__atomic_*() with
 * TPS__MO_* orders (add an operation here, in both branches, if one is
 * missing); puts its declarations inside extern "C" after its #includes;
 * names every member, in declaration order, in a static initializer; casts
 * void * explicitly and uses no compound literal, _Static_assert, _Alignof,
 * _Noreturn, restrict or C++ keyword (new, class, this, delete...) as a name;
 * marks static functions that macros generate __attribute__((unused)); and
 * keeps C-only pragmas and diagnostics under #ifndef __cplusplus.
 */
#ifdef __cplusplus
extern "C++" {
/* T, aligned as C11 aligns _Atomic(T): to its size when that is 2, 4, 8 or 16. */
template <typename T> struct tps__atomic_of {
	typedef T type __attribute__((
	        aligned(sizeof(T) > alignof(T) && sizeof(T) <= 16 && !(sizeof(T) & (sizeof(T) - 1))
	                        ? sizeof(T)
	                        : alignof(T))));
};
}
#define TPS__ATOMIC(T) tps__atomic_of<T>::type
#define TPS__ALIGNAS(n) alignas(n)
#define TPS__MO_RELAXED __ATOMIC_RELAXED
#define TPS__MO_CONSUME __ATOMIC_CONSUME
#define TPS__MO_ACQUIRE __ATOMIC_ACQUIRE
#define TPS__MO_RELEASE __ATOMIC_RELEASE
#define TPS__MO_SEQ_CST __ATOMIC_SEQ_CST
#define tps__atomic_load(p, mo) __atomic_load_n((p), (mo))
#define tps__atomic_store(p, v, mo) __atomic_store_n((p), (v), (mo))
#define tps__atomic_fetch_add(p, v, mo) __atomic_fetch_add((p), (v), (mo))
#define tps__atomic_fetch_sub(p, v, mo) __atomic_fetch_sub((p), (v), (mo))
#define tps__atomic_exchange(p, v, mo) __atomic_exchange_n((p), (v), (mo))
#define tps__atomic_compare_exchange(p, expected, desired, mo_ok, mo_fail)                         \
	__atomic_compare_exchange_n((p), (expected), (desired), 0, (mo_ok), (mo_fail))
#define tps__atomic_signal_fence(mo) __atomic_signal_fence(mo)
#define tps__atomic_thread_fence(mo) __atomic_thread_fence(mo)
#else
#define TPS__ATOMIC(T) _Atomic(T)
#define TPS__ALIGNAS(n) _Alignas(n)
#define TPS__MO_RELAXED memory_order_relaxed
#define TPS__MO_CONSUME memory_order_consume
#define TPS__MO_ACQUIRE memory_order_acquire
#define TPS__MO_RELEASE memory_order_release
#define TPS__MO_SEQ_CST memory_order_seq_cst
#define tps__atomic_load(p, mo) atomic_load_explicit((p), (mo))
#define tps__atomic_store(p, v, mo) atomic_store_explicit((p), (v), (mo))
#define tps__atomic_fetch_add(p, v, mo) atomic_fetch_add_explicit((p), (v), (mo))
#define tps__atomic_fetch_sub(p, v, mo) atomic_fetch_sub_explicit((p), (v), (mo))
#define tps__atomic_exchange(p, v, mo) atomic_exchange_explicit((p), (v), (mo))
#define tps__atomic_compare_exchange(p, expected, desired, mo_ok, mo_fail)                         \
	atomic_compare_exchange_strong_explicit((p), (expected), (desired), (mo_ok), (mo_fail))
#define tps__atomic_signal_fence(mo) atomic_signal_fence(mo)
#define tps__atomic_thread_fence(mo) atomic_thread_fence(mo)
#endif

/** Branch hint: x is usually true. */
#define tps_likely(x) __builtin_expect(!!(x), 1)
/** Branch hint: x is usually false. */
#define tps_unlikely(x) __builtin_expect(!!(x), 0)

/** Compiler barrier: no instruction, forbids the compiler to move accesses. */
#define tps_barrier() tps__atomic_signal_fence(TPS__MO_SEQ_CST)

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
#define tps_smp_mb() tps__atomic_thread_fence(TPS__MO_SEQ_CST)
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

/**
 * TPS_READ_ONCE(x) / TPS_WRITE_ONCE(x, v) - relaxed load and store of an
 * atomic lvalue: a C11 atomic in C, a TPS__ATOMIC() object or any scalar
 * (not a std::atomic) in C++. They never block and are async-signal-safe.
 */
#define TPS_READ_ONCE(x) tps__atomic_load(&(x), TPS__MO_RELAXED)
/** Relaxed store of v to an atomic lvalue x: see TPS_READ_ONCE(). */
#define TPS_WRITE_ONCE(x, v) tps__atomic_store(&(x), (v), TPS__MO_RELAXED)

/*
 * Memory orders of read-side accesses. The `tsan` preset makes them
 * sequentially consistent (TPSYNC_SEQ_CST_READSIDE): ThreadSanitizer knows
 * nothing of membarrier and ignores fences, so without this it reports false
 * races and, worse, hides real ones.
 */
#if TPSYNC_SEQ_CST_READSIDE
#define TPS__MO_RS_RELAXED TPS__MO_SEQ_CST
#define TPS__MO_RS_RELEASE TPS__MO_SEQ_CST
#define TPS__MO_RS_ACQUIRE TPS__MO_SEQ_CST
#else
#define TPS__MO_RS_RELAXED TPS__MO_RELAXED
#define TPS__MO_RS_RELEASE TPS__MO_RELEASE
#define TPS__MO_RS_ACQUIRE TPS__MO_ACQUIRE
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
