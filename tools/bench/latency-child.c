// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* latency-child.c - ban latency: write an offending access line, time until the ban is in the map (warden) or the action ran (fail2ban). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>

#include "warden.h"

/*
 * Two modes, one method: for each of --count distinct client addresses,
 * write one Werkzeug access line of a scanner (a 404 on /wp-admin/...),
 * taking the clock just before write(), then wait until that client is
 * banned. One address at a time: no ban waits behind another, what is
 * measured is the path of one line. The end of that path is timed by the
 * enforcer itself, not by us noticing it: a poller that has to be
 * scheduled to notice adds its own delays on a busy host (and a poller
 * that spins takes a CPU from the very process it measures).
 *
 * warden (--pin-path): run as the app under
 *   warden run --pin-path PIN --maxretry 1 ... -- latency-child --pin-path PIN
 * the line goes to stderr (warden's pipe). warden stamps each new ban with
 * created_ns (CLOCK_BOOTTIME, read just before the ban's map update);
 * latency = created_ns - CLOCK_BOOTTIME before our write(). The ban is
 * looked up in PIN/warden_ban4 (IPv4) or PIN/warden_pfx6 (IPv6: warden bans
 * the /64, keyed by the /64 with its host bits zero) every --poll-us
 * (50; 0 spins); the time we saw it is reported too ("seen"), an upper
 * bound that includes our own wake-up.
 *
 * fail2ban (--log FILE --bans FILE): the line is appended to the jail's
 * log file; fail2ban's ban action appends "IP NS" to the bans file with
 * NS its own CLOCK_REALTIME (date +%s%N) when the action runs. Latency =
 * NS - the CLOCK_REALTIME read before write(). The bans file is read
 * every --poll-us (200).
 *
 * Addresses (documentation and benchmarking ranges, never sent anything):
 * IPv4 198.51.100.1-254, 203.0.113.1-254, then 198.18.0.0/15; IPv6 one
 * per /64 of 2001:db8:4c00::/40. --v6-every K makes every K-th one IPv6.
 */

struct addr {
	int family;
	uint8_t b[16];
	char text[INET6_ADDRSTRLEN];
};

static void addr_of(unsigned i, unsigned v6_every, struct addr *a)
{
	unsigned k4, k6;

	memset(a, 0, sizeof(*a));
	if (v6_every && i % v6_every == v6_every - 1) {
		k6 = i / v6_every;
		a->family = AF_INET6;
		a->b[0] = 0x20; a->b[1] = 0x01; a->b[2] = 0x0d; a->b[3] = 0xb8;
		a->b[4] = 0x4c;
		a->b[5] = (uint8_t)(k6 >> 16);
		a->b[6] = (uint8_t)(k6 >> 8);
		a->b[7] = (uint8_t)k6;
		a->b[15] = 1;
	} else {
		k4 = v6_every ? i - i / v6_every : i;
		a->family = AF_INET;
		if (k4 < 254) {
			a->b[0] = 198; a->b[1] = 51; a->b[2] = 100; a->b[3] = (uint8_t)(k4 + 1);
		} else if (k4 < 508) {
			a->b[0] = 203; a->b[1] = 0; a->b[2] = 113; a->b[3] = (uint8_t)(k4 - 254 + 1);
		} else {
			/* 198.18.0.0/15, skipping .0 and .255 of each /24. */
			unsigned j = k4 - 508, n = j / 254 * 256 + j % 254 + 1;

			a->b[0] = 198; a->b[1] = (uint8_t)(18 + (n >> 16));
			a->b[2] = (uint8_t)(n >> 8); a->b[3] = (uint8_t)n;
		}
	}
	inet_ntop(a->family, a->b, a->text, sizeof(a->text));
}

static uint64_t clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Werkzeug's line, with its local-time stamp. */
static int format_line(char *buf, size_t len, const struct addr *a, unsigned i)
{
	static const char *const paths[] = { "/wp-admin/setup-config.php", "/.env", "/phpmyadmin/",
					     "/.git/config", "/xmlrpc.php", "/admin" };
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%d/%b/%Y %H:%M:%S", &tm);
	return snprintf(buf, len, "%s - - [%s] \"GET %s HTTP/1.1\" 404 -\n", a->text, stamp,
			paths[i % 6]);
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* ---- warden: the pinned maps ---- */

struct maps {
	int ban4, pfx6;
};

/* Whether a ban covers the address: true with its value in *v. */
static bool banned_in_map(const struct maps *m, const struct addr *a, struct ban_value *v)
{
	if (a->family == AF_INET) {
		struct ban4_key k;

		memcpy(k.addr, a->b, 4);
		return bpf_map_lookup_elem(m->ban4, &k, v) == 0;
	} else {
		/* warden bans an IPv6 client's /64: the prefix hash's key, host bits zero. */
		struct lpm6_key k = { .prefixlen = 64 };

		memcpy(k.addr, a->b, 8);
		return bpf_map_lookup_elem(m->pfx6, &k, v) == 0;
	}
}

/* ---- fail2ban: the bans file its action appends to ---- */

struct bans_file {
	int fd;
	char buf[1 << 16];
	size_t len; /* unread bytes in buf */
};

/*
 * The action's time for addr, if a line for it has arrived: 1 and *ns, or 0.
 * Lines of other addresses (there should be none) are skipped.
 */
static int bans_file_find(struct bans_file *f, const struct addr *a, uint64_t *ns)
{
	ssize_t n;
	char *nl, *sp;
	int found = 0;

	for (;;) {
		n = read(f->fd, f->buf + f->len, sizeof(f->buf) - 1 - f->len);
		if (n <= 0)
			break;
		f->len += (size_t)n;
	}
	while (!found && (nl = memchr(f->buf, '\n', f->len))) {
		*nl = '\0';
		sp = strchr(f->buf, ' ');
		if (sp) {
			*sp = '\0';
			if (!strcmp(f->buf, a->text)) {
				*ns = strtoull(sp + 1, NULL, 10);
				found = 1;
			}
		}
		f->len -= (size_t)(nl + 1 - f->buf);
		memmove(f->buf, nl + 1, f->len);
	}
	return found;
}

/* ---- results ---- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v. */
static uint64_t pct(const uint64_t *v, size_t n, double p)
{
	size_t rank = (size_t)(p / 100.0 * (double)n + 0.999999);

	if (!n)
		return 0;
	if (rank < 1)
		rank = 1;
	return v[rank > n ? n - 1 : rank - 1];
}

static void summary(FILE *f, const char *what, uint64_t *v, size_t n)
{
	double sum = 0;
	size_t i;

	qsort(v, n, sizeof(*v), cmp_u64);
	for (i = 0; i < n; i++)
		sum += (double)v[i];
	fprintf(f, "%s n=%zu p50_us=%.1f p90_us=%.1f p99_us=%.1f max_us=%.1f mean_us=%.1f\n", what,
		n, pct(v, n, 50) / 1e3, pct(v, n, 90) / 1e3, pct(v, n, 99) / 1e3,
		n ? v[n - 1] / 1e3 : 0.0, n ? sum / (double)n / 1e3 : 0.0);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: latency-child --pin-path PIN [OPTIONS]           (as the app of warden run)\n"
		"       latency-child --log FILE --bans FILE [OPTIONS]   (against fail2ban)\n"
		"  --count N        bans to time (1000)\n"
		"  --warmup N       bans made first and not counted (10)\n"
		"  --v6-every K     every K-th address is IPv6 (2; 0: IPv4 only)\n"
		"  --timeout-ms T   give up on one ban after T ms (5000)\n"
		"  --poll-us U      how often to look for the ban (warden 50, fail2ban 200;\n"
		"                   0 spins, warden only)\n"
		"  --yield          with --poll-us 0: sched_yield() between two looks\n"
		"  --out FILE       also write the summary lines there\n"
		"  --raw FILE       every sample: family, latency ns (and seen ns for warden)\n");
}

/* Latency of one ban, relative to t0; 0 for a clock that went back (fail2ban's REALTIME). */
static uint64_t since(uint64_t t, uint64_t t0)
{
	return t > t0 ? t - t0 : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pin-path", required_argument, NULL, 'p' }, { "log", required_argument, NULL, 'l' },
		{ "bans", required_argument, NULL, 'b' },     { "count", required_argument, NULL, 'n' },
		{ "warmup", required_argument, NULL, 'w' },   { "v6-every", required_argument, NULL, 'k' },
		{ "timeout-ms", required_argument, NULL, 't' }, { "poll-us", required_argument, NULL, 'u' },
		{ "out", required_argument, NULL, 'o' },      { "raw", required_argument, NULL, 'r' },
		{ "yield", no_argument, NULL, 'y' },          { "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *pin = NULL, *log_path = NULL, *bans_path = NULL, *out_path = NULL, *raw_path = NULL;
	unsigned count = 1000, warmup = 10, v6_every = 2, timeout_ms = 5000, i;
	uint64_t *all, *v4, *v6, *seen, t0, t_done = 0, t_seen = 0, deadline;
	size_t n_all = 0, n4 = 0, n6 = 0, timeouts = 0;
	struct maps m = { -1, -1 };
	struct bans_file *bf = NULL;
	char line[256], path[4096];
	int c, log_fd = -1, len, poll_us = -1;
	bool warden, yield = false;
	struct timespec nap;
	FILE *out, *raw = NULL;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': pin = optarg; break;
		case 'l': log_path = optarg; break;
		case 'b': bans_path = optarg; break;
		case 'n': count = (unsigned)atoi(optarg); break;
		case 'w': warmup = (unsigned)atoi(optarg); break;
		case 'k': v6_every = (unsigned)atoi(optarg); break;
		case 't': timeout_ms = (unsigned)atoi(optarg); break;
		case 'u': poll_us = atoi(optarg); break;
		case 'o': out_path = optarg; break;
		case 'r': raw_path = optarg; break;
		case 'y': yield = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	warden = pin != NULL;
	if (poll_us < 0)
		poll_us = warden ? 50 : 200;
	if (optind != argc || warden == (log_path || bans_path) || (!warden && !(log_path && bans_path)) ||
	    !count || count + warmup > 130000 || (!warden && !poll_us)) {
		usage(stderr);
		return 2;
	}
	nap.tv_sec = 0;
	nap.tv_nsec = (long)poll_us * 1000;

	/* Never outlive whoever started us (warden, or run.sh), even when it is killed. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* Sleep for --poll-us, not for the default 50 us of slack on top. */
	prctl(PR_SET_TIMERSLACK, 1000UL);
	if (warden) {
		snprintf(path, sizeof(path), "%s/%s", pin, WARDEN_STR(MAP_BAN4));
		m.ban4 = bpf_obj_get(path);
		snprintf(path, sizeof(path), "%s/%s", pin, WARDEN_STR(MAP_PFX6));
		m.pfx6 = bpf_obj_get(path);
		if (m.ban4 < 0 || m.pfx6 < 0) {
			fprintf(stdout, "latency-child: cannot open the maps under %s: %s\n", pin,
				strerror(errno));
			return 1;
		}
	} else {
		log_fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		bf = calloc(1, sizeof(*bf));
		if (bf)
			bf->fd = open(bans_path, O_RDONLY | O_CREAT | O_CLOEXEC, 0644);
		if (log_fd < 0 || !bf || bf->fd < 0) {
			fprintf(stderr, "latency-child: %s / %s: %s\n", log_path, bans_path,
				strerror(errno));
			return 1;
		}
		/* Only what is appended from now on counts. */
		lseek(bf->fd, 0, SEEK_END);
	}

	if (raw_path && !(raw = fopen(raw_path, "w"))) {
		fprintf(stderr, "latency-child: %s: %s\n", raw_path, strerror(errno));
		return 1;
	}
	all = calloc(count, sizeof(*all));
	v4 = calloc(count, sizeof(*v4));
	v6 = calloc(count, sizeof(*v6));
	seen = calloc(count, sizeof(*seen));
	if (!all || !v4 || !v6 || !seen)
		return 1;

	for (i = 0; i < warmup + count; i++) {
		struct addr a;
		bool ok = false;

		addr_of(i, v6_every, &a);
		len = format_line(line, sizeof(line), &a, i);
		if (warden) {
			struct ban_value v;

			/* Just before the write: from here on it is warden's time. */
			t0 = clock_ns(CLOCK_BOOTTIME);
			if (write_all(STDERR_FILENO, line, (size_t)len))
				return 1;
			deadline = t0 + (uint64_t)timeout_ms * 1000000;
			do {
				if (banned_in_map(&m, &a, &v)) {
					t_seen = clock_ns(CLOCK_BOOTTIME);
					t_done = v.created_ns; /* warden's clock at the ban */
					ok = true;
					break;
				}
				if (poll_us)
					nanosleep(&nap, NULL);
				else if (yield)
					sched_yield();
			} while (clock_ns(CLOCK_BOOTTIME) < deadline);
		} else {
			t0 = clock_ns(CLOCK_REALTIME);
			if (write_all(log_fd, line, (size_t)len))
				return 1;
			deadline = clock_ns(CLOCK_MONOTONIC) + (uint64_t)timeout_ms * 1000000;
			do {
				if (bans_file_find(bf, &a, &t_done)) {
					ok = true;
					break;
				}
				nanosleep(&nap, NULL);
			} while (clock_ns(CLOCK_MONOTONIC) < deadline);
		}
		if (!ok) {
			timeouts++;
			continue;
		}
		if (i < warmup)
			continue;
		all[n_all] = since(t_done, t0);
		if (warden)
			seen[n_all] = since(t_seen, t0);
		if (raw)
			fprintf(raw, "%d %llu %llu\n", a.family == AF_INET ? 4 : 6,
				(unsigned long long)all[n_all], (unsigned long long)seen[n_all]);
		if (a.family == AF_INET)
			v4[n4++] = all[n_all];
		else
			v6[n6++] = all[n_all];
		n_all++;
	}

	if (raw)
		fclose(raw);
	out = out_path ? fopen(out_path, "w") : NULL;
	for (i = 0; i < 2; i++) {
		FILE *f = i ? out : stdout;

		if (!f)
			continue;
		fprintf(f, "mode=%s warmup=%u timeouts=%zu poll_us=%d\n", warden ? "warden" : "fail2ban",
			warmup, timeouts, poll_us);
		summary(f, "all", all, n_all);
		summary(f, "ipv4", v4, n4);
		summary(f, "ipv6", v6, n6);
		if (warden)
			summary(f, "seen", seen, n_all);
		fflush(f);
	}
	if (out)
		fclose(out);
	return timeouts ? 3 : 0;
}
