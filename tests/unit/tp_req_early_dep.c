/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/tp_req_early_dep.c - a dependency of tp_req_early: its
 * constructor, which runs before those of tp_req_early (the object that
 * needs it), calls back into tp_req_early, whose call site of
 * myapp:req_end then runs before tp_req_early's own constructors.
 */
void req_early_fire(int id);
int req_early_dep_ran(void);

static int ran;

__attribute__((constructor)) static void dep_init(void)
{
	req_early_fire(7);
	ran = 1;
}

int req_early_dep_ran(void)
{
	return ran;
}
