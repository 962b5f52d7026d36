// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* routes_learn.c - where the routes come from: the source, Flask's own url_map, the operator's extra rules. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <json-c/json.h>

#include "log.h"
#include "routes_extract.h"
#include "routes_learn.h"
#include "supervisor.h"
#include "timeutil.h"

#define FLASK_MAX_OUTPUT (8u << 20) /* url_map listings larger than this are refused */
#define FLASK_ERR_KEEP 4096         /* the end of the child's stderr, for the reason */

/*
 * Run by the app's interpreter: import the app as its server would (the
 * module's folder, and its package root, on sys.path; __name__ is not
 * "__main__", so app.run() does not run), find the Flask object (app,
 * application, any Flask instance, or a create_app()/make_app() factory),
 * and print app.url_map as JSON lines on the stdout it was given. What the
 * app prints while importing goes to stderr.
 */
static const char flask_script[] =
	"import importlib, json, os, sys\n"
	"out = os.fdopen(os.dup(1), 'w')\n"
	"os.dup2(2, 1)\n"
	"src = os.path.abspath(sys.argv[1])\n"
	"if os.path.isdir(src):\n"
	"    for n in ('wsgi.py', 'app.py', '__init__.py'):\n"
	"        if os.path.isfile(os.path.join(src, n)):\n"
	"            src = os.path.join(src, n)\n"
	"            break\n"
	"    else:\n"
	"        sys.exit('no wsgi.py, app.py or __init__.py in ' + src)\n"
	"folder = os.path.dirname(src)\n"
	"name = os.path.splitext(os.path.basename(src))[0]\n"
	"parts = [] if name == '__init__' else [name]\n"
	"root = folder\n"
	"while os.path.isfile(os.path.join(root, '__init__.py')):\n"
	"    parts.insert(0, os.path.basename(root))\n"
	"    root = os.path.dirname(root)\n"
	"sys.path[0:0] = [root] if root == folder else [folder, root]\n"
	"from flask import Flask\n"
	"mod = importlib.import_module('.'.join(parts))\n"
	"app = None\n"
	"for attr in ('app', 'application'):\n"
	"    if isinstance(getattr(mod, attr, None), Flask):\n"
	"        app = getattr(mod, attr)\n"
	"        break\n"
	"else:\n"
	"    found = [v for v in vars(mod).values() if isinstance(v, Flask)]\n"
	"    if found:\n"
	"        app = found[0]\n"
	"    else:\n"
	"        for attr in ('create_app', 'make_app'):\n"
	"            if callable(getattr(mod, attr, None)):\n"
	"                app = getattr(mod, attr)()\n"
	"                break\n"
	"if not isinstance(app, Flask):\n"
	"    sys.exit('no Flask app in ' + src)\n"
	"m = app.url_map\n"
	"for r in m.iter_rules():\n"
	"    d = r.defaults or {}\n"
	"    out.write(json.dumps({'rule': r.rule, 'endpoint': r.endpoint,\n"
	"        'methods': sorted(r.methods or ['GET']),\n"
	"        'defaults': {str(k): v for k, v in d.items() if isinstance(v, (str, int, float, bool))},\n"
	"        'strict_slashes': m.strict_slashes if r.strict_slashes is None else r.strict_slashes,\n"
	"        'merge_slashes': m.merge_slashes if r.merge_slashes is None else r.merge_slashes,\n"
	"        'build_only': r.build_only, 'redirects': r.redirect_to is not None or bool(r.alias),\n"
	"        'alias': bool(r.alias), 'other_host': bool(r.subdomain or r.host or m.host_matching\n"
	"                                               or getattr(r, 'websocket', False))}) + '\\n')\n"
	"out.write('{\"end\": true}\\n')\n"
	"out.flush()\n";

int routes_learn__interpreter(char *const *cmd, char *out, size_t outlen)
{
	char path[PATH_MAX], line[PATH_MAX], *p, *base;
	const char *argv0;
	FILE *f = NULL;

	if (!cmd || !cmd[0])
		return -ENOENT;
	argv0 = cmd[0];
	base = strrchr(argv0, '/') ? strrchr(argv0, '/') + 1 : (char *)argv0;
	if (!strncmp(base, "python", 6)) {
		snprintf(out, outlen, "%s", argv0);
		return 0;
	}
	/* gunicorn, flask, a script: the interpreter of its shebang. */
	if (strchr(argv0, '/')) {
		snprintf(path, sizeof(path), "%s", argv0);
		f = fopen(path, "r");
	} else {
		const char *env = getenv("PATH");
		char dirs[4096], *dir, *save = NULL;

		snprintf(dirs, sizeof(dirs), "%s", env ? env : "/usr/local/bin:/usr/bin:/bin");
		for (dir = strtok_r(dirs, ":", &save); dir && !f; dir = strtok_r(NULL, ":", &save)) {
			snprintf(path, sizeof(path), "%s/%s", dir, argv0);
			if (!access(path, X_OK))
				f = fopen(path, "r");
		}
	}
	if (!f)
		return -ENOENT;
	p = fgets(line, sizeof(line), f);
	fclose(f);
	if (!p || strncmp(line, "#!", 2))
		return -ENOEXEC;
	line[strcspn(line, "\r\n")] = '\0';
	for (p = line + 2; *p == ' '; p++)
		;
	/* "#!/usr/bin/env python3": the name env would find. */
	if (!strncmp(p, "/usr/bin/env ", 13) || !strncmp(p, "/bin/env ", 9))
		for (p = strchr(p, ' '); *p == ' '; p++)
			;
	p[strcspn(p, " ")] = '\0';
	base = strrchr(p, '/') ? strrchr(p, '/') + 1 : p;
	if (strncmp(base, "python", 6))
		return -ENOEXEC;
	snprintf(out, outlen, "%s", p);
	return 0;
}

/* Append n bytes to a growing buffer, up to max; false when over. */
static bool grow_append(char **buf, size_t *len, size_t *cap, const char *s, size_t n, size_t max)
{
	if (*len + n + 1 > *cap) {
		size_t ncap = *cap ? *cap : 4096;
		char *g;

		while (ncap < *len + n + 1)
			ncap *= 2;
		if (ncap > max + 1)
			return false;
		g = realloc(*buf, ncap);
		if (!g)
			return false;
		*buf = g;
		*cap = ncap;
	}
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
	return true;
}

/* The last non-empty line of text (a Python traceback ends with the error). */
static void last_line(const char *text, char *out, size_t outlen)
{
	const char *end = text + strlen(text), *start;

	while (end > text && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		end--;
	for (start = end; start > text && start[-1] != '\n'; start--)
		;
	snprintf(out, outlen, "%.*s", (int)(end - start), start);
}

/* Run the script; its stdout in *out (owned by the caller). 0 or -errno with why in err. */
static int run_flask(const struct routes_learn_opts *o, char **out, char *err, size_t errlen)
{
	char interp[PATH_MAX], errtail[FLASK_ERR_KEEP + 1] = "", buf[65536], line[512];
	char *argv[] = { interp, "-c", (char *)flask_script, (char *)o->source, NULL };
	struct spawn_opts spawn = { 0 };
	uint64_t timeout = o->timeout_ns ? o->timeout_ns : ROUTES_FLASK_TIMEOUT_NS;
	uint64_t deadline = time__mono_ns() + timeout;
	size_t len = 0, cap = 0, errlen_now = 0;
	struct child child;
	bool over = false, timed_out = false;
	int rc;

	*out = NULL;
	if (o->python) {
		snprintf(interp, sizeof(interp), "%s", o->python);
	} else if (routes_learn__interpreter(o->cmd, interp, sizeof(interp))) {
		/* Not a Python command line we can read: python3 from PATH, said. */
		snprintf(interp, sizeof(interp), "python3");
		pr_info("--routes-from flask: %s is not python nor a Python script; asking python3",
			o->cmd && o->cmd[0] ? o->cmd[0] : "the command");
	}
	if (o->spawn)
		spawn = *o->spawn;
	spawn.cgroup_procs = NULL;
	supervisor__init(&child);
	rc = supervisor__spawn(&child, argv, &spawn);
	if (rc) {
		snprintf(err, errlen, "cannot run %s: %s", interp, strerror(-rc));
		return rc;
	}
	/* Until both pipes are closed and the child has exited, or the deadline. */
	for (;;) {
		struct pollfd pf[3] = { { .fd = child.out_fd, .events = POLLIN },
					{ .fd = child.err_fd, .events = POLLIN },
					{ .fd = child.pidfd, .events = POLLIN } };
		uint64_t now = time__mono_ns();
		int n, i;

		if (child.out_fd < 0 && child.err_fd < 0 &&
		    (child.pidfd < 0 || poll(&pf[2], 1, 0) == 1))
			break;
		if (now >= deadline) {
			timed_out = true;
			break;
		}
		n = poll(pf, 3, (int)((deadline - now) / 1000000 + 1));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		for (i = 0; i < 2; i++) {
			int *fd = i ? &child.err_fd : &child.out_fd;
			ssize_t r;

			if (*fd < 0 || !(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			r = read(*fd, buf, sizeof(buf));
			if (r < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (r <= 0) {
				close(*fd);
				*fd = -1;
				continue;
			}
			if (!i) {
				over |= !grow_append(out, &len, &cap, buf, (size_t)r, FLASK_MAX_OUTPUT);
			} else {
				/* Keep the end of stderr: the error is at the end of a traceback. */
				size_t keep = (size_t)r > FLASK_ERR_KEEP ? FLASK_ERR_KEEP : (size_t)r;
				size_t room = FLASK_ERR_KEEP - keep;

				if (errlen_now > room) {
					memmove(errtail, errtail + errlen_now - room, room);
					errlen_now = room;
				}
				memcpy(errtail + errlen_now, buf + r - keep, keep);
				errlen_now += keep;
				errtail[errlen_now] = '\0';
			}
		}
		if (over)
			break;
	}
	if (timed_out || over)
		supervisor__signal(&child, SIGKILL);
	/* Reap it (the kill above, or it ends on its own once its pipes closed). */
	while (waitpid(child.pid, &rc, 0) < 0 && errno == EINTR)
		;
	kill(-child.pid, SIGKILL); /* anything it left in its process group */
	if (child.out_fd >= 0)
		close(child.out_fd);
	if (child.err_fd >= 0)
		close(child.err_fd);
	if (child.pidfd >= 0)
		close(child.pidfd);
	if (timed_out) {
		snprintf(err, errlen, "%s did not list the routes within %llu s", interp,
			 (unsigned long long)(timeout / NSEC_PER_SEC));
		goto fail;
	}
	if (over) {
		snprintf(err, errlen, "%s listed more than %u bytes of routes", interp, FLASK_MAX_OUTPUT);
		goto fail;
	}
	if (!WIFEXITED(rc) || WEXITSTATUS(rc)) {
		last_line(errtail, line, sizeof(line));
		if (WIFSIGNALED(rc))
			snprintf(err, errlen, "%s was killed by signal %d", interp, WTERMSIG(rc));
		else
			snprintf(err, errlen, "%s exited with %d: %s", interp, WEXITSTATUS(rc),
				 line[0] ? line : "(nothing on stderr)");
		goto fail;
	}
	if (!*out) {
		snprintf(err, errlen, "%s listed nothing", interp);
		goto fail;
	}
	return 0;
fail:
	free(*out);
	*out = NULL;
	return -EIO;
}

static bool jbool(struct json_object *o, const char *key, bool dflt)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && v ? json_object_get_boolean(v) : dflt;
}

/* One JSON value of a defaults dict as a pyval. */
static int json_pyval(struct json_object *v, struct pyval *out)
{
	memset(out, 0, sizeof(*out));
	switch (json_object_get_type(v)) {
	case json_type_boolean:
		out->kind = PV_BOOL;
		out->i = json_object_get_boolean(v);
		return 0;
	case json_type_int:
		out->kind = PV_INT;
		out->i = json_object_get_int64(v);
		return 0;
	case json_type_double:
		out->kind = PV_FLOAT;
		out->f = json_object_get_double(v);
		return 0;
	case json_type_string:
		out->kind = PV_STR;
		out->s = strdup(json_object_get_string(v));
		out->slen = out->s ? strlen(out->s) : 0;
		return out->s ? 0 : -ENOMEM;
	default:
		return -EINVAL;
	}
}

/* One line of the listing into a decl. 0, -EINVAL (not a rule line), -ENOMEM. */
static int parse_rule_line(struct json_object *o, struct route_decl *d)
{
	struct json_object *rule, *ep, *methods, *defaults;
	size_t i, n;

	memset(d, 0, sizeof(*d));
	d->defaults.kind = PV_NONE;
	if (!json_object_object_get_ex(o, "rule", &rule) || !json_object_is_type(rule, json_type_string) ||
	    !json_object_object_get_ex(o, "methods", &methods) ||
	    !json_object_is_type(methods, json_type_array))
		return -EINVAL;
	d->rule = strdup(json_object_get_string(rule));
	if (json_object_object_get_ex(o, "endpoint", &ep) && json_object_is_type(ep, json_type_string))
		d->endpoint = strdup(json_object_get_string(ep));
	d->file = strdup("Flask's url_map");
	n = json_object_array_length(methods);
	d->methods = calloc(n + 1, sizeof(*d->methods));
	if (!d->rule || !d->file || !d->methods)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		const char *m = json_object_get_string(json_object_array_get_idx(methods, i));

		d->methods[d->nmethods] = strdup(m ? m : "GET");
		if (!d->methods[d->nmethods++])
			return -ENOMEM;
	}
	if (json_object_object_get_ex(o, "defaults", &defaults) &&
	    json_object_is_type(defaults, json_type_object) && json_object_object_length(defaults)) {
		size_t k = 0;

		d->defaults.kind = PV_DICT;
		d->defaults.items = calloc(2 * (size_t)json_object_object_length(defaults),
					   sizeof(*d->defaults.items));
		if (!d->defaults.items)
			return -ENOMEM;
		json_object_object_foreach(defaults, key, val) {
			struct pyval *kv = &d->defaults.items[2 * k];

			kv->kind = PV_STR;
			kv->s = strdup(key);
			kv->slen = kv->s ? strlen(kv->s) : 0;
			if (!kv->s || json_pyval(val, kv + 1) == -ENOMEM)
				return -ENOMEM;
			k++;
			d->defaults.n = k;
		}
	}
	d->strict_slashes = jbool(o, "strict_slashes", true);
	d->merge_slashes = jbool(o, "merge_slashes", true);
	d->build_only = jbool(o, "build_only", false);
	d->redirects = jbool(o, "redirects", false);
	d->alias = jbool(o, "alias", false);
	d->other_host = jbool(o, "other_host", false);
	return 0;
}

/* The listing (JSON lines, ending with {"end": true}) into decls. */
static int parse_listing(char *text, struct route_decls *decls, char *err, size_t errlen)
{
	char *line, *save = NULL;
	bool end = false;
	int rc = 0;

	for (line = strtok_r(text, "\n", &save); line && !rc; line = strtok_r(NULL, "\n", &save)) {
		struct json_object *o = json_tokener_parse(line);
		struct route_decl *g;

		if (!o || !json_object_is_type(o, json_type_object)) {
			json_object_put(o);
			snprintf(err, errlen, "unreadable line in Flask's listing");
			return -EINVAL;
		}
		if (jbool(o, "end", false)) {
			end = true;
			json_object_put(o);
			break;
		}
		g = realloc(decls->v, (decls->n + 1) * sizeof(*g));
		if (!g) {
			json_object_put(o);
			return -ENOMEM;
		}
		decls->v = g;
		rc = parse_rule_line(o, &decls->v[decls->n]);
		decls->n++; /* freed with the rest, even half filled */
		json_object_put(o);
		if (rc == -EINVAL)
			snprintf(err, errlen, "a rule of Flask's listing lacks its rule or methods");
	}
	if (!rc && !end) {
		snprintf(err, errlen, "Flask's listing ended early");
		rc = -EINVAL;
	}
	return rc;
}

/* Add the operator's extra rules; a malformed one is said and skipped. */
static void add_extra(const struct routes_learn_opts *o, struct route_decls *decls)
{
	char err[256];
	int i;

	for (i = 0; i < o->n_extra; i++)
		if (routes__add_extra(decls, o->extra[i], "extra_routes", i + 1, err, sizeof(err)))
			pr_warn("extra_routes: %s; skipped", err);
}

static struct routes *from_flask(const struct routes_learn_opts *o, bool extra, char *err,
				 size_t errlen)
{
	struct route_decls decls = { 0 };
	struct routes *r = NULL;
	char *text;
	int rc;

	if (!o->source) {
		snprintf(err, errlen, "no Flask source to import");
		errno = EINVAL;
		return NULL;
	}
	rc = run_flask(o, &text, err, errlen);
	if (rc) {
		errno = -rc;
		return NULL;
	}
	rc = parse_listing(text, &decls, err, errlen);
	free(text);
	if (!rc) {
		if (extra)
			add_extra(o, &decls);
		r = routes__build(&decls, err, errlen);
	} else if (rc == -ENOMEM) {
		snprintf(err, errlen, "out of memory");
	}
	routes_extract__free(&decls);
	if (!r && !rc)
		rc = -errno;
	if (!r)
		errno = -rc;
	return r;
}

struct routes *routes_learn__flask(const struct routes_learn_opts *o, char *err, size_t errlen)
{
	return from_flask(o, false, err, errlen);
}

struct routes *routes_learn__load(const struct routes_learn_opts *o, char *how, size_t howlen,
				  char *err, size_t errlen)
{
	struct route_decls decls = { 0 };
	struct routes *r;
	char why[512];
	int rc;

	if (o->from_flask) {
		r = from_flask(o, true, why, sizeof(why));
		if (r) {
			snprintf(how, howlen, "Flask's url_map");
			return r;
		}
		pr_warn("--routes-from flask: %s; learning the routes from the source instead", why);
	}
	snprintf(how, howlen, "the source");
	if (!o->source) {
		snprintf(err, errlen, "no Flask source given");
		errno = EINVAL;
		return NULL;
	}
	rc = routes_extract__path(o->source, &decls, err, errlen);
	if (rc) {
		errno = -rc;
		return NULL;
	}
	add_extra(o, &decls);
	r = routes__build(&decls, err, errlen);
	rc = errno;
	routes_extract__free(&decls);
	errno = rc;
	return r;
}
