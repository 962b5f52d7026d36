/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* routes_ext.h - the routes that common Flask extensions register when they are initialised, by version. */
#ifndef WARDEN_ROUTES_EXT_H
#define WARDEN_ROUTES_EXT_H

#include <stdbool.h>
#include <stddef.h>

/* One rule an extension adds to the app (GET, HEAD, OPTIONS). */
struct ext_rule {
	const char *rule;     /* "{static}" stands for the app's static URL path ("/static") */
	const char *endpoint;
};

struct ext_entry {
	const char *module;   /* what the app imports: "flask_bootstrap" */
	const char *cls;      /* the class it initialises: "Bootstrap5" */
	const char *dist;     /* the distribution whose version decides: "Bootstrap-Flask" */
	const char *min, *max; /* versions [min, max) this entry is right for; NULL: open */
	bool debug_only;      /* only when the app runs with DEBUG = True */
	struct ext_rule rules[5]; /* ended by a NULL rule */
};

/*
 * The entries for module.cls whose version range holds the installed
 * version of their distribution (looked for in Debian's and the usual
 * site-packages folders, and in virtualenvs venv/.venv/env under each of
 * roots), at most max into out. When no version is found, every entry for
 * module.cls is given and *version is "". Returns how many.
 */
size_t routes_ext__find(const char *module, const char *cls, const char *const *roots, size_t nroots,
			const struct ext_entry **out, size_t max, char *version, size_t vlen);

/* Whether module.cls is in the table at all. */
bool routes_ext__known(const char *module, const char *cls);

/* The whole table, for documentation and tests; *n gets its size. */
const struct ext_entry *routes_ext__table(size_t *n);

#endif
