/* SPDX-License-Identifier: MIT */
/*
 * empty - the floor: the loop with nothing but its compiler barrier. Every
 * other row's figure includes this loop's cost.
 */
#include "../readside.h"

static READSIDE_NOINLINE void empty_loop(unsigned long iterations)
{
	READSIDE_LOOP(iterations, (void)0, (void)0);
}

static READSIDE_NOINLINE void empty_loop_nested(unsigned long iterations)
{
	READSIDE_LOOP_NESTED(iterations, (void)0, (void)0, (void)0, (void)0);
}

const struct readside_impl readside_empty = {
        .name = "empty",
        .loop = empty_loop,
        .loop_nested = empty_loop_nested,
};
