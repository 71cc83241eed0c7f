/* authd.c — placeholder until the SASL service lands. */
#include <autoconfig.h>
#include <stdlib.h>
#include <string.h>
#include "authd.h"

int rg_authd_start(const struct rg_config *cfg, char **error_r)
{
	(void)cfg;
	*error_r = strdup("SASL service not built yet");
	return -1;
}
void rg_authd_reload(void) {}
void rg_authd_stop(void) {}
