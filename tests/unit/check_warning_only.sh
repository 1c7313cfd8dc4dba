#!/bin/sh
# SPDX-License-Identifier: MIT
# Including tracepoint.h changes no diagnostic of the user's code: SOURCE,
# whose own code has an incompatible-pointer assignment, compiles with the
# compiler's default diagnostics (no -Werror given), and that assignment is
# reported as a warning, as it is without the header.
# Usage: check_warning_only.sh CC SOURCE -I... (include flags)
set -eu
cc=$1
src=$2
shift 2
err=$(mktemp)
trap 'rm -f "$err"' EXIT
if ! "$cc" -std=gnu11 -fsyntax-only "$@" "$src" 2>"$err"; then
	cat "$err" >&2
	echo "$cc: the user's incompatible pointer became an error after tracepoint.h" >&2
	exit 1
fi
grep -q "incompatible" "$err" || {
	cat "$err" >&2
	echo "$cc: no warning for the user's incompatible pointer" >&2
	exit 1
}
echo "$cc: the user's incompatible pointer is a warning, as without tracepoint.h"
