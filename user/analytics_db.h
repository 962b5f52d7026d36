/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* analytics_db.h - the analytics' SQLite store: schema, batched writes of roll-ups, retention, the queries. */
#ifndef WARDEN_ANALYTICS_DB_H
#define WARDEN_ANALYTICS_DB_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <sqlite3.h>

#include "rollup.h"

/*
 * Tables (SQLite, WAL; times in unix seconds, hours and days UTC):
 *   names       (id, kind, name): routes, versions, methods (enum rollup_name_kind)
 *   hour_route  (hour, route, version): hits, 4xx, 5xx, latency count/sum/min/max
 *               and histogram (latency_hist__encode): the primary record
 *   day_route   the same per UTC day (written with it: long ranges read 24
 *               times fewer rows)
 *   hour_total  hits per hour over all routes (the heatmap)
 *   day_status  (day, route, version, method, status): hits
 *   day_client  (day, route, client): hits, 4xx, latency, the heaviest
 *               ANALYTICS_DB_CLIENTS_KEEP per route and day after each
 *               prune; route 0 is all routes together
 *   outliers    the last ANALYTICS_DB_OUTLIERS_KEEP slow requests
 * SQL functions hist_merge(blob, ...) and the aggregate hist_sum(blob) add
 * encoded histograms. Everything older than the retention is pruned.
 */
#define ANALYTICS_DB_CLIENTS_KEEP 100
#define ANALYTICS_DB_OUTLIERS_KEEP 1000

struct analytics_db;

struct analytics_db_stats {
	uint64_t flushes;      /* batches committed */
	uint64_t flush_errors; /* batches refused (kept by the caller for the next try) */
	uint64_t prunes;       /* retention passes */
};

/*
 * Open (creating it) the database at path; retention_ns 0: keep
 * everything. NULL with errno set and the reason in err. The caller owns it.
 */
struct analytics_db *analytics_db__open(const char *path, uint64_t retention_ns, char *err,
					size_t errlen);
/* Accepts NULL. */
void analytics_db__close(struct analytics_db *db);

/*
 * Write the batch of r in one transaction (adding its new names first).
 * 0, or -EIO (the database refused: logged, at most every 30th time; nothing
 * of the batch was written, keep it for the next try).
 */
int analytics_db__write(struct analytics_db *db, const struct rollup *r);

/* Whether the hour of now differs from the last prune's. */
bool analytics_db__prune_due(const struct analytics_db *db, time_t now);
/* Remove what is older than the retention at now, keep the heaviest clients. 0 or -errno. */
int analytics_db__prune(struct analytics_db *db, time_t now);

/* The row id of name (kind), or -1 when it was never stored. */
int64_t analytics_db__name_id(struct analytics_db *db, enum rollup_name_kind kind,
			      const char *name);

/*
 * The read queries. Each is prepared once, handed out reset and unbound
 * (NULL, logged, if it does not prepare). Its parameters and columns are
 * those of its SQL in analytics_db.c; ?1 is always the first day (or hour)
 * of the range.
 */
enum analytics_query {
	AQ_ROUTES,      /* ?2 version: route, hits, s4xx, s5xx, latency (5 columns), last day */
	AQ_HITS,        /* ?2 route ?3 version ?4 end: route, day, hits */
	AQ_HEAT_TOTAL,  /* ?4 end: hour, hits */
	AQ_HEAT_ROUTE,  /* ?2 route ?3 version ?4 end: hour, hits */
	AQ_HEAT_FILTER, /* ?3 version ?4 end: hour, hits */
	AQ_LATENCY,     /* ?2 route: route, version, hits, latency (5 columns), first day, last day */
	AQ_STATUS,      /* ?2 route ?3 version: route, version, method, status, hits */
	AQ_CLIENTS,     /* ?2 route (0: all) ?3 limit: client, hits, s4xx, lat_n, lat_sum */
	AQ_OUTLIERS,    /* ?1 route ?2 limit: ts, route, method, status, client, path, latency, threshold */
	AQ_VERSIONS,    /* version, first day, last day, hits */
	AQ__COUNT,
};
sqlite3_stmt *analytics_db__query(struct analytics_db *db, enum analytics_query q);
/* After stepping a query to rc: reset it; 0 if rc is SQLITE_DONE, else -EIO (logged). */
int analytics_db__query_end(struct analytics_db *db, sqlite3_stmt *st, int rc);
/* Bind an optional row id: 0 is NULL (no filter), -1 (a name never stored) matches nothing. */
void analytics_db__bind_id(sqlite3_stmt *st, int i, int64_t id);

const char *analytics_db__path(const struct analytics_db *db);
const struct analytics_db_stats *analytics_db__stats(const struct analytics_db *db);

#endif
