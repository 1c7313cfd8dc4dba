#!/bin/sh
# SPDX-License-Identifier: MIT
# Consumer test of the liburcu interoperability: install the build tree into
# a temporary prefix, then build and run
#  - cds_lfht over tpsync through find_package(tpsync) and tpsync::tpsync_urcu,
#  - the same through `pkg-config tpsync-urcu`,
#  - a liburcu-style program through the installed compat headers
#    (-I<prefix>/include/tpsync/compat) and `pkg-config tpsync`.
#
# Usage: urcu.sh BUILD_DIR SOURCE_DIR C_COMPILER [SANITIZE]
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
libdir=$(dirname "$(find "$prefix" -name 'libtpsync.so' | head -n 1)")
pcdir=$(dirname "$(find "$prefix" -name tpsync-urcu.pc | head -n 1)")
incdir=$prefix/include
LD_LIBRARY_PATH=$libdir
export LD_LIBRARY_PATH

echo "== find_package: tpsync::tpsync_urcu"
cmake -S "$src/tests/consumer/urcu_project" -B "$work/cmake" -DCMAKE_C_COMPILER="$cc" \
	-DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_FLAGS="$flags" \
	-DCMAKE_EXE_LINKER_FLAGS="$flags" >/dev/null
cmake --build "$work/cmake" >/dev/null
"$work/cmake/consumer_lfht"

echo "== pkg-config tpsync-urcu"
# shellcheck disable=SC2046,SC2086
"$cc" $flags -o "$work/lfht_pc" "$src/tests/consumer/urcu_project/lfht.c" \
	$(PKG_CONFIG_PATH=$pcdir pkg-config --cflags --libs tpsync-urcu)
"$work/lfht_pc"

echo "== compat headers + pkg-config tpsync"
for def in "" "-DTPS_URCU_FLAVOR_TASKS_TRACE=1"; do
	# shellcheck disable=SC2046,SC2086
	"$cc" $flags $def -I"$incdir/tpsync/compat" -o "$work/urcu_style" \
		"$src/tests/compat/urcu_style.c" \
		$(PKG_CONFIG_PATH=$pcdir pkg-config --cflags --libs tpsync)
	"$work/urcu_style"
done
