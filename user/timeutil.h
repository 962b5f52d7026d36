/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* timeutil.h - the boot-time clock shared with the kernel, and durations. */
#ifndef WARDEN_TIMEUTIL_H
#define WARDEN_TIMEUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NSEC_PER_SEC 1000000000ULL
#define NSEC_PER_MSEC 1000000ULL

/* CLOCK_BOOTTIME in ns: the clock of bpf_ktime_get_boot_ns(). */
uint64_t time__boot_ns(void);

/* CLOCK_MONOTONIC in ns, for timeouts that need not match the kernel's. */
uint64_t time__mono_ns(void);

/* CLOCK_REALTIME in ns (wall time: snapshots, log lines' own times). */
int64_t time__real_ns(void);

/*
 * Parse a duration in fail2ban's grammar (its str2sec): terms of a number
 * and an optional unit, summed: "90s", "10min", "1 hour", "1h30m", "2w",
 * "1mo", "1.5h", "1 year"; a bare number is seconds. Units, any case:
 * s/sec/second(s), m/min/minute(s), h/hour(s), d/day(s), w/week(s),
 * mo/month(s) (30.4375 days), y/year(s) (365.25 days), and warden's ms.
 * No sign: see time__parse_bantime(). Returns 0 or -EINVAL.
 */
int time__parse_duration(const char *text, uint64_t *out_ns);

/*
 * A ban duration: a duration above 0, or a negative one ("-1", fail2ban's
 * way) or "permanent" for a ban that never ends (*permanent set, *out_ns 0).
 * Returns 0 or -EINVAL.
 */
int time__parse_bantime(const char *text, uint64_t *out_ns, bool *permanent);

/* "2h3m", "45s", "350ms": the largest two units. Returns buf. */
const char *time__format_duration(uint64_t ns, char *buf, size_t len);

/* The start of the UTC hour / day of unix time t (seconds; also before 1970). */
int64_t time__hour_start(int64_t t);
int64_t time__day_start(int64_t t);

#endif
