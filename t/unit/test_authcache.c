/* test_authcache.c — keyed-MAC auth cache: hit, miss, expiry, bounds, drop, rotation. */
#include <autoconfig.h>
#include "../tap.h"
#include "authcache.h"

#include <sodium.h>
#include <time.h>

#define MAC(c, u, h, p, m) rg_authcache_mac(c, u, h, p, strlen(p), m)

int main(void)
{
	unsigned char m1[32], m2[32], m3[32], mx[32];
	time_t now = 1000000;

	if (sodium_init() < 0)
		return 1;
	struct rg_authcache *c = rg_authcache_new(300, 30, 3, 4);
	ok(c != NULL, "cache created");

	MAC(c, "daniel", "$argon2id$H1", "secret", m1);
	MAC(c, "daniel", "$argon2id$H1", "secret", mx);
	ok(memcmp(m1, mx, 32) == 0, "MAC deterministic under one key");
	MAC(c, "daniel", "$argon2id$H2", "secret", m2);
	ok(memcmp(m1, m2, 32) != 0, "MAC depends on the stored hash");
	MAC(c, "daniel", "$argon2id$H1", "secreT", m3);
	ok(memcmp(m1, m3, 32) != 0, "MAC depends on the password");
	MAC(c, "danie", "l$argon2id$H1", "secret", mx);
	ok(memcmp(m1, mx, 32) != 0, "fields are length-prefixed (no shifting between them)");

	is_int(rg_authcache_lookup(c, "daniel", m1, now), RG_CACHE_MISS, "empty cache: miss");
	rg_authcache_add_positive(c, "daniel", m1, now);
	is_int(rg_authcache_lookup(c, "daniel", m1, now + 1), RG_CACHE_POSITIVE, "positive hit");
	is_int(rg_authcache_lookup(c, "daniel", m2, now + 1), RG_CACHE_MISS,
	       "changed stored hash (passwd): miss");
	is_int(rg_authcache_lookup(c, "daniel", m3, now + 1), RG_CACHE_MISS, "other password: miss");
	is_int(rg_authcache_lookup(c, "daniel", m1, now + 300), RG_CACHE_MISS, "expired after ttl");
	is_int(rg_authcache_count(c, false), 0, "expired entry removed");

	/* failure drops the positive entry */
	rg_authcache_add_positive(c, "daniel", m1, now);
	rg_authcache_add_negative(c, "daniel", m3, now);
	is_int(rg_authcache_lookup(c, "daniel", m1, now + 1), RG_CACHE_MISS,
	       "any failure drops the user's positive entry");
	is_int(rg_authcache_lookup(c, "daniel", m3, now + 1), RG_CACHE_NEGATIVE, "negative hit");
	is_int(rg_authcache_lookup(c, "daniel", m3, now + 30), RG_CACHE_MISS, "negative expires");

	/* bounds: positive LRU of 3 */
	unsigned char mu[5][32];
	char user[16];
	for (int i = 0; i < 5; i++) {
		snprintf(user, sizeof(user), "user%d", i);
		MAC(c, user, "h", "pw", mu[i]);
		rg_authcache_add_positive(c, user, mu[i], now);
		if (i == 2)	/* touch user0 so user1 is the least recently used */
			rg_authcache_lookup(c, "user0", mu[0], now);
	}
	is_int(rg_authcache_count(c, false), 3, "positive table bounded at 3");
	is_int(rg_authcache_lookup(c, "user0", mu[0], now), RG_CACHE_POSITIVE, "recently used kept");
	is_int(rg_authcache_lookup(c, "user1", mu[1], now), RG_CACHE_MISS, "least recently used evicted");
	is_int(rg_authcache_lookup(c, "user4", mu[4], now), RG_CACHE_POSITIVE, "newest kept");

	/* a flood of failures does not evict positive entries */
	for (int i = 0; i < 1000; i++) {
		char pw[16];
		snprintf(pw, sizeof(pw), "guess%d", i);
		MAC(c, "victim", "h", pw, mx);
		rg_authcache_add_negative(c, "victim", mx, now);
	}
	is_int(rg_authcache_count(c, true), 4, "negative table bounded at 4");
	is_int(rg_authcache_lookup(c, "user0", mu[0], now), RG_CACHE_POSITIVE,
	       "guessing flood did not evict good entries");

	/* drop_user */
	rg_authcache_drop_user(c, "user0");
	is_int(rg_authcache_lookup(c, "user0", mu[0], now), RG_CACHE_MISS, "drop_user");

	/* key rotation */
	MAC(c, "daniel", "$argon2id$H1", "secret", m1);
	rg_authcache_add_positive(c, "daniel", m1, now);
	rg_authcache_reset(c, 300, 30, 3, 4);
	is_int(rg_authcache_count(c, false), 0, "reset empties the cache");
	MAC(c, "daniel", "$argon2id$H1", "secret", mx);
	ok(memcmp(m1, mx, 32) != 0, "reset rotates the MAC key");

	/* ttl 0 disables */
	rg_authcache_reset(c, 0, 0, 3, 4);
	rg_authcache_add_positive(c, "daniel", mx, now);
	rg_authcache_add_negative(c, "eve", m3, now);
	is_int(rg_authcache_lookup(c, "daniel", mx, now), RG_CACHE_MISS, "ttl 0: no positive caching");
	is_int(rg_authcache_lookup(c, "eve", m3, now), RG_CACHE_MISS, "negative_ttl 0: none");

	/* speed (diagnostic only, not asserted: make bench measures) */
	rg_authcache_reset(c, 300, 30, 10000, 1000);
	MAC(c, "daniel", "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", "secret", m1);
	rg_authcache_add_positive(c, "daniel", m1, now);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int hits = 0;
	for (int i = 0; i < 100000; i++) {
		MAC(c, "daniel", "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		    "secret", mx);
		hits += rg_authcache_lookup(c, "daniel", mx, now) == RG_CACHE_POSITIVE;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	is_int(hits, 100000, "100000 hits");
	diag("cache hit (MAC + lookup): %.2f us", ((t1.tv_sec - t0.tv_sec) * 1e9 +
	     (t1.tv_nsec - t0.tv_nsec)) / 1e3 / 100000);
	rg_authcache_free(c);
	return done_testing();
}
