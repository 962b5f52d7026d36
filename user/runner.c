// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* runner.c - the event loop of warden run: the app's output, signals, restarts. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "banmap.h"
#include "enforce.h"
#include "cgroup.h"
#include "cli.h"
#include "jail.h"
#include "linebuf.h"
#include "log.h"
#include "routes.h"
#include "routes_learn.h"
#include "runner.h"
#include "runner_int.h"
#include "supervisor.h"
#include "timeutil.h"

#define EXPIRE_EVERY_S 30                   /* expired bans leave the maps this often */
#define READ_CHUNK 65536
#define FIRST_DELAY_NS (100 * NSEC_PER_MSEC) /* the second restart waits this, then doubles */

int runner__epoll_add(int epfd, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static void arm_timer(int fd, uint64_t first_ns, uint64_t every_ns)
{
	struct itimerspec its = {
		.it_value = { .tv_sec = first_ns / NSEC_PER_SEC, .tv_nsec = first_ns % NSEC_PER_SEC },
		.it_interval = { .tv_sec = every_ns / NSEC_PER_SEC,
				 .tv_nsec = every_ns % NSEC_PER_SEC },
	};

	timerfd_settime(fd, 0, &its, NULL);
}

static void drain_timer(int fd)
{
	uint64_t expirations;

	if (read(fd, &expirations, sizeof(expirations)) < 0)
		return;
}

/* ---- the app's output ---- */

static void handle_line(struct runner *r, enum app_stream stream, const char *line, size_t len,
		    bool truncated)
{
	struct line_event ev;

	jail__line(r->jail, stream, line, len, truncated, time__boot_ns(), &ev);
	report__line(r, &ev);
	if (ev.kind != LINE_NOT_ACCESS)
		watch__line(r);
}

static void on_stdout_line(const char *line, size_t len, bool truncated, void *arg)
{
	handle_line(arg, STREAM_STDOUT, line, len, truncated);
}

static void on_stderr_line(const char *line, size_t len, bool truncated, void *arg)
{
	handle_line(arg, STREAM_STDERR, line, len, truncated);
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Read what the app wrote on one stream: forward it at once, unchanged,
 * then parse it line by line. At EOF the fd is closed and set to -1.
 */
static void pump(struct runner *r, int *fd, int out_fd)
{
	static char buf[READ_CHUNK];
	bool is_stdout = out_fd == STDOUT_FILENO;
	struct linebuf *lb = is_stdout ? &r->out_lines : &r->err_lines;
	linebuf_cb on_line = is_stdout ? on_stdout_line : on_stderr_line;
	bool parse = is_stdout ? r->parse_stdout : r->parse_stderr;
	ssize_t n;

	for (;;) {
		n = read(*fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			if (parse)
				linebuf__flush(lb, on_line, r);
			epoll_ctl(r->epfd, EPOLL_CTL_DEL, *fd, NULL);
			close(*fd);
			*fd = -1;
			return;
		}
		/* Forwarding comes first: the app's output is never held back by us. */
		write_all(out_fd, buf, (size_t)n);
		if (parse)
			linebuf__feed(lb, buf, (size_t)n, on_line, r);
		if ((size_t)n < sizeof(buf))
			return;
	}
}

/* ---- starting the app ---- */

/* Whether two route sets could not learn the same things (NULL: nothing learned before). */
static bool same_notes(const struct routes *a, const struct routes *b)
{
	const char *const *na, *const *nb;
	size_t n = routes__notes(a, &na), i;

	if (!a || n != routes__notes(b, &nb))
		return false;
	for (i = 0; i < n; i++)
		if (strcmp(na[i], nb[i]))
			return false;
	return true;
}

static void learn_routes(struct runner *r)
{
	char source[4096], err[512], how[64];
	struct routes *fresh;

	if (r->cfg->app[0])
		snprintf(source, sizeof(source), "%s", r->cfg->app);
	else if (routes__find_source(r->cmd, source, sizeof(source))) {
		if (!r->restarts)
			pr_warn("cannot tell where the Flask source is (give --app): "
				"only statuses and non-HTTP requests count as failures");
		return;
	}
	snprintf(r->app_source, sizeof(r->app_source), "%s", source);
	fresh = routes_learn__load(&(struct routes_learn_opts){
					   .source = source,
					   .cmd = r->cmd,
					   .from_flask = !strcmp(r->cfg->routes_from, "flask"),
					   .spawn = &r->spawn,
					   .extra = (const char(*)[512])r->cfg->extra_routes,
					   .n_extra = r->cfg->n_extra_routes,
				   },
				   how, sizeof(how), err, sizeof(err));
	if (!fresh) {
		pr_warn("cannot learn the routes from %s: %s; %s", source, err,
			r->routes ? "keeping the routes learned before"
				  : "only statuses and non-HTTP requests count as failures");
		return;
	}
	if (!routes__count(fresh))
		pr_warn("no route found in %s: only statuses and non-HTTP requests count as failures",
			source);
	else
		pr_info("learned %zu route%s from %s (%s)", routes__count(fresh),
			routes__count(fresh) == 1 ? "" : "s", source, how);
	/* What could not be learned: said once, and again only when a deploy changed it. */
	if (!same_notes(r->routes, fresh))
		routes__say_notes(fresh);
	/* A deploy may have changed the app: the new routes replace the old at each start. */
	if (r->jail)
		jail__set_routes(r->jail, fresh);
	routes__free(r->routes);
	r->routes = fresh;
}

static int start_app(struct runner *r)
{
	char procs[PATH_MAX + 16];
	int err;

	learn_routes(r);
	r->spawn.cgroup_procs = cgroup__active(&r->cgroup) ?
					cgroup__procs_path(&r->cgroup, procs, sizeof(procs)) : NULL;
	err = supervisor__spawn(&r->child, r->cmd, &r->spawn);
	if (err) {
		pr_warn("cannot start %s: %s", r->cmd[0], strerror(-err));
		return err;
	}
	pr_info("started %s (pid %d)%s", r->cmd[0], r->child.pid,
		r->restarts ? "" : cgroup__active(&r->cgroup) ? " in its own cgroup" : "");
	runner__epoll_add(r->epfd, r->child.pidfd, EPOLLIN);
	runner__epoll_add(r->epfd, r->child.out_fd, EPOLLIN);
	runner__epoll_add(r->epfd, r->child.err_fd, EPOLLIN);
	r->phase = PHASE_RUNNING;
	r->requests_since_start = 0;
	r->hung = false;
	watch__restarted(r);
	report__started(r);
	return 0;
}

/* ---- the app's end, and what follows ---- */

/* Kill what the app left behind; true once nothing of it remains. */
static bool kill_leftovers(struct runner *r)
{
	if (cgroup__active(&r->cgroup)) {
		if (cgroup__populated(&r->cgroup) != 1)
			return true;
		cgroup__signal(&r->cgroup, SIGKILL);
		return cgroup__populated(&r->cgroup) != 1;
	}
	/* Without a cgroup, its process group is what we can reach. */
	kill(-r->child.pid, SIGKILL);
	return true;
}

/* Whether max_restarts restarts already happened within restart_window. */
static bool too_many_restarts(struct runner *r, uint64_t now)
{
	uint32_t max = r->cfg->max_restarts;
	uint64_t oldest;

	if (!max || r->restarts < max)
		return false;
	/* The ring holds the last max restart times; the oldest is next to overwrite. */
	oldest = r->restart_times[r->restart_ring_pos % max];
	return now - oldest < r->cfg->restart_window_ns;
}

static void note_restart(struct runner *r, uint64_t now)
{
	if (r->cfg->max_restarts)
		r->restart_times[r->restart_ring_pos++ % r->cfg->max_restarts] = now;
	r->restarts++;
}

/* The app is gone and so is all it started: restart it, or finish. */
static void after_exit(struct runner *r)
{
	struct child *c = &r->child;
	uint64_t now = time__mono_ns(), ran = now - c->started_ns, delay;
	char d1[32], d2[32];

	r->exit_status = c->exit_status;
	if (r->stopping) {
		r->phase = PHASE_DONE;
		return;
	}
	if (!strcmp(r->cfg->restart, "never") ||
	    (!strcmp(r->cfg->restart, "on-failure") && !c->exited_by_signal && c->exit_status == 0)) {
		pr_info("not restarting the app (--restart %s)", r->cfg->restart);
		r->phase = PHASE_DONE;
		return;
	}
	if (too_many_restarts(r, now)) {
		pr_warn("giving up: the app was restarted %u times within %s (--max-restarts %u "
			"--restart-window %s); exiting with status %d",
			r->cfg->max_restarts, time__format_duration(r->cfg->restart_window_ns, d1, sizeof(d1)),
			r->cfg->max_restarts, d1, EXIT_GAVE_UP);
		r->exit_status = EXIT_GAVE_UP;
		r->phase = PHASE_DONE;
		return;
	}

	/* At once the first time (and after a healthy run), then doubling from 100 ms. */
	if (ran >= r->cfg->restart_reset_ns)
		r->next_delay_ns = 0;
	delay = r->next_delay_ns;
	r->next_delay_ns = delay ? delay * 2 : FIRST_DELAY_NS;
	if (r->next_delay_ns > r->cfg->restart_max_delay_ns)
		r->next_delay_ns = r->cfg->restart_max_delay_ns;
	if (delay > r->cfg->restart_max_delay_ns)
		delay = r->cfg->restart_max_delay_ns;

	note_restart(r, now);
	pr_info("restarting the app %s%s (restart %u, it ran %s)", delay ? "in " : "",
		delay ? time__format_duration(delay, d2, sizeof(d2)) : "at once", r->restarts,
		time__format_duration(ran, d1, sizeof(d1)));
	if (delay) {
		r->phase = PHASE_WAITING;
		arm_timer(r->restart_fd, delay, 0);
	} else if (start_app(r)) {
		r->exit_status = EXIT_FAIL;
		r->phase = PHASE_DONE;
	}
}

static void on_child_exit(struct runner *r)
{
	char how[96];

	if (supervisor__reap(&r->child) != 1)
		return;
	supervisor__describe_exit(&r->child, how, sizeof(how));
	if (r->stopping)
		pr_info("the app (pid %d) %s", r->child.pid, how);
	else
		pr_warn("the app (pid %d) %s", r->child.pid, how);
	/* Its last words may still sit in the pipes. */
	if (r->child.out_fd >= 0)
		pump(r, &r->child.out_fd, STDOUT_FILENO);
	if (r->child.err_fd >= 0)
		pump(r, &r->child.err_fd, STDERR_FILENO);
	arm_timer(r->kill_fd, 0, 0);

	/* Whatever it started goes with it; the cgroup tells when all is gone. */
	if (kill_leftovers(r)) {
		after_exit(r);
	} else {
		r->phase = PHASE_DRAINING;
		pr_debug("waiting for the app's other processes to end");
	}
}

/* cgroup.events changed: once the app's cgroup is empty, carry on. */
static void on_cgroup_event(struct runner *r)
{
	/* Reading the file is what acknowledges the event: always read it. */
	int populated = cgroup__populated(&r->cgroup);

	if (r->phase == PHASE_DRAINING && populated != 1)
		after_exit(r);
}

/* ---- signals and timers ---- */

static void stop(struct runner *r, const char *why)
{
	if (r->stopping)
		return;
	r->stopping = true;
	if (r->phase == PHASE_WAITING) {
		pr_info("%s: not restarting the app", why);
		r->phase = PHASE_DONE;
		return;
	}
	if (r->phase != PHASE_RUNNING)
		return;
	pr_info("%s: stopping the app", why);
	supervisor__stop(&r->child);
	if (cgroup__active(&r->cgroup))
		cgroup__signal(&r->cgroup, SIGTERM);
	arm_timer(r->kill_fd, r->cfg->stop_timeout_ns, 0);
}

static void on_signal(struct runner *r)
{
	struct signalfd_siginfo si;

	while (read(r->sigfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			stop(r, strsignal((int)si.ssi_signo));
			break;
		case SIGCHLD:
			/* Orphans we inherited as subreaper, and maybe the app itself. */
			if (r->phase == PHASE_RUNNING)
				on_child_exit(r);
			else
				supervisor__reap(&r->child);
			break;
		default:
			/* SIGHUP, SIGUSR1, SIGUSR2, SIGQUIT: the app's (gunicorn reloads on HUP). */
			if (r->phase == PHASE_RUNNING && kill(r->child.pid, (int)si.ssi_signo) == 0)
				pr_info("passed %s to the app", strsignal((int)si.ssi_signo));
			break;
		}
	}
}

static void on_kill_timer(struct runner *r)
{
	drain_timer(r->kill_fd);
	if (r->phase != PHASE_RUNNING)
		return;
	pr_warn("the app did not stop within the stop timeout: killing it");
	supervisor__signal(&r->child, SIGKILL);
	if (cgroup__active(&r->cgroup))
		cgroup__signal(&r->cgroup, SIGKILL);
}

static void on_tick(struct runner *r)
{
	size_t removed = 0;

	drain_timer(r->tick_fd);
	if (r->bm && banmap__expire(r->bm, time__boot_ns(), &removed) == 0 && removed)
		pr_debug("removed %zu expired ban%s", removed, removed == 1 ? "" : "s");
	jail__tick(r->jail, time__boot_ns());
	report__tick(r);
}

static int event_loop(struct runner *r)
{
	struct epoll_event evs[8];
	int n, i;

	while (r->phase != PHASE_DONE) {
		n = epoll_wait(r->epfd, evs, 8, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		for (i = 0; i < n && r->phase != PHASE_DONE; i++) {
			int fd = evs[i].data.fd;

			if (fd == r->child.out_fd && fd >= 0)
				pump(r, &r->child.out_fd, STDOUT_FILENO);
			else if (fd == r->child.err_fd && fd >= 0)
				pump(r, &r->child.err_fd, STDERR_FILENO);
			else if (fd == r->child.pidfd && fd >= 0)
				on_child_exit(r);
			else if (fd == r->sigfd)
				on_signal(r);
			else if (fd == r->tick_fd)
				on_tick(r);
			else if (fd == r->kill_fd)
				on_kill_timer(r);
			else if (fd == r->snap_fd) {
				/* Batched: written when the bans changed, at most once a second. */
				drain_timer(r->snap_fd);
				if (r->bm)
					snapshot__maybe_write(&r->snap, r->cfg->state_dir, r->bm);
			}
			else if (fd == r->cgroup.events_fd)
				on_cgroup_event(r);
			else if (report__handle(r, fd) || watch__handle(r, fd) ||
				 throttling__handle(r, fd))
				;
			else if (fd == r->restart_fd) {
				drain_timer(r->restart_fd);
				if (r->phase == PHASE_WAITING && start_app(r)) {
					r->exit_status = EXIT_FAIL;
					r->phase = PHASE_DONE;
				}
			}
		}
	}
	return 0;
}

/* ---- setting up ---- */

/* The maps and attachments; without the privileges, refuse (unless --dry-run). */
static int setup_enforcement(struct runner *r)
{
	return enforce__setup(r->cfg, r->loader, true, &r->bm, r->xdp_how,
			      sizeof(r->xdp_how), &r->enforce);
}

static int setup_loop(struct runner *r)
{
	sigset_t mask;

	/* Signals arrive through the event loop, never in a handler. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGUSR2);
	sigaddset(&mask, SIGQUIT);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	r->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	r->epfd = epoll_create1(EPOLL_CLOEXEC);
	r->tick_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	r->kill_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	r->restart_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	r->snap_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (r->sigfd < 0 || r->epfd < 0 || r->tick_fd < 0 || r->kill_fd < 0 || r->restart_fd < 0 ||
	    r->snap_fd < 0)
		return -errno;
	runner__epoll_add(r->epfd, r->snap_fd, EPOLLIN);
	arm_timer(r->snap_fd, NSEC_PER_SEC, NSEC_PER_SEC);
	runner__epoll_add(r->epfd, r->sigfd, EPOLLIN);
	runner__epoll_add(r->epfd, r->tick_fd, EPOLLIN);
	runner__epoll_add(r->epfd, r->kill_fd, EPOLLIN);
	runner__epoll_add(r->epfd, r->restart_fd, EPOLLIN);
	if (r->cgroup.events_fd >= 0)
		runner__epoll_add(r->epfd, r->cgroup.events_fd, EPOLLPRI);
	arm_timer(r->tick_fd, EXPIRE_EVERY_S * NSEC_PER_SEC, EXPIRE_EVERY_S * NSEC_PER_SEC);
	return 0;
}

/* Its own cgroup where cgroup v2 allows; else the process group has to do. */
static void setup_cgroup(struct runner *r)
{
	char name[64];
	int err;

	snprintf(name, sizeof(name), "warden-app-%d", (int)getpid());
	err = cgroup__create(&r->cgroup, name);
	if (err)
		pr_info("no cgroup for the app (%s): stopping it reaches its process group only",
			err == -ENOENT ? "no cgroup v2 here" : strerror(-err));
	else
		pr_debug("the app's cgroup: %s", r->cgroup.path);
}

static void close_fd(int fd)
{
	if (fd >= 0)
		close(fd);
}

int runner__run(struct warden_config *cfg, char **cmd, enum xdp_loader loader, bool verbose)
{
	struct runner r = {
		.cfg = cfg, .cmd = cmd, .loader = loader,
		.epfd = -1, .sigfd = -1, .tick_fd = -1, .kill_fd = -1, .restart_fd = -1,
		.watch_fd = -1, .report_fd = -1, .snap_fd = -1, .resolve_fd = -1,
		.cgroup = { .events_fd = -1 },
	};
	char err[512];
	int status, ret;

	log__setup(cfg->log_json, verbose ? LOG_DEBUG : LOG_INFO);
	supervisor__init(&r.child);
	r.parse_stdout = strcmp(cfg->log_stream, "stderr") != 0;
	r.parse_stderr = strcmp(cfg->log_stream, "stdout") != 0;
	if (cfg->user[0] && supervisor__resolve_user(cfg->user, &r.spawn, err, sizeof(err))) {
		pr_warn("--user: %s", err);
		return EXIT_USAGE;
	}
	if (cfg->max_restarts) {
		r.restart_times = calloc(cfg->max_restarts, sizeof(*r.restart_times));
		if (!r.restart_times)
			return EXIT_FAIL;
	}

	snapshot_sched__init(&r.snap);
	/* The jail first: a bad --log-regex is refused before anything is touched. */
	r.jail = jail__new(cfg, NULL, NULL, err, sizeof(err));
	if (!r.jail) {
		pr_warn("%s", err);
		status = EXIT_USAGE;
		goto out;
	}
	status = setup_enforcement(&r);
	if (status)
		goto out;
	jail__set_banmap(r.jail, r.bm);
	jail__restore(r.jail, time__boot_ns());
	if (linebuf__init(&r.out_lines, LOGPARSE_MAX_LINE) ||
	    linebuf__init(&r.err_lines, LOGPARSE_MAX_LINE)) {
		status = EXIT_FAIL;
		goto out;
	}
	if (supervisor__become_subreaper())
		pr_warn("cannot become a child subreaper: orphans of the app go to init");
	setup_cgroup(&r);
	ret = setup_loop(&r);
	if (ret) {
		pr_warn("cannot set up the event loop: %s", strerror(-ret));
		status = EXIT_FAIL;
		goto out;
	}
	ret = report__open(&r, err, sizeof(err));
	if (ret) {
		pr_warn("%s", err);
		status = ret == -EINVAL ? EXIT_USAGE : EXIT_FAIL;
		goto out;
	}
	throttling__open(&r);
	/* The watcher first: a request the app reads before it is attached would go unseen. */
	watch__open(&r);
	if (start_app(&r)) {
		status = EXIT_FAIL;
		goto out;
	}
	ret = event_loop(&r);
	if (ret) {
		pr_warn("event loop failed: %s", strerror(-ret));
		supervisor__signal(&r.child, SIGKILL);
		status = EXIT_FAIL;
		goto out;
	}
	status = r.exit_status;
out:
	/* Nothing of the app may outlive warden. */
	if (r.child.state != CHILD_NONE) {
		supervisor__signal(&r.child, SIGKILL);
		supervisor__reap(&r.child);
	}
	if (cgroup__active(&r.cgroup)) {
		cgroup__signal(&r.cgroup, SIGKILL);
		cgroup__destroy(&r.cgroup);
	}
	supervisor__close(&r.child);
	linebuf__free(&r.out_lines);
	linebuf__free(&r.err_lines);
	jail__free(r.jail);
	routes__free(r.routes);
	watch__close(&r);
	throttling__close(&r);
	report__close(&r);
	if (r.bm)
		snapshot__flush(&r.snap, cfg->state_dir, r.bm);
	banmap__close(r.bm);
	free(r.restart_times);
	close_fd(r.sigfd);
	close_fd(r.epfd);
	close_fd(r.tick_fd);
	close_fd(r.kill_fd);
	close_fd(r.restart_fd);
	close_fd(r.snap_fd);
	return status;
}
