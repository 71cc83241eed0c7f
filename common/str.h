#ifndef RG_STR_H
#define RG_STR_H
/*
 * str.h — bounded string copy for hot paths (what snprintf(dst, n, "%s", src)
 * does, without the format machinery): copies at most n - 1 bytes, always
 * terminates (n > 0), and says whether all of src fitted.
 */
#include <stdbool.h>
#include <string.h>

static inline bool rg_strbcpy(char *dst, size_t n, const char *src)
{
	size_t len = strlen(src);
	bool fits = len < n;

	if (n == 0)
		return false;
	if (!fits)
		len = n - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
	return fits;
}

#endif
