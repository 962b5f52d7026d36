#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# k8s_manifests.sh - the Kubernetes manifests are what an API server accepts and say
# what warden needs and no more: tools/deploy/k8s-check passes them (the API's schema
# from python3-kubernetes, the API server's rules) and refuses broken copies of them;
# the checksum annotation is the ConfigMaps'; the DaemonSet's settings one by one.
# (tests/e2e/deploy_manifests.sh runs warden with their arguments and capabilities.)
# shellcheck disable=SC2016 # backquotes in the API server's messages, not expansions
source "$(dirname "$0")/../lib.sh"

D=$TOP/tools/deploy
K=$D/kubernetes
WORK=$(mktemp -d /tmp/warden-k8s.XXXXXX)
on_exit "rm -rf '$WORK'"
py() { /usr/bin/python3 - "$@"; }

# ---- what an API server accepts ----
check "manifests-parse" py "$K"/*.yaml <<'PY'
import sys, yaml
for f in sys.argv[1:]:
    list(yaml.safe_load_all(open(f)))
PY
if "$D/k8s-check" "$K"/*.yaml >"$WORK/check.out" 2>&1; then pass "manifests-schema-and-api-rules"
else fail "manifests-schema-and-api-rules" "$(head -5 "$WORK/check.out")"; fi

# mutate NAME PYTHON: a copy of the DaemonSet file with PYTHON applied to ds (the
# DaemonSet), pod (its pod spec), init and agent (its containers).
mutate() {
	py "$K/daemonset.yaml" "$WORK/mut-$1.yaml" "$2" <<'PY'
import sys, yaml
docs = list(yaml.safe_load_all(open(sys.argv[1])))
ds = [d for d in docs if d["kind"] == "DaemonSet"][0]
pod = ds["spec"]["template"]["spec"]
init, agent = pod["initContainers"][0], pod["containers"][0]
exec(sys.argv[3])
yaml.safe_dump_all(docs, open(sys.argv[2], "w"))
PY
}
# rejected NAME MESSAGE PYTHON: k8s-check refuses the mutated copy, with MESSAGE.
rejected() {
	mutate "$1" "$3"
	if "$D/k8s-check" "$WORK/mut-$1.yaml" >"$WORK/mut-$1.out" 2>&1; then
		fail "rejects-$1" "k8s-check accepted it"
	elif grep -q -- "$2" "$WORK/mut-$1.out"; then
		pass "rejects-$1"
	else
		fail "rejects-$1" "$(head -3 "$WORK/mut-$1.out")"
	fi
}
mutate same "pass"
check "unchanged-copy-accepted" "$D/k8s-check" "$WORK/mut-same.yaml"
rejected bidirectional-unprivileged-init \
	"initContainers\[0\].volumeMounts\[0\].mountPropagation: Bidirectional mount propagation is available only to privileged containers" \
	'init["securityContext"]["privileged"] = False'
rejected bidirectional-in-agent "containers\[0\].volumeMounts\[.\].mountPropagation: Bidirectional mount propagation" \
	'[m.update(mountPropagation="Bidirectional") for m in agent["volumeMounts"] if m["name"] == "bpffs"]'
rejected unknown-field 'containers\[0\].securityContext.capabilites: unknown field "capabilites"' \
	'agent["securityContext"]["capabilites"] = agent["securityContext"].pop("capabilities")'
rejected unknown-nested-field 'startupProbe.httpGet.paht: unknown field' \
	'agent["startupProbe"]["httpGet"]["paht"] = "/livez"'
rejected wrong-type-bool 'spec.hostNetwork: wrong type: string, expected boolean' \
	'pod["hostNetwork"] = "true"'
rejected wrong-type-int 'periodSeconds: wrong type: string, expected integer' \
	'agent["livenessProbe"]["periodSeconds"] = "10"'
rejected wrong-type-list 'containers\[0\].args: wrong type: string, expected array' \
	'agent["args"] = " ".join(agent["args"])'
rejected unknown-kind 'no such kind DaemonSett in apps/v1' 'ds["kind"] = "DaemonSett"'
rejected missing-required 'containers\[0\].name: required value' 'del agent["name"]'
rejected escalation-with-sys-admin 'cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN' \
	'agent["securityContext"]["capabilities"]["add"].append("CAP_SYS_ADMIN")'
rejected escalation-with-privileged 'cannot set `allowPrivilegeEscalation` to false and `privileged` to true' \
	'agent["securityContext"]["privileged"] = True'
rejected unknown-capability "unknown capability 'NET_ADMN'" \
	'agent["securityContext"]["capabilities"]["add"].append("NET_ADMN")'
rejected hostpath-type "hostPath.type: unsupported value 'Dir'" \
	'[v["hostPath"].update(type="Dir") for v in pod["volumes"] if v["name"] == "bpffs"]'
rejected probe-port "no container port is named 'htp'" 'agent["livenessProbe"]["httpGet"]["port"] = "htp"'
rejected probe-port-number "port 9471 is not one of the container's ports" \
	'agent["readinessProbe"]["httpGet"]["port"] = 9471'
rejected undefined-env 'POD_IP) is not defined in env' 'del agent["env"]'
rejected selector '`selector` does not match template `labels`' \
	'ds["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"] = "other"'
rejected nested-mount 'lies inside the read-only volume at /etc/warden' \
	'agent["volumeMounts"].append({"name": "state", "mountPath": "/etc/warden/state"})'

# The checksum annotation is the ConfigMaps' checksum, and follows a change of them.
if "$D/config-checksum" --check >"$WORK/sum.out" 2>&1; then pass "checksum-annotation-matches"
else fail "checksum-annotation-matches" "$(cat "$WORK/sum.out")"; fi
cp -r "$K" "$WORK/k"
sed -i 's/^    maxretry = 5$/    maxretry = 6/' "$WORK/k/configmap.yaml"
check_not "checksum-stale-after-config-change" "$D/config-checksum" --check "$WORK/k"
sed -i 's/return "<rss\/>"/return "<rss version=\\"2.0\\"\/>"/' "$WORK/k/app-sources.yaml"
check "checksum-write" "$D/config-checksum" --write "$WORK/k"
check "checksum-fresh-after-write" "$D/config-checksum" --check "$WORK/k"
check_not "checksum-changed" cmp -s "$K/daemonset.yaml" "$WORK/k/daemonset.yaml"

# ---- what the DaemonSet says, one fact a line ----
py "$K/daemonset.yaml" "$K/configmap.yaml" >"$WORK/facts" <<'PY'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
ds = [d for d in docs if d["kind"] == "DaemonSet"][0]
spec = ds["spec"]["template"]["spec"]
init, c = spec["initContainers"][0], spec["containers"][0]
vols = {v["name"]: v for v in spec["volumes"]}
def host(name): return vols[name].get("hostPath", {}).get("path", "-")
print("hostNetwork", spec.get("hostNetwork"))
print("hostPID", spec.get("hostPID", False))
print("seccomp", spec["securityContext"]["seccompProfile"]["type"])
print("privileged", c["securityContext"].get("privileged", False))
print("init-privileged", init["securityContext"].get("privileged", False))
print("escalation", c["securityContext"].get("allowPrivilegeEscalation"))
print("drop", ",".join(c["securityContext"]["capabilities"]["drop"]))
print("add", ",".join(sorted(c["securityContext"]["capabilities"]["add"])))
for who, ctr in (("init", init), ("agent", c)):
    for m in ctr["volumeMounts"]:
        print("mount", who, m["mountPath"], host(m["name"]), "ro" if m.get("readOnly") else "rw",
              m.get("mountPropagation", "None"))
ports = {p["name"]: p["containerPort"] for p in c["ports"]}
for p in ("startupProbe", "livenessProbe", "readinessProbe"):
    g = c[p]["httpGet"]
    print(p, g["path"], ports.get(g["port"], g["port"]))
print("startup-budget", c["startupProbe"]["periodSeconds"] * c["startupProbe"]["failureThreshold"])
print("resources", "requests" in c["resources"] and "limits" in c["resources"])
ann = ds["spec"]["template"]["metadata"]["annotations"]
print("scrape", ann.get("prometheus.io/scrape"), ann.get("prometheus.io/port"), ann.get("prometheus.io/path"))
print("http-arg", " ".join(a for a in c["args"] if a.startswith("--http")))
print("iface-arg", " ".join(a for a in c["args"] if a.startswith("--iface")) or "-")
print("pod-ip-env", " ".join(e["name"] for e in c["env"] if e.get("valueFrom", {}).get("fieldRef", {}).get("fieldPath") == "status.podIP"))
PY
fact() { grep "^$1 " "$WORK/facts" | head -1 | cut -d' ' -f2-; }
check "daemonset-host-network" test "$(fact hostNetwork)" = True
check "daemonset-no-host-pid" test "$(fact hostPID)" = False
check "daemonset-seccomp-runtime-default" test "$(fact seccomp)" = RuntimeDefault
check "agent-not-privileged" test "$(fact privileged)" = False
check "agent-no-privilege-escalation" test "$(fact escalation)" = False
check "bpffs-init-privileged" test "$(fact init-privileged)" = True
check "agent-drops-all" test "$(fact drop)" = ALL
check "agent-smallest-caps" test "$(fact add)" = "BPF,NET_ADMIN,PERFMON"
check "mount-bpffs-init-bidirectional" grep -q "^mount init /sys/fs/bpf /sys/fs/bpf rw Bidirectional$" "$WORK/facts"
check "mount-bpffs-agent-host-to-container" grep -q "^mount agent /sys/fs/bpf /sys/fs/bpf rw HostToContainer$" "$WORK/facts"
check "mount-container-logs-ro" grep -q "^mount agent /var/log/containers /var/log/containers ro" "$WORK/facts"
check "mount-pod-logs-ro" grep -q "^mount agent /var/log/pods /var/log/pods ro" "$WORK/facts"
check "mount-state-hostpath" grep -q "^mount agent /var/lib/warden /var/lib/warden rw" "$WORK/facts"
check "resources-set" test "$(fact resources)" = True
check "scrape-annotations" test "$(fact scrape)" = "true 9470 /metrics"
check "startup-probe" test "$(fact startupProbe)" = "/livez 9470"
check "startup-probe-allows-long-backfill" test "$(fact startup-budget)" -ge 600
check "liveness-probe" test "$(fact livenessProbe)" = "/livez 9470"
check "readiness-probe" test "$(fact readinessProbe)" = "/readyz 9470"
check "http-on-pod-address" test "$(fact http-arg)" = '--http=$(POD_IP):9470'
check "pod-ip-from-downward-api" test "$(fact pod-ip-env)" = POD_IP
check "no-hard-coded-iface" test "$(fact iface-arg)" = -
check "dockerfile-multistage-debian12" sh -c "grep -q '^FROM debian:12 AS build' '$D/Dockerfile' && grep -q '^FROM debian:12-slim' '$D/Dockerfile'"
check "dockerfile-runtime-only" sh -c "! sed -n '/^FROM debian:12-slim/,\$p' '$D/Dockerfile' | grep -q -e clang -e '-dev'"

py "$K/configmap.yaml" >"$WORK/warden.conf" <<'PY'
import sys, yaml
print(yaml.safe_load(open(sys.argv[1]))["data"]["warden.conf"])
PY
check "config-iface-auto" grep -q '^iface = auto$' "$WORK/warden.conf"
check "config-token-file" grep -q '^http_token_file = /etc/warden/token/token$' "$WORK/warden.conf"
check_not "config-no-http-on-all-addresses" grep -q '^http = ' "$WORK/warden.conf"
check "config-two-apps" test "$(grep -c '^\[app [a-z]*\]$' "$WORK/warden.conf")" = 2

finish
