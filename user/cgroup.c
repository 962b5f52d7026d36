// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* cgroup.c - a cgroup v2 of the app's own, so that stopping it stops all it started. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include "cgroup.h"
#include "log.h"

/* Where the v2 hierarchy is mounted: the pure v2 place first, then hybrid. */
static const char *v2_mount(void)
{
	static const char *candidates[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };
	struct statfs st;
	size_t i;

	for (i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++)
		if (statfs(candidates[i], &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC)
			return candidates[i];
	return NULL;
}

/* warden's own v2 cgroup, from the "0::/path" line of /proc/self/cgroup. */
static int own_cgroup(char *out, size_t len)
{
	char line[PATH_MAX + 8];
	FILE *f = fopen("/proc/self/cgroup", "re");
	int err = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = '\0';
		if (strlen(line + 3) >= len)
			break;
		memcpy(out, line + 3, strlen(line + 3) + 1);
		err = 0;
		break;
	}
	fclose(f);
	return err;
}

/*
 * A warden killed by SIGKILL leaves its app's cgroup behind, empty: remove
 * those of wardens that are gone ("warden-app-PID" beside ours).
 */
static void remove_stale(const char *parent)
{
	char path[PATH_MAX + 300];
	struct dirent *de;
	DIR *dir = opendir(parent);
	int pid;

	if (!dir)
		return;
	while ((de = readdir(dir))) {
		if (sscanf(de->d_name, "warden-app-%d", &pid) != 1 || pid <= 0)
			continue;
		if (kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		snprintf(path, sizeof(path), "%s/%s", parent, de->d_name);
		if (rmdir(path) == 0)
			pr_debug("removed the stale cgroup %s", path);
	}
	closedir(dir);
}

int cgroup__create(struct app_cgroup *cg, const char *name)
{
	const char *mnt = v2_mount();
	char own[PATH_MAX], events[PATH_MAX + 16];
	struct stat st;
	int err;

	memset(cg, 0, sizeof(*cg));
	cg->events_fd = -1;
	if (!mnt)
		return -ENOENT;
	err = own_cgroup(own, sizeof(own));
	if (err)
		return err;
	if (!strcmp(own, "/"))
		own[0] = '\0';
	if ((size_t)snprintf(cg->path, sizeof(cg->path), "%s%s/%s", mnt, own, name) >=
	    sizeof(cg->path)) {
		cg->path[0] = '\0';
		return -ENAMETOOLONG;
	}
	{
		char parent[PATH_MAX];

		snprintf(parent, sizeof(parent), "%s%s", mnt, own);
		remove_stale(parent);
	}
	if (mkdir(cg->path, 0755) < 0 && errno != EEXIST) {
		err = -errno;
		cg->path[0] = '\0';
		return err;
	}
	/* The cgroup's inode number is its id for bpf_get_current_cgroup_id(). */
	if (stat(cg->path, &st) == 0)
		cg->id = st.st_ino;
	snprintf(events, sizeof(events), "%s/cgroup.events", cg->path);
	cg->events_fd = open(events, O_RDONLY | O_CLOEXEC);
	return 0;
}

const char *cgroup__procs_path(const struct app_cgroup *cg, char *buf, size_t len)
{
	if (!cgroup__active(cg))
		snprintf(buf, len, "%s", "");
	else
		snprintf(buf, len, "%s/cgroup.procs", cg->path);
	return buf;
}

int cgroup__signal(struct app_cgroup *cg, int sig)
{
	char path[PATH_MAX + 16];
	FILE *f;
	int pid, fd, err = 0;

	if (!cgroup__active(cg))
		return -ENOENT;
	if (sig == SIGKILL) {
		/* One write kills everything, forks in flight included (Linux 5.14+). */
		snprintf(path, sizeof(path), "%s/cgroup.kill", cg->path);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			err = write(fd, "1", 1) == 1 ? 0 : -errno;
			close(fd);
			if (!err)
				return 0;
		}
	}
	snprintf(path, sizeof(path), "%s/cgroup.procs", cg->path);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fscanf(f, "%d", &pid) == 1)
		if (kill(pid, sig) < 0 && errno != ESRCH)
			err = -errno;
	fclose(f);
	return err;
}

int cgroup__populated(struct app_cgroup *cg)
{
	char buf[256], *p;
	ssize_t n;

	if (cg->events_fd < 0)
		return -ENOENT;
	n = pread(cg->events_fd, buf, sizeof(buf) - 1, 0);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	p = strstr(buf, "populated ");
	return p ? p[10] == '1' : -EINVAL;
}

void cgroup__destroy(struct app_cgroup *cg)
{
	if (cg->events_fd >= 0)
		close(cg->events_fd);
	cg->events_fd = -1;
	if (cgroup__active(cg) && rmdir(cg->path) < 0 && errno != ENOENT)
		pr_warn("cannot remove cgroup %s: %s", cg->path, strerror(errno));
	cg->path[0] = '\0';
}
