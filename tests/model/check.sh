#!/bin/sh
# SPDX-License-Identifier: MIT
# Checks a Promela model with spin (exhaustive safety search).
#
# Usage: check.sh MODEL.pml pass|fail [spin -D options] [-- pan options]
#   pass: spin must find no error; fail: spin must find at least one (the
#   variant with the known-wrong ordering must be rejected).
set -eu
model=$1
expect=$2
shift 2
defs=""
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
	defs="$defs $1"
	shift
done
[ $# -gt 0 ] && shift
command -v spin >/dev/null || { echo "spin is not installed" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
# shellcheck disable=SC2086
spin -a $defs "$model" >/dev/null
cc -w -O2 -DSAFETY -o pan pan.c
# shellcheck disable=SC2068
./pan -m1000000 $@ >out.txt 2>&1 || true
grep -E "errors:|violated|invalid end state|states, stored" out.txt || true
errors=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' out.txt | head -n 1)
if [ -z "$errors" ]; then
	echo "check.sh: no verdict from pan" >&2
	cat out.txt >&2
	exit 1
fi
if grep -q "max search depth too small" out.txt; then
	echo "check.sh: search depth too small, the search was not exhaustive" >&2
	exit 1
fi
case "$expect" in
pass) [ "$errors" -eq 0 ] ;;
fail) [ "$errors" -gt 0 ] ;;
*) echo "check.sh: expect pass or fail" >&2; exit 2 ;;
esac
