// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* fleet_msg.c - the fleet's state in Redis: the URL, the messages, their checks, the scripts. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <hiredis/hiredis.h>

#include "fleet_msg.h"
#include "log.h"

/*
 * One script for every write, so that the set, the hash and the stream
 * never disagree. ARGV: op, target, exp, origin, at, reason, maxlen.
 *   op "ban":    ZADD GT (a shorter ban never shortens a longer one), the
 *                details, XADD; returns the entry id. An expired ban: nil.
 *   op "unban":  ZREM, HDEL, XADD; returns the entry id.
 *   op "clean":  only the cleaning; returns how many were removed.
 *   op "load":   target is the last id the caller applied: {"continue"} if
 *                the stream still holds it (the caller reads on from there),
 *                else {"load", LAST_ID, target, score, details, ...}: the
 *                live set and the stream id it is consistent with.
 * Each call first removes up to 256 expired entries (TIME is allowed in
 * scripts since Redis 5's effects replication).
 */
static const char fleet_script[] =
	"local t = redis.call('TIME')\n"
	"local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
	"local old = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, 256)\n"
	"if #old > 0 then\n"
	"  redis.call('ZREM', KEYS[1], unpack(old))\n"
	"  redis.call('HDEL', KEYS[2], unpack(old))\n"
	"end\n"
	"local op = ARGV[1]\n"
	"if op == 'clean' then return #old end\n"
	"if op == 'load' then\n"
	"  if ARGV[2] ~= '' and #redis.call('XRANGE', KEYS[3], ARGV[2], ARGV[2]) > 0 then\n"
	"    return {'continue'}\n"
	"  end\n"
	"  local last = redis.call('XREVRANGE', KEYS[3], '+', '-', 'COUNT', 1)\n"
	"  local out = {'load', '0-0'}\n"
	"  if #last > 0 then out[2] = last[1][1] end\n"
	"  local live = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf', 'WITHSCORES')\n"
	"  for i = 1, #live, 2 do\n"
	"    out[#out + 1] = live[i]\n"
	"    out[#out + 1] = live[i + 1]\n"
	"    out[#out + 1] = redis.call('HGET', KEYS[2], live[i]) or ''\n"
	"  end\n"
	"  return out\n"
	"end\n"
	"if op == 'ban' then\n"
	"  local score = '+inf'\n"
	"  if ARGV[3] ~= '0' then\n"
	"    if tonumber(ARGV[3]) <= now then return false end\n"
	"    score = ARGV[3]\n"
	"  end\n"
	"  redis.call('ZADD', KEYS[1], 'GT', score, ARGV[2])\n"
	"  redis.call('HSET', KEYS[2], ARGV[2], ARGV[4] .. '\\n' .. ARGV[5] .. '\\n' .. ARGV[6])\n"
	"else\n"
	"  redis.call('ZREM', KEYS[1], ARGV[2])\n"
	"  redis.call('HDEL', KEYS[2], ARGV[2])\n"
	"end\n"
	"return redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[7], '*', 'op', op, 'target',\n"
	"  ARGV[2], 'exp', ARGV[3], 'origin', ARGV[4], 'at', ARGV[5], 'reason', ARGV[6])\n";

const char *fleet_refusal__name(enum fleet_refusal r)
{
	static const char *names[] = {
		[FLEET_REFUSE_MALFORMED] = "malformed", [FLEET_REFUSE_SHORT_PREFIX] = "short_prefix",
		[FLEET_REFUSE_RATE] = "rate",           [FLEET_REFUSE_LOCAL] = "local_rule",
		[FLEET_REFUSE_STALE] = "stale",
	};

	return r < FLEET_REFUSE__COUNT ? names[r] : "?";
}

/* ---- the URL ---- */

static int copy_part(char *dst, size_t size, const char *s, size_t len)
{
	if (len >= size)
		return -EINVAL;
	memcpy(dst, s, len);
	dst[len] = '\0';
	return 0;
}

static int parse_uint(const char *s, size_t len, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	size_t i;

	if (!len || len > 10)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int fleet_url__parse(const char *text, struct fleet_url *out, char *err, size_t errlen)
{
	const char *p, *at, *slash, *host, *colon, *host_end;
	unsigned long v;

	memset(out, 0, sizeof(*out));
	out->port = FLEET_DEFAULT_PORT;
	if (strncmp(text, "redis://", 8)) {
		snprintf(err, errlen, "the fleet is a URL redis://[USER:PASSWORD@]HOST[:PORT][/DB] "
			 "(rediss:// is not supported by this hiredis: see the README on TLS)");
		return -EINVAL;
	}
	p = text + 8;
	slash = strchr(p, '/');
	at = memrchr(p, '@', slash ? (size_t)(slash - p) : strlen(p));
	if (at) {
		const char *c = memchr(p, ':', (size_t)(at - p));

		/* USER@ alone: the password comes from fleet_password_file. */
		if (!c)
			c = at;
		if (copy_part(out->user, sizeof(out->user), p, (size_t)(c - p)) ||
		    (c < at &&
		     copy_part(out->password, sizeof(out->password), c + 1, (size_t)(at - c - 1)))) {
			snprintf(err, errlen, "user or password too long");
			return -EINVAL;
		}
		host = at + 1;
	} else {
		host = p;
	}
	host_end = slash ? slash : host + strlen(host);
	if (*host == '[') { /* [2001:db8::1]:6379 */
		const char *rb = memchr(host, ']', (size_t)(host_end - host));

		if (!rb || copy_part(out->host, sizeof(out->host), host + 1, (size_t)(rb - host - 1))) {
			snprintf(err, errlen, "bad [IPv6] host");
			return -EINVAL;
		}
		colon = rb + 1 < host_end && rb[1] == ':' ? rb + 1 : NULL;
		if (!colon && rb + 1 != host_end) {
			snprintf(err, errlen, "bad [IPv6] host");
			return -EINVAL;
		}
	} else {
		colon = memchr(host, ':', (size_t)(host_end - host));
		if (copy_part(out->host, sizeof(out->host), host,
			      (size_t)((colon ? colon : host_end) - host))) {
			snprintf(err, errlen, "host too long");
			return -EINVAL;
		}
	}
	if (!out->host[0]) {
		snprintf(err, errlen, "no host");
		return -EINVAL;
	}
	if (colon) {
		if (parse_uint(colon + 1, (size_t)(host_end - colon - 1), 65535, &v) || !v) {
			snprintf(err, errlen, "the port is a number from 1 to 65535");
			return -EINVAL;
		}
		out->port = (int)v;
	}
	if (slash && slash[1]) {
		if (parse_uint(slash + 1, strlen(slash + 1), INT_MAX, &v)) {
			snprintf(err, errlen, "the database is a number (/0, /1 ...)");
			return -EINVAL;
		}
		out->db = (int)v;
	}
	return 0;
}

const char *fleet_url__redact(const char *text, char *buf, size_t len)
{
	const char *p = strncmp(text, "redis://", 8) ? text : text + 8;
	const char *slash = strchr(p, '/');
	const char *at = memrchr(p, '@', slash ? (size_t)(slash - p) : strlen(p));
	const char *c = at ? memchr(p, ':', (size_t)(at - p)) : NULL;

	if (!c)
		snprintf(buf, len, "%s", text);
	else
		snprintf(buf, len, "%.*s***%s", (int)(c + 1 - text), text, at);
	return buf;
}

int fleet_url__read_password(struct fleet_url *url, const char *path, char *err, size_t errlen)
{
	char line[sizeof(url->password) + 2];
	struct stat st;
	size_t n;
	FILE *f;
	int ret;

	f = fopen(path, "re");
	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "fleet_password_file %s: %s", path, strerror(-ret));
		return ret;
	}
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & S_IROTH))
		pr_warn("fleet_password_file %s can be read by every user of this host", path);
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	n = strcspn(line, "\r\n");
	while (n && (line[n - 1] == ' ' || line[n - 1] == '\t'))
		n--;
	line[n] = '\0';
	if (!n || n >= sizeof(url->password)) {
		explicit_bzero(line, sizeof(line));
		snprintf(err, errlen, "fleet_password_file %s: %s", path,
			 n ? "the password is too long" : "empty");
		return -EINVAL;
	}
	memcpy(url->password, line, n + 1);
	explicit_bzero(line, sizeof(line));
	return 0;
}

/* ---- messages ---- */

void fleet_msg__clean_text(const char *in, char *out, size_t size)
{
	size_t i;

	for (i = 0; in[i] && i + 1 < size; i++)
		out[i] = (unsigned char)in[i] < 0x20 || in[i] == 0x7f ? '?' : in[i];
	out[i] = '\0';
}

/* Text without control bytes (a tab or newline would break the hash's details). */
static bool clean_text(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

static int parse_u64(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (!len || len > 19)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

int fleet_msg__parse(const char *const *names, const size_t *name_lens, const char *const *values,
		     const size_t *value_lens, size_t n, struct fleet_msg *out, char *err,
		     size_t errlen)
{
	static const char *fields[] = { "op", "target", "exp", "origin", "at", "reason" };
	const char *v[6] = { 0 };
	size_t vl[6] = { 0 }, i, k;
	char target[PREFIX_STRLEN];

	memset(out, 0, sizeof(*out));
	for (i = 0; i < n; i++) {
		for (k = 0; k < 6; k++)
			if (name_lens[i] == strlen(fields[k]) &&
			    !memcmp(names[i], fields[k], name_lens[i]))
				break;
		if (k == 6)
			continue; /* a later version's field: ignored */
		if (v[k]) {
			snprintf(err, errlen, "field %s given twice", fields[k]);
			return -EINVAL;
		}
		v[k] = values[i];
		vl[k] = value_lens[i];
	}
	for (k = 0; k < 5; k++) {
		if (!v[k]) {
			snprintf(err, errlen, "no %s", fields[k]);
			return -EINVAL;
		}
	}
	if (vl[0] == 3 && !memcmp(v[0], "ban", 3)) {
		out->op = FLEET_BAN;
	} else if (vl[0] == 5 && !memcmp(v[0], "unban", 5)) {
		out->op = FLEET_UNBAN;
	} else {
		snprintf(err, errlen, "unknown op");
		return -EINVAL;
	}
	if (vl[1] >= sizeof(target) || copy_part(target, sizeof(target), v[1], vl[1]) ||
	    !clean_text(v[1], vl[1]) || prefix__parse(target, &out->target, NULL, 0)) {
		snprintf(err, errlen, "target is not an address or prefix");
		return -EINVAL;
	}
	if (parse_u64(v[2], vl[2], &out->exp_ms) || parse_u64(v[4], vl[4], &out->at_ms)) {
		snprintf(err, errlen, "exp and at are Unix times in ms");
		return -EINVAL;
	}
	if (!vl[3] || vl[3] >= sizeof(out->origin) || !clean_text(v[3], vl[3])) {
		snprintf(err, errlen, "origin is 1 to %d printable bytes", FLEET_ORIGIN_LEN - 1);
		return -EINVAL;
	}
	memcpy(out->origin, v[3], vl[3]);
	if (v[5]) {
		if (vl[5] >= sizeof(out->reason) || !clean_text(v[5], vl[5])) {
			snprintf(err, errlen, "reason is at most %d printable bytes",
				 WARDEN_REASON_LEN - 1);
			return -EINVAL;
		}
		memcpy(out->reason, v[5], vl[5]);
	}
	return 0;
}

bool fleet_msg__long_enough(const struct fleet_msg *m, int min4, int min6)
{
	return m->target.prefixlen >= (m->target.family == 4 ? min4 : min6);
}

static void set_keys(struct fleet_args *a, const char *prefix)
{
	snprintf(a->keys[0], sizeof(a->keys[0]), "%s:bans", prefix);
	snprintf(a->keys[1], sizeof(a->keys[1]), "%s:ban", prefix);
	snprintf(a->keys[2], sizeof(a->keys[2]), "%s:log", prefix);
	a->argv[0] = "EVAL";
	a->argv[1] = fleet_script;
	a->argv[2] = "3";
	a->argv[3] = a->keys[0];
	a->argv[4] = a->keys[1];
	a->argv[5] = a->keys[2];
	snprintf(a->maxlen, sizeof(a->maxlen), "%d", FLEET_STREAM_MAXLEN);
}

static int finish_args(struct fleet_args *a)
{
	int i;

	for (i = 0; i < 14; i++)
		a->lens[i] = strlen(a->argv[i]);
	return 14;
}

int fleet_msg__script_args(const struct fleet_msg *m, const char *prefix, struct fleet_args *a)
{
	set_keys(a, prefix);
	prefix__format(&m->target, a->target, sizeof(a->target));
	snprintf(a->exp, sizeof(a->exp), "%llu",
		 m->op == FLEET_BAN ? (unsigned long long)m->exp_ms : 0ULL);
	snprintf(a->at, sizeof(a->at), "%llu", (unsigned long long)m->at_ms);
	a->argv[6] = m->op == FLEET_BAN ? "ban" : "unban";
	a->argv[7] = a->target;
	a->argv[8] = a->exp;
	a->argv[9] = m->origin;
	a->argv[10] = a->at;
	a->argv[11] = m->reason;
	a->argv[12] = a->maxlen;
	a->argv[13] = "";
	return finish_args(a) - 1; /* the script takes 7 ARGV */
}

int fleet_msg__load_args(const char *prefix, const char *last_id, struct fleet_args *a)
{
	set_keys(a, prefix);
	a->argv[6] = last_id ? "load" : "clean";
	a->argv[7] = last_id ? last_id : "";
	a->argv[8] = a->argv[9] = a->argv[10] = a->argv[11] = a->argv[12] = a->argv[13] = "";
	return finish_args(a) - 1;
}

/* ---- the rate of each origin ---- */

struct rate_slot {
	char origin[FLEET_ORIGIN_LEN];
	double tokens;
	uint64_t last_ns;
};

struct fleet_rate {
	uint32_t per_minute;
	struct rate_slot slots[FLEET_RATE_ORIGINS];
	size_t n;
};

struct fleet_rate *fleet_rate__new(uint32_t per_minute)
{
	struct fleet_rate *r = calloc(1, sizeof(*r));

	if (r)
		r->per_minute = per_minute;
	return r;
}

void fleet_rate__free(struct fleet_rate *r)
{
	free(r);
}

bool fleet_rate__allow(struct fleet_rate *r, const char *origin, uint64_t now_ns)
{
	struct rate_slot *s = NULL, *oldest = NULL;
	size_t i;

	/* A linear walk: a fleet has hundreds or thousands of origins, and bans are rare. */
	for (i = 0; i < r->n; i++) {
		if (!strcmp(r->slots[i].origin, origin)) {
			s = &r->slots[i];
			break;
		}
		if (!oldest || r->slots[i].last_ns < oldest->last_ns)
			oldest = &r->slots[i];
	}
	if (!s) {
		s = r->n < FLEET_RATE_ORIGINS ? &r->slots[r->n++] : oldest;
		snprintf(s->origin, sizeof(s->origin), "%s", origin);
		s->tokens = r->per_minute;
		s->last_ns = now_ns;
	}
	s->tokens += (double)(now_ns - s->last_ns) * r->per_minute / 60e9;
	if (s->tokens > r->per_minute)
		s->tokens = r->per_minute;
	s->last_ns = now_ns;
	if (s->tokens < 1)
		return false;
	s->tokens -= 1;
	return true;
}

/* ---- one-shot publishing (warden ban --fleet) ---- */

/* AUTH and SELECT as the URL asks; 0 or -EACCES/-EIO with a reason in err. */
static int sync_hello(redisContext *c, const struct fleet_url *url, char *err, size_t errlen)
{
	redisReply *r = NULL;

	if (url->password[0]) {
		r = url->user[0] ? redisCommand(c, "AUTH %s %s", url->user, url->password)
				 : redisCommand(c, "AUTH %s", url->password);
		if (!r || r->type == REDIS_REPLY_ERROR) {
			snprintf(err, errlen, "AUTH: %s", r ? r->str : c->errstr);
			freeReplyObject(r);
			return -EACCES;
		}
		freeReplyObject(r);
	}
	if (url->db) {
		r = redisCommand(c, "SELECT %d", url->db);
		if (!r || r->type == REDIS_REPLY_ERROR) {
			snprintf(err, errlen, "SELECT %d: %s", url->db, r ? r->str : c->errstr);
			freeReplyObject(r);
			return -EIO;
		}
		freeReplyObject(r);
	}
	return 0;
}

int fleet__publish_once(const struct fleet_url *url, const char *prefix,
			const struct fleet_msg *msgs, size_t n, char *err, size_t errlen)
{
	struct timeval tv = { .tv_sec = 5 };
	struct fleet_args a;
	redisContext *c;
	redisReply *r;
	size_t i;
	int ret = 0, argc;

	c = redisConnectWithTimeout(url->host, url->port, tv);
	if (!c || c->err) {
		snprintf(err, errlen, "cannot reach the fleet's Redis at %s:%d: %s", url->host,
			 url->port, c ? c->errstr : "out of memory");
		redisFree(c);
		return -ECONNREFUSED;
	}
	redisSetTimeout(c, tv);
	ret = sync_hello(c, url, err, errlen);
	/* Pipelined: one round trip for a whole --file. */
	for (i = 0; !ret && i < n; i++) {
		argc = fleet_msg__script_args(&msgs[i], prefix, &a);
		if (redisAppendCommandArgv(c, argc, a.argv, a.lens) != REDIS_OK) {
			snprintf(err, errlen, "%s", c->errstr);
			ret = -EIO;
		}
	}
	for (i = 0; !ret && i < n; i++) {
		if (redisGetReply(c, (void **)&r) != REDIS_OK) {
			snprintf(err, errlen, "%s", c->errstr);
			ret = -EIO;
			break;
		}
		if (r->type == REDIS_REPLY_ERROR) {
			snprintf(err, errlen, "%s", r->str);
			ret = -EIO;
		}
		freeReplyObject(r);
	}
	redisFree(c);
	return ret;
}
