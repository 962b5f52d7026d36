// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* f2bfilter.c - a fail2ban filter on log lines: date cut out, failregex/ignoreregex, <HOST>. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "f2bconf.h"
#include "f2bfilter.h"
#include "logparse.h"

/* Bounds of every match, as for --log-regex (logparse.c). */
#define MATCH_LIMIT 1000000
#define JIT_STACK_MAX (1024 * 1024)
#define MAX_REGEX 256    /* per list */
#define MAX_PATTERN 65536 /* one regex once its tags are replaced */
/* The probe that refuses a catastrophic regex: this many repeats of a few characters. */
#define PROBE_LEN 1024

/*
 * fail2ban's host tags (fail2ban/server/failregex.py, R_HOST and RH4TAG),
 * as they are: a regex written for fail2ban matches the same text here.
 */
#define R_IP4 "(?:::f{4,6}:)?(?P<ip4>(?:\\d{1,3}\\.){3}\\d{1,3})"
#define R_IP6 "(?P<ip6>(?:[0-9a-fA-F]{1,4}::?|::){1,7}(?:[0-9a-fA-F]{1,4}|(?<=:):))"
#define R_DNS "(?P<dns>[\\w\\-.^_]*\\w)"
#define R_ADDR "\\[?(?:" R_IP4 "|" R_IP6 ")\\]?"
#define R_HOST "(?:" R_ADDR "|" R_DNS ")"
#define R_CIDR "(?P<cidr>\\d+)"
#define R_SUBNET "\\[?(?:" R_IP4 "|" R_IP6 ")(?:/" R_CIDR ")?\\]?"

static const struct {
	const char *tag, *re;
} host_tags[] = {
	{ "HOST", R_HOST },     { "IP4", R_IP4 },       { "F-IP4/", R_IP4 },
	{ "IP6", R_IP6 },       { "F-IP6/", R_IP6 },    { "ADDR", R_ADDR },
	{ "F-ADDR/", R_ADDR },  { "CIDR", R_CIDR },     { "F-CIDR/", R_CIDR },
	{ "SUBNET", R_SUBNET }, { "F-SUBNET/", R_SUBNET }, { "DNS", R_DNS },
	{ "F-DNS/", R_DNS },    { "F-ID/", "(?P<fid>\\S+)" }, { "F-PORT/", "(?P<fport>\\w+)" },
};

/*
 * fail2ban's default date templates (fail2ban/server/datedetector.py,
 * DEFAULT_TEMPLATES) but EPOCH and TAI64N, which HTTP logs do not use.
 */
static const char *const default_dates[] = {
	"%ExY(?P<_sep>[-/.])%m(?P=_sep)%d(?:T|  ?)%H:%M:%S(?:[.,]%f)?(?:\\s*%z)?",
	"(?:%a )?%b %d %k:%M:%S(?:\\.%f)?(?: %ExY)?",
	"(?:%a )?%b %d %ExY %k:%M:%S(?:\\.%f)?",
	"%d(?P<_sep>[-/])%m(?P=_sep)(?:%ExY|%Exy) %k:%M:%S",
	"%d(?P<_sep>[-/])%b(?P=_sep)%ExY[ :]?%H:%M:%S(?:\\.%f)?(?: %z)?",
	"%m/%d/%ExY:%H:%M:%S",
	"%m-%d-%ExY %k:%M:%S(?:\\.%f)?",
	"{^LN-BEG}%H:%M:%S",
	"^<%m/%d/%Exy@%H:%M:%S>",
	"%Exy%Exm%Exd  ?%H:%M:%S",
	"%b %d, %ExY %I:%M:%S %p",
	"^%b-%d-%Exy %k:%M:%S",
	"%ExY%Exm%Exd(?:T|  ?)%ExH%ExM%ExS(?:[.,]%f)?(?:\\s*%z)?",
	"(?:%Z )?(?:%a )?%b %d %k:%M:%S(?:\\.%f)?(?: %ExY)?",
	"(?:%z )?(?:%a )?%b %d %k:%M:%S(?:\\.%f)?(?: %ExY)?",
};
#define N_DEFAULT_DATES (sizeof(default_dates) / sizeof(default_dates[0]))

/*
 * fail2ban's strptime directives (fail2ban/server/strptime.py, on top of
 * Python's TimeRE), without their group names: a date is only cut out of
 * the line here, its value is not read. Longest names first.
 */
static const struct {
	const char *name, *re;
} directives[] = {
	{ "ExY", "(?:20[0-2]\\d)" }, /* fail2ban: the years around now and since 2000 */
	{ "Exy", "(?:\\d{2})" },
	{ "Exd", "(?:[1-2]\\d|0[1-9]|3[0-1])" },
	{ "Exm", "(?:0[1-9]|1[0-2])" },
	{ "ExH", "(?:[0-1]\\d|2[0-3])" },
	{ "Exk", " ?(?:[0-1]?\\d|2[0-3])" },
	{ "Exl", " ?(?:1[0-2]|\\d)" },
	{ "ExM", "(?:[0-5]\\d)" },
	{ "ExS", "(?:[0-5]\\d|6[0-1])" },
	{ "ExZ", "(?:[A-Z](?:[A-Z]{2,4})?)" },
	{ "Exz", "(?:(?:[A-Z](?:[A-Z]{2,4})?)?[+-][01]\\d(?::?\\d{2})?|[A-Z](?:[A-Z]{2,4})?)" },
	{ "a", "(?:mon|tue|wed|thu|fri|sat|sun)" },
	{ "A", "(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)" },
	{ "b", "(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)" },
	{ "B", "(?:january|february|march|april|may|june|july|august|september|october|"
	       "november|december)" },
	{ "d", "(?:[1-2]\\d|[0 ]?[1-9]|3[0-1])" },
	{ "f", "(?:[0-9]{1,6})" },
	{ "H", "(?:[0-1]?\\d|2[0-3])" },
	{ "I", "(?:1[0-2]|0[1-9]|[1-9])" },
	{ "j", "(?:36[0-6]|3[0-5]\\d|[12]\\d\\d|0[1-9]\\d|00[1-9]|[1-9]\\d|0[1-9]|[1-9])" },
	{ "k", " ?(?:[0-2]?\\d)" },
	{ "l", " ?(?:1?\\d)" },
	{ "m", "(?:0?[1-9]|1[0-2])" },
	{ "M", "(?:[0-5]?\\d)" },
	{ "p", "(?:am|pm)" },
	{ "S", "(?:[0-5]?\\d|6[0-1])" },
	{ "y", "(?:\\d\\d)" },
	{ "Y", "(?:\\d{4})" },
	{ "z", "(?:Z|UTC|GMT|[+-][01]\\d(?::?\\d{2})?)" },
	{ "Z", "(?:Z|[A-Z]{3,5})" },
};

struct regex {
	pcre2_code *re;
	char *source;  /* as the filter gives it */
	uint32_t g_ip4, g_ip6, g_dns, g_content; /* group numbers, 0 = none */
};

struct list {
	struct regex r[MAX_REGEX];
	int n;
};

struct f2b_filter {
	struct list fail, ignore, dates;
	struct regex pref;           /* prefregex, re NULL when none */
	pcre2_match_data *md;        /* sized for the largest pattern */
	pcre2_match_context *mctx;
	pcre2_jit_stack *jit_stack;
	char *buf;                   /* the line with its date cut out, and '\n' */
	size_t cap;
};

static void *fail_null(char *err, size_t errlen, int e, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void *fail_null(char *err, size_t errlen, int e, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	errno = e;
	return NULL;
}

struct sbuf {
	char s[MAX_PATTERN];
	size_t len;
	bool over;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > sizeof(b->s)) {
		b->over = true;
		return;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

/* PCRE2 group names: letters, digits, '_', not starting with a digit, at most 32. */
static bool group_name_ok(const char *n, size_t len)
{
	size_t i;

	if (!len || len > 32 || (n[0] >= '0' && n[0] <= '9'))
		return false;
	for (i = 0; i < len; i++)
		if (!((n[i] >= 'a' && n[i] <= 'z') || (n[i] >= '0' && n[i] <= '9') || n[i] == '_'))
			return false;
	return true;
}

/*
 * fail2ban's Regex._resolveHostTag(): each <TAG> ([\w-]+, maybe with '/')
 * that is a host tag becomes its regex, <F-NAME> opens a group named name
 * (id and port as fid and fport), </F-NAME> closes it; other text stays.
 */
static int resolve_tags(const char *src, struct sbuf *out, char *err, size_t errlen)
{
	char open[16][40];
	int n_open = 0;
	const char *p = src;

	out->len = 0;
	out->over = false;
	out->s[0] = '\0';
	while (*p) {
		const char *lt = strchr(p, '<'), *q, *gt;
		char tn[64];
		size_t i, tl;
		bool done = false;

		if (!lt) {
			sb_str(out, p);
			break;
		}
		sb_add(out, p, (size_t)(lt - p));
		q = lt + 1 + (lt[1] == '/');
		for (gt = q; *gt && (isalnum((unsigned char)*gt) || *gt == '_' || *gt == '-'); gt++)
			;
		if (gt > q && *gt == '/' && gt[1] == '>')
			gt++;
		tl = (size_t)(gt - lt - 1);
		if (*gt != '>' || gt == q || tl >= sizeof(tn)) {
			sb_add(out, lt, 1);
			p = lt + 1;
			continue;
		}
		memcpy(tn, lt + 1, tl);
		tn[tl] = '\0';
		if (!strcmp(tn, "SKIPLINES")) {
			snprintf(err, errlen, "<SKIPLINES>: warden matches one line at a time");
			return -EINVAL;
		}
		for (i = 0; i < sizeof(host_tags) / sizeof(host_tags[0]); i++) {
			if (!strcmp(tn, host_tags[i].tag)) {
				sb_str(out, host_tags[i].re);
				done = true;
				break;
			}
		}
		if (!done && (!strncmp(tn, "F-", 2) || !strncmp(tn, "/F-", 3))) {
			bool close = tn[0] == '/';
			const char *name = tn + (close ? 3 : 2);
			char g[40];
			int k;

			for (k = 0; name[k] && k < 39; k++)
				g[k] = (char)tolower((unsigned char)name[k]);
			g[k] = '\0';
			if (!strcmp(g, "id"))
				snprintf(g, sizeof(g), "fid");
			else if (!strcmp(g, "port"))
				snprintf(g, sizeof(g), "fport");
			if (close) {
				for (k = 0; k < n_open && strcmp(open[k], g); k++)
					;
				if (k < n_open) {
					sb_str(out, ")");
					done = true;
				}
			} else if (group_name_ok(g, strlen(g)) && n_open < 16) {
				snprintf(open[n_open++], sizeof(open[0]), "%s", g);
				sb_str(out, "(?P<");
				sb_str(out, g);
				sb_str(out, ">");
				done = true;
			}
		}
		if (!done)
			sb_add(out, lt, (size_t)(gt - lt + 1));
		p = gt + 1;
	}
	if (out->over) {
		snprintf(err, errlen, "longer than %d bytes once its tags are replaced", MAX_PATTERN);
		return -EINVAL;
	}
	return 0;
}

static uint32_t group_number(const pcre2_code *re, const char *name)
{
	int n = pcre2_substring_number_from_name(re, (PCRE2_SPTR)name);

	return n > 0 ? (uint32_t)n : 0;
}

/* Compile pattern with JIT when there is one. 0 or -EINVAL with the reason. */
static int compile(struct regex *r, const char *pattern, const char *source, uint32_t options,
		   char *err, size_t errlen)
{
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE off;
	int code;

	r->re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, options, &code, &off,
			      NULL);
	if (!r->re) {
		pcre2_get_error_message(code, msg, sizeof(msg));
		snprintf(err, errlen, "%s (at offset %zu of %s)", (char *)msg, (size_t)off, pattern);
		return -EINVAL;
	}
	pcre2_jit_compile(r->re, PCRE2_JIT_COMPLETE); /* else pcre2_match() interprets */
	r->source = strdup(source);
	if (!r->source) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	r->g_ip4 = group_number(r->re, "ip4");
	r->g_ip6 = group_number(r->re, "ip6");
	r->g_dns = group_number(r->re, "dns");
	r->g_content = group_number(r->re, "content");
	return 0;
}

static void regex_free(struct regex *r)
{
	pcre2_code_free(r->re);
	free(r->source);
	memset(r, 0, sizeof(*r));
}

static bool limit_hit(int rc)
{
	return rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
	       rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT ||
	       rc == PCRE2_ERROR_NOMEMORY;
}

/*
 * A regex that backtracks without end on some line would take its match
 * limit on every such line: refuse it before anything starts. The probes
 * are long runs of what log lines are made of.
 */
static int probe(struct f2b_filter *f, const struct regex *r, char *err, size_t errlen)
{
	static const char *const units[] = { "a", " ", "0", "a ", "1.", "/a", ":", "-", "\"a", "x=" };
	char line[PROBE_LEN + 8];
	size_t u, i;

	for (u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
		size_t ul = strlen(units[u]);
		int rc;

		for (i = 0; i + ul <= PROBE_LEN; i += ul)
			memcpy(line + i, units[u], ul);
		line[i++] = '\x01';
		line[i] = '\0';
		rc = pcre2_match(r->re, (PCRE2_SPTR)line, i, 0, 0, f->md, f->mctx);
		if (limit_hit(rc)) {
			snprintf(err, errlen,
				 "'%s' backtracks catastrophically: a line of %zu \"%s\" runs it past "
				 "its limit of %d steps", r->source, i - 1, units[u], MATCH_LIMIT);
			return -EINVAL;
		}
	}
	return 0;
}

/* Add each non-empty line of text to list as a failregex or ignoreregex. */
static int add_regexes(struct list *l, const char *what, const char *text,
		       bool need_host, char *err, size_t errlen)
{
	char *copy, *line, *save = NULL, reason[512];
	struct sbuf *sb;
	int ret = 0;

	if (!text)
		return 0;
	copy = strdup(text);
	sb = malloc(sizeof(*sb));
	if (!copy || !sb) {
		free(copy);
		free(sb);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (line = strtok_r(copy, "\n", &save); line && !ret; line = strtok_r(NULL, "\n", &save)) {
		struct regex *r;
		const char *lead = line + strspn(line, " \t");

		if (!*lead)
			continue; /* fail2ban skips empty lines; blanks alone are empty too */
		if (l->n == MAX_REGEX) {
			ret = -EINVAL;
			snprintf(err, errlen, "more than %d %s lines", MAX_REGEX, what);
			break;
		}
		r = &l->r[l->n];
		ret = resolve_tags(lead, sb, reason, sizeof(reason));
		if (!ret)
			ret = compile(r, sb->s, lead, 0, reason, sizeof(reason));
		if (ret) {
			snprintf(err, errlen, "%s '%s': %s", what, lead, reason);
			regex_free(r);
			break;
		}
		l->n++;
		if (need_host && !r->g_ip4 && !r->g_ip6 && !r->g_dns) {
			ret = -EINVAL;
			snprintf(err, errlen,
				 "%s '%s' has no <HOST> (nor <ADDR>, <IP4>, <IP6>): warden bans the "
				 "address a failure names", what, lead);
		}
	}
	free(copy);
	free(sb);
	return ret;
}

/* Replace the strptime directives of pattern; 0 or -EINVAL (an unknown one). */
static int expand_directives(const char *pattern, struct sbuf *out, bool *alpha, char *err,
			     size_t errlen)
{
	const char *p = pattern;

	out->len = 0;
	out->over = false;
	out->s[0] = '\0';
	*alpha = false;
	while (*p) {
		const char *pct = strchr(p, '%');
		size_t i;

		if (!pct) {
			sb_str(out, p);
			break;
		}
		sb_add(out, p, (size_t)(pct - p));
		if (pct[1] == '%') {
			sb_str(out, "%");
			p = pct + 2;
			continue;
		}
		for (i = 0; i < sizeof(directives) / sizeof(directives[0]); i++) {
			size_t n = strlen(directives[i].name);

			if (!strncmp(pct + 1, directives[i].name, n)) {
				sb_str(out, directives[i].re);
				if (strchr("aAbBp", directives[i].name[0]) && n == 1)
					*alpha = true;
				p = pct + 1 + n;
				break;
			}
		}
		if (i == sizeof(directives) / sizeof(directives[0])) {
			snprintf(err, errlen, "datepattern '%s': %%%c is not a date directive warden "
				 "knows", pattern, pct[1] ? pct[1] : ' ');
			return -EINVAL;
		}
	}
	if (out->over) {
		snprintf(err, errlen, "datepattern '%s': too long", pattern);
		return -EINVAL;
	}
	return 0;
}

/* Whether re matches s (small helper patterns of fail2ban's datetemplate.py). */
static bool re_search(const char *re, const char *s)
{
	int code;
	PCRE2_SIZE off;
	pcre2_code *c = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, 0, &code, &off, NULL);
	pcre2_match_data *md;
	int rc = -1;

	if (!c)
		return false;
	md = pcre2_match_data_create_from_pattern(c, NULL);
	if (md)
		rc = pcre2_match(c, (PCRE2_SPTR)s, PCRE2_ZERO_TERMINATED, 0, 0, md, NULL);
	pcre2_match_data_free(md);
	pcre2_code_free(c);
	return rc >= 0;
}

/*
 * fail2ban's DatePatternRegex.setRegex() and DateTemplate.setRegex(): the
 * directives replaced, the date put in group 1 unless the pattern has a
 * group of its own, word bounds added unless the pattern anchors itself
 * ({^LN-BEG}: at the start of the line, after at most 2 non-word characters).
 */
static int add_date(struct f2b_filter *f, const char *pattern, char *err, size_t errlen)
{
	struct sbuf *x = malloc(sizeof(*x)), *y = malloc(sizeof(*y));
	const char *p = pattern;
	bool start = false, alpha, bound_beg, bound_end;
	char reason[512];
	size_t len;
	int ret;

	if (!x || !y) {
		free(x);
		free(y);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (f->dates.n == MAX_REGEX) {
		ret = -EINVAL;
		snprintf(err, errlen, "more than %d date templates", MAX_REGEX);
		goto out;
	}
	if (!strncmp(p, "{^LN-BEG}", 9)) {
		start = true;
		p += 9;
	}
	ret = expand_directives(p, x, &alpha, err, errlen);
	if (ret)
		goto out;
	/* regex.strip() */
	while (x->len && (x->s[x->len - 1] == ' ' || x->s[x->len - 1] == '\t'))
		x->s[--x->len] = '\0';
	bound_beg = !re_search("^\\(*(?:\\(\\?\\w+\\))?(?:\\^|\\(*\\*\\*|\\((?:\\?:)?\\^)", x->s);
	bound_end = !re_search("(?<!\\\\)(?:\\$\\)?|\\\\b|\\\\s|\\*\\*\\)*)$", x->s);
	y->len = 0;
	y->over = false;
	y->s[0] = '\0';
	if (bound_beg)
		sb_str(y, start ? "^(?:\\W{0,2})?" : "(?=^|\\b|\\W)");
	if (!re_search("(?<!\\(\\?)(?<!\\\\)\\((?!\\?)", x->s)) {
		/* No group: the whole date (inside its anchors) is group 1. */
		const char *s = x->s;
		size_t lead = 0;

		len = x->len;
		if (s[0] == '^')
			lead = 1;
		sb_add(y, s, lead);
		sb_str(y, "(");
		if (len > lead && s[len - 1] == '$' && (len < 2 || s[len - 2] != '\\')) {
			sb_add(y, s + lead, len - lead - 1);
			sb_str(y, ")$");
		} else {
			sb_add(y, s + lead, len - lead);
			sb_str(y, ")");
		}
	} else {
		sb_str(y, x->s);
	}
	if (bound_end)
		sb_str(y, "(?=\\b|\\W|$)");
	/* "**" at either end only says "no word bound". */
	if (!strncmp(y->s, "**", 2))
		memmove(y->s, y->s + 2, y->len - 1), y->len -= 2;
	if (y->len >= 2 && !strcmp(y->s + y->len - 2, "**"))
		y->s[y->len -= 2] = '\0';
	if (y->over) {
		ret = -EINVAL;
		snprintf(err, errlen, "datepattern '%s': too long", pattern);
		goto out;
	}
	ret = compile(&f->dates.r[f->dates.n], y->s, pattern, alpha ? PCRE2_CASELESS : 0, reason,
		      sizeof(reason));
	if (ret) {
		regex_free(&f->dates.r[f->dates.n]);
		snprintf(err, errlen, "datepattern '%s': %s", pattern, reason);
		goto out;
	}
	f->dates.n++;
out:
	free(x);
	free(y);
	return ret;
}

/* A default template as {DATE} of a pattern ("^[^\[]*\[({DATE})"). */
static int add_date_prematch(struct f2b_filter *f, const char *pre, const char *tmpl, char *err,
			     size_t errlen)
{
	const char *at = strstr(pre, "{DATE}");
	char *s;
	int ret;

	if (asprintf(&s, "%.*s%s%s", (int)(at - pre), pre, tmpl, at + 6) < 0) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ret = add_date(f, s, err, errlen);
	free(s);
	return ret;
}

/*
 * The templates of a datepattern line, as fail2ban's DateDetector.
 * appendTemplate() takes them: {^LN-BEG} alone is the default templates
 * anchored at the line's start; {DATE} stands for each default template.
 * anchored_only: only those that anchor at the line's start.
 */
static int add_default_dates(struct f2b_filter *f, const char *pre, bool anchored_only, char *err,
			     size_t errlen)
{
	char a[512];
	size_t i;
	int ret = 0;

	/* The anchored copies come first (fail2ban weighs them 100). */
	for (i = 0; i < N_DEFAULT_DATES && !ret; i++) {
		const char *t = default_dates[i];

		if (pre)
			continue;
		if (t[0] == '^' || !strncmp(t, "{^LN-BEG}", 9))
			snprintf(a, sizeof(a), "%s", t);
		else
			snprintf(a, sizeof(a), "{^LN-BEG}%s", t);
		ret = add_date(f, a, err, errlen);
	}
	for (i = 0; i < N_DEFAULT_DATES && !ret; i++) {
		const char *t = default_dates[i];

		if (pre) {
			ret = add_date_prematch(f, pre, t, err, errlen);
			continue;
		}
		if (anchored_only)
			continue; /* the anchored copies above are all there is */
		if (t[0] == '^' || !strncmp(t, "{^LN-BEG}", 9))
			continue; /* already there */
		ret = add_date(f, t, err, errlen);
	}
	return ret;
}

static int add_datepattern(struct f2b_filter *f, const char *text, char *err, size_t errlen)
{
	char *copy, *line, *save = NULL;
	int ret = 0;

	if (!text || !text[strspn(text, " \t\n")])
		return add_default_dates(f, NULL, false, err, errlen);
	copy = strdup(text);
	if (!copy) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (line = strtok_r(copy, "\n", &save); line && !ret; line = strtok_r(NULL, "\n", &save)) {
		line += strspn(line, " \t");
		if (!*line)
			continue;
		if (!strcmp(line, "{^LN-BEG}"))
			ret = add_default_dates(f, NULL, true, err, errlen);
		else if (!strcasecmp(line, "{DEFAULT}"))
			ret = add_default_dates(f, NULL, false, err, errlen);
		else if (strstr(line, "{DATE}"))
			ret = add_default_dates(f, line, false, err, errlen);
		else if (!strcasecmp(line, "EPOCH") || !strcasecmp(line, "LEPOCH") ||
			 !strcasecmp(line, "TAI64N") || strstr(line, "{EPOCH}") ||
			 strstr(line, "{LEPOCH}")) {
			ret = -EINVAL;
			snprintf(err, errlen, "datepattern %s: not a date format warden reads", line);
		} else
			ret = add_date(f, line, err, errlen);
	}
	free(copy);
	return ret;
}

void f2bfilter__free(struct f2b_filter *f)
{
	int i;

	if (!f)
		return;
	for (i = 0; i < f->fail.n; i++)
		regex_free(&f->fail.r[i]);
	for (i = 0; i < f->ignore.n; i++)
		regex_free(&f->ignore.r[i]);
	for (i = 0; i < f->dates.n; i++)
		regex_free(&f->dates.r[i]);
	regex_free(&f->pref);
	pcre2_match_data_free(f->md);
	pcre2_match_context_free(f->mctx);
	pcre2_jit_stack_free(f->jit_stack);
	free(f->buf);
	free(f);
}

struct f2b_filter *f2bfilter__new(const struct f2b_filter_def *def, char *err, size_t errlen)
{
	struct f2b_filter *f;
	struct sbuf *sb = NULL;
	char reason[1024];
	int ret, i;

	if (def->maxlines > 1)
		return fail_null(err, errlen, EINVAL,
				 "maxlines = %d: warden matches failures one line at a time",
				 def->maxlines);
	f = calloc(1, sizeof(*f));
	if (!f)
		return fail_null(err, errlen, ENOMEM, "out of memory");
	f->mctx = pcre2_match_context_create(NULL);
	f->md = pcre2_match_data_create(64, NULL);
	f->jit_stack = pcre2_jit_stack_create(32 * 1024, JIT_STACK_MAX, NULL);
	f->cap = LOGPARSE_MAX_LINE + 2;
	f->buf = malloc(f->cap);
	if (!f->mctx || !f->md || !f->buf) {
		ret = -ENOMEM;
		snprintf(reason, sizeof(reason), "out of memory");
		goto fail;
	}
	pcre2_set_match_limit(f->mctx, MATCH_LIMIT);
	pcre2_set_depth_limit(f->mctx, MATCH_LIMIT);
	if (f->jit_stack)
		pcre2_jit_stack_assign(f->mctx, NULL, f->jit_stack);

	if (def->prefregex && def->prefregex[strspn(def->prefregex, " \t\n")]) {
		sb = malloc(sizeof(*sb));
		ret = sb ? resolve_tags(def->prefregex + strspn(def->prefregex, " \t\n"), sb, reason,
					sizeof(reason))
			 : -ENOMEM;
		if (!ret)
			ret = compile(&f->pref, sb->s, def->prefregex, 0, reason, sizeof(reason));
		free(sb);
		if (ret) {
			memmove(reason + 11, reason, sizeof(reason) - 12);
			memcpy(reason, "prefregex: ", 11);
			reason[sizeof(reason) - 1] = '\0';
			goto fail;
		}
		if (!f->pref.g_content) {
			ret = -EINVAL;
			snprintf(reason, sizeof(reason), "prefregex without <F-CONTENT>...</F-CONTENT>");
			goto fail;
		}
	}
	/* With a prefregex, the host may be in it rather than in each failregex. */
	ret = add_regexes(&f->fail, "failregex", def->failregex,
			  !(f->pref.re && (f->pref.g_ip4 || f->pref.g_ip6 || f->pref.g_dns)), reason,
			  sizeof(reason));
	if (!ret && f->fail.n == 0) {
		ret = -EINVAL;
		snprintf(reason, sizeof(reason), "no failregex");
	}
	if (!ret)
		ret = add_regexes(&f->ignore, "ignoreregex", def->ignoreregex, false, reason,
				  sizeof(reason));
	if (!ret)
		ret = add_datepattern(f, def->datepattern, reason, sizeof(reason));
	if (ret)
		goto fail;
	for (i = 0; i < f->fail.n && !ret; i++)
		ret = probe(f, &f->fail.r[i], reason, sizeof(reason));
	for (i = 0; i < f->ignore.n && !ret; i++)
		ret = probe(f, &f->ignore.r[i], reason, sizeof(reason));
	if (!ret && f->pref.re)
		ret = probe(f, &f->pref, reason, sizeof(reason));
	if (ret)
		goto fail;
	return f;
fail:
	f2bfilter__free(f);
	return fail_null(err, errlen, -ret, "filter %s: %s", def->name ? def->name : "?", reason);
}

struct f2b_filter *f2bfilter__load(const char *dir, const char *spec, char *err, size_t errlen)
{
	struct f2b_filter_def def;
	struct f2b_filter *f;
	int ret;

	ret = f2bconf__filter(dir, spec, &def, err, errlen);
	if (ret) {
		errno = -ret;
		return NULL;
	}
	f = f2bfilter__new(&def, err, errlen);
	ret = errno;
	f2b_filter_def__free(&def);
	errno = ret;
	return f;
}

static const struct list *list_of(const struct f2b_filter *f, enum f2b_list which)
{
	return which == F2B_FAILREGEX ? &f->fail : which == F2B_IGNOREREGEX ? &f->ignore : &f->dates;
}

int f2bfilter__count(const struct f2b_filter *f, enum f2b_list which)
{
	return list_of(f, which)->n;
}

const char *f2bfilter__source(const struct f2b_filter *f, enum f2b_list which, int i)
{
	const struct list *l = list_of(f, which);

	return i >= 0 && i < l->n ? l->r[i].source : NULL;
}

/* The host of a failregex match: an address, or false (a name, or an impossible IPv4). */
static bool host_of(const struct regex *r, const PCRE2_SIZE *ov, int rc, const char *s,
		    struct prefix *out, bool *found)
{
	const uint32_t groups[3] = { r->g_ip4, r->g_ip6, r->g_dns };
	char text[256];
	int i;

	*found = false;
	for (i = 0; i < 3; i++) {
		uint32_t g = groups[i];
		size_t n;

		if (!g || (int)g >= rc || ov[2 * g] == PCRE2_UNSET)
			continue;
		*found = true;
		n = ov[2 * g + 1] - ov[2 * g];
		if (n >= sizeof(text))
			return false;
		memcpy(text, s + ov[2 * g], n);
		text[n] = '\0';
		/* A <DNS>/<HOST> that is an address after all is the address. */
		return prefix__parse_addr(text, out) == 0;
	}
	return false;
}

enum f2b_result f2bfilter__match(struct f2b_filter *f, const char *line, size_t len,
				 struct f2b_match *m)
{
	const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(f->md);
	const char *subject;
	size_t n = len < LOGPARSE_MAX_LINE ? len : LOGPARSE_MAX_LINE, slen;
	struct prefix pref_host;
	bool pref_found = false, pref_ok = false, found;
	int i, rc;

	memset(m, 0, sizeof(*m));
	m->regex = -1;
	m->date = -1;

	/* The date is cut out of the line (fail2ban matches "before" + "after"). */
	slen = n;
	for (i = 0; i < f->dates.n; i++) {
		rc = pcre2_match(f->dates.r[i].re, (PCRE2_SPTR)line, n, 0, 0, f->md, f->mctx);
		if (limit_hit(rc))
			return F2B_LIMIT;
		if (rc > 1 && ov[2] != PCRE2_UNSET) {
			size_t a = ov[2], b = ov[3];

			memcpy(f->buf, line, a);
			memcpy(f->buf + a, line + b, n - b);
			slen = n - (b - a);
			m->date = i;
			break;
		}
	}
	if (m->date < 0)
		memcpy(f->buf, line, n);
	f->buf[slen++] = '\n'; /* fail2ban searches the lines joined, each with its '\n' */
	f->buf[slen] = '\0';
	subject = f->buf;

	if (f->pref.re) {
		rc = pcre2_match(f->pref.re, (PCRE2_SPTR)subject, slen, 0, 0, f->md, f->mctx);
		if (limit_hit(rc))
			return F2B_LIMIT;
		if (rc < 0)
			return F2B_MISS;
		pref_ok = host_of(&f->pref, ov, rc, subject, &pref_host, &pref_found);
		if ((int)f->pref.g_content < rc && ov[2 * f->pref.g_content] != PCRE2_UNSET) {
			/* The failregexes see only the content (fail2ban: buf = cont). */
			size_t a = ov[2 * f->pref.g_content], b = ov[2 * f->pref.g_content + 1];

			memmove(f->buf, f->buf + a, b - a);
			slen = b - a;
			f->buf[slen] = '\0';
		}
	}
	for (i = 0; i < f->fail.n; i++) {
		const struct regex *r = &f->fail.r[i];
		int k;

		rc = pcre2_match(r->re, (PCRE2_SPTR)subject, slen, 0, 0, f->md, f->mctx);
		if (limit_hit(rc))
			return F2B_LIMIT;
		if (rc < 0)
			continue;
		m->regex = i;
		if (!host_of(r, ov, rc, subject, &m->host, &found))
			memset(&m->host, 0, sizeof(m->host));
		if (!found && pref_found && pref_ok)
			m->host = pref_host; /* the host was in the prefregex */
		for (k = 0; k < f->ignore.n; k++) {
			int irc = pcre2_match(f->ignore.r[k].re, (PCRE2_SPTR)subject, slen, 0, 0,
					      f->md, f->mctx);

			if (limit_hit(irc))
				return F2B_LIMIT;
			if (irc >= 0) {
				m->regex = k;
				return F2B_IGNORED;
			}
		}
		if (m->host.family)
			return F2B_FAIL;
		return F2B_NAME;
	}
	return F2B_MISS;
}
