// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* test_follow.c - container log formats, and following files: rotation, new files, offsets, backfill. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "crilog.h"
#include "follow.h"
#include "log.h"
#include "testutil.h"

#define TS "2026-11-21T04:18:25.123456789Z"

/* ---- what the callbacks saw ---- */

struct seen {
	char *text[4096];
	enum app_stream stream[4096];
	bool truncated[4096], backfill[4096];
	int64_t time[4096];
	size_t n;
};

static struct seen seen;

static void seen_reset(void)
{
	size_t i;

	for (i = 0; i < seen.n; i++)
		free(seen.text[i]);
	memset(&seen, 0, sizeof(seen));
}

static void keep(const char *text, size_t len, enum app_stream st, bool truncated, bool backfill,
		 int64_t t)
{
	if (seen.n == 4096)
		return;
	seen.text[seen.n] = strndup(text, len);
	/* strndup stops at a NUL: keep the length visible through a marker. */
	seen.stream[seen.n] = st;
	seen.truncated[seen.n] = truncated;
	seen.backfill[seen.n] = backfill;
	seen.time[seen.n] = t;
	seen.n++;
}

static void on_cri(const struct crilog_line *l, void *ctx)
{
	(void)ctx;
	keep(l->text, l->len, l->stream, l->truncated, false, l->time_ns);
}

static void on_follow(const struct follow_line *l, void *ctx)
{
	(void)ctx;
	keep(l->text, l->len, l->stream, l->truncated, l->backfill, l->time_ns);
}

static void feed(struct crilog *c, const char *line)
{
	crilog__feed(c, line, strlen(line), false, on_cri, NULL);
}

/* ---- formats ---- */

static void test_time(void)
{
	int64_t t;

	ASSERT_OK(crilog__parse_time(TS, strlen(TS), &t), "cri time");
	ASSERT_EQ(t, 1795234705123456789LL, "value");
	ASSERT_OK(crilog__parse_time("2026-11-21T05:18:25+01:00", 25, &t), "zone");
	ASSERT_EQ(t, 1795234705000000000LL, "zone applied");
	ASSERT_OK(crilog__parse_time("2026-11-21T04:18:25.5Z", 22, &t), "short fraction");
	ASSERT_EQ(t, 1795234705500000000LL, "fraction scaled");
	ASSERT_ERR(crilog__parse_time("2026-11-21 04:18:25Z", 20, &t), "no T");
	ASSERT_ERR(crilog__parse_time("2026-13-21T04:18:25Z", 20, &t), "month 13");
	ASSERT_ERR(crilog__parse_time("2026-11-21T04:18:25.Z", 21, &t), "empty fraction");
	ASSERT_ERR(crilog__parse_time("2026-11-21T04:18:25.1234567890Z", 31, &t), "10 digits");
	ASSERT_ERR(crilog__parse_time("2026-11-21T04:18:25", 19, &t), "no zone");
	ASSERT_ERR(crilog__parse_time("192.0.2.1 - - [21/", 18, &t), "not a time");
	/* Found by tests/fuzz/fuzz_crilog: years past 2262 overflowed the nanoseconds (UB). */
	ASSERT_OK(crilog__parse_time("2262-04-11T23:47:16Z", 20, &t), "the last second that fits");
	ASSERT_EQ(t, 9223372036000000000LL, "2262-04-11T23:47:16Z");
	ASSERT_ERR(crilog__parse_time("2262-04-11T23:47:17Z", 20, &t), "one second more");
	ASSERT_ERR(crilog__parse_time("4052-11-21T04:18:25.123456789Z", 30, &t), "year 4052");
	ASSERT_ERR(crilog__parse_time("9999-12-31T23:59:59-23:59", 25, &t), "year 9999");
}

static void test_cri(void)
{
	struct crilog c;

	seen_reset();
	ASSERT_OK(crilog__init(&c, CRILOG_AUTO, 64), "init");
	feed(&c, TS " stdout F 192.0.2.9 - - \"GET / HTTP/1.1\" 200 -");
	ASSERT_EQ(c.format, CRILOG_CRI, "detected");
	feed(&c, TS " stderr F second");
	feed(&c, TS " stdout F"); /* an empty line of the app */
	/* Parts of one line, with the other stream's lines in between. */
	feed(&c, TS " stdout P first part, ");
	feed(&c, TS " stderr F between");
	ASSERT_TRUE(crilog__pending(&c), "joining");
	feed(&c, TS " stdout P second part, ");
	feed(&c, TS " stdout F end");
	ASSERT_FALSE(crilog__pending(&c), "joined");
	/* The app printed something that looks like a CRI header: it stays in its line. */
	feed(&c, TS " stdout F " TS " stderr F 198.51.100.7 fake");
	/* Later CRI versions: a tag list. */
	feed(&c, TS " stderr F:x tagged");
	if (ASSERT_EQ(seen.n, 7, "lines")) {
		ASSERT_STREQ(seen.text[0], "192.0.2.9 - - \"GET / HTTP/1.1\" 200 -", "header off");
		ASSERT_EQ(seen.stream[0], STREAM_STDOUT, "stdout");
		ASSERT_EQ(seen.time[0], 1795234705123456789LL, "time");
		ASSERT_STREQ(seen.text[1], "second", "stderr line");
		ASSERT_EQ(seen.stream[1], STREAM_STDERR, "stderr");
		ASSERT_STREQ(seen.text[2], "", "empty line");
		ASSERT_STREQ(seen.text[3], "between", "other stream first");
		ASSERT_STREQ(seen.text[4], "first part, second part, end", "parts joined");
		ASSERT_EQ(seen.stream[4], STREAM_STDOUT, "joined on its stream");
		ASSERT_STREQ(seen.text[5], TS " stderr F 198.51.100.7 fake", "fake header kept");
		ASSERT_EQ(seen.stream[5], STREAM_STDOUT, "on the real stream");
		ASSERT_STREQ(seen.text[6], "tagged", "tag list");
	}
	/* A line that is not CRI in a CRI file: passed as it is, counted. */
	feed(&c, "garbage without a header");
	ASSERT_EQ(c.malformed, 1, "malformed counted");
	ASSERT_STREQ(seen.text[seen.n - 1], "garbage without a header", "passed as plain");
	crilog__free(&c);
}

static void test_cri_bounds(void)
{
	char line[256];
	struct crilog c;
	int i;

	seen_reset();
	ASSERT_OK(crilog__init(&c, CRILOG_AUTO, 16), "init");
	/* Three parts of 10 bytes: the line is 30 long, the bound 16. */
	for (i = 0; i < 3; i++) {
		snprintf(line, sizeof(line), TS " stdout %c 0123456789", i == 2 ? 'F' : 'P');
		feed(&c, line);
	}
	feed(&c, TS " stdout F short");
	feed(&c, TS " stdout F 0123456789abcdefXYZ");
	if (ASSERT_EQ(seen.n, 3, "lines")) {
		ASSERT_STREQ(seen.text[0], "0123456789012345", "first max bytes");
		ASSERT_TRUE(seen.truncated[0], "truncated");
		ASSERT_STREQ(seen.text[1], "short", "next line whole");
		ASSERT_FALSE(seen.truncated[1], "not truncated");
		ASSERT_STREQ(seen.text[2], "0123456789abcdef", "long full line cut");
		ASSERT_TRUE(seen.truncated[2], "cut");
	}
	/* A part pending at the end of the file is handed over at flush. */
	feed(&c, TS " stderr P unfinished");
	ASSERT_EQ(seen.n, 3, "not yet");
	crilog__flush(&c, on_cri, NULL);
	ASSERT_EQ(seen.n, 4, "flushed");
	ASSERT_STREQ(seen.text[3], "unfinished", "flushed text");
	crilog__free(&c);
}

static void test_docker(void)
{
	struct crilog c;

	seen_reset();
	ASSERT_OK(crilog__init(&c, CRILOG_AUTO, 64), "init");
	feed(&c, "{\"log\":\"192.0.2.9 - - \\\"GET /a\\\\b HTTP/1.1\\\" 404 -\\n\","
		 "\"stream\":\"stderr\",\"time\":\"" TS "\"}");
	ASSERT_EQ(c.format, CRILOG_DOCKER, "detected");
	/* Escaped newlines: two lines in one record (not dockerd's, but possible). */
	feed(&c, "{\"log\":\"one\\ntwo\\n\",\"stream\":\"stdout\",\"time\":\"" TS "\"}");
	/* dockerd splits long lines: no trailing \n means a part. */
	feed(&c, "{\"log\":\"par\",\"stream\":\"stdout\",\"time\":\"" TS "\"}");
	feed(&c, "{\"log\":\"t\\u00e9\\ud83d\\ude00\\n\",\"stream\":\"stdout\",\"time\":\"" TS "\"}");
	/* Trailing garbage after the object: not a record. */
	feed(&c, "{\"log\":\"x\\n\",\"stream\":\"stdout\"} junk");
	/* A fake record inside a record's text stays text. */
	feed(&c, "{\"log\":\"{\\\"log\\\":\\\"198.51.100.7\\\\n\\\"}\\n\",\"stream\":\"stdout\"}");
	if (ASSERT_EQ(seen.n, 6, "lines")) {
		ASSERT_STREQ(seen.text[0], "192.0.2.9 - - \"GET /a\\b HTTP/1.1\" 404 -", "unescaped");
		ASSERT_EQ(seen.stream[0], STREAM_STDERR, "stderr");
		ASSERT_EQ(seen.time[0], 1795234705123456789LL, "time");
		ASSERT_STREQ(seen.text[1], "one", "split 1");
		ASSERT_STREQ(seen.text[2], "two", "split 2");
		ASSERT_STREQ(seen.text[3], "part\xc3\xa9\xf0\x9f\x98\x80", "joined, UTF-8");
		ASSERT_STREQ(seen.text[4], "{\"log\":\"x\\n\",\"stream\":\"stdout\"} junk", "as is");
		ASSERT_STREQ(seen.text[5], "{\"log\":\"198.51.100.7\\n\"}", "nested kept");
	}
	ASSERT_EQ(c.malformed, 1, "malformed counted");
	/* A record the reader cut: its start is decoded by hand, and marked truncated. */
	crilog__feed(&c, "{\"log\":\"192.0.2.9 - - \\\"GET /aaaa", 33, true, on_cri, NULL);
	ASSERT_STREQ(seen.text[seen.n - 1], "192.0.2.9 - - \"GET /aaaa", "cut prefix");
	ASSERT_TRUE(seen.truncated[seen.n - 1], "cut marked");
	crilog__free(&c);
}

static void test_plain(void)
{
	struct crilog c;

	seen_reset();
	ASSERT_OK(crilog__init(&c, CRILOG_AUTO, 32), "init");
	feed(&c, "");
	ASSERT_EQ(c.format, CRILOG_AUTO, "an empty line decides nothing");
	feed(&c, "192.0.2.9 - - [21/Nov/2026 04:18:25] \"GET / HTTP/1.1\" 200 -");
	ASSERT_EQ(c.format, CRILOG_PLAIN, "plain");
	/* Later lines that look like CRI or Docker stay plain. */
	feed(&c, TS " stdout F x");
	feed(&c, "{\"log\":\"x\\n\"}");
	if (ASSERT_EQ(seen.n, 3, "lines")) {
		ASSERT_STREQ(seen.text[0], "192.0.2.9 - - [21/Nov/2026 04:18", "bounded");
		ASSERT_TRUE(seen.truncated[0], "truncated");
		ASSERT_STREQ(seen.text[1], "2026-11-21T04:18:25.123456789Z s", "kept, bounded");
		ASSERT_STREQ(seen.text[2], "{\"log\":\"x\\n\"}", "kept");
		ASSERT_EQ(seen.time[1], 0, "no time");
	}
	crilog__free(&c);
}

/* ---- following ---- */

static char tmpdir[] = "/tmp/warden-test-follow.XXXXXX";
static int case_no;
static char dir[256], offsets[300];

static void new_case(void)
{
	snprintf(dir, sizeof(dir), "%s/case%d", tmpdir, ++case_no);
	mkdir(dir, 0755);
	snprintf(offsets, sizeof(offsets), "%s/offsets", dir);
	seen_reset();
}

static const char *at(const char *name)
{
	static char buf[8][512];
	static int i;

	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

static void append(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void append(const char *name, const char *fmt, ...)
{
	va_list ap;
	FILE *f = fopen(at(name), "a");

	if (!f) {
		TU_FAIL("append", "cannot open %s", at(name));
		return;
	}
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
}

/* Lines "seq N" from a to b, each in the CRI wrapper when cri. */
static void append_seq(const char *name, int a, int b, bool cri)
{
	int i;

	for (i = a; i <= b; i++) {
		if (cri)
			append(name, TS " stdout F seq %d\n", i);
		else
			append(name, "seq %d\n", i);
	}
}

static struct follower *open_follower(const char *glob, bool backfill, size_t max_line)
{
	const char *globs[1] = { glob };
	struct follow_opts o = {
		.globs = globs,
		.n_globs = 1,
		.offsets_path = offsets,
		.backfill = backfill,
		.max_line = max_line ? max_line : 16384,
		.on_line = on_follow,
	};
	struct follower *f = follow__open(&o);

	ASSERT_NOT_NULL(f, "follow__open");
	return f;
}

/* Do whatever the follower has to do, as an event loop would. */
static void drive(struct follower *f)
{
	struct pollfd p = { .fd = follow__fd(f), .events = POLLIN };
	int i;

	for (i = 0; i < 10000 && poll(&p, 1, 0) > 0; i++)
		if (!ASSERT_OK(follow__process(f), "process"))
			break;
}

/* The lines seen are exactly "seq a" .. "seq b", once each, in order. */
static bool seen_seq(int a, int b, const char *name)
{
	char want[64];
	size_t i;

	if (!ASSERT_EQ(seen.n, (size_t)(b - a + 1), name)) {
		for (i = 0; i < seen.n && i < 20; i++)
			printf("  seen[%zu] = %s\n", i, seen.text[i]);
		return false;
	}
	for (i = 0; i < seen.n; i++) {
		snprintf(want, sizeof(want), "seq %d", a + (int)i);
		if (!ASSERT_STREQ(seen.text[i], want, name))
			return false;
	}
	return true;
}

static void test_first_start_and_new_files(void)
{
	struct follower *f;

	new_case();
	append_seq("old.log", 1, 5, false);
	append("old.log", "unfinished");
	f = open_follower(at("*.log"), false, 0);
	if (!f)
		return;
	drive(f);
	/* A first start reads what is already there from its end, like tail -F. */
	ASSERT_EQ(seen.n, 0, "history not read at a first start");
	append("old.log", " line\n");
	append_seq("old.log", 6, 7, false);
	drive(f);
	if (ASSERT_EQ(seen.n, 3, "new lines")) {
		ASSERT_STREQ(seen.text[0], "unfinished line", "the line under way is whole");
		ASSERT_STREQ(seen.text[2], "seq 7", "then the rest");
	}
	/* A file that appears later is read from its start; a line without its end waits. */
	seen_reset();
	append_seq("new.log", 1, 3, false);
	append("new.log", "seq ");
	drive(f);
	seen_seq(1, 3, "new file from its start");
	append("new.log", "4\n");
	drive(f);
	seen_seq(1, 4, "the rest of the line");
	follow__close(f);
}

static void test_rename_rotation(void)
{
	struct follower *f;
	FILE *old;
	int i;

	new_case();
	f = open_follower(at("access.log"), false, 0);
	if (!f)
		return;
	old = fopen(at("access.log"), "a");
	if (!ASSERT_NOT_NULL(old, "open"))
		goto out;
	setvbuf(old, NULL, _IONBF, 0);
	drive(f);
	for (i = 1; i <= 30; i++)
		fprintf(old, "seq %d\n", i);
	drive(f);
	for (i = 31; i <= 50; i++)
		fprintf(old, "seq %d\n", i);
	/* logrotate: rename; the writer goes on in the old file until it reopens. */
	ASSERT_OK(rename(at("access.log"), at("access.log.1")), "rename");
	for (i = 51; i <= 60; i++)
		fprintf(old, "seq %d\n", i);
	drive(f);
	fprintf(old, "seq 61\n");
	fclose(old);
	append_seq("access.log", 62, 100, false);
	drive(f);
	seen_seq(1, 100, "rename: no loss, no repeat");
	/* A second rotation with nothing read in between. */
	ASSERT_OK(rename(at("access.log"), at("access.log.2")), "rename 2");
	append_seq("access.log", 101, 120, false);
	drive(f);
	seen_seq(1, 120, "second rotation");
	ASSERT_EQ(follow__stats(f)->rotations, 2, "rotations counted");
out:
	follow__close(f);
}

static void test_truncate_rotation(void)
{
	struct follower *f;

	new_case();
	f = open_follower(at("app.log"), false, 0);
	if (!f)
		return;
	append_seq("app.log", 1, 50, true);
	drive(f);
	/* copytruncate: the file is emptied, the writer goes on at 0. */
	ASSERT_OK(truncate(at("app.log"), 0), "truncate");
	append_seq("app.log", 51, 60, true);
	drive(f);
	seen_seq(1, 60, "truncate: restarted at 0");
	/* Truncated and written past our offset before we looked: the first bytes tell. */
	ASSERT_OK(truncate(at("app.log"), 0), "truncate 2");
	append_seq("app.log", 61, 200, true);
	drive(f);
	seen_seq(1, 200, "truncated and grown");
	ASSERT_EQ(follow__stats(f)->truncations, 2, "truncations counted");
	follow__close(f);
}

/* gzip(1): NAME becomes NAME.gz with the same time, NAME goes. */
static void gzip_file(const char *name)
{
	char gzname[256], buf[4096];
	struct stat st;
	gzFile g;
	FILE *in;
	size_t n;

	snprintf(gzname, sizeof(gzname), "%s.gz", name);
	in = fopen(at(name), "r");
	g = gzopen(at(gzname), "wb");
	if (!ASSERT_NOT_NULL(in, "gzip in") || !ASSERT_NOT_NULL(g, "gzip out"))
		return;
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		gzwrite(g, buf, (unsigned)n);
	gzclose(g);
	if (fstat(fileno(in), &st) == 0) {
		struct timespec ts[2] = { st.st_mtim, st.st_mtim };

		utimensat(AT_FDCWD, at(gzname), ts, 0);
	}
	fclose(in);
	unlink(at(name));
}

static void test_offsets_across_restart(void)
{
	struct follower *f;

	new_case();
	append("x.log", "before the first start\n");
	f = open_follower(at("*.log"), false, 0);
	if (!f)
		return;
	append_seq("x.log", 1, 20, true);
	drive(f);
	append("x.log", TS " stdout F seq ");
	drive(f);
	follow__close(f); /* saves where it stopped: after seq 20 */
	append("x.log", "21\n");
	append_seq("x.log", 22, 30, true);
	f = open_follower(at("*.log"), false, 0);
	if (!f)
		return;
	drive(f);
	seen_seq(1, 30, "no loss, no repeat across a restart");
	follow__close(f);

	/* Rotated (and a new file started) while warden was stopped. */
	append_seq("x.log", 31, 40, true);
	ASSERT_OK(rename(at("x.log"), at("x.log.20261121-041825")), "rename");
	append_seq("x.log", 41, 45, true);
	f = open_follower(at("*.log"), false, 0);
	if (!f)
		return;
	drive(f);
	seen_seq(1, 45, "rotated while stopped: found by its inode");
	follow__close(f);

	/* Rotated and compressed while stopped: found by its first bytes. */
	append_seq("x.log", 46, 50, true);
	ASSERT_OK(rename(at("x.log"), at("x.log.20261121-050000")), "rename 2");
	gzip_file("x.log.20261121-050000");
	append_seq("x.log", 51, 55, true);
	f = open_follower(at("*.log"), false, 0);
	if (!f)
		return;
	drive(f);
	seen_seq(1, 55, "compressed while stopped: found by its content");
	follow__close(f);
}

/* Whether this file system tells when a file was created. */
static bool have_btime(const char *path)
{
	struct statx stx;

	return !statx(AT_FDCWD, path, 0, STATX_BTIME, &stx) && (stx.stx_mask & STATX_BTIME);
}

static void test_glob_added_later(void)
{
	struct follower *f;
	bool btime;

	new_case();
	append_seq("b.log", 1, 5, false);
	btime = have_btime(at("b.log"));
	usleep(20 * 1000);
	/* A run that follows a.log only: b.log is there, not followed. */
	f = open_follower(at("a.log"), false, 0);
	if (!f)
		return;
	append("a.log", "x\n");
	drive(f);
	follow__close(f);
	usleep(20 * 1000);
	append_seq("c.log", 1, 2, false); /* created after that run */
	seen_reset();
	f = open_follower(at("[bc].log"), false, 0);
	if (!f)
		return;
	drive(f);
	if (btime) {
		/* b.log is old history nobody asked for; c.log is new. */
		seen_seq(1, 2, "old unfollowed file from its end, new one from its start");
		seen_reset();
		append_seq("b.log", 6, 6, false);
		drive(f);
		seen_seq(6, 6, "then followed");
	} else {
		ASSERT_EQ(seen.n, 7, "no birth times here: both from their start");
	}
	follow__close(f);
}

static void test_inode_reuse(void)
{
	struct follower *f;
	FILE *w;

	new_case();
	f = open_follower(at("y.log"), false, 0);
	if (!f)
		return;
	append_seq("y.log", 1, 10, false);
	drive(f);
	follow__close(f);
	/* Same inode, other content longer than the old offset: not the file we read. */
	w = fopen(at("y.log"), "r+");
	if (ASSERT_NOT_NULL(w, "reopen")) {
		int i;

		for (i = 11; i <= 40; i++)
			fprintf(w, "seq %d\n", i);
		fclose(w);
	}
	f = open_follower(at("y.log"), false, 0);
	if (!f)
		return;
	drive(f);
	seen_seq(1, 40, "another content: read from its start");
	follow__close(f);
}

static void test_damaged_offsets(void)
{
	struct follower *f;
	FILE *o;

	new_case();
	append_seq("z.log", 1, 5, false);
	o = fopen(offsets, "w");
	if (o) {
		fputs("warden-follow 1\nF 1 2 3 garbage\nend 1 00000000\n", o);
		fclose(o);
	}
	f = open_follower(at("z.log"), false, 0);
	if (!f)
		return;
	drive(f);
	ASSERT_EQ(seen.n, 0, "damaged offsets: a first start (from the end)");
	append_seq("z.log", 6, 7, false);
	drive(f);
	seen_seq(6, 7, "then follows");
	follow__close(f);
}

static void write_gz(const char *name, int a, int b, time_t mtime)
{
	struct timespec ts[2] = { { .tv_sec = mtime }, { .tv_sec = mtime } };
	gzFile g = gzopen(at(name), "wb");
	int i;

	if (!ASSERT_NOT_NULL(g, "gzopen"))
		return;
	for (i = a; i <= b; i++)
		gzprintf(g, TS " stderr F seq %d\n", i);
	gzclose(g);
	utimensat(AT_FDCWD, at(name), ts, 0);
}

static void test_backfill(void)
{
	struct timespec ts[2];
	struct follower *f;
	time_t now = time(NULL);
	size_t i;

	new_case();
	write_gz("access.log.3.gz", 1, 10, now - 300);
	write_gz("access.log.2.gz", 11, 20, now - 200);
	append_seq("access.log.1", 21, 30, true);
	ts[0].tv_sec = ts[1].tv_sec = now - 100;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	utimensat(AT_FDCWD, at("access.log.1"), ts, 0);
	append_seq("access.log", 31, 40, true);
	append("access.log.lock", "not a log\n");
	f = open_follower(at("access.log"), true, 0);
	if (!f)
		return;
	drive(f);
	if (seen_seq(1, 40, "backfill: oldest first, then the file from its start")) {
		for (i = 0; i < seen.n; i++)
			if (!ASSERT_TRUE(seen.backfill[i], "history marked"))
				break;
	}
	ASSERT_EQ(follow__stats(f)->backfilled, 3, "three rotated files");
	append_seq("access.log", 41, 42, true);
	drive(f);
	seen_seq(1, 42, "then live");
	ASSERT_FALSE(seen.backfill[41], "live lines are not history");
	follow__close(f);

	/* Read once: a restart with --backfill reads nothing of it again. */
	f = open_follower(at("access.log"), true, 0);
	if (!f)
		return;
	drive(f);
	seen_seq(1, 42, "backfill is done once");
	follow__close(f);
}

static void test_symlinks_and_new_dirs(void)
{
	struct follower *f;
	char link_target[512];

	new_case();
	/* The kubelet's layout: the logs in containers/ are links into pods/POD/CONTAINER/N.log. */
	mkdir(at("containers"), 0755);
	mkdir(at("pods"), 0755);
	f = open_follower(at("containers/*.log"), false, 0);
	if (!f)
		return;
	mkdir(at("pods/ns_web_1"), 0755);
	mkdir(at("pods/ns_web_1/app"), 0755);
	append_seq("pods/ns_web_1/app/0.log", 1, 3, true);
	snprintf(link_target, sizeof(link_target), "%s", at("pods/ns_web_1/app/0.log"));
	ASSERT_OK(symlink(link_target, at("containers/web_ns_app-1.log")), "symlink");
	drive(f);
	seen_seq(1, 3, "through the link, from the start");
	/* Writes land in the target's folder: watched too. */
	append_seq("pods/ns_web_1/app/0.log", 4, 6, true);
	drive(f);
	seen_seq(1, 6, "target's writes");
	/* The kubelet rotates in the pod's folder; the link stays. */
	ASSERT_OK(rename(at("pods/ns_web_1/app/0.log"), at("pods/ns_web_1/app/0.log.20261121-041825")),
		  "rotate");
	append_seq("pods/ns_web_1/app/0.log", 7, 9, true);
	drive(f);
	seen_seq(1, 9, "rotated behind the link");
	follow__close(f);

	/* A glob with a wildcard folder: a new folder is noticed. */
	seen_reset();
	f = open_follower(at("pods/*/*/*.log"), false, 0);
	if (!f)
		return;
	drive(f);
	ASSERT_EQ(seen.n, 0, "nothing new");
	mkdir(at("pods/ns_api_2"), 0755);
	drive(f);
	mkdir(at("pods/ns_api_2/api"), 0755);
	drive(f);
	append_seq("pods/ns_api_2/api/0.log", 1, 4, true);
	drive(f);
	seen_seq(1, 4, "new pod folder followed");
	follow__close(f);
}

static void test_long_lines(void)
{
	struct follower *f;
	char *big;
	size_t n = 200000;

	new_case();
	f = open_follower(at("long.log"), false, 100);
	if (!f)
		return;
	big = malloc(n + 1);
	if (!ASSERT_NOT_NULL(big, "malloc"))
		goto out;
	memset(big, 'x', n);
	big[n] = '\0';
	append("long.log", "seq 1\n");
	append("long.log", "%s", big); /* no newline yet: the rest comes later */
	drive(f);
	append("long.log", "%s\nseq 3\n", big);
	drive(f);
	if (ASSERT_EQ(seen.n, 3, "three lines")) {
		ASSERT_STREQ(seen.text[0], "seq 1", "before");
		ASSERT_EQ(strlen(seen.text[1]), 100, "bounded");
		ASSERT_TRUE(seen.truncated[1], "truncated");
		ASSERT_STREQ(seen.text[2], "seq 3", "after: intact");
	}
	free(big);
out:
	follow__close(f);
}

int main(void)
{
	char cmd[128];

	log__setup(0, LOG_WARN);
	if (!mkdtemp(tmpdir)) {
		printf("FAIL: setup: mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	RUN_TEST(test_time);
	RUN_TEST(test_cri);
	RUN_TEST(test_cri_bounds);
	RUN_TEST(test_docker);
	RUN_TEST(test_plain);
	RUN_TEST(test_first_start_and_new_files);
	RUN_TEST(test_rename_rotation);
	RUN_TEST(test_truncate_rotation);
	RUN_TEST(test_offsets_across_restart);
	RUN_TEST(test_inode_reuse);
	RUN_TEST(test_glob_added_later);
	RUN_TEST(test_damaged_offsets);
	RUN_TEST(test_backfill);
	RUN_TEST(test_symlinks_and_new_dirs);
	RUN_TEST(test_long_lines);
	seen_reset();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd))
		printf("note: could not remove %s\n", tmpdir);
	printf("test_follow: %d passed, %d failed\n", tu_cases_passed, tu_cases_failed);
	return TEST_EXIT();
}
