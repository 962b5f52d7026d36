/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* fleet.h - the fleet link: this host's bans out to Redis, the fleet's bans into the maps. */
#ifndef WARDEN_FLEET_H
#define WARDEN_FLEET_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "fleet_msg.h"

/*
 * One more part on the agent's loop, in warden run and warden watch alike:
 * two hiredis async connections driven by the loop (no thread), one for
 * writes (the publish script, pipelined) and one that waits in XREAD BLOCK
 * on the change stream.
 *
 * At connect: the "load" call either says the stream still holds the last
 * entry applied (read on from there) or gives the live set with the stream
 * id it matches (a first start, or a gap after trimming): the live bans are
 * applied; at the agent's start, fleet bans in the maps that are no longer
 * live are lifted (after a gap in a running agent they are left to expire).
 *
 * Redis down: local bans are queued (bounded, the oldest dropped and
 * counted) and published on reconnect; reconnect with a doubling backoff
 * (100 ms to 2 s, +-25 %). A message is applied once: the stream id only moves
 * forward, and an unban never lifts a ban made after it was decided.
 */

struct banmap;
struct loop;
struct warden_config;
struct warden_metrics;

struct fleet;

/* What /z/health, /metrics and warden status show. */
struct fleet_stats {
	bool connected;            /* both connections up and the live set loaded */
	uint64_t connects;         /* successful (re)connections */
	uint64_t published;        /* bans and unbans this host put in the stream */
	uint64_t received;         /* entries from other hosts read from the stream */
	uint64_t applied;          /* of which written into the maps */
	uint64_t refused[FLEET_REFUSE__COUNT];
	uint64_t loaded;           /* live bans applied by the last load */
	uint64_t dropped;          /* local bans not published: the queue was full */
	uint64_t pending;          /* local bans waiting to be published */
	double last_lag_s;         /* decided -> applied here, of the last entry applied */
	char last_id[48];          /* the last stream entry applied */
	char last_error[160];      /* why the link is down ("" when up) */
};

/*
 * The link for cfg->fleet (bm may be NULL: dry-run, bans only logged).
 * Connects once the loop runs; never fails for Redis being down. NULL with
 * errno and a reason in err for a bad URL or password file.
 */
struct fleet *fleet__new(struct loop *loop, const struct warden_config *cfg, struct banmap *bm,
			 struct warden_metrics *m, char *err, size_t errlen);
void fleet__free(struct fleet *f); /* accepts NULL */
/* The maps to apply the fleet's bans to, once open (before the loop runs; NULL: dry-run). */
void fleet__set_banmap(struct fleet *f, struct banmap *bm); /* accepts f NULL */

/*
 * A ban this host decided and applied (expires_ns CLOCK_BOOTTIME, 0 =
 * permanent): queued for the fleet, published as soon as the link is up.
 */
void fleet__publish_ban(struct fleet *f, const struct prefix *target, uint64_t expires_ns,
			const char *reason);

const struct fleet_stats *fleet__stats(const struct fleet *f);
/* The link as warden status shows it: {"redis", "connected", "published", ...}; caller owns it. */
struct json_object *fleet__status_json(const struct fleet *f);
/* The URL without its password. */
const char *fleet__url(const struct fleet *f);

#endif
