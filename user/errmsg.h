/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* errmsg.h - the reason that goes with an error: "char *err, size_t errlen" filled in one way. */
#ifndef WARDEN_ERRMSG_H
#define WARDEN_ERRMSG_H

#include <stddef.h>

/*
 * Write the reason (printf-style) into err when there is room for one, and
 * return ret (a -errno), so that "return errmsg__set(err, len, -EINVAL, ...)"
 * says why and fails in one line. err may be NULL.
 */
int errmsg__set(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
