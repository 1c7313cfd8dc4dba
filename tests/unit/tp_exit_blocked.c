/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/tp_exit_blocked.c - exit() with a probe attached and a thread
 * blocked for good inside it (a faultable probe may block): the
 * executable's tracepoints are removed by its destructors at exit, which
 * must not wait for that reader (no object is unmapped at exit). ctest's
 * timeout catches a hang.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <tpsync/tracepoint.h>

TPS_TRACEPOINT_DECLARE_FAULTABLE(blocked_ev, TPS_PROTO(int a), TPS_ARGS(a));
TPS_TRACEPOINT_DEFINE(blocked_ev);

static atomic_bool inside;

static void blocking_probe(void *data, int a)
{
	(void)data;
	(void)a;
	atomic_store(&inside, true);
	for (;;)
		pause();
}

static void *fire(void *arg)
{
	(void)arg;
	tps_trace_blocked_ev(1);
	return NULL;
}

int main(void)
{
	pthread_t t;

	if (tps_register_trace_blocked_ev(blocking_probe, NULL) != 0)
		return 1;
	pthread_create(&t, NULL, fire, NULL);
	while (!atomic_load(&inside))
		usleep(1000);
	printf("a reader is blocked in a probe; exiting\n");
	fflush(stdout);
	exit(0);
}
