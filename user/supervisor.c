// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* supervisor.c - the supervised child: spawn it with piped output, signal it, reap it. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <cap-ng.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "supervisor.h"
#include "timeutil.h"

#define SUPERVISOR_PIPE_BYTES (1 << 20) /* each output pipe of the app (Linux default: 64 KiB) */

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

int supervisor__resolve_user(const char *spec, struct spawn_opts *o, char *err, size_t errlen)
{
	char user[64], *colon;
	struct passwd *pw;
	struct group *gr;
	char *end;

	if (snprintf(user, sizeof(user), "%s", spec) >= (int)sizeof(user)) {
		snprintf(err, errlen, "user '%s' is too long", spec);
		return -EINVAL;
	}
	colon = strchr(user, ':');
	if (colon)
		*colon++ = '\0';
	pw = getpwnam(user);
	if (!pw) {
		unsigned long uid = strtoul(user, &end, 10);

		if (!*user || *end || !(pw = getpwuid((uid_t)uid))) {
			snprintf(err, errlen, "no user '%s' on this host", user);
			return -EINVAL;
		}
	}
	o->set_user = true;
	o->uid = pw->pw_uid;
	o->gid = pw->pw_gid;
	snprintf(o->user_name, sizeof(o->user_name), "%s", pw->pw_name);
	if (colon) {
		gr = getgrnam(colon);
		if (!gr) {
			unsigned long gid = strtoul(colon, &end, 10);

			if (!*colon || *end || !(gr = getgrgid((gid_t)gid))) {
				snprintf(err, errlen, "no group '%s' on this host", colon);
				return -EINVAL;
			}
		}
		o->gid = gr->gr_gid;
	}
	return 0;
}

/* Give up warden's privileges for good before exec. */
static int drop_privileges(const struct spawn_opts *o)
{
	if (o && o->set_user) {
		if (initgroups(o->user_name, o->gid) < 0 || setgid(o->gid) < 0 ||
		    setuid(o->uid) < 0)
			return -errno;
	}
	/* No capability, none to regain at exec (bounding set), none ambient. */
	capng_clear(CAPNG_SELECT_ALL);
	if (capng_apply(CAPNG_SELECT_ALL) < 0 && geteuid() == 0)
		return -EPERM;
	return 0;
}

/* Join the app's cgroup before exec, so that everything it starts is in it. */
static void join_cgroup(const char *procs)
{
	int fd;

	if (!procs || !*procs)
		return;
	fd = open(procs, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (write(fd, "0", 1) < 0)
		dprintf(STDERR_FILENO, "warden: cannot join cgroup %s: %s\n", procs, strerror(errno));
	close(fd);
}

/* In the child, between fork and exec (warden has one thread: any call is safe). */
static void child_exec(char *const argv[], int out_w, int err_w, const struct spawn_opts *o)
{
	sigset_t none;
	int err;

	/* Its own session and process group, so that signals reach all it starts. */
	setsid();
	/* Undo what warden blocked for its signalfd, and the SIGPIPE it ignores. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	/* systemd's notify socket and watchdog are warden's: the app must not answer for it. */
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	if (dup2(out_w, STDOUT_FILENO) < 0 || dup2(err_w, STDERR_FILENO) < 0)
		_exit(127);
	join_cgroup(o ? o->cgroup_procs : NULL);
	if (drop_privileges(o) < 0) {
		dprintf(STDERR_FILENO, "warden: cannot drop privileges for %s: %s\n", argv[0],
			strerror(errno));
		_exit(126);
	}
	/* After the change of user, which clears it; if warden died before, go now. */
	if (o && o->die_with_parent &&
	    (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != o->parent))
		raise(SIGKILL);
	execvp(argv[0], argv);
	/* Say why on the stderr pipe: warden forwards it. As a shell: 127 not found, 126 not runnable. */
	err = errno;
	dprintf(STDERR_FILENO, "warden: cannot run %s: %s\n", argv[0], strerror(err));
	_exit(err == ENOENT || err == ENOTDIR ? 127 : 126);
}

int supervisor__spawn(struct child *c, char *const argv[], struct spawn_opts *o)
{
	int out[2] = { -1, -1 }, err[2] = { -1, -1 };
	int ret;
	pid_t pid;

	/* Close-on-exec on our ends; the child's ends are dup2()ed over stdout/stderr. */
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
		ret = -errno;
		goto fail;
	}
	/*
	 * Room for a burst of log lines: fewer wake-ups of warden and of a
	 * busy app between them. Best effort (pipe-max-size may be lower).
	 */
	fcntl(out[0], F_SETPIPE_SZ, SUPERVISOR_PIPE_BYTES);
	fcntl(err[0], F_SETPIPE_SZ, SUPERVISOR_PIPE_BYTES);
	if (o)
		o->parent = getpid();
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		goto fail;
	}
	if (pid == 0)
		child_exec(argv, out[1], err[1], o);

	close(out[1]);
	close(err[1]);
	/*
	 * No setpgid() from our side: a group leader cannot setsid(), and the app
	 * would stay in warden's session. Until its setsid(), supervisor__signal()
	 * reaches it by its pid.
	 */
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

/* Decode exit vs signal and reset the state: here and only here. */
static void record_exit(struct child *c, int status)
{
	if (WIFEXITED(status)) {
		c->exit_status = WEXITSTATUS(status);
		c->exited_by_signal = false;
		c->exit_signal = 0;
	} else {
		c->exit_signal = WTERMSIG(status);
		c->exit_status = 128 + c->exit_signal;
		c->exited_by_signal = true;
	}
	if (c->pidfd >= 0)
		close(c->pidfd);
	c->pidfd = -1;
	c->state = CHILD_NONE;
}

int supervisor__reap(struct child *c)
{
	int status, reaped = 0;
	pid_t pid;

	/* The app and its orphans (we are their subreaper) alike. */
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (c->state != CHILD_NONE && pid == c->pid) {
			record_exit(c, status);
			reaped = 1;
		}
	}
	if (pid < 0 && errno != ECHILD)
		return -errno;
	return reaped;
}

int supervisor__become_subreaper(void)
{
	return prctl(PR_SET_CHILD_SUBREAPER, 1) ? -errno : 0;
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
