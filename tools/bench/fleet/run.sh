#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# run.sh - fleet benchmark: N warden watch agents (each its own pin path and state folder) on
# one Redis (Debian's redis-server on loopback, AOF on); bans published at R per second by
# warden's own fleet module; time from publish to the ban in every agent's map, p50/p99/max.
# The same through a Redis restart; the reference in the same run: N plain hiredis readers in
# XREAD BLOCK on the same stream (Redis's own fan-out, no agent).
#
# Usage: tools/bench/fleet/run.sh [--agents N] [--rate R] [--count C] [--runs K] [--quick]
#        [--warden-only]   (only the first row: with --agents 1, the CPU an agent spends a ban)
# Also reports the agents' CPU time (the scheduler's, in ns, from /proc/PID/schedstat) per
# ban and agent over the warden rows: a figure that other jobs on the machine hardly move.
# Needs root (BPF maps), build/warden and build/tools/bench/fleet-bench (make).
# Prints a Markdown report on stdout (progress on stderr). Everything it starts is stopped,
# every file and pin removed, on exit.
set -u
TOP=$(cd "$(dirname "$0")/../../.." && pwd)
WARDEN=${WARDEN:-$TOP/build/warden}
BENCH=${BENCH:-$TOP/build/tools/bench/fleet-bench}
AGENTS=50 RATE=1000 COUNT=10000 RUNS=3 WARDEN_ONLY=
while [ $# -gt 0 ]; do
	case $1 in
	--agents) AGENTS=$2; shift 2 ;;
	--rate) RATE=$2; shift 2 ;;
	--count) COUNT=$2; shift 2 ;;
	--runs) RUNS=$2; shift 2 ;;
	--quick) AGENTS=10 COUNT=6000 RUNS=1; shift ;;
	--warden-only) WARDEN_ONLY=1; shift ;;
	-h|--help) sed -n '3,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" = 0 ] || { echo "run.sh: needs root (BPF maps)" >&2; exit 1; }
[ -x "$BENCH" ] || { echo "run.sh: build $BENCH first (make)" >&2; exit 1; }

WORK=$(mktemp -d /tmp/warden-fleet-bench.XXXXXX)
PINS=$WORK/pins
PIDS=()
REDIS_PID= BPID=
cleanup() {
	local p
	for p in $BPID "${PIDS[@]}" $REDIS_PID; do kill "$p" 2>/dev/null; done
	for p in $BPID "${PIDS[@]}" $REDIS_PID; do wait "$p" 2>/dev/null; done
	umount "$PINS" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$PINS" "$WORK/redis"
mount -t bpf bpf "$PINS"
PORT=$((21000 + $$ % 9000))

start_redis() {
	redis-server --port "$PORT" --bind 127.0.0.1 --dir "$WORK/redis" --appendonly yes \
		--save '' >"$WORK/redis/out.log" 2>&1 &
	REDIS_PID=$!
	until redis-cli -p "$PORT" PING >/dev/null 2>&1; do sleep 0.05; done
}
start_redis
log() { echo "fleet-bench: $*" >&2; }
# In the background and waited for, so that ^C stops it at once.
bench() { "$BENCH" "$@" >"$WORK/bench.out" & BPID=$!; wait "$BPID"; BPID=; cat "$WORK/bench.out"; }

log "starting $AGENTS agents"
for i in $(seq 1 "$AGENTS"); do
	mkdir -p "$WORK/log$i" "$WORK/state$i"
	: >"$WORK/log$i/app.log"
	"$WARDEN" watch --follow "$WORK/log$i/*.log" --pin-path "$PINS/a$i" --state-dir "$WORK/state$i" \
		--http off --fleet "redis://127.0.0.1:$PORT" --fleet-prefix bench --fleet-name "a$i" \
		--fleet-rate 1000000 2>"$WORK/a$i.err" &
	PIDS+=($!)
done
connected() { [ "$(redis-cli -p "$PORT" CLIENT LIST | grep -c 'cmd=xread')" -ge "$AGENTS" ]; }
until connected; do sleep 0.1; done
log "all connected"

clear_maps() {
	local i
	for i in $(seq 1 "$AGENTS"); do "$WARDEN" unban --all --pin-path "$PINS/a$i" >/dev/null 2>&1; done
}
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
# The agents' CPU time so far, in ns (the first field of /proc/PID/schedstat: exact, where
# the user and system times of /proc/PID/stat come in 10 ms ticks).
agents_cpu() {
	local p t=0 ns rest
	for p in "${PIDS[@]}"; do
		read -r ns rest <"/proc/$p/schedstat" 2>/dev/null || continue
		t=$((t + ns))
	done
	echo "$t"
}
CPU_NS=0 CPU_BANS=0
declare -a W_P50 W_P99 W_MAX F_P50 F_P99 F_MAX R_P50 R_P99 R_MAX
field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p"; }
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
run=0
for k in $(seq 1 "$RUNS"); do
	run=$((run + 1))
	log "run $k: warden, $COUNT bans at $RATE/s"
	c0=$(agents_cpu)
	out=$(bench --redis "127.0.0.1:$PORT" --prefix bench --maps "$PINS" --agents "$AGENTS" \
		--rate "$RATE" --count "$COUNT" --run "$run")
	echo "$out" >&2
	# Settled: the snapshot of the last bans is written within a few seconds.
	sleep 3
	CPU_NS=$((CPU_NS + $(agents_cpu) - c0)) CPU_BANS=$((CPU_BANS + COUNT * AGENTS))
	clear_maps
	W_P50+=("$(echo "$out" | field p50_ms)"); W_P99+=("$(echo "$out" | field p99_ms)")
	W_MAX+=("$(echo "$out" | field max_ms)")
	[ -n "$WARDEN_ONLY" ] && continue
	run=$((run + 1))
	log "run $k: reference, plain XREAD readers"
	out=$(bench --redis "127.0.0.1:$PORT" --prefix bench --agents "$AGENTS" --floor \
		--rate "$RATE" --count "$COUNT" --run "$run")
	echo "$out" >&2
	clear_maps
	F_P50+=("$(echo "$out" | field p50_ms)"); F_P99+=("$(echo "$out" | field p99_ms)")
	F_MAX+=("$(echo "$out" | field max_ms)")
	run=$((run + 1))
	log "run $k: warden through a Redis restart (stopped 3 s into the run, started again 1 s later)"
	"$BENCH" --redis "127.0.0.1:$PORT" --prefix bench --maps "$PINS" --agents "$AGENTS" \
		--rate "$RATE" --count "$COUNT" --run "$run" >"$WORK/bench.out" &
	BPID=$!
	sleep 3.5
	kill "$REDIS_PID"; wait "$REDIS_PID" 2>/dev/null
	sleep 1
	start_redis
	wait "$BPID"; BPID=
	out=$(cat "$WORK/bench.out")
	echo "$out" >&2
	R_P50+=("$(echo "$out" | field p50_ms)"); R_P99+=("$(echo "$out" | field p99_ms)")
	R_MAX+=("$(echo "$out" | field max_ms)")
	# Each run starts from empty maps: an agent's cost grows with the bans it holds (its
	# snapshot, written at most once a second while bans change, walks them all).
	clear_maps
done

CPU_US=$(awk -v t="$CPU_NS" -v n="$CPU_BANS" 'BEGIN { printf "%.1f", t / 1e3 / n }')
if [ -n "$WARDEN_ONLY" ]; then
	cat <<EOF
$AGENTS agent(s), $COUNT bans at $RATE/s, $RUNS run(s): warden p50 / p99 / max (medians)
$(median "${W_P50[@]}") / $(median "${W_P99[@]}") / $(median "${W_MAX[@]}") ms; agents' CPU time
$CPU_US µs per ban and agent (every run, up to the snapshot written after its last ban);
load average $LOAD_BEFORE before, $(cut -d' ' -f1-3 /proc/loadavg) after.
EOF
	exit 0
fi
cat <<EOF
## Fleet: publish → in every agent's map

$AGENTS agents (\`warden watch\`, one pin path each), one Redis $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/') on loopback (AOF),
$COUNT bans published at $RATE/s by warden's fleet module; median of $RUNS runs of each percentile
(ms). $(nproc) CPUs, kernel $(uname -r); load average $LOAD_BEFORE before, $(cut -d' ' -f1-3 /proc/loadavg) after
(the reference row shows how much of it is the machine: Redis and the readers alone).

| | p50 | p99 | max |
|---|---:|---:|---:|
| warden: ban in all $AGENTS pinned maps | $(median "${W_P50[@]}") | $(median "${W_P99[@]}") | $(median "${W_MAX[@]}") |
| reference: $AGENTS plain hiredis XREAD readers got it | $(median "${F_P50[@]}") | $(median "${F_P99[@]}") | $(median "${F_MAX[@]}") |
| warden, Redis stopped for 1 s mid-run | $(median "${R_P50[@]}") | $(median "${R_P99[@]}") | $(median "${R_MAX[@]}") |

Agents' CPU time over the warden rows: $CPU_US µs per ban and agent.
EOF
