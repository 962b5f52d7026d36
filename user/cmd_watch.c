// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* cmd_watch.c - warden watch: the node agent, following log files that others write. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "claims.h"
#include "cli.h"
#include "config.h"
#include "fileutil.h"
#include "follow.h"
#include "jail.h"
#include "log.h"
#include "logparse.h"
#include "loop.h"
#include "options.h"
#include "routes.h"
#include "timeutil.h"
#include "xdp_attach.h"

#define OFFSETS_FILE "follow.offsets"
#define TICK_NS NSEC_PER_SEC  /* offsets and rotated files are looked after this often */

static const char *usage_text =
	"usage: warden watch --follow GLOB... [--iface IFACE...] [--app SOURCE] [OPTIONS]\n"
	"The node agent: follows log files that other processes write (the container\n"
	"runtime's /var/log/containers/*.log and /var/log/pods, in the CRI or Docker\n"
	"JSON format, or plain access logs) across rotations and restarts, and bans\n"
	"the clients that probe URLs the app does not serve. Runs nothing itself.\n\n";

struct watch {
	struct warden_config *cfg;
	bool verbose;
	struct loop *loop;
	struct agent *agent;       /* jail, routes, enforcement, bans' upkeep, HTTP */
	struct claims *claims;     /* which app each log belongs to ([app NAME] sections) */
	int app_index[CONFIG_MAX_APPS]; /* the agent's app of each section */
	struct follower *fw;
	struct logparser *age;     /* the times of backfilled plain lines */
	struct loop_timer *tick;   /* rotations and read offsets */
	bool parse_stdout, parse_stderr;
	bool keep_state;           /* the state folder is usable */
	int error;                 /* the follower failed: leave with this */
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
	return t && time__real_ns() - t > (int64_t)w->cfg->jail.findtime_ns;
}

static void on_line(const struct follow_line *l, void *arg)
{
	struct watch *w = arg;
	static const int unclaimed = CLAIMS_UNCLAIMED;
	const int *apps = &unclaimed;
	enum line_kind kind;
	char text[1700];
	size_t n = 1;

	if ((l->stream == STREAM_STDOUT && !w->parse_stdout) ||
	    (l->stream == STREAM_STDERR && !w->parse_stderr))
		return;
	if (l->backfill && too_old(w, l)) {
		w->skipped_old++;
		return;
	}
	if (w->claims)
		n = claims__apps_of(w->claims, l->group ? l->group : l->path, &apps);
	kind = agent__line_apps(w->agent, apps, n, l->stream, l->text, l->len, l->truncated, NULL);
	if (w->verbose)
		pr_debug("%s %s%s: %s: %s", l->path, l->stream == STREAM_STDERR ? "stderr" : "stdout",
			 l->backfill ? " (backfill)" : "", kind_name(kind),
			 printable(l->text, l->len, text, sizeof(text)));
}

/* ---- routes ---- */

/* SIGHUP: every app learns its routes again (a failure keeps what it had). */
static void learn_routes_again(struct watch *w)
{
	int i;

	if (w->cfg->app[0])
		agent__learn_routes(w->agent, 0, w->cfg->app);
	for (i = 0; i < w->cfg->n_apps; i++)
		if (w->cfg->apps[i]->source[0]) /* a fail2ban jail has none */
			agent__learn_routes(w->agent, w->app_index[i], w->cfg->apps[i]->source);
}

/*
 * Every app's routes, before anything is attached: a source that cannot be
 * read is refused at start with the reason (a running agent keeps its old
 * routes instead). routes[0] is --app's (the simple form), routes[1 + i]
 * section i's. 0 or EXIT_USAGE.
 */
static int load_all_routes(struct watch *w, struct routes **routes)
{
	const struct warden_config *c = w->cfg;
	struct warden_config app_cfg;
	char err[512], how[64];
	int i;

	if (!c->app[0] && !c->n_apps && c->filter[0])
		pr_info("no --app given: the failregex of filter %s, statuses (--fail-status) "
			"and non-HTTP requests are the failures", c->filter);
	else if (!c->app[0] && !c->n_apps)
		pr_warn("no --app given: only statuses (--fail-status) and non-HTTP requests "
			"count as failures");
	for (i = -1; i < c->n_apps; i++) {
		const char *source = i < 0 ? c->app : c->apps[i]->source;
		const struct warden_config *ac = c;

		if (!source[0])
			continue;
		/* An [app NAME] section's own routes_from, python and extra_routes. */
		if (i >= 0) {
			if (config__app_config(c, c->apps[i], &app_cfg, err, sizeof(err))) {
				pr_warn("%s", err);
				return EXIT_USAGE;
			}
			ac = &app_cfg;
		}
		/* No command to take the interpreter from: the one that can import the app is needed. */
		if (!strcmp(ac->routes_from, "flask") && !ac->python[0]) {
			pr_warn("%s%s%sroutes_from = flask needs python = PATH in warden watch (the "
				"interpreter that imports the app)", i < 0 ? "" : "[app ",
				i < 0 ? "" : c->apps[i]->name, i < 0 ? "" : "]: ");
			if (i >= 0)
				config__free(&app_cfg);
			return EXIT_USAGE;
		}
		routes[i + 1] = agent__learn(&(struct app_routes_cfg){
						     .source = source,
						     .routes_from = ac->routes_from,
						     .python = ac->python,
						     .extra = (const char(*)[512])ac->extra_routes,
						     .n_extra = ac->n_extra_routes,
					     },
					     how, sizeof(how), err, sizeof(err));
		if (i >= 0)
			config__free(&app_cfg);
		if (!routes[i + 1]) {
			pr_warn("%s%s%scannot learn the routes from %s: %s", i < 0 ? "" : "[app ",
				i < 0 ? "" : c->apps[i]->name, i < 0 ? "" : "]: ", source, err);
			return EXIT_USAGE;
		}
		if (!routes__count(routes[i + 1]))
			pr_warn("no route found in %s: only statuses and non-HTTP requests count as "
				"failures", source);
		else
			pr_info("learned %zu route%s from %s (%s)%s%s", routes__count(routes[i + 1]),
				routes__count(routes[i + 1]) == 1 ? "" : "s", source, how,
				i < 0 ? "" : " for app ", i < 0 ? "" : c->apps[i]->name);
		routes__say_notes(routes[i + 1]);
	}
	return 0;
}

static int n_sections(const struct warden_config *c, bool f2b)
{
	int i, n = 0;

	for (i = 0; i < c->n_apps; i++)
		n += c->apps[i]->f2b == f2b;
	return n;
}

/* Which of fail2ban's jails run, each with its filter and logs (those that do not: in the notes). */
static void say_jails(const struct warden_config *c)
{
	int i, k, n = n_sections(c, true);

	if (!n)
		return;
	pr_info("%d fail2ban jail%s run, each with its own filter and settings:", n,
		n == 1 ? "" : "s");
	for (i = 0; i < c->n_apps; i++) {
		const struct app_section *a = c->apps[i];
		char logs[1024] = "";

		if (!a->f2b)
			continue;
		for (k = 0; k < a->n_follow; k++)
			snprintf(logs + strlen(logs), sizeof(logs) - strlen(logs), "%s%s",
				 k ? " " : "", a->follow[k]);
		pr_info("  [%s] filter %s on %s", a->name, a->filter[0] ? a->filter : "(none)",
			logs);
	}
}

/* The [app NAME] sections and fail2ban's jails, each with its own jail; who claims which log. */
static int add_apps(struct watch *w, struct routes **routes)
{
	struct warden_config app_cfg;
	char err[512];
	size_t n;
	int i, idx;

	if (routes[0])
		agent__set_routes(w->agent, 0, routes[0], w->cfg->app);
	routes[0] = NULL;
	for (i = 0; i < w->cfg->n_apps; i++) {
		const struct app_section *s = w->cfg->apps[i];

		if (config__app_config(w->cfg, s, &app_cfg, err, sizeof(err))) {
			pr_warn("%s", err);
			return EXIT_USAGE;
		}
		idx = agent__add_app(w->agent, s->name, &app_cfg, routes[i + 1], s->source);
		routes[i + 1] = NULL;
		config__free(&app_cfg);
		if (idx < 0)
			return EXIT_FAIL;
		w->app_index[i] = idx;
	}
	if (!w->cfg->n_apps)
		return 0;
	w->claims = claims__new(w->cfg, w->app_index);
	if (!w->claims)
		return EXIT_FAIL;
	n = claims__unclaimed_now(w->claims, w->cfg);
	say_jails(w->cfg);
	if (n_sections(w->cfg, false))
		pr_info("%d app%s: %s%s", n_sections(w->cfg, false),
			n_sections(w->cfg, false) == 1 ? "" : "s",
			n ? "some logs are claimed by none and judged by statuses only" :
			    "every log found is claimed by one", n ? " (listed above)" : "");
	return 0;
}

/* Logs two apps would claim: refused at start, before anything is attached. */
static int check_claims(const struct warden_config *cfg)
{
	int index[CONFIG_MAX_APPS], i, ret;
	struct claims *probe;
	char err[1024];

	for (i = 0; i < cfg->n_apps; i++)
		index[i] = i + 1;
	probe = claims__new(cfg, index);
	if (!probe)
		return EXIT_FAIL;
	ret = claims__check(probe, err, sizeof(err));
	claims__free(probe);
	if (ret)
		pr_warn("%s", err);
	return ret ? EXIT_USAGE : 0;
}

static void fill_health(void *ctx, struct health_state *st)
{
	struct watch *w = ctx;

	if (w->claims)
		st->unclaimed = claims__unclaimed(w->claims, &st->n_unclaimed, &st->unclaimed_more);
}

/* mkdir -p STATE_DIR (the last level 0700): false when it cannot be had. */
static bool make_state_dir(const char *dir)
{
	int err = file__mkdir_p(dir, 0700);

	if (err) {
		pr_warn("cannot create the state folder %s: %s: read offsets and ban snapshots are "
			"not kept", dir, strerror(-err));
		return false;
	}
	if (access(dir, W_OK)) {
		pr_warn("the state folder %s is not writable: read offsets and ban snapshots are "
			"not kept", dir);
		return false;
	}
	return true;
}

/* ---- the loop ---- */

static void on_tick(void *ctx)
{
	struct watch *w = ctx;

	follow__tick(w->fw);
}

static void on_follow(void *ctx, int fd, uint32_t events)
{
	struct watch *w = ctx;
	int err;

	(void)fd;
	(void)events;
	err = follow__process(w->fw);
	if (err) {
		pr_warn("following the files failed: %s", strerror(-err));
		w->error = err;
		loop__stop(w->loop);
	}
}

static void on_sighup(void *ctx, const struct signalfd_siginfo *si)
{
	(void)si;
	pr_info("SIGHUP: learning the routes again");
	learn_routes_again(ctx);
}

static void on_stop_signal(void *ctx, const struct signalfd_siginfo *si)
{
	struct watch *w = ctx;

	pr_info("%s: stopping", strsignal((int)si->ssi_signo));
	loop__stop(w->loop);
}

static int setup_loop(struct watch *w)
{
	int err;

	/* Signals arrive through the event loop, never in a handler. */
	err = loop__on_signal(w->loop, SIGTERM, on_stop_signal, w);
	if (!err)
		err = loop__on_signal(w->loop, SIGINT, on_stop_signal, w);
	if (!err)
		err = loop__on_signal(w->loop, SIGHUP, on_sighup, w);
	if (err)
		return err;
	w->tick = loop__add_timer(w->loop, CLOCK_MONOTONIC, on_tick, w);
	if (!w->tick)
		return -errno;
	loop__timer_arm(w->tick, TICK_NS, TICK_NS);
	return loop__add_fd(w->loop, follow__fd(w->fw), EPOLLIN, on_follow, w);
}

/* Every glob once: the top-level follow's and each app's. The count, or -E2BIG. */
static int all_globs(const struct warden_config *c, const char **globs)
{
	int n = 0, i, k, j;

	for (i = -1; i < c->n_apps; i++) {
		char *const *list = i < 0 ? c->follow : c->apps[i]->follow;
		int count = i < 0 ? c->n_follow : c->apps[i]->n_follow;

		for (k = 0; k < count; k++) {
			for (j = 0; j < n && strcmp(globs[j], list[k]); j++)
				;
			if (j < n)
				continue;
			if (n == FOLLOW_MAX_GLOBS)
				return -E2BIG;
			globs[n++] = list[k];
		}
	}
	return n;
}

static int open_follower(struct watch *w)
{
	struct warden_config *c = w->cfg;
	const char *globs[FOLLOW_MAX_GLOBS];
	int n_globs = all_globs(c, globs);
	struct follow_opts fo = {
		.globs = globs,
		.n_globs = n_globs > 0 ? (size_t)n_globs : 0,
		.backfill = c->backfill,
		.max_line = LOGPARSE_MAX_LINE,
		.on_line = on_line,
		.ctx = w,
	};
	char offsets[4096 + 32];
	enum log_format format;

	if (n_globs < 0) {
		pr_warn("more than %d patterns to follow in all", FOLLOW_MAX_GLOBS);
		return -E2BIG;
	}
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

static int watch__run(struct warden_config *cfg, enum xdp_loader loader, bool verbose)
{
	struct watch w = { .cfg = cfg, .verbose = verbose };
	struct agent_opts ao = { .cfg = cfg, .loader = loader };
	struct routes *routes[CONFIG_MAX_APPS + 1] = { 0 };
	const struct follow_stats *fs;
	char err[512];
	int status = EXIT_OK, ret, i;

	log__setup(cfg->log_json, verbose ? LOG_DEBUG : LOG_INFO);
	w.parse_stdout = strcmp(cfg->log_stream, "stderr") != 0;
	w.parse_stderr = strcmp(cfg->log_stream, "stdout") != 0;
	/* What cannot work is refused before anything is attached. */
	status = load_all_routes(&w, routes);
	if (!status)
		status = check_claims(cfg);
	if (status)
		goto out;
	w.keep_state = make_state_dir(cfg->state_dir);
	w.loop = loop__new();
	if (!w.loop) {
		pr_warn("cannot set up the event loop: %s", strerror(errno));
		status = EXIT_FAIL;
		goto out;
	}
	ao.loop = w.loop;
	ao.keep_state = w.keep_state;
	w.agent = agent__new(&ao, &status);
	if (!w.agent)
		goto out;
	status = add_apps(&w, routes);
	if (status)
		goto out;
	if (open_follower(&w)) {
		status = EXIT_FAIL;
		goto out;
	}
	/* Each app's requests count on the day its log line says (a backfill lands where it belongs). */
	agent__open_analytics(w.agent, true);
	/* Asked for, so a failure to listen is an error. */
	ret = agent__open_http(w.agent, fill_health, NULL, &w, err, sizeof(err));
	if (ret) {
		pr_warn("--http: %s", err);
		status = EXIT_USAGE;
		goto out;
	}
	if (agent__http(w.agent))
		pr_info("health, metrics%s on http://%s/",
			agent__analytics(w.agent) ? " and dashboard" : "", cfg->http);
	ret = setup_loop(&w);
	if (ret) {
		pr_warn("cannot set up the event loop: %s", strerror(-ret));
		status = EXIT_FAIL;
		goto out;
	}
	ret = all_globs(cfg, (const char *[FOLLOW_MAX_GLOBS]){ 0 });
	pr_info("following %d pattern%s%s", ret, ret == 1 ? "" : "s",
		cfg->backfill ? ", with backfill" : "");
	ret = loop__run(w.loop);
	if (ret || w.error) {
		pr_warn("event loop failed: %s", strerror(-(ret ? ret : w.error)));
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
		loop__del_fd(w.loop, follow__fd(w.fw));
	}
	/* Where we stopped, and the bans as they are: a restart or a reboot goes on from here. */
	follow__close(w.fw);
	agent__free(w.agent);
	logparse__free(w.age);
	claims__free(w.claims);
	for (i = 0; i <= CONFIG_MAX_APPS; i++)
		routes__free(routes[i]);
	loop__del_timer(w.loop, w.tick);
	loop__free(w.loop);
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
	if (ret == 0 && !o.cfg.n_follow && !o.cfg.n_apps) {
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
