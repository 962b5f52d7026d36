// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* hang.c - deciding that the app hangs, and that it is slow, from what the watcher sees. */
#include <stdio.h>

#include "hang.h"
#include "timeutil.h"

/* "31.2s": tenths matter when judging a timeout. */
static const char *seconds(uint64_t ns, char *buf, size_t len)
{
	snprintf(buf, len, "%.1fs", ns / 1e9);
	return buf;
}

bool hang__detect(const struct hang_input *in, uint64_t timeout_ns, char *why, size_t len)
{
	char age[32], quiet[32];
	bool stuck_request = in->in_flight && in->oldest_request_ns > timeout_ns;
	bool stuck_queue = in->queued && in->oldest_queued_ns > timeout_ns;
	bool silent;

	/* Answering anything at all in the window means it is alive, if slow. */
	if (in->last_response_ns == HANG_NEVER)
		silent = in->uptime_ns > timeout_ns;
	else
		silent = in->last_response_ns > timeout_ns;
	if (!silent || (!stuck_request && !stuck_queue))
		return false;

	if (in->last_response_ns == HANG_NEVER)
		snprintf(quiet, sizeof(quiet), "never");
	else
		seconds(in->last_response_ns, quiet, sizeof(quiet));
	if (stuck_request)
		snprintf(why, len,
			 "a request on port %u waits for %s (%u in flight, %u queued), last answer %s%s",
			 in->oldest_port, seconds(in->oldest_request_ns, age, sizeof(age)),
			 in->in_flight, in->queued, quiet,
			 in->last_response_ns == HANG_NEVER ? "" : " ago");
	else
		snprintf(why, len,
			 "a connection waits in the accept queue for %s (%u queued), last answer %s%s",
			 seconds(in->oldest_queued_ns, age, sizeof(age)), in->queued, quiet,
			 in->last_response_ns == HANG_NEVER ? "" : " ago");
	return true;
}

uint64_t hang__window_p99(const uint64_t *now, const uint64_t *before, int n_buckets)
{
	uint64_t total = 0, seen = 0, rank;
	int i;

	for (i = 0; i < n_buckets; i++)
		total += now[i] - before[i];
	if (!total)
		return 0;
	/* The bucket holding the 99th percentile; its upper bound, in ns. */
	rank = (total * 99 + 99) / 100;
	for (i = 0; i < n_buckets; i++) {
		seen += now[i] - before[i];
		if (seen >= rank)
			break;
	}
	if (i >= n_buckets)
		i = n_buckets - 1;
	return (i >= 63 - 10 ? UINT64_MAX / 2 : (2ULL << i) * 1000ULL);
}
