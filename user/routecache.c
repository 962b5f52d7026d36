// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* routecache.c - the verdicts of recent requests: a log repeats a few paths over and over. */
#include <string.h>

#include "routecache.h"

void routecache__reset(struct routecache *c, const struct routes *routes)
{
	memset(c, 0, sizeof(*c));
	c->routes = routes;
}

/* Eight bytes at a time (little or big endian alike: only equality matters). */
static uint64_t mix(uint64_t h, uint64_t w)
{
	h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
	return h ^ (h >> 32);
}

static uint64_t bytes_hash(uint64_t h, const char *p, size_t n)
{
	uint64_t w;

	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);
		h = mix(h, w);
	}
	w = 0;
	memcpy(&w, p, n);
	return mix(h, w ^ ((uint64_t)n << 56));
}

static uint64_t key_hash(const char *method, size_t mlen, const char *path, size_t plen)
{
	/* The lengths go in: "GE" + "T/" is not "GET" + "/". */
	return bytes_hash(bytes_hash(0x6a09e667f3bcc909ULL, method, mlen), path, plen);
}

enum route_verdict routecache__match(struct routecache *c, const char *method, const char *path,
				     size_t path_len, const char **rule)
{
	struct routecache_slot *s;
	enum route_verdict v;
	const char *r = NULL;
	size_t mlen;

	if (!method || !path || path_len > ROUTECACHE_PATH ||
	    (mlen = strnlen(method, ROUTECACHE_METHOD + 1)) > ROUTECACHE_METHOD)
		return routes__match(c->routes, method, path, path_len, rule);
	s = &c->slot[key_hash(method, mlen, path, path_len) & (ROUTECACHE_SLOTS - 1)];
	if (s->used && s->mlen == mlen && s->plen == path_len && !memcmp(s->path, path, path_len) &&
	    !memcmp(s->method, method, mlen)) {
		c->hits++;
		if (rule)
			*rule = s->rule;
		return (enum route_verdict)s->verdict;
	}
	c->misses++;
	v = routes__match(c->routes, method, path, path_len, &r);
	s->used = 1;
	s->mlen = (uint8_t)mlen;
	s->plen = (uint8_t)path_len;
	s->verdict = (uint8_t)v;
	s->rule = r;
	memcpy(s->method, method, mlen);
	memcpy(s->path, path, path_len);
	if (rule)
		*rule = r;
	return v;
}
