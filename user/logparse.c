// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* logparse.c - parse HTTP access-log lines (Werkzeug, common, combined, PCRE2) into client, request and status. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "logparse.h"
#include "errmsg.h"

/*
 * The threat: most of an access line is written by the client. The request
 * target, the user agent, the referer and the Basic-auth user name are all
 * the client's text, and the app may print more of it. A line must never be
 * attributed to an address that the server did not write as that line's
 * client. What the servers of interest really write (checked against their
 * sources and tests/unit/parse_real_servers.sh):
 *
 * - Werkzeug 2.2 (serving.py log_request): 'IP - - [DD/Mon/YYYY HH:MM:SS]
 *   "MSG" CODE -'. MSG is "METHOD PATH VERSION" for a request it could
 *   parse (PATH has no whitespace; uri_to_iri decodes only non-ASCII escapes,
 *   so %22 and %0A stay escaped), but the raw request line, unescaped, when
 *   it could not: '"GET /x" 200 - "y HTTP/1.1" 400 -' is a real line. MSG
 *   may be wrapped in ANSI colours (stripped by colorama when it is
 *   installed and stderr is not a terminal). The date is local time.
 *   Nothing after MSG is the client's: the status is at the END of the line.
 * - gunicorn 20.1 (glogging.py): every atom has '"' replaced by '\"' but
 *   '\' is left alone. The request is "METHOD URI HTTP/x.y" where URI has no
 *   space (the request line is split on spaces into exactly three parts).
 *   Referer and user agent may hold a bare "\n": the logged line breaks,
 *   but no raw quote can follow "] " in the injected text. The Basic-auth
 *   user name (%(u)s, before the timestamp) may hold "\n" and spaces but no
 *   ':' (it is cut at the first one): see LP_SPLIT_LINE below.
 * - nginx escapes '"', '\' and control bytes as \xHH; Apache as \" \\ \xhh.
 *
 * Hence the parse:
 * 1. The client is the first token of the line (after ANSI colours and
 *    Werkzeug's "INFO:werkzeug:" prefix), followed by " - ". Nothing found
 *    later in the line is ever taken as the client.
 * 2. The timestamp is found next: Werkzeug's at a fixed place, the common
 *    log's as the first '[' that starts a complete valid timestamp. Every
 *    timestamp holds ':', which no Basic-auth user name can, so the user
 *    field cannot fake one. It must be followed by ' "', the request.
 * 3. Werkzeug: the request's closing quote is the LAST quote of the line,
 *    and the line must end right after it with ' CODE SIZE'. Common and
 *    combined: the request ends at the first unescaped quote followed by
 *    ' DDD ' (or ' DDD' at the end). Quotes inside the request are escaped
 *    by nginx and Apache; gunicorn leaves '\' raw, so '\"' in a URI is
 *    logged '\\"' and looks like a closing quote, but a URI has no space,
 *    so that quote is never followed by ' DDD '. The referer and the user
 *    agent come after the status and are never looked at.
 */

/* Lengths of the timestamps without their brackets. */
#define CLF_TS_LEN 26 /* 21/Nov/2026:04:18:25 +0000 */
#define WZ_TS_LEN 20  /* 21/Nov/2026 04:18:25 */
#define ADDR_MAX 46   /* INET6_ADDRSTRLEN */

/* Each PCRE2 match gives up after this many backtracking steps. */
#define REGEX_MATCH_LIMIT 1000000
#define REGEX_JIT_STACK_MAX (1024 * 1024)

/* The entries of PCRE2's name table that carry one group name. */
struct named_group {
	PCRE2_SPTR first; /* NULL: the pattern has no such group */
	PCRE2_SPTR last;  /* equal to first unless the name is duplicated ((?J)) */
};

struct logparser {
	enum log_format format;

	/* --log-regex: compiled once, matched with data allocated once. */
	pcre2_code *re;
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	pcre2_jit_stack *jit_stack; /* NULL without JIT */
	uint32_t name_entry_size;
	struct named_group g_ip, g_method, g_path, g_status, g_time;

	/*
	 * A line that starts like an access line ("IP - ...") but has no
	 * timestamp: the head of a line broken by a newline in the user name.
	 * The next line that holds a timestamp is its rest (LP_SPLIT_LINE).
	 */
	bool pending;
	bool head_ok;              /* head_client holds a valid address */
	struct prefix head_client; /* the client of the first pending head */
};

/* A broken-down date and time as the log wrote it. */
struct civil {
	int year, mon, day, hour, min, sec;
	int utc_off; /* seconds east of UTC */
	bool has_off; /* false: local time */
};

static const char *const format_names[] = {
	[LOGFMT_AUTO] = "auto",
	[LOGFMT_WERKZEUG] = "werkzeug",
	[LOGFMT_COMMON] = "common",
	[LOGFMT_COMBINED] = "combined",
	[LOGFMT_REGEX] = "regex",
};

static const char *const error_names[] = {
	[LP_OK] = "ok",
	[LP_EMPTY] = "empty line",
	[LP_NOT_ACCESS] = "not an access line",
	[LP_BAD_ADDRESS] = "client is not an IP address",
	[LP_BAD_REQUEST] = "request field does not close",
	[LP_BAD_STATUS] = "bad status",
	[LP_TOO_LONG_UNPARSED] = "line too long to parse",
	[LP_SPLIT_LINE] = "rest of a broken line (injected newline)",
	[LP_REGEX_LIMIT] = "regex match limit reached",
};

int log_format__parse(const char *name, enum log_format *out)
{
	size_t i;

	for (i = 0; name && i < sizeof(format_names) / sizeof(format_names[0]); i++) {
		if (!strcmp(name, format_names[i])) {
			*out = (enum log_format)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *log_format__name(enum log_format f)
{
	if ((unsigned)f >= sizeof(format_names) / sizeof(format_names[0]))
		return "unknown";
	return format_names[f];
}

const char *logparse__strerror(enum logparse_error e)
{
	if ((unsigned)e >= LP__COUNT)
		return "unknown error";
	return error_names[e];
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* RFC 9110 tchar: what a method may be made of. */
static bool is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* n decimal digits at s, all of them digits. */
static bool parse_digits(const char *s, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/* Skip ANSI SGR sequences ("\x1b[1;31m") starting at i. */
static size_t skip_sgr(const char *s, size_t i, size_t end)
{
	while (end - i >= 3 && s[i] == '\x1b' && s[i + 1] == '[') {
		size_t j = i + 2;

		while (j < end && (is_digit(s[j]) || s[j] == ';'))
			j++;
		if (j >= end || s[j] != 'm')
			break;
		i = j + 1;
	}
	return i;
}

/* Drop ANSI SGR sequences that end s[start..end). Returns the new end. */
static size_t strip_sgr_back(const char *s, size_t start, size_t end)
{
	while (end - start >= 3 && s[end - 1] == 'm') {
		size_t j = end - 1;

		while (j > start && (is_digit(s[j - 1]) || s[j - 1] == ';'))
			j--;
		if (j - start < 2 || s[j - 1] != '[' || s[j - 2] != '\x1b')
			break;
		end = j - 2;
	}
	return end;
}

/* The end of a whole line once line endings and trailing colour resets are gone. */
static size_t strip_line_end(const char *s, size_t end, bool sgr)
{
	size_t prev;

	do {
		prev = end;
		while (end && (s[end - 1] == '\n' || s[end - 1] == '\r'))
			end--;
		if (sgr)
			end = strip_sgr_back(s, 0, end);
	} while (end != prev);
	return end;
}

/* ANSI colours, then Werkzeug's prefix under logging.basicConfig(), then colours. */
static size_t skip_prefix(const char *s, size_t lim)
{
	static const char wz[] = "INFO:werkzeug:";
	size_t i = skip_sgr(s, 0, lim);

	if (lim - i >= sizeof(wz) - 1 && !memcmp(s + i, wz, sizeof(wz) - 1))
		i = skip_sgr(s, i + sizeof(wz) - 1, lim);
	return i;
}

/*
 * A client field: an IPv4 or IPv6 address, maybe in brackets. Only address
 * characters pass, so a NUL cannot cut "1.2.3.4\0junk" short for inet_pton.
 */
static int parse_client(const char *s, size_t n, struct prefix *out)
{
	char buf[ADDR_MAX + 1];
	uint8_t bytes[16];
	bool colon = false;
	size_t i;

	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (n == 0 || n > ADDR_MAX)
		return -EINVAL;
	if (prefix__plain_quad(s, n, bytes)) { /* most lines: no copy, one pass */
		prefix__from_bytes(out, 4, bytes);
		return 0;
	}
	for (i = 0; i < n; i++) {
		char c = s[i];

		colon |= c == ':';
		if (!is_digit(c) && !(c >= 'a' && c <= 'f') && !(c >= 'A' && c <= 'F') && c != ':' &&
		    c != '.')
			return -EINVAL;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	/* One inet_pton() a line: only an IPv6 address has a colon. */
	if (inet_pton(colon ? AF_INET6 : AF_INET, buf, bytes) != 1)
		return -EINVAL;
	prefix__from_bytes(out, colon ? 6 : 4, bytes);
	return 0;
}

static int parse_month(const char *s)
{
	static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	int i;

	for (i = 0; i < 12; i++) {
		if (!memcmp(s, names + 3 * i, 3))
			return i + 1;
	}
	return 0;
}

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static bool civil_valid(const struct civil *c)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (c->year < 1 || c->mon < 1 || c->mon > 12 || c->day < 1 ||
	    c->day > mdays[c->mon - 1] + (c->mon == 2 && is_leap(c->year)))
		return false;
	return c->hour <= 23 && c->min <= 59 && c->sec <= 60;
}

/* Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/*
 * Unix seconds. A time without a UTC offset (Werkzeug's) is local time:
 * the app runs on this host, under the same TZ as warden unless told
 * otherwise.
 */
static bool same_second(const struct civil *a, const struct civil *b)
{
	return a->sec == b->sec && a->min == b->min && a->hour == b->hour && a->day == b->day &&
	       a->mon == b->mon && a->year == b->year;
}

/* The last local time converted (per thread: the parser may be used by several). */
static _Thread_local struct {
	bool valid;
	struct civil civil;
	char tz[128]; /* the TZ it was converted under: a change of TZ voids it */
	int64_t unix_time;
} last_local;

extern char **environ;

/*
 * getenv("TZ") walks the whole environment, and a line would pay for it.
 * setenv, putenv and unsetenv always leave a trace we can check in O(1): the
 * array moves, the entry where "TZ=" was found changes (replaced, removed or
 * shifted down), or, when TZ is absent, the last entry or the NULL after it
 * changes (an entry removed or added). Remember where the answer came from
 * and look again when any of that differs.
 */
static _Thread_local struct {
	char **env;
	size_t idx; /* of "TZ=", or of the terminating NULL when absent */
	const char *entry; /* env[idx] */
	const char *last; /* env[idx - 1] when absent (or NULL) */
} tz_seen;

static const char *local_tz(void)
{
	char **env = environ;
	size_t i;

	if (!env)
		return NULL;
	if (env == tz_seen.env && env[tz_seen.idx] == tz_seen.entry &&
	    (tz_seen.entry || tz_seen.idx == 0 || env[tz_seen.idx - 1] == tz_seen.last))
		return tz_seen.entry ? tz_seen.entry + 3 : NULL;
	for (i = 0; env[i] && strncmp(env[i], "TZ=", 3); i++)
		;
	tz_seen.env = env;
	tz_seen.idx = i;
	tz_seen.entry = env[i];
	tz_seen.last = i ? env[i - 1] : NULL;
	return env[i] ? env[i] + 3 : NULL;
}

static int64_t civil_to_unix(const struct civil *c)
{
	struct tm tm = { 0 };
	const char *tz;
	time_t t;

	if (c->has_off)
		return days_from_civil(c->year, c->mon, c->day) * 86400 + c->hour * 3600 +
		       c->min * 60 + c->sec - c->utc_off;
	tm.tm_year = c->year - 1900;
	tm.tm_mon = c->mon - 1;
	tm.tm_mday = c->day;
	tm.tm_hour = c->hour;
	tm.tm_min = c->min;
	tm.tm_sec = c->sec;
	tm.tm_isdst = -1;
	/*
	 * mktime() looks at /etc/localtime on every call when TZ is unset (a
	 * stat() each time: most of a line's cost). Log lines come in order, many
	 * in the same second: remember the last conversion.
	 */
	tz = local_tz();
	if (!tz)
		tz = "";
	if (last_local.valid && same_second(&last_local.civil, c) && !strcmp(last_local.tz, tz))
		return last_local.unix_time;
	t = mktime(&tm);
	last_local.civil = *c;
	snprintf(last_local.tz, sizeof(last_local.tz), "%s", tz);
	last_local.unix_time = t == (time_t)-1 ? -1 : (int64_t)t;
	last_local.valid = true;
	return last_local.unix_time;
}

/* "21/Nov/2026" SEP "04:18:25" (20 bytes at s). */
static bool parse_dmy_hms(const char *s, char sep, struct civil *c)
{
	memset(c, 0, sizeof(*c));
	if (!parse_digits(s, 2, &c->day) || s[2] != '/' || !(c->mon = parse_month(s + 3)) ||
	    s[6] != '/' || !parse_digits(s + 7, 4, &c->year) || s[11] != sep ||
	    !parse_digits(s + 12, 2, &c->hour) || s[14] != ':' ||
	    !parse_digits(s + 15, 2, &c->min) || s[17] != ':' || !parse_digits(s + 18, 2, &c->sec))
		return false;
	return civil_valid(c);
}

/* "+0100" / "-0530": seconds east of UTC. */
static bool parse_offset(const char *s, bool colon, int *out)
{
	int h, m;

	if ((s[0] != '+' && s[0] != '-') || !parse_digits(s + 1, 2, &h) ||
	    (colon && s[3] != ':') || !parse_digits(s + 3 + colon, 2, &m) || h > 23 || m > 59)
		return false;
	*out = (s[0] == '-' ? -1 : 1) * (h * 3600 + m * 60);
	return true;
}

/* The common log's "21/Nov/2026:04:18:25 +0000" (CLF_TS_LEN bytes at s). */
static bool parse_clf_ts(const char *s, struct civil *c)
{
	if (!parse_dmy_hms(s, ':', c) || s[20] != ' ' || !parse_offset(s + 21, false, &c->utc_off))
		return false;
	c->has_off = true;
	return true;
}

enum ts_kind { TS_NONE = 0, TS_CLF = 1, TS_WZ = 2 };

/* A bracketed timestamp of one of the kinds at s[i]; *after is past its ']'. */
static enum ts_kind ts_at(const char *s, size_t i, size_t lim, unsigned kinds, struct civil *c,
			  size_t *after)
{
	if (i >= lim || s[i] != '[')
		return TS_NONE;
	if ((kinds & TS_CLF) && lim - i >= CLF_TS_LEN + 2 && s[i + 1 + CLF_TS_LEN] == ']' &&
	    parse_clf_ts(s + i + 1, c)) {
		*after = i + CLF_TS_LEN + 2;
		return TS_CLF;
	}
	if ((kinds & TS_WZ) && lim - i >= WZ_TS_LEN + 2 && s[i + 1 + WZ_TS_LEN] == ']' &&
	    parse_dmy_hms(s + i + 1, ' ', c)) {
		*after = i + WZ_TS_LEN + 2;
		return TS_WZ;
	}
	return TS_NONE;
}

/* Whether any timestamp of either kind sits in s[0..lim). */
static bool has_any_ts(const char *s, size_t lim)
{
	const char *q = s;
	struct civil c;
	size_t after;

	while ((q = memchr(q, '[', lim - (size_t)(q - s)))) {
		if (ts_at(s, (size_t)(q - s), lim, TS_CLF | TS_WZ, &c, &after))
			return true;
		q++;
	}
	return false;
}

/*
 * Find the timestamp of a line whose client field ends at ip_end (which is
 * followed by " - "). Werkzeug's sits right after " - - "; the common log's
 * after a user field of any length that cannot hold one (see the top).
 */
static enum ts_kind find_ts(enum log_format fmt, const char *s, size_t ip_end, size_t lim,
			    struct civil *c, size_t *after)
{
	size_t k;

	if ((fmt == LOGFMT_AUTO || fmt == LOGFMT_WERKZEUG) && lim - ip_end >= 5 &&
	    !memcmp(s + ip_end, " - - ", 5) && ts_at(s, ip_end + 5, lim, TS_WZ, c, after))
		return TS_WZ;
	if (fmt == LOGFMT_WERKZEUG)
		return TS_NONE;
	for (k = ip_end + 3; k < lim; k++) {
		const char *q = memchr(s + k, '[', lim - k);

		if (!q)
			break;
		k = (size_t)(q - s);
		if (s[k - 1] == ' ' && ts_at(s, k, lim, TS_CLF, c, after))
			return TS_CLF;
	}
	return TS_NONE;
}

/* Status names that Python < 3.11 printed for http.server's own errors (str(HTTPStatus)). */
static int httpstatus_name(const char *s, size_t n)
{
	static const struct {
		const char *name;
		int code;
	} names[] = {
		{ "HTTPStatus.BAD_REQUEST", 400 },
		{ "HTTPStatus.REQUEST_TIMEOUT", 408 },
		{ "HTTPStatus.EXPECTATION_FAILED", 417 },
		{ "HTTPStatus.REQUEST_URI_TOO_LONG", 414 },
		{ "HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE", 431 },
		{ "HTTPStatus.INTERNAL_SERVER_ERROR", 500 },
		{ "HTTPStatus.NOT_IMPLEMENTED", 501 },
		{ "HTTPStatus.HTTP_VERSION_NOT_SUPPORTED", 505 },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strlen(names[i].name) == n && !memcmp(s, names[i].name, n))
			return names[i].code;
	}
	return 0;
}

static bool valid_status(int status)
{
	return status >= 100 && status <= 599;
}

/* A size field: "-" or digits. */
static bool is_size(const char *s, size_t n)
{
	size_t i;

	if (n == 1 && s[0] == '-')
		return true;
	for (i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return false;
	}
	return n > 0;
}

/* "HTTP/1.1", "HTTP/2.0", "HTTP/2". */
static bool is_version(const char *s, size_t n)
{
	return (n == 6 || (n == 8 && s[6] == '.' && is_digit(s[7]))) && !memcmp(s, "HTTP/", 5) &&
	       is_digit(s[5]);
}

/*
 * The request field: "METHOD TARGET VERSION", or HTTP/0.9's "GET TARGET"
 * (nginx logs it so). Anything else (junk, "", TLS handshakes, targets with
 * spaces that the server refused) is not HTTP. Bytes are kept as logged.
 */
static void parse_request(const char *r, size_t n, struct access_line *out)
{
	const char *sp1 = memchr(r, ' ', n), *sp2, *target;
	size_t mlen, tlen, i;

	out->http = false;
	out->method[0] = '\0';
	out->path = NULL;
	out->path_len = 0;
	if (!sp1)
		return;
	mlen = (size_t)(sp1 - r);
	if (mlen == 0 || mlen >= sizeof(out->method))
		return;
	for (i = 0; i < mlen; i++) {
		if (!is_tchar(r[i]))
			return;
	}
	target = sp1 + 1;
	sp2 = memrchr(target, ' ', n - mlen - 1);
	if (sp2) {
		if (!is_version(sp2 + 1, (size_t)(r + n - sp2 - 1)))
			return;
		tlen = (size_t)(sp2 - target);
	} else {
		if (mlen != 3 || memcmp(r, "GET", 3))
			return;
		tlen = n - mlen - 1;
	}
	if (tlen == 0 || memchr(target, ' ', tlen))
		return;
	memcpy(out->method, r, mlen);
	out->method[mlen] = '\0';
	out->path = target;
	out->path_len = tlen;
	out->http = true;
}

/*
 * Werkzeug: the request runs from req to the last quote of the line, which
 * must be followed by exactly " CODE SIZE": Werkzeug writes those, the client
 * wrote everything between the quotes.
 */
static enum logparse_error parse_werkzeug_rest(const char *s, size_t req, size_t lim, bool cut,
					       struct access_line *out)
{
	const char *q, *sp, *end = s + lim;
	size_t m0, m1;
	int status = 0;

	/* The status is at the end of the line, past the bound. */
	if (cut)
		return LP_TOO_LONG_UNPARSED;
	q = memrchr(s + req, '"', lim - req);
	if (!q)
		return LP_BAD_REQUEST;
	if (end - q < 2 || q[1] != ' ')
		return LP_BAD_STATUS;
	sp = memchr(q + 2, ' ', (size_t)(end - q - 2));
	if (!sp || !is_size(sp + 1, (size_t)(end - sp - 1)))
		return LP_BAD_STATUS;
	if (sp - q - 2 == 3) {
		if (!parse_digits(q + 2, 3, &status))
			return LP_BAD_STATUS;
	} else {
		status = httpstatus_name(q + 2, (size_t)(sp - q - 2));
	}
	if (!valid_status(status))
		return LP_BAD_STATUS;
	out->status = status;

	/* Werkzeug's own colours wrap MSG inside the quotes. */
	m0 = skip_sgr(s, req, (size_t)(q - s));
	m1 = strip_sgr_back(s, m0, (size_t)(q - s));
	parse_request(s + m0, m1 - m0, out);
	return LP_OK;
}

/*
 * Common and combined: the request ends at the first unescaped quote that is
 * followed by " DDD " (see the top for why that cannot be faked), then comes
 * the size, then the end (common) or the referer (combined).
 */
static enum logparse_error parse_clf_rest(enum log_format fmt, const char *s, size_t req,
					  size_t lim, bool cut, struct access_line *out)
{
	size_t j, first_close = SIZE_MAX, pos, size_end;
	int status = 0;

	for (j = req; j < lim; j++) {
		if (s[j] == '\\') {
			j++;
			continue;
		}
		if (s[j] != '"' || j + 1 >= lim || s[j + 1] != ' ')
			continue;
		if (first_close == SIZE_MAX)
			first_close = j;
		if (j + 5 <= lim && parse_digits(s + j + 2, 3, &status) &&
		    (j + 5 == lim ? !cut : s[j + 5] == ' '))
			break;
	}
	if (j >= lim) {
		if (first_close != SIZE_MAX)
			return LP_BAD_STATUS;
		return cut ? LP_TOO_LONG_UNPARSED : LP_BAD_REQUEST;
	}
	if (!valid_status(status))
		return LP_BAD_STATUS;

	/* The size, and what follows it, must fit the format. */
	pos = j + 5;
	if (pos >= lim) {
		if (!cut)
			return LP_NOT_ACCESS;
	} else {
		const char *sp = memchr(s + pos + 1, ' ', lim - pos - 1);

		size_end = sp ? (size_t)(sp - s) : lim;
		if (!(size_end == lim && cut) && !is_size(s + pos + 1, size_end - pos - 1))
			return LP_NOT_ACCESS;
		if (fmt == LOGFMT_COMMON && size_end != lim)
			return LP_NOT_ACCESS;
		if (fmt == LOGFMT_COMBINED && !(size_end == lim && cut) &&
		    (size_end + 1 >= lim || s[size_end + 1] != '"'))
			return LP_NOT_ACCESS;
	}
	out->status = status;
	parse_request(s + req, j - req, out);
	return LP_OK;
}

static enum logparse_error parse_builtin(struct logparser *p, const char *s, size_t len,
					 bool cut, struct access_line *out)
{
	size_t lim = cut ? (len < LOGPARSE_MAX_LINE ? len : LOGPARSE_MAX_LINE)
			 : strip_line_end(s, len, true);
	bool was_pending;
	size_t start, ip_end, after = 0;
	const char *sp;
	enum logparse_error err;
	enum ts_kind kind;
	struct civil c;

	if (lim == 0)
		return LP_EMPTY;
	start = skip_prefix(s, lim);
	sp = memchr(s + start, ' ', lim - start);
	ip_end = sp ? (size_t)(sp - s) : lim;
	if (!sp || ip_end == start || lim - ip_end < 3 || memcmp(s + ip_end, " - ", 3)) {
		if (p->pending && has_any_ts(s, lim))
			p->pending = false;
		return LP_NOT_ACCESS;
	}

	kind = find_ts(p->format, s, ip_end, lim, &c, &after);
	if (kind == TS_NONE) {
		if (cut)
			return LP_TOO_LONG_UNPARSED;
		/* A line of another format (or --format's mismatch): no head. */
		if (has_any_ts(s, lim)) {
			p->pending = false;
			return LP_NOT_ACCESS;
		}
		/*
		 * "IP - " and no timestamp: the head of a line that a newline in
		 * gunicorn's %(u)s (Basic-auth user name) broke. The user
		 * name may go on for several lines, then the rest of the real
		 * line follows; the first head of a run is the server's.
		 */
		if (!p->pending) {
			p->pending = true;
			p->head_ok = !parse_client(s + start, ip_end - start, &p->head_client);
		}
		return LP_NOT_ACCESS;
	}
	was_pending = p->pending;
	p->pending = false;
	if (lim - after < 2 || s[after] != ' ' || s[after + 1] != '"')
		return cut && lim - after < 2 ? LP_TOO_LONG_UNPARSED : LP_NOT_ACCESS;

	/* From here on this is an access line: its first field must be an address. */
	if (parse_client(s + start, ip_end - start, &out->client))
		return LP_BAD_ADDRESS;
	/*
	 * After a head, the first line with a timestamp is the rest of the
	 * head's line, and its leading "IP - -" is the client's text. Only
	 * the head's own address is believed (the client then blames itself).
	 */
	if (was_pending && (!p->head_ok || !prefix__equal(&out->client, &p->head_client)))
		return LP_SPLIT_LINE;
	out->time = civil_to_unix(&c);
	if (kind == TS_WZ)
		err = parse_werkzeug_rest(s, after + 2, lim, cut, out);
	else
		err = parse_clf_rest(p->format, s, after + 2, lim, cut, out);
	return err;
}

/* Times a --log-regex group may hold. */
static int64_t parse_any_time(const char *s, size_t n)
{
	struct civil c;
	size_t i;

	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (n == CLF_TS_LEN && parse_clf_ts(s, &c))
		return civil_to_unix(&c);
	if (n == WZ_TS_LEN && parse_dmy_hms(s, ' ', &c))
		return civil_to_unix(&c);
	/* ISO 8601 / RFC 3339: 2026-11-21T04:18:25[.123][Z|+01:00|+0100], also with ' '. */
	if (n >= 19 && parse_digits(s, 4, &c.year) && s[4] == '-' && parse_digits(s + 5, 2, &c.mon) &&
	    s[7] == '-' && parse_digits(s + 8, 2, &c.day) && (s[10] == 'T' || s[10] == ' ') &&
	    parse_digits(s + 11, 2, &c.hour) && s[13] == ':' && parse_digits(s + 14, 2, &c.min) &&
	    s[16] == ':' && parse_digits(s + 17, 2, &c.sec)) {
		c.has_off = false;
		c.utc_off = 0;
		i = 19;
		if (i < n && (s[i] == '.' || s[i] == ',')) {
			for (i++; i < n && is_digit(s[i]); i++)
				;
		}
		if (i < n && s[i] == ' ')
			i++;
		if (i < n && s[i] == 'Z' && i + 1 == n) {
			c.has_off = true;
		} else if (n - i == 6 && parse_offset(s + i, true, &c.utc_off)) {
			c.has_off = true;
		} else if (n - i == 5 && parse_offset(s + i, false, &c.utc_off)) {
			c.has_off = true;
		} else if (i != n) {
			return -1;
		}
		return civil_valid(&c) ? civil_to_unix(&c) : -1;
	}
	/* Unix seconds, maybe with a fraction. */
	for (i = 0; i < n && i < 19 && is_digit(s[i]); i++)
		;
	if (i > 0 && i <= 12 && (i == n || (s[i] == '.' && i + 1 < n))) {
		size_t k;
		int64_t v = 0;

		for (k = i + 1; k < n; k++) {
			if (!is_digit(s[k]))
				return -1;
		}
		for (k = 0; k < i; k++)
			v = v * 10 + (s[k] - '0');
		return v;
	}
	return -1;
}

/* The text of the first set group carrying the name (several with (?J)). */
static bool regex_group(const struct logparser *p, const struct named_group *g,
			const PCRE2_SIZE *ov, int rc, const char *s, const char **text, size_t *n)
{
	PCRE2_SPTR e;

	if (!g->first)
		return false;
	for (e = g->first; e <= g->last; e += p->name_entry_size) {
		int num = (e[0] << 8) | e[1];

		if (num >= rc || ov[2 * num] == PCRE2_UNSET || ov[2 * num + 1] < ov[2 * num])
			continue;
		*text = s + ov[2 * num];
		*n = ov[2 * num + 1] - ov[2 * num];
		return true;
	}
	return false;
}

static enum logparse_error parse_regex(struct logparser *p, const char *s, size_t len, bool cut,
				       struct access_line *out)
{
	size_t lim = cut ? (len < LOGPARSE_MAX_LINE ? len : LOGPARSE_MAX_LINE)
			 : strip_line_end(s, len, false);
	size_t n, mlen, i;
	const PCRE2_SIZE *ov;
	const char *text, *method;
	int rc, status;

	if (lim == 0)
		return LP_EMPTY;
	rc = pcre2_match(p->re, (PCRE2_SPTR)s, lim, 0, 0, p->md, p->mctx);
	if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
	    rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT ||
	    rc == PCRE2_ERROR_NOMEMORY)
		return LP_REGEX_LIMIT;
	if (rc < 0)
		return cut ? LP_TOO_LONG_UNPARSED : LP_NOT_ACCESS;
	ov = pcre2_get_ovector_pointer(p->md);

	if (!regex_group(p, &p->g_ip, ov, rc, s, &text, &n) || parse_client(text, n, &out->client))
		return LP_BAD_ADDRESS;
	if (p->g_time.first && regex_group(p, &p->g_time, ov, rc, s, &text, &n))
		out->time = parse_any_time(text, n);
	/* Where the pattern put the status in a cut line is unknown: maybe in the client's text. */
	if (cut)
		return LP_TOO_LONG_UNPARSED;
	if (!regex_group(p, &p->g_status, ov, rc, s, &text, &n) || n != 3 ||
	    !parse_digits(text, 3, &status) || !valid_status(status))
		return LP_BAD_STATUS;
	out->status = status;

	if (regex_group(p, &p->g_method, ov, rc, s, &method, &mlen) && mlen > 0 &&
	    mlen < sizeof(out->method) && regex_group(p, &p->g_path, ov, rc, s, &text, &n) && n > 0) {
		for (i = 0; i < mlen && is_tchar(method[i]); i++)
			;
		if (i == mlen) {
			memcpy(out->method, method, mlen);
			out->method[mlen] = '\0';
			out->path = text;
			out->path_len = n;
			out->http = true;
		}
	}
	return LP_OK;
}

static enum logparse_error parse_line(struct logparser *p, const char *line, size_t len,
				      bool cut, struct access_line *out)
{
	enum logparse_error err;

	memset(out, 0, sizeof(*out));
	out->time = -1;
	if (!len)
		return LP_EMPTY;
	cut = cut || len > LOGPARSE_MAX_LINE;
	if (p->format == LOGFMT_REGEX)
		err = parse_regex(p, line, len, cut, out);
	else
		err = parse_builtin(p, line, len, cut, out);
	if (err != LP_OK) {
		/* Errors leave only what the header promises. */
		struct prefix client = out->client;
		int64_t t = out->time;

		memset(out, 0, sizeof(*out));
		out->time = -1;
		if (err == LP_BAD_REQUEST || err == LP_BAD_STATUS || err == LP_TOO_LONG_UNPARSED) {
			out->client = client;
			out->time = t;
		}
	}
	return err;
}

enum logparse_error logparse__line(struct logparser *p, const char *line, size_t len,
				   struct access_line *out)
{
	return parse_line(p, line, len, false, out);
}

enum logparse_error logparse__line_truncated(struct logparser *p, const char *line, size_t len,
					     struct access_line *out)
{
	return parse_line(p, line, len, true, out);
}

#define set_err errmsg__set

static int compile_regex(struct logparser *p, const char *regex, char *err, size_t errlen)
{
	static const struct {
		const char *name;
		size_t off;
		bool required;
	} groups[] = {
		{ "ip", offsetof(struct logparser, g_ip), true },
		{ "method", offsetof(struct logparser, g_method), true },
		{ "path", offsetof(struct logparser, g_path), true },
		{ "status", offsetof(struct logparser, g_status), true },
		{ "time", offsetof(struct logparser, g_time), false },
	};
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE erroff;
	int errcode;
	size_t i;

	p->re = pcre2_compile((PCRE2_SPTR)regex, PCRE2_ZERO_TERMINATED, 0, &errcode, &erroff, NULL);
	if (!p->re) {
		pcre2_get_error_message(errcode, msg, sizeof(msg));
		return set_err(err, errlen, -EINVAL, "bad regex at offset %zu: %s", (size_t)erroff,
			       (const char *)msg);
	}
	for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		struct named_group *g = (struct named_group *)((char *)p + groups[i].off);

		if (pcre2_substring_nametable_scan(p->re, (PCRE2_SPTR)groups[i].name, &g->first,
						   &g->last) < 0) {
			g->first = g->last = NULL;
			if (groups[i].required)
				return set_err(err, errlen, -EINVAL,
					       "the regex has no named group (?<%s>...); it needs "
					       "ip, method, path and status (time is optional)",
					       groups[i].name);
		}
	}
	pcre2_pattern_info(p->re, PCRE2_INFO_NAMEENTRYSIZE, &p->name_entry_size);

	/* JIT when the library has it; pcre2_match() falls back to the interpreter. */
	if (!pcre2_jit_compile(p->re, PCRE2_JIT_COMPLETE))
		p->jit_stack = pcre2_jit_stack_create(32 * 1024, REGEX_JIT_STACK_MAX, NULL);
	p->md = pcre2_match_data_create_from_pattern(p->re, NULL);
	p->mctx = pcre2_match_context_create(NULL);
	if (!p->md || !p->mctx)
		return set_err(err, errlen, -ENOMEM, "out of memory");
	/* A line is the client's text: bound the backtracking it can cause. */
	pcre2_set_match_limit(p->mctx, REGEX_MATCH_LIMIT);
	if (p->jit_stack)
		pcre2_jit_stack_assign(p->mctx, NULL, p->jit_stack);
	return 0;
}

struct logparser *logparse__new(enum log_format format, const char *regex, char *err, size_t errlen)
{
	struct logparser *p;
	int ret;

	if (err && errlen)
		err[0] = '\0';
	if ((unsigned)format > LOGFMT_REGEX) {
		errno = set_err(err, errlen, EINVAL, "unknown log format %d", (int)format);
		return NULL;
	}
	if ((format == LOGFMT_REGEX) != (regex != NULL)) {
		errno = set_err(err, errlen, EINVAL, "%s",
				regex ? "a regex needs the regex format"
				      : "the regex format needs a regex");
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->format = format;
	if (format == LOGFMT_REGEX) {
		ret = compile_regex(p, regex, err, errlen);
		if (ret < 0) {
			logparse__free(p);
			errno = -ret;
			return NULL;
		}
	}
	return p;
}

void logparse__free(struct logparser *p)
{
	if (!p)
		return;
	pcre2_match_context_free(p->mctx);
	pcre2_jit_stack_free(p->jit_stack);
	pcre2_match_data_free(p->md);
	pcre2_code_free(p->re);
	free(p);
}
