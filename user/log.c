// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* log.c - warden's own messages on stderr, prefixed so they never pass for the app's. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>

#include "log.h"

static int log_json;
static enum log_level log_max = LOG_INFO;

static const char *level_name[] = {
	[LOG_WARN] = "warn",
	[LOG_INFO] = "info",
	[LOG_DEBUG] = "debug",
};

void log__setup(int json, enum log_level max_level)
{
	log_json = json;
	log_max = max_level;
}

void log__vprintf(enum log_level level, const char *fmt, va_list ap)
{
	char msg[2048];
	size_t len;

	if (level > log_max)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* Messages are lines: one trailing newline is ours to add. */
	len = strlen(msg);
	while (len && msg[len - 1] == '\n')
		msg[--len] = '\0';

	if (log_json) {
		struct json_object *obj = json_object_new_object();
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		json_object_object_add(obj, "ts",
				       json_object_new_double(ts.tv_sec + ts.tv_nsec / 1e9));
		json_object_object_add(obj, "source", json_object_new_string("warden"));
		json_object_object_add(obj, "level", json_object_new_string(level_name[level]));
		json_object_object_add(obj, "msg", json_object_new_string(msg));
		fprintf(stderr, "%s\n",
			json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
							    JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(obj);
	} else {
		fprintf(stderr, "warden[%s]: %s\n", level_name[level], msg);
	}
}

void log__printf(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log__vprintf(level, fmt, ap);
	va_end(ap);
}

int log__libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	enum log_level ours = level == LIBBPF_WARN ? LOG_WARN :
			      level == LIBBPF_INFO ? LOG_DEBUG : LOG_DEBUG + 1;

	/* libbpf is chatty at info level; that is our debug. */
	if (ours > log_max)
		return 0;
	log__vprintf(ours > LOG_DEBUG ? LOG_DEBUG : ours, fmt, ap);
	return 0;
}
