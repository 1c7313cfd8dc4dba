#!/bin/sh
# SPDX-License-Identifier: MIT
# The structs of the public headers have one layout in C and in C++.
#
# 1. layout_c.c (C) and layout_cxx.cpp (C++) tabulate the size, alignment
#    and member offsets of every public struct (listed in layout.h) into one
#    program, layout_main.c, which compares the two tables: gcc with g++,
#    clang with clang++, x86-64 and i386 (-m32, when installed).
# 2. clang's record layouts (-fdump-record-layouts-simple) of every struct
#    defined in include/tpsync/*.h, found by name, so that new headers and
#    new members are covered without a list: size, alignment and every
#    member offset, C against C++, x86-64, i386 and AArch64.
#
# Usage: layout.sh SOURCE_DIR
set -eu
src=$1
here=$src/tests/cxx

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/cfg/tpsync"
sed -e 's/@[A-Z_0-9]*_01@/0/g' -e 's/@PROJECT_VERSION_[A-Z]*@/0/' "$src/include/tpsync/config.h.in" \
	>"$work/cfg/tpsync/config.h"
inc="-I$src/include -I$work/cfg"

archs="-m64"
if echo 'int main(void) { return 0; }' | gcc -m32 -x c - -o "$work/m32" 2>/dev/null; then
	archs="-m64 -m32"
else
	echo "layout: no i386 toolchain (gcc -m32), x86-64 only"
fi

fail=0
# -Wno-psabi: gcc notes that _Atomic long long fields changed alignment in 11.1.
# shellcheck disable=SC2086
for arch in $archs; do
	for pair in "gcc g++" "clang clang++"; do
		set -- $pair
		echo "== $1 / $2 $arch"
		$1 $arch -std=gnu11 -Wall -Wextra -Werror -Wno-psabi $inc -c "$here/layout_c.c" \
			-o "$work/c.o"
		$1 $arch -std=gnu11 -Wall -Wextra -Werror -Wno-psabi $inc -c "$here/layout_main.c" \
			-o "$work/main.o"
		$2 $arch -std=c++17 -fno-exceptions -fno-rtti -Wall -Wextra -Werror -Wno-psabi $inc \
			-c "$here/layout_cxx.cpp" -o "$work/cxx.o"
		$1 $arch "$work/c.o" "$work/main.o" "$work/cxx.o" -o "$work/layout"
		if ! "$work/layout" >"$work/out"; then
			grep -v '^ok' "$work/out"
			fail=$((fail + 1))
		else
			tail -n 2 "$work/out"
		fi
	done
done

# Part 2: every struct defined in a public header, by name.
structs=$(for f in "$src"/include/tpsync/*.h; do
	[ "${f##*/}" = urcu_flavor.h ] || sed -n 's/^struct \([A-Za-z_0-9]*\) {.*/\1/p' "$f"
done | sort -u)
{
	for f in "$src"/include/tpsync/*.h; do
		# liburcu's headers (urcu_flavor.h) exist for the host only.
		[ "${f##*/}" = urcu_flavor.h ] && continue
		printf '#include <tpsync/%s>\n' "${f##*/}"
	done
	echo 'extern const unsigned long tps_layout_sizes[];'
	echo 'const unsigned long tps_layout_sizes[] = {'
	for s in $structs; do
		echo "	sizeof(struct $s),"
	done
	echo '};'
} >"$work/all.c"
cp "$work/all.c" "$work/all.cpp"
# One line per record: name size align offsets.
records() {
	awk '/^Type: struct / { name = $3 }
	     /^  Size:/ { split($0, a, ":"); size = a[2] }
	     /^  Alignment:/ { split($0, a, ":"); align = a[2] }
	     /^  FieldOffsets:/ { sub(/.*FieldOffsets: /, ""); sub(/>$/, "");
	                           print name, size, align, $0 }' "$1" | sort -u
}
# AArch64 too, through clang's cross target, when its libc headers are there.
if echo '#include <stddef.h>' | clang --target=aarch64-linux-gnu -x c -fsyntax-only - 2>/dev/null; then
	archs="$archs --target=aarch64-linux-gnu"
fi
for arch in $archs; do
	# shellcheck disable=SC2086
	clang $arch -std=gnu11 -Wno-psabi $inc -Xclang -fdump-record-layouts-simple -fsyntax-only \
		"$work/all.c" >"$work/dump.c"
	# shellcheck disable=SC2086
	clang++ $arch -std=c++17 $inc -Xclang -fdump-record-layouts-simple -fsyntax-only \
		"$work/all.cpp" >"$work/dump.cpp"
	records "$work/dump.c" >"$work/rec.c"
	records "$work/dump.cpp" >"$work/rec.cpp"
	n=0
	for s in $structs; do
		c=$(grep "^$s " "$work/rec.c" || true)
		x=$(grep "^$s " "$work/rec.cpp" || true)
		if [ -z "$c" ] || [ "$c" != "$x" ]; then
			echo "DIFF struct $s ($arch, bits): C [$c] C++ [$x]"
			fail=$((fail + 1))
		fi
		n=$((n + 1))
	done
	echo "== clang record layouts $arch: $n structs compared"
done
[ "$fail" = 0 ]
