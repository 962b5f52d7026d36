// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* loop.c - the one event loop of every long-running command: fds, timers, signals. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"

#define MAX_EVENTS 16
#define NSEC_PER_SEC 1000000000ULL

/* One registered fd. Removed entries wait in the graveyard until the round ends. */
struct loop_entry {
	int fd;
	loop_fd_fn fn;
	void *ctx;
	bool dead;               /* removed: never called again */
	struct loop_entry *next; /* in the live list or the graveyard */
};

struct loop_timer {
	struct loop *loop;
	int fd;
	loop_timer_fn fn;
	void *ctx;
};

struct loop {
	int epfd;
	bool stopped;
	struct loop_entry *entries;   /* live registrations */
	struct loop_entry *graveyard; /* removed during this round, freed after it */
	int sigfd;                    /* -1 until the first loop__on_signal() */
	sigset_t signals;             /* the signals delivered through sigfd */
	struct {
		loop_signal_fn fn;
		void *ctx;
	} handlers[_NSIG];
};

struct loop *loop__new(void)
{
	struct loop *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->sigfd = -1;
	sigemptyset(&l->signals);
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		int err = errno;

		free(l);
		errno = err;
		return NULL;
	}
	/* A peer that hangs up on a socket or pipe is an error return, never a signal. */
	signal(SIGPIPE, SIG_IGN);
	return l;
}

static void free_list(struct loop_entry *e)
{
	while (e) {
		struct loop_entry *next = e->next;

		free(e);
		e = next;
	}
}

void loop__free(struct loop *l)
{
	if (!l)
		return;
	free_list(l->entries);
	free_list(l->graveyard);
	if (l->sigfd >= 0)
		close(l->sigfd);
	close(l->epfd);
	free(l);
}

int loop__add_fd(struct loop *l, int fd, uint32_t events, loop_fd_fn fn, void *ctx)
{
	struct epoll_event ev = { .events = events };
	struct loop_entry *e;

	if (fd < 0)
		return -EBADF;
	for (e = l->entries; e; e = e->next)
		if (e->fd == fd)
			return -EEXIST;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	*e = (struct loop_entry){ .fd = fd, .fn = fn, .ctx = ctx, .next = l->entries };
	ev.data.ptr = e;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		int err = -errno;

		free(e);
		return err;
	}
	l->entries = e;
	return 0;
}

int loop__mod_fd(struct loop *l, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events };
	struct loop_entry *e;

	for (e = l->entries; e; e = e->next)
		if (e->fd == fd)
			break;
	if (!e)
		return -ENOENT;
	ev.data.ptr = e;
	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) ? -errno : 0;
}

void loop__del_fd(struct loop *l, int fd)
{
	struct loop_entry **pp, *e;

	if (!l || fd < 0)
		return;
	for (pp = &l->entries; (e = *pp); pp = &e->next) {
		if (e->fd != fd)
			continue;
		*pp = e->next;
		epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
		/* Its event may still be pending in this round: it must find a dead entry. */
		e->dead = true;
		e->next = l->graveyard;
		l->graveyard = e;
		return;
	}
}

/* ---- timers ---- */

static void timer_ready(void *ctx, int fd, uint32_t events)
{
	struct loop_timer *t = ctx;
	uint64_t expirations;

	(void)events;
	if (read(fd, &expirations, sizeof(expirations)) != sizeof(expirations))
		return; /* disarmed or re-armed since it fired */
	t->fn(t->ctx);
}

struct loop_timer *loop__add_timer(struct loop *l, int clock, loop_timer_fn fn, void *ctx)
{
	struct loop_timer *t = calloc(1, sizeof(*t));
	int err;

	if (!t)
		return NULL;
	*t = (struct loop_timer){ .loop = l, .fn = fn, .ctx = ctx };
	t->fd = timerfd_create(clock, TFD_NONBLOCK | TFD_CLOEXEC);
	if (t->fd < 0) {
		err = errno;
		free(t);
		errno = err;
		return NULL;
	}
	err = loop__add_fd(l, t->fd, EPOLLIN, timer_ready, t);
	if (err) {
		close(t->fd);
		free(t);
		errno = -err;
		return NULL;
	}
	return t;
}

static struct timespec ts_of(uint64_t ns)
{
	return (struct timespec){ .tv_sec = (time_t)(ns / NSEC_PER_SEC),
				  .tv_nsec = (long)(ns % NSEC_PER_SEC) };
}

void loop__timer_arm(struct loop_timer *t, uint64_t first_ns, uint64_t every_ns)
{
	struct itimerspec its = { .it_value = ts_of(first_ns), .it_interval = ts_of(every_ns) };

	if (t)
		timerfd_settime(t->fd, 0, &its, NULL);
}

void loop__timer_arm_at(struct loop_timer *t, uint64_t at_ns)
{
	/* 0 would disarm: the earliest time there is means "now". */
	struct itimerspec its = { .it_value = ts_of(at_ns ? at_ns : 1) };

	if (t)
		timerfd_settime(t->fd, TFD_TIMER_ABSTIME, &its, NULL);
}

void loop__del_timer(struct loop *l, struct loop_timer *t)
{
	if (!t)
		return;
	loop__del_fd(l, t->fd);
	close(t->fd);
	free(t);
}

/* ---- signals ---- */

static void signals_ready(void *ctx, int fd, uint32_t events)
{
	struct loop *l = ctx;
	struct signalfd_siginfo si;

	(void)events;
	while (!l->stopped && read(fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo < _NSIG && l->handlers[si.ssi_signo].fn)
			l->handlers[si.ssi_signo].fn(l->handlers[si.ssi_signo].ctx, &si);
	}
}

int loop__on_signal(struct loop *l, int signo, loop_signal_fn fn, void *ctx)
{
	sigset_t one;
	int fd, err;

	if (signo <= 0 || signo >= _NSIG)
		return -EINVAL;
	l->handlers[signo].fn = fn;
	l->handlers[signo].ctx = ctx;
	sigaddset(&l->signals, signo);
	/* Blocked for the whole process, so it waits in the signalfd for the loop. */
	sigemptyset(&one);
	sigaddset(&one, signo);
	if (sigprocmask(SIG_BLOCK, &one, NULL))
		return -errno;
	fd = signalfd(l->sigfd, &l->signals, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (l->sigfd < 0) {
		l->sigfd = fd;
		err = loop__add_fd(l, fd, EPOLLIN, signals_ready, l);
		if (err)
			return err;
	}
	return 0;
}

/* ---- pollable sets ---- */

int loop__pollset_new(void)
{
	int fd = epoll_create1(EPOLL_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int loop__pollset_add(int set, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };

	return epoll_ctl(set, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

void loop__pollset_drain(int set)
{
	struct epoll_event evs[MAX_EVENTS];

	while (epoll_wait(set, evs, MAX_EVENTS, 0) == MAX_EVENTS)
		;
}

/* ---- running ---- */

int loop__run(struct loop *l)
{
	struct epoll_event evs[MAX_EVENTS];
	int n, i;

	l->stopped = false;
	while (!l->stopped) {
		n = epoll_wait(l->epfd, evs, MAX_EVENTS, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		for (i = 0; i < n && !l->stopped; i++) {
			struct loop_entry *e = evs[i].data.ptr;

			if (!e->dead)
				e->fn(e->ctx, e->fd, evs[i].events);
		}
		free_list(l->graveyard);
		l->graveyard = NULL;
	}
	return 0;
}

void loop__stop(struct loop *l)
{
	l->stopped = true;
}

bool loop__stopped(const struct loop *l)
{
	return l->stopped;
}
