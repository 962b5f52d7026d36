// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* xdp-bench.c - benchmark helper: warden vs xdp-filter per packet (BPF_PROG_TEST_RUN), a raw sender, counters. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "banmap.h"
#include "log.h"
#include "mapsize.h"
#include "timeutil.h"
#include "xdp_ban.skel.h"

/*
 * xdp-filter (Debian's xdp-tools): the object it loads to drop listed
 * sources, "--policy allow" (the default: allow all, drop what the rules
 * match) with the ipv4 and ipv6 features. xdpfilt_dny_*.o is the other
 * policy: drop everything, pass what the rules match. A source rule's value
 * carries MAP_FLAG_SRC (xdp-filter/common_kern_user.h; hit counters above
 * COUNTER_SHIFT). filter_ipv4/_ipv6 are per-CPU hashes of a __u64 per CPU;
 * xdp_stats_map counts packets and bytes per action.
 */
#define XDPFILT_OBJ_DEFAULT "/usr/lib/x86_64-linux-gnu/bpf/xdpfilt_alw_ip.o"
#define XDPFILT_MAP_FLAG_SRC 1ULL

static const char *xdpfilt_obj = XDPFILT_OBJ_DEFAULT;

/* ---- Addresses: a bijection of the index, so N of them are N distinct ones ---- */

static uint32_t rotl32(uint32_t x, int r)
{
	return (x << r) | (x >> (32 - r));
}

/* The i-th pseudo-random IPv4 address (host byte order); distinct for distinct i. */
static uint32_t addr_of(uint32_t i, uint32_t salt)
{
	return rotl32((i * 0x9E3779B1u) ^ salt, 13) * 0x85EBCA6Bu;
}

#define SALT_EXACT 0x5eed0001u
#define SALT_PREFIX 0x5eed0002u

static void ip4_str(uint32_t host, char *buf, size_t len)
{
	uint32_t be = htonl(host);

	inet_ntop(AF_INET, &be, buf, (socklen_t)len);
}

/* ---- Frames ---- */

/* A 64-byte IPv4/TCP frame (Ethernet 14 + IP 20 + TCP 20 + 10 of payload). */
struct frame64 {
	struct ethhdr eth;
	struct iphdr iph;
	struct tcphdr tcp;
	__u8 payload[10];
} __attribute__((packed));

_Static_assert(sizeof(struct frame64) == 64, "64-byte frame");

static struct frame64 frame_from(uint32_t src_host)
{
	struct frame64 f = {
		.eth = { .h_dest = { 0x02, 0, 0, 0, 0, 1 }, .h_source = { 0x02, 0, 0, 0, 0, 2 },
			 .h_proto = htons(ETH_P_IP) },
		.iph = { .version = 4, .ihl = 5, .ttl = 64, .protocol = IPPROTO_TCP,
			 .tot_len = htons(sizeof(struct iphdr) + sizeof(struct tcphdr) + 10),
			 .saddr = htonl(src_host), .daddr = htonl(0xc0000201) /* 192.0.2.1 */ },
		.tcp = { .source = htons(40000), .dest = htons(80), .doff = 5, .ack = 1,
			 .window = htons(512) },
	};

	return f;
}

/* ---- BPF_PROG_TEST_RUN timing ---- */

/* ns per run of prog on frame, as the kernel measures it over repeat runs; <0 on error. */
static long long time_run(int prog_fd, const struct frame64 *f, __u32 repeat, __u32 *retval)
{
	LIBBPF_OPTS(bpf_test_run_opts, topts, .data_in = f, .data_size_in = sizeof(*f),
		    .repeat = repeat);

	if (bpf_prog_test_run_opts(prog_fd, &topts))
		return -errno;
	*retval = topts.retval;
	return topts.duration;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

static long long median(long long *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_ll);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---- A private bpffs in a private mount namespace (gone when we are) ---- */

/*
 * Mounted over /sys/fs/bpf, but in a mount namespace of our own: the
 * host's pins stay untouched and there is nothing to remove afterwards,
 * even if we are killed.
 */
static const char bpffs_dir[] = "/sys/fs/bpf";

static int private_bpffs(void)
{
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;
	if (mount("bpf", bpffs_dir, "bpf", 0, "mode=0700") < 0)
		return -errno;
	return 0;
}

/* ---- warden, loaded on a fresh pin root with the bans of one configuration ---- */

struct warden_run {
	char pin_path[PATH_MAX];
	struct banmap *bm;
	struct xdp_ban_bpf *skel;
	double fill_s; /* time banmap__ban_many took */
};

static void warden_close(struct warden_run *w)
{
	if (w->skel) {
		bpf_object__unpin_maps(w->skel->obj, NULL);
		xdp_ban_bpf__destroy(w->skel);
	}
	banmap__close(w->bm);
	rmdir(w->pin_path);
	memset(w, 0, sizeof(*w));
}

static int warden_open(struct warden_run *w, const char *name, uint32_t n_exact,
		       uint32_t n_prefix, uint32_t n_allow)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts);
	struct prefix *t;
	uint64_t t0;
	uint32_t i;
	int err;

	memset(w, 0, sizeof(*w));
	snprintf(w->pin_path, sizeof(w->pin_path), "%s/%s", bpffs_dir, name);
	w->bm = banmap__open(w->pin_path, BANMAP_CREATE);
	if (!w->bm)
		return -errno;
	t = calloc((size_t)n_exact + n_prefix + 1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	for (i = 0; i < n_exact; i++) {
		uint32_t be = htonl(addr_of(i, SALT_EXACT));

		prefix__from_bytes(&t[i], 4, &be);
	}
	for (i = 0; i < n_prefix; i++) {
		uint32_t be = htonl(addr_of(i, SALT_PREFIX) & 0xffffff00u);

		prefix__from_bytes(&t[n_exact + i], 4, &be);
		t[n_exact + i].prefixlen = 24;
	}
	t0 = time__mono_ns();
	err = banmap__ban_many(w->bm, t, (size_t)n_exact + n_prefix, 0, NULL, BAN_SOURCE_FILE);
	w->fill_s = (double)(time__mono_ns() - t0) / 1e9;
	free(t);
	if (err)
		return err;
	/* Allowlist entries far from every frame used here (10.0.0.0/8 is never a test frame). */
	for (i = 0; i < n_allow; i++) {
		struct prefix a;
		uint32_t be = htonl(0x0a000000u | (i << 8));

		prefix__from_bytes(&a, 4, &be);
		a.prefixlen = 24;
		err = banmap__allow(w->bm, &a);
		if (err)
			return err;
	}
	opts.pin_root_path = w->pin_path;
	w->skel = xdp_ban_bpf__open_opts(&opts);
	if (!w->skel)
		return -errno;
	err = mapsize__apply(w->skel->obj, w->pin_path);
	if (err)
		return err;
	return xdp_ban_bpf__load(w->skel);
}

/* ---- xdp-filter's program, loaded from its object, its IPv4 table filled directly ---- */

struct xdpfilt_run {
	char pin_path[PATH_MAX];
	struct bpf_object *obj;
	int prog_fd;
	double fill_s;
};

static void xdpfilt_close(struct xdpfilt_run *x)
{
	if (x->obj) {
		bpf_object__unpin_maps(x->obj, NULL);
		bpf_object__close(x->obj);
	}
	rmdir(x->pin_path);
	memset(x, 0, sizeof(*x));
}

/*
 * The same addresses as warden: every exact ban, and since xdp-filter has
 * no prefixes, every address of every /24 prefix ban spelled out.
 */
static int xdpfilt_open(struct xdpfilt_run *x, const char *name, uint32_t n_exact,
			uint32_t n_prefix)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts);
	LIBBPF_OPTS(bpf_map_batch_opts, bopts);
	int ncpu = libbpf_num_possible_cpus();
	size_t n = (size_t)n_exact + (size_t)n_prefix * 256, i, done;
	struct bpf_program *prog;
	struct bpf_map *map;
	__u32 *keys = NULL, count;
	__u64 *vals = NULL;
	uint64_t t0;
	int err, fd;

	memset(x, 0, sizeof(*x));
	snprintf(x->pin_path, sizeof(x->pin_path), "%s/%s", bpffs_dir, name);
	opts.pin_root_path = x->pin_path;
	x->obj = bpf_object__open_file(xdpfilt_obj, &opts);
	if (!x->obj)
		return -errno;
	map = bpf_object__find_map_by_name(x->obj, "filter_ipv4");
	prog = bpf_object__next_program(x->obj, NULL);
	if (!map || !prog)
		return -ENOENT;
	/* Room for the whole table (xdp-filter's own default is 10,000). */
	err = bpf_map__set_max_entries(map, n > 10000 ? (__u32)n : 10000);
	if (err)
		return err;
	err = bpf_object__load(x->obj);
	if (err)
		return err;
	x->prog_fd = bpf_program__fd(prog);
	fd = bpf_map__fd(map);

	/* Per-CPU values: the flag on every CPU, as xdp-filter's CLI writes it. */
	keys = calloc(n ? n : 1, sizeof(*keys));
	vals = calloc((n ? n : 1) * (size_t)ncpu, sizeof(*vals));
	if (!keys || !vals) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n_exact; i++)
		keys[i] = htonl(addr_of((uint32_t)i, SALT_EXACT));
	for (i = 0; i < (size_t)n_prefix * 256; i++)
		keys[n_exact + i] = htonl((addr_of((uint32_t)(i / 256), SALT_PREFIX) & 0xffffff00u) |
					  (uint32_t)(i % 256));
	for (i = 0; i < n * (size_t)ncpu; i++)
		vals[i] = XDPFILT_MAP_FLAG_SRC;
	t0 = time__mono_ns();
	for (done = 0; done < n; done += count) {
		count = (__u32)(n - done > 65536 ? 65536 : n - done);
		if (bpf_map_update_batch(fd, keys + done, vals + done * (size_t)ncpu, &count,
					 &bopts)) {
			err = -errno;
			goto out;
		}
	}
	x->fill_s = (double)(time__mono_ns() - t0) / 1e9;
	err = 0;
out:
	free(keys);
	free(vals);
	return err;
}

/* ---- testrun: the per-packet cost table ---- */

struct tr_opts {
	__u32 repeat;
	int runs;
	uint32_t sizes[8];
	int n_sizes;
	uint32_t prefixes;
	uint32_t allow;
	int markdown;
	int no_verify; /* time modified programs whose verdicts differ */
};

struct tr_frame {
	const char *name;
	uint32_t src;    /* host byte order */
	int expect;      /* XDP_PASS / XDP_DROP */
	int xdpfilt;     /* whether xdp-filter can express the ban */
};

static int check_verdict(const struct tr_opts *o, const char *who, const struct tr_frame *f,
			 __u32 got)
{
	char a[INET_ADDRSTRLEN];

	if ((int)got == f->expect || o->no_verify)
		return 0;
	ip4_str(f->src, a, sizeof(a));
	fprintf(stderr, "xdp-bench: %s gave %u for %s (%s), expected %d\n", who, got, f->name, a,
		f->expect);
	return -EPROTO;
}

/* An address in a /16 that a prefix ban covers, but itself not banned. */
static int covered_but_clean(struct warden_run *w, uint32_t *out)
{
	struct lpm4_key k = { .prefixlen = 24 }; /* the bench bans /24s */
	struct ban_value v;
	uint32_t base = addr_of(0, SALT_PREFIX) & 0xffff0000u, c, a, be;

	for (c = 0; c < 256; c++) {
		a = base | (c << 8) | 0x2a;
		be = htonl(a & 0xffffff00u);
		memcpy(k.addr, &be, 4);
		be = htonl(a);
		if (bpf_map_lookup_elem(bpf_map__fd(w->skel->maps.warden_pfx4), &k, &v) == 0)
			continue;
		if (bpf_map_lookup_elem(bpf_map__fd(w->skel->maps.warden_ban4), &be, &v) == 0)
			continue;
		*out = a;
		return 0;
	}
	return -ENOENT;
}

/* An address whose summary bucket (its hashed /24) no prefix ban touches, and not banned. */
static int clean_uncovered(struct warden_run *w, uint32_t n_exact, uint32_t *out)
{
	uint32_t i, a, bucket, sum;

	for (i = 0; i < 1000; i++) {
		a = addr_of(n_exact + 7919 + i, SALT_EXACT); /* beyond the banned indexes */
		bucket = warden_pfx4_bucket(a);
		if (bpf_map_lookup_elem(bpf_map__fd(w->skel->maps.warden_pfx4sum), &bucket, &sum))
			return -errno;
		if (!sum && (a >> 24) != 0 && (a >> 24) != 127) {
			*out = a;
			return 0;
		}
	}
	return -ENOENT;
}

static int testrun_config(const struct tr_opts *o, uint32_t n_exact, uint32_t n_prefix)
{
	struct warden_run w;
	struct xdpfilt_run x;
	struct tr_frame frames[4];
	long long *tw = NULL, *tx = NULL, d;
	int nf = 0, i, r, err;
	char name[64], label[96];
	__u32 retval;

	snprintf(name, sizeof(name), "w-%u-%u", n_exact, n_prefix);
	err = warden_open(&w, name, n_exact, n_prefix, o->allow);
	if (err) {
		fprintf(stderr, "xdp-bench: warden with %u bans: %s\n", n_exact, strerror(-err));
		goto out_w;
	}
	snprintf(name, sizeof(name), "x-%u-%u", n_exact, n_prefix);
	err = xdpfilt_open(&x, name, n_exact, n_prefix);
	if (err) {
		fprintf(stderr, "xdp-bench: xdp-filter (%s) with %u entries: %s\n", xdpfilt_obj,
			n_exact + n_prefix * 256, strerror(-err));
		goto out_x;
	}

	/* The frames: banned exactly, clean; with prefixes also these two. */
	frames[nf++] = (struct tr_frame){ "banned (exact)", addr_of(n_exact / 2, SALT_EXACT),
					  XDP_DROP, 1 };
	frames[nf] = (struct tr_frame){ "not banned", 0, XDP_PASS, 1 };
	err = clean_uncovered(&w, n_exact, &frames[nf++].src);
	if (err)
		goto out;
	if (n_prefix) {
		frames[nf++] = (struct tr_frame){ "banned (/24 prefix)",
			(addr_of(n_prefix / 2, SALT_PREFIX) & 0xffffff00u) | 0x2a, XDP_DROP, 1 };
		frames[nf] = (struct tr_frame){ "not banned, /16 has a prefix", 0, XDP_PASS, 1 };
		err = covered_but_clean(&w, &frames[nf++].src);
		if (err)
			goto out;
	}

	tw = calloc((size_t)o->runs, sizeof(*tw));
	tx = calloc((size_t)o->runs, sizeof(*tx));
	if (!tw || !tx) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < nf; i++) {
		struct frame64 f = frame_from(frames[i].src);

		/* Interleave the two programs run by run, so drift hits both alike. */
		for (r = 0; r < o->runs; r++) {
			d = time_run(bpf_program__fd(w.skel->progs.xdp_ban), &f, o->repeat, &retval);
			if (d < 0 || check_verdict(o, "warden", &frames[i], retval)) {
				err = d < 0 ? (int)d : -EPROTO;
				goto out;
			}
			tw[r] = d;
			d = time_run(x.prog_fd, &f, o->repeat, &retval);
			if (d < 0 || check_verdict(o, "xdp-filter", &frames[i], retval)) {
				err = d < 0 ? (int)d : -EPROTO;
				goto out;
			}
			tx[r] = d;
		}
		if (n_prefix)
			snprintf(label, sizeof(label), "%u exact + %u /24", n_exact, n_prefix);
		else
			snprintf(label, sizeof(label), "%u exact", n_exact);
		{
			long long mw = median(tw, o->runs), mx = median(tx, o->runs);

			if (o->markdown)
				printf("| %s | %s | %lld | %lld | %.2f |\n", label, frames[i].name, mw,
				       mx, mx ? (double)mw / (double)mx : 0.0);
			else
				printf("%-26s %-30s warden %4lld ns  xdp-filter %4lld ns  ratio %.2f\n",
				       label, frames[i].name, mw, mx,
				       mx ? (double)mw / (double)mx : 0.0);
			fflush(stdout);
		}
	}
	fprintf(stderr, "  (fill: warden banmap__ban_many %.2f s for %u bans; xdp-filter batch "
		"%.2f s for %zu entries)\n", w.fill_s, n_exact + n_prefix, x.fill_s,
		(size_t)n_exact + (size_t)n_prefix * 256);
	err = 0;
out:
	free(tw);
	free(tx);
out_x:
	xdpfilt_close(&x);
out_w:
	warden_close(&w);
	return err;
}

static int parse_sizes(const char *s, struct tr_opts *o)
{
	char *copy = strdup(s), *tok, *save = NULL;

	if (!copy)
		return -ENOMEM;
	o->n_sizes = 0;
	for (tok = strtok_r(copy, ",", &save); tok && o->n_sizes < 8;
	     tok = strtok_r(NULL, ",", &save))
		o->sizes[o->n_sizes++] = (uint32_t)strtoul(tok, NULL, 10);
	free(copy);
	return o->n_sizes ? 0 : -EINVAL;
}

static int cmd_testrun(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "repeat", required_argument, NULL, 'r' },
		{ "runs", required_argument, NULL, 'n' },
		{ "sizes", required_argument, NULL, 's' },
		{ "prefixes", required_argument, NULL, 'p' },
		{ "allow", required_argument, NULL, 'a' },
		{ "xdp-filter-obj", required_argument, NULL, 'o' },
		{ "markdown", no_argument, NULL, 'm' },
		{ "no-verify", no_argument, NULL, 'V' },
		{ 0 },
	};
	struct tr_opts o = { .repeat = 1000000, .runs = 5, .prefixes = 10000 };
	int c, i, p, err = 0;

	parse_sizes("1,10000,1000000", &o);
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'r':
			o.repeat = (__u32)strtoul(optarg, NULL, 10);
			break;
		case 'n':
			o.runs = atoi(optarg);
			break;
		case 's':
			if (parse_sizes(optarg, &o))
				return 2;
			break;
		case 'p':
			o.prefixes = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'a':
			o.allow = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'o':
			xdpfilt_obj = optarg;
			break;
		case 'm':
			o.markdown = 1;
			break;
		case 'V':
			o.no_verify = 1;
			break;
		default:
			return 2;
		}
	}
	if (o.runs < 1 || o.repeat < 1)
		return 2;
	err = private_bpffs();
	if (err) {
		fprintf(stderr, "xdp-bench: cannot mount a private bpffs: %s\n", strerror(-err));
		return 1;
	}
	if (o.markdown) {
		printf("| bans | frame | warden ns/pkt | xdp-filter ns/pkt | warden / xdp-filter |\n");
		printf("|---|---|---:|---:|---:|\n");
	}
	/* Each size without prefixes, then with them. */
	for (p = 0; p < 2 && !err; p++) {
		if (p == 1 && !o.prefixes)
			break;
		for (i = 0; i < o.n_sizes && !err; i++)
			err = testrun_config(&o, o.sizes[i], p ? o.prefixes : 0);
	}
	return err ? 1 : 0;
}

/* ---- send: a raw AF_PACKET sender, bounded in packets and time ---- */

static int parse_mac(const char *s, __u8 mac[ETH_ALEN])
{
	unsigned int b[ETH_ALEN];
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
		return -EINVAL;
	for (i = 0; i < ETH_ALEN; i++)
		mac[i] = (__u8)b[i];
	return 0;
}

/* A UDP frame of size bytes (>= headers) from src to dst, IPv4 or IPv6. */
static size_t build_udp(__u8 *buf, size_t size, const __u8 *smac, const __u8 *dmac,
			const char *src, const char *dst)
{
	struct ethhdr *eth = (struct ethhdr *)buf;
	struct in6_addr s6, d6;
	struct in_addr s4, d4;
	struct udphdr *udp;
	size_t l3;

	memset(buf, 0, size);
	memcpy(eth->h_dest, dmac, ETH_ALEN);
	memcpy(eth->h_source, smac, ETH_ALEN);
	if (inet_pton(AF_INET, src, &s4) == 1 && inet_pton(AF_INET, dst, &d4) == 1) {
		struct iphdr *ip = (struct iphdr *)(eth + 1);
		__u32 sum = 0;
		__u16 *w = (__u16 *)ip;
		int i;

		if (size < sizeof(*eth) + sizeof(*ip) + sizeof(*udp))
			return 0;
		eth->h_proto = htons(ETH_P_IP);
		l3 = size - sizeof(*eth);
		ip->version = 4;
		ip->ihl = 5;
		ip->ttl = 64;
		ip->protocol = IPPROTO_UDP;
		ip->tot_len = htons((__u16)l3);
		ip->saddr = s4.s_addr;
		ip->daddr = d4.s_addr;
		for (i = 0; i < 10; i++)
			sum += w[i];
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		ip->check = (__u16)~sum;
		udp = (struct udphdr *)(ip + 1);
	} else if (inet_pton(AF_INET6, src, &s6) == 1 && inet_pton(AF_INET6, dst, &d6) == 1) {
		struct ipv6hdr *ip6 = (struct ipv6hdr *)(eth + 1);

		if (size < sizeof(*eth) + sizeof(*ip6) + sizeof(*udp))
			return 0;
		eth->h_proto = htons(ETH_P_IPV6);
		ip6->version = 6;
		ip6->nexthdr = IPPROTO_UDP;
		ip6->hop_limit = 64;
		ip6->payload_len = htons((__u16)(size - sizeof(*eth) - sizeof(*ip6)));
		ip6->saddr = s6;
		ip6->daddr = d6;
		udp = (struct udphdr *)(ip6 + 1);
	} else {
		return 0;
	}
	udp->source = htons(9);
	udp->dest = htons(9);
	udp->len = htons((__u16)(buf + size - (__u8 *)udp));
	return size;
}

static int cmd_send(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "iface", required_argument, NULL, 'i' },
		{ "dst-mac", required_argument, NULL, 'M' },
		{ "src", required_argument, NULL, 's' },
		{ "dst", required_argument, NULL, 'd' },
		{ "seconds", required_argument, NULL, 't' },
		{ "count", required_argument, NULL, 'c' },
		{ "size", required_argument, NULL, 'z' },
		{ 0 },
	};
	enum { BATCH = 256 };
	const char *iface = NULL, *src = NULL, *dst = NULL;
	__u8 dmac[ETH_ALEN] = { 0 }, frame[2048];
	struct mmsghdr msgs[BATCH];
	struct sockaddr_ll sll = { 0 };
	struct iovec iov;
	struct ifreq ifr;
	double seconds = 5;
	unsigned long long count = 100000000ULL, sent = 0, errors = 0;
	size_t size = 64, len;
	uint64_t t0, deadline, now;
	struct rusage ru;
	double cpu_ns;
	int c, fd, one = 1, i, n;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'i':
			iface = optarg;
			break;
		case 'M':
			if (parse_mac(optarg, dmac))
				return 2;
			break;
		case 's':
			src = optarg;
			break;
		case 'd':
			dst = optarg;
			break;
		case 't':
			seconds = atof(optarg);
			break;
		case 'c':
			count = strtoull(optarg, NULL, 10);
			break;
		case 'z':
			size = strtoul(optarg, NULL, 10);
			break;
		default:
			return 2;
		}
	}
	if (!iface || !src || !dst || size > sizeof(frame) || seconds <= 0) {
		fprintf(stderr, "usage: xdp-bench send --iface IF --dst-mac MAC --src IP --dst IP "
			"[--seconds S] [--count N] [--size BYTES]\n");
		return 2;
	}
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0); /* protocol 0: send only */
	if (fd < 0) {
		perror("xdp-bench send: socket");
		return 1;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", iface);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
		perror("xdp-bench send: SIOCGIFHWADDR");
		return 1;
	}
	len = build_udp(frame, size, (const __u8 *)ifr.ifr_hwaddr.sa_data, dmac, src, dst);
	if (!len) {
		fprintf(stderr, "xdp-bench send: bad addresses or size\n");
		return 2;
	}
	/* Straight to the driver: the sender's qdisc is not what we measure. */
	setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = (int)if_nametoindex(iface);
	sll.sll_halen = ETH_ALEN;
	memcpy(sll.sll_addr, dmac, ETH_ALEN);
	if (!sll.sll_ifindex || bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		perror("xdp-bench send: bind");
		return 1;
	}
	iov.iov_base = frame;
	iov.iov_len = len;
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < BATCH; i++) {
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	/* ^C kills us outright, so that the shell running us sees it and stops too. */
	t0 = time__mono_ns();
	deadline = t0 + (uint64_t)(seconds * 1e9);
	now = t0;
	while (sent < count) {
		n = sendmmsg(fd, msgs, (unsigned int)(count - sent < BATCH ? count - sent : BATCH), 0);
		if (n < 0) {
			if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR) {
				perror("xdp-bench send: sendmmsg");
				break;
			}
			errors++;
		} else {
			sent += (unsigned long long)n;
		}
		now = time__mono_ns();
		if (now >= deadline)
			break;
	}
	close(fd);
	/*
	 * On a veth the receiving side runs in softirq on the sending CPU,
	 * mostly in our context (at local_bh_enable), so our CPU time per
	 * packet is send + receive + filter, and does not count other load.
	 */
	getrusage(RUSAGE_SELF, &ru);
	cpu_ns = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e9 +
		 (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e3;
	printf("sent %llu seconds %.3f pps %.0f errors %llu cpu_ns_per_packet %.0f\n", sent,
	       (double)(now - t0) / 1e9, (double)sent / ((double)(now - t0) / 1e9), errors,
	       sent ? cpu_ns / (double)sent : 0.0);
	return 0;
}

/* ---- counters and xdp-filter's table, for the veth runs ---- */

/* Sum over CPUs of xdp-filter's per-action packet counter (xdp_stats_map[action]). */
static int xdpfilt_action_packets(const char *pin_dir, __u32 action, unsigned long long *out)
{
	int ncpu = libbpf_num_possible_cpus(), fd, i;
	char path[PATH_MAX];
	__u64 *v; /* packets, bytes per CPU */

	snprintf(path, sizeof(path), "%s/xdp_stats_map", pin_dir);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	v = calloc((size_t)ncpu * 2, sizeof(*v));
	if (!v) {
		close(fd);
		return -ENOMEM;
	}
	if (bpf_map_lookup_elem(fd, &action, v)) {
		int err = -errno;

		free(v);
		close(fd);
		return err;
	}
	*out = 0;
	for (i = 0; i < ncpu; i++)
		*out += v[2 * i];
	free(v);
	close(fd);
	return 0;
}

static int cmd_drops(int argc, char **argv)
{
	unsigned long long n = 0;
	int err;

	if (argc != 3) {
		fprintf(stderr, "usage: xdp-bench drops warden|xdp-filter PIN_DIR\n");
		return 2;
	}
	if (!strcmp(argv[1], "warden")) {
		struct banmap *bm = banmap__open(argv[2], BANMAP_EXISTING);
		struct xdp_counters c;

		if (!bm)
			return 1;
		err = banmap__counters(bm, &c);
		banmap__close(bm);
		n = c.dropped_exact + c.dropped_prefix;
	} else if (!strcmp(argv[1], "xdp-filter")) {
		err = xdpfilt_action_packets(argv[2], XDP_DROP, &n);
	} else {
		return 2;
	}
	if (err) {
		fprintf(stderr, "xdp-bench drops: %s\n", strerror(-err));
		return 1;
	}
	printf("%llu\n", n);
	return 0;
}

/* Fill xdp-filter's pinned filter_ipv4/filter_ipv6 with source rules, one address per line. */
static int cmd_xdpfilt_fill(int argc, char **argv)
{
	int ncpu = libbpf_num_possible_cpus(), fd4, fd6, i, err = 0;
	char path[PATH_MAX], line[128];
	unsigned long long n4 = 0, n6 = 0;
	__u64 *val;
	FILE *f;

	if (argc != 3) {
		fprintf(stderr, "usage: xdp-bench xdp-filter-fill PIN_DIR FILE\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/filter_ipv4", argv[1]);
	fd4 = bpf_obj_get(path);
	snprintf(path, sizeof(path), "%s/filter_ipv6", argv[1]);
	fd6 = bpf_obj_get(path);
	f = fopen(argv[2], "r");
	val = calloc((size_t)ncpu, sizeof(*val));
	if (fd4 < 0 || fd6 < 0 || !f || !val) {
		fprintf(stderr, "xdp-bench xdp-filter-fill: cannot open the maps or the file\n");
		return 1;
	}
	for (i = 0; i < ncpu; i++)
		val[i] = XDPFILT_MAP_FLAG_SRC;
	while (fgets(line, sizeof(line), f)) {
		struct in6_addr a6;
		struct in_addr a4;

		line[strcspn(line, "\r\n")] = '\0';
		if (!line[0])
			continue;
		if (inet_pton(AF_INET, line, &a4) == 1) {
			if (bpf_map_update_elem(fd4, &a4, val, BPF_ANY)) {
				err = -errno;
				break;
			}
			n4++;
		} else if (inet_pton(AF_INET6, line, &a6) == 1) {
			if (bpf_map_update_elem(fd6, &a6, val, BPF_ANY)) {
				err = -errno;
				break;
			}
			n6++;
		} else {
			fprintf(stderr, "xdp-bench xdp-filter-fill: bad address '%s'\n", line);
			err = -EINVAL;
			break;
		}
	}
	fclose(f);
	free(val);
	close(fd4);
	close(fd6);
	if (err) {
		fprintf(stderr, "xdp-bench xdp-filter-fill: %s\n", strerror(-err));
		return 1;
	}
	printf("filled %llu IPv4, %llu IPv6\n", n4, n6);
	return 0;
}

int main(int argc, char **argv)
{
	log__setup(0, LOG_WARN);
	libbpf_set_print(log__libbpf_print);
	if (argc >= 2 && !strcmp(argv[1], "testrun"))
		return cmd_testrun(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "send"))
		return cmd_send(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "drops"))
		return cmd_drops(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "xdp-filter-fill"))
		return cmd_xdpfilt_fill(argc - 1, argv + 1);
	fprintf(stderr,
		"usage: xdp-bench testrun [--repeat N] [--runs N] [--sizes A,B,..] [--prefixes N]\n"
		"                         [--allow N] [--xdp-filter-obj FILE] [--markdown] [--no-verify]\n"
		"       xdp-bench send --iface IF --dst-mac MAC --src IP --dst IP [--seconds S]\n"
		"                      [--count N] [--size BYTES]\n"
		"       xdp-bench drops warden|xdp-filter PIN_DIR\n"
		"       xdp-bench xdp-filter-fill PIN_DIR FILE\n"
		"Run as root. tools/bench/xdp/run.sh drives it.\n");
	return 2;
}
