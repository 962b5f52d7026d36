/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* fleet_msg.h - the fleet's state in Redis: the URL, the messages, their checks, the scripts. */
#ifndef WARDEN_FLEET_MSG_H
#define WARDEN_FLEET_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "warden.h"

/*
 * What the fleet keeps in Redis, under a prefix P (fleet_prefix, "warden"):
 *   P:bans    sorted set: target ("192.0.2.7", "2001:db8::/48") -> expiry in
 *             Unix ms (+inf: permanent). The live bans.
 *   P:ban     hash: target -> "ORIGIN\nAT_MS\nREASON", the details of each.
 *   P:log     stream, bounded to about FLEET_STREAM_MAXLEN entries: every
 *             change, fields op (ban|unban), target, exp (Unix ms, 0 =
 *             permanent), origin, at (Unix ms it was decided), reason.
 * Every write goes through FLEET_SCRIPT (one Lua script, atomic): it removes
 * the expired entries it finds (so no agent is in charge of cleaning), then
 * changes the set, the hash and the stream together. Times are wall-clock
 * Unix ms, the only clock hosts share; each agent turns them into its own
 * CLOCK_BOOTTIME when it applies a ban.
 */

#define FLEET_STREAM_MAXLEN 100000  /* entries of P:log kept (about; XADD MAXLEN ~) */
#define FLEET_ORIGIN_LEN 64         /* a host's name in the fleet, NUL included */
#define FLEET_PREFIX_LEN 64         /* fleet_prefix, NUL included */
#define FLEET_DEFAULT_PORT 6379
#define FLEET_DEFAULT_PREFIX "warden"
#define FLEET_DEFAULT_RATE 600      /* bans per minute accepted from one origin */
#define FLEET_DEFAULT_MIN4 16       /* shortest IPv4 prefix accepted from the fleet */
#define FLEET_DEFAULT_MIN6 32       /* shortest IPv6 prefix accepted from the fleet */

/* redis://[USER:PASSWORD@]HOST[:PORT][/DB] */
struct fleet_url {
	char host[256];
	int port;
	int db;
	char user[128];     /* "" = the default user (AUTH PASSWORD) */
	char password[256]; /* "" = none (or from fleet_password_file) */
};

/* 0, or -EINVAL with a reason in err (which never shows the password). */
int fleet_url__parse(const char *text, struct fleet_url *out, char *err, size_t errlen);
/* text with the password replaced by "***", for messages and /z/health. Returns buf. */
const char *fleet_url__redact(const char *text, char *buf, size_t len);
/* The first line of path into url->password (blanks around it cut). 0 or -errno, reason in err. */
int fleet_url__read_password(struct fleet_url *url, const char *path, char *err, size_t errlen);

enum fleet_op { FLEET_BAN = 1, FLEET_UNBAN = 2 };

/* One change of the fleet's bans. */
struct fleet_msg {
	enum fleet_op op;
	struct prefix target;
	uint64_t exp_ms;                /* Unix ms; 0 = permanent (bans only) */
	uint64_t at_ms;                 /* Unix ms it was decided */
	char origin[FLEET_ORIGIN_LEN];  /* the host that decided it */
	char reason[WARDEN_REASON_LEN]; /* "" = none */
};

/* Why a message from the fleet was not applied (the label of the refused counter). */
enum fleet_refusal {
	FLEET_REFUSE_MALFORMED,    /* does not parse */
	FLEET_REFUSE_SHORT_PREFIX, /* shorter than fleet_min_prefix4/6 */
	FLEET_REFUSE_RATE,         /* its origin is over fleet_rate changes per minute */
	FLEET_REFUSE_LOCAL,        /* the allowlist, ignoreip, priority, loopback, own addresses */
	FLEET_REFUSE_STALE,        /* expired already, or older than the local ban it would lift */
	FLEET_REFUSE__COUNT,
};
const char *fleet_refusal__name(enum fleet_refusal r);

/*
 * A message from the fields of one stream entry (n names and values, not
 * NUL-terminated). 0, or -EINVAL with a reason in err: unknown op, missing
 * or repeated field, a target that is not an address or prefix, numbers
 * that do not parse, an origin or reason too long or with control bytes.
 */
int fleet_msg__parse(const char *const *names, const size_t *name_lens, const char *const *values,
		     const size_t *value_lens, size_t n, struct fleet_msg *out, char *err,
		     size_t errlen);

/* Whether the target is at least min4 (IPv4) or min6 (IPv6) bits long. */
bool fleet_msg__long_enough(const struct fleet_msg *m, int min4, int min6);

/* reason with control bytes turned into '?' and cut to fit (a valid message's reason). */
void fleet_msg__clean_text(const char *in, char *out, size_t size);

/*
 * The arguments of FLEET_SCRIPT for m: argv[0..14) ("EVAL", the script,
 * "3", the three keys, then op, target, exp, origin, at, reason, maxlen),
 * pointing into bufs (which must outlive them). Returns the count (14).
 */
struct fleet_args {
	char keys[3][FLEET_PREFIX_LEN + 8];
	char target[PREFIX_STRLEN], exp[24], at[24], maxlen[24];
	const char *argv[14];
	size_t lens[14];
};
int fleet_msg__script_args(const struct fleet_msg *m, const char *prefix, struct fleet_args *a);

/* The same for the "load" call: returns "continue" if last_id is still in the stream, else the live set. */
int fleet_msg__load_args(const char *prefix, const char *last_id, struct fleet_args *a);

/*
 * One origin may make at most rate changes a minute: a token bucket of
 * rate tokens per origin, refilled continuously. At most FLEET_RATE_ORIGINS
 * origins are tracked; beyond, the least recently seen is forgotten.
 */
#define FLEET_RATE_ORIGINS 1024
struct fleet_rate;
struct fleet_rate *fleet_rate__new(uint32_t per_minute); /* NULL with errno */
void fleet_rate__free(struct fleet_rate *r);               /* accepts NULL */
/* Whether origin may ban once more at now_ns (monotonic); takes a token if so. */
bool fleet_rate__allow(struct fleet_rate *r, const char *origin, uint64_t now_ns);

/*
 * warden ban/unban --fleet: publish n messages once, synchronously (a
 * command, not the agent's loop), with a timeout of a few seconds. 0 or
 * -errno with a reason in err.
 */
int fleet__publish_once(const struct fleet_url *url, const char *prefix,
			const struct fleet_msg *msgs, size_t n, char *err, size_t errlen);

#endif
