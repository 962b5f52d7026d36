/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* linebuf.h - split a byte stream into lines, each kept up to a bound. */
#ifndef WARDEN_LINEBUF_H
#define WARDEN_LINEBUF_H

#include <stdbool.h>
#include <stddef.h>

/*
 * A line longer than the bound is handed over with its first max bytes
 * and truncated set: memory stays bounded whatever the stream holds.
 */
struct linebuf {
	char *buf;      /* owned, max + 1 bytes (room for a "\r" before the "\n") */
	size_t len;     /* bytes of the current line kept so far */
	size_t max;     /* the bound */
	bool truncated; /* the current line went past the bound */
};

typedef void (*linebuf_cb)(const char *line, size_t len, bool truncated, void *ctx);

/* 0 or -ENOMEM. */
int linebuf__init(struct linebuf *lb, size_t max);
void linebuf__free(struct linebuf *lb);

/* Feed bytes; cb runs once per complete line (without its "\n" or "\r\n"). */
void linebuf__feed(struct linebuf *lb, const char *data, size_t n, linebuf_cb cb, void *ctx);

/* End of stream: hand over a last line that had no newline. */
void linebuf__flush(struct linebuf *lb, linebuf_cb cb, void *ctx);

#endif
