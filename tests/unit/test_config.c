// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* test_config.c - settings: defaults, every key, files, errors with FILE:LINE, CLI overrides. */
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "claims.h"
#include "cli.h"
#include "config.h"
#include "timeutil.h"
#include "testutil.h"

#define SEC NSEC_PER_SEC

static char tmpdir[] = "/tmp/warden-test-config.XXXXXX";
static const char *datadir;

/* tests/data/config, from the top of the tree (tests/run.sh) or next to the binary. */
static void find_datadir(const char *argv0)
{
	static char buf[4096];
	const char *slash = strrchr(argv0, '/');

	datadir = "tests/data/config";
	if (!access("tests/data/config/full.ini", R_OK) || !slash)
		return;
	/* build/tests/unit/test_config -> ../../../tests/data/config */
	snprintf(buf, sizeof(buf), "%.*s/../../../tests/data/config", (int)(slash - argv0), argv0);
	datadir = buf;
}

static const char *data(const char *name)
{
	static char buf[4200];

	snprintf(buf, sizeof(buf), "%s/%s", datadir, name);
	return buf;
}

/* Write text (len bytes) to a file in tmpdir; returns its path (static buffer). */
static const char *write_file(const char *name, const char *text, size_t len)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	if (!f || fwrite(text, 1, len, f) != len)
		TU_FAIL("write_file", "cannot write %s", path);
	if (f)
		fclose(f);
	return path;
}

static bool starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

static void test_defaults(void)
{
	struct warden_config c;
	struct detector_opts o;
	char err[256];

	config__defaults(&c);
	detector_opts__defaults(&o);
	ASSERT_STREQ(c.pin_path, WARDEN_DEFAULT_PIN_PATH, "pin_path");
	ASSERT_STREQ(c.pin_path, "/sys/fs/bpf/warden", "pin_path value");
	ASSERT_EQ(c.n_ifaces, 0, "no iface");
	ASSERT_STREQ(c.xdp_mode, "auto", "xdp_mode");
	ASSERT_FALSE(c.dry_run, "dry_run");
	ASSERT_FALSE(c.log_json, "log_json");
	ASSERT_STREQ(c.app, "", "app");
	ASSERT_STREQ(c.log_format, "auto", "log_format");
	ASSERT_STREQ(c.log_regex, "", "log_regex");
	ASSERT_STREQ(c.http, "127.0.0.1:9470", "http");
	ASSERT_STREQ(c.state_dir, "/var/lib/warden", "state_dir");
	ASSERT_TRUE(!memcmp(&c.jail, &o, sizeof(o)), "jail = detector defaults");
	ASSERT_EQ(c.jail.maxretry, 5, "maxretry");
	ASSERT_EQ(c.jail.findtime_ns, 600 * SEC, "findtime");
	ASSERT_EQ(c.jail.bantime_ns, 600 * SEC, "bantime");
	ASSERT_EQ(c.n_ignore, 0, "ignoreip");
	ASSERT_EQ(c.n_fail_status, 0, "fail_status");
	ASSERT_OK(config__check(&c, err, sizeof(err)), "defaults pass the checks");
	config__free(&c);
	config__free(NULL);
}

/* A valid value for each key, to check that every listed key is accepted. */
static const struct {
	const char *key, *value;
} samples[] = {
	{ "warden.pin_path", "/sys/fs/bpf/w2" },
	{ "warden.iface", "eth0" },
	{ "warden.xdp_mode", "generic" },
	{ "warden.dry_run", "true" },
	{ "warden.log_json", "true" },
	{ "warden.app", "app.py" },
	{ "warden.log_format", "combined" },
	{ "warden.log_regex", "^(?P<client>\\S+)" },
	{ "warden.http", "off" },
	{ "warden.state_dir", "/tmp/w" },
	{ "warden.log_stream", "stderr" },
	{ "warden.control", "/run/w.sock" },
	{ "warden.http_token_file", "/etc/warden/token" },
	{ "warden.real_ip_from", "127.0.0.1 ::1 192.0.2.0/24" },
	{ "warden.real_ip_field", "last" },
	{ "warden.follow", "/var/log/containers/*.log" },
	{ "warden.backfill", "yes" },
	{ "warden.restart", "always" },
	{ "warden.restart_max_delay", "5s" },
	{ "warden.restart_reset", "1m" },
	{ "warden.max_restarts", "3" },
	{ "warden.restart_window", "1m" },
	{ "warden.stop_timeout", "2s" },
	{ "warden.start_seconds", "3s" },
	{ "warden.start_retries", "2" },
	{ "warden.user", "nobody:nogroup" },
	{ "warden.resolve_interval", "1m" },
	{ "warden.watcher", "tracepoint" },
	{ "warden.hang_timeout", "5s" },
	{ "warden.hang_exempt", "/events/<int:id>" },
	{ "warden.slow_threshold", "500ms" },
	{ "warden.retention", "7d" },
	{ "warden.routes_from", "flask" },
	{ "warden.extra_routes", "GET,POST /hook/<token>" },
	{ "warden.python", "/srv/app/venv/bin/python" },
	{ "warden.analytics", "off" },
	{ "warden.fleet", "redis://edge:pw@127.0.0.1:6379/1" },
	{ "warden.fleet_prefix", "shop" },
	{ "warden.fleet_password_file", "/etc/warden/fleet.pw" },
	{ "warden.fleet_name", "edge-1" },
	{ "warden.fleet_rate", "120" },
	{ "warden.fleet_min_prefix4", "24" },
	{ "warden.fleet_min_prefix6", "48" },
	{ "jail.maxretry", "3" },
	{ "jail.findtime", "1m" },
	{ "jail.bantime", "1h" },
	{ "jail.bantime.increment", "yes" },
	{ "jail.bantime.factor", "2" },
	{ "jail.bantime.maxtime", "1d" },
	{ "jail.ipv6_prefix", "48" },
	{ "jail.max_tracked", "10" },
	{ "jail.ignoreip", "192.0.2.1" },
	{ "jail.fail_status", "401" },
	{ "jail.priority", "198.51.100.0/24 peer.example" },
	{ "jail.throttle_conn_rate", "20/s" },
	{ "jail.throttle_conn_burst", "40" },
	{ "jail.throttle_pkt_rate", "1000/s" },
	{ "jail.throttle_pkt_burst", "2000" },
	{ "jail.throttle_ipv6_prefix", "56" },
	{ "jail.throttle_maxretry", "30" },
};

static void test_keys_list(void)
{
	const char *const *k = config__keys();
	struct warden_config c;
	char section[16], err[256];
	size_t n, i;

	config__defaults(&c);
	for (n = 0; k[n]; n++) {
		const char *dot = strchr(k[n], '.');
		bool found = false;

		if (!ASSERT_NOT_NULL(dot, k[n]))
			continue;
		ASSERT_TRUE(starts_with(k[n], "warden.") || starts_with(k[n], "jail."), k[n]);
		snprintf(section, sizeof(section), "%.*s", (int)(dot - k[n]), k[n]);
		for (i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
			if (strcmp(samples[i].key, k[n]))
				continue;
			found = true;
			/* Each listed key is accepted in its section, and without one. */
			ASSERT_OK(config__set(&c, section, dot + 1, samples[i].value, err, sizeof(err)),
				  k[n]);
			ASSERT_OK(config__set(&c, NULL, dot + 1, samples[i].value, err, sizeof(err)),
				  k[n]);
		}
		if (!found)
			TU_FAIL("keys", "no sample value for %s: add one to this test", k[n]);
	}
	ASSERT_EQ(n, sizeof(samples) / sizeof(samples[0]), "every sample is a listed key");
	config__free(&c);
}

/* routes_from and extra_routes: the values of issue 14. */
static void test_routes_settings(void)
{
	struct warden_config c;
	char err[256];

	config__defaults(&c);
	ASSERT_STREQ(c.routes_from, "source", "static by default");
	ASSERT_ERR(config__set(&c, "warden", "routes_from", "django", err, sizeof(err)), "bad way");
	ASSERT_OK(config__set(&c, "warden", "extra_routes", "/plain", err, sizeof(err)), "rule alone");
	ASSERT_OK(config__set(&c, "warden", "extra_routes", "GET,POST /a/<any(x, y):v>", err, sizeof(err)),
		  "methods and a rule with blanks");
	ASSERT_ERR(config__set(&c, "warden", "extra_routes", "relative", err, sizeof(err)), "no slash");
	ASSERT_ERR(config__set(&c, "warden", "extra_routes", "GE?T /x", err, sizeof(err)), "bad method");
	ASSERT_EQ(c.n_extra_routes, 2, "bad values change nothing");
	ASSERT_STREQ(c.extra_routes[1], "GET,POST /a/<any(x, y):v>", "kept whole");
	ASSERT_OK(config__set(&c, "warden", "extra_routes", "", err, sizeof(err)), "empty clears");
	ASSERT_EQ(c.n_extra_routes, 0, "cleared");
	config__free(&c);
}

static int set(struct warden_config *c, const char *key, const char *value)
{
	char err[256];
	int r = config__set(c, NULL, key, value, err, sizeof(err));

	if (r)
		TU_FAIL(key, "config__set(%s, %s) = %d: %s", key, value, r, err);
	return r;
}

static void test_every_key(void)
{
	static const char *const truths[] = { "true", "TRUE", "yes", "Yes", "on", "1" };
	static const char *const lies[] = { "false", "False", "no", "NO", "off", "0" };
	struct warden_config c;
	char text[PREFIX_STRLEN], err[256];
	size_t i;

	config__defaults(&c);
	ASSERT_TRUE(c.analytics, "analytics on by default");
	set(&c, "analytics", "off");
	ASSERT_FALSE(c.analytics, "analytics off");
	ASSERT_ERR(config__set(&c, NULL, "analytics", "sometimes", err, sizeof(err)), "analytics: bad value");
	ASSERT_FALSE(c.analytics, "a bad value changes nothing");
	set(&c, "analytics", "on");
	ASSERT_TRUE(c.analytics, "analytics on");
	set(&c, "pin_path", "/sys/fs/bpf/other");
	ASSERT_STREQ(c.pin_path, "/sys/fs/bpf/other", "pin_path");
	set(&c, "iface", "eth0, eth1 eth2,eth3");
	ASSERT_EQ(c.n_ifaces, 4, "4 interfaces");
	ASSERT_STREQ(c.ifaces[0], "eth0", "iface 0");
	ASSERT_STREQ(c.ifaces[3], "eth3", "iface 3");
	set(&c, "xdp_mode", "Native");
	ASSERT_STREQ(c.xdp_mode, "native", "xdp_mode canonical");
	for (i = 0; i < 6; i++) {
		c.dry_run = false;
		set(&c, "dry_run", truths[i]);
		ASSERT_TRUE(c.dry_run, truths[i]);
		set(&c, "log_json", truths[i]);
		ASSERT_TRUE(c.log_json, truths[i]);
		set(&c, "dry_run", lies[i]);
		ASSERT_FALSE(c.dry_run, lies[i]);
		set(&c, "log_json", lies[i]);
		ASSERT_FALSE(c.log_json, lies[i]);
	}
	set(&c, "app", "/srv/flask/app.py");
	ASSERT_STREQ(c.app, "/srv/flask/app.py", "app");
	set(&c, "app", "");
	ASSERT_STREQ(c.app, "", "app back to automatic");
	set(&c, "log_format", "werkzeug");
	ASSERT_STREQ(c.log_format, "werkzeug", "log_format");
	set(&c, "log_format", "COMMON");
	ASSERT_STREQ(c.log_format, "common", "log_format canonical");
	set(&c, "log_regex", "^(?P<client>\\S+) \"(?P<request>[^\"]*)\"");
	ASSERT_STREQ(c.log_regex, "^(?P<client>\\S+) \"(?P<request>[^\"]*)\"", "log_regex");
	set(&c, "http", "0.0.0.0:8080");
	ASSERT_STREQ(c.http, "0.0.0.0:8080", "http v4");
	set(&c, "http", "[::1]:9470");
	ASSERT_STREQ(c.http, "[::1]:9470", "http v6");
	set(&c, "http", "localhost:1");
	ASSERT_STREQ(c.http, "localhost:1", "http localhost");
	set(&c, "http", "OFF");
	ASSERT_STREQ(c.http, "off", "http off");
	set(&c, "state_dir", "/run/warden");
	ASSERT_STREQ(c.state_dir, "/run/warden", "state_dir");

	set(&c, "maxretry", "1");
	ASSERT_EQ(c.jail.maxretry, 1, "maxretry 1");
	set(&c, "maxretry", "1000");
	ASSERT_EQ(c.jail.maxretry, 1000, "maxretry 1000");
	set(&c, "findtime", "600");
	ASSERT_EQ(c.jail.findtime_ns, 600 * SEC, "findtime bare seconds");
	set(&c, "findtime", "1h30m");
	ASSERT_EQ(c.jail.findtime_ns, 5400 * SEC, "findtime 1h30m");
	set(&c, "bantime", "-1");
	ASSERT_TRUE(c.jail.bantime_permanent, "bantime -1 is permanent");
	set(&c, "bantime", "2d");
	ASSERT_FALSE(c.jail.bantime_permanent, "bantime 2d not permanent");
	ASSERT_EQ(c.jail.bantime_ns, 2 * 86400 * SEC, "bantime 2d");
	set(&c, "bantime", "permanent");
	ASSERT_TRUE(c.jail.bantime_permanent, "bantime permanent");
	ASSERT_EQ(c.jail.bantime_ns, 2 * 86400 * SEC, "bantime kept underneath");
	set(&c, "bantime", "-1s");
	ASSERT_TRUE(c.jail.bantime_permanent, "bantime -1s");
	set(&c, "bantime", "10m");
	set(&c, "bantime.increment", "true");
	ASSERT_TRUE(c.jail.increment, "increment");
	set(&c, "bantime.factor", "0.5");
	ASSERT_TRUE(c.jail.factor == 0.5, "factor 0.5");
	set(&c, "bantime.factor", "3");
	ASSERT_TRUE(c.jail.factor == 3.0, "factor 3");
	set(&c, "bantime.maxtime", "5w");
	ASSERT_EQ(c.jail.maxtime_ns, 5 * 604800 * SEC, "maxtime");
	set(&c, "bantime.maxtime", "0");
	ASSERT_EQ(c.jail.maxtime_ns, 0, "maxtime 0: no cap");
	set(&c, "ipv6_prefix", "128");
	ASSERT_EQ(c.jail.ipv6_prefix, 128, "ipv6_prefix 128");
	set(&c, "ipv6prefix", "/56");
	ASSERT_EQ(c.jail.ipv6_prefix, 56, "alias ipv6prefix, /56");
	set(&c, "max_tracked", "100000000");
	ASSERT_EQ(c.jail.max_tracked, 100000000, "max_tracked max");
	set(&c, "ignoreip", "192.0.2.0/24, 2001:db8::/32 198.51.100.7 ::ffff:10.0.0.1");
	ASSERT_EQ(c.n_ignore, 4, "4 ignored");
	ASSERT_STREQ(prefix__format(&c.ignore[0], text, sizeof(text)), "192.0.2.0/24", "ignore 0");
	ASSERT_STREQ(prefix__format(&c.ignore[1], text, sizeof(text)), "2001:db8::/32", "ignore 1");
	ASSERT_STREQ(prefix__format(&c.ignore[3], text, sizeof(text)), "10.0.0.1", "mapped is v4");
	set(&c, "fail_status", "401,403 429");
	ASSERT_EQ(c.n_fail_status, 3, "3 statuses");
	ASSERT_EQ(c.fail_status[2], 429, "429");

	/* Key spellings: any case, '-' for '_', blanks around the value. */
	set(&c, "MaxRetry", "  7\t");
	ASSERT_EQ(c.jail.maxretry, 7, "MaxRetry");
	set(&c, "dry-run", "yes");
	ASSERT_TRUE(c.dry_run, "dry-run");
	ASSERT_EQ(config__set(&c, NULL, "bantime-increment", "no", err, sizeof(err)), -EINVAL,
		  "the dot of bantime.increment is no '_'");
	ASSERT_OK(config__set(&c, "jail", "maxretry", "9", err, sizeof(err)), "section jail");
	ASSERT_OK(config__set(&c, "warden", "xdp_mode", "auto", err, sizeof(err)), "section warden");
	ASSERT_OK(config__check(&c, err, sizeof(err)), "still consistent");
	config__free(&c);
}

static void test_bad_values(void)
{
	static const struct {
		const char *section, *key, *value, *mention;
	} cases[] = {
		{ NULL, "maxretry", "0", "maxretry" },
		{ NULL, "maxretry", "-1", "maxretry" },
		{ NULL, "maxretry", "abc", "'abc'" },
		{ NULL, "maxretry", "1001", "1..1000" },
		{ NULL, "maxretry", "5x", "maxretry" },
		{ NULL, "maxretry", "0x5", "maxretry" },
		{ NULL, "maxretry", "99999999999999999999999", "maxretry" },
		{ NULL, "maxretry", "", "maxretry" },
		{ NULL, "findtime", "0", "findtime" },
		{ NULL, "findtime", "-5", "findtime" },
		{ NULL, "findtime", "10 fortnights", "findtime" },
		{ NULL, "bantime", "0", "bantime" },
		{ NULL, "bantime", "forever", "forever" },
		{ NULL, "bantime", "-", "bantime" },
		{ NULL, "bantime", "-x", "bantime" },
		{ NULL, "bantime.factor", "0", "bantime.factor" },
		{ NULL, "bantime.factor", "-1", "bantime.factor" },
		{ NULL, "bantime.factor", "nan", "bantime.factor" },
		{ NULL, "bantime.factor", "inf", "bantime.factor" },
		{ NULL, "bantime.factor", "1e3", "bantime.factor" },
		{ NULL, "bantime.factor", "1.2.3", "bantime.factor" },
		{ NULL, "bantime.factor", "2000000", "bantime.factor" },
		{ NULL, "bantime.maxtime", "soon", "bantime.maxtime" },
		{ NULL, "bantime.increment", "maybe", "boolean" },
		{ NULL, "ipv6_prefix", "0", "1..128" },
		{ NULL, "ipv6_prefix", "129", "1..128" },
		{ NULL, "ipv6prefix", "64.5", "ipv6_prefix" },
		{ NULL, "max_tracked", "0", "max_tracked" },
		{ NULL, "max_tracked", "100000001", "max_tracked" },
		{ NULL, "ignoreip", "300.1.1.1", "300.1.1.1" },
		{ NULL, "ignoreip", "10.0.0.0/33", "prefix length" },
		{ NULL, "ignoreip", "10.0.0.1/33", "prefix length must be 0..32" },
		{ NULL, "ignoreip", "exa_mple.com", "exa_mple.com" },
		{ NULL, "ignoreip", "192.0.2.1 b@d", "b@d" },
		{ NULL, "ignoreip", "-bad.example", "host name" },
		{ NULL, "ignoreip", "host.example/24", "host.example/24" },
		{ NULL, "priority", "300.1.1.1", "300.1.1.1" },
		{ NULL, "throttle_conn_rate", "fast", "rate" },
		{ NULL, "throttle_conn_rate", "5/d", "rate" },
		{ NULL, "throttle_pkt_burst", "0", "1..100000000" },
		{ NULL, "throttle_ipv6_prefix", "129", "1..128" },
		{ NULL, "throttle_maxretry", "1001", "0..1000" },
		{ NULL, "resolve_interval", "soon", "duration" },
		{ NULL, "fail_status", "99", "99" },
		{ NULL, "fail_status", "600", "600" },
		{ NULL, "fail_status", "401,x", "'x'" },
		{ NULL, "iface", "a/b", "interface name" },
		{ NULL, "iface", "this-is-too-long0", "interface name" },
		{ NULL, "iface", "..", "interface name" },
		{ NULL, "iface", "eth0:1", "interface name" },
		{ NULL, "iface", "eth0 bad/name", "bad/name" },
		{ NULL, "xdp_mode", "skb", "auto, native, generic" },
		{ NULL, "log_format", "json", "werkzeug" },
		{ NULL, "http", "1.2.3.4", "ADDR:PORT" },
		{ NULL, "http", "1.2.3.4:0", "ADDR:PORT" },
		{ NULL, "http", "1.2.3.4:70000", "ADDR:PORT" },
		{ NULL, "http", "example.com:80", "example.com" },
		{ NULL, "http", "[::1:80", "]" },
		{ NULL, "http", "[nope]:80", "IPv6" },
		{ NULL, "http", ":80", "missing" },
		{ NULL, "pin_path", "relative/path", "absolute" },
		{ NULL, "state_dir", "var/lib", "absolute" },
		{ NULL, "dry_run", "2", "boolean" },
		{ NULL, "log_json", "", "boolean" },
		{ NULL, "app", "/srv/a\x01pp.py", "control character" },
		{ NULL, "app", "/srv/a\npp.py", "control character" },
		{ NULL, "foo", "1", "unknown key 'foo'" },
		{ "jail", "foo", "1", "unknown key 'foo' in [jail]" },
		{ "warden", "maxretry", "3", "belongs in [jail]" },
		{ "jail", "iface", "eth0", "belongs in [warden]" },
		{ "DEFAULT", "maxretry", "3", "unknown section [DEFAULT]" },
		{ NULL, "bantime.rndtime", "5m", "fail2ban setting" },
		{ NULL, "enabled", "true", "fail2ban setting" },
		{ NULL, "maxretry\x1b[2J", "3", "unknown key 'maxretry\\x1b[2J'" },
	};
	struct warden_config c, snap;
	char err[512], long_regex[2000];
	size_t i;

	config__defaults(&c);
	set(&c, "iface", "eth0");
	set(&c, "ignoreip", "203.0.113.1");
	set(&c, "fail_status", "401");
	snap = c;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char name[128];

		snprintf(name, sizeof(name), "%s = '%s'", cases[i].key, cases[i].value);
		err[0] = '\0';
		ASSERT_EQ(config__set(&c, cases[i].section, cases[i].key, cases[i].value, err,
				      sizeof(err)), -EINVAL, name);
		if (!strstr(err, cases[i].mention))
			TU_FAIL(name, "error '%s' does not mention '%s'", err, cases[i].mention);
		for (const char *p = err; *p; p++)
			if (*p < 0x20 || *p > 0x7e)
				TU_FAIL(name, "error message not printable: %s", err);
		if (memcmp(&c, &snap, sizeof(c)))
			TU_FAIL(name, "the config changed");
	}
	/* Too long for its field. */
	memset(long_regex, 'a', sizeof(long_regex) - 1);
	long_regex[sizeof(long_regex) - 1] = '\0';
	ASSERT_EQ(config__set(&c, NULL, "log_regex", long_regex, err, sizeof(err)), -EINVAL,
		  "log_regex too long");
	ASSERT_TRUE(strstr(err, "longer than 1023") != NULL, err);
	long_regex[300] = '\0';
	ASSERT_EQ(config__set(&c, NULL, "pin_path", long_regex, err, sizeof(err)), -EINVAL,
		  "pin_path too long");
	ASSERT_EQ(config__set(&c, NULL, NULL, "1", err, sizeof(err)), -EINVAL, "NULL key");
	ASSERT_EQ(config__set(&c, NULL, "maxretry", NULL, err, sizeof(err)), -EINVAL, "NULL value");
	ASSERT_TRUE(!memcmp(&c, &snap, sizeof(c)), "unchanged after all refusals");
	/* fail2ban's ignoreip = 127.0.0.1/8: the network it lies in, with a note. */
	ASSERT_OK(config__set(&c, NULL, "ignoreip", "10.0.0.1/8 2001:db8::/64", err, sizeof(err)),
		  "ignoreip with host bits");
	ASSERT_EQ(c.n_notes, 1, "one note for the one entry with host bits");
	ASSERT_TRUE(strstr(c.notes[0], "'10.0.0.1/8'") && strstr(c.notes[0], "10.0.0.0/8"),
		    c.notes[0]);
	{
		char buf[PREFIX_STRLEN];

		ASSERT_STREQ(prefix__format(&c.ignore[c.n_ignore - 2], buf, sizeof(buf)),
			     "10.0.0.0/8", "taken as the network");
	}
	/* A NULL or tiny error buffer is fine. */
	ASSERT_EQ(config__set(&c, NULL, "maxretry", "0", NULL, 0), -EINVAL, "no err buffer");
	ASSERT_EQ(config__set(&c, NULL, "maxretry", "0", err, 1), -EINVAL, "err of 1 byte");
	ASSERT_EQ(err[0], '\0', "terminated");
	config__free(&c);
}

/* ignoreip and priority take host names too, kept apart from the addresses. */
static void test_host_names(void)
{
	struct warden_config c;
	struct throttle_limits l;

	config__defaults(&c);
	ASSERT_EQ(c.resolve_interval_ns, 300 * SEC, "resolve_interval default");
	set(&c, "ignoreip", "192.0.2.1 db.internal.example, localhost 2001:db8::/32 DB.internal.example");
	ASSERT_EQ(c.n_ignore, 2, "two addresses");
	ASSERT_EQ(c.n_ignore_names, 2, "two names (case does not make another)");
	ASSERT_STREQ(c.ignore_names[0], "db.internal.example", "first name");
	ASSERT_STREQ(c.ignore_names[1], "localhost", "single-label name");
	set(&c, "priority", "monitor.example 203.0.113.0/24");
	ASSERT_EQ(c.n_priority, 1, "priority address");
	ASSERT_EQ(c.n_priority_names, 1, "priority name");
	set(&c, "ignoreip", "");
	ASSERT_EQ(c.n_ignore + c.n_ignore_names, 0, "emptied, names too");
	/* Throttle limits: a burst left out is the rate's count per second. */
	config__throttle_limits(&c, &l);
	ASSERT_EQ(l.conn_interval_ns + l.pkt_interval_ns, 0, "no limits by default");
	set(&c, "throttle_conn_rate", "20/s");
	set(&c, "throttle_pkt_rate", "300/m");
	set(&c, "throttle_pkt_burst", "7");
	config__throttle_limits(&c, &l);
	ASSERT_EQ(l.conn_interval_ns, 50000000, "conn interval");
	ASSERT_EQ(l.conn_burst, 20, "conn burst from the rate");
	ASSERT_EQ(l.pkt_interval_ns, 200000000, "pkt interval");
	ASSERT_EQ(l.pkt_burst, 7, "pkt burst as given");
	ASSERT_EQ(c.throttle_ipv6_prefix, 64, "throttle_ipv6_prefix default");
	ASSERT_EQ(c.throttle_maxretry, 0, "throttle_maxretry default: never");
	config__free(&c);
}

static void test_lists(void)
{
	struct warden_config c;
	char buf[8192], err[256], name[32];
	size_t len = 0;
	int i;

	config__defaults(&c);
	/* Append, skip duplicates, empty value empties. */
	set(&c, "ignoreip", "192.0.2.1 192.0.2.2");
	set(&c, "ignoreip", "192.0.2.2,192.0.2.3, 192.0.2.3");
	ASSERT_EQ(c.n_ignore, 3, "appended without duplicates");
	set(&c, "ignoreip", "");
	ASSERT_EQ(c.n_ignore, 0, "emptied");
	set(&c, "iface", "eth0 eth0 eth1");
	set(&c, "iface", "eth1");
	ASSERT_EQ(c.n_ifaces, 2, "ifaces without duplicates");
	set(&c, "iface", "");
	ASSERT_EQ(c.n_ifaces, 0, "ifaces emptied");
	set(&c, "fail_status", "401 401 403");
	ASSERT_EQ(c.n_fail_status, 2, "statuses without duplicates");

	/* Bounds: 256 ignores fit, the 257th is refused and nothing of its value is kept. */
	set(&c, "ignoreip", "");
	for (i = 0; i < 255; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "10.0.%d.%d ", i / 200, i % 200);
	set(&c, "ignoreip", buf);
	ASSERT_EQ(c.n_ignore, 255, "255 ignores");
	ASSERT_EQ(config__set(&c, NULL, "ignoreip", "10.9.0.1 10.9.0.2", err, sizeof(err)), -EINVAL,
		  "257th refused");
	ASSERT_EQ(c.n_ignore, 255, "all or nothing");
	set(&c, "ignoreip", "10.9.0.1");
	ASSERT_EQ(c.n_ignore, 256, "256th fits");

	for (i = 0; i < CONFIG_MAX_IFACES; i++) {
		snprintf(name, sizeof(name), "veth%d", i);
		set(&c, "iface", name);
	}
	ASSERT_EQ(c.n_ifaces, CONFIG_MAX_IFACES, "16 interfaces");
	ASSERT_EQ(config__set(&c, NULL, "iface", "one-more", err, sizeof(err)), -EINVAL, "17th");
	ASSERT_TRUE(strstr(err, "more than 16") != NULL, err);
	set(&c, "iface", "veth3"); /* a duplicate is no new interface */

	set(&c, "fail_status", "");
	for (i = 0, len = 0; i < CONFIG_MAX_FAIL_STATUS; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%d,", 400 + i);
	set(&c, "fail_status", buf);
	ASSERT_EQ(c.n_fail_status, 32, "32 statuses");
	ASSERT_EQ(config__set(&c, NULL, "fail_status", "500", err, sizeof(err)), -EINVAL, "33rd");
	config__free(&c);
}

/* Compare everything, the interface names included. */
static bool same_config(const struct warden_config *a, const struct warden_config *b)
{
	struct warden_config x = *a, y = *b;
	int i;

	if (a->n_ifaces != b->n_ifaces)
		return false;
	for (i = 0; i < a->n_ifaces; i++)
		if (strcmp(a->ifaces[i], b->ifaces[i]))
			return false;
	memset(x.ifaces, 0, sizeof(x.ifaces));
	memset(y.ifaces, 0, sizeof(y.ifaces));
	return !memcmp(&x, &y, sizeof(x));
}

static void test_load_full(void)
{
	struct warden_config c;
	char err[512], text[PREFIX_STRLEN];
	int r;

	config__defaults(&c);
	r = config__load(&c, data("full.ini"), err, sizeof(err));
	if (!ASSERT_OK(r, err))
		goto out;
	ASSERT_STREQ(c.pin_path, "/sys/fs/bpf/warden-test", "pin_path");
	ASSERT_EQ(c.n_ifaces, 3, "iface repeated and listed");
	ASSERT_STREQ(c.ifaces[0], "eth0", "iface 0");
	ASSERT_STREQ(c.ifaces[1], "eth1", "iface 1");
	ASSERT_STREQ(c.ifaces[2], "wlan0", "iface 2");
	ASSERT_STREQ(c.xdp_mode, "native", "xdp_mode");
	ASSERT_TRUE(c.dry_run, "dry_run");
	ASSERT_TRUE(c.log_json, "log_json");
	ASSERT_STREQ(c.app, "/srv/app/app.py", "app");
	ASSERT_STREQ(c.log_format, "regex", "log_format");
	ASSERT_STREQ(c.log_regex,
		     "^(?P<client>\\S+) - - \\[[^]]+\\] \"(?P<request>[^\"]*)\" (?P<status>\\d{3})",
		     "log_regex");
	ASSERT_STREQ(c.http, "[::1]:9471", "http");
	ASSERT_STREQ(c.state_dir, "/var/lib/warden-test", "state_dir");
	ASSERT_EQ(c.jail.maxretry, 3, "maxretry, inline comment stripped");
	ASSERT_EQ(c.jail.findtime_ns, 5400 * SEC, "findtime");
	ASSERT_EQ(c.jail.bantime_ns, 7200 * SEC, "bantime (key: value)");
	ASSERT_FALSE(c.jail.bantime_permanent, "not permanent");
	ASSERT_TRUE(c.jail.increment, "increment");
	ASSERT_TRUE(c.jail.factor == 1.5, "factor");
	ASSERT_EQ(c.jail.maxtime_ns, 604800 * SEC, "maxtime");
	ASSERT_EQ(c.jail.ipv6_prefix, 56, "ipv6prefix alias");
	ASSERT_EQ(c.jail.max_tracked, 5000, "max_tracked");
	ASSERT_EQ(c.n_ignore, 4, "ignoreip over three lines");
	ASSERT_STREQ(prefix__format(&c.ignore[0], text, sizeof(text)), "192.0.2.0/24", "ignore 0");
	ASSERT_STREQ(prefix__format(&c.ignore[1], text, sizeof(text)), "2001:db8::/32", "ignore 1");
	ASSERT_STREQ(prefix__format(&c.ignore[2], text, sizeof(text)), "198.51.100.7", "ignore 2");
	ASSERT_STREQ(prefix__format(&c.ignore[3], text, sizeof(text)), "10.0.0.1", "ignore 3");
	ASSERT_EQ(c.n_fail_status, 2, "fail_status");
	ASSERT_EQ(c.fail_status[0], 401, "401");
	ASSERT_EQ(c.fail_status[1], 403, "403");
	ASSERT_OK(config__check(&c, err, sizeof(err)), err);
out:
	config__free(&c);
}

/* The command line comes after the file: scalars replace, lists append. */
static void test_cli_overrides_file(void)
{
	struct warden_config c;
	char err[512];

	config__defaults(&c);
	if (!ASSERT_OK(config__load(&c, data("small.ini"), err, sizeof(err)), err))
		goto out;
	ASSERT_EQ(c.jail.maxretry, 4, "from the file");
	ASSERT_OK(config__set(&c, NULL, "maxretry", "7", err, sizeof(err)), "--maxretry 7");
	ASSERT_EQ(c.jail.maxretry, 7, "the command line wins");
	ASSERT_OK(config__set(&c, NULL, "ignoreip", "192.0.2.2", err, sizeof(err)), "--ignoreip");
	ASSERT_EQ(c.n_ignore, 2, "file's and command line's");
	ASSERT_OK(config__set(&c, NULL, "iface", "", err, sizeof(err)), "--iface ''");
	ASSERT_OK(config__set(&c, NULL, "iface", "eth9", err, sizeof(err)), "--iface eth9");
	ASSERT_EQ(c.n_ifaces, 1, "replaced by emptying first");
	ASSERT_STREQ(c.ifaces[0], "eth9", "eth9");
	/* Checks across keys happen once all is in. */
	ASSERT_OK(config__set(&c, NULL, "log_format", "regex", err, sizeof(err)), "regex");
	ASSERT_EQ(config__check(&c, err, sizeof(err)), -EINVAL, "regex without a pattern");
	ASSERT_TRUE(strstr(err, "log_regex") != NULL, err);
	ASSERT_OK(config__set(&c, NULL, "log_regex", "(?P<client>\\S+)", err, sizeof(err)), "re");
	ASSERT_OK(config__check(&c, err, sizeof(err)), err);
	ASSERT_OK(config__set(&c, NULL, "bantime.increment", "on", err, sizeof(err)), "increment");
	ASSERT_OK(config__set(&c, NULL, "bantime.maxtime", "5m", err, sizeof(err)), "maxtime");
	ASSERT_EQ(config__check(&c, err, sizeof(err)), -EINVAL, "maxtime below bantime");
	ASSERT_TRUE(strstr(err, "bantime.maxtime (5m0s) is shorter than bantime (10m0s)") != NULL,
		    err);
out:
	config__free(&c);
}

static void test_load_errors(void)
{
	static char longline[CONFIG_MAX_LINE + 64];
	static const struct {
		const char *name, *text;
		int line;
		const char *mention;
	} cases[] = {
		{ "unknown-section", "[warden]\nhttp = off\n[DEFAULT]\nmaxretry = 3\n", 3,
		  "unknown section [DEFAULT]" },
		{ "empty-unknown-section", "[jail]\nmaxretry = 3\n\n[sshd]\n", 4,
		  "unknown section [sshd]" },
		{ "unknown-key", "[jail]\nmaxretry = 3\nmaxretries = 4\n", 3, "unknown key 'maxretries'" },
		{ "bad-value", "[warden]\n# comment\n\n[jail]\nbantime = 0\n", 5, "bantime" },
		{ "outside", "maxretry = 3\n[jail]\n", 1, "outside any section" },
		{ "syntax", "[jail]\nmaxretry = 3\nmaxretry\n", 3, "syntax error" },
		{ "unclosed", "[jail\nmaxretry = 3\n", 1, "syntax error" },
		{ "syntax-first", "[jail]\njunk\nmaxretry = 0\n", 2, "syntax error" },
		{ "semantic-first", "[jail]\nmaxretry = 0\njunk\n", 2, "maxretry" },
		{ "twice", "[jail]\nmaxretry = 3\nfindtime = 1m\nmaxretry = 4\n", 4,
		  "'maxretry' is set twice (first on line 2)" },
		{ "twice-alias", "[jail]\nipv6_prefix = 64\nipv6prefix = 56\n", 3, "set twice" },
		{ "continued-scalar", "[jail]\nmaxretry = 3\n  4\n", 3,
		  "continues 'maxretry' from line 2" },
		{ "continued-list-bad", "[jail]\nignoreip = 192.0.2.1\n  maxretry = 3\n", 3,
		  "continues 'ignoreip' from line 2" },
		{ "wrong-section", "[warden]\nmaxretry = 3\n", 2, "belongs in [jail]" },
		{ "fail2ban-key", "[jail]\nenabled = true\n", 2, "fail2ban setting" },
		{ "nul", "[jail]\nmaxretry = 3\nfindtime = 1\0m\n", 3, "NUL byte" },
		{ "long-line", longline, 2, "longer than" },
		{ "after-good-keys", "[warden]\niface = eth5\ndry_run = yes\n[jail]\nfail_status = 1\n", 5,
		  "fail_status" },
	};
	struct warden_config c, snap;
	char err[1024], want[512];
	const char *path;
	size_t i, len;

	/* A line over the limit, on line 2. */
	len = (size_t)snprintf(longline, sizeof(longline), "[warden]\napp = /");
	memset(longline + len, 'a', CONFIG_MAX_LINE);
	longline[len + CONFIG_MAX_LINE] = '\0';

	config__defaults(&c);
	set(&c, "iface", "eth0");
	set(&c, "maxretry", "2");
	snap = c;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* The NUL case is measured by hand: strlen would stop at it. */
		len = strlen(cases[i].text);
		if (!strcmp(cases[i].name, "nul"))
			len += 1 + strlen(cases[i].text + len + 1);
		path = write_file(cases[i].name, cases[i].text, len);
		err[0] = '\0';
		ASSERT_EQ(config__load(&c, path, err, sizeof(err)), -EINVAL, cases[i].name);
		snprintf(want, sizeof(want), "%s:%d: ", path, cases[i].line);
		if (!starts_with(err, want))
			TU_FAIL(cases[i].name, "error '%s' does not start with '%s'", err, want);
		if (!strstr(err, cases[i].mention))
			TU_FAIL(cases[i].name, "error '%s' does not mention '%s'", err,
				cases[i].mention);
		/* Nothing of the file was applied, not even the good lines before the bad one. */
		if (memcmp(&c, &snap, sizeof(c)))
			TU_FAIL(cases[i].name, "the config changed");
	}
	/* The data files with errors. */
	ASSERT_EQ(config__load(&c, data("unknown-section.ini"), err, sizeof(err)), -EINVAL, "file");
	ASSERT_TRUE(strstr(err, "unknown-section.ini:5: unknown section [DEFAULT]") != NULL, err);
	ASSERT_EQ(config__load(&c, data("bad-value.ini"), err, sizeof(err)), -EINVAL, "file");
	ASSERT_TRUE(strstr(err, "bad-value.ini:6: bantime: 'forever'") != NULL, err);
	ASSERT_TRUE(!memcmp(&c, &snap, sizeof(c)), "unchanged");
	config__free(&c);
}

/* [app NAME] sections: their keys, their own jail on top of [jail], their errors. */
static void test_app_sections(void)
{
	static const char good[] =
		"[jail]\nmaxretry = 5\nignoreip = 192.0.2.1\nfail_status = 401\n"
		"[app shop]\nfollow = /var/log/containers/shop-*.log\n"
		"  /var/log/containers/cart-*.log\napp = /srv/shop\n"
		"[app blog]\nfollow = /var/log/containers/blog-*.log\napp = /srv/blog/app.py\n"
		"maxretry = 3\nignoreip = 198.51.100.0/24\n  203.0.113.7\n"
		"routes_from = flask\npython = /srv/blog/venv/bin/python\n"
		"extra_routes = GET,POST /hook/<token>\n  /webhooks/<int:id>\n";
	static const struct {
		const char *name, *text, *mention;
	} bad[] = {
		{ "app-bad-name", "[app a/b]\napp = /x\n", "app name" },
		{ "app-warden-key", "[app a]\niface = eth0\n", "belongs in [warden]" },
		{ "app-unknown-key", "[app a]\nfrobnicate = 1\n", "unknown key" },
		{ "app-bad-value", "[app a]\nmaxretry = 0\n", "maxretry" },
		{ "app-source-twice", "[app a]\napp = /x\napp = /y\n", "set twice" },
		{ "app-key-twice", "[app a]\nbantime = 1h\nbantime = 2h\n", "set twice" },
		{ "app-relative-glob", "[app a]\nfollow = logs/*.log\n", "not an absolute path" },
		{ "app-bad-routes-from", "[app a]\nroutes_from = django\n", "routes_from" },
		{ "app-bad-extra-route", "[app a]\nextra_routes = hook\n", "is not [METHODS ]RULE" },
		{ "app-http-key", "[app a]\nhttp = off\n", "not in an app's section" },
	};
	struct warden_config c, a;
	char err[1024];
	size_t i;

	config__defaults(&c);
	if (!ASSERT_OK(config__load(&c, write_file("apps", good, strlen(good)), err, sizeof(err)),
		       err))
		goto out;
	ASSERT_OK(config__check(&c, err, sizeof(err)), err);
	if (!ASSERT_EQ(c.n_apps, 2, "two sections"))
		goto out;
	ASSERT_STREQ(c.apps[0]->name, "shop", "first in file order");
	ASSERT_EQ(c.apps[0]->n_follow, 2, "continued follow line");
	ASSERT_STREQ(c.apps[0]->source, "/srv/shop", "source");
	/* The shop keeps [jail]; the blog replaces maxretry and the ignoreip list. */
	ASSERT_OK(config__app_config(&c, c.apps[0], &a, err, sizeof(err)), err);
	ASSERT_EQ(a.jail.maxretry, 5, "shop: [jail]'s maxretry");
	ASSERT_EQ(a.n_ignore, 1, "shop: [jail]'s ignoreip");
	ASSERT_STREQ(a.app, "/srv/shop", "shop: its source as app");
	ASSERT_STREQ(a.routes_from, "source", "shop: the default routes_from");
	ASSERT_EQ(a.n_apps, 0, "an app's settings hold no sections");
	config__free(&a);
	ASSERT_OK(config__app_config(&c, c.apps[1], &a, err, sizeof(err)), err);
	ASSERT_EQ(a.jail.maxretry, 3, "blog: its own maxretry");
	ASSERT_EQ(a.n_ignore, 2, "blog: its ignoreip replaces [jail]'s, both lines");
	ASSERT_EQ(a.n_fail_status, 1, "blog: [jail]'s fail_status kept");
	ASSERT_STREQ(a.routes_from, "flask", "blog: its own routes_from");
	ASSERT_STREQ(a.python, "/srv/blog/venv/bin/python", "blog: its own python");
	ASSERT_EQ(a.n_extra_routes, 2, "blog: both extra_routes lines");
	ASSERT_STREQ(a.extra_routes[0], "GET,POST /hook/<token>", "blog: a rule with blanks kept whole");
	config__free(&a);
	/* A copy is deep: freeing one leaves the other whole. */
	ASSERT_OK(config__copy(&a, &c), "copy");
	config__free(&c);
	ASSERT_STREQ(a.apps[1]->follow[0], "/var/log/containers/blog-*.log", "copy survives");
	config__free(&a);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		config__defaults(&c);
		ASSERT_EQ(config__load(&c, write_file(bad[i].name, bad[i].text, strlen(bad[i].text)),
				       err, sizeof(err)), -EINVAL, bad[i].name);
		if (!strstr(err, bad[i].mention))
			TU_FAIL(bad[i].name, "error '%s' does not mention '%s'", err, bad[i].mention);
		ASSERT_EQ(c.n_apps, 0, "nothing applied");
		config__free(&c);
	}
	/* Sections that load but cannot run: said by config__check(). */
	config__defaults(&c);
	ASSERT_OK(config__load(&c, write_file("nofollow", "[app a]\napp = /x\n", 16), err,
			       sizeof(err)), err);
	ASSERT_EQ(config__check(&c, err, sizeof(err)), -EINVAL, "no follow");
	ASSERT_TRUE(strstr(err, "[app a] needs follow") != NULL, err);
	config__free(&c);
out:
	config__free(&c);
}

/*
 * fail2ban's jails as sections (warden watch, f2bconf__apply_every): no
 * source needed, their filter alone judges, and their logs are shared with
 * other jails and with an app, where two apps' logs are not.
 */
static void test_jail_sections(void)
{
	static const char apps[] = "[app shop]\nfollow = /var/log/shop/*.log\napp = /srv/shop\n";
	struct warden_config c, a;
	struct app_section *s;
	struct claims *cl = NULL;
	const int *idx;
	int index[3] = { 1, 2, 3 };
	char err[1024];

	config__defaults(&c);
	if (!ASSERT_OK(config__load(&c, write_file("jails", apps, strlen(apps)), err, sizeof(err)),
		       err))
		goto out;
	s = config__add_jail_section(&c, "nginx-botsearch", err, sizeof(err));
	if (!ASSERT_TRUE(s != NULL, err))
		goto out;
	snprintf(s->filter, sizeof(s->filter), "nginx-botsearch[mode=normal]");
	ASSERT_OK(config__section_set(s, "follow", "/var/log/shop/error.log", err, sizeof(err)), err);
	ASSERT_OK(config__section_set(s, "maxretry", "2", err, sizeof(err)), err);
	s = config__add_jail_section(&c, "nginx-http-auth", err, sizeof(err));
	if (!ASSERT_TRUE(s != NULL, err))
		goto out;
	ASSERT_OK(config__section_set(s, "follow", "/var/log/shop/error.log", err, sizeof(err)), err);
	ASSERT_OK(config__section_set(s, "follow", "/var/log/auth/*.log", err, sizeof(err)), err);
	ASSERT_TRUE(config__add_jail_section(&c, "shop", err, sizeof(err)) == NULL,
		    "a jail named as an app");
	ASSERT_TRUE(config__add_jail_section(&c, "a b", err, sizeof(err)) == NULL,
		    "a name /metrics cannot label");
	ASSERT_EQ(c.n_apps, 3, "the app and two jails");
	ASSERT_OK(config__check(&c, err, sizeof(err)), "a jail needs no source");
	ASSERT_OK(config__app_config(&c, c.apps[1], &a, err, sizeof(err)), err);
	ASSERT_TRUE(a.filter_only, "only its filter finds failures");
	ASSERT_STREQ(a.filter, "nginx-botsearch[mode=normal]", "its filter");
	ASSERT_STREQ(a.jail_name, "nginx-botsearch", "its name");
	ASSERT_EQ(a.jail.maxretry, 2, "its maxretry");
	config__free(&a);
	ASSERT_OK(config__app_config(&c, c.apps[0], &a, err, sizeof(err)), err);
	ASSERT_TRUE(!a.filter_only, "an app is judged by its routes");
	config__free(&a);

	cl = claims__new(&c, index);
	if (!ASSERT_TRUE(cl != NULL, "claims"))
		goto out;
	ASSERT_OK(claims__check(cl, err, sizeof(err)), "jails share logs with apps and jails");
	ASSERT_EQ(claims__apps_of(cl, "/var/log/shop/error.log", &idx), 3, "app and both jails");
	ASSERT_TRUE(idx[0] == 1 && idx[1] == 2 && idx[2] == 3, "in order");
	ASSERT_EQ(claims__apps_of(cl, "/var/log/auth/x.log", &idx), 1, "one jail's log");
	ASSERT_EQ(idx[0], 3, "nginx-http-auth");
	ASSERT_EQ(claims__apps_of(cl, "/var/log/shop/access.log", &idx), 1, "the app's alone");
	ASSERT_EQ(idx[0], 1, "shop");
	ASSERT_EQ(claims__apps_of(cl, "/var/log/other.log", &idx), 1, "nobody's");
	ASSERT_EQ(idx[0], CLAIMS_UNCLAIMED, "unclaimed");
out:
	claims__free(cl);
	config__free(&c);
}

static void test_load_missing_and_odd_files(void)
{
	struct warden_config c, snap;
	char err[512], path[300];

	config__defaults(&c);
	snap = c;
	snprintf(path, sizeof(path), "%s/no-such.ini", tmpdir);
	ASSERT_EQ(config__load(&c, path, err, sizeof(err)), -ENOENT, "missing file");
	ASSERT_TRUE(starts_with(err, path), err);
	ASSERT_TRUE(strstr(err, "No such file") != NULL, err);
	ASSERT_EQ(config__load(&c, tmpdir, err, sizeof(err)), -EINVAL, "a directory");
	ASSERT_TRUE(strstr(err, "not a regular file") != NULL, err);
	ASSERT_EQ(config__load(&c, NULL, err, sizeof(err)), -EINVAL, "NULL path");
	ASSERT_TRUE(!memcmp(&c, &snap, sizeof(c)), "unchanged");

	/* An empty file, and one of comments only, change nothing. */
	ASSERT_OK(config__load(&c, write_file("empty.ini", "", 0), err, sizeof(err)), "empty");
	ASSERT_OK(config__load(&c, write_file("comments.ini", "# a\n; b\n\n", 9), err, sizeof(err)),
		  "comments");
	ASSERT_TRUE(same_config(&c, &snap), "unchanged by empty files");
	config__free(&c);
}

/* Windows line ends, a BOM, long values (past libinih's 200-byte default). */
static void test_load_formats(void)
{
	static const char crlf[] = "\xef\xbb\xbf[jail]\r\nmaxretry = 6\r\n\r\n[warden]\r\niface = eth7\r\n";
	struct warden_config c;
	char *text, err[512], want_app[4096];
	int saved = ini_max_line;
	size_t n;

	config__defaults(&c);
	if (!ASSERT_OK(config__load(&c, write_file("crlf.ini", crlf, sizeof(crlf) - 1), err,
				    sizeof(err)), err))
		goto out;
	ASSERT_EQ(c.jail.maxretry, 6, "CRLF and BOM");
	ASSERT_EQ(c.n_ifaces, 1, "iface");
	ASSERT_STREQ(c.ifaces[0], "eth7", "no \\r in the name");
	/* An indented key right under a section header continues nothing: a key. */
	ASSERT_OK(config__load(&c, write_file("indented.ini", "[jail]\n  maxretry = 8\n", 22), err,
			       sizeof(err)), err);
	ASSERT_EQ(c.jail.maxretry, 8, "indented first key");

	text = malloc(16384);
	if (!ASSERT_NOT_NULL(text, "malloc"))
		goto out;
	want_app[0] = '/';
	memset(want_app + 1, 'p', 4000);
	want_app[4001] = '\0';
	n = (size_t)snprintf(text, 16384, "[warden]\napp = %s\nlog_regex = (?P<client>%0900d)\n",
			     want_app, 0);
	if (ASSERT_OK(config__load(&c, write_file("long.ini", text, n), err, sizeof(err)), err)) {
		ASSERT_STREQ(c.app, want_app, "a 4001-byte path");
		ASSERT_EQ(strlen(c.log_regex), 900 + 12, "a 912-byte regex");
	}
	free(text);
	ASSERT_EQ(ini_max_line, saved, "libinih's setting restored");
out:
	config__free(&c);
}

static void test_load_on_top(void)
{
	struct warden_config c;
	char err[512];

	/* A file adds to what c holds: lists append, other keys replace. */
	config__defaults(&c);
	set(&c, "iface", "eth3");
	set(&c, "maxretry", "9");
	if (ASSERT_OK(config__load(&c, data("small.ini"), err, sizeof(err)), err)) {
		ASSERT_EQ(c.n_ifaces, 2, "eth3 and eth0");
		ASSERT_STREQ(c.ifaces[0], "eth3", "kept");
		ASSERT_STREQ(c.ifaces[1], "eth0", "added");
		ASSERT_EQ(c.jail.maxretry, 4, "replaced");
	}
	config__free(&c);
}

static void test_copy_and_free(void)
{
	struct warden_config a, b;
	int i;

	config__defaults(&a);
	set(&a, "iface", "eth0 eth1");
	set(&a, "maxretry", "8");
	if (!ASSERT_OK(config__copy(&b, &a), "copy"))
		goto out;
	ASSERT_TRUE(same_config(&a, &b), "same content");
	for (i = 0; i < a.n_ifaces; i++)
		ASSERT_TRUE(a.ifaces[i] != b.ifaces[i], "own strings");
	config__free(&a);
	ASSERT_EQ(a.n_ifaces, 0, "freed");
	ASSERT_STREQ(b.ifaces[1], "eth1", "the copy lives on");
	config__free(&b);
	config__free(&b); /* twice is fine */
	return;
out:
	config__free(&a);
}

/* warden watch's keys: follow is a list of owned strings, like iface, and kept apart from it. */
static void test_follow_key(void)
{
	struct warden_config c, copy;
	char err[256];

	config__defaults(&c);
	ASSERT_EQ(c.n_follow, 0, "no follow by default");
	ASSERT_FALSE(c.backfill, "no backfill by default");
	set(&c, "follow", "/var/log/containers/*.log, /var/log/app/access.log");
	set(&c, "follow", "/var/log/app/access.log /srv/*/log/*.log");
	ASSERT_EQ(c.n_follow, 3, "appended, duplicate skipped");
	ASSERT_STREQ(c.follow[2], "/srv/*/log/*.log", "third pattern");
	set(&c, "iface", "eth0");
	set(&c, "iface", "");
	ASSERT_EQ(c.n_ifaces, 0, "iface emptied");
	ASSERT_EQ(c.n_follow, 3, "emptying iface keeps follow");
	ASSERT_ERR(config__set(&c, NULL, "follow", "logs/*.log", err, sizeof(err)), "relative refused");
	ASSERT_TRUE(strstr(err, "absolute") != NULL, "says why");
	ASSERT_ERR(config__set(&c, NULL, "follow", "/var/log/a\x01b.log", err, sizeof(err)),
		   "control character refused");
	ASSERT_EQ(c.n_follow, 3, "a refused value changes nothing");
	set(&c, "backfill", "true");
	ASSERT_TRUE(c.backfill, "backfill");
	ASSERT_OK(config__copy(&copy, &c), "copy");
	ASSERT_EQ(copy.n_follow, 3, "copied");
	ASSERT_TRUE(copy.follow[0] != c.follow[0], "deep copy");
	ASSERT_STREQ(copy.follow[0], "/var/log/containers/*.log", "copied text");
	config__free(&copy);
	set(&c, "follow", "");
	ASSERT_EQ(c.n_follow, 0, "emptied");
	config__free(&c);
}

int main(int argc, char **argv)
{
	(void)argc;
	find_datadir(argv[0]);
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN_TEST(test_defaults);
	RUN_TEST(test_keys_list);
	RUN_TEST(test_routes_settings);
	RUN_TEST(test_every_key);
	RUN_TEST(test_bad_values);
	RUN_TEST(test_lists);
	RUN_TEST(test_host_names);
	RUN_TEST(test_load_full);
	RUN_TEST(test_cli_overrides_file);
	RUN_TEST(test_load_errors);
	RUN_TEST(test_app_sections);
	RUN_TEST(test_jail_sections);
	RUN_TEST(test_load_missing_and_odd_files);
	RUN_TEST(test_load_formats);
	RUN_TEST(test_load_on_top);
	RUN_TEST(test_copy_and_free);
	RUN_TEST(test_follow_key);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd))
			fprintf(stderr, "could not remove %s\n", tmpdir);
	}
	return TEST_EXIT();
}
