#!/bin/sh
# SPDX-License-Identifier: MIT
# The Debian packages: build them with CPack from this build tree, check
# their names, dependencies and contents, extract them (dpkg-deb -x) into a
# scratch root, and build and run a program against that root with CMake
# (CMAKE_PREFIX_PATH) and pkg-config (PKG_CONFIG_PATH, rpath), shared and
# static. The cpack command is the one README.md's "Debian packages"
# gives, with the packages' directory in the scratch directory. Last, the
# README's commands for an installed tpsync (its block marked
# "consumer_readme: system", on its first program and CMakeLists.txt) run
# as written, with the tools pointed at the extracted root through the
# environment (PKG_CONFIG_PATH, CMAKE_PREFIX_PATH, LD_LIBRARY_PATH) as
# /usr would need none.
#
# Usage: deb.sh BUILD_DIR SOURCE_DIR C_COMPILER [SANITIZE]
set -eu
build=$1
src=$2
cc=$(command -v "$3") # a path: the wrapper named cc below must not find itself
sanitize=${4:-}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
main=$src/tests/consumer/project/main.c
unset LD_LIBRARY_PATH

flags=""
if [ -n "$sanitize" ]; then
	flags="-fsanitize=$sanitize -fno-omit-frame-pointer"
fi

fail() {
	echo "deb: $*" >&2
	exit 1
}

echo "== cpack"
cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work/pkg" >"$work/cpack.log" 2>&1 ||
	{
		cat "$work/cpack.log"
		fail "cpack failed"
	}
rt=$(find "$work/pkg" -maxdepth 1 -name 'libtpsync0_*.deb')
dev=$(find "$work/pkg" -maxdepth 1 -name 'libtpsync-dev_*.deb')
[ -n "$rt" ] || fail "no libtpsync0 package"
[ -n "$dev" ] || fail "no libtpsync-dev package"
ls "$work/pkg"/*.deb

echo "== dependencies"
version=$(dpkg-deb -f "$rt" Version)
dpkg-deb -f "$rt" Depends
dpkg-deb -f "$rt" Depends | grep -q 'libc6' || fail "libtpsync0 does not depend on libc6"
dpkg-deb -f "$dev" Depends
dpkg-deb -f "$dev" Depends | grep -q "libtpsync0 (= $version)" ||
	fail "libtpsync-dev does not depend on libtpsync0 (= $version)"

echo "== contents"
dpkg-deb -c "$rt" >"$work/rt.txt"
dpkg-deb -c "$dev" >"$work/dev.txt"
grep -q 'libtpsync\.so\.0$\|libtpsync\.so\.0 ->' "$work/rt.txt" || fail "libtpsync0 lacks libtpsync.so.0"
for f in include/tpsync/ libtpsync\\.a /usr/share/man; do
	grep -q "$f" "$work/rt.txt" && fail "libtpsync0 holds $f"
done
for f in include/tpsync/rcu.h include/tpsync/config.h 'libtpsync\.a' 'libtpsync\.so ->' \
	pkgconfig/tpsync.pc pkgconfig/tpsync-static.pc cmake/tpsync/tpsyncConfig.cmake \
	man3/tps_synchronize_rcu.3; do
	grep -q "$f" "$work/dev.txt" || fail "libtpsync-dev lacks $f"
done

dpkg-deb -x "$rt" "$root"
dpkg-deb -x "$dev" "$root"
pcpath=$(dirname "$(find "$root" -name tpsync.pc | head -n 1)")
export PKG_CONFIG_PATH="$pcpath"
libdir=$(pkg-config --variable=libdir tpsync)
case "$libdir" in
"$root"/usr/*) ;;
*) fail "tpsync.pc's libdir is $libdir, not under the extracted root" ;;
esac

echo "== pkg-config tpsync, rpath"
# shellcheck disable=SC2046,SC2086
"$cc" $flags -o "$work/app" "$main" $(pkg-config --cflags --libs tpsync) -Wl,-rpath,"$libdir"
"$work/app"

echo "== pkg-config tpsync-static"
# shellcheck disable=SC2046,SC2086
"$cc" $flags -o "$work/app_static" "$main" $(pkg-config --static --cflags --libs tpsync-static)
readelf -d "$work/app_static" | grep -q 'NEEDED.*libtpsync' && fail "static program needs libtpsync.so"
"$work/app_static"

echo "== find_package"
cmake -S "$src/tests/consumer/project" -B "$work/cmake" -DCMAKE_C_COMPILER="$cc" \
	-DCMAKE_PREFIX_PATH="$root/usr" -DCMAKE_C_FLAGS="$flags" \
	-DCMAKE_EXE_LINKER_FLAGS="$flags" >/dev/null
cmake --build "$work/cmake" >/dev/null
"$work/cmake/consumer_shared"
"$work/cmake/consumer_static"

echo "== the README's commands for an installed tpsync"
readme=$src/README.md
mkdir -p "$work/bin" "$work/user/myapp"
printf '#!/bin/sh\nexec %s %s "$@"\n' "$cc" "$flags" >"$work/bin/cc"
chmod +x "$work/bin/cc"
for b in app.c CMakeLists.txt; do
	sh "$src/tests/consumer/readme_block.sh" "$readme" "$b" "$work/user/myapp/$b"
done
sh "$src/tests/consumer/readme_block.sh" "$readme" system "$work/system.sh"
cat "$work/system.sh"
status=0
(
	cd "$work/user"
	PATH=$work/bin:$PATH CC=$cc CFLAGS=$flags LDFLAGS=$flags CMAKE_PREFIX_PATH=$root/usr \
		LD_LIBRARY_PATH=$libdir sh -eu "$work/system.sh"
) >"$work/system.out" 2>&1 || status=$?
if [ "$status" -ne 0 ]; then
	cat "$work/system.out" >&2
	fail "the README's commands failed (status $status)"
fi
runs=$(grep -c '^app: read 100 ms, ok$' "$work/system.out" || true)
[ "$runs" -eq 4 ] || {
	cat "$work/system.out" >&2
	fail "$runs programs printed their ok line, expected 4"
}
for exe in myapp/app-static myapp/build/app-static; do
	readelf -d "$work/user/$exe" | grep -q 'NEEDED.*libtpsync' && fail "$exe needs libtpsync.so"
done
echo "deb: $runs programs ran"
