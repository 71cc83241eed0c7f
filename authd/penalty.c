/* penalty.c — failure counters and delays (see penalty.h). */
#include <autoconfig.h>
#include "penalty.h"
#include "lrutable.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define PEN_MAC 16

struct counter {
	unsigned failures;
	time_t last;
	time_t locked_until;
	unsigned char last_mac[PEN_MAC];
};

struct rg_penalty {
	pthread_mutex_t lock;
	struct rg_penalty_conf conf;
	struct rg_lru *addrs, *users;
};

struct rg_penalty *rg_penalty_new(const struct rg_penalty_conf *conf)
{
	struct rg_penalty *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	pthread_mutex_init(&p->lock, NULL);
	p->conf = *conf;
	p->addrs = rg_lru_new(conf->table_size, sizeof(struct counter));
	p->users = rg_lru_new(conf->table_size, sizeof(struct counter));
	if (p->addrs == NULL || p->users == NULL) {
		rg_penalty_free(p);
		return NULL;
	}
	return p;
}

void rg_penalty_free(struct rg_penalty *p)
{
	if (p == NULL)
		return;
	rg_lru_free(p->addrs);
	rg_lru_free(p->users);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

void rg_penalty_reset(struct rg_penalty *p, const struct rg_penalty_conf *conf)
{
	pthread_mutex_lock(&p->lock);
	p->conf = *conf;
	rg_lru_clear(p->addrs);
	rg_lru_clear(p->users);
	rg_lru_set_max(p->addrs, conf->table_size);
	rg_lru_set_max(p->users, conf->table_size);
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

/* The live counter for key, or NULL; stale counters are reset. */
static struct counter *live(struct rg_penalty *p, struct rg_lru *t, const char *key, time_t now)
{
	struct counter *c = rg_lru_get(t, key, strlen(key));
	if (c != NULL && c->locked_until <= now && now - c->last >= (time_t)p->conf.forget_seconds)
		memset(c, 0, sizeof(*c));
	return c;
}

bool rg_penalty_locked(struct rg_penalty *p, const char *user, time_t now)
{
	bool locked = false;
	pthread_mutex_lock(&p->lock);
	if (p->conf.lockout_failures > 0) {
		struct counter *c = live(p, p->users, user, now);
		locked = c != NULL && c->locked_until > now;
	}
	pthread_mutex_unlock(&p->lock);
	return locked;
}

static unsigned bump(struct rg_penalty *p, struct rg_lru *t, const char *key,
		     const unsigned char *mac, size_t maclen, time_t now, bool is_user)
{
	if (key[0] == '\0')
		return 0;
	struct counter *c = live(p, t, key, now);
	if (c == NULL) {
		c = rg_lru_put(t, key, strlen(key), NULL);
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
	if (is_user && p->conf.lockout_failures > 0 && c->failures >= p->conf.lockout_failures &&
	    c->locked_until <= now)
		c->locked_until = now + p->conf.lockout_seconds;
	return c->failures;
}

unsigned rg_penalty_failure(struct rg_penalty *p, const char *addr, const char *user,
			    const unsigned char *mac, size_t maclen, time_t now)
{
	pthread_mutex_lock(&p->lock);
	unsigned a = bump(p, p->addrs, addr, mac, maclen, now, false);
	unsigned u = bump(p, p->users, user, mac, maclen, now, true);
	unsigned d = delay_for(&p->conf, a > u ? a : u);
	pthread_mutex_unlock(&p->lock);
	return d;
}

unsigned rg_penalty_delay(struct rg_penalty *p, const char *addr, const char *user, time_t now)
{
	pthread_mutex_lock(&p->lock);
	struct counter *a = addr[0] ? live(p, p->addrs, addr, now) : NULL;
	struct counter *u = live(p, p->users, user, now);
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
	rg_lru_del(p->users, user, strlen(user));
	pthread_mutex_unlock(&p->lock);
}
