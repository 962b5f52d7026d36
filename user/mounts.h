/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* mounts.h - make sure the kernel file systems warden needs are mounted. */
#ifndef WARDEN_MOUNTS_H
#define WARDEN_MOUNTS_H

/*
 * Make pin_path usable: it must lie on a bpffs. If /sys/fs/bpf is not
 * mounted and pin_path is below it, mount it (and say so). Creates
 * pin_path itself when create is set. 0 or -errno with a reason logged.
 */
int mounts__bpffs(const char *pin_path, int create);

/* Mount bpffs at /sys/fs/bpf unless it is there (libxdp keeps its state there). */
int mounts__sys_bpf(void);

/*
 * Whether this process shares PID 1's mount namespace (1) or not (0): a
 * bpffs mounted elsewhere, and its pins, vanish with that namespace.
 * 1 when it cannot be told.
 */
int mounts__in_init_mount_ns(void);

/* Whether path lies on a bpffs (1), not (0), or -errno. */
int mounts__is_bpffs(const char *path);

/* Mount tracefs at /sys/kernel/tracing if it is not there. 0 or -errno. */
int mounts__tracefs(void);

#endif
