// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* cmd_parse.c - "warden parse": access-log lines in, one JSON object per line out (like fail2ban-regex). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <json-c/json.h>
#include <json-c/printbuf.h>

#include "addr.h"
#include "cli.h"
#include "config.h"
#include "jail.h"
#include "log.h"
#include "logparse.h"
#include "options.h"
#include "routes.h"

struct parse_opts {
	enum log_format format;
	bool format_set;   /* --format was given */
	const char *regex; /* --log-regex, or NULL */
	const char *file;  /* NULL or "-": stdin */
	/* The verdicts of a jail (any of these given) */
	const char *app;    /* --app SOURCE: the routes */
	const char *config; /* --config FILE */
	const char *jail;   /* --jail NAME */
	const char *fail_status; /* --fail-status LIST */
	bool print_missed;  /* --print-missed: the lines that are no failure, as they are */
	bool json;          /* --json: verdicts and summary as JSON */
	bool summary;       /* --summary: no verdict per line, the summary only */
	bool verdicts;      /* any of the above: verdict mode */
};

static const char *usage_text =
	"usage: warden parse [--format F] [--log-regex RE] [FILE]\n"
	"       warden parse [--app SOURCE] [--config FILE [--jail NAME]] [--fail-status LIST]\n"
	"                    [--print-missed | --summary] [--json] [FILE]\n"
	"With any of --app, --config, --jail, --fail-status, --print-missed, --summary or\n"
	"--json: what warden run and watch would make of each line (a failure and its\n"
	"kind, a request and the route it matched, or why it is not an access line; with\n"
	"a fail2ban filter from --config, whether its failregex matched), then a summary like\n"
	"fail2ban-regex's: lines, access lines, failures by kind, lines not parsed by\n"
	"reason, failregex and date template hits, the clients that would be banned\n"
	"(bans timed by the lines' own timestamps). --print-missed prints the lines\n"
	"that are no failure, as they are, instead of every verdict; --summary none.\n"
	"Otherwise: parse access-log lines (FILE, or stdin when absent or '-') and print one JSON\n"
	"object per line: the client, method, path, status and time warden would see,\n"
	"\"http\":false for a request that was not HTTP, or {\"error\":REASON}.\n"
	"F: auto (default), werkzeug, common, combined, regex.\n"
	"RE: a PCRE2 pattern with named groups ip, method, path, status and optionally\n"
	"time (implies --format regex). Anchor it with ^ so that the client is the\n"
	"line's own. For uvicorn's 'INFO:     192.0.2.1:51234 - \"GET / HTTP/1.1\" 404':\n"
	"  '^INFO: +(?<ip>[0-9a-fA-F.:]+):[0-9]+ - \"(?<method>[A-Z]+) (?<path>[^ ]+) HTTP/[0-9.]+\" (?<status>[0-9]{3})'\n";

#define PARSE_BAD_USAGE "usage: warden parse [--format F] [--log-regex RE] [FILE] (see --help)\n"

/* One option: 0 or -EINVAL (said). */
static int parse_option(void *ctx, enum option_id id, const char *value)
{
	struct parse_opts *o = ctx;

	switch (id) {
	case OPT_FORMAT:
		if (log_format__parse(value, &o->format)) {
			fprintf(stderr, "warden parse: unknown format '%s'\n%s", value,
				PARSE_BAD_USAGE);
			return -EINVAL;
		}
		o->format_set = true;
		break;
	case OPT_LOG_REGEX:
		o->regex = value;
		break;
	case OPT_APP:
		o->app = value;
		o->verdicts = true;
		break;
	case OPT_CONFIG:
		o->config = value;
		o->verdicts = true;
		break;
	case OPT_JAIL:
		o->jail = value;
		o->verdicts = true;
		break;
	case OPT_FAIL_STATUS:
		o->fail_status = value;
		o->verdicts = true;
		break;
	case OPT_PRINT_MISSED:
		o->print_missed = true;
		o->verdicts = true;
		break;
	case OPT_JSON:
		o->json = true;
		o->verdicts = true;
		break;
	case OPT_SUMMARY:
		o->summary = true;
		o->verdicts = true;
		break;
	default:
		break;
	}
	return 0;
}

/* 0, 1 when the help was printed, or -EINVAL. */
static int parse_args(int argc, char **argv, struct parse_opts *o)
{
	const struct options_cmd cmd = {
		.name = "parse", .which = OPTS_PARSE, .usage = usage_text,
		.bad_usage = PARSE_BAD_USAGE, .set = parse_option, .ctx = o,
	};
	int err;

	memset(o, 0, sizeof(*o));
	err = options__getopt(&cmd, argc, argv);
	if (err)
		return err;
	if (o->regex && !o->format_set)
		o->format = LOGFMT_REGEX;
	if (o->regex && o->format != LOGFMT_REGEX) {
		fprintf(stderr, "warden parse: --log-regex goes with --format regex\n");
		goto usage;
	}
	if (!o->regex && o->format == LOGFMT_REGEX) {
		fprintf(stderr, "warden parse: --format regex needs --log-regex\n");
		goto usage;
	}
	if (o->jail && !o->config) {
		fprintf(stderr, "warden parse: --jail goes with --config\n");
		goto usage;
	}
	if (argc - optind > 1) {
		fprintf(stderr, "warden parse: one FILE at most\n");
		goto usage;
	}
	if (optind < argc && strcmp(argv[optind], "-"))
		o->file = argv[optind];
	return 0;
usage:
	fprintf(stderr, PARSE_BAD_USAGE);
	return -EINVAL;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if the byte starts none. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	/* No overlong forms, no surrogates, nothing past U+10FFFF. */
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++) {
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	}
	return len;
}

static unsigned utf8_code_point(const unsigned char *s, size_t len)
{
	unsigned cp = s[0] & (0x7f >> len);
	size_t i;

	for (i = 1; i < len; i++)
		cp = (cp << 6) | (s[i] & 0x3f);
	return cp;
}

/* C1 controls (U+0080..U+009F, U+009B is a CSI to some terminals) and U+2028/U+2029. */
static bool is_invisible(unsigned cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029;
}

/*
 * json-c serializer for a string of raw log bytes. json-c copies bytes >=
 * 0x80 as they are, which is invalid JSON when they are not UTF-8: valid
 * UTF-8 is kept, each other byte becomes \u00XX, like control bytes (so
 * the output is valid JSON, but \u00ff may stand for the byte 0xff).
 */
static int bytes_to_json(struct json_object *jso, struct printbuf *pb, int level, int flags)
{
	const unsigned char *s = (const unsigned char *)json_object_get_string(jso);
	size_t n = (size_t)json_object_get_string_len(jso), i = 0, run = 0;
	char esc[8];

	(void)level;
	(void)flags;
	printbuf_strappend(pb, "\"");
	while (i < n) {
		unsigned char c = s[i];
		size_t u = utf8_len(s + i, n - i);

		unsigned cp = u > 1 ? utf8_code_point(s + i, u) : c;

		if ((u > 1 && !is_invisible(cp)) ||
		    (u == 1 && c >= 0x20 && c != 0x7f && c != '"' && c != '\\')) {
			i += u;
			continue;
		}
		printbuf_memappend(pb, (const char *)s + run, (int)(i - run));
		if (u > 1) {
			/* Valid but terminal-unsafe (C1 controls) or line-breaking (U+2028/9). */
			snprintf(esc, sizeof(esc), "\\u%04x", cp);
			printbuf_memappend(pb, esc, 6);
			i += u;
			run = i;
			continue;
		}
		switch (c) {
		case '"':
			printbuf_strappend(pb, "\\\"");
			break;
		case '\\':
			printbuf_strappend(pb, "\\\\");
			break;
		case '\n':
			printbuf_strappend(pb, "\\n");
			break;
		case '\r':
			printbuf_strappend(pb, "\\r");
			break;
		case '\t':
			printbuf_strappend(pb, "\\t");
			break;
		default:
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			printbuf_memappend(pb, esc, 6);
		}
		run = ++i;
	}
	printbuf_memappend(pb, (const char *)s + run, (int)(i - run));
	printbuf_strappend(pb, "\"");
	return 0;
}

static struct json_object *json_bytes(const char *s, size_t n)
{
	struct json_object *o = json_object_new_string_len(s, (int)n);

	if (o)
		json_object_set_serializer(o, bytes_to_json, NULL, NULL);
	return o;
}

/* One output line. 0 or -errno. */
static int print_result(enum logparse_error e, const struct access_line *a)
{
	struct json_object *o = json_object_new_object();
	char ip[PREFIX_STRLEN];

	if (!o)
		return -ENOMEM;
	if (e != LP_OK) {
		json_object_object_add(o, "error", json_object_new_string(logparse__strerror(e)));
	} else {
		json_object_object_add(o, "ip", json_object_new_string(prefix__format(&a->client, ip,
										   sizeof(ip))));
		json_object_object_add(o, "method", a->http ? json_object_new_string(a->method) : NULL);
		json_object_object_add(o, "path", a->http ? json_bytes(a->path, a->path_len) : NULL);
		json_object_object_add(o, "status", json_object_new_int(a->status));
		json_object_object_add(o, "time", a->time >= 0 ? json_object_new_int64(a->time) : NULL);
		if (!a->http)
			json_object_object_add(o, "http", json_object_new_boolean(0));
	}
	fputs(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						JSON_C_TO_STRING_NOSLASHESCAPE),
	      stdout);
	putchar('\n');
	json_object_put(o);
	return 0;
}

/* ---- verdict mode ---- */

#define MAX_BANNED 100000 /* clients listed in the summary (the count goes on) */

struct summary {
	uint64_t lines, access, failures, requests, missed;
	uint64_t failures_by[FAIL__COUNT];
	uint64_t not_parsed[LP__COUNT];
	uint64_t filter_matched, filter_ignored, filter_names, filter_limit;
	uint64_t *regex_hits, *date_hits; /* per failregex, per date template */
	struct prefix *banned;
	size_t n_banned, banned_total;
	bool unterminated; /* the last line had no newline: not read */
};

static const char *line_kind_name(enum line_kind k)
{
	return k == LINE_REQUEST ? "request" : k == LINE_NOT_ACCESS ? "not_access" : "failure";
}

static const char *filter_name(enum f2b_result r)
{
	static const char *const n[] = { [F2B_MISS] = "miss", [F2B_FAIL] = "match",
					 [F2B_IGNORED] = "ignored", [F2B_NAME] = "match_host_name",
					 [F2B_LIMIT] = "limit" };

	return n[r];
}

static void print_verdict_text(uint64_t lineno, const struct line_event *ev, bool filter)
{
	char ip[PREFIX_STRLEN];

	printf("%llu %s", (unsigned long long)lineno, line_kind_name(ev->kind));
	if (ev->kind == LINE_FAILURE || ev->kind == LINE_BAN)
		printf(":%s", failure_kind__name(ev->failure));
	if (ev->kind == LINE_NOT_ACCESS) {
		printf(" (%s)", logparse__strerror(ev->parse_error));
	} else {
		printf(" %s", prefix__format(&ev->access.client, ip, sizeof(ip)));
		if (ev->access.path && ev->access.http) {
			int n = (int)(ev->access.path_len > 200 ? 200 : ev->access.path_len), i;

			printf(" %s ", ev->access.method);
			for (i = 0; i < n; i++) {
				unsigned char c = (unsigned char)ev->access.path[i];

				if (c >= 0x21 && c < 0x7f)
					putchar(c);
				else
					printf("\\x%02x", c);
			}
			printf(" %d route=%s", ev->access.status, route_verdict__name(ev->verdict));
			if (ev->rule)
				printf(" rule=%s", ev->rule);
		}
	}
	if (filter && ev->filter != F2B_MISS) {
		printf(" filter=%s", filter_name(ev->filter));
		if (ev->match.regex >= 0)
			printf(" %s[%d]", ev->filter == F2B_IGNORED ? "ignoreregex" : "failregex",
			       ev->match.regex + 1);
	}
	if (ev->kind == LINE_BAN)
		printf(" => would ban");
	putchar('\n');
}

static void print_verdict_json(uint64_t lineno, const struct line_event *ev, bool filter)
{
	struct json_object *o = json_object_new_object();
	char ip[PREFIX_STRLEN];

	if (!o)
		return;
	json_object_object_add(o, "line", json_object_new_int64((int64_t)lineno));
	json_object_object_add(o, "verdict", json_object_new_string(line_kind_name(ev->kind)));
	if (ev->kind == LINE_FAILURE || ev->kind == LINE_BAN)
		json_object_object_add(o, "failure",
				       json_object_new_string(failure_kind__name(ev->failure)));
	if (ev->kind == LINE_NOT_ACCESS) {
		json_object_object_add(o, "reason",
				       json_object_new_string(logparse__strerror(ev->parse_error)));
	} else {
		json_object_object_add(o, "ip", json_object_new_string(prefix__format(
							&ev->access.client, ip, sizeof(ip))));
		if (ev->access.path && ev->access.http) {
			json_object_object_add(o, "method", json_object_new_string(ev->access.method));
			json_object_object_add(o, "path", json_bytes(ev->access.path,
								     ev->access.path_len));
			json_object_object_add(o, "status", json_object_new_int(ev->access.status));
			json_object_object_add(o, "route", json_object_new_string(
								   route_verdict__name(ev->verdict)));
			if (ev->rule)
				json_object_object_add(o, "rule", json_object_new_string(ev->rule));
		}
	}
	if (filter) {
		json_object_object_add(o, "filter", json_object_new_string(filter_name(ev->filter)));
		if (ev->match.regex >= 0)
			json_object_object_add(o, ev->filter == F2B_IGNORED ? "ignoreregex"
									    : "failregex",
					       json_object_new_int(ev->match.regex + 1));
	}
	if (ev->kind == LINE_BAN)
		json_object_object_add(o, "ban", json_object_new_boolean(1));
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						  JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static void print_summary_text(const struct summary *s, const struct f2b_filter *f,
			       const struct warden_config *c)
{
	char ip[PREFIX_STRLEN];
	size_t i;
	int k;

	printf("\nResults\n=======\n");
	if (f) {
		printf("\nFilter %s, failregex: %llu total\n", c->filter,
		       (unsigned long long)(s->filter_matched));
		for (k = 0; k < f2bfilter__count(f, F2B_FAILREGEX); k++)
			if (s->regex_hits[k])
				printf("|  %d) [%llu] %s\n", k + 1,
				       (unsigned long long)s->regex_hits[k],
				       f2bfilter__source(f, F2B_FAILREGEX, k));
		printf("\nDate template hits:\n");
		for (k = 0; k < f2bfilter__count(f, F2B_DATEPATTERN); k++)
			if (s->date_hits[k])
				printf("|  [%llu] %s\n", (unsigned long long)s->date_hits[k],
				       f2bfilter__source(f, F2B_DATEPATTERN, k));
	}
	printf("\nLines: %llu lines, %llu ignored, %llu matched, %llu missed\n",
	       (unsigned long long)s->lines, (unsigned long long)s->filter_ignored,
	       (unsigned long long)s->filter_matched, (unsigned long long)(s->lines -
									  s->filter_ignored -
									  s->filter_matched));
	printf("Access lines: %llu, requests: %llu, failures: %llu\n",
	       (unsigned long long)s->access, (unsigned long long)s->requests,
	       (unsigned long long)s->failures);
	printf("Failures by kind:");
	for (k = FAIL_NONE + 1; k < FAIL__COUNT; k++)
		printf(" %s %llu", failure_kind__name(k), (unsigned long long)s->failures_by[k]);
	printf("\nNot parsed:");
	for (k = 1; k < LP__COUNT; k++)
		if (s->not_parsed[k])
			printf(" %s %llu;", logparse__strerror(k), (unsigned long long)s->not_parsed[k]);
	printf("\n");
	if (s->filter_names || s->filter_limit)
		printf("Filter matches without an address (host names): %llu, past the regex "
		       "limits: %llu\n", (unsigned long long)s->filter_names,
		       (unsigned long long)s->filter_limit);
	if (s->unterminated)
		printf("The last line has no newline: not read (a line still being written, as "
		       "fail2ban takes it)\n");
	printf("Clients that would be banned: %zu\n", s->banned_total);
	for (i = 0; i < s->n_banned; i++)
		printf("|  %s\n", prefix__format(&s->banned[i], ip, sizeof(ip)));
}

static void print_summary_json(const struct summary *s, const struct f2b_filter *f)
{
	struct json_object *o = json_object_new_object(), *sum = json_object_new_object();
	struct json_object *kinds = json_object_new_object(), *np = json_object_new_object();
	struct json_object *banned = json_object_new_array();
	char ip[PREFIX_STRLEN];
	size_t i;
	int k;

	if (!o || !sum || !kinds || !np || !banned)
		return;
	json_object_object_add(sum, "lines", json_object_new_int64((int64_t)s->lines));
	json_object_object_add(sum, "access", json_object_new_int64((int64_t)s->access));
	json_object_object_add(sum, "requests", json_object_new_int64((int64_t)s->requests));
	json_object_object_add(sum, "failures", json_object_new_int64((int64_t)s->failures));
	for (k = FAIL_NONE + 1; k < FAIL__COUNT; k++)
		json_object_object_add(kinds, failure_kind__name(k),
				       json_object_new_int64((int64_t)s->failures_by[k]));
	json_object_object_add(sum, "failures_by_kind", kinds);
	for (k = 1; k < LP__COUNT; k++)
		if (s->not_parsed[k])
			json_object_object_add(np, logparse__strerror(k),
					       json_object_new_int64((int64_t)s->not_parsed[k]));
	json_object_object_add(sum, "not_parsed", np);
	if (f) {
		json_object_object_add(sum, "matched", json_object_new_int64((int64_t)s->filter_matched));
		json_object_object_add(sum, "ignored", json_object_new_int64((int64_t)s->filter_ignored));
		json_object_object_add(sum, "missed", json_object_new_int64(
				(int64_t)(s->lines - s->filter_ignored - s->filter_matched)));
	}
	for (i = 0; i < s->n_banned; i++)
		json_object_array_add(banned, json_object_new_string(
					      prefix__format(&s->banned[i], ip, sizeof(ip))));
	json_object_object_add(sum, "banned", banned);
	json_object_object_add(sum, "unterminated_last_line", json_object_new_boolean(s->unterminated));
	json_object_object_add(o, "summary", sum);
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

static void note_ban(struct summary *s, const struct prefix *client)
{
	size_t i;

	for (i = 0; i < s->n_banned; i++)
		if (prefix__equal(&s->banned[i], client))
			return;
	s->banned_total++;
	if (s->n_banned < MAX_BANNED)
		s->banned[s->n_banned++] = *client;
}

static int parse_verdicts(const struct parse_opts *o)
{
	struct warden_config cfg;
	struct routes *routes = NULL;
	struct jail *j = NULL;
	struct summary s = { 0 };
	struct f2b_filter *f = NULL;
	char err[1024], *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *in = stdin;
	uint64_t now = 0;
	int ret = EXIT_USAGE, i;

	config__defaults(&cfg);
	if (o->format_set &&
	    config__set(&cfg, "warden", "log_format", log_format__name(o->format), err, sizeof(err)))
		goto bad;
	if (o->regex && config__set(&cfg, "warden", "log_regex", o->regex, err, sizeof(err)))
		goto bad;
	if (o->config && config__load_jail(&cfg, o->config, o->jail, err, sizeof(err)))
		goto bad;
	if (o->fail_status && config__set(&cfg, "jail", "fail_status", o->fail_status, err,
					  sizeof(err)))
		goto bad;
	if (config__check(&cfg, err, sizeof(err)))
		goto bad;
	for (i = 0; i < cfg.n_notes; i++)
		fprintf(stderr, "warden parse: warning: %s\n", cfg.notes[i]);
	if (o->app) {
		routes = routes__load(o->app, err, sizeof(err));
		if (!routes)
			goto bad;
	}
	/* No maps: bans are decided, never written; their messages are not the output. */
	log__setup(0, LOG_WARN);
	j = jail__new(&cfg, routes, NULL, err, sizeof(err));
	if (!j)
		goto bad;
	if (cfg.filter[0]) {
		f = f2bfilter__load(cfg.filter_dir, cfg.filter, err, sizeof(err));
		if (!f)
			goto bad;
		s.regex_hits = calloc((size_t)f2bfilter__count(f, F2B_FAILREGEX) + 1, sizeof(uint64_t));
		s.date_hits = calloc((size_t)f2bfilter__count(f, F2B_DATEPATTERN) + 1,
				     sizeof(uint64_t));
	}
	s.banned = calloc(MAX_BANNED, sizeof(*s.banned));
	if (!s.banned || (f && (!s.regex_hits || !s.date_hits))) {
		snprintf(err, sizeof(err), "out of memory");
		ret = EXIT_FAIL;
		goto bad;
	}
	if (o->file) {
		in = fopen(o->file, "r");
		if (!in) {
			snprintf(err, sizeof(err), "%s: %s", o->file, strerror(errno));
			ret = EXIT_FAIL;
			goto bad;
		}
	}
	ret = EXIT_FAIL;
	while ((errno = 0, n = getline(&line, &cap, in)) >= 0) {
		struct line_event ev;
		size_t len = (size_t)n;

		if (len && line[len - 1] == '\n') {
			len--;
		} else {
			/* As fail2ban: a line without its newline is still being written. */
			s.unterminated = true;
			break;
		}
		s.lines++;
		jail__line(j, STREAM_STDOUT, line, len, false, now, &ev);
		/* The lines' own time drives findtime; lines without one take the last. */
		if (ev.access.time >= 0 && ev.kind != LINE_NOT_ACCESS &&
		    (uint64_t)ev.access.time * 1000000000ULL > now)
			now = (uint64_t)ev.access.time * 1000000000ULL;
		if (ev.kind == LINE_NOT_ACCESS)
			s.not_parsed[ev.parse_error]++;
		else if (ev.filter != F2B_FAIL || ev.parse_error == LP_OK)
			s.access++;
		if (ev.kind == LINE_REQUEST)
			s.requests++;
		if (ev.kind == LINE_FAILURE || ev.kind == LINE_BAN) {
			s.failures++;
			s.failures_by[ev.failure]++;
		}
		if (ev.kind == LINE_BAN)
			note_ban(&s, &ev.access.client);
		if (ev.filter == F2B_FAIL || ev.filter == F2B_NAME) {
			s.filter_matched++;
			if (f && ev.match.regex >= 0)
				s.regex_hits[ev.match.regex]++;
		}
		s.filter_ignored += ev.filter == F2B_IGNORED;
		s.filter_names += ev.filter == F2B_NAME;
		s.filter_limit += ev.filter == F2B_LIMIT;
		if (f && ev.match.date >= 0)
			s.date_hits[ev.match.date]++;
		if (o->summary) {
			/* the summary alone */
		} else if (o->print_missed) {
			if (ev.kind != LINE_FAILURE && ev.kind != LINE_BAN && ev.filter != F2B_NAME) {
				fwrite(line, 1, len, stdout);
				putchar('\n');
			}
		} else if (o->json) {
			print_verdict_json(s.lines, &ev, f != NULL);
		} else {
			print_verdict_text(s.lines, &ev, f != NULL);
		}
	}
	if (ferror(in) || errno) {
		fprintf(stderr, "warden parse: %s: %s\n", o->file ? o->file : "stdin",
			strerror(errno ? errno : EIO));
		goto out;
	}
	if (o->json)
		print_summary_json(&s, f);
	else
		print_summary_text(&s, f, &cfg);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "warden parse: write error: %s\n", strerror(errno));
		goto out;
	}
	ret = EXIT_OK;
	goto out;
bad:
	fprintf(stderr, "warden parse: %s\n", err);
out:
	free(line);
	if (in && in != stdin)
		fclose(in);
	free(s.regex_hits);
	free(s.date_hits);
	free(s.banned);
	f2bfilter__free(f);
	jail__free(j);
	routes__free(routes);
	config__free(&cfg);
	return ret;
}

int cmd_parse(int argc, char **argv)
{
	struct parse_opts o;
	struct logparser *lp = NULL;
	struct access_line a;
	struct stat st;
	char err[512], *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *in = stdin;
	bool live;
	int ret;

	ret = parse_args(argc, argv, &o);
	if (ret)
		return ret > 0 ? EXIT_OK : EXIT_USAGE;
	if (o.verdicts)
		return parse_verdicts(&o);

	lp = logparse__new(o.format, o.regex, err, sizeof(err));
	if (!lp) {
		ret = -errno;
		fprintf(stderr, "warden parse: %s\n", err[0] ? err : strerror(-ret));
		return ret == -EINVAL ? EXIT_USAGE : EXIT_FAIL;
	}
	if (o.file) {
		in = fopen(o.file, "r");
		if (!in) {
			ret = -errno;
			fprintf(stderr, "warden parse: %s: %s\n", o.file, strerror(-ret));
			ret = EXIT_FAIL;
			goto out;
		}
	}
	/* A pipe or a terminal may be a live log: show each line as it comes. */
	live = fstat(fileno(in), &st) || !S_ISREG(st.st_mode);

	ret = EXIT_FAIL;
	/* getline() sets errno only on failure (ENOMEM for a huge line), not at EOF. */
	while ((errno = 0, n = getline(&line, &cap, in)) >= 0) {
		size_t len = (size_t)n;

		if (len && line[len - 1] == '\n')
			len--;
		if (print_result(logparse__line(lp, line, len, &a), &a)) {
			fprintf(stderr, "warden parse: out of memory\n");
			goto out;
		}
		if (live)
			fflush(stdout);
	}
	if (ferror(in) || errno) {
		fprintf(stderr, "warden parse: %s: %s\n", o.file ? o.file : "stdin",
			strerror(errno ? errno : EIO));
		goto out;
	}
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "warden parse: write error: %s\n", strerror(errno));
		goto out;
	}
	ret = EXIT_OK;
out:
	free(line);
	if (in && in != stdin)
		fclose(in);
	logparse__free(lp);
	return ret;
}
