#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# watch_apps.sh - the node agent with two apps on one node: each CRI log is judged by the
# routes of the app whose [app NAME] section claims it, a log no app claims by statuses
# only, across a rotation and a restart; /z/health lists the unclaimed logs and /metrics
# counts lines by app. An app's section may learn its routes from Flask (routes_from =
# flask with python =) and add extra_routes. Each app has its own analytics: the API
# answers per app (app=NAME) with that app's own routes, /metrics counts records by app,
# and the dashboard, loaded in headless Chromium, offers both apps. Bad [app] sections
# are refused before anything is attached.
source "$(dirname "$0")/../lib.sh"

SRV=wasrv-$TEST_ID CLI=wacli-$TEST_ID
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
make_pin_root
PIN=$PIN_ROOT/warden
netns_pair "$SRV" "$CLI"
in_srv() { nsenter --net=/run/netns/"$SRV" "$@"; }
on_exit "in_srv '$WARDEN' detach --all --pin-path '$PIN'"

WORK=$(mktemp -d /tmp/warden-watch-apps.XXXXXX)
[ -n "${KEEP_OUT:-}" ] || on_exit "rm -rf '$WORK'"
LOGS=$WORK/log STATE=$WORK/state OUT=$WORK/out
mkdir -p "$LOGS/containers" "$OUT"
# The kubelet's names: POD_NAMESPACE_CONTAINER-ID.log, links into /var/log/pods.
pod_log() { # POD CONTAINER: the pod's log file, behind its /var/log/containers link
	local pod=$1 ctr=$2 f
	f=$LOGS/pods/default_${pod}_1234/$ctr/0.log
	mkdir -p "$(dirname "$f")"
	: >"$f"
	ln -sf "$f" "$LOGS/containers/${pod}_default_${ctr}-abcd$RANDOM.log"
	echo "$f"
}
SHOP_LOG=$(pod_log shop-7d9f shop)
BLOG_LOG=$(pod_log blog-5c2a blog)
OTHER_LOG=$(pod_log other-1b2c other)
FORUM_LOG=$(pod_log forum-3e4f forum)

# cri FILE IP FIRST LAST PATH STATUS: Werkzeug access lines in the CRI wrapper.
cri() {
	local f=$1 ip=$2 a=$3 b=$4 path=$5 status=$6 ts i
	ts=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)
	for ((i = a; i <= b; i++)); do
		printf '%s stderr F %s - - [21/Nov/2026 04:18:25] "GET %s HTTP/1.1" %s -\n' \
			"$ts" "$ip" "${path//N/$i}" "$status" >>"$f"
	done
}

CONF=$WORK/warden.conf
cat >"$CONF" <<CONF
[warden]
follow = $LOGS/containers/*.log
http = 127.0.0.1:19481

[jail]
maxretry = 5
bantime = 1h

[app shop]
follow = $LOGS/containers/shop-*_default_shop-*.log
app = $TOP/tests/apps/e2e/app.py

[app blog]
follow = $LOGS/containers/blog-*_default_blog-*.log
app = $TOP/tests/apps/blog/app.py
maxretry = 3

# Routes from a data file (no reading of the source finds them): Flask's url_map, asked
# with the interpreter that can import the app; and hooks no way finds.
[app forum]
follow = $LOGS/containers/forum-*_default_forum-*.log
app = $TOP/tests/apps/unlearned/app.py
routes_from = flask
python = /usr/bin/python3
extra_routes = GET /hook/<token>
    GET,POST /webhooks/<int:id>
CONF

# --iface auto: the devices that carry the default route (the node's uplink).
ip -n "$SRV" route add default via 192.0.2.2 dev veth0
start_watch() {
	nsenter --net=/run/netns/"$SRV" "$WARDEN" watch --config "$CONF" --iface auto \
		--pin-path "$PIN" --state-dir "$STATE" --verbose 2>"$OUT/$1.err" &
	WATCH_PID=$!
	on_exit "kill -9 $WATCH_PID"
	wait_for "$1-up" 20 grep -q "following 4 patterns" "$OUT/$1.err"
}
listed() { in_srv "$WARDEN" list --pin-path "$PIN" | grep -q "^$1 "; }
seen() { grep -q "$1" "$OUT"/w*.err; }
health() { in_srv curl -s "http://127.0.0.1:19481/z/health"; }
metric() { in_srv curl -s "http://127.0.0.1:19481/metrics" | grep -F "$1" | awk '{ print $2 }'; }

if ! start_watch w1; then
	fail "watch-up"; cat "$OUT/w1.err"; exit 1
fi
pass "watch-up"
check "iface-auto-says-which" grep -q "iface auto: the devices that carry the default route: veth0" "$OUT/w1.err"
check "iface-auto-attached" grep -q "XDP ban program on veth0" "$OUT/w1.err"
check "routes-per-app" grep -q "routes from .*blog/app.py (the source) for app blog" "$OUT/w1.err"
check "forum-routes-from-flask" grep -q "routes from .*unlearned/app.py (Flask's url_map) for app forum" "$OUT/w1.err"
check "unclaimed-said-at-start" grep -q "other-1b2c_default_other-.* is claimed by no \[app NAME\]" "$OUT/w1.err"

# A reader of the blog: paths the shop does not have, answered 200, and posts that are
# gone, answered 404 by the blog's own route (the app's business, not a probe). Judged
# by the shop's routes, these would be unknown URLs answered 404: a ban. Never banned.
cri "$BLOG_LOG" 203.0.113.50 1 12 /blog/post-N 200
cri "$BLOG_LOG" 203.0.113.50 1 8 /blog/deleted-N 404
# A scanner in the shop's log: unknown URLs, 404.
cri "$SHOP_LOG" 192.0.2.2 1 6 /wp-admin-N 404
# Unknown URLs in a log no app claims: statuses only, and 404 is not one of fail_status.
cri "$OTHER_LOG" 203.0.113.60 1 12 /nothing-here-N 404
# A forum reader: topics that are gone (404 from the forum's own route, which only Flask's
# url_map knows) and hooks of its extra_routes answered 404. Never banned.
cri "$FORUM_LOG" 203.0.113.70 1 8 /topic/N 404
cri "$FORUM_LOG" 203.0.113.70 1 4 /hook/tN 404
cri "$FORUM_LOG" 203.0.113.70 1 4 /webhooks/N 404
# A scanner in the forum's log is still banned by the forum's routes.
cri "$FORUM_LOG" 198.51.100.30 1 6 /phpmyadmin-N 404
if wait_for shop-scanner-banned 10 listed 192.0.2.2; then pass "shop-scanner-banned"; else fail "shop-scanner-banned"; fi
wait_for caught-up 10 seen "nothing-here-12"
check_not "blog-reader-never-banned" listed 203.0.113.50
check_not "unclaimed-log-bans-nobody-by-routes" listed 203.0.113.60
if wait_for forum-scanner-banned 10 listed 198.51.100.30; then pass "forum-scanner-banned"; else fail "forum-scanner-banned"; fi
check_not "forum-reader-never-banned" listed 203.0.113.70
check "blog-reader-lines-were-requests" grep -q "blog-5c2a.*request: .*/blog/post-12" "$OUT/w1.err"
# The blog's own jail: maxretry 3 from its section.
cri "$BLOG_LOG" 198.51.100.9 1 3 /wp-login-N.php 404
if wait_for blog-scanner-banned 10 listed 198.51.100.9; then pass "blog-own-maxretry"; else fail "blog-own-maxretry"; fi

h=$(health)
check "health-lists-unclaimed" grep -q "other-1b2c_default_other" <<<"$h"
check "metrics-by-app" test "$(metric 'warden_app_lines_total{app="blog",result="request"}')" -ge 12
check "metrics-unclaimed" test "$(metric 'warden_app_lines_total{app="(unclaimed)",result="request"}')" -ge 12

# ---- analytics per app: the API, /metrics and the dashboard ----
api() { in_srv curl -s -m 5 "http://127.0.0.1:19481$1"; }
jholds() { # PATH PYTHON-EXPR on d, the document
	api "$1" | python3 -c 'import json, sys; d = json.load(sys.stdin); sys.exit(0 if ('"$2"') else 1)'
}
jcheck() { # NAME PATH EXPR
	if jholds "$2" "$3"; then pass "$1"; else fail "$1" "$2: not ($3): $(api "$2" | head -c 600)"; fi
}
routes_of='{r["route"]: r["hits"] for r in d["routes"]}'
jcheck "api-lists-apps" "/api/apps" '[a["name"] for a in d["apps"]] == ["", "shop", "blog", "forum"]'
# The blog's reader and scanner on the blog's routes; none of the shop's scanner.
jcheck "api-blog-own-routes" "/api/routes?app=blog" \
	'(lambda r: r.get("/blog/<slug>", 0) >= 20 and sum(r.values()) == 23)('"$routes_of"')'
jcheck "api-shop-own-routes" "/api/routes?app=shop" \
	'(lambda r: r == {"unknown": 6})('"$routes_of"')'
jcheck "api-default-is-unclaimed" "/api/routes" \
	'(lambda r: sum(r.values()) == 12 and "/blog/<slug>" not in r)('"$routes_of"')'
jcheck "api-blog-clients" "/api/clients?app=blog" \
	'[c["client"] for c in d["clients"]][:2] == ["203.0.113.50", "198.51.100.9"]'
check_not "api-unknown-app-refused" jholds "/api/routes?app=nope" '"routes" in d'
check "api-unknown-app-400" test "$(in_srv curl -s -o /dev/null -w '%{http_code}' \
	"http://127.0.0.1:19481/api/routes?app=nope")" = 400
check "metrics-analytics-by-app" test "$(metric 'warden_analytics_records_total{app="blog",outcome="recorded"}')" -ge 23
check "metrics-analytics-unclaimed" test "$(metric 'warden_analytics_records_total{app="(unclaimed)",outcome="recorded"}')" -ge 12
check "history-per-app" test -s "$STATE/apps/blog/warden.db"
if [ -x "$CHROMIUM" ]; then
	profile=$(mktemp -d)
	in_srv timeout 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
		--no-first-run --disable-background-networking --disable-component-update \
		--disable-sync --user-data-dir="$profile" --virtual-time-budget=15000 --dump-dom \
		"http://127.0.0.1:19481/?app=blog" >"$OUT/dom.html" 2>"$OUT/chromium.err"
	rm -rf "$profile"
	apps=$(python3 - "$OUT/dom.html" <<'PY'
import sys
from html.parser import HTMLParser

class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.sel = None
        self.options = []
        self.selected = None
        self.hidden = None
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "label" and a.get("id") == "app-choice":
            self.hidden = "hidden" in a
        if tag == "select":
            self.sel = a.get("id")
        if tag == "option" and self.sel == "app":
            self.options.append(a.get("value"))
    def handle_endtag(self, tag):
        if tag == "select":
            self.sel = None

p = P()
p.feed(open(sys.argv[1]).read())
print(" ".join(o or "(default)" for o in p.options), "hidden" if p.hidden else "shown")
PY
)
	check "page-loaded" grep -q 'data-loaded=' "$OUT/dom.html"
	if [ "$apps" = "(default) shop blog forum shown" ]; then pass "dashboard-lists-every-app"; else fail "dashboard-lists-every-app" "options: $apps"; fi
	# The page drew the blog's figures: its hits chart has the blog's route.
	check "dashboard-shows-chosen-app" grep -q '/blog/&lt;slug&gt;' "$OUT/dom.html"
else
	fail "dashboard-lists-every-app" "$CHROMIUM is missing (Debian's chromium package)"
fi

# ---- rotation (the kubelet renames 0.log), then a restart: each log stays with its app ----
mv "$BLOG_LOG" "$BLOG_LOG.20261121-041825"
: >"$BLOG_LOG"
cri "$BLOG_LOG" 203.0.113.50 13 20 /blog/after-rotation-N 404
wait_for caught-up-rotation 10 seen "after-rotation-20"
check_not "blog-reader-not-banned-after-rotation" listed 203.0.113.50
kill -TERM "$WATCH_PID"
wait "$WATCH_PID"
check "stopped-cleanly" test $? -eq 0
cri "$BLOG_LOG" 203.0.113.50 21 30 /blog/after-restart-N 404
cri "$SHOP_LOG" 192.0.2.77 1 6 /.env-N 404
if ! start_watch w2; then
	fail "watch-restarted"; cat "$OUT/w2.err"; exit 1
fi
if wait_for shop-scanner2-banned 10 listed 192.0.2.77; then pass "shop-after-restart"; else fail "shop-after-restart"; fi
wait_for caught-up-restart 10 seen "after-restart-30"
check_not "blog-reader-not-banned-after-restart" listed 203.0.113.50
kill -TERM "$WATCH_PID"
wait "$WATCH_PID"

# ---- bad input: refused at start, with the reason, nothing attached ----
refused() { # NAME REASON-RE CONFIG-TEXT
	local name=$1 re=$2 conf=$WORK/bad-$1.conf out rc
	printf '%s\n' "$3" >"$conf"
	out=$(nsenter --net=/run/netns/"$SRV" "$WARDEN" watch --config "$conf" --iface veth0 \
		--pin-path "$PIN_ROOT/bad-$name" --state-dir "$STATE-bad" --http off 2>&1)
	rc=$?
	if [ "$rc" -eq 2 ] && grep -qE "$re" <<<"$out" && ! in_srv ip link show veth0 | grep -q xdp; then
		pass "refused-$name"
	else
		fail "refused-$name" "rc=$rc: $out"
	fi
}
# --iface auto where no device carries a default route: refused, with the way out.
out=$(nsenter --net=/run/netns/"$CLI" "$WARDEN" watch --config "$CONF" --iface auto \
	--pin-path "$PIN_ROOT/auto" --state-dir "$STATE-auto" --http off 2>&1)
rc=$?
if [ "$rc" -ne 0 ] && grep -q "no device carries a default route here" <<<"$out"; then
	pass "iface-auto-without-default-route-refused"
else
	fail "iface-auto-without-default-route-refused" "rc=$rc: $out"
fi
# Detach what the good runs left, so that "nothing attached" means something.
in_srv "$WARDEN" detach veth0 --pin-path "$PIN" >/dev/null 2>&1
refused no-follow "\[app shop\] needs follow" "[app shop]
app = $TOP/tests/apps/e2e/app.py"
refused no-source "\[app shop\] needs app" "[app shop]
follow = $LOGS/containers/shop-*.log"
refused same-file "claimed by \[app a\].*and \[app b\]" "[app a]
follow = $LOGS/containers/shop-*.log
app = $TOP/tests/apps/e2e/app.py
[app b]
follow = $LOGS/containers/*_default_shop-*.log
app = $TOP/tests/apps/blog/app.py"
refused same-glob "both follow" "[app a]
follow = $LOGS/containers/x-*.log
app = $TOP/tests/apps/e2e/app.py
[app b]
follow = $LOGS/containers/x-*.log
app = $TOP/tests/apps/blog/app.py"
refused unreadable-source "cannot learn the routes from $WORK/nope.py" "[app shop]
follow = $LOGS/containers/shop-*.log
app = $WORK/nope.py"
refused bad-name "app name" "[app sh\$op]
follow = $LOGS/containers/shop-*.log
app = $TOP/tests/apps/e2e/app.py"
refused flask-without-python "routes_from = flask needs python" "[app shop]
follow = $LOGS/containers/shop-*.log
app = $TOP/tests/apps/e2e/app.py
routes_from = flask"
refused bad-extra-route "extra_routes: .* is not \[METHODS \]RULE" "[app shop]
follow = $LOGS/containers/shop-*.log
app = $TOP/tests/apps/e2e/app.py
extra_routes = hook"
refused warden-key-in-app "belongs in \[warden\]" "[app shop]
follow = $LOGS/containers/shop-*.log
app = $TOP/tests/apps/e2e/app.py
iface = veth0"
exit $((FAILED > 0))
