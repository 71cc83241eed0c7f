/*
 * stats.h — named counters for `relayguardctl stats` (plain and Prometheus).
 * Names are dotted, lower case, stable (relayguardctl stats prints them):
 * "login.ok", "login.fail.bad_password",
 * "login.tempfail.store_error", "cache.hit", "cache.miss", "hashpool.rejected",
 * "milter.verdict.reject.tenant_not_authorized", "store.error", ...
 * Thread-safe; cheap enough for every request.
 */
#ifndef RG_STATS_H
#define RG_STATS_H

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

void rg_stats_add(const char *name, int64_t delta);
/* The counter's cell itself (created if missing; NULL when the table is full),
 * for a caller that counts the same name again and again: entries are never
 * removed, so the pointer stays good for the life of the process. */
_Atomic int64_t *rg_stats_cell(const char *name);
/* rg_stats_inc("literal"): +1, the cell looked up once per call site (a GNU
 * statement expression holding a static pointer).  Only a string literal is
 * accepted (a variable name is a compile error): count a computed name with
 * rg_stats_add(name, 1). */
#define rg_stats_inc(literal)                                                           \
	({                                                                               \
		static _Atomic int64_t *_Atomic rg_stats_site_;                          \
		_Atomic int64_t *c_ = atomic_load_explicit(&rg_stats_site_,              \
							  memory_order_relaxed);         \
		if (c_ == NULL) {                                                         \
			c_ = rg_stats_cell("" literal "");                                \
			atomic_store_explicit(&rg_stats_site_, c_, memory_order_relaxed); \
		}                                                                         \
		if (c_ != NULL)                                                           \
			atomic_fetch_add_explicit(c_, 1, memory_order_relaxed);           \
	})
/* A gauge: set the current value (queue depth, connections). */
void rg_stats_set(const char *name, int64_t value);
/* A gauge moved up or down (connections open). */
void rg_stats_gauge_add(const char *name, int64_t delta);
/* "name value\n" lines, sorted by name. */
void rg_stats_print(FILE *out);
/* Prometheus text format: the dotted names mapped to metric families by the
 * registry in stats.c (relayguard_logins_total{result,reason}, ...), and the
 * histograms. */
void rg_stats_print_prometheus(FILE *out);

/* Latency histograms (seconds, fixed buckets from 100 us to 5 s; lock-free). */
enum rg_hist {
	RG_HIST_LOGIN_CACHED,	/* a login the keyed-MAC cache answered */
	RG_HIST_LOGIN_HASHED,	/* a login that needed the hash (or failed before) */
	RG_HIST_MILTER_MAIL,	/* the milter's decision at MAIL FROM */
	RG_HIST_MILTER_EOH,	/* ... at the end of the headers */
	RG_HIST_COUNT
};
#define RG_HIST_BUCKETS 15
void rg_stats_observe(enum rg_hist h, uint64_t ns);
uint64_t rg_stats_observed(enum rg_hist h);
void rg_stats_print_histograms(FILE *out);
int64_t rg_stats_get(const char *name);
/* The daemon's start: uptime_seconds is computed from it whenever the
 * counters are printed. */
void rg_stats_started(time_t t);

#endif
