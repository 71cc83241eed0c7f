/*
 * rg_milter.h — the libmilter front end.  Only milter/ includes libmilter;
 * decisions are made by common/policy.c, which has no libmilter in it.
 */
#ifndef RG_MILTER_H
#define RG_MILTER_H

#include "config.h"

/* Register the filter on cfg->milter.socket and run libmilter's main loop
 * (smfi_main) until libmilter stops (SIGTERM/SIGINT/SIGHUP are libmilter's).
 * Returns the process exit status. */
int rg_milter_main(const struct rg_config *cfg);

#endif
