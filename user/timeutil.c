// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* timeutil.c - the boot-time clock shared with the kernel, and durations. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "timeutil.h"

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

uint64_t time__boot_ns(void)
{
	return clock_ns(CLOCK_BOOTTIME);
}

uint64_t time__mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

int64_t time__real_ns(void)
{
	return (int64_t)clock_ns(CLOCK_REALTIME);
}

static const struct {
	const char *suffix;
	double ns;
} units[] = {
	/* Longest suffix first so that "ms" is not read as "m". */
	{ "ms", 1e6 }, { "s", 1e9 }, { "m", 60e9 }, { "h", 3600e9 },
	{ "d", 86400e9 }, { "w", 604800e9 },
};

int time__parse_duration(const char *text, uint64_t *out_ns)
{
	const char *p = text;
	double total = 0;

	if (!text || !*text)
		return -EINVAL;
	while (*p) {
		double value, unit = 1e9;
		char *end;
		size_t i;

		/* Each part is a plain decimal number (no sign, exponent or hex), then a unit. */
		char number[32];
		size_t digits = strspn(p, "0123456789.");

		if (digits == 0 || digits >= sizeof(number))
			return -EINVAL;
		memcpy(number, p, digits);
		number[digits] = '\0';
		errno = 0;
		value = strtod(number, &end);
		if (*end || errno || !isfinite(value) || value < 0)
			return -EINVAL;
		end = (char *)p + digits;
		p = end;
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			size_t n = strlen(units[i].suffix);

			if (!strncmp(p, units[i].suffix, n)) {
				unit = units[i].ns;
				p += n;
				break;
			}
		}
		/* A bare number is seconds, but only as the whole text. */
		if (i == sizeof(units) / sizeof(units[0]) && (*p || total > 0))
			return -EINVAL;
		total += value * unit;
		if (total > 1e19) /* beyond uint64 nanoseconds (~584 years) */
			return -EINVAL;
	}
	*out_ns = (uint64_t)total;
	return 0;
}

const char *time__format_duration(uint64_t ns, char *buf, size_t len)
{
	uint64_t s = ns / NSEC_PER_SEC;

	if (s == 0)
		snprintf(buf, len, "%llums", (unsigned long long)(ns / NSEC_PER_MSEC));
	else if (s < 60)
		snprintf(buf, len, "%llus", (unsigned long long)s);
	else if (s < 3600)
		snprintf(buf, len, "%llum%llus", (unsigned long long)(s / 60),
			 (unsigned long long)(s % 60));
	else if (s < 86400)
		snprintf(buf, len, "%lluh%llum", (unsigned long long)(s / 3600),
			 (unsigned long long)(s % 3600 / 60));
	else
		snprintf(buf, len, "%llud%lluh", (unsigned long long)(s / 86400),
			 (unsigned long long)(s % 86400 / 3600));
	return buf;
}
