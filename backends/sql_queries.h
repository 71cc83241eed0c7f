/*
 * sql_queries.h — the questions the SQL stores (SQLite, PostgreSQL) ask,
 * in one table: each query's config key, its named parameters, the
 * columns it must return and its default text in each dialect.  The
 * admin writes custom queries with the same named parameters (:user,
 * :as, :tenant, :address, :domain) for both stores.
 */
#ifndef RG_SQL_QUERIES_H
#define RG_SQL_QUERIES_H

#include <stdbool.h>
#include <stddef.h>
#include "config.h"
#include "lookup.h"

enum rg_sql_q {
	RG_SQL_PASSWORD, RG_SQL_ACT_AS, RG_SQL_TENANT, RG_SQL_TENANT_AUTHZ, RG_SQL_STATE,
	RG_SQL_SENDER, RG_SQL_SENDER_OWNER, RG_SQL_TENANT_DOMAIN, RG_SQL_TENANT_DOMAINS,
	RG_SQL_DOMAIN_TENANT, RG_SQL_COUNT
};

struct rg_sql_query {
	const char *key;	/* the config key: "password_query" ... */
	const char *sqlite;	/* default text for SQLite's schema */
	const char *pgsql;	/* default text for PostgreSQL's schema */
	const char *params[2];	/* the named parameters it must use (NULL: fewer) */
	int min_cols, max_cols;	/* columns it must return (0, 0: any, existence only) */
};
extern const struct rg_sql_query rg_sql_queries[RG_SQL_COUNT];

/* The custom query texts of conf, by rg_sql_q (NULL or "": not given). */
void rg_sql_given(const struct rg_store_conf *conf, const char *given[RG_SQL_COUNT]);

/* Choose the texts a store runs: the defaults (dialect: 0 SQLite, 1
 * PostgreSQL) when no custom query is given, else only the given ones
 * (*custom_r = true).  0, or -1 with a message in err (custom queries
 * without password_query; tenant_query without tenant_authz_query). */
int rg_sql_choose(const struct rg_store_conf *conf, int dialect, const char *sql_r[RG_SQL_COUNT],
		  bool *custom_r, char *err, size_t errlen);

/* An existence question (tenant_query, tenant_domains_query,
 * tenant_domain_query) asked of a store for tenant and domain (NULL when q
 * takes none): FOUND with a row, NOTFOUND, ERROR. */
typedef enum rg_lookup (*rg_sql_ask_fn)(void *ctx, enum rg_sql_q q, const char *tenant,
					const char *domain);

/* May tenant's mail use domain, asked through ask with the store's queries
 * (sql: the texts in use, NULL = off)?  The tenant must be known; a tenant
 * without domains (or a store without domain queries) allows any; else the
 * domain itself or one of its *.parent entries must be listed.  FOUND with
 * *allowed_r, NOTFOUND (tenant unknown or no tenant queries), ERROR. */
enum rg_lookup rg_sql_tenant_domain(rg_sql_ask_fn ask, void *ctx, const char *const *sql,
				    const char *tenant, const char *domain, bool *allowed_r);

/* A row of domain_tenant_query for the entry key: the first (row 0) names
 * the tenant (copied to out); a later one naming another tenant makes the
 * entry ambiguous: -1 with err.  0 otherwise. */
int rg_sql_domain_tenant_row(int row, const char *tenant, const char *key, char *out, size_t n,
			     char *err, size_t errlen);

/* An "enabled" value given as text: yes/y/true/t/on or a non-zero integer
 * is true; anything else (empty, no, 0, garbage) is false: fail closed. */
bool rg_sql_text_true(const char *v);

/* PostgreSQL takes positional parameters ($1, $2): rewrite sql's named ones
 * (q's params[0] becomes $1, params[1] $2), skipping string literals,
 * quoted identifiers, dollar-quoted strings, comments and :: casts.  A
 * parameter q does not take, a missing one, or a $n written by hand is an
 * error.  Returns the new text (malloc'd), or NULL with err set. */
char *rg_sql_positional(enum rg_sql_q q, const char *sql, char *err, size_t errlen);

#endif
