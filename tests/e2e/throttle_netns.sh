#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# throttle_netns.sh - throttling and shedding at XDP over real TCP between namespaces:
# a client opening connections in a tight loop is throttled (most fail) while
# a client at a normal rate is untouched; under shedding, priority peers and
# known clients open connections, strangers do not, established connections
# keep flowing. IPv4 and IPv6; cleanup leaves nothing pinned or attached.
source "$(dirname "$0")/../lib.sh"

SRV=wtsrv-$TEST_ID TIGHT=wttgt-$TEST_ID CALM=wtclm-$TEST_ID PEER=wtpri-$TEST_ID
make_pin_root
PIN=$PIN_ROOT/warden
WORK=$(mktemp -d)
on_exit "rm -rf '$WORK'"

# The server and three client namespaces, one veth pair each (XDP on the server's ends):
#   tight  192.0.2.2      2001:db8:a::2   the tight loop
#   calm   198.51.100.2   198.51.100.3    a client at a normal rate, and a stranger
#   peer   203.0.113.2                    the priority peer
ip netns add "$SRV"
on_exit "ip netns del '$SRV'"
ip -n "$SRV" link set lo up
n=0
for spec in "$TIGHT 192.0.2" "$CALM 198.51.100" "$PEER 203.0.113"; do
	set -- $spec
	ns=$1 net=$2
	ip netns add "$ns"
	on_exit "ip netns del '$ns'"
	ip -n "$ns" link set lo up
	ip link add "wt$n" netns "$SRV" type veth peer name eth0 netns "$ns"
	ip -n "$SRV" addr add "$net.1/24" dev "wt$n"
	ip -n "$ns" addr add "$net.2/24" dev eth0
	ip -n "$SRV" link set "wt$n" up
	ip -n "$ns" link set eth0 up
	n=$((n + 1))
done
ip -n "$CALM" addr add 198.51.100.3/24 dev eth0
ip -n "$SRV" -6 addr add 2001:db8:a::1/64 dev wt0 nodad
ip -n "$TIGHT" -6 addr add 2001:db8:a::2/64 dev eth0 nodad

in_ns() { local ns=$1; shift; nsenter --net=/run/netns/"$ns" "$@"; }
W() { in_ns "$SRV" "$WARDEN" "$@" --pin-path "$PIN"; }
on_exit "in_ns '$SRV' '$WARDEN' detach --all --pin-path '$PIN'"

# A TCP echo server on both families, and the clients, in Python.
cat >"$WORK/tcp.py" <<'EOF'
import os, socket, sys, threading, time

def serve(port):
    s = socket.socket(socket.AF_INET6)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port))
    s.listen(4096)
    def echo(c):
        with c:
            while True:
                data = c.recv(4096)
                if not data:
                    return
                c.sendall(data)
    while True:
        c, _ = s.accept()
        threading.Thread(target=echo, args=(c,), daemon=True).start()

def connect(dst, port, timeout, src):
    """One connection and one echoed byte; True if it worked within timeout."""
    fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
    s = socket.socket(fam)
    s.settimeout(timeout)
    try:
        if src:
            s.bind((src, 0))
        s.connect((dst, port))
        s.sendall(b"x")
        return s.recv(1) == b"x"
    except OSError:
        return False
    finally:
        s.close()

def main():
    cmd = sys.argv[1]
    if cmd == "serve":
        serve(int(sys.argv[2]))
    elif cmd == "loop":       # loop DST PORT SECONDS TIMEOUT: connections back to back
        dst, port, secs, tmo = sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
        ok = fail = 0
        end = time.monotonic() + secs
        while time.monotonic() < end:
            if connect(dst, port, tmo, None):
                ok += 1
            else:
                fail += 1
        print(ok, fail)
    elif cmd == "paced":      # paced DST PORT COUNT INTERVAL [SRC]: one every INTERVAL
        dst, port, count, every = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
        src = sys.argv[6] if len(sys.argv) > 6 else None
        ok = fail = 0
        for _ in range(count):
            if connect(dst, port, 1.0, src):
                ok += 1
            else:
                fail += 1
            time.sleep(every)
        print(ok, fail)
    elif cmd == "hold":       # hold DST PORT SRC FILE: connect, wait for FILE, then talk
        dst, port, src, flag = sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
        s = socket.create_connection((dst, port), timeout=2, source_address=(src, 0))
        s.sendall(b"a")
        assert s.recv(1) == b"a"
        print("connected", flush=True)
        while not os.path.exists(flag):
            time.sleep(0.02)
        s.settimeout(3)
        s.sendall(b"b")
        print("echoed" if s.recv(1) == b"b" else "lost", flush=True)

main()
EOF
# (nsenter runs python in its own process: $! is python's pid, for the cleanup.)
nsenter --net=/run/netns/"$SRV" python3 "$WORK/tcp.py" serve 9000 >/dev/null 2>&1 &
SERVER_PID=$!
on_exit "kill $SERVER_PID"
once() { in_ns "$1" python3 "$WORK/tcp.py" paced "$2" 9000 1 0 ${3:-}; }
up() { [ "$(once "$CALM" 198.51.100.1)" = "1 0" ]; }
wait_for server 10 up || { fail "server-up" "the echo server does not answer"; exit 1; }

check "attach" W attach wt0 wt1 wt2 --mode generic

# A connection of the stranger (see shedding below), opened while nothing is throttled.
nsenter --net=/run/netns/"$CALM" python3 "$WORK/tcp.py" hold 198.51.100.1 9000 198.51.100.3 \
	"$WORK/go" >"$WORK/hold" 2>&1 &
HOLD_PID=$!
on_exit "kill $HOLD_PID"
wait_for held 5 grep -q connected "$WORK/hold" || fail "hold-connection" "$(cat "$WORK/hold")"

# ---- throttling ----
# 2 new connections per second per client, a burst of 4; a tight loop of 3 s
# can open about 4 + 2 * 3 of them, whatever it tries.
check "throttle-default" W throttle default --conn-rate 2/s --burst 4
nsenter --net=/run/netns/"$CALM" python3 "$WORK/tcp.py" paced 198.51.100.1 9000 6 0.6 \
	>"$WORK/calm" &
CALM_PID=$!
read -r ok4 fail4 < <(in_ns "$TIGHT" python3 "$WORK/tcp.py" loop 192.0.2.1 9000 3 0.05)
wait $CALM_PID
read -r calm_ok calm_fail <"$WORK/calm"
echo "  tight loop IPv4: $ok4 connected, $fail4 failed; calm client: $calm_ok connected, $calm_fail failed"
if [ "${ok4:-0}" -ge 4 ] && [ "${ok4:-99}" -le 14 ] && [ "${fail4:-0}" -ge $((2 * ok4)) ]; then
	pass "tight-loop-throttled-v4"
else
	fail "tight-loop-throttled-v4" "$ok4 connected, $fail4 failed"
fi
if [ "$calm_ok" = 6 ] && [ "$calm_fail" = 0 ]; then pass "calm-client-untouched"; else
	fail "calm-client-untouched" "$calm_ok connected, $calm_fail failed"; fi

read -r ok6 fail6 < <(in_ns "$TIGHT" python3 "$WORK/tcp.py" loop 2001:db8:a::1 9000 2 0.05)
echo "  tight loop IPv6: $ok6 connected, $fail6 failed"
if [ "${ok6:-0}" -ge 1 ] && [ "${ok6:-99}" -le 12 ] && [ "${fail6:-0}" -ge $((2 * ok6)) ]; then
	pass "tight-loop-throttled-v6"
else
	fail "tight-loop-throttled-v6" "$ok6 connected, $fail6 failed"
fi

stats=$(W stats --json)
conn_drops=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["throttle"]["dropped_conn"])' "$stats")
check "drops-counted" test "${conn_drops:-0}" -ge $((fail4 + fail6))
# What the data path reads is in pinned maps bpftool can show.
check "bpftool-reads-the-limits" sh -c "bpftool map dump pinned '$PIN/warden_settings' | grep -q conn_interval_ns"
check "bpftool-reads-the-clients" sh -c "bpftool map dump pinned '$PIN/warden_clients' | grep -q conn_tat_ns"

# A per-prefix rule wins over the default: the tight client gets a looser one.
check "throttle-prefix-rule" W throttle 192.0.2.0/24 --conn-rate 100000/s --burst 100000
read -r okr failr < <(in_ns "$TIGHT" python3 "$WORK/tcp.py" loop 192.0.2.1 9000 1 0.2)
if [ "${failr:-1}" -eq 0 ] && [ "${okr:-0}" -gt 10 ]; then pass "prefix-rule-wins"; else
	fail "prefix-rule-wins" "$okr connected, $failr failed"; fi
check "throttle-list-shows-rule" sh -c "'$WARDEN' throttle --list --pin-path '$PIN' | grep -q '192.0.2.0/24'"
W throttle --remove 192.0.2.0/24 >/dev/null

# ---- priority peers ----
check "allow-priority" W allow --priority 203.0.113.2
read -r okp failp < <(in_ns "$PEER" python3 "$WORK/tcp.py" loop 203.0.113.1 9000 1 0.2)
if [ "${failp:-1}" -eq 0 ] && [ "${okp:-0}" -gt 10 ]; then pass "priority-never-throttled"; else
	fail "priority-never-throttled" "$okp connected, $failp failed"; fi

# ---- shedding ----
# The stranger 198.51.100.3 holds a connection from before throttling was on
# (so nothing learnt it); the calm client .2 is known (its handshakes were
# seen while throttling); the peer is a priority peer.
check "shed-on" W shed on
sleep 0.6 # the calm client's bucket refills (2/s)
check "shed-known-client-connects" test "$(once "$CALM" 198.51.100.1 198.51.100.2)" = "1 0"
check "shed-priority-connects" test "$(once "$PEER" 203.0.113.1)" = "1 0"
check "shed-stranger-refused" test "$(once "$CALM" 198.51.100.1 198.51.100.3)" = "0 1"
touch "$WORK/go"
wait $HOLD_PID
check "shed-established-keeps-flowing" grep -q echoed "$WORK/hold"
read -r okps failps < <(in_ns "$PEER" python3 "$WORK/tcp.py" loop 203.0.113.1 9000 1 0.2)
if [ "${failps:-1}" -eq 0 ] && [ "${okps:-0}" -gt 10 ]; then pass "priority-untouched-under-shedding"; else
	fail "priority-untouched-under-shedding" "$okps connected, $failps failed"; fi
shed=$(W shed status --json)
check "shed-counted" python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["shedding"] and d["dropped_shed"] >= 1 and d["passed_known"] >= 1 and d["passed_priority"] >= 1' "$shed"
check "shed-off" W shed off
check "stranger-after-shedding" test "$(once "$CALM" 198.51.100.1 198.51.100.3)" = "1 0"

# Without any limit nor shedding, the stage is off: a tight loop goes through.
W throttle --remove default >/dev/null
W unallow 203.0.113.2 >/dev/null
read -r okf failf < <(in_ns "$TIGHT" python3 "$WORK/tcp.py" loop 192.0.2.1 9000 1 0.2)
if [ "${failf:-1}" -eq 0 ] && [ "${okf:-0}" -gt 10 ]; then pass "no-limit-no-throttle"; else
	fail "no-limit-no-throttle" "$okf connected, $failf failed"; fi

# detach --all removes the attachments and every pin, the new maps included.
W detach --all >/dev/null
check_not "no-xdp-after-detach-all" sh -c "ip -n '$SRV' link show wt0 | grep -q xdp"
check_not "pins-gone-after-detach-all" test -e "$PIN"
finish
