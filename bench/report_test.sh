#!/bin/sh
# SPDX-License-Identifier: MIT
# The report from a stored run (testdata/report.jsonl, a quick run on a
# loaded 2-CPU machine): it must open with the machine's load and the
# "which flavour" summary, show sharing in both scenarios with its
# explanation, the oversubscribed thread counts, and speak only of itself.
#
# Usage: report_test.sh TPSYNC_BENCH SOURCE_DIR
set -eu
bench=$1
src=$2

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bench" report "$src/bench/testdata/report.jsonl" --out "$work" >/dev/null
r=$work/report.md

fail() {
	echo "report_test: $*" >&2
	exit 1
}

for want in '| load average (1, 5, 15 min) at the start | 6.08, 6.69, 4.79 |' \
	'**The machine was busy**' \
	'## Which flavour should I use' \
	'| never block or fault; the cheapest reads | classic (`tps_rcu_*`) |' \
	'reads per update' \
	'| flavour | no readers | one reader holding 1 ms |' \
	'| tps-rcu | 1.000 (0.892–1.000) |' \
	'Why: with no readers a grace period takes' \
	'| implementation | 1 | 2 | 4* | 8* |' \
	'## Performance targets'; do
	grep -qF -- "$want" "$r" || fail "missing: $want"
done
# The summary comes before the first measurement section.
s=$(grep -n '^## Which flavour' "$r" | cut -d: -f1)
m=$(grep -n '^## Read side' "$r" | cut -d: -f1)
[ "$s" -lt "$m" ] || fail "the summary is not first"
if grep -niE 'issue|seeds|session|DESIGN' "$r"; then
	fail "the report speaks of something outside the project"
fi
echo "report_test: ok"
