// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* runner_limits.c - warden run's limits at XDP: throttling, priority peers, escalation, shedding, names. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "banmap.h"
#include "detector.h"
#include "jail.h"
#include "log.h"
#include "loop.h"
#include "mapsize.h"
#include "resolve.h"
#include "runner_int.h"
#include "throttle.h"
#include "timeutil.h"

#define SHED_HOLD_NS (5 * NSEC_PER_SEC) /* automatic shedding lapses in the kernel after this */

/* A client that kept hitting its throttle is banned as a failure source would be. */
static void on_throttled(const struct throttle_hit *hit, void *arg)
{
	struct runner *r = arg;
	struct banmap *bm = agent__banmap(r->agent);
	struct ban_decision d;
	char target[PREFIX_STRLEN], why[256], dur[32];
	uint64_t expires;

	if (!r->throttle_detector || !bm)
		return;
	if (detector__failure(r->throttle_detector, &hit->addr, "(throttled)", 11, hit->time_ns,
			      &d) != 1)
		return;
	prefix__format(&d.target, target, sizeof(target));
	if (banmap__refusal(bm, &d.target, why, sizeof(why))) {
		detector__forget_ban(r->throttle_detector, &d.target);
		pr_info("not banning %s: %s", target, why);
		return;
	}
	snprintf(d.reason, sizeof(d.reason), "throttled in %u separate seconds within %s",
		 r->cfg->throttle_maxretry,
		 time__format_duration(r->cfg->jail.findtime_ns, dur, sizeof(dur)));
	expires = d.permanent ? 0 : hit->time_ns + d.duration_ns;
	if (banmap__ban(bm, &d.target, expires, d.reason, BAN_SOURCE_DETECTOR, d.offences))
		return;
	pr_info("banned %s for %s (offence %u): %s", target,
		d.permanent ? "ever" : time__format_duration(d.duration_ns, dur, sizeof(dur)),
		d.offences, d.reason);
	agent__ban_applied(r->agent, &d.target, expires, d.reason);
}

/* What the names of ignoreip and priority resolve to, as it changes. */
static void on_resolved(void *arg, const struct prefix *addr, unsigned int purpose, bool added,
			const char *entry)
{
	struct runner *r = arg;
	char a[PREFIX_STRLEN];

	(void)entry;
	prefix__format(addr, a, sizeof(a));
	if (purpose != RESOLVE_PRIORITY || !r->throttle)
		return;
	if (added) {
		/* Priority implies the allowlist; remove later only what we added. */
		if (banmap__allow_new(agent__banmap(r->agent), addr) == 0)
			pr_debug("allowed %s (priority peer %s)", a, entry);
		throttle__priority_add(r->throttle, addr);
	} else {
		throttle__priority_remove(r->throttle, addr);
		banmap__unallow(agent__banmap(r->agent), addr);
	}
}

static bool name_ignored(void *arg, const struct prefix *client)
{
	struct runner *r = arg;

	return r->resolver && resolver__covers(r->resolver, client, RESOLVE_IGNORE);
}

static void arm_resolve_timer(struct runner *r)
{
	int64_t ms = resolver__due_ms(r->resolver, time__mono_ns());

	if (ms < 0)
		return;
	loop__timer_arm(r->resolve_timer, (uint64_t)(ms ? ms : 1) * NSEC_PER_MSEC, 0);
}

/* The resolver is due, or its answers came. */
static void on_resolve_due(void *ctx)
{
	struct runner *r = ctx;

	resolver__refresh(r->resolver, time__mono_ns(), on_resolved, r);
	arm_resolve_timer(r);
}

static void on_resolver_fd(void *ctx, int fd, uint32_t events)
{
	(void)fd;
	(void)events;
	on_resolve_due(ctx);
}

static void on_throttle_events(void *ctx, int fd, uint32_t events)
{
	struct runner *r = ctx;

	(void)fd;
	(void)events;
	throttle__events_poll(r->throttle);
}

static void open_resolver(struct runner *r)
{
	struct resolver_opts o = { .interval_ns = r->cfg->resolve_interval_ns };
	int i;

	if (!r->cfg->n_ignore_names && !r->cfg->n_priority_names)
		return;
	r->resolver = resolver__new(&o);
	if (!r->resolver) {
		pr_warn("cannot resolve host names: %s", strerror(errno));
		return;
	}
	for (i = 0; i < r->cfg->n_ignore_names; i++)
		resolver__add(r->resolver, r->cfg->ignore_names[i], RESOLVE_IGNORE);
	for (i = 0; i < r->cfg->n_priority_names; i++)
		resolver__add(r->resolver, r->cfg->priority_names[i], RESOLVE_PRIORITY);
	jail__set_ignored(agent__jail(r->agent, RUN_APP), name_ignored, r);
	r->resolve_timer = loop__add_timer(r->loop, CLOCK_MONOTONIC, on_resolve_due, r);
	if (resolver__fd(r->resolver) >= 0)
		loop__add_fd(r->loop, resolver__fd(r->resolver), EPOLLIN, on_resolver_fd, r);
	resolver__refresh(r->resolver, time__mono_ns(), on_resolved, r);
	arm_resolve_timer(r);
}

int limits__open(struct runner *r)
{
	const struct warden_config *c = r->cfg;
	struct banmap *bm = agent__banmap(r->agent);
	struct throttle_limits limits;
	struct detector_opts o;
	int i, grown = 0;

	open_resolver(r);
	if (!bm)
		return 0;
	r->throttle = throttle__open(c->pin_path);
	if (!r->throttle) {
		pr_warn("no throttling: %s", strerror(errno));
		return 0;
	}
	/* A previous run's automatic shedding must not outlive it. */
	throttle__shed_auto(r->throttle, 0, 0);
	throttle__set_v6_prefix(r->throttle, c->throttle_ipv6_prefix);
	config__throttle_limits(c, &limits);
	if (limits.conn_interval_ns || limits.pkt_interval_ns)
		throttle__set_default(r->throttle, &limits);
	for (i = 0; i < c->n_priority; i++) {
		banmap__allow_new(bm, &c->priority[i]);
		throttle__priority_add(r->throttle, &c->priority[i]);
	}
	/* Learn which clients have a history, so that shedding can spare them. */
	throttle__learn(r->throttle, true);
	/* That uses the throttle maps: full size from now on (mapsize.h), reopened. */
	if (mapsize__grow(c->pin_path, false, &grown) == 0 && grown) {
		throttle__close(r->throttle);
		r->throttle = throttle__open(c->pin_path);
		if (!r->throttle) {
			pr_warn("no throttling: %s", strerror(errno));
			return 0;
		}
	}

	if (c->throttle_maxretry) {
		o = c->jail;
		o.maxretry = c->throttle_maxretry;
		r->throttle_detector = detector__new(&o);
		for (i = 0; r->throttle_detector && i < c->n_ignore; i++)
			detector__ignore(r->throttle_detector, &c->ignore[i]);
		if (throttle__events_open(r->throttle, on_throttled, r) == 0 &&
		    throttle__events_fd(r->throttle) >= 0)
			loop__add_fd(r->loop, throttle__events_fd(r->throttle), EPOLLIN,
				     on_throttle_events, r);
	}
	return 0;
}

void limits__shed(struct runner *r, const struct app_pressure *p)
{
	/* A hung app is being restarted: that is the reason, whatever its queue says. */
	bool hung = p->hung, backlog = !p->hung && p->backlog;
	uint32_t reasons = (hung ? WARDEN_SHED_HUNG : 0) | (backlog ? WARDEN_SHED_BACKLOG : 0);

	if (!r->throttle)
		return;
	if (reasons != r->shed_reasons)
		pr_info(reasons ? "shedding load: new connections only from priority peers and known "
				  "clients (%s%s)" : "no longer shedding load%s%s",
			hung ? "the app hangs" : "", !hung && backlog ? "its accept queue backs up" : "");
	r->shed_reasons = reasons;
	throttle__shed_auto(r->throttle, reasons, reasons ? time__boot_ns() + SHED_HOLD_NS : 0);
}

void limits__close(struct runner *r)
{
	if (r->throttle) {
		loop__del_fd(r->loop, throttle__events_fd(r->throttle));
		throttle__shed_auto(r->throttle, 0, 0);
	}
	throttle__close(r->throttle);
	r->throttle = NULL;
	detector__free(r->throttle_detector);
	r->throttle_detector = NULL;
	if (r->resolver)
		loop__del_fd(r->loop, resolver__fd(r->resolver));
	resolver__free(r->resolver);
	r->resolver = NULL;
	loop__del_timer(r->loop, r->resolve_timer);
	r->resolve_timer = NULL;
}
