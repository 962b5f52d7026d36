/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* control.h - the status socket of warden run, and its client (warden status). */
#ifndef WARDEN_CONTROL_H
#define WARDEN_CONTROL_H

#include <json-c/json.h>

#define CONTROL_DEFAULT_PATH "/run/warden/warden.sock"

/* Builds the status answer; the control socket owns and frees what it returns. */
typedef struct json_object *(*control_status_fn)(void *ctx);

struct control;

/*
 * Listen on a unix socket at path (its folder is created; a stale socket
 * is replaced, a live one refused with -EADDRINUSE). NULL with errno set.
 */
struct control *control__open(const char *path, control_status_fn fn, void *ctx);
void control__close(struct control *c); /* removes the socket; accepts NULL */

/* The listening fd, for the caller's epoll. */
int control__fd(const struct control *c);

/* Answer every pending client: one JSON status object each, never blocking. */
void control__handle(struct control *c);

/* Client: the status JSON of the warden run listening at path (caller frees). NULL + errno. */
char *control__query(const char *path);

#endif
