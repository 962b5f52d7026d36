/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* runner_int.h - the state of warden run, shared by its loop and its reporting. */
#ifndef WARDEN_RUNNER_INT_H
#define WARDEN_RUNNER_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "cgroup.h"
#include "config.h"
#include "enforce.h"
#include "linebuf.h"
#include "snapshot.h"
#include "supervisor.h"
#include "xdp_attach.h"

struct analytics;
struct banmap;
struct control;
struct health;
struct http_server;
struct jail;
struct line_event;
struct routes;
struct warden_metrics;
struct watcher;
struct throttle;
struct detector;
struct resolver;

#define RUNNER_MAX_PORTS 8 /* listening ports of the app judged for slowness */

/* Where the app is in its life, as the loop sees it. */
enum phase {
	PHASE_RUNNING,  /* the app runs (or is being stopped) */
	PHASE_DRAINING, /* the app exited; what it started is being killed */
	PHASE_WAITING,  /* waiting out the restart delay */
	PHASE_DONE,     /* nothing more to do: leave the loop */
};

struct runner {
	struct warden_config *cfg;
	char **cmd;
	enum xdp_loader loader;
	struct spawn_opts spawn;
	struct child child;
	struct app_cgroup cgroup;
	struct jail *jail;
	struct routes *routes;
	struct banmap *bm;
	struct linebuf out_lines, err_lines;
	struct control *control;  /* the status socket, NULL if it could not be opened */
	struct http_server *http; /* --http, NULL when off */
	struct health *health;    /* the health endpoints on it */
	struct warden_metrics *metrics;
	struct analytics *analytics; /* per-route history in STATE_DIR/warden.db; NULL if unavailable */
	int report_fd;            /* the analytics flush timer */
	char xdp_how[256];        /* how the XDP program is attached, for /z/health */
	enum enforce_state enforce; /* who enforces the bans, for /z/health */
	char app_source[4096];    /* the Flask source the routes came from, "" if none */
	uint64_t requests_since_start; /* access lines since the app was last spawned */
	uint64_t last_access_ns;  /* CLOCK_MONOTONIC of the last access line */
	uint64_t hangs;           /* hangs detected since warden started */
	bool hung;                /* the app is hung right now */
	char hung_reason[256];
	/* The request watcher (runner_watch.c). */
	struct watcher *watcher;  /* NULL when off or unavailable */
	int watch_fd;             /* its periodic timer */
	uint64_t slow_checked_ns; /* CLOCK_MONOTONIC of the last slowness check */
	uint16_t slow_ports[RUNNER_MAX_PORTS];
	uint64_t slow_prev[RUNNER_MAX_PORTS][32]; /* each port's histogram a minute ago */
	int n_slow_ports;
	/* Throttling, priority peers, shedding, host names (runner_throttle.c). */
	struct throttle *throttle;           /* NULL in dry-run */
	struct detector *throttle_detector;  /* escalation: throttled clients banned */
	struct resolver *resolver;           /* host names of ignoreip and priority */
	int resolve_fd;                      /* when the resolver is due */
	uint32_t shed_reasons;               /* WARDEN_SHED_* now asked for */
	bool parse_stdout, parse_stderr;
	int epfd, sigfd, tick_fd, kill_fd, restart_fd, snap_fd;
	struct snapshot_sched snap; /* when the bans are written to STATE_DIR for the next boot */
	enum phase phase;
	bool stopping;       /* warden was told to stop: no more restarts */
	int exit_status;     /* what warden will exit with */
	/* Restarts. */
	uint32_t restarts;          /* since warden started */
	uint64_t next_delay_ns;     /* the delay before the next restart; 0 = at once */
	uint64_t *restart_times;    /* ring of the last max_restarts restart times */
	uint32_t restart_ring_pos;
};

/* runner_report.c: status socket, health endpoints, metrics. */
int report__open(struct runner *r, char *err, size_t errlen);
void report__close(struct runner *r);
/* Dispatch an epoll event that belongs to reporting; false if fd is not ours. */
bool report__handle(struct runner *r, int fd);
/* Each line the app wrote, after the jail saw it. */
void report__line(struct runner *r, const struct line_event *ev);
/* The slow periodic refresh (ban table sizes). */
void report__tick(struct runner *r);
/* The app (re)started: its version (git commit) for the analytics. */
void report__started(struct runner *r);

/* runner_watch.c: the kernel watcher, hangs and slowness. */
int watch__open(struct runner *r);       /* before the first start */
void watch__restarted(struct runner *r); /* after each start: the app's new pid */
void watch__line(struct runner *r);      /* an access line: the app answered */
bool watch__handle(struct runner *r, int fd);
void watch__close(struct runner *r);

/* runner_throttle.c: throttling, priority peers, escalation, shedding, host names. */
int throttling__open(struct runner *r);
void throttling__shed(struct runner *r, bool hung, bool backlog);
bool throttling__handle(struct runner *r, int fd);
void throttling__close(struct runner *r);

int runner__epoll_add(int epfd, int fd, uint32_t events);

#endif
