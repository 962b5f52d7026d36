// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* pipeline-bench.c - benchmark: access-log lines per second through jail__line() (parse, route match, detector, ban). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "banmap.h"
#include "config.h"
#include "jail.h"
#include "log.h"
#include "logparse.h"
#include "routes.h"
#include "timeutil.h"

/*
 * The file is read into memory and cut into lines before any clock runs;
 * what is timed is the loop of jail__line() calls over every line, exactly
 * what warden run does per line once its line splitter has found one.
 *
 * The clock given to the detector (--clock):
 *   line (default): the line's own timestamp, as an offset from the first
 *     line's, added to CLOCK_BOOTTIME at the start of the run. The
 *     detector then sees the log at the pace it was written (a 2.8-hour
 *     log stays 2.8 hours long), so findtime windows decide what a live
 *     warden would have decided, and the bans written into the maps expire
 *     where they would. Replaying the file with the real clock squeezes
 *     hours into a second: every client's failures fall into one findtime,
 *     and slow scanners that a live warden would never ban get banned.
 *   boot: CLOCK_BOOTTIME read per line, as warden run does; for comparing
 *     with an end-to-end run.
 */

enum clock_kind { CLOCK_LINE, CLOCK_BOOT };

struct corpus {
	char *buf;         /* the whole file */
	size_t size;
	uint32_t *off;     /* line i starts at buf + off[i] */
	uint32_t *len;     /* without its newline */
	uint64_t *rel_ns;  /* line i's timestamp minus the first one's, in ns */
	size_t n;
};

struct result {
	double secs;
	double cpu_secs; /* this process's CPU time over the pass (one thread) */
	struct jail_stats st;
	struct banmap_sizes sizes;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double mono_s(void)
{
	return (double)time__mono_ns() / 1e9;
}

/* CPU time of this process: comparable with warden run's (perf stat task-clock) on a busy machine. */
static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Days since 1970-01-01 of a civil date (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* n decimal digits at s, or -1. */
static int digits(const char *s, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* Seconds of "[21/Nov/2026 04:18:25]" near the start of a line, or -1. */
static int64_t line_time(const char *s, size_t len)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	const char *p = memchr(s, '[', len < 96 ? len : 96);
	int d, y, hh, mm, ss;
	unsigned m;

	/* Not sscanf(): the line is not NUL-terminated, the buffer is the whole file. */
	if (!p || (size_t)(s + len - p) < 22 || p[3] != '/' || p[7] != '/' || p[12] != ' ' ||
	    p[15] != ':' || p[18] != ':' || p[21] != ']')
		return -1;
	for (m = 0; m < 12 && memcmp(months + 3 * m, p + 4, 3); m++)
		;
	d = digits(p + 1, 2);
	y = digits(p + 8, 4);
	hh = digits(p + 13, 2);
	mm = digits(p + 16, 2);
	ss = digits(p + 19, 2);
	if (m == 12 || d < 1 || y < 0 || hh < 0 || mm < 0 || ss < 0)
		return -1;
	return days_from_civil(y, m + 1, (unsigned)d) * 86400 + hh * 3600 + mm * 60 + ss;
}

static int corpus__load(struct corpus *c, const char *path)
{
	size_t cap = 1 << 20, i, start;
	int64_t first = -1, t;
	struct stat st;
	ssize_t got;
	int fd, err;

	memset(c, 0, sizeof(*c));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		err = -errno;
		fprintf(stderr, "pipeline-bench: %s: %s\n", path, strerror(-err));
		if (fd >= 0)
			close(fd);
		return err;
	}
	if (st.st_size >= UINT32_MAX) {
		fprintf(stderr, "pipeline-bench: %s: larger than 4 GiB\n", path);
		close(fd);
		return -EFBIG;
	}
	c->buf = malloc((size_t)st.st_size + 1);
	c->off = malloc(cap * sizeof(*c->off));
	c->len = malloc(cap * sizeof(*c->len));
	c->rel_ns = malloc(cap * sizeof(*c->rel_ns));
	if (!c->buf || !c->off || !c->len || !c->rel_ns) {
		close(fd);
		return -ENOMEM;
	}
	while (c->size < (size_t)st.st_size) {
		got = read(fd, c->buf + c->size, (size_t)st.st_size - c->size);
		if (got <= 0)
			break;
		c->size += (size_t)got;
	}
	close(fd);

	for (start = 0, i = 0; i < c->size; i++) {
		if (c->buf[i] != '\n' && i + 1 < c->size)
			continue;
		if (c->n == cap) {
			cap *= 2;
			c->off = realloc(c->off, cap * sizeof(*c->off));
			c->len = realloc(c->len, cap * sizeof(*c->len));
			c->rel_ns = realloc(c->rel_ns, cap * sizeof(*c->rel_ns));
			if (!c->off || !c->len || !c->rel_ns)
				return -ENOMEM;
		}
		c->off[c->n] = (uint32_t)start;
		c->len[c->n] = (uint32_t)(i - start + (c->buf[i] != '\n'));
		/* Lines without a time (app output) take the last one seen. */
		t = line_time(c->buf + start, c->len[c->n]);
		if (t >= 0 && first < 0)
			first = t;
		c->rel_ns[c->n] = t >= first && first >= 0 ? (uint64_t)(t - first) * NSEC_PER_SEC
			: c->n ? c->rel_ns[c->n - 1] : 0;
		c->n++;
		start = i + 1;
	}
	return 0;
}

static void corpus__free(struct corpus *c)
{
	free(c->buf);
	free(c->off);
	free(c->len);
	free(c->rel_ns);
}

/* Remove what banmap__open() pinned under dir, and dir. */
static void unpin_dir(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
	rmdir(dir);
}

/* One pass of every line through a fresh jail; bm NULL for dry-run. */
static int run_jail(const struct corpus *c, const struct warden_config *cfg,
		    const struct routes *routes, struct banmap *bm, enum clock_kind clk,
		    struct result *res)
{
	char err[256];
	struct jail *j;
	uint64_t base;
	double t0, c0;
	size_t i;

	j = jail__new(cfg, routes, bm, err, sizeof(err));
	if (!j) {
		fprintf(stderr, "pipeline-bench: %s\n", err);
		return -EINVAL;
	}
	base = time__boot_ns();
	t0 = mono_s();
	c0 = cpu_s();
	if (clk == CLOCK_LINE) {
		for (i = 0; i < c->n; i++)
			jail__line(j, STREAM_STDERR, c->buf + c->off[i], c->len[i], false,
				   base + c->rel_ns[i], NULL);
	} else {
		for (i = 0; i < c->n; i++)
			jail__line(j, STREAM_STDERR, c->buf + c->off[i], c->len[i], false,
				   time__boot_ns(), NULL);
	}
	res->secs = mono_s() - t0;
	res->cpu_secs = cpu_s() - c0;
	res->st = *jail__stats(j);
	memset(&res->sizes, 0, sizeof(res->sizes));
	if (bm)
		banmap__sizes(bm, &res->sizes);
	jail__free(j);
	return 0;
}

/* Cost of the stages: the parser alone, then with the route matcher. */
static void run_stages(const struct corpus *c, const struct routes *routes, double *parse_s,
		       double *match_s)
{
	struct access_line a;
	struct logparser *p;
	char err[256];
	volatile unsigned sink = 0;
	double t0;
	size_t i;

	p = logparse__new(LOGFMT_WERKZEUG, NULL, err, sizeof(err));
	if (!p) {
		*parse_s = *match_s = 0;
		return;
	}
	t0 = mono_s();
	for (i = 0; i < c->n; i++)
		sink += logparse__line(p, c->buf + c->off[i], c->len[i], &a);
	*parse_s = mono_s() - t0;
	logparse__free(p);

	p = logparse__new(LOGFMT_WERKZEUG, NULL, err, sizeof(err));
	t0 = mono_s();
	for (i = 0; i < c->n; i++)
		if (logparse__line(p, c->buf + c->off[i], c->len[i], &a) == LP_OK && a.http)
			sink += routes__match(routes, a.method, a.path, a.path_len, NULL);
	*match_s = mono_s() - t0;
	logparse__free(p);
	(void)sink;
}

static uint64_t failures(const struct jail_stats *st)
{
	uint64_t n = 0;
	int f;

	for (f = 1; f < FAIL__COUNT; f++)
		n += st->failures[f];
	return n;
}

static void report(const char *mode, const struct corpus *c, double *secs, double *cpus, int runs,
		   const struct result *last)
{
	double s = median(secs, runs), lo = secs[0], hi = secs[runs - 1], cpu = median(cpus, runs);
	const struct jail_stats *st = &last->st;

	printf("%-5s %d runs: median %.3f s (%.3f..%.3f) = %.0f lines/s, %.1f ns/line; "
	       "%llu failures (url %llu, method %llu, not-http %llu, malformed %llu), %llu bans decided",
	       mode, runs, s, lo, hi, (double)c->n / s, s * 1e9 / (double)c->n,
	       (unsigned long long)failures(st),
	       (unsigned long long)st->failures[FAIL_UNKNOWN_URL],
	       (unsigned long long)st->failures[FAIL_METHOD],
	       (unsigned long long)st->failures[FAIL_NOT_HTTP],
	       (unsigned long long)st->failures[FAIL_MALFORMED], (unsigned long long)st->bans);
	if (!strcmp(mode, "maps"))
		printf(", %llu written (%llu refused, %llu errors); in the maps: %zu IPv4, %zu IPv6, "
		       "%zu IPv6 prefixes",
		       (unsigned long long)st->bans_applied, (unsigned long long)st->bans_refused,
		       (unsigned long long)st->ban_errors, last->sizes.exact4, last->sizes.exact6,
		       last->sizes.prefix6);
	printf("\n");
	printf("RESULT mode=%s runs=%d lines=%zu median_s=%.6f min_s=%.6f max_s=%.6f "
	       "lines_per_s=%.0f cpu_median_s=%.6f failures=%llu bans=%llu applied=%llu errors=%llu\n",
	       mode, runs, c->n, s, lo, hi, (double)c->n / s, cpu, (unsigned long long)failures(st),
	       (unsigned long long)st->bans, (unsigned long long)st->bans_applied,
	       (unsigned long long)st->ban_errors);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: pipeline-bench [OPTIONS] FILE\n"
		"Lines per second of a Werkzeug access log through warden's jail__line()\n"
		"(parse + route match + detector + ban), median of --runs passes.\n"
		"  --app FILE         Flask source to learn routes from (tools/demo/app.py)\n"
		"  --runs N           passes per mode (5)\n"
		"  --pin-path DIR     also run with real maps, pinned under DIR (on a bpffs);\n"
		"                     each pass uses DIR/run-N and removes it\n"
		"  --dry-run-only     no maps even with --pin-path\n"
		"  --clock line|boot  detector clock: the line's timestamp (default) or\n"
		"                     CLOCK_BOOTTIME per line as warden run does\n"
		"  --maxretry N --findtime T --bantime T   jail settings (fail2ban's 5, 10m, 10m)\n"
		"  --stages           also time the parser alone and parser + route matcher\n"
		"  --quiet            no per-ban messages on stderr (warden run prints them)\n");
}

int main(int argc, char **argv)
{
	enum { O_APP = 256, O_RUNS, O_PIN, O_DRY, O_CLOCK, O_MAXRETRY, O_FINDTIME, O_BANTIME,
	       O_STAGES, O_QUIET };
	static const struct option opts[] = {
		{ "app", required_argument, NULL, O_APP },
		{ "runs", required_argument, NULL, O_RUNS },
		{ "pin-path", required_argument, NULL, O_PIN },
		{ "dry-run-only", no_argument, NULL, O_DRY },
		{ "clock", required_argument, NULL, O_CLOCK },
		{ "maxretry", required_argument, NULL, O_MAXRETRY },
		{ "findtime", required_argument, NULL, O_FINDTIME },
		{ "bantime", required_argument, NULL, O_BANTIME },
		{ "stages", no_argument, NULL, O_STAGES },
		{ "quiet", no_argument, NULL, O_QUIET },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *app = "tools/demo/app.py", *pin = NULL, *key;
	enum clock_kind clk = CLOCK_LINE;
	bool dry_only = false, stages = false, quiet = false, made_pin = false;
	struct warden_config cfg;
	struct routes *routes = NULL;
	struct corpus corpus;
	struct result res = { 0 };
	double *dry_s = NULL, *maps_s = NULL, *dry_cpu = NULL, *maps_cpu = NULL, *parse_s = NULL, *match_s = NULL, t0, load_s;
	char err[512], dir[4096];
	int runs = 5, c, r, ret = 1;

	config__defaults(&cfg);
	config__set(&cfg, NULL, "log_format", "werkzeug", err, sizeof(err));
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case O_APP:
			app = optarg;
			break;
		case O_RUNS:
			runs = atoi(optarg);
			if (runs < 1 || runs > 1000)
				goto bad;
			break;
		case O_PIN:
			pin = optarg;
			break;
		case O_DRY:
			dry_only = true;
			break;
		case O_CLOCK:
			if (!strcmp(optarg, "line"))
				clk = CLOCK_LINE;
			else if (!strcmp(optarg, "boot"))
				clk = CLOCK_BOOT;
			else
				goto bad;
			break;
		case O_MAXRETRY:
		case O_FINDTIME:
		case O_BANTIME:
			key = c == O_MAXRETRY ? "maxretry" : c == O_FINDTIME ? "findtime" : "bantime";
			if (config__set(&cfg, "jail", key, optarg, err, sizeof(err))) {
				fprintf(stderr, "pipeline-bench: --%s: %s\n", key, err);
				goto out;
			}
			break;
		case O_STAGES:
			stages = true;
			break;
		case O_QUIET:
			quiet = true;
			break;
		case 'h':
			usage(stdout);
			ret = 0;
			goto out;
		default:
			goto bad;
		}
	}
	if (optind != argc - 1)
		goto bad;
	log__setup(0, quiet ? LOG_WARN : LOG_INFO);
	libbpf_set_print(log__libbpf_print);
	if (config__check(&cfg, err, sizeof(err))) {
		fprintf(stderr, "pipeline-bench: %s\n", err);
		goto out;
	}

	routes = routes__load(app, err, sizeof(err));
	if (!routes) {
		fprintf(stderr, "pipeline-bench: %s: %s\n", app, err);
		goto out;
	}
	t0 = mono_s();
	if (corpus__load(&corpus, argv[optind]))
		goto out_corpus;
	load_s = mono_s() - t0;
	printf("%s: %zu lines, %.1f MB, read and split in %.3f s; %zu routes from %s; "
	       "maxretry %u, findtime %llus, bantime %llus; clock: %s\n",
	       argv[optind], corpus.n, (double)corpus.size / 1e6, load_s, routes__count(routes),
	       app, cfg.jail.maxretry, (unsigned long long)(cfg.jail.findtime_ns / NSEC_PER_SEC),
	       (unsigned long long)(cfg.jail.bantime_ns / NSEC_PER_SEC),
	       clk == CLOCK_LINE ? "line timestamps" : "CLOCK_BOOTTIME per line");
	fflush(stdout);

	dry_s = calloc((size_t)runs, sizeof(double));
	maps_s = calloc((size_t)runs, sizeof(double));
	dry_cpu = calloc((size_t)runs, sizeof(double));
	maps_cpu = calloc((size_t)runs, sizeof(double));
	parse_s = calloc((size_t)runs, sizeof(double));
	match_s = calloc((size_t)runs, sizeof(double));
	if (!dry_s || !maps_s || !dry_cpu || !maps_cpu || !parse_s || !match_s)
		goto out_corpus;

	if (pin && !dry_only) {
		if (mkdir(pin, 0700) == 0)
			made_pin = true;
		else if (errno != EEXIST) {
			fprintf(stderr, "pipeline-bench: %s: %s\n", pin, strerror(errno));
			goto out_corpus;
		}
	}
	/* The modes take turns, so that a noisy moment does not hit one mode only. */
	for (r = 0; r < runs; r++) {
		if (stages)
			run_stages(&corpus, routes, &parse_s[r], &match_s[r]);
		if (run_jail(&corpus, &cfg, routes, NULL, clk, &res))
			goto out_corpus;
		dry_s[r] = res.secs;
		dry_cpu[r] = res.cpu_secs;
		if (pin && !dry_only) {
			struct banmap *bm;

			snprintf(dir, sizeof(dir), "%s/run-%d", pin, r);
			bm = banmap__open(dir, BANMAP_CREATE);
			if (!bm) {
				fprintf(stderr, "pipeline-bench: cannot open maps under %s: %s\n", dir,
					strerror(errno));
				goto out_corpus;
			}
			ret = run_jail(&corpus, &cfg, routes, bm, clk, &res);
			banmap__close(bm);
			unpin_dir(dir);
			if (ret) {
				ret = 1;
				goto out_corpus;
			}
			maps_s[r] = res.secs;
			maps_cpu[r] = res.cpu_secs;
		}
	}
	if (stages) {
		double p = median(parse_s, runs), m = median(match_s, runs);

		printf("stages: parse %.1f ns/line (%.0f lines/s), parse + route match %.1f ns/line "
		       "(%.0f lines/s)\n",
		       p * 1e9 / (double)corpus.n, (double)corpus.n / p, m * 1e9 / (double)corpus.n,
		       (double)corpus.n / m);
		printf("RESULT mode=stages parse_ns=%.1f match_ns=%.1f\n", p * 1e9 / (double)corpus.n,
		       m * 1e9 / (double)corpus.n);
	}
	/* res holds the last pass: maps if it ran, so report dry-run from a pass of its own. */
	{
		struct result dry_res;

		if (pin && !dry_only) {
			if (run_jail(&corpus, &cfg, routes, NULL, clk, &dry_res))
				goto out_corpus;
		} else {
			dry_res = res;
		}
		report("dry", &corpus, dry_s, dry_cpu, runs, &dry_res);
	}
	if (pin && !dry_only)
		report("maps", &corpus, maps_s, maps_cpu, runs, &res);
	ret = 0;
out_corpus:
	if (made_pin)
		rmdir(pin);
	corpus__free(&corpus);
out:
	free(dry_s);
	free(maps_s);
	free(dry_cpu);
	free(maps_cpu);
	free(parse_s);
	free(match_s);
	routes__free(routes);
	config__free(&cfg);
	return ret;
bad:
	usage(stderr);
	ret = 2;
	goto out;
}
