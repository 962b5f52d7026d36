/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* health.h - the health, info, version and metrics endpoints, answered from a snapshot of warden's state. */
#ifndef WARDEN_HEALTH_H
#define WARDEN_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct fleet_stats;
struct http_server;
struct warden_metrics;

/*
 * The endpoints (GET and HEAD; JSON unless said):
 *   /z/health            overall status and one component per check, Spring Boot
 *                        actuator style: {"status":"UP","components":{"child":
 *                        {"status":"UP","details":{...}},...}}. Components: child
 *                        (running), hang (not hung), xdp (attached), watcher
 *                        (backend), log (lines parsed), fleet (the link to the
 *                        fleet's Redis is up and its live set loaded). Each is UP, DOWN or UNKNOWN
 *                        (nothing to check: no --iface, no watcher, no line yet);
 *                        overall DOWN (HTTP 503) if any is DOWN, else UP (200).
 *   /z/health/liveness   200 {"status":"UP"} whenever warden answers (alias /livez)
 *   /z/health/ping       the same
 *   /z/health/readiness  200 {"status":"UP"} when the app is running, past its start
 *                        and not hung; else 503 {"status":"OUT_OF_SERVICE",
 *                        "state":"starting|restarting|stopped|hung","reason":"..."}
 *                        (alias /readyz)
 *   /z/info              warden's version and pid, the app's command, folder and
 *                        version (its git commit when the folder is in a git
 *                        checkout), the kernel release and the features in use
 *   /z/version           warden's version, plain text
 *   /metrics             the Prometheus text format (when metrics were given)
 *
 * "Starting": the app runs but has not shown it serves yet. It stops starting
 * at its first access-log line, or as soon as the watcher has found a
 * listening socket in it, or (when the watcher cannot tell: listening < 0)
 * HEALTH_START_GRACE_NS after it was spawned. An app that runs with no
 * listening socket found by a watcher that can look stays "starting".
 */

#define HEALTH_START_GRACE_NS 1000000000ULL /* 1 s */

/* Where the app is in its life. */
enum health_child {
	HEALTH_CHILD_RUNNING,    /* its process runs (maybe still starting: see above) */
	HEALTH_CHILD_RESTARTING, /* it exited or crashed; warden is cleaning up or waiting to restart it */
	HEALTH_CHILD_STOPPED,    /* not running and not coming back (stopping, gave up) */
	HEALTH_CHILD_NONE,       /* no app of its own: warden watch follows other processes' logs */
};

/* The XDP ban program, as far as warden is concerned. */
enum health_xdp {
	HEALTH_XDP_DRY_RUN,   /* --dry-run: bans are only logged */
	HEALTH_XDP_ATTACHED,  /* attached on every --iface */
	HEALTH_XDP_FAILED,    /* an --iface lost it, or it could not be attached */
	HEALTH_XDP_ELSEWHERE, /* no --iface; a program attached elsewhere enforces the maps */
	HEALTH_XDP_NOWHERE,   /* no --iface and nothing enforces the bans */
};

/* One named jail of warden watch: an [app NAME] section's or one of fail2ban's jails. */
struct health_jail {
	const char *name;
	uint64_t lines;    /* lines it judged */
	uint64_t failures; /* of which failures */
	uint64_t bans;     /* bans it decided */
};

/*
 * A snapshot of warden's state, filled by the provider at each request.
 * The health module zeroes it and sets listening = -1 before the call.
 * Pointers are borrowed for the duration of the request only.
 */
struct health_state {
	/* The app. */
	enum health_child child;
	pid_t pid;                      /* while running; 0 otherwise */
	uint64_t uptime_ns;             /* since it was spawned, while running */
	uint64_t restarts;              /* since warden started */
	bool hung;                      /* the hang detector says it stopped answering */
	const char *hung_reason;        /* why, or NULL */
	uint64_t hangs;                 /* hangs detected since warden started */
	int listening;                  /* listening sockets the watcher found in it; -1: cannot tell */
	uint64_t requests_since_start;  /* access lines since it was last spawned */
	char *const *cmd;               /* its command, NULL-terminated; NULL: unknown */
	const char *app_dir;            /* its source folder (the git commit is read from there); NULL: unknown */
	/* Enforcement. */
	enum health_xdp xdp;
	const char *const *ifaces;      /* the --iface list */
	int n_ifaces;
	const char *xdp_how;            /* how it is attached ("libxdp multiprog" ...), or NULL */
	bool dry_run;
	/* The request watcher. */
	const char *watcher_backend;    /* "fentry", "kprobe", "tracepoint", "sock_diag"; NULL: none */
	uint32_t in_flight;             /* requests read and not answered yet */
	uint64_t responses;             /* answers the watcher saw; 0 when it cannot count them */
	/* The access log. */
	uint64_t lines;                 /* lines read from the app */
	uint64_t access_lines;          /* of which access lines */
	uint64_t last_access_age_ns;    /* since the last access line (when access_lines > 0) */
	const struct health_jail *jails; /* warden watch: each [app NAME]'s and fail2ban jail's */
	size_t n_jails;
	const char *const *unclaimed;   /* warden watch: logs no [app NAME] claims (statuses only) */
	size_t n_unclaimed;
	bool unclaimed_more;            /* others were seen, not listed */
	/* The fleet (user/fleet.h). */
	const struct fleet_stats *fleet; /* NULL: no fleet configured */
	const char *fleet_url;          /* without its password */
	/* warden. */
	const char *const *features;    /* kernel features in use ("xdp:libxdp multiprog", "cgroup v2" ...) */
	size_t n_features;
};

typedef void (*health_state_fn)(struct health_state *out, void *ctx);

/* Called before each /metrics rendering, to refresh what is cheap to read (XDP counters ...). */
typedef void (*health_metrics_fn)(struct warden_metrics *m, void *ctx);

struct health;

/*
 * Register the endpoints above on s. fn fills the state (ctx is its own);
 * m may be NULL (then /metrics is not served). /metrics also sets the
 * child and watcher families of m from the state. The caller owns the
 * result and frees it with health__free() after http__close(s).
 * NULL with errno set.
 */
struct health *health__register(struct http_server *s, health_state_fn fn, void *ctx,
				struct warden_metrics *m);
void health__free(struct health *h); /* accepts NULL */

/* fn runs before each /metrics rendering (NULL: none). */
void health__set_metrics_hook(struct health *h, health_metrics_fn fn, void *ctx);

/*
 * Readiness of a state: true when ready, else false with the state name
 * ("starting", "restarting", "stopped", "hung") and a reason.
 */
bool health__ready(const struct health_state *st, const char **state, const char **reason);

/*
 * The commit checked out in the git work tree holding dir (dir or one of
 * its parents), read from .git without running git: HEAD, the loose ref
 * or packed-refs, worktrees and "gitdir:" files included. commit gets the
 * hex id, branch the branch name ("" when detached). 0, -ENOENT when dir
 * is in no checkout (or the branch has no commit yet), -EINVAL for what
 * does not look like git.
 */
int health__git_commit(const char *dir, char *commit, size_t commit_len, char *branch,
		       size_t branch_len);

#endif
