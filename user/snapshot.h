/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* snapshot.h - the bans saved in the state folder, compressed and checked, so a reboot keeps them. */
#ifndef WARDEN_SNAPSHOT_H
#define WARDEN_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct banmap;

/*
 * The pinned maps keep the bans across restarts of warden; a reboot (or
 * "warden detach --all") loses them. The snapshot STATE_DIR/bans.snap keeps
 * every live ban (target, expiry, offences, source, reason) with its
 * expiry in wall-clock time, since CLOCK_BOOTTIME starts again at a boot.
 *
 * File: an 88-byte header (magic "WRDNSNAP", version, sizes, the boot and
 * the maps it was written for, CRC32s of the header, of the compressed and
 * of the uncompressed payload), then the payload compressed by zlib. It is
 * written to a temporary file in the same folder, fsync()ed, renamed over
 * the old one, and the folder fsync()ed: a crash leaves the old snapshot or
 * the new one, never a mix.
 *
 * Restoring checks everything first (magic, version, sizes, checksums,
 * decompression, every record) and applies only then, in one batch; a
 * damaged file is reported, moved aside to bans.snap.corrupt, and nothing
 * of it is applied. A snapshot written for the very maps in use (same boot,
 * same map) is not applied: those maps are the truth (a ban lifted while
 * warden was stopped stays lifted).
 */

#define SNAPSHOT_FILE "bans.snap"
#define SNAPSHOT_VERSION 1

/* What snapshot__restore() did. */
struct snapshot_result {
	bool none;         /* there was no snapshot */
	bool same_maps;    /* it was written for the maps in use: nothing applied */
	size_t total;      /* bans in the snapshot */
	size_t restored;   /* written into the maps */
	size_t expired;    /* skipped: they ended while the maps were gone */
	size_t refused;    /* skipped: banmap__refusal() (allowlist, own address, loopback) */
	size_t present;    /* skipped: the maps hold a ban of that target already */
	int64_t age_ns;    /* how long ago it was written (wall clock) */
};

/*
 * Write every live ban of bm to STATE_DIR/bans.snap (the folder is created,
 * mode 0700, if missing). 0 or -errno; on error the old snapshot is intact
 * and no temporary file is left.
 */
int snapshot__write(const char *state_dir, struct banmap *bm);

/*
 * Restore STATE_DIR/bans.snap into bm, as above; res may be NULL. Also
 * removes temporary files that a killed writer left. Returns 0 (no
 * snapshot, same maps, or restored), -EBADMSG for a damaged snapshot
 * (reason in err, file moved aside, nothing applied), -EPROTONOSUPPORT for
 * a version this warden does not read (file kept, nothing applied), or
 * -errno (reading, the maps).
 */
int snapshot__restore(const char *state_dir, struct banmap *bm, struct snapshot_result *res,
		      char *err, size_t errlen);

/*
 * snapshot__restore() with warden's messages: what was restored, or why
 * not (a damaged snapshot is a warning; warden goes on without it). For
 * the start of warden run and warden watch, after banmap__open() and
 * before attaching. Returns what snapshot__restore() returned.
 */
int snapshot__restore_logged(const char *state_dir, struct banmap *bm);

/*
 * Batched writing, for an event loop's timer (call it every second or so):
 * it writes when this process changed the bans (banmap__generation()) and
 * the last write is at least SNAPSHOT_MIN_GAP_NS old (longer when writes
 * are slow: ten times the last write's duration), and every
 * SNAPSHOT_RECHECK_NS compares the maps with the last snapshot to catch
 * changes by other processes (warden ban). Unchanged bans are not
 * rewritten. Times are CLOCK_MONOTONIC.
 *
 * In a ban storm (the bans changed at SNAPSHOT_STORM_CALLS calls in a row,
 * a fleet's stream for one) each write walks every ban while thousands come
 * in: the gap is then SNAPSHOT_STORM_GAP_NS until a call finds nothing
 * changed. What that can cost: a machine that crashes during a storm (a
 * stop writes the snapshot) misses at most the bans of the last
 * SNAPSHOT_STORM_GAP_NS from its snapshot, and only across a reboot: the
 * pinned maps keep every ban across restarts of warden, and fleet bans are
 * loaded from Redis again.
 */
#define SNAPSHOT_MIN_GAP_NS (1000000000ULL)
#define SNAPSHOT_STORM_GAP_NS (5 * 1000000000ULL)
#define SNAPSHOT_STORM_CALLS 3
#define SNAPSHOT_RECHECK_NS (300 * 1000000000ULL)

struct snapshot_sched {
	bool written;          /* a snapshot was written (or found current) once */
	uint64_t written_gen;  /* banmap__generation() then */
	uint32_t digest;       /* of the bans then */
	uint64_t last_ns;      /* when */
	uint64_t cost_ns;      /* how long that took */
	uint64_t last_check_ns; /* the last comparison with the maps */
	uint64_t seen_gen;     /* banmap__generation() at the last call */
	unsigned busy_calls;   /* calls in a row that found the bans changed */
};

void snapshot_sched__init(struct snapshot_sched *s);

/* 1 when a snapshot was written, 0 when none was due or needed, -errno. */
int snapshot__maybe_write(struct snapshot_sched *s, const char *state_dir, struct banmap *bm);

/*
 * Write now unless the bans are the ones last written (at stop). 1 written,
 * 0 unchanged, -errno.
 */
int snapshot__flush(struct snapshot_sched *s, const char *state_dir, struct banmap *bm);

#endif
