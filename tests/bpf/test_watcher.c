// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* test_watcher.c - the request watcher on real apps: every backend this kernel has, and the verifier for the others. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <bpf/libbpf.h>

/* The skeleton is named like the module's API (see user/watcher.c): rename it. */
#define watcher watcher_bpf
#define watcher__rodata watcher_bpf__rodata
#define watcher__destroy watcher_bpf__destroy
#define watcher__create_skeleton watcher_bpf__create_skeleton
#define watcher__open_opts watcher_bpf__open_opts
#define watcher__open watcher_bpf__open
#define watcher__load watcher_bpf__load
#define watcher__open_and_load watcher_bpf__open_and_load
#define watcher__attach watcher_bpf__attach
#define watcher__detach watcher_bpf__detach
#define watcher__elf_bytes watcher_bpf__elf_bytes
#define watcher__assert watcher_bpf__assert
#include "watcher.skel.h"
#undef watcher__assert
#undef watcher__elf_bytes
#undef watcher__detach
#undef watcher__attach
#undef watcher__open_and_load
#undef watcher__load
#undef watcher__open
#undef watcher__open_opts
#undef watcher__create_skeleton
#undef watcher__destroy
#undef watcher__rodata
#undef watcher

#include "testutil.h"
#include "../../user/watcher.h" /* "watcher.h" alone finds bpf/watcher.h first */
#include "log.h"
#include "timeutil.h"

#define PYTHON   "/usr/bin/python3"
#define GUNICORN "/usr/bin/gunicorn"
#define NOBODY   65534
#define MS       NSEC_PER_MSEC

/* Where the test app lives (absolute: the unprivileged case runs it too). */
static char app_dir[PATH_MAX + 32], app_py[PATH_MAX + 48];

/* ---- processes ---- */

struct spawn_opts {
	int gate_fd;             /* >= 0: wait for a byte (or EOF) on it before exec */
	const char *cgroup_procs; /* join this cgroup before exec */
	const char *chdir_to;
};

/*
 * Start argv in its own process group, output to /dev/null (or inherited
 * with WATCH_DEBUG set), killed with us if we die (PDEATHSIG).
 */
static pid_t spawn(char *const argv[], const struct spawn_opts *o)
{
	pid_t pid;
	char c;
	int fd;

	pid = fork();
	if (pid != 0)
		return pid;
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (!getenv("WATCH_DEBUG")) {
		fd = open("/dev/null", O_RDWR);
		dup2(fd, 1);
		dup2(fd, 2);
	}
	if (o && o->cgroup_procs) {
		fd = open(o->cgroup_procs, O_WRONLY);
		if (fd < 0 || write(fd, "0", 1) != 1)
			_exit(126);
		close(fd);
	}
	/* Nothing of ours leaks into the app (the gate's write end above all: EOF opens it). */
	fd = o && o->gate_fd >= 0 ? o->gate_fd : 2;
	if (fd > 3)
		close_range(3, fd - 1, 0);
	close_range(fd + 1, ~0U, 0);
	if (o && o->gate_fd >= 0) {
		if (read(o->gate_fd, &c, 1) < 0)
			_exit(126);
		close(o->gate_fd);
	}
	if (o && o->chdir_to && chdir(o->chdir_to))
		_exit(126);
	execv(argv[0], argv);
	_exit(127);
}

/*
 * Kill a process we started, and its group if it leads one, and reap them
 * all: we are a subreaper, so gunicorn's workers come back to us.
 */
static void kill_group(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	while (waitpid(-pid, NULL, 0) > 0)
		;
}

static pid_t start_werkzeug(const char *host, int port, int gate_fd, const char *cgroup_procs)
{
	char portstr[16];
	char *argv[] = { PYTHON, app_py, (char *)host, portstr, NULL };
	struct spawn_opts o = { .gate_fd = gate_fd, .cgroup_procs = cgroup_procs };

	snprintf(portstr, sizeof(portstr), "%d", port);
	return spawn(argv, &o);
}

/* gunicorn with two gthread workers (they keep connections alive). */
static pid_t start_gunicorn(int port, int gate_fd)
{
	char bind[64];
	char *argv[] = { GUNICORN, "-w", "2", "-k", "gthread", "--threads", "4",
			 "--keep-alive", "30", "-b", bind, "app:app", NULL };
	struct spawn_opts o = { .gate_fd = gate_fd, .chdir_to = app_dir };

	snprintf(bind, sizeof(bind), "127.0.0.1:%d", port);
	return spawn(argv, &o);
}

/* python's http.server: a web server that is not the app. */
static pid_t start_other_server(const char *host, int port)
{
	char portstr[16];
	char *argv[] = { PYTHON, "-m", "http.server", "--bind", (char *)host, portstr, NULL };
	struct spawn_opts o = { .gate_fd = -1, .chdir_to = "/" };

	snprintf(portstr, sizeof(portstr), "%d", port);
	return spawn(argv, &o);
}

/* ---- clients ---- */

static int free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd, port = -1;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	if (!bind(fd, (struct sockaddr *)&sa, sizeof(sa)) &&
	    !getsockname(fd, (struct sockaddr *)&sa, &len))
		port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static int tcp_connect(const char *host, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct timeval tv = { .tv_sec = 15 };
	int fd;

	inet_pton(AF_INET, host, &sa.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static bool can_connect(const char *host, int port)
{
	int fd = tcp_connect(host, port);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* Wait for a condition with a deadline (polls; never asserts on elapsed time). */
#define WAIT_UNTIL(cond, timeout_ms)                                            \
	({                                                                      \
		uint64_t __end = time__mono_ns() + (uint64_t)(timeout_ms) * MS; \
		bool __ok;                                                      \
		while (!(__ok = (cond)) && time__mono_ns() < __end)             \
			usleep(10000);                                          \
		__ok;                                                           \
	})

struct response {
	int status;
	uint64_t ttfb_ns; /* from the request's send to the answer's first byte */
	bool server_closes;
};

static void send_request(int fd, const char *host, const char *path, bool keepalive)
{
	char req[256];
	int n;

	n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: %s\r\n\r\n", path,
		     host, keepalive ? "keep-alive" : "close");
	if (send(fd, req, n, MSG_NOSIGNAL) != n)
		perror("send");
}

/*
 * Read one response (headers, then Content-Length bytes or up to EOF);
 * ttfb from t0 to its first byte. 0 or -errno.
 */
static int read_response(int fd, uint64_t t0, struct response *r)
{
	char buf[8192], *hdr_end, *cl;
	size_t len = 0, body = 0, want = SIZE_MAX;
	ssize_t n;

	memset(r, 0, sizeof(*r));
	for (;;) {
		n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ECONNRESET;
		if (!r->ttfb_ns)
			r->ttfb_ns = time__boot_ns() - t0;
		len += n;
		buf[len] = '\0';
		hdr_end = strstr(buf, "\r\n\r\n");
		if (hdr_end)
			break;
		if (len >= sizeof(buf) - 1)
			return -EMSGSIZE;
	}
	if (sscanf(buf, "HTTP/1.%*d %d", &r->status) != 1)
		return -EPROTO;
	cl = strcasestr(buf, "\r\nContent-Length:");
	if (cl && hdr_end > cl)
		want = strtoul(cl + 17, NULL, 10);
	r->server_closes = strcasestr(buf, "\r\nConnection: close") != NULL;
	body = len - (hdr_end + 4 - buf);
	while (body < want) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		body += n;
	}
	return 0;
}

/* One request on a connection of its own; 0 or -errno. */
static int http_get(const char *host, int port, const char *path, struct response *r)
{
	uint64_t t0;
	int fd, err;

	fd = tcp_connect(host, port);
	if (fd < 0)
		return fd;
	t0 = time__boot_ns();
	send_request(fd, host, path, false);
	err = read_response(fd, t0, r);
	close(fd);
	return err;
}

/* A request run by a child process; reap it with waitpid (exit 0 = 200 OK). */
static pid_t http_get_background(const char *host, int port, const char *path)
{
	struct response r;
	pid_t pid;

	pid = fork();
	if (pid == 0)
		_exit(http_get(host, port, path, &r) == 0 && r.status == 200 ? 0 : 1);
	return pid;
}

static bool reaped_ok(pid_t pid)
{
	int status;

	return waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* ---- the watcher under test ---- */

/* Completed requests as the ring buffer gives them. */
static struct watcher_request events[256];
static int nevents;

static void on_request(void *ctx, const struct watcher_request *req)
{
	(void)ctx;
	if (nevents < (int)(sizeof(events) / sizeof(events[0])))
		events[nevents] = *req;
	nevents++;
}

static uint64_t port_count(struct watcher *w, int port)
{
	uint64_t count = 0;

	watcher__consume(w);
	if (watcher__histogram(w, port, NULL, &count, NULL))
		return 0;
	return count;
}

static bool has_port(struct watcher *w, int port)
{
	uint16_t ports[WATCHER_MAX_PORTS];
	int n, i;

	n = watcher__ports(w, ports, WATCHER_MAX_PORTS);
	for (i = 0; i < n; i++)
		if (ports[i] == port)
			return true;
	return false;
}

static uint32_t inflight_count(struct watcher *w, uint64_t *age, uint16_t *port)
{
	uint32_t n = 0;

	watcher__inflight(w, &n, age, port);
	return n;
}

/* ---- verifier: the flavours this kernel cannot attach ---- */

static char vlog[1 << 20];

/*
 * Open the skeleton with only the given programs, load them (the
 * verifier), try to attach the first. Returns the load result; *attach_err
 * the attach result.
 */
static int load_only(const char *const *names, int n, int *attach_err, bool *before_verifier)
{
	struct watcher_bpf *skel;
	struct bpf_program *p;
	struct bpf_link *link;
	int err, i;

	*attach_err = 0;
	*before_verifier = false;
	skel = watcher_bpf__open();
	if (!skel)
		return -errno;
	bpf_object__for_each_program(p, skel->obj)
		bpf_program__set_autoload(p, false);
	for (i = 0; i < n; i++) {
		p = bpf_object__find_program_by_name(skel->obj, names[i]);
		if (!p) {
			err = -ENOENT;
			goto out;
		}
		bpf_program__set_autoload(p, true);
	}
	p = bpf_object__find_program_by_name(skel->obj, names[0]);
	vlog[0] = '\0';
	bpf_program__set_log_buf(p, vlog, sizeof(vlog));
	bpf_program__set_log_level(p, 1);
	err = watcher_bpf__load(skel);
	/* A refusal with no verifier log happened before verification. */
	*before_verifier = err && !strstr(vlog, "processed");
	if (err)
		goto out;
	if (!strstr(vlog, "processed")) {
		printf("  %s: loaded without a verifier log\n", names[0]);
		err = -EIO;
		goto out;
	}
	link = bpf_program__attach(p);
	*attach_err = link ? 0 : -errno;
	bpf_link__destroy(link);
out:
	watcher_bpf__destroy(skel);
	return err;
}

static void test_kprobe_programs_verify(void)
{
	static const char *const progs[] = { "kprobe_tcp_recvmsg", "kretprobe_tcp_recvmsg",
					     "kprobe_tcp_sendmsg", "tp_set_state",
					     "tp_process_exit", "btf_process_fork" };
	int attach_err, i;
	bool early;

	/* Each kprobe program through the verifier on its own, then together. */
	for (i = 0; i < 3; i++) {
		if (!ASSERT_OK(load_only(&progs[i], 1, &attach_err, &early), progs[i]))
			return;
		printf("# %s: verified; attach: %s\n", progs[i],
		       attach_err ? strerror(-attach_err) : "attached");
	}
	ASSERT_OK(load_only(progs, 6, &attach_err, &early), "kprobe flavour together");
}

static const char *const fentry_progs[] = { "fexit_tcp_recvmsg", "fentry_tcp_sendmsg" };

/* Whether this kernel refuses fentry/fexit programs before verifying them (then: why). */
static const char *fentry_refused(void)
{
	static char why[128];
	int attach_err, err;
	bool early;

	err = load_only(fentry_progs, 1, &attach_err, &early);
	if (!err || !early)
		return NULL;
	snprintf(why, sizeof(why), "this kernel refuses fentry/fexit programs before the verifier (%s)",
		 strerror(-err));
	return why;
}

static void test_fentry_programs_verify(void)
{
	int attach_err, i;
	bool early;

	for (i = 0; i < 2; i++) {
		if (!ASSERT_OK(load_only(&fentry_progs[i], 1, &attach_err, &early), fentry_progs[i]))
			return;
		printf("# %s: verified; attach: %s\n", fentry_progs[i],
		       attach_err ? strerror(-attach_err) : "attached");
	}
}

static void test_tracepoint_programs_verify(void)
{
	static const char *const tp[] = { "tp_sock_recv", "tp_sock_send", "tp_set_state",
					  "tp_process_exit", "tp_process_fork" };
	int attach_err;
	bool early;

	/* The classic fork tracepoint is the fallback of tp_btf: it must load and attach too. */
	ASSERT_OK(load_only(&tp[4], 1, &attach_err, &early), "tp_process_fork load");
	ASSERT_OK(attach_err, "tp_process_fork attach");
	ASSERT_OK(load_only(tp, 5, &attach_err, &early), "tracepoint flavour load");
	ASSERT_OK(attach_err, "tp_sock_recv attach");
}

/* ---- backend selection ---- */

static void test_backend_selection(void)
{
	struct watcher_opts o = { .backend = WATCHER_AUTO };
	struct watcher *w;

	/* As root the automatic choice is a BPF one (tracepoint on this kernel). */
	w = watcher__open(&o);
	if (!ASSERT_NOT_NULL(w, "auto"))
		return;
	printf("# auto: %s\n", watcher__backend_name(w));
	ASSERT_TRUE(watcher__backend(w) != WATCHER_SOCKDIAG, "auto picks BPF as root");
	watcher__close(w);

	o.backend = WATCHER_TRACEPOINT;
	w = watcher__open(&o);
	if (ASSERT_NOT_NULL(w, "tracepoint"))
		ASSERT_STREQ(watcher__backend_name(w), "tracepoint", "tracepoint name");
	watcher__close(w);

	o.backend = WATCHER_SOCKDIAG;
	w = watcher__open(&o);
	if (ASSERT_NOT_NULL(w, "sock_diag"))
		ASSERT_STREQ(watcher__backend_name(w), "sock_diag", "sock_diag name");
	ASSERT_EQ(watcher__events_fd(w), -1, "no ring buffer without BPF");
	watcher__close(w);

	/* A forced backend that cannot work fails rather than falling back. */
	o.backend = WATCHER_KPROBE;
	w = watcher__open(&o);
	if (w) {
		printf("# kprobe backend works here: %s\n", watcher__backend_name(w));
		watcher__close(w);
	} else {
		ASSERT_TRUE(errno != 0, "forced kprobe fails with errno");
	}
}

/* ---- tracepoint backend, Werkzeug, pid tree ---- */

static void test_tracepoint_werkzeug(void)
{
	const int n_fast = 20, n_mixed = 5, n_other = 12;
	struct watcher_opts o = { .backend = WATCHER_TRACEPOINT, .on_request = on_request };
	pid_t app = -1, other = -1, bg = -1, hitter = -1;
	struct watcher *w = NULL;
	struct watcher_port_stats st;
	struct watcher_request req;
	struct response r;
	uint64_t before, age1 = 0, age2 = 0, lat, client, resp_age;
	uint16_t oport = 0;
	int gate[2] = { -1, -1 }, port, i, ev0;
	struct watch_stats stats;

	port = free_port();
	if (!ASSERT_TRUE(port > 0, "free port") || !ASSERT_OK(pipe(gate), "pipe"))
		return;
	/* The app waits at the gate until the watcher follows its pid. */
	app = start_werkzeug("127.0.0.1", port, gate[0], NULL);
	close(gate[0]);
	gate[0] = -1;
	o.root_pid = app;
	w = watcher__open(&o);
	if (!ASSERT_NOT_NULL(w, "open"))
		goto out;
	ASSERT_STREQ(watcher__backend_name(w), "tracepoint", "backend");
	ASSERT_TRUE(watcher__events_fd(w) >= 0, "ring buffer fd");
	close(gate[1]);
	gate[1] = -1;

	/* Its listen() is seen in the kernel: the port is known with no refresh. */
	if (!ASSERT_TRUE(WAIT_UNTIL(has_port(w, port), 15000), "port from listen()"))
		goto out;
	watcher__stats(w, &stats);
	ASSERT_GE(stats.ports_added, 1, "ports added by BPF");
	if (!ASSERT_TRUE(WAIT_UNTIL(can_connect("127.0.0.1", port), 15000), "app accepts"))
		goto out;

	/* N fast requests, each on its own connection: exactly N. */
	for (i = 0; i < n_fast; i++)
		if (!ASSERT_OK(http_get("127.0.0.1", port, "/", &r), "GET /") ||
		    !ASSERT_EQ(r.status, 200, "status"))
			goto out;
	WAIT_UNTIL(port_count(w, port) >= (uint64_t)n_fast, 2000);
	ASSERT_EQ(port_count(w, port), n_fast, "all N requests counted");
	ASSERT_EQ(nevents, n_fast, "one event per request");

	/* A 200 ms route: >= 200 ms and within 15 ms of what the client saw. */
	ev0 = nevents;
	if (!ASSERT_OK(http_get("127.0.0.1", port, "/sleep/200", &r), "GET /sleep/200"))
		goto out;
	WAIT_UNTIL(port_count(w, port) >= (uint64_t)n_fast + 1, 2000);
	if (!ASSERT_EQ(nevents, ev0 + 1, "event of /sleep/200"))
		goto out;
	lat = events[ev0].latency_ns;
	client = r.ttfb_ns;
	printf("# /sleep/200: watcher %.3f ms, client %.3f ms, difference %.3f ms\n", lat / 1e6,
	       client / 1e6, ((double)client - (double)lat) / 1e6);
	ASSERT_GE(lat, 200 * MS, "latency >= 200 ms");
	ASSERT_LE(llabs((long long)client - (long long)lat), 15 * MS, "within 15 ms of the client");
	ASSERT_EQ(events[ev0].port, port, "event port");
	ASSERT_EQ(events[ev0].tgid, app, "event tgid");
	ASSERT_STREQ(events[ev0].line, "GET /sleep/200 HTTP/1.1", "event request line");
	if (ASSERT_OK(watcher__port_stats(w, port, &st), "port stats")) {
		/* 200 ms = 200000 us: bucket 17 holds [131072, 262144) us. */
		ASSERT_GE(st.buckets[17], 1, "log2 bucket of 200 ms");
		ASSERT_GE(st.sum_ns, lat, "sum");
		ASSERT_NEQ(st.last_response_ns, 0, "last response time");
		ASSERT_GE(st.last_send_ns, st.last_response_ns, "last send time");
	}

	/* A request that hangs: in flight, its age growing, then done. */
	before = port_count(w, port);
	bg = http_get_background("127.0.0.1", port, "/sleep/3000");
	if (!ASSERT_TRUE(WAIT_UNTIL(inflight_count(w, &age1, &oport) == 1, 2000), "in flight"))
		goto out;
	ASSERT_EQ(oport, port, "in-flight port");
	/* Which request it is: what --hang-exempt matches routes against. */
	if (ASSERT_EQ(watcher__inflight_list(w, &req, 1), 1, "in-flight list")) {
		ASSERT_STREQ(req.line, "GET /sleep/3000 HTTP/1.1", "in-flight request line");
		ASSERT_EQ(req.port, port, "in-flight list port");
		ASSERT_EQ(req.tgid, app, "in-flight list tgid");
	}
	ASSERT_TRUE(WAIT_UNTIL(inflight_count(w, &age2, NULL) == 1 && age2 >= age1 + 500 * MS, 3000),
		    "age grows");
	printf("# hanging request: age %.1f ms, then %.1f ms\n", age1 / 1e6, age2 / 1e6);
	ASSERT_TRUE(reaped_ok(bg), "hanging request answered");
	bg = -1;
	WAIT_UNTIL(port_count(w, port) >= before + 1, 2000);
	ASSERT_EQ(port_count(w, port), before + 1, "hanging request counted once");
	ASSERT_EQ(inflight_count(w, NULL, NULL), 0, "nothing in flight");

	/*
	 * Another web server, not the app, on the same port of another
	 * address (its sockets pass the port filter), hit at the same time
	 * as the app: none of its requests count.
	 */
	other = start_other_server("127.0.0.2", port);
	if (!ASSERT_TRUE(WAIT_UNTIL(can_connect("127.0.0.2", port), 15000), "other server up"))
		goto out;
	before = port_count(w, port);
	hitter = fork();
	if (hitter == 0) {
		for (i = 0; i < n_other; i++)
			if (http_get("127.0.0.2", port, "/", &r) || r.status != 200)
				_exit(1);
		_exit(0);
	}
	for (i = 0; i < n_mixed; i++)
		ASSERT_OK(http_get("127.0.0.1", port, "/sleep/20", &r), "app during other traffic");
	ASSERT_TRUE(reaped_ok(hitter), "other server answered");
	hitter = -1;
	WAIT_UNTIL(port_count(w, port) >= before + n_mixed, 2000);
	ASSERT_EQ(port_count(w, port), before + n_mixed, "only the app's requests counted");
	ASSERT_OK(watcher__refresh(w), "refresh");
	ASSERT_TRUE(has_port(w, port), "port kept by the scan");
	ASSERT_EQ(watcher__ports(w, NULL, 0), 1, "one port");
	watcher__stats(w, &stats);
	ASSERT_EQ(stats.completed, port_count(w, port), "stats: completed");
	ASSERT_EQ(stats.started, stats.completed, "stats: started");

	/* The app answered recently. */
	ASSERT_OK(watcher__last_response_age(w, &resp_age), "last response age");
	ASSERT_LE(resp_age, 5 * NSEC_PER_SEC, "answered within 5 s");
out:
	if (gate[1] >= 0)
		close(gate[1]);
	kill_group(hitter);
	kill_group(bg);
	kill_group(other);
	kill_group(app);
	watcher__close(w);
	nevents = 0;
}

/* ---- tracepoint backend, gunicorn: forked workers, kept-alive connections ---- */

static void test_tracepoint_gunicorn_keepalive(void)
{
	static const char *const paths[] = { "/", "/sleep/50", "/", "/sleep/100", "/", "/sleep/10" };
	const int n = sizeof(paths) / sizeof(paths[0]), n_fresh = 10;
	struct watcher_opts o = { .backend = WATCHER_TRACEPOINT, .on_request = on_request };
	struct watcher *w = NULL;
	struct watch_stats stats;
	struct response r;
	int gate[2] = { -1, -1 }, port, fd = -1, i;
	uint64_t t0;
	pid_t app = -1;

	port = free_port();
	if (!ASSERT_TRUE(port > 0, "free port") || !ASSERT_OK(pipe(gate), "pipe"))
		return;
	/* The master forks its workers after the watcher follows it. */
	app = start_gunicorn(port, gate[0]);
	close(gate[0]);
	o.root_pid = app;
	w = watcher__open(&o);
	close(gate[1]);
	if (!ASSERT_NOT_NULL(w, "open"))
		goto out;
	if (!ASSERT_TRUE(WAIT_UNTIL(can_connect("127.0.0.1", port), 20000), "gunicorn accepts"))
		goto out;
	/* The master listens first, then forks its workers one by one. */
	ASSERT_TRUE(WAIT_UNTIL(watcher__stats(w, &stats) == 0 && stats.forks >= 2, 20000),
		    "workers followed by the fork tracker");

	/* Several requests on one kept-alive connection: each counted. */
	fd = tcp_connect("127.0.0.1", port);
	if (!ASSERT_TRUE(fd >= 0, "connect"))
		goto out;
	for (i = 0; i < n; i++) {
		t0 = time__boot_ns();
		send_request(fd, "127.0.0.1", paths[i], true);
		if (!ASSERT_OK(read_response(fd, t0, &r), "keep-alive response") ||
		    !ASSERT_EQ(r.status, 200, "status") ||
		    !ASSERT_FALSE(r.server_closes, "connection kept alive"))
			goto out;
	}
	/*
	 * The connection idle for a second between two requests: the clock
	 * starts at the next request's read, not at the previous answer.
	 */
	usleep(1000 * 1000);
	t0 = time__boot_ns();
	send_request(fd, "127.0.0.1", "/", true);
	if (!ASSERT_OK(read_response(fd, t0, &r), "after idle"))
		goto out;
	WAIT_UNTIL(port_count(w, port) >= (uint64_t)n + 1, 2000);
	ASSERT_EQ(port_count(w, port), n + 1, "each kept-alive request counted");
	if (ASSERT_EQ(nevents, n + 1, "events")) {
		ASSERT_LE(events[n].latency_ns, 500 * MS, "idle time not counted");
		for (i = 0; i < n; i++) {
			char line[128];

			printf("# keep-alive #%d %s: %.3f ms (worker %d)\n", i, paths[i],
			       events[i].latency_ns / 1e6, events[i].tgid);
			snprintf(line, sizeof(line), "GET %s HTTP/1.1", paths[i]);
			ASSERT_STREQ(events[i].line, line, "each request's own line");
		}
		ASSERT_GE(events[1].latency_ns, 50 * MS, "/sleep/50 measured");
		ASSERT_GE(events[3].latency_ns, 100 * MS, "/sleep/100 measured");
		ASSERT_TRUE(events[0].tgid != app, "served by a worker, not the master");
	}
	close(fd);
	fd = -1;

	/* And fresh connections, spread over the workers. */
	for (i = 0; i < n_fresh; i++)
		ASSERT_OK(http_get("127.0.0.1", port, "/", &r), "GET /");
	WAIT_UNTIL(port_count(w, port) >= (uint64_t)n + 1 + n_fresh, 2000);
	ASSERT_EQ(port_count(w, port), n + 1 + n_fresh, "fresh connections counted");
out:
	if (fd >= 0)
		close(fd);
	kill_group(app);
	watcher__close(w);
	nevents = 0;
}

/* ---- tracepoint backend: accuracy against the client's own clock ---- */

/*
 * Each route several times, the watcher's latency against the client's
 * time from its send to the answer's first byte: on new connections to
 * Werkzeug (a thread per connection) and on one kept-alive connection to
 * gunicorn. Prints the figures.
 */
static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void accuracy_run(const char *what, int port, bool keepalive, struct watcher *w)
{
	static const int routes_ms[] = { 0, 10, 50, 200, 500 };
	const int reps = 4;
	double diffs[5 * 4], dsum = 0, d;
	int i, j, fd = -1, ev, count = 0, i0 = nevents;
	char path[32];
	struct response r;
	uint64_t t0;

	/*
	 * Warm up first, until every process has answered: a new gunicorn
	 * accepts before its workers have loaded the app (the watcher rightly
	 * counts only from their read), and a worker still loading competes
	 * for the CPU with the one answering.
	 */
	for (i = 0; i < 100; i++) {
		ev = nevents;
		if (!ASSERT_OK(http_get("127.0.0.1", port, "/", &r), "warm-up") ||
		    !ASSERT_TRUE(WAIT_UNTIL((watcher__consume(w), nevents == ev + 1), 2000),
				 "warm-up event"))
			return;
		if (!keepalive || (ev > i0 && events[ev].tgid != events[ev - 1].tgid))
			break;
	}
	if (keepalive && !ASSERT_TRUE((fd = tcp_connect("127.0.0.1", port)) >= 0, "connect"))
		return;
	for (i = 0; i < (int)(sizeof(routes_ms) / sizeof(routes_ms[0])); i++) {
		for (j = 0; j < reps; j++) {
			if (routes_ms[i])
				snprintf(path, sizeof(path), "/sleep/%d", routes_ms[i]);
			else
				snprintf(path, sizeof(path), "/");
			ev = nevents;
			if (keepalive) {
				t0 = time__boot_ns();
				send_request(fd, "127.0.0.1", path, true);
				if (!ASSERT_OK(read_response(fd, t0, &r), "response"))
					goto out;
			} else if (!ASSERT_OK(http_get("127.0.0.1", port, path, &r), "GET")) {
				goto out;
			}
			if (!ASSERT_TRUE(WAIT_UNTIL((watcher__consume(w), nevents == ev + 1), 2000),
					 "one event"))
				goto out;
			ASSERT_GE(events[ev].latency_ns, (uint64_t)routes_ms[i] * MS,
				  "not less than the route");
			/*
			 * The watcher times a part of what the client times (from
			 * the app's read to its write); the rest is the app's wait
			 * before it reads, which a loaded host stretches.
			 */
			d = ((double)r.ttfb_ns - (double)events[ev].latency_ns) / 1e6;
			ASSERT_GE(d, -5.0, "not longer than the client's time");
			diffs[count++] = d;
			dsum += d;
		}
	}
	qsort(diffs, count, sizeof(diffs[0]), cmp_double);
	printf("# %s: %d requests, client minus watcher: min %.3f, median %.3f, mean %.3f, max %.3f ms\n",
	       what, count, diffs[0], diffs[count / 2], dsum / count, diffs[count - 1]);
	ASSERT_LE(fabs(diffs[count / 2]), 15.0, "median within 15 ms of the client");
out:
	if (fd >= 0)
		close(fd);
}

static void test_tracepoint_accuracy(void)
{
	struct watcher_opts o = { .backend = WATCHER_TRACEPOINT, .on_request = on_request };
	struct watcher *w = NULL;
	pid_t wz = -1, gu = -1;
	int wz_port = free_port(), gu_port;

	w = watcher__open(&o);
	if (!ASSERT_NOT_NULL(w, "open"))
		return;
	wz = start_werkzeug("127.0.0.1", wz_port, -1, NULL);
	if (!ASSERT_TRUE(WAIT_UNTIL(can_connect("127.0.0.1", wz_port), 15000), "werkzeug up"))
		goto out;
	ASSERT_OK(watcher__set_root(w, wz, 0, NULL), "set_root werkzeug");
	accuracy_run("werkzeug, new connections", wz_port, false, w);
	kill_group(wz);
	wz = -1;

	gu_port = free_port();
	gu = start_gunicorn(gu_port, -1);
	if (!ASSERT_TRUE(WAIT_UNTIL(can_connect("127.0.0.1", gu_port), 20000), "gunicorn up"))
		goto out;
	ASSERT_OK(watcher__set_root(w, gu, 0, NULL), "set_root gunicorn");
	accuracy_run("gunicorn gthread, one kept-alive connection", gu_port, true, w);
out:
	kill_group(wz);
	kill_group(gu);
	watcher__close(w);
	nevents = 0;
}

/* ---- tracepoint backend, cgroup scope ---- */

static int cgroup2_root(char *out, size_t len)
{
	char line[4096], mnt[PATH_MAX];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int err = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, " - cgroup2 ") && sscanf(line, "%*s %*s %*s %*s %4095s", mnt) == 1) {
			snprintf(out, len, "%s", mnt);
			err = 0;
			break;
		}
	fclose(f);
	return err;
}

static void test_tracepoint_cgroup(void)
{
	const int n = 15, n_other = 8;
	struct watcher_opts o = { .backend = WATCHER_TRACEPOINT };
	char root[PATH_MAX], dir[PATH_MAX + 64], procs[PATH_MAX + 96];
	struct watcher *w = NULL;
	struct response r;
	pid_t app = -1, other = -1;
	uint64_t cgid = 0, before;
	int port, i;
	bool made = false;

	if (!ASSERT_OK(cgroup2_root(root, sizeof(root)), "cgroup v2 mount"))
		return;
	snprintf(dir, sizeof(dir), "%s/warden-watch-test-%d", root, getpid());
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
	if (!ASSERT_OK(mkdir(dir, 0755) ? -errno : 0, "mkdir cgroup"))
		return;
	made = true;
	ASSERT_OK(watcher__cgroup_id(dir, &cgid), "cgroup id");

	/* The app runs in the cgroup and is listening before the watcher starts. */
	port = free_port();
	app = start_werkzeug("127.0.0.1", port, -1, procs);
	other = start_other_server("127.0.0.2", port);
	if (!ASSERT_TRUE(WAIT_UNTIL(can_connect("127.0.0.1", port) &&
				    can_connect("127.0.0.2", port), 15000), "servers up"))
		goto out;
	o.cgroup_id = cgid; /* no path: the watcher finds the folder from the id */
	w = watcher__open(&o);
	if (!ASSERT_NOT_NULL(w, "open"))
		goto out;
	/* The port came from the first scan (cgroup.procs, their fds, sock_diag). */
	ASSERT_TRUE(has_port(w, port), "port from the scan");

	for (i = 0; i < n; i++) {
		ASSERT_OK(http_get("127.0.0.1", port, "/", &r), "GET / (app)");
		ASSERT_OK(http_get("127.0.0.2", port, "/", &r), "GET / (other)");
	}
	for (i = 0; i < n_other; i++)
		ASSERT_OK(http_get("127.0.0.2", port, "/", &r), "GET / (other)");
	WAIT_UNTIL(port_count(w, port) >= (uint64_t)n, 2000);
	ASSERT_EQ(port_count(w, port), n, "the cgroup's requests, exactly");

	/* The app restarted in the same cgroup: set_root, counts go on. */
	kill_group(app);
	app = start_werkzeug("127.0.0.1", port, -1, procs);
	if (!ASSERT_TRUE(WAIT_UNTIL(can_connect("127.0.0.1", port), 15000), "restarted app up"))
		goto out;
	ASSERT_OK(watcher__set_root(w, 0, cgid, dir), "set_root");
	ASSERT_TRUE(has_port(w, port), "port after set_root");
	before = port_count(w, port);
	ASSERT_OK(http_get("127.0.0.1", port, "/", &r), "GET / after restart");
	WAIT_UNTIL(port_count(w, port) >= before + 1, 2000);
	ASSERT_EQ(port_count(w, port), before + 1, "counted after restart");
out:
	kill_group(other);
	kill_group(app);
	watcher__close(w);
	/* The cgroup empties once its processes are reaped. */
	if (made)
		ASSERT_TRUE(WAIT_UNTIL(rmdir(dir) == 0 || errno == ENOENT, 5000), "rmdir cgroup");
}

/* ---- open before the app exists, then set_root (how warden run uses it) ---- */

static void test_set_root_before_start(void)
{
	struct watcher_opts o = { .backend = WATCHER_TRACEPOINT };
	struct watcher *w = NULL;
	struct response r;
	int gate[2] = { -1, -1 }, port, round;
	pid_t app = -1;
	uint64_t total = 0;

	w = watcher__open(&o);
	if (!ASSERT_NOT_NULL(w, "open with no app"))
		return;
	port = free_port();
	for (round = 0; round < 2; round++) {
		if (!ASSERT_OK(pipe(gate), "pipe"))
			break;
		app = start_werkzeug("127.0.0.1", port, gate[0], NULL);
		close(gate[0]);
		ASSERT_OK(watcher__set_root(w, app, 0, NULL), "set_root");
		close(gate[1]);
		if (!ASSERT_TRUE(WAIT_UNTIL(can_connect("127.0.0.1", port), 15000), "app up"))
			break;
		ASSERT_OK(http_get("127.0.0.1", port, "/", &r), "GET /");
		ASSERT_OK(http_get("127.0.0.1", port, "/sleep/5", &r), "GET /sleep/5");
		total += 2;
		WAIT_UNTIL(port_count(w, port) >= total, 2000);
		ASSERT_EQ(port_count(w, port), total, "counted across restarts");
		kill_group(app);
		app = -1;
	}
	kill_group(app);
	watcher__close(w);
}

/* ---- sock_diag backend: a stopped app ---- */

/*
 * Run against gunicorn already listening on port (pid app): a kept-alive
 * connection gets a request while the app is stopped (unread bytes, in
 * flight), a new connection waits in the accept queue; both show, grow,
 * and drain after SIGCONT. Used as root and as nobody.
 */
static void stopped_app(pid_t app, int port, enum watcher_backend backend)
{
	struct watcher_opts o = { .root_pid = app, .backend = backend };
	uint64_t t0, t1, q_age1 = 0, q_age2 = 0, u_age1 = 0, u_age2 = 0, i_age = 0;
	uint32_t queued = 0, unread = 0, inflight = 0;
	struct watcher *w = NULL;
	struct response r;
	int ka = -1, fresh = -1;
	bool stopped = false;

#define REFRESHED(cond) (watcher__refresh(w) == 0 && (cond))
	w = watcher__open(&o);
	if (!ASSERT_NOT_NULL(w, "open"))
		goto out;
	ASSERT_EQ(watcher__backend(w), backend, "backend");
	ASSERT_TRUE(has_port(w, port), "listening port found");

	/* A kept-alive connection that has been answered once: surely accepted. */
	ka = tcp_connect("127.0.0.1", port);
	if (!ASSERT_TRUE(ka >= 0, "connect"))
		goto out;
	t0 = time__boot_ns();
	send_request(ka, "127.0.0.1", "/", true);
	if (!ASSERT_OK(read_response(ka, t0, &r), "first answer") ||
	    !ASSERT_FALSE(r.server_closes, "kept alive"))
		goto out;
	ASSERT_OK(watcher__refresh(w), "refresh");
	ASSERT_OK(watcher__accept_queue(w, &queued, NULL), "accept queue");
	ASSERT_EQ(queued, 0, "nothing queued");

	/* Stopped: nothing reads, nothing accepts. */
	if (!ASSERT_OK(kill(-app, SIGSTOP), "SIGSTOP"))
		goto out;
	stopped = true;
	t0 = time__boot_ns();
	send_request(ka, "127.0.0.1", "/", false);
	fresh = tcp_connect("127.0.0.1", port);
	if (!ASSERT_TRUE(fresh >= 0, "connect while stopped"))
		goto out;
	t1 = time__boot_ns();
	send_request(fresh, "127.0.0.1", "/", false);

	ASSERT_TRUE(WAIT_UNTIL(REFRESHED(!watcher__unread(w, &unread, &u_age1) && unread == 1), 3000),
		    "unread bytes seen");
	ASSERT_TRUE(WAIT_UNTIL(REFRESHED(!watcher__accept_queue(w, &queued, &q_age1) && queued == 1),
			       3000), "accept queue seen");
	/* sock_diag counts the unread request in flight; BPF only what the app has read. */
	ASSERT_OK(watcher__inflight(w, &inflight, &i_age, NULL), "inflight");
	ASSERT_EQ(inflight, backend == WATCHER_SOCKDIAG ? 1 : 0, "in flight");
	ASSERT_TRUE(WAIT_UNTIL(REFRESHED(!watcher__unread(w, &unread, &u_age2) && unread == 1 &&
					 u_age2 >= u_age1 + 300 * MS), 3000), "unread age grows");
	ASSERT_TRUE(WAIT_UNTIL(REFRESHED(!watcher__accept_queue(w, &queued, &q_age2) && queued == 1 &&
					 q_age2 >= q_age1 + 300 * MS), 3000), "queue age grows");
	/* The ages do not exceed the truth (sent at t0, t1) by more than tcp_info's jiffies. */
	ASSERT_LE(u_age2, time__boot_ns() - t0 + 20 * MS, "unread age bounded");
	ASSERT_LE(q_age2, time__boot_ns() - t1 + 20 * MS, "queue age bounded");
	printf("# stopped app: unread %.0f -> %.0f ms, queued %.0f -> %.0f ms\n", u_age1 / 1e6,
	       u_age2 / 1e6, q_age1 / 1e6, q_age2 / 1e6);

	/* Continued: it drains, both clients get their answers. */
	ASSERT_OK(kill(-app, SIGCONT), "SIGCONT");
	stopped = false;
	ASSERT_OK(read_response(ka, t0, &r), "kept-alive answer");
	ASSERT_OK(read_response(fresh, t1, &r), "queued answer");
	ASSERT_TRUE(WAIT_UNTIL(REFRESHED(!watcher__accept_queue(w, &queued, NULL) && queued == 0 &&
					 !watcher__unread(w, &unread, NULL) && unread == 0 &&
					 !watcher__inflight(w, &inflight, NULL, NULL) && inflight == 0),
			       3000), "drained");
#undef REFRESHED
out:
	if (stopped)
		kill(-app, SIGCONT);
	if (ka >= 0)
		close(ka);
	if (fresh >= 0)
		close(fresh);
	watcher__close(w);
}

static void test_sockdiag_stopped_app(void)
{
	pid_t app;
	int port = free_port();

	app = start_gunicorn(port, -1);
	if (ASSERT_TRUE(WAIT_UNTIL(can_connect("127.0.0.1", port), 15000), "app up"))
		stopped_app(app, port, WATCHER_SOCKDIAG);
	kill_group(app);
}

/* With BPF too, a stopped app shows through the refresh's accept queue and unread bytes. */
static void test_tracepoint_stopped_app(void)
{
	pid_t app;
	int port = free_port();

	app = start_gunicorn(port, -1);
	if (ASSERT_TRUE(WAIT_UNTIL(can_connect("127.0.0.1", port), 15000), "app up"))
		stopped_app(app, port, WATCHER_TRACEPOINT);
	kill_group(app);
}

/* The same as nobody, for an app nobody started: no privilege at all. */
static void test_sockdiag_unprivileged(void)
{
	pid_t child;
	int status = -1;

	child = fork();
	if (child == 0) {
		pid_t app;
		int port = free_port();

		if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
		    setresuid(NOBODY, NOBODY, NOBODY)) {
			perror("drop privileges");
			_exit(2);
		}
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		prctl(PR_SET_CHILD_SUBREAPER, 1);
		/* No BPF for nobody: the automatic choice must fall back to sock_diag. */
		{
			struct watcher_opts o = { .backend = WATCHER_AUTO };
			struct watcher *w = watcher__open(&o);

			if (ASSERT_NOT_NULL(w, "auto as nobody"))
				ASSERT_STREQ(watcher__backend_name(w), "sock_diag", "falls back");
			watcher__close(w);
		}
		app = start_gunicorn(port, -1);
		if (ASSERT_TRUE(WAIT_UNTIL(can_connect("127.0.0.1", port), 15000), "app up"))
			stopped_app(app, port, WATCHER_SOCKDIAG);
		kill_group(app);
		/* _exit: no leak check in a process that gave up its privileges. */
		fflush(stdout);
		_exit(tu_case_failed ? 1 : 0);
	}
	ASSERT_TRUE(child > 0 && waitpid(child, &status, 0) == child, "child");
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0, "unprivileged case passed");
}

/* ---- sock_diag backend: requests the app read and has not answered ---- */

static void test_sockdiag_unanswered(void)
{
	struct watcher_opts o = { .backend = WATCHER_SOCKDIAG };
	uint64_t age1 = 0, age2 = 0, resp_age = 0;
	uint32_t n = 0;
	uint16_t oport = 0;
	struct watcher *w = NULL;
	pid_t app, bg = -1;
	int port = free_port();

	/* A route that takes its time: read, not answered, nothing unread. */
	app = start_werkzeug("127.0.0.1", port, -1, NULL);
	if (!ASSERT_TRUE(WAIT_UNTIL(can_connect("127.0.0.1", port), 15000), "app up"))
		goto out;
	o.root_pid = app;
	w = watcher__open(&o);
	if (!ASSERT_NOT_NULL(w, "open"))
		goto out;
	bg = http_get_background("127.0.0.1", port, "/sleep/2500");
	ASSERT_TRUE(WAIT_UNTIL(watcher__refresh(w) == 0 && !watcher__inflight(w, &n, &age1, &oport) &&
			       n == 1, 2000), "read and unanswered: in flight");
	ASSERT_EQ(oport, port, "port");
	ASSERT_TRUE(WAIT_UNTIL(watcher__refresh(w) == 0 && !watcher__inflight(w, &n, &age2, NULL) &&
			       n == 1 && age2 >= age1 + 500 * MS, 2500), "age grows");
	watcher__unread(w, &n, NULL);
	ASSERT_EQ(n, 0, "nothing unread");
	ASSERT_TRUE(reaped_ok(bg), "answered");
	bg = -1;
	ASSERT_TRUE(WAIT_UNTIL(watcher__refresh(w) == 0 && !watcher__inflight(w, &n, NULL, NULL) &&
			       n == 0, 2000), "no longer in flight");
	/* The log says it answered. */
	watcher__note_response(w, time__boot_ns());
	ASSERT_OK(watcher__last_response_age(w, &resp_age), "last response age");
	ASSERT_LE(resp_age, NSEC_PER_SEC, "noted response");
	ASSERT_EQ(watcher__histogram(w, port, NULL, NULL, NULL), -EOPNOTSUPP, "no histogram");
out:
	kill_group(bg);
	kill_group(app);
	watcher__close(w);
}

/* ---- helpers ---- */

static void test_quantile(void)
{
	uint64_t b[WATCHER_BUCKETS] = {};

	ASSERT_EQ(watcher__quantile(b, 0.99), 0, "empty");
	b[3] = 98; /* [8, 16) us */
	b[17] = 2; /* [131, 262) ms */
	ASSERT_EQ(watcher__quantile(b, 0.5), 16000, "p50");
	ASSERT_EQ(watcher__quantile(b, 0.98), 16000, "p98");
	ASSERT_EQ(watcher__quantile(b, 0.99), 262144000ULL, "p99");
}

int main(void)
{
	char exe[PATH_MAX], *slash;
	const char *why;
	ssize_t n;

	/* The apps' orphans (gunicorn workers) are ours to reap. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	log__setup(0, getenv("WATCH_DEBUG") ? LOG_DEBUG : LOG_INFO);
	libbpf_set_print(log__libbpf_print);
	setvbuf(stdout, NULL, _IOLBF, 0);

	/* The test app: tests/apps/watch/ of this checkout (build/tests/bpf/../../..). */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return 2;
	exe[n] = '\0';
	slash = strstr(exe, "/build/tests/bpf/");
	if (slash)
		*slash = '\0';
	else if (!getcwd(exe, sizeof(exe)))
		return 2;
	snprintf(app_dir, sizeof(app_dir), "%s/tests/apps/watch", exe);
	snprintf(app_py, sizeof(app_py), "%s/app.py", app_dir);
	if (access(app_py, R_OK) || access(PYTHON, X_OK)) {
		printf("FAIL: setup: %s or %s missing\n", app_py, PYTHON);
		return 1;
	}
	if (geteuid() != 0) {
		SKIP_TEST("test_watcher", "not root");
		return 0;
	}

	RUN_TEST(test_quantile);
	RUN_TEST(test_kprobe_programs_verify);
	if ((why = fentry_refused()))
		SKIP_TEST("test_fentry_programs_verify", why);
	else
		RUN_TEST(test_fentry_programs_verify);
	RUN_TEST(test_tracepoint_programs_verify);
	RUN_TEST(test_backend_selection);
	RUN_TEST(test_tracepoint_werkzeug);
	RUN_TEST(test_tracepoint_gunicorn_keepalive);
	RUN_TEST(test_tracepoint_accuracy);
	RUN_TEST(test_tracepoint_cgroup);
	RUN_TEST(test_set_root_before_start);
	RUN_TEST(test_tracepoint_stopped_app);
	RUN_TEST(test_sockdiag_stopped_app);
	RUN_TEST(test_sockdiag_unanswered);
	RUN_TEST(test_sockdiag_unprivileged);
	return TEST_EXIT();
}
