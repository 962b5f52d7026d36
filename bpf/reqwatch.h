/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* reqwatch.h - types and map names shared by the request watcher's BPF programs and userspace. */
#ifndef WARDEN_REQWATCH_H
#define WARDEN_REQWATCH_H

/* The BPF side includes vmlinux.h first, which already has the __uN types. */
#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/*
 * Map names, defined once. The BPF side uses them as identifiers, userspace
 * turns them into strings with WATCH_STR(). Each fits in the kernel's 15
 * characters.
 */
#define MAP_W_CONNS   watch_conns   /* requests in flight, by struct sock address */
#define MAP_W_HIST    watch_hist    /* per-CPU latency histogram and counters, by port */
#define MAP_W_PORTS   watch_ports   /* the app's listening ports */
#define MAP_W_TGIDS   watch_tgids   /* the app's processes (pid-tree scope) */
#define MAP_W_CONFIG  watch_config  /* scope and switches; index 0 */
#define MAP_W_STATS   watch_stats   /* per-CPU event counters; index 0 */
#define MAP_W_EVENTS  watch_events  /* ring buffer of completed requests */
#define MAP_W_RECVSK  watch_recvsk  /* kprobe flavour: socket of a tcp_recvmsg in progress, by thread */

#define WATCH__STR(x) #x
#define WATCH_STR(x) WATCH__STR(x)

/* Sizes. */
#define WATCHER_BUCKETS   32    /* log2 buckets of microseconds: [2^i, 2^(i+1)) us */
#define WATCHER_MAX_CONNS  16384 /* requests in flight at once (LRU beyond; preallocated) */
#define WATCHER_MAX_PORTS  64    /* listening ports of the app */
#define WATCHER_MAX_TGIDS  65536 /* processes of the app (pid-tree scope) */
#define WATCHER_MAX_RECVSK 4096  /* app threads inside tcp_recvmsg at once (kprobe flavour) */
#define WATCHER_RINGBUF    (256 * 1024)
#define WATCHER_WAKE_BYTES (16 * 1024) /* completed requests gathered before warden is woken */
#define WATCHER_HEAD       64    /* first bytes of a request kept (its request line) */

/* Where a port in MAP_W_PORTS came from. */
enum watch_port_source {
	WATCH_PORT_BPF = 1,  /* a tracked process called listen() while we watched */
	WATCH_PORT_SCAN = 2, /* userspace found a listening socket among the app's fds */
};

/*
 * A request in flight on one server connection. The entry exists from the
 * app's first read of the request to its first write back; an idle
 * connection has no entry.
 */
struct watch_conn {
	__u64 start_ns;     /* CLOCK_BOOTTIME of the read that started the request */
	__u64 last_recv_ns; /* CLOCK_BOOTTIME of the latest read of this request */
	__u64 bytes_in;     /* bytes the app read of this request so far */
	__u32 tgid;         /* process that read it */
	__u16 port;         /* local (listening) port, host order */
	__u16 head_len;     /* bytes valid in head; 0 when they could not be read */
	__u8 head[WATCHER_HEAD]; /* the request's first bytes ("GET /path HTTP/1.1...") */
};

/*
 * Per port and per CPU: the latency histogram and the activity times.
 * Userspace sums the counters and takes the largest time over the CPUs.
 */
struct watch_hist {
	__u64 buckets[WATCHER_BUCKETS]; /* latencies in [2^i, 2^(i+1)) us; 0 also < 1 us; last open-ended */
	__u64 count;            /* requests completed (first write after a read) */
	__u64 sum_ns;           /* sum of their latencies */
	__u64 last_response_ns; /* CLOCK_BOOTTIME of the last completed request; 0 = none */
	__u64 last_send_ns;     /* CLOCK_BOOTTIME of the last write of any kind to a client; 0 = none */
};

/* Key of MAP_W_PORTS and MAP_W_HIST: one listening port. */
struct watch_port_key {
	__u16 port; /* host order */
	__u16 pad;
};

/* Value of MAP_W_PORTS. */
struct watch_port {
	__u64 added_ns; /* CLOCK_BOOTTIME when it was added */
	__u32 source;   /* enum watch_port_source */
	__u32 pad;
};

/* Value of MAP_W_TGIDS (key: __u32 tgid). */
struct watch_tgid {
	__u32 parent; /* tgid that forked it; 0 for the root */
	__u32 pad;
};

/* Index 0 of MAP_W_CONFIG, written by userspace at any time. */
struct watch_config {
	__u64 cgroup_id; /* non-zero: the scope is this cgroup v2; zero: the tgids in MAP_W_TGIDS */
	__u32 events;    /* non-zero: emit a watch_event per completed request */
	__u32 pad;
};

/* One completed request, in MAP_W_EVENTS when watch_config.events is set. */
struct watch_event {
	__u64 start_ns;   /* CLOCK_BOOTTIME of the read that started it */
	__u64 latency_ns; /* to the first write back */
	__u64 bytes_in;   /* bytes read of the request */
	__u32 tgid;       /* process that answered */
	__u16 port;       /* listening port */
	__u16 head_len;   /* bytes valid in head */
	__u8 head[WATCHER_HEAD]; /* the request's first bytes */
};

/* Per-CPU counters of what the programs saw; index 0 of MAP_W_STATS. */
struct watch_stats {
	__u64 reads;          /* reads > 0 bytes on the app's server sockets */
	__u64 writes;         /* writes > 0 bytes on the app's server sockets */
	__u64 started;        /* requests started (read on an idle connection) */
	__u64 completed;      /* requests completed (first write after a read) */
	__u64 aborted;        /* requests whose connection the app closed unanswered */
	__u64 conn_full;      /* requests not tracked: MAP_W_CONNS refused the entry */
	__u64 events_lost;    /* ring buffer full */
	__u64 forks;          /* processes added to the tree */
	__u64 exits;          /* processes removed from the tree */
	__u64 ports_added;    /* listen() by the app seen in the kernel */
};

#endif /* WARDEN_REQWATCH_H */
