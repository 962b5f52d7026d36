/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* dashboard.h - the analytics over HTTP: the JSON API under /api/ and the dashboard page built into warden. */
#ifndef WARDEN_DASHBOARD_H
#define WARDEN_DASHBOARD_H

#include <stddef.h>

struct analytics_api;
struct dashboard;
struct http_server;

/*
 * Serve through s, all GET:
 *   /api/...       analytics_api__answer() (JSON, "Cache-Control: no-store";
 *                  400, 404, 500 as it says)
 *   /              the page ("Cache-Control: no-cache")
 *   /static/NAME   its scripts and styles (immutable: the page names them
 *                  with a content hash)
 * api is borrowed. NULL with errno set. Close s before dashboard__free():
 * its handlers hold the dashboard.
 */
struct dashboard *dashboard__open(struct http_server *s, struct analytics_api *api);
/* Accepts NULL. */
void dashboard__free(struct dashboard *d);

/* The dashboard's files, generated at build time into build/dashboard_assets.c. */
struct dashboard_asset {
	const char *name;         /* "index.html", "app.js", "chart.min.js" */
	const char *content_type; /* "text/html; charset=utf-8", ... */
	const unsigned char *data;
	size_t len;
};
extern const struct dashboard_asset dashboard_assets[];
extern const size_t dashboard_assets_count;
extern const char dashboard_assets_version[]; /* a hash of all of them, for cache busting */

#endif
