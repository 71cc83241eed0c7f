/*
 * fuzz_saslauthd.c — libFuzzer target for the saslauthd request parser
 * (authd/proto_saslauthd.c).  The input is parsed whole and at every prefix
 * length (as bytes trickle in); a parsed request must respect every limit.
 */
#include <autoconfig.h>
#include "proto_saslauthd.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct rg_sa_request *r)
{
	if (r->req.authc != r->login || r->login[0] == '\0' ||
	    !rg_sasl_name_ok(r->login, strlen(r->login), false) ||
	    r->password_len > RG_AUTH_MAX_PASSWORD || strlen(r->service) > RG_SA_MAX_SERVICE ||
	    strlen(r->realm) > RG_SA_MAX_REALM || strlen(r->addr) > RG_SA_MAX_ADDR)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rg_sa_request r;
	const char *err;
	unsigned char out[64];

	if (size > RG_SA_MAX_REQUEST + 64)
		size = RG_SA_MAX_REQUEST + 64;
	for (size_t n = 0; n <= size; n += (n < 64 ? 1 : 61)) {
		enum rg_sa_parse st = rg_sa_parse(data, n, &r, &err);
		if (st == RG_SA_DONE4 || st == RG_SA_DONE5) {
			check(&r);
			struct rg_auth_result res = { .status = (enum rg_auth_status)(n % 3) };
			size_t rl = rg_sa_format_result(out, sizeof(out), &res);
			if ((res.status == RG_AUTH_TEMPFAIL) != (rl == 0))
				abort();
			rg_sa_request_wipe(&r);
		} else if (st == RG_SA_ERROR && err == NULL) {
			abort();
		}
		err = NULL;
	}
	return 0;
}
