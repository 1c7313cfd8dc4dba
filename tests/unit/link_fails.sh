#!/bin/sh
# SPDX-License-Identifier: MIT
# link_fails.sh SYMBOL CC ARGS...: passes when compiling and linking with
# CC ARGS fails, and its message names an undefined reference to SYMBOL.
set -u
sym=$1
shift
out=$(mktemp)
trap 'rm -f "$out" "$out.bin"' EXIT
if "$@" -o "$out.bin" >"$out" 2>&1; then
	echo "link_fails: linked, expected an undefined reference to $sym" >&2
	exit 1
fi
if ! grep -q "undefined reference to .$sym" "$out"; then
	cat "$out" >&2
	echo "link_fails: failed, but not for an undefined reference to $sym" >&2
	exit 1
fi
echo "link_fails: undefined reference to $sym, as expected"
