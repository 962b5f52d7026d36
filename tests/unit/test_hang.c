// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* test_hang.c - the hang and slowness decisions, on inputs the test controls. */
#include <string.h>

#include "hang.h"
#include "testutil.h"
#include "timeutil.h"

#define S NSEC_PER_SEC

static void test_healthy(void)
{
	struct hang_input in = { .uptime_ns = 100 * S, .last_response_ns = 1 * S };
	char why[256];

	ASSERT_FALSE(hang__detect(&in, 30 * S, why, sizeof(why)), "idle app answering");
	in.in_flight = 3;
	in.oldest_request_ns = 5 * S;
	ASSERT_FALSE(hang__detect(&in, 30 * S, why, sizeof(why)), "young requests");
}

static void test_stuck_request(void)
{
	struct hang_input in = { .uptime_ns = 100 * S, .in_flight = 2, .oldest_request_ns = 31 * S,
				 .oldest_port = 8080, .last_response_ns = 31 * S };
	char why[256] = "";

	ASSERT_TRUE(hang__detect(&in, 30 * S, why, sizeof(why)), "stuck and silent");
	ASSERT_TRUE(strstr(why, "port 8080") != NULL, "evidence names the port");
	ASSERT_TRUE(strstr(why, "31.0s") != NULL, "evidence gives the age");
	/* Still answering other requests: slow route, not a hang. */
	in.last_response_ns = 2 * S;
	ASSERT_FALSE(hang__detect(&in, 30 * S, why, sizeof(why)), "stuck route, app answers others");
}

static void test_accept_queue(void)
{
	struct hang_input in = { .uptime_ns = 100 * S, .queued = 4, .oldest_queued_ns = 40 * S,
				 .last_response_ns = 45 * S };
	char why[256] = "";

	ASSERT_TRUE(hang__detect(&in, 30 * S, why, sizeof(why)), "queue waits, no answers");
	ASSERT_TRUE(strstr(why, "accept queue") != NULL, "evidence says accept queue");
	in.oldest_queued_ns = 10 * S;
	ASSERT_FALSE(hang__detect(&in, 30 * S, why, sizeof(why)), "queue young");
}

static void test_never_answered(void)
{
	struct hang_input in = { .uptime_ns = 20 * S, .in_flight = 1, .oldest_request_ns = 35 * S,
				 .last_response_ns = HANG_NEVER };
	char why[256] = "";

	/* A request older than the app is impossible, but the app must have run past the timeout. */
	ASSERT_FALSE(hang__detect(&in, 30 * S, why, sizeof(why)), "too young to judge");
	in.uptime_ns = 40 * S;
	ASSERT_TRUE(hang__detect(&in, 30 * S, why, sizeof(why)), "never answered");
	ASSERT_TRUE(strstr(why, "last answer never") != NULL, "says never");
}

static void test_window_p99(void)
{
	uint64_t before[32] = { 0 }, now[32] = { 0 };

	ASSERT_EQ(hang__window_p99(now, before, 32), 0, "empty window");
	/* 99 requests in [1,2) ms (bucket 10: [1024, 2048) us), one in [64, 128) ms. */
	before[10] = 50;
	now[10] = 50 + 99;
	now[16] = 1;
	ASSERT_EQ(hang__window_p99(now, before, 32), 2048ULL * 1000, "p99 in the bulk");
	now[16] = 5;
	ASSERT_EQ(hang__window_p99(now, before, 32), 131072ULL * 1000, "p99 in the slow tail");
}

int main(void)
{
	RUN_TEST(test_healthy);
	RUN_TEST(test_stuck_request);
	RUN_TEST(test_accept_queue);
	RUN_TEST(test_never_answered);
	RUN_TEST(test_window_p99);
	return TEST_EXIT();
}
