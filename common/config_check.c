/*
 * config_check.c — checks that span several keys (store types, duplicate
 * users and tenants, tenant names, stored hash schemes, accounts), and the
 * warnings about settings that are allowed but weaken protection.
 */
#include <autoconfig.h>
#include "config.h"
#include "config_internal.h"
#include "nameindex.h"
#include "sockperm.h"
#include "accounts.h"
#include "mailbox.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define ERR(ctx, line, ...) rg_msgs_add(&(ctx)->errs, (ctx)->file, line, __VA_ARGS__)
#define WARN(ctx, line, ...) rg_msgs_add(&(ctx)->warns, (ctx)->file, line, "warning: " __VA_ARGS__)

static int line_or(const struct rg_load_ctx *ctx, const char *path, const char *fallback)
{
	int line = rg_load_line(ctx, path);
	return line ? line : rg_load_line(ctx, fallback);
}

/* ---- front ends and auth settings -------------------------------------------- */

static void check_front_ends(struct rg_load_ctx *ctx)
{
	const struct rg_config *cfg = ctx->cfg;
	const char *paths[4] = {
		rg_socket_unix_path(cfg->milter.enabled ? cfg->milter.socket : NULL),
		rg_socket_unix_path(cfg->auth.enabled ? cfg->auth.dovecot_socket : NULL),
		rg_socket_unix_path(cfg->auth.enabled ? cfg->auth.saslauthd_socket : NULL),
		rg_socket_unix_path(cfg->control_socket),
	};
	static const char *const keys[4] = {
		"milter.socket", "auth.dovecot_socket", "auth.saslauthd_socket", "control_socket",
	};

	if (!cfg->milter.enabled && !cfg->auth.enabled)
		ERR(ctx, line_or(ctx, "auth.enabled", "milter.enabled"),
		    "milter.enabled and auth.enabled are both false: nothing to run");
	if (cfg->auth.enabled && !*cfg->auth.dovecot_socket && !*cfg->auth.saslauthd_socket)
		ERR(ctx, line_or(ctx, "auth.dovecot_socket", "auth"),
		    "auth is enabled but auth.dovecot_socket and auth.saslauthd_socket are both "
		    "empty (set one, or auth.enabled = false)");
	if (cfg->auth.enabled && cfg->auth.mechanisms == 0)
		ERR(ctx, line_or(ctx, "auth.mechanisms", "auth"),
		    "auth.mechanisms: at least one of PLAIN, LOGIN is needed");
	if (cfg->auth.max_failure_delay_ms < cfg->auth.failure_delay_ms)
		ERR(ctx, line_or(ctx, "auth.max_failure_delay_ms", "auth.failure_delay_ms"),
		    "auth.max_failure_delay_ms (%d) is smaller than auth.failure_delay_ms (%d)",
		    cfg->auth.max_failure_delay_ms, cfg->auth.failure_delay_ms);
	for (int i = 0; i < 4; i++)
		for (int j = i + 1; j < 4; j++)
			if (paths[i] && paths[j] && strcmp(paths[i], paths[j]) == 0)
				ERR(ctx, line_or(ctx, keys[j], keys[i]),
				    "%s and %s name the same socket %s", keys[i], keys[j], paths[j]);
}

static void check_accounts(struct rg_load_ctx *ctx)
{
	const struct rg_config *cfg = ctx->cfg;
	const char *users[2] = { cfg->user, cfg->socket_owner };
	const char *groups[2] = { cfg->group, cfg->socket_group };
	static const char *const ukeys[2] = { "user", "socket_owner" };
	static const char *const gkeys[2] = { "group", "socket_group" };
	for (int i = 0; i < 2; i++) {
		int r = users[i] && *users[i] ? rg_user_ids(users[i], NULL, NULL) : 1;
		if (r <= 0)
			ERR(ctx, rg_load_line(ctx, ukeys[i]), "%s: %s \"%s\"%s%s", ukeys[i],
			    r == 0 ? "no such user" : "cannot look up user", users[i],
			    r == 0 ? "" : ": ", r == 0 ? "" : strerror(errno));
	}
	for (int i = 0; i < 2; i++) {
		int r = groups[i] && *groups[i] ? rg_group_id(groups[i], NULL) : 1;
		if (r <= 0)
			ERR(ctx, rg_load_line(ctx, gkeys[i]), "%s: %s \"%s\"%s%s", gkeys[i],
			    r == 0 ? "no such group" : "cannot look up group", groups[i],
			    r == 0 ? "" : ": ", r == 0 ? "" : strerror(errno));
	}
}

/* ---- password schemes --------------------------------------------------------- */

/* relayguard must be able to run the hashes it makes itself. */
static void check_passwords(struct rg_load_ctx *ctx)
{
	const struct rg_config *cfg = ctx->cfg;

	if (cfg->passwords.argon2_memory_kib > cfg->passwords.max_argon2_memory_kib)
		ERR(ctx, line_or(ctx, "passwords.max_argon2_memory_kib", "passwords.argon2_memory_kib"),
		    "passwords.argon2_memory_kib (%d) is above passwords.max_argon2_memory_kib (%d): "
		    "relayguard would refuse the hashes it makes; raise the limit",
		    cfg->passwords.argon2_memory_kib, cfg->passwords.max_argon2_memory_kib);
	if (cfg->passwords.argon2_iterations > cfg->passwords.max_argon2_iterations)
		ERR(ctx, line_or(ctx, "passwords.max_argon2_iterations", "passwords.argon2_iterations"),
		    "passwords.argon2_iterations (%d) is above passwords.max_argon2_iterations (%d): "
		    "relayguard would refuse the hashes it makes; raise the limit",
		    cfg->passwords.argon2_iterations, cfg->passwords.max_argon2_iterations);
}

/* ---- stores ------------------------------------------------------------------- */

static void need_params(struct rg_load_ctx *ctx, const struct rg_store_conf *sc, size_t i,
			const char *key, const char *query, const char *p1, const char *p2)
{
	if (query == NULL)
		return;
	if (strstr(query, p1) == NULL || (p2 && strstr(query, p2) == NULL))
		ERR(ctx, sc->line, "stores[%zu].%s: the query must use %s%s%s", i, key, p1,
		    p2 ? " and " : "", p2 ? p2 : "");
}

/* Duplicate names; the password hashes are the stores' business (backends/
 * store_open.c checks them when the stores are opened). */
static void check_static_users(struct rg_load_ctx *ctx, const struct rg_store_conf *sc, size_t i)
{
	const char **names = calloc(sc->n_users ? sc->n_users : 1, sizeof(char *));
	struct rg_name_index ix;

	if (names == NULL || rg_name_index_init(&ix, names, sc->n_users, false) != 0) {
		free(names);
		ERR(ctx, sc->line, "stores[%zu]: out of memory", i);
		return;
	}
	for (size_t u = 0; u < sc->n_users; u++) {
		const struct rg_static_user *us = &sc->users[u];

		names[u] = us->name;
		if (us->name == NULL || us->password == NULL)
			continue;	/* already reported as missing */
		long v = rg_name_index_add(&ix, u);
		if (v >= 0)
			ERR(ctx, us->line, "stores[%zu].users[%zu]: duplicate user \"%s\" "
			    "(first at line %d)", i, u, us->name, sc->users[v].line);
	}
	rg_name_index_free(&ix);
	free(names);
}

static void check_stores(struct rg_load_ctx *ctx)
{
	const struct rg_config *cfg = ctx->cfg;

	for (size_t i = 0; i < cfg->n_stores; i++) {
		const struct rg_store_conf *sc = &cfg->stores[i];

		if (sc->type == 0)
			continue;	/* type missing or bad: already reported */
		if (sc->name != NULL) {
			for (size_t j = 0; j < i; j++)
				if (cfg->stores[j].name && strcmp(cfg->stores[j].name, sc->name) == 0) {
					ERR(ctx, sc->line, "stores[%zu]: duplicate store name \"%s\" "
					    "(first at line %d)", i, sc->name, cfg->stores[j].line);
					break;
				}
		}
		if (sc->type == RG_STORE_STATIC)
			check_static_users(ctx, sc, i);
		if (sc->type == RG_STORE_STATIC && sc->n_users == 0 && sc->users != NULL)
			WARN(ctx, sc->line, "stores[%zu]: static store without users", i);
		if (sc->type == RG_STORE_SQLITE || sc->type == RG_STORE_PGSQL) {
			need_params(ctx, sc, i, "password_query", sc->password_query, ":user", NULL);
			need_params(ctx, sc, i, "act_as_query", sc->act_as_query, ":user", ":as");
			need_params(ctx, sc, i, "tenant_query", sc->tenant_query, ":tenant", NULL);
			need_params(ctx, sc, i, "tenant_authz_query", sc->tenant_authz_query,
				    ":tenant", ":user");
			need_params(ctx, sc, i, "state_query", sc->state_query, ":user", NULL);
		}
		if (sc->path && sc->path[0] != '/')
			WARN(ctx, sc->line, "stores[%zu].path \"%s\" is relative: it is resolved "
			     "against the daemon's working directory", i, sc->path);
	}
	if (cfg->n_stores == 0 && (cfg->auth.enabled || cfg->milter.require_known_identity))
		WARN(ctx, rg_load_line(ctx, "stores"),
		     "no credential stores are configured: every login fails");
}

/* ---- tenants ------------------------------------------------------------------ */

static const char *tenant_name_problem(const char *name, int max_length)
{
	if ((int)strlen(name) > max_length)
		return "longer than tenants.max_length";
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '_' && *p != '-')
			return "only letters, digits, '.', '_' and '-' are allowed";
	return NULL;
}

/* Also builds the tenant index that rg_config_tenant looks names up in. */
static void check_tenants(struct rg_load_ctx *ctx)
{
	struct rg_config *cfg = ctx->cfg;
	size_t n = cfg->tenants.n_list;

	cfg->tenants.names = calloc(n ? n : 1, sizeof(char *));
	if (cfg->tenants.names == NULL ||
	    rg_name_index_init(&cfg->tenants.index, cfg->tenants.names, n, true) != 0) {
		ERR(ctx, rg_load_line(ctx, "tenants.list"), "tenants.list: out of memory");
		return;
	}
	for (size_t i = 0; i < n; i++)
		cfg->tenants.names[i] = cfg->tenants.list[i].name;
	for (size_t i = 0; i < cfg->tenants.n_list; i++) {
		const struct rg_tenant *t = &cfg->tenants.list[i];
		const char *why;

		if (t->name == NULL)
			continue;
		if ((why = tenant_name_problem(t->name, cfg->tenants.max_length)) != NULL)
			ERR(ctx, t->line, "tenants.list[%zu]: tenant name \"%s\": %s", i, t->name, why);
		long j = rg_name_index_add(&cfg->tenants.index, i);
		if (j >= 0)
			ERR(ctx, t->line, "tenants.list[%zu]: duplicate tenant \"%s\" "
			    "(first at line %d)", i, t->name, cfg->tenants.list[j].line);
		if (!t->has_require_authz)
			WARN(ctx, t->line, "tenant \"%s\" has no require_authz: open to every "
			     "authenticated identity", t->name);
		else if (t->n_require_authz == 0)
			WARN(ctx, t->line, "tenant \"%s\" has an empty require_authz: no identity "
			     "may use it", t->name);
		if (t->n_allowed_domains == 0)
			WARN(ctx, t->line, "tenant \"%s\" has no allowed_domains: its mail may use "
			     "any From: and envelope domain", t->name);
	}
	if (cfg->tenants.add_header && *cfg->tenants.add_header &&
	    strcasecmp(cfg->tenants.add_header, cfg->tenants.header) == 0)
		ERR(ctx, rg_load_line(ctx, "tenants.add_header"),
		    "tenants.add_header must differ from tenants.header");
	if (cfg->tenants.egress_header && *cfg->tenants.egress_header &&
	    (strcasecmp(cfg->tenants.egress_header, cfg->tenants.header) == 0 ||
	     (cfg->tenants.add_header &&
	      strcasecmp(cfg->tenants.egress_header, cfg->tenants.add_header) == 0)))
		ERR(ctx, rg_load_line(ctx, "tenants.egress_header"),
		    "tenants.egress_header must differ from tenants.header and tenants.add_header");
}

/* ---- warnings about weakened protection ---------------------------------------- */

/* Each guard limit list holds at most RG_GUARD_MAX_RATES windows. */
static void check_guard_list(struct rg_load_ctx *ctx, const char *path, size_t n, int line)
{
	if (n > RG_GUARD_MAX_RATES)
		ERR(ctx, line, "%s: %zu limits; at most %d windows per list", path, n,
		    RG_GUARD_MAX_RATES);
}

static void check_guard(struct rg_load_ctx *ctx)
{
	const struct rg_config *cfg = ctx->cfg;

	check_guard_list(ctx, "guard.messages", cfg->guard.n_messages,
			 rg_load_line(ctx, "guard.messages"));
	check_guard_list(ctx, "guard.recipients", cfg->guard.n_recipients,
			 rg_load_line(ctx, "guard.recipients"));
	for (size_t i = 0; i < cfg->guard.n_identities; i++) {
		const struct rg_guard_override *o = &cfg->guard.identities[i];
		check_guard_list(ctx, "guard.identities[].messages", o->n_messages, o->line);
		check_guard_list(ctx, "guard.identities[].recipients", o->n_recipients, o->line);
	}
	for (size_t i = 0; i < cfg->guard.n_tenants; i++) {
		const struct rg_guard_override *o = &cfg->guard.tenants[i];
		check_guard_list(ctx, "guard.tenants[].messages", o->n_messages, o->line);
		check_guard_list(ctx, "guard.tenants[].recipients", o->n_recipients, o->line);
	}
}

/* shared_state = redis needs somewhere to go and the fleet's secret. */
static void check_shared_state(struct rg_load_ctx *ctx)
{
	const struct rg_shared_state_conf *ss = &ctx->cfg->shared_state;
	int line = rg_load_line(ctx, "shared_state.type");

	if (ss->type != RG_SHARED_REDIS)
		return;
	if (ss->n_servers == 0)
		ERR(ctx, line, "shared_state: type redis needs servers (\"unix:/path\" or "
		    "\"host:port\")");
	if (ss->secret_file == NULL || ss->secret_file[0] == '\0')
		ERR(ctx, line, "shared_state: type redis needs secret_file (the fleet's key for the "
		    "MACs in key names, the same file on every relay)");
	else if (access(ss->secret_file, R_OK) != 0)
		ERR(ctx, rg_load_line(ctx, "shared_state.secret_file"),
		    "shared_state.secret_file %s: %s", ss->secret_file, strerror(errno));
}

static void collect_warnings(struct rg_load_ctx *ctx)
{
	const struct rg_config *cfg = ctx->cfg;

	if (cfg->passwords.allow_plaintext)
		WARN(ctx, rg_load_line(ctx, "passwords.allow_plaintext"),
		     "passwords.allow_plaintext is on: plaintext stored passwords are accepted");
	if (cfg->passwords.argon2_memory_kib < 19456 || cfg->passwords.argon2_iterations < 2)
		WARN(ctx, line_or(ctx, "passwords.argon2_memory_kib", "passwords.argon2_iterations"),
		     "new Argon2id hashes are weaker than OWASP's minimum (19456 KiB, 2 iterations)");
	if (cfg->auth.enabled && !cfg->auth.require_tls)
		WARN(ctx, rg_load_line(ctx, "auth.require_tls"),
		     "auth.require_tls is off: passwords are accepted on sessions without TLS");
	if (cfg->auth.enabled && cfg->auth.failure_delay_ms == 0)
		WARN(ctx, rg_load_line(ctx, "auth.failure_delay_ms"),
		     "auth.failure_delay_ms is 0: failed logins are answered without delay");
	if (cfg->milter.enabled && !cfg->milter.require_tls_for_auth)
		WARN(ctx, rg_load_line(ctx, "milter.require_tls_for_auth"),
		     "milter.require_tls_for_auth is off: mail from sessions that authenticated "
		     "without TLS is accepted");
	if (cfg->milter.enabled && cfg->milter.min_tls_version < RG_TLS_1_2)
		WARN(ctx, rg_load_line(ctx, "milter.min_tls_version"),
		     "milter.min_tls_version is below TLSv1.2");
	if (cfg->milter.enabled && !cfg->milter.require_known_identity)
		WARN(ctx, rg_load_line(ctx, "milter.require_known_identity"),
		     "milter.require_known_identity is off: mail from identities disabled since "
		     "they logged in is accepted");
	if (cfg->milter.enabled && cfg->milter.min_cipher_bits < 128)
		WARN(ctx, rg_load_line(ctx, "milter.min_cipher_bits"),
		     "milter.min_cipher_bits is below 128: weak ciphers count as TLS for AUTH");
	/* act-as sessions are tied to their login through the peer credentials
	 * of two unix sockets of this one process (common/logins.h) */
	if (cfg->milter.enabled && cfg->milter.require_known_identity &&
	    cfg->milter.uncorrelated_auth == RG_UNCORRELATED_CHECK_IDENTITY &&
	    (!cfg->auth.enabled || rg_socket_unix_path(cfg->milter.socket) == NULL))
		WARN(ctx, line_or(ctx, "milter.uncorrelated_auth", "milter.socket"),
		     "the milter cannot tie a session to the login behind it (%s): an act-as login "
		     "disabled or a grant revoked after login is not refused on open sessions "
		     "unless milter.uncorrelated_auth = \"tempfail\"",
		     cfg->auth.enabled ? "the milter listens on an inet socket"
				       : "the SASL service runs in another process");
	if (cfg->milter.enabled && cfg->tenants.unauthenticated == RG_TENANT_ACCEPT)
		WARN(ctx, rg_load_line(ctx, "tenants.unauthenticated"),
		     "tenants.unauthenticated is accept: a %s header on an unauthenticated "
		     "session is accepted", cfg->tenants.header);
	if (cfg->milter.enabled && cfg->tenants.unknown == RG_TENANT_ACCEPT)
		WARN(ctx, rg_load_line(ctx, "tenants.unknown"),
		     "tenants.unknown is accept: messages naming an unconfigured tenant are accepted");
	if (cfg->guard.enabled && cfg->guard.state_error == RG_GUARD_STATE_ACCEPT)
		WARN(ctx, rg_load_line(ctx, "guard.state_error"),
		     "guard.state_error is accept: while the guard's counters cannot be read, "
		     "messages pass uncounted and suspended identities are not refused");
	if (cfg->guard.enabled && !cfg->milter.enabled)
		WARN(ctx, rg_load_line(ctx, "guard.enabled"),
		     "the guard needs the milter (milter.enabled): only suspensions and failed "
		     "logins reach the SASL service");
	/* from_domain picks the tenant by its most specific domain entry: one
	 * entry in two tenants cannot pick (a temporary failure at run time) */
	bool from_domain = cfg->tenants.missing == RG_MISSING_FROM_DOMAIN ||
			   cfg->tenants.missing == RG_MISSING_FROM_DOMAIN_OR_REJECT;
	for (size_t a = 0; from_domain && a < cfg->tenants.n_list; a++)
		for (size_t b = a + 1; b < cfg->tenants.n_list; b++) {
			const struct rg_tenant *ta = &cfg->tenants.list[a], *tb = &cfg->tenants.list[b];
			for (size_t i = 0; i < ta->n_allowed_domains; i++)
				for (size_t j = 0; j < tb->n_allowed_domains; j++)
					if (ta->allowed_domains[i] && tb->allowed_domains[j] &&
					    strcmp(ta->allowed_domains[i], tb->allowed_domains[j]) == 0)
						WARN(ctx, tb->line, "tenants.missing = from_domain: "
						     "domain entry \"%s\" is listed by tenants %s and "
						     "%s; mail from it without a %s header gets a "
						     "temporary failure", ta->allowed_domains[i],
						     ta->name, tb->name, cfg->tenants.header);
		}
	for (size_t i = 0; cfg->milter.enabled && i < cfg->n_stores; i++) {
		const struct rg_store_conf *sc = &cfg->stores[i];
		if (sc->type == RG_STORE_VAULT && cfg->senders.unauthenticated ==
		    RG_UNAUTH_SENDER_REJECT_OWNED && sc->senders_field && sc->senders_field[0])
			WARN(ctx, sc->line, "senders.unauthenticated = reject_owned does not see the "
			     "sender grants of vault store \"%s\" (a secret is read by user, not "
			     "searched by address)", sc->name ? sc->name : "vault");
	}
}

/* Sockets anyone can reach: a service socket (SASL, milter) whose socket_mode
 * lets every local user connect, and a milter on a TCP address beyond
 * loopback.  The control socket is always 0600. */
static void check_exposure(struct rg_load_ctx *ctx)
{
	const struct rg_config *cfg = ctx->cfg;
	const char *specs[3] = {
		cfg->auth.enabled ? cfg->auth.dovecot_socket : NULL,
		cfg->auth.enabled ? cfg->auth.saslauthd_socket : NULL,
		cfg->milter.enabled ? cfg->milter.socket : NULL,
	};
	static const char *const keys[3] = {
		"auth.dovecot_socket", "auth.saslauthd_socket", "milter.socket",
	};
	char names[128] = "";

	for (int i = 0; i < 3; i++) {
		const char *path = specs[i] && *specs[i] ? rg_socket_unix_path(specs[i]) : NULL;
		if (path != NULL && *path != '\0')
			snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
				 names[0] ? ", " : "", keys[i]);
	}
	if ((cfg->socket_mode & 0002) && names[0])
		WARN(ctx, rg_load_line(ctx, "socket_mode"),
		     "socket_mode %04o lets every local user connect to %s (other may write); "
		     "use e.g. 0660 with socket_group, unless the folder holding the socket is "
		     "closed to others", cfg->socket_mode, names);
	if (cfg->milter.enabled && rg_socket_inet_beyond_loopback(cfg->milter.socket))
		WARN(ctx, rg_load_line(ctx, "milter.socket"),
		     "milter.socket \"%s\" listens beyond loopback (127.0.0.0/8, ::1, localhost): "
		     "the milter protocol has no authentication, so every host that reaches the "
		     "port may use it; prefer a unix socket or a loopback address, or firewall it",
		     cfg->milter.socket);
}

/* Replace each item by its normalized form (the key checks refused the ones
 * that have none), so that lookups compare strings and normalize nothing. */
static void normalize_list(struct rg_load_ctx *ctx, char **items, size_t n, int line,
			   bool (*norm)(const char *, char *, size_t, const char **))
{
	for (size_t i = 0; i < n; i++) {
		char buf[RG_ADDR_MAX], *copy;
		const char *why;
		if (items[i] == NULL)
			continue;
		if (!norm(items[i], buf, sizeof(buf), &why)) {
			ERR(ctx, line, "\"%s\": %s", items[i], why);
			continue;
		}
		if (strcmp(buf, items[i]) == 0)
			continue;
		if ((copy = strdup(buf)) == NULL) {
			ERR(ctx, line, "out of memory");
			return;
		}
		free(items[i]);
		items[i] = copy;
	}
}

/* Sender grants of static users and tenants' allowed_domains, normalized
 * once at load (common/mailbox.h). */
static void normalize_addresses(struct rg_load_ctx *ctx)
{
	struct rg_config *cfg = ctx->cfg;

	for (size_t i = 0; i < cfg->n_stores; i++)
		for (size_t u = 0; u < cfg->stores[i].n_users; u++) {
			struct rg_static_user *us = &cfg->stores[i].users[u];
			normalize_list(ctx, us->senders, us->n_senders, us->line,
				       rg_sender_grant_normalize);
		}
	for (size_t i = 0; i < cfg->tenants.n_list; i++) {
		struct rg_tenant *t = &cfg->tenants.list[i];
		normalize_list(ctx, t->allowed_domains, t->n_allowed_domains, t->line,
			       rg_tenant_domain_normalize);
	}
}

void rg_config_check_semantics(struct rg_load_ctx *ctx)
{
	normalize_addresses(ctx);
	check_front_ends(ctx);
	check_accounts(ctx);
	check_passwords(ctx);
	check_stores(ctx);
	check_tenants(ctx);
	check_shared_state(ctx);
	check_guard(ctx);
	collect_warnings(ctx);
	check_exposure(ctx);
	ctx->cfg->warnings_text = rg_msgs_take(&ctx->warns);
}

char *rg_config_warnings(const struct rg_config *cfg)
{
	return cfg->warnings_text ? strdup(cfg->warnings_text) : NULL;
}

void rg_config_add_warnings(struct rg_config *cfg, const char *text)
{
	char *joined;

	if (text == NULL || *text == '\0')
		return;
	if (asprintf(&joined, "%s%s", cfg->warnings_text ? cfg->warnings_text : "", text) < 0)
		return;
	free(cfg->warnings_text);
	cfg->warnings_text = joined;
}
