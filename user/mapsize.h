/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* mapsize.h - the size of the maps that only throttling, learning or shedding uses. */
#ifndef WARDEN_MAPSIZE_H
#define WARDEN_MAPSIZE_H

#include <stdbool.h>
#include <bpf/libbpf.h>

/*
 * warden_clients, warden_known and warden_sketch take about 61 MB at full
 * size (LRU hashes and arrays are preallocated). Until throttling,
 * learning or shedding is switched on they are created with one entry
 * each, which the data path never needs (it fails open: no bucket, no
 * history); switching one on grows them (mapsize__grow).
 */
#define MAPSIZE_IDLE_ENTRIES 1

/*
 * Before loading the object whose maps are pinned under pin_path: an idle
 * pin stays idle (libbpf reuses it), any other pin is full size (a pin of
 * another size, from an older build, is then recreated by banmap's layout
 * migration); one not pinned yet is full size if the pinned settings switch
 * something on, else idle. 0 or -errno.
 */
int mapsize__apply(struct bpf_object *obj, const char *pin_path);

/*
 * When the pinned settings switch throttling, learning or shedding on (or
 * always): replace each of those pins that is still idle-sized by a map of
 * full size (their state is rebuilt by traffic), then move the programs
 * attached in this network namespace onto them. If one of those cannot be
 * moved (in libxdp's dispatcher) the old pins go back, with a warning.
 * Programs attached in other network namespaces are not moved (as after a
 * layout upgrade: 'warden attach' there moves them). Sets *grown (may be
 * NULL) to how many maps grew. 0 or -errno.
 */
int mapsize__grow(const char *pin_path, bool always, int *grown);

/* Kernel memory charged to those maps pinned under pin_path (fdinfo's memlock), in bytes. */
long long mapsize__memlock(const char *pin_path);

#endif /* WARDEN_MAPSIZE_H */
