// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* throttle.c - per-client throttling, load shedding and priority peers in the pinned maps. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "pins.h"
#include "settings.h"
#include "throttle.h"
#include "timeutil.h"

enum tmap {
	T_THR4, T_THR6, T_PRIO4, T_PRIO6, T_CLIENTS, T_KNOWN, T_EVENTS, T_SKETCH,
	T__COUNT,
};

/* What each map must look like (the ring buffer has neither key nor value). */
static const struct {
	const char *name;
	__u32 key_size, value_size;
} tmap_desc[T__COUNT] = {
	[T_THR4] = { WARDEN_STR(MAP_THR4), sizeof(struct lpm4_key), sizeof(struct throttle_limits) },
	[T_THR6] = { WARDEN_STR(MAP_THR6), sizeof(struct lpm6_key), sizeof(struct throttle_limits) },
	[T_PRIO4] = { WARDEN_STR(MAP_PRIO4), sizeof(struct lpm4_key), sizeof(struct priority_value) },
	[T_PRIO6] = { WARDEN_STR(MAP_PRIO6), sizeof(struct lpm6_key), sizeof(struct priority_value) },
	[T_CLIENTS] = { WARDEN_STR(MAP_CLIENTS), sizeof(struct throttle_key), sizeof(struct throttle_state) },
	[T_KNOWN] = { WARDEN_STR(MAP_KNOWN), sizeof(struct throttle_key), sizeof(struct known_value) },
	[T_EVENTS] = { WARDEN_STR(MAP_THR_EVENTS), 0, 0 },
	[T_SKETCH] = { WARDEN_STR(MAP_SKETCH), sizeof(__u32), sizeof(struct sketch_cell) },
};

_Static_assert(sizeof(struct throttle_limits) == 24, "throttle_limits layout");
_Static_assert(sizeof(struct throttle_key) == 16, "client_key layout");
_Static_assert(sizeof(struct throttle_state) == 56, "client_state layout");
_Static_assert(sizeof(struct known_value) == 8, "known_value layout");
_Static_assert(sizeof(struct priority_value) == 8, "priority_value layout");
_Static_assert(sizeof(struct throttle_event) == 32, "throttle_event layout");
_Static_assert(sizeof(struct sketch_cell) == 32, "sketch_cell layout");

struct throttle {
	int fd[T__COUNT];
	struct pins *pins;         /* the pin folder, locked around every change (as banmap does) */
	struct settings *settings; /* warden_settings: limits, shedding, counts */
	struct ring_buffer *events;
	throttle_hit_cb hit_cb;
	void *hit_ctx;
};

/* ---- rates ---- */

int throttle__parse_rate(const char *text, uint64_t *interval_ns, uint32_t *burst)
{
	unsigned long long n;
	uint64_t unit = NSEC_PER_SEC;
	const char *slash;
	char *end;

	if (!strcasecmp(text, "off") || !strcasecmp(text, "none") || !strcmp(text, "0")) {
		*interval_ns = 0;
		if (burst)
			*burst = 0;
		return 0;
	}
	if (*text < '0' || *text > '9')
		return -EINVAL;
	errno = 0;
	n = strtoull(text, &end, 10);
	if (errno || n == 0 || n > 1000000000ULL)
		return -EINVAL;
	slash = end;
	if (*slash) {
		if (*slash != '/')
			return -EINVAL;
		slash++;
		if (!strcmp(slash, "s") || !strcmp(slash, "sec"))
			unit = NSEC_PER_SEC;
		else if (!strcmp(slash, "m") || !strcmp(slash, "min"))
			unit = 60 * NSEC_PER_SEC;
		else if (!strcmp(slash, "h"))
			unit = 3600 * NSEC_PER_SEC;
		else
			return -EINVAL;
	}
	*interval_ns = unit / n;
	if (!*interval_ns)
		return -EINVAL;
	if (burst) {
		/* The tokens of one second, at least one. */
		uint64_t per_s = (NSEC_PER_SEC + *interval_ns - 1) / *interval_ns;

		*burst = per_s > UINT32_MAX ? UINT32_MAX : (uint32_t)per_s;
	}
	return 0;
}

const char *throttle__format_rate(uint64_t interval_ns, char *buf, size_t len)
{
	if (!interval_ns)
		snprintf(buf, len, "off");
	else if (NSEC_PER_SEC % interval_ns == 0)
		snprintf(buf, len, "%llu/s", (unsigned long long)(NSEC_PER_SEC / interval_ns));
	else if ((60 * NSEC_PER_SEC) % interval_ns == 0)
		snprintf(buf, len, "%llu/m", (unsigned long long)(60 * NSEC_PER_SEC / interval_ns));
	else if ((3600 * NSEC_PER_SEC) % interval_ns == 0)
		snprintf(buf, len, "%llu/h", (unsigned long long)(3600 * NSEC_PER_SEC / interval_ns));
	else
		snprintf(buf, len, "%.3g/s", 1e9 / (double)interval_ns);
	return buf;
}

/* ---- keys ---- */

static void make_lpm4(struct lpm4_key *k, const struct prefix *p)
{
	memset(k, 0, sizeof(*k));
	k->prefixlen = p->prefixlen;
	memcpy(k->addr, p->addr, 4);
}

static void make_lpm6(struct lpm6_key *k, const struct prefix *p)
{
	memset(k, 0, sizeof(*k));
	k->prefixlen = p->prefixlen;
	memcpy(k->addr, p->addr, 16);
}

/* The LPM key of p in key (20 bytes); returns the key's size. */
static size_t lpm_key(const struct prefix *p, void *key)
{
	if (p->family == 4) {
		make_lpm4(key, p);
		return sizeof(struct lpm4_key);
	}
	make_lpm6(key, p);
	return sizeof(struct lpm6_key);
}

static void lpm_to_prefix(int family, const void *key, struct prefix *p)
{
	memset(p, 0, sizeof(*p));
	p->family = (uint8_t)family;
	if (family == 4) {
		p->prefixlen = (uint8_t)((const struct lpm4_key *)key)->prefixlen;
		memcpy(p->addr, ((const struct lpm4_key *)key)->addr, 4);
	} else {
		p->prefixlen = (uint8_t)((const struct lpm6_key *)key)->prefixlen;
		memcpy(p->addr, ((const struct lpm6_key *)key)->addr, 16);
	}
}

void throttle__client_prefix(const struct prefix *addr, unsigned int v6_prefix, struct prefix *out)
{
	*out = *addr;
	if (addr->family == 6) {
		if (!v6_prefix || v6_prefix > 128)
			v6_prefix = WARDEN_V6_CLIENT_PREFIX;
		if (out->prefixlen > v6_prefix)
			prefix__truncate(out, (int)v6_prefix);
	}
}

void throttle__client_key(const struct prefix *addr, unsigned int v6_prefix, struct throttle_key *out)
{
	struct prefix c;

	memset(out, 0, sizeof(*out));
	if (addr->family == 4) {
		/* IPv4-mapped, as the XDP program keys it. */
		out->addr[10] = 0xff;
		out->addr[11] = 0xff;
		memcpy(&out->addr[12], addr->addr, 4);
		return;
	}
	throttle__client_prefix(addr, v6_prefix, &c);
	memcpy(out->addr, c.addr, 16);
}

/* ---- settings ---- */

int throttle__settings(struct throttle *t, struct warden_settings *out)
{
	return settings__get(t->settings, out);
}

/* Recount the rules and priority prefixes, in case a writer died half-way. */
static int reconcile_counts(struct throttle *t)
{
	static const struct { enum tmap id; enum settings_count count; } counted[4] = {
		{ T_THR4, SETTINGS_RULES4 }, { T_THR6, SETTINGS_RULES6 },
		{ T_PRIO4, SETTINGS_PRIO4 }, { T_PRIO6, SETTINGS_PRIO6 },
	};
	size_t n, i;
	void *keys;
	int err;

	for (i = 0; i < 4; i++) {
		err = pins__map_keys(t->fd[counted[i].id], tmap_desc[counted[i].id].key_size, &keys, &n);
		if (err)
			return err;
		free(keys);
		err = settings__set_count(t->settings, counted[i].count, (uint32_t)n);
		if (err)
			return err;
	}
	return 0;
}

/* ---- open, close ---- */

struct throttle *throttle__open(const char *pin_path)
{
	struct pins_map_def def = {};
	struct throttle *t;
	int i, err;

	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	for (i = 0; i < T__COUNT; i++)
		t->fd[i] = -1;
	t->pins = pins__open(pin_path, PINS_EXISTING);
	if (!t->pins) {
		err = -errno;
		goto fail;
	}
	for (i = 0; i < T__COUNT; i++) {
		def.type = i == T_EVENTS ? BPF_MAP_TYPE_RINGBUF : BPF_MAP_TYPE_UNSPEC;
		def.key_size = tmap_desc[i].key_size;
		def.value_size = tmap_desc[i].value_size;
		t->fd[i] = err = pins__map_fd(t->pins, tmap_desc[i].name, &def);
		if (err == -ENOENT)
			pr_warn("%s/%s is missing: the maps under %s come from an older warden; "
				"'warden detach --all' and attach again", pin_path, tmap_desc[i].name,
				pin_path);
		else if (err < 0 && err != -EPROTO)
			pr_warn("cannot open %s/%s: %s", pin_path, tmap_desc[i].name, strerror(-err));
		if (err < 0)
			goto fail;
	}
	t->settings = settings__open(t->pins);
	if (!t->settings) {
		err = -errno;
		if (err != -EPROTO)
			pr_warn("cannot open the settings under %s: %s", pin_path, strerror(-err));
		goto fail;
	}
	pins__lock(t->pins);
	err = reconcile_counts(t);
	pins__unlock(t->pins);
	if (err) {
		pr_warn("cannot read the throttle maps under %s: %s", pin_path, strerror(-err));
		goto fail;
	}
	return t;
fail:
	throttle__close(t);
	errno = -err;
	return NULL;
}

void throttle__close(struct throttle *t)
{
	int i;

	if (!t)
		return;
	ring_buffer__free(t->events);
	for (i = 0; i < T__COUNT; i++)
		if (t->fd[i] >= 0)
			close(t->fd[i]);
	settings__close(t->settings);
	pins__close(t->pins);
	free(t);
}

/* ---- limits ---- */

int throttle__get_default(struct throttle *t, struct throttle_limits *out)
{
	struct warden_settings s;
	int err = settings__get(t->settings, &s);

	if (!err)
		*out = s.defaults;
	return err;
}

int throttle__set_default(struct throttle *t, const struct throttle_limits *l)
{
	int err;

	pins__lock(t->pins);
	err = settings__set_default_limits(t->settings, l);
	pins__unlock(t->pins);
	return err;
}

/*
 * Insert key into the trie fd with value; counted in warden_settings when
 * new (raised before the insert, lowered after a delete). A
 * trie lookup finds the longest covering prefix, not this one: insert with
 * BPF_NOEXIST to learn whether it is new, as banmap does.
 */
static int trie_put(struct throttle *t, int fd, const void *key, const void *value,
		    enum settings_count count, bool replace)
{
	int err;

	err = settings__count_adjust(t->settings, count, +1);
	if (err)
		return err;
	/* New: the generation moves again now that the trie holds it. */
	if (bpf_map_update_elem(fd, key, value, BPF_NOEXIST) == 0)
		return settings__count_adjust(t->settings, count, 0);
	err = -errno;
	settings__count_adjust(t->settings, count, -1);
	if (err != -EEXIST)
		return err;
	if (!replace)
		return 0;
	if (bpf_map_update_elem(fd, key, value, BPF_EXIST))
		return -errno;
	return 0;
}

static int trie_del(struct throttle *t, int fd, const void *key,
		    enum settings_count count)
{
	if (bpf_map_delete_elem(fd, key))
		return -errno;
	return settings__count_adjust(t->settings, count, -1);
}

int throttle__set_rule(struct throttle *t, const struct prefix *p, const struct throttle_limits *l)
{
	__u8 key[sizeof(struct lpm6_key)];
	int err;

	lpm_key(p, key);
	pins__lock(t->pins);
	err = trie_put(t, t->fd[p->family == 4 ? T_THR4 : T_THR6], key, l,
		       p->family == 4 ? SETTINGS_RULES4 : SETTINGS_RULES6, true);
	pins__unlock(t->pins);
	return err;
}

/* Exact presence in a trie: walk the keys (tries are small). */
static bool trie_has(int fd, const void *key, size_t key_size)
{
	__u8 cur[sizeof(struct lpm6_key)], next[sizeof(struct lpm6_key)];
	void *prev = NULL;

	while (bpf_map_get_next_key(fd, prev, next) == 0) {
		if (!memcmp(next, key, key_size))
			return true;
		memcpy(cur, next, key_size);
		prev = cur;
	}
	return false;
}

int throttle__get_rule(struct throttle *t, const struct prefix *p, struct throttle_limits *out)
{
	__u8 key[sizeof(struct lpm6_key)];
	size_t ks = lpm_key(p, key);
	int fd = t->fd[p->family == 4 ? T_THR4 : T_THR6];

	if (!trie_has(fd, key, ks))
		return -ENOENT;
	if (bpf_map_lookup_elem(fd, key, out))
		return -errno;
	return 0;
}

int throttle__remove_rule(struct throttle *t, const struct prefix *p)
{
	__u8 key[sizeof(struct lpm6_key)];
	int err;

	lpm_key(p, key);
	pins__lock(t->pins);
	err = trie_del(t, t->fd[p->family == 4 ? T_THR4 : T_THR6], key,
		       p->family == 4 ? SETTINGS_RULES4 : SETTINGS_RULES6);
	pins__unlock(t->pins);
	return err;
}

int throttle__foreach_rule(struct throttle *t, throttle_rule_cb cb, void *ctx)
{
	static const enum tmap ids[2] = { T_THR4, T_THR6 };
	struct throttle_limits l;
	struct prefix p;
	size_t m, i, n, ks;
	void *keys;
	int err, ret = 0;

	for (m = 0; m < 2 && !ret; m++) {
		ks = tmap_desc[ids[m]].key_size;
		err = pins__map_keys(t->fd[ids[m]], ks, &keys, &n);
		if (err)
			return err;
		for (i = 0; i < n && !ret; i++) {
			if (bpf_map_lookup_elem(t->fd[ids[m]], (char *)keys + i * ks, &l))
				continue;
			lpm_to_prefix(m == 0 ? 4 : 6, (char *)keys + i * ks, &p);
			ret = cb(&p, &l, ctx);
		}
		free(keys);
	}
	return ret;
}

/* ---- settings: the rest ---- */

int throttle__set_v6_prefix(struct throttle *t, unsigned int len)
{
	int err;

	pins__lock(t->pins);
	err = settings__set_v6_client_prefix(t->settings, len);
	pins__unlock(t->pins);
	return err;
}

int throttle__set_known_for(struct throttle *t, uint32_t seconds)
{
	int err;

	pins__lock(t->pins);
	err = settings__set_known_for(t->settings, seconds);
	pins__unlock(t->pins);
	return err;
}

int throttle__shed(struct throttle *t, bool on)
{
	int err;

	pins__lock(t->pins);
	err = settings__set_shed(t->settings, on);
	pins__unlock(t->pins);
	return err;
}

int throttle__shed_auto(struct throttle *t, uint32_t reasons, uint64_t until_ns)
{
	int err;

	if (reasons & ~WARDEN_SHED_AUTO)
		return -EINVAL;
	pins__lock(t->pins);
	err = settings__set_shed_auto(t->settings, reasons, until_ns, time__boot_ns());
	pins__unlock(t->pins);
	return err;
}

bool throttle__shedding(struct throttle *t, uint64_t now_ns, uint32_t *reasons)
{
	return settings__shedding(t->settings, now_ns, reasons);
}

int throttle__learn(struct throttle *t, bool on)
{
	int err;

	pins__lock(t->pins);
	err = settings__set_learn(t->settings, on);
	pins__unlock(t->pins);
	return err;
}

/* ---- priority peers ---- */

int throttle__priority_add(struct throttle *t, const struct prefix *p)
{
	struct priority_value v = { .created_ns = time__boot_ns() };
	__u8 key[sizeof(struct lpm6_key)];
	int err;

	lpm_key(p, key);
	pins__lock(t->pins);
	err = trie_put(t, t->fd[p->family == 4 ? T_PRIO4 : T_PRIO6], key, &v,
		       p->family == 4 ? SETTINGS_PRIO4 : SETTINGS_PRIO6, false);
	pins__unlock(t->pins);
	return err;
}

int throttle__priority_remove(struct throttle *t, const struct prefix *p)
{
	__u8 key[sizeof(struct lpm6_key)];
	int err;

	lpm_key(p, key);
	pins__lock(t->pins);
	err = trie_del(t, t->fd[p->family == 4 ? T_PRIO4 : T_PRIO6], key,
		       p->family == 4 ? SETTINGS_PRIO4 : SETTINGS_PRIO6);
	pins__unlock(t->pins);
	return err;
}

bool throttle__priority_covers(struct throttle *t, const struct prefix *addr)
{
	__u8 key[sizeof(struct lpm6_key)];
	struct priority_value v;

	lpm_key(addr, key);
	return bpf_map_lookup_elem(t->fd[addr->family == 4 ? T_PRIO4 : T_PRIO6], key, &v) == 0;
}

bool throttle__priority_has(struct throttle *t, const struct prefix *p)
{
	__u8 key[sizeof(struct lpm6_key)];
	size_t ks = lpm_key(p, key);

	return trie_has(t->fd[p->family == 4 ? T_PRIO4 : T_PRIO6], key, ks);
}

int throttle__foreach_priority(struct throttle *t, throttle_prio_cb cb, void *ctx)
{
	static const enum tmap ids[2] = { T_PRIO4, T_PRIO6 };
	struct priority_value v;
	struct prefix p;
	size_t m, i, n, ks;
	void *keys;
	int err, ret = 0;

	for (m = 0; m < 2 && !ret; m++) {
		ks = tmap_desc[ids[m]].key_size;
		err = pins__map_keys(t->fd[ids[m]], ks, &keys, &n);
		if (err)
			return err;
		for (i = 0; i < n && !ret; i++) {
			if (bpf_map_lookup_elem(t->fd[ids[m]], (char *)keys + i * ks, &v))
				continue;
			lpm_to_prefix(m == 0 ? 4 : 6, (char *)keys + i * ks, &p);
			ret = cb(&p, &v, ctx);
		}
		free(keys);
	}
	return ret;
}

/* ---- clients ---- */

static unsigned int v6_prefix_of(struct throttle *t)
{
	return settings__v6_client_prefix(t->settings);
}

int throttle__client(struct throttle *t, const struct prefix *addr, struct throttle_state *out)
{
	struct throttle_key k;

	throttle__client_key(addr, v6_prefix_of(t), &k);
	if (bpf_map_lookup_elem(t->fd[T_CLIENTS], &k, out))
		return -errno;
	return 0;
}

int throttle__sketch(struct throttle *t, const struct prefix *addr, struct sketch_cell *out)
{
	struct sketch_cell c[WARDEN_SKETCH_ROWS];
	struct throttle_key k;
	__u32 i[WARDEN_SKETCH_ROWS];

	throttle__client_key(addr, v6_prefix_of(t), &k);
	warden_sketch_index(k.addr, &i[0], &i[1]);
	if (bpf_map_lookup_elem(t->fd[T_SKETCH], &i[0], &c[0]) ||
	    bpf_map_lookup_elem(t->fd[T_SKETCH], &i[1], &c[1]))
		return -errno;
	/* What the program reads: the minimum of the cells. */
#define MIN_OF(f) (c[0].f < c[1].f ? c[0].f : c[1].f)
	out->conn_tat_ns = MIN_OF(conn_tat_ns);
	out->pkt_tat_ns = MIN_OF(pkt_tat_ns);
	out->syn_ns = MIN_OF(syn_ns);
	out->event_ns = MIN_OF(event_ns);
#undef MIN_OF
	return 0;
}

int throttle__mark_known(struct throttle *t, const struct prefix *addr, uint64_t now_ns)
{
	struct known_value v = { .seen_ns = now_ns };
	struct throttle_state st = { .syn_ns = now_ns, .known_ns = now_ns };
	struct throttle_key k;

	throttle__client_key(addr, v6_prefix_of(t), &k);
	if (bpf_map_update_elem(t->fd[T_KNOWN], &k, &v, BPF_ANY))
		return -errno;
	/* Known: exact buckets from now on (an existing entry keeps its own). */
	if (bpf_map_update_elem(t->fd[T_CLIENTS], &k, &st, BPF_NOEXIST) && errno != EEXIST)
		return -errno;
	return 0;
}

static int count_keys(int fd, size_t *out)
{
	struct throttle_key cur, next;
	void *prev = NULL;
	size_t n = 0;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		n++;
		cur = next;
		prev = &cur;
	}
	if (errno != ENOENT)
		return -errno;
	*out = n;
	return 0;
}

int throttle__count_clients(struct throttle *t, size_t *clients, size_t *known)
{
	int err = count_keys(t->fd[T_CLIENTS], clients);

	return err ? err : count_keys(t->fd[T_KNOWN], known);
}

/* ---- throttle events ---- */

static int on_event(void *ctx, void *data, size_t size)
{
	struct throttle *t = ctx;
	const struct throttle_event *ev = data;
	struct throttle_hit hit;

	if (size < sizeof(*ev) || (ev->family != 4 && ev->family != 6))
		return 0;
	memset(&hit, 0, sizeof(hit));
	hit.client.family = ev->family;
	hit.client.prefixlen = ev->family == 4 ? 32 : (ev->prefixlen > 128 ? 128 : ev->prefixlen);
	memcpy(hit.client.addr, ev->addr, ev->family == 4 ? 4 : 16);
	hit.addr = hit.client;
	hit.addr.prefixlen = ev->family == 4 ? 32 : 128;
	hit.kind = (enum throttle_kind)ev->kind;
	hit.time_ns = ev->time_ns;
	hit.throttled = ev->throttled;
	t->hit_cb(&hit, t->hit_ctx);
	return 0;
}

int throttle__events_open(struct throttle *t, throttle_hit_cb cb, void *ctx)
{
	if (t->events)
		return -EBUSY;
	t->hit_cb = cb;
	t->hit_ctx = ctx;
	t->events = ring_buffer__new(t->fd[T_EVENTS], on_event, t, NULL);
	if (!t->events)
		return -errno;
	return 0;
}

int throttle__events_fd(const struct throttle *t)
{
	return t->events ? ring_buffer__epoll_fd(t->events) : -1;
}

int throttle__events_poll(struct throttle *t)
{
	if (!t->events)
		return -EINVAL;
	return ring_buffer__consume(t->events);
}
