// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * fuzz_snapshot.c - ban snapshots (STATE_DIR/bans.snap, read back after a
 * reboot) through snapshot__restore into real ban maps, on a private bpffs
 * in a mount namespace of this process (root only: nothing is left behind).
 *
 * Input: 4 bytes of choices, then the file. Mode (byte 0 & 3):
 *   0  the file as it is;
 *   1  a header and the records uncompressed: the harness compresses them
 *      and fills in the lengths and the three checksums, so the fuzzer
 *      reaches the records behind the checksums;
 *   2  as 1, then one bit flipped (byte 1 | byte 2 << 8, bit byte 3 & 7).
 * The format (user/snapshot.c's header comment) is only used to build files
 * and, independently of warden's reader, to tell whether a file's checksums
 * hold: tests/fuzz/snapshot_seeds.py writes the seeds.
 *
 * Properties: a file whose checksums fail is never applied (the maps stay
 * empty, the restore fails); a restore that succeeds put exactly the bans
 * it counts as restored into the maps, each single address or prefix as
 * banmap takes them.
 */
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <zlib.h>

#include "banmap.h"
#include "fuzz.h"
#include "log.h"
#include "snapshot.h"

#define HEADER_LEN 88

/* Under $TMPDIR: tests/fuzz/run.sh gives each run its own and removes it (also after a crash). */
static char bpffs_dir[256], state_dir[256];
static char snap[300], corrupt[320];
static struct banmap *bm;

static void cleanup(void)
{
	char cmd[300];

	banmap__close(bm);
	umount2(bpffs_dir, MNT_DETACH);
	rmdir(bpffs_dir);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", state_dir);
	if (system(cmd))
		dprintf(fuzz_report_fd, "fuzz_snapshot: could not remove %s\n", state_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");
	char pin[300];

	(void)argc;
	(void)argv;
	if (geteuid() != 0) {
		dprintf(fuzz_report_fd, "fuzz_snapshot: needs root (BPF maps)\n");
		exit(77);
	}
	snprintf(bpffs_dir, sizeof(bpffs_dir), "%s/warden-fuzz-bpffs.XXXXXX", tmp ? tmp : "/tmp");
	snprintf(state_dir, sizeof(state_dir), "%s/warden-fuzz-snap.XXXXXX", tmp ? tmp : "/tmp");
	log__setup(0, LOG_WARN);
	libbpf_set_print(log__libbpf_print);
	/* A private bpffs: the maps go away with this process, whatever happens to it. */
	if (!mkdtemp(bpffs_dir) || !mkdtemp(state_dir) || unshare(CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("bpf", bpffs_dir, "bpf", 0, "mode=0700") < 0) {
		dprintf(fuzz_report_fd, "fuzz_snapshot: setup: %s\n", strerror(errno));
		exit(1);
	}
	atexit(cleanup);
	snprintf(pin, sizeof(pin), "%s/pins", bpffs_dir);
	bm = banmap__open(pin, BANMAP_CREATE);
	if (!bm) {
		dprintf(fuzz_report_fd, "fuzz_snapshot: banmap__open: %s\n", strerror(errno));
		exit(1);
	}
	snprintf(snap, sizeof(snap), "%s/%s", state_dir, SNAPSHOT_FILE);
	snprintf(corrupt, sizeof(corrupt), "%s.corrupt", snap);
	return 0;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static void put32(uint8_t *p, uint32_t v)
{
	int i;

	for (i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

/* Whether the three checksums of the format hold (and the lengths they cover). */
static bool checksums_hold(const uint8_t *f, size_t n)
{
	uint64_t raw_len, comp_len;
	uLongf got;
	uint8_t *raw;
	bool ok;

	if (n < HEADER_LEN || get32(f + 80) != (uint32_t)crc32(0, f, 80))
		return false;
	comp_len = get64(f + 56);
	raw_len = get64(f + 48);
	if (comp_len != n - HEADER_LEN ||
	    get32(f + 68) != (uint32_t)crc32(0, f + HEADER_LEN, (uInt)comp_len))
		return false;
	if (raw_len > 64u << 20)
		return false; /* larger than any input: cannot be what it says */
	raw = malloc(raw_len ? raw_len : 1);
	if (!raw)
		abort();
	got = (uLongf)raw_len;
	ok = uncompress(raw, &got, f + HEADER_LEN, (uLong)comp_len) == Z_OK && got == raw_len &&
	     get32(f + 64) == (uint32_t)crc32(0, raw, (uInt)raw_len);
	free(raw);
	return ok;
}

/* The file of modes 1 and 2: header + records in, compressed and checksummed out. */
static uint8_t *build(const uint8_t *in, size_t n, size_t *out_len)
{
	size_t raw_len = n > HEADER_LEN ? n - HEADER_LEN : 0;
	uLongf comp_len = compressBound((uLong)raw_len);
	uint8_t *f = calloc(1, HEADER_LEN + comp_len);

	if (!f)
		abort();
	memcpy(f, in, n < HEADER_LEN ? n : HEADER_LEN);
	if (compress2(f + HEADER_LEN, &comp_len, in + HEADER_LEN - (raw_len ? 0 : HEADER_LEN - n),
		      (uLong)raw_len, Z_BEST_SPEED) != Z_OK)
		abort();
	put64(f + 48, raw_len);
	put64(f + 56, comp_len);
	put32(f + 64, (uint32_t)crc32(0, raw_len ? in + HEADER_LEN : (const Bytef *)"", (uInt)raw_len));
	put32(f + 68, (uint32_t)crc32(0, f + HEADER_LEN, (uInt)comp_len));
	put32(f + 80, (uint32_t)crc32(0, f, 80));
	*out_len = HEADER_LEN + comp_len;
	return f;
}

struct bans {
	struct prefix *t; /* owned */
	size_t total, cap;
};

static int collect(const struct ban_info *b, void *ctx)
{
	struct bans *x = ctx;

	if (x->total == x->cap) {
		x->cap = x->cap ? 2 * x->cap : 64;
		x->t = realloc(x->t, x->cap * sizeof(*x->t));
		if (!x->t)
			abort();
	}
	x->t[x->total++] = b->target;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct snapshot_result res;
	struct bans now = { .t = NULL };
	size_t len, i;
	uint8_t *file;
	char err[512];
	bool valid;
	FILE *f;
	int rc;

	if (size < 4)
		return 0;
	if ((data[0] & 3) == 0) {
		file = (uint8_t *)fuzz_dup(data + 4, size - 4);
		len = size - 4;
	} else {
		file = build(data + 4, size - 4, &len);
		if ((data[0] & 3) == 2) {
			size_t at = (data[1] | (size_t)data[2] << 8) % len;

			file[at] ^= (uint8_t)(1u << (data[3] & 7));
		}
	}
	valid = checksums_hold(file, len);
	unlink(corrupt);
	f = fopen(snap, "we");
	if (!f || fwrite(file, 1, len, f) != len || fclose(f))
		abort();
	free(file);

	rc = snapshot__restore(state_dir, bm, &res, err, sizeof(err));
	FUZZ_CHECK(banmap__foreach_ban(bm, collect, &now) == 0, "listing the bans");
	if (!valid) {
		FUZZ_CHECK(rc != 0, "a file with a failing checksum restored: %zu bans", res.restored);
		FUZZ_CHECK(now.total == 0, "a file with a failing checksum applied %zu bans", now.total);
	}
	if (rc == 0) {
		FUZZ_CHECK(!res.none, "the file is there");
		FUZZ_CHECK(now.total == res.restored, "%zu bans in the maps, %zu said restored",
			   now.total, res.restored);
		FUZZ_CHECK(res.restored + res.expired + res.refused + res.present == res.total ||
				   res.same_maps,
			   "%zu bans, %zu+%zu+%zu+%zu accounted for", res.total, res.restored,
			   res.expired, res.refused, res.present);
	} else {
		FUZZ_CHECK(rc == -EBADMSG || rc == -EPROTONOSUPPORT, "rc %d (%s)", rc, err);
		FUZZ_CHECK(err[0], "a refusal without a reason");
		FUZZ_CHECK(now.total == 0, "a refused snapshot applied %zu bans", now.total);
	}
	/* Empty maps for the next input. */
	for (i = 0; i < now.total; i++)
		FUZZ_CHECK(banmap__unban(bm, &now.t[i]) == 0, "unban");
	free(now.t);
	unlink(snap);
	return 0;
}
