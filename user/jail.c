// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* jail.c - from one log line to a ban: parse, match the route, count, decide, apply. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banmap.h"
#include "config.h"
#include "detector.h"
#include "jail.h"
#include "log.h"
#include "realip.h"
#include "routecache.h"
#include "timeutil.h"

struct jail {
	struct logparser *parser[2]; /* one per stream: a parser keeps state across lines */
	struct f2b_filter *filter;   /* fail2ban's filter, or NULL */
	struct detector *detector;
	const struct routes *routes;
	struct banmap *bm; /* NULL: dry-run */
	int fail_status[32];
	int n_fail_status;
	struct jail_stats stats;
	jail_ignored_fn ignored; /* names of ignoreip, resolved at run time */
	void *ignored_ctx;
	struct jail_served served[JAIL_SERVED_MAX]; /* app-served unknown URLs, by shape */
	size_t nserved;
	uint64_t served_first_ns; /* when the first was seen (0: none yet) */
	bool served_warned;       /* the one warning about them went out */
	jail_on_ban_fn on_ban;   /* told of each ban applied (the fleet) */
	void *on_ban_ctx;
	struct prefix *trusted;  /* real_ip_from: proxies whose forwarded field is believed */
	int n_trusted;
	bool warned_proxied;     /* "nearly all clients are proxies" said */
	struct routecache verdicts; /* of routes: recent requests' verdicts */
};

/* The warning about app-served unknown URLs waits this long, or for this many shapes. */
#define SERVED_WARN_AFTER_NS (10 * NSEC_PER_SEC)
#define SERVED_WARN_SHAPES 5

/* After this many access lines, nearly all of them from proxies is worth a word. */
#define PROXIED_CHECK_LINES 100
#define PROXIED_SHARE 95 /* percent */

const char *failure_kind__name(enum failure_kind f)
{
	static const char *names[] = {
		[FAIL_NONE] = "none",         [FAIL_UNKNOWN_URL] = "unknown_url",
		[FAIL_METHOD] = "bad_method", [FAIL_STATUS] = "status",
		[FAIL_NOT_HTTP] = "not_http", [FAIL_MALFORMED] = "malformed",
		[FAIL_FILTER] = "filter",
	};

	return f < FAIL__COUNT ? names[f] : "?";
}

struct jail *jail__new(const struct warden_config *cfg, const struct routes *routes,
		       struct banmap *bm, char *err, size_t errlen)
{
	enum log_format format;
	struct jail *j;
	int i, ret;

	j = calloc(1, sizeof(*j));
	if (!j)
		return NULL;
	j->routes = routes;
	routecache__reset(&j->verdicts, routes);
	j->bm = bm;
	if (log_format__parse(cfg->log_format, &format)) {
		snprintf(err, errlen, "unknown log format '%s'", cfg->log_format);
		ret = -EINVAL;
		goto fail;
	}
	for (i = 0; i < 2; i++) {
		j->parser[i] = logparse__new(format, format == LOGFMT_REGEX ? cfg->log_regex : NULL,
					     err, errlen);
		if (!j->parser[i]) {
			ret = -errno;
			goto fail;
		}
	}
	if (cfg->filter[0]) {
		j->filter = f2bfilter__load(cfg->filter_dir, cfg->filter, err, errlen);
		if (!j->filter) {
			ret = -errno;
			goto fail;
		}
	}
	j->detector = detector__new(&cfg->jail);
	if (!j->detector) {
		ret = -errno;
		snprintf(err, errlen, "bad jail settings: %s", strerror(-ret));
		goto fail;
	}
	for (i = 0; i < cfg->n_ignore; i++) {
		ret = detector__ignore(j->detector, &cfg->ignore[i]);
		if (ret) {
			snprintf(err, errlen, "ignoreip: %s", strerror(-ret));
			goto fail;
		}
	}
	j->n_fail_status = cfg->n_fail_status;
	memcpy(j->fail_status, cfg->fail_status, sizeof(j->fail_status));
	if (cfg->real_ip_field[0] && cfg->n_real_ip_from) {
		j->trusted = calloc((size_t)cfg->n_real_ip_from, sizeof(*j->trusted));
		if (!j->trusted) {
			ret = -ENOMEM;
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		memcpy(j->trusted, cfg->real_ip_from, (size_t)cfg->n_real_ip_from * sizeof(*j->trusted));
		j->n_trusted = cfg->n_real_ip_from;
	}
	return j;
fail:
	jail__free(j);
	errno = -ret;
	return NULL;
}

void jail__free(struct jail *j)
{
	if (!j)
		return;
	logparse__free(j->parser[0]);
	logparse__free(j->parser[1]);
	f2bfilter__free(j->filter);
	detector__free(j->detector);
	free(j->trusted);
	free(j);
}

void jail__set_ignored(struct jail *j, jail_ignored_fn fn, void *ctx)
{
	j->ignored = fn;
	j->ignored_ctx = ctx;
}

void jail__set_on_ban(struct jail *j, jail_on_ban_fn fn, void *ctx)
{
	j->on_ban = fn;
	j->on_ban_ctx = ctx;
}

void jail__set_banmap(struct jail *j, struct banmap *bm)
{
	j->bm = bm;
}

void jail__set_routes(struct jail *j, const struct routes *routes)
{
	j->routes = routes;
	routecache__reset(&j->verdicts, routes);
}

const struct jail_stats *jail__stats(const struct jail *j)
{
	return &j->stats;
}

size_t jail__served(const struct jail *j, const struct jail_served **v)
{
	*v = j->served;
	return j->nserved;
}

/*
 * Whether the answer to a request warden found unknown (URL or method)
 * is the app's refusal rather than the app serving it: what Werkzeug's
 * routing answers (404, 405), what servers answer before any app sees
 * the request (400 unparsable, 414 and 431 too long, 501 unknown method),
 * and what a reverse proxy answers when the app could not (502, 503, 504):
 * none of these is the app saying the URL is its own.
 */
static bool refused_status(int status)
{
	return status == 404 || status == 405 || status == 400 || status == 414 || status == 431 ||
	       status == 501 || status == 502 || status == 503 || status == 504;
}

/* Count an app-served unknown URL under its shape; ev->served_path says which. */
static void note_served(struct jail *j, struct line_event *ev, uint64_t now_ns)
{
	char shape[JAIL_SHAPE_LEN];
	size_t i;

	j->stats.app_served++;
	if (!j->served_first_ns)
		j->served_first_ns = now_ns ? now_ns : 1;
	routes__shape(ev->access.path, ev->access.path_len, shape, sizeof(shape));
	for (i = 0; i < j->nserved; i++)
		if (!strcmp(j->served[i].path, shape))
			break;
	if (i == j->nserved) {
		if (i == JAIL_SERVED_MAX) {
			j->stats.app_served_other++;
			ev->served_path = NULL;
			return;
		}
		memcpy(j->served[i].path, shape, sizeof(shape));
		snprintf(j->served[i].method, sizeof(j->served[i].method), "%s", ev->access.method);
		j->served[i].status = ev->access.status;
		j->nserved++;
	}
	j->served[i].count++;
	ev->served_path = j->served[i].path;
}

void jail__tick(struct jail *j, uint64_t now_ns)
{
	char names[1024] = "";
	size_t i, o = 0;

	if (j->served_warned || !j->nserved ||
	    (j->nserved < SERVED_WARN_SHAPES && now_ns - j->served_first_ns < SERVED_WARN_AFTER_NS))
		return;
	j->served_warned = true;
	for (i = 0; i < j->nserved && i < SERVED_WARN_SHAPES && o < sizeof(names); i++)
		o += snprintf(names + o, sizeof(names) - o, "%s%s %s (%d)", i ? ", " : "",
			      j->served[i].method, j->served[i].path, j->served[i].status);
	pr_warn("the app served URLs that its routes, as learned, do not have: %s%s; they are not "
		"counted as failures (warden status and /metrics count them); "
		"give them in extra_routes, or try --routes-from flask",
		names, j->nserved > SERVED_WARN_SHAPES ? ", ..." : "");
}

static bool is_fail_status(const struct jail *j, int status)
{
	int i;

	for (i = 0; i < j->n_fail_status; i++)
		if (j->fail_status[i] == status)
			return true;
	return false;
}

/* Write a decided ban into the maps (or just say it, in dry-run). */
static void apply_ban(struct jail *j, const struct ban_decision *d, uint64_t now_ns)
{
	char target[PREFIX_STRLEN], dur[32], why[256];
	uint64_t expires;
	int err;

	prefix__format(&d->target, target, sizeof(target));
	if (d->permanent)
		snprintf(dur, sizeof(dur), "ever");
	else
		time__format_duration(d->duration_ns, dur, sizeof(dur));
	j->stats.bans++;

	if (!j->bm) {
		pr_info("dry-run: would ban %s for %s (offence %u): %s", target, dur, d->offences,
			d->reason);
		return;
	}
	/* The detector ignores these already; the maps' own allowlist may have grown since. */
	if (banmap__refusal(j->bm, &d->target, why, sizeof(why))) {
		j->stats.bans_refused++;
		detector__forget_ban(j->detector, &d->target);
		pr_info("not banning %s: %s", target, why);
		return;
	}
	expires = d->permanent ? 0 : now_ns + d->duration_ns;
	err = banmap__ban(j->bm, &d->target, expires, d->reason, BAN_SOURCE_DETECTOR, d->offences);
	if (err) {
		j->stats.ban_errors++;
		detector__forget_ban(j->detector, &d->target);
		pr_warn("cannot ban %s: %s", target, strerror(-err));
		return;
	}
	j->stats.bans_applied++;
	pr_info("banned %s for %s (offence %u): %s", target, dur, d->offences, d->reason);
	if (j->on_ban)
		j->on_ban(j->on_ban_ctx, &d->target, expires, d->reason);
}

/*
 * Behind a trusted proxy the client is in the field the proxy forwarded;
 * anyone else's line keeps its own client, whatever header it sent.
 */
static void real_client(struct jail *j, const char *line, size_t len, bool truncated,
			struct line_event *ev)
{
	const char *val;
	size_t vlen;
	struct prefix client;

	if (!j->n_trusted || truncated || len > LOGPARSE_MAX_LINE ||
	    !realip__trusted(j->trusted, j->n_trusted, &ev->access.client))
		return;
	if (!realip__last_field(line, len, &val, &vlen) ||
	    !realip__client(j->trusted, j->n_trusted, val, vlen, &client))
		return;
	ev->peer = ev->access.client;
	ev->access.client = client;
	ev->forwarded = true;
	j->stats.forwarded++;
}

/*
 * A reverse proxy on the same host that does not pass the client on makes
 * every client loopback, which is never banned: say so once, with the way out.
 */
static void check_proxied(struct jail *j, const struct prefix *client)
{
	if (prefix__is_loopback(client) || realip__trusted(j->trusted, j->n_trusted, client))
		j->stats.proxied++;
	if (j->warned_proxied || j->stats.access < PROXIED_CHECK_LINES ||
	    j->stats.proxied * 100 < j->stats.access * PROXIED_SHARE)
		return;
	j->warned_proxied = true;
	if (j->n_trusted)
		pr_warn("%llu of the %llu requests so far came from loopback or trusted proxies, "
			"which are never banned: is the forwarded address logged as the line's last "
			"quoted field (and are all proxies in --real-ip-from)?",
			(unsigned long long)j->stats.proxied, (unsigned long long)j->stats.access);
	else
		pr_warn("%llu of the %llu requests so far came from loopback, which is never "
			"banned: behind a reverse proxy, log X-Forwarded-For as the line's last quoted "
			"field and give --real-ip-from PROXIES --real-ip-field last (README: behind a "
			"reverse proxy)",
			(unsigned long long)j->stats.proxied, (unsigned long long)j->stats.access);
}

enum line_kind jail__line(struct jail *j, enum app_stream stream, const char *line, size_t len,
			  bool truncated, uint64_t now_ns, struct line_event *ev)
{
	struct line_event local;
	struct ban_decision decision;
	enum logparse_error perr;

	if (!ev)
		ev = &local;
	memset(ev, 0, sizeof(*ev));
	ev->now_ns = now_ns;
	j->stats.lines++;
	if (truncated)
		j->stats.truncated++;

	/* A line cut by the reader must not be read as whole: its end is someone else's. */
	perr = truncated ? logparse__line_truncated(j->parser[stream], line, len, &ev->access)
			 : logparse__line(j->parser[stream], line, len, &ev->access);
	ev->parse_error = perr;
	if (j->filter) {
		ev->filter = f2bfilter__match(j->filter, line, len, &ev->match);
		if (ev->filter == F2B_IGNORED)
			j->stats.filter_ignored++;
		else if (ev->filter == F2B_NAME)
			j->stats.filter_names++;
		else if (ev->filter == F2B_LIMIT)
			j->stats.filter_limit++;
	}
	if (ev->filter == F2B_FAIL) {
		/* The filter's host, next to whatever warden made of the line. */
		if (perr == LP_OK) {
			j->stats.access++;
		} else {
			j->stats.not_access++; /* an error log's line, say */
			ev->access.path = NULL;
		}
		ev->access.client = ev->match.host;
		ev->verdict = ROUTE_UNKNOWN;
		if (perr == LP_OK && ev->access.http && j->routes && routes__count(j->routes))
			ev->verdict = routecache__match(&j->verdicts, ev->access.method,
							ev->access.path, ev->access.path_len,
							&ev->rule);
		ev->failure = FAIL_FILTER;
		goto failure;
	}
	if (perr != LP_OK && !((perr == LP_TOO_LONG_UNPARSED || perr == LP_BAD_REQUEST) &&
			       ev->access.client.family)) {
		j->stats.not_access++;
		ev->kind = LINE_NOT_ACCESS;
		return ev->kind;
	}
	j->stats.access++;
	real_client(j, line, len, truncated, ev);
	check_proxied(j, &ev->access.client);

	/* Classify the request: a known route is the app's business, whatever it answered. */
	ev->verdict = ROUTE_UNKNOWN;
	if (perr != LP_OK) {
		/* The server logged a request of this client it could not make sense of. */
		ev->failure = FAIL_MALFORMED;
	} else if (!ev->access.http) {
		ev->failure = FAIL_NOT_HTTP;
	} else {
		if (j->routes && routes__count(j->routes)) {
			ev->verdict = routecache__match(&j->verdicts, ev->access.method,
							ev->access.path, ev->access.path_len,
							&ev->rule);
			/* The app's own answer overrules what was learned of it statically. */
			if ((ev->verdict == ROUTE_UNKNOWN || ev->verdict == ROUTE_METHOD) &&
			    !refused_status(ev->access.status)) {
				ev->app_served = true;
				note_served(j, ev, now_ns);
			} else if (ev->verdict == ROUTE_UNKNOWN) {
				ev->failure = FAIL_UNKNOWN_URL;
			} else if (ev->verdict == ROUTE_METHOD) {
				ev->failure = FAIL_METHOD;
			}
		}
		if (ev->failure == FAIL_NONE && is_fail_status(j, ev->access.status))
			ev->failure = FAIL_STATUS;
	}
	if (j->nserved && !j->served_warned)
		jail__tick(j, now_ns);
	if (ev->failure == FAIL_NONE) {
		ev->kind = LINE_REQUEST;
		return ev->kind;
	}

failure:
	j->stats.failures[ev->failure]++;
	ev->kind = LINE_FAILURE;
	if (j->ignored && j->ignored(j->ignored_ctx, &ev->access.client))
		return ev->kind;
	/* A trusted proxy is never banned itself: all its clients would be. */
	if (realip__trusted(j->trusted, j->n_trusted, &ev->access.client))
		return ev->kind;
	if (detector__failure(j->detector, &ev->access.client, ev->access.path,
			      ev->access.path ? ev->access.path_len : 0, now_ns, &decision) == 1) {
		apply_ban(j, &decision, now_ns);
		ev->kind = LINE_BAN;
	}
	return ev->kind;
}

struct restore_ctx {
	struct jail *j;
	uint64_t now;
	int restored;
};

static int restore_one(const struct ban_info *b, void *arg)
{
	struct restore_ctx *ctx = arg;

	/* Only the detector's own bans carry its escalation state. */
	if (b->source != BAN_SOURCE_DETECTOR || !b->offences || !ban_info__live(b, ctx->now))
		return 0;
	if (detector__restore_ban(ctx->j->detector, &b->target, b->offences, b->expires_ns,
				  b->expires_ns == 0) == 0)
		ctx->restored++;
	return 0;
}

int jail__restore(struct jail *j, uint64_t now_ns)
{
	struct restore_ctx ctx = { .j = j, .now = now_ns };
	int err;

	if (!j->bm)
		return 0;
	err = banmap__foreach_ban(j->bm, restore_one, &ctx);
	if (err < 0)
		return err;
	if (ctx.restored)
		pr_info("restored the offence counts of %d banned client%s", ctx.restored,
			ctx.restored == 1 ? "" : "s");
	return 0;
}
