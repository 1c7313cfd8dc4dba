#!/bin/sh
# SPDX-License-Identifier: MIT
#
# mutation.sh - check that a torture test can fail.
#
# usage: mutation.sh [--runs N] [--seconds S] [--jobs J]
#                    FLAVOUR TARGETS SOURCE_DIR BUILD_DIR [CMAKE_ARG...]
#
# Configures SOURCE_DIR in BUILD_DIR with -DTPSYNC_BROKEN_GP=FLAVOUR (that
# flavour's grace period returns without waiting) plus CMAKE_ARGs (the
# enclosing build's settings), builds only the comma-separated TARGETS, and
# runs each of them N times (default 3) for S seconds (default 3); the last
# run of each target uses the fallback fences (TPSYNC_FORCE_FALLBACK=1).
#
# A target named with a path (examples/live_patch) is that program of the
# build tree, run without arguments, instead of tests/torture/TARGET; all
# its runs use membarrier (live_patch refuses to patch without it, so a
# fallback run would prove nothing).
#
# Passes (exit 0) only when every run detects the broken grace period: a
# non-zero exit or death by a signal. A failed configure or build, a missing
# executable, a run that cannot start (exit 2: the harness's setup error) or
# that hangs is not a detection, and makes this check fail (exit 1). A run
# that exits 77 (the program cannot run here, e.g. live_patch on a kernel
# without membarrier's sync-core) is skipped; at least one run must remain.

set -u

runs=3
seconds=3
jobs=2
while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=$2; shift 2 ;;
	--seconds) seconds=$2; shift 2 ;;
	--jobs) jobs=$2; shift 2 ;;
	--) shift; break ;;
	-*) echo "mutation.sh: unknown option $1" >&2; exit 1 ;;
	*) break ;;
	esac
done
if [ $# -lt 4 ]; then
	echo "usage: mutation.sh [--runs N] [--seconds S] [--jobs J] FLAVOUR TARGETS SOURCE_DIR BUILD_DIR [CMAKE_ARG...]" >&2
	exit 1
fi
flavour=$1
targets=$2
src=$3
build=$4
shift 4

me="mutation_$flavour"
# A cross build runs its programs through an emulator (see tests/CMakeLists.txt).
emu=${TPSYNC_TEST_EMULATOR:-}
# A run that takes this long hangs: the harness stops after at most 2*S s.
limit=$((seconds * 4 + 60))

mkdir -p "$build" || exit 1

examples=OFF
case $targets in
*/*) examples=ON ;;
esac

echo "$me: configuring $build with TPSYNC_BROKEN_GP=$flavour"
if ! cmake -S "$src" -B "$build" "$@" \
	-DTPSYNC_BROKEN_GP="$flavour" -DTPSYNC_BUILD_TESTS=ON \
	-DTPSYNC_BUILD_BENCH=OFF -DTPSYNC_BUILD_EXAMPLES="$examples" \
	>"$build/mutation-configure.log" 2>&1; then
	tail -n 30 "$build/mutation-configure.log" >&2
	echo "$me: FAIL: configure failed (see $build/mutation-configure.log)" >&2
	exit 1
fi
if ! grep -qx "TPSYNC_BROKEN_GP:STRING=$flavour" "$build/CMakeCache.txt"; then
	echo "$me: FAIL: $build is not configured with TPSYNC_BROKEN_GP=$flavour" >&2
	exit 1
fi

failed=0
detected=0
total=0
old_ifs=$IFS
IFS=,
set -f
for target in $targets; do
	IFS=$old_ifs
	case $target in
	*/*) exe="$build/$target" ;;
	*) exe="$build/tests/torture/$target" ;;
	esac
	has_fallback=yes
	case $target in
	*/*) has_fallback=no ;;
	esac
	target=${target##*/}
	echo "$me: building $target"
	if ! cmake --build "$build" --target "$target" -j "$jobs" \
		>"$build/mutation-build-$target.log" 2>&1; then
		tail -n 30 "$build/mutation-build-$target.log" >&2
		echo "$me: FAIL: building $target failed (see $build/mutation-build-$target.log)" >&2
		exit 1
	fi
	if [ ! -x "$exe" ]; then
		echo "$me: FAIL: $exe was not built" >&2
		exit 1
	fi
	i=1
	while [ "$i" -le "$runs" ]; do
		mode=membarrier
		fallback=
		if [ "$i" -eq "$runs" ] && [ "$runs" -gt 1 ] && [ "$has_fallback" = yes ]; then
			mode=fallback
			fallback=1
		fi
		log="$build/mutation-$target-$i.log"
		start=$(date +%s%N)
		# shellcheck disable=SC2086
		if [ -n "$fallback" ]; then
			TPSYNC_FORCE_FALLBACK=1 TPSYNC_TORTURE_SECONDS=$seconds \
				timeout "$limit" $emu "$exe" >"$log" 2>&1
		else
			env -u TPSYNC_FORCE_FALLBACK TPSYNC_TORTURE_SECONDS=$seconds \
				timeout "$limit" $emu "$exe" >"$log" 2>&1
		fi
		rc=$?
		end=$(date +%s%N)
		ms=$(((end - start) / 1000000))
		case $rc in
		77) verdict="skipped (exit 77: cannot run here)" ;;
		0) verdict="NOT DETECTED: the run passed" ;;
		2) verdict="NO VERDICT: the harness could not run (exit 2)" ;;
		124) verdict="NO VERDICT: timed out after $limit s" ;;
		125 | 126 | 127) verdict="NO VERDICT: could not execute (exit $rc)" ;;
		*) verdict="detected" ;;
		esac
		if [ "$rc" -gt 128 ] && [ "$rc" -lt 160 ]; then
			verdict="detected (killed by signal $((rc - 128)))"
		fi
		echo "$me: $target run $i/$runs ($mode): exit $rc after $ms ms: $verdict"
		{
			grep -m 2 'ERROR' "$log"
			grep -E 'pipe histogram|FAIL:|SUMMARY:|runtime error|broken rule' "$log" |
				head -n 3
		} | sed 's/^/    /'
		case $verdict in
		skipped*) ;;
		detected*)
			total=$((total + 1))
			detected=$((detected + 1))
			;;
		*)
			total=$((total + 1))
			failed=1
			tail -n 20 "$log" | sed 's/^/    | /'
			;;
		esac
		i=$((i + 1))
	done
	IFS=,
done
IFS=$old_ifs

if [ "$failed" -ne 0 ] || [ "$total" -eq 0 ]; then
	echo "$me: FAIL: $detected of $total runs detected the broken grace period" >&2
	exit 1
fi
echo "$me: PASS: all $total runs detected the broken grace period"
exit 0
