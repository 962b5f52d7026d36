/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* runner_int.h - the state of warden run, shared by its loop and its reporting. */
#ifndef WARDEN_RUNNER_INT_H
#define WARDEN_RUNNER_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "cgroup.h"
#include "config.h"
#include "instance.h"
#include "linebuf.h"
#include "linetail.h"
#include "supervisor.h"

struct agent;
struct banmap;
struct loop;
struct loop_timer;
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
struct sdnotify;

#define RUNNER_MAX_PORTS 8 /* listening ports of the app judged for slowness */
#define RUN_APP 0          /* warden run judges one app: the agent's app 0 */

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
	struct loop *loop;        /* everything below registers on it */
	struct agent *agent;      /* jail, routes, enforcement, bans' upkeep, HTTP */
	struct spawn_opts spawn;
	struct child child;
	struct app_cgroup cgroup;
	struct instance inst;     /* the state folder's lock and record of the app */
	struct linebuf out_lines, err_lines;
	bool parse_stdout, parse_stderr;
	struct loop_timer *kill_timer;    /* the stop timeout */
	struct loop_timer *restart_timer; /* the restart delay */
	struct sdnotify *sd;      /* systemd's notify socket and watchdog; NULL when not under it */
	struct loop_timer *ready_timer; /* without the watcher: READY once a run outlived start_seconds */
	enum phase phase;
	bool stopping;       /* warden was told to stop: no more restarts */
	int exit_status;     /* what warden will exit with */
	/* Restarts. */
	uint32_t restarts;          /* since warden started */
	uint64_t next_delay_ns;     /* the delay before the next restart; 0 = at once */
	uint64_t *restart_times;    /* ring of the last max_restarts restart times */
	uint32_t restart_ring_pos;
	uint32_t failed_starts;     /* runs in a row that did not start (see runner.c) */
	bool listened;              /* the watcher saw the app listen since its last start */
	struct linetail tail;       /* the app's last lines of output, since its last start */
	uint64_t requests_since_start; /* access lines since the app was last spawned */
	/* Reporting (runner_report.c). */
	struct control *control;  /* the status socket, NULL if it could not be opened */
	/* The requests the kernel watcher sees (runner_requests.c). */
	struct watcher *watcher;  /* NULL when off or unavailable */
	struct loop_timer *check_timer; /* its periodic checks (runner.c) */
	uint64_t hangs;           /* hangs detected since warden started */
	bool hung;                /* the app is hung right now */
	char hung_reason[256];
	uint64_t slow_checked_ns; /* CLOCK_MONOTONIC of the last slowness check */
	uint16_t slow_ports[RUNNER_MAX_PORTS];
	uint64_t slow_prev[RUNNER_MAX_PORTS][32]; /* each port's histogram a minute ago */
	int n_slow_ports;
	/* Throttling, priority peers, shedding, host names (runner_limits.c). */
	struct throttle *throttle;           /* NULL in dry-run */
	struct detector *throttle_detector;  /* escalation: throttled clients banned */
	struct resolver *resolver;           /* host names of ignoreip and priority */
	struct loop_timer *resolve_timer;    /* when the resolver is due */
	uint32_t shed_reasons;               /* WARDEN_SHED_* now asked for */
};

/* What the app's requests say about it, for shedding. */
struct app_pressure {
	bool hung;    /* it stopped answering (and is being restarted) */
	bool backlog; /* its accept queue backs up */
};

/* runner_report.c: status socket, health and metrics of the app, analytics. */
int report__open(struct runner *r, char *err, size_t errlen);
void report__close(struct runner *r);
/* The app (re)started: its version (git commit) for the analytics. */
void report__started(struct runner *r);

/* runner_requests.c: the kernel watcher of the app's requests: latencies, hangs, slowness. */
int requests__open(struct runner *r);       /* before the first start */
void requests__restarted(struct runner *r); /* after each start: the app's new pid */
/* The periodic checks: a hung app is killed (and restarted); what it says is in *p. */
void requests__check(struct runner *r, struct app_pressure *p);
void requests__close(struct runner *r);

/* runner_limits.c: throttling, priority peers, escalation, shedding, host names. */
int limits__open(struct runner *r);
void limits__shed(struct runner *r, const struct app_pressure *p);
void limits__close(struct runner *r);

#endif
