/* error.c — building error_r texts (error.h). */
#include <autoconfig.h>
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

int rg_error_r(char **error_r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(error_r, fmt, ap) < 0)
		*error_r = NULL;
	va_end(ap);
	return -1;
}
