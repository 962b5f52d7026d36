// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* runner_requests.c - the app's requests as the kernel watcher sees them: latencies, hangs, slowness. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "agent.h"
#include "analytics.h"
#include "app_analytics.h"
#include "hang.h"
#include "log.h"
#include "loop.h"
#include "routes.h"
#include "runner_int.h"
#include "timeutil.h"
#include "warden_metrics.h"
#include "watcher.h"

#define SLOW_WINDOW_NS (60 * NSEC_PER_SEC)   /* slowness is judged over a minute */
#define MAX_INFLIGHT_LIST 256

/* The route of a request line as the watcher read it ("GET /x?y HTTP/1.1"), or NULL. */
static const char *route_of_line(struct runner *r, const char *line)
{
	const char *sp, *path, *end, *rule = NULL;
	char method[16];
	size_t mlen;

	const struct routes *routes = agent__routes(r->agent, RUN_APP);

	sp = strchr(line, ' ');
	if (!sp || !routes)
		return NULL;
	mlen = (size_t)(sp - line);
	if (mlen == 0 || mlen >= sizeof(method))
		return NULL;
	memcpy(method, line, mlen);
	method[mlen] = '\0';
	path = sp + 1;
	end = strchr(path, ' ');
	if (!end)
		end = path + strlen(path);
	if (routes__match(routes, method, path, (size_t)(end - path), &rule) == ROUTE_UNKNOWN)
		return NULL;
	return rule;
}

static bool exempt(struct runner *r, const char *rule)
{
	int i;

	for (i = 0; rule && i < r->cfg->n_hang_exempt; i++)
		if (!strcmp(r->cfg->hang_exempt[i], rule))
			return true;
	return false;
}

/* Each completed request (BPF backends): its latency, by route. */
static void on_request(void *arg, const struct watcher_request *req)
{
	struct runner *r = arg;
	const char *rule = route_of_line(r, req->line);
	struct warden_metrics *m = agent__metrics(r->agent);
	struct analytics *an = app_analytics__get(agent__analytics(r->agent), RUN_APP);

	if (m)
		wmetrics__observe_latency(m, rule ? rule : "unknown", req->latency_ns / 1e9);
	/* The analytics pair it with its access line (by request line, else by time). */
	if (an)
		analytics__latency(an, req->start_ns + req->latency_ns, req->latency_ns,
				   req->line);
}

/* The oldest request in flight that no --hang-exempt rule covers. */
static void oldest_not_exempt(struct runner *r, struct hang_input *in)
{
	struct watcher_request *list;
	int n, i;

	if (!r->cfg->n_hang_exempt || watcher__backend(r->watcher) == WATCHER_SOCKDIAG) {
		watcher__inflight(r->watcher, &in->in_flight, &in->oldest_request_ns,
				  &in->oldest_port);
		return;
	}
	list = calloc(MAX_INFLIGHT_LIST, sizeof(*list));
	if (!list)
		return;
	n = watcher__inflight_list(r->watcher, list, MAX_INFLIGHT_LIST);
	for (i = 0; i < n && i < MAX_INFLIGHT_LIST; i++) {
		if (exempt(r, route_of_line(r, list[i].line)))
			continue;
		in->in_flight++;
		if (list[i].latency_ns > in->oldest_request_ns) {
			in->oldest_request_ns = list[i].latency_ns;
			in->oldest_port = list[i].port;
		}
	}
	free(list);
}

/* What /proc says of the app's process, for the hang's evidence. */
static void proc_state(pid_t pid, char *out, size_t len)
{
	char path[64], line[256], state[64] = "?", wchan[64] = "?";
	FILE *f;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (f) {
		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, "State:", 6)) {
				line[strcspn(line, "\n")] = '\0';
				snprintf(state, sizeof(state), "%.60s", line + 7);
				break;
			}
		fclose(f);
	}
	snprintf(path, sizeof(path), "/proc/%d/wchan", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, wchan, sizeof(wchan) - 1);
		wchan[n > 0 ? n : 0] = '\0';
		close(fd);
	}
	snprintf(out, len, "state %s, waiting in %s", state, wchan[0] ? wchan : "-");
}

static void check_hang(struct runner *r, struct app_pressure *p)
{
	struct hang_input in = { .last_response_ns = HANG_NEVER };
	char why[256], proc[160];
	uint64_t age, unread_age = 0;
	uint32_t unread = 0;

	if (r->phase != PHASE_RUNNING || r->stopping || r->hung)
		return;
	in.uptime_ns = time__mono_ns() - r->child.started_ns;
	oldest_not_exempt(r, &in);
	watcher__accept_queue(r->watcher, &in.queued, &in.oldest_queued_ns);
	/* Bytes waiting unread on an open connection (a stopped app on keep-alive) count too. */
	if (watcher__backend(r->watcher) != WATCHER_SOCKDIAG &&
	    watcher__unread(r->watcher, &unread, &unread_age) == 0 && unread) {
		in.in_flight += unread;
		if (unread_age > in.oldest_request_ns)
			in.oldest_request_ns = unread_age;
	}
	if (watcher__last_response_age(r->watcher, &age) == 0)
		in.last_response_ns = age;
	/* The watcher counts since it started; the app may be younger. */
	if (in.last_response_ns != HANG_NEVER && in.last_response_ns > in.uptime_ns)
		in.last_response_ns = HANG_NEVER;
	/* While the app struggles, the XDP program sheds new connections of unknown clients. */
	p->backlog = in.queued && in.oldest_queued_ns > r->cfg->hang_timeout_ns / 4;
	if (!hang__detect(&in, r->cfg->hang_timeout_ns, why, sizeof(why)))
		return;
	p->hung = true;

	proc_state(r->child.pid, proc, sizeof(proc));
	r->hung = true;
	r->hangs++;
	snprintf(r->hung_reason, sizeof(r->hung_reason), "%s", why);
	pr_warn("the app (pid %d) hangs: %s; %s; restarting it", r->child.pid, why, proc);
	/* A hung app will not stop gracefully (a stopped one cannot even see SIGTERM). */
	supervisor__signal(&r->child, SIGKILL);
	if (cgroup__active(&r->cgroup))
		cgroup__signal(&r->cgroup, SIGKILL);
}

/* Once a minute: a port whose p99 over that minute passed --slow-threshold is reported. */
static void check_slowness(struct runner *r)
{
	struct watcher_port_stats st;
	uint16_t ports[RUNNER_MAX_PORTS];
	char p99s[32], limit[32];
	uint64_t now = time__mono_ns(), p99;
	int n, i, j;

	if (!r->cfg->slow_threshold_ns || now - r->slow_checked_ns < SLOW_WINDOW_NS)
		return;
	r->slow_checked_ns = now;
	n = watcher__ports(r->watcher, ports, RUNNER_MAX_PORTS);
	for (i = 0; i < n && i < RUNNER_MAX_PORTS; i++) {
		if (watcher__port_stats(r->watcher, ports[i], &st))
			continue;
		for (j = 0; j < r->n_slow_ports && r->slow_ports[j] != ports[i]; j++)
			;
		if (j == r->n_slow_ports) {
			if (j == RUNNER_MAX_PORTS)
				continue;
			r->slow_ports[r->n_slow_ports++] = ports[i];
			memset(r->slow_prev[j], 0, sizeof(r->slow_prev[j]));
		}
		p99 = hang__window_p99(st.buckets, r->slow_prev[j], WATCHER_BUCKETS);
		memcpy(r->slow_prev[j], st.buckets, sizeof(r->slow_prev[j]));
		if (p99 > r->cfg->slow_threshold_ns)
			pr_warn("slow: port %u answered with a p99 of %s over the last minute (threshold %s)",
				ports[i], time__format_duration(p99, p99s, sizeof(p99s)),
				time__format_duration(r->cfg->slow_threshold_ns, limit, sizeof(limit)));
	}
}

/* The watcher's ring buffer has completed requests. */
static void on_events(void *ctx, int fd, uint32_t events)
{
	struct runner *r = ctx;

	(void)fd;
	(void)events;
	watcher__consume(r->watcher);
}

/* An access line means the app answered: the sock_diag backend counts on it. */
static void on_access(void *ctx, const struct line_event *ev)
{
	struct runner *r = ctx;

	if (ev->kind != LINE_NOT_ACCESS)
		watcher__note_response(r->watcher, ev->now_ns);
}

int requests__open(struct runner *r)
{
	static const struct {
		const char *name;
		enum watcher_backend backend;
	} backends[] = {
		{ "auto", WATCHER_AUTO },
		{ "kprobe", WATCHER_KPROBE },
		{ "tracepoint", WATCHER_TRACEPOINT },
		{ "sock_diag", WATCHER_SOCKDIAG },
	};
	struct watcher_opts opts = {
		/* The app is not started yet: its pid comes with watch__restarted(). */
		.root_pid = 0,
		.cgroup_id = r->cgroup.id,
		.cgroup_path = cgroup__active(&r->cgroup) ? r->cgroup.path : NULL,
		.on_request = on_request,
		.ctx = r,
	};
	size_t i;

	if (!strcmp(r->cfg->watcher, "off")) {
		pr_info("no request watcher (--watcher off): hangs are not detected");
		return 0;
	}
	for (i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (!strcmp(r->cfg->watcher, backends[i].name))
			opts.backend = backends[i].backend;
	r->watcher = watcher__open(&opts);
	if (!r->watcher) {
		pr_warn("no request watcher (%s): hangs are not detected", strerror(errno));
		return 0;
	}
	if (watcher__events_fd(r->watcher) >= 0)
		loop__add_fd(r->loop, watcher__events_fd(r->watcher), EPOLLIN, on_events, r);
	agent__subscribe(r->agent, on_access, r);
	/* With a BPF backend, each access line waits for its latency in the analytics. */
	app_analytics__pair_latencies(agent__analytics(r->agent), RUN_APP,
				      watcher__backend(r->watcher) != WATCHER_SOCKDIAG);
	r->slow_checked_ns = time__mono_ns();
	return 0;
}

void requests__restarted(struct runner *r)
{
	if (r->watcher)
		watcher__set_root(r->watcher, r->child.pid, r->cgroup.id,
				  cgroup__active(&r->cgroup) ? r->cgroup.path : NULL);
}

void requests__check(struct runner *r, struct app_pressure *p)
{
	if (!r->watcher)
		return;
	watcher__refresh(r->watcher);
	watcher__consume(r->watcher);
	check_hang(r, p);
	check_slowness(r);
}

void requests__close(struct runner *r)
{
	app_analytics__pair_latencies(agent__analytics(r->agent), RUN_APP, false);
	if (r->watcher)
		loop__del_fd(r->loop, watcher__events_fd(r->watcher));
	watcher__close(r->watcher);
	r->watcher = NULL;
}
