// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* xdp_attach.c - attach the ban program to interfaces, through libxdp or plain libbpf. */
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
#include <xdp/libxdp.h>

#include "banmap.h"
#include "log.h"
#include "mapsize.h"
#include "mounts.h"
#include "pins.h"
#include "xdp_attach.h"
#include "xdp_ban.skel.h"

#define PROG_NAME "xdp_ban"

int xdp_attach__parse_mode(const char *text, enum xdp_attach_mode_opt *out)
{
	if (!strcmp(text, "auto"))
		*out = ATTACH_MODE_AUTO;
	else if (!strcmp(text, "native") || !strcmp(text, "drv"))
		*out = ATTACH_MODE_NATIVE;
	else if (!strcmp(text, "generic") || !strcmp(text, "skb"))
		*out = ATTACH_MODE_GENERIC;
	else
		return -EINVAL;
	return 0;
}

int xdp_attach__parse_loader(const char *text, enum xdp_loader *out)
{
	if (!strcmp(text, "auto"))
		*out = LOADER_AUTO;
	else if (!strcmp(text, "libxdp"))
		*out = LOADER_LIBXDP;
	else if (!strcmp(text, "libbpf"))
		*out = LOADER_LIBBPF;
	else
		return -EINVAL;
	return 0;
}

/* libxdp talks like libbpf; its chatter goes to our debug level. */
static int libxdp_print(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	return log__libbpf_print(LIBBPF_INFO, fmt, ap);
}

static int libbpf_print_debug_only(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	return log__libbpf_print(LIBBPF_DEBUG, fmt, ap);
}

static void link_pin_path(const char *pin_path, const char *ifname, char *out, size_t len)
{
	snprintf(out, len, "%s/link_%s", pin_path, ifname);
}

/* The name of the program with this id, or "" if it cannot be read. */
static void prog_name_by_id(__u32 id, char *name, size_t len)
{
	struct bpf_prog_info info = {};
	__u32 info_len = sizeof(info);
	int fd;

	name[0] = '\0';
	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return;
	if (!bpf_obj_get_info_by_fd(fd, &info, &info_len))
		snprintf(name, len, "%s", info.name);
	close(fd);
}

/* How our program sits on an interface. */
enum ours_kind {
	OURS_LINK,       /* behind a bpf_link pinned under the pin path */
	OURS_DISPATCHER, /* one of the programs of libxdp's dispatcher */
	OURS_SINGLE,     /* alone, attached through netlink (libxdp's fallback, legacy) */
};

struct ours {
	enum ours_kind kind;
	__u32 prog_id;   /* the attached ban program; 0 if it could not be read */
	__u32 xdp_flags; /* OURS_SINGLE: XDP_FLAGS_DRV_MODE or XDP_FLAGS_SKB_MODE */
};

/* The program id behind a pinned link, or 0. */
static __u32 link_prog_id(const char *path)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_obj_get(path);

	if (fd < 0)
		return 0;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		info.prog_id = 0;
	close(fd);
	return info.prog_id;
}

/*
 * Look for our program on ifindex: in libxdp's dispatcher, as the only
 * program (libxdp's legacy mode or a netlink attachment), or behind a
 * pinned bpf_link. Returns 1 if found (and fills *o if given), 0 if not;
 * *foreign is set when another program holds the interface.
 */
static int find_ours(const char *pin_path, const char *ifname, int ifindex, char *how,
		     size_t howlen, int *foreign, struct ours *o)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	char path[PATH_MAX], name[BPF_OBJ_NAME_LEN];
	struct ours dummy;
	struct xdp_multiprog *mp;
	struct xdp_program *p;
	__u32 ids[2];
	int i;

	if (!o)
		o = &dummy;
	memset(o, 0, sizeof(*o));
	*foreign = 0;
	/* Behind our own pinned link? */
	link_pin_path(pin_path, ifname, path, sizeof(path));
	if (access(path, F_OK) == 0) {
		snprintf(how, howlen, "libbpf link pinned at %s", path);
		o->kind = OURS_LINK;
		o->prog_id = link_prog_id(path);
		return 1;
	}

	/* In libxdp's dispatcher? */
	mp = xdp_multiprog__get_from_ifindex(ifindex);
	if (!libxdp_get_error(mp) && mp) {
		if (!xdp_multiprog__is_legacy(mp)) {
			for (p = xdp_multiprog__next_prog(NULL, mp); p;
			     p = xdp_multiprog__next_prog(p, mp)) {
				if (!strcmp(xdp_program__name(p), PROG_NAME)) {
					snprintf(how, howlen, "libxdp dispatcher (%s mode)",
						 xdp_multiprog__attach_mode(mp) == XDP_MODE_SKB ?
							 "generic" : "native");
					o->kind = OURS_DISPATCHER;
					o->prog_id = xdp_program__id(p);
					xdp_multiprog__close(mp);
					return 1;
				}
			}
		}
		xdp_multiprog__close(mp);
	}

	/* Alone on the interface (netlink attachment)? */
	if (bpf_xdp_query(ifindex, 0, &q))
		return 0;
	ids[0] = q.drv_prog_id;
	ids[1] = q.skb_prog_id;
	for (i = 0; i < 2; i++) {
		if (!ids[i])
			continue;
		prog_name_by_id(ids[i], name, sizeof(name));
		if (!strcmp(name, PROG_NAME)) {
			snprintf(how, howlen, "single program, %s mode (no dispatcher)",
				 i ? "generic" : "native");
			o->kind = OURS_SINGLE;
			o->prog_id = ids[i];
			o->xdp_flags = i ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
			return 1;
		}
		if (strcmp(name, "xdp_dispatcher"))
			*foreign = 1;
	}
	return 0;
}

int xdp_attach__query(const char *pin_path, const char *ifname, char *how, size_t howlen)
{
	int ifindex = (int)if_nametoindex(ifname), foreign;

	if (!ifindex)
		return -ENODEV;
	return find_ours(pin_path, ifname, ifindex, how, howlen, &foreign, NULL);
}

static struct xdp_ban_bpf *open_skeleton(const char *pin_path)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = pin_path);
	struct xdp_ban_bpf *skel;

	int err;

	skel = xdp_ban_bpf__open_opts(&opts);
	if (!skel) {
		pr_warn("cannot open the XDP program: %s", strerror(errno));
		return NULL;
	}
	/* The throttle maps are as large as their pins (mapsize.h). */
	err = mapsize__apply(skel->obj, pin_path);
	if (err) {
		pr_warn("cannot size the maps under %s: %s", pin_path, strerror(-err));
		xdp_ban_bpf__destroy(skel);
		errno = -err;
		return NULL;
	}
	return skel;
}

/* libxdp: its dispatcher where the kernel allows, else its single-program mode. */
static int attach_libxdp(const char *pin_path, int ifindex, enum xdp_attach_mode mode, char *how,
			 size_t howlen)
{
	struct xdp_multiprog *mp;
	struct xdp_program *prog;
	struct xdp_ban_bpf *skel;
	int err;

	skel = open_skeleton(pin_path);
	if (!skel)
		return -errno;
	prog = xdp_program__from_bpf_obj(skel->obj, "xdp");
	err = (int)libxdp_get_error(prog);
	if (err) {
		xdp_ban_bpf__destroy(skel);
		return err;
	}
	/*
	 * libxdp probes the dispatcher by loading a test program; where the
	 * kernel refuses it, libbpf warns loudly before libxdp falls back.
	 * That is expected: keep it at debug level.
	 */
	libbpf_set_print(libbpf_print_debug_only);
	err = xdp_program__attach(prog, ifindex, mode, 0);
	libbpf_set_print(log__libbpf_print);
	if (!err) {
		mp = xdp_multiprog__get_from_ifindex(ifindex);
		if (!libxdp_get_error(mp) && mp && !xdp_multiprog__is_legacy(mp))
			snprintf(how, howlen, "libxdp dispatcher");
		else
			snprintf(how, howlen,
				 "libxdp single program (the kernel refused the dispatcher)");
		if (!libxdp_get_error(mp))
			xdp_multiprog__close(mp);
	}
	xdp_program__close(prog);
	xdp_ban_bpf__destroy(skel);
	return err;
}

/* Plain libbpf: a bpf_link pinned under the pin path, so it outlives us. */
static int attach_libbpf(const char *pin_path, const char *ifname, int ifindex, __u32 flags,
			 char *how, size_t howlen)
{
	LIBBPF_OPTS(bpf_link_create_opts, lopts, .flags = flags);
	char path[PATH_MAX];
	struct xdp_ban_bpf *skel;
	int link_fd, err;

	skel = open_skeleton(pin_path);
	if (!skel)
		return -errno;
	err = xdp_ban_bpf__load(skel);
	if (err)
		goto out;
	link_fd = bpf_link_create(bpf_program__fd(skel->progs.xdp_ban), ifindex, BPF_XDP, &lopts);
	if (link_fd < 0) {
		err = -errno;
		goto out;
	}
	link_pin_path(pin_path, ifname, path, sizeof(path));
	if (bpf_obj_pin(link_fd, path)) {
		err = -errno;
		bpf_link_detach(link_fd);
		close(link_fd);
		pr_warn("cannot pin the XDP link at %s: %s", path, strerror(-err));
		goto out;
	}
	close(link_fd);
	snprintf(how, howlen, "libbpf link (%s mode), pinned at %s",
		 flags & XDP_FLAGS_SKB_MODE ? "generic" : "native", path);
out:
	xdp_ban_bpf__destroy(skel);
	return err;
}

/* ---- replacing an older build of the program ---- */

/* What identifies a loaded program: its tag, and the maps it uses (malloc()ed, caller's). */
struct prog_ident {
	__u8 tag[BPF_TAG_SIZE];
	__u32 *map_ids;
	__u32 nr_map_ids;
};

static int prog_ident(int fd, struct prog_ident *out)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info), n;

	memset(out, 0, sizeof(*out));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	memcpy(out->tag, info.tag, sizeof(out->tag));
	n = info.nr_map_ids;
	if (!n)
		return 0;
	out->map_ids = calloc(n, sizeof(*out->map_ids));
	if (!out->map_ids)
		return -ENOMEM;
	memset(&info, 0, sizeof(info));
	info.nr_map_ids = n;
	info.map_ids = (__u64)(unsigned long)out->map_ids;
	len = sizeof(info);
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		free(out->map_ids);
		out->map_ids = NULL;
		return -errno;
	}
	out->nr_map_ids = info.nr_map_ids < n ? info.nr_map_ids : n;
	return 0;
}

static void format_tag(const __u8 *tag, char *buf, size_t len)
{
	snprintf(buf, len, "%02x%02x%02x%02x%02x%02x%02x%02x", tag[0], tag[1], tag[2], tag[3],
		 tag[4], tag[5], tag[6], tag[7]);
}

/*
 * Compare the maps a program uses with the ones pinned under pin_path, by
 * name: *mine counts those it shares with the pins, *stale those whose pin
 * now holds another map (a layout migration replaced it). Maps not pinned
 * there (.rodata and the like) count for neither.
 */
static void prog_maps_vs_pins(const char *pin_path, const struct prog_ident *id, int *mine,
			      int *stale)
{
	struct bpf_map_info info, pinned;
	char path[PATH_MAX];
	__u32 i, len;
	int fd, pfd;

	*mine = *stale = 0;
	for (i = 0; i < id->nr_map_ids; i++) {
		fd = bpf_map_get_fd_by_id(id->map_ids[i]);
		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (bpf_obj_get_info_by_fd(fd, &info, &len) || !info.name[0]) {
			close(fd);
			continue;
		}
		close(fd);
		snprintf(path, sizeof(path), "%s/%s", pin_path, info.name);
		pfd = bpf_obj_get(path);
		if (pfd < 0)
			continue;
		memset(&pinned, 0, sizeof(pinned));
		len = sizeof(pinned);
		if (!bpf_obj_get_info_by_fd(pfd, &pinned, &len) &&
		    !strncmp(pinned.name, info.name, sizeof(info.name))) {
			if (pinned.id == info.id) {
				(*mine)++;
			} else {
				(*stale)++;
				/* Replaced by this process's migration: ours all the same. */
				if (banmap__replaced_map(info.id))
					(*mine)++;
			}
		}
		close(pfd);
	}
}

/* This build's tag, computed once per process (a load of the program, dropped). */
static int build_tag(const char *pin_path, __u8 *tag)
{
	static __u8 cached[BPF_TAG_SIZE];
	static int have;
	struct prog_ident id;
	struct xdp_ban_bpf *skel;
	int err;

	if (have) {
		memcpy(tag, cached, BPF_TAG_SIZE);
		return 0;
	}
	skel = open_skeleton(pin_path);
	if (!skel)
		return -errno;
	err = xdp_ban_bpf__load(skel);
	if (!err)
		err = prog_ident(bpf_program__fd(skel->progs.xdp_ban), &id);
	if (!err) {
		memcpy(cached, id.tag, BPF_TAG_SIZE);
		memcpy(tag, cached, BPF_TAG_SIZE);
		free(id.map_ids);
		have = 1;
	}
	xdp_ban_bpf__destroy(skel);
	return err;
}

/*
 * Without CAP_SYS_ADMIN (a container given CAP_BPF, CAP_NET_ADMIN and
 * CAP_PERFMON) a program cannot be opened by its id, so the one behind our
 * pinned link cannot be compared with this build. The link itself can be
 * opened from its pin: put this build on it, atomically, whatever ran there.
 */
static int swap_on_link(const char *pin_path, const char *ifname, int *replaced, char *how,
			size_t howlen)
{
	char path[PATH_MAX];
	struct xdp_ban_bpf *skel;
	int link_fd, err;
	size_t used;

	skel = open_skeleton(pin_path);
	if (!skel)
		return -errno;
	err = xdp_ban_bpf__load(skel);
	if (err) {
		pr_warn("cannot load the XDP program for %s: %s", ifname, strerror(-err));
		goto out;
	}
	link_pin_path(pin_path, ifname, path, sizeof(path));
	link_fd = bpf_obj_get(path);
	if (link_fd < 0) {
		err = -errno;
		goto out;
	}
	if (bpf_link_update(link_fd, bpf_program__fd(skel->progs.xdp_ban), NULL))
		err = -errno;
	close(link_fd);
	if (err) {
		pr_warn("cannot renew the XDP program on %s: %s; the previous one stays", ifname,
			strerror(-err));
		goto out;
	}
	*replaced = 1;
	used = strlen(how);
	if (used < howlen)
		snprintf(how + used, howlen - used,
			 "; this build put on the link (no CAP_SYS_ADMIN to compare the old one)");
out:
	xdp_ban_bpf__destroy(skel);
	return err;
}

/*
 * Our program is attached to ifname as o says. If it is another build (its
 * tag differs) or uses maps that are no longer the pinned ones (a layout
 * migration), load this build, its maps the pinned ones, and swap it in
 * atomically: bpf_link_update() on our pinned link, XDP_FLAGS_REPLACE on a
 * netlink attachment. Each is conditional on the old program still being
 * there. Sets *replaced. 0 or -errno.
 */
static int replace_if_changed(const char *pin_path, const char *ifname, int ifindex,
			      const struct ours *o, int *replaced, char *how, size_t howlen)
{
	char path[PATH_MAX], old_tag[20], new_tag[20];
	struct prog_ident old = {}, cur = {};
	__u8 tag[BPF_TAG_SIZE];
	struct xdp_ban_bpf *skel = NULL;
	int old_fd = -1, link_fd = -1, new_fd, mine, stale, err;
	size_t used;

	*replaced = 0;
	if (!o->prog_id)
		return 0; /* cannot tell: leave it */
	old_fd = bpf_prog_get_fd_by_id(o->prog_id);
	if (old_fd < 0 && errno == EPERM && o->kind == OURS_LINK)
		return swap_on_link(pin_path, ifname, replaced, how, howlen);
	if (old_fd < 0)
		return errno == ENOENT ? 0 : -errno; /* gone meanwhile */
	err = prog_ident(old_fd, &old);
	if (err)
		goto out;
	prog_maps_vs_pins(pin_path, &old, &mine, &stale);
	err = build_tag(pin_path, tag);
	if (err) {
		pr_warn("cannot load the XDP program to compare it with the one on %s: %s",
			ifname, strerror(-err));
		goto out;
	}
	if (!stale && !memcmp(tag, old.tag, BPF_TAG_SIZE))
		goto out; /* this very build, on these very maps */
	format_tag(old.tag, old_tag, sizeof(old_tag));

	if (o->kind == OURS_DISPATCHER) {
		/* libxdp cannot swap one program of its dispatcher in place. */
		pr_warn("%s runs another build of the ban program (tag %s) in libxdp's dispatcher; "
			"replacing it there is not supported: 'warden detach %s' and attach again%s",
			ifname, old_tag, ifname,
			stale ? " (it still uses the maps of the previous layout: new bans are not "
				"enforced there)" : "");
		err = stale ? -EOPNOTSUPP : 0;
		goto out;
	}

	/* This build, on the pinned maps: loaded and complete before the swap. */
	skel = open_skeleton(pin_path);
	if (!skel) {
		err = -errno;
		goto out;
	}
	err = xdp_ban_bpf__load(skel);
	if (err) {
		pr_warn("cannot load the new XDP program for %s: %s", ifname, strerror(-err));
		goto out;
	}
	new_fd = bpf_program__fd(skel->progs.xdp_ban);
	err = prog_ident(new_fd, &cur);
	if (err)
		goto out;
	format_tag(cur.tag, new_tag, sizeof(new_tag));

	if (o->kind == OURS_LINK) {
		LIBBPF_OPTS(bpf_link_update_opts, uopts, .flags = BPF_F_REPLACE,
			    .old_prog_fd = (__u32)old_fd);

		link_pin_path(pin_path, ifname, path, sizeof(path));
		link_fd = bpf_obj_get(path);
		if (link_fd < 0) {
			err = -errno;
			goto out;
		}
		if (bpf_link_update(link_fd, new_fd, &uopts))
			err = -errno;
	} else {
		LIBBPF_OPTS(bpf_xdp_attach_opts, aopts, .old_prog_fd = old_fd);

		if (bpf_xdp_attach(ifindex, new_fd, o->xdp_flags | XDP_FLAGS_REPLACE, &aopts))
			err = -errno;
	}
	if (err) {
		pr_warn("cannot replace the XDP program on %s: %s; the previous one stays",
			ifname, strerror(-err));
		goto out;
	}
	*replaced = 1;
	pr_info("replaced the XDP program on %s (old tag %s, new tag %s)", ifname, old_tag,
		new_tag);
	used = strlen(how);
	if (used < howlen)
		snprintf(how + used, howlen - used, "; replaced the program (old tag %s, new tag %s)",
			 old_tag, new_tag);
out:
	if (link_fd >= 0)
		close(link_fd);
	if (old_fd >= 0)
		close(old_fd);
	free(old.map_ids);
	free(cur.map_ids);
	xdp_ban_bpf__destroy(skel);
	return err;
}

/*
 * Our program on interface it (a pinned link, or one sharing maps pinned
 * under pin_path), and whether it runs on the previous maps: *o filled and
 * true when it is ours and on old maps.
 */
static bool ours_on_old_maps(const char *pin_path, const struct if_nameindex *it, struct ours *o)
{
	struct prog_ident id;
	char how[256];
	int fd, foreign, mine = 0, stale = 0;

	if (find_ours(pin_path, it->if_name, (int)it->if_index, how, sizeof(how), &foreign, o) != 1 ||
	    !o->prog_id)
		return false;
	fd = bpf_prog_get_fd_by_id(o->prog_id);
	if (fd < 0)
		return false;
	if (!prog_ident(fd, &id)) {
		prog_maps_vs_pins(pin_path, &id, &mine, &stale);
		free(id.map_ids);
	}
	close(fd);
	return stale && (o->kind == OURS_LINK || mine);
}

/*
 * After a layout migration, our program on interfaces not named in this
 * run still uses the previous maps. Find it on every interface of this
 * network namespace (by name, and using maps pinned under pin_path, so that
 * the program of another pin path is left alone) and replace it there too.
 */
static int upgrade_others(const char *pin_path, const char *skip)
{
	struct if_nameindex *ifs, *it;
	struct ours o;
	char how[256];
	int replaced, count = 0;

	ifs = if_nameindex();
	if (!ifs)
		return -errno;
	for (it = ifs; it->if_index; it++)
		if (strcmp(it->if_name, skip) && ours_on_old_maps(pin_path, it, &o) &&
		    replace_if_changed(pin_path, it->if_name, (int)it->if_index, &o, &replaced,
				       how, sizeof(how)) == 0)
			count += replaced;
	if_freenameindex(ifs);
	return count;
}

int xdp_attach__programs_using(const char *pin_path)
{
	struct bpf_prog_info info;
	struct prog_ident id;
	__u32 prog_id = 0, len;
	int fd, mine, stale, count = 0;

	/* Every XDP program of the machine, whatever its namespace: a watch in the host
	 * namespace may enforce for pods, an attach may have been done by hand. */
	while (!bpf_prog_get_next_id(prog_id, &prog_id)) {
		fd = bpf_prog_get_fd_by_id(prog_id);
		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (bpf_obj_get_info_by_fd(fd, &info, &len) || info.type != BPF_PROG_TYPE_XDP ||
		    prog_ident(fd, &id)) {
			close(fd);
			continue;
		}
		close(fd);
		prog_maps_vs_pins(pin_path, &id, &mine, &stale);
		free(id.map_ids);
		if (mine)
			count++;
	}
	if (errno != ENOENT)
		return -errno;
	return count;
}

int xdp_attach__stale_here(const char *pin_path)
{
	struct if_nameindex *ifs, *it;
	struct ours o;
	int count = 0;

	ifs = if_nameindex();
	if (!ifs)
		return -errno;
	for (it = ifs; it->if_index; it++)
		count += ours_on_old_maps(pin_path, it, &o);
	if_freenameindex(ifs);
	return count;
}

int xdp_attach__upgrade(const char *pin_path)
{
	libxdp_set_print(libxdp_print);
	return upgrade_others(pin_path, "");
}

int xdp_attach__attach(const char *pin_path, const char *ifname, enum xdp_attach_mode_opt mode,
		       enum xdp_loader loader, char *how, size_t howlen)
{
	static const enum xdp_attach_mode try_modes[2] = { XDP_MODE_NATIVE, XDP_MODE_SKB };
	int ifindex, foreign, replaced, err = -EINVAL, i, first, last;
	struct ours ours;

	ifindex = (int)if_nametoindex(ifname);
	if (!ifindex) {
		pr_warn("no interface named '%s' here", ifname);
		return -ENODEV;
	}
	/* libxdp keeps its dispatcher state under /sys/fs/bpf. */
	err = mounts__sys_bpf();
	if (err)
		return err;
	err = mounts__bpffs(pin_path, 1);
	if (err)
		return err;
	libxdp_set_print(libxdp_print);

	/*
	 * Already there: the pinned maps are in use. An older build (or one on
	 * the maps of an older layout) is replaced in place, without a window.
	 */
	if (find_ours(pin_path, ifname, ifindex, how, howlen, &foreign, &ours) == 1) {
		err = replace_if_changed(pin_path, ifname, ifindex, &ours, &replaced, how, howlen);
		upgrade_others(pin_path, ifname);
		return err;
	}
	if (foreign) {
		pr_warn("%s already runs another XDP program outside libxdp's dispatcher; "
			"warden will not replace it", ifname);
		return -EEXIST;
	}

	first = mode == ATTACH_MODE_GENERIC ? 1 : 0;
	last = mode == ATTACH_MODE_NATIVE ? 0 : 1;
	for (i = first; i <= last; i++) {
		if (loader != LOADER_LIBBPF) {
			err = attach_libxdp(pin_path, ifindex, try_modes[i], how, howlen);
			if (!err)
				break;
			pr_debug("libxdp could not attach to %s: %s", ifname, strerror(-err));
			if (err == -EEXIST || err == -EBUSY || loader == LOADER_LIBXDP)
				continue;
		}
		err = attach_libbpf(pin_path, ifname, ifindex,
				    try_modes[i] == XDP_MODE_SKB ? XDP_FLAGS_SKB_MODE :
								   XDP_FLAGS_DRV_MODE,
				    how, howlen);
		if (!err)
			break;
		pr_debug("libbpf could not attach to %s: %s", ifname, strerror(-err));
	}
	if (!err)
		upgrade_others(pin_path, ifname);
	return err;
}

int xdp_attach__detach(const char *pin_path, const char *ifname)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	char path[PATH_MAX], name[BPF_OBJ_NAME_LEN];
	struct xdp_multiprog *mp;
	struct xdp_program *p;
	int ifindex, fd, err;

	ifindex = (int)if_nametoindex(ifname);
	if (!ifindex)
		return -ENODEV;
	libxdp_set_print(libxdp_print);

	/* Our pinned link: detach it and drop the pin. */
	link_pin_path(pin_path, ifname, path, sizeof(path));
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		err = bpf_link_detach(fd) ? -errno : 0;
		close(fd);
		unlink(path);
		return err;
	}

	mp = xdp_multiprog__get_from_ifindex(ifindex);
	if (!libxdp_get_error(mp) && mp) {
		/* In the dispatcher: remove only our program, the others stay. */
		if (!xdp_multiprog__is_legacy(mp)) {
			for (p = xdp_multiprog__next_prog(NULL, mp); p;
			     p = xdp_multiprog__next_prog(p, mp)) {
				if (strcmp(xdp_program__name(p), PROG_NAME))
					continue;
				err = xdp_program__detach(p, ifindex,
							  xdp_multiprog__attach_mode(mp), 0);
				xdp_multiprog__close(mp);
				return err;
			}
		}
		xdp_multiprog__close(mp);
	}

	/* Alone on the interface: detach exactly that program. */
	if (bpf_xdp_query(ifindex, 0, &q))
		return -errno;
	if (q.drv_prog_id) {
		prog_name_by_id(q.drv_prog_id, name, sizeof(name));
		if (!strcmp(name, PROG_NAME))
			return bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL) ? -errno : 0;
	}
	if (q.skb_prog_id) {
		prog_name_by_id(q.skb_prog_id, name, sizeof(name));
		if (!strcmp(name, PROG_NAME))
			return bpf_xdp_detach(ifindex, XDP_FLAGS_SKB_MODE, NULL) ? -errno : 0;
	}
	return -ENOENT;
}

int xdp_attach__detach_all(const char *pin_path, int *detached)
{
	struct if_nameindex *ifs, *it;
	int count = 0;

	ifs = if_nameindex();
	if (!ifs)
		return -errno;
	for (it = ifs; it->if_index; it++) {
		if (xdp_attach__detach(pin_path, it->if_name) == 0) {
			pr_info("detached from %s", it->if_name);
			count++;
		}
	}
	if_freenameindex(ifs);
	if (detached)
		*detached = count;

	/* Then every pin in our folder (maps, links of other namespaces), and the folder. */
	return pins__remove_all(pin_path);
}
