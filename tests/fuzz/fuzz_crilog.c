// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * fuzz_crilog.c - a followed file's bytes through line splitting
 * (linebuf) and the container log decoders (crilog: detected, CRI, Docker),
 * the way warden watch reads them; also crilog__parse_time.
 *
 * Properties: the stream fed in random chunks gives exactly the lines an
 * independent splitter finds (bounded, "\r\n" taken off, cut lines marked);
 * the decoders never hand over more than their bound nor read past a line
 * (each sits in a heap block of its exact size); a file detected as plain
 * comes out as its lines.
 */
#include <stdbool.h>

#include "crilog.h"
#include "fuzz.h"
#include "linebuf.h"

struct line {
	const char *text; /* into the input */
	size_t len;
	bool truncated;
};

struct run {
	const uint8_t *in;
	size_t in_len;
	size_t max_line, max_app;  /* linebuf's bound, crilog's */
	struct line *want;         /* the independent splitter's lines */
	size_t n_want, got;        /* linebuf lines seen so far */
	struct crilog dec[3];      /* auto, CRI, Docker */
	size_t app_lines[3];
	/* For the plain check: the auto decoder's lines, compared as they come. */
	size_t plain_next;
};

/* The lines of in as linebuf.h says: split at "\n", a "\r" before it (or at the end) taken off, at most max bytes. */
static size_t split(const uint8_t *in, size_t n, size_t max, struct line *out)
{
	size_t count = 0, i = 0;

	while (i < n) {
		const uint8_t *nl = memchr(in + i, '\n', n - i);
		size_t len = nl ? (size_t)(nl - (in + i)) : n - i;
		struct line *l = &out[count++];

		l->text = (const char *)in + i;
		l->len = len;
		if (l->len && l->text[l->len - 1] == '\r')
			l->len--;
		l->truncated = l->len > max;
		if (l->truncated)
			l->len = max;
		i += len + (nl ? 1 : 0);
	}
	return count;
}

static void on_app_line(const struct crilog_line *l, void *ctx)
{
	size_t *n = ctx;

	FUZZ_CHECK(l->stream == STREAM_STDOUT || l->stream == STREAM_STDERR, "stream %d", l->stream);
	FUZZ_CHECK(l->format == CRILOG_CRI || l->format == CRILOG_DOCKER || l->format == CRILOG_PLAIN,
		   "format %d", l->format);
	FUZZ_CHECK(l->len == 0 || l->text != NULL, "text");
	fuzz_touch(l->text, l->len);
	(*n)++;
}

/* The auto decoder's lines, for files it took as plain. */
struct plain_ctx {
	struct run *r;
	const struct line *raw; /* the line being fed */
};

static void on_auto_line(const struct crilog_line *l, void *ctx)
{
	struct plain_ctx *p = ctx;
	struct run *r = p->r;

	on_app_line(l, &r->app_lines[0]);
	FUZZ_CHECK(l->len <= r->max_app, "%zu bytes handed over, bound %zu", l->len, r->max_app);
	if (l->format != CRILOG_PLAIN)
		return;
	/* Plain: the line itself, bounded by the decoder too. */
	{
		size_t want = p->raw->len < r->max_app ? p->raw->len : r->max_app;

		FUZZ_CHECK(l->len == want && !memcmp(l->text, p->raw->text, want),
			   "plain line changed (%zu bytes, expected %zu)", l->len, want);
		FUZZ_CHECK(l->truncated == (p->raw->truncated || p->raw->len > r->max_app),
			   "plain line's truncated flag");
	}
}

static void on_line(const char *line, size_t len, bool truncated, void *ctx)
{
	struct run *r = ctx;
	const struct line *w;
	struct plain_ctx pc;
	char *copy;
	size_t i;

	FUZZ_CHECK(r->got < r->n_want, "more lines than the input holds (%zu)", r->n_want);
	w = &r->want[r->got++];
	FUZZ_CHECK(len == w->len && truncated == w->truncated && !memcmp(line, w->text, len),
		   "line %zu: %zu bytes%s, expected %zu%s", r->got, len, truncated ? " (cut)" : "",
		   w->len, w->truncated ? " (cut)" : "");
	copy = fuzz_dup(line, len);
	pc.r = r;
	pc.raw = w;
	crilog__feed(&r->dec[0], copy, len, truncated, on_auto_line, &pc);
	for (i = 1; i < 3; i++) {
		size_t before = r->app_lines[i];

		crilog__feed(&r->dec[i], copy, len, truncated, on_app_line, &r->app_lines[i]);
		(void)before;
	}
	free(copy);
}

static void run_once(const uint8_t *data, size_t size, size_t max_line, size_t max_app)
{
	static const enum crilog_format formats[3] = { CRILOG_AUTO, CRILOG_CRI, CRILOG_DOCKER };
	uint64_t rnd = fuzz_hash(data, size) | 1;
	struct linebuf lb;
	struct run r;
	size_t off = 0, i;

	memset(&r, 0, sizeof(r));
	r.in = data;
	r.in_len = size;
	r.max_line = max_line;
	r.max_app = max_app;
	r.want = calloc(size + 1, sizeof(*r.want));
	if (!r.want || linebuf__init(&lb, max_line))
		abort();
	r.n_want = split(data, size, max_line, r.want);
	for (i = 0; i < 3; i++)
		if (crilog__init(&r.dec[i], formats[i], max_app))
			abort();
	/* Chunks of 1..64 bytes, each in its own exact block. */
	while (off < size) {
		size_t n;
		char *chunk;

		rnd ^= rnd << 13;
		rnd ^= rnd >> 7;
		rnd ^= rnd << 17;
		n = 1 + rnd % 64;
		if (n > size - off)
			n = size - off;
		chunk = fuzz_dup(data + off, n);
		linebuf__feed(&lb, chunk, n, on_line, &r);
		free(chunk);
		off += n;
	}
	linebuf__flush(&lb, on_line, &r);
	FUZZ_CHECK(r.got == r.n_want, "%zu lines, expected %zu", r.got, r.n_want);
	crilog__flush(&r.dec[0], on_app_line, &r.app_lines[0]);
	FUZZ_CHECK(!crilog__pending(&r.dec[0]), "pending after flush");
	for (i = 1; i < 3; i++) {
		crilog__flush(&r.dec[i], on_app_line, &r.app_lines[i]);
		FUZZ_CHECK(!crilog__pending(&r.dec[i]), "pending after flush");
		crilog__reset(&r.dec[i]);
		crilog__free(&r.dec[i]);
	}
	crilog__free(&r.dec[0]);
	linebuf__free(&lb);
	free(r.want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int64_t ns;
	char *t;

	/* Long lines, short app lines (joining hits the bound); then the other way round. */
	run_once(data, size, 4096, 64);
	run_once(data, size, 100, 16384);

	t = fuzz_dup(data, size < 48 ? size : 48);
	if (crilog__parse_time(t, size < 48 ? size : 48, &ns) == 0)
		FUZZ_CHECK(size >= 20, "a time in %zu bytes", size);
	free(t);
	return 0;
}
