// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* xdp-throttle-bench.c - benchmark: ns per packet of the XDP program with throttling on, next to the plain ban lookup. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "banmap.h"
#include "log.h"
#include "mapsize.h"
#include "throttle.h"
#include "timeutil.h"
#include "xdp_ban.skel.h"

/*
 * Every case runs the real program (build/xdp_ban.bpf.o, from the
 * skeleton) through BPF_PROG_TEST_RUN on a 64-byte IPv4/TCP frame and
 * takes the kernel's own time per run (duration), median of --runs runs of
 * --repeat repeats. The verdict of every case is checked.
 *
 * BPF_PROG_TEST_RUN repeats one frame: one client. The cases where every
 * packet is a new source (a spoofed flood) run each frame
 * once (repeat 1), which adds the kernel's timer overhead to the figure;
 * the plain ban lookup is measured the same way next to them, so that the
 * difference is the throttle's.
 */

struct frame64 {
	struct ethhdr eth;
	struct iphdr iph;
	struct tcphdr tcp;
	__u8 payload[10];
} __attribute__((packed));

_Static_assert(sizeof(struct frame64) == 64, "64-byte frame");

static struct frame64 frame(uint32_t src_host, int syn)
{
	struct frame64 f = {
		.eth = { .h_dest = { 0x02, 0, 0, 0, 0, 1 }, .h_source = { 0x02, 0, 0, 0, 0, 2 },
			 .h_proto = htons(ETH_P_IP) },
		.iph = { .version = 4, .ihl = 5, .ttl = 64, .protocol = IPPROTO_TCP,
			 .tot_len = htons(sizeof(struct iphdr) + sizeof(struct tcphdr) + 10),
			 .saddr = htonl(src_host), .daddr = htonl(0xc0000201) /* 192.0.2.1 */ },
		.tcp = { .source = htons(40000), .dest = htons(80), .doff = 5, .window = htons(512) },
	};

	f.tcp.syn = syn;
	f.tcp.ack = !syn;
	return f;
}

#define SRC_CLIENT 0xc6336407u /* 198.51.100.7 */
#define SRC_BANNED 0xcb007107u /* 203.0.113.7 */
#define SRC_PRIO   0xcb007109u /* 203.0.113.9 */

struct opts {
	__u32 repeat;
	int runs;
	uint32_t flood; /* new clients in the full-LRU cases */
	int markdown;
};

struct bench {
	char pin_path[PATH_MAX];
	struct banmap *bm;
	struct throttle *t;
	struct xdp_ban_bpf *skel;
	int prog_fd;
};

static char bpffs_dir[] = "/tmp/wthrbench.XXXXXX";

static int private_bpffs(void)
{
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;
	if (!mkdtemp(bpffs_dir))
		return -errno;
	if (mount("bpf", bpffs_dir, "bpf", 0, "mode=0700") < 0)
		return -errno;
	return 0;
}

static void bench_close(struct bench *b)
{
	throttle__close(b->t);
	if (b->skel) {
		bpf_object__unpin_maps(b->skel->obj, NULL);
		xdp_ban_bpf__destroy(b->skel);
	}
	banmap__close(b->bm);
	rmdir(b->pin_path);
	memset(b, 0, sizeof(*b));
}

/* A fresh pin root, the maps, the program, one ban (203.0.113.7) and one priority peer. */
static int bench_open(struct bench *b, const char *name)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts);
	struct prefix banned, prio;
	uint32_t be;
	int err;

	memset(b, 0, sizeof(*b));
	snprintf(b->pin_path, sizeof(b->pin_path), "%s/%s", bpffs_dir, name);
	b->bm = banmap__open(b->pin_path, BANMAP_CREATE);
	if (!b->bm)
		return -errno;
	/* Every case but the first throttles: the maps at full size, as after a first limit. */
	err = mapsize__grow(b->pin_path, true, NULL);
	if (err)
		return err;
	b->t = throttle__open(b->pin_path);
	if (!b->t)
		return -errno;
	opts.pin_root_path = b->pin_path;
	b->skel = xdp_ban_bpf__open_opts(&opts);
	if (!b->skel)
		return -errno;
	err = mapsize__apply(b->skel->obj, b->pin_path);
	if (err)
		return err;
	err = xdp_ban_bpf__load(b->skel);
	if (err)
		return err;
	b->prog_fd = bpf_program__fd(b->skel->progs.xdp_ban);
	be = htonl(SRC_BANNED);
	prefix__from_bytes(&banned, 4, &be);
	err = banmap__ban(b->bm, &banned, 0, "bench", BAN_SOURCE_CLI, 1);
	if (err)
		return err;
	be = htonl(SRC_PRIO);
	prefix__from_bytes(&prio, 4, &be);
	err = banmap__allow(b->bm, &prio);
	return err ? err : throttle__priority_add(b->t, &prio);
}

/* ns per run of the frame, as the kernel measures it over repeat runs; <0 on error. */
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

static void row(const struct opts *o, const char *setting, const char *pkt, const char *verdict,
		long long ns)
{
	if (o->markdown)
		printf("| %s | %s | %s | %lld |\n", setting, pkt, verdict, ns);
	else
		printf("%-44s %-40s %-20s %6lld ns\n", setting, pkt, verdict, ns);
	fflush(stdout);
}

/* One frame repeated: the median ns per packet; checks the verdict. */
static int measure(const struct opts *o, struct bench *b, const char *setting, const char *pkt,
		   const struct frame64 *f, int expect, const char *verdict)
{
	long long *t = calloc((size_t)o->runs, sizeof(*t)), d;
	__u32 retval = 0;
	int r;

	if (!t)
		return -ENOMEM;
	for (r = 0; r < o->runs; r++) {
		d = time_run(b->prog_fd, f, o->repeat, &retval);
		if (d < 0 || (int)retval != expect) {
			fprintf(stderr, "xdp-throttle-bench: %s / %s: %s\n", setting, pkt,
				d < 0 ? strerror((int)-d) : "unexpected verdict");
			free(t);
			return d < 0 ? (int)d : -EPROTO;
		}
		t[r] = d;
	}
	row(o, setting, pkt, verdict, median(t, o->runs));
	free(t);
	return 0;
}

/*
 * A flood of new clients, each frame once: the median over runs of the mean
 * ns per packet. first is the first source address (host order).
 */
static int measure_flood(const struct opts *o, struct bench *b, const char *setting,
			 const char *pkt, uint32_t first, int syn, int expect, const char *verdict)
{
	long long *t = calloc((size_t)o->runs, sizeof(*t)), sum, d;
	struct frame64 f;
	__u32 retval, i;
	int r;

	if (!t)
		return -ENOMEM;
	for (r = 0; r < o->runs; r++) {
		sum = 0;
		for (i = 0; i < o->flood; i++) {
			f = frame(first + (uint32_t)r * o->flood + i, syn);
			d = time_run(b->prog_fd, &f, 1, &retval);
			if (d < 0 || (int)retval != expect) {
				fprintf(stderr, "xdp-throttle-bench: %s / %s: %s\n", setting, pkt,
					d < 0 ? strerror((int)-d) : "unexpected verdict");
				free(t);
				return d < 0 ? (int)d : -EPROTO;
			}
			sum += d;
		}
		t[r] = sum / o->flood;
	}
	row(o, setting, pkt, verdict, median(t, o->runs));
	free(t);
	return 0;
}

static int set_limits(struct bench *b, const char *conn, uint32_t cb, const char *pkt, uint32_t pb)
{
	struct throttle_limits l = { .conn_burst = cb, .pkt_burst = pb };
	uint64_t ci, pi;

	if (throttle__parse_rate(conn, &ci, NULL) || throttle__parse_rate(pkt, &pi, NULL))
		return -EINVAL;
	l.conn_interval_ns = ci;
	l.pkt_interval_ns = pi;
	return throttle__set_default(b->t, &l);
}

/* Fill warden_clients to the brim with clients no frame uses (IPv6 /64 keys). */
static int fill_lru(struct bench *b, double *secs)
{
	enum { N = WARDEN_MAX_CLIENTS };
	struct throttle_key *keys = calloc(N, sizeof(*keys));
	struct throttle_state *vals = calloc(N, sizeof(*vals));
	LIBBPF_OPTS(bpf_map_batch_opts, bopts);
	uint64_t t0 = time__mono_ns();
	__u32 i, count, done = 0;
	int err = 0, fd = bpf_map__fd(b->skel->maps.warden_clients);

	if (!keys || !vals) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < N; i++) {
		keys[i].addr[0] = 0x20;
		keys[i].addr[1] = 0x01;
		keys[i].addr[2] = 0x0d;
		keys[i].addr[3] = 0xb8;
		memcpy(&keys[i].addr[4], &i, 4);
		vals[i].syn_ns = 1;
	}
	while (done < N && !err) {
		count = N - done > 65536 ? 65536 : N - done;
		if (bpf_map_update_batch(fd, keys + done, vals + done, &count, &bopts))
			err = -errno;
		done += count;
	}
	*secs = (double)(time__mono_ns() - t0) / 1e9;
out:
	free(keys);
	free(vals);
	return err;
}

static int run_all(const struct opts *o)
{
	struct frame64 syn = frame(SRC_CLIENT, 1), ack = frame(SRC_CLIENT, 0);
	struct frame64 banned = frame(SRC_BANNED, 1), prio = frame(SRC_PRIO, 1);
	struct bench b;
	double fill_s = 0;
	int err;

	if (o->markdown) {
		printf("| setting | packet | verdict | ns/pkt |\n");
		printf("|---|---|---|---:|\n");
	}

	/* 1. The plain ban lookup: nothing throttled, nothing shed (the stage is off). */
	err = bench_open(&b, "plain");
	if (!err)
		err = measure(o, &b, "no throttle (plain ban lookup)", "SYN, not banned", &syn,
			      XDP_PASS, "pass");
	if (!err)
		err = measure(o, &b, "no throttle (plain ban lookup)", "ACK, not banned", &ack,
			      XDP_PASS, "pass");
	if (!err)
		err = measure(o, &b, "no throttle (plain ban lookup)", "SYN, banned", &banned,
			      XDP_DROP, "drop (ban)");
	bench_close(&b);
	if (err)
		return err;

	/* 2. Throttling on, the client under its limit (limits no repeat can reach). */
	err = bench_open(&b, "under");
	if (!err)
		err = set_limits(&b, "1000000000/s", 100000000, "1000000000/s", 100000000);
	if (!err)
		err = measure(o, &b, "conn + pkt limits, client under them", "SYN (both buckets)",
			      &syn, XDP_PASS, "pass");
	if (!err)
		err = measure(o, &b, "conn + pkt limits, client under them", "ACK (packet bucket)",
			      &ack, XDP_PASS, "pass");
	if (!err)
		err = measure(o, &b, "conn + pkt limits, client under them", "SYN, priority peer",
			      &prio, XDP_PASS, "pass (priority)");
	if (!err)
		err = measure(o, &b, "conn + pkt limits, client under them", "SYN, banned", &banned,
			      XDP_DROP, "drop (ban)");
	if (!err)
		err = set_limits(&b, "1000000000/s", 100000000, "off", 0);
	if (!err)
		err = measure(o, &b, "conn limit only, client under it", "SYN (conn bucket)", &syn,
			      XDP_PASS, "pass");
	if (!err)
		err = measure(o, &b, "conn limit only, client under it", "ACK (history only)", &ack,
			      XDP_PASS, "pass");
	bench_close(&b);
	if (err)
		return err;

	/* 3. Throttling on, the client over its limit: every repeat after the first is dropped. */
	err = bench_open(&b, "over");
	if (!err)
		err = set_limits(&b, "1/s", 1, "1/s", 1);
	if (!err)
		err = measure(o, &b, "conn + pkt limits 1/s, client over them", "SYN", &syn,
			      XDP_DROP, "drop (conn rate)");
	if (!err)
		err = measure(o, &b, "conn + pkt limits 1/s, client over them", "ACK", &ack,
			      XDP_DROP, "drop (pkt rate)");
	if (!err)
		err = throttle__shed(b.t, true);
	if (!err) {
		struct frame64 stranger = frame(SRC_CLIENT + 1, 1);

		err = measure(o, &b, "shedding", "SYN, unknown client", &stranger, XDP_DROP,
			      "drop (shed)");
	}
	if (!err)
		err = measure(o, &b, "shedding", "SYN, priority peer", &prio, XDP_PASS,
			      "pass (priority)");
	bench_close(&b);
	if (err)
		return err;

	/*
	 * 4. A new source each packet (a spoofed flood): counted in the sketch,
	 * nothing inserted; then with the known clients' LRU full.
	 */
	err = bench_open(&b, "full");
	if (!err)
		err = set_limits(&b, "1000000000/s", 100000000, "1000000000/s", 100000000);
	if (!err)
		err = measure_flood(o, &b, "limits, each packet once (sketch)",
				    "SYN, a new source each", 0x0d000001u, 1, XDP_PASS, "pass");
	if (!err)
		err = fill_lru(&b, &fill_s);
	if (!err)
		err = measure(o, &b, "limits, known-client LRU full (262,144)", "SYN, tracked client",
			      &syn, XDP_PASS, "pass");
	if (!err)
		err = measure_flood(o, &b, "limits, LRU full, each packet once",
				    "SYN, a new source each", 0x0a000001u, 1, XDP_PASS,
				    "pass");
	if (!err)
		err = measure_flood(o, &b, "limits, LRU full, each packet once",
				    "ACK, a new source each", 0x0b000001u, 0, XDP_PASS,
				    "pass");
	if (!err)
		err = set_limits(&b, "off", 0, "off", 0);
	if (!err)
		err = measure_flood(o, &b, "no throttle, each packet once", "SYN, a new source each",
				    0x0c000001u, 1, XDP_PASS, "pass");
	bench_close(&b);
	if (!err)
		fprintf(stderr, "(filling the client map with %d entries took %.2f s)\n",
			WARDEN_MAX_CLIENTS, fill_s);
	return err;
}

static const char *usage =
	"usage: xdp-throttle-bench [--runs N] [--repeat N] [--flood N] [--markdown]\n"
	"ns per packet of the XDP program (BPF_PROG_TEST_RUN, 64-byte IPv4/TCP) with\n"
	"throttling off (the plain ban lookup) and on: a client under its limit, over it,\n"
	"shedding, a new source each packet, and with the known clients' LRU full.\n"
	"Needs root; runs in a private bpffs.\n";

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "runs", required_argument, NULL, 'r' },
		{ "repeat", required_argument, NULL, 'n' },
		{ "flood", required_argument, NULL, 'f' },
		{ "markdown", no_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct opts o = { .repeat = 1000000, .runs = 5, .flood = 100000 };
	int c, err;

	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			o.runs = atoi(optarg);
			break;
		case 'n':
			o.repeat = (__u32)strtoul(optarg, NULL, 10);
			break;
		case 'f':
			o.flood = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'm':
			o.markdown = 1;
			break;
		case 'h':
			printf("%s", usage);
			return 0;
		default:
			fprintf(stderr, "%s", usage);
			return 2;
		}
	}
	if (o.runs < 1 || !o.repeat || !o.flood || o.flood > 1000000) {
		fprintf(stderr, "%s", usage);
		return 2;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "xdp-throttle-bench: needs root\n");
		return 2;
	}
	log__setup(0, LOG_WARN);
	libbpf_set_print(log__libbpf_print);
	err = private_bpffs();
	if (err) {
		fprintf(stderr, "xdp-throttle-bench: cannot mount a private bpffs: %s\n", strerror(-err));
		return 1;
	}
	err = run_all(&o);
	umount2(bpffs_dir, MNT_DETACH);
	rmdir(bpffs_dir);
	if (err) {
		fprintf(stderr, "xdp-throttle-bench: %s\n", strerror(-err));
		return 1;
	}
	return 0;
}
