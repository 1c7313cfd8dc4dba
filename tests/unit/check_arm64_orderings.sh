#!/bin/sh
# SPDX-License-Identifier: MIT
#
# check_arm64_orderings.sh - compile the ordering-sensitive code for AArch64
# without LSE (ARMv8.0, inline ldaxr/stlxr loops) and check the assembly: a
# seq_cst RMW does not order the loads after it there, so every place that
# needs store-load order after an RMW must show its ldar or dmb.
#
# usage: check_arm64_orderings.sh SOURCE_DIR CONFIG_INCLUDE_DIR
# Exit 0 when every check passes, 1 otherwise, 77 (skipped) without
# aarch64-linux-gnu-gcc.
set -u
src=$1
cfg=$2
cc=aarch64-linux-gnu-gcc
command -v $cc >/dev/null 2>&1 || { echo "no $cc: skipped"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
flags="-O2 -std=gnu11 -march=armv8-a -mno-outline-atomics -D_GNU_SOURCE -I$src/include -I$cfg -I$src/lib"

# body FILE FUNCTION: the instructions of FUNCTION in FILE, one a line.
body() {
	awk -v f="$2" '$0 == f":" {on = 1; next} on && /^\t\.size/ {exit} on && /^\t[a-z]/ {print $1}' "$1"
}

status=0
fail() {
	echo "FAIL: $*"
	status=1
}

$cc $flags -S "$src/tests/unit/arm64_orderings.c" -o "$work/t.s" || exit 1
$cc $flags -S "$src/lib/srcu.c" -o "$work/srcu.s" || exit 1
$cc $flags -fsanitize=thread -Werror -S "$src/tests/unit/arm64_orderings.c" -o "$work/tsan.s" || exit 1

# (U): the load of the waiters word after the increment is a load-acquire.
for f in unlock_classic unlock_fast; do
	body "$work/t.s" $f | grep -qx ldar || fail "(U) $f: no ldar of the waiters word"
done
# (XP): a dmb after the exchange's stlxr, before the next load.
body "$work/t.s" xchg_then_load | awk '/^stlxr/ {x = 1} x && /^dmb/ {ok = 1} x && !ok && /^ldr$/ {exit} END {exit !ok}' ||
	fail "(XP) tps_rcu_xchg_pointer: no dmb after the exchange"
# (X): in tps__srcu_wake(), a dmb after the wakers increment, before the first plain load.
body "$work/srcu.s" tps__srcu_wake | awk '/^stlxr/ {x = 1} x && /^dmb/ {ok = 1} x && !ok && /^ldr$/ {exit} END {exit !ok}' ||
	fail "(X) tps__srcu_wake: no dmb between the wakers increment and the loads"
# tps_smp_mb(): a dmb; in the tsan build, ThreadSanitizer's fence (a real one), not an RMW.
body "$work/t.s" full_fence | grep -q '^dmb' || fail "tps_smp_mb: no dmb"
grep -q '__tsan_atomic_thread_fence' "$work/tsan.s" || fail "tps_smp_mb (tsan): no fence"
[ $status -eq 0 ] && echo "arm64 orderings: ldar (U), dmb (X), dmb (XP), fences: ok"
exit $status
