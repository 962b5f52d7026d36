#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# deploy_manifests.sh - warden runs with exactly the deployment files' arguments, files
# and capabilities: the DaemonSet's init container mounts bpffs, its node agent runs in
# network namespaces against CRI logs of two apps (pod address, token, restart), and the
# wrapper Deployment runs `warden run -- gunicorn ...`. (No cluster and no container
# engine here: tests/k8s_pod.py lays out a container's volumes as the kubelet would,
# setpriv gives warden the container's capabilities. tests/unit/k8s_manifests.sh checks
# the manifests themselves.)
source "$(dirname "$0")/../lib.sh"

D=$TOP/tools/deploy
K=$D/kubernetes
WORK=$(mktemp -d /tmp/warden-deploy.XXXXXX)
on_exit "rm -rf '$WORK'"

# The init container's command, as the kubelet gives it, in a mount namespace of its
# own with an empty folder for the host's /sys/fs/bpf: mounts bpffs there once, and
# a second run (a pod restart) mounts nothing more.
mkdir -p "$WORK/host-bpf"
mapfile -t init_cmd < <(/usr/bin/python3 "$TOP/tests/k8s_pod.py" "$K" DaemonSet/warden mount-bpffs \
	"$WORK/init" --host /sys/fs/bpf="$WORK/host-bpf")
echo "  ${init_cmd[*]}"
# shellcheck disable=SC2016
if unshare --mount --propagation private sh -c '
	"$@" && "$@" && test "$(stat -f -c %T "$0")" = bpf_fs &&
	test "$(grep -c " $0 bpf " /proc/self/mounts)" = 1' "$WORK/host-bpf" "${init_cmd[@]}"
then pass "init-mounts-bpffs-once"; else fail "init-mounts-bpffs-once"; fi

# ---- the node agent: the DaemonSet's container, its files and capabilities ----
make_pin_root
SRV=wds-$TEST_ID CLI=wdc-$TEST_ID
for ns in "$SRV" "$CLI"; do ip netns add "$ns"; on_exit "ip netns del '$ns'"; ip -n "$ns" link set lo up; done
ip link add eth0 netns "$SRV" type veth peer name eth0 netns "$CLI"
ip -n "$SRV" addr add 192.0.2.1/24 dev eth0
ip -n "$CLI" addr add 192.0.2.2/24 dev eth0
ip -n "$CLI" addr add 192.0.2.3/24 dev eth0
ip -n "$SRV" link set eth0 up
ip -n "$CLI" link set eth0 up
# The node's way out is eth0; a second device without the default route is left alone.
ip -n "$SRV" route add default via 192.0.2.2 dev eth0
ip -n "$SRV" link add side0 type veth peer name side1
ip -n "$SRV" addr add 198.51.100.1/24 dev side0
ip -n "$SRV" link set side0 up
in_srv() { nsenter --net=/run/netns/"$SRV" "$@"; }
on_exit "in_srv '$WARDEN' detach --all --pin-path '$PIN_ROOT/warden'"

# The token as the DaemonSet's comment makes it.
ROOT=$WORK/root TOKEN=$(head -c 32 /dev/urandom | base64)
mapfile -t args < <(/usr/bin/python3 "$TOP/tests/k8s_pod.py" "$K" DaemonSet/warden warden "$ROOT" \
	--env POD_IP=192.0.2.1 --host /sys/fs/bpf="$PIN_ROOT" --secret warden-http-token/token="$TOKEN")
check "agent-laid-out" test "${args[0]}" = watch
# The container's capabilities: the bounding set is the add list, no_new_privs as set.
caps=$(/usr/bin/python3 - "$K/daemonset.yaml" <<'PY'
import sys, yaml
ds = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d["kind"] == "DaemonSet"][0]
sc = ds["spec"]["template"]["spec"]["containers"][0]["securityContext"]
assert sc["capabilities"]["drop"] == ["ALL"] and sc["allowPrivilegeEscalation"] is False
print(",".join("+" + c.lower() for c in sc["capabilities"]["add"]))
PY
)
# shellcheck disable=SC2054 # commas inside one argument
container=(setpriv --inh-caps=-all --ambient-caps=-all --bounding-set=-all,"$caps" --no-new-privs --)
echo "  [caps $caps] warden ${args[*]}"

# The kubelet's logs: /var/log/containers/POD_NAMESPACE_CONTAINER-ID.log -> /var/log/pods.
pod_log() { # POD CONTAINER
	local f=$ROOT/var/log/pods/default_$1_0f3c/$2/0.log
	mkdir -p "$(dirname "$f")"
	: >"$f"
	ln -s "$f" "$ROOT/var/log/containers/$1_default_$2-$(printf '%064x' "$RANDOM").log"
	echo "$f"
}
SHOP_LOG=$(pod_log shop-7d9f4 shop)
BLOG_LOG=$(pod_log blog-5c2a8 blog)
cri() { # FILE IP STATUS PATH...
	local f=$1 ip=$2 st=$3 p; shift 3
	for p in "$@"; do
		printf '%s stderr F %s - - [%s] "GET %s HTTP/1.1" %s -\n' "$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)" \
			"$ip" "$(date '+%d/%b/%Y %H:%M:%S')" "$p" "$st" >>"$f"
	done
}

start_agent() {
	# nsenter and setpriv exec: $! is warden itself.
	nsenter --net=/run/netns/"$SRV" "${container[@]}" "$WARDEN" "${args[@]}" \
		>>"$WORK/agent.out" 2>>"$WORK/agent.err" &
	AGENT=$!
	on_exit "kill $AGENT 2>/dev/null"
}
code() { # URL [CURL ARGS]: the HTTP status, as seen from another host (one never banned)
	local url=$1; shift
	nsenter --net=/run/netns/"$CLI" curl -s --interface 192.0.2.3 -o /dev/null -w '%{http_code}' "$@" "$url"
}
kubelet_probe() { [ "$(in_srv curl -s -o /dev/null -w '%{http_code}' "http://192.0.2.1:9470$1")" = 200 ]; }
# No more than it needs: without any one of the capabilities warden refuses to start
# (rather than run unprotected), and leaves no program attached.
for cap in ${caps//,/ }; do
	fewer=$(echo ",$caps," | sed "s/,$cap,/,/; s/^,//; s/,\$//")
	# shellcheck disable=SC2054 # commas inside one argument
	timeout 30 nsenter --net=/run/netns/"$SRV" setpriv --inh-caps=-all --ambient-caps=-all \
		--bounding-set=-all,"$fewer" --no-new-privs -- "$WARDEN" "${args[@]}" \
		>"$WORK/fewer.out" 2>"$WORK/fewer.err"
	rc=$?
	echo "  without ${cap#+}: exit $rc: $(grep -v 'libbpf: [0-9;]' "$WORK/fewer.err" | tail -1 | cut -c1-160)"
	if [ $rc -ne 0 ] && [ $rc -ne 124 ] && ! ip -n "$SRV" link show eth0 | grep -q xdp; then
		pass "agent-needs-${cap#+}"
	else
		fail "agent-needs-${cap#+}" "exit $rc: $(tail -2 "$WORK/fewer.err")"
	fi
	in_srv "$WARDEN" detach --all --pin-path "$PIN_ROOT/warden" >/dev/null 2>&1
done
start_agent
if wait_for agent-ready 30 kubelet_probe /readyz; then pass "agent-readyz-on-pod-ip"
else fail "agent-readyz-on-pod-ip" "$(tail -3 "$WORK/agent.err")"; fi
check "agent-livez-without-token" kubelet_probe /livez
check "agent-metrics-without-token" kubelet_probe /metrics
# What names the node's apps and files wants the token; the node agent has no dashboard.
check "agent-info-needs-token" test "$(code http://192.0.2.1:9470/z/info)" = 401
check "agent-info-wrong-token" test "$(code http://192.0.2.1:9470/z/info -H 'Authorization: Bearer nope')" = 401
check "agent-info-with-token" test "$(code http://192.0.2.1:9470/z/info -H "Authorization: Bearer $TOKEN")" = 200
check "agent-listens-on-pod-ip-only" sh -c "nsenter --net=/run/netns/$SRV ss -Hltn 'sport = :9470' | awk '{print \$4}' | grep -qx 192.0.2.1:9470"
check "agent-xdp-on-default-route-device" sh -c "ip -n $SRV link show eth0 | grep -q xdp"
check_not "agent-no-xdp-elsewhere" sh -c "ip -n $SRV link show side0 | grep -q xdp"

# A reader of the blog (its routes, dead links included) and a scanner of the shop.
ping_from() { nsenter --net=/run/netns/"$CLI" ping -c 1 -W 1 -I "$1" 192.0.2.1 >/dev/null 2>&1; }
check "client-passes-before" ping_from 192.0.2.2
cri "$BLOG_LOG" 192.0.2.3 200 /blog/post-1 /blog/post-2 /blog/post-3 /feed.xml /
cri "$BLOG_LOG" 192.0.2.3 404 /blog/old-1 /blog/old-2 /blog/old-3 /blog/old-4 /blog/old-5 /blog/old-6
cri "$SHOP_LOG" 192.0.2.2 404 /wp-admin /.env /phpmyadmin /admin.php /backup.zip /.git/config
banned() { "$WARDEN" list --pin-path "$PIN_ROOT/warden" | grep -q "^$1 "; }
if wait_for agent-ban 15 banned 192.0.2.2; then pass "agent-bans-shop-scanner"
else fail "agent-bans-shop-scanner" "$(tail -5 "$WORK/agent.err")"; fi
check_not "agent-ban-drops" ping_from 192.0.2.2
# The same lines in the blog's own log, after the reader's: when they ban, the reader's were read.
cri "$BLOG_LOG" 192.0.2.4 404 /wp-admin /.env /phpmyadmin /admin.php /backup.zip /.git/config \
	/wp-login.php /xmlrpc.php /.aws/credentials /server-status /config.php
if wait_for blog-ban 15 banned 192.0.2.4; then pass "agent-bans-blog-scanner"; else fail "agent-bans-blog-scanner"; fi
check_not "agent-blog-reader-not-banned" banned 192.0.2.3
check "agent-blog-reader-passes" ping_from 192.0.2.3

# A new pod on the node: same capabilities, the bans and the program kept.
kill -TERM "$AGENT"; wait "$AGENT"
check "agent-stops-cleanly" test $? = 0
check_not "ban-kept-across-restart" ping_from 192.0.2.2
start_agent
if wait_for agent-ready-again 30 kubelet_probe /readyz; then pass "agent-restarts-with-same-caps"
else fail "agent-restarts-with-same-caps" "$(tail -3 "$WORK/agent.err")"; fi
check "agent-ban-still-listed" banned 192.0.2.2
check_not "agent-ban-still-drops" ping_from 192.0.2.2
kill -TERM "$AGENT"; wait "$AGENT"

# ---- the wrapper Deployment: warden run -- gunicorn, with its arguments ----
WROOT=$WORK/wroot
mkdir -p "$WORK/app"
cp "$TOP/tools/demo/app.py" "$WORK/app/app.py"
mapfile -t wargs < <(/usr/bin/python3 "$TOP/tests/k8s_pod.py" "$K" Deployment/shop shop "$WROOT" \
	--env POD_IP=192.0.2.1 --secret shop-warden-token/token="$TOKEN" --path /srv/shop="$WORK/app")
check "wrapper-http-on-pod-address" sh -c 'printf "%s\n" "$@" | grep -qx -- --http=192.0.2.1:9470' _ "${wargs[@]}"
# The image's gunicorn is Debian's python3 -m gunicorn here; the pins stay in the test's bpffs.
for i in "${!wargs[@]}"; do
	case ${wargs[$i]} in
	gunicorn) wargs[i]=/usr/bin/python3; wargs=("${wargs[@]:0:i+1}" -m gunicorn "${wargs[@]:i+1}"); break ;;
	esac
done
wargs=("${wargs[0]}" --pin-path="$PIN_ROOT/warden" --control="$WORK/ctl.sock" "${wargs[@]:1}")
echo "  warden ${wargs[*]}"
nsenter --net=/run/netns/"$SRV" "$WARDEN" "${wargs[@]}" >"$WORK/wrap.out" 2>"$WORK/wrap.err" &
WRAP=$!
on_exit "kill $WRAP 2>/dev/null"
if wait_for wrapper-ready 30 kubelet_probe /readyz; then pass "wrapper-readyz"; else fail "wrapper-readyz" "$(tail -5 "$WORK/wrap.err")"; fi
check "wrapper-serves-app" sh -c "nsenter --net=/run/netns/$SRV curl -sf http://127.0.0.1:8080/health | grep -q ok"
check "wrapper-api-needs-token" test "$(code http://192.0.2.1:9470/api/routes)" = 401
check "wrapper-dashboard-needs-token" test "$(code http://192.0.2.1:9470/)" = 401
check "wrapper-api-with-token" test "$(code http://192.0.2.1:9470/api/routes -H "Authorization: Bearer $TOKEN")" = 200
kill -TERM $WRAP; wait $WRAP
finish
