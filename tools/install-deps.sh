#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# install-deps.sh - install the Debian 12 packages warden builds and tests with.
# Usage: tools/install-deps.sh [--bench]   (--bench: also what the benchmarks compare with)
# Only what is missing is installed; 'apt-get update' runs once, when needed.
set -eu

# Build: compilers (clang's runtime has libFuzzer, for tests/fuzz/), libbpf and libxdp, and the -dev packages warden links.
BUILD_PKGS="make gcc clang llvm libclang-rt-14-dev pkg-config bpftool libbpf-dev libxdp-dev libelf-dev
zlib1g-dev libpcap-dev libpcre2-dev libjson-c-dev libinih-dev libcap-ng-dev
libmicrohttpd-dev libsqlite3-dev libjs-chart.js xxd libhiredis-dev libsystemd-dev"
# Run and test: namespaces, clients, scanners, the Flask reference app,
# and the reference tools the tests and benchmarks compare against.
TEST_PKGS="iproute2 iputils-ping curl python3 python3-flask gunicorn dirb ffuf
xdp-tools nftables tcpdump tshark procps psmisc kmod util-linux
prometheus chromium python3-yaml systemd python3-kubernetes fail2ban python3-pyinotify linux-perf
python3-flask-restful python3-flask-bootstrap python3-flask-silk python3-flask-autoindex redis-server nginx openssl"
# Benchmarks only (tools/bench/, make bench): the load generator and supervisord, the
# supervision benchmark's reference. Installed with --bench.
BENCH_PKGS="wrk supervisor"
want="$BUILD_PKGS $TEST_PKGS"
[ "${1:-}" = --bench ] && want="$want $BENCH_PKGS"

missing=""
for p in $want; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$status" in
	*" installed") ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing Debian packages:$missing" >&2
	echo "install-deps: run as root (or: sudo apt-get install$missing)" >&2
	exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; the answer does not matter here.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -q >/dev/null
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null
