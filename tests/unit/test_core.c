// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* test_core.c - unit tests of the small shared modules: addr, timeutil, linebuf. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "linebuf.h"
#include "testutil.h"
#include "timeutil.h"

static void test_prefix_parse_good(void)
{
	struct prefix p;
	char buf[PREFIX_STRLEN];

	ASSERT_OK(prefix__parse("192.0.2.1", &p, NULL, 0), "v4");
	ASSERT_EQ(p.family, 4, "v4 family");
	ASSERT_EQ(p.prefixlen, 32, "v4 single");
	ASSERT_STREQ(prefix__format(&p, buf, sizeof(buf)), "192.0.2.1", "v4 format");

	ASSERT_OK(prefix__parse("198.51.100.0/24", &p, NULL, 0), "v4 prefix");
	ASSERT_EQ(p.prefixlen, 24, "v4 prefixlen");
	ASSERT_STREQ(prefix__format(&p, buf, sizeof(buf)), "198.51.100.0/24", "v4 prefix format");

	ASSERT_OK(prefix__parse("2001:db8::/32", &p, NULL, 0), "v6 prefix");
	ASSERT_EQ(p.family, 6, "v6 family");
	ASSERT_STREQ(prefix__format(&p, buf, sizeof(buf)), "2001:db8::/32", "v6 format");

	/* A v4-mapped address is the IPv4 client. */
	ASSERT_OK(prefix__parse("::ffff:192.0.2.9", &p, NULL, 0), "mapped");
	ASSERT_EQ(p.family, 4, "mapped family");
	ASSERT_STREQ(prefix__format(&p, buf, sizeof(buf)), "192.0.2.9", "mapped format");
	ASSERT_OK(prefix__parse("::ffff:192.0.2.0/120", &p, NULL, 0), "mapped prefix");
	ASSERT_EQ(p.prefixlen, 24, "mapped prefix length");
	ASSERT_OK(prefix__parse("0.0.0.0/0", &p, NULL, 0), "everything");
	ASSERT_EQ(p.prefixlen, 0, "everything length");
}

static void test_prefix_parse_bad(void)
{
	static const char *bad[] = {
		"", "192.0.2", "192.0.2.256", "192.0.2.1/", "192.0.2.1/33", "192.0.2.1/-1",
		"192.0.2.0/2x", "2001:db8::/129", "2001:db8:::1", "example.org", "192.0.2.1/24",
		"2001:db8::1/64", " 192.0.2.1", "192.0.2.1 ", "/24",
	};
	char err[160];
	struct prefix p;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (!ASSERT_ERR(prefix__parse(bad[i], &p, err, sizeof(err)), bad[i]))
			continue;
		ASSERT_TRUE(err[0] != '\0', "a reason is given");
	}
}

/*
 * prefix__pton4() answers what inet_pton(AF_INET) answers, bytes included,
 * and prefix__plain_quad() accepts only what inet_pton accepts.
 */
static bool pton4_agrees(const char *text)
{
	uint8_t fast[4] = { 0xaa, 0xaa, 0xaa, 0xaa }, ref[4] = { 0xaa, 0xaa, 0xaa, 0xaa };
	int a = prefix__pton4(text, fast), b = inet_pton(AF_INET, text, ref);
	size_t k, len = strlen(text);
	char cut[32];

	if (a != b || (a == 1 && memcmp(fast, ref, 4)))
		return false;
	/* Counted: the first k bytes only, whatever follows them. */
	for (k = 0; k <= len && k < sizeof(cut); k++) {
		memcpy(cut, text, k);
		cut[k] = '\0';
		if (prefix__plain_quad(text, k, fast) &&
		    (inet_pton(AF_INET, cut, ref) != 1 || memcmp(fast, ref, 4)))
			return false;
	}
	return true;
}

static void test_pton4_is_inet_pton(void)
{
	static const char *crafted[] = {
		"0.0.0.0", "255.255.255.255", "192.0.2.1", "1.2.3.4", "256.0.0.1", "1.2.3.256",
		"01.2.3.4", "1.2.3.04", "00.0.0.0", "0.0.0.00", "1.2.3", "1.2.3.4.", ".1.2.3.4",
		"1..2.3", "1.2.3.4.5", "1234.1.1.1", "1.1.1.1234", "0x1.2.3.4", "1.2.3.4 ", " 1.2.3.4",
		"", ".", "...", "1.2.3.-4", "+1.2.3.4", "1.2.3.4\n", "999.999.999.999", "1e1.2.3.4",
		"127.1", "2130706433", "198.51.100.7", "203.0.113.255", "1.2.3.4:80", "::1",
		"192.0.2.1xyz", "192.0.2.1.", "192.0.2.10",
	};
	uint8_t bytes[4];
	char text[24];
	size_t i;
	int n;

	for (i = 0; i < sizeof(crafted) / sizeof(crafted[0]); i++)
		ASSERT_TRUE(pton4_agrees(crafted[i]), crafted[i]);
	ASSERT_TRUE(prefix__plain_quad("192.0.2.1xyz", 9, bytes) && bytes[0] == 192 && bytes[3] == 1,
		    "counted: what follows does not count");
	ASSERT_TRUE(!prefix__plain_quad("192.0.2.10", 8, bytes), "counted: cut after a dot");
	ASSERT_TRUE(prefix__plain_quad("192.0.2.10", 9, bytes) && bytes[3] == 1, "counted: cut in an octet");
	/* Random strings over the characters that matter: digits, dots, a few others. */
	srand(16);
	for (n = 0; n < 200000; n++) {
		static const char alphabet[] = "0123456789..........12x ";
		size_t len = (size_t)(rand() % 20);

		for (i = 0; i < len; i++)
			text[i] = alphabet[rand() % (sizeof(alphabet) - 1)];
		text[len] = '\0';
		if (!ASSERT_TRUE(pton4_agrees(text), text))
			break;
	}
	/* Every octet value, leading zeros too, in each position. */
	for (n = 0; n < 1000; n++) {
		snprintf(text, sizeof(text), "%d.%03d.%02d.%d", n % 300, n, n % 120, 999 - n);
		if (!ASSERT_TRUE(pton4_agrees(text), text))
			break;
		snprintf(text, sizeof(text), "%d.%d.%d.%d", n, n % 256, 255 - n % 256, n / 4);
		if (!ASSERT_TRUE(pton4_agrees(text), text))
			break;
	}
}

static void test_prefix_relations(void)
{
	struct prefix a, b, c;

	prefix__parse("192.0.2.0/24", &a, NULL, 0);
	prefix__parse("192.0.2.77", &b, NULL, 0);
	prefix__parse("198.51.100.1", &c, NULL, 0);
	ASSERT_TRUE(prefix__contains(&a, &b), "contains");
	ASSERT_FALSE(prefix__contains(&b, &a), "not the other way");
	ASSERT_TRUE(prefix__overlaps(&b, &a), "overlaps both ways");
	ASSERT_FALSE(prefix__overlaps(&a, &c), "disjoint");
	prefix__truncate(&b, 24);
	ASSERT_TRUE(prefix__equal(&a, &b), "truncate to /24");
	prefix__parse("2001:db8:1:2:3:4:5:6", &a, NULL, 0);
	prefix__truncate(&a, 64);
	prefix__parse("2001:db8:1:2::/64", &b, NULL, 0);
	ASSERT_TRUE(prefix__equal(&a, &b), "v6 truncate to /64");
	prefix__parse("2001:db8:1:2::/63", &c, NULL, 0);
	ASSERT_FALSE(prefix__equal(&a, &c), "length matters");
}

static void test_loopback(void)
{
	static const char *loop[] = { "127.0.0.1", "127.8.9.10", "::1", "0.0.0.0", "::",
				      "0.0.0.0/0", "::/0", "64.0.0.0/2", "::ffff:127.0.0.1" };
	static const char *not_loop[] = { "192.0.2.1", "2001:db8::1", "128.0.0.0/1" };
	struct prefix p;
	size_t i;

	for (i = 0; i < sizeof(loop) / sizeof(loop[0]); i++) {
		prefix__parse(loop[i], &p, NULL, 0);
		ASSERT_TRUE(prefix__is_loopback(&p), loop[i]);
	}
	for (i = 0; i < sizeof(not_loop) / sizeof(not_loop[0]); i++) {
		prefix__parse(not_loop[i], &p, NULL, 0);
		ASSERT_FALSE(prefix__is_loopback(&p), not_loop[i]);
	}
}

static void test_durations(void)
{
	static const struct {
		const char *text;
		uint64_t ns;
	} good[] = {
		{ "90s", 90 * NSEC_PER_SEC },  { "10m", 600 * NSEC_PER_SEC },
		{ "2h", 7200 * NSEC_PER_SEC }, { "7d", 7 * 86400 * NSEC_PER_SEC },
		{ "1h30m", 5400 * NSEC_PER_SEC }, { "250ms", 250 * NSEC_PER_MSEC },
		{ "45", 45 * NSEC_PER_SEC },   { "1.5h", 5400 * NSEC_PER_SEC },
		{ "1w", 604800 * NSEC_PER_SEC },
		/* fail2ban's str2sec (fail2ban-client --str2sec gives the same) */
		{ "1 hour", 3600 * NSEC_PER_SEC }, { "10min", 600 * NSEC_PER_SEC },
		{ "1week", 604800 * NSEC_PER_SEC }, { "1mo", 2629800 * NSEC_PER_SEC },
		{ "2w", 1209600 * NSEC_PER_SEC }, { "1h30", 3630 * NSEC_PER_SEC },
		{ "10 m", 600 * NSEC_PER_SEC }, { "1 Day 2 Hours", 93600 * NSEC_PER_SEC },
		{ "1y", 31557600 * NSEC_PER_SEC }, { "3 months", 7889400 * NSEC_PER_SEC },
		{ "5 mins 10 secs", 310 * NSEC_PER_SEC },
	};
	static const char *bad[] = { "", "10x", "-5m", "m", "1e3", "0x10", "1.2.3s", "abc", "1 fortnight",
				     "1h-", "1 h h", "99999999999999999999d", " " };
	uint64_t ns;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ns = 0;
		if (ASSERT_OK(time__parse_duration(good[i].text, &ns), good[i].text))
			ASSERT_EQ(ns, good[i].ns, good[i].text);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ASSERT_ERR(time__parse_duration(bad[i], &ns), bad[i]);
}

static void test_bantime(void)
{
	uint64_t ns = 1;
	bool perm = false;

	ASSERT_OK(time__parse_bantime("-1", &ns, &perm), "-1");
	ASSERT_TRUE(perm && ns == 0, "-1 is permanent");
	ASSERT_OK(time__parse_bantime("permanent", &ns, &perm), "permanent");
	ASSERT_TRUE(perm, "permanent word");
	ASSERT_OK(time__parse_bantime("1 hour", &ns, &perm), "1 hour");
	ASSERT_TRUE(!perm && ns == 3600 * NSEC_PER_SEC, "1 hour value");
	ASSERT_ERR(time__parse_bantime("0", &ns, &perm), "0 refused");
	ASSERT_ERR(time__parse_bantime("-", &ns, &perm), "bare minus refused");
	ASSERT_ERR(time__parse_bantime("-0", &ns, &perm), "-0 refused");
	ASSERT_OK(time__parse_bantime("-3600", &ns, &perm), "any negative number");
}

static void test_duration_format(void)
{
	char buf[32];

	ASSERT_STREQ(time__format_duration(90 * NSEC_PER_SEC, buf, sizeof(buf)), "1m30s", "1m30s");
	ASSERT_STREQ(time__format_duration(7200 * NSEC_PER_SEC, buf, sizeof(buf)), "2h0m", "2h");
	ASSERT_STREQ(time__format_duration(350 * NSEC_PER_MSEC, buf, sizeof(buf)), "350ms", "ms");
	ASSERT_STREQ(time__format_duration(3 * 86400 * NSEC_PER_SEC, buf, sizeof(buf)), "3d0h", "d");
}

/* Collects the lines linebuf hands over. */
struct collected {
	char lines[8][64];
	size_t lens[8];
	bool truncated[8];
	int n;
};

static void collect(const char *line, size_t len, bool truncated, void *ctx)
{
	struct collected *c = ctx;

	if (c->n >= 8)
		return;
	memcpy(c->lines[c->n], line, len < 63 ? len : 63);
	c->lines[c->n][len < 63 ? len : 63] = '\0';
	c->lens[c->n] = len;
	c->truncated[c->n] = truncated;
	c->n++;
}

static void test_linebuf_split(void)
{
	struct collected c = { 0 };
	struct linebuf lb;

	if (!ASSERT_OK(linebuf__init(&lb, 16), "init"))
		return;
	/* Lines split across reads, CRLF, an empty line, a last line with no newline. */
	linebuf__feed(&lb, "one\ntw", 6, collect, &c);
	linebuf__feed(&lb, "o\r\n\nthr", 7, collect, &c);
	linebuf__feed(&lb, "ee", 2, collect, &c);
	ASSERT_EQ(c.n, 3, "three complete lines");
	linebuf__flush(&lb, collect, &c);
	ASSERT_EQ(c.n, 4, "flush hands over the last one");
	ASSERT_STREQ(c.lines[0], "one", "line 1");
	ASSERT_STREQ(c.lines[1], "two", "line 2 without CR");
	ASSERT_STREQ(c.lines[2], "", "empty line");
	ASSERT_STREQ(c.lines[3], "three", "unterminated last line");
	linebuf__free(&lb);
}

static void test_linebuf_bound(void)
{
	struct collected c = { 0 };
	struct linebuf lb;
	char big[100];

	if (!ASSERT_OK(linebuf__init(&lb, 16), "init"))
		return;
	memset(big, 'a', sizeof(big));
	/* A 100-byte line in one read, then one in pieces, then a short one. */
	linebuf__feed(&lb, big, sizeof(big), collect, &c);
	linebuf__feed(&lb, "\n", 1, collect, &c);
	linebuf__feed(&lb, big, 10, collect, &c);
	linebuf__feed(&lb, big, 10, collect, &c);
	linebuf__feed(&lb, "\nok\n", 4, collect, &c);
	ASSERT_EQ(c.n, 3, "three lines");
	ASSERT_EQ(c.lens[0], 16, "kept up to the bound");
	ASSERT_TRUE(c.truncated[0], "marked truncated");
	ASSERT_EQ(c.lens[1], 16, "pieces kept up to the bound");
	ASSERT_TRUE(c.truncated[1], "pieces marked truncated");
	ASSERT_STREQ(c.lines[2], "ok", "the next line is whole");
	ASSERT_FALSE(c.truncated[2], "and not truncated");
	linebuf__free(&lb);
}

/*
 * Found by tests/fuzz/fuzz_crilog: a line of exactly the bound ending in
 * "\r\n" was marked truncated (the "\r" counted against the bound), so a
 * whole access line went to logparse__line_truncated().
 */
static void test_linebuf_crlf_at_bound(void)
{
	struct collected c = { 0 };
	struct linebuf lb;

	if (!ASSERT_OK(linebuf__init(&lb, 16), "init"))
		return;
	linebuf__feed(&lb, "0123456789abcdef\r\n", 18, collect, &c); /* in one read */
	linebuf__feed(&lb, "0123456789abcdef\r", 17, collect, &c);    /* "\n" in the next */
	linebuf__feed(&lb, "\n0123456789abcdefg\n", 19, collect, &c); /* 17 bytes: cut */
	linebuf__feed(&lb, "0123456789abcdef\r", 17, collect, &c);    /* at the end of the stream */
	linebuf__flush(&lb, collect, &c);
	if (ASSERT_EQ(c.n, 4, "four lines")) {
		ASSERT_STREQ(c.lines[0], "0123456789abcdef", "CRLF at the bound, one read");
		ASSERT_FALSE(c.truncated[0], "whole");
		ASSERT_STREQ(c.lines[1], "0123456789abcdef", "CRLF at the bound, two reads");
		ASSERT_FALSE(c.truncated[1], "whole too");
		ASSERT_EQ(c.lens[2], 16, "one byte over: cut to the bound");
		ASSERT_TRUE(c.truncated[2], "and marked");
		ASSERT_STREQ(c.lines[3], "0123456789abcdef", "CR at the bound at the end");
		ASSERT_FALSE(c.truncated[3], "whole at the end");
	}
	linebuf__free(&lb);
}

int main(void)
{
	RUN_TEST(test_prefix_parse_good);
	RUN_TEST(test_prefix_parse_bad);
	RUN_TEST(test_pton4_is_inet_pton);
	RUN_TEST(test_prefix_relations);
	RUN_TEST(test_loopback);
	RUN_TEST(test_durations);
	RUN_TEST(test_bantime);
	RUN_TEST(test_duration_format);
	RUN_TEST(test_linebuf_split);
	RUN_TEST(test_linebuf_bound);
	RUN_TEST(test_linebuf_crlf_at_bound);
	return TEST_EXIT();
}
