/* SPDX-License-Identifier: MIT */
/*
 * tests/compat/urcu_prefixed.c - a program written against liburcu's
 * flavour-prefixed API (<urcu/urcu-memb.h>: urcu_memb_read_lock() and so
 * on; with URCU_PREFIXED_QSBR, <urcu/urcu-qsbr.h> and urcu_qsbr_*), the
 * spelling liburcu recommends for new code. Built against liburcu and
 * against tpsync's compat headers: both build and pass.
 */
#include <stdio.h>
#include <stdlib.h>

#ifdef URCU_PREFIXED_QSBR
#include <urcu/urcu-qsbr.h>
#define P(name) urcu_qsbr_##name
#else
#include <urcu/urcu-memb.h>
#define P(name) urcu_memb_##name
#endif

struct obj {
	int value;
	struct rcu_head head;
};

static struct obj *published;
static int called, deferred;

static void free_cb(struct rcu_head *head)
{
	free(caa_container_of(head, struct obj, head));
	called++;
}

static void defer_cb(void *p)
{
	free(p);
	deferred++;
}

static struct obj *obj_new(int value)
{
	struct obj *o = malloc(sizeof(*o));

	if (!o)
		exit(2);
	o->value = value;
	return o;
}

int main(void)
{
	struct obj *o, *old;
	int ok;

	P(register_thread)();
	rcu_set_pointer(&published, obj_new(1));
	P(read_lock)();
	o = rcu_dereference(published);
	ok = o && o->value == 1 && P(read_ongoing)();
	P(read_unlock)();
	P(quiescent_state)();

	old = rcu_xchg_pointer(&published, obj_new(2));
	P(synchronize_rcu)();
	free(old);
	old = published;
	if (rcu_cmpxchg_pointer(&published, old, obj_new(3)) != old)
		ok = 0;
	P(call_rcu)(&old->head, free_cb);
	P(thread_offline)();
	P(barrier)();
	P(thread_online)();
	if (P(defer_register_thread)() != 0)
		ok = 0;
	P(defer_rcu)(defer_cb, rcu_xchg_pointer(&published, NULL));
	P(thread_offline)();
	P(defer_barrier)();
	P(thread_online)();
	P(defer_unregister_thread)();
	P(unregister_thread)();
	if (!ok || called != 1 || deferred != 1) {
		fprintf(stderr, "urcu_prefixed: ok %d, %d callbacks, %d deferred calls\n", ok,
		        called, deferred);
		return 1;
	}
	return 0;
}
