/*
 * guard.c — the stolen-account guard (guard.h).
 *
 * Keys in the counters (identity and tenant names are the last field, so a
 * name holding '|' cannot make two keys meet):
 *   m|W|id  r|W|id      messages, recipients of identity id over W seconds
 *   M|W|t   R|W|t       the same for tenant t
 *   A|W|id              distinct client networks of id over W
 *   a|net|W|id          net seen for id (its first event makes A grow)
 *   f|W|id              failed logins of id
 *   h|W|id              guard actions for id (suspend_after)
 *   s|id                the suspension flag
 */
#include <autoconfig.h>
#include "guard.h"
#include "config_keys.h"
#include "counters_shared.h"
#include "log.h"
#include "stats.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#define KEY_MAX 600
#define HELD_MAX 1000

static struct rg_counters *_Atomic counters;
static size_t counters_size;
static pthread_mutex_t setup_lock = PTHREAD_MUTEX_INITIALIZER;

struct held {
	time_t at;
	char queue_id[40];
	char identity[160];
	char reason[200];
};
static struct held held_ring[HELD_MAX];
static size_t held_next, held_count;
static pthread_mutex_t held_lock = PTHREAD_MUTEX_INITIALIZER;

/* Counters a reload replaced: a request may still hold them, so they are
 * freed at shutdown (a reload that changes shared_state is rare). */
static struct rg_counters *retired[64];
static size_t n_retired;
static int shared_now_type = -1;	/* shared_state.type the counters were made with */
static char *shared_now_text;	/* a fingerprint of the shared_state settings */

/* A text that differs when the shared_state settings differ. */
static char *shared_fingerprint(const struct rg_shared_state_conf *s)
{
	char *t = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&t, &len);
	if (f == NULL)
		return NULL;
	fprintf(f, "%d|%s|%d|%d|%s|%s|%s|%d", s->type, s->sentinel_master ? s->sentinel_master : "",
		s->connect_timeout_ms, s->timeout_ms, s->key_prefix ? s->key_prefix : "",
		s->secret_file ? s->secret_file : "", s->password_file ? s->password_file : "",
		s->on_error);
	for (size_t i = 0; i < s->n_servers; i++)
		fprintf(f, "|%s", s->servers[i]);
	fclose(f);
	return t;
}

int rg_guard_setup(const struct rg_config *cfg)
{
	size_t want = cfg->guard.table_size > 0 ? (size_t)cfg->guard.table_size : 1000000;
	int ret = 0;
	char *fp = shared_fingerprint(&cfg->shared_state);

	pthread_mutex_lock(&setup_lock);
	struct rg_counters *c = atomic_load(&counters);
	bool changed = c != NULL && (fp == NULL || shared_now_text == NULL ||
				     strcmp(fp, shared_now_text) != 0);
	if ((c == NULL || changed) && cfg->guard.enabled && n_retired < 64) {
		char *err = NULL;
		/* flags (suspensions) are few: one per 100 counters, at least 1000 */
		struct rg_counters *n = rg_counters_open(&cfg->shared_state, "g", want,
							 want / 100 > 1000 ? want / 100 : 1000, &err);
		if (n == NULL) {
			char q[600];
			rg_log(LOG_ERR, "guard: counters: %s", rg_log_quote(q, sizeof(q), err ? err : "?"));
			ret = -1;
		} else {
			counters_size = want;
			atomic_store(&counters, n);
			if (c != NULL)
				retired[n_retired++] = c;
			free(shared_now_text);
			shared_now_text = fp;
			fp = NULL;
			shared_now_type = cfg->shared_state.type;
		}
		free(err);
	} else if (c != NULL && want != counters_size &&
		   shared_now_type == RG_SHARED_NONE) {
		rg_counters_local_resize(c, want);
		counters_size = want;
	}
	pthread_mutex_unlock(&setup_lock);
	free(fp);
	return ret;
}

void rg_guard_shutdown(void)
{
	struct rg_counters *c = atomic_exchange(&counters, NULL);
	rg_counters_free(c);
	pthread_mutex_lock(&setup_lock);
	for (size_t i = 0; i < n_retired; i++)
		rg_counters_free(retired[i]);
	n_retired = 0;
	free(shared_now_text);
	shared_now_text = NULL;
	shared_now_type = -1;
	pthread_mutex_unlock(&setup_lock);
}

void rg_guard_use(struct rg_counters *c)
{
	atomic_store(&counters, c);
	pthread_mutex_lock(&held_lock);
	held_next = held_count = 0;
	pthread_mutex_unlock(&held_lock);
}

bool rg_guard_on(const struct rg_config *cfg)
{
	return cfg != NULL && cfg->guard.enabled;
}

bool rg_guard_wants_rcpt(const struct rg_config *cfg)
{
	if (!rg_guard_on(cfg))
		return false;
	if (cfg->guard.n_recipients > 0)
		return true;
	for (size_t i = 0; i < cfg->guard.n_identities; i++)
		if (cfg->guard.identities[i].n_recipients > 0)
			return true;
	for (size_t i = 0; i < cfg->guard.n_tenants; i++)
		if (cfg->guard.tenants[i].n_recipients > 0)
			return true;
	return false;
}

/* The client's network: addr masked to the configured prefix ("192.0.2.0/24");
 * anything that is not an address stays as it is. */
static void client_net(const struct rg_config *cfg, const char *addr, char *out, size_t n)
{
	unsigned char b[16];
	char txt[INET6_ADDRSTRLEN];
	int af = 0, bits = 0, len = 0;

	if (addr != NULL && inet_pton(AF_INET, addr, b) == 1) {
		af = AF_INET, bits = cfg->guard.ipv4_prefix, len = 4;
	} else if (addr != NULL && inet_pton(AF_INET6, addr, b) == 1) {
		af = AF_INET6, bits = cfg->guard.ipv6_prefix, len = 16;
	} else {
		snprintf(out, n, "%s", addr ? addr : "unknown");
		return;
	}
	for (int i = 0; i < len; i++) {
		int keep = bits - i * 8;
		b[i] &= keep >= 8 ? 0xff : keep <= 0 ? 0 : (unsigned char)(0xff << (8 - keep));
	}
	inet_ntop(af, b, txt, sizeof(txt));
	snprintf(out, n, "%s/%d", txt, bits);
}

static const struct rg_guard_override *find_override(const struct rg_guard_override *list,
						     size_t n, const char *name)
{
	for (size_t i = 0; name != NULL && i < n; i++)
		if (list[i].name != NULL && strcmp(list[i].name, name) == 0)
			return &list[i];
	return NULL;
}

static const struct rg_guard_override *find_tenant(const struct rg_config *cfg, const char *t)
{
	for (size_t i = 0; t != NULL && i < cfg->guard.n_tenants; i++)
		if (cfg->guard.tenants[i].name != NULL && strcasecmp(cfg->guard.tenants[i].name, t) == 0)
			return &cfg->guard.tenants[i];
	return NULL;
}

static int addresses_limit(const struct rg_config *cfg, const char *identity)
{
	const struct rg_guard_override *o = find_override(cfg->guard.identities,
							  cfg->guard.n_identities, identity);
	return o != NULL && o->addresses >= 0 ? o->addresses : cfg->guard.addresses;
}

static void store_error(const char *what, const char *err)
{
	char q[300];

	rg_stats_inc("guard.state_error");
	rg_log(LOG_ERR, "guard: %s: counters: %s", what,
	       rg_log_quote(q, sizeof(q), err ? err : "error"));
}

enum rg_guard_answer rg_guard_suspended(const struct rg_config *cfg, const char *user, time_t now)
{
	struct rg_counters *c = atomic_load(&counters);
	char key[KEY_MAX];
	const char *err = NULL;
	bool set = false;

	if (!rg_guard_on(cfg) || user == NULL)
		return RG_GUARD_OK;
	if (c == NULL)
		return RG_GUARD_ERROR;
	snprintf(key, sizeof(key), "s|%s", user);
	if (c->ops->flag_get(c, key, now, &set, NULL, NULL, 0, &err) != RG_COUNTERS_OK) {
		store_error("suspension lookup", err);
		return RG_GUARD_ERROR;
	}
	return set ? RG_GUARD_SUSPENDED : RG_GUARD_OK;
}

int rg_guard_login_ops(const struct rg_config *cfg, const char *authc, const char *authz,
		       struct rg_counters_op *ops, char keys[][RG_GUARD_KEY_MAX])
{
	struct rg_counters *c = atomic_load(&counters);
	int n = 0;

	if (!rg_guard_on(cfg))
		return 0;
	if (c == NULL)
		return -1;
	snprintf(keys[n], RG_GUARD_KEY_MAX, "s|%s", authc);
	ops[n] = (struct rg_counters_op){ .kind = RG_CTR_FLAG_GET, .key = keys[n], .in = c };
	n++;
	if (authz != NULL && authz[0] != '\0' && strcmp(authz, authc) != 0) {
		snprintf(keys[n], RG_GUARD_KEY_MAX, "s|%s", authz);
		ops[n] = (struct rg_counters_op){ .kind = RG_CTR_FLAG_GET, .key = keys[n], .in = c };
		n++;
	}
	return n;
}

static void remember_held(const struct rg_guard_msg *m, const char *reason, time_t now)
{
	pthread_mutex_lock(&held_lock);
	struct held *h = &held_ring[held_next];
	h->at = now;
	snprintf(h->queue_id, sizeof(h->queue_id), "%s", m->queue_id ? m->queue_id : "NOQUEUE");
	snprintf(h->identity, sizeof(h->identity), "%s", m->identity);
	snprintf(h->reason, sizeof(h->reason), "%s", reason);
	held_next = (held_next + 1) % HELD_MAX;
	if (held_count < HELD_MAX)
		held_count++;
	pthread_mutex_unlock(&held_lock);
}

static const char *action_name(enum rg_guard_action a)
{
	return a == RG_GUARD_ACTION_HOLD ? "hold" : a == RG_GUARD_ACTION_TEMPFAIL ? "tempfail" :
	       "reject";
}

/* The counts of one message, in the order the signals are looked at (the
 * first limit passed decides), as batch ops; keys: their storage. */
struct gop {
	const char *signal;
	unsigned long long limit;
};
/* 2 at MAIL FROM, addresses, failed logins, 4 lists of RG_GUARD_MAX_RATES
 * (config_keys.c refuses longer lists) */
#define MAX_OPS (4 + 4 * RG_GUARD_MAX_RATES)
_Static_assert(MAX_OPS <= RG_COUNTERS_BATCH_MAX, "a message's counts fit one batch");

static size_t count_ops(const struct rg_config *cfg, const struct rg_guard_msg *m,
			struct rg_counters_op *ops, struct gop *g, char keys[][KEY_MAX])
{
	const struct rg_guard_override *o = find_override(cfg->guard.identities,
							  cfg->guard.n_identities, m->identity);
	unsigned long lim, w;
	size_t ng = 0;
	int addrs = addresses_limit(cfg, m->identity);

	if (addrs > 0) {
		snprintf(keys[ng], KEY_MAX, "A|%d|%s", cfg->guard.addresses_window, m->identity);
		ops[ng] = (struct rg_counters_op){ .kind = RG_CTR_GET, .key = keys[ng],
						   .window_s = (unsigned)cfg->guard.addresses_window };
		g[ng] = (struct gop){ "addresses", (unsigned long long)addrs };
		ng++;
	}
	if (cfg->guard.failed_logins != NULL && rg_parse_rate(cfg->guard.failed_logins, &lim, &w)) {
		snprintf(keys[ng], KEY_MAX, "f|%lu|%s", w, m->identity);
		ops[ng] = (struct rg_counters_op){ .kind = RG_CTR_GET, .key = keys[ng],
						   .window_s = (unsigned)w };
		g[ng] = (struct gop){ "failed_logins", lim };
		ng++;
	}
	const struct rg_guard_override *t = find_tenant(cfg, m->tenant);
	const struct { char *const *list; size_t n; char prefix; const char *name; unsigned add;
		       const char *signal; } rates[] = {
		{ o && o->n_messages ? o->messages : cfg->guard.messages,
		  o && o->n_messages ? o->n_messages : cfg->guard.n_messages, 'm', m->identity, 1,
		  "messages" },
		{ o && o->n_recipients ? o->recipients : cfg->guard.recipients,
		  o && o->n_recipients ? o->n_recipients : cfg->guard.n_recipients, 'r', m->identity,
		  m->n_rcpt, "recipients" },
		{ t ? t->messages : NULL, t ? t->n_messages : 0, 'M', t ? t->name : "", 1,
		  "tenant_messages" },
		{ t ? t->recipients : NULL, t ? t->n_recipients : 0, 'R', t ? t->name : "", m->n_rcpt,
		  "tenant_recipients" },
	};
	for (size_t r = 0; r < sizeof(rates) / sizeof(rates[0]); r++)
		for (size_t k = 0; k < rates[r].n && k < RG_GUARD_MAX_RATES; k++) {
			if (rates[r].list[k] == NULL || !rg_parse_rate(rates[r].list[k], &lim, &w))
				continue;
			snprintf(keys[ng], KEY_MAX, "%c|%lu|%s", rates[r].prefix, w, rates[r].name);
			ops[ng] = (struct rg_counters_op){ .kind = rates[r].add ? RG_CTR_ADD : RG_CTR_GET,
							   .key = keys[ng], .window_s = (unsigned)w,
							   .n = rates[r].add };
			g[ng] = (struct gop){ rates[r].signal, lim };
			ng++;
		}
	return ng;
}

/* After the batch: the first limit passed decides; act on it (log, held
 * list, suspension after repeated actions). */
static void decide(const struct rg_config *cfg, const struct rg_counters_op *ops,
		   const struct gop *g, size_t ng, struct rg_guard_verdict *v)
{
	for (size_t k = 0; k < ng && v->signal == NULL; k++)
		if (ops[k].count > g[k].limit) {
			v->signal = g[k].signal;
			v->count = ops[k].count;
			v->limit = g[k].limit;
			v->window = ops[k].window_s;
		}
	if (v->signal == NULL)
		return;
	v->result = RG_GUARD_ACT;
	v->action = (enum rg_guard_action)cfg->guard.action;
	snprintf(v->reason, sizeof(v->reason), "relayguard guard: %s %llu > %llu in %lus",
		 v->signal, v->count, v->limit, v->window);
}

void rg_guard_act(const struct rg_config *cfg, const struct rg_guard_msg *m, time_t now,
		  struct rg_guard_verdict *v)
{
	struct rg_counters *c = atomic_load(&counters);
	const char *err = NULL;
	char key[KEY_MAX];
	uint64_t cnt;

	if (v->result != RG_GUARD_ACT || v->acted)
		return;
	v->acted = true;
	switch (v->action) {
	case RG_GUARD_ACTION_HOLD: rg_stats_inc("guard.action.hold"); break;
	case RG_GUARD_ACTION_TEMPFAIL: rg_stats_inc("guard.action.tempfail"); break;
	default: rg_stats_inc("guard.action.reject"); break;
	}
	if (v->action == RG_GUARD_ACTION_HOLD)
		remember_held(m, v->reason, now);
	char qid[64], id[200], tn[160], client[80];
	rg_log(LOG_WARNING, "guard: action=%s identity=%s tenant=%s signal=%s count=%llu limit=%llu "
	       "window=%lus client=%s queue_id=%s", action_name(v->action),
	       rg_log_quote(id, sizeof(id), m->identity), rg_log_quote(tn, sizeof(tn), m->tenant),
	       v->signal, v->count, v->limit, v->window,
	       rg_log_quote(client, sizeof(client), m->client_addr),
	       rg_log_quote(qid, sizeof(qid), m->queue_id));

	/* repeated actions: suspend the identity */
	if (cfg->guard.suspend_after > 0 && c != NULL) {
		unsigned sw = (unsigned)cfg->guard.suspend_window;
		snprintf(key, sizeof(key), "h|%u|%s", sw, m->identity);
		if (c->ops->add(c, key, sw, 1, now, &cnt, &err) != RG_COUNTERS_OK) {
			store_error("action count", err);
			return;	/* the action stands */
		}
		if (cnt >= (uint64_t)cfg->guard.suspend_after) {
			time_t until = cfg->guard.suspend_seconds > 0 ? now + cfg->guard.suspend_seconds : 0;
			char text[96];
			snprintf(text, sizeof(text), "%llu guard actions in %us", (unsigned long long)cnt,
				 sw);
			snprintf(key, sizeof(key), "s|%s", m->identity);
			if (c->ops->flag_set(c, key, now, until, text, &err) != RG_COUNTERS_OK) {
				store_error("suspension", err);
				return;
			}
			v->suspended = true;
			rg_stats_inc("guard.suspended");
			rg_log(LOG_WARNING, "guard: suspend identity=%s actions=%llu window=%us "
			       "seconds=%d client=%s queue_id=%s", id, (unsigned long long)cnt, sw,
			       cfg->guard.suspend_seconds, client, qid);
		}
	}
}

bool rg_guard_counts_at_mail(const struct rg_config *cfg)
{
	return rg_guard_on(cfg) && !rg_guard_wants_rcpt(cfg) && cfg->guard.n_tenants == 0;
}

static void state_failed(const struct rg_config *cfg, const char *identity, const char *err,
			 struct rg_guard_verdict *v)
{
	store_error("message", err);
	v->result = cfg->guard.state_error == RG_GUARD_STATE_ACCEPT ? RG_GUARD_PASS :
		    RG_GUARD_STATE_FAILED;
	if (v->result == RG_GUARD_PASS) {
		char id2[200];
		rg_log(LOG_WARNING, "guard: identity=%s: counters unavailable, message accepted "
		       "uncounted (guard.state_error = accept)",
		       rg_log_quote(id2, sizeof(id2), identity));
	}
}

enum rg_guard_answer rg_guard_mail(const struct rg_config *cfg, const struct rg_guard_msg *m,
				   bool first_in_session, time_t now, struct rg_guard_verdict *v)
{
	struct rg_counters *c = atomic_load(&counters);
	char skey[KEY_MAX], akey[KEY_MAX], mkey[KEY_MAX], net[80];
	struct rg_counters_op ops[MAX_OPS];
	struct gop g[MAX_OPS];
	char keys[MAX_OPS][KEY_MAX];
	const char *err = NULL;
	size_t n = 0;

	if (v != NULL)
		memset(v, 0, sizeof(*v));
	if (!rg_guard_on(cfg) || m->identity == NULL || m->identity[0] == '\0')
		return RG_GUARD_OK;
	if (c == NULL)
		return RG_GUARD_ERROR;
	/* one batch (one round trip to a shared store): the suspension, the
	 * session's client network among the identity's, and, when nothing
	 * needs the end of headers (no recipient or tenant limits), the
	 * message's counts too */
	memset(ops, 0, sizeof(ops));
	snprintf(skey, sizeof(skey), "s|%s", m->identity);
	ops[n++] = (struct rg_counters_op){ .kind = RG_CTR_FLAG_GET, .key = skey };
	if (first_in_session && addresses_limit(cfg, m->identity) > 0) {
		unsigned w = (unsigned)cfg->guard.addresses_window;
		client_net(cfg, m->client_addr, net, sizeof(net));
		snprintf(mkey, sizeof(mkey), "a|%s|%u|%s", net, w, m->identity);
		snprintf(akey, sizeof(akey), "A|%u|%s", w, m->identity);
		ops[n++] = (struct rg_counters_op){ .kind = RG_CTR_DISTINCT, .key = akey,
						    .member = mkey, .window_s = w };
	}
	size_t first = n, ng = 0;
	if (v != NULL && rg_guard_counts_at_mail(cfg))
		ng = count_ops(cfg, m, ops + first, g, keys);
	if (rg_counters_batch(c, ops, n + ng, now, &err) != RG_COUNTERS_OK) {
		store_error("MAIL FROM", err);
		if (v != NULL && ng > 0)
			state_failed(cfg, m->identity, err, v);
		return RG_GUARD_ERROR;
	}
	if (ops[0].set)
		return RG_GUARD_SUSPENDED;
	if (v != NULL && ng > 0) {
		v->counted = true;
		decide(cfg, ops + first, g, ng, v);
		/* a refusal acts now (its queue id is NOQUEUE at the MTA too); a
		 * hold acts once the message has its queue id (rg_guard_act) */
		if (v->result == RG_GUARD_ACT && v->action != RG_GUARD_ACTION_HOLD)
			rg_guard_act(cfg, m, now, v);
	}
	return RG_GUARD_OK;
}

void rg_guard_login_failed(const struct rg_config *cfg, const char *user, time_t now)
{
	struct rg_counters *c = atomic_load(&counters);
	unsigned long lim, w;
	char key[KEY_MAX];
	const char *err = NULL;
	uint64_t n;

	if (!rg_guard_on(cfg) || c == NULL || user == NULL || cfg->guard.failed_logins == NULL ||
	    !rg_parse_rate(cfg->guard.failed_logins, &lim, &w))
		return;
	snprintf(key, sizeof(key), "f|%lu|%s", w, user);
	if (c->ops->add(c, key, (unsigned)w, 1, now, &n, &err) != RG_COUNTERS_OK)
		store_error("failed login", err);
}



void rg_guard_message(const struct rg_config *cfg, const struct rg_guard_msg *m, time_t now,
		      struct rg_guard_verdict *v)
{
	struct rg_counters *c = atomic_load(&counters);
	struct rg_counters_op ops[MAX_OPS];
	struct gop g[MAX_OPS];
	char keys[MAX_OPS][KEY_MAX];
	const char *err = NULL;

	memset(v, 0, sizeof(*v));
	if (!rg_guard_on(cfg) || m->identity == NULL || m->identity[0] == '\0')
		return;
	if (c == NULL) {
		state_failed(cfg, m->identity, "no counters", v);
		return;
	}
	/* every count in one batch (one round trip to a shared store) */
	size_t ng = count_ops(cfg, m, ops, g, keys);
	if (ng > 0 && rg_counters_batch(c, ops, ng, now, &err) != RG_COUNTERS_OK) {
		state_failed(cfg, m->identity, err, v);
		return;
	}
	v->counted = true;
	decide(cfg, ops, g, ng, v);
	rg_guard_act(cfg, m, now, v);
}

/* ---- relayguardctl guard ... ---- */

/* The control commands need the guard on and its counters made. */
static bool guard_ready(const struct rg_config *cfg, const struct rg_counters *c, FILE *out)
{
	if (rg_guard_on(cfg) && c != NULL)
		return true;
	fprintf(out, "the guard is off (guard.enabled = false)\n");
	return false;
}

static void show_rates(struct rg_counters *c, FILE *out, const char *label, char *const *list,
		       size_t n, char prefix, const char *name, time_t now)
{
	unsigned long lim, w;
	char key[KEY_MAX];
	const char *err;
	uint64_t cnt = 0;

	for (size_t i = 0; i < n; i++) {
		if (list[i] == NULL || !rg_parse_rate(list[i], &lim, &w))
			continue;
		snprintf(key, sizeof(key), "%c|%lu|%s", prefix, w, name);
		c->ops->get(c, key, (unsigned)w, now, &cnt, &err);
		fprintf(out, "%s %llu limit %lu window %lus\n", label, (unsigned long long)cnt, lim, w);
	}
}

static void list_flag(void *ctx, const char *key, time_t until, const char *text)
{
	FILE *out = ctx;
	if (strncmp(key, "s|", 2) != 0)
		return;
	if (until == 0)
		fprintf(out, "suspended %s until lifted (%s)\n", key + 2, text);
	else
		fprintf(out, "suspended %s until %lld (%s)\n", key + 2, (long long)until, text);
}

int rg_guard_show(const struct rg_config *cfg, const char *identity, time_t now, FILE *out)
{
	struct rg_counters *c = atomic_load(&counters);
	const char *err = NULL;
	char key[KEY_MAX], text[96];
	uint64_t cnt = 0;
	unsigned long lim, w;
	bool set = false;
	time_t until = 0;

	if (!guard_ready(cfg, c, out))
		return -1;
	if (identity == NULL) {
		c->ops->flag_list(c, now, list_flag, out, &err);
		pthread_mutex_lock(&held_lock);
		fprintf(out, "held %zu\n", held_count);
		pthread_mutex_unlock(&held_lock);
		return 0;
	}
	const struct rg_guard_override *o = find_override(cfg->guard.identities,
							  cfg->guard.n_identities, identity);
	fprintf(out, "identity %s\n", identity);
	snprintf(key, sizeof(key), "s|%s", identity);
	c->ops->flag_get(c, key, now, &set, &until, text, sizeof(text), &err);
	if (set && until == 0)
		fprintf(out, "suspended until lifted (%s)\n", text);
	else if (set)
		fprintf(out, "suspended until %lld (%s)\n", (long long)until, text);
	else
		fprintf(out, "suspended no\n");
	int addrs = addresses_limit(cfg, identity);
	if (addrs > 0) {
		snprintf(key, sizeof(key), "A|%d|%s", cfg->guard.addresses_window, identity);
		c->ops->get(c, key, (unsigned)cfg->guard.addresses_window, now, &cnt, &err);
		fprintf(out, "addresses %llu limit %d window %ds\n", (unsigned long long)cnt, addrs,
			cfg->guard.addresses_window);
	}
	if (cfg->guard.failed_logins != NULL && rg_parse_rate(cfg->guard.failed_logins, &lim, &w)) {
		snprintf(key, sizeof(key), "f|%lu|%s", w, identity);
		c->ops->get(c, key, (unsigned)w, now, &cnt, &err);
		fprintf(out, "failed_logins %llu limit %lu window %lus\n", (unsigned long long)cnt,
			lim, w);
	}
	show_rates(c, out, "messages", o && o->n_messages ? o->messages : cfg->guard.messages,
		   o && o->n_messages ? o->n_messages : cfg->guard.n_messages, 'm', identity, now);
	show_rates(c, out, "recipients", o && o->n_recipients ? o->recipients : cfg->guard.recipients,
		   o && o->n_recipients ? o->n_recipients : cfg->guard.n_recipients, 'r', identity,
		   now);
	if (cfg->guard.suspend_after > 0) {
		snprintf(key, sizeof(key), "h|%d|%s", cfg->guard.suspend_window, identity);
		c->ops->get(c, key, (unsigned)cfg->guard.suspend_window, now, &cnt, &err);
		fprintf(out, "actions %llu suspend_after %d window %ds\n", (unsigned long long)cnt,
			cfg->guard.suspend_after, cfg->guard.suspend_window);
	}
	return 0;
}

static void reset_rates(struct rg_counters *c, char *const *list, size_t n, char prefix,
			const char *name)
{
	unsigned long lim, w;
	char key[KEY_MAX];
	const char *err;

	for (size_t i = 0; i < n; i++)
		if (list[i] != NULL && rg_parse_rate(list[i], &lim, &w)) {
			snprintf(key, sizeof(key), "%c|%lu|%s", prefix, w, name);
			c->ops->reset(c, key, &err);
		}
}

int rg_guard_release(const struct rg_config *cfg, const char *identity, FILE *out)
{
	struct rg_counters *c = atomic_load(&counters);
	char key[KEY_MAX];
	const char *err;
	unsigned long lim, w;

	if (!guard_ready(cfg, c, out))
		return -1;
	const struct rg_guard_override *o = find_override(cfg->guard.identities,
							  cfg->guard.n_identities, identity);
	reset_rates(c, cfg->guard.messages, cfg->guard.n_messages, 'm', identity);
	reset_rates(c, cfg->guard.recipients, cfg->guard.n_recipients, 'r', identity);
	if (o != NULL) {
		reset_rates(c, o->messages, o->n_messages, 'm', identity);
		reset_rates(c, o->recipients, o->n_recipients, 'r', identity);
	}
	snprintf(key, sizeof(key), "A|%d|%s", cfg->guard.addresses_window, identity);
	c->ops->reset(c, key, &err);
	if (cfg->guard.failed_logins != NULL && rg_parse_rate(cfg->guard.failed_logins, &lim, &w)) {
		snprintf(key, sizeof(key), "f|%lu|%s", w, identity);
		c->ops->reset(c, key, &err);
	}
	snprintf(key, sizeof(key), "h|%d|%s", cfg->guard.suspend_window, identity);
	c->ops->reset(c, key, &err);
	char q[200];
	rg_log(LOG_NOTICE, "guard: release identity=%s: counters reset",
	       rg_log_quote(q, sizeof(q), identity));
	fprintf(out, "released %s: its counters start again from 0; held messages stay held until "
		"released in the MTA (Postfix: postsuper -H; Sendmail: sendmail -qQ -U)\n", identity);
	bool set = false;
	snprintf(key, sizeof(key), "s|%s", identity);
	c->ops->flag_get(c, key, time(NULL), &set, NULL, NULL, 0, &err);
	if (set)
		fprintf(out, "still suspended: relayguardctl guard unsuspend %s\n", identity);
	return 0;
}

int rg_guard_suspend(const struct rg_config *cfg, const char *identity, time_t now, FILE *out)
{
	struct rg_counters *c = atomic_load(&counters);
	char key[KEY_MAX], q[200];
	const char *err = NULL;

	if (!guard_ready(cfg, c, out))
		return -1;
	time_t until = cfg->guard.suspend_seconds > 0 ? now + cfg->guard.suspend_seconds : 0;
	snprintf(key, sizeof(key), "s|%s", identity);
	if (c->ops->flag_set(c, key, now, until, "by relayguardctl", &err) != RG_COUNTERS_OK) {
		fprintf(out, "cannot suspend %s: %s\n", identity, err ? err : "error");
		return -1;
	}
	rg_log(LOG_NOTICE, "guard: suspend identity=%s by relayguardctl seconds=%d",
	       rg_log_quote(q, sizeof(q), identity), cfg->guard.suspend_seconds);
	fprintf(out, "suspended %s\n", identity);
	return 0;
}

int rg_guard_unsuspend(const struct rg_config *cfg, const char *identity, FILE *out)
{
	struct rg_counters *c = atomic_load(&counters);
	char key[KEY_MAX], q[200];
	const char *err = NULL;

	if (!guard_ready(cfg, c, out))
		return -1;
	snprintf(key, sizeof(key), "s|%s", identity);
	c->ops->flag_del(c, key, &err);
	snprintf(key, sizeof(key), "h|%d|%s", cfg->guard.suspend_window, identity);
	c->ops->reset(c, key, &err);
	rg_log(LOG_NOTICE, "guard: unsuspend identity=%s by relayguardctl",
	       rg_log_quote(q, sizeof(q), identity));
	fprintf(out, "unsuspended %s\n", identity);
	return 0;
}

int rg_guard_held(FILE *out)
{
	pthread_mutex_lock(&held_lock);
	for (size_t k = 0; k < held_count; k++) {
		size_t i = (held_next + HELD_MAX - held_count + k) % HELD_MAX;
		char q[64], id[200];
		fprintf(out, "%lld %s %s %s\n", (long long)held_ring[i].at,
			rg_log_quote(q, sizeof(q), held_ring[i].queue_id),
			rg_log_quote(id, sizeof(id), held_ring[i].identity), held_ring[i].reason);
	}
	pthread_mutex_unlock(&held_lock);
	return 0;
}
