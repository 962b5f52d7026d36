// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* dashboard.c - the analytics over HTTP: the JSON API under /api/ and the dashboard page built into warden. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analytics_api.h"
#include "dashboard.h"
#include "http.h"

struct dashboard {
	struct analytics_api *api; /* borrowed */
	char *index_html;          /* the page with its assets' hash filled in */
	size_t index_len;
};

static const char *req_arg(void *ctx, const char *name)
{
	return http__query_arg(ctx, name);
}

static void api_handler(const struct http_request *req, struct http_reply *out, void *ctx)
{
	struct dashboard *d = ctx;
	char *body;
	size_t len;
	int err = analytics_api__answer(d->api, http__path(req), req_arg, (void *)req, time(NULL),
					&body, &len);

	out->status = !err ? 200 : err == -EINVAL ? 400 : err == -ENOENT ? 404 : 500;
	out->content_type = "application/json";
	out->body = body;
	out->len = len;
	out->cache_control = "no-store";
}

static void reply_copy(struct http_reply *out, int status, const char *type, const void *data,
		       size_t len, const char *cache)
{
	out->body = malloc(len ? len : 1);
	if (!out->body) {
		out->status = 503;
		out->content_type = "text/plain; charset=utf-8";
		out->len = 0;
		return;
	}
	memcpy(out->body, data, len);
	out->status = status;
	out->content_type = type;
	out->len = len;
	out->cache_control = cache;
}

/*
 * The page runs its own scripts and styles and calls /api and /z/health:
 * nothing else, from nowhere else. The server's default policy
 * (default-src 'none') would block all of it.
 */
#define DASHBOARD_CSP                                                                      \
	"default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self';"      \
	" img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

static void page_handler(const struct http_request *req, struct http_reply *out, void *ctx)
{
	struct dashboard *a = ctx;

	(void)req;
	if (!a->index_html) {
		reply_copy(out, 404, "text/plain; charset=utf-8", "no dashboard\n", 13, "no-store");
		return;
	}
	reply_copy(out, 200, "text/html; charset=utf-8", a->index_html, a->index_len, "no-cache");
	out->csp = DASHBOARD_CSP;
}

static void static_handler(const struct http_request *req, struct http_reply *out, void *ctx)
{
	const char *path = http__path(req), *name;
	size_t i;

	(void)ctx;
	name = path && !strncmp(path, "/static/", 8) ? path + 8 : "";
	for (i = 0; i < dashboard_assets_count; i++) {
		const struct dashboard_asset *f = &dashboard_assets[i];

		if (!strcmp(name, f->name) && strcmp(name, "index.html")) {
			/* The page names each file with its content hash: it can be kept for good. */
			reply_copy(out, 200, f->content_type, f->data, f->len,
				   "public, max-age=31536000, immutable");
			return;
		}
	}
	reply_copy(out, 404, "text/plain; charset=utf-8", "not found\n", 10, "no-store");
}

/* The page with every "@@ASSETS_VERSION@@" replaced by the assets' hash. */
static int build_index(struct dashboard *a)
{
	static const char mark[] = "@@ASSETS_VERSION@@";
	const struct dashboard_asset *f = NULL;
	size_t i, vlen = strlen(dashboard_assets_version), n = 0, marks = 0;
	const char *p, *src, *end;
	char *out;

	for (i = 0; i < dashboard_assets_count; i++)
		if (!strcmp(dashboard_assets[i].name, "index.html"))
			f = &dashboard_assets[i];
	if (!f)
		return -ENOENT;
	src = (const char *)f->data;
	end = src + f->len;
	for (p = src; (p = memmem(p, end - p, mark, sizeof(mark) - 1)); p += sizeof(mark) - 1)
		marks++;
	out = malloc(f->len + marks * vlen + 1);
	if (!out)
		return -ENOMEM;
	for (p = src; p < end;) {
		const char *m = memmem(p, end - p, mark, sizeof(mark) - 1);
		size_t chunk = (m ? m : end) - p;

		memcpy(out + n, p, chunk);
		n += chunk;
		if (!m)
			break;
		memcpy(out + n, dashboard_assets_version, vlen);
		n += vlen;
		p = m + sizeof(mark) - 1;
	}
	out[n] = '\0';
	free(a->index_html);
	a->index_html = out;
	a->index_len = n;
	return 0;
}

struct dashboard *dashboard__open(struct http_server *s, struct analytics_api *api)
{
	struct dashboard *d;
	int err;

	if (!s || !api) {
		errno = EINVAL;
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->api = api;
	err = build_index(d);
	if (!err)
		err = http__route(s, "/api/", true, api_handler, d);
	if (!err)
		err = http__route(s, "/", false, page_handler, d);
	if (!err)
		err = http__route(s, "/static/", true, static_handler, d);
	if (err) {
		dashboard__free(d);
		errno = -err;
		return NULL;
	}
	return d;
}

void dashboard__free(struct dashboard *d)
{
	if (!d)
		return;
	free(d->index_html);
	free(d);
}
