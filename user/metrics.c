// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* metrics.c - counters, gauges and histograms with bounded label sets, in the Prometheus text format. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

struct series {
	char *values[METRICS_MAX_LABELS]; /* clean label values, owned */
	double value;                     /* counter or gauge */
	uint64_t *counts;                 /* histogram: n_bounds + 1 per-bucket counts, owned */
	double sum;                       /* histogram: sum of the observations */
};

struct metric_family {
	struct metric_family *next; /* registration order */
	char *name, *help;
	enum metric_type type;
	size_t n_labels;
	char *labels[METRICS_MAX_LABELS];
	double *bounds; /* histogram's finite upper bounds */
	size_t n_bounds;
	struct series *series; /* in creation order, which is rendering order */
	size_t n_series, cap_series;
	uint32_t *slots; /* open addressing: index + 1 into series, 0 = empty */
	size_t n_slots;  /* a power of two, at least twice n_series */
	size_t max_series;
	uint64_t folded;
	/*
	 * The series that the last label values at these addresses named
	 * (direct-mapped by address): callers on the log path pass the same
	 * constant strings line after line, and a string compare is cheaper
	 * than checking, hashing and probing. A hit is confirmed by content.
	 * 64: a route x method x status class family sees dozens of sets.
	 */
	struct {
		const char *p[METRICS_MAX_LABELS];
		size_t idx; /* into series, + 1; 0: empty */
	} memo[64];
};

struct metrics {
	char *prefix; /* of the registry's own family; NULL for none */
	struct metric_family *first, *last;
};

/* ---- UTF-8 ---- */

/* Length of the valid UTF-8 sequence at s (NUL-terminated), 0 if invalid. */
static size_t utf8_seq(const unsigned char *s)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0; /* continuation byte, overlong lead (c0, c1) or beyond U+10FFFF */
	/* The second byte's range excludes overlongs, surrogates and beyond U+10FFFF. */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

static bool utf8_clean_already(const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	while (*p) {
		n = utf8_seq(p);
		if (!n)
			return false;
		p += n;
	}
	return (size_t)(p - (const unsigned char *)s) <= max;
}

char *metrics__utf8_clean(const char *s, size_t max)
{
	static const char replacement[] = "\xef\xbf\xbd";
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t len = strlen((const char *)p), out_len = 0, n;
	char *out;

	/* Each byte becomes at most the 3 bytes of U+FFFD. */
	out = malloc((len < max ? len : max) * 3 + 1);
	if (!out)
		return NULL;
	while (*p) {
		n = utf8_seq(p);
		if (n) {
			if (out_len + n > max)
				break;
			memcpy(out + out_len, p, n);
			p += n;
		} else {
			n = sizeof(replacement) - 1;
			if (out_len + n > max)
				break;
			memcpy(out + out_len, replacement, n);
			p++;
		}
		out_len += n;
	}
	out[out_len] = '\0';
	return out;
}

/* ---- families ---- */

static bool valid_name(const char *s, bool colon)
{
	const char *p;

	if (!s || !*s || (*s >= '0' && *s <= '9'))
		return false;
	for (p = s; *p; p++) {
		char c = *p;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || (colon && c == ':')))
			return false;
	}
	return true;
}

static struct metric_family *find_family(const struct metrics *m, const char *name)
{
	struct metric_family *f;

	for (f = m->first; f; f = f->next)
		if (!strcmp(f->name, name))
			return f;
	return NULL;
}

static void series_free(struct series *s, size_t n_labels)
{
	size_t i;

	for (i = 0; i < n_labels; i++)
		free(s->values[i]);
	free(s->counts);
}

static void family_free(struct metric_family *f)
{
	size_t i;

	if (!f)
		return;
	for (i = 0; i < f->n_series; i++)
		series_free(&f->series[i], f->n_labels);
	for (i = 0; i < f->n_labels; i++)
		free(f->labels[i]);
	free(f->series);
	free(f->slots);
	free(f->bounds);
	free(f->name);
	free(f->help);
	free(f);
}

static struct series *series_get(struct metric_family *f, const char *const *values);

static struct metric_family *family_new(struct metrics *m, const char *name, const char *help,
					enum metric_type type, const char *const *labels,
					const double *bounds, size_t n_bounds)
{
	struct metric_family *f;
	size_t i;

	if (!m || !valid_name(name, true)) {
		errno = EINVAL;
		return NULL;
	}
	if (find_family(m, name)) {
		errno = EEXIST;
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->type = type;
	f->max_series = METRICS_DEFAULT_MAX_SERIES;
	f->name = strdup(name);
	f->help = metrics__utf8_clean(help ? help : "", 4096);
	if (!f->name || !f->help)
		goto nomem;
	for (i = 0; labels && labels[i]; i++) {
		if (i == METRICS_MAX_LABELS || !valid_name(labels[i], false) ||
		    !strncmp(labels[i], "__", 2) ||
		    (type == METRIC_HISTOGRAM && !strcmp(labels[i], "le")))
			goto inval;
		f->labels[i] = strdup(labels[i]);
		f->n_labels = i + 1;
		if (!f->labels[i])
			goto nomem;
	}
	if (type == METRIC_HISTOGRAM) {
		if (!bounds || !n_bounds)
			goto inval;
		for (i = 0; i < n_bounds; i++)
			if (isnan(bounds[i]) || isinf(bounds[i]) || (i && bounds[i] <= bounds[i - 1]))
				goto inval;
		f->bounds = malloc(n_bounds * sizeof(*bounds));
		if (!f->bounds)
			goto nomem;
		memcpy(f->bounds, bounds, n_bounds * sizeof(*bounds));
		f->n_bounds = n_bounds;
	}
	/* A family without labels has exactly one series: show it from the start. */
	if (!f->n_labels && !series_get(f, NULL))
		goto nomem;
	if (m->last)
		m->last->next = f;
	else
		m->first = f;
	m->last = f;
	return f;
inval:
	family_free(f);
	errno = EINVAL;
	return NULL;
nomem:
	family_free(f);
	errno = ENOMEM;
	return NULL;
}

struct metric_family *metrics__counter(struct metrics *m, const char *name, const char *help,
				       const char *const *labels)
{
	return family_new(m, name, help, METRIC_COUNTER, labels, NULL, 0);
}

struct metric_family *metrics__gauge(struct metrics *m, const char *name, const char *help,
				     const char *const *labels)
{
	return family_new(m, name, help, METRIC_GAUGE, labels, NULL, 0);
}

struct metric_family *metrics__histogram(struct metrics *m, const char *name, const char *help,
					 const char *const *labels, const double *bounds,
					 size_t n_bounds)
{
	return family_new(m, name, help, METRIC_HISTOGRAM, labels, bounds, n_bounds);
}

void metrics__set_max_series(struct metric_family *f, size_t max)
{
	if (f)
		f->max_series = max ? max : 1;
}

size_t metrics__series(const struct metric_family *f)
{
	return f ? f->n_series : 0;
}

uint64_t metrics__folded(const struct metric_family *f)
{
	return f ? f->folded : 0;
}

/* ---- series ---- */

/* FNV-1a over the values, each followed by 0xff, a byte clean UTF-8 never holds. */
static uint64_t values_hash(const char *const *values, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	const unsigned char *p;
	size_t i;

	for (i = 0; i < n; i++) {
		for (p = (const unsigned char *)values[i]; *p; p++)
			h = (h ^ *p) * 0x100000001b3ULL;
		h = (h ^ 0xff) * 0x100000001b3ULL;
	}
	return h;
}

static bool values_equal(const struct series *s, const char *const *values, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(s->values[i], values[i]))
			return false;
	return true;
}

/* The slot of values: where it is, or the empty slot where it would go. */
static size_t slot_of(const struct metric_family *f, const char *const *values, uint64_t h)
{
	size_t mask = f->n_slots - 1, i = (size_t)h & mask;

	while (f->slots[i] && !values_equal(&f->series[f->slots[i] - 1], values, f->n_labels))
		i = (i + 1) & mask;
	return i;
}

static int grow_slots(struct metric_family *f)
{
	size_t n = f->n_slots ? f->n_slots * 2 : 16, i, j, mask = n - 1;
	uint32_t *slots = calloc(n, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (i = 0; i < f->n_series; i++) {
		j = (size_t)values_hash((const char *const *)f->series[i].values, f->n_labels) & mask;
		while (slots[j])
			j = (j + 1) & mask;
		slots[j] = (uint32_t)(i + 1);
	}
	free(f->slots);
	f->slots = slots;
	f->n_slots = n;
	return 0;
}

/* The series of clean values, created if there is room (fold is the caller's business). */
static struct series *series_find_or_add(struct metric_family *f, const char *const *values,
					 bool may_add)
{
	struct series *s;
	uint64_t h = values_hash(values, f->n_labels);
	size_t slot, i;

	if ((f->n_series + 1) * 2 > f->n_slots && grow_slots(f))
		return NULL;
	slot = slot_of(f, values, h);
	if (f->slots[slot])
		return &f->series[f->slots[slot] - 1];
	if (!may_add)
		return NULL;
	if (f->n_series == f->cap_series) {
		size_t cap = f->cap_series ? f->cap_series * 2 : 8;
		struct series *more = realloc(f->series, cap * sizeof(*more));

		if (!more)
			return NULL;
		f->series = more;
		f->cap_series = cap;
	}
	s = &f->series[f->n_series];
	memset(s, 0, sizeof(*s));
	for (i = 0; i < f->n_labels; i++) {
		s->values[i] = strdup(values[i]);
		if (!s->values[i])
			goto nomem;
	}
	if (f->type == METRIC_HISTOGRAM) {
		s->counts = calloc(f->n_bounds + 1, sizeof(*s->counts));
		if (!s->counts)
			goto nomem;
	}
	f->slots[slot] = (uint32_t)(++f->n_series);
	return s;
nomem:
	series_free(s, f->n_labels);
	return NULL;
}

/*
 * The series for values as given by a caller: cleaned, looked up, added,
 * or folded into "other" when the family is full. NULL only without memory.
 */
static size_t memo_slot(const struct metric_family *f, const char *const *values)
{
	uintptr_t h = 0;
	size_t i;

	for (i = 0; i < f->n_labels; i++)
		h = (h ^ (uintptr_t)values[i]) * 0x9e3779b97f4a7c15ULL;
	return (size_t)(h >> 40) % (sizeof(f->memo) / sizeof(f->memo[0]));
}

static struct series *series_get(struct metric_family *f, const char *const *values)
{
	const char *clean[METRICS_MAX_LABELS] = { NULL }, *other[METRICS_MAX_LABELS];
	char *owned[METRICS_MAX_LABELS] = { NULL };
	struct series *s = NULL;
	size_t i, m = 0;

	if (values && f->n_labels) {
		m = memo_slot(f, values);
		if (f->memo[m].idx) {
			s = &f->series[f->memo[m].idx - 1];
			for (i = 0; i < f->n_labels; i++)
				if (f->memo[m].p[i] != values[i] || !values[i] ||
				    strcmp(values[i], s->values[i]))
					break;
			if (i == f->n_labels)
				return s;
			s = NULL;
		}
	}

	for (i = 0; i < f->n_labels; i++) {
		const char *v = values && values[i] ? values[i] : "";

		clean[i] = v;
		if (!utf8_clean_already(v, METRICS_MAX_VALUE)) {
			owned[i] = metrics__utf8_clean(v, METRICS_MAX_VALUE);
			if (!owned[i])
				goto out;
			clean[i] = owned[i];
		}
		other[i] = METRICS_OTHER;
	}
	s = series_find_or_add(f, clean, f->n_series < f->max_series);
	if (s && values && f->n_labels) {
		for (i = 0; i < f->n_labels; i++)
			f->memo[m].p[i] = values[i];
		f->memo[m].idx = (size_t)(s - f->series) + 1;
	}
	if (!s && f->n_series >= f->max_series) {
		/* Full: the new label set counts under "other", which may go beyond the cap. */
		f->folded++;
		s = series_find_or_add(f, other, true);
	}
out:
	for (i = 0; i < f->n_labels; i++)
		free(owned[i]);
	return s;
}

int metrics__add(struct metric_family *f, const char *const *values, double by)
{
	struct series *s;

	if (!f || f->type == METRIC_HISTOGRAM || (f->type == METRIC_COUNTER && !(by >= 0)))
		return -EINVAL;
	s = series_get(f, values);
	if (!s)
		return -ENOMEM;
	s->value += by;
	return 0;
}

int metrics__set(struct metric_family *f, const char *const *values, double v)
{
	struct series *s;

	if (!f || f->type == METRIC_HISTOGRAM)
		return -EINVAL;
	s = series_get(f, values);
	if (!s)
		return -ENOMEM;
	s->value = v;
	return 0;
}

int metrics__observe(struct metric_family *f, const char *const *values, double v)
{
	struct series *s;
	size_t i;

	if (!f || f->type != METRIC_HISTOGRAM || isnan(v))
		return -EINVAL;
	s = series_get(f, values);
	if (!s)
		return -ENOMEM;
	/* Buckets are kept per bucket; the rendering makes them cumulative. */
	for (i = 0; i < f->n_bounds && v > f->bounds[i]; i++)
		;
	s->counts[i]++;
	s->sum += v;
	return 0;
}

int metrics__set_histogram(struct metric_family *f, const char *const *values,
			   const uint64_t *counts, size_t n, double sum)
{
	struct series *s;

	if (!f || f->type != METRIC_HISTOGRAM || !counts || n != f->n_bounds + 1)
		return -EINVAL;
	s = series_get(f, values);
	if (!s)
		return -ENOMEM;
	memcpy(s->counts, counts, n * sizeof(*counts));
	s->sum = sum;
	return 0;
}

int metrics__get(const struct metric_family *f, const char *const *values, double *out)
{
	const char *clean[METRICS_MAX_LABELS];
	char *owned[METRICS_MAX_LABELS] = { NULL };
	const struct series *s;
	uint64_t count = 0;
	size_t i, slot;
	int err = -ENOENT;

	if (!f || !f->n_slots)
		return -ENOENT;
	for (i = 0; i < f->n_labels; i++) {
		const char *v = values && values[i] ? values[i] : "";

		clean[i] = v;
		if (!utf8_clean_already(v, METRICS_MAX_VALUE)) {
			owned[i] = metrics__utf8_clean(v, METRICS_MAX_VALUE);
			if (!owned[i]) {
				err = -ENOMEM;
				goto out;
			}
			clean[i] = owned[i];
		}
	}
	slot = slot_of(f, clean, values_hash(clean, f->n_labels));
	if (!f->slots[slot])
		goto out;
	s = &f->series[f->slots[slot] - 1];
	if (f->type == METRIC_HISTOGRAM) {
		for (i = 0; i <= f->n_bounds; i++)
			count += s->counts[i];
		*out = (double)count;
	} else {
		*out = s->value;
	}
	err = 0;
out:
	for (i = 0; i < f->n_labels; i++)
		free(owned[i]);
	return err;
}

/* ---- rendering ---- */

/* A growing string; failed is set once memory ran out, and stays. */
struct sbuf {
	char *buf;
	size_t len, cap;
	bool failed;
};

static bool sb_reserve(struct sbuf *b, size_t more)
{
	size_t cap;
	char *p;

	if (b->failed)
		return false;
	if (b->len + more + 1 <= b->cap)
		return true;
	cap = b->cap ? b->cap : 4096;
	while (cap < b->len + more + 1)
		cap *= 2;
	p = realloc(b->buf, cap);
	if (!p) {
		b->failed = true;
		return false;
	}
	b->buf = p;
	b->cap = cap;
	return true;
}

static void sb_putn(struct sbuf *b, const char *s, size_t n)
{
	if (!sb_reserve(b, n))
		return;
	memcpy(b->buf + b->len, s, n);
	b->len += n;
	b->buf[b->len] = '\0';
}

static void sb_puts(struct sbuf *b, const char *s)
{
	sb_putn(b, s, strlen(s));
}

static void sb_putc(struct sbuf *b, char c)
{
	sb_putn(b, &c, 1);
}

/* Escape for HELP (backslash, newline) or, with quotes, for label values. */
static void sb_escaped(struct sbuf *b, const char *s, bool quotes)
{
	for (; *s; s++) {
		if (*s == '\\')
			sb_puts(b, "\\\\");
		else if (*s == '\n')
			sb_puts(b, "\\n");
		else if (quotes && *s == '"')
			sb_puts(b, "\\\"");
		else
			sb_putc(b, *s);
	}
}

/* The shortest text that reads back as v; Prometheus' spellings of the specials. */
static void sb_double(struct sbuf *b, double v)
{
	char buf[40];
	int prec;

	if (isnan(v)) {
		sb_puts(b, "NaN");
		return;
	}
	if (isinf(v)) {
		sb_puts(b, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	if (v == 0) {
		sb_putc(b, '0');
		return;
	}
	if (fabs(v) < 1e15 && v == (double)(int64_t)v) {
		snprintf(buf, sizeof(buf), "%" PRId64, (int64_t)v);
		sb_puts(b, buf);
		return;
	}
	for (prec = 1; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	sb_puts(b, buf);
}

static void sb_u64(struct sbuf *b, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	sb_puts(b, buf);
}

/* {a="x",b="y"} plus an extra le="..." for buckets; nothing at all when empty. */
static void sb_labels(struct sbuf *b, const struct metric_family *f, const struct series *s,
		      const double *le, bool inf)
{
	size_t i;

	if (!f->n_labels && !le && !inf)
		return;
	sb_putc(b, '{');
	for (i = 0; i < f->n_labels; i++) {
		if (i)
			sb_putc(b, ',');
		sb_puts(b, f->labels[i]);
		sb_puts(b, "=\"");
		sb_escaped(b, s->values[i], true);
		sb_putc(b, '"');
	}
	if (le || inf) {
		if (f->n_labels)
			sb_putc(b, ',');
		sb_puts(b, "le=\"");
		if (inf)
			sb_puts(b, "+Inf");
		else
			sb_double(b, *le);
		sb_putc(b, '"');
	}
	sb_putc(b, '}');
}

static void render_family(struct sbuf *b, const struct metric_family *f)
{
	static const char *type_names[] = {
		[METRIC_COUNTER] = "counter", [METRIC_GAUGE] = "gauge",
		[METRIC_HISTOGRAM] = "histogram",
	};
	size_t i, j;

	if (!f->n_series)
		return;
	sb_puts(b, "# HELP ");
	sb_puts(b, f->name);
	sb_putc(b, ' ');
	sb_escaped(b, f->help, false);
	sb_puts(b, "\n# TYPE ");
	sb_puts(b, f->name);
	sb_putc(b, ' ');
	sb_puts(b, type_names[f->type]);
	sb_putc(b, '\n');
	for (i = 0; i < f->n_series; i++) {
		const struct series *s = &f->series[i];
		uint64_t cum = 0;

		if (f->type != METRIC_HISTOGRAM) {
			sb_puts(b, f->name);
			sb_labels(b, f, s, NULL, false);
			sb_putc(b, ' ');
			sb_double(b, s->value);
			sb_putc(b, '\n');
			continue;
		}
		for (j = 0; j <= f->n_bounds; j++) {
			cum += s->counts[j];
			sb_puts(b, f->name);
			sb_puts(b, "_bucket");
			sb_labels(b, f, s, j < f->n_bounds ? &f->bounds[j] : NULL, j == f->n_bounds);
			sb_putc(b, ' ');
			sb_u64(b, cum);
			sb_putc(b, '\n');
		}
		sb_puts(b, f->name);
		sb_puts(b, "_sum");
		sb_labels(b, f, s, NULL, false);
		sb_putc(b, ' ');
		sb_double(b, s->sum);
		sb_putc(b, '\n');
		sb_puts(b, f->name);
		sb_puts(b, "_count");
		sb_labels(b, f, s, NULL, false);
		sb_putc(b, ' ');
		sb_u64(b, cum);
		sb_putc(b, '\n');
	}
}

/* <prefix>metrics_series_folded_total{family}: only once something was folded. */
static void render_folded(struct sbuf *b, const struct metrics *m)
{
	const struct metric_family *f;
	bool any = false;

	if (!m->prefix)
		return;
	for (f = m->first; f; f = f->next) {
		if (!f->folded)
			continue;
		if (!any) {
			sb_puts(b, "# HELP ");
			sb_puts(b, m->prefix);
			sb_puts(b, "metrics_series_folded_total Updates counted under the label value "
				   "other because their family had reached its cap on series.\n");
			sb_puts(b, "# TYPE ");
			sb_puts(b, m->prefix);
			sb_puts(b, "metrics_series_folded_total counter\n");
			any = true;
		}
		sb_puts(b, m->prefix);
		sb_puts(b, "metrics_series_folded_total{family=\"");
		sb_escaped(b, f->name, true);
		sb_puts(b, "\"} ");
		sb_u64(b, f->folded);
		sb_putc(b, '\n');
	}
}

char *metrics__render(const struct metrics *m, size_t *len)
{
	const struct metric_family *f;
	struct sbuf b = { 0 };

	if (!m) {
		errno = EINVAL;
		return NULL;
	}
	sb_reserve(&b, 4096);
	for (f = m->first; f; f = f->next)
		render_family(&b, f);
	render_folded(&b, m);
	if (b.failed) {
		free(b.buf);
		errno = ENOMEM;
		return NULL;
	}
	if (len)
		*len = b.len;
	return b.buf;
}

/* ---- the registry ---- */

struct metrics *metrics__new(const char *prefix)
{
	struct metrics *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	if (prefix && *prefix) {
		if (!valid_name(prefix, true)) {
			free(m);
			errno = EINVAL;
			return NULL;
		}
		m->prefix = strdup(prefix);
		if (!m->prefix) {
			free(m);
			errno = ENOMEM;
			return NULL;
		}
	}
	return m;
}

void metrics__free(struct metrics *m)
{
	struct metric_family *f, *next;

	if (!m)
		return;
	for (f = m->first; f; f = next) {
		next = f->next;
		family_free(f);
	}
	free(m->prefix);
	free(m);
}
