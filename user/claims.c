// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* claims.c - which app a followed log belongs to: the [app NAME] sections' globs. */
#include <errno.h>
#include <fnmatch.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "claims.h"
#include "log.h"

struct claim {
	const char *glob;    /* borrowed from the config */
	const char *app;     /* the section's name, borrowed */
	int index;           /* the agent's app */
	bool shared;         /* a fail2ban jail's: its logs may be other jails' and an app's too */
};

struct claims {
	struct claim *list;
	size_t n;
	char last_path[PATH_MAX]; /* the last log asked about, and its apps: lines come in runs */
	int last_apps[CONFIG_MAX_APPS + 1];
	size_t n_last;
	char *unclaimed[CLAIMS_MAX_SHOWN]; /* owned */
	size_t n_unclaimed;
	bool more;
	char *warned[CLAIMS_MAX_SHOWN];    /* logs claimed twice, said once (owned) */
	size_t n_warned;
};

struct claims *claims__new(const struct warden_config *cfg, const int *app_index)
{
	struct claims *c = calloc(1, sizeof(*c));
	size_t total = 0;
	int i, k;

	if (!c)
		return NULL;
	for (i = 0; i < cfg->n_apps; i++)
		total += (size_t)cfg->apps[i]->n_follow;
	c->list = calloc(total ? total : 1, sizeof(*c->list));
	if (!c->list) {
		free(c);
		return NULL;
	}
	for (i = 0; i < cfg->n_apps; i++)
		for (k = 0; k < cfg->apps[i]->n_follow; k++)
			c->list[c->n++] = (struct claim){ .glob = cfg->apps[i]->follow[k],
							  .app = cfg->apps[i]->name,
							  .index = app_index[i],
							  .shared = cfg->apps[i]->f2b };
	return c;
}

void claims__free(struct claims *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->n_unclaimed; i++)
		free(c->unclaimed[i]);
	for (i = 0; i < c->n_warned; i++)
		free(c->warned[i]);
	free(c->list);
	free(c);
}

/* The first claim matching path at or after from, or NULL. */
static const struct claim *match(const struct claims *c, const char *path, size_t from)
{
	size_t i;

	for (i = from; i < c->n; i++)
		if (!fnmatch(c->list[i].glob, path, FNM_PATHNAME | FNM_PERIOD))
			return &c->list[i];
	return NULL;
}

int claims__check(const struct claims *c, char *err, size_t errlen)
{
	const struct claim *other;
	glob_t g;
	size_t i, k, j;

	for (i = 0; i < c->n; i++) {
		if (c->list[i].shared)
			continue;
		for (k = i + 1; k < c->n; k++)
			if (c->list[k].index != c->list[i].index && !c->list[k].shared &&
			    !strcmp(c->list[i].glob, c->list[k].glob)) {
				snprintf(err, errlen, "[app %s] and [app %s] both follow %s: each log "
					 "belongs to one app", c->list[i].app, c->list[k].app,
					 c->list[i].glob);
				return -EINVAL;
			}
		if (glob(c->list[i].glob, 0, NULL, &g))
			continue;
		for (j = 0; j < g.gl_pathc; j++) {
			for (other = match(c, g.gl_pathv[j], 0); other;
			     other = match(c, g.gl_pathv[j], (size_t)(other - c->list) + 1))
				if (other->index != c->list[i].index && !other->shared)
					break;
			if (other) {
				snprintf(err, errlen, "%s is claimed by [app %s] (%s) and [app %s] (%s): "
					 "each log belongs to one app; narrow the globs",
					 g.gl_pathv[j], c->list[i].app, c->list[i].glob, other->app,
					 other->glob);
				globfree(&g);
				return -EINVAL;
			}
		}
		globfree(&g);
	}
	return 0;
}

static bool in_list(char *const *list, size_t n, const char *path)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(list[i], path))
			return true;
	return false;
}

static void remember_unclaimed(struct claims *c, const char *path)
{
	if (in_list(c->unclaimed, c->n_unclaimed, path))
		return;
	if (c->n_unclaimed == CLAIMS_MAX_SHOWN) {
		c->more = true;
		return;
	}
	c->unclaimed[c->n_unclaimed] = strdup(path);
	if (c->unclaimed[c->n_unclaimed])
		c->n_unclaimed++;
	pr_info("%s is claimed by no [app NAME]: judged by statuses only (fail_status)", path);
}

/* Whether index is among the first n of list. */
static bool has_index(const int *list, size_t n, int index)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (list[i] == index)
			return true;
	return false;
}

size_t claims__apps_of(struct claims *c, const char *path, const int **apps)
{
	const struct claim *first = NULL, *other = NULL, *m;

	*apps = c->last_apps;
	if (c->n_last && !strcmp(c->last_path, path))
		return c->n_last;
	c->n_last = 0;
	for (m = match(c, path, 0); m; m = match(c, path, (size_t)(m - c->list) + 1)) {
		if (m->shared) {
			if (!has_index(c->last_apps, c->n_last, m->index))
				c->last_apps[c->n_last++] = m->index;
		} else if (!first) {
			first = m;
			c->last_apps[c->n_last++] = m->index;
		} else if (!other && m->index != first->index) {
			other = m;
		}
	}
	if (!c->n_last) {
		remember_unclaimed(c, path);
		c->last_apps[c->n_last++] = CLAIMS_UNCLAIMED;
	}
	if (other && !in_list(c->warned, c->n_warned, path) && c->n_warned < CLAIMS_MAX_SHOWN) {
		c->warned[c->n_warned] = strdup(path);
		if (c->warned[c->n_warned])
			c->n_warned++;
		pr_warn("%s is claimed by [app %s] and [app %s]: judged as [app %s]'s; narrow "
			"the globs", path, first->app, other->app, first->app);
	}
	snprintf(c->last_path, sizeof(c->last_path), "%s", path);
	return c->n_last;
}

size_t claims__unclaimed_now(struct claims *c, const struct warden_config *cfg)
{
	size_t n = 0, j;
	glob_t g;
	int i;

	for (i = 0; i < cfg->n_follow; i++) {
		if (glob(cfg->follow[i], 0, NULL, &g))
			continue;
		for (j = 0; j < g.gl_pathc; j++) {
			if (match(c, g.gl_pathv[j], 0))
				continue;
			remember_unclaimed(c, g.gl_pathv[j]);
			n++;
		}
		globfree(&g);
	}
	return n;
}

const char *const *claims__unclaimed(const struct claims *c, size_t *n, bool *more)
{
	*n = c->n_unclaimed;
	*more = c->more;
	return (const char *const *)c->unclaimed;
}
