/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* pyscan.h - a small Python tokenizer: names, numbers, strings, operators, logical lines. */
#ifndef WARDEN_PYSCAN_H
#define WARDEN_PYSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Enough of Python's lexical structure to read Flask sources without
 * mistaking text for code: comments are dropped, strings (any quote, triple
 * quotes, r/b/u/f prefixes, escapes) are single tokens, backslash
 * continuations and newlines inside brackets do not end a logical line.
 * Malformed input never fails the scan: an unterminated string becomes one
 * PY_ERROR token and scanning goes on after it.
 */
enum py_tok {
	PY_NAME,
	PY_NUMBER,
	PY_STRING,
	PY_OP,      /* operators and delimiters: "(", "**", "->", "@", ... */
	PY_NEWLINE, /* end of a logical line (never emitted for blank lines) */
	PY_ERROR,   /* an unterminated string */
};

/* Flags of a PY_STRING token. */
enum {
	PYSTR_RAW = 1 << 0,
	PYSTR_BYTES = 1 << 1,
	PYSTR_FSTRING = 1 << 2,
	PYSTR_TRIPLE = 1 << 3,
};

struct py_token {
	uint8_t type;       /* enum py_tok */
	uint8_t str_flags;  /* PYSTR_* of a string */
	uint8_t prefix_len; /* letters before the opening quote of a string */
	uint8_t line_start; /* first token of its logical line */
	uint32_t off;       /* byte offset in the source */
	uint32_t len;       /* bytes, quotes and prefix included */
	uint32_t line;      /* 1-based line where the token starts */
	uint32_t indent;    /* indentation column of its logical line (tabs to 8) */
};

struct py_tokens {
	struct py_token *v; /* owned array, v[n - 1] is a PY_NEWLINE when n > 0 */
	size_t n;
};

/* Tokenize src (need not be NUL-terminated). 0 or -ENOMEM/-EFBIG; *out owned by caller. */
int pyscan__tokenize(const char *src, size_t len, struct py_tokens *out);
void pyscan__free(struct py_tokens *toks); /* accepts NULL and empty */

/* Whether a token is of type and spells text exactly (text may be NULL: any). */
bool pyscan__is(const char *src, const struct py_token *t, enum py_tok type, const char *text);

/*
 * The value of a PY_STRING token, escapes decoded, as UTF-8 in a new
 * NUL-terminated buffer (*out, owned by the caller; *outlen excludes the NUL).
 * -EINVAL for what is not a constant text: bytes, an f-string with
 * placeholders, \N{...} escapes, broken escapes, surrogates. -ENOMEM.
 */
int pyscan__string_value(const char *src, const struct py_token *t, char **out, size_t *outlen);

#endif
