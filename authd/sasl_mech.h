/*
 * sasl_mech.h — the two plaintext SASL mechanisms (RFC 4616 PLAIN, LOGIN)
 * and the limits every front end applies to names and passwords.
 * Pure functions over buffers: no I/O, no logging.
 */
#ifndef RG_SASL_MECH_H
#define RG_SASL_MECH_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"	/* enum rg_mech */

#define RG_AUTH_MAX_NAME 255		/* authcid / authzid / login, bytes */
#define RG_AUTH_MAX_PASSWORD 1024	/* bytes */

/* "PLAIN" / "LOGIN" (case-insensitive) → enum; anything else NONE. */
enum rg_mech rg_mech_parse(const char *name);
const char *rg_mech_name(enum rg_mech m);

/* A name is acceptable: 1..RG_AUTH_MAX_NAME bytes (0 allowed when
 * allow_empty), no control bytes (NUL, TAB, CR, LF, DEL, < 0x20). */
bool rg_sasl_name_ok(const char *s, size_t len, bool allow_empty);

/* Decoded PLAIN message: authzid NUL authcid NUL password.
 * Copies into the caller's buffers (NUL-terminated; sizes at least
 * RG_AUTH_MAX_NAME+1 and RG_AUTH_MAX_PASSWORD+1).  Returns 0, or -1 with
 * *error_r (static text) on any malformed input: missing separators, extra
 * separators, empty authcid, over-long fields, control bytes in names, NUL
 * in the password. */
int rg_sasl_plain_parse(const unsigned char *msg, size_t len,
			char *authz, char *authc, char *password, size_t *password_len_r,
			const char **error_r);

/* LOGIN steps: the prompts the server sends (before base64). */
#define RG_LOGIN_PROMPT_USER "Username:"
#define RG_LOGIN_PROMPT_PASS "Password:"

/* A LOGIN answer (username or password) checked and copied.  what =
 * 'u' (username) or 'p' (password).  Returns 0 or -1 with *error_r. */
int rg_sasl_login_field(const unsigned char *data, size_t len, char what,
			char *out, size_t *len_r, const char **error_r);

#endif
