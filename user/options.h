/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* options.h - the command-line options of warden run and warden watch: config keys, one parser. */
#ifndef WARDEN_OPTIONS_H
#define WARDEN_OPTIONS_H

#include <stdbool.h>
#include <stdio.h>

#include "config.h"
#include "xdp_attach.h"

/* Which commands take an option. */
enum {
	OPTS_RUN = 1 << 0,   /* warden run */
	OPTS_WATCH = 1 << 1, /* warden watch */
};

/* What the command line said. */
struct cli_opts {
	struct warden_config cfg; /* defaults, then --config FILE, then the options */
	enum xdp_loader loader;   /* --loader */
	bool verbose;             /* --verbose */
	int first_arg;            /* index of the first argument after the options (argc: none) */
};

/*
 * Parse "--name value", "--name=value" and flags up to "--" or the first
 * argument that is not an option (-h is --help). Most options are config
 * keys (the INI names with '-' for '_' or '.'), so that one validation path
 * serves the file and the command line; a flag sets its key to "true". The
 * config file is read first, wherever --config stands, so that every other
 * option overrides it. cmd names the command in messages ("run"), which
 * one of OPTS_RUN / OPTS_WATCH it is, usage is printed for --help.
 *
 * Ends with config__check(). Returns 0, 1 when --help was printed, or
 * -EINVAL after printing the reason on stderr. o->cfg is to be
 * config__free()d whatever the result.
 */
int options__parse(const char *cmd, unsigned which, const char *usage, int argc, char **argv,
		   struct cli_opts *o);

/* --help: head, then every option of which (OPTS_RUN or OPTS_WATCH) with its help. */
void options__usage(FILE *out, unsigned which, const char *head);

/* The options taken by exactly the commands in which, as troff .TP paragraphs (warden manpage). */
void options__man(FILE *out, unsigned which);

#endif
