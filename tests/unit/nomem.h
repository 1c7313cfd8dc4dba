/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/nomem.h - a calloc() that fails on request, for the tests that
 * make pthread_setspecific() fail (test_qsbr_nomem, test_registry_nomem).
 * Link nomem.c into the test executable (and only there: it defines calloc).
 */
#ifndef TPS_UNIT_NOMEM_H
#define TPS_UNIT_NOMEM_H

#include <stdatomic.h>

/* The next this many calloc() calls of the calling thread fail. */
extern __thread int fail_callocs;
/* calloc() calls that failed, all threads. */
extern atomic_int failed_callocs;

#endif
