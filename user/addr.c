// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* addr.c - IPv4/IPv6 addresses and prefixes: parse, print, compare, classify. */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

static const uint8_t v4mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

static int set_err(char *err, size_t errlen, const char *fmt, const char *text)
{
	if (err && errlen)
		snprintf(err, errlen, fmt, text);
	return -EINVAL;
}

void prefix__from_bytes(struct prefix *out, int family, const void *bytes)
{
	memset(out, 0, sizeof(*out));
	if (family == 6 && !memcmp(bytes, v4mapped_prefix, sizeof(v4mapped_prefix))) {
		/* ::ffff:a.b.c.d is the IPv4 client a.b.c.d on a dual-stack socket. */
		out->family = 4;
		out->prefixlen = 32;
		memcpy(out->addr, (const uint8_t *)bytes + 12, 4);
		return;
	}
	out->family = family;
	out->prefixlen = family == 4 ? 32 : 128;
	memcpy(out->addr, bytes, family == 4 ? 4 : 16);
}

bool prefix__plain_quad(const char *s, size_t n, void *out)
{
	const char *end = s + n;
	uint8_t bytes[4];
	int i;

	for (i = 0; i < 4; i++) {
		const char *first = s;
		unsigned v = 0;

		while (s < end && *s >= '0' && *s <= '9' && s - first < 3)
			v = v * 10 + (unsigned)(*s++ - '0');
		/* inet_pton refuses a leading zero ("01") and an octet over 255. */
		if (s == first || v > 255 || (s - first > 1 && *first == '0'))
			return false;
		if (i < 3 && (s == end || *s++ != '.'))
			return false;
		bytes[i] = (uint8_t)v;
	}
	if (s != end)
		return false;
	memcpy(out, bytes, 4);
	return true;
}

int prefix__pton4(const char *text, void *out)
{
	return prefix__plain_quad(text, strlen(text), out) ? 1 : inet_pton(AF_INET, text, out);
}

int prefix__parse_addr(const char *text, struct prefix *out)
{
	uint8_t buf[16];

	if (!text || !*text)
		return -EINVAL;
	if (prefix__pton4(text, buf) == 1) {
		prefix__from_bytes(out, 4, buf);
		return 0;
	}
	if (inet_pton(AF_INET6, text, buf) == 1) {
		prefix__from_bytes(out, 6, buf);
		return 0;
	}
	return -EINVAL;
}

static bool host_bits_zero(const struct prefix *p)
{
	int bytes = p->family == 4 ? 4 : 16;
	int i;

	for (i = 0; i < bytes; i++) {
		int first_bit = i * 8;
		uint8_t mask;

		if (first_bit + 8 <= p->prefixlen)
			continue;
		mask = first_bit >= p->prefixlen ? 0xff : (uint8_t)(0xff >> (p->prefixlen - first_bit));
		if (p->addr[i] & mask)
			return false;
	}
	return true;
}

int prefix__parse(const char *text, struct prefix *out, char *err, size_t errlen)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash;
	size_t alen;
	char *end;
	long len;
	struct prefix p;

	if (!text || !*text)
		return set_err(err, errlen, "empty address%s", "");
	slash = strchr(text, '/');
	alen = slash ? (size_t)(slash - text) : strlen(text);
	if (alen == 0 || alen >= sizeof(addr))
		return set_err(err, errlen, "'%s' is not an IPv4 or IPv6 address", text);
	memcpy(addr, text, alen);
	addr[alen] = '\0';
	if (prefix__parse_addr(addr, &p) < 0)
		return set_err(err, errlen, "'%s' is not an IPv4 or IPv6 address", text);
	if (slash) {
		int max = prefix__maxlen(&p);
		bool mapped = strchr(addr, ':') && p.family == 4;

		errno = 0;
		len = strtol(slash + 1, &end, 10);
		if (!slash[1] || *end || errno || len < 0)
			return set_err(err, errlen, "'%s': prefix length is not a number", text);
		/* A mapped address keeps its IPv6 length: ::ffff:0:0/104 is 10/8. */
		if (mapped)
			len -= 96;
		if (len < 0 || len > max) {
			if (err && errlen)
				snprintf(err, errlen, "'%s': prefix length must be 0..%d", text, max);
			return -EINVAL;
		}
		p.prefixlen = (uint8_t)len;
		if (!host_bits_zero(&p))
			return set_err(err, errlen,
				       "'%s': address has bits set beyond the prefix length", text);
	}
	*out = p;
	return 0;
}

const char *prefix__format(const struct prefix *p, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];

	inet_ntop(p->family == 4 ? AF_INET : AF_INET6, p->addr, addr, sizeof(addr));
	if (prefix__is_single(p))
		snprintf(buf, len, "%s", addr);
	else
		snprintf(buf, len, "%s/%u", addr, p->prefixlen);
	return buf;
}

void prefix__truncate(struct prefix *p, int len)
{
	int bytes = p->family == 4 ? 4 : 16;
	int i;

	if (len >= p->prefixlen)
		return;
	p->prefixlen = (uint8_t)len;
	for (i = 0; i < bytes; i++) {
		int first_bit = i * 8;

		if (first_bit >= len)
			p->addr[i] = 0;
		else if (first_bit + 8 > len)
			p->addr[i] &= (uint8_t)(0xff << (8 - (len - first_bit)));
	}
}

static bool leading_bits_equal(const uint8_t *a, const uint8_t *b, int bits)
{
	int full = bits / 8, rest = bits % 8;

	if (memcmp(a, b, full))
		return false;
	if (!rest)
		return true;
	return ((a[full] ^ b[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

bool prefix__contains(const struct prefix *outer, const struct prefix *inner)
{
	if (outer->family != inner->family || outer->prefixlen > inner->prefixlen)
		return false;
	return leading_bits_equal(outer->addr, inner->addr, outer->prefixlen);
}

bool prefix__overlaps(const struct prefix *a, const struct prefix *b)
{
	return prefix__contains(a, b) || prefix__contains(b, a);
}

bool prefix__equal(const struct prefix *a, const struct prefix *b)
{
	return a->family == b->family && a->prefixlen == b->prefixlen &&
	       !memcmp(a->addr, b->addr, a->family == 4 ? 4 : 16);
}

bool prefix__is_loopback(const struct prefix *p)
{
	static const struct prefix loop4 = { .family = 4, .prefixlen = 8, .addr = { 127 } };
	static const struct prefix any4 = { .family = 4, .prefixlen = 32 };
	static const struct prefix loop6 = { .family = 6, .prefixlen = 128, .addr = { [15] = 1 } };
	static const struct prefix any6 = { .family = 6, .prefixlen = 128 };

	/* A prefix that covers loopback (0.0.0.0/0, say) counts as loopback too. */
	return prefix__overlaps(p, &loop4) || prefix__overlaps(p, &any4) ||
	       prefix__overlaps(p, &loop6) || prefix__overlaps(p, &any6);
}

int prefix__host_addresses(struct prefix *out, int max)
{
	struct ifaddrs *ifa, *it;
	int n = 0;

	if (getifaddrs(&ifa) < 0)
		return -errno;
	for (it = ifa; it && n < max; it = it->ifa_next) {
		if (!it->ifa_addr)
			continue;
		if (it->ifa_addr->sa_family == AF_INET)
			prefix__from_bytes(&out[n++], 4,
					   &((struct sockaddr_in *)it->ifa_addr)->sin_addr);
		else if (it->ifa_addr->sa_family == AF_INET6)
			prefix__from_bytes(&out[n++], 6,
					   &((struct sockaddr_in6 *)it->ifa_addr)->sin6_addr);
	}
	freeifaddrs(ifa);
	return n;
}
