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
	bool on = switched_on(pin_path);
	size_t i;
	int err;

	for (i = 0; i < N_SIZED; i++) {
		map = bpf_object__find_map_by_name(obj, sized[i].name);
		if (!map)
			continue;
		err = pinned_info(pin_path, sized[i].name, &info);
		if (err && err != -ENOENT)
			return err;
		err = bpf_map__set_max_entries(map, !err ? info.max_entries :
						    on ? sized[i].full : MAPSIZE_IDLE_ENTRIES);
		if (err)
			return err;
	}
	return 0;
}

/* Replace one idle-sized pin by a full-sized map of the same definition. */
static int grow_one(const char *pin_path, const char *name, const struct bpf_map_info *old,
		    __u32 full)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = old->map_flags);
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/%s", pin_path, name);
	snprintf(tmp, sizeof(tmp), "%s_grown", path);
	fd = bpf_map_create(old->type, name, old->key_size, old->value_size, full, &opts);
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

int mapsize__grow(const char *pin_path, bool always, int *grown)
{
	struct bpf_map_info info;
	size_t i;
	int err, n = 0;

	if (grown)
		*grown = 0;
	if (!always && !switched_on(pin_path))
		return 0;
	for (i = 0; i < N_SIZED; i++) {
		err = pinned_info(pin_path, sized[i].name, &info);
		if (err == -ENOENT)
			continue;
		if (err)
			return err;
		if (info.max_entries >= sized[i].full)
			continue;
		err = grow_one(pin_path, sized[i].name, &info, sized[i].full);
		if (err) {
			pr_warn("cannot grow %s/%s: %s", pin_path, sized[i].name, strerror(-err));
			return err;
		}
		n++;
	}
	if (grown)
		*grown = n;
	if (!n)
		return 0;
	pr_info("throttle maps grown to full size under %s", pin_path);
	/* The programs on these maps move to the new ones. */
	err = xdp_attach__upgrade(pin_path);
	return err < 0 ? err : 0;
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
