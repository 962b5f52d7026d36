/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* f2bconf.h - fail2ban's configuration read as fail2ban reads it: jail.conf and friends, filter.d. */
#ifndef WARDEN_F2BCONF_H
#define WARDEN_F2BCONF_H

#include <stdbool.h>
#include <stddef.h>

struct warden_config;

/*
 * Whether path is read as fail2ban's layout: its name is jail.conf or
 * jail.local (the folder around it holds jail.d/, filter.d/ and paths-*.conf).
 */
bool f2bconf__is_layout(const char *path);

/*
 * Read fail2ban's configuration around path as fail2ban does: FOLDER/jail.conf,
 * jail.d/ *.conf, jail.local, jail.d/ *.local (each file followed by its own
 * .local), [INCLUDES] before/after, [DEFAULT], %(name)s, %(section/name)s and
 * %(known/name)s interpolation. Then take the jail named jail, or when jail is
 * NULL the one enabled jail warden can follow, and apply it to c through
 * config__set(): maxretry, findtime, bantime, bantime.*, ignoreip, warden's
 * own keys, logpath as follow patterns, its filter as c->filter. A [warden]
 * section is applied as warden's own. Settings warden has no use for are
 * named in one note (c->notes); settings that would change who is banned
 * if warden ignored them (usedns = yes, ignoreself = false, ignorecommand,
 * bantime.formula, maxlines > 1, ...) are refused with the reason.
 *
 * 0, or -EINVAL (-ENOENT, -ENOMEM) with the reason in err; c unchanged then
 * except for its notes.
 */
int f2bconf__apply(struct warden_config *c, const char *path, const char *jail, char *err,
		   size_t errlen);

/*
 * The same for warden watch with no jail named: every enabled jail warden
 * can follow becomes a jail section of c (config__add_jail_section(): its
 * logpath as follow, its filter, the keys it sets itself), read and checked
 * as f2bconf__apply() would read it alone; [DEFAULT]'s settings and a
 * [warden] section are applied to c. A jail that cannot run (its logpath
 * matches no file, the journal as backend, a refused setting or filter) is
 * skipped, as fail2ban's server skips a wrong jail, with the reason in a
 * note. 0, or -EINVAL when no jail can run (or a file cannot be read),
 * with err; c unchanged then.
 */
int f2bconf__apply_every(struct warden_config *c, const char *path, char *err, size_t errlen);

/* A filter as fail2ban resolves it: every string owned, NULL when not set. */
struct f2b_filter_def {
	char *name;        /* "apache-badbots" */
	char *failregex;   /* lines separated by '\n', tags not yet replaced (<HOST>) */
	char *ignoreregex;
	char *prefregex;
	char *datepattern; /* lines separated by '\n' */
	int maxlines;      /* 1 unless the filter says otherwise */
};

/*
 * Load filter.d/NAME.conf (and .local, and their includes) from dir for the
 * spec "NAME" or "NAME[key=value, key2=\"value\"]" and resolve its
 * [Definition] with its [Init] and the spec's values: %(name)s
 * interpolation, then <name> tags that name options ("<block>"). 0 or
 * -errno with the reason in err.
 */
int f2bconf__filter(const char *dir, const char *spec, struct f2b_filter_def *out, char *err,
		    size_t errlen);
void f2b_filter_def__free(struct f2b_filter_def *d); /* accepts NULL; d itself is not freed */

#endif
