/* milter_macros.c — macro lists per stage. */
#include <autoconfig.h>
#include "milter_macros.h"

static const struct {
	int stage;
	const char *list;
} wanted[] = {
	{SMFIM_CONNECT, RG_MACROS_CONNECT},
	{SMFIM_HELO, RG_MACROS_HELO},
	{SMFIM_ENVFROM, RG_MACROS_ENVFROM},
	{SMFIM_EOH, RG_MACROS_EOH},
	{SMFIM_EOM, RG_MACROS_EOM},
};

bool rg_milter_request_macros(SMFICTX *ctx)
{
	bool all = true;

	for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++)
		if (smfi_setsymlist(ctx, wanted[i].stage, (char *)wanted[i].list) != MI_SUCCESS)
			all = false;
	return all;
}

const char *rg_macro(SMFICTX *ctx, const char *name)
{
	return smfi_getsymval(ctx, (char *)name);
}
