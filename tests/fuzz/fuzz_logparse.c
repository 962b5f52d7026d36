// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * fuzz_logparse.c - access lines through every parser: each built-in format,
 * auto-detection and two --log-regex patterns, whole (logparse__line) and cut
 * (logparse__line_truncated). The input is a stream: its lines go one by one
 * to the same parsers, as a followed log would (LP_SPLIT_LINE keeps state).
 *
 * Properties: nothing is read past len (each line sits in a heap block of
 * exactly its size); the client is an address written in the line; path
 * lies inside the line; fields are in range; the error code is known; the
 * IPv4 fast path agrees with inet_pton.
 */
#include <arpa/inet.h>
#include <stdbool.h>

#include "fuzz.h"
#include "logparse.h"

static const struct {
	enum log_format format;
	const char *regex;
} parsers[] = {
	{ LOGFMT_AUTO, NULL },
	{ LOGFMT_WERKZEUG, NULL },
	{ LOGFMT_COMMON, NULL },
	{ LOGFMT_COMBINED, NULL },
	/* tests/data/logs/uvicorn.regex */
	{ LOGFMT_REGEX, "^INFO: +(?<ip>[0-9a-fA-F.:]+):[0-9]+ - \"(?<method>[A-Z]+) (?<path>[^ ]+) "
			"HTTP/[0-9.]+\" (?<status>[0-9]{3})" },
	/* key=value with an optional time: the time parser too */
	{ LOGFMT_REGEX, "^client=(?<ip>\\S+) req=\"(?<method>\\S+) (?<path>\\S+) [^\"]*\" "
			"status=(?<status>\\S+)(?: at=(?<time>.+))?$" },
};
#define N_PARSERS (sizeof(parsers) / sizeof(parsers[0]))

static bool addr_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
	       c == ':' || c == '.';
}

/* Whether text (n bytes, NUL-free) is an address equal to client (IPv4-mapped IPv6 counts as IPv4). */
static bool same_address(const char *text, size_t n, const struct prefix *client)
{
	unsigned char b[16];
	char buf[64];

	if (n >= sizeof(buf))
		return false;
	memcpy(buf, text, n);
	buf[n] = '\0';
	if (client->family == 4 && inet_pton(AF_INET, buf, b) == 1)
		return !memcmp(b, client->addr, 4);
	if (inet_pton(AF_INET6, buf, b) != 1)
		return false;
	if (client->family == 6)
		return !memcmp(b, client->addr, 16);
	return !memcmp(b, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) && !memcmp(b + 12, client->addr, 4);
}

/*
 * The client must be spelled somewhere in the first LOGPARSE_MAX_LINE bytes:
 * some run of address characters holds it (the parser takes nothing else).
 */
static bool address_in_line(const char *line, size_t len, const struct prefix *client)
{
	size_t lim = len < LOGPARSE_MAX_LINE ? len : LOGPARSE_MAX_LINE, i, j, n;
	char text[INET6_ADDRSTRLEN];

	/* Quick: the usual spelling. */
	if (inet_ntop(client->family == 4 ? AF_INET : AF_INET6, client->addr, text, sizeof(text))) {
		const char *at = line, *end = line + lim;
		size_t tl = strlen(text);

		if (memmem(at, (size_t)(end - at), text, tl))
			return true;
	}
	/* Any other spelling: every run of address characters, every substring of it. */
	for (i = 0; i < lim; i++) {
		if (!addr_char(line[i]))
			continue;
		for (n = 0; i + n < lim && addr_char(line[i + n]) && n <= 45; n++)
			;
		for (j = 2; j <= n; j++)
			if (same_address(line + i, j, client))
				return true;
	}
	return false;
}

static void check(const char *line, size_t len, enum logparse_error e, const struct access_line *a,
		  bool cut, size_t which)
{
	size_t lim = len < LOGPARSE_MAX_LINE ? len : LOGPARSE_MAX_LINE;

	FUZZ_CHECK(e >= LP_OK && e < LP__COUNT, "parser %zu: error %d", which, e);
	FUZZ_CHECK(logparse__strerror(e) != NULL, "parser %zu", which);
	if (a->client.family) {
		FUZZ_CHECK(a->client.family == 4 || a->client.family == 6, "parser %zu", which);
		FUZZ_CHECK(a->client.prefixlen == (a->client.family == 4 ? 32 : 128), "parser %zu",
			   which);
		FUZZ_CHECK(address_in_line(line, len, &a->client),
			   "parser %zu (%s): a client address that is not in the line", which,
			   cut ? "cut" : "whole");
	}
	if (e != LP_OK) {
		FUZZ_CHECK(a->path == NULL && a->status == 0, "parser %zu: fields set on error %d",
			   which, e);
		return;
	}
	FUZZ_CHECK(a->client.family != 0, "parser %zu: LP_OK without a client", which);
	FUZZ_CHECK(a->status >= 100 && a->status <= 599, "parser %zu: status %d", which, a->status);
	FUZZ_CHECK(memchr(a->method, '\0', sizeof(a->method)) != NULL, "parser %zu", which);
	if (a->http) {
		FUZZ_CHECK(a->path != NULL && a->method[0], "parser %zu", which);
		FUZZ_CHECK(a->path >= line && a->path_len <= lim &&
				   (size_t)(a->path - line) <= lim - a->path_len,
			   "parser %zu: path outside the line", which);
		fuzz_touch(a->path, a->path_len);
	} else {
		FUZZ_CHECK(a->path == NULL, "parser %zu: a path without HTTP", which);
	}
}

/*
 * The IPv4 fast path accepts only what inet_pton does, with the same bytes:
 * on the line's first field (the client in most formats).
 */
static void check_plain_quad(const char *line, size_t len)
{
	const char *sp = memchr(line, ' ', len);
	uint8_t fast[4], ref[4];
	char text[24];

	if (sp)
		len = (size_t)(sp - line);
	if (len >= sizeof(text) || !prefix__plain_quad(line, len, fast))
		return;
	memcpy(text, line, len);
	text[len] = '\0';
	FUZZ_CHECK(inet_pton(AF_INET, text, ref) == 1 && !memcmp(fast, ref, 4), "\"%s\"", text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct logparser *whole[N_PARSERS], *cut[N_PARSERS];
	const char *s = (const char *)data, *end = s + size, *nl;
	char err[256];
	size_t i;

	for (i = 0; i < N_PARSERS; i++) {
		whole[i] = logparse__new(parsers[i].format, parsers[i].regex, err, sizeof(err));
		cut[i] = logparse__new(parsers[i].format, parsers[i].regex, err, sizeof(err));
		if (!whole[i] || !cut[i])
			fuzz_fail(__FILE__, __LINE__, "logparse__new(%zu): %s", i, err);
	}
	while (s < end) {
		size_t len;
		char *line;

		nl = memchr(s, '\n', (size_t)(end - s));
		len = nl ? (size_t)(nl - s) : (size_t)(end - s);
		line = fuzz_dup(s, len);
		check_plain_quad(line, len);
		for (i = 0; i < N_PARSERS; i++) {
			struct access_line a;
			enum logparse_error e;

			memset(&a, 0xa5, sizeof(a)); /* whatever the caller had */
			e = logparse__line(whole[i], line, len, &a);
			check(line, len, e, &a, false, i);
			memset(&a, 0xa5, sizeof(a));
			e = logparse__line_truncated(cut[i], line, len, &a);
			check(line, len, e, &a, true, i);
		}
		free(line);
		s += len + (nl ? 1 : 0);
	}
	for (i = 0; i < N_PARSERS; i++) {
		logparse__free(whole[i]);
		logparse__free(cut[i]);
	}
	return 0;
}
