// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* test_jail.c - unit tests of the jail's verdict: the app's own answer overrules static learning. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "jail.h"
#include "routes.h"
#include "testutil.h"
#include "timeutil.h"

static const char app_src[] = "from flask import Flask\n"
			      "app = Flask(__name__)\n"
			      "@app.route('/')\n"
			      "def index():\n    return 'hi'\n"
			      "@app.route('/items/<int:id>', methods=['GET'])\n"
			      "def item(id):\n    return 'x'\n";

/* A jail in dry-run over the routes of app_src, maxretry 3; *rs owned by the caller. */
static struct jail *new_jail(struct routes **rs)
{
	struct warden_config cfg;
	char err[256];
	struct jail *j;

	*rs = routes__load_source("app.py", app_src, sizeof(app_src) - 1, err, sizeof(err));
	if (!*rs)
		return NULL;
	config__defaults(&cfg);
	cfg.jail.maxretry = 3;
	j = jail__new(&cfg, *rs, NULL, err, sizeof(err));
	config__free(&cfg);
	return j;
}

/* One Werkzeug access line of 192.0.2.1. */
static enum line_kind feed(struct jail *j, const char *method, const char *path, int status,
			   uint64_t now, struct line_event *ev)
{
	char line[512];

	snprintf(line, sizeof(line), "192.0.2.1 - - [02/Dec/2026 12:00:00] \"%s %s HTTP/1.1\" %d -",
		 method, path, status);
	return jail__line(j, STREAM_STDERR, line, strlen(line), false, now, ev);
}

static void test_app_served_not_failure(void)
{
	struct routes *rs = NULL;
	struct jail *j = new_jail(&rs);
	struct line_event ev;
	const struct jail_served *v;
	int i;

	if (!ASSERT_NOT_NULL(j, "jail"))
		goto out;
	/* Many requests on a URL learning missed, answered 200 and 302: never a failure. */
	for (i = 0; i < 10; i++) {
		ASSERT_EQ(feed(j, "POST", "/auth/login", 302, NSEC_PER_SEC, &ev), LINE_REQUEST, "login");
		ASSERT_TRUE(ev.app_served, "login served");
		ASSERT_EQ(ev.failure, FAIL_NONE, "login no failure");
		ASSERT_EQ(feed(j, "GET", "/topic/17?page=2", 200, NSEC_PER_SEC, &ev), LINE_REQUEST,
			  "topic");
	}
	/* A method learning missed, served by the app. */
	ASSERT_EQ(feed(j, "DELETE", "/items/3", 204, NSEC_PER_SEC, &ev), LINE_REQUEST, "delete");
	ASSERT_TRUE(ev.app_served, "delete served");
	ASSERT_STREQ(ev.served_path, "/items/<int>", "delete shape");
	ASSERT_EQ(jail__stats(j)->app_served, 21, "served count");
	ASSERT_EQ(jail__stats(j)->bans, 0, "no ban");
	ASSERT_EQ(jail__served(j, &v), 3, "three shapes");
	ASSERT_STREQ(v[0].path, "/auth/login", "first shape");
	ASSERT_EQ(v[0].count, 10, "first count");
	ASSERT_STREQ(v[0].method, "POST", "first method");
	ASSERT_EQ(v[0].status, 302, "first status");
	ASSERT_STREQ(v[1].path, "/topic/<int>", "second shape");
	ASSERT_EQ(v[1].count, 10, "second count");
out:
	jail__free(j);
	routes__free(rs);
}

static void test_refusals_stay_failures(void)
{
	struct routes *rs = NULL;
	struct jail *j = new_jail(&rs);
	struct line_event ev;

	if (!ASSERT_NOT_NULL(j, "jail"))
		goto out;
	ASSERT_EQ(feed(j, "GET", "/wp-login.php", 404, NSEC_PER_SEC, &ev), LINE_FAILURE, "404");
	ASSERT_EQ(ev.failure, FAIL_UNKNOWN_URL, "404 kind");
	ASSERT_FALSE(ev.app_served, "404 not served");
	ASSERT_EQ(feed(j, "POST", "/items/3", 405, NSEC_PER_SEC, &ev), LINE_FAILURE, "405");
	ASSERT_EQ(ev.failure, FAIL_METHOD, "405 kind");
	ASSERT_EQ(feed(j, "GET", "/.env", 400, NSEC_PER_SEC, &ev), LINE_BAN, "400, third: ban");
	ASSERT_EQ(jail__stats(j)->app_served, 0, "nothing served");
	/* A known route answering 404 is the app's business, as before. */
	ASSERT_EQ(feed(j, "GET", "/items/99", 404, NSEC_PER_SEC, &ev), LINE_REQUEST, "known 404");
	ASSERT_FALSE(ev.app_served, "known route is not app_served");
out:
	jail__free(j);
	routes__free(rs);
}

/* Memory stays bounded: past JAIL_SERVED_MAX shapes, only a count. */
static void test_served_table_bounded(void)
{
	struct routes *rs = NULL;
	struct jail *j = new_jail(&rs);
	const struct jail_served *v;
	struct line_event ev;
	char path[64];
	int i;

	if (!ASSERT_NOT_NULL(j, "jail"))
		goto out;
	for (i = 0; i < JAIL_SERVED_MAX + 10; i++) {
		snprintf(path, sizeof(path), "/page-%d", i);
		feed(j, "GET", path, 200, NSEC_PER_SEC, &ev);
	}
	ASSERT_EQ(jail__served(j, &v), JAIL_SERVED_MAX, "table full");
	ASSERT_EQ(jail__stats(j)->app_served_other, 10, "others counted");
	ASSERT_TRUE(ev.app_served && !ev.served_path, "last one is other");
out:
	jail__free(j);
	routes__free(rs);
}

static void test_shape(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "/topic/17/edit?x=1", "/topic/<int>/edit" },
		{ "/a/1.5", "/a/<float>" },
		{ "/u/123e4567-e89b-12d3-a456-426614174000/", "/u/<uuid>/" },
		{ "/t/0123456789abcdef0123", "/t/<hex>" },
		{ "http://example.org/x/9#f", "/x/<int>" },
		{ "/bad\"q\\", "/bad?q?" },
		{ "/v1.0/tasks", "/v1.0/tasks" },
	};
	char out[128];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		routes__shape(cases[i].in, strlen(cases[i].in), out, sizeof(out));
		ASSERT_STREQ(out, cases[i].out, cases[i].in);
	}
	/* Truncated, NUL-terminated. */
	routes__shape("/abcdefgh", 9, out, 5);
	ASSERT_STREQ(out, "/abc", "truncated");
}

int main(void)
{
	RUN_TEST(test_app_served_not_failure);
	RUN_TEST(test_refusals_stay_failures);
	RUN_TEST(test_served_table_bounded);
	RUN_TEST(test_shape);
	printf("test_jail: %d passed, %d failed\n", tu_cases_passed, tu_cases_failed);
	return TEST_EXIT();
}
