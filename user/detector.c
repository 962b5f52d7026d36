// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* detector.c - fail2ban's ban decisions: failures in a sliding window, escalating bans. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "detector.h"
#include "errmsg.h"
#include "timeutil.h"

/*
 * State: one entry per key, in a hash table and on one of two LRU lists.
 *
 * The key is what gets banned: an IPv4 address, or the /ipv6_prefix of an
 * IPv6 client (so that rotating addresses inside a /64 does not evade). An
 * entry holds the key's failure window (a ring of the last maxretry failure
 * times), its recent URLs for the ban reason, and its ban history.
 *
 * The table is written here rather than taken from a library: Debian's
 * candidates (glib's GHashTable, uthash) hash with unkeyed functions, and
 * the keys are chosen by the attacker, who could then aim every address at
 * one chain. This one hashes with SipHash-2-4 under a random key (as redis's
 * dict does), chains through the entries (no allocation besides the entry),
 * and grows by doubling up to one bucket per allowed entry.
 *
 * Bounded memory: at most max_tracked entries. When full, a new key takes
 * the place of the least recently seen entry without ban history; only when
 * every entry has ban history does the least recently seen of those go.
 * This way a flood of new addresses cannot wash out the offence counts that
 * escalation needs. Entries whose failures have all left the window and
 * that have no ban history are dropped as they come up at the tail of the
 * LRU (two per failure at most: O(1)).
 */

enum { LIST_CLEAN, LIST_KEPT, NR_LISTS };

/* Characters of one URL in a reason, and of the recent URLs kept per key. */
#define URL_SHOWN_MAX 40
#define URLS_LEN 64
/* Stale entries dropped per failure, at most: keeps each call O(1). */
#define EXPIRE_BATCH 2
#define BUCKETS_MIN 1024

struct entry {
	struct entry *hnext;       /* next in the hash chain */
	struct entry *prev, *next; /* LRU list, most recently seen first */
	uint64_t last_seen;        /* detector clock at the last failure (or restore) */
	uint64_t banned_until;     /* end of the last ban decided or restored, 0 = none */
	uint32_t offences;         /* bans of this key so far */
	uint16_t head;             /* ring: index of the oldest failure time */
	uint16_t count;            /* ring: failure times held, <= maxretry */
	struct prefix key;         /* normalized: only the family's bytes, host bits zero */
	bool permanent;            /* the last ban never ends */
	uint8_t list;              /* LIST_CLEAN or LIST_KEPT */
	char urls[URLS_LEN];       /* recent URLs, escaped, space-separated, newest last */
	uint64_t times[];          /* ring of maxretry failure times */
};

struct lru {
	struct entry *head, *tail;
};

struct detector {
	struct detector_opts o;
	struct entry **buckets;
	size_t nbuckets;     /* a power of two */
	size_t max_buckets;  /* growth stops here: the power of two >= max_tracked */
	size_t count;        /* entries in the table */
	struct lru lists[NR_LISTS];
	struct prefix *ignores;
	size_t n_ignores, cap_ignores;
	uint64_t now;        /* the latest now_ns seen: the clock never goes back */
	uint64_t hkey[2];    /* SipHash key */
	struct detector_stats st;
};

void detector_opts__defaults(struct detector_opts *o)
{
	memset(o, 0, sizeof(*o));
	/* fail2ban's jail.conf [DEFAULT] values. */
	o->maxretry = 5;
	o->findtime_ns = 600 * NSEC_PER_SEC;
	o->bantime_ns = 600 * NSEC_PER_SEC;
	o->bantime_permanent = false;
	o->increment = false;
	o->factor = 1.0;
	o->maxtime_ns = 0;
	/* Ours: a /64 is what one IPv6 subscriber or host usually gets. */
	o->ipv6_prefix = 64;
	o->max_tracked = 1000000;
}

/* A bad option: its reason, -EINVAL. */
#define opts_err(err, errlen, ...) errmsg__set((err), (errlen), -EINVAL, __VA_ARGS__)

int detector_opts__validate(const struct detector_opts *o, char *err, size_t errlen)
{
	char a[32], b[32];

	if (o->maxretry < 1 || o->maxretry > DETECTOR_MAXRETRY_MAX)
		return opts_err(err, errlen, "maxretry must be 1..%d", DETECTOR_MAXRETRY_MAX);
	if (!o->findtime_ns)
		return opts_err(err, errlen, "findtime must be longer than 0");
	if (!o->bantime_permanent && !o->bantime_ns)
		return opts_err(err, errlen,
				"bantime must be longer than 0 (a negative bantime or "
				"'permanent' bans forever)");
	if (!isfinite(o->factor) || o->factor <= 0 || o->factor > DETECTOR_FACTOR_MAX)
		return opts_err(err, errlen, "bantime.factor must be a number above 0 and at most %g",
				DETECTOR_FACTOR_MAX);
	/*
	 * fail2ban caps only the incremented bans with maxtime, so a maxtime
	 * below bantime would make repeat offenders' bans shorter than the
	 * first: surely not what was meant.
	 */
	if (o->increment && !o->bantime_permanent && o->maxtime_ns &&
	    o->maxtime_ns < o->bantime_ns)
		return opts_err(err, errlen, "bantime.maxtime (%s) is shorter than bantime (%s)",
				time__format_duration(o->maxtime_ns, a, sizeof(a)),
				time__format_duration(o->bantime_ns, b, sizeof(b)));
	if (o->ipv6_prefix < 1 || o->ipv6_prefix > 128)
		return opts_err(err, errlen, "ipv6_prefix must be 1..128");
	if (o->max_tracked < 1 || o->max_tracked > DETECTOR_TRACKED_MAX)
		return opts_err(err, errlen, "max_tracked must be 1..%u", DETECTOR_TRACKED_MAX);
	return 0;
}

/*
 * Ban length of the n-th offence:
 *
 *   n == 1 or no increment:  bantime
 *   n >= 2 with increment:   min(bantime * factor * 2^min(n - 1, 20), maxtime)
 *
 * which is fail2ban's: its actions.py leaves the first ban at bantime (the
 * formula only runs when the ban database knows earlier bans, banCount > 0),
 * and otherwise evaluates the default bantime.formula
 *   ban.Time * (1 << (ban.Count if ban.Count < 20 else 20)) * banFactor
 * with ban.Count = the earlier bans = n - 1, then caps it with maxtime.
 * With the defaults: 10m, 20m, 40m, 80m... Neither bantime.rndtime nor a
 * custom formula is supported.
 */
uint64_t detector__ban_duration(const struct detector_opts *o, uint32_t offences)
{
	double t;

	if (o->bantime_permanent)
		return 0;
	if (!o->increment || offences <= 1)
		return o->bantime_ns;
	t = (double)o->bantime_ns * o->factor * (double)(1ULL << (offences - 1 < 20 ? offences - 1 : 20));
	if (o->maxtime_ns && t >= (double)o->maxtime_ns)
		return o->maxtime_ns;
	if (t >= 0x1p64)
		return UINT64_MAX;
	if (t < 1)
		return 1; /* a tiny factor still bans for a moment */
	return (uint64_t)t;
}

/* ---- SipHash-2-4 (Aumasson and Bernstein), as in their reference code ---- */

static inline uint64_t rotl64(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

#define SIPROUND                                                                 \
	do {                                                                     \
		v0 += v1; v1 = rotl64(v1, 13); v1 ^= v0; v0 = rotl64(v0, 32);    \
		v2 += v3; v3 = rotl64(v3, 16); v3 ^= v2;                         \
		v0 += v3; v3 = rotl64(v3, 21); v3 ^= v0;                         \
		v2 += v1; v1 = rotl64(v1, 17); v1 ^= v2; v2 = rotl64(v2, 32);    \
	} while (0)

static uint64_t siphash24(const uint8_t *in, size_t len, const uint64_t k[2])
{
	uint64_t v0 = 0x736f6d6570736575ULL ^ k[0], v1 = 0x646f72616e646f6dULL ^ k[1];
	uint64_t v2 = 0x6c7967656e657261ULL ^ k[0], v3 = 0x7465646279746573ULL ^ k[1];
	uint64_t b = (uint64_t)len << 56, m;
	size_t i, j, left = len & 7, end = len - left;

	for (i = 0; i < end; i += 8) {
		for (m = 0, j = 0; j < 8; j++)
			m |= (uint64_t)in[i + j] << (8 * j);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (j = 0; j < left; j++)
		b |= (uint64_t)in[end + j] << (8 * j);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

static size_t key_bucket(const struct detector *d, const struct prefix *key)
{
	uint8_t buf[2 + 16];
	size_t n = key->family == 4 ? 4 : 16;

	buf[0] = key->family;
	buf[1] = key->prefixlen;
	memcpy(buf + 2, key->addr, n);
	return (size_t)siphash24(buf, 2 + n, d->hkey) & (d->nbuckets - 1);
}

/* ---- keys ---- */

static bool family_ok(const struct prefix *p)
{
	return (p->family == 4 && p->prefixlen <= 32) || (p->family == 6 && p->prefixlen <= 128);
}

/* A clean copy of p cut to len bits: only the family's bytes, host bits zero. */
static void make_key(struct prefix *key, const struct prefix *p, int len)
{
	memset(key, 0, sizeof(*key));
	key->family = p->family;
	key->prefixlen = p->family == 4 ? 32 : 128;
	memcpy(key->addr, p->addr, p->family == 4 ? 4 : 16);
	prefix__truncate(key, len);
}

/*
 * Where client (a single address) stands: 1 if ignored, else 0 with the key
 * it is tracked and banned under in *key. An IPv6 client goes under its
 * /ipv6_prefix, unless that prefix would cover an ignored address: then
 * under its own address, so that its ban cannot hit the ignored one.
 */
static int classify(const struct detector *d, const struct prefix *client, struct prefix *key)
{
	bool narrow = false;
	size_t i;

	if (client->family == 4)
		make_key(key, client, 32);
	else
		make_key(key, client, d->o.ipv6_prefix);
	for (i = 0; i < d->n_ignores; i++) {
		if (prefix__contains(&d->ignores[i], client))
			return 1;
		if (key->prefixlen != client->prefixlen && prefix__overlaps(&d->ignores[i], key))
			narrow = true;
	}
	if (narrow)
		make_key(key, client, 128);
	return 0;
}

/* The key of a ban target (or a client address): see detector__set_offences(). */
static int target_key(const struct detector *d, const struct prefix *t, struct prefix *key)
{
	size_t i;

	if (!t || !family_ok(t))
		return -EINVAL;
	/* An address: wherever failures of that client would go. */
	if (prefix__is_single(t))
		return classify(d, t, key) ? -EINVAL : 0;
	if (t->family == 4 || t->prefixlen < d->o.ipv6_prefix)
		return -EINVAL;
	/* An IPv6 prefix: its /ipv6_prefix, unless ignores narrow that to addresses. */
	make_key(key, t, d->o.ipv6_prefix);
	for (i = 0; i < d->n_ignores; i++)
		if (prefix__overlaps(&d->ignores[i], key))
			return -EINVAL;
	return 0;
}

/* ---- hash table and LRU lists ---- */

static struct entry *lookup(const struct detector *d, const struct prefix *key)
{
	struct entry *e;

	for (e = d->buckets[key_bucket(d, key)]; e; e = e->hnext)
		if (prefix__equal(&e->key, key))
			return e;
	return NULL;
}

static void hash_insert(struct detector *d, struct entry *e)
{
	size_t b = key_bucket(d, &e->key);

	e->hnext = d->buckets[b];
	d->buckets[b] = e;
}

static void hash_remove(struct detector *d, struct entry *e)
{
	struct entry **pp = &d->buckets[key_bucket(d, &e->key)];

	while (*pp && *pp != e)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = e->hnext;
}

/* Double the buckets. On allocation failure keep the old ones: longer chains, still right. */
static void hash_grow(struct detector *d)
{
	size_t old_n = d->nbuckets, i;
	struct entry **old = d->buckets, *e, *next;
	struct entry **nb = calloc(old_n * 2, sizeof(*nb));

	if (!nb)
		return;
	d->buckets = nb;
	d->nbuckets = old_n * 2;
	for (i = 0; i < old_n; i++) {
		for (e = old[i]; e; e = next) {
			next = e->hnext;
			hash_insert(d, e);
		}
	}
	free(old);
}

static void lru_unlink(struct detector *d, struct entry *e)
{
	struct lru *l = &d->lists[e->list];

	if (e->prev)
		e->prev->next = e->next;
	else
		l->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		l->tail = e->prev;
	e->prev = e->next = NULL;
}

static void lru_push_front(struct detector *d, struct entry *e, uint8_t list)
{
	struct lru *l = &d->lists[list];

	e->list = list;
	e->prev = NULL;
	e->next = l->head;
	if (l->head)
		l->head->prev = e;
	l->head = e;
	if (!l->tail)
		l->tail = e;
}

/* Whether the entry holds ban history worth keeping over plain failure windows. */
static bool entry_kept(const struct entry *e)
{
	return e->offences || e->banned_until || e->permanent;
}

/* Mark as just seen: to the front of the list its history calls for. */
static void entry_touch(struct detector *d, struct entry *e)
{
	lru_unlink(d, e);
	lru_push_front(d, e, entry_kept(e) ? LIST_KEPT : LIST_CLEAN);
}

static bool entry_banned(const struct detector *d, const struct entry *e)
{
	return e->permanent || (e->banned_until && d->now < e->banned_until);
}

static void entry_reset_window(struct entry *e)
{
	e->head = e->count = 0;
	e->urls[0] = '\0';
}

static void entry_drop(struct detector *d, struct entry *e)
{
	hash_remove(d, e);
	lru_unlink(d, e);
	d->count--;
	free(e);
}

/* The entry of key, created (at the front, without history) if create is set. NULL: none or ENOMEM. */
static struct entry *entry_get(struct detector *d, const struct prefix *key, bool create)
{
	struct entry *e = lookup(d, key);

	if (e || !create)
		return e;
	if (d->count >= d->o.max_tracked) {
		/* Full: reuse the least recently seen, plain windows before ban history. */
		e = d->lists[LIST_CLEAN].tail ? d->lists[LIST_CLEAN].tail : d->lists[LIST_KEPT].tail;
		hash_remove(d, e);
		lru_unlink(d, e);
		d->count--;
		d->st.evicted++;
	} else {
		if (d->count >= d->nbuckets && d->nbuckets < d->max_buckets)
			hash_grow(d);
		e = malloc(sizeof(*e) + d->o.maxretry * sizeof(e->times[0]));
		if (!e)
			return NULL;
	}
	memset(e, 0, sizeof(*e));
	e->key = *key;
	e->last_seen = d->now;
	hash_insert(d, e);
	lru_push_front(d, e, LIST_CLEAN);
	d->count++;
	return e;
}

/* Drop entries without ban history whose failures have all left the window. */
static void expire_stale(struct detector *d)
{
	struct entry *e;
	int i;

	for (i = 0; i < EXPIRE_BATCH; i++) {
		e = d->lists[LIST_CLEAN].tail;
		if (!e || d->now - e->last_seen <= d->o.findtime_ns)
			return;
		entry_drop(d, e);
		d->st.expired++;
	}
}

/* ---- URLs in reasons ---- */

/* A URL byte shown as itself: printable ASCII but space, quotes, backquote and backslash. */
static bool url_char_plain(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '"' && c != '\'' && c != '`' && c != '\\';
}

/*
 * The URL as at most URL_SHOWN_MAX characters of printable ASCII without
 * spaces: other bytes become \xNN (never cut in half), and a URL that does
 * not fit ends with "...". out holds URL_SHOWN_MAX + 1 bytes. Returns the length.
 */
static size_t escape_url(const char *url, size_t len, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, pos = 0, full = 0;

	/* Does all of it fit? Stop counting as soon as it cannot. */
	for (i = 0; i < len && full <= URL_SHOWN_MAX; i++)
		full += url_char_plain((unsigned char)url[i]) ? 1 : 4;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)url[i];
		size_t unit = url_char_plain(c) ? 1 : 4;

		if (full > URL_SHOWN_MAX && pos + unit > URL_SHOWN_MAX - 3)
			break;
		if (unit == 1) {
			out[pos++] = (char)c;
		} else {
			out[pos++] = '\\';
			out[pos++] = 'x';
			out[pos++] = hex[c >> 4];
			out[pos++] = hex[c & 15];
		}
	}
	if (full > URL_SHOWN_MAX) {
		memcpy(out + pos, "...", 3);
		pos += 3;
	}
	out[pos] = '\0';
	return pos;
}

/* Append an escaped URL to the recent ones, dropping the oldest to make room. */
static void urls_push(char *urls, const char *u, size_t ulen)
{
	size_t len = strlen(urls);
	const char *last = strrchr(urls, ' ');
	char *sp;

	if (!ulen)
		return;
	last = last ? last + 1 : urls;
	if (len && !strcmp(last, u))
		return; /* the same URL again says nothing new */
	while (len && len + 1 + ulen > URLS_LEN - 1) {
		sp = strchr(urls, ' ');
		if (!sp) {
			len = 0;
			break;
		}
		len -= (size_t)(sp + 1 - urls);
		memmove(urls, sp + 1, len + 1);
	}
	if (len)
		urls[len++] = ' ';
	memcpy(urls + len, u, ulen + 1);
}

_Static_assert(URL_SHOWN_MAX < URLS_LEN, "one URL must fit in the recent URLs");
/* "1000 failures in 115740740d23h: " is 33 characters: the URLs always fit the reason. */
_Static_assert(40 + URLS_LEN <= sizeof(((struct ban_decision *)0)->reason),
	       "reason too short for the recent URLs");

/* ---- the API ---- */

static void seed_hash_key(uint64_t k[2])
{
	struct timespec ts;

	if (getrandom(k, 2 * sizeof(k[0]), GRND_NONBLOCK) == 2 * sizeof(k[0]))
		return;
	/* No entropy yet (early boot): worse than random, better than nothing. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	k[0] = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ULL ^ (uint64_t)(uintptr_t)k;
	k[1] = (uint64_t)ts.tv_sec * 0xc2b2ae3d27d4eb4fULL ^ (uint64_t)getpid();
}

struct detector *detector__new(const struct detector_opts *o)
{
	struct prefix host[256];
	static const struct prefix always[] = {
		{ .family = 4, .prefixlen = 8, .addr = { 127 } },        /* loopback */
		{ .family = 4, .prefixlen = 32 },                        /* 0.0.0.0 */
		{ .family = 6, .prefixlen = 128, .addr = { [15] = 1 } }, /* ::1 */
		{ .family = 6, .prefixlen = 128 },                       /* :: */
	};
	struct detector *d;
	size_t i;
	int n, err;

	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	if (o)
		d->o = *o;
	else
		detector_opts__defaults(&d->o);
	if (detector_opts__validate(&d->o, NULL, 0)) {
		err = -EINVAL;
		goto err_free;
	}
	for (d->max_buckets = 1; d->max_buckets < d->o.max_tracked; d->max_buckets *= 2)
		;
	d->nbuckets = d->max_buckets < BUCKETS_MIN ? d->max_buckets : BUCKETS_MIN;
	d->buckets = calloc(d->nbuckets, sizeof(*d->buckets));
	if (!d->buckets) {
		err = -ENOMEM;
		goto err_free;
	}
	seed_hash_key(d->hkey);
	for (i = 0; i < sizeof(always) / sizeof(always[0]); i++) {
		err = detector__ignore(d, &always[i]);
		if (err)
			goto err_free;
	}
	/* Never ban ourselves: a client on this host would look like one of these. */
	n = prefix__host_addresses(host, sizeof(host) / sizeof(host[0]));
	if (n < 0) {
		err = n;
		goto err_free;
	}
	for (i = 0; i < (size_t)n; i++) {
		err = detector__ignore(d, &host[i]);
		if (err)
			goto err_free;
	}
	return d;

err_free:
	detector__free(d);
	errno = -err;
	return NULL;
}

void detector__free(struct detector *d)
{
	struct entry *e, *next;
	int l;

	if (!d)
		return;
	for (l = 0; l < NR_LISTS; l++) {
		for (e = d->lists[l].head; e; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(d->buckets);
	free(d->ignores);
	free(d);
}

int detector__ignore(struct detector *d, const struct prefix *p)
{
	struct prefix key;
	size_t i;

	if (!d || !p || !family_ok(p))
		return -EINVAL;
	make_key(&key, p, p->prefixlen);
	for (i = 0; i < d->n_ignores; i++)
		if (prefix__equal(&d->ignores[i], &key))
			return 0;
	if (d->n_ignores == d->cap_ignores) {
		size_t cap = d->cap_ignores ? d->cap_ignores * 2 : 16;
		struct prefix *n = realloc(d->ignores, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		d->ignores = n;
		d->cap_ignores = cap;
	}
	d->ignores[d->n_ignores++] = key;
	return 0;
}

bool detector__is_ignored(const struct detector *d, const struct prefix *client)
{
	size_t i;

	if (!d || !client)
		return false;
	for (i = 0; i < d->n_ignores; i++)
		if (prefix__contains(&d->ignores[i], client))
			return true;
	return false;
}

int detector__failure(struct detector *d, const struct prefix *client, const char *url,
		      size_t url_len, uint64_t now_ns, struct ban_decision *out)
{
	char esc[URL_SHOWN_MAX + 1], window[32];
	struct prefix key;
	struct entry *e;
	uint64_t dur;
	size_t elen;

	if (!d || !client || !out || (!url && url_len) || !family_ok(client) ||
	    !prefix__is_single(client))
		return -EINVAL;
	if (now_ns > d->now)
		d->now = now_ns;
	if (classify(d, client, &key)) {
		d->st.ignored++;
		return 0;
	}
	d->st.failures++;
	expire_stale(d);

	e = entry_get(d, &key, true);
	if (!e)
		return -ENOMEM;
	e->last_seen = d->now;
	if (entry_banned(d, e)) {
		/* In flight before the ban took hold: no second ban for the same target. */
		entry_touch(d, e);
		return 0;
	}
	e->banned_until = 0; /* any earlier ban is over */
	entry_touch(d, e);

	elen = escape_url(url, url_len, esc);
	urls_push(e->urls, esc, elen);
	if (e->count < d->o.maxretry) {
		e->times[(e->head + e->count) % d->o.maxretry] = d->now;
		e->count++;
	} else {
		e->times[e->head] = d->now;
		e->head = (uint16_t)((e->head + 1) % d->o.maxretry);
	}
	/* The oldest of the last maxretry failures decides: all in the window or not. */
	if (e->count < d->o.maxretry || d->now - e->times[e->head] > d->o.findtime_ns)
		return 0;

	if (e->offences < UINT32_MAX)
		e->offences++;
	dur = detector__ban_duration(&d->o, e->offences);
	memset(out, 0, sizeof(*out));
	out->target = e->key;
	out->permanent = d->o.bantime_permanent;
	out->duration_ns = dur;
	out->offences = e->offences;
	snprintf(out->reason, sizeof(out->reason), "%u failures in %s%s%s", d->o.maxretry,
		 time__format_duration(d->o.findtime_ns, window, sizeof(window)),
		 e->urls[0] ? ": " : "", e->urls);

	if (out->permanent)
		e->permanent = true;
	else
		e->banned_until = d->now > UINT64_MAX - dur ? UINT64_MAX : d->now + dur;
	/* As fail2ban does after a ban: the failure count starts again. */
	entry_reset_window(e);
	entry_touch(d, e);
	d->st.bans++;
	return 1;
}

void detector__forget_ban(struct detector *d, const struct prefix *target)
{
	struct prefix key;
	struct entry *e;

	if (!d || target_key(d, target, &key))
		return;
	e = lookup(d, &key);
	/* Only a ban still live: forgetting twice, or after expiry, takes nothing back. */
	if (!e || !entry_banned(d, e))
		return;
	e->permanent = false;
	e->banned_until = 0;
	if (e->offences)
		e->offences--;
	entry_reset_window(e);
	entry_touch(d, e);
}

void detector__forget(struct detector *d, const struct prefix *target)
{
	struct prefix key;
	struct entry *e;

	if (!d || target_key(d, target, &key))
		return;
	e = lookup(d, &key);
	if (e)
		entry_drop(d, e);
}

int detector__restore_ban(struct detector *d, const struct prefix *target, uint32_t offences,
			  uint64_t until_ns, bool permanent)
{
	struct prefix key;
	struct entry *e;
	int err;

	if (!d)
		return -EINVAL;
	err = target_key(d, target, &key);
	if (err)
		return err;
	e = entry_get(d, &key, offences || until_ns || permanent);
	if (!e)
		return offences || until_ns || permanent ? -ENOMEM : 0;
	e->offences = offences;
	e->banned_until = until_ns;
	e->permanent = permanent;
	entry_touch(d, e);
	return 0;
}

int detector__set_offences(struct detector *d, const struct prefix *target, uint32_t offences)
{
	struct prefix key;
	struct entry *e;
	int err;

	if (!d)
		return -EINVAL;
	err = target_key(d, target, &key);
	if (err)
		return err;
	e = entry_get(d, &key, offences != 0);
	if (!e)
		return offences ? -ENOMEM : 0;
	e->offences = offences;
	entry_touch(d, e);
	return 0;
}

size_t detector__tracked(const struct detector *d)
{
	return d ? d->count : 0;
}

void detector__stats(const struct detector *d, struct detector_stats *out)
{
	if (d)
		*out = d->st;
	else
		memset(out, 0, sizeof(*out));
}
