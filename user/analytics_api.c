// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* analytics_api.c - the analytics as JSON: one answer per /api request, for one app chosen among several. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "analytics.h"
#include "analytics_api.h"
#include "analytics_db.h"
#include "banmap.h"
#include "latency_hist.h"
#include "log.h"
#include "timeutil.h"

#define BANS_SCAN_MAX 20000 /* /api/bans reads at most this many map entries */

struct api_app {
	char *name;           /* "": the default app */
	struct analytics *an; /* borrowed */
};

struct analytics_api {
	struct api_app apps[ANALYTICS_API_MAX_APPS];
	int n_apps;
	struct banmap *bm; /* borrowed, for /api/bans */
	uint64_t queries;
};

/* ---- queries ---- */

struct qargs {
	int days;
	int top, limit, tz_min;
	const char *route, *version;
	int64_t route_id, version_id; /* 0: no filter; -1: a name never seen (nothing matches) */
	int64_t now, since_day, end_day, since_hour, end_hour;
	struct analytics *an; /* the app asked */
	struct banmap *bm;    /* NULL: no bans to show */
};

static struct json_object *jnum(double d)
{
	char buf[32];

	if (!isfinite(d))
		return NULL;
	snprintf(buf, sizeof(buf), "%.6g", d);
	return json_object_new_double_s(d, buf);
}

static struct json_object *jint(int64_t v)
{
	return json_object_new_int64(v);
}

static struct json_object *jstr(const unsigned char *s)
{
	return json_object_new_string(s ? (const char *)s : "");
}

/* Add n to the integer member key of o (created at 0). */
static void jadd(struct json_object *o, const char *key, int64_t n)
{
	struct json_object *v;

	if (json_object_object_get_ex(o, key, &v))
		json_object_set_int64(v, json_object_get_int64(v) + n);
	else
		json_object_object_add(o, key, jint(n));
}

/* The member key of o, an object created if missing. */
static struct json_object *jobj(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (json_object_object_get_ex(o, key, &v))
		return v;
	v = json_object_new_object();
	json_object_object_add(o, key, v);
	return v;
}

static void lat_from_row(struct latency_hist *s, sqlite3_stmt *st, int col)
{
	latency_hist__init(s);
	s->n = (uint64_t)sqlite3_column_int64(st, col);
	s->sum = sqlite3_column_double(st, col + 1);
	if (sqlite3_column_type(st, col + 2) != SQLITE_NULL)
		s->min = sqlite3_column_double(st, col + 2);
	if (sqlite3_column_type(st, col + 3) != SQLITE_NULL)
		s->max = sqlite3_column_double(st, col + 3);
	if (sqlite3_column_type(st, col + 4) == SQLITE_BLOB)
		latency_hist__decode_add(s->buckets, sqlite3_column_blob(st, col + 4),
				sqlite3_column_bytes(st, col + 4));
}

/* count, mean, min, p5, q1, p50, q3, p90, p95, p99, max (seconds; null when no latency). */
static struct json_object *lat_json(const struct latency_hist *s)
{
	static const struct {
		const char *key;
		double q;
	} qs[] = { { "p5", 0.05 },  { "q1", 0.25 },  { "p50", 0.5 }, { "q3", 0.75 },
		   { "p90", 0.9 }, { "p95", 0.95 }, { "p99", 0.99 } };
	struct json_object *o = json_object_new_object();
	size_t i;

	json_object_object_add(o, "count", jint((int64_t)s->n));
	json_object_object_add(o, "mean", s->n ? jnum(s->sum / (double)s->n) : NULL);
	json_object_object_add(o, "min", s->n ? jnum(s->min) : NULL);
	for (i = 0; i < sizeof(qs) / sizeof(qs[0]); i++)
		json_object_object_add(o, qs[i].key, s->n ? jnum(latency_hist__quantile(s, qs[i].q)) : NULL);
	json_object_object_add(o, "max", s->n ? jnum(s->max) : NULL);
	return o;
}

static int q_routes(struct analytics_db *a, const struct qargs *q, struct json_object *out)
{
	sqlite3_stmt *st = analytics_db__query(a, AQ_ROUTES);
	struct json_object *arr = json_object_new_array();
	struct latency_hist s;
	int rc;

	json_object_object_add(out, "routes", arr);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, q->since_day);
	analytics_db__bind_id(st, 2, q->version_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "route", jstr(sqlite3_column_text(st, 0)));
		json_object_object_add(o, "hits", jint(sqlite3_column_int64(st, 1)));
		json_object_object_add(o, "s4xx", jint(sqlite3_column_int64(st, 2)));
		json_object_object_add(o, "s5xx", jint(sqlite3_column_int64(st, 3)));
		lat_from_row(&s, st, 4);
		json_object_object_add(o, "latency", lat_json(&s));
		json_object_object_add(o, "last_day", jint(sqlite3_column_int64(st, 9)));
		json_object_array_add(arr, o);
	}
	return analytics_db__query_end(a, st, rc);
}

struct series {
	char *name;
	uint64_t total;
	uint64_t *v;
};

static int series_cmp(const void *x, const void *y)
{
	const struct series *a = x, *b = y;

	if (a->total != b->total)
		return a->total > b->total ? -1 : 1;
	return strcmp(a->name, b->name);
}

static struct json_object *u64_array(const uint64_t *v, int n)
{
	struct json_object *arr = json_object_new_array_ext(n);
	int i;

	for (i = 0; i < n; i++)
		json_object_array_add(arr, jint((int64_t)v[i]));
	return arr;
}

static int q_hits(struct analytics_db *a, const struct qargs *q, struct json_object *out)
{
	sqlite3_stmt *st = analytics_db__query(a, AQ_HITS);
	struct series *ser = NULL;
	size_t n = 0, cap = 0, i;
	uint64_t *total = calloc(q->days, sizeof(*total));
	struct json_object *days = json_object_new_array_ext(q->days), *arr;
	const unsigned char *prev = NULL;
	int rc = SQLITE_DONE, d, err = 0;

	for (d = 0; d < q->days; d++)
		json_object_array_add(days, jint(q->since_day + (int64_t)d * 86400));
	json_object_object_add(out, "day_starts", days);
	if (!st || !total) {
		free(total);
		return st ? -ENOMEM : -EIO;
	}
	sqlite3_bind_int64(st, 1, q->since_day);
	analytics_db__bind_id(st, 2, q->route_id);
	analytics_db__bind_id(st, 3, q->version_id);
	sqlite3_bind_int64(st, 4, q->end_day);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *name = sqlite3_column_text(st, 0);
		int64_t day = sqlite3_column_int64(st, 1), hits = sqlite3_column_int64(st, 2);

		if (!name)
			continue;
		/* Rows come by route: a new name starts a new series. */
		if (!n || !prev || strcmp((const char *)prev, (const char *)name)) {
			if (n == cap) {
				size_t c = cap ? cap * 2 : 16;
				struct series *s = realloc(ser, c * sizeof(*s));

				if (!s) {
					err = -ENOMEM;
					break;
				}
				ser = s;
				cap = c;
			}
			ser[n].name = strdup((const char *)name);
			ser[n].total = 0;
			ser[n].v = calloc(q->days, sizeof(uint64_t));
			if (!ser[n].name || !ser[n].v) {
				free(ser[n].name);
				free(ser[n].v);
				err = -ENOMEM;
				break;
			}
			n++;
		}
		prev = (const unsigned char *)ser[n - 1].name;
		d = (int)((day - q->since_day) / 86400);
		if (d >= 0 && d < q->days) {
			ser[n - 1].v[d] += (uint64_t)hits;
			ser[n - 1].total += (uint64_t)hits;
			total[d] += (uint64_t)hits;
		}
	}
	if (!err)
		err = analytics_db__query_end(a, st, rc);
	else
		sqlite3_reset(st);
	if (n)
		qsort(ser, n, sizeof(*ser), series_cmp);
	/* Beyond the top ones, one series "(other)" sums the rest. */
	if (!err && q->top > 0 && n > (size_t)q->top) {
		for (i = q->top + 1; i < n; i++) {
			for (d = 0; d < q->days; d++)
				ser[q->top].v[d] += ser[i].v[d];
			ser[q->top].total += ser[i].total;
		}
		free(ser[q->top].name);
		ser[q->top].name = strdup("(other)");
		for (i = q->top + 1; i < n; i++) {
			free(ser[i].name);
			free(ser[i].v);
		}
		n = q->top + 1;
	}
	arr = json_object_new_array();
	json_object_object_add(out, "series", arr);
	for (i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "route", json_object_new_string(ser[i].name ? ser[i].name : ""));
		json_object_object_add(o, "total", jint((int64_t)ser[i].total));
		json_object_object_add(o, "hits", u64_array(ser[i].v, q->days));
		json_object_array_add(arr, o);
		free(ser[i].name);
		free(ser[i].v);
	}
	json_object_object_add(out, "total", u64_array(total, q->days));
	free(ser);
	free(total);
	return err;
}

static int q_heatmap(struct analytics_db *a, const struct qargs *q, struct json_object *out)
{
	static const char *const wd[7] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	uint64_t cells[7][24] = { { 0 } }, max = 0, total = 0;
	enum analytics_query id = q->route_id ? AQ_HEAT_ROUTE : q->version_id ? AQ_HEAT_FILTER
									      : AQ_HEAT_TOTAL;
	sqlite3_stmt *st = analytics_db__query(a, id);
	struct json_object *rows, *names;
	int rc, w, h, err;

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, q->since_hour);
	if (id == AQ_HEAT_ROUTE)
		sqlite3_bind_int64(st, 2, q->route_id);
	if (id != AQ_HEAT_TOTAL)
		analytics_db__bind_id(st, 3, q->version_id);
	sqlite3_bind_int64(st, 4, q->end_hour);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t t = sqlite3_column_int64(st, 0) + (int64_t)q->tz_min * 60;
		uint64_t hits = (uint64_t)sqlite3_column_int64(st, 1);

		/* 1970-01-01 was a Thursday (4, with Sunday 0). */
		w = (int)((time__day_start(t) / 86400 + 4) % 7);
		if (w < 0)
			w += 7;
		h = (int)((t - time__day_start(t)) / 3600);
		cells[w][h] += hits;
		total += hits;
	}
	err = analytics_db__query_end(a, st, rc);
	rows = json_object_new_array_ext(7);
	names = json_object_new_array_ext(7);
	for (w = 0; w < 7; w++) {
		for (h = 0; h < 24; h++)
			if (cells[w][h] > max)
				max = cells[w][h];
		json_object_array_add(rows, u64_array(cells[w], 24));
		json_object_array_add(names, json_object_new_string(wd[w]));
	}
	json_object_object_add(out, "tz_minutes", json_object_new_int(q->tz_min));
	json_object_object_add(out, "weekdays", names);
	json_object_object_add(out, "cells", rows);
	json_object_object_add(out, "max", jint((int64_t)max));
	json_object_object_add(out, "total", jint((int64_t)total));
	return err;
}

/* One version's figures while a query adds them up. */
struct version_acc {
	char *name;
	int64_t first_day, last_day, hits;
	struct latency_hist lat;
};

static struct version_acc *version_find(struct version_acc **v, size_t *n, const char *name)
{
	struct version_acc *nv;
	size_t i;

	for (i = 0; i < *n; i++)
		if (!strcmp((*v)[i].name, name))
			return &(*v)[i];
	nv = realloc(*v, (*n + 1) * sizeof(**v));
	if (!nv)
		return NULL;
	*v = nv;
	nv = &nv[*n];
	nv->name = strdup(name);
	if (!nv->name)
		return NULL;
	nv->first_day = INT64_MAX;
	nv->last_day = INT64_MIN;
	nv->hits = 0;
	latency_hist__init(&nv->lat);
	(*n)++;
	return nv;
}

static int version_cmp(const void *x, const void *y)
{
	const struct version_acc *a = x, *b = y;

	if (a->first_day != b->first_day)
		return a->first_day < b->first_day ? -1 : 1;
	return strcmp(a->name, b->name);
}

static int route_latency_cmp(const void *x, const void *y)
{
	struct json_object *a = *(struct json_object *const *)x, *b = *(struct json_object *const *)y;
	struct json_object *la, *lb, *ca, *cb;
	int64_t na = 0, nb = 0;

	if (json_object_object_get_ex(a, "latency", &la) && json_object_object_get_ex(la, "count", &ca))
		na = json_object_get_int64(ca);
	if (json_object_object_get_ex(b, "latency", &lb) && json_object_object_get_ex(lb, "count", &cb))
		nb = json_object_get_int64(cb);
	return na == nb ? 0 : na > nb ? -1 : 1;
}

static int q_latency(struct analytics_db *a, const struct qargs *q, struct json_object *out)
{
	sqlite3_stmt *st = analytics_db__query(a, AQ_LATENCY);
	struct json_object *routes = json_object_new_array(), *cur = NULL, *cur_versions = NULL;
	struct version_acc *vers = NULL;
	struct latency_hist route_lat, s;
	char *cur_name = NULL;
	int64_t route_hits = 0;
	size_t nv = 0, i;
	int rc = SQLITE_DONE, err = 0;

	json_object_object_add(out, "routes", routes);
	json_object_object_add(out, "bucket_error", jnum(LATENCY_HIST_QUANTILE_ERROR));
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, q->since_day);
	analytics_db__bind_id(st, 2, q->route_id);
	latency_hist__init(&route_lat);
	for (;;) {
		const char *rname = NULL, *vname;
		struct version_acc *va;
		struct json_object *vo;

		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			rname = (const char *)sqlite3_column_text(st, 0);
		/* Rows come by route: close the previous route's object when it changes. */
		if (cur && (!rname || strcmp(rname, cur_name))) {
			json_object_object_add(cur, "hits", jint(route_hits));
			json_object_object_add(cur, "latency", lat_json(&route_lat));
			json_object_array_add(routes, cur);
			cur = NULL;
			free(cur_name);
			cur_name = NULL;
		}
		if (rc != SQLITE_ROW)
			break;
		vname = (const char *)sqlite3_column_text(st, 1);
		if (!rname || !vname)
			continue;
		if (!cur) {
			cur = json_object_new_object();
			cur_name = strdup(rname);
			if (!cur_name) {
				err = -ENOMEM;
				break;
			}
			json_object_object_add(cur, "route", json_object_new_string(rname));
			cur_versions = json_object_new_array();
			json_object_object_add(cur, "versions", cur_versions);
			latency_hist__init(&route_lat);
			route_hits = 0;
		}
		lat_from_row(&s, st, 3);
		latency_hist__merge(&route_lat, &s);
		route_hits += sqlite3_column_int64(st, 2);
		vo = json_object_new_object();
		json_object_object_add(vo, "version", json_object_new_string(vname));
		json_object_object_add(vo, "hits", jint(sqlite3_column_int64(st, 2)));
		json_object_object_add(vo, "latency", lat_json(&s));
		json_object_array_add(cur_versions, vo);
		va = version_find(&vers, &nv, vname);
		if (!va) {
			err = -ENOMEM;
			break;
		}
		latency_hist__merge(&va->lat, &s);
		va->hits += sqlite3_column_int64(st, 2);
		if (sqlite3_column_int64(st, 8) < va->first_day)
			va->first_day = sqlite3_column_int64(st, 8);
		if (sqlite3_column_int64(st, 9) > va->last_day)
			va->last_day = sqlite3_column_int64(st, 9);
	}
	if (cur)
		json_object_put(cur);
	free(cur_name);
	if (!err)
		err = analytics_db__query_end(a, st, rc);
	else
		sqlite3_reset(st);
	json_object_array_sort(routes, route_latency_cmp);
	if (nv)
		qsort(vers, nv, sizeof(*vers), version_cmp);
	cur = json_object_new_array();
	json_object_object_add(out, "versions", cur);
	for (i = 0; i < nv; i++) {
		struct json_object *vo = json_object_new_object();

		json_object_object_add(vo, "version", json_object_new_string(vers[i].name));
		json_object_object_add(vo, "first_day", jint(vers[i].first_day));
		json_object_object_add(vo, "last_day", jint(vers[i].last_day));
		json_object_object_add(vo, "hits", jint(vers[i].hits));
		json_object_object_add(vo, "latency", lat_json(&vers[i].lat));
		json_object_array_add(cur, vo);
		free(vers[i].name);
	}
	free(vers);
	return err;
}

static int total_cmp(const void *x, const void *y)
{
	struct json_object *a = *(struct json_object *const *)x, *b = *(struct json_object *const *)y;
	struct json_object *ta, *tb;
	int64_t na = 0, nb = 0;

	if (json_object_object_get_ex(a, "total", &ta))
		na = json_object_get_int64(ta);
	if (json_object_object_get_ex(b, "total", &tb))
		nb = json_object_get_int64(tb);
	return na == nb ? 0 : na > nb ? -1 : 1;
}

/* The values of an object of objects, as an array sorted by "total", each named key = its name. */
static struct json_object *objects_to_array(struct json_object *map, const char *key)
{
	struct json_object *arr = json_object_new_array();

	json_object_object_foreach(map, name, val) {
		json_object_object_add(val, key, json_object_new_string(name));
		json_object_array_add(arr, json_object_get(val));
	}
	json_object_array_sort(arr, total_cmp);
	return arr;
}

static int q_status(struct analytics_db *a, const struct qargs *q, struct json_object *out)
{
	sqlite3_stmt *st = analytics_db__query(a, AQ_STATUS);
	struct json_object *routes = json_object_new_object(), *versions = json_object_new_object();
	struct json_object *all = json_object_new_object(), *classes = json_object_new_object();
	int rc = SQLITE_DONE, err;

	if (!st) {
		json_object_put(routes);
		json_object_put(versions);
		json_object_put(all);
		json_object_put(classes);
		return -EIO;
	}
	sqlite3_bind_int64(st, 1, q->since_day);
	analytics_db__bind_id(st, 2, q->route_id);
	analytics_db__bind_id(st, 3, q->version_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *r = (const char *)sqlite3_column_text(st, 0);
		const char *v = (const char *)sqlite3_column_text(st, 1);
		const char *m = (const char *)sqlite3_column_text(st, 2);
		int status = sqlite3_column_int(st, 3);
		int64_t hits = sqlite3_column_int64(st, 4);
		struct json_object *ro, *vo;
		char code[16], cls[16];

		if (!r || !v || !m)
			continue;
		snprintf(code, sizeof(code), "%d", status);
		if (status)
			snprintf(cls, sizeof(cls), "%dxx", status / 100);
		else
			snprintf(cls, sizeof(cls), "other");
		ro = jobj(routes, r);
		jadd(ro, "total", hits);
		jadd(jobj(ro, "statuses"), code, hits);
		jadd(jobj(ro, "methods"), m, hits);
		vo = jobj(versions, v);
		jadd(vo, "total", hits);
		jadd(jobj(vo, "statuses"), code, hits);
		jadd(all, code, hits);
		jadd(classes, cls, hits);
	}
	err = analytics_db__query_end(a, st, rc);
	json_object_object_add(out, "routes", objects_to_array(routes, "route"));
	json_object_object_add(out, "versions", objects_to_array(versions, "version"));
	json_object_object_add(out, "statuses", all);
	json_object_object_add(out, "classes", classes);
	json_object_put(routes);
	json_object_put(versions);
	return err;
}

static int q_clients(struct analytics_db *a, const struct qargs *q, struct json_object *out)
{
	sqlite3_stmt *st = analytics_db__query(a, AQ_CLIENTS);
	struct json_object *arr = json_object_new_array();
	int rc = SQLITE_DONE;

	json_object_object_add(out, "route", q->route ? json_object_new_string(q->route) : NULL);
	json_object_object_add(out, "clients", arr);
	if (!st)
		return -EIO;
	if (q->route_id < 0) /* a route never seen: no client */
		return 0;
	sqlite3_bind_int64(st, 1, q->since_day);
	sqlite3_bind_int64(st, 2, q->route_id); /* 0: all routes together */
	sqlite3_bind_int(st, 3, q->limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct json_object *o = json_object_new_object();
		int64_t lat_n = sqlite3_column_int64(st, 3);

		json_object_object_add(o, "client", jstr(sqlite3_column_text(st, 0)));
		json_object_object_add(o, "hits", jint(sqlite3_column_int64(st, 1)));
		json_object_object_add(o, "s4xx", jint(sqlite3_column_int64(st, 2)));
		json_object_object_add(o, "mean_latency",
				       lat_n ? jnum(sqlite3_column_double(st, 4) / (double)lat_n)
					     : NULL);
		json_object_array_add(arr, o);
	}
	return analytics_db__query_end(a, st, rc);
}

static int q_outliers(struct analytics_db *a, const struct qargs *q, struct json_object *out)
{
	sqlite3_stmt *st = analytics_db__query(a, AQ_OUTLIERS);
	struct json_object *arr = json_object_new_array(), *rule = json_object_new_object();
	int rc = SQLITE_DONE;

	json_object_object_add(rule, "factor", jnum(ROLLUP_OUTLIER_FACTOR));
	json_object_object_add(rule, "floor_s", jnum(ROLLUP_OUTLIER_FLOOR_S));
	json_object_object_add(rule, "min_samples", jint(ROLLUP_OUTLIER_MIN_SAMPLES));
	json_object_object_add(rule, "window", jint(ROLLUP_OUTLIER_WINDOW));
	json_object_object_add(out, "rule", rule);
	json_object_object_add(out, "outliers", arr);
	if (!st)
		return -EIO;
	if (q->route_id < 0)
		return 0;
	analytics_db__bind_id(st, 1, q->route_id);
	sqlite3_bind_int(st, 2, q->limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "time", jint(sqlite3_column_int64(st, 0)));
		json_object_object_add(o, "route", jstr(sqlite3_column_text(st, 1)));
		json_object_object_add(o, "method", jstr(sqlite3_column_text(st, 2)));
		json_object_object_add(o, "status", json_object_new_int(sqlite3_column_int(st, 3)));
		json_object_object_add(o, "client", jstr(sqlite3_column_text(st, 4)));
		json_object_object_add(o, "path", jstr(sqlite3_column_text(st, 5)));
		json_object_object_add(o, "latency", jnum(sqlite3_column_double(st, 6)));
		json_object_object_add(o, "threshold", jnum(sqlite3_column_double(st, 7)));
		json_object_array_add(arr, o);
	}
	return analytics_db__query_end(a, st, rc);
}

static int q_versions(struct analytics_db *a, const struct qargs *q, struct json_object *out)
{
	sqlite3_stmt *st = analytics_db__query(a, AQ_VERSIONS);
	struct json_object *arr = json_object_new_array();
	int rc = SQLITE_DONE;

	json_object_object_add(out, "current", json_object_new_string(analytics__version(q->an)));
	json_object_object_add(out, "versions", arr);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, q->since_day);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "version", jstr(sqlite3_column_text(st, 0)));
		json_object_object_add(o, "first_day", jint(sqlite3_column_int64(st, 1)));
		json_object_object_add(o, "last_day", jint(sqlite3_column_int64(st, 2)));
		json_object_object_add(o, "hits", jint(sqlite3_column_int64(st, 3)));
		json_object_array_add(arr, o);
	}
	return analytics_db__query_end(a, st, rc);
}

/* ---- /api/bans ---- */

struct bans_ctx {
	uint64_t now_ns;
	size_t scanned, n, cap, live;
	bool truncated;
	struct ban_info *v;
};

static int bans_one(const struct ban_info *b, void *arg)
{
	struct bans_ctx *c = arg;

	if (++c->scanned > BANS_SCAN_MAX) {
		c->truncated = true;
		return 1;
	}
	if (!ban_info__live(b, c->now_ns))
		return 0;
	c->live++;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct ban_info *v = realloc(c->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		c->v = v;
		c->cap = cap;
	}
	c->v[c->n++] = *b;
	return 0;
}

/* Most drops first, then the newest. */
static int ban_cmp(const void *x, const void *y)
{
	const struct ban_info *a = x, *b = y;

	if (a->drops != b->drops)
		return a->drops > b->drops ? -1 : 1;
	if (a->created_ns != b->created_ns)
		return a->created_ns > b->created_ns ? -1 : 1;
	return 0;
}

static int q_bans(struct analytics_db *a, const struct qargs *q, struct json_object *out)
{
	struct bans_ctx c = { .now_ns = time__boot_ns() };
	struct json_object *arr = json_object_new_array(), *cnt;
	struct xdp_counters xc;
	char addr[PREFIX_STRLEN];
	size_t i;
	int err;

	(void)a;
	json_object_object_add(out, "available", json_object_new_boolean(q->bm != NULL));
	json_object_object_add(out, "bans", arr);
	if (!q->bm)
		return 0;
	err = banmap__foreach_ban(q->bm, bans_one, &c);
	if (err < 0 && err != -ENOMEM) {
		free(c.v);
		return -EIO;
	}
	if (c.n)
		qsort(c.v, c.n, sizeof(*c.v), ban_cmp);
	for (i = 0; i < c.n && i < (size_t)q->limit; i++) {
		const struct ban_info *b = &c.v[i];
		struct json_object *o = json_object_new_object();

		prefix__format(&b->target, addr, sizeof(addr));
		json_object_object_add(o, "target", json_object_new_string(addr));
		json_object_object_add(o, "permanent", json_object_new_boolean(!b->expires_ns));
		json_object_object_add(o, "remaining_s",
				       b->expires_ns && b->expires_ns > c.now_ns
					       ? jnum((double)(b->expires_ns - c.now_ns) / 1e9)
					       : NULL);
		json_object_object_add(o, "age_s",
				       b->created_ns && b->created_ns <= c.now_ns
					       ? jnum((double)(c.now_ns - b->created_ns) / 1e9)
					       : NULL);
		json_object_object_add(o, "drops", jint((int64_t)b->drops));
		json_object_object_add(o, "last_drop_ago_s",
				       b->last_drop_ns && b->last_drop_ns <= c.now_ns
					       ? jnum((double)(c.now_ns - b->last_drop_ns) / 1e9)
					       : NULL);
		json_object_object_add(o, "reason", json_object_new_string(b->reason));
		json_object_object_add(o, "source", json_object_new_string(banmap__source_name(b->source)));
		json_object_object_add(o, "offences", jint(b->offences));
		json_object_array_add(arr, o);
	}
	json_object_object_add(out, "live", jint((int64_t)c.live));
	json_object_object_add(out, "truncated", json_object_new_boolean(c.truncated));
	free(c.v);
	if (!banmap__counters(q->bm, &xc)) {
		/* Every verdict, named as in /metrics and warden stats. */
		cnt = json_object_new_object();
		for (i = 0; i < XDP_VERDICTS; i++)
			json_object_object_add(cnt, xdp_verdicts[i].name,
					       jint((int64_t)xdp_counters__get(&xc, i)));
		json_object_object_add(out, "xdp", cnt);
	}
	return 0;
}

/* ---- the API ---- */

struct endpoint {
	const char *path;
	int (*fn)(struct analytics_db *a, const struct qargs *q, struct json_object *out);
	int days;  /* default range */
	int limit; /* default limit */
};

static const struct endpoint endpoints[] = {
	{ "/api/routes", q_routes, 30, 0 },     { "/api/hits", q_hits, 30, 0 },
	{ "/api/heatmap", q_heatmap, 30, 0 },   { "/api/latency", q_latency, 30, 0 },
	{ "/api/status", q_status, 30, 0 },     { "/api/clients", q_clients, 30, 20 },
	{ "/api/outliers", q_outliers, 30, 100 }, { "/api/versions", q_versions, 30, 0 },
	{ "/api/bans", q_bans, 30, 200 },
};

/* A strict decimal integer in [lo, hi]. */
static int parse_int(const char *s, int lo, int hi, int *out)
{
	char *end;
	long v;

	if (!s || !*s || strspn(s, "-0123456789") != strlen(s))
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

static int parse_args(struct analytics_db *a, const struct endpoint *ep, analytics_arg_fn arg,
		      void *argctx, time_t now, struct qargs *q, char *err, size_t errlen)
{
	static const struct {
		const char *name;
		int lo, hi;
		size_t off;
	} ints[] = {
		{ "days", 1, ANALYTICS_MAX_DAYS, offsetof(struct qargs, days) },
		{ "top", 0, 1000, offsetof(struct qargs, top) },
		{ "limit", 1, 1000, offsetof(struct qargs, limit) },
		{ "tz", -14 * 60, 14 * 60, offsetof(struct qargs, tz_min) },
	};
	size_t i;

	memset(q, 0, sizeof(*q));
	q->days = ep->days;
	q->limit = ep->limit ? ep->limit : 100;
	for (i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		const char *v = arg ? arg(argctx, ints[i].name) : NULL;

		if (v && parse_int(v, ints[i].lo, ints[i].hi, (int *)((char *)q + ints[i].off))) {
			snprintf(err, errlen, "%s must be an integer from %d to %d", ints[i].name,
				 ints[i].lo, ints[i].hi);
			return -EINVAL;
		}
	}
	q->route = arg ? arg(argctx, "route") : NULL;
	q->version = arg ? arg(argctx, "version") : NULL;
	if (q->route && !*q->route)
		q->route = NULL;
	if (q->version && !*q->version)
		q->version = NULL;
	if ((q->route && strlen(q->route) > ROLLUP_MAX_NAME_LEN) ||
	    (q->version && strlen(q->version) > ROLLUP_MAX_NAME_LEN)) {
		snprintf(err, errlen, "route and version are at most %d bytes",
			 ROLLUP_MAX_NAME_LEN);
		return -EINVAL;
	}
	if (q->route)
		q->route_id = analytics_db__name_id(a, ROLLUP_ROUTE, q->route);
	if (q->version)
		q->version_id = analytics_db__name_id(a, ROLLUP_VERSION, q->version);
	q->now = (int64_t)now;
	q->end_day = time__day_start(q->now) + 86400;
	q->since_day = q->end_day - (int64_t)q->days * 86400;
	q->end_hour = time__hour_start(q->now) + 3600;
	q->since_hour = q->end_hour - (int64_t)q->days * 24 * 3600;
	return 0;
}

static int serialize(struct json_object *o, char **json, size_t *len)
{
	const char *s = json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

	*json = s ? strdup(s) : NULL;
	*len = *json ? strlen(*json) : 0;
	return *json ? 0 : -ENOMEM;
}

static int api_error(int err, const char *msg, char **json, size_t *len)
{
	struct json_object *o = json_object_new_object();
	int rc;

	json_object_object_add(o, "error", json_object_new_string(msg));
	rc = serialize(o, json, len);
	json_object_put(o);
	return rc ? rc : err;
}

/* The app a request names ("app", none: the default one); NULL when there is no such app. */
static struct api_app *app_of(struct analytics_api *api, analytics_arg_fn arg, void *argctx)
{
	const char *name = arg ? arg(argctx, "app") : NULL;
	int i;

	if (!name)
		name = "";
	for (i = 0; i < api->n_apps; i++)
		if (!strcmp(api->apps[i].name, name))
			return &api->apps[i];
	return NULL;
}

/* /api/apps: the apps in the order they were added, the default one first. */
static int answer_apps(struct analytics_api *api, char **json, size_t *len)
{
	struct json_object *out = json_object_new_object(), *arr = json_object_new_array();
	int i, err;

	for (i = 0; i < api->n_apps; i++) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(api->apps[i].name));
		json_object_object_add(o, "default", json_object_new_boolean(!api->apps[i].name[0]));
		json_object_array_add(arr, o);
	}
	json_object_object_add(out, "apps", arr);
	err = serialize(out, json, len);
	json_object_put(out);
	return err;
}

int analytics_api__answer(struct analytics_api *api, const char *path, analytics_arg_fn arg,
			  void *argctx, time_t now, char **json, size_t *len)
{
	const struct endpoint *ep = NULL;
	struct json_object *out;
	struct api_app *app;
	struct analytics_db *db;
	struct qargs q;
	char msg[160];
	size_t i;
	int err;

	*json = NULL;
	*len = 0;
	api->queries++;
	for (i = 0; i < sizeof(endpoints) / sizeof(endpoints[0]); i++)
		if (path && !strcmp(path, endpoints[i].path))
			ep = &endpoints[i];
	if (path && !strcmp(path, "/api/apps"))
		return answer_apps(api, json, len);
	if (!ep)
		return api_error(-ENOENT, "no such endpoint", json, len);
	app = app_of(api, arg, argctx);
	if (!app)
		return api_error(-EINVAL, "no such app", json, len);
	db = analytics__db(app->an);
	err = parse_args(db, ep, arg, argctx, now, &q, msg, sizeof(msg));
	if (err)
		return api_error(err, msg, json, len);
	q.an = app->an;
	q.bm = api->bm;
	/* What was recorded so far is part of the answer. */
	analytics__flush(app->an, now);

	out = json_object_new_object();
	json_object_object_add(out, "now", jint(q.now));
	json_object_object_add(out, "range_days", json_object_new_int(q.days));
	json_object_object_add(out, "since", jint(q.since_day));
	err = ep->fn(db, &q, out);
	if (!err)
		err = serialize(out, json, len);
	json_object_put(out);
	if (err == -EIO)
		return api_error(err, "database error", json, len);
	return err;
}

/* ---- the apps ---- */

struct analytics_api *analytics_api__new(void)
{
	return calloc(1, sizeof(struct analytics_api));
}

void analytics_api__free(struct analytics_api *api)
{
	int i;

	if (!api)
		return;
	for (i = 0; i < api->n_apps; i++)
		free(api->apps[i].name);
	free(api);
}

int analytics_api__add_app(struct analytics_api *api, const char *name, struct analytics *a)
{
	int i;

	for (i = 0; i < api->n_apps; i++)
		if (!strcmp(api->apps[i].name, name))
			return -EEXIST;
	if (api->n_apps == ANALYTICS_API_MAX_APPS)
		return -E2BIG;
	api->apps[api->n_apps].name = strdup(name);
	if (!api->apps[api->n_apps].name)
		return -ENOMEM;
	api->apps[api->n_apps++].an = a;
	return 0;
}

void analytics_api__set_banmap(struct analytics_api *api, struct banmap *bm)
{
	api->bm = bm;
}

uint64_t analytics_api__queries(const struct analytics_api *api)
{
	return api->queries;
}
