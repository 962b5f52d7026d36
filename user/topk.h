/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* topk.h - the heaviest clients of a stream of requests: a space-saving top-k, O(1) per request, bounded memory. */
#ifndef WARDEN_TOPK_H
#define WARDEN_TOPK_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"

/*
 * Space-saving (Metwally, Agrawal, El Abbadi 2005): TOPK_SLOTS counters at
 * most; a client not counted takes the counter of the lightest one and
 * starts from its count. Exact while fewer than TOPK_SLOTS clients were
 * seen; beyond, a client making more than 1/TOPK_SLOTS of the requests
 * keeps its slot, and hits is what it did since it took the slot: counts
 * may fall short, never exceed.
 *
 * O(1) per request, whatever the number of clients: a slot is found by
 * address through a hash index; the slots sit in buckets of equal rank
 * kept in rank order (the paper's stream-summary), so the lightest is the
 * first bucket's and a hit moves its slot one bucket up.
 *
 * Memory: at most TOPK_SLOTS * (sizeof(struct topk_slot) + 16 + 4) bytes,
 * 13.8 KB, allocated as the first clients come (8, 32, then 128 slots).
 */
#define TOPK_SLOTS 128

struct topk_slot {
	struct prefix addr;
	uint8_t bucket;    /* internal: the slot's bucket */
	uint32_t hash;     /* internal: of the address (for the index) */
	uint64_t key[2];   /* internal: the address's 16 bytes, zero after an IPv4 one */
	uint8_t prev, next; /* internal: the slot's neighbours in its bucket (TOPK_NONE: none) */
	uint32_t hits;     /* requests seen since the client took the slot */
	uint32_t s4xx;     /* of them answered 4xx */
	uint32_t lat_n;    /* of them with a latency */
	double lat_sum;    /* their latencies' sum, seconds */
	/* What of the above was written already (topk__written): the caller's bookkeeping. */
	uint32_t written_hits, written_s4xx, written_lat_n;
	double written_lat_sum;
};

/* A bucket: the slots of one rank. */
struct topk_bucket {
	uint64_t rank;      /* space-saving estimate: hits + what the evicted ones had */
	uint8_t head;       /* first slot */
	uint8_t prev, next; /* buckets of the next lower and higher rank (TOPK_NONE: none) */
};

#define TOPK_NONE 0xff

struct topk {
	struct topk_slot *slots;     /* n used of cap */
	struct topk_bucket *buckets; /* cap of them, a free list through next */
	uint16_t *index;             /* 2 * cap, by address hash: 0 empty, else slot number + 1
				      * and, in the high byte, the low byte of the address's hash */
	uint32_t n, cap;
	uint8_t lightest;            /* the bucket of the lowest rank (TOPK_NONE: no slot yet) */
	uint8_t free_bucket;         /* first unused bucket (TOPK_NONE: none) */
};

/*
 * One request of client c: status (4xx counted), latency_s (< 0: none).
 * t starts zeroed. 0, or -ENOMEM (nothing counted).
 */
int topk__add(struct topk *t, const struct prefix *c, int status, double latency_s);
/* The rank (space-saving estimate) of slot i. */
uint64_t topk__rank(const struct topk *t, uint32_t i);

/*
 * Whether slot i's client has settled in: every slot while fewer than
 * TOPK_SLOTS clients were seen (counts exact), then a slot whose hits
 * exceed the lightest rank: a client that came and went among many others
 * does not, one making more than 1/TOPK_SLOTS of the requests soon does.
 */
bool topk__settled(const struct topk *t, uint32_t i);

/* Mark what slot i counted so far as written (its written_ fields). */
void topk__written(struct topk *t, uint32_t i);
/* The slots in use: t->slots[0 .. t->n - 1], in no order. Free the memory; t is zeroed. */
void topk__free(struct topk *t);

#endif
