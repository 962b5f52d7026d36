// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* xdp_ban.bpf.c - drop packets of banned sources, throttle and shed the rest, pass all else. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <linux/tcp.h>
#include <stddef.h>
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

/*
 * Prefix bans: one hash keyed by {length, prefix with its host bits zero},
 * probed once per length in use (warden_pfxlens), longest first. The same
 * as one hash per length, in one map: one pin, one bpftool dump.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, WARDEN_MAX_PREFIX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm4_key);
	__type(value, struct ban_value);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} MAP_PFX4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, WARDEN_MAX_PREFIX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm6_key);
	__type(value, struct ban_value);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} MAP_PFX6 SEC(".maps");

/* The lengths in use in each prefix hash (enum pfx_lens_index): read first. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PFX_LENS__COUNT);
	__type(key, __u32);
	__type(value, struct prefix_lengths);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} MAP_PFX_LENS SEC(".maps");

/*
 * How many IPv4 prefix bans touch the /24s of each bucket (warden_pfx4_bucket,
 * a hash of the /24). A zero lets the common packet skip the probes.
 * Userspace raises a count before it inserts a prefix and lowers it after
 * it deletes one, so the count is never too low.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, WARDEN_PFX4_BUCKETS);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} MAP_PFX4_SUM SEC(".maps");

/*
 * The same for IPv6 prefix bans of /32 or longer, counted per hashed /32
 * (warden_pfx6_bucket): an IPv6 packet from a /32 without such a ban
 * probes none of those lengths. Shorter IPv6 prefixes are always probed.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, WARDEN_PFX6_BUCKETS);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} MAP_PFX6_SUM SEC(".maps");

/* The allowlist: consulted only when a ban applies, and then it wins. Keyed as the prefixes. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, WARDEN_MAX_ALLOW);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm4_key);
	__type(value, struct allow_value);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} MAP_ALLOW4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
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

/* Per-prefix throttle limits: the longest matching prefix wins over the defaults. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, WARDEN_MAX_RULES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm4_key);
	__type(value, struct throttle_limits);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} MAP_THR4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, WARDEN_MAX_RULES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm6_key);
	__type(value, struct throttle_limits);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} MAP_THR6 SEC(".maps");

/* Priority peers: consulted only while throttling or shedding is on. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, WARDEN_MAX_PRIORITY);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm4_key);
	__type(value, struct priority_value);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} MAP_PRIO4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, WARDEN_MAX_PRIORITY);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm6_key);
	__type(value, struct priority_value);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} MAP_PRIO6 SEC(".maps");

/*
 * Known clients' exact buckets. Entries are made only when a client is
 * known (a SYN passed, then a segment of an established connection), so a
 * spoofed flood neither inserts nor evicts here. One shared map, not
 * per-CPU, so that a client's limit does not multiply by the number of CPUs.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, WARDEN_MAX_CLIENTS);
	__type(key, struct throttle_key);
	__type(value, struct throttle_state);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} MAP_CLIENTS SEC(".maps");

/*
 * Every other source's buckets: a count-min sketch (struct sketch_cell),
 * row r at [r * WARDEN_SKETCH_WIDTH, (r + 1) * WARDEN_SKETCH_WIDTH). Fixed
 * memory, no insertion, no eviction: a packet of a new source costs what a
 * packet of an old one does. Shared, not per-CPU, for the same reason.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, WARDEN_SKETCH_ROWS * WARDEN_SKETCH_WIDTH);
	__type(key, __u32);
	__type(value, struct sketch_cell);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} MAP_SKETCH SEC(".maps");

/*
 * Clients with an established history, apart from the buckets so that a
 * SYN flood (which creates buckets) cannot evict them: an entry needs a SYN
 * that passed and then a segment of an established connection.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, WARDEN_MAX_KNOWN);
	__type(key, struct throttle_key);
	__type(value, struct known_value);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} MAP_KNOWN SEC(".maps");

/* Throttle events for warden run's escalation; dropped when nobody reads them. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, WARDEN_THR_EVENTS_BYTES);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} MAP_THR_EVENTS SEC(".maps");

/* Samples of dropped packets for warden capture, one perf ring per CPU (it sizes them). */
struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} MAP_CAPTURE SEC(".maps");

/* Whether someone captures; read on the drop path only. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct capture_config);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} MAP_CAP_CFG SEC(".maps");

/* Each CPU's sampling window: at most per_sec samples a second. */
struct capture_window {
	__u64 start_ns; /* when the current one-second window began */
	__u64 taken;    /* samples sent in it */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct capture_window);
} warden_capwin SEC(".maps");

/* Run first in libxdp's dispatcher and let later programs see what we pass. */
struct {
	__uint(priority, 10);
	__uint(XDP_PASS, 1);
} XDP_RUN_CONFIG(xdp_ban);

/*
 * Every verdict, numbered as the fields of struct xdp_counters so that a
 * packet is counted once, at the end, by its final verdict.
 */
enum verdict {
	V_PASSED, V_DROPPED_EXACT, V_DROPPED_PREFIX, V_PASSED_ALLOW, V_PASSED_EXPIRED,
	V_UNPARSED, V_NON_IP, V_DROPPED_THR_CONN, V_DROPPED_THR_PKT, V_DROPPED_SHED,
	V_PASSED_PRIORITY, V_PASSED_KNOWN, V__COUNT,
};

_Static_assert(sizeof(struct xdp_counters) == V__COUNT * sizeof(__u64), "one counter per verdict");
_Static_assert(offsetof(struct xdp_counters, non_ip) == V_NON_IP * sizeof(__u64), "verdict order");
_Static_assert(offsetof(struct xdp_counters, passed_known) == V_PASSED_KNOWN * sizeof(__u64),
	       "verdict order");

/* A client's known mark is rewritten at most this often (the known map is shared). */
#define KNOWN_REFRESH_NS (60ULL * 1000000000ULL)

/*
 * Send a sample of a dropped packet to warden capture, if one runs. With
 * nobody capturing this is an array lookup (inlined) and one branch, on
 * drops only. While capturing: the exact clock, a per-CPU budget of
 * per_sec samples a second (beyond it drops are not sampled), then the
 * metadata and the packet's first snaplen bytes, which the kernel copies
 * from the frame (the flags' upper 32 bits: xdpdump's technique). A full
 * perf ring loses the sample (user space counts it), never the verdict.
 */
static __always_inline void capture(struct xdp_md *ctx, __u32 reason)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct capture_config *cfg;
	struct capture_window *win;
	struct capture_meta meta;
	__u64 now, len, cap;
	__u32 zero = 0;

	/* Nobody captures: the one branch every drop pays. */
	cfg = bpf_map_lookup_elem(&MAP_CAP_CFG, &zero);
	if (!cfg || !cfg->until_ns)
		return;
	/* A capture that died without clearing the flag lapses by itself. */
	now = bpf_ktime_get_boot_ns();
	if (now >= cfg->until_ns)
		return;
	/* This CPU's budget for the current second. */
	win = bpf_map_lookup_elem(&warden_capwin, &zero);
	if (!win)
		return;
	if (now - win->start_ns >= 1000000000ULL) {
		win->start_ns = now;
		win->taken = 0;
	}
	if (win->taken >= (cfg->per_sec ? cfg->per_sec : WARDEN_CAPTURE_PER_SEC))
		return;
	win->taken++;
	/* The first snaplen bytes, never more than the frame holds. */
	len = data_end - data;
	cap = cfg->snaplen ? cfg->snaplen : WARDEN_CAPTURE_SNAPLEN;
	if (cap > WARDEN_CAPTURE_SNAPLEN_MAX)
		cap = WARDEN_CAPTURE_SNAPLEN_MAX;
	if (cap > len)
		cap = len;
	meta.time_ns = now;
	meta.pkt_len = (__u32)len;
	meta.cap_len = (__u32)cap;
	meta.ifindex = ctx->ingress_ifindex;
	meta.reason = reason;
	bpf_perf_event_output(ctx, &MAP_CAPTURE, (cap << 32) | BPF_F_CURRENT_CPU, &meta,
			      sizeof(meta));
}

/* Count the verdict and turn it into an XDP action; a drop may be captured. */
static __always_inline int finish(struct xdp_md *ctx, struct xdp_counters *cnt, __u32 v)
{
	__u64 *slot = (__u64 *)cnt;

	/*
	 * Bounded for the verifier; every verdict is below V__COUNT. The barrier
	 * keeps clang from dropping the check where it knows the callee's
	 * verdicts: the verifier does not know them (global functions).
	 */
	asm volatile("" : "+r"(v));
	if (v >= V__COUNT)
		return XDP_PASS;
	slot[v]++;
	switch (v) {
	case V_DROPPED_EXACT:
		capture(ctx, CAPTURE_EXACT);
		return XDP_DROP;
	case V_DROPPED_PREFIX:
		capture(ctx, CAPTURE_PREFIX);
		return XDP_DROP;
	case V_DROPPED_THR_CONN:
		capture(ctx, CAPTURE_THROTTLE_CONN);
		return XDP_DROP;
	case V_DROPPED_THR_PKT:
		capture(ctx, CAPTURE_THROTTLE_PKT);
		return XDP_DROP;
	case V_DROPPED_SHED:
		capture(ctx, CAPTURE_SHED);
		return XDP_DROP;
	default:
		return XDP_PASS;
	}
}

/*
 * Reading the boot-time clock costs ~38 ns, a third of a drop: each CPU
 * reads it once per jiffy and reuses it for bans. A ban may so end or
 * count its last drop up to one jiffy (1-4 ms) late. The throttle stage
 * reuses the same reading once per packet: a bucket refills a jiffy at a
 * time (a burst below rate x 4 ms may be throttled a little early).
 */
struct clock_cache {
	__u64 jiffies; /* bpf_jiffies64() when boot_ns was read */
	__u64 boot_ns; /* bpf_ktime_get_boot_ns() then */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct clock_cache);
} warden_clock SEC(".maps");

/* CLOCK_BOOTTIME in ns, to the jiffy. */
static __always_inline __u64 ban_clock(void)
{
	struct clock_cache *c;
	__u32 zero = 0;
	__u64 j;

	/* No cache (cannot happen with a one-entry array): the real clock. */
	c = bpf_map_lookup_elem(&warden_clock, &zero);
	if (!c)
		return bpf_ktime_get_boot_ns();
	/* A new jiffy on this CPU: read the clock again. */
	j = bpf_jiffies64();
	if (c->jiffies != j) {
		c->jiffies = j;
		c->boot_ns = bpf_ktime_get_boot_ns();
	}
	return c->boot_ns;
}

/*
 * The highest set bit of a non-zero word, without a branch: smear it down,
 * then a de Bruijn multiply indexes a table (clang 14 cannot lower clz for
 * BPF, and branches here would multiply the verifier's paths per probe).
 */
static const __u8 debruijn_msb[64] = {
	0, 47, 1, 56, 48, 27, 2, 60, 57, 49, 41, 37, 28, 16, 3, 61,
	54, 58, 35, 52, 50, 42, 21, 44, 38, 32, 29, 23, 17, 11, 4, 62,
	46, 55, 26, 59, 40, 36, 15, 53, 34, 51, 20, 43, 31, 22, 10, 45,
	25, 39, 14, 33, 19, 30, 9, 24, 13, 18, 8, 12, 7, 6, 5, 63,
};

static __always_inline __u32 msb64(__u64 x)
{
	x |= x >> 1;
	x |= x >> 2;
	x |= x >> 4;
	x |= x >> 8;
	x |= x >> 16;
	x |= x >> 32;
	return debruijn_msb[(x * 0x03f79d71b4cb0a89ULL) >> 58];
}

/* The longest length left in a length set (words w0..w2), taken out of it; -1 when empty. */
static __always_inline int pop_longest(__u64 *w0, __u64 *w1, __u64 *w2)
{
	__u32 b;

	if (*w2) {
		b = msb64(*w2) & 63;
		*w2 &= ~(1ULL << b);
		return 128 + (int)b;
	}
	if (*w1) {
		b = msb64(*w1) & 63;
		*w1 &= ~(1ULL << b);
		return 64 + (int)b;
	}
	if (*w0) {
		b = msb64(*w0) & 63;
		*w0 &= ~(1ULL << b);
		return (int)b;
	}
	return -1;
}

/* The top len bits of a 64-bit word (len 0..64). */
static __always_inline __u64 high_bits(__u32 len)
{
	return len == 0 ? 0 : len >= 64 ? ~0ULL : ~0ULL << (64 - len);
}

/* An IPv4 address (host byte order) cut to len bits, as a prefix hash key. */
static __always_inline void prefix_key4(struct lpm4_key *k, __u32 addr, __u32 len)
{
	__u32 a = len == 0 ? 0 : len >= 32 ? addr : addr & (~0U << (32 - len));

	k->prefixlen = len;
	a = bpf_htonl(a);
	__builtin_memcpy(k->addr, &a, 4);
}

/* An IPv6 address (two host-order halves) cut to len bits, as a prefix hash key. */
static __always_inline void prefix_key6(struct lpm6_key *k, __u64 hi, __u64 lo, __u32 len)
{
	hi = bpf_cpu_to_be64(hi & high_bits(len));
	lo = bpf_cpu_to_be64(lo & high_bits(len > 64 ? len - 64 : 0));
	k->prefixlen = len;
	__builtin_memcpy(k->addr, &hi, 8);
	__builtin_memcpy(&k->addr[8], &lo, 8);
}

/* The lengths in use of one prefix hash (enum pfx_lens_index); NULL cannot happen. */
static __always_inline struct prefix_lengths *lengths(__u32 which)
{
	struct prefix_lengths *set = bpf_map_lookup_elem(&MAP_PFX_LENS, &which);

	return set;
}

/* At most this many probes of a prefix hash: every length a key can have. */
#define MAX_PROBES4 33
#define MAX_PROBES6 129

/*
 * The probes run in global functions: the verifier checks each once, on
 * its own, instead of every loop again on every path that reaches it.
 * They take and return scalars only. Their loops are open-coded numeric
 * iterators (kernel 6.4), which the verifier checks until the state at
 * the loop head repeats instead of once per iteration.
 */
struct bpf_iter_num {
	__u64 __opaque[1];
} __attribute__((aligned(8)));

extern int bpf_iter_num_new(struct bpf_iter_num *it, int start, int end) __weak __ksym;
extern int *bpf_iter_num_next(struct bpf_iter_num *it) __weak __ksym;
extern void bpf_iter_num_destroy(struct bpf_iter_num *it) __weak __ksym;

/* for (i = start; i < end; i++), as the kernel selftests' bpf_for. */
#define probe_for(i, start, end)                                                        \
	for (struct bpf_iter_num ___it __attribute__((aligned(8),                      \
						      cleanup(bpf_iter_num_destroy))),   \
	     *___p __attribute__((unused)) = (bpf_iter_num_new(&___it, (start), (end)),   \
					      (void)bpf_iter_num_destroy, (void *)0);     \
	     ({                                                                         \
		     int *___t = bpf_iter_num_next(&___it);                             \
		     (___t && ((i) = *___t, 1));                                        \
	     });)

/* Whether the IPv4 allowlist covers addr at the lengths in w0 (longest first); counts the hit. */
__noinline int allowed4(__u32 addr, __u64 w0)
{
	struct allow_value *a;
	struct lpm4_key key;
	__u64 w1 = 0, w2 = 0;
	int i, len;

	probe_for(i, 0, MAX_PROBES4) {
		len = pop_longest(&w0, &w1, &w2);
		if (len < 0)
			break;
		prefix_key4(&key, addr, (__u32)len);
		a = bpf_map_lookup_elem(&MAP_ALLOW4, &key);
		if (a) {
			__sync_fetch_and_add(&a->hits, 1);
			return 1;
		}
	}
	return 0;
}

/* The same for IPv6. */
__noinline int allowed6(__u64 hi, __u64 lo, __u64 w0, __u64 w1, __u64 w2)
{
	struct allow_value *a;
	struct lpm6_key key;
	int i, len;

	probe_for(i, 0, MAX_PROBES6) {
		len = pop_longest(&w0, &w1, &w2);
		if (len < 0)
			break;
		prefix_key6(&key, hi, lo, (__u32)len);
		a = bpf_map_lookup_elem(&MAP_ALLOW6, &key);
		if (a) {
			__sync_fetch_and_add(&a->hits, 1);
			return 1;
		}
	}
	return 0;
}

/*
 * Whether the allowlist covers the source: no call at all while it is
 * empty, and none either when it has one length (the common case: its
 * probe is inline); only further lengths go to allowed4/6's loop.
 */
static __always_inline int allowed(int family, __u32 v4, __u64 hi, __u64 lo)
{
	struct prefix_lengths *set = lengths(family == 4 ? PFX_LENS_ALLOW4 : PFX_LENS_ALLOW6);
	struct lpm6_key key; /* large enough for either family */
	struct allow_value *a;
	__u64 w0, w1, w2;
	int len;

	if (!set)
		return 0;
	w0 = set->bits[0];
	w1 = family == 4 ? 0 : set->bits[1];
	w2 = family == 4 ? 0 : set->bits[2];
	len = pop_longest(&w0, &w1, &w2);
	if (len < 0)
		return 0;
	if (family == 4) {
		prefix_key4((struct lpm4_key *)&key, v4, (__u32)len);
		a = bpf_map_lookup_elem(&MAP_ALLOW4, &key);
	} else {
		prefix_key6(&key, hi, lo, (__u32)len);
		a = bpf_map_lookup_elem(&MAP_ALLOW6, &key);
	}
	if (a) {
		__sync_fetch_and_add(&a->hits, 1);
		return 1;
	}
	if (!(w0 | w1 | w2))
		return 0;
	return family == 4 ? allowed4(v4, w0) : allowed6(hi, lo, w0, w1, w2);
}

/* A live ban was found: the allowlist wins, else the ban counts the drop. */
static __always_inline __u32 ban_applies(struct ban_value *ban, __u64 now, int allow, __u32 v)
{
	if (allow)
		return V_PASSED_ALLOW;
	__sync_fetch_and_add(&ban->drops, 1);
	ban->last_drop_ns = now;
	return v;
}

/*
 * The prefix verdict of an IPv4 address over the lengths in w0, longest
 * first: the first live ban drops (or meets the allowlist); an expired one
 * is passed over, so it hides no shorter live ban.
 */
__noinline __u32 prefix_verdict4(__u32 addr, __u64 w0)
{
	struct lpm4_key key;
	struct ban_value *ban;
	__u64 now = 0, w1 = 0, w2 = 0;
	int i, len, expired = 0;

	probe_for(i, 0, MAX_PROBES4) {
		len = pop_longest(&w0, &w1, &w2);
		if (len < 0)
			break;
		prefix_key4(&key, addr, (__u32)len);
		ban = bpf_map_lookup_elem(&MAP_PFX4, &key);
		if (!ban)
			continue;
		if (!now)
			now = ban_clock();
		if (!ban->expires_ns || now < ban->expires_ns)
			return ban_applies(ban, now, allowed(4, addr, 0, 0), V_DROPPED_PREFIX);
		expired = 1;
	}
	return expired ? V_PASSED_EXPIRED : V_PASSED;
}

/* The same for IPv6. */
__noinline __u32 prefix_verdict6(__u64 hi, __u64 lo, __u64 w0, __u64 w1)
{
	struct lpm6_key key;
	struct ban_value *ban;
	__u64 now = 0, w2 = 0;
	int i, len, expired = 0;

	probe_for(i, 0, MAX_PROBES6) {
		len = pop_longest(&w0, &w1, &w2);
		if (len < 0)
			break;
		prefix_key6(&key, hi, lo, (__u32)len);
		ban = bpf_map_lookup_elem(&MAP_PFX6, &key);
		if (!ban)
			continue;
		if (!now)
			now = ban_clock();
		if (!ban->expires_ns || now < ban->expires_ns)
			return ban_applies(ban, now, allowed(6, 0, hi, lo), V_DROPPED_PREFIX);
		expired = 1;
	}
	return expired ? V_PASSED_EXPIRED : V_PASSED;
}

/*
 * The exact ban of a source, if any: V_DROPPED_EXACT or V_PASSED_ALLOW
 * when a live one applies, V_PASSED_EXPIRED when it has expired (userspace
 * removes it later), V_PASSED when there is none.
 */
static __always_inline __u32 exact_verdict(void *exact_map, void *key, int family, __u32 v4,
					   __u64 hi, __u64 lo)
{
	struct ban_value *ban = bpf_map_lookup_elem(exact_map, key);
	__u64 now;

	if (!ban)
		return V_PASSED;
	now = ban_clock();
	if (ban->expires_ns && now >= ban->expires_ns)
		return V_PASSED_EXPIRED;
	return ban_applies(ban, now, allowed(family, v4, hi, lo), V_DROPPED_EXACT);
}

/*
 * The prefix stage: the longest length in use is probed here, inline (one
 * length is the common case: it costs one hash lookup and no call); only
 * if more lengths remain does the loop of prefix_verdict4/6 run.
 */
static __always_inline __u32 prefix_stage(int family, __u32 v4, __u64 hi, __u64 lo, __u64 w0,
					  __u64 w1)
{
	struct lpm6_key key; /* large enough for either family */
	struct ban_value *ban;
	__u64 now, w2 = 0;
	int len, expired = 0;
	__u32 v;

	len = pop_longest(&w0, &w1, &w2);
	if (len < 0)
		return V_PASSED;
	if (family == 4) {
		prefix_key4((struct lpm4_key *)&key, v4, (__u32)len);
		ban = bpf_map_lookup_elem(&MAP_PFX4, &key);
	} else {
		prefix_key6(&key, hi, lo, (__u32)len);
		ban = bpf_map_lookup_elem(&MAP_PFX6, &key);
	}
	if (ban) {
		now = ban_clock();
		if (!ban->expires_ns || now < ban->expires_ns)
			return ban_applies(ban, now, allowed(family, v4, hi, lo), V_DROPPED_PREFIX);
		expired = 1;
	}
	/* The other lengths, longest first. */
	v = V_PASSED;
	if (w0 | w1)
		v = family == 4 ? prefix_verdict4(v4, w0) : prefix_verdict6(hi, lo, w0, w1);
	return v == V_PASSED && expired ? V_PASSED_EXPIRED : v;
}

/*
 * Both stages: a prefix verdict that let the packet through (no live prefix
 * ban) goes on to the exact ban, whose verdict counts; an expired prefix
 * ban is not forgotten when there is no exact one.
 */
static __always_inline __u32 merge(__u32 prefix, __u32 exact)
{
	if (exact == V_PASSED && prefix == V_PASSED_EXPIRED)
		return V_PASSED_EXPIRED;
	return exact;
}

/* Whether a stage's verdict leaves the next stage to decide: no live ban applied. */
static __always_inline int undecided(__u32 v)
{
	return v == V_PASSED || v == V_PASSED_EXPIRED;
}

/* Whether the throttle/shed stage has anything to do at all: one load, one test. */
static __always_inline int guard_active(const struct warden_settings *s)
{
	return s && (s->flags | s->shed);
}

/* Whether the host sheds load at now: by hand, or for warden run until its deadline. */
static __always_inline int shedding(const struct warden_settings *s, __u64 now)
{
	if (s->shed & WARDEN_SHED_MANUAL)
		return 1;
	return (s->shed & WARDEN_SHED_AUTO) && now < s->shed_until_ns;
}

/* Whether a client counts as known: it has an established history, recent enough. */
static __always_inline int is_known(struct throttle_key *key, __u64 now,
				    const struct warden_settings *s)
{
	struct known_value *k = bpf_map_lookup_elem(&MAP_KNOWN, key);
	__u64 window = (__u64)(s->known_for_s ? s->known_for_s : WARDEN_KNOWN_FOR_S) * 1000000000ULL;

	/* Signed: seen_ns may come from userspace, a little ahead of the cached clock. */
	return k && (__s64)(now - k->seen_ns) < (__s64)window;
}

/* Take one token from a bucket (GCRA form, see struct throttle_state); 0 when empty. */
static __always_inline int bucket_take(__u64 tat, __u64 now, __u64 interval, __u32 burst,
				       __u64 *new_tat)
{
	__u64 t = (tat > now ? tat : now) + interval;

	*new_tat = t;
	return t - now <= interval * (burst ? burst : 1);
}

/* Tell warden run that this client hits its throttle, at most once per second (per *last_ns). */
static __always_inline void throttle_event(__u64 *last_ns, __u64 throttled,
					   struct throttle_key *key, __u8 family, __u8 prefixlen,
					   __u8 kind, __u64 now)
{
	struct throttle_event ev = {
		.time_ns = now, .throttled = (__u32)throttled,
		.family = family, .prefixlen = prefixlen, .kind = kind,
	};

	if (*last_ns && now - *last_ns < WARDEN_THR_EVENT_NS)
		return;
	*last_ns = now;
	/* IPv4 sits in the last 4 bytes of the key, in the first 4 of the event. */
	if (family == 4)
		__builtin_memcpy(ev.addr, &key->addr[12], 4);
	else
		__builtin_memcpy(ev.addr, key->addr, 16);
	/* A full ring (nobody reading) loses the event, never the verdict. */
	bpf_ringbuf_output(&MAP_THR_EVENTS, &ev, sizeof(ev), 0);
}

/* Where a packet came from and what it is, for the throttle/shed stage. */
struct guard_in {
	struct throttle_key key; /* the client: IPv4 address, or IPv6 cut to its prefix */
	void *lpm;             /* the full source address as an LPM key (tries) */
	void *prio_map, *rule_map;
	__u32 prio_count, rule_count;
	int l4;                /* enum l4_kind */
	__u8 family, prefixlen;
};

/* The limits that apply, and to what this packet. */
struct guard_lim {
	const struct throttle_limits *lim;
	int conn_limited, pkt_limited, syn;
};

/*
 * A known client: its own exact buckets. Both are checked before either
 * is charged. Returns the verdict; v if it passes.
 */
static __always_inline __u32 exact_buckets(struct throttle_state *st, struct guard_in *in,
					   const struct guard_lim *g, __u64 now, __u32 v)
{
	const struct throttle_limits *lim = g->lim;
	__u64 conn_tat = 0, pkt_tat = 0;

	if (g->conn_limited &&
	    !bucket_take(st->conn_tat_ns, now, lim->conn_interval_ns, lim->conn_burst, &conn_tat)) {
		st->throttled++;
		throttle_event(&st->event_ns, st->throttled, &in->key, in->family, in->prefixlen,
			       THROTTLE_CONN, now);
		return V_DROPPED_THR_CONN;
	}
	if (g->pkt_limited &&
	    !bucket_take(st->pkt_tat_ns, now, lim->pkt_interval_ns, lim->pkt_burst, &pkt_tat)) {
		st->throttled++;
		throttle_event(&st->event_ns, st->throttled, &in->key, in->family, in->prefixlen,
			       THROTTLE_PKT, now);
		return V_DROPPED_THR_PKT;
	}
	if (g->conn_limited)
		st->conn_tat_ns = conn_tat;
	if (g->pkt_limited)
		st->pkt_tat_ns = pkt_tat;
	/* History: keep the known mark fresh (the known map is shared: rarely). */
	if (g->syn) {
		st->syn_ns = now;
	} else if (in->l4 == L4_TCP && st->syn_ns &&
		   (!st->known_ns || now - st->known_ns >= KNOWN_REFRESH_NS)) {
		struct known_value k = { .seen_ns = now };

		st->known_ns = now;
		bpf_map_update_elem(&MAP_KNOWN, &in->key, &k, BPF_ANY);
	}
	return v;
}

/*
 * Each CPU makes at most this many clients known a second. A spoofed
 * flood of SYNs and ACKs marks most cells with a recent SYN, so its ACKs
 * could look like handshakes: the budget keeps what they cost (an insert
 * into the LRU, evicting a known client) bounded on average.
 */
#define PROMOTE_PER_S 1024

struct promote_budget {
	__u64 start_ns; /* when this CPU's current one-second window began */
	__u64 used;     /* clients made known in it */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct promote_budget);
} warden_promote SEC(".maps");

/* Whether this CPU may make one more client known now. */
static __always_inline int promote_ok(__u64 now)
{
	struct promote_budget *b;
	__u32 zero = 0;

	b = bpf_map_lookup_elem(&warden_promote, &zero);
	if (!b)
		return 0;
	if (now - b->start_ns >= 1000000000ULL) {
		b->start_ns = now;
		b->used = 0;
	}
	if (b->used >= PROMOTE_PER_S)
		return 0;
	b->used++;
	return 1;
}

static __always_inline __u64 min64(__u64 a, __u64 b) { return a < b ? a : b; }
static __always_inline __u64 max64(__u64 a, __u64 b) { return a > b ? a : b; }

/*
 * Any other source: its buckets in the sketch, the minimum of its cells.
 * A packet that passes pushes each cell to at least its new value. A
 * segment of an established connection soon after a SYN of the same cells
 * makes the client known: it gets exact buckets, carried from the sketch.
 */
static __always_inline __u32 sketch_buckets(struct guard_in *in, const struct guard_lim *g,
					    __u64 now, __u32 v)
{
	const struct throttle_limits *lim = g->lim;
	struct sketch_cell *c0, *c1;
	__u64 conn_tat = 0, pkt_tat = 0;
	__u32 i0, i1;

	warden_sketch_index(in->key.addr, &i0, &i1);
	c0 = bpf_map_lookup_elem(&MAP_SKETCH, &i0);
	c1 = bpf_map_lookup_elem(&MAP_SKETCH, &i1);
	if (!c0 || !c1)
		return v;
	if (g->conn_limited &&
	    !bucket_take(min64(c0->conn_tat_ns, c1->conn_tat_ns), now, lim->conn_interval_ns,
			 lim->conn_burst, &conn_tat)) {
		throttle_event(&c0->event_ns, 0, &in->key, in->family, in->prefixlen,
			       THROTTLE_CONN, now);
		return V_DROPPED_THR_CONN;
	}
	if (g->pkt_limited &&
	    !bucket_take(min64(c0->pkt_tat_ns, c1->pkt_tat_ns), now, lim->pkt_interval_ns,
			 lim->pkt_burst, &pkt_tat)) {
		throttle_event(&c0->event_ns, 0, &in->key, in->family, in->prefixlen,
			       THROTTLE_PKT, now);
		return V_DROPPED_THR_PKT;
	}
	if (g->conn_limited) {
		c0->conn_tat_ns = max64(c0->conn_tat_ns, conn_tat);
		c1->conn_tat_ns = max64(c1->conn_tat_ns, conn_tat);
	}
	if (g->pkt_limited) {
		c0->pkt_tat_ns = max64(c0->pkt_tat_ns, pkt_tat);
		c1->pkt_tat_ns = max64(c1->pkt_tat_ns, pkt_tat);
	}
	/* History: a SYN that passed marks its cells; an established segment after it, known. */
	if (g->syn) {
		c0->syn_ns = now;
		c1->syn_ns = now;
	} else if (in->l4 == L4_TCP && c0->syn_ns && c1->syn_ns &&
		   now - min64(c0->syn_ns, c1->syn_ns) < WARDEN_SYN_WINDOW_NS && promote_ok(now)) {
		struct throttle_state st = {
			.conn_tat_ns = min64(c0->conn_tat_ns, c1->conn_tat_ns),
			.pkt_tat_ns = min64(c0->pkt_tat_ns, c1->pkt_tat_ns),
			.syn_ns = min64(c0->syn_ns, c1->syn_ns),
			.known_ns = now,
		};
		struct known_value k = { .seen_ns = now };

		bpf_map_update_elem(&MAP_CLIENTS, &in->key, &st, BPF_NOEXIST);
		bpf_map_update_elem(&MAP_KNOWN, &in->key, &k, BPF_ANY);
	}
	return v;
}

/*
 * The throttle/shed stage, for a packet the bans let through with verdict v.
 * Order: priority peers pass; while shedding, a new connection of an unknown
 * client is dropped; then the client's buckets (its prefix's limits or the
 * defaults): a known client's own, anyone else's in the sketch; over either,
 * drop. What passes updates the history. While throttling, the known
 * client's state is looked up first: it remembers that the client is no
 * priority peer and whether a rule covers it, so its packets skip the
 * tries. The clock is the ban path's (to the jiffy): a bucket refills a
 * jiffy at a time.
 * Races between CPUs on one client or cell (two read the same bucket, both
 * write) can let a packet more through, never fewer: tolerated, no lock taken.
 */
static __always_inline __u32 guard(const struct warden_settings *s, struct guard_in *in, __u32 v)
{
	const struct throttle_limits *rule = NULL;
	struct throttle_state *st = NULL;
	struct guard_lim g = { .lim = &s->defaults };
	int throttling = s->flags & WARDEN_F_THROTTLE;
	/* Read before the tries: a change of them moves it after (throttle.c). */
	__u32 gen = s->rules_gen, cache = 0;
	__u64 now;

	g.syn = in->l4 == L4_TCP_SYN;
	if (throttling) {
		st = bpf_map_lookup_elem(&MAP_CLIENTS, &in->key);
		if (st && st->cache_gen == gen)
			cache = st->cache;
	}
	if (cache & THROTTLE_CACHE_VALID) {
		/* Resolved before: no priority peer; a rule only if it had one. */
		if (cache & THROTTLE_CACHE_RULE)
			rule = bpf_map_lookup_elem(in->rule_map, in->lpm);
	} else {
		/* Priority peers are never throttled nor shed. */
		if (in->prio_count && (throttling || s->shed) &&
		    bpf_map_lookup_elem(in->prio_map, in->lpm))
			return V_PASSED_PRIORITY;
		/* The limits of the longest matching prefix rule, else the defaults. */
		if (throttling && in->rule_count)
			rule = bpf_map_lookup_elem(in->rule_map, in->lpm);
		if (st) {
			st->cache_gen = gen;
			st->cache = THROTTLE_CACHE_VALID | (rule ? THROTTLE_CACHE_RULE : 0);
		}
	}
	if (rule)
		g.lim = rule;
	g.conn_limited = throttling && g.syn && g.lim->conn_interval_ns;
	g.pkt_limited = throttling && g.lim->pkt_interval_ns;

	now = ban_clock();
	/*
	 * Shedding: a new connection passes only from a client with a history.
	 * warden run's deadline is on the exact clock, read only while shedding.
	 */
	if (g.syn && s->shed && shedding(s, bpf_ktime_get_boot_ns())) {
		if (!is_known(&in->key, now, s))
			return V_DROPPED_SHED;
		v = V_PASSED_KNOWN;
	}

	/* Nothing to count and no history to keep (not TCP): done. */
	if (!g.pkt_limited && !g.syn && in->l4 != L4_TCP)
		return v;
	/* A known client's exact buckets, else the sketch. */
	if (!throttling)
		st = bpf_map_lookup_elem(&MAP_CLIENTS, &in->key);
	if (st)
		return exact_buckets(st, in, &g, now, v);
	return sketch_buckets(in, &g, now, v);
}

/* Settings, index 0: NULL only if the map is broken (then nothing but bans applies). */
static __always_inline struct warden_settings *settings(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&MAP_SETTINGS, &zero);
}

static __always_inline int check_ipv4(struct xdp_md *ctx, struct hdr_cursor *nh,
				      void *data_end, struct iphdr *iph, struct xdp_counters *cnt)
{
	struct ban4_key exact = {};
	struct lpm4_key lpm = { .prefixlen = 32 };
	struct prefix_lengths *set;
	struct warden_settings *s;
	struct guard_in in;
	__u32 bucket, *covered, v, addr;

	__builtin_memcpy(exact.addr, &iph->saddr, 4);
	__builtin_memcpy(lpm.addr, &iph->saddr, 4);
	addr = bpf_ntohl(iph->saddr);

	/*
	 * Prefix bans first, but only where one may apply: the lengths in use,
	 * then the summary of this address's /24. A live one decides (so a
	 * source both banned and in a banned prefix counts as a prefix drop):
	 * a prefix drop costs one hash lookup, as an exact drop does.
	 */
	v = V_PASSED;
	set = lengths(PFX_LENS_BAN4);
	if (set && set->bits[0]) {
		bucket = warden_pfx4_bucket(addr);
		covered = bpf_map_lookup_elem(&MAP_PFX4_SUM, &bucket);
		if (covered && *covered)
			v = prefix_stage(4, addr, 0, 0, set->bits[0], 0);
	}
	/* The exact ban: one hash lookup, the common case. */
	if (undecided(v))
		v = merge(v, exact_verdict(&MAP_BAN4, &exact, 4, addr, 0, 0));
	/* Dropped by a ban, or nothing throttled nor shed: done, as before. */
	if (v == V_DROPPED_EXACT || v == V_DROPPED_PREFIX)
		return finish(ctx, cnt, v);
	s = settings();
	if (!guard_active(s))
		return finish(ctx, cnt, v);

	/* The client is its address, kept IPv4-mapped. */
	__builtin_memset(&in, 0, sizeof(in));
	in.key.addr[10] = 0xff;
	in.key.addr[11] = 0xff;
	__builtin_memcpy(&in.key.addr[12], &iph->saddr, 4);
	in.lpm = &lpm;
	in.prio_map = &MAP_PRIO4;
	in.rule_map = &MAP_THR4;
	in.prio_count = s->prio4;
	in.rule_count = s->rules4;
	in.family = 4;
	in.prefixlen = 32;
	/* The TCP flags, one cursor step past the IP header (later fragments have none). */
	in.l4 = parse_tcp_kind(nh, data_end, ipv4_l4_proto(iph));
	return finish(ctx, cnt, guard(s, &in, v));
}

/* An IPv6 client: its source address cut to len bits. */
static __always_inline void v6_client(struct throttle_key *key, const void *saddr, __u32 len)
{
	__u64 hi, lo;

	__builtin_memcpy(&hi, saddr, 8);
	__builtin_memcpy(&lo, (const __u8 *)saddr + 8, 8);
	hi = bpf_cpu_to_be64(bpf_be64_to_cpu(hi) & high_bits(len));
	lo = bpf_cpu_to_be64(bpf_be64_to_cpu(lo) & high_bits(len > 64 ? len - 64 : 0));
	__builtin_memcpy(key->addr, &hi, 8);
	__builtin_memcpy(&key->addr[8], &lo, 8);
}

static __always_inline int check_ipv6(struct xdp_md *ctx, struct hdr_cursor *nh, void *data_end,
				      struct ipv6hdr *ip6h, struct xdp_counters *cnt)
{
	struct ban6_key exact = {};
	struct lpm6_key lpm = { .prefixlen = 128 };
	struct prefix_lengths *set;
	struct warden_settings *s;
	struct guard_in in;
	__u32 v, len, bucket, *covered;
	__u64 hi, lo, w0, w1 = 0;

	__builtin_memcpy(exact.addr, &ip6h->saddr, 16);
	__builtin_memcpy(lpm.addr, &ip6h->saddr, 16);
	__builtin_memcpy(&hi, exact.addr, 8);
	__builtin_memcpy(&lo, &exact.addr[8], 8);
	hi = bpf_be64_to_cpu(hi);
	lo = bpf_be64_to_cpu(lo);

	/*
	 * Prefix bans first, as for IPv4: the lengths in use; those of /32 or
	 * longer only if such a ban exists in this address's (hashed) /32,
	 * shorter ones always. Then the exact ban.
	 */
	v = V_PASSED;
	set = lengths(PFX_LENS_BAN6);
	if (set && (set->bits[0] | set->bits[1])) {
		w0 = set->bits[0] & 0xffffffffULL;
		if ((set->bits[0] >> WARDEN_PFX6_SUM_LEN) | set->bits[1]) {
			bucket = warden_pfx6_bucket(exact.addr);
			covered = bpf_map_lookup_elem(&MAP_PFX6_SUM, &bucket);
			if (covered && *covered) {
				w0 = set->bits[0];
				w1 = set->bits[1];
			}
		}
		if (w0 | w1)
			v = prefix_stage(6, 0, hi, lo, w0, w1);
	}
	if (undecided(v))
		v = merge(v, exact_verdict(&MAP_BAN6, &exact, 6, 0, hi, lo));
	s = settings();

	/* Dropped by a ban, or nothing throttled nor shed: done, as before. */
	if (v == V_DROPPED_EXACT || v == V_DROPPED_PREFIX || !guard_active(s))
		return finish(ctx, cnt, v);

	/* The client is the source's /v6_client_prefix. */
	len = s->v6_client_prefix ? s->v6_client_prefix : WARDEN_V6_CLIENT_PREFIX;
	if (len > 128)
		len = 128;
	__builtin_memset(&in, 0, sizeof(in));
	v6_client(&in.key, &ip6h->saddr, len);
	in.lpm = &lpm;
	in.prio_map = &MAP_PRIO6;
	in.rule_map = &MAP_THR6;
	in.prio_count = s->prio6;
	in.rule_count = s->rules6;
	in.family = 6;
	in.prefixlen = (__u8)len;
	/* TCP right after the fixed header; behind extension headers it passes as "other". */
	in.l4 = parse_tcp_kind(nh, data_end, ip6h->nexthdr);
	return finish(ctx, cnt, guard(s, &in, v));
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
	if (proto < 0)
		return finish(ctx, cnt, V_UNPARSED);

	/* IPv4, options included. */
	if (proto == bpf_htons(ETH_P_IP)) {
		if (parse_iphdr(&nh, data_end, &iph) < 0)
			return finish(ctx, cnt, V_UNPARSED);
		return check_ipv4(ctx, &nh, data_end, iph, cnt);
	}

	/* IPv6: the fixed header holds the source address. */
	if (proto == bpf_htons(ETH_P_IPV6)) {
		if (parse_ip6hdr(&nh, data_end, &ip6h) < 0)
			return finish(ctx, cnt, V_UNPARSED);
		return check_ipv6(ctx, &nh, data_end, ip6h, cnt);
	}

	/* ARP, LLDP, a third VLAN tag and everything else pass. */
	return finish(ctx, cnt, V_NON_IP);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
