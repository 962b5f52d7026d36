// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* capture.c - samples of the packets the XDP program dropped, from its perf rings to a pcap file. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>
/* pcap's classic-BPF struct bpf_insn would clash with the kernel's (xdp-pcap-replay.c does the same). */
#define bpf_insn pcap_bpf_insn
#include <pcap/pcap.h>
#undef bpf_insn
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "capture.h"
#include "log.h"
#include "loop.h"
#include "pins.h"
#include "timeutil.h"

_Static_assert(sizeof(struct capture_config) == 24, "capture_config layout");
_Static_assert(sizeof(struct capture_meta) == 24, "capture_meta layout");

#define PERF_PAGES 64 /* pages of each CPU's perf ring (256 KiB with 4 KiB pages) */

struct capture {
	int perf_fd;  /* warden_capture */
	int cfg_fd;   /* warden_capcfg */
	struct pins *pins; /* the pin folder, locked like banmap.c does around every change */
};

/* One run's state, seen by the perf callbacks. */
struct run {
	const struct capture_opts *o;
	struct capture_result *res;
	pcap_dumper_t *dumper;
	uint32_t snaplen;
	int64_t wall_minus_boot_ns; /* CLOCK_REALTIME - CLOCK_BOOTTIME */
	int done;                   /* the count is reached */
	/* The loop: the perf rings, the lease renewal, the end, the caller's stop. */
	struct loop *loop;
	struct capture *c;
	struct capture_config *cfg;
	struct perf_buffer *pb;
	uint64_t end_ns;
	int err;                    /* what ended the loop, 0 for a normal end */
};

const char *capture__reason_name(uint32_t reason)
{
	static const char *const names[] = {
		[CAPTURE_EXACT] = "exact", [CAPTURE_PREFIX] = "prefix",
		[CAPTURE_THROTTLE_CONN] = "throttle-conn", [CAPTURE_THROTTLE_PKT] = "throttle-pkt",
		[CAPTURE_SHED] = "shed",
	};

	if (reason >= sizeof(names) / sizeof(names[0]) || !names[reason])
		return "?";
	return names[reason];
}

struct capture *capture__open(const char *pin_path)
{
	static const struct pins_map_def perf_def = {
		.type = BPF_MAP_TYPE_PERF_EVENT_ARRAY, .value_size = sizeof(__u32),
	};
	static const struct pins_map_def cfg_def = {
		.type = BPF_MAP_TYPE_ARRAY, .value_size = sizeof(struct capture_config),
	};
	struct capture *c;
	int err;

	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->perf_fd = c->cfg_fd = -1;

	c->pins = pins__open(pin_path, PINS_EXISTING);
	if (!c->pins) {
		err = -errno;
		goto err_out;
	}
	c->perf_fd = pins__map_fd(c->pins, WARDEN_STR(MAP_CAPTURE), &perf_def);
	if (c->perf_fd < 0) {
		err = c->perf_fd;
		goto err_maps;
	}
	c->cfg_fd = pins__map_fd(c->pins, WARDEN_STR(MAP_CAP_CFG), &cfg_def);
	if (c->cfg_fd < 0) {
		err = c->cfg_fd;
		goto err_maps;
	}
	return c;

err_maps:
	if (err == -ENOENT)
		pr_warn("no capture maps under %s: the program attached there predates "
			"'warden capture'; run 'warden attach IFACE' with this warden", pin_path);
	else if (err != -EPROTO)
		pr_warn("cannot open the capture maps under %s: %s", pin_path, strerror(-err));
err_out:
	capture__close(c);
	errno = -err;
	return NULL;
}

void capture__close(struct capture *c)
{
	if (!c)
		return;
	if (c->perf_fd >= 0)
		close(c->perf_fd);
	if (c->cfg_fd >= 0)
		close(c->cfg_fd);
	pins__close(c->pins);
	free(c);
}

int capture__status(struct capture *c, struct capture_config *out)
{
	__u32 zero = 0;

	if (bpf_map_lookup_elem(c->cfg_fd, &zero, out))
		return -errno;
	return 0;
}

/* CLOCK_REALTIME - CLOCK_BOOTTIME in ns, to turn the kernel's timestamps into wall time. */
static int64_t wall_minus_boot(void)
{
	struct timespec real;
	uint64_t b0, b1;

	b0 = time__boot_ns();
	clock_gettime(CLOCK_REALTIME, &real);
	b1 = time__boot_ns();
	return (int64_t)real.tv_sec * 1000000000LL + real.tv_nsec - (int64_t)(b0 + (b1 - b0) / 2);
}

/* One sample: the metadata, then cap_len bytes of the packet. */
static void on_sample(void *ctx, int cpu, void *data, __u32 size)
{
	struct run *r = ctx;
	struct capture_meta m;
	struct pcap_pkthdr hdr = {};
	int64_t wall;
	__u32 cap;

	(void)cpu;
	if (r->done || size < sizeof(m))
		return;
	/* A perf sample is only 4-byte aligned: copy the metadata out. */
	memcpy(&m, data, sizeof(m));
	/* The kernel pads a sample to 8 bytes: trust cap_len, bounded by what came. */
	cap = m.cap_len;
	if (cap > size - sizeof(m))
		cap = size - sizeof(m);
	if (cap > r->snaplen)
		cap = r->snaplen;
	wall = (int64_t)m.time_ns + r->wall_minus_boot_ns;
	hdr.ts.tv_sec = wall / 1000000000LL;
	hdr.ts.tv_usec = wall % 1000000000LL; /* nanoseconds: the dumper is nano-precision */
	hdr.caplen = cap;
	hdr.len = m.pkt_len > cap ? m.pkt_len : cap;
	pcap_dump((u_char *)r->dumper, &hdr, (const u_char *)data + sizeof(m));
	r->res->written++;
	if (m.reason <= CAPTURE_SHED)
		r->res->by_reason[m.reason]++;
	if (r->o->count && r->res->written >= r->o->count) {
		r->done = 1;
		loop__stop(r->loop);
	}
}

static void on_lost(void *ctx, int cpu, __u64 cnt)
{
	struct run *r = ctx;

	(void)cpu;
	r->res->lost += cnt;
}

/* Whether a capture by another live process holds the kernel's flag at now. */
static int held_by_other(const struct capture_config *cfg, uint64_t now)
{
	if (!cfg->until_ns || now >= cfg->until_ns)
		return 0;
	if (cfg->pid == (__u32)getpid())
		return 0;
	return cfg->pid && (kill((pid_t)cfg->pid, 0) == 0 || errno == EPERM);
}

/* Push the flag's lease forward, no further than end_ns (0 = no end). */
static int renew(struct capture *c, struct capture_config *cfg, uint64_t end_ns)
{
	uint64_t until = time__boot_ns() + WARDEN_CAPTURE_LEASE_NS;
	__u32 zero = 0;

	if (end_ns && until > end_ns)
		until = end_ns;
	cfg->until_ns = until ? until : 1;
	if (bpf_map_update_elem(c->cfg_fd, &zero, cfg, BPF_ANY))
		return -errno;
	return 0;
}

/* Turn capturing off, if it is still ours. */
static void switch_off(struct capture *c)
{
	struct capture_config cfg = {};
	__u32 zero = 0;

	pins__lock(c->pins);
	if (!bpf_map_lookup_elem(c->cfg_fd, &zero, &cfg) && cfg.pid == (__u32)getpid()) {
		memset(&cfg, 0, sizeof(cfg));
		if (bpf_map_update_elem(c->cfg_fd, &zero, &cfg, BPF_ANY))
			pr_warn("cannot turn capturing off: %s (it lapses within %llu s)",
				strerror(errno), WARDEN_CAPTURE_LEASE_NS / NSEC_PER_SEC);
	}
	pins__unlock(c->pins);
}

static void fail_run(struct run *r, int err)
{
	r->err = err;
	loop__stop(r->loop);
}

/* Every ring that has samples. */
static void on_rings(void *ctx, int fd, uint32_t events)
{
	struct run *r = ctx;
	int err;

	(void)fd;
	(void)events;
	err = perf_buffer__consume(r->pb);
	if (err < 0)
		fail_run(r, err);
}

/* The lease is renewed every second: a capture whose warden died lapses by itself. */
static void on_renew(void *ctx)
{
	struct run *r = ctx;
	int err = renew(r->c, r->cfg, r->end_ns);

	if (err)
		fail_run(r, err);
}

/* The end of --duration. */
static void on_end(void *ctx)
{
	struct run *r = ctx;

	loop__stop(r->loop);
}

/* The caller's stop (a signal). */
static void on_stop(void *ctx, int fd, uint32_t events)
{
	(void)fd;
	(void)events;
	on_end(ctx);
}

int capture__run(struct capture *c, const struct capture_opts *o, int stop_fd,
		 struct capture_result *res)
{
	struct capture_config cfg = {};
	struct run r = { .o = o, .res = res, .c = c, .cfg = &cfg };
	struct loop_timer *renew_timer = NULL, *end_timer = NULL;
	pcap_t *pd = NULL;
	int on = 0, err;

	memset(res, 0, sizeof(*res));
	r.snaplen = o->snaplen ? o->snaplen : WARDEN_CAPTURE_SNAPLEN;
	if (r.snaplen > WARDEN_CAPTURE_SNAPLEN_MAX)
		r.snaplen = WARDEN_CAPTURE_SNAPLEN_MAX;

	/* The pcap file first: a bad path changes nothing in the kernel. */
	pd = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, (int)r.snaplen,
						  PCAP_TSTAMP_PRECISION_NANO);
	if (!pd) {
		err = -ENOMEM;
		goto out;
	}
	r.dumper = pcap_dump_open(pd, o->file);
	if (!r.dumper) {
		err = -EIO;
		pr_warn("cannot write %s: %s", o->file, pcap_geterr(pd));
		goto out;
	}
	r.wall_minus_boot_ns = wall_minus_boot();

	r.loop = loop__new();
	renew_timer = r.loop ? loop__add_timer(r.loop, CLOCK_BOOTTIME, on_renew, &r) : NULL;
	if (!renew_timer) {
		err = -errno;
		goto out;
	}
	if (o->duration_ns) {
		r.end_ns = time__boot_ns() + o->duration_ns;
		end_timer = loop__add_timer(r.loop, CLOCK_BOOTTIME, on_end, &r);
		if (!end_timer) {
			err = -errno;
			goto out;
		}
		loop__timer_arm_at(end_timer, r.end_ns);
	}
	if (stop_fd >= 0) {
		err = loop__add_fd(r.loop, stop_fd, EPOLLIN, on_stop, &r);
		if (err)
			goto out;
	}

	/*
	 * Under the lock: refuse if another live capture holds the flag (its
	 * perf rings would be taken over), then our rings, then the flag.
	 */
	pins__lock(c->pins);
	err = capture__status(c, &cfg);
	if (!err && held_by_other(&cfg, time__boot_ns())) {
		pr_warn("another warden capture (pid %u) is running under %s", cfg.pid,
			pins__path(c->pins));
		err = -EBUSY;
	}
	if (!err) {
		r.pb = perf_buffer__new(c->perf_fd, PERF_PAGES, on_sample, on_lost, &r, NULL);
		if (!r.pb) {
			err = -errno;
			pr_warn("cannot open the capture rings: %s", strerror(-err));
		}
	}
	if (!err) {
		memset(&cfg, 0, sizeof(cfg));
		cfg.snaplen = r.snaplen;
		cfg.per_sec = o->per_sec;
		cfg.pid = (__u32)getpid();
		err = renew(c, &cfg, r.end_ns);
		on = !err;
	}
	pins__unlock(c->pins);
	if (err)
		goto out;
	loop__timer_arm(renew_timer, NSEC_PER_SEC, NSEC_PER_SEC);
	err = loop__add_fd(r.loop, perf_buffer__epoll_fd(r.pb), EPOLLIN, on_rings, &r);
	if (!err)
		err = loop__run(r.loop);
	if (!err)
		err = r.err;

out:
	/* Off first, then what the rings still hold. */
	if (on)
		switch_off(c);
	if (r.pb && !r.done)
		perf_buffer__consume(r.pb);
	if (r.pb)
		loop__del_fd(r.loop, perf_buffer__epoll_fd(r.pb));
	perf_buffer__free(r.pb);
	if (r.dumper) {
		/* A full disk shows here: pcap_dump() itself cannot fail. */
		if (pcap_dump_flush(r.dumper) && !err) {
			err = -EIO;
			pr_warn("cannot write %s: %s", o->file, strerror(errno));
		}
		pcap_dump_close(r.dumper);
	}
	if (pd)
		pcap_close(pd);
	if (r.loop) {
		loop__del_fd(r.loop, stop_fd);
		loop__del_timer(r.loop, end_timer);
		loop__del_timer(r.loop, renew_timer);
		loop__free(r.loop);
	}
	return err;
}
