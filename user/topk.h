/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* topk.h - the heaviest clients of a stream of requests: a space-saving top-k with bounded memory. */
#ifndef WARDEN_TOPK_H
#define WARDEN_TOPK_H

#include <stdint.h>

#include "addr.h"

/*
 * Space-saving (Metwally et al.): TOPK_SLOTS counters at most; a client not
 * counted takes the counter of the lightest one and starts from its count.
 * Exact while fewer than TOPK_SLOTS clients were seen; beyond, a client
 * making more than 1/TOPK_SLOTS of the requests keeps its slot, and hits is
 * what it did since it took the slot: counts may fall short, never exceed.
 * Per request O(log TOPK_SLOTS): a slot is found by address through a hash
 * index, the lightest is the root of a min-heap by rank.
 */
#define TOPK_SLOTS 128

struct topk_slot {
	struct prefix addr;
	uint64_t hits; /* requests seen since the client took the slot */
	uint64_t rank; /* space-saving estimate: hits + what the evicted one had */
	uint64_t s4xx, lat_n;
	double lat_sum;
};

struct topk {
	struct topk_slot *slots; /* n used of cap */
	uint8_t *heap;           /* cap slot numbers, a min-heap by rank */
	uint8_t *at;             /* cap: each slot's place in heap */
	uint8_t *index;          /* 2 * cap, by address hash: 0 empty, else slot number + 1 */
	uint32_t n, cap;
};

/*
 * One request of client c: status (4xx counted), latency_s (< 0: none).
 * t starts zeroed. 0, or -ENOMEM (nothing counted).
 */
int topk__add(struct topk *t, const struct prefix *c, int status, double latency_s);
/* The slots in use: t->slots[0 .. t->n - 1], in no order. Free the memory; t is zeroed. */
void topk__free(struct topk *t);

#endif
