// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * fuzz_config.c - configuration files (user/config.c over inih), read on
 * top of the defaults and on top of settings whose lists are filled; the
 * settings of each [app NAME] section derived from them.
 *
 * Properties: a file refused leaves the configuration exactly as it was and
 * says why with "FILE:LINE: reason"; a file taken gives a configuration
 * that copies (the lists too) and that config__check judges without
 * crashing; nothing leaks (LeakSanitizer).
 */
#include <errno.h>
#include <sys/mman.h>

#include "config.h"
#include "fuzz.h"

static int fd = -1;
static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fd = memfd_create("fuzz.ini", MFD_CLOEXEC);
	if (fd < 0)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return 0;
}

static void same_lists(char *const *a, int na, char *const *b, int nb, const char *what)
{
	int i;

	FUZZ_CHECK(na == nb, "%s: %d items, copy %d", what, na, nb);
	for (i = 0; i < na; i++)
		FUZZ_CHECK(a[i] != b[i] && !strcmp(a[i], b[i]), "%s item %d", what, i);
}

static void load_on(struct warden_config *c)
{
	struct warden_config before, copy;
	char err[1024];
	int rc, i;

	before = *c; /* shallow: on failure even the list pointers must be the same */
	err[0] = '\0';
	rc = config__load(c, path, err, sizeof(err));
	if (rc) {
		FUZZ_CHECK(rc == -EINVAL || rc == -ENOMEM, "rc %d", rc);
		FUZZ_CHECK(!memcmp(&before, c, sizeof(before)), "a refused file changed the settings");
		FUZZ_CHECK(!strncmp(err, path, strlen(path)) && err[strlen(path)] == ':',
			   "reason \"%s\"", err);
		return;
	}
	FUZZ_CHECK(c->n_ifaces >= 0 && c->n_ifaces <= CONFIG_MAX_IFACES, "%d ifaces", c->n_ifaces);
	FUZZ_CHECK(c->n_follow >= 0 && c->n_follow <= CONFIG_MAX_FOLLOW, "%d follow", c->n_follow);
	FUZZ_CHECK(c->n_ignore >= 0 && c->n_ignore <= CONFIG_MAX_IGNORE, "%d ignore", c->n_ignore);
	FUZZ_CHECK(c->n_fail_status >= 0 && c->n_fail_status <= CONFIG_MAX_FAIL_STATUS, "fail_status");
	FUZZ_CHECK(memchr(c->log_regex, '\0', sizeof(c->log_regex)) &&
			   memchr(c->app, '\0', sizeof(c->app)) &&
			   memchr(c->state_dir, '\0', sizeof(c->state_dir)),
		   "an unterminated string");
	err[0] = '\0';
	rc = config__check(c, err, sizeof(err));
	FUZZ_CHECK(rc == 0 || (rc == -EINVAL && err[0]), "config__check %d \"%s\"", rc, err);
	if (config__copy(&copy, c))
		abort();
	same_lists(c->ifaces, c->n_ifaces, copy.ifaces, copy.n_ifaces, "iface");
	same_lists(c->follow, c->n_follow, copy.follow, copy.n_follow, "follow");
	config__free(&copy);
	/* Each [app NAME] section: the settings its logs are judged by. */
	FUZZ_CHECK(c->n_apps >= 0 && c->n_apps <= CONFIG_MAX_APPS, "%d apps", c->n_apps);
	for (i = 0; i < c->n_apps; i++) {
		const struct app_section *a = c->apps[i];

		FUZZ_CHECK(a && memchr(a->name, '\0', sizeof(a->name)) && a->n_jail >= 0 &&
				   a->n_jail <= CONFIG_MAX_APP_KEYS,
			   "app %d", i);
		err[0] = '\0';
		rc = config__app_config(c, a, &copy, err, sizeof(err));
		FUZZ_CHECK(rc == 0 || ((rc == -EINVAL || rc == -ENOMEM) && err[0]),
			   "config__app_config %d \"%s\"", rc, err);
		if (rc == 0)
			config__free(&copy);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct warden_config c;
	char err[256];

	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	config__defaults(&c);
	load_on(&c);
	config__free(&c);

	/* On top of settings with lists already filled (they append). */
	config__defaults(&c);
	if (config__set(&c, "warden", "iface", "eth0, eth1", err, sizeof(err)) ||
	    config__set(&c, "warden", "follow", "/var/log/app/*.log", err, sizeof(err)) ||
	    config__set(&c, "jail", "ignoreip", "192.0.2.0/24 2001:db8::/32 example.org", err,
			sizeof(err)))
		fuzz_fail(__FILE__, __LINE__, "config__set: %s", err);
	load_on(&c);
	config__free(&c);
	return 0;
}
