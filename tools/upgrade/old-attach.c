// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* old-attach.c - test helper: attach an older build of the XDP program and ban with its layout. */
/*
 * Plays the older warden of tests/e2e/upgrade.sh:
 *
 *   old-attach OBJ PIN_PATH IFACE [--netlink] [--bans FILE]
 *
 * loads OBJ (build/upgrade/xdp_ban_v1.bpf.o) with its maps pinned under
 * PIN_PATH, attaches it to IFACE through a bpf_link pinned as
 * PIN_PATH/link_IFACE (as warden's libbpf loader does) or, with --netlink,
 * as a single program (as libxdp's fallback does), native mode where the
 * driver has it, else generic. --bans FILE writes the bans listed there,
 * one "ADDR[/LEN] REASON..." a line, the way that older warden did: ban,
 * reason, the per-/16 summary and the IPv6 prefix count in its 8-byte
 * settings. Its types and names are layout 1's, frozen in
 * tools/upgrade/bpf/warden_v1.h, never this build's bpf/warden.h.
 */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "addr.h"
#include "timeutil.h"
#include "bpf/warden_v1.h" /* the older warden writes its own layout */

static int map_fd(const char *pin_path, const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", pin_path, name);
	return bpf_obj_get(path);
}

/* One ban, as layout 1 stored it. */
static int old_ban(const char *pin_path, const struct prefix *p, const char *reason)
{
	struct ban_value v = { .created_ns = time__boot_ns() };
	struct reason_value rv = { .offences = 1, .source = BAN_SOURCE_CLI };
	struct reason_key rk = { .family = p->family, .prefixlen = p->prefixlen };
	__u8 key[20] = {}, settings[8];
	const char *name;
	__u32 zero = 0, bucket, count, span, i;
	int fd, err = 0;

	if (prefix__is_single(p)) {
		name = p->family == 4 ? WARDEN_STR(MAP_BAN4) : WARDEN_STR(MAP_BAN6);
		memcpy(key, p->addr, p->family == 4 ? 4 : 16);
	} else {
		name = p->family == 4 ? WARDEN_STR(MAP_PFX4) : WARDEN_STR(MAP_PFX6);
		*(__u32 *)key = p->prefixlen;
		memcpy(key + 4, p->addr, p->family == 4 ? 4 : 16);
	}
	/* The reason first, as warden does: a ban never shows without it. */
	memcpy(rk.addr, p->addr, p->family == 4 ? 4 : 16);
	snprintf(rv.text, sizeof(rv.text), "%s", reason);
	fd = map_fd(pin_path, WARDEN_STR(MAP_REASON));
	if (fd < 0 || bpf_map_update_elem(fd, &rk, &rv, BPF_ANY))
		return -errno;
	close(fd);

	/* The summaries before the prefix itself: the data path never under-counts. */
	if (!prefix__is_single(p) && p->family == 4) {
		fd = map_fd(pin_path, WARDEN_STR(MAP_PFX4_SUM));
		if (fd < 0)
			return -errno;
		span = p->prefixlen >= 16 ? 1 : 1u << (16 - p->prefixlen);
		bucket = (((__u32)p->addr[0] << 8) | p->addr[1]) & ~(span - 1);
		for (i = 0; i < span && !err; i++, bucket++) {
			count = 0;
			bpf_map_lookup_elem(fd, &bucket, &count);
			count++;
			if (bpf_map_update_elem(fd, &bucket, &count, BPF_ANY))
				err = -errno;
		}
		close(fd);
	} else if (!prefix__is_single(p)) {
		/* Layout 1's settings: {layout_version, pfx6_count}, 8 bytes. */
		fd = map_fd(pin_path, WARDEN_STR(MAP_SETTINGS));
		if (fd < 0)
			return -errno;
		if (bpf_map_lookup_elem(fd, &zero, settings) == 0) {
			((__u32 *)settings)[1]++;
			if (bpf_map_update_elem(fd, &zero, settings, BPF_ANY))
				err = -errno;
		}
		close(fd);
	}
	if (err)
		return err;

	fd = map_fd(pin_path, name);
	if (fd < 0)
		return -errno;
	if (bpf_map_update_elem(fd, key, &v, BPF_ANY))
		err = -errno;
	close(fd);
	return err;
}

static int old_bans(const char *pin_path, const char *file)
{
	char line[512], msg[128], *reason, *nl;
	struct prefix p;
	int n = 0, err;
	FILE *f = fopen(file, "r");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		reason = strchr(line, ' ');
		if (reason)
			*reason++ = '\0';
		if (prefix__parse(line, &p, msg, sizeof(msg))) {
			fprintf(stderr, "old-attach: %s: %s\n", line, msg);
			fclose(f);
			return -EINVAL;
		}
		err = old_ban(pin_path, &p, reason ? reason : "");
		if (err) {
			fprintf(stderr, "old-attach: cannot ban %s: %s\n", line, strerror(-err));
			fclose(f);
			return err;
		}
		n++;
	}
	fclose(f);
	printf("old-attach: %d bans written with layout 1\n", n);
	return 0;
}

/* Attach prog_fd: a pinned bpf_link, or netlink; native mode first. */
static int attach(int prog_fd, const char *pin_path, const char *ifname, int netlink)
{
	static const __u32 modes[2] = { XDP_FLAGS_DRV_MODE, XDP_FLAGS_SKB_MODE };
	char path[PATH_MAX];
	int ifindex = (int)if_nametoindex(ifname), i, fd, err = -ENODEV;

	if (!ifindex)
		return -ENODEV;
	for (i = 0; i < 2; i++) {
		if (netlink) {
			if (bpf_xdp_attach(ifindex, prog_fd, modes[i] | XDP_FLAGS_UPDATE_IF_NOEXIST,
					   NULL) == 0)
				return 0;
			err = -errno;
			continue;
		}
		LIBBPF_OPTS(bpf_link_create_opts, lopts, .flags = modes[i]);
		fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &lopts);
		if (fd < 0) {
			err = -errno;
			continue;
		}
		snprintf(path, sizeof(path), "%s/link_%s", pin_path, ifname);
		err = bpf_obj_pin(fd, path) ? -errno : 0;
		if (err)
			bpf_link_detach(fd);
		close(fd);
		return err;
	}
	return err;
}

int main(int argc, char **argv)
{
	const char *obj_path, *pin_path, *ifname, *bans = NULL;
	struct bpf_object *obj;
	struct bpf_program *prog;
	int i, netlink = 0, err;

	if (argc < 4) {
		fprintf(stderr, "usage: old-attach OBJ PIN_PATH IFACE [--netlink] [--bans FILE]\n");
		return 2;
	}
	obj_path = argv[1];
	pin_path = argv[2];
	ifname = argv[3];
	for (i = 4; i < argc; i++) {
		if (!strcmp(argv[i], "--netlink"))
			netlink = 1;
		else if (!strcmp(argv[i], "--bans") && i + 1 < argc)
			bans = argv[++i];
		else {
			fprintf(stderr, "old-attach: unknown argument '%s'\n", argv[i]);
			return 2;
		}
	}

	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = pin_path);
	obj = bpf_object__open_file(obj_path, &opts);
	if (!obj) {
		fprintf(stderr, "old-attach: cannot open %s: %s\n", obj_path, strerror(errno));
		return 1;
	}
	err = bpf_object__load(obj);
	if (err) {
		fprintf(stderr, "old-attach: cannot load %s: %s\n", obj_path, strerror(-err));
		goto out;
	}
	/* Layout 1's settings say which layout they are. */
	{
		__u8 settings[8] = {};
		__u32 zero = 0;
		int fd = map_fd(pin_path, WARDEN_STR(MAP_SETTINGS));

		if (fd >= 0 && bpf_map_lookup_elem(fd, &zero, settings) == 0) {
			((__u32 *)settings)[0] = 1;
			bpf_map_update_elem(fd, &zero, settings, BPF_ANY);
		}
		if (fd >= 0)
			close(fd);
	}
	if (bans) {
		err = old_bans(pin_path, bans);
		if (err)
			goto out;
	}
	prog = bpf_object__find_program_by_name(obj, "xdp_ban");
	if (!prog) {
		err = -ENOENT;
		fprintf(stderr, "old-attach: no program xdp_ban in %s\n", obj_path);
		goto out;
	}
	err = attach(bpf_program__fd(prog), pin_path, ifname, netlink);
	if (err) {
		fprintf(stderr, "old-attach: cannot attach to %s: %s\n", ifname, strerror(-err));
		goto out;
	}
	printf("old-attach: layout-1 program attached to %s (%s)\n", ifname,
	       netlink ? "netlink" : "pinned link");
out:
	bpf_object__close(obj);
	return err ? 1 : 0;
}
