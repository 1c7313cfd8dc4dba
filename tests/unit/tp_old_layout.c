/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/tp_old_layout.c - a shared object as TPS_TRACEPOINT_DEFINE()
 * expanded when struct tps_tracepoint ended with unregfunc (no proto, no
 * signature): written out by hand, without tpsync's headers. The library
 * must refuse it (it fails to load) rather than read and write past its
 * tracepoint; test_tracepoint_edges loads it.
 */
#include <stddef.h>

struct short_tracepoint {
	const char *name;
	_Atomic int enabled;
	unsigned int flags;
	void *funcs;
	int (*regfunc)(void);
	void (*unregfunc)(void);
};

extern char tps__tracepoint_empty[];
void tps__tracepoint_section_add(struct short_tracepoint *const *start,
                                 struct short_tracepoint *const *stop);
void tps__tracepoint_section_remove(struct short_tracepoint *const *start);

struct short_tracepoint tps__tp_short_ev = {
        .name = "short_ev",
        .funcs = tps__tracepoint_empty,
};
/* What the library would take for proto and write as signature. */
const char *short_after[2] = {"int a", "left alone"};

static struct short_tracepoint *const short_ptr
        __attribute__((used, section("tps_tracepoints"), aligned(sizeof(void *)))) =
                &tps__tp_short_ev;
extern struct short_tracepoint *const __start_tps_tracepoints[]
        __attribute__((weak, visibility("hidden")));
extern struct short_tracepoint *const __stop_tps_tracepoints[]
        __attribute__((weak, visibility("hidden")));

__attribute__((constructor)) static void short_ctor(void)
{
	tps__tracepoint_section_add(__start_tps_tracepoints, __stop_tps_tracepoints);
}

__attribute__((destructor)) static void short_dtor(void)
{
	tps__tracepoint_section_remove(__start_tps_tracepoints);
}
