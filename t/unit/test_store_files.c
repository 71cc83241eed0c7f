/* test_store_files.c — the static and passwd-file stores (real files in a private folder). */
#include <autoconfig.h>
#include "t/tap.h"
#include "store_testlib.h"
#include "log.h"

static int count_hashes(void *ctx, const char *user, const char *hash)
{
	(void)user; (void)hash;
	(*(int *)ctx)++;
	return 0;
}

static void test_static(void)
{
	struct tl_config *t = tl_config_new();
	struct rg_static_user users[3];
	char *alice_as[] = { "sales", "bob" };
	char pw[256];
	bool enabled;
	const char *err;
	char *oerr;

	memset(users, 0, sizeof(users));
	users[0] = (struct rg_static_user){ "zed", "{PLAIN}zed-hash", true, NULL, 0, 5 };
	users[1] = (struct rg_static_user){ "alice", "$6$salt$alicehash", true, alice_as, 2, 3 };
	users[2] = (struct rg_static_user){ "carol", "$6$salt$carolhash", false, NULL, 0, 4 };
	struct rg_store_conf *c = tl_add_store(t, RG_STORE_STATIC, NULL);
	c->users = users;
	c->n_users = 3;

	struct rg_store *st = tl_open(t, c, &oerr);
	ok(st != NULL, "static: opens");
	if (st == NULL) {
		diag("%s", oerr);
		return;
	}
	is_str(st->label, "static", "static: label is the type");
	is_int(tl_lookup(st, "alice", pw, sizeof(pw), &enabled, &err), RG_LOOKUP_FOUND,
	       "static: alice found");
	is_str(pw, "$6$salt$alicehash", "static: alice's stored hash");
	ok(enabled, "static: alice enabled");
	is_int(tl_lookup(st, "zed", pw, sizeof(pw), &enabled, &err), RG_LOOKUP_FOUND,
	       "static: zed found (sorted lookup, last in config order)");
	is_int(tl_lookup(st, "carol", pw, sizeof(pw), &enabled, &err), RG_LOOKUP_FOUND,
	       "static: disabled carol found");
	ok(!enabled, "static: carol is disabled");
	is_int(tl_lookup(st, "mallory", NULL, 0, NULL, &err), RG_LOOKUP_NOTFOUND,
	       "static: unknown user not found");
	is_int(tl_lookup(st, "Alice", NULL, 0, NULL, &err), RG_LOOKUP_NOTFOUND,
	       "static: names are exact (Alice is not alice)");
	is_int(st->ops->may_act_as(st, "alice", "bob", &err), RG_LOOKUP_FOUND,
	       "static: alice may act as bob");
	is_int(st->ops->may_act_as(st, "alice", "dave", &err), RG_LOOKUP_NOTFOUND,
	       "static: alice may not act as dave");
	is_int(st->ops->may_act_as(st, "carol", "alice", &err), RG_LOOKUP_NOTFOUND,
	       "static: carol has no act-as grants");
	bool allowed = true;
	is_int(st->ops->tenant_authz(st, "acme", "alice", &allowed, &err), RG_LOOKUP_NOTFOUND,
	       "static: the store itself knows no tenants (the chain reads tenants.list)");
	int n = 0;
	is_int(st->ops->foreach_hash(st, count_hashes, &n, &oerr), 0, "static: foreach_hash");
	is_int(n, 3, "static: foreach_hash sees every user");
	rg_store_close(st);

	/* a name given twice */
	users[2].name = "alice";
	users[2].line = 9;
	st = tl_open(t, c, &oerr);
	ok(st == NULL, "static: duplicate user refused at open");
	ok(tl_contains(oerr, "alice") && tl_contains(oerr, "line 9") && tl_contains(oerr, "line 3"),
	   "static: duplicate error names the user and both lines (%s)", oerr ? oerr : "");
	free(oerr);
	free(t);
}

static const char *pf_good =
	"# relayguard users\n"
	"\n"
	"alice:{SHA512-CRYPT}$6$salt$alicehash::::::relayguard_act_as=sales,bob relayguard_act_as=eve\n"
	"   # indented comment\n"
	"bob:$2y$05$bobhash:1000:1000:Bob B:/home/bob:/bin/sh:nologin reason=gone\n"
	"carol:$6$salt$carolhash::::::userdb_quota_rule=*:storage=1G relayguard_disabled=yes\n"
	"dave:$6$salt$davehash\r\n"
	"erin:$6$salt$erinhash::::::nologin=no relayguard_disabled=no\n";

static void expect_open_error(struct tl_config *t, struct rg_store_conf *c, const char *path,
			      const char *text, const char *needle, const char *what)
{
	char *oerr = NULL;
	tl_write(path, text);
	struct rg_store *st = tl_open(t, c, &oerr);
	ok(st == NULL && tl_contains(oerr, needle), "passwd-file: %s (%s)", what,
	   oerr ? oerr : "opened");
	rg_store_close(st);
	free(oerr);
}

static void test_passwd_file(void)
{
	struct tl_config *t = tl_config_new();
	const char *path = tl_path("users");
	char pw[256], *oerr = NULL;
	bool enabled;
	const char *err;

	tl_write(path, pf_good);
	struct rg_store_conf *c = tl_add_store(t, RG_STORE_PASSWD_FILE, path);
	struct rg_store *st = tl_open(t, c, &oerr);
	ok(st != NULL, "passwd-file: opens");
	if (st == NULL) {
		diag("%s", oerr);
		return;
	}
	ok(tl_contains(st->label, "passwd-file:") && tl_contains(st->label, path),
	   "passwd-file: label names type and path (%s)", st->label);
	is_int(tl_lookup(st, "alice", pw, sizeof(pw), &enabled, &err), RG_LOOKUP_FOUND,
	       "passwd-file: alice found");
	is_str(pw, "{SHA512-CRYPT}$6$salt$alicehash", "passwd-file: Dovecot-prefixed hash kept whole");
	ok(enabled, "passwd-file: alice enabled");
	is_int(tl_lookup(st, "bob", pw, sizeof(pw), &enabled, &err), RG_LOOKUP_FOUND,
	       "passwd-file: bob (all seven fields) found");
	is_str(pw, "$2y$05$bobhash", "passwd-file: bob's hash");
	ok(!enabled, "passwd-file: nologin disables bob");
	tl_lookup(st, "carol", NULL, 0, &enabled, &err);
	ok(!enabled, "passwd-file: relayguard_disabled=yes disables carol (extra field with ':')");
	is_int(tl_lookup(st, "dave", pw, sizeof(pw), &enabled, &err), RG_LOOKUP_FOUND,
	       "passwd-file: two-field line with CRLF");
	is_str(pw, "$6$salt$davehash", "passwd-file: CR stripped");
	ok(enabled, "passwd-file: dave enabled");
	tl_lookup(st, "erin", NULL, 0, &enabled, &err);
	ok(enabled, "passwd-file: nologin=no and relayguard_disabled=no keep erin enabled");
	is_int(tl_lookup(st, "mallory", NULL, 0, NULL, &err), RG_LOOKUP_NOTFOUND,
	       "passwd-file: unknown user not found");
	is_int(st->ops->may_act_as(st, "alice", "bob", &err), RG_LOOKUP_FOUND,
	       "passwd-file: relayguard_act_as grants bob");
	is_int(st->ops->may_act_as(st, "alice", "eve", &err), RG_LOOKUP_FOUND,
	       "passwd-file: a second relayguard_act_as adds eve");
	is_int(st->ops->may_act_as(st, "alice", "dave", &err), RG_LOOKUP_NOTFOUND,
	       "passwd-file: alice may not act as dave");
	is_int(st->ops->may_act_as(st, "bob", "alice", &err), RG_LOOKUP_NOTFOUND,
	       "passwd-file: bob has no grants");
	int n = 0;
	is_int(st->ops->foreach_hash(st, count_hashes, &n, &oerr), 0, "passwd-file: foreach_hash");
	is_int(n, 5, "passwd-file: foreach_hash sees 5 users");

	/* edits take effect without reopening */
	tl_write(path, "alice:$6$salt$newalicehash\nfrank:$6$salt$frankhash\n");
	is_int(tl_lookup(st, "frank", NULL, 0, NULL, &err), RG_LOOKUP_FOUND,
	       "passwd-file: user added to the file is found (reload on change)");
	is_int(tl_lookup(st, "bob", NULL, 0, NULL, &err), RG_LOOKUP_NOTFOUND,
	       "passwd-file: user removed from the file is gone");
	tl_lookup(st, "alice", pw, sizeof(pw), NULL, &err);
	is_str(pw, "$6$salt$newalicehash", "passwd-file: changed hash is seen");
	/* same size, rewritten in place */
	tl_write(path, "alice:$6$salt$NEWALICEHASH\nfrank:$6$salt$frankhash\n");
	tl_lookup(st, "alice", pw, sizeof(pw), NULL, &err);
	is_str(pw, "$6$salt$NEWALICEHASH", "passwd-file: same-size in-place edit is seen");

	/* an edit that breaks the file: errors, not the stale old contents */
	tl_write(path, "alice:$6$salt$newalicehash\nbroken line without colon\n");
	err = NULL;
	is_int(tl_lookup(st, "alice", NULL, 0, NULL, &err), RG_LOOKUP_ERROR,
	       "passwd-file: malformed after edit → ERROR (not the old alice)");
	ok(tl_contains(err, ":2:"), "passwd-file: reload error names the line (%s)", err ? err : "");
	is_int(tl_lookup(st, "mallory", NULL, 0, NULL, &err), RG_LOOKUP_ERROR,
	       "passwd-file: unknown user is ERROR too while the file is broken");
	is_int(st->ops->may_act_as(st, "alice", "bob", &err), RG_LOOKUP_ERROR,
	       "passwd-file: act-as is ERROR while the file is broken");
	tl_write(path, "alice:$6$salt$fixed\n");
	is_int(tl_lookup(st, "alice", NULL, 0, NULL, &err), RG_LOOKUP_FOUND,
	       "passwd-file: fixed file is read again");

	/* the file goes away or becomes unreadable */
	unlink(path);
	err = NULL;
	is_int(tl_lookup(st, "alice", NULL, 0, NULL, &err), RG_LOOKUP_ERROR,
	       "passwd-file: deleted file → ERROR, not unknown user");
	ok(tl_contains(err, "No such file"), "passwd-file: error says why (%s)", err ? err : "");
	mkdir(path, 0755);
	is_int(tl_lookup(st, "alice", NULL, 0, NULL, &err), RG_LOOKUP_ERROR,
	       "passwd-file: path replaced by a directory → ERROR");
	rmdir(path);
	tl_write(path, "alice:$6$salt$fixed\n");
	is_int(tl_lookup(st, "alice", NULL, 0, NULL, &err), RG_LOOKUP_FOUND,
	       "passwd-file: file back → found");
	if (geteuid() != 0) {
		chmod(path, 0);
		is_int(tl_lookup(st, "alice", NULL, 0, NULL, &err), RG_LOOKUP_ERROR,
		       "passwd-file: unreadable (mode 000) → ERROR");
		chmod(path, 0600);
	} else {
		diag("running as root: mode 000 does not stop root; the directory case covers "
		     "an unreadable path");
	}
	rg_store_close(st);

	/* errors at open name file:line */
	char needle[400];
	snprintf(needle, sizeof(needle), "%s:3:", path);
	expect_open_error(t, c, path, "# c\nalice:$6$x$y\nbob\n", needle,
			  "line without ':' → file:line error");
	expect_open_error(t, c, path, "alice:\n", ":1:", "empty password refused");
	expect_open_error(t, c, path, ":$6$x$y\n", "user name", "empty user name refused");
	expect_open_error(t, c, path, "al ice:$6$x$y\n", "user name", "space in user name refused");
	expect_open_error(t, c, path, "alice:$6$x$y::::::nopassword\n", "nopassword",
			  "Dovecot nopassword refused (it would accept any password)");
	expect_open_error(t, c, path, "alice:$6$x$y::::::allow_nets=10.0.0.0/8\n", "allow_nets",
			  "allow_nets refused (relayguard cannot enforce it)");
	expect_open_error(t, c, path, "alice:$6$x$y::::::relayguard_disabled=maybe\n",
			  "relayguard_disabled", "relayguard_disabled needs yes/no");
	expect_open_error(t, c, path, "alice:$6$x$y\nbob:$6$x$z\nalice:$6$x$w\n",
			  "more than once", "duplicate user refused");
	unlink(path);
	expect_open_error(t, c, tl_path("other"), "x:y\n", "No such file",
			  "missing file at open refused");
	free(t);
}

int main(void)
{
	rg_log_stderr_only();
	tl_mkdir("test_store_files");
	test_static();
	test_passwd_file();
	return done_testing();
}
