// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* test_loop.c - the event loop: fds, timers, signals, removal while dispatching. */
#include <errno.h>
#include <signal.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"
#include "testutil.h"

struct counter {
	struct loop *loop;
	int calls;
	int stop_after; /* stop the loop at this many calls */
	int other_fd;   /* removed from the loop by the first call, when >= 0 */
	char last;
};

static void read_one(void *ctx, int fd, uint32_t events)
{
	struct counter *c = ctx;

	(void)events;
	if (read(fd, &c->last, 1) != 1)
		c->last = 0;
	c->calls++;
	if (c->other_fd >= 0) {
		loop__del_fd(c->loop, c->other_fd);
		c->other_fd = -1;
	}
	if (c->calls >= c->stop_after)
		loop__stop(c->loop);
}

static void test_fd_dispatch(void)
{
	struct loop *l = loop__new();
	struct counter c = { .loop = l, .stop_after = 2, .other_fd = -1 };
	int p[2];

	if (!ASSERT_NOT_NULL(l, "new") || !ASSERT_OK(pipe(p), "pipe"))
		goto out;
	ASSERT_OK(loop__add_fd(l, p[0], EPOLLIN, read_one, &c), "add");
	ASSERT_EQ(loop__add_fd(l, p[0], EPOLLIN, read_one, &c), -EEXIST, "added twice refused");
	ASSERT_EQ(write(p[1], "ab", 2), 2, "write");
	ASSERT_OK(loop__run(l), "run");
	ASSERT_EQ(c.calls, 2, "one call per readiness");
	ASSERT_EQ(c.last, 'b', "read in order");
	close(p[0]);
	close(p[1]);
out:
	loop__free(l);
}

static void writable(void *ctx, int fd, uint32_t events)
{
	struct counter *c = ctx;

	(void)fd;
	c->calls++;
	c->last = (events & EPOLLOUT) ? 'w' : '?';
	loop__stop(c->loop);
}

/* An fd waits for other events (hiredis's adapters switch between read and write). */
static void test_mod_fd(void)
{
	struct loop *l = loop__new();
	struct counter c = { .loop = l, .other_fd = -1 };
	int p[2];

	if (!ASSERT_NOT_NULL(l, "new") || !ASSERT_OK(pipe(p), "pipe"))
		goto out;
	ASSERT_EQ(loop__mod_fd(l, p[1], EPOLLOUT), -ENOENT, "not registered");
	/* The write end is never readable: registered for EPOLLIN it waits; for EPOLLOUT it fires. */
	ASSERT_OK(loop__add_fd(l, p[1], EPOLLIN, writable, &c), "add");
	ASSERT_OK(loop__mod_fd(l, p[1], EPOLLOUT), "mod");
	ASSERT_OK(loop__run(l), "run");
	ASSERT_EQ(c.calls, 1, "called once it waits for writing");
	ASSERT_EQ(c.last, 'w', "with EPOLLOUT");
	loop__del_fd(l, p[1]);
	close(p[0]);
	close(p[1]);
out:
	loop__free(l);
}

struct tick {
	struct loop *loop;
	int fired;
	int until;
};

static void on_tick(void *ctx)
{
	struct tick *t = ctx;

	if (++t->fired >= t->until)
		loop__stop(t->loop);
}

/*
 * Two fds ready in one round: whichever is called first removes the other,
 * which is then never called, neither later in that round nor after. A timer
 * ends the loop once the round is long over.
 */
static void test_removed_not_called(void)
{
	struct loop *l = loop__new();
	struct counter a = { .loop = l, .stop_after = 100 }, b = { .loop = l, .stop_after = 100 };
	struct tick end = { .loop = l, .until = 1 };
	struct loop_timer *t;
	int p[2], q[2];

	if (!ASSERT_NOT_NULL(l, "new") || !ASSERT_OK(pipe(p), "pipe") || !ASSERT_OK(pipe(q), "pipe"))
		goto out;
	a.other_fd = q[0];
	b.other_fd = p[0];
	loop__add_fd(l, p[0], EPOLLIN, read_one, &a);
	loop__add_fd(l, q[0], EPOLLIN, read_one, &b);
	ASSERT_EQ(write(p[1], "x", 1), 1, "write p");
	ASSERT_EQ(write(q[1], "y", 1), 1, "write q");
	t = loop__add_timer(l, CLOCK_MONOTONIC, on_tick, &end);
	loop__timer_arm(t, 20000000, 0);
	ASSERT_OK(loop__run(l), "run");
	ASSERT_EQ(a.calls + b.calls, 1, "exactly one of the two was called");
	loop__del_timer(l, t);
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
out:
	loop__free(l);
}

static void test_timers(void)
{
	struct loop *l = loop__new();
	struct tick periodic = { .loop = l, .until = 3 }, never = { .loop = l, .until = 1 };
	struct loop_timer *t1, *t2, *t3;
	struct timespec now;

	if (!ASSERT_NOT_NULL(l, "new"))
		return;
	t1 = loop__add_timer(l, CLOCK_MONOTONIC, on_tick, &periodic);
	t2 = loop__add_timer(l, CLOCK_MONOTONIC, on_tick, &never);
	t3 = loop__add_timer(l, CLOCK_BOOTTIME, on_tick, &never);
	if (!ASSERT_NOT_NULL(t1, "timer") || !ASSERT_NOT_NULL(t2, "timer") ||
	    !ASSERT_NOT_NULL(t3, "timer"))
		goto out;
	loop__timer_arm(t1, 1000000, 1000000); /* 1 ms, every 1 ms */
	/* Armed for an hour, then disarmed; and one removed while armed: neither fires. */
	loop__timer_arm(t2, 3600ULL * 1000000000ULL, 0);
	loop__timer_arm(t2, 0, 0);
	clock_gettime(CLOCK_BOOTTIME, &now);
	loop__timer_arm_at(t3, (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec + 1000);
	loop__del_timer(l, t3);
	ASSERT_OK(loop__run(l), "run");
	ASSERT_EQ(periodic.fired, 3, "periodic timer fired until stopped");
	ASSERT_EQ(never.fired, 0, "disarmed and removed timers never fire");
out:
	loop__del_timer(l, t1);
	loop__del_timer(l, t2);
	loop__free(l);
}

struct sig {
	struct loop *loop;
	int signo;
	int pid;
};

static void on_sig(void *ctx, const struct signalfd_siginfo *si)
{
	struct sig *s = ctx;

	s->signo = (int)si->ssi_signo;
	s->pid = (int)si->ssi_pid;
	loop__stop(s->loop);
}

static void test_signals(void)
{
	struct loop *l = loop__new();
	struct sig s = { .loop = l };
	sigset_t blocked;

	if (!ASSERT_NOT_NULL(l, "new"))
		return;
	ASSERT_OK(loop__on_signal(l, SIGUSR1, on_sig, &s), "on SIGUSR1");
	ASSERT_OK(loop__on_signal(l, SIGUSR2, on_sig, &s), "on SIGUSR2");
	ASSERT_EQ(loop__on_signal(l, 0, on_sig, &s), -EINVAL, "no signal 0");
	sigprocmask(SIG_BLOCK, NULL, &blocked);
	ASSERT_TRUE(sigismember(&blocked, SIGUSR2), "signal blocked for the process");
	/* Pending while blocked: it waits in the signalfd, never in a handler. */
	kill(getpid(), SIGUSR2);
	ASSERT_OK(loop__run(l), "run");
	ASSERT_EQ(s.signo, SIGUSR2, "the signal reached its handler through the loop");
	ASSERT_EQ(s.pid, getpid(), "with its sender");
	loop__free(l);
}

int main(void)
{
	RUN_TEST(test_fd_dispatch);
	RUN_TEST(test_mod_fd);
	RUN_TEST(test_removed_not_called);
	RUN_TEST(test_timers);
	RUN_TEST(test_signals);
	return TEST_EXIT();
}
