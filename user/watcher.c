// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* watcher.c - the latency of every request the app serves, and what it has left waiting. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

/*
 * The skeleton is named after its file, bpf/watcher.bpf.c, like this
 * module's API: give its types and functions the name watcher_bpf here.
 */
#define watcher watcher_bpf
#define watcher__rodata watcher_bpf__rodata
#define watcher__destroy watcher_bpf__destroy
#define watcher__create_skeleton watcher_bpf__create_skeleton
#define watcher__open_opts watcher_bpf__open_opts
#define watcher__open watcher_bpf__open
#define watcher__load watcher_bpf__load
#define watcher__open_and_load watcher_bpf__open_and_load
#define watcher__attach watcher_bpf__attach
#define watcher__detach watcher_bpf__detach
#define watcher__elf_bytes watcher_bpf__elf_bytes
#define watcher__assert watcher_bpf__assert
#include "watcher.skel.h"
#undef watcher__assert
#undef watcher__elf_bytes
#undef watcher__detach
#undef watcher__attach
#undef watcher__open_and_load
#undef watcher__load
#undef watcher__open
#undef watcher__open_opts
#undef watcher__create_skeleton
#undef watcher__destroy
#undef watcher__rodata
#undef watcher

#include "watcher.h"
#include "log.h"
#include "mounts.h"
#include "sockdiag.h"
#include "timeutil.h"

_Static_assert(sizeof(struct watch_conn) == 32 + WATCHER_HEAD, "watch_conn layout");
_Static_assert(sizeof(struct watch_hist) == (WATCHER_BUCKETS + 4) * 8, "watch_hist layout");
_Static_assert(sizeof(struct watch_port_key) == 4, "watch_port_key layout");
_Static_assert(sizeof(struct watch_port) == 16, "watch_port layout");
_Static_assert(sizeof(struct watch_tgid) == 8, "watch_tgid layout");
_Static_assert(sizeof(struct watch_config) == 16, "watch_config layout");
_Static_assert(sizeof(struct watch_event) == 32 + WATCHER_HEAD, "watch_event layout");
_Static_assert(sizeof(struct watch_stats) % 8 == 0, "watch_stats layout");

#define MAX_APP_PIDS  65536 /* processes scanned per refresh at most */
#define CONN_BATCH    1024  /* in-flight entries read per batch syscall */

/* The three ways the BPF side can hook the TCP receive and send paths. */
enum flavour { FL_FENTRY, FL_KPROBE, FL_TRACEPOINT };

static const char *const flavour_name[] = {
	[FL_FENTRY] = "fentry",
	[FL_KPROBE] = "kprobe",
	[FL_TRACEPOINT] = "tracepoint",
};

/* A socket seen by a scan: since when it waits (unread bytes, a request, a queue). */
struct seen {
	uint64_t key;        /* socket inode, or cookie for connections not accepted yet */
	uint64_t since_ns;   /* earliest evidence of the wait; 0 = not waiting */
	uint64_t bytes_sent; /* app connections: data bytes sent and received at that scan */
	uint64_t bytes_recv;
	uint16_t port;       /* local port */
};

/* A set of struct seen, sorted by key once committed (seen_commit). */
struct seen_set {
	struct seen *v;
	size_t n, cap;
};

/* One of the app's listening sockets at the last refresh. */
struct listener {
	uint32_t inode;
	uint16_t port;
	uint8_t family;
	uint8_t addr[16];
	uint32_t queued; /* accept queue length */
};

struct u32vec {
	uint32_t *v;
	size_t n, cap;
};

struct watcher {
	enum watcher_backend backend;
	const char *name;          /* watcher__backend_name() */
	struct watcher_bpf *skel;  /* NULL for sock_diag */
	struct ring_buffer *rb;    /* completed requests, when on_request is set */
	int ncpus;                 /* possible CPUs, for per-CPU maps */
	int diag_fd;               /* NETLINK_SOCK_DIAG */
	pid_t root_pid;            /* pid-tree scope; 0 = none */
	uint64_t cgroup_id;        /* cgroup scope; 0 = the pid tree */
	char cgroup_dir[PATH_MAX]; /* the cgroup's folder, for its cgroup.procs */
	watcher_request_fn on_request;
	void *ctx;
	uint64_t noted_ns;         /* watcher__note_response() */
	bool netns_warned, access_warned;

	/* Scan state, rebuilt by each refresh. */
	struct u32vec inodes;          /* the app's socket inodes, sorted */
	struct listener *listeners;    /* the app's listening sockets */
	size_t nlisteners, cap_listeners;
	struct seen_set unread, unread_next;   /* accepted connections with unread bytes, by inode */
	struct seen_set conns, conns_next;     /* accepted connections, waiting for an answer or not, by inode */
	struct seen_set queued, queued_next;   /* connections not accepted yet, by cookie */
	struct seen_set lqueue, lqueue_next;   /* listeners with a non-empty accept queue, by inode */

	/* Results of the last refresh. */
	uint32_t unread_count, pending_count, queue_len;
	uint64_t unread_since, pending_since, queue_since;
	uint16_t pending_port;
	uint64_t tcp_last_send_ns; /* latest data sent on an open connection (tcp_info) */
};

/* ---- small containers ---- */

static int u32vec_push(struct u32vec *a, uint32_t x)
{
	uint32_t *v;

	if (a->n == a->cap) {
		v = realloc(a->v, (a->cap ? a->cap * 2 : 64) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		a->v = v;
		a->cap = a->cap ? a->cap * 2 : 64;
	}
	a->v[a->n++] = x;
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Sort and drop duplicates. */
static void u32vec_unique(struct u32vec *a)
{
	size_t i, j = 0;

	if (!a->n)
		return;
	qsort(a->v, a->n, sizeof(*a->v), cmp_u32);
	for (i = 1; i < a->n; i++)
		if (a->v[i] != a->v[j])
			a->v[++j] = a->v[i];
	a->n = j + 1;
}

static bool u32vec_has(const struct u32vec *a, uint32_t x)
{
	return a->n && bsearch(&x, a->v, a->n, sizeof(*a->v), cmp_u32);
}

static struct seen *seen_push(struct seen_set *s, uint64_t key, uint64_t since, uint16_t port)
{
	struct seen *v;

	if (s->n == s->cap) {
		v = realloc(s->v, (s->cap ? s->cap * 2 : 32) * sizeof(*v));
		if (!v)
			return NULL;
		s->v = v;
		s->cap = s->cap ? s->cap * 2 : 32;
	}
	v = &s->v[s->n++];
	*v = (struct seen){ .key = key, .since_ns = since, .port = port };
	return v;
}

static int cmp_seen(const void *a, const void *b)
{
	uint64_t x = ((const struct seen *)a)->key, y = ((const struct seen *)b)->key;

	return x < y ? -1 : x > y;
}

static const struct seen *seen_find(const struct seen_set *s, uint64_t key)
{
	struct seen k = { .key = key };

	return s->n ? bsearch(&k, s->v, s->n, sizeof(*s->v), cmp_seen) : NULL;
}

/*
 * Record that key waits now, with evidence since est_since: it keeps the
 * earliest time it was seen waiting in the previous scan.
 */
static int seen_note(const struct seen_set *prev, struct seen_set *next, uint64_t key,
		     uint64_t est_since, uint16_t port)
{
	const struct seen *old = seen_find(prev, key);

	if (old && old->since_ns && old->since_ns < est_since)
		est_since = old->since_ns;
	return seen_push(next, key, est_since, port) ? 0 : -ENOMEM;
}

/*
 * The next scan's set becomes the current one. Returns the oldest entry
 * that waits (or NULL) and in *waiting how many do.
 */
static const struct seen *seen_commit(struct seen_set *cur, struct seen_set *next,
				      uint32_t *waiting)
{
	struct seen_set tmp = *cur;
	const struct seen *oldest = NULL;
	size_t i;

	if (next->n)
		qsort(next->v, next->n, sizeof(*next->v), cmp_seen);
	*cur = *next;
	*next = tmp;
	next->n = 0;
	*waiting = 0;
	for (i = 0; i < cur->n; i++) {
		if (!cur->v[i].since_ns)
			continue;
		(*waiting)++;
		if (!oldest || cur->v[i].since_ns < oldest->since_ns)
			oldest = &cur->v[i];
	}
	return oldest;
}

static void seen_free(struct seen_set *s)
{
	free(s->v);
	*s = (struct seen_set){};
}

/* ---- processes of the app ---- */

/* Append the pids listed in a file of whitespace-separated numbers (children, cgroup.procs). */
static int read_pid_list(const char *path, struct u32vec *out)
{
	FILE *f;
	int pid, err = 0;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fscanf(f, "%d", &pid) == 1 && out->n < MAX_APP_PIDS)
		if (pid > 0 && (err = u32vec_push(out, pid)))
			break;
	fclose(f);
	return err;
}

/* The parent of pid from /proc/PID/stat (its comm may hold spaces and parentheses). */
static pid_t read_ppid(pid_t pid)
{
	char path[64], buf[512], *p;
	int ppid = -1;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %*c %d", &ppid) != 1)
		return -1;
	return ppid;
}

/* The children of pid: /proc/PID/task/TID/children, else a scan of every /proc/PID/stat. */
static int children_of(pid_t pid, struct u32vec *out)
{
	char path[64];
	struct dirent *de;
	bool have_files = false;
	DIR *d;
	int tid;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		tid = atoi(de->d_name);
		if (tid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%d/children", pid, tid);
		if (read_pid_list(path, out) == 0)
			have_files = true;
	}
	closedir(d);
	if (have_files)
		return 0;

	/* No CONFIG_PROC_CHILDREN: who has pid as its parent. */
	d = opendir("/proc");
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		tid = atoi(de->d_name);
		if (tid > 0 && read_ppid(tid) == pid && out->n < MAX_APP_PIDS)
			u32vec_push(out, tid);
	}
	closedir(d);
	return 0;
}

typedef int (*pid_fn)(struct watcher *w, pid_t pid);

/*
 * Visit root and its descendants breadth first, calling fn on each pid
 * before its children are listed: a process that fn puts under the BPF
 * fork tracker cannot then fork a child that neither sees.
 */
static int walk_tree(struct watcher *w, pid_t root, pid_fn fn, struct u32vec *seen)
{
	size_t i;
	int err;

	seen->n = 0;
	err = u32vec_push(seen, root);
	for (i = 0; !err && i < seen->n; i++) {
		if (fn && (err = fn(w, seen->v[i])))
			break;
		/* A process that exits meanwhile just has no children. */
		children_of(seen->v[i], seen);
	}
	return err;
}

/* The app's processes now: the cgroup's, the BPF tree's, or a walk of the tree. */
static int app_pids(struct watcher *w, struct u32vec *out)
{
	char path[PATH_MAX + 16];
	__u32 key, next;
	int fd, err;

	out->n = 0;
	if (w->cgroup_id) {
		snprintf(path, sizeof(path), "%s/cgroup.procs", w->cgroup_dir);
		return read_pid_list(path, out);
	}
	if (!w->root_pid)
		return 0;
	if (!w->skel)
		return walk_tree(w, w->root_pid, NULL, out);
	/* The BPF side keeps the tree: read its keys. */
	fd = bpf_map__fd(w->skel->maps.MAP_W_TGIDS);
	err = bpf_map_get_next_key(fd, NULL, &next);
	while (!err && out->n < MAX_APP_PIDS) {
		if ((err = u32vec_push(out, next)))
			return err;
		key = next;
		err = bpf_map_get_next_key(fd, &key, &next);
	}
	return 0;
}

/*
 * Add the socket inodes among pid's open files. -EACCES when they are not
 * ours to read (another user's app and no CAP_SYS_PTRACE); a process
 * that is gone has none.
 */
static int socket_inodes(pid_t pid, struct u32vec *out)
{
	char path[64], link[64];
	struct dirent *de;
	unsigned int ino;
	ssize_t n;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (!d)
		return errno == EACCES || errno == EPERM ? -EACCES : 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		n = readlinkat(dirfd(d), de->d_name, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (sscanf(link, "socket:[%u]", &ino) == 1)
			u32vec_push(out, ino);
	}
	closedir(d);
	return 0;
}

/* Whether pid lives in our network namespace (sock_diag sees only ours). */
static bool same_netns(pid_t pid)
{
	char path[64];
	struct stat a, b;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	if (stat("/proc/self/ns/net", &a) < 0 || stat(path, &b) < 0)
		return true; /* cannot tell: assume so */
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* ---- cgroups ---- */

int watcher__cgroup_id(const char *path, uint64_t *id)
{
	struct {
		struct file_handle fh;
		uint64_t cgid;
	} h = { .fh.handle_bytes = sizeof(uint64_t) };
	struct stat st;
	int mount_id;

	/* The id is the kernfs node id, which the file handle carries (systemd's way). */
	if (name_to_handle_at(AT_FDCWD, path, &h.fh, &mount_id, 0) == 0 &&
	    h.fh.handle_bytes == sizeof(uint64_t)) {
		memcpy(id, h.fh.f_handle, sizeof(*id));
		return 0;
	}
	/* On 64-bit hosts it is also the folder's inode number. */
	if (stat(path, &st) < 0)
		return -errno;
	*id = st.st_ino;
	return 0;
}

/* Where cgroup v2 is mounted: /sys/fs/cgroup, or /sys/fs/cgroup/unified on hybrid hosts. */
static int cgroup2_mount(char *out, size_t len)
{
	char line[4096], mnt[PATH_MAX], *sep;
	FILE *f;
	int err = -ENOENT;

	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		/* "36 25 0:31 / /sys/fs/cgroup/unified rw,... - cgroup2 cgroup2 rw" */
		sep = strstr(line, " - cgroup2 ");
		if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
			continue;
		snprintf(out, len, "%s", mnt);
		err = 0;
		break;
	}
	fclose(f);
	return err;
}

static uint64_t nftw_target;
static char nftw_found[PATH_MAX];

static int match_cgroup(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	uint64_t id;

	(void)st;
	(void)ftw;
	if (type != FTW_D)
		return 0;
	if (watcher__cgroup_id(path, &id) == 0 && id == nftw_target) {
		snprintf(nftw_found, sizeof(nftw_found), "%s", path);
		return 1;
	}
	return 0;
}

/* The folder of cgroup id, searched below the cgroup v2 mount. */
static int cgroup_dir_of(uint64_t id, char *out, size_t len)
{
	char root[PATH_MAX];
	int err;

	err = cgroup2_mount(root, sizeof(root));
	if (err)
		return err;
	nftw_target = id;
	nftw_found[0] = '\0';
	if (nftw(root, match_cgroup, 16, FTW_PHYS | FTW_MOUNT) != 1)
		return -ENOENT;
	snprintf(out, len, "%s", nftw_found);
	return 0;
}

/* ---- the BPF backends ---- */

static int map_fd(const struct watcher *w, struct bpf_map *m)
{
	return w->skel ? bpf_map__fd(m) : -1;
}

static int write_config(struct watcher *w)
{
	struct watch_config cfg = {
		.cgroup_id = w->cgroup_id,
		.events = w->on_request != NULL,
	};
	__u32 zero = 0;

	if (bpf_map_update_elem(map_fd(w, w->skel->maps.MAP_W_CONFIG), &zero, &cfg, BPF_ANY))
		return -errno;
	return 0;
}

/* Empty a (non per-CPU) hash map. */
static void clear_map(int fd, size_t key_size)
{
	uint8_t key[16];

	if (key_size > sizeof(key))
		return;
	while (bpf_map_get_next_key(fd, NULL, key) == 0)
		if (bpf_map_delete_elem(fd, key))
			break;
}

/* walk_tree visitor: put pid under the fork tracker. */
static int track_pid(struct watcher *w, pid_t pid)
{
	struct watch_tgid val = {};
	__u32 key = pid;

	if (bpf_map_update_elem(bpf_map__fd(w->skel->maps.MAP_W_TGIDS), &key, &val, BPF_NOEXIST) &&
	    errno != EEXIST)
		return -errno;
	return 0;
}

/* Seed the pid tree: root and the descendants it already has. */
static int seed_tree(struct watcher *w)
{
	struct u32vec seen = {};
	int err;

	if (w->cgroup_id || !w->root_pid)
		return 0;
	err = walk_tree(w, w->root_pid, track_pid, &seen);
	free(seen.v);
	return err;
}

static int attach_one(struct bpf_program *prog, struct bpf_link **slot, char *why, size_t len)
{
	int err;

	*slot = bpf_program__attach(prog);
	if (!*slot) {
		err = -errno;
		snprintf(why, len, "attach %s: %s", bpf_program__section_name(prog), strerror(-err));
		return err;
	}
	return 0;
}

/* The request line among a request's first bytes: up to CR or LF, printable only. */
static void request_line(char *out, const __u8 *head, unsigned int len)
{
	unsigned int i;

	if (len > WATCHER_HEAD)
		len = WATCHER_HEAD;
	for (i = 0; i < len && head[i] != '\r' && head[i] != '\n'; i++)
		out[i] = head[i] >= 0x20 && head[i] < 0x7f ? head[i] : '?';
	out[i] = '\0';
}

static int ring_event(void *ctx, void *data, size_t size)
{
	struct watcher *w = ctx;
	const struct watch_event *ev = data;
	struct watcher_request req;

	if (size < sizeof(*ev) || !w->on_request)
		return 0;
	req = (struct watcher_request){
		.start_ns = ev->start_ns,
		.latency_ns = ev->latency_ns,
		.bytes_in = ev->bytes_in,
		.tgid = ev->tgid,
		.port = ev->port,
	};
	request_line(req.line, ev->head, ev->head_len);
	w->on_request(w->ctx, &req);
	return 0;
}

/* libbpf's messages while probing backends that may not work here: debug only. */
static int libbpf_print_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	return log__libbpf_print(LIBBPF_INFO, fmt, ap);
}

/*
 * Open, load and attach one flavour, with the tp_btf fork tracker or the
 * classic one. On failure everything is undone, why says what failed and
 * *fork_failed whether the fork tracker was the culprit (or may have been).
 */
static int bpf_try(struct watcher *w, enum flavour fl, bool btf_fork, char *why, size_t len,
		   bool *fork_failed)
{
	struct watcher_bpf *skel;
	struct bpf_program *p;
	int err;

	*fork_failed = false;
	skel = watcher_bpf__open();
	if (!skel) {
		err = -errno;
		snprintf(why, len, "open: %s", strerror(-err));
		return err;
	}
	/* Only this flavour's hooks, and one fork tracker. */
	bpf_object__for_each_program(p, skel->obj)
		bpf_program__set_autoload(p, false);
	bpf_program__set_autoload(skel->progs.tp_set_state, true);
	bpf_program__set_autoload(skel->progs.tp_process_exit, true);
	bpf_program__set_autoload(btf_fork ? skel->progs.btf_process_fork :
					     skel->progs.tp_process_fork, true);
	switch (fl) {
	case FL_FENTRY:
		bpf_program__set_autoload(skel->progs.fexit_tcp_recvmsg, true);
		bpf_program__set_autoload(skel->progs.fentry_tcp_sendmsg, true);
		break;
	case FL_KPROBE:
		bpf_program__set_autoload(skel->progs.kprobe_tcp_recvmsg, true);
		bpf_program__set_autoload(skel->progs.kretprobe_tcp_recvmsg, true);
		bpf_program__set_autoload(skel->progs.kprobe_tcp_sendmsg, true);
		break;
	case FL_TRACEPOINT:
		bpf_program__set_autoload(skel->progs.tp_sock_recv, true);
		bpf_program__set_autoload(skel->progs.tp_sock_send, true);
		break;
	}
	/* Maps this flavour or this caller does not use stay tiny. */
	if (fl != FL_KPROBE)
		bpf_map__set_max_entries(skel->maps.MAP_W_RECVSK, 1);
	if (!w->on_request)
		bpf_map__set_max_entries(skel->maps.MAP_W_EVENTS, sysconf(_SC_PAGESIZE));
	err = watcher_bpf__load(skel);
	if (err) {
		snprintf(why, len, "load: %s", strerror(-err));
		*fork_failed = btf_fork;
		goto fail;
	}
	w->skel = skel;
	err = write_config(w);
	if (err) {
		snprintf(why, len, "config: %s", strerror(-err));
		goto fail;
	}

	/* listen() and close first, then the fork tracker, then the tree it tracks. */
	err = attach_one(skel->progs.tp_set_state, &skel->links.tp_set_state, why, len);
	if (!err)
		err = attach_one(skel->progs.tp_process_exit, &skel->links.tp_process_exit, why, len);
	if (err)
		goto fail;
	if (btf_fork)
		err = attach_one(skel->progs.btf_process_fork, &skel->links.btf_process_fork, why, len);
	else
		err = attach_one(skel->progs.tp_process_fork, &skel->links.tp_process_fork, why, len);
	if (err) {
		*fork_failed = btf_fork;
		goto fail;
	}
	err = seed_tree(w);
	if (err) {
		snprintf(why, len, "seed the process tree: %s", strerror(-err));
		goto fail;
	}

	/* The request hooks last: everything they consult is in place. */
	switch (fl) {
	case FL_FENTRY:
		err = attach_one(skel->progs.fexit_tcp_recvmsg, &skel->links.fexit_tcp_recvmsg, why, len);
		if (!err)
			err = attach_one(skel->progs.fentry_tcp_sendmsg,
					 &skel->links.fentry_tcp_sendmsg, why, len);
		break;
	case FL_KPROBE:
		err = attach_one(skel->progs.kprobe_tcp_recvmsg, &skel->links.kprobe_tcp_recvmsg, why, len);
		if (!err)
			err = attach_one(skel->progs.kretprobe_tcp_recvmsg,
					 &skel->links.kretprobe_tcp_recvmsg, why, len);
		if (!err)
			err = attach_one(skel->progs.kprobe_tcp_sendmsg,
					 &skel->links.kprobe_tcp_sendmsg, why, len);
		break;
	case FL_TRACEPOINT:
		err = attach_one(skel->progs.tp_sock_recv, &skel->links.tp_sock_recv, why, len);
		if (!err)
			err = attach_one(skel->progs.tp_sock_send, &skel->links.tp_sock_send, why, len);
		break;
	}
	if (err)
		goto fail;

	/* Completed requests for the caller, if it wants them. */
	if (w->on_request) {
		w->rb = ring_buffer__new(bpf_map__fd(skel->maps.MAP_W_EVENTS), ring_event, w, NULL);
		if (!w->rb) {
			err = -errno;
			snprintf(why, len, "ring buffer: %s", strerror(-err));
			goto fail;
		}
	}
	w->name = flavour_name[fl];
	return 0;

fail:
	w->skel = NULL;
	watcher_bpf__destroy(skel);
	return err;
}

/*
 * Whether a kprobe can attach at all: libbpf makes one through the kprobe
 * PMU or, without it, through tracefs' kprobe_events. Neither: a full load
 * of the kprobe flavour (and the detach of what it attached first) would
 * only end in ENOENT.
 */
static bool kprobes_possible(void)
{
	return access("/sys/bus/event_source/devices/kprobe/type", F_OK) == 0 ||
	       access("/sys/kernel/tracing/kprobe_events", F_OK) == 0 ||
	       access("/sys/kernel/debug/tracing/kprobe_events", F_OK) == 0;
}

/*
 * Pick the backend: the flavours allowed by w->backend in order, each with
 * the tp_btf fork tracker and then the classic one if that was the
 * problem. Says which is used and why the better ones were not.
 */
static int pick_backend(struct watcher *w)
{
	static const enum flavour order[] = { FL_FENTRY, FL_KPROBE, FL_TRACEPOINT };
	char why[256], skipped[1024] = "";
	libbpf_print_fn_t old_print;
	bool fork_failed, all_eperm = true;
	size_t i, used;
	int err = -ENOTSUP, btf;

	if (w->backend != WATCHER_SOCKDIAG) {
		/* libbpf finds tracepoints (and legacy kprobes) through tracefs. */
		if (mounts__tracefs())
			pr_debug("watcher: no tracefs; tracepoints may not attach");
		old_print = libbpf_set_print(libbpf_print_quiet);
		for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
			if (w->backend == WATCHER_KPROBE && order[i] == FL_TRACEPOINT)
				continue;
			if (w->backend == WATCHER_TRACEPOINT && order[i] != FL_TRACEPOINT)
				continue;
			/*
			 * EPERM says little: a kernel may refuse only tracing
			 * programs (fentry, tp_btf) to root. Try every flavour.
			 */
			if (order[i] == FL_KPROBE && !kprobes_possible()) {
				err = -ENOENT;
				snprintf(why, sizeof(why), "no kprobe PMU and no kprobe_events in tracefs");
			} else {
				for (btf = 1; btf >= 0; btf--) {
					err = bpf_try(w, order[i], btf, why, sizeof(why), &fork_failed);
					if (!err || !fork_failed)
						break;
					/*
					 * A refusal of tracing programs (EPERM) is one of
					 * fentry too: with the classic fork tracker the
					 * flavour would fail alike, after another load.
					 */
					if (order[i] == FL_FENTRY && err == -EPERM)
						break;
				}
			}
			if (!err)
				break;
			all_eperm &= err == -EPERM;
			used = strlen(skipped);
			snprintf(skipped + used, sizeof(skipped) - used, "%s%s: %s",
				 used ? "; " : "", flavour_name[order[i]], why);
		}
		libbpf_set_print(old_print);
		if (!err) {
			w->backend = strcmp(w->name, "tracepoint") ? WATCHER_KPROBE : WATCHER_TRACEPOINT;
			pr_info("watcher: measuring requests with the %s backend%s%s%s", w->name,
				skipped[0] ? " (" : "", skipped, skipped[0] ? ")" : "");
			return 0;
		}
		if (w->backend != WATCHER_AUTO) {
			pr_warn("watcher: the %s backend does not work here: %s",
				w->backend == WATCHER_KPROBE ? "kprobe" : "tracepoint", skipped);
			return err;
		}
	}
	/* No BPF: sock_diag at each refresh. */
	w->backend = WATCHER_SOCKDIAG;
	w->name = "sock_diag";
	if (skipped[0])
		pr_info("watcher: no BPF backend (%s%s); reading the app's sockets through sock_diag",
			all_eperm ? "no BPF privilege: " : "", skipped);
	else
		pr_info("watcher: reading the app's sockets through sock_diag");
	return 0;
}

/* ---- scanning the app's sockets ---- */

static bool addr_any(const uint8_t *a, int family)
{
	static const uint8_t zero[16];

	return !memcmp(a, zero, family == AF_INET ? 4 : 16);
}

/* The app listener a connection came through, if any (port, then address or wildcard). */
static const struct listener *listener_of(const struct watcher *w, const struct sockdiag_sock *s)
{
	const struct listener *wild = NULL;
	size_t i, alen = s->family == AF_INET ? 4 : 16;

	for (i = 0; i < w->nlisteners; i++) {
		const struct listener *l = &w->listeners[i];

		if (l->port != s->sport || l->family != s->family)
			continue;
		if (!memcmp(l->addr, s->saddr, alen))
			return l;
		if (addr_any(l->addr, l->family))
			wild = l;
	}
	return wild;
}

static int on_listener(void *ctx, const struct sockdiag_sock *s)
{
	struct watcher *w = ctx;
	struct listener *l;

	/* Only the app's own listening sockets. */
	if (!u32vec_has(&w->inodes, s->inode))
		return 0;
	if (w->nlisteners == w->cap_listeners) {
		size_t cap = w->cap_listeners ? w->cap_listeners * 2 : 8;

		l = realloc(w->listeners, cap * sizeof(*l));
		if (!l)
			return -ENOMEM;
		w->listeners = l;
		w->cap_listeners = cap;
	}
	l = &w->listeners[w->nlisteners++];
	*l = (struct listener){ .inode = s->inode, .port = s->sport, .family = s->family,
				.queued = s->rqueue };
	memcpy(l->addr, s->saddr, 16);
	/* A non-empty accept queue: since when (first seen so). */
	if (s->rqueue)
		return seen_note(&w->lqueue, &w->lqueue_next, s->inode, time__boot_ns(), s->sport);
	return 0;
}

/* now - ms, in ns, floored at 0. */
static uint64_t ago(uint64_t now, uint32_t ms)
{
	uint64_t d = (uint64_t)ms * NSEC_PER_MSEC;

	return d < now ? now - d : 0;
}

static int on_connection(void *ctx, const struct sockdiag_sock *s)
{
	struct watcher *w = ctx;
	const struct seen *prev;
	struct seen *conn;
	uint64_t now, recv_at, since;
	bool waiting;
	int err = 0;

	/*
	 * tcp_info counts back from when the kernel wrote it, a little before
	 * now: reading the clock here errs towards younger, never older.
	 */
	now = time__boot_ns();
	recv_at = s->has_info ? ago(now, s->last_data_recv_ms) : now;

	/* Not accepted yet: waiting in one of the app's accept queues. */
	if (s->inode == 0) {
		if (listener_of(w, s))
			err = seen_note(&w->queued, &w->queued_next, s->cookie, recv_at, s->sport);
		return err;
	}
	if (!u32vec_has(&w->inodes, s->inode))
		return 0;

	/* The app wrote to this client: when (tcp_info counts from the last data sent). */
	if (s->has_info && s->bytes_sent) {
		uint64_t sent_at = ago(now, s->last_data_sent_ms);

		if (sent_at > w->tcp_last_send_ns)
			w->tcp_last_send_ns = sent_at;
	}
	/* Bytes the app has not read. */
	if (s->rqueue)
		err = seen_note(&w->unread, &w->unread_next, s->inode, recv_at, s->sport);
	if (err)
		return err;

	/*
	 * A request waits for its answer when the client sent data the app
	 * has not answered: bytes not read yet; data received and nothing
	 * ever sent; data received after the last data sent (tcp_info's
	 * times are in jiffies: equal says nothing); or, since the previous
	 * scan, more received and nothing sent. Once waiting, only data
	 * sent ends the wait.
	 */
	prev = seen_find(&w->conns, s->inode);
	waiting = s->rqueue ||
		  (s->has_info && s->bytes_received && !s->bytes_sent) ||
		  (s->has_info && s->last_data_recv_ms < s->last_data_sent_ms) ||
		  (prev && s->bytes_sent == prev->bytes_sent &&
		   (prev->since_ns || s->bytes_received > prev->bytes_recv));
	since = waiting ? recv_at : 0;
	if (waiting && prev && prev->since_ns && prev->since_ns < since)
		since = prev->since_ns;
	conn = seen_push(&w->conns_next, s->inode, since, s->sport);
	if (!conn)
		return -ENOMEM;
	conn->bytes_sent = s->bytes_sent;
	conn->bytes_recv = s->bytes_received;
	return 0;
}

/*
 * Make MAP_W_PORTS the app's listening ports; keep what BPF added during
 * the scan (scan_start 0: remove nothing).
 */
static void sync_ports(struct watcher *w, const uint16_t *ports, size_t n, uint64_t scan_start)
{
	int fd = bpf_map__fd(w->skel->maps.MAP_W_PORTS);
	struct watch_port_key key, next, stale[WATCHER_MAX_PORTS];
	struct watch_port val;
	size_t nstale = 0, i;
	bool want;
	int err;

	/* Ports no longer listened on, that were there before this scan started. */
	err = bpf_map_get_next_key(fd, NULL, &next);
	while (!err && nstale < WATCHER_MAX_PORTS) {
		want = false;
		for (i = 0; i < n; i++)
			want |= ports[i] == next.port;
		if (!want && bpf_map_lookup_elem(fd, &next, &val) == 0 && val.added_ns < scan_start)
			stale[nstale++] = next;
		key = next;
		err = bpf_map_get_next_key(fd, &key, &next);
	}
	for (i = 0; i < nstale; i++) {
		bpf_map_delete_elem(fd, &stale[i]);
		pr_debug("watcher: port %u no longer listened on", stale[i].port);
	}
	/* New ones. */
	for (i = 0; i < n; i++) {
		key = (struct watch_port_key){ .port = ports[i] };
		val = (struct watch_port){ .added_ns = time__boot_ns(), .source = WATCH_PORT_SCAN };
		if (bpf_map_update_elem(fd, &key, &val, BPF_NOEXIST) == 0)
			pr_debug("watcher: port %u found listening", ports[i]);
		else if (errno != EEXIST)
			pr_warn("watcher: cannot watch port %u: %s", ports[i], strerror(errno));
	}
}

/* The distinct ports of the app's listeners, at most max. */
static size_t listener_ports(const struct watcher *w, uint16_t *ports, size_t max)
{
	size_t i, j, n = 0;

	for (i = 0; i < w->nlisteners && n < max; i++) {
		for (j = 0; j < n && ports[j] != w->listeners[i].port; j++)
			;
		if (j == n)
			ports[n++] = w->listeners[i].port;
	}
	return n;
}

int watcher__refresh(struct watcher *w)
{
	static const int families[] = { AF_INET, AF_INET6 };
	uint16_t ports[WATCHER_MAX_PORTS];
	const struct seen *oldest;
	struct u32vec pids = {};
	uint32_t nqueues;
	size_t nports, i;
	bool partial = false;
	uint64_t scan_start = time__boot_ns();
	int err;

	if (!w)
		return -EINVAL;
	w->nlisteners = 0;
	w->inodes.n = 0;

	/* The app's processes and their sockets. */
	err = app_pids(w, &pids);
	if (err && err != -ENOENT)
		goto out;
	err = 0;
	if (pids.n && !same_netns(pids.v[0])) {
		if (!w->netns_warned)
			pr_warn("watcher: the app runs in another network namespace: no socket scan");
		w->netns_warned = true;
		goto out;
	}
	for (i = 0; i < pids.n; i++)
		if (socket_inodes(pids.v[i], &w->inodes))
			partial = true;
	u32vec_unique(&w->inodes);
	if (partial && !w->access_warned) {
		pr_warn("watcher: cannot read the open files of some of the app's processes: "
			"their sockets are not scanned");
		w->access_warned = true;
	}

	/* Its listening sockets: ports and accept queues. */
	for (i = 0; i < 2 && !err; i++)
		err = sockdiag__dump_tcp(w->diag_fd, families[i], SOCKDIAG_LISTEN, false, NULL, 0,
					 on_listener, w);
	if (err)
		goto out;
	nports = listener_ports(w, ports, WATCHER_MAX_PORTS);
	/* A scan that missed some processes must not drop ports the kernel saw listened on. */
	if (w->skel)
		sync_ports(w, ports, nports, partial ? 0 : scan_start);

	/* Its connections (the kernel filters on the listening ports). */
	w->tcp_last_send_ns = 0;
	for (i = 0; i < 2 && !err && nports; i++)
		err = sockdiag__dump_tcp(w->diag_fd, families[i],
					 SOCKDIAG_ESTABLISHED | SOCKDIAG_CLOSE_WAIT, true, ports,
					 nports, on_connection, w);
	if (err)
		goto out;

	/* What waits, and since when. */
	oldest = seen_commit(&w->unread, &w->unread_next, &w->unread_count);
	w->unread_since = oldest ? oldest->since_ns : 0;
	oldest = seen_commit(&w->conns, &w->conns_next, &w->pending_count);
	w->pending_since = oldest ? oldest->since_ns : 0;
	w->pending_port = oldest ? oldest->port : 0;
	oldest = seen_commit(&w->queued, &w->queued_next, &w->queue_len);
	w->queue_since = oldest ? oldest->since_ns : 0;
	oldest = seen_commit(&w->lqueue, &w->lqueue_next, &nqueues);
	if (oldest && (!w->queue_since || oldest->since_ns < w->queue_since))
		w->queue_since = oldest->since_ns;
	{
		uint32_t backlog = 0;

		for (i = 0; i < w->nlisteners; i++)
			backlog += w->listeners[i].queued;
		if (backlog > w->queue_len)
			w->queue_len = backlog;
	}
	if (!w->queue_len)
		w->queue_since = 0;
out:
	/* A failed scan leaves no half-built sets behind. */
	w->unread_next.n = w->conns_next.n = w->queued_next.n = w->lqueue_next.n = 0;
	free(pids.v);
	return err;
}

/* ---- open, close, restart ---- */

static int set_scope(struct watcher *w, pid_t root_pid, uint64_t cgroup_id, const char *cgroup_path)
{
	int err;

	w->root_pid = root_pid;
	w->cgroup_id = cgroup_id;
	w->cgroup_dir[0] = '\0';
	if (!cgroup_id)
		return 0;
	if (cgroup_path) {
		snprintf(w->cgroup_dir, sizeof(w->cgroup_dir), "%s", cgroup_path);
		return 0;
	}
	err = cgroup_dir_of(cgroup_id, w->cgroup_dir, sizeof(w->cgroup_dir));
	if (err)
		pr_warn("watcher: cannot find cgroup %llu: %s", (unsigned long long)cgroup_id,
			strerror(-err));
	return err;
}

struct watcher *watcher__open(const struct watcher_opts *opts)
{
	struct watcher *w;
	int err;

	if (!opts || opts->root_pid < 0 || opts->backend > WATCHER_SOCKDIAG) {
		errno = EINVAL;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w) {
		errno = ENOMEM;
		return NULL;
	}
	w->diag_fd = -1;
	w->backend = opts->backend;
	w->on_request = opts->on_request;
	w->ctx = opts->ctx;
	w->ncpus = libbpf_num_possible_cpus();
	if (w->ncpus <= 0) {
		err = w->ncpus ? w->ncpus : -EINVAL;
		goto fail;
	}
	err = set_scope(w, opts->root_pid, opts->cgroup_id, opts->cgroup_path);
	if (err)
		goto fail;
	w->diag_fd = sockdiag__open();
	if (w->diag_fd < 0) {
		err = w->diag_fd;
		pr_warn("watcher: no sock_diag socket: %s", strerror(-err));
		goto fail;
	}
	err = pick_backend(w);
	if (err)
		goto fail;
	/* The listening ports the app already has. */
	err = watcher__refresh(w);
	if (err)
		pr_warn("watcher: first scan of the app's sockets: %s", strerror(-err));
	return w;

fail:
	watcher__close(w);
	errno = -err;
	return NULL;
}

void watcher__close(struct watcher *w)
{
	if (!w)
		return;
	ring_buffer__free(w->rb);
	watcher_bpf__destroy(w->skel);
	if (w->diag_fd >= 0)
		close(w->diag_fd);
	free(w->inodes.v);
	free(w->listeners);
	seen_free(&w->unread);
	seen_free(&w->unread_next);
	seen_free(&w->conns);
	seen_free(&w->conns_next);
	seen_free(&w->queued);
	seen_free(&w->queued_next);
	seen_free(&w->lqueue);
	seen_free(&w->lqueue_next);
	free(w);
}

int watcher__set_root(struct watcher *w, pid_t root_pid, uint64_t cgroup_id,
		      const char *cgroup_path)
{
	int err;

	if (!w || root_pid < 0)
		return -EINVAL;
	err = set_scope(w, root_pid, cgroup_id, cgroup_path);
	if (err)
		return err;
	/* What was waiting belonged to the old app. */
	w->unread.n = w->conns.n = w->queued.n = w->lqueue.n = 0;
	w->unread_count = w->pending_count = w->queue_len = 0;
	w->netns_warned = w->access_warned = false;
	if (w->skel) {
		/* Old ports and requests out, the new scope in, then the new tree. */
		clear_map(bpf_map__fd(w->skel->maps.MAP_W_PORTS), sizeof(struct watch_port_key));
		clear_map(bpf_map__fd(w->skel->maps.MAP_W_CONNS), sizeof(__u64));
		clear_map(bpf_map__fd(w->skel->maps.MAP_W_TGIDS), sizeof(__u32));
		err = write_config(w);
		if (!err)
			err = seed_tree(w);
		if (err)
			return err;
	}
	return watcher__refresh(w);
}

/* ---- queries ---- */

enum watcher_backend watcher__backend(const struct watcher *w)
{
	return w ? w->backend : WATCHER_AUTO;
}

const char *watcher__backend_name(const struct watcher *w)
{
	return w && w->name ? w->name : "none";
}

typedef void (*conn_fn)(void *ctx, const struct watch_conn *c);

/*
 * Every entry of the BPF in-flight table, read in batches (a hash walk
 * with get_next_key restarts when a key goes away under it); one
 * get_next_key walk, bounded, on kernels without batch lookups.
 */
static int walk_conns(struct watcher *w, conn_fn fn, void *ctx)
{
	int fd = bpf_map__fd(w->skel->maps.MAP_W_CONNS);
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u64 *keys, token = 0, key, next;
	struct watch_conn *vals;
	__u32 n, i;
	bool first = true;
	int err;

	keys = calloc(CONN_BATCH, sizeof(*keys));
	vals = calloc(CONN_BATCH, sizeof(*vals));
	if (!keys || !vals) {
		err = -ENOMEM;
		goto out;
	}
	for (;;) {
		n = CONN_BATCH;
		err = bpf_map_lookup_batch(fd, first ? NULL : &token, &token, keys, vals, &n, &opts);
		if (err && err != -ENOENT)
			break;
		for (i = 0; i < n; i++)
			fn(ctx, &vals[i]);
		if (err == -ENOENT) {
			err = 0;
			goto out;
		}
		first = false;
	}
	if (!first || (err != -EINVAL && err != -ENOTSUP && err != -EOPNOTSUPP))
		goto out;

	/* Old kernel: walk the keys. */
	err = bpf_map_get_next_key(fd, NULL, &next);
	for (i = 0; !err && i < WATCHER_MAX_CONNS; i++) {
		if (bpf_map_lookup_elem(fd, &next, &vals[0]) == 0)
			fn(ctx, &vals[0]);
		key = next;
		err = bpf_map_get_next_key(fd, &key, &next);
	}
	err = 0;
out:
	free(keys);
	free(vals);
	return err;
}

/* Count and oldest of the in-flight table. */
struct inflight_sum {
	uint32_t count;
	uint64_t oldest_start;
	uint16_t oldest_port;
};

static void sum_conn(void *ctx, const struct watch_conn *c)
{
	struct inflight_sum *s = ctx;

	s->count++;
	if (!s->oldest_start || c->start_ns < s->oldest_start) {
		s->oldest_start = c->start_ns;
		s->oldest_port = c->port;
	}
}

/* The in-flight table as a list. */
struct inflight_list {
	struct watcher_request *v;
	int n, cap;    /* written, room */
	int total;     /* entries seen */
	uint64_t now;
};

static void list_conn(void *ctx, const struct watch_conn *c)
{
	struct inflight_list *l = ctx;
	struct watcher_request *r;
	int i, j;

	l->total++;
	/* Keep the cap oldest: insertion into a list sorted by start time. */
	for (i = 0; i < l->n && l->v[i].start_ns <= c->start_ns; i++)
		;
	if (i >= l->cap)
		goto counted;
	j = l->n < l->cap ? l->n : l->cap - 1;
	memmove(&l->v[i + 1], &l->v[i], (j - i) * sizeof(*r));
	r = &l->v[i];
	*r = (struct watcher_request){
		.start_ns = c->start_ns,
		.latency_ns = l->now > c->start_ns ? l->now - c->start_ns : 0,
		.bytes_in = c->bytes_in,
		.tgid = c->tgid,
		.port = c->port,
	};
	request_line(r->line, c->head, c->head_len);
counted:
	if (l->n < l->cap)
		l->n++;
}

int watcher__inflight_list(struct watcher *w, struct watcher_request *out, int n)
{
	struct inflight_list l = { .v = out, .cap = n };
	int err;

	if (!w || n < 0 || (n && !out))
		return -EINVAL;
	if (!w->skel)
		return -EOPNOTSUPP;
	l.now = time__boot_ns();
	err = walk_conns(w, list_conn, &l);
	return err ? err : l.total;
}

static uint64_t age_of(uint64_t since, uint64_t now)
{
	return since && now > since ? now - since : 0;
}

int watcher__inflight(struct watcher *w, uint32_t *count, uint64_t *oldest_age_ns,
		      uint16_t *oldest_port)
{
	uint64_t start, now;
	uint16_t port;
	uint32_t n;
	int err;

	if (!w)
		return -EINVAL;
	if (w->skel) {
		struct inflight_sum sum = {};

		err = walk_conns(w, sum_conn, &sum);
		if (err)
			return err;
		n = sum.count;
		start = sum.oldest_start;
		port = sum.oldest_port;
	} else {
		n = w->pending_count;
		start = w->pending_since;
		port = w->pending_port;
	}
	now = time__boot_ns();
	if (count)
		*count = n;
	if (oldest_age_ns)
		*oldest_age_ns = n ? age_of(start, now) : 0;
	if (oldest_port)
		*oldest_port = n ? port : 0;
	return 0;
}

int watcher__accept_queue(struct watcher *w, uint32_t *queued, uint64_t *oldest_wait_ns)
{
	if (!w)
		return -EINVAL;
	if (queued)
		*queued = w->queue_len;
	if (oldest_wait_ns)
		*oldest_wait_ns = w->queue_len ? age_of(w->queue_since, time__boot_ns()) : 0;
	return 0;
}

int watcher__unread(struct watcher *w, uint32_t *count, uint64_t *oldest_age_ns)
{
	if (!w)
		return -EINVAL;
	if (count)
		*count = w->unread_count;
	if (oldest_age_ns)
		*oldest_age_ns = w->unread_count ? age_of(w->unread_since, time__boot_ns()) : 0;
	return 0;
}

/* One port's per-CPU histograms summed; -ENOENT when the port has none. */
static int read_hist(struct watcher *w, uint16_t port, struct watcher_port_stats *out)
{
	struct watch_port_key key = { .port = port };
	struct watch_hist *vals;
	int i, b, err = 0;

	memset(out, 0, sizeof(*out));
	vals = calloc(w->ncpus, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	if (bpf_map_lookup_elem(bpf_map__fd(w->skel->maps.MAP_W_HIST), &key, vals)) {
		err = -errno;
		goto out;
	}
	for (i = 0; i < w->ncpus; i++) {
		for (b = 0; b < WATCHER_BUCKETS; b++)
			out->buckets[b] += vals[i].buckets[b];
		out->count += vals[i].count;
		out->sum_ns += vals[i].sum_ns;
		if (vals[i].last_response_ns > out->last_response_ns)
			out->last_response_ns = vals[i].last_response_ns;
		if (vals[i].last_send_ns > out->last_send_ns)
			out->last_send_ns = vals[i].last_send_ns;
	}
out:
	free(vals);
	return err;
}

int watcher__port_stats(struct watcher *w, uint16_t port, struct watcher_port_stats *out)
{
	if (!w || !out)
		return -EINVAL;
	if (!w->skel)
		return -EOPNOTSUPP;
	return read_hist(w, port, out);
}

int watcher__histogram(struct watcher *w, uint16_t port, uint64_t buckets[WATCHER_BUCKETS],
		       uint64_t *count, uint64_t *sum_ns)
{
	struct watcher_port_stats st;
	int err;

	err = watcher__port_stats(w, port, &st);
	if (err)
		return err;
	if (buckets)
		memcpy(buckets, st.buckets, sizeof(st.buckets));
	if (count)
		*count = st.count;
	if (sum_ns)
		*sum_ns = st.sum_ns;
	return 0;
}

int watcher__ports(struct watcher *w, uint16_t *ports, int n)
{
	struct watch_port_key key, next;
	uint16_t found[WATCHER_MAX_PORTS];
	int fd, err, count = 0, i;

	if (!w || n < 0 || (n && !ports))
		return -EINVAL;
	if (!w->skel) {
		count = (int)listener_ports(w, found, WATCHER_MAX_PORTS);
	} else {
		fd = bpf_map__fd(w->skel->maps.MAP_W_PORTS);
		err = bpf_map_get_next_key(fd, NULL, &next);
		while (!err && count < WATCHER_MAX_PORTS) {
			found[count++] = next.port;
			key = next;
			err = bpf_map_get_next_key(fd, &key, &next);
		}
	}
	for (i = 0; i < count && i < n; i++)
		ports[i] = found[i];
	return count;
}

int watcher__last_response_age(struct watcher *w, uint64_t *age_ns)
{
	struct watcher_port_stats st;
	struct watch_port_key key, next;
	uint64_t last = w ? w->noted_ns : 0, now;
	int fd, err;

	if (!w || !age_ns)
		return -EINVAL;
	if (w->skel) {
		/* The latest write on any port. */
		fd = bpf_map__fd(w->skel->maps.MAP_W_HIST);
		err = bpf_map_get_next_key(fd, NULL, &next);
		while (!err) {
			if (read_hist(w, next.port, &st) == 0 && st.last_send_ns > last)
				last = st.last_send_ns;
			key = next;
			err = bpf_map_get_next_key(fd, &key, &next);
		}
	} else if (w->tcp_last_send_ns > last) {
		last = w->tcp_last_send_ns;
	}
	if (!last)
		return -ENODATA;
	now = time__boot_ns();
	*age_ns = now > last ? now - last : 0;
	return 0;
}

void watcher__note_response(struct watcher *w, uint64_t now_ns)
{
	if (w)
		w->noted_ns = now_ns;
}

int watcher__events_fd(const struct watcher *w)
{
	return w && w->rb ? ring_buffer__epoll_fd(w->rb) : -1;
}

int watcher__consume(struct watcher *w)
{
	if (!w)
		return -EINVAL;
	if (!w->rb)
		return 0;
	return ring_buffer__consume(w->rb);
}

int watcher__stats(struct watcher *w, struct watch_stats *out)
{
	const size_t nfields = sizeof(*out) / sizeof(__u64);
	struct watch_stats *vals;
	__u64 *sum = (__u64 *)out;
	__u32 zero = 0;
	size_t f;
	int i, err = 0;

	if (!w || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (!w->skel)
		return 0;
	vals = calloc(w->ncpus, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	if (bpf_map_lookup_elem(bpf_map__fd(w->skel->maps.MAP_W_STATS), &zero, vals)) {
		err = -errno;
	} else {
		for (i = 0; i < w->ncpus; i++)
			for (f = 0; f < nfields; f++)
				sum[f] += ((__u64 *)&vals[i])[f];
	}
	free(vals);
	return err;
}

uint64_t watcher__quantile(const uint64_t buckets[WATCHER_BUCKETS], double q)
{
	uint64_t total = 0, target, seen = 0;
	int i;

	for (i = 0; i < WATCHER_BUCKETS; i++)
		total += buckets[i];
	if (!total)
		return 0;
	if (q < 0)
		q = 0;
	if (q > 1)
		q = 1;
	target = (uint64_t)(q * (double)total + 0.999999);
	if (!target)
		target = 1;
	for (i = 0; i < WATCHER_BUCKETS; i++) {
		seen += buckets[i];
		if (seen >= target)
			break;
	}
	if (i >= WATCHER_BUCKETS)
		i = WATCHER_BUCKETS - 1;
	/* Bucket i holds [2^i, 2^(i+1)) us. */
	return (1ULL << (i + 1)) * 1000ULL;
}
