/* milter_reply.c — verdict → reply, log line, counter. */
#include <autoconfig.h>
#include "milter_reply.h"

#include <stdio.h>
#include <string.h>
#include "log.h"
#include "stats.h"

/* client=, identity=, login=, tenant=, reply= and the queue id come from the
 * MTA, the client or a store: quoted (rg_log_quote); the action and reason
 * codes are ours, bare, and so is tenant_source=from_domain, present when the
 * tenant came from the From: domain (tenants.missing = from_domain).  login= is the login behind the identity (act-as:
 * common/logins.h), "-" when it is not known. */
static void log_verdict(const struct rg_milter_conn *c, const struct rg_verdict *v)
{
	char q[64], client[80], id[300], login[300], tenant[160];
	char text[RG_VERDICT_TEXT + 32], reply[400];
	const struct rg_milter_msg *m = &c->msg;
	int prio = v->action == RG_TEMPFAIL ? LOG_WARNING : LOG_INFO;
	/* a tenant taken from the From: domain (tenants.missing), not a header */
	const char *source = m->tenant.derived ? " tenant_source=from_domain" : "";

	rg_log_quote(q, sizeof(q), m->queue_id ? m->queue_id : "NOQUEUE");
	rg_log_quote(client, sizeof(client), c->client_addr);
	rg_log_quote(id, sizeof(id), m->auth_authen);
	rg_log_quote(login, sizeof(login), m->login_known ? m->login_authc : NULL);
	rg_log_quote(tenant, sizeof(tenant), m->tenant.value);
	if (v->action == RG_REJECT || v->action == RG_TEMPFAIL) {
		snprintf(text, sizeof(text), "%s %s %s", v->code ? v->code : "-",
			 v->xcode ? v->xcode : "-", v->text);
		rg_log(prio, "%s: milter %s: client=%s identity=%s login=%s tenant=%s%s reason=%s "
		       "reply=%s", q, rg_action_str(v->action), client, id, login, tenant, source,
		       v->reason, rg_log_quote(reply, sizeof(reply), text));
	} else {
		rg_log(prio, "%s: milter %s: client=%s identity=%s login=%s tenant=%s%s reason=%s",
		       q, rg_action_str(v->action), client, id, login, tenant, source, v->reason);
	}
}

static void count_verdict(const struct rg_verdict *v)
{
	char name[96];

	snprintf(name, sizeof(name), "milter.verdict.%s.%s", rg_action_str(v->action),
		 v->reason ? v->reason : "none");
	rg_stats_add(name, 1);
}

sfsistat rg_milter_verdict(SMFICTX *ctx, struct rg_milter_conn *c, const struct rg_verdict *v,
			   sfsistat accept_status)
{
	if (v->action == RG_CONTINUE)
		return SMFIS_CONTINUE;
	const struct rg_config *cfg = c->msg.cfg != NULL ? c->msg.cfg : c->cfg;
	/* log_verdicts = "refusals": an accepted message is only counted */
	if (v->action != RG_ACCEPT || cfg == NULL || cfg->milter.log_verdicts != RG_LOG_VERDICTS_REFUSALS)
		log_verdict(c, v);
	count_verdict(v);
	switch (v->action) {
	case RG_ACCEPT:
		return accept_status;
	case RG_REJECT:
		/* text is printable ASCII without '%' (policy.c builds it from
		 * fixed strings and validated tenant names) */
		if (smfi_setreply(ctx, (char *)v->code, (char *)v->xcode, (char *)v->text) != MI_SUCCESS)
			rg_log(LOG_WARNING, "milter: smfi_setreply failed; the MTA uses its default reject text");
		return SMFIS_REJECT;
	case RG_TEMPFAIL:
	default:
		if (v->code == NULL ||
		    smfi_setreply(ctx, (char *)v->code, (char *)v->xcode, (char *)v->text) != MI_SUCCESS)
			(void)smfi_setreply(ctx, "451", "4.7.1", "Temporary failure, try again later");
		return SMFIS_TEMPFAIL;
	}
}

sfsistat rg_milter_tempfail(SMFICTX *ctx, struct rg_milter_conn *c, const char *reason)
{
	struct rg_verdict v;

	memset(&v, 0, sizeof(v));
	v.action = RG_TEMPFAIL;
	v.code = "451";
	v.xcode = "4.7.1";
	v.reason = reason;
	snprintf(v.text, sizeof(v.text), "Temporary failure, try again later");
	if (c == NULL) {
		rg_log(LOG_WARNING, "NOQUEUE: milter tempfail: reason=%s", reason);
		rg_stats_inc("milter.verdict.tempfail.internal_error");
		(void)smfi_setreply(ctx, "451", "4.7.1", v.text);
		return SMFIS_TEMPFAIL;
	}
	return rg_milter_verdict(ctx, c, &v, SMFIS_CONTINUE);
}
