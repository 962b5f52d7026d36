// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* test_fleet.c - the fleet's URL, messages, rate per origin and config keys, without Redis. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "fleet_msg.h"
#include "testutil.h"

#define NSEC_PER_SEC 1000000000ULL

static void test_url(void)
{
	struct fleet_url u;
	char err[256], buf[256];

	ASSERT_OK(fleet_url__parse("redis://127.0.0.1", &u, err, sizeof(err)), "bare host");
	ASSERT_STREQ(u.host, "127.0.0.1", "host");
	ASSERT_EQ(u.port, 6379, "default port");
	ASSERT_EQ(u.db, 0, "default db");
	ASSERT_STREQ(u.user, "", "no user");
	ASSERT_OK(fleet_url__parse("redis://edge:s3cr@t@redis.example.org:6380/2", &u, err,
				   sizeof(err)), "full");
	ASSERT_STREQ(u.user, "edge", "user");
	ASSERT_STREQ(u.password, "s3cr@t", "password with @ (the last @ ends it)");
	ASSERT_STREQ(u.host, "redis.example.org", "host name");
	ASSERT_EQ(u.port, 6380, "port");
	ASSERT_EQ(u.db, 2, "db");
	ASSERT_OK(fleet_url__parse("redis://fleet@[2001:db8::7]:7000", &u, err, sizeof(err)),
		  "user only, IPv6");
	ASSERT_STREQ(u.user, "fleet", "user only");
	ASSERT_STREQ(u.password, "", "password left to the file");
	ASSERT_STREQ(u.host, "2001:db8::7", "IPv6 host");
	ASSERT_EQ(u.port, 7000, "IPv6 port");
	ASSERT_ERR(fleet_url__parse("rediss://h", &u, err, sizeof(err)), "TLS scheme refused");
	ASSERT_TRUE(strstr(err, "TLS") != NULL, "and the README named");
	ASSERT_ERR(fleet_url__parse("redis://", &u, err, sizeof(err)), "no host");
	ASSERT_ERR(fleet_url__parse("redis://h:0", &u, err, sizeof(err)), "port 0");
	ASSERT_ERR(fleet_url__parse("redis://h:70000", &u, err, sizeof(err)), "port too big");
	ASSERT_ERR(fleet_url__parse("redis://h:x", &u, err, sizeof(err)), "port not a number");
	ASSERT_ERR(fleet_url__parse("redis://h/x", &u, err, sizeof(err)), "db not a number");
	ASSERT_STREQ(fleet_url__redact("redis://edge:s3cr@t@h:1/2", buf, sizeof(buf)),
		     "redis://edge:***@h:1/2", "password never shown");
	ASSERT_STREQ(fleet_url__redact("redis://h:1", buf, sizeof(buf)), "redis://h:1",
		     "nothing to hide");
}

static void test_password_file(void)
{
	char path[] = "/tmp/test_fleet_pw.XXXXXX", err[256];
	struct fleet_url u;
	int fd = mkstemp(path);

	if (!ASSERT_TRUE(fd >= 0, "temp file"))
		return;
	ASSERT_TRUE(write(fd, "  hunter2 \nsecond line\n", 23) == 23, "write");
	close(fd);
	ASSERT_OK(fleet_url__parse("redis://h", &u, err, sizeof(err)), "url");
	ASSERT_OK(fleet_url__read_password(&u, path, err, sizeof(err)), "read");
	ASSERT_STREQ(u.password, "  hunter2", "first line, trailing blanks cut");
	fd = open(path, O_WRONLY | O_TRUNC);
	close(fd);
	ASSERT_EQ(fleet_url__read_password(&u, path, err, sizeof(err)), -EINVAL, "empty refused");
	unlink(path);
	ASSERT_EQ(fleet_url__read_password(&u, path, err, sizeof(err)), -ENOENT, "missing");
}

/* parse a NULL-terminated list of name, value pairs */
static int parse(struct fleet_msg *m, char *err, size_t errlen, ...)
{
	const char *names[16], *values[16];
	size_t nl[16], vl[16], n = 0;
	const char *s;
	va_list ap;

	va_start(ap, errlen);
	while ((s = va_arg(ap, const char *)) && n < 16) {
		names[n] = s;
		nl[n] = strlen(s);
		values[n] = va_arg(ap, const char *);
		vl[n] = strlen(values[n]);
		n++;
	}
	va_end(ap);
	return fleet_msg__parse(names, nl, values, vl, n, m, err, errlen);
}

static void test_messages(void)
{
	struct fleet_msg m;
	char err[256];

	ASSERT_OK(parse(&m, err, sizeof(err), "op", "ban", "target", "203.0.113.7", "exp",
			"1796221631929", "origin", "edge-1", "at", "1796218031930", "reason",
			"scanner", "future", "ignored", NULL), "a ban");
	ASSERT_EQ(m.op, FLEET_BAN, "op");
	ASSERT_EQ(m.target.family, 4, "family");
	ASSERT_EQ(m.target.prefixlen, 32, "single address");
	ASSERT_EQ(m.exp_ms, 1796221631929ULL, "exp");
	ASSERT_EQ(m.at_ms, 1796218031930ULL, "at");
	ASSERT_STREQ(m.origin, "edge-1", "origin");
	ASSERT_STREQ(m.reason, "scanner", "reason");
	ASSERT_OK(parse(&m, err, sizeof(err), "op", "unban", "target", "2001:db8:bad::/48", "exp",
			"0", "origin", "ops", "at", "1", NULL), "an unban, no reason");
	ASSERT_EQ(m.op, FLEET_UNBAN, "unban");
	ASSERT_EQ(m.target.prefixlen, 48, "prefix");
	ASSERT_STREQ(m.reason, "", "no reason");

	ASSERT_ERR(parse(&m, err, sizeof(err), "op", "nuke", "target", "203.0.113.7", "exp", "0",
			 "origin", "x", "at", "1", NULL), "unknown op");
	ASSERT_ERR(parse(&m, err, sizeof(err), "op", "ban", "target", "not-an-address", "exp", "0",
			 "origin", "x", "at", "1", NULL), "bad target");
	ASSERT_ERR(parse(&m, err, sizeof(err), "op", "ban", "target", "203.0.113.7/24", "exp", "0",
			 "origin", "x", "at", "1", NULL), "host bits set");
	ASSERT_ERR(parse(&m, err, sizeof(err), "op", "ban", "target", "203.0.113.7", "exp", "-1",
			 "origin", "x", "at", "1", NULL), "negative exp");
	ASSERT_ERR(parse(&m, err, sizeof(err), "op", "ban", "target", "203.0.113.7", "exp", "0",
			 "origin", "", "at", "1", NULL), "empty origin");
	ASSERT_ERR(parse(&m, err, sizeof(err), "op", "ban", "target", "203.0.113.7", "exp", "0",
			 "origin", "a\nb", "at", "1", NULL), "control byte in origin");
	ASSERT_ERR(parse(&m, err, sizeof(err), "op", "ban", "target", "203.0.113.7", "exp", "0",
			 "origin", "x", "at", "1", "reason", "tab\there", NULL), "control byte in reason");
	ASSERT_ERR(parse(&m, err, sizeof(err), "op", "ban", "target", "203.0.113.7", "exp", "0",
			 "origin", "x", NULL), "no at");
	ASSERT_ERR(parse(&m, err, sizeof(err), "op", "ban", "op", "ban", "target", "203.0.113.7",
			 "exp", "0", "origin", "x", "at", "1", NULL), "field twice");
	ASSERT_ERR(parse(&m, err, sizeof(err), "op", "ban", "target", "203.0.113.7", "exp", "0",
			 "origin", "0123456789012345678901234567890123456789012345678901234567890123456789",
			 "at", "1", NULL), "origin too long");
}

static void test_prefix_length(void)
{
	struct fleet_msg m;
	char err[256];

	parse(&m, err, sizeof(err), "op", "ban", "target", "198.51.0.0/16", "exp", "0", "origin",
	      "x", "at", "1", NULL);
	ASSERT_TRUE(fleet_msg__long_enough(&m, 16, 32), "/16 at the default");
	ASSERT_FALSE(fleet_msg__long_enough(&m, 20, 32), "/16 under /20");
	parse(&m, err, sizeof(err), "op", "ban", "target", "2001:db8::/32", "exp", "0", "origin",
	      "x", "at", "1", NULL);
	ASSERT_TRUE(fleet_msg__long_enough(&m, 16, 32), "v6 /32 at the default");
	ASSERT_FALSE(fleet_msg__long_enough(&m, 16, 48), "v6 /32 under /48");
}

static void test_rate(void)
{
	struct fleet_rate *r = fleet_rate__new(60);
	uint64_t t = 1000 * NSEC_PER_SEC;
	char name[32];
	int i, ok = 0;

	if (!ASSERT_NOT_NULL(r, "new"))
		return;
	for (i = 0; i < 100; i++)
		ok += fleet_rate__allow(r, "flooder", t);
	ASSERT_EQ(ok, 60, "a minute's worth at once, no more");
	ASSERT_TRUE(fleet_rate__allow(r, "other", t), "another origin has its own bucket");
	ASSERT_FALSE(fleet_rate__allow(r, "flooder", t + NSEC_PER_SEC / 2), "half a token");
	ASSERT_TRUE(fleet_rate__allow(r, "flooder", t + NSEC_PER_SEC), "one a second comes back");
	/* Memory is bounded: many origins, the oldest forgotten. */
	for (i = 0; i < 3 * FLEET_RATE_ORIGINS; i++) {
		snprintf(name, sizeof(name), "o%d", i);
		fleet_rate__allow(r, name, t + 2 * NSEC_PER_SEC + (uint64_t)i);
	}
	ASSERT_TRUE(fleet_rate__allow(r, "o1", t + 3 * NSEC_PER_SEC), "a forgotten origin starts full");
	fleet_rate__free(r);
}

static void test_script_args(void)
{
	struct fleet_msg m = { .op = FLEET_BAN, .exp_ms = 5, .at_ms = 3 };
	struct fleet_args a;
	char err[64];
	int argc;

	prefix__parse("2001:db8::/48", &m.target, err, sizeof(err));
	snprintf(m.origin, sizeof(m.origin), "edge");
	snprintf(m.reason, sizeof(m.reason), "why");
	argc = fleet_msg__script_args(&m, "fleetA", &a);
	ASSERT_EQ(argc, 13, "EVAL, script, 3 keys, 7 arguments");
	ASSERT_STREQ(a.argv[0], "EVAL", "eval");
	ASSERT_STREQ(a.argv[3], "fleetA:bans", "live set key");
	ASSERT_STREQ(a.argv[4], "fleetA:ban", "details key");
	ASSERT_STREQ(a.argv[5], "fleetA:log", "stream key");
	ASSERT_STREQ(a.argv[6], "ban", "op");
	ASSERT_STREQ(a.argv[7], "2001:db8::/48", "target");
	ASSERT_STREQ(a.argv[8], "5", "exp");
	ASSERT_STREQ(a.argv[9], "edge", "origin");
	ASSERT_STREQ(a.argv[10], "3", "at");
	ASSERT_STREQ(a.argv[11], "why", "reason");
	ASSERT_EQ(a.lens[7], strlen("2001:db8::/48"), "lengths");
	m.op = FLEET_UNBAN;
	fleet_msg__script_args(&m, "fleetA", &a);
	ASSERT_STREQ(a.argv[8], "0", "an unban has no expiry");
	argc = fleet_msg__load_args("fleetA", "17-0", &a);
	ASSERT_STREQ(a.argv[6], "load", "load");
	ASSERT_STREQ(a.argv[7], "17-0", "from the last id");
	fleet_msg__load_args("fleetA", NULL, &a);
	ASSERT_STREQ(a.argv[6], "clean", "clean");
}

static void test_config_keys(void)
{
	struct warden_config c;
	char err[256];

	config__defaults(&c);
	ASSERT_STREQ(c.fleet_prefix, "warden", "default prefix");
	ASSERT_EQ(c.fleet_rate, 600, "default rate");
	ASSERT_EQ(c.fleet_min_prefix4, 16, "default v4 minimum");
	ASSERT_EQ(c.fleet_min_prefix6, 32, "default v6 minimum");
	ASSERT_OK(config__set(&c, NULL, "fleet", "redis://u@127.0.0.1:6379/1", err, sizeof(err)), "fleet");
	ASSERT_ERR(config__set(&c, NULL, "fleet", "http://x", err, sizeof(err)), "not redis://");
	ASSERT_STREQ(c.fleet, "redis://u@127.0.0.1:6379/1", "unchanged by a refusal");
	ASSERT_OK(config__set(&c, NULL, "fleet-rate", "30", err, sizeof(err)), "rate");
	ASSERT_EQ(c.fleet_rate, 30, "rate set");
	ASSERT_ERR(config__set(&c, NULL, "fleet_rate", "0", err, sizeof(err)), "rate 0");
	ASSERT_OK(config__set(&c, NULL, "fleet_min_prefix4", "/24", err, sizeof(err)), "min4");
	ASSERT_EQ(c.fleet_min_prefix4, 24, "min4 set");
	ASSERT_ERR(config__set(&c, NULL, "fleet_min_prefix4", "33", err, sizeof(err)), "min4 > 32");
	ASSERT_OK(config__set(&c, NULL, "fleet_min_prefix6", "48", err, sizeof(err)), "min6");
	ASSERT_ERR(config__set(&c, NULL, "fleet_min_prefix6", "129", err, sizeof(err)), "min6 > 128");
	ASSERT_ERR(config__set(&c, NULL, "fleet_password_file", "relative", err, sizeof(err)),
		   "password file must be absolute");
	ASSERT_ERR(config__set(&c, NULL, "fleet_prefix", "a b", err, sizeof(err)), "blank in prefix");
	ASSERT_ERR(config__set(&c, NULL, "fleet_name", "a b", err, sizeof(err)), "blank in name");
	config__free(&c);
}

int main(void)
{
	RUN_TEST(test_url);
	RUN_TEST(test_password_file);
	RUN_TEST(test_messages);
	RUN_TEST(test_prefix_length);
	RUN_TEST(test_rate);
	RUN_TEST(test_script_args);
	RUN_TEST(test_config_keys);
	return TEST_EXIT();
}
