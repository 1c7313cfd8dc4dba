#!/bin/sh
# SPDX-License-Identifier: MIT
# A shared object that defines a tracepoint owns its instance: the symbol of
# its definition is protected in the linked object, whatever the compiler
# and with link-time optimization too.
# Usage: check_tp_protected.sh CC SOURCE SYMBOL ARGS... (compile and link
# flags: include directories; the library need not be linked)
set -u
cc=$1
src=$2
sym=$3
shift 3
out=$(mktemp)
trap 'rm -f "$out" "$out.so"' EXIT
status=0
for lto in "" -flto; do
	if ! "$cc" -std=gnu11 -O2 -fPIC -shared $lto "$src" "$@" -o "$out.so" >"$out" 2>&1; then
		cat "$out" >&2
		echo "$cc $lto: FAIL: build failed" >&2
		status=1
		continue
	fi
	vis=$(readelf -sW "$out.so" | awk -v s="$sym" '$8 == s && $7 != "UND" { print $6; exit }')
	if [ "$vis" = PROTECTED ]; then
		echo "$cc $lto: $sym is protected"
	else
		echo "$cc $lto: FAIL: $sym is ${vis:-missing}, not protected" >&2
		status=1
	fi
done
exit $status
