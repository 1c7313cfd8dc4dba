/* SPDX-License-Identifier: MIT */
/*
 * An executable that fires, and attaches a typed probe to, myapp:req_end
 * (int id, long us), which tp_req_a defines and exports. It links first
 * tp_req_b_hidden, tp_req_b.c built with -fvisibility=hidden: that object
 * keeps its own myapp:req_end (const char *path) to itself, as it does all
 * its symbols. The executable's references must reach tp_req_a's instance,
 * not the hidden one, whose call sites pass other arguments (test
 * tracepoint_hidden_object_keeps_instance_private).
 */
#include <stdio.h>

#define TPS_TRACEPOINT_PROVIDER myapp
#include <tpsync/tracepoint.h>

TPS_TRACEPOINT_DECLARE(req_end, TPS_PROTO(int id, long us), TPS_ARGS(id, us));

void req_a_fire(int id);

static int hits, last_id;

static void probe(void *data, int id, long us)
{
	(void)data;
	(void)us;
	hits++;
	last_id = id;
}

int main(void)
{
	if (tps_register_trace_req_end(probe, NULL) != 0) {
		printf("registration failed\n");
		return 1;
	}
	req_a_fire(5);
	tps_unregister_trace_req_end(probe, NULL);
	tps_tracepoint_synchronize_unregister();
	printf("probe saw %d hit(s), last id %d (expected 1, 5); it was attached to \"%s\"\n", hits,
	       last_id, tps_tracepoint_signature(&tps__tp_req_end));
	return hits == 1 && last_id == 5 ? 0 : 1;
}
