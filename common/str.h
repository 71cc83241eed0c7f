#ifndef RG_STR_H
#define RG_STR_H
/*
 * str.h — small string helpers.  rg_strbcpy: bounded copy for hot paths
 * (what snprintf(dst, n, "%s", src) does, without the format machinery):
 * copies at most n - 1 bytes, always terminates (n > 0), and says whether
 * all of src fitted.
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

/* A multi-line message (a library's error text, which ends in a newline and
 * may hold several) on one line: newlines, returns and tabs become spaces,
 * trailing spaces go.  At most n - 1 bytes; NULL reads as "". */
static inline void rg_str_one_line(char *out, size_t n, const char *msg)
{
	size_t j = 0;

	if (n == 0)
		return;
	for (const char *p = msg ? msg : ""; *p != '\0' && j + 1 < n; p++)
		out[j++] = (*p == '\n' || *p == '\r' || *p == '\t') ? ' ' : *p;
	while (j > 0 && out[j - 1] == ' ')
		j--;
	out[j] = '\0';
}

#endif
