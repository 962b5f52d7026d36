// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* defroute.c - the network devices that carry the default route (iface = auto). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "defroute.h"

static int add(char (*names)[16], int n, int max, const char *name)
{
	int i;

	if (!strcmp(name, "lo") || strlen(name) >= 16)
		return n;
	for (i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return n;
	if (n < max)
		snprintf(names[n++], 16, "%s", name);
	return n;
}

int defroute__ifaces(char (*names)[16], int max)
{
	char line[512], dev[64], dest[64], mask[64];
	unsigned prefix;
	int n = 0, readable = 0;
	FILE *f;

	/* Iface Destination Gateway Flags RefCnt Use Metric Mask ...: 0.0.0.0/0 is the default. */
	f = fopen("/proc/net/route", "re");
	if (f) {
		readable++;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "%63s %63s %*s %*s %*s %*s %*s %63s", dev, dest, mask) == 3 &&
			    !strcmp(dest, "00000000") && !strcmp(mask, "00000000"))
				n = add(names, n, max, dev);
		fclose(f);
	}
	/* DEST PREFIX SRC SRCPREFIX NEXTHOP METRIC REF USE FLAGS DEVICE: ::/0 is the default. */
	f = fopen("/proc/net/ipv6_route", "re");
	if (f) {
		readable++;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "%63s %x %*s %*s %*s %*s %*s %*s %*s %63s", dest, &prefix,
				   dev) == 3 &&
			    prefix == 0 && !strcmp(dest, "00000000000000000000000000000000"))
				n = add(names, n, max, dev);
		fclose(f);
	}
	return readable ? n : -ENOENT;
}
