// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* options.c - the command-line options of warden run and warden watch: config keys, one parser. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "options.h"

struct cli_option {
	const char *name; /* --name */
	const char *key;  /* config key, NULL for options of the command line only */
	int has_arg;
	unsigned cmds;    /* OPTS_RUN | OPTS_WATCH */
};

#define BOTH (OPTS_RUN | OPTS_WATCH)

static const struct cli_option options[] = {
	{ "iface", "iface", 1, BOTH },
	{ "pin-path", "pin_path", 1, BOTH },
	{ "mode", "xdp_mode", 1, BOTH },
	{ "dry-run", "dry_run", 0, BOTH },
	{ "log-json", "log_json", 0, BOTH },
	{ "app", "app", 1, BOTH },
	{ "log-format", "log_format", 1, BOTH },
	{ "log-regex", "log_regex", 1, BOTH },
	{ "fail-status", "fail_status", 1, BOTH },
	{ "maxretry", "maxretry", 1, BOTH },
	{ "findtime", "findtime", 1, BOTH },
	{ "bantime", "bantime", 1, BOTH },
	{ "bantime-increment", "bantime.increment", 0, BOTH },
	{ "bantime.increment", "bantime.increment", 0, BOTH },
	{ "bantime-factor", "bantime.factor", 1, BOTH },
	{ "bantime.factor", "bantime.factor", 1, BOTH },
	{ "bantime-maxtime", "bantime.maxtime", 1, BOTH },
	{ "bantime.maxtime", "bantime.maxtime", 1, BOTH },
	{ "ignoreip", "ignoreip", 1, BOTH },
	{ "ipv6-prefix", "ipv6_prefix", 1, BOTH },
	{ "max-tracked", "max_tracked", 1, BOTH },
	{ "http", "http", 1, BOTH },
	{ "state-dir", "state_dir", 1, BOTH },
	{ "log-stream", "log_stream", 1, BOTH },
	{ "control", "control", 1, OPTS_RUN },
	{ "restart", "restart", 1, OPTS_RUN },
	{ "restart-max-delay", "restart_max_delay", 1, OPTS_RUN },
	{ "restart-reset", "restart_reset", 1, OPTS_RUN },
	{ "max-restarts", "max_restarts", 1, OPTS_RUN },
	{ "restart-window", "restart_window", 1, OPTS_RUN },
	{ "stop-timeout", "stop_timeout", 1, OPTS_RUN },
	{ "user", "user", 1, OPTS_RUN },
	{ "watcher", "watcher", 1, OPTS_RUN },
	{ "hang-timeout", "hang_timeout", 1, OPTS_RUN },
	{ "hang-exempt", "hang_exempt", 1, OPTS_RUN },
	{ "slow-threshold", "slow_threshold", 1, OPTS_RUN },
	{ "retention", "retention", 1, BOTH },
	{ "priority", "priority", 1, BOTH },
	{ "throttle-conn-rate", "throttle_conn_rate", 1, BOTH },
	{ "throttle-conn-burst", "throttle_conn_burst", 1, BOTH },
	{ "throttle-pkt-rate", "throttle_pkt_rate", 1, BOTH },
	{ "throttle-pkt-burst", "throttle_pkt_burst", 1, BOTH },
	{ "throttle-ipv6-prefix", "throttle_ipv6_prefix", 1, BOTH },
	{ "throttle-maxretry", "throttle_maxretry", 1, BOTH },
	{ "resolve-interval", "resolve_interval", 1, BOTH },
	{ "follow", "follow", 1, OPTS_WATCH },
	{ "backfill", "backfill", 0, OPTS_WATCH },
	{ "config", NULL, 1, BOTH },
	{ "jail", NULL, 1, BOTH },
	{ "help", NULL, 0, BOTH },
	{ "loader", NULL, 1, BOTH },
	{ "verbose", NULL, 0, BOTH },
};
#define N_OPTIONS (sizeof(options) / sizeof(options[0]))

static const struct cli_option *find_option(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < N_OPTIONS; i++)
		if (strlen(options[i].name) == len && !strncmp(options[i].name, name, len))
			return &options[i];
	return NULL;
}

int options__parse(const char *cmd, unsigned which, const char *usage, int argc, char **argv,
		   struct cli_opts *o)
{
	const char *jail = NULL;
	char err[512];
	int i, pass, first_arg = argc;

	config__defaults(&o->cfg);
	/* --jail says how --config is read: find it first, wherever it stands. */
	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strncmp(argv[i], "--jail=", 7))
			jail = argv[i] + 7;
		else if (!strcmp(argv[i], "--jail") && i + 1 < argc)
			jail = argv[++i];
	}
	o->loader = LOADER_AUTO;
	o->verbose = false;

	for (pass = 0; pass < 2; pass++) {
		for (i = 1; i < argc; i++) {
			const char *arg = argv[i], *eq, *value = NULL;
			const struct cli_option *opt;
			size_t nlen;

			if (!strcmp(arg, "--")) {
				first_arg = i + 1;
				break;
			}
			if (strncmp(arg, "--", 2)) {
				if (!strcmp(arg, "-h"))
					arg = "--help";
				else {
					first_arg = i;
					break;
				}
			}
			eq = strchr(arg + 2, '=');
			nlen = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
			opt = find_option(arg + 2, nlen);
			if (!opt) {
				fprintf(stderr, "warden %s: unknown option '%s'\n", cmd, arg);
				return -EINVAL;
			}
			if (!(opt->cmds & which)) {
				fprintf(stderr, "warden %s: --%s is an option of warden %s only\n", cmd,
					opt->name, (opt->cmds & OPTS_RUN) ? "run" : "watch");
				return -EINVAL;
			}
			if (opt->has_arg) {
				if (eq)
					value = eq + 1;
				else if (i + 1 < argc)
					value = argv[++i];
				else {
					fprintf(stderr, "warden %s: --%s needs a value\n", cmd, opt->name);
					return -EINVAL;
				}
			} else if (eq) {
				fprintf(stderr, "warden %s: --%s takes no value\n", cmd, opt->name);
				return -EINVAL;
			}

			if (!strcmp(opt->name, "config")) {
				if (pass == 0 &&
				    config__load_jail(&o->cfg, value, jail, err, sizeof(err))) {
					fprintf(stderr, "warden %s: %s\n", cmd, err);
					return -EINVAL;
				}
				continue;
			}
			if (pass == 0)
				continue;
			if (!strcmp(opt->name, "jail")) {
				if (!o->cfg.jail_name[0]) {
					fprintf(stderr, "warden %s: --jail goes with --config FILE of "
						"fail2ban's (jail.conf, jail.local)\n", cmd);
					return -EINVAL;
				}
				continue;
			}
			if (!strcmp(opt->name, "help")) {
				printf("%s", usage);
				return 1;
			}
			if (opt->key) {
				if (config__set(&o->cfg, NULL, opt->key, value ? value : "true", err,
						sizeof(err))) {
					fprintf(stderr, "warden %s: --%s: %s\n", cmd, opt->name, err);
					return -EINVAL;
				}
			} else if (!strcmp(opt->name, "loader")) {
				if (xdp_attach__parse_loader(value, &o->loader)) {
					fprintf(stderr, "warden %s: --loader is auto, libxdp or libbpf\n",
						cmd);
					return -EINVAL;
				}
			} else if (!strcmp(opt->name, "verbose")) {
				o->verbose = true;
			}
		}
	}
	if (config__check(&o->cfg, err, sizeof(err))) {
		fprintf(stderr, "warden %s: %s\n", cmd, err);
		return -EINVAL;
	}
	for (i = 0; i < o->cfg.n_notes; i++)
		fprintf(stderr, "warden %s: warning: %s\n", cmd, o->cfg.notes[i]);
	o->first_arg = first_arg;
	return 0;
}
