/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* loop.h - the one event loop of every long-running command: fds, timers, signals. */
#ifndef WARDEN_LOOP_H
#define WARDEN_LOOP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/signalfd.h>

/*
 * In the style of redis's ae.c: a part of warden registers a file
 * descriptor with a callback and its own context, and the loop calls it
 * when the fd is ready. Timers are timerfds and signals arrive through one
 * signalfd, so that everything is an fd on one epoll set and nothing runs
 * in a signal handler. No polling, no sleeps: the loop waits in epoll_wait.
 *
 * A callback may add or remove any registration, its own included, and may
 * stop the loop; a registration removed during a round of events is never
 * called again in that round.
 */

struct loop;
struct loop_timer;

/* fd is ready for events (EPOLLIN, EPOLLPRI, EPOLLHUP ...). */
typedef void (*loop_fd_fn)(void *ctx, int fd, uint32_t events);
/* A timer fired (the expirations are read already). */
typedef void (*loop_timer_fn)(void *ctx);
/* A signal arrived. */
typedef void (*loop_signal_fn)(void *ctx, const struct signalfd_siginfo *si);

/* NULL with errno set. */
struct loop *loop__new(void);
/* Closes the timers' and the signals' fds, never the fds added with loop__add_fd(). */
void loop__free(struct loop *l); /* accepts NULL */

/* Call fn(ctx, fd, events) when fd is ready; 0 or -errno (-EEXIST if fd is registered). */
int loop__add_fd(struct loop *l, int fd, uint32_t events, loop_fd_fn fn, void *ctx);
/* Wait for other events on a registered fd; 0 or -errno (-ENOENT if it is not registered). */
int loop__mod_fd(struct loop *l, int fd, uint32_t events);
/* Forget fd (the caller closes it, after this). Accepts fd < 0 and unknown fds. */
void loop__del_fd(struct loop *l, int fd);

/*
 * A timer, disarmed until loop__timer_arm(). clock is CLOCK_MONOTONIC or
 * CLOCK_BOOTTIME (which keeps counting in suspend). NULL with errno set.
 */
struct loop_timer *loop__add_timer(struct loop *l, int clock, loop_timer_fn fn, void *ctx);
/* Fire after first_ns (0 disarms), then every every_ns (0: once). */
void loop__timer_arm(struct loop_timer *t, uint64_t first_ns, uint64_t every_ns);
/* Fire once at the absolute time at_ns of the timer's clock. */
void loop__timer_arm_at(struct loop_timer *t, uint64_t at_ns);
void loop__del_timer(struct loop *l, struct loop_timer *t); /* accepts NULL */

/*
 * Deliver signo through the loop to fn (one handler per signal; a later
 * call replaces it). The signal is blocked for the whole process, so it
 * reaches the loop and never a handler. 0 or -errno.
 */
int loop__on_signal(struct loop *l, int signo, loop_signal_fn fn, void *ctx);

/*
 * A pollable set, for a module that owns several fds and shows its caller
 * one (as libbpf's ring_buffer__epoll_fd() does): the set's fd is readable
 * when one of its members is. It goes on a loop like any fd; the module
 * then does its work and calls loop__pollset_drain(). Close it with close().
 */
int loop__pollset_new(void);                          /* the set's fd, or -errno */
int loop__pollset_add(int set, int fd, uint32_t events); /* 0 or -errno */
void loop__pollset_drain(int set);                    /* take its ready list, never waiting */

/* Wait and dispatch until loop__stop(); 0, or -errno if epoll_wait failed. */
int loop__run(struct loop *l);
/* Leave loop__run() after the current callback (the rest of that round is not dispatched). */
void loop__stop(struct loop *l);
bool loop__stopped(const struct loop *l);

#endif
