// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* xdp-pcap-replay.c - run every packet of a pcap file through the XDP ban program, count verdicts. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
/* libpcap's classic-BPF struct bpf_insn would clash with the kernel's eBPF one. */
#define bpf_insn pcap_bpf_insn
#include <pcap/pcap.h>
#undef bpf_insn
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>
#include <linux/if_ether.h>

#include "banmap.h"
#include "cli.h"
#include "log.h"
#include "mapsize.h"
#include "xdp_ban.skel.h"

/*
 * The kernel runs XDP test frames of ETH_HLEN bytes up to about a page
 * (less headroom and tailroom); a longer capture is cut to this much.
 */
#define REPLAY_MAX_FRAME 3000

struct replay_opts {
	const char *pin_path;
	const char *file;
	int json;
	int verbose;
};

struct replay_counts {
	unsigned long long pass, drop, other, total;
	unsigned long long refused; /* runs the kernel refused (counted in other) */
	unsigned long long cut;     /* frames longer than REPLAY_MAX_FRAME, run cut */
};

static const char *usage_text =
	"usage: xdp-pcap-replay [--pin-path DIR] [--json] [-v] FILE.pcap\n"
	"Runs every packet of FILE.pcap (Ethernet link type) through warden's XDP\n"
	"program with BPF_PROG_TEST_RUN and prints how many it passed and dropped.\n"
	"The program uses the maps pinned under DIR (default " WARDEN_DEFAULT_PIN_PATH "),\n"
	"so the live bans decide, at the current time, and their drop counters and\n"
	"the verdict counters count the replayed packets too. Maps missing under\n"
	"DIR are created (empty). -v prints the verdict of every packet.\n"
	"Exit status: 0 done, 1 the kernel or libbpf failed, 2 bad usage or input.\n";

static int parse_opts(int argc, char **argv, struct replay_opts *o)
{
	static const struct option long_opts[] = {
		{ "pin-path", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->pin_path = WARDEN_DEFAULT_PIN_PATH;
	while ((c = getopt_long(argc, argv, "p:jvh", long_opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			o->pin_path = optarg;
			break;
		case 'j':
			o->json = 1;
			break;
		case 'v':
			o->verbose = 1;
			break;
		case 'h':
			printf("%s", usage_text);
			return 1;
		default:
			fprintf(stderr, "%s", usage_text);
			return -EINVAL;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "xdp-pcap-replay: give exactly one pcap file\n%s", usage_text);
		return -EINVAL;
	}
	o->file = argv[optind];
	return 0;
}

/* The maps under pin_path: the existing ones, or new empty ones. */
static struct banmap *open_maps(const char *pin_path)
{
	char probe[PATH_MAX];

	/* Asked for existing maps that are not there, banmap would tell to attach first. */
	snprintf(probe, sizeof(probe), "%s/%s", pin_path, WARDEN_STR(MAP_BAN4));
	if (access(probe, F_OK) == 0)
		return banmap__open(pin_path, BANMAP_EXISTING);
	pr_info("no maps under %s yet: creating them", pin_path);
	return banmap__open(pin_path, BANMAP_CREATE);
}

static const char *verdict_name(int verdict)
{
	switch (verdict) {
	case XDP_ABORTED:
		return "aborted";
	case XDP_DROP:
		return "drop";
	case XDP_PASS:
		return "pass";
	case XDP_TX:
		return "tx";
	case XDP_REDIRECT:
		return "redirect";
	default:
		return "unknown";
	}
}

/* Run one captured frame; counts it. 0, or -errno when the run failed for another reason. */
static int replay_one(int prog_fd, const struct pcap_pkthdr *h, const u_char *data,
		      struct replay_counts *n, int verbose)
{
	__u32 len = h->caplen;
	LIBBPF_OPTS(bpf_test_run_opts, topts, .repeat = 1);
	int err;

	n->total++;
	if (len > REPLAY_MAX_FRAME) {
		len = REPLAY_MAX_FRAME;
		n->cut++;
	}
	topts.data_in = data;
	topts.data_size_in = len;
	err = bpf_prog_test_run_opts(prog_fd, &topts);
	if (err) {
		err = -errno;
		/* Too short for Ethernet: the kernel never hands XDP such a frame. */
		if (err != -EINVAL)
			return err;
		n->refused++;
		n->other++;
		if (verbose)
			printf("%llu refused (%u bytes)\n", n->total, len);
		return 0;
	}
	if (topts.retval == XDP_PASS)
		n->pass++;
	else if (topts.retval == XDP_DROP)
		n->drop++;
	else
		n->other++;
	if (verbose)
		printf("%llu %s (%u bytes)\n", n->total, verdict_name((int)topts.retval), len);
	return 0;
}

static void print_counts(const struct replay_opts *o, const struct replay_counts *n)
{
	struct json_object *obj;

	if (!o->json) {
		printf("pass %llu\ndrop %llu\nother %llu\ntotal %llu\n", n->pass, n->drop,
		       n->other, n->total);
		return;
	}
	obj = json_object_new_object();
	json_object_object_add(obj, "file", json_object_new_string(o->file));
	json_object_object_add(obj, "pin_path", json_object_new_string(o->pin_path));
	json_object_object_add(obj, "pass", json_object_new_int64((int64_t)n->pass));
	json_object_object_add(obj, "drop", json_object_new_int64((int64_t)n->drop));
	json_object_object_add(obj, "other", json_object_new_int64((int64_t)n->other));
	json_object_object_add(obj, "total", json_object_new_int64((int64_t)n->total));
	json_object_object_add(obj, "refused", json_object_new_int64((int64_t)n->refused));
	json_object_object_add(obj, "cut", json_object_new_int64((int64_t)n->cut));
	printf("%s\n", json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN));
	json_object_put(obj);
}

int main(int argc, char **argv)
{
	LIBBPF_OPTS(bpf_object_open_opts, open_opts);
	char errbuf[PCAP_ERRBUF_SIZE];
	struct replay_counts n = {};
	struct replay_opts o;
	struct pcap_pkthdr *h;
	struct xdp_ban_bpf *skel = NULL;
	struct banmap *bm = NULL;
	const u_char *data;
	pcap_t *pcap = NULL;
	int ret = EXIT_FAIL, err, rc, link;

	log__setup(0, LOG_WARN);
	libbpf_set_print(log__libbpf_print);
	err = parse_opts(argc, argv, &o);
	if (err)
		return err > 0 ? EXIT_OK : EXIT_USAGE;

	/* The capture first: a bad file changes nothing. */
	pcap = pcap_open_offline(o.file, errbuf);
	if (!pcap) {
		fprintf(stderr, "xdp-pcap-replay: %s\n", errbuf);
		return EXIT_USAGE;
	}
	link = pcap_datalink(pcap);
	if (link != DLT_EN10MB) {
		fprintf(stderr, "xdp-pcap-replay: %s: link type %s (%d) is not Ethernet; "
			"XDP sees Ethernet frames only\n", o.file,
			pcap_datalink_val_to_name(link) ? pcap_datalink_val_to_name(link) : "?",
			link);
		ret = EXIT_USAGE;
		goto out;
	}

	/* The maps, then the program on the same pins. */
	bm = open_maps(o.pin_path);
	if (!bm) {
		ret = errno == EINVAL ? EXIT_USAGE : EXIT_FAIL;
		goto out;
	}
	open_opts.pin_root_path = o.pin_path;
	skel = xdp_ban_bpf__open_opts(&open_opts);
	if (!skel) {
		err = -errno;
		fprintf(stderr, "xdp-pcap-replay: cannot open the BPF object: %s\n", strerror(-err));
		goto out;
	}
	err = mapsize__apply(skel->obj, o.pin_path);
	if (err) {
		fprintf(stderr, "xdp-pcap-replay: cannot size the maps: %s\n", strerror(-err));
		goto out;
	}
	err = xdp_ban_bpf__load(skel);
	if (err) {
		fprintf(stderr, "xdp-pcap-replay: cannot load the XDP program: %s\n", strerror(-err));
		goto out;
	}

	/* Every packet, in order. */
	while ((rc = pcap_next_ex(pcap, &h, &data)) == 1) {
		err = replay_one(bpf_program__fd(skel->progs.xdp_ban), h, data, &n, o.verbose);
		if (err) {
			fprintf(stderr, "xdp-pcap-replay: packet %llu: BPF_PROG_TEST_RUN: %s\n",
				n.total, strerror(-err));
			goto out;
		}
	}
	if (rc == PCAP_ERROR) {
		fprintf(stderr, "xdp-pcap-replay: %s: %s (after %llu packets)\n", o.file,
			pcap_geterr(pcap), n.total);
		ret = EXIT_USAGE;
		goto out;
	}
	if (n.refused)
		fprintf(stderr, "xdp-pcap-replay: %llu packet%s shorter than an Ethernet header "
			"counted as other\n", n.refused, n.refused > 1 ? "s" : "");
	if (n.cut)
		fprintf(stderr, "xdp-pcap-replay: %llu packet%s longer than %d bytes run cut "
			"to that length\n", n.cut, n.cut > 1 ? "s" : "", REPLAY_MAX_FRAME);
	print_counts(&o, &n);
	ret = EXIT_OK;
out:
	xdp_ban_bpf__destroy(skel);
	banmap__close(bm);
	if (pcap)
		pcap_close(pcap);
	return ret;
}
