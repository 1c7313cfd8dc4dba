#!/bin/sh
# SPDX-License-Identifier: MIT
# nopic_so.sh SRCDIR LIBTPSYNC CC ARGS...: builds tp_nopic_so_def.c and
# tp_nopic_so_fire.c with CC ARGS -fno-pic into two shared objects (text
# relocations, as i386 allows), and tp_nopic_so_main.c, which loads both
# into the global scope and passes when each fires its own instance.
set -u
src=$1
lib=$2
shift 2
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
for so in a b; do
	"$@" -fno-pic -shared "$src/tp_nopic_so_def.c" "$src/tp_nopic_so_fire.c" "$lib" \
		-o "$d/$so.so" || exit 1
done
"$@" "$src/tp_nopic_so_main.c" "$lib" -ldl -lpthread -Wl,-rpath,"$(dirname "$lib")" \
	-o "$d/main" || exit 1
"$d/main" "$d/a.so" "$d/b.so"
