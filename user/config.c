// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* config.c - warden's settings, from an INI file and the command line, validated in one place. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cli.h"
#include "config.h"
#include "fleet_msg.h"
#include "errmsg.h"
#include "f2bconf.h"
#include "resolve.h"
#include "throttle.h"
#include "timeutil.h"

/*
 * One path for every value: the file's handler and the command line both go
 * through config__set(), which finds the key in the table below and calls
 * its setter. A setter validates first and writes c only when all is well,
 * so that a refused value leaves c as it was.
 */

typedef int (*setter_fn)(struct warden_config *c, const char *v, char *why, size_t len);

struct key_def {
	const char *section;
	const char *name;
	setter_fn set;
	bool list; /* appends, may continue on indented lines, may repeat */
};

/* A refused value: its reason, -EINVAL. */
#define why(buf, len, ...) errmsg__set((buf), (len), -EINVAL, __VA_ARGS__)

/* A value as it may be shown in a message: printable, at most 60 characters. */
static const char *show(const char *v, char *buf, size_t len)
{
	size_t i, o = 0;

	for (i = 0; v[i] && o + 5 < len; i++) {
		unsigned char ch = (unsigned char)v[i];

		if (i == 60) {
			o += (size_t)snprintf(buf + o, len - o, "...");
			break;
		}
		if (ch >= 0x20 && ch < 0x7f)
			buf[o++] = (char)ch;
		else
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", ch);
	}
	buf[o < len ? o : len - 1] = '\0';
	return buf;
}

#define SHOW(v) show((v), (char[80]){ 0 }, 80)

/* ---- value parsers ---- */

static int parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (!strcasecmp(v, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(v, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

/* A plain decimal number in min..max: no sign, no blanks, no hex. */
static int parse_uint(const char *v, unsigned long long min, unsigned long long max,
		      unsigned long long *out)
{
	unsigned long long n;
	char *end;

	if (!isdigit((unsigned char)*v))
		return -EINVAL;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (*end || errno || n < min || n > max)
		return -EINVAL;
	*out = n;
	return 0;
}

/* Text without control characters that fits in size bytes. */
static int check_text(const char *v, size_t size, char *w, size_t wlen)
{
	const char *p;

	if (strlen(v) >= size)
		return why(w, wlen, "longer than %zu characters", size - 1);
	for (p = v; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return why(w, wlen, "'%s' holds a control character", SHOW(v));
	return 0;
}

static int check_abs_path(const char *v, size_t size, char *w, size_t wlen)
{
	int err = check_text(v, size, w, wlen);

	if (err)
		return err;
	if (v[0] != '/')
		return why(w, wlen, "'%s' is not an absolute path", SHOW(v));
	return 0;
}

/* One of choices (case does not matter), stored in its canonical spelling. */
static int set_choice(char *dst, size_t size, const char *v, const char *const *choices,
		      char *w, size_t wlen)
{
	char list[128] = "";
	size_t i;

	for (i = 0; choices[i]; i++) {
		if (!strcasecmp(v, choices[i])) {
			snprintf(dst, size, "%s", choices[i]);
			return 0;
		}
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
			 choices[i]);
	}
	return why(w, wlen, "'%s' is not one of %s", SHOW(v), list);
}

/*
 * Split a list value on commas and blanks into at most max tokens, pointing
 * into buf (a copy of v the caller frees). Returns the count, or -EINVAL
 * with a reason when there are more than max.
 */
static int split(const char *v, char **buf, char **tok, int max, char *w, size_t wlen)
{
	char *save, *t;
	int n = 0;

	*buf = strdup(v);
	if (!*buf) {
		why(w, wlen, "out of memory");
		return -ENOMEM;
	}
	for (t = strtok_r(*buf, ", \t\r\n", &save); t; t = strtok_r(NULL, ", \t\r\n", &save)) {
		if (n == max)
			return why(w, wlen, "more than %d items", max);
		tok[n++] = t;
	}
	return n;
}

/* ---- [warden] ---- */

static int set_pin_path(struct warden_config *c, const char *v, char *w, size_t wlen)
{
	int err = check_abs_path(v, sizeof(c->pin_path), w, wlen);

	if (!err)
		snprintf(c->pin_path, sizeof(c->pin_path), "%s", v);
	return err;
}

static int set_state_dir(struct warden_config *c, const char *v, char *w, size_t wlen)
{
	int err = check_abs_path(v, sizeof(c->state_dir), w, wlen);

	if (!err)
		snprintf(c->state_dir, sizeof(c->state_dir), "%s", v);
	return err;
}

/* The kernel's dev_valid_name(): 1..15 bytes, not "." or "..", no '/', ':' or blanks. */
static bool iface_name_ok(const char *n)
{
	const char *p;

	if (!*n || strlen(n) >= 16 || !strcmp(n, ".") || !strcmp(n, ".."))
		return false;
	for (p = n; *p; p++)
		if (*p == '/' || *p == ':' || isspace((unsigned char)*p) || !isprint((unsigned char)*p))
			return false;
	return true;
}

/*
 * A list of owned strings (interfaces, follow patterns): items are checked
 * by check, appended, duplicates skipped; all or nothing. An empty value
 * empties this list only (config__free() would empty the others too).
 */
typedef int (*item_check_fn)(const char *item, char *w, size_t wlen);

#define LIST_MAX (CONFIG_MAX_IFACES > CONFIG_MAX_FOLLOW ? CONFIG_MAX_IFACES : CONFIG_MAX_FOLLOW)

static int set_string_list(char **list, int *count, int max, const char *what, item_check_fn check,
			   const char *v, char *w, size_t wlen)
{
	char *buf = NULL, *tok[LIST_MAX], *pick[LIST_MAX], *add[LIST_MAX];
	int n, i, k, n_pick = 0, err = 0;

	if (!*v) {
		for (k = 0; k < *count; k++) {
			free(list[k]);
			list[k] = NULL;
		}
		*count = 0;
		return 0;
	}
	n = split(v, &buf, tok, max, w, wlen);
	if (n < 0) {
		err = n;
		goto out;
	}
	for (i = 0; i < n; i++) {
		bool dup = false;

		err = check(tok[i], w, wlen);
		if (err)
			goto out;
		for (k = 0; k < *count && !dup; k++)
			dup = !strcmp(list[k], tok[i]);
		for (k = 0; k < n_pick && !dup; k++)
			dup = !strcmp(pick[k], tok[i]);
		if (dup)
			continue;
		if (*count + n_pick == max) {
			err = why(w, wlen, "more than %d %s", max, what);
			goto out;
		}
		pick[n_pick++] = tok[i];
	}
	for (k = 0; k < n_pick; k++) {
		add[k] = strdup(pick[k]);
		if (!add[k]) {
			while (k--)
				free(add[k]);
			err = -ENOMEM;
			why(w, wlen, "out of memory");
			goto out;
		}
	}
	for (k = 0; k < n_pick; k++)
		list[(*count)++] = add[k];
out:
	free(buf);
	return err;
}

static int check_iface(const char *item, char *w, size_t wlen)
{
	if (!iface_name_ok(item))
		return why(w, wlen, "'%s' is not a valid interface name", SHOW(item));
	return 0;
}

static int set_iface(struct warden_config *c, const char *v, char *w, size_t wlen)
{
	return set_string_list(c->ifaces, &c->n_ifaces, CONFIG_MAX_IFACES, "interfaces", check_iface,
			       v, w, wlen);
}

static int set_xdp_mode(struct warden_config *c, const char *v, char *w, size_t wlen)
{
	static const char *const modes[] = { "auto", "native", "generic", NULL };

	return set_choice(c->xdp_mode, sizeof(c->xdp_mode), v, modes, w, wlen);
}

static int set_bool(bool *dst, const char *v, char *w, size_t wlen)
{
	if (parse_bool(v, dst))
		return why(w, wlen, "'%s' is not a boolean (true/false, yes/no, on/off, 1/0)", SHOW(v));
	return 0;
}

static int set_dry_run(struct warden_config *c, const char *v, char *w, size_t wlen)
{
	return set_bool(&c->dry_run, v, w, wlen);
}

static int set_log_json(struct warden_config *c, const char *v, char *w, size_t wlen)
{
	return set_bool(&c->log_json, v, w, wlen);
}

static int set_app(struct warden_config *c, const char *v, char *w, size_t wlen)
{
	int err = check_text(v, sizeof(c->app), w, wlen);

	if (!err)
		snprintf(c->app, sizeof(c->app), "%s", v);
	return err;
}

/* The formats of the log parser (log_format__parse() in logparse.c). */
static int set_log_format(struct warden_config *c, const char *v, char *w, size_t wlen)
{
	static const char *const formats[] = { "auto", "werkzeug", "common", "combined", "regex",
					       NULL };

	return set_choice(c->log_format, sizeof(c->log_format), v, formats, w, wlen);
}

/* Only the text is checked here: the log parser compiles it and checks its groups. */
static int set_log_regex(struct warden_config *c, const char *v, char *w, size_t wlen)
{
	int err = check_text(v, sizeof(c->log_regex), w, wlen);

	if (!err)
		snprintf(c->log_regex, sizeof(c->log_regex), "%s", v);
	return err;
}

/* "off", or ADDR:PORT with an IPv4 address, [IPv6] or localhost. */
static int set_http(struct warden_config *c, const char *v, char *w, size_t wlen)
{
	char host[INET6_ADDRSTRLEN + 2];
	unsigned char buf[16];
	unsigned long long port;
	const char *colon = strrchr(v, ':');
	size_t hlen;

	if (!strcasecmp(v, "off")) {
		snprintf(c->http, sizeof(c->http), "off");
		return 0;
	}
	if (!colon || parse_uint(colon + 1, 1, 65535, &port))
		return why(w, wlen, "'%s' is not ADDR:PORT (port 1..65535) or off", SHOW(v));
	hlen = (size_t)(colon - v);
	if (hlen == 0 || hlen >= sizeof(host))
		return why(w, wlen, "'%s': the address is missing or too long", SHOW(v));
	memcpy(host, v, hlen);
	host[hlen] = '\0';
	if (host[0] == '[') {
		if (hlen < 3 || host[hlen - 1] != ']')
			return why(w, wlen, "'%s': IPv6 address without its closing ']'", SHOW(v));
		host[hlen - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, buf) != 1)
			return why(w, wlen, "'%s' is not an IPv6 address", SHOW(host + 1));
	} else if (strcmp(host, "localhost") && inet_pton(AF_INET, host, buf) != 1) {
		return why(w, wlen, "'%s' is not an IPv4 address, [IPv6] address or localhost",
			   SHOW(host));
	}
	snprintf(c->http, sizeof(c->http), "%s", v);
	return 0;
}

/* ---- [jail] ---- */

static int set_maxretry(struct warden_config *c, const char *v, char *w, size_t wlen)
{
	unsigned long long n;

	if (parse_uint(v, 1, DETECTOR_MAXRETRY_MAX, &n))
		return why(w, wlen, "'%s' is not a number in 1..%d", SHOW(v), DETECTOR_MAXRETRY_MAX);
	c->jail.maxretry = (uint32_t)n;
	return 0;
}

static int set_findtime(struct warden_config *c, const char *v, char *w, size_t wlen)
{
	uint64_t ns;

	if (time__parse_duration(v, &ns) || !ns)
		return why(w, wlen, "'%s' is not a duration above 0 (600, 10m, 1h30m...)", SHOW(v));
	c->jail.findtime_ns = ns;
	return 0;
}

/* fail2ban's permanent ban is a negative bantime ("-1"); "permanent" says it plainly. */
static int set_bantime(struct warden_config *c, const char *v, char *w, size_t wlen)
{
	uint64_t ns;
	bool permanent;

	if (time__parse_bantime(v, &ns, &permanent))
		return why(w, wlen,
			   "'%s' is not a duration above 0 (600, 10m, 1 hour, 1d...), nor -1 or "
			   "permanent", SHOW(v));
	if (!permanent)
		c->jail.bantime_ns = ns;
	c->jail.bantime_permanent = permanent;
	return 0;
}

static int set_increment(struct warden_config *c, const char *v, char *w, size_t wlen)
{
	return set_bool(&c->jail.increment, v, w, wlen);
}

/* A plain decimal ("2", "0.5"): no exponent, hex, inf or nan. */
static int set_factor(struct warden_config *c, const char *v, char *w, size_t wlen)
{
	double f;
	char *end;

	if (!*v || strspn(v, "0123456789.") != strlen(v) || strchr(v, '.') != strrchr(v, '.'))
		goto bad;
	f = strtod(v, &end);
	if (*end || !(f > 0) || f > DETECTOR_FACTOR_MAX)
		goto bad;
	c->jail.factor = f;
	return 0;
bad:
	return why(w, wlen, "'%s' is not a number above 0 and at most %g", SHOW(v),
		   DETECTOR_FACTOR_MAX);
}

static int set_maxtime(struct warden_config *c, const char *v, char *w, size_t wlen)
{
	uint64_t ns;

	if (time__parse_duration(v, &ns))
		return why(w, wlen, "'%s' is not a duration (0 for no cap, 1d, 1w...)", SHOW(v));
	c->jail.maxtime_ns = ns;
	return 0;
}

static int set_ipv6_prefix(struct warden_config *c, const char *v, char *w, size_t wlen)
{
	unsigned long long n;

	if (v[0] == '/')
		v++; /* "/64" reads naturally too */
	if (parse_uint(v, 1, 128, &n))
		return why(w, wlen, "'%s' is not a prefix length in 1..128", SHOW(v));
	c->jail.ipv6_prefix = (uint8_t)n;
	return 0;
}

static int set_max_tracked(struct warden_config *c, const char *v, char *w, size_t wlen)
{
	unsigned long long n;

	if (parse_uint(v, 1, DETECTOR_TRACKED_MAX, &n))
		return why(w, wlen, "'%s' is not a number in 1..%u", SHOW(v), DETECTOR_TRACKED_MAX);
	c->jail.max_tracked = (uint32_t)n;
	return 0;
}

void config__note(struct warden_config *c, const char *fmt, ...)
{
	va_list ap;

	if (c->n_notes == CONFIG_MAX_NOTES)
		return;
	va_start(ap, fmt);
	vsnprintf(c->notes[c->n_notes++], CONFIG_NOTE_LEN, fmt, ap);
	va_end(ap);
}

/*
 * ADDR/LEN with bits set past LEN ("127.0.0.1/8", fail2ban's own default
 * ignoreip) names the network it lies in, as fail2ban reads it: 1 and the
 * network in *p, 0 when text is not that.
 */
static int parse_host_bits(const char *text, struct prefix *p)
{
	const char *slash = strchr(text, '/');
	char addr[INET6_ADDRSTRLEN + 8], *end;
	long len;

	if (!slash || (size_t)(slash - text) >= sizeof(addr))
		return 0;
	snprintf(addr, sizeof(addr), "%.*s", (int)(slash - text), text);
	if (prefix__parse_addr(addr, p) < 0)
		return 0;
	errno = 0;
	len = strtol(slash + 1, &end, 10);
	if (!slash[1] || *end || errno || len < 0)
		return 0;
	if (strchr(addr, ':') && p->family == 4)
		len -= 96; /* mapped: ::ffff:127.0.0.1/104 */
	if (len < 0 || len > prefix__maxlen(p))
		return 0;
	prefix__truncate(p, (int)len);
	return 1;
}

/*
 * Append addresses, prefixes and host names to a pair of lists (ignoreip,
 * priority): all of the value or nothing, duplicates skipped, "" empties both.
 * what names the list in notes; c receives them.
 */
static int set_addr_list(struct warden_config *c, const char *what, struct prefix *list,
			 int *n_list, char (*names)[CONFIG_NAME_LEN], int *n_names, const char *v,
			 char *w, size_t wlen)
{
	char host_bits[8][2][PREFIX_STRLEN + 8];
	int n_host_bits = 0;
	struct prefix add[CONFIG_MAX_IGNORE];
	char *buf = NULL, *tok[CONFIG_MAX_IGNORE], perr[160];
	const char *add_names[CONFIG_MAX_NAMES];
	int n, i, k, n_add = 0, n_add_names = 0, err = 0;

	if (!*v) {
		*n_list = 0;
		if (n_names)
			*n_names = 0;
		return 0;
	}
	n = split(v, &buf, tok, CONFIG_MAX_IGNORE, w, wlen);
	if (n < 0) {
		err = n;
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct prefix p;
		bool dup = false;

		if (prefix__parse(tok[i], &p, perr, sizeof(perr)) && parse_host_bits(tok[i], &p)) {
			/* Host bits past the length: the network, with a note. */
			if (n_host_bits < 8) {
				snprintf(host_bits[n_host_bits][0], sizeof(host_bits[0][0]), "%s",
					 tok[i]);
				prefix__format(&p, host_bits[n_host_bits][1], sizeof(host_bits[0][1]));
				n_host_bits++;
			}
		} else if (prefix__parse(tok[i], &p, perr, sizeof(perr))) {
			/* Not an address: a host name, resolved when warden runs (names NULL: refused). */
			if (!names) {
				err = why(w, wlen, "%s", perr);
				goto out;
			}
			if (!resolve__is_name(tok[i]) || strchr(tok[i], '/')) {
				err = why(w, wlen, "%s, nor a host name", perr);
				goto out;
			}
			for (k = 0; k < *n_names && !dup; k++)
				dup = !strcasecmp(names[k], tok[i]);
			for (k = 0; k < n_add_names && !dup; k++)
				dup = !strcasecmp(add_names[k], tok[i]);
			if (dup)
				continue;
			if (*n_names + n_add_names == CONFIG_MAX_NAMES) {
				err = why(w, wlen, "more than %d host names", CONFIG_MAX_NAMES);
				goto out;
			}
			add_names[n_add_names++] = tok[i];
			continue;
		}
		for (k = 0; k < *n_list && !dup; k++)
			dup = prefix__equal(&list[k], &p);
		for (k = 0; k < n_add && !dup; k++)
			dup = prefix__equal(&add[k], &p);
		if (dup)
			continue;
		if (*n_list + n_add == CONFIG_MAX_IGNORE) {
			err = why(w, wlen, "more than %d addresses", CONFIG_MAX_IGNORE);
			goto out;
		}
		add[n_add++] = p;
	}
	memcpy(&list[*n_list], add, (size_t)n_add * sizeof(add[0]));
	*n_list += n_add;
	for (k = 0; k < n_add_names; k++)
		snprintf(names[(*n_names)++], CONFIG_NAME_LEN, "%s", add_names[k]);
	for (k = 0; k < n_host_bits; k++)
		config__note(c, "%s: '%s' has bits set beyond its prefix length: taken as the "
			     "network %s", what, host_bits[k][0], host_bits[k][1]);
out:
	free(buf);
	return err;
}

static int set_ignoreip(struct warden_config *c, const char *v, char *w, size_t wlen)
{
	return set_addr_list(c, "ignoreip", c->ignore, &c->n_ignore, c->ignore_names,
			     &c->n_ignore_names, v, w, wlen);
}

/* The reverse proxies whose forwarded addresses are believed: addresses and prefixes only. */
static int set_real_ip_from(struct warden_config *c, const char *v, char *w, size_t wlen)
{
	return set_addr_list(c, "real_ip_from", c->real_ip_from, &c->n_real_ip_from, NULL, NULL, v, w,
			     wlen);
}

static int set_real_ip_field(struct warden_config *c, const char *v, char *w, size_t wlen)
{
	static const char *const fields[] = { "last", "off", NULL };
	int err = set_choice(c->real_ip_field, sizeof(c->real_ip_field), v, fields, w, wlen);

	if (!err && !strcmp(c->real_ip_field, "off"))
		c->real_ip_field[0] = '\0';
	return err;
}

static int set_priority(struct warden_config *c, const char *v, char *w, size_t wlen)
{
	return set_addr_list(c, "priority", c->priority, &c->n_priority, c->priority_names,
			     &c->n_priority_names, v, w, wlen);
}

/* ---- throttling ---- */

static int set_rate(uint64_t *dst, const char *v, char *w, size_t wlen)
{
	uint64_t iv;

	if (throttle__parse_rate(v, &iv, NULL))
		return why(w, wlen, "'%s' is not a rate (20/s, 300/m, 1000/h, or off)", SHOW(v));
	*dst = iv;
	return 0;
}

static int set_burst(uint32_t *dst, const char *v, char *w, size_t wlen)
{
	unsigned long long n;

	if (parse_uint(v, 1, 100000000, &n))
		return why(w, wlen, "'%s' is not a number in 1..100000000", SHOW(v));
	*dst = (uint32_t)n;
	return 0;
}

static int set_throttle_conn_rate(struct warden_config *c, const char *v, char *w, size_t wlen)
{
	return set_rate(&c->throttle_conn_interval_ns, v, w, wlen);
}

static int set_throttle_conn_burst(struct warden_config *c, const char *v, char *w, size_t wlen)
{
	return set_burst(&c->throttle_conn_burst, v, w, wlen);
}

static int set_throttle_pkt_rate(struct warden_config *c, const char *v, char *w, size_t wlen)
{
	return set_rate(&c->throttle_pkt_interval_ns, v, w, wlen);
}

static int set_throttle_pkt_burst(struct warden_config *c, const char *v, char *w, size_t wlen)
{
	return set_burst(&c->throttle_pkt_burst, v, w, wlen);
}

static int set_throttle_ipv6_prefix(struct warden_config *c, const char *v, char *w, size_t wlen)
{
	unsigned long long n;

	if (v[0] == '/')
		v++;
	if (parse_uint(v, 1, 128, &n))
		return why(w, wlen, "'%s' is not a prefix length in 1..128", SHOW(v));
	c->throttle_ipv6_prefix = (uint8_t)n;
	return 0;
}

static int set_throttle_maxretry(struct warden_config *c, const char *v, char *w, size_t wlen)
{
	unsigned long long n;

	if (parse_uint(v, 0, DETECTOR_MAXRETRY_MAX, &n))
		return why(w, wlen, "'%s' is not a number in 0..%d (0: never ban)", SHOW(v),
			   DETECTOR_MAXRETRY_MAX);
	c->throttle_maxretry = (uint32_t)n;
	return 0;
}

static uint32_t default_burst(uint64_t interval_ns, uint32_t burst)
{
	uint64_t per_s;

	if (burst || !interval_ns)
		return interval_ns ? burst : 0;
	per_s = (NSEC_PER_SEC + interval_ns - 1) / interval_ns;
	return per_s > UINT32_MAX ? UINT32_MAX : (uint32_t)per_s;
}

void config__throttle_limits(const struct warden_config *c, struct throttle_limits *out)
{
	memset(out, 0, sizeof(*out));
	out->conn_interval_ns = c->throttle_conn_interval_ns;
	out->conn_burst = default_burst(c->throttle_conn_interval_ns, c->throttle_conn_burst);
	out->pkt_interval_ns = c->throttle_pkt_interval_ns;
	out->pkt_burst = default_burst(c->throttle_pkt_interval_ns, c->throttle_pkt_burst);
}

static int set_fail_status(struct warden_config *c, const char *v, char *w, size_t wlen)
{
	char *buf = NULL, *tok[CONFIG_MAX_FAIL_STATUS];
	int add[CONFIG_MAX_FAIL_STATUS];
	int n, i, k, n_add = 0, err = 0;

	if (!*v) {
		c->n_fail_status = 0;
		return 0;
	}
	n = split(v, &buf, tok, CONFIG_MAX_FAIL_STATUS, w, wlen);
	if (n < 0) {
		err = n;
		goto out;
	}
	for (i = 0; i < n; i++) {
		unsigned long long s;
		bool dup = false;

		if (parse_uint(tok[i], 100, 599, &s)) {
			err = why(w, wlen, "'%s' is not an HTTP status (100..599)", SHOW(tok[i]));
			goto out;
		}
		for (k = 0; k < c->n_fail_status && !dup; k++)
			dup = c->fail_status[k] == (int)s;
		for (k = 0; k < n_add && !dup; k++)
			dup = add[k] == (int)s;
		if (dup)
			continue;
		if (c->n_fail_status + n_add == CONFIG_MAX_FAIL_STATUS) {
			err = why(w, wlen, "more than %d statuses", CONFIG_MAX_FAIL_STATUS);
			goto out;
		}
		add[n_add++] = (int)s;
	}
	memcpy(&c->fail_status[c->n_fail_status], add, (size_t)n_add * sizeof(add[0]));
	c->n_fail_status += n_add;
out:
	free(buf);
	return err;
}

/* ---- supervision ---- */

static int set_duration(uint64_t *dst, const char *v, char *w, size_t wlen)
{
	uint64_t ns;

	if (time__parse_duration(v, &ns) || !ns)
		return why(w, wlen, "'%s' is not a duration above 0 (90s, 10m, 1h30m...)", SHOW(v));
	*dst = ns;
	return 0;
}

static int set_restart(struct warden_config *c, const char *v, char *w, size_t wlen)
{
	static const char *const policies[] = { "on-failure", "always", "never", NULL };

	return set_choice(c->restart, sizeof(c->restart), v, policies, w, wlen);
}

static int set_restart_max_delay(struct warden_config *c, const char *v, char *w, size_t wlen)
{
	return set_duration(&c->restart_max_delay_ns, v, w, wlen);
}

static int set_restart_reset(struct warden_config *c, const char *v, char *w, size_t wlen)
{
	return set_duration(&c->restart_reset_ns, v, w, wlen);
}

static int set_restart_window(struct warden_config *c, const char *v, char *w, size_t wlen)
{
	return set_duration(&c->restart_window_ns, v, w, wlen);
}

static int set_stop_timeout(struct warden_config *c, const char *v, char *w, size_t wlen)
{
	return set_duration(&c->stop_timeout_ns, v, w, wlen);
}

static int set_max_restarts(struct warden_config *c, const char *v, char *w, size_t wlen)
{
	unsigned long long n;

	if (parse_uint(v, 0, 1000000, &n))
		return why(w, wlen, "'%s' is not a number in 0..1000000", SHOW(v));
	c->max_restarts = (uint32_t)n;
	return 0;
}

static int set_start_seconds(struct warden_config *c, const char *v, char *w, size_t wlen)
{
	return set_duration(&c->start_seconds_ns, v, w, wlen);
}

static int set_start_retries(struct warden_config *c, const char *v, char *w, size_t wlen)
{
	unsigned long long n;

	if (parse_uint(v, 0, 1000000, &n))
		return why(w, wlen, "'%s' is not a number in 0..1000000 (0: never give up)", SHOW(v));
	c->start_retries = (uint32_t)n;
	return 0;
}

/* USER or USER:GROUP, names or numbers; resolved when the app starts. */
static int set_user(struct warden_config *c, const char *v, char *w, size_t wlen)
{
	int err = check_text(v, sizeof(c->user), w, wlen);

	if (!err && (strchr(v, ' ') || v[0] == ':' || (strchr(v, ':') && !strchr(v, ':')[1])))
		err = why(w, wlen, "'%s' is not USER or USER:GROUP", SHOW(v));
	if (!err)
		snprintf(c->user, sizeof(c->user), "%s", v);
	return err;
}

static int set_log_stream(struct warden_config *c, const char *v, char *w, size_t wlen)
{
	static const char *const streams[] = { "both", "stdout", "stderr", NULL };

	return set_choice(c->log_stream, sizeof(c->log_stream), v, streams, w, wlen);
}

static int set_resolve_interval(struct warden_config *c, const char *v, char *w, size_t wlen)
{
	return set_duration(&c->resolve_interval_ns, v, w, wlen);
}

static int set_control(struct warden_config *c, const char *v, char *w, size_t wlen)
{
	int err = check_abs_path(v, sizeof(c->control), w, wlen);

	if (!err)
		snprintf(c->control, sizeof(c->control), "%s", v);
	return err;
}

static int set_http_token_file(struct warden_config *c, const char *v, char *w, size_t wlen)
{
	int err = *v ? check_abs_path(v, sizeof(c->http_token_file), w, wlen) : 0;

	if (!err)
		snprintf(c->http_token_file, sizeof(c->http_token_file), "%s", v);
	return err;
}

/* ---- warden watch ---- */

/* Absolute glob patterns of the files to follow; appended, duplicates skipped. */
static int check_follow(const char *item, char *w, size_t wlen)
{
	return check_abs_path(item, 4096, w, wlen);
}

static int set_follow(struct warden_config *c, const char *v, char *w, size_t wlen)
{
	return set_string_list(c->follow, &c->n_follow, CONFIG_MAX_FOLLOW, "patterns", check_follow,
			       v, w, wlen);
}

static int set_backfill(struct warden_config *c, const char *v, char *w, size_t wlen)
{
	return set_bool(&c->backfill, v, w, wlen);
}

/* ---- hangs, slowness, history ---- */

static int set_watcher(struct warden_config *c, const char *v, char *w, size_t wlen)
{
	static const char *const backends[] = { "auto", "kprobe", "tracepoint", "sock_diag", "off",
						NULL };

	return set_choice(c->watcher, sizeof(c->watcher), v, backends, w, wlen);
}

static int set_hang_timeout(struct warden_config *c, const char *v, char *w, size_t wlen)
{
	return set_duration(&c->hang_timeout_ns, v, w, wlen);
}

/* 0 turns the slowness warning off. */
static int set_slow_threshold(struct warden_config *c, const char *v, char *w, size_t wlen)
{
	if (!strcmp(v, "0") || !strcasecmp(v, "off")) {
		c->slow_threshold_ns = 0;
		return 0;
	}
	return set_duration(&c->slow_threshold_ns, v, w, wlen);
}

static int set_retention(struct warden_config *c, const char *v, char *w, size_t wlen)
{
	return set_duration(&c->retention_ns, v, w, wlen);
}

static int set_analytics(struct warden_config *c, const char *v, char *w, size_t wlen)
{
	return set_bool(&c->analytics, v, w, wlen);
}

/* A route rule as the app declares it ("/events/<int:id>"); repeatable, blank-separated. */
static int set_hang_exempt(struct warden_config *c, const char *v, char *w, size_t wlen)
{
	char copy[CONFIG_MAX_LINE], *tok, *save = NULL;
	int i, n = c->n_hang_exempt;

	if (!*v) {
		c->n_hang_exempt = 0;
		return 0;
	}
	if (check_text(v, sizeof(copy), w, wlen))
		return -EINVAL;
	snprintf(copy, sizeof(copy), "%s", v);
	for (tok = strtok_r(copy, " ,\t", &save); tok; tok = strtok_r(NULL, " ,\t", &save)) {
		if (tok[0] != '/' || strlen(tok) >= sizeof(c->hang_exempt[0]))
			return why(w, wlen, "'%s' is not a route rule (like /events/<int:id>)", SHOW(tok));
		for (i = 0; i < n && strcmp(c->hang_exempt[i], tok); i++)
			;
		if (i < n)
			continue;
		if (n == CONFIG_MAX_HANG_EXEMPT)
			return why(w, wlen, "more than %d exempt rules", CONFIG_MAX_HANG_EXEMPT);
		snprintf(c->hang_exempt[n++], sizeof(c->hang_exempt[0]), "%s", tok);
	}
	c->n_hang_exempt = n;
	return 0;
}

static int set_routes_from(struct warden_config *c, const char *v, char *w, size_t wlen)
{
	static const char *const ways[] = { "source", "flask", NULL };

	return set_choice(c->routes_from, sizeof(c->routes_from), v, ways, w, wlen);
}

/* "[METHOD[,METHOD...] ]RULE", one per value (a rule may hold commas and blanks). */
static int set_extra_routes(struct warden_config *c, const char *v, char *w, size_t wlen)
{
	const char *rule = v, *sp;
	size_t i;

	if (!*v) {
		c->n_extra_routes = 0;
		return 0;
	}
	if (check_text(v, sizeof(c->extra_routes[0]), w, wlen))
		return -EINVAL;
	if (v[0] != '/') {
		sp = strchr(v, ' ');
		for (i = 0; sp && v + i < sp; i++)
			if (!((v[i] >= 'A' && v[i] <= 'Z') || (v[i] >= 'a' && v[i] <= 'z') || v[i] == ','))
				break;
		if (!sp || v + i < sp)
			return why(w, wlen, "'%s' is not [METHODS ]RULE (like \"GET,POST /hook/<token>\")",
				   SHOW(v));
		for (rule = sp; *rule == ' '; rule++)
			;
	}
	if (rule[0] != '/')
		return why(w, wlen, "'%s': the rule must start with '/'", SHOW(v));
	if (c->n_extra_routes == CONFIG_MAX_EXTRA_ROUTES)
		return why(w, wlen, "more than %d extra routes", CONFIG_MAX_EXTRA_ROUTES);
	snprintf(c->extra_routes[c->n_extra_routes++], sizeof(c->extra_routes[0]), "%s", v);
	return 0;
}

/* ---- the fleet ---- */

static int set_fleet(struct warden_config *c, const char *v, char *w, size_t wlen)
{
	struct fleet_url url;

	if (check_text(v, sizeof(c->fleet), w, wlen))
		return -EINVAL;
	if (*v && fleet_url__parse(v, &url, w, wlen))
		return -EINVAL;
	explicit_bzero(&url, sizeof(url));
	snprintf(c->fleet, sizeof(c->fleet), "%s", v);
	return 0;
}

static int set_fleet_prefix(struct warden_config *c, const char *v, char *w, size_t wlen)
{
	if (check_text(v, sizeof(c->fleet_prefix), w, wlen))
		return -EINVAL;
	if (!*v || strpbrk(v, " {}"))
		return why(w, wlen, "'%s' is not a key prefix (no blank, no braces)", SHOW(v));
	snprintf(c->fleet_prefix, sizeof(c->fleet_prefix), "%s", v);
	return 0;
}

static int set_fleet_password_file(struct warden_config *c, const char *v, char *w, size_t wlen)
{
	int err = *v ? check_abs_path(v, sizeof(c->fleet_password_file), w, wlen) : 0;

	if (!err)
		snprintf(c->fleet_password_file, sizeof(c->fleet_password_file), "%s", v);
	return err;
}

static int set_fleet_name(struct warden_config *c, const char *v, char *w, size_t wlen)
{
	if (check_text(v, sizeof(c->fleet_name), w, wlen))
		return -EINVAL;
	if (strchr(v, ' '))
		return why(w, wlen, "'%s' is not a host name", SHOW(v));
	snprintf(c->fleet_name, sizeof(c->fleet_name), "%s", v);
	return 0;
}

static int set_fleet_rate(struct warden_config *c, const char *v, char *w, size_t wlen)
{
	unsigned long long n;

	if (parse_uint(v, 1, 1000000, &n))
		return why(w, wlen, "'%s' is not a number of bans per minute in 1..1000000", SHOW(v));
	c->fleet_rate = (uint32_t)n;
	return 0;
}

static int set_min_prefix(uint8_t *out, int max, const char *v, char *w, size_t wlen)
{
	unsigned long long n;

	if (v[0] == '/')
		v++;
	if (parse_uint(v, 1, (unsigned long long)max, &n))
		return why(w, wlen, "'%s' is not a prefix length in 1..%d", SHOW(v), max);
	*out = (uint8_t)n;
	return 0;
}

static int set_fleet_min_prefix4(struct warden_config *c, const char *v, char *w, size_t wlen)
{
	return set_min_prefix(&c->fleet_min_prefix4, 32, v, w, wlen);
}

static int set_fleet_min_prefix6(struct warden_config *c, const char *v, char *w, size_t wlen)
{
	return set_min_prefix(&c->fleet_min_prefix6, 128, v, w, wlen);
}

/* ---- the keys ---- */

/*
 * Every key once, with the command-line option of the same setting: both
 * come from options.def. Options of the command line only leave a hole
 * (name NULL), skipped by the lookups.
 */
#define KEY(name, arg, cmds, id, section, key, setter, list, help) { #section, key, setter, list },
#define OPT(name, short_name, arg, cmds, id, help) { NULL, NULL, NULL, false },
#define ALIAS(name, arg, cmds, key) { NULL, NULL, NULL, false },
static const struct key_def keys[] = {
#include "options.def"
};
#undef KEY
#undef OPT
#undef ALIAS
#define KEY(name, arg, cmds, id, section, key, setter, list, help) #section "." key,
#define OPT(name, short_name, arg, cmds, id, help)
#define ALIAS(name, arg, cmds, key)
static const char *const key_names[] = {
#include "options.def"
	NULL
};
#undef KEY
#undef OPT
#undef ALIAS
#define NR_KEYS (sizeof(keys) / sizeof(keys[0]))

static const struct {
	const char *alias, *name;
} aliases[] = {
	{ "ipv6prefix", "ipv6_prefix" },
};

/* fail2ban settings that a jail.local may carry but warden has no use for. */
static const char *const fail2ban_only[] = {
	"enabled", "filter", "logpath", "action", "banaction", "banaction_allports", "port",
	"protocol", "backend", "usedns", "logencoding", "ignoreself", "ignorecommand",
	"bantime.formula", "bantime.multipliers", "bantime.rndtime", "bantime.overalljails",
	"maxmatches", "chain", "mta", "destemail", "sender", "dbpurgeage", NULL,
};

const char *const *config__keys(void)
{
	return key_names;
}

static const char *app_section_name(const char *section);

static bool section_known(const char *s)
{
	return !strcasecmp(s, "warden") || !strcasecmp(s, "jail") || app_section_name(s);
}

/* The key named name ('-' as '_', any case, aliases), or NULL. */
static const struct key_def *find_key(const char *name, char *norm, size_t size)
{
	size_t i;

	for (i = 0; name[i] && i + 1 < size; i++)
		norm[i] = name[i] == '-' ? '_' : (char)tolower((unsigned char)name[i]);
	norm[i] = '\0';
	if (name[i])
		return NULL; /* longer than any key */
	for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (!strcmp(norm, aliases[i].alias))
			snprintf(norm, size, "%s", aliases[i].name);
	for (i = 0; i < NR_KEYS; i++)
		if (keys[i].name && !strcmp(norm, keys[i].name))
			return &keys[i];
	return NULL;
}

/* Find key for section (NULL: any), or explain why not in w. */
static const struct key_def *lookup_key(const char *section, const char *key, char *w,
					size_t wlen)
{
	const struct key_def *k;
	char norm[64];
	size_t i;

	if (section && !section_known(section)) {
		why(w, wlen, "unknown section [%s] (expected [warden], [jail] or [app NAME])", SHOW(section));
		return NULL;
	}
	k = find_key(key, norm, sizeof(norm));
	if (!k) {
		for (i = 0; fail2ban_only[i]; i++) {
			if (!strcmp(norm, fail2ban_only[i])) {
				why(w, wlen, "unknown key '%s': a fail2ban setting warden does not use",
				    SHOW(key));
				return NULL;
			}
		}
		if (section)
			why(w, wlen, "unknown key '%s' in [%s]", SHOW(key), SHOW(section));
		else
			why(w, wlen, "unknown key '%s'", SHOW(key));
		return NULL;
	}
	if (section && strcasecmp(section, k->section)) {
		why(w, wlen, "'%s' belongs in [%s], not [%s]", k->name, k->section, SHOW(section));
		return NULL;
	}
	return k;
}

static int set_key(struct warden_config *c, const struct key_def *k, const char *value, char *err,
		   size_t errlen)
{
	char reason[384];
	const char *end;
	char *v;
	int ret;

	/* Blanks around the value are not part of it, as in the file. */
	while (isspace((unsigned char)*value))
		value++;
	end = value + strlen(value);
	while (end > value && isspace((unsigned char)end[-1]))
		end--;
	v = strndup(value, (size_t)(end - value));
	if (!v) {
		why(err, errlen, "%s: out of memory", k->name);
		return -ENOMEM;
	}
	reason[0] = '\0';
	ret = k->set(c, v, reason, sizeof(reason));
	if (ret)
		why(err, errlen, "%s: %s", k->name, reason);
	free(v);
	return ret;
}

int config__set(struct warden_config *c, const char *section, const char *key, const char *value,
		char *err, size_t errlen)
{
	const struct key_def *k;

	if (!c || !key || !value)
		return why(err, errlen, "missing key or value");
	k = lookup_key(section, key, err, errlen);
	if (!k)
		return -EINVAL;
	return set_key(c, k, value, err, errlen);
}

void config__defaults(struct warden_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->pin_path, sizeof(c->pin_path), "%s", WARDEN_DEFAULT_PIN_PATH);
	snprintf(c->xdp_mode, sizeof(c->xdp_mode), "auto");
	snprintf(c->log_format, sizeof(c->log_format), "auto");
	snprintf(c->http, sizeof(c->http), "127.0.0.1:9470");
	snprintf(c->state_dir, sizeof(c->state_dir), "/var/lib/warden");
	snprintf(c->log_stream, sizeof(c->log_stream), "both");
	snprintf(c->routes_from, sizeof(c->routes_from), "source");
	snprintf(c->restart, sizeof(c->restart), "on-failure");
	c->restart_max_delay_ns = 30 * NSEC_PER_SEC;
	c->restart_reset_ns = 60 * NSEC_PER_SEC;
	c->restart_window_ns = 600 * NSEC_PER_SEC;
	c->stop_timeout_ns = 10 * NSEC_PER_SEC;
	c->start_seconds_ns = NSEC_PER_SEC;
	c->start_retries = 5;
	c->resolve_interval_ns = 300 * NSEC_PER_SEC;
	c->throttle_ipv6_prefix = WARDEN_V6_CLIENT_PREFIX;
	snprintf(c->watcher, sizeof(c->watcher), "auto");
	c->hang_timeout_ns = 30 * NSEC_PER_SEC;
	c->slow_threshold_ns = 2 * NSEC_PER_SEC;
	c->retention_ns = 30ULL * 86400 * NSEC_PER_SEC;
	c->analytics = true;
	detector_opts__defaults(&c->jail);
	snprintf(c->fleet_prefix, sizeof(c->fleet_prefix), "warden");
	c->fleet_rate = 600;
	c->fleet_min_prefix4 = 16;
	c->fleet_min_prefix6 = 32;
}

/* ---- [app NAME] sections ---- */

static void app_section__free(struct app_section *a)
{
	int i;

	if (!a)
		return;
	for (i = 0; i < a->n_follow; i++)
		free(a->follow[i]);
	for (i = 0; i < a->n_jail; i++)
		free(a->jail[i].value);
	free(a);
}

static struct app_section *app_section__dup(const struct app_section *src)
{
	struct app_section *a = malloc(sizeof(*a));
	int i;

	if (!a)
		return NULL;
	*a = *src;
	a->n_follow = a->n_jail = 0;
	for (i = 0; i < src->n_follow; i++) {
		a->follow[i] = strdup(src->follow[i]);
		if (!a->follow[i])
			goto fail;
		a->n_follow = i + 1;
	}
	for (i = 0; i < src->n_jail; i++) {
		a->jail[i].value = strdup(src->jail[i].value);
		if (!a->jail[i].value)
			goto fail;
		a->n_jail = i + 1;
	}
	return a;
fail:
	app_section__free(a);
	return NULL;
}

/* "app NAME" as a section name: NAME, or NULL if the section is not an app's. */
static const char *app_section_name(const char *section)
{
	if (strncasecmp(section, "app", 3) || (section[3] != ' ' && section[3] != '\t'))
		return NULL;
	section += 3;
	while (*section == ' ' || *section == '\t')
		section++;
	return section;
}

static int check_app_name(const char *name, char *w, size_t wlen)
{
	size_t i, len = strlen(name);

	if (!len || len >= CONFIG_APP_NAME_LEN)
		return why(w, wlen, "an app's name has 1 to %d characters", CONFIG_APP_NAME_LEN - 1);
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("_.-", name[i]))
			return why(w, wlen, "app name '%s': letters, digits, '_', '.' and '-' only",
				   SHOW(name));
	return 0;
}

/* The section of app name in c, made if new. NULL with a reason in w. */
static struct app_section *app_section_get(struct warden_config *c, const char *name, int line,
					   char *w, size_t wlen)
{
	struct app_section *a;
	int i;

	if (check_app_name(name, w, wlen))
		return NULL;
	for (i = 0; i < c->n_apps; i++)
		if (!strcmp(c->apps[i]->name, name))
			return c->apps[i];
	if (c->n_apps == CONFIG_MAX_APPS) {
		why(w, wlen, "more than %d [app NAME] sections", CONFIG_MAX_APPS);
		return NULL;
	}
	a = calloc(1, sizeof(*a));
	if (!a) {
		why(w, wlen, "out of memory");
		return NULL;
	}
	snprintf(a->name, sizeof(a->name), "%s", name);
	a->line = line;
	c->apps[c->n_apps++] = a;
	return a;
}

/*
 * One "key = value" of an [app NAME] section: follow (appends), app (the
 * source), or a [jail] key, checked on a scratch copy of the settings so
 * that a bad value is refused on its own line. continued: an indented line
 * continuing the key before. 0 or -EINVAL/-ENOMEM with a reason in w.
 * follow and app are not taken from options.def: here they fill the
 * section's own fields, a file-only shape (a name in the section header)
 * that no command-line option has.
 */
static int app_section_set(struct app_section *a, const char *key, const char *value,
			   bool continued, char *w, size_t wlen)
{
	char norm[64], reason[384];
	const struct key_def *k;
	struct warden_config *scratch;
	char *joined;
	int i, err;

	for (i = 0; key[i] && i < 63; i++)
		norm[i] = key[i] == '-' ? '_' : (char)tolower((unsigned char)key[i]);
	norm[i] = '\0';
	if (!strcmp(norm, "follow"))
		return set_string_list(a->follow, &a->n_follow, CONFIG_MAX_FOLLOW, "patterns",
				       check_follow, value, w, wlen);
	if (!strcmp(norm, "app")) {
		if (continued || a->source[0])
			return why(w, wlen, "'app' is set twice in [app %s]", a->name);
		err = check_text(value, sizeof(a->source), w, wlen);
		if (!err && !*value)
			err = why(w, wlen, "'app' needs the app's Flask source");
		if (!err)
			snprintf(a->source, sizeof(a->source), "%s", value);
		return err;
	}
	k = lookup_key("jail", key, reason, sizeof(reason));
	if (!k)
		return why(w, wlen, "%s (an [app NAME] section takes follow, app and [jail] keys)",
			   reason);
	for (i = 0; i < a->n_jail && strcmp(a->jail[i].key, k->name); i++)
		;
	if (i < a->n_jail && !k->list)
		return why(w, wlen, "'%s' is set twice in [app %s]", k->name, a->name);
	if (i == a->n_jail && a->n_jail == CONFIG_MAX_APP_KEYS)
		return why(w, wlen, "more than %d keys in [app %s]", CONFIG_MAX_APP_KEYS, a->name);
	/* The value alone must be good; a list's lines are checked one by one. */
	scratch = malloc(sizeof(*scratch));
	if (!scratch)
		return why(w, wlen, "out of memory");
	config__defaults(scratch);
	err = set_key(scratch, k, value, w, wlen);
	config__free(scratch);
	free(scratch);
	if (err)
		return err;
	if (i < a->n_jail) {
		if (asprintf(&joined, "%s %s", a->jail[i].value, value) < 0)
			return why(w, wlen, "out of memory");
		free(a->jail[i].value);
		a->jail[i].value = joined;
		return 0;
	}
	a->jail[i].value = strdup(value);
	if (!a->jail[i].value)
		return why(w, wlen, "out of memory");
	snprintf(a->jail[i].key, sizeof(a->jail[i].key), "%s", k->name);
	a->n_jail++;
	return 0;
}

int config__app_config(const struct warden_config *base, const struct app_section *app,
		       struct warden_config *out, char *err, size_t errlen)
{
	const struct key_def *k;
	char reason[384];
	int i, ret;

	ret = config__copy(out, base);
	if (ret)
		return why(err, errlen, "out of memory");
	/* One app's settings: the sections are not part of them. */
	for (i = 0; i < out->n_apps; i++)
		app_section__free(out->apps[i]);
	out->n_apps = 0;
	snprintf(out->app, sizeof(out->app), "%s", app->source);
	for (i = 0; i < app->n_jail; i++) {
		k = lookup_key("jail", app->jail[i].key, reason, sizeof(reason));
		/* The app's value replaces base's, lists included (as a fail2ban jail does). */
		if (!k || (k->list && set_key(out, k, "", reason, sizeof(reason))) ||
		    set_key(out, k, app->jail[i].value, reason, sizeof(reason))) {
			config__free(out);
			return why(err, errlen, "[app %s]: %s", app->name, reason);
		}
	}
	if (config__check(out, reason, sizeof(reason))) {
		config__free(out);
		return why(err, errlen, "[app %s]: %s", app->name, reason);
	}
	return 0;
}

int config__copy(struct warden_config *dst, const struct warden_config *src)
{
	int i;

	*dst = *src;
	dst->n_follow = 0; /* copied below: until then, dst owns none of them */
	dst->n_apps = 0;
	for (i = 0; i < src->n_ifaces; i++) {
		dst->ifaces[i] = strdup(src->ifaces[i]);
		if (!dst->ifaces[i]) {
			dst->n_ifaces = i;
			config__free(dst);
			return -ENOMEM;
		}
	}
	for (i = 0; i < src->n_follow; i++) {
		dst->follow[i] = strdup(src->follow[i]);
		if (!dst->follow[i]) {
			config__free(dst);
			return -ENOMEM;
		}
		dst->n_follow = i + 1;
	}
	for (i = 0; i < src->n_apps; i++) {
		dst->apps[i] = app_section__dup(src->apps[i]);
		if (!dst->apps[i]) {
			config__free(dst);
			return -ENOMEM;
		}
		dst->n_apps = i + 1;
	}
	return 0;
}

void config__free(struct warden_config *c)
{
	int i;

	if (!c)
		return;
	for (i = 0; i < c->n_ifaces; i++) {
		free(c->ifaces[i]);
		c->ifaces[i] = NULL;
	}
	c->n_ifaces = 0;
	for (i = 0; i < c->n_follow; i++) {
		free(c->follow[i]);
		c->follow[i] = NULL;
	}
	c->n_follow = 0;
	for (i = 0; i < c->n_apps; i++) {
		app_section__free(c->apps[i]);
		c->apps[i] = NULL;
	}
	c->n_apps = 0;
}

int config__check(const struct warden_config *c, char *err, size_t errlen)
{
	char reason[256];
	int i;

	if (detector_opts__validate(&c->jail, reason, sizeof(reason)))
		return why(err, errlen, "%s", reason);
	if (!strcmp(c->log_format, "regex") && !c->log_regex[0])
		return why(err, errlen, "log_format regex needs a log_regex");
	for (i = 0; i < c->n_apps; i++) {
		const struct app_section *a = c->apps[i];

		if (!a->n_follow)
			return why(err, errlen, "[app %s] needs follow = GLOB ... (the app's logs)",
				    a->name);
		if (!a->source[0])
			return why(err, errlen, "[app %s] needs app = SOURCE (its Flask source)",
				    a->name);
	}
	if (c->n_apps && c->app[0])
		return why(err, errlen, "app = %s is set outside the [app NAME] sections: with "
			   "sections, each app names its source in its own", SHOW(c->app));
	/* Both or neither: whom to believe, and where they put the client. */
	if (c->n_real_ip_from && !c->real_ip_field[0])
		return why(err, errlen, "real_ip_from needs real_ip_field (where the proxies' "
			   "forwarded address is in the line: last)");
	if (c->real_ip_field[0] && !c->n_real_ip_from)
		return why(err, errlen, "real_ip_field needs real_ip_from (the trusted proxies)");
	return 0;
}

/* ---- the file ---- */

struct load_ctx {
	struct warden_config *c; /* the copy being filled */
	FILE *f;
	int lineno;              /* of the line inih works on: one reader call per line */
	bool indented;           /* that line starts with a blank */
	bool have_key;           /* a key came since the last section header (inih's prev_name) */
	int key_line;            /* where that key was */
	const struct key_def *last; /* and which */
	bool failed;
	int err_line, ret;
	char msg[512];
	int first_line[NR_KEYS]; /* where each key was first set, 0 = not yet */
};

static void load_fail(struct load_ctx *x, int line, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void load_fail(struct load_ctx *x, int line, int ret, const char *fmt, ...)
{
	va_list ap;

	if (x->failed)
		return;
	x->failed = true;
	x->err_line = line;
	x->ret = ret;
	va_start(ap, fmt);
	vsnprintf(x->msg, sizeof(x->msg), fmt, ap);
	va_end(ap);
}

/*
 * inih's fgets-like reader, one line per call, so that lineno is inih's line
 * number. It also refuses what inih would take silently: a line longer than
 * its buffer (inih would cut it and read the rest as another line), a NUL
 * byte, and a section that has no keys (inih says nothing of sections).
 */
static char *load_reader(char *str, int num, void *stream)
{
	struct load_ctx *x = stream;
	const char *p, *end;
	int ch, n = 0;

	if (x->failed)
		return NULL;
	while ((ch = getc(x->f)) != EOF) {
		if (ch == '\0') {
			load_fail(x, x->lineno + 1, -EINVAL, "NUL byte: not a text file");
			return NULL;
		}
		if (n >= num - 1) {
			load_fail(x, x->lineno + 1, -EINVAL, "line longer than %d bytes", num - 2);
			return NULL;
		}
		str[n++] = (char)ch;
		if (ch == '\n')
			break;
	}
	if (ferror(x->f)) {
		load_fail(x, x->lineno + 1, -EIO, "read error");
		return NULL;
	}
	if (!n)
		return NULL;
	str[n] = '\0';
	x->lineno++;

	p = str;
	if (x->lineno == 1 && !strncmp(p, "\xef\xbb\xbf", 3))
		p += 3; /* inih skips a UTF-8 BOM */
	x->indented = *p == ' ' || *p == '\t';
	p += strspn(p, " \t");
	if (*p == '[') {
		x->have_key = false;
		end = strchr(p, ']');
		if (end) {
			char name[64];

			snprintf(name, sizeof(name), "%.*s", (int)(end - p - 1), p + 1);
			if ((size_t)(end - p - 1) >= sizeof(name) || !section_known(name)) {
				load_fail(x, x->lineno, -EINVAL,
					  "unknown section [%s] (expected [warden], [jail] or [app NAME])",
					  SHOW(name));
				return NULL;
			}
		}
	}
	return str;
}

static int load_handler(void *user, const char *section, const char *name, const char *value)
{
	struct load_ctx *x = user;
	const struct key_def *k;
	char reason[512];
	bool continued = x->indented && x->have_key;
	size_t idx;

	if (x->failed)
		return 0;
	if (!*section) {
		load_fail(x, x->lineno, -EINVAL, "'%s' is outside any section: put it under "
			  "[warden] or [jail]", SHOW(name));
		return 0;
	}
	if (app_section_name(section)) {
		struct app_section *a = app_section_get(x->c, app_section_name(section),
							x->lineno, reason, sizeof(reason));

		if (!a || app_section_set(a, name, value, continued, reason, sizeof(reason))) {
			load_fail(x, x->lineno, -EINVAL, "%s", reason);
			return 0;
		}
		if (!continued)
			x->have_key = true;
		return 1;
	}
	k = lookup_key(section, name, reason, sizeof(reason));
	if (!k) {
		load_fail(x, x->lineno, -EINVAL, "%s", reason);
		return 0;
	}
	idx = (size_t)(k - keys);
	if (continued && !k->list) {
		load_fail(x, x->lineno, -EINVAL,
			  "this indented line continues '%s' from line %d, which takes one value",
			  k->name, x->key_line);
		return 0;
	}
	if (!continued && !k->list && x->first_line[idx]) {
		load_fail(x, x->lineno, -EINVAL, "'%s' is set twice (first on line %d)", k->name,
			  x->first_line[idx]);
		return 0;
	}
	/* inih hands a continuation over as another value of the same key: append it. */
	if (set_key(x->c, k, value, reason, sizeof(reason))) {
		if (continued)
			load_fail(x, x->lineno, -EINVAL, "%s (this indented line continues '%s' "
				  "from line %d)", reason, k->name, x->key_line);
		else
			load_fail(x, x->lineno, -EINVAL, "%s", reason);
		return 0;
	}
	if (!x->first_line[idx])
		x->first_line[idx] = x->lineno;
	if (!continued) {
		x->have_key = true;
		x->key_line = x->lineno;
	}
	return 1;
}

int config__load_jail(struct warden_config *c, const char *path, const char *jail, char *err,
		      size_t errlen)
{
	if (!c || !path)
		return why(err, errlen, "no configuration file given");
	char mine[512], theirs[512];
	int ret;

	if (!c || !path)
		return why(err, errlen, "no configuration file given");
	if (jail || f2bconf__is_layout(path))
		return f2bconf__apply(c, path, jail, err, errlen);
	ret = config__load(c, path, mine, sizeof(mine));
	if (ret != -EINVAL || !strstr(mine, "unknown section ["))
		goto out;
	/* [DEFAULT], [INCLUDES], [sshd]...: a jail file of fail2ban's under another name. */
	if (f2bconf__apply(c, path, NULL, theirs, sizeof(theirs)) == 0)
		return 0;
	return why(err, errlen, "%s (read as fail2ban's jail file: %s)", mine, theirs);
out:
	if (ret)
		why(err, errlen, "%s", mine);
	return ret;
}

int config__load(struct warden_config *c, const char *path, char *err, size_t errlen)
{
	struct warden_config tmp;
	struct load_ctx x = { 0 };
	struct stat st;
	int rc, saved_max, ret;

	if (!c || !path)
		return why(err, errlen, "no configuration file given");
	x.f = fopen(path, "re");
	if (!x.f) {
		ret = -errno;
		why(err, errlen, "%s: %s", path, strerror(-ret));
		return ret;
	}
	if (fstat(fileno(x.f), &st) == 0 && !S_ISREG(st.st_mode)) {
		fclose(x.f);
		return why(err, errlen, "%s: not a regular file", path);
	}
	ret = config__copy(&tmp, c);
	if (ret) {
		fclose(x.f);
		why(err, errlen, "%s: out of memory", path);
		return ret;
	}
	x.c = &tmp;

	/*
	 * Debian's libinih takes its line buffer size at run time (ini_max_line,
	 * 200 by default): make room for long paths and regexes. Our reader
	 * refuses longer lines instead of letting inih cut them.
	 */
	saved_max = ini_max_line;
	ini_max_line = CONFIG_MAX_LINE + 1;
	rc = ini_parse_stream(load_reader, &x, load_handler, &x);
	ini_max_line = saved_max;
	fclose(x.f);

	if (rc == -2) {
		ret = -ENOMEM;
		why(err, errlen, "%s: out of memory", path);
	} else if (rc > 0 && (!x.failed || rc < x.err_line)) {
		/* inih's own complaint: a line that is neither a section nor a key. */
		ret = -EINVAL;
		why(err, errlen, "%s:%d: syntax error: expected [section], key = value or a comment",
		    path, rc);
	} else if (x.failed) {
		ret = x.ret;
		why(err, errlen, "%s:%d: %s", path, x.err_line, x.msg);
	} else {
		config__free(c);
		*c = tmp;
		return 0;
	}
	config__free(&tmp);
	return ret;
}
