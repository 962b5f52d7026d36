// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* routecache.c - the verdicts of recent requests: a log repeats a few paths over and over. */
#include <string.h>

#include "routecache.h"

void routecache__reset(struct routecache *c, const struct routes *routes)
{
	memset(c, 0, sizeof(*c));
	c->routes = routes;
}

/* FNV-1a over the method, a separator and the path. */
static uint64_t key_hash(const char *method, size_t mlen, const char *path, size_t plen)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < mlen; i++)
		h = (h ^ (unsigned char)method[i]) * 0x100000001b3ULL;
	h = (h ^ 0xff) * 0x100000001b3ULL; /* no byte of a method: "GE"+"T/" is not "GET"+"/" */
	for (i = 0; i < plen; i++)
		h = (h ^ (unsigned char)path[i]) * 0x100000001b3ULL;
	return h ^ (h >> 29);
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
