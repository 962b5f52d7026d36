#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# parse_real_servers.sh - hostile raw requests to real Werkzeug and gunicorn servers, their logs through "warden parse".
#
# Each server runs on a port the kernel picks (port 0, read back from its
# banner) and is stopped by the PID this script started. The requests are
# sent one after the other, so the access lines come in the same order; the
# results warden gives for them are compared one by one with what the
# client knows it did. No request may ever come out under another address.
. "$(dirname "$0")/../lib.sh"

PY=/usr/bin/python3 # Debian's python3, which has Flask; the one on PATH may not
TMP=$(mktemp -d /tmp/warden-servers.XXXXXX)
on_exit "rm -rf '$TMP'"

if ! [ -x "$WARDEN" ]; then
	fail "warden binary" "$WARDEN not built"
	exit 1
fi
if ! "$PY" -c 'import flask' 2>/dev/null; then
	skip "werkzeug" "no Flask for $PY (apt install python3-flask)"
	NO_FLASK=1
fi
if ! command -v gunicorn >/dev/null; then
	skip "gunicorn" "no gunicorn (apt install gunicorn)"
	NO_GUNICORN=1
fi

cat >"$TMP/app.py" <<'EOF'
import logging, os, sys
from flask import Flask, abort
if os.environ.get("BASIC_CONFIG"):
    logging.basicConfig(level=logging.INFO)  # werkzeug lines get "INFO:werkzeug:"
app = Flask(__name__)
@app.route("/")
def index():
    return "ok\n"
@app.route("/secret")
def secret():
    abort(401)
if __name__ == "__main__":
    app.run(host=sys.argv[1], port=0)
EOF

# rs.py send SERVER HOST PORT EXPECTED: send the requests, write what each should give.
# rs.py check EXPECTED OUTPUT CLIENT: compare warden's results with them.
cat >"$TMP/rs.py" <<'EOF'
import base64, json, socket, sys

FAKE_WZ = b'6.6.6.6 - - [21/Nov/2026 04:18:25] "GET / HTTP/1.1" 200 -'
FAKE_CLF = b'6.6.6.6 - - [21/Nov/2026:04:18:25 +0000] "GET / HTTP/1.1" 404 0 "-" "-"'

def req(line, headers=b""):
    return line + b"\r\nHost: x\r\n" + headers + b"\r\n"

def ok(method, path, status):
    return {"method": method, "path": path, "status": status}

def junk(status):
    return {"method": None, "path": None, "status": status, "http": False}

SPLIT = {"error": "rest of a broken line (injected newline)"}
LONG = {"error": "line too long to parse"}

# (request bytes, what werkzeug's line gives, what gunicorn's gives); None: no access line.
CASES = [
    (req(b"GET / HTTP/1.1"), ok("GET", "/", 200), ok("GET", "/", 200)),
    (req(b"GET /nope HTTP/1.1"), ok("GET", "/nope", 404), ok("GET", "/nope", 404)),
    (req(b'GET /a"b HTTP/1.1'), ok("GET", '/a"b', 404), ok("GET", '/a\\"b', 404)),
    (req(b'GET /a\\" HTTP/1.1'), ok("GET", '/a\\"', 404), ok("GET", '/a\\\\"', 404)),
    (req(b'GET /x" 200 - "y HTTP/1.1'), junk(400), None),
    (req(FAKE_WZ), junk(400), None),
    (req(FAKE_CLF), junk(400), None),
    (b"\r\n\r\n", None, None),
    (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\xff\x00\x1b[31m\r\n\r\n", junk(400), None),
    (req(b"GET /\x1b[0m\xff\xfe\x00z HTTP/1.1"),
     # colorama, when installed, strips ANSI codes from the whole line
     {"method": "GET", "path_in": ["/\xff\xfe\x00z", "/\x1b[0m\xff\xfe\x00z"], "status": 404},
     ok("GET", "/\x1b[0m\xff\xfe\x00z", 404)),
    (req(b"GET /p%22q%0A%C2%85%E2%80%A8%ff HTTP/1.1"),
     ok("GET", "/p%22q%0A\x85\u2028%FF", 404), ok("GET", "/p%22q%0A%C2%85%E2%80%A8%ff", 404)),
    # gunicorn logs the user agent: a whole fake line in it, and one after a newline
    (req(b"GET /ua HTTP/1.1", b'User-Agent: ' + FAKE_CLF + b"\r\n"),
     ok("GET", "/ua", 404), ok("GET", "/ua", 404)),
    (req(b"GET /secret HTTP/1.1", b"User-Agent: a\n" + FAKE_CLF + b"\r\n"),
     ok("GET", "/secret", 401), ok("GET", "/secret", 401)),
    # gunicorn logs the Basic-auth user: "x\n6.6.6.6 - -" breaks its line in two
    (req(b"GET /secret HTTP/1.1",
         b"Authorization: Basic " + base64.b64encode(b"x\n6.6.6.6 - -:pw") + b"\r\n"),
     ok("GET", "/secret", 401), SPLIT),
    (req(b"GET /secret HTTP/1.1",
         b"Authorization: Basic " + base64.b64encode(b"x\nfiller\n\n6.6.6.6 - y\n6.6.6.6 - -:pw") + b"\r\n"),
     ok("GET", "/secret", 401), SPLIT),
    (req(b"GET /after HTTP/1.1"), ok("GET", "/after", 404), ok("GET", "/after", 404)),
    (b"POST /x HTTP/1.0\r\nContent-Length: 0\r\n\r\n", ok("POST", "/x", 404), ok("POST", "/x", 404)),
    (b"junk\r\n\r\n", junk(400), None),
    (b"GET /ok\r\n\r\n", ok("GET", "/ok", 404), None),
    (b"get /lower HTTP/1.1\r\n\r\n", ok("get", "/lower", 404), ok("GET", "/lower", 404)),
    (req(b"GET /" + b"a" * 20000 + b" HTTP/1.1"), LONG, None),
    (req(b"GET /" + b"a" * 70000 + b" HTTP/1.1"), junk(414), None),
    (req(b"GET /end HTTP/1.1"), ok("GET", "/end", 404), ok("GET", "/end", 404)),
]

def send(server, host, port, expected):
    want = []
    for raw, wz, gu in CASES:
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect((host, port))
        try:
            s.sendall(raw)
            s.shutdown(socket.SHUT_WR)
            while s.recv(65536):
                pass
        except OSError:
            pass  # the server may close on junk before reading all of it
        s.close()
        w = wz if server == "werkzeug" else gu
        if w is not None:
            want.append(w)
    json.dump(want, open(expected, "w"))

def check(expected, output, client):
    want = json.load(open(expected))
    got = []
    for line in open(output, "rb").read().split(b"\n")[:-1]:
        obj = json.loads(line.decode("utf-8", "strict"))
        if obj.get("ip") not in (None, client):
            print(f"  attributed to {obj['ip']}: {obj}")
            return 1
        if obj.get("error") not in ("not an access line", "empty line"):
            got.append(obj)
    if len(got) != len(want):
        print(f"  {len(got)} results, expected {len(want)}")
        for g in got:
            print("   ", g)
        return 1
    bad = 0
    for i, (g, w) in enumerate(zip(got, want)):
        w = dict(w)
        paths = w.pop("path_in", None)
        if "error" not in w:
            w["ip"] = client
        if paths is not None and g.get("path") in paths:
            paths = None
            w["path"] = g.get("path")
        if paths is not None or any(g.get(k, "absent") != v for k, v in w.items()):
            print(f"  request {i}: got {g}, expected {w}")
            bad = 1
    return bad

if sys.argv[1] == "send":
    send(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
else:
    sys.exit(check(sys.argv[2], sys.argv[3], sys.argv[4]))
EOF

# run_server NAME LOG BANNER_REGEX CMD...: start CMD with its output in LOG; sets SERVER_PID and PORT.
run_server() {
	local name=$1 log=$2 banner=$3
	shift 3
	"$@" >"$log" 2>&1 &
	SERVER_PID=$!
	on_exit "kill $SERVER_PID"
	PORT=
	if ! wait_for "$name listening" 20 grep -qE "$banner" "$log"; then
		fail "$name starts" "$(tail -5 "$log")"
		return 1
	fi
	PORT=$(grep -oE "$banner" "$log" | head -1 | grep -oE '[0-9]+$')
}

# stop_server: TERM the server started last and wait for it, so that its log is complete.
stop_server() {
	kill "$SERVER_PID" 2>/dev/null
	wait "$SERVER_PID" 2>/dev/null
}

# one_server NAME KIND CONNECT_HOST CLIENT BANNER CMD...
one_server() {
	local name=$1 kind=$2 host=$3 client=$4 banner=$5
	shift 5
	run_server "$name" "$TMP/$name.log" "$banner" "$@" || return
	if ! "$PY" "$TMP/rs.py" send "$kind" "$host" "$PORT" "$TMP/$name.want"; then
		fail "$name requests"
		stop_server
		return
	fi
	stop_server
	if ! "$WARDEN" parse "$TMP/$name.log" >"$TMP/$name.json"; then
		fail "$name parse"
		return
	fi
	if "$PY" "$TMP/rs.py" check "$TMP/$name.want" "$TMP/$name.json" "$client"; then
		pass "$name"
	else
		fail "$name" "see $TMP/$name.log"
		cp "$TMP/$name.log" "$TMP/$name.json" "$TOP/build/" 2>/dev/null
	fi
}

if [ -z "${NO_FLASK:-}" ]; then
	cd "$TMP" || exit 1
	one_server werkzeug-ipv4 werkzeug 127.0.0.1 127.0.0.1 'Running on http://127\.0\.0\.1:[0-9]+' \
		"$PY" app.py 127.0.0.1
	BASIC_CONFIG=1 one_server werkzeug-basicconfig werkzeug 127.0.0.1 127.0.0.1 \
		'Running on http://127\.0\.0\.1:[0-9]+' "$PY" app.py 127.0.0.1
	if ip -6 addr show dev lo 2>/dev/null | grep -q '::1/128'; then
		one_server werkzeug-ipv6 werkzeug ::1 ::1 'Running on http://\[::1\]:[0-9]+' \
			"$PY" app.py ::1
		# A dual-stack socket: IPv4 clients are logged as ::ffff:127.0.0.1.
		one_server werkzeug-mapped werkzeug 127.0.0.1 127.0.0.1 'Running on http://\[::1\]:[0-9]+' \
			"$PY" app.py ::
	else
		skip "werkzeug-ipv6" "no ::1 on lo"
	fi
	cd "$TOP" || exit 1
fi

if [ -z "${NO_GUNICORN:-}" ]; then
	one_server gunicorn-ipv4 gunicorn 127.0.0.1 127.0.0.1 'Listening at: http://127\.0\.0\.1:[0-9]+' \
		gunicorn --chdir "$TMP" -b 127.0.0.1:0 --workers 1 --access-logfile - app:app
	if ip -6 addr show dev lo 2>/dev/null | grep -q '::1/128'; then
		one_server gunicorn-ipv6 gunicorn ::1 ::1 'Listening at: http://\[::1\]:[0-9]+' \
			gunicorn --chdir "$TMP" -b '[::1]:0' --workers 1 --access-logfile - app:app
	fi
fi

finish
