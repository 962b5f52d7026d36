// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* pyval.c - Python value semantics: constants, int() and float() of text, exact int/float comparisons. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pyval.h"

/* ------------------------------------------------------------------ */
/* Constants */

void pyval__clear(struct pyval *v)
{
	size_t i, n;

	if (!v)
		return;
	free(v->s);
	n = v->kind == PV_DICT ? v->n * 2 : v->n;
	for (i = 0; v->items && i < n; i++)
		pyval__clear(&v->items[i]);
	free(v->items);
	memset(v, 0, sizeof(*v));
}

int pyval__copy(struct pyval *dst, const struct pyval *src)
{
	size_t i, n = src->kind == PV_DICT ? src->n * 2 : src->n;

	*dst = *src;
	dst->s = NULL;
	dst->items = NULL;
	if (src->s) {
		dst->s = malloc(src->slen + 1);
		if (!dst->s)
			goto oom;
		memcpy(dst->s, src->s, src->slen + 1);
	}
	if (src->items && n) {
		dst->items = calloc(n, sizeof(*dst->items));
		if (!dst->items)
			goto oom;
		for (i = 0; i < n; i++)
			if (pyval__copy(&dst->items[i], &src->items[i]))
				goto oom;
	}
	return 0;
oom:
	pyval__clear(dst);
	return -ENOMEM;
}

bool pyval__truthy(const struct pyval *v)
{
	switch (v->kind) {
	case PV_NONE: return false;
	case PV_BOOL:
	case PV_INT: return v->i != 0;
	case PV_FLOAT: return v->f != 0;
	case PV_STR: return v->slen > 0;
	case PV_LIST:
	case PV_TUPLE:
	case PV_SET:
	case PV_DICT: return v->n > 0;
	default: return true;
	}
}

/* ------------------------------------------------------------------ */
/* Numbers: what Python's int(), float() and comparisons do */

/* Unicode 14 decimal digits (category Nd): Python's \d and int() accept them all. */
static const uint32_t nd_ranges[][2] = {
	{ 0x30, 0x39 }, { 0x660, 0x669 }, { 0x6F0, 0x6F9 }, { 0x7C0, 0x7C9 },
	{ 0x966, 0x96F }, { 0x9E6, 0x9EF }, { 0xA66, 0xA6F }, { 0xAE6, 0xAEF },
	{ 0xB66, 0xB6F }, { 0xBE6, 0xBEF }, { 0xC66, 0xC6F }, { 0xCE6, 0xCEF },
	{ 0xD66, 0xD6F }, { 0xDE6, 0xDEF }, { 0xE50, 0xE59 }, { 0xED0, 0xED9 },
	{ 0xF20, 0xF29 }, { 0x1040, 0x1049 }, { 0x1090, 0x1099 }, { 0x17E0, 0x17E9 },
	{ 0x1810, 0x1819 }, { 0x1946, 0x194F }, { 0x19D0, 0x19D9 }, { 0x1A80, 0x1A89 },
	{ 0x1A90, 0x1A99 }, { 0x1B50, 0x1B59 }, { 0x1BB0, 0x1BB9 }, { 0x1C40, 0x1C49 },
	{ 0x1C50, 0x1C59 }, { 0xA620, 0xA629 }, { 0xA8D0, 0xA8D9 }, { 0xA900, 0xA909 },
	{ 0xA9D0, 0xA9D9 }, { 0xA9F0, 0xA9F9 }, { 0xAA50, 0xAA59 }, { 0xABF0, 0xABF9 },
	{ 0xFF10, 0xFF19 }, { 0x104A0, 0x104A9 }, { 0x10D30, 0x10D39 }, { 0x11066, 0x1106F },
	{ 0x110F0, 0x110F9 }, { 0x11136, 0x1113F }, { 0x111D0, 0x111D9 }, { 0x112F0, 0x112F9 },
	{ 0x11450, 0x11459 }, { 0x114D0, 0x114D9 }, { 0x11650, 0x11659 }, { 0x116C0, 0x116C9 },
	{ 0x11730, 0x11739 }, { 0x118E0, 0x118E9 }, { 0x11950, 0x11959 }, { 0x11C50, 0x11C59 },
	{ 0x11D50, 0x11D59 }, { 0x11DA0, 0x11DA9 }, { 0x16A60, 0x16A69 }, { 0x16AC0, 0x16AC9 },
	{ 0x16B50, 0x16B59 }, { 0x1D7CE, 0x1D7FF }, { 0x1E140, 0x1E149 }, { 0x1E2F0, 0x1E2F9 },
	{ 0x1E950, 0x1E959 }, { 0x1FBF0, 0x1FBF9 },
};

/* The digit value of cp, -1 if it is not a decimal digit. */
int pyval__digit_value(uint32_t cp)
{
	size_t lo = 0, hi = sizeof(nd_ranges) / sizeof(nd_ranges[0]);

	if (cp < 0x80)
		return cp >= '0' && cp <= '9' ? (int)(cp - '0') : -1;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (cp < nd_ranges[mid][0])
			hi = mid;
		else if (cp > nd_ranges[mid][1])
			lo = mid + 1;
		else
			return (cp - nd_ranges[mid][0]) % 10;
	}
	return -1;
}

/* Python's int(str) as an exact decimal (any size) into b; false if not an int. */
bool pyval__int_text(const char *s, size_t n, struct py_bound *b)
{
	size_t i = 0, o = 0;
	bool digit = false;

	while (i < n && isspace((unsigned char)s[i]))
		i++;
	while (n > i && isspace((unsigned char)s[n - 1]))
		n--;
	b->neg = false;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		b->neg = s[i++] == '-';
	for (; i < n; i++) {
		if (s[i] == '_' && digit && i + 1 < n && isdigit((unsigned char)s[i + 1]))
			continue;
		if (!isdigit((unsigned char)s[i]))
			return false;
		digit = true;
		if (!o && s[i] == '0')
			continue;
		if (o >= sizeof(b->digits) - 1)
			return false;
		b->digits[o++] = s[i];
	}
	if (!o)
		b->digits[o++] = '0';
	b->digits[o] = '\0';
	return digit;
}

/* Python's int(str) in base 10: digits with single underscores between them. */
bool pyval__parse_int(const char *s, size_t n, long long *out)
{
	size_t i = 0;
	bool neg = false, digit = false;
	long long v = 0;

	while (i < n && isspace((unsigned char)s[i]))
		i++;
	while (n > i && isspace((unsigned char)s[n - 1]))
		n--;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	for (; i < n; i++) {
		if (s[i] == '_' && digit && i + 1 < n && isdigit((unsigned char)s[i + 1]))
			continue;
		if (!isdigit((unsigned char)s[i]))
			return false;
		if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, s[i] - '0', &v))
			return false;
		digit = true;
	}
	*out = neg ? -v : v;
	return digit;
}

/* Python's float(str): decimal forms, inf, infinity, nan (no hex floats). */
bool pyval__parse_float(const char *s, size_t n, double *out)
{
	char buf[128], *end;
	size_t i = 0, o = 0;
	bool mant = false;

	while (i < n && isspace((unsigned char)s[i]))
		i++;
	while (n > i && isspace((unsigned char)s[n - 1]))
		n--;
	if (n - i >= sizeof(buf))
		return false;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		buf[o++] = s[i++];
	if (n - i == 3 || n - i == 8) {
		if (!strncasecmp(s + i, "inf", n - i) || !strncasecmp(s + i, "infinity", n - i) ||
		    !strncasecmp(s + i, "nan", n - i)) {
			memcpy(buf + o, s + i, n - i);
			buf[o + n - i] = '\0';
			*out = strtod(buf, NULL);
			return true;
		}
	}
	for (; i < n && (isdigit((unsigned char)s[i]) || (s[i] == '_' && mant && i + 1 < n && isdigit((unsigned char)s[i + 1]))); i++)
		if (s[i] != '_')
			buf[o++] = s[i], mant = true;
	if (i < n && s[i] == '.') {
		bool frac = false;

		buf[o++] = s[i++];
		for (; i < n && (isdigit((unsigned char)s[i]) || (s[i] == '_' && frac && i + 1 < n && isdigit((unsigned char)s[i + 1]))); i++)
			if (s[i] != '_')
				buf[o++] = s[i], frac = true;
		mant |= frac;
	}
	if (!mant)
		return false;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		bool exp = false;

		buf[o++] = s[i++];
		if (i < n && (s[i] == '+' || s[i] == '-'))
			buf[o++] = s[i++];
		for (; i < n && (isdigit((unsigned char)s[i]) || (s[i] == '_' && exp && i + 1 < n && isdigit((unsigned char)s[i + 1]))); i++)
			if (s[i] != '_')
				buf[o++] = s[i], exp = true;
		if (!exp)
			return false;
	}
	if (i != n)
		return false;
	buf[o] = '\0';
	*out = strtod(buf, &end);
	return *end == '\0';
}

/* _pythonize(): None/True/False, int, float, else the text without matching quotes. */
int pyval__pythonize(const char *s, size_t n, struct pyval *v)
{
	memset(v, 0, sizeof(*v));
	if ((n == 4 && !memcmp(s, "None", 4))) {
		v->kind = PV_NONE;
		return 0;
	}
	if ((n == 4 && !memcmp(s, "True", 4)) || (n == 5 && !memcmp(s, "False", 5))) {
		v->kind = PV_BOOL;
		v->i = n == 4;
		return 0;
	}
	if (pyval__parse_int(s, n, &v->i)) {
		v->kind = PV_INT;
	} else if (pyval__parse_float(s, n, &v->f)) {
		v->kind = PV_FLOAT;
	}
	if (v->kind != PV_DYNAMIC) {
		/* Numbers keep their text: an int too big for 64 bits is still exact there. */
		v->s = strndup(s, n);
		v->slen = n;
		return v->s ? 0 : -ENOMEM;
	}
	if (n >= 1 && (s[0] == '"' || s[0] == '\'') && s[n - 1] == s[0]) {
		s++;
		n = n >= 2 ? n - 2 : 0;
	}
	v->kind = PV_STR;
	v->s = malloc(n + 1);
	if (!v->s)
		return -ENOMEM;
	memcpy(v->s, s, n);
	v->s[n] = '\0';
	v->slen = n;
	return 0;
}

/* Python's int(x) for a converter option; false if it would raise. */
bool pyval__to_int(const struct pyval *v, long long *out)
{
	switch (v->kind) {
	case PV_BOOL:
	case PV_INT:
		*out = v->i;
		return true;
	case PV_FLOAT:
		if (!isfinite(v->f) || fabs(v->f) > 9e18)
			return false;
		*out = (long long)v->f;
		return true;
	case PV_STR:
		return pyval__parse_int(v->s, v->slen, out);
	default:
		return false;
	}
}

bool pyval__to_bound(const struct pyval *v, struct py_bound *b)
{
	memset(b, 0, sizeof(*b));
	switch (v->kind) {
	case PV_NONE:
		return true;
	case PV_BOOL:
	case PV_INT:
	case PV_FLOAT:
		if (v->kind != PV_FLOAT || (v->s && pyval__int_text(v->s, v->slen, b))) {
			char tmp[32];

			if (v->kind != PV_FLOAT) {
				snprintf(tmp, sizeof(tmp), "%lld", v->i);
				pyval__int_text(tmp, strlen(tmp), b);
			}
			b->set = b->is_int = true;
			return true;
		}
		b->set = true;
		b->d = v->f;
		return true;
	default:
		return false; /* a str bound makes every match a TypeError */
	}
}

static int sign3(int c)
{
	return (c > 0) - (c < 0);
}

int pyval__cmp_decimal(const struct py_decimal *a, const struct py_decimal *b)
{
	bool an = a->neg && !(a->n == 1 && a->d[0] == '0');
	bool bn = b->neg && !(b->n == 1 && b->d[0] == '0');
	int mag;

	if (an != bn)
		return an ? -1 : 1;
	mag = a->n != b->n ? (a->n < b->n ? -1 : 1) : sign3(memcmp(a->d, b->d, a->n));
	return an ? -mag : mag;
}

/* An integral finite double as an exact decimal ("%.0f" is exact in glibc). */
static void double_decimal(double d, char *buf, size_t len, struct py_decimal *out)
{
	snprintf(buf, len, "%.0f", fabs(d));
	out->neg = d < 0;
	out->d = buf;
	out->n = strlen(buf);
}

static void bound_decimal(const struct py_bound *b, struct py_decimal *out)
{
	out->neg = b->neg;
	out->d = b->digits;
	out->n = strlen(b->digits);
}

/* value <=> bound for an int value: -1, 0, 1, or 2 when unordered (nan). */
int pyval__cmp_int_bound(const struct py_decimal *v, const struct py_bound *b)
{
	struct py_decimal bd;
	char buf[400];

	if (b->is_int) {
		bound_decimal(b, &bd);
		return pyval__cmp_decimal(v, &bd);
	}
	if (isnan(b->d))
		return 2;
	if (isinf(b->d))
		return b->d > 0 ? -1 : 1;
	if (b->d == floor(b->d)) {
		double_decimal(b->d, buf, sizeof(buf), &bd);
		return pyval__cmp_decimal(v, &bd);
	}
	/* A fraction is below 2^52 in magnitude: longer integers are beyond it. */
	if (v->n > 17)
		return v->neg ? -1 : 1;
	{
		double x = strtod(v->d, NULL) * (v->neg ? -1 : 1);

		return x < b->d ? -1 : x > b->d;
	}
}

/* value <=> bound for a float value: -1, 0, 1, or 2 when unordered. */
int pyval__cmp_float_bound(double v, const struct py_bound *b)
{
	struct py_decimal vd, bd;
	char buf[400];

	if (isnan(v) || (!b->is_int && isnan(b->d)))
		return 2;
	if (!b->is_int)
		return v < b->d ? -1 : v > b->d;
	if (isinf(v))
		return v > 0 ? 1 : -1;
	bound_decimal(b, &bd);
	if (v == floor(v)) {
		double_decimal(v, buf, sizeof(buf), &vd);
		return pyval__cmp_decimal(&vd, &bd);
	}
	if (bd.n > 16)
		return bd.neg ? 1 : -1;
	{
		double x = strtod(bd.d, NULL) * (bd.neg ? -1 : 1);

		return v < x ? -1 : v > x;
	}
}
