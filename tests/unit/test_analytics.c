// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* test_analytics.c - per-route figures checked against generated traffic, restarts, retention, a year of history, HTTP. */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <sqlite3.h>

#include "analytics.h"
#include "analytics_api.h"
#include "dashboard.h"
#include "latency_hist.h"
#include "rollup.h"
#include "http.h"
#include "testutil.h"
#include "topk.h"
#include "timeutil.h"

#define DAY 86400
#define HOUR 3600

static int64_t day_of(int64_t t)
{
	return t / DAY * DAY - (t % DAY < 0 ? DAY : 0);
}

static int64_t hour_of(int64_t t)
{
	return t / HOUR * HOUR - (t % HOUR < 0 ? HOUR : 0);
}

/* A fresh folder for a database, removed by rm_dir(). */
static char *tmp_dir(void)
{
	char *d = strdup("/tmp/warden-analytics-XXXXXX");

	if (!d || !mkdtemp(d)) {
		free(d);
		return NULL;
	}
	return d;
}

static void rm_dir(char *d)
{
	char cmd[256];

	if (!d)
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", d);
	free(d);
}

static struct prefix addr(const char *text)
{
	struct prefix p;

	memset(&p, 0, sizeof(p));
	prefix__parse_addr(text, &p);
	return p;
}

/* Query arguments from "a=1&b=2" (no decoding: the tests use plain values). */
struct kv {
	char *k[16], *v[16];
	int n;
	char buf[512];
};

static const char *kv_arg(void *ctx, const char *name)
{
	struct kv *kv = ctx;
	int i;

	for (i = 0; i < kv->n; i++)
		if (!strcmp(kv->k[i], name))
			return kv->v[i];
	return NULL;
}

/*
 * The document analytics_api__answer() answers for "PATH?QUERY" at now, as the
 * /api handlers would give it; *err gets its return. NULL if not JSON.
 */
/* a's answer as the only app of an API (-ENOMEM if there is none). */
static int api_answer(struct analytics *a, const char *path, analytics_arg_fn arg, void *ctx,
		      time_t now, char **json, size_t *len)
{
	struct analytics_api *api = analytics_api__new();
	int rc = -ENOMEM;

	*json = NULL;
	if (api && !analytics_api__add_app(api, "", a))
		rc = analytics_api__answer(api, path, arg, ctx, now, json, len);
	analytics_api__free(api);
	return rc;
}

static struct json_object *api(struct analytics *a, const char *url, time_t now, int *err)
{
	struct kv kv = { .n = 0 };
	char path[256], *q, *tok, *save = NULL;
	struct json_object *o;
	size_t len;
	char *json;
	int rc;

	snprintf(path, sizeof(path), "%s", url);
	q = strchr(path, '?');
	if (q) {
		*q++ = '\0';
		snprintf(kv.buf, sizeof(kv.buf), "%s", q);
		for (tok = strtok_r(kv.buf, "&", &save); tok && kv.n < 16;
		     tok = strtok_r(NULL, "&", &save)) {
			char *eq = strchr(tok, '=');

			kv.k[kv.n] = tok;
			kv.v[kv.n] = eq ? eq + 1 : tok + strlen(tok);
			if (eq)
				*eq = '\0';
			kv.n++;
		}
	}
	rc = api_answer(a, path, kv_arg, &kv, now, &json, &len);
	if (err)
		*err = rc;
	if (!json)
		return NULL;
	o = json_tokener_parse(json);
	if (!o)
		printf("  not JSON: %s\n", json);
	else if (len != strlen(json))
		printf("  length %zu of a %zu-byte document\n", len, strlen(json));
	free(json);
	return o;
}

static struct json_object *jget(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (!o || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

static int64_t jint(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key);

	return v ? json_object_get_int64(v) : -999999;
}

static double jdbl(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key);

	return v && !json_object_is_type(v, json_type_null) ? json_object_get_double(v) : NAN;
}

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key);

	return v ? json_object_get_string(v) : NULL;
}

/* The element of array whose member key is the string value. */
static struct json_object *jfind(struct json_object *array, const char *key, const char *value)
{
	size_t i, n;

	if (!array || !json_object_is_type(array, json_type_array))
		return NULL;
	n = json_object_array_length(array);
	for (i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(array, i);
		const char *s = jstr(e, key);

		if (s && !strcmp(s, value))
			return e;
	}
	return NULL;
}

static int64_t jidx(struct json_object *array, size_t i)
{
	struct json_object *e = array ? json_object_array_get_idx(array, i) : NULL;

	return e ? json_object_get_int64(e) : -999999;
}

/* Within the documented bucket error of the exact value. */
static bool close_to(double got, double exact)
{
	return isfinite(got) && fabs(got - exact) <= LATENCY_HIST_QUANTILE_ERROR * exact + 1e-12;
}

/* The nearest-rank quantile of n sorted values. */
static double exact_q(const double *v, size_t n, double q)
{
	size_t rank = (size_t)ceil(q * (double)n - 1e-9);

	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1];
}

static int dbl_cmp(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return a < b ? -1 : a > b;
}

#define CHECK_Q(lat, key, exact, name)                                                     \
	do {                                                                               \
		double __g = jdbl(lat, key), __e = (exact);                                \
		if (!close_to(__g, __e))                                                   \
			TU_FAIL(name, "%s = %g, exact %g (more than %.1f%% off)", key, __g, __e, \
				LATENCY_HIST_QUANTILE_ERROR * 100);                           \
	} while (0)

/* ---- buckets ---- */

static void test_buckets(void)
{
	double lo, hi, prev_hi = 0;
	int i;

	for (i = 0; i < LATENCY_HIST_BUCKETS; i++) {
		latency_hist__bucket_bounds(i, &lo, &hi);
		ASSERT_TRUE(lo == prev_hi || fabs(lo - prev_hi) < 1e-15, "contiguous");
		if (i >= 1 && i < LATENCY_HIST_BUCKETS - 1)
			ASSERT_TRUE(fabs(hi / lo - LATENCY_HIST_STEP) < 1e-9, "ratio");
		if (i < LATENCY_HIST_BUCKETS - 1) {
			ASSERT_EQ(latency_hist__bucket_of(lo), i, "lower bound inside");
			ASSERT_EQ(latency_hist__bucket_of(nextafter(hi, 0)), i, "just below upper bound");
			ASSERT_EQ(latency_hist__bucket_of(hi), i + 1, "upper bound is the next");
		}
		prev_hi = hi;
	}
	ASSERT_TRUE(isinf(prev_hi), "last bucket open");
	latency_hist__bucket_bounds(LATENCY_HIST_BUCKETS - 1, &lo, &hi);
	ASSERT_TRUE(lo >= 60 && lo < 70, "covers up to a minute");
	ASSERT_EQ(latency_hist__bucket_of(0), 0, "zero");
	ASSERT_EQ(latency_hist__bucket_of(-1), 0, "negative");
	ASSERT_EQ(latency_hist__bucket_of(NAN), 0, "nan");
	ASSERT_EQ(latency_hist__bucket_of(1e9), LATENCY_HIST_BUCKETS - 1, "huge");
}

/* ---- figures against generated traffic ---- */

/* What the test recorded, to check the answers against. */
struct expect {
	uint64_t heat[7][24], heat_tz[7][24]; /* tz: an hour east of UTC */
};

static void rec(struct analytics *a, struct expect *x, const char *route, const char *method,
		int status, const char *client, double lat, const char *path, time_t when)
{
	struct prefix p = client ? addr(client) : (struct prefix){ 0 };
	time_t t1 = when + 3600;
	struct tm tm;

	analytics__record(a, route, method, status, client ? &p : NULL, lat, path,
			  path ? strlen(path) : 0, when);
	gmtime_r(&when, &tm);
	x->heat[tm.tm_wday][tm.tm_hour]++;
	gmtime_r(&t1, &tm);
	x->heat_tz[tm.tm_wday][tm.tm_hour]++;
}

/*
 * Three days of traffic, starting three UTC days before today, versions
 * "aaaa" (days 0 and 1) and "bbbb" (day 2):
 *   "/"                    GET, hours 9 and 14, 10 * (day + 1) requests each, 200,
 *                          clients 192.0.2.1, .2, .3 in turn, 10..19 ms
 *   "/items/<int:item_id>" GET, day 0 hour 9, 20 requests, the last 5 answered 404,
 *                          client 198.51.100.7, 2, 4, ... 40 ms
 *   "/login"               POST, day 1 hour 23, 5 requests 401, 203.0.113.9, 300 ms
 *   unknown (NULL)         GET, day 2 hour 0, 7 requests 404, 203.0.113.66, no latency
 *   "/boom"                GET, day 2 hour 14, 3 requests 500, no client, 1.5 s
 *   "/slow"                GET, day 2 hour 15, 25 requests of 20 ms then one of 2 s
 *                          (an outlier), 192.0.2.50
 */
static void generate(struct analytics *a, struct expect *x, int64_t d0, double *root_lat,
		     size_t *n_root)
{
	char path[64];
	int d, h, i;

	*n_root = 0;
	for (d = 0; d < 3; d++) {
		analytics__set_version(a, d < 2 ? "aaaa" : "bbbb");
		for (h = 0; h < 2; h++) {
			int64_t t = d0 + d * DAY + (h ? 14 : 9) * HOUR;

			for (i = 0; i < 10 * (d + 1); i++) {
				char client[32];
				double lat = 0.010 + 0.001 * (i % 10);

				snprintf(client, sizeof(client), "192.0.2.%d", 1 + i % 3);
				rec(a, x, "/", "GET", 200, client, lat, "/", t + i);
				root_lat[(*n_root)++] = lat;
			}
		}
		if (d == 0) {
			for (i = 0; i < 20; i++) {
				snprintf(path, sizeof(path), "/items/%d", i);
				rec(a, x, "/items/<int:item_id>", "GET", i < 15 ? 200 : 404,
				    "198.51.100.7", 0.002 * (i + 1), path, d0 + 9 * HOUR + 100 + i);
			}
		}
		if (d == 1) {
			for (i = 0; i < 5; i++)
				rec(a, x, "/login", "POST", 401, "203.0.113.9", 0.3, "/login",
				    d0 + DAY + 23 * HOUR + 60 * i);
		}
		if (d == 2) {
			for (i = 0; i < 7; i++)
				rec(a, x, NULL, "GET", 404, "203.0.113.66", -1, "/wp-admin",
				    d0 + 2 * DAY + i);
			for (i = 0; i < 3; i++)
				rec(a, x, "/boom", "GET", 500, NULL, 1.5, "/boom",
				    d0 + 2 * DAY + 14 * HOUR + 30 + i);
			for (i = 0; i < 25; i++)
				rec(a, x, "/slow", "GET", 200, "192.0.2.50", 0.020, "/slow",
				    d0 + 2 * DAY + 15 * HOUR + i);
			rec(a, x, "/slow", "GET", 200, "192.0.2.50", 2.0, "/slow?x=1\n<b>",
			    d0 + 2 * DAY + 15 * HOUR + 30);
		}
	}
}

static void test_figures(void)
{
	char err[256], *dir = tmp_dir();
	struct analytics *a = NULL;
	struct json_object *o = NULL, *r, *arr, *lat;
	struct expect x;
	double root_lat[200];
	size_t n_root, i;
	time_t now = time(NULL);
	int64_t d0 = day_of(now) - 3 * DAY;
	int rc, w, h;
	bool heat_ok = true;

	memset(&x, 0, sizeof(x));
	if (!ASSERT_NOT_NULL(dir, "tmpdir"))
		return;
	a = analytics__open(dir, 400ULL * DAY * 1000000000ULL, err, sizeof(err));
	if (!ASSERT_NOT_NULL(a, err))
		goto out;
	generate(a, &x, d0, root_lat, &n_root);
	ASSERT_EQ(analytics__stats(a)->recorded, 120 + 20 + 5 + 7 + 3 + 26, "recorded");
	ASSERT_EQ(analytics__stats(a)->flushes, 0, "record only touches memory");
	ASSERT_EQ(analytics__stats(a)->outliers, 1, "one outlier detected");
	ASSERT_OK(analytics__flush(a, now), "flush");
	ASSERT_EQ(analytics__stats(a)->flushes, 1, "one transaction");

	/* /api/routes: totals per route. */
	o = api(a, "/api/routes?days=7", now, &rc);
	ASSERT_OK(rc, "routes");
	arr = jget(o, "routes");
	ASSERT_EQ(json_object_array_length(arr), 6, "six routes");
	r = jfind(arr, "route", "/");
	ASSERT_EQ(jint(r, "hits"), 120, "/ hits");
	ASSERT_EQ(jint(jget(r, "latency"), "count"), 120, "/ latencies");
	r = jfind(arr, "route", "/items/<int:item_id>");
	ASSERT_EQ(jint(r, "hits"), 20, "items hits");
	ASSERT_EQ(jint(r, "s4xx"), 5, "items 4xx");
	r = jfind(arr, "route", "/login");
	ASSERT_EQ(jint(r, "s4xx"), 5, "login 4xx");
	r = jfind(arr, "route", "unknown");
	ASSERT_EQ(jint(r, "hits"), 7, "unknown hits");
	ASSERT_EQ(jint(jget(r, "latency"), "count"), 0, "unknown: no latency");
	ASSERT_TRUE(json_object_is_type(jget(jget(r, "latency"), "p50"), json_type_null),
		    "no latency: null quantiles");
	r = jfind(arr, "route", "/boom");
	ASSERT_EQ(jint(r, "s5xx"), 3, "boom 5xx");
	ASSERT_STREQ(jstr(json_object_array_get_idx(arr, 0), "route"), "/", "busiest first");
	json_object_put(o);

	/* /api/hits: per route per UTC day. Today is index 6, d0 index 3. */
	o = api(a, "/api/hits?days=7", now, &rc);
	ASSERT_OK(rc, "hits");
	ASSERT_EQ(json_object_array_length(jget(o, "day_starts")), 7, "seven days");
	ASSERT_EQ(jidx(jget(o, "day_starts"), 3), d0, "day start");
	r = jfind(jget(o, "series"), "route", "/");
	ASSERT_EQ(jidx(jget(r, "hits"), 3), 20, "/ day 0");
	ASSERT_EQ(jidx(jget(r, "hits"), 4), 40, "/ day 1");
	ASSERT_EQ(jidx(jget(r, "hits"), 5), 60, "/ day 2");
	ASSERT_EQ(jidx(jget(r, "hits"), 2), 0, "/ before");
	ASSERT_EQ(jint(r, "total"), 120, "/ total");
	ASSERT_EQ(jidx(jget(o, "total"), 3), 20 + 20, "all day 0");
	ASSERT_EQ(jidx(jget(o, "total"), 4), 40 + 5, "all day 1");
	ASSERT_EQ(jidx(jget(o, "total"), 5), 60 + 7 + 3 + 26, "all day 2");
	json_object_put(o);

	/* top=2: the two busiest, then "(other)" with the rest. */
	o = api(a, "/api/hits?days=7&top=2", now, &rc);
	arr = jget(o, "series");
	ASSERT_EQ(json_object_array_length(arr), 3, "top 2 + other");
	ASSERT_STREQ(jstr(json_object_array_get_idx(arr, 0), "route"), "/", "top 1");
	ASSERT_STREQ(jstr(json_object_array_get_idx(arr, 1), "route"), "/slow", "top 2");
	ASSERT_EQ(jint(jfind(arr, "route", "(other)"), "total"), 20 + 5 + 7 + 3, "other");
	json_object_put(o);

	/* Filters: a route, a version. */
	o = api(a, "/api/hits?days=7&version=aaaa", now, &rc);
	ASSERT_EQ(jidx(jget(o, "total"), 5), 0, "version aaaa: nothing on day 2");
	ASSERT_EQ(jidx(jget(o, "total"), 4), 45, "version aaaa day 1");
	json_object_put(o);
	o = api(a, "/api/hits?days=7&route=/login", now, &rc);
	ASSERT_EQ(json_object_array_length(jget(o, "series")), 1, "route filter");
	json_object_put(o);
	o = api(a, "/api/hits?days=7&route=/never-seen", now, &rc);
	ASSERT_OK(rc, "unknown route filter");
	ASSERT_EQ(json_object_array_length(jget(o, "series")), 0, "unknown route: nothing");
	json_object_put(o);

	/* /api/heatmap: weekday x hour, in UTC and an hour east. */
	o = api(a, "/api/heatmap?days=7", now, &rc);
	ASSERT_OK(rc, "heatmap");
	for (w = 0; w < 7; w++)
		for (h = 0; h < 24; h++)
			if ((uint64_t)jidx(json_object_array_get_idx(jget(o, "cells"), w), h) !=
			    x.heat[w][h])
				heat_ok = false;
	ASSERT_TRUE(heat_ok, "heatmap cells (UTC)");
	ASSERT_EQ(jint(o, "total"), 181, "heatmap total");
	json_object_put(o);
	heat_ok = true;
	o = api(a, "/api/heatmap?days=7&tz=60", now, &rc);
	for (w = 0; w < 7; w++)
		for (h = 0; h < 24; h++)
			if ((uint64_t)jidx(json_object_array_get_idx(jget(o, "cells"), w), h) !=
			    x.heat_tz[w][h])
				heat_ok = false;
	ASSERT_TRUE(heat_ok, "heatmap cells (UTC+1)");
	json_object_put(o);
	o = api(a, "/api/heatmap?days=7&route=/login", now, &rc);
	ASSERT_EQ(jint(o, "total"), 5, "heatmap of a route");
	json_object_put(o);
	o = api(a, "/api/heatmap?days=7&version=bbbb", now, &rc);
	ASSERT_EQ(jint(o, "total"), 60 + 7 + 3 + 26, "heatmap of a version");
	json_object_put(o);

	/* /api/status: per route, method and version. */
	o = api(a, "/api/status?days=7", now, &rc);
	ASSERT_OK(rc, "status");
	r = jfind(jget(o, "routes"), "route", "/items/<int:item_id>");
	ASSERT_EQ(jint(jget(r, "statuses"), "200"), 15, "items 200");
	ASSERT_EQ(jint(jget(r, "statuses"), "404"), 5, "items 404");
	r = jfind(jget(o, "routes"), "route", "/login");
	ASSERT_EQ(jint(jget(r, "methods"), "POST"), 5, "login POST");
	ASSERT_EQ(jint(jget(o, "statuses"), "200"), 120 + 15 + 26, "all 200");
	ASSERT_EQ(jint(jget(o, "statuses"), "404"), 5 + 7, "all 404");
	ASSERT_EQ(jint(jget(o, "classes"), "5xx"), 3, "5xx class");
	r = jfind(jget(o, "versions"), "version", "bbbb");
	ASSERT_EQ(jint(r, "total"), 60 + 7 + 3 + 26, "bbbb total");
	ASSERT_EQ(jint(jget(r, "statuses"), "500"), 3, "bbbb 500");
	json_object_put(o);

	/* /api/latency: quantiles within the bucket error, min and max exact, per version. */
	o = api(a, "/api/latency?days=7", now, &rc);
	ASSERT_OK(rc, "latency");
	qsort(root_lat, n_root, sizeof(double), dbl_cmp);
	r = jfind(jget(o, "routes"), "route", "/");
	lat = jget(r, "latency");
	ASSERT_EQ(jint(lat, "count"), 120, "/ count");
	ASSERT_TRUE(fabs(jdbl(lat, "min") - 0.010) < 1e-9, "/ min exact");
	ASSERT_TRUE(fabs(jdbl(lat, "max") - 0.019) < 1e-9, "/ max exact");
	ASSERT_TRUE(fabs(jdbl(lat, "mean") - 0.0145) < 1e-6, "/ mean");
	CHECK_Q(lat, "p50", exact_q(root_lat, n_root, 0.5), "/ p50");
	CHECK_Q(lat, "p90", exact_q(root_lat, n_root, 0.9), "/ p90");
	CHECK_Q(lat, "p99", exact_q(root_lat, n_root, 0.99), "/ p99");
	CHECK_Q(lat, "q1", exact_q(root_lat, n_root, 0.25), "/ q1");
	CHECK_Q(lat, "q3", exact_q(root_lat, n_root, 0.75), "/ q3");
	CHECK_Q(lat, "p5", exact_q(root_lat, n_root, 0.05), "/ p5");
	CHECK_Q(lat, "p95", exact_q(root_lat, n_root, 0.95), "/ p95");
	ASSERT_EQ(json_object_array_length(jget(r, "versions")), 2, "/ in two versions");
	ASSERT_EQ(jint(jget(jfind(jget(r, "versions"), "version", "aaaa"), "latency"), "count"), 60,
		  "/ in aaaa");
	r = jfind(jget(o, "routes"), "route", "/items/<int:item_id>");
	lat = jget(r, "latency");
	{
		double items[20];

		for (i = 0; i < 20; i++)
			items[i] = 0.002 * (double)(i + 1);
		CHECK_Q(lat, "p50", exact_q(items, 20, 0.5), "items p50");
		CHECK_Q(lat, "p90", exact_q(items, 20, 0.9), "items p90");
		CHECK_Q(lat, "p99", exact_q(items, 20, 0.99), "items p99");
	}
	r = jfind(jget(o, "routes"), "route", "/login");
	ASSERT_TRUE(fabs(jdbl(jget(r, "latency"), "p50") - 0.3) < 1e-9,
		    "one value: quantiles clamp to it");
	r = jfind(jget(o, "versions"), "version", "aaaa");
	ASSERT_EQ(jint(jget(r, "latency"), "count"), 60 + 20 + 5, "aaaa latencies");
	ASSERT_EQ(jint(r, "first_day"), d0, "aaaa first day");
	r = jfind(jget(o, "versions"), "version", "bbbb");
	ASSERT_EQ(jint(jget(r, "latency"), "count"), 60 + 3 + 26, "bbbb latencies");
	ASSERT_TRUE(fabs(jdbl(jget(r, "latency"), "max") - 2.0) < 1e-9, "bbbb max");
	ASSERT_STREQ(jstr(json_object_array_get_idx(jget(o, "versions"), 0), "version"), "aaaa",
		     "versions oldest first");
	json_object_put(o);

	/* /api/clients: the heaviest, all routes and one route. */
	o = api(a, "/api/clients?days=7", now, &rc);
	ASSERT_OK(rc, "clients");
	arr = jget(o, "clients");
	ASSERT_EQ(json_object_array_length(arr), 7, "seven clients");
	ASSERT_STREQ(jstr(json_object_array_get_idx(arr, 0), "client"), "192.0.2.1", "heaviest");
	/* "/" takes turns over 192.0.2.1..3 in hours of 10, 20, 30 requests: 42, 40, 38. */
	ASSERT_EQ(jint(json_object_array_get_idx(arr, 0), "hits"), 42, "heaviest hits");
	ASSERT_STREQ(jstr(json_object_array_get_idx(arr, 2), "client"), "192.0.2.3", "third");
	ASSERT_EQ(jint(json_object_array_get_idx(arr, 2), "hits"), 38, "third hits");
	ASSERT_STREQ(jstr(json_object_array_get_idx(arr, 3), "client"), "192.0.2.50", "fourth");
	ASSERT_EQ(jint(json_object_array_get_idx(arr, 3), "hits"), 26, "fourth hits");
	r = jfind(arr, "client", "198.51.100.7");
	ASSERT_EQ(jint(r, "hits"), 20, "items client");
	ASSERT_EQ(jint(r, "s4xx"), 5, "items client 4xx");
	ASSERT_TRUE(fabs(jdbl(r, "mean_latency") - 0.021) < 1e-9, "items client mean");
	ASSERT_TRUE(jfind(arr, "client", "203.0.113.66") != NULL, "unknown-route client");
	json_object_put(o);
	o = api(a, "/api/clients?days=7&limit=2", now, &rc);
	ASSERT_EQ(json_object_array_length(jget(o, "clients")), 2, "limit");
	json_object_put(o);
	o = api(a, "/api/clients?days=7&route=/login", now, &rc);
	arr = jget(o, "clients");
	ASSERT_EQ(json_object_array_length(arr), 1, "login clients");
	ASSERT_STREQ(jstr(json_object_array_get_idx(arr, 0), "client"), "203.0.113.9", "login client");
	json_object_put(o);

	/* /api/outliers: the 2 s request on /slow, its path made printable; /boom too young to judge. */
	o = api(a, "/api/outliers", now, &rc);
	ASSERT_OK(rc, "outliers");
	arr = jget(o, "outliers");
	ASSERT_EQ(json_object_array_length(arr), 1, "one outlier");
	r = json_object_array_get_idx(arr, 0);
	ASSERT_STREQ(jstr(r, "route"), "/slow", "outlier route");
	ASSERT_STREQ(jstr(r, "path"), "/slow?x=1?<b>", "outlier path");
	ASSERT_STREQ(jstr(r, "client"), "192.0.2.50", "outlier client");
	ASSERT_STREQ(jstr(r, "method"), "GET", "outlier method");
	ASSERT_EQ(jint(r, "time"), d0 + 2 * DAY + 15 * HOUR + 30, "outlier time");
	ASSERT_TRUE(fabs(jdbl(r, "latency") - 2.0) < 1e-9, "outlier latency");
	ASSERT_TRUE(jdbl(r, "threshold") >= ROLLUP_OUTLIER_FLOOR_S &&
			    jdbl(r, "threshold") <= 5 * 0.025,
		    "threshold: max(5 x p90, floor)");
	json_object_put(o);

	/* /api/versions. */
	o = api(a, "/api/versions?days=7", now, &rc);
	ASSERT_STREQ(jstr(o, "current"), "bbbb", "current version");
	ASSERT_EQ(json_object_array_length(jget(o, "versions")), 2, "two versions");
	json_object_put(o);

	/* /api/bans without ban maps (dry run). */
	o = api(a, "/api/bans", now, &rc);
	ASSERT_OK(rc, "bans");
	ASSERT_TRUE(!json_object_get_boolean(jget(o, "available")), "no maps");
	json_object_put(o);

	/* Bad requests. */
	o = api(a, "/api/hits?days=0", now, &rc);
	ASSERT_EQ(rc, -EINVAL, "days=0");
	ASSERT_NOT_NULL(jstr(o, "error"), "error message");
	json_object_put(o);
	o = api(a, "/api/hits?days=7x", now, &rc);
	ASSERT_EQ(rc, -EINVAL, "days=7x");
	json_object_put(o);
	o = api(a, "/api/heatmap?tz=100000", now, &rc);
	ASSERT_EQ(rc, -EINVAL, "tz out of range");
	json_object_put(o);
	o = api(a, "/api/nope", now, &rc);
	ASSERT_EQ(rc, -ENOENT, "unknown endpoint");
	json_object_put(o);
	o = NULL;
out:
	json_object_put(o);
	analytics__close(a);
	rm_dir(dir);
}

/* Hostile input stays bounded: methods, statuses, long names and paths. */
static void test_bounds(void)
{
	char err[256], *dir = tmp_dir(), longname[1000], longpath[2000];
	struct analytics *a = NULL;
	struct json_object *o = NULL, *r;
	struct prefix c = addr("2001:db8::1");
	time_t now = time(NULL);
	int rc, i;

	if (!ASSERT_NOT_NULL(dir, "tmpdir"))
		return;
	a = analytics__open(dir, 0, err, sizeof(err));
	if (!ASSERT_NOT_NULL(a, err))
		goto out;
	memset(longname, 'r', sizeof(longname) - 1);
	longname[0] = '/';
	longname[sizeof(longname) - 1] = '\0';
	memset(longpath, 'p', sizeof(longpath));
	for (i = 0; i < 50; i++)
		analytics__record(a, "/m", i % 2 ? "FOOBAR" : "", i % 3 ? 200 : 999, &c, 0.001,
				  "/m", 2, now);
	analytics__record(a, "/m", "GET", 200, &c, 30.0, longpath, sizeof(longpath), now);
	analytics__record(a, longname, "GET", 200, NULL, 0.001, NULL, 0, now);
	analytics__set_version(a, NULL);
	o = api(a, "/api/status?days=1", now, &rc);
	ASSERT_OK(rc, "status");
	r = jfind(jget(o, "routes"), "route", "/m");
	ASSERT_EQ(jint(jget(r, "methods"), "OTHER"), 25, "odd methods are OTHER");
	ASSERT_EQ(jint(jget(r, "methods"), "-"), 25, "no method is -");
	ASSERT_EQ(jint(jget(r, "statuses"), "0"), 17, "bad statuses are 0");
	ASSERT_EQ(json_object_array_length(jget(o, "routes")), 2, "two routes");
	json_object_put(o);
	o = api(a, "/api/outliers", now, &rc);
	r = json_object_array_get_idx(jget(o, "outliers"), 0);
	ASSERT_EQ(strlen(jstr(r, "path") ? jstr(r, "path") : ""), ROLLUP_OUTLIER_PATH_LEN,
		  "path cut");
	ASSERT_STREQ(jstr(r, "client"), "2001:db8::1", "IPv6 client");
	json_object_put(o);
	o = api(a, "/api/routes?days=1", now, &rc);
	ASSERT_TRUE(jfind(jget(o, "routes"), "route", "/m") != NULL, "route");
	for (i = 0; i < (int)json_object_array_length(jget(o, "routes")); i++) {
		const char *name = jstr(json_object_array_get_idx(jget(o, "routes"), i), "route");

		ASSERT_LE(strlen(name), ROLLUP_MAX_NAME_LEN, "name bounded");
	}
	json_object_put(o);
	o = api(a, "/api/versions?days=1", now, &rc);
	ASSERT_STREQ(jstr(o, "current"), "unknown", "no version is unknown");
	json_object_put(o);
	o = NULL;
out:
	json_object_put(o);
	analytics__close(a);
	rm_dir(dir);
}

/* The outlier rule: enough samples first, judged on the route's last requests however old. */
static void test_outlier_rule(void)
{
	char err[256], *dir = tmp_dir();
	struct analytics *a = NULL;
	time_t now = time(NULL), t = now - 5 * DAY;
	uint64_t before;
	int i;

	if (!ASSERT_NOT_NULL(dir, "tmpdir"))
		return;
	a = analytics__open(dir, 0, err, sizeof(err));
	if (!ASSERT_NOT_NULL(a, err))
		goto out;
	/* A quiet route: a request an hour. */
	for (i = 0; i < ROLLUP_OUTLIER_MIN_SAMPLES - 1; i++)
		analytics__record(a, "/q", "GET", 200, NULL, 0.010, NULL, 0, t += HOUR);
	analytics__record(a, "/q", "GET", 200, NULL, 1.0, NULL, 0, t += HOUR);
	ASSERT_EQ(analytics__stats(a)->outliers, 0, "too few samples to judge");
	analytics__record(a, "/q", "GET", 200, NULL, 1.0, NULL, 0, t += HOUR);
	ASSERT_EQ(analytics__stats(a)->outliers, 1, "judged once there are enough");
	analytics__record(a, "/q", "GET", 200, NULL, 0.09, NULL, 0, t += HOUR);
	ASSERT_EQ(analytics__stats(a)->outliers, 1, "under the floor");
	/* The route becomes slow: at first outliers, then the new normal. */
	before = analytics__stats(a)->outliers;
	for (i = 0; i < 2 * ROLLUP_OUTLIER_WINDOW + 10; i++)
		analytics__record(a, "/q", "GET", 200, NULL, 1.5, NULL, 0, t += 60);
	ASSERT_GE(analytics__stats(a)->outliers - before, 1, "a change is noticed");
	ASSERT_LE(analytics__stats(a)->outliers - before, 30, "and then learned");
	before = analytics__stats(a)->outliers;
	analytics__record(a, "/q", "GET", 200, NULL, 3.0, NULL, 0, t += 60);
	ASSERT_EQ(analytics__stats(a)->outliers, before, "3 s is normal now");
	analytics__record(a, "/q", "GET", 200, NULL, 20.0, NULL, 0, t += 60);
	ASSERT_EQ(analytics__stats(a)->outliers, before + 1, "20 s is not");
	/* Another route has its own history. */
	analytics__record(a, "/other", "GET", 200, NULL, 9.0, NULL, 0, t);
	ASSERT_EQ(analytics__stats(a)->outliers, before + 1, "per route");
out:
	analytics__close(a);
	rm_dir(dir);
}

/* Lines and latencies measured apart pair by request line, else by time; a miss never shifts the pairs after it. */
static void test_pairing(void)
{
	static const struct {
		const char *route;
		double latency; /* < 0: none */
	} want[] = { { "/a", 0.010 }, { "/b", 0.020 }, { "/c", -1 },   { "/d", 0.030 },
		     { "/e", 0.040 }, { "/f", 0.050 }, { "/g", 0.060 }, { "/x", 0.080 },
		     { "/y", 0.070 }, { "/late", 0.090 }, { "/m", -1 }, { "/long", 0.100 },
		     { "/gun", 0.110 }, { "/h", -1 } };
	char err[256], *dir = tmp_dir(), longpath[101], head[65];
	struct analytics *a = NULL;
	struct json_object *o = NULL, *r;
	struct prefix c = addr("192.0.2.3");
	time_t now = time(NULL);
	uint64_t b = time__boot_ns(), ms = NSEC_PER_MSEC, s = NSEC_PER_SEC;
	size_t i;
	int rc;

	if (!ASSERT_NOT_NULL(dir, "tmpdir"))
		return;
	a = analytics__open(dir, 0, err, sizeof(err));
	if (!ASSERT_NOT_NULL(a, err))
		goto out;
#define LINE(route, at) analytics__record_pending(a, route, "GET", 200, &c, route, strlen(route), now, b + (at))
	/* Without request lines (old kernels): by time alone. */
	LINE("/a", 0);                                      /* the line first (Werkzeug) */
	analytics__latency(a, b + 1 * ms, 10 * ms, NULL);
	analytics__latency(a, b + 100 * ms, 20 * ms, "");   /* the latency first (gunicorn) */
	LINE("/b", 101 * ms);
	LINE("/c", 1 * s);                                  /* its latency never comes */
	LINE("/d", 2 * s);
	analytics__latency(a, b + 2 * s + 1 * ms, 30 * ms, NULL);
	analytics__latency(a, b + 3 * s, 99 * ms, NULL);    /* a latency with no line */
	LINE("/e", 4 * s);
	analytics__latency(a, b + 4 * s + 2 * ms, 40 * ms, NULL);
	LINE("/f", 5 * s);                                  /* two at once: in order */
	LINE("/g", 5 * s + 1 * ms);
	analytics__latency(a, b + 5 * s + 2 * ms, 50 * ms, NULL);
	analytics__latency(a, b + 5 * s + 3 * ms, 60 * ms, NULL);
	/* With request lines: by request. */
	LINE("/x", 10 * s);                                 /* two at once, answered the other way round */
	LINE("/y", 10 * s + 1 * ms);
	analytics__latency(a, b + 10 * s + 2 * ms, 70 * ms, "GET /y HTTP/1.1");
	analytics__latency(a, b + 10 * s + 3 * ms, 80 * ms, "GET /x HTTP/1.1");
	LINE("/late", 11 * s);                              /* measured late, still its own */
	analytics__latency(a, b + 12 * s + 500 * ms, 90 * ms, "GET /late HTTP/1.1");
	LINE("/m", 15 * s);                                 /* another request's latency */
	analytics__latency(a, b + 15 * s + 1 * ms, 95 * ms, "GET /other HTTP/1.1");
	memset(longpath, 'l', sizeof(longpath) - 1);
	longpath[0] = '/';
	memcpy(longpath, "/long", 5);
	longpath[sizeof(longpath) - 1] = '\0';
	/* What the watcher gives of it: its first 64 bytes, the target cut short. */
	memcpy(head, "GET ", 4);
	memcpy(head + 4, longpath, sizeof(head) - 5);
	head[sizeof(head) - 1] = '\0';
	analytics__record_pending(a, "/long", "GET", 200, &c, longpath, strlen(longpath), now,
				  b + 20 * s);
	analytics__latency(a, b + 20 * s + 1 * ms, 100 * ms, head);
	analytics__latency(a, b + 25 * s, 110 * ms, "GET /gun HTTP/1.1"); /* gunicorn: latency first */
	LINE("/gun", 25 * s + 40 * ms);
	LINE("/h", 30 * s);                                 /* the last one waits alone */
#undef LINE
	ASSERT_EQ(analytics__stats(a)->paired, 11, "paired before the wait ends");
	analytics__pair_expire(a, b + 60 * s);
	ASSERT_EQ(analytics__stats(a)->paired, 11, "paired");
	ASSERT_EQ(analytics__stats(a)->unpaired, 3, "recorded without latency");
	ASSERT_EQ(analytics__stats(a)->lost_latencies, 2, "latencies without a line");
	ASSERT_EQ(analytics__stats(a)->recorded, 14, "each line recorded once");
	o = api(a, "/api/routes?days=1", now, &rc);
	ASSERT_OK(rc, "routes");
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		r = jfind(jget(o, "routes"), "route", want[i].route);
		if (!ASSERT_EQ(jint(r, "hits"), 1, want[i].route))
			continue;
		if (want[i].latency < 0)
			ASSERT_EQ(jint(jget(r, "latency"), "count"), 0, want[i].route);
		else if (fabs(jdbl(jget(r, "latency"), "max") - want[i].latency) > 1e-9)
			TU_FAIL(want[i].route, "latency %g, expected %g", jdbl(jget(r, "latency"), "max"),
				want[i].latency);
	}
	json_object_put(o);
	o = NULL;
	/* A line still waiting at close is recorded. */
	analytics__record_pending(a, "/z", "GET", 200, NULL, NULL, 0, now, time__boot_ns());
out:
	json_object_put(o);
	analytics__close(a);
	if (dir) {
		a = analytics__open(dir, 0, err, sizeof(err));
		o = a ? api(a, "/api/routes?days=1", now, &rc) : NULL;
		ASSERT_EQ(jint(jfind(jget(o, "routes"), "route", "/z"), "hits"), 1, "waiting line kept");
		json_object_put(o);
		analytics__close(a);
	}
	rm_dir(dir);
}

/*
 * The rings that pair lines with latencies: bounded, the oldest gives way
 * (counted), and pairs stay right through many wrap-arounds and out-of-order
 * answers.
 */
static void test_pairing_rings(void)
{
	enum { N = ANALYTICS_PAIR_MAX, ROUTES = 16, ROUNDS = 10 * ANALYTICS_PAIR_MAX / 8 };
	char err[256], *dir = tmp_dir(), route[32], head[64];
	struct analytics *a = NULL;
	struct json_object *o = NULL, *r;
	const struct analytics_stats *st;
	struct prefix c = addr("192.0.2.4");
	time_t now = time(NULL);
	uint64_t b = time__boot_ns(), us = 1000, t = 0, recorded;
	int i, k, rc;

	if (!ASSERT_NOT_NULL(dir, "tmpdir"))
		return;
	a = analytics__open(dir, 0, err, sizeof(err));
	if (!ASSERT_NOT_NULL(a, err))
		goto out;
	st = analytics__stats(a);

	/* 1. N + 5 lines within the wait, no latency: the 5 oldest are recorded at once. */
	for (i = 0; i < N + 5; i++)
		analytics__record_pending(a, "/full", "GET", 200, &c, "/full", 5, now, b + (t += us));
	ASSERT_EQ(st->overflow_lines, 5, "lines beyond the bound counted");
	ASSERT_EQ(st->unpaired, 5, "and recorded without latency");
	/* The latency of the 6th line still finds it: the ring kept the newest N. */
	analytics__latency(a, b + t, 7 * NSEC_PER_MSEC, "GET /full HTTP/1.1");
	ASSERT_EQ(st->paired, 1, "the oldest waiting line paired");
	analytics__pair_expire(a, b + t + 10 * NSEC_PER_SEC);
	ASSERT_EQ(st->unpaired, N + 4, "the rest recorded without latency after the wait");
	ASSERT_EQ(st->recorded, N + 5, "each line once");

	/* 2. N + 3 latencies, no line: the 3 oldest dropped and counted. */
	t += 10 * NSEC_PER_SEC;
	for (i = 0; i < N + 3; i++)
		analytics__latency(a, b + (t += us), NSEC_PER_MSEC, "GET /nothing HTTP/1.1");
	ASSERT_EQ(st->overflow_latencies, 3, "latencies beyond the bound counted");
	ASSERT_EQ(st->lost_latencies, 3, "as lost");
	analytics__pair_expire(a, b + t + 10 * NSEC_PER_SEC);
	ASSERT_EQ(st->lost_latencies, N + 3, "the rest lost after the wait");

	/* 3. Holes hold slots until the oldest goes: the oldest waiting line, then room for N. */
	t += 10 * NSEC_PER_SEC;
	analytics__record_pending(a, "/stuck", "GET", 200, &c, "/stuck", 6, now, b + (t += us));
	for (i = 0; i < N - 1; i++) {
		analytics__record_pending(a, "/hole", "GET", 200, &c, "/hole", 5, now, b + (t += us));
		analytics__latency(a, b + t, NSEC_PER_MSEC, "GET /hole HTTP/1.1");
	}
	ASSERT_EQ(st->paired, 1 + (N - 1), "paired out of order");
	ASSERT_EQ(st->overflow_lines, 5, "no overflow yet");
	analytics__record_pending(a, "/next", "GET", 200, &c, "/next", 5, now, b + (t += us));
	ASSERT_EQ(st->overflow_lines, 6, "the slots between /stuck and the newest were full");
	for (i = 0; i < N - 1; i++)
		analytics__record_pending(a, "/room", "GET", 200, &c, "/room", 5, now, b + (t += us));
	ASSERT_EQ(st->overflow_lines, 6, "the holes freed with /stuck: room for N");
	analytics__pair_expire(a, b + t + 10 * NSEC_PER_SEC);

	/*
	 * 4. Pairs through 10 wrap-arounds: 8 requests at a time on 16 routes,
	 * half answered in reverse order with their request line, half by time
	 * alone; route K's latency is K + 1 ms, so any mispairing shows.
	 */
	recorded = st->recorded;
	t += 10 * NSEC_PER_SEC;
	for (i = 0; i < ROUNDS; i++) {
		uint64_t t0 = t;

		for (k = 0; k < 8; k++) {
			int q = (i * 8 + k) % ROUTES;

			snprintf(route, sizeof(route), "/r%d", q);
			analytics__record_pending(a, route, "GET", 200, &c, route, strlen(route), now,
						  b + (t += us));
		}
		for (k = 7; k >= 0; k--) {
			int q = (i * 8 + k) % ROUTES;
			bool known = i % 2 == 0;

			snprintf(head, sizeof(head), "GET /r%d HTTP/1.1", q);
			/* By time alone, the answers come in order (the oldest line first). */
			if (!known)
				q = (i * 8 + (7 - k)) % ROUTES;
			analytics__latency(a, b + (t += us), (uint64_t)(q + 1) * NSEC_PER_MSEC,
					   known ? head : NULL);
		}
		t = t0 + 10 * NSEC_PER_SEC / ROUNDS + 16 * us;
	}
	ASSERT_EQ(st->recorded - recorded, ROUNDS * 8, "every request recorded once");
	ASSERT_EQ(st->paired, N + ROUNDS * 8, "every request paired");
	ASSERT_EQ(st->overflow_lines, 6, "no overflow");
	o = api(a, "/api/routes?days=1", now, &rc);
	ASSERT_OK(rc, "routes");
	for (k = 0; k < ROUTES; k++) {
		snprintf(route, sizeof(route), "/r%d", k);
		r = jget(jfind(jget(o, "routes"), "route", route), "latency");
		if (fabs(jdbl(r, "min") - (k + 1) / 1e3) > 1e-9 || fabs(jdbl(r, "max") - (k + 1) / 1e3) > 1e-9)
			TU_FAIL(route, "latency %g..%g, expected %g", jdbl(r, "min"), jdbl(r, "max"),
				(k + 1) / 1e3);
	}
out:
	json_object_put(o);
	analytics__close(a);
	rm_dir(dir);
}

/* More clients than a flush keeps: the heavy ones survive, counts never inflated. */
static void test_heavy_clients(void)
{
	char err[256], *dir = tmp_dir(), ip[32];
	struct analytics *a = NULL;
	struct json_object *o = NULL, *arr;
	time_t now = time(NULL);
	struct prefix p;
	int rc, i, j;

	if (!ASSERT_NOT_NULL(dir, "tmpdir"))
		return;
	a = analytics__open(dir, 0, err, sizeof(err));
	if (!ASSERT_NOT_NULL(a, err))
		goto out;
	/* 3 heavy clients (500 each) among 1000 light ones (1 each), interleaved. */
	for (i = 0; i < 1000; i++) {
		snprintf(ip, sizeof(ip), "198.51.100.%d", i % 250);
		p = addr(ip);
		p.addr[2] = (uint8_t)(100 + i / 250); /* 198.51.1xx.y: all distinct */
		analytics__record(a, "/x", "GET", 200, &p, -1, NULL, 0, now);
		if (i % 2 == 0)
			for (j = 0; j < 3; j++) {
				snprintf(ip, sizeof(ip), "192.0.2.%d", j + 1);
				p = addr(ip);
				analytics__record(a, "/x", "GET", 200, &p, -1, NULL, 0, now);
			}
	}
	ASSERT_OK(analytics__flush(a, now), "flush");
	ASSERT_OK(analytics__prune(a, now), "prune (compaction)");
	o = api(a, "/api/clients?days=1&route=/x&limit=1000", now, &rc);
	arr = jget(o, "clients");
	ASSERT_LE(json_object_array_length(arr), ANALYTICS_DB_CLIENTS_KEEP, "compacted");
	for (j = 0; j < 3; j++) {
		struct json_object *e = json_object_array_get_idx(arr, j);

		ASSERT_TRUE(!strncmp(jstr(e, "client") ? jstr(e, "client") : "", "192.0.2.", 8),
			    "heavy ones first");
		ASSERT_LE(jint(e, "hits"), 500, "never inflated");
		ASSERT_GE(jint(e, "hits"), 400, "close to their count");
	}
	json_object_put(o);
	o = NULL;
out:
	json_object_put(o);
	analytics__close(a);
	rm_dir(dir);
}

/*
 * The top-k's guarantee on a mixed IPv4/IPv6 stream with many evictions:
 * each heavy client kept, once, with hits in [true - N/k, true].
 */
/*
 * The top-k's own guarantees under churn (3,000 clients through 128 slots,
 * half of them IPv6): the ranks add up to the requests (space-saving's
 * invariant: no count lost or invented), a monitored client's rank never
 * falls below its true count and its hits never exceed it, and every
 * client above 1/128 of the traffic holds a slot. Exact below 128 clients.
 */
static void test_topk_guarantees(void)
{
	enum { HEAVY = 4, LIGHT = 3000, N = 60000, FEW = 100 };
	static int64_t truth[HEAVY + LIGHT];
	struct topk t = { 0 }, few = { 0 };
	unsigned int seed = 11;
	uint64_t sum = 0;
	uint32_t i;
	int k, held = 0, bad_rank = 0, bad_hits = 0, exact = 0;

	memset(truth, 0, sizeof(truth));
	for (k = 0; k < N; k++) {
		int x = rand_r(&seed) % 100, c = x < 20 ? x % HEAVY : HEAVY + rand_r(&seed) % LIGHT;
		struct prefix p = { .family = c % 2 ? 6 : 4, .prefixlen = c % 2 ? 128 : 32 };

		if (c % 2) {
			p.addr[0] = 0x20, p.addr[1] = 0x01, p.addr[2] = 0x0d, p.addr[3] = 0xb8;
			p.addr[14] = (uint8_t)(c >> 8), p.addr[15] = (uint8_t)c;
		} else {
			p.addr[0] = 198, p.addr[1] = 51, p.addr[2] = (uint8_t)(c >> 8), p.addr[3] = (uint8_t)c;
		}
		truth[c]++;
		if (!ASSERT_OK(topk__add(&t, &p, x < 50 ? 404 : 200, -1), "add"))
			goto out;
		if (c >= HEAVY && c < HEAVY + FEW)
			topk__add(&few, &p, 200, 0.5);
	}
	ASSERT_EQ(t.n, TOPK_SLOTS, "every slot used");
	for (i = 0; i < t.n; i++) {
		const struct topk_slot *s = &t.slots[i];
		int c = s->addr.family == 6 ? s->addr.addr[14] << 8 | s->addr.addr[15]
					    : s->addr.addr[2] << 8 | s->addr.addr[3];

		sum += topk__rank(&t, i);
		bad_rank += topk__rank(&t, i) < (uint64_t)truth[c];
		bad_hits += s->hits > truth[c] || s->s4xx > s->hits;
		held += c < HEAVY;
	}
	ASSERT_EQ(sum, N, "ranks add up to the requests");
	ASSERT_EQ(bad_rank, 0, "a rank never below the true count");
	ASSERT_EQ(bad_hits, 0, "hits never above the true count");
	ASSERT_EQ(held, HEAVY, "the heavy clients (5 % each) hold slots");
	for (i = 0; i < few.n; i++) {
		const struct topk_slot *s = &few.slots[i];
		int c = s->addr.family == 6 ? s->addr.addr[14] << 8 | s->addr.addr[15]
					    : s->addr.addr[2] << 8 | s->addr.addr[3];

		exact += s->hits == truth[c] && topk__rank(&few, i) == (uint64_t)truth[c] &&
			 s->lat_n == s->hits;
	}
	ASSERT_EQ(few.n, FEW, "100 clients, 100 slots");
	ASSERT_EQ(exact, FEW, "exact below 128 clients");
out:
	topk__free(&t);
	topk__free(&few);
}

/*
 * A day of churn: 100 flushes, each with 20 requests of one client and
 * 1,000 of clients seen once (100,000 in all). The top-k lives for the day:
 * the steady client is counted exactly, and day_client gets rows only for
 * clients that settled in, not one per passer-by.
 */
static void test_clients_day_churn(void)
{
	enum { FLUSHES = 100, STEADY = 20, PASSING = 1000 };
	char err[256], *dir = tmp_dir(), path[512];
	struct analytics *a = NULL;
	struct json_object *o = NULL, *arr;
	time_t now = time(NULL);
	struct prefix steady = addr("203.0.113.7"), p;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int64_t rows = -1;
	int f, i;

	if (!ASSERT_NOT_NULL(dir, "tmpdir"))
		return;
	a = analytics__open(dir, 0, err, sizeof(err));
	if (!ASSERT_NOT_NULL(a, err))
		goto out;
	for (f = 0; f < FLUSHES; f++) {
		for (i = 0; i < STEADY; i++)
			analytics__record(a, "/", "GET", 200, &steady, -1, "/", 1, now);
		for (i = 0; i < PASSING; i++) {
			int k = f * PASSING + i;

			p = (struct prefix){ .family = 6, .prefixlen = 128,
					     .addr = { 0x20, 0x01, 0x0d, 0xb8, [12] = (uint8_t)(k >> 16),
						       [13] = (uint8_t)(k >> 8), [14] = (uint8_t)k, [15] = 1 } };
			analytics__record(a, "/", "GET", 200, &p, -1, "/", 1, now);
		}
		if (!ASSERT_OK(analytics__flush(a, now), "flush"))
			goto out;
	}
	o = api(a, "/api/clients?days=1&limit=5", now, NULL);
	arr = jget(o, "clients");
	ASSERT_TRUE(jstr(json_object_array_get_idx(arr, 0), "client") &&
			    !strcmp(jstr(json_object_array_get_idx(arr, 0), "client"), "203.0.113.7"),
		    "the steady client first");
	ASSERT_EQ(jint(json_object_array_get_idx(arr, 0), "hits"), FLUSHES * STEADY, "counted exactly");
	snprintf(path, sizeof(path), "%s/%s", dir, ANALYTICS_DB_NAME);
	if (ASSERT_EQ(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK, "open") &&
	    ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT count(*) FROM day_client", -1, &st, NULL),
		      SQLITE_OK, "prepare") &&
	    sqlite3_step(st) == SQLITE_ROW)
		rows = sqlite3_column_int64(st, 0);
	ASSERT_TRUE(rows >= 2 && rows <= 4 * TOPK_SLOTS, "day_client rows bounded by the slots");
	printf("  %d clients in a day, %lld rows in day_client\n", FLUSHES * PASSING + 1,
	       (long long)rows);
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	json_object_put(o);
	analytics__close(a);
	rm_dir(dir);
}

static void test_clients_topk(void)
{
	enum { HEAVY = 10, LIGHT = 3000, N = 30000 };
	char err[256], *dir = tmp_dir(), ip[64];
	struct analytics *a = NULL;
	struct json_object *o = NULL, *arr;
	time_t now = time(NULL);
	int64_t truth[HEAVY] = { 0 }, hits, slack = N / TOPK_SLOTS;
	unsigned int seed = 3;
	struct prefix p;
	int rc, i, j, seen;

	if (!ASSERT_NOT_NULL(dir, "tmpdir"))
		return;
	a = analytics__open(dir, 0, err, sizeof(err));
	if (!ASSERT_NOT_NULL(a, err))
		goto out;
	for (i = 0; i < N; i++) {
		int x = rand_r(&seed) % 100;

		if (x < 30) { /* 30 %: one of the heavy ones, 3 % each */
			j = x % HEAVY;
			truth[j]++;
			snprintf(ip, sizeof(ip), j % 2 ? "2001:db8:%d::1" : "192.0.2.%d", j + 1);
		} else {
			j = rand_r(&seed) % LIGHT;
			if (j % 2)
				snprintf(ip, sizeof(ip), "2001:db8:ffff:%x::%x", j / 256, j % 256 + 1);
			else
				snprintf(ip, sizeof(ip), "198.51.100.%d", j % 250);
			p = addr(ip);
			if (!(j % 2))
				p.addr[2] = (uint8_t)(100 + j / 250);
			analytics__record(a, "/t", "GET", 200, &p, -1, NULL, 0, now);
			continue;
		}
		p = addr(ip);
		analytics__record(a, "/t", "GET", 200, &p, -1, NULL, 0, now);
	}
	ASSERT_OK(analytics__flush(a, now), "flush");
	o = api(a, "/api/clients?days=1&route=/t&limit=1000", now, &rc);
	arr = jget(o, "clients");
	for (j = 0; j < HEAVY; j++) {
		snprintf(ip, sizeof(ip), j % 2 ? "2001:db8:%d::1" : "192.0.2.%d", j + 1);
		seen = 0;
		hits = -1;
		for (i = 0; i < (int)json_object_array_length(arr); i++) {
			struct json_object *e = json_object_array_get_idx(arr, i);

			if (jstr(e, "client") && !strcmp(jstr(e, "client"), ip)) {
				seen++;
				hits = jint(e, "hits");
			}
		}
		if (!ASSERT_EQ(seen, 1, ip))
			continue;
		ASSERT_LE(hits, truth[j], ip);
		ASSERT_GE(hits, truth[j] - slack, ip);
	}
out:
	json_object_put(o);
	analytics__close(a);
	rm_dir(dir);
}

/* History survives close and reopen; new records add to it. */
static void test_restart(void)
{
	char err[256], *dir = tmp_dir();
	struct analytics *a = NULL;
	struct json_object *o = NULL, *r;
	struct prefix c = addr("192.0.2.9");
	time_t now = time(NULL);
	int rc, i;

	if (!ASSERT_NOT_NULL(dir, "tmpdir"))
		return;
	a = analytics__open(dir, ANALYTICS_DEFAULT_RETENTION_NS, err, sizeof(err));
	if (!ASSERT_NOT_NULL(a, err))
		goto out;
	analytics__set_version(a, "v1");
	for (i = 0; i < 10; i++)
		analytics__record(a, "/r", "GET", 200, &c, 0.010 * (i + 1), "/r", 2, now - 2 * HOUR);
	for (i = 0; i < 25; i++)
		analytics__record(a, "/s", "GET", 200, &c, 0.001, "/s", 2, now - HOUR);
	analytics__record(a, "/s", "GET", 200, &c, 5.0, "/s/slow", 7, now - HOUR + 1);
	analytics__close(a); /* flushes */
	a = analytics__open(dir, ANALYTICS_DEFAULT_RETENTION_NS, err, sizeof(err));
	if (!ASSERT_NOT_NULL(a, err))
		goto out;
	o = api(a, "/api/routes?days=1", now, &rc);
	r = jfind(jget(o, "routes"), "route", "/r");
	ASSERT_EQ(jint(r, "hits"), 10, "hits after restart");
	ASSERT_TRUE(fabs(jdbl(jget(r, "latency"), "max") - 0.1) < 1e-9, "max after restart");
	CHECK_Q(jget(r, "latency"), "p50", 0.05, "p50 after restart");
	json_object_put(o);
	o = api(a, "/api/outliers", now, &rc);
	ASSERT_EQ(json_object_array_length(jget(o, "outliers")), 1, "outlier after restart");
	json_object_put(o);

	/* The same hour again, another version: rows merge. */
	analytics__set_version(a, "v2");
	for (i = 0; i < 5; i++)
		analytics__record(a, "/r", "GET", 503, &c, 0.2, "/r", 2, now - 2 * HOUR + 10);
	analytics__set_version(a, "v1");
	analytics__record(a, "/r", "GET", 200, &c, 0.001, "/r", 2, now - 2 * HOUR + 20);
	ASSERT_OK(analytics__flush(a, now), "flush");
	o = api(a, "/api/routes?days=1", now, &rc);
	r = jfind(jget(o, "routes"), "route", "/r");
	ASSERT_EQ(jint(r, "hits"), 16, "hits added");
	ASSERT_EQ(jint(r, "s5xx"), 5, "5xx added");
	ASSERT_TRUE(fabs(jdbl(jget(r, "latency"), "max") - 0.2) < 1e-9, "max merged");
	ASSERT_TRUE(fabs(jdbl(jget(r, "latency"), "min") - 0.001) < 1e-9, "min merged");
	json_object_put(o);
	o = api(a, "/api/latency?days=1&route=/r", now, &rc);
	r = jfind(jget(jfind(jget(o, "routes"), "route", "/r"), "versions"), "version", "v1");
	ASSERT_EQ(jint(jget(r, "latency"), "count"), 11, "v1 merged in the same hour");
	json_object_put(o);
	o = NULL;
out:
	json_object_put(o);
	analytics__close(a);
	rm_dir(dir);
}

static int64_t db_scalar(const char *dir, const char *sql)
{
	char path[512];
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int64_t v = -1;

	snprintf(path, sizeof(path), "%s/%s", dir, ANALYTICS_DB_NAME);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* Retention: what is older than the period goes at the next prune, the rest stays. */
static void test_retention(void)
{
	char err[256], sql[256], *dir = tmp_dir();
	struct analytics *a = NULL;
	struct json_object *o = NULL;
	struct prefix c = addr("192.0.2.7");
	time_t now = time(NULL);
	int64_t cut = now - 2 * DAY;
	int rc, i;

	if (!ASSERT_NOT_NULL(dir, "tmpdir"))
		return;
	a = analytics__open(dir, 2ULL * DAY * 1000000000ULL, err, sizeof(err));
	if (!ASSERT_NOT_NULL(a, err))
		goto out;
	/* Ten days ago (with an outlier), three days ago, an hour ago. */
	for (i = 0; i < 25; i++)
		analytics__record(a, "/old", "GET", 200, &c, 0.001, "/old", 4, now - 10 * DAY + i);
	analytics__record(a, "/old", "GET", 200, &c, 3.0, "/old", 4, now - 10 * DAY + 30);
	analytics__record(a, "/older", "GET", 200, &c, 0.01, "/older", 6, now - 3 * DAY);
	analytics__record(a, "/new", "GET", 200, &c, 0.01, "/new", 4, now - HOUR);
	ASSERT_OK(analytics__flush(a, now), "flush");
	ASSERT_EQ(db_scalar(dir, "SELECT count(*) FROM outliers"), 1, "outlier stored");
	ASSERT_GE(db_scalar(dir, "SELECT count(*) FROM hour_route"), 3, "all stored");
	ASSERT_OK(analytics__prune(a, now), "prune");
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM hour_route WHERE hour < %lld",
		 (long long)hour_of(cut));
	ASSERT_EQ(db_scalar(dir, sql), 0, "old hours gone");
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM day_route WHERE day < %lld",
		 (long long)day_of(cut));
	ASSERT_EQ(db_scalar(dir, sql), 0, "old days gone");
	ASSERT_EQ(db_scalar(dir, "SELECT count(*) FROM outliers"), 0, "old outliers gone");
	ASSERT_EQ(db_scalar(dir, "SELECT count(*) FROM day_client WHERE day < strftime('%s','now') - 3 * 86400"),
		  0, "old clients gone");
	ASSERT_EQ(db_scalar(dir, "SELECT count(*) FROM day_status WHERE day < strftime('%s','now') - 3 * 86400"),
		  0, "old statuses gone");
	o = api(a, "/api/routes?days=30", now, &rc);
	ASSERT_EQ(json_object_array_length(jget(o, "routes")), 1, "only the recent route");
	ASSERT_NOT_NULL(jfind(jget(o, "routes"), "route", "/new"), "recent route kept");
	json_object_put(o);
	o = api(a, "/api/heatmap?days=30", now, &rc);
	ASSERT_EQ(jint(o, "total"), 1, "heatmap pruned too");
	json_object_put(o);
	o = NULL;
	/* A flush in a later hour prunes on its own. */
	analytics__record(a, "/later", "GET", 200, &c, 0.01, "/later", 6, now - 3 * DAY);
	ASSERT_OK(analytics__flush(a, now + HOUR), "flush an hour later");
	ASSERT_EQ(db_scalar(dir, "SELECT count(*) FROM hour_route h JOIN names n ON n.id = h.route"
				 " WHERE n.name = '/later'"),
		  0, "pruned by the flush");
out:
	json_object_put(o);
	analytics__close(a);
	rm_dir(dir);
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * A year of history, 100 routes, a request of each route every hour (from
 * 20 clients, latency 1..100 ms by route); each /api query over the whole
 * year must answer with the right figures. Times are printed, not asserted.
 */
static void test_year(void)
{
	enum { ROUTES = 100, HOURS = 365 * 24 };
	char err[256], *dir = tmp_dir(), names[ROUTES][32], ip[32], path[512];
	static const char *const urls[] = {
		"/api/routes?days=366", "/api/hits?days=366&top=10", "/api/hits?days=366",
		"/api/heatmap?days=366", "/api/heatmap?days=366&route=/r/7",
		"/api/latency?days=366", "/api/status?days=366", "/api/clients?days=366",
		"/api/clients?days=366&route=/r/7", "/api/outliers", "/api/versions?days=366",
	};
	struct analytics *a = NULL;
	struct json_object *o = NULL, *r;
	struct prefix clients[20];
	time_t now = time(NULL);
	int64_t first = hour_of(now) - (int64_t)(HOURS - 1) * HOUR;
	double t0;
	struct stat stb;
	size_t u;
	int rc, h, i;

	if (!ASSERT_NOT_NULL(dir, "tmpdir"))
		return;
	a = analytics__open(dir, 400ULL * DAY * 1000000000ULL, err, sizeof(err));
	if (!ASSERT_NOT_NULL(a, err))
		goto out;
	for (i = 0; i < ROUTES; i++)
		snprintf(names[i], sizeof(names[i]), "/r/%d", i);
	for (i = 0; i < 20; i++) {
		snprintf(ip, sizeof(ip), "203.0.113.%d", i + 1);
		clients[i] = addr(ip);
	}
	t0 = mono_s();
	for (h = 0; h < HOURS; h++) {
		int64_t t = first + (int64_t)h * HOUR;

		if (h % (90 * 24) == 0) {
			snprintf(ip, sizeof(ip), "release-%d", h / (90 * 24));
			analytics__set_version(a, ip);
		}
		for (i = 0; i < ROUTES; i++)
			analytics__record(a, names[i], "GET", (h + i) % 50 ? 200 : 404,
					  &clients[(h + i) % 20], 0.001 * (i + 1), names[i],
					  strlen(names[i]), t + i);
		/* A flush a simulated day, as the timer would do many. */
		if (h % 24 == 23 && analytics__flush(a, now)) {
			TU_FAIL("flush", "flush failed at hour %d", h);
			goto out;
		}
	}
	ASSERT_OK(analytics__flush(a, now), "last flush");
	ASSERT_OK(analytics__prune(a, now), "prune");
	snprintf(path, sizeof(path), "%s/%s", dir, ANALYTICS_DB_NAME);
	stat(path, &stb);
	printf("  a year of 100 routes: %.1f s to record and flush %d requests, database %.1f MB\n",
	       mono_s() - t0, ROUTES * HOURS, (double)stb.st_size / 1e6);

	for (u = 0; u < sizeof(urls) / sizeof(urls[0]); u++) {
		t0 = mono_s();
		o = api(a, urls[u], now, &rc);
		printf("  %-40s %7.1f ms\n", urls[u], (mono_s() - t0) * 1e3);
		ASSERT_OK(rc, urls[u]);
		ASSERT_NOT_NULL(o, urls[u]);
		if (u == 0) {
			ASSERT_EQ(json_object_array_length(jget(o, "routes")), ROUTES, "all routes");
			r = jfind(jget(o, "routes"), "route", "/r/7");
			ASSERT_EQ(jint(r, "hits"), HOURS, "a year of hits");
			ASSERT_EQ(jint(r, "s4xx"), HOURS / 50, "a year of 404s");
			CHECK_Q(jget(r, "latency"), "p99", 0.008, "a year of latency");
		} else if (u == 1) {
			ASSERT_EQ(json_object_array_length(jget(o, "series")), 11, "top 10 + other");
			int64_t sum = 0;
			size_t d;

			for (d = 0; d < json_object_array_length(jget(o, "total")); d++)
				sum += jidx(jget(o, "total"), d);
			ASSERT_EQ(sum, (int64_t)ROUTES * HOURS, "every hit in a day");
		} else if (u == 3) {
			ASSERT_EQ(jint(o, "total"), (int64_t)ROUTES * HOURS, "heatmap total");
			/* Each weekday x hour cell holds 52 or 53 such hours of 100 requests. */
			ASSERT_GE(jidx(json_object_array_get_idx(jget(o, "cells"), 3), 12), 5200, "cell");
			ASSERT_LE(jidx(json_object_array_get_idx(jget(o, "cells"), 3), 12), 5300, "cell");
		} else if (u == 4) {
			ASSERT_EQ(jint(o, "total"), HOURS, "heatmap of a route");
		} else if (u == 5) {
			r = jfind(jget(o, "routes"), "route", "/r/99");
			ASSERT_EQ(jint(jget(r, "latency"), "count"), HOURS, "latency count");
			CHECK_Q(jget(r, "latency"), "p50", 0.100, "p50 of /r/99");
			ASSERT_EQ(json_object_array_length(jget(o, "versions")), 5, "five releases");
		} else if (u == 6) {
			ASSERT_EQ(jint(jget(o, "statuses"), "404"), (int64_t)ROUTES * HOURS / 50, "404s");
		} else if (u == 7) {
			int64_t sum = 0;
			size_t k;

			ASSERT_EQ(json_object_array_length(jget(o, "clients")), 20, "20 clients");
			for (k = 0; k < json_object_array_length(jget(o, "clients")); k++)
				sum += jint(json_object_array_get_idx(jget(o, "clients"), k), "hits");
			ASSERT_EQ(sum, (int64_t)ROUTES * HOURS, "every request has its client");
		} else if (u == 8) {
			ASSERT_EQ(jint(json_object_array_get_idx(jget(o, "clients"), 0), "hits"),
				  HOURS / 20, "a client of a route");
		} else if (u == 10) {
			ASSERT_EQ(json_object_array_length(jget(o, "versions")), 5, "versions");
		}
		json_object_put(o);
	}
	o = NULL;
out:
	json_object_put(o);
	analytics__close(a);
	rm_dir(dir);
}

/* ---- the handlers through the real HTTP server ---- */

struct fetched {
	int status;
	char *head, *body;
	size_t body_len;
};

/* In a child: GET each url from 127.0.0.1:port, write "len\n" + the raw answer to fd. */
static void fetch_all(int port, const char *const *urls, size_t n, int fd)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
		char req[512], buf[65536], *all = NULL;
		size_t len = 0;
		ssize_t got;
		int s = socket(AF_INET, SOCK_STREAM, 0);

		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)))
			_exit(2);
		snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
			 urls[i]);
		if (write(s, req, strlen(req)) < 0)
			_exit(2);
		while ((got = read(s, buf, sizeof(buf))) > 0) {
			all = realloc(all, len + (size_t)got);
			memcpy(all + len, buf, (size_t)got);
			len += (size_t)got;
		}
		close(s);
		dprintf(fd, "%zu\n", len);
		if (len && write(fd, all, len) != (ssize_t)len)
			_exit(2);
		free(all);
	}
	_exit(0);
}

static void parse_answer(const char *raw, size_t len, struct fetched *f)
{
	const char *sep = memmem(raw, len, "\r\n\r\n", 4);

	memset(f, 0, sizeof(*f));
	if (!sep || sscanf(raw, "HTTP/1.%*d %d", &f->status) != 1)
		return;
	f->head = strndup(raw, (size_t)(sep - raw));
	f->body_len = len - (size_t)(sep + 4 - raw);
	f->body = malloc(f->body_len + 1);
	memcpy(f->body, sep + 4, f->body_len);
	f->body[f->body_len] = '\0';
}

static bool has_header(const struct fetched *f, const char *line)
{
	return f->head && strcasestr(f->head, line);
}

static void test_http(void)
{
	static const char *const urls[] = {
		"/", "/static/app.js?v=1", "/static/chart.min.js", "/static/style.css",
		"/static/nope.js", "/api/routes?days=7", "/api/hits?days=0", "/api/nope",
		"/api/heatmap?days=7&tz=-300",
	};
	enum { N = sizeof(urls) / sizeof(urls[0]) };
	struct fetched f[N];
	char err[256], *dir = tmp_dir(), *raw = NULL;
	struct analytics *a = NULL;
	struct http_server *s = NULL;
	struct analytics_api *api = NULL;
	struct dashboard *dash = NULL;
	struct prefix c = addr("192.0.2.1");
	size_t len = 0, i, off;
	int p[2] = { -1, -1 }, status;
	pid_t pid = -1;
	double deadline;
	bool eof = false;

	memset(f, 0, sizeof(f));
	if (!ASSERT_NOT_NULL(dir, "tmpdir"))
		return;
	a = analytics__open(dir, 0, err, sizeof(err));
	if (!ASSERT_NOT_NULL(a, err))
		goto out;
	analytics__record(a, "/", "GET", 200, &c, 0.01, "/", 1, time(NULL));
	s = http__open("127.0.0.1:0", err, sizeof(err));
	if (!ASSERT_NOT_NULL(s, err))
		goto out;
	api = analytics_api__new();
	if (!ASSERT_NOT_NULL(api, "api") || !ASSERT_OK(analytics_api__add_app(api, "", a), "app"))
		goto out;
	dash = dashboard__open(s, api);
	if (!ASSERT_NOT_NULL(dash, "dashboard"))
		goto out;
	if (!ASSERT_OK(pipe(p), "pipe"))
		goto out;
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		fetch_all(http__port(s), urls, N, p[1]);
	}
	close(p[1]);
	p[1] = -1;
	/* Serve from this thread, as warden's loop does, until the child has all its answers. */
	deadline = mono_s() + 20;
	while (!eof && mono_s() < deadline) {
		struct pollfd pf[2] = { { .fd = http__fd(s), .events = POLLIN },
					{ .fd = p[0], .events = POLLIN } };
		long t = http__timeout_ms(s);

		poll(pf, 2, t < 0 || t > 50 ? 50 : (int)t);
		http__process(s);
		if (pf[1].revents) {
			char buf[65536];
			ssize_t got = read(p[0], buf, sizeof(buf));

			if (got <= 0) {
				eof = true;
			} else {
				raw = realloc(raw, len + (size_t)got + 1);
				memcpy(raw + len, buf, (size_t)got);
				len += (size_t)got;
			}
		}
	}
	waitpid(pid, &status, 0);
	pid = -1;
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0, "client done");
	for (i = 0, off = 0; i < N && off < len; i++) {
		char *nl = memchr(raw + off, '\n', len - off);
		size_t n = strtoul(raw + off, NULL, 10);

		if (!nl || nl + 1 + n > raw + len)
			break;
		parse_answer(nl + 1, n, &f[i]);
		off = (size_t)(nl + 1 - raw) + n;
	}
	ASSERT_EQ(f[0].status, 200, "/");
	ASSERT_TRUE(has_header(&f[0], "Content-Type: text/html; charset=utf-8"), "page type");
	ASSERT_TRUE(has_header(&f[0], "Cache-Control: no-cache"), "page cache");
	ASSERT_TRUE(f[0].body && strstr(f[0].body, "data-chart=\"hits\""), "page body");
	ASSERT_TRUE(f[0].body && !strstr(f[0].body, "@@ASSETS_VERSION@@"), "hash filled in");
	ASSERT_TRUE(f[0].body && strstr(f[0].body, dashboard_assets_version), "hash in page");
	ASSERT_EQ(f[1].status, 200, "app.js");
	ASSERT_TRUE(has_header(&f[1], "Content-Type: text/javascript; charset=utf-8"), "js type");
	ASSERT_TRUE(has_header(&f[1], "immutable"), "js cache");
	ASSERT_EQ(f[2].status, 200, "chart.min.js");
	ASSERT_TRUE(f[2].body && strstr(f[2].body, "Chart.js v3"), "Chart.js bundled");
	ASSERT_GE(f[2].body_len, 100000, "all of Chart.js");
	ASSERT_EQ(f[3].status, 200, "style.css");
	ASSERT_TRUE(has_header(&f[3], "Content-Type: text/css; charset=utf-8"), "css type");
	ASSERT_EQ(f[4].status, 404, "missing asset");
	ASSERT_EQ(f[5].status, 200, "/api/routes");
	ASSERT_TRUE(has_header(&f[5], "Content-Type: application/json"), "json type");
	ASSERT_TRUE(has_header(&f[5], "Cache-Control: no-store"), "api cache");
	{
		struct json_object *o = f[5].body ? json_tokener_parse(f[5].body) : NULL;

		ASSERT_EQ(jint(json_object_array_get_idx(jget(o, "routes"), 0), "hits"), 1,
			  "recorded request served");
		json_object_put(o);
	}
	ASSERT_EQ(f[6].status, 400, "bad argument");
	ASSERT_EQ(f[7].status, 404, "unknown endpoint");
	ASSERT_EQ(f[8].status, 200, "negative tz");
out:
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	for (i = 0; i < N; i++) {
		free(f[i].head);
		free(f[i].body);
	}
	free(raw);
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
	http__close(s); /* the server before the analytics its handlers use */
	dashboard__free(dash);
	analytics_api__free(api);
	analytics__close(a);
	rm_dir(dir);
}

static void test_assets(void)
{
	static const char *const want[] = { "index.html", "app.js", "style.css", "chart.min.js" };
	size_t i, j;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		bool found = false;

		for (j = 0; j < dashboard_assets_count; j++)
			if (!strcmp(dashboard_assets[j].name, want[i]) && dashboard_assets[j].len > 100)
				found = true;
		if (!found)
			TU_FAIL("assets", "%s is not built in", want[i]);
	}
	ASSERT_EQ(strlen(dashboard_assets_version), 16, "assets hash");
}

static void test_open_errors(void)
{
	char err[256] = "";
	struct analytics *a;

	a = analytics__open("/proc/warden-cannot-be-here", 0, err, sizeof(err));
	ASSERT_TRUE(a == NULL, "unwritable folder");
	ASSERT_TRUE(err[0] != '\0', "a reason");
	analytics__close(NULL);
	analytics__record(NULL, "/", "GET", 200, NULL, 0, NULL, 0, 0);
	ASSERT_OK(analytics__flush(NULL, 0), "flush NULL");
}

int main(void)
{
	RUN_TEST(test_buckets);
	RUN_TEST(test_assets);
	RUN_TEST(test_open_errors);
	RUN_TEST(test_figures);
	RUN_TEST(test_bounds);
	RUN_TEST(test_outlier_rule);
	RUN_TEST(test_pairing);
	RUN_TEST(test_pairing_rings);
	RUN_TEST(test_heavy_clients);
	RUN_TEST(test_topk_guarantees);
	RUN_TEST(test_clients_topk);
	RUN_TEST(test_clients_day_churn);
	RUN_TEST(test_restart);
	RUN_TEST(test_retention);
	RUN_TEST(test_http);
	RUN_TEST(test_year);
	return TEST_EXIT();
}
