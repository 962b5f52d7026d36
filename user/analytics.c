// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* analytics.c - per-route traffic figures: hourly roll-ups in memory, batched into SQLite, served as JSON. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sqlite3.h>

#include "analytics.h"
#include "fileutil.h"
#include "banmap.h"
#include "http.h"
#include "log.h"
#include "ring.h"
#include "timeutil.h"

#define NB ANALYTICS_HIST_BUCKETS
#define HIST_BLOB_MAX (NB * 11) /* an index byte and a 10-byte varint per bucket */
#define SCHEMA_VERSION 1

/* In-memory bounds between two flushes (a flush every 10 s needs a fraction of them). */
#define MAX_ROUTE_KEYS 16384
#define MAX_STATUS_KEYS 65536
#define MAX_CLIENT_SETS 4096
#define CLIENT_SLOTS_FIRST 8

#define BANS_SCAN_MAX 20000 /* /api/bans reads at most this many map entries */

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t hour_of(int64_t t)
{
	return floor_div(t, 3600) * 3600;
}

static int64_t day_of(int64_t t)
{
	return floor_div(t, 86400) * 86400;
}

/* ---- latency histogram ---- */

static double bounds[NB + 1]; /* bounds[i] is the lower bound of bucket i; bounds[NB] = inf */

static void bounds_init(void)
{
	int i;

	if (bounds[NB] != 0)
		return;
	bounds[0] = 0;
	for (i = 1; i < NB; i++)
		bounds[i] = ANALYTICS_HIST_MIN_S * pow(ANALYTICS_HIST_STEP, i - 1);
	bounds[NB] = INFINITY;
}

void analytics__bucket_bounds(int i, double *lo, double *hi)
{
	bounds_init();
	if (i < 0)
		i = 0;
	if (i >= NB)
		i = NB - 1;
	*lo = bounds[i];
	*hi = bounds[i + 1];
}

int analytics__bucket_of(double s)
{
	int i;

	bounds_init();
	if (!(s >= ANALYTICS_HIST_MIN_S)) /* also NaN */
		return 0;
	if (s >= bounds[NB - 1])
		return NB - 1;
	i = 1 + (int)floor(log(s / ANALYTICS_HIST_MIN_S) / log(ANALYTICS_HIST_STEP));
	if (i < 1)
		i = 1;
	if (i > NB - 1)
		i = NB - 1;
	/* Rounding at the bounds: make sure bounds[i] <= s < bounds[i + 1]. */
	while (i > 1 && s < bounds[i])
		i--;
	while (i < NB - 1 && s >= bounds[i + 1])
		i++;
	return i;
}

/* The value reported for bucket i: its geometric middle. */
static double bucket_mid(int i)
{
	if (i == 0)
		return ANALYTICS_HIST_MIN_S / sqrt(ANALYTICS_HIST_STEP);
	if (i == NB - 1)
		return INFINITY; /* clamped to the exact max by the caller */
	return bounds[i] * sqrt(ANALYTICS_HIST_STEP);
}

/* The bucket holding the nearest-rank quantile q of h (n values), or -1 when empty. */
static int hist_rank_bucket(const uint64_t *h, uint64_t n, double q)
{
	uint64_t rank, cum = 0;
	int i;

	if (!n)
		return -1;
	rank = (uint64_t)ceil(q * (double)n - 1e-9);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	for (i = 0; i < NB; i++) {
		cum += h[i];
		if (cum >= rank)
			return i;
	}
	return NB - 1;
}

/* Sparse encoding: for each non-empty bucket its index byte, then its count as a LEB128 varint. */
static size_t hist_encode(const uint64_t *h, unsigned char *out)
{
	size_t n = 0;
	int i;

	for (i = 0; i < NB; i++) {
		uint64_t v = h[i];

		if (!v)
			continue;
		out[n++] = (unsigned char)i;
		while (v >= 0x80) {
			out[n++] = (unsigned char)(v | 0x80);
			v >>= 7;
		}
		out[n++] = (unsigned char)v;
	}
	return n;
}

/* Add an encoded histogram into h. -EINVAL on a malformed blob (what came before it is kept). */
static int hist_decode_add(uint64_t *h, const unsigned char *b, size_t len)
{
	size_t p = 0;

	while (p < len) {
		unsigned int i = b[p++];
		uint64_t v = 0;
		int shift = 0;

		if (i >= NB)
			return -EINVAL;
		for (;;) {
			if (p >= len || shift > 63)
				return -EINVAL;
			v |= (uint64_t)(b[p] & 0x7f) << shift;
			shift += 7;
			if (!(b[p++] & 0x80))
				break;
		}
		h[i] += v;
	}
	return 0;
}

/* SQL hist_merge(a, b, ...): the sum of encoded histograms (NULLs are empty). */
static void sql_hist_merge(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	uint64_t h[NB] = { 0 };
	unsigned char out[HIST_BLOB_MAX];
	int i;

	for (i = 0; i < argc; i++) {
		if (sqlite3_value_type(argv[i]) != SQLITE_BLOB)
			continue;
		hist_decode_add(h, sqlite3_value_blob(argv[i]), sqlite3_value_bytes(argv[i]));
	}
	sqlite3_result_blob(ctx, out, (int)hist_encode(h, out), SQLITE_TRANSIENT);
}

/* SQL aggregate hist_sum(blob): the sum of a column of encoded histograms. */
static void sql_hist_sum_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	uint64_t *h = sqlite3_aggregate_context(ctx, sizeof(uint64_t) * NB);

	(void)argc;
	if (!h) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	if (sqlite3_value_type(argv[0]) == SQLITE_BLOB)
		hist_decode_add(h, sqlite3_value_blob(argv[0]), sqlite3_value_bytes(argv[0]));
}

static void sql_hist_sum_final(sqlite3_context *ctx)
{
	uint64_t *h = sqlite3_aggregate_context(ctx, 0);
	unsigned char out[HIST_BLOB_MAX];

	if (!h) {
		sqlite3_result_null(ctx);
		return;
	}
	sqlite3_result_blob(ctx, out, (int)hist_encode(h, out), SQLITE_TRANSIENT);
}

/* Latency figures of a set of requests. */
struct lat_summary {
	uint64_t n;         /* requests with a latency */
	double sum, min, max;
	uint64_t hist[NB];
};

static void lat_init(struct lat_summary *s)
{
	memset(s, 0, sizeof(*s));
	s->min = INFINITY;
	s->max = -INFINITY;
}

static void lat_merge(struct lat_summary *d, const struct lat_summary *s)
{
	int i;

	d->n += s->n;
	d->sum += s->sum;
	d->min = fmin(d->min, s->min);
	d->max = fmax(d->max, s->max);
	for (i = 0; i < NB; i++)
		d->hist[i] += s->hist[i];
}

/* The quantile q of s: see analytics.h for its precision. NAN when empty. */
static double lat_quantile(const struct lat_summary *s, double q)
{
	uint64_t n = 0;
	double v;
	int i;

	for (i = 0; i < NB; i++)
		n += s->hist[i];
	i = hist_rank_bucket(s->hist, n, q);
	if (i < 0)
		return NAN;
	v = bucket_mid(i);
	if (isfinite(s->min) && v < s->min)
		v = s->min;
	if (isfinite(s->max) && v > s->max)
		v = s->max;
	return v;
}

/* ---- a small open-addressing table of fixed-size entries, each starting with its key ---- */

struct ktab {
	size_t esize, ksize; /* entry size, key size (the key is the entry's first bytes) */
	size_t n, max;       /* entries, and the most allowed */
	size_t cap;          /* slots of index, a power of two */
	char *entries;       /* n entries, contiguous; pointers into it move on insert */
	uint32_t *index;     /* 0: empty, else entry number + 1 */
};

static uint64_t hash_bytes(const void *p, size_t len, uint64_t h)
{
	const unsigned char *b = p;

	while (len--)
		h = (h ^ *b++) * 0x100000001b3ULL; /* FNV-1a */
	return h;
}

#define FNV_SEED 0xcbf29ce484222325ULL

/* Keys are whole 8-byte words (checked where the tables are set up): hash them a word at a time. */
static uint64_t hash_key(const void *p, size_t len)
{
	uint64_t h = FNV_SEED, w;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&w, (const char *)p + i, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
	}
	return h;
}

static int ktab_grow(struct ktab *t)
{
	size_t cap = t->cap ? t->cap * 2 : 64, i, j;
	uint32_t *index = calloc(cap, sizeof(*index));
	char *entries = realloc(t->entries, cap * t->esize);

	if (!index || !entries) {
		free(index);
		if (entries)
			t->entries = entries;
		return -ENOMEM;
	}
	t->entries = entries;
	for (i = 0; i < t->n; i++) {
		uint64_t h = hash_key(entries + i * t->esize, t->ksize);

		for (j = h & (cap - 1); index[j]; j = (j + 1) & (cap - 1))
			;
		index[j] = (uint32_t)(i + 1);
	}
	free(t->index);
	t->index = index;
	t->cap = cap;
	return 0;
}

/* The entry of key; with create, a new zeroed one (key set) if missing. NULL: missing or full. */
static void *ktab_get(struct ktab *t, const void *key, bool create)
{
	uint64_t h = hash_key(key, t->ksize);
	size_t j;
	char *e;

	if (t->cap) {
		for (j = h & (t->cap - 1); t->index[j]; j = (j + 1) & (t->cap - 1)) {
			e = t->entries + (t->index[j] - 1) * t->esize;
			if (!memcmp(e, key, t->ksize))
				return e;
		}
	}
	if (!create || t->n >= t->max)
		return NULL;
	/* Keep the index at most half full: entries has room for cap / 2 of them. */
	if ((t->n + 1) * 2 > t->cap) {
		if (ktab_grow(t))
			return NULL;
	}
	for (j = h & (t->cap - 1); t->index[j]; j = (j + 1) & (t->cap - 1))
		;
	e = t->entries + t->n * t->esize;
	memset(e, 0, t->esize);
	memcpy(e, key, t->ksize);
	t->index[j] = (uint32_t)(++t->n);
	return e;
}

#define ktab_at(t, i) ((void *)((t)->entries + (i) * (t)->esize))

/*
 * ktab_get() that first tries *hint, the entry number the caller found last
 * time (numbers stay valid until ktab_clear(); the key check catches a stale
 * one): consecutive requests mostly hit the same hour, route and day.
 */
static void *ktab_get_hinted(struct ktab *t, const void *key, uint32_t *hint)
{
	char *e;

	if (*hint < t->n) {
		e = t->entries + (size_t)*hint * t->esize;
		if (!memcmp(e, key, t->ksize))
			return e;
	}
	e = ktab_get(t, key, true);
	if (e)
		*hint = (uint32_t)((e - t->entries) / t->esize);
	return e;
}

static void ktab_clear(struct ktab *t)
{
	t->n = 0;
	if (t->index)
		memset(t->index, 0, t->cap * sizeof(*t->index));
}

static void ktab_free(struct ktab *t)
{
	free(t->entries);
	free(t->index);
	memset(t, 0, sizeof(*t));
}

/* ---- interned names: routes, versions, methods ---- */

enum name_kind {
	NAME_ROUTE = 1,
	NAME_VERSION = 2,
	NAME_METHOD = 3,
};

/* A route's last latencies: the window filling now and the full one before it. */
struct recent {
	uint32_t cur[NB], prev[NB];
	uint32_t n_cur, n_prev;
};

struct name {
	char *text;
	uint32_t kind;        /* enum name_kind */
	int64_t db_id;        /* its row in names; 0 until a flush wrote it */
	struct recent *recent; /* routes with latencies: for outliers */
	uint32_t route_hint;   /* routes: ktab_get_hinted() hints of its roll-up... */
	uint32_t client_hint;  /* ...and of its clients' top-k */
};

struct names {
	struct name *v;  /* v[i] is name number i + 1 (0 means none) */
	uint32_t n, cap;
	uint32_t *index; /* open addressing over v, 0: empty */
	uint32_t index_cap;
};

static uint64_t name_hash(uint32_t kind, const char *text, size_t len)
{
	return hash_bytes(text, len, hash_bytes(&kind, sizeof(kind), FNV_SEED));
}

/* The number of name (kind, text), added if new. 0 when the table is full. */
static uint32_t names_intern(struct names *t, uint32_t kind, const char *text)
{
	size_t len = strnlen(text, ANALYTICS_MAX_NAME_LEN);
	uint64_t h = name_hash(kind, text, len);
	uint32_t j, mask;

	if (t->index_cap) {
		mask = t->index_cap - 1;
		for (j = h & mask; t->index[j]; j = (j + 1) & mask) {
			struct name *n = &t->v[t->index[j] - 1];

			if (n->kind == kind && !strncmp(n->text, text, len) && !n->text[len])
				return t->index[j];
		}
	}
	if (t->n >= ANALYTICS_MAX_NAMES)
		return 0;
	if (t->n + 1 > t->cap) {
		uint32_t cap = t->cap ? t->cap * 2 : 64;
		struct name *v = realloc(t->v, cap * sizeof(*v));

		if (!v)
			return 0;
		t->v = v;
		t->cap = cap;
	}
	if ((t->n + 1) * 2 > t->index_cap) {
		uint32_t cap = t->index_cap ? t->index_cap * 2 : 128, i;
		uint32_t *index = calloc(cap, sizeof(*index));

		if (!index)
			return 0;
		for (i = 0; i < t->n; i++) {
			struct name *n = &t->v[i];

			for (j = name_hash(n->kind, n->text, strlen(n->text)) & (cap - 1); index[j];
			     j = (j + 1) & (cap - 1))
				;
			index[j] = i + 1;
		}
		free(t->index);
		t->index = index;
		t->index_cap = cap;
	}
	t->v[t->n] = (struct name){ .text = strndup(text, len), .kind = kind };
	if (!t->v[t->n].text)
		return 0;
	mask = t->index_cap - 1;
	for (j = h & mask; t->index[j]; j = (j + 1) & mask)
		;
	t->index[j] = ++t->n;
	return t->n;
}

static void names_free(struct names *t)
{
	uint32_t i;

	for (i = 0; i < t->n; i++) {
		free(t->v[i].text);
		free(t->v[i].recent);
	}
	free(t->v);
	free(t->index);
	memset(t, 0, sizeof(*t));
}

/* ---- what waits for the next flush ---- */

struct route_key {
	int64_t hour;
	uint32_t route, version; /* name numbers */
};
_Static_assert(sizeof(struct route_key) % 8 == 0, "keys are hashed by words");

struct route_agg {
	struct route_key k;
	uint64_t hits, s4xx, s5xx;
	struct lat_summary lat;
};

struct status_key {
	int64_t day;
	uint32_t route, version, method, status;
};
_Static_assert(sizeof(struct status_key) % 8 == 0, "keys are hashed by words");

struct status_agg {
	struct status_key k;
	uint64_t hits;
};

struct client_key {
	int64_t day;
	uint32_t route; /* 0: all routes together */
	uint32_t pad;
};
_Static_assert(sizeof(struct client_key) % 8 == 0, "keys are hashed by words");

struct client_slot {
	struct prefix addr;
	uint64_t hits;  /* requests seen since the client took the slot */
	uint64_t rank;  /* space-saving estimate: hits + what the evicted one had */
	uint64_t s4xx, lat_n;
	double lat_sum;
};

/*
 * One (day, route)'s space-saving top-k. Per request O(log k), not O(k):
 * the slots are found by address through index, and the lightest (the one
 * a new client evicts) is the root of a min-heap by rank.
 */
struct client_set {
	struct client_key k;
	struct client_slot *slots; /* n used of cap */
	uint8_t *heap;             /* cap slot numbers, a min-heap by rank */
	uint8_t *at;               /* cap: each slot's place in heap */
	uint8_t *index;            /* 2 * cap, by address hash: 0 empty, else slot number + 1 */
	uint32_t n, cap;
};

_Static_assert(ANALYTICS_CLIENTS_PER_FLUSH <= 255, "client slot numbers are bytes");

struct outlier {
	int64_t when;
	uint32_t route; /* name number */
	int status;
	char method[16];
	struct prefix client; /* family 0: unknown */
	double latency, threshold;
	char path[ANALYTICS_OUTLIER_PATH_LEN + 1];
};

/* ---- prepared statements ---- */

enum stmt_id {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_NAME_INSERT,
	ST_NAME_ID,
	ST_HOUR_ROUTE,
	ST_DAY_ROUTE,
	ST_HOUR_TOTAL,
	ST_DAY_STATUS,
	ST_DAY_CLIENT,
	ST_OUTLIER,
	ST_OUTLIER_TRIM,
	ST_PRUNE_HOUR_ROUTE,
	ST_PRUNE_HOUR_TOTAL,
	ST_PRUNE_DAY_ROUTE,
	ST_PRUNE_DAY_STATUS,
	ST_PRUNE_DAY_CLIENT,
	ST_PRUNE_OUTLIERS,
	ST_COMPACT_CLIENTS,
	ST_META_GET,
	ST_META_SET,
	ST_Q_ROUTES,
	ST_Q_HITS,
	ST_Q_HEAT_TOTAL,
	ST_Q_HEAT_ROUTE,
	ST_Q_HEAT_FILTER,
	ST_Q_LATENCY,
	ST_Q_STATUS,
	ST_Q_CLIENTS,
	ST_Q_OUTLIERS,
	ST_Q_VERSIONS,
	ST__COUNT,
};

#define ROLLUP_UPSERT(table, col)                                                              \
	"INSERT INTO " table "(" col ", route, version, hits, s4xx, s5xx, lat_n, lat_sum,"       \
	" lat_min, lat_max, hist) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"        \
	" ON CONFLICT(" col ", route, version) DO UPDATE SET"                                   \
	" hits = hits + excluded.hits, s4xx = s4xx + excluded.s4xx,"                            \
	" s5xx = s5xx + excluded.s5xx, lat_n = lat_n + excluded.lat_n,"                         \
	" lat_sum = lat_sum + excluded.lat_sum,"                                                \
	" lat_min = min(coalesce(lat_min, excluded.lat_min), coalesce(excluded.lat_min, lat_min)),"\
	" lat_max = max(coalesce(lat_max, excluded.lat_max), coalesce(excluded.lat_max, lat_max)),"\
	" hist = hist_merge(hist, excluded.hist)"

static const char *const stmt_sql[ST__COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_NAME_INSERT] = "INSERT OR IGNORE INTO names(kind, name) VALUES (?1, ?2)",
	[ST_NAME_ID] = "SELECT id FROM names WHERE kind = ?1 AND name = ?2",
	[ST_HOUR_ROUTE] = ROLLUP_UPSERT("hour_route", "hour"),
	[ST_DAY_ROUTE] = ROLLUP_UPSERT("day_route", "day"),
	[ST_HOUR_TOTAL] = "INSERT INTO hour_total(hour, hits) VALUES (?1, ?2)"
			  " ON CONFLICT(hour) DO UPDATE SET hits = hits + excluded.hits",
	[ST_DAY_STATUS] = "INSERT INTO day_status(day, route, version, method, status, hits)"
			  " VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
			  " ON CONFLICT(day, route, version, method, status)"
			  " DO UPDATE SET hits = hits + excluded.hits",
	[ST_DAY_CLIENT] = "INSERT INTO day_client(day, route, client, hits, s4xx, lat_n, lat_sum)"
			  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
			  " ON CONFLICT(day, route, client) DO UPDATE SET"
			  " hits = hits + excluded.hits, s4xx = s4xx + excluded.s4xx,"
			  " lat_n = lat_n + excluded.lat_n, lat_sum = lat_sum + excluded.lat_sum",
	[ST_OUTLIER] = "INSERT INTO outliers(ts, route, method, status, client, path, latency,"
		       " threshold) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[ST_OUTLIER_TRIM] = "DELETE FROM outliers WHERE id <= (SELECT max(id) FROM outliers) - ?1",
	[ST_PRUNE_HOUR_ROUTE] = "DELETE FROM hour_route WHERE hour < ?1",
	[ST_PRUNE_HOUR_TOTAL] = "DELETE FROM hour_total WHERE hour < ?1",
	[ST_PRUNE_DAY_ROUTE] = "DELETE FROM day_route WHERE day < ?1",
	[ST_PRUNE_DAY_STATUS] = "DELETE FROM day_status WHERE day < ?1",
	[ST_PRUNE_DAY_CLIENT] = "DELETE FROM day_client WHERE day < ?1",
	[ST_PRUNE_OUTLIERS] = "DELETE FROM outliers WHERE ts < ?1",
	/* Keep the ?2 heaviest clients of each route and day from day ?1 on. */
	[ST_COMPACT_CLIENTS] = "DELETE FROM day_client WHERE day >= ?1 AND (day, route, client) IN"
			       " (SELECT day, route, client FROM (SELECT day, route, client,"
			       " row_number() OVER (PARTITION BY day, route"
			       " ORDER BY hits DESC, client) AS rn"
			       " FROM day_client WHERE day >= ?1) WHERE rn > ?2)",
	[ST_META_GET] = "SELECT value FROM meta WHERE key = ?1",
	[ST_META_SET] = "INSERT INTO meta(key, value) VALUES (?1, ?2)"
			" ON CONFLICT(key) DO UPDATE SET value = excluded.value",
	[ST_Q_ROUTES] = "SELECT r.name, sum(d.hits), sum(d.s4xx), sum(d.s5xx), sum(d.lat_n),"
			" sum(d.lat_sum), min(d.lat_min), max(d.lat_max), hist_sum(d.hist), max(d.day)"
			" FROM day_route d JOIN names r ON r.id = d.route"
			" WHERE d.day >= ?1 AND (?2 IS NULL OR d.version = ?2)"
			" GROUP BY d.route ORDER BY 2 DESC, r.name",
	[ST_Q_HITS] = "SELECT r.name, d.day, sum(d.hits) FROM day_route d"
		      " JOIN names r ON r.id = d.route"
		      " WHERE d.day >= ?1 AND d.day < ?4 AND (?2 IS NULL OR d.route = ?2)"
		      " AND (?3 IS NULL OR d.version = ?3)"
		      " GROUP BY d.route, d.day ORDER BY d.route, d.day",
	[ST_Q_HEAT_TOTAL] = "SELECT hour, hits FROM hour_total WHERE hour >= ?1 AND hour < ?4",
	[ST_Q_HEAT_ROUTE] = "SELECT hour, sum(hits) FROM hour_route"
			    " WHERE route = ?2 AND hour >= ?1 AND hour < ?4"
			    " AND (?3 IS NULL OR version = ?3) GROUP BY hour",
	[ST_Q_HEAT_FILTER] = "SELECT hour, sum(hits) FROM hour_route"
			     " WHERE hour >= ?1 AND hour < ?4 AND version = ?3 GROUP BY hour",
	[ST_Q_LATENCY] = "SELECT r.name, v.name, sum(d.hits), sum(d.lat_n), sum(d.lat_sum),"
			 " min(d.lat_min), max(d.lat_max), hist_sum(d.hist), min(d.day), max(d.day)"
			 " FROM day_route d JOIN names r ON r.id = d.route"
			 " JOIN names v ON v.id = d.version"
			 " WHERE d.day >= ?1 AND (?2 IS NULL OR d.route = ?2)"
			 " GROUP BY d.route, d.version ORDER BY r.name, v.name",
	[ST_Q_STATUS] = "SELECT r.name, v.name, m.name, s.status, sum(s.hits) FROM day_status s"
			" JOIN names r ON r.id = s.route JOIN names v ON v.id = s.version"
			" JOIN names m ON m.id = s.method"
			" WHERE s.day >= ?1 AND (?2 IS NULL OR s.route = ?2)"
			" AND (?3 IS NULL OR s.version = ?3)"
			" GROUP BY s.route, s.version, s.method, s.status",
	[ST_Q_CLIENTS] = "SELECT client, sum(hits), sum(s4xx), sum(lat_n), sum(lat_sum)"
			 " FROM day_client WHERE route = ?2 AND day >= ?1"
			 " GROUP BY client ORDER BY 2 DESC, client LIMIT ?3",
	[ST_Q_OUTLIERS] = "SELECT o.ts, r.name, o.method, o.status, o.client, o.path, o.latency,"
			  " o.threshold FROM outliers o JOIN names r ON r.id = o.route"
			  " WHERE (?1 IS NULL OR o.route = ?1) ORDER BY o.id DESC LIMIT ?2",
	[ST_Q_VERSIONS] = "SELECT v.name, min(d.day), max(d.day), sum(d.hits) FROM day_route d"
			  " JOIN names v ON v.id = d.version WHERE d.day >= ?1"
			  " GROUP BY d.version ORDER BY min(d.day), v.name",
};

static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS names(id INTEGER PRIMARY KEY, kind INTEGER NOT NULL,"
	" name TEXT NOT NULL, UNIQUE(kind, name));"
	"CREATE TABLE IF NOT EXISTS hour_route(hour INTEGER NOT NULL, route INTEGER NOT NULL,"
	" version INTEGER NOT NULL, hits INTEGER NOT NULL, s4xx INTEGER NOT NULL,"
	" s5xx INTEGER NOT NULL, lat_n INTEGER NOT NULL, lat_sum REAL NOT NULL, lat_min REAL,"
	" lat_max REAL, hist BLOB, PRIMARY KEY(hour, route, version)) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS hour_route_by_route ON hour_route(route, hour);"
	"CREATE TABLE IF NOT EXISTS day_route(day INTEGER NOT NULL, route INTEGER NOT NULL,"
	" version INTEGER NOT NULL, hits INTEGER NOT NULL, s4xx INTEGER NOT NULL,"
	" s5xx INTEGER NOT NULL, lat_n INTEGER NOT NULL, lat_sum REAL NOT NULL, lat_min REAL,"
	" lat_max REAL, hist BLOB, PRIMARY KEY(day, route, version)) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS day_route_by_route ON day_route(route, day);"
	"CREATE TABLE IF NOT EXISTS hour_total(hour INTEGER PRIMARY KEY, hits INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS day_status(day INTEGER NOT NULL, route INTEGER NOT NULL,"
	" version INTEGER NOT NULL, method INTEGER NOT NULL, status INTEGER NOT NULL,"
	" hits INTEGER NOT NULL, PRIMARY KEY(day, route, version, method, status)) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS day_status_by_route ON day_status(route, day);"
	"CREATE TABLE IF NOT EXISTS day_client(day INTEGER NOT NULL, route INTEGER NOT NULL,"
	" client TEXT NOT NULL, hits INTEGER NOT NULL, s4xx INTEGER NOT NULL,"
	" lat_n INTEGER NOT NULL, lat_sum REAL NOT NULL,"
	" PRIMARY KEY(day, route, client)) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS day_client_by_route ON day_client(route, day);"
	"CREATE TABLE IF NOT EXISTS outliers(id INTEGER PRIMARY KEY, ts INTEGER NOT NULL,"
	" route INTEGER NOT NULL, method TEXT NOT NULL, status INTEGER NOT NULL,"
	" client TEXT NOT NULL, path TEXT NOT NULL, latency REAL NOT NULL,"
	" threshold REAL NOT NULL);"
	"CREATE INDEX IF NOT EXISTS outliers_by_ts ON outliers(ts);";

/* A request waiting for its latency. */
struct pending_line {
	uint64_t line_ns;
	int64_t when;
	int status;
	uint32_t route, method_class; /* name numbers */
	char method[16];              /* as logged: the watcher's request line has it so */
	struct prefix client; /* family 0: none */
	size_t path_len;
	char path[ANALYTICS_OUTLIER_PATH_LEN];
};

/* A latency waiting for its request. */
struct pending_latency {
	uint64_t answered_ns;
	uint64_t latency_ns;
	char head[80]; /* the request line as the app read it, "" when unknown */
};

struct analytics {
	sqlite3 *db;
	char *db_path;
	int64_t retention_s;          /* 0: keep everything */
	uint32_t version;             /* name number of the app's version now */
	struct names names;
	struct ktab routes;           /* struct route_agg, by (hour, route, version) */
	struct ktab statuses;         /* struct status_agg, by (day, route, version, method, status) */
	struct ktab clients;          /* struct client_set, by (day, route) */
	struct outlier *pending;      /* ANALYTICS_OUTLIERS_PENDING of them */
	uint32_t n_pending;
	int64_t min_day_flushed;      /* earliest day written since the last compaction */
	int64_t last_prune_hour;
	bool ready;                   /* the database is set up: flush and prune may use it */
	sqlite3_stmt *stmts[ST__COUNT];
	/* Waiting to pair, oldest first; ANALYTICS_PAIR_MAX slots each, allocated on first use. */
	struct ring lines;            /* struct pending_line */
	struct ring lats;             /* struct pending_latency */
	uint32_t all_clients_hint;    /* ktab_get_hinted() hint of route 0's top-k */
	struct banmap *bm;            /* borrowed, for /api/bans */
	char *index_html;             /* the page with its assets' hash filled in */
	size_t index_len;
	struct analytics_stats stats;
};

/* The statement id, reset and ready to bind; NULL (logged) if it does not prepare. */
static sqlite3_stmt *stmt(struct analytics *a, enum stmt_id id)
{
	sqlite3_stmt *st = a->stmts[id];

	if (!st) {
		if (sqlite3_prepare_v3(a->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &st,
				       NULL) != SQLITE_OK) {
			pr_warn("analytics: cannot prepare statement %d: %s", id,
				sqlite3_errmsg(a->db));
			return NULL;
		}
		a->stmts[id] = st;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

/* Run a statement that returns no rows; 0 or -EIO (logged). Leaves it reset. */
static int run(struct analytics *a, sqlite3_stmt *st)
{
	int rc;

	if (!st)
		return -EIO;
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		pr_warn("analytics: %s: %s", sqlite3_sql(st), sqlite3_errmsg(a->db));
		return -EIO;
	}
	return 0;
}

static int run_id(struct analytics *a, enum stmt_id id)
{
	return run(a, stmt(a, id));
}

/* Bind an optional id: 0 is NULL (no filter), -1 (a name never stored) matches nothing. */
static void bind_opt(sqlite3_stmt *st, int i, int64_t id)
{
	if (id != 0)
		sqlite3_bind_int64(st, i, id);
	else
		sqlite3_bind_null(st, i);
}

static int64_t meta_get(struct analytics *a, const char *key, int64_t def)
{
	sqlite3_stmt *st = stmt(a, ST_META_GET);
	int64_t v = def;

	if (!st)
		return def;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return v;
}

static int meta_set(struct analytics *a, const char *key, int64_t v)
{
	sqlite3_stmt *st = stmt(a, ST_META_SET);

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, v);
	return run(a, st);
}

/* ---- open and close ---- */

static int db_exec(struct analytics *a, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(a->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", a->db_path, msg ? msg : sqlite3_errmsg(a->db));
		sqlite3_free(msg);
		return -EIO;
	}
	return 0;
}

static int db_setup(struct analytics *a, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int version = -1, rc;

	/* auto_vacuum only takes on a new database: pruned pages go back to the system. */
	rc = db_exec(a, "PRAGMA auto_vacuum = INCREMENTAL; PRAGMA journal_mode = WAL;"
			"PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = OFF;"
			"PRAGMA temp_store = MEMORY;", err, errlen);
	if (rc)
		return rc;
	/* Another reader (the sqlite3 shell) may hold a lock for a moment; never wait long. */
	sqlite3_busy_timeout(a->db, 200);
	if (sqlite3_prepare_v2(a->db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			version = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	if (version < 0) {
		snprintf(err, errlen, "%s: %s", a->db_path, sqlite3_errmsg(a->db));
		return -EIO;
	}
	if (version > SCHEMA_VERSION) {
		snprintf(err, errlen, "%s: schema version %d is newer than this warden's (%d)",
			 a->db_path, version, SCHEMA_VERSION);
		return -EPROTO;
	}
	rc = db_exec(a, "BEGIN", err, errlen);
	if (!rc)
		rc = db_exec(a, schema_sql, err, errlen);
	if (!rc)
		rc = db_exec(a, "PRAGMA user_version = 1; COMMIT", err, errlen);
	if (rc) {
		sqlite3_exec(a->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	if (sqlite3_create_function_v2(a->db, "hist_merge", -1,
				       SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
				       sql_hist_merge, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_create_function_v2(a->db, "hist_sum", 1,
				       SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
				       NULL, sql_hist_sum_step, sql_hist_sum_final,
				       NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", a->db_path, sqlite3_errmsg(a->db));
		return -EIO;
	}
	return 0;
}

struct analytics *analytics__open(const char *state_dir, uint64_t retention_ns, char *err,
				  size_t errlen)
{
	struct analytics *a;
	int rc;

	if (!state_dir || !*state_dir) {
		snprintf(err, errlen, "no state folder");
		errno = EINVAL;
		return NULL;
	}
	a = calloc(1, sizeof(*a));
	if (!a) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	bounds_init();
	a->retention_s = (int64_t)(retention_ns / NSEC_PER_SEC);
	a->routes = (struct ktab){ .esize = sizeof(struct route_agg),
				   .ksize = sizeof(struct route_key), .max = MAX_ROUTE_KEYS };
	a->statuses = (struct ktab){ .esize = sizeof(struct status_agg),
				     .ksize = sizeof(struct status_key), .max = MAX_STATUS_KEYS };
	a->clients = (struct ktab){ .esize = sizeof(struct client_set),
				    .ksize = sizeof(struct client_key), .max = MAX_CLIENT_SETS };
	a->min_day_flushed = INT64_MAX;
	a->last_prune_hour = INT64_MIN;
	a->pending = calloc(ANALYTICS_OUTLIERS_PENDING, sizeof(*a->pending));
	a->version = names_intern(&a->names, NAME_VERSION, "unknown");
	if (!a->pending || !a->version) {
		snprintf(err, errlen, "out of memory");
		rc = -ENOMEM;
		goto fail;
	}
	rc = file__mkdir_p(state_dir, 0750);
	if (rc) {
		snprintf(err, errlen, "%s: %s", state_dir, strerror(-rc));
		goto fail;
	}
	if (asprintf(&a->db_path, "%s/%s", state_dir, ANALYTICS_DB_NAME) < 0) {
		a->db_path = NULL;
		snprintf(err, errlen, "out of memory");
		rc = -ENOMEM;
		goto fail;
	}
	if (sqlite3_open_v2(a->db_path, &a->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", a->db_path,
			 a->db ? sqlite3_errmsg(a->db) : "cannot open");
		rc = -EIO;
		goto fail;
	}
	rc = db_setup(a, err, errlen);
	if (rc)
		goto fail;
	a->ready = true;
	analytics__prune(a, time(NULL));
	return a;
fail:
	analytics__close(a);
	errno = -rc;
	return NULL;
}

static void clients_clear(struct analytics *a)
{
	size_t i;

	for (i = 0; i < a->clients.n; i++) {
		struct client_set *cs = ktab_at(&a->clients, i);

		free(cs->slots);
		free(cs->heap); /* with at and index */
	}
	ktab_clear(&a->clients);
}

static void pop_line(struct analytics *a, uint32_t i, double lat);

void analytics__close(struct analytics *a)
{
	int i;

	if (!a)
		return;
	while (a->lines.len)
		pop_line(a, 0, -1);
	if (a->ready && analytics__flush(a, time(NULL)))
		pr_warn("analytics: the last %zu roll-ups could not be written", a->routes.n);
	if (a->db) {
		for (i = 0; i < ST__COUNT; i++)
			sqlite3_finalize(a->stmts[i]);
		sqlite3_exec(a->db, "PRAGMA optimize", NULL, NULL, NULL);
		sqlite3_close(a->db);
	}
	clients_clear(a);
	ktab_free(&a->routes);
	ktab_free(&a->statuses);
	ktab_free(&a->clients);
	names_free(&a->names);
	free(a->pending);
	ring__free(&a->lines);
	ring__free(&a->lats);
	free(a->db_path);
	free(a->index_html);
	free(a);
}

void analytics__set_version(struct analytics *a, const char *version)
{
	uint32_t v;

	if (!a)
		return;
	v = names_intern(&a->names, NAME_VERSION, version && *version ? version : "unknown");
	if (v)
		a->version = v;
}

void analytics__set_banmap(struct analytics *a, struct banmap *bm)
{
	if (a)
		a->bm = bm;
}

const struct analytics_stats *analytics__stats(const struct analytics *a)
{
	return &a->stats;
}

/* ---- recording: memory only ---- */

/* Methods outside the standard ones would let a client grow the names table. */
static const char *method_class(const char *m)
{
	static const char *const known[] = { "GET",     "HEAD",    "POST",  "PUT",  "DELETE",
					     "PATCH",   "OPTIONS", "CONNECT", "TRACE" };
	size_t i;

	if (!m || !*m)
		return "-";
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(m, known[i]))
			return known[i];
	return "OTHER";
}

static uint32_t client_hash(const struct prefix *c)
{
	return (uint32_t)hash_bytes(c->addr, c->family == 4 ? 4 : 16, FNV_SEED ^ c->family);
}

/* The index position of address c, or of the empty place where it would go. */
static uint32_t client_pos(const struct client_set *cs, const struct prefix *c)
{
	uint32_t mask = 2 * cs->cap - 1, i;

	for (i = client_hash(c) & mask; cs->index[i]; i = (i + 1) & mask)
		if (prefix__equal(&cs->slots[cs->index[i] - 1].addr, c))
			break;
	return i;
}

/* Empty index position i (linear probing: later entries of the run move back into it). */
static void client_unindex(struct client_set *cs, uint32_t i)
{
	uint32_t mask = 2 * cs->cap - 1, j = i, home;

	for (;;) {
		j = (j + 1) & mask;
		if (!cs->index[j])
			break;
		home = client_hash(&cs->slots[cs->index[j] - 1].addr) & mask;
		/* An entry whose home lies cyclically in (i, j] stays where it is. */
		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		cs->index[i] = cs->index[j];
		i = j;
	}
	cs->index[i] = 0;
}

static void heap_swap(struct client_set *cs, uint32_t x, uint32_t y)
{
	uint8_t t = cs->heap[x];

	cs->heap[x] = cs->heap[y];
	cs->heap[y] = t;
	cs->at[cs->heap[x]] = (uint8_t)x;
	cs->at[cs->heap[y]] = (uint8_t)y;
}

#define HEAP_RANK(cs, x) ((cs)->slots[(cs)->heap[x]].rank)

/* Restore the heap after the rank of the slot at place x changed. */
static void heap_fix(struct client_set *cs, uint32_t x)
{
	while (x && HEAP_RANK(cs, x) < HEAP_RANK(cs, (x - 1) / 2)) {
		heap_swap(cs, x, (x - 1) / 2);
		x = (x - 1) / 2;
	}
	for (;;) {
		uint32_t l = 2 * x + 1, m = x;

		if (l < cs->n && HEAP_RANK(cs, l) < HEAP_RANK(cs, m))
			m = l;
		if (l + 1 < cs->n && HEAP_RANK(cs, l + 1) < HEAP_RANK(cs, m))
			m = l + 1;
		if (m == x)
			break;
		heap_swap(cs, x, m);
		x = m;
	}
}

/* Room for cap slots: heap and places carried over, the index rebuilt. 0 or -ENOMEM. */
static int client_grow(struct client_set *cs, uint32_t cap)
{
	struct client_slot *slots = realloc(cs->slots, cap * sizeof(*slots));
	uint8_t *block;
	uint32_t i, mask = 2 * cap - 1, j;

	if (!slots)
		return -ENOMEM;
	cs->slots = slots;
	block = calloc(4, cap); /* heap, at, index */
	if (!block)
		return -ENOMEM;
	if (cs->n) {
		memcpy(block, cs->heap, cs->n);
		memcpy(block + cap, cs->at, cs->n);
	}
	free(cs->heap);
	cs->heap = block;
	cs->at = block + cap;
	cs->index = block + 2 * cap;
	for (i = 0; i < cs->n; i++) {
		for (j = client_hash(&slots[i].addr) & mask; cs->index[j]; j = (j + 1) & mask)
			;
		cs->index[j] = (uint8_t)(i + 1);
	}
	cs->cap = cap;
	return 0;
}

static void client_add(struct analytics *a, int64_t day, uint32_t route, const struct prefix *c,
		       int status, double lat, uint32_t *hint)
{
	struct client_key k = { .day = day, .route = route };
	struct client_set *cs = ktab_get_hinted(&a->clients, &k, hint);
	struct client_slot *s;
	uint32_t pos, slot;

	if (!cs) {
		a->stats.dropped++;
		return;
	}
	if (cs->n == cs->cap && cs->cap < ANALYTICS_CLIENTS_PER_FLUSH &&
	    (!cs->cap || !cs->index[client_pos(cs, c)])) {
		uint32_t cap = cs->cap ? cs->cap * 4 : CLIENT_SLOTS_FIRST;

		if (client_grow(cs, cap > ANALYTICS_CLIENTS_PER_FLUSH ? ANALYTICS_CLIENTS_PER_FLUSH
								      : cap)) {
			a->stats.dropped++;
			return;
		}
	}
	pos = client_pos(cs, c);
	if (cs->index[pos]) {
		slot = cs->index[pos] - 1;
		s = &cs->slots[slot];
	} else if (cs->n < cs->cap) {
		slot = cs->n++;
		s = &cs->slots[slot];
		memset(s, 0, sizeof(*s));
		s->addr = *c;
		cs->index[pos] = (uint8_t)(slot + 1);
		cs->heap[slot] = (uint8_t)slot;
		cs->at[slot] = (uint8_t)slot;
	} else {
		/* Space-saving: the new client takes the slot of the lightest one. */
		uint64_t evicted;

		slot = cs->heap[0];
		s = &cs->slots[slot];
		client_unindex(cs, client_pos(cs, &s->addr));
		evicted = s->rank;
		memset(s, 0, sizeof(*s));
		s->addr = *c;
		s->rank = evicted;
		cs->index[client_pos(cs, c)] = (uint8_t)(slot + 1);
	}
	s->hits++;
	s->rank++;
	heap_fix(cs, cs->at[slot]);
	if (status >= 400 && status <= 499)
		s->s4xx++;
	if (lat >= 0) {
		s->lat_n++;
		s->lat_sum += lat;
	}
}

/* Keep path printable: control bytes become '?'. */
static void copy_path(char *dst, const char *path, size_t len)
{
	size_t i;

	if (!path)
		len = 0;
	if (len > ANALYTICS_OUTLIER_PATH_LEN)
		len = ANALYTICS_OUTLIER_PATH_LEN;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)path[i];

		dst[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	dst[len] = '\0';
}

/* Compare lat with the route's recent latencies, then add it to them. */
static void outlier_check(struct analytics *a, uint32_t route, const char *method, int status,
			  const struct prefix *client, double lat, const char *path,
			  size_t path_len, int64_t when)
{
	struct name *n = &a->names.v[route - 1];
	struct recent *r = n->recent;
	uint64_t merged[NB];
	int i, b;

	if (!r) {
		r = calloc(1, sizeof(*r));
		if (!r)
			return;
		n->recent = r;
	}
	if (r->n_cur >= ANALYTICS_OUTLIER_WINDOW) {
		/* The current window is full: it becomes the previous one. */
		memcpy(r->prev, r->cur, sizeof(r->prev));
		r->n_prev = r->n_cur;
		memset(r->cur, 0, sizeof(r->cur));
		r->n_cur = 0;
	}
	if (r->n_cur + r->n_prev >= ANALYTICS_OUTLIER_MIN_SAMPLES) {
		double p90, threshold;

		for (i = 0; i < NB; i++)
			merged[i] = (uint64_t)r->cur[i] + r->prev[i];
		/* The upper bound of p90's bucket: never below the true p90. */
		b = hist_rank_bucket(merged, (uint64_t)r->n_cur + r->n_prev, 0.9);
		p90 = bounds[b + 1];
		threshold = fmax(ANALYTICS_OUTLIER_FACTOR * p90, ANALYTICS_OUTLIER_FLOOR_S);
		if (lat > threshold) {
			a->stats.outliers++;
			if (a->n_pending < ANALYTICS_OUTLIERS_PENDING) {
				struct outlier *o = &a->pending[a->n_pending++];

				o->when = when;
				o->route = route;
				o->status = status;
				snprintf(o->method, sizeof(o->method), "%s", method);
				if (client)
					o->client = *client;
				else
					memset(&o->client, 0, sizeof(o->client));
				o->latency = lat;
				o->threshold = threshold;
				copy_path(o->path, path, path_len);
			} else {
				a->stats.dropped++;
			}
		}
	}
	r->cur[analytics__bucket_of(lat)]++;
	r->n_cur++;
}

/* One request, its route and method class interned (name numbers); status already checked. */
static void record_ids(struct analytics *a, uint32_t r, uint32_t m, int status,
		       const struct prefix *client, double latency_s, const char *path,
		       size_t path_len, int64_t t)
{
	struct name *rn = &a->names.v[r - 1];
	struct route_key rk;
	struct status_key sk;
	struct route_agg *ra;
	struct status_agg *sa;
	bool has_lat = latency_s >= 0 && isfinite(latency_s);

	memset(&rk, 0, sizeof(rk));
	rk.hour = hour_of(t);
	rk.route = r;
	rk.version = a->version;
	ra = ktab_get_hinted(&a->routes, &rk, &rn->route_hint);
	if (!ra) {
		a->stats.dropped++;
		return;
	}
	if (!ra->hits && !ra->lat.n)
		lat_init(&ra->lat);
	ra->hits++;
	if (status >= 400 && status <= 499)
		ra->s4xx++;
	else if (status >= 500)
		ra->s5xx++;
	if (has_lat) {
		ra->lat.n++;
		ra->lat.sum += latency_s;
		ra->lat.min = fmin(ra->lat.min, latency_s);
		ra->lat.max = fmax(ra->lat.max, latency_s);
		ra->lat.hist[analytics__bucket_of(latency_s)]++;
	}

	memset(&sk, 0, sizeof(sk));
	sk.day = day_of(t);
	sk.route = r;
	sk.version = a->version;
	sk.method = m;
	sk.status = (uint32_t)status;
	sa = ktab_get(&a->statuses, &sk, true);
	if (sa)
		sa->hits++;
	else
		a->stats.dropped++;

	if (client && client->family) {
		client_add(a, sk.day, r, client, status, has_lat ? latency_s : -1, &rn->client_hint);
		client_add(a, sk.day, 0, client, status, has_lat ? latency_s : -1, &a->all_clients_hint);
	}
	if (has_lat)
		outlier_check(a, r, a->names.v[m - 1].text, status, client, latency_s, path, path_len,
			      t);
}

/* The name numbers of route and method's class; false (counted as dropped) when the table is full. */
static bool intern_request(struct analytics *a, const char *route, const char *method, uint32_t *r,
			   uint32_t *m)
{
	*r = names_intern(&a->names, NAME_ROUTE, route && *route ? route : "unknown");
	*m = names_intern(&a->names, NAME_METHOD, method_class(method));
	if (*r && *m)
		return true;
	a->stats.dropped++;
	return false;
}

static int status_checked(int status)
{
	return status < 100 || status > 599 ? 0 : status;
}

void analytics__record(struct analytics *a, const char *route, const char *method, int status,
		       const struct prefix *client, double latency_s, const char *path,
		       size_t path_len, time_t when)
{
	uint32_t r, m;

	if (!a)
		return;
	a->stats.recorded++;
	if (intern_request(a, route, method, &r, &m))
		record_ids(a, r, m, status_checked(status), client, latency_s, path, path_len,
			   (int64_t)when);
}

/* ---- pairing lines with latencies measured elsewhere ---- */

/* Record waiting line i with lat (< 0: none) and take it out of the ring. */
static void pop_line(struct analytics *a, uint32_t i, double lat)
{
	const struct pending_line *l = ring__at(&a->lines, i);

	if (!l)
		return;
	if (lat >= 0)
		a->stats.paired++;
	else
		a->stats.unpaired++;
	record_ids(a, l->route, l->method_class, l->status, l->client.family ? &l->client : NULL,
		   lat, l->path, l->path_len, l->when);
	ring__take(&a->lines, i);
}

static void pop_latency(struct analytics *a, uint32_t i)
{
	ring__take(&a->lats, i);
}

static uint64_t gap(uint64_t x, uint64_t y)
{
	return x > y ? x - y : y - x;
}

/*
 * Whether head, a request line as the app read it (maybe cut, bytes it
 * could not print as '?'), is the request of line l: 1 yes, -1 no, 0 when
 * head is unknown.
 */
static int same_request(const char *head, const struct pending_line *l)
{
	size_t ml = strlen(l->method), tl, i;
	const char *t;

	if (!head[0])
		return 0;
	if (!ml || strncmp(head, l->method, ml) || head[ml] != ' ')
		return -1;
	t = head + ml + 1;
	tl = strcspn(t, " ");
	/* Without a space after it, the target may have been cut: a prefix will do. */
	if (tl > l->path_len || (t[tl] == ' ' && tl != l->path_len))
		return -1;
	for (i = 0; i < tl; i++)
		if (t[i] != l->path[i] && t[i] != '?')
			return -1;
	return 1;
}

/* Whether waiting latency m goes with waiting line l. */
static bool pairs(const struct pending_latency *m, const struct pending_line *l)
{
	int same = same_request(m->head, l);

	if (same > 0)
		return gap(m->answered_ns, l->line_ns) <= ANALYTICS_PAIR_MATCH_NS;
	return same == 0 && gap(m->answered_ns, l->line_ns) <= ANALYTICS_PAIR_WINDOW_NS;
}

void analytics__pair_expire(struct analytics *a, uint64_t now_ns)
{
	if (!a)
		return;
	/* Entry 0 of a ring is always a live one: the oldest. */
	while (a->lines.len &&
	       ((struct pending_line *)ring__at(&a->lines, 0))->line_ns + ANALYTICS_PAIR_MATCH_NS < now_ns)
		pop_line(a, 0, -1);
	while (a->lats.len && ((struct pending_latency *)ring__at(&a->lats, 0))->answered_ns +
					  ANALYTICS_PAIR_MATCH_NS < now_ns) {
		a->stats.lost_latencies++;
		pop_latency(a, 0);
	}
}

static bool pair_alloc(struct analytics *a)
{
	if (!ring__ready(&a->lines) &&
	    ring__init(&a->lines, sizeof(struct pending_line), ANALYTICS_PAIR_MAX))
		return false;
	if (!ring__ready(&a->lats) &&
	    ring__init(&a->lats, sizeof(struct pending_latency), ANALYTICS_PAIR_MAX))
		return false;
	return true;
}

void analytics__record_pending(struct analytics *a, const char *route, const char *method,
			       int status, const struct prefix *client, const char *path,
			       size_t path_len, time_t when, uint64_t line_ns)
{
	struct pending_line *l;
	uint32_t i, r, m;
	size_t mlen;

	if (!a)
		return;
	if (!pair_alloc(a)) {
		analytics__record(a, route, method, status, client, -1, path, path_len, when);
		return;
	}
	a->stats.recorded++;
	if (!intern_request(a, route, method, &r, &m))
		return;
	analytics__pair_expire(a, line_ns);
	if (ring__full(&a->lines)) {
		/* Full: the oldest is recorded now, without a latency. */
		a->stats.overflow_lines++;
		pop_line(a, 0, -1);
	}
	l = ring__push(&a->lines);
	l->line_ns = line_ns;
	l->when = (int64_t)when;
	l->status = status_checked(status);
	l->route = r;
	l->method_class = m;
	mlen = method ? strnlen(method, sizeof(l->method) - 1) : 0;
	memcpy(l->method, method ? method : "", mlen);
	l->method[mlen] = '\0';
	if (client)
		l->client = *client;
	else
		memset(&l->client, 0, sizeof(l->client));
	l->path_len = path ? (path_len < sizeof(l->path) ? path_len : sizeof(l->path)) : 0;
	if (l->path_len)
		memcpy(l->path, path, l->path_len);
	/* A latency that came first: the oldest that goes with it. */
	for (i = 0; a->lats.live && i < a->lats.len; i++) {
		const struct pending_latency *lat = ring__at(&a->lats, i);

		if (lat && pairs(lat, l)) {
			pop_line(a, a->lines.len - 1, (double)lat->latency_ns / 1e9);
			pop_latency(a, i);
			return;
		}
	}
}

void analytics__latency(struct analytics *a, uint64_t answered_ns, uint64_t latency_ns,
			const char *request_line)
{
	struct pending_latency *m;
	uint32_t i;

	if (!a || !pair_alloc(a))
		return;
	analytics__pair_expire(a, answered_ns);
	if (ring__full(&a->lats)) {
		/* Full: the oldest is dropped. */
		a->stats.lost_latencies++;
		a->stats.overflow_latencies++;
		pop_latency(a, 0);
	}
	m = ring__push(&a->lats);
	m->answered_ns = answered_ns;
	m->latency_ns = latency_ns;
	snprintf(m->head, sizeof(m->head), "%s", request_line ? request_line : "");
	/* The oldest waiting line that goes with it. */
	for (i = 0; a->lines.live && i < a->lines.len; i++) {
		const struct pending_line *l = ring__at(&a->lines, i);

		if (l && pairs(m, l)) {
			pop_line(a, i, (double)latency_ns / 1e9);
			pop_latency(a, a->lats.len - 1);
			return;
		}
	}
}

/* ---- flushing ---- */

static int64_t name_db_id(struct analytics *a, uint32_t n)
{
	return n ? a->names.v[n - 1].db_id : 0;
}

/* Give every name its row in names (its own transaction: rows there are never removed). */
static int resolve_names(struct analytics *a)
{
	bool begun = false;
	uint32_t i;
	int err = 0;

	for (i = 0; i < a->names.n && !err; i++) {
		struct name *n = &a->names.v[i];
		sqlite3_stmt *st;

		if (n->db_id)
			continue;
		if (!begun) {
			err = run_id(a, ST_BEGIN);
			if (err)
				return err;
			begun = true;
		}
		st = stmt(a, ST_NAME_INSERT);
		if (!st) {
			err = -EIO;
			break;
		}
		sqlite3_bind_int(st, 1, (int)n->kind);
		sqlite3_bind_text(st, 2, n->text, -1, SQLITE_STATIC);
		err = run(a, st);
		if (err)
			break;
		st = stmt(a, ST_NAME_ID);
		if (!st) {
			err = -EIO;
			break;
		}
		sqlite3_bind_int(st, 1, (int)n->kind);
		sqlite3_bind_text(st, 2, n->text, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			n->db_id = sqlite3_column_int64(st, 0);
		else
			err = -EIO;
		sqlite3_reset(st);
	}
	if (!begun)
		return err;
	if (!err)
		err = run_id(a, ST_COMMIT);
	if (err) {
		run_id(a, ST_ROLLBACK);
		/* Ids read in the rolled-back transaction may not exist: read them again. */
		for (i = 0; i < a->names.n; i++)
			a->names.v[i].db_id = 0;
	}
	return err;
}

static int write_rollup(struct analytics *a, enum stmt_id id, int64_t when,
			const struct route_agg *e)
{
	sqlite3_stmt *st = stmt(a, id);
	unsigned char blob[HIST_BLOB_MAX];
	size_t blen;

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, when);
	sqlite3_bind_int64(st, 2, name_db_id(a, e->k.route));
	sqlite3_bind_int64(st, 3, name_db_id(a, e->k.version));
	sqlite3_bind_int64(st, 4, (int64_t)e->hits);
	sqlite3_bind_int64(st, 5, (int64_t)e->s4xx);
	sqlite3_bind_int64(st, 6, (int64_t)e->s5xx);
	sqlite3_bind_int64(st, 7, (int64_t)e->lat.n);
	sqlite3_bind_double(st, 8, e->lat.n ? e->lat.sum : 0);
	if (e->lat.n) {
		sqlite3_bind_double(st, 9, e->lat.min);
		sqlite3_bind_double(st, 10, e->lat.max);
		blen = hist_encode(e->lat.hist, blob);
		sqlite3_bind_blob(st, 11, blob, (int)blen, SQLITE_STATIC);
	}
	return run(a, st);
}

static int write_batch(struct analytics *a)
{
	char addr[PREFIX_STRLEN];
	sqlite3_stmt *st;
	size_t i;
	uint32_t j;
	int err;

	for (i = 0; i < a->routes.n; i++) {
		const struct route_agg *e = ktab_at(&a->routes, i);

		err = write_rollup(a, ST_HOUR_ROUTE, e->k.hour, e);
		if (!err)
			err = write_rollup(a, ST_DAY_ROUTE, day_of(e->k.hour), e);
		if (err)
			return err;
		st = stmt(a, ST_HOUR_TOTAL);
		if (!st)
			return -EIO;
		sqlite3_bind_int64(st, 1, e->k.hour);
		sqlite3_bind_int64(st, 2, (int64_t)e->hits);
		err = run(a, st);
		if (err)
			return err;
	}
	for (i = 0; i < a->statuses.n; i++) {
		const struct status_agg *e = ktab_at(&a->statuses, i);

		st = stmt(a, ST_DAY_STATUS);
		if (!st)
			return -EIO;
		sqlite3_bind_int64(st, 1, e->k.day);
		sqlite3_bind_int64(st, 2, name_db_id(a, e->k.route));
		sqlite3_bind_int64(st, 3, name_db_id(a, e->k.version));
		sqlite3_bind_int64(st, 4, name_db_id(a, e->k.method));
		sqlite3_bind_int(st, 5, (int)e->k.status);
		sqlite3_bind_int64(st, 6, (int64_t)e->hits);
		err = run(a, st);
		if (err)
			return err;
	}
	for (i = 0; i < a->clients.n; i++) {
		const struct client_set *cs = ktab_at(&a->clients, i);

		for (j = 0; j < cs->n; j++) {
			const struct client_slot *s = &cs->slots[j];

			st = stmt(a, ST_DAY_CLIENT);
			if (!st)
				return -EIO;
			prefix__format(&s->addr, addr, sizeof(addr));
			sqlite3_bind_int64(st, 1, cs->k.day);
			sqlite3_bind_int64(st, 2, name_db_id(a, cs->k.route)); /* 0: all routes */
			sqlite3_bind_text(st, 3, addr, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 4, (int64_t)s->hits);
			sqlite3_bind_int64(st, 5, (int64_t)s->s4xx);
			sqlite3_bind_int64(st, 6, (int64_t)s->lat_n);
			sqlite3_bind_double(st, 7, s->lat_sum);
			err = run(a, st);
			if (err)
				return err;
		}
	}
	for (j = 0; j < a->n_pending; j++) {
		const struct outlier *o = &a->pending[j];

		st = stmt(a, ST_OUTLIER);
		if (!st)
			return -EIO;
		if (o->client.family)
			prefix__format(&o->client, addr, sizeof(addr));
		else
			snprintf(addr, sizeof(addr), "-");
		sqlite3_bind_int64(st, 1, o->when);
		sqlite3_bind_int64(st, 2, name_db_id(a, o->route));
		sqlite3_bind_text(st, 3, o->method, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 4, o->status);
		sqlite3_bind_text(st, 5, addr, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, o->path, -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 7, o->latency);
		sqlite3_bind_double(st, 8, o->threshold);
		err = run(a, st);
		if (err)
			return err;
	}
	if (a->n_pending) {
		st = stmt(a, ST_OUTLIER_TRIM);
		if (!st)
			return -EIO;
		sqlite3_bind_int64(st, 1, ANALYTICS_OUTLIERS_KEEP);
		err = run(a, st);
		if (err)
			return err;
	}
	return 0;
}

static void batch_clear(struct analytics *a)
{
	size_t i;

	for (i = 0; i < a->routes.n; i++) {
		const struct route_agg *e = ktab_at(&a->routes, i);

		if (day_of(e->k.hour) < a->min_day_flushed)
			a->min_day_flushed = day_of(e->k.hour);
	}
	ktab_clear(&a->routes);
	ktab_clear(&a->statuses);
	clients_clear(a);
	a->n_pending = 0;
}

int analytics__flush(struct analytics *a, time_t now)
{
	int err = 0;

	if (!a || !a->db)
		return 0;
	analytics__pair_expire(a, time__boot_ns());
	if (a->routes.n || a->statuses.n || a->clients.n || a->n_pending) {
		err = resolve_names(a);
		if (!err)
			err = run_id(a, ST_BEGIN);
		if (!err) {
			err = write_batch(a);
			if (!err)
				err = run_id(a, ST_COMMIT);
			if (err)
				run_id(a, ST_ROLLBACK);
		}
		if (err) {
			/* The batch stays: the next flush tries again (records beyond the bounds are dropped). */
			if (a->stats.flush_errors++ % 30 == 0)
				pr_warn("analytics: cannot write to %s: %s", a->db_path,
					sqlite3_errmsg(a->db));
			return err;
		}
		a->stats.flushes++;
		batch_clear(a);
	}
	if (hour_of(now) != a->last_prune_hour)
		err = analytics__prune(a, now);
	return err;
}

int analytics__prune(struct analytics *a, time_t now)
{
	static const enum stmt_id hourly[] = { ST_PRUNE_HOUR_ROUTE, ST_PRUNE_HOUR_TOTAL };
	static const enum stmt_id daily[] = { ST_PRUNE_DAY_ROUTE, ST_PRUNE_DAY_STATUS,
					      ST_PRUNE_DAY_CLIENT };
	int64_t t = (int64_t)now, from;
	sqlite3_stmt *st;
	size_t i;
	int err;

	if (!a || !a->db)
		return -EINVAL;
	err = run_id(a, ST_BEGIN);
	if (err)
		return err;
	if (a->retention_s > 0) {
		int64_t cut = t - a->retention_s;

		/* An hour or a day goes when all of it is older than the retention period. */
		for (i = 0; i < sizeof(hourly) / sizeof(hourly[0]) && !err; i++) {
			st = stmt(a, hourly[i]);
			if (st)
				sqlite3_bind_int64(st, 1, hour_of(cut));
			err = run(a, st);
		}
		for (i = 0; i < sizeof(daily) / sizeof(daily[0]) && !err; i++) {
			st = stmt(a, daily[i]);
			if (st)
				sqlite3_bind_int64(st, 1, day_of(cut));
			err = run(a, st);
		}
		if (!err) {
			st = stmt(a, ST_PRUNE_OUTLIERS);
			if (st)
				sqlite3_bind_int64(st, 1, cut);
			err = run(a, st);
		}
	}
	/* Only the heaviest clients of each route and day stay, on the days written since last time. */
	from = meta_get(a, "clients_compacted_from", INT64_MIN);
	if (a->min_day_flushed < from)
		from = a->min_day_flushed;
	if (!err) {
		st = stmt(a, ST_COMPACT_CLIENTS);
		if (st) {
			sqlite3_bind_int64(st, 1, from);
			sqlite3_bind_int64(st, 2, ANALYTICS_CLIENTS_KEEP);
		}
		err = run(a, st);
	}
	if (!err)
		err = meta_set(a, "clients_compacted_from", day_of(t));
	if (!err)
		err = run_id(a, ST_COMMIT);
	if (err) {
		run_id(a, ST_ROLLBACK);
		return err;
	}
	a->min_day_flushed = INT64_MAX;
	a->last_prune_hour = hour_of(t);
	a->stats.prunes++;
	sqlite3_exec(a->db, "PRAGMA incremental_vacuum", NULL, NULL, NULL);
	return 0;
}

/* ---- queries ---- */

struct qargs {
	int days;
	int top, limit, tz_min;
	const char *route, *version;
	int64_t route_id, version_id; /* 0: no filter; -1: a name never seen (nothing matches) */
	int64_t now, since_day, end_day, since_hour, end_hour;
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

static void lat_from_row(struct lat_summary *s, sqlite3_stmt *st, int col)
{
	lat_init(s);
	s->n = (uint64_t)sqlite3_column_int64(st, col);
	s->sum = sqlite3_column_double(st, col + 1);
	if (sqlite3_column_type(st, col + 2) != SQLITE_NULL)
		s->min = sqlite3_column_double(st, col + 2);
	if (sqlite3_column_type(st, col + 3) != SQLITE_NULL)
		s->max = sqlite3_column_double(st, col + 3);
	if (sqlite3_column_type(st, col + 4) == SQLITE_BLOB)
		hist_decode_add(s->hist, sqlite3_column_blob(st, col + 4),
				sqlite3_column_bytes(st, col + 4));
}

/* count, mean, min, p5, q1, p50, q3, p90, p95, p99, max (seconds; null when no latency). */
static struct json_object *lat_json(const struct lat_summary *s)
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
		json_object_object_add(o, qs[i].key, s->n ? jnum(lat_quantile(s, qs[i].q)) : NULL);
	json_object_object_add(o, "max", s->n ? jnum(s->max) : NULL);
	return o;
}

static int step_error(struct analytics *a, sqlite3_stmt *st, int rc)
{
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return 0;
	pr_warn("analytics: query failed: %s", sqlite3_errmsg(a->db));
	return -EIO;
}

static int q_routes(struct analytics *a, const struct qargs *q, struct json_object *out)
{
	sqlite3_stmt *st = stmt(a, ST_Q_ROUTES);
	struct json_object *arr = json_object_new_array();
	struct lat_summary s;
	int rc;

	json_object_object_add(out, "routes", arr);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, q->since_day);
	bind_opt(st, 2, q->version_id);
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
	return step_error(a, st, rc);
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

static int q_hits(struct analytics *a, const struct qargs *q, struct json_object *out)
{
	sqlite3_stmt *st = stmt(a, ST_Q_HITS);
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
	bind_opt(st, 2, q->route_id);
	bind_opt(st, 3, q->version_id);
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
		err = step_error(a, st, rc);
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

static int q_heatmap(struct analytics *a, const struct qargs *q, struct json_object *out)
{
	static const char *const wd[7] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	uint64_t cells[7][24] = { { 0 } }, max = 0, total = 0;
	enum stmt_id id = q->route_id ? ST_Q_HEAT_ROUTE : q->version_id ? ST_Q_HEAT_FILTER
									: ST_Q_HEAT_TOTAL;
	sqlite3_stmt *st = stmt(a, id);
	struct json_object *rows, *names;
	int rc, w, h, err;

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, q->since_hour);
	if (id == ST_Q_HEAT_ROUTE)
		sqlite3_bind_int64(st, 2, q->route_id);
	if (id != ST_Q_HEAT_TOTAL)
		bind_opt(st, 3, q->version_id);
	sqlite3_bind_int64(st, 4, q->end_hour);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t t = sqlite3_column_int64(st, 0) + (int64_t)q->tz_min * 60;
		uint64_t hits = (uint64_t)sqlite3_column_int64(st, 1);

		/* 1970-01-01 was a Thursday (4, with Sunday 0). */
		w = (int)((floor_div(t, 86400) + 4) % 7);
		if (w < 0)
			w += 7;
		h = (int)((t - floor_div(t, 86400) * 86400) / 3600);
		cells[w][h] += hits;
		total += hits;
	}
	err = step_error(a, st, rc);
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
	struct lat_summary lat;
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
	lat_init(&nv->lat);
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

static int q_latency(struct analytics *a, const struct qargs *q, struct json_object *out)
{
	sqlite3_stmt *st = stmt(a, ST_Q_LATENCY);
	struct json_object *routes = json_object_new_array(), *cur = NULL, *cur_versions = NULL;
	struct version_acc *vers = NULL;
	struct lat_summary route_lat, s;
	char *cur_name = NULL;
	int64_t route_hits = 0;
	size_t nv = 0, i;
	int rc = SQLITE_DONE, err = 0;

	json_object_object_add(out, "routes", routes);
	json_object_object_add(out, "bucket_error", jnum(ANALYTICS_QUANTILE_ERROR));
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, q->since_day);
	bind_opt(st, 2, q->route_id);
	lat_init(&route_lat);
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
			lat_init(&route_lat);
			route_hits = 0;
		}
		lat_from_row(&s, st, 3);
		lat_merge(&route_lat, &s);
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
		lat_merge(&va->lat, &s);
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
		err = step_error(a, st, rc);
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

static int q_status(struct analytics *a, const struct qargs *q, struct json_object *out)
{
	sqlite3_stmt *st = stmt(a, ST_Q_STATUS);
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
	bind_opt(st, 2, q->route_id);
	bind_opt(st, 3, q->version_id);
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
	err = step_error(a, st, rc);
	json_object_object_add(out, "routes", objects_to_array(routes, "route"));
	json_object_object_add(out, "versions", objects_to_array(versions, "version"));
	json_object_object_add(out, "statuses", all);
	json_object_object_add(out, "classes", classes);
	json_object_put(routes);
	json_object_put(versions);
	return err;
}

static int q_clients(struct analytics *a, const struct qargs *q, struct json_object *out)
{
	sqlite3_stmt *st = stmt(a, ST_Q_CLIENTS);
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
	return step_error(a, st, rc);
}

static int q_outliers(struct analytics *a, const struct qargs *q, struct json_object *out)
{
	sqlite3_stmt *st = stmt(a, ST_Q_OUTLIERS);
	struct json_object *arr = json_object_new_array(), *rule = json_object_new_object();
	int rc = SQLITE_DONE;

	json_object_object_add(rule, "factor", jnum(ANALYTICS_OUTLIER_FACTOR));
	json_object_object_add(rule, "floor_s", jnum(ANALYTICS_OUTLIER_FLOOR_S));
	json_object_object_add(rule, "min_samples", jint(ANALYTICS_OUTLIER_MIN_SAMPLES));
	json_object_object_add(rule, "window", jint(ANALYTICS_OUTLIER_WINDOW));
	json_object_object_add(out, "rule", rule);
	json_object_object_add(out, "outliers", arr);
	if (!st)
		return -EIO;
	if (q->route_id < 0)
		return 0;
	bind_opt(st, 1, q->route_id);
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
	return step_error(a, st, rc);
}

static int q_versions(struct analytics *a, const struct qargs *q, struct json_object *out)
{
	sqlite3_stmt *st = stmt(a, ST_Q_VERSIONS);
	struct json_object *arr = json_object_new_array();
	int rc = SQLITE_DONE;

	json_object_object_add(out, "current", json_object_new_string(a->names.v[a->version - 1].text));
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
	return step_error(a, st, rc);
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

static const char *ban_source_name(uint32_t source)
{
	switch (source) {
	case BAN_SOURCE_CLI:
		return "cli";
	case BAN_SOURCE_DETECTOR:
		return "detector";
	case BAN_SOURCE_FILE:
		return "file";
	case BAN_SOURCE_FLEET:
		return "fleet";
	default:
		return "";
	}
}

static int q_bans(struct analytics *a, const struct qargs *q, struct json_object *out)
{
	struct bans_ctx c = { .now_ns = time__boot_ns() };
	struct json_object *arr = json_object_new_array(), *cnt;
	struct xdp_counters xc;
	char addr[PREFIX_STRLEN];
	size_t i;
	int err;

	json_object_object_add(out, "available", json_object_new_boolean(a->bm != NULL));
	json_object_object_add(out, "bans", arr);
	if (!a->bm)
		return 0;
	err = banmap__foreach_ban(a->bm, bans_one, &c);
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
		json_object_object_add(o, "source", json_object_new_string(ban_source_name(b->source)));
		json_object_object_add(o, "offences", jint(b->offences));
		json_object_array_add(arr, o);
	}
	json_object_object_add(out, "live", jint((int64_t)c.live));
	json_object_object_add(out, "truncated", json_object_new_boolean(c.truncated));
	free(c.v);
	if (!banmap__counters(a->bm, &xc)) {
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
	int (*fn)(struct analytics *a, const struct qargs *q, struct json_object *out);
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

/* The id of name (kind), or -1 when it was never stored. */
static int64_t lookup_name(struct analytics *a, uint32_t kind, const char *name)
{
	sqlite3_stmt *st = stmt(a, ST_NAME_ID);
	int64_t id = -1;

	if (!st)
		return -1;
	sqlite3_bind_int(st, 1, (int)kind);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return id;
}

static int parse_args(struct analytics *a, const struct endpoint *ep, analytics_arg_fn arg,
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
	if ((q->route && strlen(q->route) > ANALYTICS_MAX_NAME_LEN) ||
	    (q->version && strlen(q->version) > ANALYTICS_MAX_NAME_LEN)) {
		snprintf(err, errlen, "route and version are at most %d bytes",
			 ANALYTICS_MAX_NAME_LEN);
		return -EINVAL;
	}
	if (q->route)
		q->route_id = lookup_name(a, NAME_ROUTE, q->route);
	if (q->version)
		q->version_id = lookup_name(a, NAME_VERSION, q->version);
	q->now = (int64_t)now;
	q->end_day = day_of(q->now) + 86400;
	q->since_day = q->end_day - (int64_t)q->days * 86400;
	q->end_hour = hour_of(q->now) + 3600;
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

int analytics__api(struct analytics *a, const char *path, analytics_arg_fn arg, void *argctx,
		   time_t now, char **json, size_t *len)
{
	const struct endpoint *ep = NULL;
	struct json_object *out;
	struct qargs q;
	char msg[160];
	size_t i;
	int err;

	*json = NULL;
	*len = 0;
	a->stats.queries++;
	for (i = 0; i < sizeof(endpoints) / sizeof(endpoints[0]); i++)
		if (path && !strcmp(path, endpoints[i].path))
			ep = &endpoints[i];
	if (!ep)
		return api_error(-ENOENT, "no such endpoint", json, len);
	err = parse_args(a, ep, arg, argctx, now, &q, msg, sizeof(msg));
	if (err)
		return api_error(err, msg, json, len);
	/* What was recorded so far is part of the answer. */
	analytics__flush(a, now);

	out = json_object_new_object();
	json_object_object_add(out, "now", jint(q.now));
	json_object_object_add(out, "range_days", json_object_new_int(q.days));
	json_object_object_add(out, "since", jint(q.since_day));
	err = ep->fn(a, &q, out);
	if (!err)
		err = serialize(out, json, len);
	json_object_put(out);
	if (err == -EIO)
		return api_error(err, "database error", json, len);
	return err;
}

/* ---- HTTP ---- */

static const char *req_arg(void *ctx, const char *name)
{
	return http__query_arg(ctx, name);
}

static void api_handler(const struct http_request *req, struct http_reply *out, void *ctx)
{
	struct analytics *a = ctx;
	char *body;
	size_t len;
	int err = analytics__api(a, http__path(req), req_arg, (void *)req, time(NULL), &body, &len);

	out->status = !err ? 200 : err == -EINVAL ? 400 : err == -ENOENT ? 404 : 500;
	out->content_type = "application/json";
	out->body = body;
	out->len = len;
	out->cache_control = "no-store";
}

static void reply_copy(struct http_reply *out, int status, const char *type, const void *data,
		       size_t len, const char *cache)
{
	out->body = malloc(len ? len : 1);
	if (!out->body) {
		out->status = 503;
		out->content_type = "text/plain; charset=utf-8";
		out->len = 0;
		return;
	}
	memcpy(out->body, data, len);
	out->status = status;
	out->content_type = type;
	out->len = len;
	out->cache_control = cache;
}

/*
 * The page runs its own scripts and styles and calls /api and /z/health:
 * nothing else, from nowhere else. The server's default policy
 * (default-src 'none') would block all of it.
 */
#define DASHBOARD_CSP                                                                      \
	"default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self';"      \
	" img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

static void page_handler(const struct http_request *req, struct http_reply *out, void *ctx)
{
	struct analytics *a = ctx;

	(void)req;
	if (!a->index_html) {
		reply_copy(out, 404, "text/plain; charset=utf-8", "no dashboard\n", 13, "no-store");
		return;
	}
	reply_copy(out, 200, "text/html; charset=utf-8", a->index_html, a->index_len, "no-cache");
	out->csp = DASHBOARD_CSP;
}

static void static_handler(const struct http_request *req, struct http_reply *out, void *ctx)
{
	const char *path = http__path(req), *name;
	size_t i;

	(void)ctx;
	name = path && !strncmp(path, "/static/", 8) ? path + 8 : "";
	for (i = 0; i < analytics_assets_count; i++) {
		const struct analytics_asset *f = &analytics_assets[i];

		if (!strcmp(name, f->name) && strcmp(name, "index.html")) {
			/* The page names each file with its content hash: it can be kept for good. */
			reply_copy(out, 200, f->content_type, f->data, f->len,
				   "public, max-age=31536000, immutable");
			return;
		}
	}
	reply_copy(out, 404, "text/plain; charset=utf-8", "not found\n", 10, "no-store");
}

/* The page with every "@@ASSETS_VERSION@@" replaced by the assets' hash. */
static int build_index(struct analytics *a)
{
	static const char mark[] = "@@ASSETS_VERSION@@";
	const struct analytics_asset *f = NULL;
	size_t i, vlen = strlen(analytics_assets_version), n = 0, marks = 0;
	const char *p, *src, *end;
	char *out;

	for (i = 0; i < analytics_assets_count; i++)
		if (!strcmp(analytics_assets[i].name, "index.html"))
			f = &analytics_assets[i];
	if (!f)
		return -ENOENT;
	src = (const char *)f->data;
	end = src + f->len;
	for (p = src; (p = memmem(p, end - p, mark, sizeof(mark) - 1)); p += sizeof(mark) - 1)
		marks++;
	out = malloc(f->len + marks * vlen + 1);
	if (!out)
		return -ENOMEM;
	for (p = src; p < end;) {
		const char *m = memmem(p, end - p, mark, sizeof(mark) - 1);
		size_t chunk = (m ? m : end) - p;

		memcpy(out + n, p, chunk);
		n += chunk;
		if (!m)
			break;
		memcpy(out + n, analytics_assets_version, vlen);
		n += vlen;
		p = m + sizeof(mark) - 1;
	}
	out[n] = '\0';
	free(a->index_html);
	a->index_html = out;
	a->index_len = n;
	return 0;
}

int analytics__register(struct http_server *s, struct analytics *a)
{
	int err;

	if (!s || !a)
		return -EINVAL;
	err = build_index(a);
	if (err)
		return err;
	err = http__route(s, "/api/", true, api_handler, a);
	if (!err)
		err = http__route(s, "/", false, page_handler, a);
	if (!err)
		err = http__route(s, "/static/", true, static_handler, a);
	return err;
}
