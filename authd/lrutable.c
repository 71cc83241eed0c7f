/* lrutable.c — chained hash table + doubly linked LRU list, values wiped on removal. */
#include <autoconfig.h>
#include "lrutable.h"

#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct lru_entry {
	struct lru_entry *hnext;		/* bucket chain */
	struct lru_entry *prev, *next;		/* LRU list: head = most recent */
	size_t klen;
	unsigned char key[RG_LRU_MAX_KEY];
	unsigned char value[];			/* value_size bytes, max-aligned below */
};

struct rg_lru {
	size_t max, count, value_size, nbuckets;
	struct lru_entry **buckets;
	struct lru_entry *head, *tail;
	unsigned char hkey[crypto_shorthash_KEYBYTES];
};

struct rg_lru *rg_lru_new(size_t max_entries, size_t value_size)
{
	struct rg_lru *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->max = max_entries ? max_entries : 1;
	t->value_size = (value_size + 15) & ~(size_t)15;
	t->nbuckets = 64;
	while (t->nbuckets < t->max && t->nbuckets < ((size_t)1 << 24))
		t->nbuckets <<= 1;
	t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));
	if (t->buckets == NULL) {
		free(t);
		return NULL;
	}
	randombytes_buf(t->hkey, sizeof(t->hkey));
	return t;
}

static size_t bucket(const struct rg_lru *t, const void *key, size_t klen)
{
	uint64_t h;
	crypto_shorthash((unsigned char *)&h, key, klen, t->hkey);
	return (size_t)(h & (t->nbuckets - 1));
}

static struct lru_entry **find(struct rg_lru *t, const void *key, size_t klen)
{
	struct lru_entry **pp = &t->buckets[bucket(t, key, klen)];
	for (; *pp != NULL; pp = &(*pp)->hnext)
		if ((*pp)->klen == klen && memcmp((*pp)->key, key, klen) == 0)
			return pp;
	return pp;
}

static void list_unlink(struct rg_lru *t, struct lru_entry *e)
{
	if (e->prev) e->prev->next = e->next; else t->head = e->next;
	if (e->next) e->next->prev = e->prev; else t->tail = e->prev;
	e->prev = e->next = NULL;
}

static void list_push_front(struct rg_lru *t, struct lru_entry *e)
{
	e->prev = NULL;
	e->next = t->head;
	if (t->head) t->head->prev = e;
	t->head = e;
	if (t->tail == NULL) t->tail = e;
}

static void remove_entry(struct rg_lru *t, struct lru_entry *e)
{
	struct lru_entry **pp = find(t, e->key, e->klen);
	if (*pp == e)
		*pp = e->hnext;
	list_unlink(t, e);
	sodium_memzero(e, sizeof(*e) + t->value_size);
	free(e);
	t->count--;
}

void *rg_lru_get(struct rg_lru *t, const void *key, size_t klen)
{
	if (klen > RG_LRU_MAX_KEY)
		return NULL;
	struct lru_entry *e = *find(t, key, klen);
	if (e == NULL)
		return NULL;
	list_unlink(t, e);
	list_push_front(t, e);
	return e->value;
}

void *rg_lru_peek(struct rg_lru *t, const void *key, size_t klen)
{
	if (klen > RG_LRU_MAX_KEY)
		return NULL;
	struct lru_entry *e = *find(t, key, klen);
	return e != NULL ? e->value : NULL;
}

void *rg_lru_oldest(struct rg_lru *t)
{
	return t->tail != NULL ? t->tail->value : NULL;
}

void rg_lru_del_oldest(struct rg_lru *t)
{
	if (t->tail != NULL)
		remove_entry(t, t->tail);
}

void *rg_lru_put(struct rg_lru *t, const void *key, size_t klen, bool *created_r)
{
	if (klen > RG_LRU_MAX_KEY)
		return NULL;
	struct lru_entry **pp = find(t, key, klen);
	if (*pp != NULL) {
		list_unlink(t, *pp);
		list_push_front(t, *pp);
		if (created_r) *created_r = false;
		return (*pp)->value;
	}
	if (t->count >= t->max) {
		remove_entry(t, t->tail);
		pp = find(t, key, klen);	/* the chain may have changed */
	}
	struct lru_entry *e = calloc(1, sizeof(*e) + t->value_size);
	if (e == NULL)
		return NULL;
	e->klen = klen;
	memcpy(e->key, key, klen);
	e->hnext = NULL;
	*pp = e;
	list_push_front(t, e);
	t->count++;
	if (created_r) *created_r = true;
	return e->value;
}

void rg_lru_del(struct rg_lru *t, const void *key, size_t klen)
{
	if (klen > RG_LRU_MAX_KEY)
		return;
	struct lru_entry *e = *find(t, key, klen);
	if (e != NULL)
		remove_entry(t, e);
}

void rg_lru_clear(struct rg_lru *t)
{
	while (t->tail != NULL)
		remove_entry(t, t->tail);
	randombytes_buf(t->hkey, sizeof(t->hkey));
}

size_t rg_lru_count(const struct rg_lru *t)
{
	return t->count;
}

void rg_lru_set_max(struct rg_lru *t, size_t max_entries)
{
	t->max = max_entries ? max_entries : 1;
	while (t->count > t->max)
		remove_entry(t, t->tail);
}

void rg_lru_free(struct rg_lru *t)
{
	if (t == NULL)
		return;
	while (t->tail != NULL)
		remove_entry(t, t->tail);
	free(t->buckets);
	free(t);
}
