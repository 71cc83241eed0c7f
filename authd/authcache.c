/* authcache.c — keyed-MAC auth cache (see authcache.h). */
#include <autoconfig.h>
#include "authcache.h"
#include "lrutable.h"

#include <pthread.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct pos_value {
	unsigned char mac[RG_AUTHCACHE_MACLEN];
	time_t expires;
};

struct neg_value {
	time_t expires;
};

struct rg_authcache {
	pthread_mutex_t lock;		/* the tables */
	pthread_rwlock_t key_lock;	/* the key: read by every MAC, written by a reset */
	unsigned char key[crypto_generichash_KEYBYTES];
	int ttl, negative_ttl;
	struct rg_lru *pos;	/* user → pos_value */
	struct rg_lru *neg;	/* mac → neg_value */
};

struct rg_authcache *rg_authcache_new(int ttl, int negative_ttl, size_t size,
				      size_t negative_size)
{
	struct rg_authcache *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	pthread_mutex_init(&c->lock, NULL);
	pthread_rwlock_init(&c->key_lock, NULL);
	c->pos = rg_lru_new(size, sizeof(struct pos_value));
	c->neg = rg_lru_new(negative_size, sizeof(struct neg_value));
	if (c->pos == NULL || c->neg == NULL) {
		rg_authcache_free(c);
		return NULL;
	}
	c->ttl = ttl;
	c->negative_ttl = negative_ttl;
	crypto_generichash_keygen(c->key);
	return c;
}

void rg_authcache_free(struct rg_authcache *c)
{
	if (c == NULL)
		return;
	rg_lru_free(c->pos);
	rg_lru_free(c->neg);
	sodium_memzero(c->key, sizeof(c->key));
	pthread_mutex_destroy(&c->lock);
	pthread_rwlock_destroy(&c->key_lock);
	free(c);
}

void rg_authcache_reset(struct rg_authcache *c, int ttl, int negative_ttl, size_t size,
			size_t negative_size)
{
	pthread_mutex_lock(&c->lock);
	rg_lru_clear(c->pos);
	rg_lru_clear(c->neg);
	rg_lru_set_max(c->pos, size);
	rg_lru_set_max(c->neg, negative_size);
	c->ttl = ttl;
	c->negative_ttl = negative_ttl;
	pthread_rwlock_wrlock(&c->key_lock);
	crypto_generichash_keygen(c->key);
	pthread_rwlock_unlock(&c->key_lock);
	pthread_mutex_unlock(&c->lock);
}

static void absorb(crypto_generichash_state *st, const void *p, size_t n)
{
	uint64_t len = n;	/* length-prefixed: no ambiguity between fields */
	crypto_generichash_update(st, (const unsigned char *)&len, sizeof(len));
	crypto_generichash_update(st, p, n);
}

void rg_authcache_mac(struct rg_authcache *c, const char *user, const char *stored,
		      const char *password, size_t password_len,
		      unsigned char mac[RG_AUTHCACHE_MACLEN])
{
	crypto_generichash_state st;
	unsigned char key[crypto_generichash_KEYBYTES];

	pthread_rwlock_rdlock(&c->key_lock);	/* MACs of several threads at once */
	memcpy(key, c->key, sizeof(key));
	pthread_rwlock_unlock(&c->key_lock);
	crypto_generichash_init(&st, key, sizeof(key), RG_AUTHCACHE_MACLEN);
	absorb(&st, user, strlen(user));
	absorb(&st, stored, strlen(stored));
	absorb(&st, password, password_len);
	crypto_generichash_final(&st, mac, RG_AUTHCACHE_MACLEN);
	sodium_memzero(&st, sizeof(st));
	sodium_memzero(key, sizeof(key));
}

enum rg_cache_answer rg_authcache_lookup(struct rg_authcache *c, const char *user,
					 const unsigned char mac[RG_AUTHCACHE_MACLEN], time_t now)
{
	enum rg_cache_answer ans = RG_CACHE_MISS;

	pthread_mutex_lock(&c->lock);
	if (c->ttl > 0) {
		struct pos_value *p = rg_lru_get(c->pos, user, strlen(user));
		if (p != NULL) {
			if (p->expires <= now)
				rg_lru_del(c->pos, user, strlen(user));
			else if (sodium_memcmp(p->mac, mac, RG_AUTHCACHE_MACLEN) == 0)
				ans = RG_CACHE_POSITIVE;
		}
	}
	if (ans == RG_CACHE_MISS && c->negative_ttl > 0) {
		struct neg_value *n = rg_lru_get(c->neg, mac, RG_AUTHCACHE_MACLEN);
		if (n != NULL) {
			if (n->expires <= now)
				rg_lru_del(c->neg, mac, RG_AUTHCACHE_MACLEN);
			else
				ans = RG_CACHE_NEGATIVE;
		}
	}
	pthread_mutex_unlock(&c->lock);
	return ans;
}

void rg_authcache_add_positive(struct rg_authcache *c, const char *user,
			       const unsigned char mac[RG_AUTHCACHE_MACLEN], time_t now)
{
	pthread_mutex_lock(&c->lock);
	if (c->ttl > 0) {
		struct pos_value *p = rg_lru_put(c->pos, user, strlen(user), NULL);
		if (p != NULL) {
			memcpy(p->mac, mac, RG_AUTHCACHE_MACLEN);
			p->expires = now + c->ttl;
		}
	}
	/* a success supersedes a remembered failure of the same attempt */
	rg_lru_del(c->neg, mac, RG_AUTHCACHE_MACLEN);
	pthread_mutex_unlock(&c->lock);
}

void rg_authcache_add_negative(struct rg_authcache *c, const char *user,
			       const unsigned char mac[RG_AUTHCACHE_MACLEN], time_t now)
{
	pthread_mutex_lock(&c->lock);
	rg_lru_del(c->pos, user, strlen(user));
	if (c->negative_ttl > 0) {
		struct neg_value *n = rg_lru_put(c->neg, mac, RG_AUTHCACHE_MACLEN, NULL);
		if (n != NULL)
			n->expires = now + c->negative_ttl;
	}
	pthread_mutex_unlock(&c->lock);
}

void rg_authcache_drop_user(struct rg_authcache *c, const char *user)
{
	pthread_mutex_lock(&c->lock);
	rg_lru_del(c->pos, user, strlen(user));
	pthread_mutex_unlock(&c->lock);
}

size_t rg_authcache_count(struct rg_authcache *c, bool negative)
{
	pthread_mutex_lock(&c->lock);
	size_t n = rg_lru_count(negative ? c->neg : c->pos);
	pthread_mutex_unlock(&c->lock);
	return n;
}
