/* SPDX-License-Identifier: MIT */
/*
 * Compares the layout of every public struct as compiled by a C and by a
 * C++ compiler into one program: sizes, alignments and member offsets must
 * be identical, or C and C++ code sharing these structs disagree.
 */
#include <stdio.h>
#include <string.h>

#include "layout.h"

int main(void)
{
	const struct tps_layout_entry *c = tps_layout_c, *x = tps_layout_cxx;
	unsigned long ops_c, ops_cxx;
	int bad = 0, n = 0;

	for (; c->type && x->type; c++, x++, n++) {
		int same = !strcmp(c->type, x->type) &&
		           (c->field ? x->field && !strcmp(c->field, x->field) : !x->field) &&
		           c->size == x->size && c->align == x->align && c->offset == x->offset;

		printf("%s %s.%s: C size %zu align %zu offset %zu; C++ size %zu align %zu offset "
		       "%zu\n",
		       same ? "ok  " : "DIFF", c->type, c->field ? c->field : "", c->size, c->align,
		       c->offset, x->size, x->align, x->offset);
		bad += !same;
	}
	if (c->type || x->type) {
		printf("DIFF: the tables have different lengths\n");
		bad++;
	}
	ops_c = tps_layout_ops_c();
	ops_cxx = tps_layout_ops_cxx();
	printf("%s atomic operations: C %lu, C++ %lu\n", ops_c == ops_cxx ? "ok  " : "DIFF", ops_c,
	       ops_cxx);
	bad += ops_c != ops_cxx;
	printf("layout: %d entries, %d differences\n", n, bad);
	return bad != 0;
}
