// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* analytics_db.c - the analytics' SQLite store: schema, batched writes of roll-ups, retention, the queries. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics_db.h"
#include "log.h"
#include "timeutil.h"

#define NB LATENCY_HIST_BUCKETS
#define SCHEMA_VERSION 1

/* SQL hist_merge(a, b, ...): the sum of encoded histograms (NULLs are empty). */
static void sql_hist_merge(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	uint64_t h[NB] = { 0 };
	unsigned char out[LATENCY_HIST_BLOB_MAX];
	int i;

	for (i = 0; i < argc; i++) {
		if (sqlite3_value_type(argv[i]) != SQLITE_BLOB)
			continue;
		latency_hist__decode_add(h, sqlite3_value_blob(argv[i]), sqlite3_value_bytes(argv[i]));
	}
	sqlite3_result_blob(ctx, out, (int)latency_hist__encode(h, out), SQLITE_TRANSIENT);
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
		latency_hist__decode_add(h, sqlite3_value_blob(argv[0]), sqlite3_value_bytes(argv[0]));
}

static void sql_hist_sum_final(sqlite3_context *ctx)
{
	uint64_t *h = sqlite3_aggregate_context(ctx, 0);
	unsigned char out[LATENCY_HIST_BLOB_MAX];

	if (!h) {
		sqlite3_result_null(ctx);
		return;
	}
	sqlite3_result_blob(ctx, out, (int)latency_hist__encode(h, out), SQLITE_TRANSIENT);
}

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
_Static_assert(ST__COUNT - ST_Q_ROUTES == AQ__COUNT, "the queries in the order of enum analytics_query");

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

struct analytics_db {
	sqlite3 *db;
	char *path;
	int64_t retention_s;     /* 0: keep everything */
	int64_t *name_ids;       /* row id of each rollup name (number - 1); 0 until written */
	uint32_t n_name_ids;
	int64_t min_day_written; /* earliest day written since the last compaction */
	int64_t last_prune_hour;
	sqlite3_stmt *stmts[ST__COUNT];
	struct analytics_db_stats stats;
};

/* The statement id, reset and ready to bind; NULL (logged) if it does not prepare. */
static sqlite3_stmt *stmt(struct analytics_db *a, enum stmt_id id)
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
static int run(struct analytics_db *a, sqlite3_stmt *st)
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

static int run_id(struct analytics_db *a, enum stmt_id id)
{
	return run(a, stmt(a, id));
}

void analytics_db__bind_id(sqlite3_stmt *st, int i, int64_t id)
{
	if (id != 0)
		sqlite3_bind_int64(st, i, id);
	else
		sqlite3_bind_null(st, i);
}

static int64_t meta_get(struct analytics_db *a, const char *key, int64_t def)
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

static int meta_set(struct analytics_db *a, const char *key, int64_t v)
{
	sqlite3_stmt *st = stmt(a, ST_META_SET);

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, v);
	return run(a, st);
}

/* ---- open and close ---- */

static int db_exec(struct analytics_db *a, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(a->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", a->path, msg ? msg : sqlite3_errmsg(a->db));
		sqlite3_free(msg);
		return -EIO;
	}
	return 0;
}

static int db_setup(struct analytics_db *a, char *err, size_t errlen)
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
		snprintf(err, errlen, "%s: %s", a->path, sqlite3_errmsg(a->db));
		return -EIO;
	}
	if (version > SCHEMA_VERSION) {
		snprintf(err, errlen, "%s: schema version %d is newer than this warden's (%d)",
			 a->path, version, SCHEMA_VERSION);
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
		snprintf(err, errlen, "%s: %s", a->path, sqlite3_errmsg(a->db));
		return -EIO;
	}
	return 0;
}

static int64_t name_db_id(struct analytics_db *a, uint32_t n)
{
	return n && n <= a->n_name_ids ? a->name_ids[n - 1] : 0;
}

/* Give every name its row in names (its own transaction: rows there are never removed). */
static int resolve_names(struct analytics_db *a, const struct rollup *r)
{
	uint32_t i, n_names = rollup__names(r);
	bool begun = false;
	int err = 0;

	if (n_names > a->n_name_ids) {
		int64_t *ids = realloc(a->name_ids, n_names * sizeof(*ids));

		if (!ids)
			return -ENOMEM;
		memset(ids + a->n_name_ids, 0, (n_names - a->n_name_ids) * sizeof(*ids));
		a->name_ids = ids;
		a->n_name_ids = n_names;
	}
	for (i = 0; i < n_names && !err; i++) {
		enum rollup_name_kind kind;
		const char *text = rollup__name(r, i + 1, &kind);
		sqlite3_stmt *st;

		if (a->name_ids[i])
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
		sqlite3_bind_int(st, 1, (int)kind);
		sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
		err = run(a, st);
		if (err)
			break;
		st = stmt(a, ST_NAME_ID);
		if (!st) {
			err = -EIO;
			break;
		}
		sqlite3_bind_int(st, 1, (int)kind);
		sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			a->name_ids[i] = sqlite3_column_int64(st, 0);
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
		memset(a->name_ids, 0, a->n_name_ids * sizeof(*a->name_ids));
	}
	return err;
}

static int write_rollup(struct analytics_db *a, enum stmt_id id, int64_t when,
			const struct rollup_route *e)
{
	sqlite3_stmt *st = stmt(a, id);
	unsigned char blob[LATENCY_HIST_BLOB_MAX];
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
		blen = latency_hist__encode(e->lat.buckets, blob);
		sqlite3_bind_blob(st, 11, blob, (int)blen, SQLITE_STATIC);
	}
	return run(a, st);
}

static int write_batch(struct analytics_db *a, const struct rollup *r)
{
	size_t n_routes, n_statuses, n_clients, n_outliers;
	const struct rollup_route *routes = rollup__routes(r, &n_routes);
	const struct rollup_status *statuses = rollup__statuses(r, &n_statuses);
	const struct rollup_clients *clients = rollup__clients(r, &n_clients);
	const struct rollup_outlier *outliers = rollup__outliers(r, &n_outliers);
	char addr[PREFIX_STRLEN];
	sqlite3_stmt *st;
	size_t i;
	uint32_t j;
	int err;

	for (i = 0; i < n_routes; i++) {
		const struct rollup_route *e = &routes[i];

		err = write_rollup(a, ST_HOUR_ROUTE, e->k.hour, e);
		if (!err)
			err = write_rollup(a, ST_DAY_ROUTE, time__day_start(e->k.hour), e);
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
	for (i = 0; i < n_statuses; i++) {
		const struct rollup_status *e = &statuses[i];

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
	for (i = 0; i < n_clients; i++) {
		const struct rollup_clients *cs = &clients[i];

		for (j = 0; j < cs->top.n; j++) {
			const struct topk_slot *s = &cs->top.slots[j];

			/* What a settled client did since the last write (rollup.h). */
			if (!topk__settled(&cs->top, j) || s->hits == s->written_hits)
				continue;
			st = stmt(a, ST_DAY_CLIENT);
			if (!st)
				return -EIO;
			prefix__format(&s->addr, addr, sizeof(addr));
			sqlite3_bind_int64(st, 1, cs->day);
			sqlite3_bind_int64(st, 2, name_db_id(a, cs->route)); /* 0: all routes */
			sqlite3_bind_text(st, 3, addr, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 4, (int64_t)(s->hits - s->written_hits));
			sqlite3_bind_int64(st, 5, (int64_t)(s->s4xx - s->written_s4xx));
			sqlite3_bind_int64(st, 6, (int64_t)(s->lat_n - s->written_lat_n));
			sqlite3_bind_double(st, 7, s->lat_sum - s->written_lat_sum);
			err = run(a, st);
			if (err)
				return err;
		}
	}
	for (i = 0; i < n_outliers; i++) {
		const struct rollup_outlier *o = &outliers[i];

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
	if (n_outliers) {
		st = stmt(a, ST_OUTLIER_TRIM);
		if (!st)
			return -EIO;
		sqlite3_bind_int64(st, 1, ANALYTICS_DB_OUTLIERS_KEEP);
		err = run(a, st);
		if (err)
			return err;
	}
	/* Compaction looks at the days written since the last time. */
	for (i = 0; i < n_routes; i++)
		if (time__day_start(routes[i].k.hour) < a->min_day_written)
			a->min_day_written = time__day_start(routes[i].k.hour);
	return 0;
}

int analytics_db__write(struct analytics_db *a, const struct rollup *r)
{
	int64_t min_day = a->min_day_written;
	int err;

	if (rollup__empty(r))
		return 0;
	err = resolve_names(a, r);
	if (!err)
		err = run_id(a, ST_BEGIN);
	if (!err) {
		err = write_batch(a, r);
		if (!err)
			err = run_id(a, ST_COMMIT);
		if (err) {
			run_id(a, ST_ROLLBACK);
			a->min_day_written = min_day;
		}
	}
	if (err) {
		if (a->stats.flush_errors++ % 30 == 0)
			pr_warn("analytics: cannot write to %s: %s", a->path, sqlite3_errmsg(a->db));
		return -EIO;
	}
	a->stats.flushes++;
	return 0;
}

bool analytics_db__prune_due(const struct analytics_db *a, time_t now)
{
	return time__hour_start((int64_t)now) != a->last_prune_hour;
}

int analytics_db__prune(struct analytics_db *a, time_t now)
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
				sqlite3_bind_int64(st, 1, time__hour_start(cut));
			err = run(a, st);
		}
		for (i = 0; i < sizeof(daily) / sizeof(daily[0]) && !err; i++) {
			st = stmt(a, daily[i]);
			if (st)
				sqlite3_bind_int64(st, 1, time__day_start(cut));
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
	if (a->min_day_written < from)
		from = a->min_day_written;
	if (!err) {
		st = stmt(a, ST_COMPACT_CLIENTS);
		if (st) {
			sqlite3_bind_int64(st, 1, from);
			sqlite3_bind_int64(st, 2, ANALYTICS_DB_CLIENTS_KEEP);
		}
		err = run(a, st);
	}
	if (!err)
		err = meta_set(a, "clients_compacted_from", time__day_start(t));
	if (!err)
		err = run_id(a, ST_COMMIT);
	if (err) {
		run_id(a, ST_ROLLBACK);
		return err;
	}
	a->min_day_written = INT64_MAX;
	a->last_prune_hour = time__hour_start(t);
	a->stats.prunes++;
	sqlite3_exec(a->db, "PRAGMA incremental_vacuum", NULL, NULL, NULL);
	return 0;
}


struct analytics_db *analytics_db__open(const char *path, uint64_t retention_ns, char *err,
					size_t errlen)
{
	struct analytics_db *a = calloc(1, sizeof(*a));
	int rc;

	if (!a || !(a->path = strdup(path))) {
		free(a);
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	a->retention_s = (int64_t)(retention_ns / NSEC_PER_SEC);
	a->min_day_written = INT64_MAX;
	a->last_prune_hour = INT64_MIN;
	if (sqlite3_open_v2(a->path, &a->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", a->path,
			 a->db ? sqlite3_errmsg(a->db) : "cannot open");
		rc = -EIO;
		goto fail;
	}
	rc = db_setup(a, err, errlen);
	if (rc)
		goto fail;
	analytics_db__prune(a, time(NULL));
	return a;
fail:
	analytics_db__close(a);
	errno = -rc;
	return NULL;
}

void analytics_db__close(struct analytics_db *a)
{
	int i;

	if (!a)
		return;
	if (a->db) {
		for (i = 0; i < ST__COUNT; i++)
			sqlite3_finalize(a->stmts[i]);
		sqlite3_exec(a->db, "PRAGMA optimize", NULL, NULL, NULL);
		sqlite3_close(a->db);
	}
	free(a->name_ids);
	free(a->path);
	free(a);
}

int64_t analytics_db__name_id(struct analytics_db *a, enum rollup_name_kind kind, const char *name)
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

sqlite3_stmt *analytics_db__query(struct analytics_db *a, enum analytics_query q)
{
	return q < AQ__COUNT ? stmt(a, (enum stmt_id)(ST_Q_ROUTES + q)) : NULL;
}

int analytics_db__query_end(struct analytics_db *a, sqlite3_stmt *st, int rc)
{
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return 0;
	pr_warn("analytics: query failed: %s", sqlite3_errmsg(a->db));
	return -EIO;
}

const char *analytics_db__path(const struct analytics_db *a)
{
	return a->path;
}

const struct analytics_db_stats *analytics_db__stats(const struct analytics_db *a)
{
	return &a->stats;
}
