// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_http.c - the HTTP server and the health, info and metrics endpoints,
 * driven from the test's own epoll loop and queried by real clients (an
 * in-process socket client, curl) on loopback.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>

#include "cli.h"
#include "health.h"
#include "http.h"
#include "testutil.h"
#include "warden_metrics.h"

#define PROMTOOL "/usr/bin/promtool"
#define CURL "/usr/bin/curl"
/* A bound on how long one exchange may take, so that a bug fails the test instead of hanging it. */
#define SAFETY_MS 10000

static struct http_server *srv;
static struct health *hl;
static struct warden_metrics *wm;
static struct health_state g_st; /* what the provider answers */
static int hook_calls, provider_calls;
static char g_tmp[PATH_MAX];     /* the test's scratch folder */
static char g_app_dir[PATH_MAX]; /* a fake git checkout inside it */
static char *g_cmd[] = { "python3", "app.py", "--port", "5000", NULL };
static const char *g_ifaces[] = { "veth0" };
static const char *g_features[] = { "xdp:libxdp multiprog", "watcher:tracepoint", "cgroup v2" };

#define COMMIT "0123456789abcdef0123456789abcdef01234567"

/* snprintf into an array, a path too long for it being a bug of the test. */
#define PATHF(buf, ...)                                                          \
	do {                                                                     \
		int __n = snprintf((buf), sizeof(buf), __VA_ARGS__);             \
		if (__n < 0 || (size_t)__n >= sizeof(buf))                       \
			abort();                                                 \
	} while (0)

/* ---- the state the provider gives ---- */

static void provider(struct health_state *out, void *ctx)
{
	(void)ctx;
	provider_calls++;
	*out = g_st;
}

static void metrics_hook(struct warden_metrics *m, void *ctx)
{
	(void)ctx;
	hook_calls++;
	wmetrics__set_xdp(m, &(struct xdp_counters){ .passed = 42, .dropped_exact = 7 });
}

/* A healthy app: running a while, serving, watched, protected. */
static void state_running(void)
{
	memset(&g_st, 0, sizeof(g_st));
	g_st.child = HEALTH_CHILD_RUNNING;
	g_st.pid = 4242;
	g_st.uptime_ns = 5000000000ULL;
	g_st.restarts = 0;
	g_st.listening = 1;
	g_st.requests_since_start = 10;
	g_st.cmd = g_cmd;
	g_st.app_dir = g_app_dir;
	g_st.xdp = HEALTH_XDP_ATTACHED;
	g_st.ifaces = g_ifaces;
	g_st.n_ifaces = 1;
	g_st.xdp_how = "libxdp multiprog";
	g_st.watcher_backend = "tracepoint";
	g_st.lines = 12;
	g_st.access_lines = 10;
	g_st.last_access_age_ns = 200000000ULL;
	g_st.features = g_features;
	g_st.n_features = 3;
}

/* Just spawned: no request yet, no listening socket known. */
static void state_starting(void)
{
	state_running();
	g_st.uptime_ns = 100000000ULL;
	g_st.requests_since_start = 0;
	g_st.listening = -1;
}

/* Crashed; warden waits out the restart delay. */
static void state_restarting(void)
{
	state_running();
	g_st.child = HEALTH_CHILD_RESTARTING;
	g_st.pid = 0;
	g_st.uptime_ns = 0;
	g_st.restarts = 3;
	g_st.requests_since_start = 0;
}

static void state_hung(void)
{
	state_running();
	g_st.hung = true;
	g_st.hung_reason = "3 requests waiting for 30 s, nothing sent";
	g_st.hangs = 1;
	g_st.in_flight = 3;
}

static void state_stopped(void)
{
	state_restarting();
	g_st.child = HEALTH_CHILD_STOPPED;
}

/* ---- a small HTTP client driven by the test's loop ---- */

struct response {
	int status;     /* 0: the server closed without an answer */
	char head[4096];
	char *body;     /* malloc'd, NUL-terminated */
	size_t body_len;
	bool done;      /* the server closed the connection before the safety bound */
};

static void response_free(struct response *r)
{
	free(r->body);
	r->body = NULL;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static int connect_to(int port, bool nonblock)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) && errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Run the server until nothing is ready for it any more. */
static void settle(struct http_server *s)
{
	int ep = epoll_create1(EPOLL_CLOEXEC), rounds = 0;
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = http__fd(s) };

	epoll_ctl(ep, EPOLL_CTL_ADD, http__fd(s), &ev);
	while (epoll_wait(ep, &ev, 1, 0) == 1 && rounds++ < 1000)
		http__process(s);
	close(ep);
}

static void parse_response(struct response *r, const char *buf, size_t len)
{
	const char *end = memmem(buf, len, "\r\n\r\n", 4);
	size_t head_len;

	if (len < 12 || strncmp(buf, "HTTP/1.", 7) || !end)
		return;
	r->status = atoi(buf + 9);
	head_len = (size_t)(end - buf) + 2;
	if (head_len >= sizeof(r->head))
		head_len = sizeof(r->head) - 1;
	memcpy(r->head, buf, head_len);
	r->head[head_len] = '\0';
	r->body_len = len - (size_t)(end + 4 - buf);
	r->body = malloc(r->body_len + 1);
	memcpy(r->body, end + 4, r->body_len);
	r->body[r->body_len] = '\0';
}

/*
 * Send request on a new connection to s and read until the server closes
 * it, serving s from this loop meanwhile.
 */
static bool exchange(struct http_server *s, const char *request, size_t len, struct response *r)
{
	struct epoll_event ev, evs[4];
	size_t sent = 0, got = 0, cap = 65536;
	char *buf = malloc(cap);
	long deadline = now_ms() + SAFETY_MS;
	int ep, fd;

	memset(r, 0, sizeof(*r));
	fd = connect_to(http__port(s), true);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (fd < 0 || ep < 0 || !buf)
		goto out;
	ev = (struct epoll_event){ .events = EPOLLIN, .data.fd = http__fd(s) };
	epoll_ctl(ep, EPOLL_CTL_ADD, http__fd(s), &ev);
	ev = (struct epoll_event){ .events = EPOLLIN | EPOLLOUT, .data.fd = fd };
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	while (!r->done && now_ms() < deadline) {
		int n = epoll_wait(ep, evs, 4, 100), i;

		for (i = 0; i < n; i++) {
			if (evs[i].data.fd == http__fd(s)) {
				http__process(s);
				continue;
			}
			if ((evs[i].events & EPOLLOUT) && sent < len) {
				ssize_t w = send(fd, request + sent, len - sent, MSG_NOSIGNAL);

				if (w > 0)
					sent += (size_t)w;
				else if (w < 0 && errno != EAGAIN)
					sent = len; /* the server gave up on us: read what it said */
				if (sent == len) {
					ev = (struct epoll_event){ .events = EPOLLIN, .data.fd = fd };
					epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
				}
			}
			if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
				ssize_t rd;

				if (got + 4096 > cap) {
					cap *= 2;
					buf = realloc(buf, cap);
				}
				rd = recv(fd, buf + got, cap - got - 1, 0);
				if (rd > 0)
					got += (size_t)rd;
				else if (rd == 0 || errno != EAGAIN)
					r->done = true;
			}
		}
	}
	parse_response(r, buf, got);
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	if (ep >= 0)
		close(ep);
	return r->done;
}

static bool request(struct http_server *s, const char *method, const char *path, struct response *r)
{
	char req[1024];
	int n = snprintf(req, sizeof(req),
			 "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", method, path);

	return exchange(s, req, (size_t)n, r);
}

/* The value of header name in r, in buf; NULL when absent. */
static const char *header(const struct response *r, const char *name, char *buf, size_t len)
{
	size_t n = strlen(name);
	const char *p;

	for (p = strstr(r->head, "\r\n"); p; p = strstr(p + 2, "\r\n")) {
		if (!strncasecmp(p + 2, name, n) && p[2 + n] == ':') {
			const char *v = p + 3 + n, *end;

			while (*v == ' ')
				v++;
			end = strstr(v, "\r\n");
			snprintf(buf, len, "%.*s", (int)(end ? end - v : (long)strlen(v)), v);
			return buf;
		}
	}
	return NULL;
}

/* GET path and check its status; the JSON body (caller puts) when json. */
static struct json_object *get_json(const char *path, int want_status, const char *name)
{
	struct response r;
	struct json_object *o = NULL;
	char ct[128];

	if (!ASSERT_TRUE(request(srv, "GET", path, &r), name))
		goto out;
	ASSERT_EQ(r.status, want_status, name);
	if (ASSERT_NOT_NULL(header(&r, "Content-Type", ct, sizeof(ct)), name))
		ASSERT_STREQ(ct, "application/json", name);
	o = r.body ? json_tokener_parse(r.body) : NULL;
	ASSERT_NOT_NULL(o, name);
out:
	response_free(&r);
	return o;
}

static const char *jget(struct json_object *o, const char *path)
{
	char copy[256], *save = NULL, *key;
	struct json_object *cur = o;

	snprintf(copy, sizeof(copy), "%s", path);
	for (key = strtok_r(copy, ".", &save); key && cur; key = strtok_r(NULL, ".", &save))
		if (!json_object_object_get_ex(cur, key, &cur))
			return NULL;
	return cur ? json_object_get_string(cur) : NULL;
}

/* Status codes of every health endpoint in one state. */
static void expect_codes(const char *state, int health, int ready)
{
	static const char *const live[] = { "/z/health/liveness", "/z/health/ping", "/livez" };
	static const char *const readiness[] = { "/z/health/readiness", "/readyz" };
	struct json_object *o;
	char name[128];
	size_t i;

	snprintf(name, sizeof(name), "%s: /z/health", state);
	o = get_json("/z/health", health, name);
	if (o)
		ASSERT_STREQ(jget(o, "status"), health == 200 ? "UP" : "DOWN", name);
	json_object_put(o);
	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "%s: %s", state, live[i]);
		o = get_json(live[i], 200, name);
		if (o)
			ASSERT_STREQ(jget(o, "status"), "UP", name);
		json_object_put(o);
	}
	for (i = 0; i < 2; i++) {
		snprintf(name, sizeof(name), "%s: %s", state, readiness[i]);
		o = get_json(readiness[i], ready, name);
		if (o)
			ASSERT_STREQ(jget(o, "status"), ready == 200 ? "UP" : "OUT_OF_SERVICE", name);
		json_object_put(o);
	}
	snprintf(name, sizeof(name), "%s: /z/info", state);
	json_object_put(get_json("/z/info", 200, name));
	{
		struct response r;

		snprintf(name, sizeof(name), "%s: /z/version", state);
		if (ASSERT_TRUE(request(srv, "GET", "/z/version", &r), name)) {
			ASSERT_EQ(r.status, 200, name);
			ASSERT_STREQ(r.body, WARDEN_VERSION "\n", name);
		}
		response_free(&r);
		snprintf(name, sizeof(name), "%s: /metrics", state);
		if (ASSERT_TRUE(request(srv, "GET", "/metrics", &r), name))
			ASSERT_EQ(r.status, 200, name);
		response_free(&r);
	}
}

/* ---- a fake git checkout ---- */

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX + 64];
	FILE *f;

	PATHF(path, "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void mkdirs(const char *dir, const char *sub)
{
	char path[PATH_MAX + 64], *p;

	PATHF(path, "%s/%s", dir, sub);
	for (p = path + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	mkdir(path, 0755);
}

static void rm_rf(const char *path)
{
	char cmd[PATH_MAX + 16];

	if (strncmp(path, "/tmp/warden-http-", 17))
		return;
	PATHF(cmd, "rm -rf '%s'", path);
	if (system(cmd))
		printf("  could not remove %s\n", path);
}

/* ---- tests ---- */

static void test_parse_addr(void)
{
	static const char *const bad[] = {
		"", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:80x",
		"localhost:9470", "::1:9470", "[::1]", "[::1]9470", "[127.0.0.1]:80", "1.2.3:80",
		":9470", "[]:80", "127.0.0.1: 80", "[fe80::1%eth0]:80",
	};
	struct sockaddr_storage sa;
	socklen_t len;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		ASSERT_EQ(http__parse_addr(bad[i], &sa, &len, err, sizeof(err)), -EINVAL, bad[i]);
		ASSERT_TRUE(err[0] != '\0', "a reason is given");
	}
	ASSERT_OK(http__parse_addr("127.0.0.1:9470", &sa, &len, err, sizeof(err)), "v4");
	ASSERT_EQ(sa.ss_family, AF_INET, "v4 family");
	ASSERT_EQ(ntohs(((struct sockaddr_in *)&sa)->sin_port), 9470, "v4 port");
	ASSERT_OK(http__parse_addr("[::1]:0", &sa, &len, err, sizeof(err)), "v6");
	ASSERT_EQ(sa.ss_family, AF_INET6, "v6 family");
	ASSERT_EQ(len, sizeof(struct sockaddr_in6), "v6 length");
	ASSERT_OK(http__parse_addr("0.0.0.0:65535", &sa, &len, err, sizeof(err)), "any");
	ASSERT_OK(http__parse_addr(HTTP_DEFAULT_ADDR, &sa, &len, err, sizeof(err)), "default");
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)))
		n++;
	if (d)
		closedir(d);
	return n;
}

static void test_open_close(void)
{
	struct http_server *a, *b;
	char err[256], addr[64];
	int before = count_fds();

	errno = 0;
	ASSERT_TRUE(!http__open("localhost:1", err, sizeof(err)) && errno == EINVAL, "bad address");
	ASSERT_TRUE(strstr(err, "not an IP address") != NULL, "reason");
	a = http__open("127.0.0.1:0", err, sizeof(err));
	if (!ASSERT_NOT_NULL(a, "open"))
		return;
	ASSERT_TRUE(http__port(a) > 0, "the kernel picked a port");
	ASSERT_TRUE(http__fd(a) >= 0, "fd");
	ASSERT_EQ(http__timeout_ms(a), -1, "no deadline without connections");
	/* Its port is taken: the second server says so. */
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", http__port(a));
	errno = 0;
	b = http__open(addr, err, sizeof(err));
	ASSERT_TRUE(!b && errno == EADDRINUSE, "port in use");
	ASSERT_TRUE(strstr(err, "in use") != NULL, "port in use reason");
	http__close(b);
	ASSERT_EQ(http__route(a, "no-slash", false, NULL, NULL), -EINVAL, "bad route");
	http__close(a);
	http__close(NULL);
	ASSERT_EQ(count_fds(), before, "no fd left behind");
}

static void test_states(void)
{
	struct json_object *o;

	/* Running and serving: everything UP. */
	state_running();
	expect_codes("running", 200, 200);
	o = get_json("/z/health", 200, "running health");
	if (o) {
		ASSERT_STREQ(jget(o, "components.child.status"), "UP", "child up");
		ASSERT_STREQ(jget(o, "components.child.details.state"), "running", "child running");
		ASSERT_STREQ(jget(o, "components.child.details.pid"), "4242", "child pid");
		ASSERT_STREQ(jget(o, "components.hang.status"), "UP", "not hung");
		ASSERT_STREQ(jget(o, "components.xdp.status"), "UP", "xdp attached");
		ASSERT_STREQ(jget(o, "components.xdp.details.how"), "libxdp multiprog", "xdp how");
		ASSERT_STREQ(jget(o, "components.watcher.status"), "UP", "watcher");
		ASSERT_STREQ(jget(o, "components.watcher.details.backend"), "tracepoint", "backend");
		ASSERT_STREQ(jget(o, "components.log.status"), "UP", "log");
		ASSERT_STREQ(jget(o, "components.log.details.access_lines"), "10", "log lines");
	}
	json_object_put(o);

	/* Just started: alive, healthy, not ready. */
	state_starting();
	expect_codes("starting", 200, 503);
	o = get_json("/z/health/readiness", 503, "starting readiness");
	if (o)
		ASSERT_STREQ(jget(o, "state"), "starting", "starting state");
	json_object_put(o);
	o = get_json("/z/health", 200, "starting health");
	if (o)
		ASSERT_STREQ(jget(o, "components.child.details.state"), "starting", "child starting");
	json_object_put(o);
	/* Past the grace period with the watcher unable to tell: ready. */
	g_st.uptime_ns = HEALTH_START_GRACE_NS + 1;
	json_object_put(get_json("/readyz", 200, "started after the grace period"));
	/* The watcher can tell and found no listening socket: still starting. */
	g_st.listening = 0;
	json_object_put(get_json("/readyz", 503, "no listening socket yet"));
	/* It found one: ready, whatever the uptime. */
	g_st.listening = 1;
	g_st.uptime_ns = 1000;
	json_object_put(get_json("/readyz", 200, "listening"));
	/* A first access line ends starting too. */
	g_st.listening = 0;
	g_st.requests_since_start = 1;
	json_object_put(get_json("/readyz", 200, "served a request"));

	/* Crashed, being restarted: DOWN, not ready, but warden itself is alive. */
	state_restarting();
	expect_codes("restarting", 503, 503);
	o = get_json("/z/health", 503, "restarting health");
	if (o) {
		ASSERT_STREQ(jget(o, "components.child.status"), "DOWN", "child down");
		ASSERT_STREQ(jget(o, "components.child.details.state"), "restarting", "restarting");
		ASSERT_STREQ(jget(o, "components.child.details.restarts"), "3", "restarts");
		ASSERT_TRUE(jget(o, "components.child.details.pid") == NULL, "no pid");
		ASSERT_STREQ(jget(o, "components.hang.status"), "UNKNOWN", "no hang check");
	}
	json_object_put(o);
	o = get_json("/readyz", 503, "restarting readiness");
	if (o) {
		ASSERT_STREQ(jget(o, "state"), "restarting", "restarting state");
		ASSERT_NOT_NULL(jget(o, "reason"), "a reason");
	}
	json_object_put(o);

	/* Hung: DOWN and not ready. */
	state_hung();
	expect_codes("hung", 503, 503);
	o = get_json("/z/health", 503, "hung health");
	if (o) {
		ASSERT_STREQ(jget(o, "components.child.status"), "UP", "hung child runs");
		ASSERT_STREQ(jget(o, "components.hang.status"), "DOWN", "hang down");
		ASSERT_STREQ(jget(o, "components.hang.details.reason"),
			     "3 requests waiting for 30 s, nothing sent", "hang reason");
	}
	json_object_put(o);
	o = get_json("/readyz", 503, "hung readiness");
	if (o) {
		ASSERT_STREQ(jget(o, "state"), "hung", "hung state");
		ASSERT_STREQ(jget(o, "reason"), "3 requests waiting for 30 s, nothing sent", "reason");
	}
	json_object_put(o);

	/* Stopped for good. */
	state_stopped();
	expect_codes("stopped", 503, 503);

	/* XDP lost: DOWN overall, yet the app can take traffic. */
	state_running();
	g_st.xdp = HEALTH_XDP_FAILED;
	expect_codes("xdp lost", 503, 200);
	/* No --iface and nothing attached anywhere: protection is off, DOWN, yet ready. */
	state_running();
	g_st.xdp = HEALTH_XDP_NOWHERE;
	g_st.n_ifaces = 0;
	expect_codes("nothing enforces", 503, 200);
	o = get_json("/z/health", 503, "nowhere");
	if (o) {
		ASSERT_STREQ(jget(o, "components.xdp.status"), "DOWN", "xdp down when unenforced");
		ASSERT_STREQ(jget(o, "components.xdp.details.enforced"), "false", "not enforced");
	}
	json_object_put(o);
	/* Attached elsewhere (warden attach, another namespace): enforced, UP. */
	g_st.xdp = HEALTH_XDP_ELSEWHERE;
	expect_codes("enforced elsewhere", 200, 200);
	/* Dry run, no watcher, no access line yet: UNKNOWN, and still UP overall. */
	state_running();
	g_st.xdp = HEALTH_XDP_DRY_RUN;
	g_st.n_ifaces = 0;
	g_st.watcher_backend = NULL;
	g_st.access_lines = 0;
	o = get_json("/z/health", 200, "unknowns");
	if (o) {
		ASSERT_STREQ(jget(o, "status"), "UP", "UNKNOWN does not make DOWN");
		ASSERT_STREQ(jget(o, "components.xdp.status"), "UNKNOWN", "xdp unknown");
		ASSERT_STREQ(jget(o, "components.watcher.status"), "UNKNOWN", "watcher unknown");
		ASSERT_STREQ(jget(o, "components.log.status"), "UNKNOWN", "log unknown");
	}
	json_object_put(o);
	/* The app answers and no access line is parsed: the log check is DOWN. */
	g_st.responses = 50;
	o = get_json("/z/health", 503, "log not parsed");
	if (o)
		ASSERT_STREQ(jget(o, "components.log.status"), "DOWN", "log down");
	json_object_put(o);
}

static void test_info(void)
{
	struct json_object *o, *cmd;
	struct response r;
	char ct[128];

	state_running();
	o = get_json("/z/info", 200, "info");
	if (!o)
		return;
	ASSERT_STREQ(jget(o, "warden.version"), WARDEN_VERSION, "warden version");
	ASSERT_STREQ(jget(o, "app.version"), COMMIT, "app version is its commit");
	ASSERT_STREQ(jget(o, "app.git.commit"), COMMIT, "git commit");
	ASSERT_STREQ(jget(o, "app.git.branch"), "main", "git branch");
	ASSERT_STREQ(jget(o, "app.directory"), g_app_dir, "app directory");
	ASSERT_NOT_NULL(jget(o, "kernel.release"), "kernel release");
	if (json_object_object_get_ex(json_object_object_get(o, "app"), "command", &cmd)) {
		ASSERT_EQ(json_object_array_length(cmd), 4, "command");
		ASSERT_STREQ(json_object_get_string(json_object_array_get_idx(cmd, 3)), "5000", "argv");
	}
	ASSERT_STREQ(json_object_get_string(json_object_array_get_idx(
			     json_object_object_get(json_object_object_get(o, "kernel"), "features"), 0)),
		     "xdp:libxdp multiprog", "features");
	json_object_put(o);

	/* Not a checkout: the version is null. Hostile bytes in argv stay valid JSON. */
	g_st.app_dir = "/";
	{
		char *hostile[] = { "python3", "a\"pp\xff.py", "\n", NULL };

		g_st.cmd = hostile;
		o = get_json("/z/info", 200, "info, not a checkout");
		if (o) {
			ASSERT_TRUE(jget(o, "app.version") == NULL, "no version");
			ASSERT_TRUE(json_object_object_get(json_object_object_get(o, "app"), "git") == NULL,
				    "no git");
			cmd = json_object_object_get(json_object_object_get(o, "app"), "command");
			ASSERT_STREQ(json_object_get_string(json_object_array_get_idx(cmd, 1)),
				     "a\"pp\xef\xbf\xbd.py", "argv cleaned");
		}
		json_object_put(o);
		g_st.cmd = g_cmd;
	}

	if (ASSERT_TRUE(request(srv, "GET", "/z/version", &r), "version")) {
		ASSERT_EQ(r.status, 200, "version status");
		ASSERT_STREQ(r.body, WARDEN_VERSION "\n", "version text");
		ASSERT_STREQ(header(&r, "Content-Type", ct, sizeof(ct)), "text/plain; charset=utf-8",
			     "version type");
	}
	response_free(&r);
}

static void test_errors_and_methods(void)
{
	static const char *const unknown[] = { "/", "/nope", "/z/health/", "/metricsx", "/z",
					       "/z/healthz", "/livez/x" };
	struct response r, g;
	char v[128], v2[128];
	size_t i;

	state_running();
	for (i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		if (ASSERT_TRUE(request(srv, "GET", unknown[i], &r), unknown[i]))
			ASSERT_EQ(r.status, 404, unknown[i]);
		response_free(&r);
	}
	/* Percent-encoding is decoded before routing. */
	if (ASSERT_TRUE(request(srv, "GET", "/z/%68ealth/ping", &r), "encoded"))
		ASSERT_EQ(r.status, 200, "encoded path");
	response_free(&r);
	/* A query string does not change the route. */
	if (ASSERT_TRUE(request(srv, "GET", "/z/health/ping?x=1", &r), "query"))
		ASSERT_EQ(r.status, 200, "query ignored");
	response_free(&r);

	/* Only GET and HEAD. */
	if (ASSERT_TRUE(request(srv, "POST", "/z/health", &r), "POST")) {
		ASSERT_EQ(r.status, 405, "POST is 405");
		ASSERT_STREQ(header(&r, "Allow", v, sizeof(v)), "GET, HEAD", "Allow header");
	}
	response_free(&r);
	if (ASSERT_TRUE(request(srv, "DELETE", "/metrics", &r), "DELETE"))
		ASSERT_EQ(r.status, 405, "DELETE is 405");
	response_free(&r);
	if (ASSERT_TRUE(request(srv, "PUT", "/nope", &r), "PUT unknown"))
		ASSERT_EQ(r.status, 405, "405 before 404");
	response_free(&r);
	{
		static const char post[] = "POST /z/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
					   "Content-Type: application/json\r\nContent-Length: 11\r\n\r\n"
					   "{\"a\": true}";

		if (ASSERT_TRUE(exchange(srv, post, sizeof(post) - 1, &r), "POST with a body"))
			ASSERT_EQ(r.status, 405, "POST with a body is 405");
		response_free(&r);
	}

	/* HEAD: the headers of GET, no body. */
	if (ASSERT_TRUE(request(srv, "GET", "/z/health", &g), "GET for HEAD") &&
	    ASSERT_TRUE(request(srv, "HEAD", "/z/health", &r), "HEAD")) {
		ASSERT_EQ(r.status, 200, "HEAD status");
		ASSERT_EQ(r.body_len, 0, "HEAD has no body");
		ASSERT_STREQ(header(&r, "Content-Length", v, sizeof(v)),
			     header(&g, "Content-Length", v2, sizeof(v2)), "HEAD length is GET's");
		ASSERT_EQ(atoi(v2), (long long)g.body_len, "GET length");
	}
	response_free(&r);
	response_free(&g);

	/* Security headers on every answer. */
	if (ASSERT_TRUE(request(srv, "GET", "/z/health/ping", &r), "headers")) {
		ASSERT_STREQ(header(&r, "X-Content-Type-Options", v, sizeof(v)), "nosniff", "nosniff");
		ASSERT_STREQ(header(&r, "Cache-Control", v, sizeof(v)), "no-store", "no-store");
		ASSERT_NOT_NULL(header(&r, "Content-Security-Policy", v, sizeof(v)), "csp");
	}
	response_free(&r);

	/* Not HTTP at all, and an over-long request head: refused, the server carries on. */
	{
		static const char junk[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n";
		size_t big_len = 64 * 1024;
		char *big = malloc(big_len + 128);
		int n;

		if (ASSERT_TRUE(exchange(srv, junk, sizeof(junk) - 1, &r), "junk"))
			ASSERT_TRUE(r.status == 0 || r.status == 400, "junk refused");
		response_free(&r);
		n = snprintf(big, 128, "GET /z/health HTTP/1.1\r\nHost: x\r\nX-Big: ");
		memset(big + n, 'a', big_len);
		memcpy(big + n + big_len, "\r\n\r\n", 4);
		if (ASSERT_TRUE(exchange(srv, big, (size_t)n + big_len + 4, &r), "big request"))
			ASSERT_TRUE(r.status == 0 || (r.status >= 400 && r.status != 404),
				    "over-long head refused");
		response_free(&r);
		free(big);
		if (ASSERT_TRUE(request(srv, "GET", "/z/health/ping", &r), "after abuse"))
			ASSERT_EQ(r.status, 200, "still serving");
		response_free(&r);
	}
}

/* Handlers of the routing tests. */
static void echo(const struct http_request *req, struct http_reply *out, void *ctx)
{
	const char *q = http__query_arg(req, "q");

	out->status = 200;
	out->content_type = "text/plain";
	out->cache_control = "max-age=5";
	if (asprintf(&out->body, "%s %s %s q=%s", (const char *)ctx, http__method(req),
		     http__path(req), q ? q : "(none)") < 0)
		out->body = NULL;
	out->len = out->body ? strlen(out->body) : 0;
}

static void broken(const struct http_request *req, struct http_reply *out, void *ctx)
{
	(void)req;
	(void)ctx;
	out->status = 0; /* a handler that forgot: 500 */
	out->body = strdup("lost");
	out->len = 4;
}

static void empty(const struct http_request *req, struct http_reply *out, void *ctx)
{
	(void)req;
	(void)ctx;
	out->status = 204;
}

static void test_routing(void)
{
	struct response r;
	char v[64];

	ASSERT_OK(http__route(srv, "/t/", true, echo, "prefix"), "prefix route");
	ASSERT_OK(http__route(srv, "/t/exact", false, echo, "exact"), "exact route");
	ASSERT_OK(http__route(srv, "/t/exact/", true, echo, "longer"), "longer prefix");
	ASSERT_EQ(http__route(srv, "/t/exact", false, echo, "again"), -EEXIST, "duplicate");
	ASSERT_OK(http__route(srv, "/t-broken", false, broken, NULL), "broken route");
	ASSERT_OK(http__route(srv, "/t-empty", false, empty, NULL), "empty route");

	if (ASSERT_TRUE(request(srv, "GET", "/t/a/b?q=1%202&z=3", &r), "prefix")) {
		ASSERT_STREQ(r.body, "prefix GET /t/a/b q=1 2", "prefix match, query decoded");
		ASSERT_STREQ(header(&r, "Cache-Control", v, sizeof(v)), "max-age=5", "cache-control");
	}
	response_free(&r);
	if (ASSERT_TRUE(request(srv, "GET", "/t/exact", &r), "exact"))
		ASSERT_STREQ(r.body, "exact GET /t/exact q=(none)", "exact wins");
	response_free(&r);
	if (ASSERT_TRUE(request(srv, "GET", "/t/exact/x", &r), "longest"))
		ASSERT_STREQ(r.body, "longer GET /t/exact/x q=(none)", "longest wins");
	response_free(&r);
	if (ASSERT_TRUE(request(srv, "HEAD", "/t/x", &r), "HEAD handler"))
		ASSERT_EQ(r.status, 200, "HEAD reaches the handler");
	response_free(&r);
	if (ASSERT_TRUE(request(srv, "GET", "/t-broken", &r), "broken"))
		ASSERT_EQ(r.status, 500, "bad status is 500");
	response_free(&r);
	if (ASSERT_TRUE(request(srv, "GET", "/t-empty", &r), "empty"))
		ASSERT_EQ(r.status, 204, "no body");
	response_free(&r);
}

/* A client that connects and sends nothing, and one that stops mid-request, block nobody. */
static void test_slow_clients(void)
{
	static const char partial[] = "GET /z/health HTTP/1.1\r\nHost: x\r\n";
	int idle[3], half, i;
	struct response r;

	state_running();
	for (i = 0; i < 3; i++)
		idle[i] = connect_to(http__port(srv), false);
	half = connect_to(http__port(srv), false);
	ASSERT_TRUE(idle[0] >= 0 && idle[1] >= 0 && idle[2] >= 0 && half >= 0, "connected");
	ASSERT_EQ(write(half, partial, sizeof(partial) - 1), (long long)sizeof(partial) - 1, "partial");
	settle(srv);
	ASSERT_TRUE(http__timeout_ms(srv) >= 0, "a deadline while connections are open");
	for (i = 0; i < 5; i++) {
		if (ASSERT_TRUE(request(srv, "GET", "/z/health/ping", &r), "served past slow clients"))
			ASSERT_EQ(r.status, 200, "ping while others stall");
		response_free(&r);
	}
	if (ASSERT_TRUE(request(srv, "GET", "/metrics", &r), "metrics past slow clients"))
		ASSERT_EQ(r.status, 200, "metrics while others stall");
	response_free(&r);
	for (i = 0; i < 3; i++)
		close(idle[i]);
	close(half);
	settle(srv);
}

/* A server with small limits: the idle timeout fires from the loop alone, the per-IP cap holds. */
static void test_limits(void)
{
	struct http_opts opts = { .per_ip_limit = 3, .timeout_s = 1 };
	struct http_server *s;
	struct epoll_event ev;
	struct response r;
	char err[256], buf[16];
	int ep, idle[3], i;
	long deadline;
	bool closed = false;

	s = http__open_opts("127.0.0.1:0", &opts, err, sizeof(err));
	if (!ASSERT_NOT_NULL(s, "open with limits"))
		return;
	ASSERT_OK(http__route(s, "/ping", false, empty, NULL), "route");
	for (i = 0; i < 3; i++)
		idle[i] = connect_to(http__port(s), false);
	settle(s);
	/* The fourth connection from this address is turned away without an answer. */
	if (ASSERT_TRUE(request(s, "GET", "/ping", &r), "over the per-IP limit"))
		ASSERT_EQ(r.status, 0, "refused");
	response_free(&r);
	close(idle[2]);
	settle(s);
	if (ASSERT_TRUE(request(s, "GET", "/ping", &r), "under the limit again"))
		ASSERT_EQ(r.status, 204, "served");
	response_free(&r);

	/* Nothing happens on idle[0]: the server's own deadline must close it. */
	ep = epoll_create1(EPOLL_CLOEXEC);
	ev = (struct epoll_event){ .events = EPOLLIN, .data.fd = http__fd(s) };
	epoll_ctl(ep, EPOLL_CTL_ADD, http__fd(s), &ev);
	ev = (struct epoll_event){ .events = EPOLLIN, .data.fd = idle[0] };
	epoll_ctl(ep, EPOLL_CTL_ADD, idle[0], &ev);
	deadline = now_ms() + SAFETY_MS;
	while (!closed && now_ms() < deadline) {
		if (epoll_wait(ep, &ev, 1, 1000) != 1)
			continue;
		if (ev.data.fd == http__fd(s))
			http__process(s);
		else
			closed = read(idle[0], buf, sizeof(buf)) <= 0;
	}
	ASSERT_TRUE(closed, "idle connection timed out by the server");
	close(ep);
	close(idle[0]);
	close(idle[1]);
	http__close(s);
}

/* Run a client program, serving s until it exits; its stdout in out. Exit status, or -1. */
static int run_client(struct http_server *s, char *const argv[], char *out, size_t out_len)
{
	struct epoll_event ev, evs[2];
	long deadline = now_ms() + SAFETY_MS;
	size_t got = 0;
	int pipefd[2], ep, status = -1;
	bool eof = false;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(pipefd[1], STDOUT_FILENO);
		execv(argv[0], argv);
		_exit(127);
	}
	close(pipefd[1]);
	ep = epoll_create1(EPOLL_CLOEXEC);
	ev = (struct epoll_event){ .events = EPOLLIN, .data.fd = http__fd(s) };
	epoll_ctl(ep, EPOLL_CTL_ADD, http__fd(s), &ev);
	ev = (struct epoll_event){ .events = EPOLLIN, .data.fd = pipefd[0] };
	epoll_ctl(ep, EPOLL_CTL_ADD, pipefd[0], &ev);
	while (!eof && now_ms() < deadline) {
		int n = epoll_wait(ep, evs, 2, 100), i;

		for (i = 0; i < n; i++) {
			if (evs[i].data.fd == http__fd(s)) {
				http__process(s);
			} else {
				ssize_t rd = read(pipefd[0], out + got, out_len - 1 - got);

				if (rd <= 0)
					eof = true;
				else
					got += (size_t)rd;
			}
		}
	}
	out[got] = '\0';
	if (!eof)
		kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	close(pipefd[0]);
	close(ep);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_curl(void)
{
	char url[128], url2[128], out[4096];

	if (access(CURL, X_OK)) {
		SKIP_TEST("test_curl", CURL " is not installed");
		return;
	}
	state_hung();
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/readyz", http__port(srv));
	{
		char *argv[] = { CURL, "-s", "-o", "/dev/null", "-w", "%{http_code}", url, NULL };

		ASSERT_EQ(run_client(srv, argv, out, sizeof(out)), 0, "curl runs");
		ASSERT_STREQ(out, "503", "curl: hung is not ready");
	}
	state_running();
	{
		char *argv[] = { CURL, "-s", "-I", url, NULL };

		ASSERT_EQ(run_client(srv, argv, out, sizeof(out)), 0, "curl HEAD");
		ASSERT_TRUE(!strncmp(out, "HTTP/1.1 200", 12), "curl HEAD 200");
		ASSERT_TRUE(strcasestr(out, "content-type: application/json") != NULL, "HEAD type");
	}
	/* Two requests on one kept-alive connection. */
	snprintf(url2, sizeof(url2), "http://127.0.0.1:%d/z/health", http__port(srv));
	{
		char *argv[] = { CURL, "-s", "-o", "/dev/null", "-o", "/dev/null", "-w",
				 "%{http_code}:%{num_connects} ", url, url2, NULL };

		ASSERT_EQ(run_client(srv, argv, out, sizeof(out)), 0, "curl keep-alive");
		ASSERT_STREQ(out, "200:1 200:0 ", "second request reuses the connection");
	}
}

static void test_metrics_endpoint(void)
{
	char url[128], path[PATH_MAX + 32], ct[128], out[8192];
	struct response r;
	int calls = hook_calls;
	FILE *f;

	state_hung();
	g_st.restarts = 2;
	if (!ASSERT_TRUE(request(srv, "GET", "/metrics", &r), "metrics"))
		goto out;
	ASSERT_EQ(r.status, 200, "metrics status");
	ASSERT_STREQ(header(&r, "Content-Type", ct, sizeof(ct)),
		     "text/plain; version=0.0.4; charset=utf-8", "metrics type");
	ASSERT_EQ(hook_calls, calls + 1, "the hook ran");
	ASSERT_TRUE(strstr(r.body, "\nwarden_child_up 1\n") != NULL, "child up from the state");
	ASSERT_TRUE(strstr(r.body, "\nwarden_hangs_total 1\n") != NULL, "hangs from the state");
	ASSERT_TRUE(strstr(r.body, "\nwarden_child_restarts_total 2\n") != NULL, "restarts");
	ASSERT_TRUE(strstr(r.body, "\nwarden_watcher_backend{backend=\"tracepoint\"} 1\n") != NULL,
		    "backend from the state");
	ASSERT_TRUE(strstr(r.body, "\nwarden_requests_in_flight 3\n") != NULL, "in flight");
	ASSERT_TRUE(strstr(r.body, "\nwarden_xdp_packets_total{verdict=\"dropped_exact\"} 7\n") != NULL,
		    "the hook's xdp counters");
	ASSERT_TRUE(strstr(r.body, "route=\"/items/<int:item_id>\"") != NULL, "routes fed in main");

	/* The exposition is what a real Prometheus parser accepts. */
	if (access(PROMTOOL, X_OK)) {
		SKIP_TEST("promtool check metrics", PROMTOOL " is not installed (Debian's prometheus)");
		goto out;
	}
	PATHF(path, "%s/metrics.txt", g_tmp);
	f = fopen(path, "w");
	if (!ASSERT_NOT_NULL(f, "write metrics"))
		goto out;
	fwrite(r.body, 1, r.body_len, f);
	fclose(f);
	{
		char cmd[PATH_MAX + 96];
		FILE *p;
		size_t got;
		int status;

		PATHF(cmd, PROMTOOL " check metrics < '%s' 2>&1", path);
		p = popen(cmd, "r");
		got = p ? fread(out, 1, sizeof(out) - 1, p) : 0;
		out[got] = '\0';
		status = p ? pclose(p) : -1;
		if (!ASSERT_EQ(status, 0, "promtool check metrics") || !ASSERT_EQ(got, 0, "no lint"))
			printf("  promtool: %s\n", out);
	}
	/* And curl fetching it the same way Prometheus would. */
	if (!access(CURL, X_OK)) {
		char *argv[] = { CURL, "-s", "-H", "Accept: text/plain;version=0.0.4", "-o", "/dev/null",
				 "-w", "%{http_code} %{content_type}", url, NULL };

		snprintf(url, sizeof(url), "http://127.0.0.1:%d/metrics", http__port(srv));
		ASSERT_EQ(run_client(srv, argv, out, sizeof(out)), 0, "curl metrics");
		ASSERT_STREQ(out, "200 text/plain; version=0.0.4; charset=utf-8", "curl metrics 200");
	}
out:
	response_free(&r);
}

static void test_ipv6(void)
{
	struct http_server *s;
	char err[256];

	s = http__open("[::1]:0", err, sizeof(err));
	if (!s) {
		/* Only where the host has no IPv6 loopback at all. */
		if (errno == EADDRNOTAVAIL || errno == EAFNOSUPPORT)
			SKIP_TEST("test_ipv6", "no IPv6 loopback here");
		else
			ASSERT_NOT_NULL(s, err);
		return;
	}
	ASSERT_TRUE(http__port(s) > 0, "v6 port");
	ASSERT_OK(http__route(s, "/v", false, echo, "v6"), "v6 route");
	if (!access(CURL, X_OK)) {
		char url[64], out[256];
		char *argv[] = { CURL, "-s", "-g", url, NULL };

		snprintf(url, sizeof(url), "http://[::1]:%d/v", http__port(s));
		ASSERT_EQ(run_client(s, argv, out, sizeof(out)), 0, "curl over IPv6");
		ASSERT_STREQ(out, "v6 GET /v q=(none)", "served over IPv6");
	}
	http__close(s);
}

static void test_git_commit(void)
{
	static const char other[] = "fedcba9876543210fedcba9876543210fedcba98";
	char dir[PATH_MAX + 64], commit[72], branch[128];
	FILE *p;

	/* A loose ref, looked up from deep inside the work tree. */
	PATHF(dir, "%s/sub/deeper", g_app_dir);
	ASSERT_OK(health__git_commit(dir, commit, sizeof(commit), branch, sizeof(branch)), "loose");
	ASSERT_STREQ(commit, COMMIT, "loose commit");
	ASSERT_STREQ(branch, "main", "loose branch");

	/* A packed ref, with the header and a peeled line around it. */
	PATHF(dir, "%s/packed", g_tmp);
	mkdirs(dir, ".git/refs/heads");
	write_file(dir, ".git/HEAD", "ref: refs/heads/dev\n");
	write_file(dir, ".git/packed-refs",
		   "# pack-refs with: peeled fully-peeled sorted \n"
		   "1111111111111111111111111111111111111111 refs/heads/de\n"
		   "fedcba9876543210fedcba9876543210fedcba98 refs/heads/dev\n"
		   "^2222222222222222222222222222222222222222\n");
	ASSERT_OK(health__git_commit(dir, commit, sizeof(commit), branch, sizeof(branch)), "packed");
	ASSERT_STREQ(commit, other, "packed commit");
	ASSERT_STREQ(branch, "dev", "packed branch");

	/* Detached HEAD. */
	PATHF(dir, "%s/detached", g_tmp);
	mkdirs(dir, ".git");
	write_file(dir, ".git/HEAD", COMMIT "\n");
	ASSERT_OK(health__git_commit(dir, commit, sizeof(commit), branch, sizeof(branch)), "detached");
	ASSERT_STREQ(commit, COMMIT, "detached commit");
	ASSERT_STREQ(branch, "", "detached: no branch");

	/* A linked worktree: ".git" is a file, the refs are in the common folder. */
	PATHF(dir, "%s/.git/worktrees/wt", g_app_dir);
	mkdirs(g_app_dir, ".git/worktrees/wt");
	write_file(dir, "HEAD", "ref: refs/heads/feature\n");
	write_file(dir, "commondir", "../..\n");
	write_file(g_app_dir, ".git/refs/heads/feature", other);
	PATHF(dir, "%s/wt", g_tmp);
	mkdirs(g_tmp, "wt");
	{
		char line[PATH_MAX + 96];

		PATHF(line, "gitdir: %s/.git/worktrees/wt\n", g_app_dir);
		write_file(dir, ".git", line);
	}
	ASSERT_OK(health__git_commit(dir, commit, sizeof(commit), branch, sizeof(branch)), "worktree");
	ASSERT_STREQ(commit, other, "worktree commit");
	ASSERT_STREQ(branch, "feature", "worktree branch");

	/* A branch with no commit yet, a hostile ref, no checkout at all. */
	PATHF(dir, "%s/unborn", g_tmp);
	mkdirs(dir, ".git/refs/heads");
	write_file(dir, ".git/HEAD", "ref: refs/heads/main\n");
	ASSERT_EQ(health__git_commit(dir, commit, sizeof(commit), branch, sizeof(branch)), -ENOENT,
		  "unborn");
	PATHF(dir, "%s/hostile", g_tmp);
	mkdirs(dir, ".git");
	write_file(dir, ".git/HEAD", "ref: refs/../../../../etc/passwd\n");
	ASSERT_EQ(health__git_commit(dir, commit, sizeof(commit), branch, sizeof(branch)), -EINVAL,
		  "ref outside .git refused");
	write_file(dir, ".git/HEAD", "not git at all\n");
	ASSERT_EQ(health__git_commit(dir, commit, sizeof(commit), branch, sizeof(branch)), -EINVAL,
		  "junk HEAD");
	ASSERT_EQ(health__git_commit("/proc/self", commit, sizeof(commit), branch, sizeof(branch)),
		  -ENOENT, "not a checkout");
	ASSERT_EQ(health__git_commit(NULL, commit, sizeof(commit), branch, sizeof(branch)), -ENOENT,
		  "no folder");

	/* This very source tree, when it is a git checkout: what git itself says. */
	p = popen("git rev-parse HEAD 2>/dev/null", "r");
	if (p && fgets(branch, sizeof(branch), p) && strlen(branch) > 40) {
		branch[strcspn(branch, "\n")] = '\0';
		ASSERT_OK(health__git_commit(".", commit, sizeof(commit), NULL, 0), "this checkout");
		ASSERT_STREQ(commit, branch, "the commit git rev-parse HEAD gives");
	} else {
		SKIP_TEST("this checkout", "not run from a git checkout (or no git)");
	}
	if (p)
		pclose(p);
}

int main(void)
{
	struct line_event ev = { .kind = LINE_REQUEST, .rule = "/items/<int:item_id>",
				 .verdict = ROUTE_MATCH, .access = { .method = "GET", .status = 200,
								     .http = true } };
	char err[256];

	signal(SIGPIPE, SIG_IGN);
	PATHF(g_tmp, "/tmp/warden-http-XXXXXX");
	if (!mkdtemp(g_tmp)) {
		perror("mkdtemp");
		return 1;
	}
	PATHF(g_app_dir, "%s/app", g_tmp);
	mkdirs(g_tmp, "app/.git/refs/heads");
	mkdirs(g_tmp, "app/sub/deeper");
	write_file(g_app_dir, ".git/HEAD", "ref: refs/heads/main\n");
	write_file(g_app_dir, ".git/refs/heads/main", COMMIT "\n");

	RUN_TEST(test_parse_addr);
	RUN_TEST(test_open_close);
	RUN_TEST(test_git_commit);

	srv = http__open("127.0.0.1:0", err, sizeof(err));
	wm = wmetrics__new();
	if (!srv || !wm) {
		printf("FAIL: cannot start the server: %s\n", err);
		return 1;
	}
	wmetrics__line(wm, &ev);
	hl = health__register(srv, provider, NULL, wm);
	if (!hl) {
		printf("FAIL: health__register: %s\n", strerror(errno));
		return 1;
	}
	health__set_metrics_hook(hl, metrics_hook, NULL);

	RUN_TEST(test_states);
	RUN_TEST(test_info);
	RUN_TEST(test_errors_and_methods);
	RUN_TEST(test_routing);
	RUN_TEST(test_slow_clients);
	RUN_TEST(test_limits);
	RUN_TEST(test_curl);
	RUN_TEST(test_metrics_endpoint);
	RUN_TEST(test_ipv6);

	http__close(srv);
	health__free(hl);
	wmetrics__free(wm);
	rm_rf(g_tmp);
	return TEST_EXIT();
}
