// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* test_snapshot.c - ban snapshots: round trip into new maps, expiry, refusals, damage refused whole, atomic writes. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <bpf/libbpf.h>

#include "addr.h"
#include "banmap.h"
#include "log.h"
#include "snapshot.h"
#include "testutil.h"
#include "timeutil.h"

/*
 * Maps live on a private bpffs in a mount namespace of our own (as in
 * test_xdp.c); each "boot" is a fresh pin folder, i.e. new maps.
 */
static char bpffs_dir[] = "/tmp/wtest-snap-bpffs.XXXXXX";
static char state_root[] = "/tmp/wtest-snap-state.XXXXXX";
static char state[512], snap[600];
static int seq;

static struct banmap *fresh_maps(void)
{
	char pin[256];
	struct banmap *bm;

	snprintf(pin, sizeof(pin), "%s/boot%d", bpffs_dir, ++seq);
	bm = banmap__open(pin, BANMAP_CREATE);
	ASSERT_NOT_NULL(bm, "banmap__open");
	return bm;
}

static void new_state(void)
{
	snprintf(state, sizeof(state), "%s/s%d", state_root, ++seq);
	snprintf(snap, sizeof(snap), "%s/%s", state, SNAPSHOT_FILE);
}

static struct prefix P(const char *text)
{
	struct prefix p;

	memset(&p, 0, sizeof(p));
	if (prefix__parse(text, &p, NULL, 0))
		TU_FAIL("prefix", "cannot parse %s", text);
	return p;
}

static int ban(struct banmap *bm, const char *target, uint64_t for_ns, const char *reason,
	       uint32_t offences)
{
	struct prefix p = P(target);

	return banmap__ban(bm, &p, for_ns ? time__boot_ns() + for_ns : 0, reason,
			   BAN_SOURCE_DETECTOR, offences);
}

static bool has_ban(struct banmap *bm, const char *target, struct ban_info *out)
{
	struct prefix p = P(target);
	struct ban_info local;

	return banmap__get(bm, &p, out ? out : &local) == 0;
}

static int count_bans(struct banmap *bm)
{
	struct banmap_sizes s;

	if (banmap__sizes(bm, &s))
		return -1;
	return (int)(s.exact4 + s.exact6 + s.prefix4 + s.prefix6);
}

/* Files in the state folder other than the snapshot (temporary files left behind). */
static int stray_files(void)
{
	struct dirent *de;
	int n = 0;
	DIR *d = opendir(state);

	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (de->d_name[0] == '.' && strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : (long)st.st_size;
}

static void test_ban_entries(void)
{
	struct ban_entry e[3];
	struct ban_info bi;
	struct banmap *bm = fresh_maps();
	uint64_t now = time__boot_ns(), gen;

	if (!bm)
		return;
	memset(e, 0, sizeof(e));
	e[0].target = P("192.0.2.10");
	e[0].expires_ns = now + 100 * NSEC_PER_SEC;
	e[0].offences = 2;
	e[0].source = BAN_SOURCE_DETECTOR;
	snprintf(e[0].reason, sizeof(e[0].reason), "first");
	e[1].target = P("2001:db8::10");
	e[1].expires_ns = now + 200 * NSEC_PER_SEC;
	e[1].source = BAN_SOURCE_CLI;
	e[2].target = P("198.51.100.0/24");
	e[2].expires_ns = 0;
	e[2].offences = 1;
	e[2].source = BAN_SOURCE_FILE;
	snprintf(e[2].reason, sizeof(e[2].reason), "a prefix");
	gen = banmap__generation(bm);
	ASSERT_OK(banmap__ban_entries(bm, e, 3), "ban_entries");
	ASSERT_TRUE(banmap__generation(bm) != gen, "generation bumped");
	if (ASSERT_TRUE(has_ban(bm, "192.0.2.10", &bi), "v4 in")) {
		ASSERT_EQ(bi.expires_ns, e[0].expires_ns, "own expiry");
		ASSERT_EQ(bi.offences, 2, "offences");
		ASSERT_STREQ(bi.reason, "first", "reason");
	}
	if (ASSERT_TRUE(has_ban(bm, "2001:db8::10", &bi), "v6 in"))
		ASSERT_EQ(bi.expires_ns, e[1].expires_ns, "its own expiry");
	if (ASSERT_TRUE(has_ban(bm, "198.51.100.0/24", &bi), "prefix in")) {
		ASSERT_EQ(bi.expires_ns, 0, "permanent");
		ASSERT_STREQ(bi.reason, "a prefix", "prefix reason");
		ASSERT_EQ(bi.source, BAN_SOURCE_FILE, "source");
	}
	gen = banmap__generation(bm);
	ASSERT_OK(banmap__unban(bm, &e[0].target), "unban");
	ASSERT_TRUE(banmap__generation(bm) != gen, "unban bumps");
	banmap__close(bm);
}

/* The fleet's writes: a ban is never shortened, a lengthened local ban stays local. */
static void test_ban_entries_longer(void)
{
	struct ban_entry e[4];
	struct ban_info bi;
	struct banmap *bm = fresh_maps();
	uint64_t now = time__boot_ns();
	size_t written = 99;
	int i;

	if (!bm)
		return;
	ASSERT_OK(ban(bm, "192.0.2.20", 100 * NSEC_PER_SEC, "local", 1), "a local ban");
	/* A ban that has ended: its expiry is past. */
	e[0].target = P("192.0.2.22");
	ASSERT_OK(banmap__ban(bm, &e[0].target, now - 1, "ended", BAN_SOURCE_DETECTOR, 1), "ended");
	memset(e, 0, sizeof(e));
	e[0].target = P("192.0.2.20");
	e[0].expires_ns = now + 50 * NSEC_PER_SEC;
	e[1].target = P("192.0.2.21");
	e[1].expires_ns = now + 50 * NSEC_PER_SEC;
	e[2].target = P("2001:db8::20");
	e[3].target = P("192.0.2.22");
	e[3].expires_ns = now + 50 * NSEC_PER_SEC;
	for (i = 0; i < 4; i++) {
		e[i].source = BAN_SOURCE_FLEET;
		snprintf(e[i].reason, sizeof(e[i].reason), "fleet %d", i);
	}
	ASSERT_OK(banmap__ban_entries_longer(bm, e, 4, &written), "ban_entries_longer");
	ASSERT_EQ(written, 3, "the longer local ban is left");
	if (ASSERT_TRUE(has_ban(bm, "192.0.2.20", &bi), "local ban")) {
		ASSERT_TRUE(bi.expires_ns > now + 90 * NSEC_PER_SEC, "not shortened");
		ASSERT_STREQ(bi.reason, "local", "its reason");
	}
	if (ASSERT_TRUE(has_ban(bm, "192.0.2.22", &bi), "ended ban replaced")) {
		ASSERT_EQ(bi.expires_ns, e[3].expires_ns, "the new expiry");
		ASSERT_EQ(bi.source, BAN_SOURCE_FLEET, "now a fleet ban");
	}
	if (ASSERT_TRUE(has_ban(bm, "2001:db8::20", &bi), "permanent"))
		ASSERT_EQ(bi.expires_ns, 0, "permanent");

	/* Longer now: lengthened, the local one keeping its source; a permanent one stays. */
	e[0].expires_ns = e[1].expires_ns = now + 500 * NSEC_PER_SEC;
	e[2].expires_ns = now + 500 * NSEC_PER_SEC;
	ASSERT_OK(banmap__ban_entries_longer(bm, e, 3, &written), "again, longer");
	ASSERT_EQ(written, 2, "the permanent ban is left");
	if (ASSERT_TRUE(has_ban(bm, "192.0.2.20", &bi), "local ban")) {
		ASSERT_EQ(bi.expires_ns, e[0].expires_ns, "lengthened");
		ASSERT_EQ(bi.source, BAN_SOURCE_DETECTOR, "stays local");
	}
	if (ASSERT_TRUE(has_ban(bm, "192.0.2.21", &bi), "fleet ban")) {
		ASSERT_EQ(bi.expires_ns, e[1].expires_ns, "lengthened");
		ASSERT_EQ(bi.source, BAN_SOURCE_FLEET, "fleet");
		ASSERT_STREQ(bi.reason, "fleet 1", "reason");
	}
	if (ASSERT_TRUE(has_ban(bm, "2001:db8::20", &bi), "permanent"))
		ASSERT_EQ(bi.expires_ns, 0, "still permanent");

	/* A prefix goes the same way. */
	memset(e, 0, sizeof(e));
	e[0].target = P("198.51.100.0/24");
	e[0].source = BAN_SOURCE_FLEET;
	ASSERT_OK(banmap__ban_entries_longer(bm, e, 1, &written), "prefix");
	ASSERT_EQ(written, 1, "prefix written");
	e[0].expires_ns = now + 10 * NSEC_PER_SEC;
	ASSERT_OK(banmap__ban_entries_longer(bm, e, 1, &written), "prefix, shorter");
	ASSERT_EQ(written, 0, "not shortened");
	if (ASSERT_TRUE(has_ban(bm, "198.51.100.0/24", &bi), "prefix"))
		ASSERT_EQ(bi.expires_ns, 0, "permanent");
	banmap__close(bm);
}

static void test_round_trip(void)
{
	struct banmap *bm = fresh_maps(), *bm2 = NULL;
	struct snapshot_result res;
	struct ban_info bi, orig;
	char err[256];
	int i;

	if (!bm)
		return;
	new_state();
	ASSERT_OK(ban(bm, "192.0.2.1", 3600 * NSEC_PER_SEC, "5 failures in 10m: /admin", 3), "ban");
	ASSERT_OK(ban(bm, "2001:db8::/64", 7200 * NSEC_PER_SEC, "v6 prefix", 1), "ban v6 prefix");
	ASSERT_OK(ban(bm, "203.0.113.0/24", 0, "permanent prefix", 0), "ban permanent");
	ASSERT_OK(ban(bm, "2001:db8:1::7", 600 * NSEC_PER_SEC, NULL, 0), "ban v6, no reason");
	for (i = 0; i < 2000; i++) {
		char a[32];

		snprintf(a, sizeof(a), "198.18.%d.%d", i / 250, i % 250 + 1);
		ban(bm, a, (uint64_t)(i + 60) * NSEC_PER_SEC, "bulk", 1);
	}
	ASSERT_TRUE(has_ban(bm, "192.0.2.1", &orig), "original");
	ASSERT_OK(snapshot__write(state, bm), "write");
	ASSERT_EQ(stray_files(), 0, "no temporary file left");
	ASSERT_TRUE(file_size(snap) > 88, "written");

	/* The same maps: they are the truth, nothing is applied (a lifted ban stays lifted). */
	{
		struct prefix p = P("2001:db8:1::7");

		ASSERT_OK(banmap__unban(bm, &p), "lift one");
	}
	ASSERT_OK(snapshot__restore(state, bm, &res, err, sizeof(err)), "restore same maps");
	ASSERT_TRUE(res.same_maps, "same maps seen");
	ASSERT_FALSE(has_ban(bm, "2001:db8:1::7", NULL), "lifted ban not resurrected");

	/* A "reboot": new maps, the snapshot brings everything back in one batch. */
	bm2 = fresh_maps();
	if (!bm2)
		goto out;
	ASSERT_EQ(count_bans(bm2), 0, "new maps are empty");
	ASSERT_OK(snapshot__restore(state, bm2, &res, err, sizeof(err)), "restore");
	ASSERT_FALSE(res.same_maps, "other maps");
	ASSERT_EQ(res.total, 2004, "all in the snapshot");
	ASSERT_EQ(res.restored, 2004, "all restored");
	ASSERT_EQ(count_bans(bm2), 2004, "all in the maps");
	if (ASSERT_TRUE(has_ban(bm2, "192.0.2.1", &bi), "v4 back")) {
		ASSERT_STREQ(bi.reason, "5 failures in 10m: /admin", "reason back");
		ASSERT_EQ(bi.offences, 3, "offences back");
		ASSERT_EQ(bi.source, BAN_SOURCE_DETECTOR, "source back");
		/* Through the wall clock and back: within a second of the original. */
		ASSERT_LE(bi.expires_ns > orig.expires_ns ? bi.expires_ns - orig.expires_ns
							  : orig.expires_ns - bi.expires_ns,
			  NSEC_PER_SEC, "expiry kept");
	}
	ASSERT_TRUE(has_ban(bm2, "2001:db8::/64", NULL), "v6 prefix back");
	if (ASSERT_TRUE(has_ban(bm2, "203.0.113.0/24", &bi), "permanent back"))
		ASSERT_EQ(bi.expires_ns, 0, "still permanent");
	ASSERT_TRUE(has_ban(bm2, "198.18.7.250", NULL), "bulk back");
out:
	banmap__close(bm);
	banmap__close(bm2);
}

static void test_expired_refused_present(void)
{
	struct banmap *bm = fresh_maps(), *bm2 = NULL;
	struct snapshot_result res;
	struct ban_info bi;
	struct prefix p;
	char err[256];

	if (!bm)
		return;
	new_state();
	ASSERT_OK(ban(bm, "192.0.2.20", 300 * NSEC_PER_MSEC, "short", 1), "short ban");
	ASSERT_OK(ban(bm, "192.0.2.21", 3600 * NSEC_PER_SEC, "long", 1), "long ban");
	ASSERT_OK(ban(bm, "192.0.2.22", 3600 * NSEC_PER_SEC, "to be allowed", 1), "ban");
	ASSERT_OK(ban(bm, "192.0.2.23", 3600 * NSEC_PER_SEC, "from the snapshot", 1), "ban");
	ASSERT_OK(snapshot__write(state, bm), "write");
	usleep(400 * 1000);

	bm2 = fresh_maps();
	if (!bm2)
		goto out;
	p = P("192.0.2.22");
	ASSERT_OK(banmap__allow(bm2, &p), "allow");
	p = P("192.0.2.23");
	ASSERT_OK(banmap__ban(bm2, &p, 0, "made after the boot", BAN_SOURCE_CLI, 0), "live ban");
	ASSERT_OK(snapshot__restore(state, bm2, &res, err, sizeof(err)), "restore");
	ASSERT_EQ(res.total, 4, "total");
	ASSERT_EQ(res.expired, 1, "ended since: skipped");
	ASSERT_EQ(res.refused, 1, "allowlisted: skipped");
	ASSERT_EQ(res.present, 1, "there already: kept as it is");
	ASSERT_EQ(res.restored, 1, "the rest");
	ASSERT_FALSE(has_ban(bm2, "192.0.2.20", NULL), "expired not restored");
	ASSERT_TRUE(has_ban(bm2, "192.0.2.21", NULL), "long restored");
	ASSERT_FALSE(has_ban(bm2, "192.0.2.22", NULL), "allowlist wins");
	if (ASSERT_TRUE(has_ban(bm2, "192.0.2.23", &bi), "live one"))
		ASSERT_STREQ(bi.reason, "made after the boot", "the live one is kept");
out:
	banmap__close(bm);
	banmap__close(bm2);
}

/* Copy the good snapshot over snap, damaged by fn. */
static void damage(const unsigned char *good, long len, long cut, long flip_at)
{
	FILE *f = fopen(snap, "wb");
	unsigned char *copy = malloc((size_t)len);

	if (!f || !copy) {
		TU_FAIL("damage", "cannot write %s", snap);
		if (f)
			fclose(f);
		free(copy);
		return;
	}
	memcpy(copy, good, (size_t)len);
	if (flip_at >= 0 && flip_at < len)
		copy[flip_at] ^= 0x5a;
	fwrite(copy, 1, (size_t)(cut >= 0 ? cut : len), f);
	fclose(f);
	free(copy);
}

static void test_damage_refused(void)
{
	struct banmap *bm = fresh_maps(), *bm2 = NULL;
	struct snapshot_result res;
	unsigned char good[65536];
	char err[256], aside[700];
	long len, cases[][2] = {
		/* { cut, flip } */
		{ -1, 0 },   /* magic */
		{ -1, 20 },  /* the time: header checksum */
		{ -1, 44 },  /* the count */
		{ -1, 90 },  /* compressed payload */
		{ -1, -2 },  /* the last byte (set below) */
		{ 50, -1 },  /* shorter than the header */
		{ 88, -1 },  /* header only */
		{ -2, -1 },  /* one byte short (set below) */
	};
	size_t i;
	FILE *f;
	int ret;

	if (!bm)
		return;
	new_state();
	for (i = 0; i < 100; i++) {
		char a[32];

		snprintf(a, sizeof(a), "198.18.0.%zu", i + 1);
		ban(bm, a, 3600 * NSEC_PER_SEC, "damage test", 1);
	}
	ASSERT_OK(snapshot__write(state, bm), "write");
	f = fopen(snap, "rb");
	if (!ASSERT_NOT_NULL(f, "read back"))
		goto out;
	len = (long)fread(good, 1, sizeof(good), f);
	fclose(f);
	bm2 = fresh_maps();
	if (!bm2)
		goto out;
	cases[4][1] = len - 1;
	cases[7][0] = len - 1;
	snprintf(aside, sizeof(aside), "%s.corrupt", snap);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char name[64];

		snprintf(name, sizeof(name), "damage case %zu", i);
		damage(good, len, cases[i][0], cases[i][1]);
		unlink(aside);
		err[0] = '\0';
		ret = snapshot__restore(state, bm2, &res, err, sizeof(err));
		ASSERT_EQ(ret, -EBADMSG, name);
		ASSERT_TRUE(err[0] != '\0', "a reason");
		ASSERT_EQ(count_bans(bm2), 0, "nothing applied");
		ASSERT_TRUE(file_size(aside) >= 0, "moved aside");
		ASSERT_TRUE(file_size(snap) < 0, "out of the way");
		if (i == 0)
			ASSERT_TRUE(strstr(err, "magic") != NULL, "says bad magic");
		if (i == 3)
			ASSERT_TRUE(strstr(err, "checksum") != NULL, "says checksum");
		if (i == 5)
			ASSERT_TRUE(strstr(err, "truncated") != NULL, "says truncated");
	}

	/* Another version: refused, nothing applied, the file kept (a newer warden's). */
	damage(good, len, -1, -1);
	{
		unsigned char hdr[88];

		memcpy(hdr, good, 88);
		hdr[8] = 2;
		{
			uint32_t crc = (uint32_t)crc32(0, hdr, 80);

			hdr[80] = (unsigned char)crc;
			hdr[81] = (unsigned char)(crc >> 8);
			hdr[82] = (unsigned char)(crc >> 16);
			hdr[83] = (unsigned char)(crc >> 24);
		}
		f = fopen(snap, "r+b");
		if (f) {
			fwrite(hdr, 1, 88, f);
			fclose(f);
		}
	}
	ret = snapshot__restore(state, bm2, &res, err, sizeof(err));
	ASSERT_EQ(ret, -EPROTONOSUPPORT, "other version");
	ASSERT_TRUE(strstr(err, "version 2") != NULL, "says the version");
	ASSERT_EQ(count_bans(bm2), 0, "nothing applied");
	ASSERT_TRUE(file_size(snap) > 0, "kept");

	/* And the good one still restores. */
	damage(good, len, -1, -1);
	ASSERT_OK(snapshot__restore(state, bm2, &res, err, sizeof(err)), "good one");
	ASSERT_EQ(res.restored, 100, "restored");
out:
	banmap__close(bm);
	banmap__close(bm2);
}

/*
 * Found by tests/fuzz/fuzz_snapshot: a snapshot with good checksums and a
 * "written at" far from now (a clock gone wrong, a forged file) overflowed
 * the age computed for the message (undefined behaviour). Its bans are
 * still restored; the age is reported as 0 when it does not fit.
 */
static void test_wild_written_at(void)
{
	static const uint64_t wild[] = { 0x8000000000000000ULL, 0x7fffffffffffffffULL };
	struct banmap *bm = fresh_maps(), *bm2 = NULL;
	struct snapshot_result res;
	unsigned char good[4096];
	char err[256];
	size_t i, k;
	long len;
	FILE *f;

	if (!bm)
		return;
	new_state();
	ASSERT_OK(ban(bm, "192.0.2.40", 3600 * NSEC_PER_SEC, "wild clock", 1), "ban");
	ASSERT_OK(snapshot__write(state, bm), "write");
	f = fopen(snap, "rb");
	if (!ASSERT_NOT_NULL(f, "read back"))
		goto out;
	len = (long)fread(good, 1, sizeof(good), f);
	fclose(f);
	for (i = 0; i < sizeof(wild) / sizeof(wild[0]); i++) {
		uint32_t crc;

		for (k = 0; k < 8; k++)
			good[16 + k] = (unsigned char)(wild[i] >> (8 * k));
		crc = (uint32_t)crc32(0, good, 80);
		for (k = 0; k < 4; k++)
			good[80 + k] = (unsigned char)(crc >> (8 * k));
		damage(good, len, -1, -1);
		banmap__close(bm2);
		bm2 = fresh_maps();
		if (!bm2)
			goto out;
		ASSERT_OK(snapshot__restore(state, bm2, &res, err, sizeof(err)), "restore");
		ASSERT_EQ(res.restored, 1, "restored");
		ASSERT_TRUE(has_ban(bm2, "192.0.2.40", NULL), "the ban is back");
		ASSERT_LE(res.age_ns, 0, "no age from the future");
	}
out:
	banmap__close(bm);
	banmap__close(bm2);
}

static void put_le(unsigned char *p, uint64_t v, int n)
{
	int k;

	for (k = 0; k < n; k++)
		p[k] = (unsigned char)(v >> (8 * k));
}

/*
 * Found by tests/fuzz/fuzz_snapshot: a file with good checksums holding one
 * target twice said 2 bans restored while the maps took 1. warden never
 * writes such a file: it is refused as damaged, nothing applied.
 */
static void test_duplicate_target(void)
{
	struct banmap *bm = fresh_maps(), *bm2 = NULL;
	struct snapshot_result res;
	unsigned char good[4096], raw[1024], file[4096];
	uLongf raw_len = sizeof(raw) / 2, comp_len = sizeof(file) - 88;
	char err[256];
	long len;
	FILE *f;

	if (!bm)
		return;
	new_state();
	ASSERT_OK(ban(bm, "192.0.2.41", 3600 * NSEC_PER_SEC, "twice", 1), "ban");
	ASSERT_OK(snapshot__write(state, bm), "write");
	f = fopen(snap, "rb");
	if (!ASSERT_NOT_NULL(f, "read back"))
		goto out;
	len = (long)fread(good, 1, sizeof(good), f);
	fclose(f);
	/* The payload twice over, with the header's count, lengths and checksums to match. */
	if (!ASSERT_EQ(uncompress(raw, &raw_len, good + 88, (uLong)(len - 88)), Z_OK, "payload"))
		goto out;
	memcpy(raw + raw_len, raw, raw_len);
	raw_len *= 2;
	if (!ASSERT_EQ(compress2(file + 88, &comp_len, raw, raw_len, 1), Z_OK, "compress"))
		goto out;
	memcpy(file, good, 88);
	put_le(file + 44, 2, 4);
	put_le(file + 48, raw_len, 8);
	put_le(file + 56, comp_len, 8);
	put_le(file + 64, (uint32_t)crc32(0, raw, (uInt)raw_len), 4);
	put_le(file + 68, (uint32_t)crc32(0, file + 88, (uInt)comp_len), 4);
	put_le(file + 80, (uint32_t)crc32(0, file, 80), 4);
	damage(file, 88 + (long)comp_len, -1, -1);
	bm2 = fresh_maps();
	if (!bm2)
		goto out;
	err[0] = '\0';
	ASSERT_EQ(snapshot__restore(state, bm2, &res, err, sizeof(err)), -EBADMSG, "refused");
	ASSERT_TRUE(strstr(err, "twice") != NULL, "says why");
	ASSERT_EQ(count_bans(bm2), 0, "nothing applied");
out:
	banmap__close(bm);
	banmap__close(bm2);
}

static void test_atomic_write(void)
{
	struct banmap *bm = fresh_maps();
	struct snapshot_result res;
	char tmp[700], err[256];
	pid_t dead;
	long before;

	if (!bm)
		return;
	new_state();
	ASSERT_OK(ban(bm, "192.0.2.30", 3600 * NSEC_PER_SEC, "x", 1), "ban");
	ASSERT_OK(snapshot__write(state, bm), "write");
	before = file_size(snap);

	/* The rename cannot happen (a folder in the way): error, no temporary file, no snapshot. */
	snprintf(tmp, sizeof(tmp), "%s.kept", snap);
	ASSERT_OK(rename(snap, tmp), "keep");
	ASSERT_OK(mkdir(snap, 0700), "folder in the way");
	ASSERT_ERR(snapshot__write(state, bm), "write fails");
	ASSERT_EQ(stray_files(), 0, "no temporary file left on failure");
	rmdir(snap);
	ASSERT_OK(rename(tmp, snap), "put back");
	ASSERT_EQ(file_size(snap), before, "old snapshot intact");

	/* A temporary file of a writer killed mid-write is removed at the next start. */
	for (dead = 4000000; dead > 300 && (kill(dead, 0) == 0 || errno != ESRCH); dead--)
		;
	snprintf(tmp, sizeof(tmp), "%s/.%s.%d.tmp", state, SNAPSHOT_FILE, (int)dead);
	fclose(fopen(tmp, "w"));
	ASSERT_EQ(stray_files(), 1, "left by a dead writer");
	ASSERT_OK(snapshot__restore(state, bm, &res, err, sizeof(err)), "restore");
	ASSERT_EQ(stray_files(), 0, "removed");
	banmap__close(bm);
}

static void test_sched(void)
{
	struct banmap *bm = fresh_maps();
	struct snapshot_sched s;

	if (!bm)
		return;
	new_state();
	snapshot_sched__init(&s);
	ASSERT_EQ(snapshot__maybe_write(&s, state, bm), 1, "first: written");
	ASSERT_EQ(snapshot__maybe_write(&s, state, bm), 0, "nothing changed");
	ASSERT_OK(ban(bm, "192.0.2.40", 3600 * NSEC_PER_SEC, "x", 1), "ban");
	ASSERT_EQ(snapshot__maybe_write(&s, state, bm), 0, "batched: not within a second");
	ASSERT_OK(ban(bm, "192.0.2.41", 3600 * NSEC_PER_SEC, "x", 1), "ban");
	usleep(1100 * 1000);
	ASSERT_EQ(snapshot__maybe_write(&s, state, bm), 1, "then written, both at once");
	ASSERT_EQ(snapshot__flush(&s, state, bm), 0, "at stop: unchanged, not rewritten");
	ASSERT_OK(ban(bm, "192.0.2.42", 3600 * NSEC_PER_SEC, "x", 1), "ban");
	ASSERT_EQ(snapshot__flush(&s, state, bm), 1, "at stop: written");
	banmap__close(bm);
}

/* In a storm (the bans changed at every call) the gap is SNAPSHOT_STORM_GAP_NS; a quiet call ends it. */
static void test_sched_storm(void)
{
	struct banmap *bm = fresh_maps();
	struct snapshot_sched s;
	char ip[32];
	int i;

	if (!bm)
		return;
	new_state();
	snapshot_sched__init(&s);
	ASSERT_EQ(snapshot__maybe_write(&s, state, bm), 1, "first: written");
	for (i = 0; i < SNAPSHOT_STORM_CALLS; i++) {
		snprintf(ip, sizeof(ip), "192.0.2.%d", 50 + i);
		ASSERT_OK(ban(bm, ip, 3600 * NSEC_PER_SEC, "storm", 1), "ban");
		ASSERT_EQ(snapshot__maybe_write(&s, state, bm), 0, "within a second: not yet");
	}
	usleep(1100 * 1000);
	ASSERT_OK(ban(bm, "192.0.2.60", 3600 * NSEC_PER_SEC, "storm", 1), "ban");
	ASSERT_EQ(snapshot__maybe_write(&s, state, bm), 0, "a storm: a second is not enough");
	ASSERT_EQ(snapshot__maybe_write(&s, state, bm), 1, "quiet again: written");
	banmap__close(bm);
}

static void test_no_snapshot(void)
{
	struct banmap *bm = fresh_maps();
	struct snapshot_result res;
	char err[256];

	if (!bm)
		return;
	new_state();
	ASSERT_OK(snapshot__restore(state, bm, &res, err, sizeof(err)), "no snapshot is fine");
	ASSERT_TRUE(res.none, "none");
	banmap__close(bm);
}

static int mount_private_bpffs(void)
{
	if (unshare(CLONE_NEWNS) < 0)
		return -errno;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;
	if (!mkdtemp(bpffs_dir))
		return -errno;
	if (mount("bpf", bpffs_dir, "bpf", 0, "mode=0700") < 0) {
		int err = -errno;

		rmdir(bpffs_dir);
		return err;
	}
	return 0;
}

int main(void)
{
	char cmd[128];
	int err;

	if (geteuid() != 0) {
		printf("SKIP: test_snapshot: needs root\n");
		return 0;
	}
	log__setup(0, LOG_WARN);
	libbpf_set_print(log__libbpf_print);
	err = mount_private_bpffs();
	if (err) {
		printf("FAIL: setup: cannot mount a private bpffs: %s\n", strerror(-err));
		return 1;
	}
	if (!mkdtemp(state_root)) {
		printf("FAIL: setup: mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	RUN_TEST(test_ban_entries);
	RUN_TEST(test_ban_entries_longer);
	RUN_TEST(test_no_snapshot);
	RUN_TEST(test_round_trip);
	RUN_TEST(test_expired_refused_present);
	RUN_TEST(test_damage_refused);
	RUN_TEST(test_wild_written_at);
	RUN_TEST(test_duplicate_target);
	RUN_TEST(test_atomic_write);
	RUN_TEST(test_sched);
	RUN_TEST(test_sched_storm);

	umount2(bpffs_dir, MNT_DETACH);
	rmdir(bpffs_dir);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", state_root);
	if (system(cmd))
		printf("note: could not remove %s\n", state_root);
	printf("test_snapshot: %d passed, %d failed\n", tu_cases_passed, tu_cases_failed);
	return TEST_EXIT();
}
