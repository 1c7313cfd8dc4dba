#!/bin/sh
# SPDX-License-Identifier: MIT
# Builds the release preset, runs the whole benchmark suite and its report.
#
# Usage: bench/run.sh [--quick|--full] [other tpsync-bench options]
#
# Installs missing Debian packages first (cmake/install-deps.sh bench), then
# runs `tpsync-bench all` (--quick unless --full is given), which writes its
# JSON lines to bench-results/<date>-<revision>/results.jsonl and then
# report.md, plots.gp and the PNG plots next to them.
# Options are passed on to tpsync-bench all. Works from any directory.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

mode=--quick
for arg; do
	case "$arg" in
	--quick | --full) mode= ;;
	-h | --help)
		sed -n '3,11s/^# \{0,1\}//p' "$0"
		exit 0
		;;
	esac
done

cmake/install-deps.sh bench
cmake --preset release
# The benchmark and what `cmake --install` installs: quicker than
# the whole tree, and independent of the tests' state.
cmake --build --preset release -j2 --target tpsync-bench tpsync_installable

# The revision goes into the results' context record too (the build may
# have been configured at an older one); without one it says "unknown".
if rev=$(git rev-parse --short HEAD 2>/dev/null); then
	export TPSYNC_GIT_REVISION="$rev"
else
	rev=norev
fi
out="bench-results/$(date +%Y%m%d-%H%M%S)-$rev"
mkdir -p "$out"

bench=build/release/bench/tpsync-bench
# `all` writes the report beside the JSON lines. A measurement that could
# not run makes it fail; the report is still written from what was
# measured, and the status is kept for the end.
status=0
# shellcheck disable=SC2086 # $mode is empty or one word
"$bench" all $mode "$@" --json "$out/results.jsonl" || status=$?

echo "results: $root/$out/results.jsonl"
echo "report:  $root/$out/report.md"
exit "$status"
