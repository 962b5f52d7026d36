#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# deploy_manifests.sh - the deployment files say what warden needs, and
# warden runs with exactly their arguments and configuration: the DaemonSet's
# node agent in network namespaces against CRI log files, and the wrapper
# Deployment's `warden run -- gunicorn ...`. (No container engine here: the
# manifests are parsed with a YAML parser and their commands run directly.)
source "$(dirname "$0")/../lib.sh"

D=$TOP/tools/deploy
K=$D/kubernetes
WORK=$(mktemp -d /tmp/warden-deploy.XXXXXX)
on_exit "rm -rf '$WORK'"

# ---- what the manifests say ----
py() { /usr/bin/python3 - "$@"; }
if py "$K/daemonset.yaml" "$K/configmap.yaml" "$K/wrapper-deployment.yaml" <<'PY'
import sys, yaml
for f in sys.argv[1:]:
    list(yaml.safe_load_all(open(f)))
PY
then pass "manifests-parse"; else fail "manifests-parse"; fi

# Facts about the DaemonSet, one per line, checked below.
py "$K/daemonset.yaml" "$K/configmap.yaml" >"$WORK/facts" <<'PY'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
ds = [d for d in docs if d["kind"] == "DaemonSet"][0]
spec = ds["spec"]["template"]["spec"]
c = spec["containers"][0]
sc = c["securityContext"]
mounts = {m["name"]: m for m in c["volumeMounts"]}
vols = {v["name"]: v for v in spec["volumes"]}
def path_of(name): return vols[name]["hostPath"]["path"] if "hostPath" in vols[name] else None
print("hostNetwork", spec.get("hostNetwork"))
print("hostPID", spec.get("hostPID", False))
print("privileged", sc.get("privileged", False))
print("drop", ",".join(sc["capabilities"]["drop"]))
print("add", ",".join(sorted(sc["capabilities"]["add"])))
for name, m in mounts.items():
    print("mount", m["mountPath"], path_of(name) or "-", "ro" if m.get("readOnly") else "rw",
          m.get("mountPropagation", "None"))
print("liveness", c["livenessProbe"]["httpGet"]["path"], c["livenessProbe"]["httpGet"]["port"])
print("readiness", c["readinessProbe"]["httpGet"]["path"], c["readinessProbe"]["httpGet"]["port"])
print("resources", "requests" in c["resources"] and "limits" in c["resources"])
ann = ds["spec"]["template"]["metadata"]["annotations"]
print("scrape", ann.get("prometheus.io/scrape"), ann.get("prometheus.io/port"), ann.get("prometheus.io/path"))
print("args", " ".join(c["args"]))
cm = yaml.safe_load(open(sys.argv[2]))

PY
fact() { grep "^$1 " "$WORK/facts" | head -1 | cut -d' ' -f2-; }
check "daemonset-host-network" test "$(fact hostNetwork)" = True
check "daemonset-no-host-pid" test "$(fact hostPID)" = False
check "daemonset-not-privileged-by-default" test "$(fact privileged)" = False
check "daemonset-drops-all" test "$(fact drop)" = ALL
check "daemonset-smallest-caps" test "$(fact add)" = "BPF,NET_ADMIN,PERFMON,SYS_ADMIN,SYS_RESOURCE"
check "mount-bpffs-bidirectional" grep -q "^mount /sys/fs/bpf /sys/fs/bpf rw Bidirectional$" "$WORK/facts"
check "mount-tracefs" grep -q "^mount /sys/kernel/tracing /sys/kernel/tracing rw" "$WORK/facts"
check "mount-btf-ro" grep -q "^mount /sys/kernel/btf /sys/kernel/btf ro" "$WORK/facts"
check "mount-container-logs-ro" grep -q "^mount /var/log/containers /var/log/containers ro" "$WORK/facts"
check "mount-pod-logs-ro" grep -q "^mount /var/log/pods /var/log/pods ro" "$WORK/facts"
check "mount-state-hostpath" grep -q "^mount /var/lib/warden /var/lib/warden rw" "$WORK/facts"
check "resources-set" test "$(fact resources)" = True
check "scrape-annotations" test "$(fact scrape)" = "true 9470 /metrics"
check "liveness-probe" test "$(fact liveness)" = "/livez 9470"
check "readiness-probe" test "$(fact readiness)" = "/readyz 9470"
check "dockerfile-multistage-debian12" sh -c "grep -q '^FROM debian:12 AS build' '$D/Dockerfile' && grep -q '^FROM debian:12-slim' '$D/Dockerfile'"
check "dockerfile-runtime-only" sh -c "! sed -n '/^FROM debian:12-slim/,\$p' '$D/Dockerfile' | grep -q -e clang -e '-dev'"

# The ConfigMap's warden.conf, with the test's own paths for what is host-wide.
py "$K/configmap.yaml" >"$WORK/warden.conf" <<'PY'
import sys, yaml
print(yaml.safe_load(open(sys.argv[1]))["data"]["warden.conf"])
PY
http_port=$(sed -n 's/^http = .*:\([0-9]*\)$/\1/p' "$WORK/warden.conf")
check "probes-on-warden-http-port" test "$http_port" = 9470
check "configmap-accepted" "$WARDEN" watch --config "$WORK/warden.conf" --help

# ---- the node agent, run with the DaemonSet's arguments ----
make_pin_root
SRV=wds-$TEST_ID CLI=wdc-$TEST_ID
for ns in "$SRV" "$CLI"; do ip netns add "$ns"; on_exit "ip netns del '$ns'"; ip -n "$ns" link set lo up; done
ip link add eth0 netns "$SRV" type veth peer name eth0 netns "$CLI"
ip -n "$SRV" addr add 192.0.2.1/24 dev eth0
ip -n "$CLI" addr add 192.0.2.2/24 dev eth0
ip -n "$SRV" link set eth0 up
ip -n "$CLI" link set eth0 up
mkdir -p "$WORK/containers" "$WORK/state" "$WORK/app"
cp "$TOP/tools/demo/app.py" "$WORK/app/app.py"
sed -e "s|^pin_path = .*|pin_path = $PIN_ROOT/warden|" -e "s|^state_dir = .*|state_dir = $WORK/state|" \
	"$WORK/warden.conf" >"$WORK/warden-test.conf"
LOG=$WORK/containers/shop_default_shop-0123.log
: >"$LOG"
args=$(fact args)
args=${args//\/etc\/warden\/warden.conf/$WORK\/warden-test.conf}
args=${args//\/var\/log\/containers/$WORK\/containers}
args=${args//--app=\/app/--app=$WORK\/app}
echo "  warden $args"
# shellcheck disable=SC2086
nsenter --net=/run/netns/"$SRV" "$WARDEN" $args >"$WORK/agent.out" 2>"$WORK/agent.err" &
AGENT=$!
on_exit "kill $AGENT"
on_exit "nsenter --net=/run/netns/'$SRV' '$WARDEN' detach --all --pin-path '$PIN_ROOT/warden'"
probe() { [ "$(nsenter --net=/run/netns/"$SRV" curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:9470$1")" = 200 ]; }
if wait_for agent-ready 20 probe /readyz; then pass "agent-readyz"; else fail "agent-readyz" "$(tail -3 "$WORK/agent.err")"; fi
check "agent-livez" probe /livez
check "agent-metrics" probe /metrics
ping_ok() { nsenter --net=/run/netns/"$CLI" ping -c 1 -W 1 192.0.2.1 >/dev/null 2>&1; }
check "client-passes-before" ping_ok
# The kubelet's CRI lines for a scanner, as the container runtime writes them.
for p in /wp-admin /.env /phpmyadmin /admin.php /backup.zip /.git/config; do
	printf '%s stderr F 192.0.2.2 - - [%s] "GET %s HTTP/1.1" 404 -\n' \
		"$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)" "$(date +%d/%b/%Y:%H:%M:%S)" "$p" | sed 's|:\([0-9][0-9]:[0-9][0-9]:[0-9][0-9]\)\]| \1]|' >>"$LOG"
done
banned() { "$WARDEN" list --pin-path "$PIN_ROOT/warden" | grep -q '^192.0.2.2 '; }
if wait_for agent-ban 15 banned; then pass "agent-bans-scanner-from-cri-log"; else fail "agent-bans-scanner-from-cri-log" "$(tail -5 "$WORK/agent.err")"; fi
check_not "agent-ban-drops" ping_ok
kill -TERM $AGENT; wait $AGENT

# ---- the wrapper Deployment: warden run -- gunicorn, with its arguments ----
py "$K/wrapper-deployment.yaml" >"$WORK/wrapper-args" <<'PY'
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
c = d["spec"]["template"]["spec"]["containers"][0]
print(" ".join(c["args"]))
print(c["livenessProbe"]["httpGet"]["path"], c["readinessProbe"]["httpGet"]["path"])
PY
wargs=$(head -1 "$WORK/wrapper-args")
check "wrapper-probes" test "$(sed -n 2p "$WORK/wrapper-args")" = "/livez /readyz"
wargs=${wargs//\/var\/lib\/warden/$WORK\/wstate}
wargs=${wargs//\/srv\/shop/$WORK\/app}
wargs=${wargs/--iface=eth0/--iface=eth0 --pin-path=$PIN_ROOT/warden}
wargs=${wargs/-- gunicorn/-- \/usr\/bin\/python3 -m gunicorn}
echo "  warden $wargs"
# shellcheck disable=SC2086
wargs=${wargs/run /run --control=$WORK/ctl.sock }
nsenter --net=/run/netns/"$SRV" "$WARDEN" $wargs >"$WORK/wrap.out" 2>"$WORK/wrap.err" &
WRAP=$!
on_exit "kill $WRAP"
if wait_for wrapper-ready 30 probe /readyz; then pass "wrapper-readyz"; else fail "wrapper-readyz" "$(tail -5 "$WORK/wrap.err")"; fi
check "wrapper-serves-app" sh -c "nsenter --net=/run/netns/$SRV curl -sf http://127.0.0.1:8080/health | grep -q ok"
kill -TERM $WRAP; wait $WRAP
finish
