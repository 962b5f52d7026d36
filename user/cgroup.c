// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* cgroup.c - a cgroup v2 of the app's own, so that stopping it stops all it started. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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
#include "timeutil.h"

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
 * Wardens before instance names called the app's cgroup "warden-app-PID",
 * and one killed by SIGKILL left it behind: remove those of wardens that
 * are gone (beside ours, empty).
 */
static void remove_stale(const char *parent)
{
	char path[PATH_MAX + 300];
	struct dirent *de;
	DIR *dir = opendir(parent);
	int pid, end;

	if (!dir)
		return;
	while ((de = readdir(dir))) {
		/* Only the old names, "warden-app-PID": an instance's cgroup is never stale. */
		end = 0;
		if (sscanf(de->d_name, "warden-app-%d%n", &pid, &end) != 1 || pid <= 0 ||
		    de->d_name[end])
			continue;
		if (kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		snprintf(path, sizeof(path), "%s/%s", parent, de->d_name);
		if (rmdir(path) == 0)
			pr_debug("removed the stale cgroup %s", path);
	}
	closedir(dir);
}

/* "1234 (gunicorn)" for each pid, for the report of what was killed. */
void cgroup__describe_pids(const pid_t *pids, int n, char *buf, size_t len)
{
	char path[64], comm[32];
	size_t used = 0;
	int i, fd;
	ssize_t r;

	buf[0] = '\0';
	for (i = 0; i < n && used + 1 < len; i++) {
		snprintf(path, sizeof(path), "/proc/%d/comm", (int)pids[i]);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		r = fd >= 0 ? read(fd, comm, sizeof(comm) - 1) : -1;
		if (fd >= 0)
			close(fd);
		comm[r > 0 ? r : 0] = '\0';
		comm[strcspn(comm, "\n")] = '\0';
		used += (size_t)snprintf(buf + used, len - used, "%s%d (%s)", i ? ", " : "",
					 (int)pids[i], comm[0] ? comm : "?");
	}
}

#define LEFTOVER_WAIT_MS 5000 /* how long killed leftovers may take to be gone */

int cgroup__kill_leftover(const char *path, bool remove)
{
	char file[PATH_MAX + 32], what[1024];
	pid_t pids[16];
	struct pollfd pfd;
	int n = 0, total = 0, pid, left;
	uint64_t deadline = time__mono_ns() + LEFTOVER_WAIT_MS * NSEC_PER_MSEC;
	struct app_cgroup cg = { .events_fd = -1 };
	FILE *f;

	snprintf(file, sizeof(file), "%s/cgroup.procs", path);
	f = fopen(file, "re");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (fscanf(f, "%d", &pid) == 1) {
		if (n < (int)(sizeof(pids) / sizeof(pids[0])))
			pids[n++] = pid;
		total++;
	}
	fclose(f);
	if ((size_t)snprintf(cg.path, sizeof(cg.path), "%s", path) >= sizeof(cg.path))
		return -ENAMETOOLONG;
	snprintf(file, sizeof(file), "%s/cgroup.events", path);
	cg.events_fd = open(file, O_RDONLY | O_CLOEXEC);
	if (total) {
		cgroup__describe_pids(pids, n, what, sizeof(what));
		pr_warn("killing %d process%s of the app that a previous warden of this instance left "
			"running (cgroup %s): %s%s", total, total == 1 ? "" : "es", path, what,
			total > n ? ", ..." : "");
		cgroup__signal(&cg, SIGKILL);
		/* Gone when the kernel says "populated 0"; it notifies with POLLPRI. */
		while ((left = cgroup__populated(&cg)) == 1 && time__mono_ns() < deadline) {
			pfd.fd = cg.events_fd;
			pfd.events = POLLPRI;
			if (poll(&pfd, 1, 100) < 0 && errno != EINTR)
				break;
			cgroup__signal(&cg, SIGKILL); /* anything forked meanwhile (no cgroup.kill) */
		}
		if (left == 1)
			pr_warn("processes remain in %s after SIGKILL", path);
	}
	if (cg.events_fd >= 0)
		close(cg.events_fd);
	if (remove && rmdir(path) < 0 && errno != ENOENT && errno != EBUSY)
		pr_debug("cannot remove the cgroup %s: %s", path, strerror(errno));
	return total;
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
	if (mkdir(cg->path, 0755) < 0) {
		if (errno != EEXIST) {
			err = -errno;
			cg->path[0] = '\0';
			return err;
		}
		/* The cgroup of the instance's app: what is in it was left by a warden that died. */
		cgroup__kill_leftover(cg->path, false);
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
