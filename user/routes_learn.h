/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* routes_learn.h - where the routes come from: the source, Flask's own url_map, the operator's extra rules. */
#ifndef WARDEN_ROUTES_LEARN_H
#define WARDEN_ROUTES_LEARN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "routes.h"

struct spawn_opts;

/* Flask is asked for at most this long (importing an app may connect to databases...). */
#define ROUTES_FLASK_TIMEOUT_NS (15ULL * 1000000000ULL)

struct routes_learn_opts {
	const char *source;            /* Flask source file or folder (routes__find_source) */
	char *const *cmd;              /* the app's command line, for its interpreter; may be NULL */
	const char *python;            /* the interpreter to use, NULL: the command's */
	bool from_flask;               /* ask Flask first (--routes-from flask) */
	const struct spawn_opts *spawn; /* how the interpreter runs (user; never privileged); NULL: as is */
	const char (*extra)[512];      /* extra_routes: "[METHODS ]RULE" */
	int n_extra;
	uint64_t timeout_ns;           /* 0: ROUTES_FLASK_TIMEOUT_NS */
};

/*
 * Learn the routes: with from_flask, run the app's interpreter once (in a
 * child without warden's capabilities, as the app's user, killed after the
 * timeout) to list app.url_map; on any failure, or without from_flask, read
 * the source. The extra rules are added either way. how gets where they
 * came from ("Flask's url_map", "the source"); a fallback is said with
 * pr_warn and its reason. NULL with errno set and the reason in err when
 * nothing could be learned; the caller owns the result.
 */
struct routes *routes_learn__load(const struct routes_learn_opts *o, char *how, size_t howlen,
				  char *err, size_t errlen);

/*
 * Ask Flask only: the rules of app.url_map as the app's interpreter lists
 * them. NULL with errno set and why it failed in err (the import's last
 * error line, a timeout, no Flask app found...).
 */
struct routes *routes_learn__flask(const struct routes_learn_opts *o, char *err, size_t errlen);

/* The interpreter that runs the app's command (python, or a script's shebang). */
int routes_learn__interpreter(char *const *cmd, char *out, size_t outlen);

#endif
