// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* linebuf.c - split a byte stream into lines, each kept up to a bound. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "linebuf.h"

int linebuf__init(struct linebuf *lb, size_t max)
{
	memset(lb, 0, sizeof(*lb));
	/* One byte more than the bound: the "\r" of a line of max bytes ending in "\r\n". */
	lb->buf = malloc(max + 1);
	if (!lb->buf)
		return -ENOMEM;
	lb->max = max;
	return 0;
}

void linebuf__free(struct linebuf *lb)
{
	free(lb->buf);
	lb->buf = NULL;
}

static void emit(const char *line, size_t len, size_t max, bool truncated, linebuf_cb cb,
		 void *ctx)
{
	/* "\r\n" endings: the "\r" is not part of the line (nor counts against the bound). */
	if (!truncated && len && line[len - 1] == '\r')
		len--;
	if (len > max) {
		len = max;
		truncated = true;
	}
	cb(line, len, truncated, ctx);
}

/* Keep what fits of a partial line (max + 1 bytes: emit() decides about the last one). */
static void keep(struct linebuf *lb, const char *data, size_t n)
{
	size_t room = lb->max + 1 - lb->len;

	if (n > room) {
		n = room;
		lb->truncated = true;
	}
	memcpy(lb->buf + lb->len, data, n);
	lb->len += n;
}

void linebuf__feed(struct linebuf *lb, const char *data, size_t n, linebuf_cb cb, void *ctx)
{
	const char *end = data + n, *nl;

	while (data < end) {
		nl = memchr(data, '\n', (size_t)(end - data));
		if (!nl) {
			keep(lb, data, (size_t)(end - data));
			return;
		}
		if (lb->len == 0 && !lb->truncated && (size_t)(nl - data) <= lb->max + 1) {
			/* The common case: a whole line in the input, no copy. */
			emit(data, (size_t)(nl - data), lb->max, false, cb, ctx);
		} else {
			keep(lb, data, (size_t)(nl - data));
			emit(lb->buf, lb->len, lb->max, lb->truncated, cb, ctx);
			lb->len = 0;
			lb->truncated = false;
		}
		data = nl + 1;
	}
}

void linebuf__flush(struct linebuf *lb, linebuf_cb cb, void *ctx)
{
	if (lb->len || lb->truncated)
		emit(lb->buf, lb->len, lb->max, lb->truncated, cb, ctx);
	lb->len = 0;
	lb->truncated = false;
}
