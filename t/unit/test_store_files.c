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
	users[0] = (struct rg_static_user){ "zed", "{PLAIN}zed-hash", true, NULL, 0, NULL, 0, 5 };
	users[1] = (struct rg_static_user){ "alice", "$6$salt$alicehash", true, alice_as, 2, NULL, 0, 3 };
	users[2] = (struct rg_static_user){ "carol", "$6$salt$carolhash", false, NULL, 0, NULL, 0, 4 };
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

/* ---- what the store logs: stderr (rg_log_stderr_only) into a file ---- */

static int saved_stderr = -1;

static void capture_start(void)
{
	fflush(stderr);
	int fd = open(tl_path("stderr"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	saved_stderr = dup(STDERR_FILENO);
	if (fd < 0 || saved_stderr < 0 || dup2(fd, STDERR_FILENO) < 0) {
		printf("Bail out! redirect stderr: %s\n", strerror(errno));
		exit(1);
	}
	close(fd);
}

/* The captured text (static buffer), echoed as diag lines. */
static const char *capture_end(void)
{
	static char buf[16384];
	fflush(stderr);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	FILE *f = fopen(tl_path("stderr"), "r");
	size_t n = f != NULL ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	if (f != NULL)
		fclose(f);
	buf[n] = '\0';
	return buf;
}

static void diag_lines(const char *s)
{
	while (*s != '\0') {
		int len = (int)strcspn(s, "\n");
		diag("%.*s", len, s);
		s += len + (s[len] == '\n');
	}
}

static int count_lines(const char *s, const char *needle)
{
	int n = 0;
	for (const char *p = s; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

/* Known keys in the wrong place or case are ignored, but never silently. */
static void test_passwd_file_warnings(void)
{
	struct tl_config *t = tl_config_new();
	const char *path = tl_path("warn-users");
	char *oerr = NULL, want[600];
	bool enabled;
	const char *err;

	struct rg_store_conf *c = tl_add_store(t, RG_STORE_PASSWD_FILE, path);
	tl_write(path, pf_good);
	capture_start();
	struct rg_store *st = tl_open(t, c, &oerr);
	const char *log = capture_end();
	ok(st != NULL && strstr(log, "warning") == NULL,
	   "warnings: a file with only known keys in the extra fields logs none");
	if (strstr(log, "warning") != NULL)
		diag_lines(log);
	rg_store_close(st);
	free(oerr);

	tl_write(path,
		 "# 1\n"
		 "bob:$6$salt$bobhash::::::NoLogin\n"
		 "carol:$6$salt$carolhash::::::Relayguard_Disabled=yes relayguard_act_as=x\n"
		 "dan:$6$salt$danhash::::::relayguard_disable=yes\n"
		 "erin:$6$salt$erinhash:nologin\n"
		 "fay:$6$salt$fayhash:1000:1000:Fay:/home/fay:/usr/sbin/nologin\n"
		 "gus:$6$salt$gushash:::::relayguard_disabled=yes\n"
		 "hal:$6$salt$halhash::::::userdb_quota_rule=*:storage=1G reason=left\n"
		 "ida:$6$salt$idahash::::::relayguard_act\x01" "as=x\n");
	capture_start();
	st = tl_open(t, c, &oerr);
	log = capture_end();
	ok(st != NULL, "warnings: the file still opens (%s)", oerr ? oerr : "");
	if (st == NULL) {
		free(oerr);
		free(t);
		return;
	}
	snprintf(want, sizeof(want), "%s:2: warning: user \"bob\": \"NoLogin\" is ignored: keys "
		 "are case-sensitive (did you mean nologin?)", path);
	ok(tl_contains(log, want), "warnings: NoLogin in another case, with file:line and the value");
	snprintf(want, sizeof(want), "%s:3: warning: user \"carol\": \"Relayguard_Disabled\" is "
		 "ignored", path);
	ok(tl_contains(log, want), "warnings: Relayguard_Disabled in another case");
	snprintf(want, sizeof(want), "%s:4: warning: user \"dan\": \"relayguard_disable\" is "
		 "ignored: unknown key", path);
	ok(tl_contains(log, want), "warnings: an unknown relayguard_ key (a typo)");
	snprintf(want, sizeof(want), "%s:5: warning: user \"erin\": \"nologin\" in the uid field "
		 "is ignored", path);
	ok(tl_contains(log, want), "warnings: nologin in the uid field (too few ':')");
	snprintf(want, sizeof(want), "%s:6: warning: user \"fay\": \"/usr/sbin/nologin\" in the "
		 "shell field does not disable the user", path);
	ok(tl_contains(log, want), "warnings: a nologin shell");
	snprintf(want, sizeof(want), "%s:7: warning: user \"gus\": \"relayguard_disabled\\x3dyes\" in "
		 "the shell field is ignored", path);
	ok(tl_contains(log, want), "warnings: relayguard_disabled=yes one field too early");
	ok(!tl_contains(log, "\"hal\""), "warnings: other Dovecot fields are ignored quietly");
	snprintf(want, sizeof(want), "%s:9: warning: user \"ida\": \"relayguard_act\\x01as\" is ignored",
		 path);
	ok(tl_contains(log, want), "warnings: the value is quoted with control bytes escaped");
	is_int(count_lines(log, "warning:"), 7, "warnings: one per slip, no more");
	if (count_lines(log, "warning:") != 7)
		diag_lines(log);
	/* warn, do not guess: what the keys would have meant is not applied */
	tl_lookup(st, "bob", NULL, 0, &enabled, &err);
	ok(enabled, "warnings: NoLogin does not disable bob (warned about, not guessed)");
	is_int(st->ops->may_act_as(st, "carol", "x", &err), RG_LOOKUP_FOUND,
	       "warnings: the well-spelled key beside it still counts");

	/* the same warnings when an edited file is read again (no reopen) */
	tl_write(path, "bob:$6$salt$bobhash::::::NoLogin\nzed:$6$salt$zedhash\n");
	capture_start();
	is_int(tl_lookup(st, "zed", NULL, 0, NULL, &err), RG_LOOKUP_FOUND,
	       "warnings: edited file read again");
	log = capture_end();
	snprintf(want, sizeof(want), "%s:1: warning: user \"bob\": \"NoLogin\"", path);
	ok(tl_contains(log, want), "warnings: logged again when the file is read again");
	rg_store_close(st);
	free(t);
}

/* A file caught mid-rewrite is a store error, never fewer users. */
static void test_passwd_file_incomplete(void)
{
	struct tl_config *t = tl_config_new();
	const char *path = tl_path("rw-users"), *tmp = tl_path("rw-users.tmp");
	char *oerr = NULL, pw[256], want[600];
	const char *err;
	struct rg_static_user su[1];

	/* passwd-file first, a static store second with the same user (shadowed) */
	struct rg_store_conf *c = tl_add_store(t, RG_STORE_PASSWD_FILE, path);
	struct rg_store_conf *sc = tl_add_store(t, RG_STORE_STATIC, NULL);
	su[0] = (struct rg_static_user){ "dave", "$6$salt$static-dave", true, NULL, 0, NULL, 0, 1 };
	sc->users = su;
	sc->n_users = 1;

	/* at open */
	tl_write(path, "alice:$6$salt$alicehash\ndave:$6$salt$dav");
	struct rg_store *st = tl_open(t, c, &oerr);
	snprintf(want, sizeof(want), "%s:2: the last line has no newline", path);
	ok(st == NULL && tl_contains(oerr, want) && tl_contains(oerr, "rename"),
	   "incomplete: last line without newline refused at open (%s)", oerr ? oerr : "opened");
	rg_store_close(st);
	free(oerr);
	tl_write(path, "");
	st = tl_open(t, c, &oerr);
	ok(st == NULL && tl_contains(oerr, "empty (0 bytes") && tl_contains(oerr, "# no users"),
	   "incomplete: a 0-byte file refused at open (%s)", oerr ? oerr : "opened");
	rg_store_close(st);
	free(oerr);
	tl_write(path, "# no users\n");
	st = tl_open(t, c, &oerr);
	ok(st != NULL, "empty on purpose: a file with only a comment opens (%s)", oerr ? oerr : "");
	if (st == NULL) {
		free(oerr);
		free(t);
		return;
	}
	is_int(tl_lookup(st, "dave", NULL, 0, NULL, &err), RG_LOOKUP_NOTFOUND,
	       "empty on purpose: no users");
	rg_store_close(st);

	tl_write(path, "alice:$6$salt$alicehash\ndave:$6$salt$file-dave\n");
	if (tl_open_all(t) < 0) {
		ok(0, "incomplete: the chain opens");
		free(t);
		return;
	}
	st = t->opened[0];
	struct rg_user_record rec = { NULL, false };
	const struct rg_store *who = NULL;
	is_int(rg_stores_lookup_user(&t->cfg, "dave", &rec, &who, &err), RG_LOOKUP_FOUND,
	       "chain: dave found");
	is_str(rec.password, "$6$salt$file-dave", "chain: the passwd-file's dave (shadows static)");
	rg_user_record_clear(&rec);

	/* rewritten in place (O_TRUNC), caught before dave's line: the last line is cut */
	tl_write(path, "carol:$6$salt$carolh");
	err = NULL;
	is_int(rg_stores_lookup_user(&t->cfg, "dave", &rec, &who, &err), RG_LOOKUP_ERROR,
	       "chain: file cut mid-line → ERROR, not the shadowed static dave");
	rg_user_record_clear(&rec);
	ok(tl_contains(err, ":1: the last line has no newline"),
	   "chain: the error says why (%s)", err ? err : "");
	is_int(tl_lookup(st, "carol", NULL, 0, NULL, &err), RG_LOOKUP_ERROR,
	       "incomplete: the cut file is not read for the users it does list either");
	/* caught at its first state: 0 bytes */
	tl_write(path, "");
	err = NULL;
	is_int(rg_stores_lookup_user(&t->cfg, "dave", &rec, &who, &err), RG_LOOKUP_ERROR,
	       "chain: truncated to 0 bytes → ERROR, not the shadowed static dave");
	rg_user_record_clear(&rec);
	ok(tl_contains(err, "empty"), "chain: the error says the file is empty (%s)",
	   err ? err : "");
	/* replaced by rename: picked up at the next lookup */
	tl_write(tmp, "dave:$6$salt$renamed-dave\n");
	if (rename(tmp, path) != 0)
		diag("rename: %s", strerror(errno));
	is_int(tl_lookup(st, "dave", pw, sizeof(pw), NULL, &err), RG_LOOKUP_FOUND,
	       "rename: the new file is read at the next lookup");
	is_str(pw, "$6$salt$renamed-dave", "rename: the new hash");
	tl_close_all(t);
	free(t);
}

int main(void)
{
	rg_log_stderr_only();
	tl_mkdir("test_store_files");
	test_static();
	test_passwd_file();
	test_passwd_file_warnings();
	test_passwd_file_incomplete();
	return done_testing();
}
