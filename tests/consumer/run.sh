#!/bin/sh
# SPDX-License-Identifier: MIT
# Consumer test: install the build tree into a temporary prefix (a custom
# one, not in the dynamic loader's path), then build and run a small program
# against it by every route the README describes:
#   find_package(tpsync CONFIG), shared and static (CMake records the
#     library's directory as the program's RUNPATH);
#   pkg-config tpsync with -Wl,-rpath (and, without it, the loader's
#     "cannot open shared object file" that LD_LIBRARY_PATH fixes);
#   pkg-config tpsync-static: libtpsync.a, no libtpsync.so needed to run.
#
# Usage: run.sh BUILD_DIR SOURCE_DIR C_COMPILER [SANITIZE]
set -eu
build=$1
src=$2
cc=$3
sanitize=${4:-}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
main=$src/tests/consumer/project/main.c
unset LD_LIBRARY_PATH

flags=""
if [ -n "$sanitize" ]; then
	flags="-fsanitize=$sanitize -fno-omit-frame-pointer"
fi

fail() {
	echo "consumer: $*" >&2
	exit 1
}

# needs_libtpsync EXE: whether EXE has libtpsync.so among its NEEDED entries.
needs_libtpsync() {
	readelf -d "$1" | grep -q 'NEEDED.*libtpsync\.so'
}

cmake --install "$build" --prefix "$prefix" >/dev/null

# The man pages, when the build made them (TPSYNC_BUILD_DOCS).
if [ -d "$build/docs/man" ]; then
	echo "== man pages"
	page=$(find "$prefix" -path '*/man3/tps_synchronize_rcu.3')
	[ -n "$page" ] || fail "no man page tps_synchronize_rcu.3 installed"
	if command -v man >/dev/null 2>&1; then
		MANPATH=$(dirname "$(dirname "$page")") man -w tps_synchronize_rcu ||
			fail "man does not find tps_synchronize_rcu"
	fi
fi

echo "== find_package"
cmake -S "$src/tests/consumer/project" -B "$work/cmake" -DCMAKE_C_COMPILER="$cc" \
	-DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_FLAGS="$flags" \
	-DCMAKE_EXE_LINKER_FLAGS="$flags" >/dev/null
cmake --build "$work/cmake" >/dev/null
"$work/cmake/consumer_shared"
needs_libtpsync "$work/cmake/consumer_shared" || fail "consumer_shared does not use libtpsync.so"
"$work/cmake/consumer_static"
needs_libtpsync "$work/cmake/consumer_static" && fail "consumer_static needs libtpsync.so"

pcpath=$(dirname "$(find "$prefix" -name tpsync.pc | head -n 1)")
export PKG_CONFIG_PATH="$pcpath"
libdir=$(pkg-config --variable=libdir tpsync)

echo "== pkg-config tpsync, no rpath: the loader cannot find libtpsync.so.0"
# shellcheck disable=SC2046,SC2086
"$cc" $flags -o "$work/consumer_norpath" "$main" $(pkg-config --cflags --libs tpsync)
if "$work/consumer_norpath" 2>"$work/err"; then
	fail "ran without rpath or LD_LIBRARY_PATH: is $prefix in the loader's path?"
fi
grep 'libtpsync.so.0: cannot open shared object file' "$work/err" ||
	fail "unexpected error: $(cat "$work/err")"
echo "== the same with LD_LIBRARY_PATH"
LD_LIBRARY_PATH=$libdir "$work/consumer_norpath"

echo "== pkg-config tpsync with -Wl,-rpath"
# shellcheck disable=SC2046,SC2086
"$cc" $flags -o "$work/consumer_pc" "$main" $(pkg-config --cflags --libs tpsync) \
	-Wl,-rpath,"$libdir"
"$work/consumer_pc"

echo "== pkg-config tpsync-static"
# shellcheck disable=SC2046,SC2086
"$cc" $flags -o "$work/consumer_pc_static" "$main" \
	$(pkg-config --static --cflags --libs tpsync-static)
needs_libtpsync "$work/consumer_pc_static" && fail "tpsync-static links libtpsync.so"
"$work/consumer_pc_static"
