// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* runner_report.c - what warden run shows of its app: the status socket, health, metrics, analytics. */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>

#include "agent.h"
#include "analytics.h"
#include "app_analytics.h"
#include "banmap.h"
#include "control.h"
#include "fleet.h"
#include "health.h"
#include "http.h"
#include "jail.h"
#include "log.h"
#include "loop.h"
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
	const struct jail_stats *js = jail__stats(agent__jail(r->agent, RUN_APP));
	const struct routes *routes = agent__routes(r->agent, RUN_APP);
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
			       json_object_new_int64(routes ? (int64_t)routes__count(routes) : 0));
	json_object_object_add(log, "lines", json_object_new_int64((int64_t)js->lines));
	json_object_object_add(log, "requests", json_object_new_int64((int64_t)js->access));
	json_object_object_add(log, "other_lines", json_object_new_int64((int64_t)js->not_access));
	json_object_object_add(log, "failures", json_object_new_int64((int64_t)failures));
	json_object_object_add(log, "bans", json_object_new_int64((int64_t)js->bans));
	json_object_object_add(log, "bans_applied", json_object_new_int64((int64_t)js->bans_applied));
	json_object_object_add(log, "app_served_unlearned",
			       json_object_new_int64((int64_t)js->app_served));
	json_object_object_add(o, "log", log);
	json_object_object_add(o, "unlearned", served_json(agent__jail(r->agent, RUN_APP)));
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
	if (agent__fleet(r->agent))
		json_object_object_add(o, "fleet", fleet__status_json(agent__fleet(r->agent)));
	return o;
}

/* ---- /z/health and /metrics ---- */

/* The app's part of /z/health; the agent filled its own before. */
static void fill_health(void *arg, struct health_state *st)
{
	struct runner *r = arg;
	const char *source = agent__app_source(r->agent, RUN_APP);
	static char app_dir[PATH_MAX];

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
	st->requests_since_start = r->requests_since_start;
	st->cmd = r->cmd;
	/* The app's version is the git commit of the folder its source is in. */
	if (source[0]) {
		char copy[PATH_MAX];

		snprintf(copy, sizeof(copy), "%s", source);
		snprintf(app_dir, sizeof(app_dir), "%s", dirname(copy));
		st->app_dir = app_dir;
	}
	if (r->watcher) {
		uint16_t ports[RUNNER_MAX_PORTS];
		uint64_t oldest;
		uint16_t port;

		st->watcher_backend = watcher__backend_name(r->watcher);
		watcher__inflight(r->watcher, &st->in_flight, &oldest, &port);
		st->listening = watcher__ports(r->watcher, ports, RUNNER_MAX_PORTS);
	}
}

/* Before each scrape: what is cheap to read fresh. */
static void refresh_metrics(void *arg, struct warden_metrics *m)
{
	struct runner *r = arg;

	struct analytics *an = app_analytics__get(agent__analytics(r->agent), RUN_APP);

	if (an) {
		const struct analytics_stats *as = analytics__stats(an);

		wmetrics__set_pairing(m, as->paired, as->unpaired, as->overflow_lines,
				      as->lost_latencies, as->overflow_latencies);
	}
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

void report__started(struct runner *r)
{
	struct analytics *an = app_analytics__get(agent__analytics(r->agent), RUN_APP);
	const char *source = agent__app_source(r->agent, RUN_APP);
	char dir[PATH_MAX], commit[64], branch[128];

	if (!an)
		return;
	/* The app's version is the git commit of its source's folder, read at each start. */
	snprintf(dir, sizeof(dir), "%s", source[0] ? source : ".");
	if (source[0] && health__git_commit(dirname(dir), commit, sizeof(commit), branch,
						   sizeof(branch)) == 0)
		analytics__set_version(an, commit);
	else
		analytics__set_version(an, NULL);
}

/* ---- the module ---- */

static void on_control(void *ctx, int fd, uint32_t events)
{
	struct runner *r = ctx;

	(void)fd;
	(void)events;
	control__handle(r->control);
}

int report__open(struct runner *r, char *err, size_t errlen)
{
	const char *path = r->cfg->control[0] ? r->cfg->control : CONTROL_DEFAULT_PATH;
	int ret;

	agent__open_analytics(r->agent, false);

	/* The status socket: optional, warden runs on without it. */
	r->control = control__open(path, build_status, r);
	if (r->control)
		loop__add_fd(r->loop, control__fd(r->control), EPOLLIN, on_control, r);
	else
		pr_info("no status socket at %s (%s): warden status will not see this run", path,
			strerror(errno));

	/* The HTTP interface: asked for, so a failure to listen is an error. */
	ret = agent__open_http(r->agent, fill_health, refresh_metrics, r, err, errlen);
	if (ret || !agent__http(r->agent))
		return ret;
	pr_info("health, metrics and dashboard on http://%s/", r->cfg->http);
	return 0;
}

/* The status socket (the analytics are the agent's, closed with it). */
void report__close(struct runner *r)
{
	if (r->control)
		loop__del_fd(r->loop, control__fd(r->control));
	control__close(r->control);
	r->control = NULL;
}
