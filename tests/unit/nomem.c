/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/nomem.c - calloc(), failing on request in the calling thread
 * (see nomem.h). The real one is found with dlsym(RTLD_NEXT).
 */
#include "unit.h"

#include <dlfcn.h>
#include <stdlib.h>

#include "nomem.h"

__thread int fail_callocs;
atomic_int failed_callocs;

/*
 * ThreadSanitizer's runtime allocates through calloc before it can resolve
 * the next definition: no interposition there (the test is skipped).
 */
#if !UNIT_TSAN
static void *(*real_calloc)(size_t, size_t);
/* For calloc calls made while dlsym() looks up the real one. */
static char bootstrap[4096];
static size_t bootstrap_used;

void *calloc(size_t n, size_t size)
{
	if (fail_callocs) {
		fail_callocs--;
		atomic_fetch_add(&failed_callocs, 1);
		return NULL;
	}
	if (!real_calloc) {
		static __thread int resolving;
		void *p;

		if (resolving) {
			size_t len = (n * size + 15) & ~(size_t)15;

			if (bootstrap_used + len > sizeof(bootstrap))
				return NULL;
			p = bootstrap + bootstrap_used;
			bootstrap_used += len;
			return p;
		}
		resolving = 1;
		real_calloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
		resolving = 0;
	}
	return real_calloc(n, size);
}
#endif
