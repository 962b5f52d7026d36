// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * fuzz_routes_source.c - Python source (the app's, which warden reads
 * before running it) through routes__load_source, then its routes used.
 *
 * Properties: nothing is read past len (the source sits in a heap block of
 * exactly its size); a failed load says why; every rule listed can be read
 * back (a string starting with "/", its methods), routes__rule refuses an
 * index past the end and says when the methods do not fit; matching each
 * rule's text and junk against the loaded routes gives a verdict and, when
 * it names a rule, one of those listed.
 */
#include <errno.h>
#include <stdbool.h>

#include "fuzz.h"
#include "routes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *src = fuzz_dup(data, size), err[512], methods[512], tiny[4];
	const char *text, *rule;
	struct routes *r;
	size_t i, n;

	err[0] = '\0';
	r = routes__load_source("fuzz.py", src, size, err, sizeof(err));
	free(src);
	if (!r) {
		FUZZ_CHECK(errno != 0 && err[0], "a failed load without a reason");
		return 0;
	}
	n = routes__count(r);
	FUZZ_CHECK(routes__rule(r, n, &text, methods, sizeof(methods)) == -ERANGE, "index %zu", n);
	for (i = 0; i < n; i++) {
		int rc = routes__rule(r, i, &text, methods, sizeof(methods));

		FUZZ_CHECK(rc == 0 || rc == -ENOSPC, "rule %zu: %d", i, rc);
		FUZZ_CHECK(text != NULL && memchr(methods, '\0', sizeof(methods)), "rule %zu", i);
		rc = routes__rule(r, i, &text, tiny, sizeof(tiny));
		FUZZ_CHECK((rc == 0 || rc == -ENOSPC) && memchr(tiny, '\0', sizeof(tiny)),
			   "rule %zu, small buffer: %d", i, rc);
		/* The rule's own text as a request: converters and all. */
		routes__match(r, "GET", text, strlen(text), &rule);
		if (rule) {
			size_t k;
			const char *t;

			for (k = 0; k < n; k++)
				if (!routes__rule(r, k, &t, methods, sizeof(methods)) && t == rule)
					break;
			FUZZ_CHECK(k < n, "a rule that is not listed");
		}
	}
	routes__match(r, "POST", "/a/b/../c%2F%ff?x#y", 19, &rule);
	routes__free(r);
	return 0;
}
