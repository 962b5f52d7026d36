/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* warden_v1.h - frozen: the map names and types of map layout 1, for the upgrade test's older warden. */
#ifndef WARDEN_V1_H
#define WARDEN_V1_H

/*
 * What warden's bpf/warden.h said before throttling (layout 1, as of commit
 * d645a38), cut to what xdp_ban_v1.bpf.c and old-attach.c use. Never edit it
 * to follow bpf/warden.h: tests/e2e/upgrade.sh checks that the live build
 * carries these very shapes over. Layout 1 differs from the live one in
 * xdp_counters (7 counters) and warden_settings ({layout_version,
 * pfx6_count}, 8 bytes); prefix bans and the allowlist were LPM tries.
 */

#include <linux/types.h>

#define MAP_BAN4      warden_ban4
#define MAP_BAN6      warden_ban6
#define MAP_PFX4      warden_pfx4
#define MAP_PFX6      warden_pfx6
#define MAP_PFX4_SUM  warden_pfx4sum
#define MAP_ALLOW4    warden_allow4
#define MAP_ALLOW6    warden_allow6
#define MAP_REASON    warden_reason
#define MAP_COUNTERS  warden_counters
#define MAP_SETTINGS  warden_settings
#define MAP_KNOWN     warden_known

#define WARDEN__STR(x) #x
#define WARDEN_STR(x) WARDEN__STR(x)

#define WARDEN_MAX_PREFIX   131072
#define WARDEN_MAX_ALLOW    16384
#define WARDEN_PFX4_BUCKETS 65536

#define WARDEN_LAYOUT_VERSION 1

#define WARDEN_REASON_LEN 104

struct ban4_key {
	__u8 addr[4];
};

struct ban6_key {
	__u8 addr[16];
};

struct lpm4_key {
	__u32 prefixlen;
	__u8 addr[4];
};

struct lpm6_key {
	__u32 prefixlen;
	__u8 addr[16];
};

struct ban_value {
	__u64 expires_ns;
	__u64 created_ns;
	__u64 drops;
	__u64 last_drop_ns;
};

struct allow_value {
	__u64 created_ns;
	__u64 hits;
};

struct reason_key {
	__u8 family;
	__u8 prefixlen;
	__u8 pad[2];
	__u8 addr[16];
};

struct reason_value {
	__u32 offences;
	__u32 source;
	char text[WARDEN_REASON_LEN];
};

enum ban_source {
	BAN_SOURCE_CLI = 1,
	BAN_SOURCE_DETECTOR = 2,
	BAN_SOURCE_FILE = 3,
};

struct xdp_counters {
	__u64 passed;
	__u64 dropped_exact;
	__u64 dropped_prefix;
	__u64 passed_allow;
	__u64 passed_expired;
	__u64 unparsed;
	__u64 non_ip;
};

struct warden_settings {
	__u32 layout_version;
	__u32 pfx6_count;
};

/* Throttle state of a later design, only here to be recreated by the upgrade. */
struct throttle_key {
	__u8 addr[16];
};

struct known_value {
	__u64 seen_ns;
};

#endif /* WARDEN_V1_H */
