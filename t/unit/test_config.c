/*
 * test_config.c — the config loader: values and defaults of a good file,
 * "file:line: message" for every class of error, every problem listed,
 * the key table, and snapshot reference counting / current swap.
 *
 * Fixtures: the files in t/conf/ (shared with t/config-check.sh) and small files
 * written to a temporary directory here.
 */
#include <autoconfig.h>
#include "config.h"
#include "store.h"
#include "t/tap.h"

#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *srcdir;
static char tmpdir[] = "/tmp/rg-test-config.XXXXXX";

static char *fixture(const char *name)
{
	static char path[4096];
	snprintf(path, sizeof(path), "%s/t/conf/%s", srcdir, name);
	return path;
}

static char *write_conf(const char *name, const char *text)
{
	static char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0) {
		printf("Bail out! cannot write %s\n", path);
		exit(1);
	}
	return path;
}

static int count_lines(const char *s)
{
	int n = 0;
	for (; s && *s; s++)
		n += *s == '\n';
	return n;
}

/* errors must contain the line "PATH:LINE: MSG..." (MSG a prefix of the message) */
static bool has_error(const char *errors, const char *path, int line, const char *msg)
{
	char want[8192];
	const char *p = errors;

	if (line > 0)
		snprintf(want, sizeof(want), "%s:%d: %s", path, line, msg);
	else
		snprintf(want, sizeof(want), "%s: %s", path, msg);
	while (p && *p) {
		if (strncmp(p, want, strlen(want)) == 0)
			return true;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return false;
}

/* Load a file that must fail with exactly one problem at line: msg. */
static void one_error(const char *path, int line, const char *msg)
{
	char *errors = NULL;
	struct rg_config *cfg = rg_config_load(path, &errors);
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;

	ok(cfg == NULL, "%s is refused", base);
	ok(has_error(errors, path, line, msg), "%s: reports '%s:%d: %s'", base, base, line, msg);
	is_int(count_lines(errors), 1, "%s: exactly one problem", base);
	if (!has_error(errors, path, line, msg) || count_lines(errors) != 1)
		diag("errors were:\n%s", errors ? errors : "(none)");
	if (cfg)
		rg_config_release(cfg);
	free(errors);
}

/* A file that loads, but whose stores refuse to open with exactly one problem
 * at line: msg (what only the stores know: the static users' hashes). */
static void store_error(const char *path, int line, const char *msg)
{
	char *errors = NULL;
	struct rg_config *cfg = rg_config_load(path, &errors);
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;

	ok(cfg != NULL, "%s loads (the hash is the stores' business)", base);
	if (cfg == NULL) {
		diag("errors were:\n%s", errors ? errors : "(none)");
		free(errors);
		return;
	}
	ok(rg_stores_open(cfg, &errors) != 0 && cfg->opened == NULL,
	   "%s: its stores do not open, none is left open", base);
	ok(has_error(errors, path, line, msg), "%s: reports '%s:%d: %s'", base, base, line, msg);
	/* store errors come without the final newline (printed as one message) */
	int n = count_lines(errors) + (errors && *errors && errors[strlen(errors) - 1] != '\n');
	is_int(n, 1, "%s: exactly one problem", base);
	if (!has_error(errors, path, line, msg) || n != 1)
		diag("errors were:\n%s", errors ? errors : "(none)");
	rg_config_release(cfg);
	free(errors);
}

static void test_good(void)
{
	char *errors = NULL, *warnings;
	const char *path = fixture("good.conf");
	struct rg_config *cfg = rg_config_load(path, &errors);
	char want[4200];

	ok(cfg != NULL, "good.conf loads");
	if (cfg == NULL) {
		diag("%s", errors);
		exit(done_testing());
	}
	/* explicit values */
	is_str(cfg->pidfile, "", "pidfile \"\"");
	is_int(cfg->socket_mode, 0640, "socket_mode \"0640\" is octal");
	is_str(cfg->syslog_facility, "local3", "syslog_facility");
	is_str(cfg->milter.socket, "inet:8891@127.0.0.1", "milter.socket");
	is_int(cfg->milter.min_tls_version, RG_TLS_1_3, "milter.min_tls_version TLSv1.3");
	is_int(cfg->milter.n_require_auth, 2, "two milter.require_auth entries");
	is_str(cfg->milter.require_auth[1], "smtps", "milter.require_auth[1]");
	is_str(cfg->auth.dovecot_socket, "unix:/tmp/rg-test-auth", "auth.dovecot_socket");
	is_str(cfg->auth.saslauthd_socket, "", "auth.saslauthd_socket off");
	is_int(cfg->auth.mechanisms, RG_MECH_BIT(RG_MECH_PLAIN), "auth.mechanisms = PLAIN only");
	is_int(cfg->auth.hash_queue, 16, "auth.hash_queue");
	is_int(cfg->auth.cache.ttl, 60, "auth.cache.ttl");
	/* defaults next to explicit values in the same group */
	is_int(cfg->auth.cache.negative_ttl, 30, "default auth.cache.negative_ttl");
	is_int(cfg->auth.cache.size, 10000, "default auth.cache.size");
	is_int(cfg->auth.cache.negative_size, 1000, "default auth.cache.negative_size");
	is_int(cfg->auth.failure_delay_ms, 2000, "default auth.failure_delay_ms");
	is_int(cfg->auth.max_failure_delay_ms, 15000, "default auth.max_failure_delay_ms");
	is_int(cfg->auth.hash_threads, 0, "default auth.hash_threads");
	ok(cfg->auth.require_tls, "default auth.require_tls = true");
	ok(cfg->milter.require_tls_for_auth, "default milter.require_tls_for_auth = true");
	ok(cfg->milter.require_known_identity, "default milter.require_known_identity = true");
	ok(!cfg->passwords.allow_plaintext, "default passwords.allow_plaintext = false");
	is_int(cfg->passwords.argon2_memory_kib, 19456, "default argon2 memory 19456 KiB");
	is_int(cfg->passwords.argon2_iterations, 2, "default argon2 iterations 2");
	is_str(cfg->control_socket, "/run/relayguard/control", "default control_socket");
	is_int(cfg->tenants.unknown, RG_TENANT_REJECT, "default tenants.unknown reject");
	is_int(cfg->tenants.unauthenticated, RG_TENANT_REJECT, "default tenants.unauthenticated");
	is_int(cfg->tenants.max_length, 64, "default tenants.max_length");
	/* stores */
	is_int(cfg->n_stores, 1, "one store");
	is_int(cfg->stores[0].type, RG_STORE_STATIC, "static store");
	is_str(cfg->stores[0].name, "people", "store name");
	is_int(cfg->stores[0].line, 18, "store line");
	is_int(cfg->stores[0].n_users, 2, "two users");
	is_str(cfg->stores[0].users[0].name, "daniel", "user name");
	ok(strncmp(cfg->stores[0].users[0].password, "$argon2id$", 10) == 0, "user hash");
	is_int(cfg->stores[0].users[0].n_act_as, 1, "act_as count");
	is_str(cfg->stores[0].users[0].act_as[0], "sales", "act_as value");
	ok(cfg->stores[0].users[0].enabled, "user enabled by default");
	ok(!cfg->stores[0].users[1].enabled, "enabled = false");
	is_int(cfg->stores[0].users[1].line, 21, "user line");
	ok(cfg->opened == NULL, "stores not opened by rg_config_load");
	/* tenants */
	is_str(cfg->tenants.header, "X-Tenant-Id", "tenants.header");
	is_int(cfg->tenants.missing, RG_TENANT_REJECT, "tenants.missing reject");
	is_int(cfg->tenants.n_list, 2, "two tenants");
	is_str(cfg->tenants.list[0].egress_pool, "pool-1", "egress_pool");
	ok(cfg->tenants.list[0].has_require_authz, "require_authz given");
	is_int(cfg->tenants.list[0].n_require_authz, 1, "require_authz count");
	is_str(cfg->tenants.list[0].require_authz[0], "daniel", "require_authz value");
	ok(!cfg->tenants.list[1].has_require_authz, "no require_authz on Open-Tenant");
	ok(cfg->tenants.list[1].egress_pool == NULL, "egress_pool unset is NULL");
	ok(rg_config_tenant(cfg, "ACME") == &cfg->tenants.list[0], "tenant lookup ignores case");
	ok(rg_config_tenant(cfg, "open-tenant") == &cfg->tenants.list[1], "second tenant found");
	ok(rg_config_tenant(cfg, "acme2") == NULL, "unknown tenant is NULL");
	ok(cfg->generation > 0, "generation set");
	/* warnings */
	warnings = rg_config_warnings(cfg);
	snprintf(want, sizeof(want), "%s:31: warning: tenant \"Open-Tenant\" has no require_authz: "
		 "open to every authenticated identity\n", path);
	ok(warnings && strstr(warnings, want), "warning for tenant without require_authz");
	snprintf(want, sizeof(want), "%s:31: warning: tenant \"Open-Tenant\" has no allowed_domains: "
		 "its mail may use any From: and envelope domain\n", path);
	ok(warnings && strstr(warnings, want), "warning for tenant without allowed_domains");
	is_int(count_lines(warnings), 2, "only those warnings (acme has both)");
	is_int(cfg->tenants.list[0].n_allowed_domains, 2, "allowed_domains parsed");
	is_str(cfg->tenants.list[0].allowed_domains[0], "acme.example",
	       "allowed_domains normalized at load (lower case), not at every lookup");
	if (!warnings || !strstr(warnings, want))
		diag("warnings: %s", warnings ? warnings : "(none)");
	free(warnings);
	rg_config_release(cfg);
}

static void test_defaults(void)
{
	char *errors = NULL, *warnings;
	struct rg_config *cfg = rg_config_load(fixture("empty.conf"), &errors);

	ok(cfg != NULL, "an empty file loads");
	if (cfg == NULL)
		return;
	ok(cfg->milter.enabled && cfg->auth.enabled, "both front ends on by default");
	is_str(cfg->milter.socket, "unix:/run/relayguard/milter.sock", "default milter.socket");
	is_str(cfg->auth.dovecot_socket, "/run/relayguard/auth", "default auth.dovecot_socket");
	is_str(cfg->auth.saslauthd_socket, "/run/relayguard/mux", "default saslauthd_socket");
	is_int(cfg->auth.mechanisms, RG_MECH_BIT(RG_MECH_PLAIN) | RG_MECH_BIT(RG_MECH_LOGIN), "default mechanisms");
	is_int(cfg->auth.hash_queue, 64, "default hash_queue");
	is_int(cfg->auth.cache.ttl, 300, "default cache ttl");
	is_int(cfg->milter.min_tls_version, RG_TLS_1_2, "default min_tls_version TLSv1.2");
	is_int(cfg->milter.n_require_auth, 0, "default require_auth empty");
	is_str(cfg->tenants.header, "X-Tenant", "default tenants.header");
	is_int(cfg->tenants.missing, RG_TENANT_ACCEPT, "default tenants.missing accept");
	is_int(cfg->socket_mode, 0660, "default socket_mode 0660");
	is_str(cfg->pidfile, "/run/relayguard/relayguard.pid", "default pidfile");
	is_str(cfg->syslog_facility, "mail", "default syslog_facility");
	is_int(cfg->n_stores, 0, "no stores");
	warnings = rg_config_warnings(cfg);
	ok(warnings && strstr(warnings, "no credential stores"), "warning: no stores");
	free(warnings);
	rg_config_release(cfg);
}

static void test_error_classes(void)
{
	one_error(fixture("unknown-key.conf"), 4, "unknown key 'auth.cache.tll' (did you mean 'ttl'?)");
	one_error(fixture("wrong-type.conf"), 2,
		  "milter.require_tls_for_auth: expected a boolean (true or false), got a string");
	one_error(fixture("out-of-range.conf"), 2, "auth.hash_queue: 0 is out of range (1..65536)");
	one_error(fixture("bad-enum.conf"), 3,
		  "tenants.unknown: \"maybe\" is not one of: accept, reject");
	one_error(fixture("missing-path.conf"), 2,
		  "stores[0]: missing 'path' (required for a sqlite store)");
	one_error(fixture("dup-tenant.conf"), 4,
		  "tenants.list[1]: duplicate tenant \"ACME\" (first at line 3)");
	one_error(fixture("syntax.conf"), 3, "syntax error");
	store_error(fixture("bad-hash.conf"), 3, "stores[0].users[0]: user \"bob\": password: ");
	one_error("/nonexistent/relayguard.conf", 0, "cannot open: No such file or directory");
}

static void test_multi(void)
{
	const char *path = fixture("multi.conf");
	char *errors = NULL;
	struct rg_config *cfg = rg_config_load(path, &errors);
	static const struct { int line; const char *msg; } want[] = {
		{2, "socket_mode: write the mode as an octal string"},
		{4, "milter.socket: \"tcp:25\": expected unix:/path"},
		{5, "milter.min_tls_version: \"SSLv3\" is not one of: TLSv1,"},
		{8, "auth.mechanisms[1]: \"CRAM-MD5\" is not one of: PLAIN, LOGIN"},
		{9, "auth.failure_delay_ms: -1 is out of range (0..60000)"},
		{10, "unknown key 'auth.colour'"},
		{13, "stores[0].path: not a key of a static store"},
		{14, "stores[1]: missing 'path' (required for a passwd-file store)"},
		{15, "stores[2].type: \"ldap\" is not one of: static, passwd-file, sqlite"},
		{18, "tenants.header: \"X Tenant\": not a valid header field name"},
		{19, "tenants.list[0]: tenant name \"bad tenant\": only letters, digits"},
	};
	size_t n = sizeof(want) / sizeof(want[0]);

	ok(cfg == NULL, "multi.conf is refused");
	for (size_t i = 0; i < n; i++)
		ok(has_error(errors, path, want[i].line, want[i].msg), "multi.conf:%d: %s",
		   want[i].line, want[i].msg);
	is_int(count_lines(errors), (int)n, "every problem listed, nothing else");
	if (count_lines(errors) != (int)n)
		diag("errors were:\n%s", errors ? errors : "(none)");
	free(errors);
}

/* Error classes without a fixture file: written to the temp dir. */
static void test_more_errors(void)
{
	one_error(write_conf("static-no-users.conf", "stores = (\n { type = \"static\"; }\n);\n"),
		  2, "stores[0]: missing 'users' (required for a static store)");
	one_error(write_conf("dup-user.conf",
			     "stores = ( { type = \"static\"; users = (\n"
			     " { name = \"a\"; password = \"$argon2id$v=19$m=19456,t=2,p=1$NmE1MWZmZWU3ZDhjOTc5NQ$Wz66bXSgC+bi3zCArR1Qw9ig9z8LDc125vOh8hobLSk\"; },\n"
			     " { name = \"a\"; password = \"$argon2id$v=19$m=19456,t=2,p=1$NmE1MWZmZWU3ZDhjOTc5NQ$Wz66bXSgC+bi3zCArR1Qw9ig9z8LDc125vOh8hobLSk\"; }\n"
			     "); } );\n"),
		  3, "stores[0].users[1]: duplicate user \"a\" (first at line 2)");
	one_error(write_conf("sqlite-query.conf",
			     "stores = ( { type = \"sqlite\"; path = \"/x.db\";\n"
			     "  password_query = \"SELECT password FROM u WHERE name = :name\"; } );\n"),
		  1, "stores[0].password_query: the query must use :user");
	one_error(write_conf("long-tenant.conf",
			     "tenants: {\n max_length = 4;\n list = ( { name = \"abcde\"; require_authz = []; } );\n};\n"),
		  3, "tenants.list[0]: tenant name \"abcde\": longer than tenants.max_length");
	one_error(write_conf("bad-port.conf", "milter: { socket = \"inet:99999@127.0.0.1\"; };\n"),
		  1, "milter.socket: \"inet:99999@127.0.0.1\": port must be 1..65535");
	one_error(write_conf("empty-unix.conf", "auth: { dovecot_socket = \"unix:\"; };\n"),
		  1, "auth.dovecot_socket: \"unix:\": empty socket path");
	one_error(write_conf("nothing.conf", "milter: { enabled = false; };\nauth: { enabled = false; };\n"),
		  2, "milter.enabled and auth.enabled are both false");
	one_error(write_conf("no-auth-socket.conf",
			     "auth: {\n dovecot_socket = \"\";\n saslauthd_socket = \"\";\n};\n"),
		  2, "auth is enabled but auth.dovecot_socket and auth.saslauthd_socket are both empty");
	one_error(write_conf("no-mech.conf", "auth: { mechanisms = [ ]; };\n"),
		  1, "auth.mechanisms: at least one of PLAIN, LOGIN is needed");
	one_error(write_conf("no-user.conf", "user = \"no-such-user-rg-test\";\n"),
		  1, "user: no such user \"no-such-user-rg-test\"");
	one_error(write_conf("bad-mode.conf", "socket_mode = \"0999\";\n"),
		  1, "socket_mode: \"0999\" is not an octal mode");
	one_error(write_conf("same-socket.conf",
			     "auth: { dovecot_socket = \"/tmp/s\"; saslauthd_socket = \"unix:/tmp/s\"; };\n"),
		  1, "auth.dovecot_socket and auth.saslauthd_socket name the same socket /tmp/s");
	one_error(write_conf("bad-facility.conf", "syslog_facility = \"kern7\";\n"),
		  1, "syslog_facility: \"kern7\": unknown syslog facility");
	one_error(write_conf("not-group.conf", "tenants = 5;\n"),
		  1, "tenants: expected a group { ... }, got an integer");
	one_error(write_conf("list-item.conf", "milter: { require_auth = [ 1 ]; };\n"),
		  1, "milter.require_auth[0]: expected a string, got an integer");
	one_error(write_conf("wrong-key-type.conf",
			     "stores = ( { type = \"passwd-file\"; path = \"/x\"; busy_timeout_ms = 5; } );\n"),
		  1, "stores[0].busy_timeout_ms: not a key of a passwd-file store");

	/* an error in an included file names that file */
	write_conf("inc-bad.conf", "auth: {\n  hash_queue = \"many\";\n};\n");
	{
		char main_path[4096], inc_path[4096], *errors = NULL;
		snprintf(inc_path, sizeof(inc_path), "%s/inc-bad.conf", tmpdir);
		snprintf(main_path, sizeof(main_path), "%s",
			 write_conf("inc-main.conf", "# main\n@include \"inc-bad.conf\"\n"));
		ok(rg_config_load(main_path, &errors) == NULL, "include with a bad value is refused");
		ok(has_error(errors, inc_path, 2, "auth.hash_queue: expected an integer, got a string"),
		   "the error names the included file and its line");
		if (!has_error(errors, inc_path, 2, "auth.hash_queue"))
			diag("errors: %s", errors ? errors : "(none)");
		free(errors);
	}
}

static void test_print_keys(void)
{
	FILE *f = tmpfile();
	char line[1024];
	int n = 0, bad = 0;
	bool ttl = false, user_name = false, header = false, mode = false, path = false;

	rg_config_print_keys(f);
	rewind(f);
	while (fgets(line, sizeof(line), f)) {
		int tabs = 0;
		n++;
		for (char *p = line; *p; p++)
			tabs += *p == '\t';
		if (tabs != 4 || line[strlen(line) - 2] == '\t')
			bad++;
		ttl |= strcmp(line, "auth.cache.ttl\tint\t300\t0..86400\tseconds a verified password "
			      "is remembered (0 = no cache)\n") == 0;
		user_name |= strncmp(line, "stores[].users[].name\tstring\t(required)\t", 40) == 0;
		header |= strncmp(line, "tenants.header\tstring\t\"X-Tenant\"\t", 33) == 0;
		mode |= strncmp(line, "socket_mode\toctal mode\t\"0660\"\t0..0777\t", 38) == 0;
		path |= strncmp(line, "stores[].path\tstring\t(required)\t-\t[passwd-file, sqlite, "
				"vault stores, required]", 74) == 0;
	}
	fclose(f);
	ok(n > 60, "key table printed (%d keys)", n);
	is_int(bad, 0, "every key line has path, type, default, range and a description");
	ok(ttl, "auth.cache.ttl line");
	ok(user_name, "nested list key stores[].users[].name");
	ok(header, "tenants.header with its default");
	ok(mode, "socket_mode as octal");
	ok(path, "store keys say which store types they apply to");
}

/* ---- reference counting and the current snapshot ---------------------------- */

static int stop_readers;

static void *reader(void *arg)
{
	long *reads = arg;
	while (!__atomic_load_n(&stop_readers, __ATOMIC_RELAXED)) {
		struct rg_config *c = rg_config_current_get();
		if (c && c->tenants.header[0] == 'X')	/* touch the snapshot */
			__atomic_add_fetch(reads, 1, __ATOMIC_RELAXED);
		rg_config_release(c);
	}
	return NULL;
}

static void test_refcount(void)
{
	char *errors = NULL;
	struct rg_config *a = rg_config_load(fixture("good.conf"), &errors);
	struct rg_config *b = rg_config_load(fixture("empty.conf"), &errors);
	struct rg_config *held, *now;
	pthread_t th[2];
	long reads[2] = {0, 0};

	ok(a && b, "two snapshots loaded");
	if (!a || !b)
		return;
	ok(b->generation > a->generation, "generation grows with each load");
	is_int(a->refs, 1, "a fresh snapshot has one reference");
	rg_config_current_set(a);
	held = rg_config_current_get();
	ok(held == a, "current_get returns the current snapshot");
	is_int(a->refs, 2, "current_get took a reference");
	rg_config_current_set(b);
	is_int(a->refs, 1, "swapping dropped the current reference only");
	is_str(held->milter.socket, "inet:8891@127.0.0.1", "old snapshot still valid while held");
	is_str(held->tenants.list[1].name, "Open-Tenant", "old snapshot's lists still valid");
	now = rg_config_current_get();
	ok(now == b, "new requests get the new snapshot");
	rg_config_release(now);
	rg_config_release(held);	/* frees a (ASan would flag any later use) */

	/* readers acquire/release while the main thread swaps snapshots */
	pthread_create(&th[0], NULL, reader, &reads[0]);
	pthread_create(&th[1], NULL, reader, &reads[1]);
	/* at least 50 swaps, and on until both readers have read many snapshots */
	/* bounded by wall time, not by a count: on a loaded 2-core machine the
	 * readers may be scheduled rarely; yield so they get to run */
	time_t deadline = time(NULL) + 30;
	for (int i = 0; i < 50 || __atomic_load_n(&reads[0], __ATOMIC_RELAXED) < 200 ||
		     __atomic_load_n(&reads[1], __ATOMIC_RELAXED) < 200; i++) {
		if (time(NULL) > deadline)
			break;
		sched_yield();
		struct rg_config *n = rg_config_load(fixture(i % 2 ? "good.conf" : "empty.conf"),
						     &errors);
		if (n == NULL)
			break;
		rg_config_current_set(n);
	}
	__atomic_store_n(&stop_readers, 1, __ATOMIC_RELAXED);
	pthread_join(th[0], NULL);
	pthread_join(th[1], NULL);
	ok(reads[0] >= 200 && reads[1] >= 200, "readers saw valid snapshots during the swaps (%ld, %ld)", reads[0], reads[1]);
	now = rg_config_current_get();
	is_int(now->refs, 2, "after the swaps only current + our reference remain");
	rg_config_release(now);
	rg_config_current_set(NULL);	/* frees the last one */
	ok(rg_config_current_get() == NULL, "current cleared");
}

int main(void)
{
	srcdir = getenv("top_srcdir");
	if (srcdir == NULL)
		srcdir = ".";
	if (mkdtemp(tmpdir) == NULL) {
		printf("Bail out! mkdtemp failed\n");
		return 1;
	}
	test_good();
	test_defaults();
	test_error_classes();
	test_multi();
	test_more_errors();
	test_print_keys();
	test_refcount();
	{
		char cmd[600];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			diag("could not remove %s", tmpdir);
	}
	return done_testing();
}
