// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* f2bconf.c - fail2ban's configuration read as fail2ban reads it: jail.conf and friends, filter.d. */
#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "config.h"
#include "f2bconf.h"
#include "f2bfilter.h"

/*
 * fail2ban reads its files with Python's configparser (fail2ban/client/
 * configparserinc.py): keys lowercased, indented lines continue a value,
 * ';' and '#' comment lines, " ;" inline comments, a key or section twice
 * in one file refused. libinih reads that syntax; the layers on top (files
 * in fail2ban's order, includes, KNOWN/ sections, interpolation) are here.
 */

#define MAX_FILES 256       /* files read for one configuration, includes too */
#define MAX_INCLUDE_DEPTH 16
#define MAX_INTERP_DEPTH 10 /* Python's MAX_INTERPOLATION_DEPTH */
#define MAX_VALUE (64 * 1024)
#define LINE_MAX_LEN 16384

struct opt {
	char *key;   /* lowercased */
	char *value; /* continuation lines joined with '\n' */
};

struct section {
	char *name;
	struct opt *opts;
	int n, cap;
};

struct ini {
	struct section *secs; /* [DEFAULT] is a section like the others here */
	int n, cap;
};

static int fail(char *err, size_t len, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t len, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err && len) {
		va_start(ap, fmt);
		vsnprintf(err, len, fmt, ap);
		va_end(ap);
	}
	return ret;
}

/* ---- the store ---- */

static void ini_free(struct ini *ini)
{
	int i, k;

	for (i = 0; i < ini->n; i++) {
		for (k = 0; k < ini->secs[i].n; k++) {
			free(ini->secs[i].opts[k].key);
			free(ini->secs[i].opts[k].value);
		}
		free(ini->secs[i].opts);
		free(ini->secs[i].name);
	}
	free(ini->secs);
	memset(ini, 0, sizeof(*ini));
}

static struct section *find_section(const struct ini *ini, const char *name)
{
	int i;

	for (i = 0; i < ini->n; i++)
		if (!strcmp(ini->secs[i].name, name))
			return &ini->secs[i];
	return NULL;
}

static struct section *add_section(struct ini *ini, const char *name)
{
	struct section *s = find_section(ini, name);

	if (s)
		return s;
	if (ini->n == ini->cap) {
		int cap = ini->cap ? ini->cap * 2 : 16;
		struct section *n = realloc(ini->secs, (size_t)cap * sizeof(*n));

		if (!n)
			return NULL;
		ini->secs = n;
		ini->cap = cap;
	}
	s = &ini->secs[ini->n];
	memset(s, 0, sizeof(*s));
	s->name = strdup(name);
	if (!s->name)
		return NULL;
	ini->n++;
	return s;
}

static struct opt *find_opt(const struct section *s, const char *key)
{
	int i;

	if (!s)
		return NULL;
	for (i = 0; i < s->n; i++)
		if (!strcmp(s->opts[i].key, key))
			return &s->opts[i];
	return NULL;
}

/* Set key to value (copied), replacing an earlier value. 0 or -ENOMEM. */
static int set_opt(struct section *s, const char *key, const char *value)
{
	struct opt *o = find_opt(s, key);
	char *v = strdup(value);

	if (!v)
		return -ENOMEM;
	if (o) {
		free(o->value);
		o->value = v;
		return 0;
	}
	if (s->n == s->cap) {
		int cap = s->cap ? s->cap * 2 : 16;
		struct opt *n = realloc(s->opts, (size_t)cap * sizeof(*n));

		if (!n) {
			free(v);
			return -ENOMEM;
		}
		s->opts = n;
		s->cap = cap;
	}
	o = &s->opts[s->n];
	o->key = strdup(key);
	if (!o->key) {
		free(v);
		return -ENOMEM;
	}
	o->value = v;
	s->n++;
	return 0;
}

/* ---- one file ---- */

struct file_ctx {
	struct ini *ini;
	FILE *f;
	const char *path;
	int lineno;
	bool indented;      /* the line inih works on starts with a blank */
	struct section *cur;
	struct opt *last;   /* the key an indented line continues */
	char **seen_secs;   /* sections of this file, to refuse one given twice */
	int n_seen;
	bool failed;
	int ret;
	char msg[512];
};

static void file_fail(struct file_ctx *x, int ret, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void file_fail(struct file_ctx *x, int ret, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (x->failed)
		return;
	x->failed = true;
	x->ret = ret;
	n = snprintf(x->msg, sizeof(x->msg), "%s:%d: ", x->path, x->lineno);
	va_start(ap, fmt);
	vsnprintf(x->msg + n, sizeof(x->msg) - (size_t)n, fmt, ap);
	va_end(ap);
}

/* inih's reader: one line per call (so that lineno is inih's), NUL bytes and long lines refused. */
static char *file_reader(char *str, int num, void *stream)
{
	struct file_ctx *x = stream;
	int ch, n = 0;
	const char *p;

	if (x->failed)
		return NULL;
	while ((ch = getc(x->f)) != EOF) {
		if (ch == '\0') {
			x->lineno++;
			file_fail(x, -EINVAL, "NUL byte: not a text file");
			return NULL;
		}
		if (n >= num - 1) {
			x->lineno++;
			file_fail(x, -EINVAL, "line longer than %d bytes", num - 2);
			return NULL;
		}
		str[n++] = (char)ch;
		if (ch == '\n')
			break;
	}
	if (!n)
		return NULL;
	str[n] = '\0';
	x->lineno++;
	p = str;
	if (x->lineno == 1 && !strncmp(p, "\xef\xbb\xbf", 3))
		p += 3;
	x->indented = *p == ' ' || *p == '\t';
	p += strspn(p, " \t");
	if (*p == '[' && !x->indented) {
		const char *end = strchr(p, ']');

		x->last = NULL;
		if (end) {
			char name[256];
			int i;

			snprintf(name, sizeof(name), "%.*s", (int)(end - p - 1), p + 1);
			/* configparser: a section given twice in one file is an error. */
			for (i = 0; i < x->n_seen; i++) {
				if (!strcmp(x->seen_secs[i], name)) {
					file_fail(x, -EINVAL, "section [%s] given twice", name);
					return NULL;
				}
			}
			if (x->n_seen < 1024) {
				char **n2 = realloc(x->seen_secs,
						    (size_t)(x->n_seen + 1) * sizeof(*n2));

				if (!n2 || !(n2[x->n_seen] = strdup(name))) {
					if (n2)
						x->seen_secs = n2;
					file_fail(x, -ENOMEM, "out of memory");
					return NULL;
				}
				x->seen_secs = n2;
				x->n_seen++;
			}
			x->cur = add_section(x->ini, name);
			if (!x->cur) {
				file_fail(x, -ENOMEM, "out of memory");
				return NULL;
			}
		}
	}
	return str;
}

static int file_handler(void *user, const char *section, const char *name, const char *value)
{
	struct file_ctx *x = user;
	char key[128];
	size_t i;

	if (x->failed)
		return 0;
	if (!*section || !x->cur) {
		file_fail(x, -EINVAL, "'%s' is outside any section", name);
		return 0;
	}
	if (x->indented && x->last) {
		/* A continuation line: configparser joins the lines with '\n'. */
		size_t a = strlen(x->last->value), b = strlen(value);
		char *v;

		if (a + b + 2 > MAX_VALUE) {
			file_fail(x, -EINVAL, "value of '%s' longer than %d bytes", x->last->key,
				  MAX_VALUE);
			return 0;
		}
		v = realloc(x->last->value, a + b + 2);
		if (!v) {
			file_fail(x, -ENOMEM, "out of memory");
			return 0;
		}
		v[a] = '\n';
		memcpy(v + a + 1, value, b + 1);
		x->last->value = v;
		return 1;
	}
	for (i = 0; name[i] && i + 1 < sizeof(key); i++)
		key[i] = (char)tolower((unsigned char)name[i]);
	key[i] = '\0';
	if (find_opt(x->cur, key)) {
		file_fail(x, -EINVAL, "'%s' is set twice in [%s]", key, x->cur->name);
		return 0;
	}
	if (set_opt(x->cur, key, value)) {
		file_fail(x, -ENOMEM, "out of memory");
		return 0;
	}
	x->last = find_opt(x->cur, key);
	return 1;
}

/* Read one file into ini (fresh). 0, -ENOENT when it does not exist, or -errno with err. */
static int read_file(const char *path, struct ini *ini, char *err, size_t errlen)
{
	struct file_ctx x = { .ini = ini, .path = path };
	struct stat st;
	int rc, saved, i;

	memset(ini, 0, sizeof(*ini));
	x.f = fopen(path, "re");
	if (!x.f) {
		int e = -errno;

		return fail(err, errlen, e, "%s: %s", path, strerror(-e));
	}
	if (fstat(fileno(x.f), &st) || !S_ISREG(st.st_mode)) {
		fclose(x.f);
		return fail(err, errlen, -EINVAL, "%s: not a regular file", path);
	}
	/* Debian's libinih sizes its line buffer at run time (see config.c). */
	saved = ini_max_line;
	ini_max_line = LINE_MAX_LEN + 1;
	rc = ini_parse_stream(file_reader, &x, file_handler, &x);
	ini_max_line = saved;
	fclose(x.f);
	for (i = 0; i < x.n_seen; i++)
		free(x.seen_secs[i]);
	free(x.seen_secs);
	if (x.failed) {
		ini_free(ini);
		return fail(err, errlen, x.ret, "%s", x.msg);
	}
	if (rc == -2) {
		ini_free(ini);
		return fail(err, errlen, -ENOMEM, "%s: out of memory", path);
	}
	if (rc) {
		ini_free(ini);
		return fail(err, errlen, -EINVAL,
			    "%s:%d: syntax error: expected [section], key = value or a comment", path,
			    rc);
	}
	return 0;
}

/* ---- files in fail2ban's order, with their includes ---- */

struct file_list {
	char *path[MAX_FILES];
	int n;
};

static void file_list_free(struct file_list *l)
{
	int i;

	for (i = 0; i < l->n; i++)
		free(l->path[i]);
	l->n = 0;
}

static int file_list_add(struct file_list *l, const char *path, char *err, size_t errlen)
{
	if (l->n == MAX_FILES)
		return fail(err, errlen, -EINVAL, "more than %d configuration files", MAX_FILES);
	l->path[l->n] = strdup(path);
	if (!l->path[l->n])
		return fail(err, errlen, -ENOMEM, "out of memory");
	l->n++;
	return 0;
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static int collect(const char *resource, const char **chain, int depth, struct file_list *out,
		   char *err, size_t errlen);
static int collect_with_local_given(const char *resource, const struct file_list *given,
				    const char **chain, int depth, struct file_list *out,
				    char *err, size_t errlen);

/* The folder of path ("." for a bare name). */
static void parent_dir(const char *path, char *dir, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(dir, len, ".");
	else if (slash == path)
		snprintf(dir, len, "/");
	else
		snprintf(dir, len, "%.*s", (int)(slash - path), path);
}

/*
 * fail2ban's _expandConfFilesWithLocal(): each file is followed by its .local
 * when there is one, unless that .local is one of the files given (given:
 * the list fail2ban's ConfigReader passes, NULL for includes).
 */
static int collect_with_local(const char *resource, const char **chain, int depth,
			      struct file_list *out, char *err, size_t errlen)
{
	return collect_with_local_given(resource, NULL, chain, depth, out, err, errlen);
}

static int collect_with_local_given(const char *resource, const struct file_list *given,
				    const char **chain, int depth, struct file_list *out,
				    char *err, size_t errlen)
{
	char local[4096];
	const char *dot = strrchr(resource, '.'), *slash = strrchr(resource, '/');
	int ret, i;

	ret = collect(resource, chain, depth, out, err, errlen);
	if (ret)
		return ret;
	if (dot && (!slash || dot > slash))
		snprintf(local, sizeof(local), "%.*s.local", (int)(dot - resource), resource);
	else
		snprintf(local, sizeof(local), "%s.local", resource);
	for (i = 0; given && i < given->n; i++)
		if (!strcmp(given->path[i], local))
			return 0;
	if (strcmp(local, resource) && exists(local))
		return collect(local, chain, depth, out, err, errlen);
	return 0;
}

static int collect_includes(const char *resource, const struct section *inc, const char *which,
			    const char **chain, int depth, struct file_list *out, char *err,
			    size_t errlen)
{
	const struct opt *o = find_opt(inc, which);
	char *copy, *line, *save = NULL, dir[4096], path[8192];
	int ret = 0, i;

	if (!o)
		return 0;
	parent_dir(resource, dir, sizeof(dir));
	copy = strdup(o->value);
	if (!copy)
		return fail(err, errlen, -ENOMEM, "out of memory");
	for (line = strtok_r(copy, "\n", &save); line && !ret; line = strtok_r(NULL, "\n", &save)) {
		line += strspn(line, " \t");
		if (!*line)
			continue;
		if (line[0] == '/')
			snprintf(path, sizeof(path), "%s", line);
		else
			snprintf(path, sizeof(path), "%s/%s", dir, line);
		for (i = 0; i < depth; i++) {
			if (!strcmp(chain[i], path)) {
				char loop[1024] = "";
				int k;

				for (k = i; k < depth; k++)
					snprintf(loop + strlen(loop), sizeof(loop) - strlen(loop),
						 "%s -> ", chain[k]);
				ret = fail(err, errlen, -EINVAL, "include loop: %s%s", loop, path);
				break;
			}
		}
		if (!ret)
			ret = collect_with_local(path, chain, depth, out, err, errlen);
	}
	free(copy);
	return ret;
}

/*
 * fail2ban's __getIncludesUncached(): the before-files of resource, resource,
 * its after-files, depth first. A file that does not exist (stat() fails:
 * missing, under a file, a name too long) is skipped as fail2ban does;
 * a file that includes itself, directly or not, is refused (fail2ban would
 * skip the repeat silently).
 */
static int collect(const char *resource, const char **chain, int depth, struct file_list *out,
		   char *err, size_t errlen)
{
	struct ini ini;
	const struct section *inc;
	int ret;

	if (depth == MAX_INCLUDE_DEPTH)
		return fail(err, errlen, -EINVAL, "%s: includes nested deeper than %d", resource,
			    MAX_INCLUDE_DEPTH);
	/* fail2ban's os.path.exists(): no such file, a path through a file, too long... */
	if (!exists(resource))
		return 0;
	ret = read_file(resource, &ini, err, errlen);
	if (ret)
		return ret;
	chain[depth] = resource;
	inc = find_section(&ini, "INCLUDES");
	ret = collect_includes(resource, inc, "before", chain, depth + 1, out, err, errlen);
	if (!ret)
		ret = file_list_add(out, resource, err, errlen);
	if (!ret)
		ret = collect_includes(resource, inc, "after", chain, depth + 1, out, err, errlen);
	ini_free(&ini);
	return ret;
}

/*
 * Read the files of l in order into one store, as fail2ban's read() merges
 * them: later values replace earlier ones, and the values they replace stay
 * reachable as KNOWN/SECTION (for %(known/name)s).
 */
static int merge_files(const struct file_list *l, struct ini *all, char *err, size_t errlen)
{
	int f, i, k, ret;

	for (f = 0; f < l->n; f++) {
		struct ini one;

		ret = read_file(l->path[f], &one, err, errlen);
		if (ret)
			return ret;
		for (i = 0; i < one.n; i++) {
			const struct section *src = &one.secs[i];
			struct section *dst = find_section(all, src->name), *known = NULL;
			char kname[300];

			if (dst && strcmp(src->name, "DEFAULT")) {
				snprintf(kname, sizeof(kname), "KNOWN/%s", src->name);
				known = add_section(all, kname);
				dst = find_section(all, src->name); /* add_section may move it */
				if (!known)
					goto nomem;
				for (k = 0; k < src->n; k++) {
					const struct opt *old = find_opt(dst, src->opts[k].key);

					if (old && set_opt(known, old->key, old->value))
						goto nomem;
				}
			}
			if (!dst)
				dst = add_section(all, src->name);
			if (!dst)
				goto nomem;
			for (k = 0; k < src->n; k++)
				if (set_opt(dst, src->opts[k].key, src->opts[k].value))
					goto nomem;
		}
		ini_free(&one);
		continue;
nomem:
		ini_free(&one);
		return fail(err, errlen, -ENOMEM, "out of memory");
	}
	return 0;
}

/* Read resource with its includes (and each file's .local) into all. */
static int read_with_includes(const char *resource, struct ini *all, char *err, size_t errlen)
{
	struct file_list l = { .n = 0 };
	const char *chain[MAX_INCLUDE_DEPTH];
	int ret;

	ret = collect_with_local(resource, chain, 0, &l, err, errlen);
	if (!ret)
		ret = merge_files(&l, all, err, errlen);
	file_list_free(&l);
	return ret;
}

/* ---- values ---- */

/* A named extra value that comes before the section's own (a filter's parameters). */
struct var {
	char key[128];
	char *value;
};

struct vars {
	struct var v[64];
	int n;
};

static const char *vars_get(const struct vars *vs, const char *key)
{
	int i;

	for (i = 0; vs && i < vs->n; i++)
		if (!strcmp(vs->v[i].key, key))
			return vs->v[i].value;
	return NULL;
}

static void vars_free(struct vars *vs)
{
	int i;

	for (i = 0; i < vs->n; i++)
		free(vs->v[i].value);
	vs->n = 0;
}

static int vars_set(struct vars *vs, const char *key, const char *value)
{
	int i;
	char *v = strdup(value);

	if (!v)
		return -ENOMEM;
	for (i = 0; i < vs->n; i++) {
		if (!strcmp(vs->v[i].key, key)) {
			free(vs->v[i].value);
			vs->v[i].value = v;
			return 0;
		}
	}
	if (vs->n == (int)(sizeof(vs->v) / sizeof(vs->v[0])) || strlen(key) >= sizeof(vs->v[0].key)) {
		free(v);
		return -E2BIG;
	}
	snprintf(vs->v[vs->n].key, sizeof(vs->v[0].key), "%s", key);
	vs->v[vs->n++].value = v;
	return 0;
}

/* The raw value of key in section: vars first, the section, then [DEFAULT]. */
static const char *raw_get(const struct ini *ini, const char *section, const char *key,
			   const struct vars *vs)
{
	const struct opt *o;
	const char *v = vars_get(vs, key);

	if (v)
		return v;
	o = find_opt(find_section(ini, section), key);
	if (!o)
		o = find_opt(find_section(ini, "DEFAULT"), key);
	return o ? o->value : NULL;
}

/* fail2ban's %(section/name)s: the section's own value, KNOWN/ for "known", else [DEFAULT]. */
static const char *ref_get(const struct ini *ini, const char *section, const char *ref,
			   const struct vars *vs)
{
	const char *slash = strchr(ref, '/');
	char sec[300];
	const struct opt *o = NULL;

	if (!strcmp(ref, "__name__"))
		return section;
	if (!slash)
		return raw_get(ini, section, ref, vs);
	snprintf(sec, sizeof(sec), "%.*s", (int)(slash - ref), ref);
	if (!strcasecmp(sec, "known")) {
		char kname[300];

		snprintf(kname, sizeof(kname), "KNOWN/%s", section);
		o = find_opt(find_section(ini, kname), slash + 1);
	} else if (strcasecmp(sec, "default")) {
		o = find_opt(find_section(ini, sec), slash + 1);
	}
	if (!o)
		o = find_opt(find_section(ini, "DEFAULT"), slash + 1);
	return o ? o->value : NULL;
}

struct buf {
	char *s;
	size_t len, cap;
};

static int buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > MAX_VALUE)
		return -E2BIG;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *p = realloc(b->s, cap);

		if (!p)
			return -ENOMEM;
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
	return 0;
}

/*
 * Python's BasicInterpolation with fail2ban's additions: "%%" is '%',
 * "%(name)s" the value of name (lowercased) in section, interpolated in
 * turn, at most MAX_INTERP_DEPTH deep. Appends to out.
 */
static int interpolate(const struct ini *ini, const char *section, const char *key,
		       const char *value, const struct vars *vs, int depth, struct buf *out,
		       char *err, size_t errlen)
{
	const char *p = value;
	int ret;

	if (depth > MAX_INTERP_DEPTH)
		return fail(err, errlen, -EINVAL,
			    "[%s] %s: %%(...)s references nested deeper than %d (a loop?)", section,
			    key, MAX_INTERP_DEPTH);
	while (*p) {
		const char *pct = strchr(p, '%');

		if (!pct)
			return buf_add(out, p, strlen(p));
		ret = buf_add(out, p, (size_t)(pct - p));
		if (ret)
			return ret;
		if (pct[1] == '%') {
			ret = buf_add(out, "%", 1);
			if (ret)
				return ret;
			p = pct + 2;
		} else if (pct[1] == '(') {
			const char *close = strstr(pct + 2, ")s");
			char name[256];
			const char *v;
			size_t i, n;

			if (!close || (size_t)(close - pct - 2) >= sizeof(name))
				return fail(err, errlen, -EINVAL,
					    "[%s] %s: '%%(' without its closing ')s'", section, key);
			n = (size_t)(close - pct - 2);
			for (i = 0; i < n; i++)
				name[i] = (char)tolower((unsigned char)pct[2 + i]);
			name[n] = '\0';
			v = ref_get(ini, section, name, vs);
			if (!v)
				return fail(err, errlen, -EINVAL,
					    "[%s] %s: unknown %%(%s)s (no such setting in [%s] nor "
					    "[DEFAULT])", section, key, name, section);
			ret = interpolate(ini, section, key, v, vs, depth + 1, out, err, errlen);
			if (ret)
				return ret;
			p = close + 2;
		} else {
			return fail(err, errlen, -EINVAL,
				    "[%s] %s: '%%' must be followed by '%%' or '(' (write %%%% for a "
				    "percent sign)", section, key);
		}
	}
	return 0;
}

/* The interpolated value of key in section (owned by the caller), NULL with *ret 0 when unset. */
static char *get(const struct ini *ini, const char *section, const char *key, const struct vars *vs,
		 int *ret, char *err, size_t errlen)
{
	const char *raw = raw_get(ini, section, key, vs);
	struct buf b = { 0 };

	*ret = 0;
	if (!raw)
		return NULL;
	*ret = interpolate(ini, section, key, raw, vs, 1, &b, err, errlen);
	if (*ret == -E2BIG)
		*ret = fail(err, errlen, -EINVAL, "[%s] %s: longer than %d bytes once interpolated",
			    section, key, MAX_VALUE);
	else if (*ret == -ENOMEM)
		fail(err, errlen, -ENOMEM, "out of memory");
	if (*ret) {
		free(b.s);
		return NULL;
	}
	if (!b.s)
		b.s = strdup("");
	if (!b.s)
		*ret = fail(err, errlen, -ENOMEM, "out of memory");
	return b.s;
}

static bool parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	size_t i;

	while (isspace((unsigned char)*v))
		v++;
	for (i = 0; i < 4; i++) {
		if (!strncasecmp(v, yes[i], strlen(yes[i])) &&
		    !v[strlen(yes[i]) + strspn(v + strlen(yes[i]), " \t")]) {
			*out = true;
			return true;
		}
		if (!strncasecmp(v, no[i], strlen(no[i])) &&
		    !v[strlen(no[i]) + strspn(v + strlen(no[i]), " \t")]) {
			*out = false;
			return true;
		}
	}
	return false;
}

static void trim(char *s)
{
	size_t n = strlen(s), lead = strspn(s, " \t\n");

	while (n > lead && isspace((unsigned char)s[n - 1]))
		n--;
	memmove(s, s + lead, n - lead);
	s[n - lead] = '\0';
}

/* ---- the jail ---- */

bool f2bconf__is_layout(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return !strcmp(base, "jail.conf") || !strcmp(base, "jail.local");
}

/* fail2ban's ConfigReader.read("jail"): jail.conf, jail.d/ *.conf, jail.local, jail.d/ *.local. */
static int read_jail_layout(const char dir[2048], struct ini *all, char *err, size_t errlen)
{
	static const char *const exts[] = { "conf", "local" };
	struct file_list given = { .n = 0 }, files = { .n = 0 };
	const char *chain[MAX_INCLUDE_DEPTH];
	char path[2048 + 32];
	size_t e;
	int ret = 0, i;

	for (e = 0; e < 2 && !ret; e++) {
		glob_t g;
		size_t k;

		snprintf(path, sizeof(path), "%s/jail.%s", dir, exts[e]);
		if (exists(path))
			ret = file_list_add(&given, path, err, errlen);
		snprintf(path, sizeof(path), "%s/jail.d/*.%s", dir, exts[e]);
		if (!ret && glob(path, 0, NULL, &g) == 0) {
			for (k = 0; k < g.gl_pathc && !ret; k++)
				ret = file_list_add(&given, g.gl_pathv[k], err, errlen);
			globfree(&g);
		}
	}
	if (!ret && !given.n)
		ret = fail(err, errlen, -ENOENT, "%s: neither jail.conf nor jail.local", dir);
	for (i = 0; i < given.n && !ret; i++)
		ret = collect_with_local_given(given.path[i], &given, chain, 0, &files, err, errlen);
	if (!ret)
		ret = merge_files(&files, all, err, errlen);
	file_list_free(&given);
	file_list_free(&files);
	return ret;
}

/* The jail settings warden applies as its own (config.c [jail]). */
static const char *const applied_keys[] = {
	"maxretry", "findtime", "bantime", "bantime.increment", "bantime.factor",
	"bantime.maxtime", "ignoreip", NULL,
};

/* fail2ban's jail settings (JailReader._configOpts and the actions' usual ones). */
static const char *const f2b_jail_keys[] = {
	"enabled", "backend", "maxretry", "maxmatches", "findtime", "bantime",
	"bantime.increment", "bantime.factor", "bantime.formula", "bantime.multipliers",
	"bantime.maxtime", "bantime.rndtime", "bantime.overalljails", "ignorecommand",
	"ignoreself", "ignoreip", "ignorecache", "filter", "logtimezone", "logencoding",
	"logpath", "action", "usedns", "port", "protocol", "banaction", "banaction_allports",
	"chain", "mta", "destemail", "sender", "mode", "maxlines", "failregex", "ignoreregex",
	"prefregex", "datepattern", "journalmatch", NULL,
};

static bool in_list(const char *const *list, const char *key)
{
	for (; *list; list++)
		if (!strcmp(*list, key))
			return true;
	return false;
}

static bool is_warden_key(const char *key)
{
	const char *const *k;
	size_t n = strlen(key);

	for (k = config__keys(); *k; k++) {
		const char *dot = strchr(*k, '.');

		if (dot && strlen(dot + 1) == n && !strcmp(dot + 1, key))
			return true;
	}
	return false;
}

/*
 * Keys whose meaning warden cannot honour, and which would change who is
 * banned if it went on without them: the reason, or NULL when the value
 * is one warden does honour.
 */
static const char *refusal(const char *key, const char *v, char *buf, size_t len)
{
	bool b;

	if (!strcmp(key, "usedns")) {
		if (!strcasecmp(v, "yes"))
			return "warden bans addresses, never host names it would have to resolve: set "
			       "usedns = no (or warn)";
		if (strcasecmp(v, "no") && strcasecmp(v, "warn") && strcasecmp(v, "raw")) {
			snprintf(buf, len, "'%s' is not yes, warn, no or raw", v);
			return buf;
		}
	} else if (!strcmp(key, "ignoreself")) {
		if (!parse_bool(v, &b)) {
			snprintf(buf, len, "'%s' is not a boolean", v);
			return buf;
		}
		if (!b)
			return "warden never bans its own addresses: remove ignoreself = false";
	} else if (!strcmp(key, "ignorecommand") || !strcmp(key, "ignorecache")) {
		if (*v)
			return "warden runs no command to decide who is ignored: list the addresses "
			       "in ignoreip";
	} else if (!strcmp(key, "bantime.formula") || !strcmp(key, "bantime.multipliers")) {
		if (*v)
			return "warden's escalation is bantime * factor^(n-1) up to bantime.maxtime "
			       "(bantime.increment, bantime.factor): remove it";
	} else if (!strcmp(key, "bantime.overalljails")) {
		if (!parse_bool(v, &b) || b)
			return "warden runs one jail: offences in other jails cannot count";
	} else if (!strcmp(key, "maxlines")) {
		if (strcmp(v, "1"))
			return "warden matches failures one line at a time (maxlines = 1)";
	} else if (!strcmp(key, "failregex") || !strcmp(key, "ignoreregex") ||
		   !strcmp(key, "prefregex") || !strcmp(key, "datepattern")) {
		if (*v)
			return "warden takes these from the filter: put them in filter.d/NAME.local";
	}
	return NULL;
}

/* Whether a glob of a logpath value (one per line, maybe with " tail") names a file. */
static bool logpath_exists(const char *value)
{
	char *copy = strdup(value), *line, *save = NULL;
	bool any = false;

	for (line = copy ? strtok_r(copy, "\n", &save) : NULL; line && !any;
	     line = strtok_r(NULL, "\n", &save)) {
		char *sp;
		glob_t g;

		trim(line);
		sp = strrchr(line, ' ');
		if (sp && (!strcmp(sp + 1, "tail") || !strcmp(sp + 1, "head")))
			*sp = '\0';
		trim(line);
		if (*line && glob(line, 0, NULL, &g) == 0) {
			any = g.gl_pathc > 0;
			globfree(&g);
		}
	}
	free(copy);
	return any;
}

/* A jail warden can follow: enabled, and its log is in files, not the journal. */
static int jail_followable(const struct ini *ini, const char *name, bool *enabled,
			   char *why_not, size_t len, char *err, size_t errlen)
{
	char *v;
	int ret;
	bool on = false;

	*enabled = false;
	why_not[0] = '\0';
	v = get(ini, name, "enabled", NULL, &ret, err, errlen);
	if (ret)
		return ret;
	if (v && !parse_bool(v, &on)) {
		ret = fail(err, errlen, -EINVAL, "[%s] enabled: '%s' is not a boolean", name, v);
		free(v);
		return ret;
	}
	free(v);
	*enabled = on;
	v = get(ini, name, "backend", NULL, &ret, err, errlen);
	if (ret)
		return ret;
	if (v && !strncasecmp(v, "systemd", 7))
		snprintf(why_not, len, "backend %s reads the systemd journal, not files", v);
	free(v);
	if (why_not[0] || !on)
		return 0;
	/* Enabled jails whose files are not there: fail2ban would fail on them too. */
	v = get(ini, name, "logpath", NULL, &ret, err, errlen);
	if (ret)
		return ret;
	if (!v || !logpath_exists(v))
		snprintf(why_not, len, "logpath %s matches no file", v ? v : "(none)");
	free(v);
	return 0;
}

static bool is_jail_section(const char *name)
{
	return strcmp(name, "DEFAULT") && strcmp(name, "INCLUDES") && strcmp(name, "warden") &&
	       strncmp(name, "KNOWN/", 6);
}

/* Pick the jail: the one named, or the one enabled jail warden can follow. */
static int choose_jail(const struct ini *ini, const char *want, const char **out,
		       struct warden_config *c, char *err, size_t errlen)
{
	char why_not[256], list[512] = "", skipped[1024] = "";
	const char *pick = NULL;
	int i, ret, n = 0;
	bool enabled;

	if (want) {
		if (!find_section(ini, want) || !is_jail_section(want))
			return fail(err, errlen, -EINVAL, "no jail [%s] in this configuration", want);
		ret = jail_followable(ini, want, &enabled, why_not, sizeof(why_not), err, errlen);
		if (ret)
			return ret;
		/* Named: its files may come later (warden watch waits for them). */
		if (why_not[0] && strncmp(why_not, "logpath", 7))
			return fail(err, errlen, -EINVAL, "jail [%s]: %s", want, why_not);
		*out = find_section(ini, want)->name;
		return 0;
	}
	for (i = 0; i < ini->n; i++) {
		const char *name = ini->secs[i].name;

		if (!is_jail_section(name))
			continue;
		ret = jail_followable(ini, name, &enabled, why_not, sizeof(why_not), err, errlen);
		if (ret)
			return ret;
		if (!enabled)
			continue;
		if (why_not[0]) {
			snprintf(skipped + strlen(skipped), sizeof(skipped) - strlen(skipped),
				 "%s[%s]: %s", skipped[0] ? "; " : "", name, why_not);
			continue;
		}
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", n ? ", " : "",
			 name);
		pick = name;
		n++;
	}
	if (n == 0)
		return fail(err, errlen, -EINVAL, "no enabled jail warden can follow%s%s%s",
			    skipped[0] ? " (" : "", skipped, skipped[0] ? ")" : "");
	if (n > 1)
		return fail(err, errlen, -EINVAL,
			    "%d jails are enabled (%s): warden watch runs each, here choose one with "
			    "--jail NAME",
			    n, list);
	if (skipped[0])
		config__note(c, "enabled but not followed: %s", skipped);
	*out = pick;
	return 0;
}

/* Apply key = v of the jail to c: 0 or -errno with err. */
static int apply_key(struct warden_config *c, const char *jail, const char *key, const char *v,
		     char *err, size_t errlen)
{
	char reason[512];

	if (config__set(c, "jail", key, v, reason, sizeof(reason)))
		return fail(err, errlen, -EINVAL, "[%s] %s", jail, reason);
	return 0;
}

/* logpath: one glob per line, each maybe followed by fail2ban's " tail" or " head". */
static int apply_logpath(struct warden_config *c, const char *jail, char *v, char *err,
			 size_t errlen)
{
	char *line, *save = NULL, reason[512];

	for (line = strtok_r(v, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *sp;

		trim(line);
		if (!*line)
			continue;
		sp = strrchr(line, ' ');
		if (sp && (!strcmp(sp + 1, "tail") || !strcmp(sp + 1, "head"))) {
			*sp = '\0';
			trim(line);
		}
		if (config__set(c, "warden", "follow", line, reason, sizeof(reason)))
			return fail(err, errlen, -EINVAL, "[%s] logpath: %s", jail, reason);
	}
	return 0;
}

/* The keys of the jail: its own and those of [DEFAULT], each once. */
static int jail_keys(const struct ini *ini, const char *jail, const char **keys, int max)
{
	const struct section *secs[2] = { find_section(ini, jail), find_section(ini, "DEFAULT") };
	int s, i, k, n = 0;

	for (s = 0; s < 2; s++) {
		for (i = 0; secs[s] && i < secs[s]->n; i++) {
			const char *key = secs[s]->opts[i].key;

			for (k = 0; k < n && strcmp(keys[k], key); k++)
				;
			if (k == n && n < max)
				keys[n++] = key;
		}
	}
	return n;
}

static bool key_is_own(const struct ini *ini, const char *jail, const char *key)
{
	return find_opt(find_section(ini, jail), key) != NULL;
}

static int apply_jail(const struct ini *ini, const char *jail, const char dir[2048],
		      struct warden_config *c, char *err, size_t errlen)
{
	const char *keys[512];
	char unused[1024] = "", why_buf[256], reason[512];
	int i, n, ret = 0;
	char *v = NULL;

	n = jail_keys(ini, jail, keys, 512);
	for (i = 0; i < n && !ret; i++) {
		const char *key = keys[i], *why;

		v = NULL;
		if (!strcmp(key, "__name__") || !strcmp(key, "enabled") || !strcmp(key, "backend"))
			continue;
		/* Variables of [DEFAULT] (paths, actions) are used only where referenced. */
		if (!key_is_own(ini, jail, key) && !in_list(f2b_jail_keys, key) &&
		    !is_warden_key(key))
			continue;
		if (in_list(applied_keys, key) || is_warden_key(key)) {
			v = get(ini, jail, key, NULL, &ret, err, errlen);
			if (!ret)
				trim(v);
			if (!ret)
				ret = apply_key(c, jail, key, v, err, errlen);
		} else if (!strcmp(key, "logpath")) {
			v = get(ini, jail, key, NULL, &ret, err, errlen);
			if (!ret)
				ret = apply_logpath(c, jail, v, err, errlen);
		} else if (!strcmp(key, "filter")) {
			continue; /* below */
		} else if (!strcmp(key, "usedns") || !strcmp(key, "ignoreself") ||
			   !strcmp(key, "ignorecommand") || !strcmp(key, "ignorecache") ||
			   !strncmp(key, "bantime.", 8) || !strcmp(key, "maxlines") ||
			   !strcmp(key, "failregex") || !strcmp(key, "ignoreregex") ||
			   !strcmp(key, "prefregex") || !strcmp(key, "datepattern")) {
			v = get(ini, jail, key, NULL, &ret, err, errlen);
			if (ret)
				break;
			trim(v);
			why = refusal(key, v, why_buf, sizeof(why_buf));
			if (why)
				ret = fail(err, errlen, -EINVAL, "[%s] %s = %s: %s", jail, key, v, why);
			else if (!strcmp(key, "bantime.rndtime") && *v)
				snprintf(unused + strlen(unused), sizeof(unused) - strlen(unused),
					 "%s%s", unused[0] ? ", " : "", key);
		} else {
			/* Actions, ports, mail, encodings: nothing that decides who is banned. */
			snprintf(unused + strlen(unused), sizeof(unused) - strlen(unused), "%s%s",
				 unused[0] ? ", " : "", key);
		}
		free(v);
		v = NULL;
	}
	free(v);
	if (ret)
		return ret;
	if (unused[0])
		config__note(c, "[%s]: fail2ban settings warden does not use: %s", jail, unused);

	/* The filter: filter.d/NAME.conf; fail2ban's default is the jail's own name. */
	v = get(ini, jail, "filter", NULL, &ret, err, errlen);
	if (ret)
		return ret;
	if (v) {
		struct f2b_filter_def def = { 0 };
		char fdir[2048 + 16];

		trim(v);
		snprintf(fdir, sizeof(fdir), "%s/filter.d", dir);
		if (*v) {
			ret = f2bconf__filter(fdir, v, &def, reason, sizeof(reason));
			if (!ret) {
				/* Compiled now, so that a bad filter stops warden before it starts. */
				struct f2b_filter *flt = f2bfilter__new(&def, reason, sizeof(reason));

				ret = flt ? 0 : -errno;
				f2bfilter__free(flt);
			}
			f2b_filter_def__free(&def);
			if (ret == -ENOENT && !key_is_own(ini, jail, "filter")) {
				/* Only the default "%(__name__)s": warden's verdicts alone. */
				config__note(c, "[%s]: no filter %s/%s.conf: warden's own verdicts "
					     "decide", jail, fdir, jail);
				ret = 0;
				*v = '\0';
			} else if (ret) {
				ret = fail(err, errlen, ret, "[%s] filter = %s: %s", jail, v, reason);
			}
		}
		if (!ret && (strlen(v) >= sizeof(c->filter) || strlen(fdir) >= sizeof(c->filter_dir)))
			ret = fail(err, errlen, -EINVAL, "[%s] filter: too long", jail);
		if (!ret) {
			snprintf(c->filter, sizeof(c->filter), "%s", v);
			snprintf(c->filter_dir, sizeof(c->filter_dir), "%s", fdir);
		}
		free(v);
	}
	if (!ret)
		snprintf(c->jail_name, sizeof(c->jail_name), "%s", jail);
	return ret;
}

/* A [warden] section in fail2ban's files: warden's own keys, as in its own file. */
static int apply_warden_section(const struct ini *ini, struct warden_config *c, char *err,
				size_t errlen)
{
	const struct section *s = find_section(ini, "warden");
	char reason[512];
	int i;

	for (i = 0; s && i < s->n; i++) {
		if (config__set(c, NULL, s->opts[i].key, s->opts[i].value, reason, sizeof(reason)))
			return fail(err, errlen, -EINVAL, "[warden] %s", reason);
	}
	return 0;
}

/*
 * What --config names: fail2ban's whole layout (jail.conf and the rest, in
 * its order) when path is one of its files, else that one file with its
 * includes. dir receives path's folder. On an error, what was read stays in
 * all for the caller to free.
 */
static int read_config_tree(const char *path, char dir[2048], struct ini *all, char *err,
			    size_t errlen)
{
	if (strlen(path) >= 2048)
		return fail(err, errlen, -EINVAL, "%s: path too long", path);
	parent_dir(path, dir, 2048);
	if (!exists(path))
		return fail(err, errlen, -ENOENT, "%s: %s", path, strerror(ENOENT));
	if (f2bconf__is_layout(path))
		return read_jail_layout(dir, all, err, errlen);
	return read_with_includes(path, all, err, errlen);
}

int f2bconf__apply(struct warden_config *c, const char *path, const char *jail, char *err,
		   size_t errlen)
{
	struct warden_config tmp;
	struct ini ini = { 0 };
	char dir[2048];
	const char *pick = NULL;
	int ret;

	ret = read_config_tree(path, dir, &ini, err, errlen);
	if (ret)
		goto out;
	if (config__copy(&tmp, c)) {
		ret = fail(err, errlen, -ENOMEM, "out of memory");
		goto out;
	}
	ret = apply_warden_section(&ini, &tmp, err, errlen);
	if (!ret)
		ret = choose_jail(&ini, jail, &pick, &tmp, err, errlen);
	if (!ret)
		ret = apply_jail(&ini, pick, dir, &tmp, err, errlen);
	if (ret) {
		config__free(&tmp);
		goto out;
	}
	config__free(c);
	*c = tmp;
out:
	ini_free(&ini);
	return ret;
}

/* ---- every jail (warden watch) ---- */

/*
 * [DEFAULT]'s settings that warden applies, on the settings every jail
 * starts from (one that reads only in a jail is left to the jails).
 */
static int apply_defaults(const struct ini *ini, struct warden_config *c, char *err,
			  size_t errlen)
{
	const struct section *s = find_section(ini, "DEFAULT");
	int i, ret = 0;

	for (i = 0; s && i < s->n && !ret; i++) {
		const char *key = s->opts[i].key;
		char *v;

		if (!in_list(applied_keys, key) && !is_warden_key(key))
			continue;
		v = get(ini, "DEFAULT", key, NULL, &ret, err, errlen);
		if (ret) {
			ret = 0; /* %(name)s of each jail's own: read in each jail */
			continue;
		}
		trim(v);
		ret = apply_key(c, "DEFAULT", key, v, err, errlen);
		free(v);
	}
	return ret;
}

/*
 * Jail name as a section of c: read on a scratch copy of base as --jail NAME
 * would be (every check, the filter compiled), then its logpath, filter and
 * its keys kept in the section: those it sets itself, and those of
 * [DEFAULT] that read otherwise in it (%(name)s of its own); the rest is
 * base's, under the command line. 0 or -errno with the reason the jail
 * cannot run in err.
 */
static int add_jail_section(const struct ini *ini, const char *name, const char dir[2048],
			    struct warden_config *base, char *err, size_t errlen)
{
	struct warden_config scratch;
	struct app_section *a;
	const char *keys[512];
	int i, n, ret, notes;

	if (config__copy(&scratch, base))
		return fail(err, errlen, -ENOMEM, "out of memory");
	/* The jail's logs only: not those of base nor of jails before it. */
	for (i = 0; i < scratch.n_follow; i++)
		free(scratch.follow[i]);
	scratch.n_follow = 0;
	notes = scratch.n_notes;
	ret = apply_jail(ini, name, dir, &scratch, err, errlen);
	if (!ret && !scratch.filter[0])
		ret = fail(err, errlen, -EINVAL, "no filter (%s/%s.conf): nothing would find its "
			   "failures", scratch.filter_dir[0] ? scratch.filter_dir : "filter.d", name);
	if (ret)
		goto out;
	a = config__add_jail_section(base, name, err, errlen);
	if (!a) {
		ret = -EINVAL;
		goto out;
	}
	snprintf(a->filter, sizeof(a->filter), "%s", scratch.filter);
	snprintf(a->filter_dir, sizeof(a->filter_dir), "%s", scratch.filter_dir);
	for (i = 0; i < scratch.n_follow && !ret; i++)
		ret = config__section_set(a, "follow", scratch.follow[i], err, errlen);
	n = jail_keys(ini, name, keys, 512);
	for (i = 0; i < n && !ret; i++) {
		char *v, *dv;
		int dret;

		if (!in_list(applied_keys, keys[i]) && !is_warden_key(keys[i]))
			continue;
		v = get(ini, name, keys[i], NULL, &ret, err, errlen);
		if (!ret)
			trim(v);
		/* [DEFAULT]'s own value stays base's, unless it reads otherwise in this jail. */
		dv = key_is_own(ini, name, keys[i]) || ret
			     ? NULL
			     : get(ini, "DEFAULT", keys[i], NULL, &dret, NULL, 0);
		if (dv)
			trim(dv);
		if (!ret && (!dv || strcmp(v, dv)))
			ret = config__section_set(a, keys[i], v, err, errlen);
		free(v);
		free(dv);
	}
	if (ret) {
		config__drop_last_section(base);
		goto out;
	}
	/* What reading the jail noted (settings it does not use, a missing filter). */
	for (i = notes; i < scratch.n_notes; i++)
		config__note(base, "%s", scratch.notes[i]);
out:
	config__free(&scratch);
	return ret;
}

int f2bconf__apply_every(struct warden_config *c, const char *path, char *err, size_t errlen)
{
	struct warden_config tmp;
	struct ini ini = { 0 };
	char dir[2048], why_not[512], skipped[2048] = "";
	int ret, i, run = 0;
	bool enabled;

	ret = read_config_tree(path, dir, &ini, err, errlen);
	if (ret)
		goto out;
	if (config__copy(&tmp, c)) {
		ret = fail(err, errlen, -ENOMEM, "out of memory");
		goto out;
	}
	ret = apply_warden_section(&ini, &tmp, err, errlen);
	if (!ret)
		ret = apply_defaults(&ini, &tmp, err, errlen);
	for (i = 0; i < ini.n && !ret; i++) {
		const char *name = ini.secs[i].name;

		if (!is_jail_section(name))
			continue;
		/* As fail2ban's server does (ignoreWrong): a jail that cannot run is skipped. */
		ret = jail_followable(&ini, name, &enabled, why_not, sizeof(why_not), err, errlen);
		if (ret && enabled) {
			/* Its backend or logpath does not read: this jail only. */
			snprintf(why_not, sizeof(why_not), "%s", err);
			ret = 0;
		} else if (ret) {
			break; /* whether it is enabled does not read: as --jail would say */
		} else if (!enabled) {
			continue;
		} else if (!why_not[0] &&
			   add_jail_section(&ini, name, dir, &tmp, why_not, sizeof(why_not)) == 0) {
			run++;
			continue;
		}
		config__note(&tmp, "jail [%s] does not run: %s", name, why_not);
		snprintf(skipped + strlen(skipped), sizeof(skipped) - strlen(skipped), "%s[%s]: %s",
			 skipped[0] ? "; " : "", name, why_not);
	}
	if (!ret && !run)
		ret = fail(err, errlen, -EINVAL, "no enabled jail warden can follow%s%s%s",
			   skipped[0] ? " (" : "", skipped, skipped[0] ? ")" : "");
	if (ret) {
		config__free(&tmp);
		goto out;
	}
	config__free(c);
	*c = tmp;
out:
	ini_free(&ini);
	return ret;
}

/* ---- filters ---- */

void f2b_filter_def__free(struct f2b_filter_def *d)
{
	if (!d)
		return;
	free(d->name);
	free(d->failregex);
	free(d->ignoreregex);
	free(d->prefregex);
	free(d->datepattern);
	memset(d, 0, sizeof(*d));
}

/*
 * fail2ban's extractOptions(): NAME[key=value, key="value, with comma", ...].
 * Fills name and vars. 0 or -EINVAL.
 */
static int parse_spec(const char *spec, char *name, size_t nlen, struct vars *vs, char *err,
		      size_t errlen)
{
	const char *p = spec, *br = strchr(spec, '[');
	size_t n = br ? (size_t)(br - spec) : strlen(spec);

	while (n && isspace((unsigned char)spec[n - 1]))
		n--;
	if (!n || n >= nlen)
		return fail(err, errlen, -EINVAL, "'%s' is not NAME or NAME[options]", spec);
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)spec[i]) && !strchr("-_.", spec[i]))
			return fail(err, errlen, -EINVAL, "'%.*s' is not a filter name", (int)n, spec);
	memcpy(name, spec, n);
	name[n] = '\0';
	if (!br)
		return 0;
	p = br + 1;
	for (;;) {
		char key[128], val[4096];
		size_t k = 0, v = 0;

		p += strspn(p, " \t\n,");
		if (*p == ']')
			break;
		while (*p && *p != '=' && *p != ']' && k + 1 < sizeof(key))
			key[k++] = (char)tolower((unsigned char)*p++);
		key[k] = '\0';
		trim(key);
		if (*p != '=' || !key[0])
			return fail(err, errlen, -EINVAL, "'%s': options are key=value", spec);
		p++;
		p += strspn(p, " \t");
		if (*p == '"' || *p == '\'') {
			char q = *p++;

			while (*p && *p != q && v + 1 < sizeof(val))
				val[v++] = *p++;
			if (*p != q)
				return fail(err, errlen, -EINVAL, "'%s': unterminated quote", spec);
			p++;
		} else {
			while (*p && *p != ',' && *p != ']' && v + 1 < sizeof(val))
				val[v++] = *p++;
		}
		val[v] = '\0';
		trim(val);
		if (vars_set(vs, key, val))
			return fail(err, errlen, -EINVAL, "'%s': too many options", spec);
		p += strspn(p, " \t");
		if (*p == ',')
			continue;
		if (*p != ']')
			return fail(err, errlen, -EINVAL, "'%s': options end with ']'", spec);
	}
	if (p[1 + strspn(p + 1, " \t")])
		return fail(err, errlen, -EINVAL, "'%s': text after ']'", spec);
	return 0;
}

/* Filter options fail2ban takes from [Definition] (FilterReader._configOpts). */
static const char *const def_keys[] = { "prefregex", "failregex", "ignoreregex", "maxlines",
					 "datepattern", "journalmatch", NULL };

/*
 * fail2ban's substituteRecursiveTags() for one value: each <name> that names
 * an option (combined first, then the filter's [Definition] and [DEFAULT]) is
 * replaced by it, innermost first, until nothing changes. Other tags
 * (<HOST>, <F-USER>) stay.
 */
static int subst_tags(const struct ini *ini, const struct vars *combined, const char *key,
		      char **value, char *err, size_t errlen)
{
	int round;

	for (round = 0; round < 32; round++) {
		struct buf b = { 0 };
		const char *p = *value;
		bool changed = false;

		while (*p) {
			const char *lt = strchr(p, '<'), *gt;
			char name[128];
			const char *rep = NULL;
			int ret;

			if (!lt) {
				ret = buf_add(&b, p, strlen(p));
				if (ret)
					goto bad;
				break;
			}
			gt = lt + 1 + strcspn(lt + 1, " <>");
			if (ret = buf_add(&b, p, (size_t)(lt - p)), ret)
				goto bad;
			if (*gt == '>' && (size_t)(gt - lt - 1) < sizeof(name) && gt > lt + 1) {
				snprintf(name, sizeof(name), "%.*s", (int)(gt - lt - 1), lt + 1);
				if (strcmp(name, key))
					rep = vars_get(combined, name);
				if (!rep && strcmp(name, key) && !strchr(name, '/') &&
				    (islower((unsigned char)name[0]) || name[0] == '_'))
					rep = raw_get(ini, "Definition", name, NULL);
			}
			if (rep) {
				if (strstr(rep, "%(")) {
					/* [DEFAULT] values still hold their %(name)s. */
					ret = interpolate(ini, "Definition", name, rep, combined, 1, &b,
							  err, errlen);
				} else {
					ret = buf_add(&b, rep, strlen(rep));
				}
				if (ret)
					goto bad;
				changed = true;
				p = gt + 1;
			} else {
				if (ret = buf_add(&b, lt, 1), ret)
					goto bad;
				p = lt + 1;
			}
			continue;
bad:
			free(b.s);
			if (ret == -E2BIG || ret == -EINVAL)
				return ret == -EINVAL ? ret
						      : fail(err, errlen, -EINVAL,
							     "%s: longer than %d bytes once its tags are "
							     "replaced", key, MAX_VALUE);
			return fail(err, errlen, -ENOMEM, "out of memory");
		}
		if (!changed) {
			free(b.s);
			return 0;
		}
		free(*value);
		*value = b.s ? b.s : strdup("");
		if (!*value)
			return fail(err, errlen, -ENOMEM, "out of memory");
	}
	return fail(err, errlen, -EINVAL, "%s: <tag> substitutions do not end (a loop?)", key);
}

int f2bconf__filter(const char *dir, const char *spec, struct f2b_filter_def *out, char *err,
		    size_t errlen)
{
	struct ini ini = { 0 };
	struct vars params = { .n = 0 }, combined = { .n = 0 };
	const struct section *init;
	char name[256], path[4096];
	int ret, i;

	memset(out, 0, sizeof(*out));
	out->maxlines = 1;
	ret = parse_spec(spec, name, sizeof(name), &params, err, errlen);
	if (ret)
		goto out;
	snprintf(path, sizeof(path), "%s/%s.conf", dir, name);
	if (!exists(path)) {
		snprintf(path, sizeof(path), "%s/%s.local", dir, name);
		if (!exists(path)) {
			ret = fail(err, errlen, -ENOENT, "no %s/%s.conf", dir, name);
			goto out;
		}
	}
	ret = read_with_includes(path, &ini, err, errlen);
	if (ret)
		goto out;

	/* [Init] and the spec's values: the spec wins; each Init value stays as known/NAME. */
	for (i = 0; i < params.n; i++)
		if (vars_set(&combined, params.v[i].key, params.v[i].value))
			goto toobig;
	init = find_section(&ini, "Init");
	for (i = 0; init && i < init->n; i++) {
		char *v, kn[160];

		v = get(&ini, "Init", init->opts[i].key, NULL, &ret, err, errlen);
		if (ret)
			goto out;
		snprintf(kn, sizeof(kn), "known/%s", init->opts[i].key);
		if (vars_set(&combined, kn, v) ||
		    (!vars_get(&params, init->opts[i].key) &&
		     vars_set(&combined, init->opts[i].key, v))) {
			free(v);
			goto toobig;
		}
		free(v);
	}
	/* [Definition], the spec's values first (ConfigReader.getOptions with pOpts). */
	for (i = 0; def_keys[i]; i++) {
		char *v = get(&ini, "Definition", def_keys[i], &params, &ret, err, errlen);

		if (ret)
			goto out;
		if (v && vars_set(&combined, def_keys[i], v)) {
			free(v);
			goto toobig;
		}
		free(v);
	}
	for (i = 0; def_keys[i]; i++) {
		const char *v = vars_get(&combined, def_keys[i]);
		char *copy;

		if (!v)
			continue;
		copy = strdup(v);
		if (!copy) {
			ret = fail(err, errlen, -ENOMEM, "out of memory");
			goto out;
		}
		ret = subst_tags(&ini, &combined, def_keys[i], &copy, err, errlen);
		if (ret) {
			free(copy);
			goto out;
		}
		if (!strcmp(def_keys[i], "failregex"))
			out->failregex = copy;
		else if (!strcmp(def_keys[i], "ignoreregex"))
			out->ignoreregex = copy;
		else if (!strcmp(def_keys[i], "prefregex"))
			out->prefregex = copy;
		else if (!strcmp(def_keys[i], "datepattern"))
			out->datepattern = copy;
		else if (!strcmp(def_keys[i], "maxlines")) {
			char *end;
			long n;

			trim(copy);
			n = strtol(copy, &end, 10);
			if (!*copy || *end || n < 1 || n > 1000) {
				ret = fail(err, errlen, -EINVAL, "maxlines: '%s' is not a number", copy);
				free(copy);
				goto out;
			}
			out->maxlines = (int)n;
			free(copy);
		} else {
			free(copy); /* journalmatch: the journal is not warden's */
		}
	}
	out->name = strdup(name);
	if (!out->name)
		ret = fail(err, errlen, -ENOMEM, "out of memory");
	goto out;
toobig:
	ret = fail(err, errlen, -EINVAL, "filter %s: too many options", name);
out:
	if (ret)
		f2b_filter_def__free(out);
	vars_free(&params);
	vars_free(&combined);
	ini_free(&ini);
	return ret;
}
