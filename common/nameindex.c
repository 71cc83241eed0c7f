/* nameindex.c — name → position, open addressing with linear probing (nameindex.h). */
#include <autoconfig.h>
#include "nameindex.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static unsigned char fold(unsigned char c, bool nocase)
{
	return nocase && c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/* FNV-1a over the (folded) bytes, then a final mix so that the low bits the
 * mask keeps depend on every byte. */
static size_t hash(const char *s, bool nocase)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++) {
		h ^= fold((unsigned char)*s, nocase);
		h *= 1099511628211ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return (size_t)h;
}

static bool same(const char *a, const char *b, bool nocase)
{
	return nocase ? strcasecmp(a, b) == 0 : strcmp(a, b) == 0;
}

int rg_name_index_init(struct rg_name_index *ix, const char *const *names, size_t n, bool nocase)
{
	size_t cap = 8;

	while (cap < 2 * n)
		cap *= 2;
	ix->slots = calloc(cap, sizeof(uint32_t));
	ix->names = names;
	ix->mask = cap - 1;
	ix->nocase = nocase;
	return ix->slots != NULL ? 0 : -1;
}

long rg_name_index_add(struct rg_name_index *ix, size_t i)
{
	const char *name = ix->names[i];
	size_t at = hash(name, ix->nocase) & ix->mask;

	for (;; at = (at + 1) & ix->mask) {
		uint32_t s = ix->slots[at];
		if (s == 0) {
			ix->slots[at] = (uint32_t)i + 1;
			return -1;
		}
		if (same(ix->names[s - 1], name, ix->nocase))
			return (long)(s - 1);
	}
}

long rg_name_index_find(const struct rg_name_index *ix, const char *name)
{
	if (ix->slots == NULL || name == NULL)
		return -1;
	for (size_t at = hash(name, ix->nocase) & ix->mask;; at = (at + 1) & ix->mask) {
		uint32_t s = ix->slots[at];
		if (s == 0)
			return -1;
		if (same(ix->names[s - 1], name, ix->nocase))
			return (long)(s - 1);
	}
}

void rg_name_index_free(struct rg_name_index *ix)
{
	free(ix->slots);
	ix->slots = NULL;
}
