/* authres.c — Authentication-Results fields (see authres.h). */
#include <autoconfig.h>
#include "authres.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* RFC 2045 token characters: printable ASCII except space and tspecials */
static bool token_char(unsigned char c)
{
	return c > ' ' && c < 0x7f && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

const char *rg_authres_id_problem(const char *id)
{
	if (id == NULL || id[0] == '\0')
		return "empty authserv-id";
	if (strlen(id) > 255)
		return "authserv-id longer than 255 bytes";
	for (const unsigned char *p = (const unsigned char *)id; *p; p++)
		if (!token_char(*p))
			return "authserv-id must be a token such as a host name (letters, digits, "
			       ". - _ and no spaces, quotes or ;)";
	return NULL;
}

/* Skip white space, folding and (nested) comments. */
static const char *skip_cfws(const char *p, const char *end)
{
	while (p < end) {
		if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
			p++;
		} else if (*p == '(') {
			int depth = 0;
			do {
				if (*p == '\\' && p + 1 < end)
					p++;
				else if (*p == '(')
					depth++;
				else if (*p == ')')
					depth--;
				p++;
			} while (depth > 0 && p < end);
		} else {
			break;
		}
	}
	return p;
}

bool rg_authres_claims(const char *value, size_t len, const char *id)
{
	const char *end = value + len, *p = skip_cfws(value, end);
	char got[512];
	size_t n = 0;

	if (p < end && *p == '"') {	/* a quoted-string authserv-id */
		for (p++; p < end && *p != '"' && n + 1 < sizeof(got); p++) {
			if (*p == '\\' && p + 1 < end)
				p++;
			got[n++] = *p;
		}
	} else {
		while (p < end && token_char((unsigned char)*p) && n + 1 < sizeof(got))
			got[n++] = *p++;
	}
	got[n] = '\0';
	return n > 0 && strcasecmp(got, id) == 0;
}

void rg_authres_msg_clear(struct rg_authres_msg *m)
{
	free(m->ours);
	memset(m, 0, sizeof(*m));
}

void rg_authres_header(const char *id, struct rg_authres_msg *m, const char *name,
		       const char *value, size_t len)
{
	if (id == NULL || id[0] == '\0' || name == NULL || strcasecmp(name, RG_AUTHRES_HEADER) != 0)
		return;
	m->n_fields++;
	if (!rg_authres_claims(value != NULL ? value : "", value != NULL ? len : 0, id))
		return;
	if (m->n_ours == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 4;
		unsigned *n = realloc(m->ours, cap * sizeof(*n));
		if (n == NULL) {
			m->oom = true;
			return;
		}
		m->ours = n;
		m->cap = cap;
	}
	m->ours[m->n_ours++] = m->n_fields;
}

/* local-part@domain or a token: the forms RFC 8601's pvalue takes bare */
static bool bare_value(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (!token_char(*p) && *p != '@')
			return false;
	return s[0] != '\0' && strchr(s, '@') == strrchr(s, '@');
}

size_t rg_authres_value(const char *id, const char *identity, char *out, size_t n)
{
	size_t o;
	int k = snprintf(out, n, "%s; auth=pass smtp.auth=", id);

	if (k < 0 || (size_t)k >= n)
		return 0;
	o = (size_t)k;
	if (bare_value(identity)) {
		size_t l = strlen(identity);
		if (o + l >= n)
			return 0;
		memcpy(out + o, identity, l + 1);
		return o + l;
	}
	if (o + 1 >= n)
		return 0;
	out[o++] = '"';
	for (const char *p = identity; *p; p++) {
		if (o + 3 >= n)
			return 0;
		if (*p == '"' || *p == '\\')
			out[o++] = '\\';
		out[o++] = *p;
	}
	out[o++] = '"';
	out[o] = '\0';
	return o;
}
