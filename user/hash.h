/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* hash.h - FNV-1a over bytes, for in-memory hash tables (not for anything an attacker must not predict). */
#ifndef WARDEN_HASH_H
#define WARDEN_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH_FNV_SEED 0xcbf29ce484222325ULL

/* FNV-1a of len bytes at p, continuing from h (HASH_FNV_SEED to start). */
static inline uint64_t hash__fnv1a(const void *p, size_t len, uint64_t h)
{
	const unsigned char *b = p;

	while (len--)
		h = (h ^ *b++) * 0x100000001b3ULL;
	return h;
}

#endif
