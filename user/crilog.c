// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* crilog.c - unwrap container log lines: CRI (containerd, CRI-O), Docker json-file, plain. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>

#include "crilog.h"

/* Longest CRI tag we accept ("F", "P", or a list like "F:x:y" of later CRI versions). */
#define CRI_TAG_MAX 32
/* Records of Docker are flat: a deeper document is not one of them. */
#define DOCKER_JSON_DEPTH 4

const char *crilog_format__name(enum crilog_format f)
{
	switch (f) {
	case CRILOG_CRI:
		return "cri";
	case CRILOG_DOCKER:
		return "docker";
	case CRILOG_PLAIN:
		return "plain";
	default:
		return "auto";
	}
}

int crilog__init(struct crilog *c, enum crilog_format format, size_t max)
{
	memset(c, 0, sizeof(*c));
	if (!max)
		return -EINVAL;
	c->format = format;
	c->max = max;
	c->json = json_tokener_new_ex(DOCKER_JSON_DEPTH);
	if (!c->json)
		return -ENOMEM;
	return 0;
}

void crilog__free(struct crilog *c)
{
	int i;

	for (i = 0; i < 2; i++)
		free(c->part[i].buf);
	free(c->scratch);
	if (c->json)
		json_tokener_free(c->json);
	memset(c, 0, sizeof(*c));
}

void crilog__reset(struct crilog *c)
{
	int i;

	for (i = 0; i < 2; i++) {
		c->part[i].active = false;
		c->part[i].len = 0;
		c->part[i].truncated = false;
	}
}

bool crilog__pending(const struct crilog *c)
{
	return c->part[0].active || c->part[1].active;
}

/* ---- time ---- */

/* n decimal digits at s, or -1. */
static int digits(const char *s, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int crilog__parse_time(const char *s, size_t len, int64_t *out_ns)
{
	struct tm tm = { 0 };
	int64_t frac = 0, zone = 0, ns;
	size_t i = 19;
	int nd = 0, y, mo, d, h, mi, se, zh, zm;
	time_t t;

	/* YYYY-MM-DDTHH:MM:SS */
	if (len < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
	    s[13] != ':' || s[16] != ':')
		return -EINVAL;
	y = digits(s, 4);
	mo = digits(s + 5, 2);
	d = digits(s + 8, 2);
	h = digits(s + 11, 2);
	mi = digits(s + 14, 2);
	se = digits(s + 17, 2);
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 ||
	    mi > 59 || se < 0 || se > 60)
		return -EINVAL;
	if (s[i] == '.') {
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++, nd++) {
			if (nd < 9)
				frac = frac * 10 + (s[i] - '0');
		}
		if (!nd || nd > 9)
			return -EINVAL;
		for (; nd < 9; nd++)
			frac *= 10;
	}
	if (i + 1 == len && (s[i] == 'Z' || s[i] == 'z')) {
		zone = 0;
	} else if (i + 6 == len && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
		zh = digits(s + i + 1, 2);
		zm = digits(s + i + 4, 2);
		if (zh < 0 || zh > 23 || zm < 0 || zm > 59)
			return -EINVAL;
		zone = (int64_t)(zh * 3600 + zm * 60) * (s[i] == '-' ? -1 : 1);
	} else {
		return -EINVAL;
	}
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -EINVAL;
	/* Past 2262 the nanoseconds do not fit: refused, not overflowed. */
	if (__builtin_mul_overflow((int64_t)t - zone, 1000000000LL, &ns) ||
	    __builtin_add_overflow(ns, frac, &ns))
		return -EINVAL;
	*out_ns = ns;
	return 0;
}

/* ---- handing lines over ---- */

/* Append to the line being joined, never past max. */
static void part_append(struct crilog *c, struct crilog_part *p, const char *s, size_t n, bool cut)
{
	size_t room = c->max - p->len, want;
	char *grown;

	if (cut)
		p->truncated = true;
	if (n > room) {
		n = room;
		p->truncated = true;
	}
	if (!n)
		return;
	if (p->len + n > p->cap) {
		want = p->cap ? p->cap : 1024;
		while (want < p->len + n)
			want *= 2;
		if (want > c->max)
			want = c->max;
		grown = realloc(p->buf, want);
		if (!grown) {
			/* Out of memory: keep what we have and say the line was cut. */
			p->truncated = true;
			return;
		}
		p->buf = grown;
		p->cap = want;
	}
	memcpy(p->buf + p->len, s, n);
	p->len += n;
}

/*
 * A piece of the app's output on stream st: a part (partial) or the end
 * of a line. A line with no part before it goes over without a copy.
 */
static void emit(struct crilog *c, enum app_stream st, const char *s, size_t n, bool cut,
		 bool partial, int64_t t, crilog_cb cb, void *ctx)
{
	struct crilog_part *p = &c->part[st];
	struct crilog_line l = { .stream = st, .format = c->format };

	if (partial) {
		if (!p->active) {
			p->active = true;
			p->len = 0;
			p->truncated = false;
			p->time_ns = t;
		}
		part_append(c, p, s, n, cut);
		return;
	}
	if (!p->active) {
		l.text = s;
		l.len = n > c->max ? c->max : n;
		l.truncated = cut || n > c->max;
		l.time_ns = t;
		cb(&l, ctx);
		return;
	}
	part_append(c, p, s, n, cut);
	l.text = p->buf ? p->buf : "";
	l.len = p->len;
	l.truncated = p->truncated;
	l.time_ns = p->time_ns;
	p->active = false;
	p->len = 0;
	p->truncated = false;
	cb(&l, ctx);
}

void crilog__flush(struct crilog *c, crilog_cb cb, void *ctx)
{
	int st;

	for (st = 0; st < 2; st++)
		if (c->part[st].active)
			emit(c, (enum app_stream)st, "", 0, false, false, 0, cb, ctx);
}

/* ---- CRI ---- */

struct cri_fields {
	int64_t time_ns;
	enum app_stream stream;
	bool partial;
	const char *content;
	size_t content_len;
};

/* "TIME STREAM TAG CONTENT": the runtime's header, strictly, or false. */
static bool cri_split(const char *raw, size_t len, struct cri_fields *f)
{
	const char *end = raw + len, *p, *sp, *tag_end, *colon;
	size_t tag_len;

	sp = memchr(raw, ' ', len < 48 ? len : 48);
	if (!sp || crilog__parse_time(raw, (size_t)(sp - raw), &f->time_ns))
		return false;
	p = sp + 1;
	if (end - p < 7 || p[6] != ' ')
		return false;
	if (!memcmp(p, "stdout", 6))
		f->stream = STREAM_STDOUT;
	else if (!memcmp(p, "stderr", 6))
		f->stream = STREAM_STDERR;
	else
		return false;
	p += 7;
	tag_end = memchr(p, ' ', (size_t)(end - p));
	if (!tag_end)
		tag_end = end;
	tag_len = (size_t)(tag_end - p);
	if (!tag_len || tag_len > CRI_TAG_MAX)
		return false;
	/* The first element of the tag list says whether the line is full. */
	colon = memchr(p, ':', tag_len);
	if ((colon ? (size_t)(colon - p) : tag_len) != 1 || (p[0] != 'F' && p[0] != 'P'))
		return false;
	f->partial = p[0] == 'P';
	f->content = tag_end < end ? tag_end + 1 : end;
	f->content_len = (size_t)(end - f->content);
	return true;
}

/* ---- Docker ---- */

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

static int hex4(const char *s, const char *end)
{
	int v = 0, i, h;

	if (end - s < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		h = hexval(s[i]);
		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

static size_t put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * A Docker record the reader cut: json-c cannot take it, so decode the
 * start of its "log" string by hand, as far as it goes (at most max bytes).
 * Returns the decoded length, or -1 when the line does not start like a
 * Docker record.
 */
static long docker_cut_prefix(struct crilog *c, const char *raw, size_t len)
{
	static const char head[] = "{\"log\":\"";
	const char *s = raw + sizeof(head) - 1, *end = raw + len;
	size_t o = 0;
	int cp, lo;

	if (len < sizeof(head) - 1 || memcmp(raw, head, sizeof(head) - 1))
		return -1;
	if (!c->scratch) {
		c->scratch = malloc(c->max + 4);
		if (!c->scratch)
			return -1;
	}
	while (s < end && *s != '"' && o < c->max) {
		if (*s != '\\') {
			c->scratch[o++] = *s++;
			continue;
		}
		if (end - s < 2)
			break;
		switch (s[1]) {
		case 'n': c->scratch[o++] = '\n'; break;
		case 't': c->scratch[o++] = '\t'; break;
		case 'r': c->scratch[o++] = '\r'; break;
		case 'b': c->scratch[o++] = '\b'; break;
		case 'f': c->scratch[o++] = '\f'; break;
		case 'u':
			cp = hex4(s + 2, end);
			if (cp < 0)
				goto out;
			s += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && end - s >= 8 && s[2] == '\\' && s[3] == 'u' &&
			    (lo = hex4(s + 4, end)) >= 0xdc00 && lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				s += 6;
			} else if (cp >= 0xd800 && cp < 0xe000) {
				cp = 0xfffd;
			}
			o += put_utf8(c->scratch + o, (unsigned)cp);
			break;
		default: /* \" \\ \/ and anything else: the character itself */
			c->scratch[o++] = s[1];
			break;
		}
		s += 2;
	}
out:
	return (long)(o > c->max ? c->max : o);
}

/*
 * The text of a Docker record: each "\n" ends a line; what follows the last
 * one is a part of the next (dockerd writes one line per record, split at
 * 16 KiB without the "\n").
 */
static void docker_text(struct crilog *c, enum app_stream st, const char *s, size_t n, bool cut,
			int64_t t, crilog_cb cb, void *ctx)
{
	const char *end = s + n, *nl;
	size_t seg;

	while (s < end) {
		nl = memchr(s, '\n', (size_t)(end - s));
		if (!nl) {
			emit(c, st, s, (size_t)(end - s), cut, !cut, t, cb, ctx);
			return;
		}
		seg = (size_t)(nl - s);
		if (seg && s[seg - 1] == '\r')
			seg--;
		emit(c, st, s, seg, false, false, t, cb, ctx);
		s = nl + 1;
	}
	if (cut) /* the cut came right after a "\n": nothing more of the line is known */
		emit(c, st, "", 0, true, false, t, cb, ctx);
}

/* A whole Docker record through json-c: true when it was one. */
static bool docker_line(struct crilog *c, const char *raw, size_t len, crilog_cb cb, void *ctx)
{
	struct json_object *obj, *v;
	enum app_stream st = STREAM_STDOUT;
	const char *text, *ts;
	int64_t t = 0;
	size_t end, tlen;

	if (!len || raw[0] != '{')
		return false;
	json_tokener_reset(c->json);
	obj = json_tokener_parse_ex(c->json, raw, (int)len);
	if (!obj)
		return false;
	end = json_tokener_get_parse_end(c->json);
	while (end < len && (raw[end] == ' ' || raw[end] == '\t' || raw[end] == '\r'))
		end++;
	if (end != len || !json_object_is_type(obj, json_type_object) ||
	    !json_object_object_get_ex(obj, "log", &v) || !json_object_is_type(v, json_type_string)) {
		json_object_put(obj);
		return false;
	}
	text = json_object_get_string(v);
	tlen = (size_t)json_object_get_string_len(v);
	if (json_object_object_get_ex(obj, "stream", &v) && json_object_is_type(v, json_type_string) &&
	    !strcmp(json_object_get_string(v), "stderr"))
		st = STREAM_STDERR;
	if (json_object_object_get_ex(obj, "time", &v) && json_object_is_type(v, json_type_string)) {
		ts = json_object_get_string(v);
		if (crilog__parse_time(ts, strlen(ts), &t))
			t = 0;
	}
	if (c->format == CRILOG_AUTO)
		c->format = CRILOG_DOCKER;
	docker_text(c, st, text, tlen, false, t, cb, ctx);
	json_object_put(obj);
	return true;
}

/* ---- one physical line ---- */

void crilog__feed(struct crilog *c, const char *raw, size_t len, bool raw_cut, crilog_cb cb,
		  void *ctx)
{
	struct cri_fields f;
	long n;

	if (c->format == CRILOG_AUTO) {
		if (!len)
			return; /* an empty line decides nothing */
		if (cri_split(raw, len, &f)) {
			c->format = CRILOG_CRI;
		} else if (raw_cut ? docker_cut_prefix(c, raw, len) >= 0
				   : docker_line(c, raw, len, cb, ctx)) {
			c->format = CRILOG_DOCKER;
			if (!raw_cut)
				return; /* docker_line() handed it over already */
		} else {
			c->format = CRILOG_PLAIN;
		}
	}

	switch (c->format) {
	case CRILOG_CRI:
		if (cri_split(raw, len, &f)) {
			/* A cut part stays a part: the line ends at the runtime's F. */
			emit(c, f.stream, f.content, f.content_len, raw_cut, f.partial, f.time_ns, cb,
			     ctx);
			return;
		}
		break;
	case CRILOG_DOCKER:
		if (raw_cut) {
			n = docker_cut_prefix(c, raw, len);
			if (n >= 0) {
				docker_text(c, STREAM_STDOUT, c->scratch, (size_t)n, true, 0, cb, ctx);
				return;
			}
		} else if (docker_line(c, raw, len, cb, ctx)) {
			return;
		}
		break;
	default:
		emit(c, STREAM_STDOUT, raw, len, raw_cut, false, 0, cb, ctx);
		return;
	}
	/* Not in the file's format (a torn write, another writer): the line as it is. */
	c->malformed++;
	emit(c, STREAM_STDOUT, raw, len, raw_cut, false, 0, cb, ctx);
}
