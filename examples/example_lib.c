/* SPDX-License-Identifier: MIT */
/*
 * example_lib.c - a shared library with tracepoints of its own, which
 * tracer_by_name.c loads with dlopen and traces by name.
 */
#include <tpsync/tracepoint.h>

TPS_TRACEPOINT_DECLARE(lib_work_start, TPS_PROTO(int job), TPS_ARGS(job));
TPS_TRACEPOINT_DECLARE(lib_work_end, TPS_PROTO(int job, int result), TPS_ARGS(job, result));
TPS_TRACEPOINT_DECLARE_FAULTABLE(lib_load_file, TPS_PROTO(const char *path), TPS_ARGS(path));

TPS_TRACEPOINT_DEFINE(lib_work_start);
TPS_TRACEPOINT_DEFINE(lib_work_end);
TPS_TRACEPOINT_DEFINE(lib_load_file);

int example_lib_work(int jobs);

int example_lib_work(int jobs)
{
	int job, sum = 0;

	tps_trace_lib_load_file("/dev/null");
	for (job = 0; job < jobs; job++) {
		tps_trace_lib_work_start(job);
		sum += job * job;
		tps_trace_lib_work_end(job, sum);
	}
	return sum;
}
