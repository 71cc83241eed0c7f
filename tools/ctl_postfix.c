/*
 * ctl_postfix.c — relayguardctl postfix-egress-map [NEXTHOP]: the
 * milter_header_checks table that sends each tenant's mail out through its
 * egress pool.  relayguard writes the verified tenant's egress_pool into
 * tenants.egress_header (client copies are removed); this table turns the
 * header into "FILTER POOL:NEXTHOP", and master.cf defines one smtp transport
 * per pool (bound to the pool's address).  NEXTHOP empty: Postfix's normal
 * routing of the recipient domain.
 */
#include <autoconfig.h>
#include "ctl.h"

#include <stdio.h>
#include <string.h>

#include "config.h"

/* s with the characters a POSIX extended regexp treats specially escaped */
static void print_regex_escaped(const char *s)
{
	for (; *s; s++) {
		if (strchr("\\.^$|?*+()[]{}/", *s) != NULL)
			putchar('\\');
		putchar(*s);
	}
}

int cmd_postfix_egress_map(struct ctl *c)
{
	const char *nexthop = c->n_args > 0 ? c->args[0] : "";
	int rc = ctl_load_config(c, true);

	if (rc != 0)
		return rc;
	const struct rg_config *cfg = c->cfg;
	if (cfg->tenants.egress_header == NULL || cfg->tenants.egress_header[0] == '\0') {
		ctl_err("tenants.egress_header is not set in %s: relayguard writes no egress header",
			c->config_path);
		return EX_CONFIG;
	}
	for (const char *p = nexthop; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == '/') {
			ctl_err("NEXTHOP must be a Postfix next-hop such as [relay.example]:25");
			return EX_USAGE;
		}
	printf("# made by relayguardctl postfix-egress-map from %s\n", c->config_path);
	printf("# main.cf: milter_header_checks = regexp:/etc/postfix/relayguard-egress\n");
	printf("# master.cf: one smtp transport per pool, e.g.\n");
	printf("#   pool-1 unix - - n - - smtp -o smtp_bind_address=192.0.2.1\n");
	size_t n = 0;
	for (size_t i = 0; i < cfg->tenants.n_list; i++) {
		const char *pool = cfg->tenants.list[i].egress_pool;
		bool seen = false;
		if (pool == NULL || pool[0] == '\0')
			continue;
		for (size_t j = 0; j < i && !seen; j++)
			seen = cfg->tenants.list[j].egress_pool != NULL &&
			       strcmp(cfg->tenants.list[j].egress_pool, pool) == 0;
		if (seen)
			continue;
		printf("/^");
		print_regex_escaped(cfg->tenants.egress_header);
		printf(":[[:space:]]*");
		print_regex_escaped(pool);
		printf("[[:space:]]*$/ FILTER %s:%s\n", pool, nexthop);
		n++;
	}
	if (n == 0)
		printf("# no tenant of tenants.list has an egress_pool\n");
	return 0;
}
