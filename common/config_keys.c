/*
 * config_keys.c — every configuration key, declared once: type, default,
 * range, where it lives in struct rg_config, and what it means.
 * The loader, the free routine and relayguard.conf(5) all read this table.
 */
#include <autoconfig.h>
#include "config_keys.h"
#include "config.h"
#include "log.h"
#include "authres.h"
#include "mailbox.h"

#include <stdlib.h>
#include <string.h>

/* ---- value lists ---------------------------------------------------------- */

static const struct rg_key_value tls_versions[] = {
	{"TLSv1", RG_TLS_1_0}, {"TLSv1.0", RG_TLS_1_0}, {"TLSv1.1", RG_TLS_1_1},
	{"TLSv1.2", RG_TLS_1_2}, {"TLSv1.3", RG_TLS_1_3}, {NULL, 0},
};
static const struct rg_key_value mechanisms[] = {
	{"PLAIN", RG_MECH_BIT(RG_MECH_PLAIN)}, {"LOGIN", RG_MECH_BIT(RG_MECH_LOGIN)}, {NULL, 0},
};
static const struct rg_key_value tenant_actions[] = {
	{"accept", RG_TENANT_ACCEPT}, {"reject", RG_TENANT_REJECT}, {NULL, 0},
};
static const struct rg_key_value tenant_missing_values[] = {
	{"accept", RG_MISSING_ACCEPT}, {"reject", RG_MISSING_REJECT},
	{"from_domain", RG_MISSING_FROM_DOMAIN},
	{"from_domain_or_reject", RG_MISSING_FROM_DOMAIN_OR_REJECT}, {NULL, 0},
};
static const struct rg_key_value uncorrelated_actions[] = {
	{"check_identity", RG_UNCORRELATED_CHECK_IDENTITY}, {"tempfail", RG_UNCORRELATED_TEMPFAIL},
	{NULL, 0},
};
static const char *check_unix_path(const char *path);
static const char *check_sender_grant(const char *grant);
static const char *check_tenant_domain(const char *d);
static const char *check_authserv_id(const char *id);

/* The one list of store type names (the parser, -K, the man page, logs, -n). */
static const struct rg_key_value log_logins_values[] = {
	{"all", RG_LOG_LOGINS_ALL}, {"failures", RG_LOG_LOGINS_FAILURES}, {NULL, 0},
};
static const struct rg_key_value log_verdicts_values[] = {
	{"all", RG_LOG_VERDICTS_ALL}, {"refusals", RG_LOG_VERDICTS_REFUSALS}, {NULL, 0},
};
static const struct rg_key_value log_formats[] = {
	{"kv", RG_LOG_FORMAT_KV}, {"json", RG_LOG_FORMAT_JSON}, {NULL, 0},
};
static const struct rg_key_value store_types[] = {
	{"static", RG_STORE_STATIC}, {"passwd-file", RG_STORE_PASSWD_FILE},
	{"sqlite", RG_STORE_SQLITE}, {"vault", RG_STORE_VAULT}, {"postgresql", RG_STORE_PGSQL},
	{NULL, 0},
};
_Static_assert(sizeof(store_types) / sizeof(store_types[0]) == RG_STORE_TYPES_END,
	       "store_types: one name per enum rg_store_type, then {NULL, 0}");

const char *rg_store_type_name(enum rg_store_type t)
{
	for (const struct rg_key_value *v = store_types; v->name; v++)
		if (v->value == (int)t)
			return v->name;
	return "?";
}

/* ---- key constructors ------------------------------------------------------ */

#define NO_RANGE .min = 0, .max = 0
#define K_BOOL(S, n, f, d, text) \
	{ .name = n, .type = RG_KEY_BOOL, .def_int = d, .offset = offsetof(S, f), .desc = text }
#define K_INT(S, n, f, d, lo, hi, text) \
	{ .name = n, .type = RG_KEY_INT, .def_int = d, .min = lo, .max = hi, \
	  .offset = offsetof(S, f), .desc = text }
#define K_STR(S, n, f, fl, d, chk, text) \
	{ .name = n, .type = RG_KEY_STRING, .flags = fl, .def_str = d, .check = chk, \
	  .offset = offsetof(S, f), .desc = text }
#define K_LIST(S, n, f, cnt, fl, chk, text) \
	{ .name = n, .type = RG_KEY_STRLIST, .flags = fl, .check = chk, \
	  .offset = offsetof(S, f), .count_offset = offsetof(S, cnt), .desc = text }
#define K_ENUM(S, n, f, fl, d, vals, text) \
	{ .name = n, .type = RG_KEY_ENUM, .flags = fl, .def_int = d, .values = vals, \
	  .offset = offsetof(S, f), .desc = text }
#define K_GROUP(n, tbl, text) \
	{ .name = n, .type = RG_KEY_GROUP, .sub = &tbl, .desc = text }
#define K_GLIST(S, n, f, cnt, fl, tbl, text) \
	{ .name = n, .type = RG_KEY_GROUP_LIST, .flags = fl, .sub = &tbl, \
	  .offset = offsetof(S, f), .count_offset = offsetof(S, cnt), .desc = text }
#define TABLE(p, arr) { .path = p, .keys = arr, .n_keys = sizeof(arr) / sizeof(arr[0]), \
	.name_offset = (size_t)-1 }
#define ENTRY_TABLE(p, arr, S) { .path = p, .keys = arr, .n_keys = sizeof(arr) / sizeof(arr[0]), \
	.elem_size = sizeof(S), .line_offset = offsetof(S, line), .name_offset = offsetof(S, name) }

#define C struct rg_config
#define ST(t) (1u << (t))

/* ---- milter ---------------------------------------------------------------- */

static const struct rg_key milter_keys[] = {
	K_BOOL(C, "enabled", milter.enabled, true, "run the milter front end"),
	K_STR(C, "socket", milter.socket, RG_KF_NONEMPTY, "unix:/run/relayguard/milter.sock",
	      rg_check_milter_socket,
	      "libmilter socket: unix:/path, local:/path, inet:PORT@HOST or inet6:PORT@HOST"),
	K_BOOL(C, "require_tls_for_auth", milter.require_tls_for_auth, true,
	       "refuse mail from a session that authenticated without TLS"),
	K_ENUM(C, "min_tls_version", milter.min_tls_version, 0, RG_TLS_1_2, tls_versions,
	       "weaker TLS ({tls_version}) counts as no TLS for AUTH purposes"),
	K_LIST(C, "require_auth", milter.require_auth, milter.n_require_auth, 0, rg_check_token,
	       "{daemon_name} values whose mail must be authenticated"),
	K_INT(C, "min_cipher_bits", milter.min_cipher_bits, 128, 0, 4096,
	      "a TLS session whose {cipher_bits} is below this counts as no TLS for AUTH purposes"),
	K_BOOL(C, "require_known_identity", milter.require_known_identity, true,
	       "at every MAIL FROM, {auth_authen} must still be an enabled user of the stores and, "
	       "when the login acted as it, the login must still be enabled and hold the act_as grant"),
	K_ENUM(C, "uncorrelated_auth", milter.uncorrelated_auth, 0, RG_UNCORRELATED_CHECK_IDENTITY,
	       uncorrelated_actions,
	       "an authenticated session whose login this process did not see (inet milter socket, "
	       "SASL service in another process): check_identity checks {auth_authen} alone unless "
	       "some login has acted as that identity (then tempfail); tempfail refuses them all "
	       "temporarily"),
	K_INT(C, "timeout", milter.timeout, 7210, 1, 86400,
	      "seconds to wait for the MTA (smfi_settimeout)"),
	K_ENUM(C, "log_verdicts", milter.log_verdicts, 0, RG_LOG_VERDICTS_ALL, log_verdicts_values,
	       "which milter verdicts get a log line: all, or refusals (rejected and temporarily "
	       "failed messages; accepted ones are still counted in the statistics)"),
	K_STR(C, "authserv_id", milter.authserv_id, 0, "", check_authserv_id,
	      "add \"Authentication-Results: ID; auth=pass smtp.auth=IDENTITY\" to accepted "
	      "authenticated mail and remove every such field claiming ID from all mail "
	      "(RFC 8601); a token such as this host's name; \"\" = off"),
};
static const struct rg_key_table milter_table = TABLE("milter", milter_keys);

/* ---- auth ------------------------------------------------------------------ */

static const struct rg_key cache_keys[] = {
	K_INT(C, "ttl", auth.cache.ttl, 300, 0, 86400,
	      "seconds a verified password is remembered (0 = no cache)"),
	K_INT(C, "negative_ttl", auth.cache.negative_ttl, 30, 0, 3600,
	      "seconds a failed password is remembered (0 = off)"),
	K_INT(C, "size", auth.cache.size, 10000, 0, 10000000,
	      "maximum positive entries (LRU)"),
	K_INT(C, "negative_size", auth.cache.negative_size, 1000, 0, 10000000,
	      "maximum negative entries (LRU)"),
};
static const struct rg_key_table cache_table = TABLE("auth.cache", cache_keys);

static const struct rg_key auth_keys[] = {
	K_BOOL(C, "enabled", auth.enabled, true, "run the SASL authentication service"),
	K_STR(C, "dovecot_socket", auth.dovecot_socket, 0, "/run/relayguard/auth",
	      rg_check_auth_socket,
	      "Dovecot auth protocol unix socket, /path or unix:/path (Postfix "
	      "smtpd_sasl_path); \"\" = off"),
	K_STR(C, "saslauthd_socket", auth.saslauthd_socket, 0, "/run/relayguard/mux",
	      rg_check_auth_socket,
	      "saslauthd protocol unix socket, /path or unix:/path (Cyrus SASL "
	      "saslauthd_path); \"\" = off"),
	{ .name = "mechanisms", .type = RG_KEY_FLAGS, .def_int = RG_MECH_BIT(RG_MECH_PLAIN) | RG_MECH_BIT(RG_MECH_LOGIN),
	  .values = mechanisms, .offset = offsetof(C, auth.mechanisms),
	  .desc = "SASL mechanisms offered (PLAIN, LOGIN)" },
	K_BOOL(C, "require_tls", auth.require_tls, true,
	       "refuse AUTH on a session the MTA says is not secured"),
	K_ENUM(C, "log_logins", auth.log_logins, 0, RG_LOG_LOGINS_ALL, log_logins_values,
	       "which login decisions get a log line: all, or failures (failed and temporarily "
	       "failed logins; successful ones are still counted in the statistics)"),
	K_INT(C, "hash_threads", auth.hash_threads, 0, 0, 256,
	      "password hashing threads (0 = one per core)"),
	K_INT(C, "hash_queue", auth.hash_queue, 64, 1, 65536,
	      "hashing requests waiting at most; beyond that answer a temporary failure"),
	K_INT(C, "failure_delay_ms", auth.failure_delay_ms, 2000, 0, 60000,
	      "delay before answering a failed login; grows on repeated failures"),
	K_INT(C, "max_failure_delay_ms", auth.max_failure_delay_ms, 15000, 0, 300000,
	      "upper bound of the growing failure delay"),
	K_INT(C, "lockout_failures", auth.lockout_failures, 0, 0, 1000000,
	      "failures of one user before a lockout (0 = no lockout)"),
	K_INT(C, "lockout_seconds", auth.lockout_seconds, 900, 1, 86400,
	      "length of a lockout"),
	K_INT(C, "penalty_table_size", auth.penalty_table_size, 16384, 16, 10000000,
	      "failure counters kept per table (remote addresses, users) and most users "
	      "locked out at once; a lock is never evicted (under 400 bytes per entry, "
	      "3 tables)"),
	K_INT(C, "max_connections", auth.max_connections, 1024, 1, 65536,
	      "concurrent client connections to the SASL service"),
	K_INT(C, "max_request_length", auth.max_request_length, 8192, 256, 65536,
	      "longest request line accepted, in bytes (applies to new connections)"),
	K_INT(C, "idle_timeout", auth.idle_timeout, 600, 1, 86400,
	      "seconds a Dovecot-protocol connection may stay silent before it is closed "
	      "(Postfix reconnects on its next AUTH); keep it above Postfix's smtpd_timeout"),
	K_INT(C, "request_timeout", auth.request_timeout, 10, 1, 3600,
	      "seconds a request may take to arrive once its first byte did (a Dovecot line; "
	      "a whole saslauthd request, counted from the connection)"),
	K_GROUP("cache", cache_table, "authentication cache"),
};
static const struct rg_key_table auth_table = TABLE("auth", auth_keys);

/* ---- passwords ------------------------------------------------------------- */

static const struct rg_key password_keys[] = {
	K_BOOL(C, "allow_plaintext", passwords.allow_plaintext, false,
	       "accept {PLAIN}/{CLEARTEXT} stored passwords (logged as weak)"),
	K_INT(C, "argon2_memory_kib", passwords.argon2_memory_kib, 19456, 8, 4194304,
	      "Argon2id memory for new hashes, KiB"),
	K_INT(C, "argon2_iterations", passwords.argon2_iterations, 2, 1, 1000,
	      "Argon2id iterations for new hashes"),
	K_INT(C, "max_argon2_memory_kib", passwords.max_argon2_memory_kib, 262144, 8, 4194304,
	      "largest Argon2 memory (m=, KiB) of a stored hash that is run; a hash over "
	      "any max_* limit is refused at load and by relayguard -n, and answered as a "
	      "temporary failure (\"stored hash exceeds limits\") if met at login"),
	K_INT(C, "max_argon2_iterations", passwords.max_argon2_iterations, 10, 1, 1000,
	      "largest Argon2 iteration count (t=) of a stored hash that is run"),
	K_INT(C, "max_scrypt_memory_kib", passwords.max_scrypt_memory_kib, 262144, 8, 4194304,
	      "largest scrypt/yescrypt memory (128*r*N, KiB) of a stored hash that is run"),
	K_INT(C, "max_scrypt_parallelism", passwords.max_scrypt_parallelism, 16, 1, 1024,
	      "largest scrypt/yescrypt p (and yescrypt time factor t) of a stored hash that is run"),
};
static const struct rg_key_table password_table = TABLE("passwords", password_keys);

/* ---- stores ---------------------------------------------------------------- */

#define U struct rg_static_user
static const struct rg_key user_keys[] = {
	K_STR(U, "name", name, RG_KF_REQUIRED | RG_KF_NONEMPTY, NULL, rg_check_identity,
	      "user (identity) name"),
	K_STR(U, "password", password, RG_KF_REQUIRED | RG_KF_NONEMPTY, NULL, NULL,
	      "stored password hash ($argon2id$..., $y$..., {SSHA512}...)"),
	K_BOOL(U, "enabled", enabled, true, "a disabled user can neither log in nor send"),
	K_LIST(U, "act_as", act_as, n_act_as, 0, rg_check_identity,
	       "identities this user may act as (SASL authorization id)"),
	K_LIST(U, "senders", senders, n_senders, 0, check_sender_grant,
	       "sender addresses this identity may use: user@domain, @domain (any user of the "
	       "domain) or * (any)"),
};
static const struct rg_key_table user_table = ENTRY_TABLE("stores[].users[]", user_keys, U);
#undef U

#define S struct rg_store_conf
static const struct rg_key store_keys[] = {
	{ .name = "type", .type = RG_KEY_ENUM, .flags = RG_KF_REQUIRED | RG_KF_SELECTOR,
	  .values = store_types, .offset = offsetof(S, type),
	  .desc = "store type: static, passwd-file, sqlite, vault or postgresql" },
	K_STR(S, "name", name, RG_KF_NONEMPTY, NULL, rg_check_token,
	      "label for logs (default: type:path, or the type)"),
	{ .name = "users", .type = RG_KEY_GROUP_LIST, .flags = RG_KF_REQUIRED, .sub = &user_table,
	  .offset = offsetof(S, users), .count_offset = offsetof(S, n_users),
	  .types = ST(RG_STORE_STATIC), .desc = "users of a static store" },
	{ .name = "path", .type = RG_KEY_STRING, .flags = RG_KF_REQUIRED | RG_KF_NONEMPTY,
	  .check = rg_check_path, .offset = offsetof(S, path),
	  .types = ST(RG_STORE_PASSWD_FILE) | ST(RG_STORE_SQLITE) | ST(RG_STORE_VAULT),
	  .desc = "passwd-file: user:hash[:...:extra] lines, each ending in a newline (replace "
		  "the file by rename; a 0-byte file is an error, a comment line alone means no "
		  "users); or the SQLite database (opened read-only); or vault: the secret's path "
		  "under the mount, with %u for the user name (\"smtp-auth/%u\")" },
	{ .name = "busy_timeout_ms", .type = RG_KEY_INT, .def_int = 1000, .min = 0, .max = 600000,
	  .offset = offsetof(S, busy_timeout_ms), .types = ST(RG_STORE_SQLITE),
	  .desc = "how long to wait for a locked database before a temporary failure" },
	{ .name = "conninfo", .type = RG_KEY_STRING, .flags = RG_KF_REQUIRED | RG_KF_NONEMPTY,
	  .offset = offsetof(S, conninfo), .types = ST(RG_STORE_PGSQL),
	  .desc = "postgresql: libpq connection string (\"host=db1,db2 dbname=mail user=relayguard "
		  "target_session_attrs=any\", or a postgresql:// URI); several hosts are tried in "
		  "order; a password in it is refused: use password_file" },
	{ .name = "password_file", .type = RG_KEY_STRING, .flags = RG_KF_NONEMPTY,
	  .check = rg_check_path, .offset = offsetof(S, password_file), .types = ST(RG_STORE_PGSQL),
	  .desc = "postgresql: file holding the database password (one line), read at each "
		  "connection (default: none, e.g. peer or certificate authentication)" },
	{ .name = "pool_size", .type = RG_KEY_INT, .def_int = 4, .min = 1, .max = 256,
	  .offset = offsetof(S, pool_size), .types = ST(RG_STORE_PGSQL),
	  .desc = "postgresql: connections shared by the hashing and milter threads; a lookup "
		  "waits for a free one at most query_timeout_ms" },
	{ .name = "query_timeout_ms", .type = RG_KEY_INT, .def_int = 2000, .min = 10, .max = 600000,
	  .offset = offsetof(S, query_timeout_ms), .types = ST(RG_STORE_PGSQL),
	  .desc = "postgresql: how long one lookup may wait for its answer; past it the "
		  "connection is dropped and the answer is a temporary failure (the server's "
		  "statement_timeout, set to the same value, ends the query)" },
	{ .name = "max_standby_lag_ms", .type = RG_KEY_INT, .def_int = 0, .min = 0, .max = 86400000,
	  .offset = offsetof(S, max_standby_lag_ms), .types = ST(RG_STORE_PGSQL),
	  .desc = "postgresql: on a standby, answer only while it lags the primary by at most "
		  "this (0 = any lag); a standby whose lag cannot be told (its WAL receiver is "
		  "not streaming, or the role may not read pg_stat_wal_receiver) is a temporary "
		  "failure too" },
	{ .name = "password_query", .type = RG_KEY_STRING, .flags = RG_KF_NONEMPTY,
	  .offset = offsetof(S, password_query), .types = ST(RG_STORE_SQLITE) | ST(RG_STORE_PGSQL),
	  .desc = "SQL with :user returning password [, enabled] (default: built-in schema)" },
	{ .name = "act_as_query", .type = RG_KEY_STRING, .flags = RG_KF_NONEMPTY,
	  .offset = offsetof(S, act_as_query), .types = ST(RG_STORE_SQLITE) | ST(RG_STORE_PGSQL),
	  .desc = "SQL with :user and :as; any row = allowed (default: built-in schema)" },
	{ .name = "tenant_query", .type = RG_KEY_STRING, .flags = RG_KF_NONEMPTY,
	  .offset = offsetof(S, tenant_query), .types = ST(RG_STORE_SQLITE) | ST(RG_STORE_PGSQL),
	  .desc = "SQL with :tenant; any row = tenant exists (default: built-in schema)" },
	{ .name = "tenant_authz_query", .type = RG_KEY_STRING, .flags = RG_KF_NONEMPTY,
	  .offset = offsetof(S, tenant_authz_query), .types = ST(RG_STORE_SQLITE) | ST(RG_STORE_PGSQL),
	  .desc = "SQL with :tenant and :user; any row = allowed (default: built-in schema)" },
	{ .name = "state_query", .type = RG_KEY_STRING, .flags = RG_KF_NONEMPTY,
	  .offset = offsetof(S, state_query), .types = ST(RG_STORE_SQLITE) | ST(RG_STORE_PGSQL),
	  .desc = "SQL with :user returning enabled, for the milter's identity checks, which "
		  "need no password (default: built-in schema; custom queries without it use "
		  "password_query and wipe the password)" },
	{ .name = "sender_query", .type = RG_KEY_STRING, .flags = RG_KF_NONEMPTY,
	  .offset = offsetof(S, sender_query), .types = ST(RG_STORE_SQLITE) | ST(RG_STORE_PGSQL),
	  .desc = "SQL with :user and :address (a normalized grant: user@domain, @domain or *); "
		  "any row = the identity holds it (default: built-in schema; custom queries "
		  "without it grant nothing)" },
	{ .name = "sender_owner_query", .type = RG_KEY_STRING, .flags = RG_KF_NONEMPTY,
	  .offset = offsetof(S, sender_owner_query), .types = ST(RG_STORE_SQLITE) | ST(RG_STORE_PGSQL),
	  .desc = "SQL with :address; any row = some identity holds the grant (for "
		  "senders.unauthenticated; default: built-in schema)" },
	{ .name = "tenant_domain_query", .type = RG_KEY_STRING, .flags = RG_KF_NONEMPTY,
	  .offset = offsetof(S, tenant_domain_query), .types = ST(RG_STORE_SQLITE) | ST(RG_STORE_PGSQL),
	  .desc = "SQL with :tenant and :domain (a domain, or *.parent); any row = the tenant "
		  "may use it (default: built-in schema)" },
	{ .name = "tenant_domains_query", .type = RG_KEY_STRING, .flags = RG_KF_NONEMPTY,
	  .offset = offsetof(S, tenant_domains_query), .types = ST(RG_STORE_SQLITE) | ST(RG_STORE_PGSQL),
	  .desc = "SQL with :tenant; any row = the tenant has allowed domains (none: any "
		  "domain; default: built-in schema)" },
	{ .name = "domain_tenant_query", .type = RG_KEY_STRING, .flags = RG_KF_NONEMPTY,
	  .offset = offsetof(S, domain_tenant_query), .types = ST(RG_STORE_SQLITE) | ST(RG_STORE_PGSQL),
	  .desc = "SQL with :domain (a domain, or *.parent) returning the tenants listing it, "
		  "for tenants.missing = from_domain (default: built-in schema)" },
#define VS(n, f, fl, d, text) \
	{ .name = n, .type = RG_KEY_STRING, .flags = fl, .def_str = d, .check = rg_check_path, \
	  .offset = offsetof(S, f), .types = ST(RG_STORE_VAULT), .desc = text }
#define VI(n, f, d, lo, hi, text) \
	{ .name = n, .type = RG_KEY_INT, .def_int = d, .min = lo, .max = hi, \
	  .offset = offsetof(S, f), .types = ST(RG_STORE_VAULT), .desc = text }
	VS("address", address, RG_KF_REQUIRED | RG_KF_NONEMPTY, NULL,
	   "vault: the server, https://host[:port] (plain http is refused)"),
	VS("mount", mount, RG_KF_NONEMPTY, "secret", "vault: mount of the KV version 2 engine"),
	VS("field", field, RG_KF_NONEMPTY, "password",
	   "vault: field of the secret holding the password hash (any scheme of passwords.*)"),
	VS("enabled_field", enabled_field, 0, "enabled",
	   "vault: field saying whether the user is enabled (true/false, or the strings "
	   "\"true\"/\"false\"/\"yes\"/\"no\"; absent = enabled; \"\" = not read)"),
	VS("act_as_field", act_as_field, 0, "act_as",
	   "vault: field listing identities the user may act as (a JSON list or \"a,b\"; "
	   "\"\" = not read)"),
	VS("senders_field", senders_field, 0, "senders",
	   "vault: field listing the identity's sender grants (user@domain, @domain, *; "
	   "\"\" = not read)"),
	VS("tenants_field", tenants_field, 0, "tenants",
	   "vault: field listing tenants the identity may use (tenants not in tenants.list; "
	   "\"\" = not read)"),
	VS("token_file", token_file, RG_KF_NONEMPTY, NULL,
	   "vault: file holding the token (re-read when it changes, as Vault Agent's sink "
	   "rewrites it); or use role_id_file and secret_id_file"),
	VS("role_id_file", role_id_file, RG_KF_NONEMPTY, NULL, "vault: AppRole role_id, from a file"),
	VS("secret_id_file", secret_id_file, RG_KF_NONEMPTY, NULL,
	   "vault: AppRole secret_id, from a file (re-read at each login)"),
	VS("approle_mount", approle_mount, RG_KF_NONEMPTY, "approle", "vault: mount of the AppRole auth method"),
	VS("ca_file", ca_file, RG_KF_NONEMPTY, NULL, "vault: CA certificates (PEM) to verify the server"),
	VS("cert_file", cert_file, RG_KF_NONEMPTY, NULL, "vault: client certificate (PEM), for TLS auth"),
	VS("key_file", key_file, RG_KF_NONEMPTY, NULL, "vault: the client certificate's key (PEM)"),
	VS("namespace", vault_namespace, 0, "", "vault: namespace (X-Vault-Namespace; \"\" = none)"),
	VI("connect_timeout_ms", connect_timeout_ms, 2000, 1, 60000,
	   "vault: connection and TLS handshake timeout"),
	VI("timeout_ms", timeout_ms, 5000, 1, 120000,
	   "vault: timeout of one request; past it the answer is a temporary failure"),
	VI("read_ttl_ms", read_ttl_ms, 0, 0, 3600000,
	   "vault: reuse a fetched secret (or a not-found) for this long; 0 = read on every "
	   "request, so a change in Vault is seen at once"),
#undef VS
#undef VI
};
static const struct rg_key_table store_table = ENTRY_TABLE("stores[]", store_keys, S);
#undef S

/* ---- tenants --------------------------------------------------------------- */

#define T struct rg_tenant
static const struct rg_key tenant_keys[] = {
	K_STR(T, "name", name, RG_KF_REQUIRED | RG_KF_NONEMPTY, NULL, NULL,
	      "tenant name (letters, digits, . _ -), compared case-insensitively"),
	K_STR(T, "egress_pool", egress_pool, RG_KF_NONEMPTY, NULL, rg_check_token,
	      "optional label of the tenant's outbound pool"),
	{ .name = "require_authz", .type = RG_KEY_STRLIST, .flags = RG_KF_PRESENT,
	  .check = rg_check_identity, .offset = offsetof(T, require_authz),
	  .count_offset = offsetof(T, n_require_authz),
	  .present_offset = offsetof(T, has_require_authz),
	  .desc = "identities admitted; without it every authenticated identity is" },
	K_LIST(T, "allowed_domains", allowed_domains, n_allowed_domains, 0, check_tenant_domain,
	       "domains the tenant's From: and envelope senders may use: \"acme.example\" "
	       "(exactly), \"*.acme.example\" (its subdomains); none = any (-n warns)"),
};
static const struct rg_key_table tenant_table = ENTRY_TABLE("tenants.list[]", tenant_keys, T);
#undef T

static const struct rg_key tenants_keys[] = {
	K_STR(C, "header", tenants.header, RG_KF_NONEMPTY, "X-Tenant", rg_check_header_name,
	      "header field naming the tenant"),
	K_BOOL(C, "remove_header", tenants.remove_header, false,
	       "strip the tenant header after the check"),
	K_STR(C, "add_header", tenants.add_header, 0, "", rg_check_opt_header_name,
	      "header field recording the verified tenant (\"\" = none)"),
	K_STR(C, "egress_header", tenants.egress_header, 0, "", rg_check_opt_header_name,
	      "header field carrying the verified tenant's egress_pool, for Postfix to route on "
	      "(milter_header_checks; relayguardctl postfix-egress-map); client copies are always "
	      "removed (\"\" = none)"),
	K_ENUM(C, "missing", tenants.missing, 0, RG_MISSING_ACCEPT, tenant_missing_values,
	       "message without the tenant header: accept, reject, or from_domain: an "
	       "authenticated message gets the tenant whose allowed_domains hold its From: "
	       "domain (the most specific entry; checked as if the header named it), else "
	       "accepted (from_domain_or_reject: refused)"),
	K_ENUM(C, "unknown", tenants.unknown, 0, RG_TENANT_REJECT, tenant_actions,
	       "tenant configured nowhere: accept or reject"),
	K_ENUM(C, "unauthenticated", tenants.unauthenticated, 0, RG_TENANT_REJECT, tenant_actions,
	       "tenant header on an unauthenticated session: accept or reject"),
	K_BOOL(C, "accept_repeated_same", tenants.accept_repeated_same, false,
	       "accept the header repeated with the same value (different values: always refused)"),
	K_INT(C, "max_length", tenants.max_length, 64, 1, 255,
	      "longest tenant name accepted"),
	K_GLIST(C, "list", tenants.list, tenants.n_list, 0, tenant_table, "configured tenants"),
};
static const struct rg_key_table tenants_table = TABLE("tenants", tenants_keys);

/* ---- shared_state ------------------------------------------------------------ */

static const struct rg_key_value shared_types[] = {
	{"none", RG_SHARED_NONE}, {"redis", RG_SHARED_REDIS}, {NULL, 0},
};
static const struct rg_key_value shared_on_error[] = {
	{"tempfail", RG_SHARED_ON_ERROR_TEMPFAIL}, {"local", RG_SHARED_ON_ERROR_LOCAL}, {NULL, 0},
};

static const char *check_redis_server(const char *v)
{
	if (strncmp(v, "unix:", 5) == 0)
		return v[5] == '/' ? NULL : "unix: needs an absolute path";
	const char *colon = strrchr(v, ':');
	if (colon == NULL || colon == v || colon[1] == '\0' || strspn(colon + 1, "0123456789") !=
	    strlen(colon + 1) || atoi(colon + 1) < 1 || atoi(colon + 1) > 65535)
		return "expected unix:/path or host:port";
	return NULL;
}

static const struct rg_key shared_state_keys[] = {
	K_ENUM(C, "type", shared_state.type, 0, RG_SHARED_NONE, shared_types,
	       "none: each relay keeps its own penalties, lockouts and guard counters; redis: "
	       "a fleet shares them"),
	K_LIST(C, "servers", shared_state.servers, shared_state.n_servers, 0, check_redis_server,
	       "Redis servers, \"unix:/path\" or \"host:port\", tried in order (Sentinels when "
	       "sentinel_master is set)"),
	K_STR(C, "sentinel_master", shared_state.sentinel_master, 0, "", rg_check_token,
	      "ask the servers (Sentinels) for this master's address (\"\" = servers are Redis "
	      "servers)"),
	K_INT(C, "connect_timeout_ms", shared_state.connect_timeout_ms, 200, 1, 60000,
	      "connection timeout per server"),
	K_INT(C, "timeout_ms", shared_state.timeout_ms, 200, 1, 60000,
	      "timeout of one request; past it the answer follows on_error"),
	K_STR(C, "key_prefix", shared_state.key_prefix, 0, "relayguard:", rg_check_token,
	      "prefix of every key relayguard writes"),
	K_STR(C, "secret_file", shared_state.secret_file, RG_KF_NONEMPTY, NULL, rg_check_path,
	      "the fleet's secret (the same file on every relay, at least 32 bytes): keys carry "
	      "a keyed MAC of the identity or address, never the text"),
	K_STR(C, "password_file", shared_state.password_file, 0, "", rg_check_path,
	      "Redis password (AUTH), from a file (\"\" = none)"),
	K_ENUM(C, "on_error", shared_state.on_error, 0, RG_SHARED_ON_ERROR_TEMPFAIL, shared_on_error,
	       "Redis down or slow: tempfail (logins 454 at Postfix, guarded mail 451), or local: "
	       "this relay's own counters until Redis answers again (logged at each change)"),
};
static const struct rg_key_table shared_state_table = TABLE("shared_state", shared_state_keys);

/* ---- guard ----------------------------------------------------------------- */

static const struct rg_key_value guard_actions[] = {
	{"hold", RG_GUARD_ACTION_HOLD}, {"tempfail", RG_GUARD_ACTION_TEMPFAIL},
	{"reject", RG_GUARD_ACTION_REJECT}, {NULL, 0},
};
static const struct rg_key_value guard_state_errors[] = {
	{"tempfail", RG_GUARD_STATE_TEMPFAIL}, {"accept", RG_GUARD_STATE_ACCEPT}, {NULL, 0},
};

/* "N/DURATION": N ≥ 1, DURATION a number of seconds with an optional unit s, m, h, d */
const char *rg_check_rate(const char *v)
{
	unsigned long n, w;
	return rg_parse_rate(v, &n, &w) ? NULL : "expected N/DURATION, as 100/1h or 1000/1d "
						 "(units s, m, h, d)";
}

const char *rg_check_opt_rate(const char *v)
{
	return v[0] == '\0' ? NULL : rg_check_rate(v);
}

bool rg_parse_rate(const char *v, unsigned long *n_r, unsigned long *window_r)
{
	unsigned long n = 0, w = 0, unit = 1;
	const char *p = v;

	if (*p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++)
		if ((n = n * 10 + (unsigned long)(*p - '0')) > 1000000000UL)
			return false;
	if (*p++ != '/' || *p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++)
		if ((w = w * 10 + (unsigned long)(*p - '0')) > 100000000UL)
			return false;
	switch (*p) {
	case 's': unit = 1; p++; break;
	case 'm': unit = 60; p++; break;
	case 'h': unit = 3600; p++; break;
	case 'd': unit = 86400; p++; break;
	default: break;
	}
	if (*p != '\0' || n == 0 || w == 0 || w * unit > 31 * 86400UL)
		return false;
	*n_r = n;
	*window_r = w * unit;
	return true;
}

#define G struct rg_guard_override
static const struct rg_key guard_override_keys[] = {
	K_STR(G, "name", name, RG_KF_REQUIRED | RG_KF_NONEMPTY, NULL, NULL,
	      "the identity (guard.identities) or tenant (guard.tenants)"),
	K_LIST(G, "messages", messages, n_messages, 0, rg_check_rate,
	       "message limits instead of guard.messages (identities); a tenant's own limits "
	       "over all its identities (tenants)"),
	K_LIST(G, "recipients", recipients, n_recipients, 0, rg_check_rate,
	       "recipient limits, as messages"),
	K_INT(G, "addresses", addresses, -1, -1, 100000,
	      "distinct client addresses instead of guard.addresses (-1: guard.addresses; "
	      "identities only)"),
};
static const struct rg_key_table guard_identity_table =
	ENTRY_TABLE("guard.identities[]", guard_override_keys, G);
static const struct rg_key_table guard_tenant_table =
	ENTRY_TABLE("guard.tenants[]", guard_override_keys, G);
#undef G

static const struct rg_key guard_keys[] = {
	K_BOOL(C, "enabled", guard.enabled, false,
	       "watch authenticated identities for a stolen account: client addresses, "
	       "messages, recipients, failed logins"),
	K_ENUM(C, "action", guard.action, 0, RG_GUARD_ACTION_HOLD, guard_actions,
	       "what a message over a limit gets: hold (the MTA's hold queue / quarantine, "
	       "with the reason), tempfail (451 4.7.1) or reject (550 5.7.1)"),
	K_LIST(C, "messages", guard.messages, guard.n_messages, 0, rg_check_rate,
	       "message limits per identity, each N/DURATION (\"100/1h\", \"1000/1d\"); at "
	       "most 4 windows"),
	K_LIST(C, "recipients", guard.recipients, guard.n_recipients, 0, rg_check_rate,
	       "recipient limits per identity (the milter then asks the MTA for each RCPT); at "
	       "most 4 windows"),
	K_INT(C, "addresses", guard.addresses, 0, 0, 100000,
	      "distinct client addresses (networks of ipv4_prefix / ipv6_prefix) an identity "
	      "may send from within addresses_window; 0 = not watched"),
	K_INT(C, "addresses_window", guard.addresses_window, 3600, 1, 31 * 86400,
	      "seconds for addresses"),
	K_INT(C, "ipv4_prefix", guard.ipv4_prefix, 32, 8, 32,
	      "IPv4 client addresses count as their /ipv4_prefix network"),
	K_INT(C, "ipv6_prefix", guard.ipv6_prefix, 64, 16, 128,
	      "IPv6 client addresses count as their /ipv6_prefix network"),
	K_STR(C, "failed_logins", guard.failed_logins, 0, "", rg_check_opt_rate,
	      "failed logins of an identity, N/DURATION, after which its messages get the "
	      "action (\"\" = not watched)"),
	K_INT(C, "suspend_after", guard.suspend_after, 0, 0, 100000,
	      "after this many guard actions for an identity within suspend_window, suspend "
	      "it: its logins fail and its sessions' next MAIL FROM gets 550 5.7.1 (0 = never)"),
	K_INT(C, "suspend_window", guard.suspend_window, 86400, 1, 31 * 86400,
	      "seconds for suspend_after"),
	K_INT(C, "suspend_seconds", guard.suspend_seconds, 0, 0, 365 * 86400,
	      "how long a suspension lasts (0 = until relayguardctl guard unsuspend)"),
	K_INT(C, "table_size", guard.table_size, 1000000, 1000, 100000000,
	      "counters kept in memory (44 bytes each plus a 4-byte index slot; 3 to 6 per "
	      "active identity, so 1,000,000 counters take 48 MB); a flood of "
	      "new names does not evict the counters of an identity being counted"),
	K_ENUM(C, "state_error", guard.state_error, 0, RG_GUARD_STATE_TEMPFAIL, guard_state_errors,
	       "when the counters cannot be read: tempfail (451 4.3.0) or accept (-n warns)"),
	K_GLIST(C, "identities", guard.identities, guard.n_identities, 0, guard_identity_table,
		"limits for named identities (a newsletter account)"),
	K_GLIST(C, "tenants", guard.tenants, guard.n_tenants, 0, guard_tenant_table,
		"limits for a tenant's messages, over all its identities"),
};
static const struct rg_key_table guard_table = TABLE("guard", guard_keys);

/* ---- senders --------------------------------------------------------------- */

static const struct rg_key_value null_sender_values[] = {
	{"allow", RG_NULL_SENDER_ALLOW}, {"reject", RG_NULL_SENDER_REJECT}, {NULL, 0},
};
static const struct rg_key_value unauth_sender_values[] = {
	{"allow", RG_UNAUTH_SENDER_ALLOW}, {"reject_owned", RG_UNAUTH_SENDER_REJECT_OWNED},
	{NULL, 0},
};
static const struct rg_key senders_keys[] = {
	K_BOOL(C, "check_envelope", senders.check_envelope, false,
	       "the envelope sender (MAIL FROM) of an authenticated session must be granted to "
	       "its identity (553 5.7.1 at MAIL FROM otherwise, as Postfix's "
	       "reject_authenticated_sender_login_mismatch)"),
	K_BOOL(C, "check_from", senders.check_from, false,
	       "the From: address of an authenticated session's message must be granted to its "
	       "identity (550 5.7.1 at end of headers); zero or several From: fields or "
	       "mailboxes are refused (550 5.6.0)"),
	K_BOOL(C, "check_sender_header", senders.check_sender_header, false,
	       "with check_from: a Sender: address must be granted too"),
	K_ENUM(C, "null_sender", senders.null_sender, 0, RG_NULL_SENDER_ALLOW, null_sender_values,
	       "MAIL FROM:<> on an authenticated session: allow (the From: check still applies) "
	       "or reject"),
	K_ENUM(C, "unauthenticated", senders.unauthenticated, 0, RG_UNAUTH_SENDER_ALLOW,
	       unauth_sender_values,
	       "an unauthenticated session using an envelope sender that some identity holds "
	       "(its address or its @domain): allow, or reject_owned (553 5.7.1, as Postfix's "
	       "reject_unauthenticated_sender_login_mismatch)"),
	K_STR(C, "recipient_delimiter", senders.recipient_delimiter, 0, "+", rg_check_delimiter,
	      "characters that start an address extension: user+ext@domain is also tried as "
	      "user@domain (\"\" = none)"),
};
static const struct rg_key_table senders_table = TABLE("senders", senders_keys);

/* ---- top level ------------------------------------------------------------- */

static const struct rg_key root_keys[] = {
	K_STR(C, "control_socket", control_socket, 0, "/run/relayguard/control", rg_check_path,
	      "unix socket for relayguardctl (stats, reload); \"\" = off"),
	K_STR(C, "pidfile", pidfile, 0, "/run/relayguard/relayguard.pid", rg_check_path,
	      "pid file; \"\" = none"),
	K_ENUM(C, "log_format", log_format, 0, RG_LOG_FORMAT_KV, log_formats,
	       "log lines as key=value text (kv) or as one JSON object each (json), with the "
	       "same fields; applied at start and on reload"),
	K_STR(C, "metrics_listen", metrics_listen, 0, "", rg_check_metrics_listen,
	      "serve GET /metrics (Prometheus) over HTTP: \"127.0.0.1:PORT\", \"[::1]:PORT\", "
	      "\"localhost:PORT\" or a unix socket path (mode 0600, like control_socket); "
	      "loopback only; \"\" = off"),
	K_STR(C, "user", user, 0, "", rg_check_token,
	      "drop privileges to this user after binding sockets (\"\" = stay)"),
	K_STR(C, "group", group, 0, "", rg_check_token,
	      "drop privileges to this group (\"\" = the user's primary group)"),
	K_STR(C, "socket_owner", socket_owner, 0, "", rg_check_token,
	      "owner of the SASL and milter unix sockets (\"\" = user, when set)"),
	K_STR(C, "socket_group", socket_group, 0, "", rg_check_token,
	      "group of the SASL and milter unix sockets (\"\" = group, or the user's primary "
	      "group, when user is set)"),
	{ .name = "socket_mode", .type = RG_KEY_MODE, .def_int = 0660, .min = 0, .max = 0777,
	  .offset = offsetof(C, socket_mode), .desc = "mode of the SASL and milter unix sockets (octal string; the control socket "
		   "is always 0600)" },
	K_STR(C, "syslog_facility", syslog_facility, RG_KF_NONEMPTY, "mail", rg_check_facility,
	      "syslog facility (mail, daemon, auth, local0..local7, ...)"),
	K_STR(C, "syslog_ident", syslog_ident, RG_KF_NONEMPTY, "relayguard", rg_check_token,
	      "syslog identity"),
	K_STR(C, "syslog_socket", syslog_socket, RG_KF_NONEMPTY, RG_SYSLOG_SOCKET, check_unix_path,
	      "the syslog daemon's datagram socket; when it is missing or refuses, lines are "
	      "dropped (counted in log.syslog_dropped) and the connection is retried at most once "
	      "per second"),
	K_GROUP("milter", milter_table, "the milter front end"),
	K_GROUP("auth", auth_table, "the SASL authentication service"),
	K_GROUP("passwords", password_table, "password schemes"),
	K_GLIST(C, "stores", stores, n_stores, 0, store_table,
		"credential stores, asked in order; the first that knows the user decides"),
	K_GROUP("tenants", tenants_table, "tenant header checks"),
	K_GROUP("guard", guard_table, "stolen-account guard"),
	K_GROUP("shared_state", shared_state_table, "counters shared by a fleet of relays"),
	K_GROUP("senders", senders_table, "sender address ownership"),
};
const struct rg_key_table rg_config_root_keys = TABLE("", root_keys);

/* ---- validators ------------------------------------------------------------ */

static bool has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

const char *rg_check_path(const char *path)
{
	if (strlen(path) >= 4096)
		return "path too long";
	if (has_ctl(path))
		return "control character in path";
	return NULL;
}

static const char *check_unix_path(const char *path)
{
	if (*path == '\0')
		return "empty socket path";
	if (strlen(path) >= 108)
		return "socket path longer than 107 bytes";
	return rg_check_path(path);
}

static const char *check_inet(const char *spec, bool v6)
{
	const char *at = strchr(spec, '@');
	const char *p = spec;
	long port = 0;

	if (*p < '0' || *p > '9')
		return "expected inet:PORT@HOST with a numeric port";
	for (; *p >= '0' && *p <= '9'; p++) {
		port = port * 10 + (*p - '0');
		if (port > 65535)
			break;
	}
	if (port < 1 || port > 65535)
		return "port must be 1..65535";
	if (*p != '\0' && p != at)
		return "expected inet:PORT@HOST with a numeric port";
	if (at) {
		const char *h = at + 1;
		if (*h == '\0')
			return "empty host after '@'";
		for (; *h; h++)
			if (!((*h >= 'a' && *h <= 'z') || (*h >= 'A' && *h <= 'Z') ||
			      (*h >= '0' && *h <= '9') || *h == '.' || *h == '-' ||
			      *h == '_' || (v6 && (*h == ':' || *h == '[' || *h == ']'))))
				return "bad character in host";
	}
	return NULL;
}

/* metrics_listen: "", a unix socket path, or HOST:PORT on loopback. */
const char *rg_check_metrics_listen(const char *spec)
{
	const char *colon;
	char host[64];

	if (*spec == '\0')
		return NULL;
	if (strncmp(spec, "unix:", 5) == 0)
		return check_unix_path(spec + 5);
	if (*spec == '/')
		return check_unix_path(spec);
	colon = strrchr(spec, ':');
	if (colon == NULL || colon == spec || (size_t)(colon - spec) >= sizeof(host))
		return "expected HOST:PORT (loopback) or a unix socket path";
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || colon[1] == '\0' || port < 1 || port > 65535)
		return "port must be 1..65535";
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = '\0';
	if (strcmp(host, "localhost") == 0 || strcmp(host, "[::1]") == 0)
		return NULL;
	unsigned a, b, c, d;
	char extra;
	if (sscanf(host, "%u.%u.%u.%u%c", &a, &b, &c, &d, &extra) == 4 && a == 127 && b < 256 &&
	    c < 256 && d < 256)
		return NULL;
	return "the metrics listener serves loopback only (127.0.0.0/8, [::1], localhost) or a "
	       "unix socket: put a reverse proxy in front to expose it";
}

const char *rg_check_milter_socket(const char *spec)
{
	if (strncmp(spec, "unix:", 5) == 0)
		return check_unix_path(spec + 5);
	if (strncmp(spec, "local:", 6) == 0)
		return check_unix_path(spec + 6);
	if (strncmp(spec, "inet:", 5) == 0)
		return check_inet(spec + 5, false);
	if (strncmp(spec, "inet6:", 6) == 0)
		return check_inet(spec + 6, true);
	return "expected unix:/path, local:/path, inet:PORT@HOST or inet6:PORT@HOST";
}

/* The SASL sockets are unix sockets: Postfix's smtpd_sasl_path and libsasl's
 * saslauthd_path are paths, and only a unix socket tells the service who
 * connected (peer credentials). */
const char *rg_check_auth_socket(const char *spec)
{
	if (*spec == '\0')
		return NULL;
	if (strncmp(spec, "unix:", 5) == 0)
		spec += 5;
	else if (strncmp(spec, "inet:", 5) == 0 || strncmp(spec, "inet6:", 6) == 0)
		return "the SASL sockets are unix sockets (Postfix smtpd_sasl_path and Cyrus "
		       "saslauthd_path are paths); TCP is not supported: write an absolute path";
	if (*spec != '/' && *spec != '\0')
		return "expected an absolute path (e.g. /run/relayguard/auth) or unix:/path";
	return check_unix_path(spec);
}

const char *rg_check_header_name(const char *name)
{
	size_t n = strlen(name);

	if (n == 0)
		return "empty header name";
	if (n > 76)
		return "header name longer than 76 characters";
	for (; *name; name++)
		if ((unsigned char)*name < 33 || (unsigned char)*name > 126 || *name == ':')
			return "not a valid header field name (printable ASCII, no space or colon)";
	return NULL;
}

const char *rg_check_opt_header_name(const char *name)
{
	return *name ? rg_check_header_name(name) : NULL;
}

const char *rg_check_facility(const char *name)
{
	return rg_log_facility(name) < 0 ?
		"unknown syslog facility (mail, daemon, auth, authpriv, user, local0..local7)" : NULL;
}

static const char *check_authserv_id(const char *id)
{
	return id[0] == '\0' ? NULL : rg_authres_id_problem(id);
}

static const char *check_tenant_domain(const char *d)
{
	char buf[RG_ADDR_MAX];
	const char *error;

	return rg_tenant_domain_normalize(d, buf, sizeof(buf), &error) ? NULL : error;
}

static const char *check_sender_grant(const char *grant)
{
	char buf[RG_ADDR_MAX];
	const char *error;

	return rg_sender_grant_normalize(grant, buf, sizeof(buf), &error) ? NULL : error;
}

const char *rg_check_delimiter(const char *d)
{
	for (; *d != '\0'; d++)
		if (*d == '@' || (unsigned char)*d <= ' ' || (unsigned char)*d >= 0x7f)
			return "delimiter characters must be printable, not '@' or space";
	return NULL;
}

const char *rg_check_identity(const char *name)
{
	if (*name == '\0')
		return "empty name";
	if (strlen(name) > 255)
		return "name longer than 255 bytes";
	if (has_ctl(name))
		return "control character in name";
	return NULL;
}

const char *rg_check_token(const char *name)
{
	if (strlen(name) > 255)
		return "longer than 255 bytes";
	for (; *name; name++)
		if ((unsigned char)*name < 33 || (unsigned char)*name > 126)
			return "only printable ASCII without spaces is allowed";
	return NULL;
}

/* ---- rg_config_print_keys: the table as text (for relayguard.conf(5)) ------- */

static void print_values(FILE *out, const struct rg_key_value *v, const char *sep)
{
	for (const struct rg_key_value *p = v; p->name; p++)
		fprintf(out, "%s%s", p == v ? "" : sep, p->name);
}

static const char *const type_names[] = {
	[RG_KEY_BOOL] = "bool", [RG_KEY_INT] = "int", [RG_KEY_STRING] = "string",
	[RG_KEY_STRLIST] = "string list", [RG_KEY_ENUM] = "enum", [RG_KEY_FLAGS] = "flags",
	[RG_KEY_MODE] = "octal mode", [RG_KEY_GROUP] = "group",
	[RG_KEY_GROUP_LIST] = "list of groups",
};

static void print_default(FILE *out, const struct rg_key *k)
{
	switch (k->type) {
	case RG_KEY_BOOL:
		fputs(k->def_int ? "true" : "false", out);
		break;
	case RG_KEY_INT:
		fprintf(out, "%lld", k->def_int);
		break;
	case RG_KEY_STRING:
		if (k->def_str)
			fprintf(out, "\"%s\"", k->def_str);
		else
			fputs(k->flags & RG_KF_REQUIRED ? "(required)" : "(unset)", out);
		break;
	case RG_KEY_ENUM: {
		const struct rg_key_value *v;
		if (k->flags & RG_KF_REQUIRED) {
			fputs("(required)", out);
			break;
		}
		for (v = k->values; v->name && v->value != k->def_int; v++)
			;
		fprintf(out, "\"%s\"", v->name ? v->name : "?");
		break;
	}
	case RG_KEY_FLAGS: {
		bool first = true;
		fputs("[", out);
		for (const struct rg_key_value *v = k->values; v->name; v++)
			if (k->def_int & v->value) {
				fprintf(out, "%s\"%s\"", first ? " " : ", ", v->name);
				first = false;
			}
		fputs(" ]", out);
		break;
	}
	case RG_KEY_MODE:
		fprintf(out, "\"0%llo\"", k->def_int);
		break;
	case RG_KEY_STRLIST:
		fputs(k->flags & RG_KF_PRESENT ? "(unset)" : "[ ]", out);
		break;
	case RG_KEY_GROUP:
		fputs("{ }", out);
		break;
	case RG_KEY_GROUP_LIST:
		fputs(k->flags & RG_KF_REQUIRED ? "(required)" : "( )", out);
		break;
	}
}

static void print_range(FILE *out, const struct rg_key *k)
{
	switch (k->type) {
	case RG_KEY_INT:
		fprintf(out, "%lld..%lld", k->min, k->max);
		break;
	case RG_KEY_MODE:
		fprintf(out, "%#llo..%#llo", k->min, k->max);
		break;
	case RG_KEY_ENUM:
	case RG_KEY_FLAGS:
		print_values(out, k->values, "|");
		break;
	default:
		fputs("-", out);
	}
}

static void print_table(FILE *out, const struct rg_key_table *t, const char *prefix)
{
	const struct rg_key *selector = NULL;

	for (size_t i = 0; i < t->n_keys; i++)
		if (t->keys[i].flags & RG_KF_SELECTOR)
			selector = &t->keys[i];
	for (size_t i = 0; i < t->n_keys; i++) {
		const struct rg_key *k = &t->keys[i];
		char path[256];

		snprintf(path, sizeof(path), "%s%s%s", prefix, k->name,
			 k->type == RG_KEY_GROUP_LIST ? "[]" : "");
		fprintf(out, "%s\t%s\t", path, type_names[k->type]);
		print_default(out, k);
		fputs("\t", out);
		print_range(out, k);
		fputs("\t", out);
		if (k->types && selector) {
			bool first = true;
			fputs("[", out);
			for (const struct rg_key_value *v = selector->values; v->name; v++)
				if (k->types & (1u << v->value)) {
					fprintf(out, "%s%s", first ? "" : ", ", v->name);
					first = false;
				}
			fputs(" stores", out);
			fputs(k->flags & RG_KF_REQUIRED ? ", required] " : "] ", out);
		} else if ((k->flags & RG_KF_REQUIRED) && k->type != RG_KEY_STRING &&
			   k->type != RG_KEY_ENUM) {
			fputs("(required) ", out);
		}
		fprintf(out, "%s\n", k->desc);
		if (k->type == RG_KEY_GROUP || k->type == RG_KEY_GROUP_LIST) {
			char sub[260];
			snprintf(sub, sizeof(sub), "%s.", path);
			print_table(out, k->sub, sub);
		}
	}
}

void rg_config_print_keys(FILE *out)
{
	print_table(out, &rg_config_root_keys, "");
}
