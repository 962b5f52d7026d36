/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* addr.h - IPv4/IPv6 addresses and prefixes: parse, print, compare, classify. */
#ifndef WARDEN_ADDR_H
#define WARDEN_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An address or a prefix. IPv4 uses the first 4 bytes of addr. */
struct prefix {
	uint8_t family;    /* 4 or 6 */
	uint8_t prefixlen; /* 0..32 or 0..128; 32/128 is a single address */
	uint8_t addr[16];  /* network byte order, host bits zero */
};

/* Longest text of a prefix, "ffff:...:ffff/128" plus NUL. */
#define PREFIX_STRLEN 50

/*
 * Parse "ADDR" or "ADDR/LEN". IPv4-mapped IPv6 addresses (::ffff:a.b.c.d)
 * become IPv4. Returns 0, or -EINVAL with a reason in err (if given).
 * Host bits set below the prefix length are refused, as ip(8) would
 * silently mask them and the operator probably meant something else.
 */
int prefix__parse(const char *text, struct prefix *out, char *err, size_t errlen);

/* Parse a bare address (no "/LEN"). Same return as prefix__parse(). */
int prefix__parse_addr(const char *text, struct prefix *out);

/*
 * The n bytes at s are a plain "d.d.d.d" (1..3 digits, no leading zero, at
 * most 255): its 4 bytes to out. Only text inet_pton(AF_INET) accepts, with
 * the same bytes; false says nothing, ask inet_pton. A line's address is a
 * good part of its parse.
 */
bool prefix__plain_quad(const char *s, size_t n, void *out);

/* Exactly inet_pton(AF_INET, text, out), by prefix__plain_quad() when it can. */
int prefix__pton4(const char *text, void *out);

/* Build a single-address prefix from raw bytes (4 or 16 of them). */
void prefix__from_bytes(struct prefix *out, int family, const void *bytes);

/* "192.0.2.0/24", or "192.0.2.1" for a single address. Returns buf. */
const char *prefix__format(const struct prefix *p, char *buf, size_t len);

/* Max prefix length of the family: 32 or 128. */
static inline int prefix__maxlen(const struct prefix *p)
{
	return p->family == 4 ? 32 : 128;
}

static inline bool prefix__is_single(const struct prefix *p)
{
	return p->prefixlen == prefix__maxlen(p);
}

/* Truncate to len bits (len no longer than the current length). */
void prefix__truncate(struct prefix *p, int len);

/* Whether outer covers inner (same family, shorter or equal, same leading bits). */
bool prefix__contains(const struct prefix *outer, const struct prefix *inner);

/* Whether two prefixes share any address. */
bool prefix__overlaps(const struct prefix *a, const struct prefix *b);

bool prefix__equal(const struct prefix *a, const struct prefix *b);

/* Overlaps loopback (127/8, ::1) or the unspecified address (0.0.0.0, ::). */
bool prefix__is_loopback(const struct prefix *p);

/*
 * The host's own addresses (getifaddrs), as single-address prefixes.
 * Fills at most max entries and returns how many, or -errno.
 */
int prefix__host_addresses(struct prefix *out, int max);

#endif
