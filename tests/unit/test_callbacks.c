/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/test_callbacks.c - tps_call_rcu() and tps_rcu_barrier(): bad
 * arguments, callbacks waiting for the readers that started before the call,
 * running on a worker thread outside any reader, in queue order, batched
 * behind shared grace periods; barriers waiting for every queued callback,
 * from several queueing threads and for callbacks queued by callbacks.
 */
#include "unit.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tpsync/rcu.h>
#include <tpsync/rcu_trace.h>
#include <tpsync/srcu.h>

#if defined(__SANITIZE_ADDRESS__)
/*
 * AddressSanitizer keeps freed memory in quarantine (up to 256 MiB): the
 * flood test measures what callbacks hold, so freed memory is reused at once.
 */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "quarantine_size_mb=0:thread_local_quarantine_size_kb=0";
}
#endif

static void rcu_lock_step(void)
{
	tps_rcu_read_lock();
}

static void rcu_unlock_step(void)
{
	tps_rcu_read_unlock();
}

/* Grace periods completed between two cookies. */
static unsigned long gps_between(unsigned long before, unsigned long after)
{
	return (after - before) / 2;
}

struct cb_obj {
	long seq;
	struct tps_rcu_head head;
};

static atomic_long cb_count;

static void count_cb(struct tps_rcu_head *head)
{
	(void)head;
	atomic_fetch_add(&cb_count, 1);
}

static void never_cb(struct tps_rcu_head *head)
{
	(void)head;
	abort();
}

static void test_call_rcu_einval(void **state)
{
	struct tps_rcu_head head, *sentinel = (struct tps_rcu_head *)&head;

	(void)state;
	head.next = sentinel;
	head.func = never_cb;
	assert_int_equal(tps_call_rcu(NULL, count_cb), -EINVAL);
	assert_int_equal(tps_call_rcu(NULL, NULL), -EINVAL);
	assert_int_equal(tps_call_rcu(&head, NULL), -EINVAL);
	/* Nothing queued, the head untouched. */
	assert_ptr_equal(head.next, sentinel);
	assert_ptr_equal(head.func, never_cb);
	tps_rcu_barrier();
}

static void test_barrier_with_nothing_queued(void **state)
{
	(void)state;
	tps_rcu_barrier();
	tps_rcu_barrier();
}

/* Where and in what state a callback ran. */
static pthread_t cb_thread;
static atomic_bool cb_ran;
static bool cb_in_reader;

static void where_cb(struct tps_rcu_head *head)
{
	(void)head;
	cb_thread = pthread_self();
	cb_in_reader = tps_rcu_read_ongoing();
	atomic_store(&cb_ran, true);
}

static void test_callback_on_worker_outside_reader(void **state)
{
	struct tps_rcu_head head;

	(void)state;
	atomic_store(&cb_ran, false);
	assert_int_equal(tps_call_rcu(&head, where_cb), 0);
	tps_rcu_barrier();
	assert_true(atomic_load(&cb_ran));
	assert_false(pthread_equal(cb_thread, pthread_self()));
	assert_false(cb_in_reader);
}

/* Queued inside the caller's own reader: not run before that reader ends. */
static void test_call_rcu_inside_reader(void **state)
{
	struct tps_rcu_head head;

	(void)state;
	atomic_store(&cb_ran, false);
	tps_rcu_read_lock();
	assert_int_equal(tps_call_rcu(&head, where_cb), 0);
	unit_sleep_ms(UNIT_GRACE_MS);
	assert_false(atomic_load(&cb_ran));
	tps_rcu_read_unlock();
	tps_rcu_barrier();
	assert_true(atomic_load(&cb_ran));
}

/* A reader in another thread holds back the callback until it leaves. */
static void test_callback_waits_for_reader(void **state)
{
	struct unit_puppet reader;
	struct tps_rcu_head head;

	(void)state;
	unit_puppet_start(&reader);
	atomic_store(&cb_ran, false);
	unit_puppet_run(&reader, rcu_lock_step);
	assert_int_equal(tps_call_rcu(&head, where_cb), 0);
	unit_sleep_ms(UNIT_GRACE_MS);
	assert_false(atomic_load(&cb_ran));
	unit_puppet_run(&reader, rcu_unlock_step);
	tps_rcu_barrier();
	assert_true(atomic_load(&cb_ran));
	unit_puppet_stop(&reader);
}

/* Callbacks of one thread run in the order they were queued. */
#define ORDER_CALLBACKS 1000

static long order_seen[ORDER_CALLBACKS];
static atomic_long order_next;

static void order_cb(struct tps_rcu_head *head)
{
	struct cb_obj *o = tps_container_of(head, struct cb_obj, head);
	long i = atomic_fetch_add(&order_next, 1);

	if (i < ORDER_CALLBACKS)
		order_seen[i] = o->seq;
	free(o);
}

static void test_callbacks_fifo(void **state)
{
	long i;

	(void)state;
	atomic_store(&order_next, 0);
	for (i = 0; i < ORDER_CALLBACKS; i++) {
		struct cb_obj *o = malloc(sizeof(*o));

		assert_non_null(o);
		o->seq = i;
		assert_int_equal(tps_call_rcu(&o->head, order_cb), 0);
	}
	tps_rcu_barrier();
	assert_int_equal(atomic_load(&order_next), ORDER_CALLBACKS);
	for (i = 0; i < ORDER_CALLBACKS; i++)
		assert_int_equal(order_seen[i], i);
}

/*
 * Batching: callbacks queued while a grace period is held back by a reader
 * all run behind one or two grace periods, not one each; and none runs
 * before that reader leaves.
 */
#define BATCH_CALLBACKS 1000

static void test_callbacks_batched(void **state)
{
	static struct tps_rcu_head heads[BATCH_CALLBACKS];
	struct unit_puppet reader;
	unsigned long before, after;
	int i;

	(void)state;
	unit_puppet_start(&reader);
	tps_rcu_barrier();
	atomic_store(&cb_count, 0);
	before = tps_get_state_synchronize_rcu();
	unit_puppet_run(&reader, rcu_lock_step);
	for (i = 0; i < BATCH_CALLBACKS; i++)
		assert_int_equal(tps_call_rcu(&heads[i], count_cb), 0);
	unit_sleep_ms(UNIT_GRACE_MS);
	assert_int_equal(atomic_load(&cb_count), 0);
	unit_puppet_run(&reader, rcu_unlock_step);
	tps_rcu_barrier();
	after = tps_get_state_synchronize_rcu();
	assert_int_equal(atomic_load(&cb_count), BATCH_CALLBACKS);
	assert_in_range(gps_between(before, after), 1, 2);
	unit_puppet_stop(&reader);
}

/* A barrier waits for callbacks still held back by a reader. */
static void release_later(void)
{
	unit_sleep_ms(UNIT_GRACE_MS);
	tps_rcu_read_unlock();
}

static void test_barrier_waits_for_pending(void **state)
{
	static struct tps_rcu_head heads[10];
	struct unit_puppet reader;
	int i;

	(void)state;
	unit_puppet_start(&reader);
	atomic_store(&cb_count, 0);
	unit_puppet_run(&reader, rcu_lock_step);
	for (i = 0; i < 10; i++)
		assert_int_equal(tps_call_rcu(&heads[i], count_cb), 0);
	unit_puppet_post(&reader, release_later);
	tps_rcu_barrier();
	assert_int_equal(atomic_load(&cb_count), 10);
	unit_puppet_stop(&reader);
}

/* Callbacks queued from several threads: one barrier afterwards waits for all. */
#define PER_THREAD 500

static void *queue_many(void *arg)
{
	struct tps_rcu_head *heads = arg;
	int i;

	for (i = 0; i < PER_THREAD; i++)
		if (tps_call_rcu(&heads[i], count_cb) != 0)
			return (void *)1;
	return NULL;
}

static void test_barrier_after_many_threads(void **state)
{
	static struct tps_rcu_head heads[3][PER_THREAD];
	pthread_t t[3];
	int i;

	(void)state;
	atomic_store(&cb_count, 0);
	for (i = 0; i < 3; i++)
		t[i] = unit_thread_start(queue_many, heads[i]);
	for (i = 0; i < 3; i++) {
		void *ret;

		assert_int_equal(pthread_join(t[i], &ret), 0);
		assert_null(ret);
	}
	tps_rcu_barrier();
	assert_int_equal(atomic_load(&cb_count), 3 * PER_THREAD);
}

/*
 * Callbacks may queue callbacks (tps_call_rcu never blocks). The barrier
 * waits for the first generation; the one it queued is queued before the
 * first barrier returned, so a second barrier waits for it.
 */
static struct tps_rcu_head chain_heads[2];
static atomic_int chain_result = 1;

static void chain_second(struct tps_rcu_head *head)
{
	(void)head;
	atomic_fetch_add(&cb_count, 1);
}

static void chain_first(struct tps_rcu_head *head)
{
	(void)head;
	atomic_store(&chain_result, tps_call_rcu(&chain_heads[1], chain_second));
	atomic_fetch_add(&cb_count, 1);
}

static void test_callback_queues_callback(void **state)
{
	(void)state;
	atomic_store(&cb_count, 0);
	assert_int_equal(tps_call_rcu(&chain_heads[0], chain_first), 0);
	tps_rcu_barrier();
	assert_int_equal(atomic_load(&chain_result), 0);
	assert_true(atomic_load(&cb_count) >= 1);
	tps_rcu_barrier();
	assert_int_equal(atomic_load(&cb_count), 2);
}

/* A callback frees its object: the usual use, checked by ASan. */
struct node {
	int payload[8];
	struct tps_rcu_head rcu;
};

static struct node *live_node;

static void free_node(struct tps_rcu_head *head)
{
	free(tps_container_of(head, struct node, rcu));
	atomic_fetch_add(&cb_count, 1);
}

static void test_reclaim_with_callbacks(void **state)
{
	int i;

	(void)state;
	atomic_store(&cb_count, 0);
	for (i = 0; i < 100; i++) {
		struct node *n = calloc(1, sizeof(*n)), *old;

		assert_non_null(n);
		n->payload[0] = i;
		old = tps_rcu_xchg_pointer(&live_node, n);
		if (old)
			assert_int_equal(tps_call_rcu(&old->rcu, free_node), 0);
		tps_rcu_read_lock();
		assert_int_equal(tps_rcu_dereference(live_node)->payload[0], i);
		tps_rcu_read_unlock();
	}
	free(tps_rcu_xchg_pointer(&live_node, NULL));
	tps_rcu_barrier();
	assert_int_equal(atomic_load(&cb_count), 99);
}

/*
 * ---- A flood: more producers than CPUs. ----
 *
 * Producers outside readers queue as fast as they can; a few others queue
 * from inside short classic readers, at a steadier pace. The callbacks free
 * what their producers allocated. The backlog (callbacks queued, not yet
 * run) and the memory it holds must stay bounded: producers outside readers
 * wait past the library's threshold (they must have had to), while those
 * inside readers never wait.
 */
#define FLOOD_MS 1500
/* Bytes a callback holds until it runs (touched, so that it counts in RSS). */
#define FLOOD_OBJ 256
#define FLOOD_IN_READERS 2
/* A reader producer queues this many, then pauses FLOOD_PAUSE_US. */
#define FLOOD_BURST 64
#define FLOOD_PAUSE_US 1000
/*
 * Generous bounds: the threshold is 16,384 callbacks; every producer may
 * be past it with one more, and reader producers do not stop. Without
 * producers that help, the backlog passes them within the run.
 */
#define FLOOD_MAX_IN_FLIGHT 150000L
/* ThreadSanitizer adds shadow memory for every byte touched. */
#define FLOOD_MAX_RSS_GROWTH ((UNIT_TSAN ? 256L : 96L) << 20)

struct flood_pool;

struct flood_obj {
	struct tps_rcu_head head;
	struct flood_pool *pool; /* NULL: from malloc() */
	struct flood_obj *next;  /* on a pool's lists */
	char payload[FLOOD_OBJ - sizeof(struct tps_rcu_head) - 2 * sizeof(void *)];
};

/*
 * Objects of one producer in the fork test, which must not call malloc()
 * or free() while the main thread forks: gcc 12's AddressSanitizer
 * allocator takes no lock around fork(), so a child forked while another
 * thread is inside it inherits a held allocator lock, and the child's first
 * malloc() or free() of that size hangs (glibc's malloc is fork-safe). The
 * producer takes objects from `own`, its private list; callbacks push
 * freed objects onto `returned` with a CAS (push only: no ABA), and the
 * producer takes that whole stack with one exchange when `own` runs dry.
 */
struct flood_pool {
	struct flood_obj *objs;
	struct flood_obj *own;
	_Atomic(struct flood_obj *) returned;
};

#define FLOOD_POOL_OBJS 32768

static void flood_pool_init(struct flood_pool *pool)
{
	size_t i;

	pool->objs = calloc(FLOOD_POOL_OBJS, sizeof(*pool->objs));
	assert_non_null(pool->objs);
	for (i = 0; i < FLOOD_POOL_OBJS; i++) {
		pool->objs[i].pool = pool;
		pool->objs[i].next = i + 1 < FLOOD_POOL_OBJS ? &pool->objs[i + 1] : NULL;
	}
	pool->own = pool->objs;
	atomic_init(&pool->returned, NULL);
}

static void flood_pool_put(struct flood_obj *o)
{
	struct flood_pool *pool = o->pool;
	struct flood_obj *top = atomic_load_explicit(&pool->returned, memory_order_relaxed);

	/* Release: the producer that takes o sees it unused (acquire below). */
	do
		o->next = top;
	while (!atomic_compare_exchange_weak_explicit(&pool->returned, &top, o,
	                                              memory_order_release, memory_order_relaxed));
}

static atomic_long flood_queued, flood_run;
static atomic_bool flood_stop;
/* Which flavour floods: classic, or tasks-trace (whose producers never wait for a grace period). */
static bool flood_trace;

struct flood_producer {
	bool in_reader;
	/* Fork test: objects from here (never with in_reader: a producer
	 * waiting in a reader for its objects' grace period would wait forever). */
	struct flood_pool *pool;
	unsigned long helps; /* times it waited while queueing */
	long calls;
};

static void flood_cb(struct tps_rcu_head *head)
{
	struct flood_obj *o = tps_container_of(head, struct flood_obj, head);

	if (o->pool)
		flood_pool_put(o);
	else
		free(o);
	atomic_fetch_add_explicit(&flood_run, 1, memory_order_relaxed);
}

/* An object from the pool, or NULL once the flood stops. */
static struct flood_obj *flood_pool_get(struct flood_pool *pool)
{
	struct flood_obj *o;

	while (!pool->own) {
		if (atomic_load_explicit(&flood_stop, memory_order_relaxed))
			return NULL;
		/* Acquire: pairs with the release CAS of flood_pool_put(). */
		pool->own = atomic_exchange_explicit(&pool->returned, NULL, memory_order_acquire);
		if (!pool->own)
			sched_yield();
	}
	o = pool->own;
	pool->own = o->next;
	return o;
}

/* Queues one callback; false when no object could be had. */
static bool flood_queue_one(struct flood_pool *pool)
{
	struct flood_obj *o = pool ? flood_pool_get(pool) : malloc(sizeof(*o));

	if (!o)
		return false;
	if (!pool)
		o->pool = NULL;
	memset(o->payload, 1, sizeof(o->payload));
	atomic_fetch_add_explicit(&flood_queued, 1, memory_order_relaxed);
	if (flood_trace)
		return tps_call_rcu_tasks_trace(&o->head, flood_cb) == 0;
	return tps_call_rcu(&o->head, flood_cb) == 0;
}

static void *flood_produce(void *arg)
{
	struct flood_producer *p = arg;
	unsigned long helps0 = tps__cb_thread_helps();

	while (!atomic_load_explicit(&flood_stop, memory_order_relaxed)) {
		if (p->in_reader) {
			int i;

			for (i = 0; i < FLOOD_BURST; i++) {
				if (flood_trace)
					tps_rcu_read_lock_trace();
				else
					tps_rcu_read_lock();
				if (!flood_queue_one(NULL))
					abort();
				if (flood_trace)
					tps_rcu_read_unlock_trace();
				else
					tps_rcu_read_unlock();
			}
			p->calls += FLOOD_BURST;
			usleep(FLOOD_PAUSE_US);
		} else {
			if (!flood_queue_one(p->pool)) {
				if (p->pool)
					break; /* stopped while waiting for an object */
				abort();
			}
			p->calls++;
		}
	}
	p->helps = tps__cb_thread_helps() - helps0;
	return NULL;
}

/* Resident set size in bytes. */
static long rss_bytes(void)
{
	long pages = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f)
		return 0;
	if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
		resident = 0;
	fclose(f);
	return resident * sysconf(_SC_PAGESIZE);
}

static void flood_barrier(void)
{
	if (flood_trace)
		tps_rcu_barrier_tasks_trace();
	else
		tps_rcu_barrier();
}

static void flood_bounded(void)
{
	long nproc = sysconf(_SC_NPROCESSORS_ONLN);
	int n = (int)(nproc > 0 ? 2 * nproc + 2 : 6) + FLOOD_IN_READERS;
	struct flood_producer *prod = calloc((size_t)n, sizeof(*prod));
	pthread_t *t = calloc((size_t)n, sizeof(*t));
	long base_rss, peak_rss = 0, peak_flight = 0, outside_calls = 0;
	unsigned long outside_helps = 0;
	int i, ms;

	assert_non_null(prod);
	assert_non_null(t);
	flood_barrier();
	atomic_store(&flood_queued, 0);
	atomic_store(&flood_run, 0);
	atomic_store(&flood_stop, false);
	base_rss = rss_bytes();
	for (i = 0; i < n; i++) {
		prod[i].in_reader = i < FLOOD_IN_READERS;
		t[i] = unit_thread_start(flood_produce, &prod[i]);
	}
	for (ms = 0; ms < FLOOD_MS; ms++) {
		long flight = atomic_load(&flood_queued) - atomic_load(&flood_run);
		long rss = rss_bytes() - base_rss;

		if (flight > peak_flight)
			peak_flight = flight;
		if (rss > peak_rss)
			peak_rss = rss;
		if (flight > FLOOD_MAX_IN_FLIGHT || rss > FLOOD_MAX_RSS_GROWTH)
			break;
		unit_sleep_ms(1);
	}
	atomic_store(&flood_stop, true);
	for (i = 0; i < n; i++)
		unit_thread_join(t[i]);
	flood_barrier();
	for (i = FLOOD_IN_READERS; i < n; i++) {
		outside_helps += prod[i].helps;
		outside_calls += prod[i].calls;
	}
	fprintf(stderr,
	        "flood (%s): %d producers (%d in readers), %ld calls outside readers, %lu waits, "
	        "peak in flight %ld, peak RSS growth %ld KiB, %ld callbacks run in %d ms\n",
	        flood_trace ? "tasks-trace" : "classic", n, FLOOD_IN_READERS, outside_calls,
	        outside_helps, peak_flight, peak_rss >> 10, atomic_load(&flood_run), ms);
	assert_int_equal(atomic_load(&flood_queued), atomic_load(&flood_run));
	assert_true(peak_flight <= FLOOD_MAX_IN_FLIGHT);
	assert_true(peak_rss <= FLOOD_MAX_RSS_GROWTH);
	/* The flood reached the threshold: producers outside readers waited. */
	assert_true(outside_helps > 0);
	/* Producers inside readers never did. */
	for (i = 0; i < FLOOD_IN_READERS; i++) {
		assert_true(prod[i].calls > 0);
		assert_int_equal(prod[i].helps, 0);
	}
	free(t);
	free(prod);
}

static void test_flood_bounded(void **state)
{
	(void)state;
	flood_trace = false;
	flood_bounded();
}

static void test_flood_bounded_trace(void **state)
{
	(void)state;
	flood_trace = true;
	flood_bounded();
}

/*
 * fork() at any point of a flood: producers waiting past the threshold,
 * the worker between batches, in a grace period or asleep. In each child
 * (the forking thread alone), the counts are right: a flood of its own is
 * throttled and run, in order, and a barrier waits for all of it.
 */
#define FORK_FLOOD_CHILDREN 20
#define FORK_FLOOD_N (16384 * 2)
#define FORK_FLOOD_PRODUCERS 4

struct ordered_cb {
	struct tps_rcu_head head;
	long seq;
};

static long child_next_seq;
static bool child_out_of_order;

static void ordered_cb_fn(struct tps_rcu_head *head)
{
	struct ordered_cb *o = tps_container_of(head, struct ordered_cb, head);

	if (o->seq != child_next_seq)
		child_out_of_order = true;
	child_next_seq = o->seq + 1;
	free(o);
}

static void flood_in_child(void *arg)
{
	long i;

	(void)arg;
	alarm(20);
	flood_barrier();
	/*
	 * Everything the parent's producers queued ran here, but for their
	 * calls under way at the fork and the callback the worker was running.
	 */
	child_check(atomic_load(&flood_queued) - atomic_load(&flood_run) <=
	            FORK_FLOOD_PRODUCERS + 1);
	child_next_seq = 0;
	for (i = 0; i < FORK_FLOOD_N; i++) {
		struct ordered_cb *o = malloc(sizeof(*o));

		child_check(o != NULL);
		o->seq = i;
		child_check(tps_call_rcu(&o->head, ordered_cb_fn) == 0);
	}
	tps_rcu_barrier();
	child_check(child_next_seq == FORK_FLOOD_N);
	child_check(!child_out_of_order);
	alarm(0);
}

static void test_fork_during_flood(void **state)
{
	struct flood_producer prod[FORK_FLOOD_PRODUCERS] = {{.in_reader = false}};
	struct flood_pool pool[FORK_FLOOD_PRODUCERS];
	pthread_t t[FORK_FLOOD_PRODUCERS];
	int i;

	(void)state;
	if (UNIT_TSAN)
		skip();
	flood_trace = false;
	tps_rcu_barrier();
	atomic_store(&flood_stop, false);
	for (i = 0; i < FORK_FLOOD_PRODUCERS; i++) {
		flood_pool_init(&pool[i]);
		prod[i].pool = &pool[i];
		t[i] = unit_thread_start(flood_produce, &prod[i]);
	}
	for (i = 0; i < FORK_FLOOD_CHILDREN; i++) {
		struct unit_child c;

		unit_sleep_ms(5);
		unit_run_child(flood_in_child, NULL, &c);
		unit_expect_success(&c);
	}
	atomic_store(&flood_stop, true);
	for (i = 0; i < FORK_FLOOD_PRODUCERS; i++)
		unit_thread_join(t[i]);
	tps_rcu_barrier();
	assert_int_equal(atomic_load(&flood_queued), atomic_load(&flood_run));
	for (i = 0; i < FORK_FLOOD_PRODUCERS; i++)
		free(pool[i].objs);
}

/*
 * A tasks-trace flood queued from inside an SRCU reader, while a trace
 * reader waits for that SRCU domain's grace period (trace readers may
 * block). The producer cannot tell it is an SRCU reader: if it waited for
 * a trace grace period past the threshold, that grace period would wait
 * for the trace reader, which waits for the producer. Just past the
 * threshold (flood set at the 16,385th call, helping from the next).
 */
#define TRACE_FLOOD_N (16384 + 8)

static struct tps_rcu_head trace_flood_heads[TRACE_FLOOD_N];
static atomic_long trace_flood_run;
static atomic_int trace_flood_stage;

static void trace_flood_cb(struct tps_rcu_head *head)
{
	(void)head;
	atomic_fetch_add(&trace_flood_run, 1);
}

static void *trace_reader_waits_for_srcu(void *arg)
{
	tps_rcu_read_lock_trace();
	atomic_store(&trace_flood_stage, 1);
	tps_synchronize_srcu(arg);
	tps_rcu_read_unlock_trace();
	return NULL;
}

static void trace_flood_in_srcu_reader(void *arg)
{
	struct tps_srcu s;
	pthread_t t;
	long i;
	int idx;

	(void)arg;
	/* Queueing takes well under a second; a hang ends in SIGALRM, a failure. */
	alarm(20);
	child_check(tps_srcu_init(&s) == 0);
	idx = tps_srcu_read_lock(&s);
	t = unit_thread_start(trace_reader_waits_for_srcu, &s);
	while (atomic_load(&trace_flood_stage) != 1)
		unit_sleep_ms(1);
	for (i = 0; i < TRACE_FLOOD_N; i++)
		child_check(tps_call_rcu_tasks_trace(&trace_flood_heads[i], trace_flood_cb) == 0);
	tps_srcu_read_unlock(&s, idx);
	unit_thread_join(t);
	tps_rcu_barrier_tasks_trace();
	child_check(atomic_load(&trace_flood_run) == TRACE_FLOOD_N);
	child_check(tps_srcu_cleanup(&s) == 0);
	alarm(0);
}

static void test_trace_flood_inside_srcu_reader(void **state)
{
	struct unit_child c;

	(void)state;
	/* ThreadSanitizer cannot start threads after a multi-threaded fork. */
	if (UNIT_TSAN)
		skip();
	unit_run_child(trace_flood_in_srcu_reader, NULL, &c);
	unit_expect_success(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_call_rcu_einval),
	        cmocka_unit_test(test_barrier_with_nothing_queued),
	        cmocka_unit_test(test_callback_on_worker_outside_reader),
	        cmocka_unit_test(test_call_rcu_inside_reader),
	        cmocka_unit_test(test_callback_waits_for_reader),
	        cmocka_unit_test(test_callbacks_fifo),
	        cmocka_unit_test(test_callbacks_batched),
	        cmocka_unit_test(test_barrier_waits_for_pending),
	        cmocka_unit_test(test_barrier_after_many_threads),
	        cmocka_unit_test(test_callback_queues_callback),
	        cmocka_unit_test(test_reclaim_with_callbacks),
	        cmocka_unit_test(test_flood_bounded),
	        cmocka_unit_test(test_flood_bounded_trace),
	        cmocka_unit_test(test_trace_flood_inside_srcu_reader),
	        cmocka_unit_test(test_fork_during_flood),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
