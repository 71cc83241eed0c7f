/* test_store_sqlite.c — the SQLite store against real database files:
 * default schema, custom queries, a locked, corrupt, replaced and deleted database. */
#include <autoconfig.h>
#include "t/tap.h"
#include "store_testlib.h"
#include "log.h"
#include "sqlite_schema.h"
#include "stats.h"

#include <sqlite3.h>

static const char *data =
	"INSERT INTO users VALUES('alice', '$6$salt$alicehash', 1);"
	"INSERT INTO users VALUES('carol', '$6$salt$carolhash', 0);"
	"INSERT INTO users VALUES('ytext', '$6$salt$y', 'yes');"
	"INSERT INTO act_as VALUES('alice', 'sales');"
	"INSERT INTO tenants VALUES('acme');"
	"INSERT INTO tenants VALUES('empty');"
	"INSERT INTO tenant_authz VALUES('acme', 'alice');";

static void db_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	char *err = NULL;
	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		printf("Bail out! %s: %s\n", path, err ? err : sqlite3_errmsg(db));
		exit(1);
	}
	sqlite3_close(db);
}

static void make_db(const char *path, const char *extra)
{
	unlink(path);
	db_exec(path, rg_sqlite_schema_sql);	/* relayguardctl db init's schema */
	db_exec(path, data);
	if (extra != NULL)
		db_exec(path, extra);
}

static void test_default_schema(struct tl_config *t, const char *path)
{
	char pw[256], *oerr = NULL;
	bool enabled, allowed;
	const char *err;

	make_db(path, NULL);
	struct rg_store_conf *c = tl_add_store(t, RG_STORE_SQLITE, path);
	struct rg_store *st = tl_open(t, c, &oerr);
	ok(st != NULL, "sqlite: opens the default schema");
	if (st == NULL) {
		diag("%s", oerr);
		exit(1);
	}
	is_int(tl_lookup(st, "alice", pw, sizeof(pw), &enabled, &err), RG_LOOKUP_FOUND,
	       "sqlite: alice found");
	is_str(pw, "$6$salt$alicehash", "sqlite: alice's hash");
	ok(enabled, "sqlite: alice enabled");
	tl_lookup(st, "carol", NULL, 0, &enabled, &err);
	ok(!enabled, "sqlite: enabled=0 is disabled");
	tl_lookup(st, "ytext", NULL, 0, &enabled, &err);
	ok(enabled, "sqlite: enabled='yes' is enabled");
	is_int(tl_lookup(st, "mallory", NULL, 0, NULL, &err), RG_LOOKUP_NOTFOUND,
	       "sqlite: unknown user not found");
	is_int(tl_lookup(st, "x' OR '1'='1", NULL, 0, NULL, &err), RG_LOOKUP_NOTFOUND,
	       "sqlite: names are bound parameters, not SQL");
	is_int(st->ops->may_act_as(st, "alice", "sales", &err), RG_LOOKUP_FOUND,
	       "sqlite: alice may act as sales");
	is_int(st->ops->may_act_as(st, "alice", "bob", &err), RG_LOOKUP_NOTFOUND,
	       "sqlite: alice may not act as bob");
	is_int(st->ops->tenant_authz(st, "acme", "alice", &allowed, &err), RG_LOOKUP_FOUND,
	       "sqlite: tenant acme known");
	ok(allowed, "sqlite: alice may use acme");
	is_int(st->ops->tenant_authz(st, "ACME", "alice", &allowed, &err), RG_LOOKUP_FOUND,
	       "sqlite: tenant names are case-insensitive");
	ok(allowed, "sqlite: alice may use ACME");
	allowed = true;
	st->ops->tenant_authz(st, "acme", "carol", &allowed, &err);
	ok(!allowed, "sqlite: carol may not use acme");
	allowed = true;
	is_int(st->ops->tenant_authz(st, "empty", "alice", &allowed, &err), RG_LOOKUP_FOUND,
	       "sqlite: tenant without grants is known");
	ok(!allowed, "sqlite: ... and closed: nobody may use it");
	is_int(st->ops->tenant_authz(st, "nope", "alice", &allowed, &err), RG_LOOKUP_NOTFOUND,
	       "sqlite: unknown tenant not found");

	/* lookups end their read transactions: a writer gets an exclusive lock at
	 * once (no busy wait), after every kind of lookup */
	{
		sqlite3 *w = NULL;
		sqlite3_open(path, &w);
		sqlite3_busy_timeout(w, 0);
		is_int(sqlite3_exec(w, "BEGIN EXCLUSIVE; COMMIT;", NULL, NULL, NULL), SQLITE_OK,
		       "sqlite: no read lock left behind by user and tenant lookups");
		st->ops->tenant_authz(st, "acme", "alice", &allowed, &err);
		is_int(sqlite3_exec(w, "BEGIN EXCLUSIVE; COMMIT;", NULL, NULL, NULL), SQLITE_OK,
		       "sqlite: no read lock left behind by a granted tenant lookup");
		sqlite3_close(w);
	}

	/* a write through another connection is seen at once */
	db_exec(path, "INSERT INTO users VALUES('dave', '$6$salt$dave', 1);"
		"UPDATE users SET enabled = 0 WHERE name = 'alice';");
	is_int(tl_lookup(st, "dave", NULL, 0, NULL, &err), RG_LOOKUP_FOUND,
	       "sqlite: user added by another connection is seen at once");
	tl_lookup(st, "alice", NULL, 0, &enabled, &err);
	ok(!enabled, "sqlite: disabling by another connection is seen at once");

	rg_store_close(st);
}

static void test_locked(struct tl_config *t, const char *path)
{
	char *oerr = NULL;
	const char *err = NULL;
	bool allowed = true;
	sqlite3 *locker = NULL;

	make_db(path, NULL);
	struct rg_store_conf *c = tl_add_store(t, RG_STORE_SQLITE, path);
	c->busy_timeout_ms = 150;
	struct rg_store *st = tl_open(t, c, &oerr);
	ok(st != NULL, "locked: store opens");
	if (st == NULL)
		exit(1);
	/* a second connection holds an exclusive lock (as a writer mid-transaction does) */
	sqlite3_open(path, &locker);
	is_int(sqlite3_exec(locker, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK,
	       "locked: another connection holds BEGIN EXCLUSIVE");
	double t0 = tl_now();
	is_int(tl_lookup(st, "alice", NULL, 0, NULL, &err), RG_LOOKUP_ERROR,
	       "locked: lookup → ERROR (tempfail), not found/notfound");
	double dt = tl_now() - t0;
	ok(dt >= 0.1 && dt < 5.0, "locked: the busy timeout was waited (%.3f s)", dt);
	ok(tl_contains(err, "locked"), "locked: error says the database is locked (%s)",
	   err ? err : "");
	is_int(tl_lookup(st, "mallory", NULL, 0, NULL, &err), RG_LOOKUP_ERROR,
	       "locked: an unknown user is ERROR too, never NOTFOUND");
	is_int(st->ops->may_act_as(st, "alice", "sales", &err), RG_LOOKUP_ERROR,
	       "locked: act-as → ERROR");
	is_int(st->ops->tenant_authz(st, "acme", "alice", &allowed, &err), RG_LOOKUP_ERROR,
	       "locked: tenant → ERROR");
	ok(!allowed, "locked: tenant not allowed on error");
	sqlite3_exec(locker, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(locker);
	is_int(tl_lookup(st, "alice", NULL, 0, NULL, &err), RG_LOOKUP_FOUND,
	       "locked: lock released → found again");
	rg_store_close(st);

	/* locked while the store opens (daemon start during a relayguardctl write) */
	sqlite3_open(path, &locker);
	sqlite3_exec(locker, "BEGIN EXCLUSIVE", NULL, NULL, NULL);
	st = tl_open(t, c, &oerr);
	ok(st != NULL, "locked at open: the store still opens (%s)", oerr ? oerr : "");
	free(oerr);
	if (st == NULL)
		exit(1);
	is_int(tl_lookup(st, "alice", NULL, 0, NULL, &err), RG_LOOKUP_ERROR,
	       "locked at open: lookup → ERROR while locked");
	sqlite3_exec(locker, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(locker);
	is_int(tl_lookup(st, "alice", NULL, 0, NULL, &err), RG_LOOKUP_FOUND,
	       "locked at open: found once the lock is gone");
	rg_store_close(st);
}

static void test_corrupt_and_missing(struct tl_config *t, const char *path)
{
	char *oerr = NULL;
	const char *err = NULL;
	struct rg_store_conf *c = tl_add_store(t, RG_STORE_SQLITE, path);

	/* missing at open: refuse, and do not create it */
	unlink(path);
	struct rg_store *st = tl_open(t, c, &oerr);
	ok(st == NULL && tl_contains(oerr, "No such file"), "missing: open refused (%s)",
	   oerr ? oerr : "opened");
	free(oerr);
	ok(access(path, F_OK) != 0, "missing: the store did not create the file");

	/* garbage bytes at open */
	char garbage[8192];
	for (size_t i = 0; i < sizeof(garbage); i++)
		garbage[i] = (char)(i * 7 + 3);
	garbage[sizeof(garbage) - 1] = '\0';
	tl_write(path, garbage);
	st = tl_open(t, c, &oerr);
	ok(st == NULL && tl_contains(oerr, "corrupt"), "corrupt: garbage file refused at open (%s)",
	   oerr ? oerr : "opened");
	free(oerr);
	rg_store_close(st);

	/* an empty schema: clear error pointing at db init */
	unlink(path);
	db_exec(path, "CREATE TABLE other(x);");
	st = tl_open(t, c, &oerr);
	ok(st == NULL && tl_contains(oerr, "db init"), "no schema: error points at db init (%s)",
	   oerr ? oerr : "opened");
	free(oerr);

	/* corrupted while open: overwrite the header in place */
	make_db(path, NULL);
	st = tl_open(t, c, &oerr);
	ok(st != NULL, "corrupt later: opens first");
	if (st == NULL)
		exit(1);
	is_int(tl_lookup(st, "alice", NULL, 0, NULL, &err), RG_LOOKUP_FOUND, "corrupt later: found");
	int fd = open(path, O_WRONLY);
	ok(fd >= 0 && pwrite(fd, garbage, 100, 0) == 100, "corrupt later: header overwritten");
	close(fd);
	enum rg_lookup r = tl_lookup(st, "alice", NULL, 0, NULL, &err);
	is_int(r, RG_LOOKUP_ERROR, "corrupt later: lookup → ERROR (%s)", err ? err : "");
	is_int(tl_lookup(st, "mallory", NULL, 0, NULL, &err), RG_LOOKUP_ERROR,
	       "corrupt later: unknown user → ERROR, not NOTFOUND");
	rg_store_close(st);

	/* truncated: half the file */
	make_db(path, "INSERT INTO users SELECT 'u' || value, '$6$x$y', 1 FROM "
		"(WITH RECURSIVE c(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM c "
		"WHERE value < 2000) SELECT value FROM c);");
	struct stat sb;
	stat(path, &sb);
	ok(truncate(path, sb.st_size / 2) == 0, "truncated: file cut to %lld bytes",
	   (long long)sb.st_size / 2);
	st = tl_open(t, c, &oerr);
	if (st == NULL) {
		ok(oerr != NULL, "truncated: refused at open (%s)", oerr);
		free(oerr);
	} else {
		int bad = 0;
		char name[32];
		for (int i = 1; i <= 2000; i++) {
			snprintf(name, sizeof(name), "u%d", i);
			r = tl_lookup(st, name, NULL, 0, NULL, &err);
			if (r == RG_LOOKUP_NOTFOUND)
				bad++;
		}
		r = tl_lookup(st, "u1999", NULL, 0, NULL, &err);
		ok(bad == 0 && r == RG_LOOKUP_ERROR,
		   "truncated: users beyond the cut → ERROR, none NOTFOUND (%d NOTFOUND)", bad);
		rg_store_close(st);
	}
}

static void test_replaced_and_deleted(struct tl_config *t, const char *path, const char *path2)
{
	char *oerr = NULL, pw[256];
	const char *err = NULL;

	make_db(path, NULL);
	struct rg_store_conf *c = tl_add_store(t, RG_STORE_SQLITE, path);
	struct rg_store *st = tl_open(t, c, &oerr);
	ok(st != NULL, "replace: opens");
	if (st == NULL)
		exit(1);
	make_db(path2, "UPDATE users SET password = '$6$salt$replaced' WHERE name = 'alice';");
	ok(rename(path2, path) == 0, "replace: a new file renamed over the old one");
	tl_lookup(st, "alice", pw, sizeof(pw), NULL, &err);
	is_str(pw, "$6$salt$replaced", "replace: lookups read the new file");
	unlink(path);
	is_int(tl_lookup(st, "alice", NULL, 0, NULL, &err), RG_LOOKUP_ERROR,
	       "deleted while open: ERROR (SQLite would read the unlinked file)");
	ok(tl_contains(err, "gone"), "deleted while open: error says so (%s)", err ? err : "");
	make_db(path, NULL);
	is_int(tl_lookup(st, "alice", NULL, 0, NULL, &err), RG_LOOKUP_FOUND,
	       "deleted, then recreated: found again");
	rg_store_close(st);
}

static void expect_custom_error(struct tl_config *t, const char *path, const char *pq,
				const char *aq, const char *tq, const char *taq,
				const char *needle, const char *what)
{
	char *oerr = NULL;
	struct rg_store_conf *c = tl_add_store(t, RG_STORE_SQLITE, path);
	c->password_query = (char *)pq;
	c->act_as_query = (char *)aq;
	c->tenant_query = (char *)tq;
	c->tenant_authz_query = (char *)taq;
	struct rg_store *st = tl_open(t, c, &oerr);
	ok(st == NULL && tl_contains(oerr, needle), "custom: %s (%s)", what, oerr ? oerr : "opened");
	rg_store_close(st);
	free(oerr);
	t->cfg.n_stores--;
}

static void test_custom(struct tl_config *t, const char *path)
{
	char pw[256], *oerr = NULL;
	bool enabled, allowed;
	const char *err;

	unlink(path);
	db_exec(path, "CREATE TABLE auth(login TEXT, pass TEXT, active TEXT);"
		"INSERT INTO auth VALUES('alice', '{SSHA256}abc', 'yes');"
		"INSERT INTO auth VALUES('bob', '{SSHA256}def', 'no');"
		"INSERT INTO auth VALUES('twin', 'a', 'yes'); INSERT INTO auth VALUES('twin', 'b', 'yes');"
		"CREATE TABLE proxy(who TEXT, target TEXT); INSERT INTO proxy VALUES('alice', 'shop');"
		"CREATE TABLE orgs(id TEXT, member TEXT); INSERT INTO orgs VALUES('blue', 'bob');");
	struct rg_store_conf *c = tl_add_store(t, RG_STORE_SQLITE, path);
	c->password_query = "SELECT pass, active FROM auth WHERE login = :user";
	c->act_as_query = "SELECT 1 FROM proxy WHERE who = :user AND target = :as";
	c->tenant_query = "SELECT 1 FROM orgs WHERE id = :tenant";
	c->tenant_authz_query = "SELECT 1 FROM orgs WHERE id = :tenant AND member = :user";
	struct rg_store *st = tl_open(t, c, &oerr);
	ok(st != NULL, "custom: opens with admin queries");
	if (st == NULL) {
		diag("%s", oerr);
		exit(1);
	}
	is_int(tl_lookup(st, "alice", pw, sizeof(pw), &enabled, &err), RG_LOOKUP_FOUND,
	       "custom: alice found");
	is_str(pw, "{SSHA256}abc", "custom: alice's hash");
	ok(enabled, "custom: active='yes' enabled");
	tl_lookup(st, "bob", NULL, 0, &enabled, &err);
	ok(!enabled, "custom: active='no' disabled");
	is_int(tl_lookup(st, "twin", NULL, 0, NULL, &err), RG_LOOKUP_ERROR,
	       "custom: two rows for one user → ERROR (ambiguous)");
	is_int(st->ops->may_act_as(st, "alice", "shop", &err), RG_LOOKUP_FOUND,
	       "custom: act_as_query grants");
	is_int(st->ops->may_act_as(st, "bob", "shop", &err), RG_LOOKUP_NOTFOUND,
	       "custom: act_as_query refuses");
	is_int(st->ops->tenant_authz(st, "blue", "bob", &allowed, &err), RG_LOOKUP_FOUND,
	       "custom: tenant_query knows blue");
	ok(allowed, "custom: bob may use blue");
	st->ops->tenant_authz(st, "blue", "alice", &allowed, &err);
	ok(!allowed, "custom: alice may not use blue");
	rg_store_close(st);

	/* password_query only: act-as and tenants are off */
	c = tl_add_store(t, RG_STORE_SQLITE, path);
	c->password_query = "SELECT pass FROM auth WHERE login = :user";
	st = tl_open(t, c, &oerr);
	ok(st != NULL, "custom: password_query alone opens (one column: enabled)");
	if (st != NULL) {
		tl_lookup(st, "bob", NULL, 0, &enabled, &err);
		ok(enabled, "custom: one-column query means enabled");
		is_int(st->ops->may_act_as(st, "alice", "shop", &err), RG_LOOKUP_NOTFOUND,
		       "custom: no act_as_query → no grants");
		is_int(st->ops->tenant_authz(st, "blue", "bob", &allowed, &err), RG_LOOKUP_NOTFOUND,
		       "custom: no tenant_query → no tenants");
		rg_store_close(st);
	}

	expect_custom_error(t, path, "SELECT pass FROM auth WHERE login = :login", NULL, NULL, NULL,
			    ":login", "unknown parameter named in the error");
	expect_custom_error(t, path, "SELECT pass FROM auth WHERE login = ?", NULL, NULL, NULL,
			    "nameless", "positional parameter refused");
	expect_custom_error(t, path, "SELECT pass FROM auth", NULL, NULL, NULL,
			    "must use the parameter :user", "query without :user refused");
	expect_custom_error(t, path, "SELECT pass FROM nosuch WHERE login = :user", NULL, NULL, NULL,
			    "no such table", "query that does not compile refused");
	expect_custom_error(t, path, "DELETE FROM auth WHERE login = :user", NULL, NULL, NULL,
			    "read-only", "writing query refused");
	expect_custom_error(t, path, "SELECT pass FROM auth WHERE login = :user; DELETE FROM auth",
			    NULL, NULL, NULL, "one SQL statement", "two statements refused");
	expect_custom_error(t, path, "SELECT pass, active, login FROM auth WHERE login = :user",
			    NULL, NULL, NULL, "1 or 2 columns", "three columns refused");
	expect_custom_error(t, path, "SELECT pass FROM auth WHERE login = :user",
			    "SELECT 1 FROM proxy WHERE who = :user AND target = :tenant", NULL, NULL,
			    ":tenant", "act_as_query with :tenant refused");
	expect_custom_error(t, path, "SELECT pass FROM auth WHERE login = :user", NULL,
			    "SELECT 1 FROM orgs WHERE id = :tenant", NULL,
			    "go together", "tenant_query without tenant_authz_query refused");
	expect_custom_error(t, path, NULL, "SELECT 1 FROM proxy WHERE who = :user AND target = :as",
			    NULL, NULL, "password_query", "custom queries without password_query");
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	sqlite3_open(path, &db);
	sqlite3_prepare_v2(db, "SELECT count(*) FROM auth", -1, &s, NULL);
	sqlite3_step(s);
	is_int(sqlite3_column_int(s, 0), 4, "custom: the DELETE query was never run");
	sqlite3_finalize(s);
	sqlite3_close(db);
}

/* The state lookup (the milter's identity checks) reads no password: proven with
 * queries and a column that fail the moment the password is read.  abs() of the
 * smallest integer is an SQLite runtime error ("integer overflow"). */
static void test_state_lookup(struct tl_config *t, const char *path, const char *path2)
{
	char *oerr = NULL;
	bool enabled = true;
	const char *err = NULL;

	/* default schema, except that reading users.password fails: a deliberately
	 * hostile table, not relayguardctl db init's schema */
	unlink(path);
	db_exec(path, "CREATE TABLE u(name TEXT PRIMARY KEY, enabled INTEGER);"
		"CREATE VIEW users AS SELECT name, enabled,"
		" abs(-9223372036854775807 - 1 + 0 * length(name)) AS password FROM u;"
		"CREATE TABLE act_as(identity TEXT, as_identity TEXT);"
		"CREATE TABLE tenants(name TEXT PRIMARY KEY);"
		"CREATE TABLE tenant_authz(tenant TEXT, identity TEXT);"
		"INSERT INTO u(name, enabled) VALUES('alice', 1), ('carol', 0);"
		"INSERT INTO act_as VALUES('alice', 'sales');");
	struct rg_store_conf *c = tl_add_store(t, RG_STORE_SQLITE, path);
	struct rg_store *st = tl_open(t, c, &oerr);
	ok(st != NULL, "state: opens (%s)", oerr ? oerr : "ok");
	if (st == NULL)
		exit(1);
	t->opened[0] = st;
	is_int(tl_lookup(st, "alice", NULL, 0, NULL, &err), RG_LOOKUP_ERROR,
	       "state: the trap works: a password lookup fails (%s)", err ? err : "");
	is_int(st->ops->lookup_state(st, "alice", &enabled, &err), RG_LOOKUP_FOUND,
	       "state: alice found without reading a password");
	ok(enabled, "state: alice enabled");
	is_int(st->ops->lookup_state(st, "carol", &enabled, &err), RG_LOOKUP_FOUND, "state: carol found");
	ok(!enabled, "state: carol disabled");
	is_int(st->ops->lookup_state(st, "nobody", &enabled, &err), RG_LOOKUP_NOTFOUND,
	       "state: an unknown user: NOTFOUND");
	bool disabled = false;
	is_int(rg_stores_user_enabled(&t->cfg, "alice", &disabled, &err), RG_LOOKUP_FOUND,
	       "state: the chain's user_enabled (the milter's check) reads no password");
	is_int(rg_stores_user_enabled(&t->cfg, "carol", &disabled, &err), RG_LOOKUP_NOTFOUND,
	       "state: ... and says carol is not enabled");
	ok(disabled, "state: ... because she is disabled");
	is_int(rg_stores_may_act_as(&t->cfg, "alice", "sales", &err), RG_LOOKUP_FOUND,
	       "state: act-as finds the deciding store without reading the password");
	rg_store_close(st);
	t->opened[0] = NULL;
	t->cfg.n_stores = 0;

	/* custom queries: a state_query answers; the failing password_query is not run */
	unlink(path2);
	db_exec(path2, "CREATE TABLE auth(login TEXT, pass TEXT, active TEXT);"
		"INSERT INTO auth VALUES('alice', 'x', 'yes'), ('bob', 'y', 'no');");
	c = tl_add_store(t, RG_STORE_SQLITE, path2);
	c->password_query = "SELECT abs(-9223372036854775807 - 1 + 0 * length(pass)), active "
			    "FROM auth WHERE login = :user";
	c->state_query = "SELECT active FROM auth WHERE login = :user";
	st = tl_open(t, c, &oerr);
	ok(st != NULL, "state, custom: opens with a state_query");
	if (st == NULL)
		exit(1);
	is_int(tl_lookup(st, "alice", NULL, 0, NULL, &err), RG_LOOKUP_ERROR,
	       "state, custom: the password_query fails when run");
	is_int(st->ops->lookup_state(st, "alice", &enabled, &err), RG_LOOKUP_FOUND,
	       "state, custom: state_query answers without it");
	ok(enabled, "state, custom: alice active");
	is_int(st->ops->lookup_state(st, "bob", &enabled, &err), RG_LOOKUP_FOUND, "state, custom: bob");
	ok(!enabled, "state, custom: bob not active");
	rg_store_close(st);
	t->cfg.n_stores = 0;

	/* custom queries without state_query: the password query answers, as before */
	c = tl_add_store(t, RG_STORE_SQLITE, path2);
	c->password_query = "SELECT pass, active FROM auth WHERE login = :user";
	st = tl_open(t, c, &oerr);
	is_int(st ? st->ops->lookup_state(st, "alice", &enabled, &err) : -9, RG_LOOKUP_FOUND,
	       "state, custom without state_query: found through password_query");
	ok(enabled, "state, custom without state_query: enabled");
	rg_store_close(st);
	t->cfg.n_stores = 0;

	c = tl_add_store(t, RG_STORE_SQLITE, path2);
	c->password_query = "SELECT pass, active FROM auth WHERE login = :user";
	c->state_query = "SELECT active, pass FROM auth WHERE login = :user";
	st = tl_open(t, c, &oerr);
	ok(st == NULL && tl_contains(oerr, "state_query must return one column"),
	   "state_query returning two columns is refused (%s)", oerr ? oerr : "opened");
	free(oerr);
	t->cfg.n_stores = 0;
}

/* The memo (answers while the file has not changed) never outlives a commit:
 * every write is seen by the very next lookup, hundreds of times over, for the
 * identity state, act-as grants and tenant grants; WAL mode and a file
 * overwritten in place do not fool it; and it does answer repeated lookups. */
static void test_memo(struct tl_config *t, const char *path, const char *copy)
{
	char *oerr = NULL;
	const char *err;
	bool enabled, allowed;
	sqlite3 *w = NULL;

	make_db(path, NULL);
	struct rg_store_conf *c = tl_add_store(t, RG_STORE_SQLITE, path);
	struct rg_store *st = tl_open(t, c, &oerr);
	ok(st != NULL, "memo: opens");
	if (st == NULL)
		exit(1);
	sqlite3_open(path, &w);
	sqlite3_busy_timeout(w, 2000);

	int64_t hits0 = rg_stats_get("store.memo_hit");
	for (int i = 0; i < 5; i++)
		st->ops->lookup_state(st, "alice", &enabled, &err);
	ok(rg_stats_get("store.memo_hit") - hits0 >= 4,
	   "memo: repeated state lookups of an unchanged file are answered from memory (%lld hits)",
	   (long long)(rg_stats_get("store.memo_hit") - hits0));

	/* One decision (store.h), one look at the file: its questions after the
	 * first take that look; a commit made meanwhile is seen by the next
	 * decision, and by any question outside one. */
	st->ops->tenant_authz(st, "acme", "alice", &allowed, &err);	/* remembered */
	rg_store_decision_begin();
	st->ops->lookup_state(st, "alice", &enabled, &err);
	ok(enabled, "decision: alice enabled at its first question");
	sqlite3_exec(w, "UPDATE users SET enabled = 0 WHERE name = 'alice'", NULL, NULL, NULL);
	int64_t dh = rg_stats_get("store.memo_hit");
	allowed = false;
	st->ops->tenant_authz(st, "acme", "alice", &allowed, &err);
	ok(allowed && rg_stats_get("store.memo_hit") - dh == 1,
	   "decision: a later question of the same decision answers from the look it began with");
	rg_store_decision_end();
	rg_store_decision_begin();
	enabled = true;
	st->ops->lookup_state(st, "alice", &enabled, &err);
	ok(!enabled, "decision: the next decision sees the commit");
	rg_store_decision_end();
	sqlite3_exec(w, "UPDATE users SET enabled = 1 WHERE name = 'alice'", NULL, NULL, NULL);
	rg_store_decision_begin();
	rg_store_decision_begin();	/* nested: the outermost counts */
	st->ops->lookup_state(st, "alice", &enabled, &err);
	rg_store_decision_end();
	sqlite3_exec(w, "UPDATE users SET enabled = 0 WHERE name = 'alice'", NULL, NULL, NULL);
	enabled = false;
	st->ops->lookup_state(st, "alice", &enabled, &err);
	ok(enabled, "decision: an inner end does not end the decision");
	rg_store_decision_end();
	enabled = true;
	st->ops->lookup_state(st, "alice", &enabled, &err);
	ok(!enabled, "decision: outside a decision every question looks again");
	sqlite3_exec(w, "UPDATE users SET enabled = 1 WHERE name = 'alice'", NULL, NULL, NULL);

	int stale = 0;
	for (int i = 0; i < 300; i++) {
		bool want = i % 2 == 1;
		char sql[160];
		snprintf(sql, sizeof(sql), "UPDATE users SET enabled = %d WHERE name = 'alice'", want);
		sqlite3_exec(w, sql, NULL, NULL, NULL);
		enabled = !want;
		if (st->ops->lookup_state(st, "alice", &enabled, &err) != RG_LOOKUP_FOUND || enabled != want)
			stale++;
		st->ops->lookup_state(st, "alice", &enabled, &err);	/* a hit now */
		if (enabled != want)
			stale++;
	}
	is_int(stale, 0, "memo: 300 enable/disable commits, each seen by the next lookup");

	stale = 0;
	for (int i = 0; i < 200; i++) {
		bool grant = i % 2 == 0;
		sqlite3_exec(w, grant ? "INSERT INTO tenant_authz VALUES('acme', 'bob')"
				      : "DELETE FROM tenant_authz WHERE identity = 'bob'", NULL, NULL, NULL);
		allowed = !grant;
		st->ops->tenant_authz(st, "acme", "bob", &allowed, &err);
		if (allowed != grant)
			stale++;
		sqlite3_exec(w, grant ? "INSERT INTO act_as VALUES('bob', 'sales')"
				      : "DELETE FROM act_as WHERE identity = 'bob'", NULL, NULL, NULL);
		enum rg_lookup r = st->ops->may_act_as(st, "bob", "sales", &err);
		if ((r == RG_LOOKUP_FOUND) != grant)
			stale++;
	}
	is_int(stale, 0, "memo: 200 tenant grant and act-as grant/revoke commits, each seen at once");

	/* WAL: no change counter to trust; answers stay exact */
	sqlite3_exec(w, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
	stale = 0;
	for (int i = 0; i < 50; i++) {
		bool want = i % 2 == 1;
		sqlite3_exec(w, want ? "UPDATE users SET enabled = 1 WHERE name = 'alice'"
				     : "UPDATE users SET enabled = 0 WHERE name = 'alice'", NULL, NULL, NULL);
		st->ops->lookup_state(st, "alice", &enabled, &err);
		if (enabled != want)
			stale++;
	}
	is_int(stale, 0, "memo: in WAL mode every change is seen too");
	rg_store_close(st);	/* leaving WAL needs the only connection */
	sqlite3_exec(w, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL);
	sqlite3_close(w);
	st = tl_open(t, c, &oerr);
	ok(st != NULL, "memo: reopened in rollback-journal mode");
	if (st == NULL)
		exit(1);

	/* a copy written over the file in place (same inode) */
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", path, copy);
	ok(system(cmd) == 0, "memo: copy made");
	db_exec(copy, "UPDATE users SET enabled = 0 WHERE name = 'carol'; "
		      "UPDATE users SET enabled = 1 WHERE name = 'alice'");
	db_exec(path, "UPDATE users SET enabled = 1 WHERE name = 'carol'");
	st->ops->lookup_state(st, "carol", &enabled, &err);
	ok(enabled, "memo: carol enabled before the overwrite");
	st->ops->lookup_state(st, "carol", &enabled, &err);
	snprintf(cmd, sizeof(cmd), "cat '%s' > '%s'", copy, path);
	ok(system(cmd) == 0, "memo: the copy written over the file in place");
	int64_t h1 = rg_stats_get("store.memo_hit");
	enum rg_lookup lr = st->ops->lookup_state(st, "carol", &enabled, &err);
	is_int(rg_stats_get("store.memo_hit") - h1, 0, "memo: no memo answer after the overwrite");
	ok(lr == RG_LOOKUP_FOUND && !enabled, "memo: the overwritten file's answer (carol disabled) is seen at once (r=%d %s)", lr, lr < 0 ? err : "");
	rg_store_close(st);
	t->cfg.n_stores = 0;
}

int main(void)
{
	rg_log_stderr_only();
	tl_mkdir("test_store_sqlite");
	struct tl_config *t = tl_config_new();
	test_default_schema(t, tl_path("auth.db"));
	t->cfg.n_stores = 0;
	test_locked(t, tl_path("locked.db"));
	t->cfg.n_stores = 0;
	test_corrupt_and_missing(t, tl_path("corrupt.db"));
	t->cfg.n_stores = 0;
	test_replaced_and_deleted(t, tl_path("replace.db"), tl_path("replace-new.db"));
	t->cfg.n_stores = 0;
	test_custom(t, tl_path("custom.db"));
	t->cfg.n_stores = 0;
	test_state_lookup(t, tl_path("state.db"), tl_path("state-custom.db"));
	t->cfg.n_stores = 0;
	test_memo(t, tl_path("memo.db"), tl_path("memo-copy.db"));
	free(t);
	return done_testing();
}
