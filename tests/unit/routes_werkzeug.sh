#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# routes_werkzeug.sh - `warden routes` against Werkzeug's own url_map, app by app, and its CLI contract.
#
# For each test app under tests/apps/routes_*/ the helper imports it with
# Debian's Flask (/usr/bin/python3: the python3 first on PATH may have none),
# compares the rule list with url_map.iter_rules() and, for thousands of
# paths x 8 methods, warden's verdict with url_map.bind("localhost").match().
set -u
. "$(dirname "$0")/../lib.sh"
cd "$TOP" || exit 1

PY=/usr/bin/python3
export PYTHONDONTWRITEBYTECODE=1 # keep the test apps clean
HELPER=tests/apps/werkzeug_match.py
OUT=$(mktemp -d /tmp/warden-routes-sh.XXXXXX)
on_exit "rm -rf '$OUT'"

# compare NAME ARGS...: one PASS/FAIL line, with the first differences on failure.
compare() {
	local name=$1; shift
	if "$PY" "$HELPER" --warden "$WARDEN" "$@" >"$OUT/$name.log" 2>&1; then
		pass "werkzeug: $name ($(tail -n 1 "$OUT/$name.log"))"
	else
		fail "werkzeug: $name"
		sed -n '1,25p' "$OUT/$name.log" | sed 's/^/  | /'
	fi
}

if ! "$PY" -c 'import flask, werkzeug' 2>/dev/null; then
	skip "werkzeug comparison" "$PY has no Flask (apt-get install python3-flask)"
else
	compare single --entry tests/apps/routes_single/app.py --expect-skipped /dynamic//const
	compare package-entry --entry tests/apps/routes_pkg/wsgi.py
	compare package-folder --entry tests/apps/routes_pkg/wsgi.py --target tests/apps/routes_pkg
	compare static --entry tests/apps/routes_static/app.py
	compare nostatic --entry tests/apps/routes_nostatic/app.py
	compare edge --entry tests/apps/routes_edge/app.py
	compare edge-seed2 --entry tests/apps/routes_edge/app.py --seed 2
	# What real projects do beyond Flask's documentation (issue 14): helpers over literal
	# lists, prefixes from configuration classes, Flask-RESTful, extensions' own routes.
	compare helpers --entry tests/apps/routes_helpers/wsgi.py --expect-clean
	compare helpers-folder --entry tests/apps/routes_helpers/wsgi.py --target tests/apps/routes_helpers --expect-clean
	# flask-restx is not packaged in Debian 12: the app is not imported, its url_map is the
	# list the test writes down from flask-restx's code (namespaces, Swagger routes, blueprints).
	compare restx --entry tests/apps/routes_restx/app.py --expected tests/apps/routes_restx/expected.rules --expect-clean
	compare restx-folder --entry tests/apps/routes_restx/app.py --target tests/apps/routes_restx \
		--expected tests/apps/routes_restx/expected.rules --expect-clean
	if "$PY" -c 'import flask_restful, flask_bootstrap, flask_silk, flask_autoindex' 2>/dev/null; then
		compare restful --entry tests/apps/routes_restful/app.py --expect-clean
		# Extensions' own routes, from warden's table (the installed version decides).
		compare ext --entry tests/apps/routes_ext/app.py --expect-clean
		compare ext-autoindex --entry tests/apps/routes_ext/autoindex.py --expect-clean
		# --from flask: Flask's own url_map, extensions' routes included.
		compare ext-from-flask --entry tests/apps/routes_ext/app.py --expect-clean \
			--warden-arg=--from --warden-arg=flask --warden-arg=--python --warden-arg="$PY"
	else
		fail "werkzeug: extensions" "$PY lacks Flask-RESTful, Bootstrap-Flask, Flask-Silk or Flask-AutoIndex (tools/install-deps.sh installs them)"
	fi
fi

# The CLI: text output, JSON output, usage errors.
APP=tests/apps/routes_single/app.py
out=$("$WARDEN" routes --match "$APP" /about /users /no/pe 2>/dev/null)
expected=$'match /about /about\nredirect /users/ /users\nunknown - /no/pe'
if [ "$out" = "$expected" ]; then pass "cli: text verdicts"; else fail "cli: text verdicts" "got: $out"; fi

out=$("$WARDEN" routes --match --method post --json "$APP" /about 2>/dev/null)
expected='{"verdict":"method","rule":"/about","path":"/about","method":"post"}'
if [ "$out" = "$expected" ]; then pass "cli: json verdict"; else fail "cli: json verdict" "got: $out"; fi

out=$(printf '/about\n/no/pe\r\n' | "$WARDEN" routes --match "$APP" 2>/dev/null)
expected=$'match /about /about\nunknown - /no/pe'
if [ "$out" = "$expected" ]; then pass "cli: paths on stdin"; else fail "cli: paths on stdin" "got: $out"; fi

out=$("$WARDEN" routes tests/apps/routes_nostatic/app.py 2>/dev/null)
expected=$'/ GET,HEAD,OPTIONS\n/dir/ GET,HEAD,OPTIONS\n/strict/ GET,HEAD,OPTIONS\n/static/<path:p> GET,HEAD,OPTIONS'
if [ "$out" = "$expected" ]; then pass "cli: rule list"; else fail "cli: rule list" "got: $out"; fi

out=$("$WARDEN" routes --json tests/apps/routes_nostatic/app.py 2>/dev/null | head -n 1)
expected='{"rule":"/","methods":["GET","HEAD","OPTIONS"]}'
if [ "$out" = "$expected" ]; then pass "cli: json rule list"; else fail "cli: json rule list" "got: $out"; fi

if "$WARDEN" routes "$APP" 2>&1 >/dev/null | grep -q "app.py:[0-9]*: .*not a string literal"; then
	pass "cli: warns about the dynamic rule with file:line"
else
	fail "cli: warns about the dynamic rule with file:line"
fi

# --from flask on an app whose import fails: the source is read, and the reason said.
cat >"$OUT/broken.py" <<'PY'
from flask import Flask
import warden_test_no_such_module
app = Flask(__name__)
@app.route("/only/in/source")
def x():
    return "x"
PY
out=$("$WARDEN" routes --from flask --python "$PY" "$OUT/broken.py" 2>"$OUT/broken.err")
if [ "$out" = $'/static/<path:filename> GET,HEAD,OPTIONS\n/only/in/source GET,HEAD,OPTIONS' ]; then
	pass "cli: --from flask falls back to the source"
else
	fail "cli: --from flask falls back to the source" "got: $out"
fi
if grep -q "routes-from flask: .*exited with 1: ModuleNotFoundError: No module named 'warden_test_no_such_module'; learning the routes from the source instead" "$OUT/broken.err"; then
	pass "cli: --from flask says why it fell back"
else
	fail "cli: --from flask says why it fell back" "$(cat "$OUT/broken.err")"
fi
# An app that never finishes importing: killed at the timeout would take 15 s; one
# that is not Python at all fails at once, with the reason.
out=$("$WARDEN" routes --from flask --python /bin/false "$OUT/broken.py" 2>&1 >/dev/null)
if grep -q "/bin/false exited with 1" <<<"$out"; then pass "cli: --from flask, interpreter fails"; else fail "cli: --from flask, interpreter fails" "$out"; fi
# A loop that is not over constants is said only when routes are in it (not for any helper call).
cat >"$OUT/loops.py" <<'PY'
import json
from flask import Flask
app = Flask(__name__)
def log_it(x):
    print(x)
def add(rule):
    app.add_url_rule(rule, rule, lambda: "x")
for x in json.loads("[1, 2]"):
    log_it(x)
for r in json.loads('["/a"]'):
    add(r)
PY
err=$("$WARDEN" routes "$OUT/loops.py" 2>&1 >/dev/null)
if grep -q "loops.py:11: the loop at line 10" <<<"$err" && ! grep -q "line 8" <<<"$err"; then
	pass "cli: loop notes only where routes are"
else
	fail "cli: loop notes only where routes are" "$err"
fi
# extra_routes: added with their methods; a malformed one is said and skipped.
out=$("$WARDEN" routes --extra-route "POST,put /hook/<token>" --extra-route "bad" "$OUT/broken.py" 2>"$OUT/extra.err")
if grep -qx "/hook/<token> OPTIONS,POST,PUT" <<<"$out" && grep -q "extra_routes: 'bad' is not" "$OUT/extra.err"; then
	pass "cli: --extra-route"
else
	fail "cli: --extra-route" "$out $(cat "$OUT/extra.err")"
fi

# status NAME WANT CMD...: the exit status of CMD is WANT and stderr says why (for errors).
status() {
	local name=$1 want=$2 rc; shift 2
	"$@" >"$OUT/stdout" 2>"$OUT/stderr"
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		fail "$name" "exit $rc, expected $want: $(head -c 300 "$OUT/stderr")"
	elif [ "$want" -ne 0 ] && ! [ -s "$OUT/stderr" ]; then
		fail "$name" "no message on stderr"
	else
		pass "$name"
	fi
}
status "cli: --help" 0 "$WARDEN" routes --help
status "cli: missing APP" 2 "$WARDEN" routes
status "cli: missing APP with --match" 2 "$WARDEN" routes --match
status "cli: unknown option" 2 "$WARDEN" routes --frobnicate "$APP"
status "cli: unreadable file" 2 "$WARDEN" routes /nonexistent/app.py
status "cli: paths without --match" 2 "$WARDEN" routes "$APP" /about
status "cli: empty --method" 2 "$WARDEN" routes --match --method "" "$APP" /
if grep -q "^usage: warden routes" "$OUT/stderr"; then pass "cli: usage on bad input"; else fail "cli: usage on bad input"; fi

finish
