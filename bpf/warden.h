/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* warden.h - types and map names shared by the XDP program and userspace. */
#ifndef WARDEN_H
#define WARDEN_H

#include <linux/types.h>

/*
 * Map names, defined once. The BPF side uses them as identifiers, userspace
 * turns them into strings with WARDEN_STR(). The kernel keeps 15 characters
 * of a map name, so every name here fits in 15.
 */
#define MAP_BAN4      warden_ban4     /* exact IPv4 bans */
#define MAP_BAN6      warden_ban6     /* exact IPv6 bans */
#define MAP_PFX4      warden_pfx4     /* IPv4 prefix bans (LPM trie) */
#define MAP_PFX6      warden_pfx6     /* IPv6 prefix bans (LPM trie) */
#define MAP_PFX4_SUM  warden_pfx4sum  /* prefix bans per IPv4 /16 */
#define MAP_ALLOW4    warden_allow4   /* IPv4 allowlist (LPM trie) */
#define MAP_ALLOW6    warden_allow6   /* IPv6 allowlist (LPM trie) */
#define MAP_REASON    warden_reason   /* why each ban exists (userspace only) */
#define MAP_COUNTERS  warden_counters /* per-CPU verdict counters */
#define MAP_SETTINGS  warden_settings /* layout version and flags */

#define WARDEN__STR(x) #x
#define WARDEN_STR(x) WARDEN__STR(x)

/* Sizes. Hash maps are not preallocated so an idle host pays nothing. */
#define WARDEN_MAX_EXACT    1048576 /* exact bans per family */
#define WARDEN_MAX_PREFIX   131072  /* prefix bans per family */
#define WARDEN_MAX_ALLOW    16384   /* allowlist prefixes per family */
#define WARDEN_MAX_REASONS  (2 * WARDEN_MAX_EXACT + 2 * WARDEN_MAX_PREFIX)
#define WARDEN_PFX4_BUCKETS 65536   /* one counter per IPv4 /16 */

/* Bumped whenever a map's key or value layout changes (carry-over on upgrade). */
#define WARDEN_LAYOUT_VERSION 1

#define WARDEN_REASON_LEN 104

/* Exact IPv4 ban key: the address in network byte order. */
struct ban4_key {
	__u8 addr[4];
};

/* Exact IPv6 ban key. */
struct ban6_key {
	__u8 addr[16];
};

/* LPM trie key for IPv4; prefixlen counts the bits of addr that matter. */
struct lpm4_key {
	__u32 prefixlen;
	__u8 addr[4];
};

/* LPM trie key for IPv6. */
struct lpm6_key {
	__u32 prefixlen;
	__u8 addr[16];
};

/*
 * One ban, exact or prefix. The XDP program reads expires_ns and updates the
 * two drop fields; everything else belongs to userspace.
 */
struct ban_value {
	__u64 expires_ns;   /* CLOCK_BOOTTIME in ns; 0 means permanent */
	__u64 created_ns;   /* CLOCK_BOOTTIME in ns when the ban was made */
	__u64 drops;        /* packets dropped by this ban */
	__u64 last_drop_ns; /* CLOCK_BOOTTIME in ns of the last drop; 0 = none */
};

/* An allowlist entry: the data path only needs its presence. */
struct allow_value {
	__u64 created_ns; /* CLOCK_BOOTTIME in ns when it was added */
	__u64 hits;       /* packets that would have been dropped but were allowed */
};

/* Key of the reason map: one ban of either family and kind. */
struct reason_key {
	__u8 family;    /* 4 or 6 */
	__u8 prefixlen; /* 32 or 128 for an exact ban */
	__u8 pad[2];
	__u8 addr[16]; /* IPv4 uses the first 4 bytes */
};

/* Why a ban exists, written by whoever made it. */
struct reason_value {
	__u32 offences;  /* how many times this client was banned (escalation) */
	__u32 source;    /* enum ban_source */
	char text[WARDEN_REASON_LEN]; /* NUL-terminated, human readable */
};

enum ban_source {
	BAN_SOURCE_CLI = 1,      /* warden ban */
	BAN_SOURCE_DETECTOR = 2, /* warden run / watch decided it */
	BAN_SOURCE_FILE = 3,     /* warden ban --file */
};

/*
 * Per-CPU counters of every verdict, one struct so that bpftool prints
 * the field names. Index 0 of a one-entry per-CPU array.
 */
struct xdp_counters {
	__u64 passed;         /* passed: no ban applies */
	__u64 dropped_exact;  /* dropped by an exact ban */
	__u64 dropped_prefix; /* dropped by a prefix ban */
	__u64 passed_allow;   /* a ban applied but the allowlist won */
	__u64 passed_expired; /* a ban applied but had expired */
	__u64 unparsed;       /* passed because the frame was not parsed */
	__u64 non_ip;         /* passed: ARP and other non-IP frames */
};

/* Settings read by the data path and tools; index 0 of an array. */
struct warden_settings {
	__u32 layout_version; /* WARDEN_LAYOUT_VERSION of the maps */
	__u32 pfx6_count;     /* IPv6 prefix bans present; 0 skips the trie */
};

#endif /* WARDEN_H */
