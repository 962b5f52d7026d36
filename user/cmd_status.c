// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* cmd_status.c - warden status: what a running warden run sees of its app. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>

#include "cli.h"
#include "control.h"
#include "options.h"
#include "timeutil.h"

static const char *usage_text =
	"usage: warden status [--control PATH] [--json]\n"
	"Asks the warden run listening at PATH (default " CONTROL_DEFAULT_PATH ")\n"
	"for its app's pid, uptime, restarts, watcher, requests in flight and fleet link.\n";

static const char *str_or(struct json_object *o, const char *key, const char *dflt)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && v ? json_object_get_string(v) : dflt;
}

static int64_t int_of(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && v ? json_object_get_int64(v) : -1;
}

/* URLs the app served that the learned routes do not have: where learning fell short. */
static void print_unlearned(struct json_object *st)
{
	struct json_object *log, *list, *e;
	size_t i, n;

	if (!json_object_object_get_ex(st, "unlearned", &list) || !list ||
	    !(n = json_object_array_length(list)))
		return;
	json_object_object_get_ex(st, "log", &log);
	printf("unlearned %lld request%s served by the app on URLs not learned (not failures):\n",
	       (long long)int_of(log, "app_served_unlearned"),
	       int_of(log, "app_served_unlearned") == 1 ? "" : "s");
	for (i = 0; i < n && i < 10; i++) {
		e = json_object_array_get_idx(list, i);
		printf("          %-7s %s (%lld, first answered %lld)\n", str_or(e, "method", "?"),
		       str_or(e, "path", "?"), (long long)int_of(e, "count"),
		       (long long)int_of(e, "status"));
	}
	if (n > 10)
		printf("          ... %zu more shapes (warden status --json)\n", n - 10);
}

static void print_human(struct json_object *st)
{
	struct json_object *cmd, *log, *watch, *fleet, *v;
	char up[32], age[32], command[512] = "";
	size_t i;

	if (json_object_object_get_ex(st, "command", &cmd))
		for (i = 0; i < json_object_array_length(cmd); i++)
			snprintf(command + strlen(command), sizeof(command) - strlen(command), "%s%s",
				 i ? " " : "", json_object_get_string(json_object_array_get_idx(cmd, i)));
	printf("app       %s\n", command);
	printf("state     %s", str_or(st, "state", "?"));
	if (int_of(st, "pid") > 0 && json_object_object_get_ex(st, "uptime_s", &v) && v)
		printf(", pid %lld, up %s", (long long)int_of(st, "pid"),
		       time__format_duration((uint64_t)(json_object_get_double(v) * 1e9), up,
					     sizeof(up)));
	printf(", %lld restart%s\n", (long long)int_of(st, "restarts"),
	       int_of(st, "restarts") == 1 ? "" : "s");
	if (json_object_object_get_ex(st, "watcher", &watch) && watch) {
		printf("watcher   %s", str_or(watch, "backend", "none"));
		if (int_of(watch, "in_flight") >= 0) {
			printf(", %lld request%s in flight", (long long)int_of(watch, "in_flight"),
			       int_of(watch, "in_flight") == 1 ? "" : "s");
			if (json_object_object_get_ex(watch, "oldest_age_s", &v) && v)
				printf(", the oldest for %s",
				       time__format_duration((uint64_t)(json_object_get_double(v) * 1e9),
							     age, sizeof(age)));
		}
		printf("\n");
	}
	if (json_object_object_get_ex(st, "log", &log))
		printf("log       %lld lines, %lld requests, %lld failures, %lld bans%s\n",
		       (long long)int_of(log, "lines"), (long long)int_of(log, "requests"),
		       (long long)int_of(log, "failures"), (long long)int_of(log, "bans"),
		       json_object_get_boolean(json_object_object_get(st, "dry_run")) ? " (dry-run)" : "");
	print_unlearned(st);
	if (json_object_object_get_ex(st, "fleet", &fleet) && fleet) {
		printf("fleet     %s as %s, %s", str_or(fleet, "redis", "?"), str_or(fleet, "name", "?"),
		       json_object_get_boolean(json_object_object_get(fleet, "connected"))
			       ? "connected" : "DOWN: ");
		if (!json_object_get_boolean(json_object_object_get(fleet, "connected")))
			printf("%s", str_or(fleet, "error", "?"));
		printf("; %lld published (%lld pending), %lld received, %lld applied, %lld refused, "
		       "last lag %.0f ms\n",
		       (long long)int_of(fleet, "published"), (long long)int_of(fleet, "pending"),
		       (long long)int_of(fleet, "received"), (long long)int_of(fleet, "applied"),
		       (long long)int_of(fleet, "refused_total"),
		       json_object_get_double(json_object_object_get(fleet, "last_lag_s")) * 1e3);
	}
}

struct status_opts {
	const char *path; /* --control */
	bool json;        /* --json */
};

static int status_option(void *ctx, enum option_id id, const char *value)
{
	struct status_opts *o = ctx;

	if (id == OPT_CONTROL)
		o->path = value;
	else if (id == OPT_JSON)
		o->json = true;
	return 0;
}

int cmd_status(int argc, char **argv)
{
	struct status_opts o = { .path = CONTROL_DEFAULT_PATH };
	const struct options_cmd cmd = {
		.name = "status", .which = OPTS_STATUS, .usage = usage_text,
		.bad_usage = usage_text, .set = status_option, .ctx = &o,
	};
	const char *path;
	struct json_object *st;
	char *text;
	int ret;

	ret = options__getopt(&cmd, argc, argv);
	if (ret)
		return ret > 0 ? EXIT_OK : EXIT_USAGE;
	if (optind < argc) {
		fprintf(stderr, "warden status: unexpected argument '%s'\n%s", argv[optind], usage_text);
		return EXIT_USAGE;
	}
	path = o.path;
	text = control__query(path);
	if (!text) {
		fprintf(stderr, "warden status: no warden run answers at %s: %s\n", path,
			strerror(errno));
		return EXIT_FAIL;
	}
	st = json_tokener_parse(text);
	if (!st) {
		fprintf(stderr, "warden status: unreadable answer from %s\n", path);
		free(text);
		return EXIT_FAIL;
	}
	if (o.json)
		printf("%s", text);
	else
		print_human(st);
	json_object_put(st);
	free(text);
	return EXIT_OK;
}
