/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* routecache.h - the verdicts of recent requests: a log repeats a few paths over and over. */
#ifndef WARDEN_ROUTECACHE_H
#define WARDEN_ROUTECACHE_H

#include <stddef.h>
#include <stdint.h>

#include "routes.h"

#define ROUTECACHE_SLOTS  512 /* a power of two; direct-mapped */
#define ROUTECACHE_PATH   64  /* longer paths are matched each time */
#define ROUTECACHE_METHOD 8   /* and so are longer methods */

/* One remembered request: method and raw path exactly as logged, and what the table said. */
struct routecache_slot {
	uint8_t used;
	uint8_t mlen, plen;
	uint8_t verdict;  /* enum route_verdict */
	const char *rule; /* owned by the routes table the cache belongs to */
	char method[ROUTECACHE_METHOD];
	char path[ROUTECACHE_PATH];
};

/*
 * routes__match() is a pure function of (table, method, path): a slot
 * holds its answer until another request takes the slot or the table
 * changes (routecache__reset). Fixed size, no allocation.
 */
struct routecache {
	const struct routes *routes; /* the table the verdicts are of */
	uint64_t hits, misses;
	struct routecache_slot slot[ROUTECACHE_SLOTS];
};

/* Forget every verdict: routes is the table from now on (NULL: none). */
void routecache__reset(struct routecache *c, const struct routes *routes);

/* routes__match(c->routes, ...) (same arguments, same result), from the cache when it can. */
enum route_verdict routecache__match(struct routecache *c, const char *method, const char *path,
				     size_t path_len, const char **rule);

#endif
