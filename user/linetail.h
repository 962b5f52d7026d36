/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* linetail.h - the last few lines of the app's output, to show when warden gives up on it. */
#ifndef WARDEN_LINETAIL_H
#define WARDEN_LINETAIL_H

#include <stdbool.h>
#include <stddef.h>

#define LINETAIL_LINES 10   /* lines kept */
#define LINETAIL_WIDTH 256  /* bytes kept of each (longer lines end with "...") */

/* A ring of the last lines, fixed size: memory is bounded whatever the app writes. */
struct linetail {
	char line[LINETAIL_LINES][LINETAIL_WIDTH];
	unsigned short len[LINETAIL_LINES]; /* bytes of each, as copied (a NUL may be among them) */
	unsigned next;  /* the slot the next line goes to */
	unsigned count; /* lines held, at most LINETAIL_LINES */
};

void linetail__reset(struct linetail *t);
/* Keep one line (len bytes, no newline; truncated when the reader cut it). */
void linetail__add(struct linetail *t, const char *line, size_t len, bool truncated);
/* The i-th line held, oldest first (i < count); NUL-terminated, control bytes shown as '?'. */
const char *linetail__get(struct linetail *t, unsigned i);

#endif
