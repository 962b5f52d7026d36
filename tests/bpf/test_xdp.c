// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* test_xdp.c - the XDP ban program run on crafted frames with BPF_PROG_TEST_RUN. */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>
#include <linux/if_arp.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf.h>
#include <bpf/bpf_endian.h>
#include <bpf/libbpf.h>

#include "testutil.h"
#include "banmap.h"
#include "log.h"
#include "mapsize.h"
#include "timeutil.h"
#include "xdp_ban.skel.h"

#ifndef ETH_P_8021AD
#define ETH_P_8021AD 0x88A8
#endif
#define ETH_P_LLDP_ 0x88CC

/*
 * Each case gets a fresh pin root below one private bpffs, so its maps
 * and counters start empty. The bpffs is mounted in a mount namespace of
 * our own: it goes away with the process even if a sanitizer aborts it.
 */
static char bpffs_dir[] = "/tmp/wtest-bpffs.XXXXXX";
static int case_seq;

/* One loaded program and its maps. */
struct fixture {
	char pin_path[128];
	struct banmap *bm;
	struct xdp_ban_bpf *skel;
	int prog_fd;
};

/* ---- Frames: packed structs with designated initializers (network_helpers.c) ---- */

struct vlan_tag {
	__be16 tci;
	__be16 proto; /* the protocol that follows the tag */
} __attribute__((packed));

/* IPv6 fragment header (the kernel's struct frag_hdr is not UAPI). */
struct ip6_frag {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off;
	__be32 identification;
} __attribute__((packed));

/* Hop-by-hop options header with one PadN option: 8 bytes. */
struct ip6_hbh {
	__u8 nexthdr;
	__u8 hdrlen; /* in 8-byte units beyond the first 8 */
	__u8 padn[6];
} __attribute__((packed));

struct pkt_v4 {
	struct ethhdr eth;
	struct iphdr iph;
	struct tcphdr tcp;
} __attribute__((packed));

struct pkt_v6 {
	struct ethhdr eth;
	struct ipv6hdr iph;
	struct tcphdr tcp;
} __attribute__((packed));

struct pkt_vlan_v4 {
	struct ethhdr eth;
	struct vlan_tag vlan;
	struct iphdr iph;
	struct tcphdr tcp;
} __attribute__((packed));

struct pkt_vlan_v6 {
	struct ethhdr eth;
	struct vlan_tag vlan;
	struct ipv6hdr iph;
	struct tcphdr tcp;
} __attribute__((packed));

struct pkt_qinq_v4 {
	struct ethhdr eth;
	struct vlan_tag outer;
	struct vlan_tag inner;
	struct iphdr iph;
	struct tcphdr tcp;
} __attribute__((packed));

struct pkt_qinq_v6 {
	struct ethhdr eth;
	struct vlan_tag outer;
	struct vlan_tag inner;
	struct ipv6hdr iph;
	struct tcphdr tcp;
} __attribute__((packed));

struct pkt_3vlan_v4 {
	struct ethhdr eth;
	struct vlan_tag tag[3];
	struct iphdr iph;
	struct tcphdr tcp;
} __attribute__((packed));

/* IPv4 with the longest header there is: 40 bytes of options, ihl 15. */
struct pkt_v4_opts {
	struct ethhdr eth;
	struct iphdr iph;
	__u8 opts[40];
	struct tcphdr tcp;
} __attribute__((packed));

/* IPv6 with a hop-by-hop header, then a fragment header, then UDP. */
struct pkt_v6_ext {
	struct ethhdr eth;
	struct ipv6hdr iph;
	struct ip6_hbh hbh;
	struct ip6_frag frag;
	struct udphdr udp;
} __attribute__((packed));

/* A later IPv4 fragment: no transport header at all, just payload. */
struct pkt_v4_frag {
	struct ethhdr eth;
	struct iphdr iph;
	__u8 payload[16];
} __attribute__((packed));

struct pkt_arp {
	struct ethhdr eth;
	struct arphdr arp;
	__u8 sha[ETH_ALEN];
	__u8 sip[4];
	__u8 tha[ETH_ALEN];
	__u8 tip[4];
} __attribute__((packed));

#define SRC_MAC { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 }
#define DST_MAC { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 }

#define ETH(type) { .h_dest = DST_MAC, .h_source = SRC_MAC, .h_proto = __bpf_constant_htons(type) }
#define TAG(id, next) { .tci = __bpf_constant_htons(id), .proto = __bpf_constant_htons(next) }
#define IPV4_HDR(len) {                                                           \
		.version = 4, .ihl = 5, .ttl = 64, .protocol = IPPROTO_TCP,       \
		.tot_len = __bpf_constant_htons(len),                             \
		.daddr = __bpf_constant_htonl(0xc0000201), /* 192.0.2.1 */        \
	}
#define IPV6_HDR(nh, len) { .version = 6, .nexthdr = (nh), .hop_limit = 64,       \
			    .payload_len = __bpf_constant_htons(len) }
#define TCP_SYN { .source = __bpf_constant_htons(40000), .dest = __bpf_constant_htons(80), \
		  .doff = 5, .syn = 1, .window = __bpf_constant_htons(65535) }

static const struct pkt_v4 pkt_v4_tmpl = {
	.eth = ETH(ETH_P_IP),
	.iph = IPV4_HDR(sizeof(struct iphdr) + sizeof(struct tcphdr)),
	.tcp = TCP_SYN,
};

static const struct pkt_v6 pkt_v6_tmpl = {
	.eth = ETH(ETH_P_IPV6),
	.iph = IPV6_HDR(IPPROTO_TCP, sizeof(struct tcphdr)),
	.tcp = TCP_SYN,
};

static const struct pkt_vlan_v4 pkt_vlan_v4_tmpl = {
	.eth = ETH(ETH_P_8021Q),
	.vlan = TAG(100, ETH_P_IP),
	.iph = IPV4_HDR(sizeof(struct iphdr) + sizeof(struct tcphdr)),
	.tcp = TCP_SYN,
};

static const struct pkt_vlan_v6 pkt_vlan_v6_tmpl = {
	.eth = ETH(ETH_P_8021Q),
	.vlan = TAG(100, ETH_P_IPV6),
	.iph = IPV6_HDR(IPPROTO_TCP, sizeof(struct tcphdr)),
	.tcp = TCP_SYN,
};

static const struct pkt_qinq_v4 pkt_qinq_v4_tmpl = {
	.eth = ETH(ETH_P_8021AD),
	.outer = TAG(10, ETH_P_8021Q),
	.inner = TAG(100, ETH_P_IP),
	.iph = IPV4_HDR(sizeof(struct iphdr) + sizeof(struct tcphdr)),
	.tcp = TCP_SYN,
};

static const struct pkt_qinq_v6 pkt_qinq_v6_tmpl = {
	.eth = ETH(ETH_P_8021AD),
	.outer = TAG(10, ETH_P_8021Q),
	.inner = TAG(100, ETH_P_IPV6),
	.iph = IPV6_HDR(IPPROTO_TCP, sizeof(struct tcphdr)),
	.tcp = TCP_SYN,
};

static const struct pkt_3vlan_v4 pkt_3vlan_v4_tmpl = {
	.eth = ETH(ETH_P_8021AD),
	.tag = { TAG(10, ETH_P_8021Q), TAG(100, ETH_P_8021Q), TAG(200, ETH_P_IP) },
	.iph = IPV4_HDR(sizeof(struct iphdr) + sizeof(struct tcphdr)),
	.tcp = TCP_SYN,
};

static const struct pkt_v4_opts pkt_v4_opts_tmpl = {
	.eth = ETH(ETH_P_IP),
	.iph = {
		.version = 4, .ihl = 15, .ttl = 64, .protocol = IPPROTO_TCP,
		.tot_len = __bpf_constant_htons(60 + sizeof(struct tcphdr)),
		.daddr = __bpf_constant_htonl(0xc0000201),
	},
	/* Record Route with room for 9 addresses (39 bytes), then End of List. */
	.opts = { 7, 39, 4 },
	.tcp = TCP_SYN,
};

static const struct pkt_v6_ext pkt_v6_ext_tmpl = {
	.eth = ETH(ETH_P_IPV6),
	.iph = IPV6_HDR(0 /* hop-by-hop */, sizeof(struct ip6_hbh) + sizeof(struct ip6_frag) +
						 sizeof(struct udphdr)),
	.hbh = { .nexthdr = 44 /* fragment */, .hdrlen = 0, .padn = { 1, 4 } },
	.frag = { .nexthdr = IPPROTO_UDP, .frag_off = __bpf_constant_htons(1) /* M flag */,
		  .identification = __bpf_constant_htonl(0x1234) },
	.udp = { .source = __bpf_constant_htons(5353), .dest = __bpf_constant_htons(53),
		 .len = __bpf_constant_htons(8) },
};

static const struct pkt_v4_frag pkt_v4_frag_tmpl = {
	.eth = ETH(ETH_P_IP),
	.iph = {
		.version = 4, .ihl = 5, .ttl = 64, .protocol = IPPROTO_UDP,
		.tot_len = __bpf_constant_htons(sizeof(struct iphdr) + 16),
		.frag_off = __bpf_constant_htons(185), /* offset 1480 bytes, last fragment */
		.daddr = __bpf_constant_htonl(0xc0000201),
	},
};

static const struct pkt_arp pkt_arp_tmpl = {
	.eth = { .h_dest = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, .h_source = SRC_MAC,
		 .h_proto = __bpf_constant_htons(ETH_P_ARP) },
	.arp = { .ar_hrd = __bpf_constant_htons(ARPHRD_ETHER),
		 .ar_pro = __bpf_constant_htons(ETH_P_IP), .ar_hln = ETH_ALEN, .ar_pln = 4,
		 .ar_op = __bpf_constant_htons(ARPOP_REQUEST) },
	.sha = SRC_MAC,
	.sip = { 192, 0, 2, 10 },
	.tip = { 192, 0, 2, 1 },
};

/* Write an address in text form into a header field (packed: no pointers to it). */
static void set_v4(void *field, const char *text)
{
	struct in_addr a;

	if (inet_pton(AF_INET, text, &a) != 1)
		abort();
	memcpy(field, &a, 4);
}

static void set_v6(void *field, const char *text)
{
	struct in6_addr a;

	if (inet_pton(AF_INET6, text, &a) != 1)
		abort();
	memcpy(field, &a, 16);
}

static struct pkt_v4 v4_from(const char *src)
{
	struct pkt_v4 p = pkt_v4_tmpl;

	set_v4(&p.iph.saddr, src);
	return p;
}

static struct pkt_v6 v6_from(const char *src)
{
	struct pkt_v6 p = pkt_v6_tmpl;

	set_v6(&p.iph.saddr, src);
	return p;
}

static struct prefix P(const char *text)
{
	struct prefix p;
	char err[128];

	if (prefix__parse(text, &p, err, sizeof(err))) {
		fprintf(stderr, "bad prefix in test: %s\n", err);
		abort();
	}
	return p;
}

/* ---- The fixture ---- */

/* Maps first through the banmap API, then the program on the same pin root. */
static bool setup(struct fixture *fx)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts);
	int err;

	memset(fx, 0, sizeof(*fx));
	fx->prog_fd = -1;
	snprintf(fx->pin_path, sizeof(fx->pin_path), "%s/case%d", bpffs_dir, ++case_seq);
	fx->bm = banmap__open(fx->pin_path, BANMAP_CREATE);
	if (!ASSERT_NOT_NULL(fx->bm, "banmap__open"))
		return false;
	opts.pin_root_path = fx->pin_path;
	fx->skel = xdp_ban_bpf__open_opts(&opts);
	if (!ASSERT_NOT_NULL(fx->skel, "xdp_ban_bpf__open_opts") ||
	    !ASSERT_OK(mapsize__apply(fx->skel->obj, fx->pin_path), "mapsize__apply"))
		return false;
	err = xdp_ban_bpf__load(fx->skel);
	if (!ASSERT_OK(err, "xdp_ban_bpf__load"))
		return false;
	fx->prog_fd = bpf_program__fd(fx->skel->progs.xdp_ban);
	return ASSERT_GE(fx->prog_fd, 0, "prog_fd");
}

/* Unpin and free everything of the case; the next one starts clean. */
static void teardown(struct fixture *fx)
{
	if (fx->skel) {
		bpf_object__unpin_maps(fx->skel->obj, NULL);
		xdp_ban_bpf__destroy(fx->skel);
	}
	banmap__close(fx->bm);
	rmdir(fx->pin_path);
	memset(fx, 0, sizeof(*fx));
}

/* Run one frame once. Returns the verdict, or -errno when the kernel refuses the run. */
static int run_len(struct fixture *fx, const void *frame, size_t len)
{
	__u8 out[256];
	LIBBPF_OPTS(bpf_test_run_opts, topts,
		.data_in = frame,
		.data_size_in = (__u32)len,
		.data_out = out,
		.data_size_out = sizeof(out),
		.repeat = 1,
	);
	int err;

	err = bpf_prog_test_run_opts(fx->prog_fd, &topts);
	if (err)
		return -errno;
	/* The program never rewrites a frame: what comes out is what went in. */
	if (!ASSERT_EQ(topts.data_size_out, len, "data_size_out") ||
	    !ASSERT_OK(memcmp(out, frame, len), "frame unchanged"))
		return -EIO;
	return (int)topts.retval;
}

#define run(fx, pkt) run_len((fx), &(pkt), sizeof(pkt))

static struct xdp_counters counters(struct fixture *fx)
{
	struct xdp_counters c;

	memset(&c, 0xff, sizeof(c));
	if (!ASSERT_OK(banmap__counters(fx->bm, &c), "banmap__counters"))
		memset(&c, 0xff, sizeof(c));
	return c;
}

/* Every field of the counters at once, so a stray count anywhere shows. */
#define ASSERT_COUNTERS(fx, _passed, _exact, _prefix, _allow, _expired, _unparsed, _non_ip) \
	({                                                                              \
		struct xdp_counters __c = counters(fx);                                 \
		ASSERT_EQ(__c.passed, _passed, "counters.passed") &                     \
		ASSERT_EQ(__c.dropped_exact, _exact, "counters.dropped_exact") &        \
		ASSERT_EQ(__c.dropped_prefix, _prefix, "counters.dropped_prefix") &     \
		ASSERT_EQ(__c.passed_allow, _allow, "counters.passed_allow") &          \
		ASSERT_EQ(__c.passed_expired, _expired, "counters.passed_expired") &    \
		ASSERT_EQ(__c.unparsed, _unparsed, "counters.unparsed") &               \
		ASSERT_EQ(__c.non_ip, _non_ip, "counters.non_ip");                      \
	})

static int ban(struct fixture *fx, const char *target, uint64_t expires_ns)
{
	struct prefix p = P(target);

	return banmap__ban(fx->bm, &p, expires_ns, "test", BAN_SOURCE_CLI, 1);
}

static int unban(struct fixture *fx, const char *target)
{
	struct prefix p = P(target);

	return banmap__unban(fx->bm, &p);
}

static int allow(struct fixture *fx, const char *target)
{
	struct prefix p = P(target);

	return banmap__allow(fx->bm, &p);
}

static struct ban_info ban_info(struct fixture *fx, const char *target)
{
	struct prefix p = P(target);
	struct ban_info info;

	memset(&info, 0, sizeof(info));
	ASSERT_OK(banmap__get(fx->bm, &p, &info), target);
	return info;
}

/* The summary bucket of an IPv4 address (its hashed /24), read from the map itself. */
static long long pfx4_sum(struct fixture *fx, const char *addr)
{
	struct in_addr a;
	__u32 bucket, count;

	if (inet_pton(AF_INET, addr, &a) != 1)
		abort();
	bucket = warden_pfx4_bucket(ntohl(a.s_addr));
	if (bpf_map_lookup_elem(bpf_map__fd(fx->skel->maps.warden_pfx4sum), &bucket, &count))
		return -errno;
	return count;
}

static long long pfx6_count(struct fixture *fx)
{
	struct warden_settings s;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(fx->skel->maps.warden_settings), &zero, &s))
		return -errno;
	return s.pfx6_count;
}

/* One set of warden_pfxlens (enum pfx_lens_index), read from the map itself. */
static struct prefix_lengths lens(struct fixture *fx, __u32 which)
{
	struct prefix_lengths pl;

	memset(&pl, 0xff, sizeof(pl));
	ASSERT_OK(bpf_map_lookup_elem(bpf_map__fd(fx->skel->maps.warden_pfxlens), &which, &pl),
		  "read warden_pfxlens");
	return pl;
}

/* Whether length len is in use in a set, and with how many entries. */
static long long len_count(struct fixture *fx, __u32 which, unsigned int len)
{
	struct prefix_lengths pl = lens(fx, which);
	bool bit = pl.bits[len / 64] & (1ULL << (len % 64));

	/* The bit and the count must agree: the data path reads only the bit. */
	if (bit != (pl.count[len] != 0))
		return -1;
	return pl.count[len];
}

/* The warden_pfx6sum bucket of an IPv6 address. */
static long long pfx6_sum(struct fixture *fx, const char *addr)
{
	struct in6_addr a;
	__u32 bucket, count;

	if (inet_pton(AF_INET6, addr, &a) != 1)
		abort();
	bucket = warden_pfx6_bucket(a.s6_addr);
	if (bpf_map_lookup_elem(bpf_map__fd(fx->skel->maps.warden_pfx6sum), &bucket, &count))
		return -errno;
	return count;
}

/* ---- Test cases ---- */

static void test_ipv4_exact(void)
{
	struct pkt_v4 banned = v4_from("192.0.2.10"), other = v4_from("192.0.2.11");
	struct fixture fx;
	struct ban_info info;
	uint64_t before, after;

	if (!setup(&fx))
		goto out;
	if (!ASSERT_EQ(run(&fx, banned), XDP_PASS, "pass before the ban"))
		goto out;
	if (!ASSERT_OK(ban(&fx, "192.0.2.10", 0), "ban"))
		goto out;
	before = time__boot_ns();
	ASSERT_EQ(run(&fx, banned), XDP_DROP, "banned source dropped");
	after = time__boot_ns();
	ASSERT_EQ(run(&fx, other), XDP_PASS, "neighbour passes");
	ASSERT_COUNTERS(&fx, 2, 1, 0, 0, 0, 0, 0);
	/* The drop is recorded on the ban itself, with the kernel's boot-time clock. */
	info = ban_info(&fx, "192.0.2.10");
	ASSERT_EQ(info.drops, 1, "ban drops");
	ASSERT_GE(info.last_drop_ns, before, "last_drop_ns after the run started");
	ASSERT_LE(info.last_drop_ns, after, "last_drop_ns before the run ended");
	ASSERT_STREQ(info.reason, "test", "reason kept");
	ASSERT_EQ(run(&fx, banned), XDP_DROP, "dropped again");
	ASSERT_EQ(ban_info(&fx, "192.0.2.10").drops, 2, "ban drops counted twice");
	/* Unbanned, it passes again. */
	ASSERT_OK(unban(&fx, "192.0.2.10"), "unban");
	ASSERT_EQ(run(&fx, banned), XDP_PASS, "passes after unban");
	ASSERT_EQ(unban(&fx, "192.0.2.10"), -ENOENT, "second unban is ENOENT");
out:
	teardown(&fx);
}

static void test_ipv6_exact(void)
{
	struct pkt_v6 banned = v6_from("2001:db8::10"), other = v6_from("2001:db8::11");
	struct fixture fx;

	if (!setup(&fx))
		goto out;
	if (!ASSERT_OK(ban(&fx, "2001:db8::10", 0), "ban"))
		goto out;
	ASSERT_EQ(run(&fx, banned), XDP_DROP, "banned source dropped");
	ASSERT_EQ(run(&fx, other), XDP_PASS, "neighbour passes");
	ASSERT_COUNTERS(&fx, 1, 1, 0, 0, 0, 0, 0);
	ASSERT_EQ(ban_info(&fx, "2001:db8::10").drops, 1, "ban drops");
	/* An IPv4 ban of the same-looking bytes does not touch IPv6 and vice versa. */
	ASSERT_EQ(run(&fx, pkt_v4_tmpl), XDP_PASS, "IPv4 from 0.0.0.0 passes");
	ASSERT_OK(unban(&fx, "2001:db8::10"), "unban");
	ASSERT_EQ(run(&fx, banned), XDP_PASS, "passes after unban");
out:
	teardown(&fx);
}

static void test_vlan_one_tag(void)
{
	struct pkt_vlan_v4 p4 = pkt_vlan_v4_tmpl;
	struct pkt_vlan_v6 p6 = pkt_vlan_v6_tmpl;
	struct fixture fx;

	set_v4(&p4.iph.saddr, "192.0.2.10");
	set_v6(&p6.iph.saddr, "2001:db8::10");
	if (!setup(&fx))
		goto out;
	ASSERT_EQ(run(&fx, p4), XDP_PASS, "802.1Q IPv4 passes unbanned");
	ASSERT_EQ(run(&fx, p6), XDP_PASS, "802.1Q IPv6 passes unbanned");
	if (!ASSERT_OK(ban(&fx, "192.0.2.10", 0), "ban4") ||
	    !ASSERT_OK(ban(&fx, "2001:db8::10", 0), "ban6"))
		goto out;
	ASSERT_EQ(run(&fx, p4), XDP_DROP, "802.1Q IPv4 dropped");
	ASSERT_EQ(run(&fx, p6), XDP_DROP, "802.1Q IPv6 dropped");
	/* An 802.1ad single tag is a VLAN tag too. */
	p4.eth.h_proto = htons(ETH_P_8021AD);
	ASSERT_EQ(run(&fx, p4), XDP_DROP, "802.1ad IPv4 dropped");
	ASSERT_COUNTERS(&fx, 2, 3, 0, 0, 0, 0, 0);
out:
	teardown(&fx);
}

static void test_vlan_two_tags(void)
{
	struct pkt_qinq_v4 p4 = pkt_qinq_v4_tmpl;
	struct pkt_qinq_v6 p6 = pkt_qinq_v6_tmpl;
	struct fixture fx;

	set_v4(&p4.iph.saddr, "192.0.2.10");
	set_v6(&p6.iph.saddr, "2001:db8::10");
	if (!setup(&fx))
		goto out;
	if (!ASSERT_OK(ban(&fx, "192.0.2.10", 0), "ban4") ||
	    !ASSERT_OK(ban(&fx, "2001:db8::10", 0), "ban6"))
		goto out;
	/* 802.1ad outer, 802.1Q inner (QinQ). */
	ASSERT_EQ(run(&fx, p4), XDP_DROP, "QinQ IPv4 dropped");
	ASSERT_EQ(run(&fx, p6), XDP_DROP, "QinQ IPv6 dropped");
	/* Two 802.1Q tags, as old switches stack them. */
	p4.eth.h_proto = htons(ETH_P_8021Q);
	ASSERT_EQ(run(&fx, p4), XDP_DROP, "802.1Q+802.1Q IPv4 dropped");
	set_v4(&p4.iph.saddr, "192.0.2.11");
	ASSERT_EQ(run(&fx, p4), XDP_PASS, "QinQ IPv4 unbanned passes");
	ASSERT_COUNTERS(&fx, 1, 3, 0, 0, 0, 0, 0);
out:
	teardown(&fx);
}

static void test_vlan_three_tags(void)
{
	struct pkt_3vlan_v4 p = pkt_3vlan_v4_tmpl;
	struct fixture fx;

	set_v4(&p.iph.saddr, "192.0.2.10");
	if (!setup(&fx))
		goto out;
	if (!ASSERT_OK(ban(&fx, "192.0.2.10", 0), "ban"))
		goto out;
	/* Deeper than VLAN_MAX_DEPTH: not followed, so not judged, so passed. */
	ASSERT_EQ(run(&fx, p), XDP_PASS, "three tags pass");
	ASSERT_COUNTERS(&fx, 0, 0, 0, 0, 0, 0, 1);
	ASSERT_EQ(ban_info(&fx, "192.0.2.10").drops, 0, "ban not charged");
out:
	teardown(&fx);
}

static void test_ipv4_options(void)
{
	struct pkt_v4_opts p = pkt_v4_opts_tmpl;
	struct fixture fx;

	set_v4(&p.iph.saddr, "192.0.2.10");
	if (!setup(&fx))
		goto out;
	if (!ASSERT_OK(ban(&fx, "192.0.2.10", 0), "ban"))
		goto out;
	ASSERT_EQ(run(&fx, p), XDP_DROP, "ihl 15 dropped");
	/* ihl 6: one word of options (NOP NOP NOP EOL), the rest is the TCP header. */
	p.iph.ihl = 6;
	memcpy(p.opts, (const __u8[]){ 1, 1, 1, 0 }, 4);
	ASSERT_EQ(run_len(&fx, &p, sizeof(p.eth) + 24 + sizeof(struct tcphdr)), XDP_DROP,
		  "ihl 6 dropped");
	set_v4(&p.iph.saddr, "192.0.2.11");
	ASSERT_EQ(run(&fx, p), XDP_PASS, "options, unbanned, pass");
	ASSERT_COUNTERS(&fx, 1, 2, 0, 0, 0, 0, 0);
out:
	teardown(&fx);
}

static void test_ipv6_ext_headers(void)
{
	struct pkt_v6_ext p = pkt_v6_ext_tmpl;
	struct fixture fx;

	set_v6(&p.iph.saddr, "2001:db8::10");
	if (!setup(&fx))
		goto out;
	ASSERT_EQ(run(&fx, p), XDP_PASS, "hop-by-hop + fragment passes unbanned");
	if (!ASSERT_OK(ban(&fx, "2001:db8::10", 0), "ban"))
		goto out;
	ASSERT_EQ(run(&fx, p), XDP_DROP, "hop-by-hop + fragment dropped");
	/* A later fragment (offset 1448, no UDP header to see). */
	p.frag.frag_off = htons(181 << 3);
	ASSERT_EQ(run_len(&fx, &p, sizeof(p) - sizeof(p.udp)), XDP_DROP, "later fragment dropped");
	/* A fragment header straight after the fixed header. */
	p.iph.nexthdr = 44;
	ASSERT_EQ(run(&fx, p), XDP_DROP, "fragment header first dropped");
	ASSERT_COUNTERS(&fx, 1, 3, 0, 0, 0, 0, 0);
out:
	teardown(&fx);
}

static void test_ipv4_fragments(void)
{
	struct pkt_v4_frag later = pkt_v4_frag_tmpl;
	struct pkt_v4 first = v4_from("192.0.2.10");
	struct fixture fx;

	set_v4(&later.iph.saddr, "192.0.2.10");
	first.iph.frag_off = htons(0x2000); /* MF, offset 0 */
	if (!setup(&fx))
		goto out;
	if (!ASSERT_OK(ban(&fx, "192.0.2.10", 0), "ban"))
		goto out;
	ASSERT_EQ(run(&fx, first), XDP_DROP, "first fragment dropped");
	ASSERT_EQ(run(&fx, later), XDP_DROP, "last fragment dropped");
	later.iph.frag_off = htons(0x2000 | 185); /* a middle one */
	ASSERT_EQ(run(&fx, later), XDP_DROP, "middle fragment dropped");
	set_v4(&later.iph.saddr, "192.0.2.11");
	ASSERT_EQ(run(&fx, later), XDP_PASS, "unbanned fragment passes");
	ASSERT_COUNTERS(&fx, 1, 3, 0, 0, 0, 0, 0);
out:
	teardown(&fx);
}

/*
 * Cut a frame from a banned source at every length. Shorter than an
 * Ethernet header, the kernel refuses to run the program at all (it never
 * hands such a frame to XDP). Then, until the IP header is whole, the
 * frame passes and counts as unparsed; from there on it is dropped.
 */
static void truncations(struct fixture *fx, const char *name, const void *frame, size_t full,
			size_t l3_end, unsigned long long *unparsed, unsigned long long *dropped)
{
	char what[96];
	size_t len;
	int verdict;

	for (len = 0; len <= full; len++) {
		verdict = run_len(fx, frame, len);
		snprintf(what, sizeof(what), "%s cut at %zu", name, len);
		if (len < ETH_HLEN) {
			ASSERT_EQ(verdict, -EINVAL, what);
		} else if (len < l3_end) {
			ASSERT_EQ(verdict, XDP_PASS, what);
			++*unparsed;
		} else {
			ASSERT_EQ(verdict, XDP_DROP, what);
			++*dropped;
		}
		if (tu_case_failed)
			return;
	}
}

static void test_truncated(void)
{
	struct pkt_v4 v4 = v4_from("192.0.2.10");
	struct pkt_v6 v6 = v6_from("2001:db8::10");
	struct pkt_vlan_v4 vlan4 = pkt_vlan_v4_tmpl;
	struct pkt_vlan_v6 vlan6 = pkt_vlan_v6_tmpl;
	struct pkt_qinq_v4 qinq4 = pkt_qinq_v4_tmpl;
	struct pkt_qinq_v6 qinq6 = pkt_qinq_v6_tmpl;
	struct pkt_v4_opts opts = pkt_v4_opts_tmpl;
	struct pkt_v6_ext ext = pkt_v6_ext_tmpl;
	unsigned long long unparsed = 0, dropped = 0;
	struct fixture fx;

	set_v4(&vlan4.iph.saddr, "192.0.2.10");
	set_v6(&vlan6.iph.saddr, "2001:db8::10");
	set_v4(&qinq4.iph.saddr, "192.0.2.10");
	set_v6(&qinq6.iph.saddr, "2001:db8::10");
	set_v4(&opts.iph.saddr, "192.0.2.10");
	set_v6(&ext.iph.saddr, "2001:db8::10");
	if (!setup(&fx))
		goto out;
	if (!ASSERT_OK(ban(&fx, "192.0.2.10", 0), "ban4") ||
	    !ASSERT_OK(ban(&fx, "2001:db8::10", 0), "ban6"))
		goto out;
#define CUT(pkt, l3_end) truncations(&fx, #pkt, &pkt, sizeof(pkt), l3_end, &unparsed, &dropped)
	CUT(v4, offsetof(struct pkt_v4, tcp));
	CUT(v6, offsetof(struct pkt_v6, tcp));
	CUT(vlan4, offsetof(struct pkt_vlan_v4, tcp));
	CUT(vlan6, offsetof(struct pkt_vlan_v6, tcp));
	CUT(qinq4, offsetof(struct pkt_qinq_v4, tcp));
	CUT(qinq6, offsetof(struct pkt_qinq_v6, tcp));
	/* With options, the header is whole only once the options are. */
	CUT(opts, offsetof(struct pkt_v4_opts, tcp));
	CUT(ext, offsetof(struct pkt_v6_ext, hbh));
#undef CUT
	ASSERT_COUNTERS(&fx, 0, dropped, 0, 0, 0, unparsed, 0);
	ASSERT_EQ(ban_info(&fx, "192.0.2.10").drops + ban_info(&fx, "2001:db8::10").drops,
		  dropped, "ban drops match the dropped frames");
out:
	teardown(&fx);
}

static void test_non_ip(void)
{
	struct pkt_arp arp = pkt_arp_tmpl;
	struct pkt_v4 lldp = v4_from("192.0.2.10");
	struct pkt_v4 ipx = v4_from("192.0.2.10");
	struct pkt_vlan_v4 vlan_arp = pkt_vlan_v4_tmpl;
	struct fixture fx;

	lldp.eth.h_proto = htons(ETH_P_LLDP_);
	ipx.eth.h_proto = htons(ETH_P_IPX);
	vlan_arp.vlan.proto = htons(ETH_P_ARP);
	if (!setup(&fx))
		goto out;
	/* Banning the ARP sender's address changes nothing: ARP is not IP. */
	if (!ASSERT_OK(ban(&fx, "192.0.2.10", 0), "ban"))
		goto out;
	ASSERT_EQ(run(&fx, arp), XDP_PASS, "ARP passes");
	ASSERT_EQ(run(&fx, lldp), XDP_PASS, "LLDP passes");
	ASSERT_EQ(run(&fx, ipx), XDP_PASS, "IPX passes");
	ASSERT_EQ(run(&fx, vlan_arp), XDP_PASS, "ARP in a VLAN passes");
	/* A bare Ethernet header of an unknown type. */
	ASSERT_EQ(run_len(&fx, &ipx, ETH_HLEN), XDP_PASS, "bare header passes");
	ASSERT_COUNTERS(&fx, 0, 0, 0, 0, 0, 0, 5);
out:
	teardown(&fx);
}

static void test_malformed_ip(void)
{
	struct pkt_v4 v4 = v4_from("192.0.2.10");
	struct pkt_v6 v6 = v6_from("2001:db8::10");
	struct fixture fx;
	int ihl;

	if (!setup(&fx))
		goto out;
	if (!ASSERT_OK(ban(&fx, "192.0.2.10", 0), "ban4") ||
	    !ASSERT_OK(ban(&fx, "2001:db8::10", 0), "ban6"))
		goto out;
	/* An IHL below 5 cannot hold the addresses: passed, unparsed. */
	for (ihl = 0; ihl < 5; ihl++) {
		v4.iph.ihl = ihl;
		ASSERT_EQ(run(&fx, v4), XDP_PASS, "ihl < 5 passes");
	}
	/* An IHL longer than the frame. */
	v4.iph.ihl = 15;
	ASSERT_EQ(run(&fx, v4), XDP_PASS, "ihl beyond the frame passes");
	/* The version must match the ethertype, both ways. */
	v4.iph.ihl = 5;
	v4.iph.version = 6;
	ASSERT_EQ(run(&fx, v4), XDP_PASS, "version 6 in an IPv4 frame passes");
	v6.iph.version = 4;
	ASSERT_EQ(run(&fx, v6), XDP_PASS, "version 4 in an IPv6 frame passes");
	ASSERT_COUNTERS(&fx, 0, 0, 0, 0, 0, 8, 0);
	ASSERT_EQ(ban_info(&fx, "192.0.2.10").drops, 0, "ban not charged");
out:
	teardown(&fx);
}

static void test_prefix_ban(void)
{
	struct pkt_v4 inside = v4_from("198.51.100.77"), outside = v4_from("198.51.101.77");
	struct pkt_v4 edge_lo = v4_from("198.51.100.0"), edge_hi = v4_from("198.51.100.255");
	struct fixture fx;

	if (!setup(&fx))
		goto out;
	if (!ASSERT_OK(ban(&fx, "198.51.100.0/24", 0), "ban /24"))
		goto out;
	ASSERT_EQ(pfx4_sum(&fx, "198.51.100.0"), 1, "summary of the /24 raised");
	ASSERT_EQ(pfx4_sum(&fx, "198.51.101.0"), 0, "the next /24's summary untouched");
	ASSERT_EQ(run(&fx, inside), XDP_DROP, "inside the /24 dropped");
	ASSERT_EQ(run(&fx, edge_lo), XDP_DROP, "first address dropped");
	ASSERT_EQ(run(&fx, edge_hi), XDP_DROP, "last address dropped");
	ASSERT_EQ(run(&fx, outside), XDP_PASS, "same /16, outside the /24, passes");
	ASSERT_COUNTERS(&fx, 1, 0, 3, 0, 0, 0, 0);
	ASSERT_EQ(ban_info(&fx, "198.51.100.0/24").drops, 3, "prefix ban drops");
	/*
	 * An exact ban inside a live prefix: the prefix is probed first and
	 * decides (a prefix drop costs one lookup); the exact ban is charged
	 * once the prefix is gone.
	 */
	if (!ASSERT_OK(ban(&fx, "198.51.100.77", 0), "exact ban inside"))
		goto out;
	ASSERT_EQ(run(&fx, inside), XDP_DROP, "exact inside prefix dropped");
	ASSERT_COUNTERS(&fx, 1, 0, 4, 0, 0, 0, 0);
	ASSERT_EQ(ban_info(&fx, "198.51.100.77").drops, 0, "exact ban not charged");
	ASSERT_EQ(ban_info(&fx, "198.51.100.0/24").drops, 4, "prefix ban charged");
	/* The longest prefix wins among prefixes. */
	if (!ASSERT_OK(ban(&fx, "198.51.100.64/26", 0), "ban /26"))
		goto out;
	ASSERT_EQ(pfx4_sum(&fx, "198.51.100.0"), 2, "summary counts both prefixes");
	ASSERT_EQ(ban_info(&fx, "198.51.100.64/26").drops, 0, "a new /26 starts at 0 drops");
	set_v4(&inside.iph.saddr, "198.51.100.78");
	ASSERT_EQ(run(&fx, inside), XDP_DROP, "dropped by the /26");
	ASSERT_EQ(ban_info(&fx, "198.51.100.64/26").drops, 1, "/26 charged");
	ASSERT_OK(unban(&fx, "198.51.100.0/24"), "unban /24");
	/* banmap__get reads one ban, not the prefix that covers it. */
	{
		struct prefix q = P("198.51.100.0/24");
		struct ban_info info;

		ASSERT_EQ(banmap__get(fx.bm, &q, &info), -ENOENT, "get of a lifted /24 under a /26");
		q = P("198.51.100.64/27");
		ASSERT_EQ(banmap__get(fx.bm, &q, &info), -ENOENT, "get of a /27 never banned");
	}
	ASSERT_OK(unban(&fx, "198.51.100.64/26"), "unban /26");
	ASSERT_EQ(pfx4_sum(&fx, "198.51.100.0"), 0, "summary back to 0");
	set_v4(&inside.iph.saddr, "198.51.100.77");
	ASSERT_EQ(run(&fx, inside), XDP_DROP, "the exact ban alone drops");
	ASSERT_EQ(ban_info(&fx, "198.51.100.77").drops, 1, "then the exact ban is charged");
	ASSERT_EQ(run(&fx, edge_lo), XDP_PASS, "passes after unban");
out:
	teardown(&fx);
}

static void test_ipv6_prefix(void)
{
	struct pkt_v6 inside = v6_from("2001:db8:1:2::99"), outside = v6_from("2001:db8:1:3::1");
	struct pkt_v6 last = v6_from("2001:db8:1:2:ffff:ffff:ffff:ffff");
	struct fixture fx;

	if (!setup(&fx))
		goto out;
	ASSERT_EQ(pfx6_count(&fx), 0, "no IPv6 prefixes yet");
	if (!ASSERT_OK(ban(&fx, "2001:db8:1:2::/64", 0), "ban /64"))
		goto out;
	ASSERT_EQ(pfx6_count(&fx), 1, "pfx6_count raised");
	ASSERT_EQ(run(&fx, inside), XDP_DROP, "inside the /64 dropped");
	ASSERT_EQ(run(&fx, last), XDP_DROP, "last address of the /64 dropped");
	ASSERT_EQ(run(&fx, outside), XDP_PASS, "next /64 passes");
	ASSERT_COUNTERS(&fx, 1, 0, 2, 0, 0, 0, 0);
	ASSERT_EQ(ban_info(&fx, "2001:db8:1:2::/64").drops, 2, "prefix ban drops");
	/* Allowlisted inside the banned /64. */
	if (!ASSERT_OK(allow(&fx, "2001:db8:1:2::99/128"), "allow"))
		goto out;
	ASSERT_EQ(run(&fx, inside), XDP_PASS, "allowlisted inside /64 passes");
	ASSERT_COUNTERS(&fx, 1, 0, 2, 1, 0, 0, 0);
	ASSERT_OK(unban(&fx, "2001:db8:1:2::/64"), "unban");
	ASSERT_EQ(pfx6_count(&fx), 0, "pfx6_count back to 0");
	ASSERT_EQ(run(&fx, last), XDP_PASS, "passes after unban");
	/* Nested prefixes: each counts, and lifting the outer keeps the inner. */
	if (!ASSERT_OK(ban(&fx, "2001:db8::/32", 0), "ban /32") ||
	    !ASSERT_OK(ban(&fx, "2001:db8:1::/48", 0), "ban /48 inside"))
		goto out;
	ASSERT_EQ(pfx6_count(&fx), 2, "pfx6_count counts nested prefixes");
	ASSERT_OK(unban(&fx, "2001:db8::/32"), "unban /32");
	ASSERT_EQ(run(&fx, last), XDP_DROP, "the /48 still drops");
	ASSERT_OK(unban(&fx, "2001:db8:1::/48"), "unban /48");
	ASSERT_EQ(pfx6_count(&fx), 0, "pfx6_count back to 0 again");
out:
	teardown(&fx);
}

static int count_allow_hits(const struct prefix *p, const struct allow_value *v, void *ctx)
{
	(void)p;
	*(unsigned long long *)ctx += v->hits;
	return 0;
}

static unsigned long long allow_hits(struct fixture *fx)
{
	unsigned long long hits = 0;

	ASSERT_OK(banmap__foreach_allow(fx->bm, count_allow_hits, &hits), "foreach_allow");
	return hits;
}

static void test_allowlist_precedence(void)
{
	struct pkt_v4 exact = v4_from("192.0.2.10"), in_pfx = v4_from("198.51.100.7");
	struct pkt_v4 out_allow = v4_from("198.51.100.200");
	struct fixture fx;

	if (!setup(&fx))
		goto out;
	/* An exact ban under an allowlisted prefix passes. */
	if (!ASSERT_OK(allow(&fx, "192.0.2.0/24"), "allow /24") ||
	    !ASSERT_OK(ban(&fx, "192.0.2.10", 0), "exact ban"))
		goto out;
	ASSERT_EQ(run(&fx, exact), XDP_PASS, "allowlist beats the exact ban");
	ASSERT_COUNTERS(&fx, 0, 0, 0, 1, 0, 0, 0);
	ASSERT_EQ(ban_info(&fx, "192.0.2.10").drops, 0, "exact ban not charged");
	ASSERT_EQ(allow_hits(&fx), 1, "allowlist hit counted");
	/* A prefix ban with an allowlisted address inside: only that one passes. */
	if (!ASSERT_OK(ban(&fx, "198.51.100.0/24", 0), "prefix ban") ||
	    !ASSERT_OK(allow(&fx, "198.51.100.0/25"), "allow /25"))
		goto out;
	ASSERT_EQ(run(&fx, in_pfx), XDP_PASS, "allowlist beats the prefix ban");
	ASSERT_EQ(run(&fx, out_allow), XDP_DROP, "outside the allowlist dropped");
	ASSERT_COUNTERS(&fx, 0, 0, 1, 2, 0, 0, 0);
	ASSERT_EQ(ban_info(&fx, "198.51.100.0/24").drops, 1, "prefix ban charged once");
	/* banmap refuses nothing by itself, but says why it would. */
	{
		struct prefix p = P("192.0.2.10");
		char why[160] = "";

		ASSERT_EQ(banmap__refusal(fx.bm, &p, why, sizeof(why)), 1, "refusal");
		ASSERT_TRUE(strstr(why, "allowlist") != NULL, "refusal names the allowlist");
	}
	/* Without the allowlist entry the exact ban drops. */
	{
		struct prefix p = P("192.0.2.0/24");

		ASSERT_OK(banmap__unallow(fx.bm, &p), "unallow");
		ASSERT_EQ(banmap__unallow(fx.bm, &p), -ENOENT, "second unallow ENOENT");
	}
	ASSERT_EQ(run(&fx, exact), XDP_DROP, "dropped once unallowed");
out:
	teardown(&fx);
}

/*
 * An address under an exact ban and a prefix ban at once, allowlisted:
 * it passes. The packet must count once (passed_allow = 1), and the
 * allowlist entry must count one hit.
 */
static void test_allow_over_exact_and_prefix(void)
{
	struct pkt_v4 p = v4_from("198.51.100.7");
	struct fixture fx;

	if (!setup(&fx))
		goto out;
	if (!ASSERT_OK(ban(&fx, "198.51.100.7", 0), "exact ban") ||
	    !ASSERT_OK(ban(&fx, "198.51.100.0/24", 0), "prefix ban") ||
	    !ASSERT_OK(allow(&fx, "198.51.100.7/32"), "allow"))
		goto out;
	ASSERT_EQ(run(&fx, p), XDP_PASS, "allowlist beats exact and prefix");
	ASSERT_EQ(ban_info(&fx, "198.51.100.7").drops, 0, "exact not charged");
	ASSERT_EQ(ban_info(&fx, "198.51.100.0/24").drops, 0, "prefix not charged");
	ASSERT_COUNTERS(&fx, 0, 0, 0, 1, 0, 0, 0);
	ASSERT_EQ(allow_hits(&fx), 1, "one allowlist hit per packet");
out:
	teardown(&fx);
}

/*
 * An expired exact ban inside a live prefix ban: the prefix drops the
 * packet, and the packet counts once, as dropped_prefix.
 */
static void test_expired_exact_live_prefix(void)
{
	struct pkt_v4 p = v4_from("198.51.100.7");
	struct fixture fx;
	uint64_t now = time__boot_ns();

	if (!setup(&fx))
		goto out;
	if (!ASSERT_OK(ban(&fx, "198.51.100.7", now - NSEC_PER_SEC), "expired exact ban") ||
	    !ASSERT_OK(ban(&fx, "198.51.100.0/24", 0), "live prefix ban"))
		goto out;
	ASSERT_EQ(run(&fx, p), XDP_DROP, "the live prefix drops");
	ASSERT_COUNTERS(&fx, 0, 0, 1, 0, 0, 0, 0);
out:
	teardown(&fx);
}

static void test_expiry(void)
{
	struct pkt_v4 past = v4_from("192.0.2.20"), perm = v4_from("192.0.2.21");
	struct pkt_v4 soon = v4_from("192.0.2.22"), pfx = v4_from("203.0.113.5");
	struct pkt_v6 past6 = v6_from("2001:db8::20");
	struct fixture fx;
	uint64_t now;
	size_t removed = 0;

	if (!setup(&fx))
		goto out;
	/* After the load, which may take a while on a busy machine. */
	now = time__boot_ns();
	if (!ASSERT_OK(ban(&fx, "192.0.2.20", now - NSEC_PER_SEC), "ban expired") ||
	    !ASSERT_OK(ban(&fx, "192.0.2.21", 0), "ban permanent") ||
	    !ASSERT_OK(ban(&fx, "192.0.2.22", now + NSEC_PER_SEC), "ban for 1s") ||
	    !ASSERT_OK(ban(&fx, "203.0.113.0/24", now - 1), "prefix ban expired") ||
	    !ASSERT_OK(ban(&fx, "2001:db8::20", now - NSEC_PER_SEC), "ban6 expired"))
		goto out;
	ASSERT_EQ(run(&fx, past), XDP_PASS, "expired ban passes");
	ASSERT_EQ(run(&fx, perm), XDP_DROP, "permanent ban drops");
	ASSERT_EQ(run(&fx, soon), XDP_DROP, "ban expiring in 1s drops");
	ASSERT_EQ(run(&fx, pfx), XDP_PASS, "expired prefix ban passes");
	ASSERT_EQ(run(&fx, past6), XDP_PASS, "expired IPv6 ban passes");
	ASSERT_COUNTERS(&fx, 0, 2, 0, 0, 3, 0, 0);
	ASSERT_EQ(ban_info(&fx, "192.0.2.20").drops, 0, "expired ban not charged");
	/* Renewing a ban keeps its counters and takes the new expiry. */
	ASSERT_OK(ban(&fx, "192.0.2.22", 0), "renew");
	ASSERT_EQ(ban_info(&fx, "192.0.2.22").drops, 1, "renewal keeps drops");
	ASSERT_EQ(ban_info(&fx, "192.0.2.22").expires_ns, 0, "renewal takes the new expiry");
	/* Expiry in userspace removes what the kernel already ignores. */
	ASSERT_OK(banmap__expire(fx.bm, time__boot_ns(), &removed), "banmap__expire");
	ASSERT_EQ(removed, 3, "expired bans removed");
	ASSERT_EQ(pfx4_sum(&fx, "203.0.0.0"), 0, "summary lowered by expiry");
	{
		struct prefix p = P("192.0.2.20");
		struct ban_info info;

		ASSERT_EQ(banmap__get(fx.bm, &p, &info), -ENOENT, "expired ban gone");
	}
	ASSERT_EQ(run(&fx, past), XDP_PASS, "still passes, now as unbanned");
	ASSERT_COUNTERS(&fx, 1, 2, 0, 0, 3, 0, 0);
out:
	teardown(&fx);
}

static void test_pfx4_summary(void)
{
	static const char *const inside[] = { "10.16.0.1", "10.23.45.67", "10.31.255.254" };
	static const char *const outside[] = { "10.15.255.255", "10.32.0.1", "11.16.0.1" };
	struct pkt_v4 p;
	struct fixture fx;
	size_t i;

	if (!setup(&fx))
		goto out;
	/*
	 * A /12 is 4,096 /24s: each of their buckets goes to 1 (these 4,096
	 * consecutive /24s hash to distinct buckets, checked below).
	 */
	{
		unsigned char *seen = calloc(WARDEN_PFX4_BUCKETS, 1);
		__u32 j, b, dup = 0;

		if (!ASSERT_NOT_NULL(seen, "calloc"))
			goto out;
		for (j = 0; j < 4096; j++) {
			b = warden_pfx4_bucket(0x0a100000u + (j << 8));
			dup += seen[b];
			seen[b] = 1;
		}
		free(seen);
		ASSERT_EQ(dup, 0, "the /12's /24s in distinct buckets");
	}
	if (!ASSERT_OK(ban(&fx, "10.16.0.0/12", 0), "ban /12"))
		goto out;
	ASSERT_EQ(pfx4_sum(&fx, "10.15.255.0"), 0, "bucket below the /12");
	for (i = 16; i < 32; i++) {
		char addr[32];

		snprintf(addr, sizeof(addr), "10.%zu.%zu.0", i, i * 7);
		ASSERT_EQ(pfx4_sum(&fx, addr), 1, addr);
	}
	ASSERT_EQ(pfx4_sum(&fx, "10.32.0.0"), 0, "bucket above the /12");
	for (i = 0; i < 3; i++) {
		p = v4_from(inside[i]);
		ASSERT_EQ(run(&fx, p), XDP_DROP, inside[i]);
		p = v4_from(outside[i]);
		ASSERT_EQ(run(&fx, p), XDP_PASS, outside[i]);
	}
	ASSERT_COUNTERS(&fx, 3, 0, 3, 0, 0, 0, 0);
	/* Banning it again keeps one count per bucket. */
	ASSERT_OK(ban(&fx, "10.16.0.0/12", 0), "ban /12 again");
	ASSERT_EQ(pfx4_sum(&fx, "10.20.0.0"), 1, "re-ban does not count twice");
	/* An overlapping /16 and /20 stack on their bucket. */
	ASSERT_OK(ban(&fx, "10.20.0.0/16", 0), "ban /16");
	ASSERT_OK(ban(&fx, "10.21.16.0/20", 0), "ban /20");
	ASSERT_EQ(pfx4_sum(&fx, "10.20.0.0"), 2, "/12 and /16 in one bucket");
	ASSERT_EQ(pfx4_sum(&fx, "10.21.16.0"), 2, "/12 and /20 in one bucket");
	ASSERT_EQ(pfx4_sum(&fx, "10.21.0.0"), 1, "a /24 outside the /20: the /12 only");
	ASSERT_OK(unban(&fx, "10.16.0.0/12"), "unban /12");
	ASSERT_EQ(pfx4_sum(&fx, "10.23.0.0"), 0, "bucket cleared after unban");
	ASSERT_EQ(pfx4_sum(&fx, "10.20.0.0"), 1, "/16 still counted");
	ASSERT_EQ(pfx4_sum(&fx, "10.21.31.0"), 1, "/20 still counted");
	ASSERT_EQ(pfx4_sum(&fx, "10.21.0.0"), 0, "outside the /20: cleared");
	p = v4_from("10.23.45.67");
	ASSERT_EQ(run(&fx, p), XDP_PASS, "passes after unban of the /12");
	p = v4_from("10.20.1.1");
	ASSERT_EQ(run(&fx, p), XDP_DROP, "the /16 still drops");
	p = v4_from("10.21.17.1");
	ASSERT_EQ(run(&fx, p), XDP_DROP, "the /20 still drops");
	p = v4_from("10.21.32.1");
	ASSERT_EQ(run(&fx, p), XDP_PASS, "outside the /20 passes");
	ASSERT_OK(unban(&fx, "10.20.0.0/16"), "unban /16");
	ASSERT_OK(unban(&fx, "10.21.16.0/20"), "unban /20");
	for (i = 16; i < 32; i++) {
		char addr[32];

		snprintf(addr, sizeof(addr), "10.%zu.%zu.0", i, i * 7);
		ASSERT_EQ(pfx4_sum(&fx, addr), 0, addr);
	}
	p = v4_from("10.20.1.1");
	ASSERT_EQ(run(&fx, p), XDP_PASS, "all lifted: passes");
	ASSERT_COUNTERS(&fx, 6, 0, 5, 0, 0, 0, 0);
out:
	teardown(&fx);
}

/*
 * A summary that is wrong on disk (a writer died between its two steps)
 * is recounted when the maps are opened again.
 */
static void test_pfx4_summary_reconcile(void)
{
	struct pkt_v4 p = v4_from("198.51.100.1");
	struct banmap *again = NULL;
	__u32 bucket = warden_pfx4_bucket(0xc6336400u /* 198.51.100.0 */), zero = 0;
	struct fixture fx;

	if (!setup(&fx))
		goto out;
	if (!ASSERT_OK(ban(&fx, "198.51.100.0/24", 0), "ban"))
		goto out;
	/* Too low is the dangerous direction: the trie would be skipped. */
	if (!ASSERT_OK(bpf_map_update_elem(bpf_map__fd(fx.skel->maps.warden_pfx4sum), &bucket,
					   &zero, BPF_ANY), "zero the bucket"))
		goto out;
	ASSERT_EQ(run(&fx, p), XDP_PASS, "a zeroed summary hides the prefix");
	again = banmap__open(fx.pin_path, BANMAP_CREATE);
	if (!ASSERT_NOT_NULL(again, "reopen"))
		goto out;
	ASSERT_EQ(pfx4_sum(&fx, "198.51.100.0"), 1, "summary recounted");
	ASSERT_EQ(run(&fx, p), XDP_DROP, "dropped again");
out:
	banmap__close(again);
	teardown(&fx);
}

static void test_ban_many(void)
{
	enum { N = 5000 };
	struct prefix *targets;
	struct banmap_sizes sizes;
	struct fixture fx;
	struct pkt_v4 p4;
	struct pkt_v6 p6;
	char addr[64];
	size_t i;

	targets = calloc(N + 1, sizeof(*targets));
	if (!ASSERT_NOT_NULL(targets, "calloc") || !setup(&fx))
		goto out;
	/* 10.0.0.0 .. and 2001:db8::, alternating families, plus one prefix. */
	for (i = 0; i < N; i++) {
		if (i % 2)
			snprintf(addr, sizeof(addr), "10.0.%zu.%zu", i / 256, i % 256);
		else
			snprintf(addr, sizeof(addr), "2001:db8::%zx", i);
		targets[i] = P(addr);
	}
	targets[N] = P("10.200.0.0/16");
	if (!ASSERT_OK(banmap__ban_many(fx.bm, targets, N + 1, 0, "bulk", BAN_SOURCE_FILE),
		       "banmap__ban_many"))
		goto out;
	ASSERT_OK(banmap__sizes(fx.bm, &sizes), "banmap__sizes");
	ASSERT_EQ(sizes.exact4, N / 2, "exact4");
	ASSERT_EQ(sizes.exact6, N / 2, "exact6");
	ASSERT_EQ(sizes.prefix4, 1, "prefix4");
	ASSERT_EQ(pfx4_sum(&fx, "10.200.0.0"), 1, "summary of the bulk prefix");
	p4 = v4_from("10.0.19.135"); /* i = 4999 */
	ASSERT_EQ(run(&fx, p4), XDP_DROP, "last IPv4 of the batch dropped");
	p4 = v4_from("10.0.0.1");
	ASSERT_EQ(run(&fx, p4), XDP_DROP, "first IPv4 of the batch dropped");
	p4 = v4_from("10.0.0.2");
	ASSERT_EQ(run(&fx, p4), XDP_PASS, "not in the batch passes");
	p4 = v4_from("10.200.3.4");
	ASSERT_EQ(run(&fx, p4), XDP_DROP, "prefix of the batch dropped");
	p6 = v6_from("2001:db8::1386"); /* i = 4998 */
	ASSERT_EQ(run(&fx, p6), XDP_DROP, "IPv6 of the batch dropped");
	ASSERT_EQ(ban_info(&fx, "10.0.0.1").source, BAN_SOURCE_FILE, "source stored");
	/* A second batch keeps the counters of bans that exist. */
	ASSERT_OK(banmap__ban_many(fx.bm, targets, 2, 0, "bulk", BAN_SOURCE_FILE), "again");
	ASSERT_EQ(ban_info(&fx, "10.0.0.1").drops, 1, "drops kept by ban_many");
	ASSERT_COUNTERS(&fx, 1, 3, 1, 0, 0, 0, 0);
out:
	teardown(&fx);
	free(targets);
}

/* One frame of each verdict; every counter moves by exactly its share. */
static void test_counters_per_verdict(void)
{
	struct pkt_v4 clean = v4_from("192.0.2.50"), exact = v4_from("192.0.2.51");
	struct pkt_v4 pfx = v4_from("198.51.100.9"), allowed = v4_from("192.0.2.52");
	struct pkt_v4 expired = v4_from("192.0.2.53"), bad = v4_from("192.0.2.51");
	struct pkt_arp arp = pkt_arp_tmpl;
	struct fixture fx;
	int i;

	bad.iph.ihl = 3;
	if (!setup(&fx))
		goto out;
	if (!ASSERT_OK(ban(&fx, "192.0.2.51", 0), "exact") ||
	    !ASSERT_OK(ban(&fx, "198.51.100.0/24", 0), "prefix") ||
	    !ASSERT_OK(ban(&fx, "192.0.2.52", 0), "allowed ban") ||
	    !ASSERT_OK(allow(&fx, "192.0.2.52/32"), "allow") ||
	    !ASSERT_OK(ban(&fx, "192.0.2.53", 1), "expired ban"))
		goto out;
	/* 1 passed, 2 exact, 3 prefix, 4 allow, 5 expired, 6 unparsed, 7 non-IP. */
	for (i = 0; i < 1; i++)
		ASSERT_EQ(run(&fx, clean), XDP_PASS, "clean");
	for (i = 0; i < 2; i++)
		ASSERT_EQ(run(&fx, exact), XDP_DROP, "exact");
	for (i = 0; i < 3; i++)
		ASSERT_EQ(run(&fx, pfx), XDP_DROP, "prefix");
	for (i = 0; i < 4; i++)
		ASSERT_EQ(run(&fx, allowed), XDP_PASS, "allowed");
	for (i = 0; i < 5; i++)
		ASSERT_EQ(run(&fx, expired), XDP_PASS, "expired");
	for (i = 0; i < 6; i++)
		ASSERT_EQ(run(&fx, bad), XDP_PASS, "unparsed");
	for (i = 0; i < 7; i++)
		ASSERT_EQ(run(&fx, arp), XDP_PASS, "non-IP");
	ASSERT_COUNTERS(&fx, 1, 2, 3, 4, 5, 6, 7);
	/* BPF_PROG_TEST_RUN's repeat runs the program that many times. */
	{
		LIBBPF_OPTS(bpf_test_run_opts, topts, .data_in = &exact,
			    .data_size_in = sizeof(exact), .repeat = 1000);

		ASSERT_OK(bpf_prog_test_run_opts(fx.prog_fd, &topts), "repeat run");
		ASSERT_EQ(topts.retval, XDP_DROP, "repeat verdict");
		ASSERT_COUNTERS(&fx, 1, 1002, 3, 4, 5, 6, 7);
		ASSERT_EQ(ban_info(&fx, "192.0.2.51").drops, 1002, "ban drops after repeat");
	}
out:
	teardown(&fx);
}

/* ---- main ---- */

static int mount_private_bpffs(void)
{
	/* Our own mount namespace: the bpffs below cannot outlive us. */
	if (unshare(CLONE_NEWNS) < 0)
		return -errno;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;
	if (!mkdtemp(bpffs_dir))
		return -errno;
	if (mount("bpf", bpffs_dir, "bpf", 0, "mode=0700") < 0) {
		int err = -errno;

		rmdir(bpffs_dir);
		return err;
	}
	return 0;
}

static void unmount_private_bpffs(void)
{
	umount2(bpffs_dir, MNT_DETACH);
	rmdir(bpffs_dir);
}

/*
 * Prefix bans at several lengths, IPv4: the longest live one drops and
 * counts the drop; lifting it hands over to the next; an expired longer
 * ban hides no shorter live one; each length is in the set while in use.
 */
static void test_longest_prefix_v4(void)
{
	struct pkt_v4 deep = v4_from("198.51.100.7"), mid = v4_from("198.51.100.200");
	struct pkt_v4 wide = v4_from("198.51.7.1"), out_of_all = v4_from("203.0.113.9");
	struct fixture fx;
	uint64_t now = time__boot_ns();

	if (!setup(&fx))
		goto out;
	ASSERT_EQ(lens(&fx, PFX_LENS_BAN4).bits[0], 0, "no length in use yet");
	if (!ASSERT_OK(ban(&fx, "198.51.0.0/16", 0), "ban /16") ||
	    !ASSERT_OK(ban(&fx, "198.51.100.0/24", 0), "ban /24") ||
	    !ASSERT_OK(ban(&fx, "198.51.100.0/28", 0), "ban /28"))
		goto out;
	ASSERT_EQ(lens(&fx, PFX_LENS_BAN4).bits[0], (1ULL << 16) | (1ULL << 24) | (1ULL << 28),
		  "lengths 16, 24, 28 in use");
	ASSERT_EQ(run(&fx, deep), XDP_DROP, "in the /28");
	ASSERT_EQ(run(&fx, mid), XDP_DROP, "in the /24, not the /28");
	ASSERT_EQ(run(&fx, wide), XDP_DROP, "in the /16 only");
	ASSERT_EQ(run(&fx, out_of_all), XDP_PASS, "in none");
	ASSERT_EQ(ban_info(&fx, "198.51.100.0/28").drops, 1, "the /28 counted its drop");
	ASSERT_EQ(ban_info(&fx, "198.51.100.0/24").drops, 1, "the /24 counted its drop");
	ASSERT_EQ(ban_info(&fx, "198.51.0.0/16").drops, 1, "the /16 counted its drop");
	ASSERT_COUNTERS(&fx, 1, 0, 3, 0, 0, 0, 0);
	/* The /28 lifted: the /24 takes over, and length 28 leaves the set. */
	ASSERT_OK(unban(&fx, "198.51.100.0/28"), "unban /28");
	ASSERT_EQ(len_count(&fx, PFX_LENS_BAN4, 28), 0, "length 28 out of use");
	ASSERT_EQ(run(&fx, deep), XDP_DROP, "the /24 drops it now");
	ASSERT_EQ(ban_info(&fx, "198.51.100.0/24").drops, 2, "charged to the /24");
	/* An expired longer ban: the shorter live one still drops. */
	ASSERT_OK(ban(&fx, "198.51.100.0/24", now - 1), "the /24 expired");
	ASSERT_EQ(run(&fx, deep), XDP_DROP, "the /16 drops past the expired /24");
	ASSERT_EQ(ban_info(&fx, "198.51.0.0/16").drops, 2, "charged to the /16");
	ASSERT_EQ(ban_info(&fx, "198.51.100.0/24").drops, 2, "expired /24 not charged");
	/* Only expired bans cover it: passes as expired. */
	ASSERT_OK(ban(&fx, "198.51.0.0/16", now - 1), "the /16 expired too");
	ASSERT_EQ(run(&fx, deep), XDP_PASS, "every covering ban expired");
	ASSERT_COUNTERS(&fx, 1, 0, 5, 0, 1, 0, 0);
	/* Two bans of one length count two; the bit goes with the last. */
	ASSERT_OK(ban(&fx, "203.0.113.0/24", 0), "second /24");
	ASSERT_EQ(len_count(&fx, PFX_LENS_BAN4, 24), 2, "two /24s");
	ASSERT_OK(unban(&fx, "198.51.100.0/24"), "unban one /24");
	ASSERT_EQ(len_count(&fx, PFX_LENS_BAN4, 24), 1, "one /24 left, bit kept");
	ASSERT_EQ(run(&fx, out_of_all), XDP_DROP, "the other /24 still drops");
	ASSERT_OK(unban(&fx, "203.0.113.0/24"), "unban the other /24");
	ASSERT_OK(unban(&fx, "198.51.0.0/16"), "unban /16");
	ASSERT_EQ(lens(&fx, PFX_LENS_BAN4).bits[0], 0, "no length left");
	/* A /0 covers everything (every /16 summarized), host bits of keys zero. */
	ASSERT_OK(ban(&fx, "0.0.0.0/0", 0), "ban /0");
	ASSERT_EQ(run(&fx, out_of_all), XDP_DROP, "the /0 drops anything");
	ASSERT_OK(unban(&fx, "0.0.0.0/0"), "unban /0");
	ASSERT_EQ(run(&fx, out_of_all), XDP_PASS, "and passes after");
out:
	teardown(&fx);
}

/*
 * The same for IPv6, where lengths of /32 and longer are summarized by
 * their hashed /32 and shorter ones are always probed.
 */
static void test_longest_prefix_v6(void)
{
	struct pkt_v6 deep = v6_from("2001:db8:1:2::99"), mid = v6_from("2001:db8:1:3::1");
	struct pkt_v6 wide = v6_from("2001:db8:7::1"), short_only = v6_from("2001:db9::1");
	struct fixture fx;
	uint64_t now = time__boot_ns();

	if (!setup(&fx))
		goto out;
	if (!ASSERT_OK(ban(&fx, "2001:db8::/32", 0), "ban /32") ||
	    !ASSERT_OK(ban(&fx, "2001:db8:1::/48", 0), "ban /48") ||
	    !ASSERT_OK(ban(&fx, "2001:db8:1:2::/64", 0), "ban /64") ||
	    !ASSERT_OK(ban(&fx, "2001:db8:1:2::98/127", 0), "ban /127"))
		goto out;
	{
		struct prefix_lengths pl = lens(&fx, PFX_LENS_BAN6);

		ASSERT_EQ(pl.bits[0], 1ULL << 32 | 1ULL << 48, "lengths 32 and 48 in word 0");
		ASSERT_EQ(pl.bits[1], 1ULL << 0 | 1ULL << 63, "lengths 64 and 127 in word 1");
	}
	ASSERT_EQ(pfx6_sum(&fx, "2001:db8::"), 4, "four bans in the /32's bucket");
	ASSERT_EQ(run(&fx, deep), XDP_DROP, "in the /127");
	ASSERT_EQ(ban_info(&fx, "2001:db8:1:2::98/127").drops, 1, "charged to the /127");
	ASSERT_EQ(run(&fx, mid), XDP_DROP, "in the /48");
	ASSERT_EQ(ban_info(&fx, "2001:db8:1::/48").drops, 1, "charged to the /48");
	ASSERT_EQ(run(&fx, wide), XDP_DROP, "in the /32");
	ASSERT_EQ(ban_info(&fx, "2001:db8::/32").drops, 1, "charged to the /32");
	ASSERT_EQ(run(&fx, short_only), XDP_PASS, "another /32");
	/* An expired /127: the /64 drops. */
	ASSERT_OK(ban(&fx, "2001:db8:1:2::98/127", now - 1), "the /127 expired");
	ASSERT_EQ(run(&fx, deep), XDP_DROP, "the /64 past the expired /127");
	ASSERT_EQ(ban_info(&fx, "2001:db8:1:2::/64").drops, 1, "charged to the /64");
	ASSERT_COUNTERS(&fx, 1, 0, 4, 0, 0, 0, 0);
	/* A prefix shorter than /32: not summarized, always probed. */
	ASSERT_OK(ban(&fx, "2001::/20", 0), "ban /20");
	ASSERT_EQ(pfx6_sum(&fx, "2001:db9::"), 0, "the /20 is in no bucket");
	ASSERT_EQ(run(&fx, short_only), XDP_DROP, "the /20 drops another /32");
	ASSERT_EQ(ban_info(&fx, "2001::/20").drops, 1, "charged to the /20");
	/* Everything lifted: the set and the bucket empty again. */
	ASSERT_OK(unban(&fx, "2001::/20"), "unban /20");
	ASSERT_OK(unban(&fx, "2001:db8::/32"), "unban /32");
	ASSERT_OK(unban(&fx, "2001:db8:1::/48"), "unban /48");
	ASSERT_OK(unban(&fx, "2001:db8:1:2::/64"), "unban /64");
	ASSERT_OK(unban(&fx, "2001:db8:1:2::98/127"), "unban /127");
	{
		struct prefix_lengths pl = lens(&fx, PFX_LENS_BAN6);

		ASSERT_EQ(pl.bits[0] | pl.bits[1] | pl.bits[2], 0, "no length left");
	}
	ASSERT_EQ(pfx6_sum(&fx, "2001:db8::"), 0, "bucket back to 0");
	ASSERT_EQ(run(&fx, deep), XDP_PASS, "passes after");
out:
	teardown(&fx);
}

/*
 * A ban and an allowlist entry at different lengths, both ways round, both
 * families: the allowlist wins wherever it covers, whatever the lengths.
 */
static void test_ban_and_allow_lengths(void)
{
	struct pkt_v4 in_allow = v4_from("198.51.100.5"), in_ban = v4_from("198.51.101.5");
	struct pkt_v4 single = v4_from("203.0.113.77"), next = v4_from("203.0.113.78");
	struct pkt_v6 in_allow6 = v6_from("2001:db8:5:1::1"), in_ban6 = v6_from("2001:db8:5:2::1");
	struct fixture fx;

	if (!setup(&fx))
		goto out;
	/* A /16 ban with an allowlisted /24 inside; an allowlisted /32 in a banned /24. */
	if (!ASSERT_OK(ban(&fx, "198.51.0.0/16", 0), "ban /16") ||
	    !ASSERT_OK(allow(&fx, "198.51.100.0/24"), "allow /24") ||
	    !ASSERT_OK(ban(&fx, "203.0.113.0/24", 0), "ban /24") ||
	    !ASSERT_OK(allow(&fx, "203.0.113.77"), "allow /32"))
		goto out;
	ASSERT_EQ(lens(&fx, PFX_LENS_ALLOW4).bits[0], (1ULL << 24) | (1ULL << 32),
		  "allowlist lengths 24 and 32");
	ASSERT_EQ(run(&fx, in_allow), XDP_PASS, "allowed /24 inside a banned /16");
	ASSERT_EQ(run(&fx, in_ban), XDP_DROP, "rest of the /16 dropped");
	ASSERT_EQ(run(&fx, single), XDP_PASS, "allowed /32 inside a banned /24");
	ASSERT_EQ(run(&fx, next), XDP_DROP, "its neighbour dropped");
	ASSERT_EQ(allow_hits(&fx), 2, "two allowlist hits");
	/* An allowlisted /16 over a banned /24 inside it (banmap refuses it, the maps do not). */
	ASSERT_OK(allow(&fx, "203.0.0.0/16"), "allow /16 over the /24");
	ASSERT_EQ(run(&fx, next), XDP_PASS, "the shorter allowlist entry wins too");
	ASSERT_COUNTERS(&fx, 0, 0, 2, 3, 0, 0, 0);
	{
		struct prefix a = P("203.0.113.1"), b = P("203.0.112.0/23"), c = P("198.51.99.1");

		ASSERT_TRUE(banmap__is_allowed(fx.bm, &a), "userspace sees the /16 cover");
		ASSERT_TRUE(banmap__is_allowed(fx.bm, &b), "and cover a /23");
		ASSERT_TRUE(!banmap__is_allowed(fx.bm, &c), "not what it does not cover");
	}
	/* IPv6: a banned /48 with an allowlisted /64 inside. */
	if (!ASSERT_OK(ban(&fx, "2001:db8:5::/48", 0), "ban6 /48") ||
	    !ASSERT_OK(allow(&fx, "2001:db8:5:1::/64"), "allow6 /64"))
		goto out;
	ASSERT_EQ(run(&fx, in_allow6), XDP_PASS, "allowed /64 inside a banned /48");
	ASSERT_EQ(run(&fx, in_ban6), XDP_DROP, "rest of the /48 dropped");
	/* And an exact IPv6 ban under an allowlisted /128. */
	ASSERT_OK(ban(&fx, "2001:db8:5:2::1", 0), "exact6");
	ASSERT_OK(allow(&fx, "2001:db8:5:2::1/128"), "allow6 /128");
	ASSERT_EQ(run(&fx, in_ban6), XDP_PASS, "the /128 allowlist entry beats the exact ban");
	ASSERT_EQ(ban_info(&fx, "2001:db8:5:2::1").drops, 0, "exact6 not charged");
	/* The allowlist entry removed: its length leaves the set, the ban drops. */
	{
		struct prefix p = P("2001:db8:5:2::1/128");

		ASSERT_OK(banmap__unallow(fx.bm, &p), "unallow6");
	}
	ASSERT_EQ(len_count(&fx, PFX_LENS_ALLOW6, 128), 0, "length 128 out of use");
	ASSERT_EQ(run(&fx, in_ban6), XDP_DROP, "exact6 drops again");
out:
	teardown(&fx);
}

/* Adds and removes bans at other lengths, in a thread, while packets flow. */
struct churn {
	struct banmap *bm;
	volatile int stop, rounds;
	int errors;
};

static void *churn_lengths(void *arg)
{
	static const char *const others[] = {
		"203.0.113.0/25", "203.0.113.128/26", "203.0.0.0/17", "192.0.2.0/30",
		"198.51.100.64/27", "2001:db8:bad::/56", "2001:db8:bad:1::/96", "2001:db8:ca00::/40",
	};
	struct churn *c = arg;
	size_t i;

	while (!c->stop && c->rounds < 200) {
		for (i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
			struct prefix p = P(others[i]);

			if (banmap__ban(c->bm, &p, 0, NULL, BAN_SOURCE_CLI, 0))
				c->errors++;
		}
		for (i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
			struct prefix p = P(others[i]);

			if (banmap__unban(c->bm, &p))
				c->errors++;
		}
		c->rounds++;
	}
	return NULL;
}

/*
 * Lengths come and go (another thread bans and lifts prefixes of seven
 * other lengths, over and over) while a /24 ban and a /64 ban stay: not one
 * packet of theirs passes, not one clean packet drops.
 */
static void test_lengths_change_under_traffic(void)
{
	struct pkt_v4 banned = v4_from("198.51.100.9"), clean = v4_from("198.51.101.9");
	struct pkt_v6 banned6 = v6_from("2001:db8:bad:0:1::9"), clean6 = v6_from("2001:db8:beef::9");
	struct churn c = { 0 };
	struct fixture fx;
	pthread_t t;
	int i, wrong = 0, runs = 0;

	if (!setup(&fx))
		goto out;
	if (!ASSERT_OK(ban(&fx, "198.51.100.0/24", 0), "stable /24") ||
	    !ASSERT_OK(ban(&fx, "2001:db8:bad::/64", 0), "stable /64"))
		goto out;
	c.bm = fx.bm;
	if (!ASSERT_OK(pthread_create(&t, NULL, churn_lengths, &c), "pthread_create"))
		goto out;
	/* Until the churn has done its 200 rounds (bounded by count, not time). */
	for (i = 0; i < 1000000 && c.rounds < 200; i++) {
		wrong += run(&fx, banned) != XDP_DROP;
		wrong += run(&fx, clean) != XDP_PASS;
		wrong += run(&fx, banned6) != XDP_DROP;
		wrong += run(&fx, clean6) != XDP_PASS;
		runs += 4;
	}
	c.stop = 1;
	pthread_join(t, NULL);
	printf("  %d packets while the lengths changed %d times\n", runs, c.rounds * 16);
	ASSERT_EQ(c.errors, 0, "every ban and unban of the churn worked");
	ASSERT_TRUE(c.rounds > 0 && runs > 0, "both sides ran");
	ASSERT_EQ(wrong, 0, "no verdict wrong while lengths changed");
	/* What the churn left: only the two stable lengths. */
	ASSERT_EQ(lens(&fx, PFX_LENS_BAN4).bits[0], 1ULL << 24, "IPv4: only 24 left");
	ASSERT_EQ(lens(&fx, PFX_LENS_BAN6).bits[1], 1ULL << 0, "IPv6: only 64 left");
	ASSERT_EQ(lens(&fx, PFX_LENS_BAN6).bits[0], 0, "IPv6: nothing below 64");
	ASSERT_EQ(pfx4_sum(&fx, "203.0.0.0"), 0, "churned /16 summary back to 0");
out:
	teardown(&fx);
}

/*
 * The lengths in use and the IPv6 buckets are rebuilt from the maps when
 * they are opened (a writer that died half-way), and a key carried over
 * with host bits set (the tries ignored them) is made findable.
 */
static void test_lengths_reconcile(void)
{
	struct pkt_v4 p = v4_from("198.51.100.7");
	struct pkt_v6 p6 = v6_from("2001:db8:1:2::5");
	struct prefix_lengths empty;
	struct lpm4_key dirty = { .prefixlen = 24, .addr = { 203, 0, 113, 99 } };
	struct ban_value v = { 0 };
	__u32 which, bucket, zero = 0;
	struct fixture fx;

	memset(&empty, 0, sizeof(empty));
	if (!setup(&fx))
		goto out;
	if (!ASSERT_OK(ban(&fx, "198.51.100.0/24", 0), "ban /24") ||
	    !ASSERT_OK(ban(&fx, "2001:db8:1:2::/64", 0), "ban6 /64"))
		goto out;
	/* Lose the bookkeeping, as a writer killed half-way could. */
	for (which = 0; which < PFX_LENS__COUNT; which++)
		bpf_map_update_elem(bpf_map__fd(fx.skel->maps.warden_pfxlens), &which, &empty, 0);
	{
		struct in6_addr a;

		inet_pton(AF_INET6, "2001:db8::", &a);
		bucket = warden_pfx6_bucket(a.s6_addr);
		bpf_map_update_elem(bpf_map__fd(fx.skel->maps.warden_pfx6sum), &bucket, &zero, 0);
	}
	/* And a key with host bits, as an older layout could leave it. */
	ASSERT_OK(bpf_map_update_elem(bpf_map__fd(fx.skel->maps.warden_pfx4), &dirty, &v, 0),
		  "dirty key");
	ASSERT_EQ(run(&fx, p), XDP_PASS, "no length in use: missed");
	banmap__close(fx.bm);
	fx.bm = banmap__open(fx.pin_path, BANMAP_CREATE);
	if (!ASSERT_NOT_NULL(fx.bm, "reopen"))
		goto out;
	ASSERT_EQ(len_count(&fx, PFX_LENS_BAN4, 24), 2, "two /24s recounted");
	ASSERT_EQ(len_count(&fx, PFX_LENS_BAN6, 64), 1, "the /64 recounted");
	ASSERT_EQ(pfx6_sum(&fx, "2001:db8::"), 1, "IPv6 bucket recounted");
	ASSERT_EQ(run(&fx, p), XDP_DROP, "found again");
	ASSERT_EQ(run(&fx, p6), XDP_DROP, "IPv6 found again");
	{
		struct pkt_v4 q = v4_from("203.0.113.1");

		ASSERT_EQ(run(&fx, q), XDP_DROP, "the dirty key, cleaned, drops");
		ASSERT_EQ(ban_info(&fx, "203.0.113.0/24").drops, 1, "and is listed clean");
	}
out:
	teardown(&fx);
}

int main(void)
{
	int err;

	if (geteuid() != 0) {
		printf("SKIP: test_xdp: needs root\n");
		return 0;
	}
	log__setup(0, LOG_WARN);
	libbpf_set_print(log__libbpf_print);
	err = mount_private_bpffs();
	if (err) {
		printf("FAIL: setup: cannot mount a private bpffs: %s\n", strerror(-err));
		return 1;
	}

	RUN_TEST(test_ipv4_exact);
	RUN_TEST(test_ipv6_exact);
	RUN_TEST(test_vlan_one_tag);
	RUN_TEST(test_vlan_two_tags);
	RUN_TEST(test_vlan_three_tags);
	RUN_TEST(test_ipv4_options);
	RUN_TEST(test_ipv6_ext_headers);
	RUN_TEST(test_ipv4_fragments);
	RUN_TEST(test_truncated);
	RUN_TEST(test_non_ip);
	RUN_TEST(test_malformed_ip);
	RUN_TEST(test_prefix_ban);
	RUN_TEST(test_ipv6_prefix);
	RUN_TEST(test_allowlist_precedence);
	RUN_TEST(test_allow_over_exact_and_prefix);
	RUN_TEST(test_expired_exact_live_prefix);
	RUN_TEST(test_expiry);
	RUN_TEST(test_pfx4_summary);
	RUN_TEST(test_pfx4_summary_reconcile);
	RUN_TEST(test_ban_many);
	RUN_TEST(test_counters_per_verdict);
	RUN_TEST(test_longest_prefix_v4);
	RUN_TEST(test_longest_prefix_v6);
	RUN_TEST(test_ban_and_allow_lengths);
	RUN_TEST(test_lengths_change_under_traffic);
	RUN_TEST(test_lengths_reconcile);

	unmount_private_bpffs();
	printf("test_xdp: %d passed, %d failed\n", tu_cases_passed, tu_cases_failed);
	return TEST_EXIT();
}
