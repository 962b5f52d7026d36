/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* realip.h - the client behind trusted proxies: the rightmost untrusted forwarded address. */
#ifndef WARDEN_REALIP_H
#define WARDEN_REALIP_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"

/*
 * Behind a reverse proxy on the same host every access line's own client
 * is the proxy. The proxy passes the client's address in X-Forwarded-For,
 * appending the peer it saw to what the client sent ("forged, 192.0.2.7"):
 * only the right end of the list is written by proxies warden trusts. As
 * nginx's real_ip_recursive, the client is the rightmost address that is not
 * a trusted proxy, and the field is read only when the line's own client is
 * a trusted proxy: anyone else's header is theirs to forge.
 */

/* Whether addr is in one of the n prefixes of list. */
bool realip__trusted(const struct prefix *list, int n, const struct prefix *addr);

/*
 * The last double-quoted field of line (len bytes): where the forwarded
 * header is logged ("$http_x_forwarded_for" or gunicorn's
 * %({x-forwarded-for}i)s at the end of the format). Its text without the
 * quotes in *val, *vlen; false when the line has no such field.
 */
bool realip__last_field(const char *line, size_t len, const char **val, size_t *vlen);

/*
 * The client from a forwarded value ("203.0.113.9, 192.0.2.7"), read from
 * the right: the first address that is not in trusted. When every address
 * is trusted, the leftmost (as nginx). A token that is not an address
 * (junk, "-", "unknown") ends the walk: the last address read is kept.
 * Ports are allowed ("192.0.2.7:4711", "[2001:db8::7]:4711"). Returns true
 * with *client set, false when the value holds no usable address.
 */
bool realip__client(const struct prefix *trusted, int n, const char *val, size_t vlen,
		    struct prefix *client);

#endif
