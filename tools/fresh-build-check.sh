#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# fresh-build-check.sh - build warden on a Debian 12 that has nothing but a
# minimal base and what tools/install-deps.sh installs.
#
# A development machine hides missing build steps (a package installed by
# hand, a link under /usr/include). This bootstraps a minimal bookworm into a
# folder (debootstrap --variant=minbase: fewer packages than any real
# install), clones the committed tree into it, runs tools/install-deps.sh
# there and then `make all build-tests`. Needs root, debootstrap and network
# access to the Debian mirror; takes several minutes; not part of make test.
# Usage: tools/fresh-build-check.sh [WORKDIR]   (default: a new folder in /var/tmp)
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
ROOT=${1:-$(mktemp -d /var/tmp/warden-fresh.XXXXXX)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}

cleanup() {
	for m in "$ROOT/sys" "$ROOT/proc" "$ROOT/dev"; do
		umount -l "$m" 2>/dev/null || true
	done
}
trap cleanup EXIT

if [ ! -x "$ROOT/usr/bin/apt-get" ]; then
	echo "fresh-build-check: debootstrap bookworm (minbase) into $ROOT"
	debootstrap --variant=minbase bookworm "$ROOT" "$MIRROR" >"$ROOT.debootstrap.log" 2>&1 ||
		{ tail -20 "$ROOT.debootstrap.log"; exit 1; }
fi
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
# The committed tree only: what a fresh clone has.
rm -rf "$ROOT/src/warden"
mkdir -p "$ROOT/src"
git -C "$TOP" archive --format=tar --prefix=warden/ HEAD | tar -x -C "$ROOT/src"
mount -t proc proc "$ROOT/proc"
mount --rbind /sys "$ROOT/sys" # /sys/kernel/btf/vmlinux for vmlinux.h
mount --rbind /dev "$ROOT/dev"

chroot "$ROOT" /bin/sh -ec '
	cd /src/warden
	tools/install-deps.sh
	make -j"$(nproc)" all build-tests
	ls -l build/warden build/xdp_ban.bpf.o build/watcher.bpf.o
'
echo "fresh-build-check: PASS: built in a fresh bookworm at $ROOT with only tools/install-deps.sh"
