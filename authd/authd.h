/*
 * authd.h — the SASL authentication service (Dovecot auth protocol for
 * Postfix, Cyrus saslauthd protocol for Cyrus SASL / Sendmail).
 * Entry points used by the daemon's main.
 */
#ifndef RG_AUTHD_H
#define RG_AUTHD_H

#include "config.h"

/* Bind the sockets named in cfg->auth (dovecot_socket, saslauthd_socket) and
 * start serving on background threads.  Each request uses
 * rg_config_current_get() at its start, so a reload takes effect for new
 * requests.  Returns 0, or -1 with *error_r (malloc'd). */
int rg_authd_start(const struct rg_config *cfg, char **error_r);

/* The configuration was reloaded: drop cached credentials and penalties. */
void rg_authd_reload(void);

/* Stop accepting, let in-flight requests finish (bounded), unlink sockets. */
void rg_authd_stop(void);

#endif
