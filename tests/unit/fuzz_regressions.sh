#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# fuzz_regressions.sh - every fuzz target run once over its seeds and over the inputs
# of past findings (tests/fuzz/regressions/NAME/): a fixed bug stays fixed. The
# properties are the targets' own (see tests/fuzz/fuzz_*.c); fuzzing for a time is
# the fuzz tier (tests/run.sh fuzz) and make fuzz.
. "$(dirname "$0")/../lib.sh"

names=()
for src in "$TOP"/tests/fuzz/fuzz_*.c; do
	n=$(basename "$src" .c)
	names+=("${n#fuzz_}")
done
if [ "${#names[@]}" -eq 0 ]; then
	fail "fuzz targets" "none under tests/fuzz"
	exit 1
fi
"$TOP/tests/fuzz/run.sh" --replay "${names[@]}"
