// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* main.c - warden's entry point: find the subcommand and run it. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "cli.h"
#include "log.h"
#include "options.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	unsigned opts; /* its OPTS_* bit in options.def */
	const char *summary;
};

static const struct command commands[] = {
	{ "run", cmd_run, OPTS_RUN, "run an app, parse its log, ban the clients that probe it" },
	{ "watch", cmd_watch, OPTS_WATCH, "follow log files others write (containers), ban the same way" },
	{ "status", cmd_status, OPTS_STATUS, "what a running 'warden run' sees of its app" },
	{ "attach", cmd_attach, OPTS_ATTACH, "attach the XDP ban program to interfaces" },
	{ "detach", cmd_detach, OPTS_DETACH, "detach it from interfaces, or remove everything (--all)" },
	{ "ban", cmd_ban, OPTS_BAN, "ban an address or prefix (or a file of them)" },
	{ "unban", cmd_unban, OPTS_UNBAN, "lift a ban" },
	{ "allow", cmd_allow, OPTS_ALLOW, "add a prefix to the allowlist" },
	{ "unallow", cmd_unallow, OPTS_UNALLOW, "remove a prefix from the allowlist" },
	{ "list", cmd_list, OPTS_LIST, "list live bans and the allowlist" },
	{ "stats", cmd_stats, OPTS_STATS, "print the XDP verdict counters" },
	{ "throttle", cmd_throttle, OPTS_THROTTLE, "per-client rate limits at XDP: new connections, packets" },
	{ "shed", cmd_shed, OPTS_SHED, "shed load: new connections only from priority and known clients" },
	{ "capture", cmd_capture, OPTS_CAPTURE, "write a sample of the dropped packets to a pcap file" },
	{ "routes", cmd_routes, OPTS_ROUTES, "print the routes learned from a Flask app, or match paths" },
	{ "check-config", cmd_check_config, OPTS_CHECK_CONFIG, "read the settings (fail2ban's jail.conf too), print what takes effect" },
	{ "parse", cmd_parse, OPTS_PARSE, "parse access-log lines into JSON (like fail2ban-regex)" },
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: warden COMMAND [OPTIONS] [ARGS]\n\ncommands:\n");
	for (i = 0; i < N_COMMANDS; i++)
		fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n'warden COMMAND --help' tells more about each.\n");
}

/*
 * warden.8, generated from the command table and options.def (make builds
 * it, make install installs it): the options of each command, the keys of
 * the configuration file with the options that set them.
 */
static void manpage(FILE *out)
{
	size_t i;

	fprintf(out, ".TH WARDEN 8 \"\" \"warden %s\" \"System Administration\"\n", WARDEN_VERSION);
	fputs(".SH NAME\nwarden \\- protect and keep alive a web application: "
	      "log-driven bans enforced at XDP\n"
	      ".SH SYNOPSIS\n.B warden run\n[\\fIOPTIONS\\fP] \\-\\- \\fICMD\\fP [\\fIARGS\\fP...]\n.br\n"
	      ".B warden watch\n\\-\\-follow \\fIGLOB\\fP... [\\fIOPTIONS\\fP]\n.br\n"
	      ".B warden\n\\fICOMMAND\\fP [\\fIOPTIONS\\fP] [\\fIARGS\\fP]\n"
	      ".SH DESCRIPTION\n"
	      "\\fBwarden run\\fP spawns a web application (Flask under Werkzeug or gunicorn), "
	      "reads its access log through a pipe, learns its routes from its source, counts "
	      "failures per client as fail2ban does and writes bans into pinned BPF maps that an "
	      "XDP program enforces. It restarts the app when it exits or hangs. "
	      "\\fBwarden watch\\fP does the same for log files that others write "
	      "(containers on a Kubernetes node).\n"
	      ".SH COMMANDS\n", out);
	for (i = 0; i < N_COMMANDS; i++)
		fprintf(out, ".TP\n.B %s\n%s\n", commands[i].name, commands[i].summary);
	fputs(".PP\n\\fBwarden \\fP\\fICOMMAND\\fP \\fB\\-\\-help\\fP lists the options of each.\n"
	      ".SH OPTIONS OF RUN AND WATCH\n"
	      "Most options are also keys of the configuration file given with "
	      "\\fB\\-\\-config\\fP (see CONFIGURATION FILE); the command line overrides the file. "
	      "\\fBwarden check\\-config\\fP takes them all. "
	      "Durations (\\fIT\\fP) take s, m, h, d, w.\n", out);
	options__man(out, OPTS_RUN | OPTS_WATCH, OPTS_RUN | OPTS_WATCH);
	fputs(".SS warden run only\n", out);
	options__man(out, OPTS_RUN, OPTS_RUN | OPTS_WATCH);
	fputs(".SS warden watch only\n", out);
	options__man(out, OPTS_WATCH, OPTS_RUN | OPTS_WATCH);
	for (i = 0; i < N_COMMANDS; i++) {
		const struct command *c = &commands[i];

		if (c->opts & (OPTS_RUN | OPTS_WATCH))
			continue;
		fputs(".SH OPTIONS OF ", out);
		for (const char *p = c->name; *p; p++)
			fputc(*p == '-' ? ' ' : toupper((unsigned char)*p), out);
		fputc('\n', out);
		if (c->opts == OPTS_CHECK_CONFIG)
			fputs("Every option of \\fBwarden run\\fP and \\fBwarden watch\\fP, and:\n", out);
		options__man(out, c->opts, c->opts);
	}
	fputs(".SH CONFIGURATION FILE\n"
	      "An INI file, given with \\fB\\-\\-config\\fP \\fIFILE\\fP: \"key = value\" or "
	      "\"key: value\" lines under a section header; comments start a line with '#' or ';', "
	      "or follow a blank with ';'. An indented line continues the list of the key above. "
	      "Keys are case-insensitive, '\\-' stands for '_'. A key given twice, an unknown "
	      "section or key, or a bad value is refused with the file and line. "
	      "Each key has the command-line option named after it, which overrides the file.\n"
	      ".SS [warden]\nwarden's own settings.\n", out);
	options__man_keys(out, "warden");
	fputs(".SS [jail]\nHow clients are judged, with fail2ban's names where fail2ban has the "
	      "setting.\n", out);
	options__man_keys(out, "jail");
	fputs(".SS [app NAME]\n"
	      "\\fBwarden watch\\fP on a node that runs several apps: one section per app, "
	      "NAME made of letters, digits, '_', '.' and '\\-'. Each log is judged by the routes "
	      "of the app that claims it; a log no app claims only by the statuses of "
	      "\\fBfail_status\\fP.\n"
	      ".TP\n.B follow = \\fIGLOB\\fP\nthe logs of the app (repeatable; absolute glob "
	      "patterns; one log claimed by two apps is refused)\n"
	      ".TP\n.B app = \\fIFILE|DIR\\fP\nits Flask source\n"
	      ".TP\nany key of [jail]\noverrides [jail] for this app alone (lists replace, as in a "
	      "fail2ban jail)\n"
	      ".SH FAIL2BAN CONFIGURATION\n"
	      "\\fB\\-\\-config\\fP naming fail2ban's \\fIjail.conf\\fP or \\fIjail.local\\fP "
	      "(or with \\fB\\-\\-jail\\fP) reads fail2ban's layout as fail2ban does: "
	      "\\fIjail.conf\\fP, \\fIjail.d/*.conf\\fP, \\fIjail.local\\fP, "
	      "\\fIjail.d/*.local\\fP in that order, each file followed by its own .local, "
	      "[INCLUDES] before/after, [DEFAULT], %(name)s interpolation. "
	      "Of the jails, warden takes the one named by \\fB\\-\\-jail\\fP \\fINAME\\fP, or the "
	      "one enabled jail whose logpath exists. From it: maxretry, findtime, bantime, "
	      "bantime.increment, bantime.factor, bantime.maxtime, ignoreip and any key of "
	      "warden's [jail]; logpath becomes what \\fBwarden watch\\fP follows; "
	      "filter = NAME[key=value, ...] loads \\fIfilter.d/NAME.conf\\fP and .local, whose "
	      "failregex, ignoreregex, prefregex and datepattern are compiled with PCRE2. "
	      "Settings warden has no use for (action, banaction, port, ...) make one warning; "
	      "settings whose meaning warden cannot honour (usedns = yes, ignoreself = false, an "
	      "ignorecommand, ...) are refused with the reason. "
	      "\\fBwarden check\\-config\\fP prints what takes effect.\n"
	      ".SH EXIT STATUS\n"
	      ".TP\n.B 0\nsuccess; \\fBwarden run\\fP: the app's own exit status, or 128 + the "
	      "signal that ended it\n"
	      ".TP\n.B 1\nthe command could not do its job (kernel, I/O, no warden run answering)\n"
	      ".TP\n.B 2\nbad input (an option, an argument, the configuration): nothing was "
	      "changed\n"
	      ".TP\n.B 69\n\\fBwarden run\\fP gave up restarting the app (\\-\\-max\\-restarts, "
	      "\\-\\-start\\-retries)\n"
	      ".SH FILES\n"
	      ".TP\n.I /sys/fs/bpf/warden\nthe pinned ban maps (\\-\\-pin\\-path; readable with "
	      "bpftool)\n"
	      ".TP\n.I /var/lib/warden\nread offsets, ban snapshots, analytics history "
	      "(\\-\\-state\\-dir)\n"
	      ".TP\n.I /run/warden/warden.sock\nthe status socket of \\fBwarden run\\fP "
	      "(\\-\\-control)\n"
	      ".TP\n.I /etc/warden/NAME.conf, /etc/warden/NAME.env\nthe settings and the app's "
	      "command line of the systemd unit warden@NAME\n"
	      ".TP\n.I /etc/fail2ban/jail.conf, /etc/fail2ban/jail.local\nfail2ban's configuration, "
	      "read with \\-\\-config\n"
	      ".SH SEE ALSO\n\\fBbpftool\\fP(8), \\fBfail2ban\\fP(1), \\fBxdp-filter\\fP(8)\n", out);
}

int main(int argc, char **argv)
{
	size_t i;

	log__setup(0, LOG_INFO);
	libbpf_set_print(log__libbpf_print);

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V") ||
	    !strcmp(argv[1], "version")) {
		printf("warden %s\n", WARDEN_VERSION);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "manpage")) {
		manpage(stdout);
		return EXIT_OK;
	}
	for (i = 0; i < N_COMMANDS; i++) {
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	}
	fprintf(stderr, "warden: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
