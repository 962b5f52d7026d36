/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* analytics.h - per-route traffic figures: hourly roll-ups in memory, batched into SQLite, served as JSON. */
#ifndef WARDEN_ANALYTICS_H
#define WARDEN_ANALYTICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "addr.h"

/*
 * What is kept, and where (STATE_DIR/warden.db, SQLite, WAL):
 *
 *   hour_route  (hour, route, version): hits, 4xx, 5xx, latency count/sum/min/max
 *               and a latency histogram: the hourly roll-up, the primary record
 *   day_route   the same per UTC day (derived at each flush: queries over
 *               months read 24 times fewer rows)
 *   hour_total  hits per hour over all routes (the heatmap)
 *   day_status  (day, route, version, method, status): hits
 *   day_client  (day, route, client): hits, 4xx, latency, for the heaviest
 *               ANALYTICS_CLIENTS_KEEP clients per route and day; route 0 is
 *               all routes together
 *   outliers    the last ANALYTICS_OUTLIERS_KEEP slow requests
 *
 * Times are unix seconds, hours and days are UTC (a day starts at a
 * multiple of 86400). Everything older than the retention period is pruned.
 *
 * Latency histogram: bucket 0 holds [0, 100 us), bucket i (1..60) holds
 * [100 us * 1.25^(i-1), 100 us * 1.25^i), bucket 61 everything from 65.2 s.
 * A quantile (nearest rank: the ceil(q * n)-th smallest) is reported as the
 * geometric middle of its bucket, clamped to the exact min and max: within
 * ANALYTICS_QUANTILE_ERROR (11.8 %, sqrt(1.25) - 1) of the true value for
 * latencies from 100 us to 65 s. min and max are exact.
 *
 * Box plot: box from q1 (p25) to q3 (p75) with the median, whiskers from p5
 * to p95, and the exact min and max as single points beyond them.
 *
 * Outlier: a request slower than max(ANALYTICS_OUTLIER_FACTOR x p90 of its
 * route's recent requests, ANALYTICS_OUTLIER_FLOOR_S), judged only once the
 * route has ANALYTICS_OUTLIER_MIN_SAMPLES recent requests with a latency.
 * "Recent" is the route's last ANALYTICS_OUTLIER_WINDOW to twice as many
 * requests with a latency (two alternating windows of that many, kept in
 * memory only, so a quiet route is judged as well as a busy one); p90 is
 * taken as the upper bound of its bucket, never below the true p90.
 *
 * Heaviest clients: per route and day, a space-saving top-k of
 * ANALYTICS_CLIENTS_PER_FLUSH clients between two flushes, merged into
 * day_client, which keeps the top ANALYTICS_CLIENTS_KEEP per route and day
 * at each prune. Exact while a flush interval sees fewer clients than that;
 * beyond, a client making more than 1/ANALYTICS_CLIENTS_PER_FLUSH of the
 * interval's requests keeps its slot, and what is stored is what a client
 * did since it took its slot: counts may fall short, never exceed.
 *
 * Bounds: route, version and method names are interned (at most
 * ANALYTICS_MAX_NAMES, a name at most ANALYTICS_MAX_NAME_LEN bytes); methods
 * other than the standard ones are counted as "OTHER", the request line of
 * a non-HTTP request as "-". A record that does not fit the in-memory
 * bounds is dropped and counted in analytics_stats.dropped.
 *
 * One thread: every function is called from warden's event loop.
 */

#define ANALYTICS_DB_NAME "warden.db"
#define ANALYTICS_DEFAULT_RETENTION_NS (30ULL * 86400 * 1000000000ULL)

#define ANALYTICS_HIST_BUCKETS 62
#define ANALYTICS_HIST_MIN_S 1e-4 /* upper bound of bucket 0 */
#define ANALYTICS_HIST_STEP 1.25  /* ratio of a bucket's bounds */
#define ANALYTICS_QUANTILE_ERROR 0.118

#define ANALYTICS_OUTLIER_FACTOR 5.0
#define ANALYTICS_OUTLIER_FLOOR_S 0.1
#define ANALYTICS_OUTLIER_MIN_SAMPLES 20
#define ANALYTICS_OUTLIER_WINDOW 100 /* requests */
#define ANALYTICS_OUTLIERS_PENDING 256 /* waiting for the next flush */
#define ANALYTICS_OUTLIERS_KEEP 1000   /* in the database */
#define ANALYTICS_OUTLIER_PATH_LEN 512 /* longer paths are cut */

#define ANALYTICS_CLIENTS_PER_FLUSH 128
#define ANALYTICS_CLIENTS_KEEP 100

#define ANALYTICS_MAX_NAMES 4096
#define ANALYTICS_MAX_NAME_LEN 256
#define ANALYTICS_MAX_DAYS 366 /* the longest range a query takes */

struct analytics;
struct banmap;
struct http_server;

struct analytics_stats {
	uint64_t recorded;     /* analytics__record() calls */
	uint64_t dropped;      /* records (or parts of them) beyond the in-memory bounds */
	uint64_t outliers;     /* outliers detected */
	uint64_t flushes;      /* transactions committed */
	uint64_t flush_errors; /* flushes that failed (the batch is kept and retried) */
	uint64_t prunes;       /* retention passes */
	uint64_t queries;      /* analytics__api() calls */
	uint64_t paired;       /* lines given a measured latency */
	uint64_t unpaired;     /* lines recorded without one after the wait */
	uint64_t lost_latencies; /* latencies with no line to go with */
	uint64_t overflow_lines;     /* of unpaired: recorded early, ANALYTICS_PAIR_MAX were waiting */
	uint64_t overflow_latencies; /* of lost_latencies: dropped, ANALYTICS_PAIR_MAX were waiting */
};

/*
 * Open (creating it and state_dir if needed) STATE_DIR/warden.db.
 * retention_ns: roll-ups older than this are pruned (0: never). Prunes once.
 * NULL with errno set and a reason in err. The caller owns the result.
 */
struct analytics *analytics__open(const char *state_dir, uint64_t retention_ns, char *err,
				  size_t errlen);

/* Flush what is pending (a failure is logged) and free everything. Accepts NULL. */
void analytics__close(struct analytics *a);

/*
 * The app's version from now on (the git commit of the app at the child's
 * start), or NULL / "" for "unknown". Copied.
 */
void analytics__set_version(struct analytics *a, const char *version);

/*
 * One request: route is the matched rule, or NULL / "unknown"; method as
 * logged ("" when the line was not HTTP); status 100..599 (anything else
 * counts as 0); client may be NULL; latency_s < 0 when unknown; path
 * (path_len bytes, not NUL-terminated, may be NULL) is kept only if the
 * request is an outlier. when: unix seconds of the request. Only touches
 * memory. Nothing is borrowed past the call.
 */
void analytics__record(struct analytics *a, const char *route, const char *method, int status,
		       const struct prefix *client, double latency_s, const char *path,
		       size_t path_len, time_t when);

/*
 * Latency measured apart from the log line (warden's watcher): the line of
 * a request and its latency arrive separately, in either order (Werkzeug
 * logs just before its first write, gunicorn after its last).
 *
 * analytics__record_pending() takes a request whose latency is not known
 * yet with line_ns, when its line arrived; analytics__latency() takes one
 * measured latency with answered_ns, when the app answered (start_ns +
 * latency_ns of a struct watcher_request), and the request line the app
 * read (its line field: "GET /x?y=1 HTTP/1.1", maybe cut short; NULL or ""
 * when unknown). Both times are CLOCK_BOOTTIME ns. They pair, oldest first:
 *   - when the request line is known, with the line of the same method and
 *     path at most ANALYTICS_PAIR_MATCH_NS apart;
 *   - when it is not, with any line at most ANALYTICS_PAIR_WINDOW_NS apart.
 * A line left alone ANALYTICS_PAIR_MATCH_NS is recorded without a latency,
 * a latency left alone is dropped: a missed measurement costs one request
 * its latency and never shifts the pairs that follow. Feed every access line
 * through here while latencies are being measured (failures too: the app
 * answered them), through analytics__record() otherwise.
 *
 * analytics__pair_expire() settles what waited too long; each of these
 * calls and analytics__flush() run it.
 *
 * Memory and time: lines and latencies wait in two rings of
 * ANALYTICS_PAIR_MAX slots (600 KB and 100 KB, allocated on first
 * use); adding, pairing and expiring are O(1) but for the search of a
 * partner, which looks at the waiting entries of the other ring only. A
 * ring is full when ANALYTICS_PAIR_MAX slots lie between its oldest waiting
 * entry and its newest (slots of entries paired out of order are free again
 * once the oldest is gone). Then the oldest gives way: a line is recorded
 * at once without a latency (counted in unpaired and overflow_lines), a
 * latency is dropped (counted in lost_latencies and overflow_latencies).
 */
#define ANALYTICS_PAIR_WINDOW_NS (250ULL * 1000000ULL)
#define ANALYTICS_PAIR_MATCH_NS (2000ULL * 1000000ULL)
#define ANALYTICS_PAIR_MAX 1024 /* lines, and latencies, waiting at most */

void analytics__record_pending(struct analytics *a, const char *route, const char *method,
			       int status, const struct prefix *client, const char *path,
			       size_t path_len, time_t when, uint64_t line_ns);
void analytics__latency(struct analytics *a, uint64_t answered_ns, uint64_t latency_ns,
			const char *request_line);
void analytics__pair_expire(struct analytics *a, uint64_t now_ns);

/*
 * Write everything recorded since the last flush in one transaction, and
 * prune when the hour (of now, unix seconds) changed since the last prune.
 * Call it from a timer (every 10 s) and before closing. 0 or -errno (-EIO:
 * the database refused; the batch stays in memory for the next try).
 */
int analytics__flush(struct analytics *a, time_t now);

/* Remove what is older than the retention period at now, compact the client tables. 0 or -errno. */
int analytics__prune(struct analytics *a, time_t now);

/* Where /api/bans reads the bans (borrowed; NULL: none, e.g. dry-run). */
void analytics__set_banmap(struct analytics *a, struct banmap *bm);

const struct analytics_stats *analytics__stats(const struct analytics *a);

/* Where the query arguments of analytics__api() come from: the value of name, or NULL. */
typedef const char *(*analytics_arg_fn)(void *ctx, const char *name);

/*
 * Answer one /api request: path is "/api/routes", "/api/hits", ... (see
 * analytics__register); arg gives its query arguments (arg may be NULL: none).
 * now: unix seconds, the end of the ranges asked. Pending records are
 * flushed first. *json gets a malloc()ed NUL-terminated JSON document
 * (the caller frees it; an {"error": ...} object on errors) and *len its
 * length. Returns 0, -EINVAL (bad argument: HTTP 400), -ENOENT (unknown
 * endpoint: 404), -EIO (database: 500) or -ENOMEM (*json NULL then).
 */
int analytics__api(struct analytics *a, const char *path, analytics_arg_fn arg, void *argctx,
		   time_t now, char **json, size_t *len);

/*
 * Serve through s, all GET, JSON, "Cache-Control: no-store":
 *   /api/routes?days=30[&version=V]          per route: hits, 4xx, 5xx, p50/p90/p99
 *   /api/hits?days=30[&route=R][&version=V][&top=N]   per route per UTC day
 *   /api/heatmap?days=30[&tz=MIN][&route=R][&version=V]  hits by weekday x hour
 *   /api/latency?days=30[&route=R]           per route and per version: quantiles, box
 *   /api/status?days=30[&route=R][&version=V] statuses per route, per version
 *   /api/clients?days=30[&route=R][&limit=20]  the heaviest clients
 *   /api/outliers[?limit=100][&route=R]      the last slow requests
 *   /api/versions?days=30                    versions seen: first/last day, hits
 *   /api/bans[?limit=200]                    live bans, reasons, drops; XDP counters
 * and the dashboard, built into the binary:
 *   /                                         the page ("Cache-Control: no-cache")
 *   /static/NAME                              its scripts and styles (immutable: the
 *                                             page names them with a content hash)
 * a must outlive s (close the server first). 0 or -errno.
 */
int analytics__register(struct http_server *s, struct analytics *a);

/* The bounds of histogram bucket i in seconds (hi is INFINITY for the last). */
void analytics__bucket_bounds(int i, double *lo, double *hi);
/* The bucket of a latency in seconds. */
int analytics__bucket_of(double latency_s);

/* The dashboard's files, generated at build time into build/dashboard_assets.c. */
struct analytics_asset {
	const char *name;         /* "index.html", "app.js", "chart.min.js" */
	const char *content_type; /* "text/html; charset=utf-8", ... */
	const unsigned char *data;
	size_t len;
};
extern const struct analytics_asset analytics_assets[];
extern const size_t analytics_assets_count;
extern const char analytics_assets_version[]; /* a hash of all of them, for cache busting */

#endif
