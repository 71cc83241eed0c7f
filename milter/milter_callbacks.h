/* milter_callbacks.h — the filter description handed to smfi_register. */
#ifndef RG_MILTER_CALLBACKS_H
#define RG_MILTER_CALLBACKS_H

#include <libmilter/mfapi.h>

extern struct smfiDesc rg_milter_desc;

#endif
