/* SPDX-License-Identifier: MIT */
/*
 * lib/debug.c - reporting a broken rule of the model.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"

void tps__rule_broken(const char *rule, const char *detail)
{
	char buf[512];
	int n = snprintf(buf, sizeof(buf), "tpsync: broken rule \"%s\": %s\n", rule, detail);

	/* write(2), not stdio: this may run in a signal handler. */
	if (n > 0) {
		size_t len = (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1;
		ssize_t r = write(STDERR_FILENO, buf, len);
		(void)r;
	}
	abort();
}
