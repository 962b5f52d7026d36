/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* analytics.h - per-route traffic figures: hourly roll-ups in memory, batched into SQLite, served as JSON. */
#ifndef WARDEN_ANALYTICS_H
#define WARDEN_ANALYTICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "addr.h"
#include "analytics_db.h"

/*
 * One app's analytics: its requests summed in memory (rollup.h), written in
 * batches to SQLite at STATE_DIR/warden.db (analytics_db.h, where the tables
 * are described), served as JSON (analytics_api.h) and on the dashboard
 * (dashboard.h). Latencies measured apart from the log line (the request
 * watcher) are paired with their lines here.
 *
 * Latency histogram: see latency_hist.h; box plot: box from q1 (p25) to q3
 * (p75) with the median, whiskers from p5 to p95, and the exact min and max
 * as single points beyond them.
 *
 * Outlier: a request slower than max(ROLLUP_OUTLIER_FACTOR x p90 of its
 * route's recent requests, ROLLUP_OUTLIER_FLOOR_S), judged only once the
 * route has ROLLUP_OUTLIER_MIN_SAMPLES recent requests with a latency.
 * "Recent" is the route's last ROLLUP_OUTLIER_WINDOW to twice as many
 * requests with a latency (two alternating windows of that many, kept in
 * memory only, so a quiet route is judged as well as a busy one); p90 is
 * taken as the upper bound of its bucket, never below the true p90.
 *
 * Heaviest clients: per route and day, a top-k (topk.h) of TOPK_SLOTS
 * clients over the day, kept in memory until the day after; each flush adds
 * what its settled clients did since the last one to day_client, which
 * keeps the top ANALYTICS_DB_CLIENTS_KEEP per route and day at each prune.
 * Exact while a route sees fewer than TOPK_SLOTS clients in a day; beyond,
 * a client making more than 1/TOPK_SLOTS of the route's requests that day
 * is counted from when it took its slot: counts may fall short, never
 * exceed.
 *
 * Bounds: see rollup.h; a record beyond them is dropped and counted in
 * analytics_stats.dropped.
 *
 * One thread: every function is called from warden's event loop.
 */

#define ANALYTICS_DB_NAME "warden.db"
#define ANALYTICS_DEFAULT_RETENTION_NS (30ULL * 86400 * 1000000000ULL)
#define ANALYTICS_MAX_DAYS 366 /* the longest range a query takes */

struct analytics;
struct analytics_db;

struct analytics_stats {
	uint64_t recorded;     /* analytics__record() calls */
	uint64_t dropped;      /* records (or parts of them) beyond the in-memory bounds */
	uint64_t outliers;     /* outliers detected */
	uint64_t flushes;      /* transactions committed */
	uint64_t flush_errors; /* flushes that failed (the batch is kept and retried) */
	uint64_t prunes;       /* retention passes */
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

const struct analytics_stats *analytics__stats(struct analytics *a);

/* For the queries: the store (borrowed), the version recorded now ("unknown" if none). */
struct analytics_db *analytics__db(const struct analytics *a);
const char *analytics__version(const struct analytics *a);

#endif
