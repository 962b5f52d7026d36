// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* agent.c - the engine that warden run and warden watch share: from lines to bans, and their upkeep. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <time.h>

#include "agent.h"
#include "app_analytics.h"
#include "banmap.h"
#include "cli.h"
#include "enforce.h"
#include "fleet.h"
#include "http.h"
#include "log.h"
#include "loop.h"
#include "routes.h"
#include "routes_learn.h"
#include "snapshot.h"
#include "timeutil.h"
#include "warden_metrics.h"

#define EXPIRE_EVERY_NS (30 * NSEC_PER_SEC) /* expired bans leave the maps this often */
#define SNAPSHOT_EVERY_NS NSEC_PER_SEC      /* the snapshot is written at most this often */
#define MAX_SUBSCRIBERS 8
#define MAX_FEATURES 8
#define MAX_APPS (CONFIG_MAX_APPS + 1) /* the [app NAME] sections and app 0 */

/* One app the agent judges lines for. */
struct agent_app {
	char name[CONFIG_APP_NAME_LEN]; /* "" for app 0 */
	struct jail *jail;              /* with the app's own settings */
	struct routes *routes;          /* NULL until learned */
	char source[4096];              /* where they came from */
	/* How its routes are learned: an [app NAME] section's own settings; NULL for app 0 (the agent's). */
	struct app_learning *learn;
};

/* The route settings of one app (routes_from, python, extra_routes), copied from its config. */
struct app_learning {
	char routes_from[sizeof(((struct warden_config *)0)->routes_from)];
	char python[sizeof(((struct warden_config *)0)->python)];
	char extra_routes[CONFIG_MAX_EXTRA_ROUTES][512];
	int n_extra_routes;
};

struct agent {
	struct warden_config *cfg;
	struct loop *loop;
	bool keep_state;
	struct agent_app *apps[MAX_APPS];
	int n_apps;
	struct banmap *bm;         /* NULL in dry-run */
	enum enforce_state enforce;
	char xdp_how[256];
	struct snapshot_sched snap;
	struct loop_timer *expire_timer, *snapshot_timer;
	struct warden_metrics *metrics;
	struct fleet *fleet;       /* NULL: no fleet */
	struct app_analytics *analytics; /* NULL: off, or not opened yet */
	uint64_t last_access_ns;   /* CLOCK_MONOTONIC of the last access line */
	uint64_t batch_boot_ns;    /* lines read together share these clocks (0: read per line) */
	uint64_t batch_mono_ns;
	uint64_t lines, access_lines; /* each line once, however many jails read it */
	struct {
		agent_line_fn fn;
		void *ctx;
	} subscribers[MAX_SUBSCRIBERS];
	int n_subscribers;
	/* HTTP */
	struct http_server *http;
	struct health *health;
	agent_health_fn health_fn;
	agent_metrics_fn metrics_fn;
	void *mode_ctx;
	struct health_jail jails[MAX_APPS]; /* /z/health's view of the named apps */
	const char *features[MAX_FEATURES];
	size_t n_features;
	/* How the app runs, for --routes-from flask (warden run); both borrowed, NULL in watch. */
	char *const *app_cmd;
	const struct spawn_opts *app_spawn;
};

/* ---- the bans' upkeep ---- */

static void refresh_ban_sizes(struct agent *a)
{
	struct banmap_sizes sizes;

	/* Reading every key: only on the slow tick, never per scrape. */
	if (a->metrics && a->bm && banmap__sizes(a->bm, &sizes) == 0)
		wmetrics__set_bans(a->metrics, &sizes);
}

static void on_expire(void *ctx)
{
	struct agent *a = ctx;
	size_t removed = 0;

	int i;

	if (a->bm && banmap__expire(a->bm, time__boot_ns(), &removed) == 0 && removed)
		pr_debug("removed %zu expired ban%s", removed, removed == 1 ? "" : "s");
	refresh_ban_sizes(a);
	/* The one warning about URLs the app served that the routes lack waits for this tick. */
	for (i = 0; i < a->n_apps; i++)
		jail__tick(a->apps[i]->jail, time__boot_ns());
}

/* Batched: written when the bans changed, at most once a second. */
static void on_snapshot(void *ctx)
{
	struct agent *a = ctx;

	if (a->bm && a->keep_state)
		snapshot__maybe_write(&a->snap, a->cfg->state_dir, a->bm);
}

/* Every ban this host decides reaches the fleet. */
static void on_ban(void *ctx, const struct prefix *target, uint64_t expires_ns, const char *reason)
{
	agent__ban_applied(ctx, target, expires_ns, reason);
}

void agent__ban_applied(struct agent *a, const struct prefix *target, uint64_t expires_ns,
			const char *reason)
{
	fleet__publish_ban(a->fleet, target, expires_ns, reason);
}

/* ---- setting up ---- */

struct agent *agent__new(const struct agent_opts *o, int *status)
{
	struct agent *a = calloc(1, sizeof(*a));
	char err[512];

	*status = EXIT_FAIL;
	if (!a)
		return NULL;
	a->cfg = o->cfg;
	a->loop = o->loop;
	a->keep_state = o->keep_state;
	snapshot_sched__init(&a->snap);
	a->metrics = wmetrics__new();
	/* The jail first: a bad --log-regex is refused before anything is touched. */
	a->apps[0] = calloc(1, sizeof(*a->apps[0]));
	if (!a->apps[0])
		goto fail;
	a->n_apps = 1;
	a->apps[0]->jail = jail__new(a->cfg, NULL, NULL, err, sizeof(err));
	if (!a->apps[0]->jail) {
		pr_warn("%s", err);
		*status = EXIT_USAGE;
		goto fail;
	}
	/* A bad fleet URL or password file is refused before anything is attached. */
	if (a->cfg->fleet[0]) {
		a->fleet = fleet__new(a->loop, a->cfg, NULL, a->metrics, err, sizeof(err));
		if (!a->fleet) {
			pr_warn("%s", err);
			*status = EXIT_USAGE;
			goto fail;
		}
		agent__add_feature(a, "fleet");
	}
	*status = enforce__setup(a->cfg, o->loader, o->keep_state, &a->bm, a->xdp_how,
				 sizeof(a->xdp_how), &a->enforce);
	if (*status)
		goto fail;
	jail__set_banmap(a->apps[0]->jail, a->bm);
	jail__set_on_ban(a->apps[0]->jail, on_ban, a);
	fleet__set_banmap(a->fleet, a->bm);
	jail__restore(a->apps[0]->jail, time__boot_ns());
	if (a->xdp_how[0])
		agent__add_feature(a, "xdp");
	if (a->bm)
		agent__add_feature(a, "bpffs pinned maps");

	a->expire_timer = loop__add_timer(a->loop, CLOCK_MONOTONIC, on_expire, a);
	a->snapshot_timer = loop__add_timer(a->loop, CLOCK_MONOTONIC, on_snapshot, a);
	if (!a->expire_timer || !a->snapshot_timer) {
		pr_warn("cannot set up the bans' timers: %s", strerror(errno));
		*status = EXIT_FAIL;
		goto fail;
	}
	loop__timer_arm(a->expire_timer, EXPIRE_EVERY_NS, EXPIRE_EVERY_NS);
	loop__timer_arm(a->snapshot_timer, SNAPSHOT_EVERY_NS, SNAPSHOT_EVERY_NS);
	refresh_ban_sizes(a);
	*status = 0;
	return a;
fail:
	agent__free(a);
	return NULL;
}

void agent__free(struct agent *a)
{
	int i;

	if (!a)
		return;
	/* The handlers hold the agent's state: the server goes first. */
	agent__close_http(a);
	app_analytics__free(a->analytics);
	fleet__free(a->fleet);
	loop__del_timer(a->loop, a->expire_timer);
	loop__del_timer(a->loop, a->snapshot_timer);
	/* The bans as they are: a restart or a reboot goes on from here. */
	if (a->bm && a->keep_state)
		snapshot__flush(&a->snap, a->cfg->state_dir, a->bm);
	for (i = 0; i < a->n_apps; i++) {
		jail__free(a->apps[i]->jail);
		routes__free(a->apps[i]->routes);
		free(a->apps[i]->learn);
		free(a->apps[i]);
	}
	banmap__close(a->bm);
	wmetrics__free(a->metrics);
	free(a);
}

void agent__close_http(struct agent *a)
{
	if (a->http)
		loop__del_fd(a->loop, http__fd(a->http));
	http__close(a->http);
	a->http = NULL;
	health__free(a->health);
	a->health = NULL;
}

/* ---- routes ---- */

int agent__add_app(struct agent *a, const char *name, const struct warden_config *cfg,
		   struct routes *routes, const char *source)
{
	struct agent_app *app;
	char err[512];

	if (a->n_apps == MAX_APPS) {
		routes__free(routes);
		return -ENOSPC;
	}
	app = calloc(1, sizeof(*app));
	if (!app) {
		routes__free(routes);
		return -ENOMEM;
	}
	snprintf(app->name, sizeof(app->name), "%s", name);
	snprintf(app->source, sizeof(app->source), "%s", source ? source : "");
	app->routes = routes;
	app->learn = malloc(sizeof(*app->learn));
	app->jail = app->learn ? jail__new(cfg, routes, a->bm, err, sizeof(err)) : NULL;
	if (!app->jail) {
		int ret = app->learn ? -errno : -ENOMEM;

		pr_warn("app %s: %s", name, app->learn ? err : strerror(ENOMEM));
		routes__free(routes);
		free(app->learn);
		free(app);
		return ret ? ret : -EINVAL;
	}
	memcpy(app->learn->routes_from, cfg->routes_from, sizeof(app->learn->routes_from));
	memcpy(app->learn->python, cfg->python, sizeof(app->learn->python));
	memcpy(app->learn->extra_routes, cfg->extra_routes, sizeof(app->learn->extra_routes));
	app->learn->n_extra_routes = cfg->n_extra_routes;
	jail__set_on_ban(app->jail, on_ban, a);
	jail__restore(app->jail, time__boot_ns());
	a->apps[a->n_apps] = app;
	if (a->analytics)
		app_analytics__add(a->analytics, a->n_apps, app->name);
	return a->n_apps++;
}

int agent__apps(const struct agent *a)
{
	return a->n_apps;
}

const char *agent__app_name(const struct agent *a, int app)
{
	return a->apps[app]->name;
}

void agent__set_app_command(struct agent *a, char *const *cmd, const struct spawn_opts *spawn)
{
	a->app_cmd = cmd;
	a->app_spawn = spawn;
}

/* Whether two route sets could not learn the same things (NULL: nothing learned before). */
static bool same_notes(const struct routes *x, const struct routes *y)
{
	const char *const *nx, *const *ny;
	size_t n = routes__notes(x, &nx), i;

	if (!x || n != routes__notes(y, &ny))
		return false;
	for (i = 0; i < n; i++)
		if (strcmp(nx[i], ny[i]))
			return false;
	return true;
}

struct routes *agent__learn(const struct app_routes_cfg *r, char *how, size_t howlen, char *err, size_t errlen)
{
	/* Flask is asked with the app's command (run) or an interpreter given (python =). */
	return routes_learn__load(&(struct routes_learn_opts){
					  .source = r->source,
					  .cmd = r->cmd,
					  .python = r->python && *r->python ? r->python : NULL,
					  .from_flask = !strcmp(r->routes_from, "flask") &&
							(r->cmd || (r->python && *r->python)),
					  .spawn = r->spawn,
					  .extra = (const char(*)[512])r->extra,
					  .n_extra = r->n_extra,
				  },
				  how, howlen, err, errlen);
}

int agent__learn_routes(struct agent *a, int i, const char *source)
{
	struct agent_app *app = a->apps[i];
	struct routes *fresh;
	char err[512], how[64];
	size_t n;

	snprintf(app->source, sizeof(app->source), "%s", source);
	fresh = agent__learn(&(struct app_routes_cfg){
				     .source = source,
				     .routes_from = app->learn ? app->learn->routes_from : a->cfg->routes_from,
				     .python = app->learn ? app->learn->python : a->cfg->python,
				     .extra = app->learn ? app->learn->extra_routes : a->cfg->extra_routes,
				     .n_extra = app->learn ? app->learn->n_extra_routes : a->cfg->n_extra_routes,
				     .cmd = a->app_cmd,
				     .spawn = a->app_spawn,
			     },
			     how, sizeof(how), err, sizeof(err));
	if (!fresh) {
		int ret = -errno;

		pr_warn("%s%s%scannot learn the routes from %s: %s; %s", app->name[0] ? "app " : "",
			app->name, app->name[0] ? ": " : "", source, err,
			app->routes ? "keeping the routes learned before"
				    : "only statuses and non-HTTP requests count as failures");
		return ret ? ret : -EINVAL;
	}
	n = routes__count(fresh);
	if (!n)
		pr_warn("no route found in %s: only statuses and non-HTTP requests count as failures",
			source);
	else
		pr_info("learned %zu route%s from %s (%s)%s%s", n, n == 1 ? "" : "s", source, how,
			app->name[0] ? " for app " : "", app->name);
	/* What could not be learned: said once, and again only when a deploy changed it. */
	if (!same_notes(app->routes, fresh))
		routes__say_notes(fresh);
	/* A deploy may have changed the app: the new routes replace the old. */
	agent__set_routes(a, i, fresh, source);
	return 0;
}

void agent__set_routes(struct agent *a, int i, struct routes *routes, const char *source)
{
	struct agent_app *app = a->apps[i];

	jail__set_routes(app->jail, routes);
	routes__free(app->routes);
	app->routes = routes;
	snprintf(app->source, sizeof(app->source), "%s", source ? source : "");
}

const struct routes *agent__routes(const struct agent *a, int app)
{
	return a->apps[app]->routes;
}

const char *agent__app_source(const struct agent *a, int app)
{
	return a->apps[app]->source;
}

/* ---- lines ---- */

enum line_kind agent__line(struct agent *a, int app, enum app_stream stream, const char *line,
			   size_t len, bool truncated, struct line_event *ev)
{
	return agent__line_apps(a, &app, 1, stream, line, len, truncated, ev);
}

enum line_kind agent__line_apps(struct agent *a, const int *apps, size_t n_apps,
				enum app_stream stream, const char *line, size_t len,
				bool truncated, struct line_event *ev)
{
	struct line_event local, each;
	/* One clock for the jails and the analytics (shared by lines read together). */
	uint64_t now = a->batch_boot_ns ? a->batch_boot_ns : time__boot_ns();
	bool access = false;
	size_t k;
	int i;

	if (!ev)
		ev = &local;
	for (k = 0; k < n_apps; k++) {
		struct line_event *e = k ? &each : ev;
		struct jail *j = a->apps[apps[k]]->jail;
		uint64_t before = jail__stats(j)->access;

		jail__line(j, stream, line, len, truncated, now, e);
		access |= jail__stats(j)->access > before;
		/* Named apps (watch's [app NAME] sections, fail2ban's jails) are told apart. */
		if (a->metrics && a->n_apps > 1)
			wmetrics__app_line(a->metrics, apps[k] ? a->apps[apps[k]]->name : "(unclaimed)",
					   e);
		/* Each app's analytics see the line as its own jail judged it. */
		if (a->analytics)
			app_analytics__line(a->analytics, apps[k], e, now);
		/* The line is counted once, as what the jail that made most of it saw. */
		if (k && each.kind > ev->kind)
			*ev = each;
	}
	if (a->metrics)
		wmetrics__line(a->metrics, ev);
	a->lines++;
	a->access_lines += access;
	if (ev->kind != LINE_NOT_ACCESS)
		a->last_access_ns = a->batch_mono_ns ? a->batch_mono_ns : time__mono_ns();
	for (i = 0; i < a->n_subscribers; i++)
		a->subscribers[i].fn(a->subscribers[i].ctx, ev);
	return ev->kind;
}

void agent__batch_begin(struct agent *a)
{
	a->batch_boot_ns = time__boot_ns();
	a->batch_mono_ns = time__mono_ns();
}

void agent__batch_end(struct agent *a)
{
	a->batch_boot_ns = 0;
	a->batch_mono_ns = 0;
}

int agent__subscribe(struct agent *a, agent_line_fn fn, void *ctx)
{
	if (a->n_subscribers == MAX_SUBSCRIBERS)
		return -ENOMEM;
	a->subscribers[a->n_subscribers].fn = fn;
	a->subscribers[a->n_subscribers].ctx = ctx;
	a->n_subscribers++;
	return 0;
}

/* ---- analytics ---- */

int agent__open_analytics(struct agent *a, bool line_time)
{
	int i;

	if (!a->cfg->analytics) {
		pr_info("analytics off: no per-route history, no dashboard");
		return 0;
	}
	if (a->analytics)
		return -EEXIST;
	a->analytics = app_analytics__new(a->loop, a->cfg, line_time);
	if (!a->analytics) {
		pr_warn("no analytics: %s", strerror(errno));
		return -errno;
	}
	app_analytics__set_banmap(a->analytics, a->bm);
	for (i = 0; i < a->n_apps; i++)
		app_analytics__add(a->analytics, i, a->apps[i]->name);
	return 0;
}

struct app_analytics *agent__analytics(const struct agent *a)
{
	return a ? a->analytics : NULL; /* a mode's cleanup may run without an agent */
}

/* ---- health and metrics ---- */

void agent__add_feature(struct agent *a, const char *feature)
{
	if (a->n_features < MAX_FEATURES)
		a->features[a->n_features++] = feature;
}

static void fill_health(struct health_state *st, void *ctx)
{
	struct agent *a = ctx;
	const struct jail_stats *js;
	int i;

	memset(st, 0, sizeof(*st));
	st->child = HEALTH_CHILD_NONE;
	st->listening = -1;
	st->xdp = enforce__health(a->cfg, &a->enforce);
	st->ifaces = (const char *const *)a->cfg->ifaces;
	st->n_ifaces = a->cfg->n_ifaces;
	st->xdp_how = a->xdp_how[0] ? a->xdp_how : NULL;
	st->dry_run = a->cfg->dry_run;
	for (i = 0; i < a->n_apps; i++) {
		struct health_jail *hj = &a->jails[st->n_jails];
		int f;

		js = jail__stats(a->apps[i]->jail);
		if (!i)
			continue;
		hj->name = a->apps[i]->name;
		hj->lines = js->lines;
		hj->bans = js->bans;
		for (hj->failures = 0, f = 0; f < FAIL__COUNT; f++)
			hj->failures += js->failures[f];
		st->n_jails++;
	}
	st->jails = a->jails;
	st->lines = a->lines;
	st->access_lines = a->access_lines;
	if (st->access_lines)
		st->last_access_age_ns = time__mono_ns() - a->last_access_ns;
	st->features = a->features;
	st->n_features = a->n_features;
	if (a->fleet) {
		st->fleet = fleet__stats(a->fleet);
		st->fleet_url = fleet__url(a->fleet);
	}
	if (a->health_fn)
		a->health_fn(a->mode_ctx, st);
}

/* Before each scrape: what is cheap to read fresh. */
static void refresh_metrics(struct warden_metrics *m, void *ctx)
{
	struct agent *a = ctx;
	struct xdp_counters c;

	if (a->bm && banmap__counters(a->bm, &c) == 0)
		wmetrics__set_xdp(m, &c);
	if (a->analytics)
		app_analytics__fill_metrics(a->analytics, m);
	if (a->metrics_fn)
		a->metrics_fn(a->mode_ctx, m);
}

static void on_http(void *ctx, int fd, uint32_t events)
{
	struct agent *a = ctx;

	(void)fd;
	(void)events;
	http__process(a->http);
}

/*
 * The bearer token of the dashboard, the API and /z/info: the first line
 * of the file, blanks around it cut. 0 or -errno with a reason in err.
 */
static int read_token(const char *path, char *token, size_t size, char *err, size_t errlen)
{
	struct stat st;
	size_t len;
	FILE *f;
	int ret;

	f = fopen(path, "re");
	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "--http-token-file %s: %s", path, strerror(-ret));
		return ret;
	}
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & S_IROTH))
		pr_warn("--http-token-file %s can be read by every user of this host", path);
	if (!fgets(token, (int)size, f))
		token[0] = '\0';
	fclose(f);
	len = strcspn(token, "\r\n");
	while (len && (token[len - 1] == ' ' || token[len - 1] == '\t'))
		len--;
	token[len] = '\0';
	if (len < HTTP_TOKEN_MIN) {
		snprintf(err, errlen, "--http-token-file %s: the token needs at least %d characters "
			 "(e.g. openssl rand -hex 32)", path, HTTP_TOKEN_MIN);
		return -EINVAL;
	}
	return 0;
}

int agent__open_http(struct agent *a, agent_health_fn health, agent_metrics_fn metrics, void *ctx,
		     char *err, size_t errlen)
{
	char token[512];
	int ret;

	a->health_fn = health;
	a->metrics_fn = metrics;
	a->mode_ctx = ctx;
	if (!strcmp(a->cfg->http, "off"))
		return 0;
	/* The dashboard and the API show every client's address: never open beyond loopback. */
	if (!a->cfg->http_token_file[0] && !http__is_loopback(a->cfg->http)) {
		snprintf(err, errlen, "%s listens beyond loopback, where the dashboard and the API "
			 "would show every client's address to anyone: give --http-token-file FILE "
			 "(a bearer token they then require; probes and /metrics stay open), or "
			 "listen on 127.0.0.1", a->cfg->http);
		return -EINVAL;
	}
	if (a->cfg->http_token_file[0]) {
		ret = read_token(a->cfg->http_token_file, token, sizeof(token), err, errlen);
		if (ret)
			return ret == -ENOENT || ret == -EACCES ? -EINVAL : ret;
	}
	a->http = http__open(a->cfg->http, err, errlen);
	if (!a->http) {
		ret = errno == EINVAL ? -EINVAL : -errno;
		/* The first thing a second warden on one host meets: say the way out. */
		if (ret == -EADDRINUSE)
			snprintf(err + strlen(err), errlen - strlen(err),
				 " (another warden? give each its own --http ADDR:PORT, or --http off)");
		return ret;
	}
	a->health = health__register(a->http, fill_health, a, a->metrics);
	if (!a->health) {
		ret = -errno;
		snprintf(err, errlen, "cannot register the health endpoints: %s", strerror(-ret));
		return ret;
	}
	health__set_metrics_hook(a->health, refresh_metrics, a);
	/* The API and the dashboard: warden runs on without them. */
	if (a->analytics && (ret = app_analytics__serve(a->analytics, a->http)))
		pr_warn("cannot serve the dashboard: %s", strerror(-ret));
	if (a->cfg->http_token_file[0]) {
		ret = http__set_token(a->http, token);
		explicit_bzero(token, sizeof(token));
		if (ret) {
			snprintf(err, errlen, "cannot set the HTTP token: %s", strerror(-ret));
			return ret;
		}
	}
	ret = loop__add_fd(a->loop, http__fd(a->http), EPOLLIN, on_http, a);
	if (ret)
		snprintf(err, errlen, "cannot serve HTTP: %s", strerror(-ret));
	return ret;
}

/* ---- accessors ---- */

struct jail *agent__jail(const struct agent *a, int app)
{
	return a->apps[app]->jail;
}

struct fleet *agent__fleet(const struct agent *a)
{
	return a->fleet;
}

struct banmap *agent__banmap(const struct agent *a)
{
	return a->bm;
}

struct warden_metrics *agent__metrics(const struct agent *a)
{
	return a->metrics;
}

struct http_server *agent__http(const struct agent *a)
{
	return a->http;
}

const char *agent__xdp_how(const struct agent *a)
{
	return a->xdp_how;
}
