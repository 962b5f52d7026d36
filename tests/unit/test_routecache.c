// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* test_routecache.c - the cache of route verdicts answers exactly as routes__match(). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "routecache.h"
#include "routes.h"
#include "testutil.h"

static const char app_a[] = "from flask import Flask\n"
			    "app = Flask(__name__)\n"
			    "@app.route('/')\n"
			    "def index(): return 'x'\n"
			    "@app.route('/items/<int:id>')\n"
			    "def item(id): return 'x'\n"
			    "@app.route('/login', methods=['POST'])\n"
			    "def login(): return 'x'\n"
			    "@app.route('/docs/')\n"
			    "def docs(): return 'x'\n";

/* The same app after a deploy: /login takes GET too, /items is gone. */
static const char app_b[] = "from flask import Flask\n"
			    "app = Flask(__name__)\n"
			    "@app.route('/')\n"
			    "def index(): return 'x'\n"
			    "@app.route('/login', methods=['GET', 'POST'])\n"
			    "def login(): return 'x'\n";

static struct routes *load(const char *src)
{
	char err[256] = "";
	struct routes *r = routes__load_source("app.py", src, strlen(src), err, sizeof(err));

	if (!r)
		printf("  load failed: %s\n", err);
	return r;
}

/* Requests that hit every verdict, repeated, and some that the cache must not take. */
static const char *const requests[][2] = {
	{ "GET", "/" },
	{ "GET", "/items/7" },
	{ "GET", "/items/x" },
	{ "POST", "/items/7" },
	{ "GET", "/login" },
	{ "POST", "/login" },
	{ "post", "/login" },
	{ "POST", "/login?next=/" },
	{ "GET", "/docs" },
	{ "GET", "//items/7" },
	{ "GET", "/wp-login.php" },
	{ "GET", "/%69tems/7" },
	{ "PROPFIND", "/" },
	{ "VERYLONGMETHOD", "/" },
	{ "GET", "/a/very/long/path/that/is/longer/than/the/sixty/four/bytes/a/slot/holds" },
	{ "GET", "/" },
	{ "GET", "/items/7" },
	{ "POST", "/login" },
};

/* Every request, twice, through the cache: verdict and rule as routes__match() says. */
static bool same_as_match(struct routecache *c, const struct routes *r, const char *name)
{
	const char *want_rule, *got_rule;
	enum route_verdict want, got;
	size_t i, pass;
	char what[256];

	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < sizeof(requests) / sizeof(requests[0]); i++) {
			const char *m = requests[i][0], *p = requests[i][1];

			want = routes__match(r, m, p, strlen(p), &want_rule);
			got = routecache__match(c, m, p, strlen(p), &got_rule);
			snprintf(what, sizeof(what), "%s: %s %s", name, m, p);
			if (!ASSERT_EQ(got, want, what) || !ASSERT_TRUE(got_rule == want_rule, what))
				return false;
		}
	}
	return true;
}

static void test_same_verdicts(void)
{
	struct routes *a = load(app_a), *b = load(app_b);
	struct routecache *c = malloc(sizeof(*c));
	const char *rule;

	if (!ASSERT_NOT_NULL(a, "load a") || !ASSERT_NOT_NULL(b, "load b") ||
	    !ASSERT_NOT_NULL(c, "alloc"))
		goto out;
	routecache__reset(c, a);
	if (!same_as_match(c, a, "table a"))
		goto out;
	/* 16 cacheable requests, 3 of them repeated: 3 hits in the first pass, 16 in the second. */
	ASSERT_EQ(c->hits, 19, "repeated requests come from the cache");
	/* Only the first sight of each cacheable request was matched. */
	ASSERT_LE(c->misses, sizeof(requests) / sizeof(requests[0]), "misses");

	/* A new table: nothing of the old one's verdicts is left. */
	routecache__reset(c, b);
	ASSERT_EQ(c->hits, 0, "reset");
	if (!same_as_match(c, b, "table b"))
		goto out;
	ASSERT_EQ(routecache__match(c, "GET", "/login", 6, &rule), ROUTE_MATCH, "GET /login now");

	/* No table: every request is unknown, as routes__match(NULL, ...) says. */
	routecache__reset(c, NULL);
	ASSERT_EQ(routecache__match(c, "GET", "/", 1, &rule), ROUTE_UNKNOWN, "no table");
	ASSERT_TRUE(rule == NULL, "no rule");
	/* Without a method, as routes__match: GET. */
	routecache__reset(c, a);
	ASSERT_EQ(routecache__match(c, NULL, "/", 1, NULL), routes__match(a, NULL, "/", 1, NULL),
		  "NULL method");
out:
	free(c);
	routes__free(a);
	routes__free(b);
}

/* Two requests of one slot take turns: each answer stays its own. */
static void test_collisions(void)
{
	struct routes *a = load(app_a);
	struct routecache *c = malloc(sizeof(*c));
	char path[32];
	size_t i;

	if (!ASSERT_NOT_NULL(a, "load") || !ASSERT_NOT_NULL(c, "alloc"))
		goto out;
	routecache__reset(c, a);
	/* Far more paths than slots: slots are taken over again and again. */
	for (i = 0; i < 4 * ROUTECACHE_SLOTS; i++) {
		snprintf(path, sizeof(path), i % 3 ? "/items/%zu" : "/x%zu", i);
		if (!ASSERT_EQ(routecache__match(c, "GET", path, strlen(path), NULL),
			       routes__match(a, "GET", path, strlen(path), NULL), path))
			break;
		if (!ASSERT_EQ(routecache__match(c, "GET", "/items/1", 8, NULL), ROUTE_MATCH,
			       "a known path between"))
			break;
	}
out:
	free(c);
	routes__free(a);
}

int main(void)
{
	RUN_TEST(test_same_verdicts);
	RUN_TEST(test_collisions);
	printf("%d passed, %d failed\n", tu_cases_passed, tu_cases_failed);
	return TEST_EXIT();
}
