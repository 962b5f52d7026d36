// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* fleet.c - the fleet link: this host's bans out to Redis, the fleet's bans into the maps. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/async.h>
#include <json-c/json.h>
#include <hiredis/hiredis.h>

#include "banmap.h"
#include "config.h"
#include "fleet.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "timeutil.h"
#include "warden_metrics.h"

#define BACKOFF_MIN_NS (100 * NSEC_PER_MSEC)
#define BACKOFF_MAX_NS (2 * NSEC_PER_SEC) /* a Redis back from a restart is found within ~2 s */
#define XREAD_BLOCK_MS 1000                /* the reading connection answers at least this often */
#define REPLY_TIMEOUT_NS (5 * NSEC_PER_SEC) /* no answer this long: the link is down */
#define CLEAN_EVERY_NS (60 * NSEC_PER_SEC)  /* each agent cleans expired entries this often */
#define QUEUE_MAX 65536                     /* local bans kept while Redis is away */
#define INFLIGHT_MAX 512                    /* publishes pipelined at once */
#define XREAD_COUNT "4096"                  /* an agent that fell behind catches up in big steps */
#define FLEET_BATCH 1024                    /* bans written under one lock */
/*
 * After an answer that brought entries, the next XREAD waits this long: in a
 * ban storm each answer then brings every ban of the gap, applied in one go
 * (one wakeup, one lock, one batched update), instead of one answer, one
 * wakeup and one lock per ban in every agent, and Redis writes one reply
 * where it wrote several. It delays only a ban that follows another within
 * the gap: a lone ban finds the XREAD already waiting. Not longer: 25 ms
 * saved a third more CPU a ban, but on a busy machine each read then waits
 * for the scheduler twice (timer, answer) and the tails grew tenfold
 * (tools/bench/fleet/RESULTS.md).
 */
#define READ_GAP_NS (5 * NSEC_PER_MSEC)
#define READ_BUF_KEEP (1024 * 1024) /* a connection's read buffer is kept up to this size */
#define LOG_BURST 20 /* lines about single fleet bans a second; the rest summed up */

/* ---- hiredis on warden's loop (as hiredis's adapters/ae.h does for redis's ae) ---- */

struct redis_ev {
	struct loop *loop;
	redisAsyncContext *ac;
	int fd;
	bool reading, writing, registered;
};

static void redis_ev_ready(void *ctx, int fd, uint32_t events)
{
	struct redis_ev *e = ctx;

	(void)fd;
	/*
	 * One direction per call: either may free the context (and e with it).
	 * The loop is level-triggered, so the other comes in the next round.
	 */
	if (e->writing && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
		redisAsyncHandleWrite(e->ac);
	else if (e->reading)
		redisAsyncHandleRead(e->ac);
}

static void redis_ev_update(struct redis_ev *e)
{
	uint32_t mask = (e->reading ? EPOLLIN : 0) | (e->writing ? EPOLLOUT : 0);

	if (e->registered && !mask) {
		loop__del_fd(e->loop, e->fd);
		e->registered = false;
	} else if (e->registered) {
		loop__mod_fd(e->loop, e->fd, mask);
	} else if (mask) {
		e->registered = loop__add_fd(e->loop, e->fd, mask, redis_ev_ready, e) == 0;
	}
}

static void redis_ev_add_read(void *p)
{
	struct redis_ev *e = p;

	if (!e->reading) {
		e->reading = true;
		redis_ev_update(e);
	}
}

static void redis_ev_del_read(void *p)
{
	struct redis_ev *e = p;

	if (e->reading) {
		e->reading = false;
		redis_ev_update(e);
	}
}

static void redis_ev_add_write(void *p)
{
	struct redis_ev *e = p;

	if (!e->writing) {
		e->writing = true;
		redis_ev_update(e);
	}
}

static void redis_ev_del_write(void *p)
{
	struct redis_ev *e = p;

	if (e->writing) {
		e->writing = false;
		redis_ev_update(e);
	}
}

static void redis_ev_cleanup(void *p)
{
	struct redis_ev *e = p;

	e->reading = e->writing = false;
	redis_ev_update(e);
	free(e);
}

static int redis_ev_attach(struct loop *loop, redisAsyncContext *ac)
{
	struct redis_ev *e;

	if (ac->ev.data)
		return -EEXIST;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->loop = loop;
	e->ac = ac;
	e->fd = ac->c.fd;
	ac->ev.addRead = redis_ev_add_read;
	ac->ev.delRead = redis_ev_del_read;
	ac->ev.addWrite = redis_ev_add_write;
	ac->ev.delWrite = redis_ev_del_write;
	ac->ev.cleanup = redis_ev_cleanup;
	ac->ev.data = e;
	return 0;
}

/* ---- the link ---- */

enum link_state { LINK_DOWN, LINK_LOADING, LINK_UP };

struct fleet {
	struct loop *loop;
	const struct warden_config *cfg;
	struct banmap *bm;                /* NULL: dry-run */
	struct fleet_url url;
	char shown[600];                  /* the URL without its password */
	char origin[FLEET_ORIGIN_LEN];
	enum link_state state;
	redisAsyncContext *cmd, *sub;     /* writes; XREAD BLOCK */
	bool going_down;                  /* in link_down(): callbacks of the freed contexts are ignored */
	uint64_t backoff_ns;
	struct loop_timer *retry_timer, *tick_timer, *read_timer;
	uint64_t sub_waiting_ns;          /* monotonic time the XREAD was sent; 0: none waiting */
	uint64_t cmd_waiting_ns;          /* the oldest command without an answer; 0: none */
	uint64_t next_clean_ns;
	uint64_t last_tick_ns;            /* when on_tick() last ran */
	/* Local bans to publish: a ring, head first; the first inflight are sent. */
	struct fleet_msg *q;
	size_t cap, head, len, inflight;
	struct fleet_rate *rate;
	struct fleet_stats st;
	unsigned logged;                  /* lines about single bans this second */
	uint64_t unlogged, unlogged_unbans; /* not logged this second: refusals, unbans */
	struct ban_entry batch[FLEET_BATCH]; /* bans of the answer being read, not written yet */
	size_t n_batch;
	uint16_t batch_slot[2 * FLEET_BATCH]; /* open addressing on the targets: index + 1, 0 free */
	/* /metrics */
	struct metric_family *m_connected, *m_published, *m_received, *m_applied, *m_refused,
		*m_lag, *m_pending, *m_dropped, *m_connects;
};

static uint64_t now_ms(void)
{
	return (uint64_t)time__real_ns() / NSEC_PER_MSEC;
}

static void sync_metrics(struct fleet *f)
{
	const char *label[1];
	int i;

	if (!f->m_connected)
		return;
	metrics__set(f->m_connected, NULL, f->st.connected);
	metrics__set(f->m_published, NULL, (double)f->st.published);
	metrics__set(f->m_received, NULL, (double)f->st.received);
	metrics__set(f->m_applied, NULL, (double)f->st.applied);
	metrics__set(f->m_pending, NULL, (double)f->len);
	metrics__set(f->m_dropped, NULL, (double)f->st.dropped);
	metrics__set(f->m_connects, NULL, (double)f->st.connects);
	for (i = 0; i < FLEET_REFUSE__COUNT; i++) {
		label[0] = fleet_refusal__name(i);
		metrics__set(f->m_refused, label, (double)f->st.refused[i]);
	}
}

static void start_link(struct fleet *f);
static void pump(struct fleet *f);

/*
 * Drop both connections and try again after the backoff. Safe from any
 * callback: hiredis defers freeing a context that is in one of its callbacks.
 */
static void link_down(struct fleet *f, const char *why)
{
	redisAsyncContext *cmd = f->cmd, *sub = f->sub;

	if (f->going_down)
		return;
	f->going_down = true;
	if (f->state == LINK_UP)
		pr_warn("fleet %s: link down: %s; local bans are queued, retrying", f->shown, why);
	else if (strcmp(f->st.last_error, why))
		pr_warn("fleet %s: cannot connect: %s; retrying", f->shown, why);
	snprintf(f->st.last_error, sizeof(f->st.last_error), "%s", why);
	f->state = LINK_DOWN;
	f->st.connected = false;
	f->cmd = f->sub = NULL;
	if (cmd)
		redisAsyncFree(cmd);
	if (sub)
		redisAsyncFree(sub);
	f->inflight = 0; /* sent without an answer: sent again after the reconnect */
	loop__timer_arm(f->read_timer, 0, 0);
	f->sub_waiting_ns = f->cmd_waiting_ns = 0;
	f->going_down = false;
	/* +-25 % so that a fleet does not come back all in the same millisecond. */
	loop__timer_arm(f->retry_timer, f->backoff_ns * (75 + (uint64_t)(rand() % 51)) / 100, 0);
	f->backoff_ns = f->backoff_ns * 2 > BACKOFF_MAX_NS ? BACKOFF_MAX_NS : f->backoff_ns * 2;
	sync_metrics(f);
}

static bool ours(const struct fleet *f, const redisAsyncContext *ac)
{
	return ac && (ac == f->cmd || ac == f->sub);
}

static void on_connect(const redisAsyncContext *ac, int status)
{
	struct fleet *f = ac->data;

	if (status == REDIS_OK || !ours(f, ac))
		return;
	/* hiredis frees a context whose connection failed, after this callback. */
	if (ac == f->cmd)
		f->cmd = NULL;
	else
		f->sub = NULL;
	link_down(f, ac->errstr[0] ? ac->errstr : "connection failed");
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
	struct fleet *f = ac->data;

	(void)status;
	if (!ours(f, ac))
		return;
	if (ac == f->cmd)
		f->cmd = NULL;
	else
		f->sub = NULL;
	link_down(f, ac->errstr[0] ? ac->errstr : "Redis closed the connection");
}

/* AUTH and SELECT: an error ends the link (wrong password, no such database). */
static void on_hello(redisAsyncContext *ac, void *r, void *priv)
{
	struct fleet *f = ac->data;
	redisReply *reply = r;
	char why[200];

	if (!reply || !ours(f, ac))
		return;
	if (reply->type == REDIS_REPLY_ERROR) {
		snprintf(why, sizeof(why), "%s: %s", (const char *)priv, reply->str);
		link_down(f, why);
	}
}

static redisAsyncContext *connect_one(struct fleet *f)
{
	redisAsyncContext *ac = redisAsyncConnect(f->url.host, f->url.port);

	if (!ac)
		return NULL;
	if (ac->err || redis_ev_attach(f->loop, ac)) {
		redisAsyncFree(ac);
		return NULL;
	}
	ac->data = f;
	/*
	 * hiredis frees its read buffer once it is empty and over 16 KB, and
	 * makes it again for the next answer: in a ban storm, every answer,
	 * and glibc then sorts every freed reply object (malloc_consolidate)
	 * to serve that large request. Kept up to READ_BUF_KEEP instead.
	 */
	ac->c.reader->maxbuf = READ_BUF_KEEP;
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	/* Queued now, sent as soon as the connection is made. */
	if (f->url.password[0]) {
		if (f->url.user[0])
			redisAsyncCommand(ac, on_hello, (void *)"AUTH", "AUTH %s %s", f->url.user,
					  f->url.password);
		else
			redisAsyncCommand(ac, on_hello, (void *)"AUTH", "AUTH %s", f->url.password);
	}
	if (f->url.db)
		redisAsyncCommand(ac, on_hello, (void *)"SELECT", "SELECT %d", f->url.db);
	return ac;
}

/* ---- applying the fleet's bans ---- */

/* Why target must not be banned here: local rules win. 1 with why, or 0. */
static int local_refusal(struct fleet *f, const struct prefix *target, char *why, size_t len)
{
	int i;

	if (f->bm && banmap__refusal(f->bm, target, why, len))
		return 1;
	if (prefix__is_loopback(target)) {
		snprintf(why, len, "loopback");
		return 1;
	}
	for (i = 0; i < f->cfg->n_ignore; i++)
		if (prefix__overlaps(&f->cfg->ignore[i], target)) {
			snprintf(why, len, "ignoreip");
			return 1;
		}
	for (i = 0; i < f->cfg->n_priority; i++)
		if (prefix__overlaps(&f->cfg->priority[i], target)) {
			snprintf(why, len, "a priority peer");
			return 1;
		}
	return 0;
}

/*
 * Whether a line about one fleet ban may be logged: LOG_BURST a second, so
 * that a storm (a member over its rate, thousands of unbans) is summed up
 * once a second by log_summary() instead of a line a ban.
 */
static bool may_log(struct fleet *f)
{
	return f->logged < LOG_BURST && ++f->logged;
}

static void log_summary(struct fleet *f)
{
	if (f->unlogged || f->unlogged_unbans)
		pr_info("fleet: in the last second, %llu more refused (warden_fleet_refused_total "
			"by reason) and %llu more unbanned, not logged one by one",
			(unsigned long long)f->unlogged, (unsigned long long)f->unlogged_unbans);
	f->logged = 0;
	f->unlogged = f->unlogged_unbans = 0;
}

static void refuse(struct fleet *f, enum fleet_refusal r, const struct fleet_msg *m,
		   const char *why)
{
	char t[PREFIX_STRLEN];

	f->st.refused[r]++;
	if (!may_log(f)) {
		f->unlogged++;
		return;
	}
	pr_info("fleet: refused %s %s from %s: %s", m->op == FLEET_UNBAN ? "unban of" : "ban of",
		prefix__format(&m->target, t, sizeof(t)), m->origin[0] ? m->origin : "?", why);
}

/*
 * The bans gathered from one answer, written under one lock in batched
 * updates, never shortening a ban already there (one lookup a ban, inside).
 */
static void flush(struct fleet *f)
{
	size_t written;
	int err;

	if (!f->n_batch)
		return;
	err = banmap__ban_entries_longer(f->bm, f->batch, f->n_batch, &written);
	if (err)
		pr_warn("fleet: cannot write %zu ban%s: %s", f->n_batch, f->n_batch == 1 ? "" : "s",
			strerror(-err));
	else
		f->st.applied += written;
	f->n_batch = 0;
	memset(f->batch_slot, 0, sizeof(f->batch_slot));
}

/*
 * Whether target is in the batch already; if not, its slot is taken for
 * index n_batch. A hash, not a scan: an agent catching up reads thousands
 * of bans an answer.
 */
static bool batch_has(struct fleet *f, const struct prefix *target)
{
	size_t mask = sizeof(f->batch_slot) / sizeof(f->batch_slot[0]) - 1, i;
	size_t n = target->family == 4 ? 4 : 16, h = (2166136261u ^ target->prefixlen) * 16777619u;

	_Static_assert(!(2 * FLEET_BATCH & (2 * FLEET_BATCH - 1)), "a power of two");
	/* FNV-1a over what prefix__equal() compares. */
	for (i = 0; i < n; i++)
		h = (h ^ target->addr[i]) * 16777619u;
	for (i = h & mask; f->batch_slot[i]; i = (i + 1) & mask)
		if (prefix__equal(&f->batch[f->batch_slot[i] - 1].target, target))
			return true;
	f->batch_slot[i] = (uint16_t)(f->n_batch + 1);
	return false;
}

/* A fleet ban for the maps (written by flush()). */
static void apply_ban(struct fleet *f, const struct fleet_msg *m, uint64_t now_wall_ms)
{
	uint64_t boot = time__boot_ns(), expires = 0;
	struct ban_entry *e;
	char t[PREFIX_STRLEN];

	if (m->exp_ms)
		expires = boot + (m->exp_ms - now_wall_ms) * NSEC_PER_MSEC;
	if (!f->bm) {
		pr_info("dry-run: fleet: would ban %s (from %s): %s",
			prefix__format(&m->target, t, sizeof(t)), m->origin, m->reason);
		return;
	}
	if (f->n_batch == FLEET_BATCH)
		flush(f);
	/* The same target twice in one answer: the first goes in first. */
	if (batch_has(f, &m->target)) {
		flush(f);
		batch_has(f, &m->target);
	}
	e = &f->batch[f->n_batch++];
	memset(e, 0, sizeof(*e));
	e->target = m->target;
	e->expires_ns = expires;
	e->source = BAN_SOURCE_FLEET; /* a local ban lengthened stays local (flush()) */
	snprintf(e->reason, sizeof(e->reason), "fleet %.24s: %.*s", m->origin,
		 WARDEN_REASON_LEN - 40, m->reason);
}

/* An unban lifts a ban made before it was decided, never one made after. */
static void apply_unban(struct fleet *f, const struct fleet_msg *m, uint64_t now_wall_ms)
{
	uint64_t boot = time__boot_ns(), created_ms;
	struct ban_info cur;
	char t[PREFIX_STRLEN];

	if (f->bm)
		flush(f); /* a ban of this answer before its unban */
	if (!f->bm || banmap__get(f->bm, &m->target, &cur))
		return;
	created_ms = now_wall_ms - (boot - cur.created_ns) / NSEC_PER_MSEC;
	if (cur.created_ns && created_ms > m->at_ms) {
		refuse(f, FLEET_REFUSE_STALE, m, "the ban here is newer than the unban");
		return;
	}
	if (banmap__unban(f->bm, &m->target) == 0) {
		f->st.applied++;
		if (may_log(f))
			pr_info("fleet: unbanned %s (by %s)",
				prefix__format(&m->target, t, sizeof(t)), m->origin);
		else
			f->unlogged_unbans++;
	}
}

/* One change read from the stream, or a live ban loaded at connect (then not rate-limited). */
static void handle(struct fleet *f, const struct fleet_msg *m, bool loading)
{
	uint64_t now = now_ms();
	char why[256];

	if (!strcmp(m->origin, f->origin))
		return; /* our own: applied when decided */
	f->st.received++;
	if (!fleet_msg__long_enough(m, f->cfg->fleet_min_prefix4, f->cfg->fleet_min_prefix6)) {
		snprintf(why, sizeof(why), "shorter than /%d", m->target.family == 4 ?
			 f->cfg->fleet_min_prefix4 : f->cfg->fleet_min_prefix6);
		refuse(f, FLEET_REFUSE_SHORT_PREFIX, m, why);
		return;
	}
	if (m->op == FLEET_BAN && m->exp_ms && m->exp_ms <= now) {
		f->st.refused[FLEET_REFUSE_STALE]++; /* expired on its way: nothing to say */
		return;
	}
	/* Bans and unbans alike: a member gone wrong can neither flood nor lift everything. */
	if (!loading && !fleet_rate__allow(f->rate, m->origin, time__mono_ns())) {
		snprintf(why, sizeof(why), "%s is over %u changes a minute", m->origin,
			 f->cfg->fleet_rate);
		refuse(f, FLEET_REFUSE_RATE, m, why);
		return;
	}
	if (m->op == FLEET_UNBAN) {
		apply_unban(f, m, now);
		return;
	}
	if (local_refusal(f, &m->target, why, sizeof(why))) {
		refuse(f, FLEET_REFUSE_LOCAL, m, why);
		return;
	}
	apply_ban(f, m, now);
	if (loading)
		return;
	f->st.last_lag_s = now > m->at_ms ? (double)(now - m->at_ms) / 1e3 : 0;
	if (f->m_lag)
		metrics__observe(f->m_lag, NULL, f->st.last_lag_s);
}

/* The fields of a stream entry: [id, [name, value, ...]]. */
static void handle_entry(struct fleet *f, const redisReply *e)
{
	const char *names[16], *values[16];
	size_t nl[16], vl[16], n = 0, i;
	const redisReply *kv;
	struct fleet_msg m;
	char err[128];
	bool bad;

	if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
	    e->element[0]->type != REDIS_REPLY_STRING)
		return;
	kv = e->element[1];
	/* A flat list of at most 16 names and values, all strings. */
	bad = kv->type != REDIS_REPLY_ARRAY || kv->elements % 2 || kv->elements > 32;
	for (i = 0; !bad && i < kv->elements; i += 2, n++) {
		bad = kv->element[i]->type != REDIS_REPLY_STRING ||
		      kv->element[i + 1]->type != REDIS_REPLY_STRING;
		names[n] = kv->element[i]->str;
		nl[n] = kv->element[i]->len;
		values[n] = kv->element[i + 1]->str;
		vl[n] = kv->element[i + 1]->len;
	}
	if (bad)
		snprintf(err, sizeof(err), "not a list of fields");
	if (bad || fleet_msg__parse(names, nl, values, vl, n, &m, err, sizeof(err))) {
		f->st.refused[FLEET_REFUSE_MALFORMED]++;
		if (may_log(f))
			pr_info("fleet: refused entry %s: %s", e->element[0]->str, err);
		else
			f->unlogged++;
	} else {
		handle(f, &m, false);
	}
	snprintf(f->st.last_id, sizeof(f->st.last_id), "%s", e->element[0]->str);
}

static void read_stream(struct fleet *f);

static void on_xread(redisAsyncContext *ac, void *r, void *priv)
{
	struct fleet *f = ac->data;
	redisReply *reply = r;
	size_t i, j, n = 0;

	(void)priv;
	if (!reply || !ours(f, ac))
		return;
	f->sub_waiting_ns = 0;
	if (reply->type == REDIS_REPLY_ERROR) {
		link_down(f, reply->str);
		return;
	}
	/* [[key, [entry, ...]]], or nil when BLOCK ran out. */
	if (reply->type == REDIS_REPLY_ARRAY)
		for (i = 0; i < reply->elements; i++) {
			const redisReply *s = reply->element[i];

			if (s->type != REDIS_REPLY_ARRAY || s->elements != 2 ||
			    s->element[1]->type != REDIS_REPLY_ARRAY)
				continue;
			for (j = 0; j < s->element[1]->elements; j++, n++)
				handle_entry(f, s->element[1]->element[j]);
		}
	flush(f);
	sync_metrics(f);
	if (n)
		loop__timer_arm(f->read_timer, READ_GAP_NS, 0);
	else
		read_stream(f);
}

static void on_read_gap(void *ctx)
{
	read_stream(ctx);
}

static void read_stream(struct fleet *f)
{
	char key[FLEET_PREFIX_LEN + 8], block[16];

	if (f->state != LINK_UP || !f->sub || f->sub_waiting_ns)
		return;
	snprintf(key, sizeof(key), "%s:log", f->cfg->fleet_prefix);
	snprintf(block, sizeof(block), "%d", XREAD_BLOCK_MS);
	if (redisAsyncCommand(f->sub, on_xread, NULL, "XREAD BLOCK %s COUNT " XREAD_COUNT
			      " STREAMS %s %s", block, key, f->st.last_id) == REDIS_OK)
		f->sub_waiting_ns = time__mono_ns();
}

/* ---- the live set, at connect ---- */

static int cmp_prefix(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct prefix));
}

struct reconcile_ctx {
	const struct prefix *live;
	size_t n;
	struct prefix *gone;
	size_t n_gone, cap;
	uint64_t now_ns;
};

static int collect_gone(const struct ban_info *b, void *arg)
{
	struct reconcile_ctx *c = arg;
	struct prefix key = b->target;

	if (b->source != BAN_SOURCE_FLEET || !ban_info__live(b, c->now_ns))
		return 0;
	if (bsearch(&key, c->live, c->n, sizeof(key), cmp_prefix))
		return 0;
	if (c->n_gone == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct prefix *p = realloc(c->gone, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		c->gone = p;
		c->cap = cap;
	}
	c->gone[c->n_gone++] = key;
	return 0;
}

/* Fleet bans in the maps that the fleet no longer has (unbanned while we were away) leave. */
static void reconcile(struct fleet *f, struct prefix *live, size_t n)
{
	struct reconcile_ctx c = { .live = live, .n = n, .now_ns = time__boot_ns() };
	size_t i;

	if (!f->bm)
		return;
	qsort(live, n, sizeof(*live), cmp_prefix);
	banmap__foreach_ban(f->bm, collect_gone, &c);
	for (i = 0; i < c.n_gone; i++)
		banmap__unban(f->bm, &c.gone[i]);
	if (c.n_gone)
		pr_info("fleet: lifted %zu fleet ban%s the fleet no longer holds", c.n_gone,
			c.n_gone == 1 ? "" : "s");
	free(c.gone);
}

/* "ORIGIN\nAT\nREASON" and the score into a message; 0 or -EINVAL. */
static int loaded_msg(const redisReply *t, const redisReply *score, const redisReply *det,
		      struct fleet_msg *m, char *err, size_t errlen)
{
	const char *names[] = { "op", "target", "exp", "origin", "at", "reason" };
	const char *values[6];
	size_t nl[6], vl[6], i;
	const char *nl1, *nl2;
	char exp[24];

	if (t->type != REDIS_REPLY_STRING || score->type != REDIS_REPLY_STRING ||
	    det->type != REDIS_REPLY_STRING || !(nl1 = memchr(det->str, '\n', det->len)) ||
	    !(nl2 = memchr(nl1 + 1, '\n', det->len - (size_t)(nl1 + 1 - det->str)))) {
		snprintf(err, errlen, "not a live ban");
		return -EINVAL;
	}
	/* Scores are "inf" for permanent bans, else the expiry in ms (maybe as "1.7e12"). */
	if (!strcmp(score->str, "inf"))
		snprintf(exp, sizeof(exp), "0");
	else
		snprintf(exp, sizeof(exp), "%.0f", strtod(score->str, NULL));
	values[0] = "ban";
	values[1] = t->str;
	values[2] = exp;
	values[3] = det->str;
	values[4] = nl1 + 1;
	values[5] = nl2 + 1;
	vl[1] = t->len;
	vl[3] = (size_t)(nl1 - det->str);
	vl[4] = (size_t)(nl2 - nl1 - 1);
	vl[5] = det->len - (size_t)(nl2 + 1 - det->str);
	vl[0] = 3;
	vl[2] = strlen(exp);
	for (i = 0; i < 6; i++)
		nl[i] = strlen(names[i]);
	return fleet_msg__parse(names, nl, values, vl, 6, m, err, errlen);
}

static void on_load(redisAsyncContext *ac, void *r, void *priv)
{
	struct fleet *f = ac->data;
	redisReply *reply = r;
	struct prefix *live = NULL;
	size_t i, n = 0, before;
	struct fleet_msg m;
	char err[128];

	(void)priv;
	if (!reply || !ours(f, ac))
		return;
	f->cmd_waiting_ns = 0;
	if (reply->type == REDIS_REPLY_ERROR || reply->type != REDIS_REPLY_ARRAY ||
	    reply->elements < 1 || reply->element[0]->type != REDIS_REPLY_STRING) {
		link_down(f, reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected answer");
		return;
	}
	if (!strcmp(reply->element[0]->str, "load") && reply->elements >= 2) {
		/*
		 * Fleet bans in our maps the live set lacks were unbanned while this
		 * agent was not running: lifted at its start. After a gap in a
		 * running agent (the stream trimmed past us, or a Redis that lost its
		 * data) nothing is lifted: they expire on their own, no ban is lost.
		 */
		bool at_start = f->st.connects == 0;

		before = f->st.applied;
		snprintf(f->st.last_id, sizeof(f->st.last_id), "%s", reply->element[1]->str);
		live = calloc((reply->elements - 2) / 3 + 1, sizeof(*live));
		for (i = 2; i + 2 < reply->elements; i += 3) {
			if (loaded_msg(reply->element[i], reply->element[i + 1],
				       reply->element[i + 2], &m, err, sizeof(err))) {
				f->st.refused[FLEET_REFUSE_MALFORMED]++;
				continue;
			}
			if (live)
				live[n++] = m.target;
			handle(f, &m, true);
		}
		flush(f);
		if (live && at_start)
			reconcile(f, live, n);
		free(live);
		f->st.loaded = f->st.applied - before;
		pr_info("fleet %s: loaded the live set: %zu ban%s, %llu applied here", f->shown, n,
			n == 1 ? "" : "s", (unsigned long long)f->st.loaded);
	}
	f->state = LINK_UP;
	f->st.connected = true;
	f->st.connects++;
	f->st.last_error[0] = '\0';
	f->backoff_ns = BACKOFF_MIN_NS;
	pr_info("fleet %s: connected as %s, reading from %s", f->shown, f->origin, f->st.last_id);
	read_stream(f);
	pump(f);
	sync_metrics(f);
}

static void send_load(struct fleet *f)
{
	struct fleet_args a;
	int argc = fleet_msg__load_args(f->cfg->fleet_prefix, f->st.last_id, &a);

	/* No stream entry applied yet: "" asks for the live set. */
	if (!strcmp(f->st.last_id, "0-0") || !f->st.last_id[0])
		a.argv[7] = "", a.lens[7] = 0;
	redisAsyncCommandArgv(f->cmd, on_load, NULL, argc, a.argv, a.lens);
	f->cmd_waiting_ns = time__mono_ns();
}

static void start_link(struct fleet *f)
{
	f->cmd = connect_one(f);
	f->sub = f->cmd ? connect_one(f) : NULL;
	if (!f->cmd || !f->sub) {
		link_down(f, "cannot create a connection");
		return;
	}
	f->state = LINK_LOADING;
	send_load(f);
}

static void on_retry(void *ctx)
{
	start_link(ctx);
}

/* ---- publishing ---- */

static void on_published(redisAsyncContext *ac, void *r, void *priv)
{
	struct fleet *f = ac->data;
	redisReply *reply = r;
	char t[PREFIX_STRLEN];

	(void)priv;
	if (!reply || !ours(f, ac) || !f->inflight)
		return;
	if (reply->type == REDIS_REPLY_ERROR)
		pr_warn("fleet: cannot publish the ban of %s: %s",
			prefix__format(&f->q[f->head].target, t, sizeof(t)), reply->str);
	else if (reply->type == REDIS_REPLY_STRING)
		f->st.published++;
	/* nil: it expired while it waited; nothing to publish. */
	f->head = (f->head + 1) % f->cap;
	f->len--;
	f->inflight--;
	f->cmd_waiting_ns = f->inflight ? time__mono_ns() : 0;
	pump(f);
	sync_metrics(f);
}

static void pump(struct fleet *f)
{
	struct fleet_args a;
	int argc;

	while (f->state == LINK_UP && f->cmd && f->inflight < f->len && f->inflight < INFLIGHT_MAX) {
		argc = fleet_msg__script_args(&f->q[(f->head + f->inflight) % f->cap],
					      f->cfg->fleet_prefix, &a);
		if (redisAsyncCommandArgv(f->cmd, on_published, NULL, argc, a.argv, a.lens) !=
		    REDIS_OK)
			break;
		if (!f->inflight)
			f->cmd_waiting_ns = time__mono_ns();
		f->inflight++;
	}
}

static int queue_push(struct fleet *f, const struct fleet_msg *m)
{
	if (f->len == f->cap && f->cap < QUEUE_MAX) {
		size_t cap = f->cap ? f->cap * 2 : 64, i;
		struct fleet_msg *q = malloc(cap * sizeof(*q));

		if (!q)
			return -ENOMEM;
		for (i = 0; i < f->len; i++)
			q[i] = f->q[(f->head + i) % f->cap];
		free(f->q);
		f->q = q;
		f->cap = cap;
		f->head = 0;
	}
	if (f->len == f->cap) {
		/* Full (Redis away for long): the oldest not in flight gives its place (order matters not). */
		if (f->inflight == f->len)
			return -ENOBUFS;
		f->st.dropped++;
		f->q[(f->head + f->inflight) % f->cap] = *m;
		return 0;
	}
	f->q[(f->head + f->len) % f->cap] = *m;
	f->len++;
	return 0;
}

void fleet__publish_ban(struct fleet *f, const struct prefix *target, uint64_t expires_ns,
			const char *reason)
{
	uint64_t boot = time__boot_ns(), now = now_ms();
	struct fleet_msg m = { .op = FLEET_BAN, .target = *target, .at_ms = now };

	if (!f)
		return;
	if (expires_ns)
		m.exp_ms = now + (expires_ns > boot ? (expires_ns - boot) / NSEC_PER_MSEC : 0);
	snprintf(m.origin, sizeof(m.origin), "%s", f->origin);
	fleet_msg__clean_text(reason ? reason : "", m.reason, sizeof(m.reason));
	if (queue_push(f, &m))
		f->st.dropped++;
	f->st.pending = f->len;
	pump(f);
	sync_metrics(f);
}

/* ---- upkeep ---- */

static void on_tick(void *ctx)
{
	struct fleet *f = ctx;
	uint64_t now = time__mono_ns();
	struct fleet_args a;
	int argc;

	/*
	 * A tick this late means our own loop was stalled (a long callback, a
	 * starved CPU): answers may be waiting unread in the sockets, so the
	 * waits start again rather than blame Redis.
	 */
	if (now - f->last_tick_ns > 2 * NSEC_PER_SEC) {
		if (f->sub_waiting_ns)
			f->sub_waiting_ns = now;
		if (f->cmd_waiting_ns)
			f->cmd_waiting_ns = now;
	}
	f->last_tick_ns = now;
	log_summary(f);
	if (f->state != LINK_DOWN &&
	    ((f->sub_waiting_ns &&
	      now - f->sub_waiting_ns > XREAD_BLOCK_MS * NSEC_PER_MSEC + REPLY_TIMEOUT_NS) ||
	     (f->cmd_waiting_ns && now - f->cmd_waiting_ns > REPLY_TIMEOUT_NS))) {
		link_down(f, "Redis stopped answering");
		return;
	}
	/* Every agent cleans now and then, at its own time: no agent is in charge. */
	if (f->state == LINK_UP && now >= f->next_clean_ns) {
		argc = fleet_msg__load_args(f->cfg->fleet_prefix, NULL, &a);
		redisAsyncCommandArgv(f->cmd, NULL, NULL, argc, a.argv, a.lens);
		f->next_clean_ns = now + CLEAN_EVERY_NS + (uint64_t)(rand() % 10000) * NSEC_PER_MSEC;
	}
	f->st.pending = f->len;
	sync_metrics(f);
}

static void add_metrics(struct fleet *f, struct warden_metrics *wm)
{
	static const char *const reason[] = { "reason", NULL };
	static const double lag_bounds[] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
					     0.1,   0.25,   0.5,   1,    5 };
	struct metrics *m = wmetrics__registry(wm);

	if (!m)
		return;
	f->m_connected = metrics__gauge(m, "warden_fleet_connected",
					"1 when the fleet link is up and the live set loaded", NULL);
	f->m_published = metrics__counter(m, "warden_fleet_published_total",
					  "bans of this host published to the fleet", NULL);
	f->m_received = metrics__counter(m, "warden_fleet_received_total",
					 "changes from other hosts read from the fleet", NULL);
	f->m_applied = metrics__counter(m, "warden_fleet_applied_total",
					"fleet bans and unbans written into the maps", NULL);
	f->m_refused = metrics__counter(m, "warden_fleet_refused_total",
					"fleet changes not applied, by reason", reason);
	f->m_lag = metrics__histogram(m, "warden_fleet_lag_seconds",
				      "from a ban decided elsewhere to applied here", NULL, lag_bounds,
				      sizeof(lag_bounds) / sizeof(lag_bounds[0]));
	f->m_pending = metrics__gauge(m, "warden_fleet_pending",
				      "local bans waiting for Redis to be published", NULL);
	f->m_dropped = metrics__counter(m, "warden_fleet_dropped_total",
					"local bans never published: the queue was full", NULL);
	f->m_connects = metrics__counter(m, "warden_fleet_connects_total",
					 "connections to the fleet's Redis made", NULL);
	if (!f->m_connected || !f->m_published || !f->m_received || !f->m_applied ||
	    !f->m_refused || !f->m_lag || !f->m_pending || !f->m_dropped || !f->m_connects)
		f->m_connected = NULL; /* half a set is not shown */
}

struct fleet *fleet__new(struct loop *loop, const struct warden_config *cfg, struct banmap *bm,
			 struct warden_metrics *m, char *err, size_t errlen)
{
	struct fleet *f = calloc(1, sizeof(*f));
	int ret;

	if (!f)
		return NULL;
	f->loop = loop;
	f->cfg = cfg;
	f->bm = bm;
	f->backoff_ns = BACKOFF_MIN_NS;
	fleet_url__redact(cfg->fleet, f->shown, sizeof(f->shown));
	ret = fleet_url__parse(cfg->fleet, &f->url, err, errlen);
	if (!ret && cfg->fleet_password_file[0])
		ret = fleet_url__read_password(&f->url, cfg->fleet_password_file, err, errlen);
	if (ret)
		goto fail;
	if (cfg->fleet_name[0])
		snprintf(f->origin, sizeof(f->origin), "%s", cfg->fleet_name);
	else if (gethostname(f->origin, sizeof(f->origin) - 1))
		snprintf(f->origin, sizeof(f->origin), "unknown");
	snprintf(f->st.last_id, sizeof(f->st.last_id), "0-0");
	f->rate = fleet_rate__new(cfg->fleet_rate);
	f->retry_timer = loop__add_timer(loop, CLOCK_MONOTONIC, on_retry, f);
	f->tick_timer = loop__add_timer(loop, CLOCK_MONOTONIC, on_tick, f);
	f->read_timer = loop__add_timer(loop, CLOCK_MONOTONIC, on_read_gap, f);
	if (!f->rate || !f->retry_timer || !f->tick_timer || !f->read_timer) {
		ret = -errno;
		snprintf(err, errlen, "fleet: %s", strerror(errno));
		goto fail;
	}
	add_metrics(f, m);
	snprintf(f->st.last_error, sizeof(f->st.last_error), "connecting");
	loop__timer_arm(f->tick_timer, NSEC_PER_SEC, NSEC_PER_SEC);
	f->last_tick_ns = time__mono_ns();
	f->next_clean_ns = time__mono_ns() + (uint64_t)(rand() % 10000) * NSEC_PER_MSEC;
	start_link(f);
	return f;
fail:
	fleet__free(f);
	errno = ret < 0 ? -ret : EINVAL;
	return NULL;
}

void fleet__free(struct fleet *f)
{
	if (!f)
		return;
	if (f->len)
		pr_warn("fleet: %zu local ban%s not published (Redis was away)", f->len,
			f->len == 1 ? "" : "s");
	f->going_down = true; /* no reconnect from the disconnect callbacks */
	if (f->cmd)
		redisAsyncFree(f->cmd);
	if (f->sub)
		redisAsyncFree(f->sub);
	loop__del_timer(f->loop, f->retry_timer);
	loop__del_timer(f->loop, f->tick_timer);
	loop__del_timer(f->loop, f->read_timer);
	fleet_rate__free(f->rate);
	explicit_bzero(&f->url, sizeof(f->url));
	free(f->q);
	free(f);
}

void fleet__set_banmap(struct fleet *f, struct banmap *bm)
{
	if (f)
		f->bm = bm;
}

const struct fleet_stats *fleet__stats(const struct fleet *f)
{
	return &f->st;
}

const char *fleet__url(const struct fleet *f)
{
	return f->shown;
}

struct json_object *fleet__status_json(const struct fleet *f)
{
	struct json_object *o = json_object_new_object(), *refused = json_object_new_object();
	uint64_t total = 0;
	int i;

	for (i = 0; i < FLEET_REFUSE__COUNT; i++) {
		json_object_object_add(refused, fleet_refusal__name(i),
				       json_object_new_int64((int64_t)f->st.refused[i]));
		total += f->st.refused[i];
	}
	json_object_object_add(o, "redis", json_object_new_string(f->shown));
	json_object_object_add(o, "name", json_object_new_string(f->origin));
	json_object_object_add(o, "connected", json_object_new_boolean(f->st.connected));
	json_object_object_add(o, "error", f->st.connected ? NULL
						: json_object_new_string(f->st.last_error));
	json_object_object_add(o, "published", json_object_new_int64((int64_t)f->st.published));
	json_object_object_add(o, "pending", json_object_new_int64((int64_t)f->len));
	json_object_object_add(o, "received", json_object_new_int64((int64_t)f->st.received));
	json_object_object_add(o, "applied", json_object_new_int64((int64_t)f->st.applied));
	json_object_object_add(o, "refused_total", json_object_new_int64((int64_t)total));
	json_object_object_add(o, "refused", refused);
	json_object_object_add(o, "last_lag_s", json_object_new_double(f->st.last_lag_s));
	return o;
}
