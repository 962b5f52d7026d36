/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* supervisor.h - the supervised child: spawn it with piped output, signal it, reap it. */
#ifndef WARDEN_SUPERVISOR_H
#define WARDEN_SUPERVISOR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

enum child_state {
	CHILD_NONE,     /* never started, or reaped */
	CHILD_RUNNING,  /* running, not asked to stop */
	CHILD_STOPPING, /* asked to stop (SIGTERM sent to its group) */
};

/* The one child warden supervises. */
struct child {
	pid_t pid;             /* also its process group and session id */
	int pidfd;             /* readable when it exits; -1 when none */
	int out_fd;            /* read end of its stdout pipe; -1 when closed */
	int err_fd;            /* read end of its stderr pipe; -1 when closed */
	enum child_state state;
	uint64_t started_ns;   /* CLOCK_MONOTONIC at spawn */
	int exit_status;       /* after reaping: the code, or 128 + signal */
	bool exited_by_signal; /* after reaping: killed by a signal */
	int exit_signal;       /* which one */
};

/* How the child is started. */
struct spawn_opts {
	const char *cgroup_procs; /* cgroup.procs of the cgroup to join before exec, or NULL */
	bool set_user;            /* switch to uid/gid (and its supplementary groups) */
	uid_t uid;
	gid_t gid;
	char user_name[64];       /* for initgroups() */
	bool die_with_parent;     /* SIGKILL when warden dies (PR_SET_PDEATHSIG): without a cgroup */
	pid_t parent;             /* warden's pid, set by supervisor__spawn() */
};

void supervisor__init(struct child *c);

/*
 * Resolve "USER[:GROUP]" (names or numbers) into o. 0, or -EINVAL with a
 * reason in err.
 */
int supervisor__resolve_user(const char *spec, struct spawn_opts *o, char *err, size_t errlen);

/*
 * Start argv[0] (searched in PATH) in its own session and process group,
 * its stdout and stderr each on a pipe to us, stdin inherited. The child
 * never keeps warden's privileges: it drops every capability (bounding set
 * included, so exec cannot bring them back) and, with o->set_user, becomes
 * that user. 0 or -errno (an exec failure is the child's exit: 127 not found, 126 not runnable).
 */
int supervisor__spawn(struct child *c, char *const argv[], struct spawn_opts *o);

/* Send sig to the child's whole process group. 0 or -errno. */
int supervisor__signal(struct child *c, int sig);

/* Ask it to stop: SIGTERM to the group, state CHILD_STOPPING. */
int supervisor__stop(struct child *c);

/*
 * Collect every child that has exited: the app (decode its status, close
 * the pidfd, return to CHILD_NONE) and any orphan of it that warden, as a
 * child subreaper, inherited. The pipes stay open until their EOF (the
 * caller drains them). Returns 1 if the app was reaped, 0 if not, -errno.
 */
int supervisor__reap(struct child *c);

/* Become a child subreaper, so that the app's orphans are ours to reap. */
int supervisor__become_subreaper(void);

/* Close whatever is still open (pipes, pidfd). */
void supervisor__close(struct child *c);

/* "exited with status 3" / "killed by SIGKILL", for messages. */
const char *supervisor__describe_exit(const struct child *c, char *buf, size_t len);

#endif
