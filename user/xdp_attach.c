// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* xdp_attach.c - attach the ban program to interfaces, through libxdp or plain libbpf. */
#include <dirent.h>
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

#include "log.h"
#include "mounts.h"
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

/*
 * Look for our program on ifindex: in libxdp's dispatcher, as the only
 * program (libxdp's legacy mode or a netlink attachment), or behind a
 * pinned bpf_link. Returns 1 if found, 0 if not; *foreign is set when
 * another program holds the interface.
 */
static int find_ours(const char *pin_path, const char *ifname, int ifindex, char *how,
		     size_t howlen, int *foreign)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	char path[PATH_MAX], name[BPF_OBJ_NAME_LEN];
	struct xdp_multiprog *mp;
	struct xdp_program *p;
	__u32 ids[2];
	int i;

	*foreign = 0;
	/* Behind our own pinned link? */
	link_pin_path(pin_path, ifname, path, sizeof(path));
	if (access(path, F_OK) == 0) {
		snprintf(how, howlen, "libbpf link pinned at %s", path);
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
	return find_ours(pin_path, ifname, ifindex, how, howlen, &foreign);
}

static struct xdp_ban *open_skeleton(const char *pin_path)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = pin_path);
	struct xdp_ban *skel;

	skel = xdp_ban__open_opts(&opts);
	if (!skel)
		pr_warn("cannot open the XDP program: %s", strerror(errno));
	return skel;
}

/* libxdp: its dispatcher where the kernel allows, else its single-program mode. */
static int attach_libxdp(const char *pin_path, int ifindex, enum xdp_attach_mode mode, char *how,
			 size_t howlen)
{
	struct xdp_multiprog *mp;
	struct xdp_program *prog;
	struct xdp_ban *skel;
	int err;

	skel = open_skeleton(pin_path);
	if (!skel)
		return -errno;
	prog = xdp_program__from_bpf_obj(skel->obj, "xdp");
	err = (int)libxdp_get_error(prog);
	if (err) {
		xdp_ban__destroy(skel);
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
	xdp_ban__destroy(skel);
	return err;
}

/* Plain libbpf: a bpf_link pinned under the pin path, so it outlives us. */
static int attach_libbpf(const char *pin_path, const char *ifname, int ifindex, __u32 flags,
			 char *how, size_t howlen)
{
	LIBBPF_OPTS(bpf_link_create_opts, lopts, .flags = flags);
	char path[PATH_MAX];
	struct xdp_ban *skel;
	int link_fd, err;

	skel = open_skeleton(pin_path);
	if (!skel)
		return -errno;
	err = xdp_ban__load(skel);
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
	xdp_ban__destroy(skel);
	return err;
}

int xdp_attach__attach(const char *pin_path, const char *ifname, enum xdp_attach_mode_opt mode,
		       enum xdp_loader loader, char *how, size_t howlen)
{
	static const enum xdp_attach_mode try_modes[2] = { XDP_MODE_NATIVE, XDP_MODE_SKB };
	int ifindex, foreign, err = -EINVAL, i, first, last;

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

	/* Already there: the pinned maps are in use, nothing to do. */
	if (find_ours(pin_path, ifname, ifindex, how, howlen, &foreign) == 1)
		return 0;
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
				return 0;
			pr_debug("libxdp could not attach to %s: %s", ifname, strerror(-err));
			if (err == -EEXIST || err == -EBUSY || loader == LOADER_LIBXDP)
				continue;
		}
		err = attach_libbpf(pin_path, ifname, ifindex,
				    try_modes[i] == XDP_MODE_SKB ? XDP_FLAGS_SKB_MODE :
								   XDP_FLAGS_DRV_MODE,
				    how, howlen);
		if (!err)
			return 0;
		pr_debug("libbpf could not attach to %s: %s", ifname, strerror(-err));
	}
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
	char path[PATH_MAX];
	struct dirent *de;
	int count = 0, err = 0;
	DIR *dir;

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
	dir = opendir(pin_path);
	if (!dir)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", pin_path, de->d_name);
		if (unlink(path) && !err)
			err = -errno;
	}
	closedir(dir);
	if (rmdir(pin_path) && !err)
		err = -errno;
	return err;
}
