/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* pins.h - the pin folder: bpffs under it, its lock, and the maps pinned in it by name. */
#ifndef WARDEN_PINS_H
#define WARDEN_PINS_H

#include <stddef.h>
#include <linux/types.h>

/*
 * Every module that reads or writes warden's pinned maps (banmap, throttle,
 * capture, settings, xdp_attach) goes through a pins handle: one open
 * folder whose flock() serializes writers, warden's daemons and CLI alike
 * (xdp-filter's prog_lock_acquire). Each handle has its own open file, so
 * two handles of one process exclude each other as two processes do.
 */
struct pins;

enum pins_open {
	PINS_EXISTING, /* the folder must be there (-ENOENT if not) */
	PINS_CREATE,   /* mount bpffs if needed and make the folder */
};

/*
 * Open the pin folder path. NULL with errno set; the reason is logged
 * (for -ENOENT: which command makes the maps).
 */
struct pins *pins__open(const char *path, enum pins_open how);

/* Accepts NULL. */
void pins__close(struct pins *p);

/* The folder's path, as given to pins__open. */
const char *pins__path(const struct pins *p);

/* Take (waiting for it) and release the folder's lock. */
void pins__lock(struct pins *p);
void pins__unlock(struct pins *p);

/* What a pinned map must look like; a field of 0 (or BPF_MAP_TYPE_UNSPEC) is not checked. */
struct pins_map_def {
	__u32 type;
	__u32 key_size;
	__u32 value_size;
};

/*
 * Open the map pinned as name: its fd (the caller's to close) or -errno,
 * -ENOENT silently when it is not there, -EPROTO with the difference
 * logged when it does not match def (NULL: anything goes).
 */
int pins__map_fd(const struct pins *p, const char *name, const struct pins_map_def *def);

/*
 * Every key of the map fd (key_size bytes each) into a malloc()ed array,
 * the caller's to free, and their number. 0 or -errno.
 */
int pins__map_keys(int fd, size_t key_size, void **keys_out, size_t *n_out);

/* Write the path of the pin name into out: 0, or -ENAMETOOLONG. */
int pins__obj_path(const struct pins *p, const char *name, char *out, size_t len);

/*
 * Remove every pin of the folder at path (maps, links of other
 * namespaces) and the folder itself. 0 if it is gone (or never was), or
 * the first -errno.
 */
int pins__remove_all(const char *path);

#endif
