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
	size_t keep = len;

	if (keep > LINETAIL_WIDTH - 1)
		keep = LINETAIL_WIDTH - 1;
	if (keep < len || truncated) {
		if (keep > LINETAIL_WIDTH - 4)
			keep = LINETAIL_WIDTH - 4;
		truncated = true;
	}
	/* Every line of the app comes here: a plain copy, made safe to show only when shown. */
	memcpy(dst, line, keep);
	if (truncated) {
		memcpy(dst + keep, "...", 3);
		keep += 3;
	}
	dst[keep] = '\0';
	t->len[t->next] = (unsigned short)keep;
	t->next = (t->next + 1) % LINETAIL_LINES;
	if (t->count < LINETAIL_LINES)
		t->count++;
}

const char *linetail__get(struct linetail *t, unsigned i)
{
	unsigned first = (t->next + LINETAIL_LINES - t->count) % LINETAIL_LINES;
	unsigned slot = (first + i) % LINETAIL_LINES;
	char *s = t->line[slot];
	size_t j;

	/* The lines go into warden's own messages: no escape sequence of the app's goes along. */
	for (j = 0; j < t->len[slot]; j++) {
		unsigned char c = (unsigned char)s[j];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			s[j] = '?';
	}
	return s;
}
