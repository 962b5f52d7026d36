// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* cmd_throttle.c - the throttle and shed commands: per-client limits at XDP, load shedding. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>

#include "banmap.h"
#include "cli.h"
#include "log.h"
#include "options.h"
#include "mapsize.h"
#include "throttle.h"
#include "timeutil.h"

static const char *throttle_usage =
	"usage: warden throttle PREFIX|default [--conn-rate RATE] [--burst N]\n"
	"                                      [--pkt-rate RATE] [--pkt-burst N]\n"
	"       warden throttle --remove PREFIX|default\n"
	"       warden throttle --list [--json]\n"
	"       warden throttle --ipv6-prefix LEN\n"
	"RATE: N/s, N/m, N/h (or N: per second), off for no limit. A burst left out\n"
	"is the rate's count per second. --conn-rate counts new TCP connections (SYN\n"
	"without ACK), --pkt-rate every packet, per client: an IPv4 address, or an\n"
	"IPv6 /64 (--ipv6-prefix). The longest matching PREFIX wins over default;\n"
	"options not given keep their value. Priority peers (warden allow --priority)\n"
	"are never throttled. The maps live under --pin-path (default "
	WARDEN_DEFAULT_PIN_PATH ").\n";

static const char *shed_usage =
	"usage: warden shed on|off|status [--json] [--known-for DURATION]\n"
	"       warden shed learn on|off\n"
	"While shedding, the XDP program passes new TCP connections only from\n"
	"priority peers and from known clients (a handshake seen in the last\n"
	"--known-for, 1h by default); connections under way keep flowing. warden\n"
	"run sheds by itself while the app hangs; 'shed off' ends only a manual\n"
	"shed. 'learn on' keeps the client history even when nothing is throttled.\n";

/* Everything both commands take; a field set to its "unset" value was not given. */
struct thr_opts {
	const char *cmd;                /* "throttle" or "shed", in messages */
	const char *pin_path;
	bool conn_rate_set, pkt_rate_set;
	uint64_t conn_interval, pkt_interval;
	uint32_t conn_burst, pkt_burst; /* 0: not given */
	bool list, remove, json;
	int v6_prefix;                  /* 0: not given */
	uint64_t known_for_ns;          /* 0: not given */
};

static int parse_count(const char *cmd, const char *opt, const char *v, uint32_t *out)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(v, &end, 10);
	if (*v < '0' || *v > '9' || *end || errno || n < 1 || n > 100000000) {
		fprintf(stderr, "warden %s: --%s: '%s' is not a number in 1..100000000\n", cmd, opt, v);
		return -EINVAL;
	}
	*out = (uint32_t)n;
	return 0;
}

static int parse_rate_opt(const char *cmd, const char *opt, const char *v, uint64_t *out)
{
	if (throttle__parse_rate(v, out, NULL)) {
		fprintf(stderr, "warden %s: --%s: '%s' is not a rate (20/s, 300/m, 1000/h, or off)\n",
			cmd, opt, v);
		return -EINVAL;
	}
	return 0;
}

/* One option of throttle or shed: 0 or -EINVAL (said). */
static int thr_option(void *ctx, enum option_id id, const char *value)
{
	struct thr_opts *o = ctx;
	int err = 0;

	switch (id) {
	case OPT_PIN_PATH:
		o->pin_path = value;
		break;
	case OPT_CONN_RATE:
		err = parse_rate_opt(o->cmd, "conn-rate", value, &o->conn_interval);
		o->conn_rate_set = true;
		break;
	case OPT_PKT_RATE:
		err = parse_rate_opt(o->cmd, "pkt-rate", value, &o->pkt_interval);
		o->pkt_rate_set = true;
		break;
	case OPT_BURST:
		err = parse_count(o->cmd, "burst", value, &o->conn_burst);
		break;
	case OPT_PKT_BURST:
		err = parse_count(o->cmd, "pkt-burst", value, &o->pkt_burst);
		break;
	case OPT_LIST:
		o->list = true;
		break;
	case OPT_REMOVE:
		o->remove = true;
		break;
	case OPT_JSON:
		o->json = true;
		break;
	case OPT_IPV6_PREFIX: {
		char *end;
		long n = strtol(value[0] == '/' ? value + 1 : value, &end, 10);

		if (*end || n < 1 || n > 128) {
			fprintf(stderr, "warden %s: --ipv6-prefix: '%s' is not a prefix length "
				"in 1..128\n", o->cmd, value);
			err = -EINVAL;
		}
		o->v6_prefix = (int)n;
		break;
	}
	case OPT_KNOWN_FOR:
		if (time__parse_duration(value, &o->known_for_ns) || !o->known_for_ns ||
		    o->known_for_ns / NSEC_PER_SEC == 0 ||
		    o->known_for_ns / NSEC_PER_SEC > UINT32_MAX) {
			fprintf(stderr, "warden %s: --known-for: '%s' is not a duration of a "
				"second or more\n", o->cmd, value);
			err = -EINVAL;
		}
		break;
	default:
		break;
	}
	return err;
}

/* Parse the options of the command which (OPTS_THROTTLE, OPTS_SHED). 1: --help shown. */
static int parse_opts(int argc, char **argv, struct thr_opts *o, unsigned which,
		      const char *usage)
{
	const struct options_cmd cmd = {
		.name = argv[0], .which = which, .usage = usage, .bad_usage = usage,
		.set = thr_option, .ctx = o,
	};

	memset(o, 0, sizeof(*o));
	o->cmd = argv[0];
	o->pin_path = WARDEN_DEFAULT_PIN_PATH;
	return options__getopt(&cmd, argc, argv);
}

/* Open the throttle maps; missing maps are bad input (exit 2), as for the ban commands. */
static struct throttle *open_throttle(const char *pin_path, int *status)
{
	struct banmap *bm = banmap__open(pin_path, BANMAP_EXISTING);
	struct throttle *t;

	if (!bm) {
		*status = errno == ENOENT ? EXIT_USAGE : EXIT_FAIL;
		return NULL;
	}
	banmap__close(bm);
	t = throttle__open(pin_path);
	if (!t)
		*status = errno == ENOENT ? EXIT_USAGE : EXIT_FAIL;
	return t;
}

/* "new connections 20/s (burst 20), packets off" */
static const char *describe(const struct throttle_limits *l, char *buf, size_t len)
{
	char c[32], p[32];

	throttle__format_rate(l->conn_interval_ns, c, sizeof(c));
	throttle__format_rate(l->pkt_interval_ns, p, sizeof(p));
	if (l->conn_interval_ns && l->pkt_interval_ns)
		snprintf(buf, len, "new connections %s (burst %u), packets %s (burst %u)", c,
			 l->conn_burst, p, l->pkt_burst);
	else if (l->conn_interval_ns)
		snprintf(buf, len, "new connections %s (burst %u), packets off", c, l->conn_burst);
	else if (l->pkt_interval_ns)
		snprintf(buf, len, "new connections off, packets %s (burst %u)", p, l->pkt_burst);
	else
		snprintf(buf, len, "no limit");
	return buf;
}

/* Merge the options into l: what is given replaces, the rest stays. */
static int merge(const char *cmd, const struct thr_opts *o, struct throttle_limits *l)
{
	uint32_t dflt;

	if (o->conn_rate_set) {
		l->conn_interval_ns = o->conn_interval;
		dflt = 0;
		if (o->conn_interval)
			dflt = (uint32_t)((NSEC_PER_SEC + o->conn_interval - 1) / o->conn_interval);
		l->conn_burst = o->conn_burst ? o->conn_burst : dflt ? dflt : 1;
		if (!o->conn_interval)
			l->conn_burst = 0;
	} else if (o->conn_burst) {
		if (!l->conn_interval_ns) {
			fprintf(stderr, "warden %s: --burst needs a --conn-rate\n", cmd);
			return -EINVAL;
		}
		l->conn_burst = o->conn_burst;
	}
	if (o->pkt_rate_set) {
		l->pkt_interval_ns = o->pkt_interval;
		dflt = 0;
		if (o->pkt_interval)
			dflt = (uint32_t)((NSEC_PER_SEC + o->pkt_interval - 1) / o->pkt_interval);
		l->pkt_burst = o->pkt_burst ? o->pkt_burst : dflt ? dflt : 1;
		if (!o->pkt_interval)
			l->pkt_burst = 0;
	} else if (o->pkt_burst) {
		if (!l->pkt_interval_ns) {
			fprintf(stderr, "warden %s: --pkt-burst needs a --pkt-rate\n", cmd);
			return -EINVAL;
		}
		l->pkt_burst = o->pkt_burst;
	}
	return 0;
}

/* ---- warden throttle --list ---- */

struct list_ctx {
	bool json;
	struct json_object *rules;
};

static struct json_object *limits_json(const struct throttle_limits *l)
{
	struct json_object *o = json_object_new_object();
	char buf[32];

	json_object_object_add(o, "conn_rate", json_object_new_string(
				      throttle__format_rate(l->conn_interval_ns, buf, sizeof(buf))));
	json_object_object_add(o, "conn_interval_ns", json_object_new_int64((int64_t)l->conn_interval_ns));
	json_object_object_add(o, "conn_burst", json_object_new_int64(l->conn_burst));
	json_object_object_add(o, "pkt_rate", json_object_new_string(
				      throttle__format_rate(l->pkt_interval_ns, buf, sizeof(buf))));
	json_object_object_add(o, "pkt_interval_ns", json_object_new_int64((int64_t)l->pkt_interval_ns));
	json_object_object_add(o, "pkt_burst", json_object_new_int64(l->pkt_burst));
	return o;
}

static void print_row(const char *what, const struct throttle_limits *l)
{
	char c[32], p[32], cb[16] = "-", pb[16] = "-";

	if (l->conn_interval_ns)
		snprintf(cb, sizeof(cb), "%u", l->conn_burst);
	if (l->pkt_interval_ns)
		snprintf(pb, sizeof(pb), "%u", l->pkt_burst);
	printf("%-40s %-10s %8s %-10s %8s\n", what,
	       throttle__format_rate(l->conn_interval_ns, c, sizeof(c)), cb,
	       throttle__format_rate(l->pkt_interval_ns, p, sizeof(p)), pb);
}

static int list_rule(const struct prefix *p, const struct throttle_limits *l, void *arg)
{
	struct list_ctx *ctx = arg;
	char buf[PREFIX_STRLEN];

	prefix__format(p, buf, sizeof(buf));
	if (ctx->json) {
		struct json_object *o = limits_json(l);

		json_object_object_add(o, "prefix", json_object_new_string(buf));
		json_object_array_add(ctx->rules, o);
	} else {
		print_row(buf, l);
	}
	return 0;
}

static const char *shed_reasons(uint32_t shed, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", shed & WARDEN_SHED_MANUAL ? " manual" : "",
		 shed & WARDEN_SHED_HUNG ? " app-hung" : "",
		 shed & WARDEN_SHED_BACKLOG ? " accept-backlog" : "");
	return buf[0] ? buf + 1 : buf;
}

static struct json_object *shed_json(uint32_t shed)
{
	struct json_object *a = json_object_new_array();

	if (shed & WARDEN_SHED_MANUAL)
		json_object_array_add(a, json_object_new_string("manual"));
	if (shed & WARDEN_SHED_HUNG)
		json_object_array_add(a, json_object_new_string("app-hung"));
	if (shed & WARDEN_SHED_BACKLOG)
		json_object_array_add(a, json_object_new_string("accept-backlog"));
	return a;
}

static int do_list(struct throttle *t, const struct thr_opts *o, const struct xdp_counters *c)
{
	struct list_ctx ctx = { .json = o->json };
	struct warden_settings s;
	char reasons[64];
	int err;

	err = throttle__settings(t, &s);
	if (err)
		return err;
	throttle__shedding(t, time__boot_ns(), &s.shed);
	if (o->json) {
		struct json_object *root = json_object_new_object(), *pk = json_object_new_object();

		json_object_object_add(root, "default", limits_json(&s.defaults));
		ctx.rules = json_object_new_array();
		json_object_object_add(root, "rules", ctx.rules);
		err = throttle__foreach_rule(t, list_rule, &ctx);
		json_object_object_add(root, "throttling",
				       json_object_new_boolean(s.flags & WARDEN_F_THROTTLE));
		json_object_object_add(root, "learning", json_object_new_boolean(
						   s.flags & (WARDEN_F_THROTTLE | WARDEN_F_LEARN)));
		json_object_object_add(root, "ipv6_prefix", json_object_new_int(
						   s.v6_client_prefix ? s.v6_client_prefix
								      : WARDEN_V6_CLIENT_PREFIX));
		json_object_object_add(root, "shedding", shed_json(s.shed));
		json_object_object_add(pk, "dropped_throttle_conn",
				       json_object_new_int64((int64_t)c->dropped_throttle_conn));
		json_object_object_add(pk, "dropped_throttle_pkt",
				       json_object_new_int64((int64_t)c->dropped_throttle_pkt));
		json_object_object_add(pk, "dropped_shed", json_object_new_int64((int64_t)c->dropped_shed));
		json_object_object_add(pk, "passed_priority",
				       json_object_new_int64((int64_t)c->passed_priority));
		json_object_object_add(pk, "passed_known", json_object_new_int64((int64_t)c->passed_known));
		json_object_object_add(root, "packets", pk);
		if (!err)
			printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN));
		json_object_put(root);
		return err;
	}
	printf("%-40s %-10s %8s %-10s %8s\n", "THROTTLE", "CONN RATE", "BURST", "PKT RATE", "BURST");
	print_row("default", &s.defaults);
	err = throttle__foreach_rule(t, list_rule, &ctx);
	printf("\nthrottling %s; IPv6 clients by /%u; shedding %s%s%s\n",
	       s.flags & WARDEN_F_THROTTLE ? "on" : "off",
	       s.v6_client_prefix ? s.v6_client_prefix : WARDEN_V6_CLIENT_PREFIX,
	       s.shed ? "on (" : "off", s.shed ? shed_reasons(s.shed, reasons, sizeof(reasons)) : "",
	       s.shed ? ")" : "");
	printf("dropped: %llu new connections, %llu packets over their rate\n",
	       (unsigned long long)c->dropped_throttle_conn,
	       (unsigned long long)c->dropped_throttle_pkt);
	return err;
}

int cmd_throttle(int argc, char **argv)
{
	struct throttle_limits l = { 0 };
	struct xdp_counters c = { 0 };
	struct throttle *t = NULL;
	struct banmap *bm = NULL;
	struct thr_opts o;
	struct prefix p;
	char buf[PREFIX_STRLEN], desc[128], perr[160];
	bool is_default = false, setting;
	int err, status = EXIT_OK, nargs;

	err = parse_opts(argc, argv, &o, OPTS_THROTTLE, throttle_usage);
	if (err)
		return err > 0 ? EXIT_OK : EXIT_USAGE;
	nargs = argc - optind;
	setting = o.conn_rate_set || o.pkt_rate_set || o.conn_burst || o.pkt_burst;

	/* One action per call, checked before anything is opened. */
	if ((o.list ? 1 : 0) + (o.remove ? 1 : 0) + (setting ? 1 : 0) +
		    (o.v6_prefix && !o.list ? 1 : 0) > 1 ||
	    (o.list && nargs) || (o.json && !o.list) || (o.v6_prefix && nargs)) {
		fprintf(stderr, "warden throttle: give one of PREFIX with limits, --remove PREFIX, "
			"--list or --ipv6-prefix\n%s", throttle_usage);
		return EXIT_USAGE;
	}
	if (!o.list && !o.v6_prefix) {
		if (nargs != 1) {
			fprintf(stderr, "warden throttle: give one PREFIX (or 'default')\n%s",
				throttle_usage);
			return EXIT_USAGE;
		}
		is_default = !strcmp(argv[optind], "default");
		if (!is_default && prefix__parse(argv[optind], &p, perr, sizeof(perr))) {
			fprintf(stderr, "warden throttle: %s\n", perr);
			return EXIT_USAGE;
		}
		if (!o.remove && !setting) {
			fprintf(stderr, "warden throttle: give --conn-rate and/or --pkt-rate\n%s",
				throttle_usage);
			return EXIT_USAGE;
		}
	}

	t = open_throttle(o.pin_path, &status);
	if (!t)
		return status;
	snprintf(buf, sizeof(buf), "%s", is_default ? "default" : argv[optind < argc ? optind : 0]);
	if (!is_default && !o.list && !o.v6_prefix)
		prefix__format(&p, buf, sizeof(buf));

	if (o.list) {
		bm = banmap__open(o.pin_path, BANMAP_EXISTING);
		if (bm)
			banmap__counters(bm, &c);
		err = do_list(t, &o, &c);
	} else if (o.v6_prefix) {
		err = throttle__set_v6_prefix(t, (unsigned int)o.v6_prefix);
		if (!err)
			printf("IPv6 clients are throttled by /%d\n", o.v6_prefix);
	} else if (o.remove) {
		if (is_default) {
			err = throttle__set_default(t, &l);
			if (!err)
				printf("removed the default limits\n");
		} else {
			err = throttle__remove_rule(t, &p);
			if (err == -ENOENT) {
				fprintf(stderr, "warden throttle: no rule for %s\n", buf);
				status = EXIT_FAIL;
				goto out;
			}
			if (!err)
				printf("removed the rule for %s\n", buf);
		}
	} else {
		/* Merge with what is there: options left out keep their value. */
		err = is_default ? throttle__get_default(t, &l) : throttle__get_rule(t, &p, &l);
		if (err == -ENOENT) {
			memset(&l, 0, sizeof(l));
			err = 0;
		}
		if (!err && merge(argv[0], &o, &l)) {
			status = EXIT_USAGE;
			goto out;
		}
		if (!err)
			err = is_default ? throttle__set_default(t, &l) : throttle__set_rule(t, &p, &l);
		if (!err)
			printf("throttle %s: %s\n", buf, describe(&l, desc, sizeof(desc)));
	}
	/* A first limit: the throttle maps grow to full size (mapsize.h). */
	if (!err && !o.list)
		err = mapsize__grow(o.pin_path, false, NULL);
	if (err) {
		fprintf(stderr, "warden throttle: %s\n", strerror(-err));
		status = EXIT_FAIL;
	}
out:
	banmap__close(bm);
	throttle__close(t);
	return status;
}

/* ---- warden shed ---- */

int cmd_shed(int argc, char **argv)
{
	struct xdp_counters c = { 0 };
	struct warden_settings s;
	struct throttle *t = NULL;
	struct banmap *bm = NULL;
	struct thr_opts o;
	const char *verb, *arg = NULL;
	char reasons[64], dur[32];
	uint32_t live = 0;
	int err, status = EXIT_OK;

	err = parse_opts(argc, argv, &o, OPTS_SHED, shed_usage);
	if (err)
		return err > 0 ? EXIT_OK : EXIT_USAGE;
	verb = optind < argc ? argv[optind] : NULL;
	if (verb && !strcmp(verb, "learn"))
		arg = optind + 1 < argc ? argv[optind + 1] : NULL;
	if (!verb || (strcmp(verb, "on") && strcmp(verb, "off") && strcmp(verb, "status") &&
		      strcmp(verb, "learn")) ||
	    (!strcmp(verb, "learn") && (!arg || (strcmp(arg, "on") && strcmp(arg, "off")))) ||
	    argc - optind > (arg ? 2 : 1) || (o.json && strcmp(verb, "status"))) {
		fprintf(stderr, "%s", shed_usage);
		return EXIT_USAGE;
	}
	t = open_throttle(o.pin_path, &status);
	if (!t)
		return status;
	if (o.known_for_ns)
		err = throttle__set_known_for(t, (uint32_t)(o.known_for_ns / NSEC_PER_SEC));
	if (err)
		goto fail;
	if (!strcmp(verb, "on") || !strcmp(verb, "off")) {
		err = throttle__shed(t, !strcmp(verb, "on"));
		if (!err)
			err = mapsize__grow(o.pin_path, false, NULL);
		if (err)
			goto fail;
		err = throttle__settings(t, &s);
		if (err)
			goto fail;
		if (!strcmp(verb, "on"))
			printf("shedding: new connections only from priority peers and known clients\n");
		else if (throttle__shedding(t, time__boot_ns(), &live))
			printf("manual shedding off; still shedding: %s\n",
			       shed_reasons(live, reasons, sizeof(reasons)));
		else
			printf("shedding off\n");
	} else if (!strcmp(verb, "learn")) {
		err = throttle__learn(t, !strcmp(arg, "on"));
		if (!err)
			err = mapsize__grow(o.pin_path, false, NULL);
		if (err)
			goto fail;
		printf("client history %s\n", !strcmp(arg, "on") ? "kept" :
		       "kept only while throttling");
	} else {
		err = throttle__settings(t, &s);
		if (err)
			goto fail;
		throttle__shedding(t, time__boot_ns(), &live);
		bm = banmap__open(o.pin_path, BANMAP_EXISTING);
		if (bm)
			banmap__counters(bm, &c);
		time__format_duration((uint64_t)(s.known_for_s ? s.known_for_s : WARDEN_KNOWN_FOR_S) *
				      NSEC_PER_SEC, dur, sizeof(dur));
		if (o.json) {
			struct json_object *root = json_object_new_object();

			json_object_object_add(root, "shedding", json_object_new_boolean(live != 0));
			json_object_object_add(root, "reasons", shed_json(live));
			json_object_object_add(root, "learning", json_object_new_boolean(
							   s.flags & (WARDEN_F_THROTTLE | WARDEN_F_LEARN)));
			json_object_object_add(root, "known_for_s", json_object_new_int64(
							   s.known_for_s ? s.known_for_s : WARDEN_KNOWN_FOR_S));
			json_object_object_add(root, "dropped_shed",
					       json_object_new_int64((int64_t)c.dropped_shed));
			json_object_object_add(root, "passed_known",
					       json_object_new_int64((int64_t)c.passed_known));
			json_object_object_add(root, "passed_priority",
					       json_object_new_int64((int64_t)c.passed_priority));
			printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN));
			json_object_put(root);
		} else {
			printf("shedding %s%s%s\n", live ? "on (" : "off",
			       live ? shed_reasons(live, reasons, sizeof(reasons)) : "", live ? ")" : "");
			printf("client history %s; clients stay known %s\n",
			       s.flags & (WARDEN_F_THROTTLE | WARDEN_F_LEARN) ? "kept" : "not kept",
			       dur);
			printf("dropped new connections %llu, passed as known %llu, priority %llu\n",
			       (unsigned long long)c.dropped_shed, (unsigned long long)c.passed_known,
			       (unsigned long long)c.passed_priority);
		}
	}
	goto out;
fail:
	fprintf(stderr, "warden shed: %s\n", strerror(-err));
	status = EXIT_FAIL;
out:
	banmap__close(bm);
	throttle__close(t);
	return status;
}
