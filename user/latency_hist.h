/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* latency_hist.h - a latency histogram of fixed log-spaced buckets: add, merge, quantiles, a compact encoding. */
#ifndef WARDEN_LATENCY_HIST_H
#define WARDEN_LATENCY_HIST_H

#include <stddef.h>
#include <stdint.h>

/*
 * Bucket 0 holds [0, 100 us), bucket i (1..60) holds
 * [100 us * 1.25^(i-1), 100 us * 1.25^i), bucket 61 everything from 65.2 s.
 * A quantile (nearest rank: the ceil(q * n)-th smallest) is reported as the
 * geometric middle of its bucket, clamped to the exact min and max: within
 * LATENCY_HIST_QUANTILE_ERROR (11.8 %, sqrt(1.25) - 1) of the true value for
 * latencies from 100 us to 65 s. min and max are exact.
 */
#define LATENCY_HIST_BUCKETS 62
#define LATENCY_HIST_MIN_S 1e-4 /* upper bound of bucket 0 */
#define LATENCY_HIST_STEP 1.25  /* ratio of a bucket's bounds */
#define LATENCY_HIST_QUANTILE_ERROR 0.118
/* The longest encoding: an index byte and a 10-byte varint per bucket. */
#define LATENCY_HIST_BLOB_MAX (LATENCY_HIST_BUCKETS * 11)

/* Latency figures of a set of requests. */
struct latency_hist {
	uint64_t n; /* requests with a latency */
	double sum, min, max;
	uint64_t buckets[LATENCY_HIST_BUCKETS];
};

/* Empty: n 0, min +inf, max -inf. */
void latency_hist__init(struct latency_hist *h);
/* One latency in seconds (finite, >= 0). */
void latency_hist__add(struct latency_hist *h, double latency_s);
void latency_hist__merge(struct latency_hist *dst, const struct latency_hist *src);
/* The quantile q of h (see above for its precision). NAN when empty. */
double latency_hist__quantile(const struct latency_hist *h, double q);

/* The bounds of bucket i in seconds (hi is INFINITY for the last). */
void latency_hist__bucket_bounds(int i, double *lo, double *hi);
/* The bucket of a latency in seconds (0 for negatives and NaN). */
int latency_hist__bucket_of(double latency_s);
/* The bucket holding the nearest-rank quantile q of buckets (n values), -1 when n is 0. */
int latency_hist__rank_bucket(const uint64_t *buckets, uint64_t n, double q);

/*
 * Sparse encoding of buckets into out (LATENCY_HIST_BLOB_MAX bytes): for each
 * non-empty bucket its index byte, then its count as a LEB128 varint. The length.
 */
size_t latency_hist__encode(const uint64_t *buckets, unsigned char *out);
/* Add an encoded histogram into buckets. -EINVAL on a malformed blob (what came before it is kept). */
int latency_hist__decode_add(uint64_t *buckets, const unsigned char *blob, size_t len);

#endif
