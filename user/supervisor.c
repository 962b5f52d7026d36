// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* supervisor.c - the supervised child: spawn it with piped output, signal it, reap it. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "supervisor.h"
#include "timeutil.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static int pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

void supervisor__init(struct child *c)
{
	memset(c, 0, sizeof(*c));
	c->pidfd = c->out_fd = c->err_fd = -1;
	c->state = CHILD_NONE;
}

/* In the child, between fork and exec: only async-signal-safe calls. */
static void child_exec(char *const argv[], int out_w, int err_w)
{
	sigset_t none;

	/* Its own session and process group, so that signals reach all it starts. */
	setsid();
	/* Undo what warden blocked for its signalfd, and the SIGPIPE it ignores. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (dup2(out_w, STDOUT_FILENO) < 0 || dup2(err_w, STDERR_FILENO) < 0)
		_exit(127);
	execvp(argv[0], argv);
	/* Say why on the stderr pipe: warden forwards it. */
	dprintf(STDERR_FILENO, "warden: cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

int supervisor__spawn(struct child *c, char *const argv[])
{
	int out[2] = { -1, -1 }, err[2] = { -1, -1 };
	int ret;
	pid_t pid;

	/* Close-on-exec on our ends; the child's ends are dup2()ed over stdout/stderr. */
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
		ret = -errno;
		goto fail;
	}
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		goto fail;
	}
	if (pid == 0)
		child_exec(argv, out[1], err[1]);

	close(out[1]);
	close(err[1]);
	/* Also make it the group leader from our side, so no signal can race setsid(). */
	setpgid(pid, pid);
	c->pid = pid;
	c->pidfd = pidfd_open(pid);
	if (c->pidfd < 0) {
		ret = -errno;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		close(out[0]);
		close(err[0]);
		c->pid = 0;
		return ret;
	}
	fcntl(c->pidfd, F_SETFD, FD_CLOEXEC);
	c->out_fd = out[0];
	c->err_fd = err[0];
	fcntl(c->out_fd, F_SETFL, O_NONBLOCK);
	fcntl(c->err_fd, F_SETFL, O_NONBLOCK);
	c->state = CHILD_RUNNING;
	c->started_ns = time__mono_ns();
	c->exit_status = 0;
	c->exited_by_signal = false;
	c->exit_signal = 0;
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (out[i] >= 0)
			close(out[i]);
		if (err[i] >= 0)
			close(err[i]);
	}
	return ret;
}

int supervisor__signal(struct child *c, int sig)
{
	if (c->state == CHILD_NONE || c->pid <= 0)
		return -ESRCH;
	if (kill(-c->pid, sig) < 0 && kill(c->pid, sig) < 0)
		return -errno;
	return 0;
}

int supervisor__stop(struct child *c)
{
	int err = supervisor__signal(c, SIGTERM);

	if (c->state == CHILD_RUNNING)
		c->state = CHILD_STOPPING;
	return err;
}

int supervisor__reap(struct child *c)
{
	siginfo_t info;

	if (c->state == CHILD_NONE)
		return 0;
	memset(&info, 0, sizeof(info));
	if (waitid(P_PID, (id_t)c->pid, &info, WEXITED | WNOHANG) < 0)
		return -errno;
	if (info.si_pid == 0)
		return 0;

	/* Decode exit vs signal, and reset the state, here and only here. */
	if (info.si_code == CLD_EXITED) {
		c->exit_status = info.si_status;
		c->exited_by_signal = false;
		c->exit_signal = 0;
	} else {
		c->exit_signal = info.si_status;
		c->exit_status = 128 + info.si_status;
		c->exited_by_signal = true;
	}
	if (c->pidfd >= 0)
		close(c->pidfd);
	c->pidfd = -1;
	c->state = CHILD_NONE;
	return 1;
}

void supervisor__close(struct child *c)
{
	if (c->pidfd >= 0)
		close(c->pidfd);
	if (c->out_fd >= 0)
		close(c->out_fd);
	if (c->err_fd >= 0)
		close(c->err_fd);
	c->pidfd = c->out_fd = c->err_fd = -1;
}

const char *supervisor__describe_exit(const struct child *c, char *buf, size_t len)
{
	if (c->exited_by_signal)
		snprintf(buf, len, "killed by signal %d (%s)", c->exit_signal,
			 strsignal(c->exit_signal));
	else
		snprintf(buf, len, "exited with status %d", c->exit_status);
	return buf;
}
