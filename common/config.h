/*
 * config.h — relayguard's configuration snapshot.
 *
 * A struct rg_config is immutable once rg_config_load() returns it.  It is
 * reference counted: every request (an auth request, a milter connection)
 * takes a reference with rg_config_acquire() at its start and drops it with
 * rg_config_release() at its end, so a reload can swap the current snapshot
 * (rg_config_current_set) while requests in flight keep the old one.
 *
 * Every key, with its type, default and allowed range, is declared once, in
 * config_keys.c; the loader, `relayguard -n` and the man page use that table.
 */
#ifndef RG_CONFIG_H
#define RG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "nameindex.h"

struct rg_store;		/* backends/store.h */

/* Store types: their names are in config_keys.c's table (rg_store_type_name),
 * their code in backends/store.c's registry; a new type is a row in each. */
enum rg_store_type {
	RG_STORE_STATIC = 1,
	RG_STORE_PASSWD_FILE,
	RG_STORE_SQLITE,
	RG_STORE_VAULT,
	RG_STORE_PGSQL,
	RG_STORE_TYPES_END	/* not a type: one past the last */
};

/* "static", "passwd-file", "sqlite", "vault", "postgresql"; "?" for anything else. */
const char *rg_store_type_name(enum rg_store_type t);

struct rg_static_user {
	char *name;
	char *password;		/* stored hash (scheme-prefixed) */
	bool enabled;
	char **act_as;		/* identities this user may act as (SASL authzid) */
	size_t n_act_as;
	char **senders;		/* sender grants: user@domain, @domain, * (common/mailbox.h) */
	size_t n_senders;
	int line;		/* config line, for messages */
};

struct rg_store_conf {
	enum rg_store_type type;
	char *name;		/* label for logs; defaults to the type */
	int line;
	/* static */
	struct rg_static_user *users;
	size_t n_users;
	/* passwd-file, sqlite */
	char *path;
	/* sqlite */
	int busy_timeout_ms;
	/* postgresql (and the query keys below) */
	char *conninfo;		/* libpq connection string, without the password */
	char *password_file;	/* the password, read at each connect; NULL = none */
	int pool_size, query_timeout_ms, max_standby_lag_ms;
	char *password_query;	/* :user → password [, enabled] */
	char *act_as_query;	/* :user, :as → any row = allowed */
	char *tenant_query;	/* :tenant → any row = tenant exists */
	char *tenant_authz_query; /* :tenant, :user → any row = allowed */
	char *state_query;	/* :user → enabled (no password read) */
	char *sender_query;	/* :user, :address → any row = the grant exists */
	char *sender_owner_query; /* :address → any row = some identity holds the grant */
	char *tenant_domain_query; /* :tenant, :domain → any row = the domain is the tenant's */
	char *tenant_domains_query; /* :tenant → any row = the tenant has domains at all */
	char *domain_tenant_query; /* :domain → the tenants listing that entry */
	/* vault (KV version 2 over HTTPS); path is the secret's path template */
	char *address;		/* https://host:port */
	char *mount;		/* the KV v2 engine's mount */
	char *field;		/* field holding the password hash */
	char *enabled_field, *act_as_field, *senders_field, *tenants_field; /* "" = unused */
	char *token_file;	/* a token (e.g. Vault Agent's sink), re-read when it changes */
	char *role_id_file, *secret_id_file, *approle_mount; /* AppRole login instead */
	char *ca_file, *cert_file, *key_file;
	char *vault_namespace;	/* X-Vault-Namespace, "" = none */
	int connect_timeout_ms, timeout_ms, read_ttl_ms;
};

/* guard.identities[] / guard.tenants[]: limits for one identity or tenant */
struct rg_guard_override {
	char *name;
	char **messages;	/* none given: guard.messages (identities), none (tenants) */
	size_t n_messages;
	char **recipients;
	size_t n_recipients;
	int addresses;		/* -1: guard.addresses */
	int line;
};

enum rg_shared_state_type { RG_SHARED_NONE = 0, RG_SHARED_REDIS };
enum rg_shared_state_on_error { RG_SHARED_ON_ERROR_TEMPFAIL = 0, RG_SHARED_ON_ERROR_LOCAL };

/* Windows per guard limit list (guard.messages, guard.recipients, the
 * overrides'): a message's counts must fit one counters batch. */
#define RG_GUARD_MAX_RATES 4

enum rg_guard_action { RG_GUARD_ACTION_HOLD = 0, RG_GUARD_ACTION_TEMPFAIL, RG_GUARD_ACTION_REJECT };
enum rg_guard_state_error { RG_GUARD_STATE_TEMPFAIL = 0, RG_GUARD_STATE_ACCEPT };

struct rg_tenant {
	char *name;
	char *egress_pool;	/* optional, may be NULL */
	char **require_authz;	/* identities admitted; NULL when not set */
	size_t n_require_authz;
	bool has_require_authz;	/* false: open to every authenticated identity */
	char **allowed_domains;	/* From/envelope domains: "a.example", "*.a.example" */
	size_t n_allowed_domains;
	int line;
};

enum rg_tenant_action { RG_TENANT_ACCEPT = 0, RG_TENANT_REJECT = 1 };
/* tenants.missing: the two actions, or the tenant of the From: domain
 * (else accept, or else reject) */
enum rg_tenant_missing {
	RG_MISSING_ACCEPT = RG_TENANT_ACCEPT,
	RG_MISSING_REJECT = RG_TENANT_REJECT,
	RG_MISSING_FROM_DOMAIN,
	RG_MISSING_FROM_DOMAIN_OR_REJECT,
};

/* milter.uncorrelated_auth: a session whose login the SASL service of this
 * process did not record (common/logins.h) */
enum rg_uncorrelated_action {
	RG_UNCORRELATED_CHECK_IDENTITY = 0,
	RG_UNCORRELATED_TEMPFAIL = 1,
};

enum rg_log_format { RG_LOG_FORMAT_KV = 0, RG_LOG_FORMAT_JSON };
enum rg_null_sender { RG_NULL_SENDER_ALLOW = 0, RG_NULL_SENDER_REJECT };
enum rg_unauth_sender { RG_UNAUTH_SENDER_ALLOW = 0, RG_UNAUTH_SENDER_REJECT_OWNED };
enum rg_log_logins { RG_LOG_LOGINS_ALL = 0, RG_LOG_LOGINS_FAILURES };
enum rg_log_verdicts { RG_LOG_VERDICTS_ALL = 0, RG_LOG_VERDICTS_REFUSALS };

enum rg_tls_version {
	RG_TLS_NONE = 0, RG_TLS_1_0 = 10, RG_TLS_1_1 = 11, RG_TLS_1_2 = 12, RG_TLS_1_3 = 13,
};

/* A SASL mechanism; a set of them (auth.mechanisms) is a mask of RG_MECH_BIT()s. */
enum rg_mech { RG_MECH_NONE = 0, RG_MECH_PLAIN, RG_MECH_LOGIN };
#define RG_MECH_BIT(m) (1u << (m))

struct rg_config {
	/* bookkeeping */
	char *path;
	uint64_t generation;	/* increases with every successful load */

	/* top level */
	char *control_socket;
	char *metrics_listen;	/* "" = no HTTP /metrics listener */
	int log_format;		/* enum rg_log_format */
	char *pidfile;
	char *user;		/* drop privileges to this user ("" = stay) */
	char *group;
	char *socket_owner;	/* owner of unix sockets ("" = process user) */
	char *socket_group;
	unsigned socket_mode;	/* parsed from an octal string, e.g. "0660" */
	char *syslog_facility;
	char *syslog_ident;
	char *syslog_socket;

	struct {
		bool enabled;
		char *socket;		/* libmilter connection spec */
		bool require_tls_for_auth;
		enum rg_tls_version min_tls_version;
		char **require_auth;	/* {daemon_name} values */
		size_t n_require_auth;
		int min_cipher_bits;	/* {cipher_bits} below this: not TLS */
		bool require_known_identity;
		enum rg_uncorrelated_action uncorrelated_auth;
		int timeout;		/* seconds, smfi_settimeout */
		char *authserv_id;	/* Authentication-Results; "" = none (common/authres.h) */
		int log_verdicts;	/* enum rg_log_verdicts */
	} milter;

	struct {
		bool enabled;
		char *dovecot_socket;	/* "" = off */
		char *saslauthd_socket;	/* "" = off */
		unsigned mechanisms;	/* RG_MECH_BIT(RG_MECH_PLAIN) | ... */
		bool require_tls;
		int log_logins;	/* enum rg_log_logins */
		int hash_threads;	/* 0 = one per core */
		int hash_queue;
		int failure_delay_ms;
		int max_failure_delay_ms;
		int lockout_failures;	/* 0 = no lockout */
		int lockout_seconds;
		int penalty_table_size;	/* failure counters per table, and locks */
		int max_connections;
		int max_request_length;
		int idle_timeout;	/* seconds without input on a Dovecot connection */
		int request_timeout;	/* seconds from a request's first byte to its end */
		struct {
			int ttl;
			int negative_ttl;
			int size;
			int negative_size;
		} cache;
	} auth;

	struct {
		bool allow_plaintext;	/* accept {PLAIN}/{CLEARTEXT} stored passwords */
		int argon2_memory_kib;	/* generation parameters */
		int argon2_iterations;
		int max_argon2_memory_kib;	/* limits for stored hashes (verify cost) */
		int max_argon2_iterations;
		int max_scrypt_memory_kib;
		int max_scrypt_parallelism;
	} passwords;

	struct {
		bool check_envelope;	/* MAIL FROM of an authenticated session: owned */
		bool check_from;	/* the From: address: owned */
		bool check_sender_header; /* a Sender: address: owned too */
		int null_sender;	/* enum rg_null_sender */
		int unauthenticated;	/* enum rg_unauth_sender */
		char *recipient_delimiter; /* "+": user+ext@ is tried as user@ */
	} senders;

	/* counters shared by a fleet (penalties, lockouts, the guard) */
	struct rg_shared_state_conf {
		int type;		/* enum rg_shared_state_type */
		char **servers;		/* "unix:/path", "host:port"; sentinels with sentinel_master */
		size_t n_servers;
		char *sentinel_master;	/* "" = servers are Redis servers */
		int connect_timeout_ms, timeout_ms;
		char *key_prefix;
		char *secret_file;	/* the fleet's key for the MACs in key names */
		char *password_file;	/* Redis AUTH, "" = none */
		int on_error;		/* enum rg_shared_state_on_error */
	} shared_state;

	struct {
		bool enabled;
		int action;		/* enum rg_guard_action */
		char **messages;	/* limits "N/DURATION": 100/1h, 1000/1d */
		size_t n_messages;
		char **recipients;
		size_t n_recipients;
		int addresses;		/* distinct client addresses of an identity; 0 = off */
		int addresses_window;	/* seconds */
		int ipv4_prefix, ipv6_prefix;
		char *failed_logins;	/* "N/DURATION", "" = off */
		int suspend_after;	/* guard actions in suspend_window; 0 = never suspend */
		int suspend_window;
		int suspend_seconds;	/* 0 = until relayguardctl guard unsuspend */
		int table_size;		/* counters kept in memory */
		int state_error;	/* enum rg_guard_state_error */
		struct rg_guard_override *identities;
		size_t n_identities;
		struct rg_guard_override *tenants;
		size_t n_tenants;
	} guard;

	struct rg_store_conf *stores;
	size_t n_stores;
	struct rg_store **opened;	/* filled by rg_stores_open() (backends/store.h) */
	/* set by whoever opened the stores; called when the last reference goes */
	void (*release_stores)(struct rg_config *cfg);

	struct {
		char *header;
		bool remove_header;
		char *add_header;	/* "" = none; records the verified tenant */
		char *egress_header;	/* "" = none; the verified tenant's egress_pool */
		enum rg_tenant_missing missing;
		enum rg_tenant_action unknown;
		enum rg_tenant_action unauthenticated;
		bool accept_repeated_same;	/* same value twice: accept? (different values: always refused) */
		int max_length;
		struct rg_tenant *list;
		size_t n_list;
		/* private: the names of list (borrowed) and their index (rg_config_tenant) */
		const char **names;
		struct rg_name_index index;
	} tenants;

	/* private: reference count (config.c) */
	int refs;
	char *warnings_text;	/* private: rg_config_warnings() */
};

/*
 * Load and validate FILE.  On success returns a snapshot with one reference.
 * On failure returns NULL and sets *errors_r to a malloc'd text with one
 * "file:line: message" per line (every problem found, not just the first).
 * Stores are not opened here (see rg_stores_open in backends/store.h).
 */
struct rg_config *rg_config_load(const char *file, char **errors_r);

/* Warnings that do not stop loading (tenant without require_authz, ...),
 * one per line, or NULL when none.  Caller frees. */
char *rg_config_warnings(const struct rg_config *cfg);

/* Add warning lines (text: "file:line: warning: ..." lines) found outside the
 * loader, by the store checks; rg_config_warnings then returns them too. */
void rg_config_add_warnings(struct rg_config *cfg, const char *text);

struct rg_config *rg_config_acquire(struct rg_config *cfg);
void rg_config_release(struct rg_config *cfg);

/* References held on all snapshots together.  A graceful stop waits until
 * only its own are left: every request in flight holds one. */
long rg_config_references(void);

/* The process-wide current snapshot.  _get returns a new reference (release
 * it); _set takes over the caller's reference and releases the old one. */
struct rg_config *rg_config_current_get(void);
void rg_config_current_set(struct rg_config *cfg);

/* Look up a configured tenant by name (case-insensitive), or NULL. */
const struct rg_tenant *rg_config_tenant(const struct rg_config *cfg, const char *name);

/* Print the key table (path, type, default, range, description), one key per
 * line, tab-separated; used to generate relayguard.conf(5). */
void rg_config_print_keys(FILE *out);

#endif
