/*
 * counters_shared.h — making counters (counters.h) from the configuration:
 * the local ones, or a fleet's Redis (shared_state.type = "redis").
 */
#ifndef RG_COUNTERS_SHARED_H
#define RG_COUNTERS_SHARED_H

#include "config.h"
#include "counters.h"

/* Counters for one purpose (ns: a short namespace, "g" for the guard, "pu"
 * for per-user penalties ...): in Redis when conf says so (NULL or type
 * none: local ones of these bounds).  NULL with *error_r on failure. */
struct rg_counters *rg_counters_open(const struct rg_shared_state_conf *conf, const char *ns,
				     size_t max_counters, size_t max_flags, char **error_r);

struct rg_counters *rg_counters_redis_new(const struct rg_shared_state_conf *conf,
					  const char *ns, size_t max_counters, size_t max_flags,
					  char **error_r);

/* error_r helper: -1 */
int rg_counters_error(char **error_r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
