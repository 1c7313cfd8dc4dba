#!/bin/sh
# SPDX-License-Identifier: MIT
# A typed probe registration with the wrong prototype is a compile error:
# the file must compile as is, and fail to with -D$2.
# Usage: check_compile_error.sh CC SOURCE DEFINE -I... (include flags)
set -eu
cc=$1
src=$2
define=$3
shift 3
err=$(mktemp)
trap 'rm -f "$err"' EXIT
"$cc" -std=gnu11 -Werror=incompatible-pointer-types -fsyntax-only "$@" "$src"
if "$cc" -std=gnu11 -Werror=incompatible-pointer-types -fsyntax-only "$@" -D"$define" "$src" 2>"$err"; then
	echo "the wrong probe compiled" >&2
	exit 1
fi
grep -q "incompatible" "$err" || { cat "$err" >&2; exit 1; }
echo "wrong probe rejected by the compiler, as it must be"
