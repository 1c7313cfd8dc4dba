#!/bin/sh
# SPDX-License-Identifier: MIT
#
# variant.sh - build one unit test in a build tree of its own, configured
# like the enclosing build plus the CMAKE_ARGs given (the last setting of an
# option wins), and run it as is and with TPSYNC_FORCE_FALLBACK=1.
#
# usage: variant.sh TARGET SOURCE_DIR BUILD_DIR [CMAKE_ARG...]
#
# The presets all build with TPSYNC_DEBUG=ON; the test of the rules that hold
# in every build, and of what release builds tolerate, runs here with
# -DTPSYNC_DEBUG=OFF. Exit 0 when both runs pass, 1 otherwise.
set -u
if [ $# -lt 3 ]; then
	echo "usage: variant.sh TARGET SOURCE_DIR BUILD_DIR [CMAKE_ARG...]" >&2
	exit 1
fi
target=$1
src=$2
build=$3
shift 3
mkdir -p "$build" || exit 1
if ! cmake -S "$src" -B "$build" "$@" -DTPSYNC_BUILD_TESTS=ON -DTPSYNC_BUILD_BENCH=OFF \
	-DTPSYNC_BUILD_EXAMPLES=OFF >"$build/variant-configure.log" 2>&1; then
	tail -n 30 "$build/variant-configure.log" >&2
	echo "variant $target: configure failed" >&2
	exit 1
fi
grep '^TPSYNC_DEBUG:' "$build/CMakeCache.txt"
if ! cmake --build "$build" --target "$target" -j 2 >"$build/variant-build.log" 2>&1; then
	tail -n 30 "$build/variant-build.log" >&2
	echo "variant $target: build failed" >&2
	exit 1
fi
exe="$build/tests/unit/$target"
# A cross build runs its programs through an emulator (see tests/CMakeLists.txt).
emu=${TPSYNC_TEST_EMULATOR:-}
status=0
# shellcheck disable=SC2086
CMOCKA_TEST_ABORT=1 env -u TPSYNC_FORCE_FALLBACK $emu "$exe" || status=1
# shellcheck disable=SC2086
CMOCKA_TEST_ABORT=1 TPSYNC_FORCE_FALLBACK=1 $emu "$exe" || status=1
exit $status
