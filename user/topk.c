// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* topk.c - the heaviest clients of a stream of requests: a space-saving top-k, O(1) per request, bounded memory. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "topk.h"

#define SLOTS_FIRST 8 /* most sets see few clients: grow 8, 32, 128 */

_Static_assert(TOPK_SLOTS < TOPK_NONE, "slot and bucket numbers are bytes");

/* An address as two words, zero after an IPv4 one: compared and hashed without a byte loop. */
struct client_key {
	uint64_t w[2];
	uint8_t family, prefixlen;
};

static void client_key(const struct prefix *c, struct client_key *k)
{
	uint32_t v4;

	/* Fixed-size copies: a variable one would cost a call or a stalled load. */
	if (c->family == 4) {
		memcpy(&v4, c->addr, 4);
		k->w[0] = v4;
		k->w[1] = 0;
	} else {
		memcpy(&k->w[0], c->addr, 8);
		memcpy(&k->w[1], c->addr + 8, 8);
	}
	k->family = c->family;
	k->prefixlen = c->prefixlen;
}

/* Fibonacci hashing of the address's words. */
static uint32_t client_hash(const struct client_key *k)
{
	uint64_t h = (k->w[0] ^ k->family) * 0x9e3779b97f4a7c15ULL;

	h ^= k->w[1] * 0xc2b2ae3d27d4eb4fULL;
	return (uint32_t)(h >> 32);
}

static bool slot_is(const struct topk_slot *s, const struct client_key *k)
{
	return s->key[0] == k->w[0] && s->key[1] == k->w[1] && s->addr.family == k->family &&
	       s->addr.prefixlen == k->prefixlen;
}

/* An index entry: the slot, and the hash's low byte (the home of any index size up to 256). */
static uint16_t entry_of(uint8_t slot, uint32_t h)
{
	return (uint16_t)((h & 0xff) << 8 | (uint16_t)(slot + 1));
}

#define ENTRY_SLOT(e) ((uint8_t)(((e) & 0xff) - 1))
#define ENTRY_HOME(e, mask) (((uint32_t)(e) >> 8) & (mask))

_Static_assert(2 * TOPK_SLOTS <= 256, "the index's homes fit in a byte");

/*
 * The index position of address k (hash h), or of the empty place where it
 * would go. The hash byte in each entry spares reading the slots of others.
 */
static uint32_t client_pos(const struct topk *t, const struct client_key *k, uint32_t h)
{
	uint32_t mask = 2 * t->cap - 1, i;
	uint16_t tag = (uint16_t)((h & 0xff) << 8);

	for (i = h & mask; t->index[i]; i = (i + 1) & mask)
		if ((t->index[i] & 0xff00) == tag && slot_is(&t->slots[ENTRY_SLOT(t->index[i])], k))
			break;
	return i;
}

/* Empty index position i (linear probing: later entries of the run move back into it). */
static void client_unindex(struct topk *t, uint32_t i)
{
	uint32_t mask = 2 * t->cap - 1, j = i, home;

	for (;;) {
		j = (j + 1) & mask;
		if (!t->index[j])
			break;
		home = ENTRY_HOME(t->index[j], mask);
		/* An entry whose home lies cyclically in (i, j] stays where it is. */
		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		t->index[i] = t->index[j];
		i = j;
	}
	t->index[i] = 0;
}

static void slot_set(struct topk_slot *s, const struct prefix *c, const struct client_key *k,
		     uint32_t h)
{
	s->addr = *c;
	s->key[0] = k->w[0];
	s->key[1] = k->w[1];
	s->hash = h;
}

/* ---- buckets: the slots of each rank, in rank order ---- */

static uint8_t bucket_new(struct topk *t, uint64_t rank, uint8_t prev, uint8_t next)
{
	uint8_t b = t->free_bucket;
	struct topk_bucket *nb = &t->buckets[b];

	t->free_bucket = nb->next;
	*nb = (struct topk_bucket){ .rank = rank, .head = TOPK_NONE, .prev = prev, .next = next };
	if (prev != TOPK_NONE)
		t->buckets[prev].next = b;
	else
		t->lightest = b;
	if (next != TOPK_NONE)
		t->buckets[next].prev = b;
	return b;
}

static void bucket_free(struct topk *t, uint8_t b)
{
	struct topk_bucket *ob = &t->buckets[b];

	if (ob->prev != TOPK_NONE)
		t->buckets[ob->prev].next = ob->next;
	else
		t->lightest = ob->next;
	if (ob->next != TOPK_NONE)
		t->buckets[ob->next].prev = ob->prev;
	ob->next = t->free_bucket;
	t->free_bucket = b;
}

static void slot_link(struct topk *t, uint8_t s, uint8_t b)
{
	struct topk_slot *sl = &t->slots[s];
	struct topk_bucket *bk = &t->buckets[b];

	sl->bucket = b;
	sl->prev = TOPK_NONE;
	sl->next = bk->head;
	if (bk->head != TOPK_NONE)
		t->slots[bk->head].prev = s;
	bk->head = s;
}

/* Take slot s out of its bucket; true when the bucket is left empty (not freed). */
static bool slot_unlink(struct topk *t, uint8_t s)
{
	struct topk_slot *sl = &t->slots[s];
	struct topk_bucket *bk = &t->buckets[sl->bucket];

	if (sl->prev != TOPK_NONE)
		t->slots[sl->prev].next = sl->next;
	else
		bk->head = sl->next;
	if (sl->next != TOPK_NONE)
		t->slots[sl->next].prev = sl->prev;
	return bk->head == TOPK_NONE;
}

/* Slot s gains one: into the bucket of the next rank, made if missing. */
static void slot_increment(struct topk *t, uint8_t s)
{
	uint8_t b = t->slots[s].bucket, next = t->buckets[b].next;
	uint64_t rank = t->buckets[b].rank + 1;

	/* Alone in its bucket, and no bucket of rank + 1: the bucket itself moves up. */
	if (t->buckets[b].head == s && t->slots[s].next == TOPK_NONE &&
	    (next == TOPK_NONE || t->buckets[next].rank != rank)) {
		t->buckets[b].rank = rank;
		return;
	}
	if (slot_unlink(t, s)) {
		uint8_t prev = t->buckets[b].prev;

		bucket_free(t, b);
		b = prev;
	}
	if (next == TOPK_NONE || t->buckets[next].rank != rank)
		next = bucket_new(t, rank, b, next);
	slot_link(t, s, next);
}

/* Room for cap slots and buckets: both carried over, the index rebuilt. 0 or -ENOMEM. */
static int topk_grow(struct topk *t, uint32_t cap)
{
	struct topk_slot *slots = realloc(t->slots, cap * sizeof(*slots));
	struct topk_bucket *buckets;
	uint32_t i, mask = 2 * cap - 1, j;
	uint16_t *index;

	if (!slots)
		return -ENOMEM;
	t->slots = slots;
	buckets = realloc(t->buckets, cap * sizeof(*buckets));
	if (!buckets)
		return -ENOMEM;
	t->buckets = buckets;
	index = calloc(2 * cap, sizeof(*index));
	if (!index)
		return -ENOMEM;
	if (!t->cap) {
		t->lightest = TOPK_NONE;
		t->free_bucket = TOPK_NONE;
	}
	/* The new buckets join the free list. */
	for (i = cap; i-- > t->cap;) {
		buckets[i].next = t->free_bucket;
		t->free_bucket = (uint8_t)i;
	}
	for (i = 0; i < t->n; i++) {
		for (j = slots[i].hash & mask; index[j]; j = (j + 1) & mask)
			;
		index[j] = entry_of((uint8_t)i, slots[i].hash);
	}
	free(t->index);
	t->index = index;
	t->cap = cap;
	return 0;
}

int topk__add(struct topk *t, const struct prefix *c, int status, double lat)
{
	struct client_key k;
	struct topk_slot *s;
	uint32_t pos, h;
	uint8_t slot;

	client_key(c, &k);
	h = client_hash(&k);
	if (t->n == t->cap && t->cap < TOPK_SLOTS && (!t->cap || !t->index[client_pos(t, &k, h)])) {
		uint32_t cap = t->cap ? t->cap * 4 : SLOTS_FIRST;

		if (topk_grow(t, cap > TOPK_SLOTS ? TOPK_SLOTS : cap))
			return -ENOMEM;
	}
	pos = client_pos(t, &k, h);
	if (t->index[pos]) {
		slot = ENTRY_SLOT(t->index[pos]);
		slot_increment(t, slot);
	} else if (t->n < t->cap) {
		/* A free slot: rank 1, in the lightest bucket if that is rank 1. */
		slot = (uint8_t)t->n++;
		s = &t->slots[slot];
		memset(s, 0, sizeof(*s));
		slot_set(s, c, &k, h);
		t->index[pos] = entry_of(slot, h);
		if (t->lightest == TOPK_NONE || t->buckets[t->lightest].rank != 1)
			bucket_new(t, 1, TOPK_NONE, t->lightest);
		slot_link(t, slot, t->lightest);
	} else {
		/* Space-saving: the new client takes a slot of the lightest, one more than its rank. */
		struct client_key old;

		slot = t->buckets[t->lightest].head;
		s = &t->slots[slot];
		old = (struct client_key){ .w = { s->key[0], s->key[1] }, .family = s->addr.family,
					   .prefixlen = s->addr.prefixlen };
		client_unindex(t, client_pos(t, &old, s->hash));
		slot_set(s, c, &k, h);
		s->hits = s->s4xx = s->lat_n = 0;
		s->written_hits = s->written_s4xx = s->written_lat_n = 0;
		s->lat_sum = s->written_lat_sum = 0;
		/* The unindexing may have moved entries: look for the empty place again. */
		t->index[client_pos(t, &k, h)] = entry_of(slot, h);
		slot_increment(t, slot);
	}
	s = &t->slots[slot];
	s->hits++;
	if (status >= 400 && status <= 499)
		s->s4xx++;
	if (lat >= 0) {
		s->lat_n++;
		s->lat_sum += lat;
	}
	return 0;
}

uint64_t topk__rank(const struct topk *t, uint32_t i)
{
	return t->buckets[t->slots[i].bucket].rank;
}

bool topk__settled(const struct topk *t, uint32_t i)
{
	return t->n < TOPK_SLOTS || t->slots[i].hits > t->buckets[t->lightest].rank;
}

void topk__written(struct topk *t, uint32_t i)
{
	struct topk_slot *s = &t->slots[i];

	s->written_hits = s->hits;
	s->written_s4xx = s->s4xx;
	s->written_lat_n = s->lat_n;
	s->written_lat_sum = s->lat_sum;
}

void topk__free(struct topk *t)
{
	if (!t)
		return;
	free(t->slots);
	free(t->buckets);
	free(t->index);
	memset(t, 0, sizeof(*t));
}
