/*
 * store.c — opening stores and walking the chain.
 *
 * Rules:
 *  - Stores are asked in configuration order; the first that knows the user
 *    decides.  A store that cannot answer (RG_LOOKUP_ERROR) before the
 *    deciding one makes the whole answer an error: we cannot know whether
 *    that store would have known the user, so we fail closed (tempfail).
 *  - An error never becomes success, and never becomes "unknown user".
 *  - What a login attempt costs and how it ends (unknown, disabled, wrong
 *    password, unusable stored hash) is decided in login.c, for the SASL
 *    service and relayguardctl alike.
 */
#include <autoconfig.h>
#include "store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sodium.h>

#include "log.h"
#include "mailbox.h"
#include "pwscheme.h"
#include "stats.h"

static __thread unsigned long long decision_id, decision_seq;
static __thread unsigned decision_depth;

void rg_store_decision_begin(void)
{
	if (decision_depth++ == 0)
		decision_id = ++decision_seq;
}

void rg_store_decision_end(void)
{
	if (decision_depth > 0 && --decision_depth == 0)
		decision_id = 0;
}

unsigned long long rg_store_decision(void)
{
	return decision_id;
}

void rg_user_record_clear(struct rg_user_record *rec)
{
	if (rec == NULL)
		return;
	if (rec->password != NULL) {
		sodium_memzero(rec->password, strlen(rec->password));
		free(rec->password);
	}
	rec->password = NULL;
	rec->enabled = false;
}

const char *rg_verify_str(enum rg_verify v)
{
	switch (v) {
	case RG_VERIFY_OK: return "ok";
	case RG_VERIFY_BAD_PASSWORD: return "bad password";
	case RG_VERIFY_UNKNOWN_USER: return "unknown user";
	case RG_VERIFY_DISABLED: return "user disabled";
	case RG_VERIFY_TEMPFAIL: return "temporary failure";
	}
	return "invalid result";
}

/* The store registry: the code of each type (its name is in common/config_keys.c).
 * A new type is one row here and one name there. */
static const struct rg_store_ops *const registry[RG_STORE_TYPES_END] = {
	[RG_STORE_STATIC] = &rg_store_static_ops,
	[RG_STORE_PASSWD_FILE] = &rg_store_passwd_file_ops,
	[RG_STORE_SQLITE] = &rg_store_sqlite_ops,
	[RG_STORE_VAULT] = &rg_store_vault_ops,
	[RG_STORE_PGSQL] = &rg_store_pgsql_ops,
};

static const struct rg_store_ops *store_ops_for(enum rg_store_type type)
{
	return (int)type > 0 && type < RG_STORE_TYPES_END ? registry[type] : NULL;
}

struct rg_store *rg_store_open(const struct rg_config *cfg, const struct rg_store_conf *conf,
			       char **error_r)
{
	const struct rg_store_ops *ops = store_ops_for(conf->type);
	char label[1024];

	*error_r = NULL;
	if (ops == NULL) {
		rg_error_r(error_r, "unknown store type");
		return NULL;
	}
	/* label: the admin's name, else "type:path", else the type */
	if (conf->name != NULL && conf->name[0] != '\0')
		snprintf(label, sizeof(label), "%s", conf->name);
	else if (conf->path != NULL && conf->path[0] != '\0')
		snprintf(label, sizeof(label), "%s:%s", rg_store_type_name(conf->type), conf->path);
	else
		snprintf(label, sizeof(label), "%s", rg_store_type_name(conf->type));

	size_t llen = strlen(label) + 1;
	struct rg_store *st = calloc(1, sizeof(*st) + llen);
	if (st == NULL) {
		rg_error_r(error_r, "out of memory");
		return NULL;
	}
	char *lcopy = (char *)(st + 1);
	memcpy(lcopy, label, llen);
	st->ops = ops;
	st->conf = conf;
	st->label = lcopy;

	char *err = NULL;
	if (ops->open(st, cfg, &err) < 0) {
		/* the caller names the store (config file:line); the text says what is wrong */
		*error_r = err != NULL ? err : strdup("cannot open");
		free(st);
		return NULL;
	}
	return st;
}

void rg_store_close(struct rg_store *st)
{
	if (st == NULL)
		return;
	if (st->ops->close != NULL)
		st->ops->close(st);
	free(st);
}

/* ---- the chain ---- */

static bool chain_ready(const struct rg_config *cfg, const char **error_r)
{
	if (cfg->n_stores > 0 && cfg->opened == NULL) {
		*error_r = "credential stores are not open";
		return false;
	}
	return true;
}

static void store_error(const struct rg_store *st, const char *what, const char *err)
{
	char safe_err[700];

	rg_stats_inc("store.error");
	/* the text may quote store content (a line of a passwd file): quoted */
	rg_log(LOG_ERR, "store %s: %s: %s", st->label, what,
	       rg_log_quote(safe_err, sizeof(safe_err), err ? err : "error"));
}

enum rg_lookup rg_stores_lookup_user(const struct rg_config *cfg, const char *user,
				     struct rg_user_record *rec_r, const struct rg_store **store_r,
				     const char **error_r)
{
	const char *dummy_err;

	if (error_r == NULL)
		error_r = &dummy_err;
	*error_r = NULL;
	rec_r->password = NULL;
	rec_r->enabled = false;
	if (store_r != NULL)
		*store_r = NULL;
	if (!chain_ready(cfg, error_r))
		return RG_LOOKUP_ERROR;
	for (size_t i = 0; i < cfg->n_stores; i++) {
		struct rg_store *st = cfg->opened[i];
		const char *err = NULL;
		enum rg_lookup r = st->ops->lookup_user(st, user, rec_r, &err);
		if (r == RG_LOOKUP_NOTFOUND)
			continue;
		if (store_r != NULL)
			*store_r = st;
		if (r == RG_LOOKUP_FOUND)
			return RG_LOOKUP_FOUND;
		/* anything else is an error: fail closed */
		rg_user_record_clear(rec_r);
		store_error(st, "user lookup", err);
		*error_r = err != NULL ? err : "store error";
		return RG_LOOKUP_ERROR;
	}
	return RG_LOOKUP_NOTFOUND;
}

void rg_pw_params_from_config(const struct rg_config *cfg, struct rg_pw_params *p)
{
	rg_pw_params_default(p);
	p->allow_plaintext = cfg->passwords.allow_plaintext;
	if (cfg->passwords.argon2_memory_kib > 0)
		p->argon2_memory_kib = (unsigned)cfg->passwords.argon2_memory_kib;
	if (cfg->passwords.argon2_iterations > 0)
		p->argon2_iterations = (unsigned)cfg->passwords.argon2_iterations;
	if (cfg->passwords.max_argon2_memory_kib > 0)
		p->max_argon2_memory_kib = (unsigned)cfg->passwords.max_argon2_memory_kib;
	if (cfg->passwords.max_argon2_iterations > 0)
		p->max_argon2_iterations = (unsigned)cfg->passwords.max_argon2_iterations;
	if (cfg->passwords.max_scrypt_memory_kib > 0)
		p->max_scrypt_memory_kib = (unsigned)cfg->passwords.max_scrypt_memory_kib;
	if (cfg->passwords.max_scrypt_parallelism > 0)
		p->max_scrypt_parallelism = (unsigned)cfg->passwords.max_scrypt_parallelism;
}

/* One store's answer to "do you know user, is it enabled", without fetching
 * the password when the store can (lookup_state). */
static enum rg_lookup store_state(struct rg_store *st, const char *user, bool *enabled_r,
				  const char **error_r)
{
	if (st->ops->lookup_state != NULL)
		return st->ops->lookup_state(st, user, enabled_r, error_r);
	struct rg_user_record rec = { NULL, false };
	enum rg_lookup r = st->ops->lookup_user(st, user, &rec, error_r);
	*enabled_r = r == RG_LOOKUP_FOUND && rec.enabled;
	rg_user_record_clear(&rec);
	return r;
}

enum rg_lookup rg_stores_lookup_state(const struct rg_config *cfg, const char *user,
				      bool *enabled_r, const char **error_r)
{
	*error_r = NULL;
	*enabled_r = false;
	if (!chain_ready(cfg, error_r))
		return RG_LOOKUP_ERROR;
	for (size_t i = 0; i < cfg->n_stores; i++) {
		struct rg_store *st = cfg->opened[i];
		const char *err = NULL;
		enum rg_lookup r = store_state(st, user, enabled_r, &err);
		if (r == RG_LOOKUP_NOTFOUND)
			continue;
		if (r == RG_LOOKUP_FOUND)
			return RG_LOOKUP_FOUND;
		*enabled_r = false;
		store_error(st, "user lookup", err);
		*error_r = err != NULL ? err : "store error";
		return RG_LOOKUP_ERROR;
	}
	return RG_LOOKUP_NOTFOUND;
}

enum rg_lookup rg_stores_user_enabled(const struct rg_config *cfg, const char *user,
				      bool *disabled_r, const char **error_r)
{
	const char *dummy_err;
	bool enabled;

	if (error_r == NULL)
		error_r = &dummy_err;
	if (disabled_r != NULL)
		*disabled_r = false;
	enum rg_lookup r = rg_stores_lookup_state(cfg, user, &enabled, error_r);
	if (r != RG_LOOKUP_FOUND)
		return r;
	if (enabled)
		return RG_LOOKUP_FOUND;
	if (disabled_r != NULL)
		*disabled_r = true;
	return RG_LOOKUP_NOTFOUND;
}

enum rg_lookup rg_stores_may_act_as(const struct rg_config *cfg, const char *authc,
				    const char *authz, const char **error_r)
{
	const char *dummy_err;

	if (error_r == NULL)
		error_r = &dummy_err;
	*error_r = NULL;
	if (authz == NULL || authz[0] == '\0' || strcmp(authc, authz) == 0)
		return RG_LOOKUP_FOUND;
	if (!chain_ready(cfg, error_r))
		return RG_LOOKUP_ERROR;
	/* find the store that knows authc; that store decides */
	for (size_t i = 0; i < cfg->n_stores; i++) {
		struct rg_store *st = cfg->opened[i];
		const char *err = NULL;
		bool enabled;
		enum rg_lookup r = store_state(st, authc, &enabled, &err);
		if (r == RG_LOOKUP_NOTFOUND)
			continue;
		if (r == RG_LOOKUP_FOUND) {
			if (st->ops->may_act_as == NULL)
				return RG_LOOKUP_NOTFOUND;
			err = NULL;
			r = st->ops->may_act_as(st, authc, authz, &err);
			if (r == RG_LOOKUP_FOUND || r == RG_LOOKUP_NOTFOUND)
				return r;
		}
		store_error(st, "act-as lookup", err);
		*error_r = err != NULL ? err : "store error";
		return RG_LOOKUP_ERROR;
	}
	return RG_LOOKUP_NOTFOUND;
}

/* One union walk for both sender questions: identity NULL asks for any owner. */
static enum rg_lookup sender_union(const struct rg_config *cfg, const char *identity,
				   const char *addr, const char **error_r)
{
	char keys[RG_SENDER_KEYS][RG_ADDR_MAX];
	const char *dummy_err, *first_err = NULL;
	bool failed = false;
	size_t nk;

	if (error_r == NULL)
		error_r = &dummy_err;
	*error_r = NULL;
	nk = rg_sender_keys(addr, cfg->senders.recipient_delimiter, identity != NULL, keys);
	if (nk == 0)
		return RG_LOOKUP_NOTFOUND;	/* no usable domain: nothing can grant it */
	if (!chain_ready(cfg, error_r))
		return RG_LOOKUP_ERROR;
	for (size_t i = 0; i < cfg->n_stores; i++) {
		struct rg_store *st = cfg->opened[i];
		for (size_t k = 0; k < nk; k++) {
			const char *err = NULL;
			enum rg_lookup r;

			if (identity != NULL)
				r = st->ops->sender_granted != NULL ?
				    st->ops->sender_granted(st, identity, keys[k], &err) :
				    RG_LOOKUP_NOTFOUND;
			else
				r = st->ops->sender_has_owner != NULL ?
				    st->ops->sender_has_owner(st, keys[k], &err) : RG_LOOKUP_NOTFOUND;
			if (r == RG_LOOKUP_FOUND)
				return RG_LOOKUP_FOUND;
			if (r == RG_LOOKUP_ERROR) {
				store_error(st, "sender grant lookup", err);
				if (!failed)
					first_err = err != NULL ? err : "store error";
				failed = true;
				break;	/* this store cannot answer; another may still grant it */
			}
		}
	}
	if (failed) {
		*error_r = first_err;
		return RG_LOOKUP_ERROR;
	}
	return RG_LOOKUP_NOTFOUND;
}

enum rg_lookup rg_stores_sender_owned(const struct rg_config *cfg, const char *identity,
				      const char *addr, const char **error_r)
{
	return sender_union(cfg, identity != NULL ? identity : "", addr, error_r);
}

enum rg_lookup rg_stores_sender_has_owner(const struct rg_config *cfg, const char *addr,
					  const char **error_r)
{
	return sender_union(cfg, NULL, addr, error_r);
}

static bool tenant_lists(const struct rg_tenant *t, const char *user)
{
	for (size_t i = 0; i < t->n_require_authz; i++)
		if (t->require_authz[i] != NULL && strcmp(t->require_authz[i], user) == 0)
			return true;
	return false;
}

/* The question a tenant walk asks: tenant authorization, or its domains. */
enum tenant_q { TQ_AUTHZ, TQ_DOMAIN };

/* The config's answer for a tenant of tenants.list. */
static bool config_tenant_allows(const struct rg_tenant *t, enum tenant_q q, const char *arg)
{
	if (q == TQ_AUTHZ)
		return !t->has_require_authz || (arg != NULL && tenant_lists(t, arg));
	if (t->n_allowed_domains == 0)
		return true;	/* no domains: any */
	/* the entries were normalized at load (config_check.c); the domain's
	 * keys (itself, *.parent...) are made once */
	char keys[16][RG_ADDR_MAX];
	size_t nk = rg_tenant_domain_keys(arg, keys, 16);
	for (size_t i = 0; i < t->n_allowed_domains; i++)
		for (size_t k = 0; k < nk; k++)
			if (t->allowed_domains[i] != NULL && strcmp(t->allowed_domains[i], keys[k]) == 0)
				return true;
	return false;
}

/* Who answers for a tenant: the config's tenants.list when it names the
 * tenant (rg_config_tenant: case-insensitive, indexed), else the first store
 * that knows it.  FOUND with *allowed_r, NOTFOUND (tenant unknown), ERROR. */
static enum rg_lookup tenant_walk(const struct rg_config *cfg, const char *tenant,
				  enum tenant_q q, const char *arg, bool *allowed_r,
				  const char **error_r)
{
	const char *dummy_err;

	if (error_r == NULL)
		error_r = &dummy_err;
	*error_r = NULL;
	*allowed_r = false;
	const struct rg_tenant *t = rg_config_tenant(cfg, tenant);
	if (t != NULL) {
		*allowed_r = config_tenant_allows(t, q, arg);
		return RG_LOOKUP_FOUND;
	}
	if (!chain_ready(cfg, error_r))
		return RG_LOOKUP_ERROR;
	for (size_t i = 0; i < cfg->n_stores; i++) {
		struct rg_store *st = cfg->opened[i];
		const char *err = NULL;
		bool allowed = false;
		enum rg_lookup r;
		if (q == TQ_AUTHZ && st->ops->tenant_authz != NULL)
			r = st->ops->tenant_authz(st, tenant, arg ? arg : "", &allowed, &err);
		else if (q == TQ_DOMAIN && st->ops->tenant_domain != NULL)
			r = st->ops->tenant_domain(st, tenant, arg ? arg : "", &allowed, &err);
		else
			continue;
		if (r == RG_LOOKUP_NOTFOUND)
			continue;
		if (r == RG_LOOKUP_FOUND) {
			*allowed_r = allowed && arg != NULL;
			return RG_LOOKUP_FOUND;
		}
		store_error(st, q == TQ_AUTHZ ? "tenant lookup" : "tenant domain lookup", err);
		*error_r = err != NULL ? err : "store error";
		return RG_LOOKUP_ERROR;
	}
	return RG_LOOKUP_NOTFOUND;
}

/* The config tenant whose allowed_domains hold the most specific of keys. */
static enum rg_lookup config_domain_tenant(const struct rg_config *cfg, char keys[][RG_ADDR_MAX],
					   size_t nk, char *out, size_t n, const char **error_r)
{
	static __thread char errbuf[300];

	for (size_t k = 0; k < nk; k++) {
		const struct rg_tenant *found = NULL;
		for (size_t t = 0; t < cfg->tenants.n_list; t++) {
			const struct rg_tenant *tn = &cfg->tenants.list[t];
			bool listed = false;
			for (size_t i = 0; i < tn->n_allowed_domains && !listed; i++)
				listed = tn->allowed_domains[i] != NULL &&
					 strcmp(tn->allowed_domains[i], keys[k]) == 0;
			if (!listed)
				continue;
			if (found != NULL) {
				snprintf(errbuf, sizeof(errbuf), "tenants.list: domain entry %.100s belongs "
					 "to two tenants (%.60s and %.60s)", keys[k], found->name, tn->name);
				*error_r = errbuf;
				return RG_LOOKUP_ERROR;
			}
			found = tn;
		}
		if (found != NULL) {
			snprintf(out, n, "%s", found->name);
			return RG_LOOKUP_FOUND;
		}
	}
	return RG_LOOKUP_NOTFOUND;
}

enum rg_lookup rg_stores_domain_tenant(const struct rg_config *cfg, const char *domain,
				       char *out, size_t n, const char **error_r)
{
	char keys[16][RG_ADDR_MAX];
	size_t nk = rg_tenant_domain_keys(domain, keys, 16);
	const char *dummy_err;

	if (error_r == NULL)
		error_r = &dummy_err;
	*error_r = NULL;
	out[0] = '\0';
	if (nk == 0)
		return RG_LOOKUP_NOTFOUND;
	enum rg_lookup r = config_domain_tenant(cfg, keys, nk, out, n, error_r);
	if (r != RG_LOOKUP_NOTFOUND)
		return r;
	if (!chain_ready(cfg, error_r))
		return RG_LOOKUP_ERROR;
	for (size_t i = 0; i < cfg->n_stores; i++) {
		struct rg_store *st = cfg->opened[i];
		const char *err = NULL;
		if (st->ops->domain_tenant == NULL)
			continue;
		r = st->ops->domain_tenant(st, domain, out, n, &err);
		if (r == RG_LOOKUP_NOTFOUND)
			continue;
		if (r == RG_LOOKUP_ERROR) {
			store_error(st, "domain's tenant lookup", err);
			*error_r = err != NULL ? err : "store error";
			out[0] = '\0';
		}
		return r;
	}
	return RG_LOOKUP_NOTFOUND;
}

enum rg_lookup rg_stores_tenant_authz(const struct rg_config *cfg, const char *tenant,
				      const char *user, bool *allowed_r, const char **error_r)
{
	return tenant_walk(cfg, tenant, TQ_AUTHZ, user, allowed_r, error_r);
}

enum rg_lookup rg_stores_tenant_domain(const struct rg_config *cfg, const char *tenant,
				       const char *domain, bool *allowed_r, const char **error_r)
{
	return tenant_walk(cfg, tenant, TQ_DOMAIN, domain, allowed_r, error_r);
}
