// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* analytics-bench.c - benchmark: the analytics' CPU per request (memory only, and with its 10 s flushes), and their memory. */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "analytics.h"
#include "log.h"
#include "timeutil.h"

/*
 * Requests as warden run feeds them (one app, the request watcher on, no
 * latency ever coming: the pairing ring full, the worst case, as in
 * tools/bench/pipeline/run.sh), or with --direct as warden watch does
 * (analytics__record). Clients are drawn uniformly from --clients
 * addresses (198.51.0.0 and up: only ever held in memory), routes from
 * --routes rules, one status in ten a 404. A flush runs every
 * --flush-every requests (at 10,000 lines/s, a 10 s flush every 100,000),
 * the requests spread evenly over the last --span seconds (0: all now).
 *
 * Reported: CPU ns per request of recording alone (flushes excluded), of
 * recording and flushing together, the heap the analytics hold at their
 * fullest, just before a flush (SQLite's included), and the process's peak
 * RSS (the drawn requests included: 28 bytes each).
 */

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long peak_rss_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* Bytes malloc()ed and not freed, mapped chunks included. */
static size_t heap_in_use(void)
{
	struct mallinfo2 m = mallinfo2();

	return m.uordblks + m.hblkhd;
}

static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "requests", required_argument, NULL, 'n' },
		{ "clients", required_argument, NULL, 'c' },
		{ "routes", required_argument, NULL, 'r' },
		{ "flush-every", required_argument, NULL, 'f' },
		{ "direct", no_argument, NULL, 'd' },
		{ "span", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	long n = 1000000, clients = 40000, n_routes = 20, flush_every = 100000, span = 0;
	char dir[] = "/tmp/warden-analytics-bench.XXXXXX", err[512], cmd[128];
	char (*routes)[64];
	struct req {
		struct prefix client;
		uint32_t route;
		int status;
	} *reqs;
	double rec = 0, fl = 0, t0;
	struct analytics *a;
	uint64_t seed = 1, start_ns;
	size_t heap_base, heap_max = 0;
	bool direct = false;
	time_t now = time(NULL);
	long i;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n': n = atol(optarg); break;
		case 'c': clients = atol(optarg); break;
		case 'r': n_routes = atol(optarg); break;
		case 'f': flush_every = atol(optarg); break;
		case 'd': direct = true; break;
		case 's': span = atol(optarg); break;
		default:
			fprintf(stderr, "usage: %s [--requests N] [--clients N] [--routes N] "
					"[--flush-every N] [--direct] [--span SECONDS]\n", argv[0]);
			return 2;
		}
	}
	if (n < 1 || clients < 1 || n_routes < 1 || flush_every < 1 || span < 0)
		return 2;
	log__setup(false, LOG_WARN);
	routes = calloc((size_t)n_routes, sizeof(*routes));
	if (!routes || !mkdtemp(dir))
		return 1;
	for (i = 0; i < n_routes; i++)
		snprintf(routes[i], sizeof(routes[i]), "/api/v1/resource-%ld/<int:id>", i);
	heap_base = heap_in_use();
	a = analytics__open(dir, 0, err, sizeof(err));
	if (!a) {
		fprintf(stderr, "analytics__open: %s\n", err);
		return 1;
	}
	/*
	 * The requests are drawn before any clock runs. The line's CLOCK_BOOTTIME
	 * is the agent's, read once per line for the jail: here a line every 1 us.
	 */
	start_ns = time__boot_ns();
	reqs = calloc((size_t)n, sizeof(*reqs));
	if (!reqs)
		return 1;
	heap_base += (size_t)n * sizeof(*reqs); /* not the analytics' */
	for (i = 0; i < n; i++) {
		uint64_t r = next_rand(&seed), k = r % (uint64_t)clients;

		reqs[i].client = (struct prefix){ .family = 4, .prefixlen = 32,
						  .addr = { 198, (uint8_t)(51 + (k >> 16)),
							    (uint8_t)(k >> 8), (uint8_t)k } };
		reqs[i].route = (uint32_t)((r >> 20) % (uint64_t)n_routes);
		reqs[i].status = (r >> 40) % 10 ? 200 : 404;
	}
	t0 = cpu_s();
	for (i = 0; i < n; i++) {
		const struct req *q = &reqs[i];
		const char *route = routes[q->route];
		time_t when = now - span + (time_t)((double)span * (double)i / (double)n);

		if (direct)
			analytics__record(a, route, "GET", q->status, &q->client, -1, route,
					  strlen(route), when);
		else
			analytics__record_pending(a, route, "GET", q->status, &q->client, route,
						  strlen(route), when, start_ns + (uint64_t)i * 1000);
		if ((i + 1) % flush_every == 0) {
			double t1 = cpu_s();
			size_t used = heap_in_use();

			if (used > heap_max)
				heap_max = used;

			rec += t1 - t0;
			analytics__flush(a, when);
			t0 = cpu_s();
			fl += t0 - t1;
		}
	}
	rec += cpu_s() - t0;
	t0 = cpu_s();
	analytics__close(a);
	fl += cpu_s() - t0;
	printf("requests %ld, clients %ld, routes %ld, flush every %ld, over %ld s, %s\n", n, clients,
	       n_routes, flush_every, span, direct ? "direct" : "paired (ring full)");
	printf("record: %.0f ns per request; with the flushes: %.0f ns; analytics' heap before a "
	       "flush at most %.1f MB; peak RSS %ld kB\n",
	       rec * 1e9 / (double)n, (rec + fl) * 1e9 / (double)n,
	       (double)(heap_max > heap_base ? heap_max - heap_base : 0) / 1e6, peak_rss_kb());
	free(reqs);
	free(routes);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) ? 1 : 0;
}
