/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* sockdiag.h - dump TCP sockets through NETLINK_SOCK_DIAG (what ss does), no privilege needed. */
#ifndef WARDEN_SOCKDIAG_H
#define WARDEN_SOCKDIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* TCP states as bits for sockdiag__dump_tcp's states (1 << TCP_ESTABLISHED, ...). */
#define SOCKDIAG_ESTABLISHED (1u << 1)
#define SOCKDIAG_CLOSE_WAIT  (1u << 8)
#define SOCKDIAG_LISTEN      (1u << 10)

/* One socket as the kernel reports it. */
struct sockdiag_sock {
	uint8_t family;      /* AF_INET or AF_INET6 */
	uint8_t state;       /* TCP_ESTABLISHED, TCP_LISTEN, ... */
	uint16_t sport;      /* local port, host order */
	uint16_t dport;      /* remote port, host order */
	uint8_t saddr[16];   /* local address (IPv4: first 4 bytes) */
	uint8_t daddr[16];   /* remote address */
	uint32_t rqueue;     /* LISTEN: accept queue length; else bytes not read yet */
	uint32_t wqueue;     /* LISTEN: backlog; else bytes not acknowledged yet */
	uint32_t inode;      /* 0 for a connection not accepted yet */
	uint32_t uid;
	uint64_t cookie;     /* the kernel's socket cookie: stable for the socket's life */
	bool has_info;       /* the tcp_info fields below are valid */
	uint32_t last_data_sent_ms; /* since the socket last sent data (or was created) */
	uint32_t last_data_recv_ms; /* since it last received data (or was created) */
	uint64_t bytes_sent;        /* data bytes sent so far (acked where the kernel has no count) */
	uint64_t bytes_received;    /* data bytes received so far */
};

/* Called for each socket; a non-zero return stops the dump and is returned. */
typedef int (*sockdiag_fn)(void *ctx, const struct sockdiag_sock *s);

/* A NETLINK_SOCK_DIAG socket (close it with close()). fd or -errno. */
int sockdiag__open(void);

/*
 * Dump the TCP sockets of one family (AF_INET, AF_INET6) in the given
 * states (SOCKDIAG_* bits), with tcp_info when info is set. When nports > 0,
 * only sockets whose local port is one of sports (a filter run in the
 * kernel). 0, the callback's non-zero return, or -errno.
 */
int sockdiag__dump_tcp(int fd, int family, uint32_t states, bool info, const uint16_t *sports,
		       size_t nports, sockdiag_fn fn, void *ctx);

#endif
