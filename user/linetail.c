// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* linetail.c - the last few lines of the app's output, to show when warden gives up on it. */
#include <string.h>

#include "linetail.h"

void linetail__reset(struct linetail *t)
{
	t->next = 0;
	t->count = 0;
}

void linetail__add(struct linetail *t, const char *line, size_t len, bool truncated)
{
	char *dst = t->line[t->next];
	size_t keep = len, i;

	if (keep > LINETAIL_WIDTH - 1)
		keep = LINETAIL_WIDTH - 1;
	if (keep < len || truncated) {
		if (keep > LINETAIL_WIDTH - 4)
			keep = LINETAIL_WIDTH - 4;
		truncated = true;
	}
	/* The lines go into warden's own messages: no escape sequence of the app's goes along. */
	for (i = 0; i < keep; i++) {
		unsigned char c = (unsigned char)line[i];

		dst[i] = (c < 0x20 && c != '\t') || c == 0x7f ? '?' : (char)c;
	}
	if (truncated) {
		memcpy(dst + keep, "...", 3);
		keep += 3;
	}
	dst[keep] = '\0';
	t->next = (t->next + 1) % LINETAIL_LINES;
	if (t->count < LINETAIL_LINES)
		t->count++;
}

const char *linetail__get(const struct linetail *t, unsigned i)
{
	unsigned first = (t->next + LINETAIL_LINES - t->count) % LINETAIL_LINES;

	return t->line[(first + i) % LINETAIL_LINES];
}
