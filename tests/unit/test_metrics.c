// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* test_metrics.c - unit tests of the metrics registry, its text format, and warden's families. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jail.h"
#include "metrics.h"
#include "testutil.h"
#include "warden_metrics.h"

#define PROMTOOL "/usr/bin/promtool"
#define L(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* Occurrences of needle in haystack. */
static int count_of(const char *haystack, const char *needle)
{
	size_t n = strlen(needle);
	int count = 0;

	for (const char *p = haystack; (p = strstr(p, needle)); p += n)
		count++;
	return count;
}

/* Whether text holds line as a whole line. */
static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)); p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

/* Every sample line ("name{labels} value") appears once: no two series render alike. */
static bool samples_unique(const char *text)
{
	char *copy = strdup(text), *save = NULL, *line;
	char **seen = calloc(100000, sizeof(*seen));
	size_t n = 0, i;
	bool ok = true;

	for (line = strtok_r(copy, "\n", &save); line && ok; line = strtok_r(NULL, "\n", &save)) {
		char *space;

		if (line[0] == '#')
			continue;
		space = strrchr(line, ' ');
		if (space)
			*space = '\0';
		for (i = 0; i < n; i++)
			if (!strcmp(seen[i], line)) {
				printf("  duplicate series: %s\n", line);
				ok = false;
			}
		if (n < 100000)
			seen[n++] = line;
	}
	free(seen);
	free(copy);
	return ok;
}

/*
 * Run promtool check metrics on text: 1 when it parses and lints clean,
 * 0 when not (its complaint printed), -1 when promtool is not installed.
 */
static int promtool_check(const char *text, size_t len)
{
	char in[] = "/tmp/warden-metrics-XXXXXX", cmd[256], out[4096];
	FILE *p;
	size_t got;
	int fd, status;

	if (access(PROMTOOL, X_OK))
		return -1;
	fd = mkstemp(in);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	close(fd);
	snprintf(cmd, sizeof(cmd), PROMTOOL " check metrics < %s 2>&1", in);
	p = popen(cmd, "r");
	got = p ? fread(out, 1, sizeof(out) - 1, p) : 0;
	out[got] = '\0';
	status = p ? pclose(p) : -1;
	unlink(in);
	if (status != 0 || got) {
		printf("  promtool (status %d): %s\n", status, out);
		return 0;
	}
	return 1;
}

static void check_promtool(const char *text, size_t len, const char *name)
{
	int r = promtool_check(text, len);

	if (r < 0)
		SKIP_TEST(name, PROMTOOL " is not installed (Debian's prometheus package)");
	else
		ASSERT_EQ(r, 1, name);
}

static void test_render_basics(void)
{
	struct metrics *m = metrics__new("t_");
	struct metric_family *c, *g, *x;
	char *text;
	size_t len;
	double v;

	if (!ASSERT_NOT_NULL(m, "new"))
		return;
	c = metrics__counter(m, "t_things_total", "Things, counted.", NULL);
	g = metrics__gauge(m, "t_level", "A level with \\ and\na newline.", L("where", "what"));
	x = metrics__counter(m, "t_empty_total", "Never touched.", L("k"));
	ASSERT_NOT_NULL(c, "counter");
	ASSERT_NOT_NULL(g, "gauge");
	ASSERT_NOT_NULL(x, "empty");
	ASSERT_OK(metrics__add(c, NULL, 2), "add");
	ASSERT_OK(metrics__add(c, NULL, 0.5), "add more");
	ASSERT_OK(metrics__set(g, L("a", "b"), 7), "set");
	ASSERT_OK(metrics__set(g, L("a", "c"), -1.25), "set other");
	ASSERT_OK(metrics__add(g, L("a", "b"), -2), "gauge down");
	ASSERT_EQ(metrics__add(c, NULL, -1), -EINVAL, "counters only grow");
	ASSERT_EQ(metrics__observe(c, NULL, 1), -EINVAL, "observe a counter");
	ASSERT_OK(metrics__get(g, L("a", "b"), &v), "get");
	ASSERT_TRUE(v == 5, "gauge value");
	ASSERT_EQ(metrics__get(g, L("x", "y"), &v), -ENOENT, "no such series");

	text = metrics__render(m, &len);
	if (!ASSERT_NOT_NULL(text, "render"))
		goto out;
	ASSERT_EQ(len, strlen(text), "length");
	ASSERT_TRUE(has_line(text, "# HELP t_things_total Things, counted."), "help");
	ASSERT_TRUE(has_line(text, "# TYPE t_things_total counter"), "type");
	ASSERT_TRUE(has_line(text, "t_things_total 2.5"), "counter value");
	ASSERT_TRUE(has_line(text, "# HELP t_level A level with \\\\ and\\na newline."),
		    "help escaped");
	ASSERT_TRUE(has_line(text, "# TYPE t_level gauge"), "gauge type");
	ASSERT_TRUE(has_line(text, "t_level{where=\"a\",what=\"b\"} 5"), "gauge series");
	ASSERT_TRUE(has_line(text, "t_level{where=\"a\",what=\"c\"} -1.25"), "gauge series 2");
	ASSERT_EQ(count_of(text, "# HELP t_level "), 1, "HELP once per family");
	ASSERT_EQ(count_of(text, "# TYPE t_level "), 1, "TYPE once per family");
	ASSERT_EQ(count_of(text, "t_empty_total"), 0, "a family without series is left out");
	ASSERT_EQ(count_of(text, "folded"), 0, "nothing folded, no folded family");
	check_promtool(text, len, "promtool basics");
	free(text);
out:
	metrics__free(m);
}

/* A label value at the address of an earlier one but with other text is another series (the memo checks content). */
static void test_same_address(void)
{
	struct metrics *m = metrics__new(NULL);
	struct metric_family *c;
	char buf[16];
	double v;
	int i;

	if (!ASSERT_NOT_NULL(m, "new"))
		return;
	c = metrics__counter(m, "reuse_total", "Reused buffers.", L("route", "kind"));
	if (!ASSERT_NOT_NULL(c, "counter"))
		goto out;
	for (i = 0; i < 30; i++) {
		snprintf(buf, sizeof(buf), "/r%d", i % 3);
		ASSERT_OK(metrics__add(c, L(buf, "fixed"), 1), "add");
	}
	for (i = 0; i < 3; i++) {
		snprintf(buf, sizeof(buf), "/r%d", i);
		ASSERT_OK(metrics__get(c, L(buf, "fixed"), &v), buf);
		ASSERT_TRUE(v == 10, "each text counted apart");
	}
	snprintf(buf, sizeof(buf), "/bad\xff");
	ASSERT_OK(metrics__add(c, L(buf, "fixed"), 1), "invalid UTF-8");
	ASSERT_OK(metrics__add(c, L(buf, "fixed"), 1), "invalid UTF-8 again");
	ASSERT_OK(metrics__get(c, L("/bad\xef\xbf\xbd", "fixed"), &v), "cleaned series");
	ASSERT_TRUE(v == 2, "cleaned value counted once per add");
out:
	metrics__free(m);
}

static void test_bad_names(void)
{
	static const double b[] = { 1, 2 }, bad_b[] = { 2, 1 };
	struct metrics *m = metrics__new("t_");

	if (!ASSERT_NOT_NULL(m, "new"))
		return;
	errno = 0;
	ASSERT_TRUE(!metrics__counter(m, "1abc_total", "", NULL) && errno == EINVAL, "leading digit");
	ASSERT_TRUE(!metrics__counter(m, "a-b_total", "", NULL), "dash");
	ASSERT_TRUE(!metrics__counter(m, "", "", NULL), "empty");
	ASSERT_TRUE(!metrics__counter(m, "x_total", "", L("__reserved")), "reserved label");
	ASSERT_TRUE(!metrics__counter(m, "y_total", "", L("a:b")), "colon in label");
	ASSERT_TRUE(!metrics__histogram(m, "h", "", L("le"), b, 2), "le label on a histogram");
	ASSERT_TRUE(!metrics__histogram(m, "h2", "", NULL, bad_b, 2), "bounds not increasing");
	ASSERT_TRUE(!metrics__histogram(m, "h3", "", NULL, NULL, 0), "no bounds");
	ASSERT_TRUE(!metrics__counter(m, "z_total", "", L("a", "b", "c", "d", "e")), "too many labels");
	ASSERT_NOT_NULL(metrics__counter(m, "ns:ok_total", "", L("a")), "colon in a name");
	errno = 0;
	ASSERT_TRUE(!metrics__gauge(m, "ns:ok_total", "", NULL) && errno == EEXIST, "duplicate");
	ASSERT_TRUE(!metrics__new("bad-prefix"), "bad prefix");
	metrics__free(m);
	metrics__free(NULL);
}

static void test_hostile_labels(void)
{
	static const char *const hostile[] = {
		"/a\"b",            /* quote */
		"/back\\slash",     /* backslash */
		"/new\nline",       /* newline */
		"/x\"}\n evil 1",   /* an attempt to end the series and start another */
		"/bad\xff\xfeutf8", /* invalid UTF-8 */
		"/bad\xfe\xffutf8", /* the same after cleaning: must be one series */
		"/over\xc0\xaflong", /* overlong '/' */
		"/surrogate\xed\xa0\x80",
		"/fine/\xc3\xa9t\xc3\xa9", /* valid UTF-8 stays */
		"",
	};
	struct metrics *m = metrics__new("t_");
	struct metric_family *f;
	char long_value[701], *text;
	size_t len, i;
	double v;

	if (!ASSERT_NOT_NULL(m, "new"))
		return;
	f = metrics__counter(m, "t_requests_total", "Requests.", L("route", "method"));
	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++)
		ASSERT_OK(metrics__add(f, L(hostile[i], "GET"), 1), hostile[i]);
	/* A value of 350 two-byte characters is cut at 256 bytes, on a character boundary. */
	for (i = 0; i < 350; i++)
		memcpy(long_value + 2 * i, "\xc3\xa9", 2);
	long_value[700] = '\0';
	ASSERT_OK(metrics__add(f, L(long_value, "GET"), 1), "long value");
	ASSERT_OK(metrics__add(f, L(NULL, "GET"), 1), "NULL value is empty");

	text = metrics__render(m, &len);
	if (!ASSERT_NOT_NULL(text, "render"))
		goto out;
	ASSERT_TRUE(has_line(text, "t_requests_total{route=\"/a\\\"b\",method=\"GET\"} 1"), "quote");
	ASSERT_TRUE(has_line(text, "t_requests_total{route=\"/back\\\\slash\",method=\"GET\"} 1"),
		    "backslash");
	ASSERT_TRUE(has_line(text, "t_requests_total{route=\"/new\\nline\",method=\"GET\"} 1"),
		    "newline");
	ASSERT_TRUE(has_line(text, "t_requests_total{route=\"/x\\\"}\\n evil 1\",method=\"GET\"} 1"),
		    "injection stays inside the value");
	ASSERT_FALSE(has_line(text, " evil 1"), "no injected line");
	ASSERT_TRUE(has_line(text, "t_requests_total{route=\"/bad\xef\xbf\xbd\xef\xbf\xbdutf8\","
				   "method=\"GET\"} 2"),
		    "invalid UTF-8 replaced, both spellings one series");
	ASSERT_TRUE(strstr(text, "/over\xef\xbf\xbd\xef\xbf\xbdlong") != NULL, "overlong replaced");
	ASSERT_TRUE(strstr(text, "/surrogate\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd") != NULL,
		    "surrogate replaced");
	ASSERT_TRUE(strstr(text, "/fine/\xc3\xa9t\xc3\xa9\"") != NULL, "valid UTF-8 kept");
	ASSERT_TRUE(has_line(text, "t_requests_total{route=\"\",method=\"GET\"} 2"),
		    "empty and NULL are the same value");
	{
		char expect[300] = "route=\"";

		memcpy(expect + 7, long_value, 256);
		strcpy(expect + 7 + 256, "\",");
		ASSERT_TRUE(strstr(text, expect) != NULL, "long value cut at 256 bytes");
	}
	ASSERT_OK(metrics__get(f, L("/bad\xfe\xfeutf8", "GET"), &v), "get cleans too");
	ASSERT_TRUE(v == 2, "get value");
	ASSERT_TRUE(samples_unique(text), "no duplicate series");
	check_promtool(text, len, "promtool hostile labels");
	free(text);
out:
	metrics__free(m);
}

static void test_utf8_clean(void)
{
	char *s;

	s = metrics__utf8_clean("ok \xe2\x82\xac", 100);
	ASSERT_STREQ(s, "ok \xe2\x82\xac", "valid kept");
	free(s);
	s = metrics__utf8_clean("ab\xe2\x82\xac", 4);
	ASSERT_STREQ(s, "ab", "cut before a character that does not fit");
	free(s);
	s = metrics__utf8_clean("\xf4\x90\x80\x80", 100);
	ASSERT_STREQ(s, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", "beyond U+10FFFF");
	free(s);
	s = metrics__utf8_clean("\xe2\x82", 100);
	ASSERT_STREQ(s, "\xef\xbf\xbd\xef\xbf\xbd", "truncated sequence");
	free(s);
	s = metrics__utf8_clean(NULL, 10);
	ASSERT_STREQ(s, "", "NULL is empty");
	free(s);
}

static void test_histogram(void)
{
	static const double bounds[] = { 0.005, 0.01, 0.025, 1 };
	static const uint64_t counts[] = { 1, 0, 3, 0, 2 };
	struct metrics *m = metrics__new(NULL);
	struct metric_family *h;
	char *text;
	size_t len;
	double v;

	if (!ASSERT_NOT_NULL(m, "new"))
		return;
	h = metrics__histogram(m, "t_duration_seconds", "Durations.", L("route"), bounds, 4);
	if (!ASSERT_NOT_NULL(h, "histogram"))
		goto out;
	ASSERT_OK(metrics__observe(h, L("/a"), 0.001), "observe");
	ASSERT_OK(metrics__observe(h, L("/a"), 0.005), "on a bound: le is inclusive");
	ASSERT_OK(metrics__observe(h, L("/a"), 0.02), "observe");
	ASSERT_OK(metrics__observe(h, L("/a"), 0.02), "observe");
	ASSERT_OK(metrics__observe(h, L("/a"), 7), "observe above every bound");
	ASSERT_EQ(metrics__observe(h, L("/a"), NAN), -EINVAL, "NaN refused");
	ASSERT_OK(metrics__set_histogram(h, L("/b"), counts, 5, 12.5), "set whole");
	ASSERT_EQ(metrics__set_histogram(h, L("/b"), counts, 4, 1), -EINVAL, "wrong size");
	ASSERT_EQ(metrics__set(h, L("/b"), 1), -EINVAL, "set on a histogram");
	ASSERT_OK(metrics__get(h, L("/a"), &v), "get count");
	ASSERT_TRUE(v == 5, "count");

	text = metrics__render(m, &len);
	if (!ASSERT_NOT_NULL(text, "render"))
		goto out;
	ASSERT_TRUE(has_line(text, "# TYPE t_duration_seconds histogram"), "type");
	ASSERT_TRUE(has_line(text, "t_duration_seconds_bucket{route=\"/a\",le=\"0.005\"} 2"), "b1");
	ASSERT_TRUE(has_line(text, "t_duration_seconds_bucket{route=\"/a\",le=\"0.01\"} 2"), "b2");
	ASSERT_TRUE(has_line(text, "t_duration_seconds_bucket{route=\"/a\",le=\"0.025\"} 4"), "b3");
	ASSERT_TRUE(has_line(text, "t_duration_seconds_bucket{route=\"/a\",le=\"1\"} 4"), "b4");
	ASSERT_TRUE(has_line(text, "t_duration_seconds_bucket{route=\"/a\",le=\"+Inf\"} 5"), "inf");
	ASSERT_TRUE(has_line(text, "t_duration_seconds_count{route=\"/a\"} 5"), "count line");
	ASSERT_TRUE(has_line(text, "t_duration_seconds_sum{route=\"/a\"} 7.046"), "sum");
	ASSERT_TRUE(has_line(text, "t_duration_seconds_bucket{route=\"/b\",le=\"0.005\"} 1"), "set b1");
	ASSERT_TRUE(has_line(text, "t_duration_seconds_bucket{route=\"/b\",le=\"0.025\"} 4"), "set b3");
	ASSERT_TRUE(has_line(text, "t_duration_seconds_bucket{route=\"/b\",le=\"+Inf\"} 6"), "set inf");
	ASSERT_TRUE(has_line(text, "t_duration_seconds_sum{route=\"/b\"} 12.5"), "set sum");
	ASSERT_TRUE(has_line(text, "t_duration_seconds_count{route=\"/b\"} 6"), "set count");
	ASSERT_EQ(count_of(text, "# HELP"), 1, "one family");
	check_promtool(text, len, "promtool histogram");
	free(text);
out:
	metrics__free(m);
}

static void test_cardinality_cap(void)
{
	struct metrics *m = metrics__new("t_");
	struct metric_family *f;
	char route[32], *text;
	size_t len;
	double v;
	int i;

	if (!ASSERT_NOT_NULL(m, "new"))
		return;
	f = metrics__counter(m, "t_hits_total", "Hits.", L("route", "method"));
	metrics__set_max_series(f, 10);
	for (i = 0; i < 25; i++) {
		snprintf(route, sizeof(route), "/r%d", i);
		ASSERT_OK(metrics__add(f, L(route, "GET"), 1), "add");
	}
	/* Series already there keep counting. */
	ASSERT_OK(metrics__add(f, L("/r3", "GET"), 1), "existing series");
	ASSERT_EQ(metrics__series(f), 11, "10 series and other");
	ASSERT_EQ(metrics__folded(f), 15, "15 updates folded");
	ASSERT_OK(metrics__get(f, L(METRICS_OTHER, METRICS_OTHER), &v), "other");
	ASSERT_TRUE(v == 15, "other counts the folded updates");
	ASSERT_OK(metrics__get(f, L("/r3", "GET"), &v), "r3");
	ASSERT_TRUE(v == 2, "r3 kept");

	/* A family that is not full is untouched, a big one holds its default cap. */
	{
		struct metric_family *big = metrics__gauge(m, "t_big", "Big.", L("k"));

		for (i = 0; i < METRICS_DEFAULT_MAX_SERIES + 500; i++) {
			snprintf(route, sizeof(route), "k%d", i);
			metrics__set(big, L(route), i);
		}
		ASSERT_EQ(metrics__series(big), METRICS_DEFAULT_MAX_SERIES + 1, "default cap");
		ASSERT_EQ(metrics__folded(big), 500, "default cap folded");
	}
	text = metrics__render(m, &len);
	if (!ASSERT_NOT_NULL(text, "render"))
		goto out;
	ASSERT_TRUE(has_line(text, "t_hits_total{route=\"other\",method=\"other\"} 15"), "other line");
	ASSERT_TRUE(has_line(text, "# TYPE t_metrics_series_folded_total counter"), "folded family");
	ASSERT_TRUE(has_line(text, "t_metrics_series_folded_total{family=\"t_hits_total\"} 15"),
		    "folded count");
	ASSERT_TRUE(has_line(text, "t_metrics_series_folded_total{family=\"t_big\"} 500"),
		    "folded count big");
	ASSERT_FALSE(strstr(text, "/r24") != NULL, "folded routes are not shown");
	ASSERT_TRUE(samples_unique(text), "no duplicate series");
	check_promtool(text, len, "promtool cap");
	free(text);
out:
	metrics__free(m);
}

/* A synthetic line event. */
static struct line_event event(enum line_kind kind, enum failure_kind failure, const char *method,
			       int status, const char *rule, enum route_verdict verdict, bool http)
{
	struct line_event ev = {
		.kind = kind, .failure = failure, .rule = rule, .verdict = verdict,
		.access = { .status = status, .http = http },
	};

	snprintf(ev.access.method, sizeof(ev.access.method), "%s", method ? method : "");
	return ev;
}

static void test_warden_layer(void)
{
	struct warden_metrics *wm = wmetrics__new();
	struct line_event ev;
	uint64_t buckets[WMETRICS_PORT_BUCKETS] = { 0 };
	char *text;
	size_t len;
	int i;

	if (!ASSERT_NOT_NULL(wm, "new"))
		return;
	text = wmetrics__render(wm, &len);
	if (!ASSERT_NOT_NULL(text, "render at zero"))
		goto out;
	/* Everything with a bounded label set is there from the start. */
	ASSERT_TRUE(has_line(text, "warden_child_up 0"), "child_up at 0");
	ASSERT_TRUE(has_line(text, "warden_child_restarts_total 0"), "restarts at 0");
	ASSERT_TRUE(has_line(text, "warden_hangs_total 0"), "hangs at 0");
	ASSERT_TRUE(has_line(text, "warden_failures_total{kind=\"unknown_url\"} 0"), "failures at 0");
	ASSERT_TRUE(has_line(text, "warden_log_lines_total{result=\"not_access\"} 0"), "lines at 0");
	ASSERT_TRUE(has_line(text, "warden_xdp_packets_total{verdict=\"dropped_prefix\"} 0"), "xdp 0");
	ASSERT_TRUE(has_line(text, "warden_watcher_backend{backend=\"none\"} 1"), "no watcher");
	ASSERT_TRUE(has_line(text, "warden_bans_active{kind=\"exact4\"} 0"), "bans active 0");
	ASSERT_TRUE(has_line(text, "warden_analytics_pairing_total{outcome=\"line_overflow\"} 0"),
		    "pairing at 0");
	ASSERT_TRUE(strstr(text, "warden_build_info{version=\"") != NULL, "build info");
	check_promtool(text, len, "promtool warden at zero");
	free(text);

	/* Requests the app knows, by rule. */
	for (i = 0; i < 3; i++) {
		ev = event(LINE_REQUEST, FAIL_NONE, "GET", 200, "/items/<int:item_id>", ROUTE_MATCH, true);
		wmetrics__line(wm, &ev);
	}
	ev = event(LINE_REQUEST, FAIL_NONE, "POST", 503, "/items/<int:item_id>", ROUTE_MATCH, true);
	wmetrics__line(wm, &ev);
	ev = event(LINE_REQUEST, FAIL_NONE, "GET", 308, "/items/", ROUTE_REDIRECT, true);
	wmetrics__line(wm, &ev);
	/* Failures: an unknown URL, a bad method, a status, not HTTP, malformed. */
	ev = event(LINE_FAILURE, FAIL_UNKNOWN_URL, "GET", 404, NULL, ROUTE_UNKNOWN, true);
	wmetrics__line(wm, &ev);
	ev = event(LINE_FAILURE, FAIL_METHOD, "DELETE", 405, "/items/", ROUTE_METHOD, true);
	wmetrics__line(wm, &ev);
	ev = event(LINE_FAILURE, FAIL_STATUS, "GET", 401, "/admin", ROUTE_MATCH, true);
	wmetrics__line(wm, &ev);
	ev = event(LINE_FAILURE, FAIL_NOT_HTTP, "", 400, NULL, ROUTE_UNKNOWN, false);
	wmetrics__line(wm, &ev);
	ev = event(LINE_BAN, FAIL_MALFORMED, "", 0, NULL, ROUTE_UNKNOWN, true);
	wmetrics__line(wm, &ev);
	/* A made-up method is "other": the label set stays bounded. */
	ev = event(LINE_FAILURE, FAIL_UNKNOWN_URL, "XYZZY", 404, NULL, ROUTE_UNKNOWN, true);
	wmetrics__line(wm, &ev);
	ev = event(LINE_NOT_ACCESS, FAIL_NONE, "", 0, NULL, ROUTE_UNKNOWN, false);
	wmetrics__line(wm, &ev);
	wmetrics__line(wm, &ev);
	wmetrics__line(wm, NULL);
	wmetrics__ban(wm, "cli");

	wmetrics__set_child(wm, true, 3, 1);
	wmetrics__set_bans(wm, &(struct banmap_sizes){ .exact4 = 5, .exact6 = 1, .prefix4 = 2,
						       .prefix6 = 0, .allow = 4 });
	wmetrics__set_xdp(wm, &(struct xdp_counters){ .passed = 1000, .dropped_exact = 17,
						      .dropped_prefix = 3, .non_ip = 9 });
	wmetrics__set_watcher(wm, "tracepoint", 2);
	wmetrics__set_pairing(wm, 90, 7, 3, 5, 1);
	wmetrics__observe_latency(wm, "/items/<int:item_id>", 0.003);
	wmetrics__observe_latency(wm, "/items/<int:item_id>", 0.2);
	wmetrics__observe_latency(wm, NULL, 30);
	buckets[0] = 1;  /* < 2 us */
	buckets[9] = 4;  /* [512, 1024) us */
	buckets[31] = 1; /* open-ended */
	wmetrics__set_port_histogram(wm, 5000, buckets, WMETRICS_PORT_BUCKETS, 3000000);
	wmetrics__set_port_histogram(wm, 5001, buckets, 3, 0); /* wrong shape: ignored */

	text = wmetrics__render(wm, &len);
	if (!ASSERT_NOT_NULL(text, "render"))
		goto out;
	ASSERT_TRUE(has_line(text, "warden_http_requests_total{route=\"/items/<int:item_id>\","
				   "method=\"GET\",status_class=\"2xx\"} 3"),
		    "requests by rule");
	ASSERT_TRUE(has_line(text, "warden_http_requests_total{route=\"/items/<int:item_id>\","
				   "method=\"POST\",status_class=\"5xx\"} 1"),
		    "5xx");
	ASSERT_TRUE(has_line(text, "warden_http_requests_total{route=\"/items/\",method=\"GET\","
				   "status_class=\"3xx\"} 1"),
		    "redirect keeps its rule");
	ASSERT_TRUE(has_line(text, "warden_http_requests_total{route=\"unknown\",method=\"GET\","
				   "status_class=\"4xx\"} 1"),
		    "unknown URL is the unknown route");
	ASSERT_TRUE(has_line(text, "warden_http_requests_total{route=\"/items/\",method=\"DELETE\","
				   "status_class=\"4xx\"} 1"),
		    "bad method keeps the rule");
	ASSERT_TRUE(has_line(text, "warden_http_requests_total{route=\"unknown\",method=\"other\","
				   "status_class=\"4xx\"} 2"),
		    "not HTTP and a made-up method are other");
	ASSERT_TRUE(has_line(text, "warden_http_requests_total{route=\"unknown\",method=\"other\","
				   "status_class=\"other\"} 1"),
		    "malformed: no status");
	ASSERT_TRUE(has_line(text, "warden_log_lines_total{result=\"request\"} 5"), "lines request");
	ASSERT_TRUE(has_line(text, "warden_analytics_pairing_total{outcome=\"paired\"} 90"), "paired");
	ASSERT_TRUE(has_line(text, "warden_analytics_pairing_total{outcome=\"line_overflow\"} 3"),
		    "lines pushed out of the ring");
	ASSERT_TRUE(has_line(text, "warden_analytics_pairing_total{outcome=\"latency_overflow\"} 1"),
		    "latencies pushed out of the ring");
	ASSERT_TRUE(has_line(text, "warden_log_lines_total{result=\"failure\"} 5"), "lines failure");
	ASSERT_TRUE(has_line(text, "warden_log_lines_total{result=\"ban\"} 1"), "lines ban");
	ASSERT_TRUE(has_line(text, "warden_log_lines_total{result=\"not_access\"} 2"), "lines other");
	ASSERT_TRUE(has_line(text, "warden_failures_total{kind=\"unknown_url\"} 2"), "fail url");
	ASSERT_TRUE(has_line(text, "warden_failures_total{kind=\"bad_method\"} 1"), "fail method");
	ASSERT_TRUE(has_line(text, "warden_failures_total{kind=\"status\"} 1"), "fail status");
	ASSERT_TRUE(has_line(text, "warden_failures_total{kind=\"not_http\"} 1"), "fail not http");
	ASSERT_TRUE(has_line(text, "warden_failures_total{kind=\"malformed\"} 1"), "fail malformed");
	ASSERT_TRUE(has_line(text, "warden_bans_total{source=\"detector\"} 1"), "ban by detector");
	ASSERT_TRUE(has_line(text, "warden_bans_total{source=\"cli\"} 1"), "ban by cli");
	ASSERT_TRUE(has_line(text, "warden_bans_active{kind=\"exact4\"} 5"), "active exact4");
	ASSERT_TRUE(has_line(text, "warden_bans_active{kind=\"prefix4\"} 2"), "active prefix4");
	ASSERT_TRUE(has_line(text, "warden_allowlist_entries 4"), "allowlist");
	ASSERT_TRUE(has_line(text, "warden_xdp_packets_total{verdict=\"passed\"} 1000"), "xdp pass");
	ASSERT_TRUE(has_line(text, "warden_xdp_packets_total{verdict=\"dropped_exact\"} 17"),
		    "xdp drop");
	ASSERT_TRUE(has_line(text, "warden_child_up 1"), "child up");
	ASSERT_TRUE(has_line(text, "warden_child_restarts_total 3"), "restarts");
	ASSERT_TRUE(has_line(text, "warden_hangs_total 1"), "hangs");
	ASSERT_TRUE(has_line(text, "warden_watcher_backend{backend=\"tracepoint\"} 1"), "backend");
	ASSERT_TRUE(has_line(text, "warden_watcher_backend{backend=\"none\"} 0"), "not none");
	ASSERT_TRUE(has_line(text, "warden_requests_in_flight 2"), "in flight");
	ASSERT_TRUE(has_line(text, "warden_request_duration_seconds_bucket{route=\"/items/<int:item_id>\","
				   "le=\"0.005\"} 1"),
		    "latency bucket");
	ASSERT_TRUE(has_line(text, "warden_request_duration_seconds_count{route=\"unknown\"} 1"),
		    "latency unknown route");
	ASSERT_TRUE(has_line(text, "warden_port_request_duration_seconds_bucket{port=\"5000\","
				   "le=\"2e-06\"} 1"),
		    "port bucket 0 ends at 2 us");
	ASSERT_TRUE(has_line(text, "warden_port_request_duration_seconds_bucket{port=\"5000\","
				   "le=\"0.001024\"} 5"),
		    "port bucket 9 ends at 1024 us, cumulative");
	ASSERT_TRUE(has_line(text, "warden_port_request_duration_seconds_bucket{port=\"5000\","
				   "le=\"+Inf\"} 6"),
		    "open bucket is +Inf");
	ASSERT_TRUE(has_line(text, "warden_port_request_duration_seconds_sum{port=\"5000\"} 0.003"),
		    "port sum in seconds");
	ASSERT_FALSE(strstr(text, "port=\"5001\"") != NULL, "wrong shape ignored");
	ASSERT_EQ(count_of(text, "# TYPE warden_port_request_duration_seconds histogram"), 1,
		  "port type");
	ASSERT_EQ(count_of(text, "_bucket{port=\"5000\""), WMETRICS_PORT_BUCKETS, "32 buckets");
	/* Every family name under warden_, each with HELP and TYPE. */
	{
		char *copy = strdup(text), *save = NULL, *line;
		int helps = 0, types = 0;
		bool prefixed = true;

		for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			if (!strncmp(line, "# HELP ", 7))
				helps++, prefixed &= !strncmp(line + 7, "warden_", 7);
			else if (!strncmp(line, "# TYPE ", 7))
				types++, prefixed &= !strncmp(line + 7, "warden_", 7);
			else
				prefixed &= !strncmp(line, "warden_", 7);
		}
		free(copy);
		ASSERT_TRUE(prefixed, "everything under warden_");
		ASSERT_EQ(helps, types, "HELP and TYPE for each family");
		ASSERT_EQ(helps, 16, "16 families");
	}
	ASSERT_TRUE(samples_unique(text), "no duplicate series");
	check_promtool(text, len, "promtool warden");
	free(text);
out:
	wmetrics__free(wm);
	wmetrics__free(NULL);
}

/*
 * Every verdict of the XDP program (every field of struct xdp_counters,
 * throttling and shedding included) shows in warden_xdp_packets_total,
 * under the name warden stats gives it, with its own count.
 */
static void test_every_xdp_verdict(void)
{
	struct warden_metrics *wm = wmetrics__new();
	struct xdp_counters c;
	char line[160], *text = NULL;
	size_t len, i;

	if (!ASSERT_NOT_NULL(wm, "new"))
		return;
	/* A distinct count in every field, so that a verdict read from the wrong one shows. */
	for (i = 0; i < XDP_VERDICTS; i++)
		((__u64 *)&c)[i] = 1000 + i;
	ASSERT_EQ(XDP_VERDICTS, 12, "12 verdicts");
	ASSERT_EQ(c.dropped_throttle_conn, xdp_counters__get(&c, 7), "throttle conn by index");
	wmetrics__set_xdp(wm, &c);
	text = wmetrics__render(wm, &len);
	if (!ASSERT_NOT_NULL(text, "render"))
		goto out;
	for (i = 0; i < XDP_VERDICTS; i++) {
		snprintf(line, sizeof(line), "warden_xdp_packets_total{verdict=\"%s\"} %zu",
			 xdp_verdicts[i].name, 1000 + i);
		ASSERT_TRUE(has_line(text, line), line);
	}
	ASSERT_TRUE(has_line(text, "warden_xdp_packets_total{verdict=\"dropped_shed\"} 1009"),
		    "shed by name");
	ASSERT_TRUE(has_line(text, "warden_xdp_packets_total{verdict=\"passed_priority\"} 1010"),
		    "priority by name");
	ASSERT_TRUE(samples_unique(text), "no duplicate series");
out:
	free(text);
	wmetrics__free(wm);
}

int main(void)
{
	RUN_TEST(test_render_basics);
	RUN_TEST(test_bad_names);
	RUN_TEST(test_same_address);
	RUN_TEST(test_utf8_clean);
	RUN_TEST(test_hostile_labels);
	RUN_TEST(test_histogram);
	RUN_TEST(test_cardinality_cap);
	RUN_TEST(test_warden_layer);
	RUN_TEST(test_every_xdp_verdict);
	return TEST_EXIT();
}
