/* test_nameindex.c — the name index behind tenant lookups and duplicate checks
 * (common/nameindex.c): case folding, duplicates report the first position,
 * 100,000 names all found, names absent and NULL. */
#include <autoconfig.h>
#include "../tap.h"
#include "nameindex.h"

#include <stdio.h>

#define N 100000

int main(void)
{
	static char buf[N][16];
	static const char *names[N];
	struct rg_name_index ix;

	const char *few[] = { "acme", "Globex", "ACME", NULL, "initech", "globex" };
	ok(rg_name_index_init(&ix, few, 6, true) == 0, "init (case-insensitive)");
	is_int(rg_name_index_add(&ix, 0), -1, "acme added");
	is_int(rg_name_index_add(&ix, 1), -1, "Globex added");
	is_int(rg_name_index_add(&ix, 2), 0, "ACME: a duplicate of position 0");
	is_int(rg_name_index_add(&ix, 4), -1, "initech added");
	is_int(rg_name_index_add(&ix, 5), 1, "globex: a duplicate of position 1 (Globex)");
	is_int(rg_name_index_find(&ix, "AcMe"), 0, "find AcMe → acme");
	is_int(rg_name_index_find(&ix, "GLOBEX"), 1, "find GLOBEX → Globex, the first");
	is_int(rg_name_index_find(&ix, "umbrella"), -1, "an unknown name: -1");
	is_int(rg_name_index_find(&ix, "acme "), -1, "a trailing space is another name");
	is_int(rg_name_index_find(&ix, NULL), -1, "NULL: -1");
	rg_name_index_free(&ix);

	const char *cs[] = { "alice", "Alice" };
	rg_name_index_init(&ix, cs, 2, false);
	rg_name_index_add(&ix, 0);
	is_int(rg_name_index_add(&ix, 1), -1, "case-sensitive: Alice is not alice");
	is_int(rg_name_index_find(&ix, "ALICE"), -1, "case-sensitive: ALICE not found");
	rg_name_index_free(&ix);

	struct rg_name_index empty = { 0 };
	is_int(rg_name_index_find(&empty, "acme"), -1, "an index never built finds nothing");

	for (int i = 0; i < N; i++) {
		snprintf(buf[i], sizeof(buf[i]), "tenant-%d", i);
		names[i] = buf[i];
	}
	rg_name_index_init(&ix, names, N, true);
	long dups = 0, missing = 0;
	for (int i = 0; i < N; i++)
		dups += rg_name_index_add(&ix, (size_t)i) >= 0;
	for (int i = 0; i < N; i++)
		missing += rg_name_index_find(&ix, names[i]) != i;
	is_int(dups, 0, "100,000 distinct names: no duplicate reported");
	is_int(missing, 0, "each found at its own position");
	is_int(rg_name_index_find(&ix, "TENANT-99999"), 99999, "case-folded lookup among 100,000");
	is_int(rg_name_index_find(&ix, "tenant-100000"), -1, "one past the last: not found");
	rg_name_index_free(&ix);
	return done_testing();
}
