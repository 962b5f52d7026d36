// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* test_realip.c - the client behind trusted proxies, alone and through the jail. */
#include <stdlib.h>

#include "config.h"
#include "jail.h"
#include "log.h"
#include "realip.h"
#include "testutil.h"

static struct prefix trusted[3];

static void setup(void)
{
	prefix__parse("127.0.0.1", &trusted[0], NULL, 0);
	prefix__parse("::1", &trusted[1], NULL, 0);
	prefix__parse("10.0.0.0/8", &trusted[2], NULL, 0);
}

/* The client realip__client() finds in val, as text; "" when none. */
static const char *client_of(const char *val)
{
	static char buf[PREFIX_STRLEN];
	struct prefix c;

	if (!realip__client(trusted, 3, val, strlen(val), &c))
		return "";
	return prefix__format(&c, buf, sizeof(buf));
}

static void test_rightmost_untrusted(void)
{
	ASSERT_STREQ(client_of("192.0.2.7"), "192.0.2.7", "single");
	/* The client's own (forged) entries are to the left of what the proxy appended. */
	ASSERT_STREQ(client_of("203.0.113.9, 192.0.2.7"), "192.0.2.7", "forged-left");
	ASSERT_STREQ(client_of("203.0.113.9, 192.0.2.7, 10.1.2.3"), "192.0.2.7", "through-trusted");
	ASSERT_STREQ(client_of("203.0.113.9,192.0.2.7 , 127.0.0.1"), "192.0.2.7", "spacing");
	ASSERT_STREQ(client_of("2001:db8::7, ::1"), "2001:db8::7", "ipv6");
	ASSERT_STREQ(client_of("[2001:db8::7]:4711"), "2001:db8::7", "ipv6-port");
	ASSERT_STREQ(client_of("192.0.2.7:4711"), "192.0.2.7", "ipv4-port");
	/* A forger cannot hide behind a trusted address it adds itself. */
	ASSERT_STREQ(client_of("127.0.0.1, 192.0.2.7"), "192.0.2.7", "forged-trusted-left");
	/* All trusted: the leftmost, as nginx. */
	ASSERT_STREQ(client_of("10.9.9.9, 127.0.0.1"), "10.9.9.9", "all-trusted");
	/* Junk ends the walk: what was read so far stands. */
	ASSERT_STREQ(client_of("192.0.2.7, junk, 10.1.1.1"), "10.1.1.1", "junk-stops");
	ASSERT_STREQ(client_of("junk, 192.0.2.8"), "192.0.2.8", "junk-left-unread");
	ASSERT_STREQ(client_of("-"), "", "dash");
	ASSERT_STREQ(client_of(""), "", "empty");
	ASSERT_STREQ(client_of("unknown"), "", "unknown");
	ASSERT_STREQ(client_of("192.0.2.300"), "", "bad-address");
	ASSERT_STREQ(client_of("[2001:db8::7"), "", "unclosed-bracket");
}

static void test_last_field(void)
{
	const char *line = "127.0.0.1 - - [21/Nov/2026:04:18:25 +0000] \"GET /x HTTP/1.1\" 404 9 "
			   "\"-\" \"curl/7.88\" \"203.0.113.9, 192.0.2.7\"";
	const char *val;
	size_t vlen;

	ASSERT_TRUE(realip__last_field(line, strlen(line), &val, &vlen), "found");
	ASSERT_EQ(vlen, strlen("203.0.113.9, 192.0.2.7"), "length");
	ASSERT_TRUE(!strncmp(val, "203.0.113.9, 192.0.2.7", vlen), "value");
	ASSERT_FALSE(realip__last_field("no quotes", 9, &val, &vlen), "no-quotes");
	ASSERT_FALSE(realip__last_field("one \" quote", 11, &val, &vlen), "one-quote");
}

/* The client the jail counts for a line. */
static const char *jail_client(struct jail *j, const char *line, bool *forwarded)
{
	static char buf[PREFIX_STRLEN];
	struct line_event ev;

	jail__line(j, STREAM_STDOUT, line, strlen(line), false, 1000000000ULL, &ev);
	*forwarded = ev.forwarded;
	if (ev.kind == LINE_NOT_ACCESS)
		return "not-access";
	return prefix__format(&ev.access.client, buf, sizeof(buf));
}

#define GUNI(peer, xff) peer " - - [21/Nov/2026:04:18:25 +0000] \"GET /admin HTTP/1.0\" 404 9 \"-\" \"curl\" \"" xff "\""

static void test_jail(void)
{
	struct warden_config cfg;
	char err[256];
	struct jail *j;
	bool fwd;

	config__defaults(&cfg);
	if (!ASSERT_OK(config__set(&cfg, NULL, "real_ip_from", "127.0.0.1, 10.0.0.0/8", err,
				   sizeof(err)), "set-from") ||
	    !ASSERT_OK(config__set(&cfg, NULL, "real_ip_field", "last", err, sizeof(err)), "set-field") ||
	    !ASSERT_OK(config__check(&cfg, err, sizeof(err)), "check"))
		return;
	j = jail__new(&cfg, NULL, NULL, err, sizeof(err));
	if (!ASSERT_NOT_NULL(j, "jail"))
		return;
	ASSERT_STREQ(jail_client(j, GUNI("127.0.0.1", "203.0.113.9, 192.0.2.7"), &fwd), "192.0.2.7",
		     "proxied");
	ASSERT_TRUE(fwd, "proxied-forwarded");
	/* A forwarded field from a peer that is not trusted is the peer's own text. */
	ASSERT_STREQ(jail_client(j, GUNI("198.51.100.2", "203.0.113.9"), &fwd), "198.51.100.2",
		     "untrusted-peer");
	ASSERT_FALSE(fwd, "untrusted-peer-not-forwarded");
	/* The proxy's own request (a health check): the proxy, never banned. */
	ASSERT_STREQ(jail_client(j, GUNI("10.0.0.5", "-"), &fwd), "10.0.0.5", "proxy-itself");
	ASSERT_EQ(jail__stats(j)->forwarded, 1, "forwarded-count");
	ASSERT_EQ(jail__stats(j)->proxied, 1, "proxied-count");
	ASSERT_EQ(jail__stats(j)->bans, 0, "no-ban");
	jail__free(j);

	/* Half of it is refused: whom to believe without where, and the reverse. */
	config__defaults(&cfg);
	config__set(&cfg, NULL, "real_ip_from", "127.0.0.1", err, sizeof(err));
	ASSERT_ERR(config__check(&cfg, err, sizeof(err)), "from-without-field");
	config__defaults(&cfg);
	config__set(&cfg, NULL, "real_ip_field", "last", err, sizeof(err));
	ASSERT_ERR(config__check(&cfg, err, sizeof(err)), "field-without-from");
	ASSERT_ERR(config__set(&cfg, NULL, "real_ip_from", "proxy.example", err, sizeof(err)),
		   "no-host-names");
	ASSERT_ERR(config__set(&cfg, NULL, "real_ip_field", "first", err, sizeof(err)), "bad-field");
}

/* A proxied app whose proxy passes nothing on: said once, after enough requests. */
static void test_trusted_proxy_never_banned(void)
{
	struct warden_config cfg;
	char err[256];
	struct jail *j;
	bool fwd;
	int i;

	config__defaults(&cfg);
	config__set(&cfg, NULL, "real_ip_from", "10.0.0.0/8", err, sizeof(err));
	config__set(&cfg, NULL, "real_ip_field", "last", err, sizeof(err));
	config__set(&cfg, NULL, "maxretry", "2", err, sizeof(err));
	j = jail__new(&cfg, NULL, NULL, err, sizeof(err));
	if (!ASSERT_NOT_NULL(j, "jail"))
		return;
	/* Failures (not-HTTP requests) of the proxy itself, and of a client behind it. */
	for (i = 0; i < 5; i++) {
		jail_client(j, "10.0.0.5 - - [21/Nov/2026:04:18:25 +0000] \"\\x16\\x03\" 400 0 \"-\" \"-\" \"-\"", &fwd);
		jail_client(j, "10.0.0.5 - - [21/Nov/2026:04:18:25 +0000] \"\\x16\\x03\" 400 0 \"-\" \"-\" \"192.0.2.9\"", &fwd);
	}
	ASSERT_EQ(jail__stats(j)->bans, 1, "only-the-client-banned");
	jail__free(j);
}

int main(void)
{
	log__setup(0, LOG_WARN);
	setup();
	RUN_TEST(test_rightmost_untrusted);
	RUN_TEST(test_last_field);
	RUN_TEST(test_jail);
	RUN_TEST(test_trusted_proxy_never_banned);
	return TEST_EXIT();
}
