// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* sdnotify.c - readiness, status and the watchdog under systemd (Type=notify), through libsystemd. */
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "log.h"
#include "loop.h"
#include "sdnotify.h"
#include "timeutil.h"

struct sdnotify {
	struct loop_timer *watchdog; /* NULL without WatchdogSec= */
	bool ready;
};

static void on_watchdog(void *ctx)
{
	(void)ctx;
	sd_notify(0, "WATCHDOG=1");
}

struct sdnotify *sdnotify__open(struct loop *loop)
{
	struct sdnotify *n;
	uint64_t usec = 0;
	const char *sock = getenv("NOTIFY_SOCKET");

	if (!sock || !*sock)
		return NULL;
	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	/* 0 unless this process is the one the watchdog watches (WATCHDOG_PID). */
	if (sd_watchdog_enabled(0, &usec) > 0 && usec) {
		n->watchdog = loop__add_timer(loop, CLOCK_MONOTONIC, on_watchdog, n);
		if (n->watchdog) {
			loop__timer_arm(n->watchdog, usec * 1000 / 2, usec * 1000 / 2);
			pr_info("systemd watchdog: pinged every %llu ms from the event loop",
				(unsigned long long)(usec / 2000));
		}
	}
	return n;
}

void sdnotify__close(struct sdnotify *n, struct loop *loop)
{
	if (!n)
		return;
	loop__del_timer(loop, n->watchdog);
	free(n);
}

void sdnotify__ready(struct sdnotify *n, const char *why)
{
	if (!n || n->ready)
		return;
	n->ready = true;
	sd_notifyf(0, "READY=1\nSTATUS=%s", why);
	pr_info("told systemd: ready (%s)", why);
}

void sdnotify__status(struct sdnotify *n, const char *status)
{
	if (n)
		sd_notifyf(0, "STATUS=%s", status);
}

void sdnotify__stopping(struct sdnotify *n)
{
	if (n)
		sd_notify(0, "STOPPING=1");
}

bool sdnotify__is_ready(const struct sdnotify *n)
{
	return n && n->ready;
}
