#!/bin/sh
# SPDX-License-Identifier: MIT
# `cmake --install` from a build tree where only part of what it installs
# was built (only the shared library here, as when only one executable was
# built) must fail and install nothing; once `tpsync_installable` is built,
# it must install everything.
#
# Usage: install_incomplete.sh SOURCE_DIR C_COMPILER
set -eu
src=$1
cc=$2

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cmake -S "$src" -B "$work/build" -DCMAKE_C_COMPILER="$cc" -DTPSYNC_BUILD_TESTS=OFF \
	-DTPSYNC_BUILD_BENCH=OFF -DTPSYNC_BUILD_EXAMPLES=OFF -DTPSYNC_BUILD_DOCS=OFF >/dev/null
cmake --build "$work/build" --target tpsync >/dev/null

echo "== install after building only the shared library: must fail"
if cmake --install "$work/build" --prefix "$work/partial" >"$work/out" 2>&1; then
	cat "$work/out"
	echo "install_incomplete: cmake --install succeeded from an incomplete build" >&2
	exit 1
fi
grep 'not built yet, nothing installed' "$work/out"
if [ -e "$work/partial" ] && [ -n "$(find "$work/partial" ! -type d)" ]; then
	find "$work/partial" ! -type d >&2
	echo "install_incomplete: files were installed anyway" >&2
	exit 1
fi

echo "== after building tpsync_installable: must install everything"
cmake --build "$work/build" --target tpsync_installable >/dev/null
cmake --install "$work/build" --prefix "$work/full" >/dev/null
for f in libtpsync.a libtpsync.so pkgconfig/tpsync.pc pkgconfig/tpsync-static.pc \
	cmake/tpsync/tpsyncConfig.cmake; do
	[ -n "$(find "$work/full" -path "*/$f")" ] || {
		echo "install_incomplete: $f not installed" >&2
		exit 1
	}
done
echo "install_incomplete: ok"
