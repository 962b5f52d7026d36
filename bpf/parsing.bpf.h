/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* parsing.bpf.h - cursor-based packet parsing that bounds-checks every access. */
#ifndef WARDEN_PARSING_BPF_H
#define WARDEN_PARSING_BPF_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* The cursor: where the next header starts. */
struct hdr_cursor {
	void *pos;
};

/* 802.1Q / 802.1ad tag as it follows the MAC addresses. */
struct vlan_hdr {
	__be16 h_vlan_TCI;
	__be16 h_vlan_encapsulated_proto;
};

#ifndef ETH_P_8021AD
#define ETH_P_8021AD 0x88A8
#endif

#define VLAN_MAX_DEPTH 2

static __always_inline int proto_is_vlan(__u16 h_proto)
{
	return h_proto == bpf_htons(ETH_P_8021Q) || h_proto == bpf_htons(ETH_P_8021AD);
}

/*
 * Parse Ethernet and up to VLAN_MAX_DEPTH VLAN tags. Returns the network
 * protocol in network byte order, or -1 if the frame is too short.
 * A frame with more tags than we follow returns the tag's protocol, which
 * the caller does not know and so passes.
 */
static __always_inline int parse_ethhdr(struct hdr_cursor *nh, void *data_end,
					struct ethhdr **ethhdr)
{
	struct ethhdr *eth = nh->pos;
	struct vlan_hdr *vlh;
	__u16 h_proto;
	int i;

	/* The Ethernet header must be whole. */
	if ((void *)(eth + 1) > data_end)
		return -1;
	nh->pos = eth + 1;
	*ethhdr = eth;
	h_proto = eth->h_proto;

	/* Walk the VLAN tags, each bounds-checked. */
#pragma unroll
	for (i = 0; i < VLAN_MAX_DEPTH; i++) {
		if (!proto_is_vlan(h_proto))
			break;
		vlh = nh->pos;
		if ((void *)(vlh + 1) > data_end)
			return -1;
		h_proto = vlh->h_vlan_encapsulated_proto;
		nh->pos = vlh + 1;
	}
	return h_proto;
}

/* Parse an IPv4 header, options included. Returns 0 or -1 if malformed. */
static __always_inline int parse_iphdr(struct hdr_cursor *nh, void *data_end,
				       struct iphdr **iphdr)
{
	struct iphdr *iph = nh->pos;
	int hdrsize;

	/* The fixed part first, then the length it claims (options included). */
	if ((void *)(iph + 1) > data_end)
		return -1;
	if (iph->version != 4)
		return -1;
	hdrsize = iph->ihl * 4;
	if (hdrsize < (int)sizeof(*iph))
		return -1;
	if (nh->pos + hdrsize > data_end)
		return -1;
	nh->pos += hdrsize;
	*iphdr = iph;
	return 0;
}

/*
 * Parse the fixed IPv6 header. The source address is all we need, so
 * extension headers (fragments included) do not have to be walked.
 */
static __always_inline int parse_ip6hdr(struct hdr_cursor *nh, void *data_end,
					struct ipv6hdr **ip6hdr)
{
	struct ipv6hdr *ip6h = nh->pos;

	if ((void *)(ip6h + 1) > data_end)
		return -1;
	if (ip6h->version != 6)
		return -1;
	nh->pos = ip6h + 1;
	*ip6hdr = ip6h;
	return 0;
}

/* What the transport header says, as far as throttling cares. */
enum l4_kind {
	L4_OTHER,   /* not TCP, or not parsed (fragment, extension header, truncated) */
	L4_TCP,     /* a TCP segment of a connection under way (no SYN, or SYN+ACK) */
	L4_TCP_SYN, /* SYN without ACK: a new connection */
};

/*
 * Classify the TCP header at the cursor, if proto says TCP follows. Only the
 * flags are read, bounds-checked; the cursor does not move. Anything else is
 * L4_OTHER, which the callers treat as "not a new connection" (fail open).
 */
static __always_inline int parse_tcp_kind(struct hdr_cursor *nh, void *data_end, int proto)
{
	struct tcphdr *tcp = nh->pos;

	if (proto != IPPROTO_TCP)
		return L4_OTHER;
	if ((void *)(tcp + 1) > data_end)
		return L4_OTHER;
	return tcp->syn && !tcp->ack ? L4_TCP_SYN : L4_TCP;
}

/* The transport protocol of an IPv4 packet, or -1 for a later fragment (no header). */
static __always_inline int ipv4_l4_proto(struct iphdr *iph)
{
	if (iph->frag_off & bpf_htons(0x1fff))
		return -1;
	return iph->protocol;
}

#endif /* WARDEN_PARSING_BPF_H */
