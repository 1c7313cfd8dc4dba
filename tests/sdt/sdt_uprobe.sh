#!/bin/sh
# SPDX-License-Identifier: MIT
# The SDT probe of a tpsync tracepoint, seen by the kernel: reads the probe's
# address, semaphore and argument locations from BINARY's .note.stapsdt,
# converts both addresses to file offsets, attaches a uprobe with that
# semaphore through tracefs uprobe_events, runs BINARY and checks the events
# and their argument values in the trace buffer. Skipped (77) without root
# or tracefs.
# Usage: sdt_uprobe.sh BINARY
set -eu
bin=$(readlink -f "$1")
provider=sdttest
name=req_end

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: uprobe_events needs root"
	exit 77
fi
command -v readelf >/dev/null || { echo "SKIP: no readelf"; exit 77; }

mounted=""
tracefs=""
for d in /sys/kernel/tracing /sys/kernel/debug/tracing; do
	if [ -w "$d/uprobe_events" ]; then
		tracefs=$d
		break
	fi
done
if [ -z "$tracefs" ]; then
	mounted=$(mktemp -d)
	if ! mount -t tracefs nodev "$mounted" 2>/dev/null || [ ! -w "$mounted/uprobe_events" ]; then
		rmdir "$mounted" 2>/dev/null || true
		echo "SKIP: no tracefs with uprobe_events (mount -t tracefs failed)"
		exit 77
	fi
	tracefs=$mounted
fi

group=tpsync_test
event=${name}_$$
out=$(mktemp)
cleanup() {
	if [ -d "$tracefs/events/$group/$event" ]; then
		echo 0 >"$tracefs/events/$group/$event/enable" || true
		echo "-:$group/$event" >>"$tracefs/uprobe_events" || true
	fi
	rm -f "$out"
	if [ -n "$mounted" ]; then
		umount "$mounted" 2>/dev/null || true
		rmdir "$mounted" 2>/dev/null || true
	fi
}
trap cleanup EXIT

# The note: "Provider: P", "Name: N", "Location: 0x.., Base: 0x.., Semaphore:
# 0x..", "Arguments: -4@%esi -8@%rdx" (one probe per translation unit that
# fires it; this program has one).
note=$(readelf -nW "$bin" | awk -v p="$provider" -v n="$name" '
	/Provider:/ { prov = $0; sub(/.*Provider: */, "", prov); sub(/ .*/, "", prov) }
	/Name:/ { nm = $0; sub(/.*Name: */, "", nm); sub(/ .*/, "", nm) }
	/Location:/ && prov == p && nm == n { loc = $2; sem = $6; sub(",", "", loc) }
	/Arguments:/ && prov == p && nm == n && loc != "" && !done {
		$1 = ""; print loc, sem, $0; done = 1 }')
[ -n "$note" ] || { echo "FAIL: no SDT note $provider:$name in $bin"; exit 1; }
set -- $note
loc=$1
sem=$2
shift 2
echo "note: location $loc semaphore $sem arguments $*"
[ "$sem" != "0x0000000000000000" ] || { echo "FAIL: the probe has no semaphore"; exit 1; }

# Virtual address -> file offset, through the LOAD segment that maps it.
file_offset() {
	v=$(($1))
	readelf -lW "$bin" | while read -r type off va pa fsz rest; do
		[ "$type" = LOAD ] || continue
		if [ "$v" -ge $((va)) ] && [ "$v" -lt $((va + fsz)) ]; then
			printf '0x%x\n' $((v - va + off))
			break
		fi
	done
}
loc_off=$(file_offset "$loc")
sem_off=$(file_offset "$sem")
[ -n "$loc_off" ] && [ -n "$sem_off" ] || { echo "FAIL: addresses outside the file"; exit 1; }

# SDT argument "-4@%r12d" or "-8@-24(%rbp)" -> uprobe fetch argument.
fetcharg() {
	size=${1%%@*}
	where=${1#*@}
	case $size in
	-1) type=s8 ;; 1) type=u8 ;; -2) type=s16 ;; 2) type=u16 ;;
	-4) type=s32 ;; 4) type=u32 ;; -8) type=s64 ;; *) type=u64 ;;
	esac
	reg=$(echo "$where" | sed -E 's/.*%([a-z0-9]+).*/\1/;
		s/^[er]?(ax|bx|cx|dx|si|di|bp|sp)$/\1/; s/^(r[0-9]+)[dwb]?$/\1/;
		s/^(a|b|c|d)l$/\1x/; s/^(si|di|bp|sp)l$/\1/')
	case $where in
	*"("*)
		disp=${where%%(*}
		case $disp in -*) ;; *) disp="+${disp:-0}" ;; esac
		echo "${disp}(%$reg):$type"
		;;
	*) echo "%$reg:$type" ;;
	esac
}
args="id=$(fetcharg "$1") us=$(fetcharg "$2")"

probe="p:$group/$event $bin:$loc_off($sem_off) $args"
echo "uprobe_events: $probe"
echo "$probe" >>"$tracefs/uprobe_events"
echo >"$tracefs/trace"
echo 1 >"$tracefs/tracing_on"
echo 1 >"$tracefs/events/$group/$event/enable"
run=$("$bin")
echo "$run"
echo 0 >"$tracefs/events/$group/$event/enable"
grep "$event:" "$tracefs/trace" >"$out" || true
cat "$out"

status=0
[ "$run" = "enabled at 5 of 5 call sites" ] || { echo "FAIL: the semaphore was not seen"; status=1; }
for id in 1 2 3 4 5; do
	us=$((id * 1000 + 7))
	grep -q "$event: (.*) id=$id us=$us\$" "$out" || {
		echo "FAIL: no event id=$id us=$us"
		status=1
	}
done
n=$(wc -l <"$out")
[ "$n" -eq 5 ] || { echo "FAIL: $n events, not 5"; status=1; }
[ $status = 0 ] && echo "5 SDT events with the right arguments, through the semaphore"
exit $status
