// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* rollup.c - requests summed in memory between two writes: per hour and route, per day and status, top clients, outliers. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "rollup.h"
#include "timeutil.h"

#define NB LATENCY_HIST_BUCKETS

_Static_assert(sizeof(struct rollup_route_key) % 8 == 0, "keys are hashed by words");
_Static_assert(sizeof(struct rollup_status_key) % 8 == 0, "keys are hashed by words");
_Static_assert(offsetof(struct rollup_clients, top) == 16, "the key of a client set is 16 bytes");

/* ---- a small open-addressing table of fixed-size entries, each starting with its key ---- */

struct ktab {
	size_t esize, ksize; /* entry size, key size (the key is the entry's first bytes) */
	size_t n, max;       /* entries, and the most allowed */
	size_t cap;          /* slots of index, a power of two */
	char *entries;       /* n entries, contiguous; pointers into it move on insert */
	uint32_t *index;     /* 0: empty, else entry number + 1 */
};

/* Keys are whole 8-byte words (checked where the tables are set up): compare them a word at a time. */
static bool key_equal(const void *x, const void *y, size_t len)
{
	uint64_t a, b;
	size_t i;

	for (i = 0; i < len; i += 8) {
		memcpy(&a, (const char *)x + i, 8);
		memcpy(&b, (const char *)y + i, 8);
		if (a != b)
			return false;
	}
	return true;
}

/* Keys are whole 8-byte words: hash them a word at a time. */
static uint64_t hash_key(const void *p, size_t len)
{
	uint64_t h = HASH_FNV_SEED, w;
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
	/* The index stays at most half full: the entries need room for cap / 2. */
	char *entries = realloc(t->entries, cap / 2 * t->esize);

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
			if (key_equal(e, key, t->ksize))
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
		if (key_equal(e, key, t->ksize))
			return e;
	}
	e = ktab_get(t, key, true);
	if (e)
		*hint = (uint32_t)((e - t->entries) / t->esize);
	return e;
}

/* Index the n entries again (after some were removed: the numbers changed). */
static void ktab_reindex(struct ktab *t)
{
	size_t i, j;

	if (!t->index)
		return;
	memset(t->index, 0, t->cap * sizeof(*t->index));
	for (i = 0; i < t->n; i++) {
		for (j = hash_key(t->entries + i * t->esize, t->ksize) & (t->cap - 1); t->index[j];
		     j = (j + 1) & (t->cap - 1))
			;
		t->index[j] = (uint32_t)(i + 1);
	}
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

/* A route's last latencies: the window filling now and the full one before it. */
struct recent {
	uint32_t cur[NB], prev[NB];
	uint32_t n_cur, n_prev;
};

struct name {
	char *text;
	uint32_t kind;         /* enum rollup_name_kind */
	struct recent *recent; /* routes with latencies: for outliers */
	uint32_t route_hint;   /* routes: ktab_get_hinted() hints of its roll-up, */
	uint32_t status_hint;  /* of its last status... */
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
	return hash__fnv1a(text, len, hash__fnv1a(&kind, sizeof(kind), HASH_FNV_SEED));
}

/* The number of name (kind, text), added if new. 0 when the table is full. */
static uint32_t names_intern(struct names *t, uint32_t kind, const char *text)
{
	size_t len = strnlen(text, ROLLUP_MAX_NAME_LEN);
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
	if (t->n >= ROLLUP_MAX_NAMES)
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

/* ---- the batch ---- */

/* The method classes: the standard methods, then "OTHER", then "-" (not HTTP). */
static const char *const method_classes[] = { "GET",     "HEAD",    "POST",    "PUT",
					      "DELETE",  "PATCH",   "OPTIONS", "CONNECT",
					      "TRACE",   "OTHER",   "-" };
#define METHOD_OTHER 9
#define METHOD_NONE 10
#define METHOD_CLASSES 11
_Static_assert(sizeof(method_classes) / sizeof(method_classes[0]) == METHOD_CLASSES, "classes");

#define ROUTE_CACHE 64 /* direct-mapped, by the route string's address (the top 6 bits of its hash) */

struct route_cache {
	const char *text; /* the caller's pointer (compared, never followed) */
	uint32_t id;
};

struct rollup {
	uint32_t version;          /* name number of the app's version now */
	struct names names;
	struct ktab routes;        /* struct rollup_route, by (hour, route, version) */
	struct ktab statuses;      /* struct rollup_status, by (day, route, version, method, status) */
	struct ktab clients;       /* struct rollup_clients, by (day, route) */
	struct rollup_outlier *outliers; /* ROLLUP_OUTLIERS_PENDING of them */
	uint32_t n_outliers;
	uint32_t all_clients_hint; /* ktab_get_hinted() hint of route 0's top-k */
	uint32_t method_ids[METHOD_CLASSES]; /* name number of each method class, 0: not yet */
	struct route_cache route_cache[ROUTE_CACHE];
	struct rollup_stats stats;
};

static void clients_clear(struct rollup *r)
{
	size_t i;

	for (i = 0; i < r->clients.n; i++)
		topk__free(&((struct rollup_clients *)ktab_at(&r->clients, i))->top);
	ktab_clear(&r->clients);
}

struct rollup *rollup__new(void)
{
	struct rollup *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->routes = (struct ktab){ .esize = sizeof(struct rollup_route),
				   .ksize = sizeof(struct rollup_route_key),
				   .max = ROLLUP_MAX_ROUTE_KEYS };
	r->statuses = (struct ktab){ .esize = sizeof(struct rollup_status),
				     .ksize = sizeof(struct rollup_status_key),
				     .max = ROLLUP_MAX_STATUS_KEYS };
	r->clients = (struct ktab){ .esize = sizeof(struct rollup_clients),
				    .ksize = offsetof(struct rollup_clients, top),
				    .max = ROLLUP_MAX_CLIENT_SETS };
	r->outliers = calloc(ROLLUP_OUTLIERS_PENDING, sizeof(*r->outliers));
	r->version = names_intern(&r->names, ROLLUP_VERSION, "unknown");
	if (!r->outliers || !r->version) {
		rollup__free(r);
		errno = ENOMEM;
		return NULL;
	}
	return r;
}

void rollup__free(struct rollup *r)
{
	if (!r)
		return;
	clients_clear(r);
	ktab_free(&r->routes);
	ktab_free(&r->statuses);
	ktab_free(&r->clients);
	names_free(&r->names);
	free(r->outliers);
	free(r);
}

void rollup__set_version(struct rollup *r, const char *version)
{
	uint32_t v = names_intern(&r->names, ROLLUP_VERSION, version && *version ? version : "unknown");

	if (v)
		r->version = v;
}

const char *rollup__version(const struct rollup *r)
{
	return r->names.v[r->version - 1].text;
}

uint32_t rollup__names(const struct rollup *r)
{
	return r->names.n;
}

const char *rollup__name(const struct rollup *r, uint32_t id, enum rollup_name_kind *kind)
{
	if (!id || id > r->names.n)
		return NULL;
	if (kind)
		*kind = r->names.v[id - 1].kind;
	return r->names.v[id - 1].text;
}

const struct rollup_route *rollup__routes(const struct rollup *r, size_t *n)
{
	*n = r->routes.n;
	return (const struct rollup_route *)r->routes.entries;
}

const struct rollup_status *rollup__statuses(const struct rollup *r, size_t *n)
{
	*n = r->statuses.n;
	return (const struct rollup_status *)r->statuses.entries;
}

const struct rollup_clients *rollup__clients(const struct rollup *r, size_t *n)
{
	*n = r->clients.n;
	return (const struct rollup_clients *)r->clients.entries;
}

const struct rollup_outlier *rollup__outliers(const struct rollup *r, size_t *n)
{
	*n = r->n_outliers;
	return r->outliers;
}

bool rollup__empty(const struct rollup *r)
{
	/* Client sets stay between writes: they have news only along with a request. */
	return !r->routes.n && !r->statuses.n && !r->n_outliers;
}

/* Keep the client sets of day and later, their settled slots marked as written. */
static void clients_keep_from(struct rollup *r, int64_t day)
{
	size_t i, kept = 0;
	uint32_t j;

	for (i = 0; i < r->clients.n; i++) {
		struct rollup_clients *cs = ktab_at(&r->clients, i);

		if (cs->day < day) {
			topk__free(&cs->top);
			continue;
		}
		for (j = 0; j < cs->top.n; j++)
			if (topk__settled(&cs->top, j))
				topk__written(&cs->top, j);
		if (kept != i)
			memcpy(ktab_at(&r->clients, kept), cs, r->clients.esize);
		kept++;
	}
	if (kept != r->clients.n) {
		r->clients.n = kept;
		ktab_reindex(&r->clients);
	}
}

void rollup__clear(struct rollup *r, int64_t keep_from_day)
{
	ktab_clear(&r->routes);
	ktab_clear(&r->statuses);
	clients_keep_from(r, keep_from_day);
	r->n_outliers = 0;
}

const struct rollup_stats *rollup__stats(const struct rollup *r)
{
	return &r->stats;
}

/* ---- recording: memory only ---- */

/* Methods outside the standard ones would let a client grow the names table. */
static int method_class(const char *m)
{
	int i;

	if (!m || !*m)
		return METHOD_NONE;
	for (i = 0; i < METHOD_OTHER; i++)
		if (!strcmp(m, method_classes[i]))
			return i;
	return METHOD_OTHER;
}

static void clients_add(struct rollup *r, int64_t day, uint32_t route, const struct prefix *c,
			int status, double lat, uint32_t *hint)
{
	struct rollup_clients k = { .day = day, .route = route };
	struct rollup_clients *cs = ktab_get_hinted(&r->clients, &k, hint);

	if (!cs || topk__add(&cs->top, c, status, lat))
		r->stats.dropped++;
}

/* Keep path printable: control bytes become '?'. */
static void copy_path(char *dst, const char *path, size_t len)
{
	size_t i;

	if (!path)
		len = 0;
	if (len > ROLLUP_OUTLIER_PATH_LEN)
		len = ROLLUP_OUTLIER_PATH_LEN;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)path[i];

		dst[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	dst[len] = '\0';
}

/* Compare lat with the route's recent latencies, then add it to them. */
static void outlier_check(struct rollup *a, uint32_t route, const char *method, int status,
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
	if (r->n_cur >= ROLLUP_OUTLIER_WINDOW) {
		/* The current window is full: it becomes the previous one. */
		memcpy(r->prev, r->cur, sizeof(r->prev));
		r->n_prev = r->n_cur;
		memset(r->cur, 0, sizeof(r->cur));
		r->n_cur = 0;
	}
	if (r->n_cur + r->n_prev >= ROLLUP_OUTLIER_MIN_SAMPLES) {
		double lo, p90, threshold;

		for (i = 0; i < NB; i++)
			merged[i] = (uint64_t)r->cur[i] + r->prev[i];
		/* The upper bound of p90's bucket: never below the true p90. */
		b = latency_hist__rank_bucket(merged, (uint64_t)r->n_cur + r->n_prev, 0.9);
		latency_hist__bucket_bounds(b, &lo, &p90);
		threshold = fmax(ROLLUP_OUTLIER_FACTOR * p90, ROLLUP_OUTLIER_FLOOR_S);
		if (lat > threshold) {
			a->stats.outliers++;
			if (a->n_outliers < ROLLUP_OUTLIERS_PENDING) {
				struct rollup_outlier *o = &a->outliers[a->n_outliers++];

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
	r->cur[latency_hist__bucket_of(lat)]++;
	r->n_cur++;
}

void rollup__add(struct rollup *a, uint32_t r, uint32_t m, int status,
		 const struct prefix *client, double latency_s, const char *path, size_t path_len,
		 int64_t t)
{
	struct name *rn = &a->names.v[r - 1];
	struct rollup_route_key rk;
	struct rollup_status_key sk;
	struct rollup_route *ra;
	struct rollup_status *sa;
	bool has_lat = latency_s >= 0 && isfinite(latency_s);

	memset(&rk, 0, sizeof(rk));
	rk.hour = time__hour_start(t);
	rk.route = r;
	rk.version = a->version;
	ra = ktab_get_hinted(&a->routes, &rk, &rn->route_hint);
	if (!ra) {
		a->stats.dropped++;
		return;
	}
	if (!ra->hits && !ra->lat.n)
		latency_hist__init(&ra->lat);
	ra->hits++;
	if (status >= 400 && status <= 499)
		ra->s4xx++;
	else if (status >= 500)
		ra->s5xx++;
	if (has_lat)
		latency_hist__add(&ra->lat, latency_s);

	memset(&sk, 0, sizeof(sk));
	sk.day = time__day_start(t);
	sk.route = r;
	sk.version = a->version;
	sk.method = m;
	sk.status = (uint32_t)status;
	sa = ktab_get_hinted(&a->statuses, &sk, &rn->status_hint);
	if (sa)
		sa->hits++;
	else
		a->stats.dropped++;

	if (client && client->family) {
		clients_add(a, sk.day, r, client, status, has_lat ? latency_s : -1, &rn->client_hint);
		clients_add(a, sk.day, 0, client, status, has_lat ? latency_s : -1, &a->all_clients_hint);
	}
	if (has_lat)
		outlier_check(a, r, a->names.v[m - 1].text, status, client, latency_s, path, path_len,
			      t);
}

/*
 * The name number of route. Lines name the same few rules again and again,
 * mostly by the same pointer (the routes' own string): a small cache by
 * pointer, checked against the text, spares hashing the name.
 */
static uint32_t intern_route(struct rollup *a, const char *route)
{
	struct route_cache *c = &a->route_cache[((uintptr_t)route * 0x9e3779b97f4a7c15ULL) >> 58];
	uint32_t id;

	if (c->text == route && c->id && !strcmp(a->names.v[c->id - 1].text, route))
		return c->id;
	id = names_intern(&a->names, ROLLUP_ROUTE, route);
	if (id && strlen(route) < ROLLUP_MAX_NAME_LEN) {
		c->text = route;
		c->id = id;
	}
	return id;
}

/* The name number of method's class, interned once per class. */
static uint32_t intern_method(struct rollup *a, const char *method)
{
	int c = method_class(method);

	if (!a->method_ids[c])
		a->method_ids[c] = names_intern(&a->names, ROLLUP_METHOD, method_classes[c]);
	return a->method_ids[c];
}

bool rollup__intern(struct rollup *a, const char *route, const char *method, uint32_t *r,
		    uint32_t *m)
{
	*r = intern_route(a, route && *route ? route : "unknown");
	*m = intern_method(a, method);
	if (*r && *m)
		return true;
	a->stats.dropped++;
	return false;
}
