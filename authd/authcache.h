/*
 * authcache.h — the auth cache: remembers that a password verified (or
 * failed) against a stored hash, so the hash is not run again.
 *
 * The entry is a keyed BLAKE2b-256 MAC over (user, stored hash, password)
 * under a random per-process key (new on every reload/flush).  Callers
 * always look the user up in the stores first and pass the LIVE stored hash,
 * so a changed password, a disabled or deleted user or a store error takes
 * effect at once (no generation counters needed): the MAC simply no longer
 * matches.  Positive entries: one per user (LRU, bounded, ttl).  Negative
 * entries: keyed by MAC (LRU, bounded separately, negative_ttl), so a
 * guessing flood evicts only other negative entries.  Thread-safe (mutex).
 */
#ifndef RG_AUTHCACHE_H
#define RG_AUTHCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define RG_AUTHCACHE_MACLEN 32

enum rg_cache_answer { RG_CACHE_MISS = 0, RG_CACHE_POSITIVE, RG_CACHE_NEGATIVE };

struct rg_authcache;

/* ttl/negative_ttl in seconds (0 disables that side); sizes in entries. */
struct rg_authcache *rg_authcache_new(int ttl, int negative_ttl, size_t size,
				      size_t negative_size);
void rg_authcache_free(struct rg_authcache *c);
/* New key, everything dropped, limits updated. */
void rg_authcache_reset(struct rg_authcache *c, int ttl, int negative_ttl, size_t size,
			size_t negative_size);

/* The MAC of an attempt under the current key. */
void rg_authcache_mac(struct rg_authcache *c, const char *user, const char *stored,
		      const char *password, size_t password_len,
		      unsigned char mac[RG_AUTHCACHE_MACLEN]);

/* Positive hit: this MAC is the user's remembered success and not expired.
 * Negative hit: this MAC failed recently.  now: time(NULL) (tests pass their own). */
enum rg_cache_answer rg_authcache_lookup(struct rg_authcache *c, const char *user,
					 const unsigned char mac[RG_AUTHCACHE_MACLEN], time_t now);
void rg_authcache_add_positive(struct rg_authcache *c, const char *user,
			       const unsigned char mac[RG_AUTHCACHE_MACLEN], time_t now);
/* A failure: drop the user's positive entry, remember the MAC as negative. */
void rg_authcache_add_negative(struct rg_authcache *c, const char *user,
			       const unsigned char mac[RG_AUTHCACHE_MACLEN], time_t now);
void rg_authcache_drop_user(struct rg_authcache *c, const char *user);

size_t rg_authcache_count(struct rg_authcache *c, bool negative);

#endif
