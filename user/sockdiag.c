// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* sockdiag.c - dump TCP sockets through NETLINK_SOCK_DIAG (what ss does), no privilege needed. */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>

#include "sockdiag.h"

#define RECV_BUF (64 * 1024)

/* One port condition of the kernel filter: sport >= p && sport <= p. */
#define BC_BLOCK 16
#define BC_JMP   4

int sockdiag__open(void)
{
	int fd;

	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return -errno;
	return fd;
}

/*
 * The inet_diag filter "sport is one of ports" (the bytecode ss builds for
 * "sport = :a or sport = :b"). Each block tests one port; failing a test
 * jumps past the block (and past the last one, len + 4, which rejects);
 * passing both falls into a JMP that always jumps to the end (accepts).
 * The kernel audits every jump against the chain of "yes" offsets.
 * Returns the length written (buf holds 20 bytes per port).
 */
static size_t build_port_filter(uint8_t *buf, const uint16_t *ports, size_t n)
{
	size_t len = n * BC_BLOCK + (n - 1) * BC_JMP, off = 0, i;
	struct inet_diag_bc_op *op;

	for (i = 0; i < n; i++) {
		op = (struct inet_diag_bc_op *)(buf + off);
		op[0] = (struct inet_diag_bc_op){ .code = INET_DIAG_BC_S_GE, .yes = 8,
						  .no = BC_BLOCK + BC_JMP };
		op[1] = (struct inet_diag_bc_op){ .no = ports[i] };
		op[2] = (struct inet_diag_bc_op){ .code = INET_DIAG_BC_S_LE, .yes = 8,
						  .no = BC_BLOCK + BC_JMP - 8 };
		op[3] = (struct inet_diag_bc_op){ .no = ports[i] };
		off += BC_BLOCK;
		if (i + 1 < n) {
			op = (struct inet_diag_bc_op *)(buf + off);
			*op = (struct inet_diag_bc_op){ .code = INET_DIAG_BC_JMP, .yes = 4,
							.no = (unsigned short)(len - off) };
			off += BC_JMP;
		}
	}
	return len;
}

static int send_request(int fd, int family, uint32_t states, bool info, const uint16_t *sports,
			size_t nports, uint32_t seq)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
	} *msg;
	struct sockaddr_nl nladdr = { .nl_family = AF_NETLINK };
	size_t bc_len, total;
	struct nlattr *attr;
	uint8_t *buf;
	ssize_t n;
	int err = 0;

	/* Room for the header, the request and the filter attribute. */
	bc_len = nports ? nports * BC_BLOCK + (nports - 1) * BC_JMP : 0;
	total = NLMSG_ALIGN(sizeof(*msg)) + (nports ? NLA_HDRLEN + NLA_ALIGN(bc_len) : 0);
	buf = calloc(1, total);
	if (!buf)
		return -ENOMEM;
	msg = (void *)buf;
	msg->nlh.nlmsg_len = total;
	msg->nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	msg->nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	msg->nlh.nlmsg_seq = seq;
	msg->req.sdiag_family = family;
	msg->req.sdiag_protocol = IPPROTO_TCP;
	msg->req.idiag_states = states;
	msg->req.idiag_ext = info ? 1 << (INET_DIAG_INFO - 1) : 0;
	if (nports) {
		attr = (struct nlattr *)(buf + NLMSG_ALIGN(sizeof(*msg)));
		attr->nla_type = INET_DIAG_REQ_BYTECODE;
		attr->nla_len = NLA_HDRLEN + bc_len;
		build_port_filter((uint8_t *)attr + NLA_HDRLEN, sports, nports);
	}
	n = sendto(fd, buf, total, 0, (struct sockaddr *)&nladdr, sizeof(nladdr));
	if (n < 0)
		err = -errno;
	else if ((size_t)n != total)
		err = -EIO;
	free(buf);
	return err;
}

/* Decode one SOCK_DIAG_BY_FAMILY answer. */
static void decode(const struct nlmsghdr *nlh, struct sockdiag_sock *s)
{
	const struct inet_diag_msg *m = NLMSG_DATA(nlh);
	const struct nlattr *attr;
	const struct tcp_info *ti;
	int rem;

	memset(s, 0, sizeof(*s));
	s->family = m->idiag_family;
	s->state = m->idiag_state;
	s->sport = ntohs(m->id.idiag_sport);
	s->dport = ntohs(m->id.idiag_dport);
	memcpy(s->saddr, m->id.idiag_src, 16);
	memcpy(s->daddr, m->id.idiag_dst, 16);
	s->rqueue = m->idiag_rqueue;
	s->wqueue = m->idiag_wqueue;
	s->inode = m->idiag_inode;
	s->uid = m->idiag_uid;
	s->cookie = (uint64_t)m->id.idiag_cookie[0] | (uint64_t)m->id.idiag_cookie[1] << 32;

	/* The attributes after the message: only INET_DIAG_INFO matters here. */
	rem = nlh->nlmsg_len - NLMSG_LENGTH(sizeof(*m));
	attr = (const struct nlattr *)((const char *)m + NLMSG_ALIGN(sizeof(*m)));
	while (rem >= NLA_HDRLEN && attr->nla_len >= NLA_HDRLEN && attr->nla_len <= rem) {
		if ((attr->nla_type & NLA_TYPE_MASK) == INET_DIAG_INFO) {
			size_t len = attr->nla_len - NLA_HDRLEN;

			ti = (const void *)((const char *)attr + NLA_HDRLEN);
			/* Older kernels send a shorter tcp_info: read what is there. */
			if (len >= offsetof(struct tcp_info, tcpi_pmtu)) {
				s->has_info = true;
				s->last_data_sent_ms = ti->tcpi_last_data_sent;
				s->last_data_recv_ms = ti->tcpi_last_data_recv;
			}
			if (len >= offsetof(struct tcp_info, tcpi_bytes_sent) + sizeof(ti->tcpi_bytes_sent))
				s->bytes_sent = ti->tcpi_bytes_sent;
			else if (len >= offsetof(struct tcp_info, tcpi_bytes_acked) +
					 sizeof(ti->tcpi_bytes_acked))
				s->bytes_sent = ti->tcpi_bytes_acked;
			if (len >= offsetof(struct tcp_info, tcpi_bytes_received) +
					   sizeof(ti->tcpi_bytes_received))
				s->bytes_received = ti->tcpi_bytes_received;
		}
		rem -= NLA_ALIGN(attr->nla_len);
		attr = (const struct nlattr *)((const char *)attr + NLA_ALIGN(attr->nla_len));
	}
}

int sockdiag__dump_tcp(int fd, int family, uint32_t states, bool info, const uint16_t *sports,
		       size_t nports, sockdiag_fn fn, void *ctx)
{
	static uint32_t seq_counter;
	uint32_t seq = ++seq_counter;
	struct sockdiag_sock s;
	struct nlmsghdr *nlh;
	int err, stop = 0;
	char *buf;
	ssize_t n;

	/* Jump offsets are 16 bits: far more ports than anyone listens on. */
	if (nports > 1024)
		return -E2BIG;
	err = send_request(fd, family, states, info, sports, nports, seq);
	if (err)
		return err;
	buf = malloc(RECV_BUF);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		n = recv(fd, buf, RECV_BUF, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		if (n == 0) {
			err = -EIO;
			break;
		}
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, (size_t)n); nlh = NLMSG_NEXT(nlh, n)) {
			/* Late answers of an earlier, abandoned dump. */
			if (nlh->nlmsg_seq != seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_DONE)
				goto out;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(nlh);

				if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
					err = -EIO;
				else
					err = e->error;
				goto out;
			}
			if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
			    nlh->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
				continue;
			/* After a callback said stop, drain the dump without calling it. */
			if (stop)
				continue;
			decode(nlh, &s);
			stop = fn(ctx, &s);
		}
	}
out:
	free(buf);
	if (err)
		return err;
	return stop;
}
