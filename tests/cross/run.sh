#!/bin/sh
# SPDX-License-Identifier: MIT
#
# run.sh - build tpsync and its tests for another target and run them there:
# -m32 natively, aarch64 under qemu-user (the toolchain file names the
# emulator, which ctest and the tests' own scripts use).
#
# usage: run.sh TOOLCHAIN_FILE SOURCE_DIR BUILD_DIR [CTEST_ARG...]
#
# Configures BUILD_DIR (kept between runs, so a rerun builds only what
# changed) with the toolchain file, TPSYNC_DEBUG=ON and no sanitizers, builds
# the tests, and runs ctest there with CTEST_ARGs (which choose the subset)
# and short torture runs (TPSYNC_TORTURE_SECONDS, 3 s unless set). Exits 77
# (skipped) when the toolchain file's compiler or emulator is missing, the
# ctest status otherwise.
set -u
if [ $# -lt 3 ]; then
	echo "usage: run.sh TOOLCHAIN_FILE SOURCE_DIR BUILD_DIR [CTEST_ARG...]" >&2
	exit 1
fi
toolchain=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
src=$2
build=$3
shift 3
name=$(basename "$toolchain" .cmake)

compiler=$(sed -n 's/^set(CMAKE_C_COMPILER \([^ )]*\)).*/\1/p' "$toolchain")
emulator=$(sed -n 's/^set(CMAKE_CROSSCOMPILING_EMULATOR \([^ )]*\).*/\1/p' "$toolchain")
for tool in $compiler $emulator; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "$name: $tool is missing (cmake/install-deps.sh installs it): skipped"
		exit 77
	fi
done

mkdir -p "$build" || exit 1
echo "$name: configuring $build"
if ! cmake -S "$src" -B "$build" --toolchain "$toolchain" \
	-DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS_DEBUG="-O2 -g" -DTPSYNC_DEBUG=ON \
	-DTPSYNC_SANITIZE= -DTPSYNC_BUILD_TESTS=ON -DTPSYNC_BUILD_BENCH=OFF \
	-DTPSYNC_BUILD_EXAMPLES=OFF >"$build/cross-configure.log" 2>&1; then
	tail -n 30 "$build/cross-configure.log"
	echo "$name: FAIL: configure failed"
	exit 1
fi
start=$(date +%s)
echo "$name: building"
if ! cmake --build "$build" -j 2 >"$build/cross-build.log" 2>&1; then
	grep -E 'error|warning' "$build/cross-build.log" | head -n 30
	tail -n 10 "$build/cross-build.log"
	echo "$name: FAIL: build failed"
	exit 1
fi
echo "$name: built in $(($(date +%s) - start)) s; running ctest $*"
TPSYNC_TORTURE_SECONDS=${TPSYNC_TORTURE_SECONDS:-3}
export TPSYNC_TORTURE_SECONDS
ctest --test-dir "$build" --output-on-failure -j 2 "$@"
status=$?
echo "$name: done in $(($(date +%s) - start)) s, ctest status $status"
exit $status
