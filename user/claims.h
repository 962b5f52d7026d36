/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* claims.h - which app a followed log belongs to: the [app NAME] sections' globs. */
#ifndef WARDEN_CLAIMS_H
#define WARDEN_CLAIMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/*
 * warden watch follows the logs of several apps; each [app NAME] section
 * claims its logs by globs (on Kubernetes, the CRI names
 * POD_NAMESPACE_CONTAINER-ID.log). A log is judged by the routes of the app
 * that claims it, and a log no app claims only by statuses. Claims are
 * matched on the name the log was found under (a rotated file keeps it).
 * A fail2ban jail's claims are shared: as in fail2ban, several jails (and
 * an app) may read one log, each with its own filter.
 */

#define CLAIMS_UNCLAIMED 0     /* the agent's app 0 */
#define CLAIMS_MAX_SHOWN 32    /* unclaimed logs remembered by name for /z/health */

struct claims;

/*
 * The claims of cfg's [app NAME] sections; app_index[i] is the agent's
 * index of section i. NULL with errno set.
 */
struct claims *claims__new(const struct warden_config *cfg, const int *app_index);
void claims__free(struct claims *c); /* accepts NULL */

/*
 * Refuse what cannot be told apart: one glob in two [app NAME] sections,
 * or a log that exists now and is matched by two of their globs. 0, or -EINVAL
 * with the reason in err.
 */
int claims__check(const struct claims *c, char *err, size_t errlen);

/*
 * The agent's apps for the log found as path: the [app NAME] that claims
 * it, and every fail2ban jail (a shared claim) that follows it; or
 * CLAIMS_UNCLAIMED alone if none. A log two apps claim (one that appeared
 * after the start) goes to the first, said once at warn level. An
 * unclaimed log is remembered (the first CLAIMS_MAX_SHOWN by name, the
 * rest counted). Returns how many (at least 1); *apps is the claims' own,
 * good until the next call.
 */
size_t claims__apps_of(struct claims *c, const char *path, const int **apps);

/*
 * The logs that exist now, match the globs of cfg's top-level follow and
 * no app's: remembered as unclaimed (said at start by the caller). Returns
 * how many there are.
 */
size_t claims__unclaimed_now(struct claims *c, const struct warden_config *cfg);

/* The unclaimed logs seen so far (borrowed names); *more: others were seen, not kept. */
const char *const *claims__unclaimed(const struct claims *c, size_t *n, bool *more);

#endif
