// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* http.c - warden's HTTP interface: libmicrohttpd in external-loop epoll mode, routes to handlers. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "http.h"
#include "log.h"
#include "loop.h"

#define DEFAULT_CONN_LIMIT 64
#define DEFAULT_PER_IP_LIMIT 16
#define DEFAULT_TIMEOUT_S 10
#define DEFAULT_MEM_LIMIT (16 * 1024)

struct http_route {
	char *path;   /* owned */
	size_t len;
	bool prefix;  /* matches every path starting with path */
	bool public;  /* answered without the token (probes, /metrics) */
	http_handler_fn fn;
	void *ctx;
};

/*
 * MHD runs without a thread of its own: its epoll fd and a timerfd for its
 * deadlines sit in an epoll fd of ours, which is the one fd warden's loop
 * watches. The timerfd is re-armed from MHD_get_timeout() after each run,
 * so connection timeouts and work MHD left pending happen without the
 * caller knowing about deadlines.
 */
struct http_server {
	struct MHD_Daemon *daemon;
	int epfd;     /* ours: MHD's epoll fd and the timer; what http__fd() gives */
	int mhd_fd;   /* MHD's epoll fd (MHD owns it) */
	int timer_fd; /* fires when MHD_run() is due without socket activity */
	int port;
	struct http_route *routes;
	size_t n_routes;
	char *token;  /* bearer token of the non-public routes; NULL: none asked */
};

struct http_request {
	struct MHD_Connection *conn;
	const char *path;   /* decoded by MHD, without the query */
	const char *method; /* "GET" or "HEAD" */
};

const char *http__path(const struct http_request *req)
{
	return req->path;
}

const char *http__method(const struct http_request *req)
{
	return req->method;
}

const char *http__query_arg(const struct http_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

/* ---- addresses ---- */

int http__parse_addr(const char *addr_port, struct sockaddr_storage *out, socklen_t *len,
		     char *err, size_t errlen)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port_s, *end;
	unsigned long port;
	bool bracketed = addr_port && addr_port[0] == '[';
	char *stop;
	size_t host_len;

	memset(out, 0, sizeof(*out));
	if (!addr_port || !*addr_port) {
		snprintf(err, errlen, "empty address: expected ADDR:PORT, e.g. %s", HTTP_DEFAULT_ADDR);
		return -EINVAL;
	}
	if (bracketed) {
		end = strchr(addr_port, ']');
		if (!end || end[1] != ':') {
			snprintf(err, errlen, "'%s': expected [IPV6]:PORT, e.g. [::1]:9470", addr_port);
			return -EINVAL;
		}
		host_len = (size_t)(end - addr_port - 1);
		port_s = end + 2;
		addr_port++;
	} else {
		end = strrchr(addr_port, ':');
		if (!end) {
			snprintf(err, errlen, "'%s': expected ADDR:PORT, e.g. %s", addr_port,
				 HTTP_DEFAULT_ADDR);
			return -EINVAL;
		}
		if (memchr(addr_port, ':', (size_t)(end - addr_port))) {
			snprintf(err, errlen, "'%s': an IPv6 address goes in brackets, e.g. [::1]:9470",
				 addr_port);
			return -EINVAL;
		}
		host_len = (size_t)(end - addr_port);
		port_s = end + 1;
	}
	if (!host_len || host_len >= sizeof(host)) {
		snprintf(err, errlen, "'%s': missing or over-long address", addr_port);
		return -EINVAL;
	}
	memcpy(host, addr_port, host_len);
	host[host_len] = '\0';
	errno = 0;
	port = strtoul(port_s, &stop, 10);
	if (!*port_s || *port_s < '0' || *port_s > '9' || *stop || errno || port > 65535) {
		snprintf(err, errlen, "'%s': the port must be a number from 0 to 65535", port_s);
		return -EINVAL;
	}
	if (!bracketed && inet_pton(AF_INET, host, &((struct sockaddr_in *)out)->sin_addr) == 1) {
		struct sockaddr_in *sin = (struct sockaddr_in *)out;

		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		*len = sizeof(*sin);
		return 0;
	}
	if (bracketed && inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)out)->sin6_addr) == 1) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)out;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*sin6);
		return 0;
	}
	memset(out, 0, sizeof(*out));
	snprintf(err, errlen, "'%s' is not an IP address (names are not resolved: use 127.0.0.1, "
		 "[::1], 0.0.0.0 ...)", host);
	return -EINVAL;
}

/* ---- requests ---- */

static const struct http_route *find_route(const struct http_server *s, const char *path)
{
	const struct http_route *best = NULL;
	size_t i, path_len = strlen(path);

	for (i = 0; i < s->n_routes; i++) {
		const struct http_route *r = &s->routes[i];
		bool match = r->prefix ? path_len >= r->len && !memcmp(path, r->path, r->len)
				       : path_len == r->len && !memcmp(path, r->path, r->len);

		/* The longest wins; on a tie, the exact route. */
		if (match && (!best || r->len > best->len || (r->len == best->len && !r->prefix)))
			best = r;
	}
	return best;
}

static void text_reply(struct http_reply *out, int status, const char *text)
{
	out->status = status;
	out->content_type = "text/plain; charset=utf-8";
	out->body = strdup(text);
	out->len = out->body ? strlen(out->body) : 0;
}

static enum MHD_Result send_reply(struct MHD_Connection *conn, struct http_reply *reply,
				  bool method_not_allowed)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	if (reply->body && reply->len) {
		resp = MHD_create_response_from_buffer(reply->len, reply->body,
						       MHD_RESPMEM_MUST_FREE);
		if (!resp)
			free(reply->body);
	} else {
		free(reply->body);
		resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	}
	reply->body = NULL;
	if (!resp)
		return MHD_NO; /* MHD closes the connection */
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				reply->content_type ? reply->content_type : "text/plain; charset=utf-8");
	/* Health and metrics describe the present: nothing should keep them. */
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
				reply->cache_control ? reply->cache_control : "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Content-Security-Policy",
				reply->csp ? reply->csp : "default-src 'none'; frame-ancestors 'none'");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	if (method_not_allowed)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(conn, (unsigned int)reply->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* "Authorization: Bearer TOKEN", compared in constant time. */
static bool token_ok(const struct http_server *s, struct MHD_Connection *conn)
{
	const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						       MHD_HTTP_HEADER_AUTHORIZATION);
	size_t want = strlen(s->token), got, i;
	unsigned char diff = 0;

	if (!auth || strncasecmp(auth, "Bearer ", 7))
		return false;
	auth += 7;
	got = strlen(auth);
	for (i = 0; i < want; i++)
		diff |= (unsigned char)(s->token[i] ^ (i < got ? auth[i] : 0));
	return !diff && got == want;
}

static enum MHD_Result send_unauthorized(struct MHD_Connection *conn)
{
	static const char body[] = "a bearer token is needed (Authorization: Bearer TOKEN)\n";
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(sizeof(body) - 1, (void *)body,
					       MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"warden\"");
	ret = MHD_queue_response(conn, MHD_HTTP_UNAUTHORIZED, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	static int seen; /* *con_cls marker: the request's head was seen */
	struct http_server *s = cls;
	struct http_reply reply = { .status = 200 };
	const struct http_route *route;
	struct http_request req = { .conn = conn, .path = url, .method = method };
	bool get = !strcmp(method, MHD_HTTP_METHOD_GET), head = !strcmp(method, MHD_HTTP_METHOD_HEAD);
	bool has_body = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						    MHD_HTTP_HEADER_CONTENT_LENGTH) ||
			MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						    MHD_HTTP_HEADER_TRANSFER_ENCODING);

	(void)version;
	(void)upload_data;
	/*
	 * A request that carries a body (anything but a plain GET or HEAD) is
	 * answered on the first call and its body never read: MHD closes the
	 * connection after the answer. A plain GET or HEAD is answered on the
	 * second call, once MHD has the whole request, so that the connection
	 * can be kept alive for the next one.
	 */
	if (!*con_cls && (get || head) && !has_body) {
		*con_cls = &seen;
		return MHD_YES;
	}
	*upload_data_size = 0;
	if (!get && !head) {
		text_reply(&reply, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed: GET or HEAD\n");
		return send_reply(conn, &reply, true);
	}
	route = find_route(s, url);
	if (!route) {
		text_reply(&reply, MHD_HTTP_NOT_FOUND, "not found\n");
		return send_reply(conn, &reply, false);
	}
	if (s->token && !route->public && !token_ok(s, conn))
		return send_unauthorized(conn);
	route->fn(&req, &reply, route->ctx);
	if (reply.status < 100 || reply.status > 599) {
		free(reply.body);
		text_reply(&reply, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal error\n");
	}
	if (!reply.body)
		reply.len = 0;
	return send_reply(conn, &reply, false);
}

/* MHD's own messages (a client that went away, a malformed request): debug only. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	pr_debug("http: %s", msg);
}

/* ---- the server ---- */

/* A listening socket of our own: bind errors come back with their errno and the address. */
static int listen_on(const struct sockaddr_storage *sa, socklen_t len, unsigned backlog)
{
	int fd, one = 1, err;

	fd = socket(sa->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)sa, len) || listen(fd, (int)backlog)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static void rearm(struct http_server *s)
{
	struct itimerspec its = { 0 };
	MHD_UNSIGNED_LONG_LONG ms;

	if (MHD_get_timeout(s->daemon, &ms) == MHD_YES) {
		if (ms > (MHD_UNSIGNED_LONG_LONG)INT_MAX)
			ms = INT_MAX;
		its.it_value.tv_sec = (time_t)(ms / 1000);
		its.it_value.tv_nsec = (long)(ms % 1000) * 1000000L;
		/* Work is pending now: fire at once (a zero it_value would disarm). */
		if (!ms)
			its.it_value.tv_nsec = 1;
	}
	timerfd_settime(s->timer_fd, 0, &its, NULL);
}

struct http_server *http__open_opts(const char *addr_port, const struct http_opts *opts,
				    char *err, size_t errlen)
{
	struct http_opts o = opts ? *opts : (struct http_opts){ 0 };
	struct sockaddr_storage sa;
	const union MHD_DaemonInfo *info;
	struct http_server *s;
	struct sockaddr_storage bound;
	socklen_t len, blen = sizeof(bound);
	int fd, ret;

	ret = http__parse_addr(addr_port, &sa, &len, err, errlen);
	if (ret) {
		errno = -ret;
		return NULL;
	}
	if (!o.conn_limit)
		o.conn_limit = DEFAULT_CONN_LIMIT;
	if (!o.per_ip_limit)
		o.per_ip_limit = DEFAULT_PER_IP_LIMIT;
	if (!o.timeout_s)
		o.timeout_s = DEFAULT_TIMEOUT_S;
	if (!o.mem_limit)
		o.mem_limit = DEFAULT_MEM_LIMIT;

	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	s->epfd = s->timer_fd = -1;
	fd = listen_on(&sa, len, o.conn_limit);
	if (fd < 0) {
		ret = fd;
		snprintf(err, errlen, "cannot listen on %s: %s", addr_port, strerror(-ret));
		goto fail;
	}
	if (getsockname(fd, (struct sockaddr *)&bound, &blen) == 0)
		s->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
							    : ((struct sockaddr_in *)&bound)->sin_port);
	/* No thread: MHD_USE_EPOLL without MHD_USE_INTERNAL_POLLING_THREAD is the external loop. */
	s->daemon = MHD_start_daemon(
		MHD_USE_EPOLL | MHD_USE_ERROR_LOG | (sa.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0), 0,
		NULL, NULL, on_request, s,
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
		MHD_OPTION_LISTEN_SOCKET, fd,
		MHD_OPTION_CONNECTION_LIMIT, o.conn_limit,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, o.per_ip_limit,
		MHD_OPTION_CONNECTION_TIMEOUT, o.timeout_s,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, o.mem_limit,
		MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
		MHD_OPTION_END);
	if (!s->daemon) {
		close(fd);
		ret = -EIO;
		snprintf(err, errlen, "libmicrohttpd would not start on %s", addr_port);
		goto fail;
	}
	info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_EPOLL_FD);
	if (!info) {
		ret = -EIO;
		snprintf(err, errlen, "libmicrohttpd has no epoll fd");
		goto fail;
	}
	s->mhd_fd = info->epoll_fd;
	s->epfd = loop__pollset_new();
	if (s->epfd < 0) {
		errno = -s->epfd;
		goto fail_errno;
	}
	s->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (s->timer_fd < 0)
		goto fail_errno;
	ret = loop__pollset_add(s->epfd, s->mhd_fd, EPOLLIN);
	if (!ret)
		ret = loop__pollset_add(s->epfd, s->timer_fd, EPOLLIN);
	if (ret) {
		errno = -ret;
		goto fail_errno;
	}
	rearm(s);
	return s;

fail_errno:
	ret = -errno;
	snprintf(err, errlen, "cannot set up the HTTP server's fds: %s", strerror(-ret));
fail:
	http__close(s);
	errno = -ret;
	return NULL;
}

struct http_server *http__open(const char *addr_port, char *err, size_t errlen)
{
	return http__open_opts(addr_port, NULL, err, errlen);
}

void http__close(struct http_server *s)
{
	size_t i;

	if (!s)
		return;
	/* MHD closes the listening socket and every connection, and frees pending replies. */
	if (s->daemon)
		MHD_stop_daemon(s->daemon);
	if (s->epfd >= 0)
		close(s->epfd);
	if (s->timer_fd >= 0)
		close(s->timer_fd);
	for (i = 0; i < s->n_routes; i++)
		free(s->routes[i].path);
	free(s->token);
	free(s->routes);
	free(s);
}

int http__set_token(struct http_server *s, const char *token)
{
	if (!s || !token || strlen(token) < HTTP_TOKEN_MIN)
		return -EINVAL;
	free(s->token);
	s->token = strdup(token);
	return s->token ? 0 : -ENOMEM;
}

bool http__is_loopback(const char *addr_port)
{
	struct sockaddr_storage sa;
	socklen_t len;
	char err[128];

	if (http__parse_addr(addr_port, &sa, &len, err, sizeof(err)))
		return false;
	if (sa.ss_family == AF_INET)
		return (ntohl(((struct sockaddr_in *)&sa)->sin_addr.s_addr) >> 24) == 127;
	return IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)&sa)->sin6_addr);
}

int http__route_public(struct http_server *s, const char *path, bool prefix, http_handler_fn fn,
		       void *ctx)
{
	int err = http__route(s, path, prefix, fn, ctx);

	if (!err)
		s->routes[s->n_routes - 1].public = true;
	return err;
}

int http__route(struct http_server *s, const char *path, bool prefix, http_handler_fn fn, void *ctx)
{
	struct http_route *more;
	size_t i;

	if (!s || !path || path[0] != '/' || !fn)
		return -EINVAL;
	for (i = 0; i < s->n_routes; i++)
		if (s->routes[i].prefix == prefix && !strcmp(s->routes[i].path, path))
			return -EEXIST;
	more = realloc(s->routes, (s->n_routes + 1) * sizeof(*more));
	if (!more)
		return -ENOMEM;
	s->routes = more;
	more = &s->routes[s->n_routes];
	more->path = strdup(path);
	if (!more->path)
		return -ENOMEM;
	more->len = strlen(path);
	more->prefix = prefix;
	more->public = false;
	more->fn = fn;
	more->ctx = ctx;
	s->n_routes++;
	return 0;
}

int http__fd(const struct http_server *s)
{
	return s ? s->epfd : -1;
}

int http__port(const struct http_server *s)
{
	return s ? s->port : -1;
}

void http__process(struct http_server *s)
{
	uint64_t expirations;

	if (!s)
		return;
	/* Take the timer's expiry and flush our epoll's ready list; MHD's fd is level-triggered. */
	if (read(s->timer_fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		pr_debug("http: timer: %s", strerror(errno));
	loop__pollset_drain(s->epfd);
	/* Accept, read, answer, write and time out what is ready, never waiting. */
	MHD_run(s->daemon);
	rearm(s);
}

long http__timeout_ms(const struct http_server *s)
{
	MHD_UNSIGNED_LONG_LONG ms;

	if (!s || MHD_get_timeout(s->daemon, &ms) != MHD_YES)
		return -1;
	return ms > (MHD_UNSIGNED_LONG_LONG)LONG_MAX ? LONG_MAX : (long)ms;
}
