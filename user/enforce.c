// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* enforce.c - the maps and XDP attachments of warden run and warden watch, set up alike. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banmap.h"
#include "cli.h"
#include "defroute.h"
#include "enforce.h"
#include "log.h"
#include "snapshot.h"

enum health_xdp enforce__health(const struct warden_config *c, enum enforce_state *state)
{
	if (*state == ENFORCE_ELSEWHERE || *state == ENFORCE_NOWHERE)
		*state = xdp_attach__programs_using(c->pin_path) > 0 ? ENFORCE_ELSEWHERE
								     : ENFORCE_NOWHERE;
	switch (*state) {
	case ENFORCE_ATTACHED:
		return HEALTH_XDP_ATTACHED;
	case ENFORCE_ELSEWHERE:
		return HEALTH_XDP_ELSEWHERE;
	case ENFORCE_NOWHERE:
		return HEALTH_XDP_NOWHERE;
	default:
		return HEALTH_XDP_DRY_RUN;
	}
}

/*
 * --iface auto: every device that carries a default route here (the node's
 * uplinks on a Kubernetes node), said at start. 0 or -errno.
 */
static int expand_auto(struct warden_config *c)
{
	char names[CONFIG_MAX_IFACES][16], list[CONFIG_MAX_IFACES * 17] = "";
	char err[256];
	int i, n, k;

	for (i = 0; i < c->n_ifaces && strcmp(c->ifaces[i], DEFROUTE_AUTO); i++)
		;
	if (i == c->n_ifaces)
		return 0;
	n = defroute__ifaces(names, CONFIG_MAX_IFACES);
	if (n <= 0) {
		pr_warn("--iface auto: no device carries a default route here%s; name the "
			"interfaces with --iface", n < 0 ? " (cannot read the routing tables)" : "");
		return n < 0 ? n : -ENODEV;
	}
	/* The keyword goes, the devices take its place (each once). */
	free(c->ifaces[i]);
	c->ifaces[i] = c->ifaces[--c->n_ifaces];
	c->ifaces[c->n_ifaces] = NULL;
	for (k = 0; k < n; k++) {
		if (config__set(c, "warden", "iface", names[k], err, sizeof(err))) {
			pr_warn("--iface auto: %s", err);
			return -EINVAL;
		}
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", k ? ", " : "",
			 names[k]);
	}
	pr_info("--iface auto: the devices that carry the default route: %s", list);
	return 0;
}

int enforce__setup(struct warden_config *c, enum xdp_loader loader, bool restore,
		   struct banmap **bm, char *how, size_t howlen, enum enforce_state *state)
{
	enum xdp_attach_mode_opt mode = ATTACH_MODE_AUTO;
	char attached[256];
	int i, err, users;

	*bm = NULL;
	err = expand_auto(c);
	if (err)
		return EXIT_FAIL;
	*state = c->dry_run ? ENFORCE_DRY_RUN : c->n_ifaces ? ENFORCE_ATTACHED : ENFORCE_NOWHERE;
	if (c->dry_run) {
		pr_info("dry-run: bans are decided and logged, never written");
		return 0;
	}
	*bm = banmap__open(c->pin_path, BANMAP_CREATE);
	if (!*bm) {
		/* Never protect less than asked without being told: refuse, say the way out. */
		if (errno == EPERM || errno == EACCES)
			pr_warn("no privilege for BPF: warden cannot write bans, so it will not "
				"run as if it protected the app; run it as root, or give it "
				"CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN (and CAP_SYS_ADMIN to mount bpffs or "
				"for libxdp's loader), or "
				"pass --dry-run to decide and log bans without enforcing them");
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
		/* After a layout migration, programs attached elsewhere move to the new maps. */
		xdp_attach__upgrade(c->pin_path);
		users = xdp_attach__programs_using(c->pin_path);
		if (users > 0) {
			pr_info("no --iface given: bans go into the maps under %s, enforced by %d "
				"XDP program%s attached elsewhere", c->pin_path, users,
				users == 1 ? "" : "s");
			snprintf(how, howlen, "attached elsewhere (%d program%s use the maps)", users,
				 users == 1 ? "" : "s");
			*state = ENFORCE_ELSEWHERE;
		} else {
			pr_warn("nothing enforces the bans: no --iface given and the ban program "
				"is attached nowhere; bans go into the maps under %s only. Give "
				"--iface IFACE, or run 'warden attach IFACE --pin-path %s'",
				c->pin_path, c->pin_path);
			*state = ENFORCE_NOWHERE;
		}
	}
	return 0;
}
