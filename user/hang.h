/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* hang.h - deciding that the app hangs, and that it is slow, from what the watcher sees. */
#ifndef WARDEN_HANG_H
#define WARDEN_HANG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HANG_NEVER UINT64_MAX /* an age for "never happened" */

/* What the watcher saw at one moment. */
struct hang_input {
	uint64_t uptime_ns;          /* how long the app has run */
	uint32_t in_flight;          /* requests read and not answered (exempt routes left out) */
	uint64_t oldest_request_ns;  /* the oldest one's age */
	uint16_t oldest_port;        /* its port */
	uint32_t queued;             /* connections waiting in the accept queue */
	uint64_t oldest_queued_ns;   /* the longest wait there */
	uint64_t last_response_ns;   /* since the app last answered anything; HANG_NEVER if never */
};

/*
 * A hang: a request in flight, or a connection in the accept queue, for
 * longer than timeout, while the app has not answered anything in that
 * time (nor since it started, if it never answered and has run longer than
 * timeout). Returns true with the evidence in why.
 */
bool hang__detect(const struct hang_input *in, uint64_t timeout_ns, char *why, size_t len);

/*
 * Slowness over a window: the p99 of the latencies counted between two
 * snapshots of a log2 histogram (buckets[i] holds [2^i, 2^(i+1)) us).
 * Returns the p99 upper bound in ns (0 when nothing was counted).
 */
uint64_t hang__window_p99(const uint64_t *now, const uint64_t *before, int n_buckets);

#endif
