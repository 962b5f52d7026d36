/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* enforce.h - the maps and XDP attachments of warden run and warden watch, set up alike. */
#ifndef WARDEN_ENFORCE_H
#define WARDEN_ENFORCE_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "xdp_attach.h"

struct banmap;

/*
 * Open (or create) the pinned maps, bring back the snapshot's bans when
 * restore is set, and attach the XDP program to every --iface (replacing an
 * older build's program). With cfg->dry_run, or without the privilege for
 * BPF (cfg->dry_run is then set, said once), *bm stays NULL. how receives
 * how the last interface was attached. Returns 0 or the exit status to end
 * with (EXIT_USAGE for an interface that does not exist, else EXIT_FAIL).
 */
int enforce__setup(struct warden_config *cfg, enum xdp_loader loader, bool restore,
		   struct banmap **bm, char *how, size_t howlen);

#endif
