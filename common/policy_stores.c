/* policy_stores.c — the policy's store lookups, bound to the real store chain.
 * Kept apart from policy.c so the policy links without the stores (unit tests). */
#include <autoconfig.h>
#include "policy.h"

const struct rg_policy_lookups rg_policy_store_lookups = {
	.user_enabled = rg_stores_user_enabled,
	.tenant_authz = rg_stores_tenant_authz,
	.may_act_as = rg_stores_may_act_as,
};
