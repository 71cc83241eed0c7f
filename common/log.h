/*
 * log.h — syslog lines (and stderr in the foreground / in tests).
 * Never pass a password to these functions.
 */
#ifndef RG_LOG_H
#define RG_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <syslog.h>

#include "error.h"	/* rg_error_r: most files that log also report errors */

/* ident: "relayguard"; facility name from config ("mail", "local0", ...);
 * socket: the syslog daemon's socket (NULL: RG_SYSLOG_SOCKET).
 * to_stderr: also write each line to stderr (foreground, tests). */
void rg_log_open(const char *ident, const char *facility, const char *socket, bool to_stderr);
#define RG_SYSLOG_SOCKET "/dev/log"

/* log_syslog.c: the syslog client behind rg_log (see there why not syslog(3)).
 * open: remember the socket, identity and facility, connect (-1: not now;
 * sends retry at most once per second).  send: one line, never blocks on a
 * lock; a line that cannot be sent is counted in log.syslog_dropped. */
int rg_syslog_open(const char *path, const char *ident, int facility);
void rg_syslog_send(int priority, const char *text);
/* A key=value line is cut at RG_LOG_LINE_MAX - 1 bytes; a datagram (header
 * and text, the JSON form included) at RG_SYSLOG_LINE_MAX bytes. */
#define RG_LOG_LINE_MAX 2048
#define RG_SYSLOG_LINE_MAX 16383
/* Only stderr (tools, tests); no syslog. */
void rg_log_stderr_only(void);
/* Turn the copy to stderr on or off (off once the daemon is in the background). */
void rg_log_set_stderr(bool on);
void rg_log(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* log_format = "json": every line becomes one JSON object with the same
 * fields (log_json.c); false: key=value text. */
void rg_log_set_json(bool on);
/* line (a key=value log line) as JSON into buf; its length (0 if size < 64). */
size_t rg_log_json(int priority, const char *line, char *buf, size_t size);
/* Facility name → LOG_* value, or -1. */
int rg_log_facility(const char *name);

/*
 * Values a client or a store can influence (user names, service, addresses,
 * macros, header values, store error text) go into log lines only through
 * these two, so that a line always parses as key=value fields:
 *
 * rg_log_quote: s as one field value into buf (size n >= RG_LOG_QUOTE_MIN).
 *   NULL                                    ->  -            (absent)
 *   non-empty, only [A-Za-z0-9._@+:/-], not "-"  ->  as is   (bare)
 *   anything else                           ->  "..."        (quoted)
 *   Inside the quotes " and \ are written \" and \\; '=', control bytes and
 *   bytes >= 0x7f are written \xNN.  So a value never holds a space outside
 *   quotes, nor a raw '=' or '"': the only '=' in a line are key separators.
 *   A value cut to fit ends in \... inside the quotes.  Returns buf.
 * rg_log_safe: the same escaping without the quotes, for text that the
 *   caller places inside a quoted field (reason="... : detail").
 */
#define RG_LOG_QUOTE_MIN 8
const char *rg_log_quote(char *buf, size_t n, const char *s);
const char *rg_log_safe(char *buf, size_t n, const char *s);

#endif
