/* milter.c — placeholder until the milter lands. */
#include <autoconfig.h>
#include "rg_milter.h"
#include "log.h"

int rg_milter_main(const struct rg_config *cfg)
{
	(void)cfg;
	rg_log(LOG_ERR, "milter not built yet");
	return 1;
}
