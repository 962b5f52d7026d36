/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* detector.h - fail2ban's ban decisions: failures in a sliding window, escalating bans. */
#ifndef WARDEN_DETECTOR_H
#define WARDEN_DETECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

/*
 * Pure logic: no I/O, no BPF, no clock. Every call that needs the time takes
 * now_ns (CLOCK_BOOTTIME ns, time__boot_ns()), so tests drive time. Not
 * thread-safe: one event loop owns a detector.
 *
 * Memory is bounded by max_tracked entries of about 160 + 8 * maxretry bytes
 * (with the defaults, 1,000,000 clients take about 200 MB at the worst).
 * Each failure costs O(1): a SipHash, a short chain, list moves (~0.7 us
 * with a million clients tracked).
 */

/* Limits shared with the configuration (config.c). */
#define DETECTOR_MAXRETRY_MAX 1000       /* the ring of timestamps is maxretry long */
#define DETECTOR_TRACKED_MAX 100000000U
#define DETECTOR_FACTOR_MAX 1e6

struct detector_opts {
	uint32_t maxretry;      /* failures within findtime that trigger a ban (fail2ban default 5) */
	uint64_t findtime_ns;   /* the sliding window, default 10m */
	uint64_t bantime_ns;    /* default 10m; > 0 unless bantime_permanent */
	bool bantime_permanent; /* fail2ban's negative bantime: bans never end */
	bool increment;         /* fail2ban bantime.increment: repeat offenders get longer bans */
	double factor;          /* bantime.factor, default 1, > 0 */
	uint64_t maxtime_ns;    /* bantime.maxtime: cap of incremented bans, 0 = no cap */
	uint8_t ipv6_prefix;    /* IPv6 offenders are tracked and banned by this prefix, default 64 */
	uint32_t max_tracked;   /* bound on tracked clients, default 1,000,000 */
};

/* fail2ban's defaults, plus ipv6_prefix 64 and max_tracked 1,000,000. */
void detector_opts__defaults(struct detector_opts *o);

/*
 * The one validation of detector options, shared with config__check().
 * Returns 0, or -EINVAL with a reason in err (if given).
 */
int detector_opts__validate(const struct detector_opts *o, char *err, size_t errlen);

struct detector;

/*
 * Options are copied (NULL: the defaults). Loopback (127.0.0.0/8, ::1, and
 * the unspecified 0.0.0.0 and ::) and the host's own addresses are ignored
 * from the start. Returns NULL with errno set (EINVAL for bad options).
 */
struct detector *detector__new(const struct detector_opts *o);
void detector__free(struct detector *d); /* accepts NULL */

/*
 * ignoreip: an address or prefix that is never banned. If the /ipv6_prefix of
 * an IPv6 client would cover an ignored address, that client is tracked and
 * banned by its own address instead, so that a ban never hits an ignored host.
 * Add ignores before the first failure. Returns 0 or -errno.
 */
int detector__ignore(struct detector *d, const struct prefix *p);

/* Whether client (an address or a prefix) lies inside an ignored prefix. */
bool detector__is_ignored(const struct detector *d, const struct prefix *client);

struct ban_decision {
	struct prefix target; /* what to ban: the address, or its /ipv6_prefix for IPv6 */
	uint64_t duration_ns; /* 0 with permanent=true means forever */
	bool permanent;
	uint32_t offences;    /* how many times this target has been banned, this one included */
	char reason[104];     /* "5 failures in 10m0s: /admin /.env": printable ASCII, NUL-terminated */
};

/*
 * Record one failure of client (a single address) at now_ns, caused by the
 * URL url (url_len bytes, not NUL-terminated, any bytes; url may be NULL when
 * url_len is 0). Returns 1 and fills *out when this failure triggers a ban,
 * 0 when not (yet), -EINVAL for bad arguments, -ENOMEM.
 *
 * - Ignored clients return 0 and are not tracked.
 * - A ban happens when maxretry failures fall within findtime (inclusive:
 *   a failure exactly findtime old still counts), then the client's failures
 *   are forgotten: the count restarts, as in fail2ban.
 * - While the detector's last ban of a target lasts (until now_ns +
 *   duration_ns, or forever), failures of that target are counted in the
 *   stats but neither recorded nor able to ban again: they are requests that
 *   were in flight before the XDP program started dropping. Once the ban has
 *   expired, maxretry new failures within findtime ban again, with
 *   offences + 1.
 * - now_ns is expected not to go backwards; an earlier value is taken as
 *   the latest one seen.
 */
int detector__failure(struct detector *d, const struct prefix *client, const char *url,
		      size_t url_len, uint64_t now_ns, struct ban_decision *out);

/*
 * A ban the detector decided was lifted early (unban) or failed to apply:
 * the target is no longer considered banned, that ban's offence is taken
 * back and its failure window restarts. Call it for a live or failed ban
 * only. target may be the client address or the ban target.
 */
void detector__forget_ban(struct detector *d, const struct prefix *target);

/* Drop everything the detector knows about target (offences included). */
void detector__forget(struct detector *d, const struct prefix *target);

/*
 * Seed the offence count of a target (restored from the kernel's reason map
 * at start) so that escalation survives restarts. The target must have the
 * shape of a detector ban: an IPv4 address, or an IPv6 prefix at least
 * ipv6_prefix long (an address counts for the key its failures go to, a
 * longer prefix is taken as its /ipv6_prefix). Other shapes (a manual ban
 * of 192.0.2.0/24, say) and ignored targets give -EINVAL: the detector never
 * decides those. Returns 0 or -errno.
 */
int detector__set_offences(struct detector *d, const struct prefix *target, uint32_t offences);

/*
 * Same, and also tell the detector that target is banned until until_ns
 * (CLOCK_BOOTTIME), or forever if permanent, so that it is not banned again
 * while that ban lasts. until_ns 0 and permanent false: not banned.
 */
int detector__restore_ban(struct detector *d, const struct prefix *target, uint32_t offences,
			  uint64_t until_ns, bool permanent);

/*
 * The ban length for the n-th offence (n >= 1) under these options; see
 * detector.c for how it relates to fail2ban's bantime.formula. 0 when the
 * bans are permanent.
 */
uint64_t detector__ban_duration(const struct detector_opts *o, uint32_t offences);

/* Entries currently tracked: clients with failures, and targets with ban history. */
size_t detector__tracked(const struct detector *d);

struct detector_stats {
	uint64_t failures; /* failures of clients not ignored, while banned included */
	uint64_t bans;     /* ban decisions returned */
	uint64_t ignored;  /* failures of ignored clients */
	uint64_t evicted;  /* entries dropped to stay within max_tracked */
	uint64_t expired;  /* entries dropped because nothing in them mattered any more */
};
void detector__stats(const struct detector *d, struct detector_stats *out);

#endif
