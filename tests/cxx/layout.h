/* SPDX-License-Identifier: MIT */
/*
 * The layout of every public struct, as one translation unit sees it:
 * layout_c.c fills tps_layout_c[] compiled as C, layout_cxx.cpp fills
 * tps_layout_cxx[] compiled as C++, and layout_main.c compares them. A
 * header that adds a struct or a member adds it to TPS_LAYOUT below.
 */
#ifndef TPS_TEST_LAYOUT_H
#define TPS_TEST_LAYOUT_H

#include <stddef.h>

#include <tpsync/flavor.h>
#include <tpsync/rcu.h>
#include <tpsync/rcu_trace.h>
#include <tpsync/srcu.h>
#include <tpsync/tracepoint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One line of the table: a struct (field NULL) or one of its members. */
struct tps_layout_entry {
	const char *type;
	const char *field;
	size_t size;
	size_t align;
	size_t offset;
};

/*
 * Not a tpsync struct: the atomic types the headers may use, including the
 * case where C and C++ differ without care (an _Atomic long long is 8-aligned
 * on i386, a plain long long in a struct only 4-aligned).
 */
struct tps_layout_atomics {
	char c0;
	TPS__ATOMIC(long long) ll;
	char c1;
	TPS__ATOMIC(unsigned long long) ull;
	char c2;
	TPS__ATOMIC(double) d;
	char c3;
	TPS__ATOMIC(short) s;
	char c4;
	TPS__ATOMIC(unsigned long) ul;
	char c5;
	TPS__ATOMIC(void (*)(void)) fn;
	char c6;
	TPS__ATOMIC(struct tps_layout_atomics *) ptr;
	char c7;
	TPS__ALIGNAS(32) TPS__ATOMIC(int) aligned;
};

/* S(type) for each struct, then F(type, member) for each of its members. */
#define TPS_LAYOUT(S, F)                                                                           \
	S(tps_layout_atomics)                                                                      \
	F(tps_layout_atomics, c0)                                                                  \
	F(tps_layout_atomics, ll)                                                                  \
	F(tps_layout_atomics, c1)                                                                  \
	F(tps_layout_atomics, ull)                                                                 \
	F(tps_layout_atomics, c2)                                                                  \
	F(tps_layout_atomics, d)                                                                   \
	F(tps_layout_atomics, c3)                                                                  \
	F(tps_layout_atomics, s)                                                                   \
	F(tps_layout_atomics, c4)                                                                  \
	F(tps_layout_atomics, ul)                                                                  \
	F(tps_layout_atomics, c5)                                                                  \
	F(tps_layout_atomics, fn)                                                                  \
	F(tps_layout_atomics, c6)                                                                  \
	F(tps_layout_atomics, ptr)                                                                 \
	F(tps_layout_atomics, c7)                                                                  \
	F(tps_layout_atomics, aligned)                                                             \
	S(tps_rcu_head)                                                                            \
	F(tps_rcu_head, next)                                                                      \
	F(tps_rcu_head, func)                                                                      \
	S(tps_thread)                                                                              \
	F(tps_thread, rcu_ctr)                                                                     \
	F(tps_thread, trace_nesting)                                                               \
	F(tps_thread, rcu_wake)                                                                    \
	F(tps_thread, trace_need_qs)                                                               \
	F(tps_thread, tp_recursion)                                                                \
	F(tps_thread, next)                                                                        \
	F(tps_thread, prev)                                                                        \
	F(tps_thread, index)                                                                       \
	F(tps_thread, registered)                                                                  \
	S(tps__rcu_gp)                                                                             \
	F(tps__rcu_gp, ctr)                                                                        \
	F(tps__rcu_gp, futex)                                                                      \
	S(tps__srcu_block)                                                                         \
	F(tps__srcu_block, lock)                                                                   \
	F(tps__srcu_block, unlock)                                                                 \
	S(tps_srcu)                                                                                \
	F(tps_srcu, state)                                                                         \
	F(tps_srcu, blocks)                                                                        \
	F(tps_srcu, nblocks)                                                                       \
	F(tps_srcu, fast_cpus)                                                                     \
	F(tps_srcu, waiters)                                                                       \
	F(tps_srcu, magic)                                                                         \
	F(tps_srcu, priv)                                                                          \
	S(tps_flavor)                                                                              \
	F(tps_flavor, name)                                                                        \
	F(tps_flavor, flags)                                                                       \
	F(tps_flavor, read_lock)                                                                   \
	F(tps_flavor, read_unlock)                                                                 \
	F(tps_flavor, read_ongoing)                                                                \
	F(tps_flavor, synchronize)                                                                 \
	F(tps_flavor, call)                                                                        \
	F(tps_flavor, barrier)                                                                     \
	F(tps_flavor, get_state)                                                                   \
	F(tps_flavor, poll_state)                                                                  \
	F(tps_flavor, cond_synchronize)                                                            \
	S(tps_tracepoint_func)                                                                     \
	F(tps_tracepoint_func, func)                                                               \
	F(tps_tracepoint_func, data)                                                               \
	F(tps_tracepoint_func, prio)                                                               \
	S(tps_tracepoint)                                                                          \
	F(tps_tracepoint, name)                                                                    \
	F(tps_tracepoint, enabled)                                                                 \
	F(tps_tracepoint, flags)                                                                   \
	F(tps_tracepoint, funcs)                                                                   \
	F(tps_tracepoint, regfunc)                                                                 \
	F(tps_tracepoint, unregfunc)                                                               \
	F(tps_tracepoint, proto)                                                                   \
	F(tps_tracepoint, signature)

/* The entries: __alignof__ of a member is its alignment within the struct. */
#define TPS_LAYOUT_S(t) {#t, NULL, sizeof(struct t), __alignof__(struct t), 0},
#define TPS_LAYOUT_F(t, f)                                                                         \
	{#t, #f, sizeof(((struct t *)0)->f), __alignof__(((struct t *)0)->f),                      \
	 offsetof(struct t, f)},

extern const struct tps_layout_entry tps_layout_c[];
extern const struct tps_layout_entry tps_layout_cxx[];

/*
 * Every tps__atomic_*() operation, compiled in each language: both must
 * compute the same value (layout_main.c compares them).
 */
#define TPS_LAYOUT_OPS(name)                                                                       \
	unsigned long name(void)                                                                   \
	{                                                                                          \
		static struct tps_layout_atomics a;                                                \
		long long expected = 5;                                                            \
		unsigned long r = 0;                                                               \
                                                                                                   \
		tps__atomic_store(&a.ll, 5, TPS__MO_RELEASE);                                      \
		r += (unsigned long)tps__atomic_fetch_add(&a.ll, 3, TPS__MO_SEQ_CST);              \
		r += (unsigned long)tps__atomic_fetch_sub(&a.ll, 1, TPS__MO_RELAXED);              \
		r += (unsigned long)tps__atomic_exchange(&a.ll, 5, TPS__MO_ACQUIRE);               \
		r += (unsigned long)tps__atomic_compare_exchange(                                  \
		        &a.ll, &expected, 9, TPS__MO_SEQ_CST, TPS__MO_RELAXED);                    \
		r += (unsigned long)tps__atomic_compare_exchange(                                  \
		        &a.ll, &expected, 11, TPS__MO_SEQ_CST, TPS__MO_RELAXED);                   \
		r += (unsigned long)expected;                                                      \
		TPS_WRITE_ONCE(a.ul, 100);                                                         \
		r += TPS_READ_ONCE(a.ul);                                                          \
		tps__atomic_store(&a.ptr, &a, TPS__MO_RELAXED);                                    \
		r += tps__atomic_load(&a.ptr, TPS__MO_CONSUME) == &a;                              \
		tps_barrier();                                                                     \
		tps_smp_mb();                                                                      \
		return r + (unsigned long)tps__atomic_load(&a.ll, TPS__MO_ACQUIRE);                \
	}
unsigned long tps_layout_ops_c(void);
unsigned long tps_layout_ops_cxx(void);

#ifdef __cplusplus
}
#endif

#endif /* TPS_TEST_LAYOUT_H */
