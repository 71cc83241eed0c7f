/* counters_shared.c — counters from the configuration (counters_shared.h). */
#include <autoconfig.h>
#include "counters_shared.h"
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rg_counters_error(char **error_r, const char *fmt, ...)
{
	va_list ap;
	char buf[512];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return rg_error_r(error_r, "%s", buf);
}

struct rg_counters *rg_counters_open(const struct rg_shared_state_conf *conf, const char *ns,
				     size_t max_counters, size_t max_flags, char **error_r)
{
	if (conf != NULL && conf->type == RG_SHARED_REDIS)
		return rg_counters_redis_new(conf, ns, max_counters, max_flags, error_r);
	struct rg_counters *c = rg_counters_local_new(max_counters, max_flags);
	if (c == NULL)
		rg_counters_error(error_r, "out of memory");
	return c;
}
