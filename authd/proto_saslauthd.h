/*
 * proto_saslauthd.h — server side of the Cyrus saslauthd protocol
 * (lib/checkpw.c client, saslauthd/ipc_unix.c server).
 *
 * Request: counted strings (2-byte big-endian length, then bytes, no NUL):
 * login, password, service, realm and — Cyrus SASL ≥ 2.1.27 — the client
 * address ("ip;port", may be empty).  Reply: one counted string "OK[ text]"
 * or "NO[ text]".  One request per connection.
 *
 * Pure parser over a buffer so it can be fuzzed (fuzz/fuzz_saslauthd.c).
 */
#ifndef RG_PROTO_SASLAUTHD_H
#define RG_PROTO_SASLAUTHD_H

#include <stddef.h>
#include "auth_check.h"

#define RG_SA_MAX_SERVICE 64
#define RG_SA_MAX_REALM 255
#define RG_SA_MAX_ADDR 80
/* Largest request: five counted strings at their limits. */
#define RG_SA_MAX_REQUEST (10 + RG_AUTH_MAX_NAME + RG_AUTH_MAX_PASSWORD + RG_SA_MAX_SERVICE + \
			   RG_SA_MAX_REALM + RG_SA_MAX_ADDR)

enum rg_sa_parse {
	RG_SA_NEED_MORE = 0,	/* incomplete: read more */
	RG_SA_DONE4,		/* four fields complete; a fifth may still come */
	RG_SA_DONE5,		/* five fields complete */
	RG_SA_ERROR,		/* malformed / over a limit: close without reply */
};

struct rg_sa_request {
	char login[RG_AUTH_MAX_NAME + 1];
	char password[RG_AUTH_MAX_PASSWORD + 1];
	size_t password_len;
	char service[RG_SA_MAX_SERVICE + 1];
	char realm[RG_SA_MAX_REALM + 1];
	char addr[RG_SA_MAX_ADDR + 1];	/* the IP part of "ip;port" (or "") */
	struct rg_auth_request req;	/* filled on DONE4/DONE5 */
};

/* Parse buf[0..len).  On DONE4/DONE5 out is filled (out->req points into
 * out).  On ERROR *error_r says why.  Bytes after the fifth field: ERROR. */
enum rg_sa_parse rg_sa_parse(const unsigned char *buf, size_t len, struct rg_sa_request *out,
			     const char **error_r);

/* Wipe the password and names. */
void rg_sa_request_wipe(struct rg_sa_request *r);

/* Reply counted string for an OK/FAIL result: returns length (0 for
 * TEMPFAIL: the caller closes without a reply, which libsasl reports as
 * SASL_FAIL — a temporary error — rather than SASL_BADAUTH). */
size_t rg_sa_format_result(unsigned char *buf, size_t n, const struct rg_auth_result *r);

#endif
