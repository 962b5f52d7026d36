// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* latency_hist.c - a latency histogram of fixed log-spaced buckets: add, merge, quantiles, a compact encoding. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "latency_hist.h"

#define NB LATENCY_HIST_BUCKETS

/* bounds[i] is the lower bound of bucket i; bounds[NB] = inf. Filled once, then only read. */
static double bounds[NB + 1];

static void bounds_init(void)
{
	int i;

	if (bounds[NB] != 0)
		return;
	bounds[0] = 0;
	for (i = 1; i < NB; i++)
		bounds[i] = LATENCY_HIST_MIN_S * pow(LATENCY_HIST_STEP, i - 1);
	bounds[NB] = INFINITY;
}

void latency_hist__bucket_bounds(int i, double *lo, double *hi)
{
	bounds_init();
	if (i < 0)
		i = 0;
	if (i >= NB)
		i = NB - 1;
	*lo = bounds[i];
	*hi = bounds[i + 1];
}

int latency_hist__bucket_of(double s)
{
	int i;

	bounds_init();
	if (!(s >= LATENCY_HIST_MIN_S)) /* also NaN */
		return 0;
	if (s >= bounds[NB - 1])
		return NB - 1;
	i = 1 + (int)floor(log(s / LATENCY_HIST_MIN_S) / log(LATENCY_HIST_STEP));
	if (i < 1)
		i = 1;
	if (i > NB - 1)
		i = NB - 1;
	/* Rounding at the bounds: make sure bounds[i] <= s < bounds[i + 1]. */
	while (i > 1 && s < bounds[i])
		i--;
	while (i < NB - 1 && s >= bounds[i + 1])
		i++;
	return i;
}

/* The value reported for bucket i: its geometric middle. */
static double bucket_mid(int i)
{
	bounds_init();
	if (i == 0)
		return LATENCY_HIST_MIN_S / sqrt(LATENCY_HIST_STEP);
	if (i == NB - 1)
		return INFINITY; /* clamped to the exact max by the caller */
	return bounds[i] * sqrt(LATENCY_HIST_STEP);
}

int latency_hist__rank_bucket(const uint64_t *h, uint64_t n, double q)
{
	uint64_t rank, cum = 0;
	int i;

	if (!n)
		return -1;
	rank = (uint64_t)ceil(q * (double)n - 1e-9);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	for (i = 0; i < NB; i++) {
		cum += h[i];
		if (cum >= rank)
			return i;
	}
	return NB - 1;
}

size_t latency_hist__encode(const uint64_t *h, unsigned char *out)
{
	size_t n = 0;
	int i;

	for (i = 0; i < NB; i++) {
		uint64_t v = h[i];

		if (!v)
			continue;
		out[n++] = (unsigned char)i;
		while (v >= 0x80) {
			out[n++] = (unsigned char)(v | 0x80);
			v >>= 7;
		}
		out[n++] = (unsigned char)v;
	}
	return n;
}

int latency_hist__decode_add(uint64_t *h, const unsigned char *b, size_t len)
{
	size_t p = 0;

	while (p < len) {
		unsigned int i = b[p++];
		uint64_t v = 0;
		int shift = 0;

		if (i >= NB)
			return -EINVAL;
		for (;;) {
			if (p >= len || shift > 63)
				return -EINVAL;
			v |= (uint64_t)(b[p] & 0x7f) << shift;
			shift += 7;
			if (!(b[p++] & 0x80))
				break;
		}
		h[i] += v;
	}
	return 0;
}

void latency_hist__init(struct latency_hist *s)
{
	memset(s, 0, sizeof(*s));
	s->min = INFINITY;
	s->max = -INFINITY;
}

void latency_hist__add(struct latency_hist *s, double latency_s)
{
	s->n++;
	s->sum += latency_s;
	s->min = fmin(s->min, latency_s);
	s->max = fmax(s->max, latency_s);
	s->buckets[latency_hist__bucket_of(latency_s)]++;
}

void latency_hist__merge(struct latency_hist *d, const struct latency_hist *s)
{
	int i;

	d->n += s->n;
	d->sum += s->sum;
	d->min = fmin(d->min, s->min);
	d->max = fmax(d->max, s->max);
	for (i = 0; i < NB; i++)
		d->buckets[i] += s->buckets[i];
}

double latency_hist__quantile(const struct latency_hist *s, double q)
{
	uint64_t n = 0;
	double v;
	int i;

	for (i = 0; i < NB; i++)
		n += s->buckets[i];
	i = latency_hist__rank_bucket(s->buckets, n, q);
	if (i < 0)
		return NAN;
	v = bucket_mid(i);
	if (isfinite(s->min) && v < s->min)
		v = s->min;
	if (isfinite(s->max) && v > s->max)
		v = s->max;
	return v;
}
