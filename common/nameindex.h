/*
 * nameindex.h — an index from names to positions in an array (open addressing,
 * built once when a configuration loads, read-only afterwards, so any number
 * of threads may look up at once).  O(1) lookups for the tenant list, and
 * duplicate detection in one pass instead of comparing every pair.
 */
#ifndef RG_NAMEINDEX_H
#define RG_NAMEINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rg_name_index {
	uint32_t *slots;	/* position + 1; 0 = empty */
	const char *const *names;	/* names[i]: the name at position i (borrowed) */
	size_t mask;
	bool nocase;		/* ASCII case-insensitive */
};

/* Room for n names; names points to n name pointers the caller keeps alive.
 * -1 on allocation failure. */
int rg_name_index_init(struct rg_name_index *ix, const char *const *names, size_t n, bool nocase);

/* Index position i (names[i]).  The position of an equal name already in the
 * index (then i is not added), or -1 once added. */
long rg_name_index_add(struct rg_name_index *ix, size_t i);

/* The position of name, or -1. */
long rg_name_index_find(const struct rg_name_index *ix, const char *name);

void rg_name_index_free(struct rg_name_index *ix);

#endif
