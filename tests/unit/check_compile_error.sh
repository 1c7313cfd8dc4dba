#!/bin/sh
# SPDX-License-Identifier: MIT
# A typed probe registration with the wrong prototype is a compile error
# with the compiler's default diagnostics (no -Werror given): the file must
# compile as is, and fail to with -D$3=N for each N of 1 2 3 (register,
# register_prio_flags, unregister), naming the incompatible pointer.
# Usage: check_compile_error.sh CC SOURCE DEFINE -I... (include flags)
set -eu
cc=$1
src=$2
define=$3
shift 3
err=$(mktemp)
trap 'rm -f "$err"' EXIT
"$cc" -std=gnu11 -fsyntax-only "$@" "$src"
for n in 1 2 3; do
	if "$cc" -std=gnu11 -fsyntax-only "$@" -D"$define=$n" "$src" 2>"$err"; then
		cat "$err" >&2
		echo "the wrong probe compiled ($define=$n)" >&2
		exit 1
	fi
	grep -q "incompatible" "$err" || { cat "$err" >&2; exit 1; }
done
echo "wrong probes rejected by the compiler, as they must be"
