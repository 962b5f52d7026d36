/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* procfs.h - what /proc/PID/stat says of a process. */
#ifndef WARDEN_PROCFS_H
#define WARDEN_PROCFS_H

#include <sys/types.h>

/* The fields of /proc/PID/stat that warden reads (proc(5) numbers them). */
struct procfs_stat {
	char state;                     /* field 3: R, S, D, Z, X, ... */
	pid_t ppid;                     /* field 4: the parent */
	pid_t pgrp;                     /* field 5: the process group */
	pid_t session;                  /* field 6: the session */
	unsigned long long start_ticks; /* field 22: clock ticks after boot; 0 when unreadable */
};

/*
 * Read /proc/PID/stat into *out. The command name (field 2) may hold
 * spaces and parentheses: fields are counted after its last ')'.
 * 0, or -errno (-ENOENT: no such process; -EPROTO: a line it cannot read).
 */
int procfs__stat(pid_t pid, struct procfs_stat *out);

/* starttime of pid (clock ticks after boot); 0 when unknown. */
unsigned long long procfs__start_ticks(pid_t pid);

#endif
