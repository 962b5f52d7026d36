/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* f2bfilter.h - a fail2ban filter on log lines: date cut out, failregex/ignoreregex, <HOST>. */
#ifndef WARDEN_F2BFILTER_H
#define WARDEN_F2BFILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

struct f2b_filter_def;

/* The lists of a filter, for counts and messages. */
enum f2b_list {
	F2B_FAILREGEX,
	F2B_IGNOREREGEX,
	F2B_DATEPATTERN, /* the date templates tried, in order */
};

enum f2b_result {
	F2B_MISS = 0,    /* no failregex matched */
	F2B_FAIL,        /* a failregex matched: a failure of m->host */
	F2B_IGNORED,     /* a failregex matched, and so did an ignoreregex */
	F2B_NAME,        /* a failregex matched a host name, not an address: warden bans addresses */
	F2B_LIMIT,       /* a regex ran into its backtracking limits: counted, not matched */
};

struct f2b_match {
	struct prefix host; /* the <HOST>/<ADDR>/<IP4>/<IP6> of the line (F2B_FAIL) */
	int regex;          /* index of the failregex (or ignoreregex for F2B_IGNORED), -1 none */
	int date;           /* index of the date template that matched, -1 none */
};

struct f2b_filter;

/*
 * Compile the filter of a definition (f2bconf__filter()): fail2ban's tags
 * (<HOST>, <ADDR>, <IP4>, <IP6>, <DNS>, <CIDR>, <SUBNET>, <F-ID/>, <F-PORT/>,
 * <F-NAME>...</F-NAME>) turned into PCRE2 groups, JIT-compiled, each match
 * bounded like --log-regex. Refused with the reason: a failregex without a
 * host tag, one that backtracks catastrophically on a probe line, a
 * pattern PCRE2 cannot compile, maxlines above 1. NULL with errno set.
 */
struct f2b_filter *f2bfilter__new(const struct f2b_filter_def *def, char *err, size_t errlen);

/* f2bconf__filter() then f2bfilter__new(). */
struct f2b_filter *f2bfilter__load(const char *dir, const char *spec, char *err, size_t errlen);

void f2bfilter__free(struct f2b_filter *f); /* accepts NULL */

int f2bfilter__count(const struct f2b_filter *f, enum f2b_list which);
/* The i-th pattern of a list as the filter gives it (tags not replaced). */
const char *f2bfilter__source(const struct f2b_filter *f, enum f2b_list which, int i);

/*
 * Match one line (len bytes, no newline) as fail2ban does: the first date
 * template that matches has its date cut out of the line, then the
 * prefregex (if any) and the failregexes are searched in order, and a
 * match is dropped when an ignoreregex matches too. No allocation per line.
 */
enum f2b_result f2bfilter__match(struct f2b_filter *f, const char *line, size_t len,
				 struct f2b_match *m);

#endif
