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

/* The same in two steps, so that the daemon can open the socket (and set its
 * owner, group and mode) as root, then drop privileges, then run:
 * rg_milter_open returns 0 or -1 (logged); rg_milter_run blocks in smfi_main
 * and returns the exit status. */
int rg_milter_open(const struct rg_config *cfg);
int rg_milter_run(void);

#endif
