// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* main.c - warden's entry point: find the subcommand and run it. */
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "cli.h"
#include "log.h"
#include "options.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "run", cmd_run, "run an app, parse its log, ban the clients that probe it" },
	{ "watch", cmd_watch, "follow log files others write (containers), ban the same way" },
	{ "status", cmd_status, "what a running 'warden run' sees of its app" },
	{ "attach", cmd_attach, "attach the XDP ban program to interfaces" },
	{ "detach", cmd_detach, "detach it from interfaces, or remove everything (--all)" },
	{ "ban", cmd_ban, "ban an address or prefix (or a file of them)" },
	{ "unban", cmd_unban, "lift a ban" },
	{ "allow", cmd_allow, "add a prefix to the allowlist" },
	{ "unallow", cmd_unallow, "remove a prefix from the allowlist" },
	{ "list", cmd_list, "list live bans and the allowlist" },
	{ "stats", cmd_stats, "print the XDP verdict counters" },
	{ "throttle", cmd_throttle, "per-client rate limits at XDP: new connections, packets" },
	{ "shed", cmd_shed, "shed load: new connections only from priority and known clients" },
	{ "capture", cmd_capture, "write a sample of the dropped packets to a pcap file" },
	{ "routes", cmd_routes, "print the routes learned from a Flask app, or match paths" },
	{ "check-config", cmd_check_config, "read the settings (fail2ban's jail.conf too), print what takes effect" },
	{ "parse", cmd_parse, "parse access-log lines into JSON (like fail2ban-regex)" },
};

static void usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: warden COMMAND [OPTIONS] [ARGS]\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n'warden COMMAND --help' tells more about each.\n");
}

/* warden.8, generated from the command and option tables (make builds it, make install installs it). */
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
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, ".TP\n.B %s\n%s\n", commands[i].name, commands[i].summary);
	fputs(".PP\n\\fBwarden \\fP\\fICOMMAND\\fP \\fB\\-\\-help\\fP lists the options of each.\n"
	      ".SH OPTIONS OF RUN AND WATCH\n"
	      "Most options are also keys of the INI file given with \\fB\\-\\-config\\fP "
	      "(section [warden] or [jail]); the command line overrides the file. "
	      "Durations (\\fIT\\fP) take s, m, h, d, w.\n", out);
	options__man(out, OPTS_RUN | OPTS_WATCH);
	fputs(".SS warden run only\n", out);
	options__man(out, OPTS_RUN & ~OPTS_WATCH);
	fputs(".SS warden watch only\n", out);
	options__man(out, OPTS_WATCH & ~OPTS_RUN);
	fputs(".SH EXIT STATUS\n"
	      "0 success (\\fBwarden run\\fP: the app's own status, or 128 + its signal); "
	      "1 the command could not do its job; 2 bad input, nothing changed; "
	      "69 \\fBwarden run\\fP gave up restarting the app.\n"
	      ".SH FILES\n.TP\n.I /sys/fs/bpf/warden\nthe pinned ban maps (readable with bpftool)\n"
	      ".TP\n.I /var/lib/warden\nread offsets, ban snapshots, analytics history\n"
	      ".TP\n.I /run/warden/warden.sock\nthe status socket of \\fBwarden run\\fP\n"
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
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	}
	fprintf(stderr, "warden: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
