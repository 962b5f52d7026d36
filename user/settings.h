/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* settings.h - warden_settings, the pinned one-entry map of global switches and counts: its one owner. */
#ifndef WARDEN_SETTINGS_H
#define WARDEN_SETTINGS_H

#include <stdbool.h>
#include <stdint.h>

#include "pins.h"
#include "warden.h"

/*
 * The data path reads warden_settings on every packet; banmap (the IPv6
 * prefix count) and throttle (limits, shedding, counts) change it. Only
 * this module reads and writes the map: every write stamps
 * WARDEN_LAYOUT_VERSION and keeps WARDEN_F_THROTTLE true to the limits.
 * The setters read, change one thing and write back: call them with the
 * pin folder locked (pins__lock), as every writer of the maps does.
 */
struct settings;

/* Open warden_settings under pins, checked against this build's layout. NULL with errno set. */
struct settings *settings__open(const struct pins *pins);

/* Accepts NULL. */
void settings__close(struct settings *s);

/* A copy of the settings as they are now. 0 or -errno. */
int settings__get(const struct settings *s, struct warden_settings *out);

/* The IPv6 client key length in effect (WARDEN_V6_CLIENT_PREFIX unless set or unreadable). */
unsigned int settings__v6_client_prefix(const struct settings *s);

/*
 * Whether packets are shed at now_ns (CLOCK_BOOTTIME): the manual reason
 * until switched off, the automatic ones until their deadline. The reasons
 * in effect go to *reasons if given.
 */
bool settings__shedding(const struct settings *s, uint64_t now_ns, uint32_t *reasons);

/* The counts kept next to the maps they count, so that the data path skips empty ones. */
enum settings_count {
	SETTINGS_RULES4, /* throttle rules in warden_thr4 */
	SETTINGS_RULES6, /* and in warden_thr6 */
	SETTINGS_PRIO4,  /* priority prefixes in warden_prio4 */
	SETTINGS_PRIO6,  /* and in warden_prio6 */
	SETTINGS_PFX6,   /* IPv6 prefix bans (for tools) */
};

/* Add delta to a count, never below 0. 0 or -errno. */
int settings__count_adjust(struct settings *s, enum settings_count which, int delta);

/* Set a count to what a recount found (no write when nothing changes). 0 or -errno. */
int settings__set_count(struct settings *s, enum settings_count which, uint32_t value);

/* The limits of clients no per-prefix rule covers. 0 or -errno. */
int settings__set_default_limits(struct settings *s, const struct throttle_limits *l);

/* The IPv6 client key length, 1 to 128 (-EINVAL otherwise). */
int settings__set_v6_client_prefix(struct settings *s, unsigned int len);

/* How long a client stays known, in seconds, not 0 (-EINVAL). */
int settings__set_known_for(struct settings *s, uint32_t seconds);

/* Shed by hand (WARDEN_SHED_MANUAL) or stop. 0 or -errno. */
int settings__set_shed(struct settings *s, bool on);

/*
 * The automatic shed reasons (WARDEN_SHED_AUTO bits; 0 clears them) and
 * their deadline (CLOCK_BOOTTIME ns). No write when nothing is new and the
 * deadline is neither earlier nor near, so that calling it on every check
 * costs a lookup. 0 or -errno.
 */
int settings__set_shed_auto(struct settings *s, uint32_t reasons, uint64_t until_ns, uint64_t now_ns);

/* Keep client history for shedding even without limits. 0 or -errno. */
int settings__set_learn(struct settings *s, bool on);

#endif
