#!/bin/sh
# SPDX-License-Identifier: MIT
# Consumer test: install the build tree into a temporary prefix, then build
# and run a small program against it twice: with find_package(tpsync CONFIG)
# (shared and static) and with `pkg-config --cflags --libs tpsync`.
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

flags=""
if [ -n "$sanitize" ]; then
	flags="-fsanitize=$sanitize -fno-omit-frame-pointer"
fi

cmake --install "$build" --prefix "$prefix" >/dev/null

echo "== find_package"
cmake -S "$src/tests/consumer/project" -B "$work/cmake" -DCMAKE_C_COMPILER="$cc" \
	-DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_FLAGS="$flags" \
	-DCMAKE_EXE_LINKER_FLAGS="$flags" >/dev/null
cmake --build "$work/cmake" >/dev/null
LD_LIBRARY_PATH=$(dirname "$(find "$prefix" -name 'libtpsync.so' | head -n 1)")
export LD_LIBRARY_PATH
"$work/cmake/consumer_shared"
"$work/cmake/consumer_static"

echo "== pkg-config"
pcdir=$(dirname "$(find "$prefix" -name tpsync.pc | head -n 1)")
# shellcheck disable=SC2046,SC2086
"$cc" $flags -o "$work/consumer_pc" "$src/tests/consumer/project/main.c" \
	$(PKG_CONFIG_PATH=$pcdir pkg-config --cflags --libs tpsync)
"$work/consumer_pc"
