/*
 * lrutable.h — a bounded hash table with LRU eviction, keyed by byte
 * strings; used by the auth cache and the penalty tables.  Bucket index is a
 * keyed SipHash (crypto_shorthash) with a random key, so chosen names cannot
 * flood one bucket.  Not locked: callers hold their own mutex.
 */
#ifndef RG_LRUTABLE_H
#define RG_LRUTABLE_H

#include <stdbool.h>
#include <stddef.h>

#define RG_LRU_MAX_KEY 320

struct rg_lru;

/* max_entries ≥ 1; value_size bytes of payload per entry (zeroed on insert). */
struct rg_lru *rg_lru_new(size_t max_entries, size_t value_size);
void rg_lru_free(struct rg_lru *t);
/* The entry's value (and mark it most recently used), or NULL. */
void *rg_lru_get(struct rg_lru *t, const void *key, size_t klen);
/* The entry's value without marking it used, or NULL. */
void *rg_lru_peek(struct rg_lru *t, const void *key, size_t klen);
/* The least recently used entry's value (NULL when empty); drop that entry. */
void *rg_lru_oldest(struct rg_lru *t);
void rg_lru_del_oldest(struct rg_lru *t);
/* Get or insert (evicting the least recently used when full).  *created_r
 * (optional) tells whether it is new.  NULL only when klen is too long. */
void *rg_lru_put(struct rg_lru *t, const void *key, size_t klen, bool *created_r);
void rg_lru_del(struct rg_lru *t, const void *key, size_t klen);
void rg_lru_clear(struct rg_lru *t);
size_t rg_lru_count(const struct rg_lru *t);
/* Change the bound (evicts down to it). */
void rg_lru_set_max(struct rg_lru *t, size_t max_entries);

#endif
