/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* routes.h - the URLs a Flask app serves, read from its source, matched like Werkzeug 2.2. */
#ifndef WARDEN_ROUTES_H
#define WARDEN_ROUTES_H

#include <stddef.h>

struct routes; /* opaque, immutable after load */

enum route_verdict {
	ROUTE_MATCH,    /* a rule serves this method and path */
	ROUTE_REDIRECT, /* Werkzeug answers with a redirect (missing slash, "//", defaults) */
	ROUTE_METHOD,   /* the path is known but not for this method (405) */
	ROUTE_UNKNOWN,  /* no rule for the path (404) */
};

/*
 * Load every route declared in a Flask source file (and the local modules
 * it imports) or directory (recursively *.py). NULL with errno set on
 * failure; a human reason in err. An app with no routes is not an error:
 * routes__count() is 0. Caller owns the result (routes__free()).
 * Rules that cannot be read statically are skipped, each said with
 * pr_warn (file:line and why) and kept in routes__notes().
 */
struct routes *routes__load(const char *file_or_dir, char *err, size_t errlen);

/* The same from one in-memory Python source; name is used in messages. */
struct routes *routes__load_source(const char *name, const char *src, size_t len,
				   char *err, size_t errlen);

struct route_decls;

/* Rules already read (routes_extract, Flask's url_map, extra rules); decls stay the caller's. */
struct routes *routes__build(struct route_decls *decls, char *err, size_t errlen);

/*
 * Append an operator's rule, "[METHOD[,METHOD...] ]RULE" (GET by default;
 * HEAD and OPTIONS added as Flask does), to decls, named by where for
 * messages. 0, -EINVAL with the reason in err, -ENOMEM.
 */
int routes__add_extra(struct route_decls *decls, const char *spec, const char *where, int line,
		      char *err, size_t errlen);

void routes__free(struct routes *r); /* accepts NULL */

size_t routes__count(const struct routes *r);

/* What could not be learned: "file:line: why ..." each, unique; *notes owned by r. */
size_t routes__notes(const struct routes *r, const char *const **notes);

/* Each note with pr_warn (accepts NULL). */
void routes__say_notes(const struct routes *r);

/*
 * Match a request: method ("GET"...; NULL is GET; case-insensitive), raw
 * path as seen in an access log (may contain a query string, fragment,
 * percent-escapes, junk, or be an absolute-form URL; need not be
 * NUL-terminated: path_len bytes are read). Sets *rule (if rule is not
 * NULL) to the rule text (owned by r) that decided the verdict, or NULL.
 * "*" is a match (without rule) for OPTIONS and unknown otherwise.
 * Thread-safe for concurrent readers; allocates only for paths longer than
 * 4 KiB.
 */
enum route_verdict routes__match(const struct routes *r, const char *method, const char *path,
				 size_t path_len, const char **rule);

/*
 * The rule-shaped form of a raw request path, for telling the operator
 * which URLs static learning missed: query and fragment dropped,
 * segments that look like values replaced ("/topic/17/edit" ->
 * "/topic/<int>/edit"; also <float>, <uuid>, <hex> for 16+ hex digits),
 * anything but printable ASCII as '?'. Truncated to outlen - 1 bytes;
 * returns the length written.
 */
size_t routes__shape(const char *path, size_t path_len, char *out, size_t outlen);

const char *route_verdict__name(enum route_verdict v); /* "match", "redirect", "method", "unknown" */

/*
 * Rule i (0..count-1) in Werkzeug's url_map order: *rule gets its text
 * (owned by r); methods gets its methods, sorted and comma-separated, with
 * the HEAD and OPTIONS that Werkzeug and Flask add. 0, -ERANGE for a bad
 * index, -ENOSPC if methods_len is too small (methods is then truncated).
 */
int routes__rule(const struct routes *r, size_t i, const char **rule, char *methods, size_t methods_len);

/*
 * Find the Flask source from the child's command line (NULL-terminated):
 * for `flask run` (--app/-A option, else FLASK_APP, else wsgi.py or app.py
 * in the current folder) and `gunicorn [opts] MODULE:APP` (also
 * `python -m flask|gunicorn`), the module's file under the current folder
 * (dots -> slashes, .py or package/__init__.py); otherwise the first *.py
 * argument (or `python -m MODULE`). Writes the path into out; 0, -ENOENT,
 * or -ENAMETOOLONG.
 */
int routes__find_source(char *const argv[], char *out, size_t outlen);

#endif
