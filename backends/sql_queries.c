/*
 * sql_queries.c — the SQL stores' query table and the rules both apply to it
 * (see sql_queries.h).
 */
#include <autoconfig.h>
#include "sql_queries.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mailbox.h"

/* Tenant names compare case-insensitively (as in the config): SQLite's
 * columns are COLLATE NOCASE, PostgreSQL's queries compare lower(). */
const struct rg_sql_query rg_sql_queries[RG_SQL_COUNT] = {
	[RG_SQL_PASSWORD] = { "password_query",
		"SELECT password, enabled FROM users WHERE name = :user",
		"SELECT password, enabled FROM users WHERE name = :user",
		{ ":user", NULL }, 1, 2 },
	[RG_SQL_ACT_AS] = { "act_as_query",
		"SELECT 1 FROM act_as WHERE identity = :user AND as_identity = :as",
		"SELECT 1 FROM act_as WHERE identity = :user AND as_identity = :as",
		{ ":user", ":as" }, 0, 0 },
	[RG_SQL_TENANT] = { "tenant_query",
		"SELECT 1 FROM tenants WHERE name = :tenant COLLATE NOCASE",
		"SELECT 1 FROM tenants WHERE lower(name) = lower(:tenant)",
		{ ":tenant", NULL }, 0, 0 },
	[RG_SQL_TENANT_AUTHZ] = { "tenant_authz_query",
		"SELECT 1 FROM tenant_authz WHERE tenant = :tenant COLLATE NOCASE "
		"AND identity = :user",
		"SELECT 1 FROM tenant_authz WHERE lower(tenant) = lower(:tenant) "
		"AND identity = :user",
		{ ":tenant", ":user" }, 0, 0 },
	[RG_SQL_STATE] = { "state_query",
		"SELECT enabled FROM users WHERE name = :user",
		"SELECT enabled FROM users WHERE name = :user",
		{ ":user", NULL }, 1, 1 },
	[RG_SQL_SENDER] = { "sender_query",
		"SELECT 1 FROM senders WHERE identity = :user AND address = :address",
		"SELECT 1 FROM senders WHERE identity = :user AND address = :address",
		{ ":user", ":address" }, 0, 0 },
	[RG_SQL_SENDER_OWNER] = { "sender_owner_query",
		"SELECT 1 FROM senders WHERE address = :address",
		"SELECT 1 FROM senders WHERE address = :address",
		{ ":address", NULL }, 0, 0 },
	[RG_SQL_TENANT_DOMAIN] = { "tenant_domain_query",
		"SELECT 1 FROM tenant_domains WHERE tenant = :tenant COLLATE NOCASE "
		"AND domain = :domain",
		"SELECT 1 FROM tenant_domains WHERE lower(tenant) = lower(:tenant) "
		"AND domain = :domain",
		{ ":tenant", ":domain" }, 0, 0 },
	[RG_SQL_TENANT_DOMAINS] = { "tenant_domains_query",
		"SELECT 1 FROM tenant_domains WHERE tenant = :tenant COLLATE NOCASE LIMIT 1",
		"SELECT 1 FROM tenant_domains WHERE lower(tenant) = lower(:tenant) LIMIT 1",
		{ ":tenant", NULL }, 0, 0 },
	[RG_SQL_DOMAIN_TENANT] = { "domain_tenant_query",
		"SELECT DISTINCT lower(tenant) FROM tenant_domains WHERE domain = :domain LIMIT 2",
		"SELECT DISTINCT lower(tenant) FROM tenant_domains WHERE domain = :domain LIMIT 2",
		{ ":domain", NULL }, 1, 1 },
};

void rg_sql_given(const struct rg_store_conf *conf, const char *given[RG_SQL_COUNT])
{
	given[RG_SQL_PASSWORD] = conf->password_query;
	given[RG_SQL_ACT_AS] = conf->act_as_query;
	given[RG_SQL_TENANT] = conf->tenant_query;
	given[RG_SQL_TENANT_AUTHZ] = conf->tenant_authz_query;
	given[RG_SQL_STATE] = conf->state_query;
	given[RG_SQL_SENDER] = conf->sender_query;
	given[RG_SQL_SENDER_OWNER] = conf->sender_owner_query;
	given[RG_SQL_TENANT_DOMAIN] = conf->tenant_domain_query;
	given[RG_SQL_TENANT_DOMAINS] = conf->tenant_domains_query;
	given[RG_SQL_DOMAIN_TENANT] = conf->domain_tenant_query;
}

int rg_sql_choose(const struct rg_store_conf *conf, int dialect, const char *sql_r[RG_SQL_COUNT],
		  bool *custom_r, char *err, size_t errlen)
{
	const char *given[RG_SQL_COUNT];

	rg_sql_given(conf, given);
	*custom_r = false;
	for (int q = 0; q < RG_SQL_COUNT; q++)
		if (given[q] != NULL && given[q][0] != '\0')
			*custom_r = true;
	for (int q = 0; q < RG_SQL_COUNT; q++)
		sql_r[q] = *custom_r ? (given[q] && given[q][0] ? given[q] : NULL) :
			   dialect == 0 ? rg_sql_queries[q].sqlite : rg_sql_queries[q].pgsql;
	if (*custom_r && sql_r[RG_SQL_PASSWORD] == NULL) {
		snprintf(err, errlen, "custom queries need a password_query");
		return -1;
	}
	if ((sql_r[RG_SQL_TENANT] == NULL) != (sql_r[RG_SQL_TENANT_AUTHZ] == NULL)) {
		snprintf(err, errlen, "tenant_query and tenant_authz_query go together");
		return -1;
	}
	return 0;
}

enum rg_lookup rg_sql_tenant_domain(rg_sql_ask_fn ask, void *ctx, const char *const *sql,
				    const char *tenant, const char *domain, bool *allowed_r)
{
	char keys[16][RG_ADDR_MAX];
	size_t nk = rg_tenant_domain_keys(domain, keys, 16);
	enum rg_lookup r = RG_LOOKUP_NOTFOUND;

	*allowed_r = false;
	if (sql[RG_SQL_TENANT] != NULL)
		r = ask(ctx, RG_SQL_TENANT, tenant, NULL);
	if (r != RG_LOOKUP_FOUND)
		return r;
	if (sql[RG_SQL_TENANT_DOMAINS] == NULL) {
		*allowed_r = true;	/* custom queries without domains */
		return r;
	}
	enum rg_lookup any = ask(ctx, RG_SQL_TENANT_DOMAINS, tenant, NULL);
	if (any == RG_LOOKUP_ERROR)
		return RG_LOOKUP_ERROR;
	*allowed_r = any == RG_LOOKUP_NOTFOUND;	/* no domains: any */
	for (size_t k = 0; !*allowed_r && k < nk && sql[RG_SQL_TENANT_DOMAIN] != NULL; k++) {
		enum rg_lookup a = ask(ctx, RG_SQL_TENANT_DOMAIN, tenant, keys[k]);
		if (a == RG_LOOKUP_ERROR) {
			*allowed_r = false;
			return RG_LOOKUP_ERROR;
		}
		*allowed_r = a == RG_LOOKUP_FOUND;
	}
	return r;
}

int rg_sql_domain_tenant_row(int row, const char *tenant, const char *key, char *out, size_t n,
			     char *err, size_t errlen)
{
	if (tenant == NULL)
		tenant = "";
	if (row == 0) {
		snprintf(out, n, "%s", tenant);
		return 0;
	}
	if (strcasecmp(out, tenant) == 0)
		return 0;
	snprintf(err, errlen, "domain entry %s belongs to two tenants (%s and %s)", key, out, tenant);
	return -1;
}

bool rg_sql_text_true(const char *v)
{
	char *end;

	if (v == NULL || *v == '\0')
		return false;
	long long n = strtoll(v, &end, 10);
	if (*end == '\0')
		return n != 0;
	return strcasecmp(v, "yes") == 0 || strcasecmp(v, "y") == 0 ||
	       strcasecmp(v, "true") == 0 || strcasecmp(v, "t") == 0 ||
	       strcasecmp(v, "on") == 0;
}

static bool ident_start(int c) { return isalpha(c) || c == '_'; }
static bool ident_char(int c) { return isalnum(c) || c == '_'; }

/* Past a quoted run that starts at p (at the opening quote); NULL: unterminated. */
static const char *skip_quoted(const char *p, char quote, bool backslash)
{
	for (p++; *p != '\0'; p++) {
		if (backslash && *p == '\\' && p[1] != '\0')
			p++;
		else if (*p == quote && p[1] == quote)
			p++;
		else if (*p == quote)
			return p + 1;
	}
	return NULL;
}

/* $tag$ ... $tag$ starting at p; NULL when p does not start a dollar quote
 * (*bad set when it starts one that never ends). */
static const char *skip_dollar(const char *p, bool *bad)
{
	const char *t = p + 1;

	while (ident_char((unsigned char)*t) && !isdigit((unsigned char)p[1]))
		t++;
	if (*t != '$')
		return NULL;
	size_t taglen = (size_t)(t - p) + 1;
	for (const char *q = t + 1; *q != '\0'; q++)
		if (*q == '$' && strncmp(q, p, taglen) == 0)
			return q + taglen;
	*bad = true;
	return NULL;
}

char *rg_sql_positional(enum rg_sql_q q, const char *sql, char *err, size_t errlen)
{
	const struct rg_sql_query *d = &rg_sql_queries[q];
	size_t cap = strlen(sql) * 2 + 16, n = 0;
	char *out = malloc(cap);
	bool used[2] = { false, false };
	const char *p = sql;

	if (out == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	while (*p != '\0') {
		const char *next = NULL;
		bool bad = false;

		if (*p == '\'') {
			bool esc = p > sql && (p[-1] == 'E' || p[-1] == 'e') &&
				   (p - 1 == sql || !ident_char((unsigned char)p[-2]));
			next = skip_quoted(p, '\'', esc);
			bad = next == NULL;
		} else if (*p == '"') {
			next = skip_quoted(p, '"', false);
			bad = next == NULL;
		} else if (p[0] == '-' && p[1] == '-') {
			next = p + strcspn(p, "\n");
		} else if (p[0] == '/' && p[1] == '*') {
			int depth = 0;	/* PostgreSQL's block comments nest */
			for (next = p; *next != '\0'; next++) {
				if (next[0] == '/' && next[1] == '*') {
					depth++;
					next++;
				} else if (next[0] == '*' && next[1] == '/' && --depth == 0) {
					next += 2;
					break;
				}
			}
			bad = depth != 0;
		} else if (*p == '$' && isdigit((unsigned char)p[1])) {
			snprintf(err, errlen, "%s: use the named parameters (%s%s%s), not $%c",
				 d->key, d->params[0], d->params[1] ? ", " : "",
				 d->params[1] ? d->params[1] : "", p[1]);
			free(out);
			return NULL;
		} else if (*p == '$' && (p == sql || !ident_char((unsigned char)p[-1]))) {
			next = skip_dollar(p, &bad);
		} else if (p[0] == ':' && p[1] == ':') {
			next = p + 2;
		} else if (*p == ':' && ident_start((unsigned char)p[1])) {
			const char *e = p + 1;
			while (ident_char((unsigned char)*e))
				e++;
			int which = -1;
			for (int i = 0; i < 2; i++)
				if (d->params[i] != NULL && strlen(d->params[i]) == (size_t)(e - p) &&
				    strncmp(d->params[i], p, (size_t)(e - p)) == 0)
					which = i;
			if (which < 0) {
				snprintf(err, errlen, "%s uses parameter %.*s; it may use only %s%s%s",
					 d->key, (int)(e - p), p, d->params[0],
					 d->params[1] ? " and " : "", d->params[1] ? d->params[1] : "");
				free(out);
				return NULL;
			}
			used[which] = true;
			n += (size_t)snprintf(out + n, cap - n, "$%d", which + 1);
			p = e;
			continue;
		}
		if (bad) {
			snprintf(err, errlen, "%s: unterminated quote or comment", d->key);
			free(out);
			return NULL;
		}
		if (next == NULL)
			next = p + 1;
		memcpy(out + n, p, (size_t)(next - p));
		n += (size_t)(next - p);
		p = next;
	}
	out[n] = '\0';
	for (int i = 0; i < 2; i++)
		if (d->params[i] != NULL && !used[i]) {
			snprintf(err, errlen, "%s must use the parameter %s", d->key, d->params[i]);
			free(out);
			return NULL;
		}
	return out;
}
