// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* cmd_run.c - warden run: its options (options.c) and the app's command line. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "options.h"
#include "runner.h"
#include "xdp_attach.h"

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
	"  --config FILE         INI file with [warden] and [jail], or fail2ban's jail.conf or\n"
	"                        jail.local (its layout around it); options override it\n"
	"  --jail NAME           with fail2ban's files: the jail to take\n"
	"  --log-json            warden's own messages as JSON lines\n"
	"  --restart P           on-failure (default), always or never\n"
	"  --restart-max-delay T cap of the doubling restart delay (30s)\n"
	"  --restart-reset T     a run this long resets the delay (60s)\n"
	"  --max-restarts N --restart-window T   give up (exit 69) after N restarts in T\n"
	"  --stop-timeout T      SIGKILL the app this long after SIGTERM (10s)\n"
	"  --user USER[:GROUP]   run the app as this user (it never keeps warden's capabilities)\n"
	"  --verbose             warden's debug messages too\n";

/* The options (options.c), then the app's command line after them. */
static int parse_run_opts(int argc, char **argv, struct cli_opts *o, char ***cmd)
{
	int ret = options__parse("run", OPTS_RUN, usage_text, argc, argv, o);

	if (ret)
		return ret;
	if (o->first_arg >= argc) {
		fprintf(stderr, "warden run: no command to run (warden run [OPTIONS] -- CMD ...)\n");
		return -EINVAL;
	}
	*cmd = argv + o->first_arg;
	return 0;
}

int cmd_run(int argc, char **argv)
{
	struct cli_opts o;
	char **cmd = NULL;
	int ret;

	memset(&o, 0, sizeof(o));
	ret = parse_run_opts(argc, argv, &o, &cmd);
	if (ret) {
		config__free(&o.cfg);
		return ret > 0 ? EXIT_OK : EXIT_USAGE;
	}
	ret = runner__run(&o.cfg, cmd, o.loader, o.verbose);
	config__free(&o.cfg);
	return ret;
}
