/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/test_srcu_percpu.c - the per-CPU increment behind SRCU readers
 * (tps__percpu_inc(), the userspace this_cpu_inc()), alone and through the
 * domains' read sides.
 *
 * Several threads add to one array of per-CPU counters while they migrate:
 * each flips its own affinity between CPUs, a migrator thread moves them at
 * random moments (in the middle of an increment, as often as not), and a
 * signaller interrupts them with a handler that adds too. The sum must be
 * exactly the number of increments: an rseq critical section that were not
 * restarted after a migration would add, unlocked, to the block of a CPU
 * another thread is adding to, and lose counts.
 *
 * Such a loss needs two unlocked adds to overlap by nanoseconds: too rare to
 * catch by counting alone. So, as the kernel's rseq selftests do, this test
 * injects code into the critical section (the hooks of tps__percpu_inc()):
 * a delay of a few hundred nanoseconds, then a second look at the CPU
 * number, which must still be the one the section started on (a migration
 * restarts the section); and a count of the restarts, which the signals
 * must cause.
 *
 * Run as is (rseq where available) and with TPSYNC_FORCE_FALLBACK=1 (the
 * domains' atomic increments).
 */
#include "unit.h"

#include <dlfcn.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

/* Restarts of the rseq section, and sections still running on another CPU. */
__attribute__((used)) _Atomic unsigned long test_rseq_aborts;
__attribute__((used)) _Atomic unsigned long test_rseq_wrong_cpu;

/* About 350 ns of pause, then: is %eax still the CPU we run on? */
#define TPS__PERCPU_INJECT_ASM                                                                     \
	".rept 20\n\tpause\n\t.endr\n\t"                                                           \
	"cmpl %%fs:%c[cpu](%[area]), %%eax\n\t"                                                    \
	"je 7f\n\t"                                                                                \
	"lock incq test_rseq_wrong_cpu(%%rip)\n"                                                   \
	"7:\n\t"
#define TPS__PERCPU_ABORT_ASM "lock incq test_rseq_aborts(%%rip)\n\t"

#include <tpsync/srcu.h>

/* Threads that increment at once (twice the CPUs here: preemption too). */
#define NTHREADS 4
/* Increments per thread (the injected delay makes each about 0.4 µs). */
#define INCREMENTS 200000UL
/* Increments between two flips of a thread's own affinity. */
#define FLIP_EVERY 500UL
/* Blocks of the raw counter arrays: more than any CPU number here. */
#define MAX_BLOCKS 64

/* What one run increments. */
enum target {
	RAW_RSEQ,    /* tps__percpu_inc() on raw blocks */
	DOMAIN_LOCK, /* tps_srcu_read_lock/unlock of a domain */
	DOMAIN_FAST, /* tps_srcu_read_lock_fast/unlock_fast */
};

static struct tps__srcu_block raw_blocks[MAX_BLOCKS + 1];
static unsigned int raw_nblocks;
static struct tps_srcu *domain;
static enum target target;

static _Atomic bool stop;
static _Atomic int started;
static pid_t tids[NTHREADS];
static pthread_t threads[NTHREADS];
static int ncpus_allowed;
static int cpus[2];
/* Increments made by signal handlers, per thread (only its handler writes). */
static unsigned long handled[NTHREADS];
static __thread int self_index = -1;

static void one_increment(void)
{
	int idx;

	switch (target) {
	case RAW_RSEQ:
#if TPS__HAVE_RSEQ
		tps__percpu_inc(&raw_blocks[0].lock[0], raw_nblocks);
#endif
		break;
	case DOMAIN_LOCK:
		idx = tps_srcu_read_lock(domain);
		tps_srcu_read_unlock(domain, idx);
		break;
	case DOMAIN_FAST:
		idx = tps_srcu_read_lock_fast(domain);
		tps_srcu_read_unlock_fast(domain, idx);
		break;
	}
}

static void on_sigusr1(int sig)
{
	int saved = errno;

	(void)sig;
	if (self_index >= 0) {
		one_increment();
		handled[self_index]++;
	}
	errno = saved;
}

static void pin(pid_t tid, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	/* A thread that has exited is fine: ESRCH. */
	sched_setaffinity(tid, sizeof(set), &set);
}

static void *incrementer(void *arg)
{
	int me = (int)(long)arg;
	unsigned long i;

	self_index = me;
	tids[me] = unit_gettid();
	atomic_fetch_add(&started, 1);
	for (i = 0; i < INCREMENTS; i++) {
		if (ncpus_allowed > 1 && i % FLIP_EVERY == 0)
			pin(0, cpus[(i / FLIP_EVERY + (unsigned long)me) & 1]);
		one_increment();
	}
	return NULL;
}

/* Moves the incrementers between the two CPUs at arbitrary moments. */
static void *migrator(void *arg)
{
	unsigned int k = 0;

	(void)arg;
	while (!atomic_load(&stop)) {
		int t = (int)(k % NTHREADS);

		if (ncpus_allowed > 1)
			pin(tids[t], cpus[(k / NTHREADS) & 1]);
		if (k % 3 == 0)
			pthread_kill(threads[t], SIGUSR1);
		k++;
		sched_yield();
	}
	return NULL;
}

static unsigned long sum_lock(struct tps__srcu_block *b, unsigned int n, bool both_counters)
{
	unsigned long total = 0;
	unsigned int i;

	for (i = 0; i <= n; i++) {
		total += atomic_load(&b[i].lock[0]) + atomic_load(&b[i].lock[1]);
		if (both_counters)
			total -= atomic_load(&b[i].unlock[0]) + atomic_load(&b[i].unlock[1]);
	}
	return total;
}

static unsigned long sum_unlock(struct tps__srcu_block *b, unsigned int n)
{
	unsigned long total = 0;
	unsigned int i;

	for (i = 0; i <= n; i++)
		total += atomic_load(&b[i].unlock[0]) + atomic_load(&b[i].unlock[1]);
	return total;
}

/*
 * After a run that used the rseq code: no section ever reached its commit on
 * another CPU than the one it started on, and signals restarted some.
 */
static void check_rseq_restarts(void)
{
	assert_int_equal(atomic_load(&test_rseq_wrong_cpu), 0);
	assert_true(atomic_load(&test_rseq_aborts) > 0);
}

/* Runs the incrementers with migrations and signals; returns the handler increments. */
static unsigned long run(enum target what)
{
	struct sigaction sa;
	pthread_t mig;
	unsigned long extra = 0;
	cpu_set_t all;
	int i;

	target = what;
	atomic_store(&test_rseq_aborts, 0);
	atomic_store(&test_rseq_wrong_cpu, 0);
	atomic_store(&stop, false);
	atomic_store(&started, 0);
	memset(handled, 0, sizeof(handled));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigusr1;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGUSR1, &sa, NULL), 0);

	for (i = 0; i < NTHREADS; i++)
		threads[i] = unit_thread_start(incrementer, (void *)(long)i);
	while (atomic_load(&started) < NTHREADS)
		sched_yield();
	mig = unit_thread_start(migrator, NULL);
	for (i = 0; i < NTHREADS; i++)
		unit_thread_join(threads[i]);
	atomic_store(&stop, true);
	unit_thread_join(mig);
	signal(SIGUSR1, SIG_IGN);
	for (i = 0; i < NTHREADS; i++)
		extra += handled[i];
	/* Leave the test's own thread free to run anywhere. */
	assert_int_equal(sched_getaffinity(0, sizeof(all), &all), 0);
	return extra;
}

static int setup(void **state)
{
	cpu_set_t set;
	int cpu;

	(void)state;
	assert_int_equal(sched_getaffinity(0, sizeof(set), &set), 0);
	ncpus_allowed = 0;
	for (cpu = 0; cpu < CPU_SETSIZE && ncpus_allowed < 2; cpu++) {
		if (CPU_ISSET(cpu, &set))
			cpus[ncpus_allowed++] = cpu;
	}
	return 0;
}

static bool rseq_code(void)
{
#if TPS__HAVE_RSEQ
	return __rseq_size != 0;
#else
	return false;
#endif
}

/* The rseq increment alone, every CPU owning a block. */
static void test_rseq_every_cpu(void **state)
{
	unsigned long extra;

	(void)state;
	if (!rseq_code())
		skip();
	memset(raw_blocks, 0, sizeof(raw_blocks));
	raw_nblocks = MAX_BLOCKS;
	extra = run(RAW_RSEQ);
	assert_true(extra > 0);
	assert_int_equal(sum_lock(raw_blocks, raw_nblocks, false), NTHREADS * INCREMENTS + extra);
	check_rseq_restarts();
	/* Every CPU that ran an increment owns a block: the shared one stays untouched. */
	assert_int_equal(atomic_load(&raw_blocks[MAX_BLOCKS].lock[0]), 0);
}

/*
 * One block only: CPU 0 adds to it with rseq, any other CPU atomically to
 * the shared block. The two never mix on one word.
 */
static void test_rseq_shared_block(void **state)
{
	unsigned long extra;

	(void)state;
	if (!rseq_code())
		skip();
	memset(raw_blocks, 0, sizeof(raw_blocks));
	raw_nblocks = 1;
	extra = run(RAW_RSEQ);
	assert_int_equal(sum_lock(raw_blocks, raw_nblocks, false), NTHREADS * INCREMENTS + extra);
	check_rseq_restarts();
	if (ncpus_allowed > 1 && cpus[0] == 0)
		assert_true(atomic_load(&raw_blocks[1].lock[0]) > 0);
}

static void check_domain_counts(struct tps_srcu *s, unsigned long expected)
{
	assert_int_equal(sum_unlock(s->blocks, s->nblocks), expected);
	assert_int_equal(sum_lock(s->blocks, s->nblocks, true), 0);
}

static void domain_run(unsigned int flags, enum target what)
{
	struct tps_srcu s;
	unsigned long extra;

	assert_int_equal(tps_srcu_init_flags(&s, flags), 0);
	domain = &s;
	extra = run(what);
	check_domain_counts(&s, NTHREADS * INCREMENTS + extra);
	if (!(atomic_load(&s.state) & TPS__SRCU_ATOMIC))
		check_rseq_restarts();
	assert_int_equal(tps_synchronize_srcu(&s), 0);
	assert_int_equal(tps_srcu_cleanup(&s), 0);
}

/* The domains' read sides in the process's mode (rseq, or atomic with the fallback). */
static void test_domain_default(void **state)
{
	(void)state;
	domain_run(0, DOMAIN_LOCK);
	domain_run(TPS_SRCU_FAST, DOMAIN_FAST);
}

/* The atomic fallback chosen for one domain, whatever the process's mode. */
static void test_domain_atomic(void **state)
{
	(void)state;
	domain_run(TPS_SRCU_ATOMIC, DOMAIN_LOCK);
	domain_run(TPS_SRCU_FAST | TPS_SRCU_ATOMIC | TPS_SRCU_FENCE, DOMAIN_FAST);
}

/* A static domain: its first reader chooses the mode. */
TPS_DEFINE_STATIC_SRCU(static_domain);

static void test_domain_static(void **state)
{
	unsigned long extra;

	(void)state;
	domain = &static_domain;
	extra = run(DOMAIN_LOCK);
	check_domain_counts(&static_domain, NTHREADS * INCREMENTS + extra);
	if (!(atomic_load(&static_domain.state) & TPS__SRCU_ATOMIC))
		check_rseq_restarts();
}

/*
 * The atomic fallback adds to the block of the CPU the thread runs on (read
 * from the rseq area where glibc registered one, from sched_getcpu()
 * otherwise): on a thread pinned to one CPU, every increment lands there.
 */
static void test_atomic_own_cpu(void **state)
{
	cpu_set_t all, one;
	struct tps_srcu s;
	int cpu, i, idx, checked = 0;

	(void)state;
	assert_int_equal(sched_getaffinity(0, sizeof(all), &all), 0);
	assert_int_equal(tps_srcu_init_flags(&s, TPS_SRCU_ATOMIC), 0);
	for (cpu = 0; cpu < CPU_SETSIZE && cpu < (int)s.nblocks; cpu++) {
		unsigned long before;

		if (!CPU_ISSET(cpu, &all))
			continue;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
		before = atomic_load(&s.blocks[cpu].lock[0]) + atomic_load(&s.blocks[cpu].lock[1]);
		for (i = 0; i < 1000; i++) {
			idx = tps_srcu_read_lock(&s);
			tps_srcu_read_unlock(&s, idx);
		}
		assert_int_equal(atomic_load(&s.blocks[cpu].lock[0]) +
		                         atomic_load(&s.blocks[cpu].lock[1]) - before,
		                 1000);
		checked++;
	}
	assert_int_equal(sched_setaffinity(0, sizeof(all), &all), 0);
	assert_true(checked > 0);
	assert_int_equal(tps_srcu_cleanup(&s), 0);
}

/* tps_rseq_enabled() tells the truth about the mode domains get. */
static void test_rseq_enabled(void **state)
{
	struct tps_srcu s;
	bool atomic;

	(void)state;
	assert_int_equal(tps_srcu_init(&s), 0);
	atomic = atomic_load(&s.state) & TPS__SRCU_ATOMIC;
	assert_int_equal(tps_rseq_enabled(), !atomic);
	if (unit_env_forces_fallback())
		assert_false(tps_rseq_enabled());
	else
		assert_int_equal(tps_rseq_enabled(), rseq_code() && tps_membarrier_enabled());
	assert_int_equal(tps_srcu_cleanup(&s), 0);
}

/*
 * A shared object's inline readers leave rseq_cs cleared: after dlclose(),
 * the kernel would otherwise read a descriptor in unmapped memory at the
 * thread's next context switch and kill it with SIGSEGV.
 */
static void test_dlclose_leaves_nothing_armed(void **state)
{
	int (*reader)(struct tps_srcu *);
	struct tps_srcu s;
	void *lib;
	int i;

	(void)state;
	assert_int_equal(tps_srcu_init_fast(&s), 0);
	lib = dlopen(SRCU_MODULE_PATH, RTLD_NOW);
	assert_non_null(lib);
	*(void **)&reader = dlsym(lib, "srcu_module_read");
	assert_non_null(reader);
	assert_in_range(reader(&s), 0, 1);
	assert_int_equal(dlclose(lib), 0);
	/* The premise: the object is really gone. */
	assert_null(dlopen(SRCU_MODULE_PATH, RTLD_NOW | RTLD_NOLOAD));
	/* Context switches: the kernel looks at rseq_cs on each return. */
	for (i = 0; i < 20; i++) {
		unit_sleep_ms(1);
		sched_yield();
	}
	assert_int_equal(tps_synchronize_srcu(&s), 0);
	assert_int_equal(tps_srcu_cleanup(&s), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_rseq_every_cpu),
	        cmocka_unit_test(test_rseq_shared_block),
	        cmocka_unit_test(test_domain_default),
	        cmocka_unit_test(test_domain_atomic),
	        cmocka_unit_test(test_domain_static),
	        cmocka_unit_test(test_atomic_own_cpu),
	        cmocka_unit_test(test_rseq_enabled),
	        cmocka_unit_test(test_dlclose_leaves_nothing_armed),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
