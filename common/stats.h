/*
 * stats.h — named counters for `relayguardctl stats` (plain and Prometheus).
 * Names are dotted, lower case, stable: "login.ok", "login.fail.bad_password",
 * "login.tempfail.store_error", "cache.hit", "cache.miss", "hashpool.rejected",
 * "milter.verdict.reject.tenant_not_authorized", "store.error", ...
 * Thread-safe; cheap enough for every request.
 */
#ifndef RG_STATS_H
#define RG_STATS_H

#include <stdint.h>
#include <stdio.h>

void rg_stats_add(const char *name, int64_t delta);
static inline void rg_stats_inc(const char *name) { rg_stats_add(name, 1); }
/* A gauge: set the current value (queue depth, connections). */
void rg_stats_set(const char *name, int64_t value);
/* A gauge moved up or down (connections open). */
void rg_stats_gauge_add(const char *name, int64_t delta);
/* "name value\n" lines, sorted by name. */
void rg_stats_print(FILE *out);
/* Prometheus text format: relayguard_<name with . → _> value. */
void rg_stats_print_prometheus(FILE *out);
int64_t rg_stats_get(const char *name);

#endif
