/*
 * error.h — how functions report what went wrong: an `error_r` output, the
 * last argument (Dovecot style).  Two kinds, told apart by their type:
 *
 *   char **error_r        setup paths (load, open, start, check).  On failure
 *                         *error_r is a malloc'd text that the CALLER frees;
 *                         build it with rg_error_r() (NULL if even that
 *                         allocation failed: print "unknown error" then).
 *                         On success *error_r is NULL.
 *
 *   const char **error_r  per-request paths (store lookups, verify).  On
 *                         failure *error_r points to a static text or to a
 *                         buffer the CALLEE owns (thread-local or per store),
 *                         valid until that thread's next call into the same
 *                         code; the caller copies it if it must keep it and
 *                         never frees it.  Nothing is allocated to report.
 *
 * A text names the thing (path, key, user) and the problem; it never holds a
 * password, and values a client or a store influences are quoted by whoever
 * logs it (rg_log_quote).
 */
#ifndef RG_ERROR_H
#define RG_ERROR_H

/* *error_r = a malloc'd formatted text; returns -1 so that callers can write
 * `return rg_error_r(error_r, "...", ...);`. */
int rg_error_r(char **error_r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
