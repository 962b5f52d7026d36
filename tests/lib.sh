# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# lib.sh - helpers for the shell tests: results, cleanup, network namespaces.
# Each check prints "PASS: name" or "FAIL: name"; tests/run.sh counts them.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Debian's tools first: python3 is /usr/bin/python3 (with python3-flask, python3-yaml), never a
# python3 that a version manager put earlier on PATH.
export PATH="/usr/sbin:/usr/bin:/sbin:/bin:$PATH"
WARDEN=${WARDEN:-$TOP/build/warden-san}
[ -x "$WARDEN" ] || WARDEN=$TOP/build/warden
FAILED=0

pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1${2:+: $2}"; FAILED=$((FAILED + 1)); }
skip() { echo "SKIP: $1: $2"; }

# check NAME CMD...: passes when CMD succeeds.
check() {
	local name=$1; shift
	if "$@" >/dev/null 2>&1; then pass "$name"; else fail "$name" "command failed: $*"; fi
}

# check_not NAME CMD...: passes when CMD fails.
check_not() {
	local name=$1; shift
	if "$@" >/dev/null 2>&1; then fail "$name" "command succeeded: $*"; else pass "$name"; fi
}

# Cleanup actions run in reverse order on exit, also when the test fails.
CLEANUPS=()
on_exit() { CLEANUPS+=("$*"); }
run_cleanups() {
	local i
	for ((i = ${#CLEANUPS[@]} - 1; i >= 0; i--)); do
		eval "${CLEANUPS[$i]}" >/dev/null 2>&1 || true
	done
}
trap run_cleanups EXIT
trap 'exit 130' INT TERM

# A unique suffix so that concurrent or leftover runs never collide.
TEST_ID=${TEST_ID:-w$$}

# A private bpffs for the test's pins in PIN_ROOT, removed at exit.
# Call it directly, not in $(...): the cleanup must be registered in this shell.
make_pin_root() {
	PIN_ROOT=$(mktemp -d /tmp/warden-bpffs.XXXXXX)
	on_exit "umount '$PIN_ROOT'; rmdir '$PIN_ROOT'"
	mount -t bpf bpf "$PIN_ROOT"
}

# netns_pair SERVER CLIENT: two namespaces joined by a veth pair,
# server 192.0.2.1/24 + 2001:db8::1/64, client 192.0.2.2/24 + 2001:db8::2/64.
# Sets SERVER_IF (the veth inside the server namespace).
netns_pair() {
	local srv=$1 cli=$2
	ip netns add "$srv"
	on_exit "ip netns del '$srv'"
	ip netns add "$cli"
	on_exit "ip netns del '$cli'"
	ip link add veth0 netns "$srv" type veth peer name veth1 netns "$cli"
	ip -n "$srv" link set lo up
	ip -n "$cli" link set lo up
	ip -n "$srv" addr add 192.0.2.1/24 dev veth0
	ip -n "$cli" addr add 192.0.2.2/24 dev veth1
	ip -n "$srv" -6 addr add 2001:db8::1/64 dev veth0 nodad
	ip -n "$cli" -6 addr add 2001:db8::2/64 dev veth1 nodad
	ip -n "$srv" link set veth0 up
	ip -n "$cli" link set veth1 up
	SERVER_IF=veth0
}

# wait_for NAME TIMEOUT_S CMD...: retry CMD until it succeeds (a condition, not a sleep).
wait_for() {
	local name=$1 timeout=$2; shift 2
	local deadline=$((SECONDS + timeout))
	while ! "$@" >/dev/null 2>&1; do
		if [ $SECONDS -ge $deadline ]; then
			return 1
		fi
		sleep 0.05
	done
	return 0
}

finish() {
	[ "$FAILED" -eq 0 ]
}

# unit_exec_argv UNIT INSTANCE ROOT: the ExecStart= of a systemd unit file as
# systemd would run it for INSTANCE: specifiers (%i %S %t %%), ${VAR} from
# Environment= and EnvironmentFile= (the later wins), $VAR split into words.
# /etc, /var/lib, /run and /usr/local/bin/warden are relocated under ROOT
# (and to $WARDEN). One argument per line.
unit_exec_argv() {
	/usr/bin/python3 - "$1" "$2" "$3" "$WARDEN" <<'PY'
import re, shlex, sys
unit, inst, root, warden = sys.argv[1:5]
def spec(s):
    return re.sub(r"%([%iSt])", lambda m: {"%": "%", "i": inst, "S": "/var/lib", "t": "/run"}[m.group(1)], s)
def reloc(s):
    if s == "/usr/local/bin/warden":
        return warden
    return root + s if s.startswith(("/etc/", "/var/lib/", "/run/")) else s
env, execstart = {}, None
for line in open(unit):
    line = line.rstrip("\n")
    if line.startswith("Environment="):
        for item in shlex.split(line[len("Environment="):]):
            k, _, v = item.partition("=")
            env[k] = v
    elif line.startswith("EnvironmentFile="):
        path = reloc(spec(line[len("EnvironmentFile="):].lstrip("-")))
        for l in open(path):
            l = l.strip()
            if l and not l.startswith("#") and "=" in l:
                k, _, v = l.partition("=")
                env[k.strip()] = v.strip().strip('"')
    elif line.startswith("ExecStart="):
        execstart = spec(line[len("ExecStart="):])
out = []
for word in shlex.split(execstart):
    m = re.fullmatch(r"\$([A-Za-z_][A-Za-z0-9_]*)", word)
    if m:
        out += env.get(m.group(1), "").split()
        continue
    out.append(reloc(re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", lambda m: env.get(m.group(1), ""), word)))
print("\n".join(out))
PY
}
