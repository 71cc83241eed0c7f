/*
 * logins.h — which login stands behind an authenticated SMTP session.
 *
 * The MTA tells the milter only the effective identity ({auth_authen}); when
 * a PLAIN login carried an authorization id (mallory logs in to act as erin),
 * the milter sees "erin" and nothing of mallory.  To re-check mallory and the
 * act-as grant at every MAIL FROM, the SASL service records each successful
 * login under the process id of the MTA process that asked (the peer
 * credentials of its unix socket), and the milter looks that process up by
 * the peer credentials of its own connection:
 *
 *  - Postfix: one smtpd process serves one SMTP session at a time; it holds
 *    one connection to the SASL service (smtpd_sasl_path) and opens one
 *    milter connection per session, both from the same process.
 *  - Sendmail: the child that serves the SMTP session runs libsasl (which
 *    connects to the saslauthd socket) and opens the milter connection.
 *
 * A session can authenticate only once, so the latest login of a process is
 * the login of its current session.  What breaks the tie: a milter on an inet
 * socket (no peer credentials), the SASL service and the milter in two
 * relayguard processes, a proxy between the MTA and either socket, or an
 * entry pushed out of the bounded table.  The milter then applies
 * milter.uncorrelated_auth (see policy.h).
 *
 * The table lives outside the config snapshot: a reload keeps it.
 * Thread-safe; bounded (RG_LOGINS_MAX processes, RG_LOGINS_MAX act-as targets;
 * the oldest entry goes first).
 */
#ifndef RG_LOGINS_H
#define RG_LOGINS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define RG_LOGINS_MAX 8192
#define RG_LOGINS_NAME 256	/* longest name kept; longer names are not recorded */

/* A successful login by MTA process pid: authc logged in, identity is the
 * effective identity returned to the MTA.  pid <= 0: nothing recorded. */
void rg_logins_record(pid_t pid, const char *authc, const char *identity);

/* The login of MTA process pid whose effective identity is `identity`:
 * true with authc copied into authc_r (size n), or false when the process has
 * no recorded login or its latest login was for another identity. */
bool rg_logins_find(pid_t pid, const char *identity, char *authc_r, size_t n);

/* Has any login acted as `identity` (authc different from it) since the
 * daemon started (and the record was not pushed out)? */
bool rg_logins_act_as_seen(const char *identity);

/* Peer process of a connected unix socket, or 0 when unknown (or not a unix
 * socket).  _unix: the caller already knows fd is a unix socket. */
pid_t rg_peer_pid(int fd);
pid_t rg_peer_pid_unix(int fd);

/* Tests: forget everything. */
void rg_logins_clear(void);

#endif
