#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# run.sh - supervision benchmark, warden run side by side with supervisord (Debian's supervisor)
# on the same app (tests/apps/supervise/app.py): crash -> a new child serving, hang -> serving
# again, and the watcher's cost as the app's requests per second under wrk (watcher on vs off).
#
# Usage: tools/bench/supervise/run.sh [--crashes N] [--hangs N] [--sup-wait S] [--wrk-runs N]
#            [--wrk-duration T] [--wrk-setups "shared pinned"] [--watcher-only] [--no-supervisord]
#            [--quick] [--keep] [--out FILE]
# wrk setups: shared (wrk, the app and warden on all CPUs) and pinned (taskset: the app on the
# last CPU, wrk and warden on the others, so the app's requests/s show the watcher's own cost).
# Needs root (BPF), build/warden (make) and cc. Installs supervisor, wrk, gunicorn and
# python3-flask with tools/install-deps.sh --bench if missing. Runs in a network namespace of its own (loopback only)
# and a mount namespace of its own; every process and file it makes is removed on exit, ^C
# included. Prints a Markdown report on stdout (progress on stderr) and writes it to
# tools/bench/supervise/RESULTS.md (not with --quick unless --out is given).
set -u
TOP=$(cd "$(dirname "$0")/../../.." && pwd)
HERE=$TOP/tools/bench/supervise
WARDEN=${WARDEN:-$TOP/build/warden}
APPDIR=$TOP/tests/apps/supervise
PY=/usr/bin/python3
PORT=8080

CRASHES=20        # crashes per supervisor
HANGS=5           # hangs under warden
SUP_HANGS=1       # hangs under supervisord (each waits SUP_WAIT)
SUP_WAIT=20       # how long a hang under supervisord is given, s
HANG_TIMEOUT=3    # warden's --hang-timeout, s
SPACING=1.5       # s between a recovery and the next crash (> --restart-reset 1s)
WRK_RUNS=5        # wrk runs per watcher mode (median)
WRK_DURATION=10s
WRK_SETUPS="shared pinned"
DO_FAULTS=1
DO_SUP=1
KEEP=0
OUT=$HERE/RESULTS.md

ARGS=("$@")
while [ $# -gt 0 ]; do
	case $1 in
	--crashes) CRASHES=$2; shift 2 ;;
	--hangs) HANGS=$2; shift 2 ;;
	--sup-wait) SUP_WAIT=$2; shift 2 ;;
	--wrk-runs) WRK_RUNS=$2; shift 2 ;;
	--wrk-duration) WRK_DURATION=$2; shift 2 ;;
	--wrk-setups) WRK_SETUPS=$2; shift 2 ;;
	--watcher-only) DO_FAULTS=0 DO_SUP=0; shift ;;
	--no-supervisord) DO_SUP=0; shift ;;
	--quick) CRASHES=3 HANGS=1 SUP_WAIT=8 WRK_RUNS=1 WRK_DURATION=3s; [ "$OUT" = "$HERE/RESULTS.md" ] && OUT=; shift ;;
	--keep) KEEP=1; shift ;;
	--out) OUT=$2; shift 2 ;;
	-h|--help) sed -n '3,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	esac
done

[ "$(id -u)" = 0 ] || { echo "run.sh: needs root (BPF, namespaces)" >&2; exit 2; }
[ -x "$WARDEN" ] || { echo "run.sh: $WARDEN is missing: run make" >&2; exit 2; }
for c in unshare ip cc awk mount taskset; do
	command -v "$c" >/dev/null || { echo "run.sh: $c is missing" >&2; exit 2; }
done

# The reference (Debian's supervisor), the load generator, and the app's servers.
if [ -z "${WSUP_PRIVATE_NS:-}" ]; then
	# wrk and supervisord come from tools/install-deps.sh --bench, like every package warden uses.
	if ! command -v wrk >/dev/null || { [ "$DO_SUP" = 1 ] && ! [ -x /usr/bin/supervisord ]; } ||
		! $PY -c 'import flask, gunicorn' 2>/dev/null; then
		echo "run.sh: installing what is missing with tools/install-deps.sh --bench" >&2
		sh "$TOP/tools/install-deps.sh" --bench >&2 || { echo "run.sh: tools/install-deps.sh failed" >&2; exit 2; }
	fi
	# Everything below runs in a network namespace (loopback only) and a mount
	# namespace of our own: both vanish with the last process in them.
	exec unshare --net --mount --propagation private env WSUP_PRIVATE_NS=1 "$0" "${ARGS[@]}"
fi

WORK=$(mktemp -d /tmp/wsup.XXXXXX)
chmod 755 "$WORK"
MARK=WSUP_MARK=$$.$RANDOM   # in the environment of every app process we start
PIDS=()                     # every process started in the background, stopped by PID on exit

log() { echo "run.sh: $*" >&2; }

# Stop one process we started: TERM, up to 5 s, then KILL; reap it.
stop_pid() {
	local pid=$1
	kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
	kill -TERM "$pid" 2>/dev/null
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

# The app's processes (anything carrying our marker): left behind only if a
# supervisor died without stopping them.
marked_pids() {
	local f p
	for f in $(grep -lsa "$MARK" /proc/[0-9]*/environ); do
		p=${f#/proc/}
		p=${p%/environ}
		[ "$p" != $$ ] && [ "$p" != "$BASHPID" ] && echo "$p"
	done
}

# shellcheck disable=SC2317 # (called by the trap)
cleanup() {
	local pid
	trap - EXIT INT TERM
	for pid in "${PIDS[@]}"; do
		stop_pid "$pid"
	done
	for pid in $(marked_pids); do
		kill -KILL "$pid" 2>/dev/null
	done
	umount "$WORK/bpffs" 2>/dev/null
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

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.6f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# Nearest rank.
pct() { local p=$1; shift; printf '%s\n' "$@" | sort -g | awk -v p="$p" '{ v[NR] = $1 } END { r = int(NR * p / 100 + 0.999999); if (r < 1) r = 1; print v[r] }'; }
fmt1() { awk -v v="$1" 'BEGIN { printf "%.1f", v }'; }
fmt_int() { printf '%.0f' "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }
field() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p" | head -1; }

ip link set lo up || { log "cannot bring lo up in the namespace"; exit 1; }
mkdir -p "$WORK/bpffs" "$WORK/sup" || exit 1
mount -t bpf bpf "$WORK/bpffs" || { log "cannot mount a private bpffs"; exit 1; }
PROBE=$WORK/probe
cc -O2 -Wall -o "$PROBE" "$HERE/probe.c" || { log "cannot build probe.c"; exit 1; }

up() { "$PROBE" "$PORT" pid >/dev/null 2>&1; }
wait_up() { # seconds
	local end=$((SECONDS + $1))
	while [ $SECONDS -lt $end ]; do
		up && return 0
		sleep 0.05
	done
	return 1
}
wait_down() { # seconds: nothing listens on the port any more
	local end=$((SECONDS + $1))
	while [ $SECONDS -lt $end ]; do
		up || return 0
		sleep 0.1
	done
	return 1
}

WPID=
# start_warden NAME WARDEN-OPTIONS... -- CMD...: warden run in the background, the app serving.
start_warden() {
	local name=$1
	shift
	local pre=()
	[ -n "${PIN_APP_CPU:-}" ] && pre=(taskset -c "$PIN_APP_CPU")
	"${pre[@]}" env HOST=127.0.0.1 PORT=$PORT "$MARK" "$WARDEN" run --dry-run --http off --pin-path "$WORK/bpffs/$name" \
		--state-dir "$WORK/state-$name" --control "$WORK/$name.sock" "$@" \
		>"$WORK/$name.out" 2>"$WORK/$name.err" &
	WPID=$!
	PIDS+=("$WPID")
	wait_up 30 || { tail -5 "$WORK/$name.err" >&2; log "$name: the app did not come up"; return 1; }
}

SPID=
SUP_CONF=$WORK/sup/supervisord.conf
cat >"$SUP_CONF" <<EOF
[supervisord]
nodaemon=true
logfile=$WORK/sup/supervisord.log
pidfile=$WORK/sup/supervisord.pid
childlogdir=$WORK/sup
loglevel=info

[unix_http_server]
file=$WORK/sup/supervisor.sock

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://$WORK/sup/supervisor.sock

[program:app]
command=$PY $APPDIR/app.py
environment=HOST="127.0.0.1",PORT="$PORT",${MARK%%=*}="${MARK#*=}"
autostart=true
autorestart=true
startsecs=0
startretries=1000
stopasgroup=true
killasgroup=true
stopwaitsecs=2
stdout_logfile=$WORK/sup/app.out
stderr_logfile=$WORK/sup/app.err
EOF
start_supervisord() {
	/usr/bin/supervisord -n -c "$SUP_CONF" >"$WORK/sup/supervisord.out" 2>&1 &
	SPID=$!
	PIDS+=("$SPID")
	wait_up 30 || { tail -5 "$WORK/sup/supervisord.log" >&2; log "supervisord: the app did not come up"; return 1; }
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
SUP_VERSION=$([ "$DO_SUP" = 1 ] && /usr/bin/supervisord --version 2>/dev/null)

if [ "$DO_FAULTS" = 1 ]; then
# ---- 1. crash -> serving ----
# crash_series NAME: CRASHES times probe crash, RESULT = the times in ms; failures counted.
crash_series() {
	local name=$1 i r ms=()
	CRASH_FAIL=0
	for i in $(seq "$CRASHES"); do
		run_bg "$PROBE" "$PORT" crash 20000 >"$WORK/probe.txt" 2>&1
		r=$(cat "$WORK/probe.txt")
		if [ "${r%% *}" = ok ]; then
			ms+=("$(field "$r" ms)")
		else
			CRASH_FAIL=$((CRASH_FAIL + 1))
			log "$name crash $i: $r"
			wait_up 30 || return 1
		fi
		sleep "$SPACING"
	done
	RESULT=("${ms[@]}")
}

log "warden: $CRASHES crashes (--restart-reset 1s, crashes $SPACING s after recovery)"
start_warden crash --restart-reset 1s -- $PY "$APPDIR/app.py" || exit 1
crash_series warden || exit 1
W_CRASH=("${RESULT[@]}")
W_CRASH_FAIL=$CRASH_FAIL
stop_pid "$WPID"
W_AT_ONCE=$(grep -c "restarting the app at once" "$WORK/crash.err")
W_RESTARTS=$(grep -c "restarting the app" "$WORK/crash.err")
wait_down 10

if [ "$DO_SUP" = 1 ]; then
	log "supervisord: $CRASHES crashes"
	start_supervisord || exit 1
	crash_series supervisord || exit 1
	S_CRASH=("${RESULT[@]}")
	S_CRASH_FAIL=$CRASH_FAIL
	stop_pid "$SPID"
	wait_down 10
fi

# ---- 2. hang -> serving ----
# GET /block holds a lock that every request needs: the whole (threaded) server hangs.
log "warden: $HANGS hangs (/block, --hang-timeout ${HANG_TIMEOUT}s)"
start_warden hang --restart-reset 1s --hang-timeout ${HANG_TIMEOUT}s -- $PY "$APPDIR/app.py" || exit 1
BACKEND_HANG=$(sed -n 's/.*\(watcher: .*\)/\1/p' "$WORK/hang.err" | head -1)
W_HANG=()
W_HANG_FAIL=0
for i in $(seq "$HANGS"); do
	run_bg "$PROBE" "$PORT" block 30000 >"$WORK/probe.txt" 2>&1
	r=$(cat "$WORK/probe.txt")
	if [ "${r%% *}" = ok ]; then
		W_HANG+=("$(field "$r" ms)")
	else
		W_HANG_FAIL=$((W_HANG_FAIL + 1))
		log "warden hang $i: $r"
		wait_up 30 || exit 1
	fi
	sleep "$SPACING"
done
stop_pid "$WPID"
W_HANGS_LOGGED=$(grep -c "hangs:" "$WORK/hang.err")
wait_down 10

if [ "$DO_SUP" = 1 ]; then
	log "supervisord: $SUP_HANGS hangs, each given ${SUP_WAIT}s"
	S_HANG=()
	S_HANG_OK=0
	for i in $(seq "$SUP_HANGS"); do
		start_supervisord || exit 1
		run_bg "$PROBE" "$PORT" block $((SUP_WAIT * 1000)) >"$WORK/probe.txt" 2>&1
		r=$(cat "$WORK/probe.txt")
		[ "${r%% *}" = ok ] && S_HANG_OK=$((S_HANG_OK + 1))
		S_HANG+=("$r")
		log "supervisord hang $i: $r"
		stop_pid "$SPID"
		wait_down 10
	done
fi

fi # DO_FAULTS

# ---- 3. the watcher's cost: requests/s under wrk, watcher auto vs off ----
GUNICORN=($PY -m gunicorn -w 2 -b 127.0.0.1:$PORT --chdir "$APPDIR" app:app)
# utime + stime of one process, in clock ticks.
cpu_ticks() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
# Pinned: the app (warden's children) on the last CPU, warden itself and wrk on the others.
LAST_CPU=$(($(nproc) - 1))
OTHER_CPUS=0$([ "$LAST_CPU" -gt 1 ] && echo "-$((LAST_CPU - 1))")
wrk_run() { # mode setup -> WRK_RPS = requests/s, CPU_MS = warden's own CPU time during the run
	local mode=$1 setup=$2 rps pin=()
	[ "$setup" = pinned ] && pin=(taskset -c "$OTHER_CPUS")
	if [ "$setup" = pinned ]; then
		PIN_APP_CPU=$LAST_CPU start_warden "wrk-$mode" --watcher "$mode" -- "${GUNICORN[@]}" || return 1
		taskset -a -p -c "$OTHER_CPUS" "$WPID" >/dev/null || return 1
	else
		start_warden "wrk-$mode" --watcher "$mode" -- "${GUNICORN[@]}" || return 1
	fi
	[ "$mode" = auto ] && BACKEND=$(sed -n 's/.*\(watcher: .*\)/\1/p' "$WORK/wrk-$mode.err" | head -1)
	run_bg "${pin[@]}" wrk -t2 -c32 -d2s "http://127.0.0.1:$PORT/" >/dev/null 2>&1 # warm-up
	c0=$(cpu_ticks "$WPID")
	run_bg "${pin[@]}" wrk -t2 -c32 -d"$WRK_DURATION" "http://127.0.0.1:$PORT/" >"$WORK/wrk.txt" 2>&1
	c1=$(cpu_ticks "$WPID")
	CPU_MS=$(awk -v a="$c0" -v b="$c1" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.0f", (b - a) * 1000 / hz }')
	rps=$(sed -n 's/^Requests\/sec:[[:space:]]*\([0-9.]*\).*/\1/p' "$WORK/wrk.txt")
	errs=$(sed -n 's/.*Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p; s/.*Socket errors: \(.*\)/\1/p' "$WORK/wrk.txt" | paste -sd' ')
	[ -n "$errs" ] && log "wrk ($mode, $setup): $errs"
	stop_pid "$WPID"
	wait_down 10
	[ -n "$rps" ] || { cat "$WORK/wrk.txt" >&2; return 1; }
	WRK_RPS=$rps
}
declare -A RPS_ON RPS_OFF CPU_ON CPU_OFF
BACKEND=
for setup in $WRK_SETUPS; do
	for i in $(seq "$WRK_RUNS"); do
		# Alternating, the order swapped each round (on off, off on, ...).
		if [ $((i % 2)) = 1 ]; then order="auto off"; else order="off auto"; fi
		for mode in $order; do
			log "wrk ($setup) round $i/$WRK_RUNS, watcher $mode"
			wrk_run "$mode" "$setup" || exit 1
			if [ "$mode" = auto ]; then
				RPS_ON[$setup]+="$WRK_RPS " CPU_ON[$setup]+="$CPU_MS "
			else
				RPS_OFF[$setup]+="$WRK_RPS " CPU_OFF[$setup]+="$CPU_MS "
			fi
			log "  $WRK_RPS requests/s, warden's CPU $CPU_MS ms"
		done
	done
done
BACKEND_NAME=$(sed -n 's/.*with the \([a-z_]*\) backend.*/\1/p' <<<"$BACKEND")
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- report ----
REPORT=$WORK/report.md
ms_cell() { [ $# -gt 0 ] && fmt1 "$(median "$@")" || echo "-"; }
ms_p90() { [ $# -gt 0 ] && fmt1 "$(pct 90 "$@")" || echo "-"; }
ms_range() { [ $# -gt 0 ] && echo "$(fmt1 "$(pct 0 "$@")") - $(fmt1 "$(pct 100 "$@")")" || echo "-"; }
{
	echo "## Supervision benchmark ($(date -u +%Y-%m-%dT%H:%MZ))"
	echo
	echo "Kernel $(uname -r), $(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)), a shared VM; load average before: $LOAD_BEFORE, after: $LOAD_AFTER."
	echo "$("$WARDEN" --version 2>/dev/null | head -1)$([ "$WARDEN" != "$TOP/build/warden" ] && echo " ($WARDEN)")$([ "$DO_SUP" = 1 ] && echo "; supervisord $SUP_VERSION (Debian's supervisor)"); $($PY --version 2>&1), Flask $($PY -c 'import flask, importlib.metadata as m; print(m.version("flask"))' 2>/dev/null), gunicorn $($PY -c 'import gunicorn; print(gunicorn.__version__)'), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)."
	echo "App: \`tests/apps/supervise/app.py\` (Werkzeug's threaded server; HOST=127.0.0.1 PORT=$PORT), in a network namespace of the benchmark's own (loopback only)."
	echo
	if [ "$DO_FAULTS" = 1 ]; then
	echo "### Crash -> the new child serving, and hang -> serving again (ms)"
	echo
	echo "| | runs | median | p90 | min - max | not recovered |"
	echo "|---|---:|---:|---:|---:|---:|"
	echo "| warden: crash (\`/crash\`) | ${#W_CRASH[@]} | $(ms_cell "${W_CRASH[@]}") | $(ms_p90 "${W_CRASH[@]}") | $(ms_range "${W_CRASH[@]}") | $W_CRASH_FAIL |"
	[ "$DO_SUP" = 1 ] && echo "| supervisord: crash (\`/crash\`) | ${#S_CRASH[@]} | $(ms_cell "${S_CRASH[@]}") | $(ms_p90 "${S_CRASH[@]}") | $(ms_range "${S_CRASH[@]}") | $S_CRASH_FAIL |"
	echo "| warden: hang (\`/block\`, \`--hang-timeout ${HANG_TIMEOUT}s\`) | ${#W_HANG[@]} | $(ms_cell "${W_HANG[@]}") | $(ms_p90 "${W_HANG[@]}") | $(ms_range "${W_HANG[@]}") | $W_HANG_FAIL |"
	if [ "$DO_SUP" = 1 ]; then
		if [ "$S_HANG_OK" = 0 ]; then
			echo "| supervisord: hang (\`/block\`) | $SUP_HANGS | not recovered within $SUP_WAIT s (supervisord does not detect hangs) | | | $SUP_HANGS |"
		else
			echo "| supervisord: hang (\`/block\`) | $SUP_HANGS | recovered $S_HANG_OK times: ${S_HANG[*]} | | | $((SUP_HANGS - S_HANG_OK)) |"
		fi
	fi
	echo
	echo "- The client (\`tools/bench/supervise/probe.c\`, CLOCK_MONOTONIC) reads the serving pid with \`GET /\`, then sends the fault. Crash: t0 is the moment the \`/crash\` connection is closed by the kernel as the process exits. Hang: t0 is \`GET /block\` sent (it takes the lock every request needs: the whole server stops answering). Then \`GET /\` every 1 ms (after each refused or failed attempt; an attempt waits up to 1 s for its answer: a request queued in the hung app is reset the moment that app is killed) until a different pid answers \"up PID\"; t1 is that answer."
	echo "- warden: \`warden run --dry-run --http off --restart-reset 1s [--hang-timeout ${HANG_TIMEOUT}s] -- $PY tests/apps/supervise/app.py\` (with \`--pin-path\`, \`--state-dir\`, \`--control\` in the benchmark's temporary folder). Its restart delay doubles on consecutive crashes and resets after a run of \`--restart-reset\`: each crash comes $SPACING s after the previous recovery, so every one is a first restart (\"at once\"): $W_AT_ONCE of its $W_RESTARTS crash restarts said \"restarting the app at once\". Hangs: $W_HANGS_LOGGED hangs logged for $HANGS \`/block\`; the figure includes the ${HANG_TIMEOUT} s timeout (the floor), the SIGKILL and the new child's start-up. ${BACKEND_HANG:-?}."
	if [ "$DO_SUP" = 1 ]; then
		echo "- supervisord: \`supervisord -n -c supervisord.conf\` with a private config, socket, pidfile and logs; \`[program:app]\` \`command=$PY tests/apps/supervise/app.py\`, \`autorestart=true\`, \`startsecs=0\`, \`startretries=1000\`, \`stopasgroup=true\`, \`killasgroup=true\`. Its own restart delay: its main loop reaps the child after a \`poll()\` woken by the child's closed output pipes, and spawns the new one only at the next turn of the loop, whose \`poll()\` timeout is 1 s (supervisord.py \`runforever\`, timeout = 1) - so a restart waits up to about 1 s on an idle supervisord. A hang it does not see at all: it watches only whether the process exists. The hung app was stopped by stopping supervisord after the ${SUP_WAIT} s wait: ${S_HANG[*]}."
	fi
	echo "- Each time includes the app's own start-up (Python, Flask imports, Werkzeug binding the port), the same for both."
	echo
	fi # DO_FAULTS
	echo "### The watcher's cost: requests/s of the app under gunicorn, wrk"
	echo
	echo "| setup | warden run --watcher | runs | median req/s | all runs (in order) | warden's own CPU per run, median ms | on / off |"
	echo "|---|---|---:|---:|---|---:|---:|"
	for setup in $WRK_SETUPS; do
		# shellcheck disable=SC2206
		on=(${RPS_ON[$setup]}) off=(${RPS_OFF[$setup]}) con=(${CPU_ON[$setup]}) coff=(${CPU_OFF[$setup]})
		ON=$(median "${on[@]}")
		OFF=$(median "${off[@]}")
		RATIO=$(awk -v a="$ON" -v b="$OFF" 'BEGIN { printf "%.1f", 100 * a / b }')
		GOAL=$(awk -v r="$RATIO" 'BEGIN { print (r >= 98 ? "goal >= 98 % met" : "goal >= 98 % NOT met") }')
		PER_ROUND=$(for i in "${!on[@]}"; do awk -v a="${on[$i]}" -v b="${off[$i]}" 'BEGIN { printf "%.1f %%\n", 100 * a / b }'; done | paste -sd, | sed 's/,/, /g')
		echo "| $setup | auto (${BACKEND_NAME:-?}) | ${#on[@]} | $(fmt_int "$ON") | $(for v in "${on[@]}"; do fmt_int "$v"; echo; done | paste -sd' ') | $(fmt_int "$(median "${con[@]}")") | **$RATIO %** ($GOAL; per round: $PER_ROUND) |"
		echo "| $setup | off | ${#off[@]} | $(fmt_int "$OFF") | $(for v in "${off[@]}"; do fmt_int "$v"; echo; done | paste -sd' ') | $(fmt_int "$(median "${coff[@]}")") | |"
	done
	echo
	echo "- \`warden run --dry-run --http off --watcher auto|off -- ${GUNICORN[*]}\` (APPDIR = tests/apps/supervise), then \`wrk -t2 -c32 -d2s\` (warm-up, not counted) and \`wrk -t2 -c32 -d$WRK_DURATION http://127.0.0.1:$PORT/\`; a fresh warden per run, the modes alternating with the order swapped each round (on off, off on, ...). shared: wrk, gunicorn's 2 workers and warden share the machine's $(nproc) CPUs. pinned: warden started under \`taskset -c $LAST_CPU\` (so the app, its children, runs on CPU $LAST_CPU), then warden itself moved to CPU $OTHER_CPUS (\`taskset -a -p\`), wrk under \`taskset -c $OTHER_CPUS\`: the app's CPU is its own, what the watcher's BPF programs cost it in its system calls shows in its requests/s, and warden's consuming of the events does not compete with it."
	echo "- Watcher backend, as warden said at start: ${BACKEND:-?}. \"warden's own CPU\" is its utime + stime over the measured wrk run (/proc/PID/stat): what the BPF programs cost the app's workers in the kernel is not in it, it shows in the requests/s."
	echo
	echo "Command: \`$([ "$WARDEN" != "$TOP/build/warden" ] && echo "WARDEN=$WARDEN ")tools/bench/supervise/run.sh${ARGS[*]:+ ${ARGS[*]}}\`"
} >"$REPORT"

cat "$REPORT"
[ -n "$OUT" ] && cp "$REPORT" "$OUT"
exit 0
