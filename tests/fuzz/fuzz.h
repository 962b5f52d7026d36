/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* fuzz.h - what the libFuzzer targets share: exact-size copies and property checks that abort. */
#ifndef WARDEN_FUZZ_H
#define WARDEN_FUZZ_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * tests/fuzz/run.sh closes the targets' stderr (-close_fd_mask=2): warden
 * warns about much of what a fuzzer feeds it, and writing that costs more
 * than parsing. libFuzzer and the sanitizers keep a copy of the real
 * stderr; so do the property checks, taken before libFuzzer starts.
 */
static int fuzz_report_fd = 2;

__attribute__((constructor)) static void fuzz_keep_stderr(void)
{
	int fd = dup(2);

	if (fd >= 0)
		fuzz_report_fd = fd;
}

__attribute__((format(printf, 3, 4), noreturn, unused)) static void
fuzz_fail(const char *file, int line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	dprintf(fuzz_report_fd, "%s:%d: property violated: %s\n", file, line, msg);
	abort(); /* libFuzzer saves the input as a crash */
}

/* A property that must hold for every input. */
#define FUZZ_CHECK(cond, fmt, ...)                                                            \
	do {                                                                                  \
		if (!(cond))                                                                  \
			fuzz_fail(__FILE__, __LINE__, "%s: " fmt, #cond, ##__VA_ARGS__);       \
	} while (0)

/*
 * A copy in a heap block of exactly n bytes: a read past the end is an
 * AddressSanitizer report, not a read of the next input byte. Never NULL.
 */
static __attribute__((unused)) char *fuzz_dup(const void *p, size_t n)
{
	char *b = malloc(n); /* ASan: malloc(0) is a valid pointer to nothing */

	if (!b)
		abort();
	if (n)
		memcpy(b, p, n);
	return b;
}

/* FNV-1a, for deterministic choices derived from the input itself. */
static __attribute__((unused)) uint64_t fuzz_hash(const uint8_t *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL;

	while (n--)
		h = (h ^ *p++) * 1099511628211ULL;
	return h;
}

/* Touch every byte (so ASan checks the whole range) and fold them into a value. */
static __attribute__((unused)) unsigned fuzz_touch(const char *p, size_t n)
{
	unsigned s = 0;

	while (n--)
		s += (unsigned char)*p++;
	return s;
}

#endif
