#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# parse_cli.sh - "warden parse": sample logs to JSON, hostile bytes, long lines, exit statuses.
. "$(dirname "$0")/../lib.sh"

DATA=$TOP/tests/data/logs
# Werkzeug writes local time without a zone: pin the zone the expected times assume.
export TZ=UTC0
TMP=$(mktemp -d /tmp/warden-parse.XXXXXX)
on_exit "rm -rf '$TMP'"

if ! [ -x "$WARDEN" ]; then
	fail "warden binary" "$WARDEN not built"
	exit 1
fi

# valid_json FILE: every line is one JSON object, in strict UTF-8.
valid_json() {
	python3 - "$1" <<'EOF'
import json, sys
data = open(sys.argv[1], "rb").read()
for line in data.split(b"\n")[:-1]:
    assert isinstance(json.loads(line.decode("utf-8", "strict")), dict)
EOF
}

# Golden files: the expected output was checked line by line against the log.
for name in werkzeug gunicorn combined; do
	if "$WARDEN" parse "$DATA/$name.log" >"$TMP/$name.out" 2>"$TMP/$name.err" &&
		diff -u "$DATA/$name.json" "$TMP/$name.out" && ! [ -s "$TMP/$name.err" ]; then
		pass "parse $name.log"
	else
		fail "parse $name.log"
	fi
done
if "$WARDEN" parse --log-regex "$(cat "$DATA/uvicorn.regex")" "$DATA/uvicorn.log" >"$TMP/uvicorn.out" &&
	diff -u "$DATA/uvicorn.json" "$TMP/uvicorn.out"; then
	pass "parse --log-regex uvicorn.log"
else
	fail "parse --log-regex uvicorn.log"
fi

# stdin, and "-", give the same.
if "$WARDEN" parse <"$DATA/gunicorn.log" | cmp -s - "$DATA/gunicorn.json" &&
	"$WARDEN" parse - <"$DATA/gunicorn.log" | cmp -s - "$DATA/gunicorn.json"; then
	pass "stdin"
else
	fail "stdin"
fi

# A fixed format refuses the others' lines.
"$WARDEN" parse --format common "$DATA/werkzeug.log" >"$TMP/fixed.out"
if ! grep -q '"ip"' "$TMP/fixed.out"; then pass "common refuses werkzeug"; else fail "common refuses werkzeug"; fi
"$WARDEN" parse --format werkzeug "$DATA/gunicorn.log" >"$TMP/fixed.out"
if ! grep -q '"ip"' "$TMP/fixed.out"; then pass "werkzeug refuses gunicorn"; else fail "werkzeug refuses gunicorn"; fi

# No attacker address ever comes out of the samples.
if ! cat "$DATA"/*.json | grep -q '"ip":"6\.6\.6\.6"'; then
	pass "no injected address"
else
	fail "no injected address"
fi

# Hostile bytes: NUL, invalid UTF-8, ESC, C1 controls, U+2028, CR. One object per line, valid JSON.
{
	printf '127.0.0.1 - - [21/Nov/2026 04:18:25] "GET /\xff\xfe\x00z\x1b[2J HTTP/1.1" 404 -\n'
	printf '127.0.0.1 - - [21/Nov/2026 04:18:25] "\x16\x03\x01\x00\xc0\x80\xed\xa0\x80" 400 -\n'
	printf '127.0.0.1 - - [21/Nov/2026 04:18:25] "GET /\xc2\x9b31m\xe2\x80\xa8\xf0\x9f\x92\xa9\\ HTTP/1.1" 404 -\r\n'
	printf '\x00\x00\x00\n'
	printf '\xff 6.6.6.6 - - [21/Nov/2026 04:18:25] "GET / HTTP/1.1" 404 -\n'
	printf '127.0.0.1 - - [21/Nov/2026 04:18:25] "GET /last HTTP/1.1" 404 -'
} >"$TMP/hostile.log"
"$WARDEN" parse "$TMP/hostile.log" >"$TMP/hostile.out"
rc=$?
if [ $rc -eq 0 ] && [ "$(wc -l <"$TMP/hostile.out")" -eq 6 ] && valid_json "$TMP/hostile.out"; then
	pass "hostile bytes give valid JSON"
else
	fail "hostile bytes give valid JSON" "rc=$rc"
fi
expected='{"ip":"127.0.0.1","method":"GET","path":"/\u00ff\u00fe\u0000z\u001b[2J","status":404,"time":1795234705}'
check "invalid UTF-8 escaped" grep -qxF "$expected" "$TMP/hostile.out"
expected='{"ip":"127.0.0.1","method":"GET","path":"/\u009b31m\u2028💩\\","status":404,"time":1795234705}'
check "C1 and U+2028 escaped, UTF-8 kept" grep -qxF "$expected" "$TMP/hostile.out"
check "no newline at end" grep -qF '"path":"/last"' "$TMP/hostile.out"
check_not "no injected address in hostile" grep -qF '6.6.6.6' "$TMP/hostile.out"

# Lines of any length: read whole, parsed to the bound, one object each.
python3 - "$TMP/long.log" <<'EOF'
import sys
with open(sys.argv[1], "w") as f:
    f.write('127.0.0.1 - - [21/Nov/2026:04:18:25 +0000] "GET /x HTTP/1.1" 404 0 "-" "' + "u" * 1000000 + '"\n')
    f.write('127.0.0.1 - - [21/Nov/2026 04:18:25] "GET /' + "a" * 70000 + ' HTTP/1.1" 404 -\n')
    f.write('127.0.0.1 - - [21/Nov/2026 04:18:25] "GET /short HTTP/1.1" 404 -\n')
EOF
"$WARDEN" parse "$TMP/long.log" >"$TMP/long.out"
if [ "$(sed -n 1p "$TMP/long.out")" = '{"ip":"127.0.0.1","method":"GET","path":"/x","status":404,"time":1795234705}' ] &&
	[ "$(sed -n 2p "$TMP/long.out")" = '{"error":"line too long to parse"}' ] &&
	[ "$(sed -n 3p "$TMP/long.out")" = '{"ip":"127.0.0.1","method":"GET","path":"/short","status":404,"time":1795234705}' ] &&
	[ "$(wc -l <"$TMP/long.out")" -eq 3 ]; then
	pass "long lines"
else
	fail "long lines" "$(cut -c1-200 "$TMP/long.out")"
fi

# Exit statuses: bad usage is 2 with a message, I/O is 1, --help is 0.
usage_error() { # NAME ARGS...
	local name=$1 rc; shift
	"$WARDEN" parse "$@" </dev/null >"$TMP/u.out" 2>"$TMP/u.err"
	rc=$?
	if [ $rc -eq 2 ] && [ -s "$TMP/u.err" ] && ! [ -s "$TMP/u.out" ]; then
		pass "$name"
	else
		fail "$name" "rc=$rc"
	fi
}
usage_error "unknown format" --format apache
usage_error "unknown option" --frobnicate
usage_error "two files" a b
usage_error "regex format without regex" --format regex
usage_error "regex with another format" --format combined --log-regex '^(?<ip>\S+)'
usage_error "regex without status group" --log-regex '^(?<ip>\S+) (?<method>\S+) (?<path>\S+)'
usage_error "regex that does not compile" --log-regex '^(?<ip>\S+'
"$WARDEN" parse --log-regex '^(?<ip>[' 2>"$TMP/u.err" </dev/null
check "regex error has its offset" grep -q 'offset' "$TMP/u.err"
"$WARDEN" parse "$TMP/does-not-exist" >/dev/null 2>"$TMP/u.err"
rc=$?
if [ $rc -eq 1 ] && grep -q 'does-not-exist' "$TMP/u.err"; then pass "missing file"; else fail "missing file" "rc=$rc"; fi
check "help" "$WARDEN" parse --help
check "empty input" test -z "$("$WARDEN" parse </dev/null)"

finish
