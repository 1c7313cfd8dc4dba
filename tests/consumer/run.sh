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
# Then the debug variant, both ways: the program relinked with it and run,
# and a program that breaks rules, which must abort naming each rule.
#
# Usage: run.sh BUILD_DIR SOURCE_DIR C_COMPILER [SANITIZE]
# $emu is a command line, split into words on purpose.
# shellcheck disable=SC2086
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

# A cross or -m32 build (tests/cross) sets, in the environment, its toolchain
# file, its C flags and the emulator that runs its programs (qemu-user).
toolchain=${TPSYNC_TEST_TOOLCHAIN:-}
emu=${TPSYNC_TEST_EMULATOR:-}
flags=${TPSYNC_TEST_CFLAGS:-}
if [ -n "$sanitize" ]; then
	flags="$flags -fsanitize=$sanitize -fno-omit-frame-pointer"
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
if [ -n "$toolchain" ]; then
	set -- --toolchain "$toolchain"
else
	set --
fi
cmake -S "$src/tests/consumer/project" -B "$work/cmake" "$@" -DCMAKE_C_COMPILER="$cc" \
	-DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_FLAGS="$flags" \
	-DCMAKE_EXE_LINKER_FLAGS="$flags" >/dev/null
cmake --build "$work/cmake" >/dev/null
$emu "$work/cmake/consumer_shared"
needs_libtpsync "$work/cmake/consumer_shared" || fail "consumer_shared does not use libtpsync.so"
$emu "$work/cmake/consumer_static"
needs_libtpsync "$work/cmake/consumer_static" && fail "consumer_static needs libtpsync.so"

pcpath=$(dirname "$(find "$prefix" -name tpsync.pc | head -n 1)")
export PKG_CONFIG_PATH="$pcpath"
libdir=$(pkg-config --variable=libdir tpsync)

echo "== pkg-config tpsync, no rpath: the loader cannot find libtpsync.so.0"
# shellcheck disable=SC2046
"$cc" $flags -o "$work/consumer_norpath" "$main" $(pkg-config --cflags --libs tpsync)
if $emu "$work/consumer_norpath" 2>"$work/err"; then
	fail "ran without rpath or LD_LIBRARY_PATH: is $prefix in the loader's path?"
fi
grep 'libtpsync.so.0: cannot open shared object file' "$work/err" ||
	fail "unexpected error: $(cat "$work/err")"
echo "== the same with LD_LIBRARY_PATH"
LD_LIBRARY_PATH=$libdir $emu "$work/consumer_norpath"

echo "== pkg-config tpsync with -Wl,-rpath"
# shellcheck disable=SC2046
"$cc" $flags -o "$work/consumer_pc" "$main" $(pkg-config --cflags --libs tpsync) \
	-Wl,-rpath,"$libdir"
$emu "$work/consumer_pc"

echo "== pkg-config tpsync-static"
# shellcheck disable=SC2046
"$cc" $flags -o "$work/consumer_pc_static" "$main" \
	$(pkg-config --static --cflags --libs tpsync-static)
needs_libtpsync "$work/consumer_pc_static" && fail "tpsync-static links libtpsync.so"
$emu "$work/consumer_pc_static"

# expect_rule RULE PROGRAM: PROGRAM RULE must abort, naming RULE on stderr.
expect_rule() {
	rule=$1
	prog=$2
	status=0
	timeout 60 $emu "$prog" "$rule" >"$work/rule.out" 2>"$work/rule.err" || status=$?
	if [ "$status" -ne 134 ] ||
		! grep -q "tpsync: broken rule \"$rule\"" "$work/rule.err"; then
		echo "consumer: $prog $rule: expected an abort naming the rule, got status $status" >&2
		cat "$work/rule.out" "$work/rule.err" >&2
		exit 1
	fi
	echo "$prog: $(head -n 1 "$work/rule.err")"
}
rules="synchronize-in-reader srcu-wrong-index exit-in-reader srcu-mixed-readers rcu-unbalanced"

echo "== debug variant: the same exported symbols as the library"
for lib in libtpsync libtpsync-debug; do
	nm -D --defined-only "$libdir/$lib.so" | awk '{ print $2, $3 }' | sort >"$work/$lib.syms"
done
if ! cmp -s "$work/libtpsync.syms" "$work/libtpsync-debug.syms"; then
	echo "consumer: libtpsync-debug.so does not export what libtpsync.so does:" >&2
	diff "$work/libtpsync.syms" "$work/libtpsync-debug.syms" >&2
	exit 1
fi
echo "$(wc -l <"$work/libtpsync.syms") symbols"

export LD_LIBRARY_PATH="$libdir"
echo "== debug variant: find_package (tpsync::tpsync_debug)"
$emu "$work/cmake/consumer_debug"
for rule in $rules; do
	expect_rule "$rule" "$work/cmake/debug_rules"
done

echo "== debug variant: pkg-config tpsync-debug"
# Relinked only: compiled against tpsync, linked with tpsync-debug (same ABI).
# shellcheck disable=SC2046
"$cc" $flags -c -o "$work/main.o" "$main" $(pkg-config --cflags tpsync)
# shellcheck disable=SC2046
"$cc" $flags -o "$work/consumer_relinked" "$work/main.o" $(pkg-config --libs tpsync-debug)
$emu "$work/consumer_relinked"
# shellcheck disable=SC2046
"$cc" $flags -o "$work/debug_rules_pc" "$src/tests/consumer/project/debug_rules.c" \
	$(pkg-config --cflags --libs tpsync-debug)
for rule in $rules; do
	expect_rule "$rule" "$work/debug_rules_pc"
done
