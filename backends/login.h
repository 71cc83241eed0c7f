/*
 * login.h — the one login decision.  The SASL service (authd/auth_check.c,
 * which adds the auth cache, the hashing pool and the failure penalties around
 * it) and `relayguardctl auth` (rg_stores_verify, no cache) both decide here.
 *
 *   rg_login_lookup()  ask the stores: error, unknown user, known user
 *                      (enabled or disabled)
 *   rg_login_verify()  run the one hash this attempt costs (thread-safe, no
 *                      store access): a known user's stored hash, enabled or
 *                      DISABLED (the answer for a disabled user is a refusal
 *                      whatever it says); for an unknown user a dummy verify at
 *                      the cost of the default scheme (relayguard's Argon2id)
 *   rg_login_decide()  the verdict from the two
 *
 * So unknown users, wrong passwords and disabled users are refused alike and
 * each costs one hash: the stored one, or the default scheme's for unknown
 * users.  What stays observable is in doc/relayguard-auth.txt (TIMING).
 */
#ifndef RG_LOGIN_H
#define RG_LOGIN_H

#include <stdbool.h>
#include <stddef.h>

#include "pwscheme.h"
#include "store.h"

struct rg_login {
	enum rg_lookup found;
	struct rg_user_record rec;	/* FOUND: the stored hash and the enabled flag */
	const struct rg_store *store;	/* the store that answered (or failed) */
	const char *error;		/* RG_LOOKUP_ERROR: why */
	struct rg_pw_params params;	/* from the config */
};

/* Look user up in the stores.  Always call rg_login_clear afterwards. */
void rg_login_lookup(const struct rg_config *cfg, const char *user, struct rg_login *l);

/* What a cache of attempts must key on besides user and password: the stored
 * hash of an enabled user, or a marker for "unknown" / "disabled" (so that
 * enabling, disabling, creating a user or changing its hash misses the cache
 * at once).  NULL on a store error: never cache that. */
const char *rg_login_cache_key(const struct rg_login *l);

/* Run the hash.  RG_PW_MATCH / RG_PW_MISMATCH, RG_PW_ERROR (stored hash
 * unusable) or RG_PW_TEMPFAIL (could not run), with *error_r.  An unknown
 * user's dummy is always RG_PW_MISMATCH. */
enum rg_pw_result rg_login_verify(const struct rg_login *l, const char *password, size_t len,
				  const char **error_r);

/* The verdict.  pw: what rg_login_verify returned (or what a cache remembered:
 * MATCH / MISMATCH).  RG_VERIFY_TEMPFAIL comes with *error_r.  An unusable
 * stored hash is logged here (rate limited), with the store and the user. */
enum rg_verify rg_login_decide(const struct rg_login *l, const char *user, enum rg_pw_result pw,
			       const char *pw_error, const char **error_r);

void rg_login_clear(struct rg_login *l);

#endif
