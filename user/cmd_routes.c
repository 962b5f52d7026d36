// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* cmd_routes.c - "warden routes": print the routes learned from a Flask app, or match paths. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>

#include "cli.h"
#include "config.h"
#include "options.h"
#include "routes.h"
#include "routes_learn.h"

struct routes_opts {
	bool json;
	bool match;
	const char *method; /* --method, GET by default */
	const char *app;    /* file or folder */
	char **paths;       /* with --match; none: read stdin */
	int npaths;
	bool from_flask;    /* --from flask */
	const char *python; /* --python, the interpreter --from flask runs */
	char extra[CONFIG_MAX_EXTRA_ROUTES][512]; /* --extra-route */
	int nextra;
};

static const char *usage_text =
	"usage: warden routes [--json] [--from source|flask] [--python PY] [--extra-route R]... APP\n"
	"       warden routes --match [--method M] [--json] [...] APP [PATH...]\n"
	"Read the routes of a Flask app from its source (APP: a .py file, which brings\n"
	"the local modules it imports, or a folder of them; the code is never run).\n"
	"What could not be learned is said on stderr, with file:line and why.\n"
	"--from flask imports the app with PY (python3 by default) in a child without\n"
	"capabilities, killed after 15 s, and lists app.url_map instead; if that fails\n"
	"it says why and reads the source. --extra-route \"[METHODS ]RULE\" adds a rule\n"
	"(repeatable), as the extra_routes setting does.\n"
	"Without --match, print each rule and its methods: 'RULE METHODS'.\n"
	"With --match, decide for each PATH (as found in an access log; read one per\n"
	"line from stdin when none is given) what Werkzeug would do with method M\n"
	"(GET by default) and print 'VERDICT RULE PATH', VERDICT being match,\n"
	"redirect, method (405) or unknown (404), RULE the deciding rule or '-'.\n"
	"--json prints one JSON object per line instead.\n";

/* One option: 0 or -EINVAL (said, with the usage). */
static int routes_option(void *ctx, enum option_id id, const char *value)
{
	struct routes_opts *o = ctx;

	switch (id) {
	case OPT_JSON:
		o->json = true;
		break;
	case OPT_MATCH:
		o->match = true;
		break;
	case OPT_FROM:
		if (strcmp(value, "flask") && strcmp(value, "source")) {
			fprintf(stderr, "warden routes: --from takes source or flask\n%s", usage_text);
			return -EINVAL;
		}
		o->from_flask = !strcmp(value, "flask");
		break;
	case OPT_PYTHON:
		o->python = value;
		break;
	case OPT_EXTRA_ROUTE:
		if (o->nextra == CONFIG_MAX_EXTRA_ROUTES || strlen(value) >= sizeof(o->extra[0])) {
			fprintf(stderr, "warden routes: too many or too long --extra-route\n%s",
				usage_text);
			return -EINVAL;
		}
		snprintf(o->extra[o->nextra++], sizeof(o->extra[0]), "%s", value);
		break;
	case OPT_METHOD:
		if (!*value) {
			fprintf(stderr, "warden routes: --method needs a method name\n%s", usage_text);
			return -EINVAL;
		}
		o->method = value;
		break;
	default:
		break;
	}
	return 0;
}

/* 0, 1 when the help was printed, or -EINVAL. */
static int parse_args(int argc, char **argv, struct routes_opts *o)
{
	const struct options_cmd cmd = {
		.name = "routes", .which = OPTS_ROUTES, .usage = usage_text,
		.bad_usage = usage_text, .set = routes_option, .ctx = o,
	};
	int err;

	memset(o, 0, sizeof(*o));
	o->method = "GET";
	err = options__getopt(&cmd, argc, argv);
	if (err)
		return err;
	if (optind >= argc) {
		fprintf(stderr, "warden routes: missing APP\n");
		goto usage;
	}
	o->app = argv[optind++];
	if (!o->match && optind < argc) {
		fprintf(stderr, "warden routes: paths given without --match\n");
		goto usage;
	}
	o->paths = argv + optind;
	o->npaths = argc - optind;
	return 0;
usage:
	fprintf(stderr, "%s", usage_text);
	return -EINVAL;
}

static void print_json(struct json_object *obj)
{
	printf("%s\n", json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
							  JSON_C_TO_STRING_NOSLASHESCAPE));
}

static int list_rules(const struct routes *rs, bool json)
{
	char methods[512];
	const char *rule;
	size_t i;

	for (i = 0; i < routes__count(rs); i++) {
		routes__rule(rs, i, &rule, methods, sizeof(methods));
		if (json) {
			struct json_object *obj = json_object_new_object(), *arr = json_object_new_array();
			char *m, *save = NULL;

			for (m = strtok_r(methods, ",", &save); m; m = strtok_r(NULL, ",", &save))
				json_object_array_add(arr, json_object_new_string(m));
			json_object_object_add(obj, "rule", json_object_new_string(rule));
			json_object_object_add(obj, "methods", arr);
			print_json(obj);
			json_object_put(obj);
		} else {
			printf("%s %s\n", rule, methods);
		}
	}
	return EXIT_OK;
}

static void match_one(const struct routes *rs, const struct routes_opts *o, const char *path, size_t len)
{
	const char *rule;
	enum route_verdict v = routes__match(rs, o->method, path, len, &rule);

	if (o->json) {
		struct json_object *obj = json_object_new_object();

		json_object_object_add(obj, "verdict", json_object_new_string(route_verdict__name(v)));
		json_object_object_add(obj, "rule", rule ? json_object_new_string(rule) : NULL);
		json_object_object_add(obj, "path", json_object_new_string_len(path, len));
		json_object_object_add(obj, "method", json_object_new_string(o->method));
		print_json(obj);
		json_object_put(obj);
	} else {
		printf("%s %s %.*s\n", route_verdict__name(v), rule ? rule : "-", (int)len, path);
	}
}

static int match_paths(const struct routes *rs, const struct routes_opts *o)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int i;

	for (i = 0; i < o->npaths; i++)
		match_one(rs, o, o->paths[i], strlen(o->paths[i]));
	if (o->npaths)
		return EXIT_OK;
	while ((n = getline(&line, &cap, stdin)) >= 0) {
		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			n--;
		match_one(rs, o, line, n);
	}
	free(line);
	return EXIT_OK;
}

int cmd_routes(int argc, char **argv)
{
	struct routes_opts o;
	struct routes *rs;
	char err[512] = "";
	int rc;

	rc = parse_args(argc, argv, &o);
	if (rc)
		return rc > 0 ? EXIT_OK : EXIT_USAGE;
	{
		char how[64];

		rs = routes_learn__load(&(struct routes_learn_opts){
						.source = o.app,
						.python = o.python ? o.python : "python3",
						.from_flask = o.from_flask,
						.extra = (const char(*)[512])o.extra,
						.n_extra = o.nextra,
					},
					how, sizeof(how), err, sizeof(err));
		routes__say_notes(rs);
	}
	if (!rs) {
		fprintf(stderr, "warden routes: %s\n", *err ? err : strerror(errno));
		/* An unreadable or missing app is bad input; only memory is our failure. */
		return errno == ENOMEM ? EXIT_FAIL : EXIT_USAGE;
	}
	rc = o.match ? match_paths(rs, &o) : list_rules(rs, o.json);
	routes__free(rs);
	return rc;
}
