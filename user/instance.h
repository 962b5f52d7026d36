/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* instance.h - one warden run per state folder: its lock, its name, and what a killed one left. */
#ifndef WARDEN_INSTANCE_H
#define WARDEN_INSTANCE_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

/*
 * A warden run instance is its state folder (--state-dir): two wardens
 * never share one, and the folder records the app that runs, so that a
 * warden killed by SIGKILL (it cannot stop its app then) is followed by one
 * that kills what was left before it starts the app again. The app's cgroup
 * is named after the instance for the same reason.
 */
struct instance {
	int lock_fd;              /* STATE_DIR/warden.lock, flock()ed while warden runs; -1 */
	char record[PATH_MAX];    /* STATE_DIR/app.state: the app's session and cgroup */
	char name[96];            /* the folder's base name and a hash of its path */
};

/*
 * Make the state folder, lock it, name the instance. -EBUSY when another
 * warden holds it (its pid in err), -errno otherwise; the reason in err.
 */
int instance__open(struct instance *in, const char *state_dir, char *err, size_t errlen);

/*
 * Kill what the app of a previous warden of this instance left, from the
 * record: its cgroup, unless it is skip_cgroup (the caller's own, handled
 * by cgroup__create()), else its session. Said at warn level; the number
 * of processes killed.
 */
int instance__kill_leftovers(struct instance *in, const char *skip_cgroup);

/* The app started: pid (its session and process group) and its cgroup ("" none). 0 or -errno. */
int instance__record(struct instance *in, pid_t pid, const char *cgroup);

/* Forget the app (nothing of it runs any more) and unlock. Accepts an unopened instance. */
void instance__close(struct instance *in, bool app_gone);

/*
 * Kill every process whose session is sid, pid sid being the one that
 * started at start_ticks (procfs__start_ticks()) if it still runs, and
 * wait (a few seconds at most) until they are gone. The number killed.
 */
int instance__kill_session(pid_t sid, unsigned long long start_ticks);

#endif
