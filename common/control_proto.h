/*
 * control_proto.h — the control socket's protocol, one definition for both
 * ends: the daemon (daemon/control.c) and relayguardctl (tools/ctl_control.c).
 *
 * One command line per connection; the server answers and closes.  The first
 * line of every answer is
 *
 *   OK[ <text>]                     success
 *   ERR <status> <text>             failure; <status> is a token of the table
 *                                   in control_proto.c (usage, denied, config,
 *                                   unavailable, internal)
 *
 * followed by detail lines (RELOAD: the daemon's errors or warnings; STATS: the
 * counters).  The client picks its exit code from the status token, never from
 * the text, which is for people.
 */
#ifndef RG_CONTROL_PROTO_H
#define RG_CONTROL_PROTO_H

#include <stdio.h>

/* The commands (case-insensitive on the server). */
#define RG_CTL_CMD_RELOAD "RELOAD"
#define RG_CTL_CMD_STATS "STATS"
#define RG_CTL_CMD_STATS_PROMETHEUS "STATS prometheus"
/* "GUARD SHOW [IDENTITY]", "GUARD HELD", "GUARD RELEASE|SUSPEND|UNSUSPEND IDENTITY":
 * the identity is the rest of the line (it may hold spaces) */
#define RG_CTL_CMD_GUARD "GUARD"

enum rg_ctl_status {
	RG_CTL_OK = 0,
	RG_CTL_USAGE,		/* not a command this daemon knows, or no command line */
	RG_CTL_DENIED,		/* the peer's uid may not use the socket */
	RG_CTL_CONFIG,		/* RELOAD: the new configuration was refused */
	RG_CTL_UNAVAILABLE,	/* the command cannot run in this daemon (no reload hook) */
	RG_CTL_INTERNAL,	/* out of memory or another internal failure */
};

/* The token on the wire ("usage" ...; "" for RG_CTL_OK). */
const char *rg_ctl_status_token(enum rg_ctl_status st);

/* relayguardctl's exit code for a status (sysexits.h; 0 for RG_CTL_OK). */
int rg_ctl_status_exit(enum rg_ctl_status st);

/* An answer: "OK text" or "ERR <token> text"; text may hold detail lines after
 * its first; a newline is added when it does not end with one. */
void rg_ctl_answer(FILE *out, enum rg_ctl_status st, const char *text);

/* Parse an answer: its status and, in *text_r, the first line's text (up to
 * the newline, not included; *text_len_r its length) and in *rest_r what
 * follows the first line.  -1 when the answer does not follow the protocol
 * (an unknown status token counts as RG_CTL_INTERNAL, so a newer daemon's
 * status still fails the command). */
int rg_ctl_parse_answer(const char *answer, enum rg_ctl_status *st_r, const char **text_r,
			size_t *text_len_r, const char **rest_r);

#endif
