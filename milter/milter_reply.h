/* milter_reply.h — a policy verdict → smfi_setreply + SMFIS_*, one log line
 * and one counter per verdict. */
#ifndef RG_MILTER_REPLY_H
#define RG_MILTER_REPLY_H

#include <libmilter/mfapi.h>
#include "milter_ctx.h"

/* Log the verdict (queue id, client, identity, tenant, verdict, reason),
 * count it (milter.verdict.<action>.<reason>), set the SMTP reply for
 * reject/tempfail and return the libmilter status.  RG_ACCEPT maps to
 * accept_status (SMFIS_ACCEPT at EOH, SMFIS_CONTINUE at EOM). */
sfsistat rg_milter_verdict(SMFICTX *ctx, struct rg_milter_conn *c, const struct rg_verdict *v,
			   sfsistat accept_status);

/* An internal failure outside the policy (no memory, no config, smfi_*
 * failure): 451 4.7.1 with reason. */
sfsistat rg_milter_tempfail(SMFICTX *ctx, struct rg_milter_conn *c, const char *reason);

#endif
