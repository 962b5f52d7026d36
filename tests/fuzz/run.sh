#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# run.sh - run libFuzzer targets (build/fuzz/bin/fuzz_NAME) and print PASS/FAIL/SKIP per target.
#
# Usage: tests/fuzz/run.sh [--seconds N] [--keep] NAME...   fuzz each NAME N seconds (15)
#        tests/fuzz/run.sh --replay NAME...                 run the seeds and regressions once
#
# Inputs: the seeds (tests/fuzz/corpus/NAME), the inputs of past findings
# (tests/fuzz/regressions/NAME) and what earlier runs kept (build/fuzz/corpus/NAME).
# --keep: new corpus entries go to build/fuzz/corpus/NAME (make fuzz); otherwise
# to a temporary folder. Crashes always go to build/fuzz/crashes/NAME/, and the
# report says how to replay one. Each run has its own TMPDIR, removed after it.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 1
BUILD=${BUILD:-build}
# A smaller ASan quarantine than the 256 MB default: the test machines are shared.
export ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=32}
seconds=15 keep=0 replay=0
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) seconds=$2; shift 2 ;;
	--keep) keep=1; shift ;;
	--replay) replay=1; shift ;;
	-*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || { echo "usage: $0 [--seconds N] [--keep] [--replay] NAME..." >&2; exit 2; }

failed=0
tmp=""
trap 'rm -rf "$tmp"' EXIT

for name in "$@"; do
	name=${name#fuzz_}
	bin=$BUILD/fuzz/bin/fuzz_$name
	what="fuzz_$name"
	[ "$replay" = 1 ] && what="fuzz_$name-replay"
	if [ ! -x "$bin" ]; then
		echo "FAIL: $what: $bin is not built (make fuzz-targets)"
		failed=1
		continue
	fi
	if [ "$name" = snapshot ] && [ "$(id -u)" != 0 ]; then
		echo "SKIP: $what: needs root (BPF maps)"
		continue
	fi
	rm -rf "$tmp"
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/warden-fuzz.XXXXXX")
	crashes=$BUILD/fuzz/crashes/$name
	mkdir -p "$crashes"
	inputs=()
	for d in tests/fuzz/corpus/$name tests/fuzz/regressions/$name; do
		[ -d "$d" ] && inputs+=("$d")
	done
	# The Python source target's seeds are the test apps themselves, not copies of them.
	[ "$name" = routes_source ] && inputs+=(tests/apps)
	opts=(-timeout=25 -rss_limit_mb=1024 -close_fd_mask=2 -artifact_prefix="$crashes/")
	if [ "$replay" = 1 ]; then
		files=()
		for d in "${inputs[@]}"; do
			while IFS= read -r f; do files+=("$f"); done < <(find "$d" -type f -name '*' ! -name '*.pyc')
		done
		TMPDIR=$tmp "$bin" "${opts[@]}" "${files[@]}" >"$tmp/log" 2>&1
		rc=$?
		summary="${#files[@]} inputs"
	else
		if [ "$keep" = 1 ]; then
			out=$BUILD/fuzz/corpus/$name
			mkdir -p "$out"
		else
			out=$tmp/corpus
			mkdir -p "$out"
			[ -d "$BUILD/fuzz/corpus/$name" ] && inputs+=("$BUILD/fuzz/corpus/$name")
		fi
		before=$(find "$out" -type f | wc -l)
		TMPDIR=$tmp "$bin" "${opts[@]}" -max_total_time="$seconds" -max_len=20000 \
			-print_final_stats=1 "$out" "${inputs[@]}" >"$tmp/log" 2>&1
		rc=$?
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$tmp/log" | tail -n 1)
		cov=$(grep -ao 'cov: [0-9]*' "$tmp/log" | tail -n 1)
		summary="${runs:-?} runs in ${seconds}s, $cov, $(($(find "$out" -type f | wc -l) - before)) new inputs"
	fi
	if [ "$rc" = 0 ]; then
		echo "PASS: $what ($summary)"
	elif [ "$rc" = 77 ]; then
		echo "SKIP: $what: $(tail -n 1 "$tmp/log")"
	else
		failed=1
		echo "FAIL: $what (status $rc)"
		grep -aE 'property violated|ERROR: |runtime error|SUMMARY|Test unit written|Running: ' \
			"$tmp/log" | head -n 8 | cut -c1-300 | sed 's/^/  /'
		art=$(sed -n "s/.*Test unit written to \(.*\)/\1/p" "$tmp/log" | tail -n 1)
		[ -n "$art" ] && echo "  replay: $bin $art (then add it to tests/fuzz/regressions/$name/)"
		cp "$tmp/log" "$crashes/last-failure.log" 2>/dev/null
	fi
done
exit $failed
