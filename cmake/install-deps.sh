#!/bin/sh
# Installs the Debian packages tpsync needs, only those that are missing.
#
# Usage: cmake/install-deps.sh [test|bench]
# As root on Debian or Ubuntu: runs `apt-get update` (only when something is
# missing) and `apt-get install` for what is missing. Otherwise prints the
# exact command to run and exits 1. No other network access is made.
set -eu

what=${1:-test}
# man-db: `man`, which the README tells users to run on the installed pages.
pkgs="cmake gcc make pkg-config libcmocka-dev liburcu-dev spin doxygen man-db dpkg-dev systemtap-sdt-dev"
# The C++ tests (tests/cxx, the C++ consumer) build with both C++ compilers.
pkgs="$pkgs g++ clang"
# Foreign dpkg architectures the test suite's other targets need.
archs=""
if [ "$what" = bench ]; then
	pkgs="$pkgs gnuplot-nox"
else
	# The -m32 build (gcc-12-multilib, not gcc-multilib: that one conflicts
	# with the aarch64 cross compiler) and the aarch64 one, run under qemu.
	pkgs="$pkgs gcc-12-multilib libc6-dev-i386 libcmocka-dev:i386"
	pkgs="$pkgs gcc-aarch64-linux-gnu qemu-user-static libc6-dev:arm64 libcmocka-dev:arm64"
	archs="i386 arm64"
fi

missing=""
for p in $pkgs; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$status" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done

missing_archs=""
if [ -n "$archs" ] && command -v dpkg >/dev/null 2>&1; then
	have=" $(dpkg --print-architecture) $(dpkg --print-foreign-architectures | tr '\n' ' ') "
	for a in $archs; do
		case "$have" in
		*" $a "*) ;;
		*) missing_archs="$missing_archs $a" ;;
		esac
	done
fi

[ -z "$missing" ] && [ -z "$missing_archs" ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
	echo "tpsync: missing packages:$missing (no apt-get here: install them by hand)" >&2
	exit 1
fi
if [ "$(id -u)" != 0 ]; then
	echo "tpsync: missing packages; run as root:" >&2
	for a in $missing_archs; do
		echo "  dpkg --add-architecture $a" >&2
	done
	echo "  apt-get update && apt-get install -y --no-install-recommends$missing" >&2
	exit 1
fi

for a in $missing_archs; do
	echo "tpsync: adding dpkg architecture $a" >&2
	dpkg --add-architecture "$a"
done
echo "tpsync: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# Other programs (another build on the machine) may hold dpkg's lock: wait.
apt-get -o DPkg::Lock::Timeout=600 update -q >&2
# shellcheck disable=SC2086
apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends $missing >&2
