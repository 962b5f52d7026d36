// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * fuzz_routes_match.c - hostile request paths against the routes of the
 * test apps (tests/apps/: WARDEN_FUZZ_APPS or the folder of the source tree
 * the fuzzer is run from).
 *
 * Properties: nothing is read past path_len (the path sits in a heap block
 * of exactly its size); the verdict is one of the four, its rule a string
 * of the app; "get" and NULL (GET) agree; and where Werkzeug cannot tell a path from its percent-decoded
 * form, neither can warden: for a path P with no query, fragment or leading
 * "//" whose decoding D is printable ASCII without "%", "?", "#" and without
 * a leading "//", PATH_INFO is D for both requests (Werkzeug unquotes once),
 * so routes__match gives P and D the same verdict and rule. The harness
 * checks it both ways: the input decoded, and the input encoded at places
 * the input chooses.
 */
#include <stdbool.h>

#include "fuzz.h"
#include "routes.h"

static const char *const apps[] = { "routes_edge", "routes_pkg", "routes_single", "routes_static",
				    "routes_nostatic", "dashboard", "e2e" };
#define N_APPS (sizeof(apps) / sizeof(apps[0]))
static const char *const methods[] = { "GET", "POST", "options", "PURGE" };
#define N_METHODS (sizeof(methods) / sizeof(methods[0]))

static struct routes *loaded[N_APPS];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("WARDEN_FUZZ_APPS");
	char path[4096], err[512];
	size_t i;

	(void)argc;
	(void)argv;
	if (!dir)
		dir = "tests/apps";
	for (i = 0; i < N_APPS; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, apps[i]);
		loaded[i] = routes__load(path, err, sizeof(err));
		if (!loaded[i] || routes__count(loaded[i]) == 0) {
			dprintf(fuzz_report_fd, "fuzz_routes_match: %s: %s (run from the source tree "
				"or set WARDEN_FUZZ_APPS)\n", path, loaded[i] ? "no routes" : err);
			exit(1);
		}
	}
	return 0;
}

static bool is_rule_of(const struct routes *r, const char *rule)
{
	size_t i, n = routes__count(r);
	const char *text;
	char methods_buf[256];

	for (i = 0; i < n; i++)
		if (!routes__rule(r, i, &text, methods_buf, sizeof(methods_buf)) && text == rule)
			return true;
	return false;
}

static enum route_verdict match(const struct routes *r, const char *m, const char *p, size_t n,
				const char **rule)
{
	char *copy = fuzz_dup(p, n);
	enum route_verdict v = routes__match(r, m, copy, n, rule);

	free(copy);
	FUZZ_CHECK(v == ROUTE_MATCH || v == ROUTE_REDIRECT || v == ROUTE_METHOD || v == ROUTE_UNKNOWN,
		   "verdict %d", v);
	FUZZ_CHECK(route_verdict__name(v) != NULL, "name");
	if (*rule)
		FUZZ_CHECK(is_rule_of(r, *rule), "a rule that is not the app's");
	return v;
}

/* A form Werkzeug puts in PATH_INFO as it is: "/...", printable ASCII, no "%?#", no leading "//". */
static bool plain_path(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || s[0] != '/' || (n > 1 && s[1] == '/'))
		return false;
	for (i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] >= 0x7f || s[i] == '%' || s[i] == '?' || s[i] == '#')
			return false;
	return true;
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

/* url_unquote of a path-only request target; false when P is not one. */
static bool unquote(const char *p, size_t n, char *out, size_t *out_len)
{
	size_t i, k = 0;

	if (n == 0 || p[0] != '/' || (n > 1 && p[1] == '/'))
		return false;
	for (i = 0; i < n; i++) {
		if (p[i] == '?' || p[i] == '#')
			return false;
		if (p[i] == '%' && i + 2 < n && hexv(p[i + 1]) >= 0 && hexv(p[i + 2]) >= 0) {
			out[k++] = (char)(hexv(p[i + 1]) << 4 | hexv(p[i + 2]));
			i += 2;
		} else {
			out[k++] = p[i];
		}
	}
	*out_len = k;
	return true;
}

static void same_verdict(const char *a, size_t na, const char *b, size_t nb)
{
	size_t i, j;

	for (i = 0; i < N_APPS; i++)
		for (j = 0; j < N_METHODS; j++) {
			const char *ra, *rb;
			enum route_verdict va = match(loaded[i], methods[j], a, na, &ra);
			enum route_verdict vb = match(loaded[i], methods[j], b, nb, &rb);

			FUZZ_CHECK(va == vb && ra == rb,
				   "%s %s: \"%.*s\" is %s (%s), its other form \"%.*s\" %s (%s)",
				   apps[i], methods[j], (int)na, a, route_verdict__name(va),
				   ra ? ra : "-", (int)nb, b, route_verdict__name(vb), rb ? rb : "-");
		}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	char *other;
	size_t i, j, n;

	for (i = 0; i < N_APPS; i++) {
		const char *r1, *r2;

		for (j = 0; j < N_METHODS; j++)
			match(loaded[i], methods[j], p, size, &r1);
		/* Methods are case-insensitive (NULL is GET). */
		FUZZ_CHECK(match(loaded[i], "get", p, size, &r1) == match(loaded[i], NULL, p, size, &r2) &&
				   r1 == r2,
			   "%s: \"get\" and GET differ", apps[i]);
	}

	other = malloc(3 * size + 1);
	if (!other)
		abort();
	/* The input and its decoding. */
	if (unquote(p, size, other, &n) && plain_path(other, n))
		same_verdict(p, size, other, n);
	/* The input (a plain path) and an encoding of it: byte i escaped when bit i of its hash is set. */
	if (plain_path(p, size)) {
		uint64_t h = fuzz_hash(data, size);

		for (i = 0, n = 0; i < size; i++) {
			if (i > 0 && (h >> (i % 64) & 1)) {
				snprintf(other + n, 4, (i & 1) ? "%%%02X" : "%%%02x", (uint8_t)p[i]);
				n += 3;
			} else {
				other[n++] = p[i];
			}
		}
		same_verdict(p, size, other, n);
	}
	free(other);
	return 0;
}
