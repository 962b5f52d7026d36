// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * fuzz_fleet_msg.c - what another fleet member wrote in Redis, through the
 * checks every agent makes (fleet_msg__parse), and the fleet URL
 * (fleet_url__parse, fleet_url__redact).
 *
 * Input: fields separated by "\n", taken as name, value, name, value ...
 * (each in a heap block of its exact size, as hiredis hands them over).
 * Properties: a message accepted has a known op, a target that prints and
 * parses back to itself, an origin of 1..63 and a reason of at most
 * WARDEN_REASON_LEN - 1 bytes without control bytes; the whole input as a
 * URL never crashes, and its redacted form hides the password.
 */
#include <stdbool.h>

#include "fleet_msg.h"
#include "fuzz.h"

#define MAX_FIELDS 16

static void check_text(const char *s, size_t max)
{
	size_t i, n = strlen(s);

	FUZZ_CHECK(n <= max, "%zu bytes", n);
	for (i = 0; i < n; i++)
		FUZZ_CHECK((unsigned char)s[i] >= 0x20 && s[i] != 0x7f, "control byte at %zu", i);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *names[MAX_FIELDS], *values[MAX_FIELDS];
	char *blocks[2 * MAX_FIELDS], err[256], text[PREFIX_STRLEN], buf[1200], *url;
	size_t nl[MAX_FIELDS], vl[MAX_FIELDS], n = 0, nb = 0, i = 0;
	struct fleet_msg m;
	struct fleet_url u;
	struct prefix back;

	while (i <= size && nb < 2 * MAX_FIELDS) {
		const uint8_t *end = memchr(data + i, '\n', size - i);
		size_t len = end ? (size_t)(end - (data + i)) : size - i;

		blocks[nb++] = fuzz_dup(data + i, len);
		if (nb % 2) {
			names[n] = blocks[nb - 1];
			nl[n] = len;
		} else {
			values[n] = blocks[nb - 1];
			vl[n++] = len;
		}
		i += len + 1;
	}
	if (fleet_msg__parse(names, nl, values, vl, n, &m, err, sizeof(err)) == 0) {
		FUZZ_CHECK(m.op == FLEET_BAN || m.op == FLEET_UNBAN, "op %d", m.op);
		prefix__format(&m.target, text, sizeof(text));
		FUZZ_CHECK(prefix__parse(text, &back, NULL, 0) == 0 && prefix__equal(&back, &m.target),
			   "target %s does not parse back", text);
		FUZZ_CHECK(m.origin[0], "empty origin");
		check_text(m.origin, FLEET_ORIGIN_LEN - 1);
		check_text(m.reason, WARDEN_REASON_LEN - 1);
	}
	for (i = 0; i < nb; i++)
		free(blocks[i]);

	/* The whole input as a URL, NUL-terminated in a block of its size. */
	url = malloc(size + 1);
	if (!url)
		abort();
	memcpy(url, data, size);
	url[size] = '\0';
	if (strlen(url) < 600 && fleet_url__parse(url, &u, err, sizeof(err)) == 0) {
		FUZZ_CHECK(u.port >= 1 && u.port <= 65535, "port %d", u.port);
		FUZZ_CHECK(u.host[0], "empty host");
		fleet_url__redact(url, buf, sizeof(buf));
		/* USER:PASSWORD@ became USER:***@, the rest unchanged. */
		FUZZ_CHECK(!u.password[0] || strstr(buf, ":***@"), "the password shows in %s", buf);
	}
	free(url);
	return 0;
}
