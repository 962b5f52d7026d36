/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* warden_metrics.h - warden's own Prometheus metrics (every name under warden_), fed from the event loop. */
#ifndef WARDEN_WARDEN_METRICS_H
#define WARDEN_WARDEN_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "banmap.h"
#include "jail.h"
#include "metrics.h"

/*
 * The families (all rendered with HELP and TYPE):
 *   warden_build_info{version}                               gauge, 1
 *   warden_http_requests_total{route,method,status_class}    counter, from access lines
 *       route: the matched rule ("/items/<int:item_id>"), "unknown" when no rule
 *              matched (or none was learned); method: GET, HEAD, POST, PUT, DELETE,
 *              PATCH, OPTIONS, CONNECT, TRACE or "other"; status_class "1xx".."5xx"
 *              or "other"
 *   warden_log_lines_total{result}      counter: request, failure, ban, not_access
 *   warden_failures_total{kind}         counter: unknown_url, bad_method, status,
 *                                       not_http, malformed (failure_kind__name)
 *   warden_app_served_unlearned_total{path}  counter: unknown URL or method that the
 *                                       app served (not 404/405), by rule-shaped path
 *                                       (jail's JAIL_SERVED_MAX, then "other")
 *   warden_bans_total{source}           counter: detector (from LINE_BAN lines), or
 *                                       what wmetrics__ban() is given
 *   warden_bans_active{kind}            gauge: exact4, exact6, prefix4, prefix6
 *   warden_allowlist_entries            gauge
 *   warden_xdp_packets_total{verdict}   counter: every verdict of the XDP program
 *                                       (xdp_verdicts in banmap.h: passed, dropped_exact,
 *                                       dropped_prefix, passed_allow, passed_expired, unparsed,
 *                                       non_ip, dropped_throttle_conn, dropped_throttle_pkt,
 *                                       dropped_shed, passed_priority, passed_known)
 *   warden_child_up                     gauge 0/1
 *   warden_child_restarts_total         counter
 *   warden_hangs_total                  counter
 *   warden_watcher_backend{backend}     gauge: 1 for the backend in use (fentry, kprobe,
 *                                       tracepoint, sock_diag, or none), 0 for the others
 *   warden_requests_in_flight           gauge
 *   warden_request_duration_seconds{route}      histogram (0.005 .. 10 s)
 *   warden_port_request_duration_seconds{port}  histogram, the watcher's log2 buckets
 *   warden_analytics_records_total{app,outcome}  counter: recorded, dropped, per app
 *   warden_metrics_series_folded_total{family}  counter, once a family hit its cap
 * Routes come from the app's source, so the route label is bounded by the
 * number of rules (and capped at METRICS_DEFAULT_MAX_SERIES anyway).
 */

/* The watcher's histogram: bucket i holds [2^i, 2^(i+1)) microseconds, the last is open. */
#define WMETRICS_PORT_BUCKETS 32

struct warden_metrics;

/* All families, at their zero values. NULL with errno set; the caller owns it. */
struct warden_metrics *wmetrics__new(void);
void wmetrics__free(struct warden_metrics *m); /* accepts NULL */

/* One line of the app's output as the jail saw it (jail__line's ev). Counts a LINE_BAN in
 * warden_bans_total{source="detector"}: do not call wmetrics__ban() for those too. */
void wmetrics__line(struct warden_metrics *m, const struct line_event *ev);

/* A ban made some other way; source e.g. "cli", "file". */
void wmetrics__ban(struct warden_metrics *m, const char *source);

/* The same line again by app (warden watch's [app NAME] sections): warden_app_lines_total. */
void wmetrics__app_line(struct warden_metrics *m, const char *app, const struct line_event *ev);

/* The supervisor's view: whether the app runs, its restarts and the hangs detected so far. */
void wmetrics__set_child(struct warden_metrics *m, bool up, uint64_t restarts, uint64_t hangs);

/* The bans stored now (banmap__sizes: it reads every key, so call it from a slow timer). */
void wmetrics__set_bans(struct warden_metrics *m, const struct banmap_sizes *sizes);

/* The XDP program's verdict counters (banmap__counters: one map lookup, cheap). */
void wmetrics__set_xdp(struct warden_metrics *m, const struct xdp_counters *c);

/* The watcher's backend name (NULL: none) and its requests in flight. */
void wmetrics__set_watcher(struct warden_metrics *m, const char *backend, uint32_t in_flight);

/*
 * How the analytics paired log lines with the watcher's latencies, since
 * warden started (analytics_stats): paired, recorded without a latency
 * (of them: pushed out of the full ring), latencies lost (of them: pushed out).
 */
void wmetrics__set_pairing(struct warden_metrics *m, uint64_t paired, uint64_t unpaired,
			   uint64_t overflow_lines, uint64_t lost_latencies,
			   uint64_t overflow_latencies);

/*
 * An app's analytics (analytics_stats): requests recorded and records
 * dropped beyond the bounds, since warden started; app "" when warden judges
 * one app. warden_analytics_records_total{app,outcome}.
 */
void wmetrics__set_analytics(struct warden_metrics *m, const char *app, uint64_t recorded,
			     uint64_t dropped);

/* One request's latency, by route (NULL: "unknown"). */
void wmetrics__observe_latency(struct warden_metrics *m, const char *route, double seconds);

/*
 * The watcher's histogram of one listening port (watcher__histogram): n
 * must be WMETRICS_PORT_BUCKETS, bucket i holding [2^i, 2^(i+1)) us, the
 * last one open-ended. Replaces what was there for that port.
 */
void wmetrics__set_port_histogram(struct warden_metrics *m, uint16_t port, const uint64_t *buckets,
				  size_t n, uint64_t sum_ns);

/* The registry underneath, for families added by other modules. */
struct metrics *wmetrics__registry(struct warden_metrics *m);

/* Everything in the Prometheus text format (METRICS_CONTENT_TYPE); malloc'd, the caller frees. */
char *wmetrics__render(struct warden_metrics *m, size_t *len);

#endif
