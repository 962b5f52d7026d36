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
#define MAP_PFX4      warden_pfx4     /* IPv4 prefix bans (hash of {length, prefix}) */
#define MAP_PFX6      warden_pfx6     /* IPv6 prefix bans (hash of {length, prefix}) */
#define MAP_PFX4_SUM  warden_pfx4sum  /* IPv4 prefix bans per hashed /24 */
#define MAP_PFX6_SUM  warden_pfx6sum  /* IPv6 prefix bans of /32 or longer per hashed /32 */
#define MAP_PFX_LENS  warden_pfxlens  /* prefix lengths in use, per family, bans and allowlist */
#define MAP_ALLOW4    warden_allow4   /* IPv4 allowlist (hash of {length, prefix}) */
#define MAP_ALLOW6    warden_allow6   /* IPv6 allowlist (hash of {length, prefix}) */
#define MAP_REASON    warden_reason   /* why each ban exists (userspace only) */
#define MAP_COUNTERS  warden_counters /* per-CPU verdict counters */
#define MAP_SETTINGS  warden_settings /* layout version and flags */
#define MAP_THR4      warden_thr4     /* per-prefix IPv4 throttle limits (LPM trie) */
#define MAP_THR6      warden_thr6     /* per-prefix IPv6 throttle limits (LPM trie) */
#define MAP_PRIO4     warden_prio4    /* IPv4 priority peers (LPM trie) */
#define MAP_PRIO6     warden_prio6    /* IPv6 priority peers (LPM trie) */
#define MAP_CLIENTS   warden_clients  /* known clients' exact token buckets (LRU hash) */
#define MAP_SKETCH    warden_sketch   /* everyone else's buckets: a count-min sketch (array) */
#define MAP_KNOWN     warden_known    /* clients with an established history (LRU hash) */
#define MAP_THR_EVENTS warden_threvt  /* throttle events for warden run (ring buffer) */
#define MAP_CAPTURE   warden_capture  /* samples of dropped packets for warden capture (perf) */
#define MAP_CAP_CFG   warden_capcfg   /* whether warden capture is running (one-entry array) */

#define WARDEN__STR(x) #x
#define WARDEN_STR(x) WARDEN__STR(x)

/* Sizes. Hash maps are not preallocated so an idle host pays nothing. */
#define WARDEN_MAX_EXACT    1048576 /* exact bans per family */
#define WARDEN_MAX_PREFIX   131072  /* prefix bans per family */
#define WARDEN_MAX_ALLOW    16384   /* allowlist prefixes per family */
#define WARDEN_MAX_REASONS  (2 * WARDEN_MAX_EXACT + 2 * WARDEN_MAX_PREFIX)
#define WARDEN_PFX4_BUCKET_BITS 18 /* layouts 1-3 had one bucket per /16 */
#define WARDEN_PFX4_BUCKETS (1U << WARDEN_PFX4_BUCKET_BITS) /* counters of IPv4 /24s, by warden_pfx4_bucket() */
#define WARDEN_PFX6_BUCKETS 65536   /* counters of IPv6 /32s, by warden_pfx6_bucket() */
#define WARDEN_PFX6_SUM_LEN 32      /* IPv6 prefixes this long or longer are summarized */
#define WARDEN_MAX_RULES    16384   /* per-prefix throttle rules per family */
#define WARDEN_MAX_PRIORITY 16384   /* priority prefixes per family */
/*
 * Clients with exact buckets: only those the program or warden run has
 * seen establish a connection (a spoofed source never gets one), both
 * families in one LRU map. Every other source is counted in the sketch,
 * whose cost per packet does not depend on how many sources there are.
 */
#define WARDEN_MAX_CLIENTS  262144
#define WARDEN_MAX_KNOWN    262144  /* clients with an established history */
#define WARDEN_THR_EVENTS_BYTES (256 * 1024) /* ring of throttle events */

/*
 * Bumped whenever a map's key or value layout changes. A newer warden
 * carries the bans of an older layout over (banmap.c, migrate_maps): it
 * copies each entry's first min(old, new) bytes of key and value and fills
 * the rest with zeros. That holds only because of one rule: fields are only
 * ever appended to a shared struct, never moved, resized or removed, and a
 * zero in an appended field means "not set" (as for every field below).
 * Layout 1: xdp_counters had 7 counters, warden_settings only
 * {layout_version, pfx6_count}. Layout 2: throttling appended to both.
 * Layout 3: prefix bans and the allowlist moved from LPM tries to hashes
 * of the same keys (host bits zero), with warden_pfxlens and
 * warden_pfx6sum; the keys and values are the same, so entries carry over.
 * Layout 4: warden_pfx4sum counts per hashed /24 (warden_pfx4_bucket), not
 * per /16, in 4 times as many buckets; it is recounted at open.
 * warden_settings.rules_gen and throttle_state's cache_gen and cache appended.
 */
#define WARDEN_LAYOUT_VERSION 4 /* layout 1 is frozen in tools/upgrade/bpf/warden_v1.h */

#define WARDEN_REASON_LEN 104

/* Exact IPv4 ban key: the address in network byte order. */
struct ban4_key {
	__u8 addr[4];
};

/* Exact IPv6 ban key. */
struct ban6_key {
	__u8 addr[16];
};

/*
 * Key of an IPv4 prefix (prefix bans, allowlist, and the tries of the
 * throttle rules and priority peers); prefixlen counts the bits of addr
 * that matter. In the prefix hashes the other bits are zero, so that a
 * packet's address cut to each length in use finds its prefix.
 */
struct lpm4_key {
	__u32 prefixlen;
	__u8 addr[4];
};

/* Key of an IPv6 prefix, the same way. */
struct lpm6_key {
	__u32 prefixlen;
	__u8 addr[16];
};

/*
 * The prefix lengths in use in one prefix hash: the data path reads this
 * first and probes the hash once per length, longest first, so no packet
 * walks a trie and a family with no prefixes costs one array read. A
 * bitmap, not a list, so that a reader racing a writer that adds or
 * removes one length still sees every other length (a torn copy mixes
 * bytes of two values that agree on those bits).
 */
enum pfx_lens_index {
	PFX_LENS_BAN4,   /* warden_pfx4 */
	PFX_LENS_BAN6,   /* warden_pfx6 */
	PFX_LENS_ALLOW4, /* warden_allow4 */
	PFX_LENS_ALLOW6, /* warden_allow6 */
	PFX_LENS__COUNT,
};

struct prefix_lengths {
	__u64 bits[3];     /* bit L % 64 of word L / 64: some entry is L bits long (0..128) */
	__u32 count[129];  /* entries of each length (userspace's bookkeeping) */
	__u32 pad;
};

/*
 * The warden_pfx4sum bucket of an IPv4 address (host byte order): its /24,
 * hashed (multiplicative) to WARDEN_PFX4_BUCKET_BITS. A /24 rather than a
 * /16, so that a clean address next to a banned /24 skips the probes; a
 * hash, so that the array stays 2 MiB (the kernel keeps 8 bytes per
 * entry). Collisions only cost a probe: with 10,000 /24s banned, 3.7% of
 * clean addresses probe once.
 */
static inline __u32 warden_pfx4_bucket(__u32 addr)
{
	return ((addr >> 8) * 2654435761u) >> (32 - WARDEN_PFX4_BUCKET_BITS);
}

/*
 * The warden_pfx6sum bucket of an IPv6 address: its /32, hashed
 * (multiplicative, Knuth) to 16 bits. Collisions only cost a probe.
 */
static inline __u32 warden_pfx6_bucket(const __u8 *addr)
{
	__u32 top = ((__u32)addr[0] << 24) | ((__u32)addr[1] << 16) |
		    ((__u32)addr[2] << 8) | addr[3];

	return (top * 2654435761u) >> 16;
}

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
	BAN_SOURCE_FLEET = 4,    /* another host of the fleet decided it (user/fleet.h) */
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
	/* Throttling and shedding, counted only while they are on. */
	__u64 dropped_throttle_conn; /* a new TCP connection over its client's conn rate */
	__u64 dropped_throttle_pkt;  /* a packet over its client's packet rate */
	__u64 dropped_shed;   /* a new connection of an unknown client while shedding */
	__u64 passed_priority; /* a priority peer: never throttled nor shed */
	__u64 passed_known;   /* a new connection that passed shedding: its client is known */
};

/*
 * Throttle limits, global (in warden_settings) or per prefix (warden_thr4/6).
 * Each bucket is a token bucket kept as one timestamp (see throttle_state):
 * a rate of N per second is an interval of 1e9 / N ns between tokens.
 */
struct throttle_limits {
	__u64 conn_interval_ns; /* one new TCP connection per interval; 0 = no limit */
	__u64 pkt_interval_ns;  /* one packet per interval; 0 = no limit */
	__u32 conn_burst;       /* new connections allowed at once from a full bucket */
	__u32 pkt_burst;        /* packets allowed at once from a full bucket */
};

/* warden_settings.flags */
#define WARDEN_F_THROTTLE 0x1 /* some throttle limit exists (global or per prefix) */
#define WARDEN_F_LEARN    0x2 /* keep client history for shedding even without limits */

/*
 * warden_settings.shed: why the host sheds load. The manual reason holds
 * until it is cleared; the automatic ones (warden run's) only until
 * shed_until_ns, which warden run keeps pushing forward while the condition
 * lasts: if warden dies, the host stops shedding by itself.
 */
#define WARDEN_SHED_MANUAL  0x1 /* warden shed on */
#define WARDEN_SHED_HUNG    0x2 /* warden run: the app does not answer */
#define WARDEN_SHED_BACKLOG 0x4 /* warden run: the app's accept queue is backing up */
#define WARDEN_SHED_AUTO    (WARDEN_SHED_HUNG | WARDEN_SHED_BACKLOG)

#define WARDEN_V6_CLIENT_PREFIX 64   /* IPv6 clients are keyed by /64 unless set */
#define WARDEN_KNOWN_FOR_S      3600 /* a client stays known 1 h after its last traffic */

/*
 * Settings read by the data path and tools; index 0 of an array. When
 * flags and shed are both 0 the data path never looks past pfx6_count.
 */
struct warden_settings {
	__u32 layout_version; /* WARDEN_LAYOUT_VERSION of the maps */
	__u32 pfx6_count;     /* IPv6 prefix bans present (for tools; the data path reads warden_pfxlens) */
	__u32 flags;          /* WARDEN_F_* */
	__u32 shed;           /* WARDEN_SHED_* reasons; 0 = not shedding (see shed_until_ns) */
	__u32 rules4;         /* per-prefix throttle rules in warden_thr4; 0 skips the trie */
	__u32 rules6;         /* and in warden_thr6 */
	__u32 prio4;          /* priority prefixes in warden_prio4; 0 skips the trie */
	__u32 prio6;          /* and in warden_prio6 */
	__u8 v6_client_prefix; /* IPv6 client key length in bits; 0 = WARDEN_V6_CLIENT_PREFIX */
	__u8 pad[3];
	__u32 known_for_s;    /* how long a client stays known; 0 = WARDEN_KNOWN_FOR_S */
	struct throttle_limits defaults; /* for clients no per-prefix rule covers */
	__u64 shed_until_ns;  /* the automatic shed reasons hold until then (CLOCK_BOOTTIME) */
	/*
	 * Bumped by every write of the settings, after every change of the
	 * rules or priority tries: a known client's cached resolution of
	 * them (throttle_state.cache) holds while this has not moved.
	 */
	__u32 rules_gen;
	__u32 pad2;
};

/* A priority peer: never throttled, never shed, never banned (it is allowlisted too). */
struct priority_value {
	__u64 created_ns; /* CLOCK_BOOTTIME in ns when it was added */
};

/*
 * Key of a client: its IPv4 address as IPv4-mapped IPv6 (::ffff:a.b.c.d),
 * or its IPv6 address cut to v6_client_prefix bits. The kernel drops IPv6
 * packets from IPv4-mapped sources, so the two cannot meet.
 */
struct throttle_key {
	__u8 addr[16];
};

/*
 * One client's buckets and history. A bucket is the time at which it is
 * full again (GCRA's theoretical arrival time): a packet at now takes a
 * token by pushing it to max(tat, now) + interval, allowed while that stays
 * within burst * interval of now. Same as a token bucket refilled with
 * elapsed_ns / interval tokens capped at burst, without a division; moving
 * tat back by d simulates d ns of refill.
 */
struct throttle_state {
	__u64 conn_tat_ns;  /* bucket of new connections (CLOCK_BOOTTIME) */
	__u64 pkt_tat_ns;   /* bucket of packets */
	__u64 syn_ns;       /* when a SYN of this client last passed; 0 = never */
	__u64 event_ns;     /* when its last throttle event was sent; 0 = never */
	__u64 known_ns;     /* when it was last written to warden_known; 0 = never */
	__u64 throttled;    /* packets the throttle dropped */
	__u32 cache_gen;    /* warden_settings.rules_gen when cache was resolved */
	__u32 cache;        /* THROTTLE_CACHE_*; 0 = not resolved */
};

/*
 * A known client's resolution of the priority and rule tries, kept in its
 * state so that its packets skip them: it is no priority peer, and some
 * rule covers it (then the rule trie gives its limits) or none does (the
 * defaults). Valid while rules_gen has not moved.
 */
#define THROTTLE_CACHE_VALID 0x1
#define THROTTLE_CACHE_RULE  0x2

/*
 * The sketch: WARDEN_SKETCH_ROWS rows of WARDEN_SKETCH_WIDTH cells, each a
 * pair of buckets (as in throttle_state) that every source hashed there
 * shares. A source's bucket is its cells' minimum (count-min): sharing can
 * only make it look fuller, never emptier, so a source is never let past
 * its limit; it may be throttled early when heavier sources share all its
 * cells (the README gives the rate). A packet that passes pushes each of
 * its cells to at least its own new value (conservative update).
 */
#define WARDEN_SKETCH_ROWS   2
#define WARDEN_SKETCH_BITS   16
#define WARDEN_SKETCH_WIDTH  (1U << WARDEN_SKETCH_BITS)
#define WARDEN_SYN_WINDOW_NS (10ULL * 1000000000ULL) /* an ACK this soon after a SYN: known */

struct sketch_cell {
	__u64 conn_tat_ns; /* bucket of new connections (CLOCK_BOOTTIME) */
	__u64 pkt_tat_ns;  /* bucket of packets */
	__u64 syn_ns;      /* when a SYN of a source of this cell last passed */
	__u64 event_ns;    /* when a throttle event was last sent for this cell */
};

/*
 * The sketch cells of a client (its struct throttle_key's 16 bytes): one per
 * row, from one hash: a multiply-shift of the key, finished by a
 * multiply-xorshift (splitmix64's) so that its top and next bits are both
 * well mixed; row 0 takes the top WARDEN_SKETCH_BITS, row 1 the next ones.
 * Indexes into warden_sketch.
 */
static inline void warden_sketch_index(const __u8 *key, __u32 *i0, __u32 *i1)
{
	__u64 a, b, h;

	__builtin_memcpy(&a, key, 8);
	__builtin_memcpy(&b, key + 8, 8);
	h = a * 0x9E3779B97F4A7C15ULL + b * 0xC2B2AE3D27D4EB4FULL;
	h = (h ^ (h >> 31)) * 0x94D049BB133111EBULL;
	*i0 = (__u32)(h >> (64 - WARDEN_SKETCH_BITS));
	*i1 = (__u32)(h >> (64 - 2 * WARDEN_SKETCH_BITS)) % WARDEN_SKETCH_WIDTH +
	      WARDEN_SKETCH_WIDTH;
}

/* A client with an established history: what shedding lets through. */
struct known_value {
	__u64 seen_ns; /* CLOCK_BOOTTIME in ns of its last established traffic */
};

/* Throttle events: at most one per client per WARDEN_THR_EVENT_NS while it is throttled. */
#define WARDEN_THR_EVENT_NS 1000000000ULL

enum throttle_kind {
	THROTTLE_CONN = 1, /* its new connections were over the rate */
	THROTTLE_PKT = 2,  /* its packets were over the rate */
};

/* One event in warden_threvt. */
struct throttle_event {
	__u64 time_ns;   /* CLOCK_BOOTTIME in ns of the drop */
	__u32 throttled; /* the client's throttled count at that time (low 32 bits) */
	__u8 family;     /* 4 or 6 */
	__u8 prefixlen;  /* 32, or v6_client_prefix for IPv6 */
	__u8 kind;       /* enum throttle_kind */
	__u8 pad;
	__u8 addr[16];   /* IPv4 in the first 4 bytes; IPv6 cut to prefixlen */
};

/*
 * warden capture: samples of the packets the XDP program drops. Its own
 * one-entry array, read only on the drop path, so that no shared struct
 * changes and passing packets pay nothing. Off while until_ns is 0 (one
 * branch per drop); a capture that dies without clearing it lapses by
 * itself at until_ns, which a running capture keeps pushing forward.
 */
#define WARDEN_CAPTURE_SNAPLEN     128  /* bytes of each packet, unless set */
#define WARDEN_CAPTURE_SNAPLEN_MAX 1024 /* most bytes of a packet ever copied */
#define WARDEN_CAPTURE_PER_SEC     1000 /* samples per second per CPU, unless set */
#define WARDEN_CAPTURE_LEASE_NS    (3ULL * 1000000000ULL) /* how far until_ns is pushed */

/* Index 0 of warden_capcfg. */
struct capture_config {
	__u64 until_ns; /* capture while CLOCK_BOOTTIME < until_ns; 0 = nobody captures */
	__u32 snaplen;  /* bytes copied of each packet; 0 = WARDEN_CAPTURE_SNAPLEN */
	__u32 per_sec;  /* samples per second per CPU; 0 = WARDEN_CAPTURE_PER_SEC */
	__u32 pid;      /* the capturing process, for warden capture --status */
	__u32 pad;
};

/* Why a captured packet was dropped: the drop counters of struct xdp_counters. */
enum capture_reason {
	CAPTURE_EXACT = 1,         /* dropped_exact */
	CAPTURE_PREFIX = 2,        /* dropped_prefix */
	CAPTURE_THROTTLE_CONN = 3, /* dropped_throttle_conn */
	CAPTURE_THROTTLE_PKT = 4,  /* dropped_throttle_pkt */
	CAPTURE_SHED = 5,          /* dropped_shed */
};

/* One sample in warden_capture: this, then cap_len bytes of the packet. */
struct capture_meta {
	__u64 time_ns; /* CLOCK_BOOTTIME in ns of the drop */
	__u32 pkt_len; /* the frame's length on the wire (linear part under XDP) */
	__u32 cap_len; /* bytes of it that follow */
	__u32 ifindex; /* interface it arrived on */
	__u32 reason;  /* enum capture_reason */
};

#endif /* WARDEN_H */
