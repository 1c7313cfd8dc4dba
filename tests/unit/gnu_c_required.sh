#!/bin/sh
# SPDX-License-Identifier: MIT
# <tpsync/tracepoint.h> under a strict ISO C mode must stop with a message
# that says GNU C is needed; under GNU C the same file must compile.
#
# Usage: gnu_c_required.sh C_COMPILER SOURCE_DIR BINARY_DIR
set -eu
cc=$1
src=$2
bin=$3

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat >"$work/t.c" <<'EOC'
#include <tpsync/tracepoint.h>
TPS_TRACEPOINT_DECLARE(no_args, TPS_PROTO(), TPS_ARGS());
TPS_TRACEPOINT_DECLARE(two_args, TPS_PROTO(int a, long b), TPS_ARGS(a, b));
void fire(void);
void fire(void)
{
	tps_trace_no_args();
	tps_trace_two_args(1, 2);
}
EOC

inc="-I$src/include -I$bin/include"
# shellcheck disable=SC2086
"$cc" -std=gnu11 -fsyntax-only $inc "$work/t.c"
echo "gnu11: compiles"
for std in c11 c17; do
	# shellcheck disable=SC2086
	if "$cc" -std=$std -fsyntax-only $inc "$work/t.c" >"$work/out" 2>&1; then
		echo "gnu_c_required: -std=$std compiled" >&2
		exit 1
	fi
	if ! grep -q "tracepoint macros need GNU C (-std=gnu11" "$work/out"; then
		cat "$work/out" >&2
		echo "gnu_c_required: -std=$std fails without saying GNU C is needed" >&2
		exit 1
	fi
	echo "$std: stops with the GNU C message"
done
