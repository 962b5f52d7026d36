/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* follow.h - follow log files matching globs: rotation, new files, offsets kept across restarts. */
#ifndef WARDEN_FOLLOW_H
#define WARDEN_FOLLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crilog.h"

/*
 * A follower reads every regular file that one of its globs matches
 * (symlinks are followed: the links in /var/log/containers point into
 * /var/log/pods), unwraps container formats (crilog.h) and hands each line
 * of the app to a callback. It is driven from an event loop: follow__fd()
 * is readable when there is something to do, then follow__process() does
 * it; follow__tick() does the housekeeping, once a second.
 *
 * Where reading starts:
 *   - a file remembered in the offsets file (same device, inode and first
 *     bytes): where the last run stopped, to the byte;
 *   - a file that appears while warden runs, or that appeared while it was
 *     stopped (created after the offsets file was last written): its start;
 *   - at the very first start (no offsets file), and for a file that was
 *     there before but not followed (a glob added since): its end (its last
 *     complete line), as "tail -F" does; with backfill, its start instead.
 *     Without a birth time from the file system, such a file counts as new.
 *
 * Rotation:
 *   - rename (logrotate's default, the kubelet's N.log -> N.log.DATE): the
 *     file is followed by its inode, not its name. The renamed file is read
 *     to its end, and again for as long as it keeps growing (the writer may
 *     not have reopened yet), until it has been still for
 *     FOLLOW_ROTATE_WAIT_S seconds; its successor at the path is read from
 *     its start. Older data of one path is handed over before newer.
 *   - truncation (copytruncate): the size falling below the offset, or the
 *     first bytes changing, restarts at 0. What the writer added between
 *     warden's last read and the truncation is only in the copy: that is
 *     copytruncate's own race, and why rename is the better rotation.
 *   - a file rotated away (and maybe compressed) while warden was stopped
 *     is found next to its successor by its inode (or, compressed, by its
 *     first bytes) and read from where warden stopped, before the successor.
 *
 * Backfill reads, once, the rotated siblings of each file at the first scan
 * (NAME.1, NAME.2.gz, NAME-20241121.gz, CRI's 0.log.20241121-101010(.gz)),
 * oldest first, gzip through zlib, and remembers them by their first bytes
 * so that no later start reads them again.
 *
 * Offsets are written to the offsets file atomically (temporary file,
 * fsync, rename, fsync of the folder), batched: at most once a second from
 * follow__tick() when something was read, and at follow__close(). A clean
 * stop loses and repeats nothing; a crash repeats at most the lines of the
 * last second. An offset is only ever the end of a line handed over.
 */

/* A renamed or deleted file is read until it has been still this long. */
#define FOLLOW_ROTATE_WAIT_S 5
/* At most this many bytes per file per follow__process() call: fairness. */
#define FOLLOW_BUDGET (1024 * 1024)
/* Globs per follower. */
#define FOLLOW_MAX_GLOBS 64

/* One line of the app, as the callback gets it. */
struct follow_line {
	const char *path;          /* the file, by the name it was found under (NUL-terminated) */
	const char *group;         /* the name a glob matched (a rotated file keeps its own) */
	enum app_stream stream;    /* stdout/stderr, from the runtime's header (plain: stdout) */
	const char *text;          /* not NUL-terminated, valid during the callback */
	size_t len;                /* at most max_line */
	bool truncated;            /* longer than max_line, or cut */
	int64_t time_ns;           /* the runtime's timestamp (CLOCK_REALTIME ns), 0 if none */
	bool backfill;             /* history read at start (--backfill), not a live line */
	enum crilog_format format; /* of the file */
};

typedef void (*follow_line_cb)(const struct follow_line *line, void *ctx);

struct follow_opts {
	const char *const *globs;  /* absolute glob(7) patterns */
	size_t n_globs;
	const char *offsets_path;  /* the offsets file; NULL: none (every start is a first start) */
	bool backfill;             /* read the rotated siblings and the files' starts once */
	size_t max_line;           /* lines are handed over with at most this many bytes (> 0) */
	follow_line_cb on_line;
	void *ctx;
};

struct follow_stats {
	uint64_t lines;       /* lines handed over */
	uint64_t bytes;       /* bytes read (decompressed for gzip) */
	uint64_t files;       /* files opened since the start */
	uint64_t open_files;  /* followed now (rotated ones still read included) */
	uint64_t rotations;   /* renames and deletions seen */
	uint64_t truncations; /* truncations seen */
	uint64_t backfilled;  /* rotated files read by backfill */
	uint64_t malformed;   /* lines not in their file's format (passed as plain) */
	uint64_t errors;      /* read errors (the file is dropped, then found again) */
};

struct follower;

/*
 * Load the offsets, match the globs, set up the watches and open the files
 * (nothing is read yet: the first follow__process() does it). Directories
 * that do not exist yet are fine: they are looked for again later. Caller
 * owns the result. NULL with errno set (EINVAL: bad options, a glob not
 * absolute).
 */
struct follower *follow__open(const struct follow_opts *o);

/* Readable (EPOLLIN) when follow__process() has something to do. */
int follow__fd(const struct follower *f);

/*
 * Take the file system's news and read what is new, handing lines over.
 * Never blocks; reads at most FOLLOW_BUDGET per file, leaving the fd
 * readable when more is waiting. 0 or -errno (the inotify fd failed).
 */
int follow__process(struct follower *f);

/*
 * Housekeeping, about once a second: close rotated files that have been
 * still long enough, look for new directories (a safety net for what
 * inotify cannot see, e.g. a glob directory that did not exist), and write
 * the offsets if lines were read since the last write. 0 or -errno (the
 * offsets could not be written; they are tried again at the next tick).
 */
int follow__tick(struct follower *f);

/* Write the offsets now (if anything changed). 0 or -errno. */
int follow__save(struct follower *f);

/* Save the offsets and free everything. Accepts NULL. */
void follow__close(struct follower *f);

const struct follow_stats *follow__stats(const struct follower *f);

#endif
