/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* defroute.h - the network devices that carry the default route (iface = auto). */
#ifndef WARDEN_DEFROUTE_H
#define WARDEN_DEFROUTE_H

#include <stddef.h>

/* The --iface value that means "every device that carries a default route". */
#define DEFROUTE_AUTO "auto"

/*
 * The devices of this network namespace that carry a default route, IPv4
 * (/proc/net/route) or IPv6 (/proc/net/ipv6_route), loopback excepted,
 * each once, in the order found: names[i] gets IFNAMSIZ bytes. Returns how
 * many (at most max), or -errno when neither table can be read.
 */
int defroute__ifaces(char (*names)[16], int max);

#endif
