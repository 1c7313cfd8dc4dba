#!/bin/sh
# Installs the Debian packages tpsync needs, only those that are missing.
#
# Usage: cmake/install-deps.sh [test|bench]
# As root on Debian or Ubuntu: runs `apt-get update` (only when something is
# missing) and `apt-get install` for what is missing. Otherwise prints the
# exact command to run and exits 1. No other network access is made.
set -eu

what=${1:-test}
pkgs="cmake gcc make pkg-config libcmocka-dev liburcu-dev spin systemtap-sdt-dev"
# The C++ tests (tests/cxx, the C++ consumer) build with both C++ compilers.
pkgs="$pkgs g++ clang"
if [ "$what" = bench ]; then
	pkgs="$pkgs gnuplot-nox"
fi

missing=""
for p in $pkgs; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$status" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done

[ -z "$missing" ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
	echo "tpsync: missing packages:$missing (no apt-get here: install them by hand)" >&2
	exit 1
fi
if [ "$(id -u)" != 0 ]; then
	echo "tpsync: missing packages; run as root:" >&2
	echo "  apt-get update && apt-get install -y --no-install-recommends$missing" >&2
	exit 1
fi

echo "tpsync: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >&2
