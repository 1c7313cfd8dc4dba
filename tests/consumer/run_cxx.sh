#!/bin/sh
# SPDX-License-Identifier: MIT
# C++ consumer test: install the build tree into a temporary prefix, then
# build and run a C++ program that uses every flavour and tracepoints,
# with g++ and with clang++, with -Wall -Wextra -Werror: through
# find_package(tpsync CONFIG) (shared and static) and through
# `pkg-config --cflags --libs tpsync`. Each compiler builds one way with
# -std=c++17 and the other with -std=c++20.
#
# In a sanitized build the library needs its compiler's sanitizer runtime:
# the C++ compiler of the same family gets the -fsanitize flags; the other
# one links that runtime first (its own runtime would clash with it).
#
# Usage: run_cxx.sh BUILD_DIR SOURCE_DIR C_COMPILER [SANITIZE]
set -eu
build=$1
src=$2
cc=$3
sanitize=${4:-}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
project=$src/tests/consumer/project_cxx

case "$($cc --version 2>/dev/null | head -n 1)" in
*clang*) cc_family=clang++ ;;
*) cc_family=g++ ;;
esac

cmake --install "$build" --prefix "$prefix" >/dev/null
LD_LIBRARY_PATH=$(dirname "$(find "$prefix" -name 'libtpsync.so' | head -n 1)")
export LD_LIBRARY_PATH
pcdir=$(dirname "$(find "$prefix" -name tpsync.pc | head -n 1)")

for cxx in g++ clang++; do
	if ! command -v "$cxx" >/dev/null 2>&1; then
		echo "consumer_cxx: $cxx not found (cmake/install-deps.sh installs it)" >&2
		exit 1
	fi
	# cflags: compile and link; ldflags: link only (runtimes come first).
	cflags="-Wall -Wextra -Werror"
	ldflags=""
	if [ -n "$sanitize" ]; then
		if [ "$cxx" = "$cc_family" ]; then
			cflags="$cflags -fsanitize=$sanitize -fno-omit-frame-pointer"
		elif [ "$cc_family" = g++ ]; then
			ldflags="-Wl,--no-as-needed"
			for s in $(echo "$sanitize" | tr ',' ' '); do
				case $s in
				address) ldflags="$ldflags $($cc -print-file-name=libasan.so)" ;;
				undefined) ldflags="$ldflags $($cc -print-file-name=libubsan.so)" ;;
				thread) ldflags="$ldflags $($cc -print-file-name=libtsan.so)" ;;
				esac
			done
		else
			echo "== $cxx: skipped (library sanitized by clang, no shared runtime for $cxx)"
			continue
		fi
	fi
	if [ "$cxx" = g++ ]; then
		cmake_std=17 pc_std=20
	else
		cmake_std=20 pc_std=17
	fi

	echo "== $cxx: find_package, C++$cmake_std"
	cmake -S "$project" -B "$work/cmake-$cxx" -DCMAKE_CXX_COMPILER="$cxx" \
		-DCMAKE_CXX_STANDARD="$cmake_std" -DCMAKE_PREFIX_PATH="$prefix" \
		-DCMAKE_CXX_FLAGS="$cflags" -DCMAKE_EXE_LINKER_FLAGS="$ldflags" >/dev/null
	cmake --build "$work/cmake-$cxx" >/dev/null
	"$work/cmake-$cxx/consumer_cxx_shared"
	"$work/cmake-$cxx/consumer_cxx_static"

	echo "== $cxx: pkg-config, C++$pc_std"
	# shellcheck disable=SC2046,SC2086
	"$cxx" -std=c++$pc_std $cflags $ldflags -o "$work/consumer_cxx_pc_$cxx" \
		"$project/main.cpp" $(PKG_CONFIG_PATH=$pcdir pkg-config --cflags --libs tpsync)
	"$work/consumer_cxx_pc_$cxx"
done
