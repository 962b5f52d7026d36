// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* test_throttle.c - throttling, shedding and priority peers of the XDP program, with BPF_PROG_TEST_RUN. */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>
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
#include "throttle.h"
#include "timeutil.h"
#include "xdp_ban.skel.h"

/*
 * Time: the buckets run on the kernel's boot-time clock (read once per
 * jiffy), which a test cannot set. Refill is simulated instead by moving a
 * client's bucket timestamps back, in warden_clients if it is known and in
 * its warden_sketch cells (moving tat back by d is exactly d ns of refill),
 * which is deterministic; the rates are chosen so that the real
 * microseconds a case takes add no token.
 */

static char bpffs_dir[] = "/tmp/wthr-bpffs.XXXXXX";
static int case_seq;

struct fixture {
	char pin_path[128];
	struct banmap *bm;
	struct throttle *t;
	struct xdp_ban_bpf *skel;
	int prog_fd;
};

/* ---- Frames ---- */

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

struct pkt_udp4 {
	struct ethhdr eth;
	struct iphdr iph;
	struct udphdr udp;
} __attribute__((packed));

/* Hop-by-hop options header with one PadN option: 8 bytes. */
struct ip6_hbh {
	__u8 nexthdr;
	__u8 hdrlen;
	__u8 padn[6];
} __attribute__((packed));

struct pkt_v6_hbh {
	struct ethhdr eth;
	struct ipv6hdr iph;
	struct ip6_hbh hbh;
	struct tcphdr tcp;
} __attribute__((packed));

#define SRC_MAC { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 }
#define DST_MAC { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 }
#define ETH(type) { .h_dest = DST_MAC, .h_source = SRC_MAC, .h_proto = __bpf_constant_htons(type) }
#define IPV4_HDR(proto, len) {                                                    \
		.version = 4, .ihl = 5, .ttl = 64, .protocol = (proto),           \
		.tot_len = __bpf_constant_htons(len),                             \
		.daddr = __bpf_constant_htonl(0xc0000201), /* 192.0.2.1 */        \
	}
#define IPV6_HDR(nh, len) { .version = 6, .nexthdr = (nh), .hop_limit = 64,       \
			    .payload_len = __bpf_constant_htons(len) }
#define TCP_HDR { .source = __bpf_constant_htons(40000), .dest = __bpf_constant_htons(80), \
		  .doff = 5, .window = __bpf_constant_htons(65535) }

enum tcp_kind { SYN, ACK, SYNACK, RST };

/* A macro: the TCP header of a packed frame cannot be pointed to. */
#define set_flags(tcp, k)                                                        \
	do {                                                                     \
		(tcp).syn = (k) == SYN || (k) == SYNACK;                         \
		(tcp).ack = (k) == ACK || (k) == SYNACK;                         \
		(tcp).rst = (k) == RST;                                          \
	} while (0)

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

static struct pkt_v4 tcp4(const char *src, enum tcp_kind k)
{
	struct pkt_v4 p = {
		.eth = ETH(ETH_P_IP),
		.iph = IPV4_HDR(IPPROTO_TCP, sizeof(struct iphdr) + sizeof(struct tcphdr)),
		.tcp = TCP_HDR,
	};

	set_v4(&p.iph.saddr, src);
	set_flags(p.tcp, k);
	return p;
}

static struct pkt_v6 tcp6(const char *src, enum tcp_kind k)
{
	struct pkt_v6 p = {
		.eth = ETH(ETH_P_IPV6),
		.iph = IPV6_HDR(IPPROTO_TCP, sizeof(struct tcphdr)),
		.tcp = TCP_HDR,
	};

	set_v6(&p.iph.saddr, src);
	set_flags(p.tcp, k);
	return p;
}

static struct pkt_udp4 udp4(const char *src)
{
	struct pkt_udp4 p = {
		.eth = ETH(ETH_P_IP),
		.iph = IPV4_HDR(IPPROTO_UDP, sizeof(struct iphdr) + sizeof(struct udphdr)),
		.udp = { .source = __bpf_constant_htons(5353), .dest = __bpf_constant_htons(53),
			 .len = __bpf_constant_htons(8) },
	};

	set_v4(&p.iph.saddr, src);
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
	/* Every case here throttles: the maps at full size from the start. */
	if (!ASSERT_OK(mapsize__grow(fx->pin_path, true, NULL), "mapsize__grow"))
		return false;
	fx->t = throttle__open(fx->pin_path);
	if (!ASSERT_NOT_NULL(fx->t, "throttle__open"))
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

static void teardown(struct fixture *fx)
{
	throttle__close(fx->t);
	if (fx->skel) {
		bpf_object__unpin_maps(fx->skel->obj, NULL);
		xdp_ban_bpf__destroy(fx->skel);
	}
	banmap__close(fx->bm);
	rmdir(fx->pin_path);
	memset(fx, 0, sizeof(*fx));
}

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

	if (bpf_prog_test_run_opts(fx->prog_fd, &topts))
		return -errno;
	if (!ASSERT_EQ(topts.data_size_out, len, "data_size_out") ||
	    !ASSERT_OK(memcmp(out, frame, len), "frame unchanged"))
		return -EIO;
	return (int)topts.retval;
}

#define run(fx, pkt) run_len((fx), &(pkt), sizeof(pkt))

/* Run a frame n times; how many passed. */
#define run_n(fx, pkt, n)                                                        \
	({                                                                       \
		int __i, __passed = 0;                                           \
		for (__i = 0; __i < (n); __i++)                                  \
			__passed += run((fx), (pkt)) == XDP_PASS;                \
		__passed;                                                        \
	})

static struct xdp_counters counters(struct fixture *fx)
{
	struct xdp_counters c;

	memset(&c, 0xff, sizeof(c));
	if (!ASSERT_OK(banmap__counters(fx->bm, &c), "banmap__counters"))
		memset(&c, 0xff, sizeof(c));
	return c;
}

/* Total of every counter: each packet counts exactly once. */
static unsigned long long counted(struct fixture *fx)
{
	struct xdp_counters c = counters(fx);
	const __u64 *f = (const __u64 *)&c;
	unsigned long long sum = 0;
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(*f); i++)
		sum += f[i];
	return sum;
}

static struct throttle_limits limits(const char *conn, uint32_t conn_burst, const char *pkt,
				     uint32_t pkt_burst)
{
	struct throttle_limits l = { .conn_burst = conn_burst, .pkt_burst = pkt_burst };
	uint64_t ci, pi;

	if (throttle__parse_rate(conn, &ci, NULL) || throttle__parse_rate(pkt, &pi, NULL))
		abort();
	l.conn_interval_ns = ci;
	l.pkt_interval_ns = pi;
	return l;
}

static int set_default(struct fixture *fx, const char *conn, uint32_t cb, const char *pkt,
		       uint32_t pb)
{
	struct throttle_limits l = limits(conn, cb, pkt, pb);

	return throttle__set_default(fx->t, &l);
}

static int clients_fd(struct fixture *fx)
{
	return bpf_map__fd(fx->skel->maps.warden_clients);
}

static int known_fd(struct fixture *fx)
{
	return bpf_map__fd(fx->skel->maps.warden_known);
}

static bool client_state(struct fixture *fx, const char *addr, struct throttle_state *st)
{
	struct prefix p = P(addr);

	memset(st, 0, sizeof(*st));
	return throttle__client(fx->t, &p, st) == 0;
}

static int sketch_fd(struct fixture *fx)
{
	return bpf_map__fd(fx->skel->maps.warden_sketch);
}

/* d ns earlier, never below 0: an empty timestamp means a full bucket. */
static __u64 earlier(__u64 t, uint64_t d)
{
	return t > d ? t - d : 0;
}

/* Simulate elapsed_ns of refill for addr's client: move its buckets back, exact and sketch. */
static bool age_client(struct fixture *fx, const char *addr, uint64_t elapsed_ns)
{
	struct prefix p = P(addr);
	struct throttle_state st;
	struct sketch_cell cell;
	struct throttle_key k;
	struct warden_settings s;
	__u32 idx[2];
	int r;

	if (!ASSERT_OK(throttle__settings(fx->t, &s), "settings"))
		return false;
	throttle__client_key(&p, s.v6_client_prefix, &k);
	if (bpf_map_lookup_elem(clients_fd(fx), &k, &st) == 0) {
		st.conn_tat_ns = earlier(st.conn_tat_ns, elapsed_ns);
		st.pkt_tat_ns = earlier(st.pkt_tat_ns, elapsed_ns);
		if (st.event_ns)
			st.event_ns = st.event_ns > elapsed_ns ? st.event_ns - elapsed_ns : 1;
		if (!ASSERT_OK(bpf_map_update_elem(clients_fd(fx), &k, &st, BPF_EXIST), "age client"))
			return false;
	}
	warden_sketch_index(k.addr, &idx[0], &idx[1]);
	for (r = 0; r < 2; r++) {
		if (!ASSERT_OK(bpf_map_lookup_elem(sketch_fd(fx), &idx[r], &cell), "sketch cell"))
			return false;
		cell.conn_tat_ns = earlier(cell.conn_tat_ns, elapsed_ns);
		cell.pkt_tat_ns = earlier(cell.pkt_tat_ns, elapsed_ns);
		if (cell.event_ns)
			cell.event_ns = cell.event_ns > elapsed_ns ? cell.event_ns - elapsed_ns : 1;
		if (!ASSERT_OK(bpf_map_update_elem(sketch_fd(fx), &idx[r], &cell, BPF_EXIST),
			       "age sketch"))
			return false;
	}
	return true;
}

static size_t map_entries(int fd)
{
	struct throttle_key cur, next;
	void *prev = NULL;
	size_t n = 0;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		n++;
		cur = next;
		prev = &cur;
	}
	return n;
}

/* ---- Test cases ---- */

/* Rates as the CLI takes them. */
static void test_parse_rate(void)
{
	uint64_t iv;
	uint32_t burst;
	char buf[32];

	ASSERT_OK(throttle__parse_rate("20/s", &iv, &burst), "20/s");
	ASSERT_EQ(iv, 50000000, "20/s interval");
	ASSERT_EQ(burst, 20, "20/s default burst");
	ASSERT_OK(throttle__parse_rate("30/m", &iv, &burst), "30/m");
	ASSERT_EQ(iv, 2000000000ULL, "30/m interval");
	ASSERT_EQ(burst, 1, "30/m default burst");
	ASSERT_OK(throttle__parse_rate("7", &iv, NULL), "bare number");
	ASSERT_EQ(iv, 142857142, "7/s interval");
	ASSERT_OK(throttle__parse_rate("off", &iv, &burst), "off");
	ASSERT_EQ(iv, 0, "off interval");
	ASSERT_OK(throttle__parse_rate("1/h", &iv, NULL), "1/h");
	ASSERT_EQ(iv, 3600 * NSEC_PER_SEC, "1/h interval");
	ASSERT_ERR(throttle__parse_rate("", &iv, NULL), "empty");
	ASSERT_ERR(throttle__parse_rate("-5/s", &iv, NULL), "negative");
	ASSERT_ERR(throttle__parse_rate("5/d", &iv, NULL), "unknown unit");
	ASSERT_ERR(throttle__parse_rate("5x", &iv, NULL), "junk");
	ASSERT_ERR(throttle__parse_rate("2000000000/s", &iv, NULL), "too fast");
	ASSERT_STREQ(throttle__format_rate(50000000, buf, sizeof(buf)), "20/s", "format 20/s");
	ASSERT_STREQ(throttle__format_rate(2000000000ULL, buf, sizeof(buf)), "30/m", "format 30/m");
	ASSERT_STREQ(throttle__format_rate(0, buf, sizeof(buf)), "off", "format off");
}

/* Nothing configured: the data path never touches the client maps. */
static void test_off_by_default(void)
{
	struct pkt_v4 syn = tcp4("192.0.2.10", SYN);
	struct pkt_v6 syn6 = tcp6("2001:db8::10", SYN);
	struct fixture fx;
	struct warden_settings s;

	if (!setup(&fx))
		goto out;
	ASSERT_OK(throttle__settings(fx.t, &s), "settings");
	ASSERT_EQ(s.flags, 0, "no flags");
	ASSERT_EQ(s.shed, 0, "not shedding");
	ASSERT_EQ(run_n(&fx, syn, 50), 50, "every SYN passes");
	ASSERT_EQ(run_n(&fx, syn6, 50), 50, "every IPv6 SYN passes");
	ASSERT_EQ(map_entries(clients_fd(&fx)), 0, "no client state");
	ASSERT_EQ(map_entries(known_fd(&fx)), 0, "no known client");
	ASSERT_EQ(counters(&fx).passed, 100, "counted as passed");
	/* A limit that is set and then cleared turns the stage off again. */
	ASSERT_OK(set_default(&fx, "5/s", 5, "off", 0), "set default");
	ASSERT_OK(throttle__settings(fx.t, &s), "settings");
	ASSERT_EQ(s.flags & WARDEN_F_THROTTLE, WARDEN_F_THROTTLE, "throttle flag set");
	ASSERT_OK(set_default(&fx, "off", 0, "off", 0), "clear default");
	ASSERT_OK(throttle__settings(fx.t, &s), "settings");
	ASSERT_EQ(s.flags, 0, "throttle flag cleared");
	ASSERT_EQ(run_n(&fx, syn, 10), 10, "passes again");
	ASSERT_EQ(map_entries(clients_fd(&fx)), 0, "still no client state");
out:
	teardown(&fx);
}

/* A burst over the limit: burst SYNs pass, the rest are dropped and counted. */
static void test_conn_burst(void)
{
	struct pkt_v4 syn = tcp4("192.0.2.10", SYN), other = tcp4("192.0.2.11", SYN);
	struct pkt_v4 ack = tcp4("192.0.2.10", ACK);
	struct fixture fx;
	struct throttle_state st;
	struct xdp_counters c;

	if (!setup(&fx))
		goto out;
	/* 1/s: the microseconds the case takes refill nothing. */
	if (!ASSERT_OK(set_default(&fx, "1/s", 5, "off", 0), "limits"))
		goto out;
	ASSERT_EQ(run_n(&fx, syn, 20), 5, "burst of 5 passes, 15 dropped");
	ASSERT_EQ(run_n(&fx, ack, 20), 20, "segments of established connections flow");
	ASSERT_EQ(run_n(&fx, other, 5), 5, "another client has its own bucket");
	c = counters(&fx);
	ASSERT_EQ(c.dropped_throttle_conn, 15, "dropped_throttle_conn");
	ASSERT_EQ(c.dropped_throttle_pkt, 0, "no packet-rate drops");
	ASSERT_EQ(c.passed, 30, "passed");
	ASSERT_EQ(counted(&fx), 45, "each packet counted once");
	/* Its SYNs passed, then segments of established connections: known, exact buckets. */
	ASSERT_TRUE(client_state(&fx, "192.0.2.10", &st), "exact bucket once known");
	ASSERT_TRUE(st.syn_ns != 0 && st.known_ns != 0, "with its history");
	ASSERT_FALSE(client_state(&fx, "192.0.2.11", &st), "none for a client of SYNs only");
	ASSERT_EQ(map_entries(clients_fd(&fx)), 1, "one known client");
out:
	teardown(&fx);
}

/* The bucket refills with (simulated) time, up to the burst, no further. */
static void test_refill(void)
{
	struct pkt_v4 syn = tcp4("198.51.100.7", SYN);
	struct fixture fx;

	if (!setup(&fx))
		goto out;
	/* 10/s: a token every 100 ms; burst 5. */
	if (!ASSERT_OK(set_default(&fx, "10/s", 5, "off", 0), "limits"))
		goto out;
	ASSERT_EQ(run_n(&fx, syn, 8), 5, "burst");
	if (!age_client(&fx, "198.51.100.7", 250 * NSEC_PER_MSEC))
		goto out;
	ASSERT_EQ(run_n(&fx, syn, 5), 2, "250 ms later: two tokens");
	if (!age_client(&fx, "198.51.100.7", 100 * NSEC_PER_MSEC))
		goto out;
	ASSERT_EQ(run_n(&fx, syn, 5), 1, "100 ms later: one token (the half one kept)");
	if (!age_client(&fx, "198.51.100.7", 3600 * NSEC_PER_SEC))
		goto out;
	ASSERT_EQ(run_n(&fx, syn, 20), 5, "an hour later: the burst, not more");
	ASSERT_EQ(counters(&fx).dropped_throttle_conn, 3 + 3 + 4 + 15, "drops counted");
out:
	teardown(&fx);
}

/* The same with real time: a few hundred ms of waiting refill the bucket. */
static void test_refill_real_time(void)
{
	struct pkt_v4 syn = tcp4("198.51.100.8", SYN);
	struct fixture fx;
	int passed;

	if (!setup(&fx))
		goto out;
	if (!ASSERT_OK(set_default(&fx, "10/s", 3, "off", 0), "limits"))
		goto out;
	ASSERT_EQ(run_n(&fx, syn, 6), 3, "burst");
	usleep(350 * 1000);
	passed = run_n(&fx, syn, 6);
	/* 350 ms at 10/s: 3 tokens (the burst); at least 3 ms of slack either way. */
	ASSERT_EQ(passed, 3, "refilled after 350 ms");
out:
	teardown(&fx);
}

/* Packet rate: every packet of the client counts, TCP or not. */
static void test_pkt_rate(void)
{
	struct pkt_v4 ack = tcp4("192.0.2.20", ACK);
	struct pkt_udp4 udp = udp4("192.0.2.20");
	struct pkt_v4 syn = tcp4("192.0.2.20", SYN);
	struct fixture fx;
	struct xdp_counters c;

	if (!setup(&fx))
		goto out;
	if (!ASSERT_OK(set_default(&fx, "off", 0, "1/s", 10), "limits"))
		goto out;
	ASSERT_EQ(run_n(&fx, ack, 6), 6, "6 segments");
	ASSERT_EQ(run_n(&fx, udp, 6), 4, "4 datagrams, then the bucket is empty");
	ASSERT_EQ(run_n(&fx, syn, 3), 0, "SYNs count as packets too");
	c = counters(&fx);
	ASSERT_EQ(c.dropped_throttle_pkt, 5, "dropped_throttle_pkt");
	ASSERT_EQ(c.dropped_throttle_conn, 0, "no conn-rate drops");
	if (!age_client(&fx, "192.0.2.20", 2 * NSEC_PER_SEC))
		goto out;
	ASSERT_EQ(run_n(&fx, udp, 5), 2, "2 s later: 2 packets");
out:
	teardown(&fx);
}

/* A SYN dropped by the conn bucket does not take a packet token, and the reverse. */
static void test_both_buckets(void)
{
	struct pkt_v4 syn = tcp4("192.0.2.21", SYN), ack = tcp4("192.0.2.21", ACK);
	struct fixture fx;

	if (!setup(&fx))
		goto out;
	if (!ASSERT_OK(set_default(&fx, "1/s", 2, "1/s", 5), "limits"))
		goto out;
	ASSERT_EQ(run_n(&fx, syn, 4), 2, "2 SYNs (conn burst)");
	ASSERT_EQ(run_n(&fx, ack, 4), 3, "3 more packets: the dropped SYNs took none");
	ASSERT_EQ(counters(&fx).dropped_throttle_conn, 2, "conn drops");
	ASSERT_EQ(counters(&fx).dropped_throttle_pkt, 1, "pkt drops");
out:
	teardown(&fx);
}

/* SYN vs established: only SYN without ACK is a new connection. */
static void test_syn_vs_established(void)
{
	struct pkt_v4 syn = tcp4("203.0.113.5", SYN), synack = tcp4("203.0.113.5", SYNACK);
	struct pkt_v4 ack = tcp4("203.0.113.5", ACK), rst = tcp4("203.0.113.5", RST);
	struct pkt_v4 frag = tcp4("203.0.113.5", SYN), trunc = tcp4("203.0.113.5", SYN);
	struct fixture fx;

	/* A later fragment has no TCP header: its bytes are not flags. */
	frag.iph.frag_off = htons(100);
	if (!setup(&fx))
		goto out;
	if (!ASSERT_OK(set_default(&fx, "1/s", 1, "off", 0), "limits"))
		goto out;
	ASSERT_EQ(run(&fx, syn), XDP_PASS, "first SYN");
	ASSERT_EQ(run(&fx, syn), XDP_DROP, "second SYN dropped");
	ASSERT_EQ(run_n(&fx, synack, 5), 5, "SYN+ACK is not a new connection");
	ASSERT_EQ(run_n(&fx, ack, 5), 5, "ACK flows");
	ASSERT_EQ(run_n(&fx, rst, 5), 5, "RST flows");
	ASSERT_EQ(run_n(&fx, frag, 5), 5, "a later fragment is not a SYN");
	/* A TCP header cut short is not read: passes (fail open). */
	ASSERT_EQ(run_len(&fx, &trunc, sizeof(trunc) - 8), XDP_PASS, "truncated TCP header");
	ASSERT_EQ(counters(&fx).dropped_throttle_conn, 1, "one drop");
out:
	teardown(&fx);
}

/* IPv6 clients are keyed by their /64 by default, by the configured prefix otherwise. */
static void test_ipv6_prefix_keys(void)
{
	struct pkt_v6 a = tcp6("2001:db8:1:1::1", SYN), b = tcp6("2001:db8:1:1::2", SYN);
	struct pkt_v6 c = tcp6("2001:db8:1:2::1", SYN), d = tcp6("2001:db8:1:3::1", SYN);
	struct pkt_v6 hbh_p = tcp6("2001:db8:9::1", SYN);
	struct pkt_v6_hbh hbh = {
		.eth = ETH(ETH_P_IPV6),
		.iph = IPV6_HDR(0, sizeof(struct ip6_hbh) + sizeof(struct tcphdr)),
		.hbh = { .nexthdr = IPPROTO_TCP, .padn = { 1, 4 } },
		.tcp = TCP_HDR,
	};
	struct fixture fx;

	hbh.iph.saddr = hbh_p.iph.saddr;
	set_flags(hbh.tcp, SYN);
	if (!setup(&fx))
		goto out;
	if (!ASSERT_OK(set_default(&fx, "1/s", 3, "off", 0), "limits"))
		goto out;
	ASSERT_EQ(run_n(&fx, a, 2), 2, "two from ::1");
	ASSERT_EQ(run_n(&fx, b, 3), 1, "::2 shares the /64: one left");
	ASSERT_EQ(run_n(&fx, c, 3), 3, "another /64 has its own bucket");
	{
		struct prefix in64 = P("2001:db8:1:1::99"), one = P("2001:db8:1:1::1");
		struct sketch_cell x, y;

		ASSERT_OK(throttle__sketch(fx.t, &in64, &x), "sketch under the /64");
		ASSERT_OK(throttle__sketch(fx.t, &one, &y), "sketch of ::1");
		ASSERT_EQ(x.conn_tat_ns, y.conn_tat_ns, "one bucket for the /64");
		ASSERT_TRUE(x.conn_tat_ns != 0, "and it was used");
	}
	ASSERT_EQ(counters(&fx).dropped_throttle_conn, 2, "throttled on the /64");
	/* /48: both /64s above are one client now (a fresh key). */
	ASSERT_OK(throttle__set_v6_prefix(fx.t, 48), "v6 prefix 48");
	ASSERT_EQ(run_n(&fx, c, 2), 2, "the /48 starts full");
	ASSERT_EQ(run_n(&fx, d, 3), 1, "another /64 of the same /48 shares it");
	/* /128: every address is a client. */
	ASSERT_OK(throttle__set_v6_prefix(fx.t, 128), "v6 prefix 128");
	ASSERT_EQ(run_n(&fx, a, 4), 3, "::1 alone");
	ASSERT_EQ(run_n(&fx, b, 4), 3, "::2 alone");
	/* Behind an extension header the flags are not read: not a new connection (fail open). */
	ASSERT_EQ(run_n(&fx, hbh, 5), 5, "SYN behind hop-by-hop passes");
out:
	teardown(&fx);
}

/* Per-prefix limits: the longest matching rule wins over the defaults. */
static void test_prefix_rules(void)
{
	struct pkt_v4 in24 = tcp4("198.51.100.7", SYN), in25 = tcp4("198.51.100.200", SYN);
	struct pkt_v4 out = tcp4("192.0.2.7", SYN), exempt = tcp4("198.51.100.9", SYN);
	struct pkt_v6 in6 = tcp6("2001:db8:bad::1", SYN);
	struct throttle_limits strict = limits("1/s", 1, "off", 0), loose = limits("1/s", 3, "off", 0);
	struct throttle_limits none = limits("off", 0, "off", 0), got;
	struct prefix p24 = P("198.51.100.0/24"), p25 = P("198.51.100.128/25");
	struct prefix p32 = P("198.51.100.9/32"), p6 = P("2001:db8:bad::/48");
	struct warden_settings s;
	struct fixture fx;

	if (!setup(&fx))
		goto out_;
	if (!ASSERT_OK(set_default(&fx, "1/s", 10, "off", 0), "default") ||
	    !ASSERT_OK(throttle__set_rule(fx.t, &p24, &strict), "/24 strict") ||
	    !ASSERT_OK(throttle__set_rule(fx.t, &p25, &loose), "/25 loose") ||
	    !ASSERT_OK(throttle__set_rule(fx.t, &p32, &none), "/32 exempt") ||
	    !ASSERT_OK(throttle__set_rule(fx.t, &p6, &strict), "v6 strict"))
		goto out_;
	ASSERT_OK(throttle__settings(fx.t, &s), "settings");
	ASSERT_EQ(s.rules4, 3, "rules4 counted");
	ASSERT_EQ(s.rules6, 1, "rules6 counted");
	ASSERT_EQ(run_n(&fx, in24, 5), 1, "the /24 rule");
	ASSERT_EQ(run_n(&fx, in25, 5), 3, "the longer /25 rule");
	ASSERT_EQ(run_n(&fx, out, 12), 10, "the defaults elsewhere");
	ASSERT_EQ(run_n(&fx, exempt, 20), 20, "a rule without limits exempts");
	ASSERT_EQ(run_n(&fx, in6, 5), 1, "the IPv6 rule");
	/* Replace, read back, remove. */
	ASSERT_OK(throttle__set_rule(fx.t, &p24, &loose), "replace /24");
	ASSERT_OK(throttle__get_rule(fx.t, &p24, &got), "get /24");
	ASSERT_EQ(got.conn_burst, 3, "replaced");
	ASSERT_OK(throttle__settings(fx.t, &s), "settings");
	ASSERT_EQ(s.rules4, 3, "replacing does not count twice");
	ASSERT_EQ(throttle__get_rule(fx.t, &(struct prefix){ .family = 4, .prefixlen = 26,
				      .addr = { 198, 51, 100, 0 } }, &got), -ENOENT,
		  "a covered but absent prefix is not a rule");
	ASSERT_OK(throttle__remove_rule(fx.t, &p25), "remove /25");
	ASSERT_EQ(throttle__remove_rule(fx.t, &p25), -ENOENT, "remove twice");
	ASSERT_OK(throttle__remove_rule(fx.t, &p24), "remove /24");
	ASSERT_OK(throttle__remove_rule(fx.t, &p32), "remove /32");
	ASSERT_OK(throttle__remove_rule(fx.t, &p6), "remove v6");
	ASSERT_OK(throttle__settings(fx.t, &s), "settings");
	ASSERT_EQ(s.rules4 + s.rules6, 0, "counts back to 0");
	ASSERT_EQ(s.flags & WARDEN_F_THROTTLE, WARDEN_F_THROTTLE, "defaults keep it on");
	/* A rule alone turns throttling on. */
	ASSERT_OK(set_default(&fx, "off", 0, "off", 0), "no defaults");
	ASSERT_OK(throttle__set_rule(fx.t, &p24, &strict), "rule alone");
	ASSERT_OK(throttle__settings(fx.t, &s), "settings");
	ASSERT_EQ(s.flags & WARDEN_F_THROTTLE, WARDEN_F_THROTTLE, "a rule turns it on");
out_:
	teardown(&fx);
}

/* Priority peers bypass the throttle (and shedding), and win over bans through the allowlist. */
static void test_priority_bypass(void)
{
	struct pkt_v4 prio = tcp4("192.0.2.50", SYN), other = tcp4("192.0.2.60", SYN);
	struct pkt_v6 prio6 = tcp6("2001:db8:77::5", SYN);
	struct prefix p = P("192.0.2.48/29"), p6 = P("2001:db8:77::/48"), one = P("192.0.2.50");
	struct warden_settings s;
	struct xdp_counters c;
	struct fixture fx;

	if (!setup(&fx))
		goto out;
	if (!ASSERT_OK(set_default(&fx, "1/s", 1, "1/s", 2), "limits") ||
	    !ASSERT_OK(throttle__priority_add(fx.t, &p), "priority v4") ||
	    !ASSERT_OK(throttle__priority_add(fx.t, &p6), "priority v6"))
		goto out;
	ASSERT_OK(throttle__priority_add(fx.t, &p), "adding twice is fine");
	ASSERT_OK(throttle__settings(fx.t, &s), "settings");
	ASSERT_EQ(s.prio4, 1, "prio4 counted once");
	ASSERT_EQ(s.prio6, 1, "prio6 counted");
	ASSERT_EQ(run_n(&fx, prio, 20), 20, "priority peer never throttled");
	ASSERT_EQ(run_n(&fx, prio6, 20), 20, "IPv6 priority peer never throttled");
	ASSERT_EQ(run_n(&fx, other, 5), 1, "others are");
	c = counters(&fx);
	ASSERT_EQ(c.passed_priority, 40, "passed_priority");
	ASSERT_EQ(map_entries(clients_fd(&fx)), 0, "no exact bucket, priority peers or not");
	ASSERT_TRUE(throttle__priority_covers(fx.t, &one), "covers");
	ASSERT_TRUE(throttle__priority_has(fx.t, &p), "has");
	ASSERT_FALSE(throttle__priority_has(fx.t, &one), "has is exact");
	/* Priority implies allow (the CLI adds both): a ban then never drops it. */
	ASSERT_OK(banmap__allow(fx.bm, &p), "allow");
	ASSERT_OK(banmap__ban(fx.bm, &one, 0, "test", BAN_SOURCE_CLI, 1), "ban");
	ASSERT_EQ(run(&fx, prio), XDP_PASS, "banned priority peer passes");
	ASSERT_EQ(throttle__priority_remove(fx.t, &one), -ENOENT, "remove absent");
	ASSERT_OK(throttle__priority_remove(fx.t, &p), "remove");
	ASSERT_OK(throttle__settings(fx.t, &s), "settings");
	ASSERT_EQ(s.prio4, 0, "prio4 back to 0");
	ASSERT_EQ(run_n(&fx, prio, 3), 1, "still allowlisted, not banned, but throttled now");
	ASSERT_EQ(counters(&fx).passed_allow, 1, "passed by the allowlist");
	ASSERT_OK(banmap__unallow(fx.bm, &p), "unallow");
	ASSERT_EQ(run(&fx, prio), XDP_DROP, "now the ban drops it");
out:
	teardown(&fx);
}

/* Learn a client the way the XDP program does: a SYN that passes, then an ACK. */
static void handshake(struct fixture *fx, const char *addr)
{
	struct pkt_v4 syn = tcp4(addr, SYN), ack = tcp4(addr, ACK);

	ASSERT_EQ(run(fx, syn), XDP_PASS, "handshake SYN");
	ASSERT_EQ(run(fx, ack), XDP_PASS, "handshake ACK");
}

/* Shedding: new connections only from priority peers and known clients; the rest flows. */
static void test_shedding(void)
{
	struct pkt_v4 known_syn = tcp4("192.0.2.30", SYN), stranger = tcp4("192.0.2.31", SYN);
	struct pkt_v4 stranger_ack = tcp4("192.0.2.31", ACK), prio = tcp4("203.0.113.9", SYN);
	struct pkt_v4 spoofed_ack = tcp4("192.0.2.32", ACK), spoofed_syn = tcp4("192.0.2.32", SYN);
	struct pkt_udp4 udp = udp4("192.0.2.31");
	struct pkt_v4 marked = tcp4("198.51.100.30", SYN), stale = tcp4("192.0.2.33", SYN);
	struct prefix pp = P("203.0.113.9"), mk = P("198.51.100.30"), st = P("192.0.2.33");
	struct warden_settings s;
	uint32_t reasons = 0;
	struct xdp_counters c;
	struct fixture fx;

	if (!setup(&fx))
		goto out;
	/* Learning without limits: the program keeps the history shedding needs. */
	if (!ASSERT_OK(throttle__learn(fx.t, true), "learn") ||
	    !ASSERT_OK(throttle__priority_add(fx.t, &pp), "priority"))
		goto out;
	handshake(&fx, "192.0.2.30");
	ASSERT_EQ(run_n(&fx, spoofed_ack, 3), 3, "an ACK alone passes");
	ASSERT_EQ(map_entries(known_fd(&fx)), 1, "one known client: ACKs alone teach nothing");
	ASSERT_OK(throttle__mark_known(fx.t, &mk, time__boot_ns()), "mark known from userspace");
	ASSERT_OK(throttle__mark_known(fx.t, &st, time__boot_ns() - 2 * 3600 * NSEC_PER_SEC),
		  "known long ago");

	ASSERT_OK(throttle__shed(fx.t, true), "shed on");
	ASSERT_OK(throttle__shed_auto(fx.t, WARDEN_SHED_HUNG, time__boot_ns() + 10 * NSEC_PER_SEC),
		  "and for a hung app, 10 s");
	ASSERT_EQ(run_n(&fx, known_syn, 3), 3, "known client opens connections");
	ASSERT_EQ(run_n(&fx, marked, 2), 2, "client marked from userspace opens connections");
	ASSERT_EQ(run_n(&fx, prio, 3), 3, "priority peer opens connections");
	ASSERT_EQ(run_n(&fx, stranger, 3), 0, "stranger's new connections dropped");
	ASSERT_EQ(run_n(&fx, spoofed_syn, 3), 0, "ACKs alone earned nothing");
	ASSERT_EQ(run_n(&fx, stale, 3), 0, "known too long ago");
	ASSERT_EQ(run_n(&fx, stranger_ack, 3), 3, "established connections keep flowing");
	ASSERT_EQ(run_n(&fx, udp, 3), 3, "not TCP: not shed");
	c = counters(&fx);
	ASSERT_EQ(c.dropped_shed, 9, "dropped_shed");
	ASSERT_EQ(c.passed_known, 5, "passed_known");
	ASSERT_EQ(c.passed_priority, 3, "passed_priority");
	/* One reason off: still shedding for the other. */
	ASSERT_OK(throttle__shed(fx.t, false), "manual off");
	ASSERT_OK(throttle__settings(fx.t, &s), "settings");
	ASSERT_EQ(s.shed, WARDEN_SHED_HUNG, "hung remains");
	ASSERT_TRUE(throttle__shedding(fx.t, time__boot_ns(), &reasons), "shedding");
	ASSERT_EQ(reasons, WARDEN_SHED_HUNG, "for the hung app");
	ASSERT_EQ(run(&fx, stranger), XDP_DROP, "still shedding");
	/* warden run died: its deadline passes, the kernel stops shedding by itself. */
	ASSERT_OK(throttle__shed_auto(fx.t, WARDEN_SHED_HUNG, time__boot_ns() - 1), "deadline past");
	ASSERT_OK(throttle__settings(fx.t, &s), "settings");
	ASSERT_EQ(s.shed, WARDEN_SHED_HUNG, "the bit is still set");
	ASSERT_FALSE(throttle__shedding(fx.t, time__boot_ns(), NULL), "but not shedding");
	ASSERT_EQ(run(&fx, stranger), XDP_PASS, "the deadline ended it");
	/* Renewed, then over: the reason is cleared. */
	ASSERT_OK(throttle__shed_auto(fx.t, WARDEN_SHED_BACKLOG, time__boot_ns() + 10 * NSEC_PER_SEC),
		  "backlog");
	ASSERT_EQ(run(&fx, stranger), XDP_DROP, "shedding for the backlog");
	ASSERT_OK(throttle__shed_auto(fx.t, 0, 0), "backlog over");
	ASSERT_OK(throttle__settings(fx.t, &s), "settings");
	ASSERT_EQ(s.shed, 0, "nothing left");
	ASSERT_EQ(run(&fx, stranger), XDP_PASS, "stranger welcome again");
	ASSERT_EQ(throttle__shed_auto(fx.t, WARDEN_SHED_MANUAL, 0), -EINVAL, "not an automatic reason");
out:
	teardown(&fx);
}

/* Shedding and throttling together: a known client is still throttled. */
static void test_shed_and_throttle(void)
{
	struct pkt_v4 syn = tcp4("192.0.2.40", SYN);
	struct fixture fx;

	if (!setup(&fx))
		goto out;
	if (!ASSERT_OK(set_default(&fx, "1/s", 3, "off", 0), "limits"))
		goto out;
	handshake(&fx, "192.0.2.40");
	ASSERT_OK(throttle__shed_auto(fx.t, WARDEN_SHED_BACKLOG, time__boot_ns() + 10 * NSEC_PER_SEC),
		  "shed");
	ASSERT_EQ(run_n(&fx, syn, 5), 2, "known, so it may; throttled, so 2 tokens left");
	ASSERT_EQ(counters(&fx).dropped_throttle_conn, 3, "throttle drops");
	ASSERT_EQ(counters(&fx).dropped_shed, 0, "no shed drops");
out:
	teardown(&fx);
}

struct hits {
	int n;
	struct throttle_hit last;
};

static void on_hit(const struct throttle_hit *hit, void *ctx)
{
	struct hits *h = ctx;

	h->n++;
	h->last = *hit;
}

/* Throttle events: one per client per second while it is throttled, for escalation. */
static void test_events(void)
{
	struct pkt_v4 syn = tcp4("192.0.2.70", SYN);
	struct pkt_v6 syn6 = tcp6("2001:db8:5:6::7", SYN);
	struct prefix want = P("192.0.2.70"), want6 = P("2001:db8:5:6::/64");
	struct hits h = { 0 };
	struct fixture fx;
	char buf[PREFIX_STRLEN];

	if (!setup(&fx))
		goto out;
	if (!ASSERT_OK(set_default(&fx, "1/s", 2, "off", 0), "limits") ||
	    !ASSERT_OK(throttle__events_open(fx.t, on_hit, &h), "events_open"))
		goto out;
	ASSERT_GE(throttle__events_fd(fx.t), 0, "events fd");
	ASSERT_EQ(run_n(&fx, syn, 2), 2, "under the limit");
	ASSERT_EQ(throttle__events_poll(fx.t), 0, "no event under the limit");
	ASSERT_EQ(run_n(&fx, syn, 10), 0, "over the limit");
	ASSERT_EQ(throttle__events_poll(fx.t), 1, "one event for ten drops");
	ASSERT_EQ(h.n, 1, "callback once");
	ASSERT_TRUE(prefix__equal(&h.last.client, &want), prefix__format(&h.last.client, buf, sizeof(buf)));
	ASSERT_EQ(h.last.kind, THROTTLE_CONN, "kind");
	ASSERT_EQ(h.last.throttled, 0, "a stranger's drops are not counted per client");
	/* A second later, still throttled: another event. */
	if (!age_client(&fx, "192.0.2.70", 1100 * NSEC_PER_MSEC))
		goto out;
	ASSERT_EQ(run_n(&fx, syn, 5), 1, "a token came back; the rest dropped");
	ASSERT_EQ(throttle__events_poll(fx.t), 1, "one more event");
	ASSERT_EQ(h.last.kind, THROTTLE_CONN, "its kind");
	ASSERT_EQ(run_n(&fx, syn6, 3), 2, "IPv6 client");
	ASSERT_EQ(throttle__events_poll(fx.t), 1, "IPv6 event");
	ASSERT_TRUE(prefix__equal(&h.last.client, &want6), prefix__format(&h.last.client, buf, sizeof(buf)));
out:
	teardown(&fx);
}

/* Priority peers and throttling after a ban: each packet still counted exactly once. */
static void test_counted_once(void)
{
	struct pkt_v4 banned = tcp4("192.0.2.80", SYN), allowed = tcp4("192.0.2.81", SYN);
	struct pkt_v4 plain = tcp4("192.0.2.82", SYN);
	struct prefix b = P("192.0.2.80"), a = P("192.0.2.81");
	struct xdp_counters c;
	struct fixture fx;

	if (!setup(&fx))
		goto out;
	if (!ASSERT_OK(set_default(&fx, "1/s", 2, "off", 0), "limits") ||
	    !ASSERT_OK(banmap__ban(fx.bm, &b, 0, "t", BAN_SOURCE_CLI, 1), "ban") ||
	    !ASSERT_OK(banmap__ban(fx.bm, &a, 0, "t", BAN_SOURCE_CLI, 1), "ban allowed") ||
	    !ASSERT_OK(banmap__allow(fx.bm, &a), "allow"))
		goto out;
	ASSERT_EQ(run_n(&fx, banned, 4), 0, "banned: dropped by the ban");
	ASSERT_EQ(run_n(&fx, allowed, 4), 2, "allowlisted but not priority: throttled");
	ASSERT_EQ(run_n(&fx, plain, 4), 2, "plain client throttled");
	c = counters(&fx);
	ASSERT_EQ(c.dropped_exact, 4, "ban drops");
	ASSERT_EQ(c.passed_allow, 2, "allowed and under the limit");
	ASSERT_EQ(c.passed, 2, "plain under the limit");
	ASSERT_EQ(c.dropped_throttle_conn, 4, "throttled");
	ASSERT_EQ(counted(&fx), 12, "12 packets, 12 counts");
	ASSERT_EQ(map_entries(clients_fd(&fx)), 0, "strangers have no exact bucket");
out:
	teardown(&fx);
}

/*
 * A full client map: new clients evict old ones and are throttled all the
 * same (the map never refuses, it forgets the least recently seen).
 */
static void test_lru_full(void)
{
	enum { N = WARDEN_MAX_CLIENTS };
	struct throttle_key *keys = NULL;
	struct throttle_state *vals = NULL;
	struct pkt_v4 syn = tcp4("203.0.113.77", SYN);
	LIBBPF_OPTS(bpf_map_batch_opts, bopts);
	struct fixture fx;
	__u32 i, count, done = 0;
	int err = 0;

	keys = calloc(N, sizeof(*keys));
	vals = calloc(N, sizeof(*vals));
	if (!ASSERT_NOT_NULL(keys, "keys") || !ASSERT_NOT_NULL(vals, "vals") || !setup(&fx))
		goto out;
	if (!ASSERT_OK(set_default(&fx, "1/s", 2, "off", 0), "limits"))
		goto out;
	/* Distinct IPv6 /64 keys (2001:db8:N::/64), all of them, in batches. */
	for (i = 0; i < N; i++) {
		keys[i].addr[0] = 0x20;
		keys[i].addr[1] = 0x01;
		keys[i].addr[2] = 0x0d;
		keys[i].addr[3] = 0xb8;
		memcpy(&keys[i].addr[4], &i, 4);
	}
	while (done < N && !err) {
		count = N - done > 65536 ? 65536 : N - done;
		err = bpf_map_update_batch(clients_fd(&fx), keys + done, vals + done, &count, &bopts);
		done += count;
	}
	if (!ASSERT_OK(err, "fill the map"))
		goto out;
	ASSERT_GE(map_entries(clients_fd(&fx)), N - N / 8, "the map is (about) full");
	ASSERT_EQ(run_n(&fx, syn, 4), 2, "a new client is throttled with the map full (sketch)");
	ASSERT_EQ(run_n(&fx, syn, 1), 0, "and stays throttled");
out:
	teardown(&fx);
	free(keys);
	free(vals);
}


/*
 * The i-th of a fixed pseudo-random series of IPv6 clients, each its own
 * /64 of 2001:db8::/32 (a bijection of i: no two alike). Random, not
 * sequential: the multiply-shift hashes spread sequential keys perfectly,
 * which would flatter the sketch.
 */
static struct pkt_v6 nth_v6(uint32_t i, enum tcp_kind k)
{
	uint32_t x = i * 0x2545F491u;
	char a[64];

	x ^= x >> 15;
	x *= 0x2C1B3C6Du;
	x ^= x >> 12;
	snprintf(a, sizeof(a), "2001:db8:%x:%x::1", x >> 16, x & 0xffff);
	return tcp6(a, k);
}

/*
 * A flood of spoofed SYNs, each from a new source, with limits on: no
 * source gets an exact bucket or a known mark (the sketch counts them: no
 * insertion, no eviction), and a known client keeps its own bucket intact.
 */
static void test_flood_no_insertion(void)
{
	enum { N = 50000 };
	struct pkt_v4 known = tcp4("192.0.2.90", SYN);
	struct fixture fx;
	struct throttle_state st;
	uint32_t i;
	int passed = 0;

	if (!setup(&fx))
		goto out;
	if (!ASSERT_OK(set_default(&fx, "1/s", 5, "off", 0), "limits"))
		goto out;
	handshake(&fx, "192.0.2.90");
	ASSERT_TRUE(client_state(&fx, "192.0.2.90", &st), "the known client has its bucket");
	for (i = 0; i < N; i++) {
		struct pkt_v6 syn = nth_v6(i, SYN);

		passed += run(&fx, syn) == XDP_PASS;
	}
	printf("  %d of %d spoofed SYNs passed (burst 5 per sketch cell)\n", passed, N);
	ASSERT_EQ(map_entries(clients_fd(&fx)), 1, "no exact bucket for a spoofed source");
	ASSERT_EQ(map_entries(known_fd(&fx)), 1, "no spoofed source known");
	ASSERT_EQ(run_n(&fx, known, 6), 4, "the known client: its own 4 tokens left, untouched");
out:
	teardown(&fx);
}

/*
 * One load for the sketch: n active sources (each its own IPv6 /64), each
 * having used half its burst (2 of 4 tokens), each asks for a third token,
 * which it has. How many were throttled early.
 */
static int sketch_early(uint32_t n)
{
	struct fixture fx;
	unsigned long long drops = 0;
	uint8_t *hit = calloc(n, 1);
	uint32_t i;
	int early = -1, passed;

	if (!ASSERT_NOT_NULL(hit, "calloc"))
		return -1;
	if (!setup(&fx))
		goto out;
	/* 1/min: the seconds the case takes refill (almost) nothing. */
	if (!ASSERT_OK(set_default(&fx, "1/m", 4, "off", 0), "limits"))
		goto out;
	for (i = 0; i < n; i++) {
		struct pkt_v6 syn = nth_v6(i, SYN);

		/* Half the burst; a source may already meet full cells here. */
		passed = run_n(&fx, syn, 2);
		drops += 2 - passed;
		hit[i] = passed != 2;
	}
	for (i = 0; i < n; i++) {
		struct pkt_v6 syn = nth_v6(i, SYN);

		if (run(&fx, syn) != XDP_PASS) {
			drops++;
			hit[i] = 1;
		}
	}
	for (i = 0, early = 0; i < n; i++)
		early += hit[i];
	ASSERT_EQ(map_entries(clients_fd(&fx)), 0, "all in the sketch");
	ASSERT_EQ(counters(&fx).dropped_throttle_conn, drops, "each drop counted");
out:
	teardown(&fx);
	free(hit);
	return early;
}

/*
 * The sketch's accuracy at stated loads. A source is throttled early only
 * if other sources share its cell in both rows, so the rate is at most
 * (1 - e^(-N/W))^2 (W cells a row): 2.0% for N = 10,000 and 28% for
 * N = 50,000 with W = 65,536. What it measures here is far lower, because
 * sharing a cell with one source of the same usage is harmless (the cell
 * keeps the larger of the two, not the sum). The hashes are fixed: the
 * counts are the same at every run; the README quotes them.
 */
static void test_sketch_accuracy(void)
{
	static const uint32_t loads[] = { 10000, 50000 };
	size_t l;

	for (l = 0; l < sizeof(loads) / sizeof(loads[0]); l++) {
		uint32_t n = loads[l];
		double q = 1 - exp(-(double)n / WARDEN_SKETCH_WIDTH), bound = q * q;
		int early = sketch_early(n);

		printf("  %u sources at half their burst: %d throttled early (%.3f%%; bound %.1f%%)\n",
		       n, early, 100.0 * early / n, 100 * bound);
		if (!ASSERT_GE(early, 0, "load ran"))
			return;
		ASSERT_TRUE((double)early / n <= bound, "false throttling within the stated bound");
	}
}

/* ---- main ---- */

static int mount_private_bpffs(void)
{
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
 * A known client's state caches its resolution of the priority and rule
 * tries; a change of either applies to its very next packet.
 */
static void test_known_client_cache(void)
{
	struct pkt_v4 syn = tcp4("203.0.113.40", SYN), ack = tcp4("203.0.113.40", ACK);
	struct throttle_limits strict = limits("off", 0, "1/s", 2);
	struct prefix p24 = P("203.0.113.0/24"), me = P("203.0.113.40/32");
	struct throttle_state st;
	struct warden_settings s;
	struct fixture fx;

	if (!setup(&fx))
		goto out;
	if (!ASSERT_OK(set_default(&fx, "off", 0, "100000/s", 100000), "loose defaults"))
		goto out;
	/* A handshake makes it known: exact buckets, the resolution cached. */
	ASSERT_EQ(run(&fx, syn), XDP_PASS, "SYN");
	ASSERT_EQ(run_n(&fx, ack, 3), 3, "ACKs make it known");
	if (!ASSERT_TRUE(client_state(&fx, "203.0.113.40", &st), "known client has state"))
		goto out;
	ASSERT_OK(throttle__settings(fx.t, &s), "settings");
	ASSERT_EQ(st.cache, THROTTLE_CACHE_VALID, "cached: no priority, no rule");
	ASSERT_EQ(st.cache_gen, s.rules_gen, "cached at this generation");
	/* A strict rule over it: its next packets meet the rule, not the cached defaults. */
	if (!ASSERT_OK(throttle__set_rule(fx.t, &p24, &strict), "strict /24 rule"))
		goto out;
	ASSERT_LE(run_n(&fx, ack, 5), 2, "the new rule applies at once");
	ASSERT_TRUE(client_state(&fx, "203.0.113.40", &st), "state");
	ASSERT_EQ(st.cache, THROTTLE_CACHE_VALID | THROTTLE_CACHE_RULE, "cached: a rule covers it");
	/* Then a priority peer: never throttled, from its next packet on. */
	if (!ASSERT_OK(throttle__priority_add(fx.t, &me), "priority"))
		goto out;
	ASSERT_EQ(run_n(&fx, ack, 5), 5, "a priority peer passes");
	ASSERT_EQ(counters(&fx).passed_priority, 5, "counted as priority");
	/* And back: the rule again. */
	ASSERT_OK(throttle__priority_remove(fx.t, &me), "priority removed");
	ASSERT_EQ(run_n(&fx, ack, 5), 0, "throttled by the rule again");
out:
	teardown(&fx);
}

/*
 * The throttle maps take kernel memory only once something uses them:
 * maps created without a limit are tiny, the first limit grows them, and a
 * program loaded afterwards throttles with them.
 */
static void test_maps_sized_by_use(void)
{
	struct pkt_v4 syn = tcp4("192.0.2.77", SYN);
	LIBBPF_OPTS(bpf_object_open_opts, opts);
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	struct fixture fx;
	long long idle, full;
	int grown = -1;

	memset(&fx, 0, sizeof(fx));
	fx.prog_fd = -1;
	snprintf(fx.pin_path, sizeof(fx.pin_path), "%s/case%d", bpffs_dir, ++case_seq);
	fx.bm = banmap__open(fx.pin_path, BANMAP_CREATE);
	fx.t = throttle__open(fx.pin_path);
	if (!ASSERT_NOT_NULL(fx.bm, "banmap__open") || !ASSERT_NOT_NULL(fx.t, "throttle__open"))
		goto out;
	idle = mapsize__memlock(fx.pin_path);
	printf("  throttle maps: %lld bytes at attach without limits\n", idle);
	ASSERT_GE(idle, 0, "memlock readable");
	ASSERT_LE(idle, 64 * 1024, "under 64 KiB without limits");
	/* Nothing switched on: growing does nothing. */
	ASSERT_OK(mapsize__grow(fx.pin_path, false, &grown), "grow, nothing on");
	ASSERT_EQ(grown, 0, "nothing grown");
	/* The first limit. */
	if (!ASSERT_OK(set_default(&fx, "1/s", 2, "off", 0), "a limit") ||
	    !ASSERT_OK(mapsize__grow(fx.pin_path, false, &grown), "grow"))
		goto out;
	ASSERT_EQ(grown, 3, "the three maps grew");
	full = mapsize__memlock(fx.pin_path);
	printf("  throttle maps: %lld bytes once a limit is set\n", full);
	ASSERT_GE(full, 50LL * 1024 * 1024, "full size");
	/* A program loaded now uses them, as warden's own loads do (mapsize__apply). */
	opts.pin_root_path = fx.pin_path;
	fx.skel = xdp_ban_bpf__open_opts(&opts);
	if (!ASSERT_NOT_NULL(fx.skel, "open") ||
	    !ASSERT_OK(mapsize__apply(fx.skel->obj, fx.pin_path), "mapsize__apply") ||
	    !ASSERT_OK(xdp_ban_bpf__load(fx.skel), "load"))
		goto out;
	fx.prog_fd = bpf_program__fd(fx.skel->progs.xdp_ban);
	memset(&info, 0, sizeof(info));
	ASSERT_OK(bpf_obj_get_info_by_fd(clients_fd(&fx), &info, &len), "clients info");
	ASSERT_EQ(info.max_entries, WARDEN_MAX_CLIENTS, "the program's clients map is full size");
	ASSERT_EQ(run_n(&fx, syn, 5), 2, "throttled: burst 2");
	/* Growing again is a no-op. */
	ASSERT_OK(mapsize__grow(fx.pin_path, false, &grown), "grow again");
	ASSERT_EQ(grown, 0, "already full");
out:
	teardown(&fx);
}

int main(void)
{
	int err;

	RUN_TEST(test_parse_rate);
	if (geteuid() != 0) {
		printf("SKIP: test_throttle: the BPF cases need root\n");
		return TEST_EXIT();
	}
	log__setup(0, LOG_WARN);
	libbpf_set_print(log__libbpf_print);
	err = mount_private_bpffs();
	if (err) {
		printf("FAIL: setup: cannot mount a private bpffs: %s\n", strerror(-err));
		return 1;
	}

	RUN_TEST(test_off_by_default);
	RUN_TEST(test_conn_burst);
	RUN_TEST(test_refill);
	RUN_TEST(test_refill_real_time);
	RUN_TEST(test_pkt_rate);
	RUN_TEST(test_both_buckets);
	RUN_TEST(test_syn_vs_established);
	RUN_TEST(test_ipv6_prefix_keys);
	RUN_TEST(test_prefix_rules);
	RUN_TEST(test_priority_bypass);
	RUN_TEST(test_shedding);
	RUN_TEST(test_shed_and_throttle);
	RUN_TEST(test_events);
	RUN_TEST(test_counted_once);
	RUN_TEST(test_lru_full);
	RUN_TEST(test_flood_no_insertion);
	RUN_TEST(test_sketch_accuracy);
	RUN_TEST(test_known_client_cache);
	RUN_TEST(test_maps_sized_by_use);

	unmount_private_bpffs();
	printf("test_throttle: %d passed, %d failed\n", tu_cases_passed, tu_cases_failed);
	return TEST_EXIT();
}
