/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* routes_extract.h - read Flask sources (never run them) into the routes Flask would register. */
#ifndef WARDEN_ROUTES_EXTRACT_H
#define WARDEN_ROUTES_EXTRACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pyval.h"

/* One rule as Flask hands it to Werkzeug's Map.add(). */
struct route_decl {
	char *rule;            /* full rule text (blueprint prefixes applied), owned */
	char *endpoint;        /* owned; NULL when it cannot be known statically */
	char **methods;        /* owned, uppercase, unique, sorted; with HEAD/OPTIONS as added */
	size_t nmethods;
	struct pyval defaults; /* PV_DICT, or PV_NONE without defaults */
	bool strict_slashes;   /* after the Map's default */
	bool merge_slashes;    /* of the rule text, after the Map's default */
	bool build_only;       /* never matched, only built */
	bool redirects;        /* redirect_to= or alias=True: a match is a redirect */
	bool alias;            /* alias=True (orders Werkzeug's build list) */
	bool other_host;       /* subdomain= or host=: never matches the default host */
	char *file;            /* where it was declared, owned */
	int line;
};

struct route_decls {
	struct route_decl *v; /* owned */
	size_t n;
	char **notes;         /* what could not be learned, "file:line: why ...", owned, unique */
	size_t nnotes;
};

/* Add a note (copied) unless it is there; bounded. 0 or -ENOMEM. */
int route_decls__note(struct route_decls *d, const char *text);

/*
 * Read a file (and the local modules it imports) or every *.py under a
 * directory. Rules that cannot be read statically are skipped, each with
 * a note in out->notes naming file:line and why. 0 or -errno with a
 * reason in err.
 */
int routes_extract__path(const char *file_or_dir, struct route_decls *out, char *err, size_t errlen);

/* The same for one in-memory source named name (imports are not followed). */
int routes_extract__source(const char *name, const char *src, size_t len,
			   struct route_decls *out, char *err, size_t errlen);

void routes_extract__free(struct route_decls *d); /* accepts NULL */

#endif
