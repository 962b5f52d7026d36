// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * probe.c - the client of tools/bench/supervise/run.sh: break the app, then
 * poll it until a new process serves, on CLOCK_MONOTONIC.
 *
 *   probe PORT pid                   print the pid that answers GET / (exit 1 if none)
 *   probe PORT crash WAIT_MS [POLL_US]
 *       GET / (the old pid), GET /crash; t0 = the /crash connection closed by
 *       the kernel as the process exits; then GET / every POLL_US (1000) until
 *       another pid answers, at most WAIT_MS.
 *   probe PORT block WAIT_MS [POLL_US]
 *       GET / (the old pid), GET /block on a connection kept open (the whole
 *       server blocks); t0 = the request sent; then the same polling.
 *
 * Prints one line: "ok old=PID new=PID ms=T attempts=N" or
 * "timeout old=PID ms=T attempts=N" (exit 3). A poll waits for its answer up
 * to 1 s: while the app hangs the request stays queued, and the kernel resets
 * it the moment the hung process is killed, so the wait costs no resolution.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int port;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int remaining(double deadline)
{
	double left = deadline - now_ms();

	return left <= 0 ? 0 : (int)left + 1;
}

/* A connected socket to the app (non-blocking), or -1; by deadline. */
static int dial(double deadline)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd, err = 0, one = 1;
	socklen_t len = sizeof(err);
	struct pollfd p;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return fd;
	if (errno != EINPROGRESS)
		goto fail;
	p = (struct pollfd){ .fd = fd, .events = POLLOUT };
	if (poll(&p, 1, remaining(deadline)) != 1)
		goto fail;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

static int send_get(int fd, const char *path)
{
	char req[256];
	int n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);

	return send(fd, req, n, MSG_NOSIGNAL) == n ? 0 : -1;
}

/* Read the answer until EOF; the pid of "up PID", 0 for another answer, -1 on error or time out. */
static long read_pid(int fd, double deadline)
{
	char buf[4096];
	size_t len = 0;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	const char *body;

	for (;;) {
		ssize_t n;

		if (poll(&p, 1, remaining(deadline)) != 1)
			return -1;
		n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		len += n;
		if (len == sizeof(buf) - 1)
			break;
	}
	buf[len] = 0;
	body = strstr(buf, "\r\n\r\n");
	if (!body)
		return len ? 0 : -1;
	body += 4;
	if (strncmp(body, "up ", 3))
		return 0;
	return strtol(body + 3, NULL, 10);
}

/* One GET /: the pid that answered, or <= 0. */
static long get_pid(double attempt_ms)
{
	double deadline = now_ms() + attempt_ms;
	int fd = dial(deadline);
	long pid;

	if (fd < 0)
		return -1;
	if (send_get(fd, "/") < 0) {
		close(fd);
		return -1;
	}
	pid = read_pid(fd, deadline);
	close(fd);
	return pid;
}

static void usage(void)
{
	fprintf(stderr, "usage: probe PORT pid | probe PORT crash|block WAIT_MS [POLL_US]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	long old, pid = -1;
	double t0, t1, deadline, wait_ms;
	long poll_us = 1000, attempts = 0;
	int fd;
	char c;

	if (argc < 3)
		usage();
	port = atoi(argv[1]);
	if (!strcmp(argv[2], "pid")) {
		pid = get_pid(2000);
		if (pid <= 0)
			return 1;
		printf("%ld\n", pid);
		return 0;
	}
	if (argc < 4 || (strcmp(argv[2], "crash") && strcmp(argv[2], "block")))
		usage();
	wait_ms = atof(argv[3]);
	if (argc > 4)
		poll_us = atol(argv[4]);

	old = get_pid(2000);
	if (old <= 0) {
		fprintf(stderr, "probe: the app does not answer\n");
		return 1;
	}
	fd = dial(now_ms() + 2000);
	if (fd < 0 || send_get(fd, argv[2][0] == 'c' ? "/crash" : "/block") < 0) {
		fprintf(stderr, "probe: cannot send the request\n");
		return 1;
	}
	if (argv[2][0] == 'c') {
		/* The process's exit closes the connection: EOF or a reset. */
		struct pollfd p = { .fd = fd, .events = POLLIN };

		for (;;) {
			ssize_t n;

			if (poll(&p, 1, 5000) != 1) {
				fprintf(stderr, "probe: /crash did not end the connection\n");
				return 1;
			}
			n = recv(fd, &c, 1, 0);
			if (n <= 0 && !(n < 0 && (errno == EAGAIN || errno == EINTR)))
				break;
		}
	}
	t0 = now_ms();
	deadline = t0 + wait_ms;
	while (now_ms() < deadline) {
		double left = deadline - now_ms();

		attempts++;
		pid = get_pid(left < 1000 ? left : 1000);
		if (pid > 0 && pid != old)
			break;
		pid = -1;
		usleep(poll_us);
	}
	t1 = now_ms();
	close(fd);
	if (pid > 0) {
		printf("ok old=%ld new=%ld ms=%.1f attempts=%ld\n", old, pid, t1 - t0, attempts);
		return 0;
	}
	printf("timeout old=%ld ms=%.1f attempts=%ld\n", old, t1 - t0, attempts);
	return 3;
}
