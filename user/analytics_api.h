/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* analytics_api.h - the analytics as JSON: one answer per /api request, for one app chosen among several. */
#ifndef WARDEN_ANALYTICS_API_H
#define WARDEN_ANALYTICS_API_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct analytics;
struct analytics_api;
struct banmap;

#define ANALYTICS_API_MAX_APPS 64

/* An API over no app yet. NULL with errno set. The caller owns it. */
struct analytics_api *analytics_api__new(void);
/* Accepts NULL. */
void analytics_api__free(struct analytics_api *api);

/*
 * Serve a's figures as app name ("": the default app, the one asked when a
 * request names none). a is borrowed and must outlive api. 0, -EEXIST (the
 * name is taken), -E2BIG (ANALYTICS_API_MAX_APPS already) or -ENOMEM.
 */
int analytics_api__add_app(struct analytics_api *api, const char *name, struct analytics *a);

/* Where /api/bans reads the bans, through banmap's public interface (borrowed; NULL: none, e.g. dry-run). */
void analytics_api__set_banmap(struct analytics_api *api, struct banmap *bm);

/* Where the query arguments come from: the value of name, or NULL. */
typedef const char *(*analytics_arg_fn)(void *ctx, const char *name);

/*
 * Answer one request: path is one of
 *   /api/routes?days=30[&version=V]          per route: hits, 4xx, 5xx, p50/p90/p99
 *   /api/hits?days=30[&route=R][&version=V][&top=N]   per route per UTC day
 *   /api/heatmap?days=30[&tz=MIN][&route=R][&version=V]  hits by weekday x hour
 *   /api/latency?days=30[&route=R]           per route and per version: quantiles, box
 *   /api/status?days=30[&route=R][&version=V] statuses per route, per version
 *   /api/clients?days=30[&route=R][&limit=20]  the heaviest clients
 *   /api/outliers[?limit=100][&route=R]      the last slow requests
 *   /api/versions?days=30                    versions seen: first/last day, hits
 *   /api/bans[?limit=200]                    live bans, reasons, drops; XDP counters
 *   /api/apps                                the apps: name ("" for the default), default
 * Each but /api/apps takes app=NAME (none: the default app; an unknown one
 * is refused with -EINVAL); /api/bans shows the host's bans whichever app.
 * arg gives its query arguments (arg may be NULL: none). now: unix seconds,
 * the end of the ranges asked. What the app recorded so far is flushed
 * first. *json gets a malloc()ed NUL-terminated JSON document (the caller
 * frees it; an {"error": ...} object on errors) and *len its length.
 * Returns 0, -EINVAL (bad argument: HTTP 400), -ENOENT (unknown endpoint:
 * 404), -EIO (database: 500) or -ENOMEM (*json NULL then).
 */
int analytics_api__answer(struct analytics_api *api, const char *path, analytics_arg_fn arg,
			  void *argctx, time_t now, char **json, size_t *len);

/* analytics_api__answer() calls so far. */
uint64_t analytics_api__queries(const struct analytics_api *api);

#endif
