// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* cmd_ban.c - the ban command line: ban, unban, allow, unallow, list, stats; host names resolved. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>

#include "banmap.h"
#include "cli.h"
#include "fleet_msg.h"
#include "log.h"
#include "loop.h"
#include "options.h"
#include "resolve.h"
#include "throttle.h"
#include "timeutil.h"

/* Options every command here shares. */
struct ban_opts {
	const char *cmd;           /* "ban", "unban", ...: in messages */
	const char *pin_path;
	const char *file;
	const char *reason;
	uint64_t duration_ns; /* 0 = permanent */
	int json;
	int allow_list;
	int priority;              /* allow --priority: never throttled nor shed either */
	int follow;                /* allow --follow: keep following host names */
	int all;                   /* unban --all: every ban in the maps */
	uint64_t resolve_interval; /* --resolve-interval for --follow; 0 = the resolver's default */
	const char *fleet;         /* ban/unban --fleet URL: published to the fleet too */
	const char *fleet_prefix, *fleet_password_file, *fleet_name;
};

static const char *usage_text =
	"usage: warden ban TARGET... [--for DURATION] [--reason TEXT] [--pin-path DIR]\n"
	"       warden ban --file FILE|- [--for DURATION] [--reason TEXT]\n"
	"       warden unban TARGET...          warden unban --all\n"
	"       warden ban|unban --fleet redis://[USER:PASSWORD@]HOST[:PORT][/DB] TARGET...\n"
	"             [--fleet-prefix P] [--fleet-password-file FILE] [--fleet-name NAME]\n"
	"       warden allow [--priority] TARGET...      warden unallow TARGET...\n"
	"       warden allow [--priority] --follow [--resolve-interval T] TARGET...\n"
	"       warden list [--json] [--allow]  warden stats [--json]\n"
	"TARGET: ADDR, ADDR/LEN or a host name (each of its IPv4 and IPv6 addresses).\n"
	"DURATION: fail2ban's: 90s, 10m, 1 hour, 7d, 1h30m, 2w, 1mo; -1 or no --for:\n"
	"a permanent ban.\n"
	"--priority: a priority peer is never throttled, shed nor banned.\n"
	"--follow: stay in the foreground, re-resolve the host names when their DNS\n"
	"TTL ends (no TTL, as in /etc/hosts: every --resolve-interval, 5m by default)\n"
	"and add and remove their addresses; on exit, remove what was added.\n"
	"--fleet: also publish the ban or unban to every warden of the fleet.\n"
	"The maps live under --pin-path (default " WARDEN_DEFAULT_PIN_PATH ").\n";

/* One option of these commands: 0 or -EINVAL (said). */
static int ban_option(void *ctx, enum option_id id, const char *value)
{
	struct ban_opts *o = ctx;
	bool permanent;

	switch (id) {
	case OPT_PIN_PATH:
		o->pin_path = value;
		break;
	case OPT_FOR:
		/*
		 * fail2ban's -1 (a negative number) is a permanent ban; on the
		 * command line "-5m" is more likely a mistake than a wish.
		 */
		if ((value[0] == '-' && strspn(value + 1, "0123456789") != strlen(value + 1)) ||
		    time__parse_bantime(value, &o->duration_ns, &permanent)) {
			fprintf(stderr,
				"warden %s: '%s' is not a duration (like 90s, 10m, 1 hour, 7d), "
				"nor -1 or permanent\n", o->cmd, value);
			return -EINVAL;
		}
		break;
	case OPT_REASON:
		o->reason = value;
		break;
	case OPT_FILE:
		o->file = value;
		break;
	case OPT_JSON:
		o->json = 1;
		break;
	case OPT_ALLOW:
		o->allow_list = 1;
		break;
	case OPT_PRIORITY:
		o->priority = 1;
		break;
	case OPT_FOLLOW:
		o->follow = 1;
		break;
	case OPT_ALL:
		o->all = 1;
		break;
	case OPT_FLEET:
		o->fleet = value;
		break;
	case OPT_FLEET_PREFIX:
		o->fleet_prefix = value;
		break;
	case OPT_FLEET_PASSWORD_FILE:
		o->fleet_password_file = value;
		break;
	case OPT_FLEET_NAME:
		o->fleet_name = value;
		break;
	case OPT_RESOLVE_INTERVAL:
		if (time__parse_duration(value, &o->resolve_interval) ||
		    o->resolve_interval < 100 * NSEC_PER_MSEC) {
			fprintf(stderr, "warden %s: '%s' is not a duration of 100ms or more\n",
				o->cmd, value);
			return -EINVAL;
		}
		break;
	default:
		break;
	}
	return 0;
}

/* Parse the options of the command which (OPTS_BAN, ...). 0, 1 after --help, or -EINVAL. */
static int parse_opts(int argc, char **argv, struct ban_opts *o, unsigned which)
{
	const struct options_cmd cmd = {
		.name = argv[0], .which = which, .usage = usage_text, .bad_usage = usage_text,
		.set = ban_option, .ctx = o,
	};

	memset(o, 0, sizeof(*o));
	o->cmd = argv[0];
	o->pin_path = WARDEN_DEFAULT_PIN_PATH;
	o->fleet_prefix = FLEET_DEFAULT_PREFIX;
	return options__getopt(&cmd, argc, argv);
}

/*
 * Parse every argument first, so that one bad one changes nothing. A host
 * name stands for each of its addresses, said on stdout. *out is malloc()ed
 * (owned by the caller).
 */
static int parse_targets(char **args, int n, const char *cmd, struct prefix **out, size_t *n_out)
{
	struct resolve_result res;
	struct prefix *all = NULL, *grown, addr;
	size_t count = 0, cap = 0;
	char list[1024];
	bool is_name;
	int i, k;

	if (n == 0) {
		fprintf(stderr, "warden %s: give at least one address or prefix\n", cmd);
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		is_name = prefix__parse(args[i], &addr, NULL, 0) != 0;
		if (resolve__arg(args[i], &res)) {
			fprintf(stderr, "warden %s: %s\n", cmd, res.error);
			free(all);
			return -EINVAL;
		}
		if (count + (size_t)res.n > cap) {
			cap = (count + (size_t)res.n) * 2;
			grown = realloc(all, cap * sizeof(*all));
			if (!grown) {
				free(all);
				return -ENOMEM;
			}
			all = grown;
		}
		for (k = 0; k < res.n; k++)
			all[count++] = res.addr[k];
		if (is_name)
			printf("%s resolved to %s\n", args[i], resolve__format(&res, list, sizeof(list)));
	}
	*out = all;
	*n_out = count;
	return 0;
}

/* Reasons are shown by bpftool and terminals: keep them printable. */
static void sanitize_reason(const char *in, char *out, size_t len)
{
	size_t i;

	snprintf(out, len, "%s", in);
	for (i = 0; out[i]; i++)
		if ((unsigned char)out[i] < 0x20 || (unsigned char)out[i] >= 0x7f)
			out[i] = '?';
}

/* Read a file of addresses. Any bad line: report it with its number, apply nothing. */
static int read_target_file(const char *file, struct prefix **out, size_t *n_out)
{
	FILE *f = strcmp(file, "-") ? fopen(file, "r") : stdin;
	size_t cap = 4096, n = 0, lineno = 0, bad = 0, linecap = 0;
	struct prefix *targets, *grown;
	char *line = NULL, err[160];
	ssize_t len;

	if (!f) {
		fprintf(stderr, "warden ban: cannot read %s: %s\n", file, strerror(errno));
		return -EINVAL;
	}
	targets = malloc(cap * sizeof(*targets));
	if (!targets)
		goto nomem;
	while ((len = getline(&line, &linecap, f)) >= 0) {
		char *s = line, *end;

		lineno++;
		/* Blank lines and # comments are allowed; space around an entry too. */
		while (*s == ' ' || *s == '\t')
			s++;
		end = s + strlen(s);
		while (end > s && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' ' ||
				   end[-1] == '\t'))
			*--end = '\0';
		if (!*s || *s == '#')
			continue;
		if (n == cap) {
			cap *= 2;
			grown = realloc(targets, cap * sizeof(*targets));
			if (!grown)
				goto nomem;
			targets = grown;
		}
		if (prefix__parse(s, &targets[n], err, sizeof(err))) {
			/* Report the first few, count the rest. */
			if (++bad <= 20)
				fprintf(stderr, "warden ban: %s:%zu: %s\n", file, lineno, err);
			continue;
		}
		n++;
	}
	free(line);
	if (f != stdin)
		fclose(f);
	if (bad) {
		fprintf(stderr, "warden ban: %zu bad line%s in %s: nothing was banned\n", bad,
			bad > 1 ? "s" : "", file);
		free(targets);
		return -EINVAL;
	}
	*out = targets;
	*n_out = n;
	return 0;
nomem:
	free(line);
	free(targets);
	if (f != stdin)
		fclose(f);
	fprintf(stderr, "warden ban: out of memory\n");
	return -ENOMEM;
}

static int exit_for(int err)
{
	return err == -EINVAL ? EXIT_USAGE : EXIT_FAIL;
}

/* Open the pinned maps; a missing pin path is bad input (exit 2). */
static struct banmap *open_maps(const char *pin_path, int *status)
{
	struct banmap *bm = banmap__open(pin_path, BANMAP_EXISTING);

	if (!bm)
		*status = errno == ENOENT ? EXIT_USAGE : EXIT_FAIL;
	return bm;
}

/* --fleet and its password file, checked before anything changes: 0 or EXIT_USAGE. */
static int check_fleet(const struct ban_opts *o, const char *cmd)
{
	struct fleet_url url;
	char err[512];
	int ret = 0;

	if (!o->fleet)
		return 0;
	if (fleet_url__parse(o->fleet, &url, err, sizeof(err)) ||
	    (o->fleet_password_file &&
	     fleet_url__read_password(&url, o->fleet_password_file, err, sizeof(err)))) {
		fprintf(stderr, "warden %s: --fleet: %s\n", cmd, err);
		ret = EXIT_USAGE;
	}
	explicit_bzero(&url, sizeof(url));
	return ret;
}

/* ban/unban --fleet: the same change for every warden of the fleet. 0 or an exit status. */
static int publish_fleet(const struct ban_opts *o, enum fleet_op op, const struct prefix *targets,
			 size_t n, uint64_t expires_ns, const char *reason)
{
	uint64_t now = (uint64_t)time__real_ns() / NSEC_PER_MSEC, boot = time__boot_ns();
	struct fleet_url url;
	struct fleet_msg *msgs;
	char err[512], host[FLEET_ORIGIN_LEN] = "";
	size_t i;
	int ret;

	if (fleet_url__parse(o->fleet, &url, err, sizeof(err)) ||
	    (o->fleet_password_file &&
	     fleet_url__read_password(&url, o->fleet_password_file, err, sizeof(err)))) {
		fprintf(stderr, "warden %s: --fleet: %s\n", op == FLEET_BAN ? "ban" : "unban", err);
		return EXIT_USAGE;
	}
	if (o->fleet_name)
		snprintf(host, sizeof(host), "%s", o->fleet_name);
	else if (gethostname(host, sizeof(host) - 1))
		snprintf(host, sizeof(host), "unknown");
	msgs = calloc(n ? n : 1, sizeof(*msgs));
	if (!msgs)
		return EXIT_FAIL;
	for (i = 0; i < n; i++) {
		msgs[i].op = op;
		msgs[i].target = targets[i];
		msgs[i].at_ms = now;
		msgs[i].exp_ms = expires_ns ? now + (expires_ns - boot) / NSEC_PER_MSEC : 0;
		snprintf(msgs[i].origin, sizeof(msgs[i].origin), "%s", host);
		fleet_msg__clean_text(reason ? reason : "", msgs[i].reason, sizeof(msgs[i].reason));
	}
	ret = fleet__publish_once(&url, o->fleet_prefix, msgs, n, err, sizeof(err));
	explicit_bzero(&url, sizeof(url));
	free(msgs);
	if (ret) {
		fprintf(stderr, "warden %s: the fleet: %s\n", op == FLEET_BAN ? "ban" : "unban", err);
		return EXIT_FAIL;
	}
	printf("published %zu %s%s to the fleet\n", n, op == FLEET_BAN ? "ban" : "unban",
	       n == 1 ? "" : "s");
	return 0;
}

int cmd_ban(int argc, char **argv)
{
	struct prefix *targets = NULL;
	char why[256], reason[WARDEN_REASON_LEN], buf[PREFIX_STRLEN], dur[32];
	struct ban_opts o;
	struct banmap *bm = NULL;
	uint64_t expires = 0;
	size_t n = 0, i;
	int err, status = EXIT_OK;

	err = parse_opts(argc, argv, &o, OPTS_BAN);
	if (err)
		return err > 0 ? EXIT_OK : EXIT_USAGE;
	if (check_fleet(&o, "ban"))
		return EXIT_USAGE;
	if (o.file && optind < argc) {
		fprintf(stderr, "warden ban: give addresses or --file, not both\n");
		return EXIT_USAGE;
	}
	if (o.file) {
		err = read_target_file(o.file, &targets, &n);
	} else {
		err = parse_targets(argv + optind, argc - optind, "ban", &targets, &n);
	}
	if (err) {
		status = exit_for(err);
		goto out;
	}
	sanitize_reason(o.reason ? o.reason : (o.file ? "" : "manual ban"), reason, sizeof(reason));

	bm = open_maps(o.pin_path, &status);
	if (!bm)
		goto out;
	/* Refuse loopback, the host's own addresses and the allowlist, before any change. */
	for (i = 0; i < n; i++) {
		if (banmap__refusal(bm, &targets[i], why, sizeof(why))) {
			if (o.file)
				fprintf(stderr, "warden ban: %s: refused: %s: nothing was banned\n",
					o.file, why);
			else
				fprintf(stderr, "warden ban: refused: %s\n", why);
			status = EXIT_USAGE;
			goto out;
		}
	}
	if (o.duration_ns)
		expires = time__boot_ns() + o.duration_ns;

	if (o.file) {
		err = banmap__ban_many(bm, targets, n, expires, o.reason ? reason : NULL,
				       BAN_SOURCE_FILE);
		if (!err)
			printf("banned %zu entr%s from %s%s%s\n", n, n == 1 ? "y" : "ies", o.file,
			       o.duration_ns ? " for " : "",
			       o.duration_ns ? time__format_duration(o.duration_ns, dur, sizeof(dur)) : "");
	} else {
		for (i = 0; i < n && !err; i++) {
			err = banmap__ban(bm, &targets[i], expires, reason, BAN_SOURCE_CLI, 0);
			if (!err)
				printf("banned %s %s%s\n", prefix__format(&targets[i], buf, sizeof(buf)),
				       o.duration_ns ? "for " : "permanently",
				       o.duration_ns ? time__format_duration(o.duration_ns, dur,
									     sizeof(dur)) : "");
		}
	}
	if (err) {
		fprintf(stderr, "warden ban: %s\n", strerror(-err));
		status = EXIT_FAIL;
	} else if (o.fleet) {
		status = publish_fleet(&o, FLEET_BAN, targets, n, expires, reason);
	}
out:
	banmap__close(bm);
	free(targets);
	return status;
}

/* unban, allow and unallow: the same shape, one operation (and the priority trie for allow). */
static int each_target(int argc, char **argv, int (*op)(struct banmap *, const struct prefix *),
		       const char *done, const char *missing, unsigned which)
{
	struct prefix *targets = NULL;
	struct throttle *t = NULL;
	char buf[PREFIX_STRLEN];
	struct ban_opts o;
	struct banmap *bm = NULL;
	size_t n = 0, i;
	int err, status = EXIT_OK;
	bool is_allow = op == banmap__allow, is_unallow = op == banmap__unallow;

	err = parse_opts(argc, argv, &o, which);
	if (err)
		return err > 0 ? EXIT_OK : EXIT_USAGE;
	if (parse_targets(argv + optind, argc - optind, argv[0], &targets, &n))
		return EXIT_USAGE;
	bm = open_maps(o.pin_path, &status);
	/* Priority peers live in their own trie; unallow takes them out too. */
	if (bm && (o.priority || is_unallow)) {
		t = throttle__open(o.pin_path);
		if (!t && o.priority) {
			status = EXIT_FAIL;
			goto out;
		}
	}
	for (i = 0; bm && i < n; i++) {
		prefix__format(&targets[i], buf, sizeof(buf));
		err = op(bm, &targets[i]);
		/* Priority implies allow: the allowlist entry first, so it is never only priority. */
		if (!err && is_allow && o.priority)
			err = throttle__priority_add(t, &targets[i]);
		if (is_unallow && t) {
			int perr = throttle__priority_remove(t, &targets[i]);

			if (perr == 0 && err == -ENOENT)
				err = 0;
		}
		if (!err) {
			printf("%s %s%s\n", done, buf, is_allow && o.priority ? " (priority)" : "");
		} else if (err == -ENOENT) {
			fprintf(stderr, "warden %s: %s %s\n", argv[0], buf, missing);
			status = EXIT_FAIL;
		} else {
			fprintf(stderr, "warden %s: %s: %s\n", argv[0], buf, strerror(-err));
			status = EXIT_FAIL;
		}
	}
out:
	throttle__close(t);
	banmap__close(bm);
	free(targets);
	return status;
}

/* The prefixes of every ban in the maps, collected before any is removed. */
struct ban_list {
	struct prefix *p;
	size_t n, cap;
};

static int collect_ban(const struct ban_info *ban, void *ctx)
{
	struct ban_list *l = ctx;
	struct prefix *grown;

	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 256;
		grown = realloc(l->p, l->cap * sizeof(*l->p));
		if (!grown)
			return -ENOMEM;
		l->p = grown;
	}
	l->p[l->n++] = ban->target;
	return 0;
}

/* unban --all: lift every ban (the allowlist and throttle rules stay). */
static int unban_all(const char *pin_path)
{
	struct ban_list l = { 0 };
	char buf[PREFIX_STRLEN];
	size_t i, lifted = 0;
	struct banmap *bm;
	int err, status = EXIT_OK;

	bm = open_maps(pin_path, &status);
	if (!bm)
		return status;
	err = banmap__foreach_ban(bm, collect_ban, &l);
	if (err) {
		fprintf(stderr, "warden unban: cannot read the bans: %s\n", strerror(-err));
		status = EXIT_FAIL;
		goto out;
	}
	for (i = 0; i < l.n; i++) {
		err = banmap__unban(bm, &l.p[i]);
		if (err == -ENOENT) /* expired and removed meanwhile */
			continue;
		if (err) {
			prefix__format(&l.p[i], buf, sizeof(buf));
			fprintf(stderr, "warden unban: %s: %s\n", buf, strerror(-err));
			status = EXIT_FAIL;
			continue;
		}
		lifted++;
	}
	printf("unbanned %zu ban%s\n", lifted, lifted == 1 ? "" : "s");
out:
	free(l.p);
	banmap__close(bm);
	return status;
}

/* unban --fleet: lifted here (if banned here) and published for every other host. */
static int unban_fleet(int argc, char **argv, const struct ban_opts *o)
{
	struct prefix *targets = NULL;
	char buf[PREFIX_STRLEN];
	struct banmap *bm;
	size_t n = 0, i;
	int status = EXIT_OK;

	if (parse_targets(argv + optind, argc - optind, argv[0], &targets, &n))
		return EXIT_USAGE;
	bm = open_maps(o->pin_path, &status);
	for (i = 0; bm && i < n; i++)
		if (banmap__unban(bm, &targets[i]) == 0)
			printf("unbanned %s\n", prefix__format(&targets[i], buf, sizeof(buf)));
	banmap__close(bm);
	/* No maps here is fine: the other hosts still hold the ban. */
	status = publish_fleet(o, FLEET_UNBAN, targets, n, 0, NULL);
	free(targets);
	return status;
}

int cmd_unban(int argc, char **argv)
{
	struct ban_opts o;
	int err;

	err = parse_opts(argc, argv, &o, OPTS_UNBAN);
	if (err)
		return err > 0 ? EXIT_OK : EXIT_USAGE;
	if (o.all) {
		if (optind < argc || o.fleet) {
			fprintf(stderr, "warden unban: --all takes no address (nor --fleet)\n");
			return EXIT_USAGE;
		}
		return unban_all(o.pin_path);
	}
	if (o.fleet)
		return check_fleet(&o, "unban") ? EXIT_USAGE : unban_fleet(argc, argv, &o);
	return each_target(argc, argv, banmap__unban, "unbanned", "was not banned", OPTS_UNBAN);
}

/* ---- allow --follow: host names followed in the foreground ---- */

/* An address this process put into a map, and so will take out. */
struct owned {
	struct prefix p;
	unsigned int purpose; /* RESOLVE_ALLOW or RESOLVE_PRIORITY */
};

struct follow {
	struct banmap *bm;
	struct throttle *t;
	struct owned *owned;
	size_t n_owned, cap_owned;
	int errors;
};

static bool owned_take(struct follow *f, const struct prefix *p, unsigned int purpose)
{
	size_t i;

	for (i = 0; i < f->n_owned; i++) {
		if (f->owned[i].purpose == purpose && prefix__equal(&f->owned[i].p, p)) {
			f->owned[i] = f->owned[--f->n_owned];
			return true;
		}
	}
	return false;
}

static void owned_add(struct follow *f, const struct prefix *p, unsigned int purpose)
{
	struct owned *grown;

	if (f->n_owned == f->cap_owned) {
		f->cap_owned = f->cap_owned ? f->cap_owned * 2 : 16;
		grown = realloc(f->owned, f->cap_owned * sizeof(*grown));
		if (!grown) {
			f->errors++;
			return;
		}
		f->owned = grown;
	}
	f->owned[f->n_owned++] = (struct owned){ .p = *p, .purpose = purpose };
}

/*
 * The resolver says an address is needed, or no more. What was in the maps
 * before we came (added by hand, or by another process) is never ours to
 * remove: only what this process added goes.
 */
static void follow_change(void *ctx, const struct prefix *p, unsigned int purpose, bool added,
			  const char *entry)
{
	struct follow *f = ctx;
	char buf[PREFIX_STRLEN];
	int err;

	prefix__format(p, buf, sizeof(buf));
	if (added) {
		if (purpose == RESOLVE_PRIORITY)
			err = throttle__priority_has(f->t, p) ? -EEXIST : throttle__priority_add(f->t, p);
		else
			err = banmap__allow_new(f->bm, p);
		if (err == -EEXIST) {
			printf("%s %s (%s): there already\n", purpose == RESOLVE_PRIORITY ? "priority"
			       : "allowed", buf, entry);
		} else if (err) {
			fprintf(stderr, "warden allow: %s (%s): %s\n", buf, entry, strerror(-err));
			f->errors++;
		} else {
			owned_add(f, p, purpose);
			printf("%s %s (%s)\n", purpose == RESOLVE_PRIORITY ? "priority" : "allowed", buf,
			       entry);
		}
	} else if (owned_take(f, p, purpose)) {
		err = purpose == RESOLVE_PRIORITY ? throttle__priority_remove(f->t, p)
						  : banmap__unallow(f->bm, p);
		if (err && err != -ENOENT)
			fprintf(stderr, "warden allow: removing %s (%s): %s\n", buf, entry,
				strerror(-err));
		else
			printf("%s %s (%s)\n", purpose == RESOLVE_PRIORITY ? "no longer priority"
			       : "unallowed", buf, entry);
	}
	fflush(stdout);
}

/* --follow: the resolver on the loop, until a signal. */
struct follow_loop {
	struct loop *loop;
	struct loop_timer *due;
	struct resolver *r;
	struct follow *f;
};

/* Look up what is due, then wait until the next lookup is due, or the helper answers. */
static void follow_refresh(void *ctx)
{
	struct follow_loop *fl = ctx;
	int64_t due;

	resolver__refresh(fl->r, time__mono_ns(), follow_change, fl->f);
	due = resolver__due_ms(fl->r, time__mono_ns());
	if (due >= 0)
		loop__timer_arm(fl->due, (uint64_t)due * 1000000 + 1, 0);
}

static void follow_answer(void *ctx, int fd, uint32_t events)
{
	(void)fd;
	(void)events;
	follow_refresh(ctx);
}

static void follow_stop(void *ctx, const struct signalfd_siginfo *si)
{
	struct follow_loop *fl = ctx;

	(void)si;
	loop__stop(fl->loop);
}

static int follow_loop(struct resolver *r, struct follow *f)
{
	struct follow_loop fl = { .r = r, .f = f };
	int err;

	fl.loop = loop__new();
	if (!fl.loop)
		return -errno;
	err = loop__on_signal(fl.loop, SIGINT, follow_stop, &fl);
	if (!err)
		err = loop__on_signal(fl.loop, SIGTERM, follow_stop, &fl);
	if (!err)
		err = loop__on_signal(fl.loop, SIGHUP, follow_stop, &fl);
	fl.due = err ? NULL : loop__add_timer(fl.loop, CLOCK_MONOTONIC, follow_refresh, &fl);
	if (!err && !fl.due)
		err = -errno;
	if (!err && resolver__fd(r) >= 0)
		err = loop__add_fd(fl.loop, resolver__fd(r), EPOLLIN, follow_answer, &fl);
	if (!err) {
		follow_refresh(&fl);
		err = loop__run(fl.loop);
	}
	loop__del_fd(fl.loop, resolver__fd(r));
	loop__del_timer(fl.loop, fl.due);
	loop__free(fl.loop);
	return err;
}

static int allow_follow(int argc, char **argv, const struct ban_opts *o)
{
	struct resolver_opts ro = { .interval_ns = o->resolve_interval };
	struct follow f = { 0 };
	struct resolver *r = NULL;
	int i, err, status = EXIT_OK;

	if (optind >= argc) {
		fprintf(stderr, "warden allow: give at least one host name, address or prefix\n");
		return EXIT_USAGE;
	}
	/* Every argument must be a name or an address before anything happens. */
	for (i = optind; i < argc; i++) {
		struct prefix p;

		if (prefix__parse(argv[i], &p, NULL, 0) && !resolve__is_name(argv[i])) {
			char perr[160];

			prefix__parse(argv[i], &p, perr, sizeof(perr));
			fprintf(stderr, "warden allow: %s, nor a host name\n", perr);
			return EXIT_USAGE;
		}
	}
	f.bm = open_maps(o->pin_path, &status);
	if (!f.bm)
		return status;
	if (o->priority) {
		f.t = throttle__open(o->pin_path);
		if (!f.t) {
			status = EXIT_FAIL;
			goto out;
		}
	}
	r = resolver__new(&ro);
	if (!r) {
		fprintf(stderr, "warden allow: cannot start the resolver: %s\n", strerror(errno));
		status = EXIT_FAIL;
		goto out;
	}
	/* Priority implies allow: each entry goes in for both. */
	for (i = optind; i < argc; i++) {
		err = resolver__add(r, argv[i], RESOLVE_ALLOW);
		if (!err && o->priority)
			err = resolver__add(r, argv[i], RESOLVE_PRIORITY);
		if (err) {
			fprintf(stderr, "warden allow: %s: %s\n", argv[i], strerror(-err));
			status = EXIT_USAGE;
			goto out;
		}
	}
	pr_info("following %d entr%s; stop with ^C or SIGTERM", argc - optind,
		argc - optind == 1 ? "y" : "ies");
	err = follow_loop(r, &f);
	if (err) {
		fprintf(stderr, "warden allow: %s\n", strerror(-err));
		status = EXIT_FAIL;
	}
	/* Take out what we put in; nothing that was there before. */
	while (f.n_owned) {
		struct owned ow = f.owned[f.n_owned - 1];

		follow_change(&f, &ow.p, ow.purpose, false, "stopped following");
	}
	if (f.errors)
		status = EXIT_FAIL;
out:
	resolver__free(r);
	free(f.owned);
	throttle__close(f.t);
	banmap__close(f.bm);
	return status;
}

int cmd_allow(int argc, char **argv)
{
	struct ban_opts o;
	int err;

	err = parse_opts(argc, argv, &o, OPTS_ALLOW);
	if (err)
		return err > 0 ? EXIT_OK : EXIT_USAGE;
	if (o.resolve_interval && !o.follow) {
		fprintf(stderr, "warden allow: --resolve-interval goes with --follow\n");
		return EXIT_USAGE;
	}
	if (o.follow)
		return allow_follow(argc, argv, &o);
	return each_target(argc, argv, banmap__allow, "allowed", "could not be allowed", OPTS_ALLOW);
}

int cmd_unallow(int argc, char **argv)
{
	return each_target(argc, argv, banmap__unallow, "unallowed", "was not in the allowlist",
			   OPTS_UNALLOW);
}

struct list_ctx {
	uint64_t now;
	int json;
	size_t shown;
	struct json_object *array;
	struct throttle *t; /* to tell priority peers, NULL if the maps are older */
};

static int list_one(const struct ban_info *b, void *arg)
{
	struct list_ctx *ctx = arg;
	char addr[PREFIX_STRLEN], left[32], last[40];

	/* Expired bans are on their way out: not shown. */
	if (!ban_info__live(b, ctx->now))
		return 0;
	ctx->shown++;
	prefix__format(&b->target, addr, sizeof(addr));
	if (ctx->json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "target", json_object_new_string(addr));
		json_object_object_add(o, "remaining_s",
				       b->expires_ns ? json_object_new_double(
							       (b->expires_ns - ctx->now) / 1e9)
						     : NULL);
		json_object_object_add(o, "permanent", json_object_new_boolean(!b->expires_ns));
		json_object_object_add(o, "drops", json_object_new_int64((int64_t)b->drops));
		json_object_object_add(o, "last_drop_ago_s",
				       b->last_drop_ns ? json_object_new_double(
								 (ctx->now - b->last_drop_ns) / 1e9)
						       : NULL);
		json_object_object_add(o, "reason", json_object_new_string(b->reason));
		json_object_object_add(o, "source",
				       json_object_new_string(banmap__source_name(b->source)));
		json_object_object_add(o, "offences", json_object_new_int((int)b->offences));
		json_object_array_add(ctx->array, o);
		return 0;
	}
	if (b->expires_ns)
		time__format_duration(b->expires_ns - ctx->now, left, sizeof(left));
	else
		snprintf(left, sizeof(left), "permanent");
	if (b->last_drop_ns && ctx->now >= b->last_drop_ns) {
		time__format_duration(ctx->now - b->last_drop_ns, last, sizeof(last) - 4);
		strcat(last, " ago");
	} else {
		snprintf(last, sizeof(last), "-");
	}
	printf("%-40s %-10s %10llu %-12s %s\n", addr, left, (unsigned long long)b->drops, last,
	       b->reason[0] ? b->reason : "-");
	return 0;
}

static int list_allow_one(const struct prefix *p, const struct allow_value *v, void *arg)
{
	struct list_ctx *ctx = arg;
	char addr[PREFIX_STRLEN];
	bool prio = ctx->t && throttle__priority_has(ctx->t, p);

	ctx->shown++;
	prefix__format(p, addr, sizeof(addr));
	if (ctx->json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "prefix", json_object_new_string(addr));
		json_object_object_add(o, "hits", json_object_new_int64((int64_t)v->hits));
		json_object_object_add(o, "priority", json_object_new_boolean(prio));
		json_object_array_add(ctx->array, o);
	} else {
		printf("%-40s %10llu %s\n", addr, (unsigned long long)v->hits, prio ? "priority" : "");
	}
	return 0;
}

int cmd_list(int argc, char **argv)
{
	struct list_ctx ctx = { .now = time__boot_ns() };
	struct json_object *root = NULL;
	struct ban_opts o;
	struct banmap *bm;
	int err, status = EXIT_OK;

	err = parse_opts(argc, argv, &o, OPTS_LIST);
	if (err)
		return err > 0 ? EXIT_OK : EXIT_USAGE;
	if (optind < argc) {
		fprintf(stderr, "warden list: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	bm = open_maps(o.pin_path, &status);
	if (!bm)
		return status;
	ctx.json = o.json;
	/* Maps pinned by an older warden have no priority trie: list without it. */
	if (o.json || o.allow_list) {
		char prio[PATH_MAX + 32];

		snprintf(prio, sizeof(prio), "%s/%s", o.pin_path, WARDEN_STR(MAP_PRIO4));
		if (access(prio, F_OK) == 0)
			ctx.t = throttle__open(o.pin_path);
	}
	if (o.json) {
		root = json_object_new_object();
		ctx.array = json_object_new_array();
		json_object_object_add(root, "bans", ctx.array);
		err = banmap__foreach_ban(bm, list_one, &ctx);
		ctx.array = json_object_new_array();
		json_object_object_add(root, "allow", ctx.array);
		if (!err)
			err = banmap__foreach_allow(bm, list_allow_one, &ctx);
		if (!err)
			printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN));
		json_object_put(root);
	} else if (o.allow_list) {
		printf("%-40s %10s %s\n", "ALLOWED", "HITS", "PRIORITY");
		err = banmap__foreach_allow(bm, list_allow_one, &ctx);
	} else {
		printf("%-40s %-10s %10s %-12s %s\n", "BANNED", "REMAINING", "DROPS", "LAST DROP",
		       "REASON");
		err = banmap__foreach_ban(bm, list_one, &ctx);
	}
	if (err) {
		fprintf(stderr, "warden list: %s\n", strerror(-err));
		status = EXIT_FAIL;
	}
	throttle__close(ctx.t);
	banmap__close(bm);
	return status;
}

int cmd_stats(int argc, char **argv)
{
	struct banmap_sizes sizes;
	struct xdp_counters c;
	struct ban_opts o;
	struct banmap *bm;
	int err, status = EXIT_OK;

	err = parse_opts(argc, argv, &o, OPTS_STATS);
	if (err)
		return err > 0 ? EXIT_OK : EXIT_USAGE;
	bm = open_maps(o.pin_path, &status);
	if (!bm)
		return status;
	err = banmap__counters(bm, &c);
	if (!err)
		err = banmap__sizes(bm, &sizes);
	if (err) {
		fprintf(stderr, "warden stats: %s\n", strerror(-err));
		banmap__close(bm);
		return EXIT_FAIL;
	}
	if (o.json) {
		struct json_object *root = json_object_new_object(), *pk = json_object_new_object(),
				   *st = json_object_new_object(), *th = json_object_new_object();

		size_t i;

		/* Every verdict, by the names of /metrics' warden_xdp_packets_total. */
		for (i = 0; i < XDP_VERDICTS; i++)
			json_object_object_add(pk, xdp_verdicts[i].name,
					       json_object_new_int64((int64_t)xdp_counters__get(&c, i)));
		/* Throttling and shedding also apart, as before, for their readers. */
		json_object_object_add(th, "dropped_conn",
				       json_object_new_int64((int64_t)c.dropped_throttle_conn));
		json_object_object_add(th, "dropped_pkt",
				       json_object_new_int64((int64_t)c.dropped_throttle_pkt));
		json_object_object_add(th, "dropped_shed", json_object_new_int64((int64_t)c.dropped_shed));
		json_object_object_add(th, "passed_priority",
				       json_object_new_int64((int64_t)c.passed_priority));
		json_object_object_add(th, "passed_known", json_object_new_int64((int64_t)c.passed_known));
		json_object_object_add(st, "exact_ipv4", json_object_new_int64((int64_t)sizes.exact4));
		json_object_object_add(st, "exact_ipv6", json_object_new_int64((int64_t)sizes.exact6));
		json_object_object_add(st, "prefix_ipv4", json_object_new_int64((int64_t)sizes.prefix4));
		json_object_object_add(st, "prefix_ipv6", json_object_new_int64((int64_t)sizes.prefix6));
		json_object_object_add(st, "allow", json_object_new_int64((int64_t)sizes.allow));
		json_object_object_add(root, "packets", pk);
		json_object_object_add(root, "throttle", th);
		json_object_object_add(root, "entries", st);
		printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN));
		json_object_put(root);
	} else {
		size_t i;

		for (i = 0; i < XDP_VERDICTS; i++)
			printf("%-23s %llu\n", xdp_verdicts[i].text,
			       (unsigned long long)xdp_counters__get(&c, i));
		printf("bans (exact v4/v6, prefix v4/v6)  %zu/%zu, %zu/%zu\n", sizes.exact4,
		       sizes.exact6, sizes.prefix4, sizes.prefix6);
		printf("allowlist entries       %zu\n", sizes.allow);
	}
	banmap__close(bm);
	return status;
}
