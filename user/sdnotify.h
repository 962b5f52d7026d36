/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* sdnotify.h - readiness, status and the watchdog under systemd (Type=notify), through libsystemd. */
#ifndef WARDEN_SDNOTIFY_H
#define WARDEN_SDNOTIFY_H

#include <stdbool.h>

struct loop;
struct sdnotify;

/*
 * Under a Type=notify unit ($NOTIFY_SOCKET set), and when the unit has
 * WatchdogSec=, a loop timer pings the watchdog at half its period: a
 * stuck loop stops the pings and systemd restarts warden. NULL (nothing to
 * do) when warden does not run under systemd, or when out of memory.
 */
struct sdnotify *sdnotify__open(struct loop *loop);
void sdnotify__close(struct sdnotify *n, struct loop *loop); /* accepts NULL */

/* READY=1 once (with STATUS=why). Accepts NULL. */
void sdnotify__ready(struct sdnotify *n, const char *why);
/* STATUS= for systemctl status. Accepts NULL. */
void sdnotify__status(struct sdnotify *n, const char *status);
/* STOPPING=1. Accepts NULL. */
void sdnotify__stopping(struct sdnotify *n);
bool sdnotify__is_ready(const struct sdnotify *n);

#endif
