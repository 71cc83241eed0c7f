/*
 * daemon.h — process lifecycle for relayguard's main: run directories,
 * pidfile (locked, so a stale file never blocks a start), going to the
 * background with a start-up report to the parent, dropping privileges.
 */
#ifndef RG_DAEMON_H
#define RG_DAEMON_H

#include <stdbool.h>
#include "config.h"

/* Create the missing parent directories of the pidfile and unix sockets
 * (mode 0755, owned by cfg->user/group when set), and give the folders that
 * systemd made for the unit ($RUNTIME_DIRECTORY) to cfg->user/group, so the
 * daemon can remove its files there after dropping root.  -1 with *error_r. */
int rg_daemon_make_dirs(const struct rg_config *cfg, char **error_r);

/* Fork; the parent waits until the child calls rg_daemon_ready() and exits
 * 0 (started) or 1 (the child failed; its messages went to stderr/syslog).
 * The child: new session, cwd "/".  Returns 0 in the child, -1 on error. */
int rg_daemon_background(char **error_r);

/* Tell the waiting parent how the start went; detach stdin/out/err. */
void rg_daemon_ready(bool ok);

/* Write our pid to path ("" = none), holding an exclusive lock on it for the
 * life of the process.  Refuses when another live process holds it. */
int rg_pidfile_create(const char *path, char **error_r);
void rg_pidfile_remove(void);

/* setgid/initgroups/setuid to cfg->user (and cfg->group); no-op when
 * cfg->user is "".  Verifies that root cannot be regained. */
int rg_daemon_drop_privileges(const struct rg_config *cfg, char **error_r);

#endif
