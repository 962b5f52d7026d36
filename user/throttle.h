/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* throttle.h - per-client throttling, load shedding and priority peers in the pinned maps. */
#ifndef WARDEN_THROTTLE_H
#define WARDEN_THROTTLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "warden.h"
#include "addr.h"

/*
 * The XDP program (bpf/xdp_ban.bpf.c) does the work; this module writes
 * what it reads: the global limits and flags in warden_settings, the
 * per-prefix limits (warden_thr4/6), the priority peers (warden_prio4/6),
 * and reads the known clients' buckets (warden_clients), everyone else's
 * (warden_sketch), the known clients (warden_known) and the throttle
 * events (warden_threvt). Writers take the
 * same lock on the pin folder as banmap.
 */

struct throttle;

/*
 * Open the throttle maps pinned under pin_path (created with the others by
 * banmap__open(BANMAP_CREATE) or warden attach). NULL with errno set:
 * ENOENT when they are not there (the reason is logged). Caller owns it.
 */
struct throttle *throttle__open(const char *pin_path);
void throttle__close(struct throttle *t); /* accepts NULL */

/* ---- rates ---- */

/*
 * Parse a rate: "N/s", "N/m" (or /min), "N/h", or a bare N per second.
 * "0", "off" and "none" mean no limit (interval 0). Sets *interval_ns (ns
 * between tokens) and, if burst is given, the default burst: the tokens of
 * one second, at least 1. Returns 0 or -EINVAL.
 */
int throttle__parse_rate(const char *text, uint64_t *interval_ns, uint32_t *burst);

/* "20/s", "3/m", "off"; an interval that is none of those as "%.3g/s". Returns buf. */
const char *throttle__format_rate(uint64_t interval_ns, char *buf, size_t len);

/* ---- limits ---- */

/* The global limits (zeros: none), read or replaced. 0 or -errno. */
int throttle__get_default(struct throttle *t, struct throttle_limits *out);
int throttle__set_default(struct throttle *t, const struct throttle_limits *l);

/* Per-prefix limits, exact prefix: set (replaces), get (-ENOENT), remove (-ENOENT). */
int throttle__set_rule(struct throttle *t, const struct prefix *p, const struct throttle_limits *l);
int throttle__get_rule(struct throttle *t, const struct prefix *p, struct throttle_limits *out);
int throttle__remove_rule(struct throttle *t, const struct prefix *p);

typedef int (*throttle_rule_cb)(const struct prefix *p, const struct throttle_limits *l, void *ctx);
/* Walk the per-prefix rules; stops early when cb returns non-zero (returned). */
int throttle__foreach_rule(struct throttle *t, throttle_rule_cb cb, void *ctx);

/* ---- settings ---- */

int throttle__settings(struct throttle *t, struct warden_settings *out);
/* IPv6 clients are keyed by this prefix length (1..128). 0 or -errno. */
int throttle__set_v6_prefix(struct throttle *t, unsigned int len);
/* How long a client stays known after its last established traffic (s, > 0). */
int throttle__set_known_for(struct throttle *t, uint32_t seconds);

/* Manual shedding (warden shed on|off): holds until cleared. 0 or -errno. */
int throttle__shed(struct throttle *t, bool on);

/*
 * Automatic shedding, for warden run: reasons is WARDEN_SHED_HUNG and/or
 * WARDEN_SHED_BACKLOG (0: none any more), holding until until_ns
 * (CLOCK_BOOTTIME). Call it at every check (each second, say) with the
 * current state and until_ns a few seconds ahead: if warden dies, the
 * kernel stops shedding at until_ns by itself. The manual reason is left
 * alone. Writes the map only when something changes or the deadline is
 * less than half its length away. 0 or -errno.
 */
int throttle__shed_auto(struct throttle *t, uint32_t reasons, uint64_t until_ns);

/* Whether the host sheds at now_ns, and why (WARDEN_SHED_* in *reasons, may be NULL). */
bool throttle__shedding(struct throttle *t, uint64_t now_ns, uint32_t *reasons);

/*
 * Keep the clients' history (who is known) even when no limit is set, so
 * that shedding has it when it starts. Throttling keeps it anyway.
 */
int throttle__learn(struct throttle *t, bool on);

/* ---- priority peers ---- */

/* Add (0, also when present) or remove (-ENOENT) a priority prefix. */
int throttle__priority_add(struct throttle *t, const struct prefix *p);
int throttle__priority_remove(struct throttle *t, const struct prefix *p);
/* Whether a priority prefix covers addr (longest match). */
bool throttle__priority_covers(struct throttle *t, const struct prefix *addr);
/* Whether exactly this prefix is a priority entry. */
bool throttle__priority_has(struct throttle *t, const struct prefix *p);

typedef int (*throttle_prio_cb)(const struct prefix *p, const struct priority_value *v, void *ctx);
int throttle__foreach_priority(struct throttle *t, throttle_prio_cb cb, void *ctx);

/* ---- clients ---- */

/* The key of the client that addr (a single address) belongs to. */
void throttle__client_key(const struct prefix *addr, unsigned int v6_prefix,
			  struct throttle_key *out);

/* The client as a prefix: the address, or the IPv6 /v6_prefix. */
void throttle__client_prefix(const struct prefix *addr, unsigned int v6_prefix,
			     struct prefix *out);

/*
 * Read the exact buckets of addr's client: 0, or -ENOENT when it has none
 * (it is not known: the sketch counts it, see throttle__sketch()).
 */
int throttle__client(struct throttle *t, const struct prefix *addr, struct throttle_state *out);

/* What the sketch holds for addr's client: the minimum of its cells. 0 or -errno. */
int throttle__sketch(struct throttle *t, const struct prefix *addr, struct sketch_cell *out);

/*
 * Mark addr's client as known at now_ns (CLOCK_BOOTTIME), as the XDP
 * program does when it sees an established connection, and give it exact
 * buckets. For warden run: a client whose request reached the app's log is
 * certainly real.
 */
int throttle__mark_known(struct throttle *t, const struct prefix *addr, uint64_t now_ns);

/* How many clients are tracked and known (walks the maps: for tools, not hot paths). */
int throttle__count_clients(struct throttle *t, size_t *clients, size_t *known);

/* ---- throttle events (escalation in warden run) ---- */

/* A client that hit its throttle, as the XDP program reported it. */
struct throttle_hit {
	struct prefix client;  /* the IPv4 address, or the IPv6 /v6_client_prefix */
	struct prefix addr;    /* one address of it (the first), for detector__failure() */
	enum throttle_kind kind;
	uint64_t time_ns;      /* CLOCK_BOOTTIME of the drop */
	uint32_t throttled;    /* its drops so far (low 32 bits) */
};

typedef void (*throttle_hit_cb)(const struct throttle_hit *hit, void *ctx);

/*
 * Start reading the events (one reader per pin path: the ring is shared).
 * cb is called from throttle__events_poll(). 0 or -errno.
 */
int throttle__events_open(struct throttle *t, throttle_hit_cb cb, void *ctx);
/* An fd that is readable (EPOLLIN) when events wait; -1 if not open. */
int throttle__events_fd(const struct throttle *t);
/* Hand every waiting event to cb, never blocking. The count, or -errno. */
int throttle__events_poll(struct throttle *t);

#endif
