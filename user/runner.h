/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* runner.h - the event loop of warden run: the app's output, signals, restarts. */
#ifndef WARDEN_RUNNER_H
#define WARDEN_RUNNER_H

#include "config.h"
#include "xdp_attach.h"

/* warden gave up on the app: --start-retries failed starts, 126/127 at start, --max-restarts. */
#define EXIT_GAVE_UP 69

/*
 * Run cmd under cfg until it ends for good or warden is told to stop.
 * Returns warden's exit status: the app's (its code, or 128 + signal),
 * EXIT_GAVE_UP, or EXIT_USAGE / EXIT_FAIL when setting up failed.
 */
int runner__run(struct warden_config *cfg, char **cmd, enum xdp_loader loader, bool verbose);

#endif
