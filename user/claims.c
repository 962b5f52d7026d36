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
};

struct claims {
	struct claim *list;
	size_t n;
	char last_path[PATH_MAX]; /* the last log asked about, and its app: lines come in runs */
	int last_app;
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
							  .index = app_index[i] };
	c->last_app = -1;
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
		for (k = i + 1; k < c->n; k++)
			if (c->list[k].index != c->list[i].index &&
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
				if (other->index != c->list[i].index)
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

int claims__app_of(struct claims *c, const char *path)
{
	const struct claim *first, *other;

	if (c->last_app >= 0 && !strcmp(c->last_path, path))
		return c->last_app;
	first = match(c, path, 0);
	if (!first) {
		remember_unclaimed(c, path);
	} else {
		for (other = match(c, path, (size_t)(first - c->list) + 1); other;
		     other = match(c, path, (size_t)(other - c->list) + 1))
			if (other->index != first->index)
				break;
		if (other && !in_list(c->warned, c->n_warned, path) &&
		    c->n_warned < CLAIMS_MAX_SHOWN) {
			c->warned[c->n_warned] = strdup(path);
			if (c->warned[c->n_warned])
				c->n_warned++;
			pr_warn("%s is claimed by [app %s] and [app %s]: judged as [app %s]'s; narrow "
				"the globs", path, first->app, other->app, first->app);
		}
	}
	snprintf(c->last_path, sizeof(c->last_path), "%s", path);
	c->last_app = first ? first->index : CLAIMS_UNCLAIMED;
	return c->last_app;
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
