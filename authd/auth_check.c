/* auth_check.c — the one decision both SASL front ends end in (see auth_check.h). */
#include <autoconfig.h>
#include "auth_check.h"
#include "authcache.h"
#include "hashpool.h"
#include "penalty.h"

#include "log.h"
#include "pwscheme.h"
#include "stats.h"
#include "store.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CLIENT_FAILED "Authentication failed"
#define CLIENT_TLS "Plaintext authentication requires TLS"
#define PENALTY_TABLE 16384
#define PENALTY_FORGET 900	/* seconds without failures before a counter resets */

static struct rg_authcache *cache;
static struct rg_hashpool *pool;
static struct rg_penalty *penalty;

static void penalty_conf(const struct rg_config *cfg, struct rg_penalty_conf *pc)
{
	memset(pc, 0, sizeof(*pc));
	pc->base_ms = cfg->auth.failure_delay_ms > 0 ? (unsigned)cfg->auth.failure_delay_ms : 0;
	pc->max_ms = cfg->auth.max_failure_delay_ms > 0 ? (unsigned)cfg->auth.max_failure_delay_ms
							: pc->base_ms;
	pc->lockout_failures = cfg->auth.lockout_failures > 0 ? (unsigned)cfg->auth.lockout_failures : 0;
	pc->lockout_seconds = cfg->auth.lockout_seconds > 0 ? (unsigned)cfg->auth.lockout_seconds : 0;
	pc->forget_seconds = pc->lockout_seconds > PENALTY_FORGET ? pc->lockout_seconds : PENALTY_FORGET;
	pc->table_size = PENALTY_TABLE;
}

static size_t nonneg(int v)
{
	return v > 0 ? (size_t)v : 0;
}

int rg_auth_check_init(const struct rg_config *cfg, char **error_r)
{
	struct rg_penalty_conf pc;

	if (sodium_init() < 0) {
		*error_r = strdup("libsodium failed to initialise");
		return -1;
	}
	cache = rg_authcache_new(cfg->auth.cache.ttl, cfg->auth.cache.negative_ttl,
				 nonneg(cfg->auth.cache.size), nonneg(cfg->auth.cache.negative_size));
	penalty_conf(cfg, &pc);
	penalty = rg_penalty_new(&pc);
	if (cache == NULL || penalty == NULL) {
		rg_auth_check_shutdown();
		*error_r = strdup("auth cache: out of memory");
		return -1;
	}
	pool = rg_hashpool_new(cfg->auth.hash_threads, cfg->auth.hash_queue, error_r);
	if (pool == NULL) {
		rg_auth_check_shutdown();
		return -1;
	}
	return 0;
}

void rg_auth_check_reload(const struct rg_config *cfg)
{
	struct rg_penalty_conf pc;

	if (cache == NULL)
		return;
	rg_authcache_reset(cache, cfg->auth.cache.ttl, cfg->auth.cache.negative_ttl,
			   nonneg(cfg->auth.cache.size), nonneg(cfg->auth.cache.negative_size));
	penalty_conf(cfg, &pc);
	rg_penalty_reset(penalty, &pc);
	rg_hashpool_set_queue(pool, cfg->auth.hash_queue);
}

void rg_auth_check_shutdown(void)
{
	rg_hashpool_free(pool);
	pool = NULL;
	rg_authcache_free(cache);
	cache = NULL;
	rg_penalty_free(penalty);
	penalty = NULL;
}

/* ---- the hashing job ---- */

struct verify_job {
	const char *stored;	/* NULL: dummy verify (unknown or disabled user) */
	const char *password;
	size_t password_len;
	struct rg_pw_params params;
	enum rg_pw_result result;
	const char *error;
};

static void run_verify(void *arg)
{
	struct verify_job *j = arg;
	if (j->stored == NULL) {
		rg_pwscheme_dummy_verify(j->password, j->password_len, &j->params);
		j->result = RG_PW_MISMATCH;
	} else {
		j->result = rg_pwscheme_verify(j->stored, j->password, j->password_len,
					       &j->params, &j->error);
	}
}

/* ---- decision helpers ---- */

struct decision {
	const char *code;	/* stats suffix: "bad_password", "store_error", ... */
	char detail[200];	/* extra log text (store error), already log-safe */
};

static void set(struct rg_auth_result *res, struct decision *d, enum rg_auth_status st,
		const char *code, const char *reason, const char *client_reason)
{
	res->status = st;
	res->reason = reason;
	res->client_reason = client_reason;
	d->code = code;
}

static void log_decision(const struct rg_auth_request *req, const struct rg_auth_result *res,
			 const struct decision *d, const char *identity)
{
	char user[300], authc[300], addr[100], service[100];
	static const char *const names[] = {"ok", "fail", "tempfail"};
	char stat[96];

	rg_log(res->status == RG_AUTH_OK ? LOG_INFO :
	       res->status == RG_AUTH_FAIL ? LOG_NOTICE : LOG_WARNING,
	       "auth: protocol=%s mech=%s service=%s user=%s authc=%s rip=%s result=%s "
	       "reason=\"%s%s%s\" cached=%s delay_ms=%u",
	       req->protocol ? req->protocol : "?", rg_mech_name(req->mech),
	       rg_log_safe(service, sizeof(service), req->service ? req->service : ""),
	       rg_log_safe(user, sizeof(user), identity),
	       rg_log_safe(authc, sizeof(authc), req->authc ? req->authc : ""),
	       rg_log_safe(addr, sizeof(addr), req->remote_addr && req->remote_addr[0] ?
			   req->remote_addr : "-"),
	       names[res->status], res->reason, d->detail[0] ? ": " : "", d->detail,
	       res->cached ? "yes" : "no", res->delay_ms);
	if (res->status == RG_AUTH_OK)
		rg_stats_inc("login.ok");
	else {
		snprintf(stat, sizeof(stat), "login.%s.%s", names[res->status], d->code);
		rg_stats_inc(stat);
	}
}

/* authz rules (DESIGN.md §4): authz different from authc needs the store's consent
 * and must itself be a known, enabled identity. */
static void check_authz(const struct rg_config *cfg, const struct rg_auth_request *req,
			struct rg_auth_result *res, struct decision *d)
{
	const char *err = NULL;
	bool disabled = false;

	enum rg_lookup r = rg_stores_may_act_as(cfg, req->authc, req->authz, &err);
	if (r == RG_LOOKUP_ERROR) {
		rg_log_safe(d->detail, sizeof(d->detail), err ? err : "");
		set(res, d, RG_AUTH_TEMPFAIL, "store_error", "store error (authz)", NULL);
		return;
	}
	if (r == RG_LOOKUP_NOTFOUND) {
		set(res, d, RG_AUTH_FAIL, "authz_denied", "authc may not act as authz",
		    CLIENT_FAILED);
		return;
	}
	r = rg_stores_user_enabled(cfg, req->authz, &disabled, &err);
	if (r == RG_LOOKUP_ERROR) {
		rg_log_safe(d->detail, sizeof(d->detail), err ? err : "");
		set(res, d, RG_AUTH_TEMPFAIL, "store_error", "store error (authz)", NULL);
		return;
	}
	if (r != RG_LOOKUP_FOUND) {
		set(res, d, RG_AUTH_FAIL, "authz_unknown",
		    disabled ? "authz identity disabled" : "authz identity unknown", CLIENT_FAILED);
		return;
	}
	set(res, d, RG_AUTH_OK, "ok", "password verified", NULL);
}

void rg_auth_check(const struct rg_config *cfg, const struct rg_auth_request *req,
		   struct rg_auth_result *res)
{
	struct decision d = {0};
	struct rg_user_record rec = {0};
	const char *err = NULL;
	unsigned char mac[RG_AUTHCACHE_MACLEN];
	time_t now = time(NULL);
	bool authz_differs = req->authz != NULL && req->authz[0] != '\0' &&
			     strcmp(req->authz, req->authc) != 0;
	const char *identity = authz_differs ? req->authz : req->authc;
	bool record = false;	/* a password attempt to feed the cache and penalties */

	memset(res, 0, sizeof(*res));
	if (cache == NULL || pool == NULL) {
		set(res, &d, RG_AUTH_TEMPFAIL, "internal", "service not initialised", NULL);
		goto out;
	}
	if (req->authc == NULL || !rg_sasl_name_ok(req->authc, strlen(req->authc), false) ||
	    (req->authz != NULL && !rg_sasl_name_ok(req->authz, strlen(req->authz), true)) ||
	    req->password_len > RG_AUTH_MAX_PASSWORD) {
		set(res, &d, RG_AUTH_FAIL, "invalid_request", "invalid request", CLIENT_FAILED);
		goto out;
	}
	if (cfg->auth.require_tls && req->tls_known && !req->secured) {
		set(res, &d, RG_AUTH_FAIL, "tls_required", "session not secured by TLS", CLIENT_TLS);
		goto out;
	}
	if (rg_penalty_locked(penalty, req->authc, now)) {
		set(res, &d, RG_AUTH_FAIL, "locked_out", "user temporarily locked out", CLIENT_FAILED);
		res->delay_ms = rg_penalty_delay(penalty, req->remote_addr ? req->remote_addr : "",
						 req->authc, now);
		goto out;
	}

	enum rg_lookup found = rg_stores_lookup_user(cfg, req->authc, &rec, NULL, &err);
	if (found == RG_LOOKUP_ERROR) {
		rg_log_safe(d.detail, sizeof(d.detail), err ? err : "");
		rg_stats_inc("store.error");
		set(res, &d, RG_AUTH_TEMPFAIL, "store_error", "store error", NULL);
		goto out;
	}
	bool usable = found == RG_LOOKUP_FOUND && rec.enabled && rec.password != NULL;
	/* unknown users get a MAC too (over an impossible hash), so repeated guesses hit the
	 * negative cache just like for known users: no timing difference */
	rg_authcache_mac(cache, req->authc, usable ? rec.password : "\001unknown",
			 req->password, req->password_len, mac);

	enum rg_cache_answer ans = usable || found == RG_LOOKUP_NOTFOUND
		? rg_authcache_lookup(cache, req->authc, mac, now) : RG_CACHE_MISS;
	enum rg_pw_result pw;
	if (ans == RG_CACHE_POSITIVE && usable) {
		rg_stats_inc("cache.hit");
		res->cached = true;
		pw = RG_PW_MATCH;
	} else if (ans == RG_CACHE_NEGATIVE) {
		rg_stats_inc("cache.negative_hit");
		res->cached = true;
		pw = RG_PW_MISMATCH;
	} else {
		struct verify_job job = {
			.stored = usable ? rec.password : NULL,
			.password = req->password, .password_len = req->password_len,
		};
		rg_stats_inc("cache.miss");
		rg_pw_params_from_config(cfg, &job.params);
		enum rg_hashpool_status hs = rg_hashpool_run(pool, run_verify, &job);
		if (hs != RG_HASHPOOL_DONE) {
			rg_stats_inc("hashpool.rejected");
			set(res, &d, RG_AUTH_TEMPFAIL, "hashpool_full",
			    hs == RG_HASHPOOL_FULL ? "hashing queue full" : "shutting down", NULL);
			goto out;
		}
		if (job.result == RG_PW_ERROR) {
			rg_log_safe(d.detail, sizeof(d.detail), job.error ? job.error : "");
			set(res, &d, RG_AUTH_TEMPFAIL, "bad_stored_hash", "stored hash unusable", NULL);
			goto out;
		}
		if (job.result == RG_PW_TEMPFAIL) {	/* could not run: no cache entry, no penalty */
			rg_log_safe(d.detail, sizeof(d.detail), job.error ? job.error : "");
			set(res, &d, RG_AUTH_TEMPFAIL, "verify_error", "password check could not run",
			    NULL);
			goto out;
		}
		pw = job.result;
	}

	record = true;
	if (found == RG_LOOKUP_NOTFOUND) {
		set(res, &d, RG_AUTH_FAIL, "unknown_user", "unknown user", CLIENT_FAILED);
	} else if (!usable) {
		record = false;	/* no negative entry: re-enabling must work at once */
		set(res, &d, RG_AUTH_FAIL, "disabled", "user disabled", CLIENT_FAILED);
		rg_authcache_drop_user(cache, req->authc);
		res->delay_ms = rg_penalty_failure(penalty, req->remote_addr ? req->remote_addr : "",
						   req->authc, mac, sizeof(mac), now);
	} else if (pw != RG_PW_MATCH) {
		set(res, &d, RG_AUTH_FAIL, "bad_password", "wrong password", CLIENT_FAILED);
	} else {
		rg_authcache_add_positive(cache, req->authc, mac, now);
		rg_penalty_success(penalty, req->authc);
		record = false;
		if (authz_differs)
			check_authz(cfg, req, res, &d);
		else
			set(res, &d, RG_AUTH_OK, "ok", "password verified", NULL);
		if (res->status == RG_AUTH_OK)
			snprintf(res->identity, sizeof(res->identity), "%s", identity);
	}
	if (record) {
		rg_authcache_add_negative(cache, req->authc, mac, now);
		res->delay_ms = rg_penalty_failure(penalty, req->remote_addr ? req->remote_addr : "",
						   req->authc, mac, sizeof(mac), now);
	}
out:
	sodium_memzero(mac, sizeof(mac));
	rg_user_record_clear(&rec);
	log_decision(req, res, &d, identity);
}
