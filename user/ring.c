// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* ring.c - a bounded FIFO of fixed-size entries that can also give up one from the middle, all O(1). */
#include <errno.h>
#include <stdlib.h>

#include "ring.h"

int ring__init(struct ring *r, size_t esize, uint32_t cap)
{
	uint32_t n = 1;

	while (n < cap && n < (1U << 31))
		n <<= 1;
	*r = (struct ring){ .esize = esize, .cap = n };
	r->slots = calloc(n, esize);
	r->taken = calloc(n, 1);
	if (!r->slots || !r->taken) {
		ring__free(r);
		return -ENOMEM;
	}
	return 0;
}

void ring__free(struct ring *r)
{
	free(r->slots);
	free(r->taken);
	r->slots = NULL;
	r->taken = NULL;
	r->head = r->len = r->live = 0;
}

static uint32_t slot_of(const struct ring *r, uint32_t i)
{
	return (r->head + i) & (r->cap - 1);
}

void *ring__push(struct ring *r)
{
	uint32_t s;

	if (!r->slots || r->len == r->cap)
		return NULL;
	s = slot_of(r, r->len);
	r->taken[s] = 0;
	r->len++;
	r->live++;
	return r->slots + (size_t)s * r->esize;
}

void *ring__at(const struct ring *r, uint32_t i)
{
	uint32_t s;

	if (i >= r->len)
		return NULL;
	s = slot_of(r, i);
	return r->taken[s] ? NULL : r->slots + (size_t)s * r->esize;
}

void ring__take(struct ring *r, uint32_t i)
{
	uint32_t s;

	if (i >= r->len)
		return;
	s = slot_of(r, i);
	if (r->taken[s])
		return;
	r->taken[s] = 1;
	r->live--;
	/* Free the holes in front: entry 0 is live again (or the ring is empty). */
	while (r->len && r->taken[r->head]) {
		r->head = (r->head + 1) & (r->cap - 1);
		r->len--;
	}
}
