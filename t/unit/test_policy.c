/*
 * test_policy.c — the milter policy (common/policy.c), without libmilter.
 *
 * Part 1 drives the policy with a hand-built config and a lookup table
 * written here (the policy's injection point, used to produce every store
 * answer including errors).  Part 2 uses the real store chain
 * (rg_policy_store_lookups) over a real SQLite file made by the test, and a
 * real lock held on it for the store-error case.
 */
#include <autoconfig.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <string.h>

#include "mailbox.h"
#include "policy.h"
#include "sqlite_schema.h"
#include "store_testlib.h"
#include "t/tap.h"

/* ---- injected lookups: a few users and grants, or an error on demand ---- */

static bool fail_store;
static bool carol_enabled = true;	/* carol may act as erin (grant_carol_erin) */
static int calls_user, calls_tenant;

static enum rg_lookup fake_user_enabled(const struct rg_config *cfg, const char *user,
					bool *disabled_r, const char **error_r)
{
	(void)cfg;
	calls_user++;
	*disabled_r = false;
	if (fail_store) {
		*error_r = "injected failure";
		return RG_LOOKUP_ERROR;
	}
	if (strcmp(user, "alice") == 0 || strcmp(user, "erin") == 0 ||
	    (strcmp(user, "carol") == 0 && carol_enabled))
		return RG_LOOKUP_FOUND;
	if (strcmp(user, "bob") == 0) {
		*disabled_r = true;
		return RG_LOOKUP_NOTFOUND;
	}
	return RG_LOOKUP_NOTFOUND;
}

static enum rg_lookup fake_tenant_authz(const struct rg_config *cfg, const char *tenant,
					const char *user, bool *allowed_r, const char **error_r)
{
	(void)cfg;
	calls_tenant++;
	*allowed_r = false;
	if (fail_store) {
		*error_r = "injected failure";
		return RG_LOOKUP_ERROR;
	}
	if (strcasecmp(tenant, "acme") == 0) {
		*allowed_r = strcmp(user, "alice") == 0;
		return RG_LOOKUP_FOUND;
	}
	if (strcasecmp(tenant, "globex") == 0) {	/* grants erin only; must never leak */
		*allowed_r = strcmp(user, "erin") == 0;
		return RG_LOOKUP_FOUND;
	}
	if (strcasecmp(tenant, "hooli") == 0) {	/* as a vault user's tenants field: no domains kept */
		*allowed_r = strcmp(user, "alice") == 0;
		return RG_LOOKUP_FOUND;
	}
	return RG_LOOKUP_NOTFOUND;
}

/* mallory and carol may act as erin; nobody else may act as anyone */
static bool grant_mallory_erin = true, grant_carol_erin = true;
static enum rg_lookup fake_may_act_as(const struct rg_config *cfg, const char *authc,
				      const char *authz, const char **error_r)
{
	(void)cfg;
	if (fail_store) {
		*error_r = "injected failure";
		return RG_LOOKUP_ERROR;
	}
	if (strcmp(authz, "erin") != 0)
		return RG_LOOKUP_NOTFOUND;
	return (grant_mallory_erin && strcmp(authc, "mallory") == 0) ||
	       (grant_carol_erin && strcmp(authc, "carol") == 0) ? RG_LOOKUP_FOUND : RG_LOOKUP_NOTFOUND;
}

/* sender grants: alice holds alice@acme.example and @sales.acme.example;
 * erin holds * (any address); nobody else holds anything */
static bool fake_holds(const char *identity, const char *grant)
{
	if (strcmp(identity, "alice") == 0)
		return strcmp(grant, "alice@acme.example") == 0 ||
		       strcmp(grant, "@sales.acme.example") == 0;
	return strcmp(identity, "erin") == 0 && strcmp(grant, "*") == 0;
}

static const char *fake_delims = "+";
static enum rg_lookup fake_sender_owned(const struct rg_config *cfg, const char *identity,
					const char *addr, const char **error_r)
{
	char keys[RG_SENDER_KEYS][RG_ADDR_MAX];
	size_t n = rg_sender_keys(addr, cfg->senders.recipient_delimiter, true, keys);

	if (fail_store) {
		*error_r = "injected failure";
		return RG_LOOKUP_ERROR;
	}
	for (size_t i = 0; i < n; i++)
		if (fake_holds(identity, keys[i]))
			return RG_LOOKUP_FOUND;
	return RG_LOOKUP_NOTFOUND;
}

static enum rg_lookup fake_sender_has_owner(const struct rg_config *cfg, const char *addr,
					    const char **error_r)
{
	char keys[RG_SENDER_KEYS][RG_ADDR_MAX];
	size_t n = rg_sender_keys(addr, cfg->senders.recipient_delimiter, false, keys);

	if (fail_store) {
		*error_r = "injected failure";
		return RG_LOOKUP_ERROR;
	}
	for (size_t i = 0; i < n; i++)
		if (fake_holds("alice", keys[i]) || fake_holds("erin", keys[i]))
			return RG_LOOKUP_FOUND;
	return RG_LOOKUP_NOTFOUND;
}

/* acme: acme.example and its subdomains; globex: no domains (any) */
static enum rg_lookup fake_tenant_domain(const struct rg_config *cfg, const char *tenant,
					 const char *domain, bool *allowed_r, const char **error_r)
{
	(void)cfg;
	*allowed_r = false;
	if (fail_store) {
		*error_r = "injected failure";
		return RG_LOOKUP_ERROR;
	}
	if (strcasecmp(tenant, "acme") == 0) {
		*allowed_r = rg_tenant_domain_match("acme.example", domain) ||
			     rg_tenant_domain_match("*.acme.example", domain);
		return RG_LOOKUP_FOUND;
	}
	if (strcasecmp(tenant, "globex") == 0) {
		*allowed_r = true;
		return RG_LOOKUP_FOUND;
	}
	return RG_LOOKUP_NOTFOUND;
}

/* acme.example and its subdomains: acme; globex.example: globex; both.example:
 * two tenants (an error) */
static enum rg_lookup fake_domain_tenant(const struct rg_config *cfg, const char *domain,
					 char *out, size_t n, const char **error_r)
{
	(void)cfg;
	out[0] = '\0';
	if (fail_store || rg_tenant_domain_match("both.example", domain)) {
		*error_r = "injected failure";
		return RG_LOOKUP_ERROR;
	}
	if (rg_tenant_domain_match("acme.example", domain) ||
	    rg_tenant_domain_match("*.acme.example", domain)) {
		snprintf(out, n, "acme");
		return RG_LOOKUP_FOUND;
	}
	if (rg_tenant_domain_match("globex.example", domain)) {
		snprintf(out, n, "globex");
		return RG_LOOKUP_FOUND;
	}
	return RG_LOOKUP_NOTFOUND;
}

static const struct rg_policy_lookups fake = { fake_user_enabled, fake_tenant_authz,
					       fake_may_act_as, fake_sender_owned,
					       fake_sender_has_owner, fake_tenant_domain,
					       fake_domain_tenant };

static char *require_auth_list[] = { "submission" };

static void cfg_defaults(struct rg_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->milter.min_cipher_bits = 128;
	cfg->milter.enabled = true;
	cfg->milter.require_tls_for_auth = true;
	cfg->milter.min_tls_version = RG_TLS_1_2;
	cfg->milter.require_auth = require_auth_list;
	cfg->milter.n_require_auth = 1;
	cfg->milter.require_known_identity = true;
	cfg->tenants.header = "X-Tenant";
	cfg->tenants.add_header = "";
	cfg->tenants.missing = RG_MISSING_ACCEPT;
	cfg->tenants.unknown = RG_TENANT_REJECT;
	cfg->tenants.unauthenticated = RG_TENANT_REJECT;
	cfg->tenants.max_length = 64;
	cfg->senders.recipient_delimiter = (char *)fake_delims;
}

/* an authenticated TLSv1.3 session on the "smtpd" listener */
static void facts_auth(struct rg_facts *f, const char *who)
{
	memset(f, 0, sizeof(*f));
	f->client_addr = "192.0.2.1";
	f->daemon_name = "smtpd";
	f->connect_macros_seen = true;
	f->tls_version = "TLSv1.3";
	f->cipher = "TLS_AES_256_GCM_SHA384";
	f->mail_macros_seen = true;
	f->auth_type = "PLAIN";
	f->auth_authen = who;
}

static void facts_anon(struct rg_facts *f, const char *daemon)
{
	memset(f, 0, sizeof(*f));
	f->client_addr = "192.0.2.1";
	f->daemon_name = daemon;
	f->connect_macros_seen = true;
	f->mail_macros_seen = true;
}

#define VERDICT(v, act, code_, xcode_, reason_, what) do { \
	is_str(rg_action_str((v).action), rg_action_str(act), "%s: action", what); \
	is_str((v).code, code_, "%s: code", what); \
	is_str((v).xcode, xcode_, "%s: enhanced code", what); \
	is_str((v).reason, reason_, "%s: reason", what); } while (0)

static void test_tls_parse(void)
{
	is_int(rg_tls_version_parse("TLSv1.3"), RG_TLS_1_3, "TLSv1.3");
	is_int(rg_tls_version_parse("TLSv1.2"), RG_TLS_1_2, "TLSv1.2");
	is_int(rg_tls_version_parse("TLSv1.1"), RG_TLS_1_1, "TLSv1.1");
	is_int(rg_tls_version_parse("TLSv1"), RG_TLS_1_0, "TLSv1 (Postfix/OpenSSL spelling of 1.0)");
	is_int(rg_tls_version_parse("TLSv1.0"), RG_TLS_1_0, "TLSv1.0");
	is_int(rg_tls_version_parse("tlsv1.2"), RG_TLS_1_2, "case-insensitive");
	ok(rg_tls_version_parse("SSLv3") >= 0 && rg_tls_version_parse("SSLv3") < RG_TLS_1_0,
	   "SSLv3 parses below every TLS version");
	is_int(rg_tls_version_parse("TLSv1.4"), -1, "TLSv1.4 (no such version) is unknown, not above 1.3");
	is_int(rg_tls_version_parse("TLSv1.9"), -1, "TLSv1.9 is unknown");
	is_int(rg_tls_version_parse("TLSv1.2x"), -1, "trailing junk refused");
	is_int(rg_tls_version_parse(""), -1, "empty refused");
	is_int(rg_tls_version_parse(NULL), -1, "NULL refused");
	is_int(rg_tls_version_parse("TLSv12"), -1, "TLSv12 refused");
}

static void test_tls_sufficient(void)
{
	struct rg_config cfg;
	struct rg_facts f;

	cfg_defaults(&cfg);
	facts_auth(&f, "alice");
	ok(rg_policy_tls_sufficient(&cfg, &f), "TLSv1.3 >= TLSv1.2");
	f.tls_version = "TLSv1.2";
	ok(rg_policy_tls_sufficient(&cfg, &f), "TLSv1.2 >= TLSv1.2");
	f.tls_version = "TLSv1.1";
	ok(!rg_policy_tls_sufficient(&cfg, &f), "TLSv1.1 < TLSv1.2");
	f.tls_version = "SSLv3";
	ok(!rg_policy_tls_sufficient(&cfg, &f), "SSLv3 insufficient");
	f.tls_version = "QUIC-ish";
	ok(!rg_policy_tls_sufficient(&cfg, &f), "unparseable version insufficient");
	f.tls_version = "TLSv1.4";
	ok(!rg_policy_tls_sufficient(&cfg, &f), "unknown TLSv1.4 insufficient");
	f.tls_version = "TLSv1.3";
	cfg.milter.min_cipher_bits = 128;
	f.cipher_bits = "256";
	ok(rg_policy_tls_sufficient(&cfg, &f), "256-bit cipher >= 128");
	f.cipher_bits = "128";
	ok(rg_policy_tls_sufficient(&cfg, &f), "128-bit cipher >= 128");
	f.cipher_bits = "0";
	ok(!rg_policy_tls_sufficient(&cfg, &f), "{cipher_bits}=0 (NULL cipher) is not TLS");
	f.cipher_bits = "56";
	ok(!rg_policy_tls_sufficient(&cfg, &f), "56-bit cipher insufficient");
	f.cipher_bits = "12x";
	ok(!rg_policy_tls_sufficient(&cfg, &f), "non-numeric {cipher_bits} insufficient");
	f.cipher_bits = "";
	ok(!rg_policy_tls_sufficient(&cfg, &f), "empty {cipher_bits} insufficient");
	cfg.milter.min_cipher_bits = 0;
	f.cipher_bits = "0";
	ok(rg_policy_tls_sufficient(&cfg, &f), "min_cipher_bits = 0 admits a NULL cipher");
	cfg.milter.min_cipher_bits = 128;
	f.cipher_bits = NULL;
	ok(rg_policy_tls_sufficient(&cfg, &f), "no {cipher_bits} sent: the version decides");
	f.tls_version = NULL;
	ok(!rg_policy_tls_sufficient(&cfg, &f), "cipher without version: unknown version insufficient");
	cfg.milter.min_tls_version = RG_TLS_NONE;
	ok(rg_policy_tls_sufficient(&cfg, &f), "cipher alone is TLS when no minimum");
	f.cipher = NULL;
	ok(!rg_policy_tls_sufficient(&cfg, &f), "no macros: no TLS even without minimum");
	f.tls_version = "";
	f.cipher = "";
	ok(!rg_policy_tls_sufficient(&cfg, &f), "empty macros: no TLS");
}

/* The login behind the identity (act-as sessions), re-checked at MAIL FROM. */
static void test_mail_login(void)
{
	struct rg_config cfg;
	struct rg_facts f;
	struct rg_verdict v;

	cfg_defaults(&cfg);
	fail_store = false;
	grant_mallory_erin = true;

	facts_auth(&f, "erin");
	f.login_authc = "mallory";
	rg_policy_mail(&cfg, &fake, &f, &v);
	VERDICT(v, RG_REJECT, "550", "5.7.1", "login_unknown",
		"erin by mallory, mallory not an enabled user");

	facts_auth(&f, "erin");
	f.login_authc = "carol";
	rg_policy_mail(&cfg, &fake, &f, &v);
	VERDICT(v, RG_CONTINUE, NULL, NULL, "mail_ok", "erin by carol (enabled, granted)");
	grant_carol_erin = false;
	rg_policy_mail(&cfg, &fake, &f, &v);
	VERDICT(v, RG_REJECT, "550", "5.7.1", "act_as_revoked", "erin by carol after the grant is revoked");
	grant_carol_erin = true;
	carol_enabled = false;
	rg_policy_mail(&cfg, &fake, &f, &v);
	VERDICT(v, RG_REJECT, "550", "5.7.1", "login_unknown", "erin by carol after carol is deleted");
	carol_enabled = true;

	facts_auth(&f, "erin");
	f.login_authc = "alice";	/* enabled, but holds no grant */
	rg_policy_mail(&cfg, &fake, &f, &v);
	VERDICT(v, RG_REJECT, "550", "5.7.1", "act_as_revoked", "erin by alice without a grant");

	facts_auth(&f, "erin");
	f.login_authc = "bob";	/* disabled */
	rg_policy_mail(&cfg, &fake, &f, &v);
	VERDICT(v, RG_REJECT, "550", "5.7.1", "login_disabled", "erin by disabled bob");

	facts_auth(&f, "erin");
	f.login_authc = "erin";
	rg_policy_mail(&cfg, &fake, &f, &v);
	VERDICT(v, RG_CONTINUE, NULL, NULL, "mail_ok", "erin by erin");

	facts_auth(&f, "erin");
	f.login_authc = "bob";
	fail_store = true;
	rg_policy_mail(&cfg, &fake, &f, &v);
	VERDICT(v, RG_TEMPFAIL, "451", "4.7.1", "store_error", "store error: tempfail");
	fail_store = false;

	/* not tied to a login */
	facts_auth(&f, "erin");
	rg_policy_mail(&cfg, &fake, &f, &v);
	VERDICT(v, RG_CONTINUE, NULL, NULL, "mail_ok", "uncorrelated, nobody acted as erin: identity check");
	f.login_act_as_seen = true;
	rg_policy_mail(&cfg, &fake, &f, &v);
	VERDICT(v, RG_TEMPFAIL, "451", "4.7.1", "login_not_correlated",
		"uncorrelated, someone acted as erin: tempfail");
	f.login_act_as_seen = false;
	cfg.milter.uncorrelated_auth = RG_UNCORRELATED_TEMPFAIL;
	rg_policy_mail(&cfg, &fake, &f, &v);
	VERDICT(v, RG_TEMPFAIL, "451", "4.7.1", "login_not_correlated",
		"uncorrelated_auth = tempfail");
	cfg.milter.uncorrelated_auth = RG_UNCORRELATED_CHECK_IDENTITY;

	/* the identity itself is checked first */
	facts_auth(&f, "bob");
	f.login_authc = "mallory";
	rg_policy_mail(&cfg, &fake, &f, &v);
	VERDICT(v, RG_REJECT, "550", "5.7.1", "identity_disabled", "disabled identity, whoever logged in");
}

static void test_mail(void)
{
	struct rg_config cfg;
	struct rg_facts f;
	struct rg_verdict v;

	cfg_defaults(&cfg);
	fail_store = false;

	facts_auth(&f, "alice");
	rg_policy_mail(&cfg, &fake, &f, &v);
	VERDICT(v, RG_CONTINUE, NULL, NULL, "mail_ok", "alice over TLSv1.3");

	facts_auth(&f, "alice");
	f.mail_macros_seen = false;
	rg_policy_mail(&cfg, &fake, &f, &v);
	VERDICT(v, RG_TEMPFAIL, "451", "4.7.1", "mail_macros_missing", "no MAIL macros at all");

	facts_auth(&f, "alice");
	f.tls_version = NULL;
	f.cipher = NULL;
	rg_policy_mail(&cfg, &fake, &f, &v);
	VERDICT(v, RG_REJECT, "530", "5.7.0", "auth_without_tls", "AUTH without TLS");
	ok(strstr(v.text, "TLS") != NULL, "text mentions TLS: %s", v.text);

	facts_auth(&f, "alice");
	f.auth_type = NULL;	/* {auth_authen} alone still means AUTH happened */
	f.tls_version = NULL;
	f.cipher = NULL;
	rg_policy_mail(&cfg, &fake, &f, &v);
	VERDICT(v, RG_REJECT, "530", "5.7.0", "auth_without_tls", "auth_authen only, no TLS");

	facts_auth(&f, "alice");
	f.tls_version = "TLSv1.1";
	rg_policy_mail(&cfg, &fake, &f, &v);
	VERDICT(v, RG_REJECT, "530", "5.7.0", "auth_tls_too_weak", "AUTH over TLSv1.1");

	facts_auth(&f, "alice");
	f.tls_version = "TLSv1";
	rg_policy_mail(&cfg, &fake, &f, &v);
	VERDICT(v, RG_REJECT, "530", "5.7.0", "auth_tls_too_weak", "AUTH over TLSv1");

	cfg.milter.require_tls_for_auth = false;
	facts_auth(&f, "alice");
	f.tls_version = NULL;
	f.cipher = NULL;
	rg_policy_mail(&cfg, &fake, &f, &v);
	VERDICT(v, RG_CONTINUE, NULL, NULL, "mail_ok", "require_tls_for_auth off");
	cfg.milter.require_tls_for_auth = true;

	facts_anon(&f, "submission");
	rg_policy_mail(&cfg, &fake, &f, &v);
	VERDICT(v, RG_REJECT, "530", "5.7.0", "auth_required", "submission without AUTH");
	is_str(v.text, "Authentication required", "text");

	facts_anon(&f, "submission");
	f.auth_type = "";
	f.auth_authen = "";
	rg_policy_mail(&cfg, &fake, &f, &v);
	VERDICT(v, RG_REJECT, "530", "5.7.0", "auth_required", "empty auth macros are no AUTH");

	facts_anon(&f, "smtpd");
	rg_policy_mail(&cfg, &fake, &f, &v);
	VERDICT(v, RG_CONTINUE, NULL, NULL, "mail_ok", "port 25 listener without AUTH");

	facts_anon(&f, NULL);
	f.connect_macros_seen = false;
	rg_policy_mail(&cfg, &fake, &f, &v);
	VERDICT(v, RG_TEMPFAIL, "451", "4.7.1", "connect_macros_missing",
		"require_auth set, listener unknown");

	cfg.milter.n_require_auth = 0;
	rg_policy_mail(&cfg, &fake, &f, &v);
	VERDICT(v, RG_CONTINUE, NULL, NULL, "mail_ok", "no require_auth: listener does not matter");
	cfg.milter.n_require_auth = 1;

	facts_auth(&f, "bob");
	calls_user = 0;
	rg_policy_mail(&cfg, &fake, &f, &v);
	VERDICT(v, RG_REJECT, "550", "5.7.1", "identity_disabled", "disabled identity");
	is_int(calls_user, 1, "the store was asked");

	facts_auth(&f, "mallory");
	rg_policy_mail(&cfg, &fake, &f, &v);
	VERDICT(v, RG_REJECT, "550", "5.7.1", "identity_unknown", "unknown identity");

	facts_auth(&f, "alice");
	fail_store = true;
	rg_policy_mail(&cfg, &fake, &f, &v);
	VERDICT(v, RG_TEMPFAIL, "451", "4.7.1", "store_error", "store error");
	fail_store = false;

	facts_auth(&f, NULL);
	rg_policy_mail(&cfg, &fake, &f, &v);
	VERDICT(v, RG_TEMPFAIL, "451", "4.7.1", "auth_authen_missing", "{auth_type} without identity");

	cfg.milter.require_known_identity = false;
	facts_auth(&f, "mallory");
	calls_user = 0;
	rg_policy_mail(&cfg, &fake, &f, &v);
	VERDICT(v, RG_CONTINUE, NULL, NULL, "mail_ok", "require_known_identity off");
	is_int(calls_user, 0, "store not asked when off");
	cfg.milter.require_known_identity = true;

	facts_anon(&f, "smtpd");
	calls_user = 0;
	rg_policy_mail(&cfg, &fake, &f, &v);
	is_int(calls_user, 0, "no identity lookup for unauthenticated mail");
}

static void test_normalize(void)
{
	const char *why;
	char *s;
	char big[80];

#define NORM_OK(raw, want, what) do { s = rg_tenant_normalize(raw, strlen(raw), 64, &why); \
	is_str(s, want, what); free(s); } while (0)
#define NORM_BAD(raw, len, want, what) do { s = rg_tenant_normalize(raw, len, 64, &why); \
	ok(s == NULL, "%s: refused", what); is_str(why, want, "%s: reason", what); free(s); } while (0)

	NORM_OK("acme", "acme", "plain value");
	NORM_OK("  acme \t ", "acme", "trimmed");
	NORM_OK("\r\n\tacme", "acme", "folded before value (CRLF)");
	NORM_OK("\n acme\r\n ", "acme", "folded with LF (Postfix sends LF)");
	NORM_OK("Acme-Corp_2.eu+x@y", "Acme-Corp_2.eu+x@y", "all allowed characters");
	NORM_BAD("ac\r\n me", 7, "tenant_header_invalid", "fold inside the value");
	NORM_BAD("=?utf-8?q?acme?=", 16, "tenant_header_encoded_word", "encoded word");
	NORM_BAD(" =?UTF-8?B?YWNtZQ==?= ", 22, "tenant_header_encoded_word", "base64 encoded word");
	NORM_BAD("ac\0me", 5, "tenant_header_control_char", "NUL byte");
	NORM_BAD("ac\001me", 5, "tenant_header_control_char", "control byte");
	NORM_BAD("ac\177me", 5, "tenant_header_control_char", "DEL");
	NORM_BAD("acm\303\251", 5, "tenant_header_control_char", "non-ASCII");
	NORM_BAD("acme\nevil", 9, "tenant_header_control_char", "bare LF (not a fold)");
	NORM_BAD("acme\r", 5, "tenant_header_control_char", "bare CR");
	NORM_BAD("", 0, "tenant_header_empty", "empty");
	NORM_BAD(" \t \r\n ", 6, "tenant_header_empty", "only white space");
	NORM_BAD("a b", 3, "tenant_header_invalid", "inner space");
	NORM_BAD("acme;x", 6, "tenant_header_invalid", "semicolon");
	NORM_BAD("acme%s", 6, "tenant_header_invalid", "percent (reply text safety)");
	NORM_BAD("\"acme\"", 6, "tenant_header_invalid", "quotes");
	memset(big, 'a', 64);
	big[64] = '\0';
	NORM_OK(big, big, "64 characters accepted (max_length 64)");
	big[64] = 'a';
	big[65] = '\0';
	NORM_BAD(big, 65, "tenant_header_too_long", "65 characters refused");
}

/* run headers then EOH */
static void eoh(const struct rg_config *cfg, const struct rg_facts *f, const char *const *hdrs,
		struct rg_tenant_msg *m, struct rg_verdict *v, struct rg_header_edits *e)
{
	rg_tenant_msg_init(m);
	for (size_t i = 0; hdrs[i] != NULL; i += 2)
		rg_policy_header(cfg, m, hdrs[i], hdrs[i + 1], strlen(hdrs[i + 1]));
	rg_policy_eoh(cfg, &fake, f, m, v, e);
}

static void test_tenant(void)
{
	struct rg_config cfg;
	struct rg_facts f;
	struct rg_verdict v;
	struct rg_header_edits e;
	struct rg_tenant_msg m;

	cfg_defaults(&cfg);
	fail_store = false;
	facts_auth(&f, "alice");

	{
		const char *h[] = { "From", "a@b", "x-TENANT", " acme", NULL };
		eoh(&cfg, &f, h, &m, &v, &e);
		VERDICT(v, RG_ACCEPT, NULL, NULL, "tenant_authorized", "authorized, name case-insensitive");
		ok(!rg_header_edits_any(&e), "no edits configured, none planned");
		is_str(m.value, "acme", "tenant recorded for the log");
		rg_tenant_msg_clear(&m);
		ok(m.value == NULL && m.count == 0, "message state cleared");
	}
	{
		const char *h[] = { "X-Tenant", "globex", NULL };
		eoh(&cfg, &f, h, &m, &v, &e);
		VERDICT(v, RG_REJECT, "550", "5.7.1", "tenant_not_authorized", "not authorized");
		ok(strstr(v.text, "globex") != NULL, "text names the tenant: %s", v.text);
		ok(strstr(v.text, "erin") == NULL && strstr(v.text, "acme") == NULL,
		   "text names no other tenant or identity");
		ok(!rg_header_edits_any(&e), "no edits on a refusal");
		rg_tenant_msg_clear(&m);
	}
	{
		const char *h[] = { "X-Tenant", "initech", NULL };
		eoh(&cfg, &f, h, &m, &v, &e);
		VERDICT(v, RG_REJECT, "550", "5.7.1", "tenant_unknown", "unknown tenant, unknown=reject");
		rg_tenant_msg_clear(&m);
		cfg.tenants.unknown = RG_TENANT_ACCEPT;
		cfg.tenants.add_header = "X-Tenant-Verified";
		eoh(&cfg, &f, h, &m, &v, &e);
		VERDICT(v, RG_ACCEPT, NULL, NULL, "tenant_unknown_accepted", "unknown tenant, unknown=accept");
		ok(e.add_value == NULL, "an unknown tenant is never recorded as verified");
		rg_tenant_msg_clear(&m);
		cfg.tenants.unknown = RG_TENANT_REJECT;
		cfg.tenants.add_header = "";
	}
	{
		const char *h[] = { "Subject", "hi", NULL };
		eoh(&cfg, &f, h, &m, &v, &e);
		VERDICT(v, RG_ACCEPT, NULL, NULL, "no_tenant_header", "missing, missing=accept");
		rg_tenant_msg_clear(&m);
		cfg.tenants.missing = RG_MISSING_REJECT;
		eoh(&cfg, &f, h, &m, &v, &e);
		VERDICT(v, RG_REJECT, "550", "5.7.1", "tenant_header_missing", "missing, missing=reject");
		rg_tenant_msg_clear(&m);
		cfg.tenants.missing = RG_MISSING_ACCEPT;
	}
	{
		const char *h[] = { "X-Tenant", "acme", "X-Tenant", "ACME ", NULL };
		eoh(&cfg, &f, h, &m, &v, &e);
		VERDICT(v, RG_REJECT, "550", "5.7.1", "tenant_header_repeated",
			"same value twice, accept_repeated_same=false");
		rg_tenant_msg_clear(&m);
		cfg.tenants.accept_repeated_same = true;
		cfg.tenants.remove_header = true;
		eoh(&cfg, &f, h, &m, &v, &e);
		VERDICT(v, RG_ACCEPT, NULL, NULL, "tenant_authorized",
			"same value twice (case differs), accept_repeated_same=true");
		is_int(e.remove_tenant, 2, "remove_header removes both instances");
		rg_tenant_msg_clear(&m);
		cfg.tenants.remove_header = false;
	}
	{
		const char *h[] = { "X-Tenant", "acme", "X-Tenant", "globex", NULL };
		eoh(&cfg, &f, h, &m, &v, &e);
		VERDICT(v, RG_REJECT, "550", "5.7.1", "tenant_header_conflict",
			"different values, even with accept_repeated_same");
		ok(strstr(v.text, "globex") == NULL, "conflict text does not echo values");
		rg_tenant_msg_clear(&m);
		cfg.tenants.accept_repeated_same = false;
	}
	{
		const char *h[] = { "X-Tenant", "acme", "X-Tenant", "=?utf-8?q?acme?=", NULL };
		eoh(&cfg, &f, h, &m, &v, &e);
		VERDICT(v, RG_REJECT, "550", "5.7.1", "tenant_header_encoded_word",
			"a malformed second instance refuses the message");
		rg_tenant_msg_clear(&m);
	}
	{
		const char *h[] = { "X-Tenant", "\r\n acme\r\n\t", NULL };
		eoh(&cfg, &f, h, &m, &v, &e);
		VERDICT(v, RG_ACCEPT, NULL, NULL, "tenant_authorized", "folded header unfolded");
		rg_tenant_msg_clear(&m);
	}
	{
		struct rg_facts anon;
		const char *h[] = { "X-Tenant", "acme", NULL };
		facts_anon(&anon, "smtpd");
		eoh(&cfg, &anon, h, &m, &v, &e);
		VERDICT(v, RG_REJECT, "550", "5.7.1", "tenant_header_unauthenticated",
			"header on unauthenticated session");
		rg_tenant_msg_clear(&m);
		cfg.tenants.unauthenticated = RG_TENANT_ACCEPT;
		cfg.tenants.add_header = "X-Tenant-Verified";
		calls_tenant = 0;
		eoh(&cfg, &anon, h, &m, &v, &e);
		VERDICT(v, RG_ACCEPT, NULL, NULL, "tenant_unauthenticated_accepted",
			"unauthenticated=accept");
		ok(e.add_value == NULL, "unauthenticated tenant is not recorded as verified");
		is_int(calls_tenant, 0, "no authz lookup without identity");
		rg_tenant_msg_clear(&m);
		cfg.tenants.unauthenticated = RG_TENANT_REJECT;
		cfg.tenants.add_header = "";
	}
	{
		const char *h[] = { "X-Tenant", "acme", NULL };
		fail_store = true;
		eoh(&cfg, &f, h, &m, &v, &e);
		VERDICT(v, RG_TEMPFAIL, "451", "4.7.1", "store_error", "store error at EOH");
		fail_store = false;
		rg_tenant_msg_clear(&m);
	}
	{
		const char *h[] = { "X-Tenant", "acme", "X-Tenant-Verified", "globex",
				    "x-tenant-verified", "initech", NULL };
		cfg.tenants.add_header = "X-Tenant-Verified";
		cfg.tenants.remove_header = true;
		eoh(&cfg, &f, h, &m, &v, &e);
		VERDICT(v, RG_ACCEPT, NULL, NULL, "tenant_authorized", "authorized with edits");
		is_int(e.remove_tenant, 1, "tenant header removed");
		is_int(e.remove_added, 2, "client-supplied verified headers removed");
		is_str(e.add_value, "acme", "verified tenant added");
		rg_tenant_msg_clear(&m);
	}
	{
		const char *h[] = { "X-Tenant-Verified", "globex", NULL };
		eoh(&cfg, &f, h, &m, &v, &e);
		VERDICT(v, RG_ACCEPT, NULL, NULL, "no_tenant_header", "spoofed verified header only");
		is_int(e.remove_added, 1, "spoof removed even without a tenant header");
		ok(e.add_value == NULL, "nothing added");
		rg_tenant_msg_clear(&m);
		cfg.tenants.add_header = "";
		cfg.tenants.remove_header = false;
	}
	{
		const char *h[] = { "X-Tenant", "acme", NULL };
		cfg.tenants.header = "X-Customer";
		eoh(&cfg, &f, h, &m, &v, &e);
		VERDICT(v, RG_ACCEPT, NULL, NULL, "no_tenant_header", "header name from config");
		rg_tenant_msg_clear(&m);
		cfg.tenants.header = "X-Tenant";
		cfg.tenants.max_length = 3;
		eoh(&cfg, &f, h, &m, &v, &e);
		VERDICT(v, RG_REJECT, "550", "5.7.1", "tenant_header_too_long", "tenants.max_length");
		rg_tenant_msg_clear(&m);
		cfg.tenants.max_length = 64;
	}
}

/* ---- part 2: the real store chain over a real SQLite file ---- */

static void sql(sqlite3 *db, const char *s)
{
	char *err = NULL;
	if (sqlite3_exec(db, s, NULL, NULL, &err) != SQLITE_OK) {
		printf("Bail out! sqlite: %s: %s\n", s, err ? err : "?");
		exit(1);
	}
}

static void test_real_stores(void)
{
	struct tl_config *t;
	struct rg_tenant tenants[1];
	char *acme_authz[] = { "alice@example.org" };
	struct rg_facts f;
	struct rg_verdict v;
	struct rg_header_edits e;
	struct rg_tenant_msg m;
	sqlite3 *db;
	const char *path;
	const char *h_acme[] = { "X-Tenant", "acme", NULL };
	const char *h_db[] = { "X-Tenant", "dbtenant", NULL };

	tl_mkdir("policy");
	path = tl_path("auth.db");
	if (sqlite3_open(path, &db) != SQLITE_OK) {
		printf("Bail out! sqlite open\n");
		exit(1);
	}
	sql(db, rg_sqlite_schema_sql);	/* relayguardctl db init's schema */
	sql(db, "INSERT INTO users VALUES('alice@example.org','{SSHA512}x',1);"
		"INSERT INTO users VALUES('erin@example.org','{SSHA512}x',1);"
		"INSERT INTO users VALUES('bob@example.org','{SSHA512}x',0);"
		"INSERT INTO tenants VALUES('dbtenant');"
		"INSERT INTO tenant_authz VALUES('dbtenant','erin@example.org');");

	t = tl_config_new();
	cfg_defaults(&t->cfg);
	t->cfg.stores = t->confs;
	t->cfg.opened = t->opened;
	tl_add_store(t, RG_STORE_SQLITE, path);
	memset(tenants, 0, sizeof(tenants));
	tenants[0].name = "acme";
	tenants[0].require_authz = acme_authz;
	tenants[0].n_require_authz = 1;
	tenants[0].has_require_authz = true;
	t->cfg.tenants.list = tenants;
	t->cfg.tenants.n_list = 1;
	if (tl_open_all(t) != 0) {
		ok(0, "open the SQLite store");
		return;
	}

	facts_auth(&f, "alice@example.org");
	rg_policy_mail(&t->cfg, &rg_policy_store_lookups, &f, &v);
	VERDICT(v, RG_CONTINUE, NULL, NULL, "mail_ok", "sqlite: enabled user");
	facts_auth(&f, "bob@example.org");
	rg_policy_mail(&t->cfg, &rg_policy_store_lookups, &f, &v);
	VERDICT(v, RG_REJECT, "550", "5.7.1", "identity_disabled", "sqlite: disabled user");
	facts_auth(&f, "nobody@example.org");
	rg_policy_mail(&t->cfg, &rg_policy_store_lookups, &f, &v);
	VERDICT(v, RG_REJECT, "550", "5.7.1", "identity_unknown", "sqlite: unknown user");

	/* disabled after "login": the next MAIL FROM sees it */
	sql(db, "UPDATE users SET enabled = 0 WHERE name = 'erin@example.org'");
	facts_auth(&f, "erin@example.org");
	rg_policy_mail(&t->cfg, &rg_policy_store_lookups, &f, &v);
	VERDICT(v, RG_REJECT, "550", "5.7.1", "identity_disabled", "sqlite: disabled since login");
	sql(db, "UPDATE users SET enabled = 1 WHERE name = 'erin@example.org'");

	facts_auth(&f, "alice@example.org");
	rg_tenant_msg_init(&m);
	for (size_t i = 0; h_acme[i]; i += 2)
		rg_policy_header(&t->cfg, &m, h_acme[i], h_acme[i + 1], strlen(h_acme[i + 1]));
	rg_policy_eoh(&t->cfg, &rg_policy_store_lookups, &f, &m, &v, &e);
	VERDICT(v, RG_ACCEPT, NULL, NULL, "tenant_authorized", "config tenant, listed identity");
	rg_tenant_msg_clear(&m);

	facts_auth(&f, "erin@example.org");
	rg_tenant_msg_init(&m);
	rg_policy_header(&t->cfg, &m, "X-Tenant", "acme", 4);
	rg_policy_eoh(&t->cfg, &rg_policy_store_lookups, &f, &m, &v, &e);
	VERDICT(v, RG_REJECT, "550", "5.7.1", "tenant_not_authorized", "config tenant, unlisted identity");
	rg_tenant_msg_clear(&m);

	rg_tenant_msg_init(&m);
	rg_policy_header(&t->cfg, &m, h_db[0], h_db[1], strlen(h_db[1]));
	rg_policy_eoh(&t->cfg, &rg_policy_store_lookups, &f, &m, &v, &e);
	VERDICT(v, RG_ACCEPT, NULL, NULL, "tenant_authorized", "SQLite grant");
	rg_tenant_msg_clear(&m);

	facts_auth(&f, "alice@example.org");
	rg_tenant_msg_init(&m);
	rg_policy_header(&t->cfg, &m, "X-Tenant", "DBTENANT", 8);
	rg_policy_eoh(&t->cfg, &rg_policy_store_lookups, &f, &m, &v, &e);
	VERDICT(v, RG_REJECT, "550", "5.7.1", "tenant_not_authorized", "SQLite tenant, no grant");
	rg_tenant_msg_clear(&m);

	rg_tenant_msg_init(&m);
	rg_policy_header(&t->cfg, &m, "X-Tenant", "nowhere", 7);
	rg_policy_eoh(&t->cfg, &rg_policy_store_lookups, &f, &m, &v, &e);
	VERDICT(v, RG_REJECT, "550", "5.7.1", "tenant_unknown", "tenant in neither config nor SQLite");
	rg_tenant_msg_clear(&m);

	/* a writer holds the database exclusively: the read-only store cannot
	 * answer within busy_timeout_ms → tempfail, never accept or reject */
	sql(db, "BEGIN EXCLUSIVE; UPDATE users SET enabled = 1;");
	facts_auth(&f, "alice@example.org");
	rg_policy_mail(&t->cfg, &rg_policy_store_lookups, &f, &v);
	VERDICT(v, RG_TEMPFAIL, "451", "4.7.1", "store_error", "locked database at MAIL");
	rg_tenant_msg_init(&m);
	rg_policy_header(&t->cfg, &m, h_db[0], h_db[1], strlen(h_db[1]));
	rg_policy_eoh(&t->cfg, &rg_policy_store_lookups, &f, &m, &v, &e);
	VERDICT(v, RG_TEMPFAIL, "451", "4.7.1", "store_error", "locked database at EOH");
	rg_tenant_msg_clear(&m);
	sql(db, "COMMIT;");
	rg_policy_mail(&t->cfg, &rg_policy_store_lookups, &f, &v);
	VERDICT(v, RG_CONTINUE, NULL, NULL, "mail_ok", "lock released: answers again");

	tl_close_all(t);
	free(t);
	sqlite3_close(db);
}

/* MAIL FROM of who (NULL: unauthenticated) through rg_policy_mail and
 * rg_policy_mail_sender, as the milter calls them */
static struct rg_verdict mail_from(const struct rg_config *cfg, const char *who,
				   const char *arg)
{
	struct rg_facts f;
	struct rg_verdict v;

	if (who != NULL)
		facts_auth(&f, who);
	else
		facts_anon(&f, "smtpd");
	f.mail_from = arg;
	rg_policy_mail(cfg, &fake, &f, &v);
	rg_policy_mail_sender(cfg, &fake, &f, &v);
	return v;
}

static void test_mail_sender(void)
{
	struct rg_config cfg;
	struct rg_verdict v;

	cfg_defaults(&cfg);
	v = mail_from(&cfg, "alice", "<ceo@globex.example>");
	VERDICT(v, RG_CONTINUE, NULL, NULL, "mail_ok", "sender checks off: any envelope sender");

	cfg.senders.check_envelope = true;
	v = mail_from(&cfg, "alice", "<alice@acme.example>");
	VERDICT(v, RG_CONTINUE, NULL, NULL, "mail_ok", "alice sends as her own address");
	v = mail_from(&cfg, "alice", "<alice@ACME.Example>");
	VERDICT(v, RG_CONTINUE, NULL, NULL, "mail_ok", "the domain in another case");
	v = mail_from(&cfg, "alice", "<Alice@acme.example>");
	VERDICT(v, RG_REJECT, "553", "5.7.1", "sender_not_owned", "the local part in another case");
	is_str(v.text, "<Alice@acme.example>: Sender address rejected: not owned by user alice",
	       "  Postfix's reply text");
	v = mail_from(&cfg, "alice", "<alice+news@acme.example>");
	VERDICT(v, RG_CONTINUE, NULL, NULL, "mail_ok", "an extension (user+ext) is tried as user");
	cfg.senders.recipient_delimiter = "";
	v = mail_from(&cfg, "alice", "<alice+news@acme.example>");
	VERDICT(v, RG_REJECT, "553", "5.7.1", "sender_not_owned", "without a delimiter it is not");
	cfg.senders.recipient_delimiter = (char *)fake_delims;
	v = mail_from(&cfg, "alice", "<anyone@sales.acme.example>");
	VERDICT(v, RG_CONTINUE, NULL, NULL, "mail_ok", "an @domain grant covers the domain");
	v = mail_from(&cfg, "alice", "<anyone@eu.sales.acme.example>");
	VERDICT(v, RG_REJECT, "553", "5.7.1", "sender_not_owned", "... not its subdomains");
	v = mail_from(&cfg, "alice", "<ceo@globex.example>");
	VERDICT(v, RG_REJECT, "553", "5.7.1", "sender_not_owned", "a foreign address");
	v = mail_from(&cfg, "erin", "<ceo@globex.example>");
	VERDICT(v, RG_CONTINUE, NULL, NULL, "mail_ok", "erin holds *: any address");
	v = mail_from(&cfg, "alice", "<@relay.example:alice@acme.example>");
	VERDICT(v, RG_REJECT, "553", "5.7.1", "sender_malformed", "a source route is not owned");
	v = mail_from(&cfg, "alice", "<postmaster>");
	VERDICT(v, RG_REJECT, "553", "5.7.1", "sender_malformed", "an address without a domain");
	v = mail_from(&cfg, "alice", "<a%b\"@x.example>");
	ok(strchr(v.text, '%') == NULL, "a '%%' from the client never reaches the reply text: %s",
	   v.text);
	v = mail_from(&cfg, "alice", "<>");
	VERDICT(v, RG_CONTINUE, NULL, NULL, "mail_ok", "null sender allowed by default");
	cfg.senders.null_sender = RG_NULL_SENDER_REJECT;
	v = mail_from(&cfg, "alice", "<>");
	VERDICT(v, RG_REJECT, "553", "5.7.1", "null_sender", "null_sender = reject");
	cfg.senders.null_sender = RG_NULL_SENDER_ALLOW;
	fail_store = true;
	v = mail_from(&cfg, "alice", "<alice@acme.example>");
	fail_store = false;
	is_str(rg_action_str(v.action), "tempfail", "store error: tempfail, never a refusal");
	v = mail_from(&cfg, "bob", "<alice@acme.example>");
	VERDICT(v, RG_REJECT, "550", "5.7.1", "identity_disabled",
		"an earlier refusal stands (disabled identity)");

	/* unauthenticated sessions */
	v = mail_from(&cfg, NULL, "<alice@acme.example>");
	VERDICT(v, RG_CONTINUE, NULL, NULL, "mail_ok", "unauthenticated = allow: owned address passes");
	cfg.senders.unauthenticated = RG_UNAUTH_SENDER_REJECT_OWNED;
	v = mail_from(&cfg, NULL, "<alice@acme.example>");
	VERDICT(v, RG_REJECT, "553", "5.7.1", "sender_not_logged_in",
		"reject_owned: an owned address without login");
	is_str(v.text, "<alice@acme.example>: Sender address rejected: not logged in",
	       "  Postfix's reply text");
	v = mail_from(&cfg, NULL, "<x@sales.acme.example>");
	VERDICT(v, RG_REJECT, "553", "5.7.1", "sender_not_logged_in", "... an owned domain too");
	v = mail_from(&cfg, NULL, "<x@unowned.example>");
	VERDICT(v, RG_CONTINUE, NULL, NULL, "mail_ok", "... an * grant does not own every address");
	v = mail_from(&cfg, NULL, "<>");
	VERDICT(v, RG_CONTINUE, NULL, NULL, "mail_ok", "... the null sender is nobody's");
	fail_store = true;
	v = mail_from(&cfg, NULL, "<x@unowned.example>");
	fail_store = false;
	VERDICT(v, RG_TEMPFAIL, "451", "4.3.0", "sender_lookup_error", "... store error: 451 4.3.0");
}

/* end of headers for who with these header fields ("Name", "value" pairs) */
static struct rg_verdict eoh_sender(const struct rg_config *cfg, const char *who,
				    const char *const *hdrs, bool *display_at_r)
{
	struct rg_sender_msg m;
	struct rg_facts f;
	struct rg_verdict v;

	memset(&m, 0, sizeof(m));
	if (who != NULL)
		facts_auth(&f, who);
	else
		facts_anon(&f, "smtpd");
	for (size_t i = 0; hdrs[i] != NULL; i += 2)
		rg_policy_sender_header(cfg, &m, hdrs[i], hdrs[i + 1], strlen(hdrs[i + 1]));
	rg_policy_eoh_sender(cfg, &fake, &f, &m, &v);
	if (display_at_r != NULL)
		*display_at_r = m.display_has_at;
	rg_sender_msg_clear(&m);
	return v;
}

static void test_eoh_sender(void)
{
	struct rg_config cfg;
	struct rg_verdict v;
	bool at;

	cfg_defaults(&cfg);
	const char *foreign[] = { "From", "ceo@globex.example", NULL };
	v = eoh_sender(&cfg, "alice", foreign, NULL);
	VERDICT(v, RG_CONTINUE, NULL, NULL, "sender_ok", "check_from off: any From");
	cfg.senders.check_from = true;
	v = eoh_sender(&cfg, "alice", foreign, NULL);
	VERDICT(v, RG_REJECT, "550", "5.7.1", "from_not_owned", "From: a foreign address");
	is_str(v.text, "From: address <ceo@globex.example> not owned by user alice", "  text");
	const char *own[] = { "from", "Alice <alice@acme.example>", NULL };
	v = eoh_sender(&cfg, "alice", own, &at);
	VERDICT(v, RG_CONTINUE, NULL, NULL, "sender_ok", "From: her own address (any case of the name)");
	ok(!at, "  no address-like display name");
	const char *disguise[] = { "From", "\"ceo@globex.example\" <alice@acme.example>", NULL };
	v = eoh_sender(&cfg, "alice", disguise, &at);
	VERDICT(v, RG_CONTINUE, NULL, NULL, "sender_ok",
		"a display name that looks like a foreign address: allowed");
	ok(at, "  ... and flagged for the log");
	const char *reverse[] = { "From", "\"alice@acme.example\" <ceo@globex.example>", NULL };
	v = eoh_sender(&cfg, "alice", reverse, NULL);
	VERDICT(v, RG_REJECT, "550", "5.7.1", "from_not_owned",
		"her address as display name, a foreign one as address: refused");
	const char *none[] = { "Subject", "hi", NULL };
	v = eoh_sender(&cfg, "alice", none, NULL);
	VERDICT(v, RG_REJECT, "550", "5.6.0", "from_missing", "no From:");
	const char *two[] = { "From", "alice@acme.example", "From", "ceo@globex.example", NULL };
	v = eoh_sender(&cfg, "alice", two, NULL);
	VERDICT(v, RG_REJECT, "550", "5.6.0", "from_repeated", "two From: fields");
	const char *multi[] = { "From", "alice@acme.example, ceo@globex.example", NULL };
	v = eoh_sender(&cfg, "alice", multi, NULL);
	VERDICT(v, RG_REJECT, "550", "5.6.0", "from_multiple", "two mailboxes in one From:");
	const char *group[] = { "From", "Team: alice@acme.example, ceo@globex.example;", NULL };
	v = eoh_sender(&cfg, "alice", group, NULL);
	VERDICT(v, RG_REJECT, "550", "5.6.0", "from_multiple", "a group of two");
	const char *empty[] = { "From", "undisclosed-senders:;", NULL };
	v = eoh_sender(&cfg, "alice", empty, NULL);
	VERDICT(v, RG_REJECT, "550", "5.6.0", "from_empty", "an empty group");
	const char *route[] = { "From", "<@relay.example:alice@acme.example>", NULL };
	v = eoh_sender(&cfg, "alice", route, NULL);
	VERDICT(v, RG_REJECT, "550", "5.6.0", "from_malformed", "an obsolete route");
	const char *encoded[] = { "From", "=?utf-8?q?alice=40acme.example?= <ceo@globex.example>",
				  NULL };
	v = eoh_sender(&cfg, "alice", encoded, NULL);
	VERDICT(v, RG_REJECT, "550", "5.7.1", "from_not_owned",
		"an encoded word in the display name is never the address");
	const char *sender_foreign[] = { "From", "alice@acme.example", "Sender", "ceo@globex.example",
					 NULL };
	v = eoh_sender(&cfg, "alice", sender_foreign, NULL);
	VERDICT(v, RG_CONTINUE, NULL, NULL, "sender_ok", "Sender: not checked by default");
	cfg.senders.check_sender_header = true;
	v = eoh_sender(&cfg, "alice", sender_foreign, NULL);
	VERDICT(v, RG_REJECT, "550", "5.7.1", "sender_header_not_owned",
		"check_sender_header: a foreign Sender:");
	const char *sender_own[] = { "From", "ceo@globex.example", "Sender", "alice@acme.example",
				     NULL };
	v = eoh_sender(&cfg, "alice", sender_own, NULL);
	VERDICT(v, RG_REJECT, "550", "5.7.1", "from_not_owned",
		"<ceo@...> in From: with an owned Sender: is still refused");
	v = eoh_sender(&cfg, NULL, foreign, NULL);
	VERDICT(v, RG_CONTINUE, NULL, NULL, "sender_ok", "unauthenticated: From: not checked");
	fail_store = true;
	v = eoh_sender(&cfg, "alice", own, NULL);
	fail_store = false;
	VERDICT(v, RG_TEMPFAIL, "451", "4.3.0", "sender_lookup_error", "store error: 451 4.3.0");
}

/* The real chain: a SQLite database made before the senders table existed
 * (sender lookups fail temporarily, naming the fix; the rest works), then the
 * table added as db init adds it, and a passwd-file whose grant counts too. */
static void test_real_senders(void)
{
	struct tl_config *t;
	struct rg_facts f;
	struct rg_verdict v;
	sqlite3 *db;
	const char *path, *pf, *err = NULL;

	tl_mkdir("senders");
	path = tl_path("old.db");
	pf = tl_path("users");
	if (sqlite3_open(path, &db) != SQLITE_OK) {
		printf("Bail out! sqlite open\n");
		exit(1);
	}
	/* the schema of 0.1: no senders table */
	sql(db, "CREATE TABLE users(name TEXT PRIMARY KEY NOT NULL, password TEXT NOT NULL, "
		"enabled INTEGER NOT NULL DEFAULT 1);"
		"CREATE TABLE act_as(identity TEXT NOT NULL, as_identity TEXT NOT NULL, "
		"PRIMARY KEY(identity, as_identity));"
		"CREATE TABLE tenants(name TEXT PRIMARY KEY NOT NULL COLLATE NOCASE);"
		"CREATE TABLE tenant_authz(tenant TEXT NOT NULL COLLATE NOCASE, "
		"identity TEXT NOT NULL, PRIMARY KEY(tenant, identity));"
		"INSERT INTO users VALUES('alice','{SSHA512}x',1);");
	tl_write(pf, "alice:{SSHA512}x:::::: relayguard_senders=alice@Files.Example,@team.example\n");

	t = tl_config_new();
	cfg_defaults(&t->cfg);
	t->cfg.stores = t->confs;
	t->cfg.opened = t->opened;
	t->cfg.senders.check_envelope = true;
	tl_add_store(t, RG_STORE_SQLITE, path);
	tl_add_store(t, RG_STORE_PASSWD_FILE, pf);
	if (tl_open_all(t) != 0) {
		ok(0, "a database without the senders table still opens");
		free(t);
		sqlite3_close(db);
		return;
	}
	ok(t->opened[0] != NULL, "a database without the senders table still opens");
	facts_auth(&f, "alice");
	f.mail_from = "<alice@files.example>";
	rg_policy_mail(&t->cfg, &rg_policy_store_lookups, &f, &v);
	VERDICT(v, RG_CONTINUE, NULL, NULL, "mail_ok", "identity checks work without it");
	rg_policy_mail_sender(&t->cfg, &rg_policy_store_lookups, &f, &v);
	VERDICT(v, RG_CONTINUE, NULL, NULL, "mail_ok",
		"the passwd-file's grant is enough though the SQLite store cannot answer");
	is_int(rg_stores_sender_owned(&t->cfg, "alice", "x@nowhere.example", &err), RG_LOOKUP_ERROR,
	       "an address no store grants, one store unable to answer: error, not \"not owned\"");
	ok(err != NULL && tl_contains(err, "relayguardctl db init"), "  the error names the fix: %s",
	   err ? err : "-");
	f.mail_from = "<x@nowhere.example>";
	rg_policy_mail(&t->cfg, &rg_policy_store_lookups, &f, &v);
	rg_policy_mail_sender(&t->cfg, &rg_policy_store_lookups, &f, &v);
	VERDICT(v, RG_TEMPFAIL, "451", "4.3.0", "sender_lookup_error", "  ... 451 4.3.0 at MAIL FROM");

	/* what db init does to it: the store sees the new table at its next
	 * connect (the file changed under it: a new inode after a rewrite, or
	 * here a reopen) */
	sql(db, rg_sqlite_schema_sql);
	sql(db, "INSERT INTO senders VALUES('alice','x@nowhere.example')");
	tl_close_all(t);
	if (tl_open_all(t) != 0) {
		ok(0, "reopen after db init");
		free(t);
		sqlite3_close(db);
		return;
	}
	f.mail_from = "<x@nowhere.example>";
	rg_policy_mail(&t->cfg, &rg_policy_store_lookups, &f, &v);
	rg_policy_mail_sender(&t->cfg, &rg_policy_store_lookups, &f, &v);
	VERDICT(v, RG_CONTINUE, NULL, NULL, "mail_ok", "after db init: the SQLite grant counts");
	f.mail_from = "<bob@team.example>";
	rg_policy_mail_sender(&t->cfg, &rg_policy_store_lookups, &f, &v);
	VERDICT(v, RG_CONTINUE, NULL, NULL, "mail_ok", "... and the passwd-file's @domain grant");
	f.mail_from = "<x@other.example>";
	rg_policy_mail_sender(&t->cfg, &rg_policy_store_lookups, &f, &v);
	VERDICT(v, RG_REJECT, "553", "5.7.1", "sender_not_owned", "... an address neither grants");
	sql(db, "DELETE FROM senders");
	f.mail_from = "<x@nowhere.example>";
	rg_policy_mail_sender(&t->cfg, &rg_policy_store_lookups, &f, &v);
	VERDICT(v, RG_REJECT, "553", "5.7.1", "sender_not_owned",
		"a grant deleted: the next lookup sees it (memo by file version)");
	tl_close_all(t);
	free(t);
	sqlite3_close(db);
}

/* the milter's end of headers: tenant, then the tenant's domains */
static char last_added[64];	/* the verified tenant header eoh_domains planned */
static struct rg_verdict eoh_domains(const struct rg_config *cfg, const char *who,
				     const char *mail_from, const char *const *hdrs,
				     struct rg_header_edits *e)
{
	struct rg_sender_msg sm;
	struct rg_tenant_msg tm;
	struct rg_facts f;
	struct rg_verdict v;

	memset(&sm, 0, sizeof(sm));
	memset(&v, 0, sizeof(v));
	v.action = RG_CONTINUE;
	rg_tenant_msg_init(&tm);
	if (who != NULL)
		facts_auth(&f, who);
	else
		facts_anon(&f, "smtpd");
	f.mail_from = mail_from;
	for (size_t i = 0; hdrs[i] != NULL; i += 2) {
		rg_policy_header(cfg, &tm, hdrs[i], hdrs[i + 1], strlen(hdrs[i + 1]));
		rg_policy_sender_header(cfg, &sm, hdrs[i], hdrs[i + 1], strlen(hdrs[i + 1]));
	}
	/* the milter's order at end of headers */
	rg_policy_tenant_from_domain(cfg, &fake, &f, &sm, &tm, &v);
	if (v.action == RG_CONTINUE) {
		rg_policy_eoh(cfg, &fake, &f, &tm, &v, e);
		rg_policy_tenant_domains(cfg, &fake, &f, &tm, &sm, &v, e);
	}
	snprintf(last_added, sizeof(last_added), "%s",
		 v.action == RG_ACCEPT && e->add_value ? e->add_value : "");
	rg_tenant_msg_clear(&tm);
	rg_sender_msg_clear(&sm);
	return v;
}

static void test_tenant_from_domain(void)
{
	struct rg_config cfg;
	struct rg_verdict v;
	struct rg_header_edits e;

	cfg_defaults(&cfg);
	cfg.tenants.add_header = "X-Tenant-Verified";
	cfg.tenants.missing = RG_MISSING_FROM_DOMAIN;
	const char *acme[] = { "From", "Alice <a@eu.acme.example>", NULL };
	v = eoh_domains(&cfg, "alice", "<a@acme.example>", acme, &e);
	VERDICT(v, RG_ACCEPT, NULL, NULL, "tenant_authorized",
		"from_domain: no header, From: in acme's domains: acme, checked and authorized");
	is_str(last_added, "acme", "  the verified tenant header says acme");
	v = eoh_domains(&cfg, "erin", "<>", acme, &e);
	VERDICT(v, RG_REJECT, "550", "5.7.1", "tenant_not_authorized",
		"from_domain: an identity acme does not admit");
	is_str(v.text, "Sender is not authorized for tenant acme (the tenant of the From: domain)",
	       "  text");
	v = eoh_domains(&cfg, "alice", "<x@globex.example>", acme, &e);
	VERDICT(v, RG_REJECT, "550", "5.7.1", "tenant_domain_not_allowed",
		"from_domain: the envelope sender's domain is still checked against the tenant");
	const char *globex[] = { "From", "ceo@globex.example", NULL };
	v = eoh_domains(&cfg, "erin", "<>", globex, &e);
	VERDICT(v, RG_ACCEPT, NULL, NULL, "tenant_authorized", "from_domain: globex for erin");
	is_str(last_added, "globex", "  the verified tenant header says globex");
	const char *hdr[] = { "From", "a@acme.example", "X-Tenant", "globex", NULL };
	v = eoh_domains(&cfg, "erin", "<>", hdr, &e);
	VERDICT(v, RG_ACCEPT, NULL, NULL, "tenant_authorized",
		"from_domain: a header present decides, not the From: domain (acme would refuse erin)");
	is_str(last_added, "globex", "  the verified tenant is the header's");
	const char *other[] = { "From", "x@other.example", NULL };
	v = eoh_domains(&cfg, "alice", "<>", other, &e);
	VERDICT(v, RG_ACCEPT, NULL, NULL, "no_tenant_header",
		"from_domain: a domain no tenant lists: accepted without a tenant");
	is_str(last_added, "", "  and no verified tenant header");
	const char *two[] = { "From", "a@acme.example, b@acme.example", NULL };
	v = eoh_domains(&cfg, "alice", "<>", two, &e);
	VERDICT(v, RG_ACCEPT, NULL, NULL, "no_tenant_header",
		"from_domain: no single From: address: no tenant derived");
	v = eoh_domains(&cfg, NULL, "<>", acme, &e);
	VERDICT(v, RG_ACCEPT, NULL, NULL, "no_tenant_header",
		"from_domain: an unauthenticated session gets no tenant");
	const char *both[] = { "From", "x@both.example", NULL };
	v = eoh_domains(&cfg, "alice", "<>", both, &e);
	is_str(rg_action_str(v.action), "tempfail",
	       "from_domain: a domain two tenants claim, or a store error: a temporary failure");
	cfg.tenants.missing = RG_MISSING_FROM_DOMAIN_OR_REJECT;
	v = eoh_domains(&cfg, "alice", "<>", other, &e);
	VERDICT(v, RG_REJECT, "550", "5.7.1", "tenant_header_missing",
		"from_domain_or_reject: no tenant for the domain: refused");
	v = eoh_domains(&cfg, "alice", "<a@acme.example>", acme, &e);
	VERDICT(v, RG_ACCEPT, NULL, NULL, "tenant_authorized",
		"from_domain_or_reject: acme's domain: acme");
	cfg.tenants.missing = RG_MISSING_ACCEPT;
	v = eoh_domains(&cfg, "erin", "<>", acme, &e);
	VERDICT(v, RG_ACCEPT, NULL, NULL, "no_tenant_header",
		"missing = accept: the From: domain derives nothing");
}

static void test_tenant_domains(void)
{
	struct rg_config cfg;
	struct rg_verdict v;
	struct rg_header_edits e;

	cfg_defaults(&cfg);
	cfg.tenants.add_header = "X-Tenant-Verified";
	const char *own[] = { "From", "a@acme.example", "X-Tenant", "acme", NULL };
	v = eoh_domains(&cfg, "alice", "<a@acme.example>", own, &e);
	VERDICT(v, RG_ACCEPT, NULL, NULL, "tenant_authorized", "acme mail from acme.example");
	ok(e.add_value != NULL, "  the verified tenant header is added");
	const char *sub[] = { "From", "a@eu.Acme.Example", "X-Tenant", "acme", NULL };
	v = eoh_domains(&cfg, "alice", "<>", sub, &e);
	VERDICT(v, RG_ACCEPT, NULL, NULL, "tenant_authorized",
		"a subdomain via *.acme.example, the null envelope sender");
	const char *foreign[] = { "From", "ceo@globex.example", "X-Tenant", "acme", NULL };
	v = eoh_domains(&cfg, "alice", "<a@acme.example>", foreign, &e);
	VERDICT(v, RG_REJECT, "550", "5.7.1", "tenant_domain_not_allowed",
		"acme mail with a globex From:");
	is_str(v.text, "From: domain globex.example is not a domain of tenant acme", "  text");
	ok(!rg_header_edits_any(&e), "  no header edits on the refusal");
	v = eoh_domains(&cfg, "alice", "<x@globex.example>", own, &e);
	VERDICT(v, RG_REJECT, "550", "5.7.1", "tenant_domain_not_allowed",
		"acme mail with a globex envelope sender");
	const char *lookalike[] = { "From", "a@evilacme.example", "X-Tenant", "acme", NULL };
	v = eoh_domains(&cfg, "alice", "<>", lookalike, &e);
	VERDICT(v, RG_REJECT, "550", "5.7.1", "tenant_domain_not_allowed",
		"evilacme.example is not a subdomain of acme.example");
	const char *twofrom[] = { "From", "a@acme.example", "From", "b@acme.example",
				  "X-Tenant", "acme", NULL };
	v = eoh_domains(&cfg, "alice", "<>", twofrom, &e);
	VERDICT(v, RG_REJECT, "550", "5.6.0", "tenant_from_unusable", "two From: fields");
	const char *nofrom_open[] = { "X-Tenant", "globex", NULL };
	v = eoh_domains(&cfg, "erin", "<>", nofrom_open, &e);
	VERDICT(v, RG_ACCEPT, NULL, NULL, "tenant_authorized",
		"no From: for a tenant without domains: nothing to check");
	const char *erin[] = { "From", "x@anything.example", "X-Tenant", "globex", NULL };
	v = eoh_domains(&cfg, "erin", "<y@other.example>", erin, &e);
	VERDICT(v, RG_ACCEPT, NULL, NULL, "tenant_authorized", "a tenant without domains: any");
	const char *nodomains[] = { "From", "x@anything.example", "X-Tenant", "hooli", NULL };
	v = eoh_domains(&cfg, "alice", "<y@other.example>", nodomains, &e);
	VERDICT(v, RG_ACCEPT, NULL, NULL, "tenant_authorized",
		"a tenant no store keeps domains for (authorized by a vault user's list): any");
	const char *nodomains_nofrom[] = { "X-Tenant", "hooli", NULL };
	v = eoh_domains(&cfg, "alice", "<>", nodomains_nofrom, &e);
	VERDICT(v, RG_ACCEPT, NULL, NULL, "tenant_authorized", "  and no From: is needed for it");
	const char *notenant[] = { "From", "ceo@globex.example", NULL };
	v = eoh_domains(&cfg, "alice", "<>", notenant, &e);
	VERDICT(v, RG_ACCEPT, NULL, NULL, "no_tenant_header", "no tenant header: no domain check");
	fail_store = true;
	v = eoh_domains(&cfg, "alice", "<a@acme.example>", own, &e);
	fail_store = false;
	is_str(rg_action_str(v.action), "tempfail", "store error: a temporary failure");
}

static void test_egress(void)
{
	struct rg_config cfg;
	struct rg_facts f;
	struct rg_verdict v;
	struct rg_header_edits e;
	struct rg_tenant_msg m;
	struct rg_tenant list[1];

	cfg_defaults(&cfg);
	memset(list, 0, sizeof(list));
	list[0].name = "acme";
	list[0].egress_pool = "pool-1";
	cfg.tenants.list = list;
	cfg.tenants.n_list = 1;
	cfg.tenants.egress_header = "X-Egress-Pool";
	facts_auth(&f, "alice");
	const char *h[] = { "X-Tenant", "acme", "x-egress-pool", "pool-2", NULL };
	eoh(&cfg, &f, h, &m, &v, &e);
	VERDICT(v, RG_ACCEPT, NULL, NULL, "tenant_authorized", "egress: acme authorized");
	is_str(e.egress_value, "pool-1", "  the verified tenant's pool is written");
	is_int(e.remove_egress, 1, "  the client's copy (any case) is removed");
	ok(rg_header_edits_any(&e), "  edits planned");
	rg_tenant_msg_clear(&m);
	facts_anon(&f, "smtpd");
	const char *h2[] = { "X-Egress-Pool", "pool-1", NULL };
	eoh(&cfg, &f, h2, &m, &v, &e);
	VERDICT(v, RG_ACCEPT, NULL, NULL, "no_tenant_header", "egress: unauthenticated, no tenant");
	ok(e.egress_value == NULL && e.remove_egress == 1,
	   "  a client's egress header is removed and none written");
	rg_tenant_msg_clear(&m);
	cfg.tenants.egress_header = "";
	facts_auth(&f, "alice");
	eoh(&cfg, &f, h, &m, &v, &e);
	ok(e.egress_value == NULL && e.remove_egress == 0, "egress_header off: nothing planned");
	rg_tenant_msg_clear(&m);
}

int main(void)
{
	test_tls_parse();
	test_tls_sufficient();
	test_mail();
	test_mail_login();
	test_normalize();
	test_tenant();
	test_real_stores();
	test_mail_sender();
	test_eoh_sender();
	test_real_senders();
	test_tenant_domains();
	test_tenant_from_domain();
	test_egress();
	return done_testing();
}
