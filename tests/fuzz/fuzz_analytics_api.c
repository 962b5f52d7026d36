// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * fuzz_analytics_api.c - the analytics API's requests: "ENDPOINT?QUERY"
 * becomes /api/ENDPOINT with its arguments decoded as libmicrohttpd hands
 * them to the handler ("+" is a blank, %XX a byte, the first of a repeated
 * name wins), answered from a database with a little traffic in it. The
 * input also goes through http__parse_addr (the --http listener address).
 *
 * Properties: the answer is 0, 400 (-EINVAL) or 404 (-ENOENT), never a
 * database error (arguments reach SQLite bound, not spliced); it is one
 * JSON object of the length returned, with "error" exactly when the call
 * failed; a request without arguments is never refused; an address taken
 * by http__parse_addr has a port and a family, and its printed form reads
 * back the same.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <json-c/json.h>
#include <netinet/in.h>

#include "analytics.h"
#include "analytics_api.h"
#include "fuzz.h"
#include "http.h"

#define NOW 1795234705 /* 2026-11-21T04:18:25Z */
#define MAX_ARGS 32

static struct analytics *an;
static struct analytics_api *api; /* an, as the default app */
static char dir[256]; /* under $TMPDIR (tests/fuzz/run.sh gives each run its own) */

static void cleanup(void)
{
	char cmd[300];

	analytics_api__free(api);
	analytics__close(an);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		dprintf(fuzz_report_fd, "fuzz_analytics_api: could not remove %s\n", dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const routes[] = { "/", "/items/<int:item_id>", "/login", NULL };
	const char *tmp = getenv("TMPDIR");
	char err[512];
	struct prefix p = { .family = 4, .prefixlen = 32, .addr = { 192, 0, 2, 1 } };
	int i;

	(void)argc;
	(void)argv;
	snprintf(dir, sizeof(dir), "%s/warden-fuzz-analytics.XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		abort();
	an = analytics__open(dir, 0, err, sizeof(err));
	if (!an) {
		dprintf(fuzz_report_fd, "analytics__open: %s\n", err);
		exit(1);
	}
	atexit(cleanup);
	analytics__set_version(an, "aaaa");
	for (i = 0; i < 200; i++) {
		p.addr[3] = (uint8_t)(1 + i % 5);
		analytics__record(an, routes[i % 4], i % 3 ? "GET" : "POST", i % 7 ? 200 : 404, &p,
				  0.01 * (i % 13) + (i == 150 ? 3.0 : 0), "/items/7?x=1", 12,
				  NOW - (time_t)(i * 1800));
	}
	if (analytics__flush(an, NOW))
		abort();
	api = analytics_api__new();
	if (!api || analytics_api__add_app(api, "", an))
		abort();
	return 0;
}

struct args {
	char *name[MAX_ARGS], *value[MAX_ARGS];
	int n;
};

static const char *get_arg(void *ctx, const char *name)
{
	struct args *a = ctx;
	int i;

	for (i = 0; i < a->n; i++)
		if (!strcmp(a->name[i], name))
			return a->value[i];
	return NULL;
}

static int hexv(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* In place, as libmicrohttpd unescapes arguments; a NUL (%00) ends the string. */
static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (*s == '+') {
			*o++ = ' ';
		} else if (*s == '%' && hexv(s[1]) >= 0 && hexv(s[2]) >= 0) {
			*o++ = (char)(hexv(s[1]) << 4 | hexv(s[2]));
			s += 2;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

static void check_parse_addr(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), back[INET6_ADDRSTRLEN + 16], ip[INET6_ADDRSTRLEN], err[256];
	struct sockaddr_storage ss, ss2;
	socklen_t len, len2;

	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	if (http__parse_addr(text, &ss, &len, err, sizeof(err)) == 0) {
		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *in = (struct sockaddr_in *)&ss;

			inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
			snprintf(back, sizeof(back), "%s:%u", ip, ntohs(in->sin_port));
		} else {
			struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

			FUZZ_CHECK(ss.ss_family == AF_INET6, "family %d", ss.ss_family);
			inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
			snprintf(back, sizeof(back), "[%s]:%u", ip, ntohs(in6->sin6_port));
		}
		FUZZ_CHECK(http__parse_addr(back, &ss2, &len2, err, sizeof(err)) == 0 && len == len2 &&
				   !memcmp(&ss, &ss2, len),
			   "\"%s\" printed as \"%s\" does not read back", text, back);
	}
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 6), *q, *tok, *save = NULL, *json;
	struct json_object *o, *e;
	struct args args = { .n = 0 };
	size_t len;
	int rc;

	if (!buf)
		abort();
	memcpy(buf, "/api/", 5);
	memcpy(buf + 5, data, size);
	buf[size + 5] = '\0';
	q = strchr(buf, '?');
	if (q) {
		*q++ = '\0';
		for (tok = strtok_r(q, "&", &save); tok && args.n < MAX_ARGS;
		     tok = strtok_r(NULL, "&", &save)) {
			char *eq = strchr(tok, '=');

			if (eq)
				*eq++ = '\0';
			unescape(tok);
			if (eq)
				unescape(eq);
			args.name[args.n] = tok;
			args.value[args.n++] = eq ? eq : tok + strlen(tok);
		}
	}
	rc = analytics_api__answer(api, buf, get_arg, &args, NOW, &json, &len);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -ENOENT, "%s: %d (%s)", buf, rc,
		   json ? json : "no document");
	FUZZ_CHECK(json && strlen(json) == len, "%s: the document and its length", buf);
	FUZZ_CHECK(rc != -EINVAL || args.n > 0, "%s refused without arguments: %s", buf, json);
	o = json_tokener_parse(json);
	FUZZ_CHECK(o && json_object_is_type(o, json_type_object), "%s: not a JSON object: %s", buf,
		   json);
	FUZZ_CHECK(json_object_object_get_ex(o, "error", &e) == (rc != 0), "%s: %d but %s", buf, rc,
		   json);
	json_object_put(o);
	free(json);
	free(buf);

	check_parse_addr(data, size);
	return 0;
}
