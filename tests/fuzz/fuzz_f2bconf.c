// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * fuzz_f2bconf.c - fail2ban's configuration (user/f2bconf.c): a tree of
 * jail files and filters written from the input, read as fail2ban reads it
 * (jail.conf, jail.d, jail.local, includes, [DEFAULT], interpolation), one
 * jail taken (the one enabled, or one named) or every jail (warden watch),
 * and its filters resolved and compiled (user/f2bfilter.c).
 *
 * The input is the files' text, separated by lines "==", in the order of
 * files[] below (a file the input does not give does not exist), then log
 * lines the filters are run on.
 *
 * Properties: every call ends (libFuzzer's -timeout: interpolation and
 * <tag> substitution never loop), within -rss_limit_mb; a refused
 * configuration leaves the settings as they were (notes aside) and says
 * why; a taken one names jails that are sections of the input, follows
 * patterns that are bounded, and its filter compiles again (the same
 * reading twice gives the same answer); a resolved filter's values stay
 * within the reader's bound; an include loop and a %(name)s loop
 * appended to the input's own files are always refused; nothing leaks
 * (LeakSanitizer).
 *
 * Logpaths are globbed: glob() is replaced here so that only the fuzz
 * folder is ever searched (/fuzz/... names it), never the machine's
 * file system, whose size would decide the speed of an input.
 */
#include <dlfcn.h>
#include <errno.h>
#include <ftw.h>
#include <glob.h>
#include <sys/stat.h>

#include "config.h"
#include "f2bconf.h"
#include "f2bfilter.h"
#include "fuzz.h"

#define MAX_VALUE (64 * 1024) /* f2bconf.c's bound on one value, interpolated */

static const char *const files[] = {
	"jail.conf",         "jail.local",        "jail.d/a.conf",
	"jail.d/b.local",    "paths-common.conf", "filter.d/f.conf",
	"filter.d/f.local",  "filter.d/common.conf", "filter.d/g.conf",
};
#define N_FILES (sizeof(files) / sizeof(files[0]))

static char dir[256];

/* ---- glob(): the fuzz folder only ---- */

typedef int (*glob_fn)(const char *, int, int (*)(const char *, int), glob_t *);

int glob(const char *pattern, int flags, int (*errfunc)(const char *, int), glob_t *pglob)
{
	static glob_fn real;
	char mapped[4096];

	if (!real)
		real = (glob_fn)dlsym(RTLD_NEXT, "glob");
	if (!real)
		abort();
	if (!strncmp(pattern, "/fuzz/", 6)) {
		snprintf(mapped, sizeof(mapped), "%s/%s", dir, pattern + 6);
		pattern = mapped;
	} else if (strncmp(pattern, dir, strlen(dir))) {
		memset(pglob, 0, sizeof(*pglob));
		return GLOB_NOMATCH;
	}
	return real(pattern, flags, errfunc, pglob);
}

static void write_file(const char *name, const void *p, size_t n, const char *extra)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f || (n && fwrite(p, 1, n, f) != n) || (extra && fputs(extra, f) < 0))
		abort();
	fclose(f);
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void remove_tree(void)
{
	nftw(dir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");
	char path[512];

	(void)argc;
	(void)argv;
	/* Files are rewritten for every input: in memory (tmpfs), not on a disk. */
	snprintf(dir, sizeof(dir), "/dev/shm/warden-f2bconf.XXXXXX");
	if (!mkdtemp(dir)) {
		snprintf(dir, sizeof(dir), "%s/f2bconf.XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(dir))
			abort();
	}
	atexit(remove_tree);
	/* jail.d, filter.d, and a log for logpath = /fuzz/log/access.log. */
	snprintf(path, sizeof(path), "%s/jail.d", dir);
	if (mkdir(path, 0700))
		abort();
	snprintf(path, sizeof(path), "%s/filter.d", dir);
	if (mkdir(path, 0700))
		abort();
	snprintf(path, sizeof(path), "%s/log", dir);
	if (mkdir(path, 0700))
		abort();
	write_file("log/access.log", NULL, 0, NULL);
	return 0;
}

static void remove_file(const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
}

/* The input's files: its parts between lines "=="; part N_FILES is the log lines. */
static void write_tree(const uint8_t *data, size_t size, const uint8_t **part, size_t *len)
{
	size_t i, start = 0, k = 0;

	part[N_FILES] = NULL;
	len[N_FILES] = 0;
	for (i = 0; i <= size && k <= N_FILES; i++) {
		bool end = i == size;
		bool sep = !end && data[i] == '=' && i + 1 < size && data[i + 1] == '=' &&
			   (i == 0 || data[i - 1] == '\n') && (i + 2 == size || data[i + 2] == '\n');

		if (!end && !sep)
			continue;
		part[k] = data + start;
		len[k] = i - start;
		if (k < N_FILES)
			write_file(files[k], data + start, i - start, NULL);
		k++;
		start = i + 3;
		i += 2;
	}
	for (; k < N_FILES; k++) {
		part[k] = NULL;
		len[k] = 0;
		remove_file(files[k]);
	}
}

/* Whether the input holds s anywhere (it could then undo what a check appends). */
static bool mentions(const uint8_t *data, size_t size, const char *s)
{
	return memmem(data, size, s, strlen(s)) != NULL;
}

/* The settings as they are, with their notes left out: a refusal may add notes. */
static void same_but_notes(const struct warden_config *a, const struct warden_config *b)
{
	struct warden_config x = *a, y = *b;

	memset(x.notes, 0, sizeof(x.notes));
	memset(y.notes, 0, sizeof(y.notes));
	x.n_notes = y.n_notes = 0;
	FUZZ_CHECK(!memcmp(&x, &y, sizeof(x)), "a refused configuration changed the settings");
}

static void check_taken(const struct warden_config *c, const uint8_t *data, size_t size)
{
	int i;

	FUZZ_CHECK(c->n_follow >= 0 && c->n_follow <= CONFIG_MAX_FOLLOW, "%d follow", c->n_follow);
	for (i = 0; i < c->n_follow; i++)
		FUZZ_CHECK(c->follow[i][0] && strlen(c->follow[i]) < 4096, "follow %d", i);
	FUZZ_CHECK(c->n_notes >= 0 && c->n_notes <= CONFIG_MAX_NOTES, "%d notes", c->n_notes);
	FUZZ_CHECK(memchr(c->filter, '\0', sizeof(c->filter)) &&
			   memchr(c->jail_name, '\0', sizeof(c->jail_name)),
		   "an unterminated string");
	/* A jail is a section of the input: nothing invented. */
	if (c->jail_name[0])
		FUZZ_CHECK(mentions(data, size, c->jail_name), "jail [%s] is not in the input",
			   c->jail_name);
}

/* The filter taken compiles again, the same way. */
static void check_filter(const char *fdir, const char *spec)
{
	char err[512] = "";
	struct f2b_filter *f;

	if (!spec[0])
		return;
	f = f2bfilter__load(fdir, spec, err, sizeof(err));
	FUZZ_CHECK(f, "filter %s compiled when read, not again: %s", spec, err);
	f2bfilter__free(f);
}

/* One reading of the tree: the one enabled jail, or jail. */
static int apply_one(const char *jail, const uint8_t *data, size_t size, char *err, size_t errlen)
{
	struct warden_config c, before;
	char path[512];
	int rc;

	snprintf(path, sizeof(path), "%s/jail.local", dir);
	config__defaults(&c);
	before = c;
	err[0] = '\0';
	rc = f2bconf__apply(&c, path, jail, err, errlen);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -ENOENT || rc == -ENOMEM, "rc %d", rc);
	if (rc) {
		FUZZ_CHECK(err[0], "refused without a reason (%d)", rc);
		same_but_notes(&before, &c);
	} else {
		FUZZ_CHECK(c.jail_name[0], "a jail taken without a name");
		check_taken(&c, data, size);
		check_filter(c.filter_dir, c.filter);
	}
	config__free(&c);
	return rc;
}

/* Every jail, as warden watch reads them. */
static void apply_every(const uint8_t *data, size_t size)
{
	struct warden_config c, before, app;
	char path[512], err[2048] = "";
	int rc, i;

	snprintf(path, sizeof(path), "%s/jail.local", dir);
	config__defaults(&c);
	before = c;
	rc = f2bconf__apply_every(&c, path, err, sizeof(err));
	FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -ENOENT || rc == -ENOMEM, "rc %d", rc);
	if (rc) {
		FUZZ_CHECK(err[0], "refused without a reason (%d)", rc);
		same_but_notes(&before, &c);
		config__free(&c);
		return;
	}
	check_taken(&c, data, size);
	FUZZ_CHECK(c.n_apps >= 1 && c.n_apps <= CONFIG_MAX_APPS, "%d jails", c.n_apps);
	for (i = 0; i < c.n_apps; i++) {
		const struct app_section *a = c.apps[i];

		FUZZ_CHECK(a->f2b && a->n_follow >= 1 && a->filter[0] && !a->source[0],
			   "jail %d: f2b %d, %d follow, filter '%s'", i, a->f2b, a->n_follow,
			   a->filter);
		FUZZ_CHECK(mentions(data, size, a->name), "jail [%s] is not in the input", a->name);
		err[0] = '\0';
		rc = config__app_config(&c, a, &app, err, sizeof(err));
		FUZZ_CHECK(rc == 0, "jail [%s]: its settings: %s", a->name, err);
		FUZZ_CHECK(app.filter_only && !strcmp(app.filter, a->filter), "jail [%s]", a->name);
		config__free(&app);
		check_filter(a->filter_dir, a->filter);
	}
	FUZZ_CHECK(config__check(&c, err, sizeof(err)) == 0, "config__check: %s", err);
	config__free(&c);
}

/* filter.d/NAME resolved, compiled, and run on the input's log lines. */
static void filter_one(const char *spec, const uint8_t *data, size_t size)
{
	struct f2b_filter_def def;
	struct f2b_filter *f;
	struct f2b_match m;
	char fdir[512], err[512] = "";
	const char *v[4];
	size_t i, start = 0;
	int rc, k, lines = 0;

	snprintf(fdir, sizeof(fdir), "%s/filter.d", dir);
	rc = f2bconf__filter(fdir, spec, &def, err, sizeof(err));
	if (rc) {
		FUZZ_CHECK(err[0] && !def.name && !def.failregex, "refused (%d): '%s'", rc, err);
		return;
	}
	v[0] = def.failregex;
	v[1] = def.ignoreregex;
	v[2] = def.prefregex;
	v[3] = def.datepattern;
	for (k = 0; k < 4; k++)
		FUZZ_CHECK(!v[k] || strlen(v[k]) < MAX_VALUE, "value %d: %zu bytes", k,
			   strlen(v[k]));
	FUZZ_CHECK(def.name && def.maxlines >= 1 && def.maxlines <= 1000, "maxlines %d",
		   def.maxlines);
	f = f2bfilter__new(&def, err, sizeof(err));
	f2b_filter_def__free(&def);
	if (!f) {
		FUZZ_CHECK(err[0], "a filter refused without a reason");
		return;
	}
	for (i = 0; data && i <= size && lines < 8; i++) {
		enum f2b_result r;
		char *line;

		if (i < size && data[i] != '\n')
			continue;
		line = fuzz_dup(data + start, i - start);
		r = f2bfilter__match(f, line, i - start, &m);
		FUZZ_CHECK(r >= F2B_MISS && r <= F2B_LIMIT, "result %d", r);
		if (r == F2B_FAIL)
			FUZZ_CHECK(m.host.family && m.regex >= 0 &&
					   m.regex < f2bfilter__count(f, F2B_FAILREGEX),
				   "a failure without its host or regex");
		free(line);
		start = i + 1;
		lines++;
	}
	f2bfilter__free(f);
}

/*
 * The input's own files with a loop appended: an include loop through two
 * filters, and a %(name)s loop in a jail. Both are always refused (a
 * section given twice, when the input has it already, is refused too).
 */
static void loops(const uint8_t **part, const size_t *len, const uint8_t *data, size_t size)
{
	char err[512] = "", fdir[512];
	struct f2b_filter_def def;

	if (!mentions(data, size, "loopa") && !mentions(data, size, "loopb")) {
		snprintf(fdir, sizeof(fdir), "%s/filter.d", dir);
		write_file("filter.d/loopa.conf", part[5], len[5],
			   "\n[INCLUDES]\nbefore = loopb.conf\n[Definition]\nfailregex = <HOST>\n");
		write_file("filter.d/loopb.conf", NULL, 0, "[INCLUDES]\nbefore = loopa.conf\n");
		FUZZ_CHECK(f2bconf__filter(fdir, "loopa", &def, err, sizeof(err)) != 0,
			   "an include loop was taken");
		remove_file("filter.d/loopa.conf");
		remove_file("filter.d/loopb.conf");
	}
	if (!mentions(data, size, "zzloop")) {
		write_file("jail.local", part[1], len[1],
			   "\n[zzloop]\nenabled = true\nbackend = %(zza)s\nzza = %(zzb)s\n"
			   "zzb = %(backend)s\n");
		FUZZ_CHECK(apply_one("zzloop", data, size, err, sizeof(err)) != 0,
			   "a %%(name)s loop was taken");
		if (part[1])
			write_file("jail.local", part[1], len[1], NULL);
		else
			remove_file("jail.local");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *part[N_FILES + 1];
	size_t len[N_FILES + 1];
	char err[512], again[512];
	int rc;

	write_tree(data, size, part, len);
	rc = apply_one(NULL, data, size, err, sizeof(err));
	/* The same files read again: the same answer. */
	FUZZ_CHECK(apply_one(NULL, data, size, again, sizeof(again)) == rc && !strcmp(err, again),
		   "read twice: '%s' then '%s'", err, again);
	apply_one("j", data, size, err, sizeof(err));
	apply_every(data, size);
	filter_one("f", part[N_FILES], len[N_FILES]);
	filter_one("g[mode=aggressive, x=\"a, b\", y=<HOST>]", part[N_FILES], len[N_FILES]);
	loops(part, len, data, size);
	return 0;
}
