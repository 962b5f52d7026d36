/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* crilog.h - unwrap container log lines: CRI (containerd, CRI-O), Docker json-file, plain. */
#ifndef WARDEN_CRILOG_H
#define WARDEN_CRILOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jail.h" /* enum app_stream */

/*
 * The formats a followed file may have:
 *   CRI     "2026-11-21T04:18:25.123456789Z stdout F <line>": the kubelet's
 *           /var/log/pods/.../N.log, written by containerd or CRI-O. Tag F is
 *           a full line, P a part of one: parts are joined until the F.
 *   Docker  {"log":"<line>\n","stream":"stderr","time":"..."}: dockerd's
 *           json-file driver. A "log" without its trailing "\n" is a part of
 *           a line (dockerd splits lines at 16 KiB), joined like CRI's P.
 *   plain   the access log itself.
 * Each file's format is decided once, by its first non-empty line, and kept:
 * a line of the app cannot turn a CRI file into something else, and a fake
 * CRI header the app prints stays part of its line (only the runtime's own
 * header is taken off).
 */
enum crilog_format {
	CRILOG_AUTO,   /* not decided yet */
	CRILOG_CRI,
	CRILOG_DOCKER,
	CRILOG_PLAIN,
};

/* One line of the app, unwrapped. */
struct crilog_line {
	enum app_stream stream;    /* the stream the runtime says it came from (plain: stdout) */
	const char *text;          /* not NUL-terminated; valid during the callback only */
	size_t len;                /* at most the decoder's max */
	bool truncated;            /* the line was longer than max (or cut by the reader) */
	int64_t time_ns;           /* the runtime's timestamp, CLOCK_REALTIME ns; 0 when none */
	enum crilog_format format; /* of the file it came from */
};

typedef void (*crilog_cb)(const struct crilog_line *line, void *ctx);

/* A part of a line being joined, one per stream (the runtime interleaves them). */
struct crilog_part {
	char *buf;       /* owned, grows up to max */
	size_t len, cap;
	bool active;     /* a part came and its line has not ended yet */
	bool truncated;  /* the joined line went past max */
	int64_t time_ns; /* the first part's timestamp */
};

/* The decoder of one file. */
struct crilog {
	enum crilog_format format; /* CRILOG_AUTO until the first line decides */
	size_t max;                /* lines are handed over with at most this many bytes */
	struct crilog_part part[2]; /* by enum app_stream */
	char *scratch;             /* owned: a cut Docker line decoded by hand */
	void *json;                /* owned: json-c's tokener for Docker lines */
	uint64_t malformed;        /* lines that did not have the file's format (passed as plain) */
};

/* format CRILOG_AUTO to detect it. max > 0. 0 or -ENOMEM. */
int crilog__init(struct crilog *c, enum crilog_format format, size_t max);
void crilog__free(struct crilog *c); /* accepts a zeroed struct */

/*
 * One physical line of the file (len bytes, without its newline). raw_cut:
 * the reader kept only its first len bytes. cb runs for every line of the
 * app this completes (none for a part, several for a Docker record holding
 * more than one line).
 */
void crilog__feed(struct crilog *c, const char *raw, size_t len, bool raw_cut, crilog_cb cb,
		  void *ctx);

/* The file ended for good: a line still being joined is handed over as it is. */
void crilog__flush(struct crilog *c, crilog_cb cb, void *ctx);

/* Forget any line being joined (the file was truncated); the format stays. */
void crilog__reset(struct crilog *c);

/* Whether a line is being joined on some stream. */
bool crilog__pending(const struct crilog *c);

/* "auto", "cri", "docker", "plain". */
const char *crilog_format__name(enum crilog_format f);

/*
 * An RFC 3339 time with optional fraction of up to 9 digits and a zone "Z"
 * or "+HH:MM" (what CRI and Docker write) to CLOCK_REALTIME ns. 0 or -EINVAL.
 */
int crilog__parse_time(const char *s, size_t len, int64_t *out_ns);

#endif
