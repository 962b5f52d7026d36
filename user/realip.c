// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* realip.c - the client behind trusted proxies: the rightmost untrusted forwarded address. */
#include <string.h>

#include "realip.h"

#define TOKEN_MAX 64 /* longer than any address with a port and brackets */

bool realip__trusted(const struct prefix *list, int n, const struct prefix *addr)
{
	int i;

	for (i = 0; i < n; i++)
		if (prefix__contains(&list[i], addr))
			return true;
	return false;
}

bool realip__last_field(const char *line, size_t len, const char **val, size_t *vlen)
{
	const char *close = memrchr(line, '"', len), *open;

	if (!close)
		return false;
	/*
	 * Its opening quote: the previous quote. Servers escape quotes inside
	 * fields (nginx \x22, gunicorn \"): an escaped one only shortens the
	 * value from the left, and only its right end, which the proxies wrote,
	 * decides the client.
	 */
	open = memrchr(line, '"', (size_t)(close - line));
	if (!open)
		return false;
	*val = open + 1;
	*vlen = (size_t)(close - open - 1);
	return true;
}

/* One token as an address: "ADDR", "IPv4:PORT", "[IPv6]" or "[IPv6]:PORT". */
static bool parse_token(const char *s, size_t len, struct prefix *out)
{
	char buf[TOKEN_MAX];
	const char *colon;

	if (!len || len >= sizeof(buf))
		return false;
	if (s[0] == '[') {
		const char *end = memchr(s, ']', len);

		if (!end || (end + 1 < s + len && end[1] != ':'))
			return false;
		len = (size_t)(end - s - 1);
		s++;
	} else if ((colon = memchr(s, ':', len)) && !memchr(colon + 1, ':', len - (size_t)(colon + 1 - s))) {
		len = (size_t)(colon - s); /* one colon: IPv4 and a port */
	}
	memcpy(buf, s, len);
	buf[len] = '\0';
	return prefix__parse_addr(buf, out) == 0;
}

static bool is_sep(char c)
{
	return c == ',' || c == ' ' || c == '\t';
}

bool realip__client(const struct prefix *trusted, int n, const char *val, size_t vlen,
		    struct prefix *client)
{
	size_t end = vlen, start;
	struct prefix a;
	bool found = false;

	for (;;) {
		while (end > 0 && is_sep(val[end - 1]))
			end--;
		if (!end)
			break;
		start = end;
		while (start > 0 && !is_sep(val[start - 1]))
			start--;
		if (!parse_token(val + start, end - start, &a))
			break;
		*client = a;
		found = true;
		if (!realip__trusted(trusted, n, &a))
			break;
		end = start;
	}
	return found;
}
