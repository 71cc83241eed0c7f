/*
 * policy.h — the milter's decisions, as pure functions over plain structs.
 *
 * No libmilter, no syslog, no I/O of its own: the milter (milter/) collects
 * the facts from macros and headers, calls these functions, and translates
 * the verdict into smfi_* replies.  Store questions go through a small table
 * of lookups (struct rg_policy_lookups) so unit tests can inject store errors;
 * the daemon passes rg_policy_store_lookups (the rg_stores_* chain).
 *
 * Replies:
 *   AUTH without (sufficient) TLS            MAIL   530 5.7.0
 *   listener requires AUTH, none given       MAIL   530 5.7.0 Authentication required
 *   identity (or the login acting as it)
 *   unknown or disabled, act_as revoked      MAIL   550 5.7.1
 *   tenant not authorized / header problems  EOH    550 5.7.1
 *   store error, missing macros              any    451 4.7.1 (tempfail)
 */
#ifndef RG_POLICY_H
#define RG_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include "config.h"
#include "lookup.h"

enum rg_action {
	RG_CONTINUE = 0,	/* no decision yet: let the transaction go on */
	RG_ACCEPT,		/* message accepted (EOH/EOM) */
	RG_REJECT,		/* permanent refusal, code/xcode/text set */
	RG_TEMPFAIL,		/* temporary refusal, code/xcode/text set */
};

#define RG_VERDICT_TEXT 256

struct rg_verdict {
	enum rg_action action;
	const char *code;	/* "550", "530", "451" (NULL for continue/accept) */
	const char *xcode;	/* "5.7.1", ... */
	char text[RG_VERDICT_TEXT];	/* reply text, safe for SMTP (printable ASCII, no '%') */
	const char *reason;	/* machine reason for logs and stats: "tenant_not_authorized" */
};

const char *rg_action_str(enum rg_action a);	/* "continue", "accept", "reject", "tempfail" */

/* Set every field of v; the text from fmt (callers keep it SMTP-safe). */
void rg_verdict_set(struct rg_verdict *v, enum rg_action action, const char *code,
		    const char *xcode, const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/* Store questions the policy asks (see backends/store.h for semantics). */
struct rg_policy_lookups {
	enum rg_lookup (*user_enabled)(const struct rg_config *cfg, const char *user,
				       bool *disabled_r, const char **error_r);
	enum rg_lookup (*tenant_authz)(const struct rg_config *cfg, const char *tenant,
				       const char *user, bool *allowed_r, const char **error_r);
	enum rg_lookup (*may_act_as)(const struct rg_config *cfg, const char *authc,
				     const char *authz, const char **error_r);
	/* sender grants (union over the stores): identity may use addr / some
	 * identity holds addr */
	enum rg_lookup (*sender_owned)(const struct rg_config *cfg, const char *identity,
				       const char *addr, const char **error_r);
	enum rg_lookup (*sender_has_owner)(const struct rg_config *cfg, const char *addr,
					   const char **error_r);
	/* a tenant's allowed domains (rg_stores_tenant_domain) */
	enum rg_lookup (*tenant_domain)(const struct rg_config *cfg, const char *tenant,
					const char *domain, bool *allowed_r, const char **error_r);
	/* the tenant whose domains hold domain (rg_stores_domain_tenant) */
	enum rg_lookup (*domain_tenant)(const struct rg_config *cfg, const char *domain,
					char *out, size_t n, const char **error_r);
};
/* The real chain (rg_stores_user_enabled, rg_stores_tenant_authz, rg_stores_may_act_as):
 * backends/policy_stores.c. */
extern const struct rg_policy_lookups rg_policy_store_lookups;

/*
 * What the MTA told us.  Strings may be NULL (macro not sent).  The *_seen
 * flags say whether the MTA delivered any of the macros requested for that
 * stage at all: a macro can be absent because the fact is absent (no AUTH, no
 * TLS) or because the MTA is not configured to send it, and only the second
 * is a configuration error.
 */
struct rg_facts {
	const char *client_addr;
	const char *daemon_name;	/* {daemon_name} */
	bool connect_macros_seen;	/* any of j {daemon_name} {daemon_addr} _ */
	const char *tls_version;	/* {tls_version}, from HELO or MAIL stage */
	const char *cipher;		/* {cipher} */
	const char *cipher_bits;	/* {cipher_bits}: secret bits of the cipher */
	bool mail_macros_seen;		/* any of i {mail_addr} {auth_*} ... at MAIL */
	const char *auth_type;		/* {auth_type}: SASL mechanism */
	const char *auth_authen;	/* {auth_authen}: authenticated identity */
	const char *auth_author;	/* {auth_author}: AUTH= of MAIL FROM (logged only) */
	/* The login behind {auth_authen} on this session, as the SASL service
	 * recorded it (common/logins.h): NULL when it could not be tied to the
	 * session.  login_act_as_seen: some login has acted as {auth_authen}. */
	const char *login_authc;
	bool login_act_as_seen;
	const char *mail_from;		/* the MAIL FROM argument, "<a@x>" or "<>" */
};

/* "TLSv1.3", "TLSv1.2", "TLSv1.1", "TLSv1", "TLSv1.0", "SSLv3", "SSLv2",
 * case-insensitive.  Returns the RG_TLS_* value (SSL versions → RG_TLS_NONE + 1,
 * i.e. below every TLS version), or -1 when the text is not a known form. */
int rg_tls_version_parse(const char *s);

/* TLS present (either macro set); when {tls_version} is sent, a known
 * version not below cfg->milter.min_tls_version (an unknown or unparseable
 * version counts as insufficient); when {cipher_bits} is sent, a number not
 * below cfg->milter.min_cipher_bits (0 = a NULL cipher; a non-number counts as
 * insufficient). */
bool rg_policy_tls_sufficient(const struct rg_config *cfg, const struct rg_facts *f);

/* The session authenticated ({auth_type} or {auth_authen} non-empty). */
bool rg_policy_authenticated(const struct rg_facts *f);

/* At MAIL FROM (every MAIL FROM, including the null sender).  Every store
 * question is asked again here, of the snapshot current at this MAIL FROM:
 * a user disabled, a grant revoked or a reload since the login reaches the
 * session's next message.  With require_known_identity:
 *   {auth_authen} unknown or disabled             550 5.7.1
 *   the login behind it (act-as) disabled, or its
 *   act_as grant revoked                          550 5.7.1
 *   login not tied to the session, and some login
 *   has acted as {auth_authen} (or uncorrelated_auth
 *   = tempfail)                                   451 4.7.1 */
void rg_policy_mail(const struct rg_config *cfg, const struct rg_policy_lookups *lk,
		    const struct rg_facts *f, struct rg_verdict *v);

/* ---- tenant header, per message ---- */

struct rg_tenant_msg {
	char *value;		/* first normalized value (malloc'd), NULL if none valid */
	unsigned count;		/* instances of the tenant header seen */
	unsigned n_added_name;	/* instances of the tenants.add_header name seen (spoofs) */
	unsigned n_egress_name;	/* instances of the tenants.egress_header name seen (spoofs) */
	bool conflict;		/* two instances with different values */
	bool derived;		/* value is the From: domain's tenant (tenants.missing) */
	const char *error;	/* first malformed-value reason, NULL if none */
};

void rg_tenant_msg_init(struct rg_tenant_msg *m);
void rg_tenant_msg_clear(struct rg_tenant_msg *m);	/* frees, back to init state */

/*
 * Normalize one raw header value: unfold (CRLF or LF followed by SP/HTAB),
 * trim surrounding white space, then refuse an encoded word (=?...?=),
 * NUL/control/non-ASCII bytes, an empty value, a value longer than max_len,
 * or a character outside [A-Za-z0-9._+@-] (a tenant name is a token).
 * len is the raw length (so embedded NUL bytes are seen).  On success returns
 * a malloc'd value; on failure NULL with *reason_r set ("tenant_header_...").
 * Out of memory: NULL with *reason_r = "internal_error".
 */
char *rg_tenant_normalize(const char *raw, size_t len, size_t max_len, const char **reason_r);

/* Feed one header (every header of the message; others are ignored). */
void rg_policy_header(const struct rg_config *cfg, struct rg_tenant_msg *m,
		      const char *name, const char *value, size_t value_len);

/* What to change in the message at end of message (milter applies it). */
struct rg_header_edits {
	unsigned remove_tenant;	/* delete this many instances of tenants.header */
	unsigned remove_added;	/* delete this many client-supplied tenants.add_header */
	const char *add_value;	/* add tenants.add_header with this value, or NULL */
	unsigned remove_egress;	/* delete this many client-supplied tenants.egress_header */
	const char *egress_value;	/* add tenants.egress_header: the verified tenant's pool */
};

/*
 * At end of headers.  v gets RG_ACCEPT (message passes; *edits may ask for
 * header changes at end of message), RG_REJECT or RG_TEMPFAIL.  The tenant
 * named by the message (for the log line) is m->value; edits->add_value is
 * set only when that tenant was checked against the identity and allowed.
 */
void rg_policy_eoh(const struct rg_config *cfg, const struct rg_policy_lookups *lk,
		   const struct rg_facts *f, const struct rg_tenant_msg *m,
		   struct rg_verdict *v, struct rg_header_edits *edits);

/* ---- sender ownership (policy_senders.c; config group senders) ---- */

/*
 * At MAIL FROM, after rg_policy_mail passed (v: RG_CONTINUE, or a refusal):
 *   authenticated, null sender, senders.null_sender = reject      553 5.7.1
 *   authenticated, check_envelope, the identity holds no grant
 *   covering the envelope sender (also: no '@', a route)           553 5.7.1
 *     "<a@x>: Sender address rejected: not owned by user ID" (Postfix's text)
 *   unauthenticated, unauthenticated = reject_owned, some identity
 *   holds the address                                              553 5.7.1
 *     "<a@x>: Sender address rejected: not logged in" (Postfix's text)
 *   a store could not answer                                       451 4.3.0
 */
void rg_policy_mail_sender(const struct rg_config *cfg, const struct rg_policy_lookups *lk,
			   const struct rg_facts *f, struct rg_verdict *v);

#define RG_SENDER_ADDR_MAX 512

/* The From: and Sender: fields of a message, as the headers go by. */
struct rg_sender_msg {
	char *from;		/* the first From: value (malloc'd), NULL if none */
	size_t from_len;
	unsigned n_from;
	char *sender;		/* the first Sender: value */
	size_t sender_len;
	unsigned n_sender;
	bool oom;		/* a copy failed: tempfail at EOH */
	bool display_has_at;	/* set by rg_policy_eoh_sender: a From display name
				 * that holds '@' (allowed; the milter logs it) */
	char from_addr[RG_SENDER_ADDR_MAX];	/* set by rg_policy_eoh_sender, for logs */
};
void rg_sender_msg_clear(struct rg_sender_msg *m);	/* frees; back to all zero */
void rg_policy_sender_header(const struct rg_config *cfg, struct rg_sender_msg *m,
			     const char *name, const char *value, size_t value_len);

/*
 * At end of headers, before the tenant decision (a refusal here stands);
 * authenticated sessions with senders.check_from only (v: RG_CONTINUE
 * otherwise):
 *   no From:, two or more, not an address-list, no mailbox or several   550 5.6.0
 *   the identity holds no grant covering the From: address              550 5.7.1
 *   check_sender_header: the same for a Sender: field (one mailbox)      550 5.6.0 / 5.7.1
 *   a store could not answer, out of memory                              451 4.3.0
 */
void rg_policy_eoh_sender(const struct rg_config *cfg, const struct rg_policy_lookups *lk,
			  const struct rg_facts *f, struct rg_sender_msg *m, struct rg_verdict *v);

/*
 * After rg_policy_eoh authorized a tenant (v: RG_ACCEPT, reason
 * tenant_authorized): the From: domain and a non-null envelope sender domain
 * must be among the tenant's allowed_domains (a tenant without any allows
 * every domain):
 *   no usable From: (none, several, malformed, not one mailbox),
 *   the tenant having allowed domains                            550 5.6.0
 *   a domain not the tenant's                                     550 5.7.1
 *   a store could not answer                                      451 4.3.0
 * A refusal clears *edits.  Any other verdict is left alone.
 */
/*
 * tenants.missing = from_domain / from_domain_or_reject, before rg_policy_eoh:
 * a message of an authenticated session without the tenant header gets the
 * tenant whose allowed domains hold its From: domain (lk->domain_tenant) in
 * tm->value, tm->derived set; rg_policy_eoh then checks it as if the header
 * named it.  No single From: address, or no tenant for its domain: nothing
 * set (rg_policy_eoh applies the "or reject").  Lookup trouble, or a domain
 * two tenants claim: *v = 451 4.3.0.
 */
void rg_policy_tenant_from_domain(const struct rg_config *cfg, const struct rg_policy_lookups *lk,
				  const struct rg_facts *f, const struct rg_sender_msg *sm,
				  struct rg_tenant_msg *tm, struct rg_verdict *v);

void rg_policy_tenant_domains(const struct rg_config *cfg, const struct rg_policy_lookups *lk,
			      const struct rg_facts *f, const struct rg_tenant_msg *tm,
			      const struct rg_sender_msg *sm, struct rg_verdict *v,
			      struct rg_header_edits *edits);

static inline bool rg_header_edits_any(const struct rg_header_edits *e)
{
	return e->remove_tenant > 0 || e->remove_added > 0 || e->add_value != NULL ||
	       e->remove_egress > 0 || e->egress_value != NULL;
}

#endif
