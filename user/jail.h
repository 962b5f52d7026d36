/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* jail.h - from one log line to a ban: parse, match the route, count, decide, apply. */
#ifndef WARDEN_JAIL_H
#define WARDEN_JAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "logparse.h"
#include "f2bfilter.h"
#include "routes.h"

struct banmap;
struct warden_config;

/* What one line turned out to be. */
enum line_kind {
	LINE_NOT_ACCESS, /* not an access line: forwarded and counted, nothing else */
	LINE_REQUEST,    /* a request the app knows */
	LINE_FAILURE,    /* a failure of its client (unknown URL, method, status, not HTTP) */
	LINE_BAN,        /* a failure that caused a ban */
};

/* Why a request counted as a failure. */
enum failure_kind {
	FAIL_NONE,
	FAIL_UNKNOWN_URL, /* no route matches */
	FAIL_METHOD,      /* the route exists, the method is not allowed */
	FAIL_STATUS,      /* a status from --fail-status (401, 403, ...) */
	FAIL_NOT_HTTP,    /* the request line was not HTTP at all */
	FAIL_MALFORMED,   /* the server logged a request it could not make sense of
			     (over-long, unterminated): the client is known, the rest is not */
	FAIL_FILTER,      /* a failregex of the fail2ban filter matched: its <HOST> failed */
	FAIL__COUNT,
};

/* The app's two output streams, each with its own parser state. */
enum app_stream { STREAM_STDOUT, STREAM_STDERR };

/* Everything known about the last line, for metrics and analytics. */
struct line_event {
	enum line_kind kind;
	enum failure_kind failure;
	enum logparse_error parse_error; /* for LINE_NOT_ACCESS */
	struct access_line access;       /* valid unless LINE_NOT_ACCESS */
	enum route_verdict verdict;      /* valid unless LINE_NOT_ACCESS */
	const char *rule;                /* the matched rule, or NULL */
	enum f2b_result filter;          /* what the fail2ban filter said (F2B_MISS without one) */
	struct f2b_match match;          /* its regex, date template and host */
	bool app_served;                 /* unknown to the routes, but the app served it */
	const char *served_path;         /* then its rule-shaped path (owned by the jail),
					    or NULL once the table of them is full */
	bool forwarded;                  /* access.client came from the proxies' forwarded field */
	struct prefix peer;              /* then: the line's own client, the proxy */
	uint64_t now_ns;                 /* the jail's clock for this line (jail__line's now_ns) */
};

/* A URL shape that static learning missed and the app served (jail__served). */
#define JAIL_SERVED_MAX 64   /* shapes kept; more are only counted */
#define JAIL_SHAPE_LEN 128
struct jail_served {
	char path[JAIL_SHAPE_LEN]; /* routes__shape() of the first such request */
	char method[16];           /* the method and status of that first request */
	int status;
	uint64_t count;            /* requests of that shape since the jail started */
};

struct jail_stats {
	uint64_t lines;         /* every line seen */
	uint64_t access;        /* access lines parsed */
	uint64_t not_access;    /* other lines (app output, junk) */
	uint64_t truncated;     /* lines longer than the bound */
	uint64_t failures[FAIL__COUNT]; /* by enum failure_kind (index 0 unused) */
	uint64_t filter_ignored; /* failregex matches an ignoreregex dropped */
	uint64_t filter_names;   /* failregex matches of a host name, not an address */
	uint64_t filter_limit;   /* filter matches that ran into their backtracking limits */
	uint64_t bans;          /* bans decided */
	uint64_t bans_applied;  /* bans written into the maps */
	uint64_t bans_refused;  /* decided but refused (own address, allowlist) */
	uint64_t ban_errors;    /* the kernel refused to store them */
	uint64_t app_served;    /* unknown URL or method, but answered by the app (not 404/405):
				   static learning fell short, not the client */
	uint64_t app_served_other; /* of those, the ones past JAIL_SERVED_MAX shapes */
	uint64_t forwarded;     /* access lines whose client is a trusted proxy's forwarded address */
	uint64_t proxied;       /* access lines whose client is loopback or a trusted proxy */
};

struct jail;

/*
 * A jail for the settings of cfg (copied). With a fail2ban filter
 * (cfg->filter), a line its failregex matches is a failure of its <HOST>
 * (FAIL_FILTER), whatever warden's own verdict on it; its ignoreregex
 * drops only the filter's failures. routes may be NULL (no route
 * learned: only statuses and non-HTTP requests are failures); bm NULL means
 * dry-run: bans are decided and logged, never written. Both are borrowed.
 * NULL with errno set, a reason in err.
 */
struct jail *jail__new(const struct warden_config *cfg, const struct routes *routes,
		       struct banmap *bm, char *err, size_t errlen);
void jail__free(struct jail *j); /* accepts NULL */

/*
 * An extra ignore list the jail asks before counting a failure: addresses
 * that host names in ignoreip resolve to, which change at run time.
 */
typedef bool (*jail_ignored_fn)(void *ctx, const struct prefix *client);
void jail__set_ignored(struct jail *j, jail_ignored_fn fn, void *ctx);

/*
 * Told of every ban the jail wrote into the maps (expires_ns CLOCK_BOOTTIME,
 * 0 = permanent): how the agent passes them on (the fleet) without the jail
 * knowing who listens. NULL: nobody.
 */
typedef void (*jail_on_ban_fn)(void *ctx, const struct prefix *target, uint64_t expires_ns,
			       const char *reason);
void jail__set_on_ban(struct jail *j, jail_on_ban_fn fn, void *ctx);

/* The maps to write bans into, once they are open (borrowed; NULL: dry-run). */
void jail__set_banmap(struct jail *j, struct banmap *bm);

/* New routes after a restart of the app (borrowed; NULL allowed). */
void jail__set_routes(struct jail *j, const struct routes *routes);

/*
 * Handle one line (len bytes, no newline) of stream, read at now_ns
 * (CLOCK_BOOTTIME); truncated when the reader cut it at its bound. A ban
 * it decides is in the maps when this returns. ev may be NULL.
 */
enum line_kind jail__line(struct jail *j, enum app_stream stream, const char *line, size_t len,
			  bool truncated, uint64_t now_ns, struct line_event *ev);

const struct jail_stats *jail__stats(const struct jail *j);

/* The shapes of app-served unknown URLs, in the order first seen; *v owned by the jail. */
size_t jail__served(const struct jail *j, const struct jail_served **v);

/*
 * Time passes (call it from a slow timer): the one warning that names the
 * first URLs the app served but static learning missed goes out once they
 * have had a few seconds to gather.
 */
void jail__tick(struct jail *j, uint64_t now_ns);

/* Restore escalation state from the bans the detector made before a restart. */
int jail__restore(struct jail *j, uint64_t now_ns);

const char *failure_kind__name(enum failure_kind f);

#endif
