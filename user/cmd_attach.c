// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* cmd_attach.c - warden attach / detach: put the ban program on interfaces, or take it off. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "banmap.h"
#include "cli.h"
#include "log.h"
#include "options.h"
#include "xdp_attach.h"

static const char *usage_text =
	"usage: warden attach IFACE... [--mode native|generic|auto] [--loader auto|libxdp|libbpf]\n"
	"                     [--pin-path DIR]\n"
	"       warden detach IFACE... | --all   [--pin-path DIR]\n"
	"attach loads the XDP ban program (through libxdp's dispatcher where the kernel\n"
	"allows, so that other XDP programs keep running) and leaves it attached after\n"
	"warden exits. The ban maps are pinned under DIR (default " WARDEN_DEFAULT_PIN_PATH ")\n"
	"and reused by every later attach, ban and run. detach --all also removes the maps.\n";

struct attach_opts {
	const char *cmd; /* "attach" or "detach", in messages */
	const char *pin_path;
	enum xdp_attach_mode_opt mode;
	enum xdp_loader loader;
	int all;
};

/* One option of attach or detach: 0 or -EINVAL (said). */
static int attach_option(void *ctx, enum option_id id, const char *value)
{
	struct attach_opts *o = ctx;

	switch (id) {
	case OPT_PIN_PATH:
		o->pin_path = value;
		break;
	case OPT_MODE:
		if (xdp_attach__parse_mode(value, &o->mode)) {
			fprintf(stderr, "warden %s: --mode is native, generic or auto, not '%s'\n",
				o->cmd, value);
			return -EINVAL;
		}
		break;
	case OPT_LOADER:
		if (xdp_attach__parse_loader(value, &o->loader)) {
			fprintf(stderr, "warden %s: --loader is auto, libxdp or libbpf, not '%s'\n",
				o->cmd, value);
			return -EINVAL;
		}
		break;
	case OPT_ALL:
		o->all = 1;
		break;
	default:
		break;
	}
	return 0;
}

/* 0, 1 after --help, or -EINVAL (the reason printed). */
static int parse_opts(int argc, char **argv, unsigned which, struct attach_opts *o)
{
	const struct options_cmd cmd = {
		.name = argv[0], .which = which, .usage = usage_text, .bad_usage = usage_text,
		.set = attach_option, .ctx = o,
	};

	o->cmd = argv[0];
	o->pin_path = WARDEN_DEFAULT_PIN_PATH;
	o->mode = ATTACH_MODE_AUTO;
	o->loader = LOADER_AUTO;
	o->all = 0;
	return options__getopt(&cmd, argc, argv);
}

int cmd_attach(int argc, char **argv)
{
	struct attach_opts o;
	struct banmap *bm;
	char how[256];
	int i, err, status = EXIT_OK;

	err = parse_opts(argc, argv, OPTS_ATTACH, &o);
	if (err)
		return err > 0 ? EXIT_OK : EXIT_USAGE;
	if (o.all || optind == argc) {
		fprintf(stderr, "warden attach: name at least one interface\n%s", usage_text);
		return EXIT_USAGE;
	}
	/* Create (or reuse) the maps first: bans can be added before any attach completes. */
	bm = banmap__open(o.pin_path, BANMAP_CREATE);
	if (!bm)
		return errno == EINVAL ? EXIT_USAGE : EXIT_FAIL;
	banmap__close(bm);

	for (i = optind; i < argc; i++) {
		err = xdp_attach__attach(o.pin_path, argv[i], o.mode, o.loader, how, sizeof(how));
		if (err) {
			fprintf(stderr, "warden attach: %s: %s\n", argv[i], strerror(-err));
			status = err == -ENODEV ? EXIT_USAGE : EXIT_FAIL;
			continue;
		}
		printf("attached to %s: %s; maps pinned under %s\n", argv[i], how, o.pin_path);
	}
	return status;
}

int cmd_detach(int argc, char **argv)
{
	struct attach_opts o;
	int i, err, count, status = EXIT_OK;

	err = parse_opts(argc, argv, OPTS_DETACH, &o);
	if (err)
		return err > 0 ? EXIT_OK : EXIT_USAGE;
	if (o.all) {
		if (optind != argc) {
			fprintf(stderr, "warden detach: --all takes no interface\n");
			return EXIT_USAGE;
		}
		err = xdp_attach__detach_all(o.pin_path, &count);
		if (err) {
			fprintf(stderr, "warden detach: %s\n", strerror(-err));
			return EXIT_FAIL;
		}
		printf("detached from %d interface%s, removed %s\n", count, count == 1 ? "" : "s",
		       o.pin_path);
		return EXIT_OK;
	}
	if (optind == argc) {
		fprintf(stderr, "warden detach: name an interface, or --all\n");
		return EXIT_USAGE;
	}
	for (i = optind; i < argc; i++) {
		err = xdp_attach__detach(o.pin_path, argv[i]);
		if (err == -ENODEV) {
			fprintf(stderr, "warden detach: no interface named '%s'\n", argv[i]);
			status = EXIT_USAGE;
		} else if (err == -ENOENT) {
			fprintf(stderr, "warden detach: warden is not attached to %s\n", argv[i]);
			status = EXIT_FAIL;
		} else if (err) {
			fprintf(stderr, "warden detach: %s: %s\n", argv[i], strerror(-err));
			status = EXIT_FAIL;
		} else {
			printf("detached from %s\n", argv[i]);
		}
	}
	return status;
}
