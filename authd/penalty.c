/* penalty.c — failure counters, delays and lockouts (see penalty.h). */
#include <autoconfig.h>
#include "penalty.h"
#include "counters.h"
#include "counters_shared.h"
#include "log.h"

#include "stats.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* The counts live in counters (state/counters.h): per address, per user, and
 * the locks as flags of a third set, so that a fleet can keep them all in a
 * shared store.  Each set is bounded by table_size, in the two LRU segments
 * penalty.h describes: a counter's second distinct failure protects it. */
struct rg_penalty {
	pthread_mutex_t lock;		/* the sets may be replaced by a reload */
	struct rg_penalty_conf conf;
	struct rg_counters *addrs, *users;
	struct rg_counters *locks;	/* flags: user → end of the lock; never evicted */
};

static size_t table(const struct rg_penalty_conf *c)
{
	return c->table_size > 0 ? c->table_size : 1;
}

/* The three sets, local or shared (conf->shared). */
static int open_sets(const struct rg_penalty_conf *conf, struct rg_counters **a,
		     struct rg_counters **u, struct rg_counters **l)
{
	char *err = NULL;

	if (l != NULL)
		*l = NULL;
	*a = rg_counters_open(conf->shared, "pa", table(conf), 1, &err);
	*u = NULL;
	if (*a != NULL)
		*u = rg_counters_open(conf->shared, "pu", table(conf), 1, &err);
	if (l != NULL && *a != NULL && *u != NULL)
		*l = rg_counters_open(conf->shared, "pl", 4, table(conf), &err);
	if (*a == NULL || *u == NULL || (l != NULL && *l == NULL)) {
		char q[600];
		rg_log(LOG_ERR, "auth: penalty counters: %s", rg_log_quote(q, sizeof(q),
		       err ? err : "out of memory"));
		free(err);
		rg_counters_free(*a);
		rg_counters_free(*u);
		*a = *u = NULL;
		return -1;
	}
	free(err);
	return 0;
}

struct rg_penalty *rg_penalty_new(const struct rg_penalty_conf *conf)
{
	struct rg_penalty *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	pthread_mutex_init(&p->lock, NULL);
	p->conf = *conf;
	p->conf.shared = NULL;
	if (open_sets(conf, &p->addrs, &p->users, &p->locks) != 0) {
		rg_penalty_free(p);
		return NULL;
	}
	return p;
}

void rg_penalty_free(struct rg_penalty *p)
{
	if (p == NULL)
		return;
	rg_counters_free(p->addrs);
	rg_counters_free(p->users);
	rg_counters_free(p->locks);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

void rg_penalty_reset(struct rg_penalty *p, const struct rg_penalty_conf *conf)
{
	struct rg_counters *a = NULL, *u = NULL, *l = NULL;
	bool shared = conf->shared != NULL && conf->shared->type != RG_SHARED_NONE;

	/* local locks survive a reload (below); a shared store is opened anew
	 * (its data stays where it is) */
	if (open_sets(conf, &a, &u, conf->lockout_failures == 0 || shared ? &l : NULL) != 0)
		a = u = l = NULL;

	pthread_mutex_lock(&p->lock);
	p->conf = *conf;
	p->conf.shared = NULL;
	/* counters start again; out of memory: the old ones stay */
	if (a != NULL && u != NULL) {
		rg_counters_free(p->addrs);
		rg_counters_free(p->users);
		p->addrs = a;
		p->users = u;
		a = u = NULL;
	}
	/* locks outlive a reload (they end at their own time) unless lockout is
	 * turned off; a smaller table takes no new lock until enough have ended */
	if (l != NULL) {
		rg_counters_free(p->locks);
		p->locks = l;
	} else if (!shared) {
		rg_counters_local_set_max_flags(p->locks, table(conf));
	}
	pthread_mutex_unlock(&p->lock);
	rg_counters_free(a);
	rg_counters_free(u);
}

static unsigned delay_for(const struct rg_penalty_conf *c, unsigned n)
{
	if (n == 0 || c->base_ms == 0)
		return 0;
	unsigned long long d = c->base_ms;
	for (unsigned i = 1; i < n && d < c->max_ms; i++)
		d *= 2;
	return d > c->max_ms ? c->max_ms : (unsigned)d;
}

/* Is user locked at `now`?  1, 0, or -1 (the counters did not answer). */
static int lock_held(struct rg_penalty *p, const char *user, time_t now)
{
	const char *err;
	bool set = false;

	if (p->locks->ops->flag_get(p->locks, user, now, &set, NULL, NULL, 0, &err) !=
	    RG_COUNTERS_OK)
		return -1;
	return set ? 1 : 0;
}

static void take_lock(struct rg_penalty *p, const char *user, time_t now)
{
	const char *err = NULL;

	if (p->locks->ops->flag_set(p->locks, user, now, now + (time_t)p->conf.lockout_seconds, "",
				    &err) != RG_COUNTERS_OK) {
		/* full of live locks: none is lifted; this user gets delays only */
		rg_stats_inc("auth.lockout_table_full");
		return;
	}
	rg_stats_inc("auth.lockouts");
}

int rg_penalty_precheck(struct rg_penalty *p, const char *user, struct rg_counters_op *extra,
			size_t n_extra, time_t now, bool *locked_r, unsigned *count_r)
{
	struct rg_counters_op ops[10];
	const char *err = NULL;
	size_t n = 0, first_extra;
	int r;

	*locked_r = false;
	*count_r = 0;
	if (n_extra > 8)
		return -1;
	memset(ops, 0, sizeof(ops));
	pthread_mutex_lock(&p->lock);
	bool lockout = p->conf.lockout_failures > 0;
	if (lockout)
		ops[n++] = (struct rg_counters_op){ .kind = RG_CTR_FLAG_GET, .key = user, .in = p->locks };
	ops[n++] = (struct rg_counters_op){ .kind = RG_CTR_BUMP_GET, .key = user,
					    .window_s = p->conf.forget_seconds };
	first_extra = n;
	for (size_t i = 0; i < n_extra; i++)
		ops[n++] = extra[i];
	r = rg_counters_batch(p->users, ops, n, now, &err);
	pthread_mutex_unlock(&p->lock);
	if (r != RG_COUNTERS_OK)
		return -1;
	for (size_t i = 0; i < n_extra; i++)
		extra[i] = ops[first_extra + i];
	*locked_r = lockout && ops[0].set;
	uint64_t c = ops[lockout ? 1 : 0].count;
	*count_r = c > UINT32_MAX ? UINT32_MAX : (unsigned)c;
	return 0;
}

int rg_penalty_check_lock(struct rg_penalty *p, const char *user, time_t now)
{
	bool locked;
	unsigned count;

	if (rg_penalty_precheck(p, user, NULL, 0, now, &locked, &count) != 0)
		return -1;
	return locked ? 1 : 0;
}

bool rg_penalty_locked(struct rg_penalty *p, const char *user, time_t now)
{
	return rg_penalty_check_lock(p, user, now) != 0;
}

/* The attempt's tag: 32 bits of its keyed MAC (never the password). */
static uint32_t tag_of(const unsigned char *mac, size_t maclen)
{
	uint32_t t = 0;
	memcpy(&t, mac, maclen < sizeof(t) ? maclen : sizeof(t));
	return t;
}

static unsigned bump(struct rg_penalty *p, struct rg_counters *c, const char *key, uint32_t tag,
		     time_t now)
{
	const char *err;
	uint64_t n = 0;

	if (key[0] == '\0' ||
	    c->ops->bump(c, key, p->conf.forget_seconds, tag, now, &n, &err) != RG_COUNTERS_OK)
		return 0;
	return n > UINT32_MAX ? UINT32_MAX : (unsigned)n;
}

unsigned rg_penalty_failure(struct rg_penalty *p, const char *addr, const char *user,
			    const unsigned char *mac, size_t maclen, time_t now)
{
	uint32_t tag = tag_of(mac, maclen);

	pthread_mutex_lock(&p->lock);
	unsigned a = bump(p, p->addrs, addr, tag, now);
	unsigned u = bump(p, p->users, user, tag, now);
	if (p->conf.lockout_failures > 0 && u >= p->conf.lockout_failures && lock_held(p, user, now) == 0)
		take_lock(p, user, now);
	unsigned d = delay_for(&p->conf, a > u ? a : u);
	pthread_mutex_unlock(&p->lock);
	return d;
}

static unsigned current(struct rg_penalty *p, struct rg_counters *c, const char *key, time_t now)
{
	const char *err;
	uint64_t n = 0;

	if (key[0] != '\0')
		c->ops->bump_get(c, key, p->conf.forget_seconds, now, &n, &err);
	return n > UINT32_MAX ? UINT32_MAX : (unsigned)n;
}

unsigned rg_penalty_delay(struct rg_penalty *p, const char *addr, const char *user, time_t now)
{
	pthread_mutex_lock(&p->lock);
	unsigned a = current(p, p->addrs, addr, now);
	unsigned u = current(p, p->users, user, now);
	unsigned d = delay_for(&p->conf, a > u ? a : u);
	pthread_mutex_unlock(&p->lock);
	return d;
}

void rg_penalty_success(struct rg_penalty *p, const char *user)
{
	const char *err;

	pthread_mutex_lock(&p->lock);
	p->users->ops->reset(p->users, user, &err);
	pthread_mutex_unlock(&p->lock);
}
