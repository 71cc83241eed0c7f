/*
 * authres.h — Authentication-Results (RFC 8601) for authenticated mail:
 * relayguard adds "AUTHSERV-ID; auth=pass smtp.auth=IDENTITY" to a message
 * it accepts from an authenticated session (milter.authserv_id; "" = off),
 * and removes every Authentication-Results field, of any name case, in any
 * position, that claims that authserv-id (RFC 8601 section 5: such a field
 * arriving from outside is a forgery), from every message it lets through,
 * authenticated or not.  Pure functions.
 */
#ifndef RG_AUTHRES_H
#define RG_AUTHRES_H

#include <stdbool.h>
#include <stddef.h>

#define RG_AUTHRES_HEADER "Authentication-Results"

/* NULL when id is a usable authserv-id (an RFC 2045 token, e.g. a host
 * name), else why not. */
const char *rg_authres_id_problem(const char *id);

/* Does the field value (folded, len bytes) claim authserv-id id?  Its first
 * token after comments and white space, compared without regard to case. */
bool rg_authres_claims(const char *value, size_t len, const char *id);

/* The Authentication-Results fields of one message, as they go by. */
struct rg_authres_msg {
	unsigned n_fields;	/* Authentication-Results fields seen */
	unsigned *ours;		/* 1-based indexes (among them) claiming our id */
	size_t n_ours, cap;
	bool oom;
};
void rg_authres_msg_clear(struct rg_authres_msg *m);	/* frees; back to all zero */
/* Feed one header field (every field; others are ignored). */
void rg_authres_header(const char *id, struct rg_authres_msg *m, const char *name,
		       const char *value, size_t len);

/* The value of the field to add for identity: "ID; auth=pass smtp.auth=X",
 * X quoted when it is not a token or local-part@domain.  Returns the length,
 * 0 if it does not fit in n. */
size_t rg_authres_value(const char *id, const char *identity, char *out, size_t n);

#endif
