/*
 * auth_check.h — the one decision both SASL front ends end in:
 *   auth_check(request) → OK(identity) | FAIL(reason) | TEMPFAIL(reason)
 *
 * Order: require_tls → lockout → store lookup of authc → cache (positive /
 * negative) → hashing pool → authz rules → cache/penalty update.  The
 * password verdict itself is rg_login_decide's (backends/login.h), the one
 * relayguardctl auth uses too: unknown users, wrong passwords and disabled
 * users each cost one hash and are cached and penalised alike.  A store or
 * internal error, or a hash that could not run, is always TEMPFAIL, never a
 * cached answer.  One syslog line per decision; never the password.
 */
#ifndef RG_AUTH_CHECK_H
#define RG_AUTH_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include "config.h"
#include "sasl_mech.h"

struct rg_auth_request {
	const char *protocol;	/* "dovecot", "saslauthd" (logs) */
	enum rg_mech mech;	/* PLAIN, LOGIN (saslauthd: NONE = not told) */
	const char *authz;	/* "" when none */
	const char *authc;
	const char *password;	/* not NUL-safe: password_len bytes */
	size_t password_len;
	const char *service;	/* "smtp", ... (logs) */
	const char *remote_addr;	/* "" when unknown: per-address penalty off */
	bool tls_known;		/* the client tells us whether the session is secured */
	bool secured;
};

enum rg_auth_status { RG_AUTH_OK = 0, RG_AUTH_FAIL, RG_AUTH_TEMPFAIL };

struct rg_auth_result {
	enum rg_auth_status status;
	char identity[RG_AUTH_MAX_NAME + 1];	/* effective identity on OK */
	const char *reason;	/* static: why (logs; FAIL reason codes below) */
	const char *client_reason;	/* static, generic: safe to show the SMTP client */
	unsigned delay_ms;	/* FAIL: wait this long before answering (penalty) */
	bool cached;		/* the cache answered (no hash was run) */
};

/* Set up cache, pool and penalty tables from cfg (sizes, threads).  Returns
 * 0, or -1 with *error_r (malloc'd). */
int rg_auth_check_init(const struct rg_config *cfg, char **error_r);
/* Reload: new cache key, cache and penalties flushed, limits from cfg. */
void rg_auth_check_reload(const struct rg_config *cfg);
void rg_auth_check_shutdown(void);

/* Decide.  cfg: the snapshot of this request (the caller holds a reference). */
void rg_auth_check(const struct rg_config *cfg, const struct rg_auth_request *req,
		   struct rg_auth_result *res);

#endif
