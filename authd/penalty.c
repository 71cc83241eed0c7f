/* penalty.c — failure counters, delays and lockouts (see penalty.h). */
#include <autoconfig.h>
#include "penalty.h"
#include "lrutable.h"

#include "stats.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define PEN_MAC 16

struct counter {
	unsigned failures;
	time_t last;
	unsigned char last_mac[PEN_MAC];
};

struct lock {
	time_t until;
};

/* A bounded counter table in two LRU segments: a new key starts in
 * `probation`; its second distinct failure moves it to `protected`.  A key
 * with one failure is evicted only by other newcomers, so a flood of fresh
 * names (one failure each) never pushes out a counter that has grown. */
struct ctable {
	struct rg_lru *probation, *protected;
};

struct rg_penalty {
	pthread_mutex_t lock;
	struct rg_penalty_conf conf;
	struct ctable addrs, users;
	struct rg_lru *locks;	/* user → lock; in the order taken; never evicted */
	size_t lock_max;	/* no new lock beyond this many */
};

static size_t probation_size(size_t table_size)
{
	size_t n = table_size / 4;
	return n > 0 ? n : 1;
}

static size_t protected_size(size_t table_size)
{
	size_t n = table_size - probation_size(table_size);
	return table_size > probation_size(table_size) && n > 0 ? n : 1;
}

static int ctable_init(struct ctable *t, size_t table_size)
{
	t->probation = rg_lru_new(probation_size(table_size), sizeof(struct counter));
	t->protected = rg_lru_new(protected_size(table_size), sizeof(struct counter));
	return t->probation != NULL && t->protected != NULL ? 0 : -1;
}

static void ctable_free(struct ctable *t)
{
	rg_lru_free(t->probation);
	rg_lru_free(t->protected);
}

static void ctable_reset(struct ctable *t, size_t table_size)
{
	rg_lru_clear(t->probation);
	rg_lru_clear(t->protected);
	rg_lru_set_max(t->probation, probation_size(table_size));
	rg_lru_set_max(t->protected, protected_size(table_size));
}

static void ctable_del(struct ctable *t, const char *key)
{
	rg_lru_del(t->probation, key, strlen(key));
	rg_lru_del(t->protected, key, strlen(key));
}

struct rg_penalty *rg_penalty_new(const struct rg_penalty_conf *conf)
{
	struct rg_penalty *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	pthread_mutex_init(&p->lock, NULL);
	p->conf = *conf;
	p->lock_max = conf->table_size > 0 ? conf->table_size : 1;
	p->locks = rg_lru_new(p->lock_max, sizeof(struct lock));
	if (ctable_init(&p->addrs, conf->table_size) < 0 ||
	    ctable_init(&p->users, conf->table_size) < 0 || p->locks == NULL) {
		rg_penalty_free(p);
		return NULL;
	}
	return p;
}

void rg_penalty_free(struct rg_penalty *p)
{
	if (p == NULL)
		return;
	ctable_free(&p->addrs);
	ctable_free(&p->users);
	rg_lru_free(p->locks);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

void rg_penalty_reset(struct rg_penalty *p, const struct rg_penalty_conf *conf)
{
	pthread_mutex_lock(&p->lock);
	p->conf = *conf;
	ctable_reset(&p->addrs, conf->table_size);
	ctable_reset(&p->users, conf->table_size);
	/* locks outlive a reload (they end at their own time) unless lockout is
	 * turned off; a smaller table takes no new lock until enough have ended */
	if (conf->lockout_failures == 0)
		rg_lru_clear(p->locks);
	p->lock_max = conf->table_size > 0 ? conf->table_size : 1;
	size_t keep = rg_lru_count(p->locks);
	rg_lru_set_max(p->locks, keep > p->lock_max ? keep : p->lock_max);
	pthread_mutex_unlock(&p->lock);
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

/* The live counter for key, or NULL; a counter idle for forget_seconds is dropped. */
static struct counter *live(struct rg_penalty *p, struct ctable *t, const char *key, time_t now,
			    bool *protected_r)
{
	size_t klen = strlen(key);
	struct rg_lru *seg = t->protected;
	struct counter *c = rg_lru_get(seg, key, klen);
	if (c == NULL) {
		seg = t->probation;
		c = rg_lru_get(seg, key, klen);
	}
	if (c != NULL && now - c->last >= (time_t)p->conf.forget_seconds) {
		rg_lru_del(seg, key, klen);
		c = NULL;
	}
	if (protected_r != NULL)
		*protected_r = c != NULL && seg == t->protected;
	return c;
}

/* Is user locked at `now`?  An ended lock is dropped. */
static bool lock_held(struct rg_penalty *p, const char *user, time_t now)
{
	struct lock *l = rg_lru_peek(p->locks, user, strlen(user));
	if (l == NULL)
		return false;
	if (l->until > now)
		return true;
	rg_lru_del(p->locks, user, strlen(user));
	return false;
}

static void take_lock(struct rg_penalty *p, const char *user, time_t now)
{
	struct lock *l;

	/* locks are kept in the order taken: drop the ended ones at the old end */
	while ((l = rg_lru_oldest(p->locks)) != NULL && l->until <= now)
		rg_lru_del_oldest(p->locks);
	if (rg_lru_count(p->locks) >= p->lock_max) {
		/* full of live locks: none is lifted; this user gets delays only */
		rg_stats_inc("auth.lockout_table_full");
		return;
	}
	l = rg_lru_put(p->locks, user, strlen(user), NULL);
	if (l == NULL)
		return;
	l->until = now + (time_t)p->conf.lockout_seconds;
	rg_stats_inc("auth.lockouts");
}

bool rg_penalty_locked(struct rg_penalty *p, const char *user, time_t now)
{
	bool locked = false;
	pthread_mutex_lock(&p->lock);
	if (p->conf.lockout_failures > 0)
		locked = lock_held(p, user, now);
	pthread_mutex_unlock(&p->lock);
	return locked;
}

static unsigned bump(struct rg_penalty *p, struct ctable *t, const char *key,
		     const unsigned char *mac, size_t maclen, time_t now, bool is_user)
{
	bool protected;

	if (key[0] == '\0')
		return 0;
	struct counter *c = live(p, t, key, now, &protected);
	if (c == NULL) {
		c = rg_lru_put(t->probation, key, strlen(key), NULL);
		if (c == NULL)
			return 0;
	}
	if (maclen > PEN_MAC)
		maclen = PEN_MAC;
	if (c->failures == 0 || memcmp(c->last_mac, mac, maclen) != 0) {
		c->failures++;
		memcpy(c->last_mac, mac, maclen);
	}
	c->last = now;
	if (!protected && c->failures >= 2) {
		/* promote: the protected segment evicts its own least recent entry */
		struct counter keep = *c, *n;
		rg_lru_del(t->probation, key, strlen(key));
		n = rg_lru_put(t->protected, key, strlen(key), NULL);
		if (n == NULL)
			return keep.failures;
		*n = keep;
		c = n;
	}
	if (is_user && p->conf.lockout_failures > 0 && c->failures >= p->conf.lockout_failures &&
	    !lock_held(p, key, now))
		take_lock(p, key, now);
	return c->failures;
}

unsigned rg_penalty_failure(struct rg_penalty *p, const char *addr, const char *user,
			    const unsigned char *mac, size_t maclen, time_t now)
{
	pthread_mutex_lock(&p->lock);
	unsigned a = bump(p, &p->addrs, addr, mac, maclen, now, false);
	unsigned u = bump(p, &p->users, user, mac, maclen, now, true);
	unsigned d = delay_for(&p->conf, a > u ? a : u);
	pthread_mutex_unlock(&p->lock);
	return d;
}

unsigned rg_penalty_delay(struct rg_penalty *p, const char *addr, const char *user, time_t now)
{
	pthread_mutex_lock(&p->lock);
	struct counter *a = addr[0] ? live(p, &p->addrs, addr, now, NULL) : NULL;
	struct counter *u = live(p, &p->users, user, now, NULL);
	unsigned n = 0;
	if (a && a->failures > n) n = a->failures;
	if (u && u->failures > n) n = u->failures;
	unsigned d = delay_for(&p->conf, n);
	pthread_mutex_unlock(&p->lock);
	return d;
}

void rg_penalty_success(struct rg_penalty *p, const char *user)
{
	pthread_mutex_lock(&p->lock);
	ctable_del(&p->users, user);
	pthread_mutex_unlock(&p->lock);
}
