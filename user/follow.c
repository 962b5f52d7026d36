// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* follow.c - follow log files matching globs: rotation, new files, offsets kept across restarts. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "fileutil.h"
#include "follow.h"
#include "log.h"
#include "loop.h"
#include "timeutil.h"

/*
 * Files are known by their device and inode while they are open, and by
 * that plus a hash of their first FP_LEN bytes (the fingerprint) in the
 * offsets file, so that an inode number the kernel gives to a new file is
 * not taken for the old one. Compressed files, whose inode is new, are
 * known by the fingerprint of their content alone.
 */
#define FP_LEN 256
#define FP_MIN_MATCH 32          /* fingerprints this short do not identify a file alone */
#define CHUNK 65536
#define RESCAN_EVERY_NS (10 * NSEC_PER_SEC)
#define SAVE_EVERY_NS NSEC_PER_SEC
#define MARKS_KEEP_S (7 * 86400) /* a file not seen for a week is forgotten */
#define MARKS_MAX 8192
#define OFFSETS_MAGIC "warden-follow 1"
#define WATCH_MASK (IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_MODIFY | \
		    IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)

/* One file being read. */
struct src {
	struct src *next;
	bool gz;             /* read through zlib (backfill of a compressed sibling) */
	int fd;
	gzFile gzf;
	uint64_t dev, ino;
	uint64_t size;       /* gz: the compressed size, for the offsets file */
	char *path;          /* the name it was found under (owned) */
	char *real;          /* its resolved path when opened (owned) */
	char *group;         /* the glob match whose history this is: one order per group (owned) */
	int wd;              /* the watch of real's folder, -1 if none */
	bool live;           /* a glob matches it now; else it is read until still, then closed */
	bool backfill;       /* all its lines are history */
	uint64_t backfill_end; /* lines ending at or before this offset are history */
	uint64_t offset;     /* next byte to read (decompressed bytes for gz) */
	uint64_t start;      /* gz: bytes before this were handed over by an earlier run */
	bool start_skip;     /* gz: and the line at start was a cut one */
	uint64_t commit;     /* end of the last line handed over, nothing being joined: saved */
	bool commit_skip;    /* at commit, the rest of a cut line is to be dropped */
	bool skipping;       /* dropping the rest of a line cut at raw_max */
	bool eof;            /* gz: read to the end */
	bool dirty;          /* something may be new: read it */
	bool matched;        /* seen by the rescan under way */
	uint64_t line_end;   /* offset after the line being handed over */
	uint64_t still_since; /* CLOCK_MONOTONIC ns of the last growth (not live files) */
	char *buf;           /* the line being read, up to raw_max (owned) */
	size_t len, cap;
	struct crilog dec;
	uint32_t fp_len;     /* bytes the fingerprint covers (grows to FP_LEN) */
	uint64_t fp;
};

/* A file remembered in the offsets file, not open now. */
struct mark {
	bool gz;
	bool skip;       /* commit is inside a cut line */
	bool done;       /* gz: read to its end */
	uint64_t dev, ino, size, commit, fp;
	uint32_t fp_len;
	int64_t seen;    /* CLOCK_REALTIME s when it was last seen */
	char *path, *group; /* owned */
};

struct watch {
	int wd;
	bool used;
	char *dir; /* owned */
};

struct follower {
	char **globs; /* owned */
	size_t n_globs;
	char *offsets_path; /* owned, NULL: none */
	bool backfill;
	size_t max_line, raw_max;
	follow_line_cb on_line;
	void *ctx;

	int ep, ino_fd, ev_fd;
	bool armed;        /* ev_fd holds a count: there is more to do */
	bool rescan;       /* the folders changed: match the globs again */
	bool all_dirty;    /* inotify lost events: read everything */
	bool have_state;   /* an offsets file was there: this is not the first start */
	struct timespec state_time; /* when it was written */
	bool watch_warned; /* inotify refused a watch (max_user_watches): said once */
	bool changed;      /* offsets to write */
	uint64_t last_save_ns, last_rescan_ns;

	struct src *srcs;  /* in reading order: older data of a group first */
	struct src *cur;   /* the one handing lines over */
	struct mark *marks;
	size_t n_marks, cap_marks;
	struct watch *watches;
	size_t n_watches, cap_watches;
	char *chunk;       /* CHUNK bytes (owned) */
	struct follow_stats stats;
	/* Files that could not be opened, said once each. */
	uint64_t bad[64][2];
	size_t n_bad;
};

/* ---- small helpers ---- */

static uint64_t fnv1a(const void *data, size_t n)
{
	const unsigned char *p = data;
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static int64_t now_real_s(void)
{
	return (int64_t)time(NULL);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

/* The folder of path, in buf. */
static const char *dir_of(const char *path, char *buf, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(buf, len, ".");
	else if (slash == path)
		snprintf(buf, len, "/");
	else
		snprintf(buf, len, "%.*s", (int)(slash - path), path);
	return buf;
}

static const char *base_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static ssize_t pread_full(int fd, void *buf, size_t n, off_t off)
{
	size_t done = 0;
	ssize_t r;

	while (done < n) {
		r = pread(fd, (char *)buf + done, n - done, off + (off_t)done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		done += (size_t)r;
	}
	return (ssize_t)done;
}

static void arm(struct follower *f, bool more)
{
	uint64_t one = 1;

	if (more && !f->armed) {
		if (write(f->ev_fd, &one, sizeof(one)) == sizeof(one))
			f->armed = true;
	} else if (!more && f->armed) {
		if (read(f->ev_fd, &one, sizeof(one)) == sizeof(one) || errno == EAGAIN)
			f->armed = false;
	}
}

/* ---- marks: what the offsets file remembers ---- */

static void mark_free(struct mark *m)
{
	free(m->path);
	free(m->group);
}

static void mark_remove(struct follower *f, size_t i)
{
	mark_free(&f->marks[i]);
	f->marks[i] = f->marks[--f->n_marks];
}

static int mark_add(struct follower *f, const struct mark *m)
{
	struct mark *grown;

	if (f->n_marks == f->cap_marks) {
		size_t cap = f->cap_marks ? f->cap_marks * 2 : 64;

		grown = realloc(f->marks, cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		f->marks = grown;
		f->cap_marks = cap;
	}
	f->marks[f->n_marks++] = *m;
	return 0;
}

static ssize_t mark_by_inode(const struct follower *f, uint64_t dev, uint64_t ino, bool gz)
{
	size_t i;

	for (i = 0; i < f->n_marks; i++)
		if (f->marks[i].dev == dev && f->marks[i].ino == ino && f->marks[i].gz == gz)
			return (ssize_t)i;
	return -1;
}

/* The mark whose fingerprint the content head[0..n) has, the longest first. */
static ssize_t mark_by_content(const struct follower *f, const char *head, size_t n)
{
	ssize_t best = -1;
	size_t i;

	for (i = 0; i < f->n_marks; i++) {
		const struct mark *m = &f->marks[i];

		if (m->fp_len < FP_MIN_MATCH || m->fp_len > n || fnv1a(head, m->fp_len) != m->fp)
			continue;
		if (best < 0 || m->fp_len > f->marks[best].fp_len)
			best = (ssize_t)i;
	}
	return best;
}

/* Whether the first fp_len bytes of fd are the ones remembered. */
static bool fp_matches(int fd, uint32_t fp_len, uint64_t fp)
{
	char head[FP_LEN];

	if (!fp_len)
		return true;
	if (pread_full(fd, head, fp_len, 0) != (ssize_t)fp_len)
		return false;
	return fnv1a(head, fp_len) == fp;
}

/* ---- the offsets file ---- */

/* Paths are written with %XX for '%', blanks and control bytes. */
static void put_escaped(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (!*p) {
		fputs("%00", out); /* never empty: the fields are blank-separated */
		return;
	}
	for (; *p; p++) {
		if (*p <= 0x20 || *p == 0x7f || *p == '%')
			fprintf(out, "%%%02X", *p);
		else
			fputc(*p, out);
	}
}

static char *unescape(const char *s)
{
	char *out = malloc(strlen(s) + 1), *o = out;
	int hi, lo;

	if (!out)
		return NULL;
	while (*s) {
		if (*s == '%' && (hi = s[1] ? (s[1] >= 'A' ? s[1] - 'A' + 10 : s[1] - '0') : -1) >= 0 &&
		    hi < 16 && s[2] && (lo = s[2] >= 'A' ? s[2] - 'A' + 10 : s[2] - '0') >= 0 &&
		    lo < 16) {
			if (hi || lo)
				*o++ = (char)(hi * 16 + lo);
			s += 3;
		} else {
			*o++ = *s++;
		}
	}
	*o = '\0';
	return out;
}

static void put_mark(FILE *out, const struct mark *m)
{
	fprintf(out, "%c %llu %llu %llu %llu %d %d %u %016llx %lld ", m->gz ? 'G' : 'F',
		(unsigned long long)m->dev, (unsigned long long)m->ino,
		(unsigned long long)m->size, (unsigned long long)m->commit, m->skip ? 1 : 0,
		m->done ? 1 : 0, m->fp_len, (unsigned long long)m->fp, (long long)m->seen);
	put_escaped(out, m->path ? m->path : "");
	fputc(' ', out);
	put_escaped(out, m->group ? m->group : "");
	fputc('\n', out);
}

/* The mark of an open file, its strings borrowed. */
static void src_mark(const struct src *s, struct mark *m, int64_t now)
{
	memset(m, 0, sizeof(*m));
	m->gz = s->gz;
	m->dev = s->dev;
	m->ino = s->ino;
	m->size = s->size;
	m->commit = s->commit;
	m->skip = s->commit_skip;
	m->done = s->gz && s->eof;
	m->fp_len = s->fp_len;
	m->fp = s->fp;
	m->seen = now;
	m->path = s->path;
	m->group = s->group;
}

/* Replace path with data: temporary file, fsync, rename, fsync of the folder. */
static int write_atomic(const char *path, const char *data, size_t len)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	int fd, dfd, err;

	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	err = file__write_all(fd, data, len);
	if (!err && fsync(fd))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err) {
		unlink(tmp);
		return err;
	}
	dfd = open(dir_of(path, dir, sizeof(dir)), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

/* Older first, so that pruning drops the oldest. */
static int cmp_seen(const void *a, const void *b)
{
	const struct mark *x = a, *y = b;

	return (x->seen > y->seen) - (x->seen < y->seen);
}

int follow__save(struct follower *f)
{
	int64_t now = now_real_s();
	struct mark m;
	struct src *s;
	char *text = NULL;
	size_t len = 0, i, count = 0, first;
	FILE *out;
	int err;

	if (!f->offsets_path || !f->changed)
		return 0;
	/* Forget what has not been seen for long; keep the newest MARKS_MAX. */
	for (i = 0; i < f->n_marks;) {
		if (f->marks[i].seen < now - MARKS_KEEP_S)
			mark_remove(f, i);
		else
			i++;
	}
	if (f->n_marks)
		qsort(f->marks, f->n_marks, sizeof(*f->marks), cmp_seen);
	first = f->n_marks > MARKS_MAX ? f->n_marks - MARKS_MAX : 0;

	out = open_memstream(&text, &len);
	if (!out)
		return -errno;
	fprintf(out, "%s\n", OFFSETS_MAGIC);
	for (i = first; i < f->n_marks; i++, count++)
		put_mark(out, &f->marks[i]);
	for (s = f->srcs; s; s = s->next, count++) {
		src_mark(s, &m, now);
		put_mark(out, &m);
	}
	if (fflush(out)) {
		err = -errno;
		fclose(out);
		free(text);
		return err;
	}
	fprintf(out, "end %zu %08lx\n", count, crc32(0, (const Bytef *)text, (uInt)len));
	if (fclose(out)) {
		free(text);
		return -ENOMEM;
	}
	err = write_atomic(f->offsets_path, text, len);
	free(text);
	if (err) {
		pr_warn("cannot write the offsets to %s: %s", f->offsets_path, strerror(-err));
		return err;
	}
	f->changed = false;
	f->last_save_ns = time__mono_ns();
	return 0;
}

/* One line of the offsets file into m (strings owned). 0 or -EINVAL. */
static int parse_mark(char *line, struct mark *m)
{
	unsigned long long dev, ino, size, commit, fp;
	long long seen;
	char kind, path[PATH_MAX * 3 + 8], group[PATH_MAX * 3 + 8];
	int skip, done;
	unsigned fp_len;

	if (strlen(line) > sizeof(path))
		return -EINVAL;
	if (sscanf(line, "%c %llu %llu %llu %llu %d %d %u %llx %lld %s %s", &kind, &dev, &ino, &size,
		   &commit, &skip, &done, &fp_len, &fp, &seen, path, group) != 12 ||
	    (kind != 'F' && kind != 'G') || fp_len > FP_LEN || (skip | done) & ~1)
		return -EINVAL;
	memset(m, 0, sizeof(*m));
	m->gz = kind == 'G';
	m->dev = dev;
	m->ino = ino;
	m->size = size;
	m->commit = commit;
	m->skip = skip;
	m->done = done;
	m->fp_len = fp_len;
	m->fp = fp;
	m->seen = seen;
	m->path = unescape(path);
	m->group = unescape(group);
	if (!m->path || !m->group) {
		mark_free(m);
		return -ENOMEM;
	}
	return 0;
}

/*
 * Read the offsets file. Missing: a first start. Damaged (it is written
 * atomically, so only the disk can damage it): said, and taken as a first
 * start, nothing half-read.
 */
static void load_offsets(struct follower *f)
{
	char *text = NULL, *p, *nl, *end_line;
	size_t n = 0, count = 0, want;
	unsigned long crc;
	struct mark m;
	struct stat st;
	FILE *in;
	long size;
	int err = 0;

	in = fopen(f->offsets_path, "re");
	if (!in) {
		if (errno != ENOENT)
			pr_warn("cannot read the offsets %s: %s: reading as at a first start",
				f->offsets_path, strerror(errno));
		return;
	}
	if (fstat(fileno(in), &st) == 0)
		f->state_time = st.st_mtim;
	if (fseek(in, 0, SEEK_END) || (size = ftell(in)) < 0 || size > 64 * 1024 * 1024 ||
	    fseek(in, 0, SEEK_SET)) {
		fclose(in);
		pr_warn("%s: unreadable offsets file: reading as at a first start", f->offsets_path);
		return;
	}
	text = malloc((size_t)size + 1);
	if (text)
		n = fread(text, 1, (size_t)size, in);
	fclose(in);
	if (!text || n != (size_t)size) {
		free(text);
		pr_warn("%s: cannot read the offsets file: reading as at a first start",
			f->offsets_path);
		return;
	}
	text[n] = '\0';

	/* The last line holds the count and the CRC of everything before it. */
	end_line = n >= 2 ? memrchr(text, '\n', n - 1) : NULL;
	end_line = end_line ? end_line + 1 : text;
	if (strncmp(text, OFFSETS_MAGIC "\n", sizeof(OFFSETS_MAGIC)) ||
	    sscanf(end_line, "end %zu %lx", &want, &crc) != 2 ||
	    crc != crc32(0, (const Bytef *)text, (uInt)(end_line - text))) {
		pr_warn("%s: damaged offsets file (bad header or checksum): ignored, reading as at "
			"a first start", f->offsets_path);
		free(text);
		return;
	}
	*end_line = '\0';
	for (p = text + sizeof(OFFSETS_MAGIC); *p && !err; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl)
			break;
		*nl = '\0';
		err = parse_mark(p, &m);
		if (!err) {
			err = mark_add(f, &m);
			if (err)
				mark_free(&m);
			count++;
		}
	}
	if (err || count != want) {
		pr_warn("%s: damaged offsets file (bad entry): ignored, reading as at a first start",
			f->offsets_path);
		while (f->n_marks)
			mark_remove(f, f->n_marks - 1);
	} else {
		f->have_state = true;
		pr_debug("%zu offset%s read from %s", count, count == 1 ? "" : "s", f->offsets_path);
	}
	free(text);
}

/* ---- watches ---- */

static int watch_dir(struct follower *f, const char *dir)
{
	struct watch *grown;
	size_t i;
	int wd;

	wd = inotify_add_watch(f->ino_fd, dir, WATCH_MASK);
	if (wd < 0) {
		if (errno == ENOSPC && !f->watch_warned) {
			f->watch_warned = true;
			pr_warn("inotify refused to watch %s (fs.inotify.max_user_watches reached): "
				"files there are looked at once a second instead", dir);
		}
		return -1;
	}
	for (i = 0; i < f->n_watches; i++) {
		if (f->watches[i].wd == wd) {
			f->watches[i].used = true;
			return wd;
		}
	}
	if (f->n_watches == f->cap_watches) {
		size_t cap = f->cap_watches ? f->cap_watches * 2 : 16;

		grown = realloc(f->watches, cap * sizeof(*grown));
		if (!grown)
			return wd;
		f->watches = grown;
		f->cap_watches = cap;
	}
	f->watches[f->n_watches].wd = wd;
	f->watches[f->n_watches].used = true;
	f->watches[f->n_watches].dir = strdup(dir);
	f->n_watches++;
	return wd;
}

static void forget_watch(struct follower *f, int wd)
{
	size_t i;

	for (i = 0; i < f->n_watches; i++) {
		if (f->watches[i].wd == wd) {
			free(f->watches[i].dir);
			f->watches[i] = f->watches[--f->n_watches];
			return;
		}
	}
}

static bool has_magic(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] == '*' || s[i] == '?' || s[i] == '[')
			return true;
	return false;
}

/*
 * Watch the folders where something the glob matches may appear: the
 * parent of every component with a wildcard, and of the last one.
 */
static void watch_glob_levels(struct follower *f, const char *pat)
{
	const char *p, *next;
	char prefix[PATH_MAX];
	glob_t g;
	size_t i;

	for (p = strchr(pat + 1, '/'); ; p = next) {
		const char *comp = p ? p + 1 : NULL;

		if (!p)
			break;
		next = strchr(comp, '/');
		if (next && !has_magic(comp, (size_t)(next - comp)))
			continue;
		snprintf(prefix, sizeof(prefix), "%.*s", (int)(p - pat), pat);
		if (glob(prefix, GLOB_ONLYDIR | GLOB_NOSORT, NULL, &g) == 0) {
			for (i = 0; i < g.gl_pathc; i++)
				watch_dir(f, g.gl_pathv[i]);
			globfree(&g);
		}
	}
	if (!strchr(pat + 1, '/'))
		watch_dir(f, "/");
}

/* ---- sources ---- */

static void src_free(struct src *s)
{
	if (!s)
		return;
	if (s->gzf)
		gzclose(s->gzf);
	else if (s->fd >= 0)
		close(s->fd);
	free(s->path);
	free(s->real);
	free(s->group);
	free(s->buf);
	crilog__free(&s->dec);
	free(s);
}

static struct src *src_new(struct follower *f, const char *path, const char *group,
			   const struct stat *st, int fd)
{
	struct src *s = calloc(1, sizeof(*s));
	char real[PATH_MAX];

	if (!s)
		return NULL;
	s->fd = fd;
	s->wd = -1;
	s->dev = (uint64_t)st->st_dev;
	s->ino = (uint64_t)st->st_ino;
	s->size = (uint64_t)st->st_size;
	s->path = strdup(path);
	s->real = strdup(realpath(path, real) ? real : path);
	s->group = strdup(group);
	s->dirty = true;
	s->still_since = time__mono_ns();
	if (!s->path || !s->real || !s->group ||
	    crilog__init(&s->dec, CRILOG_AUTO, f->max_line)) {
		s->fd = -1;
		src_free(s);
		return NULL;
	}
	return s;
}

static void src_append(struct follower *f, struct src *s)
{
	struct src **pp = &f->srcs;

	while (*pp)
		pp = &(*pp)->next;
	*pp = s;
	f->stats.files++;
	f->stats.open_files++;
	f->changed = true;
}

static struct src *src_by_inode(struct follower *f, uint64_t dev, uint64_t ino)
{
	struct src *s;

	for (s = f->srcs; s; s = s->next)
		if (!s->gz && s->dev == dev && s->ino == ino)
			return s;
	return NULL;
}

/* Its fingerprint: the hash of its first bytes, as many as there are up to FP_LEN. */
static void src_fingerprint(struct src *s)
{
	char head[FP_LEN];
	ssize_t n = pread_full(s->fd, head, FP_LEN, 0);

	if (n < 0)
		n = 0;
	s->fp_len = (uint32_t)n;
	s->fp = fnv1a(head, (size_t)n);
}

/* Start at the line after the last newline: "tail -F" at a first start. */
static void start_at_end(struct follower *f, struct src *s)
{
	uint64_t pos = s->size, lo;
	ssize_t n;
	char *nl;

	while (pos > 0 && s->size - pos < f->raw_max) {
		lo = pos > CHUNK ? pos - CHUNK : 0;
		n = pread_full(s->fd, f->chunk, (size_t)(pos - lo), (off_t)lo);
		if (n != (ssize_t)(pos - lo))
			break;
		nl = memrchr(f->chunk, '\n', (size_t)n);
		if (nl) {
			s->offset = lo + (uint64_t)(nl - f->chunk) + 1;
			s->commit = s->offset;
			return;
		}
		pos = lo;
	}
	if (pos == 0) {
		/* One line not ended yet: it is read whole once it ends. */
		s->offset = s->commit = 0;
		return;
	}
	/* In the middle of an over-long line: its rest is dropped. */
	s->offset = s->commit = s->size;
	s->skipping = s->commit_skip = true;
}

/* Whether the file was created after t; true when the file system does not say. */
static bool born_after(int fd, const struct timespec *t)
{
	struct statx stx;

	/* Some images carry files with a zero birth time: that says nothing either. */
	if (statx(fd, "", AT_EMPTY_PATH, STATX_BTIME, &stx) || !(stx.stx_mask & STATX_BTIME) ||
	    !stx.stx_btime.tv_sec)
		return true;
	return stx.stx_btime.tv_sec > t->tv_sec ||
	       (stx.stx_btime.tv_sec == t->tv_sec && stx.stx_btime.tv_nsec >= (uint32_t)t->tv_nsec);
}

/*
 * Where a plain file starts: its mark if it has one (same inode and first
 * bytes); else its start if it appeared since the offsets were last written
 * (while warden was stopped, or running); else (a very first start, or a
 * file that was there but not followed, e.g. a glob added since) its end,
 * or its start with backfill.
 */
static void src_choose_start(struct follower *f, struct src *s, bool first_live)
{
	ssize_t i = mark_by_inode(f, s->dev, s->ino, false);

	src_fingerprint(s);
	if (i >= 0) {
		struct mark *m = &f->marks[i];

		if (fp_matches(s->fd, m->fp_len, m->fp) && m->commit <= s->size) {
			s->offset = s->commit = m->commit;
			s->skipping = s->commit_skip = m->skip;
			mark_remove(f, (size_t)i);
			return;
		}
		/* The inode was given to another file, or it was truncated while we were away. */
		mark_remove(f, (size_t)i);
		return;
	}
	if (!first_live || (f->have_state && born_after(s->fd, &f->state_time)))
		return; /* a new file: from its start */
	if (f->backfill) {
		s->backfill_end = s->size;
		return;
	}
	start_at_end(f, s);
}

static void say_once(struct follower *f, const struct stat *st, const char *fmt, const char *path,
		     int err)
{
	size_t i;

	for (i = 0; i < f->n_bad; i++)
		if (f->bad[i][0] == (uint64_t)st->st_dev && f->bad[i][1] == (uint64_t)st->st_ino)
			return;
	if (f->n_bad < sizeof(f->bad) / sizeof(f->bad[0])) {
		f->bad[f->n_bad][0] = (uint64_t)st->st_dev;
		f->bad[f->n_bad][1] = (uint64_t)st->st_ino;
		f->n_bad++;
	}
	pr_warn(fmt, path, strerror(err));
}

static int open_file(const char *path, const struct stat *want, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);

	if (fd < 0)
		return -errno;
	/* It may have been replaced between the stat and the open. */
	if (fstat(fd, st) || !S_ISREG(st->st_mode) ||
	    (want && (st->st_dev != want->st_dev || st->st_ino != want->st_ino))) {
		close(fd);
		return -EAGAIN;
	}
	return fd;
}

/* ---- rotated siblings: NAME.1, NAME.2.gz, NAME-20241121.gz, 0.log.20241121-101010 ---- */

struct sibling {
	char *path;
	struct stat st;
	bool gz;
	const char *suffix; /* into path */
};

/* NAME + '.' or '-' + digits, dots, dashes, '_', ':' or 'T' (+ ".gz"): a rotated copy. */
static bool sibling_name(const char *name, const char *base, bool *gz)
{
	size_t bl = strlen(base), nl = strlen(name), i;
	bool digit = false;

	if (nl <= bl + 1 || strncmp(name, base, bl) || (name[bl] != '.' && name[bl] != '-'))
		return false;
	*gz = ends_with(name, ".gz");
	if (*gz)
		nl -= 3;
	for (i = bl + 1; i < nl; i++) {
		char ch = name[i];

		if (ch >= '0' && ch <= '9')
			digit = true;
		else if (ch != '.' && ch != '-' && ch != '_' && ch != ':' && ch != 'T')
			return false;
	}
	return digit;
}

static bool all_digits(const char *s, bool gz)
{
	size_t n = strlen(s) - (gz ? 3 : 0), i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return n > 0;
}

/* Oldest first: by time of last change, then NAME.2 before NAME.1, then by name. */
static int cmp_sibling(const void *a, const void *b)
{
	const struct sibling *x = a, *y = b;

	if (x->st.st_mtim.tv_sec != y->st.st_mtim.tv_sec)
		return x->st.st_mtim.tv_sec < y->st.st_mtim.tv_sec ? -1 : 1;
	if (x->st.st_mtim.tv_nsec != y->st.st_mtim.tv_nsec)
		return x->st.st_mtim.tv_nsec < y->st.st_mtim.tv_nsec ? -1 : 1;
	if (all_digits(x->suffix, x->gz) && all_digits(y->suffix, y->gz)) {
		long long nx = atoll(x->suffix), ny = atoll(y->suffix);

		if (nx != ny)
			return nx > ny ? -1 : 1;
	}
	return strcmp(x->path, y->path);
}

/* A compressed sibling: by its content, a mark says where to go on (or that it is done). */
static void add_gz_sibling(struct follower *f, const struct sibling *sb, const char *group)
{
	char head[FP_LEN];
	struct stat st;
	struct src *s;
	ssize_t i;
	int fd, n;
	gzFile gzf;

	i = mark_by_inode(f, (uint64_t)sb->st.st_dev, (uint64_t)sb->st.st_ino, true);
	if (i >= 0 && f->marks[i].done && f->marks[i].size == (uint64_t)sb->st.st_size) {
		f->marks[i].seen = now_real_s(); /* read before: keep remembering it */
		f->changed = true;
		return;
	}
	fd = open_file(sb->path, &sb->st, &st);
	if (fd < 0)
		return;
	gzf = gzdopen(fd, "rb");
	if (!gzf) {
		close(fd);
		return;
	}
	n = gzread(gzf, head, FP_LEN);
	if (n < 0 || gzrewind(gzf)) {
		pr_warn("%s: not a readable gzip file: skipped", sb->path);
		gzclose(gzf);
		return;
	}
	i = mark_by_content(f, head, (size_t)n);
	if (i < 0 && !f->backfill) {
		gzclose(gzf); /* never read: a later --backfill may want it */
		return;
	}
	s = src_new(f, sb->path, group, &st, -1);
	if (!s) {
		gzclose(gzf);
		return;
	}
	s->gz = true;
	s->gzf = gzf;
	s->fp_len = (uint32_t)n;
	s->fp = fnv1a(head, (size_t)n);
	if (i >= 0) {
		/* Compressed after we read part of it (or all): go on from there. */
		s->start = f->marks[i].commit;
		s->start_skip = f->marks[i].skip;
		s->commit = s->start;
		/* The mark stays: it may be the uncompressed file's, which may still be there. */
	} else {
		s->backfill = true;
		f->stats.backfilled++;
	}
	gzbuffer(gzf, 128 * 1024);
	src_append(f, s);
	pr_debug("reading %s%s", sb->path, s->backfill ? " (backfill)" : " from where it was left");
}

/* A plain rotated sibling: by its inode and first bytes, or from its start with backfill. */
static void add_plain_sibling(struct follower *f, const struct sibling *sb, const char *group)
{
	ssize_t i = mark_by_inode(f, (uint64_t)sb->st.st_dev, (uint64_t)sb->st.st_ino, false);
	struct stat st;
	struct src *s;
	int fd;

	if (i < 0 && !f->backfill)
		return;
	fd = open_file(sb->path, &sb->st, &st);
	if (fd < 0)
		return;
	if (i >= 0 && !fp_matches(fd, f->marks[i].fp_len, f->marks[i].fp)) {
		mark_remove(f, (size_t)i); /* another file with a reused inode */
		i = -1;
		if (!f->backfill) {
			close(fd);
			return;
		}
	}
	if (i >= 0 && f->marks[i].commit == (uint64_t)st.st_size && !f->marks[i].skip) {
		f->marks[i].seen = now_real_s(); /* read to its end before */
		f->changed = true;
		close(fd);
		return;
	}
	s = src_new(f, sb->path, group, &st, fd);
	if (!s) {
		close(fd);
		return;
	}
	s->live = false;
	src_fingerprint(s);
	if (i >= 0 && f->marks[i].commit <= s->size) {
		s->offset = s->commit = f->marks[i].commit;
		s->skipping = s->commit_skip = f->marks[i].skip;
		mark_remove(f, (size_t)i);
	} else {
		if (i >= 0)
			mark_remove(f, (size_t)i);
		s->backfill = true;
		f->stats.backfilled++;
	}
	src_append(f, s);
	pr_debug("reading %s%s", sb->path, s->backfill ? " (backfill)" : " from where it was left");
}

/*
 * At the first scan, before the file real (found as group): its rotated
 * siblings that an earlier run left unfinished, and with backfill all of
 * them, oldest first. Siblings a glob matches are followed on their own.
 */
static void add_siblings(struct follower *f, const char *real, const char *group,
			 const struct stat *live_st)
{
	struct sibling *sbs = NULL, *grown;
	size_t n = 0, cap = 0, i, k;
	char dir[PATH_MAX], path[PATH_MAX];
	const char *base = base_of(real);
	struct dirent *de;
	struct stat st;
	DIR *d;
	bool gz, skip;

	d = opendir(dir_of(real, dir, sizeof(dir)));
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (!sibling_name(de->d_name, base, &gz))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= (int)sizeof(path) ||
		    stat(path, &st) || !S_ISREG(st.st_mode) ||
		    (st.st_dev == live_st->st_dev && st.st_ino == live_st->st_ino))
			continue;
		for (k = 0, skip = false; k < f->n_globs && !skip; k++)
			skip = !fnmatch(f->globs[k], path, FNM_PATHNAME);
		if (skip || (!gz && src_by_inode(f, (uint64_t)st.st_dev, (uint64_t)st.st_ino)))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			grown = realloc(sbs, cap * sizeof(*grown));
			if (!grown)
				break;
			sbs = grown;
		}
		sbs[n].path = strdup(path);
		if (!sbs[n].path)
			break;
		sbs[n].st = st;
		sbs[n].gz = gz;
		sbs[n].suffix = sbs[n].path + strlen(dir) + 1 + strlen(base) + 1;
		n++;
	}
	closedir(d);
	if (n)
		qsort(sbs, n, sizeof(*sbs), cmp_sibling);
	for (i = 0; i < n; i++) {
		if (sbs[i].gz)
			add_gz_sibling(f, &sbs[i], group);
		else
			add_plain_sibling(f, &sbs[i], group);
		free(sbs[i].path);
	}
	free(sbs);
}

/* A glob matched path: follow it if it is new. */
static void add_live(struct follower *f, const char *path, bool first)
{
	struct stat want, st;
	struct src *s;
	int fd;

	if (ends_with(path, ".gz"))
		return; /* compressed files are history: only backfill reads them */
	if (stat(path, &want) || !S_ISREG(want.st_mode))
		return;
	s = src_by_inode(f, (uint64_t)want.st_dev, (uint64_t)want.st_ino);
	if (s) {
		s->matched = true;
		if (!s->live) {
			s->live = true; /* renamed back under the glob */
			s->dirty = true;
		}
		if (strcmp(s->path, path)) {
			char *p = strdup(path);

			if (p) {
				free(s->path);
				s->path = p;
			}
		}
		return;
	}
	fd = open_file(path, &want, &st);
	if (fd == -EAGAIN) {
		f->rescan = true; /* replaced under our feet: look again */
		return;
	}
	if (fd < 0) {
		say_once(f, &want, "cannot follow %s: %s", path, -fd);
		return;
	}
	if (first) {
		char real[PATH_MAX];

		add_siblings(f, realpath(path, real) ? real : path, path, &st);
	}
	s = src_new(f, path, path, &st, fd);
	if (!s) {
		close(fd);
		return;
	}
	s->live = true;
	s->matched = true;
	src_choose_start(f, s, first);
	src_append(f, s);
	pr_debug("following %s from byte %llu", path, (unsigned long long)s->offset);
}

/* Match the globs again: new files, renamed and deleted ones, the folders to watch. */
static void rescan(struct follower *f, bool first)
{
	char dir[PATH_MAX];
	struct src *s;
	glob_t g;
	size_t i;
	int flags = 0;

	f->rescan = false;
	f->last_rescan_ns = time__mono_ns();
	for (i = 0; i < f->n_watches; i++)
		f->watches[i].used = false;
	for (s = f->srcs; s; s = s->next)
		s->matched = false;

	memset(&g, 0, sizeof(g));
	for (i = 0; i < f->n_globs; i++) {
		int r = glob(f->globs[i], flags, NULL, &g);

		if (r == 0 || r == GLOB_NOMATCH)
			flags = GLOB_APPEND;
		watch_glob_levels(f, f->globs[i]);
	}
	for (i = 0; i < g.gl_pathc; i++)
		add_live(f, g.gl_pathv[i], first);
	if (flags)
		globfree(&g);

	for (s = f->srcs; s; s = s->next) {
		if (s->live && !s->matched) {
			/* Renamed away or deleted: read what it still gets, then let it go. */
			s->live = false;
			s->dirty = true;
			s->still_since = time__mono_ns();
			f->stats.rotations++;
			pr_debug("%s was rotated (renamed or deleted): reading it to its end", s->path);
		}
		if (!s->gz)
			s->wd = watch_dir(f, dir_of(s->real, dir, sizeof(dir)));
		if (s->live)
			watch_dir(f, dir_of(s->path, dir, sizeof(dir)));
	}
	for (i = 0; i < f->n_watches;) {
		if (!f->watches[i].used) {
			inotify_rm_watch(f->ino_fd, f->watches[i].wd);
			forget_watch(f, f->watches[i].wd);
		} else {
			i++;
		}
	}
}

/* ---- reading ---- */

static void on_decoded(const struct crilog_line *l, void *ctx)
{
	struct follower *f = ctx;
	struct src *s = f->cur;
	struct follow_line fl = {
		.path = s->path,
		.group = s->group,
		.stream = l->stream,
		.text = l->text,
		.len = l->len,
		.truncated = l->truncated,
		.time_ns = l->time_ns,
		.backfill = s->backfill || (s->backfill_end && s->line_end <= s->backfill_end),
		.format = l->format,
	};

	f->stats.lines++;
	f->on_line(&fl, f->ctx);
}

/* One physical line of s, ending at file offset end. */
static void raw_line(struct follower *f, struct src *s, const char *line, size_t len, bool cut,
		     uint64_t end)
{
	uint64_t before = s->dec.malformed;

	if (!cut && len && line[len - 1] == '\r')
		len--;
	s->line_end = end;
	f->cur = s;
	crilog__feed(&s->dec, line, len, cut, on_decoded, f);
	f->stats.malformed += s->dec.malformed - before;
}

/* The saved offset moves only to the end of a line with nothing being joined. */
static void committed(struct follower *f, struct src *s, uint64_t off, bool skip)
{
	if (crilog__pending(&s->dec))
		return;
	s->commit = off;
	s->commit_skip = skip;
	f->changed = true;
}

static bool buf_append(struct follower *f, struct src *s, const char *p, size_t n)
{
	char *grown;
	size_t want;

	if (s->len + n > s->cap) {
		want = s->cap ? s->cap : 4096;
		while (want < s->len + n)
			want *= 2;
		if (want > f->raw_max)
			want = f->raw_max;
		grown = realloc(s->buf, want);
		if (!grown)
			return false;
		s->buf = grown;
		s->cap = want;
	}
	memcpy(s->buf + s->len, p, n);
	s->len += n;
	return true;
}

/* n bytes of s that start at s->offset: split them into lines. */
static void feed(struct follower *f, struct src *s, const char *data, size_t n)
{
	const char *p = data, *end = data + n, *nl;
	uint64_t base = s->offset;

	while (p < end) {
		size_t seg, room;
		uint64_t seg_end;

		nl = memchr(p, '\n', (size_t)(end - p));
		seg = (size_t)((nl ? nl : end) - p);
		seg_end = base + (uint64_t)(p - data) + seg + (nl ? 1 : 0);
		if (s->skipping) {
			if (nl) {
				s->skipping = false;
				committed(f, s, seg_end, false);
			}
		} else if (nl && !s->len && seg <= f->raw_max) {
			/* A whole line in the chunk: no copy. */
			raw_line(f, s, p, seg, false, seg_end);
			committed(f, s, seg_end, false);
		} else {
			room = f->raw_max - s->len;
			if (!buf_append(f, s, p, seg < room ? seg : room))
				room = 0; /* out of memory: cut the line here */
			if (seg >= room && (seg > room || !nl)) {
				/* Past the bound: the first raw_max bytes go, the rest is dropped. */
				raw_line(f, s, s->buf ? s->buf : "", s->len, true, seg_end);
				s->len = 0;
				s->skipping = !nl;
				committed(f, s, seg_end, !nl);
			} else if (nl) {
				raw_line(f, s, s->buf, s->len, false, seg_end);
				s->len = 0;
				committed(f, s, seg_end, false);
			}
		}
		p = nl ? nl + 1 : end;
	}
	s->offset += n;
	f->stats.bytes += n;
}

static void restart_at_zero(struct follower *f, struct src *s, const char *why)
{
	pr_info("%s was %s: reading it again from its start", s->path, why);
	f->stats.truncations++;
	s->offset = s->commit = 0;
	s->skipping = s->commit_skip = false;
	s->len = 0;
	s->backfill_end = 0;
	s->fp_len = 0;
	crilog__reset(&s->dec);
	f->changed = true;
}

/*
 * Truncation: the size below our offset, or the first bytes no longer the
 * ones we read (truncated, then written past our offset before we looked).
 * Also grows the fingerprint while the file is shorter than FP_LEN.
 */
static void check_truncation(struct follower *f, struct src *s, uint64_t size)
{
	char head[FP_LEN];
	size_t want = size < FP_LEN ? (size_t)size : FP_LEN;
	ssize_t n;

	if (size < s->offset)
		restart_at_zero(f, s, "truncated");
	if (!want)
		return;
	n = pread_full(s->fd, head, want, 0);
	if (n < 0)
		return;
	if (s->fp_len && (n < (ssize_t)s->fp_len || fnv1a(head, s->fp_len) != s->fp)) {
		if (s->offset)
			restart_at_zero(f, s, "truncated and written again");
		s->fp_len = 0;
	}
	if (n > (ssize_t)s->fp_len) {
		s->fp_len = (uint32_t)n;
		s->fp = fnv1a(head, (size_t)n);
	}
}

/* Read up to FOLLOW_BUDGET of a plain file. 1: more is waiting, 0: at its end, -errno. */
static int read_plain(struct follower *f, struct src *s)
{
	size_t budget = FOLLOW_BUDGET, want;
	struct stat st;
	ssize_t n;

	if (fstat(s->fd, &st))
		return -errno;
	s->size = (uint64_t)st.st_size;
	check_truncation(f, s, s->size);
	while (s->offset < s->size && budget) {
		want = CHUNK;
		if (want > s->size - s->offset)
			want = (size_t)(s->size - s->offset);
		if (want > budget)
			want = budget;
		n = pread(s->fd, f->chunk, want, (off_t)s->offset);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		feed(f, s, f->chunk, (size_t)n);
		budget -= (size_t)n;
		s->still_since = time__mono_ns();
	}
	return s->offset < s->size ? 1 : 0;
}

/* Read up to FOLLOW_BUDGET of a compressed file; what an earlier run read is skipped. */
static int read_gz(struct follower *f, struct src *s)
{
	size_t budget = FOLLOW_BUDGET;
	int n, errnum;
	unsigned want;

	while (!s->eof && budget) {
		want = CHUNK;
		if (s->offset < s->start && s->start - s->offset < want)
			want = (unsigned)(s->start - s->offset);
		n = gzread(s->gzf, f->chunk, want);
		if (n < 0) {
			pr_warn("%s: %s: read up to byte %llu", s->path, gzerror(s->gzf, &errnum),
				(unsigned long long)s->offset);
			s->eof = true;
			break;
		}
		if (n == 0) {
			s->eof = true;
			break;
		}
		budget -= (size_t)n;
		if (s->offset < s->start) {
			s->offset += (uint64_t)n; /* handed over by an earlier run */
			if (s->offset == s->start)
				s->skipping = s->start_skip;
			continue;
		}
		feed(f, s, f->chunk, (size_t)n);
	}
	return s->eof ? 0 : 1;
}

/* s ended for good: hand over its last line even without a newline, and remember it. */
static void src_finish(struct follower *f, struct src *s)
{
	struct mark m;

	if (s->len && !s->skipping) {
		raw_line(f, s, s->buf, s->len, false, s->offset);
		s->len = 0;
	}
	f->cur = s;
	crilog__flush(&s->dec, on_decoded, f);
	s->commit = s->offset;
	s->commit_skip = false;
	src_mark(s, &m, now_real_s());
	m.path = strdup(s->path);
	m.group = strdup(s->group);
	if (!m.path || !m.group || mark_add(f, &m))
		mark_free(&m);
	f->changed = true;
}

static void src_unlink(struct follower *f, struct src *s)
{
	struct src **pp;

	for (pp = &f->srcs; *pp; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			f->stats.open_files--;
			return;
		}
	}
}

/* Drop a file after a read error; its mark brings it back at the next rescan. */
static void src_drop(struct follower *f, struct src *s, int err)
{
	struct mark m;

	pr_warn("cannot read %s: %s: left for now", s->path, strerror(-err));
	f->stats.errors++;
	src_mark(s, &m, now_real_s());
	m.path = strdup(s->path);
	m.group = strdup(s->group);
	if (!m.path || !m.group || mark_add(f, &m))
		mark_free(&m);
	src_unlink(f, s);
	src_free(s);
	f->rescan = true;
	f->changed = true;
}

static bool group_blocked(char **blocked, size_t n, const char *group)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(blocked[i], group))
			return true;
	return false;
}

/*
 * One pass over the dirty files, in order. A file of history (rotated,
 * sibling) with more to read holds back the newer files of its group, so
 * that a group's lines keep their order. Returns whether more is waiting.
 */
static bool read_pass(struct follower *f)
{
	char *blocked[64];
	size_t n_blocked = 0;
	struct src *s, *next;
	bool more = false;
	int r;

	for (s = f->srcs; s; s = next) {
		next = s->next;
		if (!s->dirty && !f->all_dirty)
			continue;
		if (group_blocked(blocked, n_blocked, s->group)) {
			more = true;
			continue;
		}
		r = s->gz ? read_gz(f, s) : read_plain(f, s);
		if (r < 0) {
			src_drop(f, s, r);
			continue;
		}
		s->dirty = r > 0;
		if (r > 0) {
			more = true;
			if (!s->live && n_blocked < sizeof(blocked) / sizeof(blocked[0]))
				blocked[n_blocked++] = s->group;
		} else if (s->gz) {
			/* A compressed file does not grow: done with it. */
			src_finish(f, s);
			src_unlink(f, s);
			src_free(s);
		}
	}
	f->all_dirty = false;
	return more;
}

/* Take inotify's news: which folders changed, and how. */
static int drain_inotify(struct follower *f)
{
	char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	struct src *s;
	ssize_t n;
	char *p;

	for (;;) {
		n = read(f->ino_fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		for (p = buf; p < buf + n; p += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)p;
			if (ev->mask & IN_Q_OVERFLOW) {
				f->rescan = true;
				f->all_dirty = true;
				continue;
			}
			if (ev->mask & IN_IGNORED) {
				forget_watch(f, ev->wd);
				f->rescan = true;
				continue;
			}
			if (ev->mask & IN_MODIFY) {
				for (s = f->srcs; s; s = s->next)
					if (s->wd == ev->wd)
						s->dirty = true;
			}
			if (ev->mask & ~(IN_MODIFY | IN_ISDIR))
				f->rescan = true;
		}
	}
}

int follow__process(struct follower *f)
{
	int err = drain_inotify(f);

	if (err)
		return err;
	if (f->rescan)
		rescan(f, false);
	arm(f, read_pass(f) || f->rescan);
	return 0;
}

int follow__tick(struct follower *f)
{
	uint64_t now = time__mono_ns();
	struct src *s, *next;

	/* Files no glob matches any more are not watched for sure: look at them. */
	for (s = f->srcs; s; s = s->next)
		if (!s->live || s->wd < 0)
			s->dirty = true;
	if (now - f->last_rescan_ns >= RESCAN_EVERY_NS)
		f->rescan = true;
	follow__process(f);
	for (s = f->srcs; s; s = next) {
		next = s->next;
		if (s->live || s->dirty || now - s->still_since < FOLLOW_ROTATE_WAIT_S * NSEC_PER_SEC)
			continue;
		pr_debug("done with %s", s->path);
		src_finish(f, s);
		src_unlink(f, s);
		src_free(s);
	}
	if (f->changed && now - f->last_save_ns >= SAVE_EVERY_NS)
		return follow__save(f);
	return 0;
}

/* ---- life ---- */

int follow__fd(const struct follower *f)
{
	return f->ep;
}

const struct follow_stats *follow__stats(const struct follower *f)
{
	return &f->stats;
}

void follow__close(struct follower *f)
{
	struct src *s;
	size_t i;

	if (!f)
		return;
	if (f->ep >= 0)
		follow__save(f);
	while ((s = f->srcs)) {
		f->srcs = s->next;
		src_free(s);
	}
	for (i = 0; i < f->n_marks; i++)
		mark_free(&f->marks[i]);
	free(f->marks);
	for (i = 0; i < f->n_watches; i++)
		free(f->watches[i].dir);
	free(f->watches);
	for (i = 0; i < f->n_globs; i++)
		free(f->globs[i]);
	free(f->globs);
	free(f->offsets_path);
	free(f->chunk);
	if (f->ino_fd >= 0)
		close(f->ino_fd);
	if (f->ev_fd >= 0)
		close(f->ev_fd);
	if (f->ep >= 0)
		close(f->ep);
	free(f);
}

struct follower *follow__open(const struct follow_opts *o)
{
	struct follower *f;
	size_t i;
	int err;

	if (!o || !o->n_globs || o->n_globs > FOLLOW_MAX_GLOBS || !o->on_line || !o->max_line) {
		errno = EINVAL;
		return NULL;
	}
	for (i = 0; i < o->n_globs; i++) {
		if (!o->globs[i] || o->globs[i][0] != '/') {
			errno = EINVAL;
			return NULL;
		}
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->ep = f->ino_fd = f->ev_fd = -1;
	f->backfill = o->backfill;
	f->max_line = o->max_line;
	/* Docker escapes a byte in up to 6: a record of max_line bytes of text fits. */
	f->raw_max = o->max_line * 6 + 1024;
	f->on_line = o->on_line;
	f->ctx = o->ctx;
	f->globs = calloc(o->n_globs, sizeof(*f->globs));
	f->chunk = malloc(CHUNK);
	if (!f->globs || !f->chunk)
		goto fail_nomem;
	for (i = 0; i < o->n_globs; i++) {
		f->globs[i] = strdup(o->globs[i]);
		if (!f->globs[i])
			goto fail_nomem;
		f->n_globs++;
	}
	if (o->offsets_path) {
		f->offsets_path = strdup(o->offsets_path);
		if (!f->offsets_path)
			goto fail_nomem;
		load_offsets(f);
	}

	f->ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (f->ino_fd < 0)
		goto fail;
	f->ev_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (f->ev_fd < 0)
		goto fail;
	/* One fd for the caller's loop: the inotify fd and "more to do". */
	f->ep = loop__pollset_new();
	if (f->ep < 0) {
		errno = -f->ep;
		goto fail;
	}
	err = loop__pollset_add(f->ep, f->ino_fd, EPOLLIN);
	if (!err)
		err = loop__pollset_add(f->ep, f->ev_fd, EPOLLIN);
	if (err) {
		errno = -err;
		goto fail;
	}

	rescan(f, true);
	/* Everything found is dirty: the first follow__process() reads it. */
	arm(f, true);
	return f;

fail_nomem:
	errno = ENOMEM;
fail:
	err = errno;
	f->changed = false; /* nothing of ours to save */
	follow__close(f);
	errno = err;
	return NULL;
}
