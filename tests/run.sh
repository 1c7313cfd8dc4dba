#!/bin/sh
# SPDX-License-Identifier: MIT
# The test command: installs what is missing (Debian packages), then
# configures, builds and runs the whole ctest suite in the `debug`
# (ASan+UBSan, model-rule checks) and `tsan` presets. Exits non-zero on any
# failure. Extra arguments go to ctest (e.g. -L unit).
set -eu
cd "$(dirname "$0")/.."

./cmake/install-deps.sh test

jobs=$(nproc 2>/dev/null || echo 2)
status=0
for preset in debug tsan; do
	echo "==== tpsync: preset $preset"
	if cmake --preset "$preset" >/dev/null &&
		cmake --build --preset "$preset" -j "$jobs" &&
		ctest --preset "$preset" "$@"; then
		echo "==== tpsync: preset $preset passed"
	else
		echo "==== tpsync: preset $preset FAILED"
		status=1
	fi
done
exit $status
