/* SPDX-License-Identifier: MIT */
/*
 * tests/torture/torture.c - the torture harness (see torture.h).
 *
 * The life of a test object, as rcutorture's "pipe":
 *
 *   pipe 0   allocated and published in a domain's protected pointer;
 *   pipe 1   unpublished by tps_rcu_xchg_pointer(): readers that loaded the
 *            pointer before may still use it;
 *   pipe 2   a grace period has elapsed since the unpublish (the updater's
 *            synchronize returned, the callback ran, the cookie polled
 *            complete...): no reader may still hold it. The object enters
 *            a quarantine ring, where it stays readable for a while;
 *   poison   half-way through the quarantine, every field is overwritten
 *            with a poison pattern; at its end the object is freed.
 *
 * Readers re-read the pipe count and the magic at the end of each critical
 * section, after a delay: seeing pipe 2, poison or a corrupt object means
 * the grace period ended while the reader still ran. The histogram of what
 * readers saw is printed at the end, as rcutorture prints its "Reader Pipe"
 * histogram; every count past pipe 1 is an error.
 *
 * Every shared field of an object is a C11 atomic: readers load them while
 * updaters poison them, and ThreadSanitizer must not see a data race where
 * the algorithm is correct. Only a real grace-period bug lets a reader touch
 * freed memory, which AddressSanitizer then reports.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <tpsync/core.h>

#include "torture.h"

/* "tps_obj\0": the magic word of a live test object. */
#define TORTURE_MAGIC 0x006a626f5f737074UL
/* The kernel's POISON_FREE byte (0x6b) in every byte of a poisoned word. */
#define TORTURE_POISON 0x6b6b6b6b6b6b6b6bUL
/* Payload words a reader checks against the object's sequence number. */
#define TORTURE_DATA_WORDS 4
/*
 * Finished objects wait in a ring this long before they are freed, so that a
 * reader that outlived a grace period reads pipe count 2 or poison rather
 * than memory malloc() already gave to a new object (which would look
 * valid). An object spends the first half of its stay with pipe count 2,
 * the second half poisoned. At a few thousand updates per second, 128
 * objects are tens of milliseconds.
 */
#define TORTURE_QUARANTINE 128
/* Polled objects an updater keeps before it forces the oldest one. */
#define TORTURE_POLL_MAX 16
/* Callbacks queued before each barrier. */
#define TORTURE_BARRIER_BATCH 4
/*
 * A run shorter than this many updates is extended (up to twice its length):
 * the number of grace periods, not the seconds, is what finds bugs, and a
 * membarrier grace period costs 100-300 µs here with busy readers.
 */
#define TORTURE_MIN_UPDATES 2000
/* Error messages printed before the harness only counts them. */
#define TORTURE_MAX_MESSAGES 20
/* Sanity limits on the configuration. */
#define TORTURE_MAX_READERS 64
#define TORTURE_MAX_UPDATERS 8
/* Short-lived reader threads the churn thread keeps alive at once. */
#define TORTURE_CHURN_THREADS 2
/* Critical sections a churn thread runs at most before it exits. */
#define TORTURE_CHURN_SECTIONS 200

/* What a reader saw, in increasing order of gravity (the histogram bins). */
enum torture_bin {
	BIN_PIPE0,
	BIN_PIPE1,
	BIN_PIPE2,   /* survived a grace period */
	BIN_POISON,  /* survived a grace period and was poisoned */
	BIN_CORRUPT, /* neither a live nor a poisoned object: freed and reused? */
	BIN_COUNT
};

static const char *const bin_names[BIN_COUNT] = {"0", "1", "2", "poisoned", "corrupt"};

/* The entry points by which updaters wait for grace periods. */
enum torture_ep {
	EP_SYNC,      /* synchronize */
	EP_CALL,      /* call, the callback finishes the object */
	EP_POLL,      /* get_state, later poll_state returned true */
	EP_POLL_COND, /* get_state, cond_synchronize some updates later */
	EP_COND,      /* get_state then cond_synchronize at once */
	EP_BARRIER,   /* call several, barrier, check they all ran */
	EP_COUNT
};

static const char *const ep_names[EP_COUNT] = {
        "synchronize", "call", "poll_state", "poll+cond", "cond_synchronize", "barrier"};

/* The rotation of updater modes (EP_POLL_COND is reached through EP_POLL). */
static const enum torture_ep update_modes[] = {EP_SYNC, EP_CALL, EP_POLL, EP_COND, EP_BARRIER};
#define TORTURE_MODES (sizeof(update_modes) / sizeof(update_modes[0]))

struct torture_batch {
	_Atomic unsigned int ran;
};

struct torture_obj {
	_Atomic unsigned long magic;
	_Atomic unsigned long pipe;
	_Atomic unsigned long seq;
	_Atomic unsigned long data[TORTURE_DATA_WORDS];
	/* Updater and callback only (ordered by publication and queueing). */
	struct torture_domain *dom;
	struct torture_batch *batch;
	struct tps_rcu_head head;
};

struct torture_domain {
	void *domain;
	unsigned int index;
	/* The protected pointer: tps_rcu_dereference() / tps_rcu_xchg_pointer(). */
	struct torture_obj *ptr;
};

struct torture_stats {
	unsigned long sections;
	unsigned long nested;
	unsigned long long_spins;
	unsigned long sleeps;
	unsigned long syscalls;
	unsigned long bins[BIN_COUNT];
	unsigned long errors;
};

/* One read-side context: a thread's, or its signal handler's. */
struct torture_rctx {
	const struct tps_flavor *ops;
	uint64_t rng;
	bool may_block;
	/* In a signal handler: no stdio, no outside-of-reader checks. */
	bool in_handler;
	int pipefd[2];
	int statfd;
	struct torture_stats st;
};

struct torture_reader {
	unsigned int id;
	pthread_t thread;
	bool started;
	_Atomic bool ready;
	struct torture_rctx ctx;
	struct torture_rctx hctx; /* the SIGUSR1 handler's */
	unsigned long handled;
};

struct torture_polled {
	struct torture_obj *obj;
	unsigned long cookie;
	/* The updater's iteration that queued it. */
	unsigned long iter;
	/* Finish by cond_synchronize in a later iteration rather than by polling. */
	bool cond;
};

struct torture_updater {
	unsigned int id;
	pthread_t thread;
	bool started;
	struct torture_domain *dom;
	uint64_t rng;
	struct torture_polled polled[TORTURE_POLL_MAX];
	unsigned int npolled;
	unsigned long iter;
	struct torture_batch batch;
	unsigned long barriers;
	unsigned long n[EP_COUNT];
};

static struct {
	struct torture_config cfg;
	const struct tps_flavor *fl;
	unsigned int ndomains;
	struct torture_domain dom[TORTURE_MAX_DOMAINS];
	struct torture_reader *readers;
	struct torture_updater *updaters;
	unsigned int nupdaters;

	_Atomic bool stop;
	_Atomic unsigned long errors;
	_Atomic unsigned long messages;
	_Atomic unsigned long seq;
	_Atomic unsigned long updates;
	_Atomic unsigned long allocated;
	_Atomic unsigned long freed;
	_Atomic unsigned long cb_queued;
	_Atomic unsigned long cb_run;

	pthread_mutex_t qlock;
	struct torture_obj *quarantine[TORTURE_QUARANTINE];
	unsigned int qpos;

	pthread_mutex_t churn_lock;
	struct torture_stats churn_st;
	unsigned long churn_threads;
	unsigned long signals_sent;
} T = {
        .qlock = PTHREAD_MUTEX_INITIALIZER,
        .churn_lock = PTHREAD_MUTEX_INITIALIZER,
};

/* The reader whose signal handler runs on this thread (long-lived readers only). */
static __thread struct torture_reader *self_reader;

/* ---- Utilities. ---- */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* xorshift64*: fast, good enough to pick delays; one state per context. */
static uint64_t rnd(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static uint64_t rnd_below(uint64_t *s, uint64_t n)
{
	return (rnd(s) >> 11) % n;
}

/* splitmix64 of a per-thread value: distinct, never-zero seeds. */
static uint64_t seed_for(uint64_t v)
{
	uint64_t z = v + now_ns() + 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return z ? z : 1;
}

static void spin_ns(uint64_t ns)
{
	uint64_t end = now_ns() + ns;

	while (now_ns() < end)
		tps_cpu_relax();
}

static void spin_relax(unsigned int n)
{
	while (n--)
		tps_cpu_relax();
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000u),
	                      .tv_nsec = (long)(ns % 1000000000u)};

	/* EINTR (SIGUSR1) only shortens the sleep. */
	nanosleep(&ts, NULL);
}

static bool stopping(void)
{
	return atomic_load_explicit(&T.stop, memory_order_relaxed);
}

/* Records an error; prints it (not from a signal handler) up to a limit. */
__attribute__((format(printf, 1, 2))) static void torture_error(const char *fmt, ...)
{
	unsigned long n = atomic_fetch_add(&T.messages, 1);
	char msg[512];
	va_list ap;

	atomic_fetch_add(&T.errors, 1);
	if (n > TORTURE_MAX_MESSAGES)
		return;
	if (n == TORTURE_MAX_MESSAGES) {
		fprintf(stderr, "%s: ERROR: more errors, no longer printed\n", T.cfg.name);
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* One call, so that messages of concurrent threads do not interleave. */
	fprintf(stderr, "%s: ERROR: %s\n", T.cfg.name, msg);
}

/* The async-signal-safe variant: a fixed message through write(2). */
static void torture_error_signal(const char *msg)
{
	unsigned long n = atomic_fetch_add(&T.messages, 1);

	atomic_fetch_add(&T.errors, 1);
	if (n < TORTURE_MAX_MESSAGES) {
		ssize_t rc = write(STDERR_FILENO, msg, strlen(msg));

		(void)rc;
	}
}

static void stats_add(struct torture_stats *to, const struct torture_stats *from)
{
	unsigned int i;

	to->sections += from->sections;
	to->nested += from->nested;
	to->long_spins += from->long_spins;
	to->sleeps += from->sleeps;
	to->syscalls += from->syscalls;
	for (i = 0; i < BIN_COUNT; i++)
		to->bins[i] += from->bins[i];
	to->errors += from->errors;
}

/* ---- Objects and the quarantine. ---- */

static unsigned long data_word(unsigned long seq, unsigned int i)
{
	return (seq * 0x9e3779b97f4a7c15UL) ^ (0x0101010101010101UL * (i + 1));
}

static struct torture_obj *obj_new(struct torture_domain *dom)
{
	struct torture_obj *o = calloc(1, sizeof(*o));
	unsigned long seq;
	unsigned int i;

	if (!o) {
		fprintf(stderr, "%s: out of memory\n", T.cfg.name);
		abort();
	}
	seq = atomic_fetch_add(&T.seq, 1) + 1;
	atomic_store_explicit(&o->magic, TORTURE_MAGIC, memory_order_relaxed);
	atomic_store_explicit(&o->pipe, 0, memory_order_relaxed);
	atomic_store_explicit(&o->seq, seq, memory_order_relaxed);
	for (i = 0; i < TORTURE_DATA_WORDS; i++)
		atomic_store_explicit(&o->data[i], data_word(seq, i), memory_order_relaxed);
	o->dom = dom;
	o->batch = NULL;
	atomic_fetch_add(&T.allocated, 1);
	return o;
}

static void obj_free(struct torture_obj *o)
{
	free(o);
	atomic_fetch_add(&T.freed, 1);
}

static void obj_poison(struct torture_obj *o)
{
	unsigned int i;

	atomic_store_explicit(&o->magic, TORTURE_POISON, memory_order_release);
	for (i = 0; i < TORTURE_DATA_WORDS; i++)
		atomic_store_explicit(&o->data[i], TORTURE_POISON, memory_order_relaxed);
	atomic_store_explicit(&o->seq, TORTURE_POISON, memory_order_relaxed);
	atomic_store_explicit(&o->pipe, TORTURE_POISON, memory_order_release);
}

/*
 * Puts o in the quarantine ring, poisons the object half-way through it and
 * frees the object it pushes out.
 */
static void quarantine_put(struct torture_obj *o)
{
	struct torture_obj *old, *half;

	pthread_mutex_lock(&T.qlock);
	old = T.quarantine[T.qpos];
	T.quarantine[T.qpos] = o;
	half = T.quarantine[(T.qpos + TORTURE_QUARANTINE / 2) % TORTURE_QUARANTINE];
	if (half)
		obj_poison(half);
	T.qpos = (T.qpos + 1) % TORTURE_QUARANTINE;
	pthread_mutex_unlock(&T.qlock);
	if (old)
		obj_free(old);
}

static void quarantine_drain(void)
{
	unsigned int i;

	pthread_mutex_lock(&T.qlock);
	for (i = 0; i < TORTURE_QUARANTINE; i++) {
		if (T.quarantine[i])
			obj_free(T.quarantine[i]);
		T.quarantine[i] = NULL;
	}
	pthread_mutex_unlock(&T.qlock);
}

/*
 * obj_finish() - a grace period has elapsed since o was unpublished (how
 * says which entry point told us): pipe 2, quarantine.
 */
static void obj_finish(struct torture_obj *o, const char *how)
{
	unsigned long pipe = atomic_load_explicit(&o->pipe, memory_order_relaxed);

	if (pipe != 1)
		torture_error("object %lu finished by %s with pipe count %lu, expected 1 "
		              "(finished twice?)",
		              atomic_load_explicit(&o->seq, memory_order_relaxed), how, pipe);
	atomic_store_explicit(&o->pipe, 2, memory_order_release);
	quarantine_put(o);
}

/* ---- Readers. ---- */

struct torture_view {
	enum torture_bin bin;
	unsigned long seq;
	unsigned long pipe;
};

/* Reads every field of o and classifies what it sees. */
static struct torture_view observe(struct torture_obj *o)
{
	struct torture_view v;
	unsigned long magic = atomic_load_explicit(&o->magic, memory_order_acquire);
	bool poison = magic == TORTURE_POISON, corrupt = magic != TORTURE_MAGIC;
	unsigned int i;

	v.pipe = atomic_load_explicit(&o->pipe, memory_order_acquire);
	v.seq = atomic_load_explicit(&o->seq, memory_order_relaxed);
	poison |= v.pipe == TORTURE_POISON || v.seq == TORTURE_POISON;
	corrupt |= v.pipe > 2;
	for (i = 0; i < TORTURE_DATA_WORDS; i++) {
		unsigned long d = atomic_load_explicit(&o->data[i], memory_order_relaxed);

		poison |= d == TORTURE_POISON;
		corrupt |= d != data_word(v.seq, i);
	}
	if (poison)
		v.bin = BIN_POISON;
	else if (corrupt)
		v.bin = BIN_CORRUPT;
	else
		v.bin = (enum torture_bin)v.pipe;
	return v;
}

/*
 * The messages a signal handler may print (it cannot format): what it saw,
 * indexed by bin, then the two other checks. Built by signal_messages_init().
 */
enum { SIGMSG_NULL = BIN_COUNT, SIGMSG_ONGOING, SIGMSG_COUNT };
static char signal_messages[SIGMSG_COUNT][128];

static void signal_messages_init(void)
{
	static const char *const what[SIGMSG_COUNT] = {
	        [BIN_PIPE2] = "saw pipe count 2",
	        [BIN_POISON] = "saw a poisoned object",
	        [BIN_CORRUPT] = "saw a corrupt object",
	        [SIGMSG_NULL] = "found the protected pointer NULL",
	        [SIGMSG_ONGOING] = "got a wrong answer from read_ongoing()",
	};
	unsigned int i;

	for (i = 0; i < SIGMSG_COUNT; i++) {
		if (what[i])
			snprintf(signal_messages[i], sizeof(signal_messages[i]),
			         "%s: ERROR: a signal-handler reader %s\n", T.cfg.name, what[i]);
	}
}

/* Counts what a critical section saw (first and last look at one object). */
static void record(struct torture_rctx *c, struct torture_domain *dom, struct torture_view first,
                   struct torture_view last, const char *what)
{
	enum torture_bin bin = first.bin > last.bin ? first.bin : last.bin;

	if (bin < BIN_POISON && last.seq != first.seq)
		bin = BIN_CORRUPT;
	c->st.bins[bin]++;
	if (bin < BIN_PIPE2)
		return;
	c->st.errors++;
	if (c->in_handler) {
		torture_error_signal(signal_messages[bin]);
		return;
	}
	torture_error("%s (domain %u) saw object %lu with pipe count %lu -> %lu (%s) at the end "
	              "of its critical section: it survived a grace period",
	              what, dom->index, first.seq, first.pipe, last.pipe, bin_names[bin]);
}

static void reader_delay(struct torture_rctx *c)
{
	uint64_t r = rnd_below(&c->rng, 100);

	if (r < 60) {
		spin_relax((unsigned int)rnd_below(&c->rng, 64));
	} else if (r < 95) {
		spin_ns(rnd_below(&c->rng, 5000));
	} else {
		/* Long enough that a grace period that does not wait ends meanwhile. */
		spin_ns(10000 + rnd_below(&c->rng, 40000));
		c->st.long_spins++;
	}
}

/* Blocking inside the critical section, for flavours whose readers may block. */
static void reader_block(struct torture_rctx *c)
{
	uint64_t r = rnd_below(&c->rng, 100);
	char buf[256];
	ssize_t rc;

	if (r < 3) {
		/* Mostly a few µs; one sleep in ten up to a millisecond. */
		if (rnd_below(&c->rng, 10))
			sleep_ns(1000 + rnd_below(&c->rng, 20000));
		else
			sleep_ns(1000 + rnd_below(&c->rng, 1000000));
		c->st.sleeps++;
	} else if (r < 8) {
		switch (rnd_below(&c->rng, 3)) {
		case 0:
			if (getppid() <= 0)
				torture_error("getppid failed inside a reader");
			break;
		case 1:
			if (c->pipefd[0] >= 0) {
				buf[0] = 'x';
				rc = write(c->pipefd[1], buf, 1);
				if (rc == 1)
					rc = read(c->pipefd[0], buf, 1);
				if (rc != 1)
					torture_error("pipe I/O failed inside a reader: %s",
					              strerror(errno));
			}
			break;
		default:
			if (c->statfd >= 0 && pread(c->statfd, buf, sizeof(buf), 0) <= 0)
				torture_error("read of /proc/self/stat failed inside a reader: %s",
				              strerror(errno));
			break;
		}
		c->st.syscalls++;
	}
}

static struct torture_domain *pick_domain(struct torture_rctx *c)
{
	return &T.dom[T.ndomains > 1 ? rnd_below(&c->rng, T.ndomains) : 0];
}

static void check_ongoing(struct torture_rctx *c, struct torture_domain *dom, bool expect)
{
	if (!c->ops->read_ongoing || c->ops->read_ongoing(dom->domain) == expect)
		return;
	c->st.errors++;
	if (c->in_handler)
		torture_error_signal(signal_messages[SIGMSG_ONGOING]);
	else
		torture_error("read_ongoing() returned %s %s a critical section (domain %u)",
		              expect ? "false" : "true", expect ? "inside" : "outside", dom->index);
}

static void report_null(struct torture_rctx *c, const char *what)
{
	c->st.errors++;
	if (c->in_handler)
		torture_error_signal(signal_messages[SIGMSG_NULL]);
	else
		torture_error("%s found the protected pointer NULL", what);
}

/* A short critical section nested inside another one (any domain). */
static void reader_nested(struct torture_rctx *c)
{
	struct torture_domain *dom = pick_domain(c);
	struct torture_view first = {0}, last = {0};
	struct torture_obj *p;
	int idx;

	idx = c->ops->read_lock(dom->domain);
	check_ongoing(c, dom, true);
	p = tps_rcu_dereference(dom->ptr);
	if (p) {
		first = observe(p);
		spin_relax((unsigned int)rnd_below(&c->rng, 256));
		last = observe(p);
	}
	c->ops->read_unlock(dom->domain, idx);
	c->st.nested++;
	if (p)
		record(c, dom, first, last, "a nested reader");
	else
		report_null(c, "a nested reader");
}

/* One full read-side critical section. */
static void reader_section(struct torture_rctx *c, const char *what)
{
	struct torture_domain *dom = pick_domain(c);
	struct torture_view first = {0}, last = {0};
	struct torture_obj *p;
	int idx;

	idx = c->ops->read_lock(dom->domain);
	check_ongoing(c, dom, true);
	p = tps_rcu_dereference(dom->ptr);
	if (p) {
		first = observe(p);
		reader_delay(c);
		if (rnd_below(&c->rng, 10) == 0)
			reader_nested(c);
		if (c->may_block)
			reader_block(c);
		/* The look that matters: after the delay. */
		last = observe(p);
	}
	c->ops->read_unlock(dom->domain, idx);
	c->st.sections++;
	if (!c->in_handler)
		check_ongoing(c, dom, false);
	if (p)
		record(c, dom, first, last, what);
	else
		report_null(c, what);
}

static void rctx_init(struct torture_rctx *c, const struct tps_flavor *ops, uint64_t seed,
                      bool may_block, bool in_handler)
{
	memset(c, 0, sizeof(*c));
	c->ops = ops;
	c->rng = seed_for(seed);
	c->may_block = may_block;
	c->in_handler = in_handler;
	c->pipefd[0] = c->pipefd[1] = -1;
	c->statfd = -1;
}

static void torture_sigusr1(int sig)
{
	struct torture_reader *r = self_reader;
	int saved_errno = errno;

	(void)sig;
	if (r && (!T.cfg.handler_may_read || T.cfg.handler_may_read())) {
		reader_section(&r->hctx, "a signal-handler reader");
		r->handled++;
	}
	errno = saved_errno;
}

static void sigusr1_mask(int how)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(how, &set, NULL);
}

static void *reader_main(void *arg)
{
	struct torture_reader *r = arg;
	char what[32];

	snprintf(what, sizeof(what), "reader %u", r->id);
	if (tps_register_thread() != 0 || !tps_thread_registered())
		torture_error("%s: tps_register_thread() did not register the thread", what);
	if (T.cfg.thread_start)
		T.cfg.thread_start();
	if (T.cfg.signal_readers) {
		self_reader = r;
		sigusr1_mask(SIG_UNBLOCK);
	}
	atomic_store_explicit(&r->ready, true, memory_order_release);
	while (!stopping()) {
		reader_section(&r->ctx, what);
		if (T.cfg.between)
			T.cfg.between(rnd(&r->ctx.rng));
	}
	sigusr1_mask(SIG_BLOCK);
	self_reader = NULL;
	if (T.cfg.thread_end)
		T.cfg.thread_end();
	return NULL;
}

/* ---- Thread churn. ---- */

struct torture_churn_child {
	pthread_t thread;
	uint64_t seed;
};

static void churn_check_busy_unregister(struct torture_rctx *c)
{
	struct torture_domain *dom = pick_domain(c);
	int idx, rc;

	idx = c->ops->read_lock(dom->domain);
	rc = tps_unregister_thread();
	c->ops->read_unlock(dom->domain, idx);
	if (rc != -EBUSY)
		torture_error("tps_unregister_thread() inside a reader returned %d, expected "
		              "-EBUSY",
		              rc);
	if (!tps_thread_registered())
		torture_error("a failed tps_unregister_thread() unregistered the thread");
}

static void *churn_child_main(void *arg)
{
	struct torture_churn_child *cc = arg;
	bool registered_readers = T.fl->flags & TPS_FLAVOR_REGISTERED_READERS;
	const struct tps_flavor *ops = T.fl;
	struct torture_rctx c;
	unsigned long n, i;
	uint64_t how;

	if (T.cfg.inline_readers && (cc->seed & 1))
		ops = T.cfg.inline_readers;
	rctx_init(&c, ops, cc->seed, T.cfg.readers_block, false);
	how = rnd_below(&c.rng, 4);
	/* One child in four registers up front; the others at their first reader. */
	if (how == 0 && tps_register_thread() != 0)
		torture_error("tps_register_thread() failed in a churn thread");
	if (T.cfg.thread_start)
		T.cfg.thread_start();
	n = 1 + rnd_below(&c.rng, TORTURE_CHURN_SECTIONS);
	for (i = 0; i < n && !stopping(); i++) {
		reader_section(&c, "a churn reader");
		if (T.cfg.between)
			T.cfg.between(rnd(&c.rng));
		if (i == 0 && registered_readers && !tps_thread_registered())
			torture_error("the first critical section did not register the thread");
		if (i == n / 2 && registered_readers && rnd_below(&c.rng, 4) == 0)
			churn_check_busy_unregister(&c);
	}
	/*
	 * One child in four unregisters explicitly, reads once more (which
	 * registers it again) and unregisters at exit; the others only at exit.
	 */
	if (how == 1 && !stopping()) {
		if (tps_unregister_thread() != 0)
			torture_error("tps_unregister_thread() failed outside readers");
		if (tps_thread_registered())
			torture_error("tps_unregister_thread() left the thread registered");
		reader_section(&c, "a churn reader");
		if (registered_readers && !tps_thread_registered())
			torture_error("a critical section after tps_unregister_thread() did not "
			              "register the thread again");
	}
	if (T.cfg.thread_end)
		T.cfg.thread_end();
	pthread_mutex_lock(&T.churn_lock);
	stats_add(&T.churn_st, &c.st);
	T.churn_threads++;
	pthread_mutex_unlock(&T.churn_lock);
	return NULL;
}

static void *churn_main(void *arg)
{
	struct torture_churn_child kids[TORTURE_CHURN_THREADS];
	uint64_t seed = 1000;
	unsigned int i;
	int rc;

	(void)arg;
	while (!stopping()) {
		for (i = 0; i < TORTURE_CHURN_THREADS; i++) {
			kids[i].seed = seed++;
			rc = pthread_create(&kids[i].thread, NULL, churn_child_main, &kids[i]);
			if (rc) {
				torture_error("pthread_create (churn): %s", strerror(rc));
				break;
			}
		}
		while (i--)
			pthread_join(kids[i].thread, NULL);
	}
	return NULL;
}

/* ---- Signal-handler readers. ---- */

static void *signaller_main(void *arg)
{
	uint64_t rng = seed_for(2000);
	unsigned int n = T.cfg.nreaders;

	(void)arg;
	while (!stopping()) {
		struct torture_reader *r = &T.readers[rnd_below(&rng, n)];

		sleep_ns(20000 + rnd_below(&rng, 300000));
		if (!atomic_load_explicit(&r->ready, memory_order_acquire))
			continue;
		pthread_kill(r->thread, SIGUSR1);
		T.signals_sent++;
	}
	return NULL;
}

/* ---- Updaters. ---- */

/* Publishes a new object, unpublishes the old one, takes a cookie. */
static struct torture_obj *replace(struct torture_updater *u, unsigned long *cookie)
{
	struct torture_domain *dom = u->dom;
	struct torture_obj *n = obj_new(dom), *old;
	unsigned long pipe;

	old = tps_rcu_xchg_pointer(&dom->ptr, n);
	pipe = atomic_exchange_explicit(&old->pipe, 1, memory_order_release);
	if (pipe != 0)
		torture_error("unpublished object %lu had pipe count %lu, expected 0",
		              atomic_load_explicit(&old->seq, memory_order_relaxed), pipe);
	*cookie = T.fl->get_state(dom->domain);
	atomic_fetch_add_explicit(&T.updates, 1, memory_order_relaxed);
	return old;
}

static void check_cookie_done(struct torture_updater *u, unsigned long cookie, const char *after)
{
	if (!T.fl->poll_state(u->dom->domain, cookie))
		torture_error("poll_state() is false for cookie %lu after %s returned", cookie,
		              after);
}

static void torture_callback(struct tps_rcu_head *head)
{
	struct torture_obj *o = tps_container_of(head, struct torture_obj, head);
	struct torture_batch *b = o->batch;

	if (T.fl->read_ongoing && T.fl->read_ongoing(o->dom->domain))
		torture_error("a callback runs inside a read-side critical section");
	obj_finish(o, b ? "a barrier-batch callback" : "a callback");
	/* After the finish: the barrier also covers the callback's own work. */
	if (b)
		atomic_fetch_add_explicit(&b->ran, 1, memory_order_release);
	atomic_fetch_add_explicit(&T.cb_run, 1, memory_order_relaxed);
}

static void queue_callback(struct torture_updater *u, struct torture_obj *o,
                           struct torture_batch *b)
{
	int rc;

	o->batch = b;
	atomic_fetch_add_explicit(&T.cb_queued, 1, memory_order_relaxed);
	rc = T.fl->call(u->dom->domain, &o->head, torture_callback);
	if (rc != 0) {
		torture_error("call() returned %d", rc);
		atomic_fetch_sub_explicit(&T.cb_queued, 1, memory_order_relaxed);
		T.fl->synchronize(u->dom->domain);
		obj_finish(o, "synchronize after a failed call");
		if (b)
			atomic_fetch_add_explicit(&b->ran, 1, memory_order_relaxed);
	}
}

static void polled_remove(struct torture_updater *u, unsigned int i)
{
	memmove(&u->polled[i], &u->polled[i + 1], (u->npolled - i - 1) * sizeof(u->polled[0]));
	u->npolled--;
}

/* Waits for polled object i with cond_synchronize and finishes it. */
static void polled_cond(struct torture_updater *u, unsigned int i)
{
	struct torture_polled p = u->polled[i];

	T.fl->cond_synchronize(u->dom->domain, p.cookie);
	check_cookie_done(u, p.cookie, "cond_synchronize");
	polled_remove(u, i);
	obj_finish(p.obj, "cond_synchronize of an older cookie");
	u->n[EP_POLL_COND]++;
}

/*
 * Finishes the polled objects whose grace period has elapsed, and those
 * marked for cond_synchronize once an iteration has passed (by then the
 * grace period has often elapsed: cond must return at once, or wait). Newest
 * first: an updater's cookies were taken in order, so once one reports
 * complete every older one must too.
 */
static void polled_scan(struct torture_updater *u)
{
	bool newer_done = false;
	unsigned long newer_cookie = 0;
	unsigned int i = u->npolled;

	while (i--) {
		struct torture_polled p = u->polled[i];

		if (p.cond && p.iter != u->iter) {
			polled_cond(u, i);
		} else if (T.fl->poll_state(u->dom->domain, p.cookie)) {
			polled_remove(u, i);
			obj_finish(p.obj, "poll_state");
			u->n[EP_POLL]++;
		} else {
			if (newer_done)
				torture_error("poll_state() true for cookie %lu but false for the "
				              "older cookie %lu",
				              newer_cookie, p.cookie);
			continue;
		}
		newer_done = true;
		newer_cookie = p.cookie;
	}
}

static void update_barrier(struct torture_updater *u)
{
	unsigned long cookie;
	unsigned int i, ran;

	atomic_store_explicit(&u->batch.ran, 0, memory_order_relaxed);
	for (i = 0; i < TORTURE_BARRIER_BATCH; i++)
		queue_callback(u, replace(u, &cookie), &u->batch);
	T.fl->barrier(u->dom->domain);
	ran = atomic_load_explicit(&u->batch.ran, memory_order_acquire);
	if (ran != TORTURE_BARRIER_BATCH)
		torture_error("barrier() returned when %u of the %u callbacks queued before it "
		              "had run",
		              ran, TORTURE_BARRIER_BATCH);
	u->n[EP_BARRIER] += TORTURE_BARRIER_BATCH;
	u->barriers++;
}

static void update_once(struct torture_updater *u, enum torture_ep mode)
{
	void *d = u->dom->domain;
	struct torture_obj *old;
	unsigned long cookie;

	if (mode == EP_BARRIER) {
		update_barrier(u);
		return;
	}
	old = replace(u, &cookie);
	switch (mode) {
	case EP_SYNC:
		T.fl->synchronize(d);
		check_cookie_done(u, cookie, "synchronize");
		obj_finish(old, "synchronize");
		break;
	case EP_CALL:
		queue_callback(u, old, NULL);
		break;
	case EP_POLL:
		if (u->npolled == TORTURE_POLL_MAX)
			polled_cond(u, 0);
		u->polled[u->npolled].obj = old;
		u->polled[u->npolled].cookie = cookie;
		u->polled[u->npolled].iter = u->iter;
		u->polled[u->npolled].cond = rnd_below(&u->rng, 2);
		u->npolled++;
		/* Counted when it completes (EP_POLL or EP_POLL_COND). */
		return;
	case EP_COND:
		/* Half the time let other grace periods run first: cond may not wait. */
		if (rnd_below(&u->rng, 2))
			sleep_ns(rnd_below(&u->rng, 200000));
		T.fl->cond_synchronize(d, cookie);
		check_cookie_done(u, cookie, "cond_synchronize");
		obj_finish(old, "cond_synchronize");
		break;
	default:
		abort();
	}
	u->n[mode]++;
}

static void *updater_main(void *arg)
{
	struct torture_updater *u = arg;
	unsigned long k = u->id;
	/* Every other updater is also a reader thread (QSBR: an online caller). */
	bool hooks = T.cfg.thread_start && (u->id & 1);

	if (hooks)
		T.cfg.thread_start();
	while (!stopping()) {
		u->iter++;
		update_once(u, update_modes[k++ % TORTURE_MODES]);
		polled_scan(u);
		if (hooks && T.cfg.between)
			T.cfg.between(rnd(&u->rng));
		/* Now and then leave the CPUs to the readers for a moment. */
		if (rnd_below(&u->rng, 8) == 0)
			sleep_ns(rnd_below(&u->rng, 100000));
	}
	while (u->npolled)
		polled_cond(u, 0);
	if (hooks && T.cfg.thread_end)
		T.cfg.thread_end();
	return NULL;
}

/* ---- The run. ---- */

static int parse_seconds(unsigned int def, unsigned int *out)
{
	const char *s = getenv("TPSYNC_TORTURE_SECONDS");
	char *end;
	unsigned long v;

	*out = def;
	if (!s || !*s)
		return 0;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v == 0 || v > 1000000) {
		fprintf(stderr, "%s: TPSYNC_TORTURE_SECONDS=%s: expected a positive number\n",
		        T.cfg.name, s);
		return -1;
	}
	*out = (unsigned int)v;
	return 0;
}

static bool fallback_requested(void)
{
	const char *s = getenv("TPSYNC_FORCE_FALLBACK");

	return s && *s && strcmp(s, "0") != 0;
}

static int check_config(const struct torture_config *cfg)
{
	const struct tps_flavor *f = cfg->flavor;
	const struct tps_flavor *in = cfg->inline_readers;
	bool domains;

	if (!f || !f->read_lock || !f->read_unlock || !f->synchronize || !f->call || !f->barrier ||
	    !f->get_state || !f->poll_state || !f->cond_synchronize) {
		fprintf(stderr, "%s: the flavour's ops table is incomplete\n", cfg->name);
		return -1;
	}
	if (in && (!in->read_lock || !in->read_unlock)) {
		fprintf(stderr, "%s: inline_readers lacks read_lock/read_unlock\n", cfg->name);
		return -1;
	}
	domains = f->flags & TPS_FLAVOR_HAS_DOMAINS;
	if (domains ? (cfg->ndomains < 1 || cfg->ndomains > TORTURE_MAX_DOMAINS)
	            : cfg->ndomains != 0) {
		fprintf(stderr, "%s: %u domains for a flavour %s domains\n", cfg->name,
		        cfg->ndomains, domains ? "with" : "without");
		return -1;
	}
	if (cfg->nreaders < 1 || cfg->nreaders > TORTURE_MAX_READERS || cfg->nupdaters < 1 ||
	    cfg->nupdaters > TORTURE_MAX_UPDATERS) {
		fprintf(stderr, "%s: bad reader or updater count\n", cfg->name);
		return -1;
	}
	if (cfg->readers_block && !(f->flags & TPS_FLAVOR_READERS_MAY_BLOCK)) {
		fprintf(stderr, "%s: readers of flavour %s must not block\n", cfg->name, f->name);
		return -1;
	}
	return 0;
}

void torture_config_init(struct torture_config *cfg, const char *name,
                         const struct tps_flavor *flavor)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->name = name;
	cfg->flavor = flavor;
	cfg->nreaders = 4;
	cfg->nupdaters = 2;
	cfg->readers_block = flavor && (flavor->flags & TPS_FLAVOR_READERS_MAY_BLOCK);
	cfg->signal_readers = true;
	cfg->churn = true;
	cfg->default_seconds = 8;
}

static int open_block_fds(struct torture_rctx *c)
{
	if (pipe2(c->pipefd, O_CLOEXEC) != 0)
		return -1;
	c->statfd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	return c->statfd >= 0 ? 0 : -1;
}

static void close_block_fds(struct torture_rctx *c)
{
	if (c->pipefd[0] >= 0) {
		close(c->pipefd[0]);
		close(c->pipefd[1]);
	}
	if (c->statfd >= 0)
		close(c->statfd);
}

/* Stops and joins everything that was started. */
static void stop_threads(pthread_t *signaller, bool signaller_started, pthread_t *churn,
                         bool churn_started)
{
	unsigned int i;

	atomic_store(&T.stop, true);
	if (signaller_started)
		pthread_join(*signaller, NULL);
	if (churn_started)
		pthread_join(*churn, NULL);
	for (i = 0; i < T.cfg.nreaders; i++) {
		if (T.readers[i].started)
			pthread_join(T.readers[i].thread, NULL);
	}
	for (i = 0; i < T.nupdaters; i++) {
		if (T.updaters[i].started)
			pthread_join(T.updaters[i].thread, NULL);
	}
}

/* After the threads stopped: run every callback, unpublish, free everything. */
static void teardown(void)
{
	unsigned long queued, run;
	unsigned int d;

	for (d = 0; d < T.ndomains; d++)
		T.fl->barrier(T.dom[d].domain);
	queued = atomic_load(&T.cb_queued);
	run = atomic_load(&T.cb_run);
	if (queued != run)
		torture_error("after barrier(), %lu of %lu queued callbacks have run", run, queued);
	for (d = 0; d < T.ndomains; d++) {
		struct torture_obj *o = tps_rcu_xchg_pointer(&T.dom[d].ptr, NULL);

		if (!o)
			continue;
		atomic_store_explicit(&o->pipe, 1, memory_order_relaxed);
		T.fl->synchronize(T.dom[d].domain);
		obj_finish(o, "the final synchronize");
	}
	quarantine_drain();
	if (atomic_load(&T.allocated) != atomic_load(&T.freed))
		torture_error("%lu objects allocated but %lu freed", atomic_load(&T.allocated),
		              atomic_load(&T.freed));
}

/* Closes the readers' descriptors and frees the thread records. */
static void release_run(void)
{
	unsigned int i;

	for (i = 0; i < T.cfg.nreaders; i++)
		close_block_fds(&T.readers[i].ctx);
	free(T.readers);
	free(T.updaters);
	T.readers = NULL;
	T.updaters = NULL;
}

static void print_stats_line(const char *what, const struct torture_stats *s)
{
	printf("  %-16s %10lu sections, %lu nested, %lu long spins, %lu sleeps, %lu syscalls\n",
	       what, s->sections, s->nested, s->long_spins, s->sleeps, s->syscalls);
}

static void print_summary(double secs)
{
	struct torture_stats rd = {0}, hd = {0}, all = {0};
	unsigned long ep[EP_COUNT] = {0}, barriers = 0, handled = 0, total = 0;
	unsigned long min_sections = ~0UL;
	unsigned int i, e;

	for (i = 0; i < T.cfg.nreaders; i++) {
		stats_add(&rd, &T.readers[i].ctx.st);
		stats_add(&hd, &T.readers[i].hctx.st);
		handled += T.readers[i].handled;
		if (T.readers[i].ctx.st.sections < min_sections)
			min_sections = T.readers[i].ctx.st.sections;
	}
	for (i = 0; i < T.nupdaters; i++) {
		for (e = 0; e < EP_COUNT; e++)
			ep[e] += T.updaters[i].n[e];
		barriers += T.updaters[i].barriers;
	}
	for (e = 0; e < EP_COUNT; e++)
		total += ep[e];
	stats_add(&all, &rd);
	stats_add(&all, &hd);
	stats_add(&all, &T.churn_st);

	printf("%s: flavour %s, %s, %.1f s, %u domain(s), %u readers (%s), %u updaters, "
	       "churn %s, signal readers %s\n",
	       T.cfg.name, T.fl->name, tps_membarrier_enabled() ? "membarrier" : "fallback fences",
	       secs, T.ndomains, T.cfg.nreaders, T.cfg.readers_block ? "blocking" : "non-blocking",
	       T.nupdaters, T.cfg.churn ? "on" : "off", T.cfg.signal_readers ? "on" : "off");
	printf("  updates          %10lu (%.0f/s):", total, secs > 0 ? total / secs : 0.0);
	for (e = 0; e < EP_COUNT; e++)
		printf(" %s %lu%s", ep_names[e], ep[e], e + 1 < EP_COUNT ? "," : "");
	printf(" (%lu barriers)\n", barriers);
	printf("  callbacks        %10lu queued, %lu run\n", atomic_load(&T.cb_queued),
	       atomic_load(&T.cb_run));
	print_stats_line("readers", &rd);
	printf("  %-16s %10lu (fewest in one reader)\n", "", min_sections);
	print_stats_line("signal handlers", &hd);
	printf("  %-16s %10lu signals sent, %lu handled\n", "", T.signals_sent, handled);
	print_stats_line("churn readers", &T.churn_st);
	printf("  %-16s %10lu threads\n", "", T.churn_threads);
	printf("  pipe histogram  ");
	for (i = 0; i < BIN_COUNT; i++)
		printf(" %s: %lu", bin_names[i], all.bins[i]);
	printf("\n  objects          %10lu allocated, %lu freed\n", atomic_load(&T.allocated),
	       atomic_load(&T.freed));
	printf("  errors           %10lu\n", atomic_load(&T.errors));
	fflush(stdout);
}

/* Every entry point must have been exercised: a run that skipped one tests nothing there. */
static void check_coverage(void)
{
	unsigned long ep[EP_COUNT] = {0}, sections = 0, sleeps = 0, syscalls = 0, handled = 0;
	unsigned int i, e;

	for (i = 0; i < T.nupdaters; i++) {
		for (e = 0; e < EP_COUNT; e++)
			ep[e] += T.updaters[i].n[e];
	}
	for (e = 0; e < EP_COUNT; e++) {
		/* Polled objects complete by poll_state or by cond: either will do. */
		if (e == EP_POLL || e == EP_POLL_COND)
			continue;
		if (!ep[e])
			torture_error("no update went through %s", ep_names[e]);
	}
	if (!ep[EP_POLL] && !ep[EP_POLL_COND])
		torture_error("no polled update completed");
	for (i = 0; i < T.cfg.nreaders; i++) {
		sections = T.readers[i].ctx.st.sections;
		if (!sections)
			torture_error("reader %u ran no critical section", i);
		sleeps += T.readers[i].ctx.st.sleeps;
		syscalls += T.readers[i].ctx.st.syscalls;
		handled += T.readers[i].handled;
	}
	if (T.cfg.readers_block && (!sleeps || !syscalls))
		torture_error("no reader slept or made a syscall inside a critical section");
	if (T.cfg.signal_readers && !handled)
		torture_error("no signal-handler reader ran");
	if (T.cfg.churn && !T.churn_threads)
		torture_error("the churn thread completed no thread");
}

int torture_run(const struct torture_config *cfg)
{
	pthread_t signaller, churn;
	bool signaller_started = false, churn_started = false;
	unsigned int seconds, i, d;
	uint64_t start, elapsed, last_progress;
	struct sigaction sa;
	int rc = 0;

	T.cfg = *cfg;
	if (!T.cfg.name)
		T.cfg.name = "torture";
	if (check_config(cfg) || parse_seconds(cfg->default_seconds, &seconds))
		return TORTURE_EXIT_SETUP;
	T.fl = cfg->flavor;
	signal_messages_init();
	if (fallback_requested() && tps_membarrier_enabled()) {
		torture_error("TPSYNC_FORCE_FALLBACK is set but tps_membarrier_enabled() is true");
		return TORTURE_EXIT_FAIL;
	}

	T.ndomains = cfg->ndomains ? cfg->ndomains : 1;
	for (d = 0; d < T.ndomains; d++) {
		T.dom[d].domain = cfg->ndomains ? cfg->domains[d] : NULL;
		T.dom[d].index = d;
		tps_rcu_assign_pointer(T.dom[d].ptr, obj_new(&T.dom[d]));
	}
	T.nupdaters = cfg->nupdaters * T.ndomains;
	T.readers = calloc(cfg->nreaders, sizeof(*T.readers));
	T.updaters = calloc(T.nupdaters, sizeof(*T.updaters));
	if (!T.readers || !T.updaters) {
		fprintf(stderr, "%s: out of memory\n", cfg->name);
		return TORTURE_EXIT_SETUP;
	}
	for (i = 0; i < cfg->nreaders; i++)
		rctx_init(&T.readers[i].ctx, cfg->flavor, 0, false, false);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = torture_sigusr1;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	/* Threads inherit the mask; long-lived readers unblock once registered. */
	sigusr1_mask(SIG_BLOCK);

	for (i = 0; i < T.nupdaters && !rc; i++) {
		struct torture_updater *u = &T.updaters[i];

		u->id = i;
		u->dom = &T.dom[i % T.ndomains];
		u->rng = seed_for(100 + i);
		rc = pthread_create(&u->thread, NULL, updater_main, u);
		u->started = rc == 0;
	}
	for (i = 0; i < cfg->nreaders && !rc; i++) {
		struct torture_reader *r = &T.readers[i];
		const struct tps_flavor *ops =
		        cfg->inline_readers && (i & 1) ? cfg->inline_readers : cfg->flavor;

		r->id = i;
		rctx_init(&r->ctx, ops, 200 + i, cfg->readers_block, false);
		rctx_init(&r->hctx, ops, 300 + i, false, true);
		if (cfg->readers_block && open_block_fds(&r->ctx)) {
			fprintf(stderr, "%s: pipe or /proc/self/stat: %s\n", cfg->name,
			        strerror(errno));
			rc = -1;
			break;
		}
		rc = pthread_create(&r->thread, NULL, reader_main, r);
		r->started = rc == 0;
	}
	if (!rc && cfg->churn) {
		rc = pthread_create(&churn, NULL, churn_main, NULL);
		churn_started = rc == 0;
	}
	if (!rc && cfg->signal_readers) {
		rc = pthread_create(&signaller, NULL, signaller_main, NULL);
		signaller_started = rc == 0;
	}
	if (rc) {
		fprintf(stderr, "%s: could not start the threads\n", cfg->name);
		stop_threads(&signaller, signaller_started, &churn, churn_started);
		teardown();
		release_run();
		return TORTURE_EXIT_SETUP;
	}

	printf("%s: running %u s (at least %u updates, at most %u s)\n", cfg->name, seconds,
	       TORTURE_MIN_UPDATES, 2 * seconds);
	fflush(stdout);
	start = last_progress = now_ns();
	for (;;) {
		sleep_ns(10000000);
		elapsed = now_ns() - start;
		if (atomic_load(&T.errors))
			break;
		if (elapsed >= 2ull * seconds * 1000000000u)
			break;
		if (elapsed >= (uint64_t)seconds * 1000000000u &&
		    atomic_load(&T.updates) >= TORTURE_MIN_UPDATES)
			break;
		if (now_ns() - last_progress >= 10000000000ull) {
			last_progress = now_ns();
			printf("%s: %.0f s, %lu updates, %lu errors\n", cfg->name, elapsed / 1e9,
			       atomic_load(&T.updates), atomic_load(&T.errors));
			fflush(stdout);
		}
	}
	stop_threads(&signaller, signaller_started, &churn, churn_started);
	elapsed = now_ns() - start;
	if (!atomic_load(&T.errors) && atomic_load(&T.updates) < TORTURE_MIN_UPDATES)
		printf("%s: warning: only %lu updates (fewer than %u): a weak run\n", cfg->name,
		       atomic_load(&T.updates), TORTURE_MIN_UPDATES);
	if (!atomic_load(&T.errors))
		check_coverage();
	teardown();
	print_summary(elapsed / 1e9);
	release_run();
	if (atomic_load(&T.errors)) {
		fprintf(stderr, "%s: FAIL: %lu errors\n", cfg->name, atomic_load(&T.errors));
		return TORTURE_EXIT_FAIL;
	}
	printf("%s: PASS\n", cfg->name);
	return TORTURE_EXIT_PASS;
}
