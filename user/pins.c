// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* pins.c - the pin folder: bpffs under it, its lock, and the maps pinned in it by name. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "log.h"
#include "mounts.h"
#include "pins.h"

struct pins {
	int dir_fd;           /* the folder, flock()ed around every change */
	char path[PATH_MAX];
};

struct pins *pins__open(const char *path, enum pins_open how)
{
	struct pins *p;
	int err;

	if (strlen(path) >= PATH_MAX) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	snprintf(p->path, sizeof(p->path), "%s", path);
	if (how == PINS_CREATE) {
		err = mounts__bpffs(path, 1);
		if (err)
			goto err_out;
	}
	p->dir_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (p->dir_fd < 0) {
		err = -errno;
		if (err == -ENOENT)
			pr_warn("no warden maps at %s: run 'warden attach IFACE' (or warden run) first, "
				"or give the right --pin-path", path);
		else
			pr_warn("cannot open %s: %s", path, strerror(-err));
		goto err_out;
	}
	return p;

err_out:
	free(p);
	errno = -err;
	return NULL;
}

void pins__close(struct pins *p)
{
	if (!p)
		return;
	close(p->dir_fd);
	free(p);
}

const char *pins__path(const struct pins *p)
{
	return p->path;
}

void pins__lock(struct pins *p)
{
	while (flock(p->dir_fd, LOCK_EX) < 0 && errno == EINTR)
		;
}

void pins__unlock(struct pins *p)
{
	flock(p->dir_fd, LOCK_UN);
}

int pins__obj_path(const struct pins *p, const char *name, char *out, size_t len)
{
	if (snprintf(out, len, "%s/%s", p->path, name) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

int pins__map_fd(const struct pins *p, const char *name, const struct pins_map_def *def)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	char path[PATH_MAX + 32];
	int fd, err;

	err = pins__obj_path(p, name, path, sizeof(path));
	if (err)
		return err;
	fd = bpf_obj_get(path);
	if (fd < 0 || !def)
		return fd < 0 ? -errno : fd;
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		err = -errno;
		close(fd);
		return err;
	}
	if ((def->type && info.type != def->type) ||
	    (def->key_size && info.key_size != def->key_size) ||
	    (def->value_size && info.value_size != def->value_size)) {
		pr_warn("%s has another layout (type %u, key %u, value %u bytes; expected %u, %u, %u)",
			path, info.type, info.key_size, info.value_size, def->type, def->key_size,
			def->value_size);
		close(fd);
		return -EPROTO;
	}
	return fd;
}

int pins__map_keys(int fd, size_t key_size, void **keys_out, size_t *n_out)
{
	size_t cap = 1024, n = 0;
	char *keys = malloc(cap * key_size), *grown;
	int err = 0;

	if (!keys)
		return -ENOMEM;
	/* NULL start key: the first key (LPM tries accept it too). */
	while (bpf_map_get_next_key(fd, n ? keys + (n - 1) * key_size : NULL,
				    keys + n * key_size) == 0) {
		if (++n == cap) {
			cap *= 2;
			grown = realloc(keys, cap * key_size);
			if (!grown) {
				err = -ENOMEM;
				break;
			}
			keys = grown;
		}
	}
	if (!err && errno != ENOENT)
		err = -errno;
	if (err) {
		free(keys);
		return err;
	}
	*keys_out = keys;
	*n_out = n;
	return 0;
}

int pins__remove_all(const char *path)
{
	char obj[PATH_MAX + 256];
	struct dirent *de;
	int err = 0;
	DIR *dir;

	dir = opendir(path);
	if (!dir)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(obj, sizeof(obj), "%s/%s", path, de->d_name);
		if (unlink(obj) && !err)
			err = -errno;
	}
	closedir(dir);
	if (rmdir(path) && !err)
		err = -errno;
	return err;
}
