// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* options.c - the command-line options of warden run and warden watch: config keys, one parser. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "options.h"

struct cli_option {
	const char *name; /* --name */
	const char *key;  /* config key, NULL for options of the command line only */
	const char *arg;  /* the value's name in --help ("T", "DIR"), NULL for a flag */
	unsigned cmds;    /* OPTS_RUN | OPTS_WATCH */
	const char *help; /* one line for --help and the man page; NULL: an alias, not listed */
};

#define BOTH (OPTS_RUN | OPTS_WATCH)

/*
 * Every option of warden run and warden watch, once: the parser, --help and
 * the man page (warden manpage) come from here, and most options are config
 * keys so that the INI file and the command line share one validation path.
 */
static const struct cli_option options[] = {
	/* Enforcement */
	{ "iface", "iface", "IFACE", BOTH,
	  "attach the XDP ban program here (repeatable; auto: the default route's devices)" },
	{ "pin-path", "pin_path", "DIR", BOTH,
	  "where the ban maps are pinned (" WARDEN_DEFAULT_PIN_PATH ")" },
	{ "mode", "xdp_mode", "M", BOTH, "XDP mode: auto, native, generic (auto)" },
	{ "loader", NULL, "L", BOTH, "XDP loader: auto, libxdp, libbpf (auto)" },
	{ "dry-run", "dry_run", NULL, BOTH, "decide and log bans, never write them" },
	/* What is read */
	{ "app", "app", "FILE|DIR", BOTH,
	  "the Flask source to learn the routes from (run: found from CMD; watch: SIGHUP learns again)" },
	{ "routes-from", "routes_from", "W", OPTS_RUN,
	  "source (read it, run nothing) or flask (the app's interpreter lists app.url_map) (source)" },
	{ "extra-route", "extra_routes", "R", BOTH,
	  "\"[METHODS ]RULE\" that neither way finds (repeatable; GET,POST /hook/<token>)" },
	{ "follow", "follow", "GLOB", OPTS_WATCH, "files to follow (repeatable; absolute glob patterns)" },
	{ "backfill", "backfill", NULL, OPTS_WATCH,
	  "read the rotated logs (.gz too) and the files' history once at start" },
	{ "log-format", "log_format", "F", BOTH, "auto, werkzeug, common, combined, regex (auto)" },
	{ "log-regex", "log_regex", "RE", BOTH, "PCRE2 with named groups ip, method, path, status" },
	{ "log-stream", "log_stream", "S", BOTH, "parse stdout, stderr or both (both)" },
	{ "real-ip-from", "real_ip_from", "PREFIXES", BOTH,
	  "trusted reverse proxies: behind them the client is their forwarded address" },
	{ "real-ip-field", "real_ip_field", "F", BOTH,
	  "where the forwarded addresses (X-Forwarded-For) are in the line: last (quoted field)" },
	/* The jail */
	{ "fail-status", "fail_status", "LIST", BOTH, "statuses that count as failures too (401,403)" },
	{ "maxretry", "maxretry", "N", BOTH, "failures within findtime that ban (5)" },
	{ "findtime", "findtime", "T", BOTH, "the window failures are counted in (10m)" },
	{ "bantime", "bantime", "T", BOTH, "ban length; negative: permanent (10m)" },
	{ "bantime-increment", "bantime.increment", NULL, BOTH, "longer bans for repeat offenders" },
	{ "bantime.increment", "bantime.increment", NULL, BOTH, NULL },
	{ "bantime-factor", "bantime.factor", "F", BOTH, "escalation factor (1)" },
	{ "bantime.factor", "bantime.factor", "F", BOTH, NULL },
	{ "bantime-maxtime", "bantime.maxtime", "T", BOTH, "cap of escalated bans (none)" },
	{ "bantime.maxtime", "bantime.maxtime", "T", BOTH, NULL },
	{ "ignoreip", "ignoreip", "LIST", BOTH,
	  "addresses, prefixes and host names never banned (loopback and own addresses never are)" },
	{ "ipv6-prefix", "ipv6_prefix", "N", BOTH, "IPv6 offenders are banned by this prefix (64)" },
	{ "max-tracked", "max_tracked", "N", BOTH, "clients tracked at most (1000000)" },
	/* Throttling */
	{ "priority", "priority", "LIST", BOTH,
	  "peers never throttled nor shed (addresses, prefixes, host names)" },
	{ "throttle-conn-rate", "throttle_conn_rate", "R", BOTH, "new connections per second per client" },
	{ "throttle-conn-burst", "throttle_conn_burst", "N", BOTH, "burst of new connections" },
	{ "throttle-pkt-rate", "throttle_pkt_rate", "R", BOTH, "packets per second per client" },
	{ "throttle-pkt-burst", "throttle_pkt_burst", "N", BOTH, "burst of packets" },
	{ "throttle-ipv6-prefix", "throttle_ipv6_prefix", "N", BOTH,
	  "IPv6 clients are throttled by this prefix (64)" },
	{ "throttle-maxretry", "throttle_maxretry", "N", BOTH,
	  "seconds throttled within findtime that ban (off)" },
	{ "resolve-interval", "resolve_interval", "T", BOTH, "host names are looked up again this often (5m)" },
	/* The app (warden run) */
	{ "restart", "restart", "P", OPTS_RUN, "on-failure, always or never (on-failure)" },
	{ "restart-max-delay", "restart_max_delay", "T", OPTS_RUN,
	  "cap of the doubling restart delay (30s)" },
	{ "restart-reset", "restart_reset", "T", OPTS_RUN, "a run this long resets the delay (60s)" },
	{ "max-restarts", "max_restarts", "N", OPTS_RUN,
	  "give up (exit 69) after N restarts within --restart-window (0: never)" },
	{ "restart-window", "restart_window", "T", OPTS_RUN, "the window of --max-restarts (10m)" },
	{ "stop-timeout", "stop_timeout", "T", OPTS_RUN, "SIGKILL the app this long after SIGTERM (10s)" },
	{ "start-seconds", "start_seconds", "T", OPTS_RUN,
	  "a run that answered no request started if it lasted this long, listening (1s)" },
	{ "start-retries", "start_retries", "N", OPTS_RUN,
	  "give up (exit 69, with the app's last lines) after N failed starts in a row (5; 0: never)" },
	{ "user", "user", "USER[:GROUP]", OPTS_RUN,
	  "run the app as this user (it never keeps warden's capabilities)" },
	{ "watcher", "watcher", "B", OPTS_RUN,
	  "request watcher: auto, kprobe, tracepoint, sock_diag, off (auto)" },
	{ "hang-timeout", "hang_timeout", "T", OPTS_RUN,
	  "a request this old and no answer in that time: hung, restarted (30s)" },
	{ "hang-exempt", "hang_exempt", "RULE", OPTS_RUN,
	  "routes whose requests may wait (long polling, streams; repeatable)" },
	{ "slow-threshold", "slow_threshold", "T", OPTS_RUN,
	  "warn when a port's p99 over a minute exceeds it (2s; off)" },
	/* The fleet */
	{ "fleet", "fleet", "URL", BOTH,
	  "share bans with a fleet through Redis: redis://[USER:PASSWORD@]HOST[:PORT][/DB]" },
	{ "fleet-prefix", "fleet_prefix", "P", BOTH, "prefix of the fleet's keys in Redis (warden)" },
	{ "fleet-password-file", "fleet_password_file", "FILE", BOTH,
	  "the Redis password, first line of FILE (instead of the URL)" },
	{ "fleet-name", "fleet_name", "NAME", BOTH, "this host's name in the fleet (the host name)" },
	{ "fleet-rate", "fleet_rate", "N", BOTH,
	  "bans and unbans a minute accepted from one fleet member, beyond: refused (600)" },
	{ "fleet-min-prefix4", "fleet_min_prefix4", "N", BOTH,
	  "shorter IPv4 prefixes from the fleet are refused (16)" },
	{ "fleet-min-prefix6", "fleet_min_prefix6", "N", BOTH,
	  "shorter IPv6 prefixes from the fleet are refused (32)" },
	/* Reporting and state */
	{ "http", "http", "ADDR:PORT", BOTH,
	  "health, metrics (and dashboard in run) (127.0.0.1:9470; off)" },
	{ "http-token-file", "http_token_file", "FILE", BOTH,
	  "bearer token the dashboard, /api and /z/info require (needed beyond loopback)" },
	{ "control", "control", "PATH", OPTS_RUN,
	  "the status socket warden status reads (/run/warden/warden.sock)" },
	{ "state-dir", "state_dir", "DIR", BOTH,
	  "offsets, ban snapshots, analytics history (/var/lib/warden)" },
	{ "retention", "retention", "T", BOTH, "analytics history kept (30d)" },
	{ "analytics", "analytics", "on|off", BOTH,
	  "per-route analytics and the dashboard (on; off: neither kept nor served)" },
	{ "config", NULL, "FILE", BOTH,
	  "INI file with [warden] and [jail], or fail2ban's jail.conf or jail.local; options override it" },
	{ "jail", NULL, "NAME", BOTH,
	  "with fail2ban's files: the jail to take (run: the one enabled; watch: every one it can follow)" },
	{ "log-json", "log_json", NULL, BOTH, "warden's own messages as JSON lines" },
	{ "verbose", NULL, NULL, BOTH, "warden's debug messages too" },
	{ "help", NULL, NULL, BOTH, "this text" },
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
			if (opt->arg) {
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
				/* watch runs every jail of fail2ban's it can follow; run takes one. */
				if (pass == 0 && (which == OPTS_WATCH
							  ? config__load_jails(&o->cfg, value, jail, err,
									       sizeof(err))
							  : config__load_jail(&o->cfg, value, jail, err,
									      sizeof(err)))) {
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
				options__usage(stdout, which, usage);
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

void options__usage(FILE *out, unsigned which, const char *head)
{
	char name[64];
	size_t i;

	fputs(head, out);
	for (i = 0; i < N_OPTIONS; i++) {
		const struct cli_option *o = &options[i];

		if (!(o->cmds & which) || !o->help)
			continue;
		snprintf(name, sizeof(name), "--%s%s%s", o->name, o->arg ? " " : "",
			 o->arg ? o->arg : "");
		if (strlen(name) < 25)
			fprintf(out, "  %-26s%s\n", name, o->help);
		else
			fprintf(out, "  %s\n  %-26s%s\n", name, "", o->help);
	}
}

/* troff: a leading '.' or '\'' starts a request, '\\' escapes, '-' is a hyphen. */
static void man_text(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", out);
		else if (*s == '-')
			fputs("\\-", out);
		else
			fputc(*s, out);
	}
}

void options__man(FILE *out, unsigned which)
{
	size_t i;

	for (i = 0; i < N_OPTIONS; i++) {
		const struct cli_option *o = &options[i];

		if (o->cmds != which || !o->help)
			continue;
		fputs(".TP\n.B ", out);
		man_text(out, "--");
		man_text(out, o->name);
		if (o->arg) {
			fputs(" \" ", out);
			man_text(out, o->arg);
			fputs("\"", out);
		}
		fputc('\n', out);
		man_text(out, o->help);
		if (o->key) {
			fputs(" (config key \\fB", out);
			man_text(out, o->key);
			fputs("\\fP)", out);
		}
		fputc('\n', out);
	}
}
