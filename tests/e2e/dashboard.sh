#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# dashboard.sh - the dashboard end to end: warden run serves a Flask app (a git
# checkout, two commits) to real curl traffic and a scanner it bans; the /api
# figures match the traffic, survive a restart of warden and split by version;
# headless Chromium loads the page, every chart draws data, a screenshot is kept
# (build/test-logs/dashboard.png).
source "$(dirname "$0")/../lib.sh"

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
SRV=wdsrv-$TEST_ID SCAN=wdscan-$TEST_ID USR=wdusr-$TEST_ID
HTTP=127.0.0.1:9471 # warden's HTTP interface, on the server namespace's own loopback
SHOT=$TOP/build/test-logs/dashboard.png
make_pin_root # sets PIN_ROOT
PIN=$PIN_ROOT/warden
OUT=$(mktemp -d)
[ -n "${KEEP_OUT:-}" ] || on_exit "rm -rf '$OUT'"
APPDIR=$OUT/app
STATE=$OUT/state
in_ns() { local ns=$1; shift; nsenter --net=/run/netns/"$ns" "$@"; }

if [ ! -x "$CHROMIUM" ]; then
	fail "chromium" "$CHROMIUM is missing (Debian's chromium package)"
	exit 1
fi

# ---- the network: a server, a user, a scanner ----
for ns in "$SRV" "$SCAN" "$USR"; do
	ip netns add "$ns"
	on_exit "ip netns del '$ns'"
	ip -n "$ns" link set lo up
done
ip link add v-scan netns "$SRV" type veth peer name eth0 netns "$SCAN"
ip link add v-user netns "$SRV" type veth peer name eth0 netns "$USR"
ip -n "$SRV" addr add 192.0.2.1/24 dev v-scan
ip -n "$SRV" addr add 198.51.100.1/24 dev v-user
ip -n "$SCAN" addr add 192.0.2.2/24 dev eth0
ip -n "$USR" addr add 198.51.100.2/24 dev eth0
for l in "$SRV v-scan" "$SRV v-user" "$SCAN eth0" "$USR eth0"; do
	set -- $l
	ip -n "$1" link set "$2" up
done
on_exit "in_ns '$SRV' '$WARDEN' detach --all --pin-path '$PIN'"

# ---- the app: a git checkout, so that warden can tell its version ----
mkdir -p "$APPDIR"
cp "$TOP/tests/apps/dashboard/app.py" "$APPDIR/"
git_app() { git -C "$APPDIR" -c user.name=test -c user.email=test@example.org "$@" >/dev/null; }
git_app init -q
git_app add app.py
git_app commit -q -m "first version"
VERSION1=$(git -C "$APPDIR" rev-parse HEAD)

get() { in_ns "$USR" curl -s -m 5 -o /dev/null -w '%{http_code}' "http://198.51.100.1:8080$1"; }
# The readiness probe: its own route, from the server's loopback, out of the checked figures.
user_up() { test "$(in_ns "$SRV" curl -s -m 5 -o /dev/null -w '%{http_code}' http://127.0.0.1:8080/ready)" = 200; }
api() { in_ns "$SRV" curl -s -m 10 "http://$HTTP$1"; }
listed() { "$WARDEN" list --pin-path "$PIN" | grep -q "^$1 "; }

# jtrue NAME API-PATH PYTHON-EXPR: passes when the expression holds on the answer (d),
# R(name) being the route named so in d["routes"]. Retried for a while: the
# figures follow the app's log lines by a moment.
JSON_PRELUDE='import json, sys
d = json.load(sys.stdin)
R = lambda n: next((x for x in d.get("routes", []) if x.get("route") == n), {})
C = lambda a: next((x for x in d.get("clients", []) if x.get("client") == a), {})
'
jholds() { api "$1" | python3 -c "$JSON_PRELUDE
sys.exit(0 if ($2) else 1)"; }
jtrue() {
	local name=$1 path=$2 expr=$3
	if wait_for "$name" 10 jholds "$path" "$expr"; then
		pass "$name"
	else
		fail "$name" "$path: not ($expr): $(api "$path" | head -c 600)"
	fi
}

# start_warden NAME: warden run in the server namespace, its output kept.
start_warden() {
	nsenter --net=/run/netns/"$SRV" "$WARDEN" run --iface v-scan --iface v-user \
		--pin-path "$PIN" --http "$HTTP" --state-dir "$STATE" --maxretry 5 \
		-- /usr/bin/python3 "$APPDIR/app.py" >"$OUT/$1.out" 2>"$OUT/$1.err" &
	WARDEN_PID=$!
	on_exit "kill $WARDEN_PID"
	wait_for "$1-up" 30 user_up && wait_for "$1-http" 10 api /z/health/liveness
}

stop_warden() {
	kill -TERM "$WARDEN_PID"
	wait "$WARDEN_PID"
}

# ---- first run: known traffic ----
if ! start_warden run1; then
	fail "app-up" "the app or the dashboard did not answer through warden"
	tail -n 30 "$OUT/run1.err"
	exit 1
fi
pass "app-up"

codes=""
for i in $(seq 1 12); do codes="$codes $(get /)"; done
for i in 1 2 3 4 5 6 7 8 200 201; do codes="$codes $(get "/items/$i")"; done
for i in 1 2 3; do codes="$codes $(get /boom)"; done
for i in 1 2 3 4; do
	codes="$codes $(in_ns "$USR" curl -s -m 5 -o /dev/null -w '%{http_code}' -d password=wrong \
		http://198.51.100.1:8080/login)"
done
# /work: thirty quick answers, then one far slower: an outlier.
for i in $(seq 1 30); do codes="$codes $(get '/work?ms=5')"; done
codes="$codes $(get '/work?ms=800')"
expected="$(printf ' 200%.0s' $(seq 12))$(printf ' 200%.0s' $(seq 8)) 404 404 500 500 500"
expected="$expected 401 401 401 401$(printf ' 200%.0s' $(seq 31))"
check "user-statuses" test "$codes" = "$expected"

# The scanner: unknown URLs until it is banned, then dropped at XDP.
for p in wp-admin .env phpmyadmin admin.php backup.zip .git/config cgi-bin/test; do
	in_ns "$SCAN" curl -s -m 2 -o /dev/null "http://192.0.2.1:8080/$p"
done
if wait_for scanner-banned 10 listed 192.0.2.2; then pass "scanner-banned"; else fail "scanner-banned"; fi
for i in 1 2 3; do in_ns "$SCAN" curl -s -m 1 -o /dev/null http://192.0.2.1:8080/; done

# ---- the figures against that traffic (two days: the test may cross midnight UTC) ----
jtrue "api-routes-index" "/api/routes?days=2" 'R("/")["hits"] == 12'
jtrue "api-routes-items" "/api/routes?days=2" 'R("/items/<int:item_id>")["hits"] == 10 and R("/items/<int:item_id>")["s4xx"] == 2'
jtrue "api-routes-boom" "/api/routes?days=2" 'R("/boom")["s5xx"] == 3'
jtrue "api-routes-login" "/api/routes?days=2" 'R("/login")["hits"] == 4 and R("/login")["s4xx"] == 4'
jtrue "api-routes-work" "/api/routes?days=2" 'R("/work")["hits"] == 31'
jtrue "api-routes-unknown" "/api/routes?days=2" 'R("unknown").get("hits", 0) >= 5'
jtrue "api-hits" "/api/hits?days=2" 'sum(d["total"]) >= 60 + 5 and sum(d["total"]) == sum(s["total"] for s in d["series"])'
jtrue "api-heatmap" "/api/heatmap?days=2" 'd["total"] >= 65 and sum(map(sum, d["cells"])) == d["total"]'
jtrue "api-status" "/api/status?days=2" 'R("/items/<int:item_id>")["statuses"] == {"200": 8, "404": 2} and R("/login")["methods"] == {"POST": 4}'
jtrue "api-clients" "/api/clients?days=2" 'd["clients"][0]["client"] == "198.51.100.2" and d["clients"][0]["hits"] == 60 and C("192.0.2.2").get("s4xx", 0) >= 5'
jtrue "api-latency-measured" "/api/latency?days=2" 'R("/work")["latency"]["count"] == 31 and R("/work")["latency"]["max"] >= 0.8'
jtrue "api-outlier" "/api/outliers" 'any(o["route"] == "/work" and o["path"] == "/work?ms=800" and o["client"] == "198.51.100.2" and o["latency"] >= 0.8 for o in d["outliers"])'
jtrue "api-bans" "/api/bans" 'any(b["target"] == "192.0.2.2" and b["reason"] and b["drops"] >= 1 for b in d["bans"])'
jtrue "api-version-1" "/api/versions?days=2" 'd["current"] and "'"$VERSION1"'".startswith(d["current"])'

# ---- a restart of warden and a new version of the app: history stays ----
stop_warden
check "state-db-written" test -s "$STATE/warden.db"
echo "# second version" >>"$APPDIR/app.py"
git_app commit -q -a -m "second version"
VERSION2=$(git -C "$APPDIR" rev-parse HEAD)
if ! start_warden run2; then
	fail "app-up-again"
	tail -n 30 "$OUT/run2.err"
	exit 1
fi
for i in $(seq 1 5); do get / >/dev/null; done
for i in $(seq 1 10); do get '/work?ms=20' >/dev/null; done
jtrue "history-survives-restart" "/api/routes?days=2" 'R("/")["hits"] == 17 and R("/work")["hits"] == 41 and R("/boom")["s5xx"] == 3'
jtrue "outlier-survives-restart" "/api/outliers" 'any(o["path"] == "/work?ms=800" for o in d["outliers"])'
jtrue "two-versions" "/api/versions?days=2" 'd["current"] and "'"$VERSION2"'".startswith(d["current"]) and len(d["versions"]) == 2 and any("'"$VERSION1"'".startswith(v["version"]) for v in d["versions"])'
jtrue "latency-per-version" "/api/latency?days=2" 'len([v for v in d["versions"] if v["latency"]["count"] > 0]) == 2 and len(R("/work")["versions"]) == 2'

# ---- the page in a real browser ----
chrome() {
	local profile
	profile=$(mktemp -d)
	in_ns "$SRV" timeout 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu \
		--disable-dev-shm-usage --no-first-run --disable-background-networking \
		--disable-component-update --disable-sync --user-data-dir="$profile" \
		--window-size=1400,2600 --virtual-time-budget=15000 "$@" "http://$HTTP/" 2>>"$OUT/chromium.err"
	rm -rf "$profile"
}
chrome --dump-dom >"$OUT/dom.html"
check "page-loaded" grep -q 'data-loaded=' "$OUT/dom.html"
charts=$(python3 - "$OUT/dom.html" <<'PY'
import sys
from html.parser import HTMLParser

class P(HTMLParser):
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "data-chart" in a:
            print(a["data-chart"], a.get("data-drawn", "missing"), (a.get("data-error") or "").replace(" ", "_"))

P().feed(open(sys.argv[1], encoding="utf-8").read())
PY
)
n=0
while read -r chart drawn why; do
	[ -n "$chart" ] || continue
	n=$((n + 1))
	if [ "$drawn" != missing ] && [ "$drawn" -gt 0 ]; then
		pass "chart-$chart-drew-$drawn"
	else
		fail "chart-$chart" "drew nothing (data-drawn=$drawn) ${why//_/ }"
	fi
done <<<"$charts"
check "ten-charts" test "$n" -eq 10
mkdir -p "$(dirname "$SHOT")"
rm -f "$SHOT"
chrome --screenshot="$SHOT" >/dev/null
check "screenshot" test -s "$SHOT"
[ -s "$SHOT" ] && echo "screenshot: $SHOT"

stop_warden
finish
