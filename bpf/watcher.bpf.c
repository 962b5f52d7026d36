// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* watcher.bpf.c - time each request of the app: from its read of the request to its first write back. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "reqwatch.h"

/*
 * Three flavours of the same two hooks, one chosen by userspace with
 * bpf_program__set_autoload() after probing the kernel:
 *   fentry:     fexit/tcp_recvmsg (its return value is the length read), fentry/tcp_sendmsg
 *   kprobe:     kprobe + kretprobe on tcp_recvmsg, kprobe/tcp_sendmsg
 *   tracepoint: sock:sock_recv_length, sock:sock_send_length (Linux 6.3+)
 * Always loaded: sock:inet_sock_set_state (listen() by the app adds its
 * port, the app closing a connection forgets its request) and
 * sched:sched_process_exit. The process tree is followed by
 * tp_btf/sched_process_fork, or the classic tracepoint where tp_btf is
 * missing.
 *
 * A connection is a server connection of the app when its local port is
 * one the app listens on (MAP_W_PORTS): the kernel adds a port the moment
 * a process of the app calls listen(); userspace adds the ones that were
 * listening before we attached and removes the closed ones, from the
 * app's fds and sock_diag, at each refresh. A connection has state only
 * while a request is in flight (MAP_W_CONNS, keyed by its struct sock):
 * idle connections cost nothing, and the entry goes when the request is
 * answered or when the app closes the connection.
 */

#define AF_INET  2
#define AF_INET6 10

/*
 * Tracepoint formats newer than some kernels warden builds on: our own
 * CO-RE flavours, so that vmlinux.h need not have them (libbpf matches
 * "name___w" to the kernel's "name").
 */
struct trace_event_raw_sock_msg_length___w { /* Linux 6.3 */
	struct trace_entry ent;
	void *sk;
	__u16 family;
	__u16 protocol;
	int ret;
	int flags;
} __attribute__((preserve_access_index));

struct trace_event_raw_sched_process_exit___w { /* group_dead: Linux 6.16 */
	bool group_dead;
} __attribute__((preserve_access_index));

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, WATCHER_MAX_CONNS);
	__type(key, __u64); /* struct sock address */
	__type(value, struct watch_conn);
} MAP_W_CONNS SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, WATCHER_MAX_PORTS);
	__type(key, struct watch_port_key);
	__type(value, struct watch_hist);
} MAP_W_HIST SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, WATCHER_MAX_PORTS);
	__type(key, struct watch_port_key);
	__type(value, struct watch_port);
} MAP_W_PORTS SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, WATCHER_MAX_TGIDS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct watch_tgid);
} MAP_W_TGIDS SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct watch_config);
} MAP_W_CONFIG SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct watch_stats);
} MAP_W_STATS SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, WATCHER_RINGBUF);
} MAP_W_EVENTS SEC(".maps");

/* kprobe flavour only: the socket between tcp_recvmsg's entry and return. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, WATCHER_MAX_RECVSK);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32); /* thread id */
	__type(value, __u64); /* struct sock address */
} MAP_W_RECVSK SEC(".maps");

/* The value a port's histogram starts from. */
static const struct watch_hist zero_hist;

static __always_inline struct watch_stats *stats(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&MAP_W_STATS, &zero);
}

#define STAT_INC(field)                                    \
	do {                                               \
		struct watch_stats *__s = stats();         \
		if (__s)                                   \
			__sync_fetch_and_add(&__s->field, 1); \
	} while (0)

/*
 * Whether the current task belongs to the app: its cgroup, or its process
 * tree. The first thing every socket call of the machine meets, so the
 * cgroup scope decides before any other helper or map: the config is an
 * array (the verifier turns its lookup into a plain load) and the cgroup
 * id one helper call.
 */
static __always_inline bool in_scope(void)
{
	struct watch_config *cfg;
	__u32 zero = 0, tgid;

	cfg = bpf_map_lookup_elem(&MAP_W_CONFIG, &zero);
	if (!cfg)
		return false;
	/* cgroup scope: one comparison. */
	if (cfg->cgroup_id)
		return bpf_get_current_cgroup_id() == cfg->cgroup_id;
	/* Pid-tree scope: the fork program keeps the set up to date. */
	tgid = bpf_get_current_pid_tgid() >> 32;
	return bpf_map_lookup_elem(&MAP_W_TGIDS, &tgid) != NULL;
}

/* A server socket of the app: its local port is one the app listens on. */
static __always_inline __u16 app_port(struct sock *sk)
{
	struct watch_port_key key = {};

	key.port = BPF_CORE_READ(sk, __sk_common.skc_num);
	if (!key.port || !bpf_map_lookup_elem(&MAP_W_PORTS, &key))
		return 0;
	return key.port;
}

/* floor(log2(v)) for v > 0, without loops. */
static __always_inline __u32 log2_u64(__u64 v)
{
	__u32 r = 0;

	if (v >> 32) { v >>= 32; r += 32; }
	if (v >> 16) { v >>= 16; r += 16; }
	if (v >> 8)  { v >>= 8;  r += 8; }
	if (v >> 4)  { v >>= 4;  r += 4; }
	if (v >> 2)  { v >>= 2;  r += 2; }
	if (v >> 1)  { r += 1; }
	return r;
}

/*
 * The syscall the current task is in, and its arguments, from the user
 * registers saved at its entry: where the request's bytes were read to.
 */
#if defined(__TARGET_ARCH_x86)
#define SYSCALL_NR(regs) BPF_CORE_READ(regs, orig_ax)
#define NR_READ     0
#define NR_READV    19
#define NR_RECVFROM 45
#define NR_RECVMSG  47
#elif defined(__TARGET_ARCH_arm64)
#define SYSCALL_NR(regs) BPF_CORE_READ(regs, syscallno)
#define NR_READ     63
#define NR_READV    65
#define NR_RECVFROM 207
#define NR_RECVMSG  212
#endif

/*
 * Copy the first bytes the app just read (the request line) into head:
 * read back from its own buffer, found through the syscall's arguments.
 * Where the helpers are missing (before 5.15) or the read came some other
 * way (io_uring), head stays empty. Returns the bytes copied.
 */
static __always_inline __u16 read_head(__u8 *head, long len)
{
#ifdef SYSCALL_NR
	struct pt_regs *regs;
	struct user_msghdr *msg;
	struct iovec *iov = NULL;
	void *buf = NULL;
	long nr;
	__u32 n;

	/* CO-RE: the verifier never sees these helpers on kernels without them. */
	if (!bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_task_pt_regs) ||
	    !bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_get_current_task_btf))
		return 0;
	regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	nr = SYSCALL_NR(regs);
	/* read(fd, buf, ...) and recvfrom(fd, buf, ...): the buffer itself. */
	if (nr == NR_READ || nr == NR_RECVFROM) {
		buf = (void *)PT_REGS_PARM2_CORE_SYSCALL(regs);
	} else if (nr == NR_RECVMSG) {
		/* recvmsg(fd, msg, ...): the first iovec of the message. */
		msg = (void *)PT_REGS_PARM2_CORE_SYSCALL(regs);
		bpf_probe_read_user(&iov, sizeof(iov), &msg->msg_iov);
	} else if (nr == NR_READV) {
		iov = (void *)PT_REGS_PARM2_CORE_SYSCALL(regs);
	}
	if (iov)
		bpf_probe_read_user(&buf, sizeof(buf), &iov->iov_base);
	if (!buf)
		return 0;
	/* At most WATCHER_HEAD bytes, at most what was read. */
	n = len < WATCHER_HEAD ? len : WATCHER_HEAD;
	if (n == 0 || n > WATCHER_HEAD)
		return 0;
	if (bpf_probe_read_user(head, n, buf))
		return 0;
	return n;
#else
	return 0;
#endif
}

/* The app read len bytes from sk: on an idle connection that starts a request. */
static __always_inline void on_recv(struct sock *sk, long len)
{
	__u64 key = (__u64)sk, now;
	struct watch_conn *conn;
	struct watch_conn fresh = {};
	__u16 port;

	/* EOF and errors start nothing. */
	if (len <= 0 || !sk)
		return;
	/* Only the app's processes, only its server sockets. */
	if (!in_scope())
		return;
	port = app_port(sk);
	if (!port)
		return;
	STAT_INC(reads);
	now = bpf_ktime_get_boot_ns();

	/* More of a request already in flight does not restart its clock. */
	conn = bpf_map_lookup_elem(&MAP_W_CONNS, &key);
	if (conn) {
		/* One reader per connection at a time: no atomic needed for a byte count. */
		conn->last_recv_ns = now;
		conn->bytes_in += len;
		return;
	}
	/* Idle connection: a request starts now. */
	fresh.start_ns = now;
	fresh.last_recv_ns = now;
	fresh.bytes_in = len;
	fresh.tgid = bpf_get_current_pid_tgid() >> 32;
	fresh.port = port;
	fresh.head_len = read_head(fresh.head, len);
	if (bpf_map_update_elem(&MAP_W_CONNS, &key, &fresh, BPF_NOEXIST) == 0)
		STAT_INC(started);
	else
		STAT_INC(conn_full);
}

/* The app wrote len bytes to sk: the first write after a read completes the request. */
static __always_inline void on_send(struct sock *sk, long len)
{
	__u64 key = (__u64)sk, now, latency, us;
	__u32 bucket, zero = 0;
	struct watch_port_key pkey = {};
	struct watch_conn *conn;
	struct watch_hist *hist;
	struct watch_config *cfg;
	struct watch_event *ev;
	__u64 start, bytes_in;
	__u8 head[WATCHER_HEAD];
	__u16 head_len;

	if (len <= 0 || !sk)
		return;
	if (!in_scope())
		return;
	pkey.port = app_port(sk);
	if (!pkey.port)
		return;
	STAT_INC(writes);
	now = bpf_ktime_get_boot_ns();

	/* The port's histogram, created on its first use. */
	hist = bpf_map_lookup_elem(&MAP_W_HIST, &pkey);
	if (!hist) {
		bpf_map_update_elem(&MAP_W_HIST, &pkey, &zero_hist, BPF_NOEXIST);
		hist = bpf_map_lookup_elem(&MAP_W_HIST, &pkey);
		if (!hist)
			return;
	}
	/* Any write is the app answering someone (streams included). */
	hist->last_send_ns = now;

	/* No request in flight: more of a response already counted. */
	conn = bpf_map_lookup_elem(&MAP_W_CONNS, &key);
	if (!conn)
		return;
	start = conn->start_ns;
	bytes_in = conn->bytes_in;
	head_len = conn->head_len;
	if (head_len > WATCHER_HEAD)
		head_len = WATCHER_HEAD;
	__builtin_memcpy(head, conn->head, WATCHER_HEAD);
	/* Whoever deletes the entry counts the request, exactly once. */
	if (bpf_map_delete_elem(&MAP_W_CONNS, &key))
		return;
	latency = now > start ? now - start : 0;

	/* log2 bucket of the latency in microseconds. */
	us = latency / 1000;
	bucket = us ? log2_u64(us) : 0;
	if (bucket >= WATCHER_BUCKETS)
		bucket = WATCHER_BUCKETS - 1;
	__sync_fetch_and_add(&hist->buckets[bucket], 1);
	__sync_fetch_and_add(&hist->count, 1);
	__sync_fetch_and_add(&hist->sum_ns, latency);
	hist->last_response_ns = now;
	STAT_INC(completed);

	/* The completed request for userspace, when it asked for them. */
	cfg = bpf_map_lookup_elem(&MAP_W_CONFIG, &zero);
	if (!cfg || !cfg->events)
		return;
	ev = bpf_ringbuf_reserve(&MAP_W_EVENTS, sizeof(*ev), 0);
	if (!ev) {
		STAT_INC(events_lost);
		return;
	}
	ev->start_ns = start;
	ev->latency_ns = latency;
	ev->bytes_in = bytes_in;
	ev->tgid = bpf_get_current_pid_tgid() >> 32;
	ev->port = pkey.port;
	ev->head_len = head_len;
	__builtin_memcpy(ev->head, head, WATCHER_HEAD);
	/*
	 * Wake warden only once a batch has gathered (its timer reads the rest):
	 * a wake-up per request cost the app several percent of its throughput.
	 */
	bpf_ringbuf_submit(ev, bpf_ringbuf_query(&MAP_W_EVENTS, BPF_RB_AVAIL_DATA) >= WATCHER_WAKE_BYTES ?
				       BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
}

/* ---- tracepoint flavour ---- */

static __always_inline bool tcp_sock_msg(struct trace_event_raw_sock_msg_length___w *ctx)
{
	/* The tracepoints fire for every socket family: keep TCP over IP. */
	return ctx->protocol == IPPROTO_TCP &&
	       (ctx->family == AF_INET || ctx->family == AF_INET6);
}

SEC("tracepoint/sock/sock_recv_length")
int tp_sock_recv(struct trace_event_raw_sock_msg_length___w *ctx)
{
	/* Fires as recvmsg returns: ret is the length read. */
	if (tcp_sock_msg(ctx))
		on_recv(ctx->sk, ctx->ret);
	return 0;
}

SEC("tracepoint/sock/sock_send_length")
int tp_sock_send(struct trace_event_raw_sock_msg_length___w *ctx)
{
	/* Fires as sendmsg returns: ret is the length written. */
	if (tcp_sock_msg(ctx))
		on_send(ctx->sk, ctx->ret);
	return 0;
}

/* ---- fentry flavour ---- */

SEC("fexit/tcp_recvmsg")
int BPF_PROG(fexit_tcp_recvmsg, struct sock *sk)
{
	__u64 ret = 0;

	/* The return value whatever the argument list (it changed in 5.19). */
	if (bpf_get_func_ret(ctx, &ret))
		return 0;
	on_recv(sk, (int)ret);
	return 0;
}

SEC("fentry/tcp_sendmsg")
int BPF_PROG(fentry_tcp_sendmsg, struct sock *sk, struct msghdr *msg, size_t size)
{
	/* The start of the first write is the start of the response. */
	on_send(sk, size);
	return 0;
}

/* ---- kprobe flavour ---- */

SEC("kprobe/tcp_recvmsg")
int BPF_KPROBE(kprobe_tcp_recvmsg, struct sock *sk)
{
	__u64 id = bpf_get_current_pid_tgid(), skp = (__u64)sk;
	__u32 tid = (__u32)id;

	/* Remember the socket for the return probe, for the app's threads only. */
	if (in_scope())
		bpf_map_update_elem(&MAP_W_RECVSK, &tid, &skp, BPF_ANY);
	return 0;
}

SEC("kretprobe/tcp_recvmsg")
int BPF_KRETPROBE(kretprobe_tcp_recvmsg, int ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 *skp, sk;

	/* The socket saved at entry, if this thread is the app's. */
	skp = bpf_map_lookup_elem(&MAP_W_RECVSK, &tid);
	if (!skp)
		return 0;
	sk = *skp;
	bpf_map_delete_elem(&MAP_W_RECVSK, &tid);
	on_recv((struct sock *)sk, ret);
	return 0;
}

SEC("kprobe/tcp_sendmsg")
int BPF_KPROBE(kprobe_tcp_sendmsg, struct sock *sk, struct msghdr *msg, size_t size)
{
	on_send(sk, size);
	return 0;
}

/* ---- always: listen() and close, process tree ---- */

SEC("tracepoint/sock/inet_sock_set_state")
int tp_set_state(struct trace_event_raw_inet_sock_set_state *ctx)
{
	struct watch_port_key pkey = {};
	struct watch_port val = {};
	__u64 key;
	int state;

	if (ctx->protocol != IPPROTO_TCP)
		return 0;
	state = ctx->newstate;

	/* listen() by the app, in its own context: its port is a server port now. */
	if (state == TCP_LISTEN) {
		pkey.port = ctx->sport; /* 0 when listen() binds it: userspace finds it */
		if (!pkey.port || !in_scope())
			return 0;
		val.added_ns = bpf_ktime_get_boot_ns();
		val.source = WATCH_PORT_BPF;
		if (bpf_map_update_elem(&MAP_W_PORTS, &pkey, &val, BPF_NOEXIST) == 0)
			STAT_INC(ports_added);
		return 0;
	}
	/* The app closing a connection (or the connection dying) ends its request. */
	if (state == TCP_FIN_WAIT1 || state == TCP_LAST_ACK || state == TCP_CLOSE) {
		key = (__u64)ctx->skaddr;
		if (bpf_map_delete_elem(&MAP_W_CONNS, &key) == 0)
			STAT_INC(aborted);
	}
	return 0;
}

/* A process of the tree forked another one: track it. */
static __always_inline void track_child(__u32 parent, __u32 child)
{
	struct watch_config *cfg;
	struct watch_tgid val = { .parent = parent };
	__u32 zero = 0;

	/* The tree is only kept for the pid-tree scope. */
	cfg = bpf_map_lookup_elem(&MAP_W_CONFIG, &zero);
	if (!cfg || cfg->cgroup_id)
		return;
	if (!bpf_map_lookup_elem(&MAP_W_TGIDS, &parent))
		return;
	if (bpf_map_update_elem(&MAP_W_TGIDS, &child, &val, BPF_NOEXIST) == 0)
		STAT_INC(forks);
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(btf_process_fork, struct task_struct *parent, struct task_struct *child)
{
	/* New threads share their tgid, already tracked: processes only. */
	if (child->pid != child->tgid)
		return 0;
	track_child(parent->tgid, child->tgid);
	return 0;
}

SEC("tracepoint/sched/sched_process_fork")
int tp_process_fork(struct trace_event_raw_sched_process_fork *ctx)
{
	/*
	 * Runs in the parent. This format cannot tell a thread from a
	 * process: a thread's id is added too, harmless, and removed when
	 * the thread exits.
	 */
	track_child(bpf_get_current_pid_tgid() >> 32, ctx->child_pid);
	return 0;
}

SEC("tracepoint/sched/sched_process_exit")
int tp_process_exit(struct trace_event_raw_sched_process_exit *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 pid = (__u32)id, tgid = id >> 32;
	struct trace_event_raw_sched_process_exit___w *ctx_new = (void *)ctx;
	struct task_struct *task;
	bool group_dead;

	/* A thread's own entry (classic fork tracepoint) goes with it. */
	if (pid != tgid)
		bpf_map_delete_elem(&MAP_W_TGIDS, &pid);
	/* The process is gone when its last thread exits (the field is new in 6.16). */
	if (bpf_core_field_exists(ctx_new->group_dead)) {
		group_dead = ctx_new->group_dead;
	} else {
		task = (struct task_struct *)bpf_get_current_task();
		group_dead = BPF_CORE_READ(task, signal, live.counter) == 0;
	}
	if (group_dead && bpf_map_delete_elem(&MAP_W_TGIDS, &tgid) == 0)
		STAT_INC(exits);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
