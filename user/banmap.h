/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* banmap.h - the pinned ban maps: add, remove, list and expire bans, the allowlist. */
#ifndef WARDEN_BANMAP_H
#define WARDEN_BANMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "warden.h"
#include "addr.h"

struct banmap;

enum banmap_open {
	BANMAP_EXISTING, /* the maps must be pinned already (-ENOENT if not) */
	BANMAP_CREATE,   /* create and pin them if they are not there */
};

/*
 * Open the maps pinned under pin_path. With BANMAP_CREATE, bpffs is
 * mounted if needed and missing maps are created and pinned. NULL with
 * errno set on failure (the reason is logged). Caller owns the result.
 */
struct banmap *banmap__open(const char *pin_path, enum banmap_open how);
void banmap__close(struct banmap *bm); /* accepts NULL */

/* Everything known of one ban. */
struct ban_info {
	struct prefix target;
	uint64_t expires_ns; /* CLOCK_BOOTTIME; 0 = permanent */
	uint64_t created_ns;
	uint64_t drops;
	uint64_t last_drop_ns;
	uint32_t offences;
	uint32_t source; /* enum ban_source, 0 when no reason was stored */
	char reason[WARDEN_REASON_LEN];
};

/*
 * Why target may not be banned: it overlaps loopback, the host's own
 * addresses or the allowlist. Returns 1 with the reason in why, or 0.
 */
int banmap__refusal(struct banmap *bm, const struct prefix *target, char *why, size_t len);

/*
 * Ban target until expires_ns (0 = permanent). An existing ban of the same
 * target keeps its drop counters and gets the new expiry. reason may be
 * NULL. Does not check banmap__refusal(): callers decide. 0 or -errno.
 */
int banmap__ban(struct banmap *bm, const struct prefix *target, uint64_t expires_ns,
		const char *reason, enum ban_source source, uint32_t offences);

/*
 * Ban many targets at once (batched map updates where the kernel allows).
 * Either all are applied or, on a kernel error, as many as it reports.
 * reason may be NULL (then no reason entries are written).
 */
int banmap__ban_many(struct banmap *bm, const struct prefix *targets, size_t n,
		     uint64_t expires_ns, const char *reason, enum ban_source source);

/* One ban of banmap__ban_entries(): each with its own expiry and reason. */
struct ban_entry {
	struct prefix target;
	uint64_t expires_ns; /* CLOCK_BOOTTIME; 0 = permanent */
	uint32_t offences;
	uint32_t source;     /* enum ban_source */
	char reason[WARDEN_REASON_LEN]; /* "" = none */
};

/*
 * Ban each of bans[0..n) as banmap__ban() would (restoring a snapshot),
 * under one lock of the pin folder, exact bans in one batched update per
 * map. Does not check banmap__refusal(). 0, or -errno: on a kernel error
 * the bans before the failing one may be in.
 */
int banmap__ban_entries(struct banmap *bm, const struct ban_entry *bans, size_t n);

/*
 * banmap__ban_entries() that never shortens a ban: a live ban of the same
 * target lasting as long or longer is left as it is; a shorter one is
 * lengthened and keeps its source (a local ban lengthened stays local).
 * *written: how many were written (0 on error).
 */
int banmap__ban_entries_longer(struct banmap *bm, const struct ban_entry *bans, size_t n,
			       size_t *written);

/* Lift a ban: 0, or -ENOENT if there was none. */
int banmap__unban(struct banmap *bm, const struct prefix *target);

/* Read one ban: 0, or -ENOENT. */
int banmap__get(struct banmap *bm, const struct prefix *target, struct ban_info *out);

/* Allowlist: 0 or -errno (-ENOENT when removing what is not there). */
int banmap__allow(struct banmap *bm, const struct prefix *p);
/* Same, but -EEXIST when exactly this prefix is already there (and nothing changes). */
int banmap__allow_new(struct banmap *bm, const struct prefix *p);
int banmap__unallow(struct banmap *bm, const struct prefix *p);
/* Whether the allowlist covers addr (longest match). */
bool banmap__is_allowed(struct banmap *bm, const struct prefix *addr);

/* Walk all bans (live and expired); stop early if cb returns non-zero. */
typedef int (*banmap_ban_cb)(const struct ban_info *ban, void *ctx);
int banmap__foreach_ban(struct banmap *bm, banmap_ban_cb cb, void *ctx);

typedef int (*banmap_allow_cb)(const struct prefix *p, const struct allow_value *v, void *ctx);
int banmap__foreach_allow(struct banmap *bm, banmap_allow_cb cb, void *ctx);

/* The XDP program's verdict counters, summed over CPUs. */
int banmap__counters(struct banmap *bm, struct xdp_counters *out);

/*
 * Every verdict of the XDP program, one per field of struct xdp_counters
 * in order: what warden stats, its JSON, the dashboard's API and /metrics
 * (warden_xdp_packets_total{verdict}) all show, so that they agree.
 */
struct xdp_verdict {
	const char *name; /* the field's name: the verdict label, the JSON key */
	const char *text; /* warden stats' line */
};
extern const struct xdp_verdict xdp_verdicts[];
#define XDP_VERDICTS (sizeof(struct xdp_counters) / sizeof(__u64))

/* The count of verdict i (below XDP_VERDICTS). */
static inline uint64_t xdp_counters__get(const struct xdp_counters *c, size_t i)
{
	return ((const __u64 *)c)[i];
}

/* Remove bans expired at now_ns. Sets *removed if given. 0 or -errno. */
int banmap__expire(struct banmap *bm, uint64_t now_ns, size_t *removed);

/* How many bans of each kind are stored (live or not). */
struct banmap_sizes {
	size_t exact4, exact6, prefix4, prefix6, allow;
};
int banmap__sizes(struct banmap *bm, struct banmap_sizes *out);

/* Whether a ban is live at now_ns. */
static inline bool ban_info__live(const struct ban_info *b, uint64_t now_ns)
{
	return b->expires_ns == 0 || now_ns < b->expires_ns;
}

const char *banmap__pin_path(const struct banmap *bm);

/*
 * The kernel's id of the exact-IPv4 ban map pinned now: new maps, new id
 * (ids are not reused soon). 0 when it cannot be read.
 */
uint32_t banmap__maps_id(const struct banmap *bm);

/* The name of a ban's BAN_SOURCE_*: "cli", "detector", "file", "fleet"; "" for none, else "unknown". */
const char *banmap__source_name(uint32_t source);

/*
 * Whether a layout migration of this process replaced the map with this id
 * by a new one: a program still using it is ours, on the previous maps
 * (even when the migration replaced every map it uses).
 */
bool banmap__replaced_map(__u32 map_id);

/*
 * A counter bumped by every change of the bans made through this handle
 * (ban, ban_many, ban_entries, unban, expire): a cheap "did anything
 * change" for writers of snapshots. Changes by other processes do not count.
 */
uint64_t banmap__generation(const struct banmap *bm);

#endif
