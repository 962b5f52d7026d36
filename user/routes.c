// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* routes.c - the URLs a Flask app serves, read from its source, matched like Werkzeug 2.2. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "routes.h"
#include "pyval.h"
#include "routes_extract.h"

/*
 * The matcher is Werkzeug 2.2's StateMachineMatcher rebuilt in C: rules
 * are cut into parts at "/" (a part holding a path converter swallows the
 * rest of the rule), static parts are edges looked up by text, dynamic
 * parts are edges tried in Werkzeug's weight order and matched by a small
 * backtracking matcher that follows the converters' regular expressions
 * (greedy or lazy as theirs are). Converter values are checked
 * (int(), min/max, fixed_digits) only on the rule found, as Werkzeug does:
 * a failed check is a 404, not a reason to try another rule.
 *
 * Paths are prepared as Werkzeug's dev server and Flask see them: the
 * path of the request target (query and fragment cut, absolute-form
 * reduced to its path), percent-decoded (so %2F is a "/"), decoded as
 * UTF-8 with U+FFFD for bad bytes, leading slashes reduced to one.
 */

#define MAX_CAPS 32          /* converters in one rule */
#define STEP_BUDGET 200000   /* backtracking steps per request: bounds hostile paths */
#define STACK_PATH 4096      /* paths up to this long are matched without malloc */

enum conv_type { CONV_STRING, CONV_PATH, CONV_INT, CONV_FLOAT, CONV_UUID, CONV_ANY, CONV_CUSTOM };

struct conv {
	enum conv_type type;
	char *var;                 /* the variable's name */
	size_t minlen, maxlen;     /* string: code points; maxlen SIZE_MAX: none */
	bool is_signed;            /* int, float */
	long long fixed_digits;    /* int: 0 for none */
	struct py_bound min, max;     /* int, float */
	char **items;              /* any: alternatives in order */
	size_t *item_lens;
	size_t nitems;
	int weight;
};

/* A piece of a dynamic part: literal text or a converter. */
struct piece {
	size_t off, len;           /* text: its place in the part's lits */
	int conv;                  /* index into the rule's occurrences, -1 for text */
};

struct weight {
	size_t nstatic;            /* static pieces in the part */
	int *sw_len;               /* their lengths in code points (index is implied) */
	size_t nargs;
	int *aw;                   /* converter weights */
};

struct part {
	bool is_static;
	bool final;                /* a path converter: consumes every remaining segment */
	char *content;             /* static: the text; dynamic: Werkzeug's regex (the part's identity) */
	size_t content_len;
	char *lits;                /* storage of the literal pieces */
	struct piece *pieces;
	size_t npieces;
	size_t ncaps;              /* converters in this part */
	struct weight w;
};

struct rule {
	char *text;
	char *endpoint;            /* NULL: unknown */
	char **methods;
	size_t nmethods;
	uint32_t mask;             /* bits of the well-known methods */
	char *methods_str;         /* "GET,HEAD,OPTIONS" */
	bool strict_slashes, build_only, redirects, alias, other_host;
	struct part *parts;
	size_t nparts;
	struct conv *occ;          /* converters in order of appearance */
	size_t nocc;
	size_t *vconv;             /* Werkzeug's _converters: one per variable name, first-seen order */
	size_t nvconv;
	char *trace;               /* the rule without converter specs: Rule.__eq__ */
	struct pyval defaults;     /* PV_DICT or PV_NONE */
	char **args;               /* Rule.arguments: variables and defaults' keys */
	size_t nargs;
	size_t *providers;         /* rules that redirect here with their defaults */
	size_t nproviders;
};

struct node;

struct sedge {
	const char *key;
	size_t len;
	struct node *child;
};

struct dedge {
	const struct rule *rule;   /* whose part made the edge: its converters match */
	const struct part *part;
	struct node *child;
};

struct node {
	struct sedge *st;          /* sorted by (len, bytes) */
	size_t nst, cst;
	struct dedge *dy;          /* in Werkzeug's weight order */
	size_t ndy, cdy;
	size_t *rules;
	size_t nrules, crules;
};

struct routes {
	struct rule *rules;        /* url_map order, each compiled */
	size_t nrules;
	struct node *root;         /* after the domain part, which is always "" here */
	size_t *list;              /* iter_rules() order: endpoints as first seen, each by build key */
	struct route_decls notes;  /* only its notes: what could not be learned, file:line and why */
};

static const char *const std_methods[] = {
	"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT",
};

/* ------------------------------------------------------------------ */
/* Unicode: what Python's str sees */

/* Decode the code point at s[i] of valid UTF-8; returns its length. */
static size_t cp_at(const char *s, size_t i, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s + i;

	if (u[0] < 0x80) {
		*cp = u[0];
		return 1;
	}
	if (u[0] < 0xe0) {
		*cp = (u[0] & 0x1f) << 6 | (u[1] & 0x3f);
		return 2;
	}
	if (u[0] < 0xf0) {
		*cp = (u[0] & 0x0f) << 12 | (u[1] & 0x3f) << 6 | (u[2] & 0x3f);
		return 3;
	}
	*cp = (u[0] & 0x07) << 18 | (u[1] & 0x3f) << 12 | (u[2] & 0x3f) << 6 | (u[3] & 0x3f);
	return 4;
}

/* The start of the code point before s[i] (valid UTF-8, i > 0). */
static size_t cp_back(const char *s, size_t i)
{
	do
		i--;
	while (i > 0 && ((unsigned char)s[i] & 0xc0) == 0x80);
	return i;
}

static size_t cp_count(const char *s, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		k += ((unsigned char)s[i] & 0xc0) != 0x80;
	return k;
}

/*
 * bytes.decode("utf-8", "replace") re-encoded: CPython replaces each
 * maximal invalid subpart with one U+FFFD. out needs 3 * n bytes.
 */
static size_t utf8_sanitize(const unsigned char *in, size_t n, char *out)
{
	size_t i = 0, o = 0;

	while (i < n) {
		unsigned char c = in[i];
		unsigned char lo = 0x80, hi = 0xbf;
		size_t need, k;

		if (c < 0x80) {
			out[o++] = c;
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			if (c == 0xe0)
				lo = 0xa0;
			else if (c == 0xed)
				hi = 0x9f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			if (c == 0xf0)
				lo = 0x90;
			else if (c == 0xf4)
				hi = 0x8f;
		} else {
			need = 0;
		}
		for (k = 1; need && k <= need; k++) {
			unsigned char d = i + k < n ? in[i + k] : 0;

			if (d < lo || d > hi)
				break;
			lo = 0x80;
			hi = 0xbf;
		}
		if (need && k > need) {
			memcpy(out + o, in + i, need + 1);
			o += need + 1;
			i += need + 1;
		} else {
			/* The lead byte and the continuations that were valid so far. */
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i += need ? k : 1;
		}
	}
	return o;
}

/* ------------------------------------------------------------------ */
/* A growable text buffer */

struct sbuf {
	char *s;
	size_t n, cap;
	bool oom;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		char *g;

		while (cap < b->n + n + 1)
			cap *= 2;
		g = realloc(b->s, cap);
		if (!g) {
			b->oom = true;
			return;
		}
		b->s = g;
		b->cap = cap;
	}
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = '\0';
}

static void sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

/* Python's re.escape(): these characters get a backslash. */
static void sb_re_escape(struct sbuf *b, const char *s, size_t n)
{
	static const char special[] = "()[]{}?*+-|^$\\.&~# \t\n\r\v\f";
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] && strchr(special, s[i]))
			sb_add(b, "\\", 1);
		sb_add(b, s + i, 1);
	}
}

/* ------------------------------------------------------------------ */
/* Converter arguments: werkzeug.routing.rules.parse_converter_args */

static bool is_word(unsigned char c)
{
	return c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       c >= 0x80;
}

static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool is_adigit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* "\s*," at p: the end of the match, or 0. */
static size_t arg_tail(const char *s, size_t n, size_t p)
{
	while (p < n && is_space(s[p]))
		p++;
	return p < n && s[p] == ',' ? p + 1 : 0;
}

/* The value alternatives of _converter_args_re at q, in the regex's order. */
static size_t arg_value(const char *s, size_t n, size_t q, size_t *vs, size_t *ve)
{
	size_t d1 = 0, i, j, d2, end;

	*vs = q;
	if (n - q >= 4 && !memcmp(s + q, "True", 4) && (end = arg_tail(s, n, q + 4)))
		return *ve = q + 4, end;
	if (n - q >= 5 && !memcmp(s + q, "False", 5) && (end = arg_tail(s, n, q + 5)))
		return *ve = q + 5, end;
	while (q + d1 < n && is_adigit(s[q + d1]))
		d1++;
	/* \d+.\d+ (the "." is any character but a newline) */
	for (i = d1; i >= 1; i--) {
		if (q + i >= n || s[q + i] == '\n')
			continue;
		for (d2 = 0; q + i + 1 + d2 < n && is_adigit(s[q + i + 1 + d2]); d2++)
			;
		for (j = d2; j >= 1; j--)
			if ((end = arg_tail(s, n, q + i + 1 + j)))
				return *ve = q + i + 1 + j, end;
	}
	/* \d+. */
	for (i = d1; i >= 1; i--)
		if (q + i < n && s[q + i] != '\n' && (end = arg_tail(s, n, q + i + 1)))
			return *ve = q + i + 1, end;
	/* \d+ */
	for (i = d1; i >= 1; i--)
		if ((end = arg_tail(s, n, q + i)))
			return *ve = q + i, end;
	/* [\w\d_.]+ */
	for (i = 0; q + i < n && (is_word(s[q + i]) || s[q + i] == '.'); i++)
		;
	for (; i >= 1; i--)
		if ((end = arg_tail(s, n, q + i)))
			return *ve = q + i, end;
	/* [urUR]?("[^"]*?"|'[^']*') */
	for (i = (q < n && strchr("urUR", s[q]) && s[q]) ? 1 : 0;; i--) {
		size_t p = q + i;

		if (p < n && (s[p] == '"' || s[p] == '\'')) {
			const char *close = memchr(s + p + 1, s[p], n - p - 1);

			if (close && (end = arg_tail(s, n, close - s + 1))) {
				*vs = p;
				*ve = close - s + 1;
				return end;
			}
		}
		if (i == 0)
			break;
	}
	return 0;
}

/* A converter argument after _pythonize(). */
struct carg {
	const char *name;  /* keyword, NULL if positional */
	size_t name_len;
	struct pyval v;
};

/* parse_converter_args(argstr): re.finditer over argstr + ",". */
static int parse_converter_args(const char *a, size_t alen, struct carg *out, size_t max, size_t *nout)
{
	char *s = malloc(alen + 2);
	size_t n = alen + 1, p = 0, k = 0;
	int err = 0;

	if (!s)
		return -ENOMEM;
	memcpy(s, a, alen);
	s[alen] = ',';
	s[n] = '\0';
	while (p < n && !err) {
		size_t w = 0, q, vs = 0, ve = 0, end = 0;
		bool named = false;

		/* (?P<name>\w+)\s*=\s* first, then without it. */
		while (p + w < n && is_word(s[p + w]))
			w++;
		if (w) {
			q = p + w;
			while (q < n && is_space(s[q]))
				q++;
			if (q < n && s[q] == '=') {
				q++;
				while (q < n && is_space(s[q]))
					q++;
				end = arg_value(s, n, q, &vs, &ve);
				named = end != 0;
			}
		}
		if (!end)
			end = arg_value(s, n, p, &vs, &ve);
		if (!end) {
			p++;
			continue;
		}
		if (k == max) {
			err = -E2BIG;
			break;
		}
		out[k].name = named ? a + p : NULL;
		out[k].name_len = named ? w : 0;
		/* A quoted value keeps its quotes until here: never a number. */
		err = pyval__pythonize(s + vs, ve - vs, &out[k].v);
		k++;
		p = end;
	}
	free(s);
	*nout = k;
	return err;
}

/*
 * Build a converter from its name and parsed arguments, with Python's
 * calling rules (positional then keyword, unknown keywords refused).
 * The regex Werkzeug would compile goes to re. Returns 0 or -EINVAL.
 */
static int make_conv(const char *cname, size_t clen, struct carg *args, size_t nargs, struct conv *cv,
		     struct sbuf *re, const char **why)
{
	static const char *const str_params[] = { "minlength", "maxlength", "length", NULL };
	static const char *const int_params[] = { "fixed_digits", "min", "max", "signed", NULL };
	static const char *const float_params[] = { "min", "max", "signed", NULL };
	const char *const *params = NULL;
	const struct pyval *val[4] = { NULL };
	size_t i, k, npos = 0;
	char tmp[64];

#define CNAME(lit) (clen == sizeof(lit) - 1 && !memcmp(cname, lit, clen))
	if (CNAME("default") || CNAME("string")) {
		cv->type = CONV_STRING;
		params = str_params;
	} else if (CNAME("int")) {
		cv->type = CONV_INT;
		params = int_params;
	} else if (CNAME("float")) {
		cv->type = CONV_FLOAT;
		params = float_params;
	} else if (CNAME("path")) {
		cv->type = CONV_PATH;
	} else if (CNAME("uuid")) {
		cv->type = CONV_UUID;
	} else if (CNAME("any")) {
		cv->type = CONV_ANY;
	} else {
		cv->type = CONV_CUSTOM;
	}
#undef CNAME
	cv->weight = 100;
	cv->maxlen = SIZE_MAX;
	cv->minlen = 1;
	if (params) {
		/* Bind arguments to parameters as Python would. */
		for (i = 0; i < nargs; i++) {
			if (args[i].name) {
				for (k = 0; params[k] && (strlen(params[k]) != args[i].name_len ||
							  memcmp(params[k], args[i].name, args[i].name_len)); k++)
					;
				if (!params[k]) {
					*why = "unknown converter argument";
					return -EINVAL;
				}
			} else {
				k = npos++;
				if (!params[k]) {
					*why = "too many converter arguments";
					return -EINVAL;
				}
			}
			if (val[k]) {
				*why = "converter argument given twice";
				return -EINVAL;
			}
			val[k] = &args[i].v;
		}
	}
	switch (cv->type) {
	case CONV_STRING: {
		long long minl = 1, maxl = -1, len = -1;

		if ((val[0] && val[0]->kind != PV_NONE && !pyval__to_int(val[0], &minl)) ||
		    (val[1] && val[1]->kind != PV_NONE && !pyval__to_int(val[1], &maxl)) ||
		    (val[2] && val[2]->kind != PV_NONE && !pyval__to_int(val[2], &len)) ||
		    (val[0] && val[0]->kind == PV_NONE)) {
			*why = "bad string converter length";
			return -EINVAL;
		}
		if (val[2] && val[2]->kind != PV_NONE) {
			if (len < 0) {
				*why = "negative length";
				return -EINVAL;
			}
			cv->minlen = cv->maxlen = len;
			snprintf(tmp, sizeof(tmp), "[^/]{%lld}", len);
		} else {
			if (minl < 0 || (maxl >= 0 && maxl < minl) || (val[1] && val[1]->kind != PV_NONE && maxl < 0)) {
				*why = "bad string converter length";
				return -EINVAL;
			}
			cv->minlen = minl;
			if (maxl >= 0) {
				cv->maxlen = maxl;
				snprintf(tmp, sizeof(tmp), "[^/]{%lld,%lld}", minl, maxl);
			} else {
				snprintf(tmp, sizeof(tmp), "[^/]{%lld,}", minl);
			}
		}
		sb_str(re, tmp);
		return 0;
	}
	case CONV_INT:
	case CONV_FLOAT: {
		const struct pyval *fd = cv->type == CONV_INT ? val[0] : NULL;
		const struct pyval *mn = val[cv->type == CONV_INT ? 1 : 0];
		const struct pyval *mx = val[cv->type == CONV_INT ? 2 : 1];
		const struct pyval *sg = val[cv->type == CONV_INT ? 3 : 2];

		cv->weight = 50;
		if (fd && fd->kind != PV_NONE) {
			double d = fd->kind == PV_FLOAT ? fd->f : (double)fd->i;

			/*
			 * "if fixed_digits and len(value) != fixed_digits": a text, a
			 * fraction or a huge number is never a length, so every value fails.
			 */
			if (fd->kind == PV_INT || fd->kind == PV_BOOL)
				cv->fixed_digits = fd->i;
			else if (fd->kind == PV_FLOAT && d == 0)
				cv->fixed_digits = 0;
			else if (fd->kind == PV_FLOAT && d == floor(d) && fabs(d) < 1e18)
				cv->fixed_digits = (long long)d;
			else
				cv->fixed_digits = pyval__truthy(fd) ? -1 : 0;
		} else if (fd && fd->kind == PV_NONE) {
			cv->fixed_digits = 0;
		}
		if ((mn && !pyval__to_bound(mn, &cv->min)) || (mx && !pyval__to_bound(mx, &cv->max))) {
			*why = "min/max is not a number";
			return -EINVAL;
		}
		cv->is_signed = sg && pyval__truthy(sg);
		if (cv->is_signed)
			sb_str(re, "-?");
		sb_str(re, cv->type == CONV_INT ? "\\d+" : "\\d+\\.\\d+");
		return 0;
	}
	case CONV_PATH:
		cv->weight = 200;
		sb_str(re, "[^/].*?");
		return 0;
	case CONV_UUID:
		sb_str(re, "[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}");
		return 0;
	case CONV_ANY:
		for (i = 0; i < nargs; i++) {
			if (args[i].name || args[i].v.kind != PV_STR) {
				*why = "any() takes strings only";
				return -EINVAL;
			}
		}
		cv->items = calloc(nargs + 1, sizeof(*cv->items));
		cv->item_lens = calloc(nargs + 1, sizeof(*cv->item_lens));
		if (!cv->items || !cv->item_lens)
			return -ENOMEM;
		sb_str(re, "(?:");
		for (i = 0; i < nargs; i++) {
			cv->items[i] = args[i].v.s;
			cv->item_lens[i] = args[i].v.slen;
			args[i].v.s = NULL;
			if (i)
				sb_str(re, "|");
			sb_re_escape(re, cv->items[i], cv->item_lens[i]);
		}
		cv->nitems = nargs;
		sb_str(re, ")");
		return 0;
	case CONV_CUSTOM:
		/* A converter registered at run time: BaseConverter's "[^/]+" is our best guess. */
		sb_str(re, "[^/]+~");
		sb_add(re, cname, clen);
		return 0;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Rules: Rule._parse_rule */

static void free_conv(struct conv *cv)
{
	size_t i;

	free(cv->var);
	for (i = 0; i < cv->nitems; i++)
		free(cv->items[i]);
	free(cv->items);
	free(cv->item_lens);
}

static void free_part(struct part *p)
{
	free(p->content);
	free(p->lits);
	free(p->pieces);
	free(p->w.sw_len);
	free(p->w.aw);
}

static void free_rule(struct rule *r)
{
	size_t i;

	free(r->text);
	free(r->endpoint);
	for (i = 0; i < r->nmethods; i++)
		free(r->methods[i]);
	free(r->methods);
	free(r->methods_str);
	for (i = 0; i < r->nparts; i++)
		free_part(&r->parts[i]);
	free(r->parts);
	for (i = 0; i < r->nocc; i++)
		free_conv(&r->occ[i]);
	free(r->occ);
	free(r->vconv);
	free(r->trace);
	pyval__clear(&r->defaults);
	for (i = 0; i < r->nargs; i++)
		free(r->args[i]);
	free(r->args);
	free(r->providers);
}

/* A part being built. */
struct pbuild {
	struct sbuf content;
	struct sbuf lits;       /* literal pieces' text, back to back */
	struct piece pieces[2 * MAX_CAPS + 64];
	size_t npieces;
	bool is_static, final;
	int sw[256];
	size_t nsw;
	int aw[MAX_CAPS];
	size_t naw;
	size_t ncaps;
	bool overflow;
};

static void pb_reset(struct pbuild *pb)
{
	pb->content.n = 0;
	if (pb->content.s)
		pb->content.s[0] = '\0';
	pb->lits.n = 0;
	pb->npieces = 0;
	pb->is_static = true;
	pb->final = false;
	pb->nsw = pb->naw = pb->ncaps = 0;
}

/* Literal text of a dynamic part (adjacent literals merge). */
static void pb_lit(struct pbuild *pb, const char *s, size_t n)
{
	if (pb->npieces && pb->pieces[pb->npieces - 1].conv < 0) {
		pb->pieces[pb->npieces - 1].len += n;
	} else if (pb->npieces < sizeof(pb->pieces) / sizeof(pb->pieces[0])) {
		pb->pieces[pb->npieces++] = (struct piece){ .off = pb->lits.n, .len = n, .conv = -1 };
	} else {
		pb->overflow = true;
	}
	sb_add(&pb->lits, s, n);
}

static int pb_emit(struct rule *r, struct pbuild *pb)
{
	struct part *p, *g;

	if (!pb->is_static)
		sb_str(&pb->content, "\\Z");
	if (pb->content.oom || pb->lits.oom)
		return -ENOMEM;
	g = realloc(r->parts, (r->nparts + 1) * sizeof(*g));
	if (!g)
		return -ENOMEM;
	r->parts = g;
	p = &r->parts[r->nparts++];
	memset(p, 0, sizeof(*p));
	p->is_static = pb->is_static;
	p->final = pb->final;
	p->content_len = pb->content.n;
	p->content = malloc(pb->content.n + 1);
	p->lits = malloc(pb->lits.n + 1);
	p->pieces = calloc(pb->npieces + 1, sizeof(*p->pieces));
	p->w.sw_len = calloc(pb->nsw + 1, sizeof(int));
	p->w.aw = calloc(pb->naw + 1, sizeof(int));
	if (!p->content || !p->lits || !p->pieces || !p->w.sw_len || !p->w.aw)
		return -ENOMEM;
	memcpy(p->content, pb->content.s ? pb->content.s : "", pb->content.n + 1);
	memcpy(p->lits, pb->lits.s ? pb->lits.s : "", pb->lits.n + 1);
	memcpy(p->pieces, pb->pieces, pb->npieces * sizeof(*p->pieces));
	p->npieces = pb->npieces;
	memcpy(p->w.sw_len, pb->sw, pb->nsw * sizeof(int));
	p->w.nstatic = pb->nsw;
	memcpy(p->w.aw, pb->aw, pb->naw * sizeof(int));
	p->w.nargs = pb->naw;
	p->ncaps = pb->ncaps;
	return 0;
}

static bool is_ident_start(char c)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_ident(char c)
{
	return is_ident_start(c) || (c >= '0' && c <= '9');
}

/* [a-zA-Z_][a-zA-Z0-9_]* at s[i]: its length, 0 if none. */
static size_t ident_len(const char *s, size_t n, size_t i)
{
	size_t k = i;

	if (k >= n || !is_ident_start(s[k]))
		return 0;
	while (k < n && is_ident(s[k]))
		k++;
	return k - i;
}

/*
 * A variable "<conv(args):name>" or "<name>" at s[i] == '<', as _part_re
 * matches it. Returns the length of the match (0: no match).
 */
static size_t match_variable(const char *s, size_t n, size_t i, size_t *cs, size_t *cl, size_t *as, size_t *al,
			     bool *has_args, size_t *vs, size_t *vl)
{
	size_t c = ident_len(s, n, i + 1), p, v;

	*has_args = false;
	*cl = 0;
	if (c) {
		p = i + 1 + c;
		/* With arguments: the shortest (...) that lets the rest match. */
		if (p < n && s[p] == '(') {
			size_t q;

			for (q = p + 1; q < n && s[q] != '\n'; q++) {
				if (s[q] != ')' || q + 1 >= n || s[q + 1] != ':')
					continue;
				v = ident_len(s, n, q + 2);
				if (v && q + 2 + v < n && s[q + 2 + v] == '>') {
					*cs = i + 1;
					*cl = c;
					*has_args = true;
					*as = p + 1;
					*al = q - p - 1;
					*vs = q + 2;
					*vl = v;
					return q + 3 + v - i;
				}
			}
		}
		if (p < n && s[p] == ':') {
			v = ident_len(s, n, p + 1);
			if (v && p + 1 + v < n && s[p + 1 + v] == '>') {
				*cs = i + 1;
				*cl = c;
				*vs = p + 1;
				*vl = v;
				return p + 2 + v - i;
			}
		}
	}
	v = ident_len(s, n, i + 1);
	if (v && i + 1 + v < n && s[i + 1 + v] == '>') {
		*vs = i + 1;
		*vl = v;
		return v + 2;
	}
	return 0;
}

/* Rule text -> parts, converters, trace. 0, -EINVAL (why says), -ENOMEM. */
static int parse_rule(struct rule *r, const char *text, size_t n, const char **why)
{
	struct pbuild *pb = calloc(1, sizeof(*pb));
	struct sbuf trace = { 0 };
	size_t i = 0, k;
	int err = 0;

	if (!pb)
		return -ENOMEM;
	pb_reset(pb);
	/* The domain part (subdomain "") is implicit: the trie starts after it. */
	while (i < n && !err) {
		if (text[i] == '/') {
			sb_add(&trace, "/", 1);
			if (pb->final) {
				sb_add(&pb->content, "/", 1);
				pb_lit(pb, "/", 1);
			} else {
				err = pb_emit(r, pb);
				pb_reset(pb);
			}
			i++;
		} else if (text[i] != '<') {
			size_t s = i, len;

			while (i < n && text[i] != '<' && text[i] != '/')
				i++;
			len = i - s;
			sb_add(&trace, text + s, len);
			if (pb->nsw < sizeof(pb->sw) / sizeof(pb->sw[0]))
				pb->sw[pb->nsw++] = -(int)cp_count(text + s, len);
			else
				pb->overflow = true;
			if (pb->is_static)
				sb_add(&pb->content, text + s, len);
			else
				sb_re_escape(&pb->content, text + s, len);
			pb_lit(pb, text + s, len);
		} else {
			size_t cs = 0, cl = 0, as = 0, al = 0, vs = 0, vl = 0, m, nargs = 0;
			struct carg args[16];
			struct conv cv = { 0 };
			struct conv *g;
			bool has_args;

			m = match_variable(text, n, i, &cs, &cl, &as, &al, &has_args, &vs, &vl);
			if (!m) {
				*why = "malformed url rule";
				err = -EINVAL;
				break;
			}
			if (r->nocc >= MAX_CAPS) {
				*why = "too many converters";
				err = -EINVAL;
				break;
			}
			if (pb->is_static) {
				/* Switching to a regex: the text so far gets escaped. */
				struct sbuf esc = { 0 };

				sb_re_escape(&esc, pb->content.s ? pb->content.s : "", pb->content.n);
				free(pb->content.s);
				pb->content = esc;
				if (!pb->content.s)
					sb_add(&pb->content, "", 0);
				pb->is_static = false;
			}
			if (has_args) {
				err = parse_converter_args(text + as, al, args, sizeof(args) / sizeof(args[0]), &nargs);
				if (err == -E2BIG) {
					*why = "too many converter arguments";
					err = -EINVAL;
				}
			}
			sb_add(&pb->content, "(", 1);
			if (!err)
				err = make_conv(cl ? text + cs : "default", cl ? cl : 7, args, nargs, &cv, &pb->content, why);
			sb_add(&pb->content, ")", 1);
			for (k = 0; k < nargs; k++)
				pyval__clear(&args[k].v);
			if (!err) {
				cv.var = malloc(vl + 1);
				g = realloc(r->occ, (r->nocc + 1) * sizeof(*g));
				if (g)
					r->occ = g;
				if (!cv.var || !g) {
					err = -ENOMEM;
				} else {
					memcpy(cv.var, text + vs, vl);
					cv.var[vl] = '\0';
					r->occ = g;
					r->occ[r->nocc++] = cv;
					memset(&cv, 0, sizeof(cv));
				}
			}
			free_conv(&cv);
			if (err)
				break;
			if (r->occ[r->nocc - 1].type == CONV_PATH)
				pb->final = true;
			if (pb->naw < MAX_CAPS)
				pb->aw[pb->naw++] = r->occ[r->nocc - 1].weight;
			if (pb->npieces < sizeof(pb->pieces) / sizeof(pb->pieces[0]))
				pb->pieces[pb->npieces++] = (struct piece){ .conv = (int)(r->nocc - 1) };
			else
				pb->overflow = true;
			pb->ncaps++;
			sb_add(&trace, "<", 1);
			sb_add(&trace, text + vs, vl);
			sb_add(&trace, ">", 1);
			i += m;
		}
	}
	if (!err)
		err = pb_emit(r, pb);
	if (!err && pb->overflow) {
		*why = "rule too complex";
		err = -EINVAL;
	}
	if (!err && trace.oom)
		err = -ENOMEM;
	if (!err)
		r->trace = trace.s ? trace.s : strdup("");
	else
		free(trace.s);
	if (!err && !r->trace)
		err = -ENOMEM;
	free(pb->content.s);
	free(pb->lits.s);
	free(pb);
	return err;
}

/* Werkzeug's _converters: one entry per variable name (its last converter), in first-seen order. */
static int index_converters(struct rule *r)
{
	size_t i, j;

	r->vconv = calloc(r->nocc + 1, sizeof(*r->vconv));
	if (!r->vconv)
		return -ENOMEM;
	for (i = 0; i < r->nocc; i++) {
		for (j = 0; j < r->nvconv && strcmp(r->occ[r->vconv[j]].var, r->occ[i].var); j++)
			;
		r->vconv[j] = i;
		if (j == r->nvconv)
			r->nvconv++;
	}
	return 0;
}

/* Rule.arguments: the variables and the defaults' keys (a set). */
static int collect_arguments(struct rule *r)
{
	size_t i, j, max = r->nocc + (r->defaults.kind == PV_DICT ? r->defaults.n : 0);
	const char *name;

	r->args = calloc(max + 1, sizeof(*r->args));
	if (!r->args)
		return -ENOMEM;
	for (i = 0; i < max; i++) {
		if (i < r->nocc) {
			name = r->occ[i].var;
		} else {
			const struct pyval *k = &r->defaults.items[2 * (i - r->nocc)];

			if (k->kind != PV_STR)
				continue;
			name = k->s;
		}
		for (j = 0; j < r->nargs && strcmp(r->args[j], name); j++)
			;
		if (j < r->nargs)
			continue;
		r->args[r->nargs] = strdup(name);
		if (!r->args[r->nargs])
			return -ENOMEM;
		r->nargs++;
	}
	return 0;
}

static int method_bit(const char *m)
{
	size_t i;

	for (i = 0; i < sizeof(std_methods) / sizeof(std_methods[0]); i++)
		if (!strcmp(m, std_methods[i]))
			return i;
	return -1;
}

/* re.sub("/{2,}?", "/", s): every "//" becomes "/" (so "///" is "//"). */
static size_t merge_slashes(const char *in, size_t n, char *out)
{
	size_t i = 0, o = 0;

	while (i < n) {
		if (in[i] == '/' && i + 1 < n && in[i + 1] == '/') {
			out[o++] = '/';
			i += 2;
		} else {
			out[o++] = in[i++];
		}
	}
	return o;
}

static int compile_rule(struct rule *r, struct route_decl *d, const char **why)
{
	size_t i, len = strlen(d->rule), n;
	struct sbuf ms = { 0 };
	char *text;
	int err, bit;

	/* Take over what the declaration owns. */
	r->text = d->rule;
	d->rule = NULL;
	r->endpoint = d->endpoint;
	d->endpoint = NULL;
	r->methods = d->methods;
	r->nmethods = d->nmethods;
	d->methods = NULL;
	d->nmethods = 0;
	r->defaults = d->defaults;
	memset(&d->defaults, 0, sizeof(d->defaults));
	r->strict_slashes = d->strict_slashes;
	r->build_only = d->build_only;
	r->redirects = d->redirects;
	r->alias = d->alias;
	r->other_host = d->other_host;
	for (i = 0; i < r->nmethods; i++) {
		bit = method_bit(r->methods[i]);
		if (bit >= 0)
			r->mask |= 1u << bit;
		if (i)
			sb_add(&ms, ",", 1);
		sb_str(&ms, r->methods[i]);
	}
	if (!r->nmethods)
		sb_add(&ms, "", 0);
	if (ms.oom)
		return -ENOMEM;
	r->methods_str = ms.s;
	text = malloc(len + 1);
	if (!text)
		return -ENOMEM;
	n = d->merge_slashes ? merge_slashes(r->text, len, text) : (memcpy(text, r->text, len), len);
	err = parse_rule(r, text, n, why);
	free(text);
	if (!err)
		err = index_converters(r);
	if (!err)
		err = collect_arguments(r);
	return err;
}

/* ------------------------------------------------------------------ */
/* The trie: StateMachineMatcher.add/update */

static int cmp_weight(const struct weight *a, const struct weight *b)
{
	size_t i;

	/* Weighting(-len(static), static_weights, -len(args), arg_weights), compared as tuples. */
	if (a->nstatic != b->nstatic)
		return a->nstatic > b->nstatic ? -1 : 1;
	for (i = 0; i < a->nstatic && i < b->nstatic; i++)
		if (a->sw_len[i] != b->sw_len[i])
			return a->sw_len[i] < b->sw_len[i] ? -1 : 1;
	if (a->nargs != b->nargs)
		return a->nargs > b->nargs ? -1 : 1;
	for (i = 0; i < a->nargs && i < b->nargs; i++)
		if (a->aw[i] != b->aw[i])
			return a->aw[i] < b->aw[i] ? -1 : 1;
	return 0;
}

/* RulePart.__eq__ of two dynamic parts. */
static bool same_part(const struct part *a, const struct part *b)
{
	return a->final == b->final && a->content_len == b->content_len &&
	       !memcmp(a->content, b->content, a->content_len) && !cmp_weight(&a->w, &b->w);
}

static void free_node(struct node *n)
{
	size_t i;

	if (!n)
		return;
	for (i = 0; i < n->nst; i++)
		free_node(n->st[i].child);
	for (i = 0; i < n->ndy; i++)
		free_node(n->dy[i].child);
	free(n->st);
	free(n->dy);
	free(n->rules);
	free(n);
}

static bool grow(void **v, size_t *cap, size_t n, size_t elem)
{
	size_t ncap;
	void *g;

	if (n < *cap)
		return true;
	ncap = *cap ? *cap * 2 : 4;
	g = realloc(*v, ncap * elem);
	if (!g)
		return false;
	*v = g;
	*cap = ncap;
	return true;
}

static int trie_add(struct node *root, const struct rule *r, size_t idx)
{
	struct node *n = root, *child;
	size_t i, k;

	for (i = 0; i < r->nparts; i++) {
		const struct part *p = &r->parts[i];

		child = NULL;
		if (p->is_static) {
			for (k = 0; k < n->nst; k++)
				if (n->st[k].len == p->content_len && !memcmp(n->st[k].key, p->content, p->content_len))
					break;
			if (k < n->nst) {
				child = n->st[k].child;
			} else {
				if (!grow((void **)&n->st, &n->cst, n->nst, sizeof(*n->st)))
					return -ENOMEM;
				child = calloc(1, sizeof(*child));
				if (!child)
					return -ENOMEM;
				n->st[n->nst++] = (struct sedge){ p->content, p->content_len, child };
			}
		} else {
			for (k = 0; k < n->ndy; k++)
				if (same_part(n->dy[k].part, p))
					break;
			if (k < n->ndy) {
				child = n->dy[k].child;
			} else {
				if (!grow((void **)&n->dy, &n->cdy, n->ndy, sizeof(*n->dy)))
					return -ENOMEM;
				child = calloc(1, sizeof(*child));
				if (!child)
					return -ENOMEM;
				n->dy[n->ndy++] = (struct dedge){ r, p, child };
			}
		}
		n = child;
	}
	if (!grow((void **)&n->rules, &n->crules, n->nrules, sizeof(*n->rules)))
		return -ENOMEM;
	n->rules[n->nrules++] = idx;
	return 0;
}

static int cmp_sedge(const void *a, const void *b)
{
	const struct sedge *x = a, *y = b;

	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(x->key, y->key, x->len);
}

/* Sort static edges for lookup, dynamic ones by weight (stable, as list.sort). */
static void trie_update(struct node *n)
{
	size_t i, j;

	if (n->nst > 1)
		qsort(n->st, n->nst, sizeof(*n->st), cmp_sedge);
	for (i = 1; i < n->ndy; i++) {
		struct dedge e = n->dy[i];

		for (j = i; j > 0 && cmp_weight(&n->dy[j - 1].part->w, &e.part->w) > 0; j--)
			n->dy[j] = n->dy[j - 1];
		n->dy[j] = e;
	}
	for (i = 0; i < n->nst; i++)
		trie_update(n->st[i].child);
	for (i = 0; i < n->ndy; i++)
		trie_update(n->dy[i].child);
}

static const struct node *static_child(const struct node *n, const char *key, size_t len)
{
	size_t lo = 0, hi = n->nst;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct sedge *e = &n->st[mid];
		int c = e->len != len ? (e->len < len ? -1 : 1) : memcmp(e->key, key, len);

		if (!c)
			return e->child;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Defaults: MapAdapter.get_default_redirect */

static int build_key_cmp(const struct rule *a, const struct rule *b)
{
	/* Rule.build_compare_key: (alias, -len(arguments), -len(defaults)). */
	size_t da = a->defaults.kind == PV_DICT ? a->defaults.n : 0;
	size_t db = b->defaults.kind == PV_DICT ? b->defaults.n : 0;

	if (a->alias != b->alias)
		return a->alias ? 1 : -1;
	if (a->nargs != b->nargs)
		return a->nargs > b->nargs ? -1 : 1;
	if (da != db)
		return da > db ? -1 : 1;
	return 0;
}

static bool same_arguments(const struct rule *a, const struct rule *b)
{
	size_t i, j;

	if (a->nargs != b->nargs)
		return false;
	for (i = 0; i < a->nargs; i++) {
		for (j = 0; j < b->nargs && strcmp(a->args[i], b->args[j]); j++)
			;
		if (j == b->nargs)
			return false;
	}
	return true;
}

/* For each rule, the earlier rules of its endpoint whose defaults can redirect to them. */
static int find_providers(struct routes *rs)
{
	size_t *order, i, j, k, n;
	int err = 0;

	order = calloc(rs->nrules + 1, sizeof(*order));
	if (!order)
		return -ENOMEM;
	for (i = 0; i < rs->nrules && !err; i++) {
		struct rule *r = &rs->rules[i];

		if (!r->endpoint || r->build_only)
			continue;
		/* _rules_by_endpoint[endpoint], stably sorted by build_compare_key. */
		for (n = 0, j = 0; j < rs->nrules; j++) {
			if (!rs->rules[j].endpoint || strcmp(rs->rules[j].endpoint, r->endpoint))
				continue;
			for (k = n; k > 0 && build_key_cmp(&rs->rules[order[k - 1]], &rs->rules[j]) > 0; k--)
				order[k] = order[k - 1];
			order[k] = j;
			n++;
		}
		for (j = 0; j < n && order[j] != i; j++) {
			const struct rule *p = &rs->rules[order[j]];

			/* provides_defaults_for(): defaults, same endpoint, another rule, same arguments. */
			if (p->build_only || p->defaults.kind != PV_DICT || !p->defaults.n ||
			    !strcmp(p->trace, r->trace) || !same_arguments(p, r))
				continue;
			size_t *g = realloc(r->providers, (r->nproviders + 1) * sizeof(*g));

			if (!g) {
				err = -ENOMEM;
				break;
			}
			r->providers = g;
			r->providers[r->nproviders++] = order[j];
		}
	}
	free(order);
	return err;
}

/* Map.iter_rules(): _rules_by_endpoint's lists, in the order endpoints first appeared. */
static int list_order(struct routes *rs)
{
	bool *done = calloc(rs->nrules + 1, sizeof(*done));
	size_t i, j, k, n = 0, start;

	rs->list = calloc(rs->nrules + 1, sizeof(*rs->list));
	if (!done || !rs->list) {
		free(done);
		return -ENOMEM;
	}
	for (i = 0; i < rs->nrules; i++) {
		const char *ep = rs->rules[i].endpoint;

		if (done[i])
			continue;
		start = n;
		for (j = i; j < rs->nrules; j++) {
			if (done[j] || (j != i && (!ep || !rs->rules[j].endpoint || strcmp(ep, rs->rules[j].endpoint))))
				continue;
			done[j] = true;
			for (k = n; k > start && build_key_cmp(&rs->rules[rs->list[k - 1]], &rs->rules[j]) > 0; k--)
				rs->list[k] = rs->list[k - 1];
			rs->list[k] = j;
			n++;
		}
	}
	free(done);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Loading */

void routes__free(struct routes *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->nrules; i++)
		free_rule(&r->rules[i]);
	free(r->rules);
	free(r->list);
	free_node(r->root);
	routes_extract__free(&r->notes);
	free(r);
}

static struct routes *build(struct route_decls *decls, char *err, size_t errlen)
{
	struct routes *rs = calloc(1, sizeof(*rs));
	size_t i;
	int rc = 0;

	if (!rs)
		goto oom;
	rs->rules = calloc(decls->n + 1, sizeof(*rs->rules));
	rs->root = calloc(1, sizeof(*rs->root));
	if (!rs->rules || !rs->root)
		goto oom;
	/* The notes of the reading come first, then those of compiling. */
	rs->notes.notes = decls->notes;
	rs->notes.nnotes = decls->nnotes;
	decls->notes = NULL;
	decls->nnotes = 0;
	for (i = 0; i < decls->n; i++) {
		struct route_decl *d = &decls->v[i];
		struct rule *r = &rs->rules[rs->nrules];
		const char *why = NULL;
		char *file = d->file;
		int line = d->line;

		memset(r, 0, sizeof(*r));
		rc = compile_rule(r, d, &why);
		if (rc == -ENOMEM) {
			free_rule(r);
			goto oom;
		}
		if (rc) {
			char note[1024];

			snprintf(note, sizeof(note), "%s:%d: rule '%s': %s (Flask would fail to start); skipped",
				 file, line, r->text, why ? why : "invalid");
			if (route_decls__note(&rs->notes, note)) {
				free_rule(r);
				goto oom;
			}
			free_rule(r);
			continue;
		}
		rs->nrules++;
	}
	for (i = 0; i < rs->nrules; i++) {
		const struct rule *r = &rs->rules[i];

		/* Map.add: build-only rules are not matched; other hosts never match here. */
		if (r->build_only || r->other_host)
			continue;
		if (trie_add(rs->root, r, i))
			goto oom;
	}
	trie_update(rs->root);
	if (find_providers(rs) || list_order(rs))
		goto oom;
	return rs;
oom:
	routes__free(rs);
	if (err && errlen)
		snprintf(err, errlen, "out of memory");
	errno = ENOMEM;
	return NULL;
}

struct routes *routes__build(struct route_decls *decls, char *err, size_t errlen)
{
	return build(decls, err, errlen);
}

static int cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Add method m (n bytes, upper-cased) to d unless it is there. */
static int decl_method(struct route_decl *d, const char *m, size_t n)
{
	char **g, *u;
	size_t i;

	for (i = 0; i < d->nmethods; i++)
		if (strlen(d->methods[i]) == n && !strncasecmp(d->methods[i], m, n))
			return 0;
	u = strndup(m, n);
	g = u ? realloc(d->methods, (d->nmethods + 1) * sizeof(*g)) : NULL;
	if (!g) {
		free(u);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		u[i] = (char)toupper((unsigned char)u[i]);
	d->methods = g;
	d->methods[d->nmethods++] = u;
	return 0;
}

int routes__add_extra(struct route_decls *decls, const char *spec, const char *where, int line,
		      char *err, size_t errlen)
{
	const char *rule = spec, *p, *sp = NULL;
	struct route_decl *d, *g;
	bool get = false;
	size_t i;
	int rc = 0;

	if (spec[0] != '/') {
		sp = strchr(spec, ' ');
		if (!sp) {
			snprintf(err, errlen, "'%s' is not [METHODS ]RULE", spec);
			return -EINVAL;
		}
		for (rule = sp; *rule == ' '; rule++)
			;
	}
	if (rule[0] != '/') {
		snprintf(err, errlen, "'%s': the rule must start with '/'", spec);
		return -EINVAL;
	}
	g = realloc(decls->v, (decls->n + 1) * sizeof(*g));
	if (!g)
		return -ENOMEM;
	decls->v = g;
	d = &decls->v[decls->n];
	memset(d, 0, sizeof(*d));
	d->rule = strdup(rule);
	d->file = strdup(where);
	d->line = line;
	d->defaults.kind = PV_NONE;
	d->strict_slashes = true;
	d->merge_slashes = true;
	if (!d->rule || !d->file)
		rc = -ENOMEM;
	for (p = spec; sp && p < sp && !rc;) {
		size_t n = strcspn(p, ", ");

		if (p + n > sp)
			n = (size_t)(sp - p);
		if (n)
			rc = decl_method(d, p, n);
		p += n + 1;
	}
	if (!rc && !d->nmethods)
		rc = decl_method(d, "GET", 3);
	for (i = 0; !rc && i < d->nmethods; i++)
		get |= !strcmp(d->methods[i], "GET");
	if (!rc && get)
		rc = decl_method(d, "HEAD", 4);
	if (!rc)
		rc = decl_method(d, "OPTIONS", 7);
	if (rc) {
		free(d->rule);
		free(d->file);
		for (i = 0; i < d->nmethods; i++)
			free(d->methods[i]);
		free(d->methods);
		return rc;
	}
	qsort(d->methods, d->nmethods, sizeof(*d->methods), cmp_cstr);
	decls->n++;
	return 0;
}

struct routes *routes__load(const char *file_or_dir, char *err, size_t errlen)
{
	struct route_decls decls;
	struct routes *rs;
	int rc;

	if (!file_or_dir) {
		if (err && errlen)
			snprintf(err, errlen, "no Flask source given");
		errno = EINVAL;
		return NULL;
	}
	rc = routes_extract__path(file_or_dir, &decls, err, errlen);
	if (rc) {
		errno = -rc;
		return NULL;
	}
	rs = build(&decls, err, errlen);
	routes_extract__free(&decls);
	routes__say_notes(rs);
	return rs;
}

struct routes *routes__load_source(const char *name, const char *src, size_t len, char *err, size_t errlen)
{
	struct route_decls decls;
	struct routes *rs;
	int rc;

	rc = routes_extract__source(name ? name : "<source>", src, len, &decls, err, errlen);
	if (rc) {
		errno = -rc;
		return NULL;
	}
	rs = build(&decls, err, errlen);
	routes_extract__free(&decls);
	routes__say_notes(rs);
	return rs;
}

size_t routes__notes(const struct routes *r, const char *const **notes)
{
	if (!r) {
		*notes = NULL;
		return 0;
	}
	*notes = (const char *const *)r->notes.notes;
	return r->notes.nnotes;
}

void routes__say_notes(const struct routes *r)
{
	const char *const *notes;
	size_t n = routes__notes(r, &notes), i;

	for (i = 0; i < n; i++)
		pr_warn("%s", notes[i]);
}

size_t routes__count(const struct routes *r)
{
	return r ? r->nrules : 0;
}

int routes__rule(const struct routes *r, size_t i, const char **rule, char *methods, size_t methods_len)
{
	size_t n;

	if (!r || i >= r->nrules)
		return -ERANGE;
	i = r->list[i];
	if (rule)
		*rule = r->rules[i].text;
	if (methods && methods_len) {
		n = strlen(r->rules[i].methods_str);
		snprintf(methods, methods_len, "%s", r->rules[i].methods_str);
		if (n >= methods_len)
			return -ENOSPC;
	}
	return 0;
}

const char *route_verdict__name(enum route_verdict v)
{
	switch (v) {
	case ROUTE_MATCH: return "match";
	case ROUTE_REDIRECT: return "redirect";
	case ROUTE_METHOD: return "method";
	case ROUTE_UNKNOWN: return "unknown";
	}
	return "unknown";
}

/* ------------------------------------------------------------------ */
/* Matching */

struct span {
	size_t s, e;
};

struct mctx {
	const struct routes *rs;
	const char *buf;           /* the path as Werkzeug's matcher sees it */
	size_t len;
	int mbit;                  /* the method's bit, -1 for others */
	const char *method;        /* uppercase */
	bool have_match_for;       /* a rule matched the path but not the method */
	const struct rule *method_rule;
	const struct rule *found;
	size_t nfound_caps;
	struct span caps[MAX_CAPS];
	long steps;                /* backtracking budget left */
};

enum { M_NONE, M_FOUND, M_SLASH };

static bool method_ok(const struct mctx *m, const struct rule *r)
{
	size_t i;

	if (m->mbit >= 0)
		return r->mask & (1u << m->mbit);
	for (i = 0; i < r->nmethods; i++)
		if (!strcmp(r->methods[i], m->method))
			return true;
	return false;
}

static void note_method_miss(struct mctx *m, const struct rule *r)
{
	m->have_match_for = true;
	if (!m->method_rule)
		m->method_rule = r;
}

static bool match_pieces(struct mctx *m, const struct rule *r, const struct part *p, size_t k, size_t pos,
			 size_t end, struct span *caps);

/* Try the rest of the pieces after converter k captured [pos, e). */
static bool take(struct mctx *m, const struct rule *r, const struct part *p, size_t k, size_t pos, size_t e,
		 size_t end, struct span *caps)
{
	if (--m->steps < 0)
		return false;
	caps[0] = (struct span){ pos, e };
	return match_pieces(m, r, p, k + 1, e, end, caps + 1);
}

/* The regex of a dynamic part, anchored at both ends, with Python's backtracking order. */
static bool match_pieces(struct mctx *m, const struct rule *r, const struct part *p, size_t k, size_t pos,
			 size_t end, struct span *caps)
{
	const char *s = m->buf;
	const struct piece *pc;
	const struct conv *cv;
	size_t i, e, run;
	uint32_t cp;

	if (k == p->npieces)
		return pos == end;
	pc = &p->pieces[k];
	if (pc->conv < 0)
		return end - pos >= pc->len && !memcmp(s + pos, p->lits + pc->off, pc->len) &&
		       match_pieces(m, r, p, k + 1, pos + pc->len, end, caps);
	cv = &r->occ[pc->conv];
	switch (cv->type) {
	case CONV_STRING:
	case CONV_CUSTOM: {
		/* [^/]{min,max} and [^/]+: greedy. */
		size_t min = cv->type == CONV_CUSTOM ? 1 : cv->minlen;
		size_t max = cv->type == CONV_CUSTOM ? SIZE_MAX : cv->maxlen;

		for (e = pos, run = 0; e < end && s[e] != '/' && run < max; run++)
			e += cp_at(s, e, &cp);
		if (run < min)
			return false;
		for (;;) {
			if (take(m, r, p, k, pos, e, end, caps))
				return true;
			if (run-- == min || m->steps < 0)
				return false;
			e = cp_back(s, e);
		}
	}
	case CONV_INT:
	case CONV_FLOAT: {
		/* -?\d+ and -?\d+\.\d+: greedy; the sign is tried first when present. */
		size_t d = pos, digits;

		if (cv->is_signed && d < end && s[d] == '-')
			d++;
		for (e = d, digits = 0; e < end; digits++) {
			size_t l = cp_at(s, e, &cp);

			if (pyval__digit_value(cp) < 0)
				break;
			e += l;
		}
		if (!digits)
			return false;
		if (cv->type == CONV_FLOAT) {
			/* The first \d+ must take every digit: a "." has to follow. */
			size_t f;

			if (e >= end || s[e] != '.')
				return false;
			d = e + 1;
			for (f = d, digits = 0; f < end; digits++) {
				size_t l = cp_at(s, f, &cp);

				if (pyval__digit_value(cp) < 0)
					break;
				f += l;
			}
			if (!digits)
				return false;
			e = f;
		}
		for (;;) {
			if (take(m, r, p, k, pos, e, end, caps))
				return true;
			if (--digits == 0 || m->steps < 0)
				return false;
			e = cp_back(s, e);
		}
	}
	case CONV_UUID:
		if (end - pos < 36)
			return false;
		for (i = 0; i < 36; i++) {
			char c = s[pos + i];

			if (i == 8 || i == 13 || i == 18 || i == 23) {
				if (c != '-')
					return false;
			} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
				return false;
			}
		}
		return take(m, r, p, k, pos, pos + 36, end, caps);
	case CONV_ANY:
		/* (?:a|b|c): alternatives in order; (?:) matches nothing at all. */
		if (!cv->nitems)
			return take(m, r, p, k, pos, pos, end, caps);
		for (i = 0; i < cv->nitems; i++)
			if (end - pos >= cv->item_lens[i] && !memcmp(s + pos, cv->items[i], cv->item_lens[i]) &&
			    take(m, r, p, k, pos, pos + cv->item_lens[i], end, caps))
				return true;
		return false;
	case CONV_PATH:
		/* [^/].*?: one character that is not "/", then lazily anything but a newline. */
		if (pos >= end || s[pos] == '/')
			return false;
		e = pos + cp_at(s, pos, &cp);
		for (;;) {
			if (take(m, r, p, k, pos, e, end, caps))
				return true;
			if (e >= end || s[e] == '\n' || m->steps < 0)
				return false;
			e += cp_at(s, e, &cp);
		}
	}
	return false;
}

/* StateMachineMatcher.match's _match(): s is the start of the next part, > len when none is left. */
static int match_node(struct mctx *m, const struct node *n, size_t s, size_t ncaps)
{
	const struct node *child;
	size_t i, e, next;
	int rv;

	if (s > m->len) {
		for (i = 0; i < n->nrules; i++) {
			const struct rule *r = &m->rs->rules[n->rules[i]];

			if (!method_ok(m, r)) {
				note_method_miss(m, r);
				continue;
			}
			m->found = r;
			m->nfound_caps = ncaps;
			return M_FOUND;
		}
		/* The path would match with a trailing slash. */
		child = static_child(n, "", 0);
		for (i = 0; child && i < child->nrules; i++) {
			const struct rule *r = &m->rs->rules[child->rules[i]];

			if (!method_ok(m, r))
				continue;
			m->found = r;
			m->nfound_caps = ncaps;
			return r->strict_slashes ? M_SLASH : M_FOUND;
		}
		return M_NONE;
	}
	e = s;
	while (e < m->len && m->buf[e] != '/')
		e++;
	next = e < m->len ? e + 1 : m->len + 1;
	child = static_child(n, m->buf + s, e - s);
	if (child) {
		rv = match_node(m, child, next, ncaps);
		if (rv != M_NONE)
			return rv;
	}
	for (i = 0; i < n->ndy; i++) {
		const struct dedge *d = &n->dy[i];
		size_t end = d->part->final ? m->len : e;

		if (ncaps + d->part->ncaps > MAX_CAPS)
			continue;
		if (!match_pieces(m, d->rule, d->part, 0, s, end, m->caps + ncaps))
			continue;
		rv = match_node(m, d->child, d->part->final ? m->len + 1 : next, ncaps + d->part->ncaps);
		if (rv != M_NONE)
			return rv;
	}
	/* Only an empty trailing part left: rules without strict slashes match. */
	if (s == m->len) {
		for (i = 0; i < n->nrules; i++) {
			const struct rule *r = &m->rs->rules[n->rules[i]];

			if (r->strict_slashes)
				continue;
			if (!method_ok(m, r)) {
				note_method_miss(m, r);
				continue;
			}
			m->found = r;
			m->nfound_caps = ncaps;
			return M_FOUND;
		}
	}
	return M_NONE;
}

/*
 * A matched -?\d+ (digits of any script) as an exact decimal, written
 * into buf (len + 1 bytes).
 */
static void to_decimal(const char *s, size_t n, char *buf, struct py_decimal *out)
{
	size_t i = 0, o = 0;
	uint32_t cp;

	out->neg = n && s[0] == '-';
	i = out->neg;
	while (i < n) {
		int d;

		i += cp_at(s, i, &cp);
		d = pyval__digit_value(cp);
		if (!o && !d)
			continue;
		buf[o++] = (char)('0' + d);
	}
	if (!o)
		buf[o++] = '0';
	buf[o] = '\0';
	out->d = buf;
	out->n = o;
}

/* The float() of a matched -?\d+\.\d+ (any script's digits). */
static double parse_float(const char *s, size_t n)
{
	char small[256], *buf = small;
	size_t i = 0, o = 0;
	uint32_t cp;
	double d;

	if (n >= sizeof(small)) {
		buf = malloc(n + 1);
		if (!buf)
			return NAN;
	}
	while (i < n) {
		i += cp_at(s, i, &cp);
		buf[o++] = pyval__digit_value(cp) >= 0 ? (char)('0' + pyval__digit_value(cp)) : (char)cp;
	}
	buf[o] = '\0';
	d = strtod(buf, NULL);
	if (buf != small)
		free(buf);
	return d;
}

/* NumberConverter.to_python's checks: fixed_digits, then min and max. */
static bool conv_valid(const struct conv *cv, const char *s, size_t n)
{
	if (cv->type == CONV_INT) {
		char small[128], *buf = small;
		struct py_decimal v;
		bool ok = true;

		if (cv->fixed_digits && (long long)cp_count(s, n) != cv->fixed_digits)
			return false;
		if (!cv->min.set && !cv->max.set)
			return true;
		if (n + 1 > sizeof(small)) {
			buf = malloc(n + 1);
			if (!buf)
				return true;
		}
		to_decimal(s, n, buf, &v);
		if (cv->min.set && pyval__cmp_int_bound(&v, &cv->min) == -1)
			ok = false;
		if (cv->max.set && pyval__cmp_int_bound(&v, &cv->max) == 1)
			ok = false;
		if (buf != small)
			free(buf);
		return ok;
	}
	if (cv->type == CONV_FLOAT) {
		double d;

		if (!cv->min.set && !cv->max.set)
			return true;
		d = parse_float(s, n);
		if (cv->min.set && pyval__cmp_float_bound(d, &cv->min) == -1)
			return false;
		if (cv->max.set && pyval__cmp_float_bound(d, &cv->max) == 1)
			return false;
		return true;
	}
	return true;
}

/* converted value == default value, as Python compares them. */
static bool value_equals(const struct conv *cv, const char *s, size_t n, const struct pyval *v)
{
	switch (cv->type) {
	case CONV_INT: {
		struct py_bound b = { 0 };
		char small[128], *buf = small;
		struct py_decimal d;
		int c;

		if (!pyval__to_bound(v, &b) || !b.set)
			return false;
		if (n + 1 > sizeof(small)) {
			buf = malloc(n + 1);
			if (!buf)
				return false;
		}
		to_decimal(s, n, buf, &d);
		c = pyval__cmp_int_bound(&d, &b);
		if (buf != small)
			free(buf);
		return c == 0;
	}
	case CONV_FLOAT: {
		struct py_bound b = { 0 };

		if (!pyval__to_bound(v, &b) || !b.set)
			return false;
		return pyval__cmp_float_bound(parse_float(s, n), &b) == 0;
	}
	case CONV_UUID:
		return false; /* a UUID object equals no constant */
	default:
		return v->kind == PV_STR && v->slen == n && !memcmp(v->s, s, n);
	}
}

/* Whether a default-providing rule would redirect the match (suitable_for()). */
static bool default_redirect(const struct mctx *m, const struct rule *r)
{
	size_t i, j, k;

	for (i = 0; i < r->nproviders; i++) {
		const struct rule *p = &m->rs->rules[r->providers[i]];
		bool suitable = method_ok(m, p);

		for (j = 0; suitable && j < p->defaults.n; j++) {
			const struct pyval *key = &p->defaults.items[2 * j], *dv = &p->defaults.items[2 * j + 1];
			bool found = false;

			if (key->kind != PV_STR)
				continue;
			/* values: the rule's own defaults win over converted variables. */
			for (k = 0; r->defaults.kind == PV_DICT && k < r->defaults.n; k++) {
				if (pyval__equal(&r->defaults.items[2 * k], key)) {
					suitable = pyval__equal(dv, &r->defaults.items[2 * k + 1]);
					found = true;
					break;
				}
			}
			for (k = 0; !found && k < r->nvconv && k < m->nfound_caps; k++) {
				const struct conv *cv = &r->occ[r->vconv[k]];

				if (!strcmp(cv->var, key->s)) {
					suitable = value_equals(cv, m->buf + m->caps[k].s,
								m->caps[k].e - m->caps[k].s, dv);
					break;
				}
			}
		}
		if (suitable)
			return true;
	}
	return false;
}

/* The path Werkzeug's dev server would put in PATH_INFO (still percent-encoded): [*ps, *pe). */
static void request_path(const char *raw, size_t n, size_t *ps, size_t *pe, bool *prepend_slash)
{
	const char *colon = memchr(raw, ':', n);
	size_t i, u = 0, netloc_s = 0, netloc_e = 0;
	bool scheme = false;

	*prepend_slash = false;
	/* Leading "//" is reduced to "/" by http.server and gunicorn alike. */
	if (n >= 2 && raw[0] == '/' && raw[1] == '/') {
		while (u < n && raw[u] == '/')
			u++;
		u--;
	} else if (colon && colon > raw) {
		size_t c = colon - raw;
		bool port = c + 1 < n;

		for (i = 0; i < c; i++) {
			char ch = raw[i];

			if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
			      ch == '+' || ch == ',' || ch == '-' || ch == '.'))
				break;
		}
		for (size_t j = c + 1; port && j < n; j++)
			port = raw[j] >= '0' && raw[j] <= '9';
		if (i == c && !port) {
			scheme = true;
			u = c + 1;
		}
	}
	if (u + 1 < n && raw[u] == '/' && raw[u + 1] == '/') {
		/* Absolute form: "scheme://netloc/path". */
		netloc_s = u + 2;
		for (netloc_e = netloc_s; netloc_e < n && raw[netloc_e] != '/' && raw[netloc_e] != '?' &&
					  raw[netloc_e] != '#'; netloc_e++)
			;
		u = netloc_e;
	}
	*ps = u;
	for (i = u; i < n && raw[i] != '?' && raw[i] != '#'; i++)
		;
	*pe = i;
	if (!scheme && netloc_e > netloc_s) {
		/* No scheme: the "netloc" was the first segment of the path. */
		*ps = netloc_s;
		*prepend_slash = true;
	}
}

static int hexv(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

enum route_verdict routes__match(const struct routes *r, const char *method, const char *path,
				 size_t path_len, const char **rule)
{
	char stackbuf[4 * STACK_PATH + 8], *mem = stackbuf, *dec, *norm, mbuf[32];
	struct mctx m = { .rs = r, .mbit = -1, .steps = STEP_BUDGET };
	enum route_verdict v = ROUTE_UNKNOWN;
	size_t ps, pe, i, n = 0, len, start;
	bool prepend;
	int rv;

	if (rule)
		*rule = NULL;
	if (!r || !path)
		return ROUTE_UNKNOWN;
	/* Methods are compared upper-cased, as MapAdapter.match does. */
	if (!method)
		method = "GET";
	for (i = 0; method[i] && i < sizeof(mbuf) - 1; i++)
		mbuf[i] = method[i] >= 'a' && method[i] <= 'z' ? method[i] - 32 : method[i];
	mbuf[i] = '\0';
	if (method[i])
		return ROUTE_UNKNOWN; /* no rule has a method that long */
	m.method = mbuf;
	m.mbit = method_bit(mbuf);
	if (path_len == 1 && path[0] == '*')
		return !strcmp(mbuf, "OPTIONS") ? ROUTE_MATCH : ROUTE_UNKNOWN;

	request_path(path, path_len, &ps, &pe, &prepend);
	len = pe - ps + 1;
	if (len > STACK_PATH) {
		mem = malloc(4 * len + 8);
		if (!mem)
			return ROUTE_UNKNOWN;
	}
	/* Percent-decode (a bad escape stays as it is), then UTF-8 with replacement. */
	dec = mem;
	if (prepend)
		dec[n++] = '/';
	for (i = ps; i < pe; i++) {
		if (path[i] == '%' && i + 2 < pe && hexv(path[i + 1]) >= 0 && hexv(path[i + 2]) >= 0) {
			dec[n++] = (char)(hexv(path[i + 1]) << 4 | hexv(path[i + 2]));
			i += 2;
		} else {
			dec[n++] = path[i];
		}
	}
	norm = mem + len + 1;
	/* "/" + path.lstrip("/"), or "" for an empty path. */
	for (start = 0; start < n && dec[start] == '/'; start++)
		;
	if (n) {
		norm[0] = '/';
		m.len = 1 + utf8_sanitize((unsigned char *)dec + start, n - start, norm + 1);
	}
	m.buf = norm;

	rv = match_node(&m, r->root, 0, 0);
	if (rv == M_NONE && memmem(norm, m.len, "//", 2)) {
		/* merge_slashes: a path that matches once "//" is "/" redirects there. */
		m.len = merge_slashes(norm, m.len, norm);
		rv = match_node(&m, r->root, 0, 0);
		if (rv != M_NONE)
			rv = M_SLASH;
	}
	if (rv == M_SLASH) {
		v = ROUTE_REDIRECT;
		if (rule)
			*rule = m.found->text;
	} else if (rv == M_FOUND) {
		const struct rule *f = m.found;
		bool ok = true;

		for (i = 0; i < f->nvconv && i < m.nfound_caps && ok; i++)
			ok = conv_valid(&f->occ[f->vconv[i]], m.buf + m.caps[i].s, m.caps[i].e - m.caps[i].s);
		if (!ok) {
			v = m.have_match_for ? ROUTE_METHOD : ROUTE_UNKNOWN;
			if (rule && m.have_match_for)
				*rule = m.method_rule->text;
		} else {
			v = f->redirects || default_redirect(&m, f) ? ROUTE_REDIRECT : ROUTE_MATCH;
			if (rule)
				*rule = f->text;
		}
	} else if (m.have_match_for) {
		v = ROUTE_METHOD;
		if (rule)
			*rule = m.method_rule->text;
	}
	if (mem != stackbuf)
		free(mem);
	return v;
}

/* Whether s[0..n) is all of kind: 'd' digits, 'x' hex digits. */
static bool all_of(const char *s, size_t n, char kind)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (kind == 'd' ? !is_adigit((unsigned char)s[i]) : hexv(s[i]) < 0)
			return false;
	return n > 0;
}

/* The placeholder for a segment that looks like a value, or NULL to keep it. */
static const char *segment_shape(const char *s, size_t n)
{
	const char *dot = memchr(s, '.', n);

	if (all_of(s, n, 'd'))
		return "<int>";
	if (dot && all_of(s, (size_t)(dot - s), 'd') && all_of(dot + 1, n - (size_t)(dot - s) - 1, 'd'))
		return "<float>";
	if (n == 36 && s[8] == '-' && s[13] == '-' && s[18] == '-' && s[23] == '-' &&
	    all_of(s, 8, 'x') && all_of(s + 9, 4, 'x') && all_of(s + 14, 4, 'x') &&
	    all_of(s + 19, 4, 'x') && all_of(s + 24, 12, 'x'))
		return "<uuid>";
	if (n >= 16 && all_of(s, n, 'x'))
		return "<hex>";
	return NULL;
}

size_t routes__shape(const char *path, size_t path_len, char *out, size_t outlen)
{
	size_t ps, pe, i, o = 0, seg;
	bool prepend;

	if (!outlen)
		return 0;
	if (!path || !path_len) {
		snprintf(out, outlen, "/");
		return strlen(out);
	}
	request_path(path, path_len, &ps, &pe, &prepend);
	if (prepend || ps >= pe || path[ps] != '/') {
		if (o + 1 < outlen)
			out[o++] = '/';
	}
	for (i = ps; i < pe && o + 1 < outlen; i = seg) {
		const char *shape;

		if (path[i] == '/') {
			out[o++] = '/';
			seg = i + 1;
			continue;
		}
		for (seg = i; seg < pe && path[seg] != '/'; seg++)
			;
		shape = segment_shape(path + i, seg - i);
		if (shape) {
			size_t sl = strlen(shape);

			if (o + sl >= outlen)
				break;
			memcpy(out + o, shape, sl);
			o += sl;
			continue;
		}
		/* Printable ASCII only: the shape goes into logs and metric labels. */
		for (; i < seg && o + 1 < outlen; i++)
			out[o++] = (unsigned char)path[i] > ' ' && (unsigned char)path[i] < 0x7f &&
						   path[i] != '"' && path[i] != '\\' ?
					   path[i] : '?';
	}
	out[o] = '\0';
	return o;
}

/* ------------------------------------------------------------------ */
/* Where the app's source is */

static bool is_regular(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISREG(st.st_mode);
}

/* MODULE[:APP] or path/to/file.py -> its file under the current folder. */
static int module_file(const char *spec, char *out, size_t outlen)
{
	char mod[4096], cand[4200];
	size_t n = strcspn(spec, ":"), i;
	static const char *const fmts[] = { "%s.py", "%s/__init__.py", "%s/__main__.py" };

	if (!n || n >= sizeof(mod))
		return -ENOENT;
	memcpy(mod, spec, n);
	mod[n] = '\0';
	/* A Windows-style drive or a function call never reaches here in practice. */
	if (n > 3 && !strcmp(mod + n - 3, ".py")) {
		if (!is_regular(mod))
			return -ENOENT;
		if ((size_t)snprintf(out, outlen, "%s", mod) >= outlen)
			return -ENAMETOOLONG;
		return 0;
	}
	if (!strchr(mod, '/'))
		for (i = 0; i < n; i++)
			if (mod[i] == '.')
				mod[i] = '/';
	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		snprintf(cand, sizeof(cand), fmts[i], mod);
		if (is_regular(cand)) {
			if ((size_t)snprintf(out, outlen, "%s", cand) >= outlen)
				return -ENAMETOOLONG;
			return 0;
		}
	}
	return -ENOENT;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

static bool ends_with(const char *s, const char *sfx)
{
	size_t n = strlen(s), m = strlen(sfx);

	return n >= m && !strcmp(s + n - m, sfx);
}

/* gunicorn's options that take no value. */
static bool is_gunicorn_flag(const char *opt)
{
	static const char *const flags[] = {
		"--reload", "--preload", "-D", "--daemon", "-R", "--enable-stdio-inheritance", "--spew",
		"--check-config", "--print-config", "--capture-output", "--reuse-port", "--no-sendfile",
		"--proxy-protocol", "--suppress-ragged-eofs", "--do-handshake-on-connect", "--initgroups",
		"--strip-header-spaces", "--disable-redirect-access-to-syslog", "--enable-stdio-inheritance",
	};
	size_t i;

	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (!strcmp(opt, flags[i]))
			return true;
	return false;
}

/* "pkg.module" or "pkg.module:app..." with a dotted Python name before the colon. */
static bool is_module_spec(const char *s)
{
	size_t n = strcspn(s, ":"), i;

	if (!n || !(s[0] == '_' || (s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return false;
	for (i = 1; i < n; i++)
		if (!(s[i] == '_' || s[i] == '.' || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9')))
			return false;
	return true;
}

int routes__find_source(char *const argv[], char *out, size_t outlen)
{
	const char *tool = NULL, *app = NULL;
	int i, first = 1, rc;

	if (!argv || !argv[0])
		return -ENOENT;
	/* flask ..., gunicorn ..., python -m flask|gunicorn|MODULE ... */
	if (!strcmp(base_name(argv[0]), "flask") || !strcmp(base_name(argv[0]), "gunicorn")) {
		tool = base_name(argv[0]);
	} else {
		for (i = 1; argv[i]; i++) {
			if (!strcmp(argv[i], "-m") && argv[i + 1]) {
				tool = argv[i + 1];
				first = i + 2;
				break;
			}
			if (argv[i][0] != '-')
				break;
		}
	}
	if (tool && !strcmp(tool, "flask")) {
		for (i = first; argv[i]; i++) {
			if ((!strcmp(argv[i], "--app") || !strcmp(argv[i], "-A")) && argv[i + 1])
				app = argv[i + 1];
			else if (!strncmp(argv[i], "--app=", 6))
				app = argv[i] + 6;
		}
		if (!app)
			app = getenv("FLASK_APP");
		if (app && *app)
			return module_file(app, out, outlen);
		/* flask run without an app: wsgi.py, then app.py (flask.cli.locate_app's order). */
		rc = module_file("wsgi", out, outlen);
		return rc == -ENOENT ? module_file("app", out, outlen) : rc;
	}
	if (tool && !strcmp(tool, "gunicorn")) {
		const char *last = NULL;

		/*
		 * The app is a positional argument: not an option, not an option's
		 * value (gunicorn's options take one unless they are flags).
		 * MODULE:APP wins, else the last one.
		 */
		for (i = first; argv[i]; i++) {
			if (argv[i][0] == '-')
				continue;
			if (i > first && argv[i - 1][0] == '-' && !strchr(argv[i - 1], '=') &&
			    !is_gunicorn_flag(argv[i - 1]))
				continue;
			if (!is_module_spec(argv[i]))
				continue;
			if (strchr(argv[i], ':'))
				return module_file(argv[i], out, outlen);
			last = argv[i];
		}
		return last ? module_file(last, out, outlen) : -ENOENT;
	}
	if (tool)
		return module_file(tool, out, outlen);
	for (i = 0; argv[i]; i++) {
		if (ends_with(argv[i], ".py") && argv[i][0] != '-') {
			if (!is_regular(argv[i]))
				return -ENOENT;
			if ((size_t)snprintf(out, outlen, "%s", argv[i]) >= outlen)
				return -ENAMETOOLONG;
			return 0;
		}
	}
	return -ENOENT;
}
