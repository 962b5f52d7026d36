// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* mounts.c - make sure the kernel file systems warden needs are mounted. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include "log.h"
#include "mounts.h"

#define SYS_BPF "/sys/fs/bpf"
#define SYS_TRACING "/sys/kernel/tracing"

int mounts__is_bpffs(const char *path)
{
	struct statfs st;

	if (statfs(path, &st) < 0)
		return -errno;
	return st.f_type == BPF_FS_MAGIC;
}

/* The nearest existing ancestor of path (path itself if it exists). */
static void existing_ancestor(const char *path, char *out, size_t len)
{
	struct stat st;
	char *slash;

	snprintf(out, len, "%s", path);
	while (stat(out, &st) < 0) {
		slash = strrchr(out, '/');
		if (!slash || slash == out) {
			snprintf(out, len, "/");
			return;
		}
		*slash = '\0';
	}
}

int mounts__sys_bpf(void)
{
	int err;

	if (mounts__is_bpffs(SYS_BPF) == 1)
		return 0;
	if (mount("bpf", SYS_BPF, "bpf", 0, "mode=0700") < 0) {
		err = -errno;
		pr_warn("cannot mount bpffs at %s: %s", SYS_BPF, strerror(-err));
		return err;
	}
	pr_info("mounted bpffs at %s", SYS_BPF);
	if (!mounts__in_init_mount_ns())
		pr_warn("this bpffs was mounted in a mount namespace that is not the host's "
			"(as under 'ip netns exec', which remounts /sys): the bans pinned in it "
			"vanish when that namespace ends; to keep them, run warden with "
			"'nsenter --net=/run/netns/NAME' instead, or mount bpffs on the host first "
			"(mount -t bpf bpf %s)", SYS_BPF);
	return 0;
}

int mounts__in_init_mount_ns(void)
{
	char self[64], init[64];
	ssize_t a, b;

	a = readlink("/proc/self/ns/mnt", self, sizeof(self));
	b = readlink("/proc/1/ns/mnt", init, sizeof(init));
	/* Unreadable (no privilege over PID 1, no /proc): do not cry wolf. */
	if (a < 0 || b < 0)
		return 1;
	return a == b && !memcmp(self, init, (size_t)a);
}

int mounts__bpffs(const char *pin_path, int create)
{
	char ancestor[PATH_MAX];
	int err, on_bpffs;

	existing_ancestor(pin_path, ancestor, sizeof(ancestor));
	on_bpffs = mounts__is_bpffs(ancestor);
	if (on_bpffs < 0)
		return on_bpffs;

	/* The usual place, not mounted yet (a fresh host or container). */
	if (!on_bpffs && !strncmp(pin_path, SYS_BPF "/", strlen(SYS_BPF) + 1)) {
		err = mounts__sys_bpf();
		if (err)
			return err;
		on_bpffs = 1;
	}
	if (!on_bpffs) {
		pr_warn("pin path %s is not on a bpffs (mount -t bpf bpf DIR)", pin_path);
		return -EINVAL;
	}
	if (create && mkdir(pin_path, 0700) < 0 && errno != EEXIST) {
		err = -errno;
		pr_warn("cannot create pin path %s: %s", pin_path, strerror(-err));
		return err;
	}
	return 0;
}

int mounts__tracefs(void)
{
	struct statfs st;
	int err;

	if (statfs(SYS_TRACING, &st) == 0 && st.f_type == TRACEFS_MAGIC)
		return 0;
	if (mount("tracefs", SYS_TRACING, "tracefs", 0, NULL) < 0) {
		err = -errno;
		pr_warn("cannot mount tracefs at %s: %s", SYS_TRACING, strerror(-err));
		return err;
	}
	pr_info("mounted tracefs at %s", SYS_TRACING);
	return 0;
}
