/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* config.h - warden's settings, from an INI file and the command line, validated in one place. */
#ifndef WARDEN_CONFIG_H
#define WARDEN_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "detector.h"
#include "warden.h"

#define CONFIG_MAX_IFACES 16
#define CONFIG_MAX_IGNORE 256
#define CONFIG_MAX_FAIL_STATUS 32
#define CONFIG_MAX_NAMES 64   /* host names per list (ignoreip, priority) */
#define CONFIG_NAME_LEN 254   /* a host name and its NUL (RESOLVE_NAME_MAX + 1) */
#define CONFIG_MAX_EXTRA_ROUTES 64
#define CONFIG_MAX_HANG_EXEMPT 32
#define CONFIG_MAX_FOLLOW 64
#define CONFIG_MAX_NOTES 16
#define CONFIG_NOTE_LEN 1024
#define CONFIG_MAX_APPS 32     /* [app NAME] sections */
#define CONFIG_APP_NAME_LEN 64
#define CONFIG_MAX_APP_KEYS 32 /* jail keys one [app NAME] section overrides */
/* Longest line of a configuration file, newline included. */
#define CONFIG_MAX_LINE 8192

/*
 * An [app NAME] section (warden watch): the logs of one app, its Flask
 * source, and the [jail] keys it sets for itself. A log no app claims is
 * judged by statuses only (fail_status), never by routes.
 */
struct app_section {
	char name[CONFIG_APP_NAME_LEN];  /* [a-zA-Z0-9_.-], what /metrics labels it with */
	char *follow[CONFIG_MAX_FOLLOW]; /* "follow": the globs of its logs (owned strings) */
	int n_follow;
	char source[4096];               /* "app": its Flask source (file, folder, routes file) */
	struct {
		char key[64];                /* a [jail] key or one of the routes' keys (routes_from,
						extra_routes, python), normalized ("bantime.increment") */
		char *value;                 /* owned; list keys gather their lines here, one a line */
	} jail[CONFIG_MAX_APP_KEYS];
	int n_jail;
	int line;                        /* where the section starts in the file */
	/* A jail of fail2ban's files (f2bconf.h), not an app: no routes, its filter judges. */
	bool f2b;
	char filter[1024];               /* its "NAME[key=value, ...]", "" = none */
	char filter_dir[256];            /* fail2ban's filter.d folder */
};

/*
 * Key names are fail2ban's where fail2ban has the setting. Apart from ifaces
 * and follow the struct holds no pointers; copy it with config__copy().
 */
struct warden_config {
	/* [warden] section */
	char pin_path[256];        /* pin folder on bpffs, default WARDEN_DEFAULT_PIN_PATH */
	char *ifaces[CONFIG_MAX_IFACES]; /* "iface": interfaces to attach to (owned strings) */
	int n_ifaces;
	char xdp_mode[16];         /* "auto" (default) | "native" | "generic" */
	bool dry_run;              /* decide and log bans, never write them */
	bool log_json;             /* warden's own messages as JSON lines */
	char app[4096];            /* Flask source file or folder, "" = find it from the command */
	char log_format[16];       /* "auto" (default) | "werkzeug" | "common" | "combined" | "regex" */
	char log_regex[1024];      /* the pattern for log_format regex */
	char http[128];            /* status/metrics listener "ADDR:PORT", or "off"; default 127.0.0.1:9470 */
	char state_dir[256];       /* default "/var/lib/warden" */
	char log_stream[8];        /* which of the app's streams to parse: stdout | stderr | both */
	char control[256];         /* the status socket of warden run ("" = STATE_DIR/warden.sock) */
	char http_token_file[256]; /* bearer token of the dashboard and the API ("" = none); needed
				      when http listens beyond loopback */
	/* [warden] section: the fleet (user/fleet.h) */
	char fleet[512];           /* redis://[USER:PASSWORD@]HOST[:PORT][/DB]; "" = no fleet */
	char fleet_prefix[64];     /* the keys' prefix in Redis, default "warden" */
	char fleet_password_file[256]; /* the Redis password, first line ("" = in the URL or none) */
	char fleet_name[64];       /* this host's name in the fleet, default the host name */
	uint32_t fleet_rate;       /* bans and unbans per minute accepted from one origin, default 600 */
	uint8_t fleet_min_prefix4; /* shortest IPv4 prefix accepted from the fleet, default 16 */
	uint8_t fleet_min_prefix6; /* shortest IPv6 prefix accepted from the fleet, default 32 */
	struct prefix real_ip_from[CONFIG_MAX_IGNORE]; /* "real_ip_from": trusted reverse proxies */
	int n_real_ip_from;
	char real_ip_field[8];     /* where their forwarded address is: "last" quoted field; "" = off */
	/* [warden] section: warden watch */
	char *follow[CONFIG_MAX_FOLLOW]; /* "follow": absolute globs of the log files (owned strings) */
	int n_follow;
	bool backfill;             /* read the rotated logs (.gz too) once at start */
	struct app_section *apps[CONFIG_MAX_APPS]; /* [app NAME] sections, in file order (owned) */
	int n_apps;
	/* [warden] section: supervision of the app */
	char restart[16];          /* "on-failure" (default) | "always" | "never" */
	uint64_t restart_max_delay_ns; /* cap of the doubling restart delay, default 30s */
	uint64_t restart_reset_ns; /* healthy run time after which the delay resets, default 60s */
	uint32_t max_restarts;     /* give up after this many restarts in restart_window; 0 = never */
	uint64_t restart_window_ns; /* default 10m */
	uint64_t stop_timeout_ns;  /* SIGKILL this long after SIGTERM, default 10s */
	uint64_t start_seconds_ns; /* a run shorter than this is a failed start, default 1s */
	uint32_t start_retries;    /* give up after this many failed starts in a row (5); 0 = never */
	/* [warden] section: hangs, slowness, history */
	char watcher[16];          /* "auto" (default) | "kprobe" | "tracepoint" | "sock_diag" | "off" */
	uint64_t hang_timeout_ns;  /* a request or a queued connection this old, no answer: hung (30s) */
	char hang_exempt[CONFIG_MAX_HANG_EXEMPT][256]; /* "hang_exempt": rules of long-polling routes */
	int n_hang_exempt;
	uint64_t slow_threshold_ns; /* warn when a port's p99 over a minute exceeds it (2s); 0 = off */
	uint64_t retention_ns;     /* analytics history kept this long, default 30d */
	/* [warden] section: routes */
	char routes_from[8];       /* "source" (default: read it, run nothing) | "flask" (ask the app's
				      interpreter for app.url_map at each start, source if that fails) */
	char extra_routes[CONFIG_MAX_EXTRA_ROUTES][512]; /* "extra_routes": "[METHODS ]RULE" that
				      neither way finds, e.g. "GET,POST /hook/<token>" */
	int n_extra_routes;
	char python[4096];         /* "python": the interpreter that imports the app for routes_from =
				      flask ("" = the app command's in run; needed by watch) */
	bool analytics;            /* per-route analytics and the dashboard (default on) */
	char user[128];            /* "USER[:GROUP]" the app runs as; "" = warden's, without its capabilities */
	uint64_t resolve_interval_ns; /* re-resolve host names without a DNS TTL this often, default 5m */
	/* [jail] section: fail2ban's names */
	struct detector_opts jail; /* maxretry, findtime, bantime, bantime.increment, bantime.factor,
				      bantime.maxtime, ipv6_prefix, max_tracked */
	struct prefix ignore[CONFIG_MAX_IGNORE]; /* "ignoreip": never banned */
	int n_ignore;
	char ignore_names[CONFIG_MAX_NAMES][CONFIG_NAME_LEN]; /* the host names of "ignoreip" */
	int n_ignore_names;
	/* [jail] section: throttling at XDP and priority peers */
	struct prefix priority[CONFIG_MAX_IGNORE]; /* "priority": never throttled, shed nor banned */
	int n_priority;
	char priority_names[CONFIG_MAX_NAMES][CONFIG_NAME_LEN]; /* the host names of "priority" */
	int n_priority_names;
	uint64_t throttle_conn_interval_ns; /* "throttle_conn_rate" as ns per new connection; 0 = off */
	uint32_t throttle_conn_burst;       /* "throttle_conn_burst"; 0 = the rate's count per second */
	uint64_t throttle_pkt_interval_ns;  /* "throttle_pkt_rate" as ns per packet; 0 = off */
	uint32_t throttle_pkt_burst;        /* "throttle_pkt_burst"; 0 = the rate's count per second */
	uint8_t throttle_ipv6_prefix;       /* IPv6 clients are throttled by this prefix; default 64 */
	uint32_t throttle_maxretry;         /* throttle events (one per second at most) within
					       findtime that ban; 0 = throttling never bans */
	int fail_status[CONFIG_MAX_FAIL_STATUS]; /* "fail_status": statuses counted as failures */
	int n_fail_status;
	/* A fail2ban configuration (f2bconf.h): the jail taken from it and its filter. */
	char jail_name[64];        /* the [NAME] of the jail, "" = not a fail2ban layout */
	char filter_dir[256];      /* fail2ban's filter.d folder */
	char filter[1024];         /* "NAME[key=value, ...]" of filter.d/NAME.conf, "" = none */
	bool filter_only;          /* one of several fail2ban jails: only its failregex makes a
				      failure (not statuses nor non-HTTP requests) */
	/* What reading the settings noted without refusing them, shown as warnings. */
	char notes[CONFIG_MAX_NOTES][CONFIG_NOTE_LEN];
	int n_notes;
};

/* Fill c with the defaults. c is taken as uninitialized: config__free() it first if not. */
void config__defaults(struct warden_config *c);

/*
 * Set one key to a text value, validating it. key as in the file
 * ("maxretry", "bantime.increment", "ignoreip"; '-' is taken as '_', case
 * does not matter, "ipv6prefix" is an alias of "ipv6_prefix"). section is
 * "warden" or "jail", or NULL to look the key up in both. Surrounding blanks
 * of value are ignored.
 *
 * List keys (iface, follow, ignoreip, priority, fail_status) take addresses or
 * items separated by commas and/or blanks and append them (duplicates are
 * skipped); an empty value empties the list. ignoreip and priority take host
 * names as well as addresses and prefixes: names go to their own list,
 * resolved at run time. Everything else replaces the value.
 *
 * Returns 0, or -EINVAL with a reason in err, c unchanged. -ENOMEM.
 */
int config__set(struct warden_config *c, const char *section, const char *key, const char *value,
		char *err, size_t errlen);

/*
 * Read an INI file on top of c (usually fresh from config__defaults()).
 * Sections [warden], [jail] and [app NAME] (follow, app and [jail] keys); "key = value" or "key: value"; comments
 * start a line with '#' or ';', or follow a blank with ';'. An indented line
 * continues the list of the key above (fail2ban's multi-line ignoreip).
 * A key given twice is refused, as Python's configparser does.
 *
 * Unknown section, unknown key, bad value, bad syntax: -EINVAL with
 * "FILE:LINE: reason" in err. Cannot open: -errno (-ENOENT) with
 * "FILE: reason". Whatever the error, c is left as it was.
 */
int config__load(struct warden_config *c, const char *path, char *err, size_t errlen);

/*
 * The same, for a fail2ban configuration (f2bconf.h) when jail is not NULL
 * or path names jail.conf or jail.local: fail2ban's layout is read around
 * it and the settings of jail (NULL: the one enabled jail warden can follow)
 * are applied. Other files are read as config__load() does.
 */
int config__load_jail(struct warden_config *c, const char *path, const char *jail, char *err,
		      size_t errlen);

/*
 * The same for warden watch: with fail2ban's files and no jail named, every
 * enabled jail warden can follow becomes a jail section of c
 * (f2bconf__apply_every()).
 */
int config__load_jails(struct warden_config *c, const char *path, const char *jail, char *err,
		       size_t errlen);

/*
 * A fail2ban jail as a section of c (f2bconf.c): made empty with f2b set,
 * then given its follow patterns and [jail] keys by config__section_set().
 * NULL with a reason in err (a name warden cannot label it with, too many).
 */
struct app_section *config__add_jail_section(struct warden_config *c, const char *name,
					     char *err, size_t errlen);
int config__section_set(struct app_section *a, const char *key, const char *value, char *err,
			size_t errlen);
/* Drop the last section (one that turned out not to run). */
void config__drop_last_section(struct warden_config *c);

/* Record a note (printf-like): a setting taken with a change or ignored. Cut when full. */
void config__note(struct warden_config *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Checks across keys, for after the file and the command line are both in:
 * the jail options as detector_opts__validate() sees them (bantime.maxtime
 * not shorter than bantime), log_regex present for log_format regex.
 * 0 or -EINVAL with a reason in err.
 */
int config__check(const struct warden_config *c, char *err, size_t errlen);

/*
 * The global throttle limits the configuration asks for, a burst left at 0
 * taking the rate's count per second (at least 1). All zero: none.
 */
void config__throttle_limits(const struct warden_config *c, struct throttle_limits *out);

/*
 * The settings one app is judged by: base, its [app NAME] jail keys on top
 * (a key it sets replaces base's value, lists included), its source as app.
 * out is taken as uninitialized; config__free() it. 0 or -EINVAL/-ENOMEM
 * with a reason in err.
 */
int config__app_config(const struct warden_config *base, const struct app_section *app,
		       struct warden_config *out, char *err, size_t errlen);

/* Deep copy (the ifaces and follow strings too). dst is taken as uninitialized. 0 or -ENOMEM. */
int config__copy(struct warden_config *dst, const struct warden_config *src);

/* Frees the ifaces and follow strings; c can then be reused with config__defaults(). Accepts NULL. */
void config__free(struct warden_config *c);

/*
 * Every accepted key as "section.key" ("warden.iface", "jail.bantime.increment"),
 * NULL-terminated, in documentation order. The alias ipv6prefix is not listed.
 */
const char *const *config__keys(void);

#endif
