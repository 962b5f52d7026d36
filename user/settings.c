// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* settings.c - warden_settings, the pinned one-entry map of global switches and counts: its one owner. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "settings.h"

_Static_assert(sizeof(struct warden_settings) == 80, "warden_settings layout");

struct settings {
	int fd; /* warden_settings: an array of one entry */
};

struct settings *settings__open(const struct pins *pins)
{
	static const struct pins_map_def def = {
		.type = BPF_MAP_TYPE_ARRAY,
		.key_size = sizeof(__u32),
		.value_size = sizeof(struct warden_settings),
	};
	struct settings *s;
	int fd;

	fd = pins__map_fd(pins, WARDEN_STR(MAP_SETTINGS), &def);
	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	s->fd = fd;
	return s;
}

void settings__close(struct settings *s)
{
	if (!s)
		return;
	close(s->fd);
	free(s);
}

int settings__get(const struct settings *s, struct warden_settings *out)
{
	__u32 zero = 0;

	if (bpf_map_lookup_elem(s->fd, &zero, out))
		return -errno;
	return 0;
}

/*
 * Write v back, stamped, with the derived flag: throttling is on when any
 * limit exists. Every write moves rules_gen, so that known clients resolve
 * the rule and priority tries again (their cached resolution is older).
 */
static int put(struct settings *s, struct warden_settings *v)
{
	__u32 zero = 0;
	bool any = v->defaults.conn_interval_ns || v->defaults.pkt_interval_ns || v->rules4 ||
		   v->rules6;

	v->layout_version = WARDEN_LAYOUT_VERSION;
	v->rules_gen++;
	v->flags = any ? v->flags | WARDEN_F_THROTTLE : v->flags & ~WARDEN_F_THROTTLE;
	if (bpf_map_update_elem(s->fd, &zero, v, BPF_ANY))
		return -errno;
	return 0;
}

unsigned int settings__v6_client_prefix(const struct settings *s)
{
	struct warden_settings v;

	if (settings__get(s, &v) || !v.v6_client_prefix)
		return WARDEN_V6_CLIENT_PREFIX;
	return v.v6_client_prefix;
}

/* A deadline of the automatic reasons that is still running, or 0. */
static uint64_t shed_deadline_left(const struct warden_settings *v, uint64_t now)
{
	return (v->shed & WARDEN_SHED_AUTO) && v->shed_until_ns > now ? v->shed_until_ns - now : 0;
}

bool settings__shedding(const struct settings *s, uint64_t now_ns, uint32_t *reasons)
{
	struct warden_settings v;
	uint32_t r = 0;

	if (settings__get(s, &v) == 0) {
		r = v.shed & WARDEN_SHED_MANUAL;
		if (shed_deadline_left(&v, now_ns))
			r |= v.shed & WARDEN_SHED_AUTO;
	}
	if (reasons)
		*reasons = r;
	return r != 0;
}

/* Read the settings into *v and point *c at the count which. 0 or -errno. */
static int get_count(const struct settings *s, enum settings_count which,
		     struct warden_settings *v, __u32 **c)
{
	int err = settings__get(s, v);

	if (err)
		return err;
	switch (which) {
	case SETTINGS_RULES4: *c = &v->rules4; return 0;
	case SETTINGS_RULES6: *c = &v->rules6; return 0;
	case SETTINGS_PRIO4: *c = &v->prio4; return 0;
	case SETTINGS_PRIO6: *c = &v->prio6; return 0;
	case SETTINGS_PFX6: *c = &v->pfx6_count; return 0;
	}
	return -EINVAL;
}

int settings__count_adjust(struct settings *s, enum settings_count which, int delta)
{
	struct warden_settings v;
	__u32 *c;
	int err = get_count(s, which, &v, &c);

	if (err)
		return err;
	if (delta < 0 && *c < (__u32)-delta)
		*c = 0;
	else
		*c += (__u32)delta;
	return put(s, &v);
}

int settings__set_count(struct settings *s, enum settings_count which, uint32_t value)
{
	struct warden_settings v;
	__u32 *c;
	int err = get_count(s, which, &v, &c);

	if (err)
		return err;
	if (*c == value && v.layout_version == WARDEN_LAYOUT_VERSION)
		return 0;
	*c = value;
	return put(s, &v);
}

int settings__set_default_limits(struct settings *s, const struct throttle_limits *l)
{
	struct warden_settings v;
	int err = settings__get(s, &v);

	if (err)
		return err;
	v.defaults = *l;
	return put(s, &v);
}

int settings__set_v6_client_prefix(struct settings *s, unsigned int len)
{
	struct warden_settings v;
	int err;

	if (len < 1 || len > 128)
		return -EINVAL;
	err = settings__get(s, &v);
	if (err)
		return err;
	v.v6_client_prefix = (__u8)len;
	return put(s, &v);
}

int settings__set_known_for(struct settings *s, uint32_t seconds)
{
	struct warden_settings v;
	int err;

	if (!seconds)
		return -EINVAL;
	err = settings__get(s, &v);
	if (err)
		return err;
	v.known_for_s = seconds;
	return put(s, &v);
}

/* Set (on) or clear bits of the __u32 field at offset. 0 or -errno. */
static int change_bits(struct settings *s, size_t offset, __u32 bits, bool on)
{
	struct warden_settings v;
	__u32 *field = (__u32 *)((char *)&v + offset);
	int err = settings__get(s, &v);

	if (err)
		return err;
	*field = on ? *field | bits : *field & ~bits;
	return put(s, &v);
}

int settings__set_shed(struct settings *s, bool on)
{
	return change_bits(s, offsetof(struct warden_settings, shed), WARDEN_SHED_MANUAL, on);
}

int settings__set_shed_auto(struct settings *s, uint32_t reasons, uint64_t until_ns, uint64_t now_ns)
{
	struct warden_settings v;
	uint64_t left, want;
	int err;

	if (reasons & ~WARDEN_SHED_AUTO)
		return -EINVAL;
	err = settings__get(s, &v);
	if (err)
		return err;
	left = shed_deadline_left(&v, now_ns);
	want = until_ns > now_ns ? until_ns - now_ns : 0;
	/* Nothing new, and the deadline neither earlier nor near: no write. */
	if ((v.shed & WARDEN_SHED_AUTO) == reasons &&
	    (!reasons || (until_ns >= v.shed_until_ns && left * 2 > want)))
		return 0;
	v.shed = (v.shed & ~WARDEN_SHED_AUTO) | reasons;
	v.shed_until_ns = reasons ? until_ns : 0;
	return put(s, &v);
}

int settings__set_learn(struct settings *s, bool on)
{
	return change_bits(s, offsetof(struct warden_settings, flags), WARDEN_F_LEARN, on);
}
