/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* http.h - warden's HTTP interface (libmicrohttpd), driven from warden's own event loop. */
#ifndef WARDEN_HTTP_H
#define WARDEN_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h> /* struct sockaddr_storage, socklen_t */

/* What a handler answers. body is malloc()ed by the handler and freed by the server. */
struct http_reply {
	int status;               /* 200, 404, 503, ... */
	const char *content_type; /* static string, e.g. "application/json" */
	char *body;               /* owned by the reply once set; may be NULL for an empty body */
	size_t len;
	const char *cache_control; /* static string or NULL */
	const char *csp;           /* Content-Security-Policy, static; NULL: nothing may load */
};

/*
 * A handler for GET/HEAD requests. path is the decoded path ("/z/health"),
 * query the value of the query argument named by the route, or of all
 * arguments through http__query_arg(). It must not block for long: it runs
 * in warden's event loop.
 */
struct http_request;
typedef void (*http_handler_fn)(const struct http_request *req, struct http_reply *out, void *ctx);

const char *http__path(const struct http_request *req);
/* The value of query argument name ("?route=/x&days=7"), or NULL. */
const char *http__query_arg(const struct http_request *req, const char *name);

struct http_server;

/*
 * Listen on "ADDR:PORT" ("127.0.0.1:9470", "[::1]:9470", "0.0.0.0:9470").
 * NULL with errno set and a reason in err.
 */
struct http_server *http__open(const char *addr_port, char *err, size_t errlen);
void http__close(struct http_server *s); /* accepts NULL */

/*
 * Route requests whose path equals path (or, with prefix, starts with it)
 * to fn. The longest matching route wins; unmatched paths get 404. 0 or -errno.
 */
int http__route(struct http_server *s, const char *path, bool prefix, http_handler_fn fn, void *ctx);

/* The same for a route that never needs the token (probes, /metrics). */
int http__route_public(struct http_server *s, const char *path, bool prefix, http_handler_fn fn,
		       void *ctx);

/*
 * From now on every route but the public ones answers 401 unless the
 * request carries "Authorization: Bearer TOKEN" (compared in constant
 * time). token is copied; at least HTTP_TOKEN_MIN characters. 0 or -errno.
 */
#define HTTP_TOKEN_MIN 16
int http__set_token(struct http_server *s, const char *token);

/* Whether addr_port ("127.0.0.1:9470", "[::1]:9470") listens on loopback only. */
bool http__is_loopback(const char *addr_port);

/* The fd to watch for EPOLLIN in warden's epoll, and what to call when it is ready. */
int http__fd(const struct http_server *s);
void http__process(struct http_server *s);

/* Milliseconds until http__process() must run even without activity (-1: no deadline). */
long http__timeout_ms(const struct http_server *s);

/* ---- added with http.c ---- */

#define HTTP_DEFAULT_ADDR "127.0.0.1:9470"

/* Limits that keep a slow or hostile client from hurting warden; 0 takes the default. */
struct http_opts {
	unsigned conn_limit;   /* connections at once (64) */
	unsigned per_ip_limit; /* connections at once from one address (16) */
	unsigned timeout_s;    /* an idle or stalled connection is closed after this (10) */
	size_t mem_limit;      /* bytes per connection, which bounds the request's head (16 KiB) */
};

/* http__open() with other limits (opts may be NULL). */
struct http_server *http__open_opts(const char *addr_port, const struct http_opts *opts,
				    char *err, size_t errlen);

/*
 * Parse "ADDR:PORT" (IPv4, or IPv6 in brackets; numeric only; port 0 lets
 * the kernel pick). 0, or -EINVAL with a reason in err.
 */
int http__parse_addr(const char *addr_port, struct sockaddr_storage *out, socklen_t *len,
		     char *err, size_t errlen);

/* The port the server listens on (the one the kernel picked for port 0). */
int http__port(const struct http_server *s);

/* "GET" or "HEAD". */
const char *http__method(const struct http_request *req);

#endif
