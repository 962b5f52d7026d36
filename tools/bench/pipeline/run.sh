#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# run.sh - pipeline benchmark: access-log lines per second through warden's parse + route match +
# detector (jail__line() in memory, and `warden run -- cat access.log` with and without analytics,
# steady state and whole run) against fail2ban-regex on the same file, CPU per line of each, warden
# run's peak RSS with --mem-clients tracked clients, and ban latency (line written -> ban in the
# map) against fail2ban's (line written -> ban action ran).
#
# Usage: tools/bench/pipeline/run.sh [--lines N] [--seed S] [--runs N] [--f2b-runs N]
#            [--bans N] [--lat-runs N] [--f2b-bans N] [--mem-clients N] [--no-fail2ban]
#            [--quick] [--keep] [--out FILE]
# Needs root (BPF maps), build/warden and build/tools/bench/{pipeline-gen,pipeline-bench,
# latency-child} (make). Installs fail2ban, python3-pyinotify and perf (for warden's CPU time)
# with tools/install-deps.sh if missing.
# Prints a Markdown report on stdout (progress on stderr). Runs in a mount namespace of its
# own with a private bpffs; every file, map and process it makes is removed on exit, ^C included.
set -u
TOP=$(cd "$(dirname "$0")/../../.." && pwd)
# Either can be pointed at another build to compare a change (A/B).
WARDEN=${WARDEN:-$TOP/build/warden}
TOOLS=${TOOLS:-$TOP/build/tools/bench}
APP=$TOP/tools/demo/app.py

LINES=1000000   # lines of the generated log
SEED=1          # its seed
RUNS=5          # passes of warden over the file (median)
F2B_RUNS=3      # passes of fail2ban-regex (median)
BANS=2000       # bans per warden latency run
LAT_RUNS=3      # warden latency runs (median of each percentile)
F2B_BANS=300    # bans timed against fail2ban (about 0.2 s each)
MEM_CLIENTS=1000000 # distinct failing clients for the memory run (0: none)
DO_F2B=1
KEEP=0
OUT=

ARGS=("$@")
while [ $# -gt 0 ]; do
	case $1 in
	--lines) LINES=$2; shift 2 ;;
	--seed) SEED=$2; shift 2 ;;
	--runs) RUNS=$2; shift 2 ;;
	--f2b-runs) F2B_RUNS=$2; shift 2 ;;
	--bans) BANS=$2; shift 2 ;;
	--lat-runs) LAT_RUNS=$2; shift 2 ;;
	--f2b-bans) F2B_BANS=$2; shift 2 ;;
	--mem-clients) MEM_CLIENTS=$2; shift 2 ;;
	--no-fail2ban) DO_F2B=0; shift ;;
	--quick) LINES=100000 RUNS=2 F2B_RUNS=1 BANS=300 LAT_RUNS=1 F2B_BANS=20; shift ;;
	--keep) KEEP=1; shift ;;
	--out) OUT=$2; shift 2 ;;
	-h|--help) sed -n '3,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	esac
done

[ "$(id -u)" = 0 ] || { echo "run.sh: needs root (BPF maps)" >&2; exit 2; }
for f in "$WARDEN" "$TOOLS/pipeline-gen" "$TOOLS/pipeline-bench" "$TOOLS/latency-child"; do
	[ -x "$f" ] || { echo "run.sh: $f is missing: run make" >&2; exit 2; }
done
for c in unshare mount umount sha256sum awk; do
	command -v "$c" >/dev/null || { echo "run.sh: $c is missing" >&2; exit 2; }
done

# The reference: Debian's fail2ban, and pyinotify so that its "auto" backend
# follows the log by inotify rather than polling it every second. (No HTTP
# traffic is made here: wrk is not needed.)
if [ -z "${WBENCH_PRIVATE_NS:-}" ]; then
	if ! command -v perf >/dev/null ||
		{ [ "$DO_F2B" = 1 ] && { ! command -v fail2ban-regex >/dev/null ||
			! /usr/bin/python3 -c 'import pyinotify' 2>/dev/null; }; }; then
		echo "run.sh: installing what is missing with tools/install-deps.sh" >&2
		sh "$TOP/tools/install-deps.sh" >&2 || { echo "run.sh: tools/install-deps.sh failed" >&2; exit 2; }
	fi
fi

command -v perf >/dev/null || { echo "run.sh: perf is missing" >&2; exit 2; }

# Everything below runs in a mount namespace of our own: the bpffs we mount
# vanishes with it, whatever happens to this script.
if [ -z "${WBENCH_PRIVATE_NS:-}" ]; then
	exec unshare --mount --propagation private env WBENCH_PRIVATE_NS=1 "$0" "${ARGS[@]}"
fi

WORK=$(mktemp -d /tmp/wpipe.XXXXXX)
BPF=$WORK/bpffs
F2B=$WORK/f2b
PIDS=()        # every process started in the background, stopped by PID on exit
F2B_PID=

log() { echo "run.sh: $*" >&2; }

# Stop one process we started: TERM, up to 5 s, then KILL; reap it.
stop_pid() {
	local pid=$1
	kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return; }
	kill -TERM "$pid" 2>/dev/null
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

# shellcheck disable=SC2317 # (called by the trap)
cleanup() {
	local pid
	trap - EXIT INT TERM
	if [ -n "$F2B_PID" ] && kill -0 "$F2B_PID" 2>/dev/null; then
		fail2ban-client -c "$F2B/conf" -s "$F2B/f2b.sock" stop >/dev/null 2>&1
	fi
	for pid in "${PIDS[@]}"; do
		stop_pid "$pid"
	done
	umount "$BPF" 2>/dev/null
	if [ "$KEEP" = 1 ]; then
		log "kept $WORK"
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Run a command in the background (so that ^C is handled at once) and wait for it.
run_bg() {
	local pid rc
	"$@" &
	pid=$!
	PIDS+=("$pid")
	wait "$pid"
	rc=$?
	return $rc
}

now() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f", b - a }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.6f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
fmt_int() { printf '%.0f' "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }
# key=value from a line of words.
field() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p" | head -1; }

mkdir -p "$BPF" "$F2B/conf/filter.d" "$F2B/conf/action.d" "$WORK/state" || exit 1
mount -t bpf bpf "$BPF" || { log "cannot mount a private bpffs"; exit 1; }

# Options that this warden knows (the tree moves): no status listener, no
# restarts, state and control socket in our folder.
EXTRA=()
for opt in "--restart never" "--http off" "--control $WORK/control.sock" "--state-dir $WORK/state"; do
	# shellcheck disable=SC2086
	if "$WARDEN" run --dry-run "${EXTRA[@]}" $opt --app "$APP" -- true >/dev/null 2>&1; then
		# shellcheck disable=SC2206
		EXTRA+=($opt)
	fi
done

# --analytics on|off (a warden from before it has analytics always on).
AN_OPT=0
"$WARDEN" run --dry-run "${EXTRA[@]}" --analytics off --app "$APP" -- true >/dev/null 2>&1 && AN_OPT=1

REPORT=$WORK/report.md
# The options as the report shows them: our temporary folder as $WORK.
SHOWN_EXTRA=${EXTRA[*]//$WORK/\$WORK}
{
	echo "## Pipeline benchmark ($(date -u +%Y-%m-%dT%H:%MZ))"
	echo
	echo "Kernel $(uname -r), $(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)), load average before: $(cut -d' ' -f1-3 /proc/loadavg)."
	[ "$DO_F2B" = 1 ] && echo "fail2ban $(dpkg-query -W -f '${Version}' fail2ban 2>/dev/null) on $(/usr/bin/python3 --version 2>&1)."
	echo
} >"$REPORT"

# ---- 1. The log ----
LOG=$WORK/access.log
log "generating $LINES lines (seed $SEED)"
"$TOOLS/pipeline-gen" --lines "$LINES" --seed "$SEED" -o "$LOG" 2>"$WORK/gen.txt" || { cat "$WORK/gen.txt" >&2; exit 1; }
SUM=$(sha256sum "$LOG" | cut -c1-16)
{
	echo "Input: \`pipeline-gen --lines $LINES --seed $SEED\`, $(du -m "$LOG" | cut -f1) MB, sha256 $SUM...:"
	sed 's/^pipeline-gen: //' "$WORK/gen.txt"
	echo
} >>"$REPORT"

# ---- 2. Throughput ----
# The jail's default settings (fail2ban's: maxretry 5, findtime 10m, bantime 10m).
# TZ is unset, as under systemd: see the TZ rows for why it matters.
log "warden: jail__line() over the file, $RUNS runs (dry-run and maps)"
run_bg env -u TZ "$TOOLS/pipeline-bench" --app "$APP" --runs "$RUNS" --stages --pin-path "$BPF/bench" \
	"$LOG" >"$WORK/bench.txt" 2>"$WORK/bench.err" || { cat "$WORK/bench.txt" "$WORK/bench.err" >&2; exit 1; }
log "warden: the same with TZ=:/etc/localtime"
run_bg env TZ=:/etc/localtime "$TOOLS/pipeline-bench" --app "$APP" --runs "$RUNS" --dry-run-only \
	"$LOG" >"$WORK/bench-tz.txt" 2>"$WORK/bench-tz.err" || { cat "$WORK/bench-tz.err" >&2; exit 1; }

DRY=$(grep '^RESULT mode=dry' "$WORK/bench.txt")
MAPS=$(grep '^RESULT mode=maps' "$WORK/bench.txt")
STAGES=$(grep '^RESULT mode=stages' "$WORK/bench.txt")
DRY_TZ=$(grep '^RESULT mode=dry' "$WORK/bench-tz.txt")

# warden run end to end: the file through a pipe from `cat` as the app, bans into the maps.
# Wall clock of the whole run, and warden's own CPU time (perf stat --no-inherit: without
# cat's). Functions that start processes set RESULT rather than print it: a $(...)
# subshell would hide their PIDs from cleanup.
run_warden() { # tag input analytics(on|off) -> wall seconds and CPU ms in $WALL $CPU
	local tag=$1 input=$2 aopt=() t0 t1
	[ "$AN_OPT" = 1 ] && aopt=(--analytics "$3")
	t0=$(now)
	run_bg env -u TZ perf stat --no-inherit -e task-clock -x, -o "$WORK/cpu.txt" \
		"$WARDEN" run --pin-path "$BPF/$tag" --app "$APP" --log-format werkzeug "${aopt[@]}" \
		"${EXTRA[@]}" -- cat "$input" >/dev/null 2>"$WORK/e2e.err" || { cat "$WORK/e2e.err" >&2; return 1; }
	t1=$(now)
	rm -rf "$WORK/state"/*
	WALL=$(elapsed "$t0" "$t1")
	CPU=$(awk -F, '$3 == "task-clock" { print $1 }' "$WORK/cpu.txt")
}
# Two rates: the whole run (start-up and exit included) and the steady state (the
# wall clock less that of the same run over an empty file: the lines alone).
e2e() { # analytics(on|off) -> RESULT="lines_per_s bans cpu_ns_per_line startup_ms startup_cpu_ms steady_lines_per_s"
	local an=$1 r secs=() cpus=() s_secs=() s_cpus=() bans=0
	for r in $(seq "$RUNS"); do
		# What a run costs before the first line: routes learned, maps created, the child started.
		run_warden "start-$an-$r" /dev/null "$an" || return 1
		s_secs+=("$WALL")
		s_cpus+=("$CPU")
		run_warden "e2e-$an-$r" "$LOG" "$an" || return 1
		secs+=("$WALL")
		cpus+=("$CPU")
		bans=$(grep -c 'warden\[info\]: banned ' "$WORK/e2e.err")
	done
	RESULT=$(awk -v n="$LINES" -v s="$(median "${secs[@]}")" -v b="$bans" -v c="$(median "${cpus[@]}")" \
		-v ss="$(median "${s_secs[@]}")" -v sc="$(median "${s_cpus[@]}")" \
		'BEGIN { printf "%.0f %d %.1f %.0f %.0f %.0f\n", n / s, b, (c - sc) * 1e6 / n, ss * 1000, sc, (s > ss ? n / (s - ss) : 0) }')
}
log "warden run -- cat access.log (and -- cat /dev/null for the start-up), $RUNS runs each"
e2e on || exit 1
E2E=$RESULT
E2E_OFF="0 - 0 - - 0"
if [ "$AN_OPT" = 1 ]; then
	log "warden run --analytics off -- cat access.log (and /dev/null), $RUNS runs each"
	e2e off || exit 1
	E2E_OFF=$RESULT
fi

# fail2ban-regex on the same file. The failregex that flags exactly what warden
# flags: any request line but the demo app's routes with their methods
# (the same lines: checked below). The date is cut out of the line before the
# failregex runs, hence "\[\]". The date pattern is given: fail2ban's own
# guessing of it is about ten times slower.
F2B_DATE='%d/%b/%Y %H:%M:%S'
RE_ROUTES='^<HOST> - - \[\] "(?!(?:GET|HEAD|OPTIONS) /(?:|health|api/v1/products(?:/\d+)?|static/[^ "?#]+)(?:\?[^ "]*)? HTTP/|(?:POST|OPTIONS) /api/v1/login(?:\?[^ "]*)? HTTP/)'
# The cheapest one that catches the scanners: any 404 (also the app's own 404s).
RE_404='^<HOST> - - \[\] "[^"]*" 404 '
f2b_regex() { # regex -> RESULT="lines_per_s matched wall_s" (lines/s from its own "processed in")
	local re=$1 r secs=() walls=() matched t0 t1 p
	for r in $(seq "$F2B_RUNS"); do
		t0=$(now)
		run_bg fail2ban-regex -r --print-no-missed -d "$F2B_DATE" "$LOG" "$re" >"$WORK/f2b-regex.txt" 2>&1 ||
			{ cat "$WORK/f2b-regex.txt" >&2; return 1; }
		t1=$(now)
		walls+=("$(elapsed "$t0" "$t1")")
		# fail2ban's own figure: without the Python start-up.
		p=$(sed -n 's/^\[processed in \([0-9.]*\) sec\]/\1/p' "$WORK/f2b-regex.txt" | tail -1)
		secs+=("${p:-$(elapsed "$t0" "$t1")}")
		matched=$(sed -n 's/^Lines: .*, \([0-9]*\) matched.*/\1/p' "$WORK/f2b-regex.txt" | tail -1)
	done
	RESULT=$(awk -v n="$LINES" -v s="$(median "${secs[@]}")" -v m="$matched" -v w="$(median "${walls[@]}")" \
		'BEGIN { printf "%.0f %d %.2f\n", n / s, m, w }')
}
# The same failregex and date pattern as a fail2ban filter that warden reads:
# filter.d/wbench-routes.conf in a fail2ban folder of our own, a jail.local
# naming it, `warden parse --summary` over the file (start-up included).
F2BW=$WORK/f2b-warden
mkdir -p "$F2BW/filter.d"
printf '[Definition]\nfailregex = %s\ndatepattern = %s\n' "${RE_ROUTES//%/%%}" "${F2B_DATE//%/%%}" \
	>"$F2BW/filter.d/wbench-routes.conf"
printf '[wbench]\nenabled = true\nfilter = wbench-routes\nlogpath = %s\n' "$LOG" >"$F2BW/jail.local"
warden_filter() { # -> RESULT="lines_per_s matched"
	local r t0 t1 secs=() matched
	for r in $(seq "$RUNS"); do
		t0=$(now)
		run_bg env -u TZ "$WARDEN" parse --summary --json --config "$F2BW/jail.local" \
			--jail wbench "$LOG" >"$WORK/wparse.txt" 2>"$WORK/wparse.err" ||
			{ cat "$WORK/wparse.err" >&2; return 1; }
		t1=$(now)
		secs+=("$(elapsed "$t0" "$t1")")
		matched=$(tail -n 1 "$WORK/wparse.txt" | sed -n 's/.*"matched":\([0-9]*\).*/\1/p')
	done
	RESULT=$(awk -v n="$LINES" -v s="$(median "${secs[@]}")" -v m="$matched" \
		'BEGIN { printf "%.0f %d\n", n / s, m }')
}
log "warden parse --summary, the route-equivalent failregex as a fail2ban filter, $RUNS runs"
warden_filter || exit 1
WFILTER=$RESULT

if [ "$DO_F2B" = 1 ]; then
	log "fail2ban-regex, route-equivalent failregex, $F2B_RUNS runs"
	f2b_regex "$RE_ROUTES" || exit 1
	F2B_R=$RESULT
	log "fail2ban-regex, 404 failregex, $F2B_RUNS runs"
	f2b_regex "$RE_404" || exit 1
	F2B_4=$RESULT
fi

{
	# Like with like: what runs without a start-up (jail__line() in memory, warden run's
	# steady state) against fail2ban-regex's own "processed in" time; whole runs (start-up
	# and exit included) against fail2ban-regex's wall clock (Python's start-up included).
	lps_ref=$([ "$DO_F2B" = 1 ] && echo "${F2B_R%% *}" || echo 0)
	lps_wall=$([ "$DO_F2B" = 1 ] && awk -v n="$LINES" -v w="$(echo "$F2B_R" | cut -d' ' -f3)" 'BEGIN { printf "%.0f", n / w }' || echo 0)
	ratio() { [ "$lps_ref" != 0 ] && awk -v a="$1" -v b="$lps_ref" 'BEGIN { printf "%.1f x", a / b }' || echo "-"; }
	ratio_wall() { [ "$lps_wall" != 0 ] && awk -v a="$1" -v b="$lps_wall" 'BEGIN { printf "%.1f x", a / b }' || echo "-"; }
	echo "### Throughput: $(fmt_int "$LINES") lines, median of $RUNS runs (fail2ban: $F2B_RUNS)"
	echo
	echo "Without start-up (steady state), against fail2ban-regex's own \"processed in\" time:"
	echo
	echo "| pipeline | lines/s | failures | bans | vs fail2ban |"
	echo "|---|---:|---:|---:|---:|"
	for row in "jail__line() in memory, dry-run|$DRY" "jail__line() in memory, bans written to the maps|$MAPS"; do
		l=${row%%|*} r=${row#*|}
		echo "| warden: $l | $(fmt_int "$(field "$r" lines_per_s)") | $(field "$r" failures) | $(field "$r" bans) | $(ratio "$(field "$r" lines_per_s)") |"
	done
	# shellcheck disable=SC2086
	set -- $E2E_OFF
	echo "| warden: \`warden run --analytics off -- cat access.log\`, steady state (wall clock less that of \`-- cat /dev/null\`), bans written to the maps | $(fmt_int "$6") | | $2 | $(ratio "$6") |"
	# shellcheck disable=SC2086
	set -- $E2E
	echo "| warden: the same, analytics on (the default) | $(fmt_int "$6") | | $2 | $(ratio "$6") |"
	echo "| warden: jail__line() dry-run, TZ=:/etc/localtime | $(fmt_int "$(field "$DRY_TZ" lines_per_s)") | $(field "$DRY_TZ" failures) | $(field "$DRY_TZ" bans) | $(ratio "$(field "$DRY_TZ" lines_per_s)") |"
	if [ "$DO_F2B" = 1 ]; then
		# shellcheck disable=SC2086
		set -- $F2B_R
		echo "| fail2ban-regex, route-equivalent failregex | $(fmt_int "$1") | $2 | | 1 x |"
		# shellcheck disable=SC2086
		set -- $F2B_4
		echo "| fail2ban-regex, \`\" 404 \` failregex | $(fmt_int "$1") | $2 | | $(ratio "$1") |"
	fi
	echo
	echo "Whole runs, start-up and exit included, against fail2ban-regex's wall clock (Python's start-up included):"
	echo
	echo "| pipeline | lines/s | start-up ms | bans | vs fail2ban |"
	echo "|---|---:|---:|---:|---:|"
	# shellcheck disable=SC2086
	set -- $E2E_OFF
	echo "| warden: \`warden run --analytics off -- cat access.log\`, end to end | $(fmt_int "$1") | $4 | $2 | $(ratio_wall "$1") |"
	# shellcheck disable=SC2086
	set -- $E2E
	echo "| warden: the same, analytics on (the default) | $(fmt_int "$1") | $4 | $2 | $(ratio_wall "$1") |"
	echo "| warden: \`warden parse --summary\` with that failregex as a fail2ban filter (filter.d + jail.local) | $(fmt_int "${WFILTER%% *}") | | | $(ratio_wall "${WFILTER%% *}") |"
	[ "$DO_F2B" = 1 ] && echo "| fail2ban-regex, route-equivalent failregex, wall clock | $(fmt_int "$lps_wall") | | | 1 x |"
	echo
	jail_ns=$(awk -v l="$LINES" -v s="$(field "$MAPS" cpu_median_s)" 'BEGIN { printf "%.1f", s * 1e9 / l }')
	cpu_row() { awk -v c="$1" -v j="$jail_ns" 'BEGIN { printf "%.1f | %.2f x", c, c / j }'; }
	echo "| CPU per line | ns | vs jail__line() |"
	echo "|---|---:|---:|"
	echo "| jail__line() in memory, bans written to the maps: its CPU time | $jail_ns | 1 x |"
	echo "| \`warden run -- cat access.log\`, analytics on: warden's CPU time less that of \`-- cat /dev/null\` | $(cpu_row "$(echo "$E2E" | cut -d' ' -f3)") |"
	echo "| the same, \`--analytics off\` | $(cpu_row "$(echo "$E2E_OFF" | cut -d' ' -f3)") |"
	echo
	echo "- Stages (dry-run, TZ unset): parse $(field "$STAGES" parse_ns) ns/line, parse + route match $(field "$STAGES" match_ns) ns/line, whole jail__line() $(awk -v l="$LINES" -v s="$(field "$DRY" median_s)" 'BEGIN { printf "%.1f", s * 1e9 / l }') ns/line."
	echo "- warden: jail settings maxretry 5, findtime 10m, bantime 10m; the detector's clock is each line's own timestamp (the log is 2.8 hours long; replayed with the real clock, every client's failures would fall into one findtime). TZ unset unless said (as under systemd). End to end: \`warden run --log-format werkzeug --app tools/demo/app.py --analytics on|off $SHOWN_EXTRA -- cat access.log\` under \`perf stat --no-inherit -e task-clock\` (warden's own CPU, not cat's), output to /dev/null, wall clock including start-up and exit ($(echo "$E2E" | cut -d' ' -f4) ms with \`-- cat /dev/null\`, $(echo "$E2E" | cut -d' ' -f5) ms of CPU; analytics off: $(echo "$E2E_OFF" | cut -d' ' -f4) ms, $(echo "$E2E_OFF" | cut -d' ' -f5) ms of CPU; each run on a fresh pin folder, so the maps are created as at warden's first start on a host, where a restart finds them pinned), the real clock as detector clock (so bans differ: each client is banned at most once in the seconds the run lasts). The request watcher is on (as by default), so with analytics every line waits to be paired with a latency that \`cat\` never produces: the worst case of the pairing rings (full, the oldest line recorded without latency each time)."
	if [ "$DO_F2B" = 1 ]; then
		echo "- fail2ban: \`fail2ban-regex -r --print-no-missed -d '$F2B_DATE' access.log FAILREGEX\`; lines/s from its own \"processed in\" time (without Python's start-up; wall clock median $(awk -v a="${F2B_R##* }" 'BEGIN{print a}') s). fail2ban-regex matches lines, it decides no bans."
		echo "- Route-equivalent failregex (the same lines as warden's failures: $(field "$DRY" failures) vs $(echo "$F2B_R" | cut -d' ' -f2)): \`$RE_ROUTES\`"
		echo "- 404 failregex: \`$RE_404\` (also matches the app's own 404s on known routes)."
	fi
	echo
} >>"$REPORT"

# ---- 3. Memory: the detector tracking MEM_CLIENTS clients ----
# One failing line (an unknown URL, 404) for each of N distinct addresses of
# 100.64.0.0/10, with maxretry 5 no ban: N clients tracked at once. Peak RSS
# of warden (getrusage of its waited children: warden, and cat, which is
# smaller), for N and 2N clients (the detector keeps --max-tracked, 1,000,000
# by default: 2N must cost no more) and for an empty file; the kernel's share,
# the pinned maps, as bpftool reports their memlock.
clients_log() { # n file
	awk -v n="$1" 'BEGIN {
		for (i = 0; i < n; i++)
			printf "100.%d.%d.%d - - [21/Nov/2026 04:00:00] \"GET /wbench-%d HTTP/1.1\" 404 -\n",
				64 + int(i / 65536) % 64, int(i / 256) % 256, i % 256, i % 97
	}' >"$2"
}
peak_rss_kb() { # tag input -> RESULT=kB
	local tag=$1 input=$2
	run_bg env -u TZ /usr/bin/python3 -c 'import resource, subprocess, sys
r = subprocess.run(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=open(sys.argv[1], "w"))
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(r.returncode)' "$WORK/mem.err" "$WARDEN" run --pin-path "$BPF/$tag" --app "$APP" \
		--log-format werkzeug "${AOPT_OFF[@]}" "${EXTRA[@]}" -- cat "$input" >"$WORK/mem.txt" ||
		{ cat "$WORK/mem.err" >&2; return 1; }
	rm -rf "$WORK/state"/*
	RESULT=$(tail -n 1 "$WORK/mem.txt")
}
AOPT_OFF=()
[ "$AN_OPT" = 1 ] && AOPT_OFF=(--analytics off)
if [ "$MEM_CLIENTS" -gt 0 ]; then
	log "memory: warden run over $MEM_CLIENTS and $((2 * MEM_CLIENTS)) distinct failing clients"
	clients_log $((2 * MEM_CLIENTS)) "$WORK/clients2.log"
	head -n "$MEM_CLIENTS" "$WORK/clients2.log" >"$WORK/clients.log"
	peak_rss_kb mem-0 /dev/null || exit 1
	MEM_BASE=$RESULT
	peak_rss_kb mem-1 "$WORK/clients.log" || exit 1
	MEM_1=$RESULT
	peak_rss_kb mem-2 "$WORK/clients2.log" || exit 1
	MEM_2=$RESULT
	MAPS_KB=0
	if command -v bpftool >/dev/null; then
		MAPS_KB=$(for f in "$BPF/mem-1"/*; do bpftool map show pinned "$f" 2>/dev/null; done |
			sed -n 's/.*memlock \([0-9]*\)B.*/\1/p' | awk '{ s += $1 } END { printf "%.0f", s / 1024 }')
	fi
	rm -f "$WORK/clients.log" "$WORK/clients2.log"
	{
		echo "### Memory: the detector with $(fmt_int "$MEM_CLIENTS") tracked clients"
		echo
		echo "| \`warden run --analytics off -- cat FILE\` | warden's peak RSS, MB |"
		echo "|---|---:|"
		echo "| empty file | $(awk -v k="$MEM_BASE" 'BEGIN { printf "%.1f", k / 1024 }') |"
		echo "| $(fmt_int "$MEM_CLIENTS") distinct clients, one failure each | $(awk -v k="$MEM_1" 'BEGIN { printf "%.1f", k / 1024 }') |"
		echo "| $(fmt_int $((2 * MEM_CLIENTS))) distinct clients (beyond --max-tracked 1,000,000: the least recent go) | $(awk -v k="$MEM_2" 'BEGIN { printf "%.1f", k / 1024 }') |"
		echo
		echo "- Per tracked client: $(awk -v a="$MEM_1" -v b="$MEM_BASE" -v n="$MEM_CLIENTS" 'BEGIN { printf "%.0f", (a - b) * 1024 / n }') bytes of RSS. The BPF maps warden pins (kernel memory, not in the RSS; created at the first start, the same whatever the traffic): $(awk -v k="$MAPS_KB" 'BEGIN { printf "%.0f", k / 1024 }') MB by bpftool's memlock."
		echo "- Lines: \`100.A.B.C - - [21/Nov/2026 04:00:00] \"GET /wbench-K HTTP/1.1\" 404 -\`, one per address of 100.64.0.0/10 (maxretry 5: no ban). Peak RSS from getrusage(RUSAGE_CHILDREN) of a Python wrapper that runs warden (the largest of warden and cat)."
		echo
	} >>"$REPORT"
fi

# ---- 4. Ban latency, warden ----
# One offending line per address, maxretry 1, written by the app (latency-child)
# on its stderr; the time until the ban is in the pinned map.
LAT_ALL=()
LAT_SEEN=()
log "warden: ban latency, $LAT_RUNS runs of $BANS bans"
for r in $(seq "$LAT_RUNS"); do
	# A fresh state folder: a run must not restore the previous run's bans (durable bans).
	rm -rf "$WORK/state"/*
	run_bg env -u TZ "$WARDEN" run --pin-path "$BPF/lat-$r" --maxretry 1 --findtime 10m --bantime 10m \
		--log-format werkzeug --app "$APP" "${EXTRA[@]}" -- \
		"$TOOLS/latency-child" --pin-path "$BPF/lat-$r" --count "$BANS" --out "$WORK/lat-$r.txt" \
		>"$WORK/lat-$r.out" 2>"$WORK/lat-$r.err"
	rc=$?
	[ -s "$WORK/lat-$r.txt" ] || { cat "$WORK/lat-$r.out" "$WORK/lat-$r.err" >&2; log "warden latency run failed ($rc)"; exit 1; }
	LAT_ALL+=("$(grep '^all ' "$WORK/lat-$r.txt")")
	LAT_SEEN+=("$(grep '^seen ' "$WORK/lat-$r.txt")")
	TIMEOUTS=$(field "$(grep '^mode=' "$WORK/lat-$r.txt")" timeouts)
	[ "$TIMEOUTS" = 0 ] || log "warden latency run $r: $TIMEOUTS bans timed out"
done
lat_median() { # key lines... -> median over the runs
	local k=$1 l v=()
	shift
	for l in "$@"; do v+=("$(field "$l" "$k")"); done
	median "${v[@]}"
}
lat_max() { # lines... -> the largest max
	local l v=()
	for l in "$@"; do v+=("$(field "$l" max_us)"); done
	printf '%s\n' "${v[@]}" | sort -g | tail -1
}

# ---- 5. Ban latency, fail2ban ----
if [ "$DO_F2B" = 1 ]; then
	log "fail2ban: ban latency, $F2B_BANS bans"
	: >"$F2B/access.log"
	: >"$F2B/bans"
	cat >"$F2B/conf/fail2ban.conf" <<-EOF
	[Definition]
	loglevel = INFO
	logtarget = $F2B/server.log
	syslogsocket = auto
	socket = $F2B/f2b.sock
	pidfile = $F2B/f2b.pid
	dbfile = :memory:
	dbpurgeage = 1d
	allowipv6 = auto
	EOF
	cat >"$F2B/conf/jail.conf" <<-EOF
	[wbench]
	enabled = true
	filter = wbench
	action = wbench-ts
	logpath = $F2B/access.log
	backend = auto
	maxretry = 1
	findtime = 10m
	bantime = 10m
	usedns = no
	EOF
	# The same route-equivalent failregex; % doubled for fail2ban's config parser.
	cat >"$F2B/conf/filter.d/wbench.conf" <<-EOF
	[Definition]
	failregex = $RE_ROUTES
	datepattern = ${F2B_DATE//%/%%}
	ignoreregex =
	EOF
	# The ban action only says when it ran (CLOCK_REALTIME ns), nothing is blocked.
	cat >"$F2B/conf/action.d/wbench-ts.conf" <<-EOF
	[Definition]
	actionstart =
	actionstop =
	actioncheck =
	actionban = echo "<ip> \$(date +%%s%%N)" >> $F2B/bans
	actionunban =
	EOF
	fail2ban-server -f -x -c "$F2B/conf" -s "$F2B/f2b.sock" -p "$F2B/f2b.pid" >"$F2B/server.out" 2>&1 &
	F2B_PID=$!
	PIDS+=("$F2B_PID")
	ready=0
	for _ in $(seq 60); do
		if fail2ban-client -c "$F2B/conf" -s "$F2B/f2b.sock" status wbench >/dev/null 2>&1; then
			ready=1
			break
		fi
		kill -0 "$F2B_PID" 2>/dev/null || break
		sleep 0.5
	done
	[ $ready = 1 ] || { cat "$F2B/server.out" "$F2B/server.log" >&2; log "fail2ban-server did not start"; exit 1; }
	sleep 1 # its filter thread takes the file once the jail is up
	F2B_BACKEND=$(sed -n "s/.*Jail 'wbench' uses \([a-z]*\).*/\1/p" "$F2B/server.log" | head -1)
	run_bg "$TOOLS/latency-child" --log "$F2B/access.log" --bans "$F2B/bans" --count "$F2B_BANS" \
		--warmup 5 --out "$WORK/lat-f2b.txt" >"$WORK/lat-f2b.out" 2>&1
	[ -s "$WORK/lat-f2b.txt" ] || { cat "$WORK/lat-f2b.out" >&2; log "fail2ban latency run failed"; exit 1; }
	F2B_LAT=$(grep '^all ' "$WORK/lat-f2b.txt")
	F2B_TIMEOUTS=$(field "$(grep '^mode=' "$WORK/lat-f2b.txt")" timeouts)
	fail2ban-client -c "$F2B/conf" -s "$F2B/f2b.sock" stop >/dev/null 2>&1
	stop_pid "$F2B_PID"
fi

ms() { awk -v u="$1" 'BEGIN { if (u < 1000) printf "%.3f", u / 1000; else printf "%.1f", u / 1000 }'; }
{
	echo "### Ban latency: offending line written -> ban in effect"
	echo
	echo "| | bans | p50 ms | p90 ms | p99 ms | max ms |"
	echo "|---|---:|---:|---:|---:|---:|"
	echo "| warden: line on the app's stderr -> ban stored (warden's own stamp; median of the runs' percentiles) | $LAT_RUNS x $BANS | $(ms "$(lat_median p50_us "${LAT_ALL[@]}")") | $(ms "$(lat_median p90_us "${LAT_ALL[@]}")") | $(ms "$(lat_median p99_us "${LAT_ALL[@]}")") | $(ms "$(lat_max "${LAT_ALL[@]}")") |"
	echo "| warden: the same, seen in the map by the app polling every 50 us (upper bound) | $LAT_RUNS x $BANS | $(ms "$(lat_median p50_us "${LAT_SEEN[@]}")") | $(ms "$(lat_median p90_us "${LAT_SEEN[@]}")") | $(ms "$(lat_median p99_us "${LAT_SEEN[@]}")") | $(ms "$(lat_max "${LAT_SEEN[@]}")") |"
	if [ "$DO_F2B" = 1 ]; then
		echo "| fail2ban: line appended to the log -> ban action ran ($F2B_BACKEND backend) | $(field "$F2B_LAT" n) | $(ms "$(field "$F2B_LAT" p50_us)") | $(ms "$(field "$F2B_LAT" p90_us)") | $(ms "$(field "$F2B_LAT" p99_us)") | $(ms "$(field "$F2B_LAT" max_us)") |"
	fi
	echo
	echo "- warden: \`warden run --pin-path PIN --maxretry 1 --findtime 10m --bantime 10m --log-format werkzeug --app tools/demo/app.py $SHOWN_EXTRA -- latency-child --pin-path PIN --count $BANS\`. For each of $BANS distinct addresses (half IPv4 from 198.51.100.0/24, 203.0.113.0/24 and 198.18.0.0/15, half IPv6 each in its own /64 of 2001:db8:4c00::/40; after 10 not counted), the child reads CLOCK_BOOTTIME, write()s one Werkzeug 404 line to its stderr, then looks the address up in warden_ban4 (or warden_pfx6 with a /128 LPM key) every 50 us until the ban is there. \"Stored\" is the ban's created_ns (CLOCK_BOOTTIME, stamped by warden just before its map update) minus the write time; \"seen\" is when the child found it, which adds the child's own sleep and wake-up. (A child spinning on the map instead takes a CPU from warden: on 2 busy CPUs that showed as 4 ms scheduler-tick steps.) Stored, per run (p50 / p99 ms): $(for l in "${LAT_ALL[@]}"; do echo "$(ms "$(field "$l" p50_us)") / $(ms "$(field "$l" p99_us)")"; done | paste -sd, | sed 's/,/, /g')."
	if [ "$DO_F2B" = 1 ]; then
		echo "- fail2ban: \`fail2ban-server -f -x -c DIR\` with \`dbfile = :memory:\`, one jail (backend auto -> $F2B_BACKEND, maxretry 1, findtime 10m, bantime 10m, the route-equivalent failregex) on a log file; its actionban appends \`<ip> \$(date +%s%N)\`. The writer (latency-child --log) takes CLOCK_REALTIME, appends one line, waits for the action's line; latency = action's time - write time. $F2B_BANS bans (about 0.2 s each), $F2B_TIMEOUTS timed out."
	fi
	echo
	echo "Command: \`tools/bench/pipeline/run.sh ${ARGS[*]}\`"
} >>"$REPORT"

cat "$REPORT"
[ -n "$OUT" ] && cp "$REPORT" "$OUT"
exit 0
