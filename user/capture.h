/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* capture.h - samples of the packets the XDP program dropped, written to a pcap file. */
#ifndef WARDEN_CAPTURE_H
#define WARDEN_CAPTURE_H

#include <stdint.h>

#include "warden.h"

struct capture;

/* What to capture and when to stop. */
struct capture_opts {
	const char *file;     /* pcap file to write ("-" = stdout) */
	uint64_t count;       /* stop after this many packets; 0 = no limit */
	uint64_t duration_ns; /* stop after this long; 0 = no limit */
	uint32_t snaplen;     /* bytes of each packet; 0 = WARDEN_CAPTURE_SNAPLEN */
	uint32_t per_sec;     /* samples per second per CPU; 0 = WARDEN_CAPTURE_PER_SEC */
};

/* What a capture did. */
struct capture_result {
	uint64_t written;                  /* packets written to the file */
	uint64_t lost;                     /* samples the perf rings lost (readers too slow) */
	uint64_t by_reason[CAPTURE_SHED + 1]; /* written, per enum capture_reason */
};

/*
 * Open the capture maps pinned under pin_path (warden_capture and
 * warden_capcfg, made by 'warden attach' of this version). NULL with errno
 * set (-ENOENT: not there; the reason is logged). Caller owns the result.
 */
struct capture *capture__open(const char *pin_path);
void capture__close(struct capture *c); /* accepts NULL */

/* The kernel's capture settings as they are now. 0 or -errno. */
int capture__status(struct capture *c, struct capture_config *out);

/*
 * Capture until o's count or duration is reached, or stop_fd (a signalfd,
 * or any fd) becomes readable. Turns capturing on under the pin folder's
 * lock (-EBUSY if another live capture holds it) and always off again
 * before returning. Fills *res also on error. 0 or -errno.
 */
int capture__run(struct capture *c, const struct capture_opts *o, int stop_fd,
		 struct capture_result *res);

/* "exact", "prefix", "throttle-conn", "throttle-pkt", "shed" or "?". */
const char *capture__reason_name(uint32_t reason);

#endif
