// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* test_logparse.c - the access-log parser: every format, times, and lines written by attackers. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "logparse.h"
#include "testutil.h"

/* 21/Nov/2026:04:18:25 UTC. */
#define T0 1795234705LL

/*
 * Every line is parsed from a heap copy of exactly its length, without a
 * NUL: ASan stops the test on any read past len. The copy lives until the
 * next parse, as access_line.path points into it.
 */
static char *line_copy;

static enum logparse_error parse_n(struct logparser *p, const char *text, size_t len,
				   struct access_line *a)
{
	free(line_copy);
	line_copy = malloc(len ? len : 1);
	if (!line_copy) {
		perror("malloc");
		exit(1);
	}
	memcpy(line_copy, text, len);
	return logparse__line(p, line_copy, len, a);
}

static enum logparse_error parse(struct logparser *p, const char *text, struct access_line *a)
{
	return parse_n(p, text, strlen(text), a);
}

static struct logparser *parser(enum log_format f)
{
	char err[256];
	struct logparser *p = logparse__new(f, NULL, err, sizeof(err));

	if (!p) {
		printf("  logparse__new(%s): %s\n", log_format__name(f), err);
		exit(1);
	}
	return p;
}

static struct logparser *regex_parser(const char *re)
{
	char err[256];
	struct logparser *p = logparse__new(LOGFMT_REGEX, re, err, sizeof(err));

	if (!p)
		printf("  logparse__new(regex): %s\n", err);
	return p;
}

static void set_tz(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

/*
 * One access line: the client, then method and path (method NULL: not
 * HTTP), status and time. path_len -1: strlen(path).
 */
static bool expect_n(const char *name, struct logparser *p, const char *line, size_t len,
		     const char *ip, const char *method, const char *path, long path_len,
		     int status, int64_t t)
{
	struct access_line a;
	char buf[PREFIX_STRLEN];
	enum logparse_error e = parse_n(p, line, len, &a);
	bool ok = true;

	if (!ASSERT_EQ(e, LP_OK, name)) {
		printf("    error: %s\n", logparse__strerror(e));
		return false;
	}
	ok &= ASSERT_STREQ(prefix__format(&a.client, buf, sizeof(buf)), ip, name);
	ok &= ASSERT_TRUE(prefix__is_single(&a.client), name);
	ok &= ASSERT_EQ(a.status, status, name);
	ok &= ASSERT_EQ(a.time, t, name);
	if (!method) {
		ok &= ASSERT_FALSE(a.http, name);
		ok &= ASSERT_STREQ(a.method, "", name);
		ok &= ASSERT_TRUE(a.path == NULL && a.path_len == 0, name);
		return ok;
	}
	if (path_len < 0)
		path_len = (long)strlen(path);
	ok &= ASSERT_TRUE(a.http, name);
	ok &= ASSERT_STREQ(a.method, method, name);
	ok &= ASSERT_EQ(a.path_len, path_len, name);
	/* path points into the caller's buffer, inside the line. */
	ok &= ASSERT_TRUE(a.path >= line_copy && a.path + a.path_len <= line_copy + len, name);
	if (ok && a.path_len == (size_t)path_len)
		ok &= ASSERT_TRUE(!memcmp(a.path, path, a.path_len), name);
	return ok;
}

static bool expect(const char *name, struct logparser *p, const char *line, const char *ip,
		   const char *method, const char *path, int status, int64_t t)
{
	return expect_n(name, p, line, strlen(line), ip, method, path, -1, status, t);
}

static bool expect_err_n(const char *name, struct logparser *p, const char *line, size_t len,
			 enum logparse_error want)
{
	struct access_line a;
	enum logparse_error e = parse_n(p, line, len, &a);

	if (!ASSERT_EQ(e, want, name)) {
		printf("    got \"%s\", wanted \"%s\"\n", logparse__strerror(e),
		       logparse__strerror(want));
		return false;
	}
	return true;
}

static bool expect_err(const char *name, struct logparser *p, const char *line,
		       enum logparse_error want)
{
	return expect_err_n(name, p, line, strlen(line), want);
}

static void test_format_names(void)
{
	static const char *names[] = { "auto", "werkzeug", "common", "combined", "regex" };
	enum log_format f;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		ASSERT_OK(log_format__parse(names[i], &f), names[i]);
		ASSERT_EQ(f, i, names[i]);
		ASSERT_STREQ(log_format__name(f), names[i], names[i]);
	}
	ASSERT_EQ(log_format__parse("apache", &f), -EINVAL, "unknown name");
	ASSERT_EQ(log_format__parse("", &f), -EINVAL, "empty name");
	ASSERT_EQ(log_format__parse("AUTO", &f), -EINVAL, "names are lower case");
	ASSERT_STREQ(log_format__name((enum log_format)99), "unknown", "bad format");
	for (i = 0; i < LP__COUNT; i++)
		ASSERT_TRUE(logparse__strerror((enum logparse_error)i)[0], "reason");
	ASSERT_STREQ(logparse__strerror(LP_NOT_ACCESS), "not an access line", "stable reason");
	ASSERT_STREQ(logparse__strerror((enum logparse_error)1000), "unknown error", "bad error");
}

static void test_werkzeug(void)
{
	struct logparser *p = parser(LOGFMT_AUTO), *w = parser(LOGFMT_WERKZEUG);

	set_tz("UTC0");
	expect("plain", p, "127.0.0.1 - - [21/Nov/2026 04:18:25] \"GET /x HTTP/1.1\" 404 -",
	       "127.0.0.1", "GET", "/x", 404, T0);
	expect("query", w, "192.0.2.7 - - [21/Nov/2026 04:18:25] \"POST /login?next=/a%20b HTTP/1.0\" 200 -",
	       "192.0.2.7", "POST", "/login?next=/a%20b", 200, T0);
	expect("basicConfig prefix", p,
	       "INFO:werkzeug:127.0.0.1 - - [21/Nov/2026 04:18:25] \"GET / HTTP/1.1\" 200 -",
	       "127.0.0.1", "GET", "/", 200, T0);
	/* Without colorama, Werkzeug colours MSG by status (serving.py _ansi_style). */
	expect("yellow 404", p,
	       "127.0.0.1 - - [21/Nov/2026 04:18:25] \"\x1b[33mGET /nope HTTP/1.1\x1b[0m\" 404 -",
	       "127.0.0.1", "GET", "/nope", 404, T0);
	expect("bold red 401", p,
	       "127.0.0.1 - - [21/Nov/2026 04:18:25] \"\x1b[31m\x1b[1mGET /admin HTTP/1.1\x1b[0m\" 401 -",
	       "127.0.0.1", "GET", "/admin", 401, T0);
	expect("coloured whole line", p,
	       "\x1b[32mINFO:werkzeug:\x1b[0m127.0.0.1 - - [21/Nov/2026 04:18:25] \"GET / HTTP/1.1\" 304 -\x1b[0m",
	       "127.0.0.1", "GET", "/", 304, T0);
	expect("HTTP/0.9", p, "127.0.0.1 - - [21/Nov/2026 04:18:25] \"GET /ok HTTP/0.9\" 404 -",
	       "127.0.0.1", "GET", "/ok", 404, T0);
	expect("size given", p, "127.0.0.1 - - [21/Nov/2026 04:18:25] \"GET / HTTP/1.1\" 200 1234",
	       "127.0.0.1", "GET", "/", 200, T0);
	/* Python < 3.11 printed str(HTTPStatus.BAD_REQUEST) for http.server's own errors. */
	expect("HTTPStatus name", p,
	       "127.0.0.1 - - [21/Nov/2026 04:18:25] \"junk\" HTTPStatus.BAD_REQUEST -", "127.0.0.1",
	       NULL, NULL, 400, T0);
	expect("CRLF", p, "127.0.0.1 - - [21/Nov/2026 04:18:25] \"GET / HTTP/1.1\" 200 -\r\n",
	       "127.0.0.1", "GET", "/", 200, T0);
	expect_err("werkzeug error line", p,
		   "127.0.0.1 - - [21/Nov/2026 04:18:25] code 400, message Bad request syntax ('junk')",
		   LP_NOT_ACCESS);
	expect_err("common line in werkzeug mode", w,
		   "127.0.0.1 - - [21/Nov/2026:04:18:25 +0000] \"GET / HTTP/1.1\" 200 5", LP_NOT_ACCESS);
	logparse__free(p);
	logparse__free(w);
}

static void test_common_combined(void)
{
	struct logparser *p = parser(LOGFMT_AUTO), *cm = parser(LOGFMT_COMMON),
			 *cb = parser(LOGFMT_COMBINED);
	const char *gunicorn =
		"127.0.0.1 - - [21/Nov/2026:04:18:25 +0000] \"GET /nope HTTP/1.1\" 404 207 \"-\" \"curl/7.88.1\"";
	const char *nginx_common = "203.0.113.9 - - [21/Nov/2026:04:18:25 +0000] \"GET / HTTP/1.1\" 200 612";

	expect("gunicorn", p, gunicorn, "127.0.0.1", "GET", "/nope", 404, T0);
	expect("gunicorn, combined", cb, gunicorn, "127.0.0.1", "GET", "/nope", 404, T0);
	expect_err("gunicorn, common", cm, gunicorn, LP_NOT_ACCESS);
	expect("common", p, nginx_common, "203.0.113.9", "GET", "/", 200, T0);
	expect("common, common", cm, nginx_common, "203.0.113.9", "GET", "/", 200, T0);
	expect_err("common, combined", cb, nginx_common, LP_NOT_ACCESS);
	expect_err("werkzeug line, common", cm,
		   "127.0.0.1 - - [21/Nov/2026 04:18:25] \"GET /x HTTP/1.1\" 404 -", LP_NOT_ACCESS);
	expect("user name", p,
	       "198.51.100.4 - alice [21/Nov/2026:04:18:25 +0000] \"PUT /f HTTP/1.1\" 201 0 \"-\" \"-\"",
	       "198.51.100.4", "PUT", "/f", 201, T0);
	expect("size -", cb,
	       "198.51.100.4 - - [21/Nov/2026:04:18:25 +0000] \"HEAD / HTTP/1.1\" 301 - \"-\" \"-\"",
	       "198.51.100.4", "HEAD", "/", 301, T0);
	/* Traefik's CLF: referer, agent, then request count, router, service and duration. */
	expect("traefik", cb,
	       "192.0.2.10 - - [21/Nov/2026:04:18:25 +0000] \"GET /api HTTP/2.0\" 502 11 \"-\" \"Go-http-client/2.0\" 42 \"web@docker\" \"http://172.17.0.3:5000\" 12ms",
	       "192.0.2.10", "GET", "/api", 502, T0);
	expect("HTTP/2 without minor", p,
	       "192.0.2.10 - - [21/Nov/2026:04:18:25 +0000] \"GET / HTTP/2\" 200 1 \"-\" \"-\"",
	       "192.0.2.10", "GET", "/", 200, T0);
	expect("nginx HTTP/0.9", p, "192.0.2.10 - - [21/Nov/2026:04:18:25 +0000] \"GET /\" 200 1",
	       "192.0.2.10", "GET", "/", 200, T0);
	expect("proxy request", p,
	       "192.0.2.10 - - [21/Nov/2026:04:18:25 +0000] \"CONNECT example.com:443 HTTP/1.1\" 405 0 \"-\" \"-\"",
	       "192.0.2.10", "CONNECT", "example.com:443", 405, T0);
	expect_err("no size", p, "192.0.2.10 - - [21/Nov/2026:04:18:25 +0000] \"GET / HTTP/1.1\" 200",
		   LP_NOT_ACCESS);
	expect_err("bad size", p,
		   "192.0.2.10 - - [21/Nov/2026:04:18:25 +0000] \"GET / HTTP/1.1\" 200 12x \"-\" \"-\"",
		   LP_NOT_ACCESS);
	logparse__free(p);
	logparse__free(cm);
	logparse__free(cb);
}

static void test_addresses(void)
{
	struct logparser *p = parser(LOGFMT_AUTO);

	set_tz("UTC0");
	expect("IPv6", p, "2001:db8::5 - - [21/Nov/2026 04:18:25] \"GET / HTTP/1.1\" 200 -",
	       "2001:db8::5", "GET", "/", 200, T0);
	expect("IPv6 loopback", p, "::1 - - [21/Nov/2026 04:18:25] \"GET / HTTP/1.1\" 200 -", "::1",
	       "GET", "/", 200, T0);
	expect("mapped", p, "::ffff:192.0.2.33 - - [21/Nov/2026 04:18:25] \"GET / HTTP/1.1\" 404 -",
	       "192.0.2.33", "GET", "/", 404, T0);
	expect("mapped, common", p,
	       "::ffff:192.0.2.33 - - [21/Nov/2026:04:18:25 +0000] \"GET / HTTP/1.1\" 404 0 \"-\" \"-\"",
	       "192.0.2.33", "GET", "/", 404, T0);
	expect("bracketed IPv6", p,
	       "[2001:db8::7] - - [21/Nov/2026:04:18:25 +0000] \"GET / HTTP/1.1\" 404 0 \"-\" \"-\"",
	       "2001:db8::7", "GET", "/", 404, T0);
	expect("upper-case IPv6", p,
	       "2001:DB8::A - - [21/Nov/2026:04:18:25 +0000] \"GET / HTTP/1.1\" 404 0", "2001:db8::a",
	       "GET", "/", 404, T0);

	/* Lines shaped like access lines whose client is not an address. */
	expect_err("unix socket", p, "<local> - - [21/Nov/2026 04:18:25] \"GET / HTTP/1.1\" 200 -",
		   LP_BAD_ADDRESS);
	expect_err("host name", p,
		   "example.com - - [21/Nov/2026:04:18:25 +0000] \"GET / HTTP/1.1\" 200 0", LP_BAD_ADDRESS);
	expect_err("octet > 255", p, "999.1.1.1 - - [21/Nov/2026 04:18:25] \"GET / HTTP/1.1\" 200 -",
		   LP_BAD_ADDRESS);
	expect_err("leading zero", p, "01.2.3.4 - - [21/Nov/2026 04:18:25] \"GET / HTTP/1.1\" 200 -",
		   LP_BAD_ADDRESS);
	expect_err("zone id", p, "fe80::1%eth0 - - [21/Nov/2026 04:18:25] \"GET / HTTP/1.1\" 200 -",
		   LP_BAD_ADDRESS);
	expect_err("prefix", p, "10.0.0.0/8 - - [21/Nov/2026 04:18:25] \"GET / HTTP/1.1\" 200 -",
		   LP_BAD_ADDRESS);
	expect_err("address with port", p,
		   "192.0.2.1:5555 - - [21/Nov/2026 04:18:25] \"GET / HTTP/1.1\" 200 -", LP_BAD_ADDRESS);
	/* inet_pton() stops at a NUL; the parser must not let it. */
	expect_err_n("NUL in address", p,
		     "1.2.3.4\0junk - - [21/Nov/2026 04:18:25] \"GET / HTTP/1.1\" 200 -",
		     sizeof("1.2.3.4\0junk - - [21/Nov/2026 04:18:25] \"GET / HTTP/1.1\" 200 -") - 1,
		     LP_BAD_ADDRESS);
	expect_err("very long address", p,
		   "1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa - - [21/Nov/2026 04:18:25] \"GET / HTTP/1.1\" 200 -",
		   LP_BAD_ADDRESS);
	logparse__free(p);
}

static void test_times(void)
{
	static const char W1[] = "192.0.2.1 - - [21/Nov/2026 04:18:25] \"GET / HTTP/1.1\" 200 -";
	struct logparser *p = parser(LOGFMT_AUTO);
	struct access_line line;

	expect("+0000", p, "192.0.2.1 - - [21/Nov/2026:04:18:25 +0000] \"GET / HTTP/1.1\" 200 1",
	       "192.0.2.1", "GET", "/", 200, T0);
	expect("+0530", p, "192.0.2.1 - - [21/Nov/2026:04:18:25 +0530] \"GET / HTTP/1.1\" 200 1",
	       "192.0.2.1", "GET", "/", 200, T0 - 19800);
	expect("-0700", p, "192.0.2.1 - - [21/Nov/2026:04:18:25 -0700] \"GET / HTTP/1.1\" 200 1",
	       "192.0.2.1", "GET", "/", 200, T0 + 25200);
	expect("leap day", p, "192.0.2.1 - - [29/Feb/2024:23:59:59 +0000] \"GET / HTTP/1.1\" 200 1",
	       "192.0.2.1", "GET", "/", 200, 1709251199);
	expect("leap second", p, "192.0.2.1 - - [31/Dec/1999:23:59:60 +0000] \"GET / HTTP/1.1\" 200 1",
	       "192.0.2.1", "GET", "/", 200, 946684800);

	/* Werkzeug writes local time without a zone: warden reads it in its own TZ. */
	set_tz("UTC0");
	expect("werkzeug UTC", p, "192.0.2.1 - - [21/Nov/2026 04:18:25] \"GET / HTTP/1.1\" 200 -",
	       "192.0.2.1", "GET", "/", 200, T0);
	set_tz("EST5EDT,M3.2.0,M11.1.0");
	expect("werkzeug EST", p, "192.0.2.1 - - [21/Nov/2026 04:18:25] \"GET / HTTP/1.1\" 200 -",
	       "192.0.2.1", "GET", "/", 200, T0 + 5 * 3600);
	expect("werkzeug EDT", p, "192.0.2.1 - - [04/Jul/2026 12:00:00] \"GET / HTTP/1.1\" 200 -",
	       "192.0.2.1", "GET", "/", 200, 1783166400 + 4 * 3600);
	set_tz("UTC0");

	/* TZ read again however the environment changes, within one second too. */
	unsetenv("TZ");
	tzset();
	logparse__line(p, W1, strlen(W1), &line); /* TZ absent: the host's zone */
	set_tz("UTC0");
	expect("werkzeug TZ added", p, W1, "192.0.2.1", "GET", "/", 200, T0);
	setenv("WARDEN_TEST_TZ_NEIGHBOUR", "1", 1);
	set_tz("EST5EDT,M3.2.0,M11.1.0");
	expect("werkzeug TZ replaced", p, W1, "192.0.2.1", "GET", "/", 200, T0 + 5 * 3600);
	unsetenv("WARDEN_TEST_TZ_NEIGHBOUR");
	unsetenv("TZ");
	setenv("WARDEN_TEST_TZ_NEIGHBOUR", "2", 1);
	set_tz("UTC0");
	expect("werkzeug TZ moved", p, W1, "192.0.2.1", "GET", "/", 200, T0);
	unsetenv("WARDEN_TEST_TZ_NEIGHBOUR");

	/* Not timestamps: no structure, so not access lines. */
	expect_err("30 Feb", p, "192.0.2.1 - - [30/Feb/2024:00:00:00 +0000] \"GET / HTTP/1.1\" 200 1",
		   LP_NOT_ACCESS);
	logparse__free(p);
	p = parser(LOGFMT_AUTO);
	expect_err("month name", p, "192.0.2.1 - - [21/Foo/2026:04:18:25 +0000] \"GET / HTTP/1.1\" 200 1",
		   LP_NOT_ACCESS);
	logparse__free(p);
	p = parser(LOGFMT_AUTO);
	expect_err("hour 24", p, "192.0.2.1 - - [21/Nov/2026:24:00:00 +0000] \"GET / HTTP/1.1\" 200 1",
		   LP_NOT_ACCESS);
	logparse__free(p);
	p = parser(LOGFMT_AUTO);
	expect_err("offset", p, "192.0.2.1 - - [21/Nov/2026:04:18:25 +00:00] \"GET / HTTP/1.1\" 200 1",
		   LP_NOT_ACCESS);
	logparse__free(p);
}

/* Werkzeug: the client writes everything between the quotes, raw when the request was bad. */
static void test_hostile_werkzeug(void)
{
	static const char nul_line[] =
		"127.0.0.1 - - [21/Nov/2026 04:18:25] \"\x16\x03\x01\x02\x00\x01\x00\x01\xc3\xbc\x03\x03\xc3\xbf\x00\" 400 -";
	static const char nul_path[] =
		"127.0.0.1 - - [21/Nov/2026 04:18:25] \"GET /\xc3\xbf\xc3\xbe\x00z HTTP/1.1\" 404 -";
	struct logparser *p = parser(LOGFMT_AUTO);

	set_tz("UTC0");
	expect("quote in target", p, "127.0.0.1 - - [21/Nov/2026 04:18:25] \"GET /a\"b HTTP/1.1\" 404 -",
	       "127.0.0.1", "GET", "/a\"b", 404, T0);
	/* A real line: Python refused the request, Werkzeug logged its raw text. */
	expect("fake status in request", p,
	       "127.0.0.1 - - [21/Nov/2026 04:18:25] \"GET /x\" 200 - \"y HTTP/1.1\" 400 -",
	       "127.0.0.1", NULL, NULL, 400, T0);
	expect("fake line as request", p,
	       "127.0.0.1 - - [21/Nov/2026 04:18:25] \"6.6.6.6 - - [21/Nov/2026 04:18:25] \"GET / HTTP/1.1\" 200 -\" 400 -",
	       "127.0.0.1", NULL, NULL, 400, T0);
	expect("fake line ending in 200 -", p,
	       "127.0.0.1 - - [21/Nov/2026 04:18:25] \"GET / HTTP/1.1\" 200 -\" 400 -", "127.0.0.1",
	       NULL, NULL, 400, T0);
	expect("empty request", p, "127.0.0.1 - - [21/Nov/2026 04:18:25] \"\" 414 -", "127.0.0.1",
	       NULL, NULL, 414, T0);
	expect("junk", p, "127.0.0.1 - - [21/Nov/2026 04:18:25] \"junk\" 400 -", "127.0.0.1", NULL,
	       NULL, 400, T0);
	expect("three junk words", p, "127.0.0.1 - - [21/Nov/2026 04:18:25] \"a b c\" 400 -",
	       "127.0.0.1", NULL, NULL, 400, T0);
	expect("spaces in target", p,
	       "127.0.0.1 - - [21/Nov/2026 04:18:25] \"GET /a b HTTP/1.1\" 400 -", "127.0.0.1", NULL,
	       NULL, 400, T0);
	expect("long method", p,
	       "127.0.0.1 - - [21/Nov/2026 04:18:25] \"ABCDEFGHIJKLMNOPQ / HTTP/1.1\" 501 -",
	       "127.0.0.1", NULL, NULL, 501, T0);
	expect_n("TLS handshake with NUL", p, nul_line, sizeof(nul_line) - 1, "127.0.0.1", NULL,
		 NULL, 0, 400, T0);
	expect_n("NUL and latin-1 in path", p, nul_path, sizeof(nul_path) - 1, "127.0.0.1", "GET",
		 "/\xc3\xbf\xc3\xbe\x00z", 7, 404, T0);
	expect("ESC in path", p,
	       "127.0.0.1 - - [21/Nov/2026 04:18:25] \"GET /\x1b[0m\x1b[2J HTTP/1.1\" 404 -",
	       "127.0.0.1", "GET", "/\x1b[0m\x1b[2J", 404, T0);
	expect("invalid UTF-8", p, "127.0.0.1 - - [21/Nov/2026 04:18:25] \"GET /\xff\xfe HTTP/1.1\" 404 -",
	       "127.0.0.1", "GET", "/\xff\xfe", 404, T0);
	expect("bad request ends in a colour code", p,
	       "127.0.0.1 - - [21/Nov/2026 04:18:25] \"\x1b[31m\x1b[1mjunk\x1b[0m\x1b[0m\" 400 -",
	       "127.0.0.1", NULL, NULL, 400, T0);

	/* Status fields. */
	expect_err("status 999", p, "127.0.0.1 - - [21/Nov/2026 04:18:25] \"GET / HTTP/1.1\" 999 -",
		   LP_BAD_STATUS);
	expect_err("status 000", p, "127.0.0.1 - - [21/Nov/2026 04:18:25] \"GET / HTTP/1.1\" 000 -",
		   LP_BAD_STATUS);
	expect_err("status 099", p, "127.0.0.1 - - [21/Nov/2026 04:18:25] \"GET / HTTP/1.1\" 099 -",
		   LP_BAD_STATUS);
	expect_err("status 42", p, "127.0.0.1 - - [21/Nov/2026 04:18:25] \"GET / HTTP/1.1\" 42 -",
		   LP_BAD_STATUS);
	expect_err("status 4040", p, "127.0.0.1 - - [21/Nov/2026 04:18:25] \"GET / HTTP/1.1\" 4040 -",
		   LP_BAD_STATUS);
	expect_err("status text", p, "127.0.0.1 - - [21/Nov/2026 04:18:25] \"GET / HTTP/1.1\" abc -",
		   LP_BAD_STATUS);
	expect_err("unknown HTTPStatus", p,
		   "127.0.0.1 - - [21/Nov/2026 04:18:25] \"GET / HTTP/1.1\" HTTPStatus.OK -",
		   LP_BAD_STATUS);
	expect_err("no size", p, "127.0.0.1 - - [21/Nov/2026 04:18:25] \"GET / HTTP/1.1\" 404",
		   LP_BAD_STATUS);
	expect_err("trailing text", p,
		   "127.0.0.1 - - [21/Nov/2026 04:18:25] \"GET / HTTP/1.1\" 404 - extra", LP_BAD_STATUS);
	expect_err("unterminated", p, "127.0.0.1 - - [21/Nov/2026 04:18:25] \"GET / HTTP/1.1",
		   LP_BAD_REQUEST);
	expect_err("no request", p, "127.0.0.1 - - [21/Nov/2026 04:18:25]", LP_NOT_ACCESS);
	logparse__free(p);
}

/* Common and combined: the referer and user agent are the client's, after the status. */
static void test_hostile_combined(void)
{
	struct logparser *p = parser(LOGFMT_AUTO);
	struct access_line a;
	char buf[PREFIX_STRLEN];

	/* gunicorn replaces '"' with '\"' (SafeAtoms) but leaves '\' alone. */
	expect("gunicorn quote", p,
	       "127.0.0.1 - - [21/Nov/2026:04:18:25 +0000] \"GET /a\\\"b HTTP/1.1\" 404 207 \"-\" \"-\"",
	       "127.0.0.1", "GET", "/a\\\"b", 404, T0);
	expect("gunicorn backslash-quote", p,
	       "127.0.0.1 - - [21/Nov/2026:04:18:25 +0000] \"GET /a\\\\\" HTTP/1.1\" 404 207 \"-\" \"-\"",
	       "127.0.0.1", "GET", "/a\\\\\"", 404, T0);
	expect("gunicorn backslash at end of target", p,
	       "127.0.0.1 - - [21/Nov/2026:04:18:25 +0000] \"GET /a\\ HTTP/1.1\" 404 207 \"-\" \"-\"",
	       "127.0.0.1", "GET", "/a\\", 404, T0);
	/* nginx escapes '"' and '\' as \x22 and \x5C, Apache as \" and \\. */
	expect("nginx escapes", p,
	       "127.0.0.1 - - [21/Nov/2026:04:18:25 +0000] \"GET /a\\x22 200 1 \\x22 HTTP/1.1\" 400 0 \"-\" \"-\"",
	       "127.0.0.1", NULL, NULL, 400, T0);
	expect("apache escapes", p,
	       "127.0.0.1 - - [21/Nov/2026:04:18:25 +0000] \"GET /a\\\" 200 1 \\\"x HTTP/1.1\" 400 226 \"-\" \"-\"",
	       "127.0.0.1", NULL, NULL, 400, T0);
	expect("user agent is a log line", p,
	       "127.0.0.1 - - [21/Nov/2026:04:18:25 +0000] \"GET /wp-login.php HTTP/1.1\" 404 207 \"-\" \"6.6.6.6 - - [21/Nov/2026:04:18:25 +0000] \\\"GET / HTTP/1.1\\\" 200 1 \\\"-\\\" \\\"-\\\"\"",
	       "127.0.0.1", "GET", "/wp-login.php", 404, T0);
	expect("unescaped user agent is a log line", p,
	       "127.0.0.1 - - [21/Nov/2026:04:18:25 +0000] \"GET /x HTTP/1.1\" 404 207 \"-\" \"6.6.6.6 - - [21/Nov/2026:04:18:25 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"-\"\"",
	       "127.0.0.1", "GET", "/x", 404, T0);
	expect("referer with a status", p,
	       "127.0.0.1 - - [21/Nov/2026:04:18:25 +0000] \"GET /x HTTP/1.1\" 403 9 \"\" 200 1 \"\" \"-\"",
	       "127.0.0.1", "GET", "/x", 403, T0);
	/* The user name may hold spaces, brackets and quotes, not a ':'. */
	expect("hostile user name", p,
	       "127.0.0.1 - a [b] \\\"c\\\" 200 - [x] \"GET / [21/Nov/2026 04:18:25] [21/Nov/2026:04:18:25 +0000] \"GET /y HTTP/1.1\" 401 0 \"-\" \"-\"",
	       "127.0.0.1", "GET", "/y", 401, T0);
	expect("empty request", p,
	       "127.0.0.1 - - [21/Nov/2026:04:18:25 +0000] \"\" 400 0 \"-\" \"-\"", "127.0.0.1", NULL,
	       NULL, 400, T0);
	expect("nginx binary junk", p,
	       "127.0.0.1 - - [21/Nov/2026:04:18:25 +0000] \"\\x16\\x03\\x01\\x00\\xF4\\x01\" 400 157 \"-\" \"-\"",
	       "127.0.0.1", NULL, NULL, 400, T0);
	expect("raw binary junk", p,
	       "127.0.0.1 - - [21/Nov/2026:04:18:25 +0000] \"\x16\x03\x01\xff\x1b[2J\" 400 157 \"-\" \"-\"",
	       "127.0.0.1", NULL, NULL, 400, T0);
	expect_err("status 600", p,
		   "127.0.0.1 - - [21/Nov/2026:04:18:25 +0000] \"GET / HTTP/1.1\" 600 0 \"-\" \"-\"",
		   LP_BAD_STATUS);
	ASSERT_EQ(parse(p, "127.0.0.1 - - [21/Nov/2026:04:18:25 +0000] \"GET / HTTP/1.1\" - 0 \"-\" \"-\"",
			&a),
		  LP_BAD_STATUS, "status -");
	/* The client is still known: the caller may count it. */
	ASSERT_STREQ(prefix__format(&a.client, buf, sizeof(buf)), "127.0.0.1", "status - client");
	ASSERT_EQ(a.time, T0, "status - time");
	ASSERT_EQ(a.status, 0, "status - no status");
	ASSERT_EQ(parse(p, "127.0.0.1 - - [21/Nov/2026:04:18:25 +0000] \"GET / HTTP/1.1", &a),
		  LP_BAD_REQUEST, "unterminated");
	ASSERT_STREQ(prefix__format(&a.client, buf, sizeof(buf)), "127.0.0.1", "unterminated client");
	logparse__free(p);
}

/* App output and other servers' messages are never access lines. */
static void test_not_access(void)
{
	struct logparser *p = parser(LOGFMT_AUTO);
	struct access_line a;

	ASSERT_EQ(parse_n(p, "", 0, &a), LP_EMPTY, "empty");
	ASSERT_EQ(a.time, -1, "empty time");
	expect_err("CR only", p, "\r", LP_EMPTY);
	expect_err("banner", p, " * Running on http://127.0.0.1:5000", LP_NOT_ACCESS);
	expect_err("gunicorn", p, "[2026-11-21 04:24:22 +0000] [6143] [INFO] Listening at: http://127.0.0.1:8000 (6143)",
		   LP_NOT_ACCESS);
	expect_err("address in prose", p, "127.0.0.1 is serving", LP_NOT_ACCESS);
	expect_err("just an address", p, "127.0.0.1", LP_NOT_ACCESS);
	expect_err("spaces", p, "   ", LP_NOT_ACCESS);
	expect_err("leading space", p,
		   " 6.6.6.6 - - [21/Nov/2026:04:18:25 +0000] \"GET / HTTP/1.1\" 404 0 \"-\" \"-\"",
		   LP_NOT_ACCESS);
	expect_err("app prints a user agent", p,
		   "DEBUG ua=6.6.6.6 - - [21/Nov/2026 04:18:25] \"GET / HTTP/1.1\" 404 -", LP_NOT_ACCESS);
	/* Shaped like an access line, but its first field is no address: never attributed. */
	expect_err("other logger's prefix", p,
		   "INFO:app:6.6.6.6 - - [21/Nov/2026 04:18:25] \"GET / HTTP/1.1\" 404 -", LP_BAD_ADDRESS);
	expect_err("traceback", p, "Traceback (most recent call last):", LP_NOT_ACCESS);
	expect_err("ident not -", p,
		   "6.6.6.6 HTTP/1.1\" 404 0 \"-\" \"[21/Nov/2026:04:18:25 +0000] \"GET / HTTP/1.1\" 404 0 \"-\" \"-\"",
		   LP_NOT_ACCESS);
	expect_err("second field not -", p,
		   "6.6.6.6 x - [21/Nov/2026:04:18:25 +0000] \"GET / HTTP/1.1\" 404 0 \"-\" \"-\"",
		   LP_NOT_ACCESS);
	logparse__free(p);
}

/*
 * gunicorn's %(u)s (Basic-auth user "x\n6.6.6.6 - -") breaks the line: the
 * first part is the server's head, the next carries the attacker's address
 * before the real timestamp. Seen for real in parse_real_servers.sh.
 */
static void test_split_line(void)
{
	static const char *rest =
		"6.6.6.6 - - [21/Nov/2026:04:18:25 +0000] \"GET /secret HTTP/1.1\" 401 317 \"-\" \"-\"";
	static const char *next =
		"192.0.2.2 - - [21/Nov/2026:04:18:25 +0000] \"GET / HTTP/1.1\" 200 3 \"-\" \"-\"";
	struct logparser *p = parser(LOGFMT_AUTO);

	set_tz("UTC0");
	expect_err("head", p, "127.0.0.1 - x", LP_NOT_ACCESS);
	expect_err("rest", p, rest, LP_SPLIT_LINE);
	expect("next line", p, next, "192.0.2.2", "GET", "/", 200, T0);

	/* Several injected lines, and a second head that tries to take over. */
	expect_err("head 2", p, "127.0.0.1 - ", LP_NOT_ACCESS);
	expect_err("filler", p, "foo bar", LP_NOT_ACCESS);
	expect_err("second head", p, "6.6.6.6 - y", LP_NOT_ACCESS);
	expect_err("empty", p, "", LP_EMPTY);
	expect_err("rest 2", p, rest, LP_SPLIT_LINE);
	expect("next line 2", p, next, "192.0.2.2", "GET", "/", 200, T0);

	/* A client that blames itself is believed. */
	expect_err("head 3", p, "6.6.6.6 - x", LP_NOT_ACCESS);
	expect("same client", p, rest, "6.6.6.6", "GET", "/secret", 401, T0);

	/* A rest that is no access line still ends the run. */
	expect_err("head 4", p, "127.0.0.1 - x", LP_NOT_ACCESS);
	expect_err("plain rest", p,
		   "y [21/Nov/2026:04:18:25 +0000] \"GET /secret HTTP/1.1\" 401 317 \"-\" \"-\"",
		   LP_NOT_ACCESS);
	expect("next line 3", p, next, "192.0.2.2", "GET", "/", 200, T0);

	/* A line of another format is no head, whatever --format says. */
	logparse__free(p);
	p = parser(LOGFMT_WERKZEUG);
	expect_err("common line", p, next, LP_NOT_ACCESS);
	expect("werkzeug line", p, "192.0.2.3 - - [21/Nov/2026 04:18:25] \"GET / HTTP/1.1\" 200 -",
	       "192.0.2.3", "GET", "/", 200, T0);
	logparse__free(p);
	p = parser(LOGFMT_AUTO);

	/* A head whose address is not one: no rest is believed. */
	expect_err("bad head", p, "junk.example - x", LP_NOT_ACCESS);
	expect_err("rest 4", p, next, LP_SPLIT_LINE);
	expect("next line 4", p, next, "192.0.2.2", "GET", "/", 200, T0);
	logparse__free(p);
}

/* Only LOGPARSE_MAX_LINE bytes are parsed; nothing at or past len is read. */
static void test_long_lines(void)
{
	static const char head_wz[] = "127.0.0.1 - - [21/Nov/2026 04:18:25] \"GET /";
	static const char head_clf[] = "127.0.0.1 - - [21/Nov/2026:04:18:25 +0000] \"GET /";
	size_t big = LOGPARSE_MAX_LINE + 4096, n;
	struct logparser *p = parser(LOGFMT_AUTO);
	struct access_line a;
	char *line = malloc(big + 256), buf[PREFIX_STRLEN];

	if (!ASSERT_NOT_NULL(line, "malloc"))
		return;
	set_tz("UTC0");

	/* Werkzeug, status past the bound: not parsed, but the client is known. */
	n = (size_t)sprintf(line, "%s", head_wz);
	memset(line + n, 'a', big - n);
	n = big;
	n += (size_t)sprintf(line + n, " HTTP/1.1\" 404 -");
	ASSERT_EQ(parse_n(p, line, n, &a), LP_TOO_LONG_UNPARSED, "werkzeug past bound");
	ASSERT_STREQ(prefix__format(&a.client, buf, sizeof(buf)), "127.0.0.1", "werkzeug client");
	ASSERT_EQ(a.time, T0, "werkzeug time");

	/* Werkzeug, just within the bound. */
	n = (size_t)sprintf(line, "%s", head_wz);
	memset(line + n, 'a', LOGPARSE_MAX_LINE - n - 16);
	n = LOGPARSE_MAX_LINE - 16;
	n += (size_t)sprintf(line + n, " HTTP/1.1\" 404 -");
	ASSERT_EQ(n, LOGPARSE_MAX_LINE, "exact length");
	ASSERT_EQ(parse_n(p, line, n, &a), LP_OK, "werkzeug at bound");
	ASSERT_EQ(a.status, 404, "werkzeug at bound status");
	ASSERT_EQ(a.path_len, LOGPARSE_MAX_LINE - 16 - sizeof(head_wz) + 2, "werkzeug at bound path");
	/* One more byte and the end is out of reach. */
	line[n] = ' ';
	ASSERT_EQ(parse_n(p, line, n + 1, &a), LP_TOO_LONG_UNPARSED, "werkzeug bound + 1");

	/* Combined, long user agent: the status is early, the line parses. */
	n = (size_t)sprintf(line, "%sx HTTP/1.1\" 404 0 \"-\" \"", head_clf);
	memset(line + n, 'u', big - n);
	n = big;
	line[n++] = '"';
	ASSERT_EQ(parse_n(p, line, n, &a), LP_OK, "long user agent");
	ASSERT_EQ(a.status, 404, "long user agent status");

	/* Combined, request closing past the bound. */
	n = (size_t)sprintf(line, "%s", head_clf);
	memset(line + n, 'a', big - n);
	n = big;
	n += (size_t)sprintf(line + n, " HTTP/1.1\" 404 0 \"-\" \"-\"");
	ASSERT_EQ(parse_n(p, line, n, &a), LP_TOO_LONG_UNPARSED, "long request");
	ASSERT_STREQ(prefix__format(&a.client, buf, sizeof(buf)), "127.0.0.1", "long request client");

	/* A fake status right after the bound is never seen. */
	n = (size_t)sprintf(line, "%s", head_clf);
	memset(line + n, 'a', LOGPARSE_MAX_LINE - n);
	n = LOGPARSE_MAX_LINE;
	n += (size_t)sprintf(line + n, "\" 200 0 \"-\" \"-\"");
	ASSERT_EQ(parse_n(p, line, n, &a), LP_TOO_LONG_UNPARSED, "status past bound");

	/* Nothing that looks like anything, 20 KiB of it. */
	memset(line, '"', big);
	ASSERT_EQ(parse_n(p, line, big, &a), LP_NOT_ACCESS, "quotes");
	memset(line, '[', big);
	ASSERT_EQ(parse_n(p, line, big, &a), LP_NOT_ACCESS, "brackets");
	n = (size_t)sprintf(line, "127.0.0.1 - ");
	memset(line + n, '[', big - n);
	ASSERT_EQ(parse_n(p, line, big, &a), LP_TOO_LONG_UNPARSED, "head of brackets");
	free(line);
	logparse__free(p);
}

static bool valid_status_of(const struct access_line *a)
{
	return a->status >= 100 && a->status <= 599;
}

/* A line the reader cut: its apparent end is the client's text. */
static void test_truncated(void)
{
	static const char wz[] = "127.0.0.1 - - [21/Nov/2026 04:18:25] \"GET /aaaa\" 200 -";
	static const char clf[] = "127.0.0.1 - - [21/Nov/2026:04:18:25 +0000] \"GET /x HTTP/1.1\" 404 0 \"-\" \"Mozi";
	struct logparser *p = parser(LOGFMT_AUTO), *re;
	struct access_line a;
	char buf[PREFIX_STRLEN];

	set_tz("UTC0");
	/* As a whole line this would be a 200; cut, the status is unknown. */
	ASSERT_EQ(parse(p, wz, &a), LP_OK, "whole");
	ASSERT_EQ(logparse__line_truncated(p, wz, sizeof(wz) - 1, &a), LP_TOO_LONG_UNPARSED,
		  "werkzeug cut");
	ASSERT_STREQ(prefix__format(&a.client, buf, sizeof(buf)), "127.0.0.1", "werkzeug cut client");
	ASSERT_EQ(a.status, 0, "werkzeug cut status");
	ASSERT_EQ(logparse__line_truncated(p, clf, sizeof(clf) - 1, &a), LP_OK, "common cut");
	ASSERT_EQ(a.status, 404, "common cut status");
	ASSERT_EQ(a.path_len, 2, "common cut path");
	ASSERT_EQ(logparse__line_truncated(p, clf, 60, &a), LP_TOO_LONG_UNPARSED, "cut in request");
	/* A cut line is no head: the next line is its own. */
	ASSERT_EQ(logparse__line_truncated(p, "127.0.0.1 - x", 13, &a), LP_TOO_LONG_UNPARSED, "cut head");
	expect("after cut head", p, "6.6.6.6 - - [21/Nov/2026:04:18:25 +0000] \"GET / HTTP/1.1\" 404 0",
	       "6.6.6.6", "GET", "/", 404, T0);
	ASSERT_EQ(logparse__line_truncated(p, "", 0, &a), LP_EMPTY, "cut empty");
	logparse__free(p);

	re = regex_parser("^(?<ip>\\S+) \"(?<method>\\S+) (?<path>\\S+)\" (?<status>\\d{3})$");
	if (ASSERT_NOT_NULL(re, "compile")) {
		ASSERT_EQ(parse(re, "192.0.2.1 \"GET /x\" 404", &a), LP_OK, "regex whole");
		ASSERT_EQ(logparse__line_truncated(re, "192.0.2.1 \"GET /x\" 200", 22, &a),
			  LP_TOO_LONG_UNPARSED, "regex cut");
		ASSERT_STREQ(prefix__format(&a.client, buf, sizeof(buf)), "192.0.2.1", "regex cut client");
		logparse__free(re);
	}
}

/* Every prefix of a line: whatever the cut, never a crash, an over-read or another client. */
static void test_every_prefix(void)
{
	static const char *lines[] = {
		"INFO:werkzeug:\x1b[1m127.0.0.1 - - [21/Nov/2026 04:18:25] \"\x1b[33mGET /x\" 200 - \"y HTTP/1.1\x1b[0m\" 404 -\x1b[0m",
		"::ffff:127.0.0.1 - a\\\" b [21/Nov/2026:04:18:25 +0000] \"GET /a\\\\\" HTTP/1.1\" 404 207 \"\\\"\" \"6.6.6.6 - - [\"",
	};
	struct access_line a;
	char buf[PREFIX_STRLEN];
	size_t i, n;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		for (n = 0; n <= strlen(lines[i]); n++) {
			struct logparser *p = parser(LOGFMT_AUTO);
			enum logparse_error e = parse_n(p, lines[i], n, &a);

			/* (A cut line may show another status: callers never pass one as whole.) */
			if (e == LP_OK || a.client.family)
				ASSERT_STREQ(prefix__format(&a.client, buf, sizeof(buf)), "127.0.0.1",
					     "prefix client");
			if (e == LP_OK)
				ASSERT_TRUE(valid_status_of(&a), "prefix status");
			logparse__free(p);
		}
	}
}

static void test_regex(void)
{
	const char *re = "^client=(?<ip>\\S+) req=\"(?<method>\\S+) (?<path>\\S+) [^\"]*\" "
			 "status=(?<status>\\S+)(?: at=(?<time>.+))?$";
	struct logparser *p = regex_parser(re);
	struct access_line a;

	if (!ASSERT_NOT_NULL(p, "compile"))
		return;
	set_tz("UTC0");
	expect("regex", p, "client=192.0.2.1 req=\"GET /x HTTP/1.1\" status=404 at=2026-11-21T04:18:25Z",
	       "192.0.2.1", "GET", "/x", 404, T0);
	expect("regex offset", p,
	       "client=2001:db8::1 req=\"POST /y HTTP/1.1\" status=403 at=2026-11-21T04:18:25.123+01:00",
	       "2001:db8::1", "POST", "/y", 403, T0 - 3600);
	expect("regex iso space", p,
	       "client=192.0.2.1 req=\"GET /x HTTP/1.1\" status=404 at=2026-11-21 04:18:25 +0000",
	       "192.0.2.1", "GET", "/x", 404, T0);
	expect("regex local iso", p,
	       "client=192.0.2.1 req=\"GET /x HTTP/1.1\" status=404 at=2026-11-21 04:18:25",
	       "192.0.2.1", "GET", "/x", 404, T0);
	expect("regex clf time", p,
	       "client=192.0.2.1 req=\"GET /x HTTP/1.1\" status=404 at=[21/Nov/2026:04:18:25 -0100]",
	       "192.0.2.1", "GET", "/x", 404, T0 + 3600);
	expect("regex werkzeug time", p,
	       "client=192.0.2.1 req=\"GET /x HTTP/1.1\" status=404 at=21/Nov/2026 04:18:25",
	       "192.0.2.1", "GET", "/x", 404, T0);
	expect("regex epoch", p,
	       "client=192.0.2.1 req=\"GET /x HTTP/1.1\" status=404 at=1795234705.25", "192.0.2.1",
	       "GET", "/x", 404, T0);
	expect("regex bad time", p, "client=192.0.2.1 req=\"GET /x HTTP/1.1\" status=404 at=yesterday",
	       "192.0.2.1", "GET", "/x", 404, -1);
	expect("regex no time", p, "client=::ffff:10.1.2.3 req=\"GET /x HTTP/1.1\" status=200",
	       "10.1.2.3", "GET", "/x", 200, -1);
	expect("regex junk method", p, "client=192.0.2.1 req=\"\x16\x03 \x01 x\" status=400",
	       "192.0.2.1", NULL, NULL, 400, -1);
	expect_err("regex no match", p, "127.0.0.1 - - [21/Nov/2026 04:18:25] \"GET / HTTP/1.1\" 200 -",
		   LP_NOT_ACCESS);
	expect_err("regex bad ip", p, "client=host.example req=\"GET /x HTTP/1.1\" status=404",
		   LP_BAD_ADDRESS);
	expect_err("regex bad status", p, "client=192.0.2.1 req=\"GET /x HTTP/1.1\" status=999",
		   LP_BAD_STATUS);
	expect_err("regex text status", p, "client=192.0.2.1 req=\"GET /x HTTP/1.1\" status=abc",
		   LP_BAD_STATUS);
	expect_err_n("regex NUL in ip", p, "client=1.2.3.4\0x req=\"GET /x HTTP/1.1\" status=404",
		     sizeof("client=1.2.3.4\0x req=\"GET /x HTTP/1.1\" status=404") - 1, LP_BAD_ADDRESS);
	expect_err("regex empty", p, "", LP_EMPTY);
	logparse__free(p);

	/* Duplicate names in alternatives, (?J): the group that matched counts. */
	p = regex_parser("(?J)^(?:a (?<ip>\\S+) (?<method>\\S+) (?<path>\\S+) (?<status>\\d+)"
			 "|b (?<status>\\d+) (?<path>\\S+) (?<method>\\S+) (?<ip>\\S+))$");
	if (ASSERT_NOT_NULL(p, "compile (?J)")) {
		expect("first alternative", p, "a 192.0.2.1 GET /a 404", "192.0.2.1", "GET", "/a", 404, -1);
		expect("second alternative", p, "b 403 /b PUT 192.0.2.2", "192.0.2.2", "PUT", "/b", 403, -1);
		logparse__free(p);
	}

	/* Optional method and path: unset means not HTTP. */
	p = regex_parser("^(?<ip>\\S+) (?:(?<method>[A-Z]+) (?<path>\\S+)|-) (?<status>\\d{3})$");
	if (ASSERT_NOT_NULL(p, "compile optional")) {
		expect("unset method", p, "192.0.2.1 - 400", "192.0.2.1", NULL, NULL, 400, -1);
		logparse__free(p);
	}

	/* Backtracking is bounded: a line cannot make a match run for long. */
	p = regex_parser("^(?<ip>\\S+) (?<method>(?:a|aa)+)+$(?<path>x)?(?<status>\\d{3})?");
	if (ASSERT_NOT_NULL(p, "compile exponential")) {
		char line[64];

		memset(line, 'a', sizeof(line));
		memcpy(line, "1.2.3.4 ", 8);
		line[sizeof(line) - 1] = '!';
		ASSERT_EQ(parse_n(p, line, sizeof(line), &a), LP_REGEX_LIMIT, "match limit");
		logparse__free(p);
	}
}

static void test_regex_errors(void)
{
	char err[256];
	struct logparser *p;

	errno = 0;
	p = logparse__new(LOGFMT_REGEX, "^(?<ip>\\S+) (?<method>\\S+) (?<path>\\S+)", err, sizeof(err));
	ASSERT_TRUE(p == NULL && errno == EINVAL, "no status group");
	ASSERT_TRUE(strstr(err, "(?<status>") != NULL, err);
	logparse__free(p);

	p = logparse__new(LOGFMT_REGEX, "^(?<ip>\\S+) (?<status>\\d+)", err, sizeof(err));
	ASSERT_TRUE(p == NULL && errno == EINVAL, "no method group");
	ASSERT_TRUE(strstr(err, "(?<method>") != NULL, err);

	errno = 0;
	p = logparse__new(LOGFMT_REGEX, "^(?<ip>\\S+ (?<method>x)(?<path>y)(?<status>z)", err,
			  sizeof(err));
	ASSERT_TRUE(p == NULL && errno == EINVAL, "unbalanced");
	ASSERT_TRUE(strstr(err, "offset") != NULL, err);

	p = logparse__new(LOGFMT_REGEX, "(?<ip>[)", err, sizeof(err));
	ASSERT_TRUE(p == NULL && errno == EINVAL, "bad class");
	ASSERT_TRUE(strstr(err, "offset 8") != NULL, err);

	p = logparse__new(LOGFMT_REGEX, NULL, err, sizeof(err));
	ASSERT_TRUE(p == NULL && errno == EINVAL, "regex format without regex");
	p = logparse__new(LOGFMT_AUTO, "^(?<ip>.)", err, sizeof(err));
	ASSERT_TRUE(p == NULL && errno == EINVAL, "regex without regex format");
	p = logparse__new((enum log_format)42, NULL, NULL, 0);
	ASSERT_TRUE(p == NULL && errno == EINVAL, "bad format, no err buffer");
	logparse__free(NULL);
}

int main(void)
{
	RUN_TEST(test_format_names);
	RUN_TEST(test_werkzeug);
	RUN_TEST(test_common_combined);
	RUN_TEST(test_addresses);
	RUN_TEST(test_times);
	RUN_TEST(test_hostile_werkzeug);
	RUN_TEST(test_hostile_combined);
	RUN_TEST(test_not_access);
	RUN_TEST(test_split_line);
	RUN_TEST(test_long_lines);
	RUN_TEST(test_truncated);
	RUN_TEST(test_every_prefix);
	RUN_TEST(test_regex);
	RUN_TEST(test_regex_errors);
	free(line_copy);
	return TEST_EXIT();
}
