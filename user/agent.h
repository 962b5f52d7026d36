/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* agent.h - the engine that warden run and warden watch share: from lines to bans, and their upkeep. */
#ifndef WARDEN_AGENT_H
#define WARDEN_AGENT_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "health.h"
#include "jail.h"
#include "xdp_attach.h"

/*
 * The agent owns what both modes need and registers it on their loop:
 *   - the jail (user/jail.c) and the routes it judges by, learned again on
 *     demand (each start of the app, SIGHUP in watch);
 *   - enforcement: the pinned maps, the XDP attachments, who enforces;
 *   - the bans' upkeep: expired bans leave the maps, the snapshot for the
 *     next boot is written when they changed;
 *   - the analytics (app_analytics.h): each app's history, fed by its
 *     lines, with the JSON API and the dashboard;
 *   - the HTTP side: /z/health, /metrics, the dashboard (and whatever else
 *     a mode serves on the same server).
 * The agent judges lines for one or more apps, each with its own jail (its
 * settings) and routes: app 0 is made by agent__new() from the base
 * settings (warden run's app; in warden watch, the logs no app claims);
 * warden watch adds one per [app NAME] section.
 * Each line goes through agent__line(): the app's jail first, then warden's
 * metrics, the app's analytics, then every subscriber, in the order they subscribed. A mode is
 * the agent plus its source of lines: warden run = agent + the app's pipes
 * + the supervisor + the request watcher; warden watch = agent + the log
 * follower. A later part (the fleet link) is one more subscriber and one
 * more registration on the same loop, in both modes.
 */

struct agent;
struct banmap;
struct fleet;
struct http_server;
struct loop;
struct routes;
struct warden_metrics;

struct agent_opts {
	struct warden_config *cfg; /* borrowed, outlives the agent */
	enum xdp_loader loader;
	struct loop *loop;         /* borrowed: the agent registers its timers here */
	bool keep_state;           /* snapshots are read at start and written (STATE_DIR usable) */
};

/*
 * The jail first (a bad --log-regex is refused before anything is touched),
 * then the maps and attachments (see enforce__setup()). NULL with *status
 * the exit status to end with (EXIT_USAGE, EXIT_FAIL).
 */
struct agent *agent__new(const struct agent_opts *o, int *status);
/* Closes the HTTP server, writes the snapshot one last time; accepts NULL. */
void agent__free(struct agent *a);
/* Stop serving HTTP now (before freeing what a mode's handlers hold); agent__free() does it too. */
void agent__close_http(struct agent *a);

/*
 * Another app, judged by cfg (copied) and routes (taken, may be NULL);
 * name labels it in /metrics and /z/health. Its index, or -errno (a reason
 * said at warn level).
 */
int agent__add_app(struct agent *a, const char *name, const struct warden_config *cfg,
		   struct routes *routes, const char *source);
int agent__apps(const struct agent *a);                     /* how many, app 0 included */
const char *agent__app_name(const struct agent *a, int app); /* "" for app 0 */

/*
 * Learn app's routes from source (a file, a folder or a routes file) and
 * judge by them from now on, with the extra_routes setting; on failure the
 * routes learned before stay (said at warn level). What could not be
 * learned is said when it differs from the last time. 0 or -errno.
 */
int agent__learn_routes(struct agent *a, int app, const char *source);

struct spawn_opts;

/* How one app's routes are learned: its source and settings (all borrowed). */
struct app_routes_cfg {
	const char *source;
	const char *routes_from;          /* "source" or "flask" */
	const char *python;               /* "" or NULL: the command's interpreter */
	const char (*extra)[512];         /* extra_routes */
	int n_extra;
	char *const *cmd;                 /* the app's command (run), NULL (watch) */
	const struct spawn_opts *spawn;
};

/*
 * Learn routes as one app's settings say: Flask's url_map with routes_from =
 * flask and an interpreter (the command's or python =), else (or when that
 * fails, said) the source; extra_routes added. NULL with the reason in err.
 */
struct routes *agent__learn(const struct app_routes_cfg *r, char *how, size_t howlen, char *err, size_t errlen);

/*
 * The app's command and how it is spawned (both borrowed, outlive the
 * agent): with routes_from = flask, agent__learn_routes() asks its
 * interpreter for app.url_map first (routes_learn.h).
 */
struct spawn_opts;
void agent__set_app_command(struct agent *a, char *const *cmd, const struct spawn_opts *spawn);
/* Judge app by routes (taken; NULL: none) learned from source elsewhere. */
void agent__set_routes(struct agent *a, int app, struct routes *routes, const char *source);
const struct routes *agent__routes(const struct agent *a, int app); /* NULL: none learned */
const char *agent__app_source(const struct agent *a, int app);      /* "" until learned */

/*
 * Keep each app's analytics (unless the analytics setting is off), the
 * apps added later too; agent__open_http() then serves the API and the
 * dashboard. line_time: see app_analytics__new(). 0 or -errno (said at warn
 * level: the agent runs on without).
 */
int agent__open_analytics(struct agent *a, bool line_time);
struct app_analytics *agent__analytics(const struct agent *a); /* NULL: none (or a NULL) */

/* One line of app through its jail, the metrics, the analytics and every subscriber; ev may be NULL. */
enum line_kind agent__line(struct agent *a, int app, enum app_stream stream, const char *line,
			   size_t len, bool truncated, struct line_event *ev);

/*
 * The lines of one read() arrived at once: between these two calls they
 * share one reading of the clocks instead of two clock calls a line.
 */
void agent__batch_begin(struct agent *a);
void agent__batch_end(struct agent *a);

/*
 * One line that several apps read (fail2ban jails sharing a log): each
 * app's jail judges it, each app's line counted under its name; the
 * metrics and subscribers see it once, as the jail that made most of it
 * (a ban over a failure over a request) saw it. n_apps >= 1.
 */
enum line_kind agent__line_apps(struct agent *a, const int *apps, size_t n_apps,
				enum app_stream stream, const char *line, size_t len,
				bool truncated, struct line_event *ev);

/* fn(ctx, ev) for every line after the jail saw it. 0 or -ENOMEM. */
typedef void (*agent_line_fn)(void *ctx, const struct line_event *ev);
int agent__subscribe(struct agent *a, agent_line_fn fn, void *ctx);

/*
 * What the mode adds to /z/health (the app, the watcher ...) and to each
 * /metrics rendering, after the agent filled its own part. The agent sets
 * child to HEALTH_CHILD_NONE: a mode with an app overrides it.
 */
typedef void (*agent_health_fn)(void *ctx, struct health_state *st);
typedef void (*agent_metrics_fn)(void *ctx, struct warden_metrics *m);

/*
 * Serve /z/health and /metrics on --http (nothing when "off"), answered on
 * the loop. A failure to listen is an error: -EINVAL (bad address) or
 * -errno, with the reason (and the way out) in err.
 */
int agent__open_http(struct agent *a, agent_health_fn health, agent_metrics_fn metrics, void *ctx,
		     char *err, size_t errlen);

/* A kernel feature in use, shown in /z/info ("cgroup v2"); a string that outlives the agent. */
void agent__add_feature(struct agent *a, const char *feature);

/*
 * A ban this host decided and wrote into the maps outside the jails (the
 * throttle's escalation): passed on like the jails' own (to the fleet).
 */
void agent__ban_applied(struct agent *a, const struct prefix *target, uint64_t expires_ns,
			const char *reason);

struct jail *agent__jail(const struct agent *a, int app);
struct fleet *agent__fleet(const struct agent *a);           /* NULL: no fleet configured */
struct banmap *agent__banmap(const struct agent *a);         /* NULL in dry-run */
struct warden_metrics *agent__metrics(const struct agent *a); /* NULL if out of memory */
struct http_server *agent__http(const struct agent *a);      /* NULL: --http off */
const char *agent__xdp_how(const struct agent *a);           /* "" when not attached by us */

#endif
