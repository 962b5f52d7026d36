#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# run.sh - every benchmark (make bench). Not part of make test: they take
# minutes and print figures, they assert nothing.
set -u
cd "$(dirname "$0")/../.." || exit 1
status=0
for b in tools/bench/xdp/run.sh tools/bench/pipeline/run.sh tools/bench/fleet/run.sh; do
	echo "==== $b"
	bash "$b" "$@" || status=1
done
exit $status
