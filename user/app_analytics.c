// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* app_analytics.c - the agent's analytics part: one history per app, fed by its lines, flushed on a timer, served per app. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analytics.h"
#include "analytics_api.h"
#include "app_analytics.h"
#include "config.h"
#include "dashboard.h"
#include "jail.h"
#include "log.h"
#include "loop.h"
#include "timeutil.h"
#include "warden_metrics.h"

#define FLUSH_EVERY_NS (10 * NSEC_PER_SEC) /* the analytics reach the database this often (batched) */
#define MAX_APPS (CONFIG_MAX_APPS + 1)       /* the agent's: its [app NAME] sections and app 0 */

_Static_assert(MAX_APPS <= ANALYTICS_API_MAX_APPS, "the API serves every app");

struct app_history {
	struct analytics *an; /* NULL: none (not added, or it could not open) */
	char name[CONFIG_APP_NAME_LEN];
	bool pair;            /* lines wait for the watcher's latency */
};

struct app_analytics {
	const struct warden_config *cfg; /* borrowed */
	struct loop *loop;               /* borrowed */
	bool line_time;
	struct app_history apps[MAX_APPS];
	int n_named;                     /* apps added besides app 0 */
	struct loop_timer *flush_timer;
	struct analytics_api *api;
	struct dashboard *dashboard;
};

static void on_flush(void *ctx)
{
	struct app_analytics *aa = ctx;
	int i;

	for (i = 0; i < MAX_APPS; i++)
		if (aa->apps[i].an)
			analytics__flush(aa->apps[i].an, time(NULL));
}

struct app_analytics *app_analytics__new(struct loop *loop, const struct warden_config *cfg,
					 bool line_time)
{
	struct app_analytics *aa = calloc(1, sizeof(*aa));

	if (!aa)
		return NULL;
	aa->cfg = cfg;
	aa->loop = loop;
	aa->line_time = line_time;
	aa->api = analytics_api__new();
	aa->flush_timer = loop__add_timer(loop, CLOCK_MONOTONIC, on_flush, aa);
	if (!aa->api || !aa->flush_timer) {
		app_analytics__free(aa);
		return NULL;
	}
	loop__timer_arm(aa->flush_timer, FLUSH_EVERY_NS, FLUSH_EVERY_NS);
	return aa;
}

void app_analytics__free(struct app_analytics *aa)
{
	int i;

	if (!aa)
		return;
	loop__del_timer(aa->loop, aa->flush_timer);
	dashboard__free(aa->dashboard);
	analytics_api__free(aa->api);
	for (i = 0; i < MAX_APPS; i++)
		analytics__close(aa->apps[i].an);
	free(aa);
}

int app_analytics__add(struct app_analytics *aa, int app, const char *name)
{
	struct app_history *h;
	char dir[PATH_MAX], err[512];
	int ret;

	if (app < 0 || app >= MAX_APPS || aa->apps[app].an)
		return -EINVAL;
	h = &aa->apps[app];
	snprintf(h->name, sizeof(h->name), "%s", name);
	/* App 0 keeps the history warden run always kept; each named app has its own folder. */
	if (app == 0)
		snprintf(dir, sizeof(dir), "%s", aa->cfg->state_dir);
	else if ((size_t)snprintf(dir, sizeof(dir), "%s/apps/%s", aa->cfg->state_dir, name) >=
		 sizeof(dir))
		return -ENAMETOOLONG;
	h->an = analytics__open(dir, aa->cfg->retention_ns, err, sizeof(err));
	if (!h->an) {
		ret = -errno;
		pr_warn("%s%sno analytics history: %s", name[0] ? name : "", name[0] ? ": " : "", err);
		return ret;
	}
	ret = analytics_api__add_app(aa->api, name, h->an);
	if (ret) {
		analytics__close(h->an);
		h->an = NULL;
		return ret;
	}
	if (app)
		aa->n_named++;
	return 0;
}

void app_analytics__line(struct app_analytics *aa, int app, const struct line_event *ev,
			 uint64_t now_ns)
{
	struct analytics *an = aa->apps[app].an;
	const struct access_line *l = &ev->access;
	time_t when;

	if (!an || ev->kind == LINE_NOT_ACCESS)
		return;
	when = aa->line_time && l->time > 0 ? (time_t)l->time : time(NULL);
	/* With the request watcher the latency comes later (or came just before): pair them. */
	if (aa->apps[app].pair)
		analytics__record_pending(an, ev->rule ? ev->rule : "unknown", l->method, l->status,
					  &l->client, l->path, l->path_len, when, now_ns);
	else
		analytics__record(an, ev->rule ? ev->rule : "unknown", l->method, l->status,
				  &l->client, -1, l->path, l->path_len, when);
}

void app_analytics__pair_latencies(struct app_analytics *aa, int app, bool on)
{
	if (aa && app >= 0 && app < MAX_APPS)
		aa->apps[app].pair = on;
}

struct analytics *app_analytics__get(const struct app_analytics *aa, int app)
{
	return aa && app >= 0 && app < MAX_APPS ? aa->apps[app].an : NULL;
}

void app_analytics__set_banmap(struct app_analytics *aa, struct banmap *bm)
{
	analytics_api__set_banmap(aa->api, bm);
}

int app_analytics__serve(struct app_analytics *aa, struct http_server *s)
{
	if (aa->dashboard)
		return -EEXIST;
	aa->dashboard = dashboard__open(s, aa->api);
	return aa->dashboard ? 0 : -errno;
}

void app_analytics__fill_metrics(struct app_analytics *aa, struct warden_metrics *m)
{
	int i;

	for (i = 0; i < MAX_APPS; i++) {
		const struct app_history *h = &aa->apps[i];
		const struct analytics_stats *st;

		if (!h->an)
			continue;
		st = analytics__stats(h->an);
		/* As warden_app_lines_total names them: app 0 is the unclaimed logs beside named apps. */
		wmetrics__set_analytics(m, i ? h->name : aa->n_named ? "(unclaimed)" : "",
					st->recorded, st->dropped);
	}
}
