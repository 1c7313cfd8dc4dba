/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/tp_two_namespaces.cpp - one C++ file declares the same
 * tracepoint in two namespaces (a header of declarations included in each,
 * say): both name the one tracepoint, of C linkage, and the file must
 * compile and assemble (test tracepoint_header_two_namespaces_cxx).
 */
#include <tpsync/tracepoint.h>

namespace first
{
TPS_TRACEPOINT_DECLARE(two_ns, TPS_PROTO(int v), TPS_ARGS(v));
TPS_TRACEPOINT_DEFINE(two_ns);
} // namespace first

namespace second
{
TPS_TRACEPOINT_DECLARE(two_ns, TPS_PROTO(int v), TPS_ARGS(v));
} // namespace second

void two_ns_fire(int v);

void two_ns_fire(int v)
{
	first::tps_trace_two_ns(v);
	second::tps_trace_two_ns(v);
}
