/* auth_check.c — the one decision both SASL front ends end in (see auth_check.h). */
#include <autoconfig.h>
#include "auth_check.h"
#include "clock.h"
#include "authcache.h"
#include "hashpool.h"
#include "penalty.h"
#include "guard.h"

#include "log.h"
#include "login.h"
#include "pwscheme.h"
#include "stats.h"
#include "str.h"
#include "store.h"

#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CLIENT_FAILED "Authentication failed"
#define CLIENT_TLS "Plaintext authentication requires TLS"
#define PENALTY_FORGET 900	/* seconds without failures before a counter resets */

static struct rg_authcache *cache;
static struct rg_hashpool *pool;
static struct rg_penalty *penalty;

static void cost_seed(const struct rg_config *cfg);

static void penalty_conf(const struct rg_config *cfg, struct rg_penalty_conf *pc)
{
	memset(pc, 0, sizeof(*pc));
	pc->base_ms = cfg->auth.failure_delay_ms > 0 ? (unsigned)cfg->auth.failure_delay_ms : 0;
	pc->max_ms = cfg->auth.max_failure_delay_ms > 0 ? (unsigned)cfg->auth.max_failure_delay_ms
							: pc->base_ms;
	pc->lockout_failures = cfg->auth.lockout_failures > 0 ? (unsigned)cfg->auth.lockout_failures : 0;
	pc->lockout_seconds = cfg->auth.lockout_seconds > 0 ? (unsigned)cfg->auth.lockout_seconds : 0;
	pc->forget_seconds = pc->lockout_seconds > PENALTY_FORGET ? pc->lockout_seconds : PENALTY_FORGET;
	pc->table_size = cfg->auth.penalty_table_size > 0 ? (size_t)cfg->auth.penalty_table_size : 1;
	pc->shared = &cfg->shared_state;
}

static size_t nonneg(int v)
{
	return v > 0 ? (size_t)v : 0;
}

int rg_auth_check_init(const struct rg_config *cfg, char **error_r)
{
	struct rg_penalty_conf pc;

	if (sodium_init() < 0) {
		rg_error_r(error_r, "libsodium failed to initialise");
		return -1;
	}
	cache = rg_authcache_new(cfg->auth.cache.ttl, cfg->auth.cache.negative_ttl,
				 nonneg(cfg->auth.cache.size), nonneg(cfg->auth.cache.negative_size));
	penalty_conf(cfg, &pc);
	penalty = rg_penalty_new(&pc);
	if (cache == NULL || penalty == NULL) {
		rg_auth_check_shutdown();
		rg_error_r(error_r, "auth cache: out of memory");
		return -1;
	}
	pool = rg_hashpool_new(cfg->auth.hash_threads, cfg->auth.hash_queue, error_r);
	if (pool == NULL) {
		rg_auth_check_shutdown();
		return -1;
	}
	cost_seed(cfg);
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
	cost_seed(cfg);	/* the passwords.* parameters may have changed */
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
	const struct rg_login *login;	/* the hash to run: stored, or the dummy */
	const char *password;
	size_t password_len;
	enum rg_pw_result result;
	const char *error;
	uint64_t ns;			/* how long the hash took */
};

static void run_verify(void *arg)
{
	struct verify_job *j = arg;
	uint64_t t0 = rg_mono_ns();

	j->result = rg_login_verify(j->login, j->password, j->password_len, &j->error);
	j->ns = rg_mono_ns() - t0;
}

/* ---- equal cost for every refusal ----
 * Unknown users cost the dummy (the default scheme), known users their stored
 * hash.  A refusal whose stored hash is not of the dummy's cost (another
 * scheme or other parameters) and ran quicker than a dummy would have
 * (sha512crypt, PBKDF2, low-cost bcrypt, ...) waits out the difference to a
 * duration drawn from the recent dummy verifies: its latency then follows the
 * dummy's.  Dearer hashes cannot be hidden this way (doc/relayguard-auth.txt,
 * TIMING). */
#define COST_SAMPLES 16
static pthread_mutex_t cost_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t cost_ns[COST_SAMPLES];
static unsigned cost_count, cost_next;

static void cost_reset(void)
{
	pthread_mutex_lock(&cost_lock);
	cost_count = cost_next = 0;
	pthread_mutex_unlock(&cost_lock);
}

static void cost_add(uint64_t ns)
{
	pthread_mutex_lock(&cost_lock);
	cost_ns[cost_next] = ns;
	cost_next = (cost_next + 1) % COST_SAMPLES;
	if (cost_count < COST_SAMPLES)
		cost_count++;
	pthread_mutex_unlock(&cost_lock);
}

/* How long a refused attempt on `login`, whose hash took `ran`, must still wait. */
static uint64_t cost_padding(const struct rg_login *login, uint64_t ran)
{
	uint64_t pick = 0;

	if (rg_pwscheme_costs_as_dummy(login->rec.password, &login->params))
		return 0;	/* already the dummy's cost: padding would make it dearer */
	pthread_mutex_lock(&cost_lock);
	if (cost_count > 0)
		pick = cost_ns[randombytes_uniform(cost_count)];
	pthread_mutex_unlock(&cost_lock);
	return pick > ran ? pick - ran : 0;
}

/* One timed dummy verify (the first also pays the dummy's one-time set-up). */
static void cost_seed(const struct rg_config *cfg)
{
	struct rg_login unknown = { .found = RG_LOOKUP_NOTFOUND };
	struct verify_job job = { .login = &unknown, .password = "", .password_len = 0 };

	rg_pw_params_from_config(cfg, &unknown.params);
	cost_reset();
	run_verify(&job);
	run_verify(&job);
	cost_add(job.ns);
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000u),
			       .tv_nsec = (long)(ns % 1000000000u) };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* ---- decision helpers ---- */

struct decision {
	const char *code;	/* stats suffix: "bad_password", "store_error", ... */
	char detail[200];	/* extra log text (store error), already log-safe */
};

static void conclude(struct rg_auth_result *res, struct decision *d, enum rg_auth_status st,
		const char *code, const char *reason, const char *client_reason)
{
	res->status = st;
	res->reason = reason;
	res->client_reason = client_reason;
	d->code = code;
}

static void log_decision(const struct rg_config *cfg, const struct rg_auth_request *req,
			 const struct rg_auth_result *res, const struct decision *d,
			 const char *identity)
{
	/* client-supplied values quoted (rg_log_quote); protocol, mech, result, cached
	 * and delay_ms are ours; reason is our text plus d->detail, already escaped */
	char user[300], authc[300], addr[100], service[100];
	static const char *const names[] = {"ok", "fail", "tempfail"};
	char stat[96];

	/* log_logins = "failures": a successful login is only counted */
	if (res->status != RG_AUTH_OK || cfg == NULL || cfg->auth.log_logins != RG_LOG_LOGINS_FAILURES)
		rg_log(res->status == RG_AUTH_OK ? LOG_INFO :
		       res->status == RG_AUTH_FAIL ? LOG_NOTICE : LOG_WARNING,
		       "auth: protocol=%s mech=%s service=%s user=%s authc=%s rip=%s result=%s "
		       "reason=\"%s%s%s\" cached=%s delay_ms=%u",
		       req->protocol ? req->protocol : "?", rg_mech_name(req->mech),
		       rg_log_quote(service, sizeof(service), req->service),
		       rg_log_quote(user, sizeof(user), identity),
		       rg_log_quote(authc, sizeof(authc), req->authc),
		       rg_log_quote(addr, sizeof(addr), req->remote_addr && req->remote_addr[0] ?
				    req->remote_addr : NULL),
		       names[res->status], res->reason, d->detail[0] ? ": " : "", d->detail,
		       res->cached ? "yes" : "no", res->delay_ms);
	if (res->status == RG_AUTH_OK)
		rg_stats_inc("login.ok");
	else {
		snprintf(stat, sizeof(stat), "login.%s.%s", names[res->status], d->code);
		rg_stats_add(stat, 1);
	}
}

/* authz rules: an authz different from authc needs the store's consent (an act_as
 * grant from authc to authz), and authz must itself be a known, enabled identity;
 * the mail is then sent, and checked, as authz. */
static void check_authz(const struct rg_config *cfg, const struct rg_auth_request *req,
			struct rg_auth_result *res, struct decision *d)
{
	const char *err = NULL;
	bool disabled = false;

	enum rg_lookup r = rg_stores_may_act_as(cfg, req->authc, req->authz, &err);
	if (r == RG_LOOKUP_ERROR) {
		rg_log_safe(d->detail, sizeof(d->detail), err ? err : "");
		conclude(res, d, RG_AUTH_TEMPFAIL, "store_error", "store error (authz)", NULL);
		return;
	}
	if (r == RG_LOOKUP_NOTFOUND) {
		conclude(res, d, RG_AUTH_FAIL, "authz_denied", "authc may not act as authz",
		    CLIENT_FAILED);
		return;
	}
	r = rg_stores_user_enabled(cfg, req->authz, &disabled, &err);
	if (r == RG_LOOKUP_ERROR) {
		rg_log_safe(d->detail, sizeof(d->detail), err ? err : "");
		conclude(res, d, RG_AUTH_TEMPFAIL, "store_error", "store error (authz)", NULL);
		return;
	}
	if (r != RG_LOOKUP_FOUND) {
		conclude(res, d, RG_AUTH_FAIL, "authz_unknown",
		    disabled ? "authz identity disabled" : "authz identity unknown", CLIENT_FAILED);
		return;
	}
	conclude(res, d, RG_AUTH_OK, "ok", "password verified", NULL);
}

void rg_auth_check(const struct rg_config *cfg, const struct rg_auth_request *req,
		   struct rg_auth_result *res)
{
	struct decision d = {0};
	struct rg_login login;
	const char *err = NULL;
	unsigned char mac[RG_AUTHCACHE_MACLEN];
	time_t now = time(NULL);
	bool authz_differs = req->authz != NULL && req->authz[0] != '\0' &&
			     strcmp(req->authz, req->authc) != 0;
	const char *identity = authz_differs ? req->authz : req->authc;
	uint64_t pad_ns = 0, t_start = rg_mono_ns();
	bool hashed = false;	/* this attempt ran a hash (no cache answer) */
	bool suspended = false;	/* the guard suspended authc or authz */

	memset(res, 0, sizeof(*res));
	memset(&login, 0, sizeof(login));
	rg_store_decision_begin();	/* one look at each store's data (store.h) */
	if (cache == NULL || pool == NULL) {
		conclude(res, &d, RG_AUTH_TEMPFAIL, "internal", "service not initialised", NULL);
		goto out;
	}
	if (req->authc == NULL || !rg_sasl_name_ok(req->authc, strlen(req->authc), false) ||
	    (req->authz != NULL && !rg_sasl_name_ok(req->authz, strlen(req->authz), true)) ||
	    req->password_len > RG_AUTH_MAX_PASSWORD) {
		conclude(res, &d, RG_AUTH_FAIL, "invalid_request", "invalid request", CLIENT_FAILED);
		goto out;
	}
	if (cfg->auth.require_tls && req->tls_known && !req->secured) {
		conclude(res, &d, RG_AUTH_FAIL, "tls_required", "session not secured by TLS", CLIENT_TLS);
		goto out;
	}
	/* one round trip to a shared store: the lock, the failure count, and
	 * whether the guard suspended authc or the authz asked for (decided after
	 * the password check, so that its time tells nothing) */
	struct rg_counters_op gops[2];
	char gkeys[2][RG_GUARD_KEY_MAX];
	int ng = rg_guard_login_ops(cfg, req->authc, req->authz, gops, gkeys);
	bool locked = false;
	unsigned failures = 0;
	if (ng < 0 || rg_penalty_precheck(penalty, req->authc, gops, (size_t)ng, now, &locked,
					  &failures) != 0) {
		conclude(res, &d, RG_AUTH_TEMPFAIL, "shared_state_error",
			 "shared counters unavailable (lockout unknown)", NULL);
		goto out;
	}
	for (int i = 0; i < ng; i++)
		suspended = suspended || gops[i].set;
	if (locked) {
		conclude(res, &d, RG_AUTH_FAIL, "locked_out", "user temporarily locked out", CLIENT_FAILED);
		res->delay_ms = rg_penalty_delay(penalty, req->remote_addr ? req->remote_addr : "",
						 req->authc, now);
		goto out;
	}

	/* The decision is rg_login_decide's (the one relayguardctl auth uses too);
	 * around it: the cache, the hashing pool and the penalties. */
	rg_login_lookup(cfg, req->authc, &login);
	const char *key = rg_login_cache_key(&login);
	if (login.found == RG_LOOKUP_ERROR || key == NULL) {
		rg_log_safe(d.detail, sizeof(d.detail), login.error ? login.error : "");
		rg_stats_inc("store.error");
		conclude(res, &d, RG_AUTH_TEMPFAIL, "store_error", "store error", NULL);
		goto out;
	}
	/* Unknown and disabled users get a MAC too (over a marker instead of a hash),
	 * so that a repeated attempt hits the negative cache for them as for a wrong
	 * password: the three cost the same.  The marker changes with the account's
	 * state, so enabling a user or changing its hash misses the cache at once. */
	rg_authcache_mac(cache, req->authc, key, req->password, req->password_len, mac);
	bool enabled = login.found == RG_LOOKUP_FOUND && login.rec.enabled;
	enum rg_cache_answer ans = rg_authcache_lookup(cache, req->authc, mac, now);
	enum rg_pw_result pw;
	struct verify_job job = {
		.login = &login, .password = req->password, .password_len = req->password_len,
	};
	if (ans == RG_CACHE_POSITIVE && enabled) {
		rg_stats_inc("cache.hit");
		res->cached = true;
		pw = RG_PW_MATCH;
	} else if (ans == RG_CACHE_NEGATIVE) {
		rg_stats_inc("cache.negative_hit");
		res->cached = true;
		pw = RG_PW_MISMATCH;
	} else {
		rg_stats_inc("cache.miss");
		enum rg_hashpool_status hs = rg_hashpool_run(pool, run_verify, &job);
		if (hs != RG_HASHPOOL_DONE) {
			rg_stats_inc("hashpool.rejected");
			conclude(res, &d, RG_AUTH_TEMPFAIL, "hashpool_full",
			    hs == RG_HASHPOOL_FULL ? "hashing queue full" : "shutting down", NULL);
			goto out;
		}
		pw = job.result;
		hashed = true;
		if (login.found == RG_LOOKUP_NOTFOUND)
			cost_add(job.ns);	/* a dummy: what an unknown user costs */
	}

	enum rg_verify v = rg_login_decide(&login, req->authc, pw, job.error, &err);
	/* a verify that ran (or a cached answer) feeds the cache; one that could not
	 * run, or met an unusable hash, leaves no trace: no entry, no penalty */
	bool verified = pw == RG_PW_MATCH || pw == RG_PW_MISMATCH;
	switch (v) {
	case RG_VERIFY_OK:
		/* a verified hash enters the cache; a cached answer stays as it
		 * is: its entry expires auth.cache.ttl after the hash last ran */
		if (!res->cached)
			rg_authcache_add_positive(cache, req->authc, mac, now);
		if (failures > 0)	/* nothing to clear otherwise: no round trip */
			rg_penalty_success(penalty, req->authc);
		if (authz_differs)
			check_authz(cfg, req, res, &d);
		else
			conclude(res, &d, RG_AUTH_OK, "ok", "password verified", NULL);
		if (res->status == RG_AUTH_OK && suspended)
			conclude(res, &d, RG_AUTH_FAIL, "suspended", "identity suspended by the guard",
				 CLIENT_FAILED);
		if (res->status == RG_AUTH_OK)
			(void)rg_strbcpy(res->identity, sizeof(res->identity), identity);
		break;
	case RG_VERIFY_TEMPFAIL:
		rg_log_safe(d.detail, sizeof(d.detail), job.error ? job.error : err ? err : "");
		if (pw == RG_PW_ERROR)
			conclude(res, &d, RG_AUTH_TEMPFAIL, "bad_stored_hash", "stored hash unusable", NULL);
		else
			conclude(res, &d, RG_AUTH_TEMPFAIL, "verify_error", "password check could not run",
			    NULL);
		break;
	case RG_VERIFY_UNKNOWN_USER:
	case RG_VERIFY_DISABLED:
	case RG_VERIFY_BAD_PASSWORD:
		if (v == RG_VERIFY_UNKNOWN_USER)
			conclude(res, &d, RG_AUTH_FAIL, "unknown_user", "unknown user", CLIENT_FAILED);
		else if (v == RG_VERIFY_DISABLED)
			conclude(res, &d, RG_AUTH_FAIL, "disabled", "user disabled", CLIENT_FAILED);
		else
			conclude(res, &d, RG_AUTH_FAIL, "bad_password", "wrong password", CLIENT_FAILED);
		if (hashed && verified && login.found == RG_LOOKUP_FOUND)
			pad_ns = cost_padding(&login, job.ns);
		if (verified)
			rg_authcache_add_negative(cache, req->authc, mac, now);
		else
			rg_authcache_drop_user(cache, req->authc);
		if (verified || v == RG_VERIFY_DISABLED)
			rg_guard_login_failed(cfg, req->authc, now);
		if (verified || v == RG_VERIFY_DISABLED)
			res->delay_ms = rg_penalty_failure(penalty,
							   req->remote_addr ? req->remote_addr : "",
							   req->authc, mac, sizeof(mac), now);
		break;
	}
out:
	rg_store_decision_end();
	sodium_memzero(mac, sizeof(mac));
	rg_login_clear(&login);
	/* the decision's time, before any deliberate padding or failure delay */
	rg_stats_observe(res->cached ? RG_HIST_LOGIN_CACHED : RG_HIST_LOGIN_HASHED,
			 rg_mono_ns() - t_start);
	if (res->status == RG_AUTH_FAIL && pad_ns > 0) {
		rg_stats_inc("auth.cost_padded");
		sleep_ns(pad_ns);
	}
	log_decision(cfg, req, res, &d, identity);
}
