/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* timeutil.h - the boot-time clock shared with the kernel, and durations. */
#ifndef WARDEN_TIMEUTIL_H
#define WARDEN_TIMEUTIL_H

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
 * Parse a duration: a number with an optional unit ms, s, m, h, d, w
 * ("90s", "10m", "2h", "7d", "1.5h"); a bare number is seconds.
 * Several parts may follow each other ("1h30m"). Returns 0 or -EINVAL.
 */
int time__parse_duration(const char *text, uint64_t *out_ns);

/* "2h3m", "45s", "350ms": the largest two units. Returns buf. */
const char *time__format_duration(uint64_t ns, char *buf, size_t len);

#endif
