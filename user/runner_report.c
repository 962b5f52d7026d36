// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* runner_report.c - what warden run shows: the status socket, health endpoints, metrics. */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>

#include "analytics.h"
#include "banmap.h"
#include "control.h"
#include "health.h"
#include "http.h"
#include "jail.h"
#include "log.h"
#include "routes.h"
#include "runner_int.h"
#include "timeutil.h"
#include "warden_metrics.h"
#include "watcher.h"

/* ---- warden status ---- */

static const char *phase_name(const struct runner *r)
{
	if (r->stopping)
		return "stopping";
	if (r->hung && r->phase == PHASE_RUNNING)
		return "hung";
	switch (r->phase) {
	case PHASE_RUNNING:
		return "running";
	case PHASE_DRAINING:
		return "exited";
	case PHASE_WAITING:
		return "restarting";
	default:
		return "stopped";
	}
}

/* What the app served on URLs warden did not learn, by shape, first seen first. */
static struct json_object *served_json(const struct jail *j)
{
	struct json_object *a = json_object_new_array();
	const struct jail_served *v;
	size_t n = jail__served(j, &v), i;

	for (i = 0; i < n; i++) {
		struct json_object *e = json_object_new_object();

		json_object_object_add(e, "path", json_object_new_string(v[i].path));
		json_object_object_add(e, "method", json_object_new_string(v[i].method));
		json_object_object_add(e, "status", json_object_new_int(v[i].status));
		json_object_object_add(e, "count", json_object_new_int64((int64_t)v[i].count));
		json_object_array_add(a, e);
	}
	return a;
}

/* Everything warden status shows, as one JSON object (the caller owns it). */
static struct json_object *build_status(void *arg)
{
	struct runner *r = arg;
	const struct jail_stats *js = jail__stats(r->jail);
	struct json_object *o = json_object_new_object(), *cmd = json_object_new_array();
	struct json_object *log = json_object_new_object();
	uint64_t failures = 0;
	int i;

	for (i = 0; r->cmd[i]; i++)
		json_object_array_add(cmd, json_object_new_string(r->cmd[i]));
	for (i = 1; i < FAIL__COUNT; i++)
		failures += js->failures[i];
	json_object_object_add(o, "warden_pid", json_object_new_int((int)getpid()));
	json_object_object_add(o, "command", cmd);
	json_object_object_add(o, "state", json_object_new_string(phase_name(r)));
	json_object_object_add(o, "pid", r->phase == PHASE_RUNNING ?
						 json_object_new_int((int)r->child.pid) : NULL);
	json_object_object_add(o, "uptime_s",
			       r->phase == PHASE_RUNNING ?
				       json_object_new_double((time__mono_ns() - r->child.started_ns) / 1e9) :
				       NULL);
	json_object_object_add(o, "restarts", json_object_new_int64(r->restarts));
	json_object_object_add(o, "hangs", json_object_new_int64((int64_t)r->hangs));
	json_object_object_add(o, "cgroup", cgroup__active(&r->cgroup) ?
						    json_object_new_string(r->cgroup.path) : NULL);
	json_object_object_add(o, "dry_run", json_object_new_boolean(r->cfg->dry_run));
	json_object_object_add(o, "routes",
			       json_object_new_int64(r->routes ? (int64_t)routes__count(r->routes) : 0));
	json_object_object_add(log, "lines", json_object_new_int64((int64_t)js->lines));
	json_object_object_add(log, "requests", json_object_new_int64((int64_t)js->access));
	json_object_object_add(log, "other_lines", json_object_new_int64((int64_t)js->not_access));
	json_object_object_add(log, "failures", json_object_new_int64((int64_t)failures));
	json_object_object_add(log, "bans", json_object_new_int64((int64_t)js->bans));
	json_object_object_add(log, "bans_applied", json_object_new_int64((int64_t)js->bans_applied));
	json_object_object_add(log, "app_served_unlearned",
			       json_object_new_int64((int64_t)js->app_served));
	json_object_object_add(o, "log", log);
	json_object_object_add(o, "unlearned", served_json(r->jail));
	if (r->watcher) {
		struct json_object *w = json_object_new_object();
		uint32_t n = 0;
		uint64_t oldest = 0;
		uint16_t port = 0;

		watcher__inflight(r->watcher, &n, &oldest, &port);
		json_object_object_add(w, "backend",
				       json_object_new_string(watcher__backend_name(r->watcher)));
		json_object_object_add(w, "in_flight", json_object_new_int64(n));
		json_object_object_add(w, "oldest_age_s", n ? json_object_new_double(oldest / 1e9) : NULL);
		json_object_object_add(w, "oldest_port", n ? json_object_new_int(port) : NULL);
		json_object_object_add(o, "watcher", w);
	}
	return o;
}

/* ---- /z/health and /metrics ---- */

static void fill_health(struct health_state *st, void *arg)
{
	struct runner *r = arg;
	const struct jail_stats *js = jail__stats(r->jail);
	static char app_dir[PATH_MAX];
	static const char *features[4];
	size_t n = 0;

	memset(st, 0, sizeof(*st));
	if (r->stopping || r->phase == PHASE_DONE)
		st->child = HEALTH_CHILD_STOPPED;
	else if (r->phase == PHASE_RUNNING)
		st->child = HEALTH_CHILD_RUNNING;
	else
		st->child = HEALTH_CHILD_RESTARTING;
	if (r->phase == PHASE_RUNNING) {
		st->pid = r->child.pid;
		st->uptime_ns = time__mono_ns() - r->child.started_ns;
	}
	st->restarts = r->restarts;
	st->hung = r->hung;
	st->hung_reason = r->hung ? r->hung_reason : NULL;
	st->hangs = r->hangs;
	st->listening = -1;
	st->requests_since_start = r->requests_since_start;
	st->cmd = r->cmd;
	/* The app's version is the git commit of the folder its source is in. */
	if (r->app_source[0]) {
		char copy[PATH_MAX];

		snprintf(copy, sizeof(copy), "%s", r->app_source);
		snprintf(app_dir, sizeof(app_dir), "%s", dirname(copy));
		st->app_dir = app_dir;
	} else {
		st->app_dir = NULL;
	}
	st->xdp = enforce__health(r->cfg, &r->enforce);
	st->ifaces = (const char *const *)r->cfg->ifaces;
	st->n_ifaces = r->cfg->n_ifaces;
	st->xdp_how = r->xdp_how[0] ? r->xdp_how : NULL;
	st->dry_run = r->cfg->dry_run;
	if (r->watcher) {
		uint16_t ports[RUNNER_MAX_PORTS];
		uint64_t oldest;
		uint16_t port;

		st->watcher_backend = watcher__backend_name(r->watcher);
		watcher__inflight(r->watcher, &st->in_flight, &oldest, &port);
		st->listening = watcher__ports(r->watcher, ports, RUNNER_MAX_PORTS);
	}
	st->lines = js->lines;
	st->access_lines = js->access;
	if (js->access)
		st->last_access_age_ns = time__mono_ns() - r->last_access_ns;
	if (r->xdp_how[0])
		features[n++] = "xdp";
	if (cgroup__active(&r->cgroup))
		features[n++] = "cgroup v2";
	if (r->bm)
		features[n++] = "bpffs pinned maps";
	st->features = features;
	st->n_features = n;
}

/* Before each scrape: what is cheap to read fresh. */
static void refresh_metrics(struct warden_metrics *m, void *arg)
{
	struct runner *r = arg;
	struct xdp_counters c;

	if (r->bm && banmap__counters(r->bm, &c) == 0)
		wmetrics__set_xdp(m, &c);
	if (r->watcher) {
		uint16_t ports[RUNNER_MAX_PORTS];
		struct watcher_port_stats ps;
		int n, i;

		n = watcher__ports(r->watcher, ports, RUNNER_MAX_PORTS);
		for (i = 0; i < n && i < RUNNER_MAX_PORTS; i++)
			if (watcher__port_stats(r->watcher, ports[i], &ps) == 0)
				wmetrics__set_port_histogram(m, ports[i], ps.buckets, WATCHER_BUCKETS,
							     ps.sum_ns);
	}
}

/* ---- analytics ---- */

#define FLUSH_EVERY_S 10 /* analytics reach the database this often (batched) */

static void open_analytics(struct runner *r)
{
	struct itimerspec its = {
		.it_value = { .tv_sec = FLUSH_EVERY_S },
		.it_interval = { .tv_sec = FLUSH_EVERY_S },
	};
	char err[512];

	r->analytics = analytics__open(r->cfg->state_dir, r->cfg->retention_ns, err, sizeof(err));
	if (!r->analytics) {
		pr_warn("no analytics history: %s", err);
		return;
	}
	analytics__set_banmap(r->analytics, r->bm);
	r->report_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (r->report_fd >= 0) {
		timerfd_settime(r->report_fd, 0, &its, NULL);
		runner__epoll_add(r->epfd, r->report_fd, EPOLLIN);
	}
}

void report__started(struct runner *r)
{
	char dir[PATH_MAX], commit[64], branch[128];

	if (!r->analytics)
		return;
	/* The app's version is the git commit of its source's folder, read at each start. */
	snprintf(dir, sizeof(dir), "%s", r->app_source[0] ? r->app_source : ".");
	if (r->app_source[0] && health__git_commit(dirname(dir), commit, sizeof(commit), branch,
						   sizeof(branch)) == 0)
		analytics__set_version(r->analytics, commit);
	else
		analytics__set_version(r->analytics, NULL);
}

/* ---- the module ---- */

int report__open(struct runner *r, char *err, size_t errlen)
{
	const char *path = r->cfg->control[0] ? r->cfg->control : CONTROL_DEFAULT_PATH;

	r->metrics = wmetrics__new();
	if (!r->metrics) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	report__tick(r);
	open_analytics(r);

	/* The status socket: optional, warden runs on without it. */
	r->control = control__open(path, build_status, r);
	if (r->control)
		runner__epoll_add(r->epfd, control__fd(r->control), EPOLLIN);
	else
		pr_info("no status socket at %s (%s): warden status will not see this run", path,
			strerror(errno));

	/* The HTTP interface: asked for, so a failure to listen is an error. */
	if (!strcmp(r->cfg->http, "off"))
		return 0;
	r->http = http__open(r->cfg->http, err, errlen);
	if (!r->http) {
		int ret = errno == EINVAL ? -EINVAL : -errno;

		/* The first thing a second warden on one host meets: say the way out. */
		if (ret == -EADDRINUSE)
			snprintf(err + strlen(err), errlen - strlen(err),
				 " (another warden? give each its own --http ADDR:PORT, or --http off)");
		return ret;
	}
	r->health = health__register(r->http, fill_health, r, r->metrics);
	if (!r->health) {
		snprintf(err, errlen, "cannot register the health endpoints: %s", strerror(errno));
		return -errno;
	}
	health__set_metrics_hook(r->health, refresh_metrics, r);
	if (r->analytics && analytics__register(r->http, r->analytics))
		pr_warn("cannot serve the dashboard: %s", strerror(errno));
	runner__epoll_add(r->epfd, http__fd(r->http), EPOLLIN);
	pr_info("health, metrics and dashboard on http://%s/", r->cfg->http);
	return 0;
}

void report__close(struct runner *r)
{
	control__close(r->control);
	r->control = NULL;
	/* The handlers hold the analytics: the server goes first. */
	http__close(r->http);
	r->http = NULL;
	health__free(r->health);
	r->health = NULL;
	analytics__close(r->analytics);
	r->analytics = NULL;
	if (r->report_fd >= 0)
		close(r->report_fd);
	r->report_fd = -1;
	wmetrics__free(r->metrics);
	r->metrics = NULL;
}

bool report__handle(struct runner *r, int fd)
{
	if (r->control && fd == control__fd(r->control)) {
		control__handle(r->control);
		return true;
	}
	if (r->http && fd == http__fd(r->http)) {
		http__process(r->http);
		return true;
	}
	if (fd == r->report_fd && fd >= 0) {
		uint64_t expirations;

		if (read(fd, &expirations, sizeof(expirations)) > 0 && r->analytics) {
			analytics__pair_expire(r->analytics, time__boot_ns());
			analytics__flush(r->analytics, time(NULL));
		}
		return true;
	}
	return false;
}

void report__line(struct runner *r, const struct line_event *ev)
{
	if (r->metrics)
		wmetrics__line(r->metrics, ev);
	if (ev->kind == LINE_NOT_ACCESS)
		return;
	r->requests_since_start++;
	r->last_access_ns = time__mono_ns();
	if (!r->analytics)
		return;
	/* With a BPF watcher the latency comes later (or came just before): pair them. */
	if (r->watcher && watcher__backend(r->watcher) != WATCHER_SOCKDIAG)
		analytics__record_pending(r->analytics, ev->rule ? ev->rule : "unknown",
					  ev->access.method, ev->access.status, &ev->access.client,
					  ev->access.path, ev->access.path_len, time(NULL),
					  time__boot_ns());
	else
		analytics__record(r->analytics, ev->rule ? ev->rule : "unknown", ev->access.method,
				  ev->access.status, &ev->access.client, -1, ev->access.path,
				  ev->access.path_len, time(NULL));
}

void report__tick(struct runner *r)
{
	struct banmap_sizes sizes;

	/* Reading every key: only on the slow tick, never per scrape. */
	if (r->metrics && r->bm && banmap__sizes(r->bm, &sizes) == 0)
		wmetrics__set_bans(r->metrics, &sizes);
}
