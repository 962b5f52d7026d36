#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# systemd_instances.sh - two warden@ instances side by side. This machine
# has no systemd running, so each runs the exact ExecStart= of
# tools/deploy/systemd/warden@.service as systemd would expand it for its
# instance (folders relocated under the test's own): each has its own state
# folder, status socket, cgroup and HTTP port, and neither fails on the
# other's.
source "$(dirname "$0")/../lib.sh"

UNIT=$TOP/tools/deploy/systemd/warden@.service
NS=wsdi-$TEST_ID
ip netns add "$NS"
on_exit "ip netns del '$NS'"
ip -n "$NS" link set lo up
OUT=$(mktemp -d)
chmod 755 "$OUT"
on_exit "rm -rf '$OUT'"
ROOT=$OUT/root
mkdir -p "$ROOT/etc/warden"
in_ns() { nsenter --net=/run/netns/"$NS" "$@"; }

# shop: gunicorn, with an HTTP port for health and metrics; blog: Flask's own server, none.
cat >"$ROOT/etc/warden/shop.env" <<ENV
APP_CMD=/usr/bin/gunicorn -w 1 -b 127.0.0.1:8081 --chdir $TOP/tests/apps/e2e app:app
WARDEN_HTTP=127.0.0.1:9471
ENV
cat >"$ROOT/etc/warden/blog.env" <<ENV
APP_CMD=/usr/bin/env PORT=8082 HOST=127.0.0.1 /usr/bin/python3 $TOP/tests/apps/supervise/app.py
ENV
for i in shop blog; do
	printf '[warden]\ndry_run = yes\n' >"$ROOT/etc/warden/$i.conf"
	# What StateDirectory= and RuntimeDirectory= make before ExecStart=.
	mkdir -p "$ROOT/var/lib/warden/$i" "$ROOT/run/warden/$i"
done

declare -A PIDS
for i in shop blog; do
	mapfile -t argv < <(unit_exec_argv "$UNIT" "$i" "$ROOT")
	echo "warden@$i: ${argv[*]}" >"$OUT/$i.cmd"
	# nsenter itself: $! must be warden's own pid (nsenter execs it).
	nsenter --net=/run/netns/"$NS" "${argv[@]}" >"$OUT/$i.out" 2>"$OUT/$i.err" &
	PIDS[$i]=$!
	on_exit "kill ${PIDS[$i]}"
done
check "shop-execstart-own-folders" grep -q -- "--state-dir $ROOT/var/lib/warden/shop --control $ROOT/run/warden/shop/warden.sock --http 127.0.0.1:9471 -- /usr/bin/gunicorn" "$OUT/shop.cmd"
check "blog-execstart-http-off" grep -q -- "--state-dir $ROOT/var/lib/warden/blog --control $ROOT/run/warden/blog/warden.sock --http off -- /usr/bin/env" "$OUT/blog.cmd"

serves() { in_ns curl -s -m 2 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/" | grep -q 200; }
if wait_for shop-up 30 serves 8081; then pass "shop-serves"; else fail "shop-serves" "$(tail -5 "$OUT/shop.err")"; fi
if wait_for blog-up 30 serves 8082; then pass "blog-serves"; else fail "blog-serves" "$(tail -5 "$OUT/blog.err")"; fi
for i in shop blog; do
	check "$i-running" kill -0 "${PIDS[$i]}"
	sock=$ROOT/run/warden/$i/warden.sock
	check "$i-own-status-socket" sh -c "'$WARDEN' status --control '$sock' | grep -q 'pid [0-9]*, up'"
	check "$i-own-state" grep -q "^pid " "$ROOT/var/lib/warden/$i/app.state"
	check "$i-own-lock" grep -qx "${PIDS[$i]}" "$ROOT/var/lib/warden/$i/warden.lock"
done
check "own-cgroups" test "$(grep -h '^cgroup ' "$ROOT"/var/lib/warden/*/app.state | sort -u | wc -l)" -eq 2
check "shop-http-port" sh -c "nsenter --net=/run/netns/$NS curl -s -m 2 http://127.0.0.1:9471/z/health | grep -q '\"status\"'"
check_not "blog-no-http-port" in_ns curl -s -m 2 http://127.0.0.1:9470/z/health
check_not "no-port-collision" grep -qi "address already in use" "$OUT/shop.err" "$OUT/blog.err"
# Stopped as systemd stops them (SIGTERM): with the app's own status (gunicorn exits 0).
declare -A WANT=([shop]=0 [blog]=143)
for i in shop blog; do
	kill -TERM "${PIDS[$i]}"
	wait "${PIDS[$i]}"
	check "$i-stops-with-app-status" test $? -eq "${WANT[$i]}"
done
finish
