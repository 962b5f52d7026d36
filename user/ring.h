/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* ring.h - a bounded FIFO of fixed-size entries that can also give up one from the middle, all O(1). */
#ifndef WARDEN_RING_H
#define WARDEN_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Entries are numbered from the oldest (0) to the newest (len - 1). One
 * taken from the middle leaves a hole in its slot until the oldest live
 * entry passes it, so the bound is on slots: from the oldest live entry to
 * the newest at most cap, whatever was taken between them. A full ring
 * takes no more: the caller decides what to drop (ring__take(r, 0)).
 *
 * Nothing moves: an entry's address is stable until it is taken.
 */
struct ring {
	size_t esize;   /* bytes of an entry */
	uint32_t cap;   /* slots, a power of two */
	uint32_t head;  /* slot of entry 0 (always live when len > 0) */
	uint32_t len;   /* slots from entry 0 to the newest, holes included */
	uint32_t live;  /* entries not taken */
	uint8_t *taken; /* per slot: 1 when its entry was taken (a hole) */
	char *slots;    /* cap entries */
};

/* Allocate cap (rounded up to a power of two, at least 1) entries of esize bytes. 0 or -ENOMEM. */
int ring__init(struct ring *r, size_t esize, uint32_t cap);
/* Free the slots (r can be reused with ring__init). Accepts a ring never initialised (zeroed). */
void ring__free(struct ring *r);

static inline bool ring__ready(const struct ring *r)
{
	return r->slots != NULL;
}

static inline bool ring__full(const struct ring *r)
{
	return r->len == r->cap;
}

/* A new newest entry (its bytes are not cleared), or NULL when the ring is full. */
void *ring__push(struct ring *r);

/* Entry i (0: the oldest), or NULL when it was taken or i >= len. */
void *ring__at(const struct ring *r, uint32_t i);

/* Take entry i out (no-op if it was taken already); the slots of leading holes are freed. */
void ring__take(struct ring *r, uint32_t i);

#endif
