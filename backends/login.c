/*
 * login.c — the one login decision (see login.h), and rg_stores_verify, the
 * cache-less form `relayguardctl auth` uses.
 *
 * Rules:
 *  - A store error is a temporary failure: never "unknown user", never a refusal.
 *  - Unknown user: a dummy verify at the default scheme's cost, then refused.
 *  - Disabled user: the stored hash is verified (the cost an enabled user with
 *    that hash pays), then refused whatever the result, even if the hash is
 *    unusable or the verify could not run (the account is refused anyway, and
 *    answering a temporary failure would tell the client that it exists).
 *  - Enabled user: match → OK; mismatch → wrong password; an unusable stored
 *    hash (unknown scheme, malformed, plaintext not allowed, over the
 *    passwords.max_* limits) or a verify that could not run (out of memory) →
 *    temporary failure, so the client retries instead of being refused for good.
 *    The unusable hash is an admin error: logged with user and store (never the
 *    password), rate limited; `relayguard -n` finds these up front.
 */
#include <autoconfig.h>
#include "login.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "stats.h"

#define KEY_UNKNOWN "\001unknown"	/* never a stored hash: those start with '$' or '{' */
#define KEY_DISABLED "\001disabled"

void rg_login_lookup(const struct rg_config *cfg, const char *user, struct rg_login *l)
{
	memset(l, 0, sizeof(*l));
	rg_pw_params_from_config(cfg, &l->params);
	l->found = rg_stores_lookup_user(cfg, user, &l->rec, &l->store, &l->error);
	if (l->found == RG_LOOKUP_ERROR && l->error == NULL)
		l->error = "store error";
}

void rg_login_clear(struct rg_login *l)
{
	rg_user_record_clear(&l->rec);
	l->found = RG_LOOKUP_NOTFOUND;
}

const char *rg_login_cache_key(const struct rg_login *l)
{
	switch (l->found) {
	case RG_LOOKUP_NOTFOUND:
		return KEY_UNKNOWN;
	case RG_LOOKUP_FOUND:
		if (!l->rec.enabled)
			return KEY_DISABLED;
		return l->rec.password != NULL ? l->rec.password : KEY_UNKNOWN;
	case RG_LOOKUP_ERROR:
		break;
	}
	return NULL;
}

enum rg_pw_result rg_login_verify(const struct rg_login *l, const char *password, size_t len,
				  const char **error_r)
{
	const char *dummy_err;

	if (error_r == NULL)
		error_r = &dummy_err;
	*error_r = NULL;
	if (l->found == RG_LOOKUP_FOUND && l->rec.password != NULL)
		return rg_pwscheme_verify(l->rec.password, password, len, &l->params, error_r);
	rg_pwscheme_dummy_verify(password, len, &l->params);
	return RG_PW_MISMATCH;
}

/* At most one "unusable stored hash" line per interval, with a count of the
 * ones left out, so a client hammering a broken account cannot flood syslog. */
#define BAD_HASH_LOG_INTERVAL 60
static pthread_mutex_t bad_hash_lock = PTHREAD_MUTEX_INITIALIZER;
static time_t bad_hash_last;
static unsigned long bad_hash_suppressed;

static void log_bad_hash(const struct rg_store *st, const char *user, const char *err, bool enabled)
{
	char safe_user[300], safe_err[256];
	time_t now = time(NULL);
	unsigned long suppressed = 0;
	bool emit = false;

	rg_stats_inc("store.bad_hash");
	pthread_mutex_lock(&bad_hash_lock);
	if (bad_hash_last == 0 || now - bad_hash_last >= BAD_HASH_LOG_INTERVAL) {
		emit = true;
		suppressed = bad_hash_suppressed;
		bad_hash_suppressed = 0;
		bad_hash_last = now;
	} else {
		bad_hash_suppressed++;
	}
	pthread_mutex_unlock(&bad_hash_lock);
	if (!emit)
		return;
	rg_log(LOG_ERR, "store %s: user %s: stored password hash is unusable (%s); %s "
	       "(check with relayguard -n)%s",
	       st != NULL ? st->label : "?", rg_log_quote(safe_user, sizeof(safe_user), user),
	       rg_log_safe(safe_err, sizeof(safe_err), err ? err : "unknown scheme"),
	       enabled ? "answering temporary failure until it is fixed"
		       : "the user is disabled, so refused anyway",
	       suppressed ? " [more such errors were not logged]" : "");
}

enum rg_verify rg_login_decide(const struct rg_login *l, const char *user, enum rg_pw_result pw,
			       const char *pw_error, const char **error_r)
{
	const char *dummy_err;

	if (error_r == NULL)
		error_r = &dummy_err;
	*error_r = NULL;
	if (l->found == RG_LOOKUP_ERROR) {
		*error_r = l->error != NULL ? l->error : "store error";
		return RG_VERIFY_TEMPFAIL;
	}
	if (l->found == RG_LOOKUP_NOTFOUND)
		return RG_VERIFY_UNKNOWN_USER;
	if (pw == RG_PW_ERROR)
		log_bad_hash(l->store, user, pw_error, l->rec.enabled);
	if (!l->rec.enabled)
		return RG_VERIFY_DISABLED;
	if (pw == RG_PW_ERROR) {
		*error_r = "stored password hash is unusable (see the log)";
		return RG_VERIFY_TEMPFAIL;
	}
	if (pw == RG_PW_TEMPFAIL) {
		*error_r = pw_error != NULL ? pw_error : "the password check could not run";
		return RG_VERIFY_TEMPFAIL;
	}
	if (pw != RG_PW_MATCH)
		return RG_VERIFY_BAD_PASSWORD;
	if (rg_pwscheme_is_weak(l->rec.password)) {
		char safe_user[300];
		rg_stats_inc("login.weak_scheme");
		rg_log(LOG_WARNING, "store %s: user %s logged in with a weak stored password "
		       "(plaintext or MD5/DES crypt; allow_plaintext is on); rehash it with relayguardctl",
		       l->store != NULL ? l->store->label : "?",
		       rg_log_quote(safe_user, sizeof(safe_user), user));
	}
	return RG_VERIFY_OK;
}

enum rg_verify rg_stores_verify(const struct rg_config *cfg, const char *user,
				const char *password, size_t password_len,
				const struct rg_store **store_r, const char **error_r)
{
	struct rg_login l;
	const char *pw_err = NULL, *dummy_err;

	if (error_r == NULL)
		error_r = &dummy_err;
	rg_login_lookup(cfg, user, &l);
	if (store_r != NULL)
		*store_r = l.store;
	enum rg_pw_result pw = l.found == RG_LOOKUP_ERROR ? RG_PW_ERROR
		: rg_login_verify(&l, password, password_len, &pw_err);
	enum rg_verify v = rg_login_decide(&l, user, pw, pw_err, error_r);
	rg_login_clear(&l);
	return v;
}
