// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* test_routes.c - the Python scanner, route extraction from Flask sources, Werkzeug-like matching. */
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pyscan.h"
#include "routes.h"
#include "routes_ext.h"
#include "testutil.h"

/* ------------------------------------------------------------------ */
/* Helpers */

static struct routes *load(const char *src)
{
	char err[256] = "";
	struct routes *r = routes__load_source("test.py", src, strlen(src), err, sizeof(err));

	if (!r)
		printf("  load failed: %s\n", err);
	return r;
}

static enum route_verdict match(const struct routes *r, const char *method, const char *path)
{
	return routes__match(r, method, path, strlen(path), NULL);
}

/* Verdict and deciding rule ("-" for none) as one string: "match /x". */
static const char *decide(const struct routes *r, const char *method, const char *path)
{
	static char buf[512];
	const char *rule;
	enum route_verdict v = routes__match(r, method, path, strlen(path), &rule);

	snprintf(buf, sizeof(buf), "%s %s", route_verdict__name(v), rule ? rule : "-");
	return buf;
}

/* Whether the rule list holds rule with exactly these methods. */
static bool has_rule(const struct routes *r, const char *rule, const char *methods)
{
	char m[256];
	const char *text;
	size_t i;

	for (i = 0; i < routes__count(r); i++) {
		if (routes__rule(r, i, &text, m, sizeof(m)))
			return false;
		if (!strcmp(text, rule) && (!methods || !strcmp(m, methods)))
			return true;
	}
	return false;
}

static const char *rule_at(const struct routes *r, size_t i)
{
	const char *text = NULL;

	routes__rule(r, i, &text, NULL, 0);
	return text;
}

static int rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void rm_tree(const char *dir)
{
	nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static bool write_file(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX], *slash;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	for (slash = strchr(path + strlen(dir) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
	}
	f = fopen(path, "w");
	if (!f)
		return false;
	fputs(text, f);
	return !fclose(f);
}

/* ------------------------------------------------------------------ */
/* The tokenizer */

static int count_type(const char *src, const struct py_tokens *t, enum py_tok type, const char *text)
{
	size_t i;
	int n = 0;

	for (i = 0; i < t->n; i++)
		n += pyscan__is(src, &t->v[i], type, text);
	return n;
}

/* The decoded value of the k-th string token of src ("" on error, "<EINVAL>" for a non-constant). */
static const char *string_k(const char *src, int k)
{
	static char out[256];
	struct py_tokens t;
	size_t i;
	int seen = 0;

	snprintf(out, sizeof(out), "<none>");
	if (pyscan__tokenize(src, strlen(src), &t))
		return "<tokenize failed>";
	for (i = 0; i < t.n; i++) {
		char *v;
		size_t n;
		int err;

		if (t.v[i].type != PY_STRING || seen++ != k)
			continue;
		err = pyscan__string_value(src, &t.v[i], &v, &n);
		if (err) {
			snprintf(out, sizeof(out), "<%s>", err == -EINVAL ? "EINVAL" : "error");
		} else {
			snprintf(out, sizeof(out), "%s", v);
			free(v);
		}
		break;
	}
	pyscan__free(&t);
	return out;
}

static void test_tokenizer_strings(void)
{
	ASSERT_STREQ(string_k("x = 'a\"b'", 0), "a\"b", "single quotes");
	ASSERT_STREQ(string_k("x = \"it's\"", 0), "it's", "double quotes");
	ASSERT_STREQ(string_k("x = '''a\n'b'\n\"\"c'''", 0), "a\n'b'\n\"\"c", "triple single");
	ASSERT_STREQ(string_k("x = \"\"\"@app.route('/x')\"\"\"", 0), "@app.route('/x')", "triple double");
	ASSERT_STREQ(string_k("x = 'a\\nb\\x41\\101\\u00e9\\U0001F600\\q'", 0), "a\nbAA\xc3\xa9\xf0\x9f\x98\x80\\q",
		     "escapes");
	ASSERT_STREQ(string_k("x = 'a\\\nb'", 0), "ab", "backslash-newline in a string");
	ASSERT_STREQ(string_k("x = r'a\\'b\\n'", 0), "a\\'b\\n", "raw keeps backslashes");
	ASSERT_STREQ(string_k("x = R\"\\\\\"", 0), "\\\\", "raw double backslash");
	ASSERT_STREQ(string_k("x = u'u'", 0), "u", "u prefix");
	ASSERT_STREQ(string_k("x = f'/a{{b}}'", 0), "/a{b}", "f-string without placeholders");
	ASSERT_STREQ(string_k("x = f'/a/{b}'", 0), "<EINVAL>", "f-string with a placeholder");
	ASSERT_STREQ(string_k("x = rf'/a/{b}'", 0), "<EINVAL>", "rf-string");
	ASSERT_STREQ(string_k("x = b'/a'", 0), "<EINVAL>", "bytes are no text");
	ASSERT_STREQ(string_k("x = Rb'/a'", 0), "<EINVAL>", "raw bytes");
	ASSERT_STREQ(string_k("x = '\\N{BULLET}'", 0), "<EINVAL>", "named escapes");
	ASSERT_STREQ(string_k("x = '\\x4'", 0), "<EINVAL>", "short \\x");
	ASSERT_STREQ(string_k("x = 'a\r\nb'", 0), "<none>", "CR LF ends a single-quoted string");
	ASSERT_STREQ(string_k("x = '''a\r\nb'''", 0), "a\nb", "CR LF in triple quotes reads as LF");
	ASSERT_STREQ(string_k("x = 'a#b' # 'c'", 0), "a#b", "# inside a string");
	ASSERT_STREQ(string_k("x = 'a' # it's a \"comment\"\ny = 'b'", 1), "b", "quotes in a comment");
	ASSERT_STREQ(string_k("\xef\xbb\xbfx = 'bom'", 0), "bom", "byte order mark");
}

static void test_tokenizer_structure(void)
{
	const char *src =
		"def f(a,\n"
		"      b):  # (not closed in a comment\n"
		"    x = [1,\n"
		"         {2: (3,\n"
		"              4)}]\n"
		"    y = 1 + \\\n"
		"        2\n"
		"\n"
		"    # only a comment\n"
		"    return x ** y -> z := ...\n"
		"bad = 'unterminated\n"
		"good = 'fine'\n";
	struct py_tokens t;
	size_t i;
	int lines = 0;

	if (!ASSERT_OK(pyscan__tokenize(src, strlen(src), &t), "tokenize"))
		return;
	ASSERT_EQ(count_type(src, &t, PY_NEWLINE, NULL), 6, "logical lines");
	ASSERT_EQ(count_type(src, &t, PY_OP, "**"), 1, "two-character operator");
	ASSERT_EQ(count_type(src, &t, PY_OP, "->"), 1, "arrow");
	ASSERT_EQ(count_type(src, &t, PY_OP, ":="), 1, "walrus");
	ASSERT_EQ(count_type(src, &t, PY_OP, "..."), 1, "ellipsis");
	ASSERT_EQ(count_type(src, &t, PY_ERROR, NULL), 1, "unterminated string");
	ASSERT_EQ(count_type(src, &t, PY_STRING, NULL), 1, "the next string still scans");
	ASSERT_EQ(count_type(src, &t, PY_NAME, "not"), 0, "comment dropped");
	for (i = 0; i < t.n; i++) {
		if (!t.v[i].line_start)
			continue;
		lines++;
		if (pyscan__is(src, &t.v[i], PY_NAME, "x") || pyscan__is(src, &t.v[i], PY_NAME, "y") ||
		    pyscan__is(src, &t.v[i], PY_NAME, "return"))
			ASSERT_EQ(t.v[i].indent, 4, "body indentation");
		if (pyscan__is(src, &t.v[i], PY_NAME, "good")) {
			ASSERT_EQ(t.v[i].indent, 0, "top-level indentation");
			ASSERT_EQ(t.v[i].line, 12, "line numbers across continuations");
		}
	}
	ASSERT_EQ(lines, 6, "line starts");
	pyscan__free(&t);
	ASSERT_OK(pyscan__tokenize("", 0, &t), "empty source");
	ASSERT_EQ(t.n, 0, "no tokens");
	pyscan__free(&t);
}

/* ------------------------------------------------------------------ */
/* Extraction */

static void test_not_routes(void)
{
	struct routes *r = load(
		"\"\"\"Module docstring: @app.route('/doc1')\n"
		"@app.route(\"/doc2\")\n"
		"def doc(): pass\n"
		"\"\"\"\n"
		"from flask import Flask\n"
		"app = Flask(__name__, static_folder=None)\n"
		"# @app.route('/comment')\n"
		"s = '@app.route(\"/string\")'\n"
		"t = f'''\n"
		"@app.route(\"/fstring\")\n"
		"def x(): pass\n"
		"'''\n"
		"u = r\"@app.route('/raw')\" \\\n"
		"    '@app.route(\"/continued\")'\n"
		"@app.route('/real')  # @app.route('/in-comment')\n"
		"def real():\n"
		"    '''@app.route(\"/docstring\")'''\n"
		"    return '@app.route(\"/return\")'\n");

	if (!ASSERT_NOT_NULL(r, "load"))
		return;
	ASSERT_EQ(routes__count(r), 1, "only the real route");
	ASSERT_STREQ(rule_at(r, 0), "/real", "it is /real");
	routes__free(r);
}

static void test_decorator_forms(void)
{
	struct routes *r = load(
		"from flask import Flask\n"
		"PREFIX = '/const'\n"
		"METHODS = ['GET', 'PUT']\n"
		"app = Flask(__name__)\n"
		"@app.route('/')\n"
		"def index(): pass\n"
		"@app.get('/g')\n"
		"def g(): pass\n"
		"@app.post('/p')\n"
		"def p(): pass\n"
		"@app.put('/u')\n"
		"def u(): pass\n"
		"@app.patch('/pa')\n"
		"def pa(): pass\n"
		"@app.delete('/d')\n"
		"def d(): pass\n"
		"@app.route('/list', methods=['get', 'POST'])\n"
		"def lst(): pass\n"
		"@app.route('/tuple', methods=('PUT',))\n"
		"def tpl(): pass\n"
		"@app.route('/set', methods={'DELETE'})\n"
		"def st(): pass\n"
		"@app.route(\n"
		"    # a comment in the arguments\n"
		"    '/multi'  # and after\n"
		"    '/line',\n"
		"    methods=[\n"
		"        'GET',\n"
		"        'POST',  # trailing comma\n"
		"    ],\n"
		"    defaults={'a': [1, (2, {'b': 3})]},\n"
		")\n"
		"def multi(a): pass\n"
		"@app.route(PREFIX + '/sum')\n"
		"@app.route(PREFIX)\n"
		"def const(): pass\n"
		"@app.route('/vm', methods=METHODS)\n"
		"def vm(): pass\n"
		"@app.route('/noopt', provide_automatic_options=False)\n"
		"def noopt(): pass\n"
		"@app.route('/optexplicit', methods=['GET', 'OPTIONS'])\n"
		"def optexplicit(): pass\n"
		"@app.route('/custom', methods=['PURGE'])\n"
		"def custom(): pass\n"
		"def plain(): pass\n"
		"app.add_url_rule('/add', 'add', plain)\n"
		"app.add_url_rule('/add2', view_func=plain, methods=['POST'])\n"
		"app.route('/callform')(plain)\n"
		"if True: app.add_url_rule('/inline', 'inline', plain); app.add_url_rule('/semi', 'semi', plain)\n"
		"async def later(): pass\n"
		"@app.route('/async')\n"
		"async def asyncview(): pass\n");

	if (!ASSERT_NOT_NULL(r, "load"))
		return;
	ASSERT_TRUE(has_rule(r, "/static/<path:filename>", "GET,HEAD,OPTIONS"), "implicit static route");
	ASSERT_TRUE(has_rule(r, "/", "GET,HEAD,OPTIONS"), "route");
	ASSERT_TRUE(has_rule(r, "/g", "GET,HEAD,OPTIONS"), "get");
	ASSERT_TRUE(has_rule(r, "/p", "OPTIONS,POST"), "post");
	ASSERT_TRUE(has_rule(r, "/u", "OPTIONS,PUT"), "put");
	ASSERT_TRUE(has_rule(r, "/pa", "OPTIONS,PATCH"), "patch");
	ASSERT_TRUE(has_rule(r, "/d", "DELETE,OPTIONS"), "delete");
	ASSERT_TRUE(has_rule(r, "/list", "GET,HEAD,OPTIONS,POST"), "methods list, upper-cased");
	ASSERT_TRUE(has_rule(r, "/tuple", "OPTIONS,PUT"), "methods tuple");
	ASSERT_TRUE(has_rule(r, "/set", "DELETE,OPTIONS"), "methods set");
	ASSERT_TRUE(has_rule(r, "/multi/line", "GET,HEAD,OPTIONS,POST"), "multi-line arguments");
	ASSERT_TRUE(has_rule(r, "/const/sum", NULL), "constant + literal");
	ASSERT_TRUE(has_rule(r, "/const", NULL), "constant");
	ASSERT_TRUE(has_rule(r, "/vm", "GET,HEAD,OPTIONS,PUT"), "methods from a constant");
	ASSERT_TRUE(has_rule(r, "/noopt", "GET,HEAD"), "provide_automatic_options=False");
	ASSERT_TRUE(has_rule(r, "/optexplicit", "GET,HEAD,OPTIONS"), "explicit OPTIONS");
	ASSERT_TRUE(has_rule(r, "/custom", "OPTIONS,PURGE"), "custom method");
	ASSERT_TRUE(has_rule(r, "/add", "GET,HEAD,OPTIONS"), "add_url_rule positional");
	ASSERT_TRUE(has_rule(r, "/add2", "OPTIONS,POST"), "add_url_rule keywords");
	ASSERT_TRUE(has_rule(r, "/callform", NULL), "app.route(...)(view)");
	ASSERT_TRUE(has_rule(r, "/inline", NULL), "after if:");
	ASSERT_TRUE(has_rule(r, "/semi", NULL), "after ;");
	ASSERT_TRUE(has_rule(r, "/async", NULL), "async def");
	ASSERT_EQ(routes__count(r), 23, "nothing else");
	/* Several decorators register bottom-up, and iter_rules groups an endpoint's rules. */
	ASSERT_STREQ(rule_at(r, 11), "/const", "decorator nearest the def first");
	ASSERT_STREQ(rule_at(r, 12), "/const/sum", "then the one above");
	routes__free(r);
}

static void test_skipped_with_warning(void)
{
	struct routes *r = load(
		"from flask import Flask\n"
		"import os\n"
		"app = Flask(__name__, static_folder=None)\n"
		"@app.route(f'/v/{os.getpid()}')\n"
		"def dyn(): pass\n"
		"@app.route('/a' + os.sep)\n"
		"def dyn2(): pass\n"
		"@app.route('/s', methods='GET')\n"
		"def s(): pass\n"
		"@app.get('/m', methods=['POST'])\n"
		"def m(): pass\n"
		"@api.route('/restx')\n"
		"def restx(): pass\n"
		"@app.route('relative')\n"
		"def rel(): pass\n"
		"@app.route('/bad/<int:x')\n"
		"def bad(): pass\n"
		"@app.route('/unknown-kw', colour='red')\n"
		"def unknown_kw(): pass\n"
		"@app.route('/kept')\n"
		"def kept(): pass\n");

	if (!ASSERT_NOT_NULL(r, "load"))
		return;
	ASSERT_EQ(routes__count(r), 1, "only the constant, valid rule");
	ASSERT_STREQ(rule_at(r, 0), "/kept", "kept");
	routes__free(r);
}

static void test_apps_and_blueprints(void)
{
	struct routes *r = load(
		"import flask\n"
		"from flask import Blueprint as BP\n"
		"app = flask.Flask(__name__, static_url_path='/assets/', static_folder='public')\n"
		"bp = BP('shop', __name__, url_prefix='/shop')\n"
		"over = BP('over', __name__, url_prefix='/nope')\n"
		"child = BP('child', __name__, url_prefix='/child')\n"
		"files = BP('files', __name__, static_folder='files/static/')\n"
		"unused = BP('unused', __name__)\n"
		"@bp.route('/')\n"
		"def home(): pass\n"
		"@bp.route('')\n"
		"def bare(): pass\n"
		"@over.route('/x')\n"
		"def x(): pass\n"
		"@child.get('/c')\n"
		"def c(): pass\n"
		"@unused.route('/never')\n"
		"def never(): pass\n"
		"bp.register_blueprint(child)\n"
		"app.register_blueprint(bp)\n"
		"app.register_blueprint(over, url_prefix='/yes/')\n"
		"app.register_blueprint(over, url_prefix='/again', name='again')\n"
		"app.register_blueprint(files)\n");

	if (!ASSERT_NOT_NULL(r, "load"))
		return;
	ASSERT_TRUE(has_rule(r, "/assets/<path:filename>", NULL), "custom static url path");
	ASSERT_TRUE(has_rule(r, "/shop/", NULL), "blueprint prefix");
	ASSERT_TRUE(has_rule(r, "/shop", NULL), "empty rule is the prefix");
	ASSERT_TRUE(has_rule(r, "/yes/x", NULL), "register_blueprint's prefix wins");
	ASSERT_TRUE(has_rule(r, "/again/x", NULL), "registered twice");
	ASSERT_TRUE(has_rule(r, "/shop/child/c", "GET,HEAD,OPTIONS"), "nested blueprint");
	ASSERT_TRUE(has_rule(r, "/static/<path:filename>", NULL), "blueprint static (folder's name)");
	ASSERT_FALSE(has_rule(r, "/never", NULL), "unregistered blueprint");
	ASSERT_FALSE(has_rule(r, "/nope/x", NULL), "overridden prefix");
	ASSERT_EQ(routes__count(r), 7, "nothing else");
	routes__free(r);

	r = load("from flask import Flask\n"
		 "app = Flask(__name__, static_folder=None, static_url_path='/x')\n"
		 "a2 = Flask('other', None, '')\n"
		 "a3 = Flask(__name__, '', 'a/b/')\n");
	if (!ASSERT_NOT_NULL(r, "load static variants"))
		return;
	/* Three apps in one file: all their rules count. */
	ASSERT_EQ(routes__count(r), 2, "static_folder=None has no static route");
	ASSERT_STREQ(rule_at(r, 0), "/<path:filename>", "static_folder ''");
	ASSERT_STREQ(rule_at(r, 1), "/<path:filename>", "static_url_path ''");
	routes__free(r);
}

/* What real projects do: config constants, helpers over literal lists, loops (issue 14). */
static void test_config_helpers_loops(void)
{
	struct routes *r = load(
		"from flask import Flask, Blueprint\n"
		"class Base:\n"
		"    A_PREFIX = '/a'\n"
		"    B_PREFIX = '/b-base'\n"
		"class Conf(Base):\n"
		"    B_PREFIX = '/b'\n"
		"    lower_prefix = '/never'\n"
		"app = Flask(__name__, static_folder=None)\n"
		"app.config.from_object(Conf)\n"
		"app.config.from_mapping({'C_PREFIX': '/c'}, D_PREFIX='/d')\n"
		"app.config['E_PREFIX'] = '/e'\n"
		"app.config.update(F_PREFIX='/f')\n"
		"a, b, c, d, e, f, g = (Blueprint(n, __name__) for n in 'abcdefg')\n"
		"ba = Blueprint('ba', __name__)\n"
		"bb = Blueprint('bb', __name__)\n"
		"bc = Blueprint('bc', __name__)\n"
		"bd = Blueprint('bd', __name__)\n"
		"be = Blueprint('be', __name__)\n"
		"bf = Blueprint('bf', __name__)\n"
		"bg = Blueprint('bg', __name__)\n"
		"ROUTES = ('/one', '/two')\n"
		"def view(): pass\n"
		"def add(target, routes, view_func=view, **kw):\n"
		"    for rule in routes:\n"
		"        target.add_url_rule(rule, view_func=view_func, **kw)\n"
		"def add_twice(target, rule):\n"
		"    add(target, [rule, rule + '/again'])\n"
		"add(ba, ROUTES)\n"
		"add(bb, ['/x'], methods=['POST'], endpoint='x')\n"
		"add_twice(bc, '/t')\n"
		"for path, name in [('/p1', 'p1'), ('/p2', 'p2')]:\n"
		"    bd.add_url_rule(path, name, view)\n"
		"for path in unknown_list():\n"
		"    be.add_url_rule(path, 'u', view)\n"
		"app.register_blueprint(ba, url_prefix=app.config['A_PREFIX'])\n"
		"app.register_blueprint(bb, url_prefix=app.config['B_PREFIX'])\n"
		"app.register_blueprint(bc, url_prefix=app.config['C_PREFIX'])\n"
		"app.register_blueprint(bd, url_prefix=app.config.get('D_PREFIX', '/nope'))\n"
		"app.register_blueprint(be, url_prefix=app.config['E_PREFIX'])\n"
		"app.register_blueprint(bf, url_prefix=app.config.get('MISSING', '/dflt'))\n"
		"app.register_blueprint(bg, url_prefix=app.config['lower_prefix'])\n"
		"@bf.route('/f')\n"
		"def ff(): pass\n"
		"@bg.route('/g')\n"
		"def gg(): pass\n");

	if (!ASSERT_NOT_NULL(r, "load"))
		return;
	ASSERT_TRUE(has_rule(r, "/a/one", "GET,HEAD,OPTIONS"), "helper over a constant, prefix from a base class");
	ASSERT_TRUE(has_rule(r, "/a/two", NULL), "second item");
	ASSERT_TRUE(has_rule(r, "/b/x", "OPTIONS,POST"), "**kwargs forwarded, subclass overrides");
	ASSERT_TRUE(has_rule(r, "/c/t", NULL), "two levels of helpers, from_mapping dict");
	ASSERT_TRUE(has_rule(r, "/c/t/again", NULL), "string concatenation of a parameter");
	ASSERT_TRUE(has_rule(r, "/d/p1", NULL), "loop over tuples, config.get");
	ASSERT_TRUE(has_rule(r, "/d/p2", NULL), "second tuple");
	ASSERT_FALSE(has_rule(r, "/e/u", NULL), "unknown iterable: skipped");
	ASSERT_TRUE(has_rule(r, "/dflt/f", NULL), "config.get default");
	/* from_object takes upper-case names only: the blueprint's prefix is unknown. */
	ASSERT_FALSE(has_rule(r, "/never/g", NULL), "lower-case attribute");
	ASSERT_EQ(routes__count(r), 8, "nothing else");
	routes__free(r);
}

/* The extension table: the installed version (a virtualenv first) picks the entries. */
static void test_extension_versions(void)
{
	char dir[] = "/tmp/warden-ext.XXXXXX", path[512], version[128];
	const struct ext_entry *found[8];
	const char *roots[1];
	size_t n, i, total;
	const struct ext_entry *t = routes_ext__table(&total);

	if (!ASSERT_NOT_NULL(mkdtemp(dir), "mkdtemp"))
		return;
	roots[0] = dir;
	snprintf(path, sizeof(path), "%s/venv/lib/python3.11/site-packages/Flask_Themes2-1.0.1.dist-info", dir);
	for (char *p = path + strlen(dir) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	ASSERT_OK(mkdir(path, 0755), "fake dist-info");
	n = routes_ext__find("flask_themes2", "Themes", roots, 1, found, 8, version, sizeof(version));
	ASSERT_EQ(n, 1, "in range");
	ASSERT_STREQ(version, "Flask-Themes2 1.0.1", "version said");
	rm_tree(dir);
	ASSERT_OK(mkdir(dir, 0755), "again");
	snprintf(path, sizeof(path), "%s/.venv/lib/python3.11/site-packages/Flask_Themes2-2.0.dist-info", dir);
	for (char *p = path + strlen(dir) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	ASSERT_OK(mkdir(path, 0755), "fake dist-info 2.0");
	n = routes_ext__find("flask_themes2", "Themes", roots, 1, found, 8, version, sizeof(version));
	ASSERT_EQ(n, 0, "2.0 is past the range [0.1, 2.0)");
	rm_tree(dir);
	/* Not installed anywhere: every entry, the version unknown. */
	n = routes_ext__find("flask_admin", "Admin", roots, 1, found, 8, version, sizeof(version));
	ASSERT_EQ(n, 1, "all entries of an unknown version");
	ASSERT_STREQ(version, "", "version unknown");
	ASSERT_FALSE(routes_ext__known("flask_admin", "NotAnExtension"), "unknown class");
	/* Every entry is well formed: rules start with '/' or {static}, endpoints set. */
	for (i = 0; i < total; i++)
		ASSERT_TRUE(t[i].rules[0].rule && t[i].rules[0].endpoint && t[i].dist && t[i].min &&
				    (t[i].rules[0].rule[0] == '/' || t[i].rules[0].rule[0] == '{'),
			    t[i].module);
}

static void test_strict_slashes_map(void)
{
	struct routes *r = load(
		"from flask import Flask\n"
		"app = Flask(__name__)\n"
		"app.url_map.strict_slashes = False\n"
		"@app.route('/loose/')\n"
		"def loose(): pass\n"
		"@app.route('/strict/', strict_slashes=True)\n"
		"def strict(): pass\n");

	if (!ASSERT_NOT_NULL(r, "load"))
		return;
	ASSERT_EQ(match(r, "GET", "/loose"), ROUTE_MATCH, "map default applies");
	ASSERT_EQ(match(r, "GET", "/strict"), ROUTE_REDIRECT, "the rule's own wins");
	ASSERT_EQ(match(r, "GET", "/static/x/"), ROUTE_MATCH, "static rule added before: strict, but a path");
	routes__free(r);
}

/* Files for the multi-module tests. */
static const char *const pkg_files[][2] = {
	{ "wsgi.py", "from shop import create_app\napp = create_app()\n\n@app.route('/wsgi')\ndef w(): pass\n" },
	{ "shop/__init__.py",
	  "from flask import Flask\n"
	  "from .settings import API\n"
	  "def create_app():\n"
	  "    app = Flask(__name__, static_folder=None)\n"
	  "    from . import views\n"
	  "    from .admin.panel import panel as admin_bp\n"
	  "    import shop.api\n"
	  "    app.register_blueprint(views.bp)\n"
	  "    app.register_blueprint(admin_bp, url_prefix='/admin')\n"
	  "    app.register_blueprint(shop.api.bp, url_prefix=API)\n"
	  "    app.add_url_rule('/health', 'health', lambda: 'ok')\n"
	  "    extra(app)\n"
	  "    return app\n"
	  "def extra(flask_app):\n"
	  "    flask_app.add_url_rule('/extra', view_func=lambda: 'x')\n" },
	{ "shop/settings.py", "API = '/api/v1'\n" },
	{ "shop/views.py", "from flask import Blueprint\nbp = Blueprint('views', __name__)\n"
			   "@bp.route('/')\ndef home(): pass\n" },
	{ "shop/admin/__init__.py", "" },
	{ "shop/admin/panel.py", "from flask import Blueprint\npanel = Blueprint('panel', __name__, url_prefix='/p')\n"
				 "from .pages import *\n" },
	{ "shop/admin/pages.py", "from .panel import panel\n@panel.route('/users/<int:uid>')\ndef user(uid): pass\n" },
	{ "shop/api.py", "from flask import Blueprint\nbp = Blueprint('api', __name__)\n"
			 "@bp.post('/orders')\ndef orders(): pass\n" },
	{ "tests/test_x.py", "def test(): pass\n" },
};

static void check_pkg(struct routes *r, const char *what, bool with_wsgi)
{
	char name[128];

	snprintf(name, sizeof(name), "%s: rules", what);
	ASSERT_TRUE(has_rule(r, "/", NULL), name);
	ASSERT_TRUE(has_rule(r, "/admin/users/<int:uid>", NULL), name);
	ASSERT_TRUE(has_rule(r, "/api/v1/orders", "OPTIONS,POST"), name);
	ASSERT_TRUE(has_rule(r, "/health", NULL), name);
	ASSERT_TRUE(has_rule(r, "/extra", NULL), name);
	ASSERT_EQ(has_rule(r, "/wsgi", NULL), with_wsgi, name);
	ASSERT_EQ(routes__count(r), 5 + with_wsgi, name);
}

static void test_multi_file(void)
{
	char tmpl[] = "/tmp/warden-routes-XXXXXX", path[PATH_MAX], err[256];
	struct routes *r;
	size_t i;

	if (!ASSERT_NOT_NULL(mkdtemp(tmpl), "mkdtemp"))
		return;
	for (i = 0; i < sizeof(pkg_files) / sizeof(pkg_files[0]); i++)
		if (!ASSERT_TRUE(write_file(tmpl, pkg_files[i][0], pkg_files[i][1]), "write"))
			goto out;
	/* The folder: every module. */
	r = routes__load(tmpl, err, sizeof(err));
	if (ASSERT_NOT_NULL(r, "load folder")) {
		check_pkg(r, "folder", true);
		routes__free(r);
	}
	/* The entry file: it and what it imports. */
	snprintf(path, sizeof(path), "%s/wsgi.py", tmpl);
	r = routes__load(path, err, sizeof(err));
	if (ASSERT_NOT_NULL(r, "load wsgi.py")) {
		check_pkg(r, "wsgi.py", true);
		routes__free(r);
	}
	/* The package itself (an __init__.py): no wsgi.py. */
	snprintf(path, sizeof(path), "%s/shop/__init__.py", tmpl);
	r = routes__load(path, err, sizeof(err));
	if (ASSERT_NOT_NULL(r, "load package")) {
		check_pkg(r, "package", false);
		routes__free(r);
	}
	snprintf(path, sizeof(path), "%s/shop", tmpl);
	r = routes__load(path, err, sizeof(err));
	if (ASSERT_NOT_NULL(r, "load package folder")) {
		check_pkg(r, "package folder", false);
		routes__free(r);
	}
out:
	rm_tree(tmpl);
}

static void test_load_errors(void)
{
	char tmpl[] = "/tmp/warden-routes-XXXXXX", path[PATH_MAX], err[256] = "";
	struct routes *r;

	errno = 0;
	r = routes__load("/nonexistent/app.py", err, sizeof(err));
	ASSERT_TRUE(!r && errno == ENOENT, "missing file");
	ASSERT_TRUE(strstr(err, "/nonexistent/app.py") != NULL, "the reason names it");
	if (!ASSERT_NOT_NULL(mkdtemp(tmpl), "mkdtemp"))
		return;
	r = routes__load(tmpl, err, sizeof(err));
	if (ASSERT_NOT_NULL(r, "empty folder")) {
		ASSERT_EQ(routes__count(r), 0, "no routes is no error");
		ASSERT_EQ(match(r, "GET", "/"), ROUTE_UNKNOWN, "nothing matches");
		routes__free(r);
	}
	write_file(tmpl, "junk.py", "def (:\n  '''\n  @app.route('/x')\n");
	snprintf(path, sizeof(path), "%s/junk.py", tmpl);
	r = routes__load(path, err, sizeof(err));
	if (ASSERT_NOT_NULL(r, "broken python")) {
		ASSERT_EQ(routes__count(r), 0, "nothing from it");
		routes__free(r);
	}
	rm_tree(tmpl);
	routes__free(NULL);
	ASSERT_EQ(routes__count(NULL), 0, "count of NULL");
	ASSERT_EQ(routes__match(NULL, "GET", "/", 1, NULL), ROUTE_UNKNOWN, "match on NULL");
}

/* ------------------------------------------------------------------ */
/* Matching */

static void test_verdicts(void)
{
	struct routes *r = load(
		"from flask import Flask\n"
		"app = Flask(__name__)\n"
		"@app.route('/')\n"
		"def index(): pass\n"
		"@app.route('/about')\n"
		"def about(): pass\n"
		"@app.route('/dir/')\n"
		"def d(): pass\n"
		"@app.route('/loose/', strict_slashes=False)\n"
		"def loose(): pass\n"
		"@app.route('/form', methods=['POST'])\n"
		"def form(): pass\n"
		"@app.route('/postdir/', methods=['POST'])\n"
		"def postdir(): pass\n"
		"@app.route('/a/b')\n"
		"def ab(): pass\n"
		"@app.route('/caf\\u00e9')\n"
		"def cafe(): pass\n"
		"@app.route('/old', redirect_to='/about')\n"
		"def old(): pass\n"
		"@app.route('/built', build_only=True)\n"
		"def built(): pass\n"
		"@app.route('/sub', subdomain='api')\n"
		"def sub(): pass\n"
		"@app.route('/users/', defaults={'page': 1})\n"
		"@app.route('/users/<int:page>')\n"
		"def users(page): pass\n");
	const char *rule;

	if (!ASSERT_NOT_NULL(r, "load"))
		return;
	ASSERT_STREQ(decide(r, "GET", "/"), "match /", "root");
	ASSERT_STREQ(decide(r, "GET", "/about"), "match /about", "static");
	ASSERT_STREQ(decide(r, "head", "/about"), "match /about", "HEAD implied, method case");
	ASSERT_STREQ(decide(r, NULL, "/about"), "match /about", "NULL method is GET");
	ASSERT_STREQ(decide(r, "OPTIONS", "/about"), "match /about", "OPTIONS implied");
	ASSERT_STREQ(decide(r, "POST", "/about"), "method /about", "405");
	ASSERT_STREQ(decide(r, "GET", "/nope"), "unknown -", "404");
	ASSERT_STREQ(decide(r, "GET", "/about/"), "unknown -", "leaf with slash");
	ASSERT_STREQ(decide(r, "GET", "/dir"), "redirect /dir/", "missing slash");
	ASSERT_STREQ(decide(r, "GET", "/dir/"), "match /dir/", "branch");
	ASSERT_STREQ(decide(r, "POST", "/dir"), "unknown -", "no slash redirect for another method");
	ASSERT_STREQ(decide(r, "GET", "/loose"), "match /loose/", "strict_slashes=False without");
	ASSERT_STREQ(decide(r, "GET", "/loose/"), "match /loose/", "strict_slashes=False with");
	ASSERT_STREQ(decide(r, "GET", "/form"), "method /form", "POST only");
	ASSERT_STREQ(decide(r, "POST", "/postdir"), "redirect /postdir/", "slash redirect for POST");
	ASSERT_STREQ(decide(r, "GET", "/postdir/"), "method /postdir/", "405 on the branch");
	ASSERT_STREQ(decide(r, "GET", "/about?x=/a#b"), "match /about", "query ignored");
	ASSERT_STREQ(decide(r, "GET", "/about#x?y"), "match /about", "fragment ignored");
	ASSERT_STREQ(decide(r, "GET", "/ab%6Fut"), "match /about", "percent-decoding");
	ASSERT_STREQ(decide(r, "GET", "/a%2Fb"), "match /a/b", "%2F is a slash");
	ASSERT_STREQ(decide(r, "GET", "/a%2fb"), "match /a/b", "lower-case hex");
	ASSERT_STREQ(decide(r, "GET", "/a%2"), "unknown -", "broken escape stays");
	ASSERT_STREQ(decide(r, "GET", "/caf%C3%A9"), "match /caf\xc3\xa9", "UTF-8 escapes");
	ASSERT_STREQ(decide(r, "GET", "/caf\xc3\xa9"), "match /caf\xc3\xa9", "raw UTF-8");
	ASSERT_STREQ(decide(r, "GET", "/caf%E9"), "unknown -", "latin-1 byte is U+FFFD");
	ASSERT_STREQ(decide(r, "GET", "http://example.com/about?x"), "match /about", "absolute form");
	ASSERT_STREQ(decide(r, "GET", "HTTPS://h:8080/a/b"), "match /a/b", "absolute form, port");
	ASSERT_STREQ(decide(r, "GET", "http://example.com"), "redirect /", "absolute form without path");
	ASSERT_STREQ(decide(r, "GET", "///about"), "match /about", "leading slashes");
	ASSERT_STREQ(decide(r, "GET", "/a//b"), "redirect /a/b", "merge_slashes redirect");
	ASSERT_STREQ(decide(r, "GET", "%2Fabout"), "match /about", "decoded leading slash");
	ASSERT_STREQ(decide(r, "GET", "about"), "match /about", "no leading slash");
	ASSERT_STREQ(decide(r, "OPTIONS", "*"), "match -", "OPTIONS *");
	ASSERT_STREQ(decide(r, "GET", "*"), "unknown -", "GET *");
	ASSERT_STREQ(decide(r, "GET", "/old"), "redirect /old", "redirect_to");
	ASSERT_STREQ(decide(r, "GET", "/built"), "unknown -", "build_only never matches");
	ASSERT_STREQ(decide(r, "GET", "/sub"), "unknown -", "subdomain rules need their host");
	ASSERT_STREQ(decide(r, "GET", "/users/2"), "match /users/<int:page>", "defaults: other value");
	ASSERT_STREQ(decide(r, "GET", "/users/1"), "redirect /users/<int:page>", "defaults: same value");
	ASSERT_STREQ(decide(r, "GET", "/users/01"), "redirect /users/<int:page>", "defaults: int(01) == 1");
	ASSERT_STREQ(decide(r, "GET", "/users/"), "match /users/", "defaults rule");
	ASSERT_STREQ(decide(r, "GET", "/users"), "redirect /users/", "defaults rule slash");
	ASSERT_STREQ(decide(r, "PROPFIND", "/about"), "method /about", "unknown method");
	ASSERT_STREQ(decide(r, "AVERYLONGMETHODNAMEOFMORETHAN32BYTES", "/about"), "unknown -", "absurd method");
	/* Not NUL-terminated: only path_len bytes count. */
	ASSERT_EQ(routes__match(r, "GET", "/aboutXYZ", 6, &rule), ROUTE_MATCH, "path_len");
	ASSERT_STREQ(rule, "/about", "path_len rule");
	ASSERT_EQ(routes__match(r, "GET", "/a\0b", 4, &rule), ROUTE_UNKNOWN, "NUL in a path");
	ASSERT_EQ(routes__match(r, "GET", "", 0, &rule), ROUTE_REDIRECT, "empty path");
	ASSERT_STREQ(route_verdict__name(ROUTE_METHOD), "method", "verdict name");
	routes__free(r);
}

static void test_converters(void)
{
	struct routes *r = load(
		"from flask import Flask\n"
		"app = Flask(__name__, static_folder=None)\n"
		"v = lambda **k: ''\n"
		"app.add_url_rule('/s/<s>', 's', v)\n"
		"app.add_url_rule('/len/<string(length=2):s>', 'len', v)\n"
		"app.add_url_rule('/mm/<string(minlength=2, maxlength=3):s>', 'mm', v)\n"
		"app.add_url_rule('/i/<int:i>', 'i', v)\n"
		"app.add_url_rule('/imm/<int(min=1, max=10):i>', 'imm', v)\n"
		"app.add_url_rule('/fd/<int(fixed_digits=4):i>', 'fd', v)\n"
		"app.add_url_rule('/sg/<int(signed=True):i>', 'sg', v)\n"
		"app.add_url_rule('/big/<int(max=18446744073709551616):i>', 'big', v)\n"
		"app.add_url_rule('/f/<float:f>', 'f', v)\n"
		"app.add_url_rule('/fmm/<float(min=0.5, max=2, signed=True):f>', 'fmm', v)\n"
		"app.add_url_rule('/p/<path:p>', 'p', v)\n"
		"app.add_url_rule('/pe/<path:p>/edit', 'pe', v)\n"
		"app.add_url_rule('/u/<uuid:u>', 'u', v)\n"
		"app.add_url_rule('/a/<any(red, green, \"dark-blue\"):c>', 'a', v)\n"
		"app.add_url_rule('/file-<int:n>.txt', 'file', v)\n"
		"app.add_url_rule('/pi/<path:p>/<int(max=10):n>', 'pi', v)\n"
		"app.add_url_rule('/q/<int(min=-5):n>', 'q', v)\n");

	if (!ASSERT_NOT_NULL(r, "load"))
		return;
	ASSERT_EQ(match(r, "GET", "/s/abc"), ROUTE_MATCH, "string");
	ASSERT_EQ(match(r, "GET", "/s/a%20b%3F"), ROUTE_MATCH, "string with escapes");
	ASSERT_EQ(match(r, "GET", "/s/a%2Fb"), ROUTE_UNKNOWN, "no slash in a string");
	ASSERT_EQ(match(r, "GET", "/len/ab"), ROUTE_MATCH, "length=2");
	ASSERT_EQ(match(r, "GET", "/len/%C3%A9%C3%A9"), ROUTE_MATCH, "length counts code points");
	ASSERT_EQ(match(r, "GET", "/len/abc"), ROUTE_UNKNOWN, "length=2, 3");
	ASSERT_EQ(match(r, "GET", "/mm/a"), ROUTE_UNKNOWN, "minlength");
	ASSERT_EQ(match(r, "GET", "/mm/abc"), ROUTE_MATCH, "within");
	ASSERT_EQ(match(r, "GET", "/mm/abcd"), ROUTE_UNKNOWN, "maxlength");
	ASSERT_EQ(match(r, "GET", "/i/42"), ROUTE_MATCH, "int");
	ASSERT_EQ(match(r, "GET", "/i/-42"), ROUTE_UNKNOWN, "unsigned int");
	ASSERT_EQ(match(r, "GET", "/i/4.2"), ROUTE_UNKNOWN, "int, not float");
	ASSERT_EQ(match(r, "GET", "/i/%D9%A3%D9%A4"), ROUTE_MATCH, "Arabic-Indic digits are \\d");
	ASSERT_EQ(match(r, "GET", "/imm/10"), ROUTE_MATCH, "max inclusive");
	ASSERT_EQ(match(r, "GET", "/imm/11"), ROUTE_UNKNOWN, "above max");
	ASSERT_EQ(match(r, "GET", "/imm/0"), ROUTE_UNKNOWN, "below min");
	ASSERT_EQ(match(r, "GET", "/imm/0001"), ROUTE_MATCH, "leading zeros");
	ASSERT_EQ(match(r, "GET", "/fd/2024"), ROUTE_MATCH, "fixed_digits");
	ASSERT_EQ(match(r, "GET", "/fd/024"), ROUTE_UNKNOWN, "fixed_digits short");
	ASSERT_EQ(match(r, "GET", "/sg/-3"), ROUTE_MATCH, "signed");
	ASSERT_EQ(match(r, "GET", "/sg/--3"), ROUTE_UNKNOWN, "double sign");
	ASSERT_EQ(match(r, "GET", "/big/18446744073709551616"), ROUTE_MATCH, "2^64 bound, equal");
	ASSERT_EQ(match(r, "GET", "/big/18446744073709551617"), ROUTE_UNKNOWN, "2^64 bound, above");
	ASSERT_EQ(match(r, "GET", "/f/1.5"), ROUTE_MATCH, "float");
	ASSERT_EQ(match(r, "GET", "/f/1"), ROUTE_UNKNOWN, "float needs a dot");
	ASSERT_EQ(match(r, "GET", "/f/.5"), ROUTE_UNKNOWN, "float needs digits before");
	ASSERT_EQ(match(r, "GET", "/fmm/-1.0"), ROUTE_UNKNOWN, "float below min");
	ASSERT_EQ(match(r, "GET", "/fmm/2.0"), ROUTE_MATCH, "float max inclusive");
	ASSERT_EQ(match(r, "GET", "/fmm/2.01"), ROUTE_UNKNOWN, "float above max");
	ASSERT_EQ(match(r, "GET", "/p/a/b/c.txt"), ROUTE_MATCH, "path");
	ASSERT_EQ(match(r, "GET", "/p/"), ROUTE_UNKNOWN, "empty path");
	ASSERT_EQ(match(r, "GET", "/p/a%0Ab"), ROUTE_UNKNOWN, "path stops at a newline");
	ASSERT_STREQ(decide(r, "GET", "/pe/a/b/edit"), "match /pe/<path:p>/edit", "path then static");
	ASSERT_EQ(match(r, "GET", "/u/0f8fad5b-d9cb-469f-a165-70867728950e"), ROUTE_MATCH, "uuid");
	ASSERT_EQ(match(r, "GET", "/u/0F8FAD5B-D9CB-469F-A165-70867728950E"), ROUTE_MATCH, "UUID");
	ASSERT_EQ(match(r, "GET", "/u/0f8fad5bd9cb469fa16570867728950e"), ROUTE_UNKNOWN, "uuid without dashes");
	ASSERT_EQ(match(r, "GET", "/a/red"), ROUTE_MATCH, "any");
	ASSERT_EQ(match(r, "GET", "/a/dark-blue"), ROUTE_MATCH, "any, quoted item");
	ASSERT_EQ(match(r, "GET", "/a/blue"), ROUTE_UNKNOWN, "any, other");
	ASSERT_EQ(match(r, "GET", "/file-12.txt"), ROUTE_MATCH, "converter inside a segment");
	ASSERT_EQ(match(r, "GET", "/file-x.txt"), ROUTE_UNKNOWN, "converter inside a segment, bad");
	ASSERT_EQ(match(r, "GET", "/pi/a/b/7"), ROUTE_MATCH, "lazy path, then int");
	ASSERT_EQ(match(r, "GET", "/pi/a/11"), ROUTE_UNKNOWN, "validated after the match");
	/* Werkzeug reads "min=-5" as a positional 5: fixed_digits=5. */
	ASSERT_EQ(match(r, "GET", "/q/12345"), ROUTE_MATCH, "converter-argument quirk, 5 digits");
	ASSERT_EQ(match(r, "GET", "/q/1"), ROUTE_UNKNOWN, "converter-argument quirk, 1 digit");
	routes__free(r);
}

static void test_ordering(void)
{
	struct routes *r = load(
		"from flask import Flask\n"
		"app = Flask(__name__, static_folder=None)\n"
		"v = lambda **k: ''\n"
		"app.add_url_rule('/<name>', 'name', v)\n"
		"app.add_url_rule('/<int:num>', 'num', v)\n"
		"app.add_url_rule('/<path:p>/x', 'px', v)\n"
		"app.add_url_rule('/fixed', 'fixed', v)\n"
		"app.add_url_rule('/n/<x>/b', 'xb', v)\n"
		"app.add_url_rule('/n/a/<y>', 'ay', v)\n"
		"app.add_url_rule('/d/<int(max=5):small>', 'small', v)\n"
		"app.add_url_rule('/d/<int:big>', 'big', v)\n"
		"app.add_url_rule('/same', 'same_get', v, methods=['GET'])\n"
		"app.add_url_rule('/same', 'same_post', v, methods=['POST'])\n");

	if (!ASSERT_NOT_NULL(r, "load"))
		return;
	ASSERT_STREQ(decide(r, "GET", "/fixed"), "match /fixed", "static before converters");
	ASSERT_STREQ(decide(r, "GET", "/12"), "match /<int:num>", "int (50) before string (100)");
	ASSERT_STREQ(decide(r, "GET", "/abc"), "match /<name>", "string");
	ASSERT_STREQ(decide(r, "GET", "/a/b/x"), "match /<path:p>/x", "path");
	ASSERT_STREQ(decide(r, "GET", "/n/a/b"), "match /n/a/<y>", "static segment first");
	ASSERT_STREQ(decide(r, "GET", "/n/z/b"), "match /n/<x>/b", "backtracking");
	/* Equal regexes share a state: the first rule wins and its check fails: 404. */
	ASSERT_STREQ(decide(r, "GET", "/d/3"), "match /d/<int(max=5):small>", "same state, first");
	ASSERT_STREQ(decide(r, "GET", "/d/7"), "unknown -", "no retry with the second rule");
	ASSERT_STREQ(decide(r, "POST", "/same"), "match /same", "same path, second method");
	ASSERT_STREQ(decide(r, "PUT", "/same"), "method /same", "neither method");
	routes__free(r);
}

static void test_rule_listing(void)
{
	struct routes *r = load(
		"from flask import Flask\n"
		"app = Flask(__name__)\n"
		"@app.route('/b', methods=['POST', 'GET', 'DELETE', 'PATCH', 'PUT', 'TRACE'])\n"
		"def b(): pass\n");
	const char *rule = NULL;
	char m[8];

	if (!ASSERT_NOT_NULL(r, "load"))
		return;
	ASSERT_EQ(routes__count(r), 2, "count");
	ASSERT_TRUE(has_rule(r, "/b", "DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT,TRACE"), "sorted methods");
	ASSERT_EQ(routes__rule(r, 2, &rule, m, sizeof(m)), -ERANGE, "index out of range");
	ASSERT_EQ(routes__rule(r, 1, &rule, m, sizeof(m)), -ENOSPC, "methods too long");
	ASSERT_STREQ(m, "DELETE,", "truncated");
	ASSERT_STREQ(rule, "/b", "rule still set");
	routes__free(r);
}

/* ------------------------------------------------------------------ */
/* Finding the source */

static void test_find_source(void)
{
	char tmpl[] = "/tmp/warden-routes-XXXXXX", cwd[PATH_MAX], out[PATH_MAX];
	const char *saved = getenv("FLASK_APP");
	char *saved_copy = saved ? strdup(saved) : NULL;

	if (!ASSERT_NOT_NULL(getcwd(cwd, sizeof(cwd)), "getcwd") || !ASSERT_NOT_NULL(mkdtemp(tmpl), "mkdtemp"))
		goto out_free;
	write_file(tmpl, "server.py", "");
	write_file(tmpl, "app.py", "");
	write_file(tmpl, "wsgi.py", "");
	write_file(tmpl, "pkg/__init__.py", "");
	write_file(tmpl, "pkg/web.py", "");
	write_file(tmpl, "conf.py", "");
	if (!ASSERT_OK(chdir(tmpl), "chdir"))
		goto out_rm;
	unsetenv("FLASK_APP");
	{
		char *a1[] = { "python3", "-u", "server.py", "--port", "80", NULL };
		char *a2[] = { "flask", "--app", "pkg.web:app", "run", NULL };
		char *a3[] = { "flask", "run", NULL };
		char *a4[] = { "/usr/bin/python3", "-m", "flask", "--app=pkg", "run", NULL };
		char *a5[] = { "gunicorn", "-c", "conf.py", "-w", "4", "pkg.web:create_app()", NULL };
		char *a6[] = { "gunicorn", "--reload", "-b", "0:80", "server", NULL };
		char *a7[] = { "python3", "-m", "gunicorn", "server:app", NULL };
		char *a8[] = { "python3", "missing.py", NULL };
		char *a9[] = { "flask", "--app", "nothere", "run", NULL };
		char *a10[] = { "node", "index.js", NULL };

		ASSERT_OK(routes__find_source(a1, out, sizeof(out)), "python script");
		ASSERT_STREQ(out, "server.py", "first *.py");
		ASSERT_OK(routes__find_source(a2, out, sizeof(out)), "flask --app");
		ASSERT_STREQ(out, "pkg/web.py", "module path");
		ASSERT_OK(routes__find_source(a3, out, sizeof(out)), "flask run");
		ASSERT_STREQ(out, "wsgi.py", "wsgi.py first, as flask does");
		setenv("FLASK_APP", "app", 1);
		ASSERT_OK(routes__find_source(a3, out, sizeof(out)), "FLASK_APP");
		ASSERT_STREQ(out, "app.py", "FLASK_APP module");
		unsetenv("FLASK_APP");
		ASSERT_OK(routes__find_source(a4, out, sizeof(out)), "python -m flask --app=pkg");
		ASSERT_STREQ(out, "pkg/__init__.py", "package");
		ASSERT_OK(routes__find_source(a5, out, sizeof(out)), "gunicorn");
		ASSERT_STREQ(out, "pkg/web.py", "gunicorn MODULE:APP, not its config");
		ASSERT_OK(routes__find_source(a6, out, sizeof(out)), "gunicorn without :APP");
		ASSERT_STREQ(out, "server.py", "last positional");
		ASSERT_OK(routes__find_source(a7, out, sizeof(out)), "python -m gunicorn");
		ASSERT_STREQ(out, "server.py", "python -m gunicorn module");
		ASSERT_EQ(routes__find_source(a8, out, sizeof(out)), -ENOENT, "missing script");
		ASSERT_EQ(routes__find_source(a9, out, sizeof(out)), -ENOENT, "missing module");
		ASSERT_EQ(routes__find_source(a10, out, sizeof(out)), -ENOENT, "not python");
		ASSERT_EQ(routes__find_source(a1, out, 4), -ENAMETOOLONG, "small buffer");
	}
	ASSERT_OK(chdir(cwd), "chdir back");
out_rm:
	rm_tree(tmpl);
out_free:
	if (saved_copy)
		setenv("FLASK_APP", saved_copy, 1);
	free(saved_copy);
}

/* ------------------------------------------------------------------ */
/* Many routes, many requests; robustness */

#define NPREFIX 100

static struct routes *many_routes(void)
{
	size_t cap = 1 << 20, n = 0;
	char *src = malloc(cap);
	struct routes *r;
	int i;

	if (!src)
		return NULL;
	n += snprintf(src + n, cap - n, "from flask import Flask\napp = Flask(__name__, static_folder=None)\n");
	/* 500 rules: 5 per prefix. */
	for (i = 0; i < NPREFIX; i++) {
		n += snprintf(src + n, cap - n,
			      "@app.route('/r%d/')\ndef i%d(): pass\n"
			      "@app.route('/r%d/items/<int:id>', methods=['GET', 'DELETE'])\ndef it%d(id): pass\n"
			      "@app.route('/r%d/<name>/edit', methods=['POST'])\ndef e%d(name): pass\n"
			      "@app.route('/r%d/files/<path:p>')\ndef f%d(p): pass\n"
			      "@app.route('/r%d/u/<uuid:u>')\ndef u%d(u): pass\n",
			      i, i, i, i, i, i, i, i, i, i);
	}
	r = load(src);
	free(src);
	return r;
}

static void test_many_routes(void)
{
	struct routes *r = many_routes();
	static const char *const methods[] = { "GET", "POST", "DELETE", "HEAD" };
	unsigned seed = 12345;
	long bad = 0, k;
	char path[256];

	if (!ASSERT_NOT_NULL(r, "load 500 routes"))
		return;
	ASSERT_EQ(routes__count(r), 500, "500 routes");
	/* A million requests whose verdicts are known by construction. */
	for (k = 0; k < 1000000; k++) {
		int p = rand_r(&seed) % (NPREFIX + 10), kind = rand_r(&seed) % 7;
		const char *m = methods[rand_r(&seed) % 4];
		enum route_verdict want, got;
		bool known = p < NPREFIX;
		bool get = !strcmp(m, "GET") || !strcmp(m, "HEAD");

		switch (kind) {
		case 0:
			snprintf(path, sizeof(path), "/r%d/", p);
			want = !known ? ROUTE_UNKNOWN : get ? ROUTE_MATCH : ROUTE_METHOD;
			break;
		case 1:
			snprintf(path, sizeof(path), "/r%d", p);
			want = known && get ? ROUTE_REDIRECT : ROUTE_UNKNOWN;
			break;
		case 2:
			snprintf(path, sizeof(path), "/r%d/items/%d?x=1", p, rand_r(&seed));
			want = !known ? ROUTE_UNKNOWN : (get || !strcmp(m, "DELETE")) ? ROUTE_MATCH : ROUTE_METHOD;
			break;
		case 3:
			snprintf(path, sizeof(path), "/r%d/n%d/edit", p, rand_r(&seed) % 1000);
			want = !known ? ROUTE_UNKNOWN : !strcmp(m, "POST") ? ROUTE_MATCH : ROUTE_METHOD;
			break;
		case 4:
			snprintf(path, sizeof(path), "/r%d/files/a/b%d.css", p, rand_r(&seed) % 1000);
			want = !known ? ROUTE_UNKNOWN : get ? ROUTE_MATCH : ROUTE_METHOD;
			break;
		case 5:
			snprintf(path, sizeof(path), "/r%d/u/%08x-1234-5678-9abc-def012345678", p, rand_r(&seed));
			want = !known ? ROUTE_UNKNOWN : get ? ROUTE_MATCH : ROUTE_METHOD;
			break;
		default:
			snprintf(path, sizeof(path), "/r%d/nothing/here/%d", p, rand_r(&seed));
			want = ROUTE_UNKNOWN;
			break;
		}
		got = routes__match(r, m, path, strlen(path), NULL);
		if (got != want && bad++ < 5)
			printf("  %s %s: %s, expected %s\n", m, path, route_verdict__name(got), route_verdict__name(want));
	}
	ASSERT_EQ(bad, 0, "every verdict right");
	routes__free(r);
}

struct thread_arg {
	const struct routes *r;
	long bad;
};

static void *matcher_thread(void *p)
{
	struct thread_arg *a = p;
	char path[64];
	int i;

	for (i = 0; i < 50000; i++) {
		snprintf(path, sizeof(path), "/r%d/items/%d", i % NPREFIX, i);
		if (routes__match(a->r, "GET", path, strlen(path), NULL) != ROUTE_MATCH)
			a->bad++;
		snprintf(path, sizeof(path), "/r%d/zzz", i % NPREFIX);
		if (routes__match(a->r, "GET", path, strlen(path), NULL) != ROUTE_UNKNOWN)
			a->bad++;
	}
	return NULL;
}

static void test_concurrent_readers(void)
{
	struct routes *r = many_routes();
	struct thread_arg args[4];
	pthread_t th[4];
	int i, started = 0;

	if (!ASSERT_NOT_NULL(r, "load"))
		return;
	for (i = 0; i < 4; i++) {
		args[i] = (struct thread_arg){ r, 0 };
		if (!pthread_create(&th[i], NULL, matcher_thread, &args[i]))
			started++;
	}
	for (i = 0; i < started; i++) {
		pthread_join(th[i], NULL);
		ASSERT_EQ(args[i].bad, 0, "thread verdicts");
	}
	ASSERT_EQ(started, 4, "threads");
	routes__free(r);
}

static void test_long_and_hostile_paths(void)
{
	struct routes *r = load(
		"from flask import Flask\n"
		"app = Flask(__name__, static_folder=None)\n"
		"v = lambda **k: ''\n"
		"app.add_url_rule('/<path:a>/<path:b>/<path:c>/z', 'p3', v)\n"
		"app.add_url_rule('/s/<a>-<b>-<c>-<d>.x', 's4', v)\n"
		"app.add_url_rule('/long/<p>', 'long', v)\n");
	size_t n = 100000, i;
	char *path = malloc(n + 1);

	if (!ASSERT_NOT_NULL(r, "load") || !ASSERT_NOT_NULL(path, "malloc"))
		goto out;
	/* Backtracking-heavy paths stay bounded (and the answer is "no"). */
	for (i = 0; i < 2000; i++)
		path[i] = i % 2 ? '/' : 'a';
	path[2000] = '\0';
	ASSERT_EQ(match(r, "GET", path), ROUTE_UNKNOWN, "three path converters, no z");
	memcpy(path, "/s/", 3);
	for (i = 3; i < 3000; i++)
		path[i] = '-';
	path[3000] = '\0';
	ASSERT_EQ(match(r, "GET", path), ROUTE_UNKNOWN, "four strings, no .x");
	/* A path longer than the stack buffer. */
	memcpy(path, "/long/", 6);
	for (i = 6; i < n; i++)
		path[i] = i % 3 ? 'x' : '%';
	path[n] = '\0';
	ASSERT_EQ(match(r, "GET", path), ROUTE_MATCH, "100 kB path with broken escapes");
	for (i = 6; i + 2 < n; i += 3)
		memcpy(path + i, "%FF", 3);
	ASSERT_EQ(match(r, "GET", path), ROUTE_MATCH, "100 kB of invalid UTF-8");
out:
	free(path);
	routes__free(r);
}

/* Random bytes and mutated sources: no crash, no leak (the sanitizers watch). */
static void test_fuzz(void)
{
	static const char base[] =
		"from flask import Flask, Blueprint\n"
		"app = Flask(__name__)\nbp = Blueprint('b', __name__, url_prefix='/b')\n"
		"@app.route('/x/<int(min=1):n>', methods=['GET', 'POST'], defaults={'a': 1})\n"
		"def x(n, a): '''doc''' ; return f\"{n}\"\n"
		"@bp.route(r'/y/<path:p>', strict_slashes=False)\ndef y(p): pass\n"
		"app.register_blueprint(bp, url_prefix='/z')\n";
	static const char junk[] = "()[]{}'\"\\#@.,:=\n\t xX/<>0aA_\xc3\xa9";
	unsigned seed = 7;
	char src[sizeof(base) + 64], path[64];
	int i, j, loaded = 0;

	for (i = 0; i < 400; i++) {
		struct routes *r;
		size_t n = sizeof(base) - 1;

		memcpy(src, base, sizeof(base));
		for (j = 0; j < 1 + i % 6; j++)
			src[rand_r(&seed) % n] = junk[rand_r(&seed) % (sizeof(junk) - 1)];
		if (i % 10 == 0)
			n = rand_r(&seed) % n;
		r = routes__load_source("fuzz.py", src, n, NULL, 0);
		if (!r)
			continue;
		loaded++;
		for (j = 0; j < 50; j++) {
			size_t k, len = rand_r(&seed) % sizeof(path);

			for (k = 0; k < len; k++)
				path[k] = junk[rand_r(&seed) % (sizeof(junk) - 1)];
			routes__match(r, j % 2 ? "GET" : "POST", path, len, NULL);
		}
		routes__free(r);
	}
	ASSERT_EQ(loaded, 400, "every mutated source loads");
}

int main(void)
{
	RUN_TEST(test_tokenizer_strings);
	RUN_TEST(test_tokenizer_structure);
	RUN_TEST(test_not_routes);
	RUN_TEST(test_decorator_forms);
	RUN_TEST(test_skipped_with_warning);
	RUN_TEST(test_apps_and_blueprints);
	RUN_TEST(test_config_helpers_loops);
	RUN_TEST(test_extension_versions);
	RUN_TEST(test_strict_slashes_map);
	RUN_TEST(test_multi_file);
	RUN_TEST(test_load_errors);
	RUN_TEST(test_verdicts);
	RUN_TEST(test_converters);
	RUN_TEST(test_ordering);
	RUN_TEST(test_rule_listing);
	RUN_TEST(test_find_source);
	RUN_TEST(test_many_routes);
	RUN_TEST(test_concurrent_readers);
	RUN_TEST(test_long_and_hostile_paths);
	RUN_TEST(test_fuzz);
	printf("%d passed, %d failed\n", tu_cases_passed, tu_cases_failed);
	return TEST_EXIT();
}
