/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* rollup.h - requests summed in memory between two writes: per hour and route, per day and status, top clients, outliers. */
#ifndef WARDEN_ROLLUP_H
#define WARDEN_ROLLUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "latency_hist.h"
#include "topk.h"

/*
 * What a batch holds (the store writes it, then it is cleared):
 *   routes    (hour, route, version): hits, 4xx, 5xx, latency histogram
 *   statuses  (day, route, version, method, status): hits
 *   clients   (day, route): the heaviest clients (topk.h); route 0 is all
 *             routes together. Unlike the rest, kept for the whole day
 *             (rollup__clear drops older days): the store adds what each
 *             settled slot counted since its last write (topk__settled,
 *             rollup__clients_written), so a day's top clients are judged
 *             over the day, and what is written stays bounded however many
 *             clients come and go
 *   outliers  slow requests (see analytics.h for the rule), at most
 *             ROLLUP_OUTLIERS_PENDING
 * Names (routes, versions, methods) are interned once and keep their
 * number for the rollup's life: at most ROLLUP_MAX_NAMES, each at most
 * ROLLUP_MAX_NAME_LEN bytes. Methods other than the standard ones count as
 * "OTHER", the request line of a non-HTTP request as "-". A record beyond
 * the bounds is dropped and counted in rollup_stats.dropped.
 *
 * Memory, whatever the number of clients (sizes on x86-64): at most
 * 16,384 route entries of 568 bytes (9.3 MB), 65,536 status entries of 32
 * (2.1 MB), 2,048 client sets of at most 13.9 KB (28.4 MB), 4,096 names
 * of at most 800 bytes with a route's outlier windows (3.2 MB), 256
 * outliers of 592 (0.15 MB), with the tables' indexes (0.7 MB): 44 MB if
 * every bound is reached. An app of R routes holds about 2 * (R + 1) client
 * sets (today's and yesterday's) and an hour or two of roll-ups.
 */
#define ROLLUP_MAX_NAMES 4096
#define ROLLUP_MAX_NAME_LEN 256
#define ROLLUP_MAX_ROUTE_KEYS 16384
#define ROLLUP_MAX_STATUS_KEYS 65536
#define ROLLUP_MAX_CLIENT_SETS 2048 /* (day, route) top-k sets: two days of 1,023 routes */

#define ROLLUP_OUTLIER_FACTOR 5.0
#define ROLLUP_OUTLIER_FLOOR_S 0.1
#define ROLLUP_OUTLIER_MIN_SAMPLES 20
#define ROLLUP_OUTLIER_WINDOW 100  /* requests */
#define ROLLUP_OUTLIERS_PENDING 256 /* waiting for the next write */
#define ROLLUP_OUTLIER_PATH_LEN 512 /* longer paths are cut */

/* The kinds of names; the numbers are stored (names.kind in the database). */
enum rollup_name_kind {
	ROLLUP_ROUTE = 1,
	ROLLUP_VERSION = 2,
	ROLLUP_METHOD = 3,
};

struct rollup_route_key {
	int64_t hour;
	uint32_t route, version; /* name numbers */
};

struct rollup_route {
	struct rollup_route_key k;
	uint64_t hits, s4xx, s5xx;
	struct latency_hist lat;
};

struct rollup_status_key {
	int64_t day;
	uint32_t route, version, method, status;
};

struct rollup_status {
	struct rollup_status_key k;
	uint64_t hits;
};

struct rollup_clients {
	int64_t day;
	uint32_t route; /* name number; 0: all routes together */
	uint32_t pad;
	struct topk top;
};

struct rollup_outlier {
	int64_t when;   /* unix seconds */
	uint32_t route; /* name number */
	int status;
	char method[16];
	struct prefix client; /* family 0: unknown */
	double latency, threshold;
	char path[ROLLUP_OUTLIER_PATH_LEN + 1];
};

struct rollup_stats {
	uint64_t dropped;  /* records (or parts of them) beyond the bounds */
	uint64_t outliers; /* outliers detected */
};

struct rollup;

/* An empty rollup, version "unknown". NULL with errno set. The caller owns it. */
struct rollup *rollup__new(void);
/* Accepts NULL. */
void rollup__free(struct rollup *r);

/* The version counted from now on (NULL or "": "unknown"). Kept if the names table is full. */
void rollup__set_version(struct rollup *r, const char *version);
/* The version counted now (borrowed until rollup__free). */
const char *rollup__version(const struct rollup *r);

/*
 * The name numbers of route (NULL or "": "unknown") and of method's class.
 * false (counted as dropped) when the names table is full.
 */
bool rollup__intern(struct rollup *r, const char *route, const char *method, uint32_t *route_id,
		    uint32_t *method_id);

/*
 * One request of route_id and method_id (rollup__intern): status 0 or
 * 100..599; client NULL or family 0 when unknown; latency_s < 0 when
 * unknown; path (path_len bytes) kept only for an outlier; when in unix
 * seconds. Memory only, nothing borrowed past the call.
 */
void rollup__add(struct rollup *r, uint32_t route_id, uint32_t method_id, int status,
		 const struct prefix *client, double latency_s, const char *path, size_t path_len,
		 int64_t when);

/* Names: numbers 1..rollup__names(); their text and kind (borrowed until rollup__free). */
uint32_t rollup__names(const struct rollup *r);
const char *rollup__name(const struct rollup *r, uint32_t id, enum rollup_name_kind *kind);

/* The batch, in no order (borrowed until the next rollup__add or rollup__clear). */
const struct rollup_route *rollup__routes(const struct rollup *r, size_t *n);
const struct rollup_status *rollup__statuses(const struct rollup *r, size_t *n);
const struct rollup_clients *rollup__clients(const struct rollup *r, size_t *n);
const struct rollup_outlier *rollup__outliers(const struct rollup *r, size_t *n);
bool rollup__empty(const struct rollup *r); /* nothing to write */
/*
 * The batch was written: empty it. Names and the outlier windows stay, and
 * the client sets of keep_from_day and later, their settled slots marked
 * as written.
 */
void rollup__clear(struct rollup *r, int64_t keep_from_day);

const struct rollup_stats *rollup__stats(const struct rollup *r);

#endif
