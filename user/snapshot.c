// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* snapshot.c - the bans saved in the state folder, compressed and checked, so a reboot keeps them. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include <bpf/bpf.h>

#include "banmap.h"
#include "errmsg.h"
#include "fileutil.h"
#include "log.h"
#include "snapshot.h"
#include "timeutil.h"

/*
 * Header, little-endian, 88 bytes:
 *    0 magic "WRDNSNAP"     8 u32 version         12 u32 header length (88)
 *   16 u64 written at (CLOCK_REALTIME ns)         24 u8[16] boot id of the writer
 *   40 u32 id of the warden_ban4 map written from 44 u32 record count
 *   48 u64 payload length  56 u64 compressed length
 *   64 u32 CRC32 of the payload                   68 u32 CRC32 of the compressed bytes
 *   72 u32 flags (0)       76 u32 reserved (0)    80 u32 CRC32 of bytes 0..79  84 u32 (0)
 * Payload: count records of 44 bytes plus the reason:
 *    0 u8 family (4, 6)     1 u8 prefix length     2 u8 flags (1: permanent)  3 u8 reason length
 *    4 u8[16] address       20 u32 offences        24 u32 source
 *   28 i64 expiry (CLOCK_REALTIME ns, 0 if permanent)  36 i64 created (CLOCK_REALTIME ns)
 *   44 the reason, not NUL-terminated
 */
#define MAGIC "WRDNSNAP"
#define HEADER_LEN 88
#define REC_LEN 44
#define REC_PERMANENT 1
#define MAX_RECORDS (2ULL * WARDEN_MAX_EXACT + 2ULL * WARDEN_MAX_PREFIX)
#define MAX_RAW (MAX_RECORDS * (REC_LEN + WARDEN_REASON_LEN))

static void put32(unsigned char *p, uint32_t v)
{
	int i;

	for (i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void put64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const unsigned char *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

#define fail errmsg__set

/* The boot this is: /proc/sys/kernel/random/boot_id as 16 bytes (zeros if unknown). */
static void boot_id(unsigned char out[16])
{
	char text[64];
	int hi, lo, n = 0;
	size_t i;
	FILE *f;

	memset(out, 0, 16);
	f = fopen("/proc/sys/kernel/random/boot_id", "re");
	if (!f)
		return;
	if (!fgets(text, sizeof(text), f))
		text[0] = '\0';
	fclose(f);
	for (i = 0; text[i] && n < 16; i++) {
		if (text[i] == '-')
			continue;
		hi = text[i] >= 'a' ? text[i] - 'a' + 10 : text[i] - '0';
		if (!text[i + 1])
			break;
		lo = text[i + 1] >= 'a' ? text[i + 1] - 'a' + 10 : text[i + 1] - '0';
		out[n++] = (unsigned char)((hi << 4) | lo);
		i++;
	}
}

/* ---- writing ---- */

struct collect {
	unsigned char *buf; /* the payload, owned */
	size_t len, cap;
	uint32_t count;
	uint32_t digest;    /* CRC32 of the bans in boot time: what changed, not when we looked */
	uint64_t now_boot;
	int64_t now_real;
	int err;
};

static int collect_one(const struct ban_info *b, void *arg)
{
	struct collect *c = arg;
	size_t rlen = strnlen(b->reason, sizeof(b->reason) - 1);
	unsigned char *r, *grown;
	int64_t exp_real = 0, created_real = 0;
	struct {
		struct prefix target;
		uint64_t expires, offences_source;
	} key;

	if (!ban_info__live(b, c->now_boot))
		return 0; /* ended: nothing to keep */
	if (c->len + REC_LEN + rlen > c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64 * 1024;

		grown = realloc(c->buf, cap);
		if (!grown) {
			c->err = -ENOMEM;
			return 1;
		}
		c->buf = grown;
		c->cap = cap;
	}
	if (b->expires_ns)
		exp_real = c->now_real + (int64_t)(b->expires_ns - c->now_boot);
	if (b->created_ns && b->created_ns <= c->now_boot)
		created_real = c->now_real - (int64_t)(c->now_boot - b->created_ns);
	r = c->buf + c->len;
	memset(r, 0, REC_LEN);
	r[0] = b->target.family;
	r[1] = b->target.prefixlen;
	r[2] = b->expires_ns ? 0 : REC_PERMANENT;
	r[3] = (unsigned char)rlen;
	memcpy(r + 4, b->target.addr, 16);
	put32(r + 20, b->offences);
	put32(r + 24, b->source);
	put64(r + 28, (uint64_t)exp_real);
	put64(r + 36, (uint64_t)created_real);
	memcpy(r + REC_LEN, b->reason, rlen);
	c->len += REC_LEN + rlen;
	c->count++;

	memset(&key, 0, sizeof(key));
	key.target = b->target;
	key.expires = b->expires_ns;
	key.offences_source = (uint64_t)b->offences << 32 | b->source;
	c->digest = (uint32_t)crc32(c->digest, (const Bytef *)&key, sizeof(key));
	c->digest = (uint32_t)crc32(c->digest, (const Bytef *)b->reason, (uInt)rlen);
	return 0;
}

static int collect(struct banmap *bm, struct collect *c)
{
	int err;

	memset(c, 0, sizeof(*c));
	c->now_boot = time__boot_ns();
	c->now_real = time__real_ns();
	err = banmap__foreach_ban(bm, collect_one, c);
	if (c->err)
		err = c->err;
	if (err < 0) {
		free(c->buf);
		c->buf = NULL;
		return err;
	}
	return 0;
}

/* Write what c collected: temporary file, fsync, rename, fsync of the folder. */
static int write_file(const char *state_dir, struct banmap *bm, const struct collect *c)
{
	unsigned char header[HEADER_LEN];
	char path[PATH_MAX], tmp[PATH_MAX];
	uLongf comp_len = compressBound((uLong)c->len);
	unsigned char *comp;
	int fd, dfd, err, zerr;

	if (snprintf(path, sizeof(path), "%s/%s", state_dir, SNAPSHOT_FILE) >= (int)sizeof(path) ||
	    snprintf(tmp, sizeof(tmp), "%s/.%s.%d.tmp", state_dir, SNAPSHOT_FILE, (int)getpid()) >=
		    (int)sizeof(tmp))
		return -ENAMETOOLONG;
	err = file__mkdir_p(state_dir, 0700);
	if (err)
		return err;
	comp = malloc(comp_len ? comp_len : 1);
	if (!comp)
		return -ENOMEM;
	/* Fast over small: this runs in the event loop while bans are being made. */
	zerr = compress2(comp, &comp_len, c->buf ? c->buf : (const Bytef *)"", (uLong)c->len,
			 Z_BEST_SPEED);
	if (zerr != Z_OK) {
		free(comp);
		return -ENOMEM;
	}

	memset(header, 0, sizeof(header));
	memcpy(header, MAGIC, 8);
	put32(header + 8, SNAPSHOT_VERSION);
	put32(header + 12, HEADER_LEN);
	put64(header + 16, (uint64_t)c->now_real);
	boot_id(header + 24);
	put32(header + 40, banmap__maps_id(bm));
	put32(header + 44, c->count);
	put64(header + 48, c->len);
	put64(header + 56, comp_len);
	put32(header + 64, (uint32_t)crc32(0, c->buf ? c->buf : (const Bytef *)"", (uInt)c->len));
	put32(header + 68, (uint32_t)crc32(0, comp, (uInt)comp_len));
	put32(header + 80, (uint32_t)crc32(0, header, 80));

	unlink(tmp); /* ours from an earlier write that died half-way */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		err = -errno;
		free(comp);
		return err;
	}
	err = file__write_all(fd, header, sizeof(header));
	if (!err)
		err = file__write_all(fd, comp, comp_len);
	if (!err && fsync(fd))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	free(comp);
	if (!err && rename(tmp, path))
		err = -errno;
	if (err) {
		unlink(tmp);
		return err;
	}
	dfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

int snapshot__write(const char *state_dir, struct banmap *bm)
{
	struct collect c;
	int err;

	if (!state_dir || !bm)
		return -EINVAL;
	err = collect(bm, &c);
	if (err)
		return err;
	err = write_file(state_dir, bm, &c);
	free(c.buf);
	return err;
}

/* ---- batching ---- */

void snapshot_sched__init(struct snapshot_sched *s)
{
	memset(s, 0, sizeof(*s));
}

/* Collect; write unless the bans are those of the last write (force: whatever the time). */
static int write_if_changed(struct snapshot_sched *s, const char *state_dir, struct banmap *bm)
{
	uint64_t gen = banmap__generation(bm), t0 = time__mono_ns();
	struct collect c;
	int err;

	err = collect(bm, &c);
	if (err)
		return err;
	s->last_check_ns = t0;
	if (s->written && c.digest == s->digest) {
		s->written_gen = gen;
		free(c.buf);
		return 0;
	}
	err = write_file(state_dir, bm, &c);
	free(c.buf);
	if (err) {
		pr_warn("cannot write the ban snapshot in %s: %s", state_dir, strerror(-err));
		return err;
	}
	s->written = true;
	s->written_gen = gen;
	s->digest = c.digest;
	s->last_ns = time__mono_ns();
	s->cost_ns = s->last_ns - t0;
	pr_debug("ban snapshot written: %u ban%s in %s/%s", c.count, c.count == 1 ? "" : "s",
		 state_dir, SNAPSHOT_FILE);
	return 1;
}

int snapshot__maybe_write(struct snapshot_sched *s, const char *state_dir, struct banmap *bm)
{
	uint64_t now = time__mono_ns(), gap = SNAPSHOT_MIN_GAP_NS;

	if (!bm || !state_dir)
		return 0;
	if (banmap__generation(bm) != s->seen_gen)
		s->busy_calls++;
	else
		s->busy_calls = 0;
	s->seen_gen = banmap__generation(bm);
	if (s->busy_calls >= SNAPSHOT_STORM_CALLS)
		gap = SNAPSHOT_STORM_GAP_NS;
	if (s->cost_ns * 10 > gap)
		gap = s->cost_ns * 10;
	if (!s->written || (banmap__generation(bm) != s->written_gen && now - s->last_ns >= gap) ||
	    now - s->last_check_ns >= SNAPSHOT_RECHECK_NS)
		return write_if_changed(s, state_dir, bm);
	return 0;
}

int snapshot__flush(struct snapshot_sched *s, const char *state_dir, struct banmap *bm)
{
	if (!bm || !state_dir)
		return 0;
	return write_if_changed(s, state_dir, bm);
}

/* ---- restoring ---- */

/* Temporary files of writers that are gone ("kill -9" during a write). */
static void remove_stale_temps(const char *state_dir)
{
	char prefix[64], path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int pid;

	d = opendir(state_dir);
	if (!d)
		return;
	snprintf(prefix, sizeof(prefix), ".%s.", SNAPSHOT_FILE);
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, prefix, strlen(prefix)) ||
		    sscanf(de->d_name + strlen(prefix), "%d.tmp", &pid) != 1)
			continue;
		if (pid > 0 && (kill(pid, 0) == 0 || errno == EPERM))
			continue; /* its writer lives */
		snprintf(path, sizeof(path), "%s/%s", state_dir, de->d_name);
		if (unlink(path) == 0)
			pr_debug("removed %s, left by a writer that was killed", path);
	}
	closedir(d);
}

/* Host bits below the prefix length must be zero: a snapshot never holds another shape. */
static bool canonical(const struct prefix *p)
{
	int bytes = p->family == 4 ? 4 : 16, i, bits;

	for (i = 0; i < 16; i++) {
		bits = p->prefixlen - 8 * i;
		if (i >= bytes) {
			if (p->addr[i])
				return false;
		} else if (bits <= 0) {
			if (p->addr[i])
				return false;
		} else if (bits < 8 && (p->addr[i] & (0xff >> bits))) {
			return false;
		}
	}
	return true;
}

static int target_cmp(const void *x, const void *y)
{
	return memcmp(x, y, sizeof(struct prefix));
}

/*
 * The maps hold one ban per target, so a snapshot never holds two: a file
 * that does would have its restored count exceed what the maps take.
 */
static bool has_duplicate(const struct ban_entry *e, uint32_t count)
{
	struct prefix *t;
	bool dup = false;
	uint32_t i;

	if (count < 2)
		return false;
	t = malloc(count * sizeof(*t));
	if (!t)
		return false; /* the maps will tell: the count is then only a message */
	for (i = 0; i < count; i++)
		t[i] = e[i].target;
	qsort(t, count, sizeof(*t), target_cmp);
	for (i = 1; i < count && !dup; i++)
		dup = !memcmp(&t[i - 1], &t[i], sizeof(*t));
	free(t);
	return dup;
}

/* Every record, checked; out (count entries, owned by the caller) in boot time. */
static int parse_payload(const unsigned char *raw, size_t len, uint32_t count,
			 struct ban_entry **out, int64_t **exp_out, char *err, size_t errlen)
{
	struct ban_entry *e = calloc(count ? count : 1, sizeof(*e));
	int64_t *exp = calloc(count ? count : 1, sizeof(*exp));
	size_t off = 0;
	uint32_t i;

	if (!e || !exp) {
		free(e);
		free(exp);
		return fail(err, errlen, -ENOMEM, "out of memory");
	}
	for (i = 0; i < count; i++) {
		const unsigned char *r = raw + off;
		struct ban_entry *b = &e[i];
		size_t rlen;

		if (len - off < REC_LEN)
			goto bad;
		rlen = r[3];
		if (len - off - REC_LEN < rlen || rlen >= WARDEN_REASON_LEN || (r[0] != 4 && r[0] != 6) ||
		    r[1] > (r[0] == 4 ? 32 : 128) || (r[2] & ~REC_PERMANENT) ||
		    memchr(r + REC_LEN, '\0', rlen))
			goto bad;
		b->target.family = r[0];
		b->target.prefixlen = r[1];
		memcpy(b->target.addr, r + 4, 16);
		if (!canonical(&b->target))
			goto bad;
		b->offences = get32(r + 20);
		b->source = get32(r + 24);
		exp[i] = (int64_t)get64(r + 28);
		if ((r[2] & REC_PERMANENT) ? exp[i] != 0 : exp[i] <= 0)
			goto bad;
		memcpy(b->reason, r + REC_LEN, rlen);
		b->reason[rlen] = '\0';
		off += REC_LEN + rlen;
	}
	if (off != len) {
		free(e);
		free(exp);
		return fail(err, errlen, -EBADMSG, "%zu bytes after the last ban", len - off);
	}
	if (has_duplicate(e, count)) {
		free(e);
		free(exp);
		return fail(err, errlen, -EBADMSG, "a target banned twice: not written by warden");
	}
	*out = e;
	*exp_out = exp;
	return 0;
bad:
	free(e);
	free(exp);
	return fail(err, errlen, -EBADMSG, "ban record %u of %u is malformed", i + 1, count);
}

/* Read and check the whole file; nothing is applied here. */
static int load(const char *path, unsigned char *hdr_out, struct ban_entry **bans,
		int64_t **exp, char *err, size_t errlen)
{
	unsigned char *file = NULL, *raw = NULL;
	uint64_t raw_len, comp_len;
	uint32_t version, hlen, count;
	uLongf got;
	struct stat st;
	size_t size;
	ssize_t n;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return fail(err, errlen, -EBADMSG, "not a regular file");
	}
	if ((uint64_t)st.st_size > HEADER_LEN + MAX_RAW + MAX_RAW / 100 + 1024) {
		close(fd);
		return fail(err, errlen, -EBADMSG, "%lld bytes: larger than any snapshot can be",
			    (long long)st.st_size);
	}
	size = (size_t)st.st_size;
	file = malloc(size ? size : 1);
	if (!file) {
		close(fd);
		return fail(err, errlen, -ENOMEM, "out of memory");
	}
	n = read(fd, file, size);
	close(fd);
	if (n != (ssize_t)size) {
		free(file);
		return fail(err, errlen, -EIO, "short read");
	}

	if (size < HEADER_LEN) {
		ret = fail(err, errlen, -EBADMSG, "truncated: %zu bytes, shorter than its header",
			   size);
		goto out;
	}
	if (memcmp(file, MAGIC, 8)) {
		ret = fail(err, errlen, -EBADMSG, "not a warden ban snapshot (bad magic)");
		goto out;
	}
	version = get32(file + 8);
	hlen = get32(file + 12);
	if (version != SNAPSHOT_VERSION || hlen != HEADER_LEN) {
		ret = fail(err, errlen, -EPROTONOSUPPORT,
			   "format version %u, this warden reads version %u", version,
			   SNAPSHOT_VERSION);
		goto out;
	}
	if (get32(file + 80) != (uint32_t)crc32(0, file, 80)) {
		ret = fail(err, errlen, -EBADMSG, "header checksum mismatch");
		goto out;
	}
	count = get32(file + 44);
	raw_len = get64(file + 48);
	comp_len = get64(file + 56);
	if (comp_len != size - HEADER_LEN) {
		ret = fail(err, errlen, -EBADMSG, "truncated or padded: %zu bytes of payload, the "
			   "header says %llu", size - HEADER_LEN, (unsigned long long)comp_len);
		goto out;
	}
	if (get32(file + 68) != (uint32_t)crc32(0, file + HEADER_LEN, (uInt)comp_len)) {
		ret = fail(err, errlen, -EBADMSG, "checksum mismatch: the payload is damaged");
		goto out;
	}
	if (count > MAX_RECORDS || raw_len > (uint64_t)count * (REC_LEN + WARDEN_REASON_LEN) ||
	    raw_len < (uint64_t)count * REC_LEN) {
		ret = fail(err, errlen, -EBADMSG, "%u bans in %llu bytes: impossible sizes", count,
			   (unsigned long long)raw_len);
		goto out;
	}
	raw = malloc(raw_len ? raw_len : 1);
	if (!raw) {
		ret = fail(err, errlen, -ENOMEM, "out of memory");
		goto out;
	}
	got = (uLongf)raw_len;
	if (uncompress(raw, &got, file + HEADER_LEN, (uLong)comp_len) != Z_OK || got != raw_len) {
		ret = fail(err, errlen, -EBADMSG, "the payload does not decompress to its %llu bytes",
			   (unsigned long long)raw_len);
		goto out;
	}
	if (get32(file + 64) != (uint32_t)crc32(0, raw, (uInt)raw_len)) {
		ret = fail(err, errlen, -EBADMSG, "checksum mismatch after decompression");
		goto out;
	}
	ret = parse_payload(raw, (size_t)raw_len, count, bans, exp, err, errlen);
	if (!ret)
		memcpy(hdr_out, file, HEADER_LEN);
out:
	free(raw);
	free(file);
	return ret;
}

int snapshot__restore(const char *state_dir, struct banmap *bm, struct snapshot_result *res,
		      char *err, size_t errlen)
{
	struct snapshot_result local;
	unsigned char hdr[HEADER_LEN], boot[16];
	char path[PATH_MAX], aside[PATH_MAX + 16], why[256], text[PREFIX_STRLEN];
	struct ban_entry *bans = NULL, *keep;
	struct ban_info cur;
	int64_t *exp = NULL, now_real;
	uint64_t now_boot;
	size_t i, n_keep = 0;
	uint32_t count;
	int ret;

	if (!res)
		res = &local;
	memset(res, 0, sizeof(*res));
	if (err && errlen)
		err[0] = '\0';
	if (!state_dir || !bm)
		return -EINVAL;
	if (snprintf(path, sizeof(path), "%s/%s", state_dir, SNAPSHOT_FILE) >= (int)sizeof(path))
		return fail(err, errlen, -ENAMETOOLONG, "state folder name too long");
	remove_stale_temps(state_dir);

	ret = load(path, hdr, &bans, &exp, err, errlen);
	if (ret == -ENOENT) {
		res->none = true;
		return 0;
	}
	if (ret == -EBADMSG) {
		/* Kept for a look, out of the way of the next snapshot. */
		snprintf(aside, sizeof(aside), "%s.corrupt", path);
		if (rename(path, aside) == 0 && err && errlen)
			snprintf(err + strlen(err), errlen - strlen(err), " (moved to %s)", aside);
		return ret;
	}
	if (ret)
		return ret;

	count = get32(hdr + 44);
	res->total = count;
	now_real = time__real_ns();
	now_boot = time__boot_ns();
	/* Only reported: a wild "written at" (a clock gone wrong) must not overflow. */
	if (__builtin_sub_overflow(now_real, (int64_t)get64(hdr + 16), &res->age_ns))
		res->age_ns = 0;
	boot_id(boot);
	if (!memcmp(boot, hdr + 24, 16) && get32(hdr + 40) && get32(hdr + 40) == banmap__maps_id(bm)) {
		res->same_maps = true;
		ret = 0;
		goto out;
	}

	/* Everything checked: now choose what goes in, then one batch. */
	keep = bans;
	for (i = 0; i < count; i++) {
		struct ban_entry *b = &bans[i];

		if (exp[i] && exp[i] <= now_real) {
			res->expired++;
			continue;
		}
		if (banmap__refusal(bm, &b->target, why, sizeof(why))) {
			res->refused++;
			pr_info("not restoring the ban of %s: %s",
				prefix__format(&b->target, text, sizeof(text)), why);
			continue;
		}
		if (banmap__get(bm, &b->target, &cur) == 0) {
			res->present++;
			continue;
		}
		b->expires_ns = exp[i] ? now_boot + (uint64_t)(exp[i] - now_real) : 0;
		if (&keep[n_keep] != b)
			keep[n_keep] = *b;
		n_keep++;
	}
	ret = banmap__ban_entries(bm, keep, n_keep);
	if (ret) {
		fail(err, errlen, ret, "the maps refused the restored bans: %s", strerror(-ret));
		goto out;
	}
	res->restored = n_keep;
out:
	free(bans);
	free(exp);
	return ret;
}

int snapshot__restore_logged(const char *state_dir, struct banmap *bm)
{
	struct snapshot_result res;
	char err[512], age[32];
	int ret;

	ret = snapshot__restore(state_dir, bm, &res, err, sizeof(err));
	if (ret == -EBADMSG)
		pr_warn("the ban snapshot %s/%s is damaged: %s; nothing of it was restored",
			state_dir, SNAPSHOT_FILE, err);
	else if (ret == -EPROTONOSUPPORT)
		pr_warn("the ban snapshot %s/%s is not restored: %s", state_dir, SNAPSHOT_FILE, err);
	else if (ret)
		pr_warn("cannot restore the ban snapshot %s/%s: %s", state_dir, SNAPSHOT_FILE,
			err[0] ? err : strerror(-ret));
	else if (res.none)
		pr_debug("no ban snapshot in %s yet", state_dir);
	else if (res.same_maps)
		pr_info("the pinned ban maps are the ones of the last snapshot: they are kept as "
			"they are");
	else
		pr_info("restored %zu ban%s from the snapshot of %s ago (%zu ended since, %zu "
			"refused, %zu there already)", res.restored, res.restored == 1 ? "" : "s",
			time__format_duration(res.age_ns > 0 ? (uint64_t)res.age_ns : 0, age,
					      sizeof(age)),
			res.expired, res.refused, res.present);
	return ret;
}
