/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* logparse.h - parse HTTP access-log lines (Werkzeug, common, combined, PCRE2) into client, request and status. */
#ifndef WARDEN_LOGPARSE_H
#define WARDEN_LOGPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

enum log_format {
	LOGFMT_AUTO = 0,  /* any of the built-in formats, detected per line */
	LOGFMT_WERKZEUG,  /* Werkzeug's dev server: 'IP - - [21/Nov/2026 04:18:25] "REQ" 404 -' */
	LOGFMT_COMMON,    /* Apache/nginx common, gunicorn without referer and user agent */
	LOGFMT_COMBINED,  /* Apache/nginx/gunicorn combined, also with extra trailing fields (Traefik) */
	LOGFMT_REGEX,     /* a PCRE2 pattern with named groups */
};

/* "auto", "werkzeug", "common", "combined", "regex". 0 or -EINVAL. */
int log_format__parse(const char *name, enum log_format *out);
const char *log_format__name(enum log_format f);

/* Lines are parsed only this far. */
#define LOGPARSE_MAX_LINE 16384

enum logparse_error {
	LP_OK = 0,
	LP_EMPTY,             /* nothing on the line */
	LP_NOT_ACCESS,        /* not an access line at all (app output, server messages) */
	LP_BAD_ADDRESS,       /* access line whose client field is not an IP address */
	LP_BAD_REQUEST,       /* access line whose quoted request never closes */
	LP_BAD_STATUS,        /* access line whose status is missing or outside 100..599 */
	LP_TOO_LONG_UNPARSED, /* longer than LOGPARSE_MAX_LINE (or cut by the reader), and
	                       * its status lies beyond what is parsed */
	LP_SPLIT_LINE,        /* the rest of an access line broken by a newline the client
	                       * injected: its leading address is not the client's */
	LP_REGEX_LIMIT,       /* the --log-regex match ran into its backtracking limits */
	LP__COUNT,
};

/* Short stable reason, e.g. "not an access line". */
const char *logparse__strerror(enum logparse_error e);

struct access_line {
	struct prefix client; /* the line's own client address (single address) */
	char method[16];      /* "GET"...; "" when the request was not HTTP */
	const char *path;     /* points into the caller's line buffer; NOT NUL-terminated;
	                       * NULL when the request was not HTTP */
	size_t path_len;
	int status;           /* 100..599 */
	int64_t time;         /* unix seconds from the line's timestamp, or -1 if absent/unparsable */
	bool http;            /* false when the request line was not HTTP at all (junk, "", binary) */
};

struct logparser;

/*
 * regex is a PCRE2 pattern with named groups ip, method, path, status (time
 * optional) when format is LOGFMT_REGEX, else NULL. The pattern should start
 * with ^: a pattern that searches can find an address anywhere in the line.
 * Returns NULL with errno set (EINVAL for a bad pattern or format, with the
 * reason in err, e.g. a missing group or a compile error with its offset).
 * The caller owns the parser.
 */
struct logparser *logparse__new(enum log_format format, const char *regex, char *err, size_t errlen);
void logparse__free(struct logparser *p); /* accepts NULL */

/*
 * Parse one line, without its newline. Only the first LOGPARSE_MAX_LINE bytes
 * are looked at; len may be larger, nothing at or past len is ever read.
 *
 * Returns LP_OK and fills *out, or an error code. A line with an address and
 * a status but a request that is not HTTP (junk, "", binary) returns LP_OK
 * with out->http false: the caller counts it as a failure of that client.
 * With LP_BAD_REQUEST, LP_BAD_STATUS and LP_TOO_LONG_UNPARSED the line was
 * an access line of out->client (and out->time is set), unless
 * out->client.family is 0 (a long line cut before its client was certain);
 * no other field is set. A request longer than the bound is itself a sign
 * of abuse, so the caller may count those as failures of that client.
 * Other errors leave *out zeroed with time -1.
 *
 * A line the reader cut short must go to logparse__line_truncated() (or be
 * passed with len > LOGPARSE_MAX_LINE): Werkzeug puts the status at the end
 * of its line, and the end of a cut line is the client's own text.
 *
 * The parser keeps a little state across lines (see LP_SPLIT_LINE): use one
 * parser per stream. It does not allocate per line.
 */
enum logparse_error logparse__line(struct logparser *p, const char *line, size_t len,
				   struct access_line *out);

/*
 * The same for a line whose end the reader dropped (it kept len bytes):
 * nothing is taken from where it seems to end. Werkzeug lines and --log-regex
 * matches give LP_TOO_LONG_UNPARSED with their client; the status of common
 * and combined lines comes before the long fields and still counts.
 */
enum logparse_error logparse__line_truncated(struct logparser *p, const char *line, size_t len,
					     struct access_line *out);

#endif
