// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* pyscan.c - a small Python tokenizer: names, numbers, strings, operators, logical lines. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pyscan.h"

struct scanner {
	const char *s;
	size_t len, pos;
	uint32_t line;
	int depth;          /* bracket nesting: newlines inside do not end a line */
	bool line_has_tok;  /* the current logical line has tokens */
	uint32_t indent;    /* indentation of the current logical line */
	struct py_tokens *out;
	size_t cap;
};

static int push(struct scanner *sc, enum py_tok type, size_t off, size_t len, uint32_t line)
{
	struct py_tokens *o = sc->out;
	struct py_token *t;

	if (off > UINT32_MAX || len > UINT32_MAX)
		return -EFBIG;
	if (o->n == sc->cap) {
		size_t cap = sc->cap ? sc->cap * 2 : 256;
		struct py_token *v = realloc(o->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		o->v = v;
		sc->cap = cap;
	}
	t = &o->v[o->n++];
	memset(t, 0, sizeof(*t));
	t->type = type;
	t->off = off;
	t->len = len;
	t->line = line;
	t->indent = sc->indent;
	if (type != PY_NEWLINE) {
		t->line_start = !sc->line_has_tok;
		sc->line_has_tok = true;
	}
	return 0;
}

static bool is_name_start(unsigned char c)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

static bool is_name_char(unsigned char c)
{
	return is_name_start(c) || (c >= '0' && c <= '9');
}

/* Length of a newline at p ("\n", "\r\n" or "\r"), 0 if none. */
static size_t newline_len(const struct scanner *sc, size_t p)
{
	if (p >= sc->len)
		return 0;
	if (sc->s[p] == '\n')
		return 1;
	if (sc->s[p] == '\r')
		return p + 1 < sc->len && sc->s[p + 1] == '\n' ? 2 : 1;
	return 0;
}

/* The string prefix at pos (0..2 letters) if a quote follows it, else -1. */
static int string_prefix(const struct scanner *sc, uint8_t *flags)
{
	size_t i;
	int raw = 0, bytes = 0, fstr = 0, uni = 0;

	for (i = 0; i < 3 && sc->pos + i < sc->len; i++) {
		char c = sc->s[sc->pos + i];

		if (c == '\'' || c == '"')
			break;
		switch (c) {
		case 'r': case 'R': raw++; break;
		case 'b': case 'B': bytes++; break;
		case 'f': case 'F': fstr++; break;
		case 'u': case 'U': uni++; break;
		default: return -1;
		}
	}
	if (sc->pos + i >= sc->len || (sc->s[sc->pos + i] != '\'' && sc->s[sc->pos + i] != '"'))
		return -1;
	/* Valid: "", u, r, b, f, rb/br, rf/fr (each letter at most once). */
	if (i > 2 || raw > 1 || bytes > 1 || fstr > 1 || uni > 1 || (bytes && fstr) ||
	    (uni && i > 1))
		return -1;
	*flags = (raw ? PYSTR_RAW : 0) | (bytes ? PYSTR_BYTES : 0) | (fstr ? PYSTR_FSTRING : 0);
	return (int)i;
}

/* Scan a string starting at its prefix; pushes a PY_STRING or a PY_ERROR token. */
static int scan_string(struct scanner *sc, int prefix, uint8_t flags)
{
	size_t start = sc->pos, p = sc->pos + prefix;
	uint32_t line = sc->line;
	char q = sc->s[p];
	bool triple = p + 2 < sc->len && sc->s[p + 1] == q && sc->s[p + 2] == q;
	enum py_tok type = PY_ERROR;
	size_t nl;
	int err;

	p += triple ? 3 : 1;
	while (p < sc->len) {
		char c = sc->s[p];

		if (c == '\\') {
			/* Even in raw strings a backslash keeps the next character. */
			nl = newline_len(sc, p + 1);
			if (nl) {
				sc->line++;
				p += 1 + nl;
			} else {
				p += p + 1 < sc->len ? 2 : 1;
			}
			continue;
		}
		nl = newline_len(sc, p);
		if (nl) {
			if (!triple)
				break; /* unterminated: the error ends at the line's end */
			sc->line++;
			p += nl;
			continue;
		}
		if (c == q && (!triple || (p + 2 < sc->len && sc->s[p + 1] == q && sc->s[p + 2] == q))) {
			p += triple ? 3 : 1;
			type = PY_STRING;
			break;
		}
		p++;
	}
	err = push(sc, type, start, p - start, line);
	if (err)
		return err;
	if (type == PY_STRING) {
		struct py_token *t = &sc->out->v[sc->out->n - 1];

		t->str_flags = flags | (triple ? PYSTR_TRIPLE : 0);
		t->prefix_len = prefix;
	}
	sc->pos = p;
	return 0;
}

static size_t scan_number(const struct scanner *sc)
{
	const char *s = sc->s;
	size_t p = sc->pos;

	if (s[p] == '0' && p + 1 < sc->len && strchr("xXoObB", s[p + 1]) && s[p + 1]) {
		p += 2;
		while (p < sc->len && (is_name_char((unsigned char)s[p])))
			p++;
		return p - sc->pos;
	}
	while (p < sc->len) {
		unsigned char c = s[p];

		if ((c >= '0' && c <= '9') || c == '_' || c == '.') {
			p++;
		} else if ((c == 'e' || c == 'E') && p + 1 < sc->len) {
			p++;
			if (s[p] == '+' || s[p] == '-')
				p++;
		} else if (c == 'j' || c == 'J') {
			p++;
			break;
		} else {
			break;
		}
	}
	return p - sc->pos;
}

static size_t op_len(const struct scanner *sc)
{
	static const char *const ops3[] = { "**=", "//=", ">>=", "<<=", "...", NULL };
	static const char *const ops2[] = {
		"**", "//", ">>", "<<", "<=", ">=", "==", "!=", "->", ":=", "+=", "-=",
		"*=", "/=", "%=", "&=", "|=", "^=", "@=", NULL,
	};
	size_t left = sc->len - sc->pos;
	int i;

	for (i = 0; ops3[i]; i++)
		if (left >= 3 && !memcmp(sc->s + sc->pos, ops3[i], 3))
			return 3;
	for (i = 0; ops2[i]; i++)
		if (left >= 2 && !memcmp(sc->s + sc->pos, ops2[i], 2))
			return 2;
	return 1;
}

/* At the start of a physical line outside brackets: measure its indentation. */
static void start_line(struct scanner *sc)
{
	uint32_t col = 0;
	size_t p = sc->pos;

	while (p < sc->len) {
		if (sc->s[p] == ' ')
			col++;
		else if (sc->s[p] == '\t')
			col = (col / 8 + 1) * 8;
		else if (sc->s[p] == '\f')
			col = 0;
		else
			break;
		p++;
	}
	sc->pos = p;
	if (!sc->line_has_tok)
		sc->indent = col;
}

static int end_logical_line(struct scanner *sc)
{
	int err = 0;

	if (sc->line_has_tok)
		err = push(sc, PY_NEWLINE, sc->pos, 0, sc->line);
	sc->line_has_tok = false;
	sc->depth = 0;
	return err;
}

int pyscan__tokenize(const char *src, size_t len, struct py_tokens *out)
{
	struct scanner sc = { .s = src, .len = len, .line = 1, .out = out };
	bool at_bol = true;
	int err = 0;

	out->v = NULL;
	out->n = 0;
	/* A UTF-8 byte order mark is not part of the code. */
	if (len >= 3 && !memcmp(src, "\xef\xbb\xbf", 3))
		sc.pos = 3;
	while (!err && sc.pos < sc.len) {
		unsigned char c;
		size_t nl, n;
		uint8_t flags;
		int prefix;

		if (at_bol && sc.depth == 0)
			start_line(&sc);
		at_bol = false;
		if (sc.pos >= sc.len)
			break;
		c = src[sc.pos];
		nl = newline_len(&sc, sc.pos);
		if (nl) {
			if (sc.depth == 0)
				err = end_logical_line(&sc);
			sc.pos += nl;
			sc.line++;
			at_bol = true;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\f') {
			sc.pos++;
		} else if (c == '#') {
			while (sc.pos < sc.len && !newline_len(&sc, sc.pos))
				sc.pos++;
		} else if (c == '\\' && newline_len(&sc, sc.pos + 1)) {
			/* Explicit line joining: the next line continues this one. */
			sc.pos += 1 + newline_len(&sc, sc.pos + 1);
			sc.line++;
		} else if ((prefix = string_prefix(&sc, &flags)) >= 0) {
			err = scan_string(&sc, prefix, flags);
		} else if (is_name_start(c)) {
			n = 1;
			while (sc.pos + n < sc.len && is_name_char((unsigned char)src[sc.pos + n]))
				n++;
			err = push(&sc, PY_NAME, sc.pos, n, sc.line);
			sc.pos += n;
		} else if ((c >= '0' && c <= '9') ||
			   (c == '.' && sc.pos + 1 < sc.len && src[sc.pos + 1] >= '0' &&
			    src[sc.pos + 1] <= '9')) {
			n = scan_number(&sc);
			err = push(&sc, PY_NUMBER, sc.pos, n, sc.line);
			sc.pos += n;
		} else {
			n = op_len(&sc);
			if (c == '(' || c == '[' || c == '{')
				sc.depth++;
			else if ((c == ')' || c == ']' || c == '}') && sc.depth > 0)
				sc.depth--;
			err = push(&sc, PY_OP, sc.pos, n, sc.line);
			sc.pos += n;
		}
	}
	if (!err)
		err = end_logical_line(&sc);
	if (err) {
		pyscan__free(out);
		return err;
	}
	return 0;
}

void pyscan__free(struct py_tokens *toks)
{
	if (!toks)
		return;
	free(toks->v);
	toks->v = NULL;
	toks->n = 0;
}

bool pyscan__is(const char *src, const struct py_token *t, enum py_tok type, const char *text)
{
	if (t->type != type)
		return false;
	if (!text)
		return true;
	return strlen(text) == t->len && !memcmp(src + t->off, text, t->len);
}

/* Append code point cp as UTF-8; false for surrogates and out of range. */
static bool put_utf8(char *o, size_t *n, uint32_t cp)
{
	if (cp < 0x80) {
		o[(*n)++] = cp;
	} else if (cp < 0x800) {
		o[(*n)++] = 0xc0 | (cp >> 6);
		o[(*n)++] = 0x80 | (cp & 0x3f);
	} else if (cp < 0x10000) {
		if (cp >= 0xd800 && cp <= 0xdfff)
			return false;
		o[(*n)++] = 0xe0 | (cp >> 12);
		o[(*n)++] = 0x80 | ((cp >> 6) & 0x3f);
		o[(*n)++] = 0x80 | (cp & 0x3f);
	} else if (cp <= 0x10ffff) {
		o[(*n)++] = 0xf0 | (cp >> 18);
		o[(*n)++] = 0x80 | ((cp >> 12) & 0x3f);
		o[(*n)++] = 0x80 | ((cp >> 6) & 0x3f);
		o[(*n)++] = 0x80 | (cp & 0x3f);
	} else {
		return false;
	}
	return true;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode one escape after the backslash at s[*i]; advances *i past it. */
static int decode_escape(const char *s, size_t end, size_t *i, char *o, size_t *n)
{
	static const char simple_in[] = "\\'\"abfnrtv";
	static const char simple_out[] = "\\'\"\a\b\f\n\r\t\v";
	size_t p = *i + 1;
	const char *k;
	uint32_t cp = 0;
	int digits, d;

	if (p >= end)
		return -EINVAL;
	if (s[p] == '\n' || s[p] == '\r') {
		/* Backslash-newline inside a string: both vanish. */
		*i = p + (s[p] == '\r' && p + 1 < end && s[p + 1] == '\n' ? 2 : 1);
		return 0;
	}
	if ((k = strchr(simple_in, s[p])) && s[p]) {
		o[(*n)++] = simple_out[k - simple_in];
		*i = p + 1;
		return 0;
	}
	if (s[p] >= '0' && s[p] <= '7') {
		for (digits = 0; digits < 3 && p < end && s[p] >= '0' && s[p] <= '7'; digits++)
			cp = cp * 8 + (s[p++] - '0');
		*i = p;
		return put_utf8(o, n, cp) ? 0 : -EINVAL;
	}
	digits = s[p] == 'x' ? 2 : s[p] == 'u' ? 4 : s[p] == 'U' ? 8 : 0;
	if (digits) {
		p++;
		for (d = 0; d < digits; d++, p++) {
			int v = p < end ? hexval(s[p]) : -1;

			if (v < 0)
				return -EINVAL;
			cp = cp * 16 + v;
		}
		*i = p;
		return put_utf8(o, n, cp) ? 0 : -EINVAL;
	}
	if (s[p] == 'N')
		return -EINVAL; /* named characters need Unicode's name table */
	/* Unknown escapes keep their backslash. */
	o[(*n)++] = '\\';
	*i = p;
	return 0;
}

int pyscan__string_value(const char *src, const struct py_token *t, char **out, size_t *outlen)
{
	size_t qlen = (t->str_flags & PYSTR_TRIPLE) ? 3 : 1;
	size_t i, end, n = 0;
	const char *s = src;
	char *o, *w;
	int err;

	*out = NULL;
	if (t->type != PY_STRING || (t->str_flags & PYSTR_BYTES))
		return -EINVAL;
	i = t->off + t->prefix_len + qlen;
	end = t->off + t->len - qlen;
	/* Escapes never grow the text: \U0010ffff (10 bytes) is 4 in UTF-8. */
	o = malloc(end - i + 1);
	if (!o)
		return -ENOMEM;
	while (i < end) {
		if (s[i] == '\\' && !(t->str_flags & PYSTR_RAW)) {
			err = decode_escape(s, end, &i, o, &n);
			if (err)
				goto fail;
		} else if (s[i] == '\r') {
			/* Sources are read with universal newlines. */
			o[n++] = '\n';
			i += i + 1 < end && s[i + 1] == '\n' ? 2 : 1;
		} else if (s[i] == '\\') {
			/* Raw: the backslash stays, and so does what it protects. */
			o[n++] = s[i++];
			if (i < end)
				o[n++] = s[i++];
		} else {
			o[n++] = s[i++];
		}
	}
	o[n] = '\0';
	if (t->str_flags & PYSTR_FSTRING) {
		/* Constant only without placeholders; "{{" and "}}" are braces. */
		for (i = 0, w = o; i < n; i++) {
			if (o[i] == '{' || o[i] == '}') {
				if (i + 1 >= n || o[i + 1] != o[i]) {
					err = -EINVAL;
					goto fail;
				}
				i++;
			}
			*w++ = o[i];
		}
		*w = '\0';
		n = w - o;
	}
	*out = o;
	if (outlen)
		*outlen = n;
	return 0;
fail:
	free(o);
	return err;
}
