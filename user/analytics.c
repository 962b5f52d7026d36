// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* analytics.c - one app's analytics: requests (paired with latencies measured apart) into roll-ups, written in batches. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analytics.h"
#include "fileutil.h"
#include "log.h"
#include "ring.h"
#include "rollup.h"
#include "timeutil.h"

/* A request waiting for its latency. */
struct pending_line {
	uint64_t line_ns;
	int64_t when;
	int status;
	uint32_t route, method_class; /* name numbers */
	char method[16];              /* as logged: the watcher's request line has it so */
	struct prefix client; /* family 0: none */
	size_t path_len;
	char path[ROLLUP_OUTLIER_PATH_LEN];
};

/* A latency waiting for its request. */
struct pending_latency {
	uint64_t answered_ns;
	uint64_t latency_ns;
	char head[80]; /* the request line as the app read it, "" when unknown */
};

struct analytics {
	struct rollup *rollup;     /* what waits for the next flush */
	struct analytics_db *db;
	/* Waiting to pair, oldest first; ANALYTICS_PAIR_MAX slots each, allocated on first use. */
	struct ring lines;         /* struct pending_line */
	struct ring lats;          /* struct pending_latency */
	struct analytics_stats stats; /* the pairing's and recording's; the rest is summed on demand */
};

struct analytics *analytics__open(const char *state_dir, uint64_t retention_ns, char *err,
				  size_t errlen)
{
	struct analytics *a;
	char *path = NULL;
	int rc;

	if (!state_dir || !*state_dir) {
		snprintf(err, errlen, "no state folder");
		errno = EINVAL;
		return NULL;
	}
	a = calloc(1, sizeof(*a));
	if (!a || !(a->rollup = rollup__new())) {
		free(a);
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	rc = file__mkdir_p(state_dir, 0750);
	if (rc) {
		snprintf(err, errlen, "%s: %s", state_dir, strerror(-rc));
		goto fail;
	}
	if (asprintf(&path, "%s/%s", state_dir, ANALYTICS_DB_NAME) < 0) {
		path = NULL;
		snprintf(err, errlen, "out of memory");
		rc = -ENOMEM;
		goto fail;
	}
	a->db = analytics_db__open(path, retention_ns, err, errlen);
	rc = -errno;
	free(path);
	if (!a->db)
		goto fail;
	return a;
fail:
	analytics__close(a);
	errno = -rc;
	return NULL;
}

static void pop_line(struct analytics *a, uint32_t i, double lat);

void analytics__close(struct analytics *a)
{
	size_t n;

	if (!a)
		return;
	while (a->lines.len)
		pop_line(a, 0, -1);
	if (a->db && analytics__flush(a, time(NULL))) {
		rollup__routes(a->rollup, &n);
		pr_warn("analytics: the last %zu roll-ups could not be written", n);
	}
	analytics_db__close(a->db);
	rollup__free(a->rollup);
	ring__free(&a->lines);
	ring__free(&a->lats);
	free(a);
}

void analytics__set_version(struct analytics *a, const char *version)
{
	if (a)
		rollup__set_version(a->rollup, version);
}

const struct analytics_stats *analytics__stats(struct analytics *a)
{
	const struct rollup_stats *rs = rollup__stats(a->rollup);
	const struct analytics_db_stats *ds = analytics_db__stats(a->db);

	/* The parts count the rest. */
	a->stats.dropped = rs->dropped;
	a->stats.outliers = rs->outliers;
	a->stats.flushes = ds->flushes;
	a->stats.flush_errors = ds->flush_errors;
	a->stats.prunes = ds->prunes;
	return &a->stats;
}

struct analytics_db *analytics__db(const struct analytics *a)
{
	return a->db;
}

const char *analytics__version(const struct analytics *a)
{
	return rollup__version(a->rollup);
}

/* ---- recording ---- */

static int status_checked(int status)
{
	return status < 100 || status > 599 ? 0 : status;
}

void analytics__record(struct analytics *a, const char *route, const char *method, int status,
		       const struct prefix *client, double latency_s, const char *path,
		       size_t path_len, time_t when)
{
	uint32_t r, m;

	if (!a)
		return;
	a->stats.recorded++;
	if (rollup__intern(a->rollup, route, method, &r, &m))
		rollup__add(a->rollup, r, m, status_checked(status), client, latency_s, path,
			    path_len, (int64_t)when);
}

/* ---- pairing lines with latencies measured elsewhere ---- */

/* Record waiting line i with lat (< 0: none) and take it out of the ring. */
static void pop_line(struct analytics *a, uint32_t i, double lat)
{
	const struct pending_line *l = ring__at(&a->lines, i);

	if (!l)
		return;
	if (lat >= 0)
		a->stats.paired++;
	else
		a->stats.unpaired++;
	rollup__add(a->rollup, l->route, l->method_class, l->status,
		    l->client.family ? &l->client : NULL, lat, l->path, l->path_len, l->when);
	ring__take(&a->lines, i);
}

static void pop_latency(struct analytics *a, uint32_t i)
{
	ring__take(&a->lats, i);
}

static uint64_t gap(uint64_t x, uint64_t y)
{
	return x > y ? x - y : y - x;
}

/*
 * Whether head, a request line as the app read it (maybe cut, bytes it
 * could not print as '?'), is the request of line l: 1 yes, -1 no, 0 when
 * head is unknown.
 */
static int same_request(const char *head, const struct pending_line *l)
{
	size_t ml = strlen(l->method), tl, i;
	const char *t;

	if (!head[0])
		return 0;
	if (!ml || strncmp(head, l->method, ml) || head[ml] != ' ')
		return -1;
	t = head + ml + 1;
	tl = strcspn(t, " ");
	/* Without a space after it, the target may have been cut: a prefix will do. */
	if (tl > l->path_len || (t[tl] == ' ' && tl != l->path_len))
		return -1;
	for (i = 0; i < tl; i++)
		if (t[i] != l->path[i] && t[i] != '?')
			return -1;
	return 1;
}

/* Whether waiting latency m goes with waiting line l. */
static bool pairs(const struct pending_latency *m, const struct pending_line *l)
{
	int same = same_request(m->head, l);

	if (same > 0)
		return gap(m->answered_ns, l->line_ns) <= ANALYTICS_PAIR_MATCH_NS;
	return same == 0 && gap(m->answered_ns, l->line_ns) <= ANALYTICS_PAIR_WINDOW_NS;
}

void analytics__pair_expire(struct analytics *a, uint64_t now_ns)
{
	if (!a)
		return;
	/* Entry 0 of a ring is always a live one: the oldest. */
	while (a->lines.len &&
	       ((struct pending_line *)ring__at(&a->lines, 0))->line_ns + ANALYTICS_PAIR_MATCH_NS < now_ns)
		pop_line(a, 0, -1);
	while (a->lats.len && ((struct pending_latency *)ring__at(&a->lats, 0))->answered_ns +
					  ANALYTICS_PAIR_MATCH_NS < now_ns) {
		a->stats.lost_latencies++;
		pop_latency(a, 0);
	}
}

static bool pair_alloc(struct analytics *a)
{
	if (!ring__ready(&a->lines) &&
	    ring__init(&a->lines, sizeof(struct pending_line), ANALYTICS_PAIR_MAX))
		return false;
	if (!ring__ready(&a->lats) &&
	    ring__init(&a->lats, sizeof(struct pending_latency), ANALYTICS_PAIR_MAX))
		return false;
	return true;
}

void analytics__record_pending(struct analytics *a, const char *route, const char *method,
			       int status, const struct prefix *client, const char *path,
			       size_t path_len, time_t when, uint64_t line_ns)
{
	struct pending_line *l;
	uint32_t i, r, m;
	size_t mlen;

	if (!a)
		return;
	if (!pair_alloc(a)) {
		analytics__record(a, route, method, status, client, -1, path, path_len, when);
		return;
	}
	a->stats.recorded++;
	if (!rollup__intern(a->rollup, route, method, &r, &m))
		return;
	analytics__pair_expire(a, line_ns);
	if (ring__full(&a->lines)) {
		/* Full: the oldest is recorded now, without a latency. */
		a->stats.overflow_lines++;
		pop_line(a, 0, -1);
	}
	l = ring__push(&a->lines);
	l->line_ns = line_ns;
	l->when = (int64_t)when;
	l->status = status_checked(status);
	l->route = r;
	l->method_class = m;
	mlen = method ? strnlen(method, sizeof(l->method) - 1) : 0;
	memcpy(l->method, method ? method : "", mlen);
	l->method[mlen] = '\0';
	if (client)
		l->client = *client;
	else
		memset(&l->client, 0, sizeof(l->client));
	l->path_len = path ? (path_len < sizeof(l->path) ? path_len : sizeof(l->path)) : 0;
	if (l->path_len)
		memcpy(l->path, path, l->path_len);
	/* A latency that came first: the oldest that goes with it. */
	for (i = 0; a->lats.live && i < a->lats.len; i++) {
		const struct pending_latency *lat = ring__at(&a->lats, i);

		if (lat && pairs(lat, l)) {
			pop_line(a, a->lines.len - 1, (double)lat->latency_ns / 1e9);
			pop_latency(a, i);
			return;
		}
	}
}

void analytics__latency(struct analytics *a, uint64_t answered_ns, uint64_t latency_ns,
			const char *request_line)
{
	struct pending_latency *m;
	uint32_t i;

	if (!a || !pair_alloc(a))
		return;
	analytics__pair_expire(a, answered_ns);
	if (ring__full(&a->lats)) {
		/* Full: the oldest is dropped. */
		a->stats.lost_latencies++;
		a->stats.overflow_latencies++;
		pop_latency(a, 0);
	}
	m = ring__push(&a->lats);
	m->answered_ns = answered_ns;
	m->latency_ns = latency_ns;
	snprintf(m->head, sizeof(m->head), "%s", request_line ? request_line : "");
	/* The oldest waiting line that goes with it. */
	for (i = 0; a->lines.live && i < a->lines.len; i++) {
		const struct pending_line *l = ring__at(&a->lines, i);

		if (l && pairs(m, l)) {
			pop_line(a, i, (double)latency_ns / 1e9);
			pop_latency(a, a->lats.len - 1);
			return;
		}
	}
}

/* ---- flushing ---- */

int analytics__flush(struct analytics *a, time_t now)
{
	int err;

	if (!a || !a->db)
		return 0;
	analytics__pair_expire(a, time__boot_ns());
	/* On failure the batch stays: the next flush tries again (records beyond the bounds are dropped). */
	err = analytics_db__write(a->db, a->rollup);
	if (err)
		return err;
	/* Yesterday's top clients stay in memory until today is over: a request may come late. */
	rollup__clear(a->rollup, time__day_start((int64_t)now) - 86400);
	if (analytics_db__prune_due(a->db, now))
		err = analytics_db__prune(a->db, now);
	return err;
}

int analytics__prune(struct analytics *a, time_t now)
{
	if (!a || !a->db)
		return -EINVAL;
	return analytics_db__prune(a->db, now);
}
