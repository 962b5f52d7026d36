// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* timeutil.c - the boot-time clock shared with the kernel, and durations. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
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

/*
 * fail2ban's str2sec units (fail2ban/server/mytime.py), each spelling in full:
 * a month is a 12th of an average year of 365.25 days. "ms" is warden's own.
 */
static const struct {
	const char *names; /* '|'-separated, matched whole and without case */
	double ns;
} units[] = {
	{ "ms", 1e6 },
	{ "s|sec|secs|second|seconds|ss|se", 1e9 },
	{ "m|min|mins|minute|minutes|mm|mi", 60e9 },
	{ "h|hour|hours|hh|ho|hou", 3600e9 },
	{ "d|day|days|da|dd", 86400e9 },
	{ "w|week|weeks|ww|we|wee", 604800e9 },
	{ "mo|mon|month|months", 2629800e9 },
	{ "y|year|years|yy|ye|yea", 31557600e9 },
};

/* The unit spelled by the n letters at p, in ns; 0 if none. */
static double unit_ns(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		const char *s = units[i].names;

		while (*s) {
			size_t len = strcspn(s, "|");

			if (len == n && !strncasecmp(s, p, n))
				return units[i].ns;
			s += len + (s[len] == '|');
		}
	}
	return 0;
}

/*
 * fail2ban evaluates its duration text as a Python expression after turning
 * units into factors and blanks between terms into '+'. This reads the sums
 * that grammar is meant for, and nothing that only eval() would take:
 * terms of a plain decimal number, optional blanks and an optional unit,
 * one after the other with or without blanks ("1h30m", "1 hour 30 min");
 * a bare number is seconds, also as a term ("1h 30" is 3630s).
 */
static int parse_sum(const char *p, double *out_ns)
{
	double total = 0;
	int terms = 0;

	while (*p) {
		double value, unit = 1e9;
		char number[32], *end;
		size_t digits, letters;

		p += strspn(p, " \t");
		if (!*p)
			break;
		digits = strspn(p, "0123456789.");
		if (digits == 0 || digits >= sizeof(number))
			return -EINVAL;
		memcpy(number, p, digits);
		number[digits] = '\0';
		errno = 0;
		value = strtod(number, &end);
		if (*end || errno || !isfinite(value))
			return -EINVAL;
		p += digits;
		p += strspn(p, " \t");
		for (letters = 0; isalpha((unsigned char)p[letters]); letters++)
			;
		if (letters) {
			unit = unit_ns(p, letters);
			if (!unit)
				return -EINVAL;
			p += letters;
		}
		/* A term ends at a blank, the next number, or the end (Python's \b). */
		if (*p && !isspace((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '.')
			return -EINVAL;
		total += value * unit;
		if (total > 1e19) /* beyond uint64 nanoseconds (~584 years) */
			return -EINVAL;
		terms++;
	}
	if (!terms)
		return -EINVAL;
	*out_ns = total;
	return 0;
}

int time__parse_duration(const char *text, uint64_t *out_ns)
{
	double ns;

	if (!text || parse_sum(text, &ns))
		return -EINVAL;
	*out_ns = (uint64_t)ns;
	return 0;
}

int time__parse_bantime(const char *text, uint64_t *out_ns, bool *permanent)
{
	const char *p = text;

	if (!text)
		return -EINVAL;
	p += strspn(p, " \t");
	if (!strcasecmp(p, "permanent")) {
		*permanent = true;
		*out_ns = 0;
		return 0;
	}
	if (*p == '-') {
		double ns;

		/* fail2ban: any negative bantime is a ban for ever ("-1"). */
		if (parse_sum(p + 1, &ns) || !(ns > 0))
			return -EINVAL;
		*permanent = true;
		*out_ns = 0;
		return 0;
	}
	if (time__parse_duration(p, out_ns) || !*out_ns)
		return -EINVAL;
	*permanent = false;
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

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int64_t time__hour_start(int64_t t)
{
	return floor_div(t, 3600) * 3600;
}

int64_t time__day_start(int64_t t)
{
	return floor_div(t, 86400) * 86400;
}
