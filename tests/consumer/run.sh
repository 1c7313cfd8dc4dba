#!/bin/sh
# SPDX-License-Identifier: MIT
# Consumer test: install the build tree into a temporary prefix, then build
# and run a small program against it twice: with find_package(tpsync CONFIG)
# (shared and static) and with `pkg-config --cflags --libs tpsync`. Then the
# debug variant, both ways: the program relinked with it and run, and a
# program that breaks rules, which must abort naming each rule.
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

# A cross or -m32 build (tests/cross) sets, in the environment, its toolchain
# file, its C flags and the emulator that runs its programs (qemu-user).
toolchain=${TPSYNC_TEST_TOOLCHAIN:-}
emu=${TPSYNC_TEST_EMULATOR:-}
flags=${TPSYNC_TEST_CFLAGS:-}
if [ -n "$sanitize" ]; then
	flags="$flags -fsanitize=$sanitize -fno-omit-frame-pointer"
fi

cmake --install "$build" --prefix "$prefix" >/dev/null

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
LD_LIBRARY_PATH=$(dirname "$(find "$prefix" -name 'libtpsync.so' | head -n 1)")
export LD_LIBRARY_PATH
$emu "$work/cmake/consumer_shared"
$emu "$work/cmake/consumer_static"

echo "== pkg-config"
pcdir=$(dirname "$(find "$prefix" -name tpsync.pc | head -n 1)")
# shellcheck disable=SC2046,SC2086
"$cc" $flags -o "$work/consumer_pc" "$src/tests/consumer/project/main.c" \
	$(PKG_CONFIG_PATH=$pcdir pkg-config --cflags --libs tpsync)
$emu "$work/consumer_pc"

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
libdir=$(dirname "$(find "$prefix" -name 'libtpsync.so' | head -n 1)")
for lib in libtpsync libtpsync-debug; do
	nm -D --defined-only "$libdir/$lib.so" | awk '{ print $2, $3 }' | sort >"$work/$lib.syms"
done
if ! cmp -s "$work/libtpsync.syms" "$work/libtpsync-debug.syms"; then
	echo "consumer: libtpsync-debug.so does not export what libtpsync.so does:" >&2
	diff "$work/libtpsync.syms" "$work/libtpsync-debug.syms" >&2
	exit 1
fi
echo "$(wc -l <"$work/libtpsync.syms") symbols"

echo "== debug variant: find_package (tpsync::tpsync_debug)"
$emu "$work/cmake/consumer_debug"
for rule in $rules; do
	expect_rule "$rule" "$work/cmake/debug_rules"
done

echo "== debug variant: pkg-config tpsync-debug"
# Relinked only: compiled against tpsync, linked with tpsync-debug (same ABI).
# shellcheck disable=SC2046,SC2086
"$cc" $flags -c -o "$work/main.o" "$src/tests/consumer/project/main.c" \
	$(PKG_CONFIG_PATH=$pcdir pkg-config --cflags tpsync)
# shellcheck disable=SC2046,SC2086
"$cc" $flags -o "$work/consumer_relinked" "$work/main.o" \
	$(PKG_CONFIG_PATH=$pcdir pkg-config --libs tpsync-debug)
$emu "$work/consumer_relinked"
# shellcheck disable=SC2046,SC2086
"$cc" $flags -o "$work/debug_rules_pc" "$src/tests/consumer/project/debug_rules.c" \
	$(PKG_CONFIG_PATH=$pcdir pkg-config --cflags --libs tpsync-debug)
for rule in $rules; do
	expect_rule "$rule" "$work/debug_rules_pc"
done
