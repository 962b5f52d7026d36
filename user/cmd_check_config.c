// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* cmd_check_config.c - "warden check-config": read the settings, print what takes effect (fail2ban-client -t). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "f2bconf.h"
#include "f2bfilter.h"
#include "options.h"
#include "timeutil.h"

static const char *usage_text =
	"usage: warden check-config [--config FILE] [--jail NAME] [OPTION...]\n"
	"Read the settings as warden run and warden watch would (fail2ban's jail.conf\n"
	"and jail.local with their jail.d/, filter.d/ and includes, or warden's own\n"
	"file, then the options), print the settings that take effect and every\n"
	"warning. Exit 0 when warden would start with them, 2 when it would refuse.\n";

static const char *dur(uint64_t ns, char *buf, size_t len)
{
	if (ns % NSEC_PER_SEC)
		return time__format_duration(ns, buf, len);
	snprintf(buf, len, "%llus", (unsigned long long)(ns / NSEC_PER_SEC));
	return buf;
}

static void print_prefixes(const char *key, const struct prefix *p, int n,
			   const char (*names)[CONFIG_NAME_LEN], int n_names)
{
	char buf[PREFIX_STRLEN];
	int i;

	printf("%s =", key);
	for (i = 0; i < n; i++)
		printf(" %s", prefix__format(&p[i], buf, sizeof(buf)));
	for (i = 0; i < n_names; i++)
		printf(" %s", names[i]);
	printf("\n");
}

/* The filter's regexes as warden compiles them; 0 or -errno with err. */
static int print_filter(const struct warden_config *c, char *err, size_t errlen)
{
	struct f2b_filter *f;
	int i;

	f = f2bfilter__load(c->filter_dir, c->filter, err, errlen);
	if (!f)
		return -errno;
	printf("filter = %s (%s)\n", c->filter, c->filter_dir);
	for (i = 0; i < f2bfilter__count(f, F2B_FAILREGEX); i++)
		printf("failregex[%d] = %s\n", i + 1, f2bfilter__source(f, F2B_FAILREGEX, i));
	for (i = 0; i < f2bfilter__count(f, F2B_IGNOREREGEX); i++)
		printf("ignoreregex[%d] = %s\n", i + 1, f2bfilter__source(f, F2B_IGNOREREGEX, i));
	for (i = 0; i < f2bfilter__count(f, F2B_DATEPATTERN); i++)
		printf("datepattern[%d] = %s\n", i + 1, f2bfilter__source(f, F2B_DATEPATTERN, i));
	f2bfilter__free(f);
	return 0;
}

int cmd_check_config(int argc, char **argv)
{
	struct cli_opts o;
	char b1[32], b2[32], err[1024];
	const struct warden_config *c;
	int ret, i;

	ret = options__parse("check-config", OPTS_RUN | OPTS_WATCH, usage_text, argc, argv, &o);
	if (ret) {
		config__free(&o.cfg);
		return ret > 0 ? EXIT_OK : EXIT_USAGE;
	}
	c = &o.cfg;
	if (o.first_arg < argc) {
		fprintf(stderr, "warden check-config: unexpected argument '%s'\n", argv[o.first_arg]);
		config__free(&o.cfg);
		return EXIT_USAGE;
	}
	if (c->jail_name[0])
		printf("jail = %s\n", c->jail_name);
	printf("maxretry = %u\n", c->jail.maxretry);
	printf("findtime = %s\n", dur(c->jail.findtime_ns, b1, sizeof(b1)));
	if (c->jail.bantime_permanent)
		printf("bantime = -1 (permanent)\n");
	else
		printf("bantime = %s\n", dur(c->jail.bantime_ns, b1, sizeof(b1)));
	printf("bantime.increment = %s\n", c->jail.increment ? "true" : "false");
	printf("bantime.factor = %g\n", c->jail.factor);
	printf("bantime.maxtime = %s\n", dur(c->jail.maxtime_ns, b2, sizeof(b2)));
	print_prefixes("ignoreip", c->ignore, c->n_ignore, c->ignore_names, c->n_ignore_names);
	printf("fail_status =");
	for (i = 0; i < c->n_fail_status; i++)
		printf(" %d", c->fail_status[i]);
	printf("\nfollow =");
	for (i = 0; i < c->n_follow; i++)
		printf(" %s", c->follow[i]);
	printf("\nlog_format = %s\n", c->log_format);
	ret = EXIT_OK;
	if (c->filter[0]) {
		if (print_filter(c, err, sizeof(err))) {
			fprintf(stderr, "warden check-config: filter %s: %s\n", c->filter, err);
			ret = EXIT_USAGE;
		}
	} else {
		printf("filter = (none: warden's own verdicts)\n");
	}
	printf("warnings = %d\n", c->n_notes);
	config__free(&o.cfg);
	return ret;
}
