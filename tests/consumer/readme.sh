#!/bin/sh
# SPDX-License-Identifier: MIT
# The README's own commands, as written: README.md's "Installing and
# linking" marks its example program, its CMakeLists.txt and the commands
# of the custom-prefix route with a `<!-- consumer_readme: NAME -->` line
# before each fenced block. This test takes those blocks out of the README
# and runs the commands with `sh -eu` from a scratch source directory whose
# build/release is the build tree under test, so that the README cannot
# drift from what works. Each program must print its "ok" line, and the
# static ones must not need libtpsync.so.
#
# In a sanitized build tree the library needs the sanitizer at link time:
# `cc` on the PATH is a wrapper that adds it, and CMake takes it from
# CFLAGS and LDFLAGS.
#
# Usage: readme.sh BUILD_DIR SOURCE_DIR C_COMPILER [SANITIZE]
set -eu
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
cc=$(command -v "$3") # a path: the wrapper named cc below must not find itself
sanitize=${4:-}

readme=$src/README.md
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
unset LD_LIBRARY_PATH PKG_CONFIG_PATH

fail() {
	echo "consumer_readme: $*" >&2
	exit 1
}

# block NAME OUT: the README's block marked NAME, into OUT.
block() {
	sh "$src/tests/consumer/readme_block.sh" "$readme" "$1" "$2"
}

flags=""
if [ -n "$sanitize" ]; then
	flags="-fsanitize=$sanitize -fno-omit-frame-pointer"
fi
mkdir -p "$work/bin" "$work/home" "$work/src/build" "$work/src/myapp"
printf '#!/bin/sh\nexec %s %s "$@"\n' "$cc" "$flags" >"$work/bin/cc"
chmod +x "$work/bin/cc"
ln -s "$build" "$work/src/build/release"

block app.c "$work/src/myapp/app.c"
block CMakeLists.txt "$work/src/myapp/CMakeLists.txt"
block custom-prefix "$work/custom-prefix.sh"
echo "== the README's custom-prefix commands"
cat "$work/custom-prefix.sh"

status=0
(
	cd "$work/src"
	HOME=$work/home PATH=$work/bin:$PATH CC=$cc CFLAGS=$flags LDFLAGS=$flags \
		sh -eu "$work/custom-prefix.sh"
) >"$work/out" 2>&1 || status=$?
if [ "$status" -ne 0 ]; then
	cat "$work/out" >&2
	fail "the README's commands failed (status $status)"
fi

# Five programs run: app, app-norpath, app-static and CMake's two.
runs=$(grep -c '^app: read 100 ms, ok$' "$work/out" || true)
[ "$runs" -eq 5 ] || {
	cat "$work/out" >&2
	fail "$runs programs printed their ok line, expected 5"
}
grep -q 'tps_synchronize_rcu' "$work/out" || fail "man printed no page for tps_synchronize_rcu"
for exe in myapp/app-static myapp/build/app-static; do
	if readelf -d "$work/src/$exe" | grep -q 'NEEDED.*libtpsync'; then
		fail "$exe needs libtpsync.so"
	fi
done
echo "consumer_readme: $runs programs ran, the man page was found"
