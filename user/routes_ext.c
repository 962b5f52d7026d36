// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* routes_ext.c - the routes that common Flask extensions register when they are initialised, by version. */
#include <ctype.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "routes_ext.h"

/*
 * Read from each extension's source at the versions given (its init_app or
 * constructor). Keep an entry per version range where the URLs changed.
 */
static const struct ext_entry table[] = {
	/* Bootstrap-Flask 2.x: Blueprint('bootstrap', static_url_path=f'/bootstrap{app.static_url_path}') */
	{ "flask_bootstrap", "Bootstrap5", "Bootstrap-Flask", "2.0", NULL, false,
	  { { "/bootstrap{static}/<path:filename>", "bootstrap.static" } } },
	{ "flask_bootstrap", "Bootstrap4", "Bootstrap-Flask", "2.0", NULL, false,
	  { { "/bootstrap{static}/<path:filename>", "bootstrap.static" } } },
	{ "flask_bootstrap", "Bootstrap", "Bootstrap-Flask", "1.0", NULL, false,
	  { { "/bootstrap{static}/<path:filename>", "bootstrap.static" } } },
	/* Flask-Bootstrap 3.x (the original): static_url_path=app.static_url_path + '/bootstrap' */
	{ "flask_bootstrap", "Bootstrap", "Flask-Bootstrap", "3.0", "4.0", false,
	  { { "{static}/bootstrap/<path:filename>", "bootstrap.static" } } },
	/* Flask-Silk 0.2: base.route('/icons/<filename>') */
	{ "flask_silk", "Silk", "Flask-Silk", "0.2", "1.0", false,
	  { { "/icons/<filename>", "silkicon" } } },
	/* Flask-AutoIndex 0.6: '/' and '/<path:path>', its own static and Silk's icons */
	{ "flask_autoindex", "AutoIndex", "Flask-AutoIndex", "0.6", "1.0", false,
	  { { "/__icons__/<filename>", "silkicon" },
	    { "/", "autoindex" },
	    { "/<path:path>", "autoindex" },
	    { "/__autoindex__/<path:filename>", "__autoindex__.static" } } },
	/* Flask-Themes2: Blueprint('_themes', url_prefix='/_themes'), '/<themeid>/<path:filename>' */
	{ "flask_themes2", "Themes", "Flask-Themes2", "0.1", "2.0", false,
	  { { "/_themes/<themeid>/<path:filename>", "_themes.static" } } },
	/* Flask-Admin 1.x: the index view at url='/admin' and its static folder */
	{ "flask_admin", "Admin", "Flask-Admin", "1.0", "2.0", false,
	  { { "/admin/", "admin.index" }, { "/admin/static/<path:filename>", "admin.static" } } },
	/* flask-restx's Api is read like the app's own code (routes_extract.c: its prefix, doc=, namespaces). */
	/* Flask-DebugToolbar: only in debug, its static files */
	{ "flask_debugtoolbar", "DebugToolbarExtension", "Flask-DebugToolbar", "0.10", "1.0", true,
	  { { "/_debug_toolbar/static/<path:filename>", "_debug_toolbar.static" } } },
};

#define N_TABLE (sizeof(table) / sizeof(table[0]))

const struct ext_entry *routes_ext__table(size_t *n)
{
	*n = N_TABLE;
	return table;
}

bool routes_ext__known(const char *module, const char *cls)
{
	size_t i;

	for (i = 0; i < N_TABLE; i++)
		if (!strcmp(table[i].module, module) && !strcmp(table[i].cls, cls))
			return true;
	return false;
}

/* Compare dotted versions numerically, component by component ("0.10" > "0.9"). */
static int vercmp(const char *a, const char *b)
{
	while (*a || *b) {
		long x = strtol(a, (char **)&a, 10), y = strtol(b, (char **)&b, 10);

		if (x != y)
			return x < y ? -1 : 1;
		a += strcspn(a, ".");
		b += strcspn(b, ".");
		if (*a == '.')
			a++;
		if (*b == '.')
			b++;
		if (!isdigit((unsigned char)*a) || !isdigit((unsigned char)*b))
			break;
	}
	return 0;
}

/* The version from "<dir>/<Dist>-<version>[-py3.11].{dist,egg}-info". */
static bool version_of(const char *path, size_t dist_len, char *out, size_t outlen)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	const char *v = base + dist_len + 1;
	size_t n = strspn(v, "0123456789.");

	while (n && v[n - 1] == '.')
		n--;
	if (!n)
		return false;
	snprintf(out, outlen, "%.*s", (int)n, v);
	return true;
}

/* The installed version of dist, searched in the usual places; false when not found. */
static bool installed_version(const char *dist, const char *const *roots, size_t nroots, char *out,
			      size_t outlen)
{
	static const char *const dirs[] = {
		"/usr/lib/python3/dist-packages", "/usr/local/lib/python3*/dist-packages",
		"/usr/lib/python3*/site-packages", "/usr/local/lib/python3*/site-packages",
	};
	static const char *const venvs[] = { "venv", ".venv", "env" };
	char under[8][1024], names[2][128], pattern[1400];
	size_t nunder = 0, i, j, k, l;
	bool found = false;

	/* Distributions are found under their name with '-' or '_' (pip writes either). */
	snprintf(names[0], sizeof(names[0]), "%s", dist);
	snprintf(names[1], sizeof(names[1]), "%s", dist);
	for (i = 0; names[1][i]; i++)
		if (names[1][i] == '-')
			names[1][i] = '_';
	for (i = 0; i < nroots && nunder + 3 <= 8; i++)
		for (j = 0; j < 3; j++)
			snprintf(under[nunder++], sizeof(under[0]), "%s/%s/lib/python3*/site-packages",
				 roots[i] ? roots[i] : ".", venvs[j]);
	/* A virtualenv wins over the system: search it first. */
	for (i = 0; i < nunder + 4 && !found; i++) {
		const char *dir = i < nunder ? under[i] : dirs[i - nunder];

		for (k = 0; k < 2 && !found; k++) {
			static const char *const kinds[] = { "dist-info", "egg-info" };

			for (l = 0; l < 2 && !found; l++) {
				glob_t g;

				snprintf(pattern, sizeof(pattern), "%s/%s-[0-9]*.%s", dir, names[k], kinds[l]);
				if (glob(pattern, GLOB_NOSORT, NULL, &g) == 0 && g.gl_pathc)
					found = version_of(g.gl_pathv[0], strlen(names[k]), out, outlen);
				globfree(&g);
			}
		}
	}
	return found;
}

size_t routes_ext__find(const char *module, const char *cls, const char *const *roots, size_t nroots,
			const struct ext_entry **out, size_t max, char *version, size_t vlen)
{
	char v[64];
	size_t i, n = 0;
	bool any_version = false;

	*version = '\0';
	for (i = 0; i < N_TABLE && n < max; i++) {
		const struct ext_entry *e = &table[i];

		if (strcmp(e->module, module) || strcmp(e->cls, cls))
			continue;
		if (!installed_version(e->dist, roots, nroots, v, sizeof(v)))
			continue;
		any_version = true;
		if ((e->min && vercmp(v, e->min) < 0) || (e->max && vercmp(v, e->max) >= 0))
			continue;
		snprintf(version, vlen, "%s %s", e->dist, v);
		out[n++] = e;
	}
	if (n || any_version)
		return n;
	/* No version found: every entry, so that no user of the extension is banned. */
	for (i = 0; i < N_TABLE && n < max; i++)
		if (!strcmp(table[i].module, module) && !strcmp(table[i].cls, cls))
			out[n++] = &table[i];
	return n;
}
