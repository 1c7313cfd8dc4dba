#!/bin/sh
# SPDX-License-Identifier: MIT
# The consumer test against a release build (TPSYNC_DEBUG=OFF, no
# sanitizers), as a distribution would install it: there, only the debug
# variant (libtpsync-debug) reports broken rules, and the test checks that
# it does.
#
# Usage: release.sh SOURCE_DIR BUILD_DIR C_COMPILER
set -eu
src=$1
build=$2
cc=$3

mkdir -p "$build"
if ! cmake -S "$src" -B "$build" -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=Release \
	-DTPSYNC_DEBUG=OFF -DTPSYNC_SANITIZE= -DTPSYNC_BUILD_TESTS=OFF \
	-DTPSYNC_BUILD_BENCH=OFF -DTPSYNC_BUILD_EXAMPLES=OFF >"$build/release-configure.log" 2>&1; then
	tail -n 30 "$build/release-configure.log" >&2
	exit 1
fi
if ! cmake --build "$build" -j 2 >"$build/release-build.log" 2>&1; then
	tail -n 30 "$build/release-build.log" >&2
	exit 1
fi
exec sh "$src/tests/consumer/run.sh" "$build" "$src" "$cc" ""
