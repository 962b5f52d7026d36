/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* enforce.h - the maps and XDP attachments of warden run and warden watch, set up alike. */
#ifndef WARDEN_ENFORCE_H
#define WARDEN_ENFORCE_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "health.h"
#include "xdp_attach.h"

struct banmap;

/* Who enforces the bans warden writes. */
enum enforce_state {
	ENFORCE_DRY_RUN,   /* --dry-run: nothing is written */
	ENFORCE_ATTACHED,  /* the program is attached on every --iface */
	ENFORCE_ELSEWHERE, /* no --iface, but a program attached elsewhere uses the maps */
	ENFORCE_NOWHERE,   /* no --iface and no program uses the maps: said at warn level */
};

/*
 * Open (or create) the pinned maps, bring back the snapshot's bans when
 * restore is set, and attach the XDP program to every --iface (replacing an
 * older build's program). With cfg->dry_run *bm stays NULL; without the
 * privilege for BPF warden refuses (EXIT_FAIL, the way out said) rather than
 * fall back to a dry run nobody asked for. how receives how the last
 * interface was attached, *state who enforces the bans (said at warn level
 * when nothing does). Returns 0 or the exit status to end with (EXIT_USAGE
 * for an interface that does not exist, else EXIT_FAIL).
 */
int enforce__setup(struct warden_config *cfg, enum xdp_loader loader, bool restore,
		   struct banmap **bm, char *how, size_t howlen, enum enforce_state *state);

/*
 * The XDP component of /z/health. Without --iface, whether a program uses
 * the maps is looked up again (someone may have run 'warden attach' since),
 * and *state updated.
 */
enum health_xdp enforce__health(const struct warden_config *cfg, enum enforce_state *state);

#endif
