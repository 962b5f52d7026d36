// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* cmd_run.c - warden run: its options (the config keys, on the command line). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "runner.h"
#include "xdp_attach.h"

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
	{ "log-stream", "log_stream", 1 },
	{ "control", "control", 1 },
	{ "restart", "restart", 1 },
	{ "restart-max-delay", "restart_max_delay", 1 },
	{ "restart-reset", "restart_reset", 1 },
	{ "max-restarts", "max_restarts", 1 },
	{ "restart-window", "restart_window", 1 },
	{ "stop-timeout", "stop_timeout", 1 },
	{ "user", "user", 1 },
	{ "config", NULL, 1 },
	{ "help", NULL, 0 },
	{ "loader", NULL, 1 },
	{ "verbose", NULL, 0 },
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
	"  --restart P           on-failure (default), always or never\n"
	"  --restart-max-delay T cap of the doubling restart delay (30s)\n"
	"  --restart-reset T     a run this long resets the delay (60s)\n"
	"  --max-restarts N --restart-window T   give up (exit 69) after N restarts in T\n"
	"  --stop-timeout T      SIGKILL the app this long after SIGTERM (10s)\n"
	"  --user USER[:GROUP]   run the app as this user (it never keeps warden's capabilities)\n"
	"  --verbose             warden's debug messages too\n";

struct run_opts {
	struct warden_config cfg;
	char **cmd; /* the app's argv, NULL-terminated */
	enum xdp_loader loader;
	bool verbose;
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
	o->loader = LOADER_AUTO;

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
			} else if (!strcmp(opt->name, "loader")) {
				if (xdp_attach__parse_loader(value, &o->loader)) {
					fprintf(stderr, "warden run: --loader is auto, libxdp or libbpf\n");
					return -EINVAL;
				}
			} else if (!strcmp(opt->name, "verbose")) {
				o->verbose = true;
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

int cmd_run(int argc, char **argv)
{
	struct run_opts o;
	int ret;

	memset(&o, 0, sizeof(o));
	ret = parse_run_opts(argc, argv, &o);
	if (ret) {
		config__free(&o.cfg);
		return ret > 0 ? EXIT_OK : EXIT_USAGE;
	}
	ret = runner__run(&o.cfg, o.cmd, o.loader, o.verbose);
	config__free(&o.cfg);
	return ret;
}
