// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* warden_metrics.c - warden's metric families over the registry of metrics.c, and how each is fed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reqwatch.h"
#include "cli.h"
#include "warden_metrics.h"

_Static_assert(WMETRICS_PORT_BUCKETS == WATCHER_BUCKETS, "the watcher's histogram changed shape");

struct warden_metrics {
	struct metrics *reg;
	struct metric_family *build_info, *requests, *lines, *failures, *bans, *bans_active,
		*allowlist, *xdp, *child_up, *restarts, *hangs, *backend, *in_flight, *latency,
		*port_latency, *app_lines, *served, *pairing, *analytics;
};

/* Line results, by enum line_kind. */
static const char *const line_results[] = {
	[LINE_NOT_ACCESS] = "not_access",
	[LINE_REQUEST] = "request",
	[LINE_FAILURE] = "failure",
	[LINE_BAN] = "ban",
};

static const char *const backends[] = { "fentry", "kprobe", "tracepoint", "sock_diag", "none" };

/* The methods worth a label value of their own; anything else is "other" (bounded). */
static const char *method_label(const char *method)
{
	static const char *const known[] = { "GET",     "HEAD",    "POST",  "PUT",  "DELETE",
					     "PATCH",   "OPTIONS", "CONNECT", "TRACE" };
	size_t i;

	for (i = 0; method && i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(method, known[i]))
			return known[i];
	return METRICS_OTHER;
}

static const char *status_class(int status)
{
	static const char *const classes[] = { "1xx", "2xx", "3xx", "4xx", "5xx" };

	return status >= 100 && status <= 599 ? classes[status / 100 - 1] : METRICS_OTHER;
}

#define L(...) ((const char *const[]){ __VA_ARGS__, NULL })

struct warden_metrics *wmetrics__new(void)
{
	/* Prometheus' default buckets: web request latencies from 5 ms to 10 s. */
	static const double latency_bounds[] = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
						 0.5,   1,    2.5,   5,    10 };
	double port_bounds[WMETRICS_PORT_BUCKETS - 1];
	struct warden_metrics *m = calloc(1, sizeof(*m));
	struct metrics *r;
	size_t i;

	if (!m)
		return NULL;
	/* Bucket i of the watcher ends at 2^(i+1) us; the last one is the +Inf bucket. */
	for (i = 0; i < WMETRICS_PORT_BUCKETS - 1; i++)
		port_bounds[i] = (double)(1ULL << (i + 1)) * 1e-6;
	r = m->reg = metrics__new("warden_");
	if (!r)
		goto fail;
	m->build_info = metrics__gauge(r, "warden_build_info",
				       "warden's version; the value is always 1.", L("version"));
	m->child_up = metrics__gauge(r, "warden_child_up", "Whether the app (warden's child) is running: 1 or 0.", NULL);
	m->restarts = metrics__counter(r, "warden_child_restarts_total",
				       "Restarts of the app since warden started.", NULL);
	m->hangs = metrics__counter(r, "warden_hangs_total",
				    "Times the app was found hung since warden started.", NULL);
	m->requests = metrics__counter(r, "warden_http_requests_total",
				       "Requests in the app's access log, by matched route rule "
				       "(unknown: none matched), method and status class.",
				       L("route", "method", "status_class"));
	m->lines = metrics__counter(r, "warden_log_lines_total",
				    "Lines of the app's output, by what they turned out to be.",
				    L("result"));
	m->failures = metrics__counter(r, "warden_failures_total",
				       "Requests counted as failures of their client, by kind.",
				       L("kind"));
	m->bans = metrics__counter(r, "warden_bans_total", "Bans made, by where they came from.",
				   L("source"));
	m->bans_active = metrics__gauge(r, "warden_bans_active",
					"Bans stored in the pinned maps, by kind (expired ones "
					"until the next sweep).",
					L("kind"));
	m->allowlist = metrics__gauge(r, "warden_allowlist_entries",
				      "Addresses and prefixes in the allowlist.", NULL);
	m->xdp = metrics__counter(r, "warden_xdp_packets_total",
				  "Packets seen by the XDP ban program, by verdict.", L("verdict"));
	m->backend = metrics__gauge(r, "warden_watcher_backend",
				    "The request watcher's backend: 1 for the one in use.",
				    L("backend"));
	m->in_flight = metrics__gauge(r, "warden_requests_in_flight",
				      "Requests the app has read and not answered yet.", NULL);
	m->latency = metrics__histogram(r, "warden_request_duration_seconds",
					"Time from the app reading a request to its first byte of "
					"answer, by route.",
					L("route"), latency_bounds,
					sizeof(latency_bounds) / sizeof(latency_bounds[0]));
	m->port_latency = metrics__histogram(r, "warden_port_request_duration_seconds",
					     "Time from the app reading a request to its first "
					     "byte of answer, by listening port (kernel histogram).",
					     L("port"), port_bounds, WMETRICS_PORT_BUCKETS - 1);
	m->served = metrics__counter(r, "warden_app_served_unlearned_total",
				     "Requests on URLs (or methods) the learned routes do not have "
				     "but the app served (not 404/405), so not failures, by "
				     "rule-shaped path (\"other\" past the first 64).",
				     L("path"));
	if (!m->served)
		goto fail;
	metrics__set_max_series(m->served, JAIL_SERVED_MAX + 1);
	m->app_lines = metrics__counter(r, "warden_app_lines_total",
					"Lines of each app's logs (warden watch's [app NAME] sections and "
					"fail2ban jails; (unclaimed): logs none claims), by what they "
					"turned out to be for it.",
					L("app", "result"));
	m->pairing = metrics__counter(r, "warden_analytics_pairing_total",
				      "Log lines and watcher latencies paired by the analytics, by "
				      "outcome: paired, line_alone (recorded without a latency), "
				      "line_overflow (of them: pushed out of the full ring), "
				      "latency_lost, latency_overflow (of them: pushed out).",
				      L("outcome"));
	m->analytics = metrics__counter(r, "warden_analytics_records_total",
					"Requests each app's analytics recorded, and records dropped "
					"beyond their memory bounds, by app (warden watch's [app NAME] "
					"sections; (unclaimed): logs no app claims) and outcome.",
					L("app", "outcome"));
	if (!m->analytics || !m->app_lines || !m->build_info || !m->child_up || !m->restarts || !m->hangs || !m->requests ||
	    !m->lines || !m->failures || !m->bans || !m->bans_active || !m->allowlist || !m->xdp ||
	    !m->backend || !m->in_flight || !m->latency || !m->port_latency || !m->pairing)
		goto fail;

	/* Every bounded label value shows from the start, at zero: rates need a first sample. */
	metrics__set(m->build_info, L(WARDEN_VERSION), 1);
	for (i = 0; i < sizeof(line_results) / sizeof(line_results[0]); i++)
		metrics__add(m->lines, L(line_results[i]), 0);
	for (i = FAIL_NONE + 1; i < FAIL__COUNT; i++)
		metrics__add(m->failures, L(failure_kind__name(i)), 0);
	metrics__add(m->bans, L("detector"), 0);
	wmetrics__set_bans(m, &(struct banmap_sizes){ 0 });
	wmetrics__set_xdp(m, &(struct xdp_counters){ 0 });
	wmetrics__set_watcher(m, NULL, 0);
	wmetrics__set_pairing(m, 0, 0, 0, 0, 0);
	return m;
fail:
	wmetrics__free(m);
	errno = ENOMEM;
	return NULL;
}

void wmetrics__set_analytics(struct warden_metrics *m, const char *app, uint64_t recorded,
			     uint64_t dropped)
{
	if (!m)
		return;
	metrics__set(m->analytics, L(app, "recorded"), (double)recorded);
	metrics__set(m->analytics, L(app, "dropped"), (double)dropped);
}

void wmetrics__set_pairing(struct warden_metrics *m, uint64_t paired, uint64_t unpaired,
			   uint64_t overflow_lines, uint64_t lost_latencies,
			   uint64_t overflow_latencies)
{
	if (!m)
		return;
	metrics__set(m->pairing, L("paired"), (double)paired);
	metrics__set(m->pairing, L("line_alone"), (double)unpaired);
	metrics__set(m->pairing, L("line_overflow"), (double)overflow_lines);
	metrics__set(m->pairing, L("latency_lost"), (double)lost_latencies);
	metrics__set(m->pairing, L("latency_overflow"), (double)overflow_latencies);
}

void wmetrics__free(struct warden_metrics *m)
{
	if (!m)
		return;
	metrics__free(m->reg);
	free(m);
}

void wmetrics__line(struct warden_metrics *m, const struct line_event *ev)
{
	const char *route;

	if (!m || !ev || ev->kind > LINE_BAN)
		return;
	metrics__add(m->lines, L(line_results[ev->kind]), 1);
	if (ev->kind == LINE_NOT_ACCESS)
		return;
	/* Rules, never raw paths: the label set stays as small as the app's url_map. */
	route = ev->rule && ev->verdict != ROUTE_UNKNOWN ? ev->rule : "unknown";
	metrics__add(m->requests,
		     L(route, ev->access.http ? method_label(ev->access.method) : METRICS_OTHER,
		       status_class(ev->access.status)),
		     1);
	if (ev->app_served)
		metrics__add(m->served, L(ev->served_path ? ev->served_path : METRICS_OTHER), 1);
	if (ev->kind == LINE_FAILURE || ev->kind == LINE_BAN)
		metrics__add(m->failures, L(failure_kind__name(ev->failure)), 1);
	if (ev->kind == LINE_BAN)
		metrics__add(m->bans, L("detector"), 1);
}

void wmetrics__app_line(struct warden_metrics *m, const char *app, const struct line_event *ev)
{
	if (m && ev && ev->kind <= LINE_BAN)
		metrics__add(m->app_lines, L(app, line_results[ev->kind]), 1);
}

void wmetrics__ban(struct warden_metrics *m, const char *source)
{
	if (m)
		metrics__add(m->bans, L(source ? source : "unknown"), 1);
}

void wmetrics__set_child(struct warden_metrics *m, bool up, uint64_t restarts, uint64_t hangs)
{
	if (!m)
		return;
	metrics__set(m->child_up, NULL, up ? 1 : 0);
	metrics__set(m->restarts, NULL, (double)restarts);
	metrics__set(m->hangs, NULL, (double)hangs);
}

void wmetrics__set_bans(struct warden_metrics *m, const struct banmap_sizes *s)
{
	if (!m || !s)
		return;
	metrics__set(m->bans_active, L("exact4"), (double)s->exact4);
	metrics__set(m->bans_active, L("exact6"), (double)s->exact6);
	metrics__set(m->bans_active, L("prefix4"), (double)s->prefix4);
	metrics__set(m->bans_active, L("prefix6"), (double)s->prefix6);
	metrics__set(m->allowlist, NULL, (double)s->allow);
}

void wmetrics__set_xdp(struct warden_metrics *m, const struct xdp_counters *c)
{
	size_t i;

	if (!m || !c)
		return;
	/* Every verdict the program has, named as warden stats names them. */
	for (i = 0; i < XDP_VERDICTS; i++)
		metrics__set(m->xdp, L(xdp_verdicts[i].name), (double)xdp_counters__get(c, i));
}

void wmetrics__set_watcher(struct warden_metrics *m, const char *backend, uint32_t in_flight)
{
	const char *in_use = backend && *backend ? backend : "none";
	size_t i;
	bool known = false;

	if (!m)
		return;
	for (i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
		known |= !strcmp(backends[i], in_use);
		metrics__set(m->backend, L(backends[i]), !strcmp(backends[i], in_use));
	}
	if (!known)
		metrics__set(m->backend, L(in_use), 1);
	metrics__set(m->in_flight, NULL, in_flight);
}

void wmetrics__observe_latency(struct warden_metrics *m, const char *route, double seconds)
{
	if (m)
		metrics__observe(m->latency, L(route ? route : "unknown"), seconds);
}

void wmetrics__set_port_histogram(struct warden_metrics *m, uint16_t port, const uint64_t *buckets,
				  size_t n, uint64_t sum_ns)
{
	char name[8];

	if (!m || n != WMETRICS_PORT_BUCKETS)
		return;
	snprintf(name, sizeof(name), "%u", port);
	metrics__set_histogram(m->port_latency, L(name), buckets, n, (double)sum_ns / 1e9);
}

struct metrics *wmetrics__registry(struct warden_metrics *m)
{
	return m ? m->reg : NULL;
}

char *wmetrics__render(struct warden_metrics *m, size_t *len)
{
	if (!m) {
		errno = EINVAL;
		return NULL;
	}
	return metrics__render(m->reg, len);
}
