/* SPDX-License-Identifier: MIT */
/*
 * lib/rcu_tasks.c - the Tasks flavour's grace periods, tps_rcu_tasks_qs(),
 * and tps_sync_core().
 *
 * A grace period (tasks_gp()):
 *  1. a full fence (K1), membarrier in membarrier mode;
 *  2. the snapshot: every thread listed in /proc/self/task (a complete
 *     listing: see tasks_list_threads()) other than the
 *     caller whose status says it is running is a holdout, with its
 *     voluntary context-switch count; threads that called tps_rcu_tasks_qs()
 *     also get their quiescent-state count;
 *  3. polls the holdouts (sleeping in between, with a growing delay) until
 *     each one has been seen blocked, with a changed voluntary count or
 *     quiescent count, or gone; after the stall timeout it reports the
 *     holdouts once;
 *  4. a full fence (K3), membarrier in membarrier mode.
 *
 * Why a thread seen so is quiescent, and why the fences: see (K1) and (K3)
 * in tasks_gp(). The evidence read from /proc is written by the kernel's
 * scheduler, which executes full barriers when a thread blocks and when it
 * runs again; the quiescent count is written by the thread itself, with
 * (Q1)/(Q2) in tps_rcu_tasks_qs().
 *
 * A thread created after the snapshot was not running any code before the
 * grace period began: its creation is ordered after (K1) by the kernel's
 * barriers in clone() (the thread list /proc walks is updated under a lock
 * and the new thread starts through the scheduler), so it sees everything
 * the caller did before the grace period.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/membarrier.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <tpsync/rcu_tasks.h>

#include "internal.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

/* Mutation build (-DTPSYNC_BROKEN_GP=tasks): grace periods do not wait. */
#ifdef TPSYNC_BROKEN_GP_TASKS
#define TASKS_GP_BROKEN 1
#else
#define TASKS_GP_BROKEN 0
#endif

/*
 * First delay between two polls of the holdouts (µs), doubled at each poll
 * up to TASKS_POLL_MAX_US: a thread that runs 1 ms without blocking is seen
 * about when it blocks, and a long holdout costs one poll (a /proc read per
 * holdout) every few milliseconds.
 */
#define TASKS_POLL_FIRST_US 20
#define TASKS_POLL_MAX_US 2000

/* Room for /proc/self/task/TID/status (about 1.5 KiB on Linux 6). */
#define TASKS_STATUS_BUF 4096

static struct tps__gpseq tasks_gpseq = TPS__GPSEQ_INIT;

static void tasks_wait_gp_for_worker(void *arg);
static struct tps__cb_worker tasks_worker =
        TPS__CB_WORKER_INIT(tasks_worker, "rcu-tasks", tasks_wait_gp_for_worker, NULL);

/* ---- Threads that report quiescent states themselves. ---- */

struct tasks_rec {
	/* Bumped by the owning thread at each tps_rcu_tasks_qs(). */
	_Atomic unsigned long count;
	int tid;
	/* Owning thread: in the list. */
	_Atomic bool listed;
	/* Fences around the bump (fallback mode, frozen at registration). */
	bool fence;
	/* List links: protected by tasks_reg_lock. */
	struct tasks_rec *next;
	struct tasks_rec *prev;
};

static __thread struct tasks_rec tasks_self;
static pthread_mutex_t tasks_reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tasks_rec *tasks_reg_head;
static pthread_key_t tasks_exit_key;
static pthread_once_t tasks_key_once = PTHREAD_ONCE_INIT;

static void rec_link(struct tasks_rec *r)
{
	r->prev = NULL;
	r->next = tasks_reg_head;
	if (r->next)
		r->next->prev = r;
	tasks_reg_head = r;
}

static void rec_unlink(struct tasks_rec *r)
{
	if (r->prev)
		r->prev->next = r->next;
	else
		tasks_reg_head = r->next;
	if (r->next)
		r->next->prev = r->prev;
	r->next = r->prev = NULL;
}

/* Thread exit: the record (in the thread's TLS) leaves the list. */
static void tasks_exit(void *arg)
{
	struct tasks_rec *r = arg;

	pthread_mutex_lock(&tasks_reg_lock);
	rec_unlink(r);
	atomic_store_explicit(&r->listed, false, memory_order_relaxed);
	pthread_mutex_unlock(&tasks_reg_lock);
}

static void tasks_key_init(void)
{
	if (pthread_key_create(&tasks_exit_key, tasks_exit) != 0)
		tps__rule_broken("rcu-tasks", "pthread_key_create failed");
}

static void tasks_register(void)
{
	struct tasks_rec *r = &tasks_self;

	pthread_once(&tasks_key_once, tasks_key_init);
	r->fence = !tps__fence_freeze();
	r->tid = (int)syscall(SYS_gettid);
	pthread_mutex_lock(&tasks_reg_lock);
	rec_link(r);
	atomic_store_explicit(&r->listed, true, memory_order_relaxed);
	pthread_mutex_unlock(&tasks_reg_lock);
	pthread_setspecific(tasks_exit_key, r);
}

void tps_rcu_tasks_qs(void)
{
	struct tasks_rec *r = &tasks_self;
	unsigned long c;

	if (tps_unlikely(!atomic_load_explicit(&r->listed, memory_order_relaxed)))
		tasks_register();
	/*
	 * (Q1) compiler barrier, a full fence where it pairs with the
	 * membarrier (K3) in tasks_gp(); a real fence in fallback mode: the
	 * thread's earlier code (its last "reader") is complete before a grace
	 * period that sees the new count frees anything.
	 */
	if (r->fence)
		tps_smp_mb();
	else
		tps_barrier();
	c = atomic_load_explicit(&r->count, memory_order_relaxed);
	/*
	 * (Q3) release: pairs with (K2) in tasks_poll(), the same ordering as
	 * (Q1)/(K3) written in C11 (and seen by ThreadSanitizer).
	 */
	atomic_store_explicit(&r->count, c + 1, memory_order_release);
	/*
	 * (Q2) compiler barrier, a full fence where it pairs with the
	 * membarrier (K1) in tasks_gp(); a real fence in fallback mode: either
	 * the grace period's snapshot of the count sees this bump (and waits
	 * for a later one), or the thread's later code sees everything the
	 * updater did before the grace period.
	 */
	if (r->fence)
		tps_smp_mb();
	else
		tps_barrier();
}

/* ---- Stall reports. ---- */

static pthread_mutex_t stall_lock = PTHREAD_MUTEX_INITIALIZER;
static tps_rcu_tasks_stall_hook_t stall_hook;
static void *stall_arg;
static _Atomic unsigned int stall_ms = TPS_RCU_TASKS_STALL_MS_DEFAULT;

void tps_rcu_tasks_set_stall_hook(tps_rcu_tasks_stall_hook_t hook, void *arg)
{
	pthread_mutex_lock(&stall_lock);
	stall_hook = hook;
	stall_arg = arg;
	pthread_mutex_unlock(&stall_lock);
}

int tps_rcu_tasks_set_stall_timeout(unsigned int ms)
{
	if (ms == 0)
		return -EINVAL;
	atomic_store_explicit(&stall_ms, ms, memory_order_relaxed);
	return 0;
}

/* ---- The grace period. ---- */

struct holdout {
	int tid;
	/* Seen quiescent by its count (during a poll). */
	bool done;
	/* Reported quiescent states before the snapshot: qs is its count then. */
	bool has_qs;
	unsigned long nvcsw;
	unsigned long qs;
};

/* The running grace period's holdouts (tasks_gpseq's mutex held). */
static struct holdout *holdouts;
static size_t nholdouts, holdouts_cap;

enum task_seen { TASK_RUNNING, TASK_BLOCKED, TASK_GONE };

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/*
 * Reads /proc/self/task/TID/status: is the thread running (or runnable), or
 * blocked in the kernel, or gone? *nvcsw gets its voluntary context-switch
 * count. A file that cannot be read for another reason (no file descriptor
 * left) counts as running: the grace period waits, it never guesses.
 */
static enum task_seen read_task(int dirfd, int tid, unsigned long *nvcsw)
{
	static const char vcs[] = "\nvoluntary_ctxt_switches:";
	char path[32], buf[TASKS_STATUS_BUF];
	const char *s;
	size_t len = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%d/status", tid);
	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT || errno == ESRCH ? TASK_GONE : TASK_RUNNING;
	while (len < sizeof(buf) - 1) {
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (len == 0)
		return TASK_GONE; /* read fails with ESRCH once the thread has exited */
	buf[len] = '\0';
	s = strstr(buf, vcs);
	*nvcsw = s ? strtoul(s + sizeof(vcs) - 1, NULL, 10) : 0;
	s = strstr(buf, "State:");
	if (!s)
		return TASK_RUNNING;
	s += 6;
	while (*s == ' ' || *s == '\t')
		s++;
	/* Every state but R (running or runnable) is a thread inside the kernel. */
	return *s == 'R' ? TASK_RUNNING : TASK_BLOCKED;
}

static int holdout_cmp(const void *a, const void *b)
{
	const struct holdout *x = a, *y = b;

	return (x->tid > y->tid) - (x->tid < y->tid);
}

static struct holdout *holdout_find(int tid)
{
	struct holdout key = {.tid = tid};

	if (!nholdouts)
		return NULL;
	return bsearch(&key, holdouts, nholdouts, sizeof(*holdouts), holdout_cmp);
}

static void holdout_add(int tid, unsigned long nvcsw)
{
	if (nholdouts == holdouts_cap) {
		size_t cap = holdouts_cap ? 2 * holdouts_cap : 64;
		struct holdout *h = realloc(holdouts, cap * sizeof(*h));

		if (!h)
			tps__rule_broken("rcu-tasks",
			                 "out of memory for the grace period's holdouts");
		holdouts = h;
		holdouts_cap = cap;
	}
	holdouts[nholdouts++] = (struct holdout){.tid = tid, .nvcsw = nvcsw};
}

/*
 * The thread ids listed in /proc/self/task (with "." and ".."), as
 * struct linux_dirent64 records: tasks_gp()'s buffer, kept between grace
 * periods (tasks_gpseq's mutex held).
 */
static char *listing;
static size_t listing_len, listing_cap;

/* First size of the listing buffer: about 1,300 threads. */
#define TASKS_LISTING_FIRST (32u << 10)
/* Room for the largest record of a thread: 19 bytes, ten digits, a NUL, aligned to 8. */
#define TASKS_DIRENT_MAX 32u

struct tasks_dirent {
	uint64_t ino;
	int64_t off;
	unsigned short reclen;
	unsigned char type;
	char name[];
};

/*
 * Is the listing whole? The kernel lists "." and ".." at positions 0 and 1,
 * then thread after thread from position 2, and the d_off of each entry is
 * the position after it. A thread that exits as the kernel reaches it is
 * passed over, its position left empty, and ends the call: a gap in the
 * positions. A thread that exits just after it was listed ends the call
 * too: it is the last entry, and no longer exists.
 */
static bool tasks_listing_whole(void)
{
	const struct tasks_dirent *d = NULL;
	size_t off;
	int64_t pos = 0;

	for (off = 0; off < listing_len; off += d->reclen) {
		d = (const void *)(listing + off);
		if (d->off != ++pos)
			return false;
	}
	if (!d || !isdigit((unsigned char)d->name[0]))
		return true;
	return syscall(SYS_tgkill, getpid(), atoi(d->name), 0) == 0 || errno != ESRCH;
}

/*
 * Lists every thread of the process into listing. readdir() does not: a
 * thread that exits while the kernel lists it ends that getdents64() call
 * early, and the next call finds its place again by counting threads from
 * the first one, so it skips as many threads as have exited before that
 * place; a call that stops because the buffer is full or a signal is
 * pending has the same hole when the thread it resumes from has exited
 * meanwhile. A skipped thread may be running protected code: the grace
 * period would not wait for it.
 *
 * So the listing is one getdents64() call, with signals blocked, and a
 * buffer that grows until a second call returns nothing; it is taken again
 * when a thread's exit cut it short (tasks_listing_whole()). Left out: a
 * thread id reused within one listing (that takes pid_max thread
 * creations), and a process stopped (SIGSTOP, a debugger) during the call
 * while threads exit.
 */
static void tasks_list_threads(int dirfd)
{
	sigset_t all, old;
	ssize_t n, more;

	if (!listing) {
		listing = malloc(TASKS_LISTING_FIRST);
		if (!listing)
			tps__rule_broken("rcu-tasks", "out of memory for the thread listing");
		listing_cap = TASKS_LISTING_FIRST;
	}
	sigfillset(&all);
	for (;;) {
		if (lseek(dirfd, 0, SEEK_SET) != 0)
			tps__rule_broken("rcu-tasks", "cannot rewind /proc/self/task");
		pthread_sigmask(SIG_BLOCK, &all, &old);
		n = syscall(SYS_getdents64, dirfd, listing, listing_cap);
		more = n < 0 ? 0
		             : syscall(SYS_getdents64, dirfd, listing + n, listing_cap - (size_t)n);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (n < 0)
			tps__rule_broken("rcu-tasks", "cannot list /proc/self/task");
		listing_len = (size_t)n;
		if (listing_cap - listing_len < TASKS_DIRENT_MAX) {
			/* The buffer may have been full: a larger one, and again. */
			char *b = realloc(listing, 2 * listing_cap);

			if (!b)
				tps__rule_broken("rcu-tasks",
				                 "out of memory for the thread listing");
			listing = b;
			listing_cap *= 2;
			continue;
		}
		/* More entries: threads created meanwhile, or a listing cut short. */
		if (more == 0 && tasks_listing_whole())
			return;
	}
}

/* Step 2: every running thread but the caller is a holdout. */
static void tasks_snapshot(int dirfd, int self)
{
	struct tasks_rec *r;
	struct holdout *h;
	unsigned long nvcsw;
	size_t off;

	nholdouts = 0;
	tasks_list_threads(dirfd);
	for (off = 0; off < listing_len;) {
		const struct tasks_dirent *d = (const void *)(listing + off);
		int tid;

		off += d->reclen;
		if (!isdigit((unsigned char)d->name[0]))
			continue;
		tid = atoi(d->name);
		if (tid == self)
			continue;
		if (read_task(dirfd, tid, &nvcsw) == TASK_RUNNING)
			holdout_add(tid, nvcsw);
	}
	if (!nholdouts)
		return;
	qsort(holdouts, nholdouts, sizeof(*holdouts), holdout_cmp);
	pthread_mutex_lock(&tasks_reg_lock);
	for (r = tasks_reg_head; r; r = r->next) {
		h = holdout_find(r->tid);
		if (h) {
			h->has_qs = true;
			h->qs = atomic_load_explicit(&r->count, memory_order_relaxed);
		}
	}
	pthread_mutex_unlock(&tasks_reg_lock);
}

/* Step 3, one poll: drops every holdout seen quiescent since the snapshot. */
static void tasks_poll(int dirfd)
{
	struct tasks_rec *r;
	struct holdout *h;
	unsigned long nvcsw;
	size_t i, kept = 0;

	pthread_mutex_lock(&tasks_reg_lock);
	for (r = tasks_reg_head; r; r = r->next) {
		h = holdout_find(r->tid);
		if (!h)
			continue;
		/*
		 * A record the snapshot did not see was listed after it (both
		 * under tasks_reg_lock) by the thread's first
		 * tps_rcu_tasks_qs(), a quiescent state after the grace period
		 * began; the lock orders it as (Q3)/(K2) do. A thread that
		 * exited and whose id was reused is quiescent too.
		 *
		 * (K2) acquire: pairs with (Q3) in tps_rcu_tasks_qs().
		 */
		if (!h->has_qs || atomic_load_explicit(&r->count, memory_order_acquire) != h->qs)
			h->done = true;
	}
	pthread_mutex_unlock(&tasks_reg_lock);
	for (i = 0; i < nholdouts; i++) {
		h = &holdouts[i];
		if (h->done)
			continue;
		nvcsw = h->nvcsw;
		if (read_task(dirfd, h->tid, &nvcsw) != TASK_RUNNING || nvcsw != h->nvcsw)
			continue;
		holdouts[kept++] = *h;
	}
	nholdouts = kept; /* still sorted */
}

static void tasks_report_stall(uint64_t waited)
{
	tps_rcu_tasks_stall_hook_t hook;
	void *arg;
	int *tids;
	size_t i;

	pthread_mutex_lock(&stall_lock);
	hook = stall_hook;
	arg = stall_arg;
	pthread_mutex_unlock(&stall_lock);
	tids = malloc(nholdouts * sizeof(*tids));
	if (hook && tids) {
		for (i = 0; i < nholdouts; i++)
			tids[i] = holdouts[i].tid;
		hook(tids, (unsigned int)nholdouts, (unsigned long)waited, arg);
	} else {
		fprintf(stderr,
		        "tpsync: rcu-tasks grace period waited %lu ms for %zu thread(s) that run "
		        "without blocking:",
		        (unsigned long)waited, nholdouts);
		for (i = 0; i < nholdouts; i++)
			fprintf(stderr, " %d", holdouts[i].tid);
		fputc('\n', stderr);
	}
	free(tids);
}

static void tasks_wait_for_holdouts(int dirfd)
{
	uint64_t start = now_ms(), waited;
	unsigned int delay = TASKS_POLL_FIRST_US;
	bool reported = false;
	struct timespec ts;

	while (nholdouts) {
		ts.tv_sec = 0;
		ts.tv_nsec = (long)delay * 1000;
		nanosleep(&ts, NULL);
		if (delay < TASKS_POLL_MAX_US)
			delay = delay * 2 < TASKS_POLL_MAX_US ? delay * 2 : TASKS_POLL_MAX_US;
		tasks_poll(dirfd);
		waited = now_ms() - start;
		if (nholdouts && !reported &&
		    waited >= (uint64_t)atomic_load_explicit(&stall_ms, memory_order_relaxed)) {
			tasks_report_stall(waited);
			reported = true;
		}
	}
}

/* One grace period, run by tps__gpseq_wait() with tasks_gpseq's mutex held. */
static void tasks_gp(void *arg)
{
	int dirfd;

	(void)arg;
	/*
	 * (K1) membarrier (a full fence in fallback mode): orders the
	 * caller's unpublish (and (S0) in tps__gpseq_snap()) before every
	 * read of the snapshot. Pairs with (Q2) in tps_rcu_tasks_qs(), and
	 * with the full barriers the kernel's scheduler executes when a
	 * thread blocks and when it runs again: a thread whose snapshot shows
	 * it blocked, or whose later voluntary count differs, runs its next
	 * user code after that barrier, so that code sees the unpublish; the
	 * snapshot read its state before the change (a store-buffering pair
	 * with a full fence on each side).
	 */
	tps__fence_heavy();
	if (!TASKS_GP_BROKEN) {
		dirfd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dirfd < 0)
			tps__rule_broken("rcu-tasks",
			                 "/proc/self/task cannot be read: a Tasks grace "
			                 "period cannot know the process's threads");
		tasks_snapshot(dirfd, (int)syscall(SYS_gettid));
		tasks_wait_for_holdouts(dirfd);
		close(dirfd);
	}
	/*
	 * (K3) membarrier (a full fence in fallback mode): orders every read
	 * that showed a holdout quiescent before the caller's reclaim. Pairs
	 * with (Q1) in tps_rcu_tasks_qs(), and with the scheduler's barriers
	 * before a thread is switched out: membarrier makes each thread that
	 * runs execute a full barrier, and a thread that does not run has
	 * passed its switch-out barrier, so its user code before it blocked is
	 * complete before the free. (In fallback mode only the scheduler's
	 * barriers and this fence order it: enough on x86-64, where loads are
	 * not reordered after later stores.)
	 */
	tps__fence_heavy();
}

void tps_synchronize_rcu_tasks(void)
{
	tps__gpseq_wait(&tasks_gpseq, tps__gpseq_snap(&tasks_gpseq), tasks_gp, NULL);
}

unsigned long tps_get_state_synchronize_rcu_tasks(void)
{
	return tps__gpseq_snap(&tasks_gpseq);
}

bool tps_poll_state_synchronize_rcu_tasks(unsigned long cookie)
{
	return tps__gpseq_done(&tasks_gpseq, cookie);
}

void tps_cond_synchronize_rcu_tasks(unsigned long cookie)
{
	if (tps__gpseq_done(&tasks_gpseq, cookie))
		return;
	tps__gpseq_wait(&tasks_gpseq, cookie, tasks_gp, NULL);
}

static void tasks_wait_gp_for_worker(void *arg)
{
	(void)arg;
	tps_synchronize_rcu_tasks();
}

int tps_call_rcu_tasks(struct tps_rcu_head *head, tps_rcu_callback_t func)
{
	return tps__cb_enqueue(&tasks_worker, head, func);
}

void tps_rcu_barrier_tasks(void)
{
	if (tps_unlikely(tps__cb_in_worker(&tasks_worker)))
		tps__rule_broken("barrier-in-callback",
		                 "tps_rcu_barrier_tasks called from a Tasks callback "
		                 "(it would wait for itself)");
	tps__cb_barrier(&tasks_worker);
}

/* In the child only the forking thread exists: no grace period runs there. */
void tps__tasks_fork_child(void)
{
	tps__gpseq_fork_child(&tasks_gpseq);
	/* A grace period another thread ran may have left the buffer half-way. */
	holdouts = NULL;
	nholdouts = holdouts_cap = 0;
	listing = NULL;
	listing_len = listing_cap = 0;
	pthread_mutex_init(&tasks_reg_lock, NULL);
	pthread_mutex_init(&stall_lock, NULL);
	tasks_reg_head = NULL;
	if (atomic_load_explicit(&tasks_self.listed, memory_order_relaxed)) {
		tasks_self.tid = (int)syscall(SYS_gettid);
		rec_link(&tasks_self);
	}
}

/* ---- tps_sync_core() ---- */

static pthread_once_t sync_core_once = PTHREAD_ONCE_INIT;
static bool sync_core_ready;

/* The same reading of TPSYNC_FORCE_FALLBACK as the fence mode's. */
static bool tasks_env_forces_fallback(void)
{
	const char *v = getenv("TPSYNC_FORCE_FALLBACK");

	return v && v[0] && strcmp(v, "0") != 0;
}

static void sync_core_init_once(void)
{
	const char *v = getenv("TPSYNC_TASKS_STALL_MS");
	int cmds;

	if (v && v[0]) {
		unsigned long ms = strtoul(v, NULL, 10);

		if (ms > 0 && ms <= ~0u)
			atomic_store_explicit(&stall_ms, (unsigned int)ms, memory_order_relaxed);
	}
	if (tasks_env_forces_fallback())
		return;
	cmds = (int)syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
	if (cmds > 0 && (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE) &&
	    syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0) == 0)
		sync_core_ready = true;
}

/*
 * Registers before main() (executables) or at dlopen() (modules): a process
 * that already runs many threads registers more slowly.
 */
__attribute__((constructor)) static void tasks_constructor(void)
{
	pthread_once(&sync_core_once, sync_core_init_once);
}

/* A core-serializing instruction on the calling thread. */
static void serialize_self(void)
{
#if defined(__x86_64__) || defined(__i386__)
	unsigned int a, b, c, d;

	__cpuid(0, a, b, c, d);
	(void)a;
	(void)b;
	(void)c;
	(void)d;
#elif defined(__aarch64__)
	__asm__ __volatile__("isb" ::: "memory");
#endif
}

int tps_sync_core(void)
{
	pthread_once(&sync_core_once, sync_core_init_once);
	if (!sync_core_ready)
		return -ENOSYS;
	if (syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0) != 0)
		return -errno;
	serialize_self();
	return 0;
}
