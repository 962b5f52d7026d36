// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* xdp_ban.bpf.c - drop packets whose source address is banned, pass all else. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <xdp/xdp_helpers.h>

#include "warden.h"
#include "parsing.bpf.h"

/* Exact bans: one hash lookup per packet, the common case. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, WARDEN_MAX_EXACT);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ban4_key);
	__type(value, struct ban_value);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} MAP_BAN4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, WARDEN_MAX_EXACT);
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
	__uint(max_entries, WARDEN_MAX_REASONS);
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

/* Run first in libxdp's dispatcher and let later programs see what we pass. */
struct {
	__uint(priority, 10);
	__uint(XDP_PASS, 1);
} XDP_RUN_CONFIG(xdp_ban);

enum ban_kind { KIND_EXACT, KIND_PREFIX };

/*
 * Decide on a ban that was found. Returns XDP_DROP if it is live and not
 * overridden, XDP_PASS otherwise, with the matching counter bumped.
 * allowed is 1 when the allowlist covers the source.
 */
static __always_inline int judge_ban(struct ban_value *ban, int kind,
				     struct allow_value *allowed,
				     struct xdp_counters *cnt)
{
	__u64 now = bpf_ktime_get_boot_ns();

	/* An expired ban passes; userspace removes it later. */
	if (ban->expires_ns && now >= ban->expires_ns) {
		cnt->passed_expired++;
		return XDP_PASS;
	}
	/* The allowlist always wins over a ban. */
	if (allowed) {
		__sync_fetch_and_add(&allowed->hits, 1);
		cnt->passed_allow++;
		return XDP_PASS;
	}
	/* Live ban: count the drop on the ban itself and per CPU. */
	__sync_fetch_and_add(&ban->drops, 1);
	ban->last_drop_ns = now;
	if (kind == KIND_EXACT)
		cnt->dropped_exact++;
	else
		cnt->dropped_prefix++;
	return XDP_DROP;
}

static __always_inline int check_ipv4(struct iphdr *iph, struct xdp_counters *cnt)
{
	struct ban4_key exact = {};
	struct lpm4_key lpm = { .prefixlen = 32 };
	struct ban_value *ban;
	__u32 bucket, *covered;
	int verdict, judged = 0;

	__builtin_memcpy(exact.addr, &iph->saddr, 4);
	__builtin_memcpy(lpm.addr, &iph->saddr, 4);

	/* Exact ban first: one hash lookup. */
	ban = bpf_map_lookup_elem(&MAP_BAN4, &exact);
	if (ban) {
		verdict = judge_ban(ban, KIND_EXACT, bpf_map_lookup_elem(&MAP_ALLOW4, &lpm), cnt);
		if (verdict == XDP_DROP)
			return verdict;
		judged = 1;
	}

	/* Prefix bans, only if one covers this /16 at all. */
	bucket = ((__u32)exact.addr[0] << 8) | exact.addr[1];
	covered = bpf_map_lookup_elem(&MAP_PFX4_SUM, &bucket);
	if (covered && *covered) {
		ban = bpf_map_lookup_elem(&MAP_PFX4, &lpm);
		if (ban)
			return judge_ban(ban, KIND_PREFIX, bpf_map_lookup_elem(&MAP_ALLOW4, &lpm), cnt);
	}
	/* No ban applied (an expired or allowed one was counted already). */
	if (!judged)
		cnt->passed++;
	return XDP_PASS;
}

static __always_inline int check_ipv6(struct ipv6hdr *ip6h, struct xdp_counters *cnt)
{
	struct ban6_key exact = {};
	struct lpm6_key lpm = { .prefixlen = 128 };
	struct warden_settings *settings;
	struct ban_value *ban;
	__u32 zero = 0;
	int verdict, judged = 0;

	__builtin_memcpy(exact.addr, &ip6h->saddr, 16);
	__builtin_memcpy(lpm.addr, &ip6h->saddr, 16);

	/* Exact ban first. */
	ban = bpf_map_lookup_elem(&MAP_BAN6, &exact);
	if (ban) {
		verdict = judge_ban(ban, KIND_EXACT, bpf_map_lookup_elem(&MAP_ALLOW6, &lpm), cnt);
		if (verdict == XDP_DROP)
			return verdict;
		judged = 1;
	}

	/* Prefix bans, only if there are any. */
	settings = bpf_map_lookup_elem(&MAP_SETTINGS, &zero);
	if (settings && settings->pfx6_count) {
		ban = bpf_map_lookup_elem(&MAP_PFX6, &lpm);
		if (ban)
			return judge_ban(ban, KIND_PREFIX, bpf_map_lookup_elem(&MAP_ALLOW6, &lpm), cnt);
	}
	/* No ban applied (an expired or allowed one was counted already). */
	if (!judged)
		cnt->passed++;
	return XDP_PASS;
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
