// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* test_ring.c - the bounded ring: its bound, holes taken from the middle, order kept across wrap-around. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ring.h"
#include "testutil.h"

struct ent {
	uint64_t id;
	char pad[40];
};

/* The capacity is a power of two; a full ring refuses, and taking the oldest makes room for one. */
static void test_bound(void)
{
	struct ring r = { 0 };
	struct ent *e;
	uint32_t i;

	ASSERT_FALSE(ring__ready(&r), "not ready before init");
	ASSERT_TRUE(ring__push(&r) == NULL, "push before init");
	ring__free(&r); /* a zeroed ring frees */
	if (!ASSERT_OK(ring__init(&r, sizeof(struct ent), 100), "init"))
		return;
	ASSERT_EQ(r.cap, 128, "rounded up to a power of two");
	for (i = 0; i < 128; i++) {
		e = ring__push(&r);
		if (!ASSERT_NOT_NULL(e, "push below the bound"))
			goto out;
		e->id = i;
	}
	ASSERT_TRUE(ring__full(&r), "full at cap");
	ASSERT_TRUE(ring__push(&r) == NULL, "full: refused");
	ASSERT_EQ(r.live, 128, "live");
	ring__take(&r, 0);
	ASSERT_FALSE(ring__full(&r), "the oldest taken: room");
	e = ring__push(&r);
	ASSERT_NOT_NULL(e, "push after the oldest went");
	if (e)
		e->id = 128;
	ASSERT_TRUE(ring__push(&r) == NULL, "full again");
	e = ring__at(&r, 0);
	ASSERT_EQ(e ? e->id : 999, 1, "oldest is the second pushed");
	e = ring__at(&r, 127);
	ASSERT_EQ(e ? e->id : 999, 128, "newest");
	ASSERT_TRUE(ring__at(&r, 128) == NULL, "past the end");
out:
	ring__free(&r);
	ASSERT_FALSE(ring__ready(&r), "freed");
}

/* A hole keeps its slot until the oldest live entry passes it; then all the holes in front go at once. */
static void test_holes(void)
{
	struct ring r = { 0 };
	struct ent *e, *keep;
	uint32_t i;

	if (!ASSERT_OK(ring__init(&r, sizeof(struct ent), 8), "init"))
		return;
	for (i = 0; i < 8; i++)
		((struct ent *)ring__push(&r))->id = i;
	keep = ring__at(&r, 5);
	for (i = 1; i < 8; i++)
		if (i != 5)
			ring__take(&r, i);
	ASSERT_EQ(r.live, 2, "two live");
	ASSERT_EQ(r.len, 8, "holes behind the oldest still hold slots");
	ASSERT_TRUE(ring__full(&r), "so the ring is full");
	ASSERT_TRUE(ring__at(&r, 3) == NULL, "a hole reads as NULL");
	ring__take(&r, 3); /* taking a hole again changes nothing */
	ASSERT_EQ(r.live, 2, "double take ignored");
	ASSERT_TRUE(ring__at(&r, 5) == keep, "entries never move");
	ring__take(&r, 0);
	ASSERT_EQ(r.len, 3, "the oldest gone: the holes before the next live entry freed");
	e = ring__at(&r, 0);
	ASSERT_EQ(e ? e->id : 999, 5, "entry 0 is the next live one");
	ASSERT_TRUE(e == keep, "same address");
	ring__take(&r, 0);
	ASSERT_EQ(r.len, 0, "only holes left: empty");
	ASSERT_EQ(r.live, 0, "none live");
	ring__free(&r);
}

/* Random pushes and takes against a plain array model, over many wrap-arounds. */
static void test_model(void)
{
	enum { CAP = 64, OPS = 200000 };
	uint64_t model[CAP * 4], next = 0;
	uint8_t gone[CAP * 4];
	uint32_t mlen = 0, i, j, bad = 0;
	struct ring r = { 0 };
	unsigned int seed = 7;

	if (!ASSERT_OK(ring__init(&r, sizeof(struct ent), CAP), "init"))
		return;
	for (i = 0; i < OPS && !bad; i++) {
		int op = rand_r(&seed) % 3;

		if (op < 2 && mlen < CAP) {
			struct ent *e = ring__push(&r);

			if (!e) {
				bad = 1;
				break;
			}
			e->id = next;
			model[mlen] = next++;
			gone[mlen++] = 0;
		} else if (mlen) {
			j = (uint32_t)rand_r(&seed) % mlen;
			ring__take(&r, j);
			gone[j] = 1;
			/* The model drops its leading holes too. */
			while (mlen && gone[0]) {
				memmove(model, model + 1, (mlen - 1) * sizeof(*model));
				memmove(gone, gone + 1, mlen - 1);
				mlen--;
			}
		}
		if (r.len != mlen)
			bad = 2;
		for (j = 0; j < mlen && !bad; j++) {
			struct ent *e = ring__at(&r, j);

			if (gone[j] ? e != NULL : (!e || e->id != model[j]))
				bad = 3;
		}
		if (mlen == CAP && ring__push(&r) != NULL)
			bad = 4;
	}
	ASSERT_EQ(bad, 0, "ring matches the model");
	ASSERT_GE(next, (uint64_t)CAP * 100, "wrapped around many times");
	ring__free(&r);
}

int main(void)
{
	RUN_TEST(test_bound);
	RUN_TEST(test_holes);
	RUN_TEST(test_model);
	return TEST_EXIT();
}
