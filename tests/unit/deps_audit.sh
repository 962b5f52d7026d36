#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# deps_audit.sh - this machine has nothing the build could use that a fresh
# Debian 12 plus tools/install-deps.sh would lack (tools/audit-deps.sh), and
# the BPF build finds the system headers through clang, not through a link.
source "$(dirname "$0")/../lib.sh"

out=$("$TOP/tools/audit-deps.sh" 2>&1)
if [ $? -eq 0 ]; then pass "nothing-installed-by-hand"; else fail "nothing-installed-by-hand" "$out"; fi

# The include folders passed to clang -target bpf are the ones clang itself reports,
# among them the multiarch folder that holds <asm/types.h>.
incs=$(make -s -C "$TOP" --no-print-directory -f - print-incs <<'MK'
include Makefile
print-incs:
	@echo $(CLANG_BPF_SYS_INCLUDES)
MK
)
multiarch=$(gcc -print-multiarch)
check "bpf-build-searches-multiarch" grep -q -- "-idirafter /usr/include/$multiarch" <<<"$incs"
check "asm-types-is-a-package-file" dpkg -S "/usr/include/$multiarch/asm/types.h"
check_not "no-hand-made-asm-link" test -e /usr/include/asm

exit 0
