// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* health.c - /z/health, /z/info, /z/version, /metrics and their aliases, over a snapshot of warden's state. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <json-c/json.h>

#include "cli.h"
#include "fleet.h"
#include "health.h"
#include "http.h"
#include "metrics.h"
#include "warden_metrics.h"

#define JSON_TYPE "application/json"
#define TEXT_TYPE "text/plain; charset=utf-8"

struct health {
	health_state_fn state_fn;
	void *state_ctx;
	struct warden_metrics *metrics; /* borrowed; NULL: no /metrics */
	health_metrics_fn metrics_fn;
	void *metrics_ctx;
};

/* ---- helpers ---- */

/* A JSON string of s, made valid UTF-8 first (argv and paths are bytes); null for NULL. */
static struct json_object *jstr(const char *s)
{
	struct json_object *o;
	char *clean;

	if (!s)
		return NULL;
	clean = metrics__utf8_clean(s, 4096);
	if (!clean)
		return NULL;
	o = json_object_new_string(clean);
	free(clean);
	return o;
}

static void json_reply(struct http_reply *out, int status, struct json_object *o)
{
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							      JSON_C_TO_STRING_NOSLASHESCAPE);

	out->status = status;
	out->content_type = JSON_TYPE;
	if (text && asprintf(&out->body, "%s\n", text) >= 0) {
		out->len = strlen(out->body);
	} else {
		out->body = NULL;
		out->status = 500;
	}
	json_object_put(o);
}

static void snapshot(const struct health *h, struct health_state *st)
{
	memset(st, 0, sizeof(*st));
	st->listening = -1;
	h->state_fn(st, h->state_ctx);
}

static double seconds(uint64_t ns)
{
	return (double)ns / 1e9;
}

/* ---- readiness ---- */

static bool starting(const struct health_state *st)
{
	if (st->child != HEALTH_CHILD_RUNNING || st->requests_since_start)
		return false;
	if (st->listening >= 0)
		return st->listening == 0;
	return st->uptime_ns < HEALTH_START_GRACE_NS;
}

bool health__ready(const struct health_state *st, const char **state, const char **reason)
{
	const char *s = NULL, *why = NULL;

	if (st->child == HEALTH_CHILD_RESTARTING) {
		s = "restarting";
		why = "the app exited and is being restarted";
	} else if (st->child == HEALTH_CHILD_STOPPED) {
		s = "stopped";
		why = "the app is not running";
	} else if (st->hung) {
		s = "hung";
		why = st->hung_reason ? st->hung_reason : "the app stopped answering";
	} else if (starting(st)) {
		s = "starting";
		why = "the app is starting: no request served and no listening socket yet";
	}
	if (state)
		*state = s;
	if (reason)
		*reason = why;
	return !s;
}

/* ---- /z/health ---- */

enum status { ST_UP, ST_DOWN, ST_UNKNOWN };

static const char *status_name(enum status s)
{
	return s == ST_UP ? "UP" : s == ST_DOWN ? "DOWN" : "UNKNOWN";
}

static struct json_object *component(enum status s, struct json_object *details)
{
	struct json_object *c = json_object_new_object();

	json_object_object_add(c, "status", json_object_new_string(status_name(s)));
	json_object_object_add(c, "details", details);
	return c;
}

static enum status check_child(const struct health_state *st, struct json_object *d)
{
	static const char *const names[] = {
		[HEALTH_CHILD_RUNNING] = "running",
		[HEALTH_CHILD_RESTARTING] = "restarting",
		[HEALTH_CHILD_STOPPED] = "stopped",
		[HEALTH_CHILD_NONE] = "none (node agent)",
	};
	bool running = st->child == HEALTH_CHILD_RUNNING;

	json_object_object_add(d, "state", json_object_new_string(
						   starting(st) ? "starting" :
						   st->child <= HEALTH_CHILD_NONE ? names[st->child] : "?"));
	json_object_object_add(d, "pid", running && st->pid ? json_object_new_int(st->pid) : NULL);
	json_object_object_add(d, "uptime_seconds",
			       running ? json_object_new_double(seconds(st->uptime_ns)) : NULL);
	json_object_object_add(d, "restarts", json_object_new_int64((int64_t)st->restarts));
	if (st->child == HEALTH_CHILD_NONE)
		return ST_UNKNOWN;
	return running ? ST_UP : ST_DOWN;
}

static enum status check_hang(const struct health_state *st, struct json_object *d)
{
	json_object_object_add(d, "hung", json_object_new_boolean(st->hung));
	json_object_object_add(d, "hangs", json_object_new_int64((int64_t)st->hangs));
	json_object_object_add(d, "in_flight", json_object_new_int64(st->in_flight));
	if (st->hung) {
		json_object_object_add(d, "reason", jstr(st->hung_reason ? st->hung_reason
									 : "the app stopped answering"));
		return ST_DOWN;
	}
	return st->child == HEALTH_CHILD_RUNNING ? ST_UP : ST_UNKNOWN;
}

static enum status check_xdp(const struct health_state *st, struct json_object *d)
{
	struct json_object *ifaces = json_object_new_array();
	int i;

	for (i = 0; st->ifaces && i < st->n_ifaces; i++)
		json_object_array_add(ifaces, jstr(st->ifaces[i]));
	json_object_object_add(d, "attached", json_object_new_boolean(st->xdp == HEALTH_XDP_ATTACHED));
	json_object_object_add(d, "interfaces", ifaces);
	json_object_object_add(d, "how", jstr(st->xdp_how));
	json_object_object_add(d, "dry_run", json_object_new_boolean(st->dry_run));
	json_object_object_add(d, "enforced", json_object_new_boolean(
						      st->xdp == HEALTH_XDP_ATTACHED ||
						      st->xdp == HEALTH_XDP_ELSEWHERE));
	switch (st->xdp) {
	case HEALTH_XDP_ATTACHED:
		return ST_UP;
	case HEALTH_XDP_ELSEWHERE:
		json_object_object_add(d, "reason", jstr("no --iface: the maps are enforced by "
							  "a program attached elsewhere"));
		return ST_UP;
	case HEALTH_XDP_FAILED:
		return ST_DOWN;
	case HEALTH_XDP_NOWHERE:
		/* Protection is off and nobody asked for it to be: DOWN, though the app serves. */
		json_object_object_add(d, "reason", jstr("nothing enforces the bans: no --iface "
							  "and the ban program is attached nowhere"));
		return ST_DOWN;
	default:
		json_object_object_add(d, "reason", jstr("dry-run: bans are only logged"));
		return ST_UNKNOWN;
	}
}

static enum status check_watcher(const struct health_state *st, struct json_object *d)
{
	json_object_object_add(d, "backend", jstr(st->watcher_backend));
	json_object_object_add(d, "in_flight", json_object_new_int64(st->in_flight));
	json_object_object_add(d, "listening", json_object_new_int(st->listening));
	return st->watcher_backend ? ST_UP : ST_UNKNOWN;
}

/* Fewer responses than this with no access line is not yet a sign of a wrong log format. */
#define LOG_SUSPECT_RESPONSES 10

static enum status check_log(const struct health_state *st, struct json_object *d)
{
	json_object_object_add(d, "lines", json_object_new_int64((int64_t)st->lines));
	json_object_object_add(d, "access_lines", json_object_new_int64((int64_t)st->access_lines));
	json_object_object_add(d, "last_access_age_seconds",
			       st->access_lines ? json_object_new_double(seconds(st->last_access_age_ns))
						: NULL);
	if (st->n_jails) {
		/* Each jail by name: which of them reads lines, fails clients, bans. */
		struct json_object *jails = json_object_new_object();
		size_t i;

		for (i = 0; i < st->n_jails; i++) {
			struct json_object *j = json_object_new_object();

			json_object_object_add(j, "lines", json_object_new_int64((int64_t)st->jails[i].lines));
			json_object_object_add(j, "failures",
					       json_object_new_int64((int64_t)st->jails[i].failures));
			json_object_object_add(j, "bans", json_object_new_int64((int64_t)st->jails[i].bans));
			json_object_object_add(jails, st->jails[i].name, j);
		}
		json_object_object_add(d, "jails", jails);
	}
	if (st->n_unclaimed || st->unclaimed_more) {
		/* Judged by statuses only: the operator should know which. */
		struct json_object *list = json_object_new_array();
		size_t i;

		for (i = 0; i < st->n_unclaimed; i++)
			json_object_array_add(list, json_object_new_string(st->unclaimed[i]));
		json_object_object_add(d, "unclaimed_logs", list);
		json_object_object_add(d, "unclaimed_logs_more",
				       json_object_new_boolean(st->unclaimed_more));
	}
	if (st->access_lines)
		return ST_UP;
	if (st->responses >= LOG_SUSPECT_RESPONSES) {
		/* The app answers but warden reads none of it: nobody is being protected. */
		json_object_object_add(d, "reason",
				       json_object_new_string(
					       "the app answered requests but no access line was "
					       "parsed: check --log-format and where the app logs"));
		return ST_DOWN;
	}
	json_object_object_add(d, "reason", json_object_new_string("no access line yet"));
	return ST_UNKNOWN;
}

static enum status check_fleet(const struct health_state *st, struct json_object *d)
{
	const struct fleet_stats *f = st->fleet;
	struct json_object *refused;
	int i;

	if (!f) {
		json_object_object_add(d, "reason", jstr("no fleet configured (--fleet)"));
		return ST_UNKNOWN;
	}
	refused = json_object_new_object();
	for (i = 0; i < FLEET_REFUSE__COUNT; i++)
		json_object_object_add(refused, fleet_refusal__name(i),
				       json_object_new_int64((int64_t)f->refused[i]));
	json_object_object_add(d, "redis", jstr(st->fleet_url));
	json_object_object_add(d, "connected", json_object_new_boolean(f->connected));
	json_object_object_add(d, "published", json_object_new_int64((int64_t)f->published));
	json_object_object_add(d, "received", json_object_new_int64((int64_t)f->received));
	json_object_object_add(d, "applied", json_object_new_int64((int64_t)f->applied));
	json_object_object_add(d, "refused", refused);
	json_object_object_add(d, "pending", json_object_new_int64((int64_t)f->pending));
	json_object_object_add(d, "dropped", json_object_new_int64((int64_t)f->dropped));
	json_object_object_add(d, "last_lag_seconds", json_object_new_double(f->last_lag_s));
	json_object_object_add(d, "last_id", jstr(f->last_id));
	if (f->connected)
		return ST_UP;
	/* Local detection and enforcement go on; the fleet's bans and ours wait. */
	json_object_object_add(d, "reason", jstr(f->last_error[0] ? f->last_error : "connecting"));
	return ST_DOWN;
}

static void on_health(const struct http_request *req, struct http_reply *out, void *ctx)
{
	static const struct {
		const char *name;
		enum status (*check)(const struct health_state *, struct json_object *);
	} checks[] = {
		{ "child", check_child }, { "hang", check_hang }, { "xdp", check_xdp },
		{ "watcher", check_watcher }, { "log", check_log }, { "fleet", check_fleet },
	};
	struct json_object *o = json_object_new_object(), *comps = json_object_new_object();
	struct health_state st;
	bool down = false;
	size_t i;

	(void)req;
	snapshot(ctx, &st);
	for (i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		struct json_object *details = json_object_new_object();
		enum status s = checks[i].check(&st, details);

		down |= s == ST_DOWN;
		json_object_object_add(comps, checks[i].name, component(s, details));
	}
	/* Spring Boot's aggregation: any DOWN is DOWN; UNKNOWN does not count. */
	json_object_object_add(o, "status", json_object_new_string(down ? "DOWN" : "UP"));
	json_object_object_add(o, "components", comps);
	json_reply(out, down ? 503 : 200, o);
}

static void on_liveness(const struct http_request *req, struct http_reply *out, void *ctx)
{
	struct json_object *o = json_object_new_object();

	(void)req;
	(void)ctx;
	/* Answering at all is the proof: the event loop turns. */
	json_object_object_add(o, "status", json_object_new_string("UP"));
	json_reply(out, 200, o);
}

static void on_readiness(const struct http_request *req, struct http_reply *out, void *ctx)
{
	struct json_object *o = json_object_new_object();
	struct health_state st;
	const char *state, *reason;
	bool ready;

	(void)req;
	snapshot(ctx, &st);
	ready = health__ready(&st, &state, &reason);
	json_object_object_add(o, "status", json_object_new_string(ready ? "UP" : "OUT_OF_SERVICE"));
	if (!ready) {
		json_object_object_add(o, "state", json_object_new_string(state));
		json_object_object_add(o, "reason", jstr(reason));
	}
	json_reply(out, ready ? 200 : 503, o);
}

/* ---- /z/info and /z/version ---- */

static void on_info(const struct http_request *req, struct http_reply *out, void *ctx)
{
	struct json_object *o = json_object_new_object(), *warden = json_object_new_object();
	struct json_object *app = json_object_new_object(), *kernel = json_object_new_object();
	struct json_object *cmd = json_object_new_array(), *features = json_object_new_array();
	char commit[72] = "", branch[256] = "";
	struct health_state st;
	struct utsname u;
	size_t i;

	(void)req;
	snapshot(ctx, &st);
	json_object_object_add(warden, "version", json_object_new_string(WARDEN_VERSION));
	json_object_object_add(warden, "pid", json_object_new_int((int)getpid()));

	for (i = 0; st.cmd && st.cmd[i]; i++)
		json_object_array_add(cmd, jstr(st.cmd[i]));
	json_object_object_add(app, "command", cmd);
	json_object_object_add(app, "directory", jstr(st.app_dir));
	/* The app's version is the commit of its checkout, read afresh: a deploy changes it. */
	if (st.app_dir && !health__git_commit(st.app_dir, commit, sizeof(commit), branch,
					      sizeof(branch))) {
		struct json_object *git = json_object_new_object();

		json_object_object_add(app, "version", json_object_new_string(commit));
		json_object_object_add(git, "commit", json_object_new_string(commit));
		json_object_object_add(git, "branch", branch[0] ? jstr(branch) : NULL);
		json_object_object_add(app, "git", git);
	} else {
		json_object_object_add(app, "version", NULL);
	}

	json_object_object_add(kernel, "release", uname(&u) == 0 ? jstr(u.release) : NULL);
	for (i = 0; st.features && i < st.n_features; i++)
		json_object_array_add(features, jstr(st.features[i]));
	json_object_object_add(kernel, "features", features);

	json_object_object_add(o, "warden", warden);
	json_object_object_add(o, "app", app);
	json_object_object_add(o, "kernel", kernel);
	json_reply(out, 200, o);
}

static void on_version(const struct http_request *req, struct http_reply *out, void *ctx)
{
	(void)req;
	(void)ctx;
	out->status = 200;
	out->content_type = TEXT_TYPE;
	out->body = strdup(WARDEN_VERSION "\n");
	out->len = out->body ? strlen(out->body) : 0;
}

/* ---- /metrics ---- */

static void on_metrics(const struct http_request *req, struct http_reply *out, void *ctx)
{
	struct health *h = ctx;
	struct health_state st;

	(void)req;
	snapshot(h, &st);
	wmetrics__set_child(h->metrics, st.child == HEALTH_CHILD_RUNNING, st.restarts, st.hangs);
	wmetrics__set_watcher(h->metrics, st.watcher_backend, st.in_flight);
	if (h->metrics_fn)
		h->metrics_fn(h->metrics, h->metrics_ctx);
	out->body = wmetrics__render(h->metrics, &out->len);
	out->status = out->body ? 200 : 500;
	out->content_type = METRICS_CONTENT_TYPE;
}

/* ---- registration ---- */

struct health *health__register(struct http_server *s, health_state_fn fn, void *ctx,
				struct warden_metrics *m)
{
	/* Probes need no token; /z/info shows the app's command line, so it does. */
	static const struct {
		const char *path;
		http_handler_fn fn;
		bool public;
	} routes[] = {
		{ "/z/health", on_health, true },
		{ "/z/health/liveness", on_liveness, true },
		{ "/z/health/ping", on_liveness, true },
		{ "/z/health/readiness", on_readiness, true },
		{ "/livez", on_liveness, true },
		{ "/readyz", on_readiness, true },
		{ "/z/info", on_info, false },
		{ "/z/version", on_version, true },
	};
	struct health *h;
	size_t i;
	int err;

	if (!s || !fn) {
		errno = EINVAL;
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->state_fn = fn;
	h->state_ctx = ctx;
	h->metrics = m;
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		err = routes[i].public ? http__route_public(s, routes[i].path, false, routes[i].fn, h)
				       : http__route(s, routes[i].path, false, routes[i].fn, h);
		if (err)
			goto fail;
	}
	if (m) {
		/* Counts by route rule and verdict: no client address. */
		err = http__route_public(s, "/metrics", false, on_metrics, h);
		if (err)
			goto fail;
	}
	return h;
fail:
	/* Routes already added point at h: the server must not be used any more. */
	free(h);
	errno = -err;
	return NULL;
}

void health__free(struct health *h)
{
	free(h);
}

void health__set_metrics_hook(struct health *h, health_metrics_fn fn, void *ctx)
{
	if (!h)
		return;
	h->metrics_fn = fn;
	h->metrics_ctx = ctx;
}

/* ---- the app's git commit ---- */

/* The first line of a small file, without its line end. 0 or -errno. */
static int read_line(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd, err;
	char *nl;

	/* O_NONBLOCK: a FIFO planted where a ref should be must not stall the event loop. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	err = -errno;
	close(fd);
	if (n < 0)
		return err;
	buf[n] = '\0';
	nl = strpbrk(buf, "\r\n");
	if (nl)
		*nl = '\0';
	return 0;
}

/* dir + "/" + name into out. 0 or -ENAMETOOLONG. */
static int join(char *out, size_t len, const char *dir, const char *name)
{
	int n = snprintf(out, len, "%s%s%s", dir,
			 dir[0] && dir[strlen(dir) - 1] == '/' ? "" : "/", name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* A path read from a git file: absolute as is, else relative to base. */
static int resolve(char *out, size_t len, const char *base, const char *path)
{
	int n;

	if (path[0] == '/')
		n = snprintf(out, len, "%s", path);
	else
		return join(out, len, base, path);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static bool is_hex_id(const char *s)
{
	size_t n = strspn(s, "0123456789abcdef");

	return (n == 40 || n == 64) && s[n] == '\0';
}

/* A ref name safe to use as a path under the git folder. */
static bool safe_ref(const char *ref)
{
	const char *p;

	if (strncmp(ref, "refs/", 5) || strlen(ref) > 255 || strstr(ref, "..") ||
	    strstr(ref, "//") || strstr(ref, "/.") || ref[strlen(ref) - 1] == '/')
		return false;
	for (p = ref; *p; p++)
		if ((unsigned char)*p < 0x21 || *p == 0x7f || *p == '\\' || *p == ':' || *p == '?' ||
		    *p == '*' || *p == '[' || *p == '~' || *p == '^')
			return false;
	return true;
}

/* The .git folder of the work tree holding dir. 0, -ENOENT or -errno. */
static int find_gitdir(const char *dir, char *gitdir, size_t len)
{
	char cur[PATH_MAX], dotgit[PATH_MAX], line[PATH_MAX];
	struct stat sb;
	char *slash;
	int err;

	if (!realpath(dir, cur))
		return -errno;
	for (;;) {
		err = join(dotgit, sizeof(dotgit), cur, ".git");
		if (err)
			return err;
		if (stat(dotgit, &sb) == 0) {
			if (S_ISDIR(sb.st_mode))
				return resolve(gitdir, len, cur, dotgit);
			/* A worktree or submodule: ".git" is a file "gitdir: PATH". */
			if (S_ISREG(sb.st_mode)) {
				err = read_line(dotgit, line, sizeof(line));
				if (err)
					return err;
				if (strncmp(line, "gitdir: ", 8) || !line[8])
					return -EINVAL;
				return resolve(gitdir, len, cur, line + 8);
			}
		}
		if (!strcmp(cur, "/"))
			return -ENOENT;
		slash = strrchr(cur, '/');
		if (slash == cur)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
}

/* ref's id from packed-refs in gitdir. 0 or -ENOENT. */
static int packed_ref(const char *gitdir, const char *ref, char *id, size_t len)
{
	char path[PATH_MAX], line[512];
	bool whole = true;
	FILE *f;
	int fd, err = -ENOENT;

	if (join(path, sizeof(path), gitdir, "packed-refs"))
		return -ENOENT;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -ENOENT;
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return -ENOENT;
	}
	while (fgets(line, sizeof(line), f)) {
		size_t n = strlen(line);
		bool starts = whole;

		/* Only lines read from their start count; the rest of an over-long one does not. */
		whole = n && line[n - 1] == '\n';
		if (!starts)
			continue;
		line[strcspn(line, "\r\n")] = '\0';
		/* "<id> <ref>"; '#' is the header, '^' the peeled id of a tag. */
		if (line[0] == '#' || line[0] == '^')
			continue;
		n = strcspn(line, " ");
		if (line[n] != ' ' || strcmp(line + n + 1, ref) || n >= len)
			continue;
		line[n] = '\0';
		if (!is_hex_id(line))
			continue;
		snprintf(id, len, "%s", line);
		err = 0;
		break;
	}
	fclose(f);
	return err;
}

int health__git_commit(const char *dir, char *commit, size_t commit_len, char *branch,
		       size_t branch_len)
{
	char gitdir[PATH_MAX], common[PATH_MAX], path[PATH_MAX], line[512], ref[512];
	int err, depth;

	if (commit_len)
		commit[0] = '\0';
	if (branch_len)
		branch[0] = '\0';
	if (!dir || !*dir)
		return -ENOENT;
	err = find_gitdir(dir, gitdir, sizeof(gitdir));
	if (err)
		return err;
	/* Worktrees keep HEAD in their own folder and the refs in the common one. */
	err = join(path, sizeof(path), gitdir, "commondir");
	if (err)
		return err;
	if (read_line(path, line, sizeof(line)) == 0 && line[0]) {
		err = resolve(common, sizeof(common), gitdir, line);
		if (err)
			return err;
	} else {
		snprintf(common, sizeof(common), "%s", gitdir);
	}
	err = join(path, sizeof(path), gitdir, "HEAD");
	if (err)
		return err;
	err = read_line(path, line, sizeof(line));
	if (err)
		return err == -ENOENT ? -EINVAL : err;
	/* Follow symbolic refs a few levels: HEAD -> refs/heads/main -> id. */
	for (depth = 0; depth < 5; depth++) {
		if (is_hex_id(line)) {
			if (strlen(line) >= commit_len)
				return -ENAMETOOLONG;
			snprintf(commit, commit_len, "%s", line);
			return 0;
		}
		if (strncmp(line, "ref: ", 5))
			return -EINVAL;
		snprintf(ref, sizeof(ref), "%s", line + 5);
		if (!safe_ref(ref))
			return -EINVAL;
		if (depth == 0 && !strncmp(ref, "refs/heads/", 11))
			snprintf(branch, branch_len, "%s", ref + 11);
		/* Loose refs: the worktree's own first (refs/bisect ...), then the common ones. */
		if ((join(path, sizeof(path), gitdir, ref) || read_line(path, line, sizeof(line))) &&
		    (join(path, sizeof(path), common, ref) || read_line(path, line, sizeof(line)))) {
			/* Not loose: packed, or a branch with no commit yet. */
			if (packed_ref(common, ref, line, sizeof(line)))
				return -ENOENT;
		}
	}
	return -EINVAL;
}
