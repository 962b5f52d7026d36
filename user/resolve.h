/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* resolve.h - host names in address lists: resolve them, follow their TTL, count who needs each address. */
#ifndef WARDEN_RESOLVE_H
#define WARDEN_RESOLVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

/* Longest host name (RFC 1035), without the NUL. */
#define RESOLVE_NAME_MAX 253
/* Addresses kept per name (A and AAAA together); more are ignored, and said so. */
#define RESOLVE_MAX_ADDRS 32

/*
 * Whether text is a host name: RFC 1123 labels (letters, digits, inner
 * hyphens, 1..63 each) joined by dots, at most 253 characters, an optional
 * final dot, and a last label that is not all digits (so that 192.0.2.300
 * stays a bad address rather than a name). Never true for an address.
 */
bool resolve__is_name(const char *text);

/* What one lookup found. */
struct resolve_result {
	int n;                                   /* addresses found (0..RESOLVE_MAX_ADDRS) */
	struct prefix addr[RESOLVE_MAX_ADDRS];   /* single addresses, IPv4 and IPv6 */
	bool truncated;                          /* there were more */
	bool ttl_known;                          /* DNS answered with these very addresses */
	uint32_t ttl_s;                          /* their smallest TTL, when ttl_known */
	char error[192];                         /* why the lookup failed */
};

/*
 * Resolve name (IPv4 and IPv6) as the system does (getaddrinfo: the hosts
 * file, then DNS), and ask DNS for the TTL (res_query, one try of 1 s per
 * server). Blocks. Returns 0, -ENOENT when the name does not exist (a
 * definite answer), -EAGAIN when the lookup failed for now (no answer,
 * server failure), -errno otherwise; the reason in out->error.
 */
int resolve__lookup(const char *name, struct resolve_result *out);

/*
 * Resolve a command-line argument: an address or prefix is taken as is
 * (one entry), a host name is looked up. 0, or -EINVAL with a reason in
 * out->error when it is neither an address nor a name that resolves.
 */
int resolve__arg(const char *text, struct resolve_result *out);

/* "192.0.2.7, 2001:db8::7" into buf. Returns buf. */
const char *resolve__format(const struct resolve_result *res, char *buf, size_t len);

/* ---- following names in a long-running process ---- */

/* Why an entry is there; an address may be needed for several purposes. */
enum resolve_purpose {
	RESOLVE_IGNORE = 1 << 0,   /* ignoreip: never banned */
	RESOLVE_ALLOW = 1 << 1,    /* the allowlist */
	RESOLVE_PRIORITY = 1 << 2, /* priority peers */
	RESOLVE_BAN = 1 << 3,      /* banned */
};

const char *resolve__purpose_name(unsigned int purpose);

struct resolver_opts {
	uint64_t interval_ns; /* re-resolve interval when there is no TTL (hosts file); default 5 min */
	uint64_t min_ns;      /* floor of a DNS TTL; default 5 s, at most interval_ns */
	uint64_t max_ns;      /* ceiling of a DNS TTL; default 1 day */
	uint64_t retry_ns;    /* after a failed lookup; default 30 s, at most interval_ns */
	uint64_t timeout_ns;  /* a lookup that takes longer restarts the helper; default 20 s */
	bool in_process;      /* resolve in this process, blocking (no helper): tests, tools */
};

struct resolver;

/*
 * A resolver that follows names. Unless o->in_process, it forks a helper
 * process that does the blocking lookups (getaddrinfo cannot be bounded
 * from the outside); the helper keeps no capability and dies with us.
 * o may be NULL (defaults). NULL with errno set.
 */
struct resolver *resolver__new(const struct resolver_opts *o);
/* Stops the helper; accepts NULL. The addresses are not reported removed. */
void resolver__free(struct resolver *r);

/*
 * Add an entry for purpose (one enum resolve_purpose bit): a host name,
 * followed from now on, or an address or prefix, which stays as it is.
 * Adding the same entry for the same purpose again counts it twice (remove
 * it twice). Nothing is resolved here: the next resolver__refresh() does
 * it and reports the addresses. 0, -EINVAL (neither a name nor an address),
 * -ENOMEM.
 */
int resolver__add(struct resolver *r, const char *entry, unsigned int purpose);

/*
 * Remove an entry added before (-ENOENT if it was not). Its addresses are
 * reported removed by the next resolver__refresh(), except those another
 * entry of the same purpose still needs.
 */
int resolver__remove(struct resolver *r, const char *entry, unsigned int purpose);

/*
 * Milliseconds until resolver__refresh() has work (0: now), or -1 when
 * only an answer of the helper can bring any (wait on resolver__fd()).
 */
int64_t resolver__due_ms(const struct resolver *r, uint64_t now_ns);

/* The helper's socket: readable when an answer waits. -1 in process. */
int resolver__fd(const struct resolver *r);

/*
 * Called once per address that becomes needed (added) or is needed no more
 * (removed) for a purpose, with the entry that caused it (for messages).
 */
typedef void (*resolver_change_cb)(void *ctx, const struct prefix *addr, unsigned int purpose,
				   bool added, const char *entry);

/*
 * Do what is due at now_ns (CLOCK_MONOTONIC or BOOTTIME, as long as it is
 * always the same): send the lookups that are due to the helper, read its
 * answers without blocking, update the counts, and report the changes to
 * cb. Says what each name resolved to (info) when it changes, and why a
 * lookup failed (warn; it is retried and never fatal). A name that fails
 * for now keeps its addresses; one that does not exist loses them.
 * Returns the number of changes reported, or -errno.
 */
int resolver__refresh(struct resolver *r, uint64_t now_ns, resolver_change_cb cb, void *ctx);

/* Whether an address or prefix of any of purposes (a mask) covers addr right now. */
bool resolver__covers(const struct resolver *r, const struct prefix *addr, unsigned int purposes);

/* How many entries and distinct (address, purpose) pairs there are. */
void resolver__counts(const struct resolver *r, size_t *entries, size_t *addresses);

#endif
