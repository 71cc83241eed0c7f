/* policy.c — milter decisions: TLS for AUTH, required AUTH, known identity,
 * tenant header.  Pure: facts in, verdict out (see policy.h). */
#include <autoconfig.h>
#include "policy.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *rg_action_str(enum rg_action a)
{
	switch (a) {
	case RG_CONTINUE: return "continue";
	case RG_ACCEPT: return "accept";
	case RG_REJECT: return "reject";
	case RG_TEMPFAIL: return "tempfail";
	}
	return "unknown";
}

void rg_verdict_set(struct rg_verdict *v, enum rg_action action, const char *code,
			const char *xcode, const char *reason, const char *fmt, ...)
{
	va_list ap;

	v->action = action;
	v->code = code;
	v->xcode = xcode;
	v->reason = reason;
	v->text[0] = '\0';
	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(v->text, sizeof(v->text), fmt, ap);
		va_end(ap);
	}
}

static void verdict_pass(struct rg_verdict *v, enum rg_action action, const char *reason)
{
	rg_verdict_set(v, action, NULL, NULL, reason, NULL);
}

static void verdict_tempfail(struct rg_verdict *v, const char *reason)
{
	rg_verdict_set(v, RG_TEMPFAIL, "451", "4.7.1", reason,
		    "Temporary failure, try again later");
}

static bool nonempty(const char *s)
{
	return s != NULL && s[0] != '\0';
}

/* ---- TLS ---- */

int rg_tls_version_parse(const char *s)
{
	if (s == NULL)
		return -1;
	if (strncasecmp(s, "SSLv", 4) == 0)
		return (s[4] == '2' || s[4] == '3') && s[5] == '\0' ? RG_TLS_NONE + 1 : -1;
	if (strncasecmp(s, "TLSv1", 5) != 0)
		return -1;
	s += 5;
	if (*s == '\0')
		return RG_TLS_1_0;
	/* only versions that exist: "TLSv1.4" is not "better than 1.3", it is
	 * something we cannot judge */
	if (*s != '.' || s[1] < '0' || s[1] > '3' || s[2] != '\0')
		return -1;
	return RG_TLS_1_0 + (s[1] - '0');
}

/* {cipher_bits}: a decimal number of secret bits, or -1. */
static long cipher_bits_parse(const char *s)
{
	long v = 0;

	if (s == NULL || *s == '\0')
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 100000)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

bool rg_policy_tls_sufficient(const struct rg_config *cfg, const struct rg_facts *f)
{
	int have;

	if (!nonempty(f->tls_version) && !nonempty(f->cipher))
		return false;
	/* a NULL cipher (0 bits) or a weak one is no protection, whatever the version */
	if (f->cipher_bits != NULL &&
	    cipher_bits_parse(f->cipher_bits) < (long)cfg->milter.min_cipher_bits)
		return false;
	if (!nonempty(f->tls_version))	/* cipher only: version unknown */
		return cfg->milter.min_tls_version <= RG_TLS_NONE;
	have = rg_tls_version_parse(f->tls_version);
	if (have < 0)
		return false;
	return have >= (int)cfg->milter.min_tls_version;
}

bool rg_policy_authenticated(const struct rg_facts *f)
{
	return nonempty(f->auth_type) || nonempty(f->auth_authen);
}

static bool listener_requires_auth(const struct rg_config *cfg, const char *daemon_name)
{
	for (size_t i = 0; i < cfg->milter.n_require_auth; i++)
		if (daemon_name != NULL && strcmp(cfg->milter.require_auth[i], daemon_name) == 0)
			return true;
	return false;
}

/* ---- MAIL FROM ---- */

/* The login behind {auth_authen} (set when it acted as another identity):
 * still enabled, still holding the act_as grant.  A session whose login is
 * not known: see milter.uncorrelated_auth.  false: *v is set. */
static bool mail_login_ok(const struct rg_config *cfg, const struct rg_policy_lookups *lk,
			  const struct rg_facts *f, struct rg_verdict *v)
{
	bool disabled = false;
	const char *error = NULL;
	enum rg_lookup r;

	if (f->login_authc == NULL) {
		if (f->login_act_as_seen ||
		    cfg->milter.uncorrelated_auth == RG_UNCORRELATED_TEMPFAIL) {
			/* it may be an act-as session we cannot check */
			verdict_tempfail(v, "login_not_correlated");
			return false;
		}
		return true;	/* the identity logged in as itself, as far as we know */
	}
	if (strcmp(f->login_authc, f->auth_authen) == 0)
		return true;	/* checked above */
	r = lk->user_enabled(cfg, f->login_authc, &disabled, &error);
	if (r == RG_LOOKUP_ERROR) {
		verdict_tempfail(v, "store_error");
		return false;
	}
	if (r != RG_LOOKUP_FOUND) {
		rg_verdict_set(v, RG_REJECT, "550", "5.7.1",
			    disabled ? "login_disabled" : "login_unknown",
			    "Sender identity is not permitted to send");
		return false;
	}
	r = lk->may_act_as(cfg, f->login_authc, f->auth_authen, &error);
	if (r == RG_LOOKUP_ERROR) {
		verdict_tempfail(v, "store_error");
		return false;
	}
	if (r != RG_LOOKUP_FOUND) {
		rg_verdict_set(v, RG_REJECT, "550", "5.7.1", "act_as_revoked",
			    "Sender identity is not permitted to send");
		return false;
	}
	return true;
}

void rg_policy_mail(const struct rg_config *cfg, const struct rg_policy_lookups *lk,
		    const struct rg_facts *f, struct rg_verdict *v)
{
	bool authenticated = rg_policy_authenticated(f);

	/* No macro of the MAIL stage at all: the MTA is not sending them, so
	 * "no {auth_type}" means nothing.  Don't guess. */
	if (!f->mail_macros_seen) {
		verdict_tempfail(v, "mail_macros_missing");
		return;
	}
	if (authenticated && cfg->milter.require_tls_for_auth &&
	    !rg_policy_tls_sufficient(cfg, f)) {
		bool some_tls = nonempty(f->tls_version) || nonempty(f->cipher);
		rg_verdict_set(v, RG_REJECT, "530", "5.7.0",
			    some_tls ? "auth_tls_too_weak" : "auth_without_tls",
			    some_tls ? "Authenticated mail requires a stronger TLS version"
				     : "Authenticated mail requires TLS");
		return;
	}
	if (!authenticated && cfg->milter.n_require_auth > 0) {
		if (!f->connect_macros_seen || f->daemon_name == NULL) {
			/* cannot tell which listener this is */
			verdict_tempfail(v, "connect_macros_missing");
			return;
		}
		if (listener_requires_auth(cfg, f->daemon_name)) {
			rg_verdict_set(v, RG_REJECT, "530", "5.7.0", "auth_required",
				    "Authentication required");
			return;
		}
	}
	if (authenticated && cfg->milter.require_known_identity) {
		bool disabled = false;
		const char *error = NULL;
		enum rg_lookup r;

		if (!nonempty(f->auth_authen)) {
			/* {auth_type} without {auth_authen}: identity not delivered */
			verdict_tempfail(v, "auth_authen_missing");
			return;
		}
		r = lk->user_enabled(cfg, f->auth_authen, &disabled, &error);
		if (r == RG_LOOKUP_ERROR) {
			verdict_tempfail(v, "store_error");
			return;
		}
		if (r != RG_LOOKUP_FOUND) {
			rg_verdict_set(v, RG_REJECT, "550", "5.7.1",
				    disabled ? "identity_disabled" : "identity_unknown",
				    "Sender identity is not permitted to send");
			return;
		}
		if (!mail_login_ok(cfg, lk, f, v))
			return;
	}
	verdict_pass(v, RG_CONTINUE, "mail_ok");
}

/* ---- tenant header ---- */

void rg_tenant_msg_init(struct rg_tenant_msg *m)
{
	memset(m, 0, sizeof(*m));
}

void rg_tenant_msg_clear(struct rg_tenant_msg *m)
{
	free(m->value);
	rg_tenant_msg_init(m);
}

static bool tenant_char_ok(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-' || c == '+' || c == '@';
}

char *rg_tenant_normalize(const char *raw, size_t len, size_t max_len, const char **reason_r)
{
	char *out;
	size_t o = 0;

	*reason_r = NULL;
	out = malloc(len + 1);
	if (out == NULL) {
		*reason_r = "internal_error";
		return NULL;
	}
	/* unfold: a line break followed by SP/HTAB becomes the white space; a
	 * bare line break (not a fold) is malformed */
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)raw[i];

		if (c == '\r' && i + 1 < len && raw[i + 1] == '\n')
			continue;	/* the LF decides */
		if (c == '\n') {
			if (i + 1 < len && (raw[i + 1] == ' ' || raw[i + 1] == '\t'))
				continue;
			*reason_r = "tenant_header_control_char";
			goto fail;
		}
		if (c == '\t')
			c = ' ';
		if (c < 0x20 || c >= 0x7f) {
			*reason_r = "tenant_header_control_char";
			goto fail;
		}
		out[o++] = (char)c;
	}
	out[o] = '\0';
	/* trim */
	size_t start = 0;
	while (out[start] == ' ')
		start++;
	while (o > start && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
	if (start > 0)
		memmove(out, out + start, o - start + 1);
	o -= start;

	if (strstr(out, "=?") != NULL) {
		*reason_r = "tenant_header_encoded_word";
		goto fail;
	}
	if (o == 0) {
		*reason_r = "tenant_header_empty";
		goto fail;
	}
	if (o > max_len) {
		*reason_r = "tenant_header_too_long";
		goto fail;
	}
	for (size_t i = 0; i < o; i++)
		if (!tenant_char_ok((unsigned char)out[i])) {
			*reason_r = "tenant_header_invalid";
			goto fail;
		}
	return out;
fail:
	free(out);
	return NULL;
}

static bool header_is(const char *configured, const char *name)
{
	return nonempty(configured) && name != NULL && strcasecmp(configured, name) == 0;
}

void rg_policy_header(const struct rg_config *cfg, struct rg_tenant_msg *m,
		      const char *name, const char *value, size_t value_len)
{
	const char *reason = NULL;
	char *norm;

	if (header_is(cfg->tenants.add_header, name))
		m->n_added_name++;
	if (header_is(cfg->tenants.egress_header, name))
		m->n_egress_name++;
	if (!header_is(cfg->tenants.header, name))
		return;
	m->count++;
	if (value == NULL)
		value = "";
	norm = rg_tenant_normalize(value, value_len,
				   cfg->tenants.max_length > 0 ? (size_t)cfg->tenants.max_length : 64,
				   &reason);
	if (norm == NULL) {
		if (m->error == NULL)
			m->error = reason;
		return;
	}
	if (m->value == NULL) {
		m->value = norm;
		return;
	}
	/* tenant names compare case-insensitively (rg_config_tenant does too) */
	if (strcasecmp(m->value, norm) != 0)
		m->conflict = true;
	free(norm);
}

/* Plan the header edits for a message that passes. */
static void plan_edits(const struct rg_config *cfg, const struct rg_tenant_msg *m,
		       const char *verified, struct rg_header_edits *e)
{
	memset(e, 0, sizeof(*e));
	if (cfg->tenants.remove_header)
		e->remove_tenant = m->count;
	if (nonempty(cfg->tenants.add_header)) {
		/* a client-supplied copy of the header we add could pass for a
		 * verified tenant downstream: always drop those */
		if (header_is(cfg->tenants.header, cfg->tenants.add_header))
			e->remove_tenant = m->count;
		else
			e->remove_added = m->n_added_name;
		e->add_value = verified;
	}
	if (nonempty(cfg->tenants.egress_header)) {
		/* only relayguard writes it: every client copy goes */
		e->remove_egress = m->n_egress_name;
		const struct rg_tenant *t = verified ? rg_config_tenant(cfg, verified) : NULL;
		if (t != NULL && nonempty(t->egress_pool))
			e->egress_value = t->egress_pool;
	}
}

void rg_policy_eoh(const struct rg_config *cfg, const struct rg_policy_lookups *lk,
		   const struct rg_facts *f, const struct rg_tenant_msg *m,
		   struct rg_verdict *v, struct rg_header_edits *edits)
{
	const char *hdr = nonempty(cfg->tenants.header) ? cfg->tenants.header : "X-Tenant";
	bool allowed = false;
	const char *error = NULL;
	enum rg_lookup r;

	memset(edits, 0, sizeof(*edits));
	if (m->error != NULL) {
		if (strcmp(m->error, "internal_error") == 0) {
			verdict_tempfail(v, m->error);
			return;
		}
		rg_verdict_set(v, RG_REJECT, "550", "5.7.1", m->error,
			    "Malformed %s header", hdr);
		return;
	}
	if (m->conflict) {
		rg_verdict_set(v, RG_REJECT, "550", "5.7.1", "tenant_header_conflict",
			    "Conflicting %s headers", hdr);
		return;
	}
	if (m->count == 0 && !m->derived) {
		if (cfg->tenants.missing == RG_MISSING_REJECT ||
		    cfg->tenants.missing == RG_MISSING_FROM_DOMAIN_OR_REJECT) {
			rg_verdict_set(v, RG_REJECT, "550", "5.7.1", "tenant_header_missing",
				    "Missing %s header", hdr);
			return;
		}
		verdict_pass(v, RG_ACCEPT, "no_tenant_header");
		plan_edits(cfg, m, NULL, edits);
		return;
	}
	if (m->count > 1 && !cfg->tenants.accept_repeated_same) {
		rg_verdict_set(v, RG_REJECT, "550", "5.7.1", "tenant_header_repeated",
			    "Repeated %s header", hdr);
		return;
	}
	if (!rg_policy_authenticated(f)) {
		if (cfg->tenants.unauthenticated == RG_TENANT_REJECT) {
			rg_verdict_set(v, RG_REJECT, "550", "5.7.1", "tenant_header_unauthenticated",
				    "%s header requires authentication", hdr);
			return;
		}
		/* allowed through, but nothing was verified */
		verdict_pass(v, RG_ACCEPT, "tenant_unauthenticated_accepted");
		plan_edits(cfg, m, NULL, edits);
		return;
	}
	if (!nonempty(f->auth_authen)) {
		verdict_tempfail(v, "auth_authen_missing");
		return;
	}
	r = lk->tenant_authz(cfg, m->value, f->auth_authen, &allowed, &error);
	if (r == RG_LOOKUP_ERROR) {
		verdict_tempfail(v, "store_error");
		return;
	}
	if (r == RG_LOOKUP_NOTFOUND) {
		if (cfg->tenants.unknown == RG_TENANT_REJECT) {
			rg_verdict_set(v, RG_REJECT, "550", "5.7.1", "tenant_unknown",
				    "Unknown tenant %s", m->value);
			return;
		}
		verdict_pass(v, RG_ACCEPT, "tenant_unknown_accepted");
		plan_edits(cfg, m, NULL, edits);
		return;
	}
	if (!allowed) {
		rg_verdict_set(v, RG_REJECT, "550", "5.7.1", "tenant_not_authorized",
			    "Sender is not authorized for tenant %s%s", m->value,
			    m->derived ? " (the tenant of the From: domain)" : "");
		return;
	}
	verdict_pass(v, RG_ACCEPT, "tenant_authorized");
	plan_edits(cfg, m, m->value, edits);
}
