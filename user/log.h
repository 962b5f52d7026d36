/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* log.h - warden's own messages on stderr, plain or one JSON object per line. */
#ifndef WARDEN_LOG_H
#define WARDEN_LOG_H

#include <stdarg.h>
#include <bpf/libbpf.h>

enum log_level {
	LOG_WARN = 0,
	LOG_INFO = 1,
	LOG_DEBUG = 2,
};

/* Set once from main(): JSON output and the most verbose level shown. */
void log__setup(int json, enum log_level max_level);

void log__printf(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log__vprintf(enum log_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/* Route libbpf's messages through the same logger (libbpf_set_print). */
int log__libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap);

#define pr_warn(...)  log__printf(LOG_WARN, __VA_ARGS__)
#define pr_info(...)  log__printf(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) log__printf(LOG_DEBUG, __VA_ARGS__)

#endif
