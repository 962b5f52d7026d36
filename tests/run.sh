#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# run.sh - run every test tier and end with "N passed, N failed".
# Usage: tests/run.sh [unit|bpf|e2e|fuzz]...  (all tiers by default)
# The fuzz tier runs each libFuzzer target FUZZ_SMOKE_SECONDS (15) as a smoke test.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP" || exit 1
BUILD=${BUILD:-build}
LOGDIR=$BUILD/test-logs
mkdir -p "$LOGDIR"
tiers=${*:-unit bpf e2e fuzz}
passed=0 failed=0 skipped=0

run_one() { # NAME TIMEOUT CMD...
	local name=$1 limit=$2; shift 2
	local log=$LOGDIR/${name//\//-}.log rc p f s
	echo "== $name"
	timeout --kill-after=10 "$limit" "$@" >"$log" 2>&1
	rc=$?
	grep -aE '(^|[[:space:]])(FAIL|SKIP): |^  ' "$log" | grep -av 'PASS: ' | cut -c1-300 || true
	# A child's unterminated output may sit before a result on its line: count results
	# at the start of a line or after blanks.
	p=$(grep -aoE '(^|[[:space:]])PASS: ' "$log" | wc -l)
	f=$(grep -aoE '(^|[[:space:]])FAIL: ' "$log" | wc -l)
	s=$(grep -aoE '(^|[[:space:]])SKIP: ' "$log" | wc -l)
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		# A crash, a sanitizer report or a timeout is a failure too.
		echo "FAIL: $name exited with status $rc (see $log)"
		tail -n 20 "$log" | sed 's/^/  | /'
		f=$((f + 1))
	fi
	if [ "$s" -gt 0 ]; then
		echo "   $p passed, $f failed, $s skipped ($log)"
	else
		echo "   $p passed, $f failed ($log)"
	fi
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
}

if [ "$(id -u)" != 0 ]; then
	echo "note: not root: the bpf and e2e tiers need root and are skipped"
fi
for tier in $tiers; do
	case $tier in
	unit)
		for t in "$BUILD"/tests/unit/test_*; do
			[ -x "$t" ] && run_one "unit/$(basename "$t")" 300 "$t"
		done
		for t in tests/unit/*.sh; do
			[ -f "$t" ] && run_one "unit/$(basename "$t" .sh)" 300 bash "$t"
		done ;;
	bpf)
		if [ "$(id -u)" != 0 ]; then skipped=$((skipped + 1)); continue; fi
		mkdir -p "$LOGDIR/bpf"
		for t in "$BUILD"/tests/bpf/test_*; do
			[ -x "$t" ] && run_one "bpf/$(basename "$t")" 300 "$t"
		done
		for t in tests/bpf/*.sh; do
			[ -f "$t" ] && run_one "bpf/$(basename "$t" .sh)" 300 bash "$t"
		done ;;
	e2e)
		if [ "$(id -u)" != 0 ]; then skipped=$((skipped + 1)); continue; fi
		for t in tests/e2e/*.sh; do
			[ -f "$t" ] && run_one "e2e/$(basename "$t" .sh)" 600 bash "$t"
		done ;;
	fuzz)
		for t in "$BUILD"/fuzz/bin/fuzz_*; do
			[ -x "$t" ] && run_one "fuzz/$(basename "$t")" 120 \
				bash tests/fuzz/run.sh --seconds "${FUZZ_SMOKE_SECONDS:-15}" "$(basename "$t")"
		done ;;
	*) echo "run.sh: unknown tier '$tier'" >&2; exit 2 ;;
	esac
done

if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
