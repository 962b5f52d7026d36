// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* resolve.c - host names in address lists: resolve them, follow their TTL, count who needs each address. */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "resolve.h"
#include "timeutil.h"

/* ---- names ---- */

bool resolve__is_name(const char *text)
{
	size_t len = strlen(text), label = 0, i;
	bool all_digits = true;

	if (len && text[len - 1] == '.')
		len--; /* the root's dot */
	if (len == 0 || len > RESOLVE_NAME_MAX)
		return false;
	for (i = 0; i <= len; i++) {
		char c = i < len ? text[i] : '.';

		if (c == '.') {
			/* A label ends: 1..63 characters, no hyphen at either end. */
			if (label == 0 || label > 63 || text[i - 1] == '-')
				return false;
			if (i == len && all_digits)
				return false; /* the last label is not a number */
			label = 0;
			all_digits = true;
			continue;
		}
		if (!isalnum((unsigned char)c) && c != '-')
			return false;
		if (c == '-' && label == 0)
			return false;
		if (!isdigit((unsigned char)c))
			all_digits = false;
		label++;
	}
	return true;
}

const char *resolve__purpose_name(unsigned int purpose)
{
	switch (purpose) {
	case RESOLVE_IGNORE:
		return "ignoreip";
	case RESOLVE_ALLOW:
		return "allow";
	case RESOLVE_PRIORITY:
		return "priority";
	case RESOLVE_BAN:
		return "ban";
	default:
		return "?";
	}
}

/* ---- one lookup ---- */

static int cmp_prefix(const void *a, const void *b)
{
	const struct prefix *x = a, *y = b;

	if (x->family != y->family)
		return x->family - y->family;
	if (x->prefixlen != y->prefixlen)
		return x->prefixlen - y->prefixlen;
	return memcmp(x->addr, y->addr, 16);
}

/* Add one address to a sorted-later list, without duplicates. */
static void add_addr(struct prefix *list, int *n, bool *truncated, int family, const void *bytes)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	struct prefix p;
	int i;

	/* IPv4-mapped IPv6 is IPv4, as prefix__parse() has it. */
	if (family == 6 && !memcmp(bytes, mapped, 12))
		prefix__from_bytes(&p, 4, (const uint8_t *)bytes + 12);
	else
		prefix__from_bytes(&p, family, bytes);
	for (i = 0; i < *n; i++)
		if (prefix__equal(&list[i], &p))
			return;
	if (*n == RESOLVE_MAX_ADDRS) {
		*truncated = true;
		return;
	}
	list[(*n)++] = p;
}

/* Bounded lookups: one try of one second per server, unless the operator said otherwise. */
static void bound_resolver(void)
{
	setenv("RES_OPTIONS", "timeout:1 attempts:1", 0);
	res_init();
	_res.retrans = 1;
	_res.retry = 1;
}

/*
 * Ask DNS for name's records of type (A or AAAA): their addresses go to
 * seen, their smallest TTL (CNAMEs included) to *ttl. The count, or -1.
 */
static int dns_records(const char *name, int type, struct prefix *seen, int *n_seen,
		       uint32_t *ttl)
{
	unsigned char buf[4096];
	bool truncated = false;
	ns_msg msg;
	ns_rr rr;
	int len, i, count, found = 0;

	len = res_query(name, ns_c_in, type, buf, sizeof(buf));
	if (len < 0 || ns_initparse(buf, len, &msg) < 0)
		return -1;
	count = ns_msg_count(msg, ns_s_an);
	for (i = 0; i < count; i++) {
		int t;

		if (ns_parserr(&msg, ns_s_an, i, &rr) < 0)
			return -1;
		t = ns_rr_type(rr);
		if (t == ns_t_a && ns_rr_rdlen(rr) == 4)
			add_addr(seen, n_seen, &truncated, 4, ns_rr_rdata(rr));
		else if (t == ns_t_aaaa && ns_rr_rdlen(rr) == 16)
			add_addr(seen, n_seen, &truncated, 6, ns_rr_rdata(rr));
		else if (t != ns_t_cname)
			continue;
		if (ns_rr_ttl(rr) < *ttl)
			*ttl = ns_rr_ttl(rr);
		found++;
	}
	return found;
}

int resolve__lookup(const char *name, struct resolve_result *out)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL, *ai;
	struct prefix dns[RESOLVE_MAX_ADDRS];
	uint32_t ttl = UINT32_MAX;
	int n_dns = 0, a, aaaa, rc, i;

	memset(out, 0, sizeof(*out));
	if (!resolve__is_name(name)) {
		snprintf(out->error, sizeof(out->error), "not a host name");
		return -EINVAL;
	}
	bound_resolver();

	/* What the system resolves it to: the hosts file first, then DNS (nsswitch). */
	rc = getaddrinfo(name, NULL, &hints, &res);
	if (rc) {
		snprintf(out->error, sizeof(out->error), "%s",
			 rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		/* "No such name" is an answer; the rest may pass. */
		if (rc == EAI_NONAME)
			return -ENOENT;
#ifdef EAI_NODATA
		if (rc == EAI_NODATA)
			return -ENOENT;
#endif
		if (rc == EAI_MEMORY)
			return -ENOMEM;
		return -EAGAIN;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET)
			add_addr(out->addr, &out->n, &out->truncated, 4,
				 &((struct sockaddr_in *)ai->ai_addr)->sin_addr);
		else if (ai->ai_family == AF_INET6)
			add_addr(out->addr, &out->n, &out->truncated, 6,
				 &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr);
	}
	freeaddrinfo(res);
	if (!out->n) {
		snprintf(out->error, sizeof(out->error), "no IPv4 or IPv6 address");
		return -ENOENT;
	}
	qsort(out->addr, (size_t)out->n, sizeof(out->addr[0]), cmp_prefix);

	/*
	 * The TTL, which getaddrinfo does not give: asked of DNS, and trusted
	 * only if DNS gives these very addresses (a name from the hosts file
	 * has no TTL; the caller's interval applies).
	 */
	a = dns_records(name, ns_t_a, dns, &n_dns, &ttl);
	aaaa = dns_records(name, ns_t_aaaa, dns, &n_dns, &ttl);
	if ((a > 0 || aaaa > 0) && n_dns == out->n && !out->truncated) {
		qsort(dns, (size_t)n_dns, sizeof(dns[0]), cmp_prefix);
		for (i = 0; i < n_dns && prefix__equal(&dns[i], &out->addr[i]); i++)
			;
		if (i == n_dns) {
			out->ttl_known = true;
			out->ttl_s = ttl;
		}
	}
	return 0;
}

int resolve__arg(const char *text, struct resolve_result *out)
{
	char perr[160];
	int err;

	memset(out, 0, sizeof(*out));
	if (prefix__parse(text, &out->addr[0], perr, sizeof(perr)) == 0) {
		out->n = 1;
		return 0;
	}
	if (!resolve__is_name(text) || strchr(text, '/')) {
		snprintf(out->error, sizeof(out->error), "%s", perr);
		return -EINVAL;
	}
	err = resolve__lookup(text, out);
	if (err) {
		char why[73];

		snprintf(why, sizeof(why), "%.72s", out->error);
		snprintf(out->error, sizeof(out->error),
			 "'%.60s' is not an IPv4 or IPv6 address, and as a host name: %.72s", text, why);
		return -EINVAL;
	}
	return 0;
}

const char *resolve__format(const struct resolve_result *res, char *buf, size_t len)
{
	char one[PREFIX_STRLEN];
	size_t used = 0;
	int i;

	if (!len)
		return buf;
	buf[0] = '\0';
	for (i = 0; i < res->n && used + 1 < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
					 prefix__format(&res->addr[i], one, sizeof(one)));
	if (res->truncated && used + 1 < len)
		snprintf(buf + used, len - used, ", ... (more not kept)");
	return buf;
}

/* ---- the helper process ---- */

struct helper_req {
	uint32_t seq;
	char name[RESOLVE_NAME_MAX + 1];
};

struct helper_resp {
	uint32_t seq;
	int32_t status; /* resolve__lookup()'s return */
	struct resolve_result res;
};

/*
 * The helper: read a name, resolve it, answer; exit when warden closes the
 * socket. It keeps stdio and the socket only, no capability, and runs as
 * nobody when started as root: it reads answers from the network.
 */
static void __attribute__((noreturn)) helper_main(int sock, pid_t parent)
{
	struct helper_resp resp;
	struct helper_req req;
	sigset_t none;
	ssize_t n;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (sock != 3) {
		if (dup2(sock, 3) < 0)
			_exit(1);
		sock = 3;
	}
	closefrom(4);
	if (geteuid() == 0) {
		/* nobody: a failure here still leaves no capability once the uid is not 0. */
		if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
			_exit(1);
	}
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	for (;;) {
		n = recv(sock, &req, sizeof(req), 0);
		if (n <= 0)
			_exit(0);
		if ((size_t)n != sizeof(req))
			continue;
		req.name[RESOLVE_NAME_MAX] = '\0';
		memset(&resp, 0, sizeof(resp));
		resp.seq = req.seq;
		resp.status = resolve__lookup(req.name, &resp.res);
		if (send(sock, &resp, sizeof(resp), MSG_NOSIGNAL) < 0)
			_exit(0);
	}
}

/* ---- the resolver ---- */

/* One entry as added: a name or an address, for one purpose. */
struct entry {
	char text[RESOLVE_NAME_MAX + 1];
	unsigned int purpose;
	int refs;                 /* times added */
	bool is_name;
	int n;                    /* addresses it contributes now */
	struct prefix cur[RESOLVE_MAX_ADDRS];
	bool resolved;            /* it resolved at least once */
	uint64_t due_ns;          /* next lookup (names) */
	uint32_t seq;             /* the lookup in flight, 0 = none */
	uint64_t sent_ns;
	char last_error[192];     /* the last failure reported, "" after a success */
};

/* An address held for a purpose, and by how many entries. */
struct held {
	struct prefix p;
	unsigned int purpose;
	int refs;
};

/* A change not reported yet. */
struct change {
	struct prefix p;
	unsigned int purpose;
	bool added;
	char entry[RESOLVE_NAME_MAX + 1];
};

struct resolver {
	struct resolver_opts o;
	struct entry *entries;
	size_t n_entries, cap_entries;
	struct held *held;
	size_t n_held, cap_held;
	struct change *changes;
	size_t n_changes, cap_changes;
	int sock;      /* to the helper, -1 when none */
	pid_t helper;
	int helper_fd; /* its pidfd: a signal never reaches a reused pid (warden run reaps it too) */
	uint32_t next_seq;
};

/* Grow *arr (of size elem) to hold one more; 0 or -ENOMEM. */
static int grow(void **arr, size_t *cap, size_t n, size_t elem)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	p = realloc(*arr, ncap * elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

static void queue_change(struct resolver *r, const struct prefix *p, unsigned int purpose,
			 bool added, const char *entry)
{
	struct change *c;

	if (grow((void **)&r->changes, &r->cap_changes, r->n_changes, sizeof(*c))) {
		pr_warn("resolver: out of memory: a change of %s is lost", entry);
		return;
	}
	c = &r->changes[r->n_changes++];
	c->p = *p;
	c->purpose = purpose;
	c->added = added;
	snprintf(c->entry, sizeof(c->entry), "%s", entry);
}

/* One more (delta +1) or one less (-1) entry needs p for purpose. */
static void hold(struct resolver *r, const struct prefix *p, unsigned int purpose, int delta,
		 const char *entry)
{
	size_t i;

	for (i = 0; i < r->n_held; i++) {
		struct held *h = &r->held[i];

		if (h->purpose != purpose || !prefix__equal(&h->p, p))
			continue;
		h->refs += delta;
		if (h->refs <= 0) {
			queue_change(r, p, purpose, false, entry);
			r->held[i] = r->held[--r->n_held];
		}
		return;
	}
	if (delta <= 0)
		return;
	if (grow((void **)&r->held, &r->cap_held, r->n_held, sizeof(*r->held))) {
		pr_warn("resolver: out of memory: %s is not applied", entry);
		return;
	}
	r->held[r->n_held++] = (struct held){ .p = *p, .purpose = purpose, .refs = 1 };
	queue_change(r, p, purpose, true, entry);
}

static bool in_list(const struct prefix *list, int n, const struct prefix *p)
{
	int i;

	for (i = 0; i < n; i++)
		if (prefix__equal(&list[i], p))
			return true;
	return false;
}

/* The entry now contributes addrs[0..n): hold what is new, release what is gone. */
static bool set_addresses(struct resolver *r, struct entry *e, const struct prefix *addrs, int n)
{
	bool changed = n != e->n;
	int i;

	for (i = 0; i < n; i++) {
		if (!in_list(e->cur, e->n, &addrs[i])) {
			hold(r, &addrs[i], e->purpose, +1, e->text);
			changed = true;
		}
	}
	for (i = 0; i < e->n; i++)
		if (!in_list(addrs, n, &e->cur[i]))
			hold(r, &e->cur[i], e->purpose, -1, e->text);
	if (n)
		memmove(e->cur, addrs, (size_t)n * sizeof(*addrs));
	e->n = n;
	return changed;
}

static uint64_t clamp(uint64_t v, uint64_t lo, uint64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* "allow, priority": the purposes of a mask. */
static const char *purposes_text(unsigned int mask, char *buf, size_t len)
{
	static const unsigned int all[] = { RESOLVE_IGNORE, RESOLVE_ALLOW, RESOLVE_PRIORITY,
					    RESOLVE_BAN };
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(all) / sizeof(all[0]) && used + 1 < len; i++)
		if (mask & all[i])
			used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
						 resolve__purpose_name(all[i]));
	return buf;
}

/*
 * Take in the result of a lookup of name, for every entry of that name the
 * lookup was for (seq, or all due ones in process): one lookup, one message,
 * whatever the number of purposes.
 */
static void apply_result(struct resolver *r, const char *name, uint32_t seq, int status,
			 const struct resolve_result *res, uint64_t now)
{
	char list[1024], dur[32], what[64];
	unsigned int mask = 0;
	bool changed = false, first = false, recovered = false, new_error = false;
	int kept = 0;
	uint64_t next = r->o.retry_ns;
	size_t i;

	if (status == 0 && res->n > 0)
		next = res->ttl_known ? clamp((uint64_t)res->ttl_s * NSEC_PER_SEC, r->o.min_ns,
					      r->o.max_ns)
				      : r->o.interval_ns;
	for (i = 0; i < r->n_entries; i++) {
		struct entry *e = &r->entries[i];

		if (!e->is_name || strcasecmp(e->text, name) || e->seq != seq ||
		    (!seq && e->due_ns > now))
			continue;
		mask |= e->purpose;
		e->seq = 0;
		e->due_ns = now + next;
		if (status == 0 && res->n > 0) {
			first |= !e->resolved;
			changed |= set_addresses(r, e, res->addr, res->n);
			recovered |= e->last_error[0] != '\0';
			e->resolved = true;
			e->last_error[0] = '\0';
			continue;
		}
		/* Failed: retried, never fatal. A name that does not exist loses its addresses. */
		new_error |= strcmp(e->last_error, res->error) != 0;
		snprintf(e->last_error, sizeof(e->last_error), "%s", res->error);
		if (e->n > kept)
			kept = e->n;
		if (status == -ENOENT)
			set_addresses(r, e, NULL, 0);
	}
	if (!mask)
		return;

	/* Say what the name resolved to when that is news, and why it failed once per reason. */
	purposes_text(mask, what, sizeof(what));
	time__format_duration(next, dur, sizeof(dur));
	if (status == 0 && res->n > 0) {
		resolve__format(res, list, sizeof(list));
		if (first || changed || recovered)
			pr_info("%s: %s resolved to %s (%s, next lookup in %s)", what, name, list,
				res->ttl_known ? "DNS TTL" : "no TTL", dur);
		else
			pr_debug("%s: %s still resolves to %s", what, name, list);
		if (res->truncated && (first || changed))
			pr_warn("%s: %s has more than %d addresses: the rest are not used", what, name,
				RESOLVE_MAX_ADDRS);
	} else if (new_error) {
		if (status == -ENOENT && kept)
			pr_warn("%s: %s does not resolve any more (%s): its addresses are removed; "
				"retrying in %s", what, name, res->error, dur);
		else if (kept)
			pr_warn("%s: cannot resolve %s (%s): keeping its %d address%s; retrying in %s",
				what, name, res->error, kept, kept == 1 ? "" : "es", dur);
		else
			pr_warn("%s: cannot resolve %s (%s): retrying in %s", what, name, res->error,
				dur);
	}
}

static void helper_stop(struct resolver *r)
{
	if (r->sock >= 0)
		close(r->sock);
	r->sock = -1;
	if (r->helper_fd >= 0) {
		syscall(SYS_pidfd_send_signal, r->helper_fd, SIGKILL, NULL, 0);
		close(r->helper_fd);
		/* warden run may have reaped it already (it reaps every child): ECHILD is fine. */
		while (waitpid(r->helper, NULL, 0) < 0 && errno == EINTR)
			;
	}
	r->helper_fd = -1;
	r->helper = 0;
}

static int helper_start(struct resolver *r)
{
	pid_t parent = getpid(), pid;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -errno;
	pid = fork();
	if (pid < 0) {
		int err = -errno;

		close(sv[0]);
		close(sv[1]);
		return err;
	}
	if (pid == 0) {
		close(sv[0]);
		helper_main(sv[1], parent);
	}
	close(sv[1]);
	fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
	r->sock = sv[0];
	r->helper = pid;
	/* Nobody can have reaped it yet: this process is single-threaded. (pidfds are O_CLOEXEC.) */
	r->helper_fd = (int)syscall(SYS_pidfd_open, pid, 0);
	return 0;
}

/* The helper died or hangs: start another, and retry what it had. */
static void helper_restart(struct resolver *r, uint64_t now, const char *why)
{
	size_t i;
	int err;

	pr_warn("resolver: the lookup helper %s: restarting it", why);
	helper_stop(r);
	for (i = 0; i < r->n_entries; i++) {
		if (r->entries[i].seq) {
			r->entries[i].seq = 0;
			r->entries[i].due_ns = now;
		}
	}
	err = helper_start(r);
	if (err) {
		pr_warn("resolver: cannot start the lookup helper (%s): resolving in process",
			strerror(-err));
		r->o.in_process = true;
	}
}

struct resolver *resolver__new(const struct resolver_opts *o)
{
	struct resolver *r = calloc(1, sizeof(*r));
	int err;

	if (!r)
		return NULL;
	if (o)
		r->o = *o;
	if (!r->o.interval_ns)
		r->o.interval_ns = 300 * NSEC_PER_SEC;
	if (!r->o.min_ns)
		r->o.min_ns = 5 * NSEC_PER_SEC;
	if (!r->o.max_ns)
		r->o.max_ns = 86400 * NSEC_PER_SEC;
	if (!r->o.retry_ns)
		r->o.retry_ns = 30 * NSEC_PER_SEC;
	if (!r->o.timeout_ns)
		r->o.timeout_ns = 20 * NSEC_PER_SEC;
	/* A short interval (tests, --resolve-interval) shortens the others too. */
	if (r->o.min_ns > r->o.interval_ns)
		r->o.min_ns = r->o.interval_ns;
	if (r->o.retry_ns > r->o.interval_ns)
		r->o.retry_ns = r->o.interval_ns;
	if (r->o.max_ns < r->o.min_ns)
		r->o.max_ns = r->o.min_ns;
	r->sock = -1;
	r->helper_fd = -1;
	r->next_seq = 1;
	if (!r->o.in_process) {
		err = helper_start(r);
		if (err) {
			free(r);
			errno = -err;
			return NULL;
		}
	}
	return r;
}

void resolver__free(struct resolver *r)
{
	if (!r)
		return;
	helper_stop(r);
	free(r->entries);
	free(r->held);
	free(r->changes);
	free(r);
}

static struct entry *find_entry(struct resolver *r, const char *text, unsigned int purpose)
{
	size_t i;

	for (i = 0; i < r->n_entries; i++)
		if (r->entries[i].purpose == purpose && !strcasecmp(r->entries[i].text, text))
			return &r->entries[i];
	return NULL;
}

int resolver__add(struct resolver *r, const char *entry, unsigned int purpose)
{
	struct prefix p;
	struct entry *e;
	bool is_addr;

	if (!purpose || (purpose & (purpose - 1)) || strlen(entry) > RESOLVE_NAME_MAX)
		return -EINVAL;
	is_addr = prefix__parse(entry, &p, NULL, 0) == 0;
	if (!is_addr && !resolve__is_name(entry))
		return -EINVAL;
	e = find_entry(r, entry, purpose);
	if (e) {
		e->refs++;
		return 0;
	}
	if (grow((void **)&r->entries, &r->cap_entries, r->n_entries, sizeof(*e)))
		return -ENOMEM;
	e = &r->entries[r->n_entries++];
	memset(e, 0, sizeof(*e));
	snprintf(e->text, sizeof(e->text), "%s", entry);
	e->purpose = purpose;
	e->refs = 1;
	e->is_name = !is_addr;
	/* An address is what it is, at once; a name waits for the next refresh. */
	if (is_addr)
		set_addresses(r, e, &p, 1);
	return 0;
}

int resolver__remove(struct resolver *r, const char *entry, unsigned int purpose)
{
	struct entry *e = find_entry(r, entry, purpose);

	if (!e)
		return -ENOENT;
	if (--e->refs > 0)
		return 0;
	/* Whatever another entry still holds stays (hold() counts). */
	set_addresses(r, e, NULL, 0);
	*e = r->entries[--r->n_entries];
	return 0;
}

int64_t resolver__due_ms(const struct resolver *r, uint64_t now_ns)
{
	uint64_t next = UINT64_MAX, t;
	size_t i;

	if (r->n_changes)
		return 0;
	for (i = 0; i < r->n_entries; i++) {
		const struct entry *e = &r->entries[i];

		if (!e->is_name)
			continue;
		t = e->seq ? e->sent_ns + r->o.timeout_ns : e->due_ns;
		if (t < next)
			next = t;
	}
	if (next == UINT64_MAX)
		return -1;
	if (next <= now_ns)
		return 0;
	return (int64_t)((next - now_ns + NSEC_PER_MSEC - 1) / NSEC_PER_MSEC);
}

int resolver__fd(const struct resolver *r)
{
	return r->sock;
}

/* Read every answer that waits, without blocking. */
static void read_answers(struct resolver *r, uint64_t now)
{
	struct helper_resp resp;
	ssize_t n;
	size_t i;

	while (r->sock >= 0) {
		n = recv(r->sock, &resp, sizeof(resp), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			helper_restart(r, now, "stopped");
			return;
		}
		if ((size_t)n != sizeof(resp) || !resp.seq)
			continue;
		resp.res.error[sizeof(resp.res.error) - 1] = '\0';
		if (resp.res.n < 0 || resp.res.n > RESOLVE_MAX_ADDRS)
			continue;
		/* An entry removed meanwhile has no match: the answer is dropped. */
		for (i = 0; i < r->n_entries; i++) {
			if (r->entries[i].seq == resp.seq) {
				char name[RESOLVE_NAME_MAX + 1];

				snprintf(name, sizeof(name), "%s", r->entries[i].text);
				apply_result(r, name, resp.seq, resp.status, &resp.res, now);
				break;
			}
		}
	}
}

int resolver__refresh(struct resolver *r, uint64_t now, resolver_change_cb cb, void *ctx)
{
	struct resolve_result res;
	struct helper_req req;
	size_t i;
	int n, status;

	if (!r->o.in_process)
		read_answers(r, now);

	/* A lookup the helper never answers: it hangs; another one takes over. */
	for (i = 0; i < r->n_entries && !r->o.in_process; i++) {
		if (r->entries[i].seq && now - r->entries[i].sent_ns > r->o.timeout_ns) {
			helper_restart(r, now, "does not answer");
			break;
		}
	}

	/* The lookups that are due: one per name, whatever the number of its purposes. */
	for (i = 0; i < r->n_entries; i++) {
		struct entry *e = &r->entries[i];
		char name[RESOLVE_NAME_MAX + 1];
		size_t k;

		if (!e->is_name || e->seq || e->due_ns > now)
			continue;
		snprintf(name, sizeof(name), "%s", e->text);
		if (r->o.in_process) {
			status = resolve__lookup(name, &res);
			apply_result(r, name, 0, status, &res, now);
			continue;
		}
		memset(&req, 0, sizeof(req));
		req.seq = r->next_seq++;
		if (!r->next_seq)
			r->next_seq = 1;
		snprintf(req.name, sizeof(req.name), "%s", name);
		if (send(r->sock, &req, sizeof(req), MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				helper_restart(r, now, "cannot be reached");
			break; /* the rest next time */
		}
		for (k = i; k < r->n_entries; k++) {
			struct entry *o = &r->entries[k];

			if (o->is_name && !o->seq && !strcasecmp(o->text, name)) {
				o->seq = req.seq;
				o->sent_ns = now;
			}
		}
	}

	/* Report the changes, in the order they happened. */
	n = (int)r->n_changes;
	for (i = 0; i < r->n_changes; i++) {
		if (cb)
			cb(ctx, &r->changes[i].p, r->changes[i].purpose, r->changes[i].added,
			   r->changes[i].entry);
	}
	r->n_changes = 0;
	return n;
}

bool resolver__covers(const struct resolver *r, const struct prefix *addr, unsigned int purposes)
{
	size_t i;

	for (i = 0; i < r->n_held; i++)
		if ((r->held[i].purpose & purposes) && prefix__contains(&r->held[i].p, addr))
			return true;
	return false;
}

void resolver__counts(const struct resolver *r, size_t *entries, size_t *addresses)
{
	if (entries)
		*entries = r->n_entries;
	if (addresses)
		*addresses = r->n_held;
}
