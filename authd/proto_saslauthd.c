/* proto_saslauthd.c — Cyrus saslauthd wire format, server side. */
#include <autoconfig.h>
#include "proto_saslauthd.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

void rg_sa_request_wipe(struct rg_sa_request *r)
{
	sodium_memzero(r, sizeof(*r));
}

/* Read one counted string at *pos.  1 = complete, 0 = need more, -1 = too long. */
static int counted(const unsigned char *buf, size_t len, size_t *pos, size_t max,
		   const unsigned char **data_r, size_t *dlen_r)
{
	if (len - *pos < 2)
		return 0;
	size_t n = ((size_t)buf[*pos] << 8) | buf[*pos + 1];
	if (n > max)
		return -1;
	if (len - *pos - 2 < n)
		return 0;
	*data_r = buf + *pos + 2;
	*dlen_r = n;
	*pos += 2 + n;
	return 1;
}

static bool printable(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

enum rg_sa_parse rg_sa_parse(const unsigned char *buf, size_t len, struct rg_sa_request *out,
			     const char **error_r)
{
	static const struct {
		const char *name;
		size_t max;
	} fields[5] = {
		{"login", RG_AUTH_MAX_NAME}, {"password", RG_AUTH_MAX_PASSWORD},
		{"service", RG_SA_MAX_SERVICE}, {"realm", RG_SA_MAX_REALM},
		{"client address", RG_SA_MAX_ADDR},
	};
	const unsigned char *d[5] = {0};
	size_t dl[5] = {0};
	size_t pos = 0, nf;

	for (nf = 0; nf < 5; nf++) {
		int r = counted(buf, len, &pos, fields[nf].max, &d[nf], &dl[nf]);
		if (r < 0) {
			*error_r = nf == 0 ? "login too long" : nf == 1 ? "password too long"
				 : nf == 2 ? "service too long" : nf == 3 ? "realm too long"
				 : "client address too long";
			return RG_SA_ERROR;
		}
		if (r == 0)
			break;
	}
	if (nf < 4)
		return RG_SA_NEED_MORE;
	if (nf == 4 && len > pos) {
		/* part of a fifth field: wait for it */
		return RG_SA_NEED_MORE;
	}
	if (nf == 5 && pos != len) {
		*error_r = "data after the last field";
		return RG_SA_ERROR;
	}

	if (!rg_sasl_name_ok((const char *)d[0], dl[0], false)) {
		*error_r = dl[0] == 0 ? "empty login" : "invalid login";
		return RG_SA_ERROR;
	}
	if (memchr(d[1], '\0', dl[1]) != NULL) {
		*error_r = "NUL in password";
		return RG_SA_ERROR;
	}
	for (size_t i = 2; i < nf; i++)
		if (!printable(d[i], dl[i])) {
			*error_r = "control bytes in a field";
			return RG_SA_ERROR;
		}

	memset(out, 0, sizeof(*out));
	memcpy(out->login, d[0], dl[0]);
	memcpy(out->password, d[1], dl[1]);
	out->password_len = dl[1];
	memcpy(out->service, d[2], dl[2]);
	memcpy(out->realm, d[3], dl[3]);
	if (nf == 5) {
		/* "ip;port": keep the address part */
		const unsigned char *semi = memchr(d[4], ';', dl[4]);
		size_t alen = semi ? (size_t)(semi - d[4]) : dl[4];
		memcpy(out->addr, d[4], alen);
		out->addr[alen] = '\0';
		if (strspn(out->addr, "0123456789abcdefABCDEF:.") != alen) {
			*error_r = "invalid client address";
			sodium_memzero(out, sizeof(*out));
			return RG_SA_ERROR;
		}
	}
	out->req.protocol = "saslauthd";
	out->req.mech = RG_MECH_NONE;
	out->req.authz = "";
	out->req.authc = out->login;
	out->req.password = out->password;
	out->req.password_len = out->password_len;
	out->req.service = out->service;
	out->req.remote_addr = out->addr;
	out->req.tls_known = false;	/* Cyrus does not say; see doc (AuthOptions=p) */
	out->req.secured = false;
	return nf == 5 ? RG_SA_DONE5 : RG_SA_DONE4;
}

size_t rg_sa_format_result(unsigned char *buf, size_t n, const struct rg_auth_result *r)
{
	const char *text;

	if (r->status == RG_AUTH_OK)
		text = "OK Success.";
	else if (r->status == RG_AUTH_FAIL)
		text = "NO authentication failed";
	else
		return 0;
	size_t tl = strlen(text);
	if (n < tl + 2)
		return 0;
	buf[0] = (unsigned char)(tl >> 8);
	buf[1] = (unsigned char)(tl & 0xff);
	memcpy(buf + 2, text, tl);
	return tl + 2;
}
