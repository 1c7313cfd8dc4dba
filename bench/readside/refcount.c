/* SPDX-License-Identifier: MIT */
/*
 * refcount - an atomic reference count every reader shares: a relaxed
 * increment to take a reference and a release decrement to drop it, as a
 * kref does (both are locked instructions on x86-64). There is no update to
 * wait for readers with, so no --updater row.
 */
#include <stdatomic.h>

#include "../readside.h"

/* Alone on its cache line, so that only the readers' own traffic moves it. */
static _Alignas(128) _Atomic unsigned long refs;

static inline void ref_get(void)
{
	atomic_fetch_add_explicit(&refs, 1, memory_order_relaxed);
}

static inline void ref_put(void)
{
	atomic_fetch_sub_explicit(&refs, 1, memory_order_release);
}

static READSIDE_NOINLINE void refcount_loop(unsigned long iterations)
{
	READSIDE_LOOP(iterations, ref_get(), ref_put());
}

static READSIDE_NOINLINE void refcount_loop_nested(unsigned long iterations)
{
	READSIDE_LOOP_NESTED(iterations, ref_get(), ref_get(), ref_put(), ref_put());
}

const struct readside_impl readside_refcount = {
        .name = "refcount",
        .loop = refcount_loop,
        .loop_nested = refcount_loop_nested,
};
