/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* watcher.h - the latency of every request the app serves, and what it has left waiting. */
#ifndef WARDEN_WATCHER_H
#define WARDEN_WATCHER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* The types shared with the BPF side (bpf/watcher.h: -Ibpf finds it first, hence the path). */
#include "../bpf/watcher.h"

/*
 * The watcher measures, per request, the time from the app reading the
 * request from its TCP socket to the app starting its answer (its first
 * write back), on the app's server sockets only, for the app's processes
 * only (its cgroup v2, or its process tree). Backends, tried in this order
 * by WATCHER_AUTO:
 *   "fentry"     fexit/tcp_recvmsg + fentry/tcp_sendmsg       (WATCHER_KPROBE)
 *   "kprobe"     kprobe+kretprobe/tcp_recvmsg, kprobe/tcp_sendmsg (WATCHER_KPROBE)
 *   "tracepoint" sock:sock_recv_length + sock:sock_send_length (WATCHER_TRACEPOINT)
 *   "sock_diag"  no BPF: the app's sockets read through NETLINK_SOCK_DIAG
 *                at each watcher__refresh() (WATCHER_SOCKDIAG)
 * The sock_diag backend has no per-request latency (no histogram): it
 * sees requests waiting (bytes not read yet, or data received after the
 * last thing sent), the accept queue and the last time data was sent.
 *
 * All times are CLOCK_BOOTTIME nanoseconds (time__boot_ns()). Functions
 * returning int give 0 or -errno; watcher__open gives NULL with errno set.
 * A watcher is used from one thread.
 */

enum watcher_backend {
	WATCHER_AUTO,       /* the best that works, in the order above */
	WATCHER_KPROBE,     /* fentry/fexit, else kprobes */
	WATCHER_TRACEPOINT, /* the sock tracepoints */
	WATCHER_SOCKDIAG,   /* no BPF */
};

/*
 * One request of the BPF backends: completed (given to on_request), or in
 * flight (watcher__inflight_list).
 */
struct watcher_request {
	uint64_t start_ns;   /* when the app read the request */
	uint64_t latency_ns; /* completed: to its first write back; in flight: its age so far */
	uint64_t bytes_in;   /* bytes of the request the app had read by then */
	pid_t tgid;          /* the process that read / answered it */
	uint16_t port;       /* the listening port it came in on */
	/*
	 * Its first line as the app read it ("GET /items/3?x=1 HTTP/1.1"),
	 * cut at WATCHER_HEAD bytes, non-printable bytes as '?'; "" when the
	 * kernel could not give it (before 5.15, io_uring reads).
	 */
	char line[WATCHER_HEAD + 1];
};

typedef void (*watcher_request_fn)(void *ctx, const struct watcher_request *req);

struct watcher_opts {
	pid_t root_pid;          /* the app's top process: it and its descendants are the app */
	uint64_t cgroup_id;      /* non-zero: the app is this cgroup v2 instead (root_pid may be 0) */
	const char *cgroup_path; /* that cgroup's folder; looked up from the id when NULL */
	enum watcher_backend backend;
	watcher_request_fn on_request; /* optional: each completed request, through watcher__consume */
	void *ctx;                     /* passed to on_request */
};

/* Everything the watcher knows about one listening port. */
struct watcher_port_stats {
	uint64_t buckets[WATCHER_BUCKETS]; /* latencies in [2^i, 2^(i+1)) us (0: also < 1 us; last: open) */
	uint64_t count;            /* requests completed */
	uint64_t sum_ns;           /* sum of their latencies */
	uint64_t last_response_ns; /* when the last one completed; 0 = never */
	uint64_t last_send_ns;     /* when the app last wrote anything to a client here; 0 = never */
};

struct watcher;

/*
 * Start watching: pick and attach a backend (saying which with pr_info and
 * why the better ones were skipped), seed the process tree, find the app's
 * listening ports. With neither root_pid nor cgroup_id nothing is watched
 * until watcher__set_root(). The caller owns the result (watcher__close).
 */
struct watcher *watcher__open(const struct watcher_opts *opts);

/* Detach and free everything. Accepts NULL. */
void watcher__close(struct watcher *w);

enum watcher_backend watcher__backend(const struct watcher *w);

/* "fentry", "kprobe", "tracepoint" or "sock_diag". */
const char *watcher__backend_name(const struct watcher *w);

/*
 * The periodic work; call it every 1-2 s from a timer: rescan the app's
 * sockets (listening ports into the BPF filter, accept queues, unread
 * bytes; for sock_diag, the pid tree and the waiting requests). The
 * accept-queue, unread and sock_diag answers below are as of the last
 * refresh (their ages keep growing between refreshes). Costs a readlink
 * per open fd of the app and four sock_diag dumps (listeners, and the
 * connections on the app's ports, filtered in the kernel; IPv4 and IPv6).
 */
int watcher__refresh(struct watcher *w);

/*
 * Requests in flight now: read by the app and not answered (BPF), or
 * waiting on an accepted connection (sock_diag: bytes not read, or data
 * received after the last thing sent). The oldest one's age and port;
 * 0s when there is none.
 */
int watcher__inflight(struct watcher *w, uint32_t *count, uint64_t *oldest_age_ns,
		      uint16_t *oldest_port);

/*
 * The requests in flight one by one (BPF backends), oldest first: up to n
 * written to out, the total returned (or -errno; -EOPNOTSUPP for
 * sock_diag). What --hang-exempt needs: each one's route.
 */
int watcher__inflight_list(struct watcher *w, struct watcher_request *out, int n);

/* Connections in the app's accept queues, and the longest one has waited (at last refresh). */
int watcher__accept_queue(struct watcher *w, uint32_t *queued, uint64_t *oldest_wait_ns);

/* Accepted connections with bytes the app has not read, and the oldest's age (at last refresh). */
int watcher__unread(struct watcher *w, uint32_t *count, uint64_t *oldest_age_ns);

/* The histogram of one port (summed over CPUs). -ENOENT: nothing on it yet; -EOPNOTSUPP: sock_diag. */
int watcher__port_stats(struct watcher *w, uint16_t port, struct watcher_port_stats *out);

/* The same, the suggested shape. */
int watcher__histogram(struct watcher *w, uint16_t port, uint64_t buckets[WATCHER_BUCKETS],
		       uint64_t *count, uint64_t *sum_ns);

/* The app's listening ports as known now; returns how many (at most n are written) or -errno. */
int watcher__ports(struct watcher *w, uint16_t *ports, int n);

/*
 * Since the app last wrote anything to any client (a response, or more of
 * one). -ENODATA when it never has, as far as the watcher knows. The
 * sock_diag backend knows it from the open connections (tcp_info) and from
 * watcher__note_response().
 */
int watcher__last_response_age(struct watcher *w, uint64_t *age_ns);

/* The integrator saw the app answer (an access-log line read at now_ns, CLOCK_BOOTTIME). */
void watcher__note_response(struct watcher *w, uint64_t now_ns);

/*
 * The app was restarted: watch this pid tree or cgroup instead (same
 * backend, histograms kept, requests in flight forgotten).
 */
int watcher__set_root(struct watcher *w, pid_t root_pid, uint64_t cgroup_id,
		      const char *cgroup_path);

/* The ring buffer's fd to add to epoll (readable: call watcher__consume); -1 when none. */
int watcher__events_fd(const struct watcher *w);

/* Hand the completed requests waiting in the ring buffer to on_request. Count or -errno. */
int watcher__consume(struct watcher *w);

/* The BPF programs' counters summed over CPUs (zeros for sock_diag). */
int watcher__stats(struct watcher *w, struct watch_stats *out);

/* The upper bound in ns of the bucket holding quantile q (0..1) of a histogram; 0 if empty. */
uint64_t watcher__quantile(const uint64_t buckets[WATCHER_BUCKETS], double q);

/* The cgroup v2 id of a cgroup folder (what bpf_get_current_cgroup_id() returns). */
int watcher__cgroup_id(const char *path, uint64_t *id);

#endif
