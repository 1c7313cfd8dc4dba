/* SPDX-License-Identifier: MIT */
/*
 * lib/registry.c - the thread registry.
 *
 * Each thread's record (struct tps_thread) lives in its initial-exec TLS, so
 * the inline read sides reach it with one %fs-relative access. The registry
 * keeps pointers to the records of registered threads in a table, under a
 * mutex: a grace period sweeps the table in order, loading the pointers in
 * sequence and the records' words with no load depending on another
 * record (a linked list would make each step wait for the last). The
 * lowest free entry is taken first, so that the sweep stays short. Grace
 * periods hold the mutex while they read records, and never keep a pointer
 * to one after they drop it, because a thread that exits frees its TLS.
 *
 * A thread that finds no room in the table (it could not grow) is linked
 * on a list that grace periods walk after the table: registration never
 * fails.
 *
 * A thread registers on its first read-side critical section (or explicitly)
 * and is unregistered by a pthread key destructor when it exits. Signals are
 * blocked while the calling thread changes its own registration, so that a
 * signal handler that runs a reader cannot interrupt it half-way. From the
 * exit destructor on, they stay blocked (faults excepted) until the thread
 * is gone: a handler that ran a reader after the record left the registry
 * would register it again, possibly after the last destructor round,
 * leaving in the list a record whose TLS is about to be freed.
 *
 * A handler may run a thread's first reader while that very thread is using
 * the registry (a grace period's scan, interrupted by the signal): it cannot
 * take the mutex its own thread holds or is about to take. It pushes its
 * record on a lock-free stack instead, which every holder of the mutex
 * drains into the table as soon as it has the mutex. (RG1) in drain_pending()
 * shows why a scan that misses such a record needs no wait for it.
 *
 * A record may stay in the list only while an exit destructor will take it
 * out: the key must be set (pthread_setspecific() can fail: ENOMEM) and the
 * thread's exit must not have begun (a reader in a key destructor that runs
 * after ours, or in a fault handler after it, comes after the last round
 * that could call ours). Where either fails, a reader registers the thread
 * for its critical section only: the record enters the list with words that
 * send the outermost lock and unlock to the slow paths (the fallback bit),
 * and the outermost unlock of the last open section takes it out again.
 * Signals are blocked from the registration to the section's first fence,
 * and from the section's last store to the record's removal, so no handler
 * ends a section that is not its own.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"

#include <tpsync/rcu.h>

__thread struct tps_thread tps__self __attribute__((tls_model("initial-exec")));

/*
 * The table, its room, and one past its highest entry in use. It starts as
 * a static array of 64 entries, and doubles. Larger tables are mapped, not
 * allocated: a signal handler may register a thread (and grow the table),
 * and malloc() is not async-signal-safe; mmap() and munmap() are plain
 * system calls.
 */
#define TABLE_FIRST_ROOM 64
static struct tps_thread *first_table[TABLE_FIRST_ROOM];
struct tps_thread **tps__registry_table = first_table;
static unsigned int table_room = TABLE_FIRST_ROOM;
unsigned int tps__registry_end;
/* Records that found no room in the table (linked by next and prev). */
struct tps_thread *tps__registry_own;
/* Registered threads (see tps__registry_count()). */
static _Atomic unsigned long registered;
static pthread_mutex_t registry_mutex = PTHREAD_MUTEX_INITIALIZER;
/* Records registered from a handler, not yet in the registry (linked by next). */
static _Atomic(struct tps_thread *) pending;
static pthread_key_t exit_key;
static pthread_once_t exit_key_once = PTHREAD_ONCE_INIT;
/* Set while this thread takes, holds or releases registry_mutex. */
/* Atomic, as C11 asks of objects a signal handler shares; relaxed. */
static __thread _Atomic int registry_busy __attribute__((tls_model("initial-exec")));
/* Set by the exit destructor: from then on, registrations last one section. */
static __thread _Atomic int exit_begun __attribute__((tls_model("initial-exec")));
/*
 * Set when a section-only record's last section ended in a handler that
 * interrupted this thread's own use of the registry: tps__registry_unlock()
 * takes the record out once the mutex is free.
 */
static __thread _Atomic int leave_deferred __attribute__((tls_model("initial-exec")));

/*
 * Test hooks (tests/unit/test_signal.c, test_registry_exit.c), in every
 * build so that the debug and release libraries export the same symbols.
 * The unregister hook runs in the unregistration of a thread, between its
 * words being cleared and its record being marked unregistered, the instant
 * a signal handler must never see. The register hook runs in a
 * registration, with signals blocked: a signal it sends runs its handler as
 * the registration returns.
 */
static void (*_Atomic unregister_hook)(void);
static void (*_Atomic register_hook)(void);
/* Test hook: while set, the table cannot grow. */
static _Atomic bool alloc_fails;

TPS_EXPORT void tps__registry_set_alloc_fail(bool fail);
void tps__registry_set_alloc_fail(bool fail)
{
	atomic_store_explicit(&alloc_fails, fail, memory_order_relaxed);
}

/* Test hook: the calling thread's index in the table; -1 when it has none. */
TPS_EXPORT int tps__registry_self_index(void);
int tps__registry_self_index(void)
{
	return tps__self.registered ? tps__self.index : -1;
}

TPS_EXPORT void tps__registry_set_unregister_hook(void (*hook)(void));
void tps__registry_set_unregister_hook(void (*hook)(void))
{
	atomic_store_explicit(&unregister_hook, hook, memory_order_relaxed);
}

TPS_EXPORT void tps__registry_set_register_hook(void (*hook)(void));
void tps__registry_set_register_hook(void (*hook)(void))
{
	atomic_store_explicit(&register_hook, hook, memory_order_relaxed);
}

/* Test hook: the records in the registry (handlers' pending ones included). */
TPS_EXPORT unsigned long tps__registry_count(void);

static void run_hook(void (*_Atomic *hook)(void))
{
	void (*fn)(void) = atomic_load_explicit(hook, memory_order_relaxed);

	if (fn)
		fn();
}

/* Mutex held: t, which found no room in the table, joins the list. */
static void link_record(struct tps_thread *t)
{
	t->index = -1;
	t->prev = NULL;
	t->next = tps__registry_own;
	if (t->next)
		t->next->prev = t;
	tps__registry_own = t;
}

static void unlink_record(struct tps_thread *t)
{
	if (t->prev)
		t->prev->next = t->next;
	else
		tps__registry_own = t->next;
	if (t->next)
		t->next->prev = t->prev;
	t->next = t->prev = NULL;
}

/* Mutex held: more room in the table; false (nothing changed) when memory is short. */
static bool grow_table(void)
{
	unsigned int room = 2 * table_room;
	struct tps_thread **table;

	if (atomic_load_explicit(&alloc_fails, memory_order_relaxed))
		return false;
	table = mmap(NULL, room * sizeof(*table), PROT_READ | PROT_WRITE,
	             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (table == MAP_FAILED)
		return false;
	memcpy(table, tps__registry_table, table_room * sizeof(*table));
	if (tps__registry_table != first_table)
		munmap(tps__registry_table, table_room * sizeof(*table));
	tps__registry_table = table;
	table_room = room;
	return true;
}

/* Mutex held: t enters the registry, at the lowest free index of the table if it can. */
static void add_record(struct tps_thread *t)
{
	unsigned int i;

	for (i = 0; i < tps__registry_end && tps__registry_table[i]; i++)
		;
	if (i == table_room && !grow_table()) {
		link_record(t);
		return;
	}
	tps__registry_table[i] = t;
	t->index = (int)i;
	if (i >= tps__registry_end)
		tps__registry_end = i + 1;
}

/* Mutex held: t leaves the registry; the sweep shrinks past empty entries. */
static void remove_record(struct tps_thread *t)
{
	if (t->index < 0) {
		unlink_record(t);
		return;
	}
	tps__registry_table[t->index] = NULL;
	while (tps__registry_end > 0 && !tps__registry_table[tps__registry_end - 1])
		tps__registry_end--;
}

unsigned long tps__registry_count(void)
{
	/*
	 * (RG5) acquire: pairs with (RG4), the release decrement of a thread
	 * that leaves: a zero read from it orders that thread's readers before
	 * what the grace period's caller does next.
	 */
	return atomic_load_explicit(&registered, memory_order_acquire);
}

/*
 * After the thread is in the registry and before its first reader:
 * counts it. (RG3) full fence, pairs with the full fence a grace period
 * issues before tps__registry_count() ((G0) in rcu.c, (TG0) in
 * rcu_trace.c): either that grace period sees the thread counted, and
 * looks at its record, or this thread's readers see everything the grace
 * period's callers did before (store-buffer pattern).
 */
static void count_registered(void)
{
	atomic_fetch_add_explicit(&registered, 1, memory_order_relaxed);
	tps_smp_mb();
}

/* Mutex held: moves the records pushed by handlers into the registry. */
static void drain_pending(void)
{
	/*
	 * (RG1) sequentially consistent exchange, pairs with the push in
	 * push_pending(): a push this exchange does not see comes later in
	 * the order of `pending`, so the pushing reader's critical section
	 * (after its push) sees everything this thread did before (the
	 * grace period's unpublish): the scan may ignore that reader.
	 */
	struct tps_thread *t = atomic_exchange_explicit(&pending, NULL, memory_order_seq_cst);

	while (t) {
		struct tps_thread *next = t->next;

		add_record(t);
		t = next;
	}
}

/* Async-signal-safe: a handler registers without the mutex. */
static void push_pending(struct tps_thread *t)
{
	struct tps_thread *head = atomic_load_explicit(&pending, memory_order_relaxed);

	do {
		t->next = head;
		/* (RG2) sequentially consistent: pairs with (RG1). */
	} while (!atomic_compare_exchange_weak_explicit(&pending, &head, t, memory_order_seq_cst,
	                                                memory_order_relaxed));
}

void tps__registry_lock(void)
{
	atomic_store_explicit(&registry_busy, 1, memory_order_relaxed);
	/*
	 * (RB1) compiler barrier: the flag is set before we take the mutex, so
	 * a signal handler on this thread that interrupts us sees it (pairs
	 * with its check of registry_busy; same thread, so the compiler is
	 * the only reorderer).
	 */
	tps_barrier();
	pthread_mutex_lock(&registry_mutex);
	drain_pending();
}

static void leave_deferred_section(void);

void tps__registry_unlock(void)
{
	pthread_mutex_unlock(&registry_mutex);
	/* (RB2) compiler barrier: the flag stays set until the mutex is free, as (RB1). */
	tps_barrier();
	atomic_store_explicit(&registry_busy, 0, memory_order_relaxed);
	if (tps_unlikely(atomic_load_explicit(&leave_deferred, memory_order_relaxed)))
		leave_deferred_section();
}

/* Removes t (the calling thread's record) from the registry. */
static void unregister_record(struct tps_thread *t)
{
	int wake;

	tps__registry_lock();
	remove_record(t);
	/* A tasks-trace grace period may wait for t: it leaves quiescent. */
	tps__trace_thread_gone(t);
	/*
	 * A thread that exits inside a classic reader (a broken rule: debug
	 * builds abort before this) may be the one a sleeping updater waits
	 * for; the updater set our rcu_wake flag under the registry lock, so
	 * we see it here, and wake it below: its rescan no longer finds us.
	 * (W1) acquire, as in tps__rcu_wake_updater(); cleared, so that a
	 * later registration starts with no flag.
	 */
	wake = atomic_exchange_explicit(&t->rcu_wake, 0, memory_order_acquire);
	/*
	 * Zero words mean "unregistered": the next reader takes the slow path
	 * and registers again. No grace period looks at t any more. Signals
	 * are blocked: no handler sees the words cleared while `registered`
	 * still says 1.
	 */
	atomic_store_explicit(&t->rcu_ctr, 0, memory_order_relaxed);
	atomic_store_explicit(&t->trace_nesting, 0, memory_order_relaxed);
	run_hook(&unregister_hook);
	t->registered = 0;
	/* (RG4) release: the thread's readers, all done, before it is uncounted. */
	atomic_fetch_sub_explicit(&registered, 1, memory_order_release);
	tps__registry_unlock();
	if (wake)
		tps__rcu_futex_wake();
}

/*
 * pthread key destructor: the thread is exiting. It runs for every thread
 * that ever registered (an explicit unregistration leaves the key set), and
 * possibly again in a later destructor round if a destructor of another key
 * ran a reader after this one.
 */
static void thread_exit(void *arg)
{
	struct tps_thread *t = arg;
	sigset_t all;

	/*
	 * Block every signal sent to the thread for the rest of its life (the
	 * mask is never restored: only destructors and the C library's own
	 * clean-up are left to run on this thread). A handler that ran a
	 * reader from now on would find the record half-way out of the
	 * registry, or register it again when no destructor round is left to
	 * remove it. A signal sent to this thread from now on stays pending
	 * and is discarded with it; one sent to the process goes to another
	 * thread.
	 *
	 * Faults stay unblocked: a blocked fault kills the process without
	 * its handler, and a later destructor's fault may be one the program
	 * serves (a collector's write barrier on a protected page). Our own
	 * unregistration takes none.
	 */
	sigfillset(&all);
	sigdelset(&all, SIGSEGV);
	sigdelset(&all, SIGBUS);
	sigdelset(&all, SIGFPE);
	sigdelset(&all, SIGILL);
	sigdelset(&all, SIGTRAP);
	sigdelset(&all, SIGSYS);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	/*
	 * No destructor round is sure to come after this one: a reader from
	 * here on (in a later key's destructor, in a fault handler) registers
	 * the thread for its critical section only.
	 */
	atomic_store_explicit(&exit_begun, 1, memory_order_relaxed);
	TPS_DEBUG_RULE(atomic_load_explicit(&t->rcu_ctr, memory_order_relaxed) & TPS__RCU_NEST_MASK,
	               "exit-in-reader",
	               "thread exits inside a classic read-side critical section");
	TPS_DEBUG_RULE(atomic_load_explicit(&t->trace_nesting, memory_order_relaxed) &
	                       TPS__TRACE_NEST_MASK,
	               "exit-in-reader",
	               "thread exits inside a tasks-trace read-side critical section");
	if (t->registered)
		unregister_record(t);
}

static void make_exit_key(void)
{
	if (pthread_key_create(&exit_key, thread_exit) != 0)
		tps__rule_broken("registry", "pthread_key_create failed: out of keys");
}

static void block_signals(sigset_t *old)
{
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, old);
}

static void restore_signals(const sigset_t *old)
{
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

/* Signals blocked: sets t's idle words and puts it in the registry. */
static void link_self(struct tps_thread *t, int how)
{
	unsigned long idle = TPS__RCU_REGISTERED;

	/* Section-only records take the slow paths, which fence, in every mode. */
	if (!tps__fence_freeze() || how == TPS__REG_SECTION)
		idle |= TPS__RCU_FALLBACK;
	/* Idle words first: grace periods see a registered, quiescent thread. */
	atomic_store_explicit(&t->rcu_wake, 0, memory_order_relaxed);
	atomic_store_explicit(&t->trace_need_qs, 0, memory_order_relaxed);
	atomic_store_explicit(&t->rcu_ctr, idle, memory_order_relaxed);
	atomic_store_explicit(&t->trace_nesting, idle, memory_order_relaxed);
	t->registered = how;
	if (atomic_load_explicit(&registry_busy, memory_order_relaxed)) {
		push_pending(t); /* a handler inside our own use of the registry */
	} else {
		tps__registry_lock();
		add_record(t);
		tps__registry_unlock();
	}
	count_registered();
}

/*
 * Signals blocked: registers the calling thread for good, if an exit
 * destructor will take it out of the registry. Changes nothing otherwise.
 */
static int register_for_good(struct tps_thread *t)
{
	int err;

	/* A signal handler may have registered us before signals were blocked. */
	if (t->registered)
		return t->registered == TPS__REG_FOR_GOOD ? 0 : -EBUSY;
	if (atomic_load_explicit(&exit_begun, memory_order_relaxed))
		return -ESRCH;
	pthread_once(&exit_key_once, make_exit_key);
	/*
	 * The exit destructor first: pthread_setspecific() allocates for keys
	 * past the first 32 and may fail. (The destructor does nothing while
	 * the thread is unregistered.)
	 */
	err = pthread_setspecific(exit_key, t);
	if (err)
		return -err;
	link_self(t, TPS__REG_FOR_GOOD);
	run_hook(&register_hook);
	return 0;
}

int tps_register_thread(void)
{
	struct tps_thread *t = &tps__self;
	sigset_t old;
	int err;

	if (t->registered == TPS__REG_FOR_GOOD)
		return 0;
	block_signals(&old);
	err = register_for_good(t);
	restore_signals(&old);
	return err;
}

bool tps__registry_reader_register(sigset_t *old)
{
	struct tps_thread *t = &tps__self;

	block_signals(old);
	if (t->registered || register_for_good(t) == 0) {
		restore_signals(old);
		return false;
	}
	link_self(t, TPS__REG_SECTION);
	return true;
}

void tps__registry_block_signals(sigset_t *old)
{
	block_signals(old);
}

void tps__registry_unblock_signals(const sigset_t *old)
{
	restore_signals(old);
}

/* Signals blocked: takes a section-only record out once no section is open. */
static void leave_if_idle(struct tps_thread *t)
{
	if (t->registered != TPS__REG_SECTION ||
	    (atomic_load_explicit(&t->rcu_ctr, memory_order_relaxed) & TPS__RCU_NEST_MASK) ||
	    (atomic_load_explicit(&t->trace_nesting, memory_order_relaxed) & TPS__TRACE_NEST_MASK))
		return;
	if (atomic_load_explicit(&registry_busy, memory_order_relaxed)) {
		/* A handler inside our own use of the registry: its unlock does it. */
		atomic_store_explicit(&leave_deferred, 1, memory_order_relaxed);
		return;
	}
	unregister_record(t);
}

void tps__registry_section_end(const sigset_t *old)
{
	leave_if_idle(&tps__self);
	restore_signals(old);
}

static void leave_deferred_section(void)
{
	sigset_t old;

	block_signals(&old);
	atomic_store_explicit(&leave_deferred, 0, memory_order_relaxed);
	leave_if_idle(&tps__self);
	restore_signals(&old);
}

int tps_unregister_thread(void)
{
	struct tps_thread *t = &tps__self;
	sigset_t all, old;

	if (!t->registered)
		return 0;
	/* Inside a reader, or in a handler that interrupted our own registry scan. */
	if ((atomic_load_explicit(&t->rcu_ctr, memory_order_relaxed) & TPS__RCU_NEST_MASK) ||
	    (atomic_load_explicit(&t->trace_nesting, memory_order_relaxed) &
	     TPS__TRACE_NEST_MASK) ||
	    atomic_load_explicit(&registry_busy, memory_order_relaxed))
		return -EBUSY;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	/*
	 * The key stays set: the exit destructor still runs and blocks the
	 * thread's signals before a handler could register it again too late.
	 */
	if (t->registered)
		unregister_record(t);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return 0;
}

bool tps_thread_registered(void)
{
	return tps__self.registered != 0;
}

void tps__thread_ensure_registered(void)
{
	if (tps_unlikely(!tps__self.registered))
		tps_register_thread();
}

void tps__registry_fork_prepare(void)
{
	tps__registry_lock();
}

void tps__registry_fork_parent(void)
{
	tps__registry_unlock();
}

/* In the child only the forking thread exists: forget every other record. */
void tps__registry_fork_child(void)
{
	struct tps_thread *self = &tps__self;

	memset(tps__registry_table, 0, table_room * sizeof(*tps__registry_table));
	tps__registry_end = 0;
	tps__registry_own = NULL;
	atomic_store_explicit(&pending, NULL, memory_order_relaxed);
	atomic_store_explicit(&registered, self->registered ? 1 : 0, memory_order_relaxed);
	if (self->registered)
		add_record(self);
	tps__registry_unlock(); /* the forking thread took it in prepare */
}
