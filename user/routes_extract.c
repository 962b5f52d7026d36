// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* routes_extract.c - read Flask sources (never run them) into the routes Flask would register. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "pyscan.h"
#include "routes_ext.h"
#include "routes_extract.h"

/*
 * Two passes. The first tokenizes each file and records, per file, what its
 * statements bind (apps, blueprints, imports, constants, factories) and the
 * events that matter (imports of local modules, routes, blueprint
 * registrations). The second replays the events in the order Python would
 * run them (a module's import runs that module first), with every name
 * resolvable across files, and builds each app's rules the way Flask 2.2
 * does: static route first, app routes as they come, a blueprint's routes
 * where it is registered, prefixes and nested blueprints as in
 * Blueprint.register().
 */

#define MAX_FILES 4096
#define MAX_FILE_SIZE (8u << 20)
#define MAX_DIR_DEPTH 16
#define MAX_ARGS 32
#define MAX_DEPTH 16 /* name resolution, constants, nested blueprints */
#define MAX_SCOPES 64
#define MAX_DECOS 64
#define NO_KW UINT32_MAX

static bool is_number(const struct pyval *v)
{
	return v->kind == PV_BOOL || v->kind == PV_INT || v->kind == PV_FLOAT;
}

bool pyval__equal(const struct pyval *a, const struct pyval *b)
{
	size_t i, j;

	if (is_number(a) && is_number(b)) {
		if (a->kind != PV_FLOAT && b->kind != PV_FLOAT)
			return a->i == b->i;
		return (a->kind == PV_FLOAT ? a->f : (double)a->i) ==
		       (b->kind == PV_FLOAT ? b->f : (double)b->i);
	}
	if (a->kind != b->kind || a->kind == PV_DYNAMIC)
		return false;
	switch (a->kind) {
	case PV_NONE:
		return true;
	case PV_STR:
		return a->slen == b->slen && !memcmp(a->s, b->s, a->slen);
	case PV_LIST:
	case PV_TUPLE:
		if (a->n != b->n)
			return false;
		for (i = 0; i < a->n; i++)
			if (!pyval__equal(&a->items[i], &b->items[i]))
				return false;
		return true;
	case PV_SET:
		if (a->n != b->n)
			return false;
		for (i = 0; i < a->n; i++) {
			for (j = 0; j < b->n && !pyval__equal(&a->items[i], &b->items[j]); j++)
				;
			if (j == b->n)
				return false;
		}
		return true;
	case PV_DICT:
		if (a->n != b->n)
			return false;
		for (i = 0; i < a->n; i++) {
			for (j = 0; j < b->n; j++)
				if (pyval__equal(&a->items[2 * i], &b->items[2 * j]))
					break;
			if (j == b->n || !pyval__equal(&a->items[2 * i + 1], &b->items[2 * j + 1]))
				return false;
		}
		return true;
	default:
		return false;
	}
}

/* ------------------------------------------------------------------ */
/* What pass 1 records */

enum bind_kind {
	B_OBJ,   /* NAME = Flask(...) / Blueprint(...) */
	B_MOD,   /* import a.b [as NAME]: a = module name */
	B_FROM,  /* from a import b [as NAME] */
	B_CALL,  /* NAME = factory(...): a = dotted callee */
	B_ALIAS, /* NAME = other.name: a = dotted name */
	B_CONST, /* NAME = <anything else>: tokens ra..rb, evaluated on demand */
	B_FOR,   /* for NAME[, NAME...] in <tokens ra..rb>: a loop variable */
};

struct binding {
	char *name;
	enum bind_kind kind;
	int obj;         /* B_OBJ */
	char *a, *b;     /* see bind_kind */
	uint32_t ra, rb; /* B_CONST: the value's tokens */
	uint32_t pos;    /* token index of the statement */
	int fn;          /* innermost function, -1 at module level */
	int unpack;      /* B_FOR: index in "for a, b in", -1 for a single name */
};

struct funcdef {
	char *name;
	int parent;      /* enclosing function, -1 */
	char **params;   /* "*args" and "**kw" keep their stars */
	size_t nparams, cparams;
	uint32_t (*defaults)[2]; /* per param: tokens of its default, {0, 0} for none */
	size_t cdefaults;
	int ncallsites;  /* pass 2: calls of it found with the function resolved */
};

struct classdef {
	char *name;
	uint32_t tok;    /* the "class" keyword */
	uint32_t indent; /* of the class statement */
	char **bases;    /* dotted names */
	size_t nbases, cbases;
};

struct env;

/* Where an argument's tokens are, when not in the call's own file (helper calls). */
struct argctx {
	int fi, fn;
	const struct env *env;
};

struct arg {
	uint32_t kw;     /* token of the keyword, NO_KW for a positional argument */
	uint32_t a, b;   /* the value's tokens */
	uint8_t star;    /* 1 for *x, 2 for **x */
	const struct argctx *x; /* NULL: the call's own file and function */
	const struct file *kwf; /* the file of kw, NULL: the call's own */
};

struct call {
	struct arg v[MAX_ARGS];
	size_t n;
};

enum ev_kind {
	EV_IMPORT, EV_ROUTE, EV_REGISTER, EV_MAPSET, EV_NEWAPP,
	EV_CALL, /* NAME(...) as a statement or a value: a helper or an extension */
	EV_INIT, /* X.init_app(...) */
	EV_NEWAPI, /* NAME = Api(...) / Namespace(...) / api.namespace(...): target is the object */
};

enum route_kind { RK_ROUTE, RK_GET, RK_POST, RK_PUT, RK_PATCH, RK_DELETE, RK_ADD, RK_RESOURCE, RK_NAMESPACE };

static const char *const route_kind_name[] = {
	"route", "get", "post", "put", "patch", "delete", "add_url_rule", "add_resource", "add_namespace",
};

struct event {
	enum ev_kind kind;
	uint32_t line, pos;
	int fn;
	char *recv;           /* dotted receiver of the call */
	int target;           /* EV_IMPORT: file; EV_NEWAPP: object */
	enum route_kind rk;   /* EV_ROUTE */
	struct call args;     /* EV_ROUTE, EV_REGISTER; EV_MAPSET: v[0] is the value */
	char *view;           /* EV_ROUTE: name of the decorated function / view */
	uint32_t end;         /* the call's closing parenthesis */
};

struct file {
	char *path;
	char *mod;            /* dotted module name from the root, "" if none */
	bool is_pkg;          /* an __init__.py */
	char *src;
	size_t len;
	struct py_tokens toks;
	struct binding *binds;
	size_t nbinds, cbinds;
	struct funcdef *funcs;
	size_t nfuncs, cfuncs;
	struct classdef *classes;
	size_t nclasses, cclasses;
	struct event *evs;
	size_t nevs, cevs;
	char **stars;         /* modules of "from M import *" */
	size_t nstars, cstars;
	int state;            /* pass 2: 0 not run, 1 running, 2 done */
};

/* A route as declared, before any blueprint prefix. */
struct proute {
	char *rule;
	char *endpoint;       /* NULL: unknown */
	char **methods;       /* uppercase, as given; NULL: GET */
	size_t nmethods;
	bool auto_options;    /* Flask adds OPTIONS */
	struct pyval defaults;
	int8_t strict;        /* -1: the Map's default when added */
	int8_t merge;         /* -1: the Map's default */
	bool build_only, redirects, alias, other_host;
	bool raw;             /* a REST Api's rule on a blueprint: the registration prefix is prepended as is */
	int file, line;
};

/* One register_blueprint() call. */
struct reg {
	int bp;
	struct pyval url_prefix; /* PV_NONE: not given */
	char *name;              /* name=, NULL: the blueprint's own */
	struct pyval url_defaults;
	bool other_host;
	bool strict;             /* the app Map's default at registration */
	int file, line;
};

struct entry {
	bool is_reg;
	struct proute r;
	struct reg g;
	/* flask-restx's Api initialised here: its apidoc blueprint ("restx_doc") goes on the app,
	   and on a blueprint the later rules get the registration prefix as is. */
	const char *apidoc;
};

/* A resource of a flask-restx Namespace (or of an Api's default namespace). */
struct nsres {
	char *cls;             /* the Resource class, dotted */
	struct proute proto;   /* endpoint= (NULL: derived), methods, options */
	char **urls;           /* as given, before the namespace's path */
	size_t nurls;
};

/* What kind of REST extension an Api or Namespace comes from. */
enum rest_kind { REST_NONE, REST_RESTFUL, REST_RESTX };

struct ns_attach {
	int api;
	char *path;            /* add_namespace(ns, path=): NULL for the namespace's own */
};

struct obj {
	bool is_app;
	bool is_api;              /* a Flask-RESTful Api: routes go to its target */
	int target;               /* api: the app or blueprint, -1: not known yet */
	struct pyval prefix;      /* api: prefix=, PV_NONE if none */
	enum rest_kind rest;      /* api, namespace: which extension */
	bool is_ns;               /* a flask-restx Namespace */
	char *factory;            /* ns = api.namespace(...): the api's dotted name */
	char *doc;                /* restx api: doc= path, NULL: no documentation page */
	char *swagger;            /* restx api: default_swagger_filename */
	bool restplus;            /* restx api: Flask-RESTPlus (its apidoc is "restplus_doc") */
	bool inited;              /* restx api: its Swagger routes are registered */
	char **endpoints;         /* restx api: endpoints taken (resources get "_2", "_3"...) */
	size_t nendpoints;
	struct nsres *res;        /* ns, restx api (default namespace): resources in order */
	size_t nres, cres;
	char *ns_path;            /* ns: its path, NULL when not constant */
	struct ns_attach attach[8]; /* ns: the apis it is added to */
	size_t nattach;
	int file, fn;
	uint32_t line, pos;
	struct call args;
	/* From the constructor's arguments: */
	char *static_rule;        /* the static route, NULL: none */
	bool strict;              /* app: the Map's strict_slashes now */
	bool host_matching;       /* app: unsupported */
	char *name;               /* blueprint */
	struct pyval url_prefix;  /* blueprint: PV_NONE if none */
	bool bad_prefix;          /* blueprint: url_prefix not a constant */
	struct pyval url_defaults;
	bool other_host;
	/* App: routes and registrations in order. Blueprint: deferred routes and nested registrations. */
	struct entry *ents;
	size_t nents, cents;
	int app_seq;              /* app: order its creation ran in pass 2, 0: never */
	bool registered;          /* blueprint: some app registers it */
};

struct ctx {
	struct file **files;
	size_t nfiles, cfiles;
	struct obj *objs;
	size_t nobjs, cobjs;
	char *roots[2];           /* where absolute imports are looked up */
	size_t nroots;
	bool follow_imports;      /* load imported modules from disk */
	bool closed;              /* pass 2: no more files */
	bool oom;
	int app_seq;
	struct route_decls *out;
	size_t cout;
	struct cfgsrc *cfgs;      /* app.config settings, in the order scanned */
	size_t ncfgs, ccfgs;
	const struct env *env;    /* pass 2: the helper call or loop being run, NULL */
	struct route_decls notes; /* only its notes: what could not be learned */
	int frames;               /* helper calls being run (bounded) */
	bool apidoc_done;         /* output: flask-restx's apidoc blueprint is on the app being flattened */
};

/* Where a config value may come from. */
enum cfg_kind {
	CFG_SET,     /* X.config["KEY"] = value: key, value tokens a..b */
	CFG_OBJECT,  /* X.config.from_object(arg): arg tokens a..b */
	CFG_MAPPING, /* X.config.from_mapping(...) / .update(...): call args */
};

struct cfgsrc {
	enum cfg_kind kind;
	int fi, fn;
	char *key;
	uint32_t a, b;
	struct call args;
};

/* What a helper call or a loop binds while its events run in pass 2. */
struct env {
	const struct env *up;
	/* A call of function fn of file fi: its parameters are call's arguments. */
	int fi, fn;
	const struct call *call;
	struct argctx at;         /* where the call's arguments are */
	/* A loop: names bound to values (fn is -2), or to the tokens of items of a literal
	   display that are not all constants (by_tokens, read in context at). */
	const char *names[8];
	struct pyval vals[8];
	struct arg toks[8];
	bool by_tokens;
	size_t nnames;
};

enum ref_kind { R_NONE, R_OBJ, R_MOD, R_FUNC, R_CLASS, R_CONST };

struct ref {
	enum ref_kind kind;
	int file;
	int idx;  /* object, function, class or binding */
};

/* ------------------------------------------------------------------ */
/* Small helpers */

static void *push_item(struct ctx *c, void **arr, size_t *n, size_t *cap, size_t elem)
{
	char *p;

	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;
		void *v = realloc(*arr, ncap * elem);

		if (!v) {
			c->oom = true;
			return NULL;
		}
		*arr = v;
		*cap = ncap;
	}
	p = (char *)*arr + (*n)++ * elem;
	memset(p, 0, elem);
	return p;
}

#define PUSH(c, arr, n, cap) ((__typeof__(arr))push_item((c), (void **)&(arr), &(n), &(cap), sizeof(*(arr))))

static char *xstrndup(struct ctx *c, const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (!p) {
		c->oom = true;
		return NULL;
	}
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static char *xstrdup(struct ctx *c, const char *s)
{
	return s ? xstrndup(c, s, strlen(s)) : NULL;
}

static char *xasprintf(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *xasprintf(struct ctx *c, const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (n < 0) {
		c->oom = true;
		return NULL;
	}
	return p;
}

static void set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static const struct py_token *T(const struct file *f, uint32_t i)
{
	return &f->toks.v[i];
}

static bool is_op(const struct file *f, uint32_t i, uint32_t end, const char *op)
{
	return i < end && pyscan__is(f->src, T(f, i), PY_OP, op);
}

static bool is_name(const struct file *f, uint32_t i, uint32_t end, const char *name)
{
	return i < end && pyscan__is(f->src, T(f, i), PY_NAME, name);
}

static bool is_any_name(const struct file *f, uint32_t i, uint32_t end)
{
	return i < end && T(f, i)->type == PY_NAME;
}

static char *tok_text(struct ctx *c, const struct file *f, uint32_t i)
{
	return xstrndup(c, f->src + T(f, i)->off, T(f, i)->len);
}

static bool tok_eq(const struct file *f, uint32_t i, const char *s)
{
	size_t n = strlen(s);

	return T(f, i)->len == n && !memcmp(f->src + T(f, i)->off, s, n);
}

/* The matching closing bracket of the opener at i, or end. */
static uint32_t close_of(const struct file *f, uint32_t i, uint32_t end)
{
	int depth = 0;

	for (; i < end; i++) {
		const struct py_token *t = T(f, i);

		if (t->type != PY_OP || t->len != 1)
			continue;
		switch (f->src[t->off]) {
		case '(': case '[': case '{':
			depth++;
			break;
		case ')': case ']': case '}':
			if (--depth == 0)
				return i;
			break;
		}
	}
	return end;
}

/* NAME ('.' NAME)* from i; returns the index after it and the text in *out (or NULL). */
static uint32_t dotted_fwd(struct ctx *c, const struct file *f, uint32_t i, uint32_t end, char **out)
{
	uint32_t j = i;
	size_t len = 0, k;
	char *p;

	*out = NULL;
	if (!is_any_name(f, j, end))
		return i;
	j++;
	while (is_op(f, j, end, ".") && is_any_name(f, j + 1, end))
		j += 2;
	for (k = i; k < j; k++)
		len += T(f, k)->len;
	p = malloc(len + 1);
	if (!p) {
		c->oom = true;
		return j;
	}
	for (len = 0, k = i; k < j; k++) {
		memcpy(p + len, f->src + T(f, k)->off, T(f, k)->len);
		len += T(f, k)->len;
	}
	p[len] = '\0';
	*out = p;
	return j;
}

/* Split a call's arguments (open is the "(" token). Returns the ")" index. */
static uint32_t parse_call(const struct file *f, uint32_t open, uint32_t end, struct call *call)
{
	uint32_t close = close_of(f, open, end), i = open + 1, start;
	int depth;

	call->n = 0;
	while (i < close) {
		struct arg a = { .kw = NO_KW };

		start = i;
		for (depth = 0; i < close; i++) {
			const struct py_token *t = T(f, i);
			char ch = t->type == PY_OP && t->len == 1 ? f->src[t->off] : 0;

			if (ch == '(' || ch == '[' || ch == '{')
				depth++;
			else if (ch == ')' || ch == ']' || ch == '}')
				depth--;
			else if (ch == ',' && depth == 0)
				break;
		}
		a.a = start;
		a.b = i;
		if (is_op(f, a.a, a.b, "*") || is_op(f, a.a, a.b, "**")) {
			a.star = T(f, a.a)->len;
			a.a++;
		} else if (is_any_name(f, a.a, a.b) && is_op(f, a.a + 1, a.b, "=")) {
			a.kw = a.a;
			a.a += 2;
		}
		if (start < i && call->n < MAX_ARGS)
			call->v[call->n++] = a;
		i++; /* past the comma */
	}
	return close;
}

static const struct arg *kwarg(const struct file *f, const struct call *call, const char *name)
{
	size_t i;

	for (i = 0; i < call->n; i++)
		if (call->v[i].kw != NO_KW && tok_eq(call->v[i].kwf ? call->v[i].kwf : f, call->v[i].kw, name))
			return &call->v[i];
	return NULL;
}

/* Positional argument pos, or the keyword argument name. */
static const struct arg *param(const struct file *f, const struct call *call, size_t pos, const char *name)
{
	size_t i, seen = 0;

	for (i = 0; i < call->n; i++) {
		if (call->v[i].kw != NO_KW || call->v[i].star)
			continue;
		if (seen++ == pos)
			return &call->v[i];
	}
	return name ? kwarg(f, call, name) : NULL;
}

static bool has_star_args(const struct call *call)
{
	size_t i;

	for (i = 0; i < call->n; i++)
		if (call->v[i].star)
			return true;
	return false;
}

static void warn_at(const struct ctx *c, int fi, uint32_t line, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
#define MAX_NOTES 1000

int route_decls__note(struct route_decls *d, const char *text)
{
	char **g;
	size_t i;

	for (i = 0; i < d->nnotes; i++)
		if (!strcmp(d->notes[i], text))
			return 0;
	if (d->nnotes >= MAX_NOTES)
		return 0;
	g = realloc(d->notes, (d->nnotes + 1) * sizeof(*g));
	if (!g)
		return -ENOMEM;
	d->notes = g;
	d->notes[d->nnotes] = strdup(text);
	if (!d->notes[d->nnotes])
		return -ENOMEM;
	d->nnotes++;
	return 0;
}

/* What could not be learned, with file:line: a note for the caller to show. */
static void warn_at(const struct ctx *c, int fi, uint32_t line, const char *fmt, ...)
{
	char msg[512], note[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(note, sizeof(note), "%s:%u: %s", c->files[fi]->path, line, msg);
	if (route_decls__note(&((struct ctx *)c)->notes, note))
		((struct ctx *)c)->oom = true;
}

/* ------------------------------------------------------------------ */
/* Files and modules */

static bool is_dir(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

static bool is_file(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISREG(st.st_mode);
}

static int read_all(const char *path, char **out, size_t *outlen)
{
	struct stat st;
	size_t got = 0;
	char *buf;
	ssize_t n;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		err = -errno;
		close(fd);
		return err;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > MAX_FILE_SIZE) {
		close(fd);
		return S_ISREG(st.st_mode) ? -EFBIG : -EINVAL;
	}
	buf = malloc(st.st_size + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size) {
		n = read(fd, buf + got, st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
	}
	close(fd);
	buf[got] = '\0';
	*out = buf;
	*outlen = got;
	return 0;
}

/* The module name of path under root: "pkg/sub/mod.py" -> "pkg.sub.mod", "pkg/__init__.py" -> "pkg". */
static char *module_name(struct ctx *c, const char *root, const char *path, bool *is_pkg)
{
	size_t rl = strlen(root), i;
	const char *rel = path;
	char *m;
	size_t n;

	if (rl && !strncmp(path, root, rl) && path[rl] == '/')
		rel = path + rl + 1;
	else if (strrchr(path, '/'))
		rel = strrchr(path, '/') + 1;
	while (!strncmp(rel, "./", 2))
		rel += 2;
	m = xstrdup(c, rel);
	if (!m)
		return NULL;
	n = strlen(m);
	if (n >= 3 && !strcmp(m + n - 3, ".py"))
		m[n -= 3] = '\0';
	*is_pkg = false;
	if (n >= 8 && !strcmp(m + n - 8, "__init__") && (n == 8 || m[n - 9] == '/')) {
		*is_pkg = true;
		n = n == 8 ? 0 : n - 9;
		m[n] = '\0';
	}
	for (i = 0; i < n; i++)
		if (m[i] == '/')
			m[i] = '.';
	return m;
}

static void scan_file(struct ctx *c, int fi);

/* The index of the file at path, loading (and scanning) it if new; -1 on failure. */
static int load_file(struct ctx *c, const char *path, const char *src, size_t len)
{
	struct file *f, **slot;
	size_t i;
	int err;

	for (i = 0; i < c->nfiles; i++)
		if (!strcmp(c->files[i]->path, path))
			return i;
	if (c->nfiles >= MAX_FILES || c->closed)
		return -1;
	f = calloc(1, sizeof(*f));
	if (!f) {
		c->oom = true;
		return -1;
	}
	f->path = xstrdup(c, path);
	if (src) {
		f->src = xstrndup(c, src, len);
		f->len = len;
		err = f->src ? 0 : -ENOMEM;
	} else {
		err = read_all(path, &f->src, &f->len);
	}
	if (!err)
		err = pyscan__tokenize(f->src, f->len, &f->toks);
	if (err || !f->path) {
		if (err == -ENOMEM)
			c->oom = true;
		else if (err)
			pr_warn("%s: cannot read: %s", path, strerror(-err));
		free(f->path);
		free(f->src);
		free(f);
		return -1;
	}
	f->mod = module_name(c, c->nroots ? c->roots[0] : "", path, &f->is_pkg);
	slot = PUSH(c, c->files, c->nfiles, c->cfiles);
	if (!slot) {
		pyscan__free(&f->toks);
		free(f->path);
		free(f->src);
		free(f->mod);
		free(f);
		return -1;
	}
	*slot = f;
	scan_file(c, c->nfiles - 1);
	return c->nfiles - 1;
}

/* The file of a module (dotted, absolute), or -1. */
static int find_module(struct ctx *c, const char *mod)
{
	char path[4096];
	size_t i, r, ml = strlen(mod);
	int n;

	if (!ml)
		return -1;
	for (i = 0; i < c->nfiles; i++)
		if (c->files[i]->mod && !strcmp(c->files[i]->mod, mod))
			return i;
	if (c->follow_imports) {
		for (r = 0; r < c->nroots; r++) {
			static const char *const fmts[] = { "%s/%s.py", "%s/%s/__init__.py" };
			size_t k, j;

			for (k = 0; k < 2; k++) {
				n = snprintf(path, sizeof(path), fmts[k], c->roots[r], mod);
				if (n < 0 || (size_t)n >= sizeof(path))
					continue;
				/* Dots of the module name are folders. */
				for (j = strlen(c->roots[r]) + 1; j < strlen(c->roots[r]) + 1 + ml; j++)
					if (path[j] == '.')
						path[j] = '/';
				if (is_file(path))
					return load_file(c, path, NULL, 0);
			}
		}
	}
	/* A module imported by a shorter name than ours (sys.path has its folder). */
	for (i = 0; i < c->nfiles; i++) {
		const char *m = c->files[i]->mod;
		size_t l = m ? strlen(m) : 0;

		if (l > ml && m[l - ml - 1] == '.' && !strcmp(m + l - ml, mod))
			return i;
	}
	return -1;
}

/* Resolve a relative import ("from ..a import b") of file fi into an absolute module name. */
static char *absolute_module(struct ctx *c, int fi, int level, const char *rel)
{
	const struct file *f = c->files[fi];
	char *pkg = xstrdup(c, f->mod ? f->mod : ""), *dot, *out;
	int up = f->is_pkg ? level - 1 : level;

	if (!pkg)
		return NULL;
	while (up-- > 0) {
		dot = strrchr(pkg, '.');
		if (dot)
			*dot = '\0';
		else
			pkg[0] = '\0';
	}
	if (!rel || !*rel)
		return pkg;
	out = *pkg ? xasprintf(c, "%s.%s", pkg, rel) : xstrdup(c, rel);
	free(pkg);
	return out;
}

/* ------------------------------------------------------------------ */
/* Pass 1: statements */

struct scope {
	uint32_t indent;
	int fn;           /* function index, -1 for a class */
};

struct scanstate {
	struct scope st[MAX_SCOPES];
	int nst;
	uint32_t decos[MAX_DECOS]; /* token index of each pending decorator's "@" */
	int ndecos;
};

static int current_fn(const struct scanstate *ss)
{
	int i;

	for (i = ss->nst - 1; i >= 0; i--)
		if (ss->st[i].fn >= 0)
			return ss->st[i].fn;
	return -1;
}

static struct binding *add_binding(struct ctx *c, struct file *f, const char *name, size_t namelen,
				   enum bind_kind kind, uint32_t pos, int fn)
{
	struct binding *b = PUSH(c, f->binds, f->nbinds, f->cbinds);

	if (!b)
		return NULL;
	b->name = xstrndup(c, name, namelen);
	b->kind = kind;
	b->pos = pos;
	b->fn = fn;
	b->obj = -1;
	return b;
}

static struct event *add_event(struct ctx *c, struct file *f, enum ev_kind kind, uint32_t pos, int fn)
{
	struct event *e = PUSH(c, f->evs, f->nevs, f->cevs);

	if (!e)
		return NULL;
	e->kind = kind;
	e->pos = pos;
	e->line = T(f, pos)->line;
	e->fn = fn;
	e->target = -1;
	return e;
}

static void import_event(struct ctx *c, int fi, const char *mod, uint32_t pos, int fn)
{
	int target = find_module(c, mod);
	struct event *e;

	if (target < 0 || target == fi)
		return;
	e = add_event(c, c->files[fi], EV_IMPORT, pos, fn);
	if (e)
		e->target = target;
}

/* import a.b.c [as x], d ... */
static void scan_import(struct ctx *c, int fi, uint32_t s, uint32_t t, int fn)
{
	struct file *f = c->files[fi];
	uint32_t i = s + 1;
	char *mod, *p;

	while (i < t) {
		i = dotted_fwd(c, f, i, t, &mod);
		if (!mod)
			return;
		/* Importing a.b.c runs a, a.b and a.b.c. */
		for (p = mod; (p = strchr(p, '.')); p++) {
			*p = '\0';
			import_event(c, fi, mod, s, fn);
			*p = '.';
		}
		import_event(c, fi, mod, s, fn);
		f = c->files[fi];
		if (is_name(f, i, t, "as") && is_any_name(f, i + 1, t)) {
			struct binding *b = add_binding(c, f, f->src + T(f, i + 1)->off, T(f, i + 1)->len, B_MOD, s, fn);

			if (b)
				b->a = xstrdup(c, mod);
			i += 2;
		} else {
			size_t first = strcspn(mod, ".");
			struct binding *b = add_binding(c, f, mod, first, B_MOD, s, fn);

			if (b)
				b->a = xstrndup(c, mod, first);
		}
		free(mod);
		if (!is_op(f, i, t, ","))
			return;
		i++;
	}
}

/* from [.]*a.b import x [as y], (z, ...) | * */
static void scan_from(struct ctx *c, int fi, uint32_t s, uint32_t t, int fn)
{
	struct file *f = c->files[fi];
	uint32_t i = s + 1;
	char *rel = NULL, *mod, *sub;
	int level = 0;

	for (; is_op(f, i, t, ".") || is_op(f, i, t, "..."); i++)
		level += T(f, i)->len;
	if (is_any_name(f, i, t) && !is_name(f, i, t, "import"))
		i = dotted_fwd(c, f, i, t, &rel);
	if (!is_name(f, i, t, "import")) {
		free(rel);
		return;
	}
	i++;
	mod = level ? absolute_module(c, fi, level, rel) : xstrdup(c, rel ? rel : "");
	free(rel);
	if (!mod)
		return;
	import_event(c, fi, mod, s, fn);
	f = c->files[fi];
	if (is_op(f, i, t, "*")) {
		char **slot = PUSH(c, f->stars, f->nstars, f->cstars);

		if (slot)
			*slot = xstrdup(c, mod);
		free(mod);
		return;
	}
	if (is_op(f, i, t, "("))
		i++;
	while (is_any_name(f, i, t)) {
		uint32_t name = i, alias = i;
		struct binding *b;

		i++;
		if (is_name(f, i, t, "as") && is_any_name(f, i + 1, t)) {
			alias = i + 1;
			i += 2;
		}
		/* "from pkg import views" may import the module pkg.views. */
		sub = *mod ? xasprintf(c, "%s.%.*s", mod, (int)T(f, name)->len, f->src + T(f, name)->off)
			   : tok_text(c, f, name);
		if (sub) {
			import_event(c, fi, sub, s, fn);
			free(sub);
		}
		f = c->files[fi];
		b = add_binding(c, f, f->src + T(f, alias)->off, T(f, alias)->len, B_FROM, s, fn);
		if (b) {
			b->a = xstrdup(c, mod);
			b->b = tok_text(c, f, name);
		}
		if (!is_op(f, i, t, ","))
			break;
		i++;
	}
	free(mod);
}

/* def NAME(params): record the function and its parameter names. */
static int scan_def(struct ctx *c, struct file *f, uint32_t i, uint32_t t, int parent)
{
	struct funcdef *d;
	uint32_t open, close, k;
	int depth = 0;

	if (!is_any_name(f, i, t))
		return -1;
	d = PUSH(c, f->funcs, f->nfuncs, f->cfuncs);
	if (!d)
		return -1;
	d->name = tok_text(c, f, i);
	d->parent = parent;
	open = i + 1;
	if (!is_op(f, open, t, "("))
		return f->nfuncs - 1;
	close = close_of(f, open, t);
	for (k = open + 1; k < close; k++) {
		const struct py_token *tk = T(f, k);

		if (tk->type == PY_OP && tk->len == 1 && strchr("([{", f->src[tk->off]))
			depth++;
		else if (tk->type == PY_OP && tk->len == 1 && strchr(")]}", f->src[tk->off]))
			depth--;
		else if (depth == 0 && tk->type == PY_NAME &&
			 (k == open + 1 || is_op(f, k - 1, t, ",") || is_op(f, k - 1, t, "*") ||
			  is_op(f, k - 1, t, "**"))) {
			const char *star = is_op(f, k - 1, t, "**") ? "**" : is_op(f, k - 1, t, "*") ? "*" : "";
			size_t idx = d->nparams;
			char **p = PUSH(c, d->params, d->nparams, d->cparams);
			uint32_t q, e;
			int dd = 0;

			if (!p)
				continue;
			*p = xasprintf(c, "%s%.*s", star, (int)tk->len, f->src + tk->off);
			if (d->cdefaults < d->cparams) {
				void *g = realloc(d->defaults, d->cparams * sizeof(*d->defaults));

				if (!g) {
					c->oom = true;
					continue;
				}
				d->defaults = g;
				d->cdefaults = d->cparams;
			}
			d->defaults[idx][0] = d->defaults[idx][1] = 0;
			/* NAME [: annotation] [= default] */
			for (q = k + 1; q < close; q++) {
				const struct py_token *u = T(f, q);
				char ch = u->type == PY_OP && u->len == 1 ? f->src[u->off] : 0;

				if (ch == '(' || ch == '[' || ch == '{')
					dd++;
				else if (ch == ')' || ch == ']' || ch == '}')
					dd--;
				else if (dd == 0 && (ch == ',' || ch == '='))
					break;
			}
			if (is_op(f, q, close, "=")) {
				for (e = q + 1, dd = 0; e < close; e++) {
					const struct py_token *u = T(f, e);
					char ch = u->type == PY_OP && u->len == 1 ? f->src[u->off] : 0;

					if (ch == '(' || ch == '[' || ch == '{')
						dd++;
					else if (ch == ')' || ch == ']' || ch == '}')
						dd--;
					else if (dd == 0 && ch == ',')
						break;
				}
				d->defaults[idx][0] = q + 1;
				d->defaults[idx][1] = e;
			}
		}
	}
	return f->nfuncs - 1;
}

static void scan_class(struct ctx *c, struct file *f, uint32_t i, uint32_t t)
{
	struct classdef *d;
	uint32_t k;

	if (!is_any_name(f, i + 1, t))
		return;
	d = PUSH(c, f->classes, f->nclasses, f->cclasses);
	if (!d)
		return;
	d->name = tok_text(c, f, i + 1);
	d->tok = i;
	d->indent = T(f, i)->indent;
	if (!is_op(f, i + 2, t, "("))
		return;
	for (k = i + 3; k < t && is_any_name(f, k, t);) {
		char *base, **p;

		k = dotted_fwd(c, f, k, t, &base);
		if (is_op(f, k, t, "=")) { /* metaclass=... */
			free(base);
			break;
		}
		p = PUSH(c, d->bases, d->nbases, d->cbases);
		if (p)
			*p = base;
		else
			free(base);
		if (!is_op(f, k, t, ","))
			break;
		k++;
	}
}

static enum route_kind route_kind_of(const struct file *f, uint32_t i, bool *ok)
{
	static const char *const names[] = { "route", "get", "post", "put", "patch", "delete", "add_url_rule" };
	size_t k;

	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		if (tok_eq(f, i, names[k])) {
			*ok = true;
			return (enum route_kind)k;
		}
	}
	*ok = false;
	return RK_ROUTE;
}

/* A decorator "@recv.route(...)" at d for the function named by token def_name. */
static void emit_decorator(struct ctx *c, int fi, uint32_t d, uint32_t t, uint32_t def_name, int fn)
{
	struct file *f = c->files[fi];
	uint32_t i, last;
	struct event *e;
	enum route_kind rk;
	char *chain;
	bool ok;

	i = dotted_fwd(c, f, d + 1, t, &chain);
	if (!chain)
		return;
	last = i - 1;
	rk = route_kind_of(f, last, &ok);
	if (!ok || rk == RK_ADD || last == d + 1 || !is_op(f, i, t, "(")) {
		free(chain);
		return;
	}
	e = add_event(c, f, EV_ROUTE, d, fn);
	if (!e) {
		free(chain);
		return;
	}
	*strrchr(chain, '.') = '\0';
	e->recv = chain;
	e->rk = rk;
	e->view = tok_text(c, f, def_name);
	e->end = parse_call(f, i, t, &e->args);
}

/* Is tokens[k] "recv . NAME (" with a plain dotted receiver? Returns the receiver's first token. */
static bool method_call_at(const struct file *f, uint32_t k, uint32_t s, uint32_t t, uint32_t *recv_start)
{
	uint32_t j;

	if (k < s + 2 || !is_op(f, k - 1, t, ".") || !is_op(f, k + 1, t, "(") || !is_any_name(f, k - 2, t))
		return false;
	j = k - 2;
	while (j >= s + 2 && is_op(f, j - 1, t, ".") && is_any_name(f, j - 2, t))
		j -= 2;
	/* foo().add_url_rule, x[0].route, "a".get: not a name we can follow. */
	if (j > s) {
		const struct py_token *p = T(f, j - 1);

		if (p->type == PY_STRING || p->type == PY_NUMBER ||
		    is_op(f, j - 1, t, ".") || is_op(f, j - 1, t, ")") || is_op(f, j - 1, t, "]") ||
		    is_op(f, j - 1, t, "}"))
			return false;
	}
	*recv_start = j;
	return true;
}

/* X.config.from_object(...), .from_mapping(...), .update(...) at name token k: a config source. */
static bool scan_config_call(struct ctx *c, int fi, uint32_t k, uint32_t rs, uint32_t t, int fn)
{
	struct file *f = c->files[fi];
	struct cfgsrc *g;

	if (k < rs + 2 || !tok_eq(f, k - 2, "config") ||
	    !(tok_eq(f, k, "from_object") || tok_eq(f, k, "from_mapping") || tok_eq(f, k, "update")))
		return false;
	g = PUSH(c, c->cfgs, c->ncfgs, c->ccfgs);
	if (!g)
		return true;
	g->kind = tok_eq(f, k, "from_object") ? CFG_OBJECT : CFG_MAPPING;
	g->fi = fi;
	g->fn = fn;
	parse_call(f, k + 1, t, &g->args);
	if (g->kind == CFG_OBJECT && g->args.n) {
		char *path, *dot;

		g->a = g->args.v[0].a;
		g->b = g->args.v[0].b;
		/* from_object("pkg.settings.Config") imports pkg.settings: so do we. */
		if (g->b == g->a + 1 && T(f, g->a)->type == PY_STRING &&
		    !pyscan__string_value(f->src, T(f, g->a), &path, NULL)) {
			if (find_module(c, path) < 0 && (dot = strrchr(path, '.'))) {
				*dot = '\0';
				find_module(c, path);
			}
			free(path);
		}
	}
	return true;
}

/*
 * NAME(...) or a.b.NAME(...) as a whole statement or as the value of an
 * assignment: calls of the project's own helpers, and extensions being set
 * up (Bootstrap(app)).
 */
static void scan_plain_call(struct ctx *c, int fi, uint32_t s, uint32_t t, int fn)
{
	struct file *f = c->files[fi];
	uint32_t k = s, after;
	struct event *e;
	char *callee;

	/* Past "a = b = " */
	for (; is_any_name(f, k, t) && is_op(f, k + 1, t, "="); k += 2)
		;
	after = dotted_fwd(c, f, k, t, &callee);
	if (!callee)
		return;
	if (!is_op(f, after, t, "(") || close_of(f, after, t) != t - 1 || is_name(f, k, t, "print") ||
	    is_name(f, k, t, "return")) {
		free(callee);
		return;
	}
	e = add_event(c, f, EV_CALL, k, fn);
	if (!e) {
		free(callee);
		return;
	}
	e->recv = callee;
	e->end = parse_call(f, after, t, &e->args);
}

/* for NAME[, NAME...] in EXPR: binds each NAME as a loop variable over EXPR. */
static void scan_for(struct ctx *c, int fi, uint32_t s, uint32_t t, int fn)
{
	struct file *f = c->files[fi];
	uint32_t k = s + 1, in, colon, names[8];
	size_t n = 0, i;
	int depth = 0;

	if (is_op(f, k, t, "("))
		k++;
	for (; is_any_name(f, k, t) && n < 8; k++) {
		names[n++] = k++;
		if (!is_op(f, k, t, ","))
			break;
	}
	if (is_op(f, k, t, ")"))
		k++;
	in = k;
	if (!n || !is_name(f, in, t, "in"))
		return;
	for (colon = in + 1; colon < t; colon++) {
		const struct py_token *u = T(f, colon);
		char ch = u->type == PY_OP && u->len == 1 ? f->src[u->off] : 0;

		if (ch == '(' || ch == '[' || ch == '{')
			depth++;
		else if (ch == ')' || ch == ']' || ch == '}')
			depth--;
		else if (ch == ':' && depth == 0)
			break;
	}
	for (i = 0; i < n; i++) {
		struct binding *b = add_binding(c, f, f->src + T(f, names[i])->off, T(f, names[i])->len,
						B_FOR, s, fn);

		if (!b)
			return;
		b->ra = in + 1;
		b->rb = colon;
		b->unpack = n > 1 || is_op(f, names[0] + 1, t, ",") ? (int)i : -1;
	}
}

/* Calls anywhere in a statement: X.add_url_rule(...), X.register_blueprint(...), X.route(...)(view). */
static void scan_calls(struct ctx *c, int fi, uint32_t s, uint32_t t, int fn)
{
	struct file *f = c->files[fi];
	uint32_t k, rs, close;
	struct event *e;
	enum route_kind rk;
	char *recv;
	bool ok;

	for (k = s; k < t; k++) {
		if (T(f, k)->type != PY_NAME || !method_call_at(f, k, s, t, &rs))
			continue;
		if (tok_eq(f, k, "register_blueprint") || tok_eq(f, k, "init_app") ||
		    tok_eq(f, k, "add_resource") || tok_eq(f, k, "add_namespace")) {
			dotted_fwd(c, f, rs, k - 1, &recv);
			e = recv ? add_event(c, f, tok_eq(f, k, "register_blueprint") ? EV_REGISTER :
						   tok_eq(f, k, "init_app") ? EV_INIT : EV_ROUTE, k, fn) : NULL;
			if (!e) {
				free(recv);
				continue;
			}
			e->recv = recv;
			e->rk = tok_eq(f, k, "add_namespace") ? RK_NAMESPACE : RK_RESOURCE;
			e->end = parse_call(f, k + 1, t, &e->args);
			continue;
		}
		if (scan_config_call(c, fi, k, rs, t, fn))
			continue;
		rk = route_kind_of(f, k, &ok);
		if (!ok)
			continue;
		close = close_of(f, k + 1, t);
		if (rk != RK_ADD) {
			/* Call form of the decorator: app.route("/x")(view). */
			uint32_t v = close + 1, vend;
			char *view;

			if (!is_op(f, v, t, "(") || !is_any_name(f, v + 1, t))
				continue;
			vend = dotted_fwd(c, f, v + 1, t, &view);
			if (!view)
				continue;
			if (!is_op(f, vend, t, ")")) {
				free(view);
				continue;
			}
			e = add_event(c, f, EV_ROUTE, k, fn);
			if (!e) {
				free(view);
				continue;
			}
			e->view = xstrdup(c, strrchr(view, '.') ? strrchr(view, '.') + 1 : view);
			free(view);
		} else {
			e = add_event(c, f, EV_ROUTE, k, fn);
			if (!e)
				continue;
		}
		dotted_fwd(c, f, rs, k - 1, &e->recv);
		e->rk = rk;
		e->end = parse_call(f, k + 1, t, &e->args);
	}
	scan_plain_call(c, fi, s, t, fn);
}

/* Whether the file imports module mod (or names from it). */
static bool file_imports(const struct file *f, const char *mod)
{
	size_t i;

	for (i = 0; i < f->nbinds; i++)
		if ((f->binds[i].kind == B_FROM || f->binds[i].kind == B_MOD) && f->binds[i].a &&
		    !strcmp(f->binds[i].a, mod))
			return true;
	return false;
}

/* The module a REST extension's name comes from: flask_restful, flask_restx or flask_restplus. */
static enum rest_kind rest_origin(const struct file *f, const char *callee)
{
	const char *mod = NULL;
	size_t i;

	if (!strncmp(callee, "flask_rest", 10)) {
		mod = callee;
	} else {
		for (i = 0; i < f->nbinds && !mod; i++) {
			const struct binding *b = &f->binds[i];

			if (b->kind == B_FROM && b->name && !strcmp(b->name, callee) && b->a &&
			    !strncmp(b->a, "flask_rest", 10))
				mod = b->a;
		}
	}
	if (!mod)
		return REST_NONE;
	return !strncmp(mod, "flask_restx", 11) || !strncmp(mod, "flask_restplus", 14) ? REST_RESTX : REST_RESTFUL;
}

/*
 * What the dotted callee constructs: 1 Flask, 2 Blueprint (directly, via an
 * alias, or a local subclass), 3 Flask-RESTful's Api, 4 flask-restx's (or
 * Flask-RESTPlus's) Api, 5 their Namespace; 0 anything else.
 */
static int ctor_kind(struct ctx *c, int fi, const char *callee, int depth)
{
	const struct file *f = c->files[fi];
	const char *last = strrchr(callee, '.') ? strrchr(callee, '.') + 1 : callee;
	size_t i, k;

	if (depth > MAX_DEPTH)
		return 0;
	if (!strcmp(last, "Flask") || !strcmp(last, "APIFlask"))
		return 1;
	if (!strcmp(last, "Blueprint") || !strcmp(last, "APIBlueprint"))
		return 2;
	/* Flask-RESTful's Api (and its forks'): routes of resources, on an app or a blueprint. */
	if (!strcmp(last, "Api") || !strcmp(last, "Namespace")) {
		enum rest_kind rk = rest_origin(f, callee);

		if (rk == REST_NONE || (rk == REST_RESTFUL && *last == 'N'))
			return 0;
		return *last == 'N' ? 5 : rk == REST_RESTX ? 4 : 3;
	}
	if (strchr(callee, '.'))
		return 0;
	/* from flask import Flask as F */
	for (i = 0; i < f->nbinds; i++) {
		const struct binding *b = &f->binds[i];

		if (b->kind == B_FROM && b->name && !strcmp(b->name, callee) && b->b &&
		    strcmp(b->b, callee))
			return ctor_kind(c, fi, b->b, depth + 1);
	}
	/* class MyApp(Flask): ... */
	for (i = 0; i < f->nclasses; i++) {
		const struct classdef *d = &f->classes[i];

		if (!d->name || strcmp(d->name, callee))
			continue;
		for (k = 0; k < d->nbases; k++) {
			int kind = d->bases[k] && strcmp(d->bases[k], callee) ? ctor_kind(c, fi, d->bases[k], depth + 1) : 0;

			if (kind)
				return kind;
		}
	}
	return 0;
}

/* NAME [: annotation] = value, and X.url_map.strict_slashes = value. */
static void scan_assign(struct ctx *c, int fi, uint32_t s, uint32_t t, int fn)
{
	struct file *f = c->files[fi];
	uint32_t eq = t, k, v, after, ntargets = 0, targets[8];
	int depth = 0;
	char *callee = NULL, *lhs;

	/* The last top-level "=" separates the targets from the value. */
	for (k = s; k < t; k++) {
		const struct py_token *tk = T(f, k);
		char ch = tk->type == PY_OP && tk->len == 1 ? f->src[tk->off] : 0;

		if (ch == '(' || ch == '[' || ch == '{')
			depth++;
		else if (ch == ')' || ch == ']' || ch == '}')
			depth--;
		else if (ch == '=' && depth == 0)
			eq = k;
	}
	if (eq == t)
		return;
	v = eq + 1;
	/* app.url_map.strict_slashes = False */
	after = dotted_fwd(c, f, s, eq, &lhs);
	if (lhs && after == eq) {
		size_t l = strlen(lhs);
		static const char sfx[] = ".url_map.strict_slashes";

		if (l > sizeof(sfx) - 1 && !strcmp(lhs + l - (sizeof(sfx) - 1), sfx)) {
			struct event *e = add_event(c, f, EV_MAPSET, s, fn);

			lhs[l - (sizeof(sfx) - 1)] = '\0';
			if (e) {
				e->recv = lhs;
				e->args.n = 1;
				e->args.v[0] = (struct arg){ .kw = NO_KW, .a = v, .b = t };
				return;
			}
		}
	}
	/* X.config["KEY"] = value */
	if (lhs && is_op(f, after, eq, "[") && T(f, after + 1)->type == PY_STRING &&
	    is_op(f, after + 2, eq, "]") && after + 3 == eq && strlen(lhs) >= 6 &&
	    !strcmp(lhs + strlen(lhs) - 6, "config")) {
		struct cfgsrc *g = PUSH(c, c->cfgs, c->ncfgs, c->ccfgs);
		size_t kl;

		if (g) {
			g->kind = CFG_SET;
			g->fi = fi;
			g->fn = fn;
			g->a = v;
			g->b = t;
			if (pyscan__string_value(f->src, T(f, after + 1), &g->key, &kl))
				g->key = NULL;
		}
		free(lhs);
		return;
	}
	free(lhs);
	/* Targets: a = b = value, a: T = value. */
	for (k = s; k < eq && ntargets < 8; k++) {
		if (!is_any_name(f, k, eq))
			return;
		targets[ntargets++] = k;
		k++;
		if (is_op(f, k, eq, ":"))
			break;
		if (k < eq && !is_op(f, k, eq, "="))
			return;
	}
	if (!ntargets)
		return;
	/* What the value is. */
	after = dotted_fwd(c, f, v, t, &callee);
	for (k = 0; k < ntargets; k++) {
		uint32_t name = targets[k];
		struct binding *b;
		int kind;

		if (callee && is_op(f, after, t, "(") && close_of(f, after, t) == t - 1) {
			size_t cl = strlen(callee);

			kind = ctor_kind(c, fi, callee, 0);
			/* ns = api.namespace("name", ...): a namespace if api turns out to be a flask-restx Api. */
			if (!kind && cl > 10 && !strcmp(callee + cl - 10, ".namespace"))
				kind = 6;
			if (kind && k == 0) {
				struct obj *o = PUSH(c, c->objs, c->nobjs, c->cobjs);

				if (!o)
					break;
				o->is_app = kind == 1;
				o->is_api = kind == 3 || kind == 4;
				o->is_ns = kind >= 5;
				o->rest = kind == 3 ? REST_RESTFUL : kind >= 4 ? REST_RESTX : REST_NONE;
				o->restplus = kind == 4 && (strstr(callee, "restplus") || file_imports(f, "flask_restplus"));
				if (kind == 6)
					o->factory = xstrndup(c, callee, cl - 10);
				o->target = -1;
				o->file = fi;
				o->fn = fn;
				o->line = T(f, s)->line;
				o->pos = s;
				o->app_seq = 0;
				parse_call(f, after, t, &o->args);
				if (o->is_app || o->rest == REST_RESTX) {
					struct event *e = add_event(c, f, o->is_app ? EV_NEWAPP : EV_NEWAPI, s, fn);

					if (e)
						e->target = c->nobjs - 1;
				}
			}
			b = add_binding(c, f, f->src + T(f, name)->off, T(f, name)->len,
					kind ? B_OBJ : B_CALL, s, fn);
			if (!b)
				break;
			if (kind)
				b->obj = c->nobjs - 1;
			else
				b->a = xstrdup(c, callee);
			b->ra = v; /* x = x.strip("/") is a constant too */
			b->rb = t;
		} else if (callee && after == t) {
			b = add_binding(c, f, f->src + T(f, name)->off, T(f, name)->len, B_ALIAS, s, fn);
			if (b) {
				b->a = xstrdup(c, callee);
				b->ra = v;
				b->rb = t;
			}
		} else {
			b = add_binding(c, f, f->src + T(f, name)->off, T(f, name)->len, B_CONST, s, fn);
			if (b) {
				b->ra = v;
				b->rb = t;
			}
		}
	}
	free(callee);
}

static void scan_statement(struct ctx *c, int fi, uint32_t s, uint32_t t, struct scanstate *ss)
{
	struct file *f = c->files[fi];
	uint32_t i = s;
	int fn = current_fn(ss), k, d;

	if (is_op(f, s, t, "@")) {
		if (ss->ndecos < MAX_DECOS)
			ss->decos[ss->ndecos++] = s;
		return;
	}
	if (is_name(f, i, t, "async"))
		i++;
	if (is_name(f, i, t, "def") || is_name(f, i, t, "class")) {
		bool is_class = is_name(f, i, t, "class");

		/* Decorators apply bottom-up: the one nearest the def registers first. */
		for (k = ss->ndecos - 1; k >= 0; k--) {
			uint32_t end = ss->decos[k];

			while (end < f->toks.n && T(f, end)->type != PY_NEWLINE)
				end++;
			emit_decorator(c, fi, ss->decos[k], end, i + 1, fn);
			f = c->files[fi];
		}
		ss->ndecos = 0;
		d = is_class ? -1 : scan_def(c, f, i + 1, t, fn);
		if (is_class)
			scan_class(c, f, i, t);
		if (ss->nst < MAX_SCOPES)
			ss->st[ss->nst++] = (struct scope){ .indent = T(f, s)->indent, .fn = d };
		return;
	}
	ss->ndecos = 0;
	if (is_name(f, s, t, "import")) {
		scan_import(c, fi, s, t, fn);
		return;
	}
	if (is_name(f, s, t, "from")) {
		scan_from(c, fi, s, t, fn);
		return;
	}
	if (is_name(f, s, t, "for") || (is_name(f, s, t, "async") && is_name(f, s + 1, t, "for"))) {
		scan_for(c, fi, is_name(f, s, t, "async") ? s + 1 : s, t, fn);
		return;
	}
	scan_assign(c, fi, s, t, fn);
	scan_calls(c, fi, s, t, fn);
}

static void scan_file(struct ctx *c, int fi)
{
	struct scanstate ss = { .nst = 0 };
	uint32_t i = 0, e, s, k;
	int depth;

	while (i < c->files[fi]->toks.n) {
		struct file *f = c->files[fi];
		uint32_t indent = T(f, i)->indent;

		for (e = i; e < f->toks.n && T(f, e)->type != PY_NEWLINE; e++)
			;
		while (ss.nst && indent <= ss.st[ss.nst - 1].indent)
			ss.nst--;
		/* Statements separated by ";" at the top level of the line. */
		for (s = i, k = i, depth = 0; k <= e; k++) {
			const struct py_token *tk = k < e ? T(f, k) : NULL;
			char ch = tk && tk->type == PY_OP && tk->len == 1 ? f->src[tk->off] : 0;

			if (ch == '(' || ch == '[' || ch == '{')
				depth++;
			else if (ch == ')' || ch == ']' || ch == '}')
				depth--;
			if (k == e || (ch == ';' && depth == 0)) {
				if (k > s)
					scan_statement(c, fi, s, k, &ss);
				f = c->files[fi];
				s = k + 1;
			}
		}
		i = e + 1;
	}
}

/* ------------------------------------------------------------------ */
/* Name resolution */

static struct ref resolve_dotted(struct ctx *c, int fi, const char *dotted, uint32_t pos, int fn, int depth);

/* The binding of name visible at pos in function fn of file fi, or NULL. */
static const struct binding *lookup(const struct file *f, const char *name, size_t len,
				    uint32_t pos, int fn, bool any_scope)
{
	const struct binding *best = NULL;
	int scope = fn;
	size_t i;

	for (;;) {
		for (i = 0; i < f->nbinds; i++) {
			const struct binding *b = &f->binds[i];

			if (b->fn != scope || !b->name || strlen(b->name) != len || memcmp(b->name, name, len))
				continue;
			/* The nearest one before the use; else the first one after it. */
			if (b->pos <= pos ? (!best || best->pos > pos || b->pos > best->pos) : !best)
				best = b;
		}
		if (best || scope < 0)
			break;
		scope = f->funcs[scope].parent;
	}
	if (best || !any_scope)
		return best;
	/* A name bound in another function (app factories pass the app around). */
	for (i = 0; i < f->nbinds; i++) {
		const struct binding *b = &f->binds[i];

		if (b->name && strlen(b->name) == len && !memcmp(b->name, name, len))
			return b;
	}
	return NULL;
}

static struct ref resolve_attr(struct ctx *c, int mf, const char *attr, int depth);

/* The object an app factory creates: the app made inside function fd of file fi. */
static struct ref factory_app(const struct ctx *c, int fi, int fd)
{
	size_t i;
	int scope;

	for (i = 0; i < c->nobjs; i++) {
		if (c->objs[i].file != fi || !c->objs[i].is_app)
			continue;
		for (scope = c->objs[i].fn; scope >= 0; scope = c->files[fi]->funcs[scope].parent)
			if (scope == fd)
				return (struct ref){ R_OBJ, fi, (int)i };
	}
	return (struct ref){ R_NONE, -1, -1 };
}

static struct ref resolve_binding(struct ctx *c, int fi, const struct binding *b, int depth)
{
	struct ref r = { R_NONE, -1, -1 };
	int mf;

	if (depth > MAX_DEPTH)
		return r;
	switch (b->kind) {
	case B_OBJ:
		return (struct ref){ R_OBJ, fi, b->obj };
	case B_MOD:
		mf = b->a ? find_module(c, b->a) : -1;
		return mf >= 0 ? (struct ref){ R_MOD, mf, -1 } : r;
	case B_FROM:
		mf = b->a ? find_module(c, b->a) : -1;
		if (mf >= 0 && b->b)
			return resolve_attr(c, mf, b->b, depth + 1);
		return r;
	case B_CALL:
		r = b->a ? resolve_dotted(c, fi, b->a, b->pos, b->fn, depth + 1) : r;
		if (r.kind == R_FUNC)
			return factory_app(c, r.file, r.idx);
		return (struct ref){ R_NONE, -1, -1 };
	case B_ALIAS:
		return b->a ? resolve_dotted(c, fi, b->a, b->pos, b->fn, depth + 1) : r;
	case B_CONST:
		return (struct ref){ R_CONST, fi, (int)(b - c->files[fi]->binds) };
	case B_FOR:
		return r;
	}
	return r;
}

static struct ref resolve_name(struct ctx *c, int fi, const char *name, size_t len,
			       uint32_t pos, int fn, int depth)
{
	const struct file *f = c->files[fi];
	const struct binding *b = lookup(f, name, len, pos, fn, true);
	struct ref r = { R_NONE, -1, -1 };
	size_t i;
	char *n;

	if (b)
		return resolve_binding(c, fi, b, depth);
	for (i = 0; i < f->nfuncs; i++)
		if (f->funcs[i].name && strlen(f->funcs[i].name) == len && !memcmp(f->funcs[i].name, name, len))
			return (struct ref){ R_FUNC, fi, (int)i };
	for (i = 0; i < f->nclasses; i++)
		if (f->classes[i].name && strlen(f->classes[i].name) == len &&
		    !memcmp(f->classes[i].name, name, len))
			return (struct ref){ R_CLASS, fi, (int)i };
	n = xstrndup(c, name, len);
	for (i = 0; n && i < c->files[fi]->nstars && r.kind == R_NONE; i++) {
		int mf = find_module(c, c->files[fi]->stars[i]);

		if (mf >= 0 && mf != fi && depth < MAX_DEPTH)
			r = resolve_attr(c, mf, n, depth + 1);
	}
	free(n);
	return r;
}

/* Attribute attr of the module in file mf: a module-level name, or a submodule. */
static struct ref resolve_attr(struct ctx *c, int mf, const char *attr, int depth)
{
	struct ref r;
	char *sub;
	int sf;

	if (depth > MAX_DEPTH)
		return (struct ref){ R_NONE, -1, -1 };
	r = resolve_name(c, mf, attr, strlen(attr), UINT32_MAX, -1, depth + 1);
	if (r.kind != R_NONE)
		return r;
	if (!c->files[mf]->mod || !*c->files[mf]->mod)
		return r;
	sub = xasprintf(c, "%s.%s", c->files[mf]->mod, attr);
	sf = sub ? find_module(c, sub) : -1;
	free(sub);
	return sf >= 0 ? (struct ref){ R_MOD, sf, -1 } : r;
}

static struct ref resolve_dotted(struct ctx *c, int fi, const char *dotted, uint32_t pos, int fn, int depth)
{
	const char *dot = strchr(dotted, '.'), *p;
	struct ref r;
	char *comp;

	if (depth > MAX_DEPTH)
		return (struct ref){ R_NONE, -1, -1 };
	r = resolve_name(c, fi, dotted, dot ? (size_t)(dot - dotted) : strlen(dotted), pos, fn, depth + 1);
	while (dot && r.kind == R_MOD) {
		p = dot + 1;
		dot = strchr(p, '.');
		comp = xstrndup(c, p, dot ? (size_t)(dot - p) : strlen(p));
		if (!comp)
			return (struct ref){ R_NONE, -1, -1 };
		r = resolve_attr(c, r.file, comp, depth + 1);
		free(comp);
	}
	if (dot)
		return (struct ref){ R_NONE, -1, -1 };
	return r;
}

/* Whether name is a parameter of function fn of file fi or of one enclosing it. */
static bool is_param(const struct file *f, int fn, const char *name)
{
	size_t i;

	for (; fn >= 0; fn = f->funcs[fn].parent)
		for (i = 0; i < f->funcs[fn].nparams; i++)
			if (f->funcs[fn].params[i] && !strcmp(f->funcs[fn].params[i], name))
				return true;
	return false;
}

/* The app or blueprint a receiver expression names, or -1. */
static int resolve_obj(struct ctx *c, int fi, const char *dotted, uint32_t pos, int fn)
{
	struct ref r = resolve_dotted(c, fi, dotted, pos, fn, 0);
	const char *last = strrchr(dotted, '.') ? strrchr(dotted, '.') + 1 : dotted;
	size_t i, j, napps = 0;
	int found = -1, app = -1;

	if (r.kind == R_OBJ)
		return r.idx;
	/*
	 * Best effort across files: the one object bound to that name anywhere
	 * (mod.bp: in a module named mod), then, for a parameter of the
	 * enclosing function, the project's only app.
	 */
	for (i = 0; i < c->nfiles; i++) {
		const struct file *f = c->files[i];

		if (last != dotted) {
			/* The component before the name: "mod" of "pkg.mod.bp". */
			const char *prev = last - 1, *m = f->mod ? f->mod : "";
			const char *tail = strrchr(m, '.') ? strrchr(m, '.') + 1 : m;
			size_t ml;

			while (prev > dotted && prev[-1] != '.')
				prev--;
			ml = last - 1 - prev;
			if (strlen(tail) != ml || memcmp(tail, prev, ml))
				continue;
		}
		for (j = 0; j < f->nbinds; j++) {
			const struct binding *b = &f->binds[j];

			if (!b->name || strcmp(b->name, last))
				continue;
			if (last != dotted && b->fn >= 0)
				continue;
			r = resolve_binding(c, i, b, 1);
			if (r.kind != R_OBJ)
				continue;
			if (found >= 0 && found != r.idx)
				return -1; /* ambiguous */
			found = r.idx;
		}
	}
	if (found >= 0)
		return found;
	if (last == dotted && is_param(c->files[fi], fn, dotted)) {
		for (i = 0; i < c->nobjs; i++) {
			if (c->objs[i].is_app) {
				napps++;
				app = i;
			}
		}
		if (napps == 1)
			return app;
	}
	return -1;
}

/* ------------------------------------------------------------------ */
/* Helper calls and loops: what their names are bound to */

/* Whether function fn of file f is fd or nested in it. */
static bool fn_within(const struct file *f, int fn, int fd)
{
	for (; fn >= 0; fn = f->funcs[fn].parent)
		if (fn == fd)
			return true;
	return false;
}

/* The param index of name in function fd, -1; *star is 1 or 2 for a starred one. */
static int param_index(const struct funcdef *fd, const char *name, int *star)
{
	size_t i;

	for (i = 0; i < fd->nparams; i++) {
		const char *pn = fd->params[i];
		int st = pn[0] == '*' ? (pn[1] == '*' ? 2 : 1) : 0;

		if (pn && !strcmp(pn + st, name)) {
			*star = st;
			return (int)i;
		}
	}
	return -1;
}

/* The argument of a call that binds parameter i (named name) of fd, or NULL. */
static const struct arg *bound_arg(const struct ctx *c, const struct env *env, const struct funcdef *fd,
				   int i, const char *name)
{
	size_t k, pos = 0;

	for (k = 0; k < (size_t)i; k++)
		if (fd->params[k][0] != '*')
			pos++;
	/* A method's self is not among the call's arguments. */
	if (fd->nparams && !strcmp(fd->params[0], "self") && pos)
		pos--;
	return param(c->files[env->at.fi], env->call, pos, name);
}

/*
 * What name means in function fn of file fi under env: the argument bound
 * to a parameter of a helper being called (its context in *at), a loop
 * variable (NULL, at->fn == -2, at->env the loop, at->fi the name's index),
 * or nothing (NULL, at->fn == -3). buf holds a parameter's default.
 */
static const struct arg *env_param(struct ctx *c, const struct env *env, int fi, int fn,
				   const char *name, struct argctx *at, struct arg *buf)
{
	size_t i;

	at->fn = -3;
	for (; env; env = env->up) {
		const struct funcdef *fd;
		const struct arg *a;
		int pi, star;

		if (env->fi != fi)
			continue;
		if (env->fn == -2) {
			for (i = 0; i < env->nnames; i++) {
				if (strcmp(env->names[i], name))
					continue;
				if (env->by_tokens) {
					*at = env->at;
					return &env->toks[i];
				}
				at->fn = -2;
				at->env = env;
				at->fi = (int)i;
				return NULL;
			}
			continue;
		}
		if (!fn_within(c->files[fi], fn, env->fn))
			continue;
		fd = &c->files[fi]->funcs[env->fn];
		pi = param_index(fd, name, &star);
		if (pi < 0)
			continue;
		if (star)
			return NULL;
		a = bound_arg(c, env, fd, pi, name);
		if (a) {
			*at = a->x ? *a->x : env->at;
			return a;
		}
		if (fd->defaults && fd->defaults[pi][1]) {
			*buf = (struct arg){ .kw = NO_KW, .a = fd->defaults[pi][0], .b = fd->defaults[pi][1] };
			*at = (struct argctx){ fi, fd->parent, env->up };
			return buf;
		}
		return NULL;
	}
	return NULL;
}

/* resolve_obj() that follows a helper's parameter to the caller's argument. */
static int resolve_obj_env(struct ctx *c, int fi, const char *dotted, uint32_t pos, int fn, int depth)
{
	struct argctx at;
	struct arg buf;
	const struct arg *a;
	const struct env *saved = c->env;
	char *name;
	uint32_t after;
	int r = -1;

	if (!c->env || strchr(dotted, '.') || depth > MAX_DEPTH)
		return resolve_obj(c, fi, dotted, pos, fn);
	a = env_param(c, c->env, fi, fn, dotted, &at, &buf);
	if (!a)
		return at.fn == -3 ? resolve_obj(c, fi, dotted, pos, fn) : -1;
	after = dotted_fwd(c, c->files[at.fi], a->a, a->b, &name);
	if (name && after == a->b) {
		c->env = at.env;
		r = resolve_obj_env(c, at.fi, name, a->a, at.fn, depth + 1);
		c->env = saved;
	}
	free(name);
	return r;
}

/*
 * A call's arguments with a helper's parameters replaced by what its
 * caller passed (args forwarded with *args and **kwargs too), each with
 * the context it is to be read in. ctxs holds MAX_ARGS contexts.
 */
static void merge_call(struct ctx *c, int fi, int fn, const struct call *in, struct call *out,
		       struct argctx *ctxs)
{
	const struct env *env;
	const struct funcdef *fd = NULL;
	size_t i, k, nctx = 0;

	for (env = c->env; env; env = env->up)
		if (env->fn >= 0 && env->fi == fi && fn_within(c->files[fi], fn, env->fn))
			break;
	if (env)
		fd = &c->files[fi]->funcs[env->fn];
	out->n = 0;
	for (i = 0; i < in->n && out->n < MAX_ARGS; i++) {
		const struct arg *a = &in->v[i];
		const struct file *f = c->files[fi];
		char *name = NULL;
		int pi = -1, star = 0;

		if (c->env && is_any_name(f, a->a, a->b) && a->a + 1 == a->b) {
			name = tok_text(c, f, a->a);
			pi = name && fd ? param_index(fd, name, &star) : -1;
		}
		if (pi >= 0 && a->star && star == a->star) {
			/* Forwarded *args / **kwargs: the caller's extra arguments. */
			const struct file *cf = c->files[env->at.fi];
			size_t named = 0;

			for (k = 0; k < fd->nparams; k++)
				if (fd->params[k][0] != '*')
					named++;
			if (fd->nparams && !strcmp(fd->params[0], "self"))
				named--;
			for (k = 0; k < env->call->n && out->n < MAX_ARGS; k++) {
				const struct arg *ca = &env->call->v[k];
				int dummy, cpi;
				char *kw;

				if (ca->star)
					continue;
				if (star == 2 && ca->kw != NO_KW) {
					kw = tok_text(c, cf, ca->kw);
					cpi = kw ? param_index(fd, kw, &dummy) : 0;
					free(kw);
					if (cpi >= 0)
						continue;
				} else if (star == 1 && ca->kw == NO_KW) {
					if (named) {
						named--;
						continue;
					}
				} else {
					continue;
				}
				out->v[out->n] = *ca;
				out->v[out->n].x = ca->x ? ca->x : &env->at;
				out->v[out->n].kwf = cf;
				out->n++;
			}
		} else if (name && !a->star && !star && nctx < MAX_ARGS) {
			/* A parameter or a loop variable bound to tokens: those tokens, where they are. */
			struct argctx at;
			struct arg buf;
			const struct arg *b = env_param(c, c->env, fi, fn, name, &at, &buf);

			out->v[out->n] = *a;
			if (b) {
				ctxs[nctx] = at;
				out->v[out->n].a = b->a;
				out->v[out->n].b = b->b;
				out->v[out->n].x = &ctxs[nctx++];
			}
			out->n++;
		} else {
			out->v[out->n++] = *a;
		}
		free(name);
	}
}

/* ------------------------------------------------------------------ */
/* Evaluating constants */

struct evaluator {
	struct ctx *c;
	int fi;
	int fn;
	uint32_t end;
	int depth;
	const struct env *env; /* names bound by helper calls and loops */
	uint32_t limit;        /* the right-hand side of a local assignment at this token: names
				  are those bound before it (x = x.strip("/")); 0: none */
};

static bool ev_expr(struct evaluator *ev, uint32_t *p, struct pyval *out);
static bool config_value(struct ctx *c, const char *key, struct pyval *out, int depth);
static const struct arg *env_param(struct ctx *c, const struct env *env, int fi, int fn,
				   const char *name, struct argctx *at, struct arg *buf);

/* An argument's value, in its own context (at). */
static bool eval_in(struct ctx *c, const struct argctx *at, uint32_t a, uint32_t b, int depth,
		    struct pyval *out)
{
	struct evaluator ev = { c, at->fi, at->fn, b, depth, at->env };
	uint32_t p = a;

	memset(out, 0, sizeof(*out));
	if (depth > MAX_DEPTH || !ev_expr(&ev, &p, out) || p != b) {
		pyval__clear(out);
		return false;
	}
	return true;
}

static bool ev_expr(struct evaluator *ev, uint32_t *p, struct pyval *out);

static bool ev_number(const struct file *f, uint32_t i, struct pyval *out)
{
	char buf[128], *end;
	size_t n = 0, k;
	const char *s = f->src + T(f, i)->off;
	bool is_float = false;
	int base = 10;

	for (k = 0; k < T(f, i)->len && n < sizeof(buf) - 1; k++)
		if (s[k] != '_')
			buf[n++] = s[k];
	if (k < T(f, i)->len)
		return false;
	buf[n] = '\0';
	if (n > 1 && buf[0] == '0' && strchr("xXoObB", buf[1])) {
		base = strchr("xX", buf[1]) ? 16 : strchr("oO", buf[1]) ? 8 : 2;
		memmove(buf, buf + 2, n - 1);
	} else if (strpbrk(buf, ".eE")) {
		is_float = true;
	}
	if (strpbrk(buf, "jJ"))
		return false;
	errno = 0;
	if (is_float) {
		out->kind = PV_FLOAT;
		out->f = strtod(buf, &end);
	} else {
		out->kind = PV_INT;
		out->i = strtoll(buf, &end, base);
	}
	return !errno && *end == '\0' && end != buf;
}

static bool ev_strings(struct evaluator *ev, uint32_t *p, struct pyval *out)
{
	const struct file *f = ev->c->files[ev->fi];
	size_t len = 0;
	char *acc = NULL;
	bool ok = true;

	for (; *p < ev->end && T(f, *p)->type == PY_STRING; (*p)++) {
		char *part, *grown;
		size_t plen;
		int err = pyscan__string_value(f->src, T(f, *p), &part, &plen);

		if (err == -ENOMEM)
			ev->c->oom = true;
		if (err) {
			ok = false;
			continue;
		}
		grown = ok ? realloc(acc, len + plen + 1) : NULL;
		if (ok && !grown)
			ev->c->oom = true;
		if (grown) {
			memcpy(grown + len, part, plen + 1);
			len += plen;
			acc = grown;
		} else {
			ok = false;
		}
		free(part);
	}
	if (!ok || !acc) {
		free(acc);
		return false;
	}
	out->kind = PV_STR;
	out->s = acc;
	out->slen = len;
	return true;
}

/* A display: ( ... ), [ ... ], { ... }. */
static bool ev_display(struct evaluator *ev, uint32_t *p, struct pyval *out)
{
	const struct file *f = ev->c->files[ev->fi];
	char open = f->src[T(f, *p)->off];
	uint32_t close = close_of(f, *p, ev->end), saved_end = ev->end;
	size_t cap = 0;
	bool ok = true, comma = false;

	if (close >= ev->end)
		return false;
	out->kind = open == '(' ? PV_TUPLE : open == '[' ? PV_LIST : PV_SET;
	ev->end = close;
	(*p)++;
	while (ok && *p < close) {
		struct pyval key = { 0 }, val = { 0 };
		bool pair;

		if (!ev_expr(ev, p, &key)) {
			ok = false;
			break;
		}
		pair = open == '{' && is_op(f, *p, close, ":");
		if (pair) {
			(*p)++;
			if (!ev_expr(ev, p, &val)) {
				pyval__clear(&key);
				ok = false;
				break;
			}
			if (out->n == 0)
				out->kind = PV_DICT;
		}
		if (pair != (out->kind == PV_DICT)) {
			pyval__clear(&key);
			pyval__clear(&val);
			ok = false;
			break;
		}
		if ((out->n + 1) * 2 > cap) {
			struct pyval *g;

			cap = cap ? cap * 2 : 8;
			g = realloc(out->items, cap * sizeof(*g));
			if (!g) {
				ev->c->oom = true;
				pyval__clear(&key);
				pyval__clear(&val);
				ok = false;
				break;
			}
			out->items = g;
		}
		if (pair) {
			out->items[2 * out->n] = key;
			out->items[2 * out->n + 1] = val;
		} else {
			out->items[out->n] = key;
		}
		out->n++;
		if (is_op(f, *p, close, ",")) {
			comma = true;
			(*p)++;
		} else if (*p < close) {
			ok = false;
		}
	}
	ev->end = saved_end;
	if (open == '{' && out->n == 0)
		out->kind = PV_DICT;
	if (ok && open == '(' && out->n == 1 && !comma) {
		/* A parenthesized expression, not a tuple. */
		struct pyval inner = out->items[0];

		free(out->items);
		*out = inner;
	}
	*p = close + 1;
	return ok;
}

/* The str methods a rule or a prefix is commonly built with. */
static bool str_method(const char *m)
{
	static const char *const names[] = { "strip", "lstrip", "rstrip", "replace", "lower", "upper" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(m, names[i]))
			return true;
	return false;
}

/* Python's str.strip/lstrip/rstrip(chars=None) on v, in place. */
static void str_strip(struct pyval *v, const char *chars, bool left, bool right)
{
	size_t a = 0, b = v->slen;

	while (left && a < b && (chars ? strchr(chars, v->s[a]) != NULL : strchr(" \t\n\r\f\v", v->s[a]) != NULL))
		a++;
	while (right && b > a && (chars ? strchr(chars, v->s[b - 1]) != NULL : strchr(" \t\n\r\f\v", v->s[b - 1]) != NULL))
		b--;
	memmove(v->s, v->s + a, b - a);
	v->s[b - a] = '\0';
	v->slen = b - a;
}

/* str.replace(old, new) (every occurrence) into a new string; NULL on OOM. */
static char *str_replace(const char *s, const char *old, const char *new)
{
	size_t ol = strlen(old), nl = strlen(new), n = 0;
	const char *q;
	char *out, *w;

	for (q = s; ol && (q = strstr(q, old)); q += ol)
		n++;
	out = malloc(strlen(s) + n * nl + 1);
	if (!out)
		return NULL;
	for (w = out; ol && (q = strstr(s, old)); s = q + ol) {
		memcpy(w, s, (size_t)(q - s));
		w += q - s;
		memcpy(w, new, nl);
		w += nl;
	}
	strcpy(w, s);
	return out;
}

/* ".method(args)" after a str value: strip, lstrip, rstrip, replace, lower, upper. */
static bool ev_methods(struct evaluator *ev, uint32_t *p, struct pyval *out)
{
	const struct file *f = ev->c->files[ev->fi];

	while (is_op(f, *p, ev->end, ".") && is_any_name(f, *p + 1, ev->end) && is_op(f, *p + 2, ev->end, "(")) {
		struct argctx here = { ev->fi, ev->fn, ev->env };
		struct pyval a[2] = { { 0 }, { 0 } };
		char *m = tok_text(ev->c, f, *p + 1), *r;
		struct call call;
		uint32_t close = parse_call(f, *p + 2, ev->end, &call);
		bool ok = m && out->kind == PV_STR && str_method(m) && close < ev->end && call.n <= 2;
		size_t i;

		for (i = 0; ok && i < call.n; i++)
			ok = call.v[i].kw == NO_KW && !call.v[i].star &&
			     eval_in(ev->c, &here, call.v[i].a, call.v[i].b, ev->depth + 1, &a[i]) &&
			     (a[i].kind == PV_STR || (a[i].kind == PV_NONE && m[1] != 'e'));
		if (ok && (!strcmp(m, "lower") || !strcmp(m, "upper"))) {
			ok = call.n == 0;
			for (i = 0; ok && i < out->slen; i++)
				out->s[i] = (char)(m[0] == 'l' ? tolower((unsigned char)out->s[i])
							       : toupper((unsigned char)out->s[i]));
		} else if (ok && !strcmp(m, "replace")) {
			ok = call.n == 2 && (r = str_replace(out->s, a[0].s, a[1].s)) != NULL;
			if (ok) {
				free(out->s);
				out->s = r;
				out->slen = strlen(r);
			}
		} else if (ok) {
			const char *chars = call.n == 1 && a[0].kind == PV_STR ? a[0].s : NULL;

			ok = call.n <= 1;
			if (ok)
				str_strip(out, chars, m[0] != 'r', m[0] != 'l');
		}
		pyval__clear(&a[0]);
		pyval__clear(&a[1]);
		free(m);
		if (!ok)
			return false;
		*p = close + 1;
	}
	return true;
}

static bool ev_atom(struct evaluator *ev, uint32_t *p, struct pyval *out)
{
	struct file *f = ev->c->files[ev->fi];
	const struct py_token *t;
	char *dotted;
	uint32_t after;
	struct ref r;

	if (*p >= ev->end)
		return false;
	t = T(f, *p);
	switch (t->type) {
	case PY_STRING:
		return ev_strings(ev, p, out);
	case PY_NUMBER:
		return ev_number(f, (*p)++, out);
	case PY_OP:
		if ((is_op(f, *p, ev->end, "-") || is_op(f, *p, ev->end, "+")) &&
		    *p + 1 < ev->end && T(f, *p + 1)->type == PY_NUMBER) {
			bool neg = f->src[t->off] == '-';

			(*p)++;
			if (!ev_number(f, (*p)++, out))
				return false;
			if (neg) {
				out->i = -out->i;
				out->f = -out->f;
			}
			return true;
		}
		if (t->len == 1 && strchr("([{", f->src[t->off]))
			return ev_display(ev, p, out);
		return false;
	case PY_NAME:
		if (tok_eq(f, *p, "True") || tok_eq(f, *p, "False")) {
			out->kind = PV_BOOL;
			out->i = tok_eq(f, *p, "True");
			(*p)++;
			return true;
		}
		if (tok_eq(f, *p, "None")) {
			out->kind = PV_NONE;
			(*p)++;
			return true;
		}
		/* A module-level constant, maybe imported. */
		after = dotted_fwd(ev->c, f, *p, ev->end, &dotted);
		/* name.strip("/"): the name here, the method after it (ev_expr). */
		if (dotted && strchr(dotted, '.') && is_op(f, after, ev->end, "(") &&
		    str_method(strrchr(dotted, '.') + 1)) {
			*strrchr(dotted, '.') = '\0';
			after -= 2;
		}
		if (dotted && ev->depth <= MAX_DEPTH && !strchr(dotted, '.') && ev->fn >= 0) {
			/* A constant assigned in this function before here, read where the function
			   runs (a helper's parameters stay bound in it). */
			uint32_t here = ev->limit ? ev->limit - 1 : *p;
			const struct binding *b = lookup(f, dotted, strlen(dotted), here, ev->fn, false);

			if (b && (b->kind == B_CONST || b->kind == B_CALL || b->kind == B_ALIAS) && b->rb > b->ra &&
			    b->fn == ev->fn && b->pos <= here) {
				struct evaluator sub = { ev->c, ev->fi, ev->fn, b->rb, ev->depth + 1, ev->env, b->pos };
				uint32_t q = b->ra;
				bool ok = ev_expr(&sub, &q, out) && q == b->rb;

				free(dotted);
				*p = after;
				return ok;
			}
		}
		if (dotted && ev->depth <= MAX_DEPTH && !strchr(dotted, '.')) {
			/* A parameter of a helper being called, or a loop variable. */
			struct argctx at;
			struct arg buf;
			const struct arg *a = env_param(ev->c, ev->env, ev->fi, ev->fn, dotted, &at, &buf);

			if (a || at.fn == -2) {
				bool ok = a ? eval_in(ev->c, &at, a->a, a->b, ev->depth + 1, out)
					    : !pyval__copy(out, &at.env->vals[at.fi]);

				free(dotted);
				*p = after;
				return ok;
			}
		}
		if (dotted && ev->depth <= MAX_DEPTH && is_op(f, after, ev->end, "[") &&
		    strlen(dotted) >= 6 && !strcmp(dotted + strlen(dotted) - 6, "config") &&
		    after + 2 < ev->end && T(f, after + 1)->type == PY_STRING &&
		    is_op(f, after + 2, ev->end, "]")) {
			/* app.config["KEY"]: a constant of the app's configuration. */
			char *key;
			bool ok = false;

			if (!pyscan__string_value(f->src, T(f, after + 1), &key, NULL)) {
				ok = config_value(ev->c, key, out, ev->depth + 1);
				free(key);
			}
			free(dotted);
			*p = after + 3;
			return ok;
		}
		if (dotted && ev->depth <= MAX_DEPTH && is_op(f, after, ev->end, "(") &&
		    strlen(dotted) >= 11 && !strcmp(dotted + strlen(dotted) - 11, ".config.get")) {
			/* app.config.get("KEY"[, default]) */
			struct call call;
			uint32_t close = parse_call(f, after, ev->end, &call);
			struct pyval key = { 0 };
			struct argctx here = { ev->fi, ev->fn, ev->env };
			bool ok = false;

			if (close < ev->end && call.n >= 1 && call.n <= 2 && call.v[0].kw == NO_KW &&
			    eval_in(ev->c, &here, call.v[0].a, call.v[0].b, ev->depth + 1, &key) &&
			    key.kind == PV_STR) {
				ok = config_value(ev->c, key.s, out, ev->depth + 1);
				if (!ok && call.n == 2)
					ok = eval_in(ev->c, &here, call.v[1].a, call.v[1].b, ev->depth + 1, out);
			}
			pyval__clear(&key);
			free(dotted);
			*p = close + 1;
			return ok;
		}
		if (!dotted || ev->depth > MAX_DEPTH || is_op(f, after, ev->end, "(") ||
		    is_op(f, after, ev->end, "[")) {
			free(dotted);
			return false;
		}
		r = resolve_dotted(ev->c, ev->fi, dotted, *p, ev->fn, 0);
		free(dotted);
		*p = after;
		if (r.kind == R_CONST) {
			const struct binding *b = &ev->c->files[r.file]->binds[r.idx];
			struct evaluator sub = { ev->c, r.file, b->fn, b->rb, ev->depth + 1, NULL };
			uint32_t q = b->ra;

			return ev_expr(&sub, &q, out) && q == b->rb;
		}
		return false;
	default:
		return false;
	}
}

/* atom (".method(...)")* ("+" atom (".method(...)")*)*: concatenation, str methods. */
static bool ev_expr(struct evaluator *ev, uint32_t *p, struct pyval *out)
{
	const struct file *f = ev->c->files[ev->fi];

	if (!ev_atom(ev, p, out) || !ev_methods(ev, p, out)) {
		pyval__clear(out);
		return false;
	}
	while (is_op(f, *p, ev->end, "+")) {
		struct pyval rhs = { 0 };
		bool ok;

		(*p)++;
		ok = ev_atom(ev, p, &rhs) && ev_methods(ev, p, &rhs);
		if (ok && out->kind == PV_STR && rhs.kind == PV_STR) {
			char *g = realloc(out->s, out->slen + rhs.slen + 1);

			if (g) {
				memcpy(g + out->slen, rhs.s, rhs.slen + 1);
				out->s = g;
				out->slen += rhs.slen;
			} else {
				ev->c->oom = true;
				ok = false;
			}
		} else if (ok && out->kind == rhs.kind && (out->kind == PV_LIST || out->kind == PV_TUPLE)) {
			struct pyval *g = realloc(out->items, (out->n + rhs.n) * sizeof(*g) + 1);

			if (g) {
				memcpy(g + out->n, rhs.items, rhs.n * sizeof(*g));
				out->items = g;
				out->n += rhs.n;
				free(rhs.items);
				rhs.items = NULL;
				rhs.n = 0;
			} else {
				ev->c->oom = true;
				ok = false;
			}
		} else {
			ok = false;
		}
		pyval__clear(&rhs);
		if (!ok) {
			pyval__clear(out);
			return false;
		}
	}
	return true;
}

/* Evaluate an argument; PV_DYNAMIC when it is not a constant. */
static void eval_arg(struct ctx *c, int fi, int fn, const struct arg *a, struct pyval *out)
{
	struct argctx here = { fi, fn, c->env };

	memset(out, 0, sizeof(*out));
	if (!a->star)
		eval_in(c, a->x ? a->x : &here, a->a, a->b, 0, out);
}

/* ---- configuration constants ---- */

/* Attribute key of class ci of file fi, as written in its body or a base's. */
static bool class_attr(struct ctx *c, int fi, int ci, const char *key, struct pyval *out, int depth)
{
	const struct file *f = c->files[fi];
	const struct classdef *d = &f->classes[ci];
	uint32_t k, body = d->tok, indent, e;
	size_t i;

	if (depth > MAX_DEPTH)
		return false;
	while (body < f->toks.n && T(f, body)->type != PY_NEWLINE)
		body++;
	body++;
	if (body < f->toks.n && T(f, body)->indent > d->indent) {
		indent = T(f, body)->indent;
		for (k = body; k < f->toks.n; k++) {
			const struct py_token *t = T(f, k);
			struct argctx at = { fi, -1, NULL };

			if (!t->line_start)
				continue;
			if (t->indent <= d->indent)
				break;
			if (t->indent != indent || t->type != PY_NAME || !tok_eq(f, k, key) ||
			    !is_op(f, k + 1, f->toks.n, "="))
				continue;
			for (e = k + 2; e < f->toks.n && T(f, e)->type != PY_NEWLINE; e++)
				;
			return eval_in(c, &at, k + 2, e, depth + 1, out);
		}
	}
	/* Python's lookup order, for single inheritance and most mixins. */
	for (i = 0; i < d->nbases; i++) {
		struct ref r = resolve_dotted(c, fi, d->bases[i], d->tok, -1, depth + 1);

		if (r.kind == R_CLASS && class_attr(c, r.file, r.idx, key, out, depth + 1))
			return true;
	}
	return false;
}

/* A module-level constant key of the module in file mf. */
static bool module_attr(struct ctx *c, int mf, const char *key, struct pyval *out, int depth)
{
	struct ref r = resolve_attr(c, mf, key, depth + 1);
	const struct binding *b;
	struct argctx at;

	if (r.kind != R_CONST)
		return false;
	b = &c->files[r.file]->binds[r.idx];
	at = (struct argctx){ r.file, b->fn, NULL };
	return eval_in(c, &at, b->ra, b->rb, depth + 1, out);
}

/* from_object(X): X a class, a module, or a string naming either. */
static bool config_object(struct ctx *c, const struct cfgsrc *g, const char *key, struct pyval *out,
			  int depth)
{
	const struct file *f = c->files[g->fi];
	struct argctx at = { g->fi, g->fn, NULL };
	struct pyval v = { 0 };
	const char *k;
	char *dotted = NULL, *dot;
	bool ok = false;
	struct ref r;
	int mf;

	/* Flask's from_object takes the upper-case attributes only. */
	for (k = key; *k; k++)
		if (*k >= 'a' && *k <= 'z')
			return false;
	if (g->b <= g->a)
		return false;
	if (eval_in(c, &at, g->a, g->b, depth + 1, &v) && v.kind == PV_STR) {
		mf = find_module(c, v.s);
		if (mf >= 0) {
			ok = module_attr(c, mf, key, out, depth);
		} else if ((dot = strrchr(v.s, '.'))) {
			*dot = '\0';
			mf = find_module(c, v.s);
			r = mf >= 0 ? resolve_attr(c, mf, dot + 1, depth + 1) : (struct ref){ R_NONE, -1, -1 };
			if (r.kind == R_CLASS)
				ok = class_attr(c, r.file, r.idx, key, out, depth + 1);
		}
		pyval__clear(&v);
		return ok;
	}
	pyval__clear(&v);
	if (dotted_fwd(c, f, g->a, g->b, &dotted) != g->b || !dotted) {
		free(dotted);
		return false;
	}
	r = resolve_dotted(c, g->fi, dotted, g->a, g->fn, depth + 1);
	free(dotted);
	if (r.kind == R_CLASS)
		return class_attr(c, r.file, r.idx, key, out, depth + 1);
	if (r.kind == R_MOD)
		return module_attr(c, r.file, key, out, depth);
	return false;
}

/*
 * app.config[key] as far as the sources say: the last constant setting of
 * it (config["KEY"] = ..., from_mapping, update, from_object of a class
 * or module). One configuration for the project: apps rarely have two.
 */
static bool config_value(struct ctx *c, const char *key, struct pyval *out, int depth)
{
	size_t i, k;

	if (depth > MAX_DEPTH)
		return false;
	for (i = c->ncfgs; i-- > 0;) {
		const struct cfgsrc *g = &c->cfgs[i];
		const struct file *f = c->files[g->fi];
		struct argctx at = { g->fi, g->fn, NULL };
		struct pyval d = { 0 };

		switch (g->kind) {
		case CFG_SET:
			if (g->key && !strcmp(g->key, key) && eval_in(c, &at, g->a, g->b, depth + 1, out))
				return true;
			break;
		case CFG_MAPPING:
			for (k = 0; k < g->args.n; k++) {
				const struct arg *a = &g->args.v[k];

				if (a->kw != NO_KW && tok_eq(f, a->kw, key) &&
				    eval_in(c, &at, a->a, a->b, depth + 1, out))
					return true;
				if (a->kw != NO_KW || a->star ||
				    !eval_in(c, &at, a->a, a->b, depth + 1, &d))
					continue;
				for (size_t j = 0; d.kind == PV_DICT && j < d.n; j++) {
					if (d.items[2 * j].kind == PV_STR && !strcmp(d.items[2 * j].s, key)) {
						bool ok = !pyval__copy(out, &d.items[2 * j + 1]);

						pyval__clear(&d);
						return ok;
					}
				}
				pyval__clear(&d);
			}
			break;
		case CFG_OBJECT:
			if (config_object(c, g, key, out, depth + 1))
				return true;
			break;
		}
	}
	return false;
}

/* The last string literal inside an argument (static_folder=os.path.join(x, "assets")). */
static char *last_string(struct ctx *c, int fi, const struct arg *a)
{
	const struct file *f = c->files[fi];
	uint32_t k;
	char *s;

	for (k = a->b; k > a->a; k--) {
		if (T(f, k - 1)->type == PY_STRING && !pyscan__string_value(f->src, T(f, k - 1), &s, NULL))
			return s;
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Objects: what Flask(...) and Blueprint(...) were given */

/* Flask's static_url_path from static_folder: "/" + basename(join(root, folder.rstrip("/\\"))), rstrip "/". */
static char *static_url_from_folder(struct ctx *c, const char *folder)
{
	size_t n = strlen(folder);
	const char *base;
	char *tmp, *out;

	while (n && (folder[n - 1] == '/' || folder[n - 1] == '\\'))
		n--;
	tmp = xstrndup(c, folder, n);
	if (!tmp)
		return NULL;
	base = strrchr(tmp, '/') ? strrchr(tmp, '/') + 1 : tmp;
	out = *base ? xasprintf(c, "/%s", base) : xstrdup(c, "");
	free(tmp);
	return out;
}

/* static_folder / static_url_path arguments to the static rule (NULL: none). */
static char *static_rule(struct ctx *c, struct obj *o, const struct arg *folder_arg, const char *folder_default,
			 const struct arg *url_arg)
{
	struct pyval folder = { 0 }, url = { 0 };
	char *prefix = NULL, *rule = NULL, *guess = NULL;

	if (folder_arg) {
		eval_arg(c, o->file, o->fn, folder_arg, &folder);
		if (folder.kind == PV_NONE)
			goto out;
		if (folder.kind != PV_STR) {
			guess = last_string(c, o->file, folder_arg);
			if (!url_arg)
				warn_at(c, o->file, o->line, "static_folder is not a constant; assuming its folder is named '%s'",
					guess ? guess : "static");
		}
	} else if (!folder_default) {
		goto out;
	}
	if (url_arg) {
		eval_arg(c, o->file, o->fn, url_arg, &url);
		if (url.kind == PV_STR) {
			prefix = xstrdup(c, url.s);
			while (prefix && *prefix && prefix[strlen(prefix) - 1] == '/')
				prefix[strlen(prefix) - 1] = '\0';
		} else if (url.kind != PV_NONE) {
			warn_at(c, o->file, o->line, "static_url_path is not a constant; using the folder's name");
		}
	}
	if (!prefix)
		prefix = static_url_from_folder(c, folder.kind == PV_STR ? folder.s : guess ? guess : folder_default ? folder_default : "static");
	if (prefix)
		rule = xasprintf(c, "%s/<path:filename>", prefix);
out:
	free(prefix);
	free(guess);
	pyval__clear(&folder);
	pyval__clear(&url);
	return rule;
}

/* Namespace(name, description=None, path=None, ...): its path, (path or "/" + name).rstrip("/"). */
static void eval_namespace(struct ctx *c, struct obj *o)
{
	const struct file *f = c->files[o->file];
	const struct arg *x;
	struct pyval name = { 0 }, path = { 0 };
	size_t l;

	if ((x = param(f, &o->args, 0, "name")))
		eval_arg(c, o->file, o->fn, x, &name);
	if ((x = param(f, &o->args, 2, "path")))
		eval_arg(c, o->file, o->fn, x, &path);
	if (name.kind == PV_STR)
		o->name = xstrdup(c, name.s);
	if (path.kind == PV_STR && path.slen)
		o->ns_path = xstrdup(c, path.s);
	else if ((path.kind == PV_STR || path.kind == PV_NONE || !x) && name.kind == PV_STR)
		o->ns_path = xasprintf(c, "/%s", name.s);
	if (o->ns_path) {
		for (l = strlen(o->ns_path); l && o->ns_path[l - 1] == '/'; l--)
			;
		o->ns_path[l] = '\0';
	} else {
		warn_at(c, o->file, o->line, "Namespace name or path is not a constant; its resources are skipped");
	}
	if (!o->name)
		o->name = xstrdup(c, "?");
	pyval__clear(&name);
	pyval__clear(&path);
}

/* flask-restx's Api(doc="/", default_swagger_filename="swagger.json"): where its own pages are. */
static void eval_restx_api(struct ctx *c, struct obj *o)
{
	const struct file *f = c->files[o->file];
	const struct arg *x;
	struct pyval v = { 0 };

	o->doc = xstrdup(c, "/");
	o->swagger = xstrdup(c, "swagger.json");
	if ((x = kwarg(f, &o->args, "doc"))) {
		eval_arg(c, o->file, o->fn, x, &v);
		free(o->doc);
		o->doc = NULL;
		if (v.kind == PV_STR && v.slen)
			o->doc = xstrdup(c, v.s);
		else if (v.kind == PV_DYNAMIC)
			warn_at(c, o->file, o->line, "Api doc= is not a constant; its documentation page is not known");
		else if (v.kind != PV_NONE && v.kind != PV_STR && pyval__truthy(&v))
			warn_at(c, o->file, o->line, "Api doc= is not a path; its documentation page is not known");
		pyval__clear(&v);
	}
	if ((x = kwarg(f, &o->args, "default_swagger_filename"))) {
		eval_arg(c, o->file, o->fn, x, &v);
		if (v.kind == PV_STR) {
			free(o->swagger);
			o->swagger = xstrdup(c, v.s);
		} else {
			warn_at(c, o->file, o->line, "Api default_swagger_filename is not a constant; assuming swagger.json");
		}
		pyval__clear(&v);
	}
}

static void eval_obj(struct ctx *c, struct obj *o)
{
	const struct file *f = c->files[o->file];
	const struct call *a = &o->args;
	const struct arg *x;
	struct pyval v = { 0 };

	o->strict = true;
	o->url_prefix.kind = PV_NONE;
	o->url_defaults.kind = PV_NONE;
	o->prefix.kind = PV_NONE;
	if (o->is_ns) {
		eval_namespace(c, o);
		return;
	}
	if (o->is_api) {
		/* Api(app=None, prefix="", ...); flask-restx: Api(app=None, version="1.0", ..., prefix="", ...) */
		char *name = NULL;

		if ((x = param(f, a, 0, "app")))
			dotted_fwd(c, f, x->a, x->b, &name);
		o->target = name && strcmp(name, "None") ? resolve_obj(c, o->file, name, o->pos, o->fn) : -1;
		free(name);
		if (o->target >= 0 && (c->objs[o->target].is_api || c->objs[o->target].is_ns))
			o->target = -1;
		if (o->rest == REST_RESTX)
			eval_restx_api(c, o);
		if ((x = o->rest == REST_RESTX ? kwarg(f, a, "prefix") : param(f, a, 1, "prefix"))) {
			eval_arg(c, o->file, o->fn, x, &o->prefix);
			if (o->prefix.kind != PV_STR) {
				warn_at(c, o->file, o->line, "Api prefix is not a constant; its resources are skipped");
				pyval__clear(&o->prefix);
				o->prefix.kind = PV_NONE;
				o->target = -2;
			}
		}
		return;
	}
	if (has_star_args(a))
		warn_at(c, o->file, o->line, "%s(*args/**kwargs): options hidden there are not seen",
			o->is_app ? "Flask" : "Blueprint");
	if (o->is_app) {
		/* Flask(import_name, static_url_path, static_folder="static", static_host, host_matching, ...) */
		o->static_rule = static_rule(c, o, param(f, a, 2, "static_folder"), "static",
					     param(f, a, 1, "static_url_path"));
		if ((x = param(f, a, 4, "host_matching"))) {
			eval_arg(c, o->file, o->fn, x, &v);
			if (v.kind != PV_NONE && pyval__truthy(&v)) {
				o->host_matching = true;
				warn_at(c, o->file, o->line, "host_matching=True: rules match by host, which warden does not know; none will match");
			}
			pyval__clear(&v);
		}
		return;
	}
	/* Blueprint(name, import_name, static_folder, static_url_path, template_folder, url_prefix, subdomain, url_defaults, ...) */
	if ((x = param(f, a, 0, "name"))) {
		eval_arg(c, o->file, o->fn, x, &v);
		if (v.kind == PV_STR)
			o->name = xstrdup(c, v.s);
		pyval__clear(&v);
	}
	if (!o->name) {
		warn_at(c, o->file, o->line, "Blueprint name is not a constant; endpoints of its routes are unknown");
		o->name = xstrdup(c, "?");
	}
	o->static_rule = static_rule(c, o, param(f, a, 2, "static_folder"), NULL, param(f, a, 3, "static_url_path"));
	if ((x = param(f, a, 5, "url_prefix"))) {
		eval_arg(c, o->file, o->fn, x, &o->url_prefix);
		if (o->url_prefix.kind != PV_STR && o->url_prefix.kind != PV_NONE) {
			pyval__clear(&o->url_prefix);
			o->url_prefix.kind = PV_NONE;
			o->bad_prefix = true;
		}
	}
	if ((x = param(f, a, 6, "subdomain"))) {
		eval_arg(c, o->file, o->fn, x, &v);
		o->other_host = v.kind != PV_NONE && pyval__truthy(&v);
		pyval__clear(&v);
	}
	if ((x = param(f, a, 7, "url_defaults"))) {
		eval_arg(c, o->file, o->fn, x, &o->url_defaults);
		if (o->url_defaults.kind != PV_DICT && o->url_defaults.kind != PV_NONE) {
			warn_at(c, o->file, o->line, "url_defaults is not a constant dict; ignored");
			pyval__clear(&o->url_defaults);
			o->url_defaults.kind = PV_NONE;
		}
	}
}

/* ------------------------------------------------------------------ */
/* Pass 2: routes, registrations */

static const char *const http_funcs[] = { "get", "post", "head", "options", "delete", "put", "trace", "patch" };

static void add_method(struct ctx *c, char ***v, size_t *n, const char *m, size_t len)
{
	char **g, *u;
	size_t i;

	for (i = 0; i < *n; i++)
		if (strlen((*v)[i]) == len && !strncasecmp((*v)[i], m, len))
			return;
	u = xstrndup(c, m, len);
	if (!u)
		return;
	for (i = 0; i < len; i++)
		if (u[i] >= 'a' && u[i] <= 'z')
			u[i] -= 'a' - 'A';
	g = realloc(*v, (*n + 1) * sizeof(*g));
	if (!g) {
		c->oom = true;
		free(u);
		return;
	}
	g[(*n)++] = u;
	*v = g;
}

static void free_strv(char **v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

/* Methods from a list/tuple/set of strings; false if not that. */
static bool methods_from(struct ctx *c, const struct pyval *v, char ***out, size_t *n)
{
	size_t i;

	if (v->kind != PV_LIST && v->kind != PV_TUPLE && v->kind != PV_SET)
		return false;
	for (i = 0; i < v->n; i++)
		if (v->items[i].kind != PV_STR)
			return false;
	for (i = 0; i < v->n; i++)
		add_method(c, out, n, v->items[i].s, v->items[i].slen);
	return true;
}

/* The methods a class-based view answers: its methods attribute, or MethodView's handlers. */
static void class_methods(struct ctx *c, int fi, int ci, char ***out, size_t *n, int depth)
{
	const struct file *f = c->files[fi];
	const struct classdef *d = &f->classes[ci];
	uint32_t k, body = d->tok, indent;
	size_t i, h;

	if (depth > MAX_DEPTH)
		return;
	while (body < f->toks.n && T(f, body)->type != PY_NEWLINE)
		body++;
	body++;
	if (body >= f->toks.n || T(f, body)->indent <= d->indent)
		return;
	indent = T(f, body)->indent;
	for (k = body; k < f->toks.n; k++) {
		const struct py_token *t = T(f, k);

		if (!t->line_start)
			continue;
		if (t->indent <= d->indent)
			break;
		if (t->indent != indent)
			continue;
		if (is_name(f, k, f->toks.n, "methods") && is_op(f, k + 1, f->toks.n, "=")) {
			struct arg a = { .kw = NO_KW, .a = k + 2 };
			struct pyval v = { 0 };
			char **own = NULL;
			size_t nown = 0;

			for (a.b = a.a; a.b < f->toks.n && T(f, a.b)->type != PY_NEWLINE; a.b++)
				;
			eval_arg(c, fi, -1, &a, &v);
			if (methods_from(c, &v, &own, &nown)) {
				/* An explicit attribute wins over everything inherited. */
				free_strv(*out, *n);
				*out = own;
				*n = nown;
				pyval__clear(&v);
				return;
			}
			free_strv(own, nown);
			pyval__clear(&v);
		}
		if (is_name(f, k, f->toks.n, "async"))
			k++;
		if (is_name(f, k, f->toks.n, "def") && is_any_name(f, k + 1, f->toks.n)) {
			for (h = 0; h < sizeof(http_funcs) / sizeof(http_funcs[0]); h++)
				if (tok_eq(f, k + 1, http_funcs[h]))
					add_method(c, out, n, http_funcs[h], strlen(http_funcs[h]));
		}
	}
	for (i = 0; i < d->nbases; i++) {
		struct ref r = resolve_dotted(c, fi, d->bases[i], d->tok, -1, depth + 1);

		if (r.kind == R_CLASS)
			class_methods(c, r.file, r.idx, out, n, depth + 1);
	}
}

/* endpoint and methods implied by view_func: a function's name, or View.as_view("name"). */
static void view_func_info(struct ctx *c, int fi, int fn, const struct arg *a, char **endpoint,
			   char ***methods, size_t *nmethods)
{
	const struct env *saved = c->env;
	const struct file *f;
	uint32_t after;
	char *dotted;

	/* An argument a helper's caller passed: read it where it was written. */
	if (a->x) {
		c->env = a->x->env;
		view_func_info(c, a->x->fi, a->x->fn, &(struct arg){ .kw = NO_KW, .a = a->a, .b = a->b },
			       endpoint, methods, nmethods);
		c->env = saved;
		return;
	}
	f = c->files[fi];

	if (is_name(f, a->a, a->b, "lambda")) {
		*endpoint = xstrdup(c, "<lambda>");
		return;
	}
	after = dotted_fwd(c, f, a->a, a->b, &dotted);
	if (!dotted)
		return;
	if (after == a->b) {
		*endpoint = xstrdup(c, strrchr(dotted, '.') ? strrchr(dotted, '.') + 1 : dotted);
	} else if (is_op(f, after, a->b, "(") && close_of(f, after, a->b) == a->b - 1) {
		size_t l = strlen(dotted);

		if (l > 8 && !strcmp(dotted + l - 8, ".as_view")) {
			struct call call;
			struct pyval v = { 0 };
			const struct arg *name;
			struct ref r;

			parse_call(f, after, a->b, &call);
			name = param(f, &call, 0, "name");
			if (name) {
				eval_arg(c, fi, fn, name, &v);
				if (v.kind == PV_STR)
					*endpoint = xstrdup(c, v.s);
				pyval__clear(&v);
			}
			dotted[l - 8] = '\0';
			r = resolve_dotted(c, fi, dotted, a->a, fn, 0);
			if (r.kind == R_CLASS)
				class_methods(c, r.file, r.idx, methods, nmethods, 0);
			else
				warn_at(c, fi, T(f, a->a)->line, "view class '%s' not found; assuming GET", dotted);
		}
	}
	free(dotted);
}

static void free_proute(struct proute *r)
{
	free(r->rule);
	free(r->endpoint);
	free_strv(r->methods, r->nmethods);
	pyval__clear(&r->defaults);
	memset(r, 0, sizeof(*r));
}

static void free_reg(struct reg *g)
{
	pyval__clear(&g->url_prefix);
	pyval__clear(&g->url_defaults);
	free(g->name);
	memset(g, 0, sizeof(*g));
}

/* An option that must be a constant bool: -1 when absent, else 0/1 (warns on non-constants). */
static int bool_opt(struct ctx *c, int fi, int fn, const struct arg *a, uint32_t line, const char *what, int dflt)
{
	struct pyval v = { 0 };
	int r;

	if (!a)
		return -1;
	eval_arg(c, fi, fn, a, &v);
	if (v.kind == PV_DYNAMIC) {
		warn_at(c, fi, line, "%s is not a constant; assuming %s", what, dflt ? "True" : "False");
		return dflt;
	}
	r = v.kind != PV_NONE && pyval__truthy(&v);
	if (v.kind == PV_NONE)
		r = -1;
	pyval__clear(&v);
	return r;
}

static void do_resource(struct ctx *c, int fi, struct event *e, const struct call *a, int api);
static void restx_resource(struct ctx *c, int fi, struct event *e, const struct call *a, int oi, const char *cls,
			   size_t first_url);
static void do_add_namespace(struct ctx *c, int fi, struct event *e, const struct call *a, int api);

static void do_route(struct ctx *c, int fi, struct event *e)
{
	static const char *const known[] = {
		"rule", "endpoint", "view_func", "provide_automatic_options", "methods", "strict_slashes",
		"defaults", "merge_slashes", "build_only", "redirect_to", "alias", "subdomain", "host",
		"websocket",
	};
	static const char *const shortcut[] = { NULL, "GET", "POST", "PUT", "PATCH", "DELETE" };
	const struct file *f = c->files[fi];
	struct argctx ctxs[MAX_ARGS];
	struct call merged;
	const struct call *a = &merged;
	struct proute r = { .strict = -1, .merge = -1, .auto_options = true };
	const char *what = route_kind_name[e->rk];
	struct pyval v = { 0 };
	const struct arg *x;
	struct entry *ent;
	struct obj *o;
	bool add = e->rk == RK_ADD;
	size_t i, k;
	int oi, b;

	r.file = fi;
	r.line = e->line;
	merge_call(c, fi, e->fn, &e->args, &merged, ctxs);
	oi = resolve_obj_env(c, fi, e->recv, e->pos, e->fn, 0);
	if (oi >= 0 && c->objs[oi].factory && !c->objs[oi].is_ns)
		oi = -1;
	if (e->rk == RK_RESOURCE) {
		do_resource(c, fi, e, a, oi);
		return;
	}
	if (e->rk == RK_NAMESPACE) {
		do_add_namespace(c, fi, e, a, oi);
		return;
	}
	/* @ns.route("/x") or @api.route("/x") on a flask-restx Resource class. */
	if (oi >= 0 && c->objs[oi].rest == REST_RESTX) {
		if (e->rk == RK_ROUTE && e->view)
			restx_resource(c, fi, e, a, oi, e->view, 0);
		else
			warn_at(c, fi, e->line, "%s.%s(): not a resource route of flask-restx; skipped", e->recv, what);
		return;
	}
	if (oi < 0) {
		warn_at(c, fi, e->line, "%s.%s(): '%s' is not a Flask app or Blueprint found in the sources; skipped",
			e->recv, what, e->recv);
		return;
	}
	if (has_star_args(a) && !c->env)
		warn_at(c, fi, e->line, "%s.%s(): options passed with * or ** are not seen", e->recv, what);
	for (i = 0; i < a->n; i++) {
		const struct file *kf = a->v[i].kwf ? a->v[i].kwf : f;

		if (a->v[i].kw == NO_KW)
			continue;
		for (k = 0; k < sizeof(known) / sizeof(known[0]) && !tok_eq(kf, a->v[i].kw, known[k]); k++)
			;
		if (k == sizeof(known) / sizeof(known[0])) {
			warn_at(c, fi, e->line, "%s.%s(): unknown option '%.*s' (Flask would fail); skipped",
				e->recv, what, (int)T(kf, a->v[i].kw)->len, kf->src + T(kf, a->v[i].kw)->off);
			return;
		}
	}
	/* The rule: a constant text. */
	x = param(f, a, 0, "rule");
	if (x)
		eval_arg(c, fi, e->fn, x, &v);
	if (v.kind != PV_STR) {
		warn_at(c, fi, e->line, "%s.%s(): the rule is not a string literal; skipped", e->recv, what);
		pyval__clear(&v);
		return;
	}
	r.rule = v.s;
	v.s = NULL;
	pyval__clear(&v);
	/* The endpoint: given, else the view function's name. */
	x = add ? param(f, a, 1, "endpoint") : kwarg(f, a, "endpoint");
	if (x) {
		eval_arg(c, fi, e->fn, x, &v);
		if (v.kind == PV_STR) {
			r.endpoint = v.s;
			v.s = NULL;
		}
		pyval__clear(&v);
	}
	if (add && (x = param(f, a, 2, "view_func"))) {
		char *ep = NULL;

		view_func_info(c, fi, e->fn, x, &ep, &r.methods, &r.nmethods);
		if (!r.endpoint)
			r.endpoint = ep;
		else
			free(ep);
	} else if (!r.endpoint && e->view && !x)
		r.endpoint = xstrdup(c, e->view);
	/* A view class's methods only count without methods=. */
	x = kwarg(f, a, "methods");
	if (e->rk != RK_ROUTE && !add) {
		if (x) {
			warn_at(c, fi, e->line, "%s.%s(): methods= with a method shortcut (Flask raises TypeError); skipped",
				e->recv, what);
			goto fail;
		}
		free_strv(r.methods, r.nmethods);
		r.methods = NULL;
		r.nmethods = 0;
		add_method(c, &r.methods, &r.nmethods, shortcut[e->rk], strlen(shortcut[e->rk]));
	} else if (x) {
		char **m = NULL;
		size_t nm = 0;

		eval_arg(c, fi, e->fn, x, &v);
		if (v.kind == PV_STR) {
			warn_at(c, fi, e->line, "%s.%s(): methods is a string (Flask raises TypeError); skipped", e->recv, what);
			goto fail;
		}
		if (v.kind == PV_NONE) {
			/* As if not given. */
		} else if (methods_from(c, &v, &m, &nm)) {
			free_strv(r.methods, r.nmethods);
			r.methods = m;
			r.nmethods = nm;
		} else {
			free_strv(m, nm);
			warn_at(c, fi, e->line, "%s.%s(): methods is not a constant list; assuming GET", e->recv, what);
		}
		pyval__clear(&v);
	}
	x = add ? param(f, a, 3, "provide_automatic_options") : kwarg(f, a, "provide_automatic_options");
	b = bool_opt(c, fi, e->fn, x, e->line, "provide_automatic_options", 1);
	/* Flask adds OPTIONS only when the option is left unset. */
	r.auto_options = b < 0;
	r.strict = bool_opt(c, fi, e->fn, kwarg(f, a, "strict_slashes"), e->line, "strict_slashes", 1);
	r.merge = bool_opt(c, fi, e->fn, kwarg(f, a, "merge_slashes"), e->line, "merge_slashes", 1);
	r.build_only = bool_opt(c, fi, e->fn, kwarg(f, a, "build_only"), e->line, "build_only", 0) == 1;
	r.alias = bool_opt(c, fi, e->fn, kwarg(f, a, "alias"), e->line, "alias", 0) == 1;
	r.redirects = r.alias;
	if ((x = kwarg(f, a, "redirect_to"))) {
		eval_arg(c, fi, e->fn, x, &v);
		r.redirects |= v.kind != PV_NONE;
		pyval__clear(&v);
	}
	for (k = 0; k < 2; k++) {
		if ((x = kwarg(f, a, k ? "host" : "subdomain"))) {
			eval_arg(c, fi, e->fn, x, &v);
			if (v.kind != PV_NONE && pyval__truthy(&v))
				r.other_host = true;
			pyval__clear(&v);
		}
	}
	if (bool_opt(c, fi, e->fn, kwarg(f, a, "websocket"), e->line, "websocket", 0) == 1) {
		warn_at(c, fi, e->line, "%s.%s(): websocket rules never match HTTP requests", e->recv, what);
		r.other_host = true;
	}
	r.defaults.kind = PV_NONE;
	if ((x = kwarg(f, a, "defaults"))) {
		eval_arg(c, fi, e->fn, x, &r.defaults);
		if (r.defaults.kind != PV_DICT && r.defaults.kind != PV_NONE) {
			warn_at(c, fi, e->line, "%s.%s(): defaults is not a constant dict; ignored", e->recv, what);
			pyval__clear(&r.defaults);
			r.defaults.kind = PV_NONE;
		}
	}
	o = &c->objs[oi];
	if (o->is_app && r.strict < 0)
		r.strict = o->strict;
	ent = PUSH(c, o->ents, o->nents, o->cents);
	if (!ent)
		goto fail;
	ent->r = r;
	return;
fail:
	pyval__clear(&v);
	free_proute(&r);
}

static void do_register(struct ctx *c, int fi, struct event *e)
{
	const struct file *f = c->files[fi];
	struct argctx ctxs[MAX_ARGS];
	struct call merged;
	const struct call *a = &merged;
	struct reg g = { .bp = -1 };
	struct pyval v = { 0 };
	const struct arg *x;
	struct entry *ent;
	char *name = NULL;
	int oi;

	g.file = fi;
	g.line = e->line;
	g.url_prefix.kind = PV_NONE;
	g.url_defaults.kind = PV_NONE;
	merge_call(c, fi, e->fn, &e->args, &merged, ctxs);
	oi = resolve_obj_env(c, fi, e->recv, e->pos, e->fn, 0);
	if (oi < 0) {
		warn_at(c, fi, e->line, "%s.register_blueprint(): '%s' is not a Flask app or Blueprint found in the sources; skipped",
			e->recv, e->recv);
		return;
	}
	x = param(f, a, 0, "blueprint");
	if (x) {
		const struct env *saved = c->env;
		int bfi = x->x ? x->x->fi : fi, bfn = x->x ? x->x->fn : e->fn;

		dotted_fwd(c, c->files[bfi], x->a, x->b, &name);
		if (x->x)
			c->env = x->x->env;
		g.bp = name ? resolve_obj_env(c, bfi, name, x->a, bfn, 0) : -1;
		c->env = saved;
	}
	if (g.bp < 0 || c->objs[g.bp].is_app || c->objs[g.bp].is_api) {
		warn_at(c, fi, e->line, "%s.register_blueprint(%s): blueprint not found in the sources; skipped",
			e->recv, name ? name : "?");
		free(name);
		return;
	}
	free(name);
	if ((x = kwarg(f, a, "url_prefix"))) {
		eval_arg(c, fi, e->fn, x, &g.url_prefix);
		if (g.url_prefix.kind != PV_STR && g.url_prefix.kind != PV_NONE) {
			warn_at(c, fi, e->line, "register_blueprint(): url_prefix is not a constant; skipped");
			goto fail;
		}
	} else if (c->objs[g.bp].bad_prefix) {
		warn_at(c, fi, e->line, "register_blueprint(): the blueprint's url_prefix is not a constant; skipped");
		goto fail;
	}
	if ((x = kwarg(f, a, "name"))) {
		eval_arg(c, fi, e->fn, x, &v);
		if (v.kind == PV_STR)
			g.name = xstrdup(c, v.s);
		pyval__clear(&v);
	}
	if ((x = kwarg(f, a, "url_defaults"))) {
		eval_arg(c, fi, e->fn, x, &g.url_defaults);
		if (g.url_defaults.kind != PV_DICT) {
			pyval__clear(&g.url_defaults);
			g.url_defaults.kind = PV_NONE;
		}
	}
	if ((x = kwarg(f, a, "subdomain"))) {
		eval_arg(c, fi, e->fn, x, &v);
		g.other_host = v.kind != PV_NONE && pyval__truthy(&v);
		pyval__clear(&v);
	}
	g.strict = c->objs[oi].is_app ? c->objs[oi].strict : true;
	ent = PUSH(c, c->objs[oi].ents, c->objs[oi].nents, c->objs[oi].cents);
	if (!ent)
		goto fail;
	ent->is_reg = true;
	ent->g = g;
	return;
fail:
	free_reg(&g);
}

static void do_mapset(struct ctx *c, int fi, struct event *e)
{
	int oi = resolve_obj_env(c, fi, e->recv, e->pos, e->fn, 0);
	int b;

	if (oi < 0 || !c->objs[oi].is_app)
		return;
	b = bool_opt(c, fi, e->fn, &e->args.v[0], e->line, "url_map.strict_slashes", 1);
	if (b >= 0)
		c->objs[oi].strict = b;
}

/* ---- Flask-RESTful ---- */

/*
 * api.add_resource(Resource, *urls, endpoint=None, **kwargs): for each url,
 * app.add_url_rule(api.prefix + url, view_func=Resource.as_view(endpoint)),
 * endpoint defaulting to the class name in lower case (Flask-RESTful 0.3).
 */
static void do_resource(struct ctx *c, int fi, struct event *e, const struct call *a, int api)
{
	const struct file *f = c->files[fi];
	struct proute proto = { .strict = -1, .merge = -1, .auto_options = true };
	const struct arg *x;
	struct pyval v = { 0 };
	struct obj *t;
	char *cls = NULL;
	size_t i, seen = 0;
	int ti;

	if (api < 0 || !(c->objs[api].is_api || c->objs[api].is_ns)) {
		warn_at(c, fi, e->line, "%s.add_resource(): '%s' is not a Flask-RESTful Api found in the sources; skipped",
			e->recv, e->recv);
		return;
	}
	ti = c->objs[api].target;
	if (c->objs[api].rest == REST_RESTX) {
		x = param(f, a, 0, "resource");
		if (!x || (x->x ? 1 : dotted_fwd(c, f, x->a, x->b, &cls) != x->b) || !cls)
			warn_at(c, fi, e->line, "%s.add_resource(): the resource class is not a plain name; skipped", e->recv);
		else
			restx_resource(c, fi, e, a, api, cls, 1);
		free(cls);
		return;
	}
	if (ti == -2)
		return;
	x = param(f, a, 0, "resource");
	if (!x || (x->x ? 1 : dotted_fwd(c, f, x->a, x->b, &cls) != x->b) || !cls) {
		warn_at(c, fi, e->line, "%s.add_resource(): the resource class is not a plain name; skipped", e->recv);
		free(cls);
		return;
	}
	proto.file = fi;
	proto.line = e->line;
	proto.defaults.kind = PV_NONE;
	{
		struct ref r = resolve_dotted(c, fi, cls, e->pos, e->fn, 0);

		if (r.kind == R_CLASS)
			class_methods(c, r.file, r.idx, &proto.methods, &proto.nmethods, 0);
		else
			warn_at(c, fi, e->line, "resource class '%s' not found; assuming GET", cls);
	}
	if ((x = kwarg(f, a, "endpoint"))) {
		eval_arg(c, fi, e->fn, x, &v);
		if (v.kind == PV_STR) {
			proto.endpoint = v.s;
			v.s = NULL;
		}
		pyval__clear(&v);
	}
	if (!proto.endpoint) {
		const char *last = strrchr(cls, '.') ? strrchr(cls, '.') + 1 : cls;

		proto.endpoint = xstrdup(c, last);
		for (i = 0; proto.endpoint && proto.endpoint[i]; i++)
			if (proto.endpoint[i] >= 'A' && proto.endpoint[i] <= 'Z')
				proto.endpoint[i] += 'a' - 'A';
	}
	proto.strict = bool_opt(c, fi, e->fn, kwarg(f, a, "strict_slashes"), e->line, "strict_slashes", 1);
	if ((x = kwarg(f, a, "defaults"))) {
		eval_arg(c, fi, e->fn, x, &proto.defaults);
		if (proto.defaults.kind != PV_DICT) {
			pyval__clear(&proto.defaults);
			proto.defaults.kind = PV_NONE;
		}
	}
	/* Without its app yet, the Api keeps them until init_app(). */
	t = &c->objs[ti >= 0 ? ti : api];
	for (i = 0; i < a->n; i++) {
		struct proute r = proto;
		const struct pyval *pre = &c->objs[api].prefix;
		struct entry *ent;

		if (a->v[i].kw != NO_KW || a->v[i].star || seen++ == 0)
			continue;
		eval_arg(c, fi, e->fn, &a->v[i], &v);
		if (v.kind != PV_STR) {
			warn_at(c, fi, e->line, "%s.add_resource(): url %zu is not a string literal; skipped", e->recv, seen - 1);
			pyval__clear(&v);
			continue;
		}
		r.rule = xasprintf(c, "%s%s", pre->kind == PV_STR ? pre->s : "", v.s);
		pyval__clear(&v);
		r.endpoint = xstrdup(c, proto.endpoint);
		r.methods = NULL;
		r.nmethods = 0;
		for (size_t m = 0; m < proto.nmethods; m++)
			add_method(c, &r.methods, &r.nmethods, proto.methods[m], strlen(proto.methods[m]));
		if (pyval__copy(&r.defaults, &proto.defaults))
			c->oom = true;
		if (t->is_app && r.strict < 0)
			r.strict = t->strict;
		/* t may move when objs grows: never here (pass 2 adds no objects). */
		ent = PUSH(c, t->ents, t->nents, t->cents);
		if (!ent || !r.rule) {
			free_proute(&r);
			break;
		}
		ent->r = r;
	}
	free(cls);
	free_proute(&proto);
}

/* ---- flask-restx (and Flask-RESTPlus, which it forked) ---- */

/*
 * As flask-restx 0.1-1.3 does it (api.py, namespace.py, apidoc.py):
 * Api(app) registers /swagger.json ("specs", under its prefix), its doc page
 * (doc="/", not under its prefix), its root (the prefix, or "/") and then,
 * once per app, the "restx_doc" blueprint with /swaggerui/<path:filename>.
 * Resources belong to a Namespace (the Api's own default one has path "");
 * api.add_namespace(ns, path=None) registers each at
 * api.prefix + (path or ns.path) + url, with the endpoint
 * camel_to_dash(Class), "<ns name>_" before it outside the default
 * namespace, "_2", "_3"... when taken. On a blueprint, the Api replaces
 * the registration's add_url_rule: the registration prefix is then
 * prepended as is, without Flask's slash handling.
 */

/* flask_restx.utils.camel_to_dash: "(.)([A-Z][a-z]+)" then "([a-z0-9])([A-Z])" get "_", lower-cased. */
static char *camel_to_dash(struct ctx *c, const char *s)
{
	size_t n = strlen(s), i, j, k = 0;
	char *a = malloc(2 * n + 1), *b = malloc(4 * n + 1);

	if (!a || !b) {
		c->oom = true;
		free(a);
		free(b);
		return NULL;
	}
	for (i = 0, j = 0; i < n;) {
		if (i + 2 < n && isupper((unsigned char)s[i + 1]) && islower((unsigned char)s[i + 2])) {
			a[j++] = s[i];
			a[j++] = '_';
			a[j++] = s[i + 1];
			for (i += 2; i < n && islower((unsigned char)s[i]); i++)
				a[j++] = s[i];
		} else {
			a[j++] = s[i++];
		}
	}
	a[j] = '\0';
	for (i = 0; i < j;) {
		if ((islower((unsigned char)a[i]) || isdigit((unsigned char)a[i])) && i + 1 < j &&
		    isupper((unsigned char)a[i + 1])) {
			b[k++] = a[i];
			b[k++] = '_';
			b[k++] = a[i + 1];
			i += 2;
		} else {
			b[k++] = a[i++];
		}
	}
	b[k] = '\0';
	for (i = 0; i < k; i++)
		b[i] = (char)tolower((unsigned char)b[i]);
	free(a);
	return b;
}

static bool api_has_endpoint(const struct obj *api, const char *ep)
{
	size_t i;

	for (i = 0; i < api->nendpoints; i++)
		if (!strcmp(api->endpoints[i], ep))
			return true;
	return false;
}

static void api_take_endpoint(struct ctx *c, struct obj *api, const char *ep)
{
	char **v;

	if (api_has_endpoint(api, ep))
		return;
	v = realloc(api->endpoints, (api->nendpoints + 1) * sizeof(*v));
	if (!v || !(v[api->nendpoints] = xstrdup(c, ep))) {
		c->oom = true;
		if (v)
			api->endpoints = v;
		return;
	}
	api->endpoints = v;
	api->nendpoints++;
}

/* Api.default_endpoint(resource, namespace). */
static char *restx_endpoint(struct ctx *c, const struct obj *api, const struct obj *ns, const char *cls)
{
	const char *last = strrchr(cls, '.') ? strrchr(cls, '.') + 1 : cls;
	char *base = camel_to_dash(c, last), *ep;
	int k;

	if (base && ns) {
		ep = xasprintf(c, "%s_%s", ns->name, base);
		free(base);
		base = ep;
	}
	if (!base || !api_has_endpoint(api, base))
		return base;
	for (k = 2;; k++) {
		ep = xasprintf(c, "%s_%d", base, k);
		if (!ep || !api_has_endpoint(api, ep))
			break;
		free(ep);
	}
	free(base);
	return ep;
}

static void free_nsres(struct nsres *r)
{
	free(r->cls);
	free_proute(&r->proto);
	free_strv(r->urls, r->nurls);
	memset(r, 0, sizeof(*r));
}

/* Append r (taken) to o's entries. */
static void push_route(struct ctx *c, struct obj *o, struct proute *r)
{
	struct entry *ent = r->rule ? PUSH(c, o->ents, o->nents, o->cents) : NULL;

	if (!ent) {
		free_proute(r);
		return;
	}
	ent->r = *r;
}

/* A copy of proto's options for one rule (taken) of endpoint ep (copied). */
static struct proute restx_rule(struct ctx *c, const struct proute *proto, char *rule, const char *ep)
{
	struct proute r = *proto;
	size_t m;

	r.rule = rule;
	r.endpoint = ep ? xstrdup(c, ep) : NULL;
	r.methods = NULL;
	r.nmethods = 0;
	for (m = 0; m < proto->nmethods; m++)
		add_method(c, &r.methods, &r.nmethods, proto->methods[m], strlen(proto->methods[m]));
	if (pyval__copy(&r.defaults, &proto->defaults))
		c->oom = true;
	return r;
}

/* Api.register_resource(ns, resource, *ns_urls): on its app or blueprint now, or kept until init_app(). */
static void restx_register(struct ctx *c, int api_i, int ns_i, const struct nsres *res)
{
	struct obj *api = &c->objs[api_i], *ns = &c->objs[ns_i], *t;
	const char *path = "", *prefix = api->prefix.kind == PV_STR ? api->prefix.s : "";
	char *ep;
	size_t i, k;

	if (ns_i != api_i) {
		path = ns->ns_path;
		for (k = 0; k < ns->nattach; k++)
			if (ns->attach[k].api == api_i && ns->attach[k].path && *ns->attach[k].path)
				path = ns->attach[k].path;
		if (!path)
			return;
	}
	ep = res->proto.endpoint ? xstrdup(c, res->proto.endpoint)
				 : restx_endpoint(c, api, ns_i != api_i ? ns : NULL, res->cls);
	if (!ep)
		return;
	api_take_endpoint(c, api, ep);
	for (i = 0; i < res->nurls; i++) {
		struct proute r;

		if (!api->inited) {
			/* Registered at init_app(), with the prefix there. */
			r = restx_rule(c, &res->proto, xasprintf(c, "%s%s", path, res->urls[i]), ep);
			push_route(c, api, &r);
			continue;
		}
		t = &c->objs[api->target];
		r = restx_rule(c, &res->proto, xasprintf(c, "%s%s%s", prefix, path, res->urls[i]), ep);
		if (t->is_app && r.strict < 0)
			r.strict = t->strict;
		r.raw = !t->is_app;
		push_route(c, t, &r);
	}
	free(ep);
}

/*
 * ns.add_resource(Resource, *urls, endpoint=None, **kwargs), as @ns.route(*urls)
 * on the class does: kept by the namespace, registered on each Api it is
 * added to. On an Api: its default namespace.
 */
static void restx_resource(struct ctx *c, int fi, struct event *e, const struct call *a, int oi, const char *cls,
			   size_t first_url)
{
	const struct file *f = c->files[fi];
	struct nsres res = { .proto = { .strict = -1, .merge = -1, .auto_options = true } };
	const struct arg *x;
	struct pyval v = { 0 };
	struct obj *o = &c->objs[oi];
	struct ref r;
	size_t i, seen = 0, k;

	res.proto.file = fi;
	res.proto.line = e->line;
	res.proto.defaults.kind = PV_NONE;
	res.cls = xstrdup(c, cls);
	r = resolve_dotted(c, fi, cls, e->pos, e->fn, 0);
	if (r.kind == R_CLASS)
		class_methods(c, r.file, r.idx, &res.proto.methods, &res.proto.nmethods, 0);
	else
		warn_at(c, fi, e->line, "resource class '%s' not found; assuming GET", cls);
	if ((x = kwarg(f, a, "endpoint"))) {
		eval_arg(c, fi, e->fn, x, &v);
		if (v.kind == PV_STR) {
			res.proto.endpoint = v.s;
			v.s = NULL;
		}
		pyval__clear(&v);
	}
	res.proto.strict = bool_opt(c, fi, e->fn, kwarg(f, a, "strict_slashes"), e->line, "strict_slashes", 1);
	if ((x = kwarg(f, a, "defaults"))) {
		eval_arg(c, fi, e->fn, x, &res.proto.defaults);
		if (res.proto.defaults.kind != PV_DICT) {
			pyval__clear(&res.proto.defaults);
			res.proto.defaults.kind = PV_NONE;
		}
	}
	for (i = 0; i < a->n; i++) {
		char **u;

		if (a->v[i].kw != NO_KW || a->v[i].star || seen++ < first_url)
			continue;
		eval_arg(c, fi, e->fn, &a->v[i], &v);
		if (v.kind != PV_STR) {
			warn_at(c, fi, e->line, "%s: url %zu is not a string literal; skipped", e->recv, seen - first_url);
			pyval__clear(&v);
			continue;
		}
		u = realloc(res.urls, (res.nurls + 1) * sizeof(*u));
		if (!u) {
			c->oom = true;
			pyval__clear(&v);
			break;
		}
		res.urls = u;
		res.urls[res.nurls++] = v.s;
		v.s = NULL;
		pyval__clear(&v);
	}
	if (!o->is_ns) {
		restx_register(c, oi, oi, &res);
		free_nsres(&res);
		return;
	}
	for (k = 0; k < o->nattach; k++)
		restx_register(c, o->attach[k].api, oi, &res);
	o = &c->objs[oi];
	if (!o->ns_path)
		warn_at(c, fi, e->line, "%s: the namespace's path is not known; resource skipped", e->recv);
	{
		struct nsres *slot = PUSH(c, o->res, o->nres, o->cres);

		if (slot)
			*slot = res;
		else
			free_nsres(&res);
	}
}

/* Attach namespace ns_i to api_i (Api.add_namespace's bookkeeping); false if it already is. */
static bool restx_attach(struct ctx *c, int api_i, int ns_i, const char *path)
{
	struct obj *ns = &c->objs[ns_i];
	size_t k;

	for (k = 0; k < ns->nattach; k++)
		if (ns->attach[k].api == api_i)
			return false;
	if (ns->nattach == sizeof(ns->attach) / sizeof(ns->attach[0]))
		return false;
	ns->attach[ns->nattach].api = api_i;
	ns->attach[ns->nattach++].path = path ? xstrdup(c, path) : NULL;
	return true;
}

/* api.add_namespace(ns, path=None): its resources are registered now. */
static void do_add_namespace(struct ctx *c, int fi, struct event *e, const struct call *a, int api)
{
	const struct file *f = c->files[fi];
	const struct arg *x;
	struct pyval path = { 0 };
	char *name = NULL;
	size_t k;
	int ns = -1;

	if (api < 0 || c->objs[api].rest != REST_RESTX || !c->objs[api].is_api) {
		warn_at(c, fi, e->line, "%s.add_namespace(): '%s' is not a flask-restx Api found in the sources; skipped",
			e->recv, e->recv);
		return;
	}
	if ((x = param(f, a, 0, "ns"))) {
		const struct env *saved = c->env;
		int nfi = x->x ? x->x->fi : fi, nfn = x->x ? x->x->fn : e->fn;

		dotted_fwd(c, c->files[nfi], x->a, x->b, &name);
		if (x->x)
			c->env = x->x->env;
		ns = name ? resolve_obj_env(c, nfi, name, x->a, nfn, 0) : -1;
		c->env = saved;
	}
	if (ns < 0 || !c->objs[ns].is_ns) {
		warn_at(c, fi, e->line, "%s.add_namespace(%s): namespace not found in the sources; skipped",
			e->recv, name ? name : "?");
		free(name);
		return;
	}
	free(name);
	if ((x = param(f, a, 1, "path"))) {
		eval_arg(c, fi, e->fn, x, &path);
		if (path.kind != PV_STR && path.kind != PV_NONE) {
			warn_at(c, fi, e->line, "%s.add_namespace(): path is not a constant; skipped", e->recv);
			pyval__clear(&path);
			return;
		}
	}
	restx_attach(c, api, ns, path.kind == PV_STR ? path.s : NULL);
	pyval__clear(&path);
	for (k = 0; k < c->objs[ns].nres && !c->oom; k++)
		restx_register(c, api, ns, &c->objs[ns].res[k]);
}

/* A rule flask-restx adds itself (GET), on t now. */
static void restx_own_rule(struct ctx *c, struct obj *api, struct obj *t, char *rule, const char *ep)
{
	struct proute r = { .strict = -1, .merge = -1, .auto_options = true, .file = api->file,
			    .line = (int)api->line };

	r.defaults.kind = PV_NONE;
	r.rule = rule;
	r.endpoint = xstrdup(c, ep);
	if (t->is_app)
		r.strict = t->strict;
	push_route(c, t, &r);
}

/* Api.init_app(app_or_blueprint): its own routes, the resources kept so far, then its apidoc blueprint. */
static void restx_init(struct ctx *c, int api_i, bool add_specs)
{
	struct obj *api = &c->objs[api_i], *t = &c->objs[api->target];
	const char *prefix = api->prefix.kind == PV_STR ? api->prefix.s : "";
	struct entry *ent;
	size_t i, n;

	api->inited = true;
	if (add_specs) {
		restx_own_rule(c, api, t, xasprintf(c, "%s/%s", prefix, api->swagger ? api->swagger : ""), "specs");
		api_take_endpoint(c, api, "specs");
		if (api->doc)
			restx_own_rule(c, api, t, xstrdup(c, api->doc), "doc");
	}
	restx_own_rule(c, api, t, xstrdup(c, *prefix ? prefix : "/"), "root");
	/* Resources kept until now: on an app under the prefix; on a blueprint (registered by the
	   Api's own add_url_rule when the blueprint is) without it. */
	n = api->nents;
	for (i = 0; i < n; i++) {
		struct proute r = api->ents[i].r;

		if (t->is_app) {
			char *full = xasprintf(c, "%s%s", prefix, r.rule);

			free(r.rule);
			r.rule = full;
			if (r.strict < 0)
				r.strict = t->strict;
		}
		r.raw = !t->is_app;
		push_route(c, t, &r);
		t = &c->objs[api->target];
	}
	api->nents = 0;
	ent = PUSH(c, t->ents, t->nents, t->cents);
	if (ent) {
		memset(ent, 0, sizeof(*ent));
		ent->r.defaults.kind = PV_NONE;
		ent->r.auto_options = true;
		ent->r.strict = t->is_app ? t->strict : -1;
		ent->r.file = api->file;
		ent->r.line = (int)api->line;
		ent->apidoc = api->restplus ? "restplus_doc" : "restx_doc";
	}
}

/* NAME = Api(app) (initialised now) or NAME = api.namespace(...) (added to api now). */
static void do_new_api(struct ctx *c, int fi, struct event *e)
{
	struct obj *o = &c->objs[e->target];
	int a;

	if (o->is_ns && o->factory) {
		a = resolve_obj_env(c, fi, o->factory, e->pos, e->fn, 0);
		if (a >= 0 && c->objs[a].is_api && c->objs[a].rest == REST_RESTX)
			restx_attach(c, a, e->target, NULL);
		else
			o->is_ns = false; /* some other .namespace(): nothing of Flask's */
		return;
	}
	if (o->is_api && o->target >= 0 && !o->inited)
		restx_init(c, e->target, true);
}

/* ---- helper calls and loops ---- */

static void run_event(struct ctx *c, int fi, struct event *e);

/* Whether token range [a, b) of file f holds the name. */
static bool tokens_name(const struct file *f, uint32_t a, uint32_t b, const char *name)
{
	for (; a < b; a++)
		if (T(f, a)->type == PY_NAME && tok_eq(f, a, name))
			return true;
	return false;
}

/* Whether the for statement at token p of file f encloses token q (its body holds q). */
static bool loop_encloses(const struct file *f, uint32_t p, uint32_t q)
{
	uint32_t k, indent = T(f, p)->indent;

	if (q <= p)
		return false;
	/* The body starts on a later line, indented more; nothing in between goes back out. */
	for (k = p + 1; k < q; k++)
		if (T(f, k)->line_start && T(f, k)->indent <= indent)
			return false;
	return T(f, q)->indent > indent || T(f, q)->line > T(f, p)->line;
}

/* The loops around event e whose variables it uses, outermost first; their count. */
static size_t event_loops(const struct ctx *c, int fi, const struct event *e, const struct binding **out,
			  size_t max)
{
	const struct file *f = c->files[fi];
	const struct binding *all[16];
	size_t n = 0, i, j, k, used = 0;
	bool keep[16] = { 0 };

	for (i = 0; i < f->nbinds && n < 16; i++) {
		const struct binding *b = &f->binds[i];

		if (b->kind != B_FOR || b->fn != e->fn || b->unpack > 0 || !loop_encloses(f, b->pos, e->pos))
			continue;
		all[n++] = b;
	}
	/* Innermost first: a loop is used by the event or by the iterable of a loop it encloses. */
	for (i = n; i-- > 0;) {
		for (j = 0; j < f->nbinds && !keep[i]; j++) {
			const struct binding *b = &f->binds[j];

			if (b->kind != B_FOR || b->pos != all[i]->pos)
				continue;
			keep[i] = tokens_name(f, e->pos, e->end + 1, b->name) ||
				  (e->recv && !strcmp(e->recv, b->name));
			for (k = i + 1; k < n && !keep[i]; k++)
				keep[i] = keep[k] && tokens_name(f, all[k]->ra, all[k]->rb, b->name);
		}
	}
	for (i = 0; i < n && used < max; i++)
		if (keep[i])
			out[used++] = all[i];
	return used;
}

static void run_loops(struct ctx *c, int fi, struct event *e, const struct binding **loops, size_t n);

/* Split the display at tokens [a, b) (one bracketed literal) into items; false if it is not one. */
static bool split_display(const struct file *f, uint32_t a, uint32_t b, struct call *items)
{
	uint32_t k;
	size_t commas = 0;
	int depth = 0;

	if (b <= a + 1 || !(is_op(f, a, b, "(") || is_op(f, a, b, "[")) || close_of(f, a, b) != b - 1)
		return false;
	for (k = a; k < b; k++) {
		const struct py_token *u = T(f, k);
		char ch = u->type == PY_OP && u->len == 1 ? f->src[u->off] : 0;

		if (ch == '(' || ch == '[' || ch == '{')
			depth++;
		else if (ch == ')' || ch == ']' || ch == '}')
			depth--;
		else if (ch == ',' && depth == 1)
			commas++;
	}
	if (commas + 1 > MAX_ARGS)
		return false;
	parse_call(f, a, b, items);
	for (k = 0; k < items->n; k++)
		if (items->v[k].star || items->v[k].kw != NO_KW)
			return false;
	return true;
}

/* The loop of run_loops over a literal display, its names bound to item tokens. */
static bool run_loop_tokens(struct ctx *c, int fi, struct event *e, const struct binding **loops,
			    size_t n, struct env *loop)
{
	const struct file *f = c->files[fi];
	const struct env *saved = c->env;
	struct call items, parts;
	size_t i, j;

	if (!split_display(f, loops[0]->ra, loops[0]->rb, &items))
		return false;
	loop->by_tokens = true;
	for (i = 0; i < items.n && !c->oom; i++) {
		const struct arg *it = &items.v[i];

		if (loops[0]->unpack < 0) {
			loop->toks[0] = *it;
		} else if (split_display(f, it->a, it->b, &parts) && parts.n == loop->nnames) {
			for (j = 0; j < parts.n; j++)
				loop->toks[j] = parts.v[j];
		} else {
			warn_at(c, fi, e->line, "loop item %zu does not unpack into %zu names; skipped", i, loop->nnames);
			continue;
		}
		c->env = loop;
		run_loops(c, fi, e, loops + 1, n - 1);
		c->env = saved;
	}
	return true;
}

/*
 * Whether e may add routes: a route, a registration, an init_app(), or a call
 * of a project function that holds one (a loop of other calls is no loss).
 */
static bool event_routes(struct ctx *c, int fi, const struct event *e, int depth)
{
	const struct file *tf;
	struct ref r;
	size_t i;

	if (e->kind != EV_CALL)
		return true;
	r = resolve_dotted(c, fi, e->recv, e->pos, e->fn, 0);
	if (r.kind != R_FUNC || depth > 3)
		return r.kind == R_FUNC;
	tf = c->files[r.file];
	for (i = 0; i < tf->nevs; i++)
		if (fn_within(tf, tf->evs[i].fn, r.idx) && tf->evs[i].kind != EV_IMPORT &&
		    tf->evs[i].kind != EV_NEWAPP && event_routes(c, r.file, &tf->evs[i], depth + 1))
			return true;
	return false;
}

/* Run e once per value of loops[0..n), innermost last, each binding its names. */
static void run_loops(struct ctx *c, int fi, struct event *e, const struct binding **loops, size_t n)
{
	const struct file *f = c->files[fi];
	const struct env *saved = c->env;
	struct argctx at = { fi, e->fn, c->env };
	struct pyval seq = { 0 };
	struct env loop = { .up = c->env, .fi = fi, .fn = -2 };
	size_t i, j;

	if (!n) {
		run_event(c, fi, e);
		return;
	}
	/* The names this for statement binds. */
	for (i = 0; i < f->nbinds && loop.nnames < 8; i++)
		if (f->binds[i].kind == B_FOR && f->binds[i].pos == loops[0]->pos)
			loop.names[loop.nnames++] = f->binds[i].name;
	loop.at = at;
	if (!eval_in(c, &at, loops[0]->ra, loops[0]->rb, 0, &seq) ||
	    (seq.kind != PV_LIST && seq.kind != PV_TUPLE && seq.kind != PV_SET)) {
		pyval__clear(&seq);
		/* A literal display of items that are not all constants (view functions): by tokens. */
		if (!run_loop_tokens(c, fi, e, loops, n, &loop) && event_routes(c, fi, e, 0))
			warn_at(c, fi, e->line, "the loop at line %u is not over a constant list or tuple; the routes in it are skipped",
				T(f, loops[0]->pos)->line);
		return;
	}
	for (i = 0; i < seq.n && !c->oom; i++) {
		const struct pyval *item = &seq.items[i];

		if (loops[0]->unpack < 0) {
			loop.vals[0] = *item;
		} else if ((item->kind == PV_TUPLE || item->kind == PV_LIST) && item->n == loop.nnames) {
			for (j = 0; j < loop.nnames; j++)
				loop.vals[j] = item->items[j];
		} else {
			warn_at(c, fi, e->line, "loop item %zu does not unpack into %zu names; skipped", i, loop.nnames);
			continue;
		}
		c->env = &loop;
		run_loops(c, fi, e, loops + 1, n - 1);
		c->env = saved;
	}
	pyval__clear(&seq);
}

/* Run e inside the loops it uses. */
static void run_with_loops(struct ctx *c, int fi, struct event *e)
{
	const struct binding *loops[16];
	size_t n = event_loops(c, fi, e, loops, 16);

	run_loops(c, fi, e, loops, n);
}

/* Whether event e of function e->fn depends on the function's parameters (a helper's event). */
static bool event_parametric(const struct ctx *c, int fi, const struct event *e)
{
	const struct file *f = c->files[fi];
	const struct binding *loops[16];
	const struct funcdef *fd;
	size_t i, n, k;

	if (e->fn < 0 || (e->kind != EV_ROUTE && e->kind != EV_REGISTER && e->kind != EV_CALL &&
			  e->kind != EV_INIT))
		return false;
	fd = &f->funcs[e->fn];
	n = event_loops(c, fi, e, loops, 16);
	for (i = 0; i < fd->nparams; i++) {
		const char *pn = fd->params[i] + strspn(fd->params[i], "*");

		if (!strcmp(pn, "self"))
			continue;
		if (tokens_name(f, e->pos, e->end + 1, pn))
			return true;
		for (k = 0; k < n; k++)
			if (tokens_name(f, loops[k]->ra, loops[k]->rb, pn))
				return true;
	}
	return false;
}

/* A call of a project function: run its parameter-dependent events with its arguments bound. */
static void do_call(struct ctx *c, int fi, struct event *e)
{
	struct ref r = resolve_dotted(c, fi, e->recv, e->pos, e->fn, 0);
	const struct env *saved = c->env;
	struct env frame = { .up = NULL };
	const struct file *tf;
	size_t i;

	if (r.kind != R_FUNC || c->frames >= 3)
		return;
	tf = c->files[r.file];
	frame.fi = r.file;
	frame.fn = r.idx;
	frame.call = &e->args;
	frame.at = (struct argctx){ fi, e->fn, c->env };
	c->frames++;
	c->env = &frame;
	for (i = 0; i < tf->nevs && !c->oom; i++) {
		struct event *te = &tf->evs[i];

		if (te->fn == r.idx && event_parametric(c, r.file, te))
			run_with_loops(c, r.file, te);
	}
	c->env = saved;
	c->frames--;
}

/* ---- extensions that add routes of their own ---- */

/*
 * Where a name comes from when it is imported from outside the project:
 * module and attribute ("flask_bootstrap", "Bootstrap5"), following
 * "from .extensions import bootstrap" into local modules. Both owned.
 */
static bool import_origin(struct ctx *c, int fi, const char *dotted, uint32_t pos, int fn,
			  char **mod, char **name, int depth)
{
	const char *dot = strchr(dotted, '.'), *last = strrchr(dotted, '.');
	size_t len = dot ? (size_t)(dot - dotted) : strlen(dotted);
	const struct binding *b = lookup(c->files[fi], dotted, len, pos, fn, true);
	int mf;

	*mod = *name = NULL;
	if (!b || depth > MAX_DEPTH)
		return false;
	if (b->kind == B_FROM && !dot && b->a && b->b) {
		mf = find_module(c, b->a);
		if (mf >= 0)
			return import_origin(c, mf, b->b, UINT32_MAX, -1, mod, name, depth + 1);
		*mod = xstrdup(c, b->a);
		*name = xstrdup(c, b->b);
	} else if (b->kind == B_MOD && dot && b->a) {
		/* import a.b [as x]; x.c.Cls: module a.b.c */
		*mod = xasprintf(c, "%s%.*s", b->a, (int)(last - dot), dot);
		*name = xstrdup(c, last + 1);
	} else {
		return false;
	}
	return *mod && *name;
}

/* The call a name was bound to (ext = Ext(...)), in whichever local module: its callee. */
static const struct binding *call_binding(struct ctx *c, int *fi, const char *name, uint32_t pos, int fn,
					  int depth)
{
	const struct binding *b = lookup(c->files[*fi], name, strlen(name), pos, fn, true);
	int mf;

	if (!b || depth > MAX_DEPTH || strchr(name, '.'))
		return NULL;
	if (b->kind == B_CALL)
		return b;
	if (b->kind == B_FROM && b->a && b->b && (mf = find_module(c, b->a)) >= 0) {
		*fi = mf;
		return call_binding(c, fi, b->b, UINT32_MAX, -1, depth + 1);
	}
	return NULL;
}

/* The app's static URL path ("/static"), for the extensions that build on it. */
static char *static_path_of(struct ctx *c, const struct obj *app)
{
	const char *r = app->static_rule;
	const char *tail = r ? strstr(r, "/<path:filename>") : NULL;

	return tail ? xstrndup(c, r, (size_t)(tail - r)) : xstrdup(c, "/static");
}

/* Ext(app) or ext.init_app(app) of a known extension: the routes it adds to app. */
static void extension_routes(struct ctx *c, int fi, const struct event *e, const char *mod,
			     const char *cls, const struct arg *app_arg)
{
	const struct ext_entry *found[8];
	const char *roots[2] = { c->roots[0], c->nroots > 1 ? c->roots[1] : NULL };
	char version[128], *name = NULL, *sp;
	struct pyval dbg = { 0 };
	struct obj *app;
	size_t n, i, k;
	int ai;

	if (!app_arg)
		return;
	dotted_fwd(c, c->files[fi], app_arg->a, app_arg->b, &name);
	ai = name ? resolve_obj_env(c, fi, name, e->pos, e->fn, 0) : -1;
	free(name);
	if (ai < 0 || !c->objs[ai].is_app) {
		warn_at(c, fi, e->line, "%s.%s: its app is not found in the sources; the routes it adds are not known",
			mod, cls);
		return;
	}
	app = &c->objs[ai];
	n = routes_ext__find(mod, cls, roots, c->nroots, found, 8, version, sizeof(version));
	if (!n)
		return;
	if (!*version)
		warn_at(c, fi, e->line, "%s.%s: no installed version found; assuming the routes of every version warden knows",
			mod, cls);
	sp = static_path_of(c, app);
	for (i = 0; i < n && sp; i++) {
		if (found[i]->debug_only) {
			bool on = config_value(c, "DEBUG", &dbg, 0) && pyval__truthy(&dbg);

			pyval__clear(&dbg);
			if (!on)
				continue;
		}
		for (k = 0; k < 5 && found[i]->rules[k].rule; k++) {
			const char *t = found[i]->rules[k].rule, *ph = strstr(t, "{static}");
			struct proute r = { .strict = -1, .merge = -1, .auto_options = true, .file = fi,
					    .line = (int)e->line };
			struct entry *ent;

			r.defaults.kind = PV_NONE;
			r.rule = ph ? xasprintf(c, "%.*s%s%s", (int)(ph - t), t, sp, ph + 8) : xstrdup(c, t);
			r.endpoint = xstrdup(c, found[i]->rules[k].endpoint);
			r.strict = app->strict;
			ent = PUSH(c, app->ents, app->nents, app->cents);
			if (!ent || !r.rule) {
				free_proute(&r);
				continue;
			}
			ent->r = r;
		}
	}
	free(sp);
}

/* An extension being initialised by this call or init_app(); true when it is one. */
static bool do_extension(struct ctx *c, int fi, struct event *e)
{
	const struct file *f = c->files[fi];
	char *mod = NULL, *cls = NULL;
	int bfi = fi;
	bool known = false;

	if (e->kind == EV_CALL) {
		if (!import_origin(c, fi, e->recv, e->pos, e->fn, &mod, &cls, 0))
			goto out;
		known = routes_ext__known(mod, cls);
		if (known)
			extension_routes(c, fi, e, mod, cls, param(f, &e->args, 0, NULL));
	} else if (e->kind == EV_INIT && !strchr(e->recv, '.')) {
		const struct binding *b = call_binding(c, &bfi, e->recv, e->pos, e->fn, 0);

		if (!b || !b->a || !import_origin(c, bfi, b->a, b->pos, b->fn, &mod, &cls, 0))
			goto out;
		known = routes_ext__known(mod, cls);
		if (known)
			extension_routes(c, fi, e, mod, cls, param(f, &e->args, 0, "app"));
	}
out:
	free(mod);
	free(cls);
	return known;
}

/* api.init_app(app): where a Flask-RESTful Api puts its resources. */
static void do_init(struct ctx *c, int fi, struct event *e)
{
	const struct file *f = c->files[fi];
	int oi = resolve_obj_env(c, fi, e->recv, e->pos, e->fn, 0), t;
	const struct arg *x;
	char *name = NULL;
	size_t i;

	if (oi < 0 || !c->objs[oi].is_api || c->objs[oi].target >= 0 ||
	    !(x = param(f, &e->args, 0, "app")))
		return;
	dotted_fwd(c, f, x->a, x->b, &name);
	t = name ? resolve_obj_env(c, fi, name, e->pos, e->fn, 0) : -1;
	free(name);
	if (t < 0 || c->objs[t].is_api || c->objs[t].is_ns) {
		warn_at(c, fi, e->line, "%s.init_app(): the app or blueprint is not found in the sources; its resources are skipped",
			e->recv);
		return;
	}
	c->objs[oi].target = t;
	if (c->objs[oi].rest == REST_RESTX) {
		restx_init(c, oi, bool_opt(c, fi, e->fn, kwarg(f, &e->args, "add_specs"), e->line, "add_specs", 1) != 0);
		return;
	}
	/* The resources added so far go to it now. */
	for (i = 0; i < c->objs[oi].nents; i++) {
		struct entry *ent = PUSH(c, c->objs[t].ents, c->objs[t].nents, c->objs[t].cents);

		if (!ent) {
			free_proute(&c->objs[oi].ents[i].r);
			continue;
		}
		*ent = c->objs[oi].ents[i];
		if (c->objs[t].is_app && ent->r.strict < 0)
			ent->r.strict = c->objs[t].strict;
	}
	c->objs[oi].nents = 0;
}

static void run_event(struct ctx *c, int fi, struct event *e)
{
	/* An extension set up in a helper (register_extensions(app): bootstrap.init_app(app)). */
	if (c->env && (e->kind == EV_CALL || e->kind == EV_INIT) && do_extension(c, fi, e))
		return;
	switch (e->kind) {
	case EV_ROUTE:
		do_route(c, fi, e);
		break;
	case EV_REGISTER:
		do_register(c, fi, e);
		break;
	case EV_MAPSET:
		do_mapset(c, fi, e);
		break;
	case EV_CALL:
		do_call(c, fi, e);
		break;
	case EV_INIT:
		do_init(c, fi, e);
		break;
	default:
		break;
	}
}

/* An event at its place in the module: inside the loops it uses, unless a helper's call runs it. */
static void run_in_place(struct ctx *c, int fi, struct event *e)
{
	if (e->fn >= 0 && c->files[fi]->funcs[e->fn].ncallsites && event_parametric(c, fi, e))
		return;
	/* Extensions that add routes; otherwise only calls of the project's own functions matter. */
	if ((e->kind == EV_CALL || e->kind == EV_INIT) && do_extension(c, fi, e))
		return;
	if (e->kind == EV_CALL && resolve_dotted(c, fi, e->recv, e->pos, e->fn, 0).kind != R_FUNC)
		return;
	run_with_loops(c, fi, e);
}

/* How often each function is called where the call can be followed (helpers run there). */
static void count_callsites(struct ctx *c)
{
	size_t i, j;

	for (i = 0; i < c->nfiles; i++) {
		for (j = 0; j < c->files[i]->nevs; j++) {
			const struct event *e = &c->files[i]->evs[j];
			struct ref r;

			if (e->kind != EV_CALL)
				continue;
			r = resolve_dotted(c, i, e->recv, e->pos, e->fn, 0);
			if (r.kind == R_FUNC)
				c->files[r.file]->funcs[r.idx].ncallsites++;
		}
	}
}

/* Run a file's events as Python would run the module: imports run first. */
static void run_file(struct ctx *c, int fi)
{
	size_t i;

	if (c->files[fi]->state)
		return;
	c->files[fi]->state = 1;
	for (i = 0; i < c->files[fi]->nevs && !c->oom; i++) {
		struct event *e = &c->files[fi]->evs[i];

		switch (e->kind) {
		case EV_IMPORT:
			if (e->target >= 0)
				run_file(c, e->target);
			break;
		case EV_NEWAPP:
			if (!c->objs[e->target].app_seq)
				c->objs[e->target].app_seq = ++c->app_seq;
			break;
		case EV_NEWAPI:
			do_new_api(c, fi, e);
			break;
		case EV_ROUTE:
		case EV_REGISTER:
		case EV_MAPSET:
		case EV_CALL:
		case EV_INIT:
			run_in_place(c, fi, e);
			break;
		}
	}
	c->files[fi]->state = 2;
}

/* ------------------------------------------------------------------ */
/* Output: what Flask's add_url_rule hands to Werkzeug */

struct bpstate {
	const struct obj *app;
	struct pyval url_prefix; /* borrowed */
	char *name;              /* full dotted name */
	struct pyval url_defaults;
	bool other_host;
	bool strict;
	bool raw;                /* a flask-restx Api took over add_url_rule: the prefix goes on as is */
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Append a decl (takes nothing: copies what it needs). */
static void emit(struct ctx *c, const struct proute *r, const char *rule, const char *endpoint,
		 const struct pyval *defaults, bool strict, bool other_host)
{
	struct route_decl *d;
	size_t i;
	bool get = false;

	if (rule[0] != '/') {
		warn_at(c, r->file, r->line, "rule '%s' does not start with '/' (Werkzeug refuses it); skipped", rule);
		return;
	}
	d = PUSH(c, c->out->v, c->out->n, c->cout);
	if (!d)
		return;
	d->rule = xstrdup(c, rule);
	d->endpoint = xstrdup(c, endpoint);
	d->file = xstrdup(c, c->files[r->file]->path);
	d->line = r->line;
	if (r->nmethods) {
		for (i = 0; i < r->nmethods; i++)
			add_method(c, &d->methods, &d->nmethods, r->methods[i], strlen(r->methods[i]));
	} else {
		add_method(c, &d->methods, &d->nmethods, "GET", 3);
	}
	for (i = 0; i < d->nmethods; i++)
		get |= !strcmp(d->methods[i], "GET");
	if (r->auto_options)
		add_method(c, &d->methods, &d->nmethods, "OPTIONS", 7);
	if (get)
		add_method(c, &d->methods, &d->nmethods, "HEAD", 4);
	if (d->methods)
		qsort(d->methods, d->nmethods, sizeof(*d->methods), cmp_str);
	if (defaults && defaults->kind == PV_DICT && defaults->n) {
		if (pyval__copy(&d->defaults, defaults))
			c->oom = true;
	} else {
		d->defaults.kind = PV_NONE;
	}
	d->strict_slashes = r->strict >= 0 ? r->strict : strict;
	d->merge_slashes = r->merge != 0;
	d->build_only = r->build_only;
	d->redirects = r->redirects;
	d->alias = r->alias;
	d->other_host = r->other_host || other_host;
}

/* dict(a, **b) of two PV_DICT/PV_NONE values, into out. */
static void merge_dicts(struct ctx *c, const struct pyval *a, const struct pyval *b, struct pyval *out)
{
	size_t i, j;

	memset(out, 0, sizeof(*out));
	out->kind = PV_DICT;
	out->items = calloc(2 * ((a->kind == PV_DICT ? a->n : 0) + (b->kind == PV_DICT ? b->n : 0)) + 2,
			    sizeof(*out->items));
	if (!out->items) {
		c->oom = true;
		return;
	}
	for (i = 0; a->kind == PV_DICT && i < a->n; i++) {
		if (pyval__copy(&out->items[2 * out->n], &a->items[2 * i]) ||
		    pyval__copy(&out->items[2 * out->n + 1], &a->items[2 * i + 1]))
			c->oom = true;
		out->n++;
	}
	for (i = 0; b->kind == PV_DICT && i < b->n; i++) {
		for (j = 0; j < out->n && !pyval__equal(&out->items[2 * j], &b->items[2 * i]); j++)
			;
		if (j == out->n) {
			if (pyval__copy(&out->items[2 * j], &b->items[2 * i]))
				c->oom = true;
			out->n++;
		}
		pyval__clear(&out->items[2 * j + 1]);
		if (pyval__copy(&out->items[2 * j + 1], &b->items[2 * i + 1]))
			c->oom = true;
	}
}

/* BlueprintSetupState.add_url_rule: prefix the rule and the endpoint, merge defaults. */
static void bp_add(struct ctx *c, const struct bpstate *st, const struct proute *r)
{
	const char *rule = r->rule;
	char *full = NULL, *ep = NULL;
	struct pyval defaults;

	if ((r->raw || st->raw) && st->url_prefix.kind == PV_STR) {
		full = xasprintf(c, "%s%s", st->url_prefix.s, rule);
		if (!full)
			return;
		rule = full;
	} else if (st->url_prefix.kind == PV_STR) {
		if (*rule) {
			size_t pl = st->url_prefix.slen;

			while (pl && st->url_prefix.s[pl - 1] == '/')
				pl--;
			while (*rule == '/')
				rule++;
			full = xasprintf(c, "%.*s/%s", (int)pl, st->url_prefix.s, rule);
		} else {
			full = xstrdup(c, st->url_prefix.s);
		}
		if (!full)
			return;
		rule = full;
	}
	if (r->endpoint)
		ep = xasprintf(c, "%s.%s", st->name, r->endpoint);
	merge_dicts(c, &st->url_defaults, &r->defaults, &defaults);
	emit(c, r, rule, ep, &defaults, st->strict, st->other_host);
	pyval__clear(&defaults);
	free(ep);
	free(full);
}

/* flask-restx's apidoc blueprint: its static files, registered once on the app. */
static void apidoc_rules(struct ctx *c, const struct obj *app, const struct entry *ent, bool strict)
{
	char ep[64];

	if (c->apidoc_done)
		return;
	c->apidoc_done = true;
	snprintf(ep, sizeof(ep), "%s.static", ent->apidoc);
	emit(c, &ent->r, "/swaggerui/<path:filename>", ep, NULL, strict, app->host_matching);
}

/* Blueprint.register(): static route, deferred routes, then nested blueprints. */
static void bp_register(struct ctx *c, const struct obj *app, const struct reg *g, const struct pyval *url_prefix,
			const char *name_prefix, int depth)
{
	struct obj *bp = &c->objs[g->bp];
	struct bpstate st = { .app = app, .strict = g->strict };
	const char *name = g->name ? g->name : bp->name ? bp->name : "?";
	size_t i;

	if (depth > MAX_DEPTH) {
		warn_at(c, g->file, g->line, "blueprints nested too deep; stopped");
		return;
	}
	bp->registered = true;
	st.url_prefix = url_prefix->kind == PV_STR ? *url_prefix : bp->url_prefix;
	st.name = *name_prefix ? xasprintf(c, "%s.%s", name_prefix, name) : xstrdup(c, name);
	if (!st.name)
		return;
	merge_dicts(c, &bp->url_defaults, &g->url_defaults, &st.url_defaults);
	st.other_host = g->other_host || bp->other_host;
	if (bp->static_rule) {
		struct proute sr = { .rule = bp->static_rule, .endpoint = "static", .auto_options = true,
				     .strict = -1, .merge = -1, .file = bp->file, .line = bp->line };

		sr.defaults.kind = PV_NONE;
		bp_add(c, &st, &sr);
	}
	for (i = 0; i < bp->nents; i++) {
		if (bp->ents[i].apidoc) {
			st.raw = true;
			apidoc_rules(c, app, &bp->ents[i], st.strict);
		} else if (!bp->ents[i].is_reg) {
			bp_add(c, &st, &bp->ents[i].r);
		}
	}
	for (i = 0; i < bp->nents; i++) {
		struct reg child;
		struct pyval prefix = { .kind = PV_NONE }, own;

		if (!bp->ents[i].is_reg)
			continue;
		child = bp->ents[i].g;
		child.strict = g->strict;
		own = child.url_prefix.kind == PV_STR ? child.url_prefix : c->objs[child.bp].url_prefix;
		if (st.url_prefix.kind == PV_STR && own.kind == PV_STR) {
			size_t pl = st.url_prefix.slen;
			const char *o = own.s;

			while (pl && st.url_prefix.s[pl - 1] == '/')
				pl--;
			while (*o == '/')
				o++;
			prefix.s = xasprintf(c, "%.*s/%s", (int)pl, st.url_prefix.s, o);
		} else if (own.kind == PV_STR) {
			prefix.s = xstrdup(c, own.s);
		} else if (st.url_prefix.kind == PV_STR) {
			prefix.s = xstrdup(c, st.url_prefix.s);
		}
		if (prefix.s) {
			prefix.kind = PV_STR;
			prefix.slen = strlen(prefix.s);
		}
		bp_register(c, app, &child, &prefix, st.name, depth + 1);
		pyval__clear(&prefix);
	}
	pyval__clear(&st.url_defaults);
	free(st.name);
}

static void flatten_app(struct ctx *c, const struct obj *app)
{
	size_t i;

	c->apidoc_done = false;
	if (app->static_rule) {
		struct proute sr = { .rule = app->static_rule, .endpoint = "static", .auto_options = true,
				     .strict = 1, .merge = -1, .file = app->file, .line = app->line };

		sr.defaults.kind = PV_NONE;
		emit(c, &sr, sr.rule, "static", NULL, true, app->host_matching);
	}
	for (i = 0; i < app->nents; i++) {
		const struct entry *ent = &app->ents[i];

		if (ent->is_reg)
			bp_register(c, app, &ent->g, &ent->g.url_prefix, "", 0);
		else if (ent->apidoc)
			apidoc_rules(c, app, ent, ent->r.strict != 0);
		else
			emit(c, &ent->r, ent->r.rule, ent->r.endpoint, &ent->r.defaults, true,
			     app->host_matching);
	}
}

/* ------------------------------------------------------------------ */
/* Entry points */

static void free_ctx(struct ctx *c)
{
	size_t i, j, k;

	for (i = 0; i < c->nfiles; i++) {
		struct file *f = c->files[i];

		for (j = 0; j < f->nbinds; j++) {
			free(f->binds[j].name);
			free(f->binds[j].a);
			free(f->binds[j].b);
		}
		for (j = 0; j < f->nfuncs; j++) {
			free(f->funcs[j].name);
			free_strv(f->funcs[j].params, f->funcs[j].nparams);
			free(f->funcs[j].defaults);
		}
		for (j = 0; j < f->nclasses; j++) {
			free(f->classes[j].name);
			free_strv(f->classes[j].bases, f->classes[j].nbases);
		}
		for (j = 0; j < f->nevs; j++) {
			free(f->evs[j].recv);
			free(f->evs[j].view);
		}
		free_strv(f->stars, f->nstars);
		free(f->binds);
		free(f->funcs);
		free(f->classes);
		free(f->evs);
		pyscan__free(&f->toks);
		free(f->path);
		free(f->mod);
		free(f->src);
		free(f);
	}
	free(c->files);
	for (i = 0; i < c->nobjs; i++) {
		struct obj *o = &c->objs[i];

		for (k = 0; k < o->nents; k++) {
			if (o->ents[k].is_reg)
				free_reg(&o->ents[k].g);
			else
				free_proute(&o->ents[k].r);
		}
		free(o->ents);
		for (k = 0; k < o->nres; k++)
			free_nsres(&o->res[k]);
		free(o->res);
		for (k = 0; k < o->nattach; k++)
			free(o->attach[k].path);
		free_strv(o->endpoints, o->nendpoints);
		free(o->factory);
		free(o->doc);
		free(o->swagger);
		free(o->ns_path);
		free(o->static_rule);
		free(o->name);
		pyval__clear(&o->url_prefix);
		pyval__clear(&o->url_defaults);
		pyval__clear(&o->prefix);
	}
	free(c->objs);
	for (i = 0; i < c->ncfgs; i++)
		free(c->cfgs[i].key);
	free(c->cfgs);
	routes_extract__free(&c->notes);
	for (i = 0; i < c->nroots; i++)
		free(c->roots[i]);
}

void routes_extract__free(struct route_decls *d)
{
	size_t i;

	if (!d)
		return;
	for (i = 0; i < d->n; i++) {
		free(d->v[i].rule);
		free(d->v[i].endpoint);
		free_strv(d->v[i].methods, d->v[i].nmethods);
		pyval__clear(&d->v[i].defaults);
		free(d->v[i].file);
	}
	free(d->v);
	d->v = NULL;
	d->n = 0;
	for (i = 0; i < d->nnotes; i++)
		free(d->notes[i]);
	free(d->notes);
	d->notes = NULL;
	d->nnotes = 0;
}

static bool file_creates_app(const struct ctx *c, int fi)
{
	size_t i;

	for (i = 0; i < c->nobjs; i++)
		if (c->objs[i].file == fi && c->objs[i].is_app)
			return true;
	return false;
}

/* Pass 2 and output, once every file of interest is scanned. */
static int finish(struct ctx *c, int entry, struct route_decls *out, char *err, size_t errlen)
{
	size_t i, seq;

	c->out = out;
	/* Everything is scanned: from here on no file may load (objects stay put). */
	c->follow_imports = false;
	c->closed = true;
	for (i = 0; i < c->nobjs && !c->oom; i++)
		eval_obj(c, &c->objs[i]);
	count_callsites(c);
	if (entry >= 0)
		run_file(c, entry);
	/* A folder: files that create an app run first, the rest after. */
	for (i = 0; i < c->nfiles && !c->oom; i++)
		if (file_creates_app(c, i))
			run_file(c, i);
	for (i = 0; i < c->nfiles && !c->oom; i++)
		run_file(c, i);
	for (seq = 1; seq <= (size_t)c->app_seq && !c->oom; seq++)
		for (i = 0; i < c->nobjs; i++)
			if (c->objs[i].is_app && c->objs[i].app_seq == (int)seq)
				flatten_app(c, &c->objs[i]);
	for (i = 0; i < c->nobjs; i++) {
		const struct obj *o = &c->objs[i];
		size_t k, n = 0;

		for (k = 0; !o->is_app && k < o->nents; k++)
			n += !o->ents[k].is_reg && !o->ents[k].apidoc;
		if (o->is_ns && o->nres && !o->nattach)
			warn_at(c, o->file, o->line, "Namespace '%s' has %zu resource(s) but no Api adds it: they are not served",
				o->name, o->nres);
		if (n && o->is_api)
			warn_at(c, o->file, o->line, "Flask-RESTful Api with %zu resource route(s) but no app found for it (Api(app) or api.init_app(app)): skipped", n);
		else if (n && !o->registered)
			warn_at(c, o->file, o->line, "blueprint '%s' has %zu route(s) but no app registers it: they are not served",
				o->name ? o->name : "?", n);
	}
	out->notes = c->notes.notes;
	out->nnotes = c->notes.nnotes;
	c->notes.notes = NULL;
	c->notes.nnotes = 0;
	if (c->oom) {
		routes_extract__free(out);
		set_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

/* Folders that hold no application code. */
static bool skip_dir(const char *parent, const char *name)
{
	char path[4096];

	if (name[0] == '.' || !strcmp(name, "__pycache__") || !strcmp(name, "node_modules") ||
	    !strcmp(name, "site-packages") || !strcmp(name, "dist-packages"))
		return true;
	snprintf(path, sizeof(path), "%s/%s/pyvenv.cfg", parent, name);
	return is_file(path);
}

static int walk_dir(struct ctx *c, const char *dir, int depth)
{
	struct dirent **ents;
	char path[4096];
	int n, i, err = 0;

	if (depth > MAX_DIR_DEPTH)
		return 0;
	n = scandir(dir, &ents, NULL, alphasort);
	if (n < 0)
		return depth ? 0 : -errno;
	for (i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		size_t l = strlen(name);
		int w = snprintf(path, sizeof(path), "%s/%s", dir, name);

		if (w < 0 || (size_t)w >= sizeof(path) || !strcmp(name, ".") || !strcmp(name, ".."))
			continue;
		if (is_dir(path)) {
			if (!skip_dir(dir, name))
				walk_dir(c, path, depth + 1);
		} else if (l > 3 && !strcmp(name + l - 3, ".py") && is_file(path)) {
			load_file(c, path, NULL, 0);
		}
	}
	for (i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	return err;
}

/* The folder Python would have on sys.path for code in dir: up past every package. */
static char *package_root(struct ctx *c, const char *dir)
{
	char *root = xstrdup(c, dir), path[4096], *slash;

	while (root) {
		snprintf(path, sizeof(path), "%s/__init__.py", root);
		if (!is_file(path))
			break;
		slash = strrchr(root, '/');
		if (!slash) {
			bool dot = !strcmp(root, ".");

			free(root);
			return xstrdup(c, dot ? ".." : ".");
		}
		if (slash == root) {
			root[1] = '\0';
			break;
		}
		*slash = '\0';
	}
	return root;
}

int routes_extract__path(const char *file_or_dir, struct route_decls *out, char *err, size_t errlen)
{
	struct ctx c = { .follow_imports = true };
	char *path, *dir, *slash;
	int entry = -1, rc;
	size_t l;

	out->v = NULL;
	out->notes = NULL;
	out->nnotes = 0;
	out->n = 0;
	path = xstrdup(&c, file_or_dir);
	if (!path) {
		set_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	/* "pkg/" and "pkg" are the same folder; "./app.py" the same file as "app.py". */
	for (l = strlen(path); l > 1 && path[l - 1] == '/'; l--)
		path[l - 1] = '\0';
	if (is_dir(path)) {
		dir = path;
		c.roots[c.nroots++] = package_root(&c, dir);
		if (c.roots[0] && strcmp(c.roots[0], dir))
			c.roots[c.nroots++] = xstrdup(&c, dir);
		rc = walk_dir(&c, dir, 0);
		if (rc) {
			set_err(err, errlen, "%s: %s", file_or_dir, strerror(-rc));
			free(path);
			free_ctx(&c);
			return rc;
		}
	} else {
		if (access(path, R_OK)) {
			rc = -errno;
			set_err(err, errlen, "%s: %s", file_or_dir, strerror(errno));
			free(path);
			return rc;
		}
		if (!is_file(path)) {
			set_err(err, errlen, "%s: not a regular file or folder", file_or_dir);
			free(path);
			return -EINVAL;
		}
		slash = strrchr(path, '/');
		dir = slash ? xstrndup(&c, path, slash == path ? 1 : (size_t)(slash - path)) : xstrdup(&c, ".");
		if (dir) {
			c.roots[c.nroots++] = package_root(&c, dir);
			if (c.roots[0] && strcmp(c.roots[0], dir))
				c.roots[c.nroots++] = xstrdup(&c, dir);
		}
		free(dir);
		entry = load_file(&c, path, NULL, 0);
		if (entry < 0 && !c.oom) {
			set_err(err, errlen, "%s: cannot read", file_or_dir);
			free(path);
			free_ctx(&c);
			return -EIO;
		}
	}
	free(path);
	rc = finish(&c, entry, out, err, errlen);
	free_ctx(&c);
	return rc;
}

int routes_extract__source(const char *name, const char *src, size_t len,
			   struct route_decls *out, char *err, size_t errlen)
{
	struct ctx c = { .follow_imports = false };
	int entry, rc;

	out->v = NULL;
	out->notes = NULL;
	out->nnotes = 0;
	out->n = 0;
	entry = load_file(&c, name, src, len);
	if (entry < 0) {
		set_err(err, errlen, "%s: %s", name, c.oom ? "out of memory" : "cannot scan");
		free_ctx(&c);
		return c.oom ? -ENOMEM : -EINVAL;
	}
	rc = finish(&c, entry, out, err, errlen);
	free_ctx(&c);
	return rc;
}
