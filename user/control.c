// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* control.c - the status socket of warden run, and its client (warden status). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"
#include "log.h"

struct control {
	int fd;
	control_status_fn fn;
	void *ctx;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

static int make_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	memcpy(sa->sun_path, path, strlen(path) + 1);
	return 0;
}

/* mkdir -p of the socket's folder. */
static void make_parent(const char *path)
{
	char dir[PATH_MAX], *p;

	snprintf(dir, sizeof(dir), "%s", path);
	p = strrchr(dir, '/');
	if (!p || p == dir)
		return;
	*p = '\0';
	for (p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(dir, 0755);
		*p = '/';
	}
	mkdir(dir, 0755);
}

struct control *control__open(const char *path, control_status_fn fn, void *ctx)
{
	struct sockaddr_un sa;
	struct control *c;
	int fd, err;

	err = make_addr(path, &sa);
	if (err) {
		errno = -err;
		return NULL;
	}
	make_parent(path);
	/* A socket that answers belongs to another warden: leave it alone. */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return NULL;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(fd);
		errno = EADDRINUSE;
		return NULL;
	}
	close(fd);
	unlink(path);

	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->fn = fn;
	c->ctx = ctx;
	snprintf(c->path, sizeof(c->path), "%s", path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd < 0 || bind(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(path, 0660) < 0 || listen(c->fd, 16) < 0) {
		err = errno;
		if (c->fd >= 0)
			close(c->fd);
		free(c);
		errno = err;
		return NULL;
	}
	return c;
}

void control__close(struct control *c)
{
	if (!c)
		return;
	close(c->fd);
	unlink(c->path);
	free(c);
}

int control__fd(const struct control *c)
{
	return c->fd;
}

void control__handle(struct control *c)
{
	struct json_object *status;
	const char *text;
	int client;

	while ((client = accept4(c->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
		/* The answer is small: it fits the socket buffer, so this never waits. */
		status = c->fn(c->ctx);
		text = json_object_to_json_string_ext(status, JSON_C_TO_STRING_PLAIN);
		if (send(client, text, strlen(text), MSG_DONTWAIT | MSG_NOSIGNAL) < 0 ||
		    send(client, "\n", 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
			pr_debug("status client went away: %s", strerror(errno));
		json_object_put(status);
		close(client);
	}
}

char *control__query(const char *path)
{
	struct sockaddr_un sa;
	size_t len = 0, cap = 4096;
	char *buf, *grown;
	ssize_t n;
	int fd, err;

	err = make_addr(path, &sa);
	if (err) {
		errno = -err;
		return NULL;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return NULL;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = errno;
		close(fd);
		errno = err;
		return NULL;
	}
	buf = malloc(cap);
	while (buf && (n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (len + 1 == cap) {
			cap *= 2;
			grown = realloc(buf, cap);
			if (!grown) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = grown;
		}
	}
	close(fd);
	if (buf)
		buf[len] = '\0';
	else
		errno = ENOMEM;
	return buf;
}
