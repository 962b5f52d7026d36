/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* app_analytics.h - the agent's analytics part: one history per app, fed by its lines, flushed on a timer, served per app. */
#ifndef WARDEN_APP_ANALYTICS_H
#define WARDEN_APP_ANALYTICS_H

#include <stdbool.h>
#include <stdint.h>

struct analytics;
struct app_analytics;
struct banmap;
struct http_server;
struct line_event;
struct loop;
struct warden_config;
struct warden_metrics;

/*
 * Each app the agent judges (warden run's one app; warden watch's app 0,
 * the logs no [app NAME] claims, and one per section) has its own history:
 * app 0 in STATE_DIR/warden.db, app NAME in STATE_DIR/apps/NAME/warden.db
 * (bounded by the apps: CONFIG_MAX_APPS + 1). The API answers for the app
 * its app= argument names (none: app 0), /api/apps lists them, the
 * dashboard has a selector; /metrics counts each app's records with an
 * app="NAME" label.
 *
 * line_time: a request counts at its log line's own time when it has one
 * (warden watch: a backfilled log lands on the days it was written), else
 * at the time it is read (warden run).
 */
struct app_analytics *app_analytics__new(struct loop *loop, const struct warden_config *cfg,
					 bool line_time);
/* Flush and close every app's history. Close the HTTP server first. Accepts NULL. */
void app_analytics__free(struct app_analytics *aa);

/*
 * Open app's history (app: the agent's index; name "" for app 0). A
 * failure is said at warn level and the app goes without. 0 or -errno.
 */
int app_analytics__add(struct app_analytics *aa, int app, const char *name);

/*
 * One line of app after its jail (not-access lines are ignored); now_ns:
 * CLOCK_BOOTTIME when it was read. O(1): its roll-ups and top-k counted in
 * memory, or, while latencies are paired, a slot of the pairing ring.
 */
void app_analytics__line(struct app_analytics *aa, int app, const struct line_event *ev,
			 uint64_t now_ns);

/*
 * From now on app's lines wait for their latency, measured apart by the
 * request watcher (analytics__record_pending), or not. aa may be NULL.
 */
void app_analytics__pair_latencies(struct app_analytics *aa, int app, bool on);

/* app's history, NULL if it has none (or aa is NULL). */
struct analytics *app_analytics__get(const struct app_analytics *aa, int app);

/* /api/bans reads bm (borrowed; NULL: no bans, dry-run). */
void app_analytics__set_banmap(struct app_analytics *aa, struct banmap *bm);

/* The API and the dashboard on s (see dashboard.h). 0 or -errno. */
int app_analytics__serve(struct app_analytics *aa, struct http_server *s);

/* The per-app counters into m (before a scrape). */
void app_analytics__fill_metrics(struct app_analytics *aa, struct warden_metrics *m);

#endif
