/* test_store_chain.c — the chain in store.c: order, fail-closed errors, verify results,
 * act-as and tenant decisions, over real static / passwd-file / SQLite stores. */
#include <autoconfig.h>
#include "t/tap.h"
#include "store_testlib.h"
#include "log.h"
#include "pwscheme.h"
#include "stats.h"
#include "sqlite_schema.h"

#include <sqlite3.h>

static struct rg_pw_params params;

static char *hash(const char *pw)
{
	const char *err = NULL;
	char *h = rg_pwscheme_hash(pw, strlen(pw), &params, &err);
	if (h == NULL) {
		printf("Bail out! hash: %s\n", err ? err : "?");
		exit(1);
	}
	return h;
}

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

static enum rg_verify verify(struct tl_config *t, const char *user, const char *pw,
			     const struct rg_store **st)
{
	const char *err = NULL;
	return rg_stores_verify(&t->cfg, user, pw, strlen(pw), st, &err);
}

int main(void)
{
	rg_log_stderr_only();
	tl_mkdir("test_store_chain");
	struct tl_config *t = tl_config_new();
	/* cheap Argon2id so the test runs fast; the chain does not care about cost */
	t->cfg.passwords.argon2_memory_kib = 64;
	t->cfg.passwords.argon2_iterations = 1;
	rg_pw_params_default(&params);
	params.argon2_memory_kib = 64;
	params.argon2_iterations = 1;

	/* store 1: static — alice (act as sales), carol disabled */
	struct rg_static_user users[2];
	char *alice_as[] = { "sales" };
	users[0] = (struct rg_static_user){ "alice", hash("alice-static"), true, alice_as, 1, NULL, 0, 1 };
	users[1] = (struct rg_static_user){ "carol", hash("carol-pw"), false, NULL, 0, NULL, 0, 2 };
	struct rg_store_conf *c = tl_add_store(t, RG_STORE_STATIC, NULL);
	c->users = users;
	c->n_users = 2;

	/* store 2: passwd-file — alice again (shadowed), broken (bad hash), brokenoff */
	const char *pf = tl_path("users");
	char text[2048];
	char *alice_pf = hash("alice-pf"), *frank_pf = hash("frank-pw");
	snprintf(text, sizeof(text),
		 "alice:%s\nbroken:$argon2id$garbage\nbrokenoff:$argon2id$garbage::::::nologin\n"
		 "frank:%s::::::relayguard_act_as=eve\n", alice_pf, frank_pf);
	free(alice_pf);
	free(frank_pf);
	tl_write(pf, text);
	tl_add_store(t, RG_STORE_PASSWD_FILE, pf);

	/* store 3: sqlite — bob, alice (shadowed, with a grant), tenants */
	const char *db = tl_path("auth.db");
	char sql[4096];
	char *bobh = hash("bob-pw"), *alh = hash("alice-sql");
	db_exec(db, rg_sqlite_schema_sql);	/* relayguardctl db init's schema */
	snprintf(sql, sizeof(sql),
		 "INSERT INTO users VALUES('bob', '%s', 1);"
		 "INSERT INTO users VALUES('alice', '%s', 1);"
		 "INSERT INTO act_as VALUES('alice', 'eve');"
		 "INSERT INTO act_as VALUES('bob', 'shop');"
		 "INSERT INTO tenants VALUES('blue');"
		 "INSERT INTO tenants VALUES('shadow');"
		 "INSERT INTO tenant_authz VALUES('blue', 'bob');"
		 "INSERT INTO tenant_domains VALUES('BLUE', '*.open.example');"
		 "INSERT INTO tenant_domains VALUES('blue', 'amb.example');"
		 "INSERT INTO tenant_domains VALUES('shadow', 'amb.example');", bobh, alh);
	db_exec(db, sql);
	free(bobh);
	free(alh);
	tl_add_store(t, RG_STORE_SQLITE, db);

	/* config tenants.list */
	char *closed_ids[] = { "alice" };
	char *open_domains[] = { "open.example", "*.shared.example" };
	char *shadow_domains[] = { "x.shared.example", "*.shared.example" };
	struct rg_tenant tenants[2] = {
		{ .name = "open", .has_require_authz = false, .allowed_domains = open_domains,
		  .n_allowed_domains = 2 },
		{ .name = "Shadow", .require_authz = closed_ids, .n_require_authz = 1,
		  .has_require_authz = true, .allowed_domains = shadow_domains,
		  .n_allowed_domains = 1 },
	};
	t->cfg.tenants.list = tenants;
	t->cfg.tenants.n_list = 2;

	if (tl_open_all(t) < 0) {
		printf("Bail out! stores do not open\n");
		return 1;
	}

	const struct rg_store *st = NULL;
	/* --- verify and the order rule --- */
	is_int(verify(t, "alice", "alice-static", &st), RG_VERIFY_OK,
	       "verify: alice with the first store's password");
	ok(st == t->opened[0], "verify: the static store answered (%s)", st ? st->label : "none");
	is_int(verify(t, "alice", "alice-pf", &st), RG_VERIFY_BAD_PASSWORD,
	       "verify: a later store's password for alice does not count (first store decides)");
	is_int(verify(t, "alice", "alice-sql", &st), RG_VERIFY_BAD_PASSWORD,
	       "verify: nor the third store's");
	is_int(verify(t, "bob", "bob-pw", &st), RG_VERIFY_OK, "verify: bob via the SQLite store");
	ok(st == t->opened[2] && tl_contains(st->label, "sqlite:"),
	   "verify: store_r names the SQLite store (%s)", st ? st->label : "none");
	is_int(verify(t, "bob", "bob-PW", &st), RG_VERIFY_BAD_PASSWORD, "verify: wrong password");
	is_int(verify(t, "bob", "", &st), RG_VERIFY_BAD_PASSWORD, "verify: empty password");
	is_int(verify(t, "nobody", "x", &st), RG_VERIFY_UNKNOWN_USER, "verify: unknown user");
	ok(st == NULL, "verify: no store answered for the unknown user");
	is_int(verify(t, "carol", "carol-pw", &st), RG_VERIFY_DISABLED,
	       "verify: disabled user with the right password → DISABLED");
	is_int(verify(t, "carol", "wrong", &st), RG_VERIFY_DISABLED,
	       "verify: disabled user with a wrong password → DISABLED too");
	int64_t bad_before = rg_stats_get("store.bad_hash");
	is_int(verify(t, "broken", "x", &st), RG_VERIFY_TEMPFAIL,
	       "verify: unusable stored hash → TEMPFAIL (admin error, visible)");
	ok(rg_stats_get("store.bad_hash") == bad_before + 1, "verify: bad hash counted");
	is_int(verify(t, "brokenoff", "x", &st), RG_VERIFY_DISABLED,
	       "verify: unusable hash on a disabled user → still DISABLED");

	/* --- user_enabled --- */
	bool disabled = true;
	const char *err = NULL;
	is_int(rg_stores_user_enabled(&t->cfg, "bob", &disabled, &err), RG_LOOKUP_FOUND,
	       "enabled: bob is a known enabled identity");
	ok(!disabled, "enabled: bob not disabled");
	is_int(rg_stores_user_enabled(&t->cfg, "carol", &disabled, &err), RG_LOOKUP_NOTFOUND,
	       "enabled: carol → NOTFOUND");
	ok(disabled, "enabled: ... because disabled");
	is_int(rg_stores_user_enabled(&t->cfg, "nobody", &disabled, &err), RG_LOOKUP_NOTFOUND,
	       "enabled: unknown → NOTFOUND");
	ok(!disabled, "enabled: ... and not 'disabled'");

	/* --- act as --- */
	is_int(rg_stores_may_act_as(&t->cfg, "alice", "alice", &err), RG_LOOKUP_FOUND,
	       "act-as: authc == authz always");
	is_int(rg_stores_may_act_as(&t->cfg, "alice", "", &err), RG_LOOKUP_FOUND,
	       "act-as: empty authz is authc itself");
	is_int(rg_stores_may_act_as(&t->cfg, "alice", "sales", &err), RG_LOOKUP_FOUND,
	       "act-as: static grant");
	is_int(rg_stores_may_act_as(&t->cfg, "alice", "eve", &err), RG_LOOKUP_NOTFOUND,
	       "act-as: a grant in a later store does not count for alice (static decides)");
	is_int(rg_stores_may_act_as(&t->cfg, "frank", "eve", &err), RG_LOOKUP_FOUND,
	       "act-as: passwd-file grant");
	is_int(rg_stores_may_act_as(&t->cfg, "bob", "shop", &err), RG_LOOKUP_FOUND,
	       "act-as: SQLite grant");
	is_int(rg_stores_may_act_as(&t->cfg, "bob", "sales", &err), RG_LOOKUP_NOTFOUND,
	       "act-as: no grant");
	is_int(rg_stores_may_act_as(&t->cfg, "nobody", "sales", &err), RG_LOOKUP_NOTFOUND,
	       "act-as: unknown authc");

	/* --- tenants --- */
	bool allowed = false;
	is_int(rg_stores_tenant_authz(&t->cfg, "open", "bob", &allowed, &err), RG_LOOKUP_FOUND,
	       "tenant: config tenant without require_authz");
	ok(allowed, "tenant: ... admits everyone");
	is_int(rg_stores_tenant_authz(&t->cfg, "shadow", "alice", &allowed, &err), RG_LOOKUP_FOUND,
	       "tenant: config tenant (case-insensitive) shadows the SQLite one");
	ok(allowed, "tenant: alice listed in require_authz");
	rg_stores_tenant_authz(&t->cfg, "shadow", "bob", &allowed, &err);
	ok(!allowed, "tenant: bob not listed → refused");
	is_int(rg_stores_tenant_authz(&t->cfg, "blue", "bob", &allowed, &err), RG_LOOKUP_FOUND,
	       "tenant: SQLite tenant");
	ok(allowed, "tenant: bob granted in tenant_authz");
	rg_stores_tenant_authz(&t->cfg, "blue", "alice", &allowed, &err);
	ok(!allowed, "tenant: alice not granted (closed by default)");
	is_int(rg_stores_tenant_authz(&t->cfg, "nowhere", "bob", &allowed, &err),
	       RG_LOOKUP_NOTFOUND, "tenant: unknown everywhere");

	/* --- an error is never success: break the SQLite store (deleted) --- */
	rename(db, tl_path("auth.db.away"));
	int64_t errs_before = rg_stats_get("store.error");
	is_int(verify(t, "alice", "alice-static", &st), RG_VERIFY_OK,
	       "error: a broken store after the deciding one does not matter");
	is_int(verify(t, "bob", "bob-pw", &st), RG_VERIFY_TEMPFAIL,
	       "error: user of the broken store → TEMPFAIL");
	is_int(verify(t, "nobody", "x", &st), RG_VERIFY_TEMPFAIL,
	       "error: unknown user with a broken store in the chain → TEMPFAIL, not unknown");
	ok(rg_stats_get("store.error") >= errs_before + 2, "error: store.error counted");
	is_int(rg_stores_user_enabled(&t->cfg, "bob", &disabled, &err), RG_LOOKUP_ERROR,
	       "error: user_enabled → ERROR");
	ok(tl_contains(err, "gone"), "error: error text from the store (%s)", err ? err : "");
	is_int(rg_stores_may_act_as(&t->cfg, "bob", "shop", &err), RG_LOOKUP_ERROR,
	       "error: act-as → ERROR");
	is_int(rg_stores_may_act_as(&t->cfg, "bob", "bob", &err), RG_LOOKUP_FOUND,
	       "error: act-as self needs no store");
	allowed = true;
	is_int(rg_stores_tenant_authz(&t->cfg, "blue", "bob", &allowed, &err), RG_LOOKUP_ERROR,
	       "error: store tenant → ERROR");
	ok(!allowed, "error: not allowed on error");
	is_int(rg_stores_tenant_authz(&t->cfg, "open", "bob", &allowed, &err), RG_LOOKUP_FOUND,
	       "error: config tenants still answer");
	rename(tl_path("auth.db.away"), db);

	/* a broken store BEFORE the deciding one: the passwd-file goes away */
	rename(pf, tl_path("users.away"));
	is_int(verify(t, "alice", "alice-static", &st), RG_VERIFY_OK,
	       "error: static (first) still decides alice");
	is_int(verify(t, "bob", "bob-pw", &st), RG_VERIFY_TEMPFAIL,
	       "error: bob is in store 3, but store 2 cannot answer → TEMPFAIL");
	rename(tl_path("users.away"), pf);
	is_int(verify(t, "bob", "bob-pw", &st), RG_VERIFY_OK, "error: store back → bob OK again");

	/* stores not open at all */
	struct rg_store **opened = t->cfg.opened;
	t->cfg.opened = NULL;
	is_int(verify(t, "bob", "bob-pw", &st), RG_VERIFY_TEMPFAIL, "not open: TEMPFAIL");
	t->cfg.opened = opened;

	is_str(rg_verify_str(RG_VERIFY_OK), "ok", "rg_verify_str ok");
	is_str(rg_verify_str(RG_VERIFY_TEMPFAIL), "temporary failure", "rg_verify_str tempfail");

	/* --- the tenant of a domain (tenants.missing = from_domain) --- */
	char tn[64];
	is_int(rg_stores_domain_tenant(&t->cfg, "open.example", tn, sizeof(tn), &err),
	       RG_LOOKUP_FOUND, "domain_tenant: an exact config entry");
	is_str(tn, "open", "domain_tenant: open.example is open's");
	rg_stores_domain_tenant(&t->cfg, "X.Shared.Example", tn, sizeof(tn), &err);
	is_str(tn, "Shadow", "domain_tenant: the most specific config entry wins (x.shared.example "
	       "over *.shared.example), whatever the case");
	rg_stores_domain_tenant(&t->cfg, "y.shared.example", tn, sizeof(tn), &err);
	is_str(tn, "open", "domain_tenant: *.shared.example for the others");
	is_int(rg_stores_domain_tenant(&t->cfg, "a.open.example", tn, sizeof(tn), &err),
	       RG_LOOKUP_FOUND, "domain_tenant: no config entry: the SQLite store");
	is_str(tn, "blue", "domain_tenant: *.open.example is blue's in SQLite (the name lower case)");
	is_int(rg_stores_domain_tenant(&t->cfg, "amb.example", tn, sizeof(tn), &err),
	       RG_LOOKUP_ERROR, "domain_tenant: an entry two SQLite tenants list: an error");
	ok(err != NULL && tl_contains(err, "belongs to two tenants"), "  saying so (%s)",
	   err ? err : "");
	is_str(tn, "", "  and no tenant");
	is_int(rg_stores_domain_tenant(&t->cfg, "nowhere.example", tn, sizeof(tn), &err),
	       RG_LOOKUP_NOTFOUND, "domain_tenant: a domain nobody lists");
	tenants[1].n_allowed_domains = 2;
	is_int(rg_stores_domain_tenant(&t->cfg, "y.shared.example", tn, sizeof(tn), &err),
	       RG_LOOKUP_ERROR, "domain_tenant: an entry two config tenants list: an error");
	tenants[1].n_allowed_domains = 1;

	tl_close_all(t);
	free(users[0].password);
	free(users[1].password);
	free(t);
	return done_testing();
}
