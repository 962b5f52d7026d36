// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* options.c - every command's options from one table (options.def): parsing, --help, the man page. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "control.h"
#include "options.h"

struct cli_option {
	const char *name;    /* --name */
	const char *arg;     /* the value's name in --help ("T", "DIR"), NULL for a flag */
	unsigned cmds;       /* the OPTS_* of the commands that take it */
	enum option_id id;   /* what handlers are told (OPT_NONE: a key of run/watch only) */
	char short_name;     /* -c, or 0 */
	const char *section; /* the file's section of key ("warden", "jail"), NULL for an alias */
	const char *key;     /* config key (run, watch, check-config), NULL: command line only */
	const char *help;    /* one line for --help and the man page; NULL: an alias, not listed */
};

#define KEY(name, arg, cmds, id, section, key, setter, list, help) \
	{ name, arg, cmds, id, 0, #section, key, help },
#define OPT(name, short_name, arg, cmds, id, help) \
	{ name, arg, cmds, id, short_name, NULL, NULL, help },
#define ALIAS(name, arg, cmds, key) { name, arg, cmds, OPT_NONE, 0, NULL, key, NULL },
static const struct cli_option options[] = {
#include "options.def"
};
#undef KEY
#undef OPT
#undef ALIAS
#define N_OPTIONS (sizeof(options) / sizeof(options[0]))

/* getopt's val of an option of the command, and of one of another command. */
#define VAL_OWN 0x1000
#define VAL_FOREIGN 0x2000

typedef int (*handle_fn)(const struct options_cmd *c, const struct cli_option *o,
			 const char *value, void *arg);

static bool named(const struct option *longopts, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(longopts[i].name, name))
			return true;
	return false;
}

/* How many options of longopts start with the len characters of text; print them to out. */
static int prefix_matches(const struct option *longopts, const char *text, size_t len, FILE *out)
{
	int n = 0;

	for (; longopts->name; longopts++) {
		if (strncmp(longopts->name, text, len))
			continue;
		n++;
		if (out)
			fprintf(out, " '--%s'", longopts->name);
	}
	return n;
}

/* An option getopt refused ('?' or ':'): say why. */
static void refused(const struct options_cmd *c, int ch, const struct option *longopts,
		    const char *text)
{
	const char *name = NULL;
	size_t i, len;

	if (optopt >= VAL_OWN && optopt < VAL_FOREIGN) {
		name = options[optopt - VAL_OWN].name;
	} else if (optopt) {
		for (i = 0; i < N_OPTIONS; i++)
			if (options[i].short_name == optopt && (options[i].cmds & c->which))
				name = options[i].name;
	}
	if (ch == ':' && name)
		fprintf(stderr, "warden %s: --%s needs a value\n", c->name, name);
	else if (name)
		fprintf(stderr, "warden %s: --%s takes no value\n", c->name, name);
	else if (optopt)
		fprintf(stderr, "warden %s: unknown option '-%c'\n", c->name, optopt);
	else {
		len = strcspn(text, "=");
		if (!strncmp(text, "--", 2) && prefix_matches(longopts, text + 2, len - 2, NULL) > 1) {
			fprintf(stderr, "warden %s: option '%.*s' is ambiguous; possibilities:",
				c->name, (int)len, text);
			prefix_matches(longopts, text + 2, len - 2, stderr);
			fputc('\n', stderr);
		} else
			fprintf(stderr, "warden %s: unknown option '%s'\n", c->name, text);
	}
}

/* The option of another command: say whose. */
static void not_here(const struct options_cmd *c, const struct cli_option *o)
{
	unsigned agents = OPTS_RUN | OPTS_WATCH;

	if ((c->which & agents) && (o->cmds & agents))
		fprintf(stderr, "warden %s: --%s is an option of warden %s only\n", c->name,
			o->name, (o->cmds & OPTS_RUN) ? "run" : "watch");
	else
		fprintf(stderr, "warden %s: --%s does not apply here\n", c->name, o->name);
}

/*
 * getopt_long() over the options of c->which, each handed to handle. The
 * options of other commands are known to getopt too, so that they are told
 * apart from typos and never taken for an abbreviation of one of c's.
 */
static int getopt_table(const struct options_cmd *c, int argc, char **argv, handle_fn handle,
			void *arg)
{
	struct option longopts[N_OPTIONS + 1];
	char optstring[2 * N_OPTIONS + 3];
	size_t i, n = 0, s = 0;
	int ch, err;

	if (c->in_order)
		optstring[s++] = '+';
	optstring[s++] = ':'; /* a missing value: ':', not '?' */
	for (i = 0; i < N_OPTIONS; i++) {
		const struct cli_option *o = &options[i];

		if (!(o->cmds & c->which) || named(longopts, n, o->name))
			continue;
		longopts[n++] = (struct option){ o->name, o->arg ? required_argument : no_argument,
						 NULL, VAL_OWN + (int)i };
		if (o->short_name) {
			optstring[s++] = o->short_name;
			if (o->arg)
				optstring[s++] = ':';
		}
	}
	optstring[s] = '\0';
	for (i = 0; i < N_OPTIONS; i++)
		if (!named(longopts, n, options[i].name))
			longopts[n++] = (struct option){ options[i].name, optional_argument, NULL,
							 VAL_FOREIGN + (int)i };
	longopts[n] = (struct option){ 0 };

	opterr = 0;
	optind = 0; /* 0: start afresh (a second pass, another command) */
	while ((ch = getopt_long(argc, argv, optstring, longopts, NULL)) != -1) {
		const struct cli_option *o = NULL;

		if (ch == '?' || ch == ':') {
			refused(c, ch, longopts, argv[optind - 1]);
			goto bad;
		}
		if (ch >= VAL_FOREIGN) {
			not_here(c, &options[ch - VAL_FOREIGN]);
			goto bad;
		}
		if (ch >= VAL_OWN) {
			o = &options[ch - VAL_OWN];
		} else {
			for (i = 0; i < N_OPTIONS && !o; i++)
				if (options[i].short_name == ch && (options[i].cmds & c->which))
					o = &options[i];
		}
		err = handle(c, o, optarg, arg);
		if (err)
			return err;
	}
	return 0;
bad:
	if (c->bad_usage)
		fputs(c->bad_usage, stderr);
	return -EINVAL;
}

static int to_handler(const struct options_cmd *c, const struct cli_option *o, const char *value,
		      void *arg)
{
	(void)arg;
	if (o->id == OPT_HELP) {
		options__usage(stdout, c->which, c->usage);
		return 1;
	}
	if (o->id == OPT_NONE) { /* options.def gives c an option without telling it */
		fprintf(stderr, "warden %s: --%s is not handled\n", c->name, o->name);
		return -EINVAL;
	}
	return c->set(c->ctx, o->id, value);
}

int options__getopt(const struct options_cmd *c, int argc, char **argv)
{
	return getopt_table(c, argc, argv, to_handler, NULL);
}

/* warden run, watch, check-config: the first pass reads the --config files. */
struct agent_pass {
	struct cli_opts *o;
	const char *jail; /* --jail, which says how --config is read */
	bool first;       /* the first pass, else the second */
};

static int agent_option(const struct options_cmd *c, const struct cli_option *opt,
			const char *value, void *arg)
{
	struct agent_pass *p = arg;
	struct cli_opts *o = p->o;
	char err[512];

	if (p->first) {
		if (opt->id == OPT_CONFIG &&
		    config__load_jail(&o->cfg, value, p->jail, err, sizeof(err))) {
			fprintf(stderr, "warden %s: %s\n", c->name, err);
			return -EINVAL;
		}
		return 0;
	}
	if (opt->key) {
		if (config__set(&o->cfg, NULL, opt->key, value ? value : "true", err, sizeof(err))) {
			fprintf(stderr, "warden %s: --%s: %s\n", c->name, opt->name, err);
			return -EINVAL;
		}
		return 0;
	}
	switch (opt->id) {
	case OPT_HELP:
		options__usage(stdout, c->which, c->usage);
		return 1;
	case OPT_JAIL:
		if (!o->cfg.jail_name[0]) {
			fprintf(stderr, "warden %s: --jail goes with --config FILE of fail2ban's "
				"(jail.conf, jail.local)\n", c->name);
			return -EINVAL;
		}
		return 0;
	case OPT_LOADER:
		if (xdp_attach__parse_loader(value, &o->loader)) {
			fprintf(stderr, "warden %s: --loader is auto, libxdp or libbpf\n", c->name);
			return -EINVAL;
		}
		return 0;
	case OPT_VERBOSE:
		o->verbose = true;
		return 0;
	default: /* --config: read in the first pass */
		return 0;
	}
}

int options__parse(const char *cmd, unsigned which, const char *usage, int argc, char **argv,
		   struct cli_opts *o)
{
	struct options_cmd c = { .name = cmd, .which = which, .usage = usage, .in_order = true };
	struct agent_pass p = { .o = o, .first = true };
	char err[512];
	int i, ret;

	config__defaults(&o->cfg);
	/* --jail says how --config is read: find it first, wherever it stands. */
	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strncmp(argv[i], "--jail=", 7))
			p.jail = argv[i] + 7;
		else if (!strcmp(argv[i], "--jail") && i + 1 < argc)
			p.jail = argv[++i];
	}
	o->loader = LOADER_AUTO;
	o->verbose = false;

	ret = getopt_table(&c, argc, argv, agent_option, &p);
	if (ret)
		return ret;
	p.first = false;
	ret = getopt_table(&c, argc, argv, agent_option, &p);
	if (ret)
		return ret;
	if (config__check(&o->cfg, err, sizeof(err))) {
		fprintf(stderr, "warden %s: %s\n", cmd, err);
		return -EINVAL;
	}
	for (i = 0; i < o->cfg.n_notes; i++)
		fprintf(stderr, "warden %s: warning: %s\n", cmd, o->cfg.notes[i]);
	o->first_arg = optind;
	return 0;
}

/* "-w, --write FILE", "--pin-path DIR", "--json": how --help and the man page name an option. */
static const char *spelled(const struct cli_option *o, char *buf, size_t len)
{
	char dash[8] = "";

	if (o->short_name)
		snprintf(dash, sizeof(dash), "-%c, ", o->short_name);
	snprintf(buf, len, "%s--%s%s%s", dash, o->name, o->arg ? " " : "", o->arg ? o->arg : "");
	return buf;
}

void options__usage(FILE *out, unsigned which, const char *head)
{
	char name[64];
	size_t i, len = strlen(head);

	fputs(head, out);
	if (len < 2 || strcmp(head + len - 2, "\n\n"))
		fputs("\n", out);
	for (i = 0; i < N_OPTIONS; i++) {
		const struct cli_option *o = &options[i];

		if (!(o->cmds & which) || !o->help)
			continue;
		spelled(o, name, sizeof(name));
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

void options__man(FILE *out, unsigned which, unsigned mask)
{
	char name[64];
	size_t i;

	for (i = 0; i < N_OPTIONS; i++) {
		const struct cli_option *o = &options[i];

		if ((o->cmds & mask) != which || !o->help || o->id == OPT_HELP)
			continue;
		fputs(".TP\n.B \"\\%", out); /* \%: never hyphenated */
		man_text(out, spelled(o, name, sizeof(name)));
		fputs("\"\n", out);
		man_text(out, o->help);
		if (o->key && (which & (OPTS_RUN | OPTS_WATCH | OPTS_CHECK_CONFIG))) {
			fputs(" (config key \\fB", out);
			man_text(out, o->key);
			fputs("\\fP)", out);
		}
		fputc('\n', out);
	}
}

void options__man_keys(FILE *out, const char *section)
{
	size_t i;

	for (i = 0; i < N_OPTIONS; i++) {
		const struct cli_option *o = &options[i];

		if (!o->section || strcmp(o->section, section))
			continue;
		fputs(".TP\n.B ", out);
		man_text(out, o->key);
		fputs(" = \\fI", out);
		man_text(out, o->arg ? o->arg : "true|false");
		fputs("\\fP\n", out);
		man_text(out, o->help);
		fputs(" (\\fB\\%", out);
		man_text(out, "--");
		man_text(out, o->name);
		fputs("\\fP)\n", out);
	}
}
