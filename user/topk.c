// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* topk.c - the heaviest clients of a stream of requests: a space-saving top-k with bounded memory. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "topk.h"

#define SLOTS_FIRST 8 /* most sets see few clients: grow 8, 32, 128 */

_Static_assert(TOPK_SLOTS <= 255, "slot numbers are bytes");

static uint32_t client_hash(const struct prefix *c)
{
	return (uint32_t)hash__fnv1a(c->addr, c->family == 4 ? 4 : 16, HASH_FNV_SEED ^ c->family);
}

/* The index position of address c, or of the empty place where it would go. */
static uint32_t client_pos(const struct topk *cs, const struct prefix *c)
{
	uint32_t mask = 2 * cs->cap - 1, i;

	for (i = client_hash(c) & mask; cs->index[i]; i = (i + 1) & mask)
		if (prefix__equal(&cs->slots[cs->index[i] - 1].addr, c))
			break;
	return i;
}

/* Empty index position i (linear probing: later entries of the run move back into it). */
static void client_unindex(struct topk *cs, uint32_t i)
{
	uint32_t mask = 2 * cs->cap - 1, j = i, home;

	for (;;) {
		j = (j + 1) & mask;
		if (!cs->index[j])
			break;
		home = client_hash(&cs->slots[cs->index[j] - 1].addr) & mask;
		/* An entry whose home lies cyclically in (i, j] stays where it is. */
		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		cs->index[i] = cs->index[j];
		i = j;
	}
	cs->index[i] = 0;
}

static void heap_swap(struct topk *cs, uint32_t x, uint32_t y)
{
	uint8_t t = cs->heap[x];

	cs->heap[x] = cs->heap[y];
	cs->heap[y] = t;
	cs->at[cs->heap[x]] = (uint8_t)x;
	cs->at[cs->heap[y]] = (uint8_t)y;
}

#define HEAP_RANK(cs, x) ((cs)->slots[(cs)->heap[x]].rank)

/* Restore the heap after the rank of the slot at place x changed. */
static void heap_fix(struct topk *cs, uint32_t x)
{
	while (x && HEAP_RANK(cs, x) < HEAP_RANK(cs, (x - 1) / 2)) {
		heap_swap(cs, x, (x - 1) / 2);
		x = (x - 1) / 2;
	}
	for (;;) {
		uint32_t l = 2 * x + 1, m = x;

		if (l < cs->n && HEAP_RANK(cs, l) < HEAP_RANK(cs, m))
			m = l;
		if (l + 1 < cs->n && HEAP_RANK(cs, l + 1) < HEAP_RANK(cs, m))
			m = l + 1;
		if (m == x)
			break;
		heap_swap(cs, x, m);
		x = m;
	}
}

/* Room for cap slots: heap and places carried over, the index rebuilt. 0 or -ENOMEM. */
static int client_grow(struct topk *cs, uint32_t cap)
{
	struct topk_slot *slots = realloc(cs->slots, cap * sizeof(*slots));
	uint8_t *block;
	uint32_t i, mask = 2 * cap - 1, j;

	if (!slots)
		return -ENOMEM;
	cs->slots = slots;
	block = calloc(4, cap); /* heap, at, index */
	if (!block)
		return -ENOMEM;
	if (cs->n) {
		memcpy(block, cs->heap, cs->n);
		memcpy(block + cap, cs->at, cs->n);
	}
	free(cs->heap);
	cs->heap = block;
	cs->at = block + cap;
	cs->index = block + 2 * cap;
	for (i = 0; i < cs->n; i++) {
		for (j = client_hash(&slots[i].addr) & mask; cs->index[j]; j = (j + 1) & mask)
			;
		cs->index[j] = (uint8_t)(i + 1);
	}
	cs->cap = cap;
	return 0;
}

int topk__add(struct topk *cs, const struct prefix *c, int status, double lat)
{
	struct topk_slot *s;
	uint32_t pos, slot;

	if (cs->n == cs->cap && cs->cap < TOPK_SLOTS && (!cs->cap || !cs->index[client_pos(cs, c)])) {
		uint32_t cap = cs->cap ? cs->cap * 4 : SLOTS_FIRST;

		if (client_grow(cs, cap > TOPK_SLOTS ? TOPK_SLOTS : cap))
			return -ENOMEM;
	}
	pos = client_pos(cs, c);
	if (cs->index[pos]) {
		slot = cs->index[pos] - 1;
		s = &cs->slots[slot];
	} else if (cs->n < cs->cap) {
		slot = cs->n++;
		s = &cs->slots[slot];
		memset(s, 0, sizeof(*s));
		s->addr = *c;
		cs->index[pos] = (uint8_t)(slot + 1);
		cs->heap[slot] = (uint8_t)slot;
		cs->at[slot] = (uint8_t)slot;
	} else {
		/* Space-saving: the new client takes the slot of the lightest one. */
		uint64_t evicted;

		slot = cs->heap[0];
		s = &cs->slots[slot];
		client_unindex(cs, client_pos(cs, &s->addr));
		evicted = s->rank;
		memset(s, 0, sizeof(*s));
		s->addr = *c;
		s->rank = evicted;
		cs->index[client_pos(cs, c)] = (uint8_t)(slot + 1);
	}
	s->hits++;
	s->rank++;
	heap_fix(cs, cs->at[slot]);
	if (status >= 400 && status <= 499)
		s->s4xx++;
	if (lat >= 0) {
		s->lat_n++;
		s->lat_sum += lat;
	}
	return 0;
}

void topk__free(struct topk *t)
{
	if (!t)
		return;
	free(t->slots);
	free(t->heap); /* with at and index */
	memset(t, 0, sizeof(*t));
}
