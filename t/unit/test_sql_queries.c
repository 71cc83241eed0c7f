/*
 * test_sql_queries.c — backends/sql_queries.c: the named parameters of the
 * SQL stores' queries rewritten for PostgreSQL ($1, $2) without touching
 * quoted text, comments or casts; what is refused; "enabled" as text.
 */
#include <autoconfig.h>
#include <stdlib.h>
#include <string.h>

#include "sql_queries.h"
#include "t/tap.h"

static char err[256];

/* The rewrite of sql for q, or "ERR: message". */
static const char *rw(enum rg_sql_q q, const char *sql)
{
	static char out[1024];
	char *r = rg_sql_positional(q, sql, err, sizeof(err));

	if (r == NULL)
		snprintf(out, sizeof(out), "ERR: %s", err);
	else
		snprintf(out, sizeof(out), "%s", r);
	free(r);
	return out;
}

static void same(const char *got, const char *want, const char *name)
{
	ok(strcmp(got, want) == 0, "%s", name);
	if (strcmp(got, want) != 0)
		printf("# got:  %s\n# want: %s\n", got, want);
}

int main(void)
{
	same(rw(RG_SQL_PASSWORD, "SELECT password, enabled FROM users WHERE name = :user"),
	     "SELECT password, enabled FROM users WHERE name = $1", ":user becomes $1");
	same(rw(RG_SQL_ACT_AS, "SELECT 1 FROM g WHERE b = :as AND a = :user OR c = :as"),
	     "SELECT 1 FROM g WHERE b = $2 AND a = $1 OR c = $2",
	     "by the query's parameter order (:user $1, :as $2), used twice");
	same(rw(RG_SQL_PASSWORD, "SELECT pw FROM u WHERE n = :user AND note <> ':user' "
		"AND \"odd:user\" = 1"),
	     "SELECT pw FROM u WHERE n = $1 AND note <> ':user' AND \"odd:user\" = 1",
	     "not inside a string literal or a quoted identifier");
	same(rw(RG_SQL_PASSWORD, "SELECT pw::text FROM u WHERE n = :user::text -- :nope\n"),
	     "SELECT pw::text FROM u WHERE n = $1::text -- :nope\n",
	     ":: casts kept; a comment to the end of the line untouched");
	same(rw(RG_SQL_PASSWORD, "SELECT /* :a /* :b */ :c */ pw FROM u WHERE n = :user"),
	     "SELECT /* :a /* :b */ :c */ pw FROM u WHERE n = $1", "nested block comments untouched");
	same(rw(RG_SQL_PASSWORD, "SELECT $q$:x$q$, pw FROM u WHERE n = :user AND e = E'\\':y'"),
	     "SELECT $q$:x$q$, pw FROM u WHERE n = $1 AND e = E'\\':y'",
	     "dollar-quoted and E'' strings (with a backslash-escaped quote) untouched");
	same(rw(RG_SQL_PASSWORD, "SELECT pw FROM u WHERE n = 'it''s :user' OR n = :user"),
	     "SELECT pw FROM u WHERE n = 'it''s :user' OR n = $1", "a doubled quote stays inside");
	same(rw(RG_SQL_PASSWORD, "SELECT pw FROM u WHERE n = :user OR n = :tenant"),
	     "ERR: password_query uses parameter :tenant; it may use only :user",
	     "a parameter the query does not take is refused");
	same(rw(RG_SQL_TENANT_AUTHZ, "SELECT 1 FROM t WHERE tenant = :tenant"),
	     "ERR: tenant_authz_query must use the parameter :user", "a missing one is refused");
	same(rw(RG_SQL_PASSWORD, "SELECT pw FROM u WHERE n = $1"),
	     "ERR: password_query: use the named parameters (:user), not $1",
	     "a hand-written $1 is refused");
	same(rw(RG_SQL_PASSWORD, "SELECT pw FROM u WHERE n = :user AND x = 'open"),
	     "ERR: password_query: unterminated quote or comment", "an unterminated quote is refused");
	same(rw(RG_SQL_SENDER, "SELECT 1 FROM s WHERE identity = :user AND address = :address"),
	     "SELECT 1 FROM s WHERE identity = $1 AND address = $2", "sender_query");
	for (int q = 0; q < RG_SQL_COUNT; q++) {
		char *r = rg_sql_positional(q, rg_sql_queries[q].pgsql, err, sizeof(err));
		ok(r != NULL && strchr(r, ':') == NULL, "default %s has no named parameter left", rg_sql_queries[q].key);
		free(r);
	}

	ok(rg_sql_text_true("1") && rg_sql_text_true("t") && rg_sql_text_true("TRUE") &&
	   rg_sql_text_true("yes") && rg_sql_text_true("on") && rg_sql_text_true("2"),
	   "enabled: 1, t (PostgreSQL's boolean), true, yes, on, 2");
	ok(!rg_sql_text_true("0") && !rg_sql_text_true("f") && !rg_sql_text_true("") &&
	   !rg_sql_text_true(NULL) && !rg_sql_text_true("no") && !rg_sql_text_true("enabled") &&
	   !rg_sql_text_true("1x"), "disabled: 0, f, empty, NULL, no, anything else (fail closed)");
	return done_testing();
}
