/* SPDX-License-Identifier: MIT */
/*
 * hello_tracepoint.c - a tracepoint from declaration to teardown.
 *
 * Declare (normally in a header), define (in one .c file), register a probe,
 * fire, unregister, wait until no probe can still run, free the probe's data.
 */
#include <stdio.h>
#include <stdlib.h>

#include <tpsync/tracepoint.h>

/* In a header: the tracepoint and its inline call site tps_trace_request_done(). */
TPS_TRACEPOINT_DECLARE(request_done, TPS_PROTO(int id, long latency_us), TPS_ARGS(id, latency_us));

/* In exactly one .c file. */
TPS_TRACEPOINT_DEFINE(request_done);

struct stats {
	long count;
	long total_us;
};

/* A probe: data first, then the tracepoint's arguments. Must not block. */
static void count_request(void *data, int id, long latency_us)
{
	struct stats *s = data;

	(void)id;
	s->count++;
	s->total_us += latency_us;
}

static void serve(int id)
{
	/* ... the real work ... */
	tps_trace_request_done(id, 100 + id); /* one load and a branch when off */
}

int main(void)
{
	struct stats *s = calloc(1, sizeof(*s));
	int id, err;

	if (!s)
		return 1;
	serve(0); /* no probe yet: nothing runs */

	/* The compiler checks the probe's prototype against the tracepoint's. */
	err = tps_register_trace_request_done(count_request, s);
	if (err) {
		fprintf(stderr, "register: %d\n", err);
		return 1;
	}
	for (id = 1; id <= 10; id++)
		serve(id);

	tps_unregister_trace_request_done(count_request, s);
	/* No probe unregistered before this call is still running afterwards. */
	tps_tracepoint_synchronize_unregister();
	printf("hello_tracepoint: %ld requests, mean latency %ld us\n", s->count,
	       s->count ? s->total_us / s->count : 0);
	err = s->count == 10 ? 0 : 1;
	free(s);
	return err;
}
