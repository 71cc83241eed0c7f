/* milter_callbacks.c — libmilter callbacks: collect facts, ask the policy,
 * translate.  Decisions live in common/policy.c. */
#include <autoconfig.h>
#include "milter_callbacks.h"
#include "clock.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include "log.h"
#include "logins.h"
#include "milter_ctx.h"
#include "milter_peer.h"
#include "milter_macros.h"
#include "milter_reply.h"
#include "policy.h"
#include "guard.h"
#include "stats.h"
#include "store.h"
#include "str.h"

static struct rg_milter_conn *conn_get(SMFICTX *ctx)
{
	return smfi_getpriv(ctx);
}

/* First callback of a connection (negotiate, or connect when the MTA does
 * not negotiate): create the state, take the snapshot the connection is
 * negotiated with, and find the MTA process behind it. */
static struct rg_milter_conn *conn_start(SMFICTX *ctx)
{
	struct rg_milter_conn *c = conn_get(ctx);

	if (c != NULL)
		return c;
	c = rg_milter_conn_new();
	if (c == NULL)
		return NULL;
	if (smfi_setpriv(ctx, c) != MI_SUCCESS) {
		rg_milter_conn_free(c);
		return NULL;
	}
	if (c->cfg != NULL)
		c->peer_pid = rg_milter_peer_pid(ctx, c->cfg->milter.socket);
	rg_stats_inc("milter.connections");
	rg_stats_gauge_add("milter.connections_open", 1);
	return c;
}

static sfsistat reply_noreply(const struct rg_milter_conn *c, unsigned long nr_flag)
{
	return (c != NULL && (c->protocol & nr_flag)) ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static sfsistat rg_xxfi_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
				  unsigned long f2, unsigned long f3, unsigned long *pf0,
				  unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	struct rg_milter_conn *c = conn_start(ctx);
	unsigned long actions = 0, proto = 0;
	/* steps we never look at, and replies we never give */
	unsigned long skip = SMFIP_NORCPT | SMFIP_NOBODY | SMFIP_NOUNKNOWN | SMFIP_NODATA;
	const unsigned long noreply = SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_HDR | SMFIP_NR_RCPT;

	(void)f2;
	(void)f3;
	if (c == NULL || c->cfg == NULL)
		return SMFIS_ALL_OPTS;	/* MAIL FROM will tempfail */
	/* header edits: ask only for what this config can need */
	if (c->cfg->tenants.add_header != NULL && c->cfg->tenants.add_header[0] != '\0')
		actions |= SMFIF_ADDHDRS | SMFIF_CHGHDRS;	/* CHG: drop client-supplied copies */
	if (c->cfg->tenants.remove_header)
		actions |= SMFIF_CHGHDRS;
	if (c->cfg->tenants.egress_header != NULL && c->cfg->tenants.egress_header[0] != '\0')
		actions |= SMFIF_ADDHDRS | SMFIF_CHGHDRS;	/* the pool; drop client copies */
	if (c->cfg->milter.authserv_id != NULL && c->cfg->milter.authserv_id[0] != '\0')
		actions |= SMFIF_ADDHDRS | SMFIF_CHGHDRS;	/* add ours, drop forged ones */
	if (rg_guard_on(c->cfg) && c->cfg->guard.action == RG_GUARD_ACTION_HOLD)
		actions |= SMFIF_QUARANTINE;	/* the hold queue */
	if (rg_guard_wants_rcpt(c->cfg))
		skip &= ~SMFIP_NORCPT;		/* recipients are counted */
	if (f0 & SMFIF_SETSYMLIST)
		actions |= SMFIF_SETSYMLIST;
	if ((actions & f0) != actions) {
		rg_log(LOG_ERR, "milter: the MTA does not allow header changes or quarantine (offered "
		       "actions 0x%lx); messages that need them will be tempfailed", f0);
		actions &= f0;
	}
	proto = f1 & (skip | noreply);
	*pf0 = actions;
	*pf1 = proto;
	*pf2 = 0;
	*pf3 = 0;
	c->protocol = proto;
	if ((actions & SMFIF_SETSYMLIST) && !rg_milter_request_macros(ctx))
		rg_log(LOG_WARNING, "milter: could not request macro lists; relying on the MTA's settings");
	return SMFIS_CONTINUE;
}

static void addr_string(const struct sockaddr *sa, char *buf, size_t n)
{
	snprintf(buf, n, "unknown");
	if (sa == NULL)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, buf,
			  (socklen_t)n);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, buf,
			  (socklen_t)n);
	else if (sa->sa_family == AF_UNIX)
		snprintf(buf, n, "local");
}

static sfsistat rg_xxfi_connect(SMFICTX *ctx, char *hostname, struct sockaddr *hostaddr)
{
	struct rg_milter_conn *c = conn_start(ctx);
	const char *dn;

	(void)hostname;
	if (c == NULL)
		return SMFIS_CONTINUE;	/* no state: envfrom tempfails */
	/* A connection reused for a new SMTP session (SMFIC_QUIT_NC) must not
	 * carry the previous session's client, listener or TLS facts. */
	if (c->session_started)
		rg_milter_conn_new_session(c);
	c->session_started = true;
	addr_string(hostaddr, c->client_addr, sizeof(c->client_addr));
	dn = rg_macro(ctx, "{daemon_name}");
	c->connect_macros_seen = dn != NULL || rg_macro(ctx, "j") != NULL ||
				 rg_macro(ctx, "{daemon_addr}") != NULL || rg_macro(ctx, "_") != NULL;
	if (rg_milter_copy_str(&c->daemon_name, dn, false) < 0)
		c->connect_macros_seen = false;	/* fail closed below */
	return reply_noreply(c, SMFIP_NR_CONN);
}

/* TLS facts: set once TLS is up and never cleared on this connection. */
static void take_tls(SMFICTX *ctx, struct rg_milter_conn *c)
{
	(void)rg_milter_copy_str(&c->tls_version, rg_macro(ctx, "{tls_version}"), true);
	(void)rg_milter_copy_str(&c->cipher, rg_macro(ctx, "{cipher}"), true);
	(void)rg_milter_copy_str(&c->cipher_bits, rg_macro(ctx, "{cipher_bits}"), true);
}

static sfsistat rg_xxfi_helo(SMFICTX *ctx, char *helohost)
{
	struct rg_milter_conn *c = conn_get(ctx);

	(void)helohost;
	if (c != NULL)
		take_tls(ctx, c);	/* runs again after STARTTLS + EHLO */
	return reply_noreply(c, SMFIP_NR_HELO);
}

static void warn_missing_macros(struct rg_milter_conn *c, const char *reason)
{
	if (strcmp(reason, "mail_macros_missing") == 0 && !c->warned_mail_macros) {
		c->warned_mail_macros = true;
		rg_log(LOG_ERR, "milter: client=%s: the MTA sends no MAIL FROM macros "
		       "(i {auth_type} {auth_authen} {mail_addr}); cannot tell whether the session "
		       "authenticated, tempfailing. Postfix: milter_mail_macros; Sendmail: "
		       "confMILTER_MACROS_ENVFROM (see relayguard-milter notes)", c->client_addr);
	} else if (strcmp(reason, "connect_macros_missing") == 0 && !c->warned_connect_macros) {
		c->warned_connect_macros = true;
		rg_log(LOG_ERR, "milter: client=%s: the MTA sends no {daemon_name} at connect; "
		       "cannot apply milter.require_auth, tempfailing. Postfix: milter_connect_macros; "
		       "Sendmail: confMILTER_MACROS_CONNECT", c->client_addr);
	}
}

/* A guard action that refuses (tempfail, reject) as a verdict. */
static void guard_refusal(const struct rg_guard_verdict *gv, struct rg_verdict *v)
{
	if (gv->action == RG_GUARD_ACTION_TEMPFAIL)
		rg_verdict_set(v, RG_TEMPFAIL, "451", "4.7.1", "guard_limit",
			       "Sending limit reached, try again later");
	else
		rg_verdict_set(v, RG_REJECT, "550", "5.7.1", "guard_limit", "Sending limit reached");
}

/* The guard at MAIL FROM (after the other checks passed): a suspended
 * identity is refused; the session's client address is noted once. */
static void guard_mail(struct rg_milter_conn *c, const struct rg_facts *f, struct rg_verdict *v)
{
	struct rg_milter_msg *m = &c->msg;

	if (v->action != RG_CONTINUE || !rg_guard_on(m->cfg) || !rg_policy_authenticated(f) ||
	    m->auth_authen == NULL || m->auth_authen[0] == '\0')
		return;
	struct rg_guard_msg gm = { .identity = m->auth_authen, .client_addr = c->client_addr,
				   .queue_id = m->queue_id };
	enum rg_guard_answer a = rg_guard_mail(m->cfg, &gm, !c->guard_noted, time(NULL), &m->guard);
	c->guard_noted = true;
	if (a == RG_GUARD_OK && m->guard.counted && m->guard.result == RG_GUARD_ACT &&
	    m->guard.action != RG_GUARD_ACTION_HOLD)
		guard_refusal(&m->guard, v);	/* refused now: no reason to wait for DATA */
	else if (a == RG_GUARD_SUSPENDED)
		rg_verdict_set(v, RG_REJECT, "550", "5.7.1", "guard_suspended",
			       "Sender identity is suspended");
	else if (a == RG_GUARD_ERROR && m->cfg->guard.state_error != RG_GUARD_STATE_ACCEPT)
		rg_verdict_set(v, RG_TEMPFAIL, "451", "4.3.0", "guard_state_error",
			       "Temporary failure, try again later");
}

static sfsistat rg_xxfi_envrcpt(SMFICTX *ctx, char **argv)
{
	struct rg_milter_conn *c = conn_get(ctx);

	(void)argv;
	if (c != NULL && c->msg.active)
		c->msg.n_rcpt++;
	return reply_noreply(c, SMFIP_NR_RCPT);
}

static sfsistat rg_xxfi_envfrom(SMFICTX *ctx, char **argv)
{
	struct rg_milter_conn *c = conn_get(ctx);
	struct rg_milter_msg *m;
	struct rg_facts f;
	struct rg_verdict v;
	int err = 0;

	if (c == NULL)
		return rg_milter_tempfail(ctx, NULL, "internal_error");
	m = &c->msg;
	rg_milter_msg_reset(m);	/* a new MAIL FROM starts a new message */
	m->active = true;
	c->messages++;
	/* policy from the snapshot current now, not the one the connection
	 * started with: a reload reaches open sessions at their next message */
	m->cfg = rg_config_current_get();
	if (m->cfg == NULL && c->cfg != NULL)
		m->cfg = rg_config_acquire(c->cfg);
	if (m->cfg == NULL)
		return rg_milter_tempfail(ctx, c, "no_config");
	take_tls(ctx, c);
	err |= rg_milter_copy_str(&m->queue_id, rg_macro(ctx, "i"), false);
	err |= rg_milter_copy_str(&m->auth_type, rg_macro(ctx, "{auth_type}"), false);
	err |= rg_milter_copy_str(&m->auth_authen, rg_macro(ctx, "{auth_authen}"), false);
	err |= rg_milter_copy_str(&m->auth_author, rg_macro(ctx, "{auth_author}"), false);
	err |= rg_milter_copy_str(&m->mail_from, argv != NULL ? argv[0] : NULL, false);
	if (err)
		return rg_milter_tempfail(ctx, c, "internal_error");
	m->mail_macros_seen = m->queue_id != NULL || m->auth_type != NULL ||
			      m->auth_authen != NULL || m->auth_author != NULL ||
			      rg_macro(ctx, "{mail_addr}") != NULL ||
			      rg_macro(ctx, "{mail_host}") != NULL ||
			      rg_macro(ctx, "{mail_mailer}") != NULL;
	if (m->auth_authen != NULL) {
		m->login_known = rg_logins_find(c->peer_pid, m->auth_authen, m->login_authc,
						sizeof(m->login_authc));
		m->login_act_as_seen = rg_logins_act_as_seen(m->auth_authen);
	}
	rg_milter_conn_facts(c, &f);
	uint64_t t0 = rg_mono_ns();
	rg_store_decision_begin();	/* the stores look at their data once for this step */
	rg_policy_mail(m->cfg, &rg_policy_store_lookups, &f, &v);
	rg_policy_mail_sender(m->cfg, &rg_policy_store_lookups, &f, &v);
	rg_store_decision_end();
	guard_mail(c, &f, &v);
	rg_stats_observe(RG_HIST_MILTER_MAIL, rg_mono_ns() - t0);
	if (v.action == RG_TEMPFAIL && v.reason != NULL)
		warn_missing_macros(c, v.reason);
	return rg_milter_verdict(ctx, c, &v, SMFIS_CONTINUE);
}

static sfsistat rg_xxfi_header(SMFICTX *ctx, char *name, char *value)
{
	struct rg_milter_conn *c = conn_get(ctx);

	if (c != NULL && c->msg.cfg != NULL && c->msg.active) {
		size_t len = value ? strlen(value) : 0;
		rg_policy_header(c->msg.cfg, &c->msg.tenant, name, value, len);
		rg_policy_sender_header(c->msg.cfg, &c->msg.senders, name, value, len);
		rg_authres_header(c->msg.cfg->milter.authserv_id, &c->msg.authres, name, value, len);
	}
	return reply_noreply(c, SMFIP_NR_HDR);
}

/* The guard counts an authenticated message at its end. */
static bool guard_pending(const struct rg_milter_msg *m, const struct rg_facts *f)
{
	return rg_guard_on(m->cfg) && rg_policy_authenticated(f) && m->auth_authen != NULL &&
	       m->auth_authen[0] != '\0';
}

/* Authentication-Results work for an accepted message: forged fields claiming
 * our authserv-id to remove, or ours to add (authenticated sessions). */
static bool authres_pending(const struct rg_milter_msg *m, const struct rg_facts *f)
{
	const char *id = m->cfg->milter.authserv_id;

	if (id == NULL || id[0] == '\0')
		return false;
	return m->authres.n_ours > 0 || m->authres.oom ||
	       (rg_policy_authenticated(f) && m->auth_authen != NULL && m->auth_authen[0] != '\0');
}

/* Remove the forged Authentication-Results fields (highest index first), then
 * add ours at the top for an authenticated session.  -1: a change failed. */
static int apply_authres(SMFICTX *ctx, struct rg_milter_conn *c)
{
	struct rg_milter_msg *m = &c->msg;
	const char *id = m->cfg->milter.authserv_id;
	struct rg_facts f;
	char value[1024];

	if (id == NULL || id[0] == '\0')
		return 0;
	if (m->authres.oom)
		return -1;
	for (size_t i = m->authres.n_ours; i > 0; i--)
		if (smfi_chgheader(ctx, (char *)RG_AUTHRES_HEADER, (int)m->authres.ours[i - 1], NULL) !=
		    MI_SUCCESS)
			return -1;
	if (m->authres.n_ours > 0) {
		char q[64], client[80];
		rg_log(LOG_NOTICE, "milter: queue_id=%s client=%s: removed %zu Authentication-Results "
		       "field(s) claiming our authserv-id", rg_log_quote(q, sizeof(q), m->queue_id),
		       rg_log_quote(client, sizeof(client), c->client_addr), m->authres.n_ours);
	}
	rg_milter_conn_facts(c, &f);
	if (!rg_policy_authenticated(&f) || m->auth_authen == NULL || m->auth_authen[0] == '\0')
		return 0;
	if (rg_authres_value(id, m->auth_authen, value, sizeof(value)) == 0)
		return -1;
	return smfi_insheader(ctx, 0, (char *)RG_AUTHRES_HEADER, value) == MI_SUCCESS ? 0 : -1;
}

/* The guard, at the end of headers of a message every other check accepted:
 * count it (the recipients are known by now); over a limit, refuse it now,
 * or mark it for the hold queue (smfi_quarantine is allowed only at end of
 * message).  A message within its limits is accepted here, as without the
 * guard, with no end-of-message round trip. */
static void guard_eoh(struct rg_milter_conn *c, const struct rg_facts *f)
{
	struct rg_milter_msg *m = &c->msg;
	struct rg_guard_verdict gv;

	if (m->verdict.action != RG_ACCEPT || !guard_pending(m, f))
		return;
	struct rg_guard_msg gm = {
		.identity = m->auth_authen, .client_addr = c->client_addr, .queue_id = m->queue_id,
		.n_rcpt = m->n_rcpt,
		.tenant = m->verdict.reason && strcmp(m->verdict.reason, "tenant_authorized") == 0 ?
			  m->tenant.value : NULL,
	};
	if (m->guard.counted || m->guard.result == RG_GUARD_STATE_FAILED) {
		gv = m->guard;	/* counted and decided at MAIL FROM */
		rg_guard_act(m->cfg, &gm, time(NULL), &gv);	/* a hold: now with its queue id */
	} else
		rg_guard_message(m->cfg, &gm, time(NULL), &gv);
	if (gv.result == RG_GUARD_STATE_FAILED) {
		rg_verdict_set(&m->verdict, RG_TEMPFAIL, "451", "4.3.0", "guard_state_error",
			       "Temporary failure, try again later");
	} else if (gv.result == RG_GUARD_ACT) {
		switch (gv.action) {
		case RG_GUARD_ACTION_HOLD:
			(void)rg_strbcpy(m->guard_hold, sizeof(m->guard_hold), gv.reason);
			m->verdict.reason = "guard_hold";	/* accepted into the hold queue */
			break;
		default:
			guard_refusal(&gv, &m->verdict);
			break;
		}
	}
	if (m->verdict.action != RG_ACCEPT)
		memset(&m->edits, 0, sizeof(m->edits));
}

static sfsistat rg_xxfi_eoh(SMFICTX *ctx)
{
	struct rg_milter_conn *c = conn_get(ctx);
	struct rg_milter_msg *m;
	struct rg_facts f;

	if (c == NULL || c->msg.cfg == NULL)
		return rg_milter_tempfail(ctx, c, "internal_error");
	m = &c->msg;
	if (rg_macro(ctx, "i") != NULL && rg_milter_copy_str(&m->queue_id, rg_macro(ctx, "i"), true) < 0)
		return rg_milter_tempfail(ctx, c, "internal_error");
	rg_milter_conn_facts(c, &f);
	uint64_t t0 = rg_mono_ns();
	rg_store_decision_begin();
	rg_policy_eoh_sender(m->cfg, &rg_policy_store_lookups, &f, &m->senders, &m->verdict);
	if (m->senders.display_has_at) {
		char from[RG_SENDER_ADDR_MAX + 8], q[64], client[80];
		rg_log(LOG_NOTICE, "milter: queue_id=%s client=%s: From: display name holds an "
		       "address-like '@' (address used: %s)", rg_log_quote(q, sizeof(q), m->queue_id),
		       rg_log_quote(client, sizeof(client), c->client_addr),
		       rg_log_quote(from, sizeof(from), m->senders.from_addr));
	}
	rg_policy_tenant_from_domain(m->cfg, &rg_policy_store_lookups, &f, &m->senders,
				     &m->tenant, &m->verdict);
	if (m->verdict.action == RG_CONTINUE) {
		rg_policy_eoh(m->cfg, &rg_policy_store_lookups, &f, &m->tenant, &m->verdict,
			      &m->edits);
		rg_policy_tenant_domains(m->cfg, &rg_policy_store_lookups, &f, &m->tenant,
					 &m->senders, &m->verdict, &m->edits);
	}
	rg_store_decision_end();
	rg_stats_observe(RG_HIST_MILTER_EOH, rg_mono_ns() - t0);
	guard_eoh(c, &f);
	if (m->verdict.action == RG_ACCEPT &&
	    (rg_header_edits_any(&m->edits) || authres_pending(m, &f) || m->guard_hold[0] != '\0')) {
		m->edits_pending = true;	/* decided; changes are only allowed at EOM */
		return SMFIS_CONTINUE;
	}
	/* accept: this message needs nothing more from us (the connection
	 * goes on, and the next MAIL FROM is checked again) */
	return rg_milter_verdict(ctx, c, &m->verdict, SMFIS_ACCEPT);
}

/* Delete instances n..1 of a header (highest first, so indexes stay valid). */
static int delete_all(SMFICTX *ctx, const char *name, unsigned n)
{
	for (unsigned i = n; i >= 1; i--)
		if (smfi_chgheader(ctx, (char *)name, (int)i, NULL) != MI_SUCCESS)
			return -1;
	return 0;
}

static sfsistat rg_xxfi_eom(SMFICTX *ctx)
{
	struct rg_milter_conn *c = conn_get(ctx);
	struct rg_milter_msg *m;
	sfsistat st;

	if (c == NULL || c->msg.cfg == NULL)
		return rg_milter_tempfail(ctx, c, "internal_error");
	m = &c->msg;
	if (!m->edits_pending)	/* EOH accepted without edits; not reached */
		return SMFIS_CONTINUE;
	if (rg_macro(ctx, "i") != NULL && rg_milter_copy_str(&m->queue_id, rg_macro(ctx, "i"), true) < 0)
		return rg_milter_tempfail(ctx, c, "internal_error");
	if (m->guard_hold[0] != '\0' && smfi_quarantine(ctx, m->guard_hold) != MI_SUCCESS) {
		/* the hold the guard decided did not happen: not accepted */
		st = rg_milter_tempfail(ctx, c, "guard_hold_failed");
		rg_milter_msg_reset(m);
		return st;
	}
	if (delete_all(ctx, m->cfg->tenants.header, m->edits.remove_tenant) < 0 ||
	    (m->edits.remove_added > 0 &&
	     delete_all(ctx, m->cfg->tenants.add_header, m->edits.remove_added) < 0) ||
	    (m->edits.add_value != NULL &&
	     smfi_addheader(ctx, m->cfg->tenants.add_header, (char *)m->edits.add_value) != MI_SUCCESS) ||
	    (m->edits.remove_egress > 0 &&
	     delete_all(ctx, m->cfg->tenants.egress_header, m->edits.remove_egress) < 0) ||
	    (m->edits.egress_value != NULL &&
	     smfi_addheader(ctx, m->cfg->tenants.egress_header, (char *)m->edits.egress_value) !=
	     MI_SUCCESS) ||
	    apply_authres(ctx, c) < 0) {
		/* promised changes did not happen: do not let the message pass */
		st = rg_milter_tempfail(ctx, c, "header_change_failed");
	} else {
		st = rg_milter_verdict(ctx, c, &m->verdict, SMFIS_CONTINUE);
	}
	rg_milter_msg_reset(m);
	return st;
}

static sfsistat rg_xxfi_abort(SMFICTX *ctx)
{
	struct rg_milter_conn *c = conn_get(ctx);

	if (c != NULL)
		rg_milter_msg_reset(&c->msg);	/* RSET, client gone, or rejected message */
	return SMFIS_CONTINUE;
}

static sfsistat rg_xxfi_close(SMFICTX *ctx)
{
	struct rg_milter_conn *c = conn_get(ctx);

	if (c != NULL) {
		(void)smfi_setpriv(ctx, NULL);
		rg_milter_conn_free(c);	/* releases the config snapshot */
		rg_stats_gauge_add("milter.connections_open", -1);
	}
	return SMFIS_CONTINUE;
}

struct smfiDesc rg_milter_desc = {
	.xxfi_name = "relayguard",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_SETSYMLIST | SMFIF_QUARANTINE,
	.xxfi_connect = rg_xxfi_connect,
	.xxfi_helo = rg_xxfi_helo,
	.xxfi_envfrom = rg_xxfi_envfrom,
	.xxfi_envrcpt = rg_xxfi_envrcpt,
	.xxfi_header = rg_xxfi_header,
	.xxfi_eoh = rg_xxfi_eoh,
	.xxfi_body = NULL,
	.xxfi_eom = rg_xxfi_eom,
	.xxfi_abort = rg_xxfi_abort,
	.xxfi_close = rg_xxfi_close,
	.xxfi_unknown = NULL,
	.xxfi_data = NULL,
	.xxfi_negotiate = rg_xxfi_negotiate,
};
