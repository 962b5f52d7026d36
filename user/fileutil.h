/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* fileutil.h - the few file helpers several modules need: writing everything, making folders. */
#ifndef WARDEN_FILEUTIL_H
#define WARDEN_FILEUTIL_H

#include <stddef.h>
#include <sys/types.h>

/* Write all len bytes (retrying on EINTR and EAGAIN); 0 or -errno. */
int file__write_all(int fd, const void *buf, size_t len);

/*
 * mkdir -p: the missing parents with mode 0755, the last level with
 * last_mode (an existing folder is left as it is). 0 or -errno.
 */
int file__mkdir_p(const char *dir, mode_t last_mode);

#endif
