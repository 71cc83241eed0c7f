/*
 * control.h — the control socket (top-level key control_socket) that
 * relayguardctl talks to.  The protocol (commands, "OK" / "ERR <status>"
 * answers, status tokens and the exit codes they become) is defined once, in
 * common/control_proto.h, for both ends:
 *
 *   client: RELOAD\n            server: OK <text>\n  or  ERR config <text>\n<detail lines>
 *   client: STATS\n             server: OK\n<name value lines>
 *   client: STATS prometheus\n  server: OK\n<Prometheus text format>
 *
 * The server closes the connection after the answer.  Only root and the
 * daemon's own user may connect (mode 0600, and SO_PEERCRED is checked).
 */
#ifndef RG_CONTROL_H
#define RG_CONTROL_H

#include "config.h"

/* Called for RELOAD: 0 on success, -1 when the new configuration was
 * refused; *text_r (malloc'd) says what happened (several lines allowed). */
typedef int (*rg_control_reload_fn)(char **text_r);

/* Bind cfg->control_socket ("" = no control socket: returns 0), set its
 * owner and mode, and serve it on a thread.  -1 with *error_r. */
int rg_control_start(const struct rg_config *cfg, rg_control_reload_fn reload, char **error_r);

/* Stop serving; remove the socket. */
void rg_control_stop(void);

/* Handle one command line (without the newline); the answer goes to out.
 * Exposed for the unit test. */
void rg_control_command(const char *line, FILE *out, rg_control_reload_fn reload);

#endif
