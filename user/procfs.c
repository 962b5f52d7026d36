// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* procfs.c - what /proc/PID/stat says of a process. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "procfs.h"

int procfs__stat(pid_t pid, struct procfs_stat *out)
{
	char path[64], buf[1024], *p;
	int ppid, pgrp, session, field, err;
	ssize_t n;
	int fd;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	err = n < 0 ? -errno : 0;
	close(fd);
	if (err)
		return err;
	if (n == 0)
		return -EPROTO;
	buf[n] = '\0';
	/* The command name may hold anything: count fields after its last ')'. */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %c %d %d %d", &out->state, &ppid, &pgrp, &session) != 4)
		return -EPROTO;
	out->ppid = ppid;
	out->pgrp = pgrp;
	out->session = session;
	for (field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (p)
		sscanf(p + 1, "%llu", &out->start_ticks);
	return 0;
}

unsigned long long procfs__start_ticks(pid_t pid)
{
	struct procfs_stat st;

	return procfs__stat(pid, &st) ? 0 : st.start_ticks;
}
