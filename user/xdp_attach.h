/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* xdp_attach.h - attach the ban program to interfaces, through libxdp or plain libbpf. */
#ifndef WARDEN_XDP_ATTACH_H
#define WARDEN_XDP_ATTACH_H

#include <stddef.h>

enum xdp_attach_mode_opt {
	ATTACH_MODE_AUTO,    /* native, else generic */
	ATTACH_MODE_NATIVE,  /* in the driver */
	ATTACH_MODE_GENERIC, /* in the stack (skb mode) */
};

enum xdp_loader {
	LOADER_AUTO,   /* libxdp (dispatcher, or its single-program mode), else libbpf */
	LOADER_LIBXDP, /* libxdp only */
	LOADER_LIBBPF, /* a plain bpf_link, pinned under the pin path */
};

/* "auto", "native", "generic" -> mode; 0 or -EINVAL. */
int xdp_attach__parse_mode(const char *text, enum xdp_attach_mode_opt *out);
/* "auto", "libxdp", "libbpf" -> loader; 0 or -EINVAL. */
int xdp_attach__parse_loader(const char *text, enum xdp_loader *out);

/*
 * Attach the ban program to ifname, its maps pinned under pin_path
 * (created or reused: call banmap__open(BANMAP_CREATE) first, which also
 * carries maps of an older layout over). The attachment outlives the
 * process. If this build is already attached there, nothing changes; if
 * another build is (its tag differs) or it still uses the maps of an older
 * layout, it is replaced atomically: bpf_link_update() on a pinned link,
 * XDP_FLAGS_REPLACE on a netlink attachment (libxdp's dispatcher: not
 * supported, said, -EOPNOTSUPP when it is left on old maps). Then our
 * program on other interfaces of the namespace that still uses old maps is
 * replaced too. how receives a short description of what was used
 * ("libxdp dispatcher", ...) and of a replacement.
 * 0 or -errno (-EEXIST: another XDP program holds the interface).
 */
int xdp_attach__attach(const char *pin_path, const char *ifname, enum xdp_attach_mode_opt mode,
		       enum xdp_loader loader, char *how, size_t howlen);

/*
 * For a run that names no interface: replace our program wherever in this
 * network namespace it still uses maps of an older layout (after
 * banmap__open(BANMAP_CREATE) carried them over). The count, or -errno.
 */
int xdp_attach__upgrade(const char *pin_path);

/*
 * How many loaded XDP programs, in any network namespace, use the maps
 * pinned under pin_path: 0 means nothing enforces the bans. Or -errno.
 */
int xdp_attach__programs_using(const char *pin_path);

/*
 * How many of our programs attached in this network namespace still use a
 * map whose pin under pin_path now holds another one (one that
 * xdp_attach__upgrade() could not replace), or -errno.
 */
int xdp_attach__stale_here(const char *pin_path);

/* Detach the ban program from ifname: 0, or -ENOENT if it was not there. */
int xdp_attach__detach(const char *pin_path, const char *ifname);

/*
 * Detach the ban program from every interface of this network namespace
 * and remove everything pinned under pin_path. Sets *detached if given.
 */
int xdp_attach__detach_all(const char *pin_path, int *detached);

/* Whether the ban program is attached to ifname (1), not (0), or -errno. how as above. */
int xdp_attach__query(const char *pin_path, const char *ifname, char *how, size_t howlen);

#endif
