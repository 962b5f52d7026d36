/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* options.h - every command's options from one table (options.def): parsing, --help, the man page. */
#ifndef WARDEN_OPTIONS_H
#define WARDEN_OPTIONS_H

#include <stdbool.h>
#include <stdio.h>

#include "config.h"
#include "xdp_attach.h"

/* Which commands take an option (options.def), one bit per command. */
enum {
	OPTS_RUN = 1 << 0,           /* warden run */
	OPTS_WATCH = 1 << 1,         /* warden watch */
	OPTS_CHECK_CONFIG = 1 << 2,  /* warden check-config (it takes run's and watch's too) */
	OPTS_ATTACH = 1 << 3,
	OPTS_DETACH = 1 << 4,
	OPTS_BAN = 1 << 5,
	OPTS_UNBAN = 1 << 6,
	OPTS_ALLOW = 1 << 7,
	OPTS_UNALLOW = 1 << 8,
	OPTS_LIST = 1 << 9,
	OPTS_STATS = 1 << 10,
	OPTS_THROTTLE = 1 << 11,
	OPTS_SHED = 1 << 12,
	OPTS_CAPTURE = 1 << 13,
	OPTS_ROUTES = 1 << 14,
	OPTS_PARSE = 1 << 15,
	OPTS_STATUS = 1 << 16,
};

/* What a command's handler is told an option is (the id column of options.def). */
enum option_id {
	OPT_NONE = 0, /* a key of warden run/watch only: never handed to a handler */
	OPT_HELP,
	OPT_CONFIG,
	OPT_JAIL,
	OPT_VERBOSE,
	OPT_LOADER,
	OPT_PIN_PATH,
	OPT_MODE,
	OPT_ALL,
	OPT_FOR,
	OPT_REASON,
	OPT_FILE,
	OPT_PRIORITY,
	OPT_FOLLOW,
	OPT_ALLOW,
	OPT_JSON,
	OPT_RESOLVE_INTERVAL,
	OPT_FLEET,
	OPT_FLEET_PREFIX,
	OPT_FLEET_PASSWORD_FILE,
	OPT_FLEET_NAME,
	OPT_CONTROL,
	OPT_CONN_RATE,
	OPT_BURST,
	OPT_PKT_RATE,
	OPT_PKT_BURST,
	OPT_LIST,
	OPT_REMOVE,
	OPT_IPV6_PREFIX,
	OPT_KNOWN_FOR,
	OPT_WRITE,
	OPT_COUNT,
	OPT_DURATION,
	OPT_SNAPLEN,
	OPT_RATE,
	OPT_STATUS,
	OPT_MATCH,
	OPT_METHOD,
	OPT_FROM,
	OPT_PYTHON,
	OPT_EXTRA_ROUTE,
	OPT_APP,
	OPT_LOG_REGEX,
	OPT_FAIL_STATUS,
	OPT_FORMAT,
	OPT_PRINT_MISSED,
	OPT_SUMMARY,
};

/*
 * A command's handler of one option: value is its text (NULL for a flag).
 * Returns 0, or -EINVAL after printing the reason on stderr.
 */
typedef int (*option_fn)(void *ctx, enum option_id id, const char *value);

/* How one command parses its command line. */
struct options_cmd {
	const char *name;        /* "ban", in messages: "warden ban: ..." */
	unsigned which;          /* its OPTS_* bit */
	const char *usage;       /* the head of --help, before the list of options */
	const char *bad_usage;   /* printed on stderr after an unknown or misused option; NULL: none */
	bool in_order;           /* options end at the first argument (run's CMD); else getopt's
				    default: arguments may stand between options */
	option_fn set;           /* called for each option in order, with ctx */
	void *ctx;
};

/*
 * Parse argv[1..] with getopt_long() from the options of c->which: "--name
 * value", "--name=value", flags, unambiguous abbreviations, -h for --help.
 * Every option but --help goes to c->set. On return getopt's optind
 * (<unistd.h>) indexes the first argument (after "--" if given).
 *
 * Returns 0, 1 when --help was printed on stdout, or -EINVAL after printing
 * the reason on stderr (then c->bad_usage for a malformed option).
 */
int options__getopt(const struct options_cmd *c, int argc, char **argv);

/* What the command line of warden run, watch and check-config said. */
struct cli_opts {
	struct warden_config cfg; /* defaults, then --config FILE, then the options */
	enum xdp_loader loader;   /* --loader */
	bool verbose;             /* --verbose */
	int first_arg;            /* index of the first argument after the options (argc: none) */
};

/*
 * warden run, watch and check-config: options__getopt() with the options in
 * order, most of them keys of the configuration (options.def), so that one
 * validation path (config__set()) serves the file and the command line; a
 * flag sets its key to "true". The config file is read first, wherever
 * --config stands, so that every other option overrides it. cmd names the
 * command in messages ("run"), which is its OPTS_* bits, usage the head of
 * --help.
 *
 * Ends with config__check(). Returns 0, 1 when --help was printed, or
 * -EINVAL after printing the reason on stderr. o->cfg is to be
 * config__free()d whatever the result.
 */
int options__parse(const char *cmd, unsigned which, const char *usage, int argc, char **argv,
		   struct cli_opts *o);

/* --help: head, then every option of which with its help. */
void options__usage(FILE *out, unsigned which, const char *head);

/*
 * As troff .TP paragraphs (warden manpage), the options whose commands, of
 * those in mask, are which: (OPTS_RUN, OPTS_RUN | OPTS_WATCH) lists those of
 * run and not watch, (OPTS_BAN, OPTS_BAN) every option of ban.
 */
void options__man(FILE *out, unsigned which, unsigned mask);

/* The keys of section ("warden", "jail") as troff .TP paragraphs, with their options. */
void options__man_keys(FILE *out, const char *section);

#endif
