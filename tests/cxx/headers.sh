#!/bin/sh
# SPDX-License-Identifier: MIT
# Every public header (include/tpsync/*.h, whatever headers exist) must
# compile on its own as C++: g++ and clang++, -std=c++17, c++20 and gnu++17,
# x86-64, i386 (-m32) and, with clang++, AArch64 (when installed), with
# -Wall -Wextra -Werror; and all of them together in configurations of
# config.h (TPSYNC_DEBUG, TPSYNC_SEQ_CST_READSIDE, the other options: 0 or 1)
# where every pair of options takes all four values;
# and use.cpp, which expands every macro and inline function, compiled and
# assembled (x86-64, i386, AArch64).
#
# Usage: headers.sh SOURCE_DIR
set -eu
src=$1
here=$src/tests/cxx

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# config.h for one configuration, in $work/cfg$1$2$3/tpsync/: TPSYNC_DEBUG=$1,
# TPSYNC_SEQ_CST_READSIDE=$2, every other option of config.h.in (TPSYNC_SDT...)
# $3.
make_config() {
	mkdir -p "$work/cfg$1$2$3/tpsync"
	sed -e "s/@TPSYNC_DEBUG_01@/$1/" -e "s/@TPSYNC_SEQ_CST_READSIDE_01@/$2/" \
		-e "s/@[A-Z_0-9]*_01@/$3/g" -e 's/@PROJECT_VERSION_[A-Z]*@/0/' \
		"$src/include/tpsync/config.h.in" >"$work/cfg$1$2$3/tpsync/config.h"
}
for c in 000 001 011 101 110; do
	make_config "$(echo "$c" | cut -c1)" "$(echo "$c" | cut -c2)" "$(echo "$c" | cut -c3)"
done

archs="-m64"
if echo 'int main(void) { return 0; }' | gcc -m32 -x c - -o "$work/m32" 2>/dev/null; then
	archs="-m64 -m32"
else
	echo "headers: no i386 toolchain (gcc -m32), x86-64 only"
fi

# AArch64 through clang++'s cross target, when its libc headers are there.
a64=""
if echo '#include <stddef.h>' | clang++ --target=aarch64-linux-gnu -x c++ -fsyntax-only - \
	2>/dev/null; then
	a64=--target=aarch64-linux-gnu
else
	echo "headers: no AArch64 headers for clang++ --target=aarch64-linux-gnu, skipped"
fi

headers=""
for f in "$src"/include/tpsync/*.h; do
	case ${f##*/} in
	# liburcu's headers, which it includes, exist for the host only:
	# torture_lfht and consumer_urcu build it (C).
	urcu_flavor.h) continue ;;
	esac
	[ -e "$f" ] && headers="$headers ${f##*/}"
done
[ -n "$headers" ] || {
	echo "headers: no header found in $src/include/tpsync" >&2
	exit 1
}

fail=0
n=0
# compile CXX STD ARCH CONFIG FILE WHAT [FLAGS]: syntax only, or FLAGS.
compile() {
	# shellcheck disable=SC2086
	if ! "$1" "-std=$2" "$3" -Wall -Wextra -Werror ${7:--fsyntax-only} -I"$src/include" \
		-I"$work/cfg$4" "$5" 2>"$work/err"; then
		echo "FAIL: $1 -std=$2 $3, config.h $4 (TPSYNC_DEBUG, TPSYNC_SEQ_CST_READSIDE, others): $6"
		sed 's/^/    /' "$work/err" | head -n 20
		fail=$((fail + 1))
	fi
	n=$((n + 1))
}

all=$work/all.cpp
: >"$all"
for h in $headers; do
	printf '#include <tpsync/%s>\n' "$h" >"$work/$h.cpp"
	printf '#include <tpsync/%s>\n' "$h" >>"$all"
done

for cxx in g++ clang++; do
	if ! command -v "$cxx" >/dev/null 2>&1; then
		echo "headers: $cxx not found (cmake/install-deps.sh installs it)" >&2
		exit 1
	fi
	cxx_archs=$archs
	[ "$cxx" = clang++ ] && [ -n "$a64" ] && cxx_archs="$archs $a64"
	for std in c++17 c++20 gnu++17; do
		for arch in $cxx_archs; do
			# GNU mode only changes how macros expand: use.cpp below.
			if [ "$std" != gnu++17 ]; then
				for h in $headers; do
					compile "$cxx" "$std" "$arch" 001 "$work/$h.cpp" \
						"tpsync/$h alone"
				done
				# Every pair of options takes both values in these four.
				for cfg in 000 011 101 110; do
					compile "$cxx" "$std" "$arch" "$cfg" "$all" "all headers"
				done
			fi
			# use.cpp expands every macro; asm is assembled too.
			for cfg in 000 001 101 011; do
				compile "$cxx" "$std" "$arch" "$cfg" "$here/use.cpp" "use.cpp" \
					"-O2 -c -o $work/use.o"
			done
		done
	done
done
echo "headers: $(echo "$headers" | wc -w) headers, $n compilations, $fail failed"
[ "$fail" = 0 ]
