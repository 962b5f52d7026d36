// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* mapsize.c - the size of the maps that only throttling, learning or shedding uses. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "log.h"
#include "mapsize.h"
#include "warden.h"
#include "xdp_attach.h"

static const struct {
	const char *name;
	__u32 full;
} sized[] = {
	{ WARDEN_STR(MAP_CLIENTS), WARDEN_MAX_CLIENTS },
	{ WARDEN_STR(MAP_KNOWN), WARDEN_MAX_KNOWN },
	{ WARDEN_STR(MAP_SKETCH), WARDEN_SKETCH_ROWS * WARDEN_SKETCH_WIDTH },
};

#define N_SIZED (sizeof(sized) / sizeof(sized[0]))

/* The pinned map's definition; -errno (-ENOENT: not pinned). */
static int pinned_info(const char *pin_path, const char *name, struct bpf_map_info *info)
{
	char path[PATH_MAX];
	__u32 len = sizeof(*info);
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/%s", pin_path, name);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	memset(info, 0, sizeof(*info));
	if (bpf_obj_get_info_by_fd(fd, info, &len))
		err = -errno;
	close(fd);
	return err;
}

/* Whether the pinned settings switch on anything that uses these maps. */
static bool switched_on(const char *pin_path)
{
	struct warden_settings s;
	char path[PATH_MAX];
	__u32 zero = 0;
	int fd;
	bool on = false;

	snprintf(path, sizeof(path), "%s/%s", pin_path, WARDEN_STR(MAP_SETTINGS));
	fd = bpf_obj_get(path);
	if (fd < 0)
		return false;
	memset(&s, 0, sizeof(s));
	if (bpf_map_lookup_elem(fd, &zero, &s) == 0)
		on = (s.flags & (WARDEN_F_THROTTLE | WARDEN_F_LEARN)) || s.shed;
	close(fd);
	return on;
}

int mapsize__apply(struct bpf_object *obj, const char *pin_path)
{
	struct bpf_map_info info;
	struct bpf_map *map;
	bool on = switched_on(pin_path), idle;
	size_t i;
	int err;

	for (i = 0; i < N_SIZED; i++) {
		map = bpf_object__find_map_by_name(obj, sized[i].name);
		if (!map)
			continue;
		err = pinned_info(pin_path, sized[i].name, &info);
		if (err && err != -ENOENT)
			return err;
		/* An idle pin stays idle (mapsize__grow grows it), any other is full size. */
		idle = err ? !on : info.max_entries == MAPSIZE_IDLE_ENTRIES;
		err = bpf_map__set_max_entries(map, idle ? MAPSIZE_IDLE_ENTRIES : sized[i].full);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Replace one idle-sized pin by a full-sized map of the same definition,
 * its BTF included (bpftool then prints the field names).
 */
static int grow_one(const char *pin_path, const char *name, const struct bpf_map_info *old,
		    __u32 full)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = old->map_flags);
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	int fd, btf_fd = -1, err = 0;

	snprintf(path, sizeof(path), "%s/%s", pin_path, name);
	snprintf(tmp, sizeof(tmp), "%s_grown", path);
	if (old->btf_id) {
		btf_fd = bpf_btf_get_fd_by_id(old->btf_id);
		if (btf_fd >= 0) {
			opts.btf_fd = (__u32)btf_fd;
			opts.btf_key_type_id = old->btf_key_type_id;
			opts.btf_value_type_id = old->btf_value_type_id;
		}
	}
	fd = bpf_map_create(old->type, name, old->key_size, old->value_size, full, &opts);
	if (fd < 0 && btf_fd >= 0) {
		/* Without its BTF rather than not at all. */
		LIBBPF_OPTS(bpf_map_create_opts, plain, .map_flags = old->map_flags);

		fd = bpf_map_create(old->type, name, old->key_size, old->value_size, full, &plain);
	}
	if (btf_fd >= 0)
		close(btf_fd);
	if (fd < 0)
		return -errno;
	/* Pinned aside, then renamed over the old pin: the name is never missing. */
	unlink(tmp);
	if (bpf_obj_pin(fd, tmp) || rename(tmp, path)) {
		err = -errno;
		unlink(tmp);
	}
	close(fd);
	return err;
}

/* Put an old map back on its pin (as grow_one puts a new one). */
static void put_back(const char *pin_path, const char *name, int fd)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];

	snprintf(path, sizeof(path), "%s/%s", pin_path, name);
	snprintf(tmp, sizeof(tmp), "%s_grown", path);
	unlink(tmp);
	if (bpf_obj_pin(fd, tmp) || rename(tmp, path))
		pr_warn("cannot put %s back: %s", path, strerror(errno));
}

int mapsize__grow(const char *pin_path, bool always, int *grown)
{
	struct bpf_map_info info;
	int old_fd[N_SIZED], err = 0, n = 0, made;
	size_t i, which[N_SIZED];
	char path[PATH_MAX];

	if (grown)
		*grown = 0;
	if (!always && !switched_on(pin_path))
		return 0;
	for (i = 0; i < N_SIZED && !err; i++) {
		err = pinned_info(pin_path, sized[i].name, &info);
		if (err == -ENOENT) {
			err = 0;
			continue;
		}
		if (err || info.max_entries >= sized[i].full)
			continue;
		/* The old map stays open: it goes back if a program cannot leave it. */
		snprintf(path, sizeof(path), "%s/%s", pin_path, sized[i].name);
		old_fd[n] = bpf_obj_get(path);
		if (old_fd[n] < 0) {
			err = -errno;
			break;
		}
		which[n] = i;
		err = grow_one(pin_path, sized[i].name, &info, sized[i].full);
		if (err) {
			pr_warn("cannot grow %s: %s", path, strerror(-err));
			close(old_fd[n]);
			break;
		}
		n++;
	}
	made = n;
	if (n) {
		/* The programs on these maps move to the new ones... */
		xdp_attach__upgrade(pin_path);
		/* ...unless one cannot (in libxdp's dispatcher, or out of reach): then all stay. */
		if (xdp_attach__stale_here(pin_path) > 0) {
			pr_warn("an XDP program on the maps under %s cannot be moved onto larger "
				"throttle maps (in libxdp's dispatcher): "
				"they stay small (%d entry), so throttling counts few clients until "
				"'warden detach' and attach again", pin_path, MAPSIZE_IDLE_ENTRIES);
			for (i = 0; i < (size_t)n; i++)
				put_back(pin_path, sized[which[i]].name, old_fd[i]);
			xdp_attach__upgrade(pin_path);
			n = 0;
		} else {
			pr_info("throttle maps grown to full size under %s", pin_path);
		}
	}
	for (i = 0; i < (size_t)made; i++)
		close(old_fd[i]);
	if (grown)
		*grown = n;
	return err;
}

long long mapsize__memlock(const char *pin_path)
{
	char path[PATH_MAX + 32], line[256];
	long long total = 0, v;
	size_t i;
	FILE *f;
	int fd;

	for (i = 0; i < N_SIZED; i++) {
		snprintf(path, sizeof(path), "%s/%s", pin_path, sized[i].name);
		fd = bpf_obj_get(path);
		if (fd < 0)
			return -errno;
		snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
		f = fopen(path, "r");
		while (f && fgets(line, sizeof(line), f))
			if (sscanf(line, "memlock: %lld", &v) == 1)
				total += v;
		if (f)
			fclose(f);
		close(fd);
	}
	return total;
}
