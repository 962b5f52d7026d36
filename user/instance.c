// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* instance.c - one warden run per state folder: its lock, its name, and what a killed one left. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup.h"
#include "fileutil.h"
#include "instance.h"
#include "log.h"
#include "procfs.h"
#include "timeutil.h"

#define LOCK_FILE "warden.lock"
#define RECORD_FILE "app.state"
#define MAX_SESSION 256       /* processes of a leftover session killed at most */
#define GONE_WAIT_MS 5000     /* how long they may take to be gone */

/* FNV-1a: a short, stable tag of the state folder's path for the instance's name. */
static uint32_t fnv1a(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static void make_name(struct instance *in, const char *state_dir)
{
	char base[48];
	const char *b;
	size_t len = strlen(state_dir), i;

	while (len > 1 && state_dir[len - 1] == '/')
		len--;
	for (b = state_dir + len; b > state_dir && b[-1] != '/'; b--)
		;
	snprintf(base, sizeof(base), "%.*s", (int)(state_dir + len - b), b);
	/* A cgroup's name: no '/', nothing odd. */
	for (i = 0; base[i]; i++)
		if (!((base[i] >= 'a' && base[i] <= 'z') || (base[i] >= 'A' && base[i] <= 'Z') ||
		      (base[i] >= '0' && base[i] <= '9') || base[i] == '-' || base[i] == '_' ||
		      base[i] == '.'))
			base[i] = '_';
	snprintf(in->name, sizeof(in->name), "%s-%08x", base[0] && strcmp(base, ".") ? base : "root",
		 fnv1a(state_dir));
}

int instance__open(struct instance *in, const char *state_dir, char *err, size_t errlen)
{
	char path[PATH_MAX], pid[32];
	ssize_t n;
	int ret;

	in->lock_fd = -1;
	in->record[0] = '\0';
	make_name(in, state_dir);
	ret = file__mkdir_p(state_dir, 0750);
	if (ret) {
		snprintf(err, errlen, "cannot make the state folder %s: %s", state_dir, strerror(-ret));
		return ret;
	}
	if (snprintf(path, sizeof(path), "%s/%s", state_dir, LOCK_FILE) >= (int)sizeof(path) ||
	    snprintf(in->record, sizeof(in->record), "%s/%s", state_dir, RECORD_FILE) >=
		    (int)sizeof(in->record)) {
		snprintf(err, errlen, "state folder path too long: %s", state_dir);
		in->record[0] = '\0';
		return -ENAMETOOLONG;
	}
	/* Close-on-exec: the app must not hold the lock once warden is gone. */
	in->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (in->lock_fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(-ret));
		in->record[0] = '\0';
		return ret;
	}
	if (flock(in->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		ret = errno == EWOULDBLOCK ? -EBUSY : -errno;
		n = pread(in->lock_fd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		if (ret == -EBUSY)
			snprintf(err, errlen, "another warden (pid %s) runs with --state-dir %s: give "
				 "each warden run its own state folder", pid[0] ? pid : "?", state_dir);
		else
			snprintf(err, errlen, "cannot lock %s: %s", path, strerror(-ret));
		close(in->lock_fd);
		in->lock_fd = -1;
		in->record[0] = '\0';
		return ret;
	}
	n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (ftruncate(in->lock_fd, 0) == 0)
		(void)!pwrite(in->lock_fd, pid, (size_t)n, 0);
	return 0;
}

/* The live (not zombie) processes of session sid, up to max. */
static int session_members(pid_t sid, pid_t *out, int max)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)) && n < max) {
		pid_t pid = (pid_t)atoi(de->d_name);
		struct procfs_stat st;

		if (pid <= 0 || procfs__stat(pid, &st) || st.session != sid || st.state == 'Z' ||
		    st.state == 'X')
			continue;
		out[n++] = pid;
	}
	closedir(d);
	return n;
}

int instance__kill_session(pid_t sid, unsigned long long start_ticks)
{
	static pid_t pids[MAX_SESSION];
	uint64_t deadline = time__mono_ns() + GONE_WAIT_MS * NSEC_PER_MSEC;
	unsigned long long leader_start = procfs__start_ticks(sid);
	char what[1024];
	int n, i, killed = 0;

	/*
	 * The kernel does not give out a pid that is still some process's session
	 * id: while any member lives, sid names the old app's session, unless
	 * sid itself runs again as another program (its start time differs).
	 */
	if (sid <= 1 || (leader_start && start_ticks && leader_start != start_ticks))
		return 0;
	n = session_members(sid, pids, MAX_SESSION);
	if (!n)
		return 0;
	cgroup__describe_pids(pids, n < 16 ? n : 16, what, sizeof(what));
	pr_warn("killing %d process%s of the app that a previous warden of this instance left "
		"running (session %d): %s%s", n, n == 1 ? "" : "es", (int)sid, what,
		n > 16 ? ", ..." : "");
	/* Kill, and again for what they forked meanwhile, until none is left or time is up. */
	while (n && time__mono_ns() < deadline) {
		for (i = 0; i < n; i++) {
			int pidfd = (int)syscall(SYS_pidfd_open, pids[i], 0);
			struct pollfd pfd = { .fd = pidfd, .events = POLLIN };

			if (kill(pids[i], SIGKILL) == 0)
				killed++;
			/* Readable once it has ended: no sleeping in the hope it did. */
			if (pidfd >= 0) {
				poll(&pfd, 1, 1000);
				close(pidfd);
			}
		}
		n = session_members(sid, pids, MAX_SESSION);
	}
	if (n)
		pr_warn("%d process%s of session %d remain after SIGKILL", n, n == 1 ? "" : "es",
			(int)sid);
	return killed;
}

int instance__kill_leftovers(struct instance *in, const char *skip_cgroup)
{
	char line[PATH_MAX + 16], cgroup[PATH_MAX + 16] = "";
	unsigned long long start = 0;
	int pid = 0, killed = 0;
	FILE *f;

	if (!in->record[0])
		return 0;
	f = fopen(in->record, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "pid ", 4))
			pid = atoi(line + 4);
		else if (!strncmp(line, "start ", 6))
			start = strtoull(line + 6, NULL, 10);
		else if (!strncmp(line, "cgroup ", 7))
			snprintf(cgroup, sizeof(cgroup), "%s", line + 7);
	}
	fclose(f);
	/* Its cgroup holds all it started, daemons that left its session too. */
	if (cgroup[0] && (!skip_cgroup || strcmp(cgroup, skip_cgroup)))
		killed = cgroup__kill_leftover(cgroup, true);
	if (pid > 1 && start) {
		int k = instance__kill_session(pid, start);

		killed += k > 0 ? k : 0;
	}
	return killed;
}

int instance__record(struct instance *in, pid_t pid, const char *cgroup)
{
	char tmp[PATH_MAX + 8], text[PATH_MAX + 96];
	int fd, n, ret = 0;

	if (!in->record[0])
		return 0;
	n = snprintf(text, sizeof(text), "pid %d\nstart %llu\ncgroup %s\n", (int)pid,
		     procfs__start_ticks(pid), cgroup ? cgroup : "");
	snprintf(tmp, sizeof(tmp), "%s.tmp", in->record);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	ret = file__write_all(fd, text, (size_t)n);
	if (close(fd) < 0 && !ret)
		ret = -errno;
	if (!ret && rename(tmp, in->record) < 0)
		ret = -errno;
	if (ret) {
		unlink(tmp);
		pr_warn("cannot record the app in %s: %s", in->record, strerror(-ret));
	}
	return ret;
}

void instance__close(struct instance *in, bool app_gone)
{
	if (app_gone && in->record[0])
		unlink(in->record);
	in->record[0] = '\0';
	if (in->lock_fd >= 0)
		close(in->lock_fd);
	in->lock_fd = -1;
}
