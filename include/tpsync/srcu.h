/* SPDX-License-Identifier: MIT */
/** @file
 * tpsync/srcu.h - SRCU-style domains and the srcu-fast variant: kernel
 * srcutree and SRCU-fast.
 *
 * A domain (struct tps_srcu) is independent of every other: a grace period
 * of domain A waits only for readers of A. Readers need no registered thread,
 * work in signal handlers, nest, and may sleep, block and fault.
 *
 * Read side: each domain holds per-CPU counter blocks, lock[2] and unlock[2],
 * and an index. idx = tps_srcu_read_lock(&s) loads the index and adds one to
 * lock[idx] of the current CPU, then a full fence; tps_srcu_read_unlock(&s,
 * idx) fences, then adds one to unlock[idx] of whatever CPU it runs on (only
 * the sums over CPUs matter). The per-CPU increment is the userspace
 * this_cpu_inc(): an rseq critical section that adds to the current CPU's
 * counter with no locked instruction and restarts when the thread is
 * preempted, signalled or migrated; an atomic increment where rseq is missing
 * (or TPSYNC_FORCE_FALLBACK=1).
 *
 * srcu-fast: a domain initialized for fast readers (tps_srcu_init_fast(),
 * TPS_DEFINE_SRCU_FAST()) is read with tps_srcu_read_lock_fast() /
 * tps_srcu_read_unlock_fast(): the same increments and no fence; the
 * updater issues membarrier where classic SRCU readers fence. A domain takes
 * one kind of reader or the other (debug builds check it).
 *
 * Grace period: for the index readers no longer enter, sum the unlocks,
 * fence, sum the locks: equal means every reader counted there has left;
 * flip the index; do the same for the other. See lib/srcu.c.
 *
 * Initializing or first using a domain freezes the fence mode, as the first
 * thread registration does: tps_force_fallback() returns -EBUSY afterwards.
 *
 * fork(): the child can use every domain, provided no other thread of the
 * parent was inside a reader of it at the fork. Such a reader never leaves
 * in the child (SRCU keeps counts, not threads), so that domain's grace
 * periods would never end there, as with any lock held across fork().
 */
#ifndef TPSYNC_SRCU_H
#define TPSYNC_SRCU_H

#include <limits.h>

#include <tpsync/core.h>

/* The rseq increment: x86-64 with glibc's rseq registration (2.35+). */
#if defined(__x86_64__) && defined(__GNUC__) && !TPSYNC_SEQ_CST_READSIDE && defined(__has_include)
#if __has_include(<sys/rseq.h>)
#include <sys/rseq.h>
#ifdef RSEQ_SIG
#define TPS__HAVE_RSEQ 1
#endif
#endif
#endif
#ifndef TPS__HAVE_RSEQ
/* No inline rseq code: the read side calls the library for its increments. */
#define TPS__HAVE_RSEQ 0
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Internal: the domain layout the inline read sides use. ---- */

/*
 * One CPU's counters, alone on a 128-byte block (two cache lines: the
 * adjacent-line prefetcher pulls lines in pairs). The rseq code indexes the
 * blocks with a shift by TPS__SRCU_BLOCK_SHIFT.
 */
#define TPS__SRCU_BLOCK_SHIFT 7
#define TPS__SRCU_BLOCK_SIZE (1u << TPS__SRCU_BLOCK_SHIFT)

struct tps__srcu_block {
	TPS__ALIGNAS(TPS__SRCU_BLOCK_SIZE) TPS__ATOMIC(unsigned long) lock[2];
	TPS__ATOMIC(unsigned long) unlock[2];
};

/*
 * Per-CPU blocks of a static domain (TPS_DEFINE_SRCU): CPUs 0..63 own one
 * block each, higher CPUs share the extra block with atomic increments. A
 * dynamic domain has one block per possible CPU, plus the shared one.
 */
#define TPS__SRCU_STATIC_CPUS 64

/* tps_srcu.state: bit 0 the index, the others the domain's read-side mode. */
#define TPS__SRCU_IDX 0x1UL
#define TPS__SRCU_ATOMIC 0x2UL /* increments are atomic RMWs, not rseq */
#define TPS__SRCU_FENCE 0x4UL  /* fast readers fence themselves (no membarrier) */
#define TPS__SRCU_UNSET 0x8UL  /* static domain whose mode is not chosen yet */
#define TPS__SRCU_FAST 0x10UL  /* the domain takes fast readers */

/*
 * tps_srcu.magic of a domain that may be used: "tpsSRCU!" where unsigned
 * long has 64 bits, "SRCU" where it has 32 (a wider constant would be
 * truncated there, and no domain would ever compare equal).
 */
#if ULONG_MAX > 0xffffffffUL
#define TPS__SRCU_MAGIC 0x2155435253737074UL
#else
#define TPS__SRCU_MAGIC 0x55435253UL
#endif

/* Bytes of updater-side state private to lib/srcu.c. */
#define TPS__SRCU_PRIVATE_SIZE 512

/**
 * struct tps_srcu - an SRCU domain. Define it with TPS_DEFINE_SRCU() (or
 * _FAST, or the _STATIC_ variants) at file scope, or embed it anywhere and
 * initialize it with tps_srcu_init() (or _fast, _flags). Every member is
 * private: use the functions below.
 */
struct tps_srcu {
	/** @cond INTERNAL */
	/* Loaded by every lock and unlock. */
	TPS__ATOMIC(unsigned long) state;
	struct tps__srcu_block *blocks;
	unsigned int nblocks; /* CPU-owned blocks; blocks[nblocks] is shared */
	/*
	 * CPUs whose fast readers take the inline rseq path: nblocks once the
	 * domain's mode is fast readers with rseq increments and membarrier,
	 * 0 otherwise (every fast reader then takes the slow path, which
	 * reads the mode). One bound check stands for the mode test.
	 */
	TPS__ATOMIC(unsigned int) fast_cpus;
	/* idx + 1 while an updater sleeps until readers of idx leave, else 0. */
	TPS__ATOMIC(int) waiters;
	TPS__ATOMIC(unsigned long) magic;
	/* Updater side (lib/srcu.c), all zeros in a static domain. */
	TPS__ALIGNAS(16) unsigned char priv[TPS__SRCU_PRIVATE_SIZE];
	/** @endcond */
};

/*
 * The initializer names every member, in declaration order, so that it is
 * also valid C++ (designators must follow the declaration order there, and
 * g++ -Wextra warns about members left out).
 */
#define TPS__SRCU_DEFINE(name, scope, mode)                                                        \
	static struct tps__srcu_block tps__srcu_blocks_##name[TPS__SRCU_STATIC_CPUS + 1];          \
	scope struct tps_srcu name = {                                                             \
	        .state = TPS__SRCU_UNSET | (mode),                                                 \
	        .blocks = tps__srcu_blocks_##name,                                                 \
	        .nblocks = TPS__SRCU_STATIC_CPUS,                                                  \
	        .fast_cpus = 0,                                                                    \
	        .waiters = 0,                                                                      \
	        .magic = TPS__SRCU_MAGIC,                                                          \
	        .priv = {0},                                                                       \
	}

/**
 * TPS_DEFINE_SRCU(name) - define (at file scope) a domain ready to use: no
 * init call, nothing allocated, usable by readers in signal handlers and
 * from constructors. TPS_DEFINE_SRCU_FAST(name) defines one for fast
 * readers. The _STATIC_ variants give the domain internal linkage.
 */
#define TPS_DEFINE_SRCU(name) TPS__SRCU_DEFINE(name, , 0)
/** Define a domain for fast readers: see TPS_DEFINE_SRCU(). */
#define TPS_DEFINE_SRCU_FAST(name) TPS__SRCU_DEFINE(name, , TPS__SRCU_FAST)
/** TPS_DEFINE_SRCU() with internal linkage. */
#define TPS_DEFINE_STATIC_SRCU(name) TPS__SRCU_DEFINE(name, static, 0)
/** TPS_DEFINE_SRCU_FAST() with internal linkage. */
#define TPS_DEFINE_STATIC_SRCU_FAST(name) TPS__SRCU_DEFINE(name, static, TPS__SRCU_FAST)

TPS_EXPORT void tps__srcu_inc_slow(struct tps_srcu *s, TPS__ATOMIC(unsigned long) * ctr0);
TPS_EXPORT void tps__srcu_fast_slow(struct tps_srcu *s, TPS__ATOMIC(unsigned long) * ctr0,
                                    bool lock);
TPS_EXPORT void tps__srcu_wake(struct tps_srcu *s, int idx);
TPS_EXPORT void tps__srcu_debug_lock(struct tps_srcu *s, bool fast);
TPS_EXPORT void tps__srcu_debug_locked(struct tps_srcu *s, int idx);
TPS_EXPORT void tps__srcu_debug_unlock(struct tps_srcu *s, int idx, bool fast);
TPS_EXPORT void tps__srcu_debug_deref(struct tps_srcu *s);
/* Test hook (tests/unit): the next domain initialization fails with -ENOMEM. */
TPS_EXPORT void tps__srcu_fail_next_alloc(void);
/* Test hook (tests/unit): how many times readers woke a sleeping updater. */
TPS_EXPORT unsigned long tps__srcu_reader_wakeups(void);
/**
 * Test hook (tests/unit): tps__srcu_wake() calls hook (NULL: none) while it is
 * counted in the domain's wakers, so a test can park a thread there. Not for
 * programs.
 */
TPS_EXPORT void tps__srcu_set_wake_hook(void (*hook)(struct tps_srcu *s));
/**
 * Test hook (tests/unit): the callback behind tps_start_poll_synchronize_srcu()
 * calls hook (NULL: none) first, so a test can park the worker there. Not for
 * programs.
 */
TPS_EXPORT void tps__srcu_set_poll_hook(void (*hook)(struct tps_srcu *s));

#if TPSYNC_DEBUG
#define TPS__SRCU_DEBUG_LOCK(s, fast) tps__srcu_debug_lock((s), (fast))
#define TPS__SRCU_DEBUG_LOCKED(s, idx) tps__srcu_debug_locked((s), (idx))
#define TPS__SRCU_DEBUG_UNLOCK(s, idx, fast) tps__srcu_debug_unlock((s), (idx), (fast))
#else
#define TPS__SRCU_DEBUG_LOCK(s, fast) ((void)0)
#define TPS__SRCU_DEBUG_LOCKED(s, idx) ((void)0)
#define TPS__SRCU_DEBUG_UNLOCK(s, idx, fast) ((void)0)
#endif

/* The counter of block cpu that corresponds to ctr0, a counter of block 0. */
static inline TPS__ATOMIC(unsigned long) *
        tps__percpu_slot(TPS__ATOMIC(unsigned long) * ctr0, unsigned int cpu)
{
	return (TPS__ATOMIC(unsigned long) *)(void *)((char *)ctr0 + ((unsigned long)cpu
	                                                              << TPS__SRCU_BLOCK_SHIFT));
}

#if TPS__HAVE_RSEQ
/*
 * Test hooks (tests/unit/test_srcu_percpu.c), empty otherwise, as the
 * kernel's rseq selftests inject code: TPS__PERCPU_INJECT_ASM runs inside
 * the critical section, after the CPU number is in %eax; TPS__PERCPU_ABORT_ASM
 * runs first in the abort handler. Flags are clobbered; no other register.
 */
#ifndef TPS__PERCPU_INJECT_ASM
#define TPS__PERCPU_INJECT_ASM ""
#endif
#ifndef TPS__PERCPU_ABORT_ASM
#define TPS__PERCPU_ABORT_ASM ""
#endif

/*
 * After the commit, rseq_cs is cleared in code that may be unloaded (a
 * shared object, built -fPIC without -fPIE): a thread whose rseq_cs still
 * points at a descriptor of an unmapped object is killed (SIGSEGV) at its
 * next preemption, when the kernel reads the descriptor. The executable's
 * descriptors are never unmapped, so its code leaves rseq_cs set, as the
 * kernel's rseq selftests do: the kernel clears it at the next preemption
 * or signal outside the critical section, and every critical section sets
 * it before it starts.
 */
/*
 * "The executable" is known for sure only with gcc: its -fPIE code reads
 * __rseq_offset (a libc variable) PC-relative, which the linker refuses in a
 * shared object, and code without -fPIC cannot be linked into one either.
 * clang's -fPIE code goes through the GOT and links into shared objects, as
 * does gcc's with -mno-direct-extern-access: those keep the clear.
 */
#if defined(__GNUC__) && !defined(__clang__) && (!defined(__PIC__) || defined(__PIE__))
#define TPS__RSEQ_CLEAR_ASM ""
#else
#define TPS__RSEQ_CLEAR_ASM "movq $0, %%fs:%c[cs](%[area])\n\t"
#endif

/* The calling thread's rseq area, which glibc registered. */
static inline struct rseq *tps__rseq_area(void)
{
	return (struct rseq *)(void *)((char *)__builtin_thread_pointer() + __rseq_offset);
}

/**
 * tps__percpu_try_inc() - add one to the current CPU's copy of a per-CPU
 * counter (the userspace this_cpu_inc()), with no locked instruction, when
 * the current CPU is below limit.
 * @ctr0:  the counter in block 0 of an array of 128-byte blocks;
 * @limit: CPUs 0..limit-1 own the blocks 0..limit-1.
 *
 * Return: true when the add was done; false, having added nothing, on a CPU
 * at or above limit or in a thread without rseq (its cpu_id is -1).
 *
 * An rseq critical section (glibc registered the thread's rseq area; the
 * caller checked __rseq_size): the kernel restarts it at the abort handler if
 * the thread is preempted, migrated or signalled before the add commits, so
 * the add always lands on the block of the CPU that runs it, and only that
 * CPU ever writes that block. rseq_cs is cleared after the commit in code
 * that dlclose() may unmap (TPS__RSEQ_CLEAR_ASM).
 *
 * Async-signal-safe. Only a compiler barrier for ordering (the "memory"
 * clobber); callers add fences.
 */
/*
 * The rseq critical section of tps__percpu_try_inc(), with the bound as an
 * asm operand: a register, or the bound's memory word itself (one cmp with
 * a memory operand, no separate load). Jumps to the caller's label beyond.
 */
/* clang-format off */
#define TPS__PERCPU_TRY_INC_ASM(ctr0, limit_operand, beyond) \
	__asm__ goto( \
		/* The descriptor: version 0, flags 0 (restart on preemption, \
		 * signal and migration), start, length, abort handler. */ \
		".pushsection __rseq_cs, \"aw\"\n\t" \
		".balign 32\n" \
		"3:\n\t" \
		".long 0, 0\n\t" \
		".quad 4f, 5f - 4f, 6f\n\t" \
		".popsection\n" \
		/* Arm: this thread's rseq_cs points at the descriptor. */ \
		"2:\n\t" \
		"leaq 3b(%%rip), %%rax\n\t" \
		"movq %%rax, %%fs:%c[cs](%[area])\n" \
		/* Start: from here to the commit the kernel restarts us at 6. */ \
		"4:\n\t" \
		"movl %%fs:%c[cpu](%[area]), %%eax\n\t" \
		"cmpl %[n], %%eax\n\t" \
		"jae %l[beyond]\n\t" \
		TPS__PERCPU_INJECT_ASM \
		"shlq %[shift], %%rax\n\t" \
		/* Commit: one non-locked add to this CPU's own block. */ \
		"addq $1, (%[ctr], %%rax)\n" \
		"5:\n\t" \
		TPS__RSEQ_CLEAR_ASM \
		/* Abort handler, preceded by the signature the kernel checks \
		 * (as the operand of a ud1, which disassemblers expect). */ \
		".pushsection __rseq_failure, \"ax\"\n\t" \
		".byte 0x0f, 0xb9, 0x3d\n\t" \
		".long %c[sig]\n" \
		"6:\n\t" \
		TPS__PERCPU_ABORT_ASM \
		"jmp 2b\n\t" \
		".popsection\n\t" \
		: \
		: [area] "r"(__rseq_offset), [ctr] "r"(ctr0), [n] limit_operand, \
		  [cs] "i"(offsetof(struct rseq, rseq_cs)), \
		  [cpu] "i"(offsetof(struct rseq, cpu_id)), \
		  [sig] "i"(RSEQ_SIG), [shift] "i"(TPS__SRCU_BLOCK_SHIFT) \
		: "rax", "memory", "cc" \
		: beyond)
/* clang-format on */

static inline bool tps__percpu_try_inc(TPS__ATOMIC(unsigned long) * ctr0, unsigned int limit)
{
	TPS__PERCPU_TRY_INC_ASM(ctr0, "r"(limit), beyond);
	return true;
beyond:
	__atomic_store_n(&tps__rseq_area()->rseq_cs, 0, __ATOMIC_RELAXED);
	return false;
}

/*
 * tps__percpu_try_inc_bound() - tps__percpu_try_inc() with the bound read
 * from *limit inside the critical section, by the compare itself (a plain
 * load on x86-64, as a relaxed atomic load is).
 */
static inline bool tps__percpu_try_inc_bound(TPS__ATOMIC(unsigned long) * ctr0,
                                             TPS__ATOMIC(unsigned int) * limit)
{
	TPS__PERCPU_TRY_INC_ASM(ctr0, "m"(*limit), beyond);
	return true;
beyond:
	__atomic_store_n(&tps__rseq_area()->rseq_cs, 0, __ATOMIC_RELAXED);
	return false;
}

/**
 * tps__percpu_inc() - tps__percpu_try_inc() for CPUs 0..nblocks-1; any
 * other CPU, or a thread without rseq, adds atomically to block nblocks,
 * which only ever sees atomic increments. Public for tpsync-bench's
 * srcu-floor row.
 */
static inline void tps__percpu_inc(TPS__ATOMIC(unsigned long) * ctr0, unsigned int nblocks)
{
	if (tps_unlikely(!tps__percpu_try_inc(ctr0, nblocks)))
		tps__atomic_fetch_add(tps__percpu_slot(ctr0, nblocks), 1, TPS__MO_SEQ_CST);
}

/* A fast reader's inline increment: false sends it to the slow path. */
#define TPS__SRCU_FAST_INC(s, ctr0) tps__percpu_try_inc_bound((ctr0), &(s)->fast_cpus)
#else
#define TPS__SRCU_FAST_INC(s, ctr0) false
#endif

/* ---- Readers. ---- */

/**
 * tps_srcu_read_lock() - enter a read-side critical section of domain s.
 *
 * Return: the index to pass to tps_srcu_read_unlock() (0 or 1).
 *
 * Nestable, also across domains; no registered thread needed; never blocks;
 * async-signal-safe. The section may sleep, block and fault. The unlock must
 * run on the same thread (or the same signal handler). Debug builds abort
 * when s is not an initialized domain or was initialized for fast readers
 * ("mixed reader flavours").
 */
static inline int tps_srcu_read_lock(struct tps_srcu *s)
{
	unsigned long w;
	int idx;

	TPS__SRCU_DEBUG_LOCK(s, false);
	w = tps__atomic_load(&s->state, TPS__MO_RS_RELAXED);
	idx = (int)(w & TPS__SRCU_IDX);
#if TPS__HAVE_RSEQ
	if (tps_likely(!(w & (TPS__SRCU_ATOMIC | TPS__SRCU_UNSET))))
		tps__percpu_inc(&s->blocks->lock[idx], s->nblocks);
	else
#endif
		tps__srcu_inc_slow(s, &s->blocks->lock[idx]);
	/*
	 * (B) full fence: the increment above before the critical section.
	 * Pairs with (A) in readers_gone() and no_readers() (lib/srcu.c): either
	 * the updater's lock sum counts this reader, or this critical section
	 * sees everything the updater did before its grace period began.
	 */
	tps_smp_mb();
	TPS__SRCU_DEBUG_LOCKED(s, idx);
	return idx;
}

/**
 * tps_srcu_read_unlock() - leave a read-side critical section of domain s.
 * idx: what the matching tps_srcu_read_lock() returned.
 *
 * Never blocks; async-signal-safe. Wakes an updater that sleeps waiting for
 * the readers of idx (a futex wake-up, only then).
 */
static inline void tps_srcu_read_unlock(struct tps_srcu *s, int idx)
{
	TPS__ATOMIC(unsigned long) * ctr0;
	unsigned int nblocks;
	unsigned long w;

	TPS__SRCU_DEBUG_UNLOCK(s, idx, false);
	/*
	 * The mode, the counter and the block count are loaded before the
	 * fence, which would otherwise delay them: nothing the critical
	 * section reads depends on them.
	 */
	w = tps__atomic_load(&s->state, TPS__MO_RS_RELAXED);
	ctr0 = &s->blocks->unlock[idx];
	nblocks = s->nblocks;
	/*
	 * (C) full fence: the critical section before the increment below.
	 * Pairs with (A) in readers_gone(): an updater whose unlock sum counts
	 * this reader sees its lock in the lock sum, and frees nothing the
	 * section still uses.
	 */
	tps_smp_mb();
#if TPS__HAVE_RSEQ
	if (tps_likely(!(w & (TPS__SRCU_ATOMIC | TPS__SRCU_UNSET))))
		tps__percpu_inc(ctr0, nblocks);
	else
#endif
		tps__srcu_inc_slow(s, ctr0);
	(void)w;
	(void)nblocks;
	/*
	 * (U) the increment above before this load; pairs with (W) in
	 * drain(). An rseq increment is ordered by the membarrier (W) is
	 * then. An atomic one is a seq_cst RMW: this load is seq_cst too, so
	 * that C11's single order puts it after the RMW, as (W)'s fence puts
	 * the updater's store before its sums (an RMW is no fence for a
	 * relaxed load after it). A plain mov on x86-64, an ldar on arm64.
	 */
	if (tps_unlikely(tps__atomic_load(&s->waiters, TPS__MO_SEQ_CST)))
		tps__srcu_wake(s, idx);
}

/**
 * tps_srcu_read_lock_fast() - enter a read-side critical section of a domain
 * initialized for fast readers: no fence (membarrier in the updater stands
 * for it; with the fallback, a fence). Otherwise as tps_srcu_read_lock().
 */
static inline int tps_srcu_read_lock_fast(struct tps_srcu *s)
{
	unsigned long w;
	int idx;

	TPS__SRCU_DEBUG_LOCK(s, true);
	w = tps__atomic_load(&s->state, TPS__MO_RS_RELAXED);
	idx = (int)(w & TPS__SRCU_IDX);
	/* fast_cpus is 0 unless the mode is rseq without fences: no mode test. */
	if (tps_unlikely(!TPS__SRCU_FAST_INC(s, &s->blocks->lock[idx])))
		tps__srcu_fast_slow(s, &s->blocks->lock[idx], true);
	/*
	 * (FB) compiler barrier, made a full fence by the membarrier (A) in
	 * readers_gone() where it pairs, as (B) for classic readers.
	 */
	tps_barrier();
	TPS__SRCU_DEBUG_LOCKED(s, idx);
	return idx;
}

/**
 * tps_srcu_read_unlock_fast() - leave a fast read-side critical section.
 * idx: what the matching tps_srcu_read_lock_fast() returned.
 */
static inline void tps_srcu_read_unlock_fast(struct tps_srcu *s, int idx)
{
	TPS__SRCU_DEBUG_UNLOCK(s, idx, true);
	/* (FC) compiler barrier, made a full fence by membarrier (A), as (C). */
	tps_barrier();
	if (tps_unlikely(!TPS__SRCU_FAST_INC(s, &s->blocks->unlock[idx])))
		tps__srcu_fast_slow(s, &s->blocks->unlock[idx], false);
	/* (U) seq_cst, as in tps_srcu_read_unlock(). */
	if (tps_unlikely(tps__atomic_load(&s->waiters, TPS__MO_SEQ_CST)))
		tps__srcu_wake(s, idx);
}

/**
 * tps_srcu_dereference(p, s) - tps_rcu_dereference(p) inside a reader of
 * domain s. Debug builds abort ("srcu-dereference") when the calling thread
 * is not inside a reader of s.
 */
#if TPSYNC_DEBUG
#define tps_srcu_dereference(p, s) (tps__srcu_debug_deref(s), tps_rcu_dereference(p))
#else
#define tps_srcu_dereference(p, s) ((void)(s), tps_rcu_dereference(p))
#endif

/**
 * tps_srcu_read_lock_held() - is the calling thread inside a reader of s?
 *
 * Exact in debug builds (which track, per thread, the domains it is inside);
 * true in release builds, which keep no such record (as the kernel's
 * srcu_read_lock_held() without lockdep): use it in assertions only.
 */
TPS_EXPORT bool tps_srcu_read_lock_held(struct tps_srcu *s);

/* ---- Domains. ---- */

/* Flags of tps_srcu_init_flags(). */
/** The domain takes fast readers (tps_srcu_read_lock_fast()). */
#define TPS_SRCU_FAST 0x1u
/** Readers increment with atomic instructions instead of rseq. */
#define TPS_SRCU_ATOMIC 0x2u
/** Fast readers fence themselves; the updater needs no membarrier. */
#define TPS_SRCU_FENCE 0x4u

/**
 * tps_srcu_init() - initialize a domain for classic SRCU readers.
 * tps_srcu_init_fast() - initialize a domain for fast readers.
 * tps_srcu_init_flags() - initialize a domain with TPS_SRCU_* flags: the
 * fallbacks TPSYNC_FORCE_FALLBACK=1 selects for the whole process
 * (TPS_SRCU_ATOMIC, TPS_SRCU_FENCE) for this domain alone, so that one
 * program can measure both.
 *
 * Allocates one counter block per possible CPU. May block; not
 * async-signal-safe. A static domain that was never used may be initialized
 * this way too (it then gets blocks of its own).
 *
 * Return: 0; -EINVAL when s is NULL or flags has an unknown bit; -EBUSY when
 * s is a live domain (initialized, or a static domain in use, and not
 * cleaned up); -ENOMEM when the blocks cannot be allocated. Nothing is
 * allocated or changed on failure.
 */
TPS_EXPORT int tps_srcu_init(struct tps_srcu *s);
/** Initialize a domain for fast readers: see tps_srcu_init(). */
TPS_EXPORT int tps_srcu_init_fast(struct tps_srcu *s);
/** Initialize a domain with TPS_SRCU_* flags: see tps_srcu_init(). */
TPS_EXPORT int tps_srcu_init_flags(struct tps_srcu *s, unsigned int flags);

/**
 * tps_srcu_cleanup() - tear a domain down: stop its callback worker, free
 * its blocks. Works for static domains too (nothing to free there).
 *
 * An unlock reads the struct (its waiters word) just after its count, to
 * wake an updater that waits: after cleanup, free the memory of s only once
 * no thread can still be returning from tps_srcu_read_unlock() on it (a
 * reader thread joined, say). Cleanup itself waits for any reader still
 * looking at the blocks it frees.
 *
 * Return: 0; -EBUSY while a reader is inside the domain, callbacks are
 * pending or a grace period is in progress (nothing is changed: the domain
 * keeps working); -EINVAL when s is NULL, not initialized or already cleaned
 * up.
 */
TPS_EXPORT int tps_srcu_cleanup(struct tps_srcu *s);

/* ---- Updaters. ---- */

/**
 * tps_synchronize_srcu() - wait for a grace period of domain s: every reader
 * of s that started before the call has ended.
 *
 * Returns at once when no reader is inside s; otherwise blocks for as long
 * as such a reader does. Concurrent callers share grace periods. Callable
 * inside a reader of another domain; inside a reader of s it would wait for
 * itself (debug builds abort: "synchronize-in-reader"). Not
 * async-signal-safe.
 *
 * Return: 0, or -EINVAL when s is not an initialized domain.
 */
TPS_EXPORT int tps_synchronize_srcu(struct tps_srcu *s);

/**
 * tps_call_srcu() - run func(head) on the domain's worker thread after a
 * grace period of s. Never blocks for a grace period; may be called inside
 * readers and callbacks. Not async-signal-safe.
 *
 * Return: 0, or -EINVAL when s is not an initialized domain or head or func
 * is NULL (nothing queued).
 */
TPS_EXPORT int tps_call_srcu(struct tps_srcu *s, struct tps_rcu_head *head,
                             tps_rcu_callback_t func);

/**
 * tps_srcu_barrier() - wait until every callback queued on s before the call
 * has run. Blocks. Inside a callback of s it would wait for itself (aborts,
 * every build: "barrier-in-callback"); inside a reader of s too (debug
 * builds abort: "barrier-in-reader").
 *
 * Return: 0, or -EINVAL when s is not an initialized domain.
 */
TPS_EXPORT int tps_srcu_barrier(struct tps_srcu *s);

/**
 * tps_get_state_synchronize_srcu() - a cookie for the polled functions
 * below (full barrier first). Never blocks; callable inside readers.
 * These three functions have no error return: on a domain that is not
 * initialized, debug builds abort ("srcu-uninitialized"); release builds
 * return 0 here and false from tps_poll_state_synchronize_srcu().
 */
TPS_EXPORT unsigned long tps_get_state_synchronize_srcu(struct tps_srcu *s);

/**
 * tps_start_poll_synchronize_srcu() - as tps_get_state_synchronize_srcu(),
 * and make sure a grace period that completes the cookie will run (on the
 * domain's worker) even if nobody else waits. Never blocks for a grace
 * period; not async-signal-safe.
 */
TPS_EXPORT unsigned long tps_start_poll_synchronize_srcu(struct tps_srcu *s);

/**
 * tps_poll_state_synchronize_srcu() - has a full grace period of s elapsed
 * since cookie was taken? Never blocks; acquire semantics when true.
 */
TPS_EXPORT bool tps_poll_state_synchronize_srcu(struct tps_srcu *s, unsigned long cookie);

/**
 * tps_cond_synchronize_srcu() - wait for a grace period of s only when none
 * elapsed since cookie was taken. Context rules of tps_synchronize_srcu().
 *
 * Return: 0, or -EINVAL when s is not an initialized domain.
 */
TPS_EXPORT int tps_cond_synchronize_srcu(struct tps_srcu *s, unsigned long cookie);

/**
 * tps_rseq_enabled() - do SRCU readers increment their per-CPU counters with
 * rseq (as opposed to atomic instructions)? False when the kernel or glibc
 * did not register rseq, on architectures without rseq code here, in the
 * tsan build, and when the fallback was forced (TPSYNC_FORCE_FALLBACK=1,
 * tps_force_fallback()).
 */
TPS_EXPORT bool tps_rseq_enabled(void);

#ifdef __cplusplus
}
#endif

#endif /* TPSYNC_SRCU_H */
