// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* pipeline-gen.c - benchmark input: a deterministic (seeded) Werkzeug access log of the demo app with scanner traffic. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*
 * What the log holds, in Werkzeug 2.2's format
 * ('IP - - [21/Nov/2026 04:18:25] "GET /x HTTP/1.1" 404 -'):
 *
 * - Users: --clients addresses (85 % IPv4 from 100.64.0.0/10, 15 % IPv6,
 *   each in its own /64 of 2001:db8:1000::/36), chosen with a skew so that a
 *   few are heavy and most are light, browsing the demo app's routes
 *   (tools/demo/app.py): /, /health (from three monitors), /api/v1/products,
 *   /api/v1/products/<id> (mostly 404 for unknown ids: a known route all
 *   the same), POST /api/v1/login (200 or 401), /static/..., and rarely
 *   /favicon.ico (an unknown URL: real browsers ask for it) or a GET on the
 *   login (405).
 * - Scanners: sessions that start as a Poisson process, each from one
 *   address (85 % IPv4 from 198.18.0.0/15, the benchmarking range, 15 %
 *   IPv6 from 2001:db8:bad::/48; one in five a repeat offender), probing
 *   3..100 URLs from a list of what real scanners ask for (/wp-admin, /.env,
 *   /phpmyadmin, ...; a few TLS handshakes, logged by Werkzeug as a
 *   non-HTTP request); one session in ten is slow (minutes between probes).
 *   About --scan-pct percent of the lines.
 * - Time: lines arrive at about 100 per second from 21/Nov/2026 04:00:00,
 *   timestamps never decrease.
 *
 * Everything comes from one xoshiro256** generator seeded with --seed: the
 * same options give the same file, byte for byte.
 */

/* ---- xoshiro256** (Blackman and Vigna), seeded through splitmix64 ---- */

static uint64_t rng_s[4];

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void rng_seed(uint64_t seed)
{
	int i;

	for (i = 0; i < 4; i++)
		rng_s[i] = splitmix64(&seed);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(void)
{
	uint64_t result = rotl(rng_s[1] * 5, 7) * 9, t = rng_s[1] << 17;

	rng_s[2] ^= rng_s[0];
	rng_s[3] ^= rng_s[1];
	rng_s[1] ^= rng_s[2];
	rng_s[0] ^= rng_s[3];
	rng_s[2] ^= t;
	rng_s[3] = rotl(rng_s[3], 45);
	return result;
}

/* Uniform in [0, 1). */
static double rng_unit(void)
{
	return (double)(rng_next() >> 11) * 0x1.0p-53;
}

/* Uniform in [lo, hi]. */
static uint32_t rng_range(uint32_t lo, uint32_t hi)
{
	return lo + (uint32_t)(rng_unit() * (double)(hi - lo + 1));
}

static bool rng_chance(double p)
{
	return rng_unit() < p;
}

/* Exponentially distributed, in microseconds. */
static uint64_t rng_exp_us(double mean_us)
{
	return (uint64_t)(-log(1.0 - rng_unit()) * mean_us);
}

/* ---- addresses ---- */

struct client {
	bool is6;
	uint32_t v4;    /* host byte order */
	uint16_t g[8];  /* IPv6 groups */
};

static void client_format(const struct client *c, char *buf, size_t len)
{
	if (!c->is6)
		snprintf(buf, len, "%u.%u.%u.%u", c->v4 >> 24, (c->v4 >> 16) & 255,
			 (c->v4 >> 8) & 255, c->v4 & 255);
	else
		snprintf(buf, len, "%x:%x:%x:%x:%x:%x:%x:%x", c->g[0], c->g[1], c->g[2],
			 c->g[3], c->g[4], c->g[5], c->g[6], c->g[7]);
}

/* A bijection of the index inside 2^bits: distinct indexes give distinct addresses. */
static uint32_t scatter(uint32_t i, int bits)
{
	uint32_t mask = (1u << bits) - 1;

	i = (i * 0x9E3779B1u) & mask; /* odd multiplier: a bijection mod 2^bits */
	i ^= i >> (bits / 2);
	return (i * 0x85EBCA6Bu) & mask;
}

/* User i (0-based): IPv4 in 100.64.0.0/10 or IPv6 2001:db8:1xxx:yyyy::/64. */
static void user_client(uint32_t i, struct client *c)
{
	memset(c, 0, sizeof(*c));
	if (i % 20 < 17) {
		c->v4 = (100u << 24 | 64u << 16) + scatter(i, 22);
		/* Skip .0 and .255, which look odd in a log. */
		if ((c->v4 & 255) == 0 || (c->v4 & 255) == 255)
			c->v4 ^= 1;
		return;
	}
	c->is6 = true;
	c->g[0] = 0x2001;
	c->g[1] = 0xdb8;
	c->g[2] = (uint16_t)(0x1000 | (i >> 16 & 0xfff));
	c->g[3] = (uint16_t)i;
	/* A fixed, privacy-style interface identifier per user. */
	c->g[4] = (uint16_t)(scatter(i, 16) | 0x200);
	c->g[5] = (uint16_t)scatter(i + 7, 16);
	c->g[6] = (uint16_t)scatter(i + 13, 16);
	c->g[7] = (uint16_t)(scatter(i + 29, 16) | 1);
}

/* Scanner i: IPv4 in 198.18.0.0/15 or IPv6 in 2001:db8:bad::/48, one /64 each. */
static void scanner_client(uint32_t i, struct client *c)
{
	memset(c, 0, sizeof(*c));
	if (i % 20 < 17) {
		c->v4 = (198u << 24 | 18u << 16) + scatter(i, 17);
		if ((c->v4 & 255) == 0 || (c->v4 & 255) == 255)
			c->v4 ^= 1;
		return;
	}
	c->is6 = true;
	c->g[0] = 0x2001;
	c->g[1] = 0xdb8;
	c->g[2] = 0xbad;
	c->g[3] = (uint16_t)scatter(i, 16);
	c->g[7] = (uint16_t)(i % 250 + 2);
}

/* ---- what gets asked ---- */

/* URLs real scanners try (none is a route of the demo app). */
static const char *const scan_paths[] = {
	"/wp-admin/", "/wp-login.php", "/wp-admin/setup-config.php", "/wp-content/plugins/",
	"/wp-includes/wlwmanifest.xml", "/xmlrpc.php", "/.env", "/.env.bak", "/.env.production",
	"/.git/config", "/.git/HEAD", "/.svn/entries", "/.DS_Store", "/.htaccess", "/.htpasswd",
	"/phpmyadmin/", "/phpMyAdmin/index.php", "/pma/", "/myadmin/", "/admin", "/admin/login",
	"/administrator/", "/login.php", "/config.php", "/config.json", "/.aws/credentials",
	"/server-status", "/cgi-bin/luci", "/cgi-bin/test.cgi", "/shell?cd+/tmp",
	"/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php", "/actuator/health", "/actuator/env",
	"/api/jsonws/invoke", "/solr/admin/info/system", "/HNAP1/", "/boaform/admin/formLogin",
	"/owa/auth/logon.aspx", "/remote/login", "/console/", "/manager/html", "/jenkins/login",
	"/druid/index.html", "/backup.zip", "/backup.tar.gz", "/db.sql", "/dump.sql",
	"/index.php", "/shell.php", "/wso.php", "/phpinfo.php", "/info.php", "/test.php",
	"/sftp-config.json", "/.vscode/sftp.json", "/docker-compose.yml", "/.dockerenv",
	"/api/v1/products/1%27%20OR%20%271%27=%271", "/api/v1/products/", "/api/v1/users",
	"/api/v2/products", "/api/v1/admin", "/graphql", "/swagger.json", "/v2/api-docs",
	"/static/../../../../etc/passwd", "/.well-known/security.txt", "/robots.txt",
	"/sitemap.xml", "/autodiscover/autodiscover.xml", "/ecp/Current/exporttool/microsoft.exchange.ediscovery.exporttool.application",
	"/geoserver/web/", "/Telerik.Web.UI.WebResource.axd?type=rau", "/wp-json/wp/v2/users",
	"/user/login", "/setup.cgi?next_file=netgear.cfg", "/?XDEBUG_SESSION_START=phpstorm",
	"/health?cmd=id", "/mgmt/tm/util/bash", "/_ignition/execute-solution", "/.git/index",
};
#define N_SCAN_PATHS (sizeof(scan_paths) / sizeof(scan_paths[0]))

static const char *const static_files[] = { "style.css", "app.js", "logo.png", "fonts/inter.woff2" };

/* ---- the log ---- */

static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
				      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

struct out {
	FILE *f;
	time_t last_sec;
	char stamp[32]; /* "21/Nov/2026 04:18:25" of last_sec */
	uint64_t lines, scan_lines, user_lines;
};

static const char *stamp(struct out *o, uint64_t t_us)
{
	time_t sec = (time_t)(t_us / 1000000);
	struct tm tm;

	if (sec != o->last_sec) {
		gmtime_r(&sec, &tm);
		snprintf(o->stamp, sizeof(o->stamp), "%02d/%s/%04d %02d:%02d:%02d", tm.tm_mday,
			 months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
		o->last_sec = sec;
	}
	return o->stamp;
}

static void emit(struct out *o, const struct client *c, uint64_t t_us, const char *method,
		 const char *path, int status)
{
	char ip[64];

	client_format(c, ip, sizeof(ip));
	fprintf(o->f, "%s - - [%s] \"%s %s HTTP/1.1\" %d -\n", ip, stamp(o, t_us), method, path,
		status);
	o->lines++;
}

/* One request of a user. */
static void user_line(struct out *o, uint32_t n_users, uint64_t t_us)
{
	static const struct client monitors[3] = {
		{ .v4 = 100u << 24 | 64u << 16 | 0 << 8 | 10 },
		{ .v4 = 100u << 24 | 64u << 16 | 0 << 8 | 11 },
		{ .v4 = 100u << 24 | 64u << 16 | 0 << 8 | 12 },
	};
	struct client c;
	char path[96];
	double r = rng_unit() * 100.0;
	uint32_t id;

	o->user_lines++;
	/* Skewed: index = n * u^2.5 makes low indexes heavy users. */
	user_client((uint32_t)((double)n_users * pow(rng_unit(), 2.5)), &c);
	if (r < 15) {
		emit(o, &c, t_us, "GET", "/", 200);
	} else if (r < 23) {
		emit(o, &monitors[rng_range(0, 2)], t_us, "GET", "/health", 200);
	} else if (r < 45) {
		if (rng_chance(0.1)) {
			snprintf(path, sizeof(path), "/api/v1/products?page=%u", rng_range(1, 9));
			emit(o, &c, t_us, "GET", path, 200);
		} else {
			emit(o, &c, t_us, "GET", "/api/v1/products", 200);
		}
	} else if (r < 75) {
		id = rng_chance(0.5) ? rng_range(1, 3) : rng_range(4, 500);
		snprintf(path, sizeof(path), "/api/v1/products/%u", id);
		emit(o, &c, t_us, "GET", path, id <= 3 ? 200 : 404);
	} else if (r < 83) {
		emit(o, &c, t_us, "POST", "/api/v1/login", rng_chance(0.7) ? 200 : 401);
	} else if (r < 97.8) {
		id = rng_range(0, sizeof(static_files) / sizeof(static_files[0]) - 1);
		snprintf(path, sizeof(path), "/static/%s", static_files[id]);
		emit(o, &c, t_us, "GET", path, id == 3 ? 404 : 200);
	} else if (r < 98.8) {
		emit(o, &c, t_us, "HEAD", "/", 200);
	} else if (r < 99.8) {
		emit(o, &c, t_us, "OPTIONS", "/api/v1/login", 200);
	} else if (r < 99.95) {
		/* Browsers ask for it; the demo app has none: an unknown URL. */
		emit(o, &c, t_us, "GET", "/favicon.ico", 404);
	} else {
		emit(o, &c, t_us, "GET", "/api/v1/login", 405);
	}
}

struct session {
	struct client c;
	uint64_t next_us; /* time of its next probe */
	double gap_us;    /* mean time between probes */
	uint32_t left;    /* probes still to send */
	uint32_t cursor;  /* where in scan_paths it is */
};

#define MAX_SESSIONS 4096

/* One probe of a scanner session. */
static void scan_line(struct out *o, struct session *s)
{
	const char *path = scan_paths[s->cursor++ % N_SCAN_PATHS];
	char ip[64];

	o->scan_lines++;
	if (rng_chance(0.02)) {
		/* A TLS ClientHello at the HTTP port: Werkzeug logs two lines. */
		client_format(&s->c, ip, sizeof(ip));
		fprintf(o->f,
			"%s - - [%s] code 400, message Bad request version "
			"('\\x00\\x02\\x01\\x00\\x01\\x00\\xff\\x01\\x00\\x00')\n",
			ip, stamp(o, s->next_us));
		fprintf(o->f,
			"%s - - [%s] \"\\x16\\x03\\x01\\x00\\xc4\\x01\\x00\\x00\\xc0\\x03\\x03\" 400 -\n",
			ip, stamp(o, s->next_us));
		o->lines += 2;
		return;
	}
	if (!strcmp(path, "/xmlrpc.php") || !strcmp(path, "/wp-login.php") ||
	    !strcmp(path, "/boaform/admin/formLogin"))
		emit(o, &s->c, s->next_us, "POST", path, 404);
	else if (!strcmp(path, "/?XDEBUG_SESSION_START=phpstorm") || !strncmp(path, "/health?", 8))
		emit(o, &s->c, s->next_us, "GET", path, 200); /* known routes: not failures */
	else
		emit(o, &s->c, s->next_us, rng_chance(0.05) ? "HEAD" : "GET", path, 404);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: pipeline-gen [--lines N] [--seed S] [--clients N] [--scan-pct P] [-o FILE]\n"
		"Write a Werkzeug access log of the demo app (tools/demo/app.py): N lines\n"
		"(1000000), N users (40000), P percent scanner lines (3), seeded (1).\n"
		"A summary goes to stderr.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "lines", required_argument, NULL, 'n' },  { "seed", required_argument, NULL, 's' },
		{ "clients", required_argument, NULL, 'c' }, { "scan-pct", required_argument, NULL, 'p' },
		{ "output", required_argument, NULL, 'o' }, { "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static struct session sessions[MAX_SESSIONS];
	struct out o = { .f = stdout, .last_sec = -1 };
	uint64_t lines = 1000000, seed = 1, t_us, next_user_us, next_session_us;
	uint64_t n_sessions = 0, n_scanners = 0, n_slow = 0;
	uint32_t n_users = 40000, n_active = 0, i, best;
	double scan_pct = 3.0, rate = 100.0, mean_probes, session_gap_us;
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "n:s:c:p:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			lines = strtoull(optarg, &end, 10);
			if (*end || !lines)
				goto bad;
			break;
		case 's':
			seed = strtoull(optarg, &end, 0);
			if (*end)
				goto bad;
			break;
		case 'c':
			n_users = (uint32_t)strtoul(optarg, &end, 10);
			if (*end || n_users < 1 || n_users > (1u << 22) - 32)
				goto bad;
			break;
		case 'p':
			scan_pct = strtod(optarg, &end);
			if (*end || !(scan_pct >= 0 && scan_pct < 50))
				goto bad;
			break;
		case 'o':
			o.f = fopen(optarg, "w");
			if (!o.f) {
				fprintf(stderr, "pipeline-gen: %s: %s\n", optarg, strerror(errno));
				return 1;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			goto bad;
		}
	}
	if (optind != argc)
		goto bad;
	setvbuf(o.f, NULL, _IOFBF, 1 << 20);
	rng_seed(seed);

	/*
	 * Sessions send 3..30 (60 %), 30..100 (30 %) or 1..4 (10 %) probes:
	 * about 29.7 on average. They start often enough for scan_pct of the
	 * lines to be probes.
	 */
	mean_probes = 0.6 * 16.5 + 0.3 * 65.0 + 0.1 * 2.5;
	session_gap_us = scan_pct > 0 ? 1e6 * mean_probes / (rate * scan_pct / 100.0) : 1e300;

	/* 21/Nov/2026 04:00:00 UTC. */
	t_us = 1795233600ULL * 1000000;
	/* What Werkzeug prints when it starts: not access lines. */
	fprintf(o.f, " * Serving Flask app 'app'\n * Debug mode: off\n"
		     "WARNING: This is a development server. Do not use it in a production deployment. "
		     "Use a production WSGI server instead.\n"
		     " * Running on all addresses (::)\n * Running on http://[::1]:8080\n"
		     "Press CTRL+C to quit\n");
	o.lines += 6;
	next_user_us = t_us + rng_exp_us(1e6 / (rate * (1 - scan_pct / 100.0)));
	next_session_us = t_us + rng_exp_us(session_gap_us);

	while (o.lines < lines) {
		/* Earliest event: a user's request, a session starting, or a probe. */
		best = UINT32_MAX;
		for (i = 0; i < n_active; i++)
			if (best == UINT32_MAX || sessions[i].next_us < sessions[best].next_us)
				best = i;
		if (next_session_us <= next_user_us &&
		    (best == UINT32_MAX || next_session_us <= sessions[best].next_us)) {
			struct session *s;
			double r = rng_unit();

			t_us = next_session_us;
			next_session_us = t_us + rng_exp_us(session_gap_us);
			if (n_active == MAX_SESSIONS)
				continue;
			s = &sessions[n_active++];
			memset(s, 0, sizeof(*s));
			/* One in five comes back from an address seen before. */
			if (n_scanners && rng_chance(0.2))
				scanner_client(rng_range(0, (uint32_t)n_scanners - 1), &s->c);
			else
				scanner_client((uint32_t)n_scanners++, &s->c);
			s->left = r < 0.6 ? rng_range(3, 30) : r < 0.9 ? rng_range(30, 100) : rng_range(1, 4);
			if (rng_chance(0.1)) {
				s->gap_us = 1e6 * rng_range(60, 240); /* low and slow */
				n_slow++;
			} else {
				s->gap_us = 1e6 * (0.05 + 2.0 * rng_unit());
			}
			s->cursor = rng_range(0, N_SCAN_PATHS - 1);
			s->next_us = t_us;
			n_sessions++;
		} else if (best != UINT32_MAX && sessions[best].next_us <= next_user_us) {
			struct session *s = &sessions[best];

			t_us = s->next_us;
			scan_line(&o, s);
			if (--s->left == 0)
				*s = sessions[--n_active];
			else
				s->next_us = t_us + rng_exp_us(s->gap_us);
		} else {
			t_us = next_user_us;
			user_line(&o, n_users, t_us);
			next_user_us = t_us + rng_exp_us(1e6 / (rate * (1 - scan_pct / 100.0)));
		}
	}
	if (fflush(o.f) || (o.f != stdout && fclose(o.f))) {
		fprintf(stderr, "pipeline-gen: write: %s\n", strerror(errno));
		return 1;
	}
	fprintf(stderr,
		"pipeline-gen: %llu lines over %.0f s: %llu user requests (%u users), "
		"%llu scanner probes (%.2f %%) in %llu sessions (%llu slow) from %llu scanners\n",
		(unsigned long long)o.lines, (double)(t_us / 1000000 - 1795233600ULL),
		(unsigned long long)o.user_lines, n_users, (unsigned long long)o.scan_lines,
		100.0 * (double)o.scan_lines / (double)o.lines, (unsigned long long)n_sessions,
		(unsigned long long)n_slow, (unsigned long long)n_scanners);
	return 0;
bad:
	usage(stderr);
	return 2;
}
