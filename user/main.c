// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* main.c - warden's entry point: find the subcommand and run it. */
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "cli.h"
#include "log.h"

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
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	}
	fprintf(stderr, "warden: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
