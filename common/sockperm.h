/*
 * sockperm.h — owner, group and mode of relayguard's unix sockets.
 *
 * Every unix socket the daemon binds (the SASL sockets, the milter socket,
 * the control socket) goes through one of these right after bind(), while
 * the process is still root, so that the socket_owner / socket_group /
 * socket_mode keys mean the same thing everywhere.
 */
#ifndef RG_SOCKPERM_H
#define RG_SOCKPERM_H

#include "config.h"

/* chown/chmod PATH: owner "" = leave, group "" = leave.  -1 with *error_r
 * (malloc'd, names the path and the problem). */
int rg_socket_set_perms(const char *path, const char *owner, const char *group, unsigned mode,
			char **error_r);

/* The service sockets (SASL, milter):
 *   owner = socket_owner, else user (when set), else unchanged;
 *   group = socket_group, else group / user's primary group (when user is
 *           set), else unchanged;
 *   mode  = socket_mode. */
int rg_socket_apply_perms(const char *path, const struct rg_config *cfg, char **error_r);

/* The control socket: mode 0600, owned by user (when set) so that only root
 * and the daemon's own user can talk to it. */
int rg_socket_apply_control_perms(const char *path, const struct rg_config *cfg,
				  char **error_r);

/* "unix:/path", "local:/path" or "/path" → the path; else NULL. */
const char *rg_socket_unix_path(const char *spec);

/* A libmilter "inet:PORT[@HOST]" / "inet6:PORT[@HOST]" spec that listens
 * beyond loopback: no host (every address), or a host other than
 * 127.0.0.0/8, ::1 (or ::ffff:127.x.y.z) and localhost.  A host name is
 * resolved by libmilter, so any other name counts as non-loopback.
 * false for unix sockets. */
bool rg_socket_inet_beyond_loopback(const char *spec);

#endif
