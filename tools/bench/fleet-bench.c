// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* fleet-bench.c - publish bans to a fleet at a fixed rate, time each until it is in every agent's map. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "banmap.h"
#include "config.h"
#include "fleet.h"
#include "log.h"
#include "loop.h"
#include "timeutil.h"

/*
 * The publisher is warden's own fleet module (user/fleet.c) on warden's
 * loop, exactly as an agent publishes a ban its jail decided: its queue,
 * its reconnects. Ban i is 2001:db8:f1ee:RUN::i/128, published at t_pub[i].
 *
 *   default:  the time until the ban is in the pinned maps of every agent
 *             (DIR/a1 .. DIR/aN), polled with map lookups every POLL_NS
 *             (a ban's time is when the last agent showed it);
 *   --floor:  the reference: N plain hiredis clients in XREAD BLOCK on the
 *             same stream (Redis's own fan-out, no agent): the time until
 *             each of them has read the entry.
 */

#define POLL_NS NSEC_PER_MSEC /* finer adds nothing to figures in ms, and takes CPU from the agents */
#define NSEC_PER_USEC 1000ULL

static struct {
	const char *redis, *prefix, *maps;
	int agents, run;
	unsigned rate, count;
	bool floor;
	unsigned timeout_s;
} o = { .prefix = "bench", .agents = 50, .rate = 1000, .count = 10000, .timeout_s = 60 };

static uint64_t *t_pub;           /* [count], 0 until published */
static _Atomic uint64_t *t_seen;  /* [count * agents], 0 until seen there */
static uint64_t *t_done;          /* [count], in every map */
static unsigned published, first_open, done;
static struct banmap **maps;
static struct fleet *fleet;
static struct loop *loop;
static uint64_t t0, last_pub_ns;

static void target(unsigned i, struct prefix *p)
{
	char s[64];

	snprintf(s, sizeof(s), "2001:db8:f1ee:%x::%x:%x", o.run & 0xffff, i >> 16, i & 0xffff);
	prefix__parse(s, p, NULL, 0);
}

static void on_publish(void *ctx)
{
	uint64_t now = time__mono_ns(), due;
	struct prefix p;
	char reason[32];

	(void)ctx;
	due = (now - t0) * o.rate / NSEC_PER_SEC + 1;
	if (due > o.count)
		due = o.count;
	while (published < due) {
		target(published, &p);
		snprintf(reason, sizeof(reason), "bench %u", published);
		t_pub[published] = time__mono_ns();
		fleet__publish_ban(fleet, &p, time__boot_ns() + 3600 * NSEC_PER_SEC, reason);
		published++;
		last_pub_ns = now;
	}
}

/*
 * Each agent applies the stream in order: one cursor per agent, the next
 * ban it has not shown yet, so a pass costs one lookup per agent plus one
 * per ban that arrived.
 */
static void on_poll(void *ctx)
{
	static unsigned *cursor;
	struct ban_info bi;
	struct prefix p;
	unsigned i;
	int j;

	(void)ctx;
	if (!cursor && !(cursor = calloc((size_t)o.agents, sizeof(*cursor))))
		return;
	for (j = 0; !o.floor && j < o.agents; j++) {
		while (cursor[j] < published) {
			target(cursor[j], &p);
			if (banmap__get(maps[j], &p, &bi))
				break;
			t_seen[(size_t)cursor[j] * o.agents + j] = time__mono_ns();
			cursor[j]++;
		}
	}
	/* Done in order too: the oldest open ban first. */
	for (i = first_open; i < published; i++) {
		int n = 0;

		for (j = 0; j < o.agents; j++)
			n += t_seen[(size_t)i * o.agents + j] != 0;
		if (n < o.agents)
			break;
		for (j = 0; j < o.agents; j++)
			if (t_seen[(size_t)i * o.agents + j] > t_done[i])
				t_done[i] = t_seen[(size_t)i * o.agents + j];
		done++;
		first_open = i + 1;
	}
	if (done == o.count ||
	    (published == o.count && time__mono_ns() - last_pub_ns > o.timeout_s * NSEC_PER_SEC))
		loop__stop(loop);
}

/* ---- the reference: plain readers of the stream ---- */

struct reader {
	int j;
	char host[256];
	int port;
	char start[64];
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	char key[128], last[64];
	redisContext *c = NULL;
	redisReply *rep;
	size_t k, e, f;

	snprintf(key, sizeof(key), "%s:log", o.prefix);
	snprintf(last, sizeof(last), "%s", r->start);
	for (;;) {
		if (!c || c->err) {
			redisFree(c);
			c = redisConnect(r->host, r->port);
			if (!c || c->err) {
				usleep(50000);
				continue;
			}
		}
		rep = redisCommand(c, "XREAD BLOCK 1000 COUNT 1000 STREAMS %s %s", key, last);
		if (!rep)
			continue;
		for (k = 0; rep->type == REDIS_REPLY_ARRAY && k < rep->elements; k++) {
			redisReply *entries = rep->element[k]->element[1];

			for (e = 0; e < entries->elements; e++) {
				redisReply *en = entries->element[e], *kv = en->element[1];

				snprintf(last, sizeof(last), "%s", en->element[0]->str);
				for (f = 0; f + 1 < kv->elements; f += 2) {
					unsigned i;

					if (strcmp(kv->element[f]->str, "reason") ||
					    sscanf(kv->element[f + 1]->str, "bench %u", &i) != 1 ||
					    i >= o.count)
						continue;
					t_seen[(size_t)i * o.agents + r->j] = time__mono_ns();
				}
			}
		}
		freeReplyObject(rep);
	}
	return NULL;
}

static int start_readers(void)
{
	struct reader *rs = calloc((size_t)o.agents, sizeof(*rs));
	char key[128], start[64] = "0-0";
	const char *colon = strrchr(o.redis, ':');
	redisContext *c;
	redisReply *rep;
	pthread_t t;
	int j;

	if (!rs || !colon)
		return -EINVAL;
	snprintf(rs[0].host, sizeof(rs[0].host), "%.*s", (int)(colon - o.redis), o.redis);
	rs[0].port = atoi(colon + 1);
	c = redisConnect(rs[0].host, rs[0].port);
	if (!c || c->err)
		return -ECONNREFUSED;
	snprintf(key, sizeof(key), "%s:log", o.prefix);
	rep = redisCommand(c, "XREVRANGE %s + - COUNT 1", key);
	if (rep && rep->type == REDIS_REPLY_ARRAY && rep->elements)
		snprintf(start, sizeof(start), "%s", rep->element[0]->element[0]->str);
	freeReplyObject(rep);
	redisFree(c);
	for (j = 0; j < o.agents; j++) {
		rs[j] = rs[0];
		rs[j].j = j;
		snprintf(rs[j].start, sizeof(rs[j].start), "%s", start);
		if (pthread_create(&t, NULL, reader_main, &rs[j]))
			return -errno;
		pthread_detach(t);
	}
	return 0;
}

/* ---- report ---- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double pct(const uint64_t *v, size_t n, double p)
{
	size_t k = (size_t)(p / 100.0 * (double)n + 0.999999);

	if (!n)
		return 0;
	if (k < 1)
		k = 1;
	return (double)v[k - 1] / 1e6;
}

static void usage(void)
{
	fprintf(stderr, "usage: fleet-bench --redis HOST:PORT [--prefix P] [--maps DIR] [--agents N]\n"
		"          [--rate R] [--count C] [--run ID] [--floor] [--timeout S]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "redis", required_argument, NULL, 'r' }, { "prefix", required_argument, NULL, 'p' },
		{ "maps", required_argument, NULL, 'm' },  { "agents", required_argument, NULL, 'a' },
		{ "rate", required_argument, NULL, 'R' },  { "count", required_argument, NULL, 'c' },
		{ "run", required_argument, NULL, 'i' },   { "floor", no_argument, NULL, 'f' },
		{ "timeout", required_argument, NULL, 't' }, { 0 },
	};
	struct loop_timer *pub, *poll;
	struct warden_config cfg;
	uint64_t *lat;
	size_t n = 0;
	char err[512], path[512];
	unsigned i;
	int c, j;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r': o.redis = optarg; break;
		case 'p': o.prefix = optarg; break;
		case 'm': o.maps = optarg; break;
		case 'a': o.agents = atoi(optarg); break;
		case 'R': o.rate = (unsigned)atoi(optarg); break;
		case 'c': o.count = (unsigned)atoi(optarg); break;
		case 'i': o.run = atoi(optarg); break;
		case 'f': o.floor = true; break;
		case 't': o.timeout_s = (unsigned)atoi(optarg); break;
		default: usage();
		}
	}
	if (!o.redis || o.agents < 1 || !o.rate || !o.count || (!o.floor && !o.maps))
		usage();
	log__setup(0, LOG_WARN);
	libbpf_set_print(log__libbpf_print);
	t_pub = calloc(o.count, sizeof(*t_pub));
	t_done = calloc(o.count, sizeof(*t_done));
	t_seen = calloc((size_t)o.count * o.agents, sizeof(*t_seen));
	lat = calloc(o.count, sizeof(*lat));
	maps = calloc((size_t)o.agents, sizeof(*maps));
	loop = loop__new();
	if (!t_pub || !t_done || !t_seen || !lat || !maps || !loop)
		return 1;
	for (j = 0; !o.floor && j < o.agents; j++) {
		snprintf(path, sizeof(path), "%s/a%d", o.maps, j + 1);
		maps[j] = banmap__open(path, BANMAP_EXISTING);
		if (!maps[j]) {
			fprintf(stderr, "fleet-bench: no maps at %s\n", path);
			return 1;
		}
	}
	if (o.floor && start_readers()) {
		fprintf(stderr, "fleet-bench: cannot start the readers\n");
		return 1;
	}
	config__defaults(&cfg);
	snprintf(cfg.fleet, sizeof(cfg.fleet), "redis://%s", o.redis);
	snprintf(cfg.fleet_prefix, sizeof(cfg.fleet_prefix), "%s", o.prefix);
	snprintf(cfg.fleet_name, sizeof(cfg.fleet_name), "bench");
	fleet = fleet__new(loop, &cfg, NULL, NULL, err, sizeof(err));
	if (!fleet) {
		fprintf(stderr, "fleet-bench: %s\n", err);
		return 1;
	}
	/* Wait for the link, then publish on a 1 ms tick and poll every POLL_NS. */
	pub = loop__add_timer(loop, CLOCK_MONOTONIC, on_publish, NULL);
	poll = loop__add_timer(loop, CLOCK_MONOTONIC, on_poll, NULL);
	t0 = time__mono_ns() + 500 * NSEC_PER_MSEC;
	loop__timer_arm(pub, 500 * NSEC_PER_MSEC, NSEC_PER_MSEC);
	loop__timer_arm(poll, 500 * NSEC_PER_MSEC, POLL_NS);
	loop__run(loop);

	for (i = 0; i < o.count; i++)
		if (t_done[i])
			lat[n++] = t_done[i] - t_pub[i];
	qsort(lat, n, sizeof(*lat), cmp_u64);
	printf("%s agents=%d rate=%u/s bans=%u in_every_map=%zu p50_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
	       o.floor ? "floor(plain XREAD readers)" : "warden", o.agents, o.rate, o.count, n,
	       pct(lat, n, 50), pct(lat, n, 99), n ? (double)lat[n - 1] / 1e6 : 0.0);
	fleet__free(fleet);
	for (j = 0; j < o.agents; j++)
		banmap__close(maps[j]);
	config__free(&cfg);
	return n == o.count ? 0 : 1;
}
