// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* runner.c - warden run: the agent, plus the app it spawns, supervises and reads. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "cgroup.h"
#include "cli.h"
#include "fileutil.h"
#include "jail.h"
#include "linebuf.h"
#include "linetail.h"
#include "log.h"
#include "loop.h"
#include "routes.h"
#include "runner.h"
#include "runner_int.h"
#include "sdnotify.h"
#include "supervisor.h"
#include "timeutil.h"
#include "watcher.h"

#define READ_CHUNK (256 * 1024) /* a quarter of the pipe (supervisor.c): few reads a burst */
#define FIRST_DELAY_NS (100 * NSEC_PER_MSEC) /* the second restart waits this, then doubles */

/* Nothing more to do: leave the loop. */
static void done(struct runner *r)
{
	r->phase = PHASE_DONE;
	loop__stop(r->loop);
}

/* ---- the app's output ---- */

static void on_stdout_line(const char *line, size_t len, bool truncated, void *arg)
{
	struct runner *r = arg;

	linetail__add(&r->tail, line, len, truncated);
	if (r->parse_stdout)
		agent__line(r->agent, RUN_APP, STREAM_STDOUT, line, len, truncated, NULL);
}

static void on_stderr_line(const char *line, size_t len, bool truncated, void *arg)
{
	struct runner *r = arg;

	linetail__add(&r->tail, line, len, truncated);
	if (r->parse_stderr)
		agent__line(r->agent, RUN_APP, STREAM_STDERR, line, len, truncated, NULL);
}

/* Each access line: the app answered (the requests since its start, for /z/health). */
static void on_access(void *ctx, const struct line_event *ev)
{
	struct runner *r = ctx;

	if (ev->kind == LINE_NOT_ACCESS)
		return;
	r->requests_since_start++;
	if (!sdnotify__is_ready(r->sd))
		sdnotify__ready(r->sd, "the app serves: its first request is answered");
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
	ssize_t n;

	for (;;) {
		n = read(*fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			linebuf__flush(lb, on_line, r);
			loop__del_fd(r->loop, *fd);
			close(*fd);
			*fd = -1;
			return;
		}
		/* Forwarding comes first: the app's output is never held back by us. */
		file__write_all(out_fd, buf, (size_t)n);
		/* Split always: the last lines are kept to show if warden gives up. */
		agent__batch_begin(r->agent);
		linebuf__feed(lb, buf, (size_t)n, on_line, r);
		agent__batch_end(r->agent);
		if ((size_t)n < sizeof(buf))
			return;
	}
}

/* ---- starting the app ---- */

static void on_stdout(void *ctx, int fd, uint32_t events)
{
	struct runner *r = ctx;

	(void)fd;
	(void)events;
	pump(r, &r->child.out_fd, STDOUT_FILENO);
}

static void on_stderr(void *ctx, int fd, uint32_t events)
{
	struct runner *r = ctx;

	(void)fd;
	(void)events;
	pump(r, &r->child.err_fd, STDERR_FILENO);
}

static void on_child_exit(struct runner *r);

static void on_pidfd(void *ctx, int fd, uint32_t events)
{
	(void)fd;
	(void)events;
	on_child_exit(ctx);
}

/* ---- starting the app ---- */

/* The routes of the app, learned again at each start: a deploy may have changed them. */
static void learn_routes(struct runner *r)
{
	char source[4096];

	if (r->cfg->app[0])
		snprintf(source, sizeof(source), "%s", r->cfg->app);
	else if (routes__find_source(r->cmd, source, sizeof(source))) {
		if (!r->restarts)
			pr_warn("cannot tell where the Flask source is (give --app): "
				"only statuses and non-HTTP requests count as failures");
		return;
	}
	agent__learn_routes(r->agent, RUN_APP, source);
}

static int start_app(struct runner *r)
{
	char procs[PATH_MAX + 16];
	int err;

	learn_routes(r);
	linetail__reset(&r->tail);
	r->spawn.cgroup_procs = cgroup__active(&r->cgroup) ?
					cgroup__procs_path(&r->cgroup, procs, sizeof(procs)) : NULL;
	/* Without a cgroup, the app goes with warden; the process group is what is left. */
	r->spawn.die_with_parent = !cgroup__active(&r->cgroup);
	err = supervisor__spawn(&r->child, r->cmd, &r->spawn);
	if (err) {
		pr_warn("cannot start %s: %s", r->cmd[0], strerror(-err));
		return err;
	}
	/* For the next warden, should this one be killed and leave the app behind. */
	instance__record(&r->inst, r->child.pid, cgroup__active(&r->cgroup) ? r->cgroup.path : "");
	pr_info("started %s (pid %d)%s", r->cmd[0], r->child.pid,
		r->restarts ? "" : cgroup__active(&r->cgroup) ? " in its own cgroup" : "");
	loop__add_fd(r->loop, r->child.pidfd, EPOLLIN, on_pidfd, r);
	loop__add_fd(r->loop, r->child.out_fd, EPOLLIN, on_stdout, r);
	loop__add_fd(r->loop, r->child.err_fd, EPOLLIN, on_stderr, r);
	r->phase = PHASE_RUNNING;
	r->listened = false;
	if (r->sd) {
		char st[64];

		snprintf(st, sizeof(st), "the app runs (pid %d)", r->child.pid);
		sdnotify__status(r->sd, st);
		if (!r->watcher && r->ready_timer && !sdnotify__is_ready(r->sd))
			loop__timer_arm(r->ready_timer, r->cfg->start_seconds_ns, 0);
	}
	r->requests_since_start = 0;
	r->hung = false;
	requests__restarted(r);
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

/* What the app said last, for an operator who reads why warden gave up. */
static void show_tail(struct runner *r)
{
	unsigned i;

	if (!r->tail.count) {
		pr_warn("the app wrote nothing before it ended");
		return;
	}
	pr_warn("the app's last %u line%s of output:", r->tail.count, r->tail.count == 1 ? "" : "s");
	for (i = 0; i < r->tail.count; i++)
		pr_warn("  | %s", linetail__get(&r->tail, i));
}

/*
 * Whether a run that ended had started: it answered a request, or it lasted
 * --start-seconds and (when the watcher can tell) listened on a port, or it
 * was a healthy run (--restart-reset). gunicorn retries a taken port for
 * five seconds before it exits: that run never listened.
 */
static bool run_started(const struct runner *r, uint64_t ran)
{
	if (r->requests_since_start || ran >= r->cfg->restart_reset_ns)
		return true;
	return ran >= r->cfg->start_seconds_ns && (!r->watcher || r->listened);
}

/*
 * A run that did not start is a failed start. Restarting cannot help an app
 * that is not there (126, 127: give up at once) and is unlikely to help one
 * that failed --start-retries times in a row (its port is taken, a file is
 * missing): warden then gives up rather than restart it forever.
 */
static bool give_up_starting(struct runner *r, const struct child *c, uint64_t ran)
{
	char d[32];

	if (run_started(r, ran)) {
		r->failed_starts = 0;
		return false;
	}
	r->failed_starts++;
	if (!c->exited_by_signal && (c->exit_status == 126 || c->exit_status == 127))
		pr_warn("giving up: the app exited with status %d at start (%s), restarting "
			"cannot help; exiting with status %d", c->exit_status,
			c->exit_status == 127 ? "command not found" : "cannot execute", EXIT_GAVE_UP);
	else if (r->cfg->start_retries && r->failed_starts >= r->cfg->start_retries)
		pr_warn("giving up: the app failed to start %u time%s in a row (no run answered a "
			"request, nor lasted --start-seconds %s%s); exiting with status %d",
			r->failed_starts, r->failed_starts == 1 ? "" : "s",
			time__format_duration(r->cfg->start_seconds_ns, d, sizeof(d)),
			r->watcher ? " listening on a port" : "", EXIT_GAVE_UP);
	else
		return false;
	show_tail(r);
	r->exit_status = EXIT_GAVE_UP;
	done(r);
	return true;
}

/* The app is gone and so is all it started: restart it, or finish. */
static void after_exit(struct runner *r)
{
	struct child *c = &r->child;
	uint64_t now = time__mono_ns(), ran = now - c->started_ns, delay;
	char d1[32], d2[32];

	r->exit_status = c->exit_status;
	if (r->stopping) {
		done(r);
		return;
	}
	if (!strcmp(r->cfg->restart, "never") ||
	    (!strcmp(r->cfg->restart, "on-failure") && !c->exited_by_signal && c->exit_status == 0)) {
		pr_info("not restarting the app (--restart %s)", r->cfg->restart);
		done(r);
		return;
	}
	if (give_up_starting(r, c, ran))
		return;
	if (too_many_restarts(r, now)) {
		pr_warn("giving up: the app was restarted %u times within %s (--max-restarts %u "
			"--restart-window %s); exiting with status %d",
			r->cfg->max_restarts, time__format_duration(r->cfg->restart_window_ns, d1, sizeof(d1)),
			r->cfg->max_restarts, d1, EXIT_GAVE_UP);
		show_tail(r);
		r->exit_status = EXIT_GAVE_UP;
		done(r);
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
		loop__timer_arm(r->restart_timer, delay, 0);
	} else if (start_app(r)) {
		r->exit_status = EXIT_FAIL;
		done(r);
	}
}

static void on_child_exit(struct runner *r)
{
	char how[96];

	if (supervisor__reap(&r->child) != 1)
		return;
	loop__del_fd(r->loop, r->child.pidfd);
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
	loop__timer_arm(r->kill_timer, 0, 0);

	/* Whatever it started goes with it; the cgroup tells when all is gone. */
	if (kill_leftovers(r)) {
		after_exit(r);
	} else {
		r->phase = PHASE_DRAINING;
		pr_debug("waiting for the app's other processes to end");
	}
}

/* cgroup.events changed: once the app's cgroup is empty, carry on. */
static void on_cgroup_event(void *ctx, int fd, uint32_t events)
{
	struct runner *r = ctx;
	/* Reading the file is what acknowledges the event: always read it. */
	int populated = cgroup__populated(&r->cgroup);

	(void)fd;
	(void)events;
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
		done(r);
		return;
	}
	if (r->phase != PHASE_RUNNING)
		return;
	sdnotify__stopping(r->sd);
	pr_info("%s: stopping the app", why);
	supervisor__stop(&r->child);
	if (cgroup__active(&r->cgroup))
		cgroup__signal(&r->cgroup, SIGTERM);
	loop__timer_arm(r->kill_timer, r->cfg->stop_timeout_ns, 0);
}

static void on_stop_signal(void *ctx, const struct signalfd_siginfo *si)
{
	stop(ctx, strsignal((int)si->ssi_signo));
}

/* Orphans we inherited as subreaper, and maybe the app itself. */
static void on_sigchld(void *ctx, const struct signalfd_siginfo *si)
{
	struct runner *r = ctx;

	(void)si;
	if (r->phase == PHASE_RUNNING)
		on_child_exit(r);
	else
		supervisor__reap(&r->child);
}

/* SIGHUP, SIGUSR1, SIGUSR2, SIGQUIT: the app's (gunicorn reloads on HUP). */
static void on_app_signal(void *ctx, const struct signalfd_siginfo *si)
{
	struct runner *r = ctx;

	if (r->phase == PHASE_RUNNING && kill(r->child.pid, (int)si->ssi_signo) == 0)
		pr_info("passed %s to the app", strsignal((int)si->ssi_signo));
}

static void on_kill_timer(void *ctx)
{
	struct runner *r = ctx;

	if (r->phase != PHASE_RUNNING)
		return;
	pr_warn("the app did not stop within the stop timeout: killing it");
	supervisor__signal(&r->child, SIGKILL);
	if (cgroup__active(&r->cgroup))
		cgroup__signal(&r->cgroup, SIGKILL);
}

static void on_restart_timer(void *ctx)
{
	struct runner *r = ctx;

	if (r->phase == PHASE_WAITING && start_app(r)) {
		r->exit_status = EXIT_FAIL;
		done(r);
	}
}

/* ---- setting up ---- */

static int setup_loop(struct runner *r)
{
	static const int stop_signals[] = { SIGTERM, SIGINT };
	static const int app_signals[] = { SIGHUP, SIGUSR1, SIGUSR2, SIGQUIT };
	size_t i;
	int err = 0;

	/* Signals arrive through the event loop, never in a handler. */
	for (i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]) && !err; i++)
		err = loop__on_signal(r->loop, stop_signals[i], on_stop_signal, r);
	for (i = 0; i < sizeof(app_signals) / sizeof(app_signals[0]) && !err; i++)
		err = loop__on_signal(r->loop, app_signals[i], on_app_signal, r);
	if (!err)
		err = loop__on_signal(r->loop, SIGCHLD, on_sigchld, r);
	if (err)
		return err;
	r->kill_timer = loop__add_timer(r->loop, CLOCK_MONOTONIC, on_kill_timer, r);
	r->restart_timer = loop__add_timer(r->loop, CLOCK_MONOTONIC, on_restart_timer, r);
	if (!r->kill_timer || !r->restart_timer)
		return -errno;
	if (r->cgroup.events_fd >= 0)
		return loop__add_fd(r->loop, r->cgroup.events_fd, EPOLLPRI, on_cgroup_event, r);
	return 0;
}

/* Its own cgroup where cgroup v2 allows; else the process group has to do. */
static void setup_cgroup(struct runner *r)
{
	char name[128];
	int err;

	/* Named after the instance: the next warden of it finds what a killed one left. */
	snprintf(name, sizeof(name), "warden-app-%s", r->inst.name);
	err = cgroup__create(&r->cgroup, name);
	if (err)
		pr_info("no cgroup for the app (%s): stopping it reaches its process group only, "
			"and it is killed when warden dies",
			err == -ENOENT ? "no cgroup v2 here" : strerror(-err));
	else
		pr_debug("the app's cgroup: %s", r->cgroup.path);
	/* Left by a warden of this instance in another place, or without a cgroup. */
	instance__kill_leftovers(&r->inst, cgroup__active(&r->cgroup) ? r->cgroup.path : NULL);
}

#define CHECK_EVERY_NS (500 * NSEC_PER_MSEC) /* hang checks: detection within timeout + this */

/* The periodic checks of the app's requests; shedding follows what they say. */
static void on_check_timer(void *ctx)
{
	struct runner *r = ctx;
	struct app_pressure p = { 0 };

	requests__check(r, &p);
	limits__shed(r, &p);
	/* Whether the app listens: it started (and, under systemd, it is ready). */
	if (!r->listened && r->phase == PHASE_RUNNING) {
		uint16_t ports[RUNNER_MAX_PORTS];
		char why[64];

		if (watcher__ports(r->watcher, ports, RUNNER_MAX_PORTS) > 0) {
			r->listened = true;
			snprintf(why, sizeof(why), "the app listens on port %u", ports[0]);
			sdnotify__ready(r->sd, why);
		}
	}
}

/* Without the watcher, a run that outlived --start-seconds is what tells that it started. */
static void on_ready_timer(void *ctx)
{
	struct runner *r = ctx;

	if (r->phase == PHASE_RUNNING)
		sdnotify__ready(r->sd, "the app has run --start-seconds");
}

int runner__run(struct warden_config *cfg, char **cmd, enum xdp_loader loader, bool verbose)
{
	struct runner r = {
		.cfg = cfg, .cmd = cmd,
		.cgroup = { .events_fd = -1 },
		.inst = { .lock_fd = -1 },
	};
	struct agent_opts ao = { .cfg = cfg, .loader = loader, .keep_state = true };
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
	/* One warden per state folder: the record of its app is in it. */
	ret = instance__open(&r.inst, cfg->state_dir, err, sizeof(err));
	if (ret == -EBUSY) {
		pr_warn("%s", err);
		return EXIT_FAIL;
	}
	if (ret)
		pr_warn("%s: what a killed warden leaves of the app will not be found", err);
	if (cfg->max_restarts) {
		r.restart_times = calloc(cfg->max_restarts, sizeof(*r.restart_times));
		if (!r.restart_times) {
			status = EXIT_FAIL;
			goto out;
		}
	}
	r.loop = loop__new();
	if (!r.loop) {
		pr_warn("cannot set up the event loop: %s", strerror(errno));
		status = EXIT_FAIL;
		goto out;
	}
	ao.loop = r.loop;
	r.agent = agent__new(&ao, &status);
	if (r.agent)
		agent__set_app_command(r.agent, r.cmd, &r.spawn);
	if (!r.agent)
		goto out;
	agent__subscribe(r.agent, on_access, &r);
	if (linebuf__init(&r.out_lines, LOGPARSE_MAX_LINE) ||
	    linebuf__init(&r.err_lines, LOGPARSE_MAX_LINE)) {
		status = EXIT_FAIL;
		goto out;
	}
	if (supervisor__become_subreaper())
		pr_warn("cannot become a child subreaper: orphans of the app go to init");
	setup_cgroup(&r);
	if (cgroup__active(&r.cgroup))
		agent__add_feature(r.agent, "cgroup v2");
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
	limits__open(&r);
	r.sd = sdnotify__open(r.loop);
	if (r.sd)
		r.ready_timer = loop__add_timer(r.loop, CLOCK_MONOTONIC, on_ready_timer, &r);
	/* The watcher first: a request the app reads before it is attached would go unseen. */
	requests__open(&r);
	if (r.watcher) {
		r.check_timer = loop__add_timer(r.loop, CLOCK_MONOTONIC, on_check_timer, &r);
		loop__timer_arm(r.check_timer, CHECK_EVERY_NS, CHECK_EVERY_NS);
	}
	if (start_app(&r)) {
		status = EXIT_FAIL;
		goto out;
	}
	ret = loop__run(r.loop);
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
	instance__close(&r.inst, true);
	if (r.loop) {
		loop__del_fd(r.loop, r.child.out_fd);
		loop__del_fd(r.loop, r.child.err_fd);
		loop__del_fd(r.loop, r.child.pidfd);
		loop__del_fd(r.loop, r.cgroup.events_fd);
	}
	supervisor__close(&r.child);
	linebuf__free(&r.out_lines);
	linebuf__free(&r.err_lines);
	requests__close(&r);
	limits__close(&r);
	/* The dashboard's handlers hold the analytics: the server goes first. */
	if (r.agent)
		agent__close_http(r.agent);
	report__close(&r);
	agent__free(r.agent);
	loop__del_timer(r.loop, r.kill_timer);
	loop__del_timer(r.loop, r.restart_timer);
	loop__del_timer(r.loop, r.check_timer);
	loop__del_timer(r.loop, r.ready_timer);
	sdnotify__close(r.sd, r.loop);
	loop__free(r.loop);
	free(r.restart_times);
	return status;
}
