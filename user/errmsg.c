// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* errmsg.c - the reason that goes with an error: "char *err, size_t errlen" filled in one way. */
#include <stdarg.h>
#include <stdio.h>

#include "errmsg.h"

int errmsg__set(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}
