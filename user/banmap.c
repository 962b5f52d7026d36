// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* banmap.c - the pinned ban maps: add, remove, list and expire bans, the allowlist. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "banmap.h"
#include "log.h"
#include "pins.h"
#include "settings.h"
#include "mapsize.h"
#include "mounts.h"
#include "timeutil.h"
#include "xdp_ban.skel.h"

enum map_id {
	M_BAN4, M_BAN6, M_PFX4, M_PFX6, M_PFX4_SUM, M_ALLOW4, M_ALLOW6,
	M_REASON, M_COUNTERS, M_PFX6_SUM, M_PFX_LENS, M__COUNT,
};

/* What each pinned map must look like; a mismatch means another layout. */
static const struct {
	const char *name;
	__u32 key_size, value_size;
} map_desc[M__COUNT] = {
	[M_BAN4] = { WARDEN_STR(MAP_BAN4), sizeof(struct ban4_key), sizeof(struct ban_value) },
	[M_BAN6] = { WARDEN_STR(MAP_BAN6), sizeof(struct ban6_key), sizeof(struct ban_value) },
	[M_PFX4] = { WARDEN_STR(MAP_PFX4), sizeof(struct lpm4_key), sizeof(struct ban_value) },
	[M_PFX6] = { WARDEN_STR(MAP_PFX6), sizeof(struct lpm6_key), sizeof(struct ban_value) },
	[M_PFX4_SUM] = { WARDEN_STR(MAP_PFX4_SUM), sizeof(__u32), sizeof(__u32) },
	[M_ALLOW4] = { WARDEN_STR(MAP_ALLOW4), sizeof(struct lpm4_key), sizeof(struct allow_value) },
	[M_ALLOW6] = { WARDEN_STR(MAP_ALLOW6), sizeof(struct lpm6_key), sizeof(struct allow_value) },
	[M_REASON] = { WARDEN_STR(MAP_REASON), sizeof(struct reason_key), sizeof(struct reason_value) },
	[M_COUNTERS] = { WARDEN_STR(MAP_COUNTERS), sizeof(__u32), sizeof(struct xdp_counters) },
	[M_PFX6_SUM] = { WARDEN_STR(MAP_PFX6_SUM), sizeof(__u32), sizeof(__u32) },
	[M_PFX_LENS] = { WARDEN_STR(MAP_PFX_LENS), sizeof(__u32), sizeof(struct prefix_lengths) },
};

_Static_assert(sizeof(struct ban_value) == 32, "ban_value layout");
_Static_assert(sizeof(struct lpm4_key) == 8, "lpm4_key layout");
_Static_assert(sizeof(struct lpm6_key) == 20, "lpm6_key layout");
_Static_assert(sizeof(struct reason_key) == 20, "reason_key layout");
_Static_assert(sizeof(struct reason_value) == 112, "reason_value layout");
_Static_assert(sizeof(struct xdp_counters) == 12 * 8, "xdp_counters layout");
_Static_assert(sizeof(struct prefix_lengths) == 544, "prefix_lengths layout");

struct banmap {
	int fd[M__COUNT];
	struct pins *pins;         /* the pin folder, locked around every change */
	struct settings *settings; /* warden_settings: the IPv6 prefix count */
	int host_count;
	struct prefix host[64]; /* the host's own addresses, never banned */
	uint64_t generation; /* bumped by every change of the bans through this handle */
};

/* ---- carrying the maps of an older layout over ---- */

/*
 * A newer warden may define a pinned map differently (a struct grew, a
 * table got larger). libbpf refuses to reuse such a pin, so before the
 * maps are created the old pin is set aside as NAME_aside, the load creates
 * NAME afresh, and the old entries are copied in, converted by the rule of
 * warden.h (WARDEN_LAYOUT_VERSION): min(old, new) bytes of key and value,
 * the rest zeros. The old map lives on while the old program uses it, so
 * the bans stay enforced until xdp_attach__attach() swaps the program.
 * Any failure puts every old pin back: bans are never lost.
 */

#define ASIDE_SUFFIX "_aside" /* bpffs refuses dots in names */

/* One pinned map whose definition differs from this build's. */
struct migration {
	struct bpf_map *map;       /* this build's definition (the skeleton's) */
	const char *path;          /* its pin (owned by libbpf) */
	char aside[PATH_MAX + 8];  /* where the old pin waits: path + "_aside" */
	int old_fd;                /* the old map, kept open throughout */
	struct bpf_map_info old;   /* its definition */
	bool copy;                 /* carry the entries over; else recreate it empty */
	bool set_aside;            /* the old pin is at aside now */
	size_t copied;             /* entries carried over */
};

static bool map_type_percpu(__u32 type)
{
	return type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_ARRAY ||
	       type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

/* Maps whose entries are plain keys and values that userspace can read and rewrite. */
static bool map_type_copyable(__u32 type)
{
	return type == BPF_MAP_TYPE_HASH || type == BPF_MAP_TYPE_ARRAY ||
	       type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_ARRAY ||
	       type == BPF_MAP_TYPE_LPM_TRIE;
}

/* Throttle state, events and samples: rebuilt by the traffic itself, never worth copying. */
static bool map_type_disposable(__u32 type)
{
	return type == BPF_MAP_TYPE_LRU_HASH || type == BPF_MAP_TYPE_LRU_PERCPU_HASH ||
	       type == BPF_MAP_TYPE_RINGBUF || type == BPF_MAP_TYPE_PERF_EVENT_ARRAY;
}

static bool same_definition(const struct bpf_map *map, const struct bpf_map_info *info)
{
	__u32 max_entries = bpf_map__max_entries(map);

	/* A perf event array left unsized gets one slot per possible CPU at creation. */
	if (bpf_map__type(map) == BPF_MAP_TYPE_PERF_EVENT_ARRAY && !max_entries)
		max_entries = (__u32)libbpf_num_possible_cpus();
	/* What libbpf checks before it reuses a pin (map_is_reuse_compat). */
	return info->type == (__u32)bpf_map__type(map) &&
	       info->key_size == bpf_map__key_size(map) &&
	       info->value_size == bpf_map__value_size(map) &&
	       info->max_entries == max_entries &&
	       info->map_flags == bpf_map__map_flags(map) &&
	       info->map_extra == bpf_map__map_extra(map);
}

static int map_info(int fd, struct bpf_map_info *info)
{
	__u32 len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	return bpf_obj_get_info_by_fd(fd, info, &len) ? -errno : 0;
}

/*
 * Copy every entry of from into to, converted (see above). flags is
 * BPF_ANY, or BPF_NOEXIST to keep what to already holds (then arrays, whose
 * entries always exist, keep theirs). Sets *copied. 0 or -errno.
 */
static int carry_entries(int from, const struct bpf_map_info *fi, int to,
			 const struct bpf_map_info *ti, __u64 flags, size_t *copied)
{
	bool percpu = map_type_percpu(fi->type), array;
	size_t ncpu = 1, fstride, tstride, vmin, kmin, c;
	char *cur = NULL, *next = NULL, *tkey = NULL, *fval = NULL, *tval = NULL;
	int err = 0, n;

	*copied = 0;
	if (percpu) {
		n = libbpf_num_possible_cpus();
		if (n < 0)
			return n;
		ncpu = (size_t)n;
	}
	array = ti->type == BPF_MAP_TYPE_ARRAY || ti->type == BPF_MAP_TYPE_PERCPU_ARRAY;
	/* Per-CPU values come as one slot per possible CPU, each rounded up to 8 bytes. */
	fstride = percpu ? (fi->value_size + 7) / 8 * 8 : fi->value_size;
	tstride = percpu ? (ti->value_size + 7) / 8 * 8 : ti->value_size;
	kmin = fi->key_size < ti->key_size ? fi->key_size : ti->key_size;
	vmin = fi->value_size < ti->value_size ? fi->value_size : ti->value_size;
	cur = calloc(1, fi->key_size);
	next = calloc(1, fi->key_size);
	tkey = calloc(1, ti->key_size);
	fval = calloc(ncpu, fstride);
	tval = calloc(ncpu, tstride);
	if (!cur || !next || !tkey || !fval || !tval) {
		err = -ENOMEM;
		goto out;
	}
	for (n = 0; bpf_map_get_next_key(from, n ? cur : NULL, next) == 0; n = 1) {
		memcpy(cur, next, fi->key_size);
		if (bpf_map_lookup_elem(from, cur, fval)) {
			if (errno == ENOENT)
				continue;
			err = -errno;
			goto out;
		}
		memset(tkey, 0, ti->key_size);
		memcpy(tkey, cur, kmin);
		/* An array that shrank keeps what fits. */
		if (array && *(__u32 *)tkey >= ti->max_entries)
			continue;
		memset(tval, 0, ncpu * tstride);
		for (c = 0; c < ncpu; c++)
			memcpy(tval + c * tstride, fval + c * fstride, vmin);
		if (bpf_map_update_elem(to, tkey, tval, flags)) {
			if (errno == EEXIST && flags == BPF_NOEXIST)
				continue;
			err = -errno;
			goto out;
		}
		(*copied)++;
	}
	if (errno != ENOENT)
		err = -errno;
out:
	free(cur);
	free(next);
	free(tkey);
	free(fval);
	free(tval);
	return err;
}

/*
 * A migration that died half-way (the process killed) leaves NAME_aside
 * behind. Without NAME, it goes back to NAME and is migrated again; with
 * NAME, its entries that NAME lacks are merged in (a ban lifted meanwhile
 * may come back: better than a ban lost). Then NAME_aside goes.
 */
static int recover_aside(const char *path)
{
	struct bpf_map_info fi, ti;
	char aside[PATH_MAX + 8];
	size_t copied = 0;
	int from, to, err = 0;

	snprintf(aside, sizeof(aside), "%s" ASIDE_SUFFIX, path);
	from = bpf_obj_get(aside);
	if (from < 0)
		return errno == ENOENT ? 0 : -errno;
	to = bpf_obj_get(path);
	if (to < 0) {
		err = rename(aside, path) ? -errno : 0;
		if (!err)
			pr_warn("%s: put back the map of an interrupted upgrade", path);
		close(from);
		return err;
	}
	err = map_info(from, &fi);
	if (!err)
		err = map_info(to, &ti);
	if (!err && map_type_copyable(fi.type) && map_type_copyable(ti.type) &&
	    map_type_percpu(fi.type) == map_type_percpu(ti.type))
		err = carry_entries(from, &fi, to, &ti, BPF_NOEXIST, &copied);
	if (!err && unlink(aside))
		err = -errno;
	if (err)
		pr_warn("%s: cannot finish an interrupted upgrade: %s", path, strerror(-err));
	else
		pr_warn("%s: finished an interrupted upgrade (%zu entries merged back)", path,
			copied);
	close(from);
	close(to);
	return err;
}

/* Which pinned maps differ from this build's definition: a malloc()ed array (caller's). */
static int plan_migrations(struct xdp_ban_bpf *skel, struct migration **out, size_t *n_out)
{
	struct migration *migs = NULL, *grown, *m;
	struct bpf_map *map;
	size_t n = 0;
	const char *path;
	int fd, err = 0;

	bpf_object__for_each_map(map, skel->obj) {
		path = bpf_map__pin_path(map);
		if (!path)
			continue;
		err = recover_aside(path);
		if (err)
			break;
		fd = bpf_obj_get(path);
		if (fd < 0) {
			if (errno == ENOENT)
				continue; /* not pinned yet: the load creates it */
			err = -errno;
			break;
		}
		grown = realloc(migs, (n + 1) * sizeof(*migs));
		if (!grown) {
			close(fd);
			err = -ENOMEM;
			break;
		}
		migs = grown;
		m = &migs[n];
		memset(m, 0, sizeof(*m));
		m->old_fd = fd;
		err = map_info(fd, &m->old);
		if (err || same_definition(map, &m->old)) {
			close(fd);
			if (err)
				break;
			continue;
		}
		m->map = map;
		m->path = path;
		snprintf(m->aside, sizeof(m->aside), "%s" ASIDE_SUFFIX, path);
		m->copy = map_type_copyable(m->old.type) &&
			  map_type_copyable((__u32)bpf_map__type(map)) &&
			  map_type_percpu(m->old.type) == map_type_percpu((__u32)bpf_map__type(map));
		n++;
		/* A map that holds bans or settings and cannot be copied is never dropped. */
		if (!m->copy && !map_type_disposable(m->old.type)) {
			pr_warn("%s has another type (%u, this warden has %u): its entries cannot be "
				"carried over; left as it is", path, m->old.type,
				(unsigned int)bpf_map__type(map));
			err = -EPROTO;
			break;
		}
	}
	*out = migs;
	*n_out = n;
	return err;
}

/* Put every old pin back where it was (the new maps die with the skeleton). */
static void restore_asides(struct migration *migs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!migs[i].set_aside)
			continue;
		/* rename() replaces the new pin, if the load made one. */
		if (rename(migs[i].aside, migs[i].path) &&
		    bpf_obj_pin(migs[i].old_fd, migs[i].path))
			pr_warn("cannot put %s back: it is still at %s", migs[i].path, migs[i].aside);
		else
			migs[i].set_aside = false;
	}
}

/* Whether map is one of the four that hold bans. */
static bool is_ban_map(const struct bpf_map *map)
{
	static const enum map_id ids[] = { M_BAN4, M_BAN6, M_PFX4, M_PFX6 };
	size_t i;

	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		if (!strcmp(bpf_map__name(map), map_desc[ids[i]].name))
			return true;
	return false;
}

/* The maps this process's migrations replaced (banmap__replaced_map); the first 64 are kept. */
static __u32 replaced_ids[64];
static size_t n_replaced;

bool banmap__replaced_map(__u32 map_id)
{
	size_t i;

	for (i = 0; i < n_replaced; i++)
		if (replaced_ids[i] == map_id)
			return true;
	return false;
}

/* Copy each set-aside map into its new self; then the old pins go. */
static int carry_over(struct migration *migs, size_t n)
{
	struct bpf_map_info ti;
	size_t i, bans = 0;
	bool ban_maps = false;
	int err;

	for (i = 0; i < n; i++) {
		struct migration *m = &migs[i];

		if (!m->copy)
			continue;
		err = map_info(bpf_map__fd(m->map), &ti);
		if (!err)
			err = carry_entries(m->old_fd, &m->old, bpf_map__fd(m->map), &ti, BPF_ANY,
					    &m->copied);
		if (err) {
			pr_warn("cannot carry %s over to this warden's layout: %s; "
				"the previous maps stay in place", m->path, strerror(-err));
			return err;
		}
	}
	for (i = 0; i < n; i++) {
		struct migration *m = &migs[i];

		unlink(m->aside);
		m->set_aside = false;
		if (n_replaced < sizeof(replaced_ids) / sizeof(replaced_ids[0]))
			replaced_ids[n_replaced++] = m->old.id;
		if (m->copy)
			pr_info("%s: another layout (%s -> %s, key %u -> %u, value %u -> %u bytes, "
				"%u -> %u entries): carried %zu entries over", bpf_map__name(m->map),
				libbpf_bpf_map_type_str(m->old.type),
				libbpf_bpf_map_type_str(bpf_map__type(m->map)),
				m->old.key_size, bpf_map__key_size(m->map), m->old.value_size,
				bpf_map__value_size(m->map), m->old.max_entries,
				bpf_map__max_entries(m->map), m->copied);
		else
			pr_info("%s: another layout: recreated empty (it holds no bans)",
				bpf_map__name(m->map));
		if (is_ban_map(m->map)) {
			ban_maps = true;
			bans += m->copied;
		}
	}
	if (ban_maps)
		pr_info("carried %zu bans over from the previous layout", bans);
	else
		pr_info("upgraded the maps to layout %d; the bans stayed in place",
			WARDEN_LAYOUT_VERSION);
	return 0;
}

/*
 * Create every map that is not pinned yet, by loading the object without
 * its program; maps of an older layout are carried over first (see above).
 * Called with the pin folder locked.
 */
static int create_maps(const char *pin_path)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = pin_path);
	struct migration *migs = NULL;
	struct xdp_ban_bpf *skel;
	size_t n = 0, i;
	int err;

	skel = xdp_ban_bpf__open_opts(&opts);
	if (!skel) {
		err = -errno;
		pr_warn("cannot open the BPF object: %s", strerror(-err));
		return err;
	}
	bpf_program__set_autoload(skel->progs.xdp_ban, false);
	/* Throttle maps: full size only once something uses them (mapsize.h). */
	err = mapsize__apply(skel->obj, pin_path);
	if (!err)
		err = plan_migrations(skel, &migs, &n);
	if (err)
		goto out;
	/* The old pins step aside so that the load pins new maps in their place. */
	for (i = 0; i < n && !err; i++) {
		if (rename(migs[i].path, migs[i].aside))
			err = -errno;
		else
			migs[i].set_aside = true;
	}
	if (err) {
		pr_warn("cannot set %s aside: %s", migs[i - 1].path, strerror(-err));
		err = -EPROTO; /* the maps keep the other layout (not a usage or privilege error) */
		goto out;
	}
	err = xdp_ban_bpf__load(skel);
	if (err) {
		pr_warn("cannot create the ban maps under %s: %s", pin_path, strerror(-err));
		goto out;
	}
	if (n && carry_over(migs, n))
		err = -EPROTO; /* said why; the previous maps are back in place */
out:
	restore_asides(migs, n);
	for (i = 0; i < n; i++)
		close(migs[i].old_fd);
	free(migs);
	xdp_ban_bpf__destroy(skel);
	return err;
}

static int open_pinned(struct banmap *bm)
{
	struct pins_map_def def = {};
	int i;

	for (i = 0; i < M__COUNT; i++) {
		def.key_size = map_desc[i].key_size;
		def.value_size = map_desc[i].value_size;
		bm->fd[i] = pins__map_fd(bm->pins, map_desc[i].name, &def);
		if (bm->fd[i] < 0)
			return bm->fd[i];
	}
	bm->settings = settings__open(bm->pins);
	return bm->settings ? 0 : -errno;
}

/*
 * Recount the lengths in use and the summaries of the prefix hashes, in
 * case a writer died half-way; clear host bits of keys carried over.
 */
static int reconcile_sums(struct banmap *bm);

struct banmap *banmap__open(const char *pin_path, enum banmap_open how)
{
	struct banmap *bm;
	int i, err;

	bm = calloc(1, sizeof(*bm));
	if (!bm)
		return NULL;
	for (i = 0; i < M__COUNT; i++)
		bm->fd[i] = -1;
	bm->pins = pins__open(pin_path, how == BANMAP_CREATE ? PINS_CREATE : PINS_EXISTING);
	if (!bm->pins) {
		err = -errno;
		goto err_out;
	}

	pins__lock(bm->pins);
	if (how == BANMAP_CREATE) {
		err = create_maps(pin_path);
		if (!err)
			err = open_pinned(bm);
		if (!err)
			err = reconcile_sums(bm);
	} else {
		err = open_pinned(bm);
		if (err == -ENOENT)
			pr_warn("the warden maps under %s are missing or incomplete: "
				"run 'warden attach IFACE' first", pin_path);
	}
	pins__unlock(bm->pins);
	if (err) {
		if (err != -ENOENT && err != -EPROTO)
			pr_warn("cannot open the maps under %s: %s", pin_path, strerror(-err));
		goto err_out;
	}

	err = prefix__host_addresses(bm->host, (int)(sizeof(bm->host) / sizeof(bm->host[0])));
	bm->host_count = err < 0 ? 0 : err;
	return bm;

err_out:
	banmap__close(bm);
	errno = -err;
	return NULL;
}

void banmap__close(struct banmap *bm)
{
	int i;

	if (!bm)
		return;
	for (i = 0; i < M__COUNT; i++)
		if (bm->fd[i] >= 0)
			close(bm->fd[i]);
	settings__close(bm->settings);
	pins__close(bm->pins);
	free(bm);
}

const char *banmap__pin_path(const struct banmap *bm)
{
	return pins__path(bm->pins);
}

uint32_t banmap__maps_id(const struct banmap *bm)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int fd = pins__map_fd(bm->pins, map_desc[M_BAN4].name, NULL);

	if (fd < 0)
		return 0;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		info.id = 0;
	close(fd);
	return info.id;
}

uint64_t banmap__generation(const struct banmap *bm)
{
	return bm->generation;
}

/* Zero the bits of addr (n bytes) past the first len. */
static void clear_host_bits(__u8 *addr, size_t n, unsigned int len)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (i * 8 >= len)
			addr[i] = 0;
		else if (i * 8 + 8 > len)
			addr[i] &= (__u8)(0xff << (8 - (len - i * 8)));
	}
}

/* Keys of each map for one prefix, host bits zero (the data path's probe keys). */
static void make_lpm4(struct lpm4_key *k, const struct prefix *p)
{
	memset(k, 0, sizeof(*k));
	k->prefixlen = p->prefixlen;
	memcpy(k->addr, p->addr, 4);
	clear_host_bits(k->addr, 4, p->prefixlen);
}

static void make_lpm6(struct lpm6_key *k, const struct prefix *p)
{
	memset(k, 0, sizeof(*k));
	k->prefixlen = p->prefixlen;
	memcpy(k->addr, p->addr, 16);
	clear_host_bits(k->addr, 16, p->prefixlen);
}

static void make_reason_key(struct reason_key *k, const struct prefix *p)
{
	memset(k, 0, sizeof(*k));
	k->family = p->family;
	k->prefixlen = p->prefixlen;
	memcpy(k->addr, p->addr, p->family == 4 ? 4 : 16);
}

/* The map and key that hold a ban of target. key must hold 20 bytes. */
static int ban_slot(const struct banmap *bm, const struct prefix *target, void *key)
{
	if (target->family == 4 && prefix__is_single(target)) {
		memcpy(key, target->addr, 4);
		return bm->fd[M_BAN4];
	}
	if (target->family == 6 && prefix__is_single(target)) {
		memcpy(key, target->addr, 16);
		return bm->fd[M_BAN6];
	}
	if (target->family == 4) {
		make_lpm4(key, target);
		return bm->fd[M_PFX4];
	}
	make_lpm6(key, target);
	return bm->fd[M_PFX6];
}

struct overlap_ctx {
	const struct prefix *target;
	struct prefix allowed;
	bool found;
};

static int find_allowed_overlap(const struct prefix *p, const struct allow_value *v, void *arg)
{
	struct overlap_ctx *ctx = arg;

	(void)v;
	if (!prefix__overlaps(p, ctx->target))
		return 0;
	ctx->allowed = *p;
	ctx->found = true;
	return 1;
}

int banmap__refusal(struct banmap *bm, const struct prefix *target, char *why, size_t len)
{
	char buf[PREFIX_STRLEN], own[PREFIX_STRLEN];
	int i;

	if (prefix__is_loopback(target)) {
		snprintf(why, len, "%s covers loopback or the unspecified address",
			 prefix__format(target, buf, sizeof(buf)));
		return 1;
	}
	for (i = 0; i < bm->host_count; i++) {
		if (prefix__overlaps(target, &bm->host[i])) {
			snprintf(why, len, "%s covers this host's own address %s",
				 prefix__format(target, buf, sizeof(buf)),
				 prefix__format(&bm->host[i], own, sizeof(own)));
			return 1;
		}
	}
	if (banmap__is_allowed(bm, target)) {
		snprintf(why, len, "%s is in the allowlist", prefix__format(target, buf, sizeof(buf)));
		return 1;
	}
	/* A prefix that covers an allowlisted address or prefix is refused too. */
	if (!prefix__is_single(target)) {
		struct overlap_ctx ctx = { .target = target };

		banmap__foreach_allow(bm, find_allowed_overlap, &ctx);
		if (ctx.found) {
			snprintf(why, len, "%s covers %s, which is in the allowlist",
				 prefix__format(target, buf, sizeof(buf)),
				 prefix__format(&ctx.allowed, own, sizeof(own)));
			return 1;
		}
	}
	return 0;
}

static __u32 *read_sums(int fd, __u32 n);
static int write_sums(int fd, const __u32 *sums, __u32 n);
static int array_count_adjust(int fd, __u32 index, int delta);

/* The /24s an IPv4 prefix touches: *first (as addr >> 8) and how many. */
static void pfx4_span(const struct prefix *p, __u32 *first, __u32 *n)
{
	__u32 a = ((__u32)p->addr[0] << 24) | ((__u32)p->addr[1] << 16) | ((__u32)p->addr[2] << 8);

	*n = p->prefixlen >= 24 ? 1 : 1u << (24 - p->prefixlen);
	*first = (a >> 8) & ~(*n - 1);
}

/* Spans past this many /24s go through a copy of the whole array, not one update each. */
#define PFX4_SPAN_IN_PLACE 64

/* Add delta to the count of each hashed /24 bucket that p touches (never below 0). */
static int pfx4_sum_adjust(struct banmap *bm, const struct prefix *p, int delta)
{
	__u32 first, n, i, b, *sums;
	int err;

	pfx4_span(p, &first, &n);
	/* A short prefix (a /8 is 65,536 /24s): counted in a copy, what changed written back. */
	sums = n > PFX4_SPAN_IN_PLACE ? read_sums(bm->fd[M_PFX4_SUM], WARDEN_PFX4_BUCKETS) : NULL;
	if (!sums) {
		for (i = 0; i < n; i++) {
			err = array_count_adjust(bm->fd[M_PFX4_SUM],
						 warden_pfx4_bucket((first + i) << 8), delta);
			if (err)
				return err;
		}
		return 0;
	}
	for (i = 0; i < n; i++) {
		b = warden_pfx4_bucket((first + i) << 8);
		if (delta < 0 && sums[b] < (__u32)-delta)
			sums[b] = 0;
		else
			sums[b] += delta;
	}
	err = write_sums(bm->fd[M_PFX4_SUM], sums, WARDEN_PFX4_BUCKETS);
	free(sums);
	return err;
}

/* Add delta to a counter of an array map (never below 0). */
static int array_count_adjust(int fd, __u32 index, int delta)
{
	__u32 count;

	if (bpf_map_lookup_elem(fd, &index, &count))
		return -errno;
	if (delta < 0 && count < (__u32)-delta)
		count = 0;
	else
		count += delta;
	if (bpf_map_update_elem(fd, &index, &count, BPF_ANY))
		return -errno;
	return 0;
}

/* Add delta to the entries of length len in one set of warden_pfxlens; its bit follows. */
static int lengths_adjust(struct banmap *bm, __u32 which, unsigned int len, int delta)
{
	struct prefix_lengths pl;

	if (len > 128)
		return -EINVAL;
	if (bpf_map_lookup_elem(bm->fd[M_PFX_LENS], &which, &pl))
		return -errno;
	if (delta < 0 && pl.count[len] < (__u32)-delta)
		pl.count[len] = 0;
	else
		pl.count[len] += delta;
	if (pl.count[len])
		pl.bits[len / 64] |= 1ULL << (len % 64);
	else
		pl.bits[len / 64] &= ~(1ULL << (len % 64));
	if (bpf_map_update_elem(bm->fd[M_PFX_LENS], &which, &pl, BPF_ANY))
		return -errno;
	return 0;
}

/*
 * Raise the summaries before inserting a prefix, lower them after deleting
 * one: the length in use, then the hashed /24 (IPv4) or the hashed /32 (IPv6, for
 * /32 and longer), so that the data path never misses a prefix.
 */
static int prefix_summary_adjust(struct banmap *bm, const struct prefix *p, int delta)
{
	int err;

	if (prefix__is_single(p))
		return 0;
	err = lengths_adjust(bm, p->family == 4 ? PFX_LENS_BAN4 : PFX_LENS_BAN6, p->prefixlen,
			     delta);
	if (err)
		return err;
	if (p->family == 4)
		return pfx4_sum_adjust(bm, p, delta);
	if (p->prefixlen >= WARDEN_PFX6_SUM_LEN) {
		err = array_count_adjust(bm->fd[M_PFX6_SUM], warden_pfx6_bucket(p->addr), delta);
		if (err)
			return err;
	}
	return settings__count_adjust(bm->settings, SETTINGS_PFX6, delta);
}

static int write_reason(struct banmap *bm, const struct prefix *target, const char *reason,
			enum ban_source source, uint32_t offences)
{
	struct reason_key rk;
	struct reason_value rv;

	make_reason_key(&rk, target);
	memset(&rv, 0, sizeof(rv));
	rv.offences = offences;
	rv.source = source;
	snprintf(rv.text, sizeof(rv.text), "%s", reason ? reason : "");
	if (bpf_map_update_elem(bm->fd[M_REASON], &rk, &rv, BPF_ANY))
		return -errno;
	return 0;
}

static int ban_locked(struct banmap *bm, const struct prefix *target, uint64_t expires_ns,
		      const char *reason, enum ban_source source, uint32_t offences)
{
	struct ban_value val, old;
	bool single = prefix__is_single(target);
	__u8 key[20];
	int fd, err;

	fd = ban_slot(bm, target, key);
	memset(&val, 0, sizeof(val));
	val.expires_ns = expires_ns;
	val.created_ns = time__boot_ns();

	/* The reason first, so a ban never shows without it. */
	if (reason || offences) {
		err = write_reason(bm, target, reason, source, offences);
		if (err)
			return err;
	}

	if (!single) {
		/*
		 * Insert with BPF_NOEXIST to learn whether it is new: only a new
		 * prefix counts in the summaries, which go up first, so the data
		 * path never misses it.
		 */
		err = prefix_summary_adjust(bm, target, +1);
		if (err)
			return err;
		if (bpf_map_update_elem(fd, key, &val, BPF_NOEXIST) == 0)
			return 0;
		err = -errno;
		prefix_summary_adjust(bm, target, -1);
		if (err != -EEXIST)
			return err;
	}
	if (bpf_map_lookup_elem(fd, key, &old) == 0) {
		val.created_ns = old.created_ns;
		val.drops = old.drops;
		val.last_drop_ns = old.last_drop_ns;
	}
	if (bpf_map_update_elem(fd, key, &val, BPF_ANY))
		return -errno;
	return 0;
}

int banmap__ban(struct banmap *bm, const struct prefix *target, uint64_t expires_ns,
		const char *reason, enum ban_source source, uint32_t offences)
{
	int err;

	pins__lock(bm->pins);
	err = ban_locked(bm, target, expires_ns, reason, source, offences);
	pins__unlock(bm->pins);
	bm->generation++;
	return err;
}

/* Batch-update n entries of one map (keys of ks bytes, values of vs bytes). */
static int update_batch(int fd, const void *keys, size_t ks, const void *vals, size_t vs, size_t n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = 0, .flags = 0);
	size_t done = 0;
	__u32 count;

	while (done < n) {
		count = (__u32)(n - done > 65536 ? 65536 : n - done);
		if (bpf_map_update_batch(fd, (const char *)keys + done * ks,
					 (const char *)vals + done * vs, &count, &opts)) {
			int err = -errno;

			/* Older kernels: fall back to one update per element. */
			if (err == -EINVAL || err == -EOPNOTSUPP || err == -524 /* ENOTSUPP */) {
				for (; done < n; done++)
					if (bpf_map_update_elem(fd, (const char *)keys + done * ks,
								(const char *)vals + done * vs, BPF_ANY))
						return -errno;
				return 0;
			}
			return err;
		}
		done += count;
	}
	return 0;
}

/* One ban of a batch, as both batch interfaces describe it. */
struct batch_item {
	const struct prefix *target;
	uint64_t expires_ns;
	const char *reason; /* NULL: no reason entry unless offences */
	uint32_t source, offences;
};

typedef void (*batch_item_fn)(const void *ctx, size_t i, struct batch_item *out);

/* The arrays of one batch: exact bans per family, and the reasons. */
struct batch_buf {
	struct ban4_key *k4;
	struct ban6_key *k6;
	struct ban_value *v4, *v6;
	struct reason_key *rk;
	struct reason_value *rv;
	size_t n4, n6, nr;
};

static void batch_buf_free(struct batch_buf *b)
{
	free(b->k4);
	free(b->k6);
	free(b->v4);
	free(b->v6);
	free(b->rk);
	free(b->rv);
}

static int batch_buf_alloc(struct batch_buf *b, size_t n)
{
	memset(b, 0, sizeof(*b));
	n = n ? n : 1;
	b->k4 = calloc(n, sizeof(*b->k4));
	b->k6 = calloc(n, sizeof(*b->k6));
	b->v4 = calloc(n, sizeof(*b->v4));
	b->v6 = calloc(n, sizeof(*b->v6));
	b->rk = calloc(n, sizeof(*b->rk));
	b->rv = calloc(n, sizeof(*b->rv));
	if (b->k4 && b->k6 && b->v4 && b->v6 && b->rk && b->rv)
		return 0;
	batch_buf_free(b);
	return -ENOMEM;
}

/*
 * With keep_longer: whether the live ban old (of target) already lasts as long
 * as expires_ns or longer (then nothing is written); when it is shorter, the
 * source it had (a local ban lengthened stays local) goes into *source.
 */
static bool lasts_longer(struct banmap *bm, const struct prefix *target, const struct ban_value *old,
			 uint64_t expires_ns, uint64_t now, uint32_t *source)
{
	struct reason_key rk;
	struct reason_value rv;

	if (old->expires_ns && now >= old->expires_ns)
		return false; /* ended: replaced */
	if (!old->expires_ns || (expires_ns && old->expires_ns >= expires_ns))
		return true;
	make_reason_key(&rk, target);
	if (bpf_map_lookup_elem(bm->fd[M_REASON], &rk, &rv) == 0 && rv.source)
		*source = rv.source;
	return false;
}

/*
 * Ban n targets under one lock: prefixes one by one (the summaries), exact
 * bans and their reasons in one batched update per map, keeping the
 * counters of bans that already exist. The reasons go in first, so a ban
 * never shows without one. keep_longer: see banmap__ban_entries_longer().
 */
static int ban_batch(struct banmap *bm, size_t n, batch_item_fn item, const void *ctx,
		     bool keep_longer, size_t *written)
{
	struct batch_buf b;
	struct ban_value old;
	size_t i, done = 0;
	uint64_t now = time__boot_ns();
	int err;

	err = batch_buf_alloc(&b, n);
	if (err)
		return err;
	pins__lock(bm->pins);
	for (i = 0; i < n && !err; i++) {
		struct batch_item e;
		struct ban_value *v;
		__u8 key[20];
		bool found;
		int fd;

		item(ctx, i, &e);
		fd = ban_slot(bm, e.target, key);
		found = bpf_map_lookup_elem(fd, key, &old) == 0;
		if (found && keep_longer &&
		    lasts_longer(bm, e.target, &old, e.expires_ns, now, &e.source))
			continue;
		done++;
		if (!prefix__is_single(e.target)) {
			err = ban_locked(bm, e.target, e.expires_ns, e.reason, e.source, e.offences);
			continue;
		}
		if (e.target->family == 4) {
			memcpy(&b.k4[b.n4], key, sizeof(b.k4[0]));
			v = &b.v4[b.n4++];
		} else {
			memcpy(&b.k6[b.n6], key, sizeof(b.k6[0]));
			v = &b.v6[b.n6++];
		}
		v->expires_ns = e.expires_ns;
		v->created_ns = now;
		if (found) {
			v->created_ns = old.created_ns;
			v->drops = old.drops;
			v->last_drop_ns = old.last_drop_ns;
		}
		if (e.reason || e.offences) {
			make_reason_key(&b.rk[b.nr], e.target);
			b.rv[b.nr].offences = e.offences;
			b.rv[b.nr].source = e.source;
			snprintf(b.rv[b.nr].text, sizeof(b.rv[b.nr].text), "%s", e.reason ? e.reason : "");
			b.nr++;
		}
	}
	if (!err && b.nr)
		err = update_batch(bm->fd[M_REASON], b.rk, sizeof(*b.rk), b.rv, sizeof(*b.rv), b.nr);
	if (!err && b.n4)
		err = update_batch(bm->fd[M_BAN4], b.k4, sizeof(*b.k4), b.v4, sizeof(*b.v4), b.n4);
	if (!err && b.n6)
		err = update_batch(bm->fd[M_BAN6], b.k6, sizeof(*b.k6), b.v6, sizeof(*b.v6), b.n6);
	pins__unlock(bm->pins);
	bm->generation++;
	batch_buf_free(&b);
	if (written)
		*written = err ? 0 : done;
	return err;
}

/* banmap__ban_many(): the same expiry and reason for every target. */
struct many_ctx {
	const struct prefix *targets;
	uint64_t expires_ns;
	const char *reason;
	enum ban_source source;
};

static void many_item(const void *arg, size_t i, struct batch_item *out)
{
	const struct many_ctx *ctx = arg;

	*out = (struct batch_item){ .target = &ctx->targets[i], .expires_ns = ctx->expires_ns,
				    .reason = ctx->reason, .source = ctx->source };
}

int banmap__ban_many(struct banmap *bm, const struct prefix *targets, size_t n,
		     uint64_t expires_ns, const char *reason, enum ban_source source)
{
	struct many_ctx ctx = { targets, expires_ns, reason, source };

	return ban_batch(bm, n, many_item, &ctx, false, NULL);
}

static void entry_item(const void *arg, size_t i, struct batch_item *out)
{
	const struct ban_entry *e = &((const struct ban_entry *)arg)[i];

	*out = (struct batch_item){ .target = &e->target, .expires_ns = e->expires_ns,
				    .reason = e->reason[0] ? e->reason : NULL,
				    .source = e->source, .offences = e->offences };
}

int banmap__ban_entries(struct banmap *bm, const struct ban_entry *bans, size_t n)
{
	return ban_batch(bm, n, entry_item, bans, false, NULL);
}

int banmap__ban_entries_longer(struct banmap *bm, const struct ban_entry *bans, size_t n,
			       size_t *written)
{
	return ban_batch(bm, n, entry_item, bans, true, written);
}


static int unban_locked(struct banmap *bm, const struct prefix *target)
{
	struct reason_key rk;
	__u8 key[20];
	int fd, err;

	fd = ban_slot(bm, target, key);
	if (bpf_map_delete_elem(fd, key))
		return -errno;
	err = prefix_summary_adjust(bm, target, -1);
	make_reason_key(&rk, target);
	bpf_map_delete_elem(bm->fd[M_REASON], &rk);
	return err;
}

int banmap__unban(struct banmap *bm, const struct prefix *target)
{
	int err;

	pins__lock(bm->pins);
	err = unban_locked(bm, target);
	pins__unlock(bm->pins);
	if (!err)
		bm->generation++;
	return err;
}

/* A ban's value and its reason (rv may be NULL: none stored) as struct ban_info. */
static void info_of(const struct prefix *target, const struct ban_value *v,
		    const struct reason_value *rv, struct ban_info *out)
{
	memset(out, 0, sizeof(*out));
	out->target = *target;
	out->expires_ns = v->expires_ns;
	out->created_ns = v->created_ns;
	out->drops = v->drops;
	out->last_drop_ns = v->last_drop_ns;
	if (rv) {
		out->offences = rv->offences;
		out->source = rv->source;
		memcpy(out->reason, rv->text, sizeof(out->reason));
		out->reason[sizeof(out->reason) - 1] = '\0';
	}
}

static void fill_info(struct banmap *bm, const struct prefix *target, const struct ban_value *v,
		      struct ban_info *out)
{
	struct reason_key rk;
	struct reason_value rv;

	make_reason_key(&rk, target);
	info_of(target, v, bpf_map_lookup_elem(bm->fd[M_REASON], &rk, &rv) ? NULL : &rv, out);
}

int banmap__get(struct banmap *bm, const struct prefix *target, struct ban_info *out)
{
	struct ban_value v;
	__u8 key[20];
	int fd;

	fd = ban_slot(bm, target, key);
	if (bpf_map_lookup_elem(fd, key, &v))
		return -errno;
	fill_info(bm, target, &v, out);
	return 0;
}

/* The allowlist map, its key and its set of lengths for p. key must hold 20 bytes. */
static int allow_slot(const struct banmap *bm, const struct prefix *p, void *key, __u32 *set)
{
	if (p->family == 4) {
		make_lpm4(key, p);
		*set = PFX_LENS_ALLOW4;
		return bm->fd[M_ALLOW4];
	}
	make_lpm6(key, p);
	*set = PFX_LENS_ALLOW6;
	return bm->fd[M_ALLOW6];
}

int banmap__allow_new(struct banmap *bm, const struct prefix *p)
{
	struct allow_value v = { .created_ns = time__boot_ns() };
	__u8 key[20];
	__u32 set;
	int fd, err;

	fd = allow_slot(bm, p, key, &set);
	pins__lock(bm->pins);
	/* The length is in use before the entry shows, as for bans. */
	err = lengths_adjust(bm, set, p->prefixlen, +1);
	if (!err && bpf_map_update_elem(fd, key, &v, BPF_NOEXIST)) {
		err = -errno;
		lengths_adjust(bm, set, p->prefixlen, -1);
	}
	pins__unlock(bm->pins);
	return err;
}

int banmap__allow(struct banmap *bm, const struct prefix *p)
{
	int err = banmap__allow_new(bm, p);

	return err == -EEXIST ? 0 : err;
}

int banmap__unallow(struct banmap *bm, const struct prefix *p)
{
	__u8 key[20];
	__u32 set;
	int fd, err = 0;

	fd = allow_slot(bm, p, key, &set);
	pins__lock(bm->pins);
	if (bpf_map_delete_elem(fd, key))
		err = -errno;
	else
		err = lengths_adjust(bm, set, p->prefixlen, -1);
	pins__unlock(bm->pins);
	return err;
}

bool banmap__is_allowed(struct banmap *bm, const struct prefix *addr)
{
	struct prefix_lengths pl;
	struct allow_value v;
	struct prefix cut;
	__u8 key[20];
	__u32 set;
	int fd, len;

	/* As the data path: each length in use, no longer than addr's own. */
	set = addr->family == 4 ? PFX_LENS_ALLOW4 : PFX_LENS_ALLOW6;
	if (bpf_map_lookup_elem(bm->fd[M_PFX_LENS], &set, &pl))
		return false;
	for (len = addr->prefixlen; len >= 0; len--) {
		if (!(pl.bits[len / 64] & (1ULL << (len % 64))))
			continue;
		cut = *addr;
		prefix__truncate(&cut, len);
		fd = allow_slot(bm, &cut, key, &set);
		if (bpf_map_lookup_elem(fd, key, &v) == 0)
			return true;
	}
	return false;
}

/* Grow two arrays of *cap entries to twice as many. */
static int grow2(char **a, size_t as, char **b, size_t bs, size_t *cap)
{
	char *na, *nb;

	na = realloc(*a, *cap * 2 * as);
	if (!na)
		return -ENOMEM;
	*a = na;
	nb = realloc(*b, *cap * 2 * bs);
	if (!nb)
		return -ENOMEM;
	*b = nb;
	*cap *= 2;
	return 0;
}

/*
 * Every entry of a hash map, keys and values in two malloc()ed arrays the
 * caller frees: BPF_MAP_LOOKUP_BATCH, a few calls for the whole map where a
 * key-by-key walk makes two a key (the snapshot walks every ban once a
 * second while bans change). -EOPNOTSUPP when the kernel has no batch
 * lookup for this map (nothing allocated): the caller walks the keys.
 */
static int dump_entries(int fd, size_t ks, size_t vs, void **keys_out, void **vals_out,
			size_t *n_out)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	size_t cap = 1024, n = 0;
	char *keys = malloc(cap * ks), *vals = malloc(cap * vs);
	__u32 in = 0, out = 0, count;
	bool first = true;
	int err = 0;

	if (!keys || !vals) {
		err = -ENOMEM;
		goto fail;
	}
	for (;;) {
		/* Room for a few buckets at least (a bucket never comes in halves). */
		if (cap - n < 256 && (err = grow2(&keys, ks, &vals, vs, &cap)))
			goto fail;
		count = (__u32)(cap - n);
		err = bpf_map_lookup_batch(fd, first ? NULL : &in, &out, keys + n * ks,
					   vals + n * vs, &count, &opts) ? -errno : 0;
		if (err == -ENOSPC) {
			/* A bucket larger than the room: nothing was read; more room, the same batch. */
			if ((err = grow2(&keys, ks, &vals, vs, &cap)))
				goto fail;
			continue;
		}
		if (err && err != -ENOENT) {
			if (first && (err == -EINVAL || err == -EOPNOTSUPP || err == -524 /* ENOTSUPP */))
				err = -EOPNOTSUPP;
			goto fail;
		}
		n += count;
		if (err == -ENOENT)
			break; /* the end of the map */
		in = out;
		first = false;
	}
	*keys_out = keys;
	*vals_out = vals;
	*n_out = n;
	return 0;
fail:
	free(keys);
	free(vals);
	return err;
}

/* Turn a key of map id back into the prefix it stands for. */
static void key_to_prefix(enum map_id id, const void *key, struct prefix *p)
{
	memset(p, 0, sizeof(*p));
	switch (id) {
	case M_BAN4:
		prefix__from_bytes(p, 4, key);
		break;
	case M_BAN6:
		p->family = 6;
		p->prefixlen = 128;
		memcpy(p->addr, key, 16);
		break;
	case M_PFX4:
	case M_ALLOW4:
		p->family = 4;
		p->prefixlen = (uint8_t)((const struct lpm4_key *)key)->prefixlen;
		memcpy(p->addr, ((const struct lpm4_key *)key)->addr, 4);
		break;
	default:
		p->family = 6;
		p->prefixlen = (uint8_t)((const struct lpm6_key *)key)->prefixlen;
		memcpy(p->addr, ((const struct lpm6_key *)key)->addr, 16);
		break;
	}
}

static const enum map_id ban_maps[] = { M_BAN4, M_BAN6, M_PFX4, M_PFX6 };

/* Every stored reason, sorted by key, for a walk over every ban. */
struct reason_entry {
	struct reason_key key;
	const struct reason_value *val; /* into reasons.vals */
};

struct reasons {
	struct reason_entry *by_key;
	struct reason_value *vals;
	size_t n;
};

static int cmp_reason_entry(const void *a, const void *b)
{
	return memcmp(&((const struct reason_entry *)a)->key, &((const struct reason_entry *)b)->key,
		      sizeof(struct reason_key));
}

/* 0, or -errno (-EOPNOTSUPP: no batch lookup here) with nothing allocated. */
static int reasons_load(struct banmap *bm, struct reasons *r)
{
	struct reason_key *keys;
	void *k, *v;
	size_t i;
	int err;

	memset(r, 0, sizeof(*r));
	err = dump_entries(bm->fd[M_REASON], sizeof(struct reason_key), sizeof(struct reason_value),
			   &k, &v, &r->n);
	if (err)
		return err;
	keys = k;
	r->vals = v;
	r->by_key = malloc((r->n ? r->n : 1) * sizeof(*r->by_key));
	if (r->by_key) {
		for (i = 0; i < r->n; i++)
			r->by_key[i] = (struct reason_entry){ keys[i], &r->vals[i] };
		qsort(r->by_key, r->n, sizeof(*r->by_key), cmp_reason_entry);
	}
	free(keys);
	if (!r->by_key) {
		free(r->vals);
		return -ENOMEM;
	}
	return 0;
}

static const struct reason_value *reasons_find(const struct reasons *r, const struct prefix *p)
{
	struct reason_entry k, *found;

	make_reason_key(&k.key, p);
	found = bsearch(&k, r->by_key, r->n, sizeof(k), cmp_reason_entry);
	return found ? found->val : NULL;
}

/* One ban map key by key (kernels without batch lookups): two lookups a ban. */
static int foreach_in_map_by_key(struct banmap *bm, enum map_id id, banmap_ban_cb cb, void *ctx)
{
	size_t ks = map_desc[id].key_size, i, n;
	struct ban_info info;
	struct ban_value v;
	struct prefix p;
	void *keys;
	int err, ret = 0;

	err = pins__map_keys(bm->fd[id], ks, &keys, &n);
	if (err)
		return err;
	for (i = 0; i < n && !ret; i++) {
		/* A ban lifted since we read the keys is simply gone. */
		if (bpf_map_lookup_elem(bm->fd[id], (char *)keys + i * ks, &v))
			continue;
		key_to_prefix(id, (char *)keys + i * ks, &p);
		fill_info(bm, &p, &v, &info);
		ret = cb(&info, ctx);
	}
	free(keys);
	return ret;
}

int banmap__foreach_ban(struct banmap *bm, banmap_ban_cb cb, void *ctx)
{
	struct ban_info info;
	struct reasons r;
	struct prefix p;
	size_t m, i, n;
	void *keys, *vals;
	bool batched;
	int err, ret = 0;

	/* The reasons first: each ban's was written before it. */
	batched = reasons_load(bm, &r) == 0;
	for (m = 0; m < sizeof(ban_maps) / sizeof(ban_maps[0]) && !ret; m++) {
		enum map_id id = ban_maps[m];
		size_t ks = map_desc[id].key_size;

		err = batched ? dump_entries(bm->fd[id], ks, sizeof(struct ban_value), &keys, &vals,
					     &n) : -EOPNOTSUPP;
		if (err == -EOPNOTSUPP) {
			ret = foreach_in_map_by_key(bm, id, cb, ctx);
			continue;
		}
		if (err) {
			ret = err;
			break;
		}
		for (i = 0; i < n && !ret; i++) {
			const struct ban_value *v = (const struct ban_value *)vals + i;
			const struct reason_value *rv;

			key_to_prefix(id, (char *)keys + i * ks, &p);
			rv = reasons_find(&r, &p);
			/* Banned since the reasons were read (or none stored): its own lookup. */
			if (rv)
				info_of(&p, v, rv, &info);
			else
				fill_info(bm, &p, v, &info);
			ret = cb(&info, ctx);
		}
		free(keys);
		free(vals);
	}
	if (batched) {
		free(r.by_key);
		free(r.vals);
	}
	return ret;
}

int banmap__foreach_allow(struct banmap *bm, banmap_allow_cb cb, void *ctx)
{
	static const enum map_id allow_maps[] = { M_ALLOW4, M_ALLOW6 };
	struct allow_value v;
	struct prefix p;
	size_t m, i, n;
	void *keys;
	int err, ret = 0;

	for (m = 0; m < 2 && !ret; m++) {
		enum map_id id = allow_maps[m];
		size_t ks = map_desc[id].key_size;

		err = pins__map_keys(bm->fd[id], ks, &keys, &n);
		if (err)
			return err;
		for (i = 0; i < n && !ret; i++) {
			if (bpf_map_lookup_elem(bm->fd[id], (char *)keys + i * ks, &v))
				continue;
			key_to_prefix(id, (char *)keys + i * ks, &p);
			ret = cb(&p, &v, ctx);
		}
		free(keys);
	}
	return ret;
}

const struct xdp_verdict xdp_verdicts[] = {
	{ "passed", "packets passed" },
	{ "dropped_exact", "dropped by exact ban" },
	{ "dropped_prefix", "dropped by prefix ban" },
	{ "passed_allow", "passed by allowlist" },
	{ "passed_expired", "passed, ban expired" },
	{ "unparsed", "passed, unparsed" },
	{ "non_ip", "passed, not IP" },
	{ "dropped_throttle_conn", "throttled, new conn" },
	{ "dropped_throttle_pkt", "throttled, packets" },
	{ "dropped_shed", "shed, new conn" },
	{ "passed_priority", "passed, priority peer" },
	{ "passed_known", "passed shedding, known" },
};

/* One name per counter: a counter added to warden.h without a name here does not build. */
_Static_assert(sizeof(xdp_verdicts) / sizeof(xdp_verdicts[0]) == XDP_VERDICTS,
	       "a name for every field of struct xdp_counters");
_Static_assert(offsetof(struct xdp_counters, passed_known) == 11 * sizeof(__u64),
	       "xdp_verdicts in the order of the fields");

int banmap__counters(struct banmap *bm, struct xdp_counters *out)
{
	int ncpu = libbpf_num_possible_cpus(), i;
	struct xdp_counters *per_cpu;
	__u32 zero = 0;

	if (ncpu < 0)
		return ncpu;
	per_cpu = calloc(ncpu, sizeof(*per_cpu));
	if (!per_cpu)
		return -ENOMEM;
	if (bpf_map_lookup_elem(bm->fd[M_COUNTERS], &zero, per_cpu)) {
		int err = -errno;

		free(per_cpu);
		return err;
	}
	/* Every field is a __u64 counter: sum them as an array. */
	memset(out, 0, sizeof(*out));
	for (i = 0; i < ncpu; i++) {
		const __u64 *src = (const __u64 *)&per_cpu[i];
		__u64 *dst = (__u64 *)out;
		size_t f;

		for (f = 0; f < sizeof(*out) / sizeof(__u64); f++)
			dst[f] += src[f];
	}
	free(per_cpu);
	return 0;
}

int banmap__expire(struct banmap *bm, uint64_t now_ns, size_t *removed)
{
	struct ban_value v;
	struct prefix p;
	size_t m, i, n, count = 0;
	void *keys;
	int err = 0;

	pins__lock(bm->pins);
	for (m = 0; m < sizeof(ban_maps) / sizeof(ban_maps[0]) && !err; m++) {
		enum map_id id = ban_maps[m];
		size_t ks = map_desc[id].key_size;

		err = pins__map_keys(bm->fd[id], ks, &keys, &n);
		if (err)
			break;
		for (i = 0; i < n; i++) {
			void *key = (char *)keys + i * ks;

			/* Re-read under the lock: only what is still expired goes. */
			if (bpf_map_lookup_elem(bm->fd[id], key, &v))
				continue;
			if (!v.expires_ns || now_ns < v.expires_ns)
				continue;
			key_to_prefix(id, key, &p);
			if (unban_locked(bm, &p) == 0)
				count++;
		}
		free(keys);
	}
	pins__unlock(bm->pins);
	if (count)
		bm->generation++;
	if (removed)
		*removed = count;
	return err;
}

int banmap__sizes(struct banmap *bm, struct banmap_sizes *out)
{
	static const enum map_id ids[] = { M_BAN4, M_BAN6, M_PFX4, M_PFX6, M_ALLOW4, M_ALLOW6 };
	size_t counts[6], i, n;
	void *keys;
	int err;

	for (i = 0; i < 6; i++) {
		err = pins__map_keys(bm->fd[ids[i]], map_desc[ids[i]].key_size, &keys, &n);
		if (err)
			return err;
		free(keys);
		counts[i] = n;
	}
	out->exact4 = counts[0];
	out->exact6 = counts[1];
	out->prefix4 = counts[2];
	out->prefix6 = counts[3];
	out->allow = counts[4] + counts[5];
	return 0;
}

/*
 * Rewrite the keys of a prefix hash whose host bits are not zero (maps
 * carried over from the LPM tries of layout 2, which ignored them): the
 * data path would never find them. An entry that meets one already there
 * keeps that one. Sets *rekeyed.
 */
static int canonical_keys(struct banmap *bm, enum map_id id, size_t *rekeyed)
{
	size_t ks = map_desc[id].key_size, i, n;
	__u8 fixed[20], val[sizeof(struct ban_value) > sizeof(struct allow_value)
			     ? sizeof(struct ban_value) : sizeof(struct allow_value)];
	struct prefix p;
	void *keys;
	int err;

	err = pins__map_keys(bm->fd[id], ks, &keys, &n);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		void *key = (char *)keys + i * ks;

		key_to_prefix(id, key, &p);
		if (p.family == 4)
			make_lpm4((struct lpm4_key *)fixed, &p);
		else
			make_lpm6((struct lpm6_key *)fixed, &p);
		if (!memcmp(fixed, key, ks) || bpf_map_lookup_elem(bm->fd[id], key, val))
			continue;
		bpf_map_update_elem(bm->fd[id], fixed, val, BPF_NOEXIST);
		bpf_map_delete_elem(bm->fd[id], key);
		(*rekeyed)++;
	}
	free(keys);
	return 0;
}

/* Recount the lengths in use of one prefix hash into set. */
static int recount_lengths(struct banmap *bm, enum map_id id, __u32 set)
{
	size_t ks = map_desc[id].key_size, i, n;
	struct prefix_lengths pl;
	struct prefix p;
	void *keys;
	int err;

	err = pins__map_keys(bm->fd[id], ks, &keys, &n);
	if (err)
		return err;
	memset(&pl, 0, sizeof(pl));
	for (i = 0; i < n; i++) {
		key_to_prefix(id, (char *)keys + i * ks, &p);
		if (p.prefixlen > 128)
			continue;
		pl.count[p.prefixlen]++;
		pl.bits[p.prefixlen / 64] |= 1ULL << (p.prefixlen % 64);
	}
	free(keys);
	if (bpf_map_update_elem(bm->fd[M_PFX_LENS], &set, &pl, BPF_ANY))
		return -errno;
	return 0;
}

/*
 * Every bucket of an array map of n counts in one BPF_MAP_LOOKUP_BATCH, not
 * n lookups: a malloc()ed array the caller frees, or NULL when the kernel
 * cannot (then they are looked up one by one).
 */
static __u32 *read_sums(int fd, __u32 n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 *keys = calloc(n, sizeof(*keys));
	__u32 *vals = calloc(n, sizeof(*vals));
	__u32 *sums = calloc(n, sizeof(*sums));
	__u32 got = n, token, i;

	if (keys && vals && sums &&
	    (bpf_map_lookup_batch(fd, NULL, &token, keys, vals, &got, &opts) == 0 || errno == ENOENT) &&
	    got == n) {
		for (i = 0; i < got; i++)
			if (keys[i] < n)
				sums[keys[i]] = vals[i];
	} else {
		free(sums);
		sums = NULL;
	}
	free(keys);
	free(vals);
	return sums;
}

/* Write the counts of an array map of n buckets that differ from sums. */
static int write_sums(int fd, const __u32 *sums, __u32 n)
{
	__u32 *cur = read_sums(fd, n), bucket, count;
	int err = 0;

	for (bucket = 0; bucket < n && !err; bucket++) {
		if (cur)
			count = cur[bucket];
		else if (bpf_map_lookup_elem(fd, &bucket, &count))
			continue;
		if (count != sums[bucket] && bpf_map_update_elem(fd, &bucket, &sums[bucket], BPF_ANY))
			err = -errno;
	}
	free(cur);
	return err;
}

static int reconcile_sums(struct banmap *bm)
{
	static const struct { enum map_id id; __u32 set; } sets[] = {
		{ M_PFX4, PFX_LENS_BAN4 }, { M_PFX6, PFX_LENS_BAN6 },
		{ M_ALLOW4, PFX_LENS_ALLOW4 }, { M_ALLOW6, PFX_LENS_ALLOW6 },
	};
	__u32 *sums, *sums6;
	size_t i, n, rekeyed = 0;
	struct prefix p;
	void *keys;
	int err = 0;

	/* Keys first (they decide the sums), then the lengths in use. */
	for (i = 0; i < sizeof(sets) / sizeof(sets[0]) && !err; i++)
		err = canonical_keys(bm, sets[i].id, &rekeyed);
	if (rekeyed)
		pr_info("cleared the host bits of %zu prefixes carried over", rekeyed);
	for (i = 0; i < sizeof(sets) / sizeof(sets[0]) && !err; i++)
		err = recount_lengths(bm, sets[i].id, sets[i].set);
	if (err)
		return err;

	sums = calloc(WARDEN_PFX4_BUCKETS, sizeof(*sums));
	sums6 = calloc(WARDEN_PFX6_BUCKETS, sizeof(*sums6));
	if (!sums || !sums6) {
		err = -ENOMEM;
		goto out;
	}
	err = pins__map_keys(bm->fd[M_PFX4], sizeof(struct lpm4_key), &keys, &n);
	if (err)
		goto out;
	for (i = 0; i < n; i++) {
		__u32 first, span, j;

		key_to_prefix(M_PFX4, (char *)keys + i * sizeof(struct lpm4_key), &p);
		pfx4_span(&p, &first, &span);
		for (j = 0; j < span; j++)
			sums[warden_pfx4_bucket((first + j) << 8)]++;
	}
	free(keys);
	err = write_sums(bm->fd[M_PFX4_SUM], sums, WARDEN_PFX4_BUCKETS);
	if (err)
		goto out;

	err = pins__map_keys(bm->fd[M_PFX6], sizeof(struct lpm6_key), &keys, &n);
	if (err)
		goto out;
	for (i = 0; i < n; i++) {
		key_to_prefix(M_PFX6, (char *)keys + i * sizeof(struct lpm6_key), &p);
		if (p.prefixlen >= WARDEN_PFX6_SUM_LEN)
			sums6[warden_pfx6_bucket(p.addr)]++;
	}
	free(keys);
	err = write_sums(bm->fd[M_PFX6_SUM], sums6, WARDEN_PFX6_BUCKETS);
	if (err)
		goto out;
	err = settings__set_count(bm->settings, SETTINGS_PFX6, (__u32)n);
out:
	free(sums);
	free(sums6);
	return err;
}

const char *banmap__source_name(uint32_t source)
{
	switch (source) {
	case BAN_SOURCE_CLI:
		return "cli";
	case BAN_SOURCE_DETECTOR:
		return "detector";
	case BAN_SOURCE_FILE:
		return "file";
	case BAN_SOURCE_FLEET:
		return "fleet";
	case 0:
		return "";
	default:
		return "unknown";
	}
}
