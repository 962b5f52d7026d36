#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# real_ip_nginx.sh - gunicorn behind Debian's nginx (TLS) on the same host: every
# access line's own client is 127.0.0.1. With --real-ip-from 127.0.0.1
# --real-ip-field last (gunicorn logs X-Forwarded-For last), a scanner is
# banned at XDP by its real address, a scanner that forges X-Forwarded-For
# (through nginx, or straight to gunicorn) gets nobody else banned, and the
# user it pretends to be is still served. Without them, warden says once
# that it cannot ban anyone. warden watch on nginx's own access log (the
# format README documents) bans by the real address too.
source "$(dirname "$0")/../lib.sh"

if [ ! -x /usr/sbin/nginx ]; then
	skip real-ip-nginx "nginx is not installed (tools/install-deps.sh)"
	exit 0
fi
SRV=wrsrv-$TEST_ID SCAN=wrscan-$TEST_ID USR=wrusr-$TEST_ID FORGE=wrfrg-$TEST_ID
make_pin_root
PIN=$PIN_ROOT/warden
APPDIR=$TOP/tests/apps/e2e
OUT=$(mktemp -d)
chmod 755 "$OUT"
[ -n "${KEEP_OUT:-}" ] || on_exit "rm -rf '$OUT'"
in_ns() { local ns=$1; shift; nsenter --net=/run/netns/"$ns" "$@"; }

for ns in "$SRV" "$SCAN" "$USR" "$FORGE"; do
	ip netns add "$ns"
	on_exit "ip netns del '$ns'"
	ip -n "$ns" link set lo up
done
ip link add v-scan netns "$SRV" type veth peer name eth0 netns "$SCAN"
ip link add v-user netns "$SRV" type veth peer name eth0 netns "$USR"
ip link add v-forge netns "$SRV" type veth peer name eth0 netns "$FORGE"
ip -n "$SRV" addr add 192.0.2.1/24 dev v-scan
ip -n "$SRV" addr add 198.51.100.1/24 dev v-user
ip -n "$SRV" addr add 203.0.113.1/24 dev v-forge
ip -n "$SCAN" addr add 192.0.2.2/24 dev eth0
ip -n "$USR" addr add 198.51.100.2/24 dev eth0
ip -n "$FORGE" addr add 203.0.113.2/24 dev eth0
for l in "$SRV v-scan" "$SRV v-user" "$SRV v-forge" "$SCAN eth0" "$USR eth0" "$FORGE eth0"; do
	set -- $l
	ip -n "$1" link set "$2" up
done
on_exit "in_ns '$SRV' '$WARDEN' detach --all --pin-path '$PIN'"

# nginx on ports 80 and 443 (TLS) of every address, passing the client on as X-Forwarded-For.
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=warden-test -days 1 \
	-keyout "$OUT/tls.key" -out "$OUT/tls.crt" >/dev/null 2>&1 || { fail "tls-cert"; exit 1; }
mkdir -p "$OUT/nginx"
chmod 777 "$OUT/nginx"
cat >"$OUT/nginx.conf" <<CONF
worker_processes 1;
pid $OUT/nginx.pid;
error_log $OUT/nginx-error.log;
events { worker_connections 64; }
http {
	# The format README documents for warden watch: X-Forwarded-For last.
	log_format warden '\$remote_addr - \$remote_user [\$time_local] "\$request" '
		'\$status \$body_bytes_sent "\$http_referer" "\$http_user_agent" '
		'"\$http_x_forwarded_for"';
	access_log $OUT/nginx-access.log warden;
	client_body_temp_path $OUT/nginx/body;
	proxy_temp_path $OUT/nginx/proxy;
	fastcgi_temp_path $OUT/nginx/fastcgi;
	uwsgi_temp_path $OUT/nginx/uwsgi;
	scgi_temp_path $OUT/nginx/scgi;
	server {
		listen 80;
		listen 443 ssl;
		ssl_certificate $OUT/tls.crt;
		ssl_certificate_key $OUT/tls.key;
		location / {
			proxy_pass http://127.0.0.1:8080;
			proxy_set_header Host \$host;
			proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
		}
	}
}
CONF
# nsenter itself, not in_ns: $! must be nginx's own pid (nsenter execs it).
nsenter --net=/run/netns/"$SRV" /usr/sbin/nginx -c "$OUT/nginx.conf" -g 'daemon off;' 2>"$OUT/nginx.err" &
NGINX=$!
on_exit "kill $NGINX"

# gunicorn logs X-Forwarded-For as the last quoted field; it also listens on
# 8081 of every address, where anyone can send a header of their own.
FORMAT='%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" "%({x-forwarded-for}i)s"'
GUNICORN=(/usr/bin/gunicorn -w 2 -b 127.0.0.1:8080 -b 0.0.0.0:8081 --chdir "$APPDIR"
	--access-logfile - --access-logformat "$FORMAT" app:app)

# start_warden NAME OPTIONS...: warden run -- gunicorn in the server namespace.
start_warden() {
	local name=$1; shift
	nsenter --net=/run/netns/"$SRV" "$WARDEN" run --state-dir "$OUT/state-$name" --control "$OUT/$name.sock" \
		--http off --pin-path "$PIN" --app "$APPDIR/app.py" --maxretry 3 "$@" -- "${GUNICORN[@]}" \
		>"$OUT/$name.out" 2>"$OUT/$name.err" &
	WARDEN_PID=$!
	on_exit "kill $WARDEN_PID"
	wait_for "$name-up" 30 user_up
}
user_get() { in_ns "$USR" curl -s -m 3 -o /dev/null -w '%{http_code}' "http://198.51.100.1$1"; }
user_up() { test "$(user_get /)" = 200; }
scan_ok() { in_ns "$SCAN" curl -s -m 2 -o /dev/null http://192.0.2.1/; }
forge_ok() { in_ns "$FORGE" curl -s -m 2 -o /dev/null http://203.0.113.1/; }
listed() { "$WARDEN" list --pin-path "$PIN" | grep -q "^$1 "; }

if ! start_warden proxied --iface v-scan --iface v-user --iface v-forge \
	--real-ip-from 127.0.0.1,::1 --real-ip-field last; then
	fail "proxied-up" "$(tail -5 "$OUT/proxied.err")"; exit 1
fi
pass "proxied-up"
# gunicorn logs a request once it has answered it: wait for the line.
if wait_for peer-line 10 grep -q '^127.0.0.1 - - .*"GET / HTTP/1.0" 200 .* "198.51.100.2"$' "$OUT/proxied.out"; then pass "access-line-peer-is-nginx"; else fail "access-line-peer-is-nginx"; fi

# The scanner through nginx over TLS, pretending to be the user: banned by its own address.
check "scanner-connects-before" scan_ok
for i in 1 2 3 4 5; do
	in_ns "$SCAN" curl -s -k -m 2 -o /dev/null -H "X-Forwarded-For: 198.51.100.2" "https://192.0.2.1/wp-admin-$i.php"
done
if wait_for scanner-banned 10 listed 192.0.2.2; then pass "scanner-banned-by-real-address"; else fail "scanner-banned-by-real-address" "$(grep warden "$OUT/proxied.err" | tail -5)"; fi
check_not "scanner-dropped-at-xdp" scan_ok
check "nginx-forwarded-the-forgery" grep -q '"198.51.100.2, 192.0.2.2"$' "$OUT/proxied.out"

# Straight to gunicorn: the peer is not a trusted proxy, its header is its own text.
for i in 1 2 3 4 5; do
	in_ns "$FORGE" curl -s -m 2 -o /dev/null -H "X-Forwarded-For: 198.51.100.2" "http://203.0.113.1:8081/.env-$i"
done
if wait_for forger-banned 10 listed 203.0.113.2; then pass "direct-forger-banned-by-own-address"; else fail "direct-forger-banned-by-own-address"; fi
check_not "forger-dropped-at-xdp" forge_ok

# Nobody else: the user they pretended to be, nor loopback, nor nginx.
check_not "forged-address-never-banned" listed 198.51.100.2
check_not "loopback-never-banned" listed 127.0.0.1
check_not "never-banned-logged" grep -q "banned 198.51.100.2\|banned 127.0.0.1" "$OUT/proxied.err"
check "user-still-served" user_up
check_not "no-proxy-warning-when-configured" grep -q "requests so far came from loopback" "$OUT/proxied.err"
kill -TERM "$WARDEN_PID"
wait "$WARDEN_PID"

# ---- without --real-ip-from: every client is loopback, and warden says so once ----
"$WARDEN" unban --all --pin-path "$PIN" >/dev/null
if ! start_warden plain --dry-run; then
	fail "plain-up" "$(tail -5 "$OUT/plain.err")"; exit 1
fi
in_ns "$USR" curl -s -o /dev/null "http://198.51.100.1/items/[1-120]"
if wait_for proxy-warning 10 grep -q "of the 1[0-9][0-9] requests so far came from loopback, which is never banned: behind a reverse proxy, log X-Forwarded-For as the line's last quoted field and give --real-ip-from PROXIES --real-ip-field last" "$OUT/plain.err"; then
	pass "warns-when-all-clients-are-loopback"
else
	fail "warns-when-all-clients-are-loopback" "$(grep warden "$OUT/plain.err" | tail -3)"
fi
check "warns-once" test "$(grep -c "requests so far came from loopback" "$OUT/plain.err")" -eq 1
kill -TERM "$WARDEN_PID"
wait "$WARDEN_PID"

# ---- warden watch on nginx's own access log (README's format) ----
# At the edge nginx's peer is the client: a header it sends is its own text.
"$WARDEN" unban --all --pin-path "$PIN" >/dev/null
nsenter --net=/run/netns/"$SRV" "$WARDEN" watch --iface v-scan --iface v-user --iface v-forge \
	--pin-path "$PIN" --state-dir "$OUT/state-watch" --http off --maxretry 3 \
	--follow "$OUT/nginx-access.log" --app "$APPDIR/app.py" \
	--real-ip-from 127.0.0.1,::1 --real-ip-field last >"$OUT/watch.out" 2>"$OUT/watch.err" &
WATCH_PID=$!
on_exit "kill $WATCH_PID"
wait_for watch-up 20 grep -q "following 1 pattern" "$OUT/watch.err" || fail "watch-up" "$(cat "$OUT/watch.err")"
# nginx serves while the app is down: its 502s to unknown URLs are failures all the same.
check "watch-forger-connects-before" forge_ok
for i in 1 2 3 4 5; do
	in_ns "$FORGE" curl -s -m 2 -o /dev/null -H "X-Forwarded-For: 198.51.100.2" "http://203.0.113.1/phpmyadmin-$i/"
done
if wait_for watch-forger-banned 10 listed 203.0.113.2; then pass "watch-nginx-log-bans-real-address"; else fail "watch-nginx-log-bans-real-address" "$(grep warden "$OUT/watch.err" | tail -3)"; fi
check "watch-nginx-logged-forgery" grep -q '^203.0.113.2 - - .*"198.51.100.2"$' "$OUT/nginx-access.log"
check_not "watch-forged-address-never-banned" listed 198.51.100.2
kill -TERM "$WATCH_PID"
wait "$WATCH_PID"
finish
