/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* cgroup.h - a cgroup v2 of the app's own, so that stopping it stops all it started. */
#ifndef WARDEN_CGROUP_H
#define WARDEN_CGROUP_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>

struct app_cgroup {
	char path[PATH_MAX]; /* the cgroup's folder; "" when none */
	uint64_t id;         /* its id, as bpf_get_current_cgroup_id() sees it */
	int events_fd;       /* cgroup.events, pollable (EPOLLPRI) for "populated 0" */
};

/*
 * Create a cgroup named name below warden's own, on the cgroup v2 hierarchy
 * (/sys/fs/cgroup, or /sys/fs/cgroup/unified on hybrid hosts). 0, or -errno
 * (-ENOENT: no cgroup v2 here; -EACCES/-EPERM: not ours to create). A
 * cgroup of that name that still holds processes is the app of a warden
 * that died: they are killed (cgroup__kill_leftover()) and it is reused.
 */
int cgroup__create(struct app_cgroup *cg, const char *name);

/*
 * Kill every process in the cgroup at path (cgroup.kill), say which at warn
 * level, wait until it is empty (a few seconds at most) and, with remove,
 * remove it. The number of processes killed (0: none or no such cgroup), or -errno.
 */
int cgroup__kill_leftover(const char *path, bool remove);

/* "1234 (gunicorn), 1235 (gunicorn)": pids and their command names, for messages. */
void cgroup__describe_pids(const pid_t *pids, int n, char *buf, size_t len);

/* The file a process writes "0" into to join the cgroup; "" when none. */
const char *cgroup__procs_path(const struct app_cgroup *cg, char *buf, size_t len);

/* Send sig to every process in it (SIGKILL through cgroup.kill where the kernel has it). */
int cgroup__signal(struct app_cgroup *cg, int sig);

/* Whether any process is left in it (1), none (0), or -errno. */
int cgroup__populated(struct app_cgroup *cg);

/* Remove it (it must be empty) and close what is open. Accepts an unused cg. */
void cgroup__destroy(struct app_cgroup *cg);

static inline bool cgroup__active(const struct app_cgroup *cg)
{
	return cg->path[0] != '\0';
}

#endif
