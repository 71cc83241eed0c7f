/* policy_stores.c — the milter policy's lookups (common/policy.h), bound to the
 * real store chain.  Here, not beside policy.c: the policy in common/ knows the
 * stores only through this table (unit tests inject store errors with their own). */
#include <autoconfig.h>
#include "policy.h"
#include "store.h"

const struct rg_policy_lookups rg_policy_store_lookups = {
	.user_enabled = rg_stores_user_enabled,
	.tenant_authz = rg_stores_tenant_authz,
	.may_act_as = rg_stores_may_act_as,
	.sender_owned = rg_stores_sender_owned,
	.sender_has_owner = rg_stores_sender_has_owner,
	.tenant_domain = rg_stores_tenant_domain,
	.domain_tenant = rg_stores_domain_tenant,
};
