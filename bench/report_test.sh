#!/bin/sh
# SPDX-License-Identifier: MIT
# The report from a stored run (testdata/report.jsonl, a quick run on a
# loaded 2-CPU machine): it must open with the machine's load and the
# "which flavour" summary, with a row for every flavour and the QSBR and
# RCU Tasks comparisons, show sharing in both scenarios with its
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

for want in '| load average (1, 5, 15 min) at the start | 1.75, 2.95, 2.00 |' \
	'**The machine was busy**' \
	'## Which flavour should I use' \
	'| never block or fault; the cheapest reads | classic (`tps_rcu_*`) | 0.89 ns | 70.0 ns | 8.6 µs | 1.00 ms |' \
	'| QSBR (`tps_qsbr_*`) | 0.30 ns | 70.0 ns | 431.0 ns | 1.00 ms |' \
	'| RCU Tasks (`tps_*_rcu_tasks`) | no marking | 3.4 µs | 100.9 µs | 972.5 µs |' \
	'| for comparison: liburcu'"'"'s QSBR flavour | `urcu-qsbr` | 0.30 ns | 110.0 ns | 681.0 ns | 1.00 ms |' \
	'reads per update' \
	'- QSBR: a tps-qsbr reader costs 0.30 ns per pair, liburcu'"'"'s urcu-qsbr 0.30 ns (ratio 1.00;' \
	'takes 431.0 ns at p50 against urcu-qsbr'"'"'s 681.0 ns (ratio 0.63)' \
	'pays 10.9 ns per access: 12.21 times a classic reader, 12.20 times a tasks-trace one, 1.01 times an SRCU one, 5.21 times an srcu-fast one.' \
	'- RCU Tasks: nothing on the read side;' \
	'3.4 µs at p50 with no readers and 100.9 µs with busy readers, against 70.0 ns and 8.6 µs for the classic flavour' \
	'| flavour | no readers | one reader holding 1 ms |' \
	'| tps-rcu | 0.750 (0.692–0.996) | 0.444 (0.429–0.828) |' \
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

# The registered axis of gp: its table, its summary line and its targets,
# from rows of two flavours at 1 and 1,024 registered threads (the same
# "threads" and "scenario" at both counts: only "registered" tells them apart).
reg=$work/registered
mkdir "$reg"
{
	head -n 1 "$src/bench/testdata/report.jsonl"
	for row in tps-rcu:1:400 tps-rcu:1024:4000 tps-trace:1:300 tps-trace:1024:9000 \
		urcu-memb:1:500 urcu-memb:1024:10000; do
		impl=${row%%:*}
		rest=${row#*:}
		n=${rest%%:*}
		p50=${rest#*:}
		printf '{"bench":"gp","impl":"%s","threads":0,"unit":"ns","median":%s,' "$impl" "$p50"
		printf '"min":%s,"max":%s,"runs":1,"p50":%s,"p90":%s,"p99":%s,"samples":1,' \
			"$p50" "$p50" "$p50" "$p50" "$p50"
		printf '"scenario":"registered","registered":%s}\n' "$n"
	done
} >"$reg/r.jsonl"
"$bench" report "$reg/r.jsonl" >/dev/null
for want in '| registered | tps-rcu | tps-trace | tps-srcu | urcu-memb |' \
	'| 1 | 400.0 ns | 300.0 ns | – | 500.0 ns |' \
	'| 1024 | 4.0 µs | 9.0 µs | – | 10.0 µs |' \
	'0.40 and 0.90 × urcu-memb (targets ≤ 0.5 and ≤ 1.0: PASS, PASS); with one, 0.80 and 0.60' \
	'| grace period, 1,024 registered idle threads, p50: tps-rcu / urcu-memb | 0.400 | ≤ 0.5 | **PASS** |'; do
	grep -qF -- "$want" "$reg/report.md" || fail "registered axis: missing: $want"
done
[ -s "$reg/plots.gp" ] && grep -q 'gp-registered.png' "$reg/plots.gp" ||
	fail "registered axis: no plot"

# The SDT table (`tracepoint-sdt`): its rows, and the target it answers.
sdt=$work/sdt
mkdir "$sdt"
{
	head -n 1 "$src/bench/testdata/report.jsonl"
	for row in empty:0.3 disabled:0.3 disabled-nosdt:0.3 normal-1:4.2 normal-1-nosdt:4.5; do
		printf '{"bench":"tracepoint-sdt","impl":"%s","threads":1,"unit":"ns",' "${row%%:*}"
		printf '"median":%s,"min":%s,"max":%s,"runs":1}\n' "${row#*:}" "${row#*:}" "${row#*:}"
	done
} >"$sdt/r.jsonl"
"$bench" report "$sdt/r.jsonl" >/dev/null
for want in 'What the SDT probe costs (`tracepoint-sdt`' \
	'| normal-1-nosdt | 4.50 ns (4.50 ns–4.50 ns) | 4.20 ns |' \
	'| tracepoint with one probe and its SDT probe / without (`tracepoint-sdt`) | 0.933 | ≤ 1.1 | **PASS** |'; do
	grep -qF -- "$want" "$sdt/report.md" || fail "SDT table: missing: $want"
done

echo "report_test: ok"
