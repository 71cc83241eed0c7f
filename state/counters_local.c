/*
 * counters_local.c — the in-memory implementation of counters.h.
 *
 * Counters live in one array of 44-byte entries (grown as needed, never past
 * max_counters), found through a bucket index by a keyed 128-bit MAC of the
 * key text, and kept in two LRU lists (probation, protected: see counters.h).
 * Flags live in a small chained hash of their own, with their key text (for
 * listing), and are never evicted.  One mutex.
 */
#include <autoconfig.h>
#include "counters.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NIL 0u			/* indexes are stored +1; 0 = none */
#define FLAG_BUCKETS 1024

struct ctr {
	uint8_t key[16];
	uint32_t hnext;		/* bucket chain */
	uint32_t lprev, lnext;	/* its LRU list */
	uint32_t slot;		/* window number of cur */
	uint32_t cur, prev;	/* events in that window and the one before */
	uint8_t seg;		/* 0 free, 1 probation, 2 protected */
	uint8_t pad[3];
};	/* the window is the caller's (it is part of every key) */
_Static_assert(sizeof(struct ctr) == 44, "a counter is 44 bytes");

struct list {
	uint32_t head, tail;	/* head = most recent */
	size_t n, max;
};

struct flag {
	struct flag *next;
	uint8_t mac[16];
	time_t until;
	char text[96];
	char key[];
};

struct local {
	struct rg_counters base;
	pthread_mutex_t lock;
	unsigned char hkey[crypto_shorthash_siphashx24_KEYBYTES];
	struct ctr *e;		/* entries [0, cap) */
	size_t cap, used;	/* allocated, handed out (the rest never used) */
	uint32_t free_head;	/* freed entries, chained through hnext */
	uint32_t *buckets;
	size_t nbuckets;	/* power of 2 */
	size_t max;
	struct list seg[3];	/* [1] probation, [2] protected */
	struct flag *flags[FLAG_BUCKETS];
	size_t n_flags, max_flags;
};

/* SipHash-2-4 with a 128-bit output: keyed (chosen names cannot pick their
 * bucket or collide on purpose) and cheap on short keys */
static void mac16(const struct local *l, const char *key, uint8_t out[16])
{
	_Static_assert(crypto_shorthash_siphashx24_BYTES == 16, "128-bit SipHash");
	crypto_shorthash_siphashx24(out, (const unsigned char *)key, strlen(key), l->hkey);
}

static uint32_t bucket_of(const struct local *l, const uint8_t mac[16])
{
	uint32_t h;
	memcpy(&h, mac, sizeof(h));
	return h & (uint32_t)(l->nbuckets - 1);
}

#define E(i) (&l->e[(i) - 1])

static void list_unlink(struct local *l, uint32_t i)
{
	struct ctr *c = E(i);
	struct list *s = &l->seg[c->seg];

	if (c->lprev != NIL)
		E(c->lprev)->lnext = c->lnext;
	else
		s->head = c->lnext;
	if (c->lnext != NIL)
		E(c->lnext)->lprev = c->lprev;
	else
		s->tail = c->lprev;
	c->lprev = c->lnext = NIL;
	s->n--;
}

static void list_push(struct local *l, uint32_t i, uint8_t seg)
{
	struct ctr *c = E(i);
	struct list *s = &l->seg[seg];

	c->seg = seg;
	c->lprev = NIL;
	c->lnext = s->head;
	if (s->head != NIL)
		E(s->head)->lprev = i;
	s->head = i;
	if (s->tail == NIL)
		s->tail = i;
	s->n++;
}

static uint32_t *chain_of(struct local *l, uint32_t i)
{
	uint32_t *pp = &l->buckets[bucket_of(l, E(i)->key)];
	while (*pp != NIL && *pp != i)
		pp = &E(*pp)->hnext;
	return pp;
}

static void evict(struct local *l, uint32_t i)
{
	uint32_t *pp = chain_of(l, i);

	if (*pp == i)
		*pp = E(i)->hnext;
	list_unlink(l, i);
	memset(E(i), 0, sizeof(struct ctr));
	E(i)->hnext = l->free_head;
	l->free_head = i;
}

/* Keep both segments within their bounds: protected overflow goes back to
 * probation, probation overflow is evicted. */
static void rebalance(struct local *l)
{
	while (l->seg[2].n > l->seg[2].max && l->seg[2].tail != NIL)
		evict(l, l->seg[2].tail);
	while (l->seg[1].n > l->seg[1].max && l->seg[1].tail != NIL)
		evict(l, l->seg[1].tail);
}

/* A use: most recent in its segment; promote: into the protected one. */
static void touch(struct local *l, uint32_t i, bool promote)
{
	uint8_t seg = promote ? 2 : E(i)->seg;
	list_unlink(l, i);
	list_push(l, i, seg);
	if (promote)
		rebalance(l);
}

static void set_bounds(struct local *l, size_t max)
{
	l->max = max < 4 ? 4 : max;
	l->seg[1].max = l->max / 4;
	l->seg[2].max = l->max - l->seg[1].max;
}

static uint32_t find(struct local *l, const uint8_t mac[16])
{
	uint32_t i = l->buckets[bucket_of(l, mac)];
	while (i != NIL && memcmp(E(i)->key, mac, 16) != 0)
		i = E(i)->hnext;
	return i;
}

/* A new entry (evicting from probation when full); NIL when out of memory. */
static uint32_t create(struct local *l, const uint8_t mac[16])
{
	uint32_t i;

	if (l->seg[1].n + l->seg[2].n >= l->max) {
		if (l->seg[1].tail != NIL)
			evict(l, l->seg[1].tail);
		else if (l->seg[2].tail != NIL)
			evict(l, l->seg[2].tail);
	}
	if (l->free_head != NIL) {
		i = l->free_head;
		l->free_head = E(i)->hnext;
	} else {
		if (l->used == l->cap) {
			size_t ncap = l->cap ? l->cap * 2 : 1024;
			if (ncap > l->max)
				ncap = l->max;
			if (ncap <= l->cap)
				return NIL;
			struct ctr *ne = realloc(l->e, ncap * sizeof(*ne));
			if (ne == NULL)
				return NIL;
			memset(ne + l->cap, 0, (ncap - l->cap) * sizeof(*ne));
			l->e = ne;
			l->cap = ncap;
		}
		i = (uint32_t)++l->used;
	}
	memset(E(i), 0, sizeof(struct ctr));
	memcpy(E(i)->key, mac, 16);
	uint32_t *b = &l->buckets[bucket_of(l, mac)];
	E(i)->hnext = *b;
	*b = i;
	list_push(l, i, 1);
	rebalance(l);
	return i;
}

/* Bring c's buckets to window number slot. */
static void roll(struct ctr *c, uint32_t slot)
{
	if (slot == c->slot)
		return;
	c->prev = slot == c->slot + 1 ? c->cur : 0;
	c->cur = 0;
	c->slot = slot;
}

static uint64_t estimate(const struct ctr *c, unsigned window_s, time_t now)
{
	uint64_t w = window_s ? window_s : 1;
	uint64_t left = w - (uint64_t)now % w;	/* of the previous window, still inside */
	return c->cur + (c->prev * left + w - 1) / w;
}

static int l_add(struct rg_counters *base, const char *key, unsigned window_s, unsigned n,
		 time_t now, uint64_t *count_r, const char **error_r)
{
	struct local *l = (struct local *)base;
	uint8_t mac[16];
	uint32_t slot = (uint32_t)((uint64_t)now / (window_s ? window_s : 1));
	int ret = RG_COUNTERS_OK;

	mac16(l, key, mac);
	pthread_mutex_lock(&l->lock);
	uint32_t i = find(l, mac);
	if (i == NIL) {
		if ((i = create(l, mac)) == NIL) {
			*error_r = "out of memory";
			ret = RG_COUNTERS_ERROR;
			goto out;
		}
		E(i)->slot = slot;
	} else {
		touch(l, i, true);	/* a second event: protected (or most recent there) */
	}
	roll(E(i), slot);
	E(i)->cur = E(i)->cur + n < E(i)->cur ? UINT32_MAX : E(i)->cur + n;
	*count_r = estimate(E(i), window_s, now);
out:
	pthread_mutex_unlock(&l->lock);
	return ret;
}

static int l_get(struct rg_counters *base, const char *key, unsigned window_s, time_t now,
		 uint64_t *count_r, const char **error_r)
{
	struct local *l = (struct local *)base;
	uint8_t mac[16];
	uint32_t slot = (uint32_t)((uint64_t)now / (window_s ? window_s : 1));

	(void)error_r;
	mac16(l, key, mac);
	pthread_mutex_lock(&l->lock);
	uint32_t i = find(l, mac);
	*count_r = 0;
	if (i != NIL) {
		struct ctr c = *E(i);
		roll(&c, slot);
		*count_r = estimate(&c, window_s, now);
		touch(l, i, false);
	}
	pthread_mutex_unlock(&l->lock);
	return RG_COUNTERS_OK;
}

/* Bump counters: slot = the last event's time, cur = the count, prev = its tag. */
static int l_bump(struct rg_counters *base, const char *key, unsigned idle_s, uint32_t tag,
		  time_t now, uint64_t *count_r, const char **error_r)
{
	struct local *l = (struct local *)base;
	uint8_t mac[16];
	int ret = RG_COUNTERS_OK;

	mac16(l, key, mac);
	pthread_mutex_lock(&l->lock);
	uint32_t i = find(l, mac);
	if (i != NIL && (uint64_t)now - E(i)->slot >= idle_s) {
		evict(l, i);	/* idle too long: forgotten */
		i = NIL;
	}
	if (i == NIL && (i = create(l, mac)) == NIL) {
		*error_r = "out of memory";
		ret = RG_COUNTERS_ERROR;
		goto out;
	}
	struct ctr *c = E(i);
	bool counted = c->cur == 0 || c->prev != tag;
	if (counted) {
		c->cur = c->cur == UINT32_MAX ? c->cur : c->cur + 1;
		c->prev = tag;
	}
	c->slot = (uint32_t)now;
	touch(l, i, counted && c->cur >= 2 && c->seg == 1);
	*count_r = E(i)->cur;	/* touch may have moved nothing but links */
out:
	pthread_mutex_unlock(&l->lock);
	return ret;
}

static int l_bump_get(struct rg_counters *base, const char *key, unsigned idle_s, time_t now,
		      uint64_t *count_r, const char **error_r)
{
	struct local *l = (struct local *)base;
	uint8_t mac[16];

	(void)error_r;
	mac16(l, key, mac);
	pthread_mutex_lock(&l->lock);
	uint32_t i = find(l, mac);
	*count_r = 0;
	if (i != NIL && (uint64_t)now - E(i)->slot >= idle_s) {
		evict(l, i);
	} else if (i != NIL) {
		*count_r = E(i)->cur;
		touch(l, i, false);
	}
	pthread_mutex_unlock(&l->lock);
	return RG_COUNTERS_OK;
}

static int l_reset(struct rg_counters *base, const char *key, const char **error_r)
{
	struct local *l = (struct local *)base;
	uint8_t mac[16];

	(void)error_r;
	mac16(l, key, mac);
	pthread_mutex_lock(&l->lock);
	uint32_t i = find(l, mac);
	if (i != NIL)
		evict(l, i);
	pthread_mutex_unlock(&l->lock);
	return RG_COUNTERS_OK;
}

static struct flag **flag_find(struct local *l, const uint8_t mac[16])
{
	uint32_t h;
	memcpy(&h, mac, sizeof(h));
	struct flag **pp = &l->flags[h % FLAG_BUCKETS];
	while (*pp != NULL && memcmp((*pp)->mac, mac, 16) != 0)
		pp = &(*pp)->next;
	return pp;
}

/* Drop flags whose time has come (lock held). */
static void flags_expire(struct local *l, time_t now)
{
	for (size_t b = 0; b < FLAG_BUCKETS; b++)
		for (struct flag **pp = &l->flags[b]; *pp != NULL;) {
			if ((*pp)->until != 0 && (*pp)->until <= now) {
				struct flag *f = *pp;
				*pp = f->next;
				free(f);
				l->n_flags--;
			} else {
				pp = &(*pp)->next;
			}
		}
}

static int l_flag_set(struct rg_counters *base, const char *key, time_t now, time_t until,
		      const char *text, const char **error_r)
{
	struct local *l = (struct local *)base;
	uint8_t mac[16];
	int ret = RG_COUNTERS_OK;

	mac16(l, key, mac);
	pthread_mutex_lock(&l->lock);
	struct flag **pp = flag_find(l, mac);
	if (*pp == NULL) {
		if (l->n_flags >= l->max_flags)
			flags_expire(l, now);
		struct flag *f = l->n_flags < l->max_flags ?
				 calloc(1, sizeof(*f) + strlen(key) + 1) : NULL;
		if (f == NULL) {
			*error_r = l->n_flags < l->max_flags ? "out of memory" : "flag table full";
			ret = RG_COUNTERS_ERROR;
			goto out;
		}
		memcpy(f->mac, mac, 16);
		memcpy(f->key, key, strlen(key) + 1);
		pp = flag_find(l, mac);	/* flags_expire may have changed the chain */
		f->next = *pp;
		*pp = f;
		l->n_flags++;
	}
	(*pp)->until = until;
	snprintf((*pp)->text, sizeof((*pp)->text), "%s", text ? text : "");
out:
	pthread_mutex_unlock(&l->lock);
	return ret;
}

static int l_flag_get(struct rg_counters *base, const char *key, time_t now, bool *set_r,
		      time_t *until_r, char *text, size_t n, const char **error_r)
{
	struct local *l = (struct local *)base;
	uint8_t mac[16];

	(void)error_r;
	mac16(l, key, mac);
	pthread_mutex_lock(&l->lock);
	struct flag *f = *flag_find(l, mac);
	*set_r = f != NULL && (f->until == 0 || f->until > now);
	if (*set_r) {
		if (until_r != NULL)
			*until_r = f->until;
		if (text != NULL && n > 0)
			snprintf(text, n, "%s", f->text);
	}
	pthread_mutex_unlock(&l->lock);
	return RG_COUNTERS_OK;
}

static int l_flag_del(struct rg_counters *base, const char *key, const char **error_r)
{
	struct local *l = (struct local *)base;
	uint8_t mac[16];

	(void)error_r;
	mac16(l, key, mac);
	pthread_mutex_lock(&l->lock);
	struct flag **pp = flag_find(l, mac);
	if (*pp != NULL) {
		struct flag *f = *pp;
		*pp = f->next;
		free(f);
		l->n_flags--;
	}
	pthread_mutex_unlock(&l->lock);
	return RG_COUNTERS_OK;
}

static int l_flag_list(struct rg_counters *base, time_t now,
		       void (*fn)(void *ctx, const char *key, time_t until, const char *text),
		       void *ctx, const char **error_r)
{
	struct local *l = (struct local *)base;

	(void)error_r;
	pthread_mutex_lock(&l->lock);
	flags_expire(l, now);
	for (size_t b = 0; b < FLAG_BUCKETS; b++)
		for (struct flag *f = l->flags[b]; f != NULL; f = f->next)
			fn(ctx, f->key, f->until, f->text);
	pthread_mutex_unlock(&l->lock);
	return RG_COUNTERS_OK;
}

static void l_free(struct rg_counters *base)
{
	struct local *l = (struct local *)base;

	for (size_t b = 0; b < FLAG_BUCKETS; b++)
		while (l->flags[b] != NULL) {
			struct flag *f = l->flags[b];
			l->flags[b] = f->next;
			free(f);
		}
	free(l->e);
	free(l->buckets);
	pthread_mutex_destroy(&l->lock);
	sodium_memzero(l->hkey, sizeof(l->hkey));
	free(l);
}

static const struct rg_counters_ops local_ops = {
	.add = l_add, .get = l_get, .bump = l_bump, .bump_get = l_bump_get, .reset = l_reset,
	.flag_set = l_flag_set,
	.flag_get = l_flag_get, .flag_del = l_flag_del, .flag_list = l_flag_list, .free = l_free,
};

struct rg_counters *rg_counters_local_new(size_t max_counters, size_t max_flags)
{
	struct local *l = calloc(1, sizeof(*l));

	if (l == NULL || sodium_init() < 0) {
		free(l);
		return NULL;
	}
	if (max_counters > UINT32_MAX - 1)
		max_counters = UINT32_MAX - 1;
	l->base.ops = &local_ops;
	pthread_mutex_init(&l->lock, NULL);
	randombytes_buf(l->hkey, sizeof(l->hkey));
	set_bounds(l, max_counters);
	l->max_flags = max_flags ? max_flags : 1;
	/* the index, sized for the bound once (4 bytes a slot) */
	l->nbuckets = 1024;
	while (l->nbuckets < l->max)
		l->nbuckets *= 2;
	l->buckets = calloc(l->nbuckets, sizeof(*l->buckets));
	if (l->buckets == NULL) {
		l_free(&l->base);
		return NULL;
	}
	return &l->base;
}

void rg_counters_local_resize(struct rg_counters *c, size_t max_counters)
{
	struct local *l = (struct local *)c;

	pthread_mutex_lock(&l->lock);
	if (max_counters > l->nbuckets)	/* the index was sized at creation */
		max_counters = l->nbuckets;
	set_bounds(l, max_counters);
	rebalance(l);
	while (l->seg[1].n + l->seg[2].n > l->max && l->seg[2].tail != NIL)
		evict(l, l->seg[2].tail);
	pthread_mutex_unlock(&l->lock);
}

void rg_counters_local_set_max_flags(struct rg_counters *c, size_t max_flags)
{
	struct local *l = (struct local *)c;

	pthread_mutex_lock(&l->lock);
	l->max_flags = max_flags ? max_flags : 1;
	pthread_mutex_unlock(&l->lock);
}

size_t rg_counters_local_count(struct rg_counters *c)
{
	struct local *l = (struct local *)c;
	pthread_mutex_lock(&l->lock);
	size_t n = l->seg[1].n + l->seg[2].n;
	pthread_mutex_unlock(&l->lock);
	return n;
}
