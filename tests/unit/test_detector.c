// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* test_detector.c - the ban decisions: windows, escalation, ignores, bounds, reasons. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "detector.h"
#include "timeutil.h"
#include "testutil.h"

#define SEC NSEC_PER_SEC
#define MIN (60 * SEC)
/* An arbitrary start of time, far from 0 so that nothing leans on 0. */
#define T0 (1000 * SEC)

static struct prefix P(const char *text)
{
	struct prefix p;
	char err[128];

	if (prefix__parse(text, &p, err, sizeof(err)))
		TU_FAIL("parse", "cannot parse '%s': %s", text, err);
	return p;
}

static const char *fmt(const struct prefix *p)
{
	static char buf[PREFIX_STRLEN];

	return prefix__format(p, buf, sizeof(buf));
}

/* One failure of addr at t on "/x"; returns detector__failure()'s result. */
static int fail_at(struct detector *d, const char *addr, uint64_t t, struct ban_decision *out)
{
	struct prefix p = P(addr);

	return detector__failure(d, &p, "/x", 2, t, out);
}

/* n failures one second apart from t; returns how many of them banned. */
static int fail_n(struct detector *d, const char *addr, int n, uint64_t t, struct ban_decision *out)
{
	int i, bans = 0, r;

	for (i = 0; i < n; i++) {
		r = fail_at(d, addr, t + (uint64_t)i * SEC, out);
		if (r < 0)
			TU_FAIL("fail_n", "detector__failure(%s) = %d", addr, r);
		bans += r == 1;
	}
	return bans;
}

static struct detector *new_with(const struct detector_opts *o)
{
	struct detector *d = detector__new(o);

	if (!d)
		TU_FAIL("new", "detector__new failed: %s", strerror(errno));
	return d;
}

/*
 * The detector always ignores the host's own addresses: the addresses these
 * tests use must not be among them, or the tests would see no bans.
 */
static void test_environment(void)
{
	static const char *const used[] = { "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24",
					    "2001:db8::/32" };
	struct prefix host[256], p;
	int n, i;
	size_t k;

	n = prefix__host_addresses(host, 256);
	if (!ASSERT_GE(n, 0, "host addresses"))
		return;
	for (i = 0; i < n; i++) {
		for (k = 0; k < sizeof(used) / sizeof(used[0]); k++) {
			p = P(used[k]);
			if (prefix__contains(&p, &host[i]))
				TU_FAIL("environment", "this host owns %s, inside %s that the tests use",
					fmt(&host[i]), used[k]);
		}
	}
}

static void test_defaults(void)
{
	struct detector_opts o;
	struct detector *d;
	struct ban_decision b;

	detector_opts__defaults(&o);
	ASSERT_EQ(o.maxretry, 5, "maxretry");
	ASSERT_EQ(o.findtime_ns, 600 * SEC, "findtime");
	ASSERT_EQ(o.bantime_ns, 600 * SEC, "bantime");
	ASSERT_FALSE(o.bantime_permanent, "permanent");
	ASSERT_FALSE(o.increment, "increment");
	ASSERT_TRUE(o.factor == 1.0, "factor");
	ASSERT_EQ(o.maxtime_ns, 0, "maxtime");
	ASSERT_EQ(o.ipv6_prefix, 64, "ipv6_prefix");
	ASSERT_EQ(o.max_tracked, 1000000, "max_tracked");
	ASSERT_OK(detector_opts__validate(&o, NULL, 0), "defaults valid");

	/* NULL options are the defaults: 5 failures ban for 10 minutes. */
	d = new_with(NULL);
	if (!d)
		return;
	ASSERT_EQ(fail_n(d, "198.51.100.1", 4, T0, &b), 0, "4 failures");
	ASSERT_EQ(detector__tracked(d), 1, "tracked");
	ASSERT_EQ(fail_at(d, "198.51.100.1", T0 + 4 * SEC, &b), 1, "5th failure bans");
	ASSERT_STREQ(fmt(&b.target), "198.51.100.1", "target");
	ASSERT_EQ(b.duration_ns, 600 * SEC, "first ban is bantime");
	ASSERT_FALSE(b.permanent, "not permanent");
	ASSERT_EQ(b.offences, 1, "first offence");
	detector__free(d);
	detector__free(NULL);
}

/* The n-th bad option set, or false when there are no more. */
static bool bad_opts(int n, struct detector_opts *o, const char **what)
{
	detector_opts__defaults(o);
	switch (n) {
	case 0: *what = "maxretry 0"; o->maxretry = 0; break;
	case 1: *what = "maxretry too big"; o->maxretry = DETECTOR_MAXRETRY_MAX + 1; break;
	case 2: *what = "findtime 0"; o->findtime_ns = 0; break;
	case 3: *what = "bantime 0"; o->bantime_ns = 0; break;
	case 4: *what = "factor 0"; o->factor = 0; break;
	case 5: *what = "factor negative"; o->factor = -1; break;
	case 6: *what = "factor NaN"; o->factor = NAN; break;
	case 7: *what = "factor inf"; o->factor = INFINITY; break;
	case 8: *what = "ipv6_prefix 0"; o->ipv6_prefix = 0; break;
	case 9: *what = "ipv6_prefix 129"; o->ipv6_prefix = 129; break;
	case 10: *what = "max_tracked 0"; o->max_tracked = 0; break;
	case 11: *what = "max_tracked too big"; o->max_tracked = DETECTOR_TRACKED_MAX + 1; break;
	case 12:
		*what = "maxtime below bantime";
		o->increment = true;
		o->maxtime_ns = 60 * SEC;
		break;
	default:
		return false;
	}
	return true;
}

static void test_validation(void)
{
	struct detector_opts o;
	const char *what;
	char err[128];
	int n;

	for (n = 0; bad_opts(n, &o, &what); n++) {
		err[0] = '\0';
		ASSERT_EQ(detector_opts__validate(&o, err, sizeof(err)), -EINVAL, what);
		ASSERT_TRUE(err[0] != '\0', what);
		errno = 0;
		ASSERT_TRUE(detector__new(&o) == NULL, what);
		ASSERT_EQ(errno, EINVAL, what);
	}
	ASSERT_EQ(n, 13, "all cases ran");
	/* bantime 0 is fine when bans are permanent anyway; so is maxtime below it. */
	detector_opts__defaults(&o);
	o.bantime_ns = 0;
	o.bantime_permanent = true;
	ASSERT_OK(detector_opts__validate(&o, NULL, 0), "permanent with bantime 0");
	/* maxtime below bantime without increment means nothing: accepted. */
	detector_opts__defaults(&o);
	o.maxtime_ns = SEC;
	ASSERT_OK(detector_opts__validate(&o, NULL, 0), "maxtime without increment");
}

static void test_window_slides(void)
{
	struct detector *d = new_with(NULL);
	struct ban_decision b;
	uint64_t t = T0;
	int i;

	if (!d)
		return;
	/* 4 failures, then more than findtime later 4 more: never 5 in one window. */
	ASSERT_EQ(fail_n(d, "198.51.100.2", 4, t, &b), 0, "first 4");
	ASSERT_EQ(fail_n(d, "198.51.100.2", 4, t + 700 * SEC, &b), 0, "4 more after findtime");
	/* A 5th close to those 4: now 5 within findtime. */
	ASSERT_EQ(fail_at(d, "198.51.100.2", t + 704 * SEC, &b), 1, "5 within findtime");
	ASSERT_EQ(b.offences, 1, "offences");

	/* The edge: a failure exactly findtime old still counts (fail2ban's filter too). */
	t += 1000 * SEC;
	ASSERT_EQ(fail_n(d, "198.51.100.3", 4, t, &b), 0, "edge: 4");
	ASSERT_EQ(fail_at(d, "198.51.100.3", t + 600 * SEC, &b), 1, "edge: exactly findtime");
	t += 1000 * SEC;
	ASSERT_EQ(fail_n(d, "198.51.100.4", 4, t, &b), 0, "edge+1: 4");
	ASSERT_EQ(fail_at(d, "198.51.100.4", t + 600 * SEC + 1, &b), 0, "edge+1ns: out");

	/* Slow and steady: one failure every 3 minutes never makes 5 in 10 minutes. */
	t += 1000 * SEC;
	for (i = 0; i < 20; i++)
		ASSERT_EQ(fail_at(d, "198.51.100.5", t + (uint64_t)i * 3 * MIN, &b), 0, "slow");
	/* Clients do not add up with each other. */
	t += 2 * 3600 * SEC;
	ASSERT_EQ(fail_n(d, "198.51.100.6", 3, t, &b), 0, "a: 3");
	ASSERT_EQ(fail_n(d, "198.51.100.7", 3, t, &b), 0, "b: 3");
	detector__free(d);
}

/* Ban addr, then wait until that ban is over; returns the decision in *b. */
static bool ban_round(struct detector *d, const char *addr, uint64_t *t, struct ban_decision *b)
{
	int bans = fail_n(d, addr, 5, *t, b);

	if (!ASSERT_EQ(bans, 1, "one ban per round"))
		return false;
	*t += 4 * SEC + (b->permanent ? 0 : b->duration_ns) + SEC;
	return true;
}

static void test_increment_ladder(void)
{
	static const uint64_t want[] = { 10 * MIN, 20 * MIN, 40 * MIN, 60 * MIN, 60 * MIN };
	struct detector_opts o;
	struct detector *d;
	struct ban_decision b;
	uint64_t t = T0;
	size_t i;

	detector_opts__defaults(&o);
	o.increment = true;
	o.maxtime_ns = 60 * MIN;
	d = new_with(&o);
	if (!d)
		return;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		if (!ban_round(d, "203.0.113.50", &t, &b))
			break;
		ASSERT_EQ(b.offences, i + 1, "offences");
		ASSERT_EQ(b.duration_ns, want[i], "ladder 10m 20m 40m then maxtime");
	}
	detector__free(d);

	/* The formula alone: fail2ban stops doubling at 2^20. */
	o.maxtime_ns = 0;
	ASSERT_EQ(detector__ban_duration(&o, 0), 10 * MIN, "n 0 as first");
	ASSERT_EQ(detector__ban_duration(&o, 1), 10 * MIN, "n 1");
	ASSERT_EQ(detector__ban_duration(&o, 2), 20 * MIN, "n 2");
	ASSERT_EQ(detector__ban_duration(&o, 21), 10 * MIN * (1ULL << 20), "n 21");
	ASSERT_EQ(detector__ban_duration(&o, 22), 10 * MIN * (1ULL << 20), "n 22 capped");
	ASSERT_EQ(detector__ban_duration(&o, UINT32_MAX), 10 * MIN * (1ULL << 20), "n max");
	/* Without increment every ban is bantime. */
	o.increment = false;
	ASSERT_EQ(detector__ban_duration(&o, 7), 10 * MIN, "no increment");
	/* Huge values saturate instead of wrapping. */
	o.increment = true;
	o.bantime_ns = UINT64_MAX / 2;
	ASSERT_EQ(detector__ban_duration(&o, 5), UINT64_MAX, "saturates");
}

static void test_no_increment_counts_offences(void)
{
	struct detector *d = new_with(NULL);
	struct ban_decision b;
	uint64_t t = T0;
	int i;

	if (!d)
		return;
	for (i = 1; i <= 3; i++) {
		if (!ban_round(d, "203.0.113.51", &t, &b))
			break;
		ASSERT_EQ(b.offences, i, "offences still counted");
		ASSERT_EQ(b.duration_ns, 10 * MIN, "always bantime");
	}
	detector__free(d);
}

static void test_factor(void)
{
	static const struct {
		double factor;
		uint64_t want[3];
	} cases[] = {
		/* The first ban is bantime whatever the factor, as in fail2ban. */
		{ 2.0, { 10 * MIN, 40 * MIN, 80 * MIN } },
		{ 0.5, { 10 * MIN, 10 * MIN, 20 * MIN } },
		{ 1.5, { 10 * MIN, 30 * MIN, 60 * MIN } },
	};
	struct detector_opts o;
	struct detector *d;
	struct ban_decision b;
	size_t c, i;

	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		uint64_t t = T0;

		detector_opts__defaults(&o);
		o.increment = true;
		o.factor = cases[c].factor;
		d = new_with(&o);
		if (!d)
			return;
		for (i = 0; i < 3; i++) {
			if (!ban_round(d, "203.0.113.52", &t, &b))
				break;
			ASSERT_EQ(b.duration_ns, cases[c].want[i], "factor ladder");
		}
		detector__free(d);
	}
}

static void test_permanent(void)
{
	struct detector_opts o;
	struct detector *d;
	struct ban_decision b;
	struct detector_stats st;

	detector_opts__defaults(&o);
	o.bantime_permanent = true;
	o.increment = true;
	d = new_with(&o);
	if (!d)
		return;
	ASSERT_EQ(fail_n(d, "203.0.113.53", 5, T0, &b), 1, "ban");
	ASSERT_TRUE(b.permanent, "permanent");
	ASSERT_EQ(b.duration_ns, 0, "duration 0 means forever");
	ASSERT_EQ(b.offences, 1, "offences");
	/* A year later it is still banned: no second decision. */
	ASSERT_EQ(fail_n(d, "203.0.113.53", 10, T0 + 365 * 86400 * SEC, &b), 0, "never re-banned");
	detector__stats(d, &st);
	ASSERT_EQ(st.bans, 1, "one ban");
	ASSERT_EQ(st.failures, 15, "all failures counted");
	/* Unless the ban is lifted. */
	detector__forget_ban(d, &(struct prefix){ .family = 4, .prefixlen = 32,
						  .addr = { 203, 0, 113, 53 } });
	ASSERT_EQ(fail_n(d, "203.0.113.53", 5, T0 + 366 * 86400 * SEC, &b), 1, "after unban");
	ASSERT_TRUE(b.permanent, "permanent again");
	ASSERT_EQ(b.offences, 1, "the lifted ban was taken back");
	detector__free(d);
}

static void test_reban_after_expiry(void)
{
	struct detector *d = new_with(NULL);
	struct ban_decision b;
	struct detector_stats st;
	uint64_t t;

	if (!d)
		return;
	ASSERT_EQ(fail_n(d, "198.18.0.200", 5, T0, &b), 1, "first ban");
	t = T0 + 4 * SEC;
	/* In-flight failures during the ban: no second ban, not even after 10 of them. */
	ASSERT_EQ(fail_n(d, "198.18.0.200", 10, t + SEC, &b), 0, "no re-ban while banned");
	/* They were not kept either: after expiry, 4 failures are not enough... */
	t += 10 * MIN;
	ASSERT_EQ(fail_n(d, "198.18.0.200", 4, t, &b), 0, "4 after expiry");
	/* ...and the 5th bans again, as a second offence. */
	ASSERT_EQ(fail_at(d, "198.18.0.200", t + 4 * SEC, &b), 1, "5th after expiry");
	ASSERT_EQ(b.offences, 2, "second offence");
	ASSERT_EQ(b.duration_ns, 10 * MIN, "no increment: bantime");
	detector__stats(d, &st);
	ASSERT_EQ(st.bans, 2, "bans");
	ASSERT_EQ(st.failures, 20, "failures");
	/* The ban ends at the exact nanosecond: a failure at the end counts again. */
	t = T0 + 3600 * SEC;
	ASSERT_EQ(fail_n(d, "198.18.0.201", 5, t, &b), 1, "ban 201");
	ASSERT_EQ(fail_n(d, "198.18.0.201", 4, t + 4 * SEC + 10 * MIN, &b), 0, "4 at expiry");
	ASSERT_EQ(fail_at(d, "198.18.0.201", t + 8 * SEC + 10 * MIN, &b), 1, "5th");
	detector__free(d);
}

static void test_ignoreip(void)
{
	struct detector *d = new_with(NULL);
	struct ban_decision b;
	struct detector_stats st;
	struct prefix p;

	if (!d)
		return;
	p = P("198.18.0.0/24");
	ASSERT_OK(detector__ignore(d, &p), "ignore v4 prefix");
	p = P("198.51.100.9");
	ASSERT_OK(detector__ignore(d, &p), "ignore v4 address");
	p = P("2001:db8:1::/48");
	ASSERT_OK(detector__ignore(d, &p), "ignore v6 prefix");
	p = P("2001:db8:2::5");
	ASSERT_OK(detector__ignore(d, &p), "ignore v6 address");
	ASSERT_OK(detector__ignore(d, &p), "ignoring twice is fine");
	ASSERT_EQ(detector__ignore(d, &(struct prefix){ .family = 5 }), -EINVAL, "bad family");

	ASSERT_EQ(fail_n(d, "198.18.0.77", 20, T0, &b), 0, "v4 in ignored prefix");
	ASSERT_EQ(fail_n(d, "198.51.100.9", 20, T0, &b), 0, "ignored v4 address");
	ASSERT_EQ(fail_n(d, "2001:db8:1:ffff::1", 20, T0, &b), 0, "v6 in ignored prefix");
	ASSERT_EQ(fail_n(d, "2001:db8:2::5", 20, T0, &b), 0, "ignored v6 address");
	ASSERT_EQ(detector__tracked(d), 0, "ignored clients are not tracked");
	detector__stats(d, &st);
	ASSERT_EQ(st.ignored, 80, "ignored counted");
	ASSERT_EQ(st.failures, 0, "not as failures");

	/* Neighbours are not ignored. */
	ASSERT_EQ(fail_n(d, "198.51.100.10", 5, T0, &b), 1, "neighbour address banned");
	ASSERT_EQ(fail_n(d, "198.18.1.1", 5, T0, &b), 1, "next /24 banned");

	p = P("198.18.0.1");
	ASSERT_TRUE(detector__is_ignored(d, &p), "is_ignored address in prefix");
	p = P("198.18.0.128/25");
	ASSERT_TRUE(detector__is_ignored(d, &p), "is_ignored sub-prefix");
	p = P("198.18.0.0/16");
	ASSERT_FALSE(detector__is_ignored(d, &p), "a wider prefix is not ignored");
	p = P("2001:db8:1:2::/64");
	ASSERT_TRUE(detector__is_ignored(d, &p), "is_ignored v6");
	p = P("2001:db8:3::1");
	ASSERT_FALSE(detector__is_ignored(d, &p), "v6 elsewhere");
	detector__free(d);
}

static void test_loopback_and_host_ignored(void)
{
	static const char *const loop[] = { "127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1",
					    "0.0.0.0", "::" };
	struct detector *d = new_with(NULL);
	struct prefix host[64], p;
	struct ban_decision b;
	int n, i;
	size_t k;

	if (!d)
		return;
	for (k = 0; k < sizeof(loop) / sizeof(loop[0]); k++) {
		p = P(loop[k]);
		ASSERT_TRUE(detector__is_ignored(d, &p), loop[k]);
		ASSERT_EQ(fail_n(d, loop[k], 10, T0, &b), 0, loop[k]);
	}
	n = prefix__host_addresses(host, 64);
	ASSERT_GE(n, 1, "the host has addresses (lo at least)");
	for (i = 0; i < n; i++) {
		ASSERT_TRUE(detector__is_ignored(d, &host[i]), fmt(&host[i]));
		ASSERT_EQ(detector__failure(d, &host[i], "/", 1, T0, &b), 0, fmt(&host[i]));
	}
	ASSERT_EQ(detector__tracked(d), 0, "nothing tracked");
	detector__free(d);
}

static void test_ipv6_prefix(void)
{
	struct detector_opts o;
	struct detector *d = new_with(NULL);
	struct ban_decision b;
	char addr[64];
	int i;

	if (!d)
		return;
	/* Five addresses of one /64 add up to one ban of the /64. */
	for (i = 1; i <= 4; i++) {
		snprintf(addr, sizeof(addr), "2001:db8:a:b:%x::%x", i * 7, i);
		ASSERT_EQ(fail_at(d, addr, T0 + (uint64_t)i * SEC, &b), 0, "rotating in a /64");
	}
	ASSERT_EQ(fail_at(d, "2001:db8:a:b:ffff:ffff:ffff:ffff", T0 + 5 * SEC, &b), 1, "5th in /64");
	ASSERT_STREQ(fmt(&b.target), "2001:db8:a:b::/64", "the /64 is the target");
	ASSERT_EQ(detector__tracked(d), 1, "one entry for the /64");
	/* Another address of the banned /64 is banned already. */
	ASSERT_EQ(fail_n(d, "2001:db8:a:b::1234", 5, T0 + 6 * SEC, &b), 0, "same /64 banned");

	/* Different /64s do not add up. */
	for (i = 0; i < 10; i++) {
		snprintf(addr, sizeof(addr), "2001:db8:c:%x::1", i);
		ASSERT_EQ(fail_at(d, addr, T0 + (uint64_t)i * SEC, &b), 0, "distinct /64s");
	}
	ASSERT_EQ(detector__tracked(d), 11, "one entry per /64");
	detector__free(d);

	/* ipv6_prefix 48 and 128. */
	detector_opts__defaults(&o);
	o.ipv6_prefix = 48;
	d = new_with(&o);
	if (!d)
		return;
	ASSERT_EQ(fail_n(d, "2001:db8:d:1::1", 4, T0, &b), 0, "/48: 4");
	ASSERT_EQ(fail_at(d, "2001:db8:d:ffff::1", T0 + 4 * SEC, &b), 1, "/48: 5th elsewhere in it");
	ASSERT_STREQ(fmt(&b.target), "2001:db8:d::/48", "/48 target");
	detector__free(d);

	o.ipv6_prefix = 128;
	d = new_with(&o);
	if (!d)
		return;
	ASSERT_EQ(fail_n(d, "2001:db8:e::1", 4, T0, &b), 0, "/128: 4");
	ASSERT_EQ(fail_at(d, "2001:db8:e::2", T0 + 4 * SEC, &b), 0, "/128: other address");
	ASSERT_EQ(fail_at(d, "2001:db8:e::1", T0 + 5 * SEC, &b), 1, "/128: 5th");
	ASSERT_STREQ(fmt(&b.target), "2001:db8:e::1", "/128 target");
	/* IPv4 is per address whatever ipv6_prefix says. */
	ASSERT_EQ(fail_n(d, "198.18.0.1", 4, T0, &b), 0, "v4: 4");
	ASSERT_EQ(fail_at(d, "198.18.0.2", T0 + 4 * SEC, &b), 0, "v4: neighbour");
	detector__free(d);
}

/* A /64 that holds an ignored address is never banned whole: only the offender. */
static void test_ipv6_prefix_narrowed_by_ignore(void)
{
	struct detector *d = new_with(NULL);
	struct ban_decision b;
	struct prefix p = P("2001:db8:f:1::10");

	if (!d)
		return;
	ASSERT_OK(detector__ignore(d, &p), "ignore one host");
	ASSERT_EQ(fail_n(d, "2001:db8:f:1::99", 5, T0, &b), 1, "neighbour of ignored banned");
	ASSERT_STREQ(fmt(&b.target), "2001:db8:f:1::99", "by its own address");
	/* Other addresses of that /64 are tracked on their own. */
	ASSERT_EQ(fail_n(d, "2001:db8:f:1::98", 4, T0, &b), 0, "other address: 4");
	ASSERT_EQ(fail_at(d, "2001:db8:f:1::98", T0 + 4 * SEC, &b), 1, "other address: 5th");
	ASSERT_STREQ(fmt(&b.target), "2001:db8:f:1::98", "by its own address too");
	ASSERT_EQ(fail_n(d, "2001:db8:f:1::10", 9, T0, &b), 0, "the ignored one");
	/* The offence of the narrowed target is found from its address. */
	p = P("2001:db8:f:1::99");
	ASSERT_OK(detector__set_offences(d, &p, 4), "set_offences narrowed");
	detector__forget_ban(d, &p);
	ASSERT_EQ(fail_n(d, "2001:db8:f:1::99", 5, T0 + 10 * SEC, &b), 1, "banned again");
	ASSERT_EQ(b.offences, 4, "4 set, 1 taken back by forget_ban, 1 new");
	/* The /64 itself is no detector target: it would cover the ignored host. */
	p = P("2001:db8:f:1::/64");
	ASSERT_EQ(detector__set_offences(d, &p, 1), -EINVAL, "/64 over an ignored host");
	detector__free(d);
}

static void test_eviction_bound(void)
{
	struct detector_opts o;
	struct detector *d;
	struct detector_stats st;
	struct ban_decision b;
	struct prefix p = { .family = 4, .prefixlen = 32 };
	uint32_t i, ign = 0;
	bool within = true;

	detector_opts__defaults(&o);
	o.max_tracked = 100;
	d = new_with(&o);
	if (!d)
		return;
	/* A flood of 100,000 distinct addresses, all at the same time. */
	for (i = 0; i < 100000; i++) {
		uint32_t a = 0x0a000000 + i; /* 10.0.0.0/8 */

		p.addr[0] = a >> 24;
		p.addr[1] = a >> 16;
		p.addr[2] = a >> 8;
		p.addr[3] = a;
		/* The test host may own some 10/8 address: those are ignored. */
		ign += detector__is_ignored(d, &p);
		if (detector__failure(d, &p, "/", 1, T0, &b) != 0)
			within = TU_FAIL("flood", "failure %u did not return 0", i);
		if (detector__tracked(d) > 100)
			within = TU_FAIL("flood", "tracked %zu > 100", detector__tracked(d));
		if (!within)
			break;
	}
	ASSERT_EQ(detector__tracked(d), 100, "full");
	detector__stats(d, &st);
	ASSERT_EQ(st.evicted, 100000 - ign - 100, "evictions counted");
	ASSERT_EQ(st.failures, 100000 - ign, "failures");
	detector__free(d);

	/* IPv6: a flood of /64s too. */
	o.max_tracked = 50;
	d = new_with(&o);
	if (!d)
		return;
	p = P("2001:db8::1");
	for (i = 0; i < 5000; i++) {
		p.addr[4] = i >> 8;
		p.addr[5] = i;
		detector__failure(d, &p, "/", 1, T0, &b);
	}
	ASSERT_EQ(detector__tracked(d), 50, "v6 bounded");
	detector__stats(d, &st);
	ASSERT_EQ(st.evicted, 5000 - 50, "v6 evictions");
	detector__free(d);
}

static void test_lru_order(void)
{
	struct detector_opts o;
	struct detector *d;
	struct detector_stats st;
	struct ban_decision b;

	detector_opts__defaults(&o);
	o.max_tracked = 3;
	o.maxretry = 3;
	d = new_with(&o);
	if (!d)
		return;
	ASSERT_EQ(fail_at(d, "198.18.0.1", T0 + 1 * SEC, &b), 0, "A");
	ASSERT_EQ(fail_at(d, "198.18.0.2", T0 + 2 * SEC, &b), 0, "B");
	ASSERT_EQ(fail_at(d, "198.18.0.3", T0 + 3 * SEC, &b), 0, "C");
	ASSERT_EQ(fail_at(d, "198.18.0.1", T0 + 4 * SEC, &b), 0, "A seen again");
	/* D needs room: B is the least recently seen. */
	ASSERT_EQ(fail_at(d, "198.18.0.4", T0 + 5 * SEC, &b), 0, "D");
	detector__stats(d, &st);
	ASSERT_EQ(st.evicted, 1, "one eviction");
	ASSERT_EQ(detector__tracked(d), 3, "tracked");
	/* A kept its two failures: a third bans. */
	ASSERT_EQ(fail_at(d, "198.18.0.1", T0 + 6 * SEC, &b), 1, "A survived");
	/* B lost its first failure: two more do not reach 3. */
	ASSERT_EQ(fail_at(d, "198.18.0.2", T0 + 7 * SEC, &b), 0, "B again");
	ASSERT_EQ(fail_at(d, "198.18.0.2", T0 + 8 * SEC, &b), 0, "B was evicted");
	ASSERT_EQ(fail_at(d, "198.18.0.2", T0 + 9 * SEC, &b), 1, "B bans on its 3rd tracked");
	detector__free(d);
}

/* A flood of new addresses evicts plain windows first, not offence counts. */
static void test_offender_survives_flood(void)
{
	struct detector_opts o;
	struct detector *d;
	struct ban_decision b;
	struct prefix p = { .family = 4, .prefixlen = 32, .addr = { 10 } };
	uint64_t t = T0;
	int i;

	detector_opts__defaults(&o);
	o.max_tracked = 10;
	o.increment = true;
	d = new_with(&o);
	if (!d)
		return;
	if (!ban_round(d, "203.0.113.60", &t, &b))
		goto out;
	for (i = 0; i < 1000; i++) {
		p.addr[2] = i >> 8;
		p.addr[3] = i;
		detector__failure(d, &p, "/", 1, t, &b);
	}
	ASSERT_EQ(detector__tracked(d), 10, "bounded");
	if (!ban_round(d, "203.0.113.60", &t, &b))
		goto out;
	ASSERT_EQ(b.offences, 2, "offence history survived the flood");
	ASSERT_EQ(b.duration_ns, 20 * MIN, "so the ban escalated");
out:
	detector__free(d);
}

/* Entries whose failures all left the window and without bans go away. */
static void test_stale_entries_expire(void)
{
	struct detector *d = new_with(NULL);
	struct detector_stats st;
	struct ban_decision b;

	if (!d)
		return;
	fail_at(d, "198.18.0.10", T0, &b);
	fail_at(d, "198.18.0.11", T0, &b);
	fail_n(d, "198.18.0.12", 5, T0, &b); /* banned: has history, stays */
	ASSERT_EQ(detector__tracked(d), 3, "3 tracked");
	fail_at(d, "198.18.0.13", T0 + 11 * MIN, &b);
	detector__stats(d, &st);
	ASSERT_EQ(st.expired, 2, "2 stale dropped");
	ASSERT_EQ(detector__tracked(d), 2, "the banned one and the new one");
	detector__free(d);
}

static void test_reason(void)
{
	static const char *const urls[] = { "/admin", "/.env", "/wp-login.php", "/wp-login.php",
					    "/phpmyadmin/" };
	struct detector *d = new_with(NULL);
	struct ban_decision b;
	struct prefix p = P("198.51.100.20");
	int i, r = 0;

	if (!d)
		return;
	for (i = 0; i < 5; i++)
		r = detector__failure(d, &p, urls[i], strlen(urls[i]), T0 + (uint64_t)i * SEC, &b);
	ASSERT_EQ(r, 1, "ban");
	/* A URL repeated in a row is shown once. */
	ASSERT_STREQ(b.reason, "5 failures in 10m0s: /admin /.env /wp-login.php /phpmyadmin/",
		     "reason");

	/* Many long URLs: the newest are kept, each whole or ending in "...". */
	p = P("198.51.100.21");
	for (i = 0; i < 5; i++) {
		char u[80];

		snprintf(u, sizeof(u), "/%d/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", i);
		r = detector__failure(d, &p, u, strlen(u), T0 + (uint64_t)i * SEC, &b);
	}
	ASSERT_EQ(r, 1, "ban");
	ASSERT_STREQ(b.reason, "5 failures in 10m0s: /4/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...",
		     "long URL cut");

	/* No URL at all. */
	p = P("198.51.100.22");
	for (i = 0; i < 5; i++)
		r = detector__failure(d, &p, NULL, 0, T0 + (uint64_t)i * SEC, &b);
	ASSERT_EQ(r, 1, "ban");
	ASSERT_STREQ(b.reason, "5 failures in 10m0s", "no URLs");
	ASSERT_EQ(detector__failure(d, &p, NULL, 3, T0, &b), -EINVAL, "NULL url with a length");
	detector__free(d);
}

static bool printable(const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	if (n == max)
		return false; /* not terminated */
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			return false;
	return true;
}

static void test_hostile_urls(void)
{
	static const struct {
		const char *url;
		size_t len;
		const char *shown;
	} cases[] = {
		{ "/a\"b", 4, "/a\\x22b" },
		{ "/a'b`c", 6, "/a\\x27b\\x60c" },
		{ "/x\r\nSet-Cookie: y", 17, "/x\\x0d\\x0aSet-Cookie:\\x20y" },
		{ "/nul\0after", 10, "/nul\\x00after" },
		{ "/\xff\xfe\x80", 4, "/\\xff\\xfe\\x80" },
		{ "/back\\slash", 11, "/back\\x5cslash" },
		{ "/\x1b[31mred", 9, "/\\x1b[31mred" },
		{ "/\x7f", 2, "/\\x7f" },
	};
	struct detector_opts o;
	struct detector *d;
	struct ban_decision b;
	struct prefix p = P("198.51.100.30");
	char want[160], *big;
	size_t i;
	int r, bans = 0;

	detector_opts__defaults(&o);
	o.maxretry = 1; /* every failure bans: each reason shows one URL */
	d = new_with(&o);
	if (!d)
		return;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		p.addr[3] = (uint8_t)(30 + i);
		r = detector__failure(d, &p, cases[i].url, cases[i].len, T0, &b);
		if (!ASSERT_EQ(r, 1, cases[i].shown))
			continue;
		snprintf(want, sizeof(want), "1 failures in 10m0s: %s", cases[i].shown);
		ASSERT_STREQ(b.reason, want, cases[i].shown);
		ASSERT_TRUE(printable(b.reason, sizeof(b.reason)), cases[i].shown);
	}

	/* Every byte value, in long random URLs: always printable, bounded, no quotes. */
	big = malloc(1 << 20);
	if (!ASSERT_NOT_NULL(big, "malloc"))
		goto out;
	srand(42);
	for (i = 0; i < (1 << 20); i++)
		big[i] = (char)(rand() & 0xff);
	o.maxretry = 5;
	detector__free(d);
	d = new_with(&o);
	if (!d)
		goto out;
	for (i = 0; i < 2000; i++) {
		size_t off = (size_t)rand() % (1 << 19), len = (size_t)rand() % (1 << 19);

		p.addr[2] = (uint8_t)(i / 5 >> 8);
		p.addr[3] = (uint8_t)(i / 5);
		r = detector__failure(d, &p, big + off, len, T0 + i % 5, &b);
		if (r == 1) {
			bans++;
			if (!printable(b.reason, sizeof(b.reason)) || strchr(b.reason, '"') ||
			    strchr(b.reason, '\''))
				TU_FAIL("random", "reason not clean: %s", b.reason);
		}
	}
	ASSERT_EQ(bans, 400, "a ban every 5 failures");
	free(big);
out:
	detector__free(d);
}

static void test_forget_ban(void)
{
	struct detector *d = new_with(NULL);
	struct ban_decision b;
	struct prefix a = P("198.51.100.40");
	uint64_t t = T0;

	if (!d)
		return;
	/* Failed to apply: taken back, and the next ban is a first offence again. */
	ASSERT_EQ(fail_n(d, "198.51.100.40", 5, t, &b), 1, "ban");
	detector__forget_ban(d, &b.target);
	ASSERT_EQ(fail_n(d, "198.51.100.40", 4, t + 10 * SEC, &b), 0, "window restarted");
	ASSERT_EQ(fail_at(d, "198.51.100.40", t + 14 * SEC, &b), 1, "banned again at once");
	ASSERT_EQ(b.offences, 1, "offence taken back");
	/* Forgetting twice takes back one ban only. */
	detector__forget_ban(d, &a);
	detector__forget_ban(d, &a);
	ASSERT_EQ(fail_n(d, "198.51.100.40", 5, t + 20 * SEC, &b), 1, "ban");
	ASSERT_EQ(b.offences, 1, "not below 0");
	/* After expiry forget_ban changes nothing. */
	t += 20 * SEC + 4 * SEC + 10 * MIN + SEC;
	ASSERT_EQ(fail_n(d, "198.51.100.40", 5, t, &b), 1, "second offence");
	ASSERT_EQ(b.offences, 2, "offences 2");
	t += 4 * SEC + 10 * MIN + SEC;
	fail_at(d, "198.51.100.41", t, &b); /* moves the clock past the ban */
	detector__forget_ban(d, &a);
	ASSERT_EQ(fail_n(d, "198.51.100.40", 5, t, &b), 1, "third offence");
	ASSERT_EQ(b.offences, 3, "expired ban not taken back");
	/* Unknown targets and odd shapes are ignored. */
	detector__forget_ban(d, &(struct prefix){ .family = 4, .prefixlen = 24 });
	detector__forget_ban(d, NULL);
	/* detector__forget drops everything. */
	detector__forget(d, &a);
	ASSERT_EQ(fail_n(d, "198.51.100.40", 5, t + 10 * SEC, &b), 1, "forgotten: banned anew");
	ASSERT_EQ(b.offences, 1, "history gone");
	detector__free(d);
}

static void test_set_offences(void)
{
	struct detector_opts o;
	struct detector *d;
	struct ban_decision b;
	struct prefix p;
	uint64_t t = T0;

	detector_opts__defaults(&o);
	o.increment = true;
	d = new_with(&o);
	if (!d)
		return;
	p = P("203.0.113.70");
	ASSERT_OK(detector__set_offences(d, &p, 3), "seed 3");
	ASSERT_EQ(detector__tracked(d), 1, "tracked");
	if (ban_round(d, "203.0.113.70", &t, &b)) {
		ASSERT_EQ(b.offences, 4, "4th offence");
		ASSERT_EQ(b.duration_ns, 80 * MIN, "10m * 2^3");
	}
	/* IPv6: the /64 target, or any address in it. */
	p = P("2001:db8:70::/64");
	ASSERT_OK(detector__set_offences(d, &p, 1), "seed /64");
	if (ban_round(d, "2001:db8:70::abcd", &t, &b)) {
		ASSERT_EQ(b.offences, 2, "/64 second offence");
		ASSERT_EQ(b.duration_ns, 20 * MIN, "20m");
	}
	p = P("2001:db8:71::5");
	ASSERT_OK(detector__set_offences(d, &p, 2), "seed from an address");
	if (ban_round(d, "2001:db8:71::6", &t, &b))
		ASSERT_EQ(b.offences, 3, "address seeds its /64");
	/* Shapes the detector never bans. */
	p = P("198.18.0.0/24");
	ASSERT_EQ(detector__set_offences(d, &p, 2), -EINVAL, "v4 prefix");
	p = P("2001:db8::/48");
	ASSERT_EQ(detector__set_offences(d, &p, 2), -EINVAL, "v6 shorter than ipv6_prefix");
	p = P("127.0.0.1");
	ASSERT_EQ(detector__set_offences(d, &p, 2), -EINVAL, "ignored address");
	ASSERT_EQ(detector__set_offences(d, NULL, 2), -EINVAL, "NULL");
	/* 0 for an unknown target creates nothing. */
	p = P("203.0.113.99");
	ASSERT_OK(detector__set_offences(d, &p, 0), "seed 0");
	ASSERT_EQ(detector__tracked(d), 3, "nothing new tracked");

	/* restore_ban: a ban that still runs in the kernel is not decided again. */
	p = P("203.0.113.80");
	ASSERT_OK(detector__restore_ban(d, &p, 2, t + 30 * MIN, false), "restore");
	ASSERT_EQ(fail_n(d, "203.0.113.80", 10, t, &b), 0, "restored ban holds");
	if (ban_round(d, "203.0.113.80", &(uint64_t){ t + 30 * MIN }, &b)) {
		ASSERT_EQ(b.offences, 3, "after the restored ban");
		ASSERT_EQ(b.duration_ns, 40 * MIN, "40m");
	}
	p = P("203.0.113.81");
	ASSERT_OK(detector__restore_ban(d, &p, 1, 0, true), "restore permanent");
	ASSERT_EQ(fail_n(d, "203.0.113.81", 10, t + 365 * 86400 * SEC, &b), 0, "permanent holds");
	detector__free(d);
}

static void test_bad_arguments(void)
{
	struct detector *d = new_with(NULL);
	struct ban_decision b;
	struct prefix p;

	if (!d)
		return;
	p = P("198.18.0.0/24");
	ASSERT_EQ(detector__failure(d, &p, "/", 1, T0, &b), -EINVAL, "client is a prefix");
	p = P("2001:db8::/64");
	ASSERT_EQ(detector__failure(d, &p, "/", 1, T0, &b), -EINVAL, "v6 client is a prefix");
	p = (struct prefix){ .family = 0 };
	ASSERT_EQ(detector__failure(d, &p, "/", 1, T0, &b), -EINVAL, "family 0");
	p = (struct prefix){ .family = 4, .prefixlen = 40 };
	ASSERT_EQ(detector__failure(d, &p, "/", 1, T0, &b), -EINVAL, "length 40");
	p = P("198.18.0.1");
	ASSERT_EQ(detector__failure(d, &p, "/", 1, T0, NULL), -EINVAL, "no out");
	ASSERT_EQ(detector__failure(NULL, &p, "/", 1, T0, &b), -EINVAL, "no detector");
	ASSERT_EQ(detector__tracked(d), 0, "nothing tracked");
	/* Time going back is taken as the latest time: no underflow, no ban from the past. */
	ASSERT_EQ(fail_n(d, "198.18.0.1", 4, T0 + 100 * SEC, &b), 0, "4");
	ASSERT_EQ(fail_at(d, "198.18.0.1", T0, &b), 1, "5th with an older clock still counts now");
	detector__free(d);
}

int main(void)
{
	RUN_TEST(test_environment);
	RUN_TEST(test_defaults);
	RUN_TEST(test_validation);
	RUN_TEST(test_window_slides);
	RUN_TEST(test_increment_ladder);
	RUN_TEST(test_no_increment_counts_offences);
	RUN_TEST(test_factor);
	RUN_TEST(test_permanent);
	RUN_TEST(test_reban_after_expiry);
	RUN_TEST(test_ignoreip);
	RUN_TEST(test_loopback_and_host_ignored);
	RUN_TEST(test_ipv6_prefix);
	RUN_TEST(test_ipv6_prefix_narrowed_by_ignore);
	RUN_TEST(test_eviction_bound);
	RUN_TEST(test_lru_order);
	RUN_TEST(test_offender_survives_flood);
	RUN_TEST(test_stale_entries_expire);
	RUN_TEST(test_reason);
	RUN_TEST(test_hostile_urls);
	RUN_TEST(test_forget_ban);
	RUN_TEST(test_set_offences);
	RUN_TEST(test_bad_arguments);
	return TEST_EXIT();
}
