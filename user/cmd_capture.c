// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* cmd_capture.c - warden capture: write a sample of the dropped packets to a pcap file. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "banmap.h"
#include "capture.h"
#include "cli.h"
#include "log.h"
#include "options.h"
#include "timeutil.h"

static const char *usage_text =
	"usage: warden capture -w FILE.pcap [--count N] [--duration T] [--snaplen BYTES]\n"
	"                      [--rate N] [--pin-path DIR]\n"
	"       warden capture --status [--pin-path DIR]\n"
	"Write a sample of the packets the XDP program drops (bans, throttle, shedding)\n"
	"to FILE ('-' = stdout) in pcap format, for tcpdump -r or tshark -r. Each packet\n"
	"keeps its first --snaplen bytes (default 128, at most 1024); at most --rate\n"
	"drops a second per CPU are sampled (default 1000). Stops after --count packets,\n"
	"after --duration (90s, 10m), or on ^C; then prints what it wrote and lost.\n"
	"While nobody captures, the drop path pays one branch and passing packets nothing;\n"
	"if the capture dies, the kernel stops sampling within 3 s by itself.\n"
	"The maps live under --pin-path (default " WARDEN_DEFAULT_PIN_PATH ").\n";

/* Everything the command line says. */
struct cmd_opts {
	const char *pin_path;
	struct capture_opts cap;
	int status;
};

/* A positive integer no larger than max; 0 or -EINVAL. */
static int parse_count(const char *text, unsigned long long max, unsigned long long *out)
{
	char *end;

	errno = 0;
	if (!text[0] || text[0] == '-')
		return -EINVAL;
	*out = strtoull(text, &end, 10);
	if (errno || *end || *out == 0 || *out > max)
		return -EINVAL;
	return 0;
}

/* One option: 0 or -EINVAL (said). */
static int capture_option(void *ctx, enum option_id id, const char *value)
{
	struct cmd_opts *o = ctx;
	unsigned long long v;

	switch (id) {
	case OPT_WRITE:
		o->cap.file = value;
		break;
	case OPT_PIN_PATH:
		o->pin_path = value;
		break;
	case OPT_COUNT:
		if (parse_count(value, UINT64_MAX, &v)) {
			fprintf(stderr, "warden capture: --count wants a positive number, "
				"not '%s'\n", value);
			return -EINVAL;
		}
		o->cap.count = v;
		break;
	case OPT_DURATION:
		if (time__parse_duration(value, &o->cap.duration_ns) || !o->cap.duration_ns) {
			fprintf(stderr, "warden capture: '%s' is not a duration (like 90s, 10m)\n",
				value);
			return -EINVAL;
		}
		break;
	case OPT_SNAPLEN:
		if (parse_count(value, WARDEN_CAPTURE_SNAPLEN_MAX, &v)) {
			fprintf(stderr, "warden capture: --snaplen wants 1 to %d bytes, not '%s'\n",
				WARDEN_CAPTURE_SNAPLEN_MAX, value);
			return -EINVAL;
		}
		o->cap.snaplen = (uint32_t)v;
		break;
	case OPT_RATE:
		if (parse_count(value, UINT32_MAX, &v)) {
			fprintf(stderr, "warden capture: --rate wants a positive number, "
				"not '%s'\n", value);
			return -EINVAL;
		}
		o->cap.per_sec = (uint32_t)v;
		break;
	case OPT_STATUS:
		o->status = 1;
		break;
	default:
		break;
	}
	return 0;
}

/* 0, 1 after --help, or -EINVAL (the reason printed). */
static int parse_opts(int argc, char **argv, struct cmd_opts *o)
{
	const struct options_cmd cmd = {
		.name = "capture", .which = OPTS_CAPTURE, .usage = usage_text,
		.bad_usage = usage_text, .set = capture_option, .ctx = o,
	};
	int err;

	memset(o, 0, sizeof(*o));
	o->pin_path = WARDEN_DEFAULT_PIN_PATH;
	err = options__getopt(&cmd, argc, argv);
	if (err)
		return err;
	if (optind < argc) {
		fprintf(stderr, "warden capture: unexpected argument '%s'\n", argv[optind]);
		goto usage;
	}
	if (o->status && o->cap.file) {
		fprintf(stderr, "warden capture: --status takes no -w\n");
		goto usage;
	}
	if (!o->status && (!o->cap.file || !o->cap.file[0])) {
		fprintf(stderr, "warden capture: say where to write: -w FILE.pcap\n");
		goto usage;
	}
	return 0;
usage:
	fprintf(stderr, "%s", usage_text);
	return -EINVAL;
}

/* One line: whether a capture runs, and whose. */
static int print_status(struct capture *c)
{
	struct capture_config cfg;
	uint64_t now = time__boot_ns();
	char left[32];
	int err;

	err = capture__status(c, &cfg);
	if (err) {
		fprintf(stderr, "warden capture: cannot read the capture settings: %s\n",
			strerror(-err));
		return EXIT_FAIL;
	}
	if (!cfg.until_ns)
		printf("capture: off\n");
	else if (now >= cfg.until_ns)
		printf("capture: off (lapsed: pid %u left it on)\n", cfg.pid);
	else
		printf("capture: on, pid %u, snaplen %u, lease %s left\n", cfg.pid, cfg.snaplen,
		       time__format_duration(cfg.until_ns - now, left, sizeof(left)));
	return EXIT_OK;
}

int cmd_capture(int argc, char **argv)
{
	struct signalfd_siginfo si;
	struct capture_result res;
	struct cmd_opts o;
	struct banmap *bm = NULL;
	struct capture *c = NULL;
	sigset_t mask, old_mask;
	FILE *report;
	int sfd = -1, err, rc = EXIT_FAIL, masked = 0;
	uint32_t i;

	err = parse_opts(argc, argv, &o);
	if (err)
		return err > 0 ? EXIT_OK : EXIT_USAGE;

	/* The ban maps must be there (a clear message if not), then the capture maps. */
	bm = banmap__open(o.pin_path, BANMAP_EXISTING);
	if (!bm) {
		err = -errno;
		rc = err == -ENOENT || err == -EPROTO ? EXIT_USAGE : EXIT_FAIL;
		goto out;
	}
	c = capture__open(o.pin_path);
	if (!c) {
		err = -errno;
		rc = err == -ENOENT || err == -EPROTO ? EXIT_USAGE : EXIT_FAIL;
		goto out;
	}
	if (o.status) {
		rc = print_status(c);
		goto out;
	}

	/*
	 * Signals arrive in the event loop; SIGPIPE becomes EPIPE on a closed
	 * stdout. A shell starts background jobs with SIGINT ignored, and an
	 * ignored signal never reaches a signalfd: ^C and kill -INT must stop us.
	 */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGPIPE);
	if (sigprocmask(SIG_BLOCK, &mask, &old_mask)) {
		err = -errno;
		goto out;
	}
	masked = 1;
	sigdelset(&mask, SIGPIPE);
	sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd < 0) {
		err = -errno;
		fprintf(stderr, "warden capture: signalfd: %s\n", strerror(-err));
		goto out;
	}

	report = strcmp(o.cap.file, "-") ? stdout : stderr;
	fprintf(stderr, "capturing dropped packets under %s into %s; ^C stops\n", o.pin_path,
		o.cap.file);
	err = capture__run(c, &o.cap, sfd, &res);
	/* The signal that stopped us stays pending until read: it must not kill us at unblock. */
	while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		;
	fprintf(report, "wrote %llu packets to %s, lost %llu", (unsigned long long)res.written,
		o.cap.file, (unsigned long long)res.lost);
	for (i = CAPTURE_EXACT; i <= CAPTURE_SHED; i++)
		if (res.by_reason[i])
			fprintf(report, "; %s %llu", capture__reason_name(i),
				(unsigned long long)res.by_reason[i]);
	fprintf(report, "\n");
	if (err) {
		fprintf(stderr, "warden capture: %s\n", strerror(-err));
		rc = EXIT_FAIL;
		goto out;
	}
	rc = EXIT_OK;
out:
	if (sfd >= 0)
		close(sfd);
	if (masked)
		sigprocmask(SIG_SETMASK, &old_mask, NULL);
	capture__close(c);
	banmap__close(bm);
	return rc;
}
