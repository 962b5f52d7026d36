# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# warden: one Makefile. .bpf.c -> .bpf.o -> .skel.h -> user objects -> build/warden.
# Quiet unless V=1. Everything built lands under build/.

BUILD    ?= build
CC       ?= gcc
CLANG    ?= clang
BPFTOOL  ?= bpftool
LLVM_STRIP ?= llvm-strip
ARCH     := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
VMLINUX_BTF ?= /sys/kernel/btf/vmlinux

PKGS     := libbpf libxdp libelf zlib libpcap libpcre2-8 json-c inih libcap-ng libmicrohttpd sqlite3 hiredis libsystemd
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARNINGS := -Wall -Wextra -Werror -Werror=undef -Wshadow -Wno-missing-field-initializers
CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 $(WARNINGS) -D_GNU_SOURCE -I$(BUILD) -Ibpf -Iuser $(PKG_CFLAGS)
LDLIBS   += $(PKG_LIBS) -lm -lresolv
# clang -target bpf does not search the multiarch folder (/usr/include/x86_64-linux-gnu,
# /usr/include/aarch64-linux-gnu) where Debian keeps <asm/types.h>: ask clang for its
# host system include folders and pass them on, as libbpf-bootstrap does.
CLANG_BPF_SYS_INCLUDES ?= $(shell $(CLANG) -v -E - </dev/null 2>&1 \
	| sed -n '/<...> search starts here:/,/End of search list./{ s| \(/.*\)|-idirafter \1|p }')
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror -I$(BUILD) -Ibpf \
	$(CLANG_BPF_SYS_INCLUDES)

# Unit and BPF tests are built with the sanitizers where they fit.
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(BPF_SRCS:bpf/%.bpf.c=$(BUILD)/%.bpf.o)
SKELS     := $(BPF_SRCS:bpf/%.bpf.c=$(BUILD)/%.skel.h)
USER_SRCS := $(wildcard user/*.c)
USER_OBJS := $(USER_SRCS:user/%.c=$(BUILD)/user/%.o) $(BUILD)/dashboard_assets.o
# Everything but main(): what tests and tools link against.
LIB_OBJS  := $(filter-out $(BUILD)/user/main.o,$(USER_OBJS))
SAN_OBJS  := $(LIB_OBJS:$(BUILD)/user/%.o=$(BUILD)/san/user/%.o)

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/unit/%)
BPFT_SRCS := $(wildcard tests/bpf/test_*.c)
BPFT_BINS := $(BPFT_SRCS:tests/bpf/%.c=$(BUILD)/tests/bpf/%)
TOOL_SRCS := $(wildcard tools/*/*.c)
# libFuzzer targets (tests/fuzz/): clang, with the library rebuilt for coverage and sanitizers.
FUZZ_CC    ?= clang
FUZZ_SAN   := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_SRCS  := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS  := $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/fuzz/bin/%)
FUZZ_OBJS  := $(filter-out $(BUILD)/dashboard_assets.o,$(LIB_OBJS:$(BUILD)/user/%.o=$(BUILD)/fuzz/obj/%.o)) \
	      $(BUILD)/dashboard_assets.o
FUZZ_SECONDS ?= 60
TOOL_BINS := $(patsubst tools/%.c,$(BUILD)/tools/%,$(TOOL_SRCS))

.DELETE_ON_ERROR:
# Keep the BPF objects and skeletons: they are inputs of several targets.
.SECONDARY: $(BPF_OBJS) $(SKELS) $(FUZZ_OBJS)
.PHONY: all deps test test-unit test-bpf test-e2e test-fuzz fuzz fuzz-targets bench clean demo install

PREFIX ?= /usr/local

all: $(BUILD)/warden $(BUILD)/warden.8 $(TOOL_BINS)

# Install the Debian packages that building and testing need (root only).
deps:
	$(Q)tools/install-deps.sh

$(BUILD) $(BUILD)/user $(BUILD)/san/user $(BUILD)/tests/unit $(BUILD)/tests/bpf:
	$(Q)mkdir -p $@

# vmlinux.h is generated from the running kernel's BTF, never checked in.
$(BUILD)/vmlinux.h: | $(BUILD)
	$(call msg,BTF,$@)
	$(Q)$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $@

$(BUILD)/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h) $(BUILD)/vmlinux.h | $(BUILD)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@ 2>/dev/null || true

# bpftool's default names (watcher_bpf, xdp_ban_bpf): no clash with the user modules.
# Regenerated when the Makefile changes, which sets the name.
$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o Makefile
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

$(BUILD)/user/%.o: user/%.c $(SKELS) | $(BUILD)/user
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/san/user/%.o: user/%.c $(SKELS) | $(BUILD)/san/user
	$(call msg,CC-SAN,$@)
	$(Q)$(CC) $(CFLAGS) $(SAN_FLAGS) -MMD -MP -c $< -o $@

# The dashboard's files and Debian's Chart.js, compiled into the agent (see user/dashboard.h).
DASHBOARD_FILES := $(wildcard tools/dashboard/*.html tools/dashboard/*.js tools/dashboard/*.css) \
		   /usr/share/javascript/chart.js/chart.min.js
$(BUILD)/dashboard_assets.c: tools/dashboard/gen-assets.sh $(DASHBOARD_FILES) | $(BUILD)
	$(call msg,GEN,$@)
	$(Q)sh tools/dashboard/gen-assets.sh $@ $(DASHBOARD_FILES)

$(BUILD)/dashboard_assets.o: $(BUILD)/dashboard_assets.c user/dashboard.h
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/warden: $(USER_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

# The man page comes from the command and option tables: never out of step with --help.
$(BUILD)/warden.8: $(BUILD)/warden
	$(call msg,GEN,$@)
	$(Q)$(BUILD)/warden manpage > $@

# The same agent with the sanitizers, for the end-to-end tests.
$(BUILD)/warden-san: $(SAN_OBJS) $(BUILD)/san/user/main.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(SAN_FLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/unit/%: tests/unit/%.c tests/testutil.h $(SAN_OBJS) | $(BUILD)/tests/unit
	$(call msg,CC-TEST,$@)
	$(Q)$(CC) $(CFLAGS) $(SAN_FLAGS) -Itests $< $(SAN_OBJS) $(LDLIBS) -o $@

$(BUILD)/tests/bpf/%: tests/bpf/%.c tests/testutil.h $(wildcard tests/bpf/*.h) $(SAN_OBJS) | $(BUILD)/tests/bpf
	$(call msg,CC-TEST,$@)
	$(Q)$(CC) $(CFLAGS) $(SAN_FLAGS) -Itests $< $(SAN_OBJS) $(LDLIBS) -o $@

$(BUILD)/tools/%: tools/%.c $(LIB_OBJS)
	$(call msg,CC-TOOL,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -Itests $< $(LIB_OBJS) $(LDLIBS) -o $@

# An older build of the XDP program (map layout 1), for tests/e2e/upgrade.sh.
UPGRADE_OLD_OBJ := $(BUILD)/upgrade/xdp_ban_v1.bpf.o
$(UPGRADE_OLD_OBJ): tools/upgrade/bpf/xdp_ban_v1.bpf.c tools/upgrade/bpf/warden_v1.h bpf/parsing.bpf.h
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/fuzz/obj/%.o: user/%.c $(SKELS)
	$(call msg,CC-FUZZ,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(FUZZ_CC) $(CFLAGS) -O1 $(FUZZ_SAN) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(BUILD)/fuzz/bin/%: tests/fuzz/%.c tests/fuzz/fuzz.h $(FUZZ_OBJS)
	$(call msg,LD-FUZZ,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(FUZZ_CC) $(CFLAGS) -O1 $(FUZZ_SAN) -fsanitize=fuzzer -Itests/fuzz $< $(FUZZ_OBJS) $(LDLIBS) -o $@

fuzz-targets: $(FUZZ_BINS)

# Every fuzz target FUZZ_SECONDS (60) each; new corpus entries and crashes stay under build/fuzz/.
fuzz: fuzz-targets
	$(Q)tests/fuzz/run.sh --seconds $(FUZZ_SECONDS) --keep $(FUZZ_BINS:$(BUILD)/fuzz/bin/%=%)

build-tests: all $(BUILD)/warden-san $(UNIT_BINS) $(BPFT_BINS) $(UPGRADE_OLD_OBJ) $(FUZZ_BINS)

# make test: install what is missing, build, run every tier, print the tally.
test: deps
	$(Q)$(MAKE) --no-print-directory build-tests
	$(Q)tests/run.sh

test-unit test-bpf test-e2e test-fuzz: build-tests
	$(Q)tests/run.sh $(@:test-%=%)

bench: all
	$(Q)tools/install-deps.sh --bench
	$(Q)tools/bench/run.sh

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tools/demo/demo.sh

# The agent, its units and the demo, where the units expect them.
install: all
	install -D -m 0755 $(BUILD)/warden $(DESTDIR)$(PREFIX)/bin/warden
	install -D -m 0644 $(BUILD)/warden.8 $(DESTDIR)$(PREFIX)/share/man/man8/warden.8
	install -D -m 0644 tools/deploy/systemd/warden@.service $(DESTDIR)/etc/systemd/system/warden@.service
	install -D -m 0644 tools/deploy/systemd/warden-demo.service $(DESTDIR)/etc/systemd/system/warden-demo.service
	install -D -m 0644 tools/demo/app.py $(DESTDIR)$(PREFIX)/share/warden/demo/app.py
	install -D -m 0644 README.md $(DESTDIR)$(PREFIX)/share/doc/warden/README.md
	install -d -m 0755 $(DESTDIR)/etc/warden

clean:
	$(call msg,CLEAN,$(BUILD))
	$(Q)rm -rf $(BUILD)

-include $(USER_OBJS:.o=.d) $(SAN_OBJS:.o=.d) $(FUZZ_OBJS:.o=.d)
