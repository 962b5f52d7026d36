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
	"its access log, bans clients that probe URLs the app does not serve, and keeps\n"
	"the app alive (restarts, hangs).\n\n";

/* The options (options.c), then the app's command line after them. */
static int parse_run_opts(int argc, char **argv, struct cli_opts *o, char ***cmd)
{
	int ret = options__parse("run", OPTS_RUN, usage_text, argc, argv, o);

	if (ret)
		return ret;
	if (o->cfg.n_apps) {
		fprintf(stderr, "warden run: [app NAME] sections are for warden watch (warden run "
			"judges the one app it runs: give its source with --app or app =)\n");
		return -EINVAL;
	}
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
