/*
 * policy_senders.c — sender ownership: the envelope sender at MAIL FROM and
 * the From:/Sender: addresses at end of headers must be granted to the
 * session's identity (see policy.h for the replies).  Pure, like policy.c:
 * the grants come through struct rg_policy_lookups.
 */
#include <autoconfig.h>
#include "policy.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mailbox.h"

/* s for a reply text: printable ASCII without '%' (libmilter's reply
 * formatting) and without '<' '>' inside the brackets we put around it */
static const char *reply_safe(char *buf, size_t n, const char *s)
{
	size_t o = 0;

	for (; s != NULL && *s != '\0' && o + 1 < n; s++) {
		unsigned char c = (unsigned char)*s;
		buf[o++] = c > ' ' && c < 0x7f && c != '%' && c != '<' && c != '>' ? (char)c : '?';
	}
	buf[o] = '\0';
	return buf;
}

static void lookup_tempfail(struct rg_verdict *v)
{
	rg_verdict_set(v, RG_TEMPFAIL, "451", "4.3.0", "sender_lookup_error",
		       "Temporary lookup failure");
}

void rg_policy_mail_sender(const struct rg_config *cfg, const struct rg_policy_lookups *lk,
			   const struct rg_facts *f, struct rg_verdict *v)
{
	char addr[RG_ADDR_MAX], shown[200], id[200];
	bool null = false, authenticated = rg_policy_authenticated(f);
	bool parsed;
	const char *error = NULL;
	enum rg_lookup r;

	if (v->action != RG_CONTINUE)
		return;
	if (!authenticated && cfg->senders.unauthenticated != RG_UNAUTH_SENDER_REJECT_OWNED)
		return;
	if (authenticated && !cfg->senders.check_envelope &&
	    cfg->senders.null_sender != RG_NULL_SENDER_REJECT)
		return;
	parsed = rg_envelope_sender(f->mail_from, addr, sizeof(addr), &null);
	reply_safe(shown, sizeof(shown), parsed ? addr : f->mail_from);
	reply_safe(id, sizeof(id), f->auth_authen);
	if (!authenticated) {
		if (!parsed || null)
			return;	/* nobody can hold it */
		r = lk->sender_has_owner(cfg, addr, &error);
		if (r == RG_LOOKUP_ERROR)
			lookup_tempfail(v);
		else if (r == RG_LOOKUP_FOUND)
			rg_verdict_set(v, RG_REJECT, "553", "5.7.1", "sender_not_logged_in",
				       "<%s>: Sender address rejected: not logged in", shown);
		return;
	}
	if (parsed && null) {
		if (cfg->senders.null_sender == RG_NULL_SENDER_REJECT)
			rg_verdict_set(v, RG_REJECT, "553", "5.7.1", "null_sender",
				       "<>: Sender address rejected: not owned by user %s", id);
		return;	/* allowed: the From: check still applies */
	}
	if (!cfg->senders.check_envelope)
		return;
	if (f->auth_authen == NULL || f->auth_authen[0] == '\0') {
		rg_verdict_set(v, RG_TEMPFAIL, "451", "4.7.1", "auth_authen_missing",
			       "Temporary failure, try again later");
		return;
	}
	if (!parsed) {
		rg_verdict_set(v, RG_REJECT, "553", "5.7.1", "sender_malformed",
			       "<%s>: Sender address rejected: not owned by user %s", shown, id);
		return;
	}
	r = lk->sender_owned(cfg, f->auth_authen, addr, &error);
	if (r == RG_LOOKUP_ERROR)
		lookup_tempfail(v);
	else if (r != RG_LOOKUP_FOUND)
		rg_verdict_set(v, RG_REJECT, "553", "5.7.1", "sender_not_owned",
			       "<%s>: Sender address rejected: not owned by user %s", shown, id);
}

void rg_sender_msg_clear(struct rg_sender_msg *m)
{
	free(m->from);
	free(m->sender);
	memset(m, 0, sizeof(*m));
}

static void keep_first(char **slot, size_t *len_r, unsigned *count, const char *value,
		       size_t len, bool *oom)
{
	if ((*count)++ > 0)
		return;
	*slot = malloc(len + 1);
	if (*slot == NULL) {
		*oom = true;
		return;
	}
	memcpy(*slot, value, len);
	(*slot)[len] = '\0';
	*len_r = len;
}

void rg_policy_sender_header(const struct rg_config *cfg, struct rg_sender_msg *m,
			     const char *name, const char *value, size_t value_len)
{
	/* From: always (tenant domains need it too); Sender: when checked */
	if (name == NULL)
		return;
	if (value == NULL)
		value_len = 0;
	if (strcasecmp(name, "From") == 0)
		keep_first(&m->from, &m->from_len, &m->n_from, value ? value : "", value_len,
			   &m->oom);
	else if (strcasecmp(name, "Sender") == 0 && cfg->senders.check_from &&
		 cfg->senders.check_sender_header)
		keep_first(&m->sender, &m->sender_len, &m->n_sender, value ? value : "", value_len,
			   &m->oom);
}

/* One header field that must hold exactly one mailbox owned by the identity.
 * what: "From" or "Sender".  false: *v set. */
static bool field_owned(const struct rg_config *cfg, const struct rg_policy_lookups *lk,
			const char *identity, const char *what, const char *value, size_t len,
			unsigned count, struct rg_sender_msg *m, struct rg_verdict *v)
{
	struct rg_mailbox mb[2];
	char shown[200], id[200];
	const char *error = NULL;
	bool from = strcmp(what, "From") == 0;

	if (count > 1) {
		rg_verdict_set(v, RG_REJECT, "550", "5.6.0", from ? "from_repeated" : "sender_repeated",
			       "Message has more than one %s: header", what);
		return false;
	}
	int n = rg_mailbox_list_parse(value, len, mb, 2, &error);
	if (n < 0) {
		rg_verdict_set(v, RG_REJECT, "550", "5.6.0", from ? "from_malformed" : "sender_malformed",
			       "Malformed %s: header (%s)", what, error);
		return false;
	}
	if (n != 1) {
		rg_verdict_set(v, RG_REJECT, "550", "5.6.0",
			       n == 0 ? (from ? "from_empty" : "sender_empty")
				      : (from ? "from_multiple" : "sender_multiple"),
			       n == 0 ? "%s: header holds no address"
				      : "%s: header holds more than one address", what);
		return false;
	}
	if (from) {
		m->display_has_at = mb[0].display_has_at;
		memcpy(m->from_addr, mb[0].addr, sizeof(m->from_addr));
	}
	enum rg_lookup r = lk->sender_owned(cfg, identity, mb[0].addr, &error);
	if (r == RG_LOOKUP_ERROR) {
		lookup_tempfail(v);
		return false;
	}
	if (r != RG_LOOKUP_FOUND) {
		rg_verdict_set(v, RG_REJECT, "550", "5.7.1",
			       from ? "from_not_owned" : "sender_header_not_owned",
			       "%s: address <%s> not owned by user %s", what,
			       reply_safe(shown, sizeof(shown), mb[0].addr),
			       reply_safe(id, sizeof(id), identity));
		return false;
	}
	return true;
}

void rg_policy_eoh_sender(const struct rg_config *cfg, const struct rg_policy_lookups *lk,
			  const struct rg_facts *f, struct rg_sender_msg *m, struct rg_verdict *v)
{
	rg_verdict_set(v, RG_CONTINUE, NULL, NULL, "sender_ok", NULL);
	if (!cfg->senders.check_from || !rg_policy_authenticated(f))
		return;
	if (m->oom) {
		rg_verdict_set(v, RG_TEMPFAIL, "451", "4.3.0", "internal_error",
			       "Temporary failure, try again later");
		return;
	}
	if (f->auth_authen == NULL || f->auth_authen[0] == '\0') {
		rg_verdict_set(v, RG_TEMPFAIL, "451", "4.7.1", "auth_authen_missing",
			       "Temporary failure, try again later");
		return;
	}
	if (m->n_from == 0) {
		rg_verdict_set(v, RG_REJECT, "550", "5.6.0", "from_missing",
			       "Message has no From: header");
		return;
	}
	if (!field_owned(cfg, lk, f->auth_authen, "From", m->from, m->from_len, m->n_from, m, v))
		return;
	if (cfg->senders.check_sender_header && m->n_sender > 0 &&
	    !field_owned(cfg, lk, f->auth_authen, "Sender", m->sender, m->sender_len, m->n_sender,
			 m, v))
		return;
}

/* One domain against the tenant's; false: *v set. */
static bool tenant_domain_ok(const struct rg_config *cfg, const struct rg_policy_lookups *lk,
			     const char *tenant, const char *domain, const char *what,
			     struct rg_verdict *v)
{
	char shown[200], tn[100];
	const char *error = NULL;
	bool allowed = false;
	enum rg_lookup r = lk->tenant_domain(cfg, tenant, domain, &allowed, &error);

	if (r == RG_LOOKUP_ERROR) {
		lookup_tempfail(v);
		return false;
	}
	if (r == RG_LOOKUP_FOUND && allowed)
		return true;
	/* authorized, but no store keeps domains for it (a tenant a vault user
	 * lists): no domains, so any, as for a tenant without allowed_domains */
	if (r == RG_LOOKUP_NOTFOUND)
		return true;
	rg_verdict_set(v, RG_REJECT, "550", "5.7.1", "tenant_domain_not_allowed",
		       "%s domain %s is not a domain of tenant %s", what,
		       reply_safe(shown, sizeof(shown), domain), reply_safe(tn, sizeof(tn), tenant));
	return false;
}

void rg_policy_tenant_from_domain(const struct rg_config *cfg, const struct rg_policy_lookups *lk,
				  const struct rg_facts *f, const struct rg_sender_msg *sm,
				  struct rg_tenant_msg *tm, struct rg_verdict *v)
{
	struct rg_mailbox mb[2];
	char tenant[256];
	const char *error = NULL;

	if ((cfg->tenants.missing != RG_MISSING_FROM_DOMAIN &&
	     cfg->tenants.missing != RG_MISSING_FROM_DOMAIN_OR_REJECT) ||
	    v->action != RG_CONTINUE || tm->count > 0 || tm->value != NULL ||
	    !rg_policy_authenticated(f) || lk->domain_tenant == NULL)
		return;
	if (sm->n_from != 1 || rg_mailbox_list_parse(sm->from, sm->from_len, mb, 2, &error) != 1)
		return;
	enum rg_lookup r = lk->domain_tenant(cfg, rg_addr_domain(mb[0].addr), tenant,
					     sizeof(tenant), &error);
	if (r == RG_LOOKUP_ERROR) {
		lookup_tempfail(v);
		return;
	}
	if (r != RG_LOOKUP_FOUND || tenant[0] == '\0')
		return;
	if ((tm->value = strdup(tenant)) == NULL) {
		rg_verdict_set(v, RG_TEMPFAIL, "451", "4.3.0", "internal_error",
			       "Temporary failure, try again later");
		return;
	}
	tm->derived = true;
}

void rg_policy_tenant_domains(const struct rg_config *cfg, const struct rg_policy_lookups *lk,
			      const struct rg_facts *f, const struct rg_tenant_msg *tm,
			      const struct rg_sender_msg *sm, struct rg_verdict *v,
			      struct rg_header_edits *edits)
{
	struct rg_mailbox mb[2];
	char env[RG_ADDR_MAX];
	const char *error = NULL;
	bool null = false;

	if (v->action != RG_ACCEPT || v->reason == NULL ||
	    strcmp(v->reason, "tenant_authorized") != 0 || tm->value == NULL)
		return;
	if (sm->oom) {
		rg_verdict_set(v, RG_TEMPFAIL, "451", "4.3.0", "internal_error",
			       "Temporary failure, try again later");
		memset(edits, 0, sizeof(*edits));
		return;
	}
	int n = sm->n_from == 1 ? rg_mailbox_list_parse(sm->from, sm->from_len, mb, 2, &error) : -1;
	if (n != 1) {
		/* no domain to check: fine for a tenant without allowed domains (the
		 * empty domain is allowed exactly when the tenant allows any) */
		bool any = false;
		enum rg_lookup r = lk->tenant_domain(cfg, tm->value, "", &any, &error);
		if (r == RG_LOOKUP_ERROR) {
			lookup_tempfail(v);
			memset(edits, 0, sizeof(*edits));
			return;
		}
		if ((r == RG_LOOKUP_FOUND && any) || r == RG_LOOKUP_NOTFOUND)
			return;
		rg_verdict_set(v, RG_REJECT, "550", "5.6.0", "tenant_from_unusable",
			       "A single From: address is needed for the tenant check");
		memset(edits, 0, sizeof(*edits));
		return;
	}
	if (!tenant_domain_ok(cfg, lk, tm->value, rg_addr_domain(mb[0].addr), "From:", v) ||
	    (rg_envelope_sender(f->mail_from, env, sizeof(env), &null) && !null &&
	     !tenant_domain_ok(cfg, lk, tm->value, rg_addr_domain(env), "Envelope sender", v))) {
		memset(edits, 0, sizeof(*edits));
		return;
	}
}
