#!/bin/sh
# SPDX-License-Identifier: MIT
# Writes to OUT the fenced block of README.md that follows the line
# "<!-- consumer_readme: NAME -->"; fails when there is none, or it is empty.
#
# Usage: readme_block.sh README NAME OUT
set -eu
awk -v tag="<!-- consumer_readme: $2 -->" '
	$0 == tag { armed = 1; next }
	armed && /^```/ { if (inside) exit; inside = 1; next }
	inside { print }
' "$1" >"$3"
if [ ! -s "$3" ]; then
	echo "readme_block: $1 has no block marked \"consumer_readme: $2\"" >&2
	exit 1
fi
