/*
 * log.h — syslog lines (and stderr in the foreground / in tests).
 * Never pass a password to these functions.
 */
#ifndef RG_LOG_H
#define RG_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <syslog.h>

/* ident: "relayguard"; facility name from config ("mail", "local0", ...).
 * to_stderr: also write each line to stderr (foreground, tests). */
void rg_log_open(const char *ident, const char *facility, bool to_stderr);
/* Only stderr (tools, tests); no syslog. */
void rg_log_stderr_only(void);
/* Turn the copy to stderr on or off (off once the daemon is in the background). */
void rg_log_set_stderr(bool on);
void rg_log(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Set *error_r to a malloc'd formatted message (Dovecot-style error_r
 * outputs); returns -1 so that callers can `return rg_error_r(...)`. */
int rg_error_r(char **error_r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Facility name → LOG_* value, or -1. */
int rg_log_facility(const char *name);

/* Copy s into buf (size n) so it is safe in a log line: control bytes and
 * non-ASCII become \xNN, length bounded (…). Returns buf. */
const char *rg_log_safe(char *buf, size_t n, const char *s);

#endif
