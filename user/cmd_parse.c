// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* cmd_parse.c - "warden parse": access-log lines in, one JSON object per line out (like fail2ban-regex). */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <json-c/json.h>
#include <json-c/printbuf.h>

#include "addr.h"
#include "cli.h"
#include "logparse.h"

struct parse_opts {
	enum log_format format;
	bool format_set;   /* --format was given */
	const char *regex; /* --log-regex, or NULL */
	const char *file;  /* NULL or "-": stdin */
};

enum { OPT_FORMAT = 256, OPT_LOG_REGEX };

static const struct option long_opts[] = {
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "log-regex", required_argument, NULL, OPT_LOG_REGEX },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

static const char *usage_text =
	"usage: warden parse [--format F] [--log-regex RE] [FILE]\n"
	"Parse access-log lines (FILE, or stdin when absent or '-') and print one JSON\n"
	"object per line: the client, method, path, status and time warden would see,\n"
	"\"http\":false for a request that was not HTTP, or {\"error\":REASON}.\n"
	"F: auto (default), werkzeug, common, combined, regex.\n"
	"RE: a PCRE2 pattern with named groups ip, method, path, status and optionally\n"
	"time (implies --format regex). Anchor it with ^ so that the client is the\n"
	"line's own. For uvicorn's 'INFO:     192.0.2.1:51234 - \"GET / HTTP/1.1\" 404':\n"
	"  '^INFO: +(?<ip>[0-9a-fA-F.:]+):[0-9]+ - \"(?<method>[A-Z]+) (?<path>[^ ]+) HTTP/[0-9.]+\" (?<status>[0-9]{3})'\n";

/* 0, 1 when the help was printed, or -EINVAL. */
static int parse_args(int argc, char **argv, struct parse_opts *o)
{
	int c;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			printf("%s", usage_text);
			return 1;
		case OPT_FORMAT:
			if (log_format__parse(optarg, &o->format)) {
				fprintf(stderr, "warden parse: unknown format '%s'\n", optarg);
				goto usage;
			}
			o->format_set = true;
			break;
		case OPT_LOG_REGEX:
			o->regex = optarg;
			break;
		default:
			goto usage;
		}
	}
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
	if (argc - optind > 1) {
		fprintf(stderr, "warden parse: one FILE at most\n");
		goto usage;
	}
	if (optind < argc && strcmp(argv[optind], "-"))
		o->file = argv[optind];
	return 0;
usage:
	fprintf(stderr, "usage: warden parse [--format F] [--log-regex RE] [FILE] (see --help)\n");
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
