/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* pyval.h - Python value semantics: constants, int() and float() of text, exact int/float comparisons. */
#ifndef WARDEN_PYVAL_H
#define WARDEN_PYVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A Python constant as written in the source: enough for route options. */
enum pyval_kind {
	PV_DYNAMIC = 0, /* not a constant we can evaluate */
	PV_NONE,
	PV_BOOL,
	PV_INT,
	PV_FLOAT,
	PV_STR,
	PV_LIST,
	PV_TUPLE,
	PV_SET,
	PV_DICT,
};

struct pyval {
	enum pyval_kind kind;
	long long i;         /* PV_INT, PV_BOOL (0/1) */
	double f;            /* PV_FLOAT */
	char *s;             /* PV_STR: owned UTF-8, NUL-terminated */
	size_t slen;         /* PV_STR: bytes, without the NUL */
	struct pyval *items; /* containers, owned: n items, or n key/value pairs (2n) for PV_DICT */
	size_t n;
};

void pyval__clear(struct pyval *v); /* frees what v owns, leaves PV_DYNAMIC */
int pyval__copy(struct pyval *dst, const struct pyval *src); /* 0 or -ENOMEM */
bool pyval__truthy(const struct pyval *v);
/* Python's a == b for the kinds above (1 == 1.0 == True; [1] != (1,)). */
bool pyval__equal(const struct pyval *a, const struct pyval *b);

/* An exact decimal integer: sign and ASCII digits without leading zeros ("0" for zero). */
struct py_decimal {
	bool neg;
	const char *d;
	size_t n;
};

/* A min/max: Python compares int and float exactly, so integers stay exact. */
struct py_bound {
	bool set;
	bool is_int;
	bool neg;
	char digits[48];           /* is_int: the integer (converter arguments are short) */
	double d;                  /* !is_int */
};

/* The digit value of a Unicode code point (Python's \d and int() take every Nd digit), -1 if none. */
int pyval__digit_value(uint32_t cp);

/* Python's int(str) in base 10 (spaces, sign, single underscores): into *out; false if it raises. */
bool pyval__parse_int(const char *s, size_t n, long long *out);
/* The same as an exact decimal of any size into b (b->digits); false if not an int. */
bool pyval__int_text(const char *s, size_t n, struct py_bound *b);
/* Python's float(str): decimal forms, inf, infinity, nan (no hex floats); false if it raises. */
bool pyval__parse_float(const char *s, size_t n, double *out);
/* Werkzeug's _pythonize(): None/True/False, int, float, else the text without matching quotes. 0 or -ENOMEM. */
int pyval__pythonize(const char *s, size_t n, struct pyval *v);
/* Python's int(v); false if it would raise. */
bool pyval__to_int(const struct pyval *v, long long *out);
/* A number as a min/max bound (None: unset); false for what cannot be compared with numbers. */
bool pyval__to_bound(const struct pyval *v, struct py_bound *b);

/* a <=> b: -1, 0, 1. */
int pyval__cmp_decimal(const struct py_decimal *a, const struct py_decimal *b);
/* An int value <=> bound, as Python compares int and float: -1, 0, 1, or 2 when unordered (nan). */
int pyval__cmp_int_bound(const struct py_decimal *v, const struct py_bound *b);
/* A float value <=> bound: -1, 0, 1, or 2 when unordered. */
int pyval__cmp_float_bound(double v, const struct py_bound *b);

#endif
