/* tap.h — minimal TAP producer for unit tests (automake tap-driver). */
#ifndef RG_TAP_H
#define RG_TAP_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed;
#define ok(cond, ...) do { \
	int ok_c_ = (cond) ? 1 : 0; \
	tap_n++; if (!ok_c_) tap_failed++; \
	printf("%s %d - ", ok_c_ ? "ok" : "not ok", tap_n); printf(__VA_ARGS__); printf("\n"); \
	if (!ok_c_) printf("#   at %s:%d\n", __FILE__, __LINE__); \
	fflush(stdout); } while (0)
#define is_int(got, want, ...) do { long long g_ = (long long)(got), w_ = (long long)(want); \
	ok(g_ == w_, __VA_ARGS__); if (g_ != w_) printf("#   got %lld, want %lld\n", g_, w_); } while (0)
#define is_str(got, want, ...) do { const char *g_ = (got), *w_ = (want); \
	int e_ = (g_ && w_) ? strcmp(g_, w_) == 0 : g_ == w_; ok(e_, __VA_ARGS__); \
	if (!e_) printf("#   got \"%s\", want \"%s\"\n", g_ ? g_ : "(null)", w_ ? w_ : "(null)"); } while (0)
#define diag(...) do { printf("# "); printf(__VA_ARGS__); printf("\n"); } while (0)
/* under CI (CI=true) a missing component is a failure, never a skip */
static inline int tap_ci(void) { const char *c = getenv("CI"); return c != NULL && strcmp(c, "true") == 0; }
#define skip_all(...) do { if (tap_ci()) { printf("1..1\nnot ok 1 - required but missing (CI=true): "); \
	printf(__VA_ARGS__); printf("\n"); exit(1); } \
	printf("1..0 # SKIP "); printf(__VA_ARGS__); printf("\n"); exit(0); } while (0)
static inline int done_testing(void) { printf("1..%d\n", tap_n); return tap_failed ? 1 : 0; }
#endif
