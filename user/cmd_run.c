// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* cmd_run.c - warden run: spawn the app, forward and parse its log, ban, supervise. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "banmap.h"
#include "cli.h"
#include "config.h"
#include "jail.h"
#include "linebuf.h"
#include "log.h"
#include "routes.h"
#include "supervisor.h"
#include "timeutil.h"
#include "xdp_attach.h"

#define EXPIRE_EVERY_S 30 /* how often expired bans are removed from the maps */
#define READ_CHUNK 65536

/*
 * Command-line options. Most are config keys (the same names as in the
 * INI file, with '-' for '_' or '.'), so that one validation path serves
 * both; a flag sets its key to "true".
 */
struct run_option {
	const char *name; /* --name */
	const char *key;  /* config key, NULL for options of this command only */
	int has_arg;
};

enum { ROPT_CONFIG = 1, ROPT_HELP, ROPT_STOP_TIMEOUT, ROPT_LOADER, ROPT_VERBOSE, ROPT_LOG_STREAM };

static const struct run_option run_options[] = {
	{ "iface", "iface", 1 },
	{ "pin-path", "pin_path", 1 },
	{ "mode", "xdp_mode", 1 },
	{ "dry-run", "dry_run", 0 },
	{ "log-json", "log_json", 0 },
	{ "app", "app", 1 },
	{ "log-format", "log_format", 1 },
	{ "log-regex", "log_regex", 1 },
	{ "fail-status", "fail_status", 1 },
	{ "maxretry", "maxretry", 1 },
	{ "findtime", "findtime", 1 },
	{ "bantime", "bantime", 1 },
	{ "bantime-increment", "bantime.increment", 0 },
	{ "bantime.increment", "bantime.increment", 0 },
	{ "bantime-factor", "bantime.factor", 1 },
	{ "bantime.factor", "bantime.factor", 1 },
	{ "bantime-maxtime", "bantime.maxtime", 1 },
	{ "bantime.maxtime", "bantime.maxtime", 1 },
	{ "ignoreip", "ignoreip", 1 },
	{ "ipv6-prefix", "ipv6_prefix", 1 },
	{ "max-tracked", "max_tracked", 1 },
	{ "http", "http", 1 },
	{ "state-dir", "state_dir", 1 },
	{ "config", NULL, 1 },
	{ "help", NULL, 0 },
	{ "stop-timeout", NULL, 1 },
	{ "loader", NULL, 1 },
	{ "verbose", NULL, 0 },
	{ "log-stream", NULL, 1 },
};
#define N_RUN_OPTIONS (sizeof(run_options) / sizeof(run_options[0]))

static const char *usage_text =
	"usage: warden run [OPTIONS] -- CMD [ARGS...]\n"
	"Runs CMD (a Flask app under Werkzeug or gunicorn), forwards its output, parses\n"
	"its access log, and bans clients that probe URLs the app does not serve.\n\n"
	"  --iface IFACE         attach the XDP ban program here (repeatable)\n"
	"  --pin-path DIR        where the ban maps are pinned (" WARDEN_DEFAULT_PIN_PATH ")\n"
	"  --mode M              XDP mode: auto, native, generic\n"
	"  --dry-run             decide and log bans, never write them\n"
	"  --app FILE|DIR        the Flask source (default: found from CMD)\n"
	"  --log-format F        auto, werkzeug, common, combined, regex\n"
	"  --log-regex RE        PCRE2 with named groups ip, method, path, status\n"
	"  --log-stream S        parse stdout, stderr or both (default both)\n"
	"  --fail-status LIST    statuses that count as failures too (401,403)\n"
	"  --maxretry N --findtime T --bantime T   fail2ban's jail settings\n"
	"  --bantime-increment --bantime-factor F --bantime-maxtime T   escalation\n"
	"  --ignoreip LIST       addresses and prefixes never banned\n"
	"  --ipv6-prefix N       IPv6 offenders are banned by this prefix (64)\n"
	"  --max-tracked N       clients tracked at most (1000000)\n"
	"  --config FILE         INI file with [warden] and [jail]; options override it\n"
	"  --log-json            warden's own messages as JSON lines\n"
	"  --stop-timeout T      SIGKILL the app this long after SIGTERM (10s)\n";

struct run_opts {
	struct warden_config cfg;
	char **cmd;          /* the app's argv, NULL-terminated */
	uint64_t stop_timeout_ns;
	enum xdp_loader loader;
	bool verbose;
	bool parse_stdout, parse_stderr;
};

static const struct run_option *find_option(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < N_RUN_OPTIONS; i++)
		if (strlen(run_options[i].name) == len && !strncmp(run_options[i].name, name, len))
			return &run_options[i];
	return NULL;
}

/*
 * Parse "--name value", "--name=value" and flags up to "--" or the first
 * argument that is not an option. The config file is read first, wherever
 * --config stands, so that every other option overrides it.
 */
static int parse_run_opts(int argc, char **argv, struct run_opts *o)
{
	char err[512];
	int i, pass, first_cmd = argc;

	config__defaults(&o->cfg);
	o->stop_timeout_ns = 10 * NSEC_PER_SEC;
	o->loader = LOADER_AUTO;
	o->parse_stdout = o->parse_stderr = true;

	for (pass = 0; pass < 2; pass++) {
		for (i = 1; i < argc; i++) {
			const char *arg = argv[i], *eq, *value = NULL;
			const struct run_option *opt;
			size_t nlen;

			if (!strcmp(arg, "--")) {
				first_cmd = i + 1;
				break;
			}
			if (strncmp(arg, "--", 2)) {
				if (!strcmp(arg, "-h"))
					arg = "--help";
				else {
					first_cmd = i;
					break;
				}
			}
			eq = strchr(arg + 2, '=');
			nlen = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
			opt = find_option(arg + 2, nlen);
			if (!opt) {
				fprintf(stderr, "warden run: unknown option '%s'\n", arg);
				return -EINVAL;
			}
			if (opt->has_arg) {
				if (eq)
					value = eq + 1;
				else if (i + 1 < argc)
					value = argv[++i];
				else {
					fprintf(stderr, "warden run: --%s needs a value\n", opt->name);
					return -EINVAL;
				}
			} else if (eq) {
				fprintf(stderr, "warden run: --%s takes no value\n", opt->name);
				return -EINVAL;
			}

			if (!strcmp(opt->name, "config")) {
				if (pass == 0 && config__load(&o->cfg, value, err, sizeof(err))) {
					fprintf(stderr, "warden run: %s\n", err);
					return -EINVAL;
				}
				continue;
			}
			if (pass == 0)
				continue;
			if (!strcmp(opt->name, "help")) {
				printf("%s", usage_text);
				return 1;
			}
			if (opt->key) {
				if (config__set(&o->cfg, NULL, opt->key, value ? value : "true", err,
						sizeof(err))) {
					fprintf(stderr, "warden run: --%s: %s\n", opt->name, err);
					return -EINVAL;
				}
			} else if (!strcmp(opt->name, "stop-timeout")) {
				if (time__parse_duration(value, &o->stop_timeout_ns)) {
					fprintf(stderr, "warden run: --stop-timeout: '%s' is not a duration\n",
						value);
					return -EINVAL;
				}
			} else if (!strcmp(opt->name, "loader")) {
				if (xdp_attach__parse_loader(value, &o->loader)) {
					fprintf(stderr, "warden run: --loader is auto, libxdp or libbpf\n");
					return -EINVAL;
				}
			} else if (!strcmp(opt->name, "verbose")) {
				o->verbose = true;
			} else if (!strcmp(opt->name, "log-stream")) {
				o->parse_stdout = !strcmp(value, "stdout") || !strcmp(value, "both");
				o->parse_stderr = !strcmp(value, "stderr") || !strcmp(value, "both");
				if (!o->parse_stdout && !o->parse_stderr) {
					fprintf(stderr, "warden run: --log-stream is stdout, stderr or both\n");
					return -EINVAL;
				}
			}
		}
	}
	if (config__check(&o->cfg, err, sizeof(err))) {
		fprintf(stderr, "warden run: %s\n", err);
		return -EINVAL;
	}
	if (first_cmd >= argc) {
		fprintf(stderr, "warden run: no command to run (warden run [OPTIONS] -- CMD ...)\n");
		return -EINVAL;
	}
	o->cmd = argv + first_cmd;
	return 0;
}

/* Everything the event loop works on. */
struct runner {
	struct run_opts *o;
	struct child child;
	struct jail *jail;
	struct routes *routes;
	struct banmap *bm;
	struct linebuf out_lines, err_lines;
	int epfd, sigfd, tick_fd, kill_fd;
	bool stopping;      /* warden was asked to stop */
	int exit_status;
};

/* Every line of the app, one callback per stream. */
static void on_stdout_line(const char *line, size_t len, bool truncated, void *arg)
{
	struct runner *r = arg;

	jail__line(r->jail, STREAM_STDOUT, line, len, truncated, time__boot_ns(), NULL);
}

static void on_stderr_line(const char *line, size_t len, bool truncated, void *arg)
{
	struct runner *r = arg;

	jail__line(r->jail, STREAM_STDERR, line, len, truncated, time__boot_ns(), NULL);
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
 * then parse it line by line. Returns 0 at EOF (the fd is closed), 1 when
 * more may come.
 */
static int pump(struct runner *r, int *fd, int out_fd, struct linebuf *lb, bool parse)
{
	linebuf_cb on_line = out_fd == STDOUT_FILENO ? on_stdout_line : on_stderr_line;
	static char buf[READ_CHUNK];
	ssize_t n;

	for (;;) {
		n = read(*fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 1;
		if (n <= 0) {
			if (parse)
				linebuf__flush(lb, on_line, r);
			epoll_ctl(r->epfd, EPOLL_CTL_DEL, *fd, NULL);
			close(*fd);
			*fd = -1;
			return 0;
		}
		/* Forwarding comes first: the app's output is never held back by us. */
		write_all(out_fd, buf, (size_t)n);
		if (parse)
			linebuf__feed(lb, buf, (size_t)n, on_line, r);
		if ((size_t)n < sizeof(buf))
			return 1;
	}
}

static int epoll_add(int epfd, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

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

static void on_signal(struct runner *r)
{
	struct signalfd_siginfo si;

	while (read(r->sigfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			if (!r->stopping) {
				pr_info("got %s: stopping the app", strsignal((int)si.ssi_signo));
				r->stopping = true;
				supervisor__stop(&r->child);
				arm_timer(r->kill_fd, r->o->stop_timeout_ns, 0);
			}
			break;
		case SIGCHLD:
			/* The pidfd tells us about the app; this only wakes us. */
			break;
		default:
			/* SIGHUP, SIGUSR1, SIGUSR2, SIGQUIT: the app's business (gunicorn uses them). */
			supervisor__signal(&r->child, (int)si.ssi_signo);
			break;
		}
	}
}

static void on_tick(struct runner *r)
{
	uint64_t expirations;
	size_t removed = 0;

	if (read(r->tick_fd, &expirations, sizeof(expirations)) < 0)
		return;
	if (r->bm && banmap__expire(r->bm, time__boot_ns(), &removed) == 0 && removed)
		pr_debug("removed %zu expired ban%s", removed, removed == 1 ? "" : "s");
}

static void on_child_exit(struct runner *r)
{
	char how[96];

	if (supervisor__reap(&r->child) != 1)
		return;
	supervisor__describe_exit(&r->child, how, sizeof(how));
	pr_info("the app (pid %d) %s", r->child.pid, how);
	r->exit_status = r->child.exit_status;
	/* Its output may still sit in the pipes: take it all before leaving. */
	if (r->child.out_fd >= 0)
		pump(r, &r->child.out_fd, STDOUT_FILENO, &r->out_lines, r->o->parse_stdout);
	if (r->child.err_fd >= 0)
		pump(r, &r->child.err_fd, STDERR_FILENO, &r->err_lines, r->o->parse_stderr);
	/* Whatever it started is stopped with it. */
	kill(-r->child.pid, SIGKILL);
}

static int event_loop(struct runner *r)
{
	struct epoll_event evs[8];
	int n, i;

	while (r->child.state != CHILD_NONE) {
		n = epoll_wait(r->epfd, evs, 8, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == r->child.out_fd)
				pump(r, &r->child.out_fd, STDOUT_FILENO, &r->out_lines,
				     r->o->parse_stdout);
			else if (fd == r->child.err_fd)
				pump(r, &r->child.err_fd, STDERR_FILENO, &r->err_lines,
				     r->o->parse_stderr);
			else if (fd == r->sigfd)
				on_signal(r);
			else if (fd == r->tick_fd)
				on_tick(r);
			else if (fd == r->kill_fd) {
				pr_warn("the app did not stop in time: killing it");
				supervisor__signal(&r->child, SIGKILL);
			} else if (fd == r->child.pidfd)
				on_child_exit(r);
		}
	}
	return 0;
}

/* Set up the maps and attachments; on missing privileges fall back to dry-run. */
static struct banmap *setup_enforcement(struct run_opts *o, int *status)
{
	struct warden_config *c = &o->cfg;
	struct banmap *bm;
	char how[256];
	int i, err;

	if (c->dry_run) {
		pr_info("dry-run: bans are decided and logged, never written");
		return NULL;
	}
	bm = banmap__open(c->pin_path, BANMAP_CREATE);
	if (!bm) {
		if (errno == EPERM || errno == EACCES) {
			pr_warn("no privilege for BPF (needs root or CAP_BPF + CAP_NET_ADMIN): "
				"running in dry-run mode, bans are only logged");
			c->dry_run = true;
			return NULL;
		}
		*status = EXIT_FAIL;
		return NULL;
	}
	for (i = 0; i < c->n_ifaces; i++) {
		enum xdp_attach_mode_opt mode = ATTACH_MODE_AUTO;

		xdp_attach__parse_mode(c->xdp_mode, &mode);
		err = xdp_attach__attach(c->pin_path, c->ifaces[i], mode, o->loader, how,
					 sizeof(how));
		if (err) {
			pr_warn("cannot attach to %s: %s", c->ifaces[i], strerror(-err));
			*status = err == -ENODEV ? EXIT_USAGE : EXIT_FAIL;
			banmap__close(bm);
			return NULL;
		}
		pr_info("XDP ban program on %s: %s", c->ifaces[i], how);
	}
	if (!c->n_ifaces)
		pr_info("no --iface given: bans go into the maps under %s, enforced wherever "
			"the program is attached", c->pin_path);
	return bm;
}

static struct routes *learn_routes(struct run_opts *o)
{
	char source[4096], err[512];
	struct routes *routes;

	if (o->cfg.app[0])
		snprintf(source, sizeof(source), "%s", o->cfg.app);
	else if (routes__find_source(o->cmd, source, sizeof(source))) {
		pr_warn("cannot tell where the Flask source is (give --app): "
			"only statuses and non-HTTP requests count as failures");
		return NULL;
	}
	routes = routes__load(source, err, sizeof(err));
	if (!routes) {
		pr_warn("cannot learn the routes from %s: %s; only statuses and non-HTTP requests "
			"count as failures", source, err);
		return NULL;
	}
	if (!routes__count(routes))
		pr_warn("no route found in %s: only statuses and non-HTTP requests count as failures",
			source);
	else
		pr_info("learned %zu route%s from %s", routes__count(routes),
			routes__count(routes) == 1 ? "" : "s", source);
	return routes;
}

int cmd_run(int argc, char **argv)
{
	struct runner r = { .epfd = -1, .sigfd = -1, .tick_fd = -1, .kill_fd = -1 };
	struct run_opts o;
	char err[512];
	sigset_t mask;
	int ret, status = EXIT_OK;

	memset(&o, 0, sizeof(o));
	ret = parse_run_opts(argc, argv, &o);
	if (ret) {
		config__free(&o.cfg);
		return ret > 0 ? EXIT_OK : EXIT_USAGE;
	}
	r.o = &o;
	log__setup(o.cfg.log_json, o.verbose ? LOG_DEBUG : LOG_INFO);
	supervisor__init(&r.child);

	r.bm = setup_enforcement(&o, &status);
	if (status != EXIT_OK)
		goto out;
	r.routes = learn_routes(&o);
	r.jail = jail__new(&o.cfg, r.routes, r.bm, err, sizeof(err));
	if (!r.jail) {
		pr_warn("%s", err);
		status = EXIT_USAGE;
		goto out;
	}
	jail__restore(r.jail, time__boot_ns());
	if (linebuf__init(&r.out_lines, LOGPARSE_MAX_LINE) ||
	    linebuf__init(&r.err_lines, LOGPARSE_MAX_LINE)) {
		status = EXIT_FAIL;
		goto out;
	}

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
	r.sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	r.epfd = epoll_create1(EPOLL_CLOEXEC);
	r.tick_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	r.kill_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (r.sigfd < 0 || r.epfd < 0 || r.tick_fd < 0 || r.kill_fd < 0) {
		pr_warn("cannot set up the event loop: %s", strerror(errno));
		status = EXIT_FAIL;
		goto out;
	}

	ret = supervisor__spawn(&r.child, o.cmd);
	if (ret) {
		pr_warn("cannot start %s: %s", o.cmd[0], strerror(-ret));
		status = EXIT_FAIL;
		goto out;
	}
	pr_info("started %s (pid %d)", o.cmd[0], r.child.pid);
	epoll_add(r.epfd, r.sigfd);
	epoll_add(r.epfd, r.tick_fd);
	epoll_add(r.epfd, r.kill_fd);
	epoll_add(r.epfd, r.child.pidfd);
	epoll_add(r.epfd, r.child.out_fd);
	epoll_add(r.epfd, r.child.err_fd);
	arm_timer(r.tick_fd, EXPIRE_EVERY_S * NSEC_PER_SEC, EXPIRE_EVERY_S * NSEC_PER_SEC);

	ret = event_loop(&r);
	if (ret) {
		pr_warn("event loop failed: %s", strerror(-ret));
		supervisor__signal(&r.child, SIGKILL);
		status = EXIT_FAIL;
		goto out;
	}
	status = r.exit_status;
out:
	supervisor__close(&r.child);
	linebuf__free(&r.out_lines);
	linebuf__free(&r.err_lines);
	jail__free(r.jail);
	routes__free(r.routes);
	banmap__close(r.bm);
	config__free(&o.cfg);
	if (r.sigfd >= 0)
		close(r.sigfd);
	if (r.epfd >= 0)
		close(r.epfd);
	if (r.tick_fd >= 0)
		close(r.tick_fd);
	if (r.kill_fd >= 0)
		close(r.kill_fd);
	return status;
}
