/* sasl_mech.c — PLAIN and LOGIN message parsing, name/password limits. */
#include <autoconfig.h>
#include "sasl_mech.h"

#include <string.h>
#include <strings.h>

enum rg_mech rg_mech_parse(const char *name)
{
	if (strcasecmp(name, "PLAIN") == 0)
		return RG_MECH_PLAIN;
	if (strcasecmp(name, "LOGIN") == 0)
		return RG_MECH_LOGIN;
	return RG_MECH_NONE;
}

const char *rg_mech_name(enum rg_mech m)
{
	switch (m) {
	case RG_MECH_PLAIN: return "PLAIN";
	case RG_MECH_LOGIN: return "LOGIN";
	default: return "none";
	}
}

bool rg_sasl_name_ok(const char *s, size_t len, bool allow_empty)
{
	if (len == 0)
		return allow_empty;
	if (len > RG_AUTH_MAX_NAME)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			return false;
	}
	return true;
}

static bool password_ok(const unsigned char *p, size_t len)
{
	if (len > RG_AUTH_MAX_PASSWORD)
		return false;
	return memchr(p, '\0', len) == NULL;
}

int rg_sasl_plain_parse(const unsigned char *msg, size_t len,
			char *authz, char *authc, char *password, size_t *password_len_r,
			const char **error_r)
{
	const unsigned char *nul1 = memchr(msg, '\0', len);
	if (nul1 == NULL) {
		*error_r = "PLAIN message without separators";
		return -1;
	}
	size_t zlen = (size_t)(nul1 - msg);
	const unsigned char *rest = nul1 + 1;
	size_t restlen = len - zlen - 1;
	const unsigned char *nul2 = memchr(rest, '\0', restlen);
	if (nul2 == NULL) {
		*error_r = "PLAIN message with one separator";
		return -1;
	}
	size_t clen = (size_t)(nul2 - rest);
	const unsigned char *pw = nul2 + 1;
	size_t plen = restlen - clen - 1;

	if (!rg_sasl_name_ok((const char *)msg, zlen, true)) {
		*error_r = "invalid authorization identity";
		return -1;
	}
	if (!rg_sasl_name_ok((const char *)rest, clen, false)) {
		*error_r = clen == 0 ? "empty authentication identity"
				     : "invalid authentication identity";
		return -1;
	}
	if (!password_ok(pw, plen)) {
		*error_r = plen > RG_AUTH_MAX_PASSWORD ? "password too long"
						       : "PLAIN message with extra separators";
		return -1;
	}
	memcpy(authz, msg, zlen);
	authz[zlen] = '\0';
	memcpy(authc, rest, clen);
	authc[clen] = '\0';
	memcpy(password, pw, plen);
	password[plen] = '\0';
	*password_len_r = plen;
	return 0;
}

int rg_sasl_login_field(const unsigned char *data, size_t len, char what,
			char *out, size_t *len_r, const char **error_r)
{
	if (what == 'u') {
		if (!rg_sasl_name_ok((const char *)data, len, false)) {
			*error_r = len == 0 ? "empty username" : "invalid username";
			return -1;
		}
	} else if (!password_ok(data, len)) {
		*error_r = len > RG_AUTH_MAX_PASSWORD ? "password too long" : "NUL in password";
		return -1;
	}
	memcpy(out, data, len);
	out[len] = '\0';
	*len_r = len;
	return 0;
}
