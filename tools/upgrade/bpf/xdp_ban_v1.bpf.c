// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* xdp_ban_v1.bpf.c - an older build of the XDP program (map layout 1), for upgrade tests. */
/*
 * The ban program as warden released it before throttling (commit d645a38),
 * built on warden_v1.h, the frozen layout-1 shapes of its maps:
 * xdp_counters (7 counters) and warden_settings (8 bytes). Its
 * exact-ban and reason tables are also smaller (V1_MAX_EXACT), as an older
 * build's might be, so that an upgrade must carry real bans over, and it has
 * a small warden_known, which an upgrade must recreate rather than copy.
 * tests/e2e/upgrade.sh attaches it with tools/upgrade/old-attach.c.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <xdp/xdp_helpers.h>

#include "warden_v1.h"
#include "parsing.bpf.h"

#define V1_MAX_EXACT   65536 /* exact bans per family in this older build */
#define V1_MAX_REASONS (2 * V1_MAX_EXACT + 2 * WARDEN_MAX_PREFIX)
#define V1_MAX_KNOWN   1024  /* a smaller LRU: recreated, never copied, on upgrade */

/* Exact bans: one hash lookup per packet, the common case. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, V1_MAX_EXACT);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ban4_key);
	__type(value, struct ban_value);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} MAP_BAN4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, V1_MAX_EXACT);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ban6_key);
	__type(value, struct ban_value);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} MAP_BAN6 SEC(".maps");

/* Prefix bans: longest-prefix-match tries (LPM tries are never preallocated). */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, WARDEN_MAX_PREFIX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm4_key);
	__type(value, struct ban_value);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} MAP_PFX4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, WARDEN_MAX_PREFIX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm6_key);
	__type(value, struct ban_value);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} MAP_PFX6 SEC(".maps");

/*
 * How many IPv4 prefix bans cover each /16. A zero lets the common packet
 * skip the trie walk. Userspace raises a count before it inserts a prefix
 * and lowers it after it deletes one, so the count is never too low.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, WARDEN_PFX4_BUCKETS);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} MAP_PFX4_SUM SEC(".maps");

/* The allowlist: consulted only when a ban applies, and then it wins. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, WARDEN_MAX_ALLOW);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm4_key);
	__type(value, struct allow_value);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} MAP_ALLOW4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, WARDEN_MAX_ALLOW);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm6_key);
	__type(value, struct allow_value);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} MAP_ALLOW6 SEC(".maps");

/* Reasons live beside the bans so that bpftool and every tool can read them. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, V1_MAX_REASONS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct reason_key);
	__type(value, struct reason_value);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} MAP_REASON SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xdp_counters);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} MAP_COUNTERS SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct warden_settings);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} MAP_SETTINGS SEC(".maps");

/* Throttle state of a later design, smaller: only here to be recreated by the upgrade. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, V1_MAX_KNOWN);
	__type(key, struct throttle_key);
	__type(value, struct known_value);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} MAP_KNOWN SEC(".maps");

/* Run first in libxdp's dispatcher and let later programs see what we pass. */
struct {
	__uint(priority, 10);
	__uint(XDP_PASS, 1);
} XDP_RUN_CONFIG(xdp_ban);

/* What one ban lookup found. */
enum ban_state { BAN_NONE, BAN_EXPIRED, BAN_ALLOWED, BAN_DROP };

/*
 * Judge a ban that was found: expired, overridden by the allowlist (which
 * then counts a hit), or live (the ban counts the drop).
 */
static __always_inline int judge_ban(struct ban_value *ban, void *allow_map, void *lpm_key)
{
	struct allow_value *allowed;
	__u64 now = bpf_ktime_get_boot_ns();

	/* An expired ban passes; userspace removes it later. */
	if (ban->expires_ns && now >= ban->expires_ns)
		return BAN_EXPIRED;
	/* The allowlist always wins over a ban. */
	allowed = bpf_map_lookup_elem(allow_map, lpm_key);
	if (allowed) {
		__sync_fetch_and_add(&allowed->hits, 1);
		return BAN_ALLOWED;
	}
	/* Live ban: count the drop on the ban itself. */
	__sync_fetch_and_add(&ban->drops, 1);
	ban->last_drop_ns = now;
	return BAN_DROP;
}

/*
 * The verdict for one source address, the same for both families: the
 * exact ban first (one hash lookup), then the prefix trie when the caller's
 * summary says a prefix may cover the address. Every packet is counted
 * exactly once.
 */
static __always_inline int decide(void *exact_map, void *exact_key, void *prefix_map,
				  void *lpm_key, void *allow_map, int prefixes_possible,
				  struct xdp_counters *cnt)
{
	struct ban_value *ban;
	int state = BAN_NONE, s;

	/* Exact ban: the common hit. */
	ban = bpf_map_lookup_elem(exact_map, exact_key);
	if (ban) {
		s = judge_ban(ban, allow_map, lpm_key);
		if (s == BAN_DROP) {
			cnt->dropped_exact++;
			return XDP_DROP;
		}
		if (s == BAN_ALLOWED) {
			cnt->passed_allow++;
			return XDP_PASS;
		}
		state = s;
	}

	/* Prefix ban, only if one may cover this address. */
	if (prefixes_possible) {
		ban = bpf_map_lookup_elem(prefix_map, lpm_key);
		if (ban) {
			s = judge_ban(ban, allow_map, lpm_key);
			if (s == BAN_DROP) {
				cnt->dropped_prefix++;
				return XDP_DROP;
			}
			if (s == BAN_ALLOWED) {
				cnt->passed_allow++;
				return XDP_PASS;
			}
			state = s;
		}
	}

	/* Passed: because a ban had expired, or because none applies. */
	if (state == BAN_EXPIRED)
		cnt->passed_expired++;
	else
		cnt->passed++;
	return XDP_PASS;
}

static __always_inline int check_ipv4(struct iphdr *iph, struct xdp_counters *cnt)
{
	struct ban4_key exact = {};
	struct lpm4_key lpm = { .prefixlen = 32 };
	__u32 bucket, *covered;

	__builtin_memcpy(exact.addr, &iph->saddr, 4);
	__builtin_memcpy(lpm.addr, &iph->saddr, 4);

	/* How many prefix bans cover this /16: zero spares the trie walk. */
	bucket = ((__u32)exact.addr[0] << 8) | exact.addr[1];
	covered = bpf_map_lookup_elem(&MAP_PFX4_SUM, &bucket);
	return decide(&MAP_BAN4, &exact, &MAP_PFX4, &lpm, &MAP_ALLOW4, covered && *covered, cnt);
}

static __always_inline int check_ipv6(struct ipv6hdr *ip6h, struct xdp_counters *cnt)
{
	struct ban6_key exact = {};
	struct lpm6_key lpm = { .prefixlen = 128 };
	struct warden_settings *settings;
	__u32 zero = 0;

	__builtin_memcpy(exact.addr, &ip6h->saddr, 16);
	__builtin_memcpy(lpm.addr, &ip6h->saddr, 16);

	/* Any IPv6 prefix ban at all? */
	settings = bpf_map_lookup_elem(&MAP_SETTINGS, &zero);
	return decide(&MAP_BAN6, &exact, &MAP_PFX6, &lpm, &MAP_ALLOW6,
		      settings && settings->pfx6_count, cnt);
}

SEC("xdp")
int xdp_ban(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct hdr_cursor nh = { .pos = data };
	struct xdp_counters *cnt;
	struct ethhdr *eth;
	struct iphdr *iph;
	struct ipv6hdr *ip6h;
	__u32 zero = 0;
	int proto;

	/* Without the counters something is badly wrong: fail open. */
	cnt = bpf_map_lookup_elem(&MAP_COUNTERS, &zero);
	if (!cnt)
		return XDP_PASS;

	/* Ethernet and VLAN tags. */
	proto = parse_ethhdr(&nh, data_end, &eth);
	if (proto < 0) {
		cnt->unparsed++;
		return XDP_PASS;
	}

	/* IPv4, options included. */
	if (proto == bpf_htons(ETH_P_IP)) {
		if (parse_iphdr(&nh, data_end, &iph) < 0) {
			cnt->unparsed++;
			return XDP_PASS;
		}
		return check_ipv4(iph, cnt);
	}

	/* IPv6: the fixed header holds the source address. */
	if (proto == bpf_htons(ETH_P_IPV6)) {
		if (parse_ip6hdr(&nh, data_end, &ip6h) < 0) {
			cnt->unparsed++;
			return XDP_PASS;
		}
		return check_ipv6(ip6h, cnt);
	}

	/* ARP, LLDP, a third VLAN tag and everything else pass. */
	cnt->non_ip++;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
