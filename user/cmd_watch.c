// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* cmd_watch.c - warden watch: the node agent, following log files that others write. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "banmap.h"
#include "enforce.h"
#include "cli.h"
#include "config.h"
#include "follow.h"
#include "health.h"
#include "http.h"
#include "warden_metrics.h"
#include "jail.h"
#include "log.h"
#include "logparse.h"
#include "options.h"
#include "routes.h"
#include "snapshot.h"
#include "timeutil.h"
#include "xdp_attach.h"

#define OFFSETS_FILE "follow.offsets"
#define TICK_NS NSEC_PER_SEC  /* offsets, snapshots and rotated files are looked after this often */
#define EXPIRE_EVERY_TICKS 30 /* expired bans leave the maps this often */

static const char *usage_text =
	"usage: warden watch --follow GLOB... [--iface IFACE...] [--app SOURCE] [OPTIONS]\n"
	"The node agent: follows log files that other processes write (the container\n"
	"runtime's /var/log/containers/*.log and /var/log/pods, in the CRI or Docker\n"
	"JSON format, or plain access logs) across rotations and restarts, and bans\n"
	"the clients that probe URLs the app does not serve. Runs nothing itself.\n\n"
	"  --follow GLOB         files to follow (repeatable; absolute glob patterns)\n"
	"  --backfill            read the rotated logs (.gz too) and the files' history\n"
	"                        once at start; lines older than findtime are skipped\n"
	"  --state-dir DIR       where the read offsets and the ban snapshot are kept\n"
	"                        (/var/lib/warden)\n"
	"  --iface IFACE         attach the XDP ban program here (repeatable)\n"
	"  --pin-path DIR        where the ban maps are pinned (" WARDEN_DEFAULT_PIN_PATH ")\n"
	"  --mode M              XDP mode: auto, native, generic\n"
	"  --dry-run             decide and log bans, never write them\n"
	"  --app FILE|DIR        the Flask source to learn the routes from (SIGHUP: again)\n"
	"  --log-format F        auto, werkzeug, common, combined, regex\n"
	"  --log-regex RE        PCRE2 with named groups ip, method, path, status\n"
	"  --log-stream S        parse the app's stdout, stderr or both (default both)\n"
	"  --fail-status LIST    statuses that count as failures too (401,403)\n"
	"  --maxretry N --findtime T --bantime T   fail2ban's jail settings\n"
	"  --bantime-increment --bantime-factor F --bantime-maxtime T   escalation\n"
	"  --ignoreip LIST       addresses and prefixes never banned\n"
	"  --ipv6-prefix N       IPv6 offenders are banned by this prefix (64)\n"
	"  --max-tracked N       clients tracked at most (1000000)\n"
	"  --config FILE         INI file with [warden] and [jail], or fail2ban's jail.conf or\n"
	"                        jail.local (its layout around it); options override it\n"
	"  --jail NAME           with fail2ban's files: the jail to take\n"
	"  --log-json            warden's own messages as JSON lines\n"
	"  --http ADDR:PORT      health and metrics (127.0.0.1:9470; off)\n"
	"  --verbose             warden's debug messages too, one per line read\n";

struct watch {
	struct warden_config *cfg;
	enum xdp_loader loader;
	bool verbose;
	struct routes *routes;
	struct banmap *bm;         /* NULL in dry-run */
	struct jail *jail;
	struct follower *fw;
	struct logparser *age;     /* the times of backfilled plain lines */
	struct snapshot_sched snap;
	bool parse_stdout, parse_stderr;
	bool keep_state;           /* the state folder is usable */
	int epfd, sigfd, tick_fd;
	bool stopping;
	struct http_server *http;  /* --http: health and metrics for the DaemonSet's probes */
	struct health *health;
	struct warden_metrics *metrics;
	char xdp_how[256];
	enum enforce_state enforce; /* who enforces the bans, for /z/health */
	uint64_t ticks;
	uint64_t skipped_old;      /* backfilled lines older than findtime */
};

/* ---- lines ---- */

static const char *kind_name(enum line_kind k)
{
	switch (k) {
	case LINE_REQUEST:
		return "request";
	case LINE_FAILURE:
		return "failure";
	case LINE_BAN:
		return "ban";
	default:
		return "other";
	}
}

/* The line as it may appear in a message: control bytes escaped, at most 400 bytes shown. */
static const char *printable(const char *s, size_t len, char *buf, size_t size)
{
	size_t i, o = 0;

	for (i = 0; i < len && o + 8 < size; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (i == 400) {
			o += (size_t)snprintf(buf + o, size - o, "...");
			break;
		}
		if (ch >= 0x20 && ch != 0x7f)
			buf[o++] = (char)ch;
		else
			o += (size_t)snprintf(buf + o, size - o, "\\x%02x", ch);
	}
	buf[o] = '\0';
	return buf;
}

static int64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/*
 * History older than findtime cannot make a ban that matters now: skipped,
 * as fail2ban does at start. The time is the runtime's, else the line's own.
 */
static bool too_old(struct watch *w, const struct follow_line *l)
{
	int64_t t = l->time_ns;
	struct access_line a;

	if (!t && w->age) {
		if (l->truncated)
			logparse__line_truncated(w->age, l->text, l->len, &a);
		else
			logparse__line(w->age, l->text, l->len, &a);
		if (a.time > 0)
			t = a.time * 1000000000LL;
	}
	return t && real_ns() - t > (int64_t)w->cfg->jail.findtime_ns;
}

static void on_line(const struct follow_line *l, void *arg)
{
	struct watch *w = arg;
	struct line_event ev;
	enum line_kind kind;
	char text[1700];

	if ((l->stream == STREAM_STDOUT && !w->parse_stdout) ||
	    (l->stream == STREAM_STDERR && !w->parse_stderr))
		return;
	if (l->backfill && too_old(w, l)) {
		w->skipped_old++;
		return;
	}
	kind = jail__line(w->jail, l->stream, l->text, l->len, l->truncated, time__boot_ns(), &ev);
	if (w->metrics)
		wmetrics__line(w->metrics, &ev);
	if (w->verbose)
		pr_debug("%s %s%s: %s: %s", l->path, l->stream == STREAM_STDERR ? "stderr" : "stdout",
			 l->backfill ? " (backfill)" : "", kind_name(kind),
			 printable(l->text, l->len, text, sizeof(text)));
}

/* ---- routes ---- */

static void learn_routes(struct watch *w)
{
	char err[512];
	struct routes *fresh;

	if (!w->cfg->app[0]) {
		if (!w->routes && w->cfg->filter[0])
			pr_info("no --app given: the failregex of filter %s, statuses (--fail-status) "
				"and non-HTTP requests are the failures", w->cfg->filter);
		else if (!w->routes)
			pr_warn("no --app given: only statuses (--fail-status) and non-HTTP requests "
				"count as failures");
		return;
	}
	fresh = routes__load(w->cfg->app, err, sizeof(err));
	if (!fresh) {
		pr_warn("cannot learn the routes from %s: %s; %s", w->cfg->app, err,
			w->routes ? "keeping the routes learned before"
				  : "only statuses and non-HTTP requests count as failures");
		return;
	}
	if (!routes__count(fresh))
		pr_warn("no route found in %s: only statuses and non-HTTP requests count as failures",
			w->cfg->app);
	else
		pr_info("learned %zu route%s from %s", routes__count(fresh),
			routes__count(fresh) == 1 ? "" : "s", w->cfg->app);
	if (w->jail)
		jail__set_routes(w->jail, fresh);
	routes__free(w->routes);
	w->routes = fresh;
}

/* ---- the maps ---- */

/* The maps, the snapshot, then the attachments: a ban never waits for the program. */
static int setup_enforcement(struct watch *w)
{
	return enforce__setup(w->cfg, w->loader, w->keep_state, &w->bm, w->xdp_how,
			      sizeof(w->xdp_how), &w->enforce);
}

/* mkdir -p STATE_DIR (the last level 0700): false when it cannot be had. */
static bool make_state_dir(const char *dir)
{
	char buf[4096];
	char *p;

	snprintf(buf, sizeof(buf), "%s", dir);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(buf, 0755);
		*p = '/';
	}
	if (mkdir(buf, 0700) && errno != EEXIST) {
		pr_warn("cannot create the state folder %s: %s: read offsets and ban snapshots are "
			"not kept", dir, strerror(errno));
		return false;
	}
	if (access(buf, W_OK)) {
		pr_warn("the state folder %s is not writable: read offsets and ban snapshots are "
			"not kept", dir);
		return false;
	}
	return true;
}

/* ---- the loop ---- */

/* ---- health and metrics ---- */

static void fill_health(struct health_state *st, void *arg)
{
	struct watch *w = arg;
	const struct jail_stats *js = jail__stats(w->jail);

	memset(st, 0, sizeof(*st));
	st->child = HEALTH_CHILD_NONE;
	st->listening = -1;
	st->xdp = enforce__health(w->cfg, &w->enforce);
	st->ifaces = (const char *const *)w->cfg->ifaces;
	st->n_ifaces = w->cfg->n_ifaces;
	st->xdp_how = w->xdp_how[0] ? w->xdp_how : NULL;
	st->dry_run = w->cfg->dry_run;
	st->lines = js->lines;
	st->access_lines = js->access;
}

static void refresh_metrics(struct warden_metrics *m, void *arg)
{
	struct watch *w = arg;
	struct xdp_counters c;

	if (w->bm && banmap__counters(w->bm, &c) == 0)
		wmetrics__set_xdp(m, &c);
}

/* Asked for, so a failure to listen is an error. */
static int open_http(struct watch *w)
{
	char err[512];

	w->metrics = wmetrics__new();
	if (!strcmp(w->cfg->http, "off") || !w->metrics)
		return 0;
	w->http = http__open(w->cfg->http, err, sizeof(err));
	if (!w->http) {
		pr_warn("--http: %s", err);
		return -EINVAL;
	}
	w->health = health__register(w->http, fill_health, w, w->metrics);
	if (!w->health)
		return -errno;
	health__set_metrics_hook(w->health, refresh_metrics, w);
	pr_info("health and metrics on http://%s/", w->cfg->http);
	return 0;
}

static int epoll_add(int epfd, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static void on_tick(struct watch *w)
{
	uint64_t expirations;
	size_t removed = 0;

	if (read(w->tick_fd, &expirations, sizeof(expirations)) < 0)
		return;
	follow__tick(w->fw);
	w->ticks++;
	if (w->bm && w->ticks % EXPIRE_EVERY_TICKS == 0 &&
	    banmap__expire(w->bm, time__boot_ns(), &removed) == 0 && removed)
		pr_debug("removed %zu expired ban%s", removed, removed == 1 ? "" : "s");
	if (w->bm && w->keep_state)
		snapshot__maybe_write(&w->snap, w->cfg->state_dir, w->bm);
}

static void on_signal(struct watch *w)
{
	struct signalfd_siginfo si;

	while (read(w->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			pr_info("SIGHUP: learning the routes again");
			learn_routes(w);
			continue;
		}
		pr_info("%s: stopping", strsignal((int)si.ssi_signo));
		w->stopping = true;
	}
}

static int event_loop(struct watch *w)
{
	struct epoll_event evs[8];
	int n, i, err;

	while (!w->stopping) {
		n = epoll_wait(w->epfd, evs, 8, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		for (i = 0; i < n && !w->stopping; i++) {
			int fd = evs[i].data.fd;

			if (fd == w->sigfd) {
				on_signal(w);
			} else if (fd == w->tick_fd) {
				on_tick(w);
			} else if (w->http && fd == http__fd(w->http)) {
				http__process(w->http);
			} else if (fd == follow__fd(w->fw)) {
				err = follow__process(w->fw);
				if (err)
					return err;
			}
		}
	}
	return 0;
}

static int setup_loop(struct watch *w)
{
	struct itimerspec its = {
		.it_value = { .tv_sec = TICK_NS / NSEC_PER_SEC },
		.it_interval = { .tv_sec = TICK_NS / NSEC_PER_SEC },
	};
	sigset_t mask;

	/* Signals arrive through the event loop, never in a handler. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	w->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	w->tick_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (w->sigfd < 0 || w->epfd < 0 || w->tick_fd < 0)
		return -errno;
	if (timerfd_settime(w->tick_fd, 0, &its, NULL))
		return -errno;
	if (epoll_add(w->epfd, w->sigfd) || epoll_add(w->epfd, w->tick_fd) ||
	    epoll_add(w->epfd, follow__fd(w->fw)))
		return -errno;
	if (w->http && epoll_add(w->epfd, http__fd(w->http)))
		return -errno;
	return 0;
}

static int open_follower(struct watch *w)
{
	struct warden_config *c = w->cfg;
	struct follow_opts fo = {
		.globs = (const char *const *)c->follow,
		.n_globs = (size_t)c->n_follow,
		.backfill = c->backfill,
		.max_line = LOGPARSE_MAX_LINE,
		.on_line = on_line,
		.ctx = w,
	};
	char offsets[4096 + 32];
	enum log_format format;

	if (w->keep_state) {
		snprintf(offsets, sizeof(offsets), "%s/%s", c->state_dir, OFFSETS_FILE);
		fo.offsets_path = offsets;
	}
	if (c->backfill && log_format__parse(c->log_format, &format) == 0)
		w->age = logparse__new(format, format == LOGFMT_REGEX ? c->log_regex : NULL, NULL, 0);
	w->fw = follow__open(&fo);
	if (!w->fw) {
		pr_warn("cannot follow the files: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

static void close_fd(int fd)
{
	if (fd >= 0)
		close(fd);
}

static int watch__run(struct warden_config *cfg, enum xdp_loader loader, bool verbose)
{
	struct watch w = {
		.cfg = cfg, .loader = loader, .verbose = verbose,
		.epfd = -1, .sigfd = -1, .tick_fd = -1,
	};
	const struct follow_stats *fs;
	char err[512];
	int status = EXIT_OK, ret;

	log__setup(cfg->log_json, verbose ? LOG_DEBUG : LOG_INFO);
	w.parse_stdout = strcmp(cfg->log_stream, "stderr") != 0;
	w.parse_stderr = strcmp(cfg->log_stream, "stdout") != 0;
	snapshot_sched__init(&w.snap);
	w.keep_state = make_state_dir(cfg->state_dir);

	learn_routes(&w);
	status = setup_enforcement(&w);
	if (status)
		goto out;
	w.jail = jail__new(cfg, w.routes, w.bm, err, sizeof(err));
	if (!w.jail) {
		pr_warn("%s", err);
		status = EXIT_USAGE;
		goto out;
	}
	jail__restore(w.jail, time__boot_ns());
	if (open_follower(&w)) {
		status = EXIT_FAIL;
		goto out;
	}
	if (open_http(&w)) {
		status = EXIT_USAGE;
		goto out;
	}
	ret = setup_loop(&w);
	if (ret) {
		pr_warn("cannot set up the event loop: %s", strerror(-ret));
		status = EXIT_FAIL;
		goto out;
	}
	pr_info("following %d pattern%s%s", cfg->n_follow, cfg->n_follow == 1 ? "" : "s",
		cfg->backfill ? ", with backfill" : "");
	ret = event_loop(&w);
	if (ret) {
		pr_warn("event loop failed: %s", strerror(-ret));
		status = EXIT_FAIL;
	}
out:
	if (w.fw) {
		fs = follow__stats(w.fw);
		pr_info("read %llu line%s in %llu file%s (%llu rotation%s, %llu truncation%s)%s",
			(unsigned long long)fs->lines, fs->lines == 1 ? "" : "s",
			(unsigned long long)fs->files, fs->files == 1 ? "" : "s",
			(unsigned long long)fs->rotations, fs->rotations == 1 ? "" : "s",
			(unsigned long long)fs->truncations, fs->truncations == 1 ? "" : "s",
			w.skipped_old ? "; skipped backfilled lines older than findtime" : "");
	}
	/* Where we stopped, and the bans as they are: a restart or a reboot goes on from here. */
	follow__close(w.fw);
	http__close(w.http);
	health__free(w.health);
	wmetrics__free(w.metrics);
	if (w.bm && w.keep_state)
		snapshot__flush(&w.snap, cfg->state_dir, w.bm);
	jail__free(w.jail);
	routes__free(w.routes);
	logparse__free(w.age);
	banmap__close(w.bm);
	close_fd(w.sigfd);
	close_fd(w.epfd);
	close_fd(w.tick_fd);
	return status;
}

int cmd_watch(int argc, char **argv)
{
	struct cli_opts o;
	int ret;

	memset(&o, 0, sizeof(o));
	ret = options__parse("watch", OPTS_WATCH, usage_text, argc, argv, &o);
	if (ret == 0 && o.first_arg < argc) {
		fprintf(stderr, "warden watch: unexpected argument '%s' (warden watch runs nothing: "
			"name the files with --follow)\n", argv[o.first_arg]);
		ret = -EINVAL;
	}
	if (ret == 0 && !o.cfg.n_follow) {
		fprintf(stderr, "warden watch: name the files to follow: --follow GLOB "
			"(e.g. '/var/log/containers/*.log')\n");
		ret = -EINVAL;
	}
	if (ret) {
		config__free(&o.cfg);
		return ret > 0 ? EXIT_OK : EXIT_USAGE;
	}
	ret = watch__run(&o.cfg, o.loader, o.verbose);
	config__free(&o.cfg);
	return ret;
}
