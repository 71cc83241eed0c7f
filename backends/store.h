/*
 * store.h — credential stores.
 *
 * A store answers four questions about identities.  Every lookup returns a
 * tri-state (OpenSMTPD style): RG_LOOKUP_ERROR (the store could not answer:
 * locked/missing/corrupt database, I/O error — the caller turns this into a
 * TEMPORARY failure, never into success or a refusal), RG_LOOKUP_NOTFOUND,
 * RG_LOOKUP_FOUND.  Error texts come back in error_r (Dovecot style), a
 * static or store-owned string valid until the next call on that thread.
 *
 * Stores are asked in configuration order; the first that knows the user
 * decides (rg_stores_* below walk the chain).
 */
#ifndef RG_STORE_H
#define RG_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include "config.h"
#include "lookup.h"

/* What a store knows about one user. */
struct rg_user_record {
	char *password;		/* stored hash, malloc'd; wipe+free with rg_user_record_clear */
	bool enabled;
};
void rg_user_record_clear(struct rg_user_record *rec);

/* One type's code; backends/store.c's registry maps enum rg_store_type to it. */
struct rg_store_ops {
	/* open: validate and prepare; for sqlite open read-only. */
	int (*open)(struct rg_store *st, const struct rg_config *cfg, char **error_r);
	enum rg_lookup (*lookup_user)(struct rg_store *st, const char *user,
				      struct rg_user_record *rec_r, const char **error_r);
	/* The user's state without the password (the milter's identity checks at
	 * MAIL FROM need no hash to fetch and wipe): FOUND with *enabled_r, or
	 * NOTFOUND / ERROR, answering "does this store know the user" exactly as
	 * lookup_user does. */
	enum rg_lookup (*lookup_state)(struct rg_store *st, const char *user, bool *enabled_r,
				       const char **error_r);
	/* FOUND: user may act as `as`; NOTFOUND: may not. */
	enum rg_lookup (*may_act_as)(struct rg_store *st, const char *user, const char *as,
				     const char **error_r);
	/* FOUND: store knows tenant; *allowed_r says whether `user` may use it.
	 * NOTFOUND: store does not know the tenant. */
	enum rg_lookup (*tenant_authz)(struct rg_store *st, const char *tenant, const char *user,
				       bool *allowed_r, const char **error_r);
	/* Sender grants (common/mailbox.h; grant is normalized).  sender_granted:
	 * FOUND when identity holds grant here.  sender_has_owner: FOUND when some
	 * identity holds it here.  NULL: this store grants nothing. */
	enum rg_lookup (*sender_granted)(struct rg_store *st, const char *identity,
					 const char *grant, const char **error_r);
	enum rg_lookup (*sender_has_owner)(struct rg_store *st, const char *grant,
					   const char **error_r);
	/* Tenant domains.  FOUND: the store knows the tenant; *allowed_r: domain
	 * (lower case) is one of its domains, or the tenant has none (any).
	 * NOTFOUND: the store does not know the tenant.  NULL: knows none. */
	enum rg_lookup (*tenant_domain)(struct rg_store *st, const char *tenant, const char *domain,
					bool *allowed_r, const char **error_r);
	/* Which tenant's domains hold domain (the most specific entry: the domain,
	 * then *.parent ...)?  FOUND with the name in out; NOTFOUND; ERROR, also
	 * when two tenants list the deciding entry.  NULL: knows none. */
	enum rg_lookup (*domain_tenant)(struct rg_store *st, const char *domain, char *out,
					size_t n, const char **error_r);
	/* Call fn for every stored hash (for `relayguard -n`); returns -1 on error. */
	int (*foreach_hash)(struct rg_store *st,
			    int (*fn)(void *ctx, const char *user, const char *hash), void *ctx,
			    char **error_r);
	void (*close)(struct rg_store *st);
};

struct rg_store {
	const struct rg_store_ops *ops;
	const struct rg_store_conf *conf;
	const char *label;	/* conf->name, else "type:path", else the type's name */
	void *priv;
};

/* Create and open the store described by conf (cfg gives global settings). */
struct rg_store *rg_store_open(const struct rg_config *cfg, const struct rg_store_conf *conf,
			       char **error_r);
void rg_store_close(struct rg_store *st);

/* ---- one decision, one look at the data ----
 *
 * A decision (a login, a milter step) asks the stores several questions.
 * Between rg_store_decision_begin() and rg_store_decision_end(), on the same
 * thread, a store may check once whether its data changed and take that one
 * look for the decision's further questions (the SQLite store: one stat, one
 * header read and one lock test per decision instead of per question).  A
 * commit is still seen by every decision that begins after it; one made
 * while a decision runs is seen by the next.  Outside a decision every
 * question looks again.  Begin/end pairs may nest; the outermost counts. */
void rg_store_decision_begin(void);
void rg_store_decision_end(void);
/* The current decision of this thread: 0 outside one, else an id that no
 * earlier decision of this thread had. */
unsigned long long rg_store_decision(void);

/* ---- the chain: ask every store in order; the first that knows decides ---- */

/* Result of a password check through the stores. */
enum rg_verify {
	RG_VERIFY_OK = 0,
	RG_VERIFY_BAD_PASSWORD,	/* user known, password wrong */
	RG_VERIFY_UNKNOWN_USER,	/* (a dummy hash was run so timing matches) */
	RG_VERIFY_DISABLED,
	RG_VERIFY_TEMPFAIL,	/* store or internal error */
};
const char *rg_verify_str(enum rg_verify v);

/* Find the user's record in the first store that knows it.
 * store_r (optional) gets the answering store. */
enum rg_lookup rg_stores_lookup_user(const struct rg_config *cfg, const char *user,
				     struct rg_user_record *rec_r, const struct rg_store **store_r,
				     const char **error_r);

/* Password scheme parameters and stored-hash limits from cfg (passwords.*;
 * unset = the defaults).  The one place that maps the config onto them. */
struct rg_pw_params;
void rg_pw_params_from_config(const struct rg_config *cfg, struct rg_pw_params *p);

/* Full verify without a cache: the login decision of login.h (lookup, one hash —
 * the stored one, disabled users included, or a dummy for unknown users —, verdict). */
enum rg_verify rg_stores_verify(const struct rg_config *cfg, const char *user,
				const char *password, size_t password_len,
				const struct rg_store **store_r, const char **error_r);

/* Is `user` a known, enabled identity? FOUND = yes, NOTFOUND = unknown or disabled
 * (*disabled_r tells which, when non-NULL). */
/* The chain's answer about user's state, no password fetched (the store that
 * knows the user decides; an error before it is an error). */
enum rg_lookup rg_stores_lookup_state(const struct rg_config *cfg, const char *user,
				      bool *enabled_r, const char **error_r);

enum rg_lookup rg_stores_user_enabled(const struct rg_config *cfg, const char *user,
				      bool *disabled_r, const char **error_r);

/* May authc act as authz?  The store that knows authc decides. */
enum rg_lookup rg_stores_may_act_as(const struct rg_config *cfg, const char *authc,
				    const char *authz, const char **error_r);

/* Tenant check.  The config's tenants.list is consulted first, then the stores.
 * FOUND: tenant known, *allowed_r set.  NOTFOUND: tenant unknown everywhere. */
enum rg_lookup rg_stores_tenant_authz(const struct rg_config *cfg, const char *tenant,
				      const char *user, bool *allowed_r, const char **error_r);

/* May identity use the sender address addr ("local@domain", as
 * common/mailbox.c gives it)?  The grants that would cover it (the address,
 * user@ without the extension, @domain, *) are looked up in every store: the
 * answer is the union (any store's grant is enough), unlike the questions
 * above, where the first store that knows the user decides.  FOUND: owned;
 * NOTFOUND: no store grants it; ERROR: none grants it and some store could
 * not answer (a temporary failure, never "not owned"). */
enum rg_lookup rg_stores_sender_owned(const struct rg_config *cfg, const char *identity,
				      const char *addr, const char **error_r);

/* May tenant's mail use domain (From: or envelope)?  As rg_stores_tenant_authz:
 * the config's tenants.list first, then the store that knows the tenant.  A
 * tenant without allowed domains allows any.  FOUND with *allowed_r;
 * NOTFOUND: tenant unknown; ERROR. */
enum rg_lookup rg_stores_tenant_domain(const struct rg_config *cfg, const char *tenant,
				       const char *domain, bool *allowed_r, const char **error_r);

/* tenants.missing = from_domain: the tenant whose allowed domains hold domain.
 * The config's tenants.list first (its most specific entry; two tenants with
 * it: ERROR), then the first store that knows one.  FOUND with the tenant's
 * name in out (n bytes); NOTFOUND; ERROR. */
enum rg_lookup rg_stores_domain_tenant(const struct rg_config *cfg, const char *domain,
				       char *out, size_t n, const char **error_r);

/* Does any identity hold addr (its address, user@ without extension, or its
 * @domain; "*" grants are not counted)?  Same union and errors. */
enum rg_lookup rg_stores_sender_has_owner(const struct rg_config *cfg, const char *addr,
					  const char **error_r);

/* Open every store of cfg into cfg->opened, and set cfg->release_stores so
 * that they close with the snapshot's last reference.  Before opening, the
 * static users' password hashes are checked (an unusable one is an error, a
 * plaintext one a warning added to the snapshot's warnings).  0, or -1 with
 * *errors_r ("file:line: message" lines, malloc'd) and nothing left open. */
int rg_stores_open(struct rg_config *cfg, char **errors_r);

/* `relayguard -n`: every hash stored in the opened passwd-file and SQLite
 * stores, checked as a login would use it.  0, or -1 with *errors_r. */
int rg_stores_check_hashes(const struct rg_config *cfg, char **errors_r);

extern const struct rg_store_ops rg_store_static_ops;
extern const struct rg_store_ops rg_store_passwd_file_ops;
extern const struct rg_store_ops rg_store_sqlite_ops;
extern const struct rg_store_ops rg_store_vault_ops;
extern const struct rg_store_ops rg_store_pgsql_ops;

#endif
