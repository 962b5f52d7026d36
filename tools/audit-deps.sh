#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# audit-deps.sh - find what a development machine has that a fresh one lacks.
#
# A package installed by hand, or a header or link no package owns, lets the
# build pass here and fail on a fresh Debian 12 (that is how <asm/types.h>
# went missing once). This lists:
#   1. packages marked manually installed that neither the fresh image
#      (BASE_LIST, tab-separated "source package version" lines) nor
#      tools/install-deps.sh provides;
#   2. files and links under the folders the compilers and pkg-config search
#      that no Debian package owns.
# Usage: tools/audit-deps.sh [BASE_LIST]   (default ../shared/base-packages.txt)
# Exit status 1 when it finds either, 0 otherwise.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
BASE_LIST=${1:-$TOP/../shared/base-packages.txt}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
found=0

# The packages tools/install-deps.sh installs, read from the script itself.
sed -n '/^BUILD_PKGS="/,/"$/p; /^TEST_PKGS="/,/"$/p; /^BENCH_PKGS="/,/"$/p' "$TOP/tools/install-deps.sh" |
	sed 's/^[A-Z_]*="//; s/"$//' | tr ' ' '\n' | grep -v '^$' | sort -u >"$tmp/deps"

if [ -r "$BASE_LIST" ]; then
	grep -v '^#' "$BASE_LIST" | cut -f2 | sed 's/:.*//' | sort -u >"$tmp/base"
	apt-mark showmanual | sed 's/:.*//' | sort -u >"$tmp/manual"
	sort -u "$tmp/base" "$tmp/deps" >"$tmp/known"
	comm -23 "$tmp/manual" "$tmp/known" >"$tmp/by-hand"
	if [ -s "$tmp/by-hand" ]; then
		echo "installed by hand, not by tools/install-deps.sh nor the fresh image:"
		sed 's/^/  /' "$tmp/by-hand"
		echo "  (add what warden needs to tools/install-deps.sh; 'apt-get purge' the rest" \
			"before trusting a green build)"
		found=1
	fi
else
	echo "note: no list of the fresh image's packages at $BASE_LIST: manual installs not checked"
fi

# Every path any package installed (diversions and links included), then what is not among them.
cat /var/lib/dpkg/info/*.list 2>/dev/null | sort -u >"$tmp/owned"
for dir in /usr/include /usr/local/include /usr/local/lib/pkgconfig /usr/lib/pkgconfig; do
	[ -d "$dir" ] || continue
	find "$dir" \( -type f -o -type l \) -print
done | sort -u >"$tmp/present"
# Links that update-alternatives manages are owned through /etc/alternatives.
comm -23 "$tmp/present" "$tmp/owned" | while read -r f; do
	case $(readlink "$f" 2>/dev/null) in /etc/alternatives/*) continue ;; esac
	echo "$f"
done >"$tmp/unowned"
if [ -s "$tmp/unowned" ]; then
	echo "files no Debian package owns, where the build looks for headers and libraries:"
	head -n 50 "$tmp/unowned" | sed 's/^/  /'
	n=$(wc -l <"$tmp/unowned")
	[ "$n" -gt 50 ] && echo "  ... and $((n - 50)) more"
	found=1
fi
[ "$found" = 0 ] && echo "audit-deps: nothing installed by hand, every header and link is a package's"
exit "$found"
