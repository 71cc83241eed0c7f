/*
 * config_internal.h — shared between the loader (config.c) and the
 * cross-key checks (config_check.c).  Not for use outside common/config*.c.
 */
#ifndef RG_CONFIG_INTERNAL_H
#define RG_CONFIG_INTERNAL_H

#include <libconfig.h>
#include "config.h"
#include "msgs.h"

struct rg_load_ctx {
	config_t *lc;			/* the parsed libconfig tree */
	const char *file;
	struct rg_config *cfg;
	struct rg_msgs errs;
	struct rg_msgs warns;		/* text is "warning: ..." */
	char incdir[4096];		/* @include files are relative to this */
	char fbuf[8192];		/* scratch for file names in messages */
};

/* Source line of the setting at libconfig path (e.g. "auth.mechanisms"), or 0. */
int rg_load_line(const struct rg_load_ctx *ctx, const char *path);

/* Checks that involve several keys (config_check.c). */
void rg_config_check_semantics(struct rg_load_ctx *ctx);

#endif
