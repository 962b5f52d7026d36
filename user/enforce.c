// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* enforce.c - the maps and XDP attachments of warden run and warden watch, set up alike. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "banmap.h"
#include "cli.h"
#include "enforce.h"
#include "log.h"
#include "snapshot.h"

int enforce__setup(struct warden_config *c, enum xdp_loader loader, bool restore,
		   struct banmap **bm, char *how, size_t howlen)
{
	enum xdp_attach_mode_opt mode = ATTACH_MODE_AUTO;
	char attached[256];
	int i, err;

	*bm = NULL;
	if (c->dry_run) {
		pr_info("dry-run: bans are decided and logged, never written");
		return 0;
	}
	*bm = banmap__open(c->pin_path, BANMAP_CREATE);
	if (!*bm) {
		if (errno == EPERM || errno == EACCES) {
			pr_warn("no privilege for BPF (needs root or CAP_BPF + CAP_NET_ADMIN): "
				"running in dry-run mode, bans are only logged");
			c->dry_run = true;
			return 0;
		}
		return EXIT_FAIL;
	}
	/* After a reboot the maps are empty: bring back the long bans from the snapshot. */
	if (restore)
		snapshot__restore_logged(c->state_dir, *bm);
	xdp_attach__parse_mode(c->xdp_mode, &mode);
	for (i = 0; i < c->n_ifaces; i++) {
		err = xdp_attach__attach(c->pin_path, c->ifaces[i], mode, loader, attached,
					 sizeof(attached));
		if (err) {
			pr_warn("cannot attach to %s: %s", c->ifaces[i], strerror(-err));
			return err == -ENODEV ? EXIT_USAGE : EXIT_FAIL;
		}
		pr_info("XDP ban program on %s: %s", c->ifaces[i], attached);
		snprintf(how, howlen, "%s", attached);
	}
	if (!c->n_ifaces) {
		pr_info("no --iface given: bans go into the maps under %s, enforced wherever "
			"the program is attached", c->pin_path);
		/* After a layout migration, programs attached elsewhere move to the new maps. */
		xdp_attach__upgrade(c->pin_path);
	}
	return 0;
}
